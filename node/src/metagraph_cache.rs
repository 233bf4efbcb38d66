//! `bittensor_getMetagraph` answers kept as JSON, per block and subnet.
//!
//! A subnet's metagraph is a pure function of the block's state, and every neuron of a subnet
//! (and every explorer) asks for the same one each block: on a full subnet (4,096 neurons) the
//! runtime call takes ~150 ms and its JSON ~80 ms more. So the node computes each one once: the
//! first caller at a block fills the cache, later callers get the stored JSON, and subnets
//! that were asked for recently are computed again as soon as a new best block is imported,
//! before their neurons ask.

use bittensor_runtime::{opaque::Block, AccountId, Balance, BlockNumber};
use futures::{FutureExt, StreamExt};
use pallet_bittensor::runtime_api::BittensorApi;
use polkadot_sdk::{sc_client_api::BlockchainEvents, sp_api::ProvideRuntimeApi};
use serde_json::value::RawValue;
use std::{
	collections::{HashMap, HashSet, VecDeque},
	sync::{Arc, Condvar, Mutex, PoisonError},
	time::{Duration, Instant},
};

type Hash = <Block as polkadot_sdk::sp_runtime::traits::Block>::Hash;

/// Answers kept: a few subnets over the last few blocks (a full subnet's is ~1.3 MB).
const CAPACITY: usize = 16;
/// How long after its last request a subnet is still computed at every new best block: five
/// 6-second blocks, so only subnets that someone follows (a neuron syncs every block, an
/// explorer every few) cost the node work ahead.
const WATCH_FOR: Duration = Duration::from_secs(30);

/// The cache; shared by the RPC handlers and the warming task.
#[derive(Default)]
pub struct MetagraphCache {
	/// Most recently stored last.
	entries: Mutex<VecDeque<(Hash, u16, Box<RawValue>)>>,
	/// Subnets asked for at the best block, and when.
	watched: Mutex<HashMap<u16, Instant>>,
	/// Answers being computed now: a second caller (or the warming task) waits for the first
	/// instead of running the same runtime call beside it on the same cores.
	computing: Mutex<HashSet<(Hash, u16)>>,
	/// Signalled whenever an answer stops being computed.
	computed: Condvar,
}

/// Takes an answer off the `computing` list (also when computing it failed) and wakes waiters.
struct Computing<'a> {
	cache: &'a MetagraphCache,
	key: (Hash, u16),
}

impl Drop for Computing<'_> {
	fn drop(&mut self) {
		let mut computing = self.cache.computing.lock().unwrap_or_else(PoisonError::into_inner);
		computing.remove(&self.key);
		self.cache.computed.notify_all();
	}
}

impl MetagraphCache {
	/// The stored answer for subnet `netuid` at block `hash`.
	pub fn get(&self, hash: Hash, netuid: u16) -> Option<Box<RawValue>> {
		let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
		entries.iter().find(|(h, n, _)| *h == hash && *n == netuid).map(|(_, _, json)| json.clone())
	}

	/// Stores an answer, dropping the oldest beyond [`CAPACITY`].
	pub fn insert(&self, hash: Hash, netuid: u16, json: Box<RawValue>) {
		let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
		entries.retain(|(h, n, _)| !(*h == hash && *n == netuid));
		entries.push_back((hash, netuid, json));
		while entries.len() > CAPACITY {
			entries.pop_front();
		}
	}

	/// Notes that subnet `netuid` was asked for at the best block, if `answer` says it exists:
	/// asking for absent subnets must not grow the set the node computes at every block.
	pub fn watch(&self, netuid: u16, answer: &RawValue) {
		if answer.get() == "null" {
			return;
		}
		let mut watched = self.watched.lock().unwrap_or_else(PoisonError::into_inner);
		watched.insert(netuid, Instant::now());
	}

	/// The subnets asked for within [`WATCH_FOR`]; forgets the others.
	pub fn watched(&self) -> Vec<u16> {
		let mut watched = self.watched.lock().unwrap_or_else(PoisonError::into_inner);
		watched.retain(|_, asked| asked.elapsed() < WATCH_FOR);
		let mut netuids: Vec<u16> = watched.keys().copied().collect();
		netuids.sort_unstable();
		netuids
	}

	/// The answer for subnet `netuid` at block `hash`: stored, or computed and stored.
	pub fn metagraph<C>(&self, client: &C, hash: Hash, netuid: u16) -> Result<Box<RawValue>, String>
	where
		C: ProvideRuntimeApi<Block>,
		C::Api: BittensorApi<Block, AccountId, Balance, BlockNumber>,
	{
		self.answer(hash, netuid, || {
			let graph = client.runtime_api().metagraph(hash, netuid).map_err(|e| e.to_string())?;
			graph
				.map(|graph| serde_json::value::to_raw_value(&graph).map_err(|e| e.to_string()))
				.transpose()
		})
	}

	/// The answer for subnet `netuid` at block `hash`: stored, or computed by `compute` and
	/// stored. An absent subnet (`compute` gives `None`) answers `null` and is not stored, so
	/// asking for absent subnets cannot evict real answers.
	fn answer(
		&self,
		hash: Hash,
		netuid: u16,
		compute: impl FnOnce() -> Result<Option<Box<RawValue>>, String>,
	) -> Result<Box<RawValue>, String> {
		let key = (hash, netuid);
		let _computing = {
			let mut computing = self.computing.lock().unwrap_or_else(PoisonError::into_inner);
			loop {
				// Answers are stored before they leave `computing`, so this sees every finished one.
				if let Some(json) = self.get(hash, netuid) {
					return Ok(json);
				}
				if computing.insert(key) {
					break Computing { cache: self, key };
				}
				computing = self
					.computed
					.wait_timeout(computing, Duration::from_secs(10))
					.unwrap_or_else(PoisonError::into_inner)
					.0;
			}
		};
		match compute()? {
			Some(json) => {
				self.insert(hash, netuid, json.clone());
				Ok(json)
			},
			// `null` when the subnet does not exist, as the RPC has always answered.
			None => RawValue::from_string("null".into()).map_err(|e| e.to_string()),
		}
	}
}

/// Computes the watched subnets' metagraphs at every new best block. A burst of imports (a
/// node catching up) is computed once, at its last best block.
pub async fn warm<C>(client: Arc<C>, cache: Arc<MetagraphCache>)
where
	C: ProvideRuntimeApi<Block> + BlockchainEvents<Block> + Send + Sync + 'static,
	C::Api: BittensorApi<Block, AccountId, Balance, BlockNumber>,
{
	let mut imports = client.import_notification_stream();
	while let Some(first) = imports.next().await {
		let mut best = first.is_new_best.then_some(first.hash);
		while let Some(Some(next)) = imports.next().now_or_never() {
			if next.is_new_best {
				best = Some(next.hash);
			}
		}
		let Some(hash) = best else { continue };
		for netuid in cache.watched() {
			if let Err(error) = cache.metagraph(&*client, hash, netuid) {
				log::debug!(target: "bittensor", "metagraph of subnet {netuid} at {hash}: {error}");
			}
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn json(text: &str) -> Box<RawValue> {
		RawValue::from_string(text.into()).unwrap()
	}

	#[test]
	fn absent_subnets_are_neither_stored_nor_followed() {
		let cache = MetagraphCache::default();
		let block = Hash::repeat_byte(1);
		let real = cache.answer(block, 1, || Ok(Some(json(r#"{"netuid":1}"#)))).unwrap();
		cache.watch(1, &real);
		// An attacker asks for every absent netuid at the best block.
		for netuid in 2..=u16::MAX {
			let answer = cache.answer(block, netuid, || Ok(None)).unwrap();
			assert_eq!(answer.get(), "null");
			cache.watch(netuid, &answer);
		}
		assert_eq!(cache.watched(), vec![1], "only the real subnet is computed ahead");
		assert_eq!(cache.entries.lock().unwrap().len(), 1);
		// The real answer is still served from the cache, not computed again.
		let again = cache.answer(block, 1, || panic!("recomputed")).unwrap();
		assert_eq!(again.get(), r#"{"netuid":1}"#);
	}
}

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
	collections::{HashMap, VecDeque},
	sync::{Arc, Mutex, PoisonError},
	time::{Duration, Instant},
};

type Hash = <Block as polkadot_sdk::sp_runtime::traits::Block>::Hash;

/// Answers kept: a few subnets over the last few blocks (a full subnet's is ~1.3 MB).
const CAPACITY: usize = 16;
/// How long after its last request a subnet is still computed at every new best block.
const WATCH_FOR: Duration = Duration::from_secs(120);

/// The cache; shared by the RPC handlers and the warming task.
#[derive(Default)]
pub struct MetagraphCache {
	/// Most recently stored last.
	entries: Mutex<VecDeque<(Hash, u16, Box<RawValue>)>>,
	/// Subnets asked for at the best block, and when.
	watched: Mutex<HashMap<u16, Instant>>,
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

	/// Notes that subnet `netuid` was asked for at the best block.
	pub fn watch(&self, netuid: u16) {
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
		if let Some(json) = self.get(hash, netuid) {
			return Ok(json);
		}
		let graph = client.runtime_api().metagraph(hash, netuid).map_err(|e| e.to_string())?;
		// `null` when the subnet does not exist, as the RPC has always answered.
		let json = serde_json::value::to_raw_value(&graph).map_err(|e| e.to_string())?;
		self.insert(hash, netuid, json.clone());
		Ok(json)
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
	fn answers_are_kept_per_block_and_subnet_and_the_oldest_go() {
		let cache = MetagraphCache::default();
		let (a, b) = (Hash::repeat_byte(1), Hash::repeat_byte(2));
		cache.insert(a, 1, json("1"));
		cache.insert(b, 1, json("2"));
		assert_eq!(cache.get(a, 1).unwrap().get(), "1");
		assert_eq!(cache.get(b, 1).unwrap().get(), "2");
		assert!(cache.get(a, 2).is_none());
		for i in 0..CAPACITY as u8 {
			cache.insert(Hash::repeat_byte(10 + i), 1, json("0"));
		}
		assert!(cache.get(a, 1).is_none() && cache.get(b, 1).is_none());
	}

	#[test]
	fn watched_subnets_are_listed_until_they_expire() {
		let cache = MetagraphCache::default();
		cache.watch(3);
		cache.watch(1);
		assert_eq!(cache.watched(), vec![1, 3]);
		cache.watched.lock().unwrap().insert(3, Instant::now() - WATCH_FOR);
		assert_eq!(cache.watched(), vec![1]);
	}
}

//! Follows the node for the explorer: on every new best block the subnets and their
//! metagraphs, on every new epoch a snapshot of stake and emission and the block's
//! `EpochCompleted` events. At start it reads the last epochs back from the node's history
//! (an archive node has it all; a pruned one answers what it still holds).

use super::{EpochEvent, Market, Shared, Subnet};
use crate::chain::{runtime, Chain};
use anyhow::{Context, Result};
use serde_json::Value;
use std::{collections::VecDeque, time::Duration};
use subxt::{
	config::substrate::H256,
	rpcs::{client::RpcParams, rpc_params},
};
use tracing::warn;

/// Events kept.
const EVENTS_KEPT: usize = 50;
/// Registration prices kept per subnet (one per block read: 30 minutes of 6-second blocks).
const PRICES_KEPT: usize = 300;
/// Reported losses kept per neuron.
const LOSSES_KEPT: usize = 300;

/// One neuron after one epoch.
#[derive(Clone, Debug)]
pub struct NeuronAt {
	/// Its uid.
	pub uid: u16,
	/// Its hotkey (SS58).
	pub hotkey: String,
	/// Stake, planck.
	pub stake: u128,
	/// Emission of that epoch, planck.
	pub emission: u128,
}

/// A subnet's neurons right after one epoch.
#[derive(Clone, Debug)]
pub struct Snapshot {
	/// The epoch's block.
	pub block: u64,
	/// Its neurons.
	pub neurons: Vec<NeuronAt>,
}

fn snapshot(block: u64, metagraph: &Value) -> Snapshot {
	let neurons = metagraph["neurons"]
		.as_array()
		.map(|ns| {
			ns.iter()
				.map(|n| NeuronAt {
					uid: n["uid"].as_u64().unwrap_or(0) as u16,
					hotkey: n["hotkey"].as_str().unwrap_or_default().to_string(),
					stake: super::planck(&n["stake"]),
					emission: super::planck(&n["emission"]),
				})
				.collect()
		})
		.unwrap_or_default();
	Snapshot { block, neurons }
}

/// Whether `hotkey` holds a uid in the (lean) metagraph.
fn registered(metagraph: &Value, hotkey: &str) -> bool {
	metagraph["neurons"]
		.as_array()
		.is_some_and(|ns| ns.iter().any(|n| n["hotkey"].as_str() == Some(hotkey)))
}

/// Reads the chain into a [`Market`].
pub struct Collector {
	chain: Chain,
	market: Shared,
	epochs: usize,
	/// Neurons' metrics endpoints to read reported losses from.
	metrics: Vec<String>,
	/// The one HTTP client those reads share.
	scraper: super::scrape::Scraper,
}

impl Collector {
	/// A collector keeping `epochs` epochs of history per subnet.
	pub fn new(chain: Chain, market: Shared, epochs: usize) -> Self {
		if let Ok(mut m) = market.write() {
			m.token = chain.rpc.token.clone();
		}
		Self {
			chain,
			market,
			epochs: epochs.max(1),
			metrics: Vec::new(),
			scraper: Default::default(),
		}
	}

	/// Also reads each neuron's reported held-out loss and model from these metrics endpoints.
	pub fn with_metrics(mut self, urls: Vec<String>) -> Self {
		self.metrics = urls;
		self
	}

	/// Reads every metrics endpoint and records what each neuron of a known subnet reported at
	/// `block`. An endpoint that does not answer is skipped (its neuron may be restarting).
	async fn read_metrics(&self, block: u64) {
		let mut reported = Vec::new();
		for page in self.scraper.fetch_all(&self.metrics).await {
			match page {
				Ok(page) => reported.extend(super::scrape::parse(&page)),
				Err(e) => tracing::debug!("explorer: {e:#}"),
			}
		}
		let mut m = self.market.write().unwrap_or_else(|p| p.into_inner());
		for r in reported {
			let Some(subnet) = m.subnets.get_mut(&r.netuid) else { continue };
			// The latest model each registered hotkey reports (a peer's page cannot grow the
			// map with hotkeys the subnet does not hold).
			if let Some(model) = r.model {
				if registered(&subnet.metagraph, &r.hotkey) {
					subnet.models.insert(r.hotkey.clone(), model);
				}
			}
			let Some(loss) = r.loss else { continue };
			let points = subnet.losses.entry(r.hotkey).or_default();
			// A neuron reports every few steps: a point is new when its steps moved.
			if points.back().is_some_and(|p| p.2 == r.steps && p.1 == loss) {
				continue;
			}
			points.push_back((block, loss, r.steps));
			while points.len() > LOSSES_KEPT {
				points.pop_front();
			}
		}
		// A hotkey that left its subnet no longer shows a model.
		for subnet in m.subnets.values_mut() {
			let metagraph = &subnet.metagraph;
			subnet.models.retain(|hotkey, _| registered(metagraph, hotkey));
		}
	}

	async fn request<T: serde::de::DeserializeOwned>(
		&self,
		method: &str,
		params: RpcParams,
	) -> Result<T> {
		self.chain
			.rpc
			.client
			.request(method, params)
			.await
			.with_context(|| format!("calling {method}"))
	}

	async fn block_hash(&self, number: u64) -> Result<Option<String>> {
		self.request("chain_getBlockHash", rpc_params![number]).await
	}

	async fn best(&self) -> Result<(u64, String)> {
		let hash: String = self.request("chain_getBlockHash", rpc_params![]).await?;
		let header: Value = self.request("chain_getHeader", rpc_params![&hash]).await?;
		let number = header["number"]
			.as_str()
			.and_then(|n| u64::from_str_radix(n.trim_start_matches("0x"), 16).ok())
			.context("the node returned a header without a number")?;
		Ok((number, hash))
	}

	async fn metagraph(&self, netuid: u16, at: &str) -> Result<Value> {
		self.request("bittensor_getMetagraph", rpc_params![netuid, at]).await
	}

	/// Puts each neuron's weight row into the (lean) metagraph, for the heatmap: the first
	/// page of `bittensor_getWeights`, i.e. the first 1,024 uids; a larger heatmap would not
	/// be readable, and fetching every row of a full subnet each block would cost ~40 MB.
	async fn merge_weights(&self, netuid: u16, at: &str, metagraph: &mut Value) -> Result<()> {
		let page: Value =
			self.request("bittensor_getWeights", rpc_params![netuid, 0, Value::Null, at]).await?;
		for row in page["rows"].as_array().into_iter().flatten() {
			if let Some(uid) = row["uid"].as_u64() {
				if let Some(neuron) = metagraph["neurons"].get_mut(uid as usize) {
					neuron["weights"] = row["weights"].clone();
				}
			}
		}
		Ok(())
	}

	/// The `EpochCompleted` events of block `number`.
	async fn epoch_events(&self, number: u64) -> Result<Vec<EpochEvent>> {
		let Some(hash) = self.block_hash(number).await? else { return Ok(Vec::new()) };
		let bytes: [u8; 32] = hex::decode(hash.trim_start_matches("0x"))
			.ok()
			.and_then(|b| b.try_into().ok())
			.context("malformed block hash")?;
		let at = self.chain.api.at_block(H256::from(bytes)).await?;
		let events = at.events().fetch().await?;
		let mut out = Vec::new();
		for event in events.find::<runtime::bittensor::events::EpochCompleted>() {
			let e = event?;
			out.push(EpochEvent {
				block: number,
				netuid: e.netuid,
				emitted: e.emitted,
				payout: format!("{:?}", e.payout),
			});
		}
		Ok(out)
	}

	/// Reads everything at the best block; on a new epoch, records it.
	pub async fn refresh(&self, backfill: bool) -> Result<u64> {
		let (number, hash) = self.best().await?;
		let netuids: Vec<u16> = self.request("bittensor_getSubnets", rpc_params![&hash]).await?;
		let mut fresh = Vec::new();
		for netuid in netuids {
			let mut metagraph = self.metagraph(netuid, &hash).await?;
			if !metagraph.is_null() {
				self.merge_weights(netuid, &hash, &mut metagraph).await?;
				fresh.push((netuid, metagraph));
			}
		}
		let mut new_epochs = Vec::new();
		{
			let mut m = self.market.write().unwrap_or_else(|p| p.into_inner());
			m.block = number;
			let keep: Vec<u16> = fresh.iter().map(|(n, _)| *n).collect();
			m.subnets.retain(|n, _| keep.contains(n));
			for (netuid, metagraph) in fresh {
				let epoch = metagraph["last_epoch_block"].as_u64().unwrap_or(0);
				let subnet = m.subnets.entry(netuid).or_insert_with(|| Subnet {
					metagraph: Value::Null,
					history: VecDeque::new(),
					prices: VecDeque::new(),
					losses: Default::default(),
					models: Default::default(),
				});
				if subnet.prices.back().is_none_or(|(b, _)| *b < number) {
					subnet
						.prices
						.push_back((number, super::planck(&metagraph["registration_price"])));
					while subnet.prices.len() > PRICES_KEPT {
						subnet.prices.pop_front();
					}
				}
				let known = subnet.history.back().map(|s| s.block);
				if epoch > 0 && known.is_none_or(|b| b < epoch) {
					new_epochs.push((netuid, epoch));
					subnet.history.push_back(snapshot(epoch, &metagraph));
					while subnet.history.len() > self.epochs {
						subnet.history.pop_front();
					}
				}
				subnet.metagraph = metagraph;
			}
		}
		if !self.metrics.is_empty() {
			self.read_metrics(number).await;
		}
		for (netuid, epoch) in new_epochs {
			if backfill {
				self.backfill(netuid, epoch).await;
			}
			match self.epoch_events(epoch).await {
				Ok(events) => self.record_events(events),
				Err(e) => warn!("explorer: events of block {epoch}: {e:#}"),
			}
		}
		Ok(number)
	}

	/// Reads the epochs before `latest` back from the node's history, as far as it holds them.
	async fn backfill(&self, netuid: u16, latest: u64) {
		let mut older = Vec::new();
		let mut block = latest;
		for _ in 1..self.epochs {
			// The state just before an epoch's block names the epoch before it.
			let Some(previous) = block.checked_sub(1).filter(|b| *b > 0) else { break };
			let Ok(Some(hash)) = self.block_hash(previous).await else { break };
			let Ok(metagraph) = self.metagraph(netuid, &hash).await else { break };
			let Some(epoch) =
				metagraph["last_epoch_block"].as_u64().filter(|e| *e > 0 && *e < block)
			else {
				break;
			};
			let Ok(Some(epoch_hash)) = self.block_hash(epoch).await else { break };
			let Ok(at_epoch) = self.metagraph(netuid, &epoch_hash).await else { break };
			older.push(snapshot(epoch, &at_epoch));
			if let Ok(events) = self.epoch_events(epoch).await {
				self.record_events(events);
			}
			block = epoch;
		}
		let mut m = self.market.write().unwrap_or_else(|p| p.into_inner());
		if let Some(subnet) = m.subnets.get_mut(&netuid) {
			for snap in older {
				subnet.history.push_front(snap);
			}
			while subnet.history.len() > self.epochs {
				subnet.history.pop_front();
			}
		}
	}

	fn record_events(&self, events: Vec<EpochEvent>) {
		let mut m = self.market.write().unwrap_or_else(|p| p.into_inner());
		for e in events {
			if !m.events.iter().any(|k| k.block == e.block && k.netuid == e.netuid) {
				m.events.push_back(e);
			}
		}
		m.events
			.make_contiguous()
			.sort_by(|a, b| b.block.cmp(&a.block).then(a.netuid.cmp(&b.netuid)));
		m.events.truncate(EVENTS_KEPT);
	}

	/// Follows the node until the task is aborted, polling every `every`.
	pub async fn follow(self, every: Duration) {
		let mut last = None;
		loop {
			match self.best().await {
				Ok((number, _)) if Some(number) != last => match self.refresh(false).await {
					Ok(n) => last = Some(n),
					Err(e) => warn!("explorer: reading block {number}: {e:#}"),
				},
				Ok(_) => {},
				Err(e) => warn!("explorer: {e:#}"),
			}
			tokio::time::sleep(every).await;
		}
	}
}

/// Connects and reads the chain once, so the page has data from its first request.
pub async fn start(
	url: &str,
	market: Shared,
	epochs: usize,
	metrics: Vec<String>,
) -> Result<Collector> {
	let chain = Chain::connect(url).await?;
	let collector = Collector::new(chain, market.clone(), epochs).with_metrics(metrics);
	collector.refresh(true).await?;
	Ok(collector)
}

impl Market {
	/// A fresh, empty market.
	pub fn shared() -> Shared {
		std::sync::Arc::new(std::sync::RwLock::new(Market::default()))
	}
}

//! The chain under load (`neuron bench chain`): thousands of neurons writing 256-entry weight
//! rows at once, and spam the pool must refuse.
//!
//! 1. Subnet `netuid` is created (or reset) through sudo with room for every neuron, a weights
//!    rate limit (so that repeats are spam) and a tempo long enough that no epoch runs during
//!    the waves.
//! 2. `neurons + late` hotkeys (`//Load//<i>`) are registered, in `Utility::batch_all`
//!    transactions of the sudo coldkey.
//! 3. **Load**: the first `neurons` hotkeys each sign a `set_weights` of `row` entries and all
//!    are submitted at once over RPC; every block is read until all are in.
//! 4. **Spam**: `spam_unregistered` `set_weights` from accounts that never registered and
//!    `spam_repeats` repeats from hotkeys of wave 3 (inside the rate limit) are submitted
//!    together with the honest rows of the `late` hotkeys; the spam must be refused by the
//!    pool, and every honest row must land.
//! 5. **Epoch**: the tempo is set to 1, so the next block runs the epoch of the full subnet;
//!    its block and the slots around it are reported. Then the tempo goes back to 10,000.
//! 6. **Metagraph**: the lean metagraph and every weight page of the full subnet are read and
//!    timed.
//!
//! Blocks are read from their events (`WeightsSet`, `ExtrinsicFailed`, `EpochCompleted`) and
//! their timestamp (the slot is `timestamp / 6 s`; a gap of more than one slot between two
//! blocks is a missed slot).

use super::{metagraph, pallet_types::SubnetHyperparameters, runtime, Chain, Signed};
use crate::wallet::{address, keypair_from_secret};
use anyhow::{bail, Context, Result};
use futures::{stream, StreamExt};
use runtime::runtime_types::{
	bittensor_runtime::RuntimeCall,
	pallet_bittensor::{pallet::Call as BittensorCall, types::Mechanism},
	sp_arithmetic::per_things::Perbill,
};
use serde::Serialize;
use std::{
	collections::HashSet,
	time::{Duration, Instant},
};
use subxt::{
	config::{substrate::H256, PolkadotExtrinsicParamsBuilder},
	rpcs::rpc_params,
	utils::AccountId32,
	OnlineClientAtBlock,
};
use subxt_signer::sr25519::Keypair;

/// What to run.
pub struct LoadArgs {
	/// The subnet to fill (created, or its hyperparameters reset).
	pub netuid: u16,
	/// Neurons whose rows are all sent at once in the load wave.
	pub neurons: u16,
	/// Neurons whose rows are sent together with the spam.
	pub late: u16,
	/// Entries per weight row.
	pub row: u16,
	/// `set_weights` from never-registered accounts in the spam wave.
	pub spam_unregistered: u32,
	/// Rate-limited repeats from load-wave hotkeys in the spam wave.
	pub spam_repeats: u32,
	/// The chain's sudo key, which also pays the registrations.
	pub sudo: Keypair,
	/// Transactions in flight at once while submitting.
	pub in_flight: usize,
	/// The node's process id, to report its CPU time and memory.
	pub node_pid: Option<u32>,
	/// The subnet's epoch mechanism.
	pub mechanism: metagraph::Mechanism,
}

/// One block seen during the run.
#[derive(Serialize, Clone, Debug)]
pub struct BlockStats {
	pub number: u64,
	/// Milliseconds since the previous block's timestamp.
	pub interval_ms: u64,
	/// Extrinsics in the block, inherents included.
	pub extrinsics: usize,
	/// `WeightsSet` events of the subnet.
	pub weights_set: usize,
	/// `System::ExtrinsicFailed` events.
	pub failed: usize,
	/// Whether the subnet's epoch ran in it.
	pub epoch: bool,
}

/// A wave of submissions.
#[derive(Serialize, Debug, Default)]
pub struct Wave {
	/// Honest `set_weights` submitted.
	pub honest_sent: usize,
	/// Of those, accepted by the pool.
	pub honest_accepted: usize,
	/// Honest rows that landed in blocks.
	pub honest_included: usize,
	/// Spam `set_weights` from unregistered accounts submitted / refused by the pool.
	pub unregistered_sent: usize,
	pub unregistered_refused: usize,
	/// Rate-limited repeats submitted / refused by the pool.
	pub repeats_sent: usize,
	pub repeats_refused: usize,
	/// Spam that reached a block: rows of load-wave uids, or failed extrinsics.
	pub spam_included: usize,
	/// The pool's reasons for refusals, with counts.
	pub refusals: Vec<(String, usize)>,
	/// Seconds from the first submission until the last honest row was in a block.
	pub seconds: f64,
	/// Seconds spent submitting.
	pub submit_seconds: f64,
	/// The blocks from the first submission until all honest rows were in.
	pub blocks: Vec<BlockStats>,
	/// Most honest rows in one block.
	pub most_in_one_block: usize,
	/// Slots without a block during the wave.
	pub missed_slots: u64,
}

/// The node's resources, from `/proc`.
#[derive(Serialize, Debug, Default)]
pub struct NodeUsage {
	/// CPU seconds (user + system) the node used during the waves.
	pub cpu_seconds: f64,
	/// ...as a share of one core over the waves' wall time.
	pub cpu_cores: f64,
	/// Resident memory at the end, MB.
	pub rss_mb: f64,
	/// Peak resident memory, MB.
	pub peak_rss_mb: f64,
}

/// The epoch of the full subnet.
#[derive(Serialize, Debug, Default)]
pub struct EpochStats {
	pub block: u64,
	/// Milliseconds between the epoch block's timestamp and the one before / after it.
	pub interval_before_ms: u64,
	pub interval_after_ms: u64,
	/// Slots missed around the epoch block.
	pub missed_slots: u64,
	/// The mechanism it ran: `paper` or `clipped`.
	pub mechanism: &'static str,
	/// Neurons and weight entries the epoch ran over.
	pub neurons: usize,
	pub weight_entries: usize,
}

/// Reading the full subnet back.
#[derive(Serialize, Debug, Default)]
pub struct ReadStats {
	/// `bittensor_getMetagraph` call + parse + table, milliseconds.
	pub metagraph_ms: f64,
	/// The metagraph's JSON size, bytes.
	pub metagraph_bytes: usize,
	/// Every `bittensor_getWeights` page, milliseconds.
	pub rows_ms: f64,
	/// Their total JSON size, bytes, and how many pages.
	pub rows_bytes: usize,
	pub pages: usize,
}

/// Everything measured.
#[derive(Serialize, Debug, Default)]
pub struct LoadReport {
	pub netuid: u16,
	pub row: u16,
	pub registered: usize,
	pub registration_seconds: f64,
	pub load: Wave,
	pub spam: Wave,
	pub epoch: Option<EpochStats>,
	pub read: ReadStats,
	pub node: Option<NodeUsage>,
}

/// The dev chain's Aura slot.
const SLOT_MS: u64 = 6_000;

/// Runs the whole benchmark; `progress` hears what is happening.
pub async fn run(chain: &Chain, args: &LoadArgs, progress: impl Fn(&str)) -> Result<LoadReport> {
	if args.row == 0 || args.neurons == 0 {
		bail!("--neurons and --row must be at least 1");
	}
	let total = u32::from(args.neurons) + u32::from(args.late);
	if total > 4096 || u32::from(args.row) > total {
		bail!("--neurons + --late must be at most 4096 and at least --row");
	}
	let mut report = LoadReport { netuid: args.netuid, row: args.row, ..Default::default() };

	progress("setting up the subnet");
	set_subnet(chain, args, hyperparameters(total as u16, args.mechanism)).await?;

	let keys: Vec<Keypair> =
		(0..total).map(|i| keypair_from_secret(&format!("//Load//{i}"))).collect::<Result<_>>()?;
	let started = Instant::now();
	report.registered = register(chain, args, &keys, &progress).await?;
	report.registration_seconds = started.elapsed().as_secs_f64();
	let size = chain.subnet_size(args.netuid).await?;
	let uid_of = uids(chain, args.netuid).await?;

	let cpu_before = args.node_pid.and_then(cpu_seconds);
	let waves_started = Instant::now();

	progress("load: signing");
	let at = chain.at_best().await?;
	let (load_keys, late_keys) = keys.split_at(usize::from(args.neurons));
	let mut honest = Vec::new();
	for (i, key) in load_keys.iter().enumerate() {
		honest.push(sign_row(chain, &at, args, key, size, i as u64, None).await?);
	}
	progress("load: submitting");
	report.load = wave(chain, args, honest, Vec::new(), Vec::new(), &HashSet::new()).await?;

	progress("spam: signing");
	let at = chain.at_best().await?;
	let mut honest = Vec::new();
	for (i, key) in late_keys.iter().enumerate() {
		honest.push(sign_row(chain, &at, args, key, size, 7 + i as u64, None).await?);
	}
	let mut unregistered = Vec::new();
	for i in 0..args.spam_unregistered {
		let key = keypair_from_secret(&format!("//Spam//{i}"))?;
		unregistered.push(sign_row(chain, &at, args, &key, size, u64::from(i), Some(0)).await?);
	}
	let mut repeats = Vec::new();
	for i in 0..args.spam_repeats as usize {
		let key = &load_keys[i % load_keys.len()];
		// A different row for each round through the keys, so that each is a new transaction.
		let seed = 1_000_003 * (i / load_keys.len() + 1) as u64 + i as u64;
		repeats.push(sign_row(chain, &at, args, key, size, seed, None).await?);
	}
	let load_uids: HashSet<u16> =
		load_keys.iter().filter_map(|k| uid_of.get(&address(k).to_string()).copied()).collect();
	progress("spam: submitting");
	report.spam = wave(chain, args, honest, unregistered, repeats, &load_uids).await?;

	if let (Some(pid), Some(before)) = (args.node_pid, cpu_before) {
		let wall = waves_started.elapsed().as_secs_f64();
		let used = cpu_seconds(pid).unwrap_or(before) - before;
		let (rss_mb, peak_rss_mb) = memory_mb(pid).unwrap_or_default();
		report.node =
			Some(NodeUsage { cpu_seconds: used, cpu_cores: used / wall, rss_mb, peak_rss_mb });
	}

	progress("epoch of the full subnet");
	let mut rules = hyperparameters(total as u16, args.mechanism);
	rules.tempo = 1;
	report.epoch = Some(epoch(chain, args, rules).await?);
	// Back to no epochs, so that the reads below (and any timing after the run) measure the
	// full subnet on a chain doing its ordinary work, not the 4,096 × 256 epoch every block.
	set_rules(chain, args, hyperparameters(total as u16, args.mechanism), "tempo back to 10,000")
		.await?;

	progress("reading the full subnet back");
	report.read = read_back(chain, args.netuid).await?;
	Ok(report)
}

/// The subnet's rules for the run: every neuron fits, anyone may set weights, a row may put
/// everything on one uid, repeats wait 1,000 blocks, and no epoch runs for 10,000 blocks.
fn hyperparameters(max_uids: u16, mechanism: metagraph::Mechanism) -> SubnetHyperparameters<u128> {
	SubnetHyperparameters {
		tempo: 10_000,
		rho: 10,
		kappa: Perbill(500_000_000),
		emission_per_block: 1_000_000_000,
		max_uids,
		min_allowed_weights: 1,
		max_weight_limit: Perbill(1_000_000_000),
		weights_rate_limit: 1_000,
		activity_cutoff: 10_000,
		immunity_period: 10_000,
		registration_burn: 0,
		bonds_moving_average: Perbill(900_000_000),
		min_stake_to_set_weights: 0,
		weights_version_key: 0,
		mechanism: match mechanism {
			metagraph::Mechanism::Paper => Mechanism::Paper,
			metagraph::Mechanism::Clipped => Mechanism::Clipped,
		},
		commit_reveal_period: 0,
		// Free and flat: the load registers thousands of hotkeys.
		max_burn: 0,
		burn_increase: Perbill(0),
		burn_half_life: 0,
		min_non_immune_uids: 1,
	}
}

/// Creates the subnet, or resets its hyperparameters, as root.
async fn set_subnet(
	chain: &Chain,
	args: &LoadArgs,
	hyperparameters: SubnetHyperparameters<u128>,
) -> Result<()> {
	let exists = chain.rpc.metagraph_json(args.netuid).await?.get() != "null";
	let inner = if exists {
		BittensorCall::set_hyperparameters { netuid: args.netuid, hyperparameters }
	} else {
		BittensorCall::create_subnet { netuid: args.netuid, hyperparameters }
	};
	let call = runtime::tx().sudo().sudo(RuntimeCall::Bittensor(inner));
	let included = chain.submit(&call, &args.sudo, super::Watch::QUIET).await?;
	if let Some(sudid) = super::find_event::<runtime::sudo::events::Sudid>(&included)? {
		if let Err(error) = sudid.sudo_result {
			bail!("the subnet could not be set up: {error:?} (is --sudo the chain's sudo key?)");
		}
	}
	Ok(())
}

/// Registers every key not yet in the subnet, 256 per batch transaction; returns how many.
async fn register(
	chain: &Chain,
	args: &LoadArgs,
	keys: &[Keypair],
	progress: &impl Fn(&str),
) -> Result<usize> {
	let known = uids(chain, args.netuid).await?;
	let missing: Vec<AccountId32> =
		keys.iter().map(address).filter(|a| !known.contains_key(&a.to_string())).collect();
	let mut nonce = chain.next_nonce(&address(&args.sudo)).await?;
	let mut pending = Vec::new();
	for chunk in missing.chunks(256) {
		let calls = chunk
			.iter()
			.map(|hotkey| {
				RuntimeCall::Bittensor(BittensorCall::register {
					netuid: args.netuid,
					hotkey: *hotkey,
					max_burn: 0,
				})
			})
			.collect();
		let tx = runtime::tx().utility().batch_all(calls);
		let signed = chain.sign_with_nonce(&tx, &args.sudo, nonce).await?;
		nonce += 1;
		pending.push(signed.submit_and_watch().await.context("submitting a registration batch")?);
	}
	let batches = pending.len();
	for (i, progress_of) in pending.into_iter().enumerate() {
		progress_of
			.wait_for_finalized_success()
			.await
			.with_context(|| format!("registration batch {}", i + 1))?;
		progress(&format!("registered batch {}/{batches}", i + 1));
	}
	Ok(missing.len())
}

/// Hotkey (SS58) → uid of the subnet's neurons.
async fn uids(chain: &Chain, netuid: u16) -> Result<std::collections::HashMap<String, u16>> {
	let json = chain.rpc.metagraph_json(netuid).await?;
	let graph = metagraph::parse(json.get())?.context("the subnet does not exist")?;
	Ok(graph.neurons.into_iter().map(|n| (n.hotkey, n.uid)).collect())
}

/// A `set_weights` of `args.row` distinct uids with pseudo-random values, signed by `key` with
/// `nonce` (its next one when `None`).
async fn sign_row(
	chain: &Chain,
	at: &OnlineClientAtBlock<super::Config>,
	args: &LoadArgs,
	key: &Keypair,
	size: u16,
	seed: u64,
	nonce: Option<u64>,
) -> Result<Signed> {
	let start = (seed % u64::from(size)) as u16;
	let uids: Vec<u16> =
		(0..args.row).map(|k| ((start as u32 + k as u32) % size as u32) as u16).collect();
	let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
	let values: Vec<u16> = (0..args.row)
		.map(|_| {
			// xorshift64: values need only differ, not be good random numbers.
			state ^= state << 13;
			state ^= state >> 7;
			state ^= state << 17;
			(state % 65_535) as u16 + 1
		})
		.collect();
	let call = runtime::tx().bittensor().set_weights(args.netuid, uids, values, 0);
	let nonce = match nonce {
		Some(nonce) => nonce,
		None => chain.next_nonce(&address(key)).await?,
	};
	let params = PolkadotExtrinsicParamsBuilder::<super::Config>::new().nonce(nonce).build();
	Ok(at.transactions().create_signed(&call, key, params).await?)
}

/// Submits honest rows and spam together, then reads blocks until every accepted honest row
/// is in (or 20 blocks pass).
async fn wave(
	chain: &Chain,
	args: &LoadArgs,
	honest: Vec<Signed>,
	unregistered: Vec<Signed>,
	repeats: Vec<Signed>,
	spam_uids: &HashSet<u16>,
) -> Result<Wave> {
	#[derive(Clone, Copy, PartialEq)]
	enum Kind {
		Honest,
		Unregistered,
		Repeat,
	}
	let mut out = Wave {
		honest_sent: honest.len(),
		unregistered_sent: unregistered.len(),
		repeats_sent: repeats.len(),
		..Default::default()
	};
	// Interleave the three kinds so that the spam arrives while the honest rows do.
	let mut all: Vec<(Kind, Signed)> = Vec::new();
	let (mut h, mut u, mut r) = (honest.into_iter(), unregistered.into_iter(), repeats.into_iter());
	loop {
		let mut any = false;
		for (kind, tx) in
			[(Kind::Honest, h.next()), (Kind::Unregistered, u.next()), (Kind::Repeat, r.next())]
		{
			if let Some(tx) = tx {
				all.push((kind, tx));
				any = true;
			}
		}
		if !any {
			break;
		}
	}
	let start_block = chain.best_block().await?;
	let started = Instant::now();
	let results: Vec<(Kind, Result<(), String>)> = stream::iter(all)
		.map(|(kind, tx)| async move {
			(kind, tx.submit().await.map(|_| ()).map_err(|e| e.to_string()))
		})
		.buffer_unordered(args.in_flight.max(1))
		.collect()
		.await;
	out.submit_seconds = started.elapsed().as_secs_f64();
	let mut reasons = std::collections::BTreeMap::<String, usize>::new();
	for (kind, result) in results {
		match (kind, result) {
			(Kind::Honest, Ok(())) => out.honest_accepted += 1,
			(Kind::Unregistered, Err(e)) => {
				out.unregistered_refused += 1;
				*reasons.entry(super::errors::describe_refusal(&chain.metadata, e)).or_default() +=
					1;
			},
			(Kind::Repeat, Err(e)) => {
				out.repeats_refused += 1;
				*reasons.entry(super::errors::describe_refusal(&chain.metadata, e)).or_default() +=
					1;
			},
			(_, Err(e)) => {
				*reasons
					.entry(format!(
						"honest: {}",
						super::errors::describe_refusal(&chain.metadata, e)
					))
					.or_default() += 1;
			},
			(_, Ok(())) => {},
		}
	}
	out.refusals = reasons.into_iter().collect();

	// Read every block from the one after the wave began until all honest rows are in.
	let mut number = start_block + 1;
	let mut previous_ms = timestamp_ms(chain, start_block).await?;
	let deadline = start_block + 20;
	while out.honest_included < out.honest_accepted && number <= deadline {
		if chain.best_block().await? < number {
			tokio::time::sleep(Duration::from_millis(200)).await;
			continue;
		}
		let (stats, uids) = block_stats(chain, args.netuid, number, previous_ms).await?;
		let spam_rows = uids.iter().filter(|u| spam_uids.contains(u)).count();
		out.spam_included += spam_rows + stats.failed;
		out.honest_included += stats.weights_set - spam_rows;
		out.most_in_one_block = out.most_in_one_block.max(stats.weights_set);
		out.missed_slots += missed_slots(stats.interval_ms);
		previous_ms += stats.interval_ms;
		out.blocks.push(stats);
		number += 1;
	}
	out.seconds = started.elapsed().as_secs_f64();
	Ok(out)
}

/// Block `number`'s statistics, and the uids whose `WeightsSet` it holds.
async fn block_stats(
	chain: &Chain,
	netuid: u16,
	number: u64,
	previous_ms: u64,
) -> Result<(BlockStats, Vec<u16>)> {
	let at = chain.api.at_block(block_hash(chain, number).await?).await?;
	let events = at.events().fetch().await?;
	let mut uids = Vec::new();
	for event in events.find::<runtime::bittensor::events::WeightsSet>() {
		let event = event?;
		if event.netuid == netuid {
			uids.push(event.uid);
		}
	}
	let failed = events.find::<runtime::system::events::ExtrinsicFailed>().count();
	let epoch = events
		.find::<runtime::bittensor::events::EpochCompleted>()
		.filter_map(|e| e.ok())
		.any(|e| e.netuid == netuid);
	let extrinsics = at.extrinsics().fetch().await?.len();
	let now = timestamp_ms(chain, number).await?;
	let stats = BlockStats {
		number,
		interval_ms: now.saturating_sub(previous_ms),
		extrinsics,
		weights_set: uids.len(),
		failed,
		epoch,
	};
	Ok((stats, uids))
}

async fn block_hash(chain: &Chain, number: u64) -> Result<H256> {
	let hash: String = chain.rpc.client.request("chain_getBlockHash", rpc_params![number]).await?;
	let bytes: [u8; 32] = hex::decode(hash.trim_start_matches("0x"))
		.ok()
		.and_then(|b| b.try_into().ok())
		.with_context(|| format!("no block {number}"))?;
	Ok(H256::from(bytes))
}

/// The timestamp of block `number`, in milliseconds.
async fn timestamp_ms(chain: &Chain, number: u64) -> Result<u64> {
	let at = chain.api.at_block(block_hash(chain, number).await?).await?;
	Ok(at.storage().fetch(runtime::storage().timestamp().now(), ()).await?.decode()?)
}

/// Sets the subnet's hyperparameters through sudo and waits for the block.
async fn set_rules(
	chain: &Chain,
	args: &LoadArgs,
	hyperparameters: SubnetHyperparameters<u128>,
	what: &str,
) -> Result<()> {
	let call =
		runtime::tx().sudo().sudo(RuntimeCall::Bittensor(BittensorCall::set_hyperparameters {
			netuid: args.netuid,
			hyperparameters,
		}));
	chain.submit(&call, &args.sudo, super::Watch::QUIET).await.with_context(|| what.to_string())?;
	Ok(())
}

/// Sets the tempo to 1 and waits for the subnet's epoch; its block and the slots around it.
async fn epoch(
	chain: &Chain,
	args: &LoadArgs,
	hyperparameters: SubnetHyperparameters<u128>,
) -> Result<EpochStats> {
	let json = chain.rpc.metagraph_json(args.netuid).await?;
	let graph = metagraph::parse(json.get())?.context("the subnet does not exist")?;
	let neurons = graph.neurons.len();
	let weight_entries = graph.neurons.iter().map(|n| n.weights).sum();
	set_rules(chain, args, hyperparameters, "tempo 1").await?;
	let mut number = chain.best_block().await?;
	let mut previous_ms = timestamp_ms(chain, number).await?;
	number += 1;
	for _ in 0..10 {
		while chain.best_block().await? < number + 1 {
			tokio::time::sleep(Duration::from_millis(200)).await;
		}
		let (stats, _) = block_stats(chain, args.netuid, number, previous_ms).await?;
		previous_ms += stats.interval_ms;
		if stats.epoch {
			let after = timestamp_ms(chain, number + 1).await?.saturating_sub(previous_ms);
			let missed = missed_slots(stats.interval_ms) + missed_slots(after);
			return Ok(EpochStats {
				block: number,
				interval_before_ms: stats.interval_ms,
				interval_after_ms: after,
				missed_slots: missed,
				mechanism: args.mechanism.name(),
				neurons,
				weight_entries,
			});
		}
		number += 1;
	}
	bail!("no epoch of subnet {} within 10 blocks of setting its tempo to 1", args.netuid)
}

/// Times reading the full subnet: the lean metagraph, then every weight page.
async fn read_back(chain: &Chain, netuid: u16) -> Result<ReadStats> {
	let mut out = ReadStats::default();
	let started = Instant::now();
	let json = chain.rpc.metagraph_json(netuid).await?;
	let graph = metagraph::parse(json.get())?.context("the subnet does not exist")?;
	let _table = metagraph::table(&graph, &chain.rpc.token);
	out.metagraph_ms = started.elapsed().as_secs_f64() * 1e3;
	out.metagraph_bytes = json.get().len();
	let started = Instant::now();
	let mut first = Some(0u64);
	while let Some(from) = first {
		let page: Box<serde_json::value::RawValue> = chain
			.rpc
			.client
			.request("bittensor_getWeights", rpc_params![netuid, from])
			.await
			.context("calling bittensor_getWeights")?;
		out.rows_bytes += page.get().len();
		out.pages += 1;
		let value: serde_json::Value = serde_json::from_str(page.get())?;
		first = value["next"].as_u64();
	}
	out.rows_ms = started.elapsed().as_secs_f64() * 1e3;
	Ok(out)
}

/// Slots that passed without a block in an interval between two blocks.
fn missed_slots(interval_ms: u64) -> u64 {
	((interval_ms + SLOT_MS / 2) / SLOT_MS).saturating_sub(1)
}

/// CPU seconds (user + system) process `pid` has used.
fn cpu_seconds(pid: u32) -> Option<f64> {
	let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
	// Fields after the command name (which may hold spaces) start at ") ".
	let rest = &stat[stat.rfind(')')? + 2..];
	let fields: Vec<&str> = rest.split_whitespace().collect();
	let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
	// Linux reports in clock ticks of 1/100 s (USER_HZ).
	Some(ticks as f64 / 100.0)
}

/// Resident and peak resident memory of process `pid`, MB.
fn memory_mb(pid: u32) -> Option<(f64, f64)> {
	let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
	let field = |name: &str| -> Option<f64> {
		let line = status.lines().find(|l| l.starts_with(name))?;
		let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
		Some(kb / 1024.0)
	};
	Some((field("VmRSS:")?, field("VmHWM:")?))
}

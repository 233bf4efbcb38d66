//! `neuron explorer`: a block explorer for the market, served by the `neuron` binary. A
//! collector follows the node (every new block: subnets and their metagraphs; every new epoch:
//! a snapshot of stake and emission, and the block's `EpochCompleted` events), and an axum
//! router serves one embedded page (no asset from the internet) and every figure as JSON under
//! `/api/...`. With an archive node, the last epochs are read back from history at start.
//!
//! With `--metrics URL`, what each neuron reports on its metrics endpoint is read at every
//! block: its held-out loss (`/api/subnets/{netuid}/losses`) and the model it serves, shown on
//! each neuron of `/api/subnets/{netuid}` as `model`: `{kind, state, wire_dtype, parameters}`
//! (`builtin`/`torchscript`/`noise`, `training`/`frozen`, `F32`/`F16`/`BF16`, a count), or
//! `null` when the neuron reports none. A report is the neuron's claim, not the chain's.

pub mod collect;
pub mod scrape;

use crate::amount::Token;
use axum::{
	extract::{Path, State},
	http::{header, StatusCode},
	response::{IntoResponse, Response},
	routing::get,
	Json, Router,
};
pub use collect::{Collector, Snapshot};
use serde_json::{json, Value};
use std::{
	collections::{BTreeMap, VecDeque},
	net::SocketAddr,
	sync::{Arc, RwLock},
};

/// The page, with its script and styles inline.
const INDEX_HTML: &str = include_str!("index.html");

/// What the explorer knows, replaced piece by piece by the collector.
#[derive(Default)]
pub struct Market {
	/// Best block seen.
	pub block: u64,
	/// The chain's token.
	pub token: Token,
	/// Subnets by netuid.
	pub subnets: BTreeMap<u16, Subnet>,
	/// The latest `EpochCompleted` events, newest first.
	pub events: VecDeque<EpochEvent>,
}

/// One subnet as last read.
pub struct Subnet {
	/// `bittensor_getMetagraph`'s answer.
	pub metagraph: Value,
	/// Stake and emission after each of the last epochs, oldest first.
	pub history: VecDeque<Snapshot>,
	/// The registration price at each block read, oldest first: `(block, planck)`.
	pub prices: VecDeque<(u64, u128)>,
	/// Each hotkey's reported held-out loss, oldest first: `(block, loss, steps)`.
	pub losses: BTreeMap<String, VecDeque<(u64, f64, Option<u64>)>>,
	/// The model each registered hotkey last reported serving.
	pub models: BTreeMap<String, scrape::ReportedModel>,
}

/// One `EpochCompleted` event.
#[derive(Clone, Debug)]
pub struct EpochEvent {
	/// Block it was emitted in.
	pub block: u64,
	/// Its subnet.
	pub netuid: u16,
	/// Planck minted.
	pub emitted: u128,
	/// How it was paid (`Incentive`, `ProRataStake`, `Nothing`).
	pub payout: String,
}

/// The shared state.
pub type Shared = Arc<RwLock<Market>>;

fn read(market: &Shared) -> std::sync::RwLockReadGuard<'_, Market> {
	market.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Every route in one place.
pub fn router(market: Shared) -> Router {
	Router::new()
		.route("/", get(index))
		.route("/api/status", get(status))
		.route("/api/subnets", get(subnets))
		.route("/api/subnets/{netuid}", get(subnet))
		.route("/api/subnets/{netuid}/history", get(history))
		.route("/api/subnets/{netuid}/weights", get(weights))
		.route("/api/subnets/{netuid}/prices", get(prices))
		.route("/api/subnets/{netuid}/losses", get(losses))
		.route("/api/events", get(events))
		.fallback(|| async { not_found("no such page; the API is under /api/") })
		.with_state(market)
}

/// Serves the explorer on `addr` until the task is aborted.
pub async fn serve(
	market: Shared,
	addr: SocketAddr,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
	let listener = tokio::net::TcpListener::bind(addr).await?;
	let local = listener.local_addr()?;
	let app = router(market);
	let task = tokio::spawn(async move {
		let _ = axum::serve(listener, app).await;
	});
	Ok((local, task))
}

fn not_found(message: &str) -> Response {
	(StatusCode::NOT_FOUND, Json(json!({ "error": message }))).into_response()
}

async fn index() -> Response {
	([(header::CONTENT_TYPE, "text/html; charset=utf-8")], INDEX_HTML).into_response()
}

async fn status(State(market): State<Shared>) -> Json<Value> {
	let m = read(&market);
	Json(json!({
		"block": m.block,
		"token": { "symbol": m.token.symbol, "decimals": m.token.decimals },
		"subnets": m.subnets.keys().collect::<Vec<_>>(),
	}))
}

async fn subnets(State(market): State<Shared>) -> Json<Value> {
	let m = read(&market);
	let list: Vec<Value> = m
		.subnets
		.iter()
		.map(|(netuid, s)| {
			json!({
				"netuid": netuid,
				"neurons": s.metagraph["neurons"].as_array().map_or(0, Vec::len),
				"last_epoch_block": s.metagraph["last_epoch_block"],
				"owner": s.metagraph["owner"],
				"locked": tokens(&m.token, planck(&s.metagraph["locked"])),
				"registration_price": tokens(&m.token, planck(&s.metagraph["registration_price"])),
				"hyperparameters": hyperparameters(&s.metagraph["hyperparameters"], &m.token),
			})
		})
		.collect();
	Json(Value::Array(list))
}

fn with_subnet(
	market: &Shared,
	netuid: &str,
	f: impl FnOnce(&Market, u16, &Subnet) -> Value,
) -> Response {
	let m = read(market);
	let Ok(netuid) = netuid.parse::<u16>() else {
		return not_found(&format!("`{netuid}` is not a netuid (0 to 65535)"));
	};
	match m.subnets.get(&netuid) {
		Some(s) => Json(f(&m, netuid, s)).into_response(),
		None => not_found(&format!("subnet {netuid} does not exist")),
	}
}

/// Planck as a JSON number of tokens (for charts) is lossy; the exact decimal goes as a string.
fn tokens(token: &Token, planck: u128) -> Value {
	Value::String(token.format(planck))
}

fn planck(v: &Value) -> u128 {
	v.as_u64().map(u128::from).or_else(|| v.as_f64().map(|f| f as u128)).unwrap_or(0)
}

fn fraction(v: &Value) -> f64 {
	v.as_f64().unwrap_or(0.0) / 1e18
}

/// What a hyperparameter counts, so people read 0.5 and 1 TAO per block, not 500000000 and
/// 1000000000.
enum Unit {
	/// Parts per billion, shown as a fraction.
	PerBillion,
	/// Planck, shown in tokens (an exact decimal string).
	Planck,
	/// Blocks.
	Blocks,
	/// Epochs.
	Epochs,
}

fn unit_of(name: &str) -> Option<Unit> {
	Some(match name {
		"kappa" | "max_weight_limit" | "bonds_moving_average" | "burn_increase" => Unit::PerBillion,
		"emission_per_block" | "registration_burn" | "min_stake_to_set_weights" | "max_burn" => {
			Unit::Planck
		},
		"tempo" | "weights_rate_limit" | "activity_cutoff" | "immunity_period"
		| "burn_half_life" => Unit::Blocks,
		"commit_reveal_period" => Unit::Epochs,
		_ => return None,
	})
}

/// A subnet's hyperparameters in their units: `{name: {value, unit}}`, with fractions as
/// numbers, amounts as exact decimal strings of tokens, and counts of blocks as integers.
/// Names the explorer does not know keep their raw value and no unit.
fn hyperparameters(raw: &Value, token: &Token) -> Value {
	let Some(fields) = raw.as_object() else { return Value::Null };
	let shown = fields
		.iter()
		.map(|(name, v)| {
			let (value, unit) = match unit_of(name) {
				Some(Unit::PerBillion) => (json!(v.as_f64().unwrap_or(0.0) / 1e9), ""),
				Some(Unit::Planck) => (tokens(token, planck(v)), token.symbol.as_str()),
				Some(Unit::Blocks) => (v.clone(), "blocks"),
				Some(Unit::Epochs) => (v.clone(), "epochs"),
				None => (v.clone(), ""),
			};
			(name.clone(), json!({ "value": value, "unit": unit }))
		})
		.collect();
	Value::Object(shown)
}

async fn subnet(State(market): State<Shared>, Path(netuid): Path<String>) -> Response {
	with_subnet(&market, &netuid, |m, netuid, s| {
		let g = &s.metagraph;
		let neurons: Vec<Value> = g["neurons"]
			.as_array()
			.map(|ns| {
				ns.iter()
					.map(|n| {
						let axon = &n["axon"];
						let endpoint = crate::chain::metagraph::Axon {
							block: 0,
							version: 0,
							ip: axon["ip"].as_u64().map(u128::from).unwrap_or(0),
							port: axon["port"].as_u64().unwrap_or(0) as u16,
							ip_type: axon["ip_type"].as_u64().unwrap_or(0) as u8,
							protocol: 0,
						};
						json!({
							"uid": n["uid"],
							"hotkey": n["hotkey"],
							"coldkey": n["coldkey"],
							"stake": tokens(&m.token, planck(&n["stake"])),
							// The owner's take of nominators' dividends, percent.
							"take": n["take"].as_f64().unwrap_or(0.0) / 1e7,
							"nominators": n["nominators"],
							"rank": fraction(&n["rank"]),
							"trust": fraction(&n["trust"]),
							"consensus": fraction(&n["consensus"]),
							"incentive": fraction(&n["incentive"]),
							"dividends": fraction(&n["dividends"]),
							"validator_trust": fraction(&n["validator_trust"]),
							"emission": tokens(&m.token, planck(&n["emission"])),
							"active": n["active"],
							"last_update": n["last_update"],
							"axon": if axon.is_null() { Value::Null } else { Value::String(endpoint.endpoint()) },
							"weights": n["weight_count"],
							// The model the neuron reports serving, when it reports one.
							"model": n["hotkey"]
								.as_str()
								.and_then(|hotkey| s.models.get(hotkey))
								.map_or(Value::Null, |model| json!({
									"kind": model.kind,
									"state": model.state,
									"wire_dtype": model.wire_dtype,
									"parameters": model.parameters,
								})),
							// Commits waiting for their reveal: epoch and window only (the
							// hash tells a reader nothing).
							"pending_commits": n["pending_commits"]
								.as_array()
								.map(|cs| {
									cs.iter()
										.map(|c| json!({
											"epoch": c["epoch"],
											"reveal_from": c["reveal_from"],
											"reveal_until": c["reveal_until"],
										}))
										.collect::<Vec<_>>()
								})
								.unwrap_or_default(),
						})
					})
					.collect()
			})
			.unwrap_or_default();
		json!({
			"netuid": netuid,
			"block": m.block,
			"token": m.token.symbol,
			"last_epoch_block": g["last_epoch_block"],
			"owner": g["owner"],
			"locked": tokens(&m.token, planck(&g["locked"])),
			"registration_price": tokens(&m.token, planck(&g["registration_price"])),
			"hyperparameters": hyperparameters(&g["hyperparameters"], &m.token),
			"neurons": neurons,
		})
	})
}

/// Each neuron's reported held-out loss at each block the explorer read, for the loss chart.
async fn losses(State(market): State<Shared>, Path(netuid): Path<String>) -> Response {
	with_subnet(&market, &netuid, |_, netuid, s| {
		let uid_of = |hotkey: &str| {
			s.metagraph["neurons"]
				.as_array()
				.and_then(|ns| ns.iter().find(|n| n["hotkey"] == hotkey))
				.map(|n| n["uid"].clone())
				.unwrap_or(Value::Null)
		};
		let neurons: Vec<Value> = s
			.losses
			.iter()
			.map(|(hotkey, points)| {
				let points: Vec<Value> = points
					.iter()
					.map(
						|(block, loss, steps)| json!({"block": block, "loss": loss, "steps": steps}),
					)
					.collect();
				json!({"uid": uid_of(hotkey), "hotkey": hotkey, "points": points})
			})
			.collect();
		json!({"netuid": netuid, "neurons": neurons})
	})
}

/// The registration price at each block the explorer read, for the price chart.
async fn prices(State(market): State<Shared>, Path(netuid): Path<String>) -> Response {
	with_subnet(&market, &netuid, |m, netuid, s| {
		let points: Vec<Value> = s
			.prices
			.iter()
			.map(|(block, price)| {
				json!({
					"block": block,
					"price": tokens(&m.token, *price),
					"tokens": *price as f64 / 10f64.powi(m.token.decimals as i32),
				})
			})
			.collect();
		json!({ "netuid": netuid, "points": points })
	})
}

async fn history(State(market): State<Shared>, Path(netuid): Path<String>) -> Response {
	with_subnet(&market, &netuid, |m, netuid, s| {
		let epochs: Vec<Value> = s
			.history
			.iter()
			.map(|snap| {
				let total_stake: u128 = snap.neurons.iter().map(|n| n.stake).sum();
				let total_emission: u128 = snap.neurons.iter().map(|n| n.emission).sum();
				let share =
					|x: u128, total: u128| if total == 0 { 0.0 } else { x as f64 / total as f64 };
				let neurons: Vec<Value> = snap
					.neurons
					.iter()
					.map(|n| {
						json!({
							"uid": n.uid,
							"hotkey": n.hotkey,
							"stake": tokens(&m.token, n.stake),
							"emission": tokens(&m.token, n.emission),
							"stake_share": share(n.stake, total_stake),
							"emission_share": share(n.emission, total_emission),
						})
					})
					.collect();
				json!({ "block": snap.block, "neurons": neurons })
			})
			.collect();
		json!({ "netuid": netuid, "epochs": epochs })
	})
}

async fn weights(State(market): State<Shared>, Path(netuid): Path<String>) -> Response {
	with_subnet(&market, &netuid, |_, netuid, s| {
		let rows: Vec<Value> = s.metagraph["neurons"]
			.as_array()
			.map(|ns| {
				ns.iter()
					.map(|n| {
						let entries: Vec<(u64, f64)> = n["weights"]
							.as_array()
							.map(|w| {
								w.iter()
									.filter_map(|e| {
										Some((e.get(0)?.as_u64()?, e.get(1)?.as_f64()?))
									})
									.collect()
							})
							.unwrap_or_default();
						let sum: f64 = entries.iter().map(|e| e.1).sum();
						let normalised: Vec<Value> = entries
							.iter()
							.map(|(uid, w)| json!([uid, if sum > 0.0 { w / sum } else { 0.0 }]))
							.collect();
						json!({ "uid": n["uid"], "weights": normalised })
					})
					.collect()
			})
			.unwrap_or_default();
		json!({ "netuid": netuid, "rows": rows })
	})
}

async fn events(State(market): State<Shared>) -> Json<Value> {
	let m = read(&market);
	let list: Vec<Value> = m
		.events
		.iter()
		.map(|e| {
			json!({
				"block": e.block,
				"netuid": e.netuid,
				"emitted": tokens(&m.token, e.emitted),
				"payout": e.payout,
			})
		})
		.collect();
	Json(Value::Array(list))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn hyperparameters_are_shown_in_their_units() {
		let token = Token { symbol: "TAO".into(), decimals: 9 };
		let raw = json!({
			"tempo": 10, "kappa": 500000000, "emission_per_block": 1000000000u64,
			"max_weight_limit": 1000000000, "registration_burn": 100000000,
			"weights_version_key": 7, "commit_reveal_period": 1
		});
		let shown = hyperparameters(&raw, &token);
		assert_eq!(shown["kappa"], json!({ "value": 0.5, "unit": "" }));
		assert_eq!(shown["max_weight_limit"]["value"], json!(1.0));
		assert_eq!(shown["emission_per_block"], json!({ "value": "1", "unit": "TAO" }));
		assert_eq!(shown["registration_burn"]["value"], json!("0.1"));
		assert_eq!(shown["tempo"], json!({ "value": 10, "unit": "blocks" }));
		assert_eq!(shown["commit_reveal_period"], json!({ "value": 1, "unit": "epochs" }));
		assert_eq!(shown["weights_version_key"], json!({ "value": 7, "unit": "" }));
	}
}

//! `neuron metagraph` on a subnet of 4096 neurons (target: under 200 ms from call to table).
//!
//! `parse_and_render/4096` runs without a node, on a synthetic RPC answer of a full subnet
//! (the metagraph carries each neuron's row lengths; the rows have their own paged call).
//! `rpc_to_table/4096` times the whole command path against a node: set
//! `NEURON_BENCH_URL` to a node whose subnet `NEURON_BENCH_NETUID` (default 1) was populated by
//! `scripts/bench-metagraph.sh`, which does all of it.

use criterion::{criterion_group, criterion_main, Criterion};
use neuron_client::{
	amount::Token,
	chain::{metagraph, ops, Rpc},
};
use std::{fmt::Write, hint::black_box, time::Duration};

const NEURONS: usize = 4096;
const ROW: usize = 256;

fn synthetic_answer() -> String {
	let mut out = String::from(
		r#"{"netuid":1,"hyperparameters":{"tempo":10,"rho":10,"kappa":500000000,
		"emission_per_block":1000000000,"max_uids":4096,"min_allowed_weights":1,
		"max_weight_limit":1000000000,"weights_rate_limit":0,"activity_cutoff":5000,
		"immunity_period":100,"registration_burn":100000000,"bonds_moving_average":900000000,
		"min_stake_to_set_weights":0,"weights_version_key":0},"last_epoch_block":1234,"neurons":["#,
	);
	for uid in 0..NEURONS {
		if uid > 0 {
			out.push(',');
		}
		let _ = write!(
			out,
			r#"{{"uid":{uid},"hotkey":"5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY","coldkey":"5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty","stake":{},"rank":{},"trust":{},"consensus":{},"incentive":{},"dividends":{},"emission":{},"active":true,"last_update":{},"registered_at":{},"axon":{{"block":5,"version":1,"ip":2130706433,"port":{},"ip_type":4,"protocol":0}},"weight_count":{ROW},"bond_count":{ROW}}}"#,
			uid as u128 * 1_000_000_123,
			uid as u64 * 244_140_625_000_000,
			999_999_999_999_999_999u64 - uid as u64,
			uid as u64 * 3,
			uid as u64 * 7,
			uid as u64 * 11,
			uid as u128 * 2_441_406,
			1000 + uid,
			uid,
			8000 + uid % 1000,
		);
	}
	out.push_str("]}");
	out
}

fn parse_and_render(c: &mut Criterion) {
	let answer = synthetic_answer();
	let token = Token::default();
	let mut group = c.benchmark_group("parse_and_render");
	group.sample_size(20).measurement_time(Duration::from_secs(10));
	group.bench_function("4096/table", |b| {
		b.iter(|| {
			let graph = metagraph::parse(black_box(&answer)).unwrap().unwrap();
			black_box(metagraph::table(&graph, &token))
		})
	});
	group.bench_function("4096/json", |b| {
		b.iter(|| {
			let graph = metagraph::parse(black_box(&answer)).unwrap().unwrap();
			black_box(metagraph::json(&graph, &token))
		})
	});
	group.finish();
}

/// What `neuron metagraph` does after connecting: one call, parsed, rendered as a table.
async fn render(node: &Rpc, netuid: u16) -> String {
	let graph = ops::metagraph(node, netuid).await.unwrap();
	metagraph::table(&graph, &node.token)
}

fn rpc_to_table(c: &mut Criterion) {
	let Ok(url) = std::env::var("NEURON_BENCH_URL") else {
		eprintln!(
			"rpc_to_table: set NEURON_BENCH_URL (scripts/bench-metagraph.sh does) to time it"
		);
		return;
	};
	let netuid: u16 =
		std::env::var("NEURON_BENCH_NETUID").ok().and_then(|n| n.parse().ok()).unwrap_or(1);
	let runtime = tokio::runtime::Runtime::new().unwrap();
	let node = runtime.block_on(Rpc::connect(&url)).unwrap();
	let table = runtime.block_on(render(&node, netuid));
	let rows = table.lines().count().saturating_sub(2);
	eprintln!("rpc_to_table: subnet {netuid} has {rows} neurons");
	let mut group = c.benchmark_group("rpc_to_table");
	group.sample_size(20).measurement_time(Duration::from_secs(10));
	group.bench_function(format!("{rows}"), |b| {
		b.iter(|| black_box(runtime.block_on(render(&node, netuid))))
	});
	group.finish();
}

criterion_group!(benches, parse_and_render, rpc_to_table);
criterion_main!(benches);

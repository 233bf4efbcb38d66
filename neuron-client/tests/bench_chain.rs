//! `neuron bench chain`, the chain's load generator, at a small scale against a real dev node:
//! it must register every hotkey through `utility` batches, get every honest row into a
//! block, have the pool refuse every spam transaction (none reaching a block), run the full
//! subnet's epoch and read the subnet back. The figures at full scale are in docs/PERFORMANCE.md; this
//! checks that the tool producing them counts what it claims to count.

mod common;

use common::{num, Env};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_load_generator_fills_a_subnet_and_the_pool_refuses_its_spam() {
	let env = Env::start().await;
	let pid = env.node.pid().to_string();
	#[rustfmt::skip]
	let report = env.json(&[
		"bench", "chain", "--netuid", "3", "--neurons", "48", "--late", "16", "--row", "16",
		"--spam-unregistered", "40", "--spam-repeats", "30", "--in-flight", "32",
		"--node-pid", &pid, "--json",
	]);
	let field = |path: &str| -> &Value {
		report.pointer(path).unwrap_or_else(|| panic!("no {path} in {report}"))
	};
	assert_eq!(num(field("/registered")), 64.0, "every hotkey registered");

	// Every honest row is accepted by the pool and lands in a block.
	for (wave, sent) in [("load", 48.0), ("spam", 16.0)] {
		for counted in ["honest_sent", "honest_accepted", "honest_included"] {
			assert_eq!(num(field(&format!("/{wave}/{counted}"))), sent, "{wave} {counted}");
		}
		let blocks = field(&format!("/{wave}/blocks")).as_array().unwrap();
		let rows: f64 = blocks.iter().map(|b| num(&b["weights_set"])).sum();
		assert_eq!(rows, sent, "{wave}: rows in the blocks read: {blocks:?}");
		assert_eq!(num(field(&format!("/{wave}/spam_included"))), 0.0);
	}

	// Every spam transaction is refused at submission, with the pallet error's name.
	assert_eq!(num(field("/spam/unregistered_sent")), 40.0);
	assert_eq!(num(field("/spam/unregistered_refused")), 40.0);
	assert_eq!(num(field("/spam/repeats_sent")), 30.0);
	assert_eq!(num(field("/spam/repeats_refused")), 30.0);
	let reasons = field("/spam/refusals").to_string();
	assert!(reasons.contains("Bittensor::NotRegistered"), "{reasons}");
	assert!(reasons.contains("Bittensor::SettingWeightsTooFast"), "{reasons}");
	assert!(!reasons.contains("honest:"), "no honest row may be refused: {reasons}");

	// The epoch ran over every neuron and every entry, and the subnet reads back.
	assert_eq!(num(field("/epoch/neurons")), 64.0);
	assert_eq!(num(field("/epoch/weight_entries")), 64.0 * 16.0);
	assert!(num(field("/read/metagraph_bytes")) > 0.0);
	assert_eq!(num(field("/read/pages")), 1.0);
	assert!(num(field("/node/cpu_seconds")) > 0.0 && num(field("/node/rss_mb")) > 10.0);

	// The chain agrees, read independently of the tool: 64 rows of 16 weights.
	use jsonrpsee::{core::client::ClientT, rpc_params};
	let page: Value =
		env.node.rpc().unwrap().request("bittensor_getWeights", rpc_params![3]).await.unwrap();
	let rows = page["rows"].as_array().unwrap();
	assert_eq!(rows.len(), 64);
	assert!(rows.iter().all(|r| r["weights"].as_array().unwrap().len() == 16), "{page}");
}

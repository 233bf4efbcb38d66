//! A block explorer's view: @polkadot/api (npm) reads pallet-bittensor's storage and decodes
//! its events from the runtime's metadata alone (`tests/js/explorer.mjs`).

use bittensor_e2e::{wait_for_heights, Node};
use serde_json::Value;
use std::{path::Path, process::Command, time::Duration};

#[tokio::test]
async fn polkadot_js_decodes_storage_and_events_from_metadata() {
	let js = Path::new(env!("CARGO_MANIFEST_DIR")).join("js");
	assert!(
		js.join("node_modules/@polkadot/api").exists(),
		"run `npm ci --prefix tests/js` first (scripts/test.sh does)"
	);
	let logs = tempfile::tempdir().unwrap();
	let mut node = Node::start(&["--dev", "--tmp"], logs.path(), "dev").unwrap();
	wait_for_heights(&mut node, 1, 0, Duration::from_secs(90)).await.unwrap();

	let url = format!("ws://127.0.0.1:{}", node.rpc_port);
	let output = tokio::task::spawn_blocking(move || {
		Command::new("node").arg(js.join("explorer.mjs")).arg(url).output()
	})
	.await
	.unwrap()
	.expect("running node (Node.js)");
	assert!(
		output.status.success(),
		"explorer.mjs failed: {}\n{}",
		String::from_utf8_lossy(&output.stderr),
		node.log_tail()
	);
	let report: Value = serde_json::from_slice(&output.stdout).expect("one JSON object");

	assert_eq!(report["tempo"], 10);
	assert_eq!(report["kappa"], "50.00%");
	let calls: Vec<&str> =
		report["calls"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
	for call in [
		"createSubnet",
		"setHyperparameters",
		"register",
		"serveAxon",
		"addStake",
		"removeStake",
		"setWeights",
	] {
		assert!(calls.contains(&call), "metadata lacks bittensor.{call}");
	}
	let event = &report["event"];
	assert_eq!(event["section"], "bittensor");
	assert_eq!(event["method"], "EpochCompleted");
	assert_eq!(event["fields"], serde_json::json!(["netuid", "emitted", "payout"]));
	assert_eq!(event["netuid"], 1);
	// The dev chain has no stake yet: the epoch mints nothing and says so.
	assert_eq!(event["emitted"], "0");
	assert_eq!(event["payout"], "Nothing");
}

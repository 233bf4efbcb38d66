//! Four validators tolerate one fault in finality too: a chain spec made from `local` plus
//! Dave (exported with `build-spec`, edited as JSON, started with `--chain <spec.json>`, which
//! is how an operator launches a network of their own), one validator killed, the other three
//! keep producing *and finalizing*, and the killed one rejoins without losing anything.

use bittensor_e2e::{
	block_hash, dev_public_key, free_port, heights, node_binary, wait_for_heights,
};
use bittensor_e2e::{Network, Node};
use serde_json::{json, Value};
use std::{process::Command, time::Duration};

const TIMEOUT: Duration = Duration::from_secs(150);

/// The `local` chain spec with Dave added as an Aura and GRANDPA authority.
fn four_validator_spec(path: &std::path::Path) {
	let output = Command::new(node_binary().unwrap())
		.args(["build-spec", "--chain", "local"])
		.output()
		.unwrap();
	assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
	let mut spec: Value = serde_json::from_slice(&output.stdout).unwrap();
	let patch = &mut spec["genesis"]["runtimeGenesis"]["patch"];
	let aura = patch["aura"]["authorities"].as_array_mut().expect("aura authorities in the spec");
	assert_eq!(aura.len(), 3, "local has alice, bob and charlie");
	aura.push(json!(dev_public_key("//Dave", "sr25519").unwrap()));
	let grandpa = patch["grandpa"]["authorities"].as_array_mut().expect("grandpa authorities");
	grandpa.push(json!([dev_public_key("//Dave", "ed25519").unwrap(), 1]));
	spec["id"] = json!("bittensor_local_four");
	std::fs::write(path, serde_json::to_vec_pretty(&spec).unwrap()).unwrap();
}

#[tokio::test]
async fn four_validators_keep_finalizing_with_one_down() {
	let dir = tempfile::tempdir().unwrap();
	let spec = dir.path().join("four.json");
	four_validator_spec(&spec);
	let mut net = Network::new(dir.path(), spec.to_str().unwrap());
	let mut alice = net.start("alice", 1, free_port().unwrap(), free_port().unwrap()).unwrap();
	let (bob_rpc, bob_p2p) = (free_port().unwrap(), free_port().unwrap());
	let mut bob = net.start("bob", 2, bob_rpc, bob_p2p).unwrap();
	let mut charlie = net.start("charlie", 3, free_port().unwrap(), free_port().unwrap()).unwrap();
	let mut dave = net.start("dave", 4, free_port().unwrap(), free_port().unwrap()).unwrap();

	for node in [&mut alice, &mut bob, &mut charlie, &mut dave] {
		wait_for_heights(node, 4, 2, TIMEOUT).await.unwrap();
	}

	// Bob crashes; three of four voters are more than two thirds, so finality goes on.
	bob.kill();
	let (best_at_crash, finalized_at_crash) = heights(&alice.rpc().unwrap()).await.unwrap();
	let survivors: [&mut Node; 3] = [&mut alice, &mut charlie, &mut dave];
	for node in survivors {
		wait_for_heights(node, best_at_crash + 3, best_at_crash + 1, TIMEOUT).await.unwrap();
	}
	let (_, finalized_without_bob) = heights(&alice.rpc().unwrap()).await.unwrap();
	assert!(finalized_without_bob > finalized_at_crash);
	let anchor = block_hash(&alice.rpc().unwrap(), finalized_without_bob).await.unwrap();

	// Bob comes back on his base path and catches up to what was finalized without him.
	let mut bob = net.start("bob", 2, bob_rpc, bob_p2p).unwrap();
	wait_for_heights(&mut bob, finalized_without_bob, finalized_without_bob, TIMEOUT)
		.await
		.unwrap();
	for node in [&alice, &bob, &charlie, &dave] {
		let hash = block_hash(&node.rpc().unwrap(), finalized_without_bob).await.unwrap();
		assert_eq!(hash, anchor, "block {finalized_without_bob} differs on {}", node.rpc_port);
	}
}

//! Three validators (alice, bob, charlie) on 127.0.0.1 running `--chain local`.

use bittensor_e2e::{block_hash, heights, peer_id, wait_for_heights, Node};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(120);

#[tokio::test]
async fn three_validators_peer_finalize_survive_a_crash_and_catch_up() {
	let dir = tempfile::tempdir().unwrap();
	let key = dir.path().join("alice.key");
	std::fs::write(&key, "0000000000000000000000000000000000000000000000000000000000000001")
		.unwrap();
	let alice_id = peer_id(&key).unwrap();
	let base = |name: &str| dir.path().join(name).to_str().unwrap().to_string();

	let alice_p2p = bittensor_e2e::free_port().unwrap();
	let alice_base = base("alice");
	let key_path = key.to_str().unwrap().to_string();
	let mut alice = Node::start_on(
		&["--chain", "local", "--alice", "--base-path", &alice_base, "--node-key-file", &key_path],
		dir.path(),
		"alice",
		bittensor_e2e::free_port().unwrap(),
		alice_p2p,
	)
	.unwrap();
	let bootnode = format!("/ip4/127.0.0.1/tcp/{alice_p2p}/p2p/{alice_id}");
	// Validators on a non-dev chain must bring their own network keys.
	let peer_args = |who: &'static str, base_path: String| {
		let key = dir.path().join(format!("{who}.key"));
		let secret = if who == "bob" { "02" } else { "03" };
		std::fs::write(&key, format!("{:0>64}", secret)).unwrap();
		vec![
			"--chain".to_string(),
			"local".into(),
			format!("--{who}"),
			"--base-path".into(),
			base_path,
			"--node-key-file".into(),
			key.to_str().unwrap().to_string(),
			"--bootnodes".into(),
			bootnode.clone(),
		]
	};
	let start = |who: &'static str, rpc: u16, p2p: u16| {
		let args = peer_args(who, base(who));
		let args: Vec<&str> = args.iter().map(String::as_str).collect();
		Node::start_on(&args, dir.path(), who, rpc, p2p).unwrap()
	};
	let mut bob =
		start("bob", bittensor_e2e::free_port().unwrap(), bittensor_e2e::free_port().unwrap());
	let (charlie_rpc, charlie_p2p) =
		(bittensor_e2e::free_port().unwrap(), bittensor_e2e::free_port().unwrap());
	let mut charlie = start("charlie", charlie_rpc, charlie_p2p);

	// All three peer, produce and finalize.
	for node in [&mut alice, &mut bob, &mut charlie] {
		wait_for_heights(node, 4, 2, TIMEOUT).await.unwrap();
	}
	let (_, finalized_before) = heights(&alice.rpc().unwrap()).await.unwrap();
	let anchor = block_hash(&alice.rpc().unwrap(), finalized_before).await.unwrap();

	// Charlie crashes: Alice and Bob keep producing blocks in their Aura slots.
	charlie.kill();
	let (best_at_crash, _) = heights(&alice.rpc().unwrap()).await.unwrap();
	wait_for_heights(&mut alice, best_at_crash + 2, 0, TIMEOUT).await.unwrap();
	wait_for_heights(&mut bob, best_at_crash + 2, 0, TIMEOUT).await.unwrap();

	// Charlie restarts on the same base path, catches up, and finality moves on for all.
	let mut charlie = start("charlie", charlie_rpc, charlie_p2p);
	let (best_now, _) = heights(&alice.rpc().unwrap()).await.unwrap();
	for node in [&mut alice, &mut bob, &mut charlie] {
		wait_for_heights(node, best_now, finalized_before + 3, TIMEOUT).await.unwrap();
	}

	// Nobody lost or rewrote a block: the anchor is the same everywhere.
	for node in [&alice, &bob, &charlie] {
		let hash = block_hash(&node.rpc().unwrap(), finalized_before).await.unwrap();
		assert_eq!(hash, anchor, "block {finalized_before} differs on {}", node.rpc_port);
	}
}

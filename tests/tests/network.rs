//! Three validators (alice, bob, charlie) on 127.0.0.1 running `--chain local`.
//!
//! GRANDPA finalizes with votes from more than two thirds of its voters' weight; with three
//! equal voters that is all three, so while one of them is down blocks are still produced (Aura)
//! but finality waits for it to come back. `fault_tolerance.rs` shows four validators finalizing
//! through the loss of one.

use bittensor_e2e::{block_hash, free_port, heights, wait_for_heights, Network};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(120);

#[tokio::test]
async fn three_validators_peer_finalize_survive_a_crash_and_catch_up() {
	let dir = tempfile::tempdir().unwrap();
	let mut net = Network::new(dir.path(), "local");
	let mut alice = net.start("alice", 1, free_port().unwrap(), free_port().unwrap()).unwrap();
	let mut bob = net.start("bob", 2, free_port().unwrap(), free_port().unwrap()).unwrap();
	let (charlie_rpc, charlie_p2p) = (free_port().unwrap(), free_port().unwrap());
	let mut charlie = net.start("charlie", 3, charlie_rpc, charlie_p2p).unwrap();

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
	let mut charlie = net.start("charlie", 3, charlie_rpc, charlie_p2p).unwrap();
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

//! The real node: a dev chain produces and finalizes blocks, keeps them across a restart, and
//! serves the market through `bittensor_getMetagraph`.

use bittensor_e2e::{free_port, heights, wait_for_heights, Node};
use jsonrpsee::{core::client::ClientT, rpc_params};
use serde_json::Value;
use std::time::Duration;

#[tokio::test]
async fn dev_chain_produces_and_finalizes_blocks() {
	let logs = tempfile::tempdir().unwrap();
	let mut node = Node::start(&["--dev", "--tmp"], logs.path(), "dev").unwrap();
	let (best, finalized) =
		wait_for_heights(&mut node, 3, 2, Duration::from_secs(90)).await.unwrap();
	assert!(best >= finalized);

	// The development preset's subnet 1, through the node's own RPC.
	let client = node.rpc().unwrap();
	let metagraph: Value =
		client.request("bittensor_getMetagraph", rpc_params![1u16]).await.unwrap();
	assert_eq!(metagraph["netuid"], 1);
	assert_eq!(metagraph["hyperparameters"]["tempo"], 10);
	let missing: Value =
		client.request("bittensor_getMetagraph", rpc_params![77u16]).await.unwrap();
	assert!(missing.is_null());
}

#[tokio::test]
async fn restart_keeps_the_chain() {
	let logs = tempfile::tempdir().unwrap();
	let base = tempfile::tempdir().unwrap();
	let base_path = base.path().to_str().unwrap().to_string();
	let args = ["--dev", "--base-path", base_path.as_str()];

	let mut node = Node::start(&args, logs.path(), "first").unwrap();
	let (_, finalized) = wait_for_heights(&mut node, 4, 3, Duration::from_secs(90)).await.unwrap();
	let client = node.rpc().unwrap();
	let hash: Value = client.request("chain_getBlockHash", rpc_params![finalized]).await.unwrap();
	node.kill();

	let mut node = Node::start(&args, logs.path(), "second").unwrap();
	let client = node.rpc().unwrap();
	// The old blocks are still there (same hash) and the chain goes on from them.
	let mut same = Value::Null;
	for _ in 0..60 {
		if let Ok(h) =
			client.request::<Value, _>("chain_getBlockHash", rpc_params![finalized]).await
		{
			same = h;
			break;
		}
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
	assert_eq!(same, hash, "block {finalized} changed across the restart");
	let (best, _) = wait_for_heights(&mut node, finalized + 2, finalized, Duration::from_secs(90))
		.await
		.unwrap();
	assert!(best > finalized);
	let _ = heights(&client).await.unwrap();
}

#[tokio::test]
async fn a_node_whose_rpc_port_is_taken_is_still_found() {
	let logs = tempfile::tempdir().unwrap();
	// Something else holds the port the node is given (as any socket of a busy CI machine may,
	// between `free_port` and the node's start): the node serves on another one, and `Node`
	// follows it.
	let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
	let taken = holder.local_addr().unwrap().port();
	let node = Node::start_on(&["--dev", "--tmp"], logs.path(), "dev", taken, free_port().unwrap())
		.unwrap();
	assert_ne!(node.rpc_port, taken);
	let (best, finalized) = heights(&node.rpc().unwrap()).await.unwrap();
	assert!(best >= finalized);
}

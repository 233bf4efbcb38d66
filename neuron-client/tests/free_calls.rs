//! A registered hotkey's `serve_axon` and `set_weights` are free, and the pool keeps their
//! spam out, against a real dev node: an unfunded registered hotkey serves and sets weights
//! with the `neuron` CLI; an unregistered account's call, a too-fast repeat and a second queued
//! `set_weights` are refused at submission with a named reason, leaving the nonce unchanged;
//! a better-staked hotkey's `set_weights` goes before a lesser one's in the same block.
//!
//! Calls the CLI would refuse by itself (it checks registration and rate limits first) are
//! submitted through the library, so that the node's pool is what refuses them.

mod common;

use common::{ss58, Env};
use neuron_client::{
	chain::{describe_refusal, runtime, Chain, Signed},
	wallet::{address, keypair_from_secret},
};
use subxt::tx::TransactionStatus;
use subxt_signer::sr25519::Keypair;

const TAO: u128 = 1_000_000_000;

type Progress = subxt::tx::TransactionProgress<
	neuron_client::chain::Config,
	subxt::client::OnlineClientAtBlockImpl<neuron_client::chain::Config>,
>;

/// Submits `tx` and waits for its block: (block hash, index in the block).
async fn in_block(tx: Signed) -> (String, usize) {
	wait(tx.submit_and_watch().await.expect("submitted")).await
}

/// Waits for a submitted transaction's block: (block hash, index in the block).
async fn wait(mut progress: Progress) -> (String, usize) {
	while let Some(status) = progress.next().await {
		match status.expect("status") {
			TransactionStatus::InBestBlock(block) => {
				let events = block.wait_for_success().await.expect("dispatched");
				return (format!("{:?}", block.block_hash()), events.extrinsic_index());
			},
			TransactionStatus::Invalid { message }
			| TransactionStatus::Dropped { message }
			| TransactionStatus::Error { message } => panic!("transaction failed: {message}"),
			_ => {},
		}
	}
	panic!("the node stopped reporting");
}

/// Signs `call` with `signer`'s next nonce.
async fn sign<C: subxt::tx::Payload>(chain: &Chain, call: &C, signer: &Keypair) -> Signed {
	let nonce = chain.next_nonce(&address(signer)).await.unwrap();
	chain.sign_with_nonce(call, signer, nonce).await.unwrap()
}

/// Submits `tx`, which the pool must refuse; returns the refusal in words.
async fn refused(chain: &Chain, tx: Signed) -> String {
	match tx.submit().await {
		Ok(hash) => panic!("the pool accepted {hash:?}"),
		Err(error) => describe_refusal(&chain.metadata, error),
	}
}

/// Sets subnet 1's `weights_rate_limit` through sudo with the CLI.
fn weights_rate_limit(env: &Env, blocks: &str) {
	env.set_subnet(1, &["--weights-rate-limit", blocks]).ok();
}

fn weights(netuid: u16, uids: Vec<u16>) -> impl subxt::tx::Payload {
	let values = vec![1; uids.len()];
	runtime::tx().bittensor().set_weights(netuid, uids, values, 0)
}

#[tokio::test]
async fn registered_hotkeys_call_for_free_and_the_pool_refuses_spam() {
	let env = Env::start().await;
	let chain = Chain::connect(&env.url()).await.unwrap();
	let alice = keypair_from_secret("//Alice").unwrap();
	env.import_alice();
	let free_ss58 = env.add_hotkey("alice", "free", "//Alice//free");

	// Three hotkeys of Alice's registered in subnet 1 (uids 0, 1, 2), each with the subnet's
	// minimum stake to set weights or more (stake is the coldkey's: the hotkeys hold nothing).
	let [free, whale, minnow] = ["free", "whale", "minnow"]
		.map(|name| keypair_from_secret(&format!("//Alice//{name}")).unwrap());
	let tx = runtime::tx();
	let mut nonce = chain.next_nonce(&address(&alice)).await.unwrap();
	let mut pending = Vec::new();
	for call in [
		tx.bittensor().register(1, address(&free), u128::MAX),
		tx.bittensor().register(1, address(&whale), u128::MAX),
		tx.bittensor().register(1, address(&minnow), u128::MAX),
	] {
		pending.push(chain.sign_with_nonce(&call, &alice, nonce).await.unwrap());
		nonce += 1;
	}
	for (hotkey, amount) in [(&free, TAO), (&whale, 100 * TAO), (&minnow, TAO)] {
		let call = tx.bittensor().add_stake(address(hotkey), amount);
		pending.push(chain.sign_with_nonce(&call, &alice, nonce).await.unwrap());
		nonce += 1;
	}
	for tx in pending {
		in_block(tx).await;
	}

	// The unfunded registered hotkey serves its axon and sets weights with the CLI, and still
	// holds nothing: no fee was taken.
	assert_eq!(chain.free_balance(&address(&free)).await.unwrap(), 0);
	env.serve_axon("alice", "free", 1, "127.0.0.1", "9123").ok();
	env.set_weights("alice", "free", 1, "1,2", "1,1").ok();
	assert_eq!(chain.free_balance(&address(&free)).await.unwrap(), 0);
	assert_eq!(env.nonce(&free_ss58).await, 2);
	let graph = env.json(&["metagraph", "--netuid", "1", "--json"]);
	let row = &graph[0];
	assert_eq!(row["axon"].as_str(), Some("127.0.0.1:9123"), "{row}");

	// An unregistered account is refused before the pool, with the named reason, whether it
	// holds nothing or plenty; its nonce does not move.
	for uri in ["//Alice//stranger", "//Bob"] {
		let stranger = keypair_from_secret(uri).unwrap();
		let before = env.nonce(&ss58(uri)).await;
		let reason = refused(&chain, sign(&chain, &weights(1, vec![0, 1]), &stranger).await).await;
		assert!(reason.contains("Bittensor::NotRegistered"), "{uri}: {reason}");
		let axon = tx.bittensor().serve_axon(1, 1, 0x7f00_0001, 9000, 4, 0);
		let reason = refused(&chain, sign(&chain, &axon, &stranger).await).await;
		assert!(reason.contains("Bittensor::NotRegistered"), "{uri}: {reason}");
		assert_eq!(env.nonce(&ss58(uri)).await, before, "{uri}");
	}

	// A too-fast repeat is refused at submission: the free hotkey set weights a moment ago and
	// the subnet now asks for 1,000 blocks between updates; so is a second axon within the
	// runtime's serving rate limit.
	weights_rate_limit(&env, "1000");
	let reason = refused(&chain, sign(&chain, &weights(1, vec![1, 2]), &free).await).await;
	assert!(reason.contains("Bittensor::SettingWeightsTooFast"), "{reason}");
	let axon = tx.bittensor().serve_axon(1, 1, 0x7f00_0001, 9124, 4, 0);
	let reason = refused(&chain, sign(&chain, &axon, &free).await).await;
	assert!(reason.contains("Bittensor::ServingTooFast"), "{reason}");
	assert_eq!(env.nonce(&free_ss58).await, 2);

	// One queued set_weights per hotkey and subnet: the whale's second (next nonce) is refused
	// while its first waits for a block, and only the first lands.
	let first_nonce = chain.next_nonce(&address(&whale)).await.unwrap();
	let first = chain.sign_with_nonce(&weights(1, vec![0, 2]), &whale, first_nonce).await.unwrap();
	let second =
		chain.sign_with_nonce(&weights(1, vec![0, 1]), &whale, first_nonce + 1).await.unwrap();
	let watching = tokio::spawn(in_block(first));
	// Let the first reach the pool before the second follows.
	tokio::time::sleep(std::time::Duration::from_millis(300)).await;
	let reason = refused(&chain, second).await;
	assert!(reason.contains("already has a transaction of the same kind"), "{reason}");
	watching.await.unwrap();
	assert_eq!(env.nonce(&ss58("//Alice//whale")).await, first_nonce + 1);

	// Priority follows stake: the minnow submits first, the whale right after; in their block
	// the whale's transaction comes first. (Tried again if a block falls between the two.)
	weights_rate_limit(&env, "0");
	let mut ordered = None;
	for _ in 0..3 {
		let low = sign(&chain, &weights(1, vec![0, 1]), &minnow).await;
		let high = sign(&chain, &weights(1, vec![1, 2]), &whale).await;
		let low = low.submit_and_watch().await.unwrap();
		let high = high.submit_and_watch().await.unwrap();
		let (low, high) = tokio::join!(wait(low), wait(high));
		if low.0 == high.0 {
			ordered = Some((high.1, low.1));
			break;
		}
	}
	let (whale_index, minnow_index) = ordered.expect("both transactions in one block");
	assert!(whale_index < minnow_index, "whale at {whale_index}, minnow at {minnow_index}");
}

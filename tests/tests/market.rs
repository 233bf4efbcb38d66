//! Signed extrinsics built by subxt from the runtime's metadata drive the market on a real dev
//! node; the epoch's stored results equal what the pallet's own math predicts from the
//! chain's state one block earlier.

use bittensor_e2e::{predict_epoch, wait_for_heights, Node};
use codec::Decode;
use jsonrpsee::{core::client::ClientT, rpc_params};
use serde_json::Value;
use std::time::Duration;
use subxt::{
	dynamic::{self, Value as Dyn},
	OnlineClient, PolkadotConfig,
};
use subxt_signer::sr25519::{dev, Keypair};

const TAO: u128 = 1_000_000_000;
const NETUID: u16 = 1;

type Api = OnlineClient<PolkadotConfig>;

/// Signs `call` with `signer`, waits for finality and returns the dispatch outcome as text
/// (`Ok` or the error, which names the pallet error).
async fn submit(
	api: &Api,
	call: subxt::transactions::DynamicPayload<Vec<Dyn>>,
	signer: &Keypair,
) -> Result<(), String> {
	let at = api.at_current_block().await.map_err(|e| e.to_string())?;
	let progress = at
		.transactions()
		.sign_and_submit_then_watch_default(&call, signer)
		.await
		.map_err(|e| e.to_string())?;
	progress.wait_for_finalized_success().await.map(|_| ()).map_err(|e| format!("{e}"))
}

fn call(name: &str, fields: Vec<Dyn>) -> subxt::transactions::DynamicPayload<Vec<Dyn>> {
	dynamic::transaction("Bittensor", name, fields)
}

fn id(pair: &Keypair) -> Dyn {
	Dyn::from_bytes(pair.public_key().0)
}

fn u64_of(v: &Value) -> u64 {
	v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

async fn metagraph(node: &Node, at: &Value) -> Value {
	bittensor_e2e::metagraph_with_rows(&node.rpc().unwrap(), NETUID, at).await.unwrap()
}

#[tokio::test]
async fn extrinsics_drive_an_epoch_that_matches_the_pallet_math() {
	let logs = tempfile::tempdir().unwrap();
	let mut node = Node::start(&["--dev", "--tmp"], logs.path(), "dev").unwrap();
	wait_for_heights(&mut node, 1, 0, Duration::from_secs(90)).await.unwrap();
	let api = Api::from_insecure_url(format!("ws://127.0.0.1:{}", node.rpc_port)).await.unwrap();

	let (alice, bob, charlie) = (dev::alice(), dev::bob(), dev::charlie());
	let (dave, eve, ferdie) = (dev::dave(), dev::eve(), dev::ferdie());

	// Coldkeys register hotkeys, one at a time so that the uids are 0, 1, 2.
	for (coldkey, hotkey) in [(&alice, &dave), (&bob, &eve), (&charlie, &ferdie)] {
		let max_burn = Dyn::u128(u128::MAX);
		submit(
			&api,
			call("register", vec![Dyn::u128(NETUID as u128), id(hotkey), max_burn]),
			coldkey,
		)
		.await
		.unwrap();
	}

	// Stake on two hotkeys; every neuron serves an axon.
	let axon = |pair: &Keypair, port: u128| {
		(
			call(
				"serve_axon",
				vec![
					Dyn::u128(NETUID as u128),
					Dyn::u128(1),
					Dyn::u128(0x7f00_0001),
					Dyn::u128(port),
					Dyn::u128(4),
					Dyn::u128(0),
				],
			),
			pair.clone(),
		)
	};
	let mut round = vec![
		(call("add_stake", vec![id(&dave), Dyn::u128(100 * TAO)]), alice.clone()),
		(call("add_stake", vec![id(&eve), Dyn::u128(100 * TAO)]), bob.clone()),
	];
	round.extend([axon(&dave, 8091), axon(&eve, 8092), axon(&ferdie, 8093)]);
	let results =
		futures::future::join_all(round.iter().map(|(c, s)| submit(&api, c.clone(), s))).await;
	for r in results {
		r.unwrap();
	}

	// docs/MECHANISM.md's worked example: uids 0 and 1 both back uid 2 and each other.
	let weights = |uids: [u128; 2]| {
		call(
			"set_weights",
			vec![
				Dyn::u128(NETUID as u128),
				Dyn::unnamed_composite(uids.map(Dyn::u128)),
				Dyn::unnamed_composite([Dyn::u128(65535), Dyn::u128(16384)]),
				Dyn::u128(0),
			],
		)
	};
	// A duplicate uid is refused by the pool before any block, with the index of the
	// pallet's named error as its custom code, changing nothing. (Sent before dave's first row:
	// the subnet's weights rate limit is checked before the row itself.)
	let client = node.rpc().unwrap();
	let error = submit(&api, weights([1, 1]), &dave).await.unwrap_err();
	let code: u8 = error
		.split("custom error: ")
		.nth(1)
		.and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
		.and_then(|digits| digits.parse().ok())
		.unwrap_or_else(|| panic!("not a pool refusal: {error}"));
	let metadata = api.at_current_block().await.unwrap().metadata();
	let pallet = metadata.pallet_by_name("Bittensor").unwrap();
	assert_eq!(pallet.error_variant_by_index(code).map(|v| v.name.as_str()), Some("DuplicateUids"));
	let head: Value = client.request("chain_getFinalizedHead", rpc_params![]).await.unwrap();
	let row = metagraph(&node, &head).await["neurons"][0]["weights"].clone();
	assert!(row.as_array().is_none_or(|r| r.is_empty()), "a refused row landed: {row}");

	let results = futures::future::join_all([
		submit(&api, weights([2, 1]), &dave),
		submit(&api, weights([2, 0]), &eve),
	])
	.await;
	for r in results {
		r.unwrap();
	}
	let head: Value = client.request("chain_getFinalizedHead", rpc_params![]).await.unwrap();
	let set_at = metagraph(&node, &head).await;
	let row_before = set_at["neurons"][0]["weights"].clone();
	assert_eq!(row_before, serde_json::json!([[1, 16384], [2, 65535]]));
	assert_eq!(set_at["neurons"][2]["axon"]["port"], 8093);

	// Wait for an epoch after the weights: (block + 1) % 10 == 0 for subnet 1.
	let set_block = u64_of(&set_at["neurons"][0]["last_update"]);
	let epoch_block = (set_block + 1).div_ceil(10) * 10 - 1;
	let epoch_block = if epoch_block <= set_block { epoch_block + 10 } else { epoch_block };
	wait_for_heights(&mut node, epoch_block, epoch_block, Duration::from_secs(120)).await.unwrap();
	let hash_at = |n: u64| {
		let client = client.clone();
		async move {
			let h: Value = client.request("chain_getBlockHash", rpc_params![n]).await.unwrap();
			h
		}
	};
	let mut before = metagraph(&node, &hash_at(epoch_block - 1).await).await;
	// Stake counts once held across an epoch: if it arrived after the last one, this epoch
	// counts none of it and mints nothing, as predicted; the next one pays.
	let mut epoch_block = epoch_block;
	if predict_epoch(&before, epoch_block).unwrap().output.total_emitted == 0 {
		let after = metagraph(&node, &hash_at(epoch_block).await).await;
		let minted: u64 =
			after["neurons"].as_array().unwrap().iter().map(|n| u64_of(&n["emission"])).sum();
		assert_eq!(minted, 0, "stake not yet held across an epoch earned: {after}");
		epoch_block += 10;
		wait_for_heights(&mut node, epoch_block, epoch_block, Duration::from_secs(120))
			.await
			.unwrap();
		before = metagraph(&node, &hash_at(epoch_block - 1).await).await;
	}
	let after_hash = hash_at(epoch_block).await;
	let after = metagraph(&node, &after_hash).await;
	assert_eq!(u64_of(&after["last_epoch_block"]), epoch_block);

	// The prediction: the pallet's own epoch over the state one block earlier.
	let prediction = predict_epoch(&before, epoch_block).unwrap();
	let (stake, predicted) = (&prediction.stake_before, &prediction.output);
	assert_eq!(predicted.total_emitted, 10 * TAO);

	// Emission and Stake, read through subxt's dynamic storage from metadata.
	let at_epoch = api.at_block(epoch_block as u32).await.unwrap();
	let emission = at_epoch
		.storage()
		.fetch(dynamic::storage::<(u16,), Vec<u128>>("Bittensor", "Emission"), (NETUID,))
		.await
		.unwrap()
		.decode()
		.unwrap();
	assert_eq!(emission, predicted.emission);
	for (uid, pair) in [&dave, &eve, &ferdie].into_iter().enumerate() {
		let stake_after = at_epoch
			.storage()
			.fetch(
				dynamic::storage::<([u8; 32],), u128>("Bittensor", "Stake"),
				(pair.public_key().0,),
			)
			.await
			.unwrap()
			.decode()
			.unwrap();
		assert_eq!(stake_after, stake[uid] + predicted.emission[uid], "stake of uid {uid}");
	}
	// uid 2 (backed by everyone) earns the most, as in the worked example.
	assert!(predicted.emission[2] > predicted.emission[0]);

	// The epoch event, decoded by its metadata names.
	let events = at_epoch.events().fetch().await.unwrap();
	let epoch = events
		.iter()
		.map(|e| e.unwrap())
		.find(|e| e.pallet_name() == "Bittensor" && e.event_name() == "EpochCompleted")
		.expect("an EpochCompleted event in the epoch block");
	let (netuid, emitted, payout) = <(u16, u128, u8)>::decode(&mut epoch.field_bytes()).unwrap();
	assert_eq!((netuid, emitted, payout), (NETUID, 10 * TAO, 0));
}

//! Collusion loses below one half, on a running chain, under both mechanisms. Under `Paper`
//! (subnets 1 and 2, switched and created with `--mechanism paper`) a cabal weights only its own
//! members while the honest group weights only theirs: the 30% cabal of subnet 1 loses share and
//! the 60% cabal of subnet 2 wins it. Under `Clipped` (subnet 3) the honest rows give each cabal
//! member 1%, as learning neurons give every peer a little (the weights that defeat the paper's
//! sigmoid), and the 30% cabal's share still falls every epoch. Weights are set with the `neuron`
//! CLI. After every epoch each neuron's stake on chain equals, to the planck, what the pallet's
//! own epoch function computes from the state one block earlier.

mod common;

use common::Env;
use jsonrpsee::{core::client::ClientT, rpc_params};
use serde_json::Value;
use std::time::{Duration, Instant};

const EPOCHS: usize = 3;

fn num(v: &Value) -> u64 {
	v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

async fn metagraph(env: &Env, netuid: u16, at: Option<&Value>) -> Value {
	let rpc = env.node.rpc().unwrap();
	let at = at.cloned().unwrap_or(Value::Null);
	bittensor_e2e::metagraph_with_rows(&rpc, netuid, &at).await.unwrap()
}

async fn hash(env: &Env, block: u64) -> Value {
	env.node.rpc().unwrap().request("chain_getBlockHash", rpc_params![block]).await.unwrap()
}

/// The cabal's share of the subnet's stake.
fn cabal_share(graph: &Value, cabal: &[String]) -> f64 {
	let ns = graph["neurons"].as_array().unwrap();
	let total: u64 = ns.iter().map(|n| num(&n["stake"])).sum();
	let held: u64 = ns
		.iter()
		.filter(|n| cabal.iter().any(|c| n["hotkey"] == c.as_str()))
		.map(|n| num(&n["stake"]))
		.sum();
	held as f64 / total as f64
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cabal_below_one_half_loses_stake_and_above_it_wins() {
	let env = Env::start().await;
	env.import_alice();
	env.set_subnet(1, &["--mechanism", "paper"]).ok();
	env.create_subnet(2, &["--tempo", "10", "--mechanism", "paper"]).ok();
	env.create_subnet(3, &["--tempo", "10", "--mechanism", "clipped"]).ok();
	// Per subnet: two honest and two cabal members (stake in tokens), and the share of each
	// honest row that goes to each cabal member.
	let plans: [(u16, [u32; 2], [u32; 2], f64); 3] =
		[(1, [35, 35], [15, 15], 0.0), (2, [20, 20], [30, 30], 0.0), (3, [35, 35], [15, 15], 0.01)];
	let mut cabals = Vec::new();
	for (netuid, honest, cabal, to_cabal) in plans {
		let mut members = Vec::new();
		for (group, stakes) in [("h", honest), ("c", cabal)] {
			for (i, stake) in stakes.iter().enumerate() {
				let name = format!("s{netuid}{group}{i}");
				let key = env.register_and_stake(&name, netuid, &stake.to_string());
				members.push((name, group, key));
			}
		}
		// Each member weights the other member of its own group; an honest one also gives each
		// cabal member `to_cabal` of its row.
		let graph = metagraph(&env, netuid, None).await;
		let uid_of = |key: &str| {
			graph["neurons"]
				.as_array()
				.unwrap()
				.iter()
				.find(|n| n["hotkey"] == key)
				.map(|n| num(&n["uid"]))
				.unwrap()
		};
		let cabal_uids: Vec<String> =
			members.iter().filter(|m| m.1 == "c").map(|m| uid_of(&m.2).to_string()).collect();
		for (name, group, key) in &members {
			let partner = members.iter().find(|(_, g, k)| g == group && k != key).unwrap();
			let mut uids = vec![uid_of(&partner.2).to_string()];
			let mut values = vec![1.0 - 2.0 * to_cabal];
			if *group == "h" && to_cabal > 0.0 {
				uids.extend(cabal_uids.iter().cloned());
				values.extend([to_cabal, to_cabal]);
			}
			let values: Vec<String> = values.iter().map(f64::to_string).collect();
			env.set_weights("alice", name, netuid, &uids.join(","), &values.join(",")).ok();
		}
		let cabal: Vec<String> =
			members.iter().filter(|m| m.1 == "c").map(|m| m.2.clone()).collect();
		cabals.push((
			netuid,
			cabal,
			cabal_share(
				&graph,
				&members.iter().filter(|m| m.1 == "c").map(|m| m.2.clone()).collect::<Vec<_>>(),
			),
		));
	}

	// Follow both subnets epoch by epoch, together.
	struct Followed {
		netuid: u16,
		cabal: Vec<String>,
		initial: f64,
		seen: u64,
		shares: Vec<f64>,
	}
	let mut followed = Vec::new();
	for (netuid, cabal, initial) in cabals {
		let seen = num(&metagraph(&env, netuid, None).await["last_epoch_block"]);
		followed.push(Followed { netuid, cabal, initial, seen, shares: vec![initial] });
	}
	let started = Instant::now();
	while followed.iter().any(|f| f.shares.len() <= EPOCHS) {
		// Every subnet's epoch, checked against the pallet's own prediction.
		for f in followed.iter_mut().filter(|f| f.shares.len() <= EPOCHS) {
			let epoch = num(&metagraph(&env, f.netuid, None).await["last_epoch_block"]);
			if epoch > f.seen {
				f.seen = epoch;
				let before = metagraph(&env, f.netuid, Some(&hash(&env, epoch - 1).await)).await;
				let after = metagraph(&env, f.netuid, Some(&hash(&env, epoch).await)).await;
				let stake: Vec<u128> = after["neurons"]
					.as_array()
					.unwrap()
					.iter()
					.map(|n| u128::from(num(&n["stake"])))
					.collect();
				assert_eq!(
					stake,
					bittensor_e2e::predict_epoch(&before, epoch).unwrap().stake_after(),
					"subnet {}, epoch at block {epoch}",
					f.netuid
				);
				f.shares.push(cabal_share(&after, &f.cabal));
			}
		}
		assert!(started.elapsed() < Duration::from_secs(360), "epochs stopped");
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
	for f in followed {
		let (initial, shares) = (f.initial, &f.shares);
		eprintln!("subnet {}: cabal share by epoch {shares:?}", f.netuid);
		let last = *shares.last().unwrap();
		if f.netuid == 3 {
			for pair in shares.windows(2) {
				assert!(
					pair[1] < pair[0],
					"under clipping the cabal loses every epoch: {shares:?}"
				);
			}
		}
		if initial < 0.5 {
			assert!(last < initial, "a {initial:.2} cabal must lose share: {shares:?}");
		} else {
			assert!(
				last > initial,
				"a {initial:.2} cabal wins share, the honest lose it: {shares:?}"
			);
		}
	}
}

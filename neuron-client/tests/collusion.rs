//! Collusion loses below one half, on a running chain, under both mechanisms. Under `Paper`
//! (subnets 1 and 2, switched and created with `--mechanism paper`) a cabal weights only its own
//! members while the honest group weights only theirs: the 30% cabal of subnet 1 loses share and
//! the 60% cabal of subnet 2 wins it. Under `Clipped` (subnet 3) the honest rows give each cabal
//! member 1%, as learning neurons give every peer a little (the weights that defeat the paper's
//! sigmoid), and the 30% cabal's share still falls every epoch. Weights are set with the `neuron`
//! CLI (the three subnets set up at once, by three dev accounts). After every epoch each neuron's stake on chain equals, to the planck, what the pallet's
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

/// One subnet of the experiment: the dev account that registers and stakes its members (one
/// per subnet, so the three are set up at once without sharing a nonce), the stakes (in
/// tokens) of its two honest and two cabal members, and the share of each honest row that goes
/// to each cabal member.
struct Plan {
	netuid: u16,
	account: &'static str,
	honest: [u32; 2],
	cabal: [u32; 2],
	to_cabal: f64,
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cabal_below_one_half_loses_stake_and_above_it_wins() {
	let env = Env::start().await;
	env.import_alice();
	// A 5-block tempo: an epoch every 30 s, so three epochs pass in a minute and a half.
	env.set_subnet(1, &["--mechanism", "paper", "--tempo", "5"]).ok();
	env.create_subnet(2, &["--tempo", "5", "--mechanism", "paper"]).ok();
	env.create_subnet(3, &["--tempo", "5", "--mechanism", "clipped"]).ok();
	let plans = [
		Plan { netuid: 1, account: "Alice", honest: [35, 35], cabal: [15, 15], to_cabal: 0.0 },
		Plan { netuid: 2, account: "Bob", honest: [20, 20], cabal: [30, 30], to_cabal: 0.0 },
		Plan { netuid: 3, account: "Charlie", honest: [35, 35], cabal: [15, 15], to_cabal: 0.01 },
	];
	for plan in &plans[1..] {
		env.import_dev_wallet(&plan.account.to_lowercase(), &format!("//{}", plan.account));
	}
	// (name, group, hotkey) of each member, per subnet.
	let registered: Vec<Vec<(String, &str, String)>> = std::thread::scope(|scope| {
		let setups: Vec<_> = plans
			.iter()
			.map(|&Plan { netuid, account, honest, cabal, .. }| {
				let env = &env;
				scope.spawn(move || {
					let wallet = account.to_lowercase();
					let mut members = Vec::new();
					for (group, stakes) in [("h", honest), ("c", cabal)] {
						for (i, stake) in stakes.iter().enumerate() {
							let name = format!("s{netuid}{group}{i}");
							let key = env.register_and_stake_as(
								&wallet,
								&format!("//{account}"),
								&name,
								netuid,
								&stake.to_string(),
							);
							members.push((name, group, key));
						}
					}
					members
				})
			})
			.collect();
		setups.into_iter().map(|setup| setup.join().unwrap()).collect()
	});
	let mut cabals = Vec::new();
	let mut rows = Vec::new();
	for (&Plan { netuid, account, to_cabal, .. }, members) in plans.iter().zip(&registered) {
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
		for (name, group, key) in members {
			let partner = members.iter().find(|(_, g, k)| g == group && k != key).unwrap();
			let mut uids = vec![uid_of(&partner.2).to_string()];
			let mut values = vec![1.0 - 2.0 * to_cabal];
			if *group == "h" && to_cabal > 0.0 {
				uids.extend(cabal_uids.iter().cloned());
				values.extend([to_cabal, to_cabal]);
			}
			let values: Vec<String> = values.iter().map(f64::to_string).collect();
			rows.push((
				account.to_lowercase(),
				name.clone(),
				netuid,
				uids.join(","),
				values.join(","),
			));
		}
		let cabal: Vec<String> =
			members.iter().filter(|m| m.1 == "c").map(|m| m.2.clone()).collect();
		cabals.push((netuid, cabal));
	}
	// Every hotkey signs its own row: all twelve go out at once.
	std::thread::scope(|scope| {
		for (wallet, name, netuid, uids, values) in &rows {
			let env = &env;
			scope.spawn(move || {
				env.set_weights(wallet, name, *netuid, uids, values).ok();
			});
		}
	});

	// Follow the subnets epoch by epoch, together. Stake counts in an epoch only once held
	// since the one before, and the three subnets' stakes arrived at different blocks: the
	// first epoch after the weights are set is the baseline (every stake held from then on),
	// the next `EPOCHS` are judged.
	struct Followed {
		netuid: u16,
		cabal: Vec<String>,
		seen: u64,
		shares: Vec<f64>,
	}
	let mut followed = Vec::new();
	for (netuid, cabal) in cabals {
		let seen = num(&metagraph(&env, netuid, None).await["last_epoch_block"]);
		followed.push(Followed { netuid, cabal, seen, shares: Vec::new() });
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
		assert!(started.elapsed() < Duration::from_secs(240), "epochs stopped");
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
	for f in followed {
		let (initial, shares) = (f.shares[0], &f.shares);
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

//! Collusion loses below one half, on a running chain. In subnet 1 a cabal holds 30% of the
//! stake and weights only its own members while the honest 70% weight only theirs; in subnet 2
//! the cabal holds 60%. Weights are set with the `neuron` CLI. After every epoch the chain's
//! stake equals, to the planck, what the pallet's own epoch function computes from the state
//! one block earlier; over the epochs the 30% cabal's share falls, and with 60% the honest
//! share falls instead.

mod common;

use common::{ss58, Env};
use jsonrpsee::{core::client::ClientT, rpc_params};
use pallet_bittensor::math::{
	epoch::{run_epoch, EpochInput, EpochParams},
	fixed::ONE,
};
use serde_json::Value;
use std::time::{Duration, Instant};

const PW: &str = "pw\n";
const EPOCHS: usize = 3;

fn num(v: &Value) -> u64 {
	v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// The stake the pallet's epoch function predicts after the epoch of `block`, from the
/// metagraph one block earlier.
fn predict(before: &Value, block: u64) -> Vec<u128> {
	let neurons = before["neurons"].as_array().unwrap();
	let stake: Vec<u128> = neurons.iter().map(|n| u128::from(num(&n["stake"]))).collect();
	let rows = |field: &str| -> Vec<Vec<(u16, u64)>> {
		neurons
			.iter()
			.map(|n| {
				n[field]
					.as_array()
					.unwrap()
					.iter()
					.map(|e| (num(&e[0]) as u16, num(&e[1])))
					.collect()
			})
			.collect()
	};
	let weights: Vec<Vec<(u16, u16)>> = rows("weights")
		.into_iter()
		.map(|r| r.into_iter().map(|(j, w)| (j, w as u16)).collect())
		.collect();
	let bonds = rows("bonds");
	let last_update: Vec<u64> = neurons.iter().map(|n| num(&n["last_update"])).collect();
	let registered_at: Vec<u64> = neurons.iter().map(|n| num(&n["registered_at"])).collect();
	let hp = &before["hyperparameters"];
	let params = EpochParams {
		block,
		activity_cutoff: num(&hp["activity_cutoff"]),
		last_epoch_block: num(&before["last_epoch_block"]),
		rho: u128::from(num(&hp["rho"])) * ONE,
		kappa: u128::from(num(&hp["kappa"])) * (ONE / 1_000_000_000),
		bonds_moving_average: u128::from(num(&hp["bonds_moving_average"])) * (ONE / 1_000_000_000),
		emission: u128::from(num(&hp["tempo"])) * u128::from(num(&hp["emission_per_block"])),
		max_bonds_per_row: 256,
	};
	let out = run_epoch(
		&params,
		&EpochInput {
			stake: &stake,
			weights: &weights,
			bonds: &bonds,
			last_update: &last_update,
			registered_at: &registered_at,
		},
	);
	stake.iter().zip(&out.emission).map(|(s, e)| s + e).collect()
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
	env.neuron(
		&["wallet", "regen", "--wallet", "alice", "--uri", "//Alice", "--password-stdin"],
		PW,
	)
	.ok();
	env.neuron(
		&[
			"subnet",
			"create",
			"--wallet",
			"alice",
			"--netuid",
			"2",
			"--tempo",
			"10",
			"--password-stdin",
		],
		PW,
	)
	.ok();
	// Per subnet: two honest and two cabal members, stake in tokens.
	let plans: [(u16, [u32; 2], [u32; 2]); 2] = [(1, [35, 35], [15, 15]), (2, [20, 20], [30, 30])];
	let mut cabals = Vec::new();
	for (netuid, honest, cabal) in plans {
		let mut members = Vec::new();
		for (group, stakes) in [("h", honest), ("c", cabal)] {
			for (i, stake) in stakes.iter().enumerate() {
				let name = format!("s{netuid}{group}{i}");
				let uri = format!("//Alice//{name}");
				env.neuron(
					&[
						"wallet", "regen", "--wallet", "alice", "--hotkey", &name, "--key",
						"hotkey", "--uri", &uri,
					],
					"",
				)
				.ok();
				let base = ["--wallet", "alice", "--hotkey", &name];
				let netuid_s = netuid.to_string();
				env.neuron(
					&[&base[..], &["register", "--netuid", &netuid_s, "--password-stdin"]].concat(),
					PW,
				)
				.ok();
				let stake = stake.to_string();
				env.neuron(
					&[&base[..], &["stake", "add", "--amount", &stake, "--password-stdin"]]
						.concat(),
					PW,
				)
				.ok();
				members.push((name, group, ss58(&uri)));
			}
		}
		// Each member weights only the other member of its own group.
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
		for (name, group, key) in &members {
			let partner = members.iter().find(|(_, g, k)| g == group && k != key).unwrap();
			let netuid_s = netuid.to_string();
			let uid = uid_of(&partner.2).to_string();
			env.neuron(
				&[
					"weights", "set", "--wallet", "alice", "--hotkey", name, "--netuid", &netuid_s,
					"--uids", &uid, "--values", "1",
				],
				"",
			)
			.ok();
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
					predict(&before, epoch),
					"subnet {}, epoch at block {epoch}",
					f.netuid
				);
				f.shares.push(cabal_share(&after, &f.cabal));
			}
		}
		assert!(started.elapsed() < Duration::from_secs(300), "epochs stopped");
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
	for f in followed {
		let (initial, shares) = (f.initial, &f.shares);
		eprintln!("subnet {}: cabal share by epoch {shares:?}", f.netuid);
		let last = *shares.last().unwrap();
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

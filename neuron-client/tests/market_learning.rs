//! Information pays, on a running network: two honest trainers and one `--serve-noise` neuron
//! run `neuron run` against a real dev node. The trainers value each other above the noise and
//! say so with their own `set_weights` (this test sets no weights), and the chain pays each
//! trainer more than the noise neuron. A nominator backs every neuron alike and earns on the
//! learning neurons it backs.

mod common;

use common::{num, ss58, Env, NeuronProcess, PASSWORD};
use serde_json::Value;
use std::time::{Duration, Instant};

/// `neuron run` in subnet 1 as Alice's `hotkey`, small and quick, with `extra` flags.
fn start(env: &Env, hotkey: &str, extra: &[&str]) -> NeuronProcess {
	let port = bittensor_e2e::free_port().unwrap().to_string();
	let args = ["--netuid", "1", "--axon-port", &port, "--dim", "32", "--threads", "1"];
	let sync = ["--sync-secs", "2", "--log-every", "50"];
	NeuronProcess::start(env, "alice", hotkey, &[&args[..], &sync, extra].concat())
}

fn weight(row: &Value, uid: u64) -> u64 {
	row.as_array()
		.and_then(|r| r.iter().find(|e| e[0].as_u64() == Some(uid)))
		.and_then(|e| e[1].as_u64())
		.unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn honest_trainers_earn_more_than_a_noise_neuron() {
	let env = Env::start().await;
	env.import_alice();
	// A nominator: a coldkey of its own that runs no neuron.
	env.neuron(
		&["wallet", "regen", "--wallet", "fan", "--uri", "//Fan", "--password-stdin"],
		PASSWORD,
	)
	.ok();
	env.transfer(&ss58("//Fan"), "200").ok();
	let mut hotkeys = Vec::new();
	for name in ["honest0", "honest1", "noise"] {
		// Equal stake (the owner's 100 and the nominator's 10 on each), so only the weights
		// tell the neurons apart.
		let hotkey = env.register_and_stake(name, 1, "100");
		env.add_stake("fan", &hotkey, "10").ok();
		hotkeys.push(hotkey);
	}
	let text = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/tinyshakespeare.txt");
	let data: Vec<&str> =
		if std::path::Path::new(text).exists() { vec!["--data", text] } else { Vec::new() };
	let small = ["--batch", "8", "--seq-len", "32"];
	let neurons = [
		start(&env, "honest0", &[&data[..], &small, &["--shard", "0/2"]].concat()),
		start(&env, "honest1", &[&data[..], &small, &["--shard", "1/2"]].concat()),
		start(&env, "noise", &["--serve-noise"]),
	];

	let rpc = env.node.rpc().unwrap();
	let started = Instant::now();
	let mut preferred_at = None;
	loop {
		let g: Value = bittensor_e2e::metagraph_with_rows(&rpc, 1, &Value::Null).await.unwrap();
		let ns = g["neurons"].as_array().unwrap();
		let uid = |name: &str| {
			let key = ss58(&format!("//Alice//{name}"));
			ns.iter().find(|n| n["hotkey"] == key.as_str()).and_then(|n| n["uid"].as_u64())
		};
		if let (Some(h0), Some(h1), Some(noise)) = (uid("honest0"), uid("honest1"), uid("noise")) {
			let n = |uid: u64| &ns[uid as usize];
			let emission = |uid: u64| n(uid)["emission"].as_u64().unwrap_or(0);
			// Each trainer's own row puts the other trainer above the noise neuron...
			let prefers = weight(&n(h0)["weights"], h1) > weight(&n(h0)["weights"], noise)
				&& weight(&n(h1)["weights"], h0) > weight(&n(h1)["weights"], noise);
			// ...and an epoch after such rows were written paid each trainer more. (The rows
			// seen now may be newer than the last epoch: a neuron re-sets its row every epoch
			// and can land in the epoch block itself, so remember when preferring rows were
			// first seen.)
			let last_update = |uid: u64| n(uid)["last_update"].as_u64().unwrap_or(u64::MAX);
			if prefers && preferred_at.is_none() {
				preferred_at = Some(last_update(h0).max(last_update(h1)));
			}
			let epoch = g["last_epoch_block"].as_u64().unwrap_or(0);
			let rows_counted = preferred_at.is_some_and(|at| epoch > at);
			let pays = emission(h0) > emission(noise) && emission(h1) > emission(noise);
			if prefers && rows_counted && pays {
				eprintln!(
					"after {:.0} s: emission honest0 {} honest1 {} noise {}; rows {} / {}",
					started.elapsed().as_secs_f64(),
					emission(h0),
					emission(h1),
					emission(noise),
					n(h0)["weights"],
					n(h1)["weights"]
				);
				break;
			}
		}
		assert!(
			started.elapsed() < Duration::from_secs(480),
			"no epoch paid the trainers more within 8 minutes:\n{g:#}\nhonest0:\n{}\nhonest1:\n{}\nnoise:\n{}",
			neurons[0].tail(15),
			neurons[1].tail(15),
			neurons[2].tail(15)
		);
		tokio::time::sleep(Duration::from_secs(2)).await;
	}
	for neuron in &neurons[..2] {
		let log = neuron.output();
		assert!(log.contains("weights set"), "the trainer set no weights itself:\n{log}");
	}
	// The nominator's positions on the learning neurons earned (its share of their pay, less
	// the owner's 18% take).
	let positions = env.json(&["stake", "list", "--wallet", "fan", "--json"]);
	for hotkey in &hotkeys[..2] {
		let position = positions
			.as_array()
			.unwrap()
			.iter()
			.find(|p| p["ss58"] == hotkey.as_str())
			.unwrap_or_else(|| panic!("no position on {hotkey}: {positions}"));
		assert_eq!(position["nominated"], true);
		assert!(num(&position["earned"]) > 0.0, "the nominator earned nothing: {position}");
	}
}

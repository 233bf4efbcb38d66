//! `neuron run` against a real dev node, as real processes: a `--serve-noise` neuron registers
//! itself, a learning neuron (registered and staked beforehand, as a validator would be) takes
//! its place, both record their axons, exchange tensors, and the learner writes its own weight
//! row with `set_weights`.

mod common;

use common::{ss58, Env, NeuronProcess};
use serde_json::Value;
use std::time::{Duration, Instant};

/// `neuron run` in subnet 1 as Alice's `hotkey`, its axon on 127.0.0.1:`port`, with `extra`
/// flags.
fn start(env: &Env, hotkey: &str, port: u16, extra: &[&str]) -> NeuronProcess {
	let port = port.to_string();
	let args = ["--netuid", "1", "--axon-ip", "127.0.0.1", "--axon-port", &port];
	let small = ["--dim", "32", "--threads", "1"];
	NeuronProcess::start(env, "alice", hotkey, &[&args[..], &small, extra].concat())
}

#[tokio::test(flavor = "multi_thread")]
async fn neuron_run_registers_serves_and_sets_its_own_weights() {
	let env = Env::start().await;
	env.import_alice();
	for name in ["noise", "learner"] {
		// The hotkeys hold no balance: once registered, their serve_axon and set_weights are
		// free.
		env.add_hotkey("alice", name, &format!("//Alice//{name}"));
	}
	// Subnet 1 asks for 1 TAO of stake behind a weight row: Alice's coldkey registers the
	// learner and stakes on it (the hotkey itself still holds nothing).
	env.register("alice", "learner", 1).ok();
	env.add_stake("alice", "learner", "2").ok();
	let (noise_port, learner_port) =
		(bittensor_e2e::free_port().unwrap(), bittensor_e2e::free_port().unwrap());
	let mut noise = start(&env, "noise", noise_port, &["--serve-noise"]);
	let checkpoint = env.dir.path().join("checkpoint");
	let mut learner = start(
		&env,
		"learner",
		learner_port,
		&[
			"--batch",
			"4",
			"--seq-len",
			"16",
			"--sync-secs",
			"1",
			"--log-every",
			"20",
			"--checkpoint",
			checkpoint.to_str().unwrap(),
		],
	);

	// The noise neuron registers itself; both record their axons; the learner asks the noise
	// neuron, values it, and sets its weights in subnet 1 by itself.
	let rpc = env.node.rpc().unwrap();
	let (noise_key, learner_key) = (ss58("//Alice//noise"), ss58("//Alice//learner"));
	let started = Instant::now();
	let (graph, learner_uid, noise_uid) = loop {
		let graph: Value = bittensor_e2e::metagraph_with_rows(&rpc, 1, &Value::Null).await.unwrap();
		let find = |key: &str| {
			graph["neurons"].as_array().unwrap().iter().find(|n| n["hotkey"] == key).cloned()
		};
		if let (Some(l), Some(n)) = (find(&learner_key), find(&noise_key)) {
			let served = |n: &Value| !n["axon"].is_null();
			if served(&l) && served(&n) && !l["weights"].as_array().unwrap().is_empty() {
				let (lu, nu) = (l["uid"].as_u64().unwrap(), n["uid"].as_u64().unwrap());
				break (graph, lu, nu);
			}
		}
		assert!(
			started.elapsed() < Duration::from_secs(180),
			"no weights from the learner after 180 s\nlearner:\n{}\nnoise:\n{}",
			learner.output(),
			noise.output()
		);
		tokio::time::sleep(Duration::from_secs(1)).await;
	};
	let neurons = graph["neurons"].as_array().unwrap();
	let me = &neurons[learner_uid as usize];
	let other = &neurons[noise_uid as usize];
	assert_eq!(me["axon"]["port"].as_u64(), Some(u64::from(learner_port)));
	assert_eq!(other["axon"]["port"].as_u64(), Some(u64::from(noise_port)));
	assert_eq!(me["axon"]["ip"].as_u64(), Some(0x7f00_0001));
	// Its row names the peer it valued, with the largest weight, and not itself.
	let row = me["weights"].as_array().unwrap();
	assert_eq!(row[0][0].as_u64(), Some(noise_uid), "weights: {row:?}");
	assert_eq!(row[0][1].as_u64(), Some(65535));
	assert!(me["last_update"].as_u64().unwrap() > 0);
	// The neuron logs its row once it has read the transaction's events, which can be a moment
	// after the row shows on chain.
	let logged = Instant::now();
	while !learner.output().contains("weights set") && logged.elapsed() < Duration::from_secs(30) {
		tokio::time::sleep(Duration::from_millis(200)).await;
	}
	let output = learner.output();
	assert!(output.contains("weights set"), "{output}");
	assert!(noise.output().contains("registered"), "{}", noise.output());

	// SIGTERM stops both cleanly; the learner saves a checkpoint first.
	let status = learner.terminate();
	assert!(status.success(), "learner exit {status:?}:\n{}", learner.output());
	assert!(checkpoint.join("model.safetensors").exists());
	assert!(learner.output().contains("checkpoint saved"));
	assert!(noise.terminate().success(), "noise exit:\n{}", noise.output());
}

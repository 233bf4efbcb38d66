//! Any model joins the market: encoders written and trained in PyTorch, exported as TorchScript
//! by `scripts/export-model.py` (as a miner would), served and trained by `neuron run --model`
//! against a real dev node, and every model that breaks the contract refused by name before
//! anything reaches the chain.

mod common;

use common::{export_model, ss58, Env, NeuronProcess, PASSWORD};
use neuron_client::serve::{
	dendrite::{Dendrite, DendriteConfig, Target},
	protocol::{Hotkey, Scope, Signer},
	tensor::{self, DType, Tensor},
};
use serde_json::Value;
use std::{
	path::Path,
	str::FromStr,
	time::{Duration, Instant},
};

/// `neuron run` in subnet 1 as Alice's `hotkey`, small and quick, with `extra` flags, on a
/// free port; returns it and its axon's port once it listens (or has failed otherwise). A port
/// found free can be taken by a concurrent test before the neuron binds it: then it starts
/// again on another.
fn start(env: &Env, hotkey: &str, extra: &[&str]) -> (NeuronProcess, u16) {
	for _ in 0..5 {
		let port = bittensor_e2e::free_port().unwrap();
		let axon_port = port.to_string();
		let args = ["--netuid", "1", "--axon-port", &axon_port, "--dim", "32", "--threads", "1"];
		let quick = ["--sync-secs", "2", "--log-every", "25", "--min-caller-stake", "0"];
		let neuron =
			NeuronProcess::start(env, "alice", hotkey, &[&args[..], &quick, extra].concat());
		let deadline = Instant::now() + Duration::from_secs(180);
		loop {
			let log = neuron.output();
			if log.contains("Address already in use") {
				break;
			}
			if log.contains("axon listening") || log.contains("error:") || Instant::now() > deadline
			{
				return (neuron, port);
			}
			std::thread::sleep(Duration::from_millis(200));
		}
	}
	panic!("no free port for {hotkey}'s axon in five tries");
}

fn keypair(uri: &str) -> subxt_signer::sr25519::Keypair {
	subxt_signer::sr25519::Keypair::from_uri(&subxt_signer::SecretUri::from_str(uri).unwrap())
		.unwrap()
}

/// The uid of `//Alice//<name>` in `graph`, if registered.
fn uid(graph: &Value, name: &str) -> Option<u64> {
	let key = ss58(&format!("//Alice//{name}"));
	graph["neurons"]
		.as_array()?
		.iter()
		.find(|n| n["hotkey"] == key.as_str())
		.and_then(|n| n["uid"].as_u64())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_model_that_breaks_the_contract_is_refused_by_name_and_nothing_reaches_the_chain() {
	let env = Env::start().await;
	env.import_alice();
	let hotkey = env.add_hotkey("alice", "byo", "//Alice//byo");
	let dir = env.dir.path().join("models");
	std::fs::create_dir_all(&dir).unwrap();
	let garbage = dir.join("garbage.pt");
	std::fs::write(&garbage, b"this is not a TorchScript archive").unwrap();
	let missing = dir.join("missing.pt");
	// (model, extra flags, exit status, the error's name)
	let mut cases = vec![
		(missing, vec![], 10, "model_unreadable"),
		(garbage, vec![], 11, "model_not_torchscript"),
	];
	let bad = |kind: &str| export_model(&dir, kind, &["--dim", "32", "--bad", kind]);
	cases.extend([
		(bad("forwardfails"), vec![], 12, "model_forward_failed"),
		(bad("tuple"), vec![], 13, "model_not_a_tensor"),
		(bad("rank2"), vec![], 14, "model_wrong_rank"),
		(bad("wrongshape"), vec![], 15, "model_wrong_shape"),
		(bad("wrongdim"), vec![], 16, "model_wrong_dim"),
		(bad("integer"), vec![], 17, "model_integer_output"),
		(bad("double"), vec![], 18, "model_unsupported_dtype"),
		(bad("nan"), vec![], 19, "model_not_finite"),
		(bad("inf"), vec![], 19, "model_not_finite"),
		(bad("noncausal"), vec![], 20, "model_not_causal"),
		(
			export_model(&dir, "slow", &["--dim", "32", "--bad", "slow", "--slow-ms", "400"]),
			vec!["--model-deadline-ms", "100"],
			21,
			"model_too_slow",
		),
		(bad("trainfails"), vec![], 23, "model_train_failed"),
		(bad("halfparams"), vec![], 22, "model_untrainable"),
	]);
	for (model, extra, code, name) in &cases {
		let model = model.to_str().unwrap();
		let args = [
			"--wallet",
			"alice",
			"--hotkey",
			"byo",
			"--password-stdin",
			"run",
			"--netuid",
			"1",
			"--dim",
			"32",
			"--seq-len",
			"32",
			"--batch",
			"4",
			"--threads",
			"1",
			"--model",
			model,
		];
		let run = env.neuron(&[&args[..], extra].concat(), PASSWORD);
		run.fails_with(&[name]);
		assert_eq!(run.code, Some(*code), "{name}: exit status\n{}", run.stderr);
	}
	// A half-precision model is served as it is with --freeze (nothing of it trains).
	let half = cases.last().unwrap().0.to_str().unwrap().to_string();
	let (mut frozen, _) = start(&env, "byo", &["--model", &half, "--freeze", "--steps", "3"]);
	let deadline = Instant::now() + Duration::from_secs(120);
	while !frozen.output().contains("stopped") {
		assert!(
			Instant::now() < deadline,
			"the frozen half model did not run:\n{}",
			frozen.tail(30)
		);
		std::thread::sleep(Duration::from_millis(300));
	}
	assert!(frozen.terminate().success() || frozen.output().contains("stopped"));
	let log = frozen.output();
	assert!(log.contains("the model meets the contract"), "{log}");
	assert!(log.contains("trains=false"), "{log}");
	// Every refusal came before registering: only the frozen run registered the hotkey, once.
	let graph = env.json(&["metagraph", "--netuid", "1", "--json"]);
	let registered = graph
		.as_array()
		.map_or(0, |ns| ns.iter().filter(|n| n["hotkey"] == hotkey.as_str()).count());
	assert_eq!(registered, 1, "{graph}");
}

/// Reads the inputs and outputs `export-model.py --reference` wrote.
fn reference(path: &Path) -> (Tensor, Tensor) {
	let bytes = std::fs::read(path).unwrap();
	let [inputs, outputs] = tensor::decode(&bytes, ["inputs", "outputs"]).unwrap();
	(inputs, outputs)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_model_pretrained_in_pytorch_earns_more_than_fresh_builtins_which_earn_more_than_noise() {
	let env = Env::start().await;
	env.import_alice();
	// Two fresh built-in neurons, so that every learner is rated by two others: with one rater
	// each, two learners that rate each other first are paid alike whatever they know.
	for name in ["pretrained", "fresh0", "fresh1", "noise"] {
		// Equal stake, so only the weights tell them apart.
		env.register_and_stake(name, 1, "100");
	}
	// The market and the miner's Python training must read the same text: the shared
	// Shakespeare, or where a checkout lacks it, the prose of Python's reference manual.
	let shared = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/tinyshakespeare.txt");
	let prose = env.dir.path().join("prose.txt");
	if !Path::new(shared).exists() {
		let script = concat!(
			"import sys; from pydoc_data.topics import topics; ",
			"open(sys.argv[1], 'w').write('\\n'.join(topics[k] for k in sorted(topics)))"
		);
		let out = std::process::Command::new("python3")
			.args(["-c", script, prose.to_str().unwrap()])
			.output()
			.unwrap();
		assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
	}
	let text = if Path::new(shared).exists() { shared } else { prose.to_str().unwrap() };
	let data = ["--data", text];
	// The miner's side: the built-in architecture written in PyTorch, trained in Python on the
	// same text with the shared readout term, exported with a reference answer.
	let dir = env.dir.path().join("models");
	std::fs::create_dir_all(&dir).unwrap();
	let reference_file = dir.join("reference.safetensors");
	let trained = Instant::now();
	let model = export_model(
		&dir,
		"pretrained",
		&[
			&["--arch", "builtin", "--dim", "32", "--steps", "400", "--seq-len", "32"][..],
			&data.iter().map(|a| if *a == "--data" { "--text" } else { a }).collect::<Vec<_>>(),
			&["--reference", reference_file.to_str().unwrap()],
		]
		.concat(),
	);
	eprintln!("trained and exported in Python in {:.0} s", trained.elapsed().as_secs_f64());
	let small = ["--batch", "8", "--seq-len", "32"];
	let model = model.to_str().unwrap();
	let (pretrained, fresh0, fresh1, noise) = (
		start(&env, "pretrained", &[&data[..], &small, &["--model", model, "--freeze"]].concat()),
		start(
			&env,
			"fresh0",
			&[&data[..], &small, &["--wire-dtype", "bf16", "--shard", "0/2"]].concat(),
		),
		start(&env, "fresh1", &[&data[..], &small, &["--shard", "1/2"]].concat()),
		start(&env, "noise", &["--serve-noise"]),
	);
	let ports = [pretrained.1, fresh0.1, fresh1.1, noise.1];
	let neurons = [pretrained.0, fresh0.0, fresh1.0, noise.0];

	// What the frozen neuron serves is exactly what PyTorch computed for the same inputs.
	let (inputs, expected) = reference(&reference_file);
	let rpc = env.node.rpc().unwrap();
	let genesis = bittensor_e2e::block_hash(&rpc, 0).await.unwrap();
	let genesis = genesis.as_str().map(str::to_string);
	let dendrite = |scope: Scope| {
		Dendrite::new(
			Signer::new(&keypair("//Alice//noise")),
			DendriteConfig { timeout: Duration::from_secs(10), scope, ..Default::default() },
		)
	};
	let scope = Scope { genesis: scope_genesis(genesis.as_deref()), netuid: 1 };
	let dendrite = dendrite(scope);
	let target = |name: &str, port: u16| Target {
		uid: 0,
		hotkey: Hotkey(keypair(&format!("//Alice//{name}")).public_key().0),
		addr: format!("127.0.0.1:{port}").parse().unwrap(),
	};
	let started = Instant::now();
	let answer = loop {
		let answers = dendrite.forward(&[target("pretrained", ports[0])], &inputs, 32).await;
		match &answers[0].result {
			Ok(t) => break (t.clone(), answers[0].wire),
			Err(e) => {
				assert!(
					started.elapsed() < Duration::from_secs(120),
					"the frozen model never answered ({e}):\n{}",
					neurons[0].tail(20)
				);
				tokio::time::sleep(Duration::from_millis(500)).await;
			},
		}
	};
	assert_eq!(answer.1, Some(DType::F32));
	let (got, want) = (answer.0.as_f32().unwrap(), expected.as_f32().unwrap());
	assert_eq!(answer.0.shape, expected.shape);
	let worst = got.iter().zip(want).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
	assert!(worst < 1e-4, "the served answer differs from PyTorch's by up to {worst}");
	// The fresh neuron answers in BF16, as it chose; the dendrite hands it over as F32.
	let started = Instant::now();
	loop {
		let answers = dendrite.forward(&[target("fresh0", ports[1])], &inputs, 32).await;
		if answers[0].result.is_ok() {
			assert_eq!(answers[0].wire, Some(DType::BF16));
			break;
		}
		assert!(started.elapsed() < Duration::from_secs(120), "{}", neurons[1].tail(20));
		tokio::time::sleep(Duration::from_millis(500)).await;
	}

	// The market pays them in that order, once their rows have counted in an epoch.
	let started = Instant::now();
	let mut rows_at = None;
	let mut epochs_seen = Vec::new();
	loop {
		let g: Value = bittensor_e2e::metagraph_with_rows(&rpc, 1, &Value::Null).await.unwrap();
		let epoch = g["last_epoch_block"].as_u64().unwrap_or(0);
		let uids = ["pretrained", "fresh0", "fresh1", "noise"].map(|name| uid(&g, name));
		if let [Some(p), Some(f0), Some(f1), Some(n)] = uids {
			let neuron = |uid: u64| &g["neurons"][uid as usize];
			let emission = |uid: u64| neuron(uid)["emission"].as_u64().unwrap_or(0);
			let has_row =
				|uid: u64| neuron(uid)["weights"].as_array().is_some_and(|r| !r.is_empty());
			let last_update = |uid: u64| neuron(uid)["last_update"].as_u64().unwrap_or(u64::MAX);
			if [p, f0, f1].into_iter().all(has_row) && rows_at.is_none() {
				rows_at = [p, f0, f1].into_iter().map(last_update).max();
			}
			if rows_at.is_some_and(|at| epoch > at) && epochs_seen.last() != Some(&epoch) {
				epochs_seen.push(epoch);
				let (ep, e0, e1, en) = (emission(p), emission(f0), emission(f1), emission(n));
				eprintln!(
					"epoch at block {epoch} ({:.0} s): pretrained {ep} fresh {e0} / {e1} noise \
					 {en} (pretrained / best fresh {:.3}); rows {} / {} / {}",
					started.elapsed().as_secs_f64(),
					ep as f64 / e0.max(e1).max(1) as f64,
					neuron(p)["weights"],
					neuron(f0)["weights"],
					neuron(f1)["weights"]
				);
				if ep > e0.max(e1) && e0.min(e1) > en {
					eprintln!("the order held in epoch {} after the first rows", epochs_seen.len());
					break;
				}
			}
		}
		assert!(
			started.elapsed() < Duration::from_secs(480) && epochs_seen.len() < 6,
			"no epoch paid pretrained > both fresh > noise (epochs {epochs_seen:?}):\n{g:#}\n\
			 pretrained:\n{}\nfresh0:\n{}",
			neurons[0].tail(15),
			neurons[1].tail(15)
		);
		tokio::time::sleep(Duration::from_secs(2)).await;
	}
	for neuron in &neurons[..3] {
		assert!(neuron.output().contains("weights set"), "{}", neuron.tail(30));
	}
}

/// The genesis hash the node gave (`0x…`), as the protocol's scope takes it.
fn scope_genesis(hex_hash: Option<&str>) -> [u8; 32] {
	let hex_hash = hex_hash.expect("the chain's genesis hash");
	let bytes = hex::decode(hex_hash.trim_start_matches("0x")).unwrap();
	bytes.try_into().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_torchscript_model_of_another_architecture_trains_checkpoints_and_resumes() {
	let env = Env::start().await;
	env.import_alice();
	env.register_and_stake("conv", 1, "100");
	let dir = env.dir.path().join("models");
	std::fs::create_dir_all(&dir).unwrap();
	let model = export_model(&dir, "conv", &["--arch", "conv", "--dim", "32"]);
	let checkpoint = env.dir.path().join("checkpoint");
	let ckpt = checkpoint.to_str().unwrap();
	let model = model.to_str().unwrap();
	let flags = ["--model", model, "--checkpoint", ckpt, "--batch", "8", "--seq-len", "32"];
	let (mut first, _) =
		start(&env, "conv", &[&flags[..], &["--steps", "60", "--checkpoint-every", "30"]].concat());
	wait_for_exit(&mut first);
	let log = first.output();
	assert!(
		log.contains("encoder=\"torchscript\"") || log.contains("encoder=torchscript"),
		"{log}"
	);
	assert!(log.contains("trains=true"), "{log}");
	let losses = held_out(&log);
	assert!(losses.len() >= 2, "{log}");
	assert!(
		losses.last().unwrap() < losses.first().unwrap(),
		"training the TorchScript encoder did not lower the held-out loss: {losses:?}"
	);
	// The checkpoint holds the module's parameters, and the trained module as TorchScript.
	assert!(checkpoint.join("encoder.pt").exists());
	let saved = std::fs::read(checkpoint.join("model.safetensors")).unwrap();
	let header = String::from_utf8_lossy(&saved[..saved.len().min(1 << 16)]).into_owned();
	assert!(header.contains("encoder."), "no encoder parameters in the checkpoint: {header}");
	assert_ne!(
		std::fs::read(checkpoint.join("encoder.pt")).unwrap(),
		std::fs::read(model).unwrap(),
		"the saved module is the one loaded: nothing trained"
	);
	// It resumes where it stopped.
	let (mut second, _) = start(&env, "conv", &[&flags[..], &["--steps", "5"]].concat());
	wait_for_exit(&mut second);
	let log = second.output();
	assert!(log.contains("resumed from") && log.contains("steps=60"), "{log}");
	// And the trained module is a model in its own right: it meets the contract again.
	let trained = checkpoint.join("encoder.pt");
	let args = ["bench", "train", "--model", trained.to_str().unwrap(), "--dim", "32"];
	let small = ["--steps", "2", "--batch", "4", "--seq-len", "16", "--threads", "1", "--json"];
	let run = env.neuron(&[&args[..], &small].concat(), "");
	let report: Value = serde_json::from_str(run.ok()).unwrap();
	assert_eq!(report["encoder"], "torchscript");
}

fn wait_for_exit(neuron: &mut NeuronProcess) {
	let deadline = Instant::now() + Duration::from_secs(300);
	while !neuron.output().contains("stopped") {
		assert!(Instant::now() < deadline, "the neuron did not finish:\n{}", neuron.tail(30));
		std::thread::sleep(Duration::from_millis(300));
	}
	neuron.terminate();
}

/// The held-out losses a neuron logged, in order.
fn held_out(log: &str) -> Vec<f64> {
	log.lines()
		.filter_map(|l| l.split("held_out=").nth(1))
		.filter_map(|rest| rest.trim_start_matches('"').split(['"', ' ']).next()?.parse().ok())
		.collect()
}

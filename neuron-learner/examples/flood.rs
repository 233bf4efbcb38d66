//! A learner's training speed under a backward flood, measured.
//!
//! ```sh
//! cargo run --release -p neuron-learner --example flood -- [--steps 150] [--connections 64]
//! ```
//!
//! One process trains the default model (one libtorch thread) while its axon serves it on
//! loopback, as `neuron run` does (minimum caller stake 1 TAO). It is pinned to CPU 0; each
//! attacker is a separate process pinned to CPU 1 (`taskset`), so the attacker's own work does
//! not count against the neuron, as it would not across the internet. Three runs of the same
//! timed steps, each after 3 warm-up steps:
//!
//! - `quiet`: nobody calls;
//! - `zero_stake`: a registered hotkey with no stake sends signed `/backward` calls (inputs
//!   and gradients of the right shapes) on `--connections` connections as fast as it can;
//! - `staked_unanswered`: the same from a hotkey with 10 TAO of stake, for inputs the neuron
//!   never answered (read, verified and decoded before they are refused).
//!
//! Prints each run's steps per second, its ratio to `quiet`, the calls per second the attacker
//! sent and those the axon answered (a source flooding while throttled has its connections
//! closed unanswered), how it answered them, and the neuron's resident memory.

use neuron_client::serve::{
	axon::{Axon, AxonConfig, Schema},
	dendrite::{Dendrite, DendriteConfig, Failure, Target},
	metrics::Metrics,
	protocol::{Hotkey, Reason, Signer},
	tensor::Tensor,
	view::{Member, SharedView, SubnetView},
};
use neuron_learner::{
	data::Corpus,
	learner::{LearnConfig, Learner},
	serving::Served,
};
use std::{
	net::SocketAddr,
	process::{Command, Stdio},
	str::FromStr,
	sync::{
		atomic::{AtomicBool, AtomicU64, Ordering},
		Arc, Mutex,
	},
	time::{Duration, Instant},
};

const TAO: u128 = 1_000_000_000;
const DIM: usize = 128;
const BATCH: usize = 16;
const SEQ: usize = 64;

fn signer(uri: &str) -> Signer {
	let uri = subxt_signer::SecretUri::from_str(uri).expect("a valid dev URI");
	Signer::new(&subxt_signer::sr25519::Keypair::from_uri(&uri).expect("a dev key"))
}

fn flag<T: FromStr>(args: &[String], name: &str, default: T) -> T {
	args.iter()
		.position(|a| a == name)
		.and_then(|i| args.get(i + 1))
		.and_then(|v| v.parse().ok())
		.unwrap_or(default)
}

fn rss_mb() -> f64 {
	let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
	let kb: f64 = status
		.lines()
		.find(|l| l.starts_with("VmRSS:"))
		.and_then(|l| l.split_whitespace().nth(1))
		.and_then(|v| v.parse().ok())
		.unwrap_or(0.0);
	kb / 1024.0
}

fn main() {
	let args: Vec<String> = std::env::args().collect();
	if args.get(1).map(String::as_str) == Some("--attack") {
		attack(&args);
		return;
	}
	// Pin this process (and every thread it starts from now on) to CPU 0.
	let pinned = Command::new("taskset")
		.args(["-pc", "0", &std::process::id().to_string()])
		.stdout(Stdio::null())
		.status()
		.is_ok_and(|s| s.success());
	if !pinned {
		eprintln!("flood: taskset not found; the attackers share the neuron's CPUs");
	}
	let steps: usize = flag(&args, "--steps", 150);
	let connections: usize = flag(&args, "--connections", 64);
	tch::set_num_threads(1);
	let runtime = tokio::runtime::Builder::new_multi_thread()
		.worker_threads(2)
		.enable_all()
		.build()
		.expect("a tokio runtime");
	runtime.block_on(measure(steps, connections, pinned));
}

async fn measure(steps: usize, connections: usize, pinned: bool) {
	let neuron = signer("//Flood//neuron");
	let members = vec![
		Member { uid: 0, hotkey: neuron.hotkey(), stake: 1000 * TAO, axon: None },
		Member { uid: 1, hotkey: signer("//Flood//zero").hotkey(), stake: 0, axon: None },
		Member { uid: 2, hotkey: signer("//Flood//staked").hotkey(), stake: 10 * TAO, axon: None },
	];
	let view = SharedView::new(SubnetView::new(1, members));
	tch::manual_seed(0);
	let learner = Arc::new(Mutex::new(Learner::new(LearnConfig::new(DIM as i64, 64))));
	let mut config = AxonConfig::new(Schema::tokens(DIM, 64, SEQ));
	config.min_stake = TAO; // `neuron run`'s default --min-caller-stake
	let metrics = Arc::new(Metrics::new());
	let axon =
		Axon::new(neuron.clone(), view, Arc::new(Served(learner.clone())), config, metrics.clone());
	let running = axon.start("127.0.0.1:0".parse().expect("an address")).await.expect("an axon");
	tokio::time::sleep(Duration::from_millis(2500)).await; // past the axon's nonce floor
	let mut corpus =
		Corpus::new(&Corpus::generated(1 << 20), (0, 1), 1).expect("the generated corpus");
	let batches: Vec<_> = (0..steps + 3).map(|_| corpus.batch(BATCH, SEQ)).collect();

	let train = |learner: Arc<Mutex<Learner>>, batches: Vec<(tch::Tensor, tch::Tensor)>| {
		tokio::task::spawn_blocking(move || {
			let mut started = Instant::now();
			for (i, (x, y)) in batches.iter().enumerate() {
				if i == 3 {
					started = Instant::now();
				}
				let mut learner = learner.lock().unwrap_or_else(|p| p.into_inner());
				learner.step(x, y, &[]);
			}
			(batches.len() - 3) as f64 / started.elapsed().as_secs_f64()
		})
	};
	let copy = |b: &[(tch::Tensor, tch::Tensor)]| -> Vec<(tch::Tensor, tch::Tensor)> {
		b.iter().map(|(x, y)| (x.shallow_clone(), y.shallow_clone())).collect()
	};

	let quiet = train(learner.clone(), copy(&batches)).await.expect("training");
	println!(
		"{:<18} {:>8} {:>7} {:>10} {:>10} {:>9}  answers",
		"run", "steps/s", "ratio", "sent/s", "answered/s", "RSS MB"
	);
	println!("{:<18} {quiet:>8.2} {:>7.2} {:>10} {:>10} {:>9.0}", "quiet", 1.0, "-", "-", rss_mb());
	let mut report = vec![serde_json::json!({"run": "quiet", "steps_per_s": quiet, "ratio": 1.0})];
	for (run, uri) in [("zero_stake", "//Flood//zero"), ("staked_unanswered", "//Flood//staked")] {
		let before: Vec<u64> = Reason::ALL.iter().map(|r| metrics.refused(*r)).collect();
		let exe = std::env::current_exe().expect("this example's path");
		let mut attacker =
			Command::new(if pinned { "taskset" } else { exe.to_str().unwrap_or("") });
		if pinned {
			attacker.args(["-c", "1"]).arg(&exe);
		}
		let mut child = attacker
			.args(["--attack", &running.addr.to_string(), &neuron.hotkey().to_string(), uri])
			.args(["--connections", &connections.to_string()])
			.stdout(Stdio::piped())
			.spawn()
			.expect("the attacker process");
		// The attacker prints how many calls it has sent, four times a second.
		let sent = Arc::new(AtomicU64::new(0));
		if let Some(out) = child.stdout.take() {
			let sent = sent.clone();
			std::thread::spawn(move || {
				use std::io::BufRead;
				for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
					if let Some(n) = line.strip_prefix("sent ").and_then(|n| n.parse().ok()) {
						sent.store(n, Ordering::Relaxed);
					}
				}
			});
		}
		tokio::time::sleep(Duration::from_secs(1)).await; // let the flood ramp up
		let (started, sent_before) = (Instant::now(), sent.load(Ordering::Relaxed));
		let speed = train(learner.clone(), copy(&batches)).await.expect("training");
		let seconds = started.elapsed().as_secs_f64();
		let sent_per_s = sent.load(Ordering::Relaxed).saturating_sub(sent_before) as f64 / seconds;
		let refused: Vec<(Reason, u64)> = Reason::ALL
			.iter()
			.zip(&before)
			.map(|(r, b)| (*r, metrics.refused(*r) - b))
			.filter(|(_, n)| *n > 0)
			.collect();
		let _ = child.kill();
		let _ = child.wait();
		let calls: u64 = refused.iter().map(|(_, n)| n).sum();
		let shown: Vec<String> = refused.iter().map(|(r, n)| format!("{n} {r}")).collect();
		println!(
			"{run:<18} {speed:>8.2} {:>7.2} {sent_per_s:>10.0} {:>10.0} {:>9.0}  {}",
			quiet / speed,
			calls as f64 / seconds,
			rss_mb(),
			shown.join(", ")
		);
		report.push(serde_json::json!({
			"run": run, "steps_per_s": speed, "ratio": quiet / speed,
			"sent_per_s": sent_per_s, "calls_per_s": calls as f64 / seconds, "rss_mb": rss_mb(),
			"refused": refused.iter().map(|(r, n)| (r.code().to_string(), *n)).collect::<std::collections::BTreeMap<_, _>>(),
		}));
	}
	println!("{}", serde_json::Value::Array(report));
	running.stop().await;
}

/// The attacker: signed `/backward` calls with well-formed bodies, as fast as it can.
fn attack(args: &[String]) {
	let addr: SocketAddr = args[2].parse().expect("the axon's address");
	let callee = Hotkey::from_str(&args[3]).expect("the axon's hotkey");
	let caller = signer(&args[4]);
	let connections: usize = flag(args, "--connections", 64);
	let runtime = tokio::runtime::Builder::new_multi_thread()
		.worker_threads(1)
		.enable_all()
		.build()
		.expect("a tokio runtime");
	runtime.block_on(async move {
		let dendrite = Arc::new(Dendrite::new(
			caller,
			DendriteConfig {
				timeout: Duration::from_secs(5),
				stragglers: None,
				..Default::default()
			},
		));
		let target = Target { uid: 0, hotkey: callee, addr };
		let inputs = Tensor::i64(vec![BATCH, SEQ], vec![7; BATCH * SEQ]).expect("inputs");
		let grads =
			Tensor::f32(vec![BATCH, SEQ, DIM], vec![0.01; BATCH * SEQ * DIM]).expect("grads");
		let stop = Arc::new(AtomicBool::new(false));
		let sent = Arc::new(AtomicU64::new(0));
		let tasks: Vec<_> = (0..connections)
			.map(|_| {
				let (dendrite, target, inputs, grads) =
					(dendrite.clone(), target.clone(), inputs.clone(), grads.clone());
				let (stop, sent) = (stop.clone(), sent.clone());
				tokio::spawn(async move {
					while !stop.load(Ordering::Relaxed) {
						let answer = dendrite
							.backward(
								std::slice::from_ref(&target),
								&inputs,
								std::slice::from_ref(&grads),
							)
							.await;
						sent.fetch_add(1, Ordering::Relaxed);
						if matches!(answer[0].result, Err(Failure::Unreachable(_))) {
							tokio::time::sleep(Duration::from_millis(1)).await;
						}
					}
				})
			})
			.collect();
		// Runs until killed, saying how far it got.
		tokio::spawn(async move {
			loop {
				tokio::time::sleep(Duration::from_millis(250)).await;
				println!("sent {}", sent.load(Ordering::Relaxed));
			}
		});
		for task in tasks {
			let _ = task.await;
		}
	});
}

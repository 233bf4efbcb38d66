//! `neuron bench serve`: an axon serving an identity model and a dendrite calling it over
//! loopback TCP, with signatures and every check on, measuring throughput and latency.

use super::{
	axon::{Axon, AxonConfig, Model, Schema},
	dendrite::{Dendrite, DendriteConfig, Target},
	metrics::Metrics,
	protocol::Signer,
	tensor::{self, DType, Tensor},
	view::{Member, SharedView, SubnetView},
};
use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::{
	str::FromStr,
	sync::Arc,
	time::{Duration, Instant},
};

/// Answers every forward with its inputs.
pub struct Identity;

impl Model for Identity {
	fn forward(&self, _: &Member, inputs: Tensor) -> Result<Tensor, String> {
		Ok(inputs)
	}
	fn backward(&self, _: &Member, _: Tensor, _: Tensor) -> Result<(), String> {
		Ok(())
	}
	fn blocking(&self) -> bool {
		false
	}
}

/// What was asked.
#[derive(Clone, Debug)]
pub struct BenchArgs {
	/// `[batch, seq, dim]` of the tensor sent (and echoed).
	pub shape: [usize; 3],
	/// Calls in flight.
	pub concurrency: usize,
	/// Length of the measurement.
	pub seconds: f64,
	/// HTTP/2 instead of HTTP/1.1.
	pub http2: bool,
	/// The type answers travel in.
	pub wire_dtype: DType,
}

/// What was measured (`--json` prints exactly these keys).
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
	/// `[batch, seq, dim]`.
	pub shape: [usize; 3],
	/// Calls in flight.
	pub concurrency: usize,
	/// The type answers travelled in: `F32`, `F16` or `BF16`.
	pub wire_dtype: String,
	/// Bytes of one call's request body (F32 inputs) and answer body (in `wire_dtype`).
	pub request_bytes: usize,
	/// Bytes of one call's answer body.
	pub answer_bytes: usize,
	/// Calls completed (successes and failures).
	pub requests: u64,
	/// Calls that failed.
	pub failures: u64,
	/// Successful calls per second.
	pub req_per_s: f64,
	/// Successful calls × bytes of one F32 request tensor / seconds / 10⁶ (the same figure
	/// for every `wire_dtype`: tensors served, not bytes moved).
	pub tensor_mb_per_s: f64,
	/// Median latency of successful calls.
	pub p50_ms: f64,
	/// 99th percentile latency of successful calls.
	pub p99_ms: f64,
}

/// Parses `B,T,D`.
pub fn parse_shape(text: &str) -> Result<[usize; 3]> {
	let dims: Vec<usize> = text
		.split(',')
		.map(|d| d.trim().parse::<usize>())
		.collect::<Result<_, _>>()
		.with_context(|| format!("--shape `{text}`: expected three whole numbers B,T,D"))?;
	match dims[..] {
		[b, t, d] if b > 0 && t > 0 && d > 0 => Ok([b, t, d]),
		_ => bail!("--shape `{text}`: expected three positive whole numbers B,T,D"),
	}
}

fn keypair(uri: &str) -> Result<subxt_signer::sr25519::Keypair> {
	let uri = subxt_signer::SecretUri::from_str(uri)?;
	Ok(subxt_signer::sr25519::Keypair::from_uri(&uri)?)
}

/// Runs the benchmark.
pub async fn run(args: &BenchArgs) -> Result<BenchReport> {
	let [b, t, d] = args.shape;
	let axon_key = Signer::new(&keypair("//bench/axon")?);
	let dendrite_key = Signer::new(&keypair("//bench/dendrite")?);
	let view = SharedView::new(SubnetView::new(
		1,
		vec![
			Member { uid: 0, hotkey: axon_key.hotkey(), stake: 1, axon: None },
			Member { uid: 1, hotkey: dendrite_key.hotkey(), stake: 1, axon: None },
		],
	));
	let mut config = AxonConfig::new(Schema::features(d, b, t));
	config.min_stake = 1;
	config.wire_dtype = args.wire_dtype;
	config.queue = args.concurrency.max(64);
	// One caller drives every concurrent call here.
	config.max_requests_per_caller = args.concurrency.max(1);
	let axon_hotkey = axon_key.hotkey();
	let skew = config.max_clock_skew;
	let axon = Axon::new(axon_key, view, Arc::new(Identity), config, Arc::new(Metrics::new()));
	let running = axon.start("127.0.0.1:0".parse()?).await?;
	// A fresh axon refuses nonces until its start is `max_clock_skew` old (replays from
	// before a restart): wait that out, as a restarted peer's callers would.
	tokio::time::sleep(skew + Duration::from_millis(10)).await;
	let dendrite = Arc::new(Dendrite::new(
		dendrite_key,
		DendriteConfig {
			timeout: Duration::from_secs(10),
			http2: args.http2,
			..Default::default()
		},
	));
	let target = Target { uid: 0, hotkey: axon_hotkey, addr: running.addr };
	let n = b * t * d;
	let tensor = Arc::new(
		Tensor::f32(vec![b, t, d], (0..n).map(|i| (i % 1000) as f32 * 0.001).collect())
			.context("building the tensor")?,
	);
	let request_bytes = tensor::encode(&[("inputs", &tensor)]).len();
	let answer_bytes = tensor
		.to_dtype(args.wire_dtype)
		.map(|t| tensor::encode(&[("outputs", &t)]).len())
		.context("--wire-dtype must be a floating-point type")?;
	let warmup = Duration::from_millis(300);
	let measure = Duration::from_secs_f64(args.seconds.max(0.1));
	let start = Instant::now();
	let tasks: Vec<_> = (0..args.concurrency.max(1))
		.map(|_| {
			let dendrite = dendrite.clone();
			let target = target.clone();
			let tensor = tensor.clone();
			tokio::spawn(async move {
				let mut latencies = Vec::new();
				let mut failures = 0u64;
				let mut last_failure = None;
				loop {
					let sent = Instant::now();
					if sent >= start + warmup + measure {
						break;
					}
					let answer = dendrite.forward(std::slice::from_ref(&target), &tensor, d).await;
					if sent < start + warmup {
						continue;
					}
					match answer.into_iter().next().map(|a| a.result) {
						Some(Ok(_)) => latencies.push(sent.elapsed()),
						Some(Err(e)) => {
							failures += 1;
							last_failure = Some(e.to_string());
						},
						None => failures += 1,
					}
				}
				(latencies, failures, last_failure)
			})
		})
		.collect();
	let mut latencies = Vec::new();
	let mut failures = 0;
	let mut last_failure = None;
	for task in tasks {
		let (l, f, why) = task.await?;
		latencies.extend(l);
		failures += f;
		last_failure = last_failure.or(why);
	}
	running.stop().await;
	if let Some(why) = last_failure {
		eprintln!("bench: {failures} calls failed; the last: {why}");
	}
	latencies.sort();
	let pct = |p: f64| {
		if latencies.is_empty() {
			return 0.0;
		}
		let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
		latencies[i].as_secs_f64() * 1e3
	};
	let ok = latencies.len() as u64;
	let seconds = measure.as_secs_f64();
	Ok(BenchReport {
		shape: args.shape,
		concurrency: args.concurrency,
		wire_dtype: args.wire_dtype.name().into(),
		request_bytes,
		answer_bytes,
		requests: ok + failures,
		failures,
		req_per_s: ok as f64 / seconds,
		tensor_mb_per_s: ok as f64 * (n * 4) as f64 / seconds / 1e6,
		p50_ms: pct(0.50),
		p99_ms: pct(0.99),
	})
}

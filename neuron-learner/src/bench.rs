//! `neuron bench train`: training steps of the default model on this machine, with no peers
//! (the remote context is zeros), the same work `scripts/bench-train-pytorch.py` does in Python;
//! with `--model FILE` the same steps around a TorchScript encoder, and with `--forward` the
//! encoder's forward alone, as the axon serves it.

use crate::{
	data::Corpus,
	learner::{LearnConfig, Learner, ModelFile},
	model,
	script::{self, Contract},
};
use anyhow::{bail, Result};
use serde::Serialize;
use std::{path::PathBuf, time::Instant};

/// What to time.
#[derive(Clone, Debug)]
pub struct TrainBench {
	/// Timed steps.
	pub steps: u64,
	/// Sequences per batch.
	pub batch: usize,
	/// Bytes per sequence.
	pub seq_len: usize,
	/// Representation size.
	pub dim: usize,
	/// Uids the gate has room for (the default subnet's `max_uids`).
	pub capacity: i64,
	/// cpu or cuda.
	pub device: String,
	/// A TorchScript encoder instead of the built-in one.
	pub model: Option<PathBuf>,
	/// Time the encoder's forward (eval mode, no gradient) instead of training steps.
	pub forward: bool,
}

/// The report; keys match the Python script's.
#[derive(Clone, Debug, Serialize)]
pub struct TrainReport {
	/// Timed steps.
	pub steps: u64,
	/// Steps per second.
	pub steps_per_s: f64,
	/// Tokens (bytes) per second.
	pub tokens_per_s: f64,
	/// Trainable parameters.
	pub params: i64,
	/// Loss of the last step (local + remote + distillation).
	pub final_loss: f64,
	/// Where it ran.
	pub device: String,
	/// `builtin` or `torchscript`.
	pub encoder: String,
	/// Whether forwards were timed rather than training steps.
	pub forward: bool,
	/// Median milliseconds of one timed step (or forward).
	pub p50_ms: f64,
}

/// Runs the benchmark: 3 untimed warm-up steps, then `steps` timed ones.
pub fn run(bench: &TrainBench) -> Result<TrainReport> {
	if bench.steps == 0 || bench.batch == 0 || bench.seq_len < 2 {
		bail!("--steps and --batch must be at least 1 and --seq-len at least 2");
	}
	let mut config = LearnConfig::new(bench.dim as i64, bench.capacity);
	config.model.max_seq = bench.seq_len as i64;
	config.device = model::device(&bench.device)?;
	tch::manual_seed(0);
	let mut learner = match &bench.model {
		Some(path) => {
			// The same contract `neuron run` holds it to (no deadline here: this measures it).
			let contract = Contract {
				dim: bench.dim as i64,
				seq_len: bench.seq_len as i64,
				max_batch: bench.batch as i64,
				deadline: std::time::Duration::from_secs(3600),
				device: config.device,
				train_batch: (!bench.forward).then_some(bench.batch as i64),
			};
			script::check(path, &contract)?;
			Learner::with_model(config, &ModelFile { path: path.clone(), frozen: false })?
		},
		None => Learner::new(config),
	};
	let mut corpus = Corpus::new(&Corpus::generated(1 << 20), (0, 1), 1)?;
	let batches: Vec<_> =
		(0..bench.steps + 3).map(|_| corpus.batch(bench.batch, bench.seq_len)).collect();
	let mut final_loss = 0.0;
	let mut times = Vec::with_capacity(bench.steps as usize);
	let mut started = Instant::now();
	for (i, (x, y)) in batches.iter().enumerate() {
		if i == 3 {
			started = Instant::now();
		}
		let one = Instant::now();
		if bench.forward {
			let out = learner.represent(x);
			// Reading a value waits for the device.
			final_loss = out.mean(tch::Kind::Float).double_value(&[]);
		} else {
			let step = learner.step(x, y, &[]);
			final_loss = step.local_loss + step.remote_loss + step.distill_loss;
		}
		if i >= 3 {
			times.push(one.elapsed().as_secs_f64());
		}
	}
	let seconds = started.elapsed().as_secs_f64();
	let steps_per_s = bench.steps as f64 / seconds;
	times.sort_by(f64::total_cmp);
	Ok(TrainReport {
		steps: bench.steps,
		steps_per_s,
		tokens_per_s: steps_per_s * (bench.batch * bench.seq_len) as f64,
		params: learner.parameters(),
		final_loss,
		device: bench.device.clone(),
		encoder: learner.model_info().kind.into(),
		forward: bench.forward,
		p50_ms: times.get(times.len() / 2).copied().unwrap_or(0.0) * 1e3,
	})
}

//! `neuron bench train`: training steps of the default model on this machine, with no peers
//! (the remote context is zeros), the same work `scripts/bench-train-pytorch.py` does in Python.

use crate::{
	data::Corpus,
	learner::{LearnConfig, Learner},
	model,
};
use anyhow::{bail, Result};
use serde::Serialize;
use std::time::Instant;

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
	let mut learner = Learner::new(config);
	let mut corpus = Corpus::new(&Corpus::generated(1 << 20), (0, 1), 1)?;
	let batches: Vec<_> =
		(0..bench.steps + 3).map(|_| corpus.batch(bench.batch, bench.seq_len)).collect();
	let mut final_loss = 0.0;
	let mut started = Instant::now();
	for (i, (x, y)) in batches.iter().enumerate() {
		if i == 3 {
			started = Instant::now();
		}
		let step = learner.step(x, y, &[]);
		final_loss = step.local_loss + step.remote_loss + step.distill_loss;
	}
	let seconds = started.elapsed().as_secs_f64();
	let steps_per_s = bench.steps as f64 / seconds;
	Ok(TrainReport {
		steps: bench.steps,
		steps_per_s,
		tokens_per_s: steps_per_s * (bench.batch * bench.seq_len) as f64,
		params: learner.parameters(),
		final_loss,
		device: bench.device.clone(),
	})
}

//! `neuron bench serve` and `neuron bench train`.

use crate::{
	cli::BenchCommand,
	learn,
	serve::bench::{self, BenchArgs},
};
use anyhow::{bail, Result};

/// Runs a benchmark and prints its report.
pub async fn run(command: BenchCommand) -> Result<()> {
	match command {
		BenchCommand::Serve { shape, concurrency, seconds, http2, json } => {
			if concurrency == 0 {
				bail!("--concurrency must be at least 1");
			}
			if !(seconds.is_finite() && seconds > 0.0) {
				bail!("--seconds must be a positive number");
			}
			let args =
				BenchArgs { shape: bench::parse_shape(&shape)?, concurrency, seconds, http2 };
			let report = bench::run(&args).await?;
			if json {
				println!("{}", serde_json::to_string(&report)?);
			} else {
				println!(
					"shape {:?}, {} in flight, {}: {} requests, {} failures, {:.0} req/s, {:.1} MB/s of \
					 tensors, p50 {:.3} ms, p99 {:.3} ms",
					report.shape,
					report.concurrency,
					if http2 { "HTTP/2" } else { "HTTP/1.1" },
					report.requests,
					report.failures,
					report.req_per_s,
					report.tensor_mb_per_s,
					report.p50_ms,
					report.p99_ms
				);
			}
			Ok(())
		},
		BenchCommand::Train { steps, batch, seq_len, dim, device, threads, json } => {
			if let Some(threads) = threads {
				tch::set_num_threads(threads);
			}
			let bench =
				learn::bench::TrainBench { steps, batch, seq_len, dim, capacity: 4096, device };
			let report = tokio::task::spawn_blocking(move || learn::bench::run(&bench)).await??;
			if json {
				println!("{}", serde_json::to_string(&report)?);
			} else {
				println!(
					"{} steps on {}: {:.2} steps/s, {:.0} tokens/s, {} parameters, last loss {:.3}",
					report.steps,
					report.device,
					report.steps_per_s,
					report.tokens_per_s,
					report.params,
					report.final_loss
				);
			}
			Ok(())
		},
	}
}

//! `neuron-learner`: `neuron run` and `neuron bench train`, which `neuron` hands over to this
//! binary with `exec` (see [`neuron_client::learner`] for why there are two binaries).
//!
//! The learning modules (`src/learn/`, `src/run.rs`) are compiled into this binary, not into
//! the library, so that nothing `neuron` links reaches libtorch. They reach the rest of the
//! client through the library, re-imported here under the names they use (`crate::chain`, …).

use anyhow::{bail, Result};
use neuron_client::cli::{BenchCommand, Cli, Command};
#[allow(unused_imports)] // Paths the learning modules use as `crate::…`.
use neuron_client::{chain, cli, commands, serve, wallet};

// A binary checks `pub` items for use too; not every helper of the learner is used by both
// commands.
#[allow(dead_code)]
#[path = "../learn/mod.rs"]
mod learn;
#[path = "../run.rs"]
mod run;

fn main() -> std::process::ExitCode {
	neuron_client::entry::main(run_learning)
}

/// Runs a learning command; every other command is `neuron`'s.
async fn run_learning(cli: Cli) -> Result<()> {
	let ctx = commands::context(cli.global)?;
	match cli.command {
		Command::Run(args) => run::run(&ctx, *args).await,
		Command::Bench(BenchCommand::Train {
			steps,
			batch,
			seq_len,
			dim,
			device,
			threads,
			json,
		}) => {
			if let Some(threads) = threads {
				learn::set_threads(threads);
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
		_ => bail!(
			"{} runs only `run` and `bench train`; every other command is `neuron`'s",
			neuron_client::learner::LEARNER
		),
	}
}

//! `neuron-learner`: `neuron run` and `neuron bench train`, which `neuron` hands over to this
//! binary with `exec` (see `neuron_client::handoff` for why there are two binaries). It parses
//! the same command line as `neuron`.

use anyhow::{bail, Result};
use neuron_client::{
	cli::{BenchCommand, Cli, Command},
	context,
};
use neuron_learner::{bench, neuron, set_threads};

fn main() -> std::process::ExitCode {
	neuron_client::entry::main(run_learning)
}

/// Runs a learning command; every other command is `neuron`'s.
async fn run_learning(cli: Cli) -> Result<()> {
	let ctx = context::context(cli.global)?;
	match cli.command {
		Command::Run(args) => neuron::run(&ctx, *args).await,
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
				set_threads(threads);
			}
			let bench = bench::TrainBench { steps, batch, seq_len, dim, capacity: 4096, device };
			let report = tokio::task::spawn_blocking(move || bench::run(&bench)).await??;
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
			neuron_client::handoff::LEARNER
		),
	}
}

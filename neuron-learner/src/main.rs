//! `neuron-learner`: `neuron run` and `neuron bench train`, which `neuron` hands over to this
//! binary with `exec` (see `neuron_client::handoff` for why there are two binaries). It parses
//! the same command line as `neuron`.

use anyhow::{bail, Context as _, Result};
use neuron_client::{
	cli::{BenchCommand, Cli, CollabArgs, CollabPart, Command},
	context,
};
use neuron_learner::{
	bench,
	collab::{self, chart, domains::Sources, CollabBench, Parts},
	neuron,
	script::ModelError,
	set_threads,
};

fn main() -> std::process::ExitCode {
	neuron_client::entry::main_with_status(run_learning, model_status)
}

/// A model refused at load has an exit status of its own (10 to 23; docs/NEURON.md).
fn model_status(error: &anyhow::Error) -> Option<u8> {
	error.chain().find_map(|e| e.downcast_ref::<ModelError>()).map(ModelError::exit_code)
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
			model,
			forward,
			device,
			threads,
			json,
		}) => {
			if let Some(threads) = threads {
				set_threads(threads);
			}
			let bench = bench::TrainBench {
				steps,
				batch,
				seq_len,
				dim,
				capacity: 4096,
				device,
				model,
				forward,
			};
			let report = tokio::task::spawn_blocking(move || bench::run(&bench)).await??;
			if json {
				println!("{}", serde_json::to_string(&report)?);
			} else {
				println!(
					"{} {} steps of the {} encoder on {}: {:.2} steps/s, {:.0} tokens/s, {} \
					 parameters, last loss {:.3}",
					report.steps,
					if report.forward { "forward" } else { "training" },
					report.encoder,
					report.device,
					report.steps_per_s,
					report.tokens_per_s,
					report.params,
					report.final_loss
				);
			}
			Ok(())
		},
		Command::Bench(BenchCommand::Collab(args)) => collab(*args).await,
		_ => bail!(
			"{} runs only `run` and `bench train`; every other command is `neuron`'s",
			neuron_client::handoff::LEARNER
		),
	}
}

/// `neuron bench collab`.
async fn collab(args: CollabArgs) -> Result<()> {
	if let Some(threads) = args.threads {
		set_threads(threads);
	}
	let parts = if args.part.is_empty() {
		Parts::ALL
	} else {
		Parts {
			newcomer: args.part.contains(&CollabPart::Newcomer),
			specialists: args.part.contains(&CollabPart::Specialists),
			equal_compute: args.part.contains(&CollabPart::EqualCompute),
		}
	};
	let bench = CollabBench {
		peers: args.peers,
		steps: args.steps,
		peer_steps: args.peer_steps.unwrap_or(4 * args.steps),
		peer_model: args.peer_model,
		batch: args.batch,
		seq_len: args.seq_len,
		dim: args.dim,
		layers: args.layers,
		eval_every: args.eval_every,
		eval_batch: args.eval_batch,
		learning_rate: args.learning_rate,
		device: args.device,
		seed: args.seed,
		parts,
		sources: Sources { shakespeare: args.shakespeare, rust: args.rust, python: args.python },
	};
	let report = collab::run(&bench, &|what| eprintln!("bench collab: {what}")).await?;
	if let Some(path) = &args.svg {
		std::fs::write(path, chart::svg(&report))
			.with_context(|| format!("writing --svg {}", path.display()))?;
	}
	if args.json {
		println!("{}", serde_json::to_string(&report)?);
	} else {
		print!("{}", collab::summary(&report));
	}
	Ok(())
}

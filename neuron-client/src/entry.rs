//! What both binaries do around a command: parse the command line, send logs to standard
//! error, run the command on a tokio runtime and turn its error into a message and status.

use crate::cli::Cli;
use clap::Parser;
use std::{future::Future, process::ExitCode};

/// The `main` of `neuron` and `neuron-learner`, with the command runner each uses. Every
/// error ends the process with status 1.
pub fn main<F, Fut>(run: F) -> ExitCode
where
	F: FnOnce(Cli) -> Fut,
	Fut: Future<Output = anyhow::Result<()>>,
{
	main_with_status(run, |_| None)
}

/// [`main`], with `status` naming the exit status of the errors that have their own (others
/// end with 1).
pub fn main_with_status<F, Fut>(run: F, status: fn(&anyhow::Error) -> Option<u8>) -> ExitCode
where
	F: FnOnce(Cli) -> Fut,
	Fut: Future<Output = anyhow::Result<()>>,
{
	let cli = Cli::parse();
	// Logs go to standard error; RUST_LOG overrides the default level.
	let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
		tracing_subscriber::EnvFilter::new("info,subxt=warn,jsonrpsee=warn,hyper=warn")
	});
	tracing_subscriber::fmt()
		.with_env_filter(filter)
		.with_writer(std::io::stderr)
		.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
		.init();
	let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
		Ok(runtime) => runtime,
		Err(e) => {
			eprintln!("error: cannot start the async runtime: {e}");
			return ExitCode::FAILURE;
		},
	};
	match runtime.block_on(run(cli)) {
		Ok(()) => ExitCode::SUCCESS,
		Err(error) => {
			eprintln!("error: {error:#}");
			status(&error).map_or(ExitCode::FAILURE, ExitCode::from)
		},
	}
}

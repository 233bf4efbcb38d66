//! Dispatching the command line to the service and the standard subcommands.

use crate::{
	chain_spec,
	cli::{Cli, Subcommand},
	service,
};
use polkadot_sdk::{
	sc_cli::{self, SubstrateCli},
	sc_service::PartialComponents,
};

impl SubstrateCli for Cli {
	fn impl_name() -> String {
		"BitTensor Node".into()
	}

	fn impl_version() -> String {
		env!("SUBSTRATE_CLI_IMPL_VERSION").into()
	}

	fn description() -> String {
		env!("CARGO_PKG_DESCRIPTION").into()
	}

	fn author() -> String {
		env!("CARGO_PKG_AUTHORS").into()
	}

	fn support_url() -> String {
		"https://example.invalid/bittensor-rs/issues".into()
	}

	fn copyright_start_year() -> i32 {
		2026
	}

	fn load_spec(&self, id: &str) -> Result<Box<dyn sc_cli::ChainSpec>, String> {
		Ok(match id {
			"dev" => Box::new(chain_spec::development_chain_spec()?),
			"" | "local" => Box::new(chain_spec::local_chain_spec()?),
			path => {
				Box::new(chain_spec::ChainSpec::from_json_file(std::path::PathBuf::from(path))?)
			},
		})
	}
}

/// Browser origins the RPC admits unless `--rpc-cors` says otherwise, on every chain (`--dev`
/// included): the explorer's default address (`neuron explorer`) and polkadot.js Apps. Exact
/// origins only: Substrate's RPC server matches each entry literally, so its own defaults'
/// `http://localhost:*` admits no real page.
pub const DEFAULT_RPC_CORS: [&str; 3] =
	["http://127.0.0.1:8080", "http://localhost:8080", "https://polkadot.js.org"];

/// Safer RPC defaults than Substrate's: it exposes every method (key rotation, peer control,
/// log filters) to any origin in `--dev` mode, so any web page open in the operator's browser
/// could drive a dev node. Here the method set is `safe` unless `--rpc-methods unsafe` is given
/// (Substrate's `auto` counts as `safe`), and CORS admits only [`DEFAULT_RPC_CORS`] unless
/// `--rpc-cors` is given.
fn safe_rpc_defaults(rpc: &mut sc_cli::RpcParams) {
	if rpc.rpc_methods == sc_cli::RpcMethods::Auto {
		rpc.rpc_methods = sc_cli::RpcMethods::Safe;
	}
	if rpc.rpc_cors.is_none() {
		rpc.rpc_cors =
			Some(sc_cli::Cors::List(DEFAULT_RPC_CORS.iter().map(|o| o.to_string()).collect()));
	}
}

/// Parses the command line and runs the node or the chosen subcommand.
pub fn run() -> sc_cli::Result<()> {
	let mut cli = Cli::from_args();
	safe_rpc_defaults(&mut cli.run.rpc_params);

	match &cli.subcommand {
		Some(Subcommand::Key(cmd)) => cmd.run(&cli),
		#[allow(deprecated)]
		Some(Subcommand::BuildSpec(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.chain_spec, config.network))
		},
		Some(Subcommand::ExportChainSpec(cmd)) => {
			let chain_spec = cli.load_spec(&cmd.chain)?;
			cmd.run(chain_spec)
		},
		Some(Subcommand::CheckBlock(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, import_queue, .. } =
					service::new_partial(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		},
		Some(Subcommand::ExportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
				Ok((cmd.run(client, config.database), task_manager))
			})
		},
		Some(Subcommand::ExportState(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
				Ok((cmd.run(client, config.chain_spec), task_manager))
			})
		},
		Some(Subcommand::ImportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, import_queue, .. } =
					service::new_partial(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		},
		Some(Subcommand::PurgeChain(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.database))
		},
		Some(Subcommand::Revert(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, backend, .. } =
					service::new_partial(&config)?;
				let aux_revert = Box::new(|client, _, blocks| {
					polkadot_sdk::sc_consensus_grandpa::revert(client, blocks)?;
					Ok(())
				});
				Ok((cmd.run(client, backend, Some(aux_revert)), task_manager))
			})
		},
		Some(Subcommand::ChainInfo(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run::<bittensor_runtime::opaque::Block>(&config))
		},
		#[cfg(feature = "runtime-benchmarks")]
		Some(Subcommand::Benchmark(cmd)) => {
			use polkadot_sdk::{
				frame_benchmarking_cli::BenchmarkCmd, sp_runtime::traits::HashingFor,
			};
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| match cmd {
				BenchmarkCmd::Pallet(cmd) => cmd
					.run_with_spec::<HashingFor<bittensor_runtime::opaque::Block>, ()>(Some(
						config.chain_spec,
					)),
				_ => Err("only `benchmark pallet` is supported by this node".into()),
			})
		},
		None => {
			let runner = cli.create_runner(&cli.run)?;
			runner.run_node_until_exit(|config| async move {
				service::new_full::<polkadot_sdk::sc_network::NetworkWorker<_, _>>(config)
					.map_err(sc_cli::Error::Service)
			})
		},
	}
}

//! `bittensor-node`: a Substrate node for the BitTensor chain.

// `sc_cli::Error` and `sc_service::Error` are large by upstream design and are the return
// types the Substrate CLI expects; boxing them here would not make them smaller.
#![allow(clippy::result_large_err)]

mod chain_spec;
mod cli;
mod command;
mod metagraph_cache;
mod rpc;
mod service;

fn main() -> polkadot_sdk::sc_cli::Result<()> {
	command::run()
}

//! Fills a subnet with neurons for the metagraph benchmark: registers `--neurons` hotkeys
//! (`<coldkey uri>//bench/<i>`) owned by a dev coldkey, in `Utility::batch_all` transactions,
//! and stakes on every 16th, so that the table has stakes to show.
//!
//! `cargo run --release -p neuron-client --example populate -- --url ws://127.0.0.1:9944
//! --netuid 1 --neurons 4096`

use anyhow::{bail, Context, Result};
use clap::Parser;
use neuron_client::{
	chain::{runtime, Chain},
	wallet::{address, keypair_from_secret},
};
use runtime::runtime_types::{
	bittensor_runtime::RuntimeCall, pallet_bittensor::pallet::Call as BittensorCall,
};

#[derive(Parser)]
struct Args {
	/// Node endpoint.
	#[arg(long, default_value = "ws://127.0.0.1:9944")]
	url: String,
	/// Subnet to fill.
	#[arg(long, default_value_t = 1)]
	netuid: u16,
	/// How many neurons it should hold.
	#[arg(long, default_value_t = 4096)]
	neurons: u16,
	/// The paying coldkey.
	#[arg(long, default_value = "//Alice")]
	coldkey: String,
	/// Calls per batch transaction.
	#[arg(long, default_value_t = 256)]
	batch: usize,
}

#[tokio::main]
async fn main() -> Result<()> {
	let args = Args::parse();
	let chain = Chain::connect(&args.url).await?;
	let coldkey = keypair_from_secret(&args.coldkey)?;
	let size = chain.subnet_size(args.netuid).await?;
	if size >= args.neurons {
		println!("subnet {} already holds {size} neurons", args.netuid);
		return Ok(());
	}
	let mut calls = Vec::new();
	for i in size..args.neurons {
		let hotkey = address(&keypair_from_secret(&format!("{}//bench/{i}", args.coldkey))?);
		calls.push(RuntimeCall::Bittensor(BittensorCall::register {
			netuid: args.netuid,
			hotkey,
			max_burn: u128::MAX,
		}));
		if i % 16 == 0 {
			calls.push(RuntimeCall::Bittensor(BittensorCall::add_stake {
				hotkey,
				amount: 1_000_000_000 * (1 + i as u128 % 7),
			}));
		}
	}
	// Submit every batch (nonces follow each other in the pool), then wait for all of them.
	let mut pending = Vec::new();
	let first_nonce = chain.next_nonce(&address(&coldkey)).await?;
	let mut calls = calls.into_iter().peekable();
	let mut i = 0u64;
	while calls.peek().is_some() {
		let chunk: Vec<RuntimeCall> = calls.by_ref().take(args.batch).collect();
		let tx = runtime::tx().utility().batch_all(chunk);
		let signed = chain.sign_with_nonce(&tx, &coldkey, first_nonce + i).await?;
		i += 1;
		pending.push(signed.submit_and_watch().await.context("submitting a batch")?);
	}
	let batches = pending.len();
	for (i, progress) in pending.into_iter().enumerate() {
		progress.wait_for_finalized_success().await.with_context(|| format!("batch {i}"))?;
		println!("batch {}/{batches} finalized", i + 1);
	}
	let size = chain.subnet_size(args.netuid).await?;
	if size < args.neurons {
		bail!("subnet {} holds {size} neurons, wanted {}", args.netuid, args.neurons);
	}
	println!("subnet {} holds {size} neurons", args.netuid);
	Ok(())
}

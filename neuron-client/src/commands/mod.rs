//! What each command does. Every command checks what it can before sending anything, so
//! that bad input costs no fee and changes nothing.

mod axon;
mod balance;
mod bench;
mod delegate;
mod explorer;
mod metagraph;
mod progress;
mod register;
mod stake;
mod subnet;
mod transfer;
mod wallet;
mod weights;

pub use progress::{Shown, Spinner};

pub use crate::context::{context, Context};

use crate::{
	chain::{Chain, Included},
	cli::{Cli, Command},
};
use anyhow::Result;
use subxt_signer::sr25519::Keypair;

/// Runs the parsed command line in `neuron`. A command that learns replaces the process
/// with `neuron-learner` ([`crate::handoff`]), so nothing here reaches libtorch.
pub async fn run(cli: Cli) -> Result<()> {
	let ctx = context(cli.global)?;
	match cli.command {
		Command::Wallet(command) => wallet::run(&ctx, command).await,
		Command::Subnet(command) => subnet::run(&ctx, *command).await,
		Command::Register { netuid, max_burn } => {
			register::run(&ctx, netuid, max_burn.as_deref()).await
		},
		Command::Axon(command) => axon::run(&ctx, command).await,
		Command::Stake(command) => stake::run(&ctx, command).await,
		Command::Delegate(command) => delegate::run(&ctx, command).await,
		Command::SwapHotkey { new_hotkey } => delegate::swap(&ctx, &new_hotkey).await,
		Command::Transfer { dest, amount } => transfer::run(&ctx, &dest, &amount).await,
		Command::Balance { json } => balance::run(&ctx, json).await,
		Command::Weights(command) => weights::run(&ctx, command).await,
		Command::Metagraph { netuid, json } => metagraph::run(&ctx, netuid, json).await,
		Command::Explorer { port, bind, epochs, metrics } => {
			explorer::run(&ctx, bind, port, epochs, metrics).await
		},
		Command::Run(_) => match crate::handoff::exec()? {},
		Command::Bench(command) => bench::run(&ctx, command).await,
	}
}

/// Submits `call` signed by `signer` and waits as `--wait-finalized` says, with a spinner
/// labelled `what`; a refusal or failed dispatch comes back named.
pub async fn submit<C: subxt::tx::Payload>(
	ctx: &Context,
	chain: &Chain,
	call: &C,
	signer: &Keypair,
	what: &str,
) -> Result<Included> {
	let shown = Shown::new(what);
	let tell = |stage: &str| shown.stage(stage);
	let included = chain.submit(call, signer, ctx.watch(&tell)).await;
	shown.finish();
	Ok(included?)
}

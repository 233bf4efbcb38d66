//! `neuron weights set`: the hotkey's weight row, checked against the subnet's rules first.

use super::{Context, Shown};
use crate::{
	chain::{ops, weights},
	cli::WeightsCommand,
};
use anyhow::Result;

/// Runs the command.
pub async fn run(ctx: &Context, command: WeightsCommand) -> Result<()> {
	let WeightsCommand::Set { netuid, uids, values, version_key } = command;
	let uids = weights::parse_uids(&uids)?;
	let values = weights::parse_values(&values)?;
	let hotkey = ctx.hotkey()?;
	let chain = ctx.chain().await?;
	let shown = Shown::new(format!("setting {} weights in subnet {netuid}", uids.len()));
	let tell = |stage: &str| shown.stage(stage);
	let set =
		ops::set_weights(&chain, &hotkey, netuid, &uids, &values, version_key, ctx.watch(&tell))
			.await;
	shown.finish();
	let set = set?;
	println!(
		"uid {} set {} weights in subnet {netuid} (block {})",
		set.uid, set.count, set.block_hash
	);
	Ok(())
}

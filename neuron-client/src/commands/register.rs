//! `neuron register --netuid N`: the coldkey burns the fee and the hotkey gets a uid.

use super::{Context, Shown};
use crate::chain::ops;
use anyhow::Result;

/// Runs the command.
pub async fn run(ctx: &Context, netuid: u16) -> Result<()> {
	let wallet = ctx.existing_wallet()?;
	let coldkey_address = wallet.coldkey_address()?;
	let hotkey = wallet.hotkey_address(&ctx.settings.hotkey)?;
	let chain = ctx.chain().await?;
	let shown = Shown::new(format!("registering {hotkey} in subnet {netuid}"));
	let tell = |stage: &str| shown.stage(stage);
	let registered =
		ops::register(&chain, netuid, hotkey, &coldkey_address, || ctx.coldkey(), ctx.watch(&tell))
			.await;
	shown.finish();
	let registered = registered?;
	println!(
		"registered hotkey {hotkey} in subnet {netuid} as uid {} (burned {}, block {})",
		registered.uid,
		chain.rpc.token.display(registered.burned),
		registered.block_hash
	);
	if let Some(replaced) = registered.replaced {
		println!("it replaced hotkey {replaced}");
	}
	Ok(())
}

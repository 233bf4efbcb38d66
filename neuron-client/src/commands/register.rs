//! `neuron register --netuid N [--max-burn T]`: the coldkey burns the registration price and
//! the hotkey gets a uid.

use super::{Context, Shown};
use crate::chain::ops;
use anyhow::{anyhow, Result};

/// Runs the command.
pub async fn run(ctx: &Context, netuid: u16, max_burn: Option<&str>) -> Result<()> {
	let wallet = ctx.existing_wallet()?;
	let coldkey_address = wallet.coldkey_address()?;
	let hotkey = wallet.hotkey_address(&ctx.settings.hotkey)?;
	let chain = ctx.chain().await?;
	let token = &chain.rpc.token;
	let limit = match max_burn {
		Some(text) => token.parse(text).map_err(|e| anyhow!("--max-burn: {e}"))?,
		None => {
			let price = ops::registration_price(&chain, netuid).await?;
			let limit = ops::default_limit(price);
			eprintln!(
				"registration price {}; paying at most {} (10% margin; set --max-burn to change)",
				token.display(price),
				token.display(limit)
			);
			limit
		},
	};
	let shown = Shown::new(format!("registering {hotkey} in subnet {netuid}"));
	let tell = |stage: &str| shown.stage(stage);
	let registered = ops::register(
		&chain,
		netuid,
		hotkey,
		&coldkey_address,
		limit,
		|| ctx.coldkey(),
		ctx.watch(&tell),
	)
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

//! `neuron register --netuid N`: the coldkey burns the fee and the hotkey gets a uid.

use super::{ensure_affordable, subnet::hyperparameters, uid_of, Context};
use crate::chain::{find_event, runtime};
use anyhow::{anyhow, bail, Result};

/// Runs the command.
pub async fn run(ctx: &Context, netuid: u16) -> Result<()> {
	let wallet = ctx.existing_wallet()?;
	let coldkey_address = wallet.coldkey_address()?;
	let hotkey = wallet.hotkey_address(&ctx.settings.hotkey)?;
	let chain = ctx.chain().await?;
	let rules = hyperparameters(&chain, netuid).await?;
	if let Some(uid) = uid_of(&chain, netuid, &hotkey).await? {
		bail!("hotkey {hotkey} is already registered in subnet {netuid} as uid {uid}");
	}
	if let Some(owner) = chain.owner(&hotkey).await? {
		if owner != coldkey_address {
			bail!("hotkey {hotkey} belongs to coldkey {owner}, not to this wallet's {coldkey_address}");
		}
	}
	let coldkey = ctx.coldkey()?;
	let call = runtime::tx().bittensor().register(netuid, hotkey);
	ensure_affordable(&chain, &call, &coldkey, rules.registration_burn, "coldkey").await?;
	let what = format!("registering {hotkey} in subnet {netuid}");
	let included = chain.submit(&call, &coldkey, &what, ctx.settings.wait_finalized).await?;
	let event = find_event::<runtime::bittensor::events::NeuronRegistered>(&included)?
		.ok_or_else(|| anyhow!("the registration left no NeuronRegistered event"))?;
	println!(
		"registered hotkey {hotkey} in subnet {netuid} as uid {} (burned {}, block {})",
		event.uid,
		chain.rpc.token.display(event.burned),
		included.block_hash
	);
	if let Some(replaced) = event.replaced {
		println!("it replaced hotkey {replaced}");
	}
	Ok(())
}

//! `neuron balance`: the coldkey's free balance and the stake on the wallet's hotkeys.

use super::{
	stake::{stakes, HotkeyStake},
	Context,
};
use crate::output::exact_number;
use anyhow::Result;
use serde::Serialize;
use serde_json::value::RawValue;

#[derive(Serialize)]
struct Balance {
	coldkey: String,
	free: Box<RawValue>,
	staked: Box<RawValue>,
	hotkeys: Vec<HotkeyStake>,
}

/// Runs the command.
pub async fn run(ctx: &Context, as_json: bool) -> Result<()> {
	let wallet = ctx.existing_wallet()?;
	let coldkey = wallet.coldkey_address()?;
	let chain = ctx.chain().await?;
	let free = chain.free_balance(&coldkey).await?;
	let stakes = stakes(&chain, &wallet).await?;
	let staked: u128 = stakes.iter().map(|s| s.2).sum();
	let token = &chain.rpc.token;
	if as_json {
		let balance = Balance {
			coldkey: coldkey.to_string(),
			free: exact_number(token.format(free)),
			staked: exact_number(token.format(staked)),
			hotkeys: stakes
				.iter()
				.map(|(name, address, stake)| HotkeyStake {
					hotkey: name.clone(),
					ss58: address.to_string(),
					stake: exact_number(token.format(*stake)),
				})
				.collect(),
		};
		println!("{}", serde_json::to_string_pretty(&balance)?);
		return Ok(());
	}
	println!("coldkey {coldkey}");
	println!("free    {}", token.display(free));
	println!("staked  {}", token.display(staked));
	println!("total   {}", token.display(free.saturating_add(staked)));
	Ok(())
}

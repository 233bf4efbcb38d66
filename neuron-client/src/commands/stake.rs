//! `neuron stake add|remove|list`: balance moved into and out of stake on a hotkey.

use super::{submit, Context};
use crate::{
	chain::{ops, runtime, Chain},
	cli::StakeCommand,
	output::exact_number,
	wallet::Wallet,
};
use anyhow::{anyhow, bail, Result};
use serde::Serialize;
use serde_json::value::RawValue;
use subxt::utils::AccountId32;

pub async fn run(ctx: &Context, command: StakeCommand) -> Result<()> {
	match command {
		StakeCommand::Add { amount } => add(ctx, &amount).await,
		StakeCommand::Remove { amount } => remove(ctx, &amount).await,
		StakeCommand::List { json } => list(ctx, json).await,
	}
}

pub(super) fn positive(chain: &Chain, text: &str) -> Result<u128> {
	let amount = chain.rpc.token.parse(text).map_err(|e| anyhow!("--amount: {e}"))?;
	if amount == 0 {
		bail!("--amount must be above zero");
	}
	Ok(amount)
}

/// Checks that `hotkey` was registered and belongs to `coldkey`.
async fn ensure_owner(chain: &Chain, hotkey: &AccountId32, coldkey: &AccountId32) -> Result<()> {
	match chain.owner(hotkey).await? {
		None => bail!(
			"hotkey {hotkey} has never been registered, so there is nothing to stake on (run \
			 `neuron register` first)"
		),
		Some(owner) if owner != *coldkey => {
			bail!("hotkey {hotkey} belongs to coldkey {owner}, not to this wallet's {coldkey}")
		},
		Some(_) => Ok(()),
	}
}

/// What `stake add` and `stake remove` check first: the wallet, a positive amount, and a
/// hotkey registered to this wallet's coldkey.
async fn stake_target(ctx: &Context, amount: &str) -> Result<(Chain, AccountId32, u128)> {
	let coldkey_address = ctx.existing_wallet()?.coldkey_address()?;
	let hotkey = ctx.hotkey_address()?;
	let chain = ctx.chain().await?;
	let amount = positive(&chain, amount)?;
	ensure_owner(&chain, &hotkey, &coldkey_address).await?;
	Ok((chain, hotkey, amount))
}

async fn add(ctx: &Context, amount: &str) -> Result<()> {
	let (chain, hotkey, amount) = stake_target(ctx, amount).await?;
	let coldkey = ctx.coldkey()?;
	let call = runtime::tx().bittensor().add_stake(hotkey, amount);
	ops::ensure_affordable(&chain, &call, &coldkey, amount, "coldkey").await?;
	let what = format!("staking {}", chain.rpc.token.display(amount));
	let included = submit(ctx, &chain, &call, &coldkey, &what).await?;
	println!(
		"staked {} on {hotkey}; it now holds {} (block {})",
		chain.rpc.token.display(amount),
		chain.rpc.token.display(chain.stake(&hotkey).await?),
		included.block_hash
	);
	Ok(())
}

async fn remove(ctx: &Context, amount: &str) -> Result<()> {
	let (chain, hotkey, amount) = stake_target(ctx, amount).await?;
	let staked = chain.stake(&hotkey).await?;
	if staked < amount {
		bail!(
			"hotkey {hotkey} holds {} of stake, less than the {} to remove",
			chain.rpc.token.display(staked),
			chain.rpc.token.display(amount)
		);
	}
	let coldkey = ctx.coldkey()?;
	let call = runtime::tx().bittensor().remove_stake(hotkey, amount);
	ops::ensure_affordable(&chain, &call, &coldkey, 0, "coldkey").await?;
	let what = format!("unstaking {}", chain.rpc.token.display(amount));
	let included = submit(ctx, &chain, &call, &coldkey, &what).await?;
	println!(
		"unstaked {} from {hotkey}; it now holds {} (block {})",
		chain.rpc.token.display(amount),
		chain.rpc.token.display(chain.stake(&hotkey).await?),
		included.block_hash
	);
	Ok(())
}

#[derive(Serialize)]
pub(super) struct HotkeyStake {
	pub(super) hotkey: String,
	pub(super) ss58: String,
	pub(super) stake: Box<RawValue>,
}

pub(super) async fn stakes(
	chain: &Chain,
	wallet: &Wallet,
) -> Result<Vec<(String, AccountId32, u128)>> {
	let mut out = Vec::new();
	for name in wallet.hotkey_names()? {
		let address = wallet.hotkey_address(&name)?;
		let stake = chain.stake(&address).await?;
		out.push((name, address, stake));
	}
	Ok(out)
}

async fn list(ctx: &Context, as_json: bool) -> Result<()> {
	let wallet = ctx.existing_wallet()?;
	let chain = ctx.chain().await?;
	let stakes = stakes(&chain, &wallet).await?;
	if as_json {
		let items: Vec<HotkeyStake> = stakes
			.iter()
			.map(|(name, address, stake)| HotkeyStake {
				hotkey: name.clone(),
				ss58: address.to_string(),
				stake: exact_number(chain.rpc.token.format(*stake)),
			})
			.collect();
		println!("{}", serde_json::to_string_pretty(&items)?);
		return Ok(());
	}
	let total: u128 = stakes.iter().map(|s| s.2).sum();
	for (name, address, stake) in &stakes {
		println!("{name:<16} {address}  {}", chain.rpc.token.display(*stake));
	}
	println!("total stake of wallet `{}`: {}", wallet.name, chain.rpc.token.display(total));
	Ok(())
}

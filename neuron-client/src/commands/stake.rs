//! `neuron stake add|remove|list`: balance moved into and out of stake on a hotkey (the
//! wallet's own, or anyone's as a nominator), and every position with its earnings.

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

/// Checks that `hotkey` was registered (anyone may stake on it); returns its owner.
async fn ensure_registered(chain: &Chain, hotkey: &AccountId32) -> Result<AccountId32> {
	match chain.owner(hotkey).await? {
		None => bail!(
			"hotkey {hotkey} has never been registered, so there is nothing to stake on (run \
			 `neuron register` first, or pick a hotkey from `neuron delegate list`)"
		),
		Some(owner) => Ok(owner),
	}
}

/// What `stake add` and `stake remove` check first: the wallet, a positive amount, and a
/// registered hotkey. Returns the chain, the hotkey, the amount and the hotkey's owner.
async fn stake_target(
	ctx: &Context,
	amount: &str,
) -> Result<(Chain, AccountId32, u128, AccountId32)> {
	ctx.existing_wallet()?.coldkey_address()?;
	let hotkey = ctx.hotkey_address()?;
	let chain = ctx.chain().await?;
	let amount = positive(&chain, amount)?;
	let owner = ensure_registered(&chain, &hotkey).await?;
	Ok((chain, hotkey, amount, owner))
}

/// Every position of `coldkey`, from the runtime.
pub(super) async fn positions(
	chain: &Chain,
	coldkey: &AccountId32,
) -> Result<
	Vec<runtime::runtime_types::pallet_bittensor::runtime_api::StakeInfo<AccountId32, u128, u32>>,
> {
	let at = chain.at_best().await?;
	Ok(at
		.runtime_apis()
		.call(runtime::runtime_apis().bittensor_api().stake_positions(*coldkey))
		.await?)
}

async fn add(ctx: &Context, amount: &str) -> Result<()> {
	let (chain, hotkey, amount, owner) = stake_target(ctx, amount).await?;
	let coldkey_address = ctx.existing_wallet()?.coldkey_address()?;
	let existing = positions(&chain, &coldkey_address).await?;
	if owner != coldkey_address && !existing.iter().any(|p| p.hotkey == hotkey) {
		let minimum: u128 = chain.constant("Bittensor", "MinNomination")?;
		if amount < minimum {
			bail!(
				"a new position on someone else's hotkey must be at least {} (--amount {} is \
				 less)",
				chain.rpc.token.display(minimum),
				chain.rpc.token.display(amount)
			);
		}
	}
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
	let (chain, hotkey, amount, _) = stake_target(ctx, amount).await?;
	let coldkey_address = ctx.existing_wallet()?.coldkey_address()?;
	let token = &chain.rpc.token;
	let position = positions(&chain, &coldkey_address)
		.await?
		.into_iter()
		.find(|p| p.hotkey == hotkey)
		.ok_or_else(|| anyhow!("coldkey {coldkey_address} has no stake on hotkey {hotkey}"))?;
	if position.worth < amount {
		bail!(
			"the position on hotkey {hotkey} is worth {}, less than the {} to remove",
			token.display(position.worth),
			token.display(amount)
		);
	}
	let best = u32::try_from(chain.best_block().await?).unwrap_or(u32::MAX);
	if best < position.locked_until && position.worth.saturating_sub(position.locked) < amount {
		bail!(
			"{} of the position was added within the hold period and is locked until block {} \
			 (now {best}): stake must stay a full tempo to count; {} can leave now",
			token.display(position.locked),
			position.locked_until,
			token.display(position.worth.saturating_sub(position.locked))
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
struct PositionShown {
	/// The wallet's name for the hotkey, or its SS58 address when it is not the wallet's.
	hotkey: String,
	ss58: String,
	/// What the position is worth (the same as `worth`; the key older scripts read).
	stake: Box<RawValue>,
	hotkey_owner: Option<String>,
	nominated: bool,
	worth: Box<RawValue>,
	principal: Box<RawValue>,
	earned: Box<RawValue>,
	locked: Box<RawValue>,
	locked_until: u32,
	take: Box<RawValue>,
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
	let coldkey = wallet.coldkey_address()?;
	let chain = ctx.chain().await?;
	let token = &chain.rpc.token;
	let mut positions = positions(&chain, &coldkey).await?;
	positions.sort_by_key(|p| std::cmp::Reverse(p.worth));
	let percent = |take: u32| exact_number(format!("{}", f64::from(take) / 10_000_000.0));
	let mut names = std::collections::HashMap::new();
	for name in wallet.hotkey_names().unwrap_or_default() {
		if let Ok(address) = wallet.hotkey_address(&name) {
			names.insert(address.to_string(), name);
		}
	}
	let shown: Vec<PositionShown> = positions
		.iter()
		.map(|p| PositionShown {
			hotkey: names
				.get(&p.hotkey.to_string())
				.cloned()
				.unwrap_or_else(|| p.hotkey.to_string()),
			ss58: p.hotkey.to_string(),
			stake: exact_number(token.format(p.worth)),
			hotkey_owner: p.hotkey_owner.as_ref().map(ToString::to_string),
			nominated: p.hotkey_owner.as_ref() != Some(&coldkey),
			worth: exact_number(token.format(p.worth)),
			principal: exact_number(token.format(p.principal)),
			earned: exact_number(token.format(p.worth.saturating_sub(p.principal))),
			locked: exact_number(token.format(p.locked)),
			locked_until: p.locked_until,
			take: percent(p.take.0),
		})
		.collect();
	if as_json {
		println!("{}", serde_json::to_string_pretty(&shown)?);
		return Ok(());
	}
	if shown.is_empty() {
		println!("coldkey {coldkey} of wallet `{}` holds no stake", wallet.name);
		return Ok(());
	}
	println!("{:<49} {:>10} {:>18} {:>18} {:>7}", "hotkey", "", "worth", "earned", "take %");
	for (p, s) in positions.iter().zip(&shown) {
		println!(
			"{:<49} {:>10} {:>18} {:>18} {:>7}",
			s.hotkey,
			if s.nominated { "nominated" } else { "own" },
			token.display(p.worth),
			token.display(p.worth.saturating_sub(p.principal)),
			s.take.get()
		);
	}
	let total: u128 = positions.iter().map(|p| p.worth).sum();
	println!("total stake of wallet `{}`: {}", wallet.name, token.display(total));
	Ok(())
}

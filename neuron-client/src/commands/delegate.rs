//! `neuron delegate list|take`: hotkeys others can stake on, and the take an owner keeps of
//! its nominators' dividends; `neuron swap-hotkey`: a neuron moved to a fresh hotkey.

use super::{submit, Context};
use crate::{
	chain::{ops, runtime},
	cli::DelegateCommand,
	output::exact_number,
};
use anyhow::{anyhow, bail, Result};
use runtime::runtime_types::sp_arithmetic::per_things::Perbill;
use serde::Serialize;
use serde_json::value::RawValue;

pub async fn run(ctx: &Context, command: DelegateCommand) -> Result<()> {
	match command {
		DelegateCommand::List { json } => list(ctx, json).await,
		DelegateCommand::Take { percent } => take(ctx, &percent).await,
	}
}

/// A take in percent, from parts per billion.
fn percent(take: &Perbill) -> Box<RawValue> {
	exact_number(format!("{}", f64::from(take.0) / 10_000_000.0))
}

#[derive(Serialize)]
struct DelegateShown {
	hotkey: String,
	owner: String,
	take: Box<RawValue>,
	stake: Box<RawValue>,
	nominators: u32,
	registrations: Vec<(u16, u16)>,
}

async fn list(ctx: &Context, as_json: bool) -> Result<()> {
	let chain = ctx.chain().await?;
	let token = &chain.rpc.token;
	let at = chain.at_best().await?;
	let mut delegates =
		at.runtime_apis().call(runtime::runtime_apis().bittensor_api().delegates()).await?;
	delegates.sort_by_key(|d| std::cmp::Reverse(d.stake));
	let shown: Vec<DelegateShown> = delegates
		.iter()
		.map(|d| DelegateShown {
			hotkey: d.hotkey.to_string(),
			owner: d.owner.to_string(),
			take: percent(&d.take),
			stake: exact_number(token.format(d.stake)),
			nominators: d.nominators,
			registrations: d.registrations.clone(),
		})
		.collect();
	if as_json {
		println!("{}", serde_json::to_string_pretty(&shown)?);
		return Ok(());
	}
	println!("{:<49} {:>7} {:>18} {:>10}  subnets", "hotkey", "take %", "stake", "nominators");
	for (d, s) in delegates.iter().zip(&shown) {
		let subnets: Vec<String> =
			d.registrations.iter().map(|(netuid, uid)| format!("{netuid}:{uid}")).collect();
		println!(
			"{:<49} {:>7} {:>18} {:>10}  {}",
			s.hotkey,
			s.take.get(),
			token.display(d.stake),
			d.nominators,
			subnets.join(" ")
		);
	}
	Ok(())
}

/// Parses `18` or `9.5` (percent) into parts per billion.
fn parse_percent(text: &str) -> Result<Perbill> {
	let value: f64 =
		text.trim().parse().map_err(|_| anyhow!("--percent: `{text}` is not a number"))?;
	if !(0.0..=100.0).contains(&value) {
		bail!("--percent: {text} is not between 0 and 100");
	}
	Ok(Perbill((value * 10_000_000.0).round() as u32))
}

async fn take(ctx: &Context, text: &str) -> Result<()> {
	let take = parse_percent(text)?;
	let wallet = ctx.existing_wallet()?;
	let coldkey_address = wallet.coldkey_address()?;
	let hotkey = ctx.hotkey_address()?;
	let chain = ctx.chain().await?;
	match chain.owner(&hotkey).await? {
		None => bail!("hotkey {hotkey} has never been registered"),
		Some(owner) if owner != coldkey_address => {
			bail!("hotkey {hotkey} belongs to coldkey {owner}, not to this wallet's {coldkey_address}")
		},
		Some(_) => {},
	}
	let max = Perbill(chain.constant::<u32>("Bittensor", "MaxTake")?);
	if take.0 > max.0 {
		bail!("--percent: the chain allows a take of at most {}%", percent(&max).get());
	}
	let coldkey = ctx.coldkey()?;
	let call = runtime::tx().bittensor().set_take(hotkey, Perbill(take.0));
	ops::ensure_affordable(&chain, &call, &coldkey, 0, "coldkey").await?;
	let what = format!("setting the take of {hotkey} to {}%", percent(&take).get());
	let included = submit(ctx, &chain, &call, &coldkey, &what).await?;
	println!("take of {hotkey} set to {}% (block {})", percent(&take).get(), included.block_hash);
	Ok(())
}

/// `neuron swap-hotkey --hotkey OLD --new-hotkey NEW`.
pub async fn swap(ctx: &Context, new_name: &str) -> Result<()> {
	let wallet = ctx.existing_wallet()?;
	let coldkey_address = wallet.coldkey_address()?;
	let old = ctx.hotkey_address()?;
	let new = wallet.hotkey_address(new_name)?;
	if old == new {
		bail!("--new-hotkey names the same key as --hotkey");
	}
	let chain = ctx.chain().await?;
	match chain.owner(&old).await? {
		None => bail!("hotkey {old} has never been registered: there is nothing to move"),
		Some(owner) if owner != coldkey_address => {
			bail!("hotkey {old} belongs to coldkey {owner}, not to this wallet's {coldkey_address}")
		},
		Some(_) => {},
	}
	if chain.owner(&new).await?.is_some() {
		bail!("hotkey {new} (`{new_name}`) is registered already; swap to a fresh hotkey");
	}
	let coldkey = ctx.coldkey()?;
	let call = runtime::tx().bittensor().swap_hotkey(old, new);
	ops::ensure_affordable(&chain, &call, &coldkey, 0, "coldkey").await?;
	let included = submit(ctx, &chain, &call, &coldkey, &format!("moving {old} to {new}")).await?;
	println!(
		"the neuron of {old} is now hotkey {new} (`{new_name}`) (block {})",
		included.block_hash
	);
	Ok(())
}

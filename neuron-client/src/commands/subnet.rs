//! `neuron subnet list|show|create|set|burn-cost|create-cost|dissolve`.

use super::{submit, Context};
use crate::{
	amount::Token,
	chain::{
		describe_module_error, find_event, ops, pallet_types::SubnetHyperparameters, runtime, Chain,
	},
	cli::{HyperparameterArgs, MechanismArg, SubnetCommand},
	output::exact_number,
	wallet,
};
use anyhow::{anyhow, bail, Result};
use runtime::runtime_types::{
	bittensor_runtime::RuntimeCall,
	pallet_bittensor::{pallet::Call as BittensorCall, types::Mechanism},
	sp_arithmetic::per_things::Perbill,
	sp_runtime::DispatchError as RuntimeDispatchError,
};
use serde::Serialize;
use serde_json::value::RawValue;

pub async fn run(ctx: &Context, command: SubnetCommand) -> Result<()> {
	match command {
		SubnetCommand::List { json } => list(ctx, json).await,
		SubnetCommand::Show { netuid, json } => show(ctx, netuid, json).await,
		SubnetCommand::Create { netuid: Some(netuid), hyperparameters, .. } => {
			sudo_set(ctx, netuid, hyperparameters, true).await
		},
		SubnetCommand::Create { netuid: None, max_lock_cost, hyperparameters } => {
			open(ctx, max_lock_cost.as_deref(), hyperparameters).await
		},
		SubnetCommand::Set { netuid, hyperparameters } => {
			sudo_set(ctx, netuid, hyperparameters, false).await
		},
		SubnetCommand::BurnCost { netuid, json } => burn_cost(ctx, netuid, json).await,
		SubnetCommand::CreateCost { json } => create_cost(ctx, json).await,
		SubnetCommand::Dissolve { netuid } => dissolve(ctx, netuid).await,
	}
}

#[derive(Serialize)]
struct Cost {
	#[serde(skip_serializing_if = "Option::is_none")]
	netuid: Option<u16>,
	cost: Box<RawValue>,
	block: u64,
}

async fn burn_cost(ctx: &Context, netuid: u16, as_json: bool) -> Result<()> {
	let chain = ctx.chain().await?;
	let price = ops::registration_price(&chain, netuid).await?;
	let block = chain.best_block().await?;
	if as_json {
		let cost =
			Cost { netuid: Some(netuid), cost: exact_number(chain.rpc.token.format(price)), block };
		println!("{}", serde_json::to_string_pretty(&cost)?);
	} else {
		println!(
			"registering in subnet {netuid} costs {} at block {block}",
			chain.rpc.token.display(price)
		);
	}
	Ok(())
}

async fn create_cost(ctx: &Context, as_json: bool) -> Result<()> {
	let chain = ctx.chain().await?;
	let cost = ops::network_lock_cost(&chain).await?;
	let block = chain.best_block().await?;
	if as_json {
		let shown = Cost { netuid: None, cost: exact_number(chain.rpc.token.format(cost)), block };
		println!("{}", serde_json::to_string_pretty(&shown)?);
	} else {
		println!(
			"opening a subnet locks {} at block {block} (returned when you dissolve it)",
			chain.rpc.token.display(cost)
		);
	}
	Ok(())
}

/// `subnet create` without --netuid: any coldkey opens a subnet for a lock.
async fn open(ctx: &Context, max_lock: Option<&str>, args: HyperparameterArgs) -> Result<()> {
	let wallet = ctx.existing_wallet()?;
	wallet.coldkey_address()?;
	let chain = ctx.chain().await?;
	let token = &chain.rpc.token;
	let mut base = defaults();
	// An owner's subnet mints nothing until root gives it an emission.
	base.emission_per_block = 0;
	let hyperparameters = apply(&chain, base, &args)?;
	if hyperparameters.emission_per_block != 0 {
		bail!(
			"--emission-per-block: only root sets what a subnet mints; open the subnet without \
			 it and ask root (or use --netuid with the sudo key)"
		);
	}
	let cost = ops::network_lock_cost(&chain).await?;
	let limit = match max_lock {
		Some(text) => tokens(&chain, "max-lock-cost", text)?,
		None => cost,
	};
	if cost > limit {
		bail!(
			"opening a subnet locks {} now, above --max-lock-cost {}",
			token.display(cost),
			token.display(limit)
		);
	}
	let coldkey = ctx.coldkey()?;
	let call = runtime::tx().bittensor().register_network(hyperparameters, limit);
	ops::ensure_affordable(&chain, &call, &coldkey, cost, "coldkey").await?;
	let what = format!("opening a subnet (locking {})", token.display(cost));
	let included = submit(ctx, &chain, &call, &coldkey, &what).await?;
	let event = find_event::<runtime::bittensor::events::NetworkRegistered>(&included)?
		.ok_or_else(|| anyhow!("the call left no NetworkRegistered event"))?;
	println!(
		"subnet {} opened by {}, {} locked (block {}); set its rules with `neuron subnet set \
		 --netuid {}`",
		event.netuid,
		event.owner,
		token.display(event.locked),
		included.block_hash,
		event.netuid
	);
	Ok(())
}

/// The subnet's owner, if a coldkey opened it.
async fn owner_of(chain: &Chain, netuid: u16) -> Result<Option<subxt::utils::AccountId32>> {
	let at = chain.at_best().await?;
	let owner =
		at.storage().try_fetch(runtime::storage().bittensor().subnet_owner(), (netuid,)).await?;
	Ok(match owner {
		Some(value) => Some(value.decode()?),
		None => None,
	})
}

async fn dissolve(ctx: &Context, netuid: u16) -> Result<()> {
	let wallet = ctx.existing_wallet()?;
	let coldkey_address = wallet.coldkey_address()?;
	let chain = ctx.chain().await?;
	ops::hyperparameters(&chain, netuid).await?;
	match owner_of(&chain, netuid).await? {
		Some(owner) if owner == coldkey_address => {},
		Some(owner) => bail!(
			"subnet {netuid} belongs to coldkey {owner}, not to this wallet's {coldkey_address}"
		),
		None => bail!("subnet {netuid} was created by root; only root can dissolve it"),
	}
	let coldkey = ctx.coldkey()?;
	let call = runtime::tx().bittensor().dissolve_network(netuid);
	ops::ensure_affordable(&chain, &call, &coldkey, 0, "coldkey").await?;
	let included =
		submit(ctx, &chain, &call, &coldkey, &format!("dissolving subnet {netuid}")).await?;
	let event = find_event::<runtime::bittensor::events::NetworkDissolved>(&included)?
		.ok_or_else(|| anyhow!("the call left no NetworkDissolved event"))?;
	println!(
		"subnet {netuid} dissolved; {} returned to {coldkey_address} (block {})",
		chain.rpc.token.display(event.refunded),
		included.block_hash
	);
	Ok(())
}

fn perbill(p: &Perbill) -> String {
	Token { symbol: String::new(), decimals: 9 }.format(p.0 as u128)
}

/// Hyperparameters in human units: fractions as decimals, balances in tokens.
#[derive(Serialize)]
struct Shown {
	netuid: u16,
	neurons: u16,
	tempo: u16,
	rho: u16,
	kappa: Box<RawValue>,
	emission_per_block: Box<RawValue>,
	max_uids: u16,
	min_allowed_weights: u16,
	max_weight_limit: Box<RawValue>,
	weights_rate_limit: u32,
	activity_cutoff: u32,
	immunity_period: u32,
	registration_burn: Box<RawValue>,
	bonds_moving_average: Box<RawValue>,
	min_stake_to_set_weights: Box<RawValue>,
	weights_version_key: u64,
	mechanism: &'static str,
	commit_reveal_period: u16,
	max_burn: Box<RawValue>,
	burn_increase: Box<RawValue>,
	burn_half_life: u32,
	min_non_immune_uids: u16,
}

/// The chain's form of `--mechanism`.
pub(super) fn mechanism(arg: MechanismArg) -> Mechanism {
	match arg {
		MechanismArg::Paper => Mechanism::Paper,
		MechanismArg::Clipped => Mechanism::Clipped,
	}
}

/// `paper` or `clipped`, as users type it.
fn mechanism_name(mechanism: &Mechanism) -> &'static str {
	match mechanism {
		Mechanism::Paper => "paper",
		Mechanism::Clipped => "clipped",
	}
}

impl Shown {
	fn new(netuid: u16, neurons: u16, h: &SubnetHyperparameters<u128>, token: &Token) -> Self {
		Self {
			netuid,
			neurons,
			tempo: h.tempo,
			rho: h.rho,
			kappa: exact_number(perbill(&h.kappa)),
			emission_per_block: exact_number(token.format(h.emission_per_block)),
			max_uids: h.max_uids,
			min_allowed_weights: h.min_allowed_weights,
			max_weight_limit: exact_number(perbill(&h.max_weight_limit)),
			weights_rate_limit: h.weights_rate_limit,
			activity_cutoff: h.activity_cutoff,
			immunity_period: h.immunity_period,
			registration_burn: exact_number(token.format(h.registration_burn)),
			bonds_moving_average: exact_number(perbill(&h.bonds_moving_average)),
			min_stake_to_set_weights: exact_number(token.format(h.min_stake_to_set_weights)),
			weights_version_key: h.weights_version_key,
			mechanism: mechanism_name(&h.mechanism),
			commit_reveal_period: h.commit_reveal_period,
			max_burn: exact_number(token.format(h.max_burn)),
			burn_increase: exact_number(perbill(&h.burn_increase)),
			burn_half_life: h.burn_half_life,
			min_non_immune_uids: h.min_non_immune_uids,
		}
	}
}

async fn list(ctx: &Context, as_json: bool) -> Result<()> {
	let chain = ctx.chain().await?;
	let at = chain.at_best().await?;
	let netuids = at.runtime_apis().call(runtime::runtime_apis().bittensor_api().subnets()).await?;
	let mut shown = Vec::new();
	for netuid in netuids {
		let h = ops::hyperparameters(&chain, netuid).await?;
		shown.push(Shown::new(netuid, chain.subnet_size(netuid).await?, &h, &chain.rpc.token));
	}
	if as_json {
		println!("{}", serde_json::to_string_pretty(&shown)?);
		return Ok(());
	}
	println!("NETUID  NEURONS  MAX UIDS  TEMPO  EMISSION/BLOCK  REGISTRATION BURN  MECHANISM");
	for s in &shown {
		println!(
			"{:>6}  {:>7}  {:>8}  {:>5}  {:>14}  {:>17}  {}",
			s.netuid,
			s.neurons,
			s.max_uids,
			s.tempo,
			s.emission_per_block.get(),
			s.registration_burn.get(),
			s.mechanism
		);
	}
	if shown.is_empty() {
		println!("(no subnets)");
	}
	Ok(())
}

async fn show(ctx: &Context, netuid: u16, as_json: bool) -> Result<()> {
	let chain = ctx.chain().await?;
	let h = ops::hyperparameters(&chain, netuid).await?;
	let shown = Shown::new(netuid, chain.subnet_size(netuid).await?, &h, &chain.rpc.token);
	if as_json {
		println!("{}", serde_json::to_string_pretty(&shown)?);
		return Ok(());
	}
	let token = &chain.rpc.token.symbol;
	let lines: [(&str, String); 22] = [
		("netuid", shown.netuid.to_string()),
		("neurons", shown.neurons.to_string()),
		("tempo", format!("{} blocks", shown.tempo)),
		("rho", shown.rho.to_string()),
		("kappa", shown.kappa.get().to_string()),
		("emission_per_block", format!("{} {token}", shown.emission_per_block.get())),
		("max_uids", shown.max_uids.to_string()),
		("min_allowed_weights", shown.min_allowed_weights.to_string()),
		("max_weight_limit", shown.max_weight_limit.get().to_string()),
		("weights_rate_limit", format!("{} blocks", shown.weights_rate_limit)),
		("activity_cutoff", format!("{} blocks", shown.activity_cutoff)),
		("immunity_period", format!("{} blocks", shown.immunity_period)),
		("registration_burn", format!("{} {token}", shown.registration_burn.get())),
		("bonds_moving_average", shown.bonds_moving_average.get().to_string()),
		("min_stake_to_set_weights", format!("{} {token}", shown.min_stake_to_set_weights.get())),
		("weights_version_key", shown.weights_version_key.to_string()),
		("mechanism", shown.mechanism.to_string()),
		("commit_reveal_period", format!("{} epochs", shown.commit_reveal_period)),
		("max_burn", format!("{} {token}", shown.max_burn.get())),
		("burn_increase", shown.burn_increase.get().to_string()),
		("burn_half_life", format!("{} blocks", shown.burn_half_life)),
		("min_non_immune_uids", shown.min_non_immune_uids.to_string()),
	];
	for (name, value) in lines {
		println!("{name:<26}{value}");
	}
	Ok(())
}

/// Parses a fraction from 0 to 1 (`0.5`) into parts per billion.
fn fraction(flag: &str, text: &str) -> Result<Perbill> {
	let parts = Token { symbol: String::new(), decimals: 9 }
		.parse(text)
		.map_err(|e| anyhow!("--{flag}: {e}"))?;
	if parts > 1_000_000_000 {
		bail!("--{flag}: {text} is above 1");
	}
	Ok(Perbill(parts as u32))
}

fn tokens(chain: &Chain, flag: &str, text: &str) -> Result<u128> {
	chain.rpc.token.parse(text).map_err(|e| anyhow!("--{flag}: {e}"))
}

/// `Pallet::Error: docs` for an error carried inside an event (as `Sudo::Sudid` does).
fn describe(chain: &Chain, error: &RuntimeDispatchError) -> String {
	if let RuntimeDispatchError::Module(module) = error {
		if let Some(text) = describe_module_error(&chain.metadata, module.index, module.error[0]) {
			return text;
		}
	}
	format!("{error:?}")
}

/// What `subnet create` uses for a flag left out.
fn defaults() -> SubnetHyperparameters<u128> {
	SubnetHyperparameters {
		tempo: 100,
		rho: 10,
		kappa: Perbill(500_000_000),
		emission_per_block: 1_000_000_000,
		max_uids: 4096,
		min_allowed_weights: 1,
		max_weight_limit: Perbill(1_000_000_000),
		weights_rate_limit: 0,
		activity_cutoff: 5000,
		immunity_period: 100,
		registration_burn: 100_000_000,
		bonds_moving_average: Perbill(900_000_000),
		min_stake_to_set_weights: 0,
		weights_version_key: 0,
		mechanism: Mechanism::Clipped,
		commit_reveal_period: 0,
		max_burn: 10_000_000_000,
		burn_increase: Perbill(260_000_000),
		burn_half_life: 300,
		min_non_immune_uids: 1,
	}
}

/// `base` with every flag that was given applied.
fn apply(
	chain: &Chain,
	base: SubnetHyperparameters<u128>,
	args: &HyperparameterArgs,
) -> Result<SubnetHyperparameters<u128>> {
	let fraction_or = |flag: &str, given: &Option<String>, current: Perbill| match given {
		Some(text) => fraction(flag, text),
		None => Ok(current),
	};
	let tokens_or = |flag: &str, given: &Option<String>, current: u128| match given {
		Some(text) => tokens(chain, flag, text),
		None => Ok(current),
	};
	Ok(SubnetHyperparameters {
		tempo: args.tempo.unwrap_or(base.tempo),
		rho: args.rho.unwrap_or(base.rho),
		kappa: fraction_or("kappa", &args.kappa, base.kappa)?,
		emission_per_block: tokens_or(
			"emission-per-block",
			&args.emission_per_block,
			base.emission_per_block,
		)?,
		max_uids: args.max_uids.unwrap_or(base.max_uids),
		min_allowed_weights: args.min_allowed_weights.unwrap_or(base.min_allowed_weights),
		max_weight_limit: fraction_or(
			"max-weight-limit",
			&args.max_weight_limit,
			base.max_weight_limit,
		)?,
		weights_rate_limit: args.weights_rate_limit.unwrap_or(base.weights_rate_limit),
		activity_cutoff: args.activity_cutoff.unwrap_or(base.activity_cutoff),
		immunity_period: args.immunity_period.unwrap_or(base.immunity_period),
		registration_burn: tokens_or(
			"registration-burn",
			&args.registration_burn,
			base.registration_burn,
		)?,
		bonds_moving_average: fraction_or(
			"bonds-moving-average",
			&args.bonds_moving_average,
			base.bonds_moving_average,
		)?,
		min_stake_to_set_weights: tokens_or(
			"min-stake-to-set-weights",
			&args.min_stake_to_set_weights,
			base.min_stake_to_set_weights,
		)?,
		weights_version_key: args.weights_version_key.unwrap_or(base.weights_version_key),
		mechanism: args.mechanism.map_or(base.mechanism, mechanism),
		commit_reveal_period: args.commit_reveal_period.unwrap_or(base.commit_reveal_period),
		max_burn: tokens_or("max-burn", &args.max_burn, base.max_burn)?,
		burn_increase: fraction_or("burn-increase", &args.burn_increase, base.burn_increase)?,
		burn_half_life: args.burn_half_life.unwrap_or(base.burn_half_life),
		min_non_immune_uids: args.min_non_immune_uids.unwrap_or(base.min_non_immune_uids),
	})
}

/// `subnet create` (`create`: the subnet must not exist; flags left out take the defaults) and
/// `subnet set` (it must exist; flags left out keep their value), both as root through sudo.
async fn sudo_set(
	ctx: &Context,
	netuid: u16,
	args: HyperparameterArgs,
	create: bool,
) -> Result<()> {
	let wallet = ctx.existing_wallet()?;
	let coldkey_address = wallet.coldkey_address()?;
	let chain = ctx.chain().await?;
	let at = chain.at_best().await?;
	let current =
		at.storage().try_fetch(runtime::storage().bittensor().subnets(), (netuid,)).await?;
	let base = match (current, create) {
		(Some(_), true) => bail!("subnet {netuid} already exists"),
		(None, false) => bail!("subnet {netuid} does not exist (see `neuron subnet list`)"),
		(Some(value), false) => value.decode()?,
		(None, true) => defaults(),
	};
	let hyperparameters = apply(&chain, base, &args)?;
	if !create && owner_of(&chain, netuid).await?.as_ref() == Some(&coldkey_address) {
		// The subnet's owner sets its rules itself, within the bounds the chain keeps.
		let coldkey = ctx.coldkey()?;
		let call = runtime::tx().bittensor().set_hyperparameters(netuid, hyperparameters);
		ops::ensure_affordable(&chain, &call, &coldkey, 0, "coldkey").await?;
		let what = format!("changing subnet {netuid} as its owner");
		let included = submit(ctx, &chain, &call, &coldkey, &what).await?;
		println!(
			"subnet {netuid} updated by its owner {coldkey_address} in block {}",
			included.block_hash
		);
		return Ok(());
	}
	let sudo = at.storage().try_fetch(runtime::storage().sudo().key(), ()).await?;
	let sudo = match sudo {
		Some(value) => value.decode()?,
		None => bail!("this chain has no sudo key, so subnets cannot be changed from a wallet"),
	};
	let verb = if create { "creating a subnet" } else { "changing a subnet" };
	if sudo != coldkey_address {
		bail!(
			"{verb} needs root or the subnet's owner: the coldkey {coldkey_address} of wallet \
			 `{}` is neither the chain's sudo key {sudo} nor the owner (without --netuid, \
			 `subnet create` opens a subnet of your own)",
			wallet.name
		);
	}
	let coldkey = ctx.coldkey()?;
	let inner = if create {
		BittensorCall::create_subnet { netuid, hyperparameters }
	} else {
		BittensorCall::set_hyperparameters { netuid, hyperparameters }
	};
	let call = runtime::tx().sudo().sudo(RuntimeCall::Bittensor(inner));
	ops::ensure_affordable(&chain, &call, &coldkey, 0, "coldkey").await?;
	let what = format!("{verb} ({netuid})");
	let included = submit(ctx, &chain, &call, &coldkey, &what).await?;
	if let Some(sudid) = find_event::<runtime::sudo::events::Sudid>(&included)? {
		if let Err(error) = sudid.sudo_result {
			bail!("{}", describe(&chain, &error));
		}
	}
	let done = if create { "created" } else { "updated" };
	println!(
		"subnet {netuid} {done} by {} in block {}",
		wallet::address(&coldkey),
		included.block_hash
	);
	Ok(())
}

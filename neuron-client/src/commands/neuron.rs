//! A neuron's own transactions: `register`, `axon serve`, `weights set`.

use super::{ensure_affordable, subnet::hyperparameters, Context};
use crate::{
	chain::{
		find_event, metagraph, runtime,
		weights::{self, Rules},
		Chain,
	},
	cli::{AxonCommand, WeightsCommand},
	wallet,
};
use anyhow::{anyhow, bail, Result};
use std::net::IpAddr;
use subxt::utils::AccountId32;

/// The uid of `hotkey` in subnet `netuid`, if registered there.
async fn uid_of(chain: &Chain, netuid: u16, hotkey: &AccountId32) -> Result<Option<u16>> {
	let at = chain.at_best().await?;
	let value =
		at.storage().try_fetch(runtime::storage().bittensor().uids(), (netuid, *hotkey)).await?;
	Ok(match value {
		Some(v) => Some(v.decode()?),
		None => None,
	})
}

pub async fn register(ctx: &Context, netuid: u16) -> Result<()> {
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

/// An IP address as the chain stores it: `(ip as u128, 4 | 6)`.
fn encode_ip(text: &str) -> Result<(u128, u8)> {
	match text.trim().parse::<IpAddr>() {
		Ok(IpAddr::V4(ip)) if !ip.is_unspecified() => Ok((u32::from(ip) as u128, 4)),
		Ok(IpAddr::V6(ip)) if !ip.is_unspecified() => Ok((u128::from(ip), 6)),
		Ok(_) => bail!("--ip {text} is unspecified; give the address peers should connect to"),
		Err(_) => bail!("--ip `{text}` is not an IPv4 or IPv6 address"),
	}
}

pub async fn axon(ctx: &Context, command: AxonCommand) -> Result<()> {
	let AxonCommand::Serve { netuid, ip, port, version, protocol } = command;
	let (ip, ip_type) = encode_ip(&ip)?;
	if port == 0 {
		bail!("--port must be between 1 and 65535");
	}
	let hotkey = ctx.hotkey()?;
	let address = wallet::address(&hotkey);
	let chain = ctx.chain().await?;
	hyperparameters(&chain, netuid).await?;
	let Some(uid) = uid_of(&chain, netuid, &address).await? else {
		bail!(
			"hotkey {address} is not registered in subnet {netuid} (run `neuron register \
			 --netuid {netuid}` first)"
		);
	};
	let call = runtime::tx().bittensor().serve_axon(netuid, version, ip, port, ip_type, protocol);
	ensure_affordable(&chain, &call, &hotkey, 0, "hotkey").await?;
	let what = format!("serving the axon of uid {uid}");
	let included = chain.submit(&call, &hotkey, &what, ctx.settings.wait_finalized).await?;
	let endpoint = metagraph::Axon { block: 0, version, ip, port, ip_type, protocol }.endpoint();
	println!("uid {uid} in subnet {netuid} serves at {endpoint} (block {})", included.block_hash);
	Ok(())
}

pub async fn weights(ctx: &Context, command: WeightsCommand) -> Result<()> {
	let WeightsCommand::Set { netuid, uids, values, version_key } = command;
	let uids = weights::parse_uids(&uids)?;
	let values = weights::parse_values(&values)?;
	let hotkey = ctx.hotkey()?;
	let address = wallet::address(&hotkey);
	let chain = ctx.chain().await?;
	let graph = super::metagraph::fetch(&chain.rpc, netuid).await?;
	let ss58 = address.to_string();
	let Some(me) = graph.neurons.iter().find(|n| n.hotkey == ss58) else {
		bail!(
			"hotkey {address} is not registered in subnet {netuid} (run `neuron register \
			 --netuid {netuid}` first)"
		);
	};
	let h = &graph.hyperparameters;
	if me.stake < h.min_stake_to_set_weights {
		bail!(
			"hotkey {address} has {} staked; setting weights in subnet {netuid} needs {}",
			chain.rpc.token.display(me.stake),
			chain.rpc.token.display(h.min_stake_to_set_weights)
		);
	}
	let version_key = version_key.unwrap_or(h.weights_version_key);
	if version_key < h.weights_version_key {
		bail!(
			"--version-key {version_key} is below the subnet's weights_version_key {}: update \
			 your neuron",
			h.weights_version_key
		);
	}
	// The transaction lands in the next block at the earliest.
	let next_block = chain.best_block().await? + 1;
	let ready_at = me.last_update + u64::from(h.weights_rate_limit);
	if me.weights > 0 && next_block < ready_at {
		bail!(
			"weights are rate limited: uid {} last set them at block {} and subnet {netuid}'s \
			 weights_rate_limit allows one update every {} blocks; try again at block {ready_at} \
			 (now {})",
			me.uid,
			me.last_update,
			h.weights_rate_limit,
			next_block - 1
		);
	}
	let rules = Rules {
		subnet_size: graph.neurons.len() as u16,
		own_uid: me.uid,
		min_allowed_weights: h.min_allowed_weights,
		max_weight_limit: h.max_weight_limit,
		max_weights_per_neuron: chain.constant::<u32>("Bittensor", "MaxWeightsPerNeuron")?,
	};
	let chain_values = weights::check(&uids, &values, &rules)?;
	let call =
		runtime::tx().bittensor().set_weights(netuid, uids.clone(), chain_values, version_key);
	ensure_affordable(&chain, &call, &hotkey, 0, "hotkey").await?;
	let what = format!("setting {} weights of uid {}", uids.len(), me.uid);
	let included = chain.submit(&call, &hotkey, &what, ctx.settings.wait_finalized).await?;
	let count = find_event::<runtime::bittensor::events::WeightsSet>(&included)?
		.map(|e| e.count)
		.unwrap_or(uids.len() as u32);
	println!(
		"uid {} set {count} weights in subnet {netuid} (block {})",
		me.uid, included.block_hash
	);
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::encode_ip;

	#[test]
	fn ips_encode_as_the_chain_expects() {
		assert_eq!(encode_ip("127.0.0.1").unwrap(), (0x7f00_0001, 4));
		assert_eq!(encode_ip("::1").unwrap(), (1, 6));
		assert!(encode_ip("0.0.0.0").is_err());
		assert!(encode_ip("300.1.1.1").is_err());
		assert!(encode_ip("localhost").is_err());
	}
}

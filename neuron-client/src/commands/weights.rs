//! `neuron weights set`: the hotkey's weight row, checked against the subnet's rules first.

use super::Context;
use crate::{
	chain::{
		find_event, runtime,
		weights::{self, Rules},
	},
	cli::WeightsCommand,
	wallet,
};
use anyhow::{bail, Result};

/// Runs the command.
pub async fn run(ctx: &Context, command: WeightsCommand) -> Result<()> {
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
	// Free for a registered hotkey: it needs no balance, and the pool checks the call.
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

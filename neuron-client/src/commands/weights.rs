//! `neuron weights set|commit|reveal|pending`: the hotkey's weight row, checked against the
//! subnet's rules first; set directly, or committed and revealed where the subnet uses
//! commit-reveal.

use super::{Context, Shown};
use crate::{
	chain::{commit_reveal, ops, weights},
	cli::WeightsCommand,
	wallet::{self, commits::CommitStore},
};
use anyhow::Result;
use serde::Serialize;

/// Runs the command.
pub async fn run(ctx: &Context, command: WeightsCommand) -> Result<()> {
	match command {
		WeightsCommand::Set { netuid, uids, values, version_key } => {
			set(ctx, netuid, &uids, &values, version_key).await
		},
		WeightsCommand::Commit { netuid, uids, values, version_key } => {
			commit(ctx, netuid, &uids, &values, version_key).await
		},
		WeightsCommand::Reveal { netuid } => reveal(ctx, netuid).await,
		WeightsCommand::Pending { netuid, json } => pending(ctx, netuid, json).await,
	}
}

async fn set(
	ctx: &Context,
	netuid: u16,
	uids: &str,
	values: &str,
	version_key: Option<u64>,
) -> Result<()> {
	let uids = weights::parse_uids(uids)?;
	let values = weights::parse_values(values)?;
	let hotkey = ctx.hotkey()?;
	let chain = ctx.chain().await?;
	let shown = Shown::new(format!("setting {} weights in subnet {netuid}", uids.len()));
	let tell = |stage: &str| shown.stage(stage);
	let set =
		ops::set_weights(&chain, &hotkey, netuid, &uids, &values, version_key, ctx.watch(&tell))
			.await;
	shown.finish();
	let set = set?;
	println!(
		"uid {} set {} weights in subnet {netuid} (block {})",
		set.uid, set.count, set.block_hash
	);
	Ok(())
}

/// The commits of the selected hotkey, kept in its wallet.
fn store(ctx: &Context, hotkey: &subxt::utils::AccountId32) -> Result<CommitStore> {
	Ok(CommitStore::new(&ctx.existing_wallet()?.path, &hotkey.to_string()))
}

async fn commit(
	ctx: &Context,
	netuid: u16,
	uids: &str,
	values: &str,
	version_key: Option<u64>,
) -> Result<()> {
	let uids = weights::parse_uids(uids)?;
	let values = weights::parse_values(values)?;
	let hotkey = ctx.hotkey()?;
	let address = wallet::address(&hotkey);
	let store = store(ctx, &address)?;
	let chain = ctx.chain().await?;
	let graph = ops::metagraph(&chain.rpc, netuid).await?;
	let best = chain.best_block().await?;
	let max_per_neuron = chain.constant::<u32>("Bittensor", "MaxWeightsPerNeuron")?;
	let preflight = commit_reveal::commit_preflight(
		&graph,
		&address,
		best,
		version_key,
		max_per_neuron,
		&chain.rpc.token,
	)?;
	let shown = Shown::new(format!("committing {} weights in subnet {netuid}", uids.len()));
	let tell = |stage: &str| shown.stage(stage);
	let committed = commit_reveal::commit_weights(
		&chain,
		&hotkey,
		&store,
		&preflight,
		&uids,
		&values,
		ctx.watch(&tell),
	)
	.await;
	shown.finish();
	let committed = committed?;
	println!(
		"uid {} committed {} weights in subnet {netuid} (block {}); reveal from block {} to {} \
		 with `neuron weights reveal --netuid {netuid}`",
		committed.uid,
		uids.len(),
		committed.block_hash,
		committed.reveal_from,
		committed.reveal_until
	);
	println!("salt and row saved in {}", committed.file.display());
	Ok(())
}

async fn reveal(ctx: &Context, netuid: u16) -> Result<()> {
	let hotkey = ctx.hotkey()?;
	let address = wallet::address(&hotkey);
	let store = store(ctx, &address)?;
	let chain = ctx.chain().await?;
	let graph = ops::metagraph(&chain.rpc, netuid).await?;
	let best = chain.best_block().await?;
	let shown = Shown::new(format!("revealing weights in subnet {netuid}"));
	let tell = |stage: &str| shown.stage(stage);
	let report =
		commit_reveal::reveal_ready(&chain, &hotkey, &store, &graph, best, ctx.watch(&tell)).await;
	shown.finish();
	let report = report?;
	for r in &report.revealed {
		println!(
			"revealed {}: {} weights ({} left out: uids registered since the commit) (block {})",
			r.hash, r.count, r.dropped, r.block_hash
		);
	}
	for (hash, from) in &report.waiting {
		println!("{hash} waits for its window, which opens at block {from} (now {best})");
	}
	for hash in &report.forgotten {
		println!("{hash} is no longer on chain (revealed or expired): forgotten");
	}
	if report.revealed.is_empty() && report.waiting.is_empty() {
		println!("nothing to reveal in subnet {netuid}");
	}
	Ok(())
}

/// One pending commit as `weights pending --json` prints it.
#[derive(Serialize)]
struct PendingShown {
	hash: String,
	epoch: u64,
	committed_at: u64,
	reveal_from: u64,
	reveal_until: u64,
	/// `waiting`, `open` or `expired`, at the next block.
	state: &'static str,
	/// The file holding its row and salt, if this wallet has it.
	saved: Option<String>,
}

async fn pending(ctx: &Context, netuid: u16, as_json: bool) -> Result<()> {
	let address = ctx.hotkey_address()?;
	let chain = ctx.chain().await?;
	let graph = ops::metagraph(&chain.rpc, netuid).await?;
	let next = chain.best_block().await? + 1;
	let saved = match ctx.existing_wallet() {
		Ok(wallet) => CommitStore::new(&wallet.path, &address.to_string()).load(netuid)?,
		Err(_) => Vec::new(),
	};
	let ss58 = address.to_string();
	let Some(me) = graph.neurons.iter().find(|n| n.hotkey == ss58) else {
		return Err(crate::chain::ChainError::NotRegistered { hotkey: address, netuid }.into());
	};
	let shown: Vec<PendingShown> = me
		.pending_commits
		.iter()
		.map(|c| PendingShown {
			hash: c.hash.clone(),
			epoch: c.epoch,
			committed_at: c.committed_at,
			reveal_from: c.reveal_from,
			reveal_until: c.reveal_until,
			state: if next < c.reveal_from {
				"waiting"
			} else if next <= c.reveal_until {
				"open"
			} else {
				"expired"
			},
			saved: saved
				.iter()
				.find(|(_, row)| row.hash.eq_ignore_ascii_case(&c.hash))
				.map(|(path, _)| path.display().to_string()),
		})
		.collect();
	if as_json {
		println!("{}", serde_json::to_string_pretty(&shown)?);
		return Ok(());
	}
	let period = graph.hyperparameters.commit_reveal_period;
	println!(
		"uid {} in subnet {netuid} (commit_reveal_period {period}): {} pending, next block {next}",
		me.uid,
		shown.len()
	);
	for c in &shown {
		println!(
			"{}  epoch {}  committed at {}  reveal {}..={}  {}  {}",
			c.hash,
			c.epoch,
			c.committed_at,
			c.reveal_from,
			c.reveal_until,
			c.state,
			c.saved.as_deref().unwrap_or("(no saved row in this wallet)")
		);
	}
	Ok(())
}

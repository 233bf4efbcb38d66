//! `neuron transfer`: tokens from the wallet's coldkey to another account.

use super::{stake::positive, submit, Context};
use crate::{
	chain::{ops, runtime},
	wallet,
};
use anyhow::{anyhow, Result};
use subxt::utils::MultiAddress;

/// Runs the command.
pub async fn run(ctx: &Context, dest: &str, amount: &str) -> Result<()> {
	let dest = wallet::parse_address(dest).map_err(|e| anyhow!("--dest: {e}"))?;
	let wallet = ctx.existing_wallet()?;
	wallet.coldkey_address()?;
	let chain = ctx.chain().await?;
	let amount = positive(&chain, amount)?;
	let coldkey = ctx.coldkey()?;
	let call = runtime::tx().balances().transfer_keep_alive(MultiAddress::Id(dest), amount);
	ops::ensure_affordable(&chain, &call, &coldkey, amount, "coldkey").await?;
	let what = format!("sending {} to {dest}", chain.rpc.token.display(amount));
	let included = submit(ctx, &chain, &call, &coldkey, &what).await?;
	println!("sent {} to {dest} (block {})", chain.rpc.token.display(amount), included.block_hash);
	Ok(())
}

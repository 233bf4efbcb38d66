//! `neuron axon serve`: announce on chain where the hotkey's axon listens.

use super::{subnet::hyperparameters, uid_of, Context};
use crate::{
	chain::{metagraph, runtime},
	cli::AxonCommand,
	wallet,
};
use anyhow::{bail, Result};
use std::net::IpAddr;

/// An IP address as the chain stores it: `(ip as u128, 4 | 6)`.
fn encode_ip(text: &str) -> Result<(u128, u8)> {
	match text.trim().parse::<IpAddr>() {
		Ok(IpAddr::V4(ip)) if !ip.is_unspecified() => Ok((u32::from(ip) as u128, 4)),
		Ok(IpAddr::V6(ip)) if !ip.is_unspecified() => Ok((u128::from(ip), 6)),
		Ok(_) => bail!("--ip {text} is unspecified; give the address peers should connect to"),
		Err(_) => bail!("--ip `{text}` is not an IPv4 or IPv6 address"),
	}
}

/// Runs the command.
pub async fn run(ctx: &Context, command: AxonCommand) -> Result<()> {
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
	// Free for a registered hotkey: it needs no balance, and the pool checks the call.
	let what = format!("serving the axon of uid {uid}");
	let included = chain.submit(&call, &hotkey, &what, ctx.settings.wait_finalized).await?;
	let endpoint = metagraph::Axon { block: 0, version, ip, port, ip_type, protocol }.endpoint();
	println!("uid {uid} in subnet {netuid} serves at {endpoint} (block {})", included.block_hash);
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

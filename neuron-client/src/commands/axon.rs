//! `neuron axon serve`: announce on chain where the hotkey's axon listens.

use super::{Context, Shown};
use crate::{
	chain::ops::{self, AxonEndpoint},
	cli::AxonCommand,
};
use anyhow::{bail, Result};
use std::net::IpAddr;

/// The `--ip` flag: an IPv4 or IPv6 address peers can connect to.
fn parse_ip(text: &str) -> Result<IpAddr> {
	match text.trim().parse::<IpAddr>() {
		Ok(ip) if ip.is_unspecified() => {
			bail!("--ip {text} is unspecified; give the address peers should connect to")
		},
		Ok(ip) => Ok(ip),
		Err(_) => bail!("--ip `{text}` is not an IPv4 or IPv6 address"),
	}
}

/// Runs the command.
pub async fn run(ctx: &Context, command: AxonCommand) -> Result<()> {
	let AxonCommand::Serve { netuid, ip, port, version, protocol } = command;
	let endpoint = AxonEndpoint { ip: parse_ip(&ip)?, port, version, protocol };
	if port == 0 {
		bail!("--port must be between 1 and 65535");
	}
	let hotkey = ctx.hotkey()?;
	let chain = ctx.chain().await?;
	let shown = Shown::new(format!("serving the axon at {}", endpoint.shown()));
	let tell = |stage: &str| shown.stage(stage);
	let served = ops::serve_axon(&chain, &hotkey, netuid, &endpoint, ctx.watch(&tell)).await;
	shown.finish();
	let served = served?;
	println!(
		"uid {} in subnet {netuid} serves at {} (block {})",
		served.uid,
		endpoint.shown(),
		served.block_hash
	);
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::parse_ip;

	#[test]
	fn ips_are_checked_before_anything_is_sent() {
		assert_eq!(parse_ip("127.0.0.1").unwrap().to_string(), "127.0.0.1");
		assert_eq!(parse_ip(" ::1 ").unwrap().to_string(), "::1");
		assert!(parse_ip("0.0.0.0").unwrap_err().to_string().contains("unspecified"));
		assert!(parse_ip("300.1.1.1").is_err());
		assert!(parse_ip("localhost").unwrap_err().to_string().contains("not an IPv4"));
	}
}

//! `neuron explorer [--port 8080]`: see [`crate::explorer`].

use super::Context;
use crate::explorer::{self, Market};
use anyhow::{Context as _, Result};
use std::{net::IpAddr, net::SocketAddr, time::Duration};

/// Serves the explorer until Ctrl-C.
pub async fn run(
	ctx: &Context,
	bind: IpAddr,
	port: u16,
	epochs: usize,
	metrics: Vec<String>,
) -> Result<()> {
	let market = Market::shared();
	let collector =
		explorer::collect::start(&ctx.settings.url, market.clone(), epochs, metrics).await?;
	let addr = SocketAddr::new(bind, port);
	let (local, server) =
		explorer::serve(market, addr).await.with_context(|| format!("serving on {addr}"))?;
	println!("explorer at http://{local}/ (JSON under /api/), reading {}", ctx.settings.url);
	let follower = tokio::spawn(collector.follow(Duration::from_secs(1)));
	tokio::signal::ctrl_c().await?;
	follower.abort();
	server.abort();
	Ok(())
}

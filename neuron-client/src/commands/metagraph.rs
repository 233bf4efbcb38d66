//! `neuron metagraph --netuid N [--json]`.

use super::Context;
use crate::chain::{metagraph, ops, Rpc};
use anyhow::Result;

/// Fetches the metagraph and renders it: the whole path the metagraph benchmark times.
pub async fn render(node: &Rpc, netuid: u16, as_json: bool) -> Result<String> {
	let graph = ops::metagraph(node, netuid).await?;
	Ok(if as_json {
		metagraph::json(&graph, &node.token)
	} else {
		metagraph::table(&graph, &node.token)
	})
}

pub async fn run(ctx: &Context, netuid: u16, as_json: bool) -> Result<()> {
	let node = Rpc::connect(&ctx.settings.url).await?;
	let out = render(&node, netuid, as_json).await?;
	use std::io::Write;
	let mut stdout = std::io::stdout().lock();
	// A closed pipe (`neuron metagraph | head`) is not an error worth a message.
	let _ = stdout.write_all(out.as_bytes());
	Ok(())
}

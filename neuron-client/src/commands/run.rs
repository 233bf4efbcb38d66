//! `neuron run`: see [`crate::run`].

use super::Context;
use crate::cli::RunArgs;
use anyhow::Result;

/// Runs the neuron until it is stopped.
pub async fn run(ctx: &Context, args: RunArgs) -> Result<()> {
	crate::run::run(ctx, args).await
}

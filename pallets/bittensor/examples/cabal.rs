//! The paper's collusion experiment on the pallet's own epoch functions.
//!
//! Prints `<block> <cabal share of total stake after that block>` for each block, nothing
//! else on stdout. See `--help` for the knobs.

use clap::Parser;
use pallet_bittensor::simulation::{run_cabal, CabalConfig};

/// An honest group A and a cabal B, each voting only for itself; one epoch per block, each
/// block's emission τ × total stake minted onto stake.
#[derive(Parser, Debug)]
#[command(name = "cabal", about)]
struct Args {
	/// Blocks (epochs) to simulate.
	#[arg(long, default_value_t = 100)]
	blocks: u32,
	/// Initial stake of the honest group A.
	#[arg(long, default_value_t = 0.51)]
	stake_a: f64,
	/// Initial stake of the cabal B.
	#[arg(long, default_value_t = 0.49)]
	stake_b: f64,
	/// Emission per block as a fraction of total stake.
	#[arg(long, default_value_t = 0.1)]
	tau: f64,
	/// Steepness ρ of the consensus sigmoid.
	#[arg(long, default_value_t = 10.0)]
	rho: f64,
	/// Trust midpoint κ of the consensus sigmoid.
	#[arg(long, default_value_t = 0.5)]
	kappa: f64,
	/// Neurons in group A (fully connected inside the group).
	#[arg(long, default_value_t = 1)]
	peers_a: u16,
	/// Neurons in group B (fully connected inside the group).
	#[arg(long, default_value_t = 1)]
	peers_b: u16,
	/// Bonds moving average m in [0, 1).
	#[arg(long, default_value_t = 0.0)]
	bonds_moving_average: f64,
}

fn main() {
	let args = Args::parse();
	let config = CabalConfig {
		blocks: args.blocks,
		stake_a: args.stake_a,
		stake_b: args.stake_b,
		tau: args.tau,
		rho: args.rho,
		kappa: args.kappa,
		peers_a: args.peers_a,
		peers_b: args.peers_b,
		bonds_moving_average: args.bonds_moving_average,
	};
	match run_cabal(&config) {
		Ok(shares) => {
			for (block, share) in shares.iter().enumerate() {
				// Plain decimal notation with at least 16 significant digits at any magnitude.
				let magnitude = if *share > 0.0 { share.log10().floor() as i32 } else { 0 };
				let decimals = (15 - magnitude).clamp(15, 330) as usize;
				println!("{block} {share:.decimals$}");
			}
		},
		Err(message) => {
			eprintln!("cabal: {message}");
			std::process::exit(2);
		},
	}
}

//! Off-chain simulations that drive the chain's own epoch functions.
//!
//! Floats appear only here, to set the experiment up and report it; every epoch runs
//! [`run_epoch`] exactly as `on_initialize` does.

use crate::math::{
	epoch::{run_epoch, EpochInput, EpochParams, Mechanism},
	fixed::{from_f64, mul_fraction, ONE},
};
use alloc::{format, string::String, vec, vec::Vec};

/// The paper's collusion experiment: an honest group A and a cabal B, disjoint. The cabal
/// votes only for its own members; the honest group gives each cabal member the fraction
/// `honest_weight` of each row (a learning neuron values every peer a little) and shares the
/// rest equally among its own other members.
#[derive(Clone, Debug, PartialEq)]
pub struct CabalConfig {
	/// Number of blocks (one epoch each) to simulate.
	pub blocks: u32,
	/// Initial stake of group A (honest), in tokens.
	pub stake_a: f64,
	/// Initial stake of group B (the cabal), in tokens.
	pub stake_b: f64,
	/// Emission per block as a fraction of the total stake.
	pub tau: f64,
	/// Steepness ρ of the consensus sigmoid.
	pub rho: f64,
	/// Midpoint κ of the consensus sigmoid.
	pub kappa: f64,
	/// Neurons in group A. Each weights the other members of A (itself when alone).
	pub peers_a: u16,
	/// Neurons in group B. Each weights the other members of B (itself when alone).
	pub peers_b: u16,
	/// Bonds moving average m.
	pub bonds_moving_average: f64,
	/// Which mechanism the epoch runs.
	pub mechanism: Mechanism,
	/// The fraction of each honest row given to each cabal member, in [0, 1 / peers_b).
	pub honest_weight: f64,
}

impl Default for CabalConfig {
	fn default() -> Self {
		Self {
			blocks: 100,
			stake_a: 0.51,
			stake_b: 0.49,
			tau: 0.1,
			rho: 10.0,
			kappa: 0.5,
			peers_a: 1,
			peers_b: 1,
			bonds_moving_average: 0.0,
			mechanism: Mechanism::Paper,
			honest_weight: 0.0,
		}
	}
}

/// Balance units per token in the simulation: fine enough that rounding is invisible at
/// 12 significant digits, small enough that 100 blocks of 10% growth stay far from overflow.
const UNITS_PER_TOKEN: f64 = 1e18;

impl CabalConfig {
	/// Checks the configuration, naming the first bad field.
	pub fn validate(&self) -> Result<(), String> {
		let finite_non_negative = |name: &str, v: f64| {
			if v.is_finite() && v >= 0.0 {
				Ok(())
			} else {
				Err(format!("{name} must be a finite number ≥ 0, got {v}"))
			}
		};
		finite_non_negative("--stake-a", self.stake_a)?;
		finite_non_negative("--stake-b", self.stake_b)?;
		finite_non_negative("--tau", self.tau)?;
		finite_non_negative("--rho", self.rho)?;
		if self.stake_a + self.stake_b <= 0.0 {
			return Err("--stake-a plus --stake-b must be above 0".into());
		}
		if self.stake_a + self.stake_b > 1e6 || self.tau > 10.0 || self.rho > 1e6 {
			return Err(
				"--stake-a/--stake-b up to 1e6 tokens, --tau up to 10, --rho up to 1e6".into()
			);
		}
		if !(0.0..=1.0).contains(&self.kappa) {
			return Err(format!("--kappa must be within [0, 1], got {}", self.kappa));
		}
		if !(0.0..1.0).contains(&self.bonds_moving_average) {
			return Err(format!(
				"--bonds-moving-average must be within [0, 1), got {}",
				self.bonds_moving_average
			));
		}
		if self.peers_a == 0 || self.peers_b == 0 {
			return Err("--peers-a and --peers-b must be at least 1".into());
		}
		if u32::from(self.peers_a) + u32::from(self.peers_b) > u16::MAX as u32 {
			return Err("--peers-a plus --peers-b must fit in 65535 uids".into());
		}
		if self.mechanism == Mechanism::Clipped && (self.peers_a < 2 || self.peers_b < 2) {
			return Err("clipping drops self-weights, so a group of one would vote for nobody: \
			            --peers-a and --peers-b must be at least 2 with --mechanism clipped"
				.into());
		}
		let left_for_honest = 1.0 - self.honest_weight * f64::from(self.peers_b);
		if !(self.honest_weight >= 0.0 && left_for_honest > 0.0) {
			return Err(format!(
				"--honest-weight must be at least 0 and leave part of each honest row to the \
				 honest group (below 1 / --peers-b = {}), got {}",
				1.0 / f64::from(self.peers_b),
				self.honest_weight
			));
		}
		Ok(())
	}
}

/// Runs the experiment; returns the cabal's share of total stake after each block.
pub fn run_cabal(config: &CabalConfig) -> Result<Vec<f64>, String> {
	config.validate()?;
	let (pa, pb) = (config.peers_a as usize, config.peers_b as usize);
	let n = pa + pb;
	let group_a = 0..pa as u16;
	let group_b = pa as u16..n as u16;

	let split = |total: f64, members: usize| {
		let units = (total * UNITS_PER_TOKEN) as u128;
		let each = units / members as u128;
		let mut parts = vec![each; members];
		parts[0] += units - each * members as u128;
		parts
	};
	let mut stake = split(config.stake_a, pa);
	stake.extend(split(config.stake_b, pb));

	let weights: Vec<Vec<(u16, u16)>> = (0..n as u16)
		.map(|me| {
			if (me as usize) < pa {
				let others = group_a.clone().filter(|&j| j != me || pa == 1);
				let to_cabal = group_b.clone().map(|j| (j, config.honest_weight));
				let share =
					(1.0 - config.honest_weight * pb as f64) / (pa - usize::from(pa > 1)) as f64;
				chain_row(others.map(|j| (j, share)).chain(to_cabal))
			} else {
				chain_row(group_b.clone().filter(|&j| j != me || pb == 1).map(|j| (j, 1.0)))
			}
		})
		.collect();
	let mut bonds: Vec<Vec<(u16, u64)>> = vec![Vec::new(); n];
	let registered_at = vec![0u64; n];
	let tau = from_f64(config.tau);

	let mut shares = Vec::with_capacity(config.blocks as usize);
	for block in 0..u64::from(config.blocks) {
		let now = block + 1;
		let total: u128 = stake.iter().sum();
		let params = EpochParams {
			block: now,
			activity_cutoff: u64::MAX,
			last_epoch_block: block,
			rho: from_f64(config.rho),
			kappa: from_f64(config.kappa).min(ONE),
			bonds_moving_average: from_f64(config.bonds_moving_average),
			emission: mul_fraction(total, tau),
			max_bonds_per_row: usize::MAX,
			mechanism: config.mechanism,
		};
		let last_update = vec![now; n];
		let input = EpochInput {
			stake: &stake,
			weights: &weights,
			bonds: &bonds,
			last_update: &last_update,
			registered_at: &registered_at,
		};
		let output = run_epoch(&params, &input);
		for (s, e) in stake.iter_mut().zip(&output.emission) {
			*s = s.saturating_add(*e);
		}
		bonds = output.bonds;
		let cabal: u128 = stake[pa..].iter().sum();
		let total: u128 = stake.iter().sum();
		shares.push(cabal as f64 / total as f64);
	}
	Ok(shares)
}

/// A weight row as a neuron sends it: relative weights scaled so the largest is `u16::MAX`,
/// rounded (a positive weight stays at least 1), zeros left out.
fn chain_row(weights: impl Iterator<Item = (u16, f64)>) -> Vec<(u16, u16)> {
	let weights: Vec<(u16, f64)> = weights.filter(|&(_, w)| w > 0.0).collect();
	let max = weights.iter().map(|&(_, w)| w).fold(0.0, f64::max);
	weights
		.into_iter()
		.map(|(j, w)| (j, ((w / max * f64::from(u16::MAX)).round() as u16).max(1)))
		.collect()
}

/// The weight-copier experiment: servers whose quality changes over time, honest validators
/// that weight servers by the quality they measure now, and a copier of equal stake that
/// does no work and sets, each epoch, the latest row of honest validator 0 it can read on
/// chain.
///
/// Timing, in epochs: with commit-reveal off, validator 0's row measured in epoch `e` is on
/// chain during `e` and the copier copies it into its own row within the same epoch. With
/// period `p`, a row measured in `e` is committed in `e`, revealed at the start of `e + p` and
/// counts from then on; the copier reads it only then, and its own copy must go through
/// commit-reveal too, so it counts from `e + 2p`: the copier is always `p` epochs behind the
/// validators it copies.
#[derive(Clone, Debug, PartialEq)]
pub struct CopierConfig {
	/// Epochs measured (after as many again to warm the bonds up).
	pub epochs: u32,
	/// Servers (uids after the validators), rated by the validators.
	pub servers: u16,
	/// Honest validators (uids 0..), each measuring quality with its own noise.
	pub validators: u16,
	/// Epochs it takes the best server to hand over to the next (quality moves smoothly:
	/// each server peaks once every `servers × rotate_every` epochs).
	pub rotate_every: u32,
	/// How quality moves.
	pub pattern: QualityPattern,
	/// The quality of a server at its worst, in [0, 1): what the others have under
	/// [`QualityPattern::Step`], the trough of the wave under [`QualityPattern::Wave`].
	pub floor: f64,
	/// Relative noise of each honest measurement, in [0, 1).
	pub noise: f64,
	/// `commit_reveal_period` in epochs; 0 is off.
	pub commit_reveal_period: u16,
	/// Which mechanism the epoch runs.
	pub mechanism: Mechanism,
	/// Bonds moving average m.
	pub bonds_moving_average: f64,
	/// Steepness ρ and midpoint κ of the paper's consensus sigmoid.
	pub rho: f64,
	pub kappa: f64,
	/// Emission per epoch as a fraction of total stake.
	pub tau: f64,
}

impl Default for CopierConfig {
	fn default() -> Self {
		Self {
			epochs: 120,
			servers: 4,
			validators: 3,
			rotate_every: 3,
			pattern: QualityPattern::Step,
			floor: 0.25,
			noise: 0.1,
			commit_reveal_period: 0,
			mechanism: Mechanism::Clipped,
			bonds_moving_average: 0.9,
			rho: 10.0,
			kappa: 0.5,
			tau: 0.01,
		}
	}
}

/// How the servers' quality moves in [`CopierConfig`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QualityPattern {
	/// One server is the best (quality 1, the others `floor`) for `rotate_every` epochs, then
	/// the next one takes over.
	Step,
	/// Every server's quality rises and falls smoothly between `floor` and 1, peaking
	/// `rotate_every` epochs after the previous server's peak.
	Wave,
}

/// What the copier earned against the validator it copies.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CopierReport {
	/// Validator 0's dividends per unit of its stake, summed over the measured epochs.
	pub honest: f64,
	/// The copier's dividends per unit of its stake, summed over the measured epochs.
	pub copier: f64,
}

impl CopierReport {
	/// The copier's dividends per unit of stake as a fraction of the honest validator's.
	pub fn ratio(&self) -> f64 {
		if self.honest > 0.0 {
			self.copier / self.honest
		} else {
			0.0
		}
	}
}

impl CopierConfig {
	/// Checks the configuration, naming the first bad field.
	pub fn validate(&self) -> Result<(), String> {
		if self.epochs == 0 || self.rotate_every == 0 {
			return Err("--epochs and --rotate-every must be at least 1".into());
		}
		if self.servers < 2 || self.validators < 1 {
			return Err("--servers must be at least 2 and --validators at least 1".into());
		}
		if u32::from(self.servers) + u32::from(self.validators) >= u32::from(u16::MAX) {
			return Err("--servers plus --validators must fit in 65535 uids".into());
		}
		if !(0.0..1.0).contains(&self.floor) {
			return Err(format!("--floor must be within [0, 1), got {}", self.floor));
		}
		if !(0.0..1.0).contains(&self.noise) {
			return Err(format!("--noise must be within [0, 1), got {}", self.noise));
		}
		if !(0.0..1.0).contains(&self.bonds_moving_average) {
			return Err(format!(
				"--bonds-moving-average must be within [0, 1), got {}",
				self.bonds_moving_average
			));
		}
		if !(0.0..=1.0).contains(&self.kappa) || !(0.0..=1e6).contains(&self.rho) {
			return Err("--kappa must be within [0, 1] and --rho within [0, 1e6]".into());
		}
		if !(self.tau > 0.0 && self.tau <= 1.0) {
			return Err(format!("--tau must be within (0, 1], got {}", self.tau));
		}
		Ok(())
	}

	/// The true quality of server `j` (0-based) in epoch `epoch`, in [`floor`, 1].
	fn quality(&self, j: u16, epoch: i64) -> f64 {
		let r = i64::from(self.rotate_every);
		match self.pattern {
			QualityPattern::Step => {
				let best = epoch.div_euclid(r).rem_euclid(i64::from(self.servers));
				if best == i64::from(j) {
					1.0
				} else {
					self.floor
				}
			},
			QualityPattern::Wave => {
				let cycle = f64::from(self.servers) * f64::from(self.rotate_every);
				let phase = (epoch as f64 - f64::from(j) * f64::from(self.rotate_every)) / cycle;
				let wave = 0.5 + 0.5 * (2.0 * std::f64::consts::PI * phase).cos();
				self.floor + (1.0 - self.floor) * wave
			},
		}
	}

	/// Validator `i`'s measurement of the servers in epoch `epoch`: the quality with
	/// deterministic noise of relative size `noise`.
	fn measured(&self, i: u16, epoch: i64) -> Vec<f64> {
		(0..self.servers)
			.map(|j| {
				let u = unit_noise(u64::from(i), epoch, u64::from(j));
				(self.quality(j, epoch) * (1.0 + self.noise * u)).max(0.0)
			})
			.collect()
	}
}

/// A deterministic pseudo-random number in [-1, 1] for (validator, epoch, server): the
/// experiment reruns to the same numbers everywhere.
fn unit_noise(i: u64, epoch: i64, j: u64) -> f64 {
	let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15)
		^ (epoch as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
		^ j.wrapping_mul(0x1656_67B1_9E37_79F9);
	// SplitMix64's finaliser.
	x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
	x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
	x ^= x >> 31;
	(x >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
}

/// Runs the copier experiment on the pallet's epoch function.
pub fn run_copier(config: &CopierConfig) -> Result<CopierReport, String> {
	config.validate()?;
	let v = config.validators;
	let copier = v;
	let first_server = v + 1;
	let n = usize::from(first_server + config.servers);
	let p = i64::from(config.commit_reveal_period);
	let server_row = |measured: Vec<f64>| {
		chain_row(measured.into_iter().enumerate().map(|(j, w)| (first_server + j as u16, w)))
	};

	// Validators and the copier hold equal stake; servers a little, so they are paid only
	// through incentive.
	let unit = (UNITS_PER_TOKEN / 1e3) as u128;
	let mut stake: Vec<u128> =
		(0..n).map(|k| if k <= usize::from(copier) { 1_000 * unit } else { unit }).collect();
	let mut bonds: Vec<Vec<(u16, u64)>> = vec![Vec::new(); n];
	let registered_at = vec![0u64; n];
	let warm_up = i64::from(config.epochs);
	let mut report = CopierReport { honest: 0.0, copier: 0.0 };

	for epoch in 0..warm_up + i64::from(config.epochs) {
		// The honest rows that count in this epoch were measured `p` epochs ago; the
		// copier's copy of validator 0's row was measured `2p` epochs ago.
		let weights: Vec<Vec<(u16, u16)>> = (0..n as u16)
			.map(|k| {
				if k < v {
					server_row(config.measured(k, epoch - p))
				} else if k == copier {
					server_row(config.measured(0, epoch - 2 * p))
				} else {
					Vec::new()
				}
			})
			.collect();
		let now = epoch as u64 + 1;
		let total: u128 = stake.iter().sum();
		let params = EpochParams {
			block: now,
			activity_cutoff: u64::MAX,
			last_epoch_block: now - 1,
			rho: from_f64(config.rho),
			kappa: from_f64(config.kappa).min(ONE),
			bonds_moving_average: from_f64(config.bonds_moving_average),
			emission: mul_fraction(total, from_f64(config.tau)),
			max_bonds_per_row: usize::MAX,
			mechanism: config.mechanism,
		};
		let last_update = vec![now; n];
		let input = EpochInput {
			stake: &stake,
			weights: &weights,
			bonds: &bonds,
			last_update: &last_update,
			registered_at: &registered_at,
		};
		let output = run_epoch(&params, &input);
		if epoch >= warm_up {
			let per_stake = |k: usize| output.emission[k] as f64 / stake[k] as f64;
			report.honest += per_stake(0);
			report.copier += per_stake(usize::from(copier));
		}
		for (s, e) in stake.iter_mut().zip(&output.emission) {
			*s = s.saturating_add(*e);
		}
		bonds = output.bonds;
	}
	Ok(report)
}

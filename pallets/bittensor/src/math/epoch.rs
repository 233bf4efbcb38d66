//! One epoch, as `docs/MECHANISM.md` defines it: the steps both mechanisms share (raters,
//! stake, bonds, dividends, the exact payout), with steps 3–7 from [`super::paper`] or
//! [`super::clipped`] as the subnet's [`Mechanism`] says.
//!
//! Inputs and outputs are indexed by uid. Weight and bond rows are sparse `(uid, value)`
//! lists, so the cost is O(neurons + non-zero weights + non-zero bonds), times a log for
//! clipping's sorted columns: no dense n × n matrix is ever built.

use super::fixed::{apply_reciprocal, mul_div, mul_fraction, ratio, scaled_reciprocal, ONE};
pub use crate::types::Mechanism;
use alloc::vec;
use alloc::vec::Vec;

/// A stored weight row: `(uid, weight)` pairs, max-upscaled to `u16::MAX`.
pub type WeightRow = [(u16, u16)];
/// A stored bond row: `(uid, bond)` pairs, bonds as fractions of [`ONE`].
pub type BondRow = [(u16, u64)];

/// Subnet-wide parameters of one epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpochParams {
	/// The block the epoch runs in.
	pub block: u64,
	/// Neurons that set no weights within this many blocks stop counting as raters.
	pub activity_cutoff: u64,
	/// The block of the subnet's previous epoch: stored bonds towards uids registered at or
	/// after it belonged to the uid's previous occupant and are dropped.
	pub last_epoch_block: u64,
	/// Steepness ρ of the consensus sigmoid, fixed point (10.0 is `10 * ONE`).
	pub rho: u128,
	/// Midpoint κ of the consensus sigmoid, a fraction.
	pub kappa: u128,
	/// Bonds moving average m, a fraction below [`ONE`].
	pub bonds_moving_average: u128,
	/// Balance units to mint this epoch.
	pub emission: u128,
	/// The most bonds a row keeps: the largest survive (lower uid on ties), so memory stays
	/// bounded whatever the history of weights.
	pub max_bonds_per_row: usize,
	/// Which mechanism turns weights into incentive.
	pub mechanism: Mechanism,
}

/// Per-neuron state, indexed by uid. The subnet size is `stake.len()`; shorter slices are
/// padded with defaults and longer ones truncated, so malformed input cannot panic.
#[derive(Clone, Copy, Debug)]
pub struct EpochInput<'a, W, B> {
	/// Stake of each neuron's hotkey, in balance units.
	pub stake: &'a [u128],
	/// Each neuron's weight row.
	pub weights: &'a [W],
	/// Each neuron's bond row from the previous epoch.
	pub bonds: &'a [B],
	/// The block of each neuron's last weight update.
	pub last_update: &'a [u64],
	/// The block each uid's current hotkey registered in.
	pub registered_at: &'a [u64],
}

/// Who this epoch's emission went to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payout {
	/// Paid by incentive and dividends: the normal case.
	Incentive,
	/// Nobody earned incentive (no weights from stake yet): paid pro rata to stake.
	ProRataStake,
	/// Nobody earned incentive and nobody holds stake: nothing minted.
	Nothing,
}

/// Everything an epoch computes, indexed by uid. Fractions are parts of [`ONE`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpochOutput {
	/// Set weights within the activity cutoff.
	pub active: Vec<bool>,
	/// Paper: R = Wᵀ·S. Clipped: R = W̄ᵀ·S, from the clipped weights.
	pub rank: Vec<u64>,
	/// Paper: T = Cᵀ·S, the stake giving any positive weight. Clipped: the part of the
	/// support (Wᵀ·S) that survived clipping.
	pub trust: Vec<u64>,
	/// Paper: c = σ(ρ·(T − κ)). Clipped: the consensus weight C_j, the cap on what one rater
	/// can give.
	pub consensus: Vec<u64>,
	/// Paper: I = normalise(R ⊙ c). Clipped: I = normalise(R).
	pub incentive: Vec<u64>,
	/// Clipped: V_i = Σ_j W̄_ij, how much of a rater's row survived clipping. Paper: 1 for
	/// every rater with stake (nothing is clipped), 0 for everyone else.
	pub validator_trust: Vec<u64>,
	/// D = B̂·I.
	pub dividends: Vec<u64>,
	/// Balance units minted onto each neuron's stake.
	pub emission: Vec<u128>,
	/// The new bond rows, to be stored.
	pub bonds: Vec<Vec<(u16, u64)>>,
	/// Σ emission: exactly `params.emission`, or zero when [`Payout::Nothing`].
	pub total_emitted: u128,
	/// How the emission was paid.
	pub payout: Payout,
}

/// Weight rows that count this epoch, flattened: row `i` is `cols[start[i]..start[i + 1]]`.
pub(super) struct ValidWeights {
	start: Vec<usize>,
	pub(super) cols: Vec<u16>,
	pub(super) values: Vec<u32>,
	/// Whether each neuron is a rater: active with a non-empty valid row (self-weights
	/// included, even where they are then dropped).
	rater: Vec<bool>,
}

impl ValidWeights {
	/// Keeps entries of active neurons that point at an existing uid, are non-zero and were
	/// set after the target uid's current hotkey registered; sorts each row by uid and merges
	/// repeated uids. With `drop_self`, a row's weight on its own uid is then dropped.
	pub(super) fn collect<W: AsRef<WeightRow>>(
		n: usize,
		weights: &[W],
		active: &[bool],
		last_update: impl Fn(usize) -> u64,
		registered_at: impl Fn(usize) -> u64,
		drop_self: bool,
	) -> Self {
		let mut start = Vec::with_capacity(n + 1);
		let mut cols = Vec::new();
		let mut values = Vec::new();
		let mut rater = vec![false; n];
		let mut scratch: Vec<(u16, u32)> = Vec::new();
		start.push(0);
		for (i, &is_active) in active.iter().enumerate().take(n) {
			if is_active {
				let updated = last_update(i);
				let row = weights.get(i).map(AsRef::as_ref).unwrap_or(&[]);
				scratch.clear();
				scratch.extend(
					row.iter()
						.filter(|&&(j, w)| {
							(j as usize) < n && w > 0 && updated >= registered_at(j as usize)
						})
						.map(|&(j, w)| (j, w as u32)),
				);
				if !scratch.windows(2).all(|p| p[0].0 < p[1].0) {
					scratch.sort_unstable_by_key(|&(j, _)| j);
					scratch.dedup_by(|later, kept| {
						if later.0 == kept.0 {
							kept.1 = kept.1.saturating_add(later.1);
							true
						} else {
							false
						}
					});
				}
				rater[i] = !scratch.is_empty();
				for &(j, w) in scratch.iter() {
					if !(drop_self && j as usize == i) {
						cols.push(j);
						values.push(w);
					}
				}
			}
			start.push(cols.len());
		}
		Self { start, cols, values, rater }
	}

	/// The entries of row `i`.
	pub(super) fn row(&self, i: usize) -> core::ops::Range<usize> {
		self.start[i]..self.start[i + 1]
	}

	/// Whether neuron `i` rates others this epoch.
	pub(super) fn is_rater(&self, i: usize) -> bool {
		self.rater.get(i).copied().unwrap_or(false)
	}
}

/// What a mechanism makes of the weights (steps 3–7), indexed by uid; bond increments
/// ΔB_ij = S_i·W_ij (W̄_ij when clipped) by entry of [`ValidWeights`].
pub(super) struct Scores {
	pub(super) rank: Vec<u128>,
	pub(super) trust: Vec<u128>,
	pub(super) consensus: Vec<u128>,
	pub(super) incentive: Vec<u128>,
	pub(super) validator_trust: Vec<u128>,
	pub(super) delta_bonds: Vec<u64>,
	/// Whether any neuron earns incentive; if not, the epoch pays pro rata to stake.
	pub(super) anyone_earns: bool,
}

/// Splits `total` in proportion to `shares` (out of `whole`), rounding each part down and
/// giving the remainder to the largest share (lowest index on ties), so the parts add up to
/// `total` exactly whenever Σ shares ≤ whole.
fn split_exactly(total: u128, shares: &[u128], whole: u128) -> Vec<u128> {
	let mut parts: Vec<u128> = shares.iter().map(|&s| mul_div(total, s, whole)).collect();
	let paid = parts.iter().fold(0u128, |acc, &p| acc.saturating_add(p));
	let mut largest: Option<usize> = None;
	for (i, &s) in shares.iter().enumerate() {
		if largest.is_none_or(|l| s > shares[l]) {
			largest = Some(i);
		}
	}
	if let Some(l) = largest {
		parts[l] = parts[l].saturating_add(total.saturating_sub(paid));
	}
	parts
}

fn to_parts(values: &[u128]) -> Vec<u64> {
	values.iter().map(|&v| v.min(ONE) as u64).collect()
}

/// Runs one epoch. Never panics, whatever the input.
pub fn run_epoch<W: AsRef<WeightRow>, B: AsRef<BondRow>>(
	params: &EpochParams,
	input: &EpochInput<'_, W, B>,
) -> EpochOutput {
	let n = input.stake.len().min(u16::MAX as usize + 1);
	let stake = &input.stake[..n];
	let last_update = |i: usize| input.last_update.get(i).copied().unwrap_or(0);
	let registered_at = |i: usize| input.registered_at.get(i).copied().unwrap_or(0);

	// 1. Raters: active neurons with a non-empty (valid) weight row. Clipping drops
	// self-weights (after deciding who rates).
	let active: Vec<bool> = (0..n)
		.map(|i| params.block.saturating_sub(last_update(i)) <= params.activity_cutoff)
		.collect();
	let clipped = params.mechanism == Mechanism::Clipped;
	let weights =
		ValidWeights::collect(n, input.weights, &active, last_update, registered_at, clipped);

	// 2. Stake share of raters.
	let rater_stake =
		(0..n).filter(|&i| weights.is_rater(i)).fold(0u128, |acc, i| acc.saturating_add(stake[i]));
	let stake_share: Vec<u128> = (0..n)
		.map(|i| if weights.is_rater(i) { ratio(stake[i], rater_stake) } else { 0 })
		.collect();

	// 3–7. Ranks, trust, consensus, incentive and bond increments, by mechanism.
	let Scores { rank, trust, consensus, incentive, validator_trust, delta_bonds, anyone_earns } =
		match params.mechanism {
			Mechanism::Paper => {
				super::paper::scores(&weights, &stake_share, params.rho, params.kappa)
			},
			Mechanism::Clipped => super::clipped::scores(&weights, &stake_share, params.kappa),
		};

	// 8. Bonds: moving average of ΔB with the stored bonds of uids that kept their hotkey.
	let keep = ONE.saturating_sub(params.bonds_moving_average);
	let decay = params.bonds_moving_average.min(ONE);
	let mut bonds: Vec<Vec<(u16, u64)>> = Vec::with_capacity(n);
	let mut column_sum = vec![0u128; n];
	for i in 0..n {
		let fresh = weights.row(i).map(|k| (weights.cols[k], delta_bonds[k] as u128));
		let stored = input
			.bonds
			.get(i)
			.map(AsRef::as_ref)
			.unwrap_or(&[])
			.iter()
			.filter(|&&(j, b)| {
				decay > 0
					&& b > 0 && (j as usize) < n
					&& registered_at(j as usize) < params.last_epoch_block
			})
			.map(|&(j, b)| (j, b as u128));
		let mut row = merge_bonds(fresh, stored, keep, decay);
		cap_row(&mut row, params.max_bonds_per_row);
		for &(j, b) in &row {
			column_sum[j as usize] = column_sum[j as usize].saturating_add(b as u128);
		}
		bonds.push(row);
	}

	// 9. Dividends D_i = Σ_j B_ij / colsum_j · I_j.
	let per_bond: Vec<u128> = incentive
		.iter()
		.zip(&column_sum)
		.map(|(&inc, &sum)| if sum == 0 { 0 } else { scaled_reciprocal(inc, sum) })
		.collect();
	let dividends: Vec<u128> = bonds
		.iter()
		.map(|row| {
			row.iter().fold(0u128, |acc, &(j, b)| {
				acc.saturating_add(apply_reciprocal(b as u128, per_bond[j as usize]))
			})
		})
		.collect();

	// 10–12. Payout.
	let (emission, payout) = if anyone_earns {
		let share: Vec<u128> =
			dividends.iter().zip(&incentive).map(|(&d, &i)| (d + i) / 2).collect();
		(split_exactly(params.emission, &share, ONE), Payout::Incentive)
	} else {
		let total_stake = stake.iter().fold(0u128, |acc, &s| acc.saturating_add(s));
		if total_stake == 0 || params.emission == 0 {
			(vec![0; n], Payout::Nothing)
		} else {
			(split_exactly(params.emission, stake, total_stake), Payout::ProRataStake)
		}
	};
	let total_emitted = emission.iter().fold(0u128, |acc, &e| acc.saturating_add(e));

	EpochOutput {
		active,
		rank: to_parts(&rank),
		trust: to_parts(&trust),
		consensus: to_parts(&consensus),
		incentive: to_parts(&incentive),
		validator_trust: to_parts(&validator_trust),
		dividends: to_parts(&dividends),
		emission,
		bonds,
		total_emitted,
		payout,
	}
}

/// Keeps the `cap` largest bonds of a uid-sorted row (lower uid first on ties), still sorted.
fn cap_row(row: &mut Vec<(u16, u64)>, cap: usize) {
	if row.len() <= cap {
		return;
	}
	if cap == 0 {
		row.clear();
		return;
	}
	row.select_nth_unstable_by(cap - 1, |a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
	row.truncate(cap);
	row.sort_unstable_by_key(|&(uid, _)| uid);
}

/// Merges two uid-sorted rows into `keep·fresh + decay·stored`, dropping zeros.
fn merge_bonds(
	fresh: impl Iterator<Item = (u16, u128)>,
	stored: impl Iterator<Item = (u16, u128)>,
	keep: u128,
	decay: u128,
) -> Vec<(u16, u64)> {
	let mut fresh = fresh.peekable();
	let mut stored = stored.peekable();
	let mut row = Vec::new();
	loop {
		let (j, value) = match (fresh.peek().copied(), stored.peek().copied()) {
			(None, None) => break,
			(Some((jf, f)), Some((js, s))) if jf == js => {
				fresh.next();
				stored.next();
				(jf, mul_fraction(f, keep).saturating_add(mul_fraction(s, decay)))
			},
			(Some((jf, f)), Some((js, _))) if jf < js => {
				fresh.next();
				(jf, mul_fraction(f, keep))
			},
			(Some((jf, f)), None) => {
				fresh.next();
				(jf, mul_fraction(f, keep))
			},
			(_, Some((js, s))) => {
				stored.next();
				(js, mul_fraction(s, decay))
			},
		};
		if value > 0 {
			row.push((j, value.min(ONE) as u64));
		}
	}
	row
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::math::fixed::to_f64;

	fn params(emission: u128) -> EpochParams {
		EpochParams {
			block: 100,
			activity_cutoff: 1000,
			last_epoch_block: 0,
			rho: 10 * ONE,
			kappa: ONE / 2,
			bonds_moving_average: 0,
			emission,
			max_bonds_per_row: usize::MAX,
			mechanism: Mechanism::Paper,
		}
	}

	fn assert_close(got: u64, expected: f64, what: &str) {
		assert!(
			(to_f64(got as u128) - expected).abs() < 2e-9,
			"{what}: {} vs {expected}",
			to_f64(got as u128)
		);
	}

	/// The worked example of `Paper` in docs/MECHANISM.md.
	#[test]
	fn worked_example() {
		let stake = [100u128, 100, 0];
		let weights: Vec<Vec<(u16, u16)>> =
			vec![vec![(2, 65535), (1, 16384)], vec![(2, 65535), (0, 16384)], vec![]];
		let bonds: Vec<Vec<(u16, u64)>> = vec![vec![]; 3];
		let input = EpochInput {
			stake: &stake,
			weights: &weights,
			bonds: &bonds,
			last_update: &[90, 90, 0],
			registered_at: &[1, 1, 1],
		};
		let out = run_epoch(&params(1_000_000_000), &input);
		let expect = [
			("rank", &out.rank, [0.100001221, 0.100001221, 0.799997559]),
			("trust", &out.trust, [0.5, 0.5, 1.0]),
			("consensus", &out.consensus, [0.5, 0.5, 0.993307149]),
			("incentive", &out.incentive, [0.055888802, 0.055888802, 0.888222396]),
			("dividends", &out.dividends, [0.5, 0.5, 0.0]),
		];
		for (what, got, want) in expect {
			for uid in 0..3 {
				assert_close(got[uid], want[uid], what);
			}
		}
		assert_eq!(out.emission, vec![277_944_401, 277_944_401, 444_111_198]);
		assert_eq!(out.total_emitted, 1_000_000_000);
		assert_eq!(out.payout, Payout::Incentive);
	}

	/// The worked example of consensus clipping in MECHANISM.md, to the planck.
	#[test]
	fn clipped_worked_example() {
		let stake = [30u128, 25, 15, 20, 10];
		let honest = |me: u16| -> Vec<(u16, u16)> {
			let mut row: Vec<(u16, u16)> =
				(0..3).filter(|&j| j != me).map(|j| (j, 65535)).collect();
			row.extend([(3, 3277), (4, 3277)]);
			row
		};
		let weights = vec![honest(0), honest(1), honest(2), vec![(4, 65535)], vec![(3, 65535)]];
		let bonds: Vec<Vec<(u16, u64)>> = vec![vec![]; 5];
		let input = EpochInput {
			stake: &stake,
			weights: &weights,
			bonds: &bonds,
			last_update: &[90; 5],
			registered_at: &[1; 5],
		};
		let mut p = params(1_000_000_000);
		p.mechanism = Mechanism::Clipped;
		let out = run_epoch(&p, &input);
		let expect = [
			(
				"consensus",
				&out.consensus,
				[0.476188746, 0.476188746, 0.476188746, 0.023811254, 0.023811254],
			),
			("rank", &out.rank, [0.190475498, 0.214284936, 0.261903810, 0.019049003, 0.021430128]),
			("trust", &out.trust, [1.0, 1.0, 1.0, 0.163275474, 0.098907732]),
			("validator_trust", &out.validator_trust, [1.0, 1.0, 1.0, 0.023811254, 0.023811254]),
			(
				"incentive",
				&out.incentive,
				[0.269359093, 0.303028980, 0.370368753, 0.026937964, 0.030305210],
			),
			(
				"dividends",
				&out.dividends,
				[0.424242113, 0.353535094, 0.212121056, 0.006734491, 0.003367246],
			),
		];
		for (what, got, want) in expect {
			for uid in 0..5 {
				assert_close(got[uid], want[uid], what);
			}
		}
		// floor(E·ΔS) = [346800602, 328282036, 291244904, 16836227, 16836227], dust 4 to uid 0.
		assert_eq!(
			out.emission,
			vec![346_800_606, 328_282_036, 291_244_904, 16_836_227, 16_836_227]
		);
		assert_eq!(out.total_emitted, 1_000_000_000);
		// The same rows under the paper's mechanism: the 30% cabal takes 49.7% of it.
		p.mechanism = Mechanism::Paper;
		let paper = run_epoch(&p, &input);
		let cabal: u128 = paper.emission[3..].iter().sum();
		assert!((cabal as f64 / 1e9 - 0.497).abs() < 0.001, "{cabal}");
		assert_close(paper.trust[3], 0.8, "paper trust");
		assert_close(paper.consensus[4], 0.982013790, "paper consensus");
	}

	#[test]
	fn no_weights_pays_pro_rata_to_stake() {
		let stake = [1u128, 2, 0];
		let empty: Vec<Vec<(u16, u16)>> = vec![vec![]; 3];
		let bonds: Vec<Vec<(u16, u64)>> = vec![];
		let input = EpochInput {
			stake: &stake,
			weights: &empty,
			bonds: &bonds,
			last_update: &[],
			registered_at: &[],
		};
		let out = run_epoch(&params(100), &input);
		assert_eq!(out.payout, Payout::ProRataStake);
		// 33 + 66 = 99, the unit of dust goes to the largest stake.
		assert_eq!(out.emission, vec![33, 67, 0]);
	}

	#[test]
	fn no_stake_mints_nothing() {
		let stake = [0u128, 0];
		let weights = vec![vec![(1u16, 1u16)], vec![(0, 1)]];
		let bonds: Vec<Vec<(u16, u64)>> = vec![];
		let input = EpochInput {
			stake: &stake,
			weights: &weights,
			bonds: &bonds,
			last_update: &[],
			registered_at: &[],
		};
		let out = run_epoch(&params(100), &input);
		assert_eq!(out.payout, Payout::Nothing);
		assert_eq!(out.total_emitted, 0);
	}

	#[test]
	fn inactive_and_outdated_weights_are_ignored() {
		let stake = [10u128, 10, 10];
		// uid 0 is stale; uid 1's weight on uid 2 predates uid 2's registration.
		let weights = vec![vec![(2u16, 100u16)], vec![(2, 100), (0, 1)], vec![]];
		let bonds: Vec<Vec<(u16, u64)>> = vec![];
		let input = EpochInput {
			stake: &stake,
			weights: &weights,
			bonds: &bonds,
			last_update: &[1, 50, 0],
			registered_at: &[0, 0, 60],
		};
		let mut p = params(1000);
		p.activity_cutoff = 10;
		p.block = 55;
		let out = run_epoch(&p, &input);
		assert_eq!(out.active, vec![false, true, false]);
		assert_eq!(out.rank[2], 0);
		assert_eq!(out.rank[0], ONE as u64);
		assert_eq!(out.total_emitted, 1000);
	}

	#[test]
	fn bonds_follow_the_moving_average_and_drop_replaced_uids() {
		let stake = [1u128, 1];
		let weights = vec![vec![(1u16, 1u16)], vec![(0, 1)]];
		let bonds = vec![vec![(1u16, (ONE / 2) as u64)], vec![(0, (ONE / 2) as u64)]];
		let input = EpochInput {
			stake: &stake,
			weights: &weights,
			bonds: &bonds,
			last_update: &[100, 100],
			registered_at: &[10, 60],
		};
		let mut p = params(10);
		p.bonds_moving_average = 9 * ONE / 10;
		p.last_epoch_block = 50;
		let out = run_epoch(&p, &input);
		// uid 1 registered at block 60, after the last epoch: uid 0's stored bond on it
		// belonged to the previous occupant and is dropped.
		assert_eq!(out.bonds[0], vec![(1, (ONE / 20) as u64)]);
		// uid 1's bond on uid 0 is 0.1·0.5 + 0.9·0.5.
		assert_eq!(out.bonds[1], vec![(0, (ONE / 2) as u64)]);
	}

	#[test]
	fn bond_rows_keep_only_the_largest() {
		let mut row = vec![(0u16, 5u64), (1, 9), (2, 1), (3, 9), (4, 7)];
		cap_row(&mut row, 3);
		assert_eq!(row, vec![(1, 9), (3, 9), (4, 7)]);
		cap_row(&mut row, 0);
		assert!(row.is_empty());
	}

	#[test]
	fn malformed_input_does_not_panic() {
		let stake = [u128::MAX, u128::MAX, 5];
		let weights = vec![
			vec![(7u16, 9u16), (1, 0), (1, 5), (1, 5), (0, u16::MAX)],
			vec![(0, 1)],
			vec![(2, 1)],
			vec![(0, 1)],
		];
		let bonds = vec![vec![(9u16, u64::MAX), (0, u64::MAX)]];
		let input = EpochInput {
			stake: &stake,
			weights: &weights,
			bonds: &bonds,
			last_update: &[100],
			registered_at: &[],
		};
		let mut p = params(u128::MAX);
		p.rho = u128::MAX;
		p.kappa = u128::MAX;
		p.bonds_moving_average = u128::MAX;
		let out = run_epoch(&p, &input);
		assert_eq!(out.total_emitted, u128::MAX);
		assert_eq!(out.rank.len(), 3);
	}
}

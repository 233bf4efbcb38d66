//! Steps 3–7 of consensus clipping (`Mechanism::Clipped`): what a rater can give neuron j is
//! capped at C_j, the largest weight that raters holding at least κ of the *other* raters'
//! stake give j. A minority's weights on its own members are cut to the majority's level, and
//! a small honest weight on a cabal member gives it only that small weight.
//!
//! Sparse: the weights are transposed into per-column lists and each list sorted once, so the
//! cost is O(nnz log nnz); no dense n × n matrix is built. Every comparison is between sums of
//! fixed-point fractions, with no division, so every node decides each cap identically.

use super::{
	epoch::{Scores, ValidWeights},
	fixed::{apply_reciprocal, mul_fraction, ratio, scaled_reciprocal, ONE},
};
use alloc::{vec, vec::Vec};

/// Scores of consensus clipping. `stake_share` is S (zero for non-raters); `weights` holds no
/// self-weights (they are dropped before rows are normalised).
pub(super) fn scores(weights: &ValidWeights, stake_share: &[u128], kappa: u128) -> Scores {
	let n = stake_share.len();
	let nnz = weights.cols.len();

	// 3. Row-normalised weights W_ij, one entry per stored weight.
	let mut normalised = vec![0u128; nnz];
	for i in 0..n {
		let range = weights.row(i);
		let row_sum: u128 = weights.values[range.clone()].iter().map(|&w| w as u128).sum();
		if row_sum == 0 {
			continue;
		}
		let reciprocal = scaled_reciprocal(ONE, row_sum);
		for k in range {
			normalised[k] = apply_reciprocal(weights.values[k] as u128, reciprocal).min(ONE);
		}
	}

	// 4. Consensus weight C_j, column by column over the transposed entries.
	let caps = consensus_weights(weights, &normalised, stake_share, kappa);

	// 5–7. Clipped weights, ranks, support, validator trust and bond increments.
	let mut rank = vec![0u128; n];
	let mut support = vec![0u128; n];
	let mut validator_trust = vec![0u128; n];
	let mut delta_bonds = vec![0u64; nnz];
	for (i, &share) in stake_share.iter().enumerate() {
		for k in weights.row(i) {
			let j = weights.cols[k] as usize;
			let w = normalised[k];
			let clipped = w.min(caps[j]);
			validator_trust[i] = validator_trust[i].saturating_add(clipped);
			let given = mul_fraction(share, clipped);
			rank[j] = rank[j].saturating_add(given);
			support[j] = support[j].saturating_add(mul_fraction(share, w));
			delta_bonds[k] = given.min(ONE) as u64;
		}
	}
	let rank_total = rank.iter().fold(0u128, |acc, &r| acc.saturating_add(r));
	let incentive: Vec<u128> = rank.iter().map(|&r| ratio(r, rank_total)).collect();
	let trust: Vec<u128> = rank.iter().zip(&support).map(|(&r, &s)| ratio(r, s)).collect();
	Scores {
		rank,
		trust,
		consensus: caps,
		incentive,
		validator_trust,
		delta_bonds,
		anyone_earns: rank_total > 0,
	}
}

/// C_j for every column: the largest x in {0} ∪ {W_ij : i ≠ j} such that the raters other
/// than j giving j at least x hold at least κ of the stake of all raters other than j.
fn consensus_weights(
	weights: &ValidWeights,
	normalised: &[u128],
	stake_share: &[u128],
	kappa: u128,
) -> Vec<u128> {
	let n = stake_share.len();
	let kappa = kappa.min(ONE);
	// Every rater's share, and whether a neuron is a rater (its share counts among the
	// others of every column but its own).
	let rater = |i: usize| weights.is_rater(i);
	let raters = (0..n).filter(|&i| rater(i)).count();
	let share_total = stake_share.iter().fold(0u128, |acc, &s| acc.saturating_add(s));

	// Transpose the positive entries: column j's (W_ij, S_i) in `entries[start[j]..start[j + 1]]`.
	let mut start = vec![0usize; n + 1];
	for (k, &j) in weights.cols.iter().enumerate() {
		if normalised[k] > 0 {
			start[j as usize + 1] += 1;
		}
	}
	for j in 0..n {
		start[j + 1] += start[j];
	}
	let mut fill = start.clone();
	let mut entries = vec![(0u128, 0u128); start[n]];
	for i in 0..n {
		for k in weights.row(i) {
			if normalised[k] > 0 {
				let j = weights.cols[k] as usize;
				entries[fill[j]] = (normalised[k], stake_share[i]);
				fill[j] += 1;
			}
		}
	}

	let mut caps = vec![0u128; n];
	for j in 0..n {
		let others = raters - usize::from(rater(j));
		if others == 0 {
			continue;
		}
		let column = &mut entries[start[j]..start[j + 1]];
		column.sort_unstable_by(|a, b| b.0.cmp(&a.0));
		// κ·Σ_{i ∈ O_j} S_i, compared as products scaled by ONE: no rounding of a threshold.
		let others_share = share_total.saturating_sub(stake_share[j]);
		let needed = kappa.saturating_mul(others_share);
		let mut held = 0u128;
		let mut k = 0;
		while k < column.len() {
			let x = column[k].0;
			// Every rater giving exactly x counts towards x.
			while k < column.len() && column[k].0 == x {
				held = held.saturating_add(column[k].1);
				k += 1;
			}
			if held.saturating_mul(ONE) >= needed {
				caps[j] = x;
				break;
			}
		}
	}
	caps
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::math::fixed::{from_f64, to_f64};

	fn rows(raw: &[&[(u16, u16)]]) -> ValidWeights {
		let rows: Vec<Vec<(u16, u16)>> = raw.iter().map(|r| r.to_vec()).collect();
		let active = vec![true; rows.len()];
		ValidWeights::collect(rows.len(), &rows, &active, |_| 10, |_| 0, true)
	}

	#[test]
	fn a_cap_is_the_weight_a_kappa_majority_of_the_others_gives() {
		// uids 0–2 give uid 3 weights 0.5, 0.25, 0 (their rows: uid 3 and uid 4).
		let w = rows(&[&[(3, 1), (4, 1)], &[(3, 1), (4, 3)], &[(4, 1)], &[(4, 1)], &[(3, 1)]]);
		let share = [from_f64(0.3), from_f64(0.3), from_f64(0.2), from_f64(0.1), from_f64(0.1)];
		let s = scores(&w, &share, ONE / 2);
		// Others of uid 3 hold 0.9; 0.45 is needed: 0.3 gives ≥ 0.5 (too little), 0.6 gives
		// ≥ 0.25, so C_3 = 0.25 (uid 4's weight of 1 on uid 3 is its only vote but 0.1 alone).
		assert!((to_f64(s.consensus[3]) - 0.25).abs() < 1e-15, "{}", to_f64(s.consensus[3]));
		// The others give uid 4 weights 1, 1, 0.75, 0.5: 0.45 of their 0.9 is reached at 0.75.
		assert!((to_f64(s.consensus[4]) - 0.75).abs() < 1e-15, "{}", to_f64(s.consensus[4]));
		// Nobody weights uids 0–2.
		assert_eq!(&s.consensus[..3], &[0, 0, 0]);
		// uid 0's row (0.5, 0.5) is clipped to (0.25, 0.5).
		assert!((to_f64(s.validator_trust[0]) - 0.75).abs() < 1e-15);
	}

	#[test]
	fn equal_weights_count_together() {
		// Two raters of 0.25 each give uid 2 the same weight; with uid 3's 0.5 elsewhere
		// they reach exactly one half of the others' stake only together.
		let w = rows(&[&[(2, 1)], &[(2, 1)], &[(0, 1)], &[(0, 1)]]);
		let share = [ONE / 4, ONE / 4, 0, ONE / 2];
		let s = scores(&w, &share, ONE / 2);
		assert_eq!(s.consensus[2], ONE);
	}

	#[test]
	fn nobody_else_rating_means_no_cap() {
		let w = rows(&[&[(1, 1)], &[]]);
		let s = scores(&w, &[ONE, 0], ONE / 2);
		assert_eq!(s.consensus, vec![0, ONE]);
		// uid 0 is the only rater: uid 1's cap comes from the others of uid 1, that is uid 0.
		assert_eq!(s.rank[1], ONE);
		let alone = rows(&[&[(0, 1)]]);
		let s = scores(&alone, &[ONE], ONE / 2);
		assert_eq!(s.consensus, vec![0]);
		assert!(!s.anyone_earns);
	}
}

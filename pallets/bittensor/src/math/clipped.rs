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
	fixed::{apply_reciprocal, ratio, scaled_reciprocal, ONE},
};
use alloc::{vec, vec::Vec};

/// Scores of consensus clipping. `stake_share` is S (zero for non-raters); `weights` holds no
/// self-weights (they are dropped before rows are normalised).
pub(super) fn scores(weights: &ValidWeights, stake_share: &[u128], kappa: u128) -> Scores {
	let n = stake_share.len();
	let nnz = weights.cols.len();

	// 3. Row-normalised weights W_ij = w_ij · (ONE / Σ_k w_ik), computed where they are used
	// from one reciprocal per row (no n × 256 array of them).
	let normalised = Normalised {
		weights,
		reciprocal: (0..n)
			.map(|i| {
				let row_sum: u128 = weights.values[weights.row(i)].iter().map(|&w| w as u128).sum();
				scaled_reciprocal(ONE, row_sum)
			})
			.collect(),
	};

	// 4. Consensus weight C_j, column by column over the transposed entries.
	let caps = consensus_weights(weights, &normalised, stake_share, kappa);

	// 5–7. Clipped weights, ranks, support, validator trust and bond increments. S_i·x is
	// one multiplication and a shift by a per-row reciprocal (within a unit of the exact
	// product): no division per entry.
	let mut rank = vec![0u128; n];
	let mut support = vec![0u128; n];
	let mut validator_trust = vec![0u128; n];
	let mut delta_bonds = vec![0u64; nnz];
	for (i, &share) in stake_share.iter().enumerate() {
		let range = weights.row(i);
		if range.is_empty() {
			continue;
		}
		let times_share = scaled_reciprocal(share, ONE);
		let mut kept = 0u128;
		for k in range {
			let j = weights.cols[k] as usize;
			let w = normalised.get(i, k) as u128;
			let clipped = w.min(caps[j]);
			kept += clipped;
			let given = apply_reciprocal(clipped, times_share);
			rank[j] = rank[j].saturating_add(given);
			support[j] = support[j].saturating_add(apply_reciprocal(w, times_share));
			delta_bonds[k] = given.min(ONE) as u64;
		}
		validator_trust[i] = kept;
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

/// Row-normalised weights, each computed from its row's reciprocal when asked for.
struct Normalised<'a> {
	weights: &'a ValidWeights,
	/// ONE / Σ_k w_ik of each row, scaled by 2⁶⁴ ([`scaled_reciprocal`]).
	reciprocal: Vec<u128>,
}

impl Normalised<'_> {
	/// W_ij of entry `k` of row `i`, a fraction ≤ ONE.
	fn get(&self, i: usize, k: usize) -> u64 {
		apply_reciprocal(self.weights.values[k] as u128, self.reciprocal[i]).min(ONE) as u64
	}
}

/// Columns written per sweep of the cache-blocked transpose: a block's write fronts (one cache
/// line each) fit in L2.
const TRANSPOSE_BLOCK: usize = 512;

/// C_j for every column: the largest x in {0} ∪ {W_ij : i ≠ j} such that the raters other
/// than j giving j at least x hold at least κ of the stake of all raters other than j.
fn consensus_weights(
	weights: &ValidWeights,
	normalised: &Normalised,
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
	for i in 0..n {
		for k in weights.row(i) {
			if normalised.get(i, k) > 0 {
				start[weights.cols[k] as usize + 1] += 1;
			}
		}
	}
	for j in 0..n {
		start[j + 1] += start[j];
	}
	let mut fill = start.clone();
	// (W_ij, S_i), both fractions ≤ ONE < 2⁶⁴: half the memory of u128 pairs.
	let mut entries = vec![(0u64, 0u64); start[n]];
	// Cache-blocked: one sweep over the rows per block of columns, so the writes go to a few
	// hundred columns at a time instead of scattering over all of them (rows are sorted by
	// column, so each row's cursor only moves forward).
	let mut cursor: Vec<usize> = (0..n).map(|i| weights.row(i).start).collect();
	let mut block_start = 0usize;
	while block_start < n {
		let block_end = (block_start + TRANSPOSE_BLOCK).min(n);
		for i in 0..n {
			let end = weights.row(i).end;
			let share = stake_share[i].min(ONE) as u64;
			let mut k = cursor[i];
			while k < end && (weights.cols[k] as usize) < block_end {
				let w = normalised.get(i, k);
				if w > 0 {
					let j = weights.cols[k] as usize;
					entries[fill[j]] = (w, share);
					fill[j] += 1;
				}
				k += 1;
			}
			cursor[i] = k;
		}
		block_start = block_end;
	}

	let mut caps = vec![0u128; n];
	for j in 0..n {
		let others = raters - usize::from(rater(j));
		if others == 0 {
			continue;
		}
		// κ·Σ_{i ∈ O_j} S_i, compared as products scaled by ONE: no rounding of a threshold.
		let others_share = share_total.saturating_sub(stake_share[j]);
		let needed = kappa.saturating_mul(others_share);
		let column = &mut entries[start[j]..start[j + 1]];
		caps[j] = largest_supported(column, needed).map_or(0, u128::from);
	}
	caps
}

/// The largest weight x among `column`'s `(weight, stake)` entries such that the entries with
/// weight ≥ x hold at least `needed` (stake scaled by ONE), or `None`.
///
/// A weighted quickselect: each round splits the entries around a pivot into larger, equal
/// and smaller, and keeps only the side the answer is on, so a column costs O(len) on average
/// instead of a sort's O(len log len). Rounds are counted, and a column that keeps choosing
/// bad pivots (crafted weights) is sorted instead, so no input costs more than a sort.
fn largest_supported(column: &mut [(u64, u64)], needed: u128) -> Option<u64> {
	let mut rest = column;
	// Stake already counted: every entry above the current slice.
	let mut above = 0u128;
	let mut rounds_left = 2 * (usize::BITS - rest.len().leading_zeros()) + 8;
	while !rest.is_empty() {
		if rounds_left == 0 {
			return largest_supported_sorted(rest, above, needed);
		}
		rounds_left -= 1;
		let pivot = median_of_three(rest);
		// Three-way partition: [> pivot | == pivot | < pivot].
		let (mut lt, mut i, mut gt) = (0usize, 0usize, rest.len());
		while i < gt {
			match rest[i].0.cmp(&pivot) {
				core::cmp::Ordering::Greater => {
					rest.swap(lt, i);
					lt += 1;
					i += 1;
				},
				core::cmp::Ordering::Equal => i += 1,
				core::cmp::Ordering::Less => {
					gt -= 1;
					rest.swap(i, gt);
				},
			}
		}
		let stake = |part: &[(u64, u64)]| part.iter().map(|e| u128::from(e.1)).sum::<u128>();
		let greater = above.saturating_add(stake(&rest[..lt]));
		if greater.saturating_mul(ONE) >= needed && lt > 0 {
			// The answer is above the pivot.
			rest = &mut rest[..lt];
			continue;
		}
		let with_equal = greater.saturating_add(stake(&rest[lt..gt]));
		if with_equal.saturating_mul(ONE) >= needed {
			return Some(pivot);
		}
		above = with_equal;
		rest = &mut rest[gt..];
	}
	None
}

/// The sorting fallback of [`largest_supported`] over what is left, `above` already counted.
fn largest_supported_sorted(rest: &mut [(u64, u64)], above: u128, needed: u128) -> Option<u64> {
	rest.sort_unstable_by_key(|r| core::cmp::Reverse(r.0));
	let mut held = above;
	let mut k = 0;
	while k < rest.len() {
		let x = rest[k].0;
		// Every rater giving exactly x counts towards x.
		while k < rest.len() && rest[k].0 == x {
			held = held.saturating_add(u128::from(rest[k].1));
			k += 1;
		}
		if held.saturating_mul(ONE) >= needed {
			return Some(x);
		}
	}
	None
}

/// The median weight of the first, middle and last entries.
fn median_of_three(entries: &[(u64, u64)]) -> u64 {
	let (a, b, c) = (entries[0].0, entries[entries.len() / 2].0, entries[entries.len() - 1].0);
	a.max(b).min(a.min(b).max(c))
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
	fn the_weighted_select_agrees_with_sorting() {
		let mut state = 0x9e37_79b9_7f4a_7c15u64;
		let mut next = move || {
			state ^= state << 13;
			state ^= state >> 7;
			state ^= state << 17;
			state
		};
		for len in [0usize, 1, 2, 3, 7, 64, 300] {
			for round in 0..50 {
				// Few distinct weights in some rounds, so ties are common.
				let distinct = if round % 2 == 0 { 4 } else { 1 << 20 };
				let column: Vec<(u64, u64)> =
					(0..len).map(|_| (next() % distinct, next() % 1_000)).collect();
				let total: u128 = column.iter().map(|e| u128::from(e.1)).sum();
				for needed in [0, 1, total / 3, total / 2, total, total + 1] {
					let needed = needed * ONE;
					let mut a = column.clone();
					let mut b = column.clone();
					assert_eq!(
						largest_supported(&mut a, needed),
						largest_supported_sorted(&mut b, 0, needed),
						"len {len}, round {round}, needed {needed}"
					);
				}
			}
		}
		// Equal weights throughout, the worst case for pivots, still answers.
		let mut flat = vec![(5u64, 1u64); 1000];
		assert_eq!(largest_supported(&mut flat, 500 * ONE), Some(5));
		let mut descending: Vec<(u64, u64)> = (0..1000u64).rev().map(|w| (w, 1)).collect();
		assert_eq!(largest_supported(&mut descending, 10 * ONE), Some(990));
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

//! Steps 3–7 of the paper's mechanism (`Mechanism::Paper`): ranks from the raters' stake,
//! trust as the stake that gives a neuron any positive weight, consensus as a sigmoid of
//! trust, incentive as rank times consensus, normalised.

use super::{
	epoch::{Scores, ValidWeights},
	fixed::{apply_reciprocal, mul_fraction, ratio, scaled_reciprocal, sigmoid, ONE},
};
use alloc::{vec, vec::Vec};

/// Scores of the paper's mechanism. `stake_share` is S (zero for non-raters).
pub(super) fn scores(
	weights: &ValidWeights,
	stake_share: &[u128],
	rho: u128,
	kappa: u128,
) -> Scores {
	let n = stake_share.len();
	let mut rank = vec![0u128; n];
	let mut trust = vec![0u128; n];
	let mut validator_trust = vec![0u128; n];
	// Each increment is at most S_i ≤ ONE < 2⁶⁴: u64 halves the epoch's largest buffer.
	let mut delta_bonds = vec![0u64; weights.cols.len()];
	for (i, &share) in stake_share.iter().enumerate() {
		let range = weights.row(i);
		if range.is_empty() || share == 0 {
			continue;
		}
		// Nothing is clipped: a rater's whole row counts.
		validator_trust[i] = ONE;
		let row_sum: u128 = weights.values[range.clone()].iter().map(|&w| w as u128).sum();
		let reciprocal = scaled_reciprocal(share, row_sum);
		for k in range {
			let j = weights.cols[k] as usize;
			let contribution = apply_reciprocal(weights.values[k] as u128, reciprocal);
			delta_bonds[k] = contribution.min(ONE) as u64;
			rank[j] = rank[j].saturating_add(contribution);
			trust[j] = trust[j].saturating_add(share);
		}
	}
	let consensus: Vec<u128> = trust.iter().map(|&t| sigmoid(t, rho, kappa)).collect();
	let scaled_rank: Vec<u128> =
		rank.iter().zip(&consensus).map(|(&r, &c)| mul_fraction(r, c)).collect();
	let scaled_total = scaled_rank.iter().fold(0u128, |acc, &x| acc.saturating_add(x));
	let incentive: Vec<u128> = scaled_rank.iter().map(|&x| ratio(x, scaled_total)).collect();
	Scores {
		rank,
		trust,
		consensus,
		incentive,
		validator_trust,
		delta_bonds,
		anyone_earns: scaled_total > 0,
	}
}

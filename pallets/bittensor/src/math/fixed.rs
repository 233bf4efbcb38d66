//! Fixed-point helpers for the epoch.
//!
//! Every fraction in the epoch is a `u128` counting units of 10⁻¹⁸ ([`ONE`] is 1.0), the same
//! scale as [`Perquintill`](sp_arithmetic::Perquintill) so stored vectors need no rescaling.
//! All operations are integer-only, round down and saturate: the chain never uses floats, and
//! every node must compute bit-identical results.

use polkadot_sdk::sp_arithmetic::{
	helpers_128bit::multiply_by_rational_with_rounding, per_things::Rounding,
};

/// 1.0 as a fraction.
pub const ONE: u128 = 1_000_000_000_000_000_000;

/// ln 2 as a fraction, rounded to the nearest 10⁻¹⁸.
const LN_2: u128 = 693_147_180_559_945_309;

/// Past this exponent e⁻ʸ is below 10⁻¹⁸ and rounds to zero (e⁻⁴² ≈ 5.7 · 10⁻¹⁹).
const EXP_NEG_ZERO_FROM: u128 = 42 * ONE;

/// `a · b / c` rounded down, without intermediate overflow; saturates at `u128::MAX` and
/// returns zero when `c` is zero.
pub fn mul_div(a: u128, b: u128, c: u128) -> u128 {
	if c == 0 {
		return 0;
	}
	multiply_by_rational_with_rounding(a, b, c, Rounding::Down).unwrap_or(u128::MAX)
}

/// Product of two fractions (or of an amount and a fraction), rounded down.
pub fn mul_fraction(a: u128, b: u128) -> u128 {
	match a.checked_mul(b) {
		Some(p) => p / ONE,
		None => mul_div(a, b, ONE),
	}
}

/// `part / whole` as a fraction, rounded down; zero when `whole` is zero.
pub fn ratio(part: u128, whole: u128) -> u128 {
	mul_div(part, ONE, whole)
}

/// A reciprocal scaled by 2⁶⁴, for multiplying many values by `numerator / denominator`
/// with one division: `(v · reciprocal) >> 64` is within one unit of `v · numerator /
/// denominator` whenever `v ≤ denominator` (which keeps the product in range).
pub fn scaled_reciprocal(numerator: u128, denominator: u128) -> u128 {
	mul_div(numerator, 1u128 << 64, denominator)
}

/// Applies a [`scaled_reciprocal`]; saturates instead of overflowing.
pub fn apply_reciprocal(value: u128, reciprocal: u128) -> u128 {
	value.saturating_mul(reciprocal) >> 64
}

/// e⁻ʸ for a fraction `y ≥ 0`, as a fraction.
///
/// Range reduction `y = k·ln 2 + r` with `0 ≤ r < ln 2` gives `e⁻ʸ = 2⁻ᵏ / eʳ`; eʳ comes from
/// its Taylor series, whose terms are all positive, so no signed arithmetic is needed.
pub fn exp_neg(y: u128) -> u128 {
	if y >= EXP_NEG_ZERO_FROM {
		return 0;
	}
	let k = y / LN_2;
	let r = y - k * LN_2;
	// eʳ for r < ln 2 < 0.7: the 25th term is below 10⁻²⁹, far beneath one unit.
	let mut sum = ONE;
	let mut term = ONE;
	for n in 1..=25u128 {
		term = term * r / ONE / n;
		if term == 0 {
			break;
		}
		sum += term;
	}
	// ONE² / sum ≤ ONE because sum ≥ ONE; k < 61 because y < 42.
	(ONE * ONE / sum) >> k
}

/// The logistic function σ(ρ·(x − κ)) for fractions `x` and `kappa` and steepness `rho`
/// (itself a fixed-point number, so ρ = 10 is `10 * ONE`). The result is a fraction in
/// `[0, ONE]`.
pub fn sigmoid(x: u128, rho: u128, kappa: u128) -> u128 {
	let (distance, above) = if x >= kappa { (x - kappa, true) } else { (kappa - x, false) };
	let exponent = mul_fraction(rho, distance);
	let e = exp_neg(exponent);
	// σ(z) = 1 / (1 + e⁻ᶻ) for z ≥ 0 and eᶻ / (1 + eᶻ) for z < 0: only e^(−|z|) ≤ 1 is used.
	if above {
		ONE * ONE / (ONE + e)
	} else {
		e * ONE / (ONE + e)
	}
}

/// Converts a float to a fraction (off-chain tools only: simulations and benchmarks).
#[cfg(feature = "std")]
pub fn from_f64(value: f64) -> u128 {
	if value.is_nan() || value <= 0.0 {
		return 0;
	}
	(value * ONE as f64) as u128
}

/// Converts a fraction to a float (off-chain tools only).
#[cfg(feature = "std")]
pub fn to_f64(value: u128) -> f64 {
	value as f64 / ONE as f64
}

#[cfg(test)]
mod tests {
	use super::*;

	fn close(a: u128, expected: f64, tolerance: f64) -> bool {
		(to_f64(a) - expected).abs() <= tolerance
	}

	#[test]
	fn exp_neg_matches_reference_values() {
		for y in [0.0, 0.1, 0.5, 0.693, 1.0, 2.5, 5.0, 10.0, 20.0, 41.0] {
			let got = exp_neg(from_f64(y));
			assert!(close(got, (-y).exp(), 1e-15), "e^-{y}: got {}", to_f64(got));
		}
		assert_eq!(exp_neg(0), ONE);
		assert_eq!(exp_neg(50 * ONE), 0);
		assert_eq!(exp_neg(u128::MAX), 0);
	}

	#[test]
	fn sigmoid_matches_reference_values() {
		let rho = 10 * ONE;
		let kappa = ONE / 2;
		assert_eq!(sigmoid(kappa, rho, kappa), ONE / 2);
		assert!(close(sigmoid(ONE, rho, kappa), 0.993_307_149_075_715, 1e-15));
		assert!(close(sigmoid(0, rho, kappa), 0.006_692_850_924_284_856, 1e-15));
		assert!(close(sigmoid(from_f64(0.49), rho, kappa), 0.475_020_812_521_06, 1e-14));
		// Saturates cleanly for absurd steepness.
		assert_eq!(sigmoid(0, u128::MAX, kappa), 0);
		assert_eq!(sigmoid(ONE, u128::MAX, kappa), ONE);
	}

	#[test]
	fn sigmoid_is_monotonic() {
		let mut last = 0;
		for step in 0..=1000u128 {
			let v = sigmoid(step * ONE / 1000, 10 * ONE, ONE / 2);
			assert!(v >= last);
			last = v;
		}
	}

	#[test]
	fn reciprocal_is_within_one_unit() {
		let cases = [
			(ONE / 3, 7u128, 3u128),
			(ONE, 65_535, 81_919),
			(123_456_789, 1, 1),
			(ONE, 1, u16::MAX as u128 * 256),
		];
		for (numerator, value, denominator) in cases {
			let exact = mul_div(value, numerator, denominator);
			let fast = apply_reciprocal(value, scaled_reciprocal(numerator, denominator));
			assert!(exact - fast <= 1, "{exact} vs {fast}");
		}
	}

	#[test]
	fn helpers_saturate_and_handle_zero() {
		assert_eq!(mul_div(5, 5, 0), 0);
		assert_eq!(ratio(1, 0), 0);
		assert_eq!(ratio(1, 4), ONE / 4);
		assert_eq!(mul_fraction(u128::MAX, ONE), u128::MAX);
		assert_eq!(apply_reciprocal(u128::MAX, 1 << 70), u128::MAX >> 64);
	}
}

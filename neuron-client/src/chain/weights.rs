//! A weight row as the user types it (`--uids 0,3,7 --values 0.2,0.5,0.3`), normalised and
//! converted to the chain's `u16` form, and checked against the subnet's rules before anything
//! is sent, so that a mistake costs no fee and gets a precise message.

use anyhow::{bail, Result};

/// Parses a comma-separated list of uids.
pub fn parse_uids(text: &str) -> Result<Vec<u16>> {
	let mut uids = Vec::new();
	for (i, part) in text.split(',').enumerate() {
		let part = part.trim();
		match part.parse::<u16>() {
			Ok(uid) => uids.push(uid),
			Err(_) => bail!(
				"--uids: item {} (`{part}`) is not a uid (a whole number from 0 to 65535)",
				i + 1
			),
		}
	}
	Ok(uids)
}

/// Parses a comma-separated list of non-negative, finite weights.
pub fn parse_values(text: &str) -> Result<Vec<f64>> {
	let mut values = Vec::new();
	for (i, part) in text.split(',').enumerate() {
		let part = part.trim();
		match part.parse::<f64>() {
			Ok(v) if v.is_finite() && v >= 0.0 => values.push(v),
			Ok(_) => bail!("--values: item {} (`{part}`) must be a finite number ≥ 0", i + 1),
			Err(_) => bail!("--values: item {} (`{part}`) is not a number", i + 1),
		}
	}
	Ok(values)
}

/// Normalises `values` to sum 1 and scales them so that the largest is `u16::MAX` (the form the
/// chain stores); entries that round to zero stay in the row as zero.
pub fn to_u16(values: &[f64]) -> Result<Vec<u16>> {
	let max = values.iter().copied().fold(0.0_f64, f64::max);
	if max <= 0.0 {
		bail!("--values: every weight is zero; give at least one positive weight");
	}
	Ok(values.iter().map(|v| ((v / max) * u16::MAX as f64).round() as u16).collect())
}

/// What the chain's rules need to know about the subnet and the neuron setting weights.
pub struct Rules {
	/// Neurons in the subnet.
	pub subnet_size: u16,
	/// The setter's uid.
	pub own_uid: u16,
	/// Hyperparameter `min_allowed_weights`.
	pub min_allowed_weights: u16,
	/// Hyperparameter `max_weight_limit`, in parts per billion.
	pub max_weight_limit: u32,
	/// The runtime's `MaxWeightsPerNeuron`.
	pub max_weights_per_neuron: u32,
}

/// Checks a row against the subnet's rules (the same checks as the pallet's `set_weights`, so
/// the chain would accept it) and returns it in chain form.
pub fn check(uids: &[u16], values: &[f64], rules: &Rules) -> Result<Vec<u16>> {
	if uids.len() != values.len() {
		bail!(
			"--uids has {} entries but --values has {}: give one value per uid",
			uids.len(),
			values.len()
		);
	}
	if uids.is_empty() {
		bail!("--uids is empty");
	}
	let mut seen = std::collections::HashSet::new();
	for &uid in uids {
		if uid >= rules.subnet_size {
			bail!(
				"--uids: uid {uid} has no neuron (the subnet has {} neurons, uids 0 to {})",
				rules.subnet_size,
				rules.subnet_size.saturating_sub(1)
			);
		}
		if !seen.insert(uid) {
			bail!("--uids: uid {uid} appears more than once");
		}
	}
	let limit = (rules.subnet_size as usize).min(rules.max_weights_per_neuron as usize);
	if uids.len() > limit {
		bail!("--uids: {} weights, but at most {limit} are allowed here", uids.len());
	}
	let only_self = uids.len() == 1 && uids[0] == rules.own_uid;
	let min_allowed = rules.min_allowed_weights.min(rules.subnet_size) as usize;
	if !only_self && uids.len() < min_allowed {
		bail!(
			"--uids: {} weights, but the subnet's min_allowed_weights is {min_allowed}",
			uids.len()
		);
	}
	let values = to_u16(values)?;
	let sum: u64 = values.iter().map(|&v| u64::from(v)).sum();
	let max = values.iter().copied().max().unwrap_or(0);
	if !only_self
		&& rules.max_weight_limit < 1_000_000_000
		&& u128::from(max) * 1_000_000_000 > u128::from(rules.max_weight_limit) * u128::from(sum)
	{
		bail!(
			"--values: the largest weight is {:.4} of the row, above the subnet's \
			 max_weight_limit of {:.4}",
			max as f64 / sum as f64,
			rules.max_weight_limit as f64 / 1e9
		);
	}
	Ok(values)
}

#[cfg(test)]
mod tests {
	use super::*;

	fn rules() -> Rules {
		Rules {
			subnet_size: 8,
			own_uid: 0,
			min_allowed_weights: 2,
			max_weight_limit: 600_000_000,
			max_weights_per_neuron: 256,
		}
	}

	#[test]
	fn converts_to_max_upscaled_u16() {
		assert_eq!(to_u16(&[0.2, 0.5, 0.3]).unwrap(), vec![26214, 65535, 39321]);
		assert_eq!(to_u16(&[2.0, 5.0, 3.0]).unwrap(), vec![26214, 65535, 39321]);
		assert!(to_u16(&[0.0, 0.0]).is_err());
	}

	#[test]
	fn parses_lists_and_names_the_bad_item() {
		assert_eq!(parse_uids("0, 3,7").unwrap(), vec![0, 3, 7]);
		assert!(parse_uids("0,x").unwrap_err().to_string().contains("item 2 (`x`)"));
		assert!(parse_uids("70000").is_err());
		assert!(parse_uids("-1").is_err());
		assert!(parse_uids("").is_err());
		assert_eq!(parse_values("0.2,0.5").unwrap(), vec![0.2, 0.5]);
		assert!(parse_values("0.2,abc").unwrap_err().to_string().contains("not a number"));
		assert!(parse_values("-0.5").is_err());
		assert!(parse_values("NaN").is_err());
		assert!(parse_values("inf").is_err());
	}

	#[test]
	fn enforces_the_subnet_rules() {
		let r = rules();
		assert!(check(&[1, 2, 3], &[0.3, 0.3, 0.4], &r).is_ok());
		let err = |u: &[u16], v: &[f64]| check(u, v, &r).unwrap_err().to_string();
		assert!(err(&[1, 1], &[0.5, 0.5]).contains("more than once"));
		assert!(err(&[1, 9], &[0.5, 0.5]).contains("uid 9 has no neuron"));
		assert!(err(&[1, 2], &[0.5]).contains("one value per uid"));
		assert!(err(&[1], &[1.0]).contains("min_allowed_weights"));
		assert!(err(&[1, 2], &[0.9, 0.1]).contains("max_weight_limit"));
		assert!(err(&[1, 2], &[0.0, 0.0]).contains("zero"));
		// A lone self-weight is always allowed.
		assert!(check(&[0], &[1.0], &r).is_ok());
	}
}

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
#[derive(Debug, Clone)]
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

/// A weight row from a neuron's peer scores (indexed by uid): the highest positive scores of
/// other neurons, normalised, with no share above `max_weight_limit` (the excess is spread over
/// the rest, water-filling) and padded with zero weights up to `min_allowed_weights`. `None`
/// when no other neuron has a positive score yet, or the limits cannot all be met.
pub fn from_scores(scores: &[f64], rules: &Rules) -> Option<(Vec<u16>, Vec<f64>)> {
	let size = rules.subnet_size as usize;
	let most = size.min(rules.max_weights_per_neuron as usize);
	let mut ranked: Vec<(u16, f64)> = scores
		.iter()
		.take(size)
		.enumerate()
		.map(|(uid, &s)| (uid as u16, s))
		.filter(|&(uid, s)| uid != rules.own_uid && s.is_finite() && s > 0.0)
		.collect();
	if ranked.is_empty() {
		return None;
	}
	ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
	ranked.truncate(most);
	let limit = rules.max_weight_limit as f64 / 1e9;
	let min_allowed = (rules.min_allowed_weights as usize).min(size);
	// Zero-weight uids to pad with: the unscored others, lowest uid first.
	let scored: std::collections::HashSet<u16> = ranked.iter().map(|r| r.0).collect();
	let mut padding = (0..size as u16).filter(|uid| *uid != rules.own_uid && !scored.contains(uid));
	while ranked.len() < min_allowed.min(most) {
		ranked.push((padding.next()?, 0.0));
	}
	let mut values: Vec<f64> = ranked.iter().map(|r| r.1).collect();
	if limit < 1.0 {
		cap_shares(&mut values, limit)?;
	}
	let total: f64 = values.iter().sum();
	let values = values.iter().map(|v| v / total).collect();
	Some((ranked.into_iter().map(|r| r.0).collect(), values))
}

/// Scales `values` to sum 1 with none above `limit`, moving the excess to the others in
/// proportion to their values (zeros stay zero); `None` if that is impossible. The limit is
/// aimed a little below, so the chain's integer rounding cannot push a share over it.
fn cap_shares(values: &mut [f64], limit: f64) -> Option<()> {
	let limit = limit * 0.999;
	let positive = values.iter().filter(|&&v| v > 0.0).count();
	if positive as f64 * limit < 1.0 {
		// Too few scored peers to stay under the limit: give every entry an equal share.
		if values.len() as f64 * limit < 1.0 {
			return None;
		}
		values.iter_mut().for_each(|v| *v = 1.0);
	}
	let total: f64 = values.iter().sum();
	values.iter_mut().for_each(|v| *v /= total);
	let mut capped = vec![false; values.len()];
	loop {
		let over: Vec<usize> =
			(0..values.len()).filter(|&i| !capped[i] && values[i] > limit).collect();
		if over.is_empty() {
			return Some(());
		}
		for i in over {
			capped[i] = true;
			values[i] = limit;
		}
		let fixed: f64 = (0..values.len()).filter(|&i| capped[i]).map(|i| values[i]).sum();
		let free: f64 = (0..values.len()).filter(|&i| !capped[i]).map(|i| values[i]).sum();
		if free <= 0.0 {
			return None;
		}
		let scale = (1.0 - fixed) / free;
		(0..values.len()).filter(|&i| !capped[i]).for_each(|i| values[i] *= scale);
	}
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

	#[test]
	fn rows_from_scores_respect_the_rules() {
		let rules = Rules {
			subnet_size: 6,
			own_uid: 0,
			min_allowed_weights: 3,
			max_weight_limit: 500_000_000,
			max_weights_per_neuron: 4,
		};
		// Own score ignored, the best four kept, no share above one half.
		let (uids, values) = from_scores(&[9.0, 100.0, 1.0, 0.0, 2.0, 3.0], &rules).expect("a row");
		assert_eq!(uids, vec![1, 5, 4, 2]);
		assert!(values[0] <= 0.5 && values[0] > values[1] && values[1] > values[2]);
		assert!((values.iter().sum::<f64>() - 1.0).abs() < 1e-9);
		check(&uids, &values, &rules).expect("the chain accepts it");
		// One scored peer: padded with zero weights, then shared equally to meet the limit.
		let (uids, values) = from_scores(&[0.0, 0.0, 5.0, 0.0, 0.0, 0.0], &rules).unwrap();
		assert_eq!(uids.len(), 3);
		assert_eq!(uids[0], 2);
		check(&uids, &values, &rules).expect("the chain accepts it");
		// Nothing scored: nothing to send.
		assert!(from_scores(&[1.0, 0.0, f64::NAN], &rules).is_none());
	}
}

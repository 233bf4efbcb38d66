//! Token amounts: users type whole tokens with decimals (`0.5`), the chain counts planck.

use anyhow::{bail, Result};

/// The chain's token: its symbol and how many decimals one token has (from the node's
/// `system_properties`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
	/// Ticker, e.g. `TAO`.
	pub symbol: String,
	/// Decimal places of one token, e.g. 9 (1 TAO = 10⁹ planck).
	pub decimals: u32,
}

impl Default for Token {
	fn default() -> Self {
		Self { symbol: "TAO".into(), decimals: 9 }
	}
}

impl Token {
	/// Parses `text` (e.g. `12`, `0.5`, `1_000.25`) into planck, exactly: no rounding, no
	/// floating point. Refuses negative numbers, more decimals than the token has, and
	/// anything that is not a plain decimal number.
	pub fn parse(&self, text: &str) -> Result<u128> {
		let cleaned: String = text.trim().chars().filter(|&c| c != '_').collect();
		if cleaned.is_empty() {
			bail!("amount is empty: give a number of {} such as 0.5", self.symbol);
		}
		if cleaned.starts_with('-') {
			bail!("amount `{text}` is negative");
		}
		let (whole, fraction) = match cleaned.split_once('.') {
			Some((w, f)) => (w, f),
			None => (cleaned.as_str(), ""),
		};
		let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
		if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
			bail!("amount `{text}` is not a number of {} (e.g. 0.5)", self.symbol);
		}
		if fraction.len() > self.decimals as usize {
			bail!(
				"amount `{text}` has {} decimals; {} has {}",
				fraction.len(),
				self.symbol,
				self.decimals
			);
		}
		let unit = 10u128.pow(self.decimals);
		let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().unwrap_or(u128::MAX) };
		let padded = format!("{fraction:0<width$}", width = self.decimals as usize);
		let fraction: u128 = if padded.is_empty() { 0 } else { padded.parse().unwrap_or(0) };
		match whole.checked_mul(unit).and_then(|w| w.checked_add(fraction)) {
			Some(planck) => Ok(planck),
			None => bail!("amount `{text}` is too large"),
		}
	}

	/// Formats planck as tokens, exactly, without trailing zeros: `1.5`, `0.0001`, `12`.
	pub fn format(&self, planck: u128) -> String {
		let unit = 10u128.pow(self.decimals);
		let (whole, fraction) = (planck / unit, planck % unit);
		if fraction == 0 {
			return whole.to_string();
		}
		let fraction = format!("{fraction:0>width$}", width = self.decimals as usize);
		format!("{whole}.{}", fraction.trim_end_matches('0'))
	}

	/// Formats planck as tokens with the symbol: `1.5 TAO`.
	pub fn display(&self, planck: u128) -> String {
		format!("{} {}", self.format(planck), self.symbol)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn parses_exactly() {
		let tao = Token::default();
		assert_eq!(tao.parse("0.5").unwrap(), 500_000_000);
		assert_eq!(tao.parse("12").unwrap(), 12_000_000_000);
		assert_eq!(tao.parse(".25").unwrap(), 250_000_000);
		assert_eq!(tao.parse("3.").unwrap(), 3_000_000_000);
		assert_eq!(tao.parse("1_000.000000001").unwrap(), 1_000_000_000_001);
		assert_eq!(tao.parse("0").unwrap(), 0);
	}

	#[test]
	fn refuses_what_is_not_an_amount() {
		let tao = Token::default();
		for bad in ["", "-1", "1.2.3", "abc", "1e9", "0x10", ".", "1.0000000001", "+1"] {
			assert!(tao.parse(bad).is_err(), "{bad} parsed");
		}
		assert!(tao.parse(&"9".repeat(40)).unwrap_err().to_string().contains("too large"));
	}

	#[test]
	fn formats_round_trip() {
		let tao = Token::default();
		for planck in [0, 1, 500_000_000, 12_000_000_000, 1_000_000_000_001, u128::MAX] {
			assert_eq!(tao.parse(&tao.format(planck)).unwrap(), planck);
		}
		assert_eq!(tao.display(1_500_000_000), "1.5 TAO");
		assert_eq!(tao.format(100_000), "0.0001");
	}
}

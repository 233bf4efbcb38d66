//! The metagraph as `bittensor_getMetagraph` returns it, and its two renderings: a table for
//! people and a JSON array for programs.

use crate::amount::Token;
use anyhow::{Context, Result};
use serde::Deserialize;
use std::{fmt::Write, net::Ipv6Addr};

/// A subnet's rules, as the chain stores them.
#[derive(Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Hyperparameters {
	/// Blocks per epoch.
	pub tempo: u16,
	/// Sigmoid steepness ρ.
	pub rho: u16,
	/// Sigmoid midpoint κ, parts per billion.
	pub kappa: u32,
	/// Planck minted per block.
	pub emission_per_block: u128,
	/// Most neurons.
	pub max_uids: u16,
	/// Fewest weights per row.
	pub min_allowed_weights: u16,
	/// Largest share of a row, parts per billion.
	pub max_weight_limit: u32,
	/// Blocks between weight updates.
	pub weights_rate_limit: u32,
	/// Blocks after which a silent neuron stops counting.
	pub activity_cutoff: u32,
	/// Blocks a new neuron cannot be replaced.
	pub immunity_period: u32,
	/// Planck burned to register.
	pub registration_burn: u128,
	/// Bonds moving average, parts per billion.
	pub bonds_moving_average: u32,
	/// Stake needed to set weights, planck.
	pub min_stake_to_set_weights: u128,
	/// Lowest accepted weights version key.
	pub weights_version_key: u64,
	/// How the epoch turns weights into incentive. A node from before the choice existed
	/// does not send it, and ran the paper's.
	#[serde(default)]
	pub mechanism: Mechanism,
	/// Epochs between a weight commit and its reveal; 0 when commit-reveal is off.
	#[serde(default)]
	pub commit_reveal_period: u16,
	/// The highest registration price, planck (0 from nodes that predate the price).
	#[serde(default)]
	pub max_burn: u128,
	/// Each registration raises the price by this, parts per billion.
	#[serde(default)]
	pub burn_increase: u32,
	/// Blocks for the price's excess over the floor to halve.
	#[serde(default)]
	pub burn_half_life: u32,
	/// Below this many neurons past immunity, immune neurons can be replaced.
	#[serde(default)]
	pub min_non_immune_uids: u16,
}

/// A subnet's epoch mechanism (`docs/MECHANISM.md`).
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mechanism {
	/// The paper's: consensus is a sigmoid of the stake giving any positive weight.
	#[default]
	Paper,
	/// Consensus clipping.
	Clipped,
}

impl Mechanism {
	/// The name users type and read: `paper` or `clipped`.
	pub fn name(self) -> &'static str {
		match self {
			Self::Paper => "paper",
			Self::Clipped => "clipped",
		}
	}
}

/// An axon endpoint.
#[derive(Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Axon {
	/// Block it was announced in.
	pub block: u64,
	/// Neuron software version.
	pub version: u32,
	/// IP address as an integer.
	pub ip: u128,
	/// Port.
	pub port: u16,
	/// 4 or 6.
	pub ip_type: u8,
	/// Protocol tag.
	pub protocol: u8,
}

impl Axon {
	/// `ip:port` (`[ip]:port` for IPv6).
	pub fn endpoint(&self) -> String {
		if self.ip_type == 4 {
			let ip = std::net::Ipv4Addr::from(self.ip as u32);
			format!("{ip}:{}", self.port)
		} else {
			format!("[{}]:{}", Ipv6Addr::from(self.ip), self.port)
		}
	}
}

/// One neuron. Parts-per-10¹⁸ fractions are kept as integers until rendered.
#[derive(Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Neuron {
	/// Uid.
	pub uid: u16,
	/// Hotkey, SS58.
	pub hotkey: String,
	/// Coldkey, SS58.
	pub coldkey: String,
	/// Stake, planck: the owner's and the nominators'.
	pub stake: u128,
	/// The stake the next epoch counts (stake counts once held across an epoch), planck;
	/// nodes that predate the rule do not send it.
	#[serde(default)]
	pub counted_stake: Option<u128>,
	/// The owner's take of nominators' dividends, parts per billion.
	#[serde(default)]
	pub take: u32,
	/// Positions held by coldkeys other than the owner.
	#[serde(default)]
	pub nominators: u32,
	/// Rank, parts per 10¹⁸.
	pub rank: u64,
	/// Trust, parts per 10¹⁸.
	pub trust: u64,
	/// Consensus, parts per 10¹⁸.
	pub consensus: u64,
	/// Incentive, parts per 10¹⁸.
	pub incentive: u64,
	/// Dividends, parts per 10¹⁸.
	pub dividends: u64,
	/// Validator trust (how much of its weight row survived clipping), parts per 10¹⁸;
	/// absent from nodes that predate it.
	#[serde(default)]
	pub validator_trust: u64,
	/// Last epoch's emission, planck.
	pub emission: u128,
	/// Whether it was active at the last epoch.
	pub active: bool,
	/// Block of its last weight update.
	pub last_update: u64,
	/// Block it registered in.
	pub registered_at: u64,
	/// Its axon, once served.
	pub axon: Option<Axon>,
	/// How many weights its row holds (the rows come from `bittensor_getWeights`).
	#[serde(rename = "weight_count")]
	pub weights: usize,
	/// Its weight commits waiting for their reveal, oldest first.
	#[serde(default)]
	pub pending_commits: Vec<PendingCommit>,
}

/// A weight commit waiting for its reveal, as the chain holds it.
#[derive(Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PendingCommit {
	/// The commit's hash, `0x` and 64 hex digits.
	pub hash: String,
	/// The subnet's epoch index it was committed in.
	pub epoch: u64,
	/// The block it was committed in.
	pub committed_at: u64,
	/// The first block it may be revealed in.
	pub reveal_from: u64,
	/// The last block it may be revealed in.
	pub reveal_until: u64,
}

/// A subnet's hyperparameters and neurons.
#[derive(Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Metagraph {
	/// The subnet.
	pub netuid: u16,
	/// Its rules.
	pub hyperparameters: Hyperparameters,
	/// The coldkey that opened it, SS58 (`None`: root created it).
	#[serde(default)]
	pub owner: Option<String>,
	/// What its owner locked to open it, planck.
	#[serde(default)]
	pub locked: u128,
	/// What registering costs at the metagraph's block, planck.
	#[serde(default)]
	pub registration_price: u128,
	/// Block of its last epoch.
	pub last_epoch_block: u64,
	/// Its neurons by uid.
	pub neurons: Vec<Neuron>,
}

/// Parses `bittensor_getMetagraph`'s result; `None` when the subnet does not exist.
pub fn parse(json: &str) -> Result<Option<Metagraph>> {
	serde_json::from_str(json).context("the node's metagraph is not in the expected shape")
}

/// A parts-per-10¹⁸ fraction as an exact decimal: `0.5`, `1`, `0`.
pub fn fraction(parts: u64) -> String {
	const ONE: u64 = 1_000_000_000_000_000_000;
	let (whole, rest) = (parts / ONE, parts % ONE);
	if rest == 0 {
		return whole.to_string();
	}
	let digits = format!("{rest:018}");
	format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// The fraction rounded to `places` decimals, for the table.
fn short_fraction(parts: u64, places: usize) -> String {
	format!("{:.places$}", parts as f64 / 1e18)
}

/// The column names of the table and the field names of the JSON objects, in order.
pub const FIELDS: [&str; 14] = [
	"uid",
	"hotkey",
	"coldkey",
	"stake",
	"rank",
	"trust",
	"consensus",
	"incentive",
	"dividends",
	"validator_trust",
	"emission",
	"active",
	"last_update",
	"axon",
];

/// The metagraph as a table: a header line, then one line per neuron, columns aligned.
pub fn table(metagraph: &Metagraph, token: &Token) -> String {
	let rows: Vec<[String; 14]> = metagraph
		.neurons
		.iter()
		.map(|n| {
			[
				n.uid.to_string(),
				n.hotkey.clone(),
				n.coldkey.clone(),
				token.format(n.stake),
				short_fraction(n.rank, 5),
				short_fraction(n.trust, 5),
				short_fraction(n.consensus, 5),
				short_fraction(n.incentive, 5),
				short_fraction(n.dividends, 5),
				short_fraction(n.validator_trust, 5),
				token.format(n.emission),
				if n.active { "yes" } else { "no" }.to_string(),
				n.last_update.to_string(),
				n.axon.as_ref().map(Axon::endpoint).unwrap_or_else(|| "-".into()),
			]
		})
		.collect();
	let header = FIELDS.map(|f| f.replace('_', " ").to_uppercase());
	let mut widths = header.clone().map(|h| h.chars().count());
	for row in &rows {
		for (w, cell) in widths.iter_mut().zip(row) {
			*w = (*w).max(cell.chars().count());
		}
	}
	// Text left-aligned, numbers right-aligned.
	let left = |i: usize| matches!(i, 1 | 2 | 11 | 13);
	let mut out = String::with_capacity((rows.len() + 3) * 256);
	let _ = writeln!(
		out,
		"subnet {}: {} neurons, mechanism {}, last epoch at block {}, stake in {}",
		metagraph.netuid,
		metagraph.neurons.len(),
		metagraph.hyperparameters.mechanism.name(),
		metagraph.last_epoch_block,
		token.symbol
	);
	let line = |cells: &[String; 14], out: &mut String| {
		for (i, cell) in cells.iter().enumerate() {
			let pad = widths[i] - cell.chars().count();
			if i > 0 {
				out.push_str("  ");
			}
			if left(i) {
				out.push_str(cell);
				if i + 1 < cells.len() {
					out.extend(std::iter::repeat_n(' ', pad));
				}
			} else {
				out.extend(std::iter::repeat_n(' ', pad));
				out.push_str(cell);
			}
		}
		out.push('\n');
	};
	line(&header, &mut out);
	for row in &rows {
		line(row, &mut out);
	}
	out
}

/// The metagraph as a JSON array of objects with exactly [`FIELDS`]; stake and emission in
/// tokens and fractions as exact decimal numbers, the axon as `"ip:port"` or `null`.
pub fn json(metagraph: &Metagraph, token: &Token) -> String {
	let mut out = String::with_capacity(metagraph.neurons.len() * 400 + 2);
	out.push('[');
	for (i, n) in metagraph.neurons.iter().enumerate() {
		if i > 0 {
			out.push(',');
		}
		let quote = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "null".into());
		let axon = n.axon.as_ref().map(|a| quote(&a.endpoint())).unwrap_or_else(|| "null".into());
		let _ = write!(
			out,
			"{{\"uid\":{},\"hotkey\":{},\"coldkey\":{},\"stake\":{},\"rank\":{},\"trust\":{},\
			 \"consensus\":{},\"incentive\":{},\"dividends\":{},\"validator_trust\":{},\
			 \"emission\":{},\"active\":{},\"last_update\":{},\"axon\":{}}}",
			n.uid,
			quote(&n.hotkey),
			quote(&n.coldkey),
			token.format(n.stake),
			fraction(n.rank),
			fraction(n.trust),
			fraction(n.consensus),
			fraction(n.incentive),
			fraction(n.dividends),
			fraction(n.validator_trust),
			token.format(n.emission),
			n.active,
			n.last_update,
			axon
		);
	}
	out.push_str("]\n");
	out
}

#[cfg(test)]
mod tests {
	use super::*;

	fn sample() -> Metagraph {
		let json = r#"{"netuid":1,"hyperparameters":{"tempo":10,"rho":10,"kappa":500000000,
			"emission_per_block":1000000000,"max_uids":4096,"min_allowed_weights":1,
			"max_weight_limit":1000000000,"weights_rate_limit":0,"activity_cutoff":5000,
			"immunity_period":100,"registration_burn":100000000,"bonds_moving_average":900000000,
			"min_stake_to_set_weights":0,"weights_version_key":0,"mechanism":"clipped"},
			"last_epoch_block":19,
			"neurons":[{"uid":0,"hotkey":"5Dave","coldkey":"5Alice","stake":100500000000,
			"rank":500000000000000000,"trust":1000000000000000000,"consensus":0,"incentive":0,
			"dividends":333333333333333333,"validator_trust":250000000000000000,"emission":2500000000,"active":true,"last_update":12,
			"registered_at":3,"axon":{"block":5,"version":1,"ip":2130706433,"port":8091,
			"ip_type":4,"protocol":0},"weight_count":2,"bond_count":0}]}"#;
		parse(json).unwrap().unwrap()
	}

	#[test]
	fn parses_the_rpc_shape() {
		let m = sample();
		assert_eq!(m.neurons[0].weights, 2);
		assert_eq!(m.neurons[0].validator_trust, 250_000_000_000_000_000);
		assert_eq!(m.hyperparameters.mechanism, Mechanism::Clipped);
		assert_eq!(m.neurons[0].axon.as_ref().unwrap().endpoint(), "127.0.0.1:8091");
		assert_eq!(parse("null").unwrap(), None);
		assert!(parse("{\"netuid\":1}").is_err());
	}

	#[test]
	fn json_has_exactly_the_fields_with_numbers_as_numbers() {
		let out = json(&sample(), &Token::default());
		let value: serde_json::Value = serde_json::from_str(&out).unwrap();
		let object = value[0].as_object().unwrap();
		let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
		let mut expected = FIELDS.to_vec();
		keys.sort();
		expected.sort();
		assert_eq!(keys, expected);
		assert_eq!(object["stake"], serde_json::json!(100.5));
		assert_eq!(object["trust"], serde_json::json!(1));
		assert_eq!(object["rank"], serde_json::json!(0.5));
		assert_eq!(object["emission"], serde_json::json!(2.5));
		assert_eq!(object["axon"], "127.0.0.1:8091");
		assert!(out.contains("\"dividends\":0.333333333333333333"));
		assert_eq!(object["validator_trust"], serde_json::json!(0.25));
	}

	#[test]
	fn table_has_a_header_and_a_row_per_neuron() {
		let out = table(&sample(), &Token::default());
		let lines: Vec<&str> = out.lines().collect();
		assert_eq!(lines.len(), 3);
		assert!(lines[1].starts_with("UID  HOTKEY"));
		assert!(lines[1].contains("LAST UPDATE"));
		assert!(lines[2].contains("100.5") && lines[2].contains("127.0.0.1:8091"));
	}
}

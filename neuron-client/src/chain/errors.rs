//! What can go wrong with a chain operation, typed so that callers act on a variant, never on
//! a message's text; and the words for pallet errors, read from the runtime's metadata.

use super::runtime;
use subxt::{error::DispatchError, utils::AccountId32};

/// The Bittensor pallet's errors, as the runtime's metadata declares them.
pub use runtime::runtime_types::pallet_bittensor::pallet::Error as BittensorError;

/// Why a chain operation did not happen. Every variant's message names what was wrong and,
/// where there is one, what to do; nothing was sent for the checks made before sending.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
	/// The subnet is not on chain.
	#[error("subnet {0} does not exist (see `neuron subnet list`)")]
	NoSuchSubnet(u16),
	/// Registering costs more than the caller agreed to pay.
	#[error(
		"registering in subnet {netuid} costs {price} now, above the limit of {limit} (raise \
		 --max-burn, or wait: the price halves back toward its floor; see `neuron subnet \
		 burn-cost --netuid {netuid}`)"
	)]
	PriceAboveLimit {
		/// The subnet.
		netuid: u16,
		/// The price now.
		price: String,
		/// The limit.
		limit: String,
	},
	/// The hotkey has no uid in the subnet.
	#[error(
		"hotkey {hotkey} is not registered in subnet {netuid} (run `neuron register --netuid \
		 {netuid}` first)"
	)]
	NotRegistered {
		/// The hotkey.
		hotkey: AccountId32,
		/// The subnet.
		netuid: u16,
	},
	/// Registering a hotkey that already has a uid.
	#[error("hotkey {hotkey} is already registered in subnet {netuid} as uid {uid}")]
	AlreadyRegistered {
		/// The hotkey.
		hotkey: AccountId32,
		/// The subnet.
		netuid: u16,
		/// Its uid.
		uid: u16,
	},
	/// The hotkey belongs to another coldkey.
	#[error("hotkey {hotkey} belongs to coldkey {owner}, not to this wallet's {coldkey}")]
	NotOwner {
		/// The hotkey.
		hotkey: AccountId32,
		/// Its owner.
		owner: AccountId32,
		/// This wallet's coldkey.
		coldkey: AccountId32,
	},
	/// The signer cannot pay the amount, the fee and the existential deposit.
	#[error("insufficient balance: {0}")]
	InsufficientBalance(Box<Shortfall>),
	/// Setting weights needs more stake than the hotkey holds.
	#[error(
		"hotkey {hotkey} has {stake} staked; setting weights in subnet {netuid} needs {needed}"
	)]
	BelowMinStakeToSetWeights {
		/// The hotkey.
		hotkey: AccountId32,
		/// The subnet.
		netuid: u16,
		/// Its stake, with the token.
		stake: String,
		/// `min_stake_to_set_weights`, with the token.
		needed: String,
	},
	/// The version key is below the subnet's.
	#[error(
		"--version-key {given} is below the subnet's weights_version_key {required}: update your \
		 neuron"
	)]
	VersionKeyTooLow {
		/// The key given.
		given: u64,
		/// The subnet's `weights_version_key`.
		required: u64,
	},
	/// The last weight update is too recent.
	#[error(
		"weights are rate limited: uid {uid} last set them at block {last_update} and subnet \
		 {netuid}'s weights_rate_limit allows one update every {limit} blocks; try again at \
		 block {ready_at} (now {now})"
	)]
	WeightsRateLimited {
		/// The setter's uid.
		uid: u16,
		/// The subnet.
		netuid: u16,
		/// Block of its last update.
		last_update: u64,
		/// `weights_rate_limit`.
		limit: u32,
		/// First block an update may land in.
		ready_at: u64,
		/// The best block.
		now: u64,
	},
	/// The weight row breaks one of the subnet's rules.
	#[error("{0}")]
	InvalidRow(String),
	/// The subnet takes weights only by commit and reveal.
	#[error(
		"subnet {netuid} uses commit-reveal (a row is revealed {period} epoch(s) after its commit): \
		 use `neuron weights commit` and `neuron weights reveal`"
	)]
	CommitRevealOn {
		/// The subnet.
		netuid: u16,
		/// Its `commit_reveal_period`.
		period: u16,
	},
	/// The subnet does not use commit-reveal.
	#[error(
		"subnet {netuid} does not use commit-reveal (its commit_reveal_period is 0): set weights \
		 with `neuron weights set`"
	)]
	CommitRevealOff {
		/// The subnet.
		netuid: u16,
	},
	/// The hotkey already committed in this epoch of the subnet.
	#[error(
		"uid {uid} already committed a row in epoch {epoch} of subnet {netuid}: the next commit \
		 can go in epoch {next} (from block {from})"
	)]
	AlreadyCommitted {
		/// The committer's uid.
		uid: u16,
		/// The subnet.
		netuid: u16,
		/// The current epoch index.
		epoch: u64,
		/// The next epoch index.
		next: u64,
		/// Its first block.
		from: u64,
	},
	/// A pallet refused the call: before the pool took it, while it waited, or when a block
	/// ran it.
	#[error("{0}")]
	Pallet(PalletError),
	/// The node refused the transaction for a reason that is not a pallet error.
	#[error("{0}")]
	Refused(String),
	/// Reaching or reading the node failed.
	#[error(transparent)]
	Other(#[from] anyhow::Error),
}

impl ChainError {
	/// The Bittensor pallet error behind this one, if it is one.
	pub fn bittensor(&self) -> Option<&BittensorError> {
		match self {
			Self::Pallet(e) => e.bittensor.as_ref(),
			_ => None,
		}
	}
}

/// Where a pallet refused a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
	/// The pool refused it at submission: nothing was charged and the nonce did not move.
	Submission,
	/// It became invalid while it waited in the pool.
	Pool,
	/// A block ran it and it failed.
	Dispatch,
}

/// A pallet's error, named and documented from the metadata.
#[derive(Debug)]
pub struct PalletError {
	/// `Pallet::Error: documentation`, or `Pallet::Error` without documentation.
	pub text: String,
	/// The variant, when the pallet is Bittensor.
	pub bittensor: Option<BittensorError>,
	/// Where it was refused.
	pub stage: Stage,
}

impl std::fmt::Display for PalletError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		let text = &self.text;
		match self.stage {
			Stage::Submission => write!(
				f,
				"the node refused the transaction: {text} (refused before entering the pool; \
				 nothing was charged)"
			),
			Stage::Pool => write!(
				f,
				"the transaction became invalid in the pool: {text} (refused before entering \
				 the pool; nothing was charged)"
			),
			Stage::Dispatch => write!(f, "{text}"),
		}
	}
}

/// `Pallet::Error: its documentation` for the error `error_index` of the pallet at
/// `pallet_index`, if the metadata knows it.
pub fn describe_module_error(
	metadata: &subxt::Metadata,
	pallet_index: u8,
	error_index: u8,
) -> Option<String> {
	let pallet = metadata.pallet_by_error_index(pallet_index)?;
	let variant = pallet.error_variant_by_index(error_index)?;
	let docs = variant.docs.join(" ");
	let docs = docs.trim();
	Some(if docs.is_empty() {
		format!("{}::{}", pallet.name(), variant.name)
	} else {
		format!("{}::{}: {docs}", pallet.name(), variant.name)
	})
}

/// The error of pallet `pallet_index` at `error_index`, typed when it is Bittensor's.
pub fn module_error(
	metadata: &subxt::Metadata,
	pallet_index: u8,
	error_index: u8,
	stage: Stage,
) -> Option<PalletError> {
	let text = describe_module_error(metadata, pallet_index, error_index)?;
	let pallet = metadata.pallet_by_error_index(pallet_index)?;
	let bittensor = match (pallet.name(), pallet.error_ty_id()) {
		// A unit variant encodes as its index alone.
		("Bittensor", Some(type_id)) => {
			use subxt::ext::scale_decode::DecodeAsType;
			BittensorError::decode_as_type(&mut &[error_index][..], type_id, metadata.types()).ok()
		},
		_ => None,
	};
	Some(PalletError { text, bittensor, stage })
}

/// A transaction's failed dispatch, typed when it is a pallet error.
pub fn dispatch_error(metadata: &subxt::Metadata, error: &DispatchError) -> ChainError {
	if let DispatchError::Module(module) = error {
		if let Some(e) =
			module_error(metadata, module.pallet_index(), module.error_index(), Stage::Dispatch)
		{
			return ChainError::Pallet(e);
		}
	}
	ChainError::Refused(format!("the transaction failed: {error}"))
}

/// Why the pool refused a transaction. The runtime refuses a `serve_axon` or `set_weights`
/// that would fail with `InvalidTransaction::Custom(i)`, `i` being the index of the Bittensor
/// error it would fail with: the one channel the node has for it is that number in the
/// error's text. The pool refuses a second `set_weights` (or `serve_axon`) of a hotkey for a
/// subnet while the first waits, as "priority is too low".
pub fn refusal(
	metadata: &subxt::Metadata,
	error: impl std::fmt::Display,
	stage: Stage,
) -> ChainError {
	let text = error.to_string();
	if let Some(code) = custom_code(&text) {
		let named = metadata
			.pallet_by_name("Bittensor")
			.and_then(|pallet| module_error(metadata, pallet.error_index(), code, stage));
		if let Some(named) = named {
			return ChainError::Pallet(named);
		}
	}
	let prefix = match stage {
		Stage::Pool => "the transaction became invalid in the pool",
		_ => "the node refused the transaction",
	};
	ChainError::Refused(format!("{prefix}: {}", describe_text(&text)))
}

/// [`refusal`] in words, without the "refused" prefix: what the load benchmark counts.
pub fn describe_refusal(metadata: &subxt::Metadata, error: impl std::fmt::Display) -> String {
	let text = error.to_string();
	if let Some(code) = custom_code(&text) {
		let named = metadata
			.pallet_by_name("Bittensor")
			.and_then(|pallet| describe_module_error(metadata, pallet.error_index(), code));
		if let Some(named) = named {
			return format!("{named} (refused before entering the pool; nothing was charged)");
		}
	}
	describe_text(&text)
}

/// Plain words for the pool's refusals that carry no pallet error.
fn describe_text(text: &str) -> String {
	let lower = text.to_ascii_lowercase();
	if lower.contains("priority") && lower.contains("too low") {
		return format!(
			"this hotkey already has a transaction of the same kind for this subnet waiting in \
			 the pool (one set_weights and one serve_axon each), or one with the same nonce: \
			 wait until it is in a block ({text})"
		);
	}
	if lower.contains("inability to pay some fees") || lower.contains("cannot pay") {
		return format!(
			"the signer cannot pay the fee: it holds too little balance, or it is not a hotkey \
			 registered in the call's subnet (whose serve_axon and set_weights are free) ({text})"
		);
	}
	stale_metadata(text).to_string()
}

/// The `n` of "custom error: n" in a pool refusal (the node's JSON-RPC error says "Custom
/// error: n", subxt's decoding of it "Invalid transaction with custom error: n").
fn custom_code(text: &str) -> Option<u8> {
	let lower = text.to_ascii_lowercase();
	let rest = &lower[lower.find("custom error: ")? + "custom error: ".len()..];
	let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
	digits.parse().ok()
}

/// Points at the likely cause when the node's runtime no longer matches the client's metadata.
pub(crate) fn stale_metadata(error: impl std::fmt::Display) -> anyhow::Error {
	let text = error.to_string();
	if text.contains("not compatible with the live chain") {
		anyhow::anyhow!(
			"{text} (the node runs a runtime this client was not built for: update `neuron`)"
		)
	} else {
		anyhow::anyhow!(text)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn metadata() -> subxt::Metadata {
		use codec::Decode;
		let bytes = include_bytes!("../../metadata/bittensor.scale");
		subxt::Metadata::decode(&mut &bytes[..]).unwrap()
	}

	#[test]
	fn pool_refusals_read_as_one_plain_sentence() {
		let metadata = metadata();
		let queued = describe_refusal(&metadata, "Transaction is outdated: Priority is too low");
		assert!(queued.starts_with("this hotkey already has a transaction"), "{queued}");
		let unfunded = describe_refusal(&metadata, "Inability to pay some fees");
		assert!(unfunded.starts_with("the signer cannot pay the fee"), "{unfunded}");
		for text in [queued, unfunded] {
			assert!(!text.contains('\t') && !text.contains("  "), "stray whitespace: {text:?}");
		}
	}

	#[test]
	fn a_custom_code_becomes_the_typed_bittensor_error() {
		let metadata = metadata();
		let pallet = metadata.pallet_by_name("Bittensor").unwrap();
		let index = (0u8..=255)
			.find(|&i| pallet.error_variant_by_index(i).is_some_and(|v| v.name == "ServingTooFast"))
			.unwrap();
		let refused = refusal(&metadata, format!("Custom error: {index}"), Stage::Submission);
		assert!(matches!(refused.bittensor(), Some(BittensorError::ServingTooFast)), "{refused}");
		let text = refused.to_string();
		assert!(text.starts_with("the node refused the transaction: Bittensor::ServingTooFast"));
		assert!(text.ends_with("(refused before entering the pool; nothing was charged)"));
		// Not a pallet error: no variant, the words kept.
		let other =
			refusal(&metadata, "Transaction is outdated: Priority is too low", Stage::Submission);
		assert!(other.bittensor().is_none());
		assert!(other.to_string().contains("already has a transaction"), "{other}");
	}

	#[test]
	fn custom_codes_are_read_from_pool_refusals() {
		let text = "RPC error: ErrorObject { code: ServerError(1010), message: \"Invalid \
		            Transaction\", data: Some(RawValue(\"Custom error: 13\")) }";
		assert_eq!(custom_code(text), Some(13));
		assert_eq!(custom_code("Custom error: 255"), Some(255));
		let subxt = "The transaction is not valid: Invalid transaction with custom error: 28";
		assert_eq!(custom_code(subxt), Some(28));
		assert_eq!(custom_code("Custom error: 256"), None);
		assert_eq!(custom_code("Transaction is outdated"), None);
	}
}

/// What a signer lacks to pay for a transaction (boxed in [`ChainError`] to keep it small).
#[derive(Debug)]
pub struct Shortfall {
	/// `coldkey` or `hotkey`.
	pub role: &'static str,
	/// The signer.
	pub account: AccountId32,
	/// Its free balance, with the token.
	pub free: String,
	/// What it needs in all, with the token.
	pub total: String,
	/// The amount moved or burned.
	pub needed: String,
	/// The fee.
	pub fee: String,
	/// The existential deposit.
	pub existential_deposit: String,
}

impl std::fmt::Display for Shortfall {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(
			f,
			"{} {} has {} free but needs {} ({} + {} fee + {} existential deposit)",
			self.role,
			self.account,
			self.free,
			self.total,
			self.needed,
			self.fee,
			self.existential_deposit
		)
	}
}

//! Plain data types stored by the pallet and passed to its calls.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use polkadot_sdk::sp_runtime::Perbill;
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};

/// Subnet identifier.
pub type NetUid = u16;
/// A neuron's position in its subnet, `0..subnet size`.
pub type Uid = u16;

/// The rules of one subnet's market, set by root or (within the bounds of
/// `Pallet::set_hyperparameters`) by the subnet's owner.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
#[serde(deny_unknown_fields)]
pub struct SubnetHyperparameters<Balance> {
	/// Blocks per epoch; at least 1.
	pub tempo: u16,
	/// Steepness ρ of the consensus sigmoid (the paper uses 10).
	pub rho: u16,
	/// Trust midpoint κ of the consensus sigmoid (the paper uses 50%).
	pub kappa: Perbill,
	/// Balance minted per block, paid out every epoch as `tempo × emission_per_block`.
	pub emission_per_block: Balance,
	/// The most neurons the subnet holds; at least 1 and at most the runtime's `MaxUidsLimit`.
	pub max_uids: u16,
	/// The fewest weights a `set_weights` call may carry (capped by the subnet's size); a
	/// single self-weight is always allowed.
	pub min_allowed_weights: u16,
	/// The largest share of a weight row one uid may receive; above zero.
	pub max_weight_limit: Perbill,
	/// Blocks a neuron must wait between two `set_weights` calls.
	pub weights_rate_limit: u32,
	/// Neurons whose last weights are older than this many blocks stop counting as raters.
	pub activity_cutoff: u32,
	/// Blocks after registration during which a neuron cannot be replaced.
	pub immunity_period: u32,
	/// Balance burned from the coldkey to register a hotkey.
	pub registration_burn: Balance,
	/// Weight m of the previous bonds in the bonds moving average; below 100%.
	pub bonds_moving_average: Perbill,
	/// Stake a hotkey needs to set weights.
	pub min_stake_to_set_weights: Balance,
	/// Lowest weights version key accepted by `set_weights`.
	pub weights_version_key: u64,
	/// How the epoch turns weights into incentive; `Clipped` unless a chain spec says
	/// otherwise.
	#[serde(default)]
	pub mechanism: Mechanism,
	/// Epochs between committing a weight row and revealing it; 0 turns commit-reveal off
	/// (rows are set with `set_weights`), at most [`MAX_COMMIT_REVEAL_PERIOD`].
	#[serde(default)]
	pub commit_reveal_period: u16,
	/// The most a registration can cost: the price never rises above it. At least
	/// `registration_burn`, which is the price's floor.
	pub max_burn: Balance,
	/// How much each registration raises the price (26% makes it ×1.26); 0 keeps it at the
	/// floor.
	#[serde(default)]
	pub burn_increase: Perbill,
	/// Blocks in which the price's excess over the floor halves (linearly between halvings);
	/// 0 brings it back to the floor by the next block.
	#[serde(default)]
	pub burn_half_life: u32,
	/// A full subnet replaces an immune neuron (lowest emission first) when fewer than this
	/// many neurons are past their immunity period, so a burst of newcomers is never refused.
	#[serde(default)]
	pub min_non_immune_uids: u16,
}

/// The longest commit-reveal period, in epochs: a neuron committing every epoch holds
/// `period + 1` commits at once, and at most `MaxPendingCommits` (4 in the runtime) wait.
pub const MAX_COMMIT_REVEAL_PERIOD: u16 = 3;

/// A committed weight row waiting for its reveal (`commit_weights`, `reveal_weights`).
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
pub struct WeightCommit<BlockNumber> {
	/// BLAKE2-256 of the SCALE encoding of `(hotkey, netuid, uids, values, salt,
	/// version_key)`.
	pub hash: polkadot_sdk::sp_core::H256,
	/// The subnet's epoch index when it was committed: `(block + netuid) / tempo`.
	pub epoch: u64,
	/// The block it was committed in.
	pub committed_at: BlockNumber,
	/// The first block it may be revealed in: the first block of epoch `epoch + period`.
	pub reveal_from: BlockNumber,
	/// The last block it may be revealed in (the last of that epoch); after it, it is dropped.
	pub reveal_until: BlockNumber,
}

/// How a subnet's epoch turns weights into incentive (`docs/MECHANISM.md`).
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Mechanism {
	/// The paper's: consensus is a sigmoid of the stake that gives a neuron any positive
	/// weight. Kept to reproduce the paper; a small honest weight on a cabal member counts as
	/// full support.
	Paper,
	/// Consensus clipping: what a rater can give a neuron is capped at the largest weight that
	/// raters holding κ of the other raters' stake give it.
	#[default]
	Clipped,
}

/// Where a neuron serves its model, as announced with `serve_axon`.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	Default,
	Serialize,
	Deserialize,
)]
pub struct AxonInfo<BlockNumber> {
	/// The block the axon was announced in.
	pub block: BlockNumber,
	/// The neuron software's version.
	pub version: u32,
	/// IP address: an IPv4 address in the low 32 bits, or a full IPv6 address.
	pub ip: u128,
	/// TCP or UDP port, non-zero.
	pub port: u16,
	/// 4 for IPv4, 6 for IPv6.
	pub ip_type: u8,
	/// Transport protocol identifier chosen by the client software.
	pub protocol: u8,
}

/// How an epoch's emission was paid, carried by [`crate::Event::EpochCompleted`].
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum PayoutKind {
	/// By incentive and dividends: the normal case.
	Incentive,
	/// No neuron earned incentive (no weights backed by stake yet): paid pro rata to stake.
	ProRataStake,
	/// No neuron earned incentive and no neuron holds stake: nothing was minted.
	Nothing,
}

impl From<crate::math::epoch::Payout> for PayoutKind {
	fn from(payout: crate::math::epoch::Payout) -> Self {
		use crate::math::epoch::Payout;
		match payout {
			Payout::Incentive => Self::Incentive,
			Payout::ProRataStake => Self::ProRataStake,
			Payout::Nothing => Self::Nothing,
		}
	}
}

/// One coldkey's stake on one hotkey: a share of the hotkey's stake pool, which grows with
/// what the epoch pays the hotkey (after the hotkey owner's take on nominators' part).
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
pub struct StakePosition<Balance, BlockNumber> {
	/// Shares of the hotkey's pool; worth `shares × Stake / TotalShares` of the hotkey.
	pub shares: u128,
	/// What the coldkey put in and has not taken out (reduced pro rata by withdrawals): the
	/// position's earnings are its worth above this.
	pub principal: Balance,
	/// Stake added within the last hold period, which cannot be withdrawn before
	/// `locked_until`: stake must stay at stake for a full tempo to collect an epoch's pay.
	pub locked: Balance,
	/// The block from which `locked` can be withdrawn.
	pub locked_until: BlockNumber,
}

/// The shares issued on one hotkey's stake pool: in all, and how many of them the hotkey's
/// nominators hold (every position but its owner's). Kept together so that the epoch's pay
/// learns from one read whether there is a take to mint; most hotkeys have no nominators.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
	TypeInfo,
	MaxEncodedLen,
	Serialize,
	Deserialize,
)]
pub struct PoolShares {
	/// Every position's shares together.
	pub total: u128,
	/// The shares of positions held by coldkeys other than the hotkey's owner.
	pub nominated: u128,
}

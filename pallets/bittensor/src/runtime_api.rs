//! `BittensorApi`: what a client needs about a subnet. The metagraph is lean (no weight or
//! bond rows) so that a full subnet answers in one small call; the rows, 4,096 × 2 × 256
//! entries in a full subnet (about 40 MB as JSON), come from the paged `rows` call.

use crate::{AxonInfo, NetUid, SubnetHyperparameters, Uid, WeightCommit};
use alloc::vec::Vec;
use codec::{Decode, Encode};
use polkadot_sdk::{
	sp_api,
	sp_runtime::{Perbill, Perquintill},
};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};

/// One neuron as the chain sees it: identity, stake, last epoch's results and its axon.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, Serialize, Deserialize)]
pub struct NeuronInfo<AccountId, Balance, BlockNumber> {
	/// Position in the subnet.
	pub uid: Uid,
	/// The neuron's signing key.
	pub hotkey: AccountId,
	/// The coldkey that owns the hotkey.
	pub coldkey: AccountId,
	/// Stake on the hotkey: its owner's and its nominators'.
	pub stake: Balance,
	/// The stake the next epoch counts: what the hotkey held at the last epoch, if less
	/// (stake counts once it has been held across an epoch).
	pub counted_stake: Balance,
	/// The take the hotkey's owner keeps of its nominators' dividends.
	pub take: Perbill,
	/// Positions on the hotkey held by coldkeys other than its owner.
	pub nominators: u32,
	/// Rank R at the last epoch.
	pub rank: Perquintill,
	/// Trust T at the last epoch (`Paper`: stake giving any positive weight; `Clipped`: the
	/// part of the support that survived clipping).
	pub trust: Perquintill,
	/// Consensus at the last epoch (`Paper`: σ(ρ·(T − κ)); `Clipped`: the consensus weight
	/// C_j).
	pub consensus: Perquintill,
	/// Incentive I at the last epoch.
	pub incentive: Perquintill,
	/// Validator trust V at the last epoch: how much of its weight row survived clipping.
	pub validator_trust: Perquintill,
	/// Dividends D at the last epoch.
	pub dividends: Perquintill,
	/// Stake minted to the neuron at the last epoch.
	pub emission: Balance,
	/// Whether it set weights within the activity cutoff at the last epoch.
	pub active: bool,
	/// Block of its last weight update (or registration).
	pub last_update: BlockNumber,
	/// Block its hotkey registered in.
	pub registered_at: BlockNumber,
	/// Its axon endpoint, once served.
	pub axon: Option<AxonInfo<BlockNumber>>,
	/// How many entries its weight row holds (the row itself: [`BittensorApi::rows`]).
	pub weight_count: u32,
	/// How many entries its bond row holds.
	pub bond_count: u32,
	/// Its weight commits waiting for their reveal (commit-reveal subnets), oldest first.
	pub pending_commits: Vec<WeightCommit<BlockNumber>>,
}

/// One neuron's weight and bond rows.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, Serialize, Deserialize)]
pub struct NeuronRows {
	/// The neuron.
	pub uid: Uid,
	/// Its weight row: `(uid, weight)` max-upscaled to `u16::MAX`, by uid.
	pub weights: Vec<(Uid, u16)>,
	/// Its bond row: `(uid, bond)` in parts per 10¹⁸, by uid.
	pub bonds: Vec<(Uid, u64)>,
}

/// A page of a subnet's rows: uids `first..` up to the page's size.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, Serialize, Deserialize)]
pub struct RowPage {
	/// The subnet.
	pub netuid: NetUid,
	/// The page's first uid.
	pub first: Uid,
	/// The rows, by uid.
	pub rows: Vec<NeuronRows>,
	/// The first uid of the next page, `None` on the last.
	pub next: Option<Uid>,
}

/// A subnet's hyperparameters and all its neurons.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, Serialize, Deserialize)]
pub struct Metagraph<AccountId, Balance, BlockNumber> {
	/// The subnet.
	pub netuid: NetUid,
	/// Its rules.
	pub hyperparameters: SubnetHyperparameters<Balance>,
	/// The coldkey that opened it (`None`: root created it).
	pub owner: Option<AccountId>,
	/// What the owner locked to open it, returned when it is dissolved.
	pub locked: Balance,
	/// What registering costs at this block.
	pub registration_price: Balance,
	/// Block of its last epoch.
	pub last_epoch_block: BlockNumber,
	/// Its neurons, by uid.
	pub neurons: Vec<NeuronInfo<AccountId, Balance, BlockNumber>>,
}

/// One coldkey's position on one hotkey.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, Serialize, Deserialize)]
pub struct StakeInfo<AccountId, Balance, BlockNumber> {
	/// The hotkey staked on.
	pub hotkey: AccountId,
	/// The coldkey that owns the hotkey (the position's coldkey itself unless it nominates).
	pub hotkey_owner: Option<AccountId>,
	/// What the position is worth now.
	pub worth: Balance,
	/// What the coldkey put in and has not taken out; `worth - principal` is what it earned.
	pub principal: Balance,
	/// Shares of the hotkey's pool.
	pub shares: u128,
	/// Stake added within the hold period, withdrawable from `locked_until`.
	pub locked: Balance,
	/// The block from which `locked` can be withdrawn.
	pub locked_until: BlockNumber,
	/// The hotkey's take.
	pub take: Perbill,
}

/// A hotkey others can stake on, with what staking on it would cost.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, Serialize, Deserialize)]
pub struct DelegateInfo<AccountId, Balance> {
	/// The hotkey.
	pub hotkey: AccountId,
	/// Its owner.
	pub owner: AccountId,
	/// The take its owner keeps of nominators' dividends.
	pub take: Perbill,
	/// All stake on it.
	pub stake: Balance,
	/// Positions held by coldkeys other than its owner.
	pub nominators: u32,
	/// The subnets it is registered in, with its uid in each.
	pub registrations: Vec<(NetUid, Uid)>,
}

sp_api::decl_runtime_apis! {
	/// Read access to the market for clients and the node's `bittensor_getMetagraph` RPC.
	pub trait BittensorApi<AccountId, Balance, BlockNumber>
	where
		AccountId: codec::Codec,
		Balance: codec::Codec,
		BlockNumber: codec::Codec,
	{
		/// The subnet's hyperparameters and every neuron, or `None` if it does not exist.
		fn metagraph(netuid: NetUid) -> Option<Metagraph<AccountId, Balance, BlockNumber>>;
		/// One neuron, or `None` if the subnet or uid does not exist.
		fn neuron(netuid: NetUid, uid: Uid) -> Option<NeuronInfo<AccountId, Balance, BlockNumber>>;
		/// The netuids of every subnet.
		fn subnets() -> Vec<NetUid>;
		/// The weight and bond rows of at most `count` neurons from uid `first` on, or `None`
		/// if the subnet does not exist.
		fn rows(netuid: NetUid, first: Uid, count: u16) -> Option<RowPage>;
		/// What registering in the subnet costs now, or `None` if it does not exist.
		fn registration_price(netuid: NetUid) -> Option<Balance>;
		/// What opening a subnet with `register_network` locks now.
		fn network_lock_cost() -> Balance;
		/// Every position `coldkey` holds.
		fn stake_positions(coldkey: AccountId) -> Vec<StakeInfo<AccountId, Balance, BlockNumber>>;
		/// Every hotkey registered in some subnet, with its take and nominators.
		fn delegates() -> Vec<DelegateInfo<AccountId, Balance>>;
	}
}

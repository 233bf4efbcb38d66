//! # BitTensor pallet
//!
//! The on-chain half of the BitTensor peer-to-peer intelligence market.
//!
//! ## Overview
//!
//! Peers (*neurons*) train models, serve their outputs to one another and rank one another by
//! how much their neighbours' outputs help their own loss. Each neuron writes its ranking as a
//! row of a sparse weight matrix through [`Pallet::set_weights`]. Every `tempo` blocks each
//! subnet runs an *epoch* that turns stake and weights into rewards, minted as new stake, by
//! one of two mechanisms (the subnet's [`Mechanism`]; `docs/MECHANISM.md` defines both):
//!
//! - `Paper`: ranks `R = Wᵀ·S` (row-normalised weights, raters' stake share), trust
//!   `T = Cᵀ·S` over the connectivity `C_ij = [w_ij > 0]`, consensus `c = σ(ρ·(T − κ))`,
//!   incentive `I = normalise(R ⊙ c)`. A cabal below half the stake gets no consensus, but
//!   only while honest neurons give it exactly zero weight.
//! - `Clipped` (the default): self-weights dropped, each weight capped at the consensus
//!   weight `C_j` (the largest weight that raters holding κ of the other raters' stake give
//!   j), ranks and incentive from the clipped weights. A minority's weights on its own
//!   members are cut to the majority's level, however small the honest weights on it are.
//! - Both: bonds `B` (a moving average of the raters' stake times their (clipped) weights,
//!   column-normalised), dividends `D = B̂·I`, payout `ΔS = ½·D + ½·I` of
//!   `tempo × emission_per_block`, split exactly.
//!
//! ## Terminology
//!
//! - *Coldkey*: the account that owns funds; it registers hotkeys and stakes on them.
//! - *Hotkey*: the account a neuron signs with (`serve_axon`, `set_weights`).
//! - *Subnet* (`netuid`): an independent market with its own hyperparameters.
//! - *Uid*: a neuron's position in a subnet; per-neuron vectors are indexed by it.
//! - *Stake vault*: the pallet's account, holding every staked token and every subnet owner's
//!   lock; issuance is unchanged by staking and grows by exactly the emission each epoch.
//!
//! ## Calls
//!
//! - [`Pallet::create_subnet`] (root), [`Pallet::register_network`] (any coldkey, for a lock
//!   returned by [`Pallet::dissolve_network`]), [`Pallet::set_hyperparameters`] (root, or the
//!   subnet's owner within bounds).
//! - [`Pallet::register`] (coldkey, at a price that follows demand, never above the caller's
//!   `max_burn`), [`Pallet::add_stake`], [`Pallet::remove_stake`] (any coldkey on any
//!   registered hotkey: a position in the hotkey's pool), [`Pallet::set_take`],
//!   [`Pallet::swap_hotkey`] (the hotkey's coldkey).
//! - [`Pallet::serve_axon`], [`Pallet::set_weights`], [`Pallet::commit_weights`],
//!   [`Pallet::reveal_weights`] (hotkey): free when the hotkey is registered in the call's
//!   subnet. A subnet with `commit_reveal_period` > 0 takes weights only by commit and reveal,
//!   so that no validator can copy another's row before it counts. Because free calls invite
//!   spam, the runtime's [`CheckNeuronCalls`] transaction extension checks every rule of these
//!   calls before a transaction enters the pool, refuses a broken one with the index of the
//!   pallet error it would fail with, lets a hotkey queue one of each per subnet, and orders
//!   them by the hotkey's stake.
//!
//! ## Pure mathematics
//!
//! [`math`] holds the epoch as functions over slices with no storage access, in fixed point
//! only; the pallet just loads storage, calls [`math::epoch::run_epoch`] and stores the result.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use extension::CheckNeuronCalls;
pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

pub mod axon;
mod commit_reveal;
mod emission;
pub mod extension;
pub mod math;
pub mod metagraph;
pub mod migrations;
mod registration;
pub mod runtime_api;
#[cfg(feature = "std")]
pub mod simulation;
mod staking;
mod subnet;
mod swap;
pub mod types;
mod weight_setting;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

use polkadot_sdk::*;

/// The balance type of the pallet's currency.
pub type BalanceOf<T> = <<T as Config>::Currency as frame_support::traits::fungible::Inspect<
	<T as frame_system::Config>::AccountId,
>>::Balance;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Inspect, Mutate},
		PalletId,
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::{Perbill, Perquintill};

	/// Per-neuron vector of a subnet, indexed by uid.
	pub type NeuronVec<T, V> = BoundedVec<V, <T as Config>::MaxUidsLimit>;

	/// The storage layout's version; [`crate::migrations`] leads from each to the next.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(3);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency that stake, registration burns and emission are paid in.
		type Currency: Mutate<Self::AccountId>;

		/// Identifier of the stake vault account that holds all staked balance.
		#[pallet::constant]
		type PalletId: Get<PalletId>;

		/// The most neurons any subnet may hold; bounds every per-neuron vector and row.
		#[pallet::constant]
		type MaxUidsLimit: Get<u32>;

		/// The most weights (and bonds) one neuron's row may hold; bounds the epoch's memory,
		/// which grows with neurons × this.
		#[pallet::constant]
		type MaxWeightsPerNeuron: Get<u32>;

		/// The most subnets the chain may hold; bounds the work of `on_initialize`.
		#[pallet::constant]
		type MaxSubnets: Get<u32>;

		/// Blocks a neuron must wait between two `serve_axon` calls (its first is always
		/// allowed). `serve_axon` is free for registered hotkeys, so this bounds how often one
		/// can use the chain for it.
		#[pallet::constant]
		type ServingRateLimit: Get<u32>;

		/// The most weight commits a hotkey may have waiting for their reveal, per subnet.
		#[pallet::constant]
		type MaxPendingCommits: Get<u32>;

		/// The take a hotkey's owner keeps of the dividends its nominators' stake earns, until
		/// the owner sets another.
		#[pallet::constant]
		type DefaultTake: Get<Perbill>;

		/// The highest take an owner may set.
		#[pallet::constant]
		type MaxTake: Get<Perbill>;

		/// Blocks between two raises of a hotkey's take (lowering it is always allowed), so
		/// nominators see a raise coming and can leave first.
		#[pallet::constant]
		type TakeRaiseRateLimit: Get<u32>;

		/// The most stake positions (its owner's and nominators') one hotkey may hold; bounds
		/// `swap_hotkey`.
		#[pallet::constant]
		type MaxStakePositions: Get<u32>;

		/// The smallest position a coldkey may open on a hotkey it does not own, so that dust
		/// cannot fill a hotkey's `MaxStakePositions`.
		#[pallet::constant]
		type MinNomination: Get<BalanceOf<Self>>;

		/// The lowest lock `register_network` costs.
		#[pallet::constant]
		type NetworkMinLockCost: Get<BalanceOf<Self>>;

		/// Blocks over which the lock cost falls back from twice the last lock to the minimum.
		#[pallet::constant]
		type NetworkLockReductionInterval: Get<u32>;

		/// Blocks between two `set_hyperparameters` calls by a subnet's owner (root is not
		/// limited).
		#[pallet::constant]
		type OwnerHyperparametersRateLimit: Get<u32>;

		/// The shortest tempo a subnet's owner may choose: epochs are the chain's heaviest work.
		#[pallet::constant]
		type MinOwnerTempo: Get<u16>;

		/// The longest tempo a subnet's owner may choose.
		#[pallet::constant]
		type MaxOwnerTempo: Get<u16>;

		/// Blocks between two `swap_hotkey` calls by one coldkey.
		#[pallet::constant]
		type HotKeySwapRateLimit: Get<u32>;

		/// Benchmarked weights of the calls and the epoch.
		type WeightInfo: WeightInfo;
	}

	/// Hyperparameters of each subnet; a subnet exists exactly when it has an entry.
	#[pallet::storage]
	pub type Subnets<T: Config> =
		StorageMap<_, Twox64Concat, NetUid, SubnetHyperparameters<BalanceOf<T>>, OptionQuery>;

	/// Number of subnets.
	#[pallet::storage]
	pub type SubnetCount<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// Number of neurons registered in each subnet (uids are `0..SubnetworkN`).
	#[pallet::storage]
	pub type SubnetworkN<T: Config> = StorageMap<_, Twox64Concat, NetUid, u16, ValueQuery>;

	/// Hotkey of each (subnet, uid).
	#[pallet::storage]
	pub type Keys<T: Config> =
		StorageDoubleMap<_, Twox64Concat, NetUid, Twox64Concat, Uid, T::AccountId, OptionQuery>;

	/// Uid of each hotkey registered in a subnet.
	#[pallet::storage]
	pub type Uids<T: Config> =
		StorageDoubleMap<_, Twox64Concat, NetUid, Blake2_128Concat, T::AccountId, Uid, OptionQuery>;

	/// Coldkey that owns each hotkey (set by its first registration, never changed).
	#[pallet::storage]
	pub type Owner<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, T::AccountId, OptionQuery>;

	/// Stake held on each hotkey, by its owner and its nominators together, in balance units;
	/// emission is added here. The neuron's stake in every subnet the hotkey is registered in.
	#[pallet::storage]
	pub type Stake<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BalanceOf<T>, ValueQuery>;

	/// Shares issued on each hotkey's stake pool ([`Stake`]), in all and to its nominators;
	/// the positions hold them.
	#[pallet::storage]
	pub type TotalShares<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, PoolShares, ValueQuery>;

	/// Each (hotkey, coldkey)'s position on the hotkey's pool.
	#[pallet::storage]
	pub type StakePositions<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		T::AccountId,
		StakePosition<BalanceOf<T>, BlockNumberFor<T>>,
		OptionQuery,
	>;

	/// Number of positions on each hotkey (at most `MaxStakePositions`).
	#[pallet::storage]
	pub type StakePositionCount<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// The take each hotkey's owner set; `DefaultTake` where none.
	#[pallet::storage]
	pub type Take<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Perbill, OptionQuery>;

	/// Block of each hotkey's last take raise.
	#[pallet::storage]
	pub type TakeRaisedAt<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BlockNumberFor<T>, OptionQuery>;

	/// Block of each coldkey's last `swap_hotkey`.
	#[pallet::storage]
	pub type HotKeySwappedAt<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BlockNumberFor<T>, OptionQuery>;

	/// Sum of all stake; the stake vault holds this plus its existential deposit.
	#[pallet::storage]
	pub type TotalStake<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

	/// Axon endpoint of each (subnet, uid), once served.
	#[pallet::storage]
	pub type Axons<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		NetUid,
		Twox64Concat,
		Uid,
		AxonInfo<BlockNumberFor<T>>,
		OptionQuery,
	>;

	/// Weight row of each (subnet, uid): `(uid, weight)` sorted by uid, weights max-upscaled so
	/// the largest is `u16::MAX`, zeros omitted.
	#[pallet::storage]
	pub type Weights<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		NetUid,
		Twox64Concat,
		Uid,
		BoundedVec<(Uid, u16), T::MaxWeightsPerNeuron>,
		ValueQuery,
	>;

	/// Number of stored weight entries in each subnet (sums the `Weights` row lengths); sizes
	/// the epoch's weight before it runs.
	#[pallet::storage]
	pub type WeightEntries<T: Config> = StorageMap<_, Twox64Concat, NetUid, u32, ValueQuery>;

	/// Bond row of each (subnet, uid): `(uid, bond)` sorted by uid, bonds as fractions of the
	/// subnet's stake in parts per 10¹⁸, zeros omitted.
	#[pallet::storage]
	pub type Bonds<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		NetUid,
		Twox64Concat,
		Uid,
		BoundedVec<(Uid, u64), T::MaxWeightsPerNeuron>,
		ValueQuery,
	>;

	/// Rank R of each neuron at the last epoch, by uid.
	#[pallet::storage]
	pub type Rank<T: Config> =
		StorageMap<_, Twox64Concat, NetUid, NeuronVec<T, Perquintill>, ValueQuery>;

	/// Trust T of each neuron at the last epoch, by uid: under `Paper` the stake that gives it
	/// any positive weight; under `Clipped` the part of its support that survived clipping.
	#[pallet::storage]
	pub type Trust<T: Config> =
		StorageMap<_, Twox64Concat, NetUid, NeuronVec<T, Perquintill>, ValueQuery>;

	/// Consensus of each neuron at the last epoch, by uid: under `Paper` c = σ(ρ·(T − κ));
	/// under `Clipped` the consensus weight C_j, the cap on what one rater can give it.
	#[pallet::storage]
	pub type Consensus<T: Config> =
		StorageMap<_, Twox64Concat, NetUid, NeuronVec<T, Perquintill>, ValueQuery>;

	/// Incentive I of each neuron at the last epoch, by uid.
	#[pallet::storage]
	pub type Incentive<T: Config> =
		StorageMap<_, Twox64Concat, NetUid, NeuronVec<T, Perquintill>, ValueQuery>;

	/// Validator trust V of each neuron at the last epoch, by uid: under `Clipped`, how much
	/// of its weight row survived clipping (Σ_j W̄_ij); under `Paper`, 1 for every rater with
	/// stake (nothing is clipped) and 0 for everyone else.
	#[pallet::storage]
	pub type ValidatorTrust<T: Config> =
		StorageMap<_, Twox64Concat, NetUid, NeuronVec<T, Perquintill>, ValueQuery>;

	/// Dividends D of each neuron at the last epoch, by uid.
	#[pallet::storage]
	pub type Dividends<T: Config> =
		StorageMap<_, Twox64Concat, NetUid, NeuronVec<T, Perquintill>, ValueQuery>;

	/// Balance minted onto each neuron's stake at the last epoch, by uid.
	#[pallet::storage]
	pub type Emission<T: Config> =
		StorageMap<_, Twox64Concat, NetUid, NeuronVec<T, BalanceOf<T>>, ValueQuery>;

	/// Block of each neuron's last weight update (its registration block until it sets
	/// weights), by uid.
	#[pallet::storage]
	pub type LastUpdate<T: Config> =
		StorageMap<_, Twox64Concat, NetUid, NeuronVec<T, BlockNumberFor<T>>, ValueQuery>;

	/// Whether each neuron updated its weights within the activity cutoff at the last epoch.
	#[pallet::storage]
	pub type Active<T: Config> =
		StorageMap<_, Twox64Concat, NetUid, NeuronVec<T, bool>, ValueQuery>;

	/// Block each uid's current hotkey registered in, by uid.
	#[pallet::storage]
	pub type BlockAtRegistration<T: Config> =
		StorageMap<_, Twox64Concat, NetUid, NeuronVec<T, BlockNumberFor<T>>, ValueQuery>;

	/// Weight commits waiting for their reveal, per (subnet, hotkey), oldest first. Expired
	/// ones are dropped by the subnet's next epoch (or the hotkey's next commit).
	#[pallet::storage]
	pub type WeightCommits<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		NetUid,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<WeightCommit<BlockNumberFor<T>>, T::MaxPendingCommits>,
		ValueQuery,
	>;

	/// Stake of each neuron at the end of the subnet's last epoch, by uid (0 for a uid
	/// registered since). An epoch counts `min(stake now, this)`: only stake held across a
	/// whole tempo moves consensus or earns. Empty until the subnet's first epoch, which counts
	/// the stake of the moment.
	#[pallet::storage]
	pub type EpochStake<T: Config> =
		StorageMap<_, Twox64Concat, NetUid, NeuronVec<T, BalanceOf<T>>, ValueQuery>;

	/// Each subnet's registration price and the block it was set in; it decays from there
	/// toward the floor (`registration_burn`). No entry: the floor.
	#[pallet::storage]
	pub type BurnPrice<T: Config> =
		StorageMap<_, Twox64Concat, NetUid, (BalanceOf<T>, BlockNumberFor<T>), OptionQuery>;

	/// The coldkey that opened each subnet with `register_network` (none for subnets root
	/// created).
	#[pallet::storage]
	pub type SubnetOwner<T: Config> =
		StorageMap<_, Twox64Concat, NetUid, T::AccountId, OptionQuery>;

	/// Balance each owner locked to open its subnet, returned when it dissolves it.
	#[pallet::storage]
	pub type SubnetLocked<T: Config> =
		StorageMap<_, Twox64Concat, NetUid, BalanceOf<T>, ValueQuery>;

	/// The last lock `register_network` took, and its block: the next costs twice that,
	/// falling to `NetworkMinLockCost` over `NetworkLockReductionInterval` blocks.
	#[pallet::storage]
	pub type LastLockCost<T: Config> =
		StorageValue<_, (BalanceOf<T>, BlockNumberFor<T>), ValueQuery>;

	/// Block of each subnet's last hyperparameter change by its owner.
	#[pallet::storage]
	pub type OwnerHyperparametersSetAt<T: Config> =
		StorageMap<_, Twox64Concat, NetUid, BlockNumberFor<T>, OptionQuery>;

	/// Block of each subnet's last epoch.
	#[pallet::storage]
	pub type LastEpochBlock<T: Config> =
		StorageMap<_, Twox64Concat, NetUid, BlockNumberFor<T>, ValueQuery>;

	/// Whether `serve_axon` accepts loopback addresses (`127.0.0.0/8`, `::1`). Set at genesis:
	/// true on the development and local test chains, whose neurons all run on one machine;
	/// false (the default) on any other chain, where a loopback axon would point every peer
	/// that queries it at a service on its own machine.
	#[pallet::storage]
	pub type AllowLoopbackAxons<T: Config> = StorageValue<_, bool, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Subnets that exist from genesis.
		pub subnets: alloc::vec::Vec<(NetUid, SubnetHyperparameters<BalanceOf<T>>)>,
		/// Initial [`AllowLoopbackAxons`]: only chains whose neurons share one machine.
		pub allow_loopback_axons: bool,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			Pallet::<T>::ensure_vault_exists();
			AllowLoopbackAxons::<T>::put(self.allow_loopback_axons);
			for (netuid, hyperparameters) in &self.subnets {
				if let Err(error) = Pallet::<T>::do_create_subnet(*netuid, hyperparameters.clone())
				{
					panic!("genesis subnet {netuid} is invalid: {error:?}");
				}
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A subnet was created.
		SubnetCreated { netuid: NetUid, hyperparameters: SubnetHyperparameters<BalanceOf<T>> },
		/// A subnet's hyperparameters were replaced.
		HyperparametersSet { netuid: NetUid, hyperparameters: SubnetHyperparameters<BalanceOf<T>> },
		/// A hotkey was registered; `replaced` is the hotkey it displaced from a full subnet.
		NeuronRegistered {
			netuid: NetUid,
			uid: Uid,
			hotkey: T::AccountId,
			coldkey: T::AccountId,
			burned: BalanceOf<T>,
			replaced: Option<T::AccountId>,
		},
		/// A neuron announced its axon endpoint.
		AxonServed {
			netuid: NetUid,
			uid: Uid,
			hotkey: T::AccountId,
			axon: AxonInfo<BlockNumberFor<T>>,
		},
		/// A coldkey moved balance into stake on a hotkey (its own or, as a nominator,
		/// another's).
		StakeAdded { coldkey: T::AccountId, hotkey: T::AccountId, amount: BalanceOf<T> },
		/// A coldkey moved stake on a hotkey back to its free balance.
		StakeRemoved { coldkey: T::AccountId, hotkey: T::AccountId, amount: BalanceOf<T> },
		/// A hotkey's owner set the take it keeps of its nominators' dividends.
		TakeSet { hotkey: T::AccountId, take: Perbill },
		/// A coldkey opened subnet `netuid`, locking `locked` until it dissolves it.
		NetworkRegistered { netuid: NetUid, owner: T::AccountId, locked: BalanceOf<T> },
		/// Subnet `netuid` was dissolved; `refunded` went back to its owner.
		NetworkDissolved { netuid: NetUid, refunded: BalanceOf<T> },
		/// A coldkey moved its neuron from hotkey `old` to hotkey `new`.
		HotKeySwapped { coldkey: T::AccountId, old: T::AccountId, new: T::AccountId },
		/// A neuron set its weights (`count` non-zero entries).
		WeightsSet { netuid: NetUid, uid: Uid, count: u32 },
		/// A neuron committed to a weight row it may reveal from `reveal_from` to
		/// `reveal_until` (blocks).
		WeightsCommitted {
			netuid: NetUid,
			uid: Uid,
			commit_hash: polkadot_sdk::sp_core::H256,
			reveal_from: BlockNumberFor<T>,
			reveal_until: BlockNumberFor<T>,
		},
		/// A neuron revealed a committed row, which is now its weights: `count` entries, after
		/// `dropped` entries on uids registered since the commit were left out.
		WeightsRevealed { netuid: NetUid, uid: Uid, count: u32, dropped: u32 },
		/// A subnet ran its epoch and minted `emitted` onto its neurons' stake.
		EpochCompleted { netuid: NetUid, emitted: BalanceOf<T>, payout: PayoutKind },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No subnet has this netuid.
		SubnetNotFound,
		/// A subnet with this netuid already exists.
		SubnetAlreadyExists,
		/// The chain already holds `MaxSubnets` subnets.
		TooManySubnets,
		/// Hyperparameter `tempo` must be at least 1 block.
		InvalidTempo,
		/// Hyperparameter `max_uids` must be between 1 and the runtime's `MaxUidsLimit`.
		InvalidMaxUids,
		/// Hyperparameter `max_uids` cannot drop below the subnet's current number of neurons.
		MaxUidsBelowSubnetSize,
		/// Hyperparameter `min_allowed_weights` cannot exceed `max_uids`.
		InvalidMinAllowedWeights,
		/// Hyperparameter `max_weight_limit` must be above zero.
		InvalidMaxWeightLimit,
		/// Hyperparameter `bonds_moving_average` must be below 100%.
		InvalidBondsMovingAverage,
		/// Hyperparameter `max_burn` must be at least `registration_burn`.
		InvalidBurnRange,
		/// This hotkey is already registered in this subnet.
		HotKeyAlreadyRegisteredInSubnet,
		/// This hotkey belongs to another coldkey.
		NonAssociatedColdKey,
		/// The coldkey cannot pay the subnet's registration burn and stay alive.
		NotEnoughBalanceToRegister,
		/// The calling hotkey is not registered in this subnet.
		NotRegistered,
		/// An axon's `ip_type` must be 4 (IPv4) or 6 (IPv6).
		InvalidIpType,
		/// The axon's IP address is zero, or above `u32::MAX` for an IPv4 address.
		InvalidIpAddress,
		/// An axon's port must be non-zero.
		InvalidPort,
		/// The hotkey has never been registered, so it has no owner to stake through.
		HotKeyNotRegistered,
		/// A stake amount must be above zero.
		ZeroAmount,
		/// The coldkey cannot move this much into stake and stay alive.
		NotEnoughBalanceToStake,
		/// The hotkey holds less stake than the amount to remove.
		NotEnoughStakeToWithdraw,
		/// `uids` and `values` have different lengths.
		WeightVecLengthMismatch,
		/// A uid appears more than once in `uids`.
		DuplicateUids,
		/// A uid in `uids` has no neuron in this subnet.
		UidNotRegistered,
		/// Fewer weights than the subnet's `min_allowed_weights` (only a single self-weight
		/// may go below it).
		TooFewWeights,
		/// More weights than the subnet has neurons, or than the runtime's
		/// `MaxWeightsPerNeuron`.
		TooManyWeights,
		/// Every weight value is zero.
		AllWeightsZero,
		/// The hotkey's stake is below the subnet's `min_stake_to_set_weights`.
		NotEnoughStakeToSetWeights,
		/// Weights were set less than `weights_rate_limit` blocks ago.
		SettingWeightsTooFast,
		/// The version key is below the subnet's `weights_version_key`: update the client.
		IncorrectWeightVersionKey,
		/// One uid would receive more than the subnet's `max_weight_limit` share of the row.
		MaxWeightExceeded,
		/// The axon was served less than the runtime's `ServingRateLimit` blocks ago.
		ServingTooFast,
		/// Hyperparameter `commit_reveal_period` must be at most 3 epochs.
		InvalidCommitRevealPeriod,
		/// This subnet uses commit-reveal: commit the row with `commit_weights`, then reveal it
		/// with `reveal_weights` when its window opens.
		CommitRevealEnabled,
		/// This subnet does not use commit-reveal (`commit_reveal_period` is 0): set weights with
		/// `set_weights`.
		CommitRevealDisabled,
		/// The hotkey already committed a weight row in this epoch of the subnet.
		AlreadyCommittedThisEpoch,
		/// The hotkey has `MaxPendingCommits` commits waiting for their reveal.
		TooManyPendingCommits,
		/// No pending commit of this hotkey has the hash of this row, salt and version key.
		NoMatchingCommit,
		/// The commit's reveal window has not opened yet: it opens `commit_reveal_period`
		/// epochs after the commit's epoch.
		RevealTooEarly,
		/// The commit's reveal window has closed; the commit expired.
		RevealTooLate,
		/// The axon's address cannot be reached from the internet: a private, shared (CGNAT),
		/// link-local, multicast, documentation, benchmarking, reserved or unspecified range,
		/// or loopback on a chain whose genesis does not allow it. Peers would send their
		/// queries to a machine of their own network instead of this neuron.
		NonRoutableAddress,
		/// The registration price is above the `max_burn` the caller agreed to pay.
		RegistrationPriceAboveLimit,
		/// The caller is neither root nor the subnet's owner.
		NotSubnetOwner,
		/// The subnet's owner changed its hyperparameters less than
		/// `OwnerHyperparametersRateLimit` blocks ago.
		HyperparametersSetTooFast,
		/// Only root sets a subnet's `emission_per_block`: it mints new tokens.
		EmissionNotSettableByOwner,
		/// A subnet's owner must keep its tempo between `MinOwnerTempo` and `MaxOwnerTempo`.
		TempoOutsideOwnerBounds,
		/// The cost of opening a subnet is above the `max_lock_cost` the caller agreed to.
		LockCostAboveLimit,
		/// The coldkey cannot lock the cost of a subnet and stay alive.
		NotEnoughBalanceToLock,
		/// A take must be at most `MaxTake`.
		TakeAboveMax,
		/// The take was raised less than `TakeRaiseRateLimit` blocks ago.
		TakeRaisedTooFast,
		/// The hotkey holds `MaxStakePositions` positions already.
		TooManyStakePositions,
		/// A new position on another coldkey's hotkey must be at least `MinNomination`.
		NominationTooSmall,
		/// The amount is too small to buy a single share of the hotkey's pool.
		AmountBelowOneShare,
		/// This coldkey has no stake on this hotkey.
		NoStakePosition,
		/// Stake added within the hold period (the longest tempo of the hotkey's subnets) cannot
		/// be withdrawn yet.
		StakeStillLocked,
		/// The new hotkey is registered or owned already.
		NewHotKeyInUse,
		/// The coldkey swapped a hotkey less than `HotKeySwapRateLimit` blocks ago.
		HotKeySwapTooFast,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(block: BlockNumberFor<T>) -> Weight {
			Self::run_due_epochs(block)
		}

		fn integrity_test() {
			assert!(T::MaxUidsLimit::get() >= 1, "MaxUidsLimit must be at least 1");
			assert!(T::MaxWeightsPerNeuron::get() >= 1, "MaxWeightsPerNeuron must be at least 1");
			assert!(
				T::MaxUidsLimit::get() <= u16::MAX as u32 + 1,
				"MaxUidsLimit cannot exceed the uid space"
			);
			assert!(
				T::MaxPendingCommits::get() > u32::from(crate::MAX_COMMIT_REVEAL_PERIOD),
				"MaxPendingCommits must let a neuron commit every epoch of the longest period"
			);
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Creates subnet `netuid` with the given hyperparameters.
		///
		/// Origin: root. Emits [`Event::SubnetCreated`]. Fails with `SubnetAlreadyExists`,
		/// `TooManySubnets`, or a hyperparameter error (`InvalidTempo`, `InvalidMaxUids`,
		/// `InvalidMinAllowedWeights`, `InvalidMaxWeightLimit`, `InvalidBondsMovingAverage`,
		/// `InvalidCommitRevealPeriod`).
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_subnet())]
		pub fn create_subnet(
			origin: OriginFor<T>,
			netuid: NetUid,
			hyperparameters: SubnetHyperparameters<BalanceOf<T>>,
		) -> DispatchResult {
			ensure_root(origin)?;
			Self::do_create_subnet(netuid, hyperparameters)
		}

		/// Replaces the hyperparameters of subnet `netuid`; they apply from the next block.
		///
		/// Origin: root, or the subnet's owner (see [`Pallet::register_network`]), who cannot
		/// change `emission_per_block`, must keep `tempo` between `MinOwnerTempo` and
		/// `MaxOwnerTempo`, and may call once per `OwnerHyperparametersRateLimit` blocks.
		/// Emits [`Event::HyperparametersSet`]. Fails with `SubnetNotFound`, `NotSubnetOwner`,
		/// `HyperparametersSetTooFast`, `EmissionNotSettableByOwner`,
		/// `TempoOutsideOwnerBounds`, `MaxUidsBelowSubnetSize`, or a hyperparameter error as in
		/// `create_subnet`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::set_hyperparameters())]
		pub fn set_hyperparameters(
			origin: OriginFor<T>,
			netuid: NetUid,
			hyperparameters: SubnetHyperparameters<BalanceOf<T>>,
		) -> DispatchResult {
			let caller = frame_system::ensure_signed_or_root(origin)?;
			Self::do_set_hyperparameters(netuid, hyperparameters, caller)
		}

		/// Registers `hotkey` in subnet `netuid`, burning the subnet's registration price from
		/// the calling coldkey, which becomes the hotkey's owner on first registration.
		///
		/// The price follows demand: each registration raises it by `burn_increase`, and its
		/// excess over the floor `registration_burn` halves every `burn_half_life` blocks; it
		/// never exceeds `max_burn`. The caller names the most it will pay (`max_burn`), so a
		/// price that rose while the transaction waited costs nothing.
		///
		/// The hotkey gets the next uid; in a full subnet it replaces the neuron with the lowest
		/// emission among those past their immunity period (ties: the oldest registration, then
		/// the lowest uid), whose weights, bonds and axon are cleared. When fewer than
		/// `min_non_immune_uids` neurons are past immunity, immune neurons are candidates too,
		/// so a newcomer is never refused; the subnet owner's neurons are passed over (up to
		/// eight of the best candidates, so the cost stays flat) and replaced only when nothing
		/// else is left.
		///
		/// Origin: the coldkey. Emits [`Event::NeuronRegistered`]. Fails with
		/// `SubnetNotFound`, `HotKeyAlreadyRegisteredInSubnet`, `NonAssociatedColdKey`,
		/// `RegistrationPriceAboveLimit` or `NotEnoughBalanceToRegister`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::register(T::MaxUidsLimit::get()))]
		pub fn register(
			origin: OriginFor<T>,
			netuid: NetUid,
			hotkey: T::AccountId,
			max_burn: BalanceOf<T>,
		) -> DispatchResultWithPostInfo {
			let coldkey = ensure_signed(origin)?;
			let size = Self::do_register(netuid, coldkey, hotkey, max_burn)?;
			Ok(Some(T::WeightInfo::register(size)).into())
		}

		/// Announces where the calling neuron serves its model in subnet `netuid`.
		///
		/// Origin: the hotkey. Emits [`Event::AxonServed`]. Fails with `SubnetNotFound`,
		/// `NotRegistered`, `InvalidIpType` (not 4 or 6), `InvalidIpAddress` (zero, or an
		/// IPv4 value above `u32::MAX`), `NonRoutableAddress` (an address peers cannot reach
		/// over the internet; see [`AllowLoopbackAxons`]) or `InvalidPort` (zero).
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::serve_axon())]
		#[pallet::feeless_if(|origin: &OriginFor<T>, netuid: &NetUid, _version: &u32, _ip: &u128,
			_port: &u16, _ip_type: &u8, _protocol: &u8| -> bool {
			Pallet::<T>::is_registered_signer(origin, *netuid)
		})]
		pub fn serve_axon(
			origin: OriginFor<T>,
			netuid: NetUid,
			version: u32,
			ip: u128,
			port: u16,
			ip_type: u8,
			protocol: u8,
		) -> DispatchResult {
			let hotkey = ensure_signed(origin)?;
			Self::do_serve_axon(netuid, hotkey, version, ip, port, ip_type, protocol)
		}

		/// Moves `amount` from the calling coldkey's free balance into stake on `hotkey`: its
		/// own, or any registered hotkey as a nominator. The position buys shares of the
		/// hotkey's pool at its current worth; the hotkey's owner keeps its take of what the
		/// nominators' part of the pool earns. The amount cannot be withdrawn for a hold period
		/// (the longest tempo among the hotkey's subnets). The balance goes to the stake vault;
		/// issuance is unchanged.
		///
		/// Origin: the coldkey. Emits [`Event::StakeAdded`]. Fails with `ZeroAmount`,
		/// `HotKeyNotRegistered`, `NominationTooSmall`, `TooManyStakePositions`,
		/// `AmountBelowOneShare` or `NotEnoughBalanceToStake`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::add_stake())]
		pub fn add_stake(
			origin: OriginFor<T>,
			hotkey: T::AccountId,
			amount: BalanceOf<T>,
		) -> DispatchResult {
			let coldkey = ensure_signed(origin)?;
			Self::do_add_stake(coldkey, hotkey, amount)
		}

		/// Moves `amount` of the calling coldkey's position on `hotkey` back to its free
		/// balance.
		///
		/// Origin: the coldkey. Emits [`Event::StakeRemoved`]. Fails with `ZeroAmount`,
		/// `NoStakePosition`, `NotEnoughStakeToWithdraw` (more than the position is worth) or
		/// `StakeStillLocked` (it would take stake added within the hold period).
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::remove_stake())]
		pub fn remove_stake(
			origin: OriginFor<T>,
			hotkey: T::AccountId,
			amount: BalanceOf<T>,
		) -> DispatchResult {
			let coldkey = ensure_signed(origin)?;
			Self::do_remove_stake(coldkey, hotkey, amount)
		}

		/// Sets the calling neuron's weight row in subnet `netuid`: `values[k]` is the weight
		/// on `uids[k]`. Values are relative (they are normalised on chain) and stored
		/// max-upscaled to `u16::MAX`; zero values are dropped. Self-weights are allowed.
		///
		/// Origin: the hotkey. Emits [`Event::WeightsSet`]. Fails, changing nothing, with
		/// `SubnetNotFound`, `WeightVecLengthMismatch`, `NotRegistered`,
		/// `NotEnoughStakeToSetWeights`, `IncorrectWeightVersionKey`,
		/// `SettingWeightsTooFast`, `DuplicateUids`, `UidNotRegistered`, `TooManyWeights`,
		/// `TooFewWeights`, `AllWeightsZero` or `MaxWeightExceeded`; in a subnet that uses
		/// commit-reveal, with `CommitRevealEnabled`.
		#[pallet::call_index(6)]
		// Charged for the largest subnet (the call rewrites the subnet's `LastUpdate`, one entry
		// per neuron), refunded to the subnet's real size.
		#[pallet::weight(T::WeightInfo::set_weights(T::MaxUidsLimit::get(), uids.len() as u32))]
		#[pallet::feeless_if(|origin: &OriginFor<T>, netuid: &NetUid, _uids: &alloc::vec::Vec<Uid>,
			_values: &alloc::vec::Vec<u16>, _version_key: &u64| -> bool {
			Pallet::<T>::is_registered_signer(origin, *netuid)
		})]
		pub fn set_weights(
			origin: OriginFor<T>,
			netuid: NetUid,
			uids: alloc::vec::Vec<Uid>,
			values: alloc::vec::Vec<u16>,
			version_key: u64,
		) -> DispatchResultWithPostInfo {
			let hotkey = ensure_signed(origin)?;
			let w = uids.len() as u32;
			Self::do_set_weights(netuid, hotkey, uids, values, version_key)?;
			let n = u32::from(SubnetworkN::<T>::get(netuid));
			Ok(Some(T::WeightInfo::set_weights(n, w)).into())
		}

		/// Commits the calling neuron to a weight row in subnet `netuid` without showing it, so
		/// that nobody can copy it before it counts. `commit_hash` is the BLAKE2-256 hash of the
		/// SCALE encoding of the tuple `(hotkey: AccountId, netuid: u16, uids: Vec<u16>,
		/// values: Vec<u16>, salt: [u8; 32], version_key: u64)`; the salt is 32 random bytes
		/// the neuron keeps until the reveal. A commit made in epoch e (the subnet's epoch
		/// index, `(block + netuid) / tempo`) is revealed with [`Pallet::reveal_weights`] during
		/// epoch e + `commit_reveal_period`, and is dropped when that epoch ends.
		///
		/// Origin: the hotkey; free when it is registered in `netuid`. Emits
		/// [`Event::WeightsCommitted`]. Fails, changing nothing, with `SubnetNotFound`,
		/// `CommitRevealDisabled`, `NotRegistered`, `NotEnoughStakeToSetWeights`,
		/// `AlreadyCommittedThisEpoch` or `TooManyPendingCommits`.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::commit_weights())]
		#[pallet::feeless_if(|origin: &OriginFor<T>, netuid: &NetUid,
			_commit_hash: &polkadot_sdk::sp_core::H256| -> bool {
			Pallet::<T>::is_registered_signer(origin, *netuid)
		})]
		pub fn commit_weights(
			origin: OriginFor<T>,
			netuid: NetUid,
			commit_hash: polkadot_sdk::sp_core::H256,
		) -> DispatchResult {
			let hotkey = ensure_signed(origin)?;
			Self::do_commit_weights(netuid, hotkey, commit_hash)
		}

		/// Reveals a committed weight row, which becomes the calling neuron's weights in subnet
		/// `netuid`, as [`Pallet::set_weights`] would set them (every rule applies; the last
		/// update is this block). Entries on uids whose hotkey registered after the commit are
		/// left out: the row was meant for their previous holders.
		///
		/// Origin: the hotkey; free when it is registered in `netuid`. Emits
		/// [`Event::WeightsRevealed`]. Fails, changing nothing, with `CommitRevealDisabled`,
		/// `NoMatchingCommit` (no pending commit has the hash of these arguments),
		/// `RevealTooEarly`, `RevealTooLate`, or any error of `set_weights`.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::reveal_weights(T::MaxUidsLimit::get(), uids.len() as u32))]
		#[pallet::feeless_if(|origin: &OriginFor<T>, netuid: &NetUid, _uids: &alloc::vec::Vec<Uid>,
			_values: &alloc::vec::Vec<u16>, _salt: &[u8; 32], _version_key: &u64| -> bool {
			Pallet::<T>::is_registered_signer(origin, *netuid)
		})]
		pub fn reveal_weights(
			origin: OriginFor<T>,
			netuid: NetUid,
			uids: alloc::vec::Vec<Uid>,
			values: alloc::vec::Vec<u16>,
			salt: [u8; 32],
			version_key: u64,
		) -> DispatchResultWithPostInfo {
			let hotkey = ensure_signed(origin)?;
			let w = uids.len() as u32;
			Self::do_reveal_weights(netuid, hotkey, uids, values, salt, version_key)?;
			let n = u32::from(SubnetworkN::<T>::get(netuid));
			Ok(Some(T::WeightInfo::reveal_weights(n, w)).into())
		}

		/// Opens a subnet owned by the calling coldkey, under the lowest free netuid, locking
		/// the current lock cost ([`Pallet::network_lock_cost`]: twice the last lock, falling to
		/// `NetworkMinLockCost` over `NetworkLockReductionInterval` blocks) until the owner
		/// dissolves it. The owner's rules apply to `hyperparameters` (as in
		/// `set_hyperparameters`): `emission_per_block` must be 0 — root decides what a subnet
		/// mints.
		///
		/// Origin: any coldkey. Emits [`Event::NetworkRegistered`] and
		/// [`Event::SubnetCreated`]. Fails with `TooManySubnets`, `LockCostAboveLimit`,
		/// `NotEnoughBalanceToLock`, `EmissionNotSettableByOwner`, `TempoOutsideOwnerBounds`
		/// or a hyperparameter error as in `create_subnet`.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::register_network())]
		pub fn register_network(
			origin: OriginFor<T>,
			hyperparameters: SubnetHyperparameters<BalanceOf<T>>,
			max_lock_cost: BalanceOf<T>,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::do_register_network(owner, hyperparameters, max_lock_cost)
		}

		/// Dissolves subnet `netuid`: its neurons, weights, bonds, axons and commits are
		/// removed (their hotkeys keep their stake), and the owner's lock is returned.
		///
		/// Origin: root or the subnet's owner. Emits [`Event::NetworkDissolved`]. Fails with
		/// `SubnetNotFound` or `NotSubnetOwner`.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::dissolve_network(T::MaxUidsLimit::get()))]
		pub fn dissolve_network(
			origin: OriginFor<T>,
			netuid: NetUid,
		) -> DispatchResultWithPostInfo {
			let caller = frame_system::ensure_signed_or_root(origin)?;
			let size = Self::do_dissolve_network(netuid, caller)?;
			Ok(Some(T::WeightInfo::dissolve_network(size)).into())
		}

		/// Sets the take the owner of `hotkey` keeps of the dividends its nominators' stake
		/// earns. Lowering it is always allowed; raising it once per `TakeRaiseRateLimit`
		/// blocks.
		///
		/// Origin: the hotkey's coldkey. Emits [`Event::TakeSet`]. Fails with
		/// `HotKeyNotRegistered`, `NonAssociatedColdKey`, `TakeAboveMax` or
		/// `TakeRaisedTooFast`.
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::set_take())]
		pub fn set_take(
			origin: OriginFor<T>,
			hotkey: T::AccountId,
			take: Perbill,
		) -> DispatchResult {
			let coldkey = ensure_signed(origin)?;
			Self::do_set_take(coldkey, hotkey, take)
		}

		/// Moves the calling coldkey's hotkey `old` to the fresh hotkey `new`: its uids in every
		/// subnet, its stake pool with every position on it, its take and its pending weight
		/// commits. For a leaked hotkey: the neuron keeps its place and its nominators.
		///
		/// Origin: the hotkey's coldkey. Emits [`Event::HotKeySwapped`]. Fails with
		/// `HotKeyNotRegistered`, `NonAssociatedColdKey`, `NewHotKeyInUse` or
		/// `HotKeySwapTooFast`.
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::swap_hotkey(T::MaxStakePositions::get()))]
		pub fn swap_hotkey(
			origin: OriginFor<T>,
			old: T::AccountId,
			new: T::AccountId,
		) -> DispatchResultWithPostInfo {
			let coldkey = ensure_signed(origin)?;
			let positions = Self::do_swap_hotkey(coldkey, old, new)?;
			Ok(Some(T::WeightInfo::swap_hotkey(positions)).into())
		}
	}

	impl<T: Config> Pallet<T> {
		/// Whether `origin` is signed by a hotkey registered in subnet `netuid`: such a
		/// neuron's `serve_axon` and `set_weights` pay no fee (the pool checks them up front
		/// instead, see [`crate::CheckNeuronCalls`]).
		pub fn is_registered_signer(origin: &OriginFor<T>, netuid: NetUid) -> bool {
			ensure_signed(origin.clone()).is_ok_and(|who| Uids::<T>::contains_key(netuid, &who))
		}

		/// The stake vault's account.
		pub fn vault_account() -> T::AccountId {
			use sp_runtime::traits::AccountIdConversion;
			T::PalletId::get().into_account_truncating()
		}

		/// Endows the stake vault with the existential deposit if it lacks it, so that it can
		/// always pay out every unit of stake and is never reaped.
		pub(crate) fn ensure_vault_exists() {
			let vault = Self::vault_account();
			let minimum = T::Currency::minimum_balance();
			let balance = T::Currency::balance(&vault);
			if balance < minimum {
				// Cannot fail short of issuance overflow, which would leave staking disabled
				// rather than corrupt any state.
				let _ = T::Currency::mint_into(&vault, minimum - balance);
			}
		}
	}
}

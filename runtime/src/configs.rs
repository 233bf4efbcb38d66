//! Configuration of each pallet in the runtime.

use super::*;
use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{ConstBool, ConstU128, ConstU16, ConstU32, ConstU64, ConstU8, VariantCountOf},
	weights::{
		constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		IdentityFee, Weight,
	},
	PalletId,
};
use frame_system::limits::{BlockLength, BlockWeights};
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::{traits::One, Perbill};

/// Normal extrinsics may fill 75% of a block; the rest is kept for operational ones.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

parameter_types! {
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: RuntimeVersion = VERSION;
	/// Two seconds of compute per 6-second block.
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
		Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
		NORMAL_DISPATCH_RATIO,
	);
	/// 5 MiB blocks, 75% of it for normal extrinsics.
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(5 * 1024 * 1024)
		.modify_max_length_for_class(DispatchClass::Normal, |max| *max = NORMAL_DISPATCH_RATIO * *max)
		.build();
	pub const SS58Prefix: u8 = 42;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	type DbWeight = ParityDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<32>;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<32>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_timestamp::Config for Runtime {
	type Moment = u64;
	type OnTimestampSet = Aura;
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = ();
}

/// Accounts below 500 RAO are reaped.
pub const EXISTENTIAL_DEPOSIT: Balance = 500;

impl pallet_balances::Config for Runtime {
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ();
	type ReserveIdentifier = [u8; 8];
	type Balance = Balance;
	type RuntimeEvent = RuntimeEvent;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type DoneSlashHandler = ();
}

parameter_types! {
	pub FeeMultiplier: Multiplier = Multiplier::one();
}

/// One planck per nanosecond of compute. With 9-decimal TAO, `IdentityFee` (a planck per
/// picosecond) would charge ~0.4 TAO for one weight update, more than registering costs;
/// at this rate a 256-entry `set_weights` costs about 0.0004 TAO and a full block of them
/// about 1.5 TAO, which still prices out spam.
pub struct WeightToFee;

impl frame_support::weights::WeightToFee for WeightToFee {
	type Balance = Balance;

	fn weight_to_fee(weight: &Weight) -> Balance {
		Balance::from(weight.ref_time() / 1_000)
	}
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightToFee = WeightToFee;
	type LengthToFee = IdentityFee<Balance>;
	type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

impl pallet_skip_feeless_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
}

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

impl pallet_utility::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type PalletsOrigin = OriginCaller;
	type WeightInfo = pallet_utility::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	pub const BittensorPalletId: PalletId = PalletId(*b"bt/stake");
	/// What real delegates have come to expect; an owner may set its own.
	pub const DefaultTake: Perbill = Perbill::from_percent(18);
	/// Above half, a nominator would earn less than the owner keeps of its stake's work.
	pub const MaxTake: Perbill = Perbill::from_percent(50);
	/// A new position on someone else's hotkey: 1 TAO, so that dust cannot fill a hotkey's
	/// 256 positions.
	pub const MinNomination: Balance = crate::TAO;
	/// Opening a subnet locks at least 10 TAO (doubling with each new subnet).
	pub const NetworkMinLockCost: Balance = 10 * crate::TAO;
}

impl pallet_bittensor::Config for Runtime {
	type Currency = Balances;
	type PalletId = BittensorPalletId;
	type MaxUidsLimit = ConstU32<4096>;
	/// 4096 × 256 entries keep the epoch near 50 MB of the 128 MB runtime heap.
	type MaxWeightsPerNeuron = ConstU32<256>;
	type MaxSubnets = ConstU32<32>;
	/// A minute between two axon announcements.
	type ServingRateLimit = ConstU32<10>;
	// One commit per epoch with the longest period (3) leaves room for one more.
	type MaxPendingCommits = ConstU32<4>;
	type DefaultTake = DefaultTake;
	type MaxTake = MaxTake;
	/// A day: nominators see a raise coming and can leave before the next.
	type TakeRaiseRateLimit = ConstU32<{ crate::DAYS }>;
	type MaxStakePositions = ConstU32<256>;
	type MinNomination = MinNomination;
	type NetworkMinLockCost = NetworkMinLockCost;
	/// A week for the doubled lock to fall back to the minimum.
	type NetworkLockReductionInterval = ConstU32<{ 7 * crate::DAYS }>;
	/// Five minutes between two changes by a subnet's owner.
	type OwnerHyperparametersRateLimit = ConstU32<{ 5 * crate::MINUTES }>;
	/// Epochs are the chain's heaviest work: an owner keeps at least 10 blocks between them
	/// and pays out at least once a day.
	type MinOwnerTempo = ConstU16<10>;
	type MaxOwnerTempo = ConstU16<14_400>;
	type HotKeySwapRateLimit = ConstU32<{ crate::DAYS }>;
	type WeightInfo = pallet_bittensor::weights::SubstrateWeight<Runtime>;
}

//! A minimal runtime for the pallet's unit tests: System, Balances and Bittensor.

use crate as pallet_bittensor;
use crate::{NetUid, SubnetHyperparameters};
use polkadot_sdk::{
	frame_support::{derive_impl, parameter_types, traits::Hooks, PalletId},
	frame_system, pallet_balances, sp_io,
	sp_runtime::{BuildStorage, Perbill},
};

pub type AccountId = u64;
pub type Balance = u64;
type Block = frame_system::mocking::MockBlock<Test>;

#[polkadot_sdk::frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(2)]
	pub type Bittensor = pallet_bittensor;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

pub const EXISTENTIAL_DEPOSIT: Balance = 10;

parameter_types! {
	pub const ExistentialDeposit: Balance = EXISTENTIAL_DEPOSIT;
	pub const BittensorPalletId: PalletId = PalletId(*b"bt/stake");
	pub const DefaultTake: Perbill = Perbill::from_percent(18);
	pub const MaxTake: Perbill = Perbill::from_percent(50);
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type ExistentialDeposit = ExistentialDeposit;
	type AccountStore = System;
}

impl pallet_bittensor::Config for Test {
	type Currency = Balances;
	type PalletId = BittensorPalletId;
	type MaxUidsLimit = polkadot_sdk::frame_support::traits::ConstU32<4096>;
	type MaxWeightsPerNeuron = polkadot_sdk::frame_support::traits::ConstU32<8>;
	type MaxSubnets = polkadot_sdk::frame_support::traits::ConstU32<8>;
	type ServingRateLimit = polkadot_sdk::frame_support::traits::ConstU32<2>;
	type MaxPendingCommits = polkadot_sdk::frame_support::traits::ConstU32<4>;
	type DefaultTake = DefaultTake;
	type MaxTake = MaxTake;
	type TakeRaiseRateLimit = polkadot_sdk::frame_support::traits::ConstU32<10>;
	type MaxStakePositions = polkadot_sdk::frame_support::traits::ConstU32<8>;
	type MinNomination = polkadot_sdk::frame_support::traits::ConstU64<100>;
	type NetworkMinLockCost = polkadot_sdk::frame_support::traits::ConstU64<1_000>;
	type NetworkLockReductionInterval = polkadot_sdk::frame_support::traits::ConstU32<100>;
	type OwnerHyperparametersRateLimit = polkadot_sdk::frame_support::traits::ConstU32<10>;
	type MinOwnerTempo = polkadot_sdk::frame_support::traits::ConstU16<2>;
	type MaxOwnerTempo = polkadot_sdk::frame_support::traits::ConstU16<1_000>;
	type HotKeySwapRateLimit = polkadot_sdk::frame_support::traits::ConstU32<10>;
	type WeightInfo = ();
}

/// Hyperparameters for tests: the paper's ρ and κ, a short tempo, nothing in the way.
pub fn test_hyperparameters() -> SubnetHyperparameters<Balance> {
	SubnetHyperparameters {
		tempo: 10,
		rho: 10,
		kappa: Perbill::from_percent(50),
		emission_per_block: 1_000,
		max_uids: 16,
		min_allowed_weights: 1,
		max_weight_limit: Perbill::one(),
		weights_rate_limit: 0,
		activity_cutoff: 1_000,
		immunity_period: 5,
		registration_burn: 100,
		bonds_moving_average: Perbill::zero(),
		min_stake_to_set_weights: 0,
		weights_version_key: 0,
		// The hand-computed tests of the paper's epoch; clipping has tests of its own.
		mechanism: pallet_bittensor::Mechanism::Paper,
		commit_reveal_period: 0,
		// A fixed price unless a test says otherwise.
		max_burn: 100,
		burn_increase: Perbill::zero(),
		burn_half_life: 0,
		min_non_immune_uids: 1,
	}
}

/// Accounts 1..=20 hold 1,000,000 each.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=20).map(|account| (account, 1_000_000)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_bittensor::GenesisConfig::<Test> { subnets: vec![], allow_loopback_axons: false }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Creates subnet `netuid` with [`test_hyperparameters`].
pub fn create_test_subnet(netuid: NetUid) {
	Bittensor::create_subnet(RuntimeOrigin::root(), netuid, test_hyperparameters()).unwrap();
}

/// Advances to block `n`, running `on_initialize` for each block.
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Bittensor::on_initialize(next);
	}
}

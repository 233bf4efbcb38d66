//! Unit tests on the mock runtime, by topic.

mod axon;
mod commit_reveal;
mod epoch;
mod extension;
mod metagraph;
mod open_market;
mod properties;
mod registration;
mod staking;
mod subnets;
mod weights;

use crate::{mock::*, pallet::*, NetUid, Uid};
use polkadot_sdk::{
	frame_support::{assert_ok, traits::fungible::Inspect},
	frame_system,
};

pub const NETUID: NetUid = 1;

/// Registers `hotkey` for `coldkey` in `netuid` and returns its uid.
pub fn register(netuid: NetUid, coldkey: AccountId, hotkey: AccountId) -> Uid {
	assert_ok!(Bittensor::register(RuntimeOrigin::signed(coldkey), netuid, hotkey, u64::MAX));
	Uids::<Test>::get(netuid, hotkey).expect("just registered")
}

/// Creates subnet `netuid` with [`test_hyperparameters`] but no emission, so that stake
/// moves only by the calls under test.
pub fn create_quiet_subnet(netuid: NetUid) {
	let mut hp = test_hyperparameters();
	hp.emission_per_block = 0;
	assert_ok!(Bittensor::create_subnet(RuntimeOrigin::root(), netuid, hp));
}

/// Stakes `amount` from `coldkey` on `hotkey`.
pub fn stake(coldkey: AccountId, hotkey: AccountId, amount: Balance) {
	assert_ok!(Bittensor::add_stake(RuntimeOrigin::signed(coldkey), hotkey, amount));
}

/// Asserts the ledger invariants: issuance is the sum of all accounts, the vault holds the
/// total stake plus its existential deposit, and the total stake is the sum of stakes.
pub fn assert_ledger_consistent() {
	let accounts: Balance = frame_system::Account::<Test>::iter()
		.map(|(_, info)| info.data.free + info.data.reserved)
		.sum();
	assert_eq!(Balances::total_issuance(), accounts, "issuance != sum of accounts");
	let stakes: Balance = Stake::<Test>::iter_values().sum();
	assert_eq!(TotalStake::<Test>::get(), stakes, "TotalStake != sum of Stake");
	let locks: Balance = SubnetLocked::<Test>::iter_values().sum();
	assert_eq!(
		Balances::balance(&Bittensor::vault_account()),
		stakes + locks + EXISTENTIAL_DEPOSIT,
		"vault != stake + locks + ED"
	);
	// Every pool: its shares are its positions', and their worths sum to the pool less
	// rounding dust (under one unit per position).
	for (hotkey, pool) in Stake::<Test>::iter() {
		let positions: Vec<_> = StakePositions::<Test>::iter_prefix(hotkey).collect();
		assert_eq!(StakePositionCount::<Test>::get(hotkey) as usize, positions.len());
		let shares: u128 = positions.iter().map(|(_, p)| p.shares).sum();
		assert_eq!(TotalShares::<Test>::get(hotkey).total, shares, "shares of {hotkey}");
		let owner = Owner::<Test>::get(hotkey);
		let nominated: u128 =
			positions.iter().filter(|(c, _)| Some(*c) != owner).map(|(_, p)| p.shares).sum();
		assert_eq!(
			TotalShares::<Test>::get(hotkey).nominated,
			nominated,
			"nominated shares of {hotkey}"
		);
		let worth: Balance =
			positions.iter().map(|(coldkey, _)| Bittensor::position_value(&hotkey, coldkey)).sum();
		assert!(worth <= pool, "positions on {hotkey} worth {worth} > pool {pool}");
		assert!(
			pool - worth <= positions.len() as Balance || positions.is_empty(),
			"pool {pool} of {hotkey} leaves {worth} to its positions"
		);
	}
}

/// Asserts every per-neuron vector of `netuid` is as long as the subnet.
pub fn assert_vectors_sized(netuid: NetUid) {
	let n = SubnetworkN::<Test>::get(netuid) as usize;
	assert_eq!(Rank::<Test>::get(netuid).len(), n);
	assert_eq!(Trust::<Test>::get(netuid).len(), n);
	assert_eq!(Consensus::<Test>::get(netuid).len(), n);
	assert_eq!(Incentive::<Test>::get(netuid).len(), n);
	assert_eq!(ValidatorTrust::<Test>::get(netuid).len(), n);
	assert_eq!(Dividends::<Test>::get(netuid).len(), n);
	assert_eq!(Emission::<Test>::get(netuid).len(), n);
	assert_eq!(LastUpdate::<Test>::get(netuid).len(), n);
	assert_eq!(Active::<Test>::get(netuid).len(), n);
	assert_eq!(BlockAtRegistration::<Test>::get(netuid).len(), n);
	let entries: u32 =
		(0..n as u16).map(|uid| Weights::<Test>::get(netuid, uid).len() as u32).sum();
	assert_eq!(WeightEntries::<Test>::get(netuid), entries);
	for uid in 0..n as u16 {
		assert!(Keys::<Test>::get(netuid, uid).is_some());
	}
}

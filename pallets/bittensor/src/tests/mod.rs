//! Unit tests on the mock runtime, by topic.

mod axon;
mod commit_reveal;
mod epoch;
mod extension;
mod metagraph;
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
	assert_ok!(Bittensor::register(RuntimeOrigin::signed(coldkey), netuid, hotkey));
	Uids::<Test>::get(netuid, hotkey).expect("just registered")
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
	assert_eq!(
		Balances::balance(&Bittensor::vault_account()),
		stakes + EXISTENTIAL_DEPOSIT,
		"vault != stake + ED"
	);
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

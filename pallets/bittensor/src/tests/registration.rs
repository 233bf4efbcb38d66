use super::*;
use crate::{AxonInfo, Event};
use polkadot_sdk::{
	frame_support::{assert_noop, assert_ok, BoundedVec},
	sp_runtime::traits::Zero,
};

#[test]
fn register_burns_assigns_next_uid_and_emits() {
	new_test_ext().execute_with(|| {
		create_test_subnet(NETUID);
		let issuance = Balances::total_issuance();
		assert_ok!(Bittensor::register(RuntimeOrigin::signed(1), NETUID, 101, u64::MAX));
		assert_eq!(Balances::free_balance(1), 1_000_000 - 100);
		assert_eq!(Balances::total_issuance(), issuance - 100);
		assert_eq!(Uids::<Test>::get(NETUID, 101), Some(0));
		assert_eq!(Keys::<Test>::get(NETUID, 0), Some(101));
		assert_eq!(Owner::<Test>::get(101), Some(1));
		System::assert_last_event(
			Event::NeuronRegistered {
				netuid: NETUID,
				uid: 0,
				hotkey: 101,
				coldkey: 1,
				burned: 100,
				replaced: None,
			}
			.into(),
		);
		assert_eq!(register(NETUID, 2, 102), 1);
		assert_eq!(SubnetworkN::<Test>::get(NETUID), 2);
		assert_eq!(BlockAtRegistration::<Test>::get(NETUID).to_vec(), vec![1, 1]);
		assert_vectors_sized(NETUID);
	});
}

#[test]
fn register_errors_change_nothing() {
	new_test_ext().execute_with(|| {
		create_test_subnet(NETUID);
		assert_noop!(
			Bittensor::register(RuntimeOrigin::signed(1), 9, 101, u64::MAX),
			Error::<Test>::SubnetNotFound
		);
		register(NETUID, 1, 101);
		assert_noop!(
			Bittensor::register(RuntimeOrigin::signed(1), NETUID, 101, u64::MAX),
			Error::<Test>::HotKeyAlreadyRegisteredInSubnet
		);
		create_test_subnet(2);
		assert_noop!(
			Bittensor::register(RuntimeOrigin::signed(2), 2, 101, u64::MAX),
			Error::<Test>::NonAssociatedColdKey
		);
		// Account 99 has no funds; 21 cannot keep its existential deposit after the burn.
		assert_noop!(
			Bittensor::register(RuntimeOrigin::signed(99), NETUID, 199, u64::MAX),
			Error::<Test>::NotEnoughBalanceToRegister
		);
		assert_ok!(Balances::force_set_balance(RuntimeOrigin::root(), 21, 105));
		assert_noop!(
			Bittensor::register(RuntimeOrigin::signed(21), NETUID, 121, u64::MAX),
			Error::<Test>::NotEnoughBalanceToRegister
		);
	});
}

fn fill_small_subnet(max_uids: u16, immunity: u32) {
	let mut hp = test_hyperparameters();
	hp.max_uids = max_uids;
	hp.immunity_period = immunity;
	assert_ok!(Bittensor::create_subnet(RuntimeOrigin::root(), NETUID, hp));
	for i in 0..max_uids as u64 {
		register(NETUID, 1 + i, 101 + i);
	}
}

#[test]
fn a_burst_larger_than_the_subnet_inside_one_immunity_period_all_gets_in() {
	new_test_ext().execute_with(|| {
		fill_small_subnet(3, 1_000);
		run_to_block(10);
		// Every neuron is immune: the lowest emission (all 0), then the oldest goes, so each
		// newcomer (one a block) replaces the earliest of the others and nobody is refused.
		for k in 0..8u64 {
			run_to_block(10 + k);
			assert_ok!(Bittensor::register(RuntimeOrigin::signed(9), NETUID, 200 + k, u64::MAX));
			assert!(Uids::<Test>::get(NETUID, 200 + k).is_some());
		}
		assert_eq!(SubnetworkN::<Test>::get(NETUID), 3);
		// The last three newcomers hold the subnet.
		for k in 5..8u64 {
			assert!(Uids::<Test>::get(NETUID, 200 + k).is_some(), "hotkey {}", 200 + k);
		}
		assert_vectors_sized(NETUID);
	});
}

#[test]
fn full_subnet_replaces_lowest_emission_then_oldest_then_lowest_uid() {
	new_test_ext().execute_with(|| {
		fill_small_subnet(3, 5);
		// uid 2 registered later than uids 0 and 1 by replacing nobody: move it forward.
		run_to_block(6);
		Emission::<Test>::insert(NETUID, BoundedVec::truncate_from(vec![5u64, 3, 3]));
		// uids 1 and 2 tie on emission and age: the lower uid, 1, goes.
		assert_ok!(Bittensor::register(RuntimeOrigin::signed(9), NETUID, 109, u64::MAX));
		assert_eq!(Uids::<Test>::get(NETUID, 109), Some(1));
		assert_eq!(Uids::<Test>::get(NETUID, 102), None);
		System::assert_last_event(
			Event::NeuronRegistered {
				netuid: NETUID,
				uid: 1,
				hotkey: 109,
				coldkey: 9,
				burned: 100,
				replaced: Some(102),
			}
			.into(),
		);
		// uid 1 is now young (immune); uid 2 (emission 3) beats uid 0 (emission 5).
		assert_ok!(Bittensor::register(RuntimeOrigin::signed(10), NETUID, 110, u64::MAX));
		assert_eq!(Uids::<Test>::get(NETUID, 110), Some(2));
		// Equal emission, different ages: the oldest goes.
		run_to_block(20);
		Emission::<Test>::insert(NETUID, BoundedVec::truncate_from(vec![0u64, 0, 0]));
		assert_ok!(Bittensor::register(RuntimeOrigin::signed(11), NETUID, 111, u64::MAX));
		assert_eq!(Uids::<Test>::get(NETUID, 111), Some(0));
		assert_eq!(SubnetworkN::<Test>::get(NETUID), 3);
		assert_vectors_sized(NETUID);
	});
}

#[test]
fn replacement_clears_weights_bonds_and_axon() {
	new_test_ext().execute_with(|| {
		fill_small_subnet(2, 1);
		assert_ok!(Bittensor::set_weights(
			RuntimeOrigin::signed(101),
			NETUID,
			vec![0, 1],
			vec![1, 1],
			0
		));
		assert_ok!(Bittensor::serve_axon(
			RuntimeOrigin::signed(101),
			NETUID,
			1,
			0x0808_0808,
			8091,
			4,
			0
		));
		Bonds::<Test>::insert(NETUID, 0, BoundedVec::truncate_from(vec![(1u16, 7u64)]));
		Emission::<Test>::insert(NETUID, BoundedVec::truncate_from(vec![0u64, 9]));
		run_to_block(3);
		assert_ok!(Bittensor::register(RuntimeOrigin::signed(9), NETUID, 109, u64::MAX));
		assert_eq!(Uids::<Test>::get(NETUID, 109), Some(0));
		assert!(Weights::<Test>::get(NETUID, 0).is_empty());
		assert!(Bonds::<Test>::get(NETUID, 0).is_empty());
		assert_eq!(Axons::<Test>::get(NETUID, 0), None::<AxonInfo<u64>>);
		assert!(Emission::<Test>::get(NETUID)[0].is_zero());
		assert_eq!(BlockAtRegistration::<Test>::get(NETUID)[0], 3);
		assert_vectors_sized(NETUID);
		// The displaced hotkey keeps its owner and stake, and can register again.
		assert_eq!(Owner::<Test>::get(101), Some(1));
	});
}

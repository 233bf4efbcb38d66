use super::*;
use crate::{Event, SubnetHyperparameters};
use polkadot_sdk::{
	frame_support::{assert_noop, assert_ok},
	sp_runtime::Perbill,
};

/// Subnet 1 with `hp`, four neurons (hotkeys 101..=104, uids 0..=3), 1,000 staked on each.
fn four_neurons(hp: SubnetHyperparameters<Balance>) {
	assert_ok!(Bittensor::create_subnet(RuntimeOrigin::root(), NETUID, hp));
	for i in 0..4 {
		register(NETUID, 1 + i, 101 + i);
		stake(1 + i, 101 + i, 1_000);
	}
}

fn set(
	hotkey: AccountId,
	uids: Vec<u16>,
	values: Vec<u16>,
	version: u64,
) -> polkadot_sdk::sp_runtime::DispatchResult {
	Bittensor::set_weights(RuntimeOrigin::signed(hotkey), NETUID, uids, values, version)
		.map(|_| ())
		.map_err(|e| e.error)
}

#[test]
fn weights_are_stored_sorted_and_max_upscaled() {
	new_test_ext().execute_with(|| {
		four_neurons(test_hyperparameters());
		run_to_block(3);
		assert_ok!(set(101, vec![3, 1, 2], vec![10, 20, 0], 0));
		// 20 is the largest: it becomes 65535 and 10 becomes 32767; the zero is dropped.
		assert_eq!(Weights::<Test>::get(NETUID, 0).to_vec(), vec![(1, 65535), (3, 32767)]);
		assert_eq!(LastUpdate::<Test>::get(NETUID)[0], 3);
		assert_eq!(WeightEntries::<Test>::get(NETUID), 2);
		System::assert_last_event(Event::WeightsSet { netuid: NETUID, uid: 0, count: 2 }.into());
		// A later row replaces the earlier one.
		assert_ok!(set(101, vec![0], vec![5], 0));
		assert_eq!(Weights::<Test>::get(NETUID, 0).to_vec(), vec![(0, 65535)]);
		assert_eq!(WeightEntries::<Test>::get(NETUID), 1);
		assert_vectors_sized(NETUID);
	});
}

#[test]
fn malformed_rows_are_rejected() {
	new_test_ext().execute_with(|| {
		four_neurons(test_hyperparameters());
		assert_noop!(set(101, vec![0, 1], vec![1], 0), Error::<Test>::WeightVecLengthMismatch);
		assert_noop!(set(101, vec![1, 1], vec![1, 2], 0), Error::<Test>::DuplicateUids);
		assert_noop!(set(101, vec![1, 4], vec![1, 2], 0), Error::<Test>::UidNotRegistered);
		assert_noop!(set(101, vec![0, 1, 2, 3, 0], vec![1; 5], 0), Error::<Test>::TooManyWeights);
		assert_noop!(set(101, vec![1, 2], vec![0, 0], 0), Error::<Test>::AllWeightsZero);
		assert_noop!(set(101, vec![], vec![], 0), Error::<Test>::TooFewWeights);
		assert_noop!(
			Bittensor::set_weights(RuntimeOrigin::signed(101), 9, vec![0], vec![1], 0),
			Error::<Test>::SubnetNotFound
		);
		assert_noop!(set(999, vec![0], vec![1], 0), Error::<Test>::NotRegistered);
	});
}

#[test]
fn rows_are_capped_by_max_weights_per_neuron() {
	new_test_ext().execute_with(|| {
		create_test_subnet(NETUID);
		for i in 0..10 {
			register(NETUID, 1 + i, 101 + i);
		}
		// The mock allows 8 weights per neuron; the subnet has 10.
		assert_noop!(set(101, (0..9).collect(), vec![1; 9], 0), Error::<Test>::TooManyWeights);
		assert_ok!(set(101, (0..8).collect(), vec![1; 8], 0));
	});
}

#[test]
fn min_allowed_weights_allows_a_lone_self_weight() {
	new_test_ext().execute_with(|| {
		let mut hp = test_hyperparameters();
		hp.min_allowed_weights = 3;
		four_neurons(hp);
		assert_noop!(set(101, vec![1, 2], vec![1, 1], 0), Error::<Test>::TooFewWeights);
		assert_noop!(set(101, vec![1], vec![1], 0), Error::<Test>::TooFewWeights);
		assert_ok!(set(101, vec![0], vec![1], 0));
		assert_ok!(set(102, vec![0, 2, 3], vec![1, 1, 1], 0));
	});
}

#[test]
fn max_weight_limit_caps_any_one_share() {
	new_test_ext().execute_with(|| {
		let mut hp = test_hyperparameters();
		hp.max_weight_limit = Perbill::from_percent(50);
		four_neurons(hp);
		// 3 / 5 = 60% > 50%.
		assert_noop!(set(101, vec![1, 2], vec![3, 2], 0), Error::<Test>::MaxWeightExceeded);
		// Exactly 50% is allowed, and so is a lone self-weight.
		assert_ok!(set(101, vec![1, 2], vec![2, 2], 0));
		assert_ok!(set(102, vec![1], vec![9], 0));
	});
}

#[test]
fn stake_version_and_rate_limit_are_enforced() {
	new_test_ext().execute_with(|| {
		let mut hp = test_hyperparameters();
		hp.min_stake_to_set_weights = 1_001;
		hp.weights_version_key = 7;
		hp.weights_rate_limit = 5;
		four_neurons(hp);
		// 101 holds 1,000, one short; 102 tops up to 1,001.
		stake(2, 102, 1);
		assert_noop!(set(101, vec![1], vec![1], 7), Error::<Test>::NotEnoughStakeToSetWeights);
		assert_noop!(set(102, vec![1], vec![1], 6), Error::<Test>::IncorrectWeightVersionKey);
		// A neuron that never set weights may set them at once, then waits 5 blocks.
		assert_ok!(set(102, vec![1], vec![1], 7));
		run_to_block(5);
		assert_noop!(set(102, vec![1], vec![1], 8), Error::<Test>::SettingWeightsTooFast);
		run_to_block(6);
		assert_ok!(set(102, vec![1], vec![1], 8));
	});
}

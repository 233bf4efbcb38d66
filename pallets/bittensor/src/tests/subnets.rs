use super::*;
use crate::Event;
use polkadot_sdk::{
	frame_support::{assert_noop, assert_ok},
	sp_runtime::{DispatchError, Perbill},
};

#[test]
fn root_creates_a_subnet_and_emits() {
	new_test_ext().execute_with(|| {
		let hp = test_hyperparameters();
		assert_ok!(Bittensor::create_subnet(RuntimeOrigin::root(), 3, hp.clone()));
		assert_eq!(Subnets::<Test>::get(3), Some(hp.clone()));
		assert_eq!(SubnetCount::<Test>::get(), 1);
		System::assert_last_event(Event::SubnetCreated { netuid: 3, hyperparameters: hp }.into());
	});
}

#[test]
fn only_root_manages_subnets() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Bittensor::create_subnet(RuntimeOrigin::signed(1), 1, test_hyperparameters()),
			DispatchError::BadOrigin
		);
		create_test_subnet(1);
		// A subnet root created has no owner: no signed account may change it.
		assert_noop!(
			Bittensor::set_hyperparameters(RuntimeOrigin::signed(1), 1, test_hyperparameters()),
			Error::<Test>::NotSubnetOwner
		);
		assert_noop!(
			Bittensor::dissolve_network(RuntimeOrigin::signed(1), 1),
			Error::<Test>::NotSubnetOwner
		);
	});
}

#[test]
fn duplicate_and_too_many_subnets_are_rejected() {
	new_test_ext().execute_with(|| {
		create_test_subnet(1);
		assert_noop!(
			Bittensor::create_subnet(RuntimeOrigin::root(), 1, test_hyperparameters()),
			Error::<Test>::SubnetAlreadyExists
		);
		for netuid in 2..=8 {
			create_test_subnet(netuid);
		}
		assert_noop!(
			Bittensor::create_subnet(RuntimeOrigin::root(), 9, test_hyperparameters()),
			Error::<Test>::TooManySubnets
		);
	});
}

#[test]
fn invalid_hyperparameters_are_named() {
	new_test_ext().execute_with(|| {
		let cases = [
			(
				{
					let mut h = test_hyperparameters();
					h.tempo = 0;
					h
				},
				Error::<Test>::InvalidTempo,
			),
			(
				{
					let mut h = test_hyperparameters();
					h.max_uids = 0;
					h
				},
				Error::<Test>::InvalidMaxUids,
			),
			(
				{
					let mut h = test_hyperparameters();
					h.max_uids = 5000;
					h
				},
				Error::<Test>::InvalidMaxUids,
			),
			(
				{
					let mut h = test_hyperparameters();
					h.min_allowed_weights = 17;
					h
				},
				Error::<Test>::InvalidMinAllowedWeights,
			),
			(
				{
					let mut h = test_hyperparameters();
					h.max_weight_limit = Perbill::zero();
					h
				},
				Error::<Test>::InvalidMaxWeightLimit,
			),
			(
				{
					let mut h = test_hyperparameters();
					h.bonds_moving_average = Perbill::one();
					h
				},
				Error::<Test>::InvalidBondsMovingAverage,
			),
		];
		create_test_subnet(1);
		for (hp, error) in cases {
			let error: DispatchError = error.into();
			assert_noop!(Bittensor::create_subnet(RuntimeOrigin::root(), 2, hp.clone()), error);
			assert_noop!(Bittensor::set_hyperparameters(RuntimeOrigin::root(), 1, hp), error);
		}
	});
}

#[test]
fn set_hyperparameters_replaces_and_emits() {
	new_test_ext().execute_with(|| {
		create_test_subnet(1);
		let mut hp = test_hyperparameters();
		hp.tempo = 99;
		hp.kappa = Perbill::from_percent(60);
		assert_ok!(Bittensor::set_hyperparameters(RuntimeOrigin::root(), 1, hp.clone()));
		assert_eq!(Subnets::<Test>::get(1), Some(hp.clone()));
		System::assert_last_event(
			Event::HyperparametersSet { netuid: 1, hyperparameters: hp }.into(),
		);
		assert_noop!(
			Bittensor::set_hyperparameters(RuntimeOrigin::root(), 7, test_hyperparameters()),
			Error::<Test>::SubnetNotFound
		);
	});
}

#[test]
fn max_uids_cannot_shrink_below_the_subnet() {
	new_test_ext().execute_with(|| {
		create_test_subnet(1);
		register(1, 1, 101);
		register(1, 2, 102);
		let mut hp = test_hyperparameters();
		hp.max_uids = 1;
		hp.min_allowed_weights = 1;
		assert_noop!(
			Bittensor::set_hyperparameters(RuntimeOrigin::root(), 1, hp.clone()),
			Error::<Test>::MaxUidsBelowSubnetSize
		);
		hp.max_uids = 2;
		assert_ok!(Bittensor::set_hyperparameters(RuntimeOrigin::root(), 1, hp));
	});
}

#[test]
fn subnets_are_independent_markets() {
	new_test_ext().execute_with(|| {
		create_test_subnet(1);
		create_test_subnet(2);
		register(1, 1, 101);
		register(2, 1, 101);
		register(2, 2, 102);
		assert_eq!(SubnetworkN::<Test>::get(1), 1);
		assert_eq!(SubnetworkN::<Test>::get(2), 2);
		assert_eq!(Uids::<Test>::get(2, 102), Some(1));
		assert_eq!(Uids::<Test>::get(1, 102), None);
	});
}

/// A chain upgraded from before `mechanism` keeps its subnets on the mechanism they ran.
#[test]
fn the_v1_migration_keeps_old_subnets_on_the_paper_mechanism() {
	use crate::migrations::{
		v1::MigrateV0ToV1,
		v2::{layout, MigrateV1ToV2},
		v3::MigrateV2ToV3,
	};
	use codec::Encode;
	use polkadot_sdk::frame_support::traits::{
		GetStorageVersion, OnRuntimeUpgrade, StorageVersion,
	};
	new_test_ext().execute_with(|| {
		let hp = test_hyperparameters();
		// The v0 encoding: every field but the mechanism, in order.
		let mut old = Vec::new();
		(hp.tempo, hp.rho, hp.kappa, hp.emission_per_block, hp.max_uids, hp.min_allowed_weights)
			.encode_to(&mut old);
		(hp.max_weight_limit, hp.weights_rate_limit, hp.activity_cutoff, hp.immunity_period)
			.encode_to(&mut old);
		(hp.registration_burn, hp.bonds_moving_average, hp.min_stake_to_set_weights)
			.encode_to(&mut old);
		hp.weights_version_key.encode_to(&mut old);
		polkadot_sdk::frame_support::storage::unhashed::put_raw(
			&Subnets::<Test>::hashed_key_for(7),
			&old,
		);
		StorageVersion::new(0).put::<Bittensor>();

		// A hotkey staked the old way: all of its stake its owner's, no positions.
		Owner::<Test>::insert(500, 5);
		Stake::<Test>::insert(500, 4_321);

		MigrateV0ToV1::<Test>::on_runtime_upgrade();
		assert_eq!(Bittensor::on_chain_storage_version(), 1);
		MigrateV1ToV2::<Test>::on_runtime_upgrade();

		let upgraded = Subnets::<Test>::get(7).expect("decodes as the new layout");
		assert_eq!(upgraded.mechanism, crate::Mechanism::Paper);
		assert_eq!(upgraded.tempo, hp.tempo);
		assert_eq!(upgraded.weights_version_key, hp.weights_version_key);
		// The price stays what it was: fixed at the old burn.
		assert_eq!(upgraded.max_burn, hp.registration_burn);
		assert!(upgraded.burn_increase.is_zero());
		assert_eq!(Bittensor::on_chain_storage_version(), 2);
		assert_eq!(StakePositions::<Test>::get(500, 5).map(|p| p.shares), Some(4_321));
		assert_eq!(Bittensor::position_value(&500, &5), 4_321);
		assert_eq!(StakePositionCount::<Test>::get(500), 1);
		assert_eq!(layout::TotalShares::<Test>::get(500), 4_321);

		// At v2 a nominator joins (v2's layout: one number of issued shares).
		StakePositions::<Test>::insert(
			500,
			6,
			crate::StakePosition { shares: 1_000, principal: 1_000, ..Default::default() },
		);
		StakePositionCount::<Test>::insert(500, 2);
		layout::TotalShares::<Test>::insert(500, 5_321);
		Stake::<Test>::insert(500, 5_321);
		MigrateV2ToV3::<Test>::on_runtime_upgrade();
		assert_eq!(Bittensor::on_chain_storage_version(), 3);
		assert_eq!(
			TotalShares::<Test>::get(500),
			crate::PoolShares { total: 5_321, nominated: 1_000 }
		);
		assert_eq!(Bittensor::position_value(&500, &6), 1_000);

		// A second run finds version 3 and leaves the subnet alone.
		Subnets::<Test>::mutate(7, |h| h.as_mut().unwrap().mechanism = crate::Mechanism::Clipped);
		MigrateV0ToV1::<Test>::on_runtime_upgrade();
		MigrateV1ToV2::<Test>::on_runtime_upgrade();
		MigrateV2ToV3::<Test>::on_runtime_upgrade();
		assert_eq!(Subnets::<Test>::get(7).unwrap().mechanism, crate::Mechanism::Clipped);
		assert_eq!(TotalShares::<Test>::get(500).nominated, 1_000);
	});
}

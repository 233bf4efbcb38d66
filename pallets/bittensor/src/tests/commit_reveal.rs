//! Commit-reveal: every rule and error of `commit_weights` and `reveal_weights`, and the pool's
//! guard over both.

use super::*;
use crate::{commit_reveal::commit_hash, Event, WeightCommit};
use codec::Encode;
use polkadot_sdk::{
	frame_support::{assert_noop, pallet_prelude::InvalidTransaction, BoundedVec},
	sp_core::H256,
	sp_runtime::DispatchResult,
};

const SALT: [u8; 32] = [42; 32];

/// Subnet 1, tempo 10 (epoch e is blocks 10e − 1 ..= 10e + 8), commit-reveal period `period`,
/// and hotkeys 101..=103 (uids 0..=2) staked. Starts at block 10, in epoch 1.
fn subnet(period: u16) {
	let mut hp = test_hyperparameters();
	hp.commit_reveal_period = period;
	hp.max_uids = 3;
	hp.immunity_period = 1;
	assert_ok!(Bittensor::create_subnet(RuntimeOrigin::root(), NETUID, hp));
	for i in 0..3 {
		register(NETUID, 1 + i, 101 + i);
		stake(1 + i, 101 + i, 100);
	}
	run_to_block(10);
}

fn hash_of(hotkey: AccountId, uids: &[Uid], values: &[u16]) -> H256 {
	commit_hash(&hotkey, NETUID, uids, values, &SALT, 0)
}

fn commit(hotkey: AccountId, uids: &[Uid], values: &[u16]) -> DispatchResult {
	Bittensor::commit_weights(RuntimeOrigin::signed(hotkey), NETUID, hash_of(hotkey, uids, values))
}

fn reveal(hotkey: AccountId, uids: &[Uid], values: &[u16]) -> DispatchResult {
	Bittensor::reveal_weights(
		RuntimeOrigin::signed(hotkey),
		NETUID,
		uids.to_vec(),
		values.to_vec(),
		SALT,
		0,
	)
	.map(|_| ())
	.map_err(|e| e.error)
}

#[test]
fn a_commit_is_revealed_in_the_epoch_period_epochs_later_and_becomes_the_row() {
	new_test_ext().execute_with(|| {
		subnet(1);
		assert_ok!(commit(101, &[1, 2], &[3, 1]));
		System::assert_last_event(
			Event::WeightsCommitted {
				netuid: NETUID,
				uid: 0,
				commit_hash: hash_of(101, &[1, 2], &[3, 1]),
				reveal_from: 19,
				reveal_until: 28,
			}
			.into(),
		);
		// Nothing is set yet: the row stays hidden until the reveal.
		assert!(Weights::<Test>::get(NETUID, 0).is_empty());
		run_to_block(18);
		assert_noop!(reveal(101, &[1, 2], &[3, 1]), Error::<Test>::RevealTooEarly);
		run_to_block(19);
		assert_ok!(reveal(101, &[1, 2], &[3, 1]));
		System::assert_last_event(
			Event::WeightsRevealed { netuid: NETUID, uid: 0, count: 2, dropped: 0 }.into(),
		);
		assert_eq!(Weights::<Test>::get(NETUID, 0).to_vec(), vec![(1, 65535), (2, 21845)]);
		// The last update is the reveal's block, not the commit's.
		assert_eq!(LastUpdate::<Test>::get(NETUID)[0], 19);
		assert!(WeightCommits::<Test>::get(NETUID, 101).is_empty());
		// A reveal is used once.
		assert_noop!(reveal(101, &[1, 2], &[3, 1]), Error::<Test>::NoMatchingCommit);
	});
}

#[test]
fn the_window_closes_with_its_epoch_and_the_epoch_drops_expired_commits() {
	new_test_ext().execute_with(|| {
		subnet(1);
		assert_ok!(commit(101, &[1], &[1]));
		assert_ok!(commit(102, &[0], &[1]));
		run_to_block(28);
		// The last block of the window still takes it.
		assert_ok!(reveal(102, &[0], &[1]));
		run_to_block(29);
		// Block 29 ran the epoch, which dropped the expired commit on its own.
		assert!(!WeightCommits::<Test>::contains_key(NETUID, 101));
		assert_noop!(reveal(101, &[1], &[1]), Error::<Test>::NoMatchingCommit);
	});
}

#[test]
fn a_window_keeps_its_blocks_when_the_tempo_changes() {
	new_test_ext().execute_with(|| {
		subnet(1);
		assert_ok!(commit(101, &[1], &[1]));
		// A longer tempo: no epoch runs at block 29 to drop the commit, and the window stays
		// the blocks it was given (19 to 28).
		let mut hp = Subnets::<Test>::get(NETUID).unwrap();
		hp.tempo = 100;
		assert_ok!(Bittensor::set_hyperparameters(RuntimeOrigin::root(), NETUID, hp));
		run_to_block(18);
		assert_noop!(reveal(101, &[1], &[1]), Error::<Test>::RevealTooEarly);
		run_to_block(29);
		assert_noop!(reveal(101, &[1], &[1]), Error::<Test>::RevealTooLate);
		assert_eq!(WeightCommits::<Test>::get(NETUID, 101).len(), 1);
		// The next epoch of the subnet (block 99) drops it.
		run_to_block(99);
		assert!(!WeightCommits::<Test>::contains_key(NETUID, 101));
	});
}

#[test]
fn only_the_committed_row_salt_and_version_reveal() {
	new_test_ext().execute_with(|| {
		subnet(1);
		assert_ok!(commit(101, &[1, 2], &[3, 1]));
		run_to_block(19);
		assert_noop!(reveal(101, &[1, 2], &[3, 2]), Error::<Test>::NoMatchingCommit);
		assert_noop!(reveal(101, &[2, 1], &[3, 1]), Error::<Test>::NoMatchingCommit);
		let wrong_salt = Bittensor::reveal_weights(
			RuntimeOrigin::signed(101),
			NETUID,
			vec![1, 2],
			vec![3, 1],
			[0; 32],
			0,
		);
		assert_noop!(wrong_salt, Error::<Test>::NoMatchingCommit);
		// Another hotkey cannot reveal it.
		assert_noop!(reveal(102, &[1, 2], &[3, 1]), Error::<Test>::NoMatchingCommit);
	});
}

#[test]
fn one_commit_per_epoch_and_a_bounded_number_pending() {
	new_test_ext().execute_with(|| {
		subnet(3);
		assert_ok!(commit(101, &[1], &[1]));
		assert_noop!(commit(101, &[2], &[1]), Error::<Test>::AlreadyCommittedThisEpoch);
		// One per epoch for three more epochs: four pending, the most that wait.
		for block in [19, 29, 39] {
			run_to_block(block);
			assert_ok!(commit(101, &[1], &[block as u16]));
		}
		assert_eq!(WeightCommits::<Test>::get(NETUID, 101).len(), 4);
		// The bound holds even where epochs cannot reach it (commits written straight in).
		let full: Vec<WeightCommit<u64>> = (0..4)
			.map(|k| WeightCommit {
				hash: H256::repeat_byte(k),
				epoch: 100 + u64::from(k),
				committed_at: 39,
				reveal_from: 40,
				reveal_until: 1_000,
			})
			.collect();
		WeightCommits::<Test>::insert(NETUID, 102, BoundedVec::truncate_from(full));
		assert_noop!(commit(102, &[0], &[1]), Error::<Test>::TooManyPendingCommits);
		// An expired commit no longer counts towards the bound.
		run_to_block(49);
		assert_eq!(WeightCommits::<Test>::get(NETUID, 101).len(), 3);
		assert_ok!(commit(101, &[1], &[2]));
	});
}

#[test]
fn entries_on_uids_registered_after_the_commit_are_dropped() {
	new_test_ext().execute_with(|| {
		subnet(1);
		assert_ok!(commit(101, &[1, 2], &[1, 1]));
		// A newcomer takes uid 2 (the subnet is full; uid 2's holder has the lowest emission
		// and oldest registration among the non-immune).
		Emission::<Test>::insert(NETUID, BoundedVec::truncate_from(vec![5u64, 5, 0]));
		run_to_block(11);
		register(NETUID, 9, 109);
		assert_eq!(Keys::<Test>::get(NETUID, 2), Some(109));
		run_to_block(19);
		assert_ok!(reveal(101, &[1, 2], &[1, 1]));
		System::assert_last_event(
			Event::WeightsRevealed { netuid: NETUID, uid: 0, count: 1, dropped: 1 }.into(),
		);
		assert_eq!(Weights::<Test>::get(NETUID, 0).to_vec(), vec![(1, 65535)]);
		assert_vectors_sized(NETUID);
	});
}

#[test]
fn set_weights_is_refused_while_commit_reveal_is_on_and_commits_while_off() {
	new_test_ext().execute_with(|| {
		subnet(2);
		assert_noop!(
			Bittensor::set_weights(RuntimeOrigin::signed(101), NETUID, vec![1], vec![1], 0),
			Error::<Test>::CommitRevealEnabled
		);
		let mut hp = Subnets::<Test>::get(NETUID).unwrap();
		hp.commit_reveal_period = 0;
		assert_ok!(Bittensor::set_hyperparameters(RuntimeOrigin::root(), NETUID, hp.clone()));
		assert_noop!(commit(101, &[1], &[1]), Error::<Test>::CommitRevealDisabled);
		assert_noop!(reveal(101, &[1], &[1]), Error::<Test>::CommitRevealDisabled);
		assert_ok!(Bittensor::set_weights(RuntimeOrigin::signed(101), NETUID, vec![1], vec![1], 0));
		// Periods beyond the longest are refused.
		hp.commit_reveal_period = crate::MAX_COMMIT_REVEAL_PERIOD + 1;
		assert_noop!(
			Bittensor::set_hyperparameters(RuntimeOrigin::root(), NETUID, hp),
			Error::<Test>::InvalidCommitRevealPeriod
		);
	});
}

#[test]
fn commits_need_a_registered_staked_hotkey_and_reveals_every_row_rule() {
	new_test_ext().execute_with(|| {
		subnet(1);
		assert_noop!(commit(107, &[1], &[1]), Error::<Test>::NotRegistered);
		let mut hp = Subnets::<Test>::get(NETUID).unwrap();
		hp.min_stake_to_set_weights = Stake::<Test>::get(101) + 1;
		assert_ok!(Bittensor::set_hyperparameters(RuntimeOrigin::root(), NETUID, hp.clone()));
		assert_noop!(commit(101, &[1], &[1]), Error::<Test>::NotEnoughStakeToSetWeights);
		hp.min_stake_to_set_weights = 0;
		assert_ok!(Bittensor::set_hyperparameters(RuntimeOrigin::root(), NETUID, hp));
		// A committed row that breaks a rule is refused at its reveal, as set_weights would.
		assert_ok!(commit(101, &[1, 1], &[1, 1]));
		run_to_block(19);
		assert_noop!(reveal(101, &[1, 1], &[1, 1]), Error::<Test>::DuplicateUids);
	});
}

#[test]
fn the_pool_refuses_commits_and_reveals_that_would_fail() {
	use crate::CheckNeuronCalls;
	use polkadot_sdk::{
		frame_support::{dispatch::GetDispatchInfo, pallet_prelude::TransactionSource},
		sp_runtime::{traits::DispatchTransaction, transaction_validity::TransactionValidityError},
	};
	new_test_ext().execute_with(|| {
		subnet(1);
		let validate = |who: AccountId, call: RuntimeCall| {
			let info = call.get_dispatch_info();
			CheckNeuronCalls::<Test>::new()
				.validate_only(
					RuntimeOrigin::signed(who),
					&call,
					&info,
					call.encoded_size(),
					TransactionSource::External,
					0,
				)
				.map(|(validity, _, _)| validity)
		};
		let code = |error: Error<Test>| {
			TransactionValidityError::Invalid(InvalidTransaction::Custom(error.encode()[0]))
		};
		let commit_call = |hash| {
			RuntimeCall::Bittensor(crate::Call::commit_weights {
				netuid: NETUID,
				commit_hash: hash,
			})
		};
		let reveal_call = RuntimeCall::Bittensor(crate::Call::reveal_weights {
			netuid: NETUID,
			uids: vec![1],
			values: vec![1],
			salt: SALT,
			version_key: 0,
		});
		assert_eq!(
			validate(107, commit_call(hash_of(107, &[1], &[1]))).unwrap_err(),
			code(Error::NotRegistered)
		);
		let valid = validate(101, commit_call(hash_of(101, &[1], &[1]))).unwrap();
		assert_eq!(valid.priority, Stake::<Test>::get(101));
		assert_ok!(commit(101, &[1], &[1]));
		assert_eq!(
			validate(101, commit_call(hash_of(101, &[2], &[1]))).unwrap_err(),
			code(Error::AlreadyCommittedThisEpoch)
		);
		assert_eq!(validate(101, reveal_call.clone()).unwrap_err(), code(Error::RevealTooEarly));
		run_to_block(19);
		assert!(validate(101, reveal_call.clone()).is_ok());
		assert_eq!(validate(102, reveal_call).unwrap_err(), code(Error::NoMatchingCommit));
	});
}

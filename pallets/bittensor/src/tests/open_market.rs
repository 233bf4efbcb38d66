//! The open market: a registration price that follows demand, nominators and takes, subnets
//! opened without root, stake that counts only once held, and hotkey swaps.

use super::*;
use crate::{Event, SubnetHyperparameters};
use polkadot_sdk::{
	frame_support::{assert_noop, assert_ok},
	sp_runtime::{DispatchError, Perbill},
};

fn priced_subnet(netuid: NetUid) -> SubnetHyperparameters<Balance> {
	let mut hp = test_hyperparameters();
	hp.registration_burn = 1_000;
	hp.max_burn = 3_000;
	hp.burn_increase = Perbill::from_percent(26);
	hp.burn_half_life = 20;
	hp.emission_per_block = 0;
	assert_ok!(Bittensor::create_subnet(RuntimeOrigin::root(), netuid, hp.clone()));
	hp
}

fn price() -> Balance {
	Bittensor::registration_price(NETUID).expect("subnet exists")
}

#[test]
fn each_registration_raises_the_price_which_halves_back_toward_the_floor() {
	new_test_ext().execute_with(|| {
		priced_subnet(NETUID);
		assert_eq!(price(), 1_000);
		register(NETUID, 1, 101);
		assert_eq!(price(), 1_260);
		register(NETUID, 2, 102);
		assert_eq!(price(), 1_587); // 1,260 × 1.26, rounded down
		let paid = Balances::free_balance(3);
		register(NETUID, 3, 103);
		assert_eq!(paid - Balances::free_balance(3), 1_587, "the third paid the raised price");
		assert_eq!(price(), 1_999);
		// The excess over the floor (999) halves every 20 blocks, linearly in between.
		run_to_block(11);
		assert_eq!(price(), 1_000 + 999 - 250);
		run_to_block(21);
		assert_eq!(price(), 1_000 + 499);
		run_to_block(41);
		assert_eq!(price(), 1_000 + 249);
		run_to_block(1_000);
		assert_eq!(price(), 1_000);
	});
}

#[test]
fn the_price_never_passes_max_burn_and_a_caller_never_pays_above_its_limit() {
	new_test_ext().execute_with(|| {
		priced_subnet(NETUID);
		for k in 0..8 {
			register(NETUID, 1 + k, 101 + k);
		}
		assert_eq!(price(), 3_000);
		let before = Balances::free_balance(12);
		assert_noop!(
			Bittensor::register(RuntimeOrigin::signed(12), NETUID, 112, 2_999),
			Error::<Test>::RegistrationPriceAboveLimit
		);
		assert_eq!(Balances::free_balance(12), before);
		assert_ok!(Bittensor::register(RuntimeOrigin::signed(12), NETUID, 112, 3_000));
		assert_eq!(before - Balances::free_balance(12), 3_000);
		// A burn range upside down is refused.
		let mut hp = test_hyperparameters();
		hp.max_burn = hp.registration_burn - 1;
		assert_noop!(
			Bittensor::set_hyperparameters(RuntimeOrigin::root(), NETUID, hp),
			Error::<Test>::InvalidBurnRange
		);
	});
}

#[test]
fn the_subnet_owners_neurons_are_kept_while_others_can_go() {
	new_test_ext().execute_with(|| {
		let mut hp = test_hyperparameters();
		hp.max_uids = 2;
		hp.immunity_period = 0;
		hp.emission_per_block = 0;
		assert_ok!(Bittensor::register_network(RuntimeOrigin::signed(7), hp, u64::MAX));
		let netuid = 1;
		assert_eq!(SubnetOwner::<Test>::get(netuid), Some(7));
		// The owner's neuron (uid 0) and another (uid 1), both with no emission and the owner's
		// the oldest: the other goes.
		register(netuid, 7, 107);
		run_to_block(2);
		register(netuid, 2, 102);
		run_to_block(3);
		register(netuid, 3, 103);
		assert_eq!(Uids::<Test>::get(netuid, 107), Some(0));
		assert_eq!(Uids::<Test>::get(netuid, 103), Some(1));
		assert_eq!(Uids::<Test>::get(netuid, 102), None);
	});
}

#[test]
fn a_registration_passes_over_at_most_eight_of_the_owners_neurons() {
	new_test_ext().execute_with(|| {
		let mut hp = test_hyperparameters();
		hp.max_uids = 12;
		hp.immunity_period = 0;
		hp.emission_per_block = 0;
		assert_ok!(Bittensor::register_network(RuntimeOrigin::signed(7), hp, u64::MAX));
		let netuid = 1;
		// The owner's ten neurons (uids 0–9) are older than the two others (10, 11), so they
		// rank first for replacement; looking at all of them would cost reads per uid.
		for hotkey in 700..710 {
			register(netuid, 7, hotkey);
		}
		run_to_block(2);
		register(netuid, 2, 102);
		register(netuid, 3, 103);
		run_to_block(3);
		register(netuid, 4, 104);
		// Eight of the owner's were passed over; the ninth (uid 8) competed and went.
		assert_eq!(crate::registration::OWNER_NEURONS_PASSED, 8, "the test's numbers assume eight");
		assert_eq!(Uids::<Test>::get(netuid, 104), Some(8));
		assert_eq!(Uids::<Test>::get(netuid, 708), None);
		assert_eq!(Uids::<Test>::get(netuid, 102), Some(10));
	});
}

/// A subnet of two neurons whose validator (hotkey 101, coldkey 1) weights the server (102):
/// every epoch pays both.
fn paying_subnet() {
	let mut hp = test_hyperparameters();
	hp.tempo = 10;
	assert_ok!(Bittensor::create_subnet(RuntimeOrigin::root(), NETUID, hp));
	register(NETUID, 1, 101);
	register(NETUID, 2, 102);
	stake(1, 101, 10_000);
	stake(2, 102, 10_000);
	assert_ok!(Bittensor::set_weights(RuntimeOrigin::signed(101), NETUID, vec![1], vec![1], 0));
}

#[test]
fn a_nominator_earns_its_share_less_the_owners_take_and_the_pay_adds_up() {
	new_test_ext().execute_with(|| {
		paying_subnet();
		// Coldkey 9 backs hotkey 101 with as much as its owner holds.
		stake(9, 101, 10_000);
		assert_eq!(Bittensor::position_value(&101, &9), 10_000);
		run_to_block(9); // the first epoch: everything counts
		let paid = Emission::<Test>::get(NETUID)[0];
		assert!(paid > 0);
		let owner = Bittensor::position_value(&101, &1) - 10_000;
		let nominator = Bittensor::position_value(&101, &9) - 10_000;
		// Half the pay is the nominator's stake's; the owner keeps 18% of that half.
		let take = Perbill::from_percent(18).mul_floor(paid / 2);
		assert!(nominator.abs_diff(paid / 2 - take) <= 1, "nominator {nominator}, pay {paid}");
		assert!(owner.abs_diff(paid / 2 + take) <= 1, "owner {owner}, pay {paid}");
		assert!(paid - (owner + nominator) <= 2, "{paid} paid, {} credited", owner + nominator);
		assert_ledger_consistent();

		// Take 0: the nominator's next pay is exactly its share.
		assert_ok!(Bittensor::set_take(RuntimeOrigin::signed(1), 101, Perbill::zero()));
		let (before_owner, before_nominator) =
			(Bittensor::position_value(&101, &1), Bittensor::position_value(&101, &9));
		run_to_block(19);
		let paid = Emission::<Test>::get(NETUID)[0];
		let owner = Bittensor::position_value(&101, &1) - before_owner;
		let nominator = Bittensor::position_value(&101, &9) - before_nominator;
		let expected =
			paid as u128 * before_nominator as u128 / (before_owner + before_nominator) as u128;
		assert!((nominator as u128).abs_diff(expected) <= 1);
		assert!(paid - (owner + nominator) <= 2);

		// The nominator takes everything out (past its hold), and gets what it was worth.
		let worth = Bittensor::position_value(&101, &9);
		let free = Balances::free_balance(9);
		assert_ok!(Bittensor::remove_stake(RuntimeOrigin::signed(9), 101, worth));
		assert_eq!(Balances::free_balance(9), free + worth);
		assert_eq!(StakePositions::<Test>::get(101, 9), None);
		assert_ledger_consistent();
	});
}

#[test]
fn takes_are_bounded_and_raises_rate_limited() {
	new_test_ext().execute_with(|| {
		paying_subnet();
		assert_eq!(Bittensor::take_of(&101), Perbill::from_percent(18));
		assert_noop!(
			Bittensor::set_take(RuntimeOrigin::signed(2), 101, Perbill::from_percent(10)),
			Error::<Test>::NonAssociatedColdKey
		);
		assert_noop!(
			Bittensor::set_take(RuntimeOrigin::signed(1), 101, Perbill::from_percent(51)),
			Error::<Test>::TakeAboveMax
		);
		assert_ok!(Bittensor::set_take(RuntimeOrigin::signed(1), 101, Perbill::from_percent(30)));
		System::assert_last_event(
			Event::TakeSet { hotkey: 101, take: Perbill::from_percent(30) }.into(),
		);
		// Lowering is always allowed; raising again waits 10 blocks.
		assert_ok!(Bittensor::set_take(RuntimeOrigin::signed(1), 101, Perbill::from_percent(5)));
		assert_noop!(
			Bittensor::set_take(RuntimeOrigin::signed(1), 101, Perbill::from_percent(6)),
			Error::<Test>::TakeRaisedTooFast
		);
		run_to_block(11);
		assert_ok!(Bittensor::set_take(RuntimeOrigin::signed(1), 101, Perbill::from_percent(6)));
	});
}

#[test]
fn hit_and_run_stake_moves_no_consensus_earns_nothing_and_cannot_run() {
	// The same market twice; in the second, coldkey 2 piles stake on its server the block
	// before the second epoch.
	let run = |hit: bool| {
		new_test_ext().execute_with(|| {
			paying_subnet();
			register(NETUID, 3, 103);
			stake(3, 103, 10_000);
			assert_ok!(Bittensor::set_weights(
				RuntimeOrigin::signed(103),
				NETUID,
				vec![1, 2],
				vec![1, 1],
				0
			));
			run_to_block(9);
			if hit {
				run_to_block(18);
				stake(2, 102, 500_000);
			}
			run_to_block(19);
			let emission = Emission::<Test>::get(NETUID);
			let incentive = Incentive::<Test>::get(NETUID);
			if hit {
				// And it cannot leave the block after.
				assert_noop!(
					Bittensor::remove_stake(RuntimeOrigin::signed(2), 102, 500_000),
					Error::<Test>::StakeStillLocked
				);
			}
			(emission, incentive)
		})
	};
	assert_eq!(run(true), run(false));
}

#[test]
fn anyone_opens_a_subnet_for_a_lock_that_doubles_and_decays_and_comes_back() {
	new_test_ext().execute_with(|| {
		let hp = test_hyperparameters();
		let mut owned = hp.clone();
		owned.emission_per_block = 0;
		assert_eq!(Bittensor::network_lock_cost(), 1_000);
		// Root decides what a subnet mints.
		assert_noop!(
			Bittensor::register_network(RuntimeOrigin::signed(3), hp.clone(), u64::MAX),
			Error::<Test>::EmissionNotSettableByOwner
		);
		let mut fast = owned.clone();
		fast.tempo = 1;
		assert_noop!(
			Bittensor::register_network(RuntimeOrigin::signed(3), fast, u64::MAX),
			Error::<Test>::TempoOutsideOwnerBounds
		);
		let free = Balances::free_balance(3);
		assert_ok!(Bittensor::register_network(RuntimeOrigin::signed(3), owned.clone(), 1_000));
		assert_eq!(Balances::free_balance(3), free - 1_000);
		System::assert_has_event(
			Event::NetworkRegistered { netuid: 1, owner: 3, locked: 1_000 }.into(),
		);
		// The next costs twice as much, falling back linearly over 100 blocks.
		assert_eq!(Bittensor::network_lock_cost(), 2_000);
		assert_noop!(
			Bittensor::register_network(RuntimeOrigin::signed(4), owned.clone(), 1_999),
			Error::<Test>::LockCostAboveLimit
		);
		run_to_block(26);
		assert_eq!(Bittensor::network_lock_cost(), 1_500);
		run_to_block(51);
		assert_eq!(Bittensor::network_lock_cost(), 1_000);
		assert_ok!(Bittensor::register_network(RuntimeOrigin::signed(4), owned.clone(), 1_000));
		assert_eq!(SubnetOwner::<Test>::get(2), Some(4));
		assert_ledger_consistent();

		// The owner sets its subnet's rules, within bounds and rate-limited; root can do more.
		let mut change = owned.clone();
		change.immunity_period = 77;
		assert_ok!(Bittensor::set_hyperparameters(RuntimeOrigin::signed(3), 1, change.clone()));
		assert_noop!(
			Bittensor::set_hyperparameters(RuntimeOrigin::signed(3), 1, change.clone()),
			Error::<Test>::HyperparametersSetTooFast
		);
		assert_noop!(
			Bittensor::set_hyperparameters(RuntimeOrigin::signed(4), 1, change.clone()),
			Error::<Test>::NotSubnetOwner
		);
		run_to_block(100);
		let mut mint = change.clone();
		mint.emission_per_block = 5;
		assert_noop!(
			Bittensor::set_hyperparameters(RuntimeOrigin::signed(3), 1, mint.clone()),
			Error::<Test>::EmissionNotSettableByOwner
		);
		assert_ok!(Bittensor::set_hyperparameters(RuntimeOrigin::root(), 1, mint));
		assert_eq!(Subnets::<Test>::get(1).map(|h| h.emission_per_block), Some(5));

		// Neurons run on it; the owner dissolves it and gets its lock back; stake stays.
		register(1, 5, 105);
		stake(5, 105, 1_000);
		assert_noop!(
			Bittensor::dissolve_network(RuntimeOrigin::signed(4), 1),
			Error::<Test>::NotSubnetOwner
		);
		let free = Balances::free_balance(3);
		assert_ok!(Bittensor::dissolve_network(RuntimeOrigin::signed(3), 1));
		assert_eq!(Balances::free_balance(3), free + 1_000);
		assert!(!Subnets::<Test>::contains_key(1));
		assert_eq!(Uids::<Test>::get(1, 105), None);
		assert_eq!(Keys::<Test>::get(1, 0), None);
		assert_eq!(SubnetworkN::<Test>::get(1), 0);
		assert!(Stake::<Test>::get(105) >= 1_000);
		assert_eq!(SubnetCount::<Test>::get(), 1);
		assert_ledger_consistent();
		// Its netuid is free again.
		assert_ok!(Bittensor::register_network(RuntimeOrigin::signed(6), owned, u64::MAX));
		assert_eq!(SubnetOwner::<Test>::get(1), Some(6));
	});
}

#[test]
fn at_the_bound_opening_a_subnet_is_refused_by_name() {
	new_test_ext().execute_with(|| {
		for netuid in 10..18 {
			create_test_subnet(netuid);
		}
		let mut owned = test_hyperparameters();
		owned.emission_per_block = 0;
		assert_noop!(
			Bittensor::register_network(RuntimeOrigin::signed(3), owned, u64::MAX),
			Error::<Test>::TooManySubnets
		);
		assert_noop!(
			Bittensor::dissolve_network(RuntimeOrigin::signed(3), 99),
			Error::<Test>::SubnetNotFound
		);
		assert_noop!(
			Bittensor::register_network(RuntimeOrigin::none(), test_hyperparameters(), 0),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn a_swapped_hotkey_keeps_its_uid_stake_nominators_and_take() {
	new_test_ext().execute_with(|| {
		paying_subnet();
		stake(9, 101, 5_000);
		assert_ok!(Bittensor::set_take(RuntimeOrigin::signed(1), 101, Perbill::from_percent(7)));
		let stake_before = Stake::<Test>::get(101);
		assert_noop!(
			Bittensor::swap_hotkey(RuntimeOrigin::signed(2), 101, 150),
			Error::<Test>::NonAssociatedColdKey
		);
		assert_noop!(
			Bittensor::swap_hotkey(RuntimeOrigin::signed(1), 101, 102),
			Error::<Test>::NewHotKeyInUse
		);
		assert_ok!(Bittensor::swap_hotkey(RuntimeOrigin::signed(1), 101, 150));
		System::assert_last_event(Event::HotKeySwapped { coldkey: 1, old: 101, new: 150 }.into());
		assert_eq!(Uids::<Test>::get(NETUID, 150), Some(0));
		assert_eq!(Keys::<Test>::get(NETUID, 0), Some(150));
		assert_eq!(Uids::<Test>::get(NETUID, 101), None);
		assert_eq!(Owner::<Test>::get(150), Some(1));
		assert_eq!(Owner::<Test>::get(101), None);
		assert_eq!(Stake::<Test>::get(150), stake_before);
		assert_eq!(Stake::<Test>::get(101), 0);
		assert_eq!(Bittensor::position_value(&150, &9), 5_000);
		assert_eq!(Bittensor::take_of(&150), Perbill::from_percent(7));
		// The neuron signs with its new key at once.
		assert_ok!(Bittensor::set_weights(RuntimeOrigin::signed(150), NETUID, vec![1], vec![1], 0));
		assert_noop!(
			Bittensor::swap_hotkey(RuntimeOrigin::signed(1), 150, 151),
			Error::<Test>::HotKeySwapTooFast
		);
		run_to_block(11);
		assert_ok!(Bittensor::swap_hotkey(RuntimeOrigin::signed(1), 150, 151));
		assert_ledger_consistent();
	});
}

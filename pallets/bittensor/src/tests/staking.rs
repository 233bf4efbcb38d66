use super::*;
use crate::Event;
use polkadot_sdk::frame_support::{assert_noop, assert_ok};

#[test]
fn add_and_remove_stake_move_balance_and_keep_issuance() {
	new_test_ext().execute_with(|| {
		create_quiet_subnet(NETUID);
		register(NETUID, 1, 101);
		let issuance = Balances::total_issuance();
		assert_ok!(Bittensor::add_stake(RuntimeOrigin::signed(1), 101, 5_000));
		System::assert_last_event(
			Event::StakeAdded { coldkey: 1, hotkey: 101, amount: 5_000 }.into(),
		);
		assert_eq!(Stake::<Test>::get(101), 5_000);
		assert_eq!(Balances::free_balance(1), 1_000_000 - 100 - 5_000);
		assert_eq!(Balances::total_issuance(), issuance);
		assert_ledger_consistent();

		// Held for the hold period (the subnet's tempo, 10 blocks) before it can leave.
		assert_noop!(
			Bittensor::remove_stake(RuntimeOrigin::signed(1), 101, 5_000),
			Error::<Test>::StakeStillLocked
		);
		run_to_block(11);
		assert_ok!(Bittensor::remove_stake(RuntimeOrigin::signed(1), 101, 5_000));
		System::assert_last_event(
			Event::StakeRemoved { coldkey: 1, hotkey: 101, amount: 5_000 }.into(),
		);
		assert_eq!(Stake::<Test>::get(101), 0);
		assert_eq!(Balances::free_balance(1), 1_000_000 - 100);
		assert_eq!(Balances::total_issuance(), issuance);
		assert_ledger_consistent();
	});
}

#[test]
fn stake_errors_change_nothing() {
	new_test_ext().execute_with(|| {
		create_test_subnet(NETUID);
		register(NETUID, 1, 101);
		stake(1, 101, 1_000);
		assert_noop!(
			Bittensor::add_stake(RuntimeOrigin::signed(1), 101, 0),
			Error::<Test>::ZeroAmount
		);
		assert_noop!(
			Bittensor::remove_stake(RuntimeOrigin::signed(1), 101, 0),
			Error::<Test>::ZeroAmount
		);
		assert_noop!(
			Bittensor::add_stake(RuntimeOrigin::signed(1), 555, 10),
			Error::<Test>::HotKeyNotRegistered
		);
		assert_noop!(
			Bittensor::remove_stake(RuntimeOrigin::signed(1), 555, 10),
			Error::<Test>::NoStakePosition
		);
		// Another coldkey may nominate, but not dust.
		assert_noop!(
			Bittensor::add_stake(RuntimeOrigin::signed(2), 101, 99),
			Error::<Test>::NominationTooSmall
		);
		// Only a position's coldkey can take it out.
		assert_noop!(
			Bittensor::remove_stake(RuntimeOrigin::signed(2), 101, 10),
			Error::<Test>::NoStakePosition
		);
		let free = Balances::free_balance(1);
		assert_noop!(
			Bittensor::add_stake(RuntimeOrigin::signed(1), 101, free),
			Error::<Test>::NotEnoughBalanceToStake
		);
		assert_noop!(
			Bittensor::remove_stake(RuntimeOrigin::signed(1), 101, 1_001),
			Error::<Test>::NotEnoughStakeToWithdraw
		);
		assert_ledger_consistent();
	});
}

#[test]
fn all_stake_can_be_withdrawn() {
	new_test_ext().execute_with(|| {
		create_quiet_subnet(NETUID);
		register(NETUID, 1, 101);
		register(NETUID, 2, 102);
		stake(1, 101, 3);
		stake(2, 102, 700);
		run_to_block(11);
		assert_ok!(Bittensor::remove_stake(RuntimeOrigin::signed(1), 101, 3));
		assert_ok!(Bittensor::remove_stake(RuntimeOrigin::signed(2), 102, 700));
		assert_eq!(TotalStake::<Test>::get(), 0);
		assert_ledger_consistent();
	});
}

use super::*;
use crate::{Event, PayoutKind};
use polkadot_sdk::{
	frame_support::{assert_ok, traits::Hooks},
	sp_runtime::{Perbill, Perquintill},
};

/// The subnet of docs/MECHANISM.md's worked example: tempo 10 and 100,000,000 per block, so the
/// epoch emits E = 1,000,000,000; ρ = 10, κ = ½, m = 0.
fn worked_example_subnet() {
	let mut hp = test_hyperparameters();
	hp.emission_per_block = 100_000_000;
	assert_ok!(Bittensor::create_subnet(RuntimeOrigin::root(), NETUID, hp));
	for i in 0..3 {
		register(NETUID, 1 + i, 101 + i);
	}
	stake(1, 101, 100);
	stake(2, 102, 100);
	assert_ok!(Bittensor::set_weights(
		RuntimeOrigin::signed(101),
		NETUID,
		vec![2, 1],
		vec![65535, 16384],
		0
	));
	assert_ok!(Bittensor::set_weights(
		RuntimeOrigin::signed(102),
		NETUID,
		vec![2, 0],
		vec![65535, 16384],
		0
	));
}

fn close(value: Perquintill, expected: f64) -> bool {
	(value.deconstruct() as f64 / 1e18 - expected).abs() < 1e-9
}

/// The exact small case, computed by hand:
///
/// - Stake s = [100, 100, 0]; uids 0 and 1 set weights, so both are raters and
///   S = [½, ½, 0].
/// - Row 0: w = {2: 65535, 1: 16384}, sum 81919, so W₀₂ = 65535/81919 = 0.799997559 and
///   W₀₁ = 16384/81919 = 0.200002441; row 1 likewise with uid 0 in place of uid 1.
/// - R₀ = ½·0.200002441 = 0.100001221 = R₁; R₂ = ½·0.799997559·2 = 0.799997559.
/// - T₀ = S₁ = ½, T₁ = S₀ = ½, T₂ = S₀ + S₁ = 1.
/// - c = σ(10·(T − ½)): c₀ = c₁ = σ(0) = ½, c₂ = σ(5) = 1/(1 + e⁻⁵) = 0.993307149.
/// - R⊙c = [0.050000610, 0.050000610, 0.794642776], total 0.894643997, so
///   I = [0.055888802, 0.055888802, 0.888222396].
/// - Bonds (m = 0): B = S·W; column 2 is split ½/½ between uids 0 and 1, column 1 is all
///   uid 0's, column 0 all uid 1's. D₀ = 1·I₁ + ½·I₂ = 0.055888802 + 0.444111198 = ½ = D₁;
///   D₂ = 0.
/// - ΔS = ½D + ½I = [0.277944401, 0.277944401, 0.444111198].
/// - e = floor(E·ΔS) = [277,944,401, 277,944,401, 444,111,197]; the 1 unit of dust goes to the
///   largest share, uid 2: 444,111,198. Σe = 1,000,000,000.
#[test]
fn worked_example_epoch_matches_hand_computation() {
	new_test_ext().execute_with(|| {
		worked_example_subnet();
		let issuance = Balances::total_issuance();
		// (block + netuid) % tempo == 0 first holds at block 9.
		run_to_block(8);
		assert!(Rank::<Test>::get(NETUID).iter().all(|r| r.is_zero()));
		run_to_block(9);

		let expect = [
			(Rank::<Test>::get(NETUID), [0.100001221, 0.100001221, 0.799997559]),
			(Trust::<Test>::get(NETUID), [0.5, 0.5, 1.0]),
			(Consensus::<Test>::get(NETUID), [0.5, 0.5, 0.993307149]),
			(Incentive::<Test>::get(NETUID), [0.055888802, 0.055888802, 0.888222396]),
			(Dividends::<Test>::get(NETUID), [0.5, 0.5, 0.0]),
		];
		for (stored, want) in expect {
			for uid in 0..3 {
				assert!(
					close(stored[uid], want[uid]),
					"uid {uid}: {:?} vs {}",
					stored[uid],
					want[uid]
				);
			}
		}
		assert_eq!(
			Emission::<Test>::get(NETUID).to_vec(),
			vec![277_944_401, 277_944_401, 444_111_198]
		);
		assert_eq!(Stake::<Test>::get(101), 100 + 277_944_401);
		assert_eq!(Stake::<Test>::get(102), 100 + 277_944_401);
		assert_eq!(Stake::<Test>::get(103), 444_111_198);
		assert_eq!(Active::<Test>::get(NETUID).to_vec(), vec![true, true, true]);
		assert_eq!(Balances::total_issuance(), issuance + 1_000_000_000);
		System::assert_last_event(
			Event::EpochCompleted {
				netuid: NETUID,
				emitted: 1_000_000_000,
				payout: PayoutKind::Incentive,
			}
			.into(),
		);
		assert_eq!(Bonds::<Test>::get(NETUID, 0).len(), 2);
		assert_ledger_consistent();
		assert_vectors_sized(NETUID);
	});
}

/// The worked example of consensus clipping in docs/MECHANISM.md, through storage and
/// `on_initialize`: stake [30, 25, 15, 20, 10]; the honest uids 0–2 give each other 65535 and
/// the cabal uids 3 and 4 3277 each; the cabal weights only itself. E = 1,000,000,000.
#[test]
fn clipped_worked_example_pays_to_the_planck() {
	new_test_ext().execute_with(|| {
		let mut hp = test_hyperparameters();
		hp.emission_per_block = 100_000_000;
		hp.mechanism = crate::Mechanism::Clipped;
		assert_ok!(Bittensor::create_subnet(RuntimeOrigin::root(), NETUID, hp));
		let stakes = [30, 25, 15, 20, 10];
		for (i, amount) in stakes.iter().enumerate() {
			let (coldkey, hotkey) = (1 + i as u64, 101 + i as u64);
			register(NETUID, coldkey, hotkey);
			stake(coldkey, hotkey, *amount);
		}
		for me in 0u16..3 {
			let mut uids: Vec<u16> = (0..3).filter(|&j| j != me).collect();
			uids.extend([3, 4]);
			assert_ok!(Bittensor::set_weights(
				RuntimeOrigin::signed(101 + u64::from(me)),
				NETUID,
				uids,
				vec![65535, 65535, 3277, 3277],
				0
			));
		}
		assert_ok!(Bittensor::set_weights(RuntimeOrigin::signed(104), NETUID, vec![4], vec![1], 0));
		assert_ok!(Bittensor::set_weights(RuntimeOrigin::signed(105), NETUID, vec![3], vec![1], 0));
		run_to_block(9);

		assert_eq!(
			Emission::<Test>::get(NETUID).to_vec(),
			vec![346_800_606, 328_282_036, 291_244_904, 16_836_227, 16_836_227]
		);
		let expect = [
			(
				Consensus::<Test>::get(NETUID),
				[0.476188746, 0.476188746, 0.476188746, 0.023811254, 0.023811254],
			),
			(Trust::<Test>::get(NETUID), [1.0, 1.0, 1.0, 0.163275474, 0.098907732]),
			(ValidatorTrust::<Test>::get(NETUID), [1.0, 1.0, 1.0, 0.023811254, 0.023811254]),
		];
		for (stored, want) in expect {
			for uid in 0..5 {
				assert!(
					close(stored[uid], want[uid]),
					"uid {uid}: {:?} vs {}",
					stored[uid],
					want[uid]
				);
			}
		}
		assert_ledger_consistent();
		assert_vectors_sized(NETUID);
	});
}

#[test]
fn without_weights_the_epoch_pays_pro_rata_to_stake() {
	new_test_ext().execute_with(|| {
		create_test_subnet(NETUID);
		register(NETUID, 1, 101);
		register(NETUID, 2, 102);
		stake(1, 101, 1_000);
		stake(2, 102, 3_000);
		run_to_block(9);
		// E = 10 × 1,000 = 10,000, split 1:3.
		assert_eq!(Emission::<Test>::get(NETUID).to_vec(), vec![2_500, 7_500]);
		System::assert_last_event(
			Event::EpochCompleted {
				netuid: NETUID,
				emitted: 10_000,
				payout: PayoutKind::ProRataStake,
			}
			.into(),
		);
		assert_ledger_consistent();
	});
}

#[test]
fn without_stake_nothing_is_minted() {
	new_test_ext().execute_with(|| {
		create_test_subnet(NETUID);
		register(NETUID, 1, 101);
		let issuance = Balances::total_issuance();
		run_to_block(9);
		assert_eq!(Balances::total_issuance(), issuance);
		System::assert_last_event(
			Event::EpochCompleted { netuid: NETUID, emitted: 0, payout: PayoutKind::Nothing }
				.into(),
		);
	});
}

#[test]
fn epochs_follow_each_subnets_tempo() {
	new_test_ext().execute_with(|| {
		create_test_subnet(1);
		let mut hp = test_hyperparameters();
		hp.tempo = 4;
		assert_ok!(Bittensor::create_subnet(RuntimeOrigin::root(), 2, hp));
		let epochs = |netuid| {
			System::events()
				.iter()
				.filter(|r| matches!(r.event, RuntimeEvent::Bittensor(Event::EpochCompleted { netuid: n, .. }) if n == netuid))
				.count()
		};
		run_to_block(40);
		// Subnet 1 (tempo 10) at blocks 9, 19, 29, 39; subnet 2 (tempo 4) at 2, 6, ..., 38.
		assert_eq!(epochs(1), 4);
		assert_eq!(epochs(2), 10);
		assert_eq!(LastEpochBlock::<Test>::get(1), 39);
	});
}

#[test]
fn stale_raters_lose_their_vote() {
	new_test_ext().execute_with(|| {
		let mut hp = test_hyperparameters();
		hp.activity_cutoff = 5;
		assert_ok!(Bittensor::create_subnet(RuntimeOrigin::root(), NETUID, hp));
		for i in 0..2 {
			register(NETUID, 1 + i, 101 + i);
			stake(1 + i, 101 + i, 1_000);
		}
		assert_ok!(Bittensor::set_weights(RuntimeOrigin::signed(101), NETUID, vec![1], vec![1], 0));
		run_to_block(9);
		// uid 0 set weights at block 1, 8 blocks ago, past the cutoff of 5; uid 1 never did
		// (its last update is its registration, also at block 1).
		assert_eq!(Active::<Test>::get(NETUID).to_vec(), vec![false, false]);
		assert!(Rank::<Test>::get(NETUID)[1].is_zero());
		System::assert_last_event(
			Event::EpochCompleted {
				netuid: NETUID,
				emitted: 10_000,
				payout: PayoutKind::ProRataStake,
			}
			.into(),
		);
	});
}

#[test]
fn emission_is_conserved_over_many_epochs() {
	new_test_ext().execute_with(|| {
		let mut hp = test_hyperparameters();
		hp.emission_per_block = 123_457;
		hp.bonds_moving_average = Perbill::from_percent(90);
		assert_ok!(Bittensor::create_subnet(RuntimeOrigin::root(), NETUID, hp));
		for i in 0..7u64 {
			register(NETUID, 1 + i, 101 + i);
			stake(1 + i, 101 + i, 1_000 * (i + 1) + 17 * i * i);
		}
		let mut minted = 0;
		for round in 0..60u64 {
			for i in 0..7u64 {
				let uids: Vec<u16> =
					(0..7).filter(|j| (i + j + round) % 3 != 0).map(|j| j as u16).collect();
				let values: Vec<u16> =
					uids.iter().map(|&j| 1 + (j * 7919 + round as u16) % 1000).collect();
				assert_ok!(Bittensor::set_weights(
					RuntimeOrigin::signed(101 + i),
					NETUID,
					uids,
					values,
					0
				));
			}
			let issuance = Balances::total_issuance();
			let block = System::block_number() + 1;
			System::set_block_number(block);
			Bittensor::on_initialize(block);
			if (block + 1).is_multiple_of(10) {
				assert_eq!(Balances::total_issuance(), issuance + 1_234_570, "block {block}");
				let paid: Balance = Emission::<Test>::get(NETUID).iter().sum();
				assert_eq!(paid, 1_234_570);
				minted += paid;
			} else {
				assert_eq!(Balances::total_issuance(), issuance);
			}
			assert_ledger_consistent();
		}
		assert_eq!(minted, 6 * 1_234_570);
		assert_vectors_sized(NETUID);
	});
}

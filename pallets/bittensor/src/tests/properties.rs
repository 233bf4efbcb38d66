//! Random sequences of calls: nothing panics, failed calls change nothing, issuance moves
//! only by registration burns and epoch emission, and every per-neuron vector stays as long
//! as its subnet.

use super::*;
use crate::{Event, SubnetHyperparameters};
use polkadot_sdk::{
	frame_support::traits::Hooks,
	sp_io,
	sp_runtime::{DispatchResult, Perbill, StateVersion},
};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Action {
	CreateSubnet { netuid: u16, hp: SubnetHyperparameters<Balance> },
	SetHyperparameters { netuid: u16, hp: SubnetHyperparameters<Balance> },
	Register { netuid: u16, coldkey: u64, hotkey: u64 },
	ServeAxon { netuid: u16, hotkey: u64, ip: u128, port: u16, ip_type: u8 },
	AddStake { coldkey: u64, hotkey: u64, amount: Balance },
	RemoveStake { coldkey: u64, hotkey: u64, amount: Balance },
	SetWeights { netuid: u16, hotkey: u64, uids: Vec<u16>, values: Vec<u16>, version: u64 },
	CommitWeights { netuid: u16, hotkey: u64, uids: Vec<u16>, values: Vec<u16>, salt: u8 },
	RevealWeights { netuid: u16, hotkey: u64, uids: Vec<u16>, values: Vec<u16>, salt: u8 },
	Advance { blocks: u64 },
	RegisterNetwork { coldkey: u64, hp: SubnetHyperparameters<Balance>, max_lock: Balance },
	OwnerSetHyperparameters { coldkey: u64, netuid: u16, hp: SubnetHyperparameters<Balance> },
	DissolveNetwork { coldkey: Option<u64>, netuid: u16 },
	SetTake { coldkey: u64, hotkey: u64, percent: u32 },
	SwapHotkey { coldkey: u64, old: u64, new: u64 },
}

/// Random hyperparameters, either mechanism.
fn hyperparameters() -> impl Strategy<Value = SubnetHyperparameters<Balance>> {
	let mechanism = prop_oneof![Just(crate::Mechanism::Paper), Just(crate::Mechanism::Clipped)];
	let price = (prop_oneof![3 => 0u64..3_000, 1 => 0u64..100], 0u32..=100, 0u32..20, 0u16..4);
	(rules(), mechanism, prop_oneof![Just(0u16), 0u16..6], price).prop_map(
		|(h, mechanism, commit_reveal_period, (above, increase, half_life, min_non_immune))| {
			SubnetHyperparameters {
				mechanism,
				commit_reveal_period,
				// Now and then below the floor, which must be refused.
				max_burn: (h.registration_burn + above).saturating_sub(50),
				burn_increase: Perbill::from_percent(increase),
				burn_half_life: half_life,
				min_non_immune_uids: min_non_immune,
				..h
			}
		},
	)
}

fn rules() -> impl Strategy<Value = SubnetHyperparameters<Balance>> {
	(
		(0u16..6, 0u16..30, 0u32..=100, 0u64..5_000, 0u16..8, 0u16..3),
		(
			prop_oneof![Just(100u32), 0u32..=100],
			0u32..4,
			0u32..20,
			0u32..6,
			0u64..2_000,
			0u32..=100,
			0u64..3_000,
			0u64..2,
		),
	)
		.prop_map(
			|(
				(tempo, rho, kappa, emission, max_uids, min_allowed),
				(max_weight, rate, cutoff, immunity, burn, bonds_ma, min_stake, version),
			)| SubnetHyperparameters {
				tempo,
				rho,
				kappa: Perbill::from_percent(kappa),
				emission_per_block: emission,
				max_uids,
				min_allowed_weights: min_allowed,
				max_weight_limit: Perbill::from_percent(max_weight),
				weights_rate_limit: rate,
				activity_cutoff: cutoff,
				immunity_period: immunity,
				registration_burn: burn,
				bonds_moving_average: Perbill::from_percent(bonds_ma),
				min_stake_to_set_weights: min_stake,
				weights_version_key: version,
				mechanism: crate::Mechanism::Paper,
				commit_reveal_period: 0,
				max_burn: burn,
				burn_increase: Perbill::zero(),
				burn_half_life: 0,
				min_non_immune_uids: 1,
			},
		)
}

/// Hotkey 100 + k belongs (when registered by its usual owner) to coldkey 1 + k % 5.
fn owner_of(hotkey: u64) -> u64 {
	1 + (hotkey - 100) % 5
}

/// A coldkey for `hotkey`: its usual owner, or (one time in four) another account.
fn coldkey_for(hotkey: u64, other: u64, honest: bool) -> u64 {
	if honest {
		owner_of(hotkey)
	} else {
		other
	}
}

fn action() -> impl Strategy<Value = Action> {
	let netuid = 0u16..4;
	let hotkey = 100u64..110;
	let other = 1u64..7;
	let honest = prop::bool::weighted(0.75);
	prop_oneof![
		1 => (0u16..5, hyperparameters()).prop_map(|(netuid, hp)| Action::CreateSubnet { netuid, hp }),
		1 => (netuid.clone(), hyperparameters()).prop_map(|(netuid, hp)| Action::SetHyperparameters { netuid, hp }),
		4 => (netuid.clone(), hotkey.clone(), other.clone(), honest)
			.prop_map(|(netuid, hotkey, other, honest)| Action::Register {
				netuid,
				coldkey: coldkey_for(hotkey, other, honest),
				hotkey,
			}),
		1 => (netuid.clone(), hotkey.clone(), prop_oneof![0u128..(1 << 33), any::<u128>()], any::<u16>(), 3u8..8)
			.prop_map(|(netuid, hotkey, ip, port, ip_type)| Action::ServeAxon { netuid, hotkey, ip, port, ip_type }),
		3 => (hotkey.clone(), other.clone(), honest, 0u64..1_200_000)
			.prop_map(|(hotkey, other, honest, amount)| Action::AddStake {
				coldkey: coldkey_for(hotkey, other, honest),
				hotkey,
				amount,
			}),
		2 => (hotkey.clone(), other, honest, prop_oneof![0u64..20_000, 0u64..600_000])
			.prop_map(|(hotkey, other, honest, amount)| Action::RemoveStake {
				coldkey: coldkey_for(hotkey, other, honest),
				hotkey,
				amount,
			}),
		6 => (
			prop_oneof![3 => Just(NETUID), 1 => netuid],
			prop_oneof![3 => 100u64..105, 1 => hotkey],
			prop::sample::subsequence((0u16..7).collect::<Vec<_>>(), 1..7),
			prop::collection::vec(any::<u16>(), 9),
			0u64..4,
		)
			.prop_map(|(netuid, hotkey, mut uids, values, version)| {
				let mut values: Vec<u16> = values[..uids.len()].to_vec();
				match version {
					2 => { values.pop(); },
					3 => if let Some(&first) = uids.first() { uids.push(first); values.push(1) },
					_ => {},
				}
				Action::SetWeights { netuid, hotkey, uids, values, version }
			}),
		// Small domains, so that reveals often match an earlier commit.
		3 => (
			prop_oneof![3 => Just(NETUID), 1 => 0u16..4],
			100u64..104,
			prop::sample::subsequence(vec![0u16, 1, 2], 1..3),
			0u8..2,
			any::<bool>(),
		)
			.prop_map(|(netuid, hotkey, uids, salt, reveal)| {
				let values = uids.iter().map(|&u| u + 1).collect();
				if reveal {
					Action::RevealWeights { netuid, hotkey, uids, values, salt }
				} else {
					Action::CommitWeights { netuid, hotkey, uids, values, salt }
				}
			}),
		3 => (1u64..12).prop_map(|blocks| Action::Advance { blocks }),
		1 => (1u64..8, hyperparameters(), prop_oneof![Just(u64::MAX), 0u64..5_000])
			.prop_map(|(coldkey, hp, max_lock)| Action::RegisterNetwork { coldkey, hp, max_lock }),
		1 => (1u64..8, 0u16..6, hyperparameters())
			.prop_map(|(coldkey, netuid, hp)| Action::OwnerSetHyperparameters { coldkey, netuid, hp }),
		1 => (prop::option::of(1u64..8), 0u16..6)
			.prop_map(|(coldkey, netuid)| Action::DissolveNetwork { coldkey, netuid }),
		1 => (1u64..8, 100u64..110, 0u32..70)
			.prop_map(|(coldkey, hotkey, percent)| Action::SetTake { coldkey, hotkey, percent }),
		1 => (1u64..8, 100u64..110, 100u64..115)
			.prop_map(|(coldkey, old, new)| Action::SwapHotkey { coldkey, old, new }),
	]
}

fn apply(action: Action) -> DispatchResult {
	match action {
		Action::CreateSubnet { netuid, hp } => {
			Bittensor::create_subnet(RuntimeOrigin::root(), netuid, hp)
		},
		Action::SetHyperparameters { netuid, hp } => {
			Bittensor::set_hyperparameters(RuntimeOrigin::root(), netuid, hp)
		},
		Action::Register { netuid, coldkey, hotkey } => {
			Bittensor::register(RuntimeOrigin::signed(coldkey), netuid, hotkey, u64::MAX)
				.map(|_| ())
				.map_err(|e| e.error)
		},
		Action::ServeAxon { netuid, hotkey, ip, port, ip_type } => {
			Bittensor::serve_axon(RuntimeOrigin::signed(hotkey), netuid, 1, ip, port, ip_type, 0)
		},
		Action::AddStake { coldkey, hotkey, amount } => {
			Bittensor::add_stake(RuntimeOrigin::signed(coldkey), hotkey, amount)
		},
		Action::RemoveStake { coldkey, hotkey, amount } => {
			Bittensor::remove_stake(RuntimeOrigin::signed(coldkey), hotkey, amount)
		},
		Action::SetWeights { netuid, hotkey, uids, values, version } => {
			Bittensor::set_weights(RuntimeOrigin::signed(hotkey), netuid, uids, values, version)
				.map(|_| ())
				.map_err(|e| e.error)
		},
		Action::CommitWeights { netuid, hotkey, uids, values, salt } => {
			let hash =
				crate::commit_reveal::commit_hash(&hotkey, netuid, &uids, &values, &[salt; 32], 0);
			Bittensor::commit_weights(RuntimeOrigin::signed(hotkey), netuid, hash)
		},
		Action::RevealWeights { netuid, hotkey, uids, values, salt } => Bittensor::reveal_weights(
			RuntimeOrigin::signed(hotkey),
			netuid,
			uids,
			values,
			[salt; 32],
			0,
		)
		.map(|_| ())
		.map_err(|e| e.error),
		Action::RegisterNetwork { coldkey, hp, max_lock } => {
			Bittensor::register_network(RuntimeOrigin::signed(coldkey), hp, max_lock)
		},
		Action::OwnerSetHyperparameters { coldkey, netuid, hp } => {
			Bittensor::set_hyperparameters(RuntimeOrigin::signed(coldkey), netuid, hp)
		},
		Action::DissolveNetwork { coldkey, netuid } => {
			let origin = coldkey.map_or_else(RuntimeOrigin::root, RuntimeOrigin::signed);
			Bittensor::dissolve_network(origin, netuid).map(|_| ()).map_err(|e| e.error)
		},
		Action::SetTake { coldkey, hotkey, percent } => Bittensor::set_take(
			RuntimeOrigin::signed(coldkey),
			hotkey,
			Perbill::from_percent(percent),
		),
		Action::SwapHotkey { coldkey, old, new } => {
			Bittensor::swap_hotkey(RuntimeOrigin::signed(coldkey), old, new)
				.map(|_| ())
				.map_err(|e| e.error)
		},
		Action::Advance { blocks } => {
			for _ in 0..blocks {
				let next = System::block_number() + 1;
				System::set_block_number(next);
				Bittensor::on_initialize(next);
			}
			Ok(())
		},
	}
}

/// Issuance change announced by the events since the last call: emission minus burns.
fn announced_issuance_change() -> i128 {
	let change = System::events()
		.iter()
		.map(|record| match &record.event {
			RuntimeEvent::Bittensor(Event::EpochCompleted { emitted, .. }) => *emitted as i128,
			RuntimeEvent::Bittensor(Event::NeuronRegistered { burned, .. }) => -(*burned as i128),
			_ => 0,
		})
		.sum();
	System::reset_events();
	change
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

	#[test]
	fn random_call_sequences_keep_the_ledger_exact(actions in proptest::collection::vec(action(), 1..60)) {
		new_test_ext().execute_with(|| {
			// A populated market to start from: three subnets, five staked neurons in subnet 1.
			for netuid in 0..3 {
				create_test_subnet(netuid);
			}
			for hotkey in 100..105 {
				register(NETUID, owner_of(hotkey), hotkey);
				stake(owner_of(hotkey), hotkey, 10_000);
			}
			System::reset_events();
			for action in actions {
				let issuance = Balances::total_issuance() as i128;
				let root = sp_io::storage::root(StateVersion::V1);
				let is_advance = matches!(action, Action::Advance { .. });
				let result = apply(action.clone());
				if result.is_err() {
					prop_assert_eq!(
						sp_io::storage::root(StateVersion::V1),
						root,
						"failed call changed state: {:?} -> {:?}",
						action,
						result
					);
				}
				let change = announced_issuance_change();
				prop_assert_eq!(Balances::total_issuance() as i128, issuance + change, "{:?}", action);
				if !is_advance {
					prop_assert!(result.is_err() || change <= 0);
				}
				assert_ledger_consistent();
				for netuid in 0..8 {
					if Subnets::<Test>::contains_key(netuid) {
						assert_vectors_sized(netuid);
					}
				}
			}
			Ok(())
		})?;
	}
}

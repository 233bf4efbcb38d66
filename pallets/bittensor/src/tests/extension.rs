//! `CheckNeuronCalls` (pool validation of neurons' free calls) and the calls' feeless rule.

use super::*;
use crate::{extension::refusal, CheckNeuronCalls};
use codec::Encode;
use polkadot_sdk::{
	frame_support::{
		dispatch::{CheckIfFeeless, GetDispatchInfo},
		pallet_prelude::{InvalidTransaction, TransactionSource},
	},
	sp_runtime::{traits::DispatchTransaction, Perbill},
};

fn set_weights(netuid: NetUid, uids: Vec<Uid>, values: Vec<u16>) -> RuntimeCall {
	RuntimeCall::Bittensor(crate::Call::set_weights { netuid, uids, values, version_key: 0 })
}

/// A routable IPv4 address (8.8.8.8).
const PUBLIC: u128 = 0x0808_0808;

fn serve_axon(netuid: NetUid, ip: u128, port: u16) -> RuntimeCall {
	RuntimeCall::Bittensor(crate::Call::serve_axon {
		netuid,
		version: 1,
		ip,
		port,
		ip_type: 4,
		protocol: 0,
	})
}

/// What the pool would answer for `call` signed by `who`.
fn validate(
	who: AccountId,
	call: &RuntimeCall,
) -> Result<polkadot_sdk::sp_runtime::transaction_validity::ValidTransaction, InvalidTransaction> {
	let info = call.get_dispatch_info();
	let len = call.encoded_size();
	CheckNeuronCalls::<Test>::new()
		.validate_only(RuntimeOrigin::signed(who), call, &info, len, TransactionSource::External, 0)
		.map(|(validity, _, _)| validity)
		.map_err(|error| match error {
			polkadot_sdk::sp_runtime::transaction_validity::TransactionValidityError::Invalid(
				invalid,
			) => invalid,
			other => panic!("not an invalid transaction: {other:?}"),
		})
}

/// The code the pool reports for `error`.
fn code(error: Error<Test>) -> InvalidTransaction {
	InvalidTransaction::Custom(error.encode()[0])
}

/// Subnet 1 with three neurons: hotkeys 101, 102, 103 (uids 0..=2), staked 10, 500, 0.
fn three_neurons(weights_rate_limit: u32, min_stake: Balance) {
	let mut hp = test_hyperparameters();
	hp.weights_rate_limit = weights_rate_limit;
	hp.min_stake_to_set_weights = min_stake;
	hp.min_allowed_weights = 2;
	assert_ok!(Bittensor::create_subnet(RuntimeOrigin::root(), NETUID, hp));
	for i in 0..3 {
		register(NETUID, 1 + i, 101 + i);
	}
	stake(1, 101, 10);
	stake(2, 102, 500);
}

#[test]
fn refusal_codes_are_the_pallet_error_indices() {
	assert_eq!(
		refusal::<Test>(Error::<Test>::SubnetNotFound),
		InvalidTransaction::Custom(0).into()
	);
	assert_eq!(
		refusal::<Test>(Error::<Test>::NotRegistered),
		InvalidTransaction::Custom(13).into()
	);
	assert_eq!(code(Error::<Test>::ServingTooFast), InvalidTransaction::Custom(31));
}

#[test]
fn a_valid_set_weights_is_prioritised_by_stake_and_tagged_per_subnet() {
	new_test_ext().execute_with(|| {
		three_neurons(0, 0);
		let call = set_weights(NETUID, vec![1, 2], vec![1, 1]);
		let low = validate(101, &call).unwrap();
		let high = validate(102, &call).unwrap();
		assert_eq!((low.priority, high.priority), (10, 500));
		assert_eq!(
			low.provides,
			vec![(b"bittensor/set_weights".as_slice(), 101u64, NETUID).encode()]
		);
		assert_ne!(low.provides, high.provides);
		// One tag per subnet: the same hotkey's call in another subnet is another tag.
		create_test_subnet(2);
		register(2, 1, 101);
		let other = validate(101, &set_weights(2, vec![0], vec![1])).unwrap();
		assert_ne!(other.provides, low.provides);
		// Other calls pass untouched.
		let transfer =
			RuntimeCall::Balances(polkadot_sdk::pallet_balances::Call::transfer_allow_death {
				dest: 2,
				value: 1,
			});
		assert_eq!(validate(101, &transfer).unwrap(), Default::default());
	});
}

#[test]
fn every_set_weights_rule_is_checked_before_the_pool() {
	new_test_ext().execute_with(|| {
		three_neurons(0, 0);
		let refuse = |who, call: RuntimeCall| validate(who, &call).unwrap_err();
		assert_eq!(
			refuse(999, set_weights(NETUID, vec![0, 1], vec![1, 1])),
			code(Error::<Test>::NotRegistered)
		);
		assert_eq!(
			refuse(101, set_weights(7, vec![0, 1], vec![1, 1])),
			code(Error::<Test>::SubnetNotFound)
		);
		assert_eq!(
			refuse(101, set_weights(NETUID, vec![0, 1], vec![1])),
			code(Error::<Test>::WeightVecLengthMismatch)
		);
		assert_eq!(
			refuse(101, set_weights(NETUID, vec![1, 1], vec![1, 1])),
			code(Error::<Test>::DuplicateUids)
		);
		assert_eq!(
			refuse(101, set_weights(NETUID, vec![1, 3], vec![1, 1])),
			code(Error::<Test>::UidNotRegistered)
		);
		assert_eq!(
			refuse(101, set_weights(NETUID, vec![1], vec![1])),
			code(Error::<Test>::TooFewWeights)
		);
		assert_eq!(
			refuse(101, set_weights(NETUID, vec![1, 2], vec![0, 0])),
			code(Error::<Test>::AllWeightsZero)
		);
		let version = RuntimeCall::Bittensor(crate::Call::set_weights {
			netuid: NETUID,
			uids: vec![1, 2],
			values: vec![1, 1],
			version_key: 0,
		});
		let mut hp = Subnets::<Test>::get(NETUID).unwrap();
		hp.weights_version_key = 3;
		hp.max_weight_limit = Perbill::from_percent(60);
		hp.min_stake_to_set_weights = 100;
		assert_ok!(Bittensor::set_hyperparameters(RuntimeOrigin::root(), NETUID, hp.clone()));
		assert_eq!(refuse(101, version.clone()), code(Error::<Test>::NotEnoughStakeToSetWeights));
		assert_eq!(refuse(102, version), code(Error::<Test>::IncorrectWeightVersionKey));
		hp.weights_version_key = 0;
		assert_ok!(Bittensor::set_hyperparameters(RuntimeOrigin::root(), NETUID, hp));
		assert_eq!(
			refuse(102, set_weights(NETUID, vec![0, 2], vec![9, 1])),
			code(Error::<Test>::MaxWeightExceeded)
		);
		assert!(validate(102, &set_weights(NETUID, vec![0, 2], vec![1, 1])).is_ok());
		// Every refusal matches what the dispatch itself would say.
		assert_eq!(
			Bittensor::set_weights(RuntimeOrigin::signed(102), NETUID, vec![0, 2], vec![9, 1], 0),
			Err(Error::<Test>::MaxWeightExceeded.into())
		);
	});
}

#[test]
fn a_repeat_inside_the_rate_limit_is_refused_before_the_pool() {
	new_test_ext().execute_with(|| {
		three_neurons(3, 0);
		let call = set_weights(NETUID, vec![0, 2], vec![1, 1]);
		assert!(validate(102, &call).is_ok());
		assert_ok!(Bittensor::set_weights(
			RuntimeOrigin::signed(102),
			NETUID,
			vec![0, 2],
			vec![1, 1],
			0
		));
		assert_eq!(validate(102, &call).unwrap_err(), code(Error::<Test>::SettingWeightsTooFast));
		run_to_block(3);
		assert_eq!(validate(102, &call).unwrap_err(), code(Error::<Test>::SettingWeightsTooFast));
		run_to_block(4);
		assert!(validate(102, &call).is_ok());
	});
}

#[test]
fn the_last_update_read_matches_the_decoded_vector() {
	new_test_ext().execute_with(|| {
		let mut hp = test_hyperparameters();
		// Past 64 entries the vector's length prefix takes two bytes.
		hp.max_uids = 100;
		hp.weights_rate_limit = 50;
		assert_ok!(Bittensor::create_subnet(RuntimeOrigin::root(), NETUID, hp));
		for i in 0..70u64 {
			run_to_block(1 + i);
			register(NETUID, 1 + i % 20, 1_000 + i);
		}
		assert_ok!(Bittensor::set_weights(
			RuntimeOrigin::signed(1_069),
			NETUID,
			vec![0],
			vec![1],
			0
		));
		// Uid 69 set weights at block 70; 69 blocks later it may again, 49 blocks later not.
		run_to_block(119);
		let call = set_weights(NETUID, vec![0], vec![1]);
		assert_eq!(validate(1_069, &call).unwrap_err(), code(Error::<Test>::SettingWeightsTooFast));
		run_to_block(120);
		assert!(validate(1_069, &call).is_ok());
	});
}

#[test]
fn serve_axon_rules_and_its_rate_limit_are_checked_before_the_pool() {
	new_test_ext().execute_with(|| {
		three_neurons(0, 0);
		assert_eq!(
			validate(999, &serve_axon(NETUID, PUBLIC, 1)).unwrap_err(),
			code(Error::<Test>::NotRegistered)
		);
		assert_eq!(
			validate(101, &serve_axon(NETUID, 0, 1)).unwrap_err(),
			code(Error::<Test>::InvalidIpAddress)
		);
		assert_eq!(
			validate(101, &serve_axon(NETUID, PUBLIC, 0)).unwrap_err(),
			code(Error::<Test>::InvalidPort)
		);
		// Private and (on a chain that does not allow it) loopback addresses.
		for ip in [0x0a00_0001, 0xc0a8_0001, 0x7f00_0001] {
			assert_eq!(
				validate(101, &serve_axon(NETUID, ip, 1)).unwrap_err(),
				code(Error::<Test>::NonRoutableAddress)
			);
		}
		let valid = validate(102, &serve_axon(NETUID, PUBLIC, 1)).unwrap();
		assert_eq!(valid.priority, 500);
		assert_eq!(
			valid.provides,
			vec![(b"bittensor/serve_axon".as_slice(), 102u64, NETUID).encode()]
		);
		assert_ok!(Bittensor::serve_axon(RuntimeOrigin::signed(102), NETUID, 1, PUBLIC, 1, 4, 0));
		assert_eq!(
			validate(102, &serve_axon(NETUID, PUBLIC, 2)).unwrap_err(),
			code(Error::<Test>::ServingTooFast)
		);
		run_to_block(3);
		assert!(validate(102, &serve_axon(NETUID, PUBLIC, 2)).is_ok());
	});
}

#[test]
fn neuron_calls_are_feeless_only_for_hotkeys_registered_in_their_subnet() {
	new_test_ext().execute_with(|| {
		three_neurons(0, 0);
		create_test_subnet(2);
		let weights = set_weights(NETUID, vec![0, 1], vec![1, 1]);
		let axon = serve_axon(NETUID, 1, 1);
		assert!(weights.is_feeless(&RuntimeOrigin::signed(101)));
		assert!(axon.is_feeless(&RuntimeOrigin::signed(101)));
		assert!(!weights.is_feeless(&RuntimeOrigin::signed(999)));
		assert!(!set_weights(2, vec![0], vec![1]).is_feeless(&RuntimeOrigin::signed(101)));
		assert!(!serve_axon(2, 1, 1).is_feeless(&RuntimeOrigin::signed(101)));
		// Other calls always pay.
		let stake = RuntimeCall::Bittensor(crate::Call::add_stake { hotkey: 101, amount: 5 });
		assert!(!stake.is_feeless(&RuntimeOrigin::signed(101)));
	});
}

#[test]
fn a_registered_hotkey_is_an_account_without_any_balance() {
	new_test_ext().execute_with(|| {
		create_test_subnet(NETUID);
		assert_eq!(frame_system::Pallet::<Test>::providers(&500), 0);
		register(NETUID, 1, 500);
		assert_eq!(Balances::balance(&500), 0);
		assert_eq!(frame_system::Pallet::<Test>::providers(&500), 1);
		// A second registration (another subnet) takes no second reference.
		create_test_subnet(2);
		register(2, 1, 500);
		assert_eq!(frame_system::Pallet::<Test>::providers(&500), 1);
	});
}

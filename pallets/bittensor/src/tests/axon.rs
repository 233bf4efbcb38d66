use super::*;
use crate::{AxonInfo, Event};
use polkadot_sdk::frame_support::{assert_noop, assert_ok};

#[test]
fn serve_axon_stores_and_emits() {
	new_test_ext().execute_with(|| {
		create_test_subnet(NETUID);
		register(NETUID, 1, 101);
		assert_ok!(Bittensor::serve_axon(
			RuntimeOrigin::signed(101),
			NETUID,
			7,
			0x7f000001,
			8091,
			4,
			1
		));
		let axon =
			AxonInfo { block: 1, version: 7, ip: 0x7f000001, port: 8091, ip_type: 4, protocol: 1 };
		assert_eq!(Axons::<Test>::get(NETUID, 0), Some(axon));
		System::assert_last_event(
			Event::AxonServed { netuid: NETUID, uid: 0, hotkey: 101, axon }.into(),
		);
		// A second announcement within the serving rate limit (2 blocks here) is refused.
		assert_noop!(
			Bittensor::serve_axon(RuntimeOrigin::signed(101), NETUID, 8, 1, 1, 4, 0),
			Error::<Test>::ServingTooFast
		);
		run_to_block(3);
		// IPv6 accepts the full 128-bit range (::1 here), and a new announcement replaces the old.
		assert_ok!(Bittensor::serve_axon(
			RuntimeOrigin::signed(101),
			NETUID,
			8,
			u128::MAX,
			1,
			6,
			0
		));
		assert_eq!(Axons::<Test>::get(NETUID, 0).map(|a| (a.ip, a.ip_type)), Some((u128::MAX, 6)));
	});
}

#[test]
fn serve_axon_errors_are_named() {
	new_test_ext().execute_with(|| {
		create_test_subnet(NETUID);
		register(NETUID, 1, 101);
		let serve = |hotkey, netuid, ip, port, ip_type| {
			Bittensor::serve_axon(RuntimeOrigin::signed(hotkey), netuid, 1, ip, port, ip_type, 0)
		};
		assert_noop!(serve(101, 5, 1, 1, 4), Error::<Test>::SubnetNotFound);
		assert_noop!(serve(102, NETUID, 1, 1, 4), Error::<Test>::NotRegistered);
		assert_noop!(serve(101, NETUID, 1, 1, 5), Error::<Test>::InvalidIpType);
		assert_noop!(serve(101, NETUID, 0, 1, 4), Error::<Test>::InvalidIpAddress);
		assert_noop!(serve(101, NETUID, 1 << 32, 1, 4), Error::<Test>::InvalidIpAddress);
		assert_noop!(serve(101, NETUID, 1, 0, 4), Error::<Test>::InvalidPort);
	});
}

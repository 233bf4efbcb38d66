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
			0x0808_0808,
			8091,
			4,
			1
		));
		let axon =
			AxonInfo { block: 1, version: 7, ip: 0x0808_0808, port: 8091, ip_type: 4, protocol: 1 };
		assert_eq!(Axons::<Test>::get(NETUID, 0), Some(axon));
		System::assert_last_event(
			Event::AxonServed { netuid: NETUID, uid: 0, hotkey: 101, axon }.into(),
		);
		// A second announcement within the serving rate limit (2 blocks here) is refused.
		assert_noop!(
			Bittensor::serve_axon(RuntimeOrigin::signed(101), NETUID, 8, 0x0808_0808, 1, 4, 0),
			Error::<Test>::ServingTooFast
		);
		run_to_block(3);
		// IPv6 takes the full 128 bits (2606:4700::1111 here), and a new announcement replaces
		// the old.
		let ipv6 = 0x2606_4700_0000_0000_0000_0000_0000_1111;
		assert_ok!(Bittensor::serve_axon(RuntimeOrigin::signed(101), NETUID, 8, ipv6, 1, 6, 0));
		assert_eq!(Axons::<Test>::get(NETUID, 0).map(|a| (a.ip, a.ip_type)), Some((ipv6, 6)));
	});
}

/// A routable IPv4 address (8.8.8.8).
const PUBLIC: u128 = 0x0808_0808;

#[test]
fn loopback_axons_are_served_only_where_genesis_allows_them() {
	new_test_ext().execute_with(|| {
		create_test_subnet(NETUID);
		register(NETUID, 1, 101);
		AllowLoopbackAxons::<Test>::put(true);
		// IPv4 loopback, IPv6 loopback, and the IPv4-mapped form of 127.0.0.1.
		for (ip, ip_type) in [(0x7f00_0001, 4), (1, 6), (0xffff_7f00_0001, 6)] {
			run_to_block(System::block_number() + 2);
			assert_ok!(Bittensor::serve_axon(
				RuntimeOrigin::signed(101),
				NETUID,
				1,
				ip,
				8091,
				ip_type,
				0
			));
		}
		// Private ranges stay refused even here.
		run_to_block(System::block_number() + 2);
		assert_noop!(
			Bittensor::serve_axon(RuntimeOrigin::signed(101), NETUID, 1, 0x0a01_0203, 1, 4, 0),
			Error::<Test>::NonRoutableAddress
		);
	});
}

#[test]
fn addresses_are_classified_by_who_can_reach_them() {
	use crate::axon::{reach, Reach};
	let v4 = |a: u8, b: u8, c: u8, d: u8| u32::from_be_bytes([a, b, c, d]) as u128;
	let v6 = |s: &str| u128::from(s.parse::<std::net::Ipv6Addr>().unwrap());
	for ip in [v4(8, 8, 8, 8), v4(1, 1, 1, 1), v4(100, 63, 255, 255), v4(172, 32, 0, 1)] {
		assert_eq!(reach(ip, 4), Reach::Internet, "{ip:#x}");
	}
	for ip in [v4(127, 0, 0, 1), v4(127, 255, 0, 9)] {
		assert_eq!(reach(ip, 4), Reach::Loopback, "{ip:#x}");
	}
	for ip in [
		v4(0, 0, 0, 0),
		v4(10, 1, 2, 3),
		v4(100, 64, 0, 1),
		v4(169, 254, 1, 1),
		v4(172, 16, 0, 1),
		v4(172, 31, 255, 255),
		v4(192, 168, 1, 1),
		v4(192, 0, 2, 7),
		v4(198, 18, 0, 1),
		v4(198, 51, 100, 1),
		v4(203, 0, 113, 1),
		v4(224, 0, 0, 1),
		v4(255, 255, 255, 255),
	] {
		assert_eq!(reach(ip, 4), Reach::Local, "{ip:#x}");
	}
	assert_eq!(reach(v6("2606:4700::1111"), 6), Reach::Internet);
	assert_eq!(reach(v6("::1"), 6), Reach::Loopback);
	assert_eq!(reach(v6("::ffff:127.0.0.1"), 6), Reach::Loopback);
	assert_eq!(reach(v6("::ffff:8.8.8.8"), 6), Reach::Internet);
	for s in ["::", "::ffff:10.0.0.1", "fd00::1", "fe80::1", "ff02::1", "2001:db8::1", "100::1"] {
		assert_eq!(reach(v6(s), 6), Reach::Local, "{s}");
	}
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
		assert_noop!(serve(101, NETUID, PUBLIC, 1, 5), Error::<Test>::InvalidIpType);
		assert_noop!(serve(101, NETUID, 0, 1, 4), Error::<Test>::InvalidIpAddress);
		assert_noop!(serve(101, NETUID, 1 << 32, 1, 4), Error::<Test>::InvalidIpAddress);
		assert_noop!(serve(101, NETUID, PUBLIC, 0, 4), Error::<Test>::InvalidPort);
		assert_noop!(serve(101, NETUID, 0xc0a8_0102, 1, 4), Error::<Test>::NonRoutableAddress);
		assert_noop!(serve(101, NETUID, 0x7f00_0001, 1, 4), Error::<Test>::NonRoutableAddress);
		assert_noop!(serve(101, NETUID, 1, 1, 6), Error::<Test>::NonRoutableAddress);
	});
}

//! Neurons announcing the endpoint they serve their model on.

use crate::{pallet::*, AxonInfo, NetUid, Uid};
use polkadot_sdk::{
	frame_support::{ensure, pallet_prelude::*},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_runtime::traits::Saturating,
};

/// Who can reach an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
	/// Any host on the internet (as far as the address alone tells).
	Internet,
	/// Only the machine itself (`127.0.0.0/8`, `::1`).
	Loopback,
	/// Nobody outside one network, or nobody at all: private, shared (CGNAT), link-local,
	/// multicast, documentation, benchmarking, reserved and unspecified ranges.
	Local,
}

/// Classifies an axon address as `serve_axon` stores it (`ip_type` 4: the IPv4 address in the
/// low 32 bits; 6: the IPv6 address). IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are
/// classified as their IPv4 address.
pub fn reach(ip: u128, ip_type: u8) -> Reach {
	if ip_type == 4 {
		return reach_v4(ip as u32);
	}
	if ip >> 32 == 0xffff {
		return reach_v4(ip as u32);
	}
	let prefix = |bits: u32, value: u128| ip >> (128 - bits) == value >> (128 - bits);
	if ip == 1 {
		Reach::Loopback
	} else if ip >> 32 == 0 // unspecified and the deprecated IPv4-compatible range
		|| prefix(7, 0xfc00 << 112) // unique local
		|| prefix(10, 0xfe80 << 112) // link-local
		|| prefix(10, 0xfec0 << 112) // site-local (deprecated)
		|| prefix(8, 0xff00 << 112) // multicast
		|| prefix(32, 0x2001_0db8 << 96) // documentation
		|| prefix(28, 0x2001_0010 << 96) // ORCHID
		|| prefix(64, 0x0100 << 112)
	// discard-only
	{
		Reach::Local
	} else {
		Reach::Internet
	}
}

fn reach_v4(ip: u32) -> Reach {
	let in_range = |base: u32, bits: u32| ip >> (32 - bits) == base >> (32 - bits);
	if in_range(0x7f00_0000, 8) {
		Reach::Loopback
	} else if in_range(0, 8) // "this network"
		|| in_range(0x0a00_0000, 8) // private
		|| in_range(0x6440_0000, 10) // shared address space (CGNAT)
		|| in_range(0xa9fe_0000, 16) // link-local
		|| in_range(0xac10_0000, 12) // private
		|| in_range(0xc000_0000, 24) // IETF protocol assignments
		|| in_range(0xc000_0200, 24) // documentation (TEST-NET-1)
		|| in_range(0xc0a8_0000, 16) // private
		|| in_range(0xc612_0000, 15) // benchmarking
		|| in_range(0xc633_6400, 24) // documentation (TEST-NET-2)
		|| in_range(0xcb00_7100, 24) // documentation (TEST-NET-3)
		|| in_range(0xe000_0000, 4) // multicast
		|| in_range(0xf000_0000, 4)
	// reserved, and the broadcast address
	{
		Reach::Local
	} else {
		Reach::Internet
	}
}

impl<T: Config> Pallet<T> {
	/// Every rule `serve_axon` enforces, without writing anything: run by the dispatch and,
	/// before a transaction enters the pool, by [`crate::CheckNeuronCalls`]. Returns the
	/// caller's uid.
	pub(crate) fn check_serve_axon(
		netuid: NetUid,
		hotkey: &T::AccountId,
		ip: u128,
		port: u16,
		ip_type: u8,
	) -> Result<Uid, Error<T>> {
		ensure!(Subnets::<T>::contains_key(netuid), Error::<T>::SubnetNotFound);
		let uid = Uids::<T>::get(netuid, hotkey).ok_or(Error::<T>::NotRegistered)?;
		ensure!(ip_type == 4 || ip_type == 6, Error::<T>::InvalidIpType);
		ensure!(ip != 0, Error::<T>::InvalidIpAddress);
		ensure!(ip_type == 6 || ip <= u32::MAX as u128, Error::<T>::InvalidIpAddress);
		match reach(ip, ip_type) {
			Reach::Internet => {},
			Reach::Loopback => {
				ensure!(AllowLoopbackAxons::<T>::get(), Error::<T>::NonRoutableAddress)
			},
			Reach::Local => return Err(Error::<T>::NonRoutableAddress),
		}
		ensure!(port != 0, Error::<T>::InvalidPort);
		// A neuron's first announcement (none stored since it took the uid) is always allowed.
		if let Some(previous) = Axons::<T>::get(netuid, uid) {
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(
				now.saturating_sub(previous.block)
					>= BlockNumberFor::<T>::from(T::ServingRateLimit::get()),
				Error::<T>::ServingTooFast
			);
		}
		Ok(uid)
	}

	pub(crate) fn do_serve_axon(
		netuid: NetUid,
		hotkey: T::AccountId,
		version: u32,
		ip: u128,
		port: u16,
		ip_type: u8,
		protocol: u8,
	) -> DispatchResult {
		let uid = Self::check_serve_axon(netuid, &hotkey, ip, port, ip_type)?;
		let axon = AxonInfo {
			block: frame_system::Pallet::<T>::block_number(),
			version,
			ip,
			port,
			ip_type,
			protocol,
		};
		Axons::<T>::insert(netuid, uid, axon);
		Self::deposit_event(Event::AxonServed { netuid, uid, hotkey, axon });
		Ok(())
	}
}

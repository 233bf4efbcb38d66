//! Neurons announcing the endpoint they serve their model on.

use crate::{pallet::*, AxonInfo, NetUid, Uid};
use polkadot_sdk::{
	frame_support::{ensure, pallet_prelude::*},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_runtime::traits::Saturating,
};

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

//! Neurons announcing the endpoint they serve their model on.

use crate::{pallet::*, AxonInfo, NetUid};
use polkadot_sdk::{
	frame_support::{ensure, pallet_prelude::*},
	frame_system,
};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_serve_axon(
		netuid: NetUid,
		hotkey: T::AccountId,
		version: u32,
		ip: u128,
		port: u16,
		ip_type: u8,
		protocol: u8,
	) -> DispatchResult {
		ensure!(Subnets::<T>::contains_key(netuid), Error::<T>::SubnetNotFound);
		let uid = Uids::<T>::get(netuid, &hotkey).ok_or(Error::<T>::NotRegistered)?;
		ensure!(ip_type == 4 || ip_type == 6, Error::<T>::InvalidIpType);
		ensure!(ip != 0, Error::<T>::InvalidIpAddress);
		ensure!(ip_type == 6 || ip <= u32::MAX as u128, Error::<T>::InvalidIpAddress);
		ensure!(port != 0, Error::<T>::InvalidPort);

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

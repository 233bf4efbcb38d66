//! Moving a neuron from a leaked hotkey to a fresh one.

use crate::{pallet::*, NetUid};
use alloc::vec::Vec;
use polkadot_sdk::{
	frame_support::{ensure, pallet_prelude::*},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_runtime::traits::Saturating,
};

impl<T: Config> Pallet<T> {
	/// Moves everything keyed by hotkey `old` to `new`; returns how many stake positions moved
	/// (which sizes the call's weight).
	pub(crate) fn do_swap_hotkey(
		coldkey: T::AccountId,
		old: T::AccountId,
		new: T::AccountId,
	) -> Result<u32, DispatchError> {
		let owner = Owner::<T>::get(&old).ok_or(Error::<T>::HotKeyNotRegistered)?;
		ensure!(owner == coldkey, Error::<T>::NonAssociatedColdKey);
		ensure!(
			!Owner::<T>::contains_key(&new) && StakePositionCount::<T>::get(&new) == 0,
			Error::<T>::NewHotKeyInUse
		);
		let now = frame_system::Pallet::<T>::block_number();
		if let Some(at) = HotKeySwappedAt::<T>::get(&coldkey) {
			let limit = BlockNumberFor::<T>::from(T::HotKeySwapRateLimit::get());
			ensure!(now.saturating_sub(at) >= limit, Error::<T>::HotKeySwapTooFast);
		}

		let subnets: Vec<NetUid> = Subnets::<T>::iter_keys().collect();
		for netuid in subnets {
			if let Some(uid) = Uids::<T>::take(netuid, &old) {
				Uids::<T>::insert(netuid, &new, uid);
				Keys::<T>::insert(netuid, uid, &new);
			}
			let commits = WeightCommits::<T>::take(netuid, &old);
			if !commits.is_empty() {
				WeightCommits::<T>::insert(netuid, &new, commits);
			}
		}
		// Like the old one, the new hotkey lives as long as its ownership, so it can sign its
		// free calls without a balance.
		frame_system::Pallet::<T>::inc_providers(&new);
		Owner::<T>::remove(&old);
		Owner::<T>::insert(&new, &coldkey);
		Stake::<T>::insert(&new, Stake::<T>::take(&old));
		TotalShares::<T>::insert(&new, TotalShares::<T>::take(&old));
		let count = StakePositionCount::<T>::take(&old);
		StakePositionCount::<T>::insert(&new, count);
		let positions: Vec<_> = StakePositions::<T>::drain_prefix(&old).collect();
		let moved = positions.len() as u32;
		for (staker, position) in positions {
			StakePositions::<T>::insert(&new, staker, position);
		}
		if let Some(take) = Take::<T>::take(&old) {
			Take::<T>::insert(&new, take);
		}
		if let Some(at) = TakeRaisedAt::<T>::take(&old) {
			TakeRaisedAt::<T>::insert(&new, at);
		}
		HotKeySwappedAt::<T>::insert(&coldkey, now);
		Self::deposit_event(Event::HotKeySwapped { coldkey, old, new });
		Ok(moved.max(count))
	}
}

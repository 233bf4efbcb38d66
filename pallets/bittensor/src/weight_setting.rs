//! Validating and storing a neuron's weight row.

use crate::{pallet::*, NetUid, Uid};
use alloc::vec::Vec;
use polkadot_sdk::{
	frame_support::{ensure, pallet_prelude::*},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_runtime::{traits::Saturating, Perbill},
};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_set_weights(
		netuid: NetUid,
		hotkey: T::AccountId,
		uids: Vec<Uid>,
		values: Vec<u16>,
		version_key: u64,
	) -> DispatchResult {
		let hyperparameters = Subnets::<T>::get(netuid).ok_or(Error::<T>::SubnetNotFound)?;
		ensure!(uids.len() == values.len(), Error::<T>::WeightVecLengthMismatch);
		let uid = Uids::<T>::get(netuid, &hotkey).ok_or(Error::<T>::NotRegistered)?;
		ensure!(
			Stake::<T>::get(&hotkey) >= hyperparameters.min_stake_to_set_weights,
			Error::<T>::NotEnoughStakeToSetWeights
		);
		ensure!(
			version_key >= hyperparameters.weights_version_key,
			Error::<T>::IncorrectWeightVersionKey
		);

		let now = frame_system::Pallet::<T>::block_number();
		let mut last_update = LastUpdate::<T>::get(netuid);
		let previous_row = Weights::<T>::get(netuid, uid);
		// A neuron that has never set weights (its row is empty) may set them at once.
		if !previous_row.is_empty() {
			let last = last_update.get(uid as usize).copied().unwrap_or_default();
			ensure!(
				now.saturating_sub(last)
					>= BlockNumberFor::<T>::from(hyperparameters.weights_rate_limit),
				Error::<T>::SettingWeightsTooFast
			);
		}

		let size = SubnetworkN::<T>::get(netuid);
		ensure!(
			uids.len() <= (size as usize).min(T::MaxWeightsPerNeuron::get() as usize),
			Error::<T>::TooManyWeights
		);
		let mut seen = UidSet::new(size);
		for &target in &uids {
			ensure!(target < size, Error::<T>::UidNotRegistered);
			ensure!(seen.insert(target), Error::<T>::DuplicateUids);
		}
		let only_self = uids.len() == 1 && uids[0] == uid;
		let min_allowed = hyperparameters.min_allowed_weights.min(size) as usize;
		ensure!(only_self || uids.len() >= min_allowed, Error::<T>::TooFewWeights);
		let max = values.iter().copied().max().unwrap_or(0);
		ensure!(max > 0, Error::<T>::AllWeightsZero);
		let sum: u64 = values.iter().map(|&v| u64::from(v)).sum();
		if !only_self && hyperparameters.max_weight_limit < Perbill::one() {
			// max / sum > limit, in integers.
			let limit = u64::from(hyperparameters.max_weight_limit.deconstruct());
			let scale = u64::from(Perbill::one().deconstruct());
			ensure!(
				u128::from(max) * u128::from(scale) <= u128::from(limit) * u128::from(sum),
				Error::<T>::MaxWeightExceeded
			);
		}

		let mut row: Vec<(Uid, u16)> = uids
			.iter()
			.zip(&values)
			.filter_map(|(&target, &value)| {
				let scaled = u32::from(value) * u32::from(u16::MAX) / u32::from(max);
				(scaled > 0).then_some((target, scaled as u16))
			})
			.collect();
		row.sort_unstable_by_key(|&(target, _)| target);
		let count = row.len() as u32;
		let row: BoundedVec<(Uid, u16), T::MaxWeightsPerNeuron> =
			row.try_into().map_err(|_| Error::<T>::TooManyWeights)?;

		if let Some(slot) = last_update.get_mut(uid as usize) {
			*slot = now;
		}
		LastUpdate::<T>::insert(netuid, last_update);
		WeightEntries::<T>::mutate(netuid, |entries| {
			*entries = entries.saturating_sub(previous_row.len() as u32).saturating_add(count)
		});
		Weights::<T>::insert(netuid, uid, row);
		Self::deposit_event(Event::WeightsSet { netuid, uid, count });
		Ok(())
	}
}

/// A bitset over a subnet's uids, for finding repeats in O(len).
struct UidSet {
	bits: Vec<u64>,
}

impl UidSet {
	fn new(size: u16) -> Self {
		Self { bits: alloc::vec![0; (size as usize).div_ceil(64)] }
	}

	/// Inserts `uid` (which must be below the size); false when it was already present.
	fn insert(&mut self, uid: Uid) -> bool {
		let (word, bit) = (uid as usize / 64, uid % 64);
		match self.bits.get_mut(word) {
			Some(bits) if *bits & (1 << bit) == 0 => {
				*bits |= 1 << bit;
				true
			},
			_ => false,
		}
	}
}

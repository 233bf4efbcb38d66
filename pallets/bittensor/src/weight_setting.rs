//! Validating and storing a neuron's weight row.

use crate::{pallet::*, BalanceOf, NetUid, SubnetHyperparameters, Uid};
use alloc::vec::Vec;
use polkadot_sdk::{
	frame_support::{ensure, pallet_prelude::*},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_runtime::{traits::Saturating, Perbill},
};

/// What [`Pallet::check_row`] learned on the way, so that storing the row needs no second
/// read.
#[derive(Clone, Copy)]
pub(crate) struct CheckedWeights {
	/// The caller's uid.
	pub uid: Uid,
	/// The largest value of the row, which is scaled to `u16::MAX`.
	pub max: u16,
	/// Entries of the caller's previous row.
	pub previous_len: u32,
}

impl<T: Config> Pallet<T> {
	/// Every rule `set_weights` enforces, without writing anything: run by the dispatch and,
	/// before a transaction enters the pool, by [`crate::CheckNeuronCalls`].
	pub(crate) fn check_set_weights(
		netuid: NetUid,
		hotkey: &T::AccountId,
		uids: &[Uid],
		values: &[u16],
		version_key: u64,
	) -> Result<CheckedWeights, Error<T>> {
		let hyperparameters = Subnets::<T>::get(netuid).ok_or(Error::<T>::SubnetNotFound)?;
		ensure!(hyperparameters.commit_reveal_period == 0, Error::<T>::CommitRevealEnabled);
		Self::check_row(netuid, &hyperparameters, hotkey, uids, values, version_key)
	}

	/// The rules every weight row meets, set directly or revealed.
	pub(crate) fn check_row(
		netuid: NetUid,
		hyperparameters: &SubnetHyperparameters<BalanceOf<T>>,
		hotkey: &T::AccountId,
		uids: &[Uid],
		values: &[u16],
		version_key: u64,
	) -> Result<CheckedWeights, Error<T>> {
		ensure!(uids.len() == values.len(), Error::<T>::WeightVecLengthMismatch);
		let uid = Uids::<T>::get(netuid, hotkey).ok_or(Error::<T>::NotRegistered)?;
		ensure!(
			Stake::<T>::get(hotkey) >= hyperparameters.min_stake_to_set_weights,
			Error::<T>::NotEnoughStakeToSetWeights
		);
		ensure!(
			version_key >= hyperparameters.weights_version_key,
			Error::<T>::IncorrectWeightVersionKey
		);

		// Only the length of the previous row matters here; it is read without decoding it.
		let previous_len = Weights::<T>::decode_len(netuid, uid).unwrap_or(0) as u32;
		// A neuron that has never set weights (its row is empty) may set them at once.
		if previous_len > 0 {
			let now = frame_system::Pallet::<T>::block_number();
			let last = Self::last_update_of(netuid, uid);
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
		for &target in uids {
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
		Ok(CheckedWeights { uid, max, previous_len })
	}

	/// The block `uid` last set weights in (or registered in), read without decoding the
	/// subnet's whole `LastUpdate` vector: the pool asks this for every queued
	/// `set_weights`, and in a full subnet the vector is 4,096 entries long.
	fn last_update_of(netuid: NetUid, uid: Uid) -> BlockNumberFor<T> {
		let key = LastUpdate::<T>::hashed_key_for(netuid);
		let element = BlockNumberFor::<T>::max_encoded_len();
		let mut buffer = alloc::vec![0u8; element];
		// A `Vec` of fixed-size elements is its compact length followed by the elements.
		let prefix = match Self::compact_prefix_len(&key) {
			Some(prefix) => prefix,
			None => return Default::default(),
		};
		let offset = prefix.saturating_add((uid as usize).saturating_mul(element));
		// `read` answers how many bytes the value holds from `offset` on.
		match polkadot_sdk::sp_io::storage::read(&key, &mut buffer, offset as u32) {
			Some(remaining) if remaining as usize >= element => {
				BlockNumberFor::<T>::decode(&mut &buffer[..]).unwrap_or_default()
			},
			_ => Default::default(),
		}
	}

	/// Length in bytes of the compact length prefix of the vector stored at `key`.
	fn compact_prefix_len(key: &[u8]) -> Option<usize> {
		let mut first = [0u8; 1];
		polkadot_sdk::sp_io::storage::read(key, &mut first, 0)?;
		Some(match first[0] & 0b11 {
			0 => 1,
			1 => 2,
			2 => 4,
			_ => 1 + (first[0] >> 2) as usize + 4,
		})
	}

	pub(crate) fn do_set_weights(
		netuid: NetUid,
		hotkey: T::AccountId,
		uids: Vec<Uid>,
		values: Vec<u16>,
		version_key: u64,
	) -> DispatchResult {
		let checked = Self::check_set_weights(netuid, &hotkey, &uids, &values, version_key)?;
		let uid = checked.uid;
		let count = Self::store_row(netuid, &checked, uids.iter().copied().zip(values))?;
		Self::deposit_event(Event::WeightsSet { netuid, uid, count });
		Ok(())
	}

	/// Stores a checked row as the neuron's weights (max-upscaled to `u16::MAX`, zeros left
	/// out, sorted by uid) and this block as its last update; returns the entries stored.
	pub(crate) fn store_row(
		netuid: NetUid,
		checked: &CheckedWeights,
		entries: impl Iterator<Item = (Uid, u16)>,
	) -> Result<u32, Error<T>> {
		let CheckedWeights { uid, max, previous_len } = *checked;
		let now = frame_system::Pallet::<T>::block_number();
		let mut row: Vec<(Uid, u16)> = entries
			.filter_map(|(target, value)| {
				let scaled = u32::from(value) * u32::from(u16::MAX) / u32::from(max.max(1));
				(scaled > 0).then_some((target, scaled as u16))
			})
			.collect();
		row.sort_unstable_by_key(|&(target, _)| target);
		let count = row.len() as u32;
		let row: BoundedVec<(Uid, u16), T::MaxWeightsPerNeuron> =
			row.try_into().map_err(|_| Error::<T>::TooManyWeights)?;

		LastUpdate::<T>::mutate(netuid, |last_update| {
			if let Some(slot) = last_update.get_mut(uid as usize) {
				*slot = now;
			}
		});
		WeightEntries::<T>::mutate(netuid, |entries| {
			*entries = entries.saturating_sub(previous_len).saturating_add(count)
		});
		Weights::<T>::insert(netuid, uid, row);
		Ok(count)
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

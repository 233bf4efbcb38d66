//! Commit-reveal of weight rows: a neuron commits to the hash of its row in one epoch and
//! reveals the row `commit_reveal_period` epochs later, so the rows that count cannot be
//! copied while they are fresh.
//!
//! Epochs are counted per subnet: block `b` is in epoch `(b + netuid) / tempo`, whose first
//! block runs the subnet's epoch over the weights set before it (`(b + netuid) % tempo == 0`).
//! A commit stores its reveal window in blocks, so a later change of tempo does not move it.

use crate::{pallet::*, weight_setting::CheckedWeights, NetUid, Uid, WeightCommit};
use alloc::vec::Vec;
use codec::Encode;
use polkadot_sdk::{
	frame_support::{ensure, pallet_prelude::*},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_core::H256,
	sp_runtime::traits::{UniqueSaturatedFrom, UniqueSaturatedInto},
};

/// One hotkey's pending commits on one subnet.
type PendingCommits<T> = Vec<WeightCommit<BlockNumberFor<T>>>;

/// The subnet's epoch index of `block`.
pub(crate) fn epoch_index(netuid: NetUid, tempo: u16, block: u64) -> u64 {
	block.saturating_add(u64::from(netuid)) / u64::from(tempo.max(1))
}

/// The first and last block of epoch `epoch` of the subnet.
pub(crate) fn epoch_blocks(netuid: NetUid, tempo: u16, epoch: u64) -> (u64, u64) {
	let tempo = u64::from(tempo.max(1));
	let first = epoch.saturating_mul(tempo).saturating_sub(u64::from(netuid));
	let last = epoch.saturating_add(1).saturating_mul(tempo).saturating_sub(u64::from(netuid) + 1);
	(first, last)
}

/// The hash a commit carries: BLAKE2-256 of the SCALE encoding of
/// `(hotkey, netuid, uids, values, salt, version_key)`.
pub fn commit_hash<AccountId: Encode>(
	hotkey: &AccountId,
	netuid: NetUid,
	uids: &[Uid],
	values: &[u16],
	salt: &[u8; 32],
	version_key: u64,
) -> H256 {
	// Slices encode as `Vec`s do: a compact length, then the elements.
	let encoded = (hotkey, netuid, uids, values, salt, version_key).encode();
	H256(polkadot_sdk::sp_io::hashing::blake2_256(&encoded))
}

/// What [`Pallet::check_commit`] found: the new commit and the hotkey's pending ones, expired
/// commits left out.
pub(crate) struct CheckedCommit<BlockNumber> {
	pub uid: Uid,
	pub commit: WeightCommit<BlockNumber>,
	pub pending: Vec<WeightCommit<BlockNumber>>,
}

/// What [`Pallet::check_reveal`] found: the row's check, the matched commit's position, and
/// the pending commits.
pub(crate) struct CheckedReveal<BlockNumber> {
	pub row: CheckedWeights,
	pub matched: usize,
	pub pending: Vec<WeightCommit<BlockNumber>>,
}

impl<T: Config> Pallet<T> {
	fn now() -> (BlockNumberFor<T>, u64) {
		let now = frame_system::Pallet::<T>::block_number();
		(now, now.unique_saturated_into())
	}

	/// Every rule of `commit_weights`, without writing anything (the dispatch and the pool
	/// both run it).
	pub(crate) fn check_commit(
		netuid: NetUid,
		hotkey: &T::AccountId,
		hash: H256,
	) -> Result<CheckedCommit<BlockNumberFor<T>>, Error<T>> {
		let hyperparameters = Subnets::<T>::get(netuid).ok_or(Error::<T>::SubnetNotFound)?;
		let period = hyperparameters.commit_reveal_period;
		ensure!(period > 0, Error::<T>::CommitRevealDisabled);
		let uid = Uids::<T>::get(netuid, hotkey).ok_or(Error::<T>::NotRegistered)?;
		ensure!(
			Stake::<T>::get(hotkey) >= hyperparameters.min_stake_to_set_weights,
			Error::<T>::NotEnoughStakeToSetWeights
		);
		let (now, block) = Self::now();
		let mut pending = WeightCommits::<T>::get(netuid, hotkey).into_inner();
		pending.retain(|c| c.reveal_until >= now);
		let epoch = epoch_index(netuid, hyperparameters.tempo, block);
		ensure!(pending.iter().all(|c| c.epoch != epoch), Error::<T>::AlreadyCommittedThisEpoch);
		ensure!(
			(pending.len() as u32) < T::MaxPendingCommits::get(),
			Error::<T>::TooManyPendingCommits
		);
		let (from, until) =
			epoch_blocks(netuid, hyperparameters.tempo, epoch.saturating_add(u64::from(period)));
		let commit = WeightCommit {
			hash,
			epoch,
			committed_at: now,
			reveal_from: BlockNumberFor::<T>::unique_saturated_from(from),
			reveal_until: BlockNumberFor::<T>::unique_saturated_from(until),
		};
		Ok(CheckedCommit { uid, commit, pending })
	}

	pub(crate) fn do_commit_weights(
		netuid: NetUid,
		hotkey: T::AccountId,
		hash: H256,
	) -> DispatchResult {
		let CheckedCommit { uid, commit, mut pending } = Self::check_commit(netuid, &hotkey, hash)?;
		pending.push(commit);
		let pending: BoundedVec<_, T::MaxPendingCommits> =
			pending.try_into().map_err(|_| Error::<T>::TooManyPendingCommits)?;
		WeightCommits::<T>::insert(netuid, &hotkey, pending);
		Self::deposit_event(Event::WeightsCommitted {
			netuid,
			uid,
			commit_hash: hash,
			reveal_from: commit.reveal_from,
			reveal_until: commit.reveal_until,
		});
		Ok(())
	}

	/// Every rule of `reveal_weights`, without writing anything (the dispatch and the pool
	/// both run it).
	pub(crate) fn check_reveal(
		netuid: NetUid,
		hotkey: &T::AccountId,
		uids: &[Uid],
		values: &[u16],
		salt: &[u8; 32],
		version_key: u64,
	) -> Result<CheckedReveal<BlockNumberFor<T>>, Error<T>> {
		let hyperparameters = Subnets::<T>::get(netuid).ok_or(Error::<T>::SubnetNotFound)?;
		ensure!(hyperparameters.commit_reveal_period > 0, Error::<T>::CommitRevealDisabled);
		let hash = commit_hash(hotkey, netuid, uids, values, salt, version_key);
		let pending = WeightCommits::<T>::get(netuid, hotkey).into_inner();
		let matched =
			pending.iter().position(|c| c.hash == hash).ok_or(Error::<T>::NoMatchingCommit)?;
		let (now, _) = Self::now();
		ensure!(now >= pending[matched].reveal_from, Error::<T>::RevealTooEarly);
		ensure!(now <= pending[matched].reveal_until, Error::<T>::RevealTooLate);
		let row = Self::check_row(netuid, &hyperparameters, hotkey, uids, values, version_key)?;
		Ok(CheckedReveal { row, matched, pending })
	}

	pub(crate) fn do_reveal_weights(
		netuid: NetUid,
		hotkey: T::AccountId,
		uids: Vec<Uid>,
		values: Vec<u16>,
		salt: [u8; 32],
		version_key: u64,
	) -> DispatchResult {
		let CheckedReveal { row, matched, mut pending } =
			Self::check_reveal(netuid, &hotkey, &uids, &values, &salt, version_key)?;
		let commit = pending.remove(matched);
		// Uids whose hotkey registered after the commit now belong to someone else: the row
		// was meant for their previous holders, so it gives them nothing.
		let registered = BlockAtRegistration::<T>::get(netuid);
		let is_stale = |target: Uid| {
			registered.get(target as usize).is_some_and(|&at| at > commit.committed_at)
		};
		let kept: Vec<(Uid, u16)> = uids
			.iter()
			.copied()
			.zip(values.iter().copied())
			.filter(|&(target, _)| !is_stale(target))
			.collect();
		let dropped = (uids.len() - kept.len()) as u32;
		let max = kept.iter().map(|&(_, v)| v).max().unwrap_or(0);
		let count = Self::store_row(netuid, &CheckedWeights { max, ..row }, kept.into_iter())?;
		let pending: BoundedVec<_, T::MaxPendingCommits> =
			pending.try_into().map_err(|_| Error::<T>::TooManyPendingCommits)?;
		if pending.is_empty() {
			WeightCommits::<T>::remove(netuid, &hotkey);
		} else {
			WeightCommits::<T>::insert(netuid, &hotkey, pending);
		}
		Self::deposit_event(Event::WeightsRevealed { netuid, uid: row.uid, count, dropped });
		Ok(())
	}

	/// Drops the subnet's commits whose reveal window ended before `now`; returns how many
	/// hotkeys' commits were read.
	pub(crate) fn drop_expired_commits(netuid: NetUid, now: BlockNumberFor<T>) -> u64 {
		let mut read = 0u64;
		let mut changed: Vec<(T::AccountId, PendingCommits<T>)> = Vec::new();
		for (hotkey, pending) in WeightCommits::<T>::iter_prefix(netuid) {
			read = read.saturating_add(1);
			if pending.iter().any(|c| c.reveal_until < now) {
				let kept = pending.into_iter().filter(|c| c.reveal_until >= now).collect();
				changed.push((hotkey, kept));
			}
		}
		for (hotkey, kept) in changed {
			if kept.is_empty() {
				WeightCommits::<T>::remove(netuid, &hotkey);
			} else {
				WeightCommits::<T>::insert(netuid, &hotkey, BoundedVec::truncate_from(kept));
			}
		}
		read
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn epochs_are_counted_from_the_subnets_epoch_blocks() {
		// Subnet 1, tempo 10: epochs run at blocks 9, 19, 29, …, each the first of its epoch.
		assert_eq!(epoch_index(1, 10, 8), 0);
		assert_eq!(epoch_index(1, 10, 9), 1);
		assert_eq!(epoch_index(1, 10, 18), 1);
		assert_eq!(epoch_blocks(1, 10, 1), (9, 18));
		assert_eq!(epoch_blocks(1, 10, 3), (29, 38));
		// A tempo of 0 counts as 1; huge values saturate instead of overflowing.
		assert_eq!(epoch_index(0, 0, 7), 7);
		assert_eq!(epoch_blocks(5, 2, u64::MAX).1, u64::MAX - 6);
	}

	#[test]
	fn the_hash_covers_every_argument() {
		let base = commit_hash(&7u64, 1, &[1, 2], &[3, 4], &[9; 32], 0);
		assert_ne!(base, commit_hash(&8u64, 1, &[1, 2], &[3, 4], &[9; 32], 0));
		assert_ne!(base, commit_hash(&7u64, 2, &[1, 2], &[3, 4], &[9; 32], 0));
		assert_ne!(base, commit_hash(&7u64, 1, &[2, 1], &[3, 4], &[9; 32], 0));
		assert_ne!(base, commit_hash(&7u64, 1, &[1, 2], &[4, 3], &[9; 32], 0));
		assert_ne!(base, commit_hash(&7u64, 1, &[1, 2], &[3, 4], &[8; 32], 0));
		assert_ne!(base, commit_hash(&7u64, 1, &[1, 2], &[3, 4], &[9; 32], 1));
		// Exactly BLAKE2-256 of the documented tuple's SCALE encoding.
		let encoded = (7u64, 1u16, vec![1u16, 2], vec![3u16, 4], [9u8; 32], 0u64).encode();
		assert_eq!(base, H256(polkadot_sdk::sp_io::hashing::blake2_256(&encoded)));
	}
}

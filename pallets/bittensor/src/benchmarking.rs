//! Benchmarks for every call and for the epoch (frame-benchmarking v2).
//!
//! Each call is measured on its worst path: registration into a full subnet (replacement
//! scan), weights with every uid of the subnet, stake moves that touch the vault.

use super::*;
use crate::types::SubnetHyperparameters;
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{fungible::Mutate, Get, Hooks},
	BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use sp_runtime::{traits::Bounded, Perbill};

/// The most neurons a benchmark fills a subnet with: the runtime's limit. Run as tests, in the
/// unoptimised mock, the benchmarks stop at 256: the same paths (a full subnet, every uid
/// weighted) in seconds instead of minutes; `scripts/benchmark-pallet.sh` measures the full
/// sizes on the wasm runtime.
#[cfg(not(test))]
const MAX_NEURONS: u32 = 4096;
#[cfg(test)]
const MAX_NEURONS: u32 = 256;

/// Far from the netuids genesis presets create.
const NETUID: NetUid = 4242;
const SEED: u32 = 0;

fn hyperparameters<T: Config>(max_uids: u16) -> SubnetHyperparameters<BalanceOf<T>> {
	SubnetHyperparameters {
		tempo: 100,
		rho: 10,
		kappa: Perbill::from_percent(50),
		emission_per_block: 1_000_000_000u32.into(),
		max_uids,
		min_allowed_weights: 1,
		max_weight_limit: Perbill::one(),
		weights_rate_limit: 0,
		activity_cutoff: 5_000,
		immunity_period: 0,
		registration_burn: 1_000u32.into(),
		bonds_moving_average: Perbill::from_percent(90),
		min_stake_to_set_weights: 0u32.into(),
		weights_version_key: 0,
		mechanism: Mechanism::Paper,
		commit_reveal_period: 0,
		max_burn: 1_000_000u32.into(),
		burn_increase: Perbill::from_percent(26),
		burn_half_life: 100,
		min_non_immune_uids: 1,
	}
}

fn max_uids<T: Config>() -> u16 {
	T::MaxUidsLimit::get().min(u16::MAX as u32) as u16
}

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let account: T::AccountId = account(name, index, SEED);
	T::Currency::set_balance(&account, BalanceOf::<T>::max_value() / 1_000_000u32.into());
	account
}

/// Subnet `NETUID` with room for `capacity` neurons and `size` of them registered, each with a
/// funded owner and stake.
fn populated_subnet<T: Config>(capacity: u16, size: u16) -> Vec<T::AccountId> {
	Pallet::<T>::do_create_subnet(NETUID, hyperparameters::<T>(capacity.max(1)))
		.expect("valid hyperparameters");
	(0..size as u32)
		.map(|i| {
			let coldkey = funded::<T>("coldkey", i);
			let hotkey: T::AccountId = account("hotkey", i, SEED);
			Pallet::<T>::do_register(
				NETUID,
				coldkey.clone(),
				hotkey.clone(),
				BalanceOf::<T>::max_value(),
			)
			.expect("room in the subnet");
			Pallet::<T>::do_add_stake(coldkey, hotkey.clone(), 1_000_000u32.into())
				.expect("funded coldkey");
			hotkey
		})
		.collect()
}

/// Subnet `NETUID` with room for `capacity` neurons and `size` of them written straight into
/// storage (O(size), unlike `size` registrations), each staked, with `per_row` weights and as
/// many bonds; all registered at block 1 and last updated at `now`.
fn insert_neurons<T: Config>(
	capacity: u16,
	size: u16,
	per_row: u16,
	now: BlockNumberFor<T>,
) -> Vec<T::AccountId> {
	Pallet::<T>::do_create_subnet(NETUID, hyperparameters::<T>(capacity.max(1)))
		.expect("valid hyperparameters");
	Pallet::<T>::ensure_vault_exists();
	let zero = sp_runtime::Perquintill::zero();
	let mut hotkeys = Vec::with_capacity(size as usize);
	let mut entries = 0u32;
	for uid in 0..size {
		let hotkey: T::AccountId = account("hotkey", uid as u32, SEED);
		let coldkey: T::AccountId = account("coldkey", uid as u32, SEED);
		Keys::<T>::insert(NETUID, uid, &hotkey);
		Uids::<T>::insert(NETUID, &hotkey, uid);
		Owner::<T>::insert(&hotkey, &coldkey);
		// The owner's position, then a nominator's of the same size: the epoch's pay takes
		// its longest path (the owner's take minted as new shares) for every neuron.
		Pallet::<T>::pay_hotkey(&hotkey, BalanceOf::<T>::from(1_000_000u32 + uid as u32));
		nominate::<T>(&hotkey, &account("nominator", uid as u32, SEED));
		let mut row: Vec<(Uid, u16)> = (0..per_row.min(size))
			.map(|k| ((uid as u32 + k as u32 * 7) as u16 % size, 1 + ((uid ^ k) % 60_000)))
			.collect();
		row.sort_unstable_by_key(|&(target, _)| target);
		row.dedup_by_key(|&mut (target, _)| target);
		entries += row.len() as u32;
		if !row.is_empty() {
			let bonds: Vec<(Uid, u64)> =
				row.iter().map(|&(target, _)| (target, 1_000_000)).collect();
			Weights::<T>::insert(NETUID, uid, BoundedVec::truncate_from(row));
			Bonds::<T>::insert(NETUID, uid, BoundedVec::truncate_from(bonds));
		}
		hotkeys.push(hotkey);
	}
	let n = size as usize;
	SubnetworkN::<T>::insert(NETUID, size);
	WeightEntries::<T>::insert(NETUID, entries);
	Rank::<T>::insert(NETUID, BoundedVec::truncate_from(vec![zero; n]));
	Trust::<T>::insert(NETUID, BoundedVec::truncate_from(vec![zero; n]));
	Consensus::<T>::insert(NETUID, BoundedVec::truncate_from(vec![zero; n]));
	Incentive::<T>::insert(NETUID, BoundedVec::truncate_from(vec![zero; n]));
	ValidatorTrust::<T>::insert(NETUID, BoundedVec::truncate_from(vec![zero; n]));
	Dividends::<T>::insert(NETUID, BoundedVec::truncate_from(vec![zero; n]));
	// Distinct emissions, so a replacement has to scan for the minimum.
	let emission: Vec<BalanceOf<T>> =
		(0..n as u32).map(|uid| BalanceOf::<T>::from(n as u32 - uid)).collect();
	Emission::<T>::insert(NETUID, BoundedVec::truncate_from(emission));
	LastUpdate::<T>::insert(NETUID, BoundedVec::truncate_from(vec![now; n]));
	Active::<T>::insert(NETUID, BoundedVec::truncate_from(vec![true; n]));
	BlockAtRegistration::<T>::insert(
		NETUID,
		BoundedVec::truncate_from(vec![BlockNumberFor::<T>::from(1u32); n]),
	);
	hotkeys
}

/// Gives `nominator` a position of 1,000,000 on `hotkey`, written into storage (at the pool's
/// share price, one share per unit when the pool is new).
fn nominate<T: Config>(hotkey: &T::AccountId, nominator: &T::AccountId) {
	use sp_runtime::traits::{Saturating, UniqueSaturatedInto};
	let value: u128 = 1_000_000;
	let pool: u128 = Stake::<T>::get(hotkey).unique_saturated_into();
	let issued = TotalShares::<T>::get(hotkey);
	let total = issued.total;
	let shares = if total == 0 || pool == 0 { value } else { value * total / pool };
	let amount: BalanceOf<T> = 1_000_000u32.into();
	StakePositions::<T>::insert(
		hotkey,
		nominator,
		crate::StakePosition { shares, principal: amount, ..Default::default() },
	);
	StakePositionCount::<T>::mutate(hotkey, |count| *count += 1);
	TotalShares::<T>::insert(
		hotkey,
		crate::PoolShares {
			total: total.saturating_add(shares),
			nominated: issued.nominated.saturating_add(shares),
		},
	);
	Stake::<T>::mutate(hotkey, |stake| *stake = stake.saturating_add(amount));
	TotalStake::<T>::mutate(|sum| *sum = sum.saturating_add(amount));
}

/// Creates subnets up to `MaxSubnets` and registers `hotkey` as uid 0 of each new one, so a
/// call that visits every subnet the hotkey is in visits the most there can be.
fn registered_in_every_subnet<T: Config>(hotkey: &T::AccountId) {
	let others = T::MaxSubnets::get().saturating_sub(SubnetCount::<T>::get());
	for netuid in 0..others {
		let netuid = netuid as NetUid + 10;
		Pallet::<T>::do_create_subnet(netuid, hyperparameters::<T>(16)).expect("room");
		Uids::<T>::insert(netuid, hotkey, 0);
		Keys::<T>::insert(netuid, 0, hotkey);
	}
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn create_subnet() {
		let hp = hyperparameters::<T>(max_uids::<T>());

		#[extrinsic_call]
		_(RawOrigin::Root, NETUID, hp);

		assert!(Subnets::<T>::contains_key(NETUID));
	}

	#[benchmark]
	fn set_hyperparameters() {
		populated_subnet::<T>(16, 1);
		let mut hp = hyperparameters::<T>(max_uids::<T>());
		hp.tempo = 7;

		#[extrinsic_call]
		_(RawOrigin::Root, NETUID, hp);

		assert_eq!(Subnets::<T>::get(NETUID).map(|h| h.tempo), Some(7));
	}

	/// Registration into a full subnet of `n` neurons: the replacement scan is linear in `n`.
	#[benchmark]
	fn register(n: Linear<1, { MAX_NEURONS }>) {
		let n = n.min(max_uids::<T>() as u32) as u16;
		insert_neurons::<T>(n, n, 0, 1u32.into());
		frame_system::Pallet::<T>::set_block_number(10u32.into());
		let coldkey = funded::<T>("newcomer", 0);
		let hotkey: T::AccountId = account("newcomer-hotkey", 0, SEED);

		#[extrinsic_call]
		_(RawOrigin::Signed(coldkey), NETUID, hotkey.clone(), BalanceOf::<T>::max_value());

		assert!(Uids::<T>::contains_key(NETUID, &hotkey));
	}

	#[benchmark]
	fn serve_axon() {
		let hotkeys = populated_subnet::<T>(16, 1);

		#[extrinsic_call]
		_(RawOrigin::Signed(hotkeys[0].clone()), NETUID, 1, 0x0808_0808, 8091, 4, 0);

		assert!(Axons::<T>::contains_key(NETUID, 0));
	}

	/// A nominator's first position, on a hotkey registered in the most subnets (the hold
	/// period reads every subnet).
	#[benchmark]
	fn add_stake() {
		let hotkeys = populated_subnet::<T>(16, 1);
		registered_in_every_subnet::<T>(&hotkeys[0]);
		let nominator = funded::<T>("nominator", 0);
		let amount = T::MinNomination::get().max(5_000u32.into());

		#[extrinsic_call]
		_(RawOrigin::Signed(nominator.clone()), hotkeys[0].clone(), amount);

		assert!(StakePositions::<T>::contains_key(&hotkeys[0], &nominator));
	}

	/// Part of a position, past its hold period.
	#[benchmark]
	fn remove_stake() {
		let hotkeys = populated_subnet::<T>(16, 1);
		let coldkey: T::AccountId = account("coldkey", 0, SEED);
		frame_system::Pallet::<T>::set_block_number(10_000u32.into());

		#[extrinsic_call]
		_(RawOrigin::Signed(coldkey), hotkeys[0].clone(), 5_000u32.into());

		assert_eq!(Stake::<T>::get(&hotkeys[0]), 995_000u32.into());
	}

	/// Opening a subnet when all but one of `MaxSubnets` exist (the free netuid is searched).
	#[benchmark]
	fn register_network() {
		// Fill the free netuids from 1 up, around any the genesis already holds (the dev
		// chain's subnet 1), until one place is left.
		let mut netuid: NetUid = 0;
		while SubnetCount::<T>::get().saturating_add(1) < T::MaxSubnets::get() {
			netuid += 1;
			if !Subnets::<T>::contains_key(netuid) {
				Pallet::<T>::do_create_subnet(netuid, hyperparameters::<T>(16)).expect("room");
			}
		}
		let builder = funded::<T>("builder", 0);
		let mut hp = hyperparameters::<T>(max_uids::<T>());
		hp.emission_per_block = 0u32.into();
		hp.tempo = T::MinOwnerTempo::get().max(1);

		#[extrinsic_call]
		_(RawOrigin::Signed(builder.clone()), hp, BalanceOf::<T>::max_value());

		assert_eq!(SubnetCount::<T>::get(), T::MaxSubnets::get());
	}

	/// Dissolving a subnet of `n` neurons with weights and bonds.
	#[benchmark]
	fn dissolve_network(n: Linear<1, { MAX_NEURONS }>) {
		let n = n.min(max_uids::<T>() as u32).max(1) as u16;
		insert_neurons::<T>(n, n, 8, 1u32.into());

		#[extrinsic_call]
		_(RawOrigin::Root, NETUID);

		assert!(!Subnets::<T>::contains_key(NETUID));
	}

	/// A raise of the take (the rate limit is read and written).
	#[benchmark]
	fn set_take() {
		let hotkeys = populated_subnet::<T>(16, 1);
		let coldkey: T::AccountId = account("coldkey", 0, SEED);
		let take = T::MaxTake::get();

		#[extrinsic_call]
		_(RawOrigin::Signed(coldkey), hotkeys[0].clone(), take);

		assert_eq!(Pallet::<T>::take_of(&hotkeys[0]), take);
	}

	/// A swap of a hotkey registered in every subnet with `p` positions on it.
	#[benchmark]
	fn swap_hotkey(p: Linear<1, 256>) {
		let hotkeys = populated_subnet::<T>(16, 1);
		registered_in_every_subnet::<T>(&hotkeys[0]);
		let p = p.min(T::MaxStakePositions::get());
		for k in 1..p {
			nominate::<T>(&hotkeys[0], &account("nominator", k, SEED));
		}
		let coldkey: T::AccountId = account("coldkey", 0, SEED);
		let new: T::AccountId = account("new-hotkey", 0, SEED);

		#[extrinsic_call]
		_(RawOrigin::Signed(coldkey), hotkeys[0].clone(), new.clone());

		assert_eq!(StakePositionCount::<T>::get(&new), p);
	}

	/// A row of `w` weights on uids `0..w` of a subnet of `n` neurons (the call rewrites the
	/// subnet's `LastUpdate`, one entry per neuron). The ranges end at the runtime's largest
	/// subnet (4,096) and `MaxWeightsPerNeuron` (256).
	#[benchmark]
	fn set_weights(n: Linear<1, { MAX_NEURONS }>, w: Linear<1, 256>) {
		let n = n.min(max_uids::<T>() as u32).max(1) as u16;
		let w = w.min(u32::from(n)).min(T::MaxWeightsPerNeuron::get()) as u16;
		let hotkeys = insert_neurons::<T>(n, n, 0, 1u32.into());
		let uids: Vec<Uid> = (0..w).collect();
		let values: Vec<u16> = (0..w).map(|k| 1 + k % 1000).collect();

		#[extrinsic_call]
		_(RawOrigin::Signed(hotkeys[0].clone()), NETUID, uids, values, 0);

		assert_eq!(Weights::<T>::get(NETUID, 0).len(), w as usize);
	}

	/// A commit by a hotkey holding the most pending commits but one, in a subnet with the
	/// longest period (so every pending commit is read and kept).
	#[benchmark]
	fn commit_weights() {
		let hotkeys = insert_neurons::<T>(16, 16, 0, 1u32.into());
		Subnets::<T>::mutate(NETUID, |h| {
			if let Some(h) = h {
				h.commit_reveal_period = crate::MAX_COMMIT_REVEAL_PERIOD;
				h.tempo = 10;
			}
		});
		let block = 1_000u32;
		frame_system::Pallet::<T>::set_block_number(block.into());
		let earlier: Vec<WeightCommit<BlockNumberFor<T>>> = (1..T::MaxPendingCommits::get())
			.map(|k| WeightCommit {
				hash: sp_core::H256::repeat_byte(k as u8),
				epoch: u64::from(k),
				committed_at: 1u32.into(),
				reveal_from: 1u32.into(),
				reveal_until: (block + 1_000).into(),
			})
			.collect();
		WeightCommits::<T>::insert(NETUID, &hotkeys[0], BoundedVec::truncate_from(earlier));
		let hash = sp_core::H256::repeat_byte(0xab);

		#[extrinsic_call]
		_(RawOrigin::Signed(hotkeys[0].clone()), NETUID, hash);

		assert_eq!(
			WeightCommits::<T>::get(NETUID, &hotkeys[0]).len() as u32,
			T::MaxPendingCommits::get()
		);
	}

	/// A reveal of `w` weights in a subnet of `n` neurons, matching the last of the most
	/// pending commits.
	#[benchmark]
	fn reveal_weights(n: Linear<1, { MAX_NEURONS }>, w: Linear<1, 256>) {
		let n = n.min(max_uids::<T>() as u32).max(1) as u16;
		let w = w.min(u32::from(n)).min(T::MaxWeightsPerNeuron::get()) as u16;
		let hotkeys = insert_neurons::<T>(n, n, 0, 1u32.into());
		Subnets::<T>::mutate(NETUID, |h| {
			if let Some(h) = h {
				h.commit_reveal_period = 1;
			}
		});
		let block = 1_000u32;
		frame_system::Pallet::<T>::set_block_number(block.into());
		let uids: Vec<Uid> = (0..w).collect();
		let values: Vec<u16> = (0..w).map(|k| 1 + k % 1000).collect();
		let salt = [7u8; 32];
		let hash = crate::commit_reveal::commit_hash(&hotkeys[0], NETUID, &uids, &values, &salt, 0);
		let pending: Vec<WeightCommit<BlockNumberFor<T>>> = (0..T::MaxPendingCommits::get())
			.map(|k| WeightCommit {
				hash: if k + 1 == T::MaxPendingCommits::get() {
					hash
				} else {
					sp_core::H256::repeat_byte(k as u8)
				},
				epoch: u64::from(k),
				committed_at: 500u32.into(),
				reveal_from: 900u32.into(),
				reveal_until: 1_100u32.into(),
			})
			.collect();
		WeightCommits::<T>::insert(NETUID, &hotkeys[0], BoundedVec::truncate_from(pending));

		#[extrinsic_call]
		_(RawOrigin::Signed(hotkeys[0].clone()), NETUID, uids, values, salt, 0);

		assert_eq!(Weights::<T>::get(NETUID, 0).len(), w as usize);
	}

	/// The epoch of a subnet of `n` neurons with `w` weights each (and bonds from a previous
	/// epoch), written straight into storage to keep set-up fast.
	#[benchmark]
	fn epoch(n: Linear<1, { MAX_NEURONS }>, w: Linear<0, 256>) {
		let n = n.min(max_uids::<T>() as u32) as u16;
		let now: BlockNumberFor<T> = 1_000u32.into();
		frame_system::Pallet::<T>::set_block_number(now);
		let w = w.min(T::MaxWeightsPerNeuron::get()) as u16;
		insert_neurons::<T>(n, n, w, now);
		let size = n as usize;
		LastEpochBlock::<T>::insert(NETUID, BlockNumberFor::<T>::from(900u32));

		#[block]
		{
			Pallet::<T>::epoch(NETUID, now);
		}

		assert_eq!(LastEpochBlock::<T>::get(NETUID), now);
		assert_eq!(Emission::<T>::get(NETUID).len(), size);
	}

	/// The same epoch under consensus clipping (its columns are sorted, O(nnz log nnz)).
	#[benchmark]
	fn epoch_clipped(n: Linear<1, { MAX_NEURONS }>, w: Linear<0, 256>) {
		let n = n.min(max_uids::<T>() as u32) as u16;
		let now: BlockNumberFor<T> = 1_000u32.into();
		frame_system::Pallet::<T>::set_block_number(now);
		let w = w.min(T::MaxWeightsPerNeuron::get()) as u16;
		insert_neurons::<T>(n, n, w, now);
		Subnets::<T>::mutate(NETUID, |h| {
			if let Some(h) = h {
				h.mechanism = Mechanism::Clipped;
			}
		});
		let size = n as usize;
		LastEpochBlock::<T>::insert(NETUID, BlockNumberFor::<T>::from(900u32));

		#[block]
		{
			Pallet::<T>::epoch(NETUID, now);
		}

		assert_eq!(LastEpochBlock::<T>::get(NETUID), now);
		assert_eq!(ValidatorTrust::<T>::get(NETUID).len(), size);
	}

	/// `on_initialize` in a block where no subnet runs its epoch, with `s` subnets.
	#[benchmark]
	fn on_initialize_idle(s: Linear<0, 64>) {
		let s = s.min(T::MaxSubnets::get().saturating_sub(SubnetCount::<T>::get()));
		for netuid in 0..s {
			Pallet::<T>::do_create_subnet(netuid as NetUid + 10, hyperparameters::<T>(16))
				.expect("room for subnets");
		}
		// Tempo 100: block 1 is due for no netuid in 10..74.
		let block: BlockNumberFor<T> = 1u32.into();

		#[block]
		{
			Pallet::<T>::on_initialize(block);
		}
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}

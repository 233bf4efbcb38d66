//! Running due epochs and paying their emission: load a subnet's state, call the pure epoch,
//! store the results and mint the emission onto stake.

use crate::{
	math::{
		epoch::{run_epoch, EpochInput, EpochParams},
		fixed::ONE,
	},
	pallet::*,
	BalanceOf, Mechanism, NetUid, PayoutKind, WeightInfo,
};
use alloc::vec::Vec;
use polkadot_sdk::{
	frame_support::{pallet_prelude::*, traits::fungible::Mutate},
	frame_system::pallet_prelude::BlockNumberFor,
	sp_runtime::{
		traits::{Saturating, UniqueSaturatedFrom, UniqueSaturatedInto, Zero},
		Perquintill,
	},
};

impl<T: Config> Pallet<T> {
	/// Runs the epoch of every subnet whose tempo divides `block` (offset by its netuid so
	/// that subnets with equal tempos do not all run in the same block).
	pub(crate) fn run_due_epochs(block: BlockNumberFor<T>) -> Weight {
		let now: u64 = block.unique_saturated_into();
		let mut weight = T::WeightInfo::on_initialize_idle(SubnetCount::<T>::get());
		for (netuid, hyperparameters) in Subnets::<T>::iter() {
			let tempo = u64::from(hyperparameters.tempo.max(1));
			if (now.saturating_add(u64::from(netuid))) % tempo == 0 {
				weight.saturating_accrue(Self::epoch(netuid, block));
			}
		}
		weight
	}

	/// Runs subnet `netuid`'s epoch at `block` and returns its weight.
	pub fn epoch(netuid: NetUid, block: BlockNumberFor<T>) -> Weight {
		let Some(hyperparameters) = Subnets::<T>::get(netuid) else {
			return T::DbWeight::get().reads(1);
		};
		let size = SubnetworkN::<T>::get(netuid);
		let n = size as usize;
		let entries = WeightEntries::<T>::get(netuid);
		let per_row = if size == 0 { 0 } else { entries / u32::from(size) };
		let weight = match hyperparameters.mechanism {
			Mechanism::Paper => T::WeightInfo::epoch(u32::from(size), per_row),
			Mechanism::Clipped => T::WeightInfo::epoch_clipped(u32::from(size), per_row),
		};

		let hotkeys: Vec<Option<T::AccountId>> =
			(0..size).map(|uid| Keys::<T>::get(netuid, uid)).collect();
		let stake_now: Vec<BalanceOf<T>> = hotkeys
			.iter()
			.map(|hotkey| hotkey.as_ref().map_or_else(Zero::zero, Stake::<T>::get))
			.collect();
		// Only stake held since the last epoch counts: what arrived since (a block before this
		// epoch, say) neither moves consensus nor earns until it has been at stake a tempo.
		let held = EpochStake::<T>::get(netuid);
		let stake: Vec<u128> = stake_now
			.iter()
			.enumerate()
			.map(|(uid, now)| {
				let counted = if held.is_empty() {
					*now
				} else {
					held.get(uid).copied().unwrap_or_else(Zero::zero).min(*now)
				};
				counted.unique_saturated_into()
			})
			.collect();
		let weights: Vec<_> = (0..size).map(|uid| Weights::<T>::get(netuid, uid)).collect();
		let bonds: Vec<_> = (0..size).map(|uid| Bonds::<T>::get(netuid, uid)).collect();
		let to_u64 = |b: &BlockNumberFor<T>| -> u64 { (*b).unique_saturated_into() };
		let last_update: Vec<u64> = LastUpdate::<T>::get(netuid).iter().map(to_u64).collect();
		let registered_at: Vec<u64> =
			BlockAtRegistration::<T>::get(netuid).iter().map(to_u64).collect();

		let emission: u128 = hyperparameters
			.emission_per_block
			.saturating_mul(BalanceOf::<T>::from(u32::from(hyperparameters.tempo)))
			.unique_saturated_into();
		let params = EpochParams {
			block: to_u64(&block),
			activity_cutoff: u64::from(hyperparameters.activity_cutoff),
			last_epoch_block: to_u64(&LastEpochBlock::<T>::get(netuid)),
			rho: u128::from(hyperparameters.rho).saturating_mul(ONE),
			kappa: perbill_to_fraction(hyperparameters.kappa),
			bonds_moving_average: perbill_to_fraction(hyperparameters.bonds_moving_average),
			emission,
			max_bonds_per_row: T::MaxWeightsPerNeuron::get() as usize,
			mechanism: hyperparameters.mechanism,
		};
		let input = EpochInput {
			stake: &stake,
			weights: &weights,
			bonds: &bonds,
			last_update: &last_update,
			registered_at: &registered_at,
		};
		let output = run_epoch(&params, &input);

		// Mint first: if the vault cannot take the emission, nobody is credited.
		let total: BalanceOf<T> = BalanceOf::<T>::unique_saturated_from(output.total_emitted);
		let minted = total.is_zero() || {
			Self::ensure_vault_exists();
			T::Currency::mint_into(&Self::vault_account(), total).is_ok()
		};
		let mut paid: Vec<BalanceOf<T>> = Vec::with_capacity(n);
		let mut credited: BalanceOf<T> = Zero::zero();
		for (uid, amount) in output.emission.iter().enumerate() {
			let amount =
				if minted { BalanceOf::<T>::unique_saturated_from(*amount) } else { Zero::zero() };
			if let (false, Some(Some(hotkey)), Some(pool)) =
				(amount.is_zero(), hotkeys.get(uid), stake_now.get(uid))
			{
				// The pool as read above: a hotkey holds one uid per subnet, so nothing has
				// paid it since.
				Self::pay_into_pool(hotkey, *pool, amount);
				credited.saturating_accrue(amount);
			}
			paid.push(amount);
		}
		TotalStake::<T>::mutate(|sum| *sum = sum.saturating_add(credited));
		// What each neuron holds now, pay included, is what the next epoch may count.
		let held_now: Vec<BalanceOf<T>> =
			stake_now.iter().zip(&paid).map(|(stake, pay)| stake.saturating_add(*pay)).collect();
		EpochStake::<T>::insert(netuid, NeuronVec::<T, _>::truncate_from(held_now));

		Rank::<T>::insert(netuid, bounded_fractions::<T>(&output.rank));
		Trust::<T>::insert(netuid, bounded_fractions::<T>(&output.trust));
		Consensus::<T>::insert(netuid, bounded_fractions::<T>(&output.consensus));
		Incentive::<T>::insert(netuid, bounded_fractions::<T>(&output.incentive));
		ValidatorTrust::<T>::insert(netuid, bounded_fractions::<T>(&output.validator_trust));
		Dividends::<T>::insert(netuid, bounded_fractions::<T>(&output.dividends));
		Emission::<T>::insert(netuid, NeuronVec::<T, _>::truncate_from(paid));
		Active::<T>::insert(netuid, NeuronVec::<T, _>::truncate_from(output.active));
		for (uid, row) in output.bonds.into_iter().enumerate() {
			let uid = uid as u16;
			if row.is_empty() {
				Bonds::<T>::remove(netuid, uid);
			} else {
				Bonds::<T>::insert(netuid, uid, BoundedVec::truncate_from(row));
			}
		}
		LastEpochBlock::<T>::insert(netuid, block);
		// Commits whose reveal window has closed can no longer count: drop them.
		let committers = Self::drop_expired_commits(netuid, block);

		let (emitted, payout) = if minted {
			(total, output.payout.into())
		} else {
			(Zero::zero(), PayoutKind::Nothing)
		};
		Self::deposit_event(Event::EpochCompleted { netuid, emitted, payout });
		weight.saturating_add(T::DbWeight::get().reads_writes(committers, committers))
	}
}

fn perbill_to_fraction(value: polkadot_sdk::sp_runtime::Perbill) -> u128 {
	u128::from(value.deconstruct()) * (ONE / 1_000_000_000)
}

fn bounded_fractions<T: Config>(values: &[u64]) -> NeuronVec<T, Perquintill> {
	NeuronVec::<T, Perquintill>::truncate_from(
		values.iter().map(|&v| Perquintill::from_parts(v)).collect::<Vec<_>>(),
	)
}

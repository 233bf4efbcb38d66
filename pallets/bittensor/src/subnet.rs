//! Creating subnets (by root, or by anyone for a lock), changing their hyperparameters and
//! dissolving them.

use crate::{pallet::*, BalanceOf, NetUid, SubnetHyperparameters};
use polkadot_sdk::{
	frame_support::{
		ensure,
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, Mutate},
			tokens::{Fortitude, Preservation},
		},
	},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_runtime::{
		traits::{Saturating, UniqueSaturatedInto, Zero},
		Perbill,
	},
};

impl<T: Config> Pallet<T> {
	/// Rejects hyperparameters the market cannot run with.
	pub(crate) fn validate_hyperparameters(
		hyperparameters: &SubnetHyperparameters<BalanceOf<T>>,
	) -> DispatchResult {
		ensure!(hyperparameters.tempo >= 1, Error::<T>::InvalidTempo);
		ensure!(
			hyperparameters.max_uids >= 1
				&& u32::from(hyperparameters.max_uids) <= T::MaxUidsLimit::get(),
			Error::<T>::InvalidMaxUids
		);
		ensure!(
			hyperparameters.min_allowed_weights <= hyperparameters.max_uids,
			Error::<T>::InvalidMinAllowedWeights
		);
		ensure!(
			hyperparameters.max_weight_limit > Perbill::zero(),
			Error::<T>::InvalidMaxWeightLimit
		);
		ensure!(
			hyperparameters.bonds_moving_average < Perbill::one(),
			Error::<T>::InvalidBondsMovingAverage
		);
		ensure!(
			hyperparameters.commit_reveal_period <= crate::MAX_COMMIT_REVEAL_PERIOD,
			Error::<T>::InvalidCommitRevealPeriod
		);
		ensure!(
			hyperparameters.max_burn >= hyperparameters.registration_burn,
			Error::<T>::InvalidBurnRange
		);
		Ok(())
	}

	/// The rules an owner (not root) must keep: it cannot mint (`emission_per_block` stays
	/// what it was: 0 for a new subnet) and keeps the tempo within the chain's bounds.
	fn validate_owner_hyperparameters(
		hyperparameters: &SubnetHyperparameters<BalanceOf<T>>,
		emission_per_block: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(
			hyperparameters.emission_per_block == emission_per_block,
			Error::<T>::EmissionNotSettableByOwner
		);
		ensure!(
			(T::MinOwnerTempo::get()..=T::MaxOwnerTempo::get()).contains(&hyperparameters.tempo),
			Error::<T>::TempoOutsideOwnerBounds
		);
		Ok(())
	}

	pub(crate) fn do_create_subnet(
		netuid: NetUid,
		hyperparameters: SubnetHyperparameters<BalanceOf<T>>,
	) -> DispatchResult {
		ensure!(!Subnets::<T>::contains_key(netuid), Error::<T>::SubnetAlreadyExists);
		let count = SubnetCount::<T>::get();
		ensure!(count < T::MaxSubnets::get(), Error::<T>::TooManySubnets);
		Self::validate_hyperparameters(&hyperparameters)?;

		Subnets::<T>::insert(netuid, hyperparameters.clone());
		SubnetCount::<T>::put(count.saturating_add(1));
		Self::deposit_event(Event::SubnetCreated { netuid, hyperparameters });
		Ok(())
	}

	/// `caller` is `None` for root, the signer otherwise.
	pub(crate) fn do_set_hyperparameters(
		netuid: NetUid,
		hyperparameters: SubnetHyperparameters<BalanceOf<T>>,
		caller: Option<T::AccountId>,
	) -> DispatchResult {
		let current = Subnets::<T>::get(netuid).ok_or(Error::<T>::SubnetNotFound)?;
		Self::validate_hyperparameters(&hyperparameters)?;
		if let Some(caller) = caller {
			Self::ensure_subnet_owner(netuid, &caller)?;
			let now = frame_system::Pallet::<T>::block_number();
			if let Some(at) = OwnerHyperparametersSetAt::<T>::get(netuid) {
				let limit = BlockNumberFor::<T>::from(T::OwnerHyperparametersRateLimit::get());
				ensure!(now.saturating_sub(at) >= limit, Error::<T>::HyperparametersSetTooFast);
			}
			Self::validate_owner_hyperparameters(&hyperparameters, current.emission_per_block)?;
			OwnerHyperparametersSetAt::<T>::insert(netuid, now);
		}
		ensure!(
			hyperparameters.max_uids >= SubnetworkN::<T>::get(netuid),
			Error::<T>::MaxUidsBelowSubnetSize
		);

		Subnets::<T>::insert(netuid, hyperparameters.clone());
		Self::deposit_event(Event::HyperparametersSet { netuid, hyperparameters });
		Ok(())
	}
}

impl<T: Config> Pallet<T> {
	fn ensure_subnet_owner(netuid: NetUid, caller: &T::AccountId) -> DispatchResult {
		ensure!(SubnetOwner::<T>::get(netuid).as_ref() == Some(caller), Error::<T>::NotSubnetOwner);
		Ok(())
	}

	/// What opening a subnet costs now: twice the last lock, falling linearly to
	/// `NetworkMinLockCost` over `NetworkLockReductionInterval` blocks.
	pub fn network_lock_cost() -> BalanceOf<T> {
		let minimum = T::NetworkMinLockCost::get();
		let (last, at) = LastLockCost::<T>::get();
		let doubled: u128 = last.saturating_mul(2u32.into()).unique_saturated_into();
		let interval = u128::from(T::NetworkLockReductionInterval::get());
		let now = frame_system::Pallet::<T>::block_number();
		let elapsed: u128 = now.saturating_sub(at).unique_saturated_into();
		let left = interval.saturating_sub(elapsed);
		let cost = if interval == 0 {
			0
		} else {
			polkadot_sdk::sp_runtime::helpers_128bit::multiply_by_rational_with_rounding(
				doubled,
				left,
				interval,
				polkadot_sdk::sp_runtime::Rounding::Up,
			)
			.unwrap_or(doubled)
		};
		use polkadot_sdk::sp_runtime::traits::UniqueSaturatedFrom;
		BalanceOf::<T>::unique_saturated_from(cost).max(minimum)
	}

	pub(crate) fn do_register_network(
		owner: T::AccountId,
		hyperparameters: SubnetHyperparameters<BalanceOf<T>>,
		max_lock_cost: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(SubnetCount::<T>::get() < T::MaxSubnets::get(), Error::<T>::TooManySubnets);
		Self::validate_hyperparameters(&hyperparameters)?;
		Self::validate_owner_hyperparameters(&hyperparameters, Zero::zero())?;
		let cost = Self::network_lock_cost();
		ensure!(cost <= max_lock_cost, Error::<T>::LockCostAboveLimit);
		let spendable =
			T::Currency::reducible_balance(&owner, Preservation::Preserve, Fortitude::Polite);
		ensure!(spendable >= cost, Error::<T>::NotEnoughBalanceToLock);
		// The lowest free netuid from 1: at most `MaxSubnets` are taken, so one of the first
		// `MaxSubnets + 1` is free.
		let netuid = (1..=NetUid::MAX)
			.find(|netuid| !Subnets::<T>::contains_key(netuid))
			.ok_or(Error::<T>::TooManySubnets)?;

		// Locks sit in the stake vault beside the stake ([`SubnetLocked`] says whose they are).
		Self::ensure_vault_exists();
		T::Currency::transfer(&owner, &Self::vault_account(), cost, Preservation::Preserve)
			.map_err(|_| Error::<T>::NotEnoughBalanceToLock)?;
		let now = frame_system::Pallet::<T>::block_number();
		LastLockCost::<T>::put((cost, now));
		Self::do_create_subnet(netuid, hyperparameters)?;
		SubnetOwner::<T>::insert(netuid, &owner);
		SubnetLocked::<T>::insert(netuid, cost);
		// The owner's first change may follow at once; later ones are rate-limited.
		Self::deposit_event(Event::NetworkRegistered { netuid, owner, locked: cost });
		Ok(())
	}

	/// Removes subnet `netuid` and everything in it; returns how many neurons it held.
	pub(crate) fn do_dissolve_network(
		netuid: NetUid,
		caller: Option<T::AccountId>,
	) -> Result<u32, DispatchError> {
		ensure!(Subnets::<T>::contains_key(netuid), Error::<T>::SubnetNotFound);
		if let Some(caller) = &caller {
			Self::ensure_subnet_owner(netuid, caller)?;
		}
		let size = SubnetworkN::<T>::get(netuid);
		let refunded = SubnetLocked::<T>::take(netuid);
		if let Some(owner) = SubnetOwner::<T>::take(netuid) {
			if !refunded.is_zero() {
				// The vault keeps its existential deposit, so every lock can be returned.
				T::Currency::transfer(
					&Self::vault_account(),
					&owner,
					refunded,
					Preservation::Preserve,
				)?;
			}
		}
		let limit = u32::from(size).saturating_add(1);
		let _ = Keys::<T>::clear_prefix(netuid, limit, None);
		let _ = Uids::<T>::clear_prefix(netuid, limit, None);
		let _ = Axons::<T>::clear_prefix(netuid, limit, None);
		let _ = Weights::<T>::clear_prefix(netuid, limit, None);
		let _ = Bonds::<T>::clear_prefix(netuid, limit, None);
		let _ = WeightCommits::<T>::clear_prefix(netuid, limit, None);
		Rank::<T>::remove(netuid);
		Trust::<T>::remove(netuid);
		Consensus::<T>::remove(netuid);
		Incentive::<T>::remove(netuid);
		ValidatorTrust::<T>::remove(netuid);
		Dividends::<T>::remove(netuid);
		Emission::<T>::remove(netuid);
		LastUpdate::<T>::remove(netuid);
		Active::<T>::remove(netuid);
		BlockAtRegistration::<T>::remove(netuid);
		EpochStake::<T>::remove(netuid);
		WeightEntries::<T>::remove(netuid);
		SubnetworkN::<T>::remove(netuid);
		BurnPrice::<T>::remove(netuid);
		LastEpochBlock::<T>::remove(netuid);
		OwnerHyperparametersSetAt::<T>::remove(netuid);
		Subnets::<T>::remove(netuid);
		SubnetCount::<T>::mutate(|count| *count = count.saturating_sub(1));
		Self::deposit_event(Event::NetworkDissolved { netuid, refunded });
		Ok(u32::from(size))
	}
}

//! Moving balance between a coldkey and the stake it holds on its hotkey.
//!
//! Staked balance sits in the stake vault account, so total issuance never changes by
//! staking; the per-hotkey ledger is [`Stake`].

use crate::{pallet::*, BalanceOf};
use polkadot_sdk::{
	frame_support::{
		ensure,
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, Mutate},
			tokens::{Fortitude, Preservation},
		},
	},
	sp_runtime::traits::{Saturating, Zero},
};

impl<T: Config> Pallet<T> {
	/// Checks that `coldkey` owns `hotkey`.
	fn ensure_owner(coldkey: &T::AccountId, hotkey: &T::AccountId) -> DispatchResult {
		let owner = Owner::<T>::get(hotkey).ok_or(Error::<T>::HotKeyNotRegistered)?;
		ensure!(&owner == coldkey, Error::<T>::NonAssociatedColdKey);
		Ok(())
	}

	pub(crate) fn do_add_stake(
		coldkey: T::AccountId,
		hotkey: T::AccountId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		Self::ensure_owner(&coldkey, &hotkey)?;
		let spendable =
			T::Currency::reducible_balance(&coldkey, Preservation::Preserve, Fortitude::Polite);
		ensure!(spendable >= amount, Error::<T>::NotEnoughBalanceToStake);

		Self::ensure_vault_exists();
		T::Currency::transfer(&coldkey, &Self::vault_account(), amount, Preservation::Preserve)?;
		Self::credit_stake(&hotkey, amount);
		Self::deposit_event(Event::StakeAdded { coldkey, hotkey, amount });
		Ok(())
	}

	pub(crate) fn do_remove_stake(
		coldkey: T::AccountId,
		hotkey: T::AccountId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		Self::ensure_owner(&coldkey, &hotkey)?;
		let staked = Stake::<T>::get(&hotkey);
		ensure!(staked >= amount, Error::<T>::NotEnoughStakeToWithdraw);

		// The vault keeps its existential deposit, so every unit of stake is withdrawable.
		T::Currency::transfer(&Self::vault_account(), &coldkey, amount, Preservation::Preserve)?;
		Stake::<T>::insert(&hotkey, staked - amount);
		TotalStake::<T>::mutate(|total| *total = total.saturating_sub(amount));
		Self::deposit_event(Event::StakeRemoved { coldkey, hotkey, amount });
		Ok(())
	}

	/// Adds `amount` to the ledger of `hotkey`; the caller has already moved or minted the
	/// balance into the vault.
	pub(crate) fn credit_stake(hotkey: &T::AccountId, amount: BalanceOf<T>) {
		Stake::<T>::mutate(hotkey, |stake| *stake = stake.saturating_add(amount));
		TotalStake::<T>::mutate(|total| *total = total.saturating_add(amount));
	}
}

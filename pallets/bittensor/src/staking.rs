//! Stake: any coldkey's positions on any registered hotkey, as shares of the hotkey's pool.
//!
//! Staked balance sits in the stake vault account, so total issuance never changes by
//! staking; [`Stake`] is each hotkey's pool (what the epoch reads), [`TotalShares`] the shares
//! issued on it and [`StakePositions`] who holds them. The epoch adds a hotkey's pay to its
//! pool in O(1) ([`Pallet::pay_hotkey`]), so every position's worth grows by its share
//! without visiting it, however many nominators a hotkey has; the owner's take is minted to
//! it as new shares.

use crate::{pallet::*, BalanceOf, PoolShares, StakePosition};
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
		helpers_128bit::multiply_by_rational_with_rounding,
		traits::{Saturating, UniqueSaturatedFrom, UniqueSaturatedInto, Zero},
		Perbill, Rounding,
	},
};

/// `a × b / c`, rounded as asked; `None` only when `c` is zero or the result overflows.
fn mul_div(a: u128, b: u128, c: u128, rounding: Rounding) -> Option<u128> {
	multiply_by_rational_with_rounding(a, b, c, rounding)
}

impl<T: Config> Pallet<T> {
	/// The take `hotkey`'s owner keeps of its nominators' dividends.
	pub fn take_of(hotkey: &T::AccountId) -> Perbill {
		Take::<T>::get(hotkey).unwrap_or_else(T::DefaultTake::get)
	}

	/// What `coldkey`'s position on `hotkey` is worth now (rounded down).
	pub fn position_value(hotkey: &T::AccountId, coldkey: &T::AccountId) -> BalanceOf<T> {
		let shares = StakePositions::<T>::get(hotkey, coldkey).map_or(0, |p| p.shares);
		Self::shares_value(hotkey, shares)
	}

	fn shares_value(hotkey: &T::AccountId, shares: u128) -> BalanceOf<T> {
		let pool: u128 = Stake::<T>::get(hotkey).unique_saturated_into();
		let total = TotalShares::<T>::get(hotkey).total;
		let value = if shares >= total {
			// The last shares own the whole pool, rounding dust included.
			pool
		} else {
			mul_div(shares, pool, total, Rounding::Down).unwrap_or(0)
		};
		BalanceOf::<T>::unique_saturated_from(value)
	}

	/// Blocks new stake on `hotkey` must stay: the longest tempo among the subnets it is
	/// registered in, so that stake collects an epoch's pay only after a whole tempo at stake.
	pub fn hold_period(hotkey: &T::AccountId) -> u32 {
		Subnets::<T>::iter()
			.filter(|(netuid, _)| Uids::<T>::contains_key(netuid, hotkey))
			.map(|(_, hyperparameters)| u32::from(hyperparameters.tempo))
			.max()
			.unwrap_or(0)
	}

	pub(crate) fn do_add_stake(
		coldkey: T::AccountId,
		hotkey: T::AccountId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let owner = Owner::<T>::get(&hotkey).ok_or(Error::<T>::HotKeyNotRegistered)?;
		let existing = StakePositions::<T>::get(&hotkey, &coldkey);
		if existing.is_none() {
			ensure!(
				owner == coldkey || amount >= T::MinNomination::get(),
				Error::<T>::NominationTooSmall
			);
			ensure!(
				StakePositionCount::<T>::get(&hotkey) < T::MaxStakePositions::get(),
				Error::<T>::TooManyStakePositions
			);
		}
		let pool: u128 = Stake::<T>::get(&hotkey).unique_saturated_into();
		let mut issued = TotalShares::<T>::get(&hotkey);
		let total = issued.total;
		let value: u128 = amount.unique_saturated_into();
		// An empty pool (or one whose shares are all gone) restarts at one share per unit.
		let shares = if total == 0 || pool == 0 {
			value
		} else {
			mul_div(value, total, pool, Rounding::Down).unwrap_or(0)
		};
		ensure!(shares > 0, Error::<T>::AmountBelowOneShare);
		let spendable =
			T::Currency::reducible_balance(&coldkey, Preservation::Preserve, Fortitude::Polite);
		ensure!(spendable >= amount, Error::<T>::NotEnoughBalanceToStake);

		Self::ensure_vault_exists();
		T::Currency::transfer(&coldkey, &Self::vault_account(), amount, Preservation::Preserve)?;
		let now = frame_system::Pallet::<T>::block_number();
		let mut position = existing.unwrap_or_default();
		if existing.is_none() {
			StakePositionCount::<T>::mutate(&hotkey, |count| *count = count.saturating_add(1));
		}
		position.shares = position.shares.saturating_add(shares);
		position.principal = position.principal.saturating_add(amount);
		position.locked = if now < position.locked_until {
			position.locked.saturating_add(amount)
		} else {
			amount
		};
		position.locked_until = now.saturating_add(Self::hold_period(&hotkey).into());
		StakePositions::<T>::insert(&hotkey, &coldkey, position);
		issued.total = total.saturating_add(shares);
		if coldkey != owner {
			issued.nominated = issued.nominated.saturating_add(shares);
		}
		TotalShares::<T>::insert(&hotkey, issued);
		Self::credit_pool(&hotkey, amount);
		Self::deposit_event(Event::StakeAdded { coldkey, hotkey, amount });
		Ok(())
	}

	pub(crate) fn do_remove_stake(
		coldkey: T::AccountId,
		hotkey: T::AccountId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let mut position =
			StakePositions::<T>::get(&hotkey, &coldkey).ok_or(Error::<T>::NoStakePosition)?;
		let worth = Self::shares_value(&hotkey, position.shares);
		ensure!(worth >= amount, Error::<T>::NotEnoughStakeToWithdraw);
		let now = frame_system::Pallet::<T>::block_number();
		if now < position.locked_until {
			ensure!(worth.saturating_sub(position.locked) >= amount, Error::<T>::StakeStillLocked);
		}
		let pool: u128 = Stake::<T>::get(&hotkey).unique_saturated_into();
		let mut issued = TotalShares::<T>::get(&hotkey);
		let total = issued.total;
		let value: u128 = amount.unique_saturated_into();
		// Shares burned round up, so what stays behind is never worth less than before.
		let burned = if amount == worth {
			position.shares
		} else {
			mul_div(value, total, pool, Rounding::Up).unwrap_or(u128::MAX).min(position.shares)
		};

		// The vault keeps its existential deposit, so every unit of stake is withdrawable.
		T::Currency::transfer(&Self::vault_account(), &coldkey, amount, Preservation::Preserve)?;
		let principal: u128 = position.principal.unique_saturated_into();
		let kept = mul_div(principal, position.shares - burned, position.shares, Rounding::Down)
			.unwrap_or(0);
		position.principal = BalanceOf::<T>::unique_saturated_from(kept);
		position.shares -= burned;
		if position.shares == 0 {
			StakePositions::<T>::remove(&hotkey, &coldkey);
			StakePositionCount::<T>::mutate(&hotkey, |count| *count = count.saturating_sub(1));
		} else {
			StakePositions::<T>::insert(&hotkey, &coldkey, position);
		}
		issued.total = total.saturating_sub(burned);
		if Owner::<T>::get(&hotkey).as_ref() != Some(&coldkey) {
			issued.nominated = issued.nominated.saturating_sub(burned);
		}
		TotalShares::<T>::insert(&hotkey, issued);
		Stake::<T>::insert(&hotkey, Stake::<T>::get(&hotkey).saturating_sub(amount));
		TotalStake::<T>::mutate(|sum| *sum = sum.saturating_sub(amount));
		Self::deposit_event(Event::StakeRemoved { coldkey, hotkey, amount });
		Ok(())
	}

	/// Adds `amount`, already moved or minted into the vault, to `hotkey`'s pool.
	fn credit_pool(hotkey: &T::AccountId, amount: BalanceOf<T>) {
		Stake::<T>::mutate(hotkey, |stake| *stake = stake.saturating_add(amount));
		TotalStake::<T>::mutate(|total| *total = total.saturating_add(amount));
	}

	/// Pays `amount`, already minted into the vault, to `hotkey`, whose pool holds `pool`
	/// (read by the caller): the pool grows by `amount`, so each position earns its share; of
	/// what the nominators' shares earn, the owner's take is minted to the owner's position as
	/// new shares. The positions' worths grow by `amount` in all (each rounded down by less
	/// than one unit). The caller adds `amount` to [`TotalStake`]: the epoch adds all of its
	/// pay at once.
	///
	/// A hotkey without nominators, the common case, costs one read ([`TotalShares`]) and one
	/// write ([`Stake`]).
	pub(crate) fn pay_into_pool(hotkey: &T::AccountId, pool: BalanceOf<T>, amount: BalanceOf<T>) {
		if amount.is_zero() {
			return;
		}
		let worth: u128 = pool.unique_saturated_into();
		let issued = TotalShares::<T>::get(hotkey);
		if issued.total == 0 || worth == 0 {
			// Nobody holds a share: the pay opens the owner's position.
			if let Some(owner) = Owner::<T>::get(hotkey) {
				let value: u128 = amount.unique_saturated_into();
				Self::add_owner_shares(hotkey, &owner, issued, value);
			}
		} else if issued.nominated > 0 {
			let take = Self::take_of(hotkey);
			if let (Some(owner), false) = (Owner::<T>::get(hotkey), take.is_zero()) {
				let (total, nominated) = (issued.total, issued.nominated.min(issued.total));
				let paid: u128 = amount.unique_saturated_into();
				let nominators_part = mul_div(paid, nominated, total, Rounding::Down).unwrap_or(0);
				let kept = take.mul_floor(nominators_part);
				// The owner's new shares x take exactly `kept` from the nominators' worth V
				// once the pool holds the pay: V·total/(total + x) = V − kept, so x =
				// kept·total/(V − kept). (The owner's own shares are not diluted by its take.)
				let after = worth.saturating_add(paid);
				let nominated_worth = mul_div(nominated, after, total, Rounding::Down).unwrap_or(0);
				let minted = mul_div(
					kept,
					total,
					nominated_worth.saturating_sub(kept).max(1),
					Rounding::Down,
				)
				.unwrap_or(0);
				if minted > 0 {
					Self::add_owner_shares(hotkey, &owner, issued, minted);
				}
			}
		}
		Stake::<T>::insert(hotkey, pool.saturating_add(amount));
	}

	/// Adds `shares` to the position of `hotkey`'s owner (opening it if need be) and to the
	/// shares issued on the pool.
	fn add_owner_shares(
		hotkey: &T::AccountId,
		owner: &T::AccountId,
		issued: PoolShares,
		shares: u128,
	) {
		let mut position = StakePositions::<T>::get(hotkey, owner).unwrap_or_else(|| {
			StakePositionCount::<T>::mutate(hotkey, |c| *c = c.saturating_add(1));
			StakePosition::default()
		});
		position.shares = position.shares.saturating_add(shares);
		StakePositions::<T>::insert(hotkey, owner, position);
		TotalShares::<T>::insert(
			hotkey,
			PoolShares { total: issued.total.saturating_add(shares), ..issued },
		);
	}

	/// [`Self::pay_into_pool`] for one hotkey on its own, [`TotalStake`] included.
	#[cfg(feature = "runtime-benchmarks")]
	pub(crate) fn pay_hotkey(hotkey: &T::AccountId, amount: BalanceOf<T>) {
		Self::pay_into_pool(hotkey, Stake::<T>::get(hotkey), amount);
		TotalStake::<T>::mutate(|total| *total = total.saturating_add(amount));
	}

	pub(crate) fn do_set_take(
		coldkey: T::AccountId,
		hotkey: T::AccountId,
		take: Perbill,
	) -> DispatchResult {
		let owner = Owner::<T>::get(&hotkey).ok_or(Error::<T>::HotKeyNotRegistered)?;
		ensure!(owner == coldkey, Error::<T>::NonAssociatedColdKey);
		ensure!(take <= T::MaxTake::get(), Error::<T>::TakeAboveMax);
		if take > Self::take_of(&hotkey) {
			let now = frame_system::Pallet::<T>::block_number();
			if let Some(at) = TakeRaisedAt::<T>::get(&hotkey) {
				let limit = BlockNumberFor::<T>::from(T::TakeRaiseRateLimit::get());
				ensure!(now.saturating_sub(at) >= limit, Error::<T>::TakeRaisedTooFast);
			}
			TakeRaisedAt::<T>::insert(&hotkey, now);
		}
		Take::<T>::insert(&hotkey, take);
		Self::deposit_event(Event::TakeSet { hotkey, take });
		Ok(())
	}
}

//! Registering hotkeys into subnets at a price that follows demand, and replacing the weakest
//! neuron of a full subnet.

use crate::{pallet::*, BalanceOf, NetUid, SubnetHyperparameters, Uid};
use polkadot_sdk::{
	frame_support::{
		ensure,
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, Mutate},
			tokens::{Fortitude, Precision, Preservation},
		},
	},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_runtime::{
		traits::{Saturating, UniqueSaturatedFrom, UniqueSaturatedInto, Zero},
		Perquintill,
	},
};

/// Most of the subnet owner's neurons a registration passes over when choosing whom to
/// replace (see `replacement_candidate`); beyond them the owner's neurons compete like any.
pub const OWNER_NEURONS_PASSED: usize = 8;

impl<T: Config> Pallet<T> {
	/// Registers `hotkey` for `coldkey`; returns the subnet's size afterwards (which sizes the
	/// call's weight).
	pub(crate) fn do_register(
		netuid: NetUid,
		coldkey: T::AccountId,
		hotkey: T::AccountId,
		max_burn: BalanceOf<T>,
	) -> Result<u32, DispatchError> {
		let hyperparameters = Subnets::<T>::get(netuid).ok_or(Error::<T>::SubnetNotFound)?;
		ensure!(
			!Uids::<T>::contains_key(netuid, &hotkey),
			Error::<T>::HotKeyAlreadyRegisteredInSubnet
		);
		if let Some(owner) = Owner::<T>::get(&hotkey) {
			ensure!(owner == coldkey, Error::<T>::NonAssociatedColdKey);
		}
		let now = frame_system::Pallet::<T>::block_number();
		let burn = Self::registration_price_at(netuid, &hyperparameters, now);
		ensure!(burn <= max_burn, Error::<T>::RegistrationPriceAboveLimit);
		let spendable =
			T::Currency::reducible_balance(&coldkey, Preservation::Preserve, Fortitude::Polite);
		ensure!(spendable >= burn, Error::<T>::NotEnoughBalanceToRegister);

		let size = SubnetworkN::<T>::get(netuid);
		let (uid, replaced) = if size < hyperparameters.max_uids {
			(size, None)
		} else {
			let uid = Self::replacement_candidate(netuid, &hyperparameters, now, size);
			(uid, Keys::<T>::get(netuid, uid))
		};

		if !burn.is_zero() {
			T::Currency::burn_from(
				&coldkey,
				burn,
				Preservation::Preserve,
				Precision::Exact,
				Fortitude::Polite,
			)
			.map_err(|_| Error::<T>::NotEnoughBalanceToRegister)?;
		}

		if let Some(old) = &replaced {
			Uids::<T>::remove(netuid, old);
			let cleared = Weights::<T>::take(netuid, uid).len() as u32;
			WeightEntries::<T>::mutate(netuid, |entries| {
				*entries = entries.saturating_sub(cleared)
			});
			Bonds::<T>::remove(netuid, uid);
			Axons::<T>::remove(netuid, uid);
		} else {
			SubnetworkN::<T>::insert(netuid, size.saturating_add(1));
		}
		Keys::<T>::insert(netuid, uid, &hotkey);
		Uids::<T>::insert(netuid, &hotkey, uid);
		if !Owner::<T>::contains_key(&hotkey) {
			// The hotkey becomes an account of its own that lives as long as its ownership
			// (forever): its nonce persists and it can sign its free `serve_axon` and
			// `set_weights` without holding any balance.
			frame_system::Pallet::<T>::inc_providers(&hotkey);
			Owner::<T>::insert(&hotkey, &coldkey);
		}
		Self::reset_neuron_vectors(netuid, uid, now)?;
		BurnPrice::<T>::insert(netuid, (Self::raised_price(burn, &hyperparameters), now));

		Self::deposit_event(Event::NeuronRegistered {
			netuid,
			uid,
			hotkey,
			coldkey,
			burned: burn,
			replaced,
		});
		Ok(u32::from(SubnetworkN::<T>::get(netuid)))
	}

	/// What registering in subnet `netuid` costs now.
	pub fn registration_price(netuid: NetUid) -> Option<BalanceOf<T>> {
		let hyperparameters = Subnets::<T>::get(netuid)?;
		let now = frame_system::Pallet::<T>::block_number();
		Some(Self::registration_price_at(netuid, &hyperparameters, now))
	}

	/// The price at `now`: the last price's excess over the floor halves every
	/// `burn_half_life` blocks (linearly within each halving), clamped to
	/// `[registration_burn, max_burn]`.
	pub(crate) fn registration_price_at(
		netuid: NetUid,
		hyperparameters: &SubnetHyperparameters<BalanceOf<T>>,
		now: BlockNumberFor<T>,
	) -> BalanceOf<T> {
		let floor = hyperparameters.registration_burn;
		let ceiling = hyperparameters.max_burn.max(floor);
		let Some((last, at)) = BurnPrice::<T>::get(netuid) else { return floor };
		let excess: u128 = last.saturating_sub(floor).unique_saturated_into();
		let elapsed: u128 = now.saturating_sub(at).unique_saturated_into();
		let excess = decayed(excess, elapsed, u128::from(hyperparameters.burn_half_life));
		floor.saturating_add(BalanceOf::<T>::unique_saturated_from(excess)).min(ceiling)
	}

	/// The price after a registration paid `price`: raised by `burn_increase`, clamped.
	fn raised_price(
		price: BalanceOf<T>,
		hyperparameters: &SubnetHyperparameters<BalanceOf<T>>,
	) -> BalanceOf<T> {
		let floor = hyperparameters.registration_burn;
		let raised = price.saturating_add(hyperparameters.burn_increase.mul_floor(price));
		raised.max(floor).min(hyperparameters.max_burn.max(floor))
	}

	/// The uid a new registration replaces in a full subnet: lowest last emission among
	/// neurons past their immunity period, then the oldest registration, then the lowest uid.
	/// When fewer than `min_non_immune_uids` are past immunity, immune neurons compete too.
	/// The subnet owner's neurons are kept while anything else can go: the best candidates are
	/// looked at in order and the owner's passed over, at most [`OWNER_NEURONS_PASSED`] of them
	/// (two reads each), so a registration's cost does not grow with the subnet.
	pub(crate) fn replacement_candidate(
		netuid: NetUid,
		hyperparameters: &SubnetHyperparameters<BalanceOf<T>>,
		now: BlockNumberFor<T>,
		size: u16,
	) -> Uid {
		let emission = Emission::<T>::get(netuid);
		let registered = BlockAtRegistration::<T>::get(netuid);
		let immunity = BlockNumberFor::<T>::from(hyperparameters.immunity_period);
		// (emission, registered at, uid, immune): the smallest goes.
		let mut ranked: alloc::vec::Vec<_> = (0..size)
			.map(|uid| {
				let at = registered.get(uid as usize).copied().unwrap_or_default();
				let earned = emission.get(uid as usize).copied().unwrap_or_else(Zero::zero);
				(earned, at, uid, now.saturating_sub(at) < immunity)
			})
			.collect();
		ranked.sort_unstable_by_key(|c| (c.0, c.1, c.2));
		let past_immunity: alloc::vec::Vec<Uid> =
			ranked.iter().filter(|c| !c.3).map(|c| c.2).collect();
		let everyone: alloc::vec::Vec<Uid> = ranked.iter().map(|c| c.2).collect();
		// A subnet without an owner (root's genesis subnets) keeps nobody's neurons.
		let subnet_owner = SubnetOwner::<T>::get(netuid);
		let owners = |uid: Uid| {
			subnet_owner.as_ref().is_some_and(|subnet_owner| {
				Keys::<T>::get(netuid, uid)
					.and_then(Owner::<T>::get)
					.is_some_and(|coldkey| &coldkey == subnet_owner)
			})
		};
		// The first of `pool` that is not the owner's, and how many of the owner's were passed.
		let first_not_owners = |pool: &[Uid]| -> (Option<Uid>, usize) {
			let mut passed = 0;
			for &uid in pool {
				if passed >= OWNER_NEURONS_PASSED || !owners(uid) {
					return (Some(uid), passed);
				}
				passed += 1;
			}
			(None, passed)
		};
		let (outside, passed) = first_not_owners(&past_immunity);
		// Neurons past immunity that are the owner's do not count toward the minimum.
		let others_past_immunity = past_immunity.len().saturating_sub(passed);
		let immunity_counts = outside.is_some()
			&& others_past_immunity >= usize::from(hyperparameters.min_non_immune_uids);
		if immunity_counts {
			return outside.unwrap_or(0);
		}
		first_not_owners(&everyone).0.or(everyone.first().copied()).unwrap_or(0)
	}

	/// Gives `uid` fresh per-neuron entries, appending them when `uid` is new.
	fn reset_neuron_vectors(netuid: NetUid, uid: Uid, now: BlockNumberFor<T>) -> DispatchResult {
		let zero = Perquintill::zero();
		Rank::<T>::try_mutate(netuid, |v| place(v, uid, zero))?;
		Trust::<T>::try_mutate(netuid, |v| place(v, uid, zero))?;
		Consensus::<T>::try_mutate(netuid, |v| place(v, uid, zero))?;
		Incentive::<T>::try_mutate(netuid, |v| place(v, uid, zero))?;
		ValidatorTrust::<T>::try_mutate(netuid, |v| place(v, uid, zero))?;
		Dividends::<T>::try_mutate(netuid, |v| place(v, uid, zero))?;
		// A newcomer's stake has not been held across an epoch of this subnet yet.
		EpochStake::<T>::try_mutate(netuid, |v| {
			if v.is_empty() {
				Ok(())
			} else {
				place(v, uid, Zero::zero())
			}
		})?;
		Emission::<T>::try_mutate(netuid, |v| place(v, uid, Zero::zero()))?;
		LastUpdate::<T>::try_mutate(netuid, |v| place(v, uid, now))?;
		Active::<T>::try_mutate(netuid, |v| place(v, uid, false))?;
		BlockAtRegistration::<T>::try_mutate(netuid, |v| place(v, uid, now))?;
		Ok(())
	}
}

/// Writes `value` at `uid`, growing the vector (with defaults) when `uid` is past its end.
fn place<V: Clone + Default, S: Get<u32>>(
	vector: &mut BoundedVec<V, S>,
	uid: Uid,
	value: V,
) -> DispatchResult {
	let index = uid as usize;
	while vector.len() <= index {
		vector.try_push(V::default()).map_err(|_| DispatchError::Other("subnet vector full"))?;
	}
	if let Some(slot) = vector.get_mut(index) {
		*slot = value;
	}
	Ok(())
}

/// `excess` after `elapsed` blocks of halving every `half_life` blocks, linear within a
/// halving (so the curve is continuous and exact at every whole half-life).
pub(crate) fn decayed(excess: u128, elapsed: u128, half_life: u128) -> u128 {
	if half_life == 0 {
		return if elapsed == 0 { excess } else { 0 };
	}
	let halvings = elapsed / half_life;
	if halvings >= 128 {
		return 0;
	}
	let start = excess >> halvings;
	// Within a halving the value falls from `start` to `start / 2`.
	let into = elapsed % half_life;
	let fall = polkadot_sdk::sp_runtime::helpers_128bit::multiply_by_rational_with_rounding(
		start / 2 + start % 2,
		into,
		half_life,
		polkadot_sdk::sp_runtime::Rounding::Down,
	)
	.unwrap_or(0);
	start.saturating_sub(fall)
}

//! Registering hotkeys into subnets, and replacing the weakest neuron of a full subnet.

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
		traits::{Saturating, Zero},
		Perquintill,
	},
};

impl<T: Config> Pallet<T> {
	/// Registers `hotkey` for `coldkey`; returns the subnet's size afterwards (which sizes the
	/// call's weight).
	pub(crate) fn do_register(
		netuid: NetUid,
		coldkey: T::AccountId,
		hotkey: T::AccountId,
	) -> Result<u32, DispatchError> {
		let hyperparameters = Subnets::<T>::get(netuid).ok_or(Error::<T>::SubnetNotFound)?;
		ensure!(
			!Uids::<T>::contains_key(netuid, &hotkey),
			Error::<T>::HotKeyAlreadyRegisteredInSubnet
		);
		if let Some(owner) = Owner::<T>::get(&hotkey) {
			ensure!(owner == coldkey, Error::<T>::NonAssociatedColdKey);
		}
		let burn = hyperparameters.registration_burn;
		let spendable =
			T::Currency::reducible_balance(&coldkey, Preservation::Preserve, Fortitude::Polite);
		ensure!(spendable >= burn, Error::<T>::NotEnoughBalanceToRegister);

		let now = frame_system::Pallet::<T>::block_number();
		let size = SubnetworkN::<T>::get(netuid);
		let (uid, replaced) = if size < hyperparameters.max_uids {
			(size, None)
		} else {
			let uid = Self::replacement_candidate(netuid, &hyperparameters, now, size)
				.ok_or(Error::<T>::AllNeuronsImmune)?;
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

	/// The uid a new registration replaces in a full subnet: lowest last emission among
	/// neurons past their immunity period, then the oldest registration, then the lowest uid.
	pub(crate) fn replacement_candidate(
		netuid: NetUid,
		hyperparameters: &SubnetHyperparameters<BalanceOf<T>>,
		now: BlockNumberFor<T>,
		size: u16,
	) -> Option<Uid> {
		let emission = Emission::<T>::get(netuid);
		let registered = BlockAtRegistration::<T>::get(netuid);
		let immunity = BlockNumberFor::<T>::from(hyperparameters.immunity_period);
		(0..size)
			.filter_map(|uid| {
				let at = registered.get(uid as usize).copied().unwrap_or_default();
				let past_immunity = now.saturating_sub(at) >= immunity;
				past_immunity.then(|| {
					let earned = emission.get(uid as usize).copied().unwrap_or_else(Zero::zero);
					(earned, at, uid)
				})
			})
			.min()
			.map(|(_, _, uid)| uid)
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

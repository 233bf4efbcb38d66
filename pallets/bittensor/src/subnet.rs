//! Creating subnets and changing their hyperparameters.

use crate::{pallet::*, BalanceOf, NetUid, SubnetHyperparameters};
use polkadot_sdk::{
	frame_support::{ensure, pallet_prelude::*},
	sp_runtime::Perbill,
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

	pub(crate) fn do_set_hyperparameters(
		netuid: NetUid,
		hyperparameters: SubnetHyperparameters<BalanceOf<T>>,
	) -> DispatchResult {
		ensure!(Subnets::<T>::contains_key(netuid), Error::<T>::SubnetNotFound);
		Self::validate_hyperparameters(&hyperparameters)?;
		ensure!(
			hyperparameters.max_uids >= SubnetworkN::<T>::get(netuid),
			Error::<T>::MaxUidsBelowSubnetSize
		);

		Subnets::<T>::insert(netuid, hyperparameters.clone());
		Self::deposit_event(Event::HyperparametersSet { netuid, hyperparameters });
		Ok(())
	}
}

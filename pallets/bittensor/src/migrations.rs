//! Storage migrations, one module per storage version they lead to.

/// v1: subnets gain the `mechanism` and `commit_reveal_period` hyperparameters. Subnets that
/// existed before keep running the mechanism they always ran, `Paper`, with commit-reveal off;
/// new subnets default to `Clipped`.
pub mod v1 {
	use crate::{pallet::*, BalanceOf, Mechanism};
	use codec::Decode;
	use core::marker::PhantomData;
	use polkadot_sdk::{
		frame_support::{
			migrations::VersionedMigration, pallet_prelude::*, storage::unhashed,
			traits::UncheckedOnRuntimeUpgrade,
		},
		sp_runtime::Perbill,
	};

	/// Hyperparameters as v0 stored them: every field but `mechanism`, in the same order.
	#[derive(Decode)]
	pub struct V0Hyperparameters<Balance> {
		pub tempo: u16,
		pub rho: u16,
		pub kappa: Perbill,
		pub emission_per_block: Balance,
		pub max_uids: u16,
		pub min_allowed_weights: u16,
		pub max_weight_limit: Perbill,
		pub weights_rate_limit: u32,
		pub activity_cutoff: u32,
		pub immunity_period: u32,
		pub registration_burn: Balance,
		pub bonds_moving_average: Perbill,
		pub min_stake_to_set_weights: Balance,
		pub weights_version_key: u64,
	}

	impl<Balance> V0Hyperparameters<Balance> {
		/// The same rules, under the mechanism they ran before there was a choice.
		pub fn upgraded(self) -> crate::migrations::v2::V1Hyperparameters<Balance> {
			crate::migrations::v2::V1Hyperparameters {
				tempo: self.tempo,
				rho: self.rho,
				kappa: self.kappa,
				emission_per_block: self.emission_per_block,
				max_uids: self.max_uids,
				min_allowed_weights: self.min_allowed_weights,
				max_weight_limit: self.max_weight_limit,
				weights_rate_limit: self.weights_rate_limit,
				activity_cutoff: self.activity_cutoff,
				immunity_period: self.immunity_period,
				registration_burn: self.registration_burn,
				bonds_moving_average: self.bonds_moving_average,
				min_stake_to_set_weights: self.min_stake_to_set_weights,
				weights_version_key: self.weights_version_key,
				mechanism: Mechanism::Paper,
				commit_reveal_period: 0,
			}
		}
	}

	/// Rewrites every subnet's hyperparameters with `mechanism: Paper` and commit-reveal off.
	pub struct AddMechanism<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for AddMechanism<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut subnets = 0u64;
			// Written in v1's layout (v2 reads it next), so not through the typed map.
			let netuids: alloc::vec::Vec<_> = Subnets::<T>::iter_keys().collect();
			for netuid in netuids {
				let key = Subnets::<T>::hashed_key_for(netuid);
				if let Some(old) = unhashed::get::<V0Hyperparameters<BalanceOf<T>>>(&key) {
					subnets += 1;
					unhashed::put(&key, &old.upgraded());
				}
			}
			T::DbWeight::get().reads_writes(subnets, subnets)
		}
	}

	/// [`AddMechanism`], run once: only while the pallet's storage is at version 0.
	pub type MigrateV0ToV1<T> = VersionedMigration<
		0,
		1,
		AddMechanism<T>,
		Pallet<T>,
		<T as polkadot_sdk::frame_system::Config>::DbWeight,
	>;
}

/// v2: the open market. Subnets gain the burn-price hyperparameters (`max_burn` =
/// `registration_burn`, no increase: the price they had, fixed) and `min_non_immune_uids` (1);
/// each hotkey's stake, all its owner's until now, becomes the owner's position on the
/// hotkey's pool at one share per unit.
pub mod v2 {
	use crate::{pallet::*, BalanceOf, Mechanism, StakePosition, SubnetHyperparameters};
	use codec::{Decode, Encode};
	use core::marker::PhantomData;
	use polkadot_sdk::{
		frame_support::{
			migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
		},
		sp_runtime::{traits::UniqueSaturatedInto, Perbill},
	};

	/// Hyperparameters as v1 stored them.
	#[derive(Encode, Decode)]
	pub struct V1Hyperparameters<Balance> {
		pub tempo: u16,
		pub rho: u16,
		pub kappa: Perbill,
		pub emission_per_block: Balance,
		pub max_uids: u16,
		pub min_allowed_weights: u16,
		pub max_weight_limit: Perbill,
		pub weights_rate_limit: u32,
		pub activity_cutoff: u32,
		pub immunity_period: u32,
		pub registration_burn: Balance,
		pub bonds_moving_average: Perbill,
		pub min_stake_to_set_weights: Balance,
		pub weights_version_key: u64,
		pub mechanism: Mechanism,
		pub commit_reveal_period: u16,
	}

	impl<Balance: Clone> V1Hyperparameters<Balance> {
		/// The same rules, at the fixed price they had.
		pub fn upgraded(self) -> SubnetHyperparameters<Balance> {
			SubnetHyperparameters {
				tempo: self.tempo,
				rho: self.rho,
				kappa: self.kappa,
				emission_per_block: self.emission_per_block,
				max_uids: self.max_uids,
				min_allowed_weights: self.min_allowed_weights,
				max_weight_limit: self.max_weight_limit,
				weights_rate_limit: self.weights_rate_limit,
				activity_cutoff: self.activity_cutoff,
				immunity_period: self.immunity_period,
				max_burn: self.registration_burn.clone(),
				registration_burn: self.registration_burn,
				bonds_moving_average: self.bonds_moving_average,
				min_stake_to_set_weights: self.min_stake_to_set_weights,
				weights_version_key: self.weights_version_key,
				mechanism: self.mechanism,
				commit_reveal_period: self.commit_reveal_period,
				burn_increase: Perbill::zero(),
				burn_half_life: 0,
				min_non_immune_uids: 1,
			}
		}
	}

	/// Rewrites every subnet's hyperparameters and opens each hotkey owner's position.
	pub struct OpenMarket<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for OpenMarket<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut subnets = 0u64;
			Subnets::<T>::translate::<V1Hyperparameters<BalanceOf<T>>, _>(|_, old| {
				subnets += 1;
				Some(old.upgraded())
			});
			let mut hotkeys = 0u64;
			for (hotkey, stake) in Stake::<T>::iter() {
				hotkeys += 1;
				let Some(owner) = Owner::<T>::get(&hotkey) else { continue };
				let shares: u128 = stake.unique_saturated_into();
				if shares == 0 {
					continue;
				}
				StakePositions::<T>::insert(
					&hotkey,
					&owner,
					StakePosition { shares, principal: stake, ..Default::default() },
				);
				layout::TotalShares::<T>::insert(&hotkey, shares);
				StakePositionCount::<T>::insert(&hotkey, 1);
			}
			T::DbWeight::get()
				.reads_writes(subnets, subnets)
				.saturating_add(T::DbWeight::get().reads_writes(hotkeys * 2, hotkeys * 3))
		}
	}

	/// Storage items as v2 laid them out, where v3 changed them.
	pub mod layout {
		use crate::pallet::{Config, Pallet};
		use polkadot_sdk::frame_support::{pallet_prelude::*, storage_alias};

		/// [`crate::TotalShares`] in v2: the shares issued on each hotkey's pool, one number.
		#[storage_alias]
		pub type TotalShares<T: Config> = StorageMap<
			Pallet<T>,
			Blake2_128Concat,
			<T as polkadot_sdk::frame_system::Config>::AccountId,
			u128,
			ValueQuery,
		>;
	}

	/// [`OpenMarket`], run once: only while the pallet's storage is at version 1.
	pub type MigrateV1ToV2<T> = VersionedMigration<
		1,
		2,
		OpenMarket<T>,
		Pallet<T>,
		<T as polkadot_sdk::frame_system::Config>::DbWeight,
	>;
}

/// v3: [`TotalShares`] also counts the shares a hotkey's nominators hold, so that the epoch's
/// pay needs no further read for a hotkey without nominators.
pub mod v3 {
	use crate::{pallet::*, PoolShares};
	use core::marker::PhantomData;
	use polkadot_sdk::frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	};

	/// Rewrites each hotkey's issued shares as [`PoolShares`]: the nominators' part is every
	/// share but the owner's position's.
	pub struct CountNominatedShares<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for CountNominatedShares<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut hotkeys = 0u64;
			TotalShares::<T>::translate::<u128, _>(|hotkey, total| {
				hotkeys += 1;
				let owner_shares = Owner::<T>::get(&hotkey)
					.and_then(|owner| StakePositions::<T>::get(&hotkey, owner))
					.map_or(0, |position| position.shares);
				Some(PoolShares { total, nominated: total.saturating_sub(owner_shares) })
			});
			T::DbWeight::get().reads_writes(hotkeys.saturating_mul(3), hotkeys)
		}
	}

	/// [`CountNominatedShares`], run once: only while the pallet's storage is at version 2.
	pub type MigrateV2ToV3<T> = VersionedMigration<
		2,
		3,
		CountNominatedShares<T>,
		Pallet<T>,
		<T as polkadot_sdk::frame_system::Config>::DbWeight,
	>;
}

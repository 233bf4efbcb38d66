//! Storage migrations, one module per storage version they lead to.

/// v1: subnets gain the `mechanism` and `commit_reveal_period` hyperparameters. Subnets that
/// existed before keep running the mechanism they always ran, `Paper`, with commit-reveal off;
/// new subnets default to `Clipped`.
pub mod v1 {
	use crate::{pallet::*, BalanceOf, Mechanism, SubnetHyperparameters};
	use codec::Decode;
	use core::marker::PhantomData;
	use polkadot_sdk::{
		frame_support::{
			migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
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
			Subnets::<T>::translate::<V0Hyperparameters<BalanceOf<T>>, _>(|_, old| {
				subnets += 1;
				Some(old.upgraded())
			});
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

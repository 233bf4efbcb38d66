//! Genesis presets: `development` (one validator, Alice) and `local_testnet` (Alice, Bob and
//! Charlie), each with the well-known dev accounts funded and subnet 1 ready to use.

use crate::{AccountId, BalancesConfig, BittensorConfig, RuntimeGenesisConfig, SudoConfig, TAO};
use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use pallet_bittensor::{Mechanism, SubnetHyperparameters};
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::Sr25519Keyring;
use sp_runtime::Perbill;

use super::*;

/// Each dev account starts with a million TAO.
const ENDOWMENT: Balance = 1_000_000 * TAO;

/// Subnet 1 on dev chains: a 10-block tempo so that a dev chain pays out within a minute,
/// consensus clipping with κ = ½ (ρ = 10 for a switch to the paper's mechanism), 1 TAO per
/// block.
pub fn dev_subnet_hyperparameters() -> SubnetHyperparameters<Balance> {
	SubnetHyperparameters {
		tempo: 10,
		rho: 10,
		kappa: Perbill::from_percent(50),
		emission_per_block: TAO,
		max_uids: 4096,
		min_allowed_weights: 1,
		max_weight_limit: Perbill::one(),
		// Limits a real subnet uses: a neuron updates its row at most every half epoch, and
		// only with stake behind it (free weight calls from stakeless hotkeys are spam).
		weights_rate_limit: 5,
		activity_cutoff: 5_000,
		immunity_period: 100,
		registration_burn: TAO / 10,
		bonds_moving_average: Perbill::from_percent(90),
		min_stake_to_set_weights: TAO,
		weights_version_key: 0,
		mechanism: Mechanism::Clipped,
		commit_reveal_period: 0,
		// The price follows demand: each registration ×1.26, halving back toward 0.1 TAO
		// every 50 blocks (5 minutes), never above 10 TAO.
		max_burn: 10 * TAO,
		burn_increase: Perbill::from_percent(26),
		burn_half_life: 50,
		min_non_immune_uids: 1,
	}
}

fn testnet_genesis(
	initial_authorities: Vec<(AuraId, GrandpaId)>,
	endowed_accounts: Vec<AccountId>,
	root: AccountId,
) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed_accounts
				.iter()
				.cloned()
				.map(|account| (account, ENDOWMENT))
				.collect::<Vec<_>>(),
		},
		aura: pallet_aura::GenesisConfig {
			authorities: initial_authorities.iter().map(|x| x.0.clone()).collect::<Vec<_>>(),
		},
		grandpa: pallet_grandpa::GenesisConfig {
			authorities: initial_authorities.iter().map(|x| (x.1.clone(), 1)).collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: Some(root) },
		// Every neuron of a dev or local chain runs on this machine, so loopback axons are
		// allowed here (and only here: any other chain's genesis leaves this false).
		bittensor: BittensorConfig {
			subnets: vec![(1, dev_subnet_hyperparameters())],
			allow_loopback_axons: true,
		},
	})
}

fn authority(keyring: Sr25519Keyring) -> (AuraId, GrandpaId) {
	(keyring.public().into(), grandpa_of(keyring))
}

/// The ed25519 twin of a dev account, which signs its GRANDPA votes.
fn grandpa_of(keyring: Sr25519Keyring) -> GrandpaId {
	let ed = match keyring {
		Sr25519Keyring::Alice => sp_keyring::Ed25519Keyring::Alice,
		Sr25519Keyring::Bob => sp_keyring::Ed25519Keyring::Bob,
		Sr25519Keyring::Charlie => sp_keyring::Ed25519Keyring::Charlie,
		Sr25519Keyring::Dave => sp_keyring::Ed25519Keyring::Dave,
		Sr25519Keyring::Eve => sp_keyring::Ed25519Keyring::Eve,
		_ => sp_keyring::Ed25519Keyring::Ferdie,
	};
	ed.public().into()
}

/// `development`: Alice validates alone and holds sudo.
pub fn development_config_genesis() -> Value {
	testnet_genesis(
		vec![authority(Sr25519Keyring::Alice)],
		Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

/// `local_testnet`: Alice, Bob and Charlie validate; Alice holds sudo.
pub fn local_config_genesis() -> Value {
	testnet_genesis(
		vec![
			authority(Sr25519Keyring::Alice),
			authority(Sr25519Keyring::Bob),
			authority(Sr25519Keyring::Charlie),
		],
		Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

/// The preset named `id`, as JSON.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		_ => return None,
	};
	Some(
		serde_json::to_string(&patch)
			.expect("serialization to json is expected to work. qed.")
			.into_bytes(),
	)
}

/// The names of the presets.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}

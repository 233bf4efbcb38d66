//! The built-in chain specs: `dev` and `local`, both built from the runtime's presets.

use bittensor_runtime::{TOKEN_DECIMALS, TOKEN_SYMBOL, WASM_BINARY};
use polkadot_sdk::{sc_service::ChainType, sp_genesis_builder};

/// A chain spec for this runtime.
pub type ChainSpec = polkadot_sdk::sc_service::GenericChainSpec;

fn properties() -> polkadot_sdk::sc_chain_spec::Properties {
	let mut properties = polkadot_sdk::sc_chain_spec::Properties::new();
	properties.insert("tokenSymbol".into(), TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), 42.into());
	properties
}

fn wasm() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| "the runtime's wasm was not built (SKIP_WASM_BUILD?)".to_string())
}

/// One validator (Alice) that finalizes alone; subnet 1 pays out every 10 blocks.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name("BitTensor Development")
		.with_id("bittensor_dev")
		.with_chain_type(ChainType::Development)
		.with_protocol_id("bittensor")
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// Alice, Bob and Charlie validate; two of three finalize.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name("BitTensor Local Testnet")
		.with_id("bittensor_local")
		.with_chain_type(ChainType::Local)
		.with_protocol_id("bittensor")
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

//! The BitTensor runtime: System, Timestamp, Aura, Grandpa, Balances, TransactionPayment,
//! Sudo, Utility and the market itself (`pallet-bittensor`), compiled to wasm.
//!
//! - [`configs`]: each pallet's configuration.
//! - [`apis`]: the runtime APIs the node and clients call, `BittensorApi` among them.
//! - [`genesis_config_presets`]: the `development` and `local_testnet` presets.

#![cfg_attr(not(feature = "std"), no_std)]
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

pub mod apis;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarks;
pub mod configs;
pub mod genesis_config_presets;

use alloc::vec::Vec;
use polkadot_sdk::{
	frame_support, frame_system, pallet_aura, pallet_balances, pallet_grandpa,
	pallet_skip_feeless_payment, pallet_sudo, pallet_timestamp, pallet_transaction_payment,
	pallet_utility,
	sp_runtime::{
		generic, impl_opaque_keys,
		traits::{BlakeTwo256, IdentifyAccount, Verify},
		MultiAddress, MultiSignature,
	},
	*,
};

use sp_version::{runtime_version, RuntimeVersion};

pub use apis::RuntimeApi;
pub use pallet_bittensor;

/// Block number.
pub type BlockNumber = u32;
/// Transaction signature: sr25519, ed25519 or ecdsa.
pub type Signature = MultiSignature;
/// An account: the public key of its signature scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// Balance in RAO (10⁻⁹ TAO).
pub type Balance = u128;
/// Transaction nonce.
pub type Nonce = u32;
/// Block hash.
pub type Hash = sp_core::H256;

/// One TAO in RAO.
pub const TAO: Balance = 1_000_000_000;
/// Token decimals (shown by wallets and explorers).
pub const TOKEN_DECIMALS: u32 = 9;
/// Token symbol.
pub const TOKEN_SYMBOL: &str = "TAO";

/// Target block time.
pub const MILLI_SECS_PER_BLOCK: u64 = 6_000;
/// Aura slot duration (equal to the block time).
pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;
/// Blocks per minute, hour and day.
pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
pub const HOURS: BlockNumber = MINUTES * 60;
pub const DAYS: BlockNumber = HOURS * 24;

/// Types the node needs without knowing the runtime's extrinsic format.
pub mod opaque {
	use super::*;
	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Block header.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Block.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Block identifier.
	pub type BlockId = generic::BlockId<Block>;

	impl_opaque_keys! {
		/// Session keys of a validator.
		pub struct SessionKeys {
			pub aura: Aura,
			pub grandpa: Grandpa,
		}
	}
}

#[runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("bittensor"),
	impl_name: alloc::borrow::Cow::Borrowed("bittensor-node"),
	authoring_version: 1,
	spec_version: 104,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 3,
	system_version: 1,
};

/// Address format of extrinsics.
pub type Address = MultiAddress<AccountId, ()>;
/// Block header.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;
/// Checks every signed transaction goes through, in order.
///
/// `CheckNeuronCalls` comes before the nonce check so that a neuron call refused for breaking
/// a market rule names that rule even when its signer holds nothing; the fee is skipped for
/// calls the pallet marks feeless (`serve_axon`, `set_weights` from registered hotkeys).
pub type TxExtension = (
	frame_system::CheckNonZeroSender<Runtime>,
	pallet_bittensor::CheckNeuronCalls<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_skip_feeless_payment::SkipCheckIfFeeless<
		Runtime,
		pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	>,
);
/// Extrinsic as it is submitted.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
/// The payload a transaction signs.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;
/// Dispatches extrinsics to pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

/// Storage migrations run at the next runtime upgrade; each runs once, at its version.
type Migrations = (
	pallet_bittensor::migrations::v1::MigrateV0ToV1<Runtime>,
	pallet_bittensor::migrations::v2::MigrateV1ToV2<Runtime>,
	pallet_bittensor::migrations::v3::MigrateV2ToV3<Runtime>,
);

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;
	#[runtime::pallet_index(2)]
	pub type Aura = pallet_aura;
	#[runtime::pallet_index(3)]
	pub type Grandpa = pallet_grandpa;
	#[runtime::pallet_index(4)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(5)]
	pub type TransactionPayment = pallet_transaction_payment;
	#[runtime::pallet_index(6)]
	pub type Sudo = pallet_sudo;
	#[runtime::pallet_index(7)]
	pub type Utility = pallet_utility;
	#[runtime::pallet_index(8)]
	pub type Bittensor = pallet_bittensor;
	#[runtime::pallet_index(9)]
	pub type SkipFeelessPayment = pallet_skip_feeless_payment;
}

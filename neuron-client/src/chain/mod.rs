//! Everything that talks to the chain, shared by the commands and the learning neuron.
//!
//! - [`client`]: the subxt client with static types generated from the runtime's metadata
//!   (`metadata/bittensor.scale`, refreshed by `scripts/update-metadata.sh`), reads of the
//!   best block and submission;
//! - [`rpc`]: raw JSON-RPC (over HTTP for large answers) for what subxt does not wrap;
//! - [`errors`]: typed errors, and the words for pallet errors from the metadata;
//! - [`ops`]: the operations a neuron and a user perform (register, serve an axon, set
//!   weights, read the metagraph and hyperparameters), each checking first what the chain
//!   would refuse, with typed results;
//! - [`commit_reveal`]: commit-reveal of weight rows, with their salts kept on disk;
//! - [`weights`]: weight rows, parsed and checked against the subnet's rules;
//! - [`metagraph`]: the `bittensor_getMetagraph` answer and its renderings;
//! - [`load`]: the load generator of `neuron bench chain`.
//!
//! Nothing here prints: commands and the neuron's loop decide what to show.

pub mod client;
pub mod commit_reveal;
pub mod errors;
pub mod load;
pub mod metagraph;
pub mod ops;
pub mod rpc;
pub mod weights;

pub use client::{find_event, Chain, Config, Included, Signed, Watch};
pub use errors::{describe_module_error, describe_refusal, BittensorError, ChainError, Shortfall};
pub use rpc::Rpc;

/// Static types and call builders for the bittensor runtime.
#[subxt::subxt(runtime_metadata_path = "metadata/bittensor.scale")]
pub mod runtime {}

/// The runtime's pallet types, e.g. `SubnetHyperparameters`.
pub use runtime::runtime_types::pallet_bittensor::types as pallet_types;

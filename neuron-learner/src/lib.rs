//! The learning neuron: everything in this workspace that uses libtorch (`tch`).
//!
//! - [`model`]: the byte-level transformer encoder, the gate over peers, the distiller and the
//!   head, shaped like the tch-rs examples (a config struct, `new` on a `nn::Path`, `forward`);
//! - [`script`]: encoders trained anywhere (TorchScript, `neuron run --model`) and the contract
//!   they are held to at load;
//! - [`optim`]: AdamW over the model's own tensors, so its state can be checkpointed;
//! - [`learner`]: one training step with peers' answers, the valuation of peers, checkpoints;
//! - [`data`]: the training text, its shards and held-out part;
//! - [`serving`]: what the axon serves (the encoder, or noise);
//! - [`wire`]: tensors between libtorch and the wire protocol;
//! - [`neuron`]: `neuron run`, the loop tying chain, axon, dendrite and learner together;
//! - [`bench`]: `neuron bench train`;
//! - [`collab`]: `neuron bench collab`, whether peers make a better model.
//!
//! The `neuron` binary (`neuron-client`) never links libtorch: it hands `run` and `bench train`
//! to this crate's `neuron-learner` binary (see `neuron_client::handoff`).

pub mod bench;
pub mod collab;
pub mod data;
pub mod learner;
pub mod model;
pub mod neuron;
pub mod optim;
pub mod script;
pub mod serving;
pub mod wire;

/// libtorch has one random generator per process: tests that seed it and then draw from it
/// (initial weights, noise) take turns, so each sees the numbers it would see alone.
#[cfg(test)]
pub(crate) static TORCH_RNG: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Caps the threads libtorch uses for its operators in this process.
pub fn set_threads(threads: i32) {
	tch::set_num_threads(threads);
}

//! The `neuron` client: wallets on disk and every chain operation of the BitTensor market,
//! through subxt with static types generated from the runtime's metadata.

pub mod amount;
pub mod chain;
pub mod cli;
pub mod commands;
pub mod config;
pub mod context;
pub mod entry;
pub mod explorer;
pub mod handoff;
pub mod output;
pub mod serve;
pub mod wallet;

//! Off-chain simulation placeholder.

//! The market's mathematics, as pure functions over slices: no storage, no runtime types.
//!
//! The pallet reads storage, calls [`epoch::run_epoch`], and writes the result back; the
//! tests, benchmarks and the `cabal` simulator call the very same functions.

mod clipped;
pub mod epoch;
pub mod fixed;
mod paper;

//! The pallets whose benchmarks the runtime exposes to `frame-omni-bencher`.

polkadot_sdk::frame_benchmarking::define_benchmarks!([pallet_bittensor, Bittensor]);

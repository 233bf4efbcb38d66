#!/usr/bin/env bash
# Sets up the machine, then runs every check CI runs: formatting, clippy, and all tests
# (unit, mock-runtime, property, simulation and benchmark tests).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bittensor-target}"
export WASM_BUILD_WORKSPACE_HINT="${WASM_BUILD_WORKSPACE_HINT:-$PWD}"

./scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p pallet-bittensor --all-targets --features runtime-benchmarks -- -D warnings
# The end-to-end tests drive the real node binary, and @polkadot/api for the explorer check.
cargo build -p bittensor-node
npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
# The node has no unit tests of its own; testing it would rebuild its client crates with the
# test dependencies' features for nothing; the e2e tests exercise the binary itself.
cargo test --workspace --exclude bittensor-node
cargo test -p pallet-bittensor --features runtime-benchmarks --lib benchmarking

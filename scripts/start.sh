#!/usr/bin/env bash
# The project's main job. Until the node lands (issue #3) this runs the paper's collusion
# experiment on the pallet's own epoch functions; arguments go to the simulator
# (see `--help`).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bittensor-target}"

./scripts/setup.sh
exec cargo run -q --release -p pallet-bittensor --example cabal -- "$@"

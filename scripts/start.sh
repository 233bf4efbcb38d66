#!/usr/bin/env bash
# The project's main job: builds the node (release) and starts a development chain with
# Alice as its only validator, JSON-RPC on ws://127.0.0.1:9944 and subnet 1 paying out every
# 10 blocks. Extra arguments go to the node (e.g. `--base-path DIR` to keep the chain).
# It also builds the `neuron` client (target/release/neuron) that neurons use to join.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bittensor-target}"
export WASM_BUILD_WORKSPACE_HINT="$PWD"

./scripts/setup.sh
cargo build --release -p bittensor-node -p neuron-client
echo "neuron client: $CARGO_TARGET_DIR/release/neuron (see README: The neuron client)"
if [ "$#" -eq 0 ]; then set -- --tmp; fi
exec "$CARGO_TARGET_DIR/release/bittensor-node" --dev --rpc-cors all "$@"

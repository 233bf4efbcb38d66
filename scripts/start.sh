#!/usr/bin/env bash
# The project's main job: builds the node and the `neuron` client (release) and starts a
# development chain with Alice as its only validator, JSON-RPC on ws://127.0.0.1:9944 and
# subnet 1 paying out every 10 blocks, then seeds a small market on it (three neurons with
# stake and weights, scripts/seed-market.sh) so emissions show from the first epochs.
# Extra arguments go to the node (e.g. `--base-path DIR` to keep the chain); SEED=0 skips the
# seeding; NEURON_URL must follow a changed --rpc-port.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bittensor-target}"
export WASM_BUILD_WORKSPACE_HINT="$PWD"

./scripts/setup.sh
cargo build --release -p bittensor-node -p neuron-client
neuron="$CARGO_TARGET_DIR/release/neuron"
echo "neuron client: $neuron (see README: The neuron client)"
if [ "$#" -eq 0 ]; then set -- --tmp; fi
"$CARGO_TARGET_DIR/release/bittensor-node" --dev --rpc-cors all "$@" &
node_pid=$!
trap 'kill "$node_pid" 2>/dev/null || true' INT TERM
if [ "${SEED:-1}" != 0 ]; then
	for _ in $(seq 1 60); do
		if "$neuron" subnet list >/dev/null 2>&1; then break; fi
		sleep 1
	done
	NEURON="$neuron" ./scripts/seed-market.sh || echo "seeding the market failed; the chain keeps running" >&2
fi
wait "$node_pid"

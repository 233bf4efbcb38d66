#!/usr/bin/env bash
# The metagraph benchmark end to end: builds the release node and client, starts a throwaway
# dev chain, fills subnet 1 with 4096 neurons (examples/populate.rs, in batch transactions),
# then times `neuron metagraph` from the RPC call to the rendered table with criterion, and
# the whole `neuron metagraph --netuid 1` command (process start included) ten times.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bittensor-target}"
NEURONS="${NEURONS:-4096}"
PORT="${PORT:-19955}"

cargo build --release -p bittensor-node -p neuron-client --examples --bins
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
start_dev_node "$PORT"
"$CARGO_TARGET_DIR/release/examples/populate" --url "$url" --netuid 1 --neurons "$NEURONS"
NEURON_BENCH_URL="$url" cargo bench -p neuron-client --bench metagraph
echo "whole command, 10 runs:"
time (for _ in $(seq 1 10); do "$CARGO_TARGET_DIR/release/neuron" --url "$url" metagraph --netuid 1 >/dev/null; done)

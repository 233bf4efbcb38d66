#!/usr/bin/env bash
# The chain under load, end to end, with release builds: starts a throwaway dev node, runs
# `neuron bench chain` against it (3,584 neurons' 256-entry set_weights at once; then 5,000
# set_weights from unregistered accounts and 5,000 rate-limited repeats sent together with 512
# honest rows; then the epoch of the full 4,096 × 256 subnet), times the whole `neuron
# metagraph` command on that subnet, and prints the node's own timing of the epoch block.
# Extra arguments go to `neuron bench chain` (e.g. --neurons 1024 --late 256 for a quick run).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bittensor-target}"
export WASM_BUILD_WORKSPACE_HINT="$PWD"
PORT="${PORT:-19956}"

cargo build --release -p bittensor-node -p neuron-client --bins
neuron="$CARGO_TARGET_DIR/release/neuron"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
start_dev_node "$PORT"
report="$(mktemp)"
"$neuron" --url "$url" bench chain --node-pid "$node_pid" --json "$@" | tee "$report"
netuid="$(grep -o '"netuid":[0-9]*' "$report" | head -1 | cut -d: -f2)"
epoch="$(grep -o '"epoch":{"block":[0-9]*' "$report" | grep -o '[0-9]*$' || true)"
echo "whole \`neuron metagraph --netuid $netuid\` command, 10 runs:"
time (for _ in $(seq 1 10); do "$neuron" --url "$url" metagraph --netuid "$netuid" >/dev/null; done)
# The node keeps each block's answer: one at an older block, asked for the first time, shows
# the cost of computing it (runtime call and JSON) rather than of serving it.
rpc="http://${url#ws://}"
# call METHOD PARAMS [curl flags…]
call() { curl -s -H 'content-type: application/json' -d "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"$1\",\"params\":$2}" "${@:3}" "$rpc"; }
old_hash="$(call chain_getBlockHash "[$epoch]" | grep -o '0x[0-9a-f]*')"
echo "bittensor_getMetagraph at block $epoch, computed (first call there):"
call bittensor_getMetagraph "[$netuid,\"$old_hash\"]" -o /dev/null -w '%{time_total} s, %{size_download} bytes\n'
echo "the node's block production around the epoch (block $epoch):"
grep -E "Prepared block for proposing at ($((epoch - 1))|$epoch|$((epoch + 1))) " "$node_log" || true
echo "slowest block proposals during the run:"
grep -o "Prepared block for proposing at [0-9]* ([0-9]* ms)" "$node_log" | sort -t'(' -k2 -n -r | head -5 || true
rm -f "$report"

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
PORT="${PORT:-19956}"

# PROFILE=dev measures the dev-profile binaries the tests and start.sh use (the runtime is the
# same optimised wasm either way).
case "${PROFILE:-release}" in
release) cargo build --release -p bittensor-node -p neuron-client --bins; bin_dir="$CARGO_TARGET_DIR/release" ;;
dev) cargo build -p bittensor-node -p neuron-client --bins; bin_dir="$CARGO_TARGET_DIR/debug" ;;
*) echo "bench-chain.sh: PROFILE must be release or dev" >&2; exit 2 ;;
esac
neuron="$bin_dir/neuron"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
start_dev_node "$PORT" "$bin_dir/bittensor-node"
report="$(mktemp)"
"$neuron" --url "$url" bench chain --node-pid "$node_pid" --json "$@" | tee "$report"
netuid="$(grep -o '"netuid":[0-9]*' "$report" | head -1 | cut -d: -f2)"
epoch="$(grep -o '"epoch":{"block":[0-9]*' "$report" | grep -o '[0-9]*$' || true)"
echo "whole \`neuron metagraph --netuid $netuid\` command, 10 runs:"
time (for _ in $(seq 1 10); do "$neuron" --url "$url" metagraph --netuid "$netuid" >/dev/null; done)
rpc="http://${url#ws://}"
# call METHOD PARAMS [curl flags…]
call() { curl -s -H 'content-type: application/json' -d "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"$1\",\"params\":$2}" "${@:3}" "$rpc"; }
echo "bittensor_getMetagraph, served (the node already holds this block's answer), 5 calls:"
for _ in 1 2 3 4 5; do
	call bittensor_getMetagraph "[$netuid]" -o /dev/null -w '%{time_total} s, %{size_download} bytes\n'
done
# What computing one costs the runtime (state_call is never stored; SCALE, hex-encoded).
echo "the runtime's BittensorApi_metagraph alone (state_call), 5 calls:"
for _ in 1 2 3 4 5; do
	call state_call "[\"BittensorApi_metagraph\",\"$(printf '0x%02x%02x' $((netuid & 255)) $((netuid >> 8)))\"]" \
		-o /dev/null -w '%{time_total} s, %{size_download} bytes\n'
done
echo "the node's block production around the epoch (block $epoch):"
grep -E "Prepared block for proposing at ($((epoch - 1))|$epoch|$((epoch + 1))) " "$node_log" || true
echo "slowest block proposals during the run:"
grep -o "Prepared block for proposing at [0-9]* ([0-9]* ms)" "$node_log" | sort -t'(' -k2 -n -r | head -5 || true
rm -f "$report"

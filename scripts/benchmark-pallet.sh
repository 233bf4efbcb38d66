#!/usr/bin/env bash
# Regenerates pallets/bittensor/src/weights.rs from frame-benchmarking runs of the runtime's
# wasm, executed by frame-omni-bencher (installed on first use).
#
#   scripts/benchmark-pallet.sh [STEPS] [REPEAT]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bittensor-target}"
STEPS="${1:-10}"
REPEAT="${2:-3}"
OMNI_VERSION="0.28.0" # the frame-benchmarking-cli of polkadot-sdk 2609

if ! frame-omni-bencher --version 2>/dev/null | grep -q "$OMNI_VERSION"; then
	# Its RocksDB bindings are generated with libclang.
	if ! ls /usr/lib/llvm-*/lib/libclang*.so >/dev/null 2>&1; then
		SUDO=""
		if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
		$SUDO apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libclang-dev >/dev/null
	fi
	echo "benchmark: installing frame-omni-bencher $OMNI_VERSION (once; slow)" >&2
	CARGO_TARGET_DIR="$HOME/.cache/omni-target" \
		cargo install frame-omni-bencher --version "$OMNI_VERSION" --locked
fi

cargo build -p bittensor-runtime --features runtime-benchmarks
WASM="$CARGO_TARGET_DIR/debug/wbuild/bittensor-runtime/bittensor_runtime.wasm"

frame-omni-bencher v1 benchmark pallet \
	--runtime "$WASM" \
	--genesis-builder-preset development \
	--pallet pallet_bittensor \
	--extrinsic '*' \
	--steps "$STEPS" \
	--repeat "$REPEAT" \
	--heap-pages 4096 \
	--template scripts/weight-template.hbs \
	--output pallets/bittensor/src/weights.rs
echo "benchmark: wrote pallets/bittensor/src/weights.rs" >&2

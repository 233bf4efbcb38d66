#!/usr/bin/env bash
# Refreshes neuron-client/metadata/bittensor.scale (the metadata the client's static types are
# generated from) from the runtime the node embeds: builds the node, starts a throwaway dev
# chain and writes what it reports. Commit the file together with the runtime change.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bittensor-target}"
cargo build -p bittensor-node
UPDATE_METADATA=1 cargo test -p neuron-client --test metadata
git diff --stat -- neuron-client/metadata || true

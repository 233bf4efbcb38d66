#!/usr/bin/env bash
# Refreshes neuron-client/metadata/bittensor.scale (the metadata the client's static types are
# generated from) from the runtime the node embeds: builds the node (in the same build as the
# tests, so nothing is compiled twice; the client may not compile against the old metadata, so
# the build goes on past its errors), starts a throwaway dev chain and writes the metadata it
# reports. Commit the file together with the runtime change.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bittensor-target}"
cargo test --workspace --no-run --no-fail-fast >/dev/null 2>&1 || true
node_bin="$CARGO_TARGET_DIR/debug/bittensor-node"
[ -x "$node_bin" ] || { echo "update-metadata: $node_bin was not built" >&2; exit 1; }
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
start_dev_node 29944 "$node_bin"
# Metadata_metadata_at_version(16): SCALE Option<Vec<u8>>, hex.
call='{"id":1,"jsonrpc":"2.0","method":"state_call","params":["Metadata_metadata_at_version","0x10000000"]}'
curl -sf -H 'content-type: application/json' -d "$call" "http://127.0.0.1:29944" |
	python3 -c '
import json, sys
raw = bytes.fromhex(json.load(sys.stdin)["result"][2:])
assert raw[0] == 1, "the runtime has no metadata v16"
mode, pos = raw[1] & 3, 1
# The compact length prefix of the Vec<u8>.
if mode == 0: length, pos = raw[1] >> 2, 2
elif mode == 1: length, pos = int.from_bytes(raw[1:3], "little") >> 2, 3
elif mode == 2: length, pos = int.from_bytes(raw[1:5], "little") >> 2, 5
else:
    n = (raw[1] >> 2) + 4
    length, pos = int.from_bytes(raw[2:2 + n], "little"), 2 + n
data = raw[pos:pos + length]
assert len(data) == length, "truncated metadata"
open("neuron-client/metadata/bittensor.scale", "wb").write(data)
'
git diff --stat -- neuron-client/metadata || true

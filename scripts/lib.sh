# Shared by the scripts (sourced, not run): a throwaway dev node.

# Starts `bittensor-node --dev --tmp` (the release build, or the binary $2) with its RPC on
# port $1, logging to a temporary file; sets node_pid, node_log and url, stops the node when
# the calling script exits, and returns once the node answers RPC (or fails after 60 s).
start_dev_node() {
	local port="$1" binary="${2:-$CARGO_TARGET_DIR/release/bittensor-node}"
	node_log="$(mktemp)"
	"$binary" --dev --tmp --rpc-port "$port" --no-prometheus \
		--no-telemetry --listen-addr /ip4/127.0.0.1/tcp/0 >"$node_log" 2>&1 &
	node_pid=$!
	trap 'kill $node_pid 2>/dev/null || true; rm -f "$node_log"' EXIT
	url="ws://127.0.0.1:$port"
	local health='{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}'
	for _ in $(seq 1 60); do
		if curl -sf -H 'content-type: application/json' -d "$health" "http://127.0.0.1:$port" >/dev/null; then
			return 0
		fi
		sleep 1
	done
	echo "the dev node did not answer on port $port within 60 s; its log: $node_log" >&2
	return 1
}

#!/usr/bin/env bash
# The project's main job: a development chain with a market of learning neurons on it.
#
# Does the set-up and the build when missing, starts `bittensor-node --dev` (Alice
# validates alone, archive state so history stays readable, JSON-RPC on ws://127.0.0.1:9944,
# subnet 1 paying out every 10 blocks), then N neurons, each with its own wallet funded from
# Alice, registered and staked on subnet 1, running `neuron run` with its axon on its own port:
# honest trainers on different shards of the text and K `--serve-noise` neurons, plus the
# explorer. The first trainers run models from TorchScript files (`neuron run --model`): by
# default one, a convolutional byte model written in PyTorch and pre-trained in Python by
# scripts/export-model.py, beside the built-in transformers. Ctrl-C stops every process it
# started, and nothing else.
#
#   ./scripts/start.sh [--neurons N] [--noise K] [--model FILE]... [--frozen-model FILE]...
#                      [--no-torchscript] [--keep] [--chain-only] [--build-only]
#                      [-- NODE ARGS...]
#
#   --neurons N    neurons to start (default 4)
#   --noise K      how many of them serve noise (default 1)
#   --model FILE   the next trainer runs this TorchScript model and trains it (repeatable;
#                  replaces the default exported one)
#   --frozen-model FILE   the same, served unchanged (`--freeze`)
#   --no-torchscript      every trainer runs the built-in transformer
#   --keep         keep the chain and the wallets between runs (in ~/.cache/bittensor-market)
#   --chain-only   start only the chain
#   --build-only   set up and build, then exit (prints the time of each phase)
#   DATA=FILE      training text (default: ../shared/data/tinyshakespeare.txt when present,
#                  otherwise the neurons' generated corpus)
#   PROFILE=release  build with the release profile (about an hour on 2 cores from scratch)
#                  instead of the dev profile the tests use (its hot crates are optimised: the
#                  wasm executor, hashing and signing; the runtime is always an optimised wasm)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bittensor-target}"

neurons=4
noise=1
models=()        # "FILE" or "FILE --freeze", one per trainer from the first
default_model=1
keep=0
chain_only=0
build_only=0
node_args=()
while [ "$#" -gt 0 ]; do
	case "$1" in
	--neurons) neurons="$2"; shift 2 ;;
	--noise) noise="$2"; shift 2 ;;
	--model) models+=("$2"); shift 2 ;;
	--frozen-model) models+=("$2 --freeze"); shift 2 ;;
	--no-torchscript) default_model=0; shift ;;
	--keep) keep=1; shift ;;
	--chain-only) chain_only=1; shift ;;
	--build-only) build_only=1; shift ;;
	--) shift; node_args=("$@"); break ;;
	-h | --help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "start.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done
if ! [[ "$neurons" =~ ^[0-9]+$ && "$noise" =~ ^[0-9]+$ ]] || [ "$noise" -gt "$neurons" ]; then
	echo "start.sh: --neurons and --noise must be whole numbers with --noise <= --neurons" >&2
	exit 2
fi

profile="${PROFILE:-dev}"
case "$profile" in
dev) build_flags=(); bin_dir="$CARGO_TARGET_DIR/debug" ;;
release) build_flags=(--release); bin_dir="$CARGO_TARGET_DIR/release" ;;
*) echo "start.sh: PROFILE must be dev or release" >&2; exit 2 ;;
esac
# Set-up and build, phase by phase: the torch download (about 4.7 GB, mostly network) runs
# while the node and the client compile; only the learner needs it.
started=$SECONDS
./scripts/setup.sh --no-torch
setup_done=$SECONDS
torch_log="$(mktemp)"
./scripts/setup.sh >"$torch_log" 2>&1 &
torch_pid=$!
cargo build "${build_flags[@]}" -p bittensor-node -p neuron-client
node_done=$SECONDS
if ! wait "$torch_pid"; then
	cat "$torch_log" >&2
	echo "start.sh: installing torch failed" >&2
	exit 1
fi
torch_done=$SECONDS
# Alone, so that the node and client just built are not rebuilt with the learner's features.
cargo build "${build_flags[@]}" -p neuron-learner
echo "start.sh: set-up $((setup_done - started)) s; node and client $((node_done - setup_done)) s" \
	"(torch installed alongside, done after $((torch_done - setup_done)) s); learner" \
	"$((SECONDS - torch_done)) s; total $((SECONDS - started)) s ($profile profile)"
if [ "$build_only" = 1 ]; then exit 0; fi
node_bin="$bin_dir/bittensor-node"
neuron="$bin_dir/neuron"

home="${MARKET_DIR:-$HOME/.cache/bittensor-market}"
logs="$home/logs"
if [ "$keep" = 0 ]; then rm -rf "$home"; fi
mkdir -p "$logs"
export NEURON_URL="ws://127.0.0.1:9944"
export NEURON_WALLET_DIR="$home/wallets"
data="${DATA:-}"
if [ -z "$data" ] && [ -f ../shared/data/tinyshakespeare.txt ]; then
	data="$(cd ../shared/data && pwd)/tinyshakespeare.txt"
fi
for entry in "${models[@]}"; do
	file="${entry% --freeze}"
	if [ ! -f "$file" ]; then echo "start.sh: --model $file: no such file" >&2; exit 2; fi
done
if [ "${#models[@]}" = 0 ] && [ "$default_model" = 1 ] && [ "$chain_only" = 0 ] &&
	[ "$neurons" -gt "$noise" ]; then
	# The PyTorch user's path: a model of another architecture, trained in Python with the
	# shared readout term, exported as TorchScript; `neuron run --model` serves and trains it.
	model="$home/models/conv.pt"
	if [ ! -f "$model" ]; then
		mkdir -p "$home/models"
		text=()
		if [ -n "$data" ]; then text=(--text "$data"); fi
		echo "exporting a convolutional byte model pre-trained in PyTorch to $model"
		"${BITTENSOR_TORCH_VENV:-$HOME/.cache/bittensor-torch}/bin/python" \
			scripts/export-model.py --arch conv --dim 128 --steps 300 "${text[@]}" \
			--out "$model" >"$logs/export-model.log" 2>&1 ||
			{ cat "$logs/export-model.log" >&2; exit 1; }
	fi
	models=("$model")
fi

pids=()
stop() {
	trap - INT TERM EXIT
	echo
	echo "stopping ${#pids[@]} processes"
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	exit 0
}
trap stop INT TERM EXIT

if [ "$keep" = 1 ]; then
	chain=(--base-path "$home/chain")
else
	chain=(--tmp)
fi
"$node_bin" --dev --state-pruning archive "${chain[@]}" "${node_args[@]}" \
	>"$logs/node.log" 2>&1 &
pids+=("$!")
echo "node: log $logs/node.log"
for _ in $(seq 1 90); do
	if "$neuron" subnet list >/dev/null 2>&1; then break; fi
	sleep 1
done
"$neuron" subnet list >/dev/null

address() { # wallet, hotkey name -> SS58 of that hotkey
	"$neuron" wallet show --wallet "$1" --json | tr -d ' \n' |
		grep -o "\"name\":\"$2\",\"ss58\":\"[^\"]*\"" | cut -d'"' -f8
}

if [ "$chain_only" = 0 ]; then
	echo dev | "$neuron" wallet regen --wallet alice --uri //Alice --overwrite --password-stdin >/dev/null
	honest=$((neurons - noise))
	for i in $(seq 0 $((neurons - 1))); do
		wallet="neuron$i"
		if ! "$neuron" wallet show --wallet "$wallet" >/dev/null 2>&1; then
			echo dev | "$neuron" wallet regen --wallet "$wallet" --uri "//Market//$i" --password-stdin >/dev/null
			"$neuron" wallet regen --wallet "$wallet" --key hotkey --uri "//Market//$i//hot" >/dev/null
		fi
		coldkey="$("$neuron" wallet show --wallet "$wallet" --json | tr -d ' \n' | grep -o '"coldkey":"[^"]*"' | cut -d'"' -f4)"
		hotkey="$(address "$wallet" default)"
		if ! "$neuron" metagraph --netuid 1 --json | grep -q "\"$hotkey\""; then
			echo "neuron$i: funding, registering and staking $hotkey"
			echo dev | "$neuron" transfer --wallet alice --dest "$coldkey" --amount 1000 --password-stdin >/dev/null
			echo dev | "$neuron" register --wallet "$wallet" --netuid 1 --password-stdin >/dev/null
			echo dev | "$neuron" stake add --wallet "$wallet" --amount 100 --password-stdin >/dev/null
		fi
		args=(--wallet "$wallet" --password-stdin run --netuid 1 --axon-port $((8091 + i))
			--metrics-port $((9100 + i)) --threads 1 --checkpoint "$home/checkpoints/neuron$i")
		if [ "$i" -ge "$honest" ]; then
			args+=(--serve-noise)
			kind="serves noise"
		else
			args+=(--shard "$i/$honest")
			if [ -n "$data" ]; then args+=(--data "$data"); fi
			kind="trains on shard $i/$honest"
			if [ "$i" -lt "${#models[@]}" ]; then
				entry="${models[$i]}"
				file="${entry% --freeze}"
				args+=(--model "$file")
				if [ "$entry" != "$file" ]; then
					args+=(--freeze)
					kind="serves $(basename "$file") frozen, trains its head on shard $i/$honest"
				else
					kind="trains $(basename "$file") (TorchScript) on shard $i/$honest"
				fi
			fi
		fi
		echo dev | "$neuron" "${args[@]}" >"$logs/neuron$i.log" 2>&1 &
		pids+=("$!")
		echo "neuron$i: $kind, axon 127.0.0.1:$((8091 + i)), log $logs/neuron$i.log"
	done
fi
if "$neuron" explorer --help >/dev/null 2>&1; then
	# The explorer charts each neuron's held-out loss from its metrics endpoint.
	explorer_args=(--port 8080)
	if [ "$chain_only" = 0 ]; then
		for i in $(seq 0 $((neurons - 1))); do
			explorer_args+=(--metrics "http://127.0.0.1:$((9100 + i))")
		done
	fi
	"$neuron" explorer "${explorer_args[@]}" >"$logs/explorer.log" 2>&1 &
	pids+=("$!")
	echo "explorer: http://127.0.0.1:8080 (JSON under /api), log $logs/explorer.log"
fi
cat <<EOF

The market is running. Where to look:
  metagraph:        $neuron --url $NEURON_URL metagraph --netuid 1
  polkadot.js Apps: https://polkadot.js.org/apps/?rpc=ws%3A%2F%2F127.0.0.1%3A9944#/explorer
  logs:             $logs
  wallets:          $NEURON_WALLET_DIR (password: dev)
Ctrl-C stops everything this script started.
EOF
wait -n "${pids[0]}" || true
echo "the node exited; see $logs/node.log" >&2

#!/usr/bin/env bash
# Seeds a fresh dev chain with a small market so that emissions show from the first epochs:
# Alice's coldkey (imported from //Alice) registers three hotkeys on subnet 1, stakes on
# them, funds their fees, and each sets weights on the other two. Idempotent: does nothing
# when subnet 1 already has neurons. Uses the `neuron` client; wallets go to
# $NEURON_WALLET_DIR (default ~/.bittensor/dev-wallets), with the dev password "dev".
set -euo pipefail
neuron="${NEURON:-neuron}"
export NEURON_URL="${NEURON_URL:-ws://127.0.0.1:9944}"
export NEURON_WALLET_DIR="${NEURON_WALLET_DIR:-$HOME/.bittensor/dev-wallets}"
export NEURON_WALLET=dev-alice

existing="$("$neuron" metagraph --netuid 1 --json | { grep -o '"uid"' || true; } | wc -l)"
if [ "$existing" -gt 0 ]; then
	echo "subnet 1 already has $existing neurons; not seeding"
	exit 0
fi
echo dev | "$neuron" wallet regen --uri //Alice --overwrite --password-stdin
stakes=(100 50 25)
for i in 0 1 2; do
	"$neuron" wallet regen --key hotkey --hotkey "miner$i" --uri "//Alice//miner$i" --overwrite
	hotkey="$("$neuron" wallet list --json | grep -A2 "\"miner$i\"" | grep -o '5[1-9A-HJ-NP-Za-km-z]\{46,47\}' | head -1)"
	echo dev | "$neuron" transfer --dest "$hotkey" --amount 10 --password-stdin
	echo dev | "$neuron" register --hotkey "miner$i" --netuid 1 --password-stdin
	echo dev | "$neuron" stake add --hotkey "miner$i" --amount "${stakes[$i]}" --password-stdin
done
"$neuron" weights set --hotkey miner0 --netuid 1 --uids 1,2 --values 0.6,0.4
"$neuron" weights set --hotkey miner1 --netuid 1 --uids 0,2 --values 0.5,0.5
"$neuron" weights set --hotkey miner2 --netuid 1 --uids 0,1 --values 0.7,0.3
"$neuron" metagraph --netuid 1

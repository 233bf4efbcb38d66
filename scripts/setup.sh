#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build and test this workspace.
# Idempotent: each step is skipped when its tool is already there.
#
#   scripts/setup.sh [--no-torch]   (--no-torch: everything but the torch install, so that a
#                                    caller can install torch while it compiles)
set -euo pipefail

with_torch=1
if [ "${1:-}" = "--no-torch" ]; then with_torch=0; fi

log() { printf 'setup: %s\n' "$*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

apt_packages=()
command -v protoc >/dev/null 2>&1 || apt_packages+=(protobuf-compiler)
command -v pkg-config >/dev/null 2>&1 || apt_packages+=(pkg-config)
# OpenSSL for libp2p's WebRTC transport (linked from the system: see .cargo/config.toml).
pkg-config --exists openssl 2>/dev/null || apt_packages+=(libssl-dev)
# Node.js and npm run the @polkadot/api explorer check.
command -v node >/dev/null 2>&1 || apt_packages+=(nodejs)
command -v npm >/dev/null 2>&1 || apt_packages+=(npm)
# Headless Chromium loads the explorer's page in its end-to-end test.
command -v chromium >/dev/null 2>&1 || apt_packages+=(chromium)
# `ip netns` makes the two hosts of the cross-namespace test.
command -v ip >/dev/null 2>&1 || apt_packages+=(iproute2)
if [ "${#apt_packages[@]}" -gt 0 ]; then
	log "installing ${apt_packages[*]} with apt"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${apt_packages[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
	log "cargo not found: install Rust with rustup first (https://rustup.rs)"
	exit 1
fi

if command -v rustup >/dev/null 2>&1; then
	installed_targets="$(rustup target list --installed)"
	if ! grep -qx wasm32v1-none <<<"$installed_targets"; then
		log "adding the wasm32v1-none Rust target (for the runtime's wasm)"
		rustup target add wasm32v1-none
	fi
	installed_components="$(rustup component list --installed)"
	for component in rustfmt clippy; do
		if ! grep -q "^${component}" <<<"$installed_components"; then
			log "adding the ${component} component"
			rustup component add "$component"
		fi
	done
fi

if [ "$with_torch" = 0 ]; then
	log "done (without torch)"
	exit 0
fi

repo_root="$(cd "$(dirname "$0")/.." && pwd)"
# libtorch for the learning neuron: tch 0.26 is built for PyTorch 2.13.0. PyPI's wheel (with
# its CUDA libraries, about 4.7 GB) goes into a virtual environment outside the checkout, and
# `.libtorch` in the checkout points at its torch package, where `.cargo/config.toml` tells tch
# to look, so a plain `cargo build` needs nothing exported.
torch_version=2.13.0
torch_venv="${BITTENSOR_TORCH_VENV:-$HOME/.cache/bittensor-torch}"
if ! "$torch_venv/bin/python" -c "import sys, torch; sys.exit(torch.__version__.split('+')[0] != '$torch_version')" >/dev/null 2>&1; then
	if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
		log "installing python3-venv with apt"
		$SUDO apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv python3-pip >/dev/null
	fi
	log "installing torch==$torch_version into $torch_venv (a few minutes, about 4.7 GB)"
	python3 -m venv "$torch_venv"
	"$torch_venv/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir "torch==$torch_version"
fi
torch_dir="$("$torch_venv/bin/python" -W ignore -c 'import os, torch; print(os.path.dirname(torch.__file__))')"
ln -sfn "$torch_dir" "$repo_root/.libtorch"

log "done"

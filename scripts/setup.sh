#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build and test this workspace.
# Idempotent: each step is skipped when its tool is already there.
set -euo pipefail

log() { printf 'setup: %s\n' "$*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

apt_packages=()
command -v protoc >/dev/null 2>&1 || apt_packages+=(protobuf-compiler)
command -v pkg-config >/dev/null 2>&1 || apt_packages+=(pkg-config)
# Node.js and npm run the @polkadot/api explorer check.
command -v node >/dev/null 2>&1 || apt_packages+=(nodejs)
command -v npm >/dev/null 2>&1 || apt_packages+=(npm)
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

log "done"

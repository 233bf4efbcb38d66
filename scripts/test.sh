#!/usr/bin/env bash
# Sets up the machine, then runs every check CI runs: formatting, clippy, and all tests (unit,
# mock-runtime, property, simulation, end-to-end against the real node, and the benchmarks as
# tests). Prints how long each phase took at the end.
#
# Everything is built once, in one `cargo test --workspace` build (the node binary included,
# through its own integration test), so no crate is compiled twice with different features;
# the tests then run in parallel with cargo-nextest when it is installed (each end-to-end test
# starts its own node on free ports), otherwise one binary at a time with `cargo test`.
#
# Clippy lints inside that build: clippy-driver compiles the workspace's own crates (what
# `cargo clippy -- -D warnings` does, through the same two variables) while the dependencies
# are compiled once, by rustc. A separate `cargo clippy` would first type-check the whole
# dependency tree a second time (17 of a clean run's 50 minutes), then again for the
# benchmarks' feature set.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bittensor-target}"

phases=()
background=() # processes to stop if the run ends early
started_all=$SECONDS
phase() { # name, command...
	local name="$1" start=$SECONDS status=0
	shift
	echo "==> $name" >&2
	"$@" || status=$?
	phases+=("$(printf '%-12s %4d s%s' "$name" $((SECONDS - start)) "$([ "$status" = 0 ] || echo " (failed)")")")
	return "$status"
}
report() {
	local status=$?
	for pid in "${background[@]}"; do kill "$pid" 2>/dev/null || true; done
	echo >&2
	echo "test.sh: time by phase" >&2
	for line in "${phases[@]}"; do echo "  $line" >&2; done
	printf '  %-12s %4d s%s\n' total $((SECONDS - started_all)) \
		"$([ "$status" = 0 ] || echo " (failed)")" >&2
}
trap report EXIT

phase setup ./scripts/setup.sh
phase fmt cargo fmt --all -- --check
# Exported for every later phase, so that nextest and the doctests find the same build.
RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver)"
export RUSTC_WORKSPACE_WRAPPER
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
# --all-targets: the benches and examples are linted (and compiled) too, as clippy would.
phase build+clippy cargo test --workspace --all-targets --no-run
# The block explorer check reads the chain with @polkadot/api.
phase npm npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
bench_build_args=(-p pallet-bittensor --features runtime-benchmarks --lib)
if cargo nextest --version >/dev/null 2>&1; then
	# The benchmarks' build (the pallet's unit tests once more with its benchmarks compiled in
	# and linted: the pallet and its FRAME dependencies with another feature set, about two
	# minutes of both cores) runs beside the tests, at the lowest CPU priority, in the time the
	# end-to-end tests spend waiting for blocks. Cargo allows one build at a time in a target
	# directory, so nextest gets its list of test binaries first and then runs them without
	# cargo.
	reuse="$CARGO_TARGET_DIR/nextest-reuse"
	mkdir -p "$reuse"
	phase list cargo nextest list --workspace --list-type binaries-only --message-format json \
		>"$reuse/binaries.json"
	cargo metadata --format-version 1 >"$reuse/cargo-metadata.json"
	nice -n 19 cargo test "${bench_build_args[@]}" --no-run >"$reuse/bench-build.log" 2>&1 &
	bench_build=$!
	background+=("$bench_build")
	phase tests cargo nextest run --no-fail-fast \
		--binaries-metadata "$reuse/binaries.json" --cargo-metadata "$reuse/cargo-metadata.json"
	# What is left of the benchmarks' build once the tests are done (usually nothing).
	if ! phase bench-build wait "$bench_build"; then
		cat "$reuse/bench-build.log" >&2
		exit 1
	fi
	# nextest runs no doctests.
	phase doctests cargo test --workspace --doc
else
	phase tests cargo test --workspace --no-fail-fast
	phase bench-build cargo test "${bench_build_args[@]}" --no-run
fi
# The benchmarks run as tests (at 256 neurons; `scripts/benchmark-pallet.sh` runs the full
# sizes). Only the library: the other targets do not change with the feature.
phase bench-tests cargo test "${bench_build_args[@]}" benchmarking

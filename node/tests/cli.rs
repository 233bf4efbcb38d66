//! The node binary's own command line: what an operator runs before starting a chain. (Being
//! an integration test, it also makes `cargo test --workspace` build `bittensor-node` with the
//! same features as every other test, so the end-to-end tests find it and nothing is built
//! twice.)

use std::process::Command;

fn node(args: &[&str]) -> (bool, String, String) {
	let out = Command::new(env!("CARGO_BIN_EXE_bittensor-node")).args(args).output().unwrap();
	(
		out.status.success(),
		String::from_utf8_lossy(&out.stdout).into(),
		String::from_utf8_lossy(&out.stderr).into(),
	)
}

#[test]
fn the_dev_chain_spec_carries_subnet_one_and_the_token() {
	let (ok, spec, err) = node(&["build-spec", "--chain", "dev"]);
	assert!(ok, "build-spec failed: {err}");
	let spec: serde_json::Value = serde_json::from_str(&spec).unwrap();
	assert_eq!(spec["id"], "bittensor_dev");
	assert_eq!(spec["properties"]["tokenSymbol"], "TAO");
	assert_eq!(spec["properties"]["tokenDecimals"], 9);
	let subnets = &spec["genesis"]["runtimeGenesis"]["patch"]["bittensor"]["subnets"];
	assert!(
		subnets.as_array().is_some_and(|s| !s.is_empty()),
		"no subnets in the dev genesis: {spec}"
	);
}

#[test]
fn an_unknown_chain_is_refused_by_name() {
	let (ok, _, err) = node(&["build-spec", "--chain", "no-such-chain"]);
	assert!(!ok);
	assert!(err.contains("no-such-chain"), "{err}");
}

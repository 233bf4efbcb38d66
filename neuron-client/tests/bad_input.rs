//! Bad input gets a clear message and a non-zero exit, and nothing is sent: the signer's nonce
//! (which counts pool transactions too) and the chain's state stay as they were.

mod common;

use common::{num, run_neuron, Env, PASSWORD};

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_sent() {
	let env = Env::start().await;
	env.import_alice();
	let hotkey_ss58 = env.add_hotkey("alice", "default", "//Alice//v");
	env.neuron(&["wallet", "create", "--wallet", "poor", "--password-stdin"], PASSWORD).ok();
	let alice_ss58 = env.json(&["wallet", "show", "--wallet", "alice", "--json"])["coldkey"]
		.as_str()
		.unwrap()
		.to_string();
	// A subnet with a weights rate limit, Alice's hotkey in it and in subnet 1, with weights set.
	env.create_subnet(3, &["--weights-rate-limit", "1000", "--emission-per-block", "0"]).ok();
	for netuid in [1, 3] {
		env.register("alice", "default", netuid).ok();
	}
	env.transfer(&hotkey_ss58, "5").ok();
	// The rows below must reach the row checks: subnet 1 asks for 1 TAO of stake behind a
	// weight row, and a stake would draw the subnet's emission (paid by stake while nobody
	// is weighted), which this test needs to stay still.
	env.set_subnet(1, &["--min-stake-to-set-weights", "0"]).ok();
	env.set_weights("alice", "default", 3, "0", "1").ok();

	let coldkey_nonce = env.nonce(&alice_ss58).await;
	let hotkey_nonce = env.nonce(&hotkey_ss58).await;
	// What only transactions change (epochs rewrite rank, trust, emission…).
	let neurons = || {
		let graph = env.json(&["metagraph", "--netuid", "1", "--json"]);
		let fields = ["uid", "hotkey", "coldkey", "last_update", "axon", "stake"];
		graph.as_array().unwrap().iter().map(|n| fields.map(|f| n[f].clone())).collect::<Vec<_>>()
	};
	let graph_before = neurons();
	let balance_before = env.json(&["balance", "--wallet", "alice", "--json"]);

	let weights = |uids: &str, values: &str| env.set_weights("alice", "default", 1, uids, values);
	weights("0,x", "0.5,0.5").fails_with(&["--uids", "`x`", "not a uid"]);
	weights("0,0", "0.5,0.5").fails_with(&["uid 0 appears more than once"]);
	weights("0", "abc").fails_with(&["--values", "`abc`", "not a number"]);
	weights("0", "0.5,0.5").fails_with(&["one value per uid"]);
	weights("7", "1").fails_with(&["uid 7 has no neuron"]);
	weights("0", "0").fails_with(&["every weight is zero"]);
	env.set_weights("alice", "default", 3, "0", "1")
		.fails_with(&["rate limited", "weights_rate_limit"]);
	env.set_weights("alice", "default", 9, "0", "1").fails_with(&["subnet 9 does not exist"]);

	// Wrong password, missing wallet or hotkey, bad amounts and addresses.
	env.neuron(
		&["stake", "add", "--wallet", "alice", "--amount", "1", "--password-stdin"],
		"wrong\n",
	)
	.fails_with(&["wrong password"]);
	env.neuron(&["balance", "--wallet", "nobody"], "").fails_with(&["wallet `nobody` not found"]);
	env.neuron(&["register", "--wallet", "alice", "--hotkey", "ghost", "--netuid", "1"], "")
		.fails_with(&["hotkey `ghost` not found"]);
	env.add_stake("alice", "default", "1.5.2").fails_with(&["--amount", "not a number"]);
	env.add_stake("alice", "default", "0").fails_with(&["--amount must be above zero"]);
	env.transfer("5Nope", "1").fails_with(&["--dest", "not an SS58 address"]);
	env.serve_axon("alice", "default", 1, "localhost", "1")
		.fails_with(&["--ip", "not an IPv4 or IPv6 address"]);
	env.register("alice", "default", 1).fails_with(&["already registered in subnet 1 as uid 0"]);

	// Insufficient balance: staking and sending more than the coldkey has, and a wallet whose
	// keys have never been funded.
	env.add_stake("alice", "default", "100000000")
		.fails_with(&["insufficient balance", &alice_ss58]);
	env.transfer(&hotkey_ss58, "2000000").fails_with(&["insufficient balance"]);
	env.register("poor", "default", 1).fails_with(&["insufficient balance"]);
	env.remove_stake("alice", "default", "1").fails_with(&["has no stake on hotkey"]);

	// Not root: only the sudo key creates subnets.
	env.neuron(
		&["subnet", "create", "--wallet", "poor", "--netuid", "4", "--password-stdin"],
		PASSWORD,
	)
	.fails_with(&["needs root"]);

	env.neuron(
		&["subnet", "set", "--wallet", "poor", "--netuid", "1", "--tempo", "5", "--password-stdin"],
		PASSWORD,
	)
	.fails_with(&["changing a subnet needs root or the subnet's owner"]);
	env.set_subnet(9, &["--tempo", "5"]).fails_with(&["subnet 9 does not exist"]);
	env.set_subnet(1, &["--kappa", "1.5"]).fails_with(&["--kappa", "above 1"]);

	// An axon that would point peers at a private network is refused by the node's pool
	// (loopback is allowed on this dev chain only), so it never reaches a block either.
	for ip in ["192.168.1.20", "10.0.0.7", "fd00::5"] {
		env.serve_axon("alice", "default", 1, ip, "8091")
			.fails_with(&["Bittensor::NonRoutableAddress", "reached from the internet"]);
	}

	// Nothing was sent and nothing changed.
	assert_eq!(env.nonce(&alice_ss58).await, coldkey_nonce);
	assert_eq!(env.nonce(&hotkey_ss58).await, hotkey_nonce);
	assert_eq!(neurons(), graph_before);
	assert_eq!(
		num(&env.json(&["balance", "--wallet", "alice", "--json"])["free"]),
		num(&balance_before["free"])
	);

	// What only the chain can judge is sent, and its refusal comes back named, with a non-zero
	// exit: a pallet error with its documentation (`ExtrinsicFailed`), the same from inside a
	// sudo call (`Sudo::Sudid`), and a token error.
	env.create_subnet(5, &["--max-uids", "1", "--emission-per-block", "0"]).ok();
	env.register("alice", "default", 5).ok();
	env.neuron(&["wallet", "create", "--wallet", "alice", "--hotkey", "second"], "").ok();
	// A full subnet whose only neuron is immune still takes a newcomer: nobody is locked out.
	let replaced = env.register("alice", "second", 5);
	assert!(replaced.ok().contains("it replaced hotkey"), "{}", replaced.stdout);
	// A tempo below what owners may choose, in a subnet opened without root.
	env.neuron(
		&["subnet", "create", "--wallet", "alice", "--tempo", "5", "--password-stdin"],
		PASSWORD,
	)
	.fails_with(&["Bittensor::TempoOutsideOwnerBounds", "MinOwnerTempo"]);
	env.create_subnet(6, &["--tempo", "0"])
		.fails_with(&["Bittensor::InvalidTempo", "at least 1 block"]);
	assert!(env.neuron(&["subnet", "show", "--netuid", "6"], "").stderr.contains("does not exist"));
	let wallets = env.json(&["wallet", "list", "--json"]);
	let fresh = wallets.as_array().unwrap().iter().find(|w| w["wallet"] == "poor").unwrap()
		["coldkey"]
		.as_str()
		.unwrap()
		.to_string();
	env.transfer(&fresh, "0.0000001").fails_with(&["the transaction failed", "cannot exist"]);

	// An unreachable node and bad command lines.
	let nowhere = run_neuron(
		"ws://127.0.0.1:1",
		&env.wallet_dir(),
		env.dir.path(),
		&["balance", "--wallet", "alice"],
		"",
	);
	nowhere.fails_with(&["cannot reach the node at ws://127.0.0.1:1"]);
	env.neuron(&["metagraph"], "").fails_with(&["--netuid"]);
	env.neuron(&["metagraph", "--netuid", "70000"], "").fails_with(&["70000"]);
}

#[test]
fn a_config_file_and_environment_variables_set_global_flags() {
	let dir = tempfile::tempdir().unwrap();
	let config = dir.path().join("neuron.toml");
	std::fs::write(&config, "url = \"ws://127.0.0.1:2\"\nwallet = \"alice\"\n").unwrap();
	// The config file's url is used (and is unreachable), its wallet name too.
	let run = run_neuron_with(
		dir.path(),
		&["--config", config.to_str().unwrap(), "metagraph", "--netuid", "1"],
		&[],
	);
	run.fails_with(&["ws://127.0.0.1:2"]);
	let run = run_neuron_with(dir.path(), &["--config", config.to_str().unwrap(), "balance"], &[]);
	run.fails_with(&["wallet `alice` not found"]);
	// An environment variable beats the file; a flag beats both.
	let run = run_neuron_with(
		dir.path(),
		&["--config", config.to_str().unwrap(), "balance"],
		&[("NEURON_WALLET", "bob")],
	);
	run.fails_with(&["wallet `bob` not found"]);
	let run = run_neuron_with(
		dir.path(),
		&["--config", config.to_str().unwrap(), "--wallet", "carol", "balance"],
		&[("NEURON_WALLET", "bob")],
	);
	run.fails_with(&["wallet `carol` not found"]);
	// A typo in the file is named.
	std::fs::write(&config, "walet = \"x\"\n").unwrap();
	let run = run_neuron_with(dir.path(), &["--config", config.to_str().unwrap(), "balance"], &[]);
	run.fails_with(&["is invalid", "walet"]);
}

/// Runs `neuron` with only the given environment variables and `args` (no --url added).
fn run_neuron_with(home: &std::path::Path, args: &[&str], vars: &[(&str, &str)]) -> common::Run {
	let wallet_dir = home.join("w");
	common::run(home, &[&["--wallet-dir", wallet_dir.to_str().unwrap()], args].concat(), vars, "")
}

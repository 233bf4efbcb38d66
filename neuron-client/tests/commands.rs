//! Every `neuron` command's success path against a real dev node: wallets, transfers, a subnet
//! created through sudo, registration, axon, stake, weights, and the metagraph that shows it all.

mod common;

use common::{num, Env, PASSWORD};

const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

#[tokio::test]
async fn every_command_succeeds_against_a_dev_node() {
	let env = Env::start().await;

	// Wallets: Alice imported from her dev URI, a fresh miner wallet from new mnemonics.
	assert!(env.import_alice().contains(ALICE));
	env.add_hotkey("alice", "validator", "//Alice//validator");
	let created =
		env.neuron(&["wallet", "create", "--wallet", "miner", "--password-stdin"], PASSWORD);
	let text = created.ok();
	let mnemonics: Vec<&str> =
		text.lines().filter(|l| l.starts_with("  ")).map(str::trim).collect();
	assert_eq!(mnemonics.len(), 2, "coldkey and hotkey mnemonics are shown once: {text}");
	assert!(mnemonics.iter().all(|m| m.split_whitespace().count() == 12));
	let coldkey_file =
		std::fs::read_to_string(env.wallet_dir().join("miner").join("coldkey")).unwrap();
	assert!(!coldkey_file.contains(mnemonics[0]), "the coldkey is encrypted at rest");
	#[cfg(unix)]
	{
		use std::os::unix::fs::PermissionsExt;
		for file in ["coldkey", "hotkeys/default"] {
			let path = env.wallet_dir().join("miner").join(file);
			let mode = std::fs::metadata(&path).unwrap().permissions().mode();
			assert_eq!(mode & 0o777, 0o600, "{file}");
		}
	}
	// The secret can come from standard input too (first line), then the password.
	let bob = env.neuron(
		&["wallet", "regen", "--wallet", "bob", "--password-stdin"],
		&format!("//Bob\n{PASSWORD}"),
	);
	assert!(bob.ok().contains("5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"));
	let wallets = env.json(&["wallet", "list", "--json"]);
	assert_eq!(wallets.as_array().unwrap().len(), 3);
	let miner = env.json(&["wallet", "show", "--wallet", "miner", "--json"]);
	let miner_coldkey = miner["coldkey"].as_str().unwrap().to_string();
	let miner_hotkey = miner["hotkeys"][0]["ss58"].as_str().unwrap().to_string();
	assert_eq!(num(&miner["balance"]), 0.0);
	let alice = env.json(&["wallet", "show", "--wallet", "alice", "--json"]);
	assert_eq!(alice["coldkey"], ALICE);
	assert!(num(&alice["balance"]) > 1000.0);

	// Transfers: funds for the miner's coldkey and fees for its hotkey.
	env.transfer(&miner_coldkey, "100.5").ok();
	env.transfer(&miner_hotkey, "1").ok();
	let balance = env.json(&["balance", "--wallet", "miner", "--json"]);
	assert_eq!(num(&balance["free"]), 100.5);

	// Subnets: the dev chain's subnet 1, and subnet 2 created by the sudo key.
	let subnets = env.json(&["subnet", "list", "--json"]);
	assert_eq!(subnets[0]["netuid"], 1);
	let one = env.json(&["subnet", "show", "--netuid", "1", "--json"]);
	assert_eq!(one["tempo"], 10);
	assert_eq!(num(&one["kappa"]), 0.5);
	env.create_subnet(2, &["--tempo", "50", "--kappa", "0.6", "--emission-per-block", "0"]).ok();
	let two = env.json(&["subnet", "show", "--netuid", "2", "--json"]);
	assert_eq!((two["tempo"].as_u64(), num(&two["kappa"])), (Some(50), 0.6));
	assert!(env.neuron(&["subnet", "list"], "").ok().contains("NETUID"));
	// `subnet set` changes only the flags given.
	env.set_subnet(2, &["--immunity-period", "7"]).ok();
	let two = env.json(&["subnet", "show", "--netuid", "2", "--json"]);
	assert_eq!((two["immunity_period"].as_u64(), two["tempo"].as_u64()), (Some(7), Some(50)));
	assert_eq!(num(&two["kappa"]), 0.6);

	// Registration (the coldkey pays the burn), axon, stake and weights, in subnet 2, which
	// mints nothing, so that stakes stay exactly what the commands made them.
	let out = env.register("miner", "default", 2);
	assert!(out.ok().contains("as uid 0"), "{}", out.stdout);
	let out = env.register("alice", "validator", 2);
	assert!(out.ok().contains("as uid 1"), "{}", out.stdout);
	env.serve_axon("miner", "default", 2, "127.0.0.1", "8091").ok();
	env.add_stake("miner", "default", "10").ok();
	// New stake stays a full tempo (50 blocks here) before it can leave.
	env.remove_stake("miner", "default", "2.5")
		.fails_with(&["locked until block", "stake must stay a full tempo"]);
	let stakes = env.json(&["stake", "list", "--wallet", "miner", "--json"]);
	assert_eq!(num(&stakes[0]["stake"]), 10.0);
	assert_eq!(stakes[0]["hotkey"], "default");
	// Stake on a hotkey given by its address works the same.
	let validator = env.json(&["wallet", "show", "--wallet", "alice", "--json"])["hotkeys"][0]
		["ss58"]
		.as_str()
		.unwrap()
		.to_string();
	env.add_stake("alice", &validator, "20").ok();
	let out = env.neuron(
		&[
			"weights",
			"set",
			"--wallet",
			"miner",
			"--netuid",
			"2",
			"--uids",
			"0,1",
			"--values",
			"0.25,0.75",
			"--wait-finalized",
		],
		"",
	);
	assert!(out.ok().contains("set 2 weights"), "{}", out.stdout);

	// The metagraph shows all of it, as JSON with exactly the documented fields and as a table.
	let graph = env.json(&["metagraph", "--netuid", "2", "--json"]);
	let neurons = graph.as_array().unwrap();
	assert_eq!(neurons.len(), 2);
	let fields = [
		"uid",
		"hotkey",
		"coldkey",
		"stake",
		"rank",
		"trust",
		"consensus",
		"incentive",
		"dividends",
		"validator_trust",
		"emission",
		"active",
		"last_update",
		"axon",
	];
	for n in neurons {
		let mut keys: Vec<&str> = n.as_object().unwrap().keys().map(String::as_str).collect();
		keys.sort();
		let mut expected = fields.to_vec();
		expected.sort();
		assert_eq!(keys, expected);
	}
	assert_eq!(neurons[0]["hotkey"], miner_hotkey.as_str());
	assert_eq!(neurons[0]["coldkey"], miner_coldkey.as_str());
	assert_eq!(num(&neurons[0]["stake"]), 10.0);
	assert_eq!(neurons[0]["axon"], "127.0.0.1:8091");
	assert_eq!(num(&neurons[1]["stake"]), 20.0);
	assert!(neurons[1]["axon"].is_null());
	let table = env.neuron(&["metagraph", "--netuid", "2"], "");
	let lines: Vec<&str> = table.ok().lines().collect();
	assert!(
		lines[1].starts_with("UID")
			&& lines[1].contains("LAST UPDATE")
			&& lines[1].ends_with("AXON")
	);
	assert_eq!(lines.len(), 4);

	// A new password: the old one stops working, the new one unlocks.
	let new_pw = "a much longer passphrase\n";
	env.neuron(
		&["wallet", "change-password", "--wallet", "miner", "--password-stdin"],
		&format!("{PASSWORD}{new_pw}"),
	)
	.ok();
	env.add_stake("miner", "default", "1").fails_with(&["wrong password"]);
	env.neuron(&["stake", "add", "--wallet", "miner", "--amount", "1", "--password-stdin"], new_pw)
		.ok();

	// The miner's coldkey paid the burn, the stake and fees: its free balance went down by
	// more than 0.1 + 10 + 1.
	let balance = env.json(&["balance", "--wallet", "miner", "--json"]);
	let free = num(&balance["free"]);
	assert!(free < 100.5 - 0.1 - 11.0 && free > 100.5 - 0.1 - 11.0 - 0.1, "free {free}");
	assert_eq!(num(&balance["staked"]), 11.0);
}

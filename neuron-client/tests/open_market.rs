//! The open market against a real dev node, through the `neuron` CLI only: a coldkey that is
//! not root opens a subnet for a lock and sets its rules; a burst of registrations sees the
//! price rise and decay; a nominator backs a validator and earns, less the owner's take; the
//! owner dissolves the subnet and gets the lock back.

mod common;

use common::{num, ss58, Env, PASSWORD};
use std::time::{Duration, Instant};

fn best_block(env: &Env, netuid: &str) -> u64 {
	env.json(&["subnet", "burn-cost", "--netuid", netuid, "--json"])["block"].as_u64().unwrap()
}

fn burn_cost(env: &Env, netuid: &str) -> f64 {
	num(&env.json(&["subnet", "burn-cost", "--netuid", netuid, "--json"])["cost"])
}

/// Waits until the chain's best block is at least `block`.
fn wait_for_block(env: &Env, netuid: &str, block: u64) {
	let deadline = Instant::now() + Duration::from_secs(240);
	while best_block(env, netuid) < block {
		assert!(Instant::now() < deadline, "the chain did not reach block {block}");
		std::thread::sleep(Duration::from_millis(500));
	}
}

/// The `neuron delegate list` entry of `hotkey`.
fn delegate(env: &Env, hotkey: &str) -> serde_json::Value {
	let delegates = env.json(&["delegate", "list", "--json"]);
	let found = delegates.as_array().unwrap().iter().find(|d| d["hotkey"] == hotkey).cloned();
	found.unwrap_or_else(|| panic!("{hotkey} is not among the delegates: {delegates}"))
}

#[tokio::test]
async fn anyone_opens_a_subnet_newcomers_pay_a_fair_price_and_nominators_earn() {
	let env = Env::start().await;
	env.import_alice();
	// A builder that is not root, with funds of its own.
	let builder = env.neuron(
		&["wallet", "regen", "--wallet", "builder", "--uri", "//Builder", "--password-stdin"],
		PASSWORD,
	);
	builder.ok();
	let builder_coldkey = ss58("//Builder");
	env.transfer(&builder_coldkey, "1000").ok();

	// Opening a subnet locks the current cost, which then doubles for the next one.
	let cost = num(&env.json(&["subnet", "create-cost", "--json"])["cost"]);
	assert_eq!(cost, 10.0, "the runtime's minimum lock");
	let created = env.neuron(
		&[
			"subnet",
			"create",
			"--wallet",
			"builder",
			"--tempo",
			"10",
			"--max-uids",
			"3",
			"--immunity-period",
			"1000",
			"--registration-burn",
			"1",
			"--max-burn",
			"100",
			"--burn-increase",
			"0.5",
			"--burn-half-life",
			"5",
			"--password-stdin",
		],
		PASSWORD,
	);
	let text = created.ok().to_string();
	assert!(text.contains("subnet 2 opened"), "{text}");
	let after = num(&env.json(&["subnet", "create-cost", "--json"])["cost"]);
	assert!(after > 19.9 && after <= 20.0, "the next subnet costs about twice: {after}");
	let balance = num(&env.json(&["balance", "--wallet", "builder", "--json"])["free"]);
	assert!(balance < 990.0 && balance > 989.0, "10 locked plus a fee: {balance}");
	// It mints nothing until root gives it an emission; the owner cannot.
	env.neuron(
		&[
			"subnet",
			"set",
			"--wallet",
			"builder",
			"--netuid",
			"2",
			"--emission-per-block",
			"1",
			"--password-stdin",
		],
		PASSWORD,
	)
	.fails_with(&["EmissionNotSettableByOwner"]);
	// Root may also go below the owners' shortest tempo: epochs every 5 blocks keep this
	// test short.
	env.set_subnet(2, &["--emission-per-block", "1", "--tempo", "5"]).ok();
	let shown = env.json(&["subnet", "show", "--netuid", "2", "--json"]);
	assert_eq!(num(&shown["emission_per_block"]), 1.0);
	assert_eq!(num(&shown["burn_increase"]), 0.5);

	// A burst of registrations: each one raises the price by half, then it decays.
	let price = burn_cost(&env, "2");
	assert_eq!(price, 1.0);
	let mut hotkeys = Vec::new();
	for name in ["v", "m1", "m2", "m3", "m4"] {
		hotkeys.push(env.add_hotkey("alice", name, &format!("//Alice//{name}")));
		let before = burn_cost(&env, "2");
		let out = env.register("alice", name, 2);
		out.ok();
		let raised = burn_cost(&env, "2");
		// ×1.5 at the registration, less the decay of the block or two around it.
		assert!(raised > before * 1.1, "a registration raises the price: {before} -> {raised}");
	}
	assert!(burn_cost(&env, "2") > 2.5, "five registrations raised the price well above 1");
	// Five registrations in a subnet of three: the burst got in although every neuron is
	// immune (1,000 blocks), replacing the oldest.
	let graph = env.json(&["metagraph", "--netuid", "2", "--json"]);
	assert_eq!(graph.as_array().unwrap().len(), 3);
	// A limit below the price is refused by name, at no cost.
	env.add_hotkey("alice", "late", "//Alice//late");
	env.neuron(
		&[
			"register",
			"--wallet",
			"alice",
			"--hotkey",
			"late",
			"--netuid",
			"2",
			"--max-burn",
			"0.5",
			"--password-stdin",
		],
		PASSWORD,
	)
	.fails_with(&["above the limit"]);
	let peak = burn_cost(&env, "2");
	let from = best_block(&env, "2");
	wait_for_block(&env, "2", from + 6);
	let decayed = burn_cost(&env, "2");
	assert!(decayed < peak * 0.75, "the price decays: {peak} -> {decayed}");

	// A validator registers (replacing the oldest of the burst) and sets weights; a nominator
	// backs it.
	let validator = {
		env.add_hotkey("alice", "val", "//Alice//val");
		env.neuron(
			&[
				"register",
				"--wallet",
				"alice",
				"--hotkey",
				"val",
				"--netuid",
				"2",
				"--max-burn",
				"100",
				"--password-stdin",
			],
			PASSWORD,
		)
		.ok();
		ss58("//Alice//val")
	};
	env.add_stake("alice", "val", "100").ok();
	env.neuron(
		&["wallet", "regen", "--wallet", "fan", "--uri", "//Fan", "--password-stdin"],
		PASSWORD,
	)
	.ok();
	env.transfer(&ss58("//Fan"), "500").ok();
	env.add_stake("fan", &validator, "100").ok();
	let listed = delegate(&env, &validator);
	assert_eq!(listed["nominators"], 1);
	assert_eq!(num(&listed["take"]), 18.0);
	let graph = env.json(&["metagraph", "--netuid", "2", "--json"]);
	let uids: Vec<String> =
		graph.as_array().unwrap().iter().map(|n| n["uid"].to_string()).collect();
	let rows: Vec<String> = uids.iter().map(|_| "1".to_string()).collect();
	env.neuron(
		&[
			"weights",
			"set",
			"--wallet",
			"alice",
			"--hotkey",
			"val",
			"--netuid",
			"2",
			"--uids",
			&uids.join(","),
			"--values",
			&rows.join(","),
			"--password-stdin",
		],
		PASSWORD,
	)
	.ok();
	// Stake counts once held across an epoch: two epochs later (tempo 5) the nominator's
	// position has earned.
	let from = best_block(&env, "2");
	wait_for_block(&env, "2", from + 13);
	let positions = env.json(&["stake", "list", "--wallet", "fan", "--json"]);
	let position = &positions.as_array().unwrap()[0];
	assert_eq!(position["ss58"], validator.as_str());
	assert_eq!(position["nominated"], true);
	assert!(num(&position["earned"]) > 0.0, "the nominator earned: {position}");
	let own = env.json(&["stake", "list", "--wallet", "alice", "--json"]);
	let alice_val =
		own.as_array().unwrap().iter().find(|p| p["ss58"] == validator.as_str()).unwrap().clone();
	// Equal stakes: the owner earned the nominator's share plus its take of it.
	assert!(num(&alice_val["earned"]) > num(&position["earned"]), "{alice_val} vs {position}");
	// The owner lowers its take.
	env.neuron(
		&[
			"delegate",
			"take",
			"--wallet",
			"alice",
			"--hotkey",
			"val",
			"--percent",
			"9",
			"--password-stdin",
		],
		PASSWORD,
	)
	.ok();
	let listed = delegate(&env, &validator);
	assert_eq!(num(&listed["take"]), 9.0);

	// The validator's hotkey leaks: Alice moves the neuron to a fresh hotkey; its uid, its
	// take and the nominator's position follow.
	let fresh = env.add_hotkey("alice", "val2", "//Alice//val2");
	let graph = env.json(&["metagraph", "--netuid", "2", "--json"]);
	let uid = graph.as_array().unwrap().iter().find(|n| n["hotkey"] == validator.as_str()).unwrap()
		["uid"]
		.clone();
	env.neuron(
		&[
			"swap-hotkey",
			"--wallet",
			"alice",
			"--hotkey",
			"val",
			"--new-hotkey",
			"val2",
			"--password-stdin",
		],
		PASSWORD,
	)
	.ok();
	let graph = env.json(&["metagraph", "--netuid", "2", "--json"]);
	let moved = graph.as_array().unwrap().iter().find(|n| n["uid"] == uid).unwrap().clone();
	assert_eq!(moved["hotkey"], fresh.as_str());
	let positions = env.json(&["stake", "list", "--wallet", "fan", "--json"]);
	assert_eq!(positions[0]["ss58"], fresh.as_str());
	let listed = delegate(&env, &fresh);
	assert_eq!((num(&listed["take"]), listed["nominators"].as_u64()), (9.0, Some(1)));

	// The owner dissolves its subnet and gets the lock back; the stake stays on the hotkeys.
	let before = num(&env.json(&["balance", "--wallet", "builder", "--json"])["free"]);
	env.neuron(
		&["subnet", "dissolve", "--wallet", "alice", "--netuid", "2", "--password-stdin"],
		PASSWORD,
	)
	.fails_with(&["belongs to coldkey"]);
	env.neuron(
		&["subnet", "dissolve", "--wallet", "builder", "--netuid", "2", "--password-stdin"],
		PASSWORD,
	)
	.ok();
	let after = num(&env.json(&["balance", "--wallet", "builder", "--json"])["free"]);
	assert!(after > before + 9.9, "the lock came back: {before} -> {after}");
	let subnets = env.json(&["subnet", "list", "--json"]);
	assert!(subnets.as_array().unwrap().iter().all(|s| s["netuid"] != 2));
	let positions = env.json(&["stake", "list", "--wallet", "fan", "--json"]);
	assert!(num(&positions[0]["worth"]) > 100.0);
}

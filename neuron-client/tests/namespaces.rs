//! Beyond one host: two network namespaces joined by a veth pair (11.0.0.1 and 11.0.0.2,
//! public addresses that stay inside the namespaces), a validator of a `--chain local`
//! network and a learning neuron in each. The neurons find each other's axons through the
//! chain and exchange tensors across the namespaces. Skipped, with a message, where namespaces cannot be made (not root, no
//! iproute2, no permission).

mod common;

use common::{NeuronProcess, PASSWORD};
use std::{
	io::Write,
	path::{Path, PathBuf},
	process::{Command, Stdio},
	time::{Duration, Instant},
};

/// Runs `ip args…`; `Err` with its message when it fails.
fn ip(args: &[&str]) -> Result<(), String> {
	let out = Command::new("ip").args(args).output().map_err(|e| format!("ip: {e}"))?;
	if out.status.success() {
		Ok(())
	} else {
		Err(format!("ip {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
	}
}

/// Two namespaces and the veth pair between them, removed on drop.
struct Namespaces {
	names: [String; 2],
}

impl Namespaces {
	fn make(tag: &str) -> Result<Self, String> {
		let names = [format!("{tag}a"), format!("{tag}b")];
		let made = Self { names: names.clone() };
		let (va, vb) = (format!("{tag}va"), format!("{tag}vb"));
		ip(&["netns", "add", &names[0]])?;
		ip(&["netns", "add", &names[1]])?;
		ip(&["link", "add", &va, "type", "veth", "peer", "name", &vb])?;
		for (ns, dev, addr) in [(&names[0], &va, "11.0.0.1/24"), (&names[1], &vb, "11.0.0.2/24")] {
			ip(&["link", "set", dev, "netns", ns])?;
			ip(&["-n", ns, "addr", "add", addr, "dev", dev])?;
			ip(&["-n", ns, "link", "set", dev, "up"])?;
			ip(&["-n", ns, "link", "set", "lo", "up"])?;
		}
		Ok(made)
	}

	/// `ip netns exec <ns> program args…`.
	fn command(&self, side: usize, program: &Path) -> Command {
		let mut c = Command::new("ip");
		c.args(["netns", "exec", &self.names[side]]).arg(program);
		c
	}
}

impl Drop for Namespaces {
	fn drop(&mut self) {
		for ns in &self.names {
			let _ = ip(&["netns", "del", ns]);
		}
	}
}

#[test]
fn neurons_in_two_namespaces_exchange_tensors_across_them() {
	let tag = format!("bt{}", std::process::id() % 100_000);
	let ns = match Namespaces::make(&tag) {
		Ok(ns) => ns,
		Err(why) => {
			eprintln!(
				"SKIPPED: cannot make network namespaces here ({why}); needs root and iproute2"
			);
			return;
		},
	};
	let dir = tempfile::tempdir().unwrap();
	let node = bittensor_e2e::node_binary().unwrap();
	let neuron = PathBuf::from(env!("CARGO_BIN_EXE_neuron"));
	// Global unicast addresses, as two hosts on the internet would have (the chain refuses
	// private, benchmarking and documentation ranges for axons); they never leave the isolated
	// namespaces.
	let addrs = ["11.0.0.1", "11.0.0.2"];

	// A validator in each namespace: alice listens on 11.0.0.1, bob dials her there.
	let mut nodes = Vec::new();
	let mut bootnode: Option<String> = None;
	for (side, (who, key)) in [("alice", 1u8), ("bob", 2u8)].into_iter().enumerate() {
		let key_file = dir.path().join(format!("{who}.key"));
		std::fs::write(&key_file, format!("{key:064x}")).unwrap();
		let mut c = ns.command(side, &node);
		c.args(["--chain", "local", &format!("--{who}"), "--base-path"])
			.arg(dir.path().join(who))
			.arg("--node-key-file")
			.arg(&key_file)
			.args(["--listen-addr", &format!("/ip4/{}/tcp/30333", addrs[side])])
			.args(["--rpc-port", "9944", "--no-prometheus", "--no-telemetry", "--no-mdns"]);
		if let Some(boot) = bootnode.as_deref() {
			c.args(["--bootnodes", boot]);
		}
		nodes.push(NeuronProcess::spawn(c, dir.path().join(format!("{who}.log")), ""));
		if side == 0 {
			let peer = bittensor_e2e::peer_id(&key_file).unwrap();
			bootnode = Some(format!("/ip4/{}/tcp/30333/p2p/{peer}", addrs[0]));
		}
	}
	let wallets = dir.path().join("wallets");
	let cli = |side: usize, args: &[&str], stdin: &str| {
		let mut c = ns.command(side, &neuron);
		c.args(["--url", "ws://127.0.0.1:9944", "--wallet-dir"]).arg(&wallets).args(args);
		c.env("HOME", dir.path())
			.stdin(Stdio::piped())
			.stdout(Stdio::piped())
			.stderr(Stdio::piped());
		let mut child = c.spawn().unwrap();
		child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
		let out = child.wait_with_output().unwrap();
		(
			out.status.success(),
			format!(
				"{}{}",
				String::from_utf8_lossy(&out.stdout),
				String::from_utf8_lossy(&out.stderr)
			),
		)
	};
	// Both nodes answer, and bob's has blocks from alice (they peer across the veth pair).
	let started = Instant::now();
	loop {
		let a = cli(0, &["subnet", "list"], "").0;
		let b = cli(1, &["subnet", "list"], "").0;
		if a && b {
			break;
		}
		assert!(
			started.elapsed() < Duration::from_secs(90),
			"the validators did not start:\n{}\n{}",
			nodes[0].output(),
			nodes[1].output()
		);
		std::thread::sleep(Duration::from_secs(1));
	}

	let ok = |(success, out): (bool, String)| assert!(success, "{out}");
	ok(cli(
		0,
		&["wallet", "regen", "--wallet", "alice", "--uri", "//Alice", "--password-stdin"],
		PASSWORD,
	));
	let names = ["west", "east"];
	for (side, name) in names.iter().enumerate() {
		let uri = format!("//Alice//{name}");
		ok(cli(
			side,
			&[
				"wallet", "regen", "--wallet", "alice", "--hotkey", name, "--key", "hotkey",
				"--uri", &uri,
			],
			"",
		));
	}
	// Each hotkey is registered and staked through its own side's validator: subnet 1 asks
	// for 1 TAO of stake behind a weight row.
	for (side, name) in names.iter().enumerate() {
		let hotkey = ["--wallet", "alice", "--hotkey", name, "--password-stdin"];
		ok(cli(side, &[&["register", "--netuid", "1"][..], &hotkey].concat(), PASSWORD));
		ok(cli(side, &[&["stake", "add", "--amount", "2"][..], &hotkey].concat(), PASSWORD));
	}
	// A neuron in each namespace, announcing its namespace's address.
	let mut neurons = Vec::new();
	for (side, name) in names.iter().enumerate() {
		let mut c = ns.command(side, &neuron);
		c.args(["--url", "ws://127.0.0.1:9944", "--wallet-dir"])
			.arg(&wallets)
			.args([
				"--wallet",
				"alice",
				"--hotkey",
				name,
				"--password-stdin",
				"run",
				"--netuid",
				"1",
			])
			.args(["--axon-ip", addrs[side], "--axon-port", "8091", "--dim", "32", "--batch", "4"])
			.args(["--seq-len", "16", "--threads", "1", "--sync-secs", "2", "--log-every", "10"])
			.env("HOME", dir.path());
		neurons.push(NeuronProcess::spawn(c, dir.path().join(format!("{name}.log")), PASSWORD));
	}

	// Each one's progress shows its peer across the veth pair answering, and each sets weights
	// on it from what it learned.
	let started = Instant::now();
	loop {
		let answered = neurons.iter().all(|n| n.output().contains("peers 1/1"));
		let weights = neurons.iter().all(|n| n.output().contains("weights set"));
		if answered && weights {
			break;
		}
		assert!(
			started.elapsed() < Duration::from_secs(240),
			"no exchange across the namespaces:\nwest:\n{}\neast:\n{}",
			neurons[0].output(),
			neurons[1].output()
		);
		std::thread::sleep(Duration::from_secs(2));
	}
	let (success, table) = cli(1, &["metagraph", "--netuid", "1", "--json"], "");
	assert!(success, "{table}");
	for addr in addrs {
		assert!(table.contains(&format!("\"{addr}:8091\"")), "axon {addr} missing:\n{table}");
	}
}

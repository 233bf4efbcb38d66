//! Running the real `neuron` binary against a real dev node.

#![allow(dead_code)]

use bittensor_e2e::{wait_for_heights, Node};
use serde_json::Value;
use std::{
	fs::File,
	io::Write,
	path::{Path, PathBuf},
	process::{Child, Command, ExitStatus, Output, Stdio},
	time::{Duration, Instant},
};

/// The password of every test wallet's coldkey, as `--password-stdin` reads it.
pub const PASSWORD: &str = "pw\n";

/// A dev node plus a private wallet folder and home for the client.
pub struct Env {
	pub node: Node,
	pub dir: tempfile::TempDir,
}

impl Env {
	pub async fn start() -> Self {
		let dir = tempfile::tempdir().unwrap();
		let mut node = Node::start(&["--dev", "--tmp"], dir.path(), "dev").unwrap();
		wait_for_heights(&mut node, 1, 0, Duration::from_secs(90)).await.unwrap();
		Self { node, dir }
	}

	pub fn url(&self) -> String {
		format!("ws://127.0.0.1:{}", self.node.rpc_port)
	}

	pub fn wallet_dir(&self) -> PathBuf {
		self.dir.path().join("wallets")
	}

	/// Runs `neuron --url <node> --wallet-dir <dir> args…` with `stdin` as its input; no
	/// `NEURON_*` variable or config file of the machine leaks in.
	pub fn neuron(&self, args: &[&str], stdin: &str) -> Run {
		run_neuron(&self.url(), &self.wallet_dir(), self.dir.path(), args, stdin)
	}

	/// `neuron … --json`, parsed; panics unless it succeeds.
	pub fn json(&self, args: &[&str]) -> Value {
		let run = self.neuron(args, "");
		run.ok();
		serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
	}

	/// The next nonce of `ss58` (counts transactions in the pool too).
	pub async fn nonce(&self, ss58: &str) -> u64 {
		use jsonrpsee::{core::client::ClientT, rpc_params};
		let n: Value = self
			.node
			.rpc()
			.unwrap()
			.request("system_accountNextIndex", rpc_params![ss58])
			.await
			.unwrap();
		n.as_u64().unwrap()
	}

	/// `neuron --url <node> --wallet-dir <dir> args…` as a command to spawn: its home is the
	/// env's folder and no `NEURON_*` variable of the machine leaks in.
	pub fn command(&self, args: &[&str]) -> Command {
		let mut command = neuron_command(self.dir.path());
		command.args(["--url", &self.url(), "--wallet-dir", self.wallet_dir().to_str().unwrap()]);
		command.args(args);
		command
	}

	/// Imports wallet `alice` from `//Alice` (the dev chain's root and richest account), its
	/// coldkey encrypted with [`PASSWORD`]; returns what `neuron` printed.
	pub fn import_alice(&self) -> String {
		self.import_dev_wallet("alice", "//Alice")
	}

	/// Imports wallet `wallet` from the dev account `uri` (`//Bob`, …: funded on dev chains),
	/// its coldkey encrypted with [`PASSWORD`]; returns what `neuron` printed.
	pub fn import_dev_wallet(&self, wallet: &str, uri: &str) -> String {
		let args = ["wallet", "regen", "--wallet", wallet, "--uri", uri, "--password-stdin"];
		self.neuron(&args, PASSWORD).ok().to_string()
	}

	/// Adds hotkey `name` to `wallet` from the secret `uri`; returns its SS58 address.
	pub fn add_hotkey(&self, wallet: &str, name: &str, uri: &str) -> String {
		let args = ["wallet", "regen", "--wallet", wallet, "--hotkey", name, "--key", "hotkey"];
		self.neuron(&[&args[..], &["--uri", uri]].concat(), "").ok();
		ss58(uri)
	}

	/// `neuron subnet create --netuid <netuid> flags…` as root (wallet `alice`).
	pub fn create_subnet(&self, netuid: u16, flags: &[&str]) -> Run {
		self.as_root("create", netuid, flags)
	}

	/// `neuron subnet set --netuid <netuid> flags…` as root (wallet `alice`).
	pub fn set_subnet(&self, netuid: u16, flags: &[&str]) -> Run {
		self.as_root("set", netuid, flags)
	}

	fn as_root(&self, action: &str, netuid: u16, flags: &[&str]) -> Run {
		let netuid = netuid.to_string();
		let args = ["subnet", action, "--wallet", "alice", "--netuid", &netuid];
		self.neuron(&[&args[..], flags, &["--password-stdin"]].concat(), PASSWORD)
	}

	/// `neuron register`: `wallet`'s coldkey pays to register its hotkey `hotkey` in `netuid`.
	pub fn register(&self, wallet: &str, hotkey: &str, netuid: u16) -> Run {
		let netuid = netuid.to_string();
		let args = ["register", "--wallet", wallet, "--hotkey", hotkey, "--netuid", &netuid];
		self.neuron(&[&args[..], &["--password-stdin"]].concat(), PASSWORD)
	}

	/// `neuron stake add`: `amount` tokens from `wallet`'s coldkey onto `hotkey` (a name in the
	/// wallet or an SS58 address).
	pub fn add_stake(&self, wallet: &str, hotkey: &str, amount: &str) -> Run {
		self.stake("add", wallet, hotkey, amount)
	}

	/// `neuron stake remove`: `amount` tokens of stake on `hotkey` back to `wallet`'s coldkey.
	pub fn remove_stake(&self, wallet: &str, hotkey: &str, amount: &str) -> Run {
		self.stake("remove", wallet, hotkey, amount)
	}

	fn stake(&self, action: &str, wallet: &str, hotkey: &str, amount: &str) -> Run {
		let args = ["stake", action, "--wallet", wallet, "--hotkey", hotkey, "--amount", amount];
		self.neuron(&[&args[..], &["--password-stdin"]].concat(), PASSWORD)
	}

	/// Alice's hotkey `name`, from `//Alice//<name>`, registered in `netuid` and staked with
	/// `amount` tokens by her coldkey; returns its SS58 address.
	pub fn register_and_stake(&self, name: &str, netuid: u16, amount: &str) -> String {
		self.register_and_stake_as("alice", "//Alice", name, netuid, amount)
	}

	/// [`Self::register_and_stake`] by wallet `wallet` (imported from the dev account `uri`):
	/// hotkey `name` from `<uri>//<name>`.
	pub fn register_and_stake_as(
		&self,
		wallet: &str,
		uri: &str,
		name: &str,
		netuid: u16,
		amount: &str,
	) -> String {
		let hotkey = self.add_hotkey(wallet, name, &format!("{uri}//{name}"));
		self.register(wallet, name, netuid).ok();
		self.add_stake(wallet, name, amount).ok();
		hotkey
	}

	/// `neuron transfer`: `amount` tokens from Alice's coldkey to `dest`.
	pub fn transfer(&self, dest: &str, amount: &str) -> Run {
		let args = ["transfer", "--wallet", "alice", "--dest", dest, "--amount", amount];
		self.neuron(&[&args[..], &["--password-stdin"]].concat(), PASSWORD)
	}

	/// `neuron axon serve`: `wallet`'s hotkey `hotkey` announces `ip`:`port` in `netuid`.
	pub fn serve_axon(&self, wallet: &str, hotkey: &str, netuid: u16, ip: &str, port: &str) -> Run {
		let netuid = netuid.to_string();
		let args = ["axon", "serve", "--wallet", wallet, "--hotkey", hotkey, "--netuid", &netuid];
		self.neuron(&[&args[..], &["--ip", ip, "--port", port]].concat(), "")
	}

	/// `neuron weights set`: `wallet`'s hotkey `hotkey` weights `uids` by `values` in `netuid`
	/// (both comma-separated, passed as they are).
	pub fn set_weights(
		&self,
		wallet: &str,
		hotkey: &str,
		netuid: u16,
		uids: &str,
		values: &str,
	) -> Run {
		let netuid = netuid.to_string();
		let args = ["weights", "set", "--wallet", wallet, "--hotkey", hotkey, "--netuid", &netuid];
		self.neuron(&[&args[..], &["--uids", uids, "--values", values]].concat(), "")
	}
}

pub fn run_neuron(url: &str, wallet_dir: &Path, home: &Path, args: &[&str], stdin: &str) -> Run {
	let wallet_dir = wallet_dir.to_str().unwrap();
	run(home, &[&["--url", url, "--wallet-dir", wallet_dir], args].concat(), &[], stdin)
}

/// Runs `neuron args…` with `home` as its home, only the `NEURON_*` variables in `vars`, and
/// `stdin` as its input.
pub fn run(home: &Path, args: &[&str], vars: &[(&str, &str)], stdin: &str) -> Run {
	let mut command = neuron_command(home);
	command.envs(vars.iter().copied());
	let mut child = command
		.args(args)
		.stdin(Stdio::piped())
		.stdout(Stdio::piped())
		.stderr(Stdio::piped())
		.spawn()
		.unwrap();
	child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
	let Output { status, stdout, stderr } = child.wait_with_output().unwrap();
	Run {
		args: args.join(" "),
		success: status.success(),
		code: status.code(),
		stdout: String::from_utf8_lossy(&stdout).into(),
		stderr: String::from_utf8_lossy(&stderr).into(),
	}
}

/// The `neuron` binary with `home` as its home and no `NEURON_*` variable of the machine.
fn neuron_command(home: &Path) -> Command {
	let mut command = Command::new(env!("CARGO_BIN_EXE_neuron"));
	for (key, _) in std::env::vars() {
		if key.starts_with("NEURON_") {
			command.env_remove(key);
		}
	}
	command.env("HOME", home);
	command
}

/// A long-running process, its stdout and stderr together in one log file, killed if still
/// running when dropped: a `neuron run` ([`NeuronProcess::start`]), or any command line made
/// ready by the test ([`NeuronProcess::spawn`]).
pub struct NeuronProcess {
	child: Child,
	log: PathBuf,
}

impl NeuronProcess {
	/// `neuron … --wallet <wallet> --hotkey <hotkey> --password-stdin run args…` against
	/// `env`'s node, unlocked with [`PASSWORD`], logging to `<hotkey>.log` in the env's folder.
	pub fn start(env: &Env, wallet: &str, hotkey: &str, args: &[&str]) -> Self {
		let global = ["--wallet", wallet, "--hotkey", hotkey, "--password-stdin", "run"];
		let command = env.command(&[&global[..], args].concat());
		Self::spawn(command, env.dir.path().join(format!("{hotkey}.log")), PASSWORD)
	}

	/// Spawns `command` as it is, with `stdin` as its input and its output in `log`.
	pub fn spawn(mut command: Command, log: PathBuf, stdin: &str) -> Self {
		let file = File::create(&log).unwrap();
		let mut child = command
			.stdin(Stdio::piped())
			.stdout(file.try_clone().unwrap())
			.stderr(file)
			.spawn()
			.unwrap();
		child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
		Self { child, log }
	}

	/// Everything it has written so far.
	pub fn output(&self) -> String {
		std::fs::read_to_string(&self.log).unwrap_or_default()
	}

	/// The last `n` lines it has written.
	pub fn tail(&self, n: usize) -> String {
		let output = self.output();
		let lines: Vec<&str> = output.lines().collect();
		lines[lines.len().saturating_sub(n)..].join("\n")
	}

	/// Kills it with SIGKILL, as a crash or power cut would stop it, and waits for it.
	pub fn kill(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}

	/// Stops it with SIGTERM; panics unless it exits within 30 s.
	pub fn terminate(&mut self) -> ExitStatus {
		let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
		let deadline = Instant::now() + Duration::from_secs(30);
		loop {
			if let Some(status) = self.child.try_wait().unwrap() {
				return status;
			}
			assert!(Instant::now() < deadline, "the process did not stop:\n{}", self.output());
			std::thread::sleep(Duration::from_millis(100));
		}
	}
}

impl Drop for NeuronProcess {
	fn drop(&mut self) {
		if self.child.try_wait().ok().flatten().is_none() {
			let _ = self.child.kill();
			let _ = self.child.wait();
		}
	}
}

/// What one `neuron` run did.
pub struct Run {
	pub args: String,
	pub success: bool,
	pub code: Option<i32>,
	pub stdout: String,
	pub stderr: String,
}

impl Run {
	/// Asserts success and returns stdout.
	pub fn ok(&self) -> &str {
		assert!(self.success, "`neuron {}` failed:\n{}\n{}", self.args, self.stdout, self.stderr);
		&self.stdout
	}

	/// Asserts a non-zero exit whose message contains every one of `needles`.
	pub fn fails_with(&self, needles: &[&str]) {
		assert!(!self.success, "`neuron {}` succeeded:\n{}", self.args, self.stdout);
		assert_ne!(self.code, Some(0));
		for needle in needles {
			assert!(
				self.stderr.contains(needle),
				"`neuron {}`: expected `{needle}` in:\n{}",
				self.args,
				self.stderr
			);
		}
	}
}

/// Exact decimal of a JSON number.
pub fn num(v: &Value) -> f64 {
	v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// The SS58 address of the sr25519 key at secret URI `uri` (e.g. `//Alice//miner`).
pub fn ss58(uri: &str) -> String {
	subxt_signer::sr25519::Keypair::from_uri(&uri.parse().unwrap())
		.unwrap()
		.public_key()
		.to_account_id()
		.to_string()
}

/// Debian's Chromium, which `scripts/setup.sh` installs.
pub fn chromium() -> PathBuf {
	["/usr/bin/chromium", "/usr/bin/chromium-browser"]
		.iter()
		.map(PathBuf::from)
		.find(|p| p.exists())
		.expect("Chromium is missing: scripts/setup.sh installs Debian's `chromium` package")
}

/// Headless Chromium on `url`: the DOM after the page's scripts ran, and a screenshot.
pub fn browse(url: &str, screenshot: &Path) -> String {
	let profile = tempfile::tempdir().unwrap();
	let flags = [
		"--headless",
		"--no-sandbox",
		"--disable-gpu",
		"--disable-quic",
		"--no-first-run",
		"--disable-background-networking",
		"--disable-component-update",
		"--disable-sync",
		"--window-size=1400,1500",
		"--virtual-time-budget=8000",
	];
	let user_data = format!("--user-data-dir={}", profile.path().display());
	let run = |extra: &str| {
		let out = Command::new(chromium())
			.args(flags)
			.arg(&user_data)
			.arg(extra)
			.arg(url)
			.stderr(Stdio::null())
			.output()
			.unwrap();
		assert!(out.status.success(), "chromium {extra} failed: {:?}", out.status);
		String::from_utf8_lossy(&out.stdout).into_owned()
	};
	let dom = run("--dump-dom");
	run(&format!("--screenshot={}", screenshot.display()));
	dom
}

/// The Python of the PyTorch environment `scripts/setup.sh` installs (where the models in
/// tests are written and exported, as a miner would: the neuron itself never runs Python).
pub fn torch_python() -> PathBuf {
	let venv = std::env::var_os("BITTENSOR_TORCH_VENV")
		.map(PathBuf::from)
		.or_else(|| {
			std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/bittensor-torch"))
		})
		.expect("HOME or BITTENSOR_TORCH_VENV");
	let python = venv.join("bin/python");
	assert!(python.exists(), "no PyTorch environment at {}: run scripts/setup.sh", venv.display());
	python
}

/// `scripts/export-model.py args… --out <dir>/<name>.pt`; returns the file.
pub fn export_model(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
	let out = dir.join(format!("{name}.pt"));
	let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/export-model.py");
	let output = Command::new(torch_python())
		.arg(script)
		.args(args)
		.args(["--threads", "1", "--out"])
		.arg(&out)
		.output()
		.unwrap();
	assert!(
		output.status.success() && out.exists(),
		"export-model.py {args:?} failed:\n{}\n{}",
		String::from_utf8_lossy(&output.stdout),
		String::from_utf8_lossy(&output.stderr)
	);
	out
}

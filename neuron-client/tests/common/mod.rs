//! Running the real `neuron` binary against a real dev node.

#![allow(dead_code)]

use bittensor_e2e::{wait_for_heights, Node};
use serde_json::Value;
use std::{
	io::Write,
	path::{Path, PathBuf},
	process::{Command, Output, Stdio},
	time::Duration,
};

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
}

pub fn run_neuron(url: &str, wallet_dir: &Path, home: &Path, args: &[&str], stdin: &str) -> Run {
	let wallet_dir = wallet_dir.to_str().unwrap();
	run(home, &[&["--url", url, "--wallet-dir", wallet_dir], args].concat(), &[], stdin)
}

/// Runs `neuron args…` with `home` as its home, only the `NEURON_*` variables in `vars`, and
/// `stdin` as its input.
pub fn run(home: &Path, args: &[&str], vars: &[(&str, &str)], stdin: &str) -> Run {
	let mut command = Command::new(env!("CARGO_BIN_EXE_neuron"));
	for (key, _) in std::env::vars() {
		if key.starts_with("NEURON_") {
			command.env_remove(key);
		}
	}
	command.envs(vars.iter().copied());
	let mut child = command
		.args(args)
		.env("HOME", home)
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

//! Helpers for end-to-end tests: start the real `bittensor-node` binary on free ports and talk
//! to it over JSON-RPC.

use anyhow::{bail, Context, Result};
use jsonrpsee::{
	core::client::ClientT,
	http_client::{HttpClient, HttpClientBuilder},
	rpc_params,
};
use serde_json::Value;
use std::{
	net::TcpListener,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

/// The node binary: `$BITTENSOR_NODE`, or `bittensor-node` beside the test's own target
/// directory (built by `cargo build -p bittensor-node`).
pub fn node_binary() -> Result<PathBuf> {
	if let Ok(path) = std::env::var("BITTENSOR_NODE") {
		return Ok(PathBuf::from(path));
	}
	let exe = std::env::current_exe().context("locating the test executable")?;
	// target/<profile>/deps/<test> → target/<profile>/bittensor-node
	let profile_dir = exe.parent().and_then(Path::parent).context("unexpected test path")?;
	let node = profile_dir.join("bittensor-node");
	if !node.exists() {
		bail!(
			"{} not found: run `cargo build -p bittensor-node` first or set BITTENSOR_NODE",
			node.display()
		);
	}
	Ok(node)
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> Result<u16> {
	let listener = TcpListener::bind("127.0.0.1:0").context("binding a probe socket")?;
	Ok(listener.local_addr()?.port())
}

/// A running node, killed on drop.
pub struct Node {
	child: Child,
	/// Its JSON-RPC port on 127.0.0.1 (the one it serves on, read from its log).
	pub rpc_port: u16,
	/// Its libp2p port.
	pub p2p_port: u16,
	/// Where its log goes.
	pub log: PathBuf,
}

impl Node {
	/// Starts `bittensor-node` with `args` plus fresh ports; logs to `log_dir`.
	pub fn start(args: &[&str], log_dir: &Path, name: &str) -> Result<Self> {
		let (rpc_port, p2p_port) = (free_port()?, free_port()?);
		Self::start_on(args, log_dir, name, rpc_port, p2p_port)
	}

	/// Starts `bittensor-node` with `args` on the given ports.
	pub fn start_on(
		args: &[&str],
		log_dir: &Path,
		name: &str,
		rpc_port: u16,
		p2p_port: u16,
	) -> Result<Self> {
		let log = log_dir.join(format!("{name}.log"));
		let file = std::fs::OpenOptions::new().create(true).append(true).open(&log)?;
		// A restart appends to the same log: only what this process writes counts.
		let log_start = file.metadata()?.len();
		let child = Command::new(node_binary()?)
			.args(args)
			.args([
				"--rpc-port",
				&rpc_port.to_string(),
				"--no-prometheus",
				"--no-telemetry",
				"--no-mdns",
				"--listen-addr",
				&format!("/ip4/127.0.0.1/tcp/{p2p_port}"),
			])
			.stdin(Stdio::null())
			.stdout(file.try_clone()?)
			.stderr(file)
			.spawn()
			.context("starting bittensor-node")?;
		// Built first so that, if the port cannot be read, dropping it stops the process.
		let mut node = Self { child, rpc_port, p2p_port, log };
		node.rpc_port = served_rpc_port(&mut node.child, &node.log, log_start)?;
		Ok(node)
	}

	/// A JSON-RPC client for it.
	pub fn rpc(&self) -> Result<HttpClient> {
		Ok(HttpClientBuilder::default()
			.request_timeout(Duration::from_secs(10))
			.build(format!("http://127.0.0.1:{}", self.rpc_port))?)
	}

	/// Its process id.
	pub fn pid(&self) -> u32 {
		self.child.id()
	}

	/// Whether the process has exited (with its status).
	pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
		self.child.try_wait().ok().flatten()
	}

	/// Stops it (SIGKILL) and waits for it to exit.
	pub fn kill(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}

	/// The last lines of its log, for failure messages.
	pub fn log_tail(&self) -> String {
		tail(&std::fs::read_to_string(&self.log).unwrap_or_default())
	}
}

impl Drop for Node {
	fn drop(&mut self) {
		self.kill();
	}
}

/// The port the node's JSON-RPC server really listens on, on 127.0.0.1, read from its log.
///
/// When the port it was given is taken (anything on the machine may bind it between
/// [`free_port`] and the node's start: a CI run starts hundreds of sockets at once), the node
/// falls back to a random port and says so only in its log line
/// `Running JSON-RPC server: addr=127.0.0.1:PORT,[::1]:PORT`.
fn served_rpc_port(child: &mut Child, log: &Path, log_start: u64) -> Result<u16> {
	const MARKER: &str = "Running JSON-RPC server: addr=";
	let start = Instant::now();
	loop {
		let text = std::fs::read(log)?;
		let ours = String::from_utf8_lossy(text.get(log_start as usize..).unwrap_or_default());
		if let Some(line) = ours.lines().find_map(|l| l.split_once(MARKER).map(|(_, rest)| rest)) {
			return line
				.split(',')
				.find_map(|addr| addr.trim().strip_prefix("127.0.0.1:"))
				.and_then(|port| port.parse().ok())
				.with_context(|| format!("no 127.0.0.1 port in the node's `{MARKER}{line}`"));
		}
		if let Some(status) = child.try_wait()? {
			bail!("bittensor-node exited ({status}) before serving JSON-RPC:\n{}", tail(&ours));
		}
		if start.elapsed() > Duration::from_secs(120) {
			bail!("bittensor-node did not start its JSON-RPC server in 120 s:\n{}", tail(&ours));
		}
		std::thread::sleep(Duration::from_millis(100));
	}
}

/// The last 30 lines of `text`.
fn tail(text: &str) -> String {
	let lines: Vec<&str> = text.lines().collect();
	lines[lines.len().saturating_sub(30)..].join("\n")
}

fn block_number(header: &Value) -> Result<u64> {
	let hex = header["number"].as_str().context("header without a number")?;
	Ok(u64::from_str_radix(hex.trim_start_matches("0x"), 16)?)
}

/// Best and finalized block numbers.
pub async fn heights(client: &HttpClient) -> Result<(u64, u64)> {
	let best: Value = client.request("chain_getHeader", rpc_params![]).await?;
	let finalized_hash: Value = client.request("chain_getFinalizedHead", rpc_params![]).await?;
	let finalized: Value = client.request("chain_getHeader", rpc_params![finalized_hash]).await?;
	Ok((block_number(&best)?, block_number(&finalized)?))
}

/// Waits until the node's best block is at least `best` and its finalized block at least
/// `finalized`, or fails after `timeout`.
pub async fn wait_for_heights(
	node: &mut Node,
	best: u64,
	finalized: u64,
	timeout: Duration,
) -> Result<(u64, u64)> {
	let client = node.rpc()?;
	let start = Instant::now();
	let mut last = None;
	while start.elapsed() < timeout {
		if let Some(status) = node.exited() {
			bail!("node on {} exited ({status})\n{}", node.rpc_port, node.log_tail());
		}
		if let Ok(now) = heights(&client).await {
			if now.0 >= best && now.1 >= finalized {
				return Ok(now);
			}
			last = Some(now);
		}
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
	bail!(
		"node on {} reached {last:?}, wanted best ≥ {best} and finalized ≥ {finalized}\n{}",
		node.rpc_port,
		node.log_tail()
	)
}

/// The libp2p peer id of the node key in `key_file`, as the node itself derives it.
pub fn peer_id(key_file: &Path) -> Result<String> {
	let output = Command::new(node_binary()?)
		.args(["key", "inspect-node-key", "--file"])
		.arg(key_file)
		.output()
		.context("running `bittensor-node key inspect-node-key`")?;
	if !output.status.success() {
		bail!("inspect-node-key failed: {}", String::from_utf8_lossy(&output.stderr));
	}
	Ok(String::from_utf8(output.stdout)?.trim().to_string())
}

/// The hash of block `number`, if the node has it.
pub async fn block_hash(client: &HttpClient, number: u64) -> Result<Value> {
	Ok(client.request("chain_getBlockHash", rpc_params![number]).await?)
}

/// The public key of `//Name` (e.g. `//Dave`) in `scheme` (`sr25519` or `ed25519`), as SS58,
/// derived by the node's own `key inspect`.
pub fn dev_public_key(uri: &str, scheme: &str) -> Result<String> {
	let output = Command::new(node_binary()?)
		.args(["key", "inspect", "--scheme", scheme, "--output-type", "json", uri])
		.output()
		.context("running `bittensor-node key inspect`")?;
	if !output.status.success() {
		bail!("key inspect failed: {}", String::from_utf8_lossy(&output.stderr));
	}
	let json: Value = serde_json::from_slice(&output.stdout)?;
	Ok(json["ss58Address"].as_str().context("key inspect without ss58Address")?.to_string())
}

/// A validator network on 127.0.0.1: every member gets a fixed network key (validators on a
/// non-dev chain must bring their own), a base path under `dir`, and the first one as bootnode.
pub struct Network<'a> {
	dir: &'a Path,
	chain: String,
	bootnode: Option<String>,
}

impl<'a> Network<'a> {
	/// A network of nodes running `--chain chain`, with their files under `dir`.
	pub fn new(dir: &'a Path, chain: &str) -> Self {
		Self { dir, chain: chain.to_string(), bootnode: None }
	}

	/// Starts validator `who` (`alice`, `bob`, …) on the given ports with network key number
	/// `key` (1-255). The first validator started becomes everyone's bootnode. Restarting a
	/// validator with the same arguments reuses its base path, so it keeps its chain.
	pub fn start(&mut self, who: &str, key: u8, rpc_port: u16, p2p_port: u16) -> Result<Node> {
		let key_file = self.dir.join(format!("{who}.key"));
		std::fs::write(&key_file, format!("{key:064x}"))?;
		let base_path = self.dir.join(who);
		let mut args = vec![
			"--chain".to_string(),
			self.chain.clone(),
			format!("--{who}"),
			"--base-path".into(),
			base_path.to_str().context("non-UTF-8 base path")?.into(),
			"--node-key-file".into(),
			key_file.to_str().context("non-UTF-8 key path")?.into(),
		];
		match &self.bootnode {
			Some(bootnode) => args.extend(["--bootnodes".to_string(), bootnode.clone()]),
			None => {
				self.bootnode =
					Some(format!("/ip4/127.0.0.1/tcp/{p2p_port}/p2p/{}", peer_id(&key_file)?))
			},
		}
		let args: Vec<&str> = args.iter().map(String::as_str).collect();
		Node::start_on(&args, self.dir, who, rpc_port, p2p_port)
	}
}

/// `bittensor_getMetagraph(netuid, at)` with each neuron's `weights` and `bonds` rows merged
/// in from the paged `bittensor_getWeights` (the metagraph itself carries only their lengths);
/// `null` when the subnet does not exist. `at` is a block hash, or `null` for the best block.
pub async fn metagraph_with_rows(client: &HttpClient, netuid: u16, at: &Value) -> Result<Value> {
	let mut graph: Value =
		client.request("bittensor_getMetagraph", rpc_params![netuid, at.clone()]).await?;
	if graph.is_null() {
		return Ok(graph);
	}
	let mut first = Some(0u64);
	while let Some(from) = first {
		let page: Value = client
			.request("bittensor_getWeights", rpc_params![netuid, from, Value::Null, at.clone()])
			.await?;
		for row in page["rows"].as_array().context("a page without rows")? {
			let uid = row["uid"].as_u64().context("a row without a uid")? as usize;
			let neuron = &mut graph["neurons"][uid];
			neuron["weights"] = row["weights"].clone();
			neuron["bonds"] = row["bonds"].clone();
		}
		first = page["next"].as_u64();
	}
	Ok(graph)
}

/// The state before an epoch, as the chain's metagraph (with rows) describes it, and what the
/// pallet's own epoch function makes of it: the one adapter between the node's JSON and
/// `pallet_bittensor::math` that every end-to-end prediction uses.
pub struct Prediction {
	/// Each neuron's stake before the epoch, planck.
	pub stake_before: Vec<u128>,
	/// What the epoch computes.
	pub output: pallet_bittensor::math::epoch::EpochOutput,
}

impl Prediction {
	/// Each neuron's stake after the epoch: before plus its emission.
	pub fn stake_after(&self) -> Vec<u128> {
		self.stake_before.iter().zip(&self.output.emission).map(|(s, e)| s + e).collect()
	}
}

/// The epoch that runs at `block`, predicted from `before`, the metagraph with rows
/// ([`metagraph_with_rows`]) at block `block - 1`.
pub fn predict_epoch(before: &Value, block: u64) -> Result<Prediction> {
	use pallet_bittensor::math::{
		epoch::{run_epoch, EpochInput, EpochParams, Mechanism},
		fixed::ONE,
	};
	let num = |v: &Value| v.as_u64().with_context(|| format!("not a number: {v}"));
	let neurons = before["neurons"].as_array().context("a metagraph without neurons")?;
	let stake_before: Vec<u128> =
		neurons.iter().map(|n| num(&n["stake"]).map(u128::from)).collect::<Result<_>>()?;
	// The epoch counts only stake held since the last one (`counted_stake`).
	let stake: Vec<u128> = neurons
		.iter()
		.zip(&stake_before)
		.map(|(n, s)| match &n["counted_stake"] {
			Value::Null => Ok(*s),
			counted => num(counted).map(u128::from),
		})
		.collect::<Result<_>>()?;
	let rows = |field: &str| -> Result<Vec<Vec<(u16, u64)>>> {
		neurons
			.iter()
			.map(|n| {
				n[field]
					.as_array()
					.with_context(|| {
						format!("a neuron without `{field}` (use metagraph_with_rows)")
					})?
					.iter()
					.map(|e| Ok((num(&e[0])? as u16, num(&e[1])?)))
					.collect()
			})
			.collect()
	};
	let weights: Vec<Vec<(u16, u16)>> = rows("weights")?
		.into_iter()
		.map(|r| r.into_iter().map(|(j, w)| (j, w as u16)).collect())
		.collect();
	let bonds = rows("bonds")?;
	let last_update: Vec<u64> =
		neurons.iter().map(|n| num(&n["last_update"])).collect::<Result<_>>()?;
	let registered_at: Vec<u64> =
		neurons.iter().map(|n| num(&n["registered_at"])).collect::<Result<_>>()?;
	let hp = &before["hyperparameters"];
	let per_billion = ONE / 1_000_000_000;
	let params = EpochParams {
		block,
		activity_cutoff: num(&hp["activity_cutoff"])?,
		last_epoch_block: num(&before["last_epoch_block"])?,
		rho: u128::from(num(&hp["rho"])?) * ONE,
		kappa: u128::from(num(&hp["kappa"])?) * per_billion,
		bonds_moving_average: u128::from(num(&hp["bonds_moving_average"])?) * per_billion,
		emission: u128::from(num(&hp["tempo"])?) * u128::from(num(&hp["emission_per_block"])?),
		max_bonds_per_row: 256,
		mechanism: match hp["mechanism"].as_str() {
			Some("clipped") => Mechanism::Clipped,
			Some("paper") => Mechanism::Paper,
			other => bail!("a metagraph with mechanism {other:?}"),
		},
	};
	let output = run_epoch(
		&params,
		&EpochInput {
			stake: &stake,
			weights: &weights,
			bonds: &bonds,
			last_update: &last_update,
			registered_at: &registered_at,
		},
	);
	Ok(Prediction { stake_before, output })
}

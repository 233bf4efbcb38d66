//! `neuron run`: one long-running neuron, tying the chain, the wallet, the axon and dendrite and
//! the learner together. It makes sure its hotkey is registered and its axon recorded on chain,
//! keeps its view of the subnet fresh, serves its encoder to callers, trains on its text while
//! mixing in the answers of the peers its gate picks, sends those peers the gradients of its
//! loss, values them, and writes those values to the chain as weights once an epoch.

use crate::{
	data::{parse_shard, Corpus},
	learner::{LearnConfig, Learner, ModelFile, Step, MODEL_FILE},
	model,
	script::{self, Contract},
	serving::{Noise, Served},
	set_threads,
	wire::{to_tch, to_wire_f32, to_wire_i64},
};
use anyhow::{anyhow, bail, Context as _, Result};
use indicatif::{ProgressBar, ProgressStyle};
use neuron_client::{
	chain::{
		commit_reveal,
		metagraph::Metagraph,
		ops::{self, AxonEndpoint},
		weights, BittensorError, Chain, ChainError, Watch,
	},
	cli::RunArgs,
	context::Context,
	serve::{
		axon::{Axon, AxonConfig, Model, Schema},
		dendrite::{Dendrite, DendriteConfig, Target},
		metrics::{Metrics, ModelLabel},
		protocol::{Hotkey, Scope, Signer},
		tensor::{DType, Tensor as WireTensor},
		view::{socket_addr, SharedView, SubnetView},
	},
	wallet::{self, commits::CommitStore},
};
use std::{
	io::IsTerminal,
	net::SocketAddr,
	sync::{
		atomic::{AtomicBool, Ordering},
		Arc, Mutex, MutexGuard,
	},
	time::{Duration, Instant},
};
use subxt_signer::sr25519::Keypair;
use tracing::{info, warn};

/// Runs the neuron until Ctrl-C, SIGTERM or `--steps`.
pub async fn run(ctx: &Context, args: RunArgs) -> Result<()> {
	check_args(&args)?;
	if let Some(threads) = args.threads {
		set_threads(threads);
	}
	// A model from outside is held to the contract before anything reaches the chain.
	if let Some(path) = &args.model {
		let contract = contract(&args)?;
		let checked = tokio::task::block_in_place(|| script::check(path, &contract))?;
		info!(
			model = %path.display(),
			parameters = checked.parameters,
			output = ?checked.output,
			full_batch_ms = format!("{:.1}", checked.full_batch.as_secs_f64() * 1e3),
			frozen = args.freeze,
			"the model meets the contract"
		);
	}
	let wire_dtype =
		DType::parse_float(&args.wire_dtype).map_err(|e| anyhow!("--wire-dtype: {e}"))?;
	let netuid = args.netuid;
	let hotkey = ctx.hotkey()?;
	let address = wallet::address(&hotkey);
	let chain = ctx.chain().await?;
	let mut graph = ops::metagraph(&chain.rpc, netuid).await?;
	// Several neurons of one coldkey starting together compete for its nonce: retry a few
	// times (the coldkey is unlocked once and kept).
	let mut attempt = 0;
	while own_uid(&graph, &hotkey).is_none() {
		attempt += 1;
		info!(%address, netuid, "the hotkey is not registered: registering it (the coldkey pays)");
		let coldkey = ctx.existing_wallet()?.coldkey_address()?;
		let unlock = || ctx.coldkey();
		// The price of the moment plus a margin: a neuron never pays a price that spiked.
		let limit = ops::default_limit(ops::registration_price(&chain, netuid).await?);
		match ops::register(&chain, netuid, address, &coldkey, limit, unlock, Watch::QUIET).await {
			Ok(done) => {
				info!(uid = done.uid, burned = %chain.rpc.token.display(done.burned), "registered")
			},
			// Registered meanwhile (by a neuron of the same hotkey, or a retry that landed).
			Err(ChainError::AlreadyRegistered { .. }) => {},
			Err(e) if attempt >= 4 => {
				return Err(
					anyhow::Error::from(e).context(format!("registering in subnet {netuid}"))
				)
			},
			Err(e) => {
				warn!("registering failed ({e}); trying again");
				tokio::time::sleep(Duration::from_secs(2 * attempt)).await;
			},
		}
		graph = ops::metagraph(&chain.rpc, netuid).await?;
	}
	let me =
		own_uid(&graph, &hotkey).context("the hotkey is not in the metagraph after registering")?;
	info!(uid = me, netuid, %address, "registered");

	// The learner (or the noise it serves instead) and the axon in front of it.
	let dim = args.dim;
	let learner = if args.serve_noise { None } else { Some(new_learner(&args, &graph)?) };
	let info = learner.as_ref().map(|l| lock(l).model_info());
	let model_label = ModelLabel {
		kind: info.as_ref().map_or("noise", |i| i.kind),
		trains: info.as_ref().is_some_and(|i| i.trains),
		wire_dtype: wire_dtype.name(),
		parameters: info.as_ref().map_or(0, |i| i.encoder_parameters),
	};
	let served: Arc<dyn Model> = match &learner {
		Some(l) => Arc::new(Served(l.clone())),
		None => Arc::new(Noise { dim }),
	};
	let view = SharedView::default();
	let sync = Duration::from_secs_f64(args.sync_secs);
	let refresher = view.keep_fresh(ctx.settings.url.clone(), netuid, sync).await?;
	let schema = Schema::tokens(dim, max_batch(&args), args.seq_len);
	let metrics = Arc::new(Metrics::new());
	metrics.model(&address.to_string(), netuid, &model_label);
	let signer = Signer::new(&hotkey);
	// Every call this neuron signs or serves is bound to this chain and subnet.
	let scope = Scope { genesis: chain.genesis_hash().await?, netuid };
	let mut axon_config = AxonConfig::new(schema);
	axon_config.scope = scope;
	axon_config.wire_dtype = wire_dtype;
	if args.axon_ip.is_loopback() {
		// Every peer of a market on one machine calls from loopback: one budget for all of
		// them would throttle honest neighbours. (A routable axon keeps the default budget.)
		axon_config.refusals_per_second = f64::INFINITY;
	}
	axon_config.min_stake = chain
		.rpc
		.token
		.parse(&args.min_caller_stake)
		.context("--min-caller-stake must be an amount of TAO, e.g. 1 or 0.5")?;
	let axon = Axon::new(signer.clone(), view.clone(), served, axon_config, metrics.clone());
	let bind = SocketAddr::new(args.axon_bind(), args.axon_port);
	let running = axon.start(bind).await.with_context(|| format!("starting the axon on {bind}"))?;
	info!(addr = %running.addr, "axon listening");
	let _metrics_server = match args.metrics_port {
		Some(port) => {
			let (addr, task) =
				metrics.clone().serve(SocketAddr::new(args.metrics_bind, port)).await?;
			info!(%addr, "metrics at /metrics");
			Some(AbortOnDrop(task))
		},
		None => None,
	};
	let wanted = SocketAddr::new(args.axon_ip, args.axon_port);
	let recorded = graph.neurons.iter().find(|n| n.uid == me).and_then(|n| n.axon.as_ref());
	if recorded.and_then(socket_addr) != Some(wanted) {
		let endpoint =
			AxonEndpoint { ip: args.axon_ip, port: args.axon_port, version: 1, protocol: 0 };
		// A neuron restarted on a new endpoint within the runtime's serving rate limit (a
		// minute) waits for it rather than failing.
		let mut waited = 0;
		loop {
			match ops::serve_axon(&chain, &hotkey, netuid, &endpoint, Watch::QUIET).await {
				Ok(served) => {
					info!(uid = served.uid, endpoint = %endpoint.shown(), "axon recorded on chain");
					break;
				},
				Err(e)
					if waited < 12
						&& matches!(e.bittensor(), Some(BittensorError::ServingTooFast)) =>
				{
					warn!("the chain's serving rate limit holds the new axon back; retrying in a block");
					tokio::time::sleep(Duration::from_secs(6)).await;
					waited += 1;
				},
				Err(e) => return Err(anyhow::Error::from(e).context("recording the axon on chain")),
			}
		}
	}

	let stop = Arc::new(AtomicBool::new(false));
	let signals = tokio::spawn(wait_for_stop(stop.clone()));
	let result = match learner {
		Some(learner) => {
			let trainer = Trainer {
				args: &args,
				chain: &chain,
				hotkey: &hotkey,
				me,
				view: &view,
				learner,
				dendrite: Arc::new(Dendrite::new(
					signer,
					DendriteConfig {
						timeout: Duration::from_millis(args.timeout_ms),
						scope,
						..Default::default()
					},
				)),
				stop: &stop,
				metrics: metrics.clone(),
				commits: CommitStore::new(&ctx.existing_wallet()?.path, &address.to_string()),
			};
			trainer.train().await
		},
		None => {
			info!("serving noise until stopped");
			while !stop.load(Ordering::Relaxed) {
				tokio::time::sleep(Duration::from_millis(100)).await;
			}
			Ok(())
		},
	};
	signals.abort();
	refresher.abort();
	running.stop().await;
	result
}

fn check_args(args: &RunArgs) -> Result<()> {
	if args.dim == 0 || args.dim > 4096 {
		bail!("--dim {}: expected 1 to 4096", args.dim);
	}
	// The built-in encoder splits `dim` over its heads; a model from outside has its own shape.
	if args.model.is_none() && !args.dim.is_multiple_of(model::Config::new(1).heads as usize) {
		bail!(
			"--dim {}: must be a multiple of {} (the attention heads)",
			args.dim,
			model::Config::new(1).heads
		);
	}
	if args.batch == 0 || args.seq_len < 2 {
		bail!("--batch must be at least 1 and --seq-len at least 2");
	}
	if args.axon_port == 0 {
		bail!("--axon-port must be between 1 and 65535");
	}
	if args.axon_ip.is_unspecified() {
		bail!(
			"--axon-ip {} is unspecified; give the address peers should connect to",
			args.axon_ip
		);
	}
	if !(args.sync_secs.is_finite() && args.sync_secs > 0.0) {
		bail!("--sync-secs must be a positive number");
	}
	if !(args.caller_grad_scale.is_finite() && args.caller_grad_scale >= 0.0) {
		bail!("--caller-grad-scale must be a finite number ≥ 0");
	}
	if !(args.learning_rate.is_finite() && args.learning_rate > 0.0) {
		bail!("--learning-rate must be a positive number");
	}
	if args.log_every == 0 || args.checkpoint_every == 0 {
		bail!("--log-every and --checkpoint-every must be at least 1");
	}
	// Checked before anything is registered (the chain's own token parses it again later).
	neuron_client::amount::Token::default()
		.parse(&args.min_caller_stake)
		.context("--min-caller-stake must be an amount of TAO, e.g. 1 or 0.5")?;
	parse_shard(&args.shard)?;
	model::device(&args.device)?;
	DType::parse_float(&args.wire_dtype).map_err(|e| anyhow!("--wire-dtype: {e}"))?;
	if args.model_deadline_ms == 0 {
		bail!("--model-deadline-ms must be at least 1");
	}
	Ok(())
}

/// The largest batch the axon admits (what the contract calls a full batch).
fn max_batch(args: &RunArgs) -> usize {
	args.batch.max(64)
}

/// What `--model` is held to.
fn contract(args: &RunArgs) -> Result<Contract> {
	Ok(Contract {
		dim: args.dim as i64,
		seq_len: args.seq_len as i64,
		max_batch: max_batch(args) as i64,
		deadline: Duration::from_millis(args.model_deadline_ms),
		device: model::device(&args.device)?,
		train_batch: (!args.freeze).then_some(args.batch as i64),
	})
}

fn own_uid(graph: &Metagraph, hotkey: &Keypair) -> Option<u16> {
	let address = wallet::address(hotkey).to_string();
	graph.neurons.iter().find(|n| n.hotkey == address).map(|n| n.uid)
}

fn new_learner(args: &RunArgs, graph: &Metagraph) -> Result<Arc<Mutex<Learner>>> {
	let mut config = LearnConfig::new(args.dim as i64, i64::from(graph.hyperparameters.max_uids));
	config.topk = args.topk;
	config.learning_rate = args.learning_rate;
	config.caller_grad_scale = args.caller_grad_scale;
	config.model.max_seq = args.seq_len as i64;
	config.device = model::device(&args.device)?;
	let mut learner = match &args.model {
		Some(path) => {
			Learner::with_model(config, &ModelFile { path: path.clone(), frozen: args.freeze })?
		},
		None => Learner::new(config),
	};
	if let Some(dir) = &args.checkpoint {
		if dir.join(MODEL_FILE).exists() {
			learner.load(dir).with_context(|| format!("resuming from {}", dir.display()))?;
			info!(steps = learner.steps(), "resumed from {}", dir.display());
		}
	}
	let info = learner.model_info();
	info!(
		params = learner.parameters(),
		encoder = info.kind,
		encoder_params = info.encoder_parameters,
		trains = info.trains,
		dim = args.dim,
		device = %args.device,
		"model ready"
	);
	Ok(Arc::new(Mutex::new(learner)))
}

/// Sets `stop` on Ctrl-C or SIGTERM.
async fn wait_for_stop(stop: Arc<AtomicBool>) {
	#[cfg(unix)]
	{
		use tokio::signal::unix::{signal, SignalKind};
		if let Ok(mut term) = signal(SignalKind::terminate()) {
			tokio::select! {
				_ = tokio::signal::ctrl_c() => {},
				_ = term.recv() => {},
			}
			stop.store(true, Ordering::Relaxed);
			return;
		}
	}
	let _ = tokio::signal::ctrl_c().await;
	stop.store(true, Ordering::Relaxed);
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
	fn drop(&mut self) {
		self.0.abort();
	}
}

/// What the progress line shows about the chain.
#[derive(Default)]
struct ChainStatus {
	stake: u128,
	emission: u128,
	block: u64,
	weights_set: u64,
}

struct Trainer<'a> {
	args: &'a RunArgs,
	chain: &'a Chain,
	hotkey: &'a Keypair,
	me: u16,
	view: &'a SharedView,
	learner: Arc<Mutex<Learner>>,
	dendrite: Arc<Dendrite>,
	stop: &'a AtomicBool,
	/// Where the held-out loss is published (the axon's metrics).
	metrics: Arc<Metrics>,
	/// Rows and salts of weight commits waiting for their reveal (commit-reveal subnets).
	commits: CommitStore,
}

/// The learner, even after a panic elsewhere while it was held.
pub fn lock(learner: &Mutex<Learner>) -> MutexGuard<'_, Learner> {
	// A panic while training leaves the learner as consistent as any step boundary.
	learner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Trainer<'_> {
	async fn train(self) -> Result<()> {
		let args = self.args;
		let bytes = match &args.data {
			Some(path) => Corpus::load(path)?,
			None => Corpus::generated(4 << 20),
		};
		let shard = parse_shard(&args.shard)?;
		let mut corpus = Corpus::new(&bytes, shard, u64::from(self.me) + 1)?;
		let (held_x, held_y) = corpus.held_out(16, args.seq_len);
		info!(bytes = bytes.len(), shard = %args.shard, "training data ready");
		// The label the held-out loss is published under.
		let hotkey = wallet::address(self.hotkey).to_string();

		let bar = std::io::stderr().is_terminal().then(|| {
			let bar = ProgressBar::new_spinner();
			bar.set_style(
				ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
					.unwrap_or_else(|_| ProgressStyle::default_spinner()),
			);
			bar.enable_steady_tick(Duration::from_millis(200));
			bar
		});
		let mut status = ChainStatus::default();
		let mut next_weights_block = 0u64;
		let mut last_chain_check = Instant::now() - Duration::from_secs(3600);
		let started = Instant::now();
		let mut step = 0u64;
		let mut backs = tokio::task::JoinSet::new();
		let mut known: Vec<Option<Hotkey>> = Vec::new();
		while !self.stop.load(Ordering::Relaxed) && args.steps.is_none_or(|n| step < n) {
			let (inputs, targets) = corpus.batch(args.batch, args.seq_len);
			let current = self.view.get();
			// A uid that changed hands is a new peer: its old score is forgotten.
			known.resize(current.members.len(), None);
			for (slot, m) in known.iter_mut().zip(&current.members) {
				if slot.is_some_and(|h| h != m.hotkey) {
					lock(&self.learner).forget(m.uid);
				}
				*slot = Some(m.hotkey);
			}
			let round = round(
				&self.learner,
				&self.dendrite,
				&current,
				self.me,
				&inputs,
				&targets,
				args.dim,
			)
			.await?;
			let outcome = &round.step;
			let (asked, answering) = (round.asked, round.answered);
			step += 1;
			// Gradients go back to the peers that answered without holding up training; at most
			// a few rounds are in flight, older ones wait.
			while backs.len() >= 4 {
				backs.join_next().await;
			}
			if let Some(back) = round.backward {
				let dendrite = self.dendrite.clone();
				backs.spawn(async move { back.send(&dendrite).await });
			}

			if last_chain_check.elapsed() >= Duration::from_secs_f64(args.sync_secs) {
				last_chain_check = Instant::now();
				match self.chain_round(&mut status, &mut next_weights_block).await {
					Ok(()) => {},
					Err(e) => warn!("chain: {e:#}"),
				}
			}
			// Built only when shown: the scores are sorted under the learner's lock.
			let line = || {
				format!(
				"step {step} | loss local {:.3} remote {:.3} distill {:.4} | peers {answering}/{} | \
				 top {} | stake {} emission {} | block {} weights set {} | {:.1} steps/s",
				outcome.local_loss,
				outcome.remote_loss,
				outcome.distill_loss,
				asked,
				self.top_scores(3),
				self.chain.rpc.token.display(status.stake),
				self.chain.rpc.token.display(status.emission),
				status.block,
				status.weights_set,
				step as f64 / started.elapsed().as_secs_f64(),
				)
			};
			// Every --log-every steps the held-out loss is measured and published on the
			// metrics endpoint (the explorer charts it).
			let held = step.is_multiple_of(args.log_every).then(|| {
				let (held, steps) = tokio::task::block_in_place(|| {
					let learner = lock(&self.learner);
					(learner.evaluate(&held_x, &held_y), learner.steps())
				});
				self.metrics.learning(&hotkey, args.netuid, steps, held);
				held
			});
			match (&bar, held) {
				(Some(bar), _) => bar.set_message(line()),
				(None, Some(held)) => info!(held_out = format!("{held:.3}"), "{}", line()),
				(None, None) => {},
			}
			if let Some(dir) = &args.checkpoint {
				if step.is_multiple_of(args.checkpoint_every) {
					tokio::task::block_in_place(|| lock(&self.learner).save(dir))?;
				}
			}
		}
		if let Some(bar) = bar {
			bar.finish_and_clear();
		}
		backs.shutdown().await;
		if let Some(dir) = &args.checkpoint {
			tokio::task::block_in_place(|| lock(&self.learner).save(dir))?;
			info!(steps = lock(&self.learner).steps(), "checkpoint saved to {}", dir.display());
		}
		info!(step, "stopped");
		Ok(())
	}

	/// `uid:score` of the best `n` peers.
	fn top_scores(&self, n: usize) -> String {
		let learner = lock(&self.learner);
		let mut top: Vec<(usize, f64)> =
			learner.scores().iter().copied().enumerate().filter(|(_, s)| *s > 0.0).collect();
		top.sort_by(|a, b| b.1.total_cmp(&a.1));
		top.truncate(n);
		let parts: Vec<String> = top.iter().map(|(uid, s)| format!("{uid}:{s:.2e}")).collect();
		if parts.is_empty() {
			"-".into()
		} else {
			parts.join(" ")
		}
	}

	/// Reads the neuron's state from the chain and, once an epoch, sets its weights.
	async fn chain_round(
		&self,
		status: &mut ChainStatus,
		next_weights_block: &mut u64,
	) -> Result<()> {
		let graph = ops::metagraph(&self.chain.rpc, self.args.netuid).await?;
		let Some(mine) = graph.neurons.iter().find(|n| n.uid == self.me) else {
			bail!("uid {} is no longer in subnet {}", self.me, self.args.netuid);
		};
		let address = wallet::address(self.hotkey);
		if mine.hotkey != address.to_string() {
			bail!("uid {} now belongs to another hotkey: this neuron was replaced", self.me);
		}
		status.stake = mine.stake;
		status.emission = mine.emission;
		let block = self.chain.best_block().await?;
		status.block = block;
		let h = &graph.hyperparameters;
		if h.commit_reveal_period > 0 {
			return self.commit_and_reveal(&graph, block, status, next_weights_block).await;
		}
		if block < *next_weights_block {
			return Ok(());
		}
		let interval = self
			.args
			.weights_every
			.unwrap_or(u64::from(h.tempo))
			.max(u64::from(h.weights_rate_limit))
			.max(1);
		let max_per_neuron = self.chain.constant::<u32>("Bittensor", "MaxWeightsPerNeuron")?;
		let token = &self.chain.rpc.token;
		let preflight =
			match ops::weights_preflight(&graph, &address, block, None, max_per_neuron, token) {
				Ok(preflight) => preflight,
				// Not yet: the next sync tries again.
				Err(ChainError::WeightsRateLimited { .. }) => return Ok(()),
				Err(e @ ChainError::BelowMinStakeToSetWeights { .. }) => {
					*next_weights_block = block + interval;
					warn!("uid {}: {e}", self.me);
					return Ok(());
				},
				Err(e) => return Err(e.into()),
			};
		let scores = lock(&self.learner).scores().to_vec();
		let Some((uids, values)) = weights::from_scores(&scores, &preflight.rules) else {
			return Ok(());
		};
		*next_weights_block = block + interval;
		// No spinner: the progress line owns the terminal. A registered hotkey's
		// `set_weights` is free: no balance needed.
		let set =
			ops::submit_weights(self.chain, self.hotkey, &preflight, &uids, &values, Watch::QUIET)
				.await?;
		status.weights_set += 1;
		let shown: Vec<String> =
			uids.iter().zip(&values).map(|(u, v)| format!("{u}:{v:.3}")).collect();
		info!(block, count = set.count, weights = %shown.join(" "), "weights set");
		Ok(())
	}
}

impl Trainer<'_> {
	/// On a commit-reveal subnet: reveals every saved commit whose window has opened (a
	/// neuron restarted in between reveals what it committed before), then commits once an
	/// epoch to the row its current scores give.
	async fn commit_and_reveal(
		&self,
		graph: &Metagraph,
		block: u64,
		status: &mut ChainStatus,
		next_weights_block: &mut u64,
	) -> Result<()> {
		let report = commit_reveal::reveal_ready(
			self.chain,
			self.hotkey,
			&self.commits,
			graph,
			block,
			Watch::QUIET,
		)
		.await?;
		for r in &report.revealed {
			status.weights_set += 1;
			info!(block, hash = %r.hash, count = r.count, dropped = r.dropped, "weights revealed");
		}
		if block < *next_weights_block {
			return Ok(());
		}
		let address = wallet::address(self.hotkey);
		let max_per_neuron = self.chain.constant::<u32>("Bittensor", "MaxWeightsPerNeuron")?;
		let token = &self.chain.rpc.token;
		let preflight = match commit_reveal::commit_preflight(
			graph,
			&address,
			block,
			None,
			max_per_neuron,
			token,
		) {
			Ok(preflight) => preflight,
			Err(ChainError::AlreadyCommitted { from, .. }) => {
				*next_weights_block = from;
				return Ok(());
			},
			Err(e @ ChainError::BelowMinStakeToSetWeights { .. }) => {
				*next_weights_block = block + u64::from(graph.hyperparameters.tempo);
				warn!("uid {}: {e}", self.me);
				return Ok(());
			},
			Err(e) => return Err(e.into()),
		};
		let scores = lock(&self.learner).scores().to_vec();
		let Some((uids, values)) = weights::from_scores(&scores, &preflight.rules) else {
			return Ok(());
		};
		let committed = commit_reveal::commit_weights(
			self.chain,
			self.hotkey,
			&self.commits,
			&preflight,
			&uids,
			&values,
			Watch::QUIET,
		)
		.await?;
		let h = &graph.hyperparameters;
		let epoch = commit_reveal::epoch_index(graph.netuid, h.tempo, block + 1);
		*next_weights_block = commit_reveal::epoch_blocks(graph.netuid, h.tempo, epoch + 1).0;
		info!(
			block,
			count = uids.len(),
			reveal_from = committed.reveal_from,
			reveal_until = committed.reveal_until,
			file = %committed.file.display(),
			"weights committed"
		);
		Ok(())
	}
}

/// One training round of a neuron: choose peers for the batch, ask them, take a step with their
/// answers, and prepare the gradients for those that answered.
pub struct Round {
	/// The step's losses and the gradients it produced.
	pub step: Step,
	/// Peers asked.
	pub asked: usize,
	/// Peers that gave a usable answer.
	pub answered: usize,
	/// What to send back with `backward`, if any peer answered.
	pub backward: Option<Backward>,
}

/// Gradients of a step's loss with respect to each answering peer's answer.
pub struct Backward {
	/// The peers.
	pub targets: Vec<Target>,
	/// The inputs they answered.
	pub inputs: WireTensor,
	/// One gradient per peer.
	pub grads: Vec<WireTensor>,
}

impl Backward {
	/// Sends every gradient, concurrently; returns how many peers accepted theirs.
	pub async fn send(self, dendrite: &Dendrite) -> usize {
		let answers = dendrite.backward(&self.targets, &self.inputs, &self.grads).await;
		answers.iter().filter(|a| a.result.is_ok()).count()
	}
}

/// Runs one round for neuron `me` on `inputs` → `targets` against the peers in `view` (every
/// other member with an axon is a candidate for the gate).
pub async fn round(
	learner: &Arc<Mutex<Learner>>,
	dendrite: &Dendrite,
	view: &SubnetView,
	me: u16,
	inputs: &tch::Tensor,
	targets: &tch::Tensor,
	dim: usize,
) -> Result<Round> {
	let available = candidates(view, me);
	let chosen = tokio::task::block_in_place(|| lock(learner).choose(inputs, &available));
	let asked = peer_targets(view, &chosen);
	let wire_inputs =
		to_wire_i64(inputs).ok_or_else(|| anyhow!("a batch left libtorch unreadable"))?;
	let answers = dendrite.forward(&asked, &wire_inputs, dim).await;
	let answered = answers.iter().filter(|a| a.result.is_ok()).count();
	let peers: Vec<(u16, Option<tch::Tensor>)> =
		answers.iter().map(|a| (a.uid, a.result.as_ref().ok().map(to_tch))).collect();
	let step = tokio::task::block_in_place(|| lock(learner).step(inputs, targets, &peers));
	// Each gradient goes back in the type its peer answered in (the peer's choice).
	let wire_of = |uid: u16| answers.iter().find(|a| a.uid == uid).and_then(|a| a.wire);
	let (targets, grads): (Vec<Target>, Vec<WireTensor>) = step
		.peer_grads
		.iter()
		.filter_map(|(uid, g)| {
			let grad = to_wire_f32(g)?;
			let grad = match wire_of(*uid) {
				// F16's range ends at 6e-5 below (subnormals aside), where most of a loss
				// gradient averaged over a batch lies: an F16 peer gets BF16 gradients.
				Some(DType::F16) => grad.into_dtype(DType::BF16).ok()?,
				Some(dtype) => grad.into_dtype(dtype).ok()?,
				None => grad,
			};
			Some((asked.iter().find(|t| t.uid == *uid)?.clone(), grad))
		})
		.unzip();
	let backward =
		(!targets.is_empty()).then_some(Backward { targets, inputs: wire_inputs, grads });
	Ok(Round { step, asked: asked.len(), answered, backward })
}

/// The uids neuron `me` may ask: every other member serving an axon.
pub fn candidates(view: &SubnetView, me: u16) -> Vec<u16> {
	view.members.iter().filter(|m| m.uid != me && m.axon.is_some()).map(|m| m.uid).collect()
}

/// Where to reach each of the `chosen` uids (those without an axon are left out).
pub fn peer_targets(view: &SubnetView, chosen: &[u16]) -> Vec<Target> {
	chosen
		.iter()
		.filter_map(|uid| {
			let m = view.members.get(usize::from(*uid))?;
			Some(Target { uid: m.uid, hotkey: m.hotkey, addr: m.axon? })
		})
		.collect()
}

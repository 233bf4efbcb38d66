//! `neuron bench collab`: does a neuron that listens to its peers become better than it would
//! be alone? Real neurons on loopback (each learner behind a real axon, real dendrites, real
//! sr25519 signatures, the round `neuron run` uses; no chain), measured three ways:
//!
//! - **newcomer**: K peers have trained on their own shards of the Shakespeare text; a fresh
//!   neuron joins them. How many steps does it need to reach the held-out loss the same fresh
//!   neuron reaches alone in N steps?
//! - **specialists**: K + 1 neurons, each trained only on its own domain (Shakespeare, Rust,
//!   Python); each one's held-out loss on every domain through the network and alone.
//! - **equal compute**: K + 1 neurons train from scratch at the same time on shards of one text;
//!   each one's held-out loss after N steps with peers, alone, and through its distilled context
//!   (the model it keeps if the network vanishes).
//!
//! Every part holds out the last tenth of each text for evaluation and trains on shards of the
//! rest; a neuron and its alone twin start from the same initial weights and see the same
//! batches in the same order.

pub mod chart;
pub mod domains;
pub mod network;

use crate::{
	data::{evaluation_windows, Corpus},
	learner::{LearnConfig, Learner, ModelFile},
	model,
	neuron::lock,
	script::{self, Contract},
};
use anyhow::{bail, Result};
use domains::{Domain, Sources};
use network::Network;
use serde::Serialize;
use std::{
	collections::BTreeMap,
	path::PathBuf,
	sync::{Arc, Mutex},
	time::Instant,
};
use tch::Tensor;

/// What to measure.
#[derive(Clone, Debug)]
pub struct CollabBench {
	/// Peers (K): the newcomer joins K, the other parts run K + 1 neurons.
	pub peers: usize,
	/// Training steps of the neuron measured (N).
	pub steps: u64,
	/// Steps each peer trains alone before the newcomer joins.
	pub peer_steps: u64,
	/// A TorchScript encoder for the newcomer's peers instead of the built-in one.
	pub peer_model: Option<PathBuf>,
	/// Sequences per batch.
	pub batch: usize,
	/// Bytes per sequence.
	pub seq_len: usize,
	/// Representation size.
	pub dim: usize,
	/// Transformer blocks.
	pub layers: i64,
	/// Steps between two held-out evaluations.
	pub eval_every: u64,
	/// Held-out sequences per evaluation.
	pub eval_batch: usize,
	/// Adam's learning rate.
	pub learning_rate: f64,
	/// cpu or cuda.
	pub device: String,
	/// Seed of the initial weights and batches.
	pub seed: u64,
	/// Which parts run.
	pub parts: Parts,
	/// Where the texts are.
	pub sources: Sources,
}

/// Which parts of the bench run.
#[derive(Clone, Copy, Debug)]
pub struct Parts {
	/// A fresh neuron joining trained peers.
	pub newcomer: bool,
	/// Neurons trained on different domains.
	pub specialists: bool,
	/// Neurons training from scratch together.
	pub equal_compute: bool,
}

impl Parts {
	/// Every part.
	pub const ALL: Parts = Parts { newcomer: true, specialists: true, equal_compute: true };
}

/// Held-out loss after each evaluated step: `[[step, loss], …]`.
pub type Curve = Vec<(u64, f64)>;

/// The whole report (`--json`).
#[derive(Clone, Debug, Serialize)]
pub struct CollabReport {
	/// K.
	pub peers: usize,
	/// N.
	pub steps: u64,
	/// Where it ran.
	pub device: String,
	/// The model: parameters of one neuron.
	pub params: i64,
	/// Sizes the neurons had.
	pub config: BenchConfig,
	/// Part a.
	#[serde(skip_serializing_if = "Option::is_none")]
	pub newcomer: Option<NewcomerReport>,
	/// Part b.
	#[serde(skip_serializing_if = "Option::is_none")]
	pub specialists: Option<SpecialistsReport>,
	/// Part c.
	#[serde(skip_serializing_if = "Option::is_none")]
	pub equal_compute: Option<EqualComputeReport>,
	/// Wall-clock seconds of the whole bench.
	pub seconds: f64,
}

/// The sizes, for the record.
#[derive(Clone, Debug, Serialize)]
pub struct BenchConfig {
	/// Sequences per batch.
	pub batch: usize,
	/// Bytes per sequence.
	pub seq_len: usize,
	/// Representation size.
	pub dim: usize,
	/// Transformer blocks.
	pub layers: i64,
	/// Peers each neuron asks per batch.
	pub topk: usize,
	/// Steps between evaluations.
	pub eval_every: u64,
	/// Held-out sequences per evaluation.
	pub eval_batch: usize,
	/// Seed.
	pub seed: u64,
}

/// Part a: a fresh neuron joins trained peers.
#[derive(Clone, Debug, Serialize)]
pub struct NewcomerReport {
	/// K.
	pub peers: usize,
	/// N.
	pub steps: u64,
	/// Steps each peer trained alone before.
	pub peer_steps: u64,
	/// The peers' encoder: `builtin`, or the TorchScript file they ran.
	pub peer_encoder: String,
	/// L: the held-out loss the fresh neuron reaches alone after N steps.
	pub target_loss: f64,
	/// Steps the fresh neuron needs alone to reach L (at most N).
	pub steps_alone: u64,
	/// Steps it needs with peers (its full model querying them); `null` if not within N.
	pub steps_with_peers: Option<u64>,
	/// steps_alone / steps_with_peers.
	pub speedup: Option<f64>,
	/// Held-out loss after N steps alone (= L).
	pub loss_alone: f64,
	/// Held-out loss after N steps with peers.
	pub loss_with_peers: f64,
	/// After N steps with peers, its distilled path (no peers asked).
	pub loss_distilled: f64,
	/// The peers' own held-out loss when the newcomer joined (mean).
	pub peers_loss: f64,
	/// Curves.
	pub curve_alone: Curve,
	/// Curves.
	pub curve_with_peers: Curve,
	/// Curves.
	pub curve_distilled: Curve,
	/// Where the text came from.
	pub text: String,
	/// Seconds this part took.
	pub seconds: f64,
}

/// One domain's losses, averaged over the neurons that trained on it (`own`) and those that
/// did not (`foreign`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct OwnForeign {
	/// Neurons trained on this domain; `null` if none.
	pub own: Option<f64>,
	/// Neurons not trained on it; `null` if none.
	pub foreign: Option<f64>,
}

/// One specialist neuron.
#[derive(Clone, Debug, Serialize)]
pub struct Specialist {
	/// Its uid.
	pub uid: usize,
	/// The domain it trained on.
	pub domain: String,
	/// Held-out loss per domain, alone.
	pub loss_alone: BTreeMap<String, f64>,
	/// Held-out loss per domain, its full model querying peers.
	pub loss_with_peers: BTreeMap<String, f64>,
	/// Held-out loss per domain, its distilled path after training with peers.
	pub loss_distilled: BTreeMap<String, f64>,
}

/// Part b: neurons trained on different domains.
#[derive(Clone, Debug, Serialize)]
pub struct SpecialistsReport {
	/// K (K + 1 neurons).
	pub peers: usize,
	/// N.
	pub steps: u64,
	/// The domains, in the order uids are given them (uid i trains on domain i mod 3).
	pub domains: Vec<String>,
	/// Where each domain's text came from.
	pub sources: BTreeMap<String, String>,
	/// Per domain, alone.
	pub loss_alone: BTreeMap<String, OwnForeign>,
	/// Per domain, with peers.
	pub loss_with_peers: BTreeMap<String, OwnForeign>,
	/// Mean over every (neuron, domain it never trained on), alone.
	pub foreign_loss_alone: f64,
	/// The same with peers.
	pub foreign_loss_with_peers: f64,
	/// 1 − with / alone on foreign domains (goal ≥ 0.2).
	pub foreign_reduction: f64,
	/// Mean over each neuron's own domain, alone.
	pub own_loss_alone: f64,
	/// The same with peers (goal: no worse than alone).
	pub own_loss_with_peers: f64,
	/// Steps to reach `own_loss_alone` alone (at most N).
	pub steps_alone: u64,
	/// Steps to reach it with peers; `null` if not within N.
	pub steps_with_peers: Option<u64>,
	/// Every neuron.
	pub neurons: Vec<Specialist>,
	/// Mean foreign-domain loss over training, alone.
	pub curve_foreign_alone: Curve,
	/// … with peers.
	pub curve_foreign_with_peers: Curve,
	/// Mean own-domain loss over training, alone.
	pub curve_own_alone: Curve,
	/// … with peers.
	pub curve_own_with_peers: Curve,
	/// Per domain: the mean loss on it of the neurons that never trained on it, over training.
	pub curves_by_domain: BTreeMap<String, DomainCurves>,
	/// Seconds this part took.
	pub seconds: f64,
}

/// Part b's curves on one domain, from the neurons that never trained on it.
#[derive(Clone, Debug, Serialize)]
pub struct DomainCurves {
	/// Alone.
	pub foreign_alone: Curve,
	/// With peers.
	pub foreign_with_peers: Curve,
}

/// One neuron of part c.
#[derive(Clone, Debug, Serialize)]
pub struct EqualNeuron {
	/// Its uid.
	pub uid: usize,
	/// After N steps alone.
	pub loss_alone: f64,
	/// After N steps with peers, querying them.
	pub loss_with_peers: f64,
	/// After N steps with peers, its distilled path.
	pub loss_distilled: f64,
}

/// Part c: neurons training from scratch together.
#[derive(Clone, Debug, Serialize)]
pub struct EqualComputeReport {
	/// K (K + 1 neurons).
	pub peers: usize,
	/// N.
	pub steps: u64,
	/// Mean held-out loss after N steps alone.
	pub loss_alone: f64,
	/// Mean with peers.
	pub loss_with_peers: f64,
	/// Mean of the distilled path.
	pub loss_distilled: f64,
	/// Steps to reach `loss_alone` alone (mean curve; at most N).
	pub steps_alone: u64,
	/// Steps to reach it with peers; `null` if not within N.
	pub steps_with_peers: Option<u64>,
	/// Every neuron.
	pub neurons: Vec<EqualNeuron>,
	/// Mean curves.
	pub curve_alone: Curve,
	/// Mean curves.
	pub curve_with_peers: Curve,
	/// Mean curves.
	pub curve_distilled: Curve,
	/// Where the text came from.
	pub text: String,
	/// Seconds this part took.
	pub seconds: f64,
}

/// A text split for the bench: shards of its first nine tenths to train on, its last tenth
/// to evaluate on.
struct Text {
	name: String,
	source: String,
	train: Vec<u8>,
	eval: (Tensor, Tensor),
}

impl Text {
	fn new(domain: &Domain, bench: &CollabBench) -> Self {
		let split = domain.bytes.len() * 9 / 10;
		Self {
			name: domain.name.to_string(),
			source: domain.source.clone(),
			train: domain.bytes[..split].to_vec(),
			eval: evaluation_windows(&domain.bytes[split..], bench.eval_batch, bench.seq_len),
		}
	}

	/// Shard `i` of `n` of the training part, drawn in the order `seed` gives.
	fn shard(&self, i: usize, n: usize, seed: u64) -> Result<Corpus> {
		Corpus::new(&self.train, (i, n), seed)
	}
}

impl CollabBench {
	fn check(&self) -> Result<()> {
		if self.peers == 0 || self.peers > 32 {
			bail!("--peers {}: expected 1 to 32", self.peers);
		}
		if self.steps == 0 || self.eval_every == 0 || self.eval_batch == 0 || self.batch == 0 {
			bail!("--steps, --eval-every, --eval-batch and --batch must be at least 1");
		}
		if self.seq_len < 2 || self.seq_len > 1024 {
			bail!("--seq-len {}: expected 2 to 1024", self.seq_len);
		}
		let heads = model::Config::new(1).heads as usize;
		if self.dim == 0 || !self.dim.is_multiple_of(heads) || self.dim > 4096 {
			bail!("--dim {}: expected a multiple of {heads} up to 4096", self.dim);
		}
		if self.layers < 1 {
			bail!("--layers must be at least 1");
		}
		if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
			bail!("--learning-rate must be a positive number");
		}
		model::device(&self.device)?;
		Ok(())
	}

	/// A fresh learner with room for `capacity` uids, its initial weights drawn from `seed`.
	fn learner(&self, capacity: usize, seed: u64) -> Result<Arc<Mutex<Learner>>> {
		tch::manual_seed(seed as i64);
		let mut config = LearnConfig::new(self.dim as i64, capacity as i64);
		config.model.layers = self.layers;
		config.model.max_seq = self.seq_len as i64;
		config.learning_rate = self.learning_rate;
		config.device = model::device(&self.device)?;
		Ok(Arc::new(Mutex::new(Learner::new(config))))
	}

	/// A fresh peer for the newcomer: the built-in encoder, or `--peer-model` (held to the
	/// contract first), trained.
	fn peer(&self, capacity: usize, seed: u64) -> Result<Arc<Mutex<Learner>>> {
		let Some(path) = &self.peer_model else { return self.learner(capacity, seed) };
		tch::manual_seed(seed as i64);
		let mut config = LearnConfig::new(self.dim as i64, capacity as i64);
		config.model.max_seq = self.seq_len as i64;
		config.learning_rate = self.learning_rate;
		config.device = model::device(&self.device)?;
		let contract = Contract {
			dim: self.dim as i64,
			seq_len: self.seq_len as i64,
			max_batch: self.eval_batch.max(self.batch) as i64,
			deadline: std::time::Duration::from_secs(60),
			device: config.device,
			train_batch: Some(self.batch as i64),
		};
		script::check(path, &contract)?;
		let model = ModelFile { path: path.clone(), frozen: false };
		Ok(Arc::new(Mutex::new(Learner::with_model(config, &model)?)))
	}

	fn topk(&self) -> usize {
		LearnConfig::new(self.dim as i64, 1).topk.min(self.peers)
	}

	fn is_eval_step(&self, step: u64) -> bool {
		step.is_multiple_of(self.eval_every) || step == self.steps
	}
}

/// A step alone (no peers), off the async threads.
fn step_alone(learner: &Arc<Mutex<Learner>>, corpus: &mut Corpus, batch: usize, seq: usize) {
	let (x, y) = corpus.batch(batch, seq);
	tokio::task::block_in_place(|| {
		lock(learner).step(&x, &y, &[]);
	});
}

/// Held-out loss of a learner's local path (encoder + distilled context, no peers asked).
fn local_loss(learner: &Arc<Mutex<Learner>>, eval: &(Tensor, Tensor)) -> f64 {
	tokio::task::block_in_place(|| lock(learner).evaluate(&eval.0, &eval.1))
}

/// The first evaluated step at which `curve` is at or below `target`.
pub fn steps_to_reach(curve: &Curve, target: f64) -> Option<u64> {
	curve.iter().find(|(_, loss)| *loss <= target).map(|(step, _)| *step)
}

fn mean(values: impl IntoIterator<Item = f64>) -> Option<f64> {
	let (sum, n) = values.into_iter().fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
	(n > 0).then(|| sum / n as f64)
}

/// Runs the parts asked for, telling `progress` what it is doing.
pub async fn run(bench: &CollabBench, progress: &(dyn Fn(&str) + Sync)) -> Result<CollabReport> {
	bench.check()?;
	let started = Instant::now();
	let probe = bench.learner(bench.peers + 1, 0)?;
	let params = lock(&probe).parameters();
	let newcomer_text = if bench.parts.newcomer || bench.parts.equal_compute {
		Some(Text::new(&bench.sources.shakespeare()?, bench))
	} else {
		None
	};
	let newcomer = match (&newcomer_text, bench.parts.newcomer) {
		(Some(text), true) => Some(newcomer(bench, text, progress).await?),
		_ => None,
	};
	let specialists = if bench.parts.specialists {
		let domains: Vec<Text> =
			bench.sources.load()?.iter().map(|d| Text::new(d, bench)).collect();
		Some(specialists(bench, &domains, progress).await?)
	} else {
		None
	};
	let equal_compute = match (&newcomer_text, bench.parts.equal_compute) {
		(Some(text), true) => Some(equal_compute(bench, text, progress).await?),
		_ => None,
	};
	Ok(CollabReport {
		peers: bench.peers,
		steps: bench.steps,
		device: bench.device.clone(),
		params,
		config: BenchConfig {
			batch: bench.batch,
			seq_len: bench.seq_len,
			dim: bench.dim,
			layers: bench.layers,
			topk: bench.topk(),
			eval_every: bench.eval_every,
			eval_batch: bench.eval_batch,
			seed: bench.seed,
		},
		newcomer,
		specialists,
		equal_compute,
		seconds: started.elapsed().as_secs_f64(),
	})
}

async fn newcomer(
	bench: &CollabBench,
	text: &Text,
	progress: &(dyn Fn(&str) + Sync),
) -> Result<NewcomerReport> {
	let started = Instant::now();
	let (k, n) = (bench.peers, bench.peers + 1);
	let (batch, seq) = (bench.batch, bench.seq_len);
	let seed = bench.seed * 1_000;
	progress(&format!("newcomer: {k} peers train alone for {} steps", bench.peer_steps));
	let mut peers = Vec::with_capacity(n);
	for i in 0..k {
		let learner = bench.peer(n, seed + i as u64)?;
		let mut corpus = text.shard(i, n, seed + i as u64)?;
		for _ in 0..bench.peer_steps {
			step_alone(&learner, &mut corpus, batch, seq);
		}
		peers.push(learner);
	}
	let peers_loss = mean(peers.iter().map(|p| local_loss(p, &text.eval))).unwrap_or(0.0);
	// The newcomer: uid k, the same initial weights and batches alone and with peers.
	let newcomer_seed = seed + 500;
	progress(&format!("newcomer: {} steps alone", bench.steps));
	let alone = bench.learner(n, newcomer_seed)?;
	let mut corpus = text.shard(k, n, newcomer_seed)?;
	let mut curve_alone = vec![(0, local_loss(&alone, &text.eval))];
	for step in 1..=bench.steps {
		step_alone(&alone, &mut corpus, batch, seq);
		if bench.is_eval_step(step) {
			curve_alone.push((step, local_loss(&alone, &text.eval)));
		}
	}
	progress(&format!("newcomer: {} steps with {k} peers over loopback", bench.steps));
	peers.push(bench.learner(n, newcomer_seed)?);
	let net =
		Network::start(peers, "newcomer", bench.dim, bench.eval_batch.max(batch), seq).await?;
	let mut corpus = text.shard(k, n, newcomer_seed)?;
	let (ex, ey) = &text.eval;
	let mut curve_with_peers = vec![(0, net.evaluate(k, ex, ey).await?)];
	let mut curve_distilled = vec![(0, local_loss(net.learner(k), &text.eval))];
	let mut answered = 0;
	for step in 1..=bench.steps {
		let (x, y) = corpus.batch(batch, seq);
		answered += net.train(k, &x, &y).await?.answered;
		if bench.is_eval_step(step) {
			curve_with_peers.push((step, net.evaluate(k, ex, ey).await?));
			curve_distilled.push((step, local_loss(net.learner(k), &text.eval)));
		}
	}
	net.stop().await;
	if answered == 0 {
		bail!("newcomer: no peer ever answered over loopback");
	}
	let target_loss = curve_alone.last().map(|c| c.1).unwrap_or(f64::INFINITY);
	let steps_alone = steps_to_reach(&curve_alone, target_loss).unwrap_or(bench.steps);
	let steps_with_peers = steps_to_reach(&curve_with_peers, target_loss);
	Ok(NewcomerReport {
		peers: k,
		steps: bench.steps,
		peer_steps: bench.peer_steps,
		peer_encoder: bench
			.peer_model
			.as_ref()
			.map_or_else(|| "builtin".into(), |p| p.display().to_string()),
		target_loss,
		steps_alone,
		steps_with_peers,
		speedup: steps_with_peers.map(|s| steps_alone as f64 / s.max(1) as f64),
		loss_alone: target_loss,
		loss_with_peers: curve_with_peers.last().map(|c| c.1).unwrap_or(f64::NAN),
		loss_distilled: curve_distilled.last().map(|c| c.1).unwrap_or(f64::NAN),
		peers_loss,
		curve_alone,
		curve_with_peers,
		curve_distilled,
		text: text.source.clone(),
		seconds: started.elapsed().as_secs_f64(),
	})
}

async fn specialists(
	bench: &CollabBench,
	domains: &[Text],
	progress: &(dyn Fn(&str) + Sync),
) -> Result<SpecialistsReport> {
	let started = Instant::now();
	let n = bench.peers + 1;
	let (batch, seq) = (bench.batch, bench.seq_len);
	let seed = bench.seed * 1_000 + 100;
	// uid i trains on domain i mod D, on its own shard when a domain has several neurons.
	let domain_of = |uid: usize| uid % domains.len();
	let corpus_of = |uid: usize| -> Result<Corpus> {
		let d = domain_of(uid);
		let sharing: Vec<usize> = (0..n).filter(|&u| domain_of(u) == d).collect();
		let index = sharing.iter().position(|&u| u == uid).unwrap_or(0);
		domains[d].shard(index, sharing.len(), seed + uid as u64)
	};
	// Mean over (neuron, domain) pairs, own or foreign, of a loss table [uid][domain].
	let split = |table: &[Vec<f64>]| -> (f64, f64) {
		let own = mean((0..n).map(|u| table[u][domain_of(u)]));
		let foreign = mean(
			(0..n)
				.flat_map(|u| {
					(0..domains.len()).filter(move |&d| d != domain_of(u)).map(move |d| (u, d))
				})
				.map(|(u, d)| table[u][d]),
		);
		(own.unwrap_or(f64::NAN), foreign.unwrap_or(f64::NAN))
	};
	let alone_table = |learners: &[Arc<Mutex<Learner>>]| -> Vec<Vec<f64>> {
		learners.iter().map(|l| domains.iter().map(|t| local_loss(l, &t.eval)).collect()).collect()
	};

	progress(&format!("specialists: {n} neurons, {} steps each alone", bench.steps));
	let alone: Vec<_> =
		(0..n).map(|uid| bench.learner(n, seed + uid as u64)).collect::<Result<_>>()?;
	let mut corpora: Vec<Corpus> = (0..n).map(corpus_of).collect::<Result<_>>()?;
	// Every evaluation's loss table [uid][domain], by step.
	let mut alone_tables = vec![(0, alone_table(&alone))];
	for step in 1..=bench.steps {
		for (learner, corpus) in alone.iter().zip(&mut corpora) {
			step_alone(learner, corpus, batch, seq);
		}
		if bench.is_eval_step(step) {
			alone_tables.push((step, alone_table(&alone)));
		}
	}
	// The last step is always evaluated.
	let alone_final = &alone_tables.last().expect("step 0 is evaluated").1;

	progress(&format!("specialists: {n} neurons, {} steps together over loopback", bench.steps));
	let learners: Vec<_> =
		(0..n).map(|uid| bench.learner(n, seed + uid as u64)).collect::<Result<_>>()?;
	let net = Network::start(learners, "specialists", bench.dim, bench.eval_batch.max(batch), seq)
		.await?;
	let mut corpora: Vec<Corpus> = (0..n).map(corpus_of).collect::<Result<_>>()?;
	let mut with_tables = vec![(0, remote_table(&net, domains).await?)];
	for step in 1..=bench.steps {
		for (uid, corpus) in corpora.iter_mut().enumerate() {
			let (x, y) = corpus.batch(batch, seq);
			net.train(uid, &x, &y).await?;
		}
		if bench.is_eval_step(step) {
			with_tables.push((step, remote_table(&net, domains).await?));
		}
	}
	let with_final = &with_tables.last().expect("step 0 is evaluated").1;
	let learners: Vec<_> = (0..n).map(|uid| net.learner(uid).clone()).collect();
	let distilled_final = alone_table(&learners);
	net.stop().await;

	let names: Vec<String> = domains.iter().map(|t| t.name.clone()).collect();
	// A domain's mean loss among the neurons that trained on it (own) or never did (foreign).
	let on_domain = |d: usize, own: bool| {
		move |table: &[Vec<f64>]| {
			mean((0..n).filter(|&u| (domain_of(u) == d) == own).map(|u| table[u][d]))
		}
	};
	let per_domain = |table: &[Vec<f64>]| -> BTreeMap<String, OwnForeign> {
		names
			.iter()
			.enumerate()
			.map(|(d, name)| {
				let (own, foreign) = (on_domain(d, true)(table), on_domain(d, false)(table));
				(name.clone(), OwnForeign { own, foreign })
			})
			.collect()
	};
	let row = |table: &[Vec<f64>], uid: usize| -> BTreeMap<String, f64> {
		names.iter().cloned().zip(table[uid].iter().copied()).collect()
	};
	let (own_loss_alone, foreign_loss_alone) = split(alone_final);
	let (own_loss_with_peers, foreign_loss_with_peers) = split(with_final);
	let curve = |tables: &[(u64, Vec<Vec<f64>>)], pick: &dyn Fn(&[Vec<f64>]) -> f64| -> Curve {
		tables.iter().map(|(step, table)| (*step, pick(table))).collect()
	};
	let (curve_own_alone, curve_foreign_alone) =
		(curve(&alone_tables, &|t| split(t).0), curve(&alone_tables, &|t| split(t).1));
	let (curve_own_with, curve_foreign_with) =
		(curve(&with_tables, &|t| split(t).0), curve(&with_tables, &|t| split(t).1));
	let foreign_on =
		|d: usize| move |table: &[Vec<f64>]| on_domain(d, false)(table).unwrap_or(f64::NAN);
	let curves_by_domain = names
		.iter()
		.enumerate()
		.map(|(d, name)| {
			let curves = DomainCurves {
				foreign_alone: curve(&alone_tables, &foreign_on(d)),
				foreign_with_peers: curve(&with_tables, &foreign_on(d)),
			};
			(name.clone(), curves)
		})
		.collect();
	let steps_alone = steps_to_reach(&curve_own_alone, own_loss_alone).unwrap_or(bench.steps);
	let steps_with_peers = steps_to_reach(&curve_own_with, own_loss_alone);
	Ok(SpecialistsReport {
		peers: bench.peers,
		steps: bench.steps,
		domains: names.clone(),
		sources: domains.iter().map(|t| (t.name.clone(), t.source.clone())).collect(),
		loss_alone: per_domain(alone_final),
		loss_with_peers: per_domain(with_final),
		foreign_loss_alone,
		foreign_loss_with_peers,
		foreign_reduction: 1.0 - foreign_loss_with_peers / foreign_loss_alone,
		own_loss_alone,
		own_loss_with_peers,
		steps_alone,
		steps_with_peers,
		neurons: (0..n)
			.map(|uid| Specialist {
				uid,
				domain: names[domain_of(uid)].clone(),
				loss_alone: row(alone_final, uid),
				loss_with_peers: row(with_final, uid),
				loss_distilled: row(&distilled_final, uid),
			})
			.collect(),
		curve_foreign_alone,
		curve_foreign_with_peers: curve_foreign_with,
		curve_own_alone,
		curve_own_with_peers: curve_own_with,
		curves_by_domain,
		seconds: started.elapsed().as_secs_f64(),
	})
}

async fn equal_compute(
	bench: &CollabBench,
	text: &Text,
	progress: &(dyn Fn(&str) + Sync),
) -> Result<EqualComputeReport> {
	let started = Instant::now();
	let n = bench.peers + 1;
	let (batch, seq) = (bench.batch, bench.seq_len);
	let seed = bench.seed * 1_000 + 200;
	let eval = &text.eval;
	let mean_of = |losses: &[f64]| mean(losses.iter().copied()).unwrap_or(f64::NAN);

	progress(&format!("equal compute: {n} neurons, {} steps each alone", bench.steps));
	let alone: Vec<_> =
		(0..n).map(|uid| bench.learner(n, seed + uid as u64)).collect::<Result<_>>()?;
	let mut corpora: Vec<Corpus> =
		(0..n).map(|uid| text.shard(uid, n, seed + uid as u64)).collect::<Result<_>>()?;
	let losses = |learners: &[Arc<Mutex<Learner>>]| -> Vec<f64> {
		learners.iter().map(|l| local_loss(l, eval)).collect()
	};
	// Each neuron's loss at every evaluated step (the last step always is).
	let mut alone_evals = vec![(0, losses(&alone))];
	for step in 1..=bench.steps {
		for (learner, corpus) in alone.iter().zip(&mut corpora) {
			step_alone(learner, corpus, batch, seq);
		}
		if bench.is_eval_step(step) {
			alone_evals.push((step, losses(&alone)));
		}
	}

	progress(&format!("equal compute: {n} neurons, {} steps together over loopback", bench.steps));
	let learners: Vec<_> =
		(0..n).map(|uid| bench.learner(n, seed + uid as u64)).collect::<Result<_>>()?;
	let net =
		Network::start(learners, "equal", bench.dim, bench.eval_batch.max(batch), seq).await?;
	let learners: Vec<_> = (0..n).map(|uid| net.learner(uid).clone()).collect();
	let mut corpora: Vec<Corpus> =
		(0..n).map(|uid| text.shard(uid, n, seed + uid as u64)).collect::<Result<_>>()?;
	let mut with_evals = vec![(0, remote_losses(&net, eval).await?)];
	let mut distilled_evals = vec![(0, losses(&learners))];
	for step in 1..=bench.steps {
		for (uid, corpus) in corpora.iter_mut().enumerate() {
			let (x, y) = corpus.batch(batch, seq);
			net.train(uid, &x, &y).await?;
		}
		if bench.is_eval_step(step) {
			with_evals.push((step, remote_losses(&net, eval).await?));
			distilled_evals.push((step, losses(&learners)));
		}
	}
	net.stop().await;
	let curve = |evals: &[(u64, Vec<f64>)]| -> Curve {
		evals.iter().map(|(step, losses)| (*step, mean_of(losses))).collect()
	};
	let last = |evals: &[(u64, Vec<f64>)]| evals.last().expect("step 0 is evaluated").1.clone();
	let (curve_alone, curve_with_peers, curve_distilled) =
		(curve(&alone_evals), curve(&with_evals), curve(&distilled_evals));
	let (alone_final, with_final, distilled_final) =
		(last(&alone_evals), last(&with_evals), last(&distilled_evals));
	let loss_alone = mean_of(&alone_final);
	Ok(EqualComputeReport {
		peers: bench.peers,
		steps: bench.steps,
		loss_alone,
		loss_with_peers: mean_of(&with_final),
		loss_distilled: mean_of(&distilled_final),
		steps_alone: steps_to_reach(&curve_alone, loss_alone).unwrap_or(bench.steps),
		steps_with_peers: steps_to_reach(&curve_with_peers, loss_alone),
		neurons: (0..n)
			.map(|uid| EqualNeuron {
				uid,
				loss_alone: alone_final[uid],
				loss_with_peers: with_final[uid],
				loss_distilled: distilled_final[uid],
			})
			.collect(),
		curve_alone,
		curve_with_peers,
		curve_distilled,
		text: text.source.clone(),
		seconds: started.elapsed().as_secs_f64(),
	})
}

/// Held-out loss of every neuron's full model (querying its peers) on `eval`.
async fn remote_losses(net: &Network, eval: &(Tensor, Tensor)) -> Result<Vec<f64>> {
	let mut out = Vec::with_capacity(net.len());
	for uid in 0..net.len() {
		out.push(net.evaluate(uid, &eval.0, &eval.1).await?);
	}
	Ok(out)
}

/// The same on every domain: `[uid][domain]`.
async fn remote_table(net: &Network, domains: &[Text]) -> Result<Vec<Vec<f64>>> {
	let mut table = Vec::with_capacity(net.len());
	for uid in 0..net.len() {
		let mut row = Vec::with_capacity(domains.len());
		for text in domains {
			row.push(net.evaluate(uid, &text.eval.0, &text.eval.1).await?);
		}
		table.push(row);
	}
	Ok(table)
}

/// The report for people, one paragraph per part.
pub fn summary(report: &CollabReport) -> String {
	let mut out = format!(
		"{} peers, {} steps, {} parameters per neuron, {} ({:.0} s)\n",
		report.peers, report.steps, report.params, report.device, report.seconds
	);
	let steps = |s: Option<u64>| s.map_or("not within N".to_string(), |s| s.to_string());
	if let Some(a) = &report.newcomer {
		out += &format!(
			"newcomer: reaches the loss it reaches alone in {} steps ({:.3}) in {} steps with \
			 {} trained peers ({}); after {} steps: alone {:.3}, with peers {:.3}, distilled {:.3}\n",
			a.steps_alone,
			a.target_loss,
			steps(a.steps_with_peers),
			a.peers,
			a.speedup.map_or("-".into(), |s| format!("{s:.1}× fewer")),
			a.steps,
			a.loss_alone,
			a.loss_with_peers,
			a.loss_distilled
		);
	}
	if let Some(b) = &report.specialists {
		out += &format!(
			"specialists: foreign domains alone {:.3}, with peers {:.3} ({:+.0}%); own domain \
			 alone {:.3}, with peers {:.3}\n",
			b.foreign_loss_alone,
			b.foreign_loss_with_peers,
			-100.0 * b.foreign_reduction,
			b.own_loss_alone,
			b.own_loss_with_peers
		);
		for s in &b.neurons {
			let cells: Vec<String> = b
				.domains
				.iter()
				.map(|d| {
					format!(
						"{d} {:.3}/{:.3}",
						s.loss_alone.get(d).copied().unwrap_or(f64::NAN),
						s.loss_with_peers.get(d).copied().unwrap_or(f64::NAN)
					)
				})
				.collect();
			out += &format!(
				"  uid {} ({}), alone/with peers: {}\n",
				s.uid,
				s.domain,
				cells.join(", ")
			);
		}
	}
	if let Some(c) = &report.equal_compute {
		out += &format!(
			"equal compute: after {} steps alone {:.3}, with peers {:.3}, distilled {:.3}; the \
			 alone loss reached in {} steps with peers\n",
			c.steps,
			c.loss_alone,
			c.loss_with_peers,
			c.loss_distilled,
			steps(c.steps_with_peers)
		);
	}
	out
}

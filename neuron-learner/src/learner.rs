//! One neuron's learning: its model and optimiser, the choice of peers, the training step that
//! mixes their answers in, the gradients it sends back, the gradients its callers push, and the
//! value it assigns each peer.

use super::{
	model::{negative_entropy, Config, Distiller, Encoder, Gate, Head, Mixer, SharedReadout},
	optim::Adam,
	script::{ModelError, ScriptEncoder},
};
use std::{
	collections::VecDeque,
	path::{Path, PathBuf},
};
use tch::{nn, nn::Module, nn::ModuleT, Device, Kind, Reduction, Tensor};

/// The neuron's encoder (what its axon serves): the built-in transformer, or a TorchScript
/// module trained anywhere (`neuron run --model`).
#[derive(Debug)]
pub enum Encoding {
	/// The built-in byte-level transformer of [`Config`].
	Builtin(Encoder),
	/// A TorchScript module, trained by the neuron or frozen.
	Script(ScriptEncoder),
}

impl ModuleT for Encoding {
	fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
		match self {
			Encoding::Builtin(e) => e.forward_t(xs, train),
			Encoding::Script(e) => e.forward_t(xs, train),
		}
	}
}

impl Encoding {
	/// Whether the neuron's loss (and its callers' gradients) train it.
	pub fn trains(&self) -> bool {
		!matches!(self, Encoding::Script(e) if e.frozen())
	}
}

/// A TorchScript file to use as the encoder.
#[derive(Clone, Debug)]
pub struct ModelFile {
	/// The file (already held to the contract by [`crate::script::check`]).
	pub path: PathBuf,
	/// Serve it unchanged: train only the gate, head, distiller and mixer around it.
	pub frozen: bool,
}

/// What a neuron reports of its model (metrics, the explorer, logs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelInfo {
	/// `builtin` or `torchscript`.
	pub kind: &'static str,
	/// Parameters of the encoder.
	pub encoder_parameters: i64,
	/// Whether the encoder trains (`false`: `--freeze`).
	pub trains: bool,
}

/// How a neuron learns.
#[derive(Clone, Debug)]
pub struct LearnConfig {
	/// Model sizes.
	pub model: Config,
	/// Uids the gate has room for (the subnet's `max_uids`).
	pub capacity: i64,
	/// Peers queried per batch.
	pub topk: usize,
	/// Adam's learning rate.
	pub learning_rate: f64,
	/// Factor on gradients pushed by callers.
	pub caller_grad_scale: f64,
	/// Largest norm of one caller's gradient before scaling.
	pub caller_grad_clip: f64,
	/// Exponential moving average decay of peer scores.
	pub score_decay: f64,
	/// Factor applied to a peer's score when it fails to answer.
	pub failure_decay: f64,
	/// Standard deviation of the noise added to gate logits when choosing peers.
	pub gate_noise: f64,
	/// Where tensors live.
	pub device: Device,
}

impl LearnConfig {
	/// Defaults for a subnet of representation size `dim` and room for `capacity` uids.
	pub fn new(dim: i64, capacity: i64) -> Self {
		Self {
			model: Config::new(dim),
			capacity,
			topk: 4,
			learning_rate: 1e-3,
			caller_grad_scale: 0.1,
			caller_grad_clip: 1.0,
			score_decay: 0.995,
			failure_decay: 0.9,
			gate_noise: 1.0,
			device: Device::Cpu,
		}
	}
}

/// What one training step did.
#[derive(Debug)]
pub struct Step {
	/// CE of the head with the distilled context.
	pub local_loss: f64,
	/// CE of the head with the peers' context.
	pub remote_loss: f64,
	/// MSE between the distilled and the peers' context.
	pub distill_loss: f64,
	/// Gradient of the loss with respect to each answering peer's answer, to send back.
	pub peer_grads: Vec<(u16, Tensor)>,
	/// Caller gradients folded into this step.
	pub caller_grads: usize,
}

/// A neuron's model, optimiser and peer scores.
pub struct Learner {
	/// The model's parameters.
	pub vs: nn::VarStore,
	encoder: Encoding,
	gate: Gate,
	distiller: Distiller,
	head: Head,
	readout: SharedReadout,
	mixer: Mixer,
	adam: Adam,
	config: LearnConfig,
	scores: Vec<f64>,
	caller_grads: VecDeque<CallerGrad>,
}

/// A caller's gradient waiting for the next step.
struct CallerGrad {
	uid: u16,
	stake: u128,
	inputs: Tensor,
	grads: Tensor,
}

/// Most caller gradients kept between two steps (each costs the step one more pass through
/// the encoder, so this bounds what callers can add to a step).
pub const CALLER_QUEUE: usize = 16;

/// Most gradients one caller may have waiting; a newer one replaces its oldest.
pub const PER_CALLER: usize = 2;

/// Peers' answers are clamped to ±this before use: an encoder's layer-normed outputs are far
/// inside it, and a hostile peer's huge (finite) values cannot blow up the step.
const ANSWER_LIMIT: f64 = 30.0;

/// The checkpoint's files.
pub const MODEL_FILE: &str = "model.safetensors";
/// A TorchScript encoder as trained so far, beside the checkpoint (for PyTorch or `--model`).
pub const SCRIPT_FILE: &str = "encoder.pt";
const OPTIMIZER_FILE: &str = "optimizer.safetensors";
const SCORES_FILE: &str = "scores.safetensors";

impl Learner {
	/// A fresh model with the built-in encoder.
	pub fn new(config: LearnConfig) -> Self {
		let vs = nn::VarStore::new(config.device);
		let encoder = Encoding::Builtin(Encoder::new(vs.root() / "encoder", &config.model));
		Self::around(vs, encoder, config)
	}

	/// A fresh model around the TorchScript encoder in `model` (its output of size
	/// `config.model.dim`): the gate, distiller, head and mixer are new.
	pub fn with_model(config: LearnConfig, model: &ModelFile) -> Result<Self, ModelError> {
		let vs = nn::VarStore::new(config.device);
		let encoder = ScriptEncoder::load(&model.path, vs.root() / "encoder", model.frozen)?;
		Ok(Self::around(vs, Encoding::Script(encoder), config))
	}

	fn around(vs: nn::VarStore, encoder: Encoding, config: LearnConfig) -> Self {
		let root = vs.root();
		let gate = Gate::new(&root / "gate", &config.model, config.capacity);
		let distiller = Distiller::new(&root / "distiller", &config.model);
		let head = Head::new(&root / "head", &config.model);
		let mixer = Mixer::new(&root / "mixer");
		let readout = SharedReadout::new(&config.model, config.device);
		let adam = Adam::new(&vs, config.learning_rate);
		let scores = vec![0.0; config.capacity as usize];
		Self {
			vs,
			encoder,
			gate,
			distiller,
			head,
			readout,
			mixer,
			adam,
			config,
			scores,
			caller_grads: VecDeque::new(),
		}
	}

	/// Its configuration.
	pub fn config(&self) -> &LearnConfig {
		&self.config
	}

	/// Number of parameters the neuron trains.
	pub fn parameters(&self) -> i64 {
		self.vs.trainable_variables().iter().map(|t| t.numel() as i64).sum()
	}

	/// Its encoder's kind, size and whether it trains.
	pub fn model_info(&self) -> ModelInfo {
		match &self.encoder {
			Encoding::Builtin(_) => {
				let encoder_parameters = self
					.vs
					.variables()
					.iter()
					.filter(|(name, _)| name.starts_with("encoder."))
					.map(|(_, t)| t.numel() as i64)
					.sum();
				ModelInfo { kind: "builtin", encoder_parameters, trains: true }
			},
			Encoding::Script(e) => ModelInfo {
				kind: "torchscript",
				encoder_parameters: e.parameters(),
				trains: !e.frozen(),
			},
		}
	}

	/// What the axon serves: `[batch, seq, dim]` representations of `tokens`, no gradient.
	pub fn represent(&self, tokens: &Tensor) -> Tensor {
		// The guard, not `tch::no_grad(||…)`: a model that fails panics (the axon catches it),
		// and the closure form would leave this thread with gradients switched off.
		let _no_grad = tch::no_grad_guard();
		self.encoder.forward_t(&tokens.to_device(self.config.device), false)
	}

	/// Queues the gradient of caller `uid` (with `stake`) with respect to this neuron's answer
	/// for `inputs`; it is folded into the next step. A caller keeps at most [`PER_CALLER`]
	/// waiting (its newest); when [`CALLER_QUEUE`] are waiting, the lowest-stake one (the
	/// oldest among equals) makes room for a caller with more stake. Returns false if the
	/// gradient was not queued (every waiting one has at least this caller's stake).
	pub fn push_caller_grad(
		&mut self,
		uid: u16,
		stake: u128,
		inputs: Tensor,
		grads: Tensor,
	) -> bool {
		let queue = &mut self.caller_grads;
		if queue.iter().filter(|g| g.uid == uid).count() >= PER_CALLER {
			if let Some(oldest) = queue.iter().position(|g| g.uid == uid) {
				queue.remove(oldest);
			}
		} else if queue.len() >= CALLER_QUEUE {
			let lowest = queue
				.iter()
				.enumerate()
				.min_by_key(|(i, g)| (g.stake, *i))
				.map(|(i, g)| (i, g.stake));
			match lowest {
				Some((i, least)) if least < stake => {
					queue.remove(i);
				},
				_ => return false,
			}
		}
		queue.push_back(CallerGrad { uid, stake, inputs, grads });
		true
	}

	/// Caller gradients waiting for the next step.
	pub fn pending_caller_grads(&self) -> usize {
		self.caller_grads.len()
	}

	/// Chooses up to `topk` peers among `available` uids for `inputs`: the gate's batch-mean
	/// logits plus Gaussian noise (so peers with low scores are still tried now and then) plus
	/// a tiny uniform jitter (so ties fall at random, not by uid).
	pub fn choose(&self, inputs: &Tensor, available: &[u16]) -> Vec<u16> {
		self.choose_with_noise(inputs, available, self.config.gate_noise, 1e-6)
	}

	/// The `topk` peers the gate ranks highest for `inputs`, with no exploration noise: whom
	/// the neuron asks when it is measured rather than trained.
	pub fn choose_best(&self, inputs: &Tensor, available: &[u16]) -> Vec<u16> {
		self.choose_with_noise(inputs, available, 0.0, 0.0)
	}

	fn choose_with_noise(
		&self,
		inputs: &Tensor,
		available: &[u16],
		noise: f64,
		jitter: f64,
	) -> Vec<u16> {
		let k = self.config.topk.min(available.len());
		if k == 0 {
			return Vec::new();
		}
		let logits = {
			let _no_grad = tch::no_grad_guard();
			let encoded = self.encoder.forward_t(&inputs.to_device(self.config.device), false);
			self.gate.logits(&encoded).mean_dim(Some([0i64].as_slice()), false, Kind::Float)
		};
		let mut noisy: Vec<(f64, u16)> = available
			.iter()
			.filter(|&&uid| (uid as i64) < self.gate.capacity())
			.map(|&uid| {
				let logit = logits.double_value(&[uid as i64]);
				let noise = if noise > 0.0 { noise * gaussian() } else { 0.0 };
				let jitter = if jitter > 0.0 { jitter * uniform() } else { 0.0 };
				(logit + noise + jitter, uid)
			})
			.collect();
		noisy.sort_by(|a, b| b.0.total_cmp(&a.0));
		noisy.into_iter().take(k).map(|(_, uid)| uid).collect()
	}

	/// One step on `inputs` → `targets` (both `[batch, seq]` i64) with the chosen peers'
	/// answers (`None` for a peer that failed: it counts as zeros).
	pub fn step(
		&mut self,
		inputs: &Tensor,
		targets: &Tensor,
		peers: &[(u16, Option<Tensor>)],
	) -> Step {
		let device = self.config.device;
		let inputs = inputs.to_device(device);
		let targets = targets.to_device(device);
		let encoded = self.encoder.forward_t(&inputs, true);
		let (b, t, d) = encoded.size3().expect("[batch, seq, dim]");
		let detached = encoded.detach();

		// Leaves of the graph: their gradients go back to the peers.
		let answers: Vec<Tensor> = self
			.answers(peers, [b, t, d])
			.into_iter()
			.map(|a| a.detach().set_requires_grad(true))
			.collect();
		let uids: Vec<u16> = peers.iter().map(|(uid, _)| *uid).collect();
		let remote = self.remote(&encoded, &detached, &answers, &uids, &targets);
		let distilled = self.distiller.forward(&detached);
		let vocab = self.config.model.vocab;
		let flat_targets = targets.view([-1]);
		let ce = |logits: Tensor| logits.view([-1, vocab]).cross_entropy_for_logits(&flat_targets);
		let local_loss = ce(self.head.logits(&encoded, &distilled));
		let remote_loss = nll(&remote.log_probs, &flat_targets, vocab);
		// The encoder learns to speak the shared readout, so that callers can read it.
		let readout_loss = ce(self.readout.logits(&encoded));
		let distill_loss = distilled.mse_loss(&remote.context.detach(), Reduction::Mean);
		let gates = remote.gates;

		self.adam.zero_grad();
		if let Some(gates) = &gates {
			// Valuation, before the parameter gradients are taken (the graph is kept).
			let dgate = Tensor::run_backward(&[&remote_loss], &[gates], true, false);
			self.value_peers(peers, gates, &dgate[0], b);
		}
		let total = &local_loss + &remote_loss + &distill_loss + &readout_loss;
		total.backward();
		let peer_grads = peers
			.iter()
			.zip(&answers)
			.filter(|((_, answer), _)| answer.is_some())
			.map(|((uid, _), a)| (*uid, a.grad().detach().to_device(Device::Cpu)))
			.collect();
		let caller_grads = self.fold_caller_grads();
		// A non-finite gradient (a model that overflowed on some input) would turn every
		// parameter into NaN for good: such a step is skipped.
		if self.adam.clip_grad_norm(1.0).is_finite() {
			self.adam.step();
		} else {
			self.adam.zero_grad();
		}
		Step {
			local_loss: local_loss.double_value(&[]),
			remote_loss: remote_loss.double_value(&[]),
			distill_loss: distill_loss.double_value(&[]),
			peer_grads,
			caller_grads,
		}
	}

	/// Scores each chosen peer by the loss it would cost to lose it.
	///
	/// Estimator: a second-order Taylor expansion of the remote loss L around the gate weight
	/// g_j, at a minimum of L in g_j, gives ΔL ≈ ½ · H_jj · g_j² for setting g_j to zero (the
	/// peer gone), with H_jj the Hessian's diagonal. We estimate H_jj by the empirical Fisher
	/// information E[(∂l/∂g_j)²] over the batch's examples, where l is one example's loss
	/// (`dgate` holds ∂L/∂g for L the batch mean, so one example's gradient is batch · dgate).
	/// The Fisher is never negative, so neither is the score. The batch's average goes into an
	/// exponential moving average with decay `score_decay` (0.995, as in the original code).
	fn value_peers(
		&mut self,
		peers: &[(u16, Option<Tensor>)],
		gates: &Tensor,
		dgate: &Tensor,
		batch: i64,
	) {
		// Gates are per token ([B, T, k]): a peer's part in one example is Σ_t g_t · ∂l/∂g_t.
		let per_example =
			(dgate * gates.detach()).sum_dim_intlist(Some([1i64].as_slice()), false, Kind::Float)
				* batch as f64;
		let importance =
			(per_example.square() * 0.5).mean_dim(Some([0i64].as_slice()), false, Kind::Double);
		let decay = self.config.score_decay;
		for (j, (uid, answer)) in peers.iter().enumerate() {
			let Some(score) = self.scores.get_mut(*uid as usize) else { continue };
			if answer.is_none() {
				*score *= self.config.failure_decay;
				continue;
			}
			let value = importance.double_value(&[j as i64]).max(0.0);
			if value.is_finite() {
				*score = decay * *score + (1.0 - decay) * value;
			}
		}
	}

	/// Runs the encoder on each queued caller's inputs and backpropagates its gradient (norm
	/// clipped to `caller_grad_clip`, scaled by `caller_grad_scale`), adding to this step's
	/// parameter gradients.
	fn fold_caller_grads(&mut self) -> usize {
		if !self.encoder.trains() {
			// A frozen encoder serves as it is: its callers' gradients change nothing.
			self.caller_grads.clear();
			return 0;
		}
		let mut n = 0;
		while let Some(CallerGrad { inputs, grads, .. }) = self.caller_grads.pop_front() {
			let grads = grads.to_device(self.config.device).to_kind(Kind::Float);
			let norm = grads.norm().double_value(&[]);
			if !norm.is_finite() || norm == 0.0 {
				continue;
			}
			let factor =
				self.config.caller_grad_scale * (self.config.caller_grad_clip / norm).min(1.0);
			let inputs = inputs.to_device(self.config.device);
			let encoded = match &self.encoder {
				Encoding::Builtin(e) => e.forward_t(&inputs, true),
				// The function the caller got its gradient for: eval mode (with autograd), on
				// the caller's shape, which train mode was never checked on (a batch norm
				// fails on one position); a failure drops this gradient, not the neuron.
				Encoding::Script(e) => match e.try_forward(&inputs, false) {
					Ok(encoded) => encoded,
					Err(_) => continue,
				},
			};
			if encoded.size() != grads.size() {
				continue;
			}
			(encoded * (grads * factor)).sum(Kind::Float).backward();
			n += 1;
		}
		n
	}

	/// Each uid's score.
	pub fn scores(&self) -> &[f64] {
		&self.scores
	}

	/// A peer that did not answer loses part of its score.
	pub fn record_failure(&mut self, uid: u16) {
		if let Some(score) = self.scores.get_mut(uid as usize) {
			*score *= self.config.failure_decay;
		}
	}

	/// Forgets a uid's score (its neuron was replaced).
	pub fn forget(&mut self, uid: u16) {
		if let Some(score) = self.scores.get_mut(uid as usize) {
			*score = 0.0;
		}
	}

	/// Mean next-byte CE of the local path (encoder + distilled context) on held-out data.
	pub fn evaluate(&self, inputs: &Tensor, targets: &Tensor) -> f64 {
		let _no_grad = tch::no_grad_guard();
		let inputs = inputs.to_device(self.config.device);
		let encoded = self.encoder.forward_t(&inputs, false);
		let distilled = self.distiller.forward(&encoded);
		let logits = self.head.logits(&encoded, &distilled);
		logits
			.view([-1, self.config.model.vocab])
			.cross_entropy_for_logits(&targets.to_device(self.config.device).view([-1]))
			.double_value(&[])
	}

	/// Mean next-byte CE of the full model on held-out data: the peers' answers (`None` for a
	/// peer that failed) mixed in as in training.
	pub fn evaluate_with_peers(
		&self,
		inputs: &Tensor,
		targets: &Tensor,
		peers: &[(u16, Option<Tensor>)],
	) -> f64 {
		let _no_grad = tch::no_grad_guard();
		let device = self.config.device;
		let encoded = self.encoder.forward_t(&inputs.to_device(device), false);
		let (b, t, d) = encoded.size3().expect("[batch, seq, dim]");
		let answers = self.answers(peers, [b, t, d]);
		let uids: Vec<u16> = peers.iter().map(|(uid, _)| *uid).collect();
		let targets = targets.to_device(device);
		let remote = self.remote(&encoded, &encoded, &answers, &uids, &targets);
		let vocab = self.config.model.vocab;
		nll(&remote.log_probs, &targets.view([-1]), vocab).double_value(&[])
	}

	/// The peers' answers on this device as F32, clamped to ±[`ANSWER_LIMIT`]; zeros for a
	/// peer that failed (or an answer not of `shape`).
	fn answers(&self, peers: &[(u16, Option<Tensor>)], shape: [i64; 3]) -> Vec<Tensor> {
		let device = self.config.device;
		peers
			.iter()
			.map(|(_, answer)| match answer {
				Some(a) if a.size() == shape => {
					a.to_device(device).to_kind(Kind::Float).clamp(-ANSWER_LIMIT, ANSWER_LIMIT)
				},
				_ => Tensor::zeros(shape, (Kind::Float, device)),
			})
			.collect()
	}

	/// The full model's next-byte log-probabilities with the peers' `answers` (one per uid in
	/// `uids`, `[B, T, D]` each) and the `targets` (`[B, T]`, read only behind each position, for
	/// the evidence). Each peer's answer is read through the shared readout; the gate weighs
	/// the peers per token (its per-sequence logits from `for_gate`, β times each peer's
	/// confidence, and each peer's evidence so far) into a context `r` for the head and into
	/// the network's answer, the gated mixture of the peers' distributions; the head's
	/// distribution and the network's are mixed by λ from their confidences and evidence. With
	/// no peers, the head reads a zero context.
	fn remote(
		&self,
		encoded: &Tensor,
		for_gate: &Tensor,
		answers: &[Tensor],
		uids: &[u16],
		targets: &Tensor,
	) -> Remote {
		let device = self.config.device;
		let (b, t, d) = encoded.size3().expect("[batch, seq, dim]");
		if answers.is_empty() {
			let context = Tensor::zeros([b, t, d], (Kind::Float, device));
			let log_probs = self.head.logits(encoded, &context).log_softmax(-1, Kind::Float);
			return Remote { log_probs, context, gates: None };
		}
		let index: Vec<i64> =
			uids.iter().map(|&uid| i64::from(uid).min(self.gate.capacity() - 1)).collect();
		let index = Tensor::from_slice(&index).to_device(device);
		let stacked = Tensor::stack(answers, 2);
		// Each peer's own next-byte distribution, read through the shared readout.
		let peer_log_probs = self.readout.logits(&stacked).log_softmax(-1, Kind::Float);
		let peer_confidence = negative_entropy(&peer_log_probs).detach();
		let peer_evidence = evidence(&peer_log_probs, targets);
		let sequence = self.gate.logits(for_gate).index_select(1, &index);
		let log_gates = self
			.mixer
			.gate_logits(&sequence, &peer_confidence, &peer_evidence)
			.log_softmax(-1, Kind::Float);
		let gates = log_gates.exp();
		let context = (gates.unsqueeze(-1) * &stacked).sum_dim_intlist(
			Some([2i64].as_slice()),
			false,
			Kind::Float,
		);
		let own = self.head.logits(encoded, &context).log_softmax(-1, Kind::Float);
		// The network's answer is the gated mixture of the peers' distributions (not the
		// readout of their mixed representations): a mixture is never worse than its best
		// member by more than −log of that member's gate, so a gate that finds the peer who
		// knows this text gets that peer's loss, even on text this neuron never saw.
		let network =
			(peer_log_probs + log_gates.unsqueeze(-1)).logsumexp([2i64].as_slice(), false);
		let (own_weight, network_weight) = self.mixer.log_weights(
			&negative_entropy(&own).detach(),
			&negative_entropy(&network).detach(),
			&(evidence(&own, targets) - evidence(&network, targets)),
		);
		let log_probs = Tensor::stack(
			&[own + own_weight.unsqueeze(-1), network + network_weight.unsqueeze(-1)],
			0,
		)
		.logsumexp([0i64].as_slice(), false);
		Remote { log_probs, context, gates: Some(gates) }
	}

	/// Updates taken so far.
	pub fn steps(&self) -> u64 {
		self.adam.steps()
	}

	/// Saves parameters, optimiser state and scores under `dir` (written to temporary files
	/// and renamed, so a crash mid-save keeps the previous checkpoint).
	pub fn save(&self, dir: &Path) -> anyhow::Result<()> {
		std::fs::create_dir_all(dir)?;
		let scores = Tensor::from_slice(&self.scores);
		// `.tmp.safetensors`: tch picks the format from the extension.
		let tmp = |name: &str| dir.join(name.replace(".safetensors", ".tmp.safetensors"));
		self.vs.save(tmp(MODEL_FILE))?;
		self.adam.state.save(tmp(OPTIMIZER_FILE))?;
		Tensor::write_safetensors(&[("scores", &scores)], tmp(SCORES_FILE))?;
		for name in [MODEL_FILE, OPTIMIZER_FILE, SCORES_FILE] {
			std::fs::rename(tmp(name), dir.join(name))?;
		}
		// A trained TorchScript encoder also goes back out as TorchScript: PyTorch loads it
		// with torch.jit.load, and `--model` takes it as a starting point.
		if let Encoding::Script(e) = &self.encoder {
			if !e.frozen() {
				let tmp = dir.join("encoder.tmp.pt");
				e.save(&tmp)?;
				std::fs::rename(tmp, dir.join(SCRIPT_FILE))?;
			}
		}
		Ok(())
	}

	/// Loads a checkpoint saved by [`Learner::save`] (its model must have the same sizes).
	/// A checkpoint from before the mixer existed resumes with the mixer at its start.
	pub fn load(&mut self, dir: &Path) -> anyhow::Result<()> {
		let missing = self.vs.load_partial(dir.join(MODEL_FILE))?;
		if let Some(name) = missing.iter().find(|name| !name.starts_with("mixer.")) {
			anyhow::bail!("the checkpoint has no `{name}`: it is of another model");
		}
		let missing = self.adam.state.load_partial(dir.join(OPTIMIZER_FILE))?;
		if let Some(name) = missing.iter().find(|name| !name.contains("__mixer_")) {
			anyhow::bail!("the checkpoint's optimiser has no `{name}`: it is of another model");
		}
		let saved = Tensor::read_safetensors(dir.join(SCORES_FILE))?;
		if let Some((_, scores)) = saved.into_iter().find(|(n, _)| n == "scores") {
			let n = (scores.numel()).min(self.scores.len());
			for (i, s) in self.scores.iter_mut().take(n).enumerate() {
				*s = scores.double_value(&[i as i64]);
			}
		}
		Ok(())
	}
}

/// The full model's output for one batch.
struct Remote {
	/// Next-byte log-probabilities, `[B, T, vocab]`.
	log_probs: Tensor,
	/// The gated peers' context `r`, `[B, T, D]` (what the distiller learns to imitate).
	context: Tensor,
	/// The gate's weights, `[B, T, k]`, when peers answered.
	gates: Option<Tensor>,
}

/// How well each predictor foretold the bytes of its sequence so far: at position t, the sum
/// of its log-probabilities of the targets before t (bytes the caller has already seen, so
/// nothing is read ahead). `log_probs` is `[B, T, …, vocab]`, `targets` `[B, T]`; the result is
/// `[B, T, …]`, detached.
fn evidence(log_probs: &Tensor, targets: &Tensor) -> Tensor {
	let mut index = targets.shallow_clone();
	let mut shape = log_probs.size();
	for _ in 2..log_probs.dim() {
		index = index.unsqueeze(-1);
	}
	shape.pop();
	let index = index.expand([shape.as_slice(), &[1]].concat(), false);
	let seen = log_probs.detach().gather(-1, &index, false).squeeze_dim(-1);
	let total = seen.cumsum(1, Kind::Float);
	total - seen
}

/// Mean negative log-likelihood of `targets` (`[N]`) under `log_probs` (`[.., vocab]`).
fn nll(log_probs: &Tensor, targets: &Tensor, vocab: i64) -> Tensor {
	-log_probs.view([-1, vocab]).gather(1, &targets.unsqueeze(1), false).mean(Kind::Float)
}

fn uniform() -> f64 {
	Tensor::rand([1], (Kind::Double, Device::Cpu)).double_value(&[0])
}

fn gaussian() -> f64 {
	Tensor::randn([1], (Kind::Double, Device::Cpu)).double_value(&[0])
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::data::Corpus;

	fn rng() -> tokio::sync::MutexGuard<'static, ()> {
		crate::TORCH_RNG.blocking_lock()
	}

	fn tiny(capacity: i64) -> LearnConfig {
		let mut config = LearnConfig::new(32, capacity);
		config.model.layers = 1;
		config.model.max_seq = 32;
		config.model.dropout = 0.0;
		config.learning_rate = 3e-3;
		config
	}

	fn corpus() -> Corpus {
		Corpus::new(&Corpus::generated(64 << 10), (0, 1), 7).unwrap()
	}

	#[test]
	fn training_lowers_the_held_out_loss() {
		let _rng = rng();
		tch::manual_seed(1);
		let mut learner = Learner::new(tiny(4));
		let mut data = corpus();
		let (hx, hy) = data.held_out(16, 32);
		let before = learner.evaluate(&hx, &hy);
		for _ in 0..80 {
			let (x, y) = data.batch(16, 32);
			learner.step(&x, &y, &[]);
		}
		let after = learner.evaluate(&hx, &hy);
		// ln(256) ≈ 5.55 at the start; the generated text's words are learned quickly.
		assert!(after < before - 1.5, "held-out loss {before:.3} → {after:.3}");
	}

	#[test]
	fn a_peer_that_knows_the_next_byte_outranks_a_noisy_one() {
		let _rng = rng();
		tch::manual_seed(2);
		let mut learner = Learner::new(tiny(4));
		let mut data = corpus();
		// uid 1 answers each position's next byte in the shared readout's language (the byte's
		// column of the readout, scaled up: read through it, that byte stands out).
		let readout = SharedReadout::new(&learner.config.model, Device::Cpu);
		let eye = Tensor::eye(32, (Kind::Float, Device::Cpu));
		let codes = readout.logits(&eye).transpose(0, 1) * 8.0;
		for _ in 0..60 {
			let (x, y) = data.batch(8, 32);
			let oracle = codes.index_select(0, &y.view([-1])).view([8, 32, 32]);
			let noise = Tensor::randn([8, 32, 32], (Kind::Float, Device::Cpu));
			learner.step(&x, &y, &[(1, Some(oracle)), (2, Some(noise))]);
		}
		let s = learner.scores();
		assert!(s[1] > 0.0 && s[1] > 2.0 * s[2], "oracle {} vs noise {}", s[1], s[2]);
		// A failing peer's score decays.
		let before = s[1];
		let (x, y) = data.batch(8, 32);
		learner.step(&x, &y, &[(1, None)]);
		assert!(learner.scores()[1] < before);
	}

	#[test]
	fn a_callers_gradient_changes_the_encoder() {
		let _rng = rng();
		let run = |push: bool| {
			tch::manual_seed(3);
			let mut learner = Learner::new(tiny(4));
			let (x, y) = corpus().batch(4, 16);
			if push {
				let grads = Tensor::ones([4, 16, 32], (Kind::Float, Device::Cpu));
				assert!(learner.push_caller_grad(0, 1, x.shallow_clone(), grads));
			}
			let step = learner.step(&x, &y, &[]);
			assert_eq!(step.caller_grads, usize::from(push));
			learner.vs.variables()["encoder.tokens.weight"].copy()
		};
		let with = run(true);
		let without = run(false);
		assert!(!with.equal(&without), "the caller's gradient must move the encoder");
	}

	#[test]
	fn callers_share_the_gradient_queue_by_stake() {
		let mut learner = Learner::new(tiny(4));
		let t = || Tensor::zeros([1, 2], (Kind::Int64, Device::Cpu));
		let g = || Tensor::ones([1, 2, 32], (Kind::Float, Device::Cpu));
		// One caller flooding keeps only its newest PER_CALLER.
		for _ in 0..100 {
			assert!(learner.push_caller_grad(7, 0, t(), g()));
		}
		assert_eq!(learner.pending_caller_grads(), PER_CALLER);
		// Low-stake callers fill the queue; a richer one still gets in, a poorer one does not.
		for uid in 0..(CALLER_QUEUE as u16) {
			learner.push_caller_grad(100 + uid, 5, t(), g());
		}
		assert_eq!(learner.pending_caller_grads(), CALLER_QUEUE);
		assert!(learner.push_caller_grad(1, 1_000, t(), g()));
		assert!(!learner.push_caller_grad(2, 0, t(), g()));
		assert_eq!(learner.pending_caller_grads(), CALLER_QUEUE);
		assert!(learner.caller_grads.iter().any(|c| c.uid == 1));
		assert!(learner.caller_grads.iter().all(|c| c.uid != 7), "the zero-stake flood went first");
	}

	#[test]
	fn a_checkpoint_resumes_bit_identically() {
		let _rng = rng();
		tch::manual_seed(4);
		let dir = tempfile::tempdir().unwrap();
		let mut learner = Learner::new(tiny(4));
		let mut data = corpus();
		let codes = Tensor::randn([256, 32], (Kind::Float, Device::Cpu));
		for _ in 0..3 {
			let (x, y) = data.batch(4, 16);
			let answer = codes.index_select(0, &y.view([-1])).view([4, 16, 32]);
			learner.step(&x, &y, &[(1, Some(answer))]);
		}
		learner.save(dir.path()).unwrap();
		tch::manual_seed(99);
		let mut resumed = Learner::new(tiny(4));
		resumed.load(dir.path()).unwrap();
		let (a, b) = (learner.vs.variables(), resumed.vs.variables());
		assert_eq!(a.len(), b.len());
		for (name, t) in &a {
			assert!(t.equal(&b[name]), "{name} differs after resuming");
		}
		assert_eq!(resumed.steps(), 3);
		assert_eq!(resumed.scores(), learner.scores());
		let (sa, sb) = (learner.adam.state.variables(), resumed.adam.state.variables());
		for (name, t) in &sa {
			assert!(t.equal(&sb[name]), "optimizer {name} differs after resuming");
		}
	}
}

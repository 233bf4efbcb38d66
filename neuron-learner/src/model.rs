//! The neuron's model, shaped like the tch-rs examples: a config struct, `new` on an
//! `nn::Path`, `forward_t`. A small causal byte-level transformer encoder (what the axon
//! serves), the gating network that picks peers, the distiller that learns to imitate them, and
//! the next-byte head.

use tch::{nn, nn::Module, nn::ModuleT, Device, IndexOp, Kind, Tensor};

/// The model's sizes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
	/// Byte-level vocabulary.
	pub vocab: i64,
	/// Representation size (the subnet's `dim`).
	pub dim: i64,
	/// Attention heads per layer (`dim` must be a multiple).
	pub heads: i64,
	/// Transformer blocks.
	pub layers: i64,
	/// Longest sequence.
	pub max_seq: i64,
	/// Dropout while training.
	pub dropout: f64,
}

impl Config {
	/// The default neuron: 2 blocks of width `dim`, 4 heads, sequences up to 128 bytes.
	pub fn new(dim: i64) -> Self {
		Self { vocab: 256, dim, heads: 4, layers: 2, max_seq: 128, dropout: 0.1 }
	}
}

#[derive(Debug)]
struct Attention {
	qkv: nn::Linear,
	proj: nn::Linear,
	heads: i64,
	mask: Tensor,
	dropout: f64,
}

impl Attention {
	fn new(p: nn::Path, cfg: &Config) -> Self {
		let mask = Tensor::ones([cfg.max_seq, cfg.max_seq], (Kind::Bool, p.device())).tril(0);
		Self {
			qkv: nn::linear(&p / "qkv", cfg.dim, 3 * cfg.dim, Default::default()),
			proj: nn::linear(&p / "proj", cfg.dim, cfg.dim, Default::default()),
			heads: cfg.heads,
			mask,
			dropout: cfg.dropout,
		}
	}
}

impl ModuleT for Attention {
	fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
		let (b, t, c) = xs.size3().expect("[batch, seq, dim]");
		let split = |x: Tensor| x.view([b, t, self.heads, c / self.heads]).transpose(1, 2);
		let qkv = xs.apply(&self.qkv).chunk(3, 2);
		let (q, k, v) = (
			split(qkv[0].shallow_clone()),
			split(qkv[1].shallow_clone()),
			split(qkv[2].shallow_clone()),
		);
		let scale = 1.0 / ((c / self.heads) as f64).sqrt();
		let att = q.matmul(&k.transpose(-2, -1)) * scale;
		let causal = self.mask.i((..t, ..t)).logical_not();
		let att = att.masked_fill(&causal, f64::NEG_INFINITY).softmax(-1, Kind::Float);
		let att = att.dropout(self.dropout, train);
		att.matmul(&v).transpose(1, 2).contiguous().view([b, t, c]).apply(&self.proj)
	}
}

#[derive(Debug)]
struct Block {
	ln1: nn::LayerNorm,
	ln2: nn::LayerNorm,
	attention: Attention,
	up: nn::Linear,
	down: nn::Linear,
	dropout: f64,
}

impl Block {
	fn new(p: nn::Path, cfg: &Config) -> Self {
		Self {
			ln1: nn::layer_norm(&p / "ln1", vec![cfg.dim], Default::default()),
			ln2: nn::layer_norm(&p / "ln2", vec![cfg.dim], Default::default()),
			attention: Attention::new(&p / "attention", cfg),
			up: nn::linear(&p / "up", cfg.dim, 4 * cfg.dim, Default::default()),
			down: nn::linear(&p / "down", 4 * cfg.dim, cfg.dim, Default::default()),
			dropout: cfg.dropout,
		}
	}
}

impl ModuleT for Block {
	fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
		let xs = xs + xs.apply(&self.ln1).apply_t(&self.attention, train);
		let ys = xs.apply(&self.ln2).apply(&self.up).gelu("none").apply(&self.down);
		&xs + ys.dropout(self.dropout, train)
	}
}

/// The causal byte-level encoder: `[batch, seq]` i64 → `[batch, seq, dim]` f32.
#[derive(Debug)]
pub struct Encoder {
	tokens: nn::Embedding,
	positions: Tensor,
	blocks: Vec<Block>,
	ln: nn::LayerNorm,
	cfg: Config,
}

impl Encoder {
	/// Builds the encoder's layers under `p`.
	pub fn new(p: nn::Path, cfg: &Config) -> Self {
		Self {
			tokens: nn::embedding(&p / "tokens", cfg.vocab, cfg.dim, Default::default()),
			positions: p.randn("positions", &[1, cfg.max_seq, cfg.dim], 0.0, 0.02),
			blocks: (0..cfg.layers).map(|i| Block::new(&p / "blocks" / i, cfg)).collect(),
			ln: nn::layer_norm(&p / "ln", vec![cfg.dim], Default::default()),
			cfg: *cfg,
		}
	}

	/// Its sizes.
	pub fn config(&self) -> &Config {
		&self.cfg
	}
}

impl ModuleT for Encoder {
	fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
		let t = xs.size()[1];
		let mut h = xs.apply(&self.tokens) + self.positions.i((.., ..t, ..));
		h = h.dropout(self.cfg.dropout, train);
		for block in &self.blocks {
			h = h.apply_t(block, train);
		}
		h.apply(&self.ln)
	}
}

/// Learns to predict the peers' context from the encoder's output, so the neuron still has a
/// context when its peers are gone.
#[derive(Debug)]
pub struct Distiller {
	up: nn::Linear,
	down: nn::Linear,
}

impl Distiller {
	/// Builds it under `p`.
	pub fn new(p: nn::Path, cfg: &Config) -> Self {
		Self {
			up: nn::linear(&p / "up", cfg.dim, 2 * cfg.dim, Default::default()),
			down: nn::linear(&p / "down", 2 * cfg.dim, cfg.dim, Default::default()),
		}
	}
}

impl Module for Distiller {
	fn forward(&self, xs: &Tensor) -> Tensor {
		xs.apply(&self.up).gelu("none").apply(&self.down)
	}
}

/// Next-byte logits from the encoder output joined with a context: `[B, T, 2·dim]` → `[B, T, vocab]`.
#[derive(Debug)]
pub struct Head {
	hidden: nn::Linear,
	out: nn::Linear,
}

impl Head {
	/// Builds it under `p`.
	pub fn new(p: nn::Path, cfg: &Config) -> Self {
		Self {
			hidden: nn::linear(&p / "hidden", 2 * cfg.dim, cfg.dim, Default::default()),
			out: nn::linear(&p / "out", cfg.dim, cfg.vocab, Default::default()),
		}
	}

	/// Logits for `encoded` with `context`.
	pub fn logits(&self, encoded: &Tensor, context: &Tensor) -> Tensor {
		Tensor::cat(&[encoded, context], 2).apply(&self.hidden).gelu("none").apply(&self.out)
	}
}

/// The gating network: one logit per uid of the subnet, from the mean of the encoder output.
/// It has room for `capacity` uids (the subnet's `max_uids`), so it never needs resizing as
/// neurons come and go; uids that are absent, silent or the neuron itself are masked out.
#[derive(Debug)]
pub struct Gate {
	linear: nn::Linear,
	capacity: i64,
}

impl Gate {
	/// Builds it under `p` for `capacity` uids.
	pub fn new(p: nn::Path, cfg: &Config, capacity: i64) -> Self {
		Self { linear: nn::linear(&p / "linear", cfg.dim, capacity, Default::default()), capacity }
	}

	/// How many uids it has room for.
	pub fn capacity(&self) -> i64 {
		self.capacity
	}

	/// `[batch, capacity]` logits for `encoded` (`[batch, seq, dim]`).
	pub fn logits(&self, encoded: &Tensor) -> Tensor {
		encoded.mean_dim(Some([1i64].as_slice()), false, Kind::Float).apply(&self.linear)
	}
}

/// Where tensors live.
pub fn device(name: &str) -> anyhow::Result<Device> {
	match name {
		"cpu" => Ok(Device::Cpu),
		"cuda" if tch::Cuda::is_available() => Ok(Device::Cuda(0)),
		"cuda" => anyhow::bail!("--device cuda: libtorch sees no CUDA device on this machine"),
		other => anyhow::bail!("--device `{other}`: expected cpu or cuda"),
	}
}

/// The readout every neuron shares: a fixed `[dim, vocab]` matrix drawn from one published
/// seed, the same on every machine for a given `dim`. Each neuron trains its encoder so that
/// its representation, read through this matrix, predicts the next byte; so any caller can read
/// any peer's answer as next-byte logits, on text the caller never trained on. It is not a
/// parameter: nobody trains it, nobody needs to send it.
#[derive(Debug)]
pub struct SharedReadout {
	matrix: Tensor,
}

/// The seed of [`SharedReadout`]: part of the protocol between neurons of one `dim`.
pub const SHARED_READOUT_SEED: u64 = 0x6269_7474_656e_736f;

/// The standard deviation of [`SharedReadout`]'s entries times √dim: part of the protocol too.
pub const READOUT_SCALE: f64 = 4.0;

impl SharedReadout {
	/// The readout for representation size `cfg.dim` on `device`: normal entries (xorshift64
	/// and Box–Muller, so no library's generator is involved) of standard deviation 4/√dim
	/// (a layer-normed representation then reaches sharp distributions without its gains
	/// having to grow first), and row 0 the text row below.
	pub fn new(cfg: &Config, device: Device) -> Self {
		let n = (cfg.dim * cfg.vocab) as usize;
		let mut state = SHARED_READOUT_SEED;
		let mut uniform = move || {
			state ^= state << 13;
			state ^= state >> 7;
			state ^= state << 17;
			// 53 random bits in (0, 1].
			((state >> 11) as f64 + 1.0) / (1u64 << 53) as f64
		};
		let scale = READOUT_SCALE / (cfg.dim as f64).sqrt();
		let mut values = Vec::with_capacity(n + 1);
		while values.len() < n {
			let (u, v) = (uniform(), uniform());
			let radius = (-2.0 * u.ln()).sqrt();
			let angle = 2.0 * std::f64::consts::PI * v;
			values.push((radius * angle.cos() * scale) as f32);
			values.push((radius * angle.sin() * scale) as f32);
		}
		values.truncate(n);
		// Row 0 says "text": +scale on printable ASCII, tab and newline, −scale on every other
		// byte. The readout has no bias, and a random 256 × dim projection cannot express the
		// prior every text domain shares (most byte values never occur); with this row one
		// coordinate of a representation does.
		for (byte, value) in values.iter_mut().take(cfg.vocab as usize).enumerate() {
			let text = (32..127).contains(&byte) || byte == 9 || byte == 10;
			*value = if text { scale } else { -scale } as f32;
		}
		let matrix = Tensor::from_slice(&values).view([cfg.dim, cfg.vocab]).to_device(device);
		Self { matrix }
	}

	/// Next-byte logits `[.., vocab]` of representations `[.., dim]`.
	pub fn logits(&self, xs: &Tensor) -> Tensor {
		xs.matmul(&self.matrix)
	}
}

/// How much a neuron trusts its own head against the network's answer for each byte: a
/// weight λ = σ(a·c_own + b·c_net + c) from how confident each is (c = −entropy of its
/// next-byte distribution), starting at "trust the more confident one" (a = 1, b = −1, c = 0).
/// And how the gate's choice among peers leans on each peer's confidence (β, starting at 1).
/// Confidence is what carries over to text the neuron never saw: there its own head is unsure
/// and the peer that knows that text is sure.
#[derive(Debug)]
pub struct Mixer {
	own: Tensor,
	net: Tensor,
	bias: Tensor,
	beta: Tensor,
	evidence: Tensor,
}

impl Mixer {
	/// Builds it under `p`.
	pub fn new(p: nn::Path) -> Self {
		Self {
			own: p.var("own", &[1], nn::Init::Const(1.0)),
			net: p.var("net", &[1], nn::Init::Const(-1.0)),
			bias: p.var("bias", &[1], nn::Init::Const(0.0)),
			beta: p.var("beta", &[1], nn::Init::Const(1.0)),
			evidence: p.var("evidence", &[1], nn::Init::Const(1.0)),
		}
	}

	/// Per-token log λ and log (1 − λ) from the two confidences and the evidence for the own
	/// path over the network's (`[B, T]` each; see [`Mixer::gate_logits`]).
	pub fn log_weights(&self, own: &Tensor, net: &Tensor, evidence: &Tensor) -> (Tensor, Tensor) {
		let z = own * &self.own + net * &self.net + evidence * &self.evidence + &self.bias;
		(z.log_sigmoid(), (-z).log_sigmoid())
	}

	/// The gate's per-token logits over the chosen peers: its per-sequence logits `[B, k]`
	/// plus β times each peer's confidence `[B, T, k]` plus the evidence weight times each
	/// peer's evidence `[B, T, k]` (its log-likelihood of the sequence's bytes so far). At
	/// weight 1 the evidence term makes the gate a Bayesian posterior over the peers: whoever
	/// has predicted this text best so far is trusted most, which is how a neuron finds the
	/// peer who knows a domain its own gate was never trained on.
	pub fn gate_logits(&self, sequence: &Tensor, confidence: &Tensor, evidence: &Tensor) -> Tensor {
		sequence.unsqueeze(1) + confidence * &self.beta + evidence * &self.evidence
	}
}

/// −entropy of the distributions whose log-probabilities are `log_probs` (last dimension).
pub fn negative_entropy(log_probs: &Tensor) -> Tensor {
	(log_probs.exp() * log_probs).sum_dim_intlist(Some([-1i64].as_slice()), false, Kind::Float)
}

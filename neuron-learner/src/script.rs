//! Encoders trained anywhere: a TorchScript module loaded with libtorch in place of the built-in
//! encoder (`neuron run --model FILE [--freeze]`), and the contract it is held to before the
//! neuron registers or serves anything.
//!
//! The contract (docs/NEURON.md, "Bringing your own model"): `forward(x)` takes `[batch, seq]`
//! int64 byte values 0..255 and returns one tensor `[batch, seq, dim]` of F32, F16 or BF16; the
//! output at position t depends only on bytes 0..t (a caller's gate and the shared readout read
//! it as a prediction of byte t+1); no NaN or infinity; a full batch within the deadline.
//!
//! Loading a TorchScript file runs code its author wrote: a neuron loads only the file its
//! operator names on the command line, never one sent by a peer.

use std::{
	path::{Path, PathBuf},
	sync::Mutex,
	time::{Duration, Instant},
};
use tch::{nn, CModule, Device, IValue, Kind, Tensor, TrainableCModule};

/// What a model must satisfy, checked by [`check`].
#[derive(Clone, Debug)]
pub struct Contract {
	/// The subnet's representation size: the last dimension of every output.
	pub dim: i64,
	/// The longest sequence the neuron serves and trains on.
	pub seq_len: i64,
	/// The largest batch the axon admits (a "full batch").
	pub max_batch: i64,
	/// Longest a full batch may take.
	pub deadline: Duration,
	/// Where the model runs.
	pub device: Device,
	/// The batch the neuron trains on, when it trains the model (`None` with `--freeze`):
	/// its parameters must then be F32, and a train-mode forward and backward must run.
	pub train_batch: Option<i64>,
}

/// Why a model file is refused. Each has its own exit status ([`ModelError::exit_code`]).
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
	/// The file does not exist or cannot be read.
	#[error("model_unreadable: {path}: {reason}")]
	Unreadable {
		/// The file.
		path: PathBuf,
		/// What the file system said.
		reason: String,
	},
	/// libtorch cannot load it as a TorchScript module.
	#[error(
		"model_not_torchscript: {path} is not a TorchScript module (export it with \
		 torch.jit.script or torch.jit.trace and save it with .save()): {reason}"
	)]
	NotTorchScript {
		/// The file.
		path: PathBuf,
		/// libtorch's message (first line).
		reason: String,
	},
	/// `forward` failed on the probe batch.
	#[error("model_forward_failed: forward([{batch}, {seq}] int64 bytes) failed: {reason}")]
	ForwardFailed {
		/// Probe batch size.
		batch: i64,
		/// Probe sequence length.
		seq: i64,
		/// libtorch's message (first line).
		reason: String,
	},
	/// `forward` returned something other than one tensor.
	#[error("model_not_a_tensor: forward returned {got}, expected one tensor [batch, seq, dim]")]
	NotATensor {
		/// What it returned.
		got: String,
	},
	/// The output's rank is not 3.
	#[error("model_wrong_rank: the output has shape {shape:?} (rank {}), expected [batch, seq, dim] (rank 3)", .shape.len())]
	WrongRank {
		/// The output's shape.
		shape: Vec<i64>,
	},
	/// The output's batch or sequence size differs from the input's.
	#[error("model_wrong_shape: for inputs [{batch}, {seq}] the output has shape {shape:?}, expected [{batch}, {seq}, dim]")]
	WrongShape {
		/// The output's shape.
		shape: Vec<i64>,
		/// Input batch.
		batch: i64,
		/// Input sequence.
		seq: i64,
	},
	/// The output's last dimension is not the subnet's `dim`.
	#[error(
		"model_wrong_dim: the output's last dimension is {got}, but this neuron's --dim is {want}"
	)]
	WrongDim {
		/// The output's.
		got: i64,
		/// `--dim`.
		want: i64,
	},
	/// An integer or boolean output.
	#[error(
		"model_integer_output: the output is {kind:?}; representations must be F32, F16 or BF16"
	)]
	IntegerOutput {
		/// Its kind.
		kind: Kind,
	},
	/// A floating-point output other than F32, F16 and BF16.
	#[error(
		"model_unsupported_dtype: the output is {kind:?}; representations must be F32, F16 or BF16"
	)]
	UnsupportedDtype {
		/// Its kind.
		kind: Kind,
	},
	/// NaN or infinity in the output of the probe batch.
	#[error(
		"model_not_finite: {count} of the output's values on the probe batch are NaN or infinite"
	)]
	NotFinite {
		/// How many.
		count: i64,
	},
	/// Changing a byte changed the output at an earlier position.
	#[error(
		"model_not_causal: changing byte {changed} changed the output at position {position} \
		 (by up to {difference:.3e}); the output at position t may depend only on bytes 0..=t"
	)]
	NotCausal {
		/// The byte changed.
		changed: i64,
		/// The earliest position whose output moved.
		position: i64,
		/// The largest change seen there.
		difference: f64,
	},
	/// A full batch takes longer than the deadline.
	#[error(
		"model_too_slow: a full batch [{batch}, {seq}] took {took:?}, over the {deadline:?} \
		 deadline (--model-deadline-ms)"
	)]
	TooSlow {
		/// Full batch.
		batch: i64,
		/// Sequence length.
		seq: i64,
		/// How long it took (the best of the timed runs).
		took: Duration,
		/// The deadline.
		deadline: Duration,
	},
	/// In train mode, forward or backward fails on a training batch.
	#[error(
		"model_train_failed: in train mode, forward and backward on [{batch}, {seq}] failed: \
		 {reason} (serve it with --freeze, or fix its training path)"
	)]
	TrainFailed {
		/// Training batch.
		batch: i64,
		/// Sequence length.
		seq: i64,
		/// libtorch's message (first line).
		reason: String,
	},
	/// A parameter the neuron would train is not F32.
	#[error(
		"model_untrainable: parameter `{name}` is {kind:?}; training needs F32 parameters \
		 (serve a half-precision model with --freeze, or export it in F32 and cast the output)"
	)]
	Untrainable {
		/// The parameter.
		name: String,
		/// Its kind.
		kind: Kind,
	},
}

impl ModelError {
	/// The process exit status `neuron run` ends with for this error: 10 to 23, one each.
	pub fn exit_code(&self) -> u8 {
		match self {
			ModelError::Unreadable { .. } => 10,
			ModelError::NotTorchScript { .. } => 11,
			ModelError::ForwardFailed { .. } => 12,
			ModelError::NotATensor { .. } => 13,
			ModelError::WrongRank { .. } => 14,
			ModelError::WrongShape { .. } => 15,
			ModelError::WrongDim { .. } => 16,
			ModelError::IntegerOutput { .. } => 17,
			ModelError::UnsupportedDtype { .. } => 18,
			ModelError::NotFinite { .. } => 19,
			ModelError::NotCausal { .. } => 20,
			ModelError::TooSlow { .. } => 21,
			ModelError::Untrainable { .. } => 22,
			ModelError::TrainFailed { .. } => 23,
		}
	}
}

/// libtorch's messages carry a C++ backtrace after the first lines; the first line says it.
fn first_line(e: &tch::TchError) -> String {
	let text = e.to_string();
	text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").chars().take(300).collect()
}

fn load_module(path: &Path, device: Device) -> Result<CModule, ModelError> {
	std::fs::metadata(path)
		.map_err(|e| ModelError::Unreadable { path: path.into(), reason: e.to_string() })?;
	CModule::load_on_device(path, device)
		.map_err(|e| ModelError::NotTorchScript { path: path.into(), reason: first_line(&e) })
}

/// Runs `module` on `inputs` in eval mode without gradients: the probe of [`check`].
fn probe(module: &CModule, inputs: &Tensor) -> Result<Tensor, ModelError> {
	let (batch, seq) = inputs.size2().unwrap_or((0, 0));
	let output = tch::no_grad(|| module.forward_is(&[IValue::Tensor(inputs.shallow_clone())]))
		.map_err(|e| ModelError::ForwardFailed { batch, seq, reason: first_line(&e) })?;
	match output {
		IValue::Tensor(t) => Ok(t),
		IValue::Tuple(v) => Err(ModelError::NotATensor { got: format!("a tuple of {}", v.len()) }),
		IValue::TensorList(v) => {
			Err(ModelError::NotATensor { got: format!("a list of {} tensors", v.len()) })
		},
		other => Err(ModelError::NotATensor { got: ivalue_kind(&other).into() }),
	}
}

fn ivalue_kind(v: &IValue) -> &'static str {
	match v {
		IValue::None => "None",
		IValue::Tensor(_) => "a tensor",
		IValue::Double(_) => "a float",
		IValue::Int(_) => "an int",
		IValue::Bool(_) => "a bool",
		IValue::String(_) => "a string",
		IValue::GenericDict(_) => "a dict",
		IValue::Object(_) => "an object",
		_ => "a list",
	}
}

/// Checks one output for inputs `[batch, seq]`: rank, shape, `dim`, dtype, finiteness.
fn check_output(out: &Tensor, batch: i64, seq: i64, dim: i64) -> Result<(), ModelError> {
	let shape = out.size();
	if shape.len() != 3 {
		return Err(ModelError::WrongRank { shape });
	}
	if shape[0] != batch || shape[1] != seq {
		return Err(ModelError::WrongShape { shape, batch, seq });
	}
	if shape[2] != dim {
		return Err(ModelError::WrongDim { got: shape[2], want: dim });
	}
	match out.kind() {
		Kind::Float | Kind::Half | Kind::BFloat16 => {},
		kind @ (Kind::Uint8
		| Kind::Int8
		| Kind::Int16
		| Kind::Int
		| Kind::Int64
		| Kind::Bool
		| Kind::QInt8
		| Kind::QUInt8
		| Kind::QInt32) => return Err(ModelError::IntegerOutput { kind }),
		kind => return Err(ModelError::UnsupportedDtype { kind }),
	}
	let bad = tch::no_grad(|| out.to_kind(Kind::Float).isfinite().logical_not().sum(Kind::Int64))
		.int64_value(&[]);
	if bad > 0 {
		return Err(ModelError::NotFinite { count: bad });
	}
	Ok(())
}

/// Random bytes `[batch, seq]` on `device` from libtorch's generator (seeded by the caller).
fn random_bytes(batch: i64, seq: i64, device: Device) -> Tensor {
	Tensor::randint(256, [batch, seq], (Kind::Int64, device))
}

/// What the check measured of a model that passed.
#[derive(Clone, Debug)]
pub struct Checked {
	/// The output's dtype.
	pub output: Kind,
	/// Parameters in the module.
	pub parameters: i64,
	/// The best time of a full batch.
	pub full_batch: Duration,
}

/// Loads the TorchScript file at `path` and holds it to `contract`: a probe batch (shape,
/// `dim`, dtype, finiteness), causality (a byte changed at positions from the middle to the
/// last changes no output before it), and the time of a full batch. Runs nothing on the chain.
pub fn check(path: &Path, contract: &Contract) -> Result<Checked, ModelError> {
	let mut module = load_module(path, contract.device)?;
	module
		.f_set_eval()
		.map_err(|e| ModelError::NotTorchScript { path: path.into(), reason: first_line(&e) })?;
	let (seq, device) = (contract.seq_len, contract.device);
	let batch = contract.max_batch.clamp(1, 4);
	let inputs = random_bytes(batch, seq, device);
	let out = probe(&module, &inputs)?;
	check_output(&out, batch, seq, contract.dim)?;
	// A shorter sequence and a single row: callers send any shape up to the schema's limits.
	let short = (seq / 2).max(1);
	let one = probe(&module, &inputs.narrow(0, 0, 1).narrow(1, 0, short))?;
	check_output(&one, 1, short, contract.dim)?;
	check_causal(&module, &inputs, &out)?;

	// The deadline: a full batch, timed after two warm-up runs (TorchScript's executor profiles
	// and optimises a graph over its first runs), best of two.
	let full = random_bytes(contract.max_batch, seq, device);
	let mut best = Duration::MAX;
	for run in 0..4 {
		let started = Instant::now();
		let out = probe(&module, &full)?;
		let _ = out.sum(Kind::Float).double_value(&[]); // waits for the device
		let took = started.elapsed();
		if run == 0 {
			check_output(&out, contract.max_batch, seq, contract.dim)?;
		}
		if run >= 2 {
			best = best.min(took);
		}
		// Hopelessly slow already: no need to wait for the rest. (A warm-up run may include
		// compiling the graph for the shape, hence its wider margin.)
		if took > contract.deadline * if run >= 2 { 1 } else { 20 } {
			best = best.min(took);
			break;
		}
	}
	if best > contract.deadline {
		return Err(ModelError::TooSlow {
			batch: contract.max_batch,
			seq,
			took: best,
			deadline: contract.deadline,
		});
	}
	let named = module
		.named_parameters()
		.map_err(|e| ModelError::NotTorchScript { path: path.into(), reason: first_line(&e) })?;
	if let Some(batch) = contract.train_batch {
		check_trainable(&mut module, &named, batch.max(1), seq, device)?;
	}
	let parameters = named.iter().map(|(_, t)| t.numel() as i64).sum();
	Ok(Checked { output: out.kind(), parameters, full_batch: best })
}

/// What training needs: F32 parameters, and a train-mode forward and backward on a training
/// batch (a module's train-mode path can differ from its eval path: dropout, batch norm).
fn check_trainable(
	module: &mut CModule,
	named: &[(String, Tensor)],
	batch: i64,
	seq: i64,
	device: Device,
) -> Result<(), ModelError> {
	if let Some((name, t)) = named.iter().find(|(_, t)| t.kind() != Kind::Float) {
		return Err(ModelError::Untrainable { name: name.clone(), kind: t.kind() });
	}
	let failed = |e: &tch::TchError| ModelError::TrainFailed { batch, seq, reason: first_line(e) };
	module.f_set_train().map_err(|e| failed(&e))?;
	let inputs = random_bytes(batch, seq, device);
	let trained = module.forward_ts(&[&inputs]).and_then(|out| {
		let loss = out.f_to_kind(Kind::Float)?.f_square()?.f_mean(Kind::Float)?;
		let params: Vec<&Tensor> =
			named.iter().map(|(_, t)| t).filter(|t| t.requires_grad()).collect();
		if params.is_empty() {
			return Ok(());
		}
		Tensor::f_run_backward(&[&loss], &params, false, false).map(drop)
	});
	let restored = module.f_set_eval();
	trained.map_err(|e| failed(&e))?;
	restored.map_err(|e| failed(&e))
}

/// Changes the byte at several positions (the middle, three quarters, the last) in every row,
/// and requires the outputs before it to stay as they were.
fn check_causal(module: &CModule, inputs: &Tensor, out: &Tensor) -> Result<(), ModelError> {
	let seq = inputs.size()[1];
	let out = out.to_kind(Kind::Float);
	let scale = tch::no_grad(|| out.abs().max()).double_value(&[]).max(1.0);
	let mut positions = vec![seq / 2, (3 * seq) / 4, seq - 1];
	positions.dedup();
	for changed in positions.into_iter().filter(|&p| p > 0) {
		let altered = inputs.copy();
		let column = altered.narrow(1, changed, 1);
		// Every row's byte becomes another byte (+1..=255 mod 256).
		let shift = Tensor::randint_low(1, 256, column.size(), (Kind::Int64, inputs.device()));
		let mut column = column;
		column.copy_(&((&column + shift).remainder(256)));
		let moved = probe(module, &altered)?.to_kind(Kind::Float);
		let before = tch::no_grad(|| {
			(moved.narrow(1, 0, changed) - out.narrow(1, 0, changed))
				.abs()
				.amax([0i64, 2].as_slice(), false)
		});
		let tolerance = 1e-4 * scale;
		let worst = Vec::<f64>::try_from(&before.to_kind(Kind::Double))
			.map_err(|e| ModelError::ForwardFailed { batch: 0, seq, reason: first_line(&e) })?;
		if worst.iter().any(|d| d.is_nan()) {
			return Err(ModelError::NotFinite {
				count: worst.iter().filter(|d| d.is_nan()).count() as i64,
			});
		}
		if let Some((position, difference)) =
			worst.iter().enumerate().find(|(_, d)| **d > tolerance)
		{
			return Err(ModelError::NotCausal {
				changed,
				position: position as i64,
				difference: *difference,
			});
		}
	}
	Ok(())
}

/// The module, trainable (its parameters in the neuron's VarStore) or frozen.
enum Module {
	Trainable(TrainableCModule),
	Frozen(CModule),
}

/// A TorchScript encoder behind the neuron's encoder interface. libtorch's train/eval flag
/// lives in the module, so it is switched under a lock when a call asks for the other mode.
pub struct ScriptEncoder {
	module: Mutex<(Module, Option<bool>)>,
	frozen: bool,
	parameters: i64,
	path: PathBuf,
}

impl std::fmt::Debug for ScriptEncoder {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("ScriptEncoder")
			.field("path", &self.path)
			.field("frozen", &self.frozen)
			.field("parameters", &self.parameters)
			.finish()
	}
}

impl ScriptEncoder {
	/// Loads the (already [`check`]ed) module at `path`: frozen, or with its parameters added
	/// under `p` so the neuron's optimiser trains and checkpoints them.
	pub fn load(path: &Path, p: nn::Path, frozen: bool) -> Result<Self, ModelError> {
		let device = p.device();
		let (module, parameters) = if frozen {
			let module = load_module(path, device)?;
			let n = module
				.named_parameters()
				.map(|ps| ps.iter().map(|(_, t)| t.numel() as i64).sum())
				.unwrap_or(0);
			(Module::Frozen(module), n)
		} else {
			// Checked before they are added to the optimiser.
			let probe = load_module(path, device)?;
			let named = probe.named_parameters().map_err(|e| ModelError::NotTorchScript {
				path: path.into(),
				reason: first_line(&e),
			})?;
			if let Some((name, t)) = named.iter().find(|(_, t)| t.kind() != Kind::Float) {
				return Err(ModelError::Untrainable { name: name.clone(), kind: t.kind() });
			}
			let n = named.iter().map(|(_, t)| t.numel() as i64).sum();
			let module = TrainableCModule::load(path, p).map_err(|e| {
				ModelError::NotTorchScript { path: path.into(), reason: first_line(&e) }
			})?;
			(Module::Trainable(module), n)
		};
		Ok(Self { module: Mutex::new((module, None)), frozen, parameters, path: path.into() })
	}

	/// Whether the neuron leaves its parameters as they are.
	pub fn frozen(&self) -> bool {
		self.frozen
	}

	/// Parameters in the module.
	pub fn parameters(&self) -> i64 {
		self.parameters
	}

	/// `[batch, seq, dim]` F32 for `[batch, seq]` bytes; a frozen module always runs in eval
	/// mode and without gradients. A libtorch failure panics, as every tch operation does (the
	/// axon's model calls turn that into a refusal); see [`ScriptEncoder::try_forward`].
	pub fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
		match self.try_forward(xs, train) {
			Ok(out) => out,
			Err(e) => panic!("{e}"),
		}
	}

	/// [`ScriptEncoder::forward_t`], with a failure of the model (or a non-finite output) as
	/// an error.
	pub fn try_forward(&self, xs: &Tensor, train: bool) -> Result<Tensor, String> {
		let train = train && !self.frozen;
		let mut guard = self.module.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		let (module, mode) = &mut *guard;
		if *mode != Some(train) {
			let switched = match (module, train) {
				(Module::Trainable(m), true) => m.f_set_train(),
				(Module::Trainable(m), false) => m.f_set_eval(),
				(Module::Frozen(m), _) => m.f_set_eval(),
			};
			if let Err(e) = switched {
				return Err(format!(
					"the TorchScript model cannot switch modes: {}",
					first_line(&e)
				));
			}
			*mode = Some(train);
		}
		let (module, _) = &*guard;
		let out = match module {
			Module::Trainable(m) => m.forward_ts(&[xs]),
			Module::Frozen(m) => tch::no_grad(|| m.forward_ts(&[xs])),
		};
		let out = out
			.and_then(|out| out.f_to_kind(Kind::Float))
			.map_err(|e| format!("the TorchScript model failed: {}", first_line(&e)))?;
		Ok(out)
	}

	/// Saves the module as it is now (trained parameters included) as TorchScript, loadable
	/// again by `--model` or by PyTorch's `torch.jit.load`.
	/// It is saved in eval mode, as PyTorch users expect of a loaded model; module buffers
	/// (batch-norm statistics, for one) are saved here only, not in `model.safetensors`.
	pub fn save(&self, path: &Path) -> anyhow::Result<()> {
		let mut guard = self.module.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		let (module, mode) = &mut *guard;
		*mode = None; // the next call switches to the mode it needs
		match module {
			Module::Trainable(m) => {
				m.f_set_eval()?;
				m.save(path)?
			},
			Module::Frozen(m) => m.save(path)?,
		}
		Ok(())
	}
}

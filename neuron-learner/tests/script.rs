//! Encoders from outside, in the learner: models written in PyTorch and exported as
//! TorchScript by `scripts/export-model.py` (run with the PyTorch environment that
//! `scripts/setup.sh` installs), loaded with libtorch, held to the contract, trained or frozen.

use neuron_learner::{
	data::Corpus,
	learner::{LearnConfig, Learner, ModelFile},
	model::{Config, SharedReadout},
	script::{self, Contract},
};
use std::{
	path::{Path, PathBuf},
	process::Command,
	time::Duration,
};
use tch::{Device, Kind, Tensor};

/// libtorch has one random generator per process: tests that seed it take turns.
static TORCH_RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

const DIM: i64 = 32;

fn python() -> PathBuf {
	let venv = std::env::var_os("BITTENSOR_TORCH_VENV")
		.map(PathBuf::from)
		.or_else(|| {
			std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/bittensor-torch"))
		})
		.expect("HOME or BITTENSOR_TORCH_VENV");
	venv.join("bin/python")
}

/// Runs `scripts/export-model.py args…` and returns its standard output.
fn export_script(args: &[&str]) -> String {
	let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/export-model.py");
	let out = Command::new(python()).arg(script).args(args).output().unwrap();
	assert!(
		out.status.success(),
		"export-model.py {args:?}:\n{}\n{}",
		String::from_utf8_lossy(&out.stdout),
		String::from_utf8_lossy(&out.stderr)
	);
	String::from_utf8_lossy(&out.stdout).into_owned()
}

fn export(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
	let out = dir.join(format!("{name}.pt"));
	export_script(&[args, &["--threads", "1", "--out", out.to_str().unwrap()]].concat());
	out
}

fn config() -> LearnConfig {
	let mut config = LearnConfig::new(DIM, 8);
	config.model.max_seq = 32;
	config.learning_rate = 3e-3;
	config
}

fn contract() -> Contract {
	Contract {
		dim: DIM,
		seq_len: 32,
		max_batch: 8,
		deadline: Duration::from_secs(10),
		device: Device::Cpu,
		train_batch: Some(8),
	}
}

fn encoder_values(learner: &Learner) -> Vec<(String, Tensor)> {
	let mut vars: Vec<(String, Tensor)> = learner
		.vs
		.variables()
		.into_iter()
		.filter(|(name, _)| name.starts_with("encoder."))
		.map(|(name, t)| (name, t.copy()))
		.collect();
	vars.sort_by(|a, b| a.0.cmp(&b.0));
	vars
}

#[test]
fn the_python_shared_readout_is_the_rust_one() {
	let out = export_script(&["--dim", &DIM.to_string(), "--print-readout"]);
	let readout = SharedReadout::new(&Config::new(DIM), Device::Cpu);
	let eye = Tensor::eye(DIM, (Kind::Float, Device::Cpu));
	let matrix = readout.logits(&eye); // [dim, 256]: the matrix itself
									// Every number the script printed must appear, to f32 precision, in the rows it names.
	let numbers: Vec<f64> = out
		.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e'))
		.filter_map(|w| w.parse::<f64>().ok())
		.filter(|v| v.fract() != 0.0)
		.collect();
	assert!(numbers.len() >= 8, "the script printed too little: {out}");
	let row0: Vec<f64> = (0..4).map(|j| matrix.double_value(&[0, j])).collect();
	let row1: Vec<f64> = (0..4).map(|j| matrix.double_value(&[1, j])).collect();
	for want in row0.iter().chain(&row1) {
		assert!(
			numbers.iter().any(|got| (got - want).abs() <= 1e-6 * want.abs().max(1.0)),
			"Rust's readout value {want} is not among Python's: {out}"
		);
	}
}

#[test]
fn the_builtin_architecture_in_pytorch_has_the_native_encoders_parameters() {
	let dir = tempfile::tempdir().unwrap();
	let model = export(dir.path(), "builtin", &["--arch", "builtin", "--dim", &DIM.to_string()]);
	let checked = script::check(&model, &contract()).unwrap();
	let _rng = TORCH_RNG.lock().unwrap();
	let mut native = config();
	native.model.max_seq = 128; // the export's default
	let native = Learner::new(native);
	assert_eq!(checked.parameters, native.model_info().encoder_parameters);
	let script = Learner::with_model(config(), &ModelFile { path: model, frozen: false }).unwrap();
	assert_eq!(script.model_info().kind, "torchscript");
	assert_eq!(script.model_info().encoder_parameters, checked.parameters);
	// The whole model: the same trainable parameters as the native one.
	assert_eq!(script.parameters(), native.parameters());
}

#[test]
fn a_trained_torchscript_encoder_learns_and_a_frozen_one_stays_as_it_was() {
	let dir = tempfile::tempdir().unwrap();
	let model = export(dir.path(), "conv", &["--arch", "conv", "--dim", &DIM.to_string()]);
	script::check(&model, &contract()).unwrap();
	let _rng = TORCH_RNG.lock().unwrap();
	let mut data = Corpus::new(&Corpus::generated(64 << 10), (0, 1), 7).unwrap();
	let (hx, hy) = data.held_out(8, 32);

	tch::manual_seed(1);
	let mut trained =
		Learner::with_model(config(), &ModelFile { path: model.clone(), frozen: false }).unwrap();
	let start = encoder_values(&trained);
	assert!(!start.is_empty(), "the module's parameters are not in the VarStore");
	let before = trained.evaluate(&hx, &hy);
	for _ in 0..60 {
		let (x, y) = data.batch(8, 32);
		trained.step(&x, &y, &[]);
	}
	let after = trained.evaluate(&hx, &hy);
	assert!(after < before - 1.0, "held-out loss {before:.3} → {after:.3}");
	let moved =
		encoder_values(&trained).iter().zip(&start).filter(|((_, a), (_, b))| !a.equal(b)).count();
	assert_eq!(moved, start.len(), "every parameter of the module trains");
	// A caller's gradient reaches it too.
	let (x, y) = data.batch(2, 16);
	let ones = Tensor::ones([2, 16, DIM], (Kind::Float, Device::Cpu));
	assert!(trained.push_caller_grad(0, 1, x.shallow_clone(), ones));
	assert_eq!(trained.step(&x, &y, &[]).caller_grads, 1);
	// The checkpoint resumes it, and writes it back out as TorchScript that meets the
	// contract and answers as the trained encoder does.
	let ckpt = dir.path().join("ckpt");
	trained.save(&ckpt).unwrap();
	let served = trained.represent(&hx);
	let mut resumed =
		Learner::with_model(config(), &ModelFile { path: model.clone(), frozen: false }).unwrap();
	resumed.load(&ckpt).unwrap();
	assert!(resumed.represent(&hx).allclose(&served, 1e-5, 1e-6, false));
	let exported = ckpt.join("encoder.pt");
	script::check(&exported, &contract()).unwrap();
	let again = Learner::with_model(config(), &ModelFile { path: exported, frozen: true }).unwrap();
	assert!(again.represent(&hx).allclose(&served, 1e-5, 1e-6, false));

	// Frozen: the module stays exactly as loaded while the head around it learns.
	tch::manual_seed(1);
	let mut frozen =
		Learner::with_model(config(), &ModelFile { path: model, frozen: true }).unwrap();
	assert!(encoder_values(&frozen).is_empty(), "a frozen module has nothing to train");
	let answer = frozen.represent(&hx);
	let head = frozen.vs.variables()["head.out.weight"].copy();
	let before = frozen.evaluate(&hx, &hy);
	let (x, _) = data.batch(2, 16);
	let ones = Tensor::ones([2, 16, DIM], (Kind::Float, Device::Cpu));
	frozen.push_caller_grad(0, 1, x, ones);
	for i in 0..40 {
		let (x, y) = data.batch(8, 32);
		let step = frozen.step(&x, &y, &[]);
		if i == 0 {
			assert_eq!(step.caller_grads, 0, "a frozen model discards callers' gradients");
		}
	}
	assert!(frozen.represent(&hx).equal(&answer), "the frozen model's answer changed");
	assert!(!frozen.vs.variables()["head.out.weight"].equal(&head), "the head did not train");
	assert!(frozen.evaluate(&hx, &hy) < before, "the head around a frozen model learned nothing");
	assert!(!frozen.model_info().trains);
}

#[test]
fn a_model_that_fails_on_a_peers_input_leaves_the_thread_able_to_train() {
	// The axon catches a failing model's panic; gradients must still be on afterwards on that
	// thread (libtorch's grad mode is per thread, and the closure form of no_grad would not
	// restore it on unwind), or the next training step on it would fail.
	let dir = tempfile::tempdir().unwrap();
	let model = export(dir.path(), "fails", &["--dim", &DIM.to_string(), "--bad", "forwardfails"]);
	let learner = Learner::with_model(config(), &ModelFile { path: model, frozen: false }).unwrap();
	let inputs = Tensor::zeros([2, 8], (Kind::Int64, Device::Cpu));
	let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
		let _ = learner.represent(&inputs);
	}));
	assert!(failed.is_err(), "the model was meant to fail");
	let x = Tensor::ones([1], (Kind::Float, Device::Cpu)).set_requires_grad(true);
	assert!((&x * 2.0).requires_grad(), "gradients were left switched off");
}

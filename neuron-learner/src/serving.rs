//! What the axon serves: the learner's encoder (and callers' gradients queued for its next
//! step), or, for `--serve-noise`, random tensors of the right shape. The axon has already
//! checked shapes, dtypes, token ranges and finiteness against its schema.

use crate::{
	learner::Learner,
	wire::{to_tch, to_wire_f32},
};
use neuron_client::serve::{axon::Model, tensor::Tensor, view::Member};
use std::{
	panic::{catch_unwind, AssertUnwindSafe},
	sync::{Arc, Mutex},
};

/// The learner behind the axon.
pub struct Served(pub Arc<Mutex<Learner>>);

/// Runs `f`, turning a libtorch error (which tch raises as a panic) into a refusal.
fn guarded<T>(what: &str, f: impl FnOnce() -> Option<T>) -> Result<T, String> {
	match catch_unwind(AssertUnwindSafe(f)) {
		Ok(Some(value)) => Ok(value),
		Ok(None) => Err(format!("{what}: the result could not be read")),
		Err(_) => Err(format!("{what}: libtorch failed")),
	}
}

impl Model for Served {
	fn forward(&self, _: &Member, inputs: Tensor) -> Result<Tensor, String> {
		let tokens = to_tch(&inputs);
		let learner = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		let answer = guarded("forward", || to_wire_f32(&learner.represent(&tokens)))?;
		// A model that overflows on some input must not send (or have recorded as answered)
		// NaN or infinity: the caller would drop it, and its gradient could poison us.
		if !answer.is_finite() {
			return Err("the model's answer has NaN or infinity".into());
		}
		Ok(answer)
	}

	fn backward(&self, caller: &Member, inputs: Tensor, grads: Tensor) -> Result<(), String> {
		let mut learner = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		if learner.push_caller_grad(caller.uid, caller.stake, to_tch(&inputs), to_tch(&grads)) {
			Ok(())
		} else {
			Err("the gradient queue is full of gradients from callers with more stake".into())
		}
	}
}

/// A lazy peer: trains nothing, answers every forward with standard normal noise.
pub struct Noise {
	/// Representation size.
	pub dim: usize,
}

impl Model for Noise {
	fn forward(&self, _: &Member, inputs: Tensor) -> Result<Tensor, String> {
		let shape = [inputs.shape[0] as i64, inputs.shape[1] as i64, self.dim as i64];
		guarded("noise", || {
			to_wire_f32(&tch::Tensor::randn(shape, (tch::Kind::Float, tch::Device::Cpu)))
		})
	}

	fn backward(&self, _: &Member, _: Tensor, _: Tensor) -> Result<(), String> {
		Ok(())
	}

	fn blocking(&self) -> bool {
		false
	}
}

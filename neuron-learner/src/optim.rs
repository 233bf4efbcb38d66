//! Adam whose moments live in a VarStore of their own, so a checkpoint holds the optimiser's
//! state as well as the parameters (libtorch's built-in optimisers do not expose theirs).

use tch::{nn, Tensor};

/// Adam with decoupled weight decay (AdamW).
pub struct Adam {
	/// The moments and the step count, saved with checkpoints.
	pub state: nn::VarStore,
	params: Vec<Tensor>,
	m: Vec<Tensor>,
	v: Vec<Tensor>,
	step: Tensor,
	lr: f64,
	beta1: f64,
	beta2: f64,
	eps: f64,
	weight_decay: f64,
}

impl Adam {
	/// An optimiser for every trainable variable of `vs`.
	pub fn new(vs: &nn::VarStore, lr: f64) -> Self {
		let state = nn::VarStore::new(vs.device());
		let root = state.root();
		// Sorted by name, so moments line up with parameters after a restart.
		let mut named: Vec<(String, Tensor)> =
			vs.variables().into_iter().filter(|(_, t)| t.requires_grad()).collect();
		named.sort_by(|a, b| a.0.cmp(&b.0));
		let mut params = Vec::new();
		let mut m = Vec::new();
		let mut v = Vec::new();
		for (name, p) in named {
			let key = name.replace('.', "_");
			m.push(root.zeros_no_train(&format!("m__{key}"), &p.size()));
			v.push(root.zeros_no_train(&format!("v__{key}"), &p.size()));
			params.push(p);
		}
		let step = root.zeros_no_train("step", &[1]);
		Self {
			state,
			params,
			m,
			v,
			step,
			lr,
			beta1: 0.9,
			beta2: 0.999,
			eps: 1e-8,
			weight_decay: 0.01,
		}
	}

	/// Clears every parameter's gradient.
	pub fn zero_grad(&mut self) {
		for p in &mut self.params {
			let mut g = p.grad();
			if g.defined() {
				let _ = g.zero_();
			}
		}
	}

	/// Scales gradients so their global norm is at most `max_norm` (as PyTorch's
	/// `clip_grad_norm_`: one coefficient) and returns the norm before clipping (0 without
	/// gradients; NaN or infinite when a gradient is).
	pub fn clip_grad_norm(&mut self, max_norm: f64) -> f64 {
		let grads: Vec<Tensor> =
			self.params.iter().map(|p| p.grad()).filter(|g| g.defined()).collect();
		if grads.is_empty() {
			return 0.0;
		}
		let norms: Vec<Tensor> = grads.iter().map(|g| g.norm()).collect();
		let total = Tensor::stack(&norms, 0).norm();
		let coefficient = (max_norm / (&total + 1e-6)).clamp_max(1.0);
		for mut g in grads {
			let _ = g.g_mul_(&coefficient);
		}
		total.double_value(&[])
	}

	/// One AdamW update from the accumulated gradients (the same arithmetic as PyTorch's
	/// single-tensor AdamW).
	pub fn step(&mut self) {
		let _guard = tch::no_grad_guard();
		let _ = self.step.g_add_scalar_(1.0);
		let t = self.step.double_value(&[0]);
		let c1 = 1.0 - self.beta1.powf(t);
		let c2_sqrt = (1.0 - self.beta2.powf(t)).sqrt();
		for ((p, m), v) in self.params.iter_mut().zip(&mut self.m).zip(&mut self.v) {
			let g = p.grad();
			if !g.defined() {
				continue;
			}
			let _ = p.g_mul_scalar_(1.0 - self.lr * self.weight_decay);
			let _ = m.lerp_(&g, 1.0 - self.beta1);
			let _ = v.g_mul_scalar_(self.beta2).addcmul_(&(&g * (1.0 - self.beta2)), &g);
			let denom = v.sqrt().g_div_scalar_(c2_sqrt).g_add_scalar_(self.eps);
			let _ = p.addcdiv_(&(&*m * (-self.lr / c1)), &denom);
		}
	}

	/// Updates taken so far.
	pub fn steps(&self) -> u64 {
		self.step.double_value(&[0]) as u64
	}
}

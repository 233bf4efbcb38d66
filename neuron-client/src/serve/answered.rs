//! The forward answers an axon gave, so that it takes a gradient only for one of them. A
//! caller's gradient says how this neuron's answer should change; one for inputs the neuron
//! never answered that caller is not feedback but steering (or just work), so `/backward` is
//! accepted once per forward answer, within a minute of it.

use super::{
	protocol::{body_hash, names, Hotkey},
	tensor::{self, Tensor},
};
use std::{collections::HashMap, sync::Mutex, time::Duration};

/// How long a forward answer can be followed by its gradient.
pub const GRADIENT_WINDOW: Duration = Duration::from_secs(60);

/// Most answers remembered; beyond it the oldest are forgotten.
pub const REMEMBERED: usize = 4096;

/// What identifies a forward: its caller and the digest of its inputs.
type Key = (Hotkey, [u8; 32]);

/// The ledger of one axon.
#[derive(Default)]
pub struct Answered {
	entries: Mutex<HashMap<Key, u64>>,
}

/// The digest of a tensor as a forward's `inputs`: BLAKE3 of its canonical encoding, so that
/// the same tokens match whatever byte layout a client chose for its body.
pub fn digest(inputs: &Tensor) -> [u8; 32] {
	body_hash(&tensor::encode(&[(names::INPUTS, inputs)]))
}

impl Answered {
	/// Records that `caller` was answered at `now` (nanoseconds) for the inputs with this
	/// [`digest`].
	pub fn record(&self, caller: Hotkey, inputs: [u8; 32], now: u64) {
		let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
		if entries.len() >= REMEMBERED {
			let oldest = now.saturating_sub(GRADIENT_WINDOW.as_nanos() as u64);
			entries.retain(|_, at| *at >= oldest);
			// Still full of recent answers: forget the oldest eighth.
			if entries.len() >= REMEMBERED {
				let mut ages: Vec<u64> = entries.values().copied().collect();
				ages.sort_unstable();
				let cut = ages[REMEMBERED / 8];
				entries.retain(|_, at| *at > cut);
			}
		}
		entries.insert((caller, inputs), now);
	}

	/// Takes the record of a forward answer to `caller` for the inputs with this [`digest`],
	/// if one was given within the window; a second gradient for the same answer finds none.
	pub fn take(&self, caller: Hotkey, inputs: [u8; 32], now: u64) -> bool {
		let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
		match entries.remove(&(caller, inputs)) {
			Some(at) => now.saturating_sub(at) <= GRADIENT_WINDOW.as_nanos() as u64,
			None => false,
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_gradient_is_taken_once_per_answer_within_the_window() {
		let answered = Answered::default();
		let (a, b) = (Hotkey([1; 32]), Hotkey([2; 32]));
		let tokens = digest(&Tensor::i64(vec![1, 2], vec![3, 4]).unwrap());
		let other = digest(&Tensor::i64(vec![1, 2], vec![3, 5]).unwrap());
		answered.record(a, tokens, 1_000);
		assert!(!answered.take(b, tokens, 2_000), "another caller");
		assert!(!answered.take(a, other, 2_000), "other inputs");
		assert!(answered.take(a, tokens, 2_000));
		assert!(!answered.take(a, tokens, 3_000), "only once");
		answered.record(a, tokens, 0);
		assert!(!answered.take(a, tokens, GRADIENT_WINDOW.as_nanos() as u64 + 1), "too late");
	}

	#[test]
	fn the_ledger_stays_bounded() {
		let answered = Answered::default();
		for i in 0..(3 * REMEMBERED) as i64 {
			let tokens = digest(&Tensor::i64(vec![1, 1], vec![i]).unwrap());
			answered.record(Hotkey([9; 32]), tokens, i as u64);
		}
		assert!(answered.entries.lock().unwrap().len() <= REMEMBERED);
		let newest = digest(&Tensor::i64(vec![1, 1], vec![3 * REMEMBERED as i64 - 1]).unwrap());
		assert!(answered.take(Hotkey([9; 32]), newest, 3 * REMEMBERED as u64));
	}
}

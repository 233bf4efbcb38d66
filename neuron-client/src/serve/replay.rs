//! Replay protection: every nonce a caller signs is accepted at most once.
//!
//! Nonces are the caller's clock in nanoseconds and grow with every call, but a caller with
//! several calls in flight (over several connections, or HTTP/2 streams) may have them arrive
//! out of order. So, per caller, the guard remembers the nonces it accepted within a short
//! reorder window below the newest one: a nonce above the newest is accepted; one inside the
//! window is accepted if it was not seen before; anything older is refused. Memory per caller
//! is bounded by [`MAX_TRACKED`]; when full, the oldest tracked nonce becomes the floor.

use super::protocol::Hotkey;
use std::collections::{BTreeSet, HashMap};

/// Most nonces remembered per caller.
pub const MAX_TRACKED: usize = 1024;

#[derive(Default)]
struct Seen {
	/// Nonces at or below this are refused.
	floor: u64,
	/// Accepted nonces above the floor.
	nonces: BTreeSet<u64>,
}

/// Why a nonce was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Replay {
	/// This exact nonce was accepted before.
	Seen,
	/// Older than the reorder window below the caller's newest nonce.
	TooOld {
		/// The newest nonce accepted from this caller.
		newest: u64,
	},
}

/// The nonces accepted from each caller.
pub struct ReplayGuard {
	window: u64,
	callers: HashMap<Hotkey, Seen>,
}

impl ReplayGuard {
	/// A guard accepting nonces up to `window` nanoseconds below a caller's newest.
	pub fn new(window: u64) -> Self {
		Self { window, callers: HashMap::new() }
	}

	/// Accepts `nonce` from `caller` once.
	pub fn accept(&mut self, caller: Hotkey, nonce: u64) -> Result<(), Replay> {
		let seen = self.callers.entry(caller).or_default();
		let newest = seen.nonces.last().copied().unwrap_or(seen.floor);
		if nonce <= seen.floor || nonce < newest.saturating_sub(self.window) {
			return Err(Replay::TooOld { newest });
		}
		if !seen.nonces.insert(nonce) {
			return Err(Replay::Seen);
		}
		let newest = newest.max(nonce);
		let oldest = newest.saturating_sub(self.window);
		while let Some(&first) = seen.nonces.first() {
			if first >= oldest && seen.nonces.len() <= MAX_TRACKED {
				break;
			}
			seen.nonces.pop_first();
			seen.floor = seen.floor.max(first);
		}
		Ok(())
	}

	/// Callers tracked.
	pub fn len(&self) -> usize {
		self.callers.len()
	}

	/// Whether no caller is tracked.
	pub fn is_empty(&self) -> bool {
		self.callers.is_empty()
	}

	/// Forgets callers whose newest nonce is below `oldest` (their nonces fail the time window
	/// anyway), so the map does not grow with every hotkey that ever called.
	pub fn forget_older_than(&mut self, oldest: u64) {
		self.callers.retain(|_, seen| seen.nonces.last().copied().unwrap_or(seen.floor) >= oldest);
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	const A: Hotkey = Hotkey([1; 32]);
	const B: Hotkey = Hotkey([2; 32]);

	#[test]
	fn each_nonce_is_accepted_once_even_out_of_order() {
		let mut g = ReplayGuard::new(100);
		assert_eq!(g.accept(A, 1000), Ok(()));
		assert_eq!(g.accept(A, 990), Ok(()), "reordered within the window");
		assert_eq!(g.accept(A, 990), Err(Replay::Seen));
		assert_eq!(g.accept(A, 1000), Err(Replay::Seen));
		assert_eq!(g.accept(A, 899), Err(Replay::TooOld { newest: 1000 }));
		assert_eq!(g.accept(B, 990), Ok(()), "callers are independent");
		assert_eq!(g.accept(A, 1200), Ok(()));
		// The window moved: 1000 and 990 are now below it, and stay refused.
		assert_eq!(g.accept(A, 1000), Err(Replay::TooOld { newest: 1200 }));
		assert_eq!(g.accept(A, 1150), Ok(()));
	}

	#[test]
	fn memory_per_caller_is_bounded() {
		let mut g = ReplayGuard::new(u64::MAX / 2);
		for n in 1..=(MAX_TRACKED as u64 + 10) {
			g.accept(A, n).unwrap();
		}
		let seen = &g.callers[&A];
		assert_eq!(seen.nonces.len(), MAX_TRACKED);
		assert_eq!(seen.floor, 10);
		assert_eq!(g.accept(A, 5), Err(Replay::TooOld { newest: MAX_TRACKED as u64 + 10 }));
		g.forget_older_than(u64::MAX);
		assert!(g.is_empty());
	}
}

//! How much request-body memory callers may hold. A signed request's body is read before the
//! model runs (its hash is signed, so it must be whole to be checked), and a caller that
//! stops one byte short holds its buffer until the body timeout. So each caller may have only
//! a few bodies in flight, and all callers together only a bounded number of bytes: a hostile
//! hotkey sending hundreds of unfinished bodies holds a few buffers, not hundreds, and the
//! honest callers' requests still fit.

use super::protocol::Hotkey;
use std::{
	collections::HashMap,
	sync::{Arc, Mutex, MutexGuard},
};

/// Why a body was not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
	/// The caller already has its share of requests in flight.
	Caller {
		/// Its share.
		limit: usize,
	},
	/// Every caller's bodies together already hold the axon's budget.
	Total {
		/// The budget in bytes.
		limit: usize,
	},
}

#[derive(Default)]
struct State {
	bytes: usize,
	by_caller: HashMap<Hotkey, usize>,
}

/// The budget of one axon.
pub struct Bodies {
	per_caller: usize,
	total_bytes: usize,
	state: Mutex<State>,
}

/// A reserved place; dropping it gives the place and the bytes back.
pub struct Lease {
	bodies: Arc<Bodies>,
	caller: Hotkey,
	bytes: usize,
}

impl Bodies {
	/// `per_caller` requests in flight per caller, `total_bytes` of bodies across callers.
	pub fn new(per_caller: usize, total_bytes: usize) -> Arc<Self> {
		Arc::new(Self { per_caller: per_caller.max(1), total_bytes, state: Mutex::default() })
	}

	fn lock(&self) -> MutexGuard<'_, State> {
		// Every unlock leaves the counts consistent, so a poisoned lock is still usable.
		self.state.lock().unwrap_or_else(|p| p.into_inner())
	}

	/// Reserves room for a body of up to `bytes` from `caller`, or says why there is none.
	pub fn reserve(self: &Arc<Self>, caller: Hotkey, bytes: usize) -> Result<Lease, Full> {
		let mut state = self.lock();
		let held = state.by_caller.get(&caller).copied().unwrap_or(0);
		if held >= self.per_caller {
			return Err(Full::Caller { limit: self.per_caller });
		}
		if state.bytes.saturating_add(bytes) > self.total_bytes {
			return Err(Full::Total { limit: self.total_bytes });
		}
		state.bytes += bytes;
		*state.by_caller.entry(caller).or_default() += 1;
		Ok(Lease { bodies: self.clone(), caller, bytes })
	}

	/// Requests in flight and bytes reserved now.
	pub fn load(&self) -> (usize, usize) {
		let state = self.lock();
		(state.by_caller.values().sum(), state.bytes)
	}
}

impl Drop for Lease {
	fn drop(&mut self) {
		let mut state = self.bodies.lock();
		state.bytes = state.bytes.saturating_sub(self.bytes);
		if let Some(held) = state.by_caller.get_mut(&self.caller) {
			*held = held.saturating_sub(1);
			if *held == 0 {
				state.by_caller.remove(&self.caller);
			}
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn each_caller_gets_its_share_and_all_together_the_budget() {
		let bodies = Bodies::new(2, 100);
		let (a, b, c) = (Hotkey([1; 32]), Hotkey([2; 32]), Hotkey([3; 32]));
		let first = bodies.reserve(a, 30).unwrap();
		let _second = bodies.reserve(a, 30).unwrap();
		assert_eq!(bodies.reserve(a, 1).err(), Some(Full::Caller { limit: 2 }));
		let _other = bodies.reserve(b, 30).unwrap();
		assert_eq!(bodies.reserve(c, 11).err(), Some(Full::Total { limit: 100 }));
		assert_eq!(bodies.load(), (3, 90));
		drop(first);
		assert!(bodies.reserve(a, 10).is_ok());
		assert_eq!(bodies.load(), (2, 60));
	}
}

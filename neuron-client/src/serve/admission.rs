//! Admission to the model: a fixed number of calls run at once, a bounded queue waits, and when
//! the queue is full the lowest-stake waiter is shed for a higher-stake newcomer. Under load
//! the callers with the most stake (the ones whose weights decide this neuron's emission) are
//! served first, and nobody can grow the queue without bound.

use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::oneshot;

/// The right to run one call; handing it back (dropping it) admits the best waiter.
pub struct Permit {
	admission: Option<Arc<Admission>>,
}

/// Why a call was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shed {
	/// The queue was full of callers with at least this caller's stake.
	QueueFull,
	/// It waited, then a higher-stake caller took its place.
	Displaced,
}

struct Waiter {
	stake: u128,
	seq: u64,
	tx: oneshot::Sender<Result<Permit, Shed>>,
}

#[derive(Default)]
struct State {
	running: usize,
	waiting: Vec<Waiter>,
	seq: u64,
}

/// The admission controller of one axon.
pub struct Admission {
	workers: usize,
	queue: usize,
	state: Mutex<State>,
}

impl Admission {
	/// `workers` calls at once, `queue` more waiting.
	pub fn new(workers: usize, queue: usize) -> Arc<Self> {
		Arc::new(Self { workers: workers.max(1), queue, state: Mutex::default() })
	}

	fn lock(&self) -> MutexGuard<'_, State> {
		// The state stays consistent at every unlock, so a poisoned lock is still usable.
		self.state.lock().unwrap_or_else(|p| p.into_inner())
	}

	/// Calls running and waiting now.
	pub fn load(&self) -> (usize, usize) {
		let s = self.lock();
		(s.running, s.waiting.len())
	}

	/// Waits for a turn for a caller with `stake`. Dropping the future gives up the place.
	pub async fn admit(self: &Arc<Self>, stake: u128) -> Result<Permit, Shed> {
		let rx = {
			let mut s = self.lock();
			if s.running < self.workers {
				s.running += 1;
				return Ok(Permit { admission: Some(self.clone()) });
			}
			if s.waiting.len() >= self.queue {
				// Callers that gave up hold no place.
				s.waiting.retain(|w| !w.tx.is_closed());
			}
			if s.waiting.len() >= self.queue {
				// Shed the lowest stake (the newest among equals) if the newcomer outranks it.
				let lowest = s
					.waiting
					.iter()
					.enumerate()
					.min_by(|(_, a), (_, b)| a.stake.cmp(&b.stake).then(b.seq.cmp(&a.seq)))
					.map(|(i, w)| (i, w.stake));
				match lowest {
					Some((i, lowest)) if lowest < stake => {
						let shed = s.waiting.swap_remove(i);
						let _ = shed.tx.send(Err(Shed::Displaced));
					},
					_ => return Err(Shed::QueueFull),
				}
			}
			let (tx, rx) = oneshot::channel();
			s.seq += 1;
			let seq = s.seq;
			s.waiting.push(Waiter { stake, seq, tx });
			rx
		};
		// The sender is only dropped after sending; a closed channel means shed.
		rx.await.unwrap_or(Err(Shed::Displaced))
	}

	/// Passes a finished call's slot to the highest-stake waiter still waiting (the oldest among
	/// equals), or frees it.
	fn release(self: &Arc<Self>) {
		let mut s = self.lock();
		loop {
			let best = s
				.waiting
				.iter()
				.enumerate()
				.max_by(|(_, a), (_, b)| a.stake.cmp(&b.stake).then(b.seq.cmp(&a.seq)))
				.map(|(i, _)| i);
			let Some(i) = best else {
				s.running = s.running.saturating_sub(1);
				return;
			};
			let waiter = s.waiting.swap_remove(i);
			match waiter.tx.send(Ok(Permit { admission: Some(self.clone()) })) {
				Ok(()) => return,
				// It gave up waiting: take the permit back without releasing (we hold the lock)
				// and try the next one.
				Err(Ok(mut permit)) => permit.admission = None,
				Err(Err(_)) => {},
			}
		}
	}
}

impl Drop for Permit {
	fn drop(&mut self) {
		if let Some(admission) = self.admission.take() {
			admission.release();
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::time::Duration;

	#[tokio::test]
	async fn higher_stake_waiters_go_first_and_the_lowest_are_shed() {
		let a = Admission::new(1, 2);
		let running = a.admit(0).await.unwrap();
		let low = tokio::spawn({
			let a = a.clone();
			async move { a.admit(1).await.map(|_| ()) }
		});
		tokio::time::sleep(Duration::from_millis(20)).await;
		let mid = tokio::spawn({
			let a = a.clone();
			async move { a.admit(5).await.map(|_| ()) }
		});
		tokio::time::sleep(Duration::from_millis(20)).await;
		// Queue full (1 and 5 wait): 9 displaces 1; 0 finds it full of higher stakes.
		let high = tokio::spawn({
			let a = a.clone();
			async move { a.admit(9).await.map(drop) }
		});
		tokio::time::sleep(Duration::from_millis(20)).await;
		assert_eq!(a.admit(0).await.err(), Some(Shed::QueueFull));
		assert_eq!(low.await.unwrap(), Err(Shed::Displaced));
		assert_eq!(a.load(), (1, 2));
		drop(running);
		// 9 runs first (and finishes at once), then 5.
		high.await.unwrap().unwrap();
		mid.await.unwrap().unwrap();
		assert_eq!(a.load(), (0, 0));
	}

	#[tokio::test]
	async fn a_waiter_that_gives_up_frees_its_place() {
		let a = Admission::new(1, 1);
		let running = a.admit(0).await.unwrap();
		let gave_up = tokio::time::timeout(Duration::from_millis(20), a.admit(3)).await;
		assert!(gave_up.is_err());
		drop(running);
		assert_eq!(a.load(), (0, 0));
		let _again = a.admit(1).await.unwrap();
		assert_eq!(a.load(), (1, 0));
	}
}

//! How many refusals each source address is worth.
//!
//! Every refusal the axon sends is signed (a caller must be able to tell the axon's answer
//! from a forgery), and a signature, like reading and verifying a call, costs the axon CPU that
//! its model needs. A flood of calls that are all refused (no stake, a gradient for nothing the
//! axon answered, too many in flight) would turn that into a way to slow a learner down. So
//! each source address (an IPv4 address or an IPv6 /64, as connections are counted) gets a
//! budget of refusals: a token bucket of `burst` refusals, refilled at `per_second`. A source
//! whose budget is spent gets `429 throttled` at once, unsigned, before any header is checked,
//! until the bucket refills. Honest peers are refused rarely and never come near it.
//!
//! A `throttled` answer is cheap but not free: accepting the connection, parsing the request
//! and closing it cost the axon about 0.2 ms of its core, so a source flooding at thousands of
//! calls a second would still slow the model. Throttled answers therefore have a second bucket
//! of the same size and rate; a source that has spent it too has its connections closed as
//! soon as they are accepted, unanswered, until that bucket refills (a throttled answer per
//! refill: the flooder still learns why).

use std::{
	collections::HashMap,
	net::IpAddr,
	sync::Mutex,
	time::{Duration, Instant},
};

/// Sources remembered before the ones whose budget is full again are forgotten.
const PRUNE_AT: usize = 4096;

/// How deep in debt (in bursts) a source's `throttled` answers may run.
const THROTTLED_DEBT: f64 = 4.0;

struct Bucket {
	tokens: f64,
	at: Instant,
}

/// Refusal budgets per source address.
pub struct RefusalBudget {
	/// False when the rate is infinite: every source may be refused without limit.
	enabled: bool,
	per_second: f64,
	burst: f64,
	/// Refusals (signed, after the checks).
	buckets: Mutex<HashMap<IpAddr, Bucket>>,
	/// `throttled` answers, once the refusals are spent.
	throttled: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RefusalBudget {
	/// `burst` refusals at once per source, refilled at `per_second` (infinite: no budget).
	pub fn new(per_second: f64, burst: f64) -> Self {
		Self {
			enabled: per_second.is_finite(),
			per_second: per_second.max(0.0),
			burst: burst.max(1.0),
			buckets: Default::default(),
			throttled: Default::default(),
		}
	}

	fn refill(&self, bucket: &mut Bucket, now: Instant) {
		let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
		bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
		bucket.at = now;
	}

	/// Whether `source` may still be answered in full: it has a refusal left.
	pub fn allows(&self, source: IpAddr, now: Instant) -> bool {
		self.has_left(&self.buckets, source, now)
	}

	/// Spends one refusal of `source`'s budget.
	pub fn spend(&self, source: IpAddr, now: Instant) {
		self.take_one(&self.buckets, source, now, -1.0);
	}

	/// Whether a connection from `source` may be served at all, asked as it is accepted: it
	/// has a `throttled` answer left (or has never been throttled).
	pub fn admits(&self, source: IpAddr, now: Instant) -> bool {
		self.has_left(&self.throttled, source, now)
	}

	/// Spends one of `source`'s `throttled` answers. Unlike refusals, these may run into debt
	/// (down to `THROTTLED_DEBT` bursts): a flooder's waiting connections are accepted together
	/// when a token comes back, and each of their answers is paid for before it is admitted
	/// again, so on average it gets no more than the refill rate.
	pub fn spend_throttled(&self, source: IpAddr, now: Instant) {
		self.take_one(&self.throttled, source, now, -THROTTLED_DEBT * self.burst);
	}

	fn has_left(
		&self,
		table: &Mutex<HashMap<IpAddr, Bucket>>,
		source: IpAddr,
		now: Instant,
	) -> bool {
		if !self.enabled {
			return true;
		}
		let mut buckets = table.lock().unwrap_or_else(|p| p.into_inner());
		match buckets.get_mut(&source) {
			None => true,
			Some(bucket) => {
				self.refill(bucket, now);
				bucket.tokens >= 1.0
			},
		}
	}

	fn take_one(
		&self,
		table: &Mutex<HashMap<IpAddr, Bucket>>,
		source: IpAddr,
		now: Instant,
		floor: f64,
	) {
		if !self.enabled {
			return;
		}
		let mut buckets = table.lock().unwrap_or_else(|p| p.into_inner());
		if buckets.len() >= PRUNE_AT && !buckets.contains_key(&source) {
			// A source whose bucket is full again is as good as new: forget it.
			let full = Duration::from_secs_f64(self.burst / self.per_second.max(1e-9));
			buckets.retain(|_, b| now.saturating_duration_since(b.at) < full);
			if buckets.len() >= PRUNE_AT {
				// Thousands of sources all refused within one refill time: start over rather
				// than grow (each still gets at most one burst per refill time).
				buckets.clear();
			}
		}
		let bucket = buckets.entry(source).or_insert(Bucket { tokens: self.burst, at: now });
		self.refill(bucket, now);
		bucket.tokens = (bucket.tokens - 1.0).max(floor);
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_source_gets_its_burst_then_its_rate() {
		let budget = RefusalBudget::new(10.0, 3.0);
		let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
		let start = Instant::now();
		for _ in 0..3 {
			assert!(budget.allows(a, start));
			budget.spend(a, start);
		}
		assert!(!budget.allows(a, start), "the burst is spent");
		assert!(budget.allows(b, start), "another source has its own budget");
		assert!(!budget.allows(a, start + Duration::from_millis(50)));
		assert!(budget.allows(a, start + Duration::from_millis(100)), "one refill per 100 ms");
	}

	#[test]
	fn a_source_that_floods_while_throttled_is_not_admitted() {
		let budget = RefusalBudget::new(10.0, 2.0);
		let a: IpAddr = "192.0.2.1".parse().unwrap();
		let start = Instant::now();
		budget.spend(a, start);
		budget.spend(a, start);
		assert!(!budget.allows(a, start), "throttled");
		assert!(budget.admits(a, start), "throttled answers left");
		budget.spend_throttled(a, start);
		budget.spend_throttled(a, start);
		assert!(!budget.admits(a, start), "both throttled answers are spent");
		assert!(budget.admits("192.0.2.2".parse().unwrap(), start));
		assert!(budget.admits(a, start + Duration::from_millis(100)), "one refill per 100 ms");
		// Answers sent on connections accepted together run into debt, paid back before the
		// source is admitted again.
		for _ in 0..20 {
			budget.spend_throttled(a, start);
		}
		assert!(!budget.admits(a, start + Duration::from_millis(500)));
		assert!(budget.admits(a, start + Duration::from_millis(1000)), "8 in debt, 10 refilled");
		let unlimited = RefusalBudget::new(f64::INFINITY, 1.0);
		for _ in 0..10 {
			unlimited.spend_throttled(a, start);
		}
		assert!(unlimited.admits(a, start), "no budget: every connection is served");
	}

	#[test]
	fn memory_stays_bounded_under_many_sources() {
		let budget = RefusalBudget::new(1.0, 2.0);
		let now = Instant::now();
		for i in 0..20_000u32 {
			budget.spend(IpAddr::from(i.to_be_bytes()), now);
		}
		assert!(budget.buckets.lock().unwrap().len() <= PRUNE_AT);
	}
}

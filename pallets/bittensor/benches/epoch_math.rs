//! The epoch's pure mathematics at chain scale: n neurons × 256 weights each, with a full set
//! of bonds from the previous epoch and a moving average, so every step does real work.
//!
//! Both mechanisms. Targets, natively: `Paper` 4096 × 256 under 100 ms, `Clipped` under
//! 60 ms. `cargo bench -p pallet-bittensor --bench epoch_math`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use pallet_bittensor::math::{
	epoch::{run_epoch, EpochInput, EpochParams, Mechanism},
	fixed::ONE,
};
use std::hint::black_box;

/// The epoch's input over owned rows.
type OwnedInput<'a> = EpochInput<'a, Vec<(u16, u16)>, Vec<(u16, u64)>>;

/// A deterministic market: every neuron staked and weighting 256 distinct peers.
pub struct Market {
	stake: Vec<u128>,
	weights: Vec<Vec<(u16, u16)>>,
	bonds: Vec<Vec<(u16, u64)>>,
	last_update: Vec<u64>,
	registered_at: Vec<u64>,
	params: EpochParams,
}

fn market(n: usize, per_row: usize, mechanism: Mechanism) -> Market {
	let mut state = 0x2545_f491_4f6c_dd1du64;
	let mut next = move || {
		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		state
	};
	let stake = (0..n).map(|_| (next() % 1_000_000_000_000) as u128 + 1).collect();
	let weights = (0..n)
		.map(|_| {
			let start = next() as usize % n;
			let stride = 1 + (next() as usize % 7);
			let mut row: Vec<(u16, u16)> = (0..per_row.min(n))
				.map(|k| (((start + k * stride) % n) as u16, (next() % 65_535) as u16 + 1))
				.collect();
			row.sort_unstable_by_key(|&(uid, _)| uid);
			row.dedup_by_key(|&mut (uid, _)| uid);
			row
		})
		.collect();
	let mut market = Market {
		stake,
		weights,
		bonds: vec![Vec::new(); n],
		last_update: vec![100; n],
		registered_at: vec![1; n],
		params: EpochParams {
			block: 101,
			activity_cutoff: 1_000,
			last_epoch_block: 50,
			rho: 10 * ONE,
			kappa: ONE / 2,
			bonds_moving_average: 9 * ONE / 10,
			emission: 1_000_000_000_000,
			max_bonds_per_row: 256,
			mechanism,
		},
	};
	// One epoch first, so the measured one merges stored bonds too.
	market.bonds = run_epoch(&market.params, &market.input()).bonds;
	market
}

impl Market {
	fn input(&self) -> OwnedInput<'_> {
		EpochInput {
			stake: &self.stake,
			weights: &self.weights,
			bonds: &self.bonds,
			last_update: &self.last_update,
			registered_at: &self.registered_at,
		}
	}
}

fn epoch(c: &mut Criterion) {
	for (mechanism, name) in [(Mechanism::Paper, "epoch"), (Mechanism::Clipped, "epoch_clipped")] {
		let mut group = c.benchmark_group(name);
		group.sample_size(20);
		for n in [256usize, 1024, 4096] {
			let market = market(n, 256, mechanism);
			group.bench_with_input(BenchmarkId::new("neurons_x256_weights", n), &market, |b, m| {
				b.iter(|| run_epoch(black_box(&m.params), black_box(&m.input())))
			});
		}
		group.finish();
	}
}

criterion_group!(benches, epoch);
criterion_main!(benches);

//! What a weight copier earns against the validator it copies, on the chain's own epoch
//! functions, with commit-reveal off and on (the copier experiment of `simulation`).

use pallet_bittensor::{
	simulation::{run_copier, CopierConfig, QualityPattern},
	Mechanism,
};

fn ratio(mechanism: Mechanism, period: u16, config: &CopierConfig) -> f64 {
	let config = CopierConfig { mechanism, commit_reveal_period: period, ..config.clone() };
	run_copier(&config).expect("valid configuration").ratio()
}

#[test]
fn without_commit_reveal_a_copier_earns_what_the_validator_it_copies_earns() {
	for mechanism in [Mechanism::Paper, Mechanism::Clipped] {
		for pattern in [QualityPattern::Step, QualityPattern::Wave] {
			let config = CopierConfig { pattern, ..CopierConfig::default() };
			let r = ratio(mechanism, 0, &config);
			assert!((r - 1.0).abs() < 1e-9, "{mechanism:?} {pattern:?}: {r}");
		}
	}
}

#[test]
fn with_clipping_commit_reveal_costs_the_copier_more_the_longer_the_period() {
	let config = CopierConfig::default();
	let (p1, p2) = (ratio(Mechanism::Clipped, 1, &config), ratio(Mechanism::Clipped, 2, &config));
	assert!(p1 < 0.9, "period 1: {p1}");
	// The goal: at least 25% less than the honest validator.
	assert!(p2 <= 0.75, "period 2: {p2}");
	assert!(p2 < p1, "{p2} !< {p1}");
	// In a market whose best server changes every epoch, one epoch is enough; every other
	// epoch, nearly.
	let fast = |rotate_every| CopierConfig { rotate_every, ..config.clone() };
	let r1 = ratio(Mechanism::Clipped, 1, &fast(1));
	assert!(r1 <= 0.75, "rotate every epoch: {r1}");
	let r2 = ratio(Mechanism::Clipped, 1, &fast(2));
	assert!(r2 < 0.8, "rotate every 2 epochs: {r2}");
}

#[test]
fn under_the_papers_mechanism_commit_reveal_barely_hurts_a_copier() {
	// Bonds bought with any stale weight still earn: the copier keeps most of the honest
	// validator's dividends however long the period (the finding the README reports).
	let config = CopierConfig::default();
	for period in [1, 2] {
		let r = ratio(Mechanism::Paper, period, &config);
		assert!(r < 1.0 && r > 0.85, "period {period}: {r}");
		assert!(r > ratio(Mechanism::Clipped, period, &config), "period {period}");
	}
}

#[test]
fn bad_configurations_are_named() {
	let bad = [
		(CopierConfig { servers: 1, ..CopierConfig::default() }, "--servers"),
		(CopierConfig { rotate_every: 0, ..CopierConfig::default() }, "--rotate-every"),
		(CopierConfig { noise: 1.0, ..CopierConfig::default() }, "--noise"),
		(CopierConfig { floor: -0.1, ..CopierConfig::default() }, "--floor"),
		(CopierConfig { bonds_moving_average: 1.0, ..CopierConfig::default() }, "--bonds"),
		(CopierConfig { tau: 0.0, ..CopierConfig::default() }, "--tau"),
	];
	for (config, flag) in bad {
		let error = run_copier(&config).expect_err(flag);
		assert!(error.contains(flag), "{flag}: {error}");
	}
}

//! The paper's collusion claim, checked on the chain's own epoch functions.

use pallet_bittensor::simulation::{run_cabal, CabalConfig};

fn shares(cabal: f64, peers: u16) -> Vec<f64> {
	let config = CabalConfig {
		blocks: 20,
		stake_a: 1.0 - cabal,
		stake_b: cabal,
		peers_a: peers,
		peers_b: peers,
		..CabalConfig::default()
	};
	run_cabal(&config).expect("valid configuration")
}

#[test]
fn a_minority_cabal_loses_share_every_epoch() {
	for step in 1..=9 {
		let f = step as f64 * 0.05;
		for peers in [1, 3] {
			let s = shares(f, peers);
			assert_eq!(s.len(), 20);
			assert!(s[0] < f, "f = {f}, peers {peers}: first epoch share {} not below {f}", s[0]);
			for pair in s.windows(2) {
				assert!(pair[1] < pair[0], "f = {f}, peers {peers}: share rose {pair:?}");
			}
		}
	}
}

#[test]
fn a_majority_cabal_gains_and_the_honest_group_loses() {
	for step in 11..=19 {
		let f = step as f64 * 0.05;
		for peers in [1, 3] {
			let s = shares(f, peers);
			assert!(1.0 - s[0] < 1.0 - f, "f = {f}: honest share did not fall");
			for pair in s.windows(2) {
				assert!(1.0 - pair[1] < 1.0 - pair[0], "f = {f}, peers {peers}: honest share rose");
			}
		}
	}
}

#[test]
fn defaults_run_the_papers_hundred_blocks() {
	let s = run_cabal(&CabalConfig::default()).unwrap();
	assert_eq!(s.len(), 100);
	assert!(s[99] < 0.2, "after 100 blocks the cabal still holds {}", s[99]);
}

#[test]
fn bad_configuration_is_named() {
	let bad = CabalConfig { kappa: 1.5, ..CabalConfig::default() };
	assert!(run_cabal(&bad).unwrap_err().contains("--kappa"));
	let bad = CabalConfig { peers_b: 0, ..CabalConfig::default() };
	assert!(run_cabal(&bad).unwrap_err().contains("--peers"));
	let bad = CabalConfig { stake_a: f64::NAN, ..CabalConfig::default() };
	assert!(run_cabal(&bad).unwrap_err().contains("--stake-a"));
}

//! The paper's collusion claim, checked on the chain's own epoch functions.

use pallet_bittensor::{
	simulation::{run_cabal, CabalConfig},
	Mechanism,
};

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

/// docs/MECHANISM.md's setting: 6 honest and 3 cabal neurons, 10% of the stake minted each
/// epoch, bonds moving average 0.9, 30 epochs.
fn market(cabal: f64, mechanism: Mechanism, honest_weight: f64) -> Vec<f64> {
	let config = CabalConfig {
		blocks: 30,
		stake_a: 1.0 - cabal,
		stake_b: cabal,
		peers_a: 6,
		peers_b: 3,
		bonds_moving_average: 0.9,
		mechanism,
		honest_weight,
		..CabalConfig::default()
	};
	run_cabal(&config).expect("valid configuration")
}

#[test]
fn under_clipping_a_minority_cabal_loses_share_every_epoch_after_the_first() {
	for cabal in [0.10, 0.30, 0.45] {
		for honest_weight in [0.0, 0.001, 0.01, 0.05] {
			let s = market(cabal, Mechanism::Clipped, honest_weight);
			for (epoch, pair) in s.windows(2).enumerate() {
				assert!(
					pair[1] < pair[0],
					"cabal {cabal}, honest weight {honest_weight}: share rose after epoch {}: {pair:?}",
					epoch + 1
				);
			}
			assert!(s[29] < cabal, "cabal {cabal}, honest weight {honest_weight}: {s:?}");
		}
	}
}

/// A 55% "cabal" is the majority, and clipping lets a majority win, as the paper says it must.
/// (With honest weight exactly 0 the two groups are disjoint: no three-member group holds half
/// of the stake the others see, every consensus weight is 0, and the epoch pays pro rata to
/// stake, so nobody's share moves. Learning neurons never give exactly 0.)
#[test]
fn under_clipping_a_majority_cabal_still_grows() {
	for honest_weight in [0.001, 0.01, 0.05] {
		let s = market(0.55, Mechanism::Clipped, honest_weight);
		assert!(s[29] > 0.55, "honest weight {honest_weight}: {s:?}");
		for pair in s.windows(2) {
			assert!(pair[1] > pair[0], "honest weight {honest_weight}: {pair:?}");
		}
	}
}

/// The hole consensus clipping closes, kept in sight: under the paper's mechanism, once the
/// honest neurons give the cabal any weight at all, a minority cabal grows.
#[test]
fn under_the_paper_a_minority_cabal_grows_once_honest_rows_give_it_a_little() {
	for cabal in [0.30, 0.45] {
		for honest_weight in [0.001, 0.01, 0.05] {
			let s = market(cabal, Mechanism::Paper, honest_weight);
			assert!(s[29] > cabal, "cabal {cabal}, honest weight {honest_weight}: {s:?}");
		}
	}
	// With exactly zero it loses, as the paper says.
	assert!(market(0.30, Mechanism::Paper, 0.0)[29] < 0.30);
}

/// The float reference of docs/MECHANISM.md, reproduced by the fixed-point epoch: the cabal's
/// share after 1, 10 and 30 epochs under clipping.
#[test]
fn clipping_matches_the_reference_table() {
	let rows = [
		(0.0, 0.30, [0.273, 0.116, 0.017]),
		(0.001, 0.30, [0.273, 0.117, 0.019]),
		(0.01, 0.30, [0.275, 0.128, 0.033]),
		(0.01, 0.45, [0.412, 0.188, 0.043]),
		(0.05, 0.45, [0.422, 0.249, 0.118]),
		(0.01, 0.55, [0.566, 0.771, 0.963]),
	];
	for (honest_weight, cabal, want) in rows {
		let s = market(cabal, Mechanism::Clipped, honest_weight);
		let got = [s[0], s[9], s[29]];
		for (g, w) in got.iter().zip(want) {
			assert!((g - w).abs() < 0.002, "F {honest_weight}, cabal {cabal}: {got:?} vs {want:?}");
		}
	}
}

#[test]
fn clipping_needs_groups_of_two() {
	let bad = CabalConfig { mechanism: Mechanism::Clipped, ..CabalConfig::default() };
	assert!(run_cabal(&bad).unwrap_err().contains("--peers-a and --peers-b"));
	let bad = CabalConfig { honest_weight: 0.5, peers_b: 2, ..CabalConfig::default() };
	assert!(run_cabal(&bad).unwrap_err().contains("--honest-weight"));
}

//! Commit-reveal done by the neurons themselves, against a real dev node: two `neuron run`
//! neurons in a subnet with `commit_reveal_period` 1 commit each epoch and reveal when the
//! window opens; one is killed (SIGKILL) right after a commit and started again, and still
//! reveals what it committed, from the row and salt it saved before sending. Every revealed
//! row on chain equals the saved row it was committed from. An unregistered account's commit
//! is refused at submission and its nonce never moves.

mod common;

use common::{ss58, Env, NeuronProcess};
use neuron_client::{
	chain::{describe_refusal, runtime, Chain},
	wallet::{address, keypair_from_secret},
};
use serde_json::Value;
use std::{
	collections::BTreeMap,
	path::Path,
	time::{Duration, Instant},
};
use subxt::utils::H256;

const NETUID: u16 = 2;

/// `neuron run` in the commit-reveal subnet as Alice's `hotkey`, small and quick.
fn start(env: &Env, hotkey: &str) -> NeuronProcess {
	let port = bittensor_e2e::free_port().unwrap().to_string();
	let netuid = NETUID.to_string();
	let args = ["--netuid", &netuid, "--axon-port", &port, "--dim", "16", "--threads", "1"];
	let quick = ["--sync-secs", "2", "--log-every", "50", "--batch", "4", "--seq-len", "16"];
	NeuronProcess::start(env, "alice", hotkey, &[&args[..], &quick].concat())
}

/// Saved commits: hash → (uids, values).
type Saved = BTreeMap<String, (Vec<u64>, Vec<u64>)>;

/// Every saved commit file of hotkey `ss58` in the env's wallets.
fn saved_commits(wallet_dir: &Path, ss58: &str) -> Saved {
	let dir = wallet_dir.join("alice").join("commits").join(ss58);
	let mut saved = BTreeMap::new();
	for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
		let path = entry.path();
		if path.extension().and_then(|e| e.to_str()) != Some("json") {
			continue;
		}
		let Ok(text) = std::fs::read_to_string(&path) else { continue };
		let Ok(row) = serde_json::from_str::<Value>(&text) else { continue };
		let list = |key: &str| -> Vec<u64> {
			row[key].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect()
		};
		saved.insert(row["hash"].as_str().unwrap().to_lowercase(), (list("uids"), list("values")));
	}
	saved
}

/// The row the pallet stores for `uids` → `values`: scaled so the largest is 65535, zeros
/// left out, sorted by uid.
fn as_stored(uids: &[u64], values: &[u64]) -> Vec<(u64, u64)> {
	let max = values.iter().copied().max().unwrap_or(1).max(1);
	let mut row: Vec<(u64, u64)> = uids
		.iter()
		.zip(values)
		.map(|(&u, &v)| (u, v * 65535 / max))
		.filter(|&(_, v)| v > 0)
		.collect();
	row.sort_unstable();
	row
}

fn row_of(neuron: &Value) -> Vec<(u64, u64)> {
	neuron["weights"]
		.as_array()
		.map(|r| r.iter().map(|e| (e[0].as_u64().unwrap(), e[1].as_u64().unwrap())).collect())
		.unwrap_or_default()
}

fn pending_hashes(neuron: &Value) -> Vec<String> {
	neuron["pending_commits"]
		.as_array()
		.map(|p| p.iter().map(|c| c["hash"].as_str().unwrap().to_lowercase()).collect())
		.unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn neurons_commit_and_reveal_by_themselves_across_a_restart() {
	let env = Env::start().await;
	env.import_alice();
	env.create_subnet(NETUID, &["--tempo", "10", "--commit-reveal-period", "1"]).ok();
	let names = ["first", "second"];
	let hotkeys: Vec<String> =
		names.iter().map(|n| env.register_and_stake(n, NETUID, "100")).collect();

	// A stranger's commit is refused by the pool, with the named reason, before any block.
	let chain = Chain::connect(&env.url()).await.unwrap();
	let stranger = keypair_from_secret("//Alice//stranger").unwrap();
	let stranger_ss58 = ss58("//Alice//stranger");
	let before = env.nonce(&stranger_ss58).await;
	let call = runtime::tx().bittensor().commit_weights(NETUID, H256([7; 32]));
	let nonce = chain.next_nonce(&address(&stranger)).await.unwrap();
	let tx = chain.sign_with_nonce(&call, &stranger, nonce).await.unwrap();
	match tx.submit().await {
		Ok(hash) => panic!("the pool accepted the stranger's commit {hash:?}"),
		Err(error) => {
			let reason = describe_refusal(&chain.metadata, error);
			assert!(reason.contains("Bittensor::NotRegistered"), "{reason}");
		},
	}
	// ...and so is a plain set_weights of a registered hotkey while commit-reveal is on.
	env.set_weights("alice", "first", NETUID, "1", "1").fails_with(&["uses commit-reveal"]);

	let mut neurons: Vec<NeuronProcess> = names.iter().map(|n| start(&env, n)).collect();
	let rpc = env.node.rpc().unwrap();
	let started = Instant::now();
	// Hash → saved row, of every commit either neuron saved.
	let mut saved: [Saved; 2] = Default::default();
	// The commit the first neuron had made when it was killed, once it was.
	let mut killed_with: Option<String> = None;
	let mut restarted = false;
	// Hashes seen pending on chain, and those then revealed with the row checked.
	let mut seen_pending: [Vec<String>; 2] = Default::default();
	let mut revealed: [Vec<String>; 2] = Default::default();
	loop {
		for (i, hotkey) in hotkeys.iter().enumerate() {
			saved[i].extend(saved_commits(&env.wallet_dir(), hotkey));
		}
		// Kill the first neuron the moment it has committed, then start it again.
		if killed_with.is_none() && neurons[0].output().contains("weights committed") {
			let hashes = saved_commits(&env.wallet_dir(), &hotkeys[0]);
			neurons[0].kill();
			let hash = hashes.keys().next().expect("a commit without a saved row").clone();
			eprintln!("killed the first neuron after it committed {hash}");
			killed_with = Some(hash);
		}
		if killed_with.is_some() && !restarted {
			let old = std::mem::replace(&mut neurons[0], start(&env, names[0]));
			drop(old);
			restarted = true;
		}

		let g = bittensor_e2e::metagraph_with_rows(&rpc, NETUID, &Value::Null).await.unwrap();
		let ns = g["neurons"].as_array().unwrap();
		for (i, hotkey) in hotkeys.iter().enumerate() {
			let Some(n) = ns.iter().find(|n| n["hotkey"] == hotkey.as_str()) else { continue };
			let pending = pending_hashes(n);
			for hash in &pending {
				if !seen_pending[i].contains(hash) {
					seen_pending[i].push(hash.clone());
				}
			}
			// A commit seen pending and gone now was revealed (the windows are a whole epoch,
			// far longer than the neurons take to reveal): the row on chain is its row, unless
			// a later reveal replaced it already.
			for hash in seen_pending[i].clone() {
				if pending.contains(&hash) || revealed[i].contains(&hash) {
					continue;
				}
				let (uids, values) = saved[i]
					.get(&hash)
					.unwrap_or_else(|| panic!("neuron {i} revealed {hash} without a saved row"));
				let row = row_of(n);
				let newer_revealed = seen_pending[i]
					.iter()
					.skip_while(|h| **h != hash)
					.skip(1)
					.any(|h| !pending.contains(h));
				if !newer_revealed {
					assert_eq!(
						row,
						as_stored(uids, values),
						"neuron {i}'s row after revealing {hash}"
					);
				}
				revealed[i].push(hash);
			}
		}
		let killed_commit_revealed = killed_with.as_ref().is_some_and(|h| revealed[0].contains(h));
		if killed_commit_revealed && !revealed[1].is_empty() {
			eprintln!(
				"after {:.0} s: first revealed {:?}, second revealed {:?}",
				started.elapsed().as_secs_f64(),
				revealed[0],
				revealed[1]
			);
			break;
		}
		assert!(
			started.elapsed() < Duration::from_secs(420),
			"not revealed within 7 minutes (killed with {killed_with:?}, revealed {revealed:?}):\n{g:#}\nfirst:\n{}\nsecond:\n{}",
			neurons[0].tail(20),
			neurons[1].tail(20)
		);
		tokio::time::sleep(Duration::from_secs(2)).await;
	}
	// The restarted neuron revealed the commit of the one killed, from the saved file, and
	// reported it; a revealed commit's file is gone.
	let restarted_log = neurons[0].output();
	let killed = killed_with.unwrap();
	assert!(
		restarted_log.contains("weights revealed") && restarted_log.contains(&killed),
		"the restarted neuron did not report revealing {killed}:\n{restarted_log}"
	);
	assert!(!saved_commits(&env.wallet_dir(), &hotkeys[0]).contains_key(&killed));
	assert!(neurons[1].output().contains("weights revealed"));
	assert_eq!(env.nonce(&stranger_ss58).await, before, "the stranger's nonce moved");
}

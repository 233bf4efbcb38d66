//! Commit-reveal of weight rows, as a neuron and `neuron weights commit|reveal|pending` do it:
//! the row and a fresh salt go to disk before the commit is sent (so a neuron restarted between
//! commit and reveal still reveals), and each saved commit is revealed once its window opens.

use super::{
	client::{find_event, Chain, Watch},
	errors::ChainError,
	metagraph::{Metagraph, PendingCommit},
	ops::{self, WeightsPreflight},
	runtime, weights,
};
use crate::wallet::commits::{CommitStore, PendingRow};
use anyhow::anyhow;
use std::path::PathBuf;
use subxt::utils::{AccountId32, H256};
use subxt_signer::sr25519::Keypair;

/// The commit hash the pallet checks a reveal against: BLAKE2-256 of the SCALE encoding of
/// `(hotkey, netuid, uids, values, salt, version_key)` (docs/PROTOCOL.md).
pub fn commit_hash(
	hotkey: &AccountId32,
	netuid: u16,
	uids: &[u16],
	values: &[u16],
	salt: &[u8; 32],
	version_key: u64,
) -> [u8; 32] {
	use blake2::{digest::consts::U32, Blake2b, Digest};
	use codec::Encode;
	let encoded = (hotkey.0, netuid, uids, values, salt, version_key).encode();
	Blake2b::<U32>::digest(&encoded).into()
}

/// The subnet's epoch index of `block` (the pallet's `(block + netuid) / tempo`).
pub fn epoch_index(netuid: u16, tempo: u16, block: u64) -> u64 {
	(block + u64::from(netuid)) / u64::from(tempo.max(1))
}

/// The first and last block of epoch `epoch` of the subnet.
pub fn epoch_blocks(netuid: u16, tempo: u16, epoch: u64) -> (u64, u64) {
	let tempo = u64::from(tempo.max(1));
	let first = (epoch * tempo).saturating_sub(u64::from(netuid));
	let last = ((epoch + 1) * tempo).saturating_sub(u64::from(netuid) + 1);
	(first, last)
}

/// Blocks after which a saved commit the chain does not hold is forgotten: longer than a
/// transaction's mortality (subxt signs for 32 blocks by default).
const FORGET_AFTER_BLOCKS: u64 = 64;

/// A commit sent and included.
#[derive(Debug, Clone)]
pub struct Committed {
	/// The committer's uid.
	pub uid: u16,
	/// Where its row and salt are saved.
	pub file: PathBuf,
	/// The commit's hash, `0x…`.
	pub hash: String,
	/// The first and last block of its reveal window.
	pub reveal_from: u64,
	pub reveal_until: u64,
	/// The block holding it.
	pub block_hash: String,
}

/// Checks a row for a commit in `graph`'s subnet now: the row rules, commit-reveal on, and no
/// commit of this hotkey in the current epoch yet.
pub fn commit_preflight(
	graph: &Metagraph,
	hotkey: &AccountId32,
	best_block: u64,
	version_key: Option<u64>,
	max_weights_per_neuron: u32,
	token: &crate::amount::Token,
) -> Result<WeightsPreflight, ChainError> {
	let preflight = ops::row_preflight(graph, hotkey, version_key, max_weights_per_neuron, token)?;
	let h = &graph.hyperparameters;
	if h.commit_reveal_period == 0 {
		return Err(ChainError::CommitRevealOff { netuid: graph.netuid });
	}
	// The transaction lands in the next block at the earliest.
	let epoch = epoch_index(graph.netuid, h.tempo, best_block + 1);
	let me = graph.neurons.iter().find(|n| n.uid == preflight.uid);
	if me.is_some_and(|n| n.pending_commits.iter().any(|c| c.epoch == epoch)) {
		return Err(ChainError::AlreadyCommitted {
			uid: preflight.uid,
			netuid: graph.netuid,
			epoch,
			next: epoch + 1,
			from: epoch_blocks(graph.netuid, h.tempo, epoch + 1).0,
		});
	}
	Ok(preflight)
}

/// Commits to the row `uids` → `values` (any non-negative scale): checked against the rules,
/// saved with a fresh salt in `store`, then sent. A commit the node refuses is forgotten
/// again; one that lands stays saved until it is revealed.
pub async fn commit_weights(
	chain: &Chain,
	hotkey: &Keypair,
	store: &CommitStore,
	preflight: &WeightsPreflight,
	uids: &[u16],
	values: &[f64],
	watch: Watch<'_>,
) -> Result<Committed, ChainError> {
	let row = weights::check(uids, values, &preflight.rules)
		.map_err(|e| ChainError::InvalidRow(e.to_string()))?;
	let address = crate::wallet::address(hotkey);
	let mut salt = [0u8; 32];
	getrandom::getrandom(&mut salt).map_err(|e| anyhow!("the system's random source: {e}"))?;
	let hash = commit_hash(&address, preflight.netuid, uids, &row, &salt, preflight.version_key);
	let saved = PendingRow {
		netuid: preflight.netuid,
		hotkey: address.to_string(),
		uids: uids.to_vec(),
		values: row,
		salt: hex::encode(salt),
		version_key: preflight.version_key,
		hash: format!("0x{}", hex::encode(hash)),
		saved_at: chain.best_block().await?,
	};
	// On disk before it is sent: a neuron stopped right after sending still reveals.
	let file = store.save(&saved)?;
	let call = runtime::tx().bittensor().commit_weights(preflight.netuid, H256(hash));
	let included = match chain.submit(&call, hotkey, watch).await {
		Ok(included) => included,
		Err(e) => {
			// A refusal is final; after a lost connection the commit may still land, so its
			// file stays (and is forgotten later if the chain never shows it).
			if matches!(e, ChainError::Pallet(_) | ChainError::Refused(_)) {
				let _ = store.remove(preflight.netuid, &saved.hash);
			}
			return Err(e);
		},
	};
	let event = find_event::<runtime::bittensor::events::WeightsCommitted>(&included)?
		.ok_or_else(|| anyhow!("the commit left no WeightsCommitted event"))?;
	Ok(Committed {
		uid: preflight.uid,
		file,
		hash: saved.hash,
		reveal_from: u64::from(event.reveal_from),
		reveal_until: u64::from(event.reveal_until),
		block_hash: included.block_hash,
	})
}

/// A reveal that landed.
#[derive(Debug, Clone)]
pub struct Revealed {
	/// The commit's hash.
	pub hash: String,
	/// Entries now in the row, and entries left out (uids re-registered since the commit).
	pub count: u32,
	pub dropped: u32,
	/// The block holding it.
	pub block_hash: String,
}

/// What [`reveal_ready`] did with each saved commit.
#[derive(Debug, Default)]
pub struct RevealReport {
	/// Revealed now.
	pub revealed: Vec<Revealed>,
	/// Waiting for their window: hash and its first block.
	pub waiting: Vec<(String, u64)>,
	/// Saved commits the chain no longer holds (revealed or expired) and that were forgotten.
	pub forgotten: Vec<String>,
}

/// Reveals every saved commit of `hotkey` in `graph`'s subnet whose window is open at the
/// next block, and forgets saved commits the chain no longer holds.
pub async fn reveal_ready(
	chain: &Chain,
	hotkey: &Keypair,
	store: &CommitStore,
	graph: &Metagraph,
	best_block: u64,
	watch: Watch<'_>,
) -> Result<RevealReport, ChainError> {
	let netuid = graph.netuid;
	let address = crate::wallet::address(hotkey);
	let ss58 = address.to_string();
	let on_chain: Vec<PendingCommit> = graph
		.neurons
		.iter()
		.find(|n| n.hotkey == ss58)
		.map(|n| n.pending_commits.clone())
		.unwrap_or_default();
	let mut report = RevealReport::default();
	let next = best_block + 1;
	for (_, row) in store.load(netuid)? {
		let Some(commit) = on_chain.iter().find(|c| c.hash.eq_ignore_ascii_case(&row.hash)) else {
			// Not (or no longer) on chain: revealed, expired, or still on its way. A
			// transaction is included within its mortality or never, so the file is kept
			// until that has surely passed.
			if next > row.saved_at + FORGET_AFTER_BLOCKS {
				store.remove(netuid, &row.hash)?;
				report.forgotten.push(row.hash);
			}
			continue;
		};
		if next < commit.reveal_from {
			report.waiting.push((row.hash, commit.reveal_from));
			continue;
		}
		if next > commit.reveal_until {
			store.remove(netuid, &row.hash)?;
			report.forgotten.push(row.hash);
			continue;
		}
		let salt = row.salt_bytes()?;
		let call = runtime::tx().bittensor().reveal_weights(
			netuid,
			row.uids.clone(),
			row.values.clone(),
			salt,
			row.version_key,
		);
		let included = chain.submit(&call, hotkey, watch).await?;
		let event = find_event::<runtime::bittensor::events::WeightsRevealed>(&included)?;
		store.remove(netuid, &row.hash)?;
		report.revealed.push(Revealed {
			hash: row.hash,
			count: event.as_ref().map_or(row.uids.len() as u32, |e| e.count),
			dropped: event.map_or(0, |e| e.dropped),
			block_hash: included.block_hash,
		});
	}
	Ok(report)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn commit_hash_follows_the_documented_encoding() {
		let alice = crate::wallet::address(&crate::wallet::keypair_from_secret("//Alice").unwrap());
		let salt = [1u8; 32];
		// docs/PROTOCOL.md, "Commit-reveal of weights", spelled out byte by byte.
		let mut encoded =
			hex::decode("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")
				.unwrap();
		encoded.extend([0x01, 0x00]); // netuid 1
		encoded.extend([0x08, 0x00, 0x00, 0x01, 0x00]); // uids [0, 1]
		encoded.extend([0x08, 0xff, 0xff, 0x00, 0x80]); // values [65535, 32768]
		encoded.extend(salt);
		encoded.extend([0; 8]); // version key 0
		use blake2::{digest::consts::U32, Blake2b, Digest};
		let expected: [u8; 32] = Blake2b::<U32>::digest(&encoded).into();
		assert_eq!(commit_hash(&alice, 1, &[0, 1], &[65535, 32768], &salt, 0), expected);
		// Any change of the row, salt or version key changes the hash.
		assert_ne!(commit_hash(&alice, 1, &[0, 1], &[65535, 32767], &salt, 0), expected);
		assert_ne!(commit_hash(&alice, 1, &[0, 1], &[65535, 32768], &[2; 32], 0), expected);
		assert_ne!(commit_hash(&alice, 1, &[0, 1], &[65535, 32768], &salt, 1), expected);
	}

	#[test]
	fn epochs_match_the_pallets_formula() {
		// Subnet 3, tempo 10: block b is in epoch (b + 3) / 10.
		assert_eq!(epoch_index(3, 10, 6), 0);
		assert_eq!(epoch_index(3, 10, 7), 1);
		assert_eq!(epoch_blocks(3, 10, 1), (7, 16));
		assert_eq!(epoch_index(3, 10, 16), 1);
		assert_eq!(epoch_index(3, 10, 17), 2);
		assert_eq!(epoch_blocks(3, 10, 0), (0, 6));
	}
}

//! The salts and rows of weight commits waiting for their reveal, on disk.
//!
//! A commit is useless without its row and salt, and a neuron may stop between committing and
//! revealing, so both are written to a file (to a temporary file first, renamed over the final
//! name, mode 0600) before the commit is sent. One file per commit, in
//! `<wallet>/commits/<hotkey ss58>/<netuid>-<hash>.json`.

use anyhow::{anyhow, Context, Result};
use serde::{Deserialize, Serialize};
use std::{
	fs,
	path::{Path, PathBuf},
};

/// What it takes to reveal one commit.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PendingRow {
	/// The subnet.
	pub netuid: u16,
	/// The committing hotkey, SS58.
	pub hotkey: String,
	/// The row's uids.
	pub uids: Vec<u16>,
	/// The row's values, in the chain's `u16` form.
	pub values: Vec<u16>,
	/// The salt, 32 bytes in hex.
	pub salt: String,
	/// The version key committed to.
	pub version_key: u64,
	/// The commit's hash, 32 bytes in hex (`0x…`).
	pub hash: String,
	/// The best block when it was saved, before it was sent.
	#[serde(default)]
	pub saved_at: u64,
}

impl PendingRow {
	/// The salt's 32 bytes.
	pub fn salt_bytes(&self) -> Result<[u8; 32]> {
		let bytes = hex::decode(&self.salt).context("the salt is not hex")?;
		bytes.try_into().map_err(|_| anyhow!("the salt is not 32 bytes"))
	}
}

/// The commits of one hotkey of a wallet.
#[derive(Clone, Debug)]
pub struct CommitStore {
	dir: PathBuf,
}

impl CommitStore {
	/// The store of `hotkey` (SS58) in the wallet at `wallet_path`.
	pub fn new(wallet_path: &Path, hotkey: &str) -> Self {
		Self { dir: wallet_path.join("commits").join(hotkey) }
	}

	/// Writes `row` to its file, atomically; returns the file's path.
	pub fn save(&self, row: &PendingRow) -> Result<PathBuf> {
		fs::create_dir_all(&self.dir)
			.with_context(|| format!("creating {}", self.dir.display()))?;
		super::restrict(&self.dir, 0o700)?;
		let path = self.path_of(row.netuid, &row.hash);
		let staging = path.with_extension("json.tmp");
		let json = serde_json::to_vec_pretty(row)?;
		let _ = fs::remove_file(&staging);
		super::write_secret_file(&staging, &json, false)?;
		fs::rename(&staging, &path).with_context(|| format!("writing {}", path.display()))?;
		Ok(path)
	}

	/// Every saved commit of subnet `netuid`, with its file.
	pub fn load(&self, netuid: u16) -> Result<Vec<(PathBuf, PendingRow)>> {
		let entries = match fs::read_dir(&self.dir) {
			Ok(entries) => entries,
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
			Err(e) => return Err(anyhow!("reading {}: {e}", self.dir.display())),
		};
		let prefix = format!("{netuid}-");
		let mut rows = Vec::new();
		for entry in entries {
			let path = entry?.path();
			let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
			if !(name.starts_with(&prefix) && name.ends_with(".json")) {
				continue;
			}
			let text = fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
			let row: PendingRow = serde_json::from_slice(&text)
				.with_context(|| format!("{} is not a saved commit", path.display()))?;
			rows.push((path, row));
		}
		rows.sort_by(|a, b| a.0.cmp(&b.0));
		Ok(rows)
	}

	/// Forgets a commit that was revealed or expired.
	pub fn remove(&self, netuid: u16, hash: &str) -> Result<()> {
		let path = self.path_of(netuid, hash);
		match fs::remove_file(&path) {
			Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
				Err(anyhow!("removing {}: {e}", path.display()))
			},
			_ => Ok(()),
		}
	}

	fn path_of(&self, netuid: u16, hash: &str) -> PathBuf {
		self.dir.join(format!("{netuid}-{}.json", hash.trim_start_matches("0x")))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn row(netuid: u16, hash: &str) -> PendingRow {
		PendingRow {
			netuid,
			hotkey: "5Hotkey".into(),
			uids: vec![1, 2],
			values: vec![65535, 100],
			salt: "ab".repeat(32),
			version_key: 0,
			hash: hash.into(),
			saved_at: 7,
		}
	}

	#[test]
	fn commits_are_saved_privately_listed_by_subnet_and_removed() {
		let dir = tempfile::tempdir().unwrap();
		let store = CommitStore::new(dir.path(), "5Hotkey");
		assert!(store.load(1).unwrap().is_empty());
		let path = store.save(&row(1, "0x01")).unwrap();
		store.save(&row(2, "0x02")).unwrap();
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt;
			let mode = fs::metadata(&path).unwrap().permissions().mode();
			assert_eq!(mode & 0o777, 0o600);
		}
		let ones = store.load(1).unwrap();
		assert_eq!(ones.len(), 1);
		assert_eq!(ones[0].1, row(1, "0x01"));
		assert_eq!(ones[0].1.salt_bytes().unwrap(), [0xab; 32]);
		// Saving again (a retry) replaces the file; no temporary file is left behind.
		store.save(&row(1, "0x01")).unwrap();
		assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 2);
		store.remove(1, "0x01").unwrap();
		store.remove(1, "0x01").unwrap();
		assert!(store.load(1).unwrap().is_empty());
		assert_eq!(store.load(2).unwrap().len(), 1);
	}
}

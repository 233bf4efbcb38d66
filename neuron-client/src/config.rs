//! Global settings: each comes from its command-line flag, else its `NEURON_*` environment
//! variable (clap reads those), else the config file, else the built-in default.

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The node a fresh install talks to: a local dev chain.
pub const DEFAULT_URL: &str = "ws://127.0.0.1:9944";
/// Wallet and hotkey used when none is named.
pub const DEFAULT_NAME: &str = "default";

/// The config file (TOML); every key is optional.
#[derive(Deserialize, Default, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
	/// Node endpoint.
	pub url: Option<String>,
	/// Wallet directory.
	pub wallet_dir: Option<PathBuf>,
	/// Wallet name.
	pub wallet: Option<String>,
	/// Hotkey name.
	pub hotkey: Option<String>,
	/// Read the coldkey password from standard input.
	pub password_stdin: Option<bool>,
	/// Wait for finality after inclusion.
	pub wait_finalized: Option<bool>,
}

/// `~/.bittensor`.
fn home_dir() -> Result<PathBuf> {
	Ok(dirs::home_dir()
		.context("cannot find the home directory: set --wallet-dir")?
		.join(".bittensor"))
}

/// The default config file, `~/.bittensor/neuron.toml`.
pub fn default_config_path() -> Option<PathBuf> {
	home_dir().ok().map(|d| d.join("neuron.toml"))
}

/// Reads the config file at `path`. A missing file is an error only when it was asked for
/// explicitly.
pub fn load(path: Option<&Path>) -> Result<FileConfig> {
	let (path, explicit) = match path {
		Some(p) => (p.to_path_buf(), true),
		None => match default_config_path() {
			Some(p) => (p, false),
			None => return Ok(FileConfig::default()),
		},
	};
	let text = match std::fs::read_to_string(&path) {
		Ok(text) => text,
		Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
			return Ok(FileConfig::default())
		},
		Err(e) => bail!("cannot read config file {}: {e}", path.display()),
	};
	toml::from_str(&text).with_context(|| format!("config file {} is invalid", path.display()))
}

/// The settings a command runs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
	/// Node endpoint.
	pub url: String,
	/// Where wallets live.
	pub wallet_dir: PathBuf,
	/// Wallet name.
	pub wallet: String,
	/// Hotkey name (or, where a command accepts one, an SS58 address).
	pub hotkey: String,
	/// Read the coldkey password from standard input.
	pub password_stdin: bool,
	/// Wait for finality.
	pub wait_finalized: bool,
}

/// Flag-or-environment values (already merged by clap), to be completed from `file`.
pub struct Given {
	/// `--url` / `NEURON_URL`.
	pub url: Option<String>,
	/// `--wallet-dir` / `NEURON_WALLET_DIR`.
	pub wallet_dir: Option<PathBuf>,
	/// `--wallet` / `NEURON_WALLET`.
	pub wallet: Option<String>,
	/// `--hotkey` / `NEURON_HOTKEY`.
	pub hotkey: Option<String>,
	/// `--password-stdin` / `NEURON_PASSWORD_STDIN`.
	pub password_stdin: bool,
	/// `--wait-finalized` / `NEURON_WAIT_FINALIZED`.
	pub wait_finalized: bool,
}

/// Resolves every setting: flag or environment, then file, then default.
pub fn resolve(given: Given, file: FileConfig) -> Result<Settings> {
	let wallet_dir = match given.wallet_dir.or(file.wallet_dir) {
		Some(dir) => dir,
		None => home_dir()?.join("wallets"),
	};
	Ok(Settings {
		url: given.url.or(file.url).unwrap_or_else(|| DEFAULT_URL.into()),
		wallet_dir,
		wallet: given.wallet.or(file.wallet).unwrap_or_else(|| DEFAULT_NAME.into()),
		hotkey: given.hotkey.or(file.hotkey).unwrap_or_else(|| DEFAULT_NAME.into()),
		password_stdin: given.password_stdin || file.password_stdin.unwrap_or(false),
		wait_finalized: given.wait_finalized || file.wait_finalized.unwrap_or(false),
	})
}

#[cfg(test)]
mod tests {
	use super::*;

	fn nothing_given() -> Given {
		Given {
			url: None,
			wallet_dir: Some("/w".into()),
			wallet: None,
			hotkey: None,
			password_stdin: false,
			wait_finalized: false,
		}
	}

	#[test]
	fn flags_beat_the_file_and_the_file_beats_defaults() {
		let file: FileConfig =
			toml::from_str("url = \"ws://node:9944\"\nwallet = \"miner\"\nwait_finalized = true")
				.unwrap();
		let s = resolve(nothing_given(), file).unwrap();
		assert_eq!(s.url, "ws://node:9944");
		assert_eq!(s.wallet, "miner");
		assert_eq!(s.hotkey, DEFAULT_NAME);
		assert!(s.wait_finalized);
		let given = Given { url: Some("ws://flag:1".into()), ..nothing_given() };
		assert_eq!(resolve(given, FileConfig::default()).unwrap().url, "ws://flag:1");
		assert_eq!(resolve(nothing_given(), FileConfig::default()).unwrap().url, DEFAULT_URL);
	}

	#[test]
	fn unknown_keys_and_missing_explicit_files_are_errors() {
		assert!(toml::from_str::<FileConfig>("wallett = \"x\"").is_err());
		assert!(load(Some(Path::new("/nonexistent/neuron.toml"))).is_err());
	}
}

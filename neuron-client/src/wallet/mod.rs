//! Wallets on disk: `<wallet dir>/<wallet>/coldkey` holds the coldkey's secret sealed with a
//! password; `<wallet dir>/<wallet>/hotkeys/<hotkey>` hold hotkey secrets in the clear (they
//! sign every weight update, so a neuron must load them unattended, as in Bittensor). Files
//! are mode 0600 and folders 0700.

pub mod commits;
mod keystore;

use anyhow::{anyhow, bail, Context, Result};
use keystore::Sealed;
use serde::{Deserialize, Serialize};
use std::{
	fs,
	io::Write,
	path::{Path, PathBuf},
	str::FromStr,
};
use subxt::utils::AccountId32;
use subxt_signer::{bip39::Mnemonic, sr25519::Keypair, SecretUri};
use zeroize::Zeroizing;

/// A coldkey file: its public address in the clear and its secret sealed.
#[derive(Serialize, Deserialize)]
struct ColdkeyFile {
	ss58: String,
	sealed: Sealed,
}

/// A hotkey file: address and secret (a mnemonic or secret URI).
#[derive(Serialize, Deserialize)]
struct HotkeyFile {
	ss58: String,
	secret: String,
}

/// A fresh 12-word BIP39 mnemonic from the operating system's random source.
pub fn new_mnemonic() -> Result<Zeroizing<String>> {
	let mut entropy = Zeroizing::new([0u8; 16]);
	getrandom::getrandom(entropy.as_mut())
		.context("the operating system's random source failed")?;
	let mnemonic = Mnemonic::from_entropy(entropy.as_ref()).map_err(|e| anyhow!("{e}"))?;
	Ok(Zeroizing::new(mnemonic.to_string()))
}

/// The sr25519 keypair of a mnemonic (optionally with `//derivation` and `///password`) or a
/// secret URI such as `//Alice`.
pub fn keypair_from_secret(secret: &str) -> Result<Keypair> {
	let uri = SecretUri::from_str(secret.trim())
		.map_err(|e| anyhow!("not a valid mnemonic or secret URI: {e}"))?;
	Keypair::from_uri(&uri).map_err(|e| anyhow!("not a valid mnemonic or secret URI: {e}"))
}

/// The SS58 address (generic prefix 42) of a keypair.
pub fn address(pair: &Keypair) -> AccountId32 {
	pair.public_key().to_account_id()
}

/// Parses an SS58 address.
pub fn parse_address(text: &str) -> Result<AccountId32> {
	AccountId32::from_str(text.trim()).map_err(|e| anyhow!("`{text}` is not an SS58 address: {e}"))
}

fn check_name(kind: &str, name: &str) -> Result<()> {
	let ok = !name.is_empty()
		&& name.len() <= 64
		&& !name.starts_with('.')
		&& name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
	if !ok {
		bail!("invalid {kind} name `{name}`: use 1-64 letters, digits, `-`, `_` or `.`");
	}
	Ok(())
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> Result<()> {
	use std::os::unix::fs::PermissionsExt;
	fs::set_permissions(path, fs::Permissions::from_mode(mode))
		.with_context(|| format!("setting permissions of {}", path.display()))
}

#[cfg(not(unix))]
fn restrict(_: &Path, _: u32) -> Result<()> {
	Ok(())
}

fn create_dir(path: &Path) -> Result<()> {
	fs::create_dir_all(path).with_context(|| format!("creating {}", path.display()))?;
	restrict(path, 0o700)
}

/// Writes `contents` to a new file readable by its owner only; refuses to replace an existing
/// file unless `overwrite`.
fn write_secret_file(path: &Path, contents: &[u8], overwrite: bool) -> Result<()> {
	let mut options = fs::OpenOptions::new();
	options.write(true);
	if overwrite {
		options.create(true).truncate(true);
	} else {
		options.create_new(true);
	}
	#[cfg(unix)]
	{
		use std::os::unix::fs::OpenOptionsExt;
		options.mode(0o600);
	}
	let mut file = options.open(path).map_err(|e| match e.kind() {
		std::io::ErrorKind::AlreadyExists => {
			anyhow!("{} already exists (pass --overwrite to replace it)", path.display())
		},
		_ => anyhow!("writing {}: {e}", path.display()),
	})?;
	file.write_all(contents).with_context(|| format!("writing {}", path.display()))?;
	restrict(path, 0o600)
}

/// A wallet: a coldkey and its hotkeys, in one folder.
#[derive(Clone, Debug)]
pub struct Wallet {
	/// Its name.
	pub name: String,
	/// Its folder.
	pub path: PathBuf,
}

impl Wallet {
	/// The wallet `name` under `wallet_dir` (which need not exist yet).
	pub fn new(wallet_dir: &Path, name: &str) -> Result<Self> {
		check_name("wallet", name)?;
		Ok(Self { name: name.to_string(), path: wallet_dir.join(name) })
	}

	fn coldkey_path(&self) -> PathBuf {
		self.path.join("coldkey")
	}

	fn hotkey_path(&self, hotkey: &str) -> Result<PathBuf> {
		check_name("hotkey", hotkey)?;
		Ok(self.path.join("hotkeys").join(hotkey))
	}

	/// Whether it has a coldkey.
	pub fn has_coldkey(&self) -> bool {
		self.coldkey_path().exists()
	}

	/// Whether it has hotkey `name`.
	pub fn has_hotkey(&self, name: &str) -> bool {
		self.hotkey_path(name).map(|p| p.exists()).unwrap_or(false)
	}

	/// Fails, naming the wallet and how to create it, unless its folder exists.
	pub fn ensure_exists(&self) -> Result<()> {
		if !self.path.exists() {
			return Err(self.missing());
		}
		Ok(())
	}

	fn missing(&self) -> anyhow::Error {
		anyhow!(
			"wallet `{}` not found in {} (create it with `neuron wallet create --wallet {}`)",
			self.name,
			self.path.parent().map(Path::display).map(|d| d.to_string()).unwrap_or_default(),
			self.name
		)
	}

	/// Stores `secret` as the coldkey, sealed with `password`; returns its address.
	pub fn write_coldkey(
		&self,
		secret: &str,
		password: &str,
		overwrite: bool,
	) -> Result<AccountId32> {
		let pair = keypair_from_secret(secret)?;
		let ss58 = address(&pair);
		let file =
			ColdkeyFile { ss58: ss58.to_string(), sealed: keystore::seal(secret, password)? };
		create_dir(&self.path)?;
		write_secret_file(&self.coldkey_path(), &serde_json::to_vec_pretty(&file)?, overwrite)?;
		Ok(ss58)
	}

	/// Stores `secret` as hotkey `name`; returns its address.
	pub fn write_hotkey(&self, name: &str, secret: &str, overwrite: bool) -> Result<AccountId32> {
		let path = self.hotkey_path(name)?;
		let pair = keypair_from_secret(secret)?;
		let ss58 = address(&pair);
		let file = HotkeyFile { ss58: ss58.to_string(), secret: secret.trim().to_string() };
		create_dir(&self.path)?;
		create_dir(&self.path.join("hotkeys"))?;
		write_secret_file(&path, &serde_json::to_vec_pretty(&file)?, overwrite)?;
		Ok(ss58)
	}

	fn read_coldkey_file(&self) -> Result<ColdkeyFile> {
		let path = self.coldkey_path();
		let text = match fs::read_to_string(&path) {
			Ok(text) => text,
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(self.missing()),
			Err(e) => bail!("reading {}: {e}", path.display()),
		};
		serde_json::from_str(&text)
			.with_context(|| format!("{} is not a coldkey file", path.display()))
	}

	/// The coldkey's address, without the password.
	pub fn coldkey_address(&self) -> Result<AccountId32> {
		parse_address(&self.read_coldkey_file()?.ss58)
	}

	/// Unlocks the coldkey with `password`.
	pub fn unlock_coldkey(&self, password: &str) -> Result<Keypair> {
		let file = self.read_coldkey_file()?;
		let secret = keystore::open(&file.sealed, password)
			.map_err(|e| anyhow!("cannot unlock the coldkey of wallet `{}`: {e}", self.name))?;
		let pair = keypair_from_secret(&secret)?;
		if address(&pair).to_string() != file.ss58 {
			bail!("the coldkey of wallet `{}` does not match its recorded address", self.name);
		}
		Ok(pair)
	}

	/// Re-encrypts the coldkey under `new_password`. The new file is written beside the old
	/// one and renamed over it, so an interruption leaves one of the two intact.
	pub fn change_password(&self, old_password: &str, new_password: &str) -> Result<AccountId32> {
		let file = self.read_coldkey_file()?;
		let secret = keystore::open(&file.sealed, old_password)
			.map_err(|e| anyhow!("cannot unlock the coldkey of wallet `{}`: {e}", self.name))?;
		let resealed =
			ColdkeyFile { ss58: file.ss58.clone(), sealed: keystore::seal(&secret, new_password)? };
		let staging = self.path.join("coldkey.new");
		let _ = fs::remove_file(&staging);
		write_secret_file(&staging, &serde_json::to_vec_pretty(&resealed)?, false)?;
		fs::rename(&staging, self.coldkey_path())
			.with_context(|| format!("replacing {}", self.coldkey_path().display()))?;
		parse_address(&file.ss58)
	}

	/// Loads hotkey `name`.
	pub fn hotkey(&self, name: &str) -> Result<Keypair> {
		let path = self.hotkey_path(name)?;
		let text = match fs::read_to_string(&path) {
			Ok(text) => text,
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
				self.ensure_exists()?;
				bail!(
					"hotkey `{name}` not found in wallet `{}` (create it with `neuron wallet \
					 create --wallet {} --hotkey {name}`)",
					self.name,
					self.name
				)
			},
			Err(e) => bail!("reading {}: {e}", path.display()),
		};
		let file: HotkeyFile = serde_json::from_str(&text)
			.with_context(|| format!("{} is not a hotkey file", path.display()))?;
		keypair_from_secret(&file.secret)
	}

	/// The address of hotkey `name`.
	pub fn hotkey_address(&self, name: &str) -> Result<AccountId32> {
		Ok(address(&self.hotkey(name)?))
	}

	/// Names of its hotkeys, sorted.
	pub fn hotkey_names(&self) -> Result<Vec<String>> {
		let dir = self.path.join("hotkeys");
		let mut names = Vec::new();
		if dir.exists() {
			for entry in fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))? {
				let name = entry?.file_name().to_string_lossy().to_string();
				if check_name("hotkey", &name).is_ok() {
					names.push(name);
				}
			}
		}
		names.sort();
		Ok(names)
	}
}

/// Every wallet under `wallet_dir` (folders holding a coldkey or hotkeys), sorted by name.
pub fn list(wallet_dir: &Path) -> Result<Vec<Wallet>> {
	let mut wallets = Vec::new();
	if !wallet_dir.exists() {
		return Ok(wallets);
	}
	for entry in
		fs::read_dir(wallet_dir).with_context(|| format!("listing {}", wallet_dir.display()))?
	{
		let entry = entry?;
		let name = entry.file_name().to_string_lossy().to_string();
		if !entry.path().is_dir() || check_name("wallet", &name).is_err() {
			continue;
		}
		let wallet = Wallet::new(wallet_dir, &name)?;
		if wallet.has_coldkey() || wallet.path.join("hotkeys").exists() {
			wallets.push(wallet);
		}
	}
	wallets.sort_by(|a, b| a.name.cmp(&b.name));
	Ok(wallets)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn dev_uri_gives_the_dev_account() {
		let alice = keypair_from_secret("//Alice").unwrap();
		assert_eq!(address(&alice).to_string(), "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
	}

	#[test]
	fn mnemonics_are_fresh_and_valid() {
		let (a, b) = (new_mnemonic().unwrap(), new_mnemonic().unwrap());
		assert_ne!(*a, *b);
		assert_eq!(a.split_whitespace().count(), 12);
		keypair_from_secret(&a).unwrap();
		assert!(keypair_from_secret("not a mnemonic at all").is_err());
	}

	#[test]
	fn names_are_checked() {
		let dir = Path::new("/tmp");
		assert!(Wallet::new(dir, "miner-1").is_ok());
		for bad in ["", "../x", "a/b", ".hidden", "with space"] {
			assert!(Wallet::new(dir, bad).is_err(), "{bad}");
		}
	}

	#[cfg(unix)]
	#[test]
	fn hotkeys_are_private_and_never_overwritten_silently() {
		use std::os::unix::fs::PermissionsExt;
		let dir = tempfile::tempdir().unwrap();
		let wallet = Wallet::new(dir.path(), "w").unwrap();
		wallet.write_hotkey("h", "//Bob", false).unwrap();
		let mode = fs::metadata(wallet.hotkey_path("h").unwrap()).unwrap().permissions().mode();
		assert_eq!(mode & 0o777, 0o600);
		assert!(wallet.write_hotkey("h", "//Charlie", false).is_err());
		assert_eq!(
			address(&wallet.hotkey("h").unwrap()),
			address(&keypair_from_secret("//Bob").unwrap())
		);
		assert!(wallet.hotkey("other").unwrap_err().to_string().contains("not found"));
		assert_eq!(wallet.hotkey_names().unwrap(), vec!["h".to_string()]);
	}
}

//! What every command, and the neuron, runs with: the resolved settings (flags, environment,
//! config file), the wallet they select, the node they name, and secrets read once.

use crate::{
	chain::{Chain, Watch},
	config::{self, Settings},
	wallet::Wallet,
};
use anyhow::{bail, Context as _, Result};
use std::io::{BufRead, IsTerminal};
use subxt::utils::AccountId32;
use subxt_signer::sr25519::Keypair;
use zeroize::Zeroizing;

/// What every command runs with: resolved settings and standard input for secrets.
pub struct Context {
	/// Resolved global settings.
	pub settings: Settings,
	/// The coldkey once unlocked, so a long-running command asks for the password once.
	coldkey: std::sync::OnceLock<Keypair>,
}

impl Context {
	/// A context with these settings.
	pub fn new(settings: Settings) -> Self {
		Self { settings, coldkey: std::sync::OnceLock::new() }
	}

	/// The selected wallet (which may not exist yet).
	pub fn wallet(&self) -> Result<Wallet> {
		Wallet::new(&self.settings.wallet_dir, &self.settings.wallet)
	}

	/// The selected wallet, which must exist.
	pub fn existing_wallet(&self) -> Result<Wallet> {
		let wallet = self.wallet()?;
		wallet.ensure_exists()?;
		Ok(wallet)
	}

	/// How a command waits for its transaction: as `--wait-finalized` says, telling `tell`
	/// (a command's spinner) each stage.
	pub fn watch<'a>(&self, tell: &'a (dyn Fn(&str) + Sync)) -> Watch<'a> {
		Watch { finalized: self.settings.wait_finalized, progress: Some(tell) }
	}

	/// Connects to the configured node.
	pub async fn chain(&self) -> Result<Chain> {
		Chain::connect(&self.settings.url).await
	}

	/// One line of secret input: from standard input with --password-stdin (or when it is
	/// not a terminal and `piped_ok`), otherwise a hidden prompt.
	fn secret_line(&self, prompt: &str, piped_ok: bool) -> Result<Zeroizing<String>> {
		let stdin = std::io::stdin();
		if self.settings.password_stdin || (piped_ok && !stdin.is_terminal()) {
			let mut line = Zeroizing::new(String::new());
			stdin.lock().read_line(&mut line).context("reading standard input")?;
			let trimmed = Zeroizing::new(line.trim_end_matches(['\n', '\r']).to_string());
			return Ok(trimmed);
		}
		if !stdin.is_terminal() {
			bail!(
				"the coldkey is encrypted and standard input is not a terminal: pass \
				 --password-stdin and write the password to standard input"
			);
		}
		rpassword::prompt_password(prompt).map(Zeroizing::new).context("reading the password")
	}

	/// The password of an existing coldkey.
	pub fn password(&self) -> Result<Zeroizing<String>> {
		self.secret_line("Coldkey password: ", false)
	}

	/// A password for a new coldkey (asked twice at a terminal).
	pub fn new_password(&self) -> Result<Zeroizing<String>> {
		let password = self.secret_line("New coldkey password: ", false)?;
		if password.is_empty() {
			bail!("the password is empty: the coldkey must be encrypted with a password");
		}
		if !self.settings.password_stdin {
			let again = self.secret_line("Repeat the password: ", false)?;
			if *again != *password {
				bail!("the two passwords differ");
			}
		}
		Ok(password)
	}

	/// A mnemonic or secret URI typed or piped in.
	pub fn secret(&self) -> Result<Zeroizing<String>> {
		let secret = self.secret_line("Mnemonic or secret URI: ", true)?;
		if secret.trim().is_empty() {
			bail!("no mnemonic or secret URI given: pass --mnemonic or --uri, or write it to standard input");
		}
		Ok(secret)
	}

	/// The wallet's coldkey, unlocked.
	pub fn coldkey(&self) -> Result<Keypair> {
		if let Some(key) = self.coldkey.get() {
			return Ok(key.clone());
		}
		let wallet = self.existing_wallet()?;
		// Fail on a missing coldkey before asking for a password.
		wallet.coldkey_address()?;
		let password = self.password()?;
		let key = wallet.unlock_coldkey(&password)?;
		Ok(self.coldkey.get_or_init(|| key).clone())
	}

	/// The wallet's selected hotkey.
	pub fn hotkey(&self) -> Result<Keypair> {
		self.existing_wallet()?.hotkey(&self.settings.hotkey)
	}

	/// The selected hotkey's address: --hotkey as an SS58 address, or a hotkey of the wallet.
	pub fn hotkey_address(&self) -> Result<AccountId32> {
		if let Ok(address) = crate::wallet::parse_address(&self.settings.hotkey) {
			return Ok(address);
		}
		self.existing_wallet()?.hotkey_address(&self.settings.hotkey)
	}
}

/// Resolves the global settings: flags, then environment, then the config file.
pub fn context(global: crate::cli::GlobalArgs) -> Result<Context> {
	let file = config::load(global.config.as_deref())?;
	let settings = config::resolve(
		config::Given {
			url: global.url,
			wallet_dir: global.wallet_dir,
			wallet: global.wallet,
			hotkey: global.hotkey,
			password_stdin: global.password_stdin,
			wait_finalized: global.wait_finalized,
		},
		file,
	)?;
	Ok(Context::new(settings))
}

//! What each command does. Every command checks what it can before sending anything, so
//! that bad input costs no fee and changes nothing.

pub mod axon;
mod balance;
mod bench;
mod explorer;
pub mod metagraph;
pub mod register;
mod stake;
mod subnet;
mod transfer;
mod wallet;
mod weights;

use crate::{
	chain::{runtime, Chain},
	cli::{Cli, Command},
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

/// Runs the parsed command line in `neuron`. A command that learns replaces the process
/// with `neuron-learner` ([`crate::learner`]), so nothing here reaches libtorch.
pub async fn run(cli: Cli) -> Result<()> {
	let ctx = context(cli.global)?;
	match cli.command {
		Command::Wallet(command) => wallet::run(&ctx, command).await,
		Command::Subnet(command) => subnet::run(&ctx, command).await,
		Command::Register { netuid } => register::run(&ctx, netuid).await,
		Command::Axon(command) => axon::run(&ctx, command).await,
		Command::Stake(command) => stake::run(&ctx, command).await,
		Command::Transfer { dest, amount } => transfer::run(&ctx, &dest, &amount).await,
		Command::Balance { json } => balance::run(&ctx, json).await,
		Command::Weights(command) => weights::run(&ctx, command).await,
		Command::Metagraph { netuid, json } => metagraph::run(&ctx, netuid, json).await,
		Command::Explorer { port, bind, epochs } => explorer::run(&ctx, bind, port, epochs).await,
		Command::Run(_) => match crate::learner::exec()? {},
		Command::Bench(command) => bench::run(&ctx, command).await,
	}
}

/// Refuses a transaction `signer` cannot pay for: `needed` plus the fee, keeping the account
/// above the existential deposit.
pub async fn ensure_affordable<C: subxt::tx::Payload>(
	chain: &Chain,
	call: &C,
	signer: &Keypair,
	needed: u128,
	role: &str,
) -> Result<u128> {
	let account = crate::wallet::address(signer);
	let free = chain.free_balance(&account).await?;
	let fee = chain.fee(call, signer).await?;
	let ed = chain.existential_deposit()?;
	let total = needed.saturating_add(fee).saturating_add(ed);
	if free < total {
		let token = &chain.rpc.token;
		bail!(
			"insufficient balance: {role} {account} has {} free but needs {} ({} + {} fee + {} \
			 existential deposit)",
			token.display(free),
			token.display(total),
			token.format(needed),
			token.format(fee),
			token.format(ed)
		);
	}
	Ok(free)
}

/// The uid of `hotkey` in subnet `netuid`, if registered there.
pub async fn uid_of(chain: &Chain, netuid: u16, hotkey: &AccountId32) -> Result<Option<u16>> {
	let at = chain.at_best().await?;
	let value =
		at.storage().try_fetch(runtime::storage().bittensor().uids(), (netuid, *hotkey)).await?;
	Ok(match value {
		Some(v) => Some(v.decode()?),
		None => None,
	})
}

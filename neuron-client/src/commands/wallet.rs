//! `neuron wallet create|regen|list|show`.

use super::Context;
use crate::{
	cli::{KeyKind, WalletCommand},
	output::exact_number,
	wallet::{self, Wallet},
};
use anyhow::{bail, Result};
use serde_json::json;
use zeroize::Zeroizing;

pub async fn run(ctx: &Context, command: WalletCommand) -> Result<()> {
	match command {
		WalletCommand::Create => create(ctx),
		WalletCommand::Regen { mnemonic, uri, key, overwrite } => {
			regen(ctx, mnemonic.or(uri), key, overwrite)
		},
		WalletCommand::ChangePassword => change_password(ctx),
		WalletCommand::List { json } => list(ctx, json),
		WalletCommand::Show { json } => show(ctx, json).await,
	}
}

fn create(ctx: &Context) -> Result<()> {
	let wallet = ctx.wallet()?;
	let hotkey = ctx.settings.hotkey.clone();
	let (need_coldkey, need_hotkey) = (!wallet.has_coldkey(), !wallet.has_hotkey(&hotkey));
	if !need_coldkey && !need_hotkey {
		bail!(
			"wallet `{}` already has a coldkey and a hotkey `{hotkey}`; pass --hotkey NAME to \
			 add another hotkey",
			wallet.name
		);
	}
	if need_coldkey {
		let password = ctx.new_password()?;
		let mnemonic = wallet::new_mnemonic()?;
		let address = wallet.write_coldkey(&mnemonic, &password, false)?;
		println!("coldkey {address} created in wallet `{}`.", wallet.name);
		println!(
			"Coldkey mnemonic (shown only once; write it down, anyone with it owns the funds):"
		);
		println!("  {}", *mnemonic);
	}
	if need_hotkey {
		let mnemonic = wallet::new_mnemonic()?;
		let address = wallet.write_hotkey(&hotkey, &mnemonic, false)?;
		println!("hotkey `{hotkey}` {address} created in wallet `{}`.", wallet.name);
		println!("Hotkey mnemonic (shown only once):");
		println!("  {}", *mnemonic);
	}
	Ok(())
}

fn regen(ctx: &Context, given: Option<String>, key: KeyKind, overwrite: bool) -> Result<()> {
	let wallet = ctx.wallet()?;
	let secret = match given {
		Some(secret) => Zeroizing::new(secret),
		None => ctx.secret()?,
	};
	// Validate the secret before asking for a password.
	let address = wallet::address(&wallet::keypair_from_secret(&secret)?);
	match key {
		KeyKind::Coldkey => {
			if wallet.has_coldkey() && !overwrite {
				bail!(
					"wallet `{}` already has a coldkey (pass --overwrite to replace it)",
					wallet.name
				);
			}
			let password = ctx.new_password()?;
			wallet.write_coldkey(&secret, &password, overwrite)?;
			println!("coldkey {address} restored in wallet `{}`.", wallet.name);
		},
		KeyKind::Hotkey => {
			let name = &ctx.settings.hotkey;
			wallet.write_hotkey(name, &secret, overwrite)?;
			println!("hotkey `{name}` {address} restored in wallet `{}`.", wallet.name);
		},
	}
	Ok(())
}

fn change_password(ctx: &Context) -> Result<()> {
	let wallet = ctx.existing_wallet()?;
	wallet.coldkey_address()?;
	let old = ctx.password()?;
	// Check the current password before asking for a new one.
	wallet.unlock_coldkey(&old)?;
	let new = ctx.new_password()?;
	let address = wallet.change_password(&old, &new)?;
	println!("the coldkey {address} of wallet `{}` has a new password", wallet.name);
	Ok(())
}

fn hotkeys(wallet: &Wallet) -> Result<Vec<(String, String)>> {
	wallet
		.hotkey_names()?
		.into_iter()
		.map(|name| {
			let address = wallet.hotkey_address(&name)?.to_string();
			Ok((name, address))
		})
		.collect()
}

fn list(ctx: &Context, as_json: bool) -> Result<()> {
	let wallets = wallet::list(&ctx.settings.wallet_dir)?;
	if as_json {
		let items: Vec<_> = wallets
			.iter()
			.map(|w| {
				let hotkeys: Vec<_> = hotkeys(w)?
					.into_iter()
					.map(|(name, ss58)| json!({ "name": name, "ss58": ss58 }))
					.collect();
				Ok(json!({
					"wallet": w.name,
					"coldkey": w.coldkey_address().ok().map(|a| a.to_string()),
					"hotkeys": hotkeys,
				}))
			})
			.collect::<Result<_>>()?;
		println!("{}", serde_json::to_string_pretty(&items)?);
		return Ok(());
	}
	if wallets.is_empty() {
		println!(
			"no wallets in {} (create one with `neuron wallet create`)",
			ctx.settings.wallet_dir.display()
		);
	}
	for w in wallets {
		let coldkey = w.coldkey_address().map(|a| a.to_string()).unwrap_or_else(|_| "-".into());
		println!("{}  coldkey {coldkey}", w.name);
		for (name, address) in hotkeys(&w)? {
			println!("  hotkey {name}  {address}");
		}
	}
	Ok(())
}

async fn show(ctx: &Context, as_json: bool) -> Result<()> {
	let wallet = ctx.existing_wallet()?;
	let coldkey = wallet.coldkey_address()?;
	let hotkeys = hotkeys(&wallet)?;
	let chain = ctx.chain().await?;
	let free = chain.free_balance(&coldkey).await?;
	if as_json {
		#[derive(serde::Serialize)]
		struct Shown {
			wallet: String,
			coldkey: String,
			balance: Box<serde_json::value::RawValue>,
			hotkeys: Vec<serde_json::Value>,
		}
		let shown = Shown {
			wallet: wallet.name.clone(),
			coldkey: coldkey.to_string(),
			balance: exact_number(chain.rpc.token.format(free)),
			hotkeys: hotkeys.iter().map(|(n, a)| json!({ "name": n, "ss58": a })).collect(),
		};
		println!("{}", serde_json::to_string_pretty(&shown)?);
		return Ok(());
	}
	println!("wallet   {}", wallet.name);
	println!("coldkey  {coldkey}");
	println!("balance  {}", chain.rpc.token.display(free));
	for (name, address) in hotkeys {
		println!("hotkey   {name}  {address}");
	}
	Ok(())
}

//! Password encryption of a coldkey's secret at rest: Argon2id stretches the password into a
//! key, XChaCha20-Poly1305 encrypts and authenticates the secret (RustCrypto's `argon2` and
//! `chacha20poly1305` crates). A wrong password or a tampered file fails authentication; nothing
//! here is home-made cryptography.

use anyhow::{Context, Result};
use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::{
	aead::{Aead, KeyInit},
	XChaCha20Poly1305, XNonce,
};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// The KDF's cost: 64 MiB of memory and 3 passes, above OWASP's Argon2id minimum (19 MiB, 2
/// passes), about a quarter of a second on a laptop.
pub const DEFAULT_MEMORY_KIB: u32 = 64 * 1024;
/// Argon2id passes.
pub const DEFAULT_PASSES: u32 = 3;

/// An encrypted secret as stored in a coldkey file.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
	/// Always `argon2id`.
	pub kdf: String,
	/// Argon2 memory cost in KiB.
	pub memory_kib: u32,
	/// Argon2 passes.
	pub passes: u32,
	/// Argon2 lanes.
	pub lanes: u32,
	/// Random salt, hex.
	pub salt: String,
	/// Always `xchacha20poly1305`.
	pub cipher: String,
	/// Random 24-byte nonce, hex.
	pub nonce: String,
	/// Ciphertext with its 16-byte tag, hex.
	pub ciphertext: String,
}

fn derive_key(
	password: &str,
	salt: &[u8],
	memory_kib: u32,
	passes: u32,
	lanes: u32,
) -> Result<Zeroizing<[u8; 32]>> {
	let params = Params::new(memory_kib, passes, lanes, Some(32))
		.map_err(|e| anyhow::anyhow!("invalid key derivation parameters: {e}"))?;
	let mut key = Zeroizing::new([0u8; 32]);
	Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
		.hash_password_into(password.as_bytes(), salt, key.as_mut())
		.map_err(|e| anyhow::anyhow!("key derivation failed: {e}"))?;
	Ok(key)
}

fn random<const N: usize>() -> Result<[u8; N]> {
	let mut bytes = [0u8; N];
	getrandom::getrandom(&mut bytes).context("the operating system's random source failed")?;
	Ok(bytes)
}

/// Encrypts `secret` under `password` with the default KDF cost.
pub fn seal(secret: &str, password: &str) -> Result<Sealed> {
	seal_with(secret, password, DEFAULT_MEMORY_KIB, DEFAULT_PASSES)
}

/// Encrypts `secret` under `password` with an explicit Argon2 cost.
pub fn seal_with(secret: &str, password: &str, memory_kib: u32, passes: u32) -> Result<Sealed> {
	let salt = random::<16>()?;
	let nonce = random::<24>()?;
	let key = derive_key(password, &salt, memory_kib, passes, 1)?;
	let cipher = XChaCha20Poly1305::new(key.as_ref().into());
	let ciphertext = cipher
		.encrypt(XNonce::from_slice(&nonce), secret.as_bytes())
		.map_err(|_| anyhow::anyhow!("encryption failed"))?;
	Ok(Sealed {
		kdf: "argon2id".into(),
		memory_kib,
		passes,
		lanes: 1,
		salt: hex::encode(salt),
		cipher: "xchacha20poly1305".into(),
		nonce: hex::encode(nonce),
		ciphertext: hex::encode(ciphertext),
	})
}

/// Why a sealed secret could not be opened.
#[derive(Debug, PartialEq, Eq)]
pub enum OpenError {
	/// The password does not open it (or the file was altered).
	WrongPassword,
	/// The file is not a sealed secret this client understands.
	Malformed(String),
}

impl std::fmt::Display for OpenError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Self::WrongPassword => write!(f, "wrong password (or the coldkey file was altered)"),
			Self::Malformed(why) => write!(f, "the coldkey file is malformed: {why}"),
		}
	}
}

impl std::error::Error for OpenError {}

/// Decrypts a sealed secret.
pub fn open(sealed: &Sealed, password: &str) -> Result<Zeroizing<String>, OpenError> {
	let malformed = |why: &str| OpenError::Malformed(why.to_string());
	if sealed.kdf != "argon2id" || sealed.cipher != "xchacha20poly1305" {
		return Err(malformed("unknown kdf or cipher"));
	}
	let salt = hex::decode(&sealed.salt).map_err(|_| malformed("salt is not hex"))?;
	let nonce = hex::decode(&sealed.nonce).map_err(|_| malformed("nonce is not hex"))?;
	let ciphertext =
		hex::decode(&sealed.ciphertext).map_err(|_| malformed("ciphertext is not hex"))?;
	if nonce.len() != 24 {
		return Err(malformed("nonce is not 24 bytes"));
	}
	// Refuse absurd costs from a tampered file rather than allocate gigabytes.
	if sealed.memory_kib > 4 * 1024 * 1024 || sealed.passes > 64 || sealed.lanes > 64 {
		return Err(malformed("key derivation cost out of range"));
	}
	let key = derive_key(password, &salt, sealed.memory_kib, sealed.passes, sealed.lanes)
		.map_err(|e| OpenError::Malformed(e.to_string()))?;
	let cipher = XChaCha20Poly1305::new(key.as_ref().into());
	let plain = cipher
		.decrypt(XNonce::from_slice(&nonce), ciphertext.as_slice())
		.map_err(|_| OpenError::WrongPassword)?;
	String::from_utf8(plain).map(Zeroizing::new).map_err(|_| malformed("secret is not text"))
}

#[cfg(test)]
mod tests {
	use super::*;

	// Cheap KDF cost for tests; the format stores the cost, so opening uses what sealing chose.
	fn seal_fast(secret: &str, password: &str) -> Sealed {
		seal_with(secret, password, 64, 1).unwrap()
	}

	#[test]
	fn round_trips_and_refuses_a_wrong_password() {
		let sealed = seal_fast("//Alice", "correct horse");
		assert_eq!(open(&sealed, "correct horse").unwrap().as_str(), "//Alice");
		assert_eq!(open(&sealed, "wrong").unwrap_err(), OpenError::WrongPassword);
		assert!(!sealed.ciphertext.contains(&hex::encode("//Alice")));
	}

	#[test]
	fn fresh_salt_and_nonce_every_time() {
		let (a, b) = (seal_fast("secret", "pw"), seal_fast("secret", "pw"));
		assert_ne!(a.salt, b.salt);
		assert_ne!(a.nonce, b.nonce);
		assert_ne!(a.ciphertext, b.ciphertext);
	}

	#[test]
	fn tampering_is_detected() {
		let mut sealed = seal_fast("secret", "pw");
		let mut bytes = hex::decode(&sealed.ciphertext).unwrap();
		bytes[0] ^= 1;
		sealed.ciphertext = hex::encode(bytes);
		assert_eq!(open(&sealed, "pw").unwrap_err(), OpenError::WrongPassword);
		sealed.nonce = "00".into();
		assert!(matches!(open(&sealed, "pw"), Err(OpenError::Malformed(_))));
	}
}

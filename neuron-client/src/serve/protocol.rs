//! The wire protocol between neurons (documented for other implementations in
//! `docs/PROTOCOL.md`).
//!
//! A call is an HTTP `POST /forward` or `POST /backward` whose body is a safetensors file and
//! whose `bt-*` headers say who calls whom, when, and what the body hashes to. The caller's
//! hotkey signs (sr25519, signing context `substrate`) a fixed binary message binding all of
//! them; the callee signs its answer the same way, so each side knows who it talks to and
//! that nothing was changed or replayed on the way.

use std::{
	fmt,
	str::FromStr,
	time::{SystemTime, UNIX_EPOCH},
};

/// The sr25519 signing context (as in Substrate, subxt and polkadot.js).
pub const SIGNING_CONTEXT: &[u8] = b"substrate";
/// Domain tag opening every signed request message.
pub const REQUEST_TAG: &[u8] = b"bittensor-rs/request/v2";
/// Domain tag opening every signed response message.
pub const RESPONSE_TAG: &[u8] = b"bittensor-rs/response/v1";

/// Header: the caller's hotkey, 64 hex digits (the sr25519 public key).
pub const CALLER: &str = "bt-caller";
/// Header: the callee's hotkey, 64 hex digits.
pub const CALLEE: &str = "bt-callee";
/// Header: nanoseconds since the Unix epoch, decimal; each used once per caller (see
/// `docs/PROTOCOL.md`, Nonces).
pub const NONCE: &str = "bt-nonce";
/// Header: 16 random bytes as 32 hex digits, chosen by the caller.
pub const REQUEST_ID: &str = "bt-request-id";
/// Header: nanoseconds since the Unix epoch after which the caller no longer wants an answer.
pub const DEADLINE: &str = "bt-deadline";
/// Header: BLAKE3 of the body, 64 hex digits.
pub const BODY_HASH: &str = "bt-body-hash";
/// Header: sr25519 signature of the signed message, 128 hex digits.
pub const SIGNATURE: &str = "bt-signature";
/// Response header: the machine-readable reason of a refusal.
pub const REASON: &str = "bt-reason";
/// Content type of every tensor body.
pub const CONTENT_TYPE: &str = "application/vnd.safetensors";

/// Tensor names in bodies.
pub mod names {
	/// `forward` request and `backward` request: the token ids or features.
	pub const INPUTS: &str = "inputs";
	/// `forward` response: the callee's representations.
	pub const OUTPUTS: &str = "outputs";
	/// `backward` request: gradient of the caller's loss with respect to `outputs`.
	pub const GRADS: &str = "grads";
}

/// The two endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
	/// `POST /forward`: inputs → representations.
	Forward,
	/// `POST /backward`: inputs + gradients → acknowledgement.
	Backward,
}

impl Endpoint {
	/// The byte that stands for it in signed messages.
	pub fn code(self) -> u8 {
		match self {
			Endpoint::Forward => 1,
			Endpoint::Backward => 2,
		}
	}

	/// Its URL path.
	pub fn path(self) -> &'static str {
		match self {
			Endpoint::Forward => "/forward",
			Endpoint::Backward => "/backward",
		}
	}

	/// Its name in metrics and logs.
	pub fn name(self) -> &'static str {
		match self {
			Endpoint::Forward => "forward",
			Endpoint::Backward => "backward",
		}
	}
}

/// An sr25519 public key (a hotkey) as raw bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hotkey(pub [u8; 32]);

impl fmt::Display for Hotkey {
	fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
		f.write_str(&hex::encode(self.0))
	}
}

impl fmt::Debug for Hotkey {
	fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
		write!(f, "Hotkey({})", &hex::encode(&self.0[..4]))
	}
}

impl FromStr for Hotkey {
	type Err = &'static str;
	fn from_str(s: &str) -> Result<Self, Self::Err> {
		parse_hex(s).map(Hotkey).ok_or("not 64 hex digits")
	}
}

/// Parses exactly `N` bytes written as `2N` hex digits.
pub fn parse_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
	if text.len() != 2 * N {
		return None;
	}
	let mut out = [0u8; N];
	hex::decode_to_slice(text, &mut out).ok()?;
	Some(out)
}

/// Nanoseconds since the Unix epoch.
pub fn now_nanos() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

/// BLAKE3 of a body.
pub fn body_hash(body: &[u8]) -> [u8; 32] {
	*blake3::hash(body).as_bytes()
}

/// The chain and subnet a call belongs to. Both sides put it in the signed request message
/// without sending it: the caller signs the scope it calls in, the axon verifies with the
/// scope it serves, so a request signed for one chain or subnet is refused (`bad_signature`)
/// by the same hotkey's axon in any other, even within the request's nonce window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Scope {
	/// The chain's genesis block hash (zeros for axons and dendrites that run without one, as
	/// `neuron bench serve` does).
	pub genesis: [u8; 32],
	/// The subnet.
	pub netuid: u16,
}

/// Everything a request's signature binds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestHead {
	/// Which endpoint.
	pub endpoint: Endpoint,
	/// Which chain and subnet (not sent: each side knows its own).
	pub scope: Scope,
	/// The caller's hotkey.
	pub caller: Hotkey,
	/// The callee's hotkey.
	pub callee: Hotkey,
	/// Nanoseconds since the epoch, each used once per caller.
	pub nonce: u64,
	/// Chosen by the caller, echoed in the answer.
	pub request_id: [u8; 16],
	/// Nanoseconds since the epoch after which no answer is wanted.
	pub deadline: u64,
	/// BLAKE3 of the body.
	pub body_hash: [u8; 32],
}

impl RequestHead {
	/// The signed message: `REQUEST_TAG ‖ endpoint (1 byte) ‖ genesis hash (32) ‖ netuid (u16
	/// LE) ‖ caller (32) ‖ callee (32) ‖ nonce (u64 LE) ‖ request id (16) ‖ deadline (u64 LE) ‖
	/// body hash (32)`: 186 bytes.
	pub fn message(&self) -> Vec<u8> {
		let mut m = Vec::with_capacity(REQUEST_TAG.len() + 163);
		m.extend_from_slice(REQUEST_TAG);
		m.push(self.endpoint.code());
		m.extend_from_slice(&self.scope.genesis);
		m.extend_from_slice(&self.scope.netuid.to_le_bytes());
		m.extend_from_slice(&self.caller.0);
		m.extend_from_slice(&self.callee.0);
		m.extend_from_slice(&self.nonce.to_le_bytes());
		m.extend_from_slice(&self.request_id);
		m.extend_from_slice(&self.deadline.to_le_bytes());
		m.extend_from_slice(&self.body_hash);
		m
	}
}

/// Everything a response's signature binds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseHead {
	/// The endpoint answered; `None` for a path that is no endpoint (code 0).
	pub endpoint: Option<Endpoint>,
	/// The answering hotkey.
	pub callee: Hotkey,
	/// The caller as the request named it (zeros when the request did not say).
	pub caller: Hotkey,
	/// The request's nonce (0 when it had none).
	pub nonce: u64,
	/// The request's id (zeros when it had none).
	pub request_id: [u8; 16],
	/// The HTTP status.
	pub status: u16,
	/// BLAKE3 of the response body.
	pub body_hash: [u8; 32],
}

impl ResponseHead {
	/// The signed message: `RESPONSE_TAG ‖ endpoint (1; 0 for an unknown path) ‖ callee (32) ‖ caller (32) ‖
	/// nonce (u64 LE) ‖ request id (16) ‖ status (u16 LE) ‖ body hash (32)`.
	pub fn message(&self) -> Vec<u8> {
		let mut m = Vec::with_capacity(RESPONSE_TAG.len() + 123);
		m.extend_from_slice(RESPONSE_TAG);
		m.push(self.endpoint.map_or(0, Endpoint::code));
		m.extend_from_slice(&self.callee.0);
		m.extend_from_slice(&self.caller.0);
		m.extend_from_slice(&self.nonce.to_le_bytes());
		m.extend_from_slice(&self.request_id);
		m.extend_from_slice(&self.status.to_le_bytes());
		m.extend_from_slice(&self.body_hash);
		m
	}
}

/// A hotkey that signs requests or responses.
#[derive(Clone)]
pub struct Signer {
	keypair: subxt_signer::sr25519::Keypair,
	hotkey: Hotkey,
}

impl Signer {
	/// From the wallet's keypair.
	pub fn new(keypair: &subxt_signer::sr25519::Keypair) -> Self {
		Self { keypair: keypair.clone(), hotkey: Hotkey(keypair.public_key().0) }
	}

	/// Its public key.
	pub fn hotkey(&self) -> Hotkey {
		self.hotkey
	}

	/// Signs `message` under [`SIGNING_CONTEXT`] (subxt-signer's context).
	pub fn sign(&self, message: &[u8]) -> [u8; 64] {
		self.keypair.sign(message).0
	}
}

/// Whether `signature` is `hotkey`'s sr25519 signature of `message` under [`SIGNING_CONTEXT`].
pub fn verify(hotkey: &Hotkey, message: &[u8], signature: &[u8; 64]) -> bool {
	let Ok(signature) = schnorrkel::Signature::from_bytes(signature) else { return false };
	let Some(public) = public_key(hotkey) else { return false };
	public.verify_simple(SIGNING_CONTEXT, message, &signature).is_ok()
}

thread_local! {
	/// Decompressed public keys: decompressing costs a field inversion per call, a sizeable
	/// part of a verification. Only valid keys are kept, and the cache is emptied when full.
	static PUBLIC_KEYS: std::cell::RefCell<std::collections::HashMap<Hotkey, schnorrkel::PublicKey>> =
		Default::default();
}

fn public_key(hotkey: &Hotkey) -> Option<schnorrkel::PublicKey> {
	PUBLIC_KEYS.with(|cache| {
		let mut cache = cache.borrow_mut();
		if let Some(key) = cache.get(hotkey) {
			return Some(*key);
		}
		let key = schnorrkel::PublicKey::from_bytes(&hotkey.0).ok()?;
		if cache.len() >= 8192 {
			cache.clear();
		}
		cache.insert(*hotkey, key);
		Some(key)
	})
}

/// Why an axon refused a request: a machine-readable code (the `bt-reason` header) and the
/// HTTP status it comes with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
	/// A required `bt-*` header is absent (the signature included: unsigned calls are refused).
	MissingField,
	/// A `bt-*` header does not parse.
	MalformedField,
	/// No such endpoint.
	UnknownEndpoint,
	/// A known endpoint called with another method than `POST`.
	MethodNotAllowed,
	/// The request is addressed to another hotkey.
	WrongCallee,
	/// The deadline has passed.
	DeadlinePassed,
	/// The nonce is outside the accepted time window (or older than the axon's start).
	StaleNonce,
	/// This caller already used the nonce, or it is below the caller's reorder window (a
	/// replay).
	ReplayedNonce,
	/// The signature does not verify.
	BadSignature,
	/// The caller's hotkey is not registered in the axon's subnet.
	NotRegistered,
	/// The caller's stake is below the axon's minimum.
	InsufficientStake,
	/// The body is larger than the axon accepts.
	BodyTooLarge,
	/// The body did not arrive in time.
	BodyTimeout,
	/// The body's BLAKE3 differs from `bt-body-hash`.
	BodyHashMismatch,
	/// The body is not a safetensors file with the endpoint's tensors.
	MalformedBody,
	/// A tensor of the wrong dtype, rank or shape, or non-finite gradients.
	BadTensor,
	/// The axon is overloaded (or shed this call for higher-stake callers).
	Overloaded,
	/// The model failed on valid input.
	ModelFailed,
	/// A gradient for inputs this axon gave the caller no forward answer for (within the last
	/// minute), or a second gradient for the same answer.
	NotAnswered,
	/// The caller's address has had too many requests refused lately; answered at once,
	/// unsigned, without looking at the request (the one refusal that is not signed).
	Throttled,
}

impl Reason {
	/// Every reason, for metrics.
	pub const ALL: [Reason; 20] = [
		Reason::MissingField,
		Reason::MalformedField,
		Reason::UnknownEndpoint,
		Reason::MethodNotAllowed,
		Reason::WrongCallee,
		Reason::DeadlinePassed,
		Reason::StaleNonce,
		Reason::ReplayedNonce,
		Reason::BadSignature,
		Reason::NotRegistered,
		Reason::InsufficientStake,
		Reason::BodyTooLarge,
		Reason::BodyTimeout,
		Reason::BodyHashMismatch,
		Reason::MalformedBody,
		Reason::BadTensor,
		Reason::Overloaded,
		Reason::ModelFailed,
		Reason::NotAnswered,
		Reason::Throttled,
	];

	/// The `bt-reason` value.
	pub fn code(self) -> &'static str {
		match self {
			Reason::MissingField => "missing_field",
			Reason::MalformedField => "malformed_field",
			Reason::UnknownEndpoint => "unknown_endpoint",
			Reason::MethodNotAllowed => "method_not_allowed",
			Reason::WrongCallee => "wrong_callee",
			Reason::DeadlinePassed => "deadline_passed",
			Reason::StaleNonce => "stale_nonce",
			Reason::ReplayedNonce => "replayed_nonce",
			Reason::BadSignature => "bad_signature",
			Reason::NotRegistered => "not_registered",
			Reason::InsufficientStake => "insufficient_stake",
			Reason::BodyTooLarge => "body_too_large",
			Reason::BodyTimeout => "body_timeout",
			Reason::BodyHashMismatch => "body_hash_mismatch",
			Reason::MalformedBody => "malformed_body",
			Reason::BadTensor => "bad_tensor",
			Reason::Overloaded => "overloaded",
			Reason::ModelFailed => "model_failed",
			Reason::NotAnswered => "not_answered",
			Reason::Throttled => "throttled",
		}
	}

	/// The HTTP status it is sent with.
	pub fn status(self) -> u16 {
		match self {
			Reason::MissingField | Reason::MalformedField => 400,
			Reason::BodyHashMismatch | Reason::MalformedBody => 400,
			Reason::BadSignature | Reason::StaleNonce => 401,
			Reason::NotRegistered | Reason::InsufficientStake => 403,
			Reason::UnknownEndpoint => 404,
			Reason::MethodNotAllowed => 405,
			Reason::DeadlinePassed | Reason::BodyTimeout => 408,
			Reason::ReplayedNonce | Reason::NotAnswered => 409,
			Reason::BodyTooLarge => 413,
			Reason::WrongCallee => 421,
			Reason::BadTensor => 422,
			Reason::Throttled => 429,
			Reason::ModelFailed => 500,
			Reason::Overloaded => 503,
		}
	}

	/// The reason for a `bt-reason` value.
	pub fn from_code(code: &str) -> Option<Reason> {
		Reason::ALL.into_iter().find(|r| r.code() == code)
	}
}

impl fmt::Display for Reason {
	fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
		f.write_str(self.code())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn head() -> RequestHead {
		RequestHead {
			endpoint: Endpoint::Forward,
			scope: Scope { genesis: [6; 32], netuid: 0x0a0b },
			caller: Hotkey([1; 32]),
			callee: Hotkey([2; 32]),
			nonce: 0x0102_0304_0506_0708,
			request_id: [3; 16],
			deadline: 9,
			body_hash: [4; 32],
		}
	}

	#[test]
	fn request_message_layout_is_as_documented() {
		let m = head().message();
		assert_eq!(m.len(), 23 + 1 + 32 + 2 + 32 + 32 + 8 + 16 + 8 + 32);
		assert_eq!(&m[..23], b"bittensor-rs/request/v2");
		assert_eq!(m[23], 1);
		assert_eq!(&m[24..56], &[6; 32]);
		assert_eq!(&m[56..58], &[0x0b, 0x0a]);
		assert_eq!(&m[122..130], &[8, 7, 6, 5, 4, 3, 2, 1]);
	}

	/// The worked example of `docs/PROTOCOL.md`, byte for byte.
	#[test]
	fn the_documented_worked_example_is_what_is_signed() {
		let alice = subxt_signer::sr25519::dev::alice();
		let bob = subxt_signer::sr25519::dev::bob();
		let mut body = Vec::new();
		body.extend_from_slice(&64u64.to_le_bytes());
		body.extend_from_slice(
			br#"{"inputs":{"dtype":"I64","shape":[1,4],"data_offsets":[0,32]}}  "#,
		);
		for id in [72i64, 105, 33, 10] {
			body.extend_from_slice(&id.to_le_bytes());
		}
		let mut genesis = [0u8; 32];
		for (i, b) in genesis.iter_mut().enumerate() {
			*b = 0xa0 + i as u8;
		}
		let head = RequestHead {
			endpoint: Endpoint::Forward,
			scope: Scope { genesis, netuid: 1 },
			caller: Hotkey(alice.public_key().0),
			callee: Hotkey(bob.public_key().0),
			nonce: 1_796_212_800_000_000_000,
			request_id: core::array::from_fn(|i| i as u8),
			deadline: 1_796_212_803_000_000_000,
			body_hash: body_hash(&body),
		};
		let doc = include_str!("../../../docs/PROTOCOL.md");
		let squash = |text: &str| text.split_whitespace().collect::<String>();
		assert!(squash(doc).contains(&hex::encode(&body)), "the example body");
		assert!(doc.contains(&hex::encode(head.body_hash)), "the example body hash");
		assert!(
			squash(doc).contains(&hex::encode(head.message())),
			"the example's 186 bytes: {}",
			hex::encode(head.message())
		);
	}

	#[test]
	fn signatures_bind_every_field() {
		let keypair = subxt_signer::sr25519::dev::alice();
		let signer = Signer::new(&keypair);
		let h = RequestHead { caller: signer.hotkey(), ..head() };
		let sig = signer.sign(&h.message());
		assert!(verify(&signer.hotkey(), &h.message(), &sig));
		// The same signature as subxt-signer's (one scheme, one context).
		assert!(subxt_signer::sr25519::verify(
			&subxt_signer::sr25519::Signature(sig),
			h.message(),
			&keypair.public_key()
		));
		let changed = [
			RequestHead { nonce: h.nonce + 1, ..h.clone() },
			RequestHead { endpoint: Endpoint::Backward, ..h.clone() },
			RequestHead { callee: Hotkey([5; 32]), ..h.clone() },
			RequestHead { deadline: 10, ..h.clone() },
			RequestHead { request_id: [0; 16], ..h.clone() },
			RequestHead { body_hash: [0; 32], ..h.clone() },
			RequestHead { scope: Scope { netuid: 1, ..h.scope }, ..h.clone() },
			RequestHead { scope: Scope { genesis: [7; 32], ..h.scope }, ..h.clone() },
		];
		for c in changed {
			assert!(!verify(&signer.hotkey(), &c.message(), &sig), "{c:?}");
		}
	}

	#[test]
	fn reasons_round_trip_through_their_codes() {
		for r in Reason::ALL {
			assert_eq!(Reason::from_code(r.code()), Some(r));
		}
	}
}

//! Conformance of the axon to `docs/PROTOCOL.md`, checked by a client built from that document
//! alone.
//!
//! Everything a caller sends is built here by hand, from the document's tables: the 186-byte
//! signed request message (tag, endpoint, genesis hash, netuid, keys, nonce, request id,
//! deadline, BLAKE3 of the body), the safetensors bodies, the headers, over raw HTTP/1.1 on
//! tokio sockets (and one HTTP/2 connection through hyper's bare client). Every answer is
//! checked as the document tells a caller to: the 147-byte response message is rebuilt from
//! what this client sent and the sr25519 signature (context `substrate`) verified with
//! schnorrkel, then the status, `bt-reason`, content type, `connection: close` and the echoed
//! headers. The test walks every refusal of the table in "What the axon checks, in order", a
//! successful forward and backward, the order of the checks, and the limits, windows and
//! timeouts the document states. "Half precision on the wire" too: answers in each wire dtype
//! (`F32`, `F16`, `BF16`), decoded here bit by bit from the document's rules and compared with
//! the model's values rounded as it says (ties to even, `F16` saturating at ±65504), gradients
//! taken in each, other dtypes and non-finite half values refused, and the worked example's
//! bytes.
//!
//! The library is used only to start the axon under test (its server side and the wire dtype
//! it answers in, the view it admits callers from, and a toy model); none of its protocol,
//! tensor or dendrite code builds or checks anything here, nor does the `half` crate. Where the
//! server and the document disagree, the document is the expectation: every failed
//! expectation is collected and reported at the end of each test.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use neuron_client::serve::{
	axon::{Axon, AxonConfig, Model, Running, Schema},
	metrics::Metrics,
	view::{Member, SharedView, SubnetView},
};
use std::{
	fmt::Write as _,
	net::SocketAddr,
	str::FromStr,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc, Mutex,
	},
	time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use subxt_signer::{sr25519::Keypair, SecretUri};
use tokio::{
	io::{AsyncReadExt, AsyncWriteExt},
	net::TcpStream,
	time::{sleep, timeout},
};

/// The server's tensor type, used only inside the toy model the axon under test serves.
type ServerTensor = neuron_client::serve::tensor::Tensor;
/// The server's dtype, used only to set the axon's `wire_dtype`.
type ServerDType = neuron_client::serve::tensor::DType;

/// The document this client is built from.
const DOC: &str = include_str!("../../docs/PROTOCOL.md");

/// The axon under test: `Schema::tokens(DIM, MAX_BATCH, MAX_SEQ)`.
const DIM: usize = 4;
const MAX_BATCH: usize = 8;
const MAX_SEQ: usize = 32;
/// The chain and subnet it serves (not zero, so the binding is tested).
const GENESIS: [u8; 32] = [0xab; 32];
const NETUID: u16 = 3;
const MIN_STAKE: u128 = 5;
/// "request body: `max_batch·max_seq·(8 + 4·dim) + 4096` bytes for token inputs".
const BODY_LIMIT: usize = MAX_BATCH * MAX_SEQ * (8 + 4 * DIM) + 4096;

/// Endpoint bytes of the signed messages.
const NEITHER: u8 = 0;
const FORWARD: u8 = 1;
const BACKWARD: u8 = 2;
const REQUEST_TAG: &[u8] = b"bittensor-rs/request/v2";
const RESPONSE_TAG: &[u8] = b"bittensor-rs/response/v1";
const CONTEXT: &[u8] = b"substrate";
const SAFETENSORS: &str = "application/vnd.safetensors";
const TEXT: &str = "text/plain; charset=utf-8";

/// One second in nanoseconds.
const S: u64 = 1_000_000_000;
/// The longest this client waits for any one answer.
const PATIENCE: Duration = Duration::from_secs(40);

/// Tokens that make the toy model misbehave when they come first.
const SLOW: i64 = 250;
const MISSHAPES: i64 = 253;
const PANICS: i64 = 254;
const FAILS: i64 = 255;
const SLOW_FOR: Duration = Duration::from_secs(6);
/// A first token for which the toy answers `AWKWARD`, cycled, instead of its rows.
const UNEVEN: i64 = 252;
/// Values the half types round, tie, flush or saturate.
const AWKWARD: [f32; 12] = [
	0.1,
	-2.5,
	65504.0,
	// F16: rounds down to 65504.
	65519.0,
	// F16: would round to infinity; saturates at 65504.
	65520.0,
	// F16: saturates at -65504.
	-1.0e6,
	// BF16 ties, to even: 1.0 and 1.0 + 4/256.
	1.0 + 1.0 / 256.0,
	1.0 + 3.0 / 256.0,
	// An F16 tie, to even: 1.0.
	1.0 + 1.0 / 2048.0,
	// F16 subnormals: 17·2^-24, and (a little over half of it) 2^-24.
	1.0e-6,
	3.0e-8,
	// Within BF16's range (F32's), far beyond F16's.
	1.0e30,
];

/// The hotkeys: the axon's, and callers with their stakes.
const AXON: &str = "//ConformanceAxon";
const CALLER: &str = "//ConformanceCaller";
const OTHER: &str = "//ConformanceOther";
const POOR: &str = "//ConformancePoor";
const EXACT: &str = "//ConformanceExact";
const LOW: &str = "//ConformanceLow";
const MID: &str = "//ConformanceMid";
const WHALE: &str = "//ConformanceWhale";
const BUSY: &str = "//ConformanceBusy";
const STRANGER: &str = "//ConformanceStranger";
const N: [&str; 8] = [
	"//ConformanceN0",
	"//ConformanceN1",
	"//ConformanceN2",
	"//ConformanceN3",
	"//ConformanceN4",
	"//ConformanceN5",
	"//ConformanceN6",
	"//ConformanceN7",
];
/// A member whose key is a bare schnorrkel key (any sr25519 signer may call).
const RAW_SEED: [u8; 32] = [7; 32];

fn key(uri: &str) -> Keypair {
	Keypair::from_uri(&SecretUri::from_str(uri).unwrap()).unwrap()
}

fn pk(key: &Keypair) -> [u8; 32] {
	key.public_key().0
}

fn raw_key() -> schnorrkel::Keypair {
	schnorrkel::MiniSecretKey::from_bytes(&RAW_SEED)
		.unwrap()
		.expand_to_keypair(schnorrkel::ExpansionMode::Ed25519)
}

fn hash(bytes: &[u8]) -> [u8; 32] {
	*blake3::hash(bytes).as_bytes()
}

fn now_ns() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64
}

fn ms(n: u64) -> u64 {
	n * 1_000_000
}

/// The clock in nanoseconds, never the same value twice.
fn fresh_nonce() -> u64 {
	static LAST: Mutex<u64> = Mutex::new(0);
	let mut last = LAST.lock().unwrap();
	*last = (*last + 1).max(now_ns());
	*last
}

fn fresh_request_id() -> [u8; 16] {
	static NEXT: AtomicU64 = AtomicU64::new(1);
	let mut id = [0u8; 16];
	id[..8].copy_from_slice(&NEXT.fetch_add(1, Ordering::SeqCst).to_le_bytes());
	id[8..].copy_from_slice(&now_ns().to_le_bytes());
	id
}

// ---------------------------------------------------------------------------------------------
// The axon under test (the library's server side; nothing else of the library is used).

fn members() -> Vec<Member> {
	let hotkey = neuron_client::serve::protocol::Hotkey;
	let mut stakes = vec![
		(AXON, 100),
		(CALLER, 10),
		(OTHER, 10),
		(POOR, MIN_STAKE - 1),
		(EXACT, MIN_STAKE),
		(LOW, 6),
		(MID, 50),
		(WHALE, 1000),
		(BUSY, 10),
	];
	stakes.extend(N.iter().map(|n| (*n, 10)));
	let mut members: Vec<Member> = stakes
		.into_iter()
		.enumerate()
		.map(|(uid, (uri, stake))| Member {
			uid: uid as u16,
			hotkey: hotkey(pk(&key(uri))),
			stake,
			axon: None,
		})
		.collect();
	members.push(Member {
		uid: members.len() as u16,
		hotkey: hotkey(raw_key().public.to_bytes()),
		stake: 10,
		axon: None,
	});
	members
}

/// Token t at position p answers `[t, p, 0, 1] / 256`; some first tokens misbehave, and
/// `UNEVEN` first answers `AWKWARD`.
struct Toy;

fn toy_row(id: i64, position: usize) -> [f32; DIM] {
	[id as f32 / 256.0, position as f32 / 256.0, 0.0, 1.0 / 256.0]
}

impl Model for Toy {
	fn forward(&self, _: &Member, inputs: ServerTensor) -> Result<ServerTensor, String> {
		let ids = inputs.as_i64().ok_or("not tokens")?;
		let (b, t) = (inputs.shape[0], inputs.shape[1]);
		match ids.first() {
			Some(&SLOW) => std::thread::sleep(SLOW_FOR),
			Some(&FAILS) => return Err("the toy refuses this token".into()),
			Some(&PANICS) => panic!("the toy panics on this token"),
			Some(&MISSHAPES) => {
				return ServerTensor::f32(vec![b, t], vec![0.0; b * t]).ok_or("shape".into())
			},
			Some(&UNEVEN) => {
				let out = (0..b * t * DIM).map(|i| AWKWARD[i % AWKWARD.len()]).collect();
				return ServerTensor::f32(vec![b, t, DIM], out).ok_or_else(|| "shape".into());
			},
			_ => {},
		}
		let out = ids.iter().enumerate().flat_map(|(i, &id)| toy_row(id, i % t)).collect();
		ServerTensor::f32(vec![b, t, DIM], out).ok_or_else(|| "shape".into())
	}

	fn backward(&self, _: &Member, _: ServerTensor, _: ServerTensor) -> Result<(), String> {
		Ok(())
	}
}

struct Server {
	addr: SocketAddr,
	/// The hotkey "the chain lists" for this axon: what answers are verified against.
	callee: [u8; 32],
	/// The clock just before the axon was created.
	started_ns: u64,
	_running: Running,
}

impl Server {
	async fn start(tweak: impl FnOnce(&mut AxonConfig)) -> Self {
		let axon_key = key(AXON);
		let mut config = AxonConfig::new(Schema::tokens(DIM, MAX_BATCH, MAX_SEQ));
		config.min_stake = MIN_STAKE;
		config.scope = neuron_client::serve::protocol::Scope { genesis: GENESIS, netuid: NETUID };
		// Hundreds of refusals from 127.0.0.1 on purpose: no refusal budget here (`serve.rs`
		// tests the budget and its `throttled` answers).
		config.refusals_per_second = f64::INFINITY;
		tweak(&mut config);
		let view = SharedView::new(SubnetView::new(NETUID, members()));
		// The library's signer only gives the server its key.
		let signer = neuron_client::serve::protocol::Signer::new(&axon_key);
		let started_ns = now_ns();
		let axon = Axon::new(signer, view, Arc::new(Toy), config, Arc::new(Metrics::new()));
		let running = axon.start("127.0.0.1:0".parse().unwrap()).await.expect("start the axon");
		Self { addr: running.addr, callee: pk(&axon_key), started_ns, _running: running }
	}

	/// Waits until nonces from the clock are "later than the axon's start time plus 2 s".
	async fn ready(&self) {
		let at = self.started_ns + 2 * S + ms(300);
		let now = now_ns();
		if at > now {
			sleep(Duration::from_nanos(at - now)).await;
		}
	}

	fn call(&self, caller: &Keypair, endpoint: u8, body: Vec<u8>) -> Call {
		Call::new(caller, &self.callee, endpoint, body)
	}

	fn signed(&self, caller: &Keypair, endpoint: u8, body: &[u8]) -> Signed {
		Signed::new(endpoint, &pk(caller), &self.callee, body)
	}

	/// Sends `call`'s head only and expects a refusal the document places before the body is
	/// read (steps 0–9a): signed, `connection: close`, and the connection closed after it.
	async fn before_body(
		&self,
		c: &Checks,
		case: &str,
		call: &Call,
		status: u16,
		reason: &str,
	) -> Option<Answer> {
		let mut conn = Conn::open(self.addr).await;
		if let Err(e) = conn.send_head(call, call.length()).await {
			c.fail(format!("{case}: sending the head failed: {e}"));
			return None;
		}
		let answer = match conn.answer().await {
			Ok(answer) => answer,
			Err(e) => {
				c.fail(format!("{case}: {e}"));
				return None;
			},
		};
		refusal(c, case, &answer, &self.callee, &call.echo, status, reason);
		c.expect(closes(&answer), || {
			format!("{case}: an answer sent before the body was read lacks `connection: close`")
		});
		if let Err(e) = conn.closes_within(Duration::from_secs(10)).await {
			c.fail(format!("{case}: the axon did not close the connection after this answer: {e}"));
		}
		Some(answer)
	}

	/// Sends `call` whole and expects a refusal after its body was read: signed, and the
	/// connection kept open (it carries another request).
	async fn after_body(
		&self,
		c: &Checks,
		case: &str,
		call: &Call,
		status: u16,
		reason: &str,
	) -> Option<Answer> {
		let (answer, mut conn) = match exchange(self.addr, call).await {
			Ok(done) => done,
			Err(e) => {
				c.fail(format!("{case}: {e}"));
				return None;
			},
		};
		refusal(c, case, &answer, &self.callee, &call.echo, status, reason);
		c.expect(!closes(&answer), || {
			format!("{case}: an answer sent after the body was read says `connection: close`")
		});
		kept_open(c, case, &mut conn, &self.callee).await;
		Some(answer)
	}

	/// Sends `call` whole and expects it served.
	async fn ok(&self, c: &Checks, case: &str, call: &Call) -> Option<Answer> {
		match exchange(self.addr, call).await {
			Ok((answer, _)) => {
				success(c, case, &answer, &self.callee, &call.echo);
				Some(answer)
			},
			Err(e) => {
				c.fail(format!("{case}: {e}"));
				None
			},
		}
	}
}

/// Checks that `conn` carries another request (an unknown path, answered 404).
async fn kept_open(c: &Checks, case: &str, conn: &mut Conn, callee: &[u8; 32]) {
	let next = Call::bare("POST", "/conformance-next");
	if let Err(e) = conn.send_head(&next, Length::Declared(0)).await {
		c.fail(format!("{case}: the connection was not kept open: {e}"));
		return;
	}
	match conn.answer().await {
		Ok(a) => {
			refusal(c, &format!("{case}, then"), &a, callee, &next.echo, 404, "unknown_endpoint")
		},
		Err(e) => c.fail(format!("{case}: the connection did not carry another request: {e}")),
	}
}

// ---------------------------------------------------------------------------------------------
// Collected expectations.

/// Failed expectations, reported together at the end of a test.
struct Checks(Mutex<Vec<String>>);

impl Checks {
	fn new() -> Self {
		Self(Mutex::new(Vec::new()))
	}

	fn fail(&self, message: String) {
		eprintln!("FAILED: {message}");
		self.0.lock().unwrap().push(message);
	}

	fn expect(&self, ok: bool, message: impl FnOnce() -> String) {
		if !ok {
			self.fail(message());
		}
	}

	fn finish(self) {
		let failures = self.0.into_inner().unwrap();
		assert!(
			failures.is_empty(),
			"{} documented behaviours failed:\n- {}",
			failures.len(),
			failures.join("\n- ")
		);
	}
}

// ---------------------------------------------------------------------------------------------
// The signed request message and the request.

/// The fields of "The signed request message".
#[derive(Clone, Copy, Debug)]
struct Signed {
	endpoint: u8,
	genesis: [u8; 32],
	netuid: u16,
	caller: [u8; 32],
	callee: [u8; 32],
	nonce: u64,
	request_id: [u8; 16],
	deadline: u64,
	body_hash: [u8; 32],
}

impl Signed {
	/// A call in this test's chain and subnet, with a fresh nonce and a 30 s deadline.
	fn new(endpoint: u8, caller: &[u8; 32], callee: &[u8; 32], body: &[u8]) -> Self {
		Self {
			endpoint,
			genesis: GENESIS,
			netuid: NETUID,
			caller: *caller,
			callee: *callee,
			nonce: fresh_nonce(),
			request_id: fresh_request_id(),
			deadline: now_ns() + 30 * S,
			body_hash: hash(body),
		}
	}

	/// The 186 bytes the caller signs, integers little-endian.
	fn message(&self) -> Vec<u8> {
		let mut m = Vec::with_capacity(186);
		m.extend_from_slice(REQUEST_TAG);
		m.push(self.endpoint);
		m.extend_from_slice(&self.genesis);
		m.extend_from_slice(&self.netuid.to_le_bytes());
		m.extend_from_slice(&self.caller);
		m.extend_from_slice(&self.callee);
		m.extend_from_slice(&self.nonce.to_le_bytes());
		m.extend_from_slice(&self.request_id);
		m.extend_from_slice(&self.deadline.to_le_bytes());
		m.extend_from_slice(&self.body_hash);
		assert_eq!(m.len(), 186);
		m
	}
}

/// What an answer must be signed over: the endpoint byte of the path called, and the caller,
/// nonce and request id as the request's headers said (zeros where absent or unparsable).
#[derive(Clone, Copy, Debug)]
struct Echo {
	endpoint: u8,
	caller: [u8; 32],
	nonce: u64,
	request_id: [u8; 16],
}

impl Echo {
	/// The echo once header `name` is absent or unparsable.
	fn without(mut self, name: &str) -> Self {
		match name {
			"bt-caller" => self.caller = [0; 32],
			"bt-nonce" => self.nonce = 0,
			"bt-request-id" => self.request_id = [0; 16],
			_ => {},
		}
		self
	}
}

fn path_of(endpoint: u8) -> &'static str {
	match endpoint {
		FORWARD => "/forward",
		BACKWARD => "/backward",
		_ => "/neither",
	}
}

/// "A query string is ignored (`/forward?x=1` is `/forward`)".
fn endpoint_of(path: &str) -> u8 {
	match path.split('?').next() {
		Some("/forward") => FORWARD,
		Some("/backward") => BACKWARD,
		_ => NEITHER,
	}
}

#[derive(Clone, Debug)]
struct Call {
	method: String,
	path: String,
	headers: Vec<(String, String)>,
	body: Vec<u8>,
	echo: Echo,
}

impl Call {
	/// A correct call by `caller`.
	fn new(caller: &Keypair, callee: &[u8; 32], endpoint: u8, body: Vec<u8>) -> Self {
		let signed = Signed::new(endpoint, &pk(caller), callee, &body);
		Self::signed(caller, signed, body)
	}

	/// `signed`'s headers, signed by `key` (whoever `signed.caller` names), carrying `body`.
	fn signed(key: &Keypair, signed: Signed, body: Vec<u8>) -> Self {
		let signature = hex::encode(key.sign(&signed.message()).0);
		Self::unsigned(signed, body).set("bt-signature", &signature)
	}

	/// The six headers of `signed`, without `bt-signature`.
	fn unsigned(signed: Signed, body: Vec<u8>) -> Self {
		let headers = [
			("content-type", SAFETENSORS.to_string()),
			("bt-caller", hex::encode(signed.caller)),
			("bt-callee", hex::encode(signed.callee)),
			("bt-nonce", signed.nonce.to_string()),
			("bt-request-id", hex::encode(signed.request_id)),
			("bt-deadline", signed.deadline.to_string()),
			("bt-body-hash", hex::encode(signed.body_hash)),
		];
		let echo = Echo {
			endpoint: signed.endpoint,
			caller: signed.caller,
			nonce: signed.nonce,
			request_id: signed.request_id,
		};
		Self {
			method: "POST".into(),
			path: path_of(signed.endpoint).into(),
			headers: headers.into_iter().map(|(n, v)| (n.to_string(), v)).collect(),
			body,
			echo,
		}
	}

	/// A request with no `bt-` header and no body.
	fn bare(method: &str, path: &str) -> Self {
		Self {
			method: method.into(),
			path: path.into(),
			headers: Vec::new(),
			body: Vec::new(),
			echo: Echo {
				endpoint: endpoint_of(path),
				caller: [0; 32],
				nonce: 0,
				request_id: [0; 16],
			},
		}
	}

	fn set(mut self, name: &str, value: &str) -> Self {
		match self.headers.iter_mut().find(|(n, _)| n == name) {
			Some(header) => header.1 = value.to_string(),
			None => self.headers.push((name.to_string(), value.to_string())),
		}
		self
	}

	fn without(mut self, name: &str) -> Self {
		self.headers.retain(|(n, _)| n != name);
		self
	}

	fn to(mut self, method: &str, path: &str) -> Self {
		self.method = method.into();
		self.path = path.into();
		self.echo.endpoint = endpoint_of(path);
		self
	}

	fn header(&self, name: &str) -> &str {
		self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or("")
	}

	fn length(&self) -> Length {
		if self.method == "POST" || !self.body.is_empty() {
			Length::Declared(self.body.len())
		} else {
			Length::Absent
		}
	}
}

// ---------------------------------------------------------------------------------------------
// Answers and the signed response message.

#[derive(Debug)]
struct Answer {
	status: u16,
	headers: Vec<(String, String)>,
	body: Vec<u8>,
	/// Interim (1xx) statuses received before it.
	interim: Vec<u16>,
}

impl Answer {
	fn header(&self, name: &str) -> Option<&str> {
		self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
	}

	fn describe(&self) -> String {
		format!(
			"status {}, bt-reason {:?}, body {:?}",
			self.status,
			self.header("bt-reason"),
			String::from_utf8_lossy(&self.body[..self.body.len().min(200)])
		)
	}
}

fn closes(answer: &Answer) -> bool {
	answer.headers.iter().any(|(n, v)| {
		n == "connection" && v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close"))
	})
}

/// The 147 bytes the callee signs, integers little-endian.
fn response_message(callee: &[u8; 32], echo: &Echo, status: u16, body_hash: &[u8; 32]) -> Vec<u8> {
	let mut m = Vec::with_capacity(147);
	m.extend_from_slice(RESPONSE_TAG);
	m.push(echo.endpoint);
	m.extend_from_slice(callee);
	m.extend_from_slice(&echo.caller);
	m.extend_from_slice(&echo.nonce.to_le_bytes());
	m.extend_from_slice(&echo.request_id);
	m.extend_from_slice(&status.to_le_bytes());
	m.extend_from_slice(body_hash);
	assert_eq!(m.len(), 147);
	m
}

fn hex_header<const L: usize>(answer: &Answer, name: &str) -> Option<[u8; L]> {
	hex::decode(answer.header(name)?).ok()?.try_into().ok()
}

/// "How a caller verifies an answer": the signature over the message rebuilt from what was
/// sent and received; then the echoed headers as the document lists them.
fn signed_answer(c: &Checks, case: &str, answer: &Answer, callee: &[u8; 32], echo: &Echo) {
	let message = response_message(callee, echo, answer.status, &hash(&answer.body));
	let verified = match answer.header("bt-signature") {
		None => Err("no bt-signature".to_string()),
		Some(text) => hex::decode(text)
			.map_err(|e| format!("bt-signature is not hex: {e}"))
			.and_then(|bytes| {
				schnorrkel::Signature::from_bytes(&bytes).map_err(|e| format!("signature: {e}"))
			})
			.and_then(|signature| {
				schnorrkel::PublicKey::from_bytes(callee)
					.unwrap()
					.verify_simple(CONTEXT, &message, &signature)
					.map_err(|e| format!("does not verify: {e}"))
			}),
	};
	if let Err(e) = verified {
		c.fail(format!(
			"{case}: the answer is not signed as documented ({e}); expected endpoint {}, caller \
			 {}, nonce {}, request id {}; {}",
			echo.endpoint,
			hex::encode(echo.caller),
			echo.nonce,
			hex::encode(echo.request_id),
			answer.describe()
		));
	}
	c.expect(hex_header::<32>(answer, "bt-callee") == Some(*callee), || {
		format!("{case}: bt-callee {:?} is not the axon's hotkey", answer.header("bt-callee"))
	});
	c.expect(hex_header::<32>(answer, "bt-caller") == Some(echo.caller), || {
		format!(
			"{case}: bt-caller {:?}, want {}",
			answer.header("bt-caller"),
			hex::encode(echo.caller)
		)
	});
	c.expect(answer.header("bt-nonce") == Some(echo.nonce.to_string().as_str()), || {
		format!("{case}: bt-nonce {:?}, want {}", answer.header("bt-nonce"), echo.nonce)
	});
	c.expect(hex_header::<16>(answer, "bt-request-id") == Some(echo.request_id), || {
		format!(
			"{case}: bt-request-id {:?}, want {}",
			answer.header("bt-request-id"),
			hex::encode(echo.request_id)
		)
	});
	c.expect(hex_header::<32>(answer, "bt-body-hash") == Some(hash(&answer.body)), || {
		format!(
			"{case}: bt-body-hash {:?} is not BLAKE3 of the body",
			answer.header("bt-body-hash")
		)
	});
}

fn refusal(
	c: &Checks,
	case: &str,
	answer: &Answer,
	callee: &[u8; 32],
	echo: &Echo,
	status: u16,
	reason: &str,
) {
	c.expect(answer.status == status && answer.header("bt-reason") == Some(reason), || {
		format!("{case}: want {status} `{reason}`, got {}", answer.describe())
	});
	c.expect(answer.header("content-type") == Some(TEXT), || {
		format!("{case}: a refusal's content-type is {:?}", answer.header("content-type"))
	});
	c.expect(answer.body.starts_with(format!("{reason}: ").as_bytes()), || {
		format!(
			"{case}: a refusal's body is not `<reason>: <what was wrong>`: {}",
			answer.describe()
		)
	});
	signed_answer(c, case, answer, callee, echo);
}

fn success(c: &Checks, case: &str, answer: &Answer, callee: &[u8; 32], echo: &Echo) {
	c.expect(answer.status == 200, || format!("{case}: want 200, got {}", answer.describe()));
	c.expect(answer.header("bt-reason").is_none(), || {
		format!("{case}: a success carries bt-reason {:?}", answer.header("bt-reason"))
	});
	c.expect(answer.header("content-type") == Some(SAFETENSORS), || {
		format!(
			"{case}: a successful answer's content-type is {:?}, not {SAFETENSORS}",
			answer.header("content-type")
		)
	});
	c.expect(!closes(answer), || format!("{case}: a successful answer says `connection: close`"));
	signed_answer(c, case, answer, callee, echo);
}

// ---------------------------------------------------------------------------------------------
// HTTP/1.1 by hand.

enum Length {
	Declared(usize),
	Chunked,
	Absent,
}

struct Conn {
	stream: TcpStream,
	buf: Vec<u8>,
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
	haystack.windows(needle.len()).position(|w| w == needle)
}

impl Conn {
	async fn open(addr: SocketAddr) -> Self {
		let stream = TcpStream::connect(addr).await.expect("connect to the axon");
		stream.set_nodelay(true).unwrap();
		Self { stream, buf: Vec::new() }
	}

	async fn send_head(&mut self, call: &Call, length: Length) -> std::io::Result<()> {
		let mut head =
			format!("{} {} HTTP/1.1\r\nhost: conformance.test\r\n", call.method, call.path);
		for (name, value) in &call.headers {
			let _ = write!(head, "{name}: {value}\r\n");
		}
		match length {
			Length::Declared(n) => {
				let _ = write!(head, "content-length: {n}\r\n");
			},
			Length::Chunked => head.push_str("transfer-encoding: chunked\r\n"),
			Length::Absent => {},
		}
		head.push_str("\r\n");
		self.send(head.as_bytes()).await
	}

	async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
		self.stream.write_all(bytes).await?;
		self.stream.flush().await
	}

	async fn fill(&mut self) -> Result<usize, String> {
		let mut chunk = [0u8; 16384];
		let n = self.stream.read(&mut chunk).await.map_err(|e| format!("read failed: {e}"))?;
		self.buf.extend_from_slice(&chunk[..n]);
		Ok(n)
	}

	async fn head(&mut self) -> Result<(u16, Vec<(String, String)>), String> {
		loop {
			if let Some(end) = find(&self.buf, b"\r\n\r\n") {
				let head: Vec<u8> = self.buf.drain(..end + 4).collect();
				let text = String::from_utf8_lossy(&head[..end]).into_owned();
				let mut lines = text.split("\r\n");
				let first = lines.next().unwrap_or_default();
				let status = first
					.split_whitespace()
					.nth(1)
					.and_then(|s| s.parse().ok())
					.ok_or_else(|| format!("not an HTTP status line: {first:?}"))?;
				let headers = lines
					.filter_map(|line| line.split_once(':'))
					.map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
					.collect();
				return Ok((status, headers));
			}
			if self.fill().await? == 0 {
				return Err(format!(
					"the connection closed before an answer ({:?} received)",
					String::from_utf8_lossy(&self.buf)
				));
			}
		}
	}

	/// The next status line received, interim or not.
	async fn interim(&mut self) -> Result<u16, String> {
		match timeout(PATIENCE, self.head()).await {
			Ok(head) => head.map(|(status, _)| status),
			Err(_) => Err(format!("nothing received within {PATIENCE:?}")),
		}
	}

	async fn answer(&mut self) -> Result<Answer, String> {
		match timeout(PATIENCE, self.read_answer()).await {
			Ok(answer) => answer,
			Err(_) => Err(format!("no answer within {PATIENCE:?}")),
		}
	}

	async fn read_answer(&mut self) -> Result<Answer, String> {
		let mut interim = Vec::new();
		loop {
			let (status, headers) = self.head().await?;
			if (100..200).contains(&status) {
				interim.push(status);
				continue;
			}
			let get = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
			let body = if get("transfer-encoding")
				.is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
			{
				self.chunked().await?
			} else if let Some(length) = get("content-length") {
				let n = length.parse().map_err(|_| format!("content-length {length:?}"))?;
				self.take(n).await?
			} else if status == 204 || status == 304 {
				Vec::new()
			} else {
				self.rest().await
			};
			return Ok(Answer { status, headers, body, interim });
		}
	}

	async fn take(&mut self, n: usize) -> Result<Vec<u8>, String> {
		while self.buf.len() < n {
			if self.fill().await? == 0 {
				return Err("the connection closed in the middle of a body".into());
			}
		}
		Ok(self.buf.drain(..n).collect())
	}

	async fn line(&mut self) -> Result<String, String> {
		loop {
			if let Some(i) = find(&self.buf, b"\r\n") {
				let line: Vec<u8> = self.buf.drain(..i + 2).collect();
				return Ok(String::from_utf8_lossy(&line[..i]).into_owned());
			}
			if self.fill().await? == 0 {
				return Err("the connection closed in the middle of a chunked body".into());
			}
		}
	}

	async fn chunked(&mut self) -> Result<Vec<u8>, String> {
		let mut body = Vec::new();
		loop {
			let line = self.line().await?;
			let size = line.split(';').next().unwrap_or_default().trim();
			let size =
				usize::from_str_radix(size, 16).map_err(|_| format!("chunk size {line:?}"))?;
			if size == 0 {
				while !self.line().await?.is_empty() {}
				return Ok(body);
			}
			body.extend(self.take(size).await?);
			self.take(2).await?;
		}
	}

	async fn rest(&mut self) -> Vec<u8> {
		while let Ok(n) = self.fill().await {
			if n == 0 {
				break;
			}
		}
		std::mem::take(&mut self.buf)
	}

	/// Whether the peer closes the connection within `within` without sending anything more.
	async fn closes_within(&mut self, within: Duration) -> Result<(), String> {
		if !self.buf.is_empty() {
			return Err(format!("unexpected bytes: {:?}", String::from_utf8_lossy(&self.buf)));
		}
		let mut chunk = [0u8; 1024];
		match timeout(within, self.stream.read(&mut chunk)).await {
			Err(_) => Err(format!("still open after {within:?}")),
			Ok(Ok(0)) | Ok(Err(_)) => Ok(()),
			Ok(Ok(n)) => Err(format!("sent {:?}", String::from_utf8_lossy(&chunk[..n]))),
		}
	}
}

/// Sends `call` whole on a new connection; the answer and the connection.
async fn exchange(addr: SocketAddr, call: &Call) -> Result<(Answer, Conn), String> {
	let mut conn = Conn::open(addr).await;
	conn.send_head(call, call.length()).await.map_err(|e| format!("sending: {e}"))?;
	conn.send(&call.body).await.map_err(|e| format!("sending the body: {e}"))?;
	let answer = conn.answer().await?;
	Ok((answer, conn))
}

async fn exchange_owned(addr: SocketAddr, call: Call) -> Result<Answer, String> {
	exchange(addr, &call).await.map(|(answer, _)| answer)
}

/// One HTTP/2 request on `sender` (cleartext, prior knowledge).
async fn h2(
	sender: &mut hyper::client::conn::http2::SendRequest<Full<Bytes>>,
	addr: SocketAddr,
	call: &Call,
) -> Result<Answer, String> {
	let mut request = hyper::Request::builder()
		.method(call.method.as_str())
		.uri(format!("http://{addr}{}", call.path));
	for (name, value) in &call.headers {
		request = request.header(name.as_str(), value.as_str());
	}
	let request =
		request.body(Full::new(Bytes::from(call.body.clone()))).map_err(|e| e.to_string())?;
	let response = sender.send_request(request).await.map_err(|e| format!("HTTP/2: {e}"))?;
	let status = response.status().as_u16();
	let headers = response
		.headers()
		.iter()
		.map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
		.collect();
	let body = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
	Ok(Answer { status, headers, body: body.to_vec(), interim: Vec::new() })
}

// ---------------------------------------------------------------------------------------------
// Safetensors by hand.

struct Tensor {
	name: String,
	dtype: String,
	shape: Vec<usize>,
	data: Vec<u8>,
}

fn tensor(name: &str, dtype: &str, shape: &[usize], data: Vec<u8>) -> Tensor {
	Tensor { name: name.into(), dtype: dtype.into(), shape: shape.to_vec(), data }
}

fn tokens(shape: &[usize], ids: &[i64]) -> Tensor {
	tensor("inputs", "I64", shape, ids.iter().flat_map(|x| x.to_le_bytes()).collect())
}

fn floats(name: &str, shape: &[usize], values: &[f32]) -> Tensor {
	tensor(name, "F32", shape, values.iter().flat_map(|x| x.to_le_bytes()).collect())
}

/// A safetensors file: the header padded with spaces to a multiple of 8 bytes (or to exactly
/// `header_len`), with an optional `__metadata__` entry.
fn safetensors_with(
	tensors: &[Tensor],
	metadata: Option<&str>,
	header_len: Option<usize>,
) -> Vec<u8> {
	let mut entries = Vec::new();
	if let Some(metadata) = metadata {
		entries.push(format!("\"__metadata__\":{metadata}"));
	}
	let mut offset = 0;
	for t in tensors {
		let shape: Vec<String> = t.shape.iter().map(|d| d.to_string()).collect();
		entries.push(format!(
			"\"{}\":{{\"dtype\":\"{}\",\"shape\":[{}],\"data_offsets\":[{},{}]}}",
			t.name,
			t.dtype,
			shape.join(","),
			offset,
			offset + t.data.len()
		));
		offset += t.data.len();
	}
	let mut header = format!("{{{}}}", entries.join(","));
	let len = header_len.unwrap_or(header.len().div_ceil(8) * 8);
	assert!(len >= header.len());
	header.extend(std::iter::repeat_n(' ', len - header.len()));
	let mut body = (header.len() as u64).to_le_bytes().to_vec();
	body.extend_from_slice(header.as_bytes());
	for t in tensors {
		body.extend_from_slice(&t.data);
	}
	body
}

fn safetensors(tensors: &[Tensor]) -> Vec<u8> {
	safetensors_with(tensors, None, None)
}

/// Byte-level token ids in `0..200` (none of the toy's special tokens).
fn token_ids(batch: usize, seq: usize, salt: i64) -> Vec<i64> {
	(0..(batch * seq) as i64).map(|i| (i * 31 + salt * 7 + 1) % 200).collect()
}

fn forward_body(ids: &[i64], batch: usize, seq: usize) -> Vec<u8> {
	safetensors(&[tokens(&[batch, seq], ids)])
}

fn grads(batch: usize, seq: usize) -> Vec<f32> {
	(0..batch * seq * DIM).map(|i| (i % 7) as f32 * 0.125 - 0.25).collect()
}

fn backward_body(ids: &[i64], batch: usize, seq: usize) -> Vec<u8> {
	safetensors(&[
		tokens(&[batch, seq], ids),
		floats("grads", &[batch, seq, DIM], &grads(batch, seq)),
	])
}

fn parse_safetensors(body: &[u8]) -> Result<Vec<Tensor>, String> {
	let n = u64::from_le_bytes(body.get(..8).ok_or("shorter than 8 bytes")?.try_into().unwrap());
	let n = usize::try_from(n).map_err(|e| e.to_string())?;
	let header = body.get(8..8 + n).ok_or("header longer than the body")?;
	let data = &body[8 + n..];
	let header: serde_json::Value = serde_json::from_slice(header).map_err(|e| e.to_string())?;
	let mut tensors = Vec::new();
	for (name, entry) in header.as_object().ok_or("header is not an object")? {
		if name == "__metadata__" {
			continue;
		}
		let dtype = entry["dtype"].as_str().ok_or("dtype")?.to_string();
		let shape = entry["shape"]
			.as_array()
			.ok_or("shape")?
			.iter()
			.map(|d| d.as_u64().map(|d| d as usize))
			.collect::<Option<Vec<_>>>()
			.ok_or("shape")?;
		let begin = entry["data_offsets"][0].as_u64().ok_or("data_offsets")? as usize;
		let end = entry["data_offsets"][1].as_u64().ok_or("data_offsets")? as usize;
		let bytes = data.get(begin..end).ok_or("data_offsets outside the data")?.to_vec();
		tensors.push(Tensor { name: name.clone(), dtype, shape, data: bytes });
	}
	Ok(tensors)
}

/// The one tensor of a forward answer, which must be a safetensors body holding exactly
/// `outputs`; `None` (a failed check) otherwise.
fn sole_outputs(c: &Checks, case: &str, body: &[u8]) -> Option<Tensor> {
	let tensors = match parse_safetensors(body) {
		Ok(tensors) => tensors,
		Err(e) => {
			c.fail(format!("{case}: the answer is not safetensors: {e}"));
			return None;
		},
	};
	let names: Vec<&str> = tensors.iter().map(|t| t.name.as_str()).collect();
	if names != ["outputs"] {
		c.fail(format!("{case}: the answer holds {names:?}, not exactly `outputs`"));
		return None;
	}
	tensors.into_iter().next()
}

/// A forward answer: exactly `outputs`, `[batch, seq, dim]` F32, the toy's values.
fn check_outputs(c: &Checks, case: &str, body: &[u8], ids: &[i64], batch: usize, seq: usize) {
	let Some(t) = sole_outputs(c, case, body) else { return };
	c.expect(t.dtype == "F32" && t.shape == [batch, seq, DIM], || {
		format!("{case}: outputs are {} {:?}, want F32 {:?}", t.dtype, t.shape, [batch, seq, DIM])
	});
	let want: Vec<u8> = ids
		.iter()
		.enumerate()
		.flat_map(|(i, &id)| toy_row(id, i % seq))
		.flat_map(f32::to_le_bytes)
		.collect();
	c.expect(t.data == want, || format!("{case}: the outputs are not the model's values"));
}

// ---------------------------------------------------------------------------------------------
// Half precision by hand: "`F16` (IEEE 754 binary16) or `BF16` (the top 16 bits of an `F32`,
// rounded to nearest even)".

/// 2^e as an F32, for `e` in F32's normal range.
fn pow2(e: i32) -> f32 {
	f32::from_bits(((e + 127) as u32) << 23)
}

/// `x` as BF16: its top 16 bits, rounded to nearest, ties to even.
fn bf16_bits(x: f32) -> u16 {
	let bits = x.to_bits();
	if x.is_nan() {
		return (bits >> 16) as u16 | 0x0040;
	}
	((bits + 0x7fff + ((bits >> 16) & 1)) >> 16) as u16
}

fn from_bf16(word: u16) -> f32 {
	f32::from_bits(u32::from(word) << 16)
}

/// `x` as F16 (sign, 5 exponent bits biased by 15, 10 fraction bits), rounded to nearest, ties
/// to even; finite values beyond ±65504 saturate there, as the axon's answers do.
fn f16_bits(x: f32) -> u16 {
	let bits = x.to_bits();
	let sign = ((bits >> 16) & 0x8000) as u16;
	let magnitude = bits & 0x7fff_ffff;
	if magnitude > 0x7f80_0000 {
		return sign | 0x7e00;
	}
	if magnitude == 0x7f80_0000 {
		return sign | 0x7c00;
	}
	let exponent = (magnitude >> 23) as i32 - 127;
	if exponent < -25 {
		return sign;
	}
	// The value is significand·2^(exponent − 23). F16 keeps multiples of 2^(exponent − 10),
	// and of 2^−24 (its subnormals) below its smallest normal exponent, −14.
	let significand = (magnitude & 0x7f_ffff) | 0x80_0000;
	let shift = 13 + (-14 - exponent).max(0) as u32;
	let kept = significand >> shift;
	let rest = significand & ((1u32 << shift) - 1);
	let half = 1u32 << (shift - 1);
	let kept = if rest > half || (rest == half && kept & 1 == 1) { kept + 1 } else { kept };
	// A carry out of the fraction moves to the next exponent, as in the encoding itself.
	let word = if exponent < -14 { kept } else { (((exponent + 15) as u32) << 10) + kept - 0x400 };
	if word >= 0x7c00 {
		sign | 0x7bff
	} else {
		sign | word as u16
	}
}

fn from_f16(word: u16) -> f32 {
	let sign: f32 = if word & 0x8000 == 0 { 1.0 } else { -1.0 };
	let exponent = i32::from((word >> 10) & 0x1f);
	let fraction = f32::from(word & 0x3ff);
	sign * match exponent {
		0 => fraction * pow2(-24),
		31 if fraction == 0.0 => f32::INFINITY,
		31 => f32::NAN,
		e => (1024.0 + fraction) * pow2(e - 25),
	}
}

/// Bytes of one element of a float type of the wire.
fn width(dtype: &str) -> usize {
	match dtype {
		"F16" | "BF16" => 2,
		_ => 4,
	}
}

/// `values` as little-endian elements of `dtype` (`F32`, `F16` or `BF16`).
fn encode_as(dtype: &str, values: &[f32]) -> Vec<u8> {
	values
		.iter()
		.flat_map(|&x| match dtype {
			"F16" => f16_bits(x).to_le_bytes().to_vec(),
			"BF16" => bf16_bits(x).to_le_bytes().to_vec(),
			_ => x.to_le_bytes().to_vec(),
		})
		.collect()
}

/// Little-endian elements of `dtype` (`F32`, `F16` or `BF16`), as F32.
fn decode_as(dtype: &str, data: &[u8]) -> Vec<f32> {
	data.chunks_exact(width(dtype))
		.map(|e| match dtype {
			"F16" => from_f16(u16::from_le_bytes([e[0], e[1]])),
			"BF16" => from_bf16(u16::from_le_bytes([e[0], e[1]])),
			_ => f32::from_le_bytes([e[0], e[1], e[2], e[3]]),
		})
		.collect()
}

/// Little-endian 16-bit words.
fn words(data: &[u8]) -> Vec<u16> {
	data.chunks_exact(2).map(|w| u16::from_le_bytes([w[0], w[1]])).collect()
}

/// What the toy answers for `ids` (`[batch, seq]`), in F32.
fn toy_values(ids: &[i64], seq: usize) -> Vec<f32> {
	if ids.first() == Some(&UNEVEN) {
		return (0..ids.len() * DIM).map(|i| AWKWARD[i % AWKWARD.len()]).collect();
	}
	ids.iter().enumerate().flat_map(|(i, &id)| toy_row(id, i % seq)).collect()
}

/// A forward answer in `dtype`: exactly `outputs`, `[batch, seq, dim]`, `width(dtype)` bytes an
/// element, each the model's F32 value `want` rounded to `dtype` as the document says, finite.
fn check_answer_as(
	c: &Checks,
	case: &str,
	body: &[u8],
	dtype: &str,
	want: &[f32],
	shape: [usize; 3],
) {
	let Some(t) = sole_outputs(c, case, body) else { return };
	if t.dtype != dtype || t.shape != shape {
		return c.fail(format!(
			"{case}: outputs are {} {:?}, want {dtype} {shape:?}",
			t.dtype, t.shape
		));
	}
	if t.data.len() != width(dtype) * want.len() {
		return c.fail(format!(
			"{case}: {} bytes of {dtype} outputs for {} elements, want {}",
			t.data.len(),
			want.len(),
			width(dtype) * want.len()
		));
	}
	let got = decode_as(dtype, &t.data);
	let rounded = decode_as(dtype, &encode_as(dtype, want));
	c.expect(got.iter().all(|x| x.is_finite()), || {
		format!("{case}: {dtype} outputs hold a value that is not finite")
	});
	let wrong: Vec<String> = got
		.iter()
		.zip(&rounded)
		.zip(want)
		.enumerate()
		.filter(|(_, ((got, rounded), _))| got.to_bits() != rounded.to_bits())
		.take(4)
		.map(|(i, ((got, rounded), want))| {
			format!("element {i}: {want} came as {got}, not {rounded}")
		})
		.collect();
	c.expect(wrong.is_empty(), || {
		format!(
			"{case}: the {dtype} outputs are not the model's values rounded as documented: {}",
			wrong.join("; ")
		)
	});
}

// ---------------------------------------------------------------------------------------------
// The document's worked example.

/// The text between `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
	let from = text.find(start).unwrap_or_else(|| panic!("the doc has no {start:?}")) + start.len();
	let to = text[from..].find(end).unwrap() + from;
	&text[from..to]
}

/// The first fenced block after `marker`, with its whitespace removed.
fn block_after(marker: &str) -> String {
	let rest = &DOC[DOC.find(marker).unwrap_or_else(|| panic!("the doc has no {marker:?}"))..];
	let open = rest.find("```").unwrap();
	let body = &rest[open..];
	let body = &body[body.find('\n').unwrap() + 1..];
	body[..body.find("```").unwrap()].to_string()
}

fn squeezed(text: &str) -> String {
	text.split_whitespace().collect()
}

/// Days from 1970-01-01 to a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
	let y = if month <= 2 { year - 1 } else { year };
	let era = y.div_euclid(400);
	let yoe = y - era * 400;
	let mp = (month + 9) % 12;
	let doy = (153 * mp + 2) / 5 + day - 1;
	let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	era * 146_097 + doe - 719_468
}

#[test]
fn the_worked_example_is_what_this_client_builds() {
	let c = Checks::new();
	let alice = subxt_signer::sr25519::dev::alice();
	let bob = subxt_signer::sr25519::dev::bob();

	// The body and its hash.
	let body = safetensors(&[tokens(&[1, 4], b"Hi!\n".map(i64::from).as_slice())]);
	c.expect(body.len() == 104, || format!("the example body is {} bytes, not 104", body.len()));
	let doc_body = squeezed(&block_after("the ids 72, 105, 33, 10"));
	c.expect(hex::encode(&body) == doc_body, || {
		format!("the example body differs:\n built {}\n doc   {doc_body}", hex::encode(&body))
	});
	let doc_hash = between(DOC, "Its BLAKE3 is `", "`");
	c.expect(hex::encode(hash(&body)) == doc_hash, || {
		format!(
			"BLAKE3 of the example body is {}, the doc says {doc_hash}",
			hex::encode(hash(&body))
		)
	});

	// 2026-12-02 12:00:00 UTC, a 3 s deadline.
	let nonce = (days_from_civil(2026, 12, 2) * 86_400 + 12 * 3_600) as u64 * S;
	let signed = Signed {
		endpoint: FORWARD,
		genesis: std::array::from_fn(|i| 0xa0 + i as u8),
		netuid: 1,
		caller: pk(&alice),
		callee: pk(&bob),
		nonce,
		request_id: std::array::from_fn(|i| i as u8),
		deadline: nonce + 3 * S,
		body_hash: hash(&body),
	};

	// The headers block.
	let headers = block_after("The headers:");
	let header = |name: &str| {
		headers
			.lines()
			.find_map(|l| l.strip_prefix(&format!("{name}:")).map(|v| v.trim().to_string()))
			.unwrap_or_default()
	};
	let call = Call::unsigned(signed, body.clone());
	for name in
		["bt-caller", "bt-callee", "bt-nonce", "bt-request-id", "bt-deadline", "bt-body-hash"]
	{
		c.expect(header(name) == call.header(name), || {
			format!("example header {name}: doc {:?}, built {:?}", header(name), call.header(name))
		});
	}

	// The 186 bytes, in one piece and field by field.
	let message = hex::encode(signed.message());
	let doc_message = squeezed(&block_after("All 186 bytes in one piece:"));
	c.expect(message == doc_message, || {
		format!("the example message differs:\n built {message}\n doc   {doc_message}")
	});
	let table = between(DOC, "The message to sign, field by field", "All 186 bytes in one piece");
	let fields: String =
		table.lines().filter(|l| l.starts_with('|')).filter_map(|l| l.rsplit('`').nth(1)).collect();
	c.expect(fields == message, || format!("the field table gives {fields}, built {message}"));

	// sr25519 with the context `substrate`: randomised, and verifiable by schnorrkel.
	let (one, two) = (alice.sign(&signed.message()), alice.sign(&signed.message()));
	c.expect(one.0 != two.0, || "two signatures of the example are equal".into());
	let public = schnorrkel::PublicKey::from_bytes(&pk(&alice)).unwrap();
	for signature in [one, two] {
		let signature = schnorrkel::Signature::from_bytes(&signature.0).unwrap();
		c.expect(public.verify_simple(CONTEXT, &signed.message(), &signature).is_ok(), || {
			"a signature of the example does not verify with the context `substrate`".into()
		});
	}

	// The documented constants.
	let empty = between(DOC, "whose BLAKE3 is `", "`");
	c.expect(empty == hex::encode(hash(&[])), || {
		format!("the doc's empty-body BLAKE3 {empty} is wrong")
	});
	c.expect(REQUEST_TAG.len() == 23 && RESPONSE_TAG.len() == 24, || "tag lengths".into());
	c.expect(64 * 64 * (8 + 4 * 128) + 4096 == 2_134_016, || "the default body limit".into());
	c.finish();
}

// ---------------------------------------------------------------------------------------------
// Steps 0–9a: refusals before the body is read.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_before_the_body_is_signed_and_closes_the_connection() {
	let s = Server::start(|_| {}).await;
	s.ready().await;
	let c = Checks::new();
	let caller = key(CALLER);
	let me = pk(&caller);
	let other = key(OTHER);
	let ids = token_ids(2, 5, 1);
	let body = forward_body(&ids, 2, 5);
	let forward = || s.call(&caller, FORWARD, body.clone());

	// 0. Route: unknown paths (signed over what was sent, endpoint byte 0) and other methods.
	for path in ["/nope", "/forward/", "/", "/backward/x", "/Forward"] {
		let call = forward().to("POST", path);
		s.before_body(&c, &format!("POST {path}"), &call, 404, "unknown_endpoint").await;
	}
	let bare = Call::bare("POST", "/nope");
	s.before_body(&c, "POST /nope without headers", &bare, 404, "unknown_endpoint").await;
	for (method, endpoint) in
		[("GET", FORWARD), ("PUT", FORWARD), ("GET", BACKWARD), ("DELETE", BACKWARD)]
	{
		let path = path_of(endpoint);
		let call = s.call(&caller, endpoint, Vec::new()).to(method, path);
		let case = format!("{method} {path}");
		if let Some(a) = s.before_body(&c, &case, &call, 405, "method_not_allowed").await {
			c.expect(a.header("allow") == Some("POST"), || {
				format!("{case}: allow is {:?}, not POST", a.header("allow"))
			});
		}
	}
	let bare = Call::bare("GET", "/forward");
	if let Some(a) =
		s.before_body(&c, "GET /forward without headers", &bare, 405, "method_not_allowed").await
	{
		c.expect(a.header("allow") == Some("POST"), || {
			"GET /forward bare: no `allow: POST`".into()
		});
	}

	// 1–2. Headers, absent.
	for name in [
		"bt-caller",
		"bt-callee",
		"bt-nonce",
		"bt-request-id",
		"bt-deadline",
		"bt-body-hash",
		"bt-signature",
	] {
		let mut call = forward().without(name);
		call.echo = call.echo.without(name);
		s.before_body(&c, &format!("without {name}"), &call, 400, "missing_field").await;
	}
	let call = forward().set("bt-signature", "");
	s.before_body(&c, "an empty bt-signature", &call, 400, "missing_field").await;

	// 1–2. Headers, malformed: not ASCII, wrong length, not hex, not a decimal u64.
	let caller_hex = hex::encode(me);
	let malformed: Vec<(&str, String)> = vec![
		("bt-caller", caller_hex[..62].to_string()),
		("bt-caller", format!("{caller_hex}00")),
		("bt-caller", format!("{}zz", &caller_hex[..62])),
		("bt-caller", format!("0x{}", &caller_hex[..62])),
		("bt-caller", "é".repeat(32)),
		("bt-callee", format!("{}00", hex::encode(s.callee))),
		("bt-callee", "g".repeat(64)),
		("bt-nonce", "12x".into()),
		("bt-nonce", "-1".into()),
		("bt-nonce", "18446744073709551616".into()),
		("bt-nonce", "1.5".into()),
		("bt-request-id", "ab".repeat(15)),
		("bt-request-id", "ab".repeat(17)),
		("bt-request-id", "zz".repeat(16)),
		("bt-deadline", "soon".into()),
		("bt-deadline", "1e19".into()),
		("bt-body-hash", "ab".repeat(31)),
		("bt-body-hash", "xy".repeat(32)),
		("bt-signature", "ab".repeat(63)),
		("bt-signature", "ab".repeat(65)),
		("bt-signature", "q".repeat(128)),
	];
	for (name, value) in malformed {
		let mut call = forward().set(name, &value);
		call.echo = call.echo.without(name);
		let case = format!("{name}: {value:?}");
		s.before_body(&c, &case, &call, 400, "malformed_field").await;
	}
	// Upper-case hex is accepted (checked in full below, where it is served).

	// The order of the header checks: caller, callee, nonce, request id, deadline, body hash,
	// then signature; each header whole (absent or malformed) before the next.
	let mut call = forward().set("bt-caller", "zz").without("bt-signature");
	call.echo = call.echo.without("bt-caller");
	s.before_body(&c, "malformed caller, no signature", &call, 400, "malformed_field").await;
	let mut call = forward().without("bt-callee").set("bt-nonce", "x");
	call.echo = call.echo.without("bt-nonce");
	s.before_body(&c, "no callee, malformed nonce", &call, 400, "missing_field").await;
	let call = forward().set("bt-deadline", "x").without("bt-body-hash");
	s.before_body(&c, "malformed deadline, no body hash", &call, 400, "malformed_field").await;
	let call = forward().set("bt-callee", &hex::encode(pk(&other))).set("bt-signature", "zz");
	s.before_body(&c, "wrong callee, malformed signature", &call, 400, "malformed_field").await;

	// 3. Callee.
	let call = Call::new(&caller, &pk(&other), FORWARD, body.clone());
	s.before_body(&c, "signed for another callee", &call, 421, "wrong_callee").await;
	let mut signed = Signed::new(FORWARD, &me, &pk(&other), &body);
	signed.deadline = 1;
	let call = Call::signed(&caller, signed, body.clone());
	s.before_body(&c, "wrong callee and passed deadline", &call, 421, "wrong_callee").await;

	// 4. Deadline.
	for (case, deadline) in [("a deadline 1 s ago", now_ns() - S), ("deadline 0", 0)] {
		let mut signed = s.signed(&caller, FORWARD, &body);
		signed.deadline = deadline;
		let call = Call::signed(&caller, signed, body.clone());
		s.before_body(&c, case, &call, 408, "deadline_passed").await;
	}
	let mut signed = s.signed(&caller, FORWARD, &body);
	signed.deadline = now_ns() - S;
	signed.nonce = now_ns() - 60 * S;
	let call = Call::signed(&caller, signed, body.clone());
	s.before_body(&c, "passed deadline and stale nonce", &call, 408, "deadline_passed").await;

	// 5. Nonce window (its edges are in `time_windows_and_timeouts_follow_the_document`).
	for (case, nonce) in [
		("a nonce 11 s old", now_ns() - 11 * S),
		("a nonce 3 s ahead", now_ns() + 3 * S),
		("nonce 1", 1),
	] {
		let mut signed = s.signed(&caller, FORWARD, &body);
		signed.nonce = nonce;
		let call = Call::signed(&caller, signed, body.clone());
		s.before_body(&c, case, &call, 401, "stale_nonce").await;
	}
	let stranger = key(STRANGER);
	let mut signed = s.signed(&stranger, FORWARD, &body);
	signed.nonce = now_ns() + 5 * S;
	let call = Call::signed(&stranger, signed, body.clone());
	s.before_body(&c, "stale nonce from a stranger", &call, 401, "stale_nonce").await;

	// 6. Membership.
	let call = s.call(&stranger, FORWARD, body.clone());
	s.before_body(&c, "an unregistered caller", &call, 403, "not_registered").await;
	let call = s.call(&stranger, FORWARD, vec![0; BODY_LIMIT + 1]);
	s.before_body(&c, "an unregistered caller, too large", &call, 403, "not_registered").await;
	let call = s.call(&key(POOR), FORWARD, body.clone());
	s.before_body(&c, "stake below the minimum", &call, 403, "insufficient_stake").await;
	let call = s.call(&key(EXACT), FORWARD, body.clone());
	s.ok(&c, "stake exactly the minimum", &call).await;

	// 7. Declared size: `max_batch·max_seq·(8 + 4·dim) + 4096`.
	let call = s.call(&caller, FORWARD, vec![0; BODY_LIMIT + 1]);
	s.before_body(&c, "content-length over the limit", &call, 413, "body_too_large").await;
	let call = s.call(&caller, BACKWARD, vec![0; 10 * BODY_LIMIT]);
	s.before_body(&c, "backward, content-length over the limit", &call, 413, "body_too_large")
		.await;
	let call =
		s.call(&caller, FORWARD, vec![0; BODY_LIMIT + 1]).set("bt-signature", &"ab".repeat(64));
	s.before_body(&c, "too large and badly signed", &call, 413, "body_too_large").await;

	// 8. Signature: bound to the chain, the subnet, the endpoint, the key and every field.
	/// A change to what is signed, the headers staying as they were.
	type Change = fn(&mut Signed);
	let variants: Vec<(&str, Change)> = vec![
		("signed for another chain (zero genesis)", |m: &mut Signed| m.genesis = [0; 32]),
		("signed for another chain (one byte off)", |m: &mut Signed| m.genesis[31] ^= 1),
		("signed for another subnet", |m: &mut Signed| m.netuid = NETUID + 1),
		("signed for netuid 0", |m: &mut Signed| m.netuid = 0),
		("signed without a chain (bench scope)", |m: &mut Signed| {
			(m.genesis, m.netuid) = ([0; 32], 0)
		}),
		("signed for /backward, sent to /forward", |m: &mut Signed| m.endpoint = BACKWARD),
		("signed for another deadline", |m: &mut Signed| m.deadline += 1),
		("signed over another body hash", |m: &mut Signed| m.body_hash[0] ^= 1),
		("signed for another request id", |m: &mut Signed| m.request_id[0] ^= 1),
		("signed for another nonce", |m: &mut Signed| m.nonce -= 1),
	];
	for (case, change) in variants {
		let signed = s.signed(&caller, FORWARD, &body);
		let mut wrong = signed;
		change(&mut wrong);
		let signature = hex::encode(caller.sign(&wrong.message()).0);
		let call = Call::unsigned(signed, body.clone()).set("bt-signature", &signature);
		s.before_body(&c, case, &call, 401, "bad_signature").await;
	}
	let signed = s.signed(&caller, FORWARD, &body);
	let call = Call::signed(&other, signed, body.clone());
	s.before_body(&c, "signed by another member", &call, 401, "bad_signature").await;
	let call = forward().set("bt-signature", &"07".repeat(64));
	s.before_body(&c, "64 arbitrary bytes", &call, 401, "bad_signature").await;
	let raw = raw_key();
	let signed = Signed::new(FORWARD, &raw.public.to_bytes(), &s.callee, &body);
	let signature = raw.sign_simple(b"not-substrate", &signed.message()).to_bytes();
	let call = Call::unsigned(signed, body.clone()).set("bt-signature", &hex::encode(signature));
	s.before_body(&c, "signed with another context", &call, 401, "bad_signature").await;
	let signed = Signed::new(FORWARD, &raw.public.to_bytes(), &s.callee, &body);
	let signature = raw.sign_simple(CONTEXT, &signed.message()).to_bytes();
	let call = Call::unsigned(signed, body.clone()).set("bt-signature", &hex::encode(signature));
	s.ok(&c, "a bare schnorrkel key signing with `substrate`", &call).await;

	// "nobody can spend another caller's nonces": a forged call leaves the nonce unused.
	let signed = s.signed(&caller, FORWARD, &body);
	let forged = Call::signed(&other, signed, body.clone());
	s.before_body(&c, "a forged call", &forged, 401, "bad_signature").await;
	let genuine = Call::signed(&caller, signed, body.clone());
	s.ok(&c, "the forged call's nonce, genuinely signed", &genuine).await;

	// 9. Replay: the same call again, and the same nonce with a new signature.
	s.before_body(&c, "the same call again", &genuine, 409, "replayed_nonce").await;
	let again = Call::signed(&caller, signed, body.clone());
	s.before_body(&c, "a used nonce, signed again", &again, 409, "replayed_nonce").await;
	let mut signed = signed;
	let backward_bytes = backward_body(&ids, 2, 5);
	(signed.endpoint, signed.body_hash) = (BACKWARD, hash(&backward_bytes));
	let backward = Call::signed(&caller, signed, backward_bytes);
	s.before_body(&c, "a used nonce on the other endpoint", &backward, 409, "replayed_nonce").await;

	// `expect: 100-continue`: a refused call uploads no body.
	let call = forward().set("bt-signature", &"07".repeat(64)).set("expect", "100-continue");
	if let Some(a) =
		s.before_body(&c, "refused with expect: 100-continue", &call, 401, "bad_signature").await
	{
		c.expect(a.interim.is_empty(), || format!("a refused call got interim {:?}", a.interim));
	}
	c.finish();
}

// ---------------------------------------------------------------------------------------------
// Steps 10–15 and success.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_are_checked_and_good_calls_are_answered() {
	let s = Server::start(|_| {}).await;
	s.ready().await;
	let c = Checks::new();
	let caller = key(CALLER);
	let (b, t) = (2, 5);
	let ids = token_ids(b, t, 3);

	// A forward: `outputs` `[batch, seq, dim]` F32, signed; the connection stays open.
	let first = s.call(&caller, FORWARD, forward_body(&ids, b, t));
	match exchange(s.addr, &first).await {
		Err(e) => c.fail(format!("forward: {e}")),
		Ok((a, mut conn)) => {
			success(&c, "forward", &a, &s.callee, &first.echo);
			check_outputs(&c, "forward", &a.body, &ids, b, t);
			let more = token_ids(b, t, 4);
			let next = s.call(&caller, FORWARD, forward_body(&more, b, t));
			let sent = conn.send_head(&next, next.length()).await.and(conn.send(&next.body).await);
			match (sent, conn.answer().await) {
				(Ok(()), Ok(a)) => {
					success(
						&c,
						"a second forward on the same connection",
						&a,
						&s.callee,
						&next.echo,
					);
					check_outputs(
						&c,
						"a second forward on the same connection",
						&a.body,
						&more,
						b,
						t,
					);
				},
				(sent, answer) => c.fail(format!(
					"a second forward on the same connection: {sent:?} {:?}",
					answer.map(|a| a.describe())
				)),
			}
		},
	}

	// A backward for it: an empty body, whose BLAKE3 the doc gives.
	let empty = between(DOC, "whose BLAKE3 is `", "`").to_string();
	let back = s.call(&caller, BACKWARD, backward_body(&ids, b, t));
	if let Some(a) = s.ok(&c, "backward", &back).await {
		c.expect(a.body.is_empty(), || format!("backward answered a body: {}", a.describe()));
		c.expect(a.header("bt-body-hash") == Some(empty.as_str()), || {
			format!("backward's bt-body-hash is {:?}, not {empty}", a.header("bt-body-hash"))
		});
	}

	// 13a. Not answered.
	let call = s.call(&caller, BACKWARD, backward_body(&ids, b, t));
	s.after_body(&c, "a second backward for one forward", &call, 409, "not_answered").await;
	let call = s.call(&caller, BACKWARD, backward_body(&token_ids(b, t, 9), b, t));
	s.after_body(&c, "a backward with no forward", &call, 409, "not_answered").await;
	let more = token_ids(b, t, 4);
	let call = s.call(&key(OTHER), BACKWARD, backward_body(&more, b, t));
	s.after_body(&c, "a backward for another caller's forward", &call, 409, "not_answered").await;
	let call = s.call(&caller, BACKWARD, backward_body(&more, 1, b * t));
	s.after_body(&c, "a backward for the same ids in another shape", &call, 409, "not_answered")
		.await;
	let call = s.call(&caller, BACKWARD, backward_body(&more, b, t));
	s.ok(&c, "the backward for the second forward", &call).await;

	// Any valid safetensors file: grads before inputs, other padding, `__metadata__`.
	let ids5 = token_ids(b, t, 5);
	let call = s.call(
		&caller,
		FORWARD,
		safetensors_with(&[tokens(&[b, t], &ids5)], Some("{\"format\":\"pt\"}"), None),
	);
	if let Some(a) = s.ok(&c, "a forward with __metadata__", &call).await {
		check_outputs(&c, "a forward with __metadata__", &a.body, &ids5, b, t);
	}
	let reordered = safetensors_with(
		&[floats("grads", &[b, t, DIM], &grads(b, t)), tokens(&[b, t], &ids5)],
		None,
		Some(208),
	);
	s.ok(&c, "a backward with grads first and more padding", &s.call(&caller, BACKWARD, reordered))
		.await;
	let ids12 = token_ids(b, t, 12);
	let unaligned = safetensors_with(&[tokens(&[b, t], &ids12)], None, Some(67));
	s.ok(
		&c,
		"a forward whose header is not a multiple of 8 bytes",
		&s.call(&caller, FORWARD, unaligned),
	)
	.await;

	// The largest call, and a body of exactly the documented limit.
	let big = token_ids(MAX_BATCH, MAX_SEQ, 6);
	let call = s.call(&caller, FORWARD, forward_body(&big, MAX_BATCH, MAX_SEQ));
	if let Some(a) = s.ok(&c, "the largest forward", &call).await {
		check_outputs(&c, "the largest forward", &a.body, &big, MAX_BATCH, MAX_SEQ);
	}
	let data = MAX_BATCH * MAX_SEQ * (8 + 4 * DIM);
	let at_limit = safetensors_with(
		&[
			tokens(&[MAX_BATCH, MAX_SEQ], &big),
			floats("grads", &[MAX_BATCH, MAX_SEQ, DIM], &grads(MAX_BATCH, MAX_SEQ)),
		],
		None,
		Some(BODY_LIMIT - 8 - data),
	);
	assert_eq!(at_limit.len(), BODY_LIMIT);
	s.ok(&c, "a backward body of exactly the limit", &s.call(&caller, BACKWARD, at_limit)).await;

	// A query string is ignored; hex may be upper case.
	let ids7 = token_ids(b, t, 7);
	let call = s.call(&caller, FORWARD, forward_body(&ids7, b, t)).to("POST", "/forward?x=1");
	s.ok(&c, "POST /forward?x=1", &call).await;
	let mut call = s.call(&caller, FORWARD, forward_body(&ids7, b, t));
	for (name, value) in call.headers.iter_mut() {
		if name != "content-type" {
			*value = value.to_ascii_uppercase();
		}
	}
	s.ok(&c, "upper-case hex headers", &call).await;

	// 9. Replay: nonces need to be unused, not increasing; a refusal after the signature
	// spends the nonce.
	let older = s.signed(&caller, FORWARD, &forward_body(&ids7, b, t));
	let newer = s.signed(&caller, FORWARD, &forward_body(&ids7, b, t));
	s.ok(&c, "the newer of two nonces", &Call::signed(&caller, newer, forward_body(&ids7, b, t)))
		.await;
	s.ok(&c, "then the older one", &Call::signed(&caller, older, forward_body(&ids7, b, t))).await;

	// 11. Body hash.
	let body = forward_body(&ids7, b, t);
	let mut signed = s.signed(&caller, FORWARD, &body);
	signed.body_hash = hash(b"another body");
	let call = Call::signed(&caller, signed, body.clone());
	s.after_body(&c, "a body that is not the one hashed", &call, 400, "body_hash_mismatch").await;
	signed.body_hash = hash(&body);
	let retry = Call::signed(&caller, signed, body.clone());
	s.before_body(&c, "the retry of a refused call with its nonce", &retry, 409, "replayed_nonce")
		.await;

	// 12. Decoding: not safetensors, byte ranges that do not match, not exactly the tensors.
	let mut long_header = 1000u64.to_le_bytes().to_vec();
	long_header.extend_from_slice(b"{}");
	let mut bad_json = 8u64.to_le_bytes().to_vec();
	bad_json.extend_from_slice(b"{not js}");
	let malformed: Vec<(&str, u8, Vec<u8>)> = vec![
		("not safetensors", FORWARD, b"not a safetensors file".to_vec()),
		("an empty body", FORWARD, Vec::new()),
		("a header longer than the body", FORWARD, long_header),
		("a header that is not JSON", FORWARD, bad_json),
		(
			"a byte range that does not match the shape",
			FORWARD,
			safetensors(&[tensor("inputs", "I64", &[b, t], vec![0; 72])]),
		),
		("no `inputs`", FORWARD, safetensors(&[tensor("input", "I64", &[b, t], vec![0; 80])])),
		(
			"an extra tensor",
			FORWARD,
			safetensors(&[tokens(&[b, t], &ids7), floats("extra", &[1], &[0.0])]),
		),
		("a backward without grads", BACKWARD, forward_body(&ids7, b, t)),
		(
			"a backward with an extra tensor",
			BACKWARD,
			safetensors(&[
				tokens(&[b, t], &ids7),
				floats("grads", &[b, t, DIM], &grads(b, t)),
				floats("extra", &[1], &[0.0]),
			]),
		),
	];
	for (case, endpoint, body) in malformed {
		let call = s.call(&caller, endpoint, body);
		s.after_body(&c, case, &call, 400, "malformed_body").await;
	}

	// 12–13. Tensors against the schema.
	let n = b * t;
	let mut bad: Vec<(String, u8, Vec<u8>)> = vec![(
		"F32 inputs".into(),
		FORWARD,
		safetensors(&[floats("inputs", &[b, t], &vec![1.0; n])]),
	)];
	for (dtype, size) in [("F16", 2), ("BF16", 2), ("F64", 8), ("I32", 4), ("U8", 1), ("BOOL", 1)] {
		let body = safetensors(&[tensor("inputs", dtype, &[b, t], vec![0; n * size])]);
		bad.push((format!("{dtype} inputs"), FORWARD, body));
	}
	let mut with = |case: &str, shape: &[usize], ids: Vec<i64>| {
		bad.push((case.into(), FORWARD, safetensors(&[tokens(shape, &ids)])));
	};
	with("token id 300", &[1, 3], vec![1, 300, 2]);
	with("token id 256", &[1, 3], vec![1, 256, 2]);
	with("token id -1", &[1, 3], vec![1, -1, 2]);
	with("a batch over the maximum", &[MAX_BATCH + 1, 2], vec![1; (MAX_BATCH + 1) * 2]);
	with("a sequence over the maximum", &[1, MAX_SEQ + 1], vec![1; MAX_SEQ + 1]);
	with("an empty batch", &[0, 4], Vec::new());
	with("an empty sequence", &[2, 0], Vec::new());
	with("rank 1 inputs", &[6], vec![1; 6]);
	with("rank 3 inputs", &[1, 2, 3], vec![1; 6]);
	let ids8 = token_ids(b, t, 8);
	let mut grads_of = |case: &str, grads: Tensor| {
		let body = safetensors(&[tokens(&[b, t], &ids8), grads]);
		bad.push((case.into(), BACKWARD, body));
	};
	grads_of("F64 grads", tensor("grads", "F64", &[b, t, DIM], vec![0; n * DIM * 8]));
	grads_of("I64 grads", tensor("grads", "I64", &[b, t, DIM], vec![0; n * DIM * 8]));
	grads_of("grads of another dim", floats("grads", &[b, t, DIM - 1], &vec![0.0; n * (DIM - 1)]));
	grads_of(
		"grads of another batch",
		floats("grads", &[b + 1, t, DIM], &vec![0.0; (b + 1) * t * DIM]),
	);
	let mut nan = grads(b, t);
	nan[3] = f32::NAN;
	grads_of("NaN grads", floats("grads", &[b, t, DIM], &nan));
	let mut inf = grads(b, t);
	inf[5] = f32::INFINITY;
	grads_of("infinite grads", floats("grads", &[b, t, DIM], &inf));
	let back_f32 = safetensors(&[
		floats("inputs", &[b, t], &vec![1.0; n]),
		floats("grads", &[b, t, DIM], &grads(b, t)),
	]);
	bad.push(("a backward with F32 inputs".into(), BACKWARD, back_f32));
	for (case, endpoint, body) in bad {
		let call = s.call(&caller, endpoint, body);
		s.after_body(&c, &case, &call, 422, "bad_tensor").await;
	}

	// 15. The model: an error, a panic, a wrong shape; the axon serves on.
	for (case, first) in [
		("the model fails", FAILS),
		("the model panics", PANICS),
		("the model misshapes", MISSHAPES),
	] {
		let call = s.call(&caller, FORWARD, forward_body(&[first, 1, 2], 1, 3));
		s.after_body(&c, case, &call, 500, "model_failed").await;
	}
	let call = s.call(&caller, FORWARD, forward_body(&ids7, b, t));
	s.ok(&c, "a forward after the model failed", &call).await;

	// 10. Chunked bodies: under the limit served, over it `body_too_large`.
	let ids9 = token_ids(b, t, 9);
	let call = s.call(&caller, FORWARD, forward_body(&ids9, b, t));
	match chunked(s.addr, &call, 7).await {
		Ok(a) => {
			success(&c, "a chunked forward", &a, &s.callee, &call.echo);
			check_outputs(&c, "a chunked forward", &a.body, &ids9, b, t);
		},
		Err(e) => c.fail(format!("a chunked forward: {e}")),
	}
	let call = s.call(&caller, FORWARD, vec![b' '; BODY_LIMIT + 64]);
	match chunked(s.addr, &call, 1024).await {
		Ok(a) => refusal(
			&c,
			"a chunked body over the limit",
			&a,
			&s.callee,
			&call.echo,
			413,
			"body_too_large",
		),
		Err(e) => c.fail(format!("a chunked body over the limit: {e}")),
	}

	// `expect: 100-continue`: the body is asked for once the checks before it pass.
	let ids10 = token_ids(b, t, 10);
	let call = s.call(&caller, FORWARD, forward_body(&ids10, b, t)).set("expect", "100-continue");
	let mut conn = Conn::open(s.addr).await;
	conn.send_head(&call, call.length()).await.unwrap();
	match conn.interim().await {
		Ok(100) => {
			conn.send(&call.body).await.unwrap();
			match conn.answer().await {
				Ok(a) => {
					success(&c, "a forward with expect: 100-continue", &a, &s.callee, &call.echo);
					check_outputs(&c, "a forward with expect: 100-continue", &a.body, &ids10, b, t);
				},
				Err(e) => c.fail(format!("a forward with expect: 100-continue: {e}")),
			}
		},
		other => c.fail(format!("expect: 100-continue got {other:?}, not 100 Continue")),
	}

	// HTTP/2 with prior knowledge on the same port: answers signed the same way, a refusal
	// ends its stream only.
	let stream = TcpStream::connect(s.addr).await.unwrap();
	let (mut sender, connection) = hyper::client::conn::http2::handshake(
		hyper_util::rt::TokioExecutor::new(),
		hyper_util::rt::TokioIo::new(stream),
	)
	.await
	.expect("HTTP/2 handshake");
	tokio::spawn(connection);
	let call = Call::new(&caller, &pk(&key(OTHER)), FORWARD, forward_body(&ids7, b, t));
	match h2(&mut sender, s.addr, &call).await {
		Ok(a) => {
			refusal(&c, "HTTP/2 wrong_callee", &a, &s.callee, &call.echo, 421, "wrong_callee");
			c.expect(a.header("connection").is_none(), || {
				"HTTP/2 answer with a connection header".into()
			});
		},
		Err(e) => c.fail(format!("HTTP/2 wrong_callee: {e}")),
	}
	let call = s.call(&caller, FORWARD, safetensors(&[tokens(&[1, 3], &[1, 300, 2])]));
	match h2(&mut sender, s.addr, &call).await {
		Ok(a) => {
			refusal(&c, "HTTP/2 bad_tensor", &a, &s.callee, &call.echo, 422, "bad_tensor");
		},
		Err(e) => c.fail(format!("HTTP/2 bad_tensor: {e}")),
	}
	let ids11 = token_ids(b, t, 11);
	let call = s.call(&caller, FORWARD, forward_body(&ids11, b, t));
	match h2(&mut sender, s.addr, &call).await {
		Ok(a) => {
			success(&c, "HTTP/2 forward after two refusals", &a, &s.callee, &call.echo);
			check_outputs(&c, "HTTP/2 forward", &a.body, &ids11, b, t);
		},
		Err(e) => c.fail(format!("HTTP/2 forward after two refusals: {e}")),
	}
	let call = s.call(&caller, BACKWARD, backward_body(&ids11, b, t));
	match h2(&mut sender, s.addr, &call).await {
		Ok(a) => success(&c, "HTTP/2 backward", &a, &s.callee, &call.echo),
		Err(e) => c.fail(format!("HTTP/2 backward: {e}")),
	}
	c.finish();
}

/// Sends `call` with a chunked body of `chunk`-byte chunks; the answer.
async fn chunked(addr: SocketAddr, call: &Call, chunk: usize) -> Result<Answer, String> {
	let mut conn = Conn::open(addr).await;
	conn.send_head(call, Length::Chunked).await.map_err(|e| e.to_string())?;
	for part in call.body.chunks(chunk) {
		let mut framed = format!("{:x}\r\n", part.len()).into_bytes();
		framed.extend_from_slice(part);
		framed.extend_from_slice(b"\r\n");
		if conn.send(&framed).await.is_err() {
			break;
		}
	}
	let _ = conn.send(b"0\r\n\r\n").await;
	conn.answer().await
}

// ---------------------------------------------------------------------------------------------
// 9a. Four requests in flight per caller.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifth_request_in_flight_is_overloaded() {
	let s = Server::start(|_| {}).await;
	s.ready().await;
	let c = Checks::new();
	let busy = key(BUSY);
	let ids = token_ids(1, 4, 2);
	let body = forward_body(&ids, 1, 4);

	// Four calls whose bodies are held back; `100 Continue` says the axon is reading each.
	let mut held = Vec::new();
	for i in 0..4 {
		let call = s.call(&busy, FORWARD, body.clone()).set("expect", "100-continue");
		let mut conn = Conn::open(s.addr).await;
		conn.send_head(&call, call.length()).await.unwrap();
		match conn.interim().await {
			Ok(100) => held.push((conn, call)),
			other => c.fail(format!("held call {i}: got {other:?}, not 100 Continue")),
		}
	}
	let fifth = s.call(&busy, FORWARD, body.clone());
	s.before_body(&c, "a fifth call in flight", &fifth, 503, "overloaded").await;
	let call = s.call(&key(CALLER), FORWARD, body.clone());
	s.ok(&c, "another caller meanwhile", &call).await;
	for (i, (mut conn, call)) in held.into_iter().enumerate() {
		conn.send(&call.body).await.unwrap();
		match conn.answer().await {
			Ok(a) => {
				success(&c, &format!("held call {i}"), &a, &s.callee, &call.echo);
				check_outputs(&c, &format!("held call {i}"), &a.body, &ids, 1, 4);
			},
			Err(e) => c.fail(format!("held call {i}: {e}")),
		}
	}
	let call = s.call(&busy, FORWARD, body.clone());
	s.ok(&c, "the busy caller once its calls are answered", &call).await;
	c.finish();
}

// ---------------------------------------------------------------------------------------------
// 14. Admission: stake first, a full queue sheds the lowest stake, deadlines while waiting.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admission_serves_stake_first_and_drops_expired_waiters() {
	let s = Server::start(|config| {
		config.workers = 1;
		config.queue = 1;
	})
	.await;
	s.ready().await;
	let c = Checks::new();
	let slow = forward_body(&[SLOW, 1, 2, 3], 1, 4);
	let ids = token_ids(1, 4, 1);
	let body = forward_body(&ids, 1, 4);
	let pause = Duration::from_millis(700);

	// A runs (6 s) on the only worker; B (stake 10) waits in the only place.
	let a_call = s.call(&key(MID), FORWARD, slow.clone());
	let a = tokio::spawn(exchange_owned(s.addr, a_call.clone()));
	sleep(pause).await;
	let b_call = s.call(&key(CALLER), FORWARD, body.clone());
	let b = tokio::spawn(exchange_owned(s.addr, b_call.clone()));
	sleep(pause).await;
	// C has less stake than every waiter: refused at once.
	let c_call = s.call(&key(LOW), FORWARD, body.clone());
	s.after_body(&c, "a newcomer with less stake than every waiter", &c_call, 503, "overloaded")
		.await;
	c.expect(!a.is_finished(), || {
		"the slow call ended before the test could queue behind it".into()
	});
	// D has more stake than B: takes its place; B is answered `overloaded`.
	let d_call = s.call(&key(WHALE), FORWARD, body.clone());
	let d = tokio::spawn(exchange_owned(s.addr, d_call.clone()));
	match b.await.unwrap() {
		Ok(answer) => refusal(
			&c,
			"a waiter displaced by more stake",
			&answer,
			&s.callee,
			&b_call.echo,
			503,
			"overloaded",
		),
		Err(e) => c.fail(format!("a waiter displaced by more stake: {e}")),
	}
	c.expect(!a.is_finished(), || {
		"the displaced waiter was answered only after the slow call".into()
	});
	match a.await.unwrap() {
		Ok(answer) => success(&c, "the slow call", &answer, &s.callee, &a_call.echo),
		Err(e) => c.fail(format!("the slow call: {e}")),
	}
	match d.await.unwrap() {
		Ok(answer) => {
			success(&c, "the call with more stake", &answer, &s.callee, &d_call.echo);
			check_outputs(&c, "the call with more stake", &answer.body, &ids, 1, 4);
		},
		Err(e) => c.fail(format!("the call with more stake: {e}")),
	}

	// A waiter whose deadline passes leaves the queue with `deadline_passed`.
	let e_call = s.call(&key(MID), FORWARD, slow.clone());
	let e = tokio::spawn(exchange_owned(s.addr, e_call.clone()));
	sleep(pause).await;
	let mut signed = s.signed(&key(CALLER), FORWARD, &body);
	signed.deadline = now_ns() + ms(1500);
	let f_call = Call::signed(&key(CALLER), signed, body.clone());
	match exchange(s.addr, &f_call).await {
		Ok((answer, _)) => {
			refusal(
				&c,
				"a deadline passing in the queue",
				&answer,
				&s.callee,
				&f_call.echo,
				408,
				"deadline_passed",
			);
			c.expect(!e.is_finished(), || {
				"the expired waiter was answered only after the slow call".into()
			});
		},
		Err(err) => c.fail(format!("a deadline passing in the queue: {err}")),
	}
	match e.await.unwrap() {
		Ok(answer) => success(&c, "the second slow call", &answer, &s.callee, &e_call.echo),
		Err(err) => c.fail(format!("the second slow call: {err}")),
	}
	c.finish();
}

// ---------------------------------------------------------------------------------------------
// The time windows and timeouts, with the documented values (this test takes about 15 s).

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_windows_and_timeouts_follow_the_document() {
	let s = Server::start(|_| {}).await;
	let t0 = s.started_ns;
	let c = Checks::new();
	let ids = token_ids(1, 4, 5);
	let body = forward_body(&ids, 1, 4);
	let n: Vec<Keypair> = N.iter().copied().map(key).collect();
	let at_least = Duration::from_millis(9_500);
	let within = Duration::from_secs(30);

	// A nonce inside the clock window but not later than the start plus 2 s.
	let mut signed = s.signed(&n[0], FORWARD, &body);
	signed.nonce = t0 + ms(1500);
	let call = Call::signed(&n[0], signed, body.clone());
	s.before_body(&c, "a nonce before the start plus 2 s", &call, 401, "stale_nonce").await;

	let half_request = async {
		let mut conn = Conn::open(s.addr).await;
		conn.send(b"POST /forward HTTP/1.1\r\nhost: conformance.test\r\nbt-caller: ")
			.await
			.unwrap();
		let start = Instant::now();
		match conn.closes_within(within).await {
			Ok(()) => c.expect(start.elapsed() >= at_least, || {
				format!("half a request was closed after {:?}, before 10 s", start.elapsed())
			}),
			Err(e) => c.fail(format!("half a request: not closed without an answer: {e}")),
		}
	};
	let silent = async {
		let mut conn = Conn::open(s.addr).await;
		let start = Instant::now();
		match conn.closes_within(within).await {
			Ok(()) => c.expect(start.elapsed() >= at_least, || {
				format!("a silent connection was closed after {:?}, before 10 s", start.elapsed())
			}),
			Err(e) => c.fail(format!("a silent connection: not closed without an answer: {e}")),
		}
	};
	let idle = async {
		s.ready().await;
		let call = s.call(&n[1], FORWARD, body.clone());
		match exchange(s.addr, &call).await {
			Ok((a, mut conn)) => {
				success(&c, "a forward, then idle", &a, &s.callee, &call.echo);
				let start = Instant::now();
				match conn.closes_within(within).await {
					Ok(()) => c.expect(start.elapsed() >= at_least, || {
						format!(
							"an idle connection was closed after {:?}, before 10 s",
							start.elapsed()
						)
					}),
					Err(e) => c.fail(format!("an idle connection: {e}")),
				}
			},
			Err(e) => c.fail(format!("a forward, then idle: {e}")),
		}
	};
	let body_timeout = async {
		s.ready().await;
		let call = s.call(&n[2], FORWARD, body.clone());
		let mut conn = Conn::open(s.addr).await;
		conn.send_head(&call, call.length()).await.unwrap();
		conn.send(&call.body[..20]).await.unwrap();
		let start = Instant::now();
		match conn.answer().await {
			Ok(a) => {
				refusal(
					&c,
					"part of a body, then nothing",
					&a,
					&s.callee,
					&call.echo,
					408,
					"body_timeout",
				);
				c.expect(start.elapsed() >= at_least, || {
					format!("body_timeout after {:?}, before 10 s", start.elapsed())
				});
			},
			Err(e) => c.fail(format!("part of a body, then nothing: {e}")),
		}
	};
	let windows = async {
		let at = t0 + 14 * S;
		sleep(Duration::from_nanos(at.saturating_sub(now_ns()))).await;
		let nonce_at = |key: &Keypair, nonce: u64| {
			let mut signed = s.signed(key, FORWARD, &body);
			signed.nonce = nonce;
			Call::signed(key, signed, body.clone())
		};
		s.ok(&c, "a nonce 9 s old", &nonce_at(&n[3], now_ns() - 9 * S)).await;
		s.before_body(
			&c,
			"a nonce 11 s old",
			&nonce_at(&n[4], now_ns() - 11 * S),
			401,
			"stale_nonce",
		)
		.await;
		s.ok(&c, "a nonce 1.5 s ahead", &nonce_at(&n[0], now_ns() + ms(1500))).await;
		s.before_body(
			&c,
			"a nonce 3 s ahead",
			&nonce_at(&n[5], now_ns() + 3 * S),
			401,
			"stale_nonce",
		)
		.await;
		// The reorder window: unused nonces up to 10 s below the caller's newest.
		let newest = now_ns() + ms(1500);
		s.ok(&c, "a caller's newest nonce", &nonce_at(&n[6], newest)).await;
		let call = nonce_at(&n[6], newest - ms(10_500));
		s.before_body(&c, "a nonce 10.5 s below the newest", &call, 409, "replayed_nonce").await;
		s.ok(&c, "a nonce 9.5 s below the newest", &nonce_at(&n[6], newest - ms(9_500))).await;
		let call = nonce_at(&n[6], newest - ms(9_500));
		s.before_body(&c, "that nonce again", &call, 409, "replayed_nonce").await;
	};
	tokio::join!(half_request, silent, idle, body_timeout, windows);
	c.finish();
}

// ---------------------------------------------------------------------------------------------
// Connections per source.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_32_per_source_are_closed_unanswered() {
	let s = Server::start(|_| {}).await;
	s.ready().await;
	let c = Checks::new();
	let caller = key(CALLER);
	let body = forward_body(&token_ids(1, 4, 1), 1, 4);
	let mut open = Vec::new();
	for _ in 0..32 {
		open.push(TcpStream::connect(s.addr).await.unwrap());
	}
	sleep(Duration::from_millis(500)).await;
	let call = s.call(&caller, FORWARD, body.clone());
	let mut extra = Conn::open(s.addr).await;
	let _ = extra.send_head(&call, call.length()).await;
	let _ = extra.send(&call.body).await;
	if let Err(e) = extra.closes_within(Duration::from_secs(8)).await {
		c.fail(format!("a 33rd connection from one address was not closed unanswered: {e}"));
	}
	// One closes: a new connection is served.
	drop(open.pop());
	let start = Instant::now();
	loop {
		sleep(Duration::from_millis(200)).await;
		let call = s.call(&caller, FORWARD, body.clone());
		match exchange(s.addr, &call).await {
			Ok((a, _)) => {
				success(&c, "a connection once one of 32 closed", &a, &s.callee, &call.echo);
				break;
			},
			Err(e) if start.elapsed() > Duration::from_secs(8) => {
				c.fail(format!("no connection served once one of 32 closed: {e}"));
				break;
			},
			Err(_) => {},
		}
	}
	drop(open);
	c.finish();
}

// ---------------------------------------------------------------------------------------------
// Half precision on the wire.

#[test]
fn this_clients_half_precision_follows_the_documented_rules() {
	let c = Checks::new();
	// A value, its F16 word (to nearest, ties to even, saturating at ±65504), its BF16 word.
	let cases: [(f32, u16, u16); 16] = [
		(1.0, 0x3c00, 0x3f80),
		(-2.5, 0xc100, 0xc020),
		(0.1, 0x2e66, 0x3dcd),
		(65504.0, 0x7bff, 0x4780),
		(65519.0, 0x7bff, 0x4780),
		(65520.0, 0x7bff, 0x4780),
		(-1.0e6, 0xfbff, 0xc974),
		(1.0 + 1.0 / 256.0, 0x3c04, 0x3f80),
		(1.0 + 3.0 / 256.0, 0x3c0c, 0x3f82),
		(1.0 + 1.0 / 2048.0, 0x3c00, 0x3f80),
		(1.0 + 3.0 / 2048.0, 0x3c02, 0x3f80),
		(1.0e-6, 0x0011, 0x3586),
		(3.0e-8, 0x0001, 0x3301),
		(pow2(-25), 0x0000, 0x3300),
		(1.0e30, 0x7bff, 0x714a),
		(-0.0, 0x8000, 0x8000),
	];
	for (x, want_f16, want_bf16) in cases {
		c.expect(f16_bits(x) == want_f16, || {
			format!("{x} as F16 is {:04x}, not {want_f16:04x}", f16_bits(x))
		});
		c.expect(bf16_bits(x) == want_bf16, || {
			format!("{x} as BF16 is {:04x}, not {want_bf16:04x}", bf16_bits(x))
		});
	}
	// F16 decoding: subnormals, the smallest normal, the largest finite, infinity, NaN.
	let decoded: [(u16, f32); 6] = [
		(0x0001, pow2(-24)),
		(0x03ff, 1023.0 * pow2(-24)),
		(0x0400, pow2(-14)),
		(0x7bff, 65504.0),
		(0xfbff, -65504.0),
		(0x7c00, f32::INFINITY),
	];
	for (word, want) in decoded {
		c.expect(from_f16(word) == want, || {
			format!("F16 {word:04x} decodes to {}, not {want}", from_f16(word))
		});
	}
	c.expect(from_f16(0x7e00).is_nan() && from_bf16(0x7fc0).is_nan(), || {
		"F16 7e00 or BF16 7fc0 is not NaN".into()
	});
	c.expect(from_bf16(0x7f80) == f32::INFINITY, || "BF16 7f80 is not infinity".into());
	// "every F16 and BF16 value is an F32 value": each finite word converts back to itself.
	let mut lost = Vec::new();
	for word in 0..=u16::MAX {
		let (half, brain) = (from_f16(word), from_bf16(word));
		if half.is_finite() && f16_bits(half) != word {
			lost.push(format!("F16 {word:04x}"));
		}
		if brain.is_finite() && bf16_bits(brain) != word {
			lost.push(format!("BF16 {word:04x}"));
		}
	}
	c.expect(lost.is_empty(), || {
		format!(
			"{} words do not convert back to themselves: {:?}",
			lost.len(),
			&lost[..lost.len().min(4)]
		)
	});
	c.finish();
}

#[test]
fn the_half_precision_worked_example_is_what_this_client_reads_and_builds() {
	let c = Checks::new();
	let values: [f32; 4] = [1.0, -2.5, 0.1, 65504.0];
	// The dtype, where the doc's body follows, its length, its header length, its words and
	// the values they are.
	#[allow(clippy::type_complexity)]
	let examples: [(&str, &str, usize, u64, [u16; 4], [f32; 4]); 2] = [
		(
			"BF16",
			"Worked example: a `[1, 2, 2]` answer",
			88,
			72,
			[0x3f80, 0xc020, 0x3dcd, 0x4780],
			[1.0, -2.5, f32::from_bits(0x3dcd_0000), 65536.0], // 0.10009765625
		),
		(
			"F16",
			"As `F16` the body is 80 bytes",
			80,
			64,
			[0x3c00, 0xc100, 0x2e66, 0x7bff],
			[1.0, -2.5, f32::from_bits(0x3dcc_c000), 65504.0], // 0.0999755859375
		),
	];
	for (dtype, marker, len, header_len, want_words, want_values) in examples {
		let doc = squeezed(&block_after(marker));
		let body = match hex::decode(&doc) {
			Ok(body) => body,
			Err(e) => {
				c.fail(format!("the doc's {dtype} example is not hex: {e}"));
				continue;
			},
		};
		c.expect(body.len() == len, || {
			format!("the doc's {dtype} example is {} bytes, not {len}", body.len())
		});
		c.expect(body.len() >= 8 && body[..8] == header_len.to_le_bytes(), || {
			format!("the doc's {dtype} example does not start with the header length {header_len}")
		});
		match parse_safetensors(&body) {
			Err(e) => c.fail(format!("the doc's {dtype} example is not safetensors: {e}")),
			Ok(tensors) => {
				let names: Vec<&str> = tensors.iter().map(|t| t.name.as_str()).collect();
				c.expect(names == ["outputs"], || {
					format!("the doc's {dtype} example holds {names:?}, not exactly `outputs`")
				});
				if let Some(t) = tensors.first() {
					c.expect(t.dtype == dtype && t.shape == [1, 2, 2] && t.data.len() == 8, || {
						format!(
							"the doc's {dtype} example is {} {:?} in {} bytes, not {dtype} [1, 2, \
							 2] in 8",
							t.dtype,
							t.shape,
							t.data.len()
						)
					});
					c.expect(words(&t.data) == want_words, || {
						format!(
							"the doc's {dtype} words are {:04x?}, not {want_words:04x?}",
							words(&t.data)
						)
					});
					let got = decode_as(dtype, &t.data);
					let bits: Vec<u32> = got.iter().map(|x| x.to_bits()).collect();
					c.expect(bits == want_values.map(f32::to_bits), || {
						format!("the doc's {dtype} values decode to {got:?}, not {want_values:?}")
					});
				}
			},
		}
		// This client's own rounding of the four values builds the same bytes.
		let built = safetensors(&[tensor("outputs", dtype, &[1, 2, 2], encode_as(dtype, &values))]);
		c.expect(hex::encode(&built) == doc, || {
			format!("the {dtype} example differs:\n built {}\n doc   {doc}", hex::encode(&built))
		});
	}
	c.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_travel_in_the_wire_dtype_rounded_as_documented() {
	let c = Checks::new();
	let caller = key(CALLER);
	let (b, t) = (2, 5);
	// One axon for each wire dtype; the last keeps the default, F32.
	let mut servers = Vec::new();
	for (dtype, wire) in
		[("BF16", Some(ServerDType::BF16)), ("F16", Some(ServerDType::F16)), ("F32", None)]
	{
		let server = Server::start(|config| {
			if let Some(wire) = wire {
				config.wire_dtype = wire;
			}
		})
		.await;
		servers.push((dtype, server));
	}
	for (dtype, s) in &servers {
		s.ready().await;
		// The toy's rows, which every type holds exactly.
		let ids = token_ids(b, t, 13);
		let case = format!("a forward answered in {dtype}");
		let call = s.call(&caller, FORWARD, forward_body(&ids, b, t));
		if let Some(a) = s.ok(&c, &case, &call).await {
			check_answer_as(&c, &case, &a.body, dtype, &toy_values(&ids, t), [b, t, DIM]);
			if *dtype == "F32" {
				check_outputs(
					&c,
					"a forward from an axon with the default wire dtype",
					&a.body,
					&ids,
					b,
					t,
				);
			}
		}
		// Values the half types round, tie, flush or saturate.
		let mut uneven = token_ids(2, 3, 14);
		uneven[0] = UNEVEN;
		let case = format!("values to round, answered in {dtype}");
		let call = s.call(&caller, FORWARD, forward_body(&uneven, 2, 3));
		if let Some(a) = s.ok(&c, &case, &call).await {
			check_answer_as(&c, &case, &a.body, dtype, &toy_values(&uneven, 3), [2, 3, DIM]);
		}
	}
	c.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gradients_are_taken_in_each_float_type_and_others_refused() {
	let s = Server::start(|config| config.wire_dtype = ServerDType::BF16).await;
	s.ready().await;
	let c = Checks::new();
	let caller = key(CALLER);
	let (b, t) = (2, 5);
	let shape = [b, t, DIM];
	let empty = between(DOC, "whose BLAKE3 is `", "`").to_string();

	// An answered forward, then gradients for it that are refused (step 13, before 13a).
	let ids = token_ids(b, t, 21);
	let case = "a forward from a BF16 axon";
	if let Some(a) = s.ok(&c, case, &s.call(&caller, FORWARD, forward_body(&ids, b, t))).await {
		check_answer_as(&c, case, &a.body, "BF16", &toy_values(&ids, t), shape);
	}
	let with = |g: Tensor| safetensors(&[tokens(&[b, t], &ids), g]);
	// Grads in `dtype` with their fourth element replaced by `word`.
	let with_word = |dtype: &str, word: u16| {
		let mut data = encode_as(dtype, &grads(b, t));
		data[6..8].copy_from_slice(&word.to_le_bytes());
		with(tensor("grads", dtype, &shape, data))
	};
	let f64s: Vec<u8> = grads(b, t).iter().flat_map(|&x| f64::from(x).to_le_bytes()).collect();
	let narrow = encode_as("BF16", &vec![0.5; b * t * (DIM - 1)]);
	let bad = [
		("F64 grads", with(tensor("grads", "F64", &shape, f64s))),
		("BF16 grads holding a NaN (7fc0)", with_word("BF16", 0x7fc0)),
		("BF16 grads holding infinity (7f80)", with_word("BF16", 0x7f80)),
		("F16 grads holding a NaN (7e00)", with_word("F16", 0x7e00)),
		("F16 grads holding minus infinity (fc00)", with_word("F16", 0xfc00)),
		("BF16 grads of another dim", with(tensor("grads", "BF16", &[b, t, DIM - 1], narrow))),
	];
	for (case, body) in bad {
		let call = s.call(&caller, BACKWARD, body);
		s.after_body(&c, case, &call, 422, "bad_tensor").await;
	}
	// "2 bytes an element for `F16`/`BF16`": BF16 grads in F32's byte ranges.
	let wide = with(tensor("grads", "BF16", &shape, encode_as("F32", &grads(b, t))));
	let call = s.call(&caller, BACKWARD, wide);
	s.after_body(&c, "BF16 grads of 4 bytes an element", &call, 400, "malformed_body").await;

	// Each float type is taken, whatever the axon answers in: BF16 for the answer above (the
	// refused gradients took nothing), F16 and F32 for answers of their own.
	let mut answered = vec![("BF16", ids.clone())];
	for (dtype, salt) in [("F16", 22), ("F32", 23)] {
		let ids = token_ids(b, t, salt);
		let case = format!("a forward to give {dtype} gradients for");
		s.ok(&c, &case, &s.call(&caller, FORWARD, forward_body(&ids, b, t))).await;
		answered.push((dtype, ids));
	}
	for (dtype, ids) in &answered {
		let body = safetensors(&[
			tokens(&[b, t], ids),
			tensor("grads", dtype, &shape, encode_as(dtype, &grads(b, t))),
		]);
		let case = format!("{dtype} grads");
		if let Some(a) = s.ok(&c, &case, &s.call(&caller, BACKWARD, body)).await {
			c.expect(a.body.is_empty(), || format!("{case}: answered a body: {}", a.describe()));
			c.expect(a.header("bt-body-hash") == Some(empty.as_str()), || {
				format!("{case}: bt-body-hash is {:?}, not {empty}", a.header("bt-body-hash"))
			});
		}
	}
	// Taken once.
	let body = safetensors(&[
		tokens(&[b, t], &ids),
		tensor("grads", "BF16", &shape, encode_as("BF16", &grads(b, t))),
	]);
	let call = s.call(&caller, BACKWARD, body);
	s.after_body(&c, "BF16 grads again for the same answer", &call, 409, "not_answered").await;
	c.finish();
}

//! The axon and the dendrite over real loopback sockets: every refusal with its status, reason
//! and counter; replays refused across a restart; overload shedding the lowest stakes; slow and
//! half-open clients; forged, dead and slow peers seen by the dendrite.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::{
	client::legacy::{connect::HttpConnector, Client},
	rt::TokioExecutor,
};
use neuron_client::serve::{
	axon::{Axon, AxonConfig, Limits, Model, Running, Schema},
	dendrite::{self, outputs_or_zeros, Dendrite, DendriteConfig, Failure, Target},
	metrics::Metrics,
	protocol::{
		self, body_hash, names, now_nanos, Endpoint, Hotkey, Reason, RequestHead, ResponseHead,
		Scope, Signer,
	},
	tensor::{self, Tensor},
	view::{Member, SharedView, SubnetView},
};
use std::{
	str::FromStr,
	sync::{atomic::AtomicU64, Arc},
	time::{Duration, Instant},
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const DIM: usize = 4;

fn signer(uri: &str) -> Signer {
	let uri = subxt_signer::SecretUri::from_str(uri).unwrap();
	Signer::new(&subxt_signer::sr25519::Keypair::from_uri(&uri).unwrap())
}

/// Token t at position p answers [t, p, 0, 1] / 256; backward counts calls; optionally slow.
struct Toy {
	delay: Duration,
	backwards: std::sync::atomic::AtomicUsize,
}

impl Model for Toy {
	fn forward(&self, _: &Member, inputs: Tensor) -> Result<Tensor, String> {
		std::thread::sleep(self.delay);
		let ids = inputs.as_i64().ok_or("not tokens")?;
		let (b, t) = (inputs.shape[0], inputs.shape[1]);
		let mut out = Vec::with_capacity(b * t * DIM);
		for (i, &id) in ids.iter().enumerate() {
			out.extend([id as f32 / 256.0, (i % t) as f32 / 256.0, 0.0, 1.0 / 256.0]);
		}
		Tensor::f32(vec![b, t, DIM], out).ok_or_else(|| "shape".into())
	}
	fn backward(&self, _: &Member, _: Tensor, _: Tensor) -> Result<(), String> {
		self.backwards.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
		Ok(())
	}
}

struct Net {
	axon_key: Signer,
	axon: Arc<Axon>,
	running: Running,
	toy: Arc<Toy>,
	view: SharedView,
}

/// Callers: //caller (stake 10), //poor (stake 1); the axon wants at least 5.
fn members(axon: &Signer) -> Vec<Member> {
	vec![
		Member { uid: 0, hotkey: axon.hotkey(), stake: 100, axon: None },
		Member { uid: 1, hotkey: signer("//caller").hotkey(), stake: 10, axon: None },
		Member { uid: 2, hotkey: signer("//poor").hotkey(), stake: 1, axon: None },
		Member { uid: 3, hotkey: signer("//whale").hotkey(), stake: 1000, axon: None },
	]
}

fn config() -> AxonConfig {
	let mut config = AxonConfig::new(Schema::tokens(DIM, 8, 32));
	config.min_stake = 5;
	config.max_clock_skew = Duration::from_millis(200);
	// These tests send many refused calls from 127.0.0.1 on purpose; the budget has its own.
	config.refusals_per_second = f64::INFINITY;
	config.limits = Limits {
		header_timeout: Duration::from_millis(600),
		body_timeout: Duration::from_millis(600),
		max_connections: 64,
		max_connections_per_ip: 16,
	};
	config
}

async fn start_with(config: AxonConfig, delay: Duration) -> Net {
	let axon_key = signer("//axon");
	let view = SharedView::new(SubnetView::new(1, members(&axon_key)));
	let toy = Arc::new(Toy { delay, backwards: Default::default() });
	let axon =
		Axon::new(axon_key.clone(), view.clone(), toy.clone(), config, Arc::new(Metrics::new()));
	let running = axon.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
	// Let the nonce floor (start + skew) pass.
	tokio::time::sleep(Duration::from_millis(250)).await;
	Net { axon_key, axon, running, toy, view }
}

async fn start() -> Net {
	start_with(config(), Duration::ZERO).await
}

fn tokens(b: usize, t: usize) -> Tensor {
	Tensor::i64(vec![b, t], (0..(b * t) as i64).map(|i| i % 256).collect()).unwrap()
}

/// A request as the protocol describes it.
struct Raw {
	method: &'static str,
	path: String,
	headers: Vec<(&'static str, String)>,
	body: Vec<u8>,
}

/// A request by `caller`: `change` edits the head before it is signed, `spoil` after (so the
/// signature no longer matches).
fn build(
	caller: &Signer,
	callee: Hotkey,
	endpoint: Endpoint,
	body: Vec<u8>,
	change: impl FnOnce(&mut RequestHead),
	spoil: impl FnOnce(&mut RequestHead),
) -> Raw {
	let mut head = RequestHead {
		endpoint,
		scope: Scope::default(),
		caller: caller.hotkey(),
		callee,
		nonce: now_nanos(),
		request_id: [7; 16],
		deadline: now_nanos() + 5_000_000_000,
		body_hash: body_hash(&body),
	};
	change(&mut head);
	let signature = caller.sign(&head.message());
	spoil(&mut head);
	Raw {
		method: "POST",
		path: endpoint.path().into(),
		headers: vec![
			(protocol::CALLER, head.caller.to_string()),
			(protocol::CALLEE, head.callee.to_string()),
			(protocol::NONCE, head.nonce.to_string()),
			(protocol::REQUEST_ID, hex::encode(head.request_id)),
			(protocol::DEADLINE, head.deadline.to_string()),
			(protocol::BODY_HASH, hex::encode(head.body_hash)),
			(protocol::SIGNATURE, hex::encode(signature)),
		],
		body,
	}
}

/// A correctly signed request, after `change`.
fn signed(
	caller: &Signer,
	callee: Hotkey,
	endpoint: Endpoint,
	body: Vec<u8>,
	change: impl FnOnce(&mut RequestHead),
) -> Raw {
	build(caller, callee, endpoint, body, change, |_| {})
}

/// A signed request changed after signing by `spoil`.
fn raw(
	caller: &Signer,
	callee: Hotkey,
	endpoint: Endpoint,
	body: Vec<u8>,
	spoil: impl FnOnce(&mut RequestHead),
) -> Raw {
	build(caller, callee, endpoint, body, |_| {}, spoil)
}

struct Reply {
	status: u16,
	reason: Option<String>,
	/// The answer says the connection closes after it.
	closes: bool,
	body: Bytes,
}

/// Sends `request` to the axon as it is, on a new connection.
async fn post(net: &Net, request: &Raw) -> hyper::Response<hyper::body::Incoming> {
	let client: Client<HttpConnector, Full<Bytes>> =
		Client::builder(TokioExecutor::new()).build(HttpConnector::new());
	let mut builder = hyper::Request::builder()
		.method(request.method)
		.uri(format!("http://{}{}", net.running.addr, request.path));
	for (name, value) in &request.headers {
		builder = builder.header(*name, value);
	}
	client
		.request(builder.body(Full::new(Bytes::from(request.body.clone()))).unwrap())
		.await
		.unwrap()
}

async fn send(net: &Net, request: &Raw) -> Reply {
	let response = post(net, request).await;
	let status = response.status().as_u16();
	let reason = response.headers().get(protocol::REASON).map(|v| v.to_str().unwrap().to_string());
	let closes = response
		.headers()
		.get(hyper::header::CONNECTION)
		.is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
	let signature = response
		.headers()
		.get(protocol::SIGNATURE)
		.and_then(|v| protocol::parse_hex::<64>(v.to_str().ok()?))
		.expect("every answer, refusals included, is signed by the axon");
	let body = response.into_body().collect().await.unwrap().to_bytes();
	// Signed over what this request said (zeros for what it did not say or what does not
	// parse), as the caller rebuilds it, whatever the path, method or refusal.
	let sent = |name: &str| request.headers.iter().find(|(n, _)| *n == name).map(|h| h.1.as_str());
	let head = ResponseHead {
		endpoint: [Endpoint::Forward, Endpoint::Backward]
			.into_iter()
			.find(|e| e.path() == request.path),
		callee: net.axon_key.hotkey(),
		caller: sent(protocol::CALLER).and_then(|v| Hotkey::from_str(v).ok()).unwrap_or_default(),
		nonce: sent(protocol::NONCE).and_then(|v| v.parse().ok()).unwrap_or(0),
		request_id: sent(protocol::REQUEST_ID)
			.and_then(protocol::parse_hex::<16>)
			.unwrap_or_default(),
		status,
		body_hash: body_hash(&body),
	};
	assert!(
		protocol::verify(&net.axon_key.hotkey(), &head.message(), &signature),
		"the answer ({status} {reason:?}) is not signed over this request"
	);
	Reply { status, reason, closes, body }
}

fn forward_body(t: &Tensor) -> Vec<u8> {
	tensor::encode(&[(names::INPUTS, t)])
}

async fn expect(net: &Net, request: Raw, reason: Reason, needle: &str) {
	let before = net.axon.metrics().refused(reason);
	let reply = send(net, &request).await;
	let text = String::from_utf8_lossy(&reply.body).to_string();
	assert_eq!(reply.status, reason.status(), "{reason}: {text}");
	assert_eq!(reply.reason.as_deref(), Some(reason.code()), "{text}");
	assert!(text.contains(needle), "{reason}: expected `{needle}` in `{text}`");
	assert_eq!(net.axon.metrics().refused(reason), before + 1, "{reason} is counted");
}

#[tokio::test]
async fn a_signed_call_is_answered_and_verified() {
	let net = start().await;
	let dendrite = Dendrite::new(signer("//caller"), DendriteConfig::default());
	let target = Target { uid: 0, hotkey: net.axon_key.hotkey(), addr: net.running.addr };
	let inputs = tokens(2, 3);
	let answers = dendrite.forward(std::slice::from_ref(&target), &inputs, DIM).await;
	let out = answers[0].result.as_ref().unwrap();
	assert_eq!(out.shape, vec![2, 3, DIM]);
	assert_eq!(out.as_f32().unwrap()[4..8], [1.0 / 256.0, 1.0 / 256.0, 0.0, 1.0 / 256.0]);
	let grads = Tensor::f32(vec![2, 3, DIM], vec![0.5; 24]).unwrap();
	let acks = dendrite.backward(&[target], &inputs, &[grads]).await;
	acks[0].result.as_ref().unwrap();
	assert_eq!(net.toy.backwards.load(std::sync::atomic::Ordering::SeqCst), 1);
	// HTTP/2 (cleartext, prior knowledge) works too.
	let h2 =
		Dendrite::new(signer("//caller"), DendriteConfig { http2: true, ..Default::default() });
	let target = Target { uid: 0, hotkey: net.axon_key.hotkey(), addr: net.running.addr };
	assert!(h2.forward(&[target], &inputs, DIM).await[0].result.is_ok());
	let metrics = net.axon.metrics().render();
	assert!(
		metrics.contains("axon_requests_total{endpoint=\"forward\",status=\"200\"} 2"),
		"{metrics}"
	);
	assert!(metrics.contains("axon_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn every_bad_request_is_refused_with_its_reason_and_counted() {
	let net = start().await;
	let caller = signer("//caller");
	let me = net.axon_key.hotkey();
	let body = forward_body(&tokens(1, 4));
	let fwd = Endpoint::Forward;

	// Signed for another subnet, or another chain, of the same hotkey: the signature covers
	// the scope the axon serves.
	let netuid_2 = signed(&caller, me, fwd, body.clone(), |h| h.scope.netuid = 2);
	expect(&net, netuid_2, Reason::BadSignature, "signature").await;
	let testnet = signed(&caller, me, fwd, body.clone(), |h| h.scope.genesis = [0x42; 32]);
	expect(&net, testnet, Reason::BadSignature, "signature").await;
	// Unsigned: no signature header, or an empty one (never served as anonymous).
	let mut r = signed(&caller, me, fwd, body.clone(), |_| {});
	r.headers.retain(|(n, _)| *n != protocol::SIGNATURE);
	expect(&net, r, Reason::MissingField, "not signed").await;
	let mut r = signed(&caller, me, fwd, body.clone(), |_| {});
	r.headers.iter_mut().filter(|(n, _)| *n == protocol::SIGNATURE).for_each(|h| h.1.clear());
	expect(&net, r, Reason::MissingField, "not signed").await;
	// Missing and malformed fields.
	let mut r = signed(&caller, me, fwd, body.clone(), |_| {});
	r.headers.retain(|(n, _)| *n != protocol::NONCE);
	expect(&net, r, Reason::MissingField, "bt-nonce").await;
	let mut r = signed(&caller, me, fwd, body.clone(), |_| {});
	r.headers.iter_mut().filter(|(n, _)| *n == protocol::CALLER).for_each(|h| h.1 = "zz".into());
	expect(&net, r, Reason::MalformedField, "bt-caller").await;
	// Signed by someone else than the hotkey it claims (e.g. a validator's).
	let forged = raw(&signer("//mallory"), me, fwd, body.clone(), |h| h.caller = caller.hotkey());
	expect(&net, forged, Reason::BadSignature, "signature").await;
	// A signed field changed on the way.
	let tampered = raw(&caller, me, fwd, body.clone(), |h| h.deadline += 1);
	expect(&net, tampered, Reason::BadSignature, "signature").await;
	// Addressed to another hotkey.
	let other = signed(&caller, signer("//elsewhere").hotkey(), fwd, body.clone(), |_| {});
	expect(&net, other, Reason::WrongCallee, "not").await;
	// Nonces: too old, too far ahead, replayed.
	let old = signed(&caller, me, fwd, body.clone(), |h| h.nonce -= 60_000_000_000);
	expect(&net, old, Reason::StaleNonce, "old").await;
	let ahead = signed(&caller, me, fwd, body.clone(), |h| h.nonce += 60_000_000_000);
	expect(&net, ahead, Reason::StaleNonce, "future").await;
	let once = signed(&caller, me, fwd, body.clone(), |_| {});
	assert_eq!(send(&net, &once).await.status, 200);
	let used: u64 =
		once.headers.iter().find(|(n, _)| *n == protocol::NONCE).unwrap().1.parse().unwrap();
	expect(&net, once, Reason::ReplayedNonce, "already used").await;
	// Calls in flight may arrive out of order: an unused nonce just below the last is fine…
	let reordered = signed(&caller, me, fwd, body.clone(), |h| h.nonce = used - 1);
	assert_eq!(send(&net, &reordered).await.status, 200);
	// …a re-signed copy of an accepted call with the same nonce is not.
	let resigned = signed(&caller, me, fwd, forward_body(&tokens(1, 2)), |h| h.nonce = used);
	expect(&net, resigned, Reason::ReplayedNonce, "already used").await;
	// Not registered; registered with too little stake.
	let stranger = signed(&signer("//stranger"), me, fwd, body.clone(), |_| {});
	expect(&net, stranger, Reason::NotRegistered, "not registered in subnet 1").await;
	let poor = signed(&signer("//poor"), me, fwd, body.clone(), |_| {});
	expect(&net, poor, Reason::InsufficientStake, "at least 5").await;
	// Past its deadline.
	let late = signed(&caller, me, fwd, body.clone(), |h| h.deadline = now_nanos() - 1_000_000);
	expect(&net, late, Reason::DeadlinePassed, "deadline").await;
	// Body that does not match its hash; body that is not safetensors.
	let swapped = signed(&caller, me, fwd, body.clone(), |h| h.body_hash = [9; 32]);
	expect(&net, swapped, Reason::BodyHashMismatch, "BLAKE3").await;
	let junk = signed(&caller, me, fwd, b"not tensors".to_vec(), |_| {});
	expect(&net, junk, Reason::MalformedBody, "safetensors").await;
	// Wrong dtype (one of the two exchanged, or any other), rank, shape, token range.
	let floats = Tensor::f32(vec![1, 4], vec![0.0; 4]).unwrap();
	let r = signed(&caller, me, fwd, forward_body(&floats), |_| {});
	expect(&net, r, Reason::BadTensor, "dtype F32").await;
	let header = br#"{"inputs":{"dtype":"F16","shape":[1,4],"data_offsets":[0,8]}}"#;
	let mut half = (header.len() as u64).to_le_bytes().to_vec();
	half.extend_from_slice(header);
	half.extend_from_slice(&[0; 8]);
	let r = signed(&caller, me, fwd, half, |_| {});
	expect(&net, r, Reason::BadTensor, "dtype F16").await;
	let rank3 = Tensor::i64(vec![1, 2, 2], vec![0; 4]).unwrap();
	let r = signed(&caller, me, fwd, forward_body(&rank3), |_| {});
	expect(&net, r, Reason::BadTensor, "rank 3").await;
	let r = signed(&caller, me, fwd, forward_body(&tokens(9, 4)), |_| {});
	expect(&net, r, Reason::BadTensor, "batch must be").await;
	let big_id = Tensor::i64(vec![1, 1], vec![300]).unwrap();
	let r = signed(&caller, me, fwd, forward_body(&big_id), |_| {});
	expect(&net, r, Reason::BadTensor, "token id 300").await;
	// Gradients of the wrong shape, or with NaN / infinity.
	let inputs = tokens(1, 4);
	let bad = Tensor::f32(vec![1, 4, DIM + 1], vec![0.0; 4 * (DIM + 1)]).unwrap();
	let body = tensor::encode(&[(names::INPUTS, &inputs), (names::GRADS, &bad)]);
	let r = signed(&caller, me, Endpoint::Backward, body, |_| {});
	expect(&net, r, Reason::BadTensor, "grads have shape").await;
	for poison in [f32::NAN, f32::INFINITY] {
		let mut g = vec![0.1; 4 * DIM];
		g[3] = poison;
		let nan = Tensor::f32(vec![1, 4, DIM], g).unwrap();
		let body = tensor::encode(&[(names::INPUTS, &inputs), (names::GRADS, &nan)]);
		let r = signed(&caller, me, Endpoint::Backward, body, |_| {});
		expect(&net, r, Reason::BadTensor, "NaN or infinity").await;
	}
	// A well-formed gradient for inputs this axon never answered the caller.
	let fine = Tensor::f32(vec![1, 4, DIM], vec![0.1; 4 * DIM]).unwrap();
	let unseen = Tensor::i64(vec![1, 4], vec![9, 9, 9, 9]).unwrap();
	let body = tensor::encode(&[(names::INPUTS, &unseen), (names::GRADS, &fine)]);
	let r = signed(&caller, me, Endpoint::Backward, body, |_| {});
	expect(&net, r, Reason::NotAnswered, "no forward answer").await;
	assert_eq!(
		net.toy.backwards.load(std::sync::atomic::Ordering::SeqCst),
		0,
		"nothing reached the model"
	);
	// No such endpoint, or not its method: signed refusals over the request's own caller,
	// nonce and id (checked in `send`), without reading the body.
	let mut r = signed(&caller, me, fwd, vec![], |_| {});
	r.path = "/admin".into();
	expect(&net, r, Reason::UnknownEndpoint, "/admin").await;
	let mut r = signed(&caller, me, fwd, forward_body(&tokens(1, 4)), |_| {});
	r.method = "GET";
	expect(&net, r, Reason::MethodNotAllowed, "takes POST, not GET").await;
	let mut r = signed(&caller, me, Endpoint::Backward, vec![], |_| {});
	r.method = "PUT";
	expect(&net, r, Reason::MethodNotAllowed, "/backward takes POST").await;
	// A refusal sent before the body is read says that the connection closes after it; one
	// sent after the body was read keeps the connection.
	let early = raw(&caller, me, fwd, forward_body(&tokens(1, 4)), |h| h.deadline += 1);
	let reply = send(&net, &early).await;
	assert_eq!((reply.status, reply.closes), (401, true));
	let late = signed(&caller, me, fwd, forward_body(&big_id), |_| {});
	let reply = send(&net, &late).await;
	assert_eq!((reply.status, reply.closes), (422, false));
	// The axon still serves.
	let ok = signed(&caller, me, fwd, forward_body(&tokens(1, 4)), |_| {});
	assert_eq!(send(&net, &ok).await.status, 200);
	let metrics = net.axon.metrics().render();
	assert!(metrics.contains("axon_refusals_total{reason=\"bad_tensor\"} 9"), "{metrics}");
}

/// Reads until the server answers or closes, with a limit.
async fn read_reply(stream: &mut tokio::net::TcpStream, within: Duration) -> String {
	let mut buf = vec![0u8; 8192];
	let mut text = String::new();
	let _ = tokio::time::timeout(within, async {
		loop {
			match stream.read(&mut buf).await {
				Ok(0) | Err(_) => break,
				Ok(n) => {
					text.push_str(&String::from_utf8_lossy(&buf[..n]));
					if text.contains("\r\n\r\n") {
						break;
					}
				},
			}
		}
	})
	.await;
	text
}

fn head_text(request: &Raw, content_length: u64) -> String {
	let mut text = format!(
		"POST {} HTTP/1.1\r\nhost: x\r\ncontent-length: {content_length}\r\n",
		request.path
	);
	for (name, value) in &request.headers {
		text.push_str(&format!("{name}: {value}\r\n"));
	}
	text.push_str("\r\n");
	text
}

#[tokio::test]
async fn oversized_bodies_are_refused_before_they_are_read() {
	let net = start().await;
	let caller = signer("//caller");
	let request = signed(&caller, net.axon_key.hotkey(), Endpoint::Forward, vec![], |_| {});
	let mut stream = tokio::net::TcpStream::connect(net.running.addr).await.unwrap();
	// Declares 1 GB and sends none of it: the refusal must come without waiting for the body.
	stream.write_all(head_text(&request, 1_000_000_000).as_bytes()).await.unwrap();
	let started = Instant::now();
	let reply = read_reply(&mut stream, Duration::from_secs(5)).await;
	assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
	assert!(reply.contains("bt-reason: body_too_large"), "{reply}");
	assert!(started.elapsed() < Duration::from_millis(500));
	// A chunked body with no length is cut off at the limit while streaming.
	let limit = config().max_body_bytes;
	let big = vec![0u8; limit + 10];
	let request = signed(&caller, net.axon_key.hotkey(), Endpoint::Forward, big.clone(), |_| {});
	let mut stream = tokio::net::TcpStream::connect(net.running.addr).await.unwrap();
	let mut text =
		"POST /forward HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n".to_string();
	for (name, value) in &request.headers {
		text.push_str(&format!("{name}: {value}\r\n"));
	}
	text.push_str("\r\n");
	stream.write_all(text.as_bytes()).await.unwrap();
	stream.write_all(format!("{:x}\r\n", big.len()).as_bytes()).await.unwrap();
	let _ = stream.write_all(&big).await;
	let _ = stream.write_all(b"\r\n0\r\n\r\n").await;
	let reply = read_reply(&mut stream, Duration::from_secs(5)).await;
	assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
	assert_eq!(net.axon.metrics().refused(Reason::BodyTooLarge), 2);
}

#[tokio::test]
async fn slow_and_half_open_clients_do_not_hold_the_axon() {
	let net = start().await;
	let caller = signer("//caller");
	// Half-open: a connection that sends half a request line and then nothing.
	let mut idle = tokio::net::TcpStream::connect(net.running.addr).await.unwrap();
	idle.write_all(b"POST /forward HTTP/1.1\r\nhost: x\r\n").await.unwrap();
	// Slow body: a valid signed head, then 10 of its 100 body bytes.
	let body = vec![1u8; 100];
	let request = signed(&caller, net.axon_key.hotkey(), Endpoint::Forward, body.clone(), |_| {});
	let mut slow = tokio::net::TcpStream::connect(net.running.addr).await.unwrap();
	slow.write_all(head_text(&request, 100).as_bytes()).await.unwrap();
	slow.write_all(&body[..10]).await.unwrap();
	// Meanwhile honest calls are served at once.
	let dendrite = Dendrite::new(caller.clone(), DendriteConfig::default());
	let target = Target { uid: 0, hotkey: net.axon_key.hotkey(), addr: net.running.addr };
	for _ in 0..5 {
		let started = Instant::now();
		assert!(dendrite.forward(std::slice::from_ref(&target), &tokens(1, 2), DIM).await[0]
			.result
			.is_ok());
		assert!(started.elapsed() < Duration::from_millis(300));
	}
	// The slow body is refused after the body timeout; the idle connection is closed.
	let reply = read_reply(&mut slow, Duration::from_secs(3)).await;
	assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
	assert!(reply.contains("bt-reason: body_timeout"), "{reply}");
	let started = Instant::now();
	let mut buf = [0u8; 256];
	let closed = tokio::time::timeout(Duration::from_secs(3), async {
		loop {
			match idle.read(&mut buf).await {
				Ok(0) | Err(_) => return,
				Ok(_) => continue,
			}
		}
	})
	.await;
	assert!(closed.is_ok(), "the half-open connection was not closed");
	assert!(started.elapsed() < Duration::from_secs(3));
}

/// Opens a TCP connection to `addr` from the local address `from` (a loopback alias such as
/// 127.0.0.2 stands for another host).
async fn connect_from(
	from: &str,
	addr: std::net::SocketAddr,
) -> std::io::Result<tokio::net::TcpStream> {
	let socket = tokio::net::TcpSocket::new_v4()?;
	socket.bind(format!("{from}:0").parse().unwrap())?;
	socket.connect(addr).await
}

/// Sends `request` from local address `from` on a fresh connection; what came back within 5 s
/// (empty when the connection was closed unanswered).
async fn reply_from(net: &Net, from: &str, request: &Raw) -> String {
	let mut stream = connect_from(from, net.running.addr).await.unwrap();
	let _ = stream.write_all(head_text(request, request.body.len() as u64).as_bytes()).await;
	let _ = stream.write_all(&request.body).await;
	read_reply(&mut stream, Duration::from_secs(5)).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_idle_and_half_open_connections_does_not_lock_the_axon() {
	// Before: 1,100 idle connections held every one of the axon's slots for as long as they
	// stayed open. Now each host holds at most its share, and a connection that does not say
	// which protocol it speaks within the header timeout is closed.
	let net = start().await;
	let caller = signer("//caller");
	let target = Target { uid: 0, hotkey: net.axon_key.hotkey(), addr: net.running.addr };

	// 2,000 connections from another host (127.0.0.2): four in five send nothing, one in five
	// half of the HTTP/2 preface. The axon allows 64 connections in all, 16 per host.
	let mut flood = Vec::new();
	for i in 0..2000 {
		let Ok(mut stream) = connect_from("127.0.0.2", net.running.addr).await else { continue };
		if i % 5 == 0 {
			let _ = stream.write_all(b"PRI * HTTP/2").await;
		}
		flood.push(stream);
	}
	assert!(flood.len() >= 1900, "only {} connections opened", flood.len());

	// While the attacker holds them (and keeps opening more), every honest call from this host
	// is answered within 1 s.
	let attacker = tokio::spawn({
		let addr = net.running.addr;
		async move {
			let mut more = Vec::new();
			for _ in 0..20 {
				for _ in 0..50 {
					if let Ok(stream) = connect_from("127.0.0.2", addr).await {
						more.push(stream);
					}
				}
				tokio::time::sleep(Duration::from_millis(100)).await;
			}
			more.len()
		}
	});
	let mut slowest = Duration::ZERO;
	for _ in 0..20 {
		// A fresh dendrite each time: a new connection, as a peer that just started makes.
		let dendrite = Dendrite::new(caller.clone(), DendriteConfig::default());
		let started = Instant::now();
		let answer = dendrite.forward(std::slice::from_ref(&target), &tokens(1, 2), DIM).await;
		assert!(answer[0].result.is_ok(), "{:?}", answer[0].result);
		slowest = slowest.max(started.elapsed());
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	eprintln!("slowest honest call during the flood: {slowest:?}");
	assert!(slowest < Duration::from_secs(1), "an honest call took {slowest:?}");
	assert!(attacker.await.unwrap() > 500);

	// The flood's connections are all closed by the axon: the ones over the host's share at
	// once, the rest after the header timeout (600 ms here).
	let mut open = 0;
	let mut buf = [0u8; 64];
	for stream in &mut flood {
		match tokio::time::timeout(Duration::from_millis(50), stream.read(&mut buf)).await {
			Ok(Ok(0)) | Ok(Err(_)) => {},
			_ => open += 1,
		}
	}
	assert_eq!(open, 0, "{open} flood connections still open");
}

#[tokio::test]
async fn replays_stay_refused_after_a_restart() {
	let first = start().await;
	let caller = signer("//caller");
	let request = signed(
		&caller,
		first.axon_key.hotkey(),
		Endpoint::Forward,
		forward_body(&tokens(1, 3)),
		|_| {},
	);
	assert_eq!(send(&first, &request).await.status, 200);
	let addr = first.running.addr;
	first.running.stop().await;
	// The same hotkey, restarted on the same port with no memory of past nonces.
	let axon_key = signer("//axon");
	let view = SharedView::new(SubnetView::new(1, members(&axon_key)));
	let toy = Arc::new(Toy { delay: Duration::ZERO, backwards: Default::default() });
	let axon =
		Axon::new(axon_key.clone(), view.clone(), toy.clone(), config(), Arc::new(Metrics::new()));
	let running = axon.start(addr).await.unwrap();
	let second = Net { axon_key, axon, running, toy, view };
	expect(&second, request, Reason::StaleNonce, "predates this axon's start").await;
	// New calls are served once the restart is more than the allowed clock skew ago.
	tokio::time::sleep(Duration::from_millis(250)).await;
	let fresh = signed(
		&caller,
		second.axon_key.hotkey(),
		Endpoint::Forward,
		forward_body(&tokens(1, 3)),
		|_| {},
	);
	assert_eq!(send(&second, &fresh).await.status, 200);
}

#[tokio::test]
async fn under_overload_the_lowest_stakes_are_shed_first() {
	let mut config = config();
	config.min_stake = 0;
	config.workers = 1;
	config.queue = 2;
	// Arrivals 300 ms apart and a 3 s model: the order below holds even when other tests
	// load the machine and delay a task by a few hundred milliseconds.
	let net = start_with(config, Duration::from_millis(3000)).await;
	let target = Target { uid: 0, hotkey: net.axon_key.hotkey(), addr: net.running.addr };
	let call = |uri: &'static str, after: u64| {
		let target = target.clone();
		tokio::spawn(async move {
			tokio::time::sleep(Duration::from_millis(after)).await;
			let patient = DendriteConfig { timeout: Duration::from_secs(30), ..Default::default() };
			let d = Dendrite::new(signer(uri), patient);
			d.forward(&[target], &tokens(1, 2), DIM).await.remove(0).result
		})
	};
	// One low-stake call runs, two low-stake calls fill the queue, then two whales arrive.
	let low: Vec<_> = [0, 300, 600, 900].into_iter().map(|t| call("//poor", t)).collect();
	let high: Vec<_> = [1300, 1600].into_iter().map(|t| call("//whale", t)).collect();
	for h in high {
		h.await.unwrap().expect("higher-stake callers are served");
	}
	let mut shed = 0;
	for l in low {
		if let Err(Failure::Refused { status, reason, .. }) = l.await.unwrap() {
			assert_eq!((status, reason), (503, Some(Reason::Overloaded)));
			shed += 1;
		}
	}
	// The one running call finished; of the three that waited or came, three were shed in
	// favour of the whales or for lack of room.
	assert_eq!(shed, 3);
	assert_eq!(net.axon.metrics().refused(Reason::Overloaded), 3);
}

/// A server that answers like an axon but signs with the wrong key (or not at all).
async fn impostor(sign_with: Option<Signer>, delay: Duration) -> std::net::SocketAddr {
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let addr = listener.local_addr().unwrap();
	let router = axum::Router::new().fallback(move |headers: axum::http::HeaderMap| {
		let sign_with = sign_with.clone();
		async move {
			tokio::time::sleep(delay).await;
			let get = |n: &str| headers.get(n).unwrap().to_str().unwrap().to_string();
			let outputs = Tensor::zeros_f32(vec![1, 2, DIM]);
			let body = tensor::encode(&[(names::OUTPUTS, &outputs)]);
			let mut response = axum::response::Response::new(axum::body::Body::from(body.clone()));
			if let Some(key) = sign_with {
				let head = protocol::ResponseHead {
					endpoint: Some(Endpoint::Forward),
					callee: key.hotkey(),
					caller: Hotkey::from_str(&get(protocol::CALLER)).unwrap(),
					nonce: get(protocol::NONCE).parse().unwrap(),
					request_id: protocol::parse_hex(&get(protocol::REQUEST_ID)).unwrap(),
					status: 200,
					body_hash: body_hash(&body),
				};
				let sig = hex::encode(key.sign(&head.message()));
				response.headers_mut().insert(protocol::SIGNATURE, sig.parse().unwrap());
			}
			response
		}
	});
	tokio::spawn(neuron_client::serve::http::serve_router(
		listener,
		router,
		Limits::default(),
		None,
	));
	addr
}

#[tokio::test]
async fn a_source_that_is_refused_too_often_is_throttled_and_others_are_still_served() {
	let mut config = config();
	config.refusals_per_second = 0.5;
	config.refusal_burst = 5.0;
	let net = start_with(config, Duration::ZERO).await;
	let (caller, me) = (signer("//caller"), net.axon_key.hotkey());
	// Registered, below the axon's minimum stake.
	let poor = signer("//poor");
	// From 127.0.0.1: five signed refusals, then `throttled` at once, unsigned.
	let mut answers = Vec::new();
	for _ in 0..8 {
		let r = signed(&poor, me, Endpoint::Forward, forward_body(&tokens(1, 4)), |_| {});
		let response = post(&net, &r).await;
		let reason =
			response.headers().get(protocol::REASON).map(|v| v.to_str().unwrap().to_string());
		let signed = response.headers().contains_key(protocol::SIGNATURE);
		answers.push((response.status().as_u16(), reason, signed));
	}
	let refused = (403, Some("insufficient_stake".to_string()), true);
	let throttled = (429, Some("throttled".to_string()), false);
	assert_eq!(answers[..5], vec![refused.clone(); 5]);
	assert_eq!(answers[5..], vec![throttled.clone(); 3]);
	assert_eq!(net.axon.metrics().refused(Reason::Throttled), 3);
	// A good call from the throttled address waits for the budget too…
	let good = signed(&caller, me, Endpoint::Forward, forward_body(&tokens(1, 4)), |_| {});
	assert_eq!(post(&net, &good).await.status().as_u16(), 429);
	// …while a peer at another address is served at once.
	let ok = signed(&caller, me, Endpoint::Forward, forward_body(&tokens(1, 4)), |_| {});
	let reply = reply_from(&net, "127.0.0.2", &ok).await;
	assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
	// Its throttled answers are a budget too: the fifth is the last…
	let more = signed(&caller, me, Endpoint::Forward, forward_body(&tokens(1, 4)), |_| {});
	assert_eq!(post(&net, &more).await.status().as_u16(), 429);
	assert_eq!(net.axon.metrics().refused(Reason::Throttled), 5);
	// …then its connections are closed as soon as they are accepted, unanswered…
	for _ in 0..3 {
		let reply = reply_from(&net, "127.0.0.1", &more).await;
		assert_eq!(reply, "", "a flooding source is not answered");
	}
	assert_eq!(net.axon.metrics().refused(Reason::Throttled), 5);
	// …while the other address is still served.
	let ok = signed(&caller, me, Endpoint::Forward, forward_body(&tokens(1, 4)), |_| {});
	let reply = reply_from(&net, "127.0.0.2", &ok).await;
	assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
	// Two seconds later both budgets have refilled by one: 127.0.0.1 is served again.
	tokio::time::sleep(Duration::from_millis(2100)).await;
	let again = signed(&caller, me, Endpoint::Forward, forward_body(&tokens(1, 4)), |_| {});
	assert_eq!(send(&net, &again).await.status, 200);
}

/// A peer that accepts connections and reads requests but never answers.
async fn tarpit() -> std::net::SocketAddr {
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let addr = listener.local_addr().unwrap();
	tokio::spawn(async move {
		let mut held = Vec::new();
		while let Ok((mut stream, _)) = listener.accept().await {
			let mut sink = [0u8; 4096];
			let _ = stream.read(&mut sink).await;
			held.push(stream);
		}
	});
	addr
}

#[tokio::test]
async fn a_tarpit_peer_costs_a_round_the_straggler_cut_not_the_timeout() {
	let net = start().await;
	let honest = |uid| Target { uid, hotkey: net.axon_key.hotkey(), addr: net.running.addr };
	let stuck = Target { uid: 9, hotkey: signer("//tarpit").hotkey(), addr: tarpit().await };
	let targets = [honest(0), honest(1), stuck, honest(2)];
	let timeout = Duration::from_secs(3);
	let round = |stragglers| {
		let dendrite = Dendrite::new(
			signer("//caller"),
			DendriteConfig { timeout, stragglers, ..Default::default() },
		);
		let targets = targets.clone();
		async move {
			let started = Instant::now();
			let answers = dendrite.forward(&targets, &tokens(1, 2), DIM).await;
			(started.elapsed(), answers)
		}
	};
	// Before: each round waited for the tarpit until the timeout.
	let (waited, answers) = round(None).await;
	assert!(waited >= timeout, "{waited:?}");
	assert_eq!(answers[2].result, Err(Failure::Timeout));
	// Now: once half the peers have answered (in a few ms), the others get 4× that, at
	// least 500 ms.
	let policy = dendrite::Stragglers::default();
	for _ in 0..3 {
		let (took, answers) = round(Some(policy)).await;
		eprintln!("a round with a tarpit peer took {took:?}");
		assert!(took >= policy.floor && took < policy.floor * 2, "{took:?}");
		for i in [0, 1, 3] {
			assert!(answers[i].result.is_ok(), "honest peer {i}: {:?}", answers[i].result);
		}
		assert_eq!(answers[2].result, Err(Failure::Timeout));
		assert_eq!(answers.iter().map(|a| a.uid).collect::<Vec<_>>(), [0, 1, 9, 2]);
	}
}

#[tokio::test]
async fn the_dendrite_reports_each_failure_and_still_gets_the_good_answers() {
	let net = start().await;
	let caller = signer("//caller");
	let dendrite = Dendrite::new(
		caller,
		DendriteConfig { timeout: Duration::from_millis(400), ..Default::default() },
	);
	let good = Target { uid: 0, hotkey: net.axon_key.hotkey(), addr: net.running.addr };
	// A forger at an address the chain lists for //honest, signing with its own key.
	let forger = Target {
		uid: 1,
		hotkey: signer("//honest").hotkey(),
		addr: impostor(Some(signer("//forger")), Duration::ZERO).await,
	};
	let unsigned = Target {
		uid: 2,
		hotkey: signer("//honest").hotkey(),
		addr: impostor(None, Duration::ZERO).await,
	};
	let dead = {
		let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
		let addr = l.local_addr().unwrap();
		drop(l);
		Target { uid: 3, hotkey: signer("//dead").hotkey(), addr }
	};
	let slow_key = signer("//slow");
	let slow = Target {
		uid: 4,
		hotkey: slow_key.hotkey(),
		addr: impostor(Some(slow_key), Duration::from_secs(3)).await,
	};
	let refusing = Target { uid: 5, hotkey: signer("//someone").hotkey(), addr: net.running.addr };
	let targets = [good, forger, unsigned, dead, slow, refusing];
	let started = Instant::now();
	let answers = dendrite.forward(&targets, &tokens(1, 2), DIM).await;
	assert!(started.elapsed() < Duration::from_millis(1500), "peers are queried concurrently");
	assert!(answers[0].result.is_ok());
	assert!(matches!(answers[1].result, Err(Failure::BadSignature(_))), "{:?}", answers[1].result);
	assert!(matches!(answers[2].result, Err(Failure::Malformed(_))), "{:?}", answers[2].result);
	assert!(matches!(answers[3].result, Err(Failure::Unreachable(_))), "{:?}", answers[3].result);
	assert_eq!(answers[4].result, Err(Failure::Timeout));
	// A real axon, but not the hotkey the chain lists at that address: it refuses with
	// `wrong_callee`, and that refusal is signed by a key the caller does not expect.
	assert!(matches!(answers[5].result, Err(Failure::BadSignature(_))), "{:?}", answers[5].result);
	assert_eq!(net.axon.metrics().refused(Reason::WrongCallee), 1);
	let uids: Vec<u16> = answers.iter().map(|a| a.uid).collect();
	assert_eq!(uids, [0, 1, 2, 3, 4, 5]);
	// The model gets a tensor per peer: the answer, or zeros.
	let mixed = outputs_or_zeros(&answers, &[1, 2, DIM]);
	assert_eq!(mixed.len(), 6);
	assert!(mixed[0].as_f32().unwrap().iter().any(|&v| v != 0.0));
	assert!(mixed[1..].iter().all(|t| t.as_f32().unwrap().iter().all(|&v| v == 0.0)));
}

#[tokio::test]
async fn metrics_are_served_over_http() {
	let net = start().await;
	let (addr, _task) =
		net.axon.metrics().clone().serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
	let stranger =
		signed(&signer("//stranger"), net.axon_key.hotkey(), Endpoint::Forward, vec![], |_| {});
	send(&net, &stranger).await;
	let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
	stream
		.write_all(b"GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
		.await
		.unwrap();
	let mut text = String::new();
	stream.read_to_string(&mut text).await.unwrap();
	assert!(text.contains("axon_refusals_total{reason=\"not_registered\"} 1"), "{text}");
	assert!(text.contains("axon_bytes_out_total"));
	// The view can change under a running axon: registering the stranger lets it in.
	let mut members = members(&net.axon_key);
	members.push(Member { uid: 4, hotkey: signer("//stranger").hotkey(), stake: 50, axon: None });
	net.view.set(SubnetView::new(1, members));
	let again = signed(
		&signer("//stranger"),
		net.axon_key.hotkey(),
		Endpoint::Forward,
		forward_body(&tokens(1, 1)),
		|_| {},
	);
	assert_eq!(send(&net, &again).await.status, 200);
}

/// This process's resident memory, in bytes (Linux).
fn rss_bytes() -> u64 {
	let status = std::fs::read_to_string("/proc/self/status").unwrap();
	let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
	line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

/// Samples [`rss_bytes`] every 5 ms until `stop` is set; the highest figure seen.
fn watch_peak_rss(stop: Arc<std::sync::atomic::AtomicBool>) -> std::thread::JoinHandle<u64> {
	std::thread::spawn(move || {
		let mut peak = 0;
		while !stop.load(std::sync::atomic::Ordering::Relaxed) {
			peak = peak.max(rss_bytes());
			std::thread::sleep(Duration::from_millis(5));
		}
		peak
	})
}

/// A fake axon that answers every request with `size` bytes of garbage, announced with a
/// `content-length` or (if `declare` is false) streamed chunked; counts the bytes it got out.
async fn flooding_axon(size: u64, declare: bool) -> (std::net::SocketAddr, Arc<AtomicU64>) {
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let addr = listener.local_addr().unwrap();
	let sent = Arc::new(AtomicU64::new(0));
	let counter = sent.clone();
	tokio::spawn(async move {
		while let Ok((mut stream, _)) = listener.accept().await {
			let counter = counter.clone();
			tokio::spawn(async move {
				let mut request = Vec::new();
				let mut buf = [0u8; 4096];
				while !request.windows(4).any(|w| w == b"\r\n\r\n") {
					match stream.read(&mut buf).await {
						Ok(0) | Err(_) => return,
						Ok(n) => request.extend_from_slice(&buf[..n]),
					}
				}
				let head = if declare {
					format!("HTTP/1.1 200 OK\r\ncontent-length: {size}\r\n\r\n")
				} else {
					"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_string()
				};
				if stream.write_all(head.as_bytes()).await.is_err() {
					return;
				}
				let chunk = vec![0x5a_u8; 1 << 20];
				let mut left = size;
				while left > 0 {
					let n = left.min(chunk.len() as u64) as usize;
					let framed = if declare {
						stream.write_all(&chunk[..n]).await
					} else {
						let mut frame = format!("{n:x}\r\n").into_bytes();
						frame.extend_from_slice(&chunk[..n]);
						frame.extend_from_slice(b"\r\n");
						stream.write_all(&frame).await
					};
					if framed.is_err() {
						return;
					}
					counter.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
					left -= n as u64;
				}
			});
		}
	});
	(addr, sent)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_answer_is_dropped_before_it_fills_the_callers_memory() {
	// Before: the dendrite read up to 256 MiB of any answer before checking its signature, so
	// one fake axon sending 240 MB pushed honest neurons from ~360 MB to ~1 GB. Now it reads
	// at most what an answer to the request can take (the outputs plus 16 KiB).
	let net = start().await;
	let caller = signer("//caller");
	let dendrite = Dendrite::new(caller, DendriteConfig::default());
	let good = Target { uid: 0, hotkey: net.axon_key.hotkey(), addr: net.running.addr };
	const SIZE: u64 = 240 << 20;
	let (declared, declared_sent) = flooding_axon(SIZE, true).await;
	let (chunked, chunked_sent) = flooding_axon(SIZE, false).await;
	let liar = signer("//liar").hotkey();
	let targets = [
		good,
		Target { uid: 1, hotkey: liar, addr: declared },
		Target { uid: 2, hotkey: liar, addr: chunked },
	];
	// Warm up (connection pools, allocator), then measure.
	let _ = dendrite.forward(&targets[..1], &tokens(1, 2), DIM).await;
	let idle = rss_bytes();
	let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
	let peak = watch_peak_rss(stop.clone());
	for _ in 0..4 {
		let answers = dendrite.forward(&targets, &tokens(1, 2), DIM).await;
		assert!(answers[0].result.is_ok(), "{:?}", answers[0].result);
		for answer in &answers[1..] {
			match &answer.result {
				Err(Failure::Malformed(why)) => {
					assert!(why.contains("bytes"), "{why}");
				},
				other => panic!("uid {}: {other:?}", answer.uid),
			}
		}
	}
	stop.store(true, std::sync::atomic::Ordering::Relaxed);
	let peak = peak.join().unwrap();
	let (declared_sent, chunked_sent) = (
		declared_sent.load(std::sync::atomic::Ordering::Relaxed),
		chunked_sent.load(std::sync::atomic::Ordering::Relaxed),
	);
	eprintln!(
		"idle {} MB, peak {} MB; the fake axons got out {} MB (declared) and {} MB (chunked) \
		 of 4 × {} MB",
		idle >> 20,
		peak >> 20,
		declared_sent >> 20,
		chunked_sent >> 20,
		SIZE >> 20
	);
	// This test process idles at ~12 MB, so the bound is absolute: 32 MB of growth, against the
	// 240 MB of one answer read whole (a real neuron idles at ~360 MB: 1.5× of it is 180 MB).
	assert!(peak < idle + (32 << 20), "memory grew from {idle} to {peak} bytes");
	// What the fakes could push is what the kernel's socket buffers take, not the answer.
	assert!(declared_sent < 4 * SIZE / 8, "{declared_sent} bytes were taken in");
	assert!(chunked_sent < 4 * SIZE / 8, "{chunked_sent} bytes were taken in");
}

#[tokio::test(flavor = "multi_thread")]
async fn unfinished_bodies_from_one_caller_hold_a_few_buffers_not_hundreds() {
	// Before: 400 signed requests, each missing its last byte, took a neuron from 140 MB to
	// 960 MB in 3 s (every body buffered until the body timeout). Now a caller has at most
	// `max_requests_per_caller` (4) requests in flight; the rest are refused `overloaded`
	// before a byte of their body is read, and honest callers keep being served.
	const BODY: usize = 2 << 20;
	let mut config = config();
	config.max_body_bytes = BODY + 1024;
	// Room for 64 such bodies in all, so that the per-caller share is what stops this flood.
	config.max_body_bytes_in_flight = 64 * config.max_body_bytes;
	config.limits.body_timeout = Duration::from_secs(6);
	config.limits.max_connections = 1024;
	let net = start_with(config, Duration::ZERO).await;
	let caller = signer("//caller");
	let honest = Target { uid: 3, hotkey: net.axon_key.hotkey(), addr: net.running.addr };
	let whale = Dendrite::new(signer("//whale"), DendriteConfig::default());
	let _ = whale.forward(std::slice::from_ref(&honest), &tokens(1, 2), DIM).await;
	let idle = rss_bytes();
	let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
	let peak = watch_peak_rss(stop.clone());

	// 200 connections from 50 other hosts (127.0.0.2–51, 4 each, under the per-host cap),
	// each a distinct signed request whose 2 MiB body stops one byte short.
	let body = vec![0x11_u8; BODY];
	let mut flood = Vec::new();
	for i in 0..200u32 {
		let request =
			signed(&caller, net.axon_key.hotkey(), Endpoint::Forward, body.clone(), |h| {
				h.nonce = now_nanos() + u64::from(i);
				h.request_id = [i as u8; 16];
			});
		let from = format!("127.0.0.{}", 2 + i % 50);
		let Ok(mut stream) = connect_from(&from, net.running.addr).await else { continue };
		// A refused request's connection may stop reading: give up on writing after a while.
		let _ = tokio::time::timeout(Duration::from_secs(2), async {
			stream.write_all(head_text(&request, body.len() as u64).as_bytes()).await?;
			stream.write_all(&body[..BODY - 1]).await
		})
		.await;
		flood.push(stream);
	}
	assert!(flood.len() >= 190, "only {} connections", flood.len());

	// Honest calls while the attacker's bodies hang.
	let mut slowest = Duration::ZERO;
	for _ in 0..10 {
		let started = Instant::now();
		let answer = whale.forward(std::slice::from_ref(&honest), &tokens(1, 2), DIM).await;
		assert!(answer[0].result.is_ok(), "{:?}", answer[0].result);
		slowest = slowest.max(started.elapsed());
	}
	stop.store(true, std::sync::atomic::Ordering::Relaxed);
	let peak = peak.join().unwrap();
	let refused = net.axon.metrics().refused(Reason::Overloaded);
	eprintln!(
		"idle {} MB, peak {} MB during 200 unfinished 2 MiB bodies; {refused} refused \
		 overloaded; slowest honest call {slowest:?}",
		idle >> 20,
		peak >> 20
	);
	assert!(slowest < Duration::from_secs(1), "an honest call took {slowest:?}");
	assert!(refused >= 186, "only {refused} of the flood's requests were refused");
	assert_eq!(net.axon.metrics().refused(Reason::BodyTimeout), 0, "four bodies are still held");
	// Four buffers of 2 MiB may be held; 200 would be 400 MiB.
	assert!(peak < idle + (32 << 20), "memory grew from {idle} to {peak} bytes");
	drop(flood);
}

//! The dendrite: the client through which a neuron queries its peers' axons, many at once,
//! each with its own timeout, over pooled keep-alive connections. Every answer's signature is
//! checked against the hotkey the chain lists for that axon. A peer that fails gives a
//! recorded [`Failure`] (and zeros, for the model), never an error for the whole batch.

use super::{
	protocol::{
		self, body_hash, names, now_nanos, parse_hex, Endpoint, Hotkey, Reason, RequestHead,
		ResponseHead, Scope, Signer,
	},
	tensor::{self, DType, Tensor},
};
use bytes::Bytes;
use futures::{stream::FuturesUnordered, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::{header::HeaderValue, Request};
use hyper_util::{
	client::legacy::{connect::HttpConnector, Client},
	rt::TokioExecutor,
};
use std::{
	fmt,
	net::SocketAddr,
	sync::atomic::{AtomicU64, Ordering},
	time::{Duration, Instant},
};

/// A peer to query: its uid, the hotkey the chain lists for it, and its axon's address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
	/// Its uid.
	pub uid: u16,
	/// Its hotkey; its answers must be signed by it.
	pub hotkey: Hotkey,
	/// Its axon.
	pub addr: SocketAddr,
}

/// Why a peer gave no usable answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
	/// No answer within the timeout.
	Timeout,
	/// The axon refused: its status, its `bt-reason` and its message.
	Refused {
		/// HTTP status.
		status: u16,
		/// The reason, if the axon named a known one.
		reason: Option<Reason>,
		/// The axon's message.
		message: String,
	},
	/// No connection could be made.
	Unreachable(String),
	/// The answer is not signed by the peer's hotkey.
	BadSignature(String),
	/// The answer is signed but unusable (missing headers, not decodable, wrong shape).
	Malformed(String),
}

impl Failure {
	/// A short name for metrics and logs.
	pub fn kind(&self) -> &'static str {
		match self {
			Failure::Timeout => "timeout",
			Failure::Refused { .. } => "refused",
			Failure::Unreachable(_) => "unreachable",
			Failure::BadSignature(_) => "bad_signature",
			Failure::Malformed(_) => "malformed",
		}
	}
}

impl fmt::Display for Failure {
	fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
		match self {
			Failure::Timeout => f.write_str("timed out"),
			Failure::Refused { status, message, .. } => write!(f, "refused ({status}): {message}"),
			Failure::Unreachable(why) => write!(f, "unreachable: {why}"),
			Failure::BadSignature(why) => write!(f, "bad signature: {why}"),
			Failure::Malformed(why) => write!(f, "malformed answer: {why}"),
		}
	}
}

/// One peer's answer.
#[derive(Debug)]
pub struct Answer<T> {
	/// The peer's uid.
	pub uid: u16,
	/// What it answered.
	pub result: Result<T, Failure>,
	/// From sending to the verified answer (or the failure).
	pub latency: Duration,
	/// The type a forward answer travelled in (the serving neuron's choice; the tensor in
	/// `result` is F32 whatever it was), so that its gradient can go back in the same type.
	/// `None` for a failure or a backward call.
	pub wire: Option<DType>,
}

/// A dendrite's settings.
#[derive(Clone, Debug)]
pub struct DendriteConfig {
	/// Longest wait for one peer's answer.
	pub timeout: Duration,
	/// Speak cleartext HTTP/2 (prior knowledge) instead of HTTP/1.1.
	pub http2: bool,
	/// Largest answer body read, whatever the request. Each call also has its own bound,
	/// what a well-formed answer to it can take (the expected outputs plus
	/// [`ANSWER_OVERHEAD`]), so a peer cannot make the dendrite hold more than that.
	pub max_response_bytes: usize,
	/// The chain and subnet it calls in (signed into every request; see [`Scope`]).
	pub scope: Scope,
	/// When a round stops waiting for its slowest peers (`None`: wait for each up to
	/// `timeout`).
	pub stragglers: Option<Stragglers>,
}

/// The round's deadline policy: once enough peers have answered to show how fast an answer
/// comes, the others get a few times that long, not the whole timeout. One peer that holds its
/// calls open (a tarpit) then costs each round a fraction of a second instead of `timeout`;
/// honest peers answer within a few times each other's latency. Peers still out at the cut
/// are reported as [`Failure::Timeout`] and their calls dropped.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stragglers {
	/// Share of the peers asked whose good answers set the pace (0.5: the median peer).
	pub quorum: f64,
	/// The others get this many times the pace, counted from the start of the round…
	pub factor: f64,
	/// …and never less than this.
	pub floor: Duration,
}

impl Default for Stragglers {
	fn default() -> Self {
		Self { quorum: 0.5, factor: 4.0, floor: Duration::from_millis(500) }
	}
}

impl Stragglers {
	/// How many good answers set the pace among `asked` peers (at least one).
	fn needed(&self, asked: usize) -> usize {
		((asked as f64 * self.quorum).ceil() as usize).clamp(1, asked.max(1))
	}

	/// When the round stops waiting, if the pace was set `pace` after its start.
	fn cut(&self, pace: Duration) -> Duration {
		pace.mul_f64(self.factor.max(1.0)).max(self.floor)
	}
}

/// Room in an answer beyond its tensor data: the safetensors header, or a refusal's text.
pub const ANSWER_OVERHEAD: usize = 16 << 10;

impl Default for DendriteConfig {
	fn default() -> Self {
		Self {
			timeout: Duration::from_secs(5),
			http2: false,
			max_response_bytes: 256 << 20,
			scope: Scope::default(),
			stragglers: Some(Stragglers::default()),
		}
	}
}

/// The client side of the protocol.
pub struct Dendrite {
	signer: Signer,
	client: Client<HttpConnector, Full<Bytes>>,
	config: DendriteConfig,
	last_nonce: AtomicU64,
	id_prefix: [u8; 8],
	id_counter: AtomicU64,
}

struct Exchange {
	status: u16,
	reason: Option<Reason>,
	body: Bytes,
}

impl Dendrite {
	/// A dendrite signing with `signer`.
	pub fn new(signer: Signer, config: DendriteConfig) -> Self {
		let mut connector = HttpConnector::new();
		connector.set_nodelay(true);
		connector.set_connect_timeout(Some(config.timeout));
		let client = Client::builder(TokioExecutor::new())
			.pool_idle_timeout(Duration::from_secs(60))
			.pool_max_idle_per_host(64)
			.http2_only(config.http2)
			.build(connector);
		let mut id_prefix = [0u8; 8];
		// Request ids only need to be unique per caller: random prefix + counter.
		let _ = getrandom::getrandom(&mut id_prefix);
		Self {
			signer,
			client,
			config,
			last_nonce: AtomicU64::new(0),
			id_prefix,
			id_counter: AtomicU64::new(0),
		}
	}

	/// Its hotkey.
	pub fn hotkey(&self) -> Hotkey {
		self.signer.hotkey()
	}

	/// The next nonce: the clock in nanoseconds, but always above the last one used.
	pub fn next_nonce(&self) -> u64 {
		let mut last = self.last_nonce.load(Ordering::Relaxed);
		loop {
			let next = now_nanos().max(last + 1);
			match self.last_nonce.compare_exchange_weak(
				last,
				next,
				Ordering::AcqRel,
				Ordering::Relaxed,
			) {
				Ok(_) => return next,
				Err(seen) => last = seen,
			}
		}
	}

	fn request_id(&self) -> [u8; 16] {
		let mut id = [0u8; 16];
		id[..8].copy_from_slice(&self.id_prefix);
		id[8..].copy_from_slice(&self.id_counter.fetch_add(1, Ordering::Relaxed).to_le_bytes());
		id
	}

	/// Asks every target for its representations of `inputs` (`[batch, seq]` token ids or
	/// `[batch, seq, dim]` features) concurrently. Answers come back in `targets`' order, each
	/// checked to be `[batch, seq, dim]` finite F32, F16 or BF16 and handed over as F32.
	pub async fn forward(
		&self,
		targets: &[Target],
		inputs: &Tensor,
		dim: usize,
	) -> Vec<Answer<Tensor>> {
		let body = Bytes::from(tensor::encode(&[(names::INPUTS, inputs)]));
		let hash = body_hash(&body);
		let want = vec![
			inputs.shape.first().copied().unwrap_or(0),
			inputs.shape.get(1).copied().unwrap_or(0),
			dim,
		];
		// An honest answer is the outputs (at most 4 bytes an element) and a short header;
		// nothing longer is read.
		let limit =
			want.iter().product::<usize>().saturating_mul(4).saturating_add(ANSWER_OVERHEAD);
		let calls = targets.iter().map(|target| {
			let body = body.clone();
			let want = &want;
			async move {
				let started = Instant::now();
				let result = self
					.exchange(target, Endpoint::Forward, body, hash, limit)
					.await
					.and_then(accepted)
					.and_then(|body| outputs(&body, want));
				let (result, wire) = match result {
					Ok((tensor, wire)) => (Ok(tensor), Some(wire)),
					Err(e) => (Err(e), None),
				};
				Answer { uid: target.uid, result, latency: started.elapsed(), wire }
			}
		});
		self.gather(targets, calls).await
	}

	/// Waits for every call, in `targets`' order, or until the straggler cut.
	async fn gather<T>(
		&self,
		targets: &[Target],
		calls: impl Iterator<Item = impl std::future::Future<Output = Answer<T>>>,
	) -> Vec<Answer<T>> {
		let started = tokio::time::Instant::now();
		let mut pending: FuturesUnordered<_> =
			calls.enumerate().map(|(i, call)| async move { (i, call.await) }).collect();
		let mut answers: Vec<Option<Answer<T>>> = targets.iter().map(|_| None).collect();
		let needed = self.config.stragglers.map(|s| s.needed(targets.len()));
		let (mut good, mut cut) = (0, None);
		loop {
			let next = match cut {
				Some(at) => match tokio::time::timeout_at(at, pending.next()).await {
					Ok(next) => next,
					Err(_) => break,
				},
				None => pending.next().await,
			};
			let Some((i, answer)) = next else { break };
			good += usize::from(answer.result.is_ok());
			answers[i] = Some(answer);
			if let (None, Some(needed), Some(policy)) = (cut, needed, self.config.stragglers) {
				if good >= needed {
					cut = Some(started + policy.cut(started.elapsed()));
				}
			}
		}
		answers
			.into_iter()
			.zip(targets)
			.map(|(answer, target)| {
				answer.unwrap_or_else(|| Answer {
					uid: target.uid,
					result: Err(Failure::Timeout),
					latency: started.elapsed(),
					wire: None,
				})
			})
			.collect()
	}

	/// Sends each target the gradient of the caller's loss with respect to that target's
	/// answer (`grads[i]` for `targets[i]`), concurrently.
	pub async fn backward(
		&self,
		targets: &[Target],
		inputs: &Tensor,
		grads: &[Tensor],
	) -> Vec<Answer<()>> {
		// One call per gradient: a target without one is not called.
		let targets = &targets[..targets.len().min(grads.len())];
		let calls = targets.iter().zip(grads).map(|(target, grads)| async move {
			let started = Instant::now();
			let body =
				Bytes::from(tensor::encode(&[(names::INPUTS, inputs), (names::GRADS, grads)]));
			let hash = body_hash(&body);
			let result = self
				.exchange(target, Endpoint::Backward, body, hash, ANSWER_OVERHEAD)
				.await
				.and_then(accepted)
				.map(drop);
			Answer { uid: target.uid, result, latency: started.elapsed(), wire: None }
		});
		self.gather(targets, calls).await
	}

	/// One signed call and its verified answer, within the timeout. At most `limit` bytes of
	/// the answer are read (an answer that declares more is dropped unread), because its
	/// signature can only be checked once all of it is in memory.
	async fn exchange(
		&self,
		target: &Target,
		endpoint: Endpoint,
		body: Bytes,
		hash: [u8; 32],
		limit: usize,
	) -> Result<Exchange, Failure> {
		let limit = limit.min(self.config.max_response_bytes);
		let head = RequestHead {
			endpoint,
			scope: self.config.scope,
			caller: self.signer.hotkey(),
			callee: target.hotkey,
			nonce: self.next_nonce(),
			request_id: self.request_id(),
			deadline: now_nanos().saturating_add(self.config.timeout.as_nanos() as u64),
			body_hash: hash,
		};
		let signature = self.signer.sign(&head.message());
		let request = Request::post(format!("http://{}{}", target.addr, endpoint.path()))
			.header(hyper::header::CONTENT_TYPE, protocol::CONTENT_TYPE)
			.header(protocol::CALLER, head.caller.to_string())
			.header(protocol::CALLEE, head.callee.to_string())
			.header(protocol::NONCE, head.nonce.to_string())
			.header(protocol::REQUEST_ID, hex::encode(head.request_id))
			.header(protocol::DEADLINE, head.deadline.to_string())
			.header(protocol::BODY_HASH, hex::encode(hash))
			.header(protocol::SIGNATURE, hex::encode(signature))
			.body(Full::new(body))
			.map_err(|e| Failure::Malformed(format!("building the request: {e}")))?;
		let call = async {
			let response = self.client.request(request).await.map_err(|e| {
				use std::error::Error;
				let mut why = e.to_string();
				if let Some(source) = e.source() {
					why = format!("{why}: {source}");
				}
				Failure::Unreachable(why)
			})?;
			let (parts, body) = response.into_parts();
			let declared = parts
				.headers
				.get(hyper::header::CONTENT_LENGTH)
				.and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
			if declared.is_some_and(|n| n > limit as u64) {
				return Err(Failure::Malformed(format!(
					"the answer declares {} bytes, more than the {limit} an answer to this \
					 request can take; not read",
					declared.unwrap_or_default()
				)));
			}
			let limited = http_body_util::Limited::new(body, limit);
			let body = limited
				.collect()
				.await
				.map_err(|e| {
					Failure::Malformed(format!(
						"reading the answer (at most {limit} bytes for this request): {e}"
					))
				})?
				.to_bytes();
			Ok::<_, Failure>((parts, body))
		};
		let (parts, body) = tokio::time::timeout(self.config.timeout, call)
			.await
			.map_err(|_| Failure::Timeout)??;
		let status = parts.status.as_u16();
		let field =
			|name: &str| parts.headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
		let Some(signature) = field(protocol::SIGNATURE) else {
			if status == Reason::Throttled.status() && field(protocol::REASON) == Some("throttled")
			{
				// The one unsigned refusal: the axon refused this address too often lately.
				return Err(Failure::Refused {
					status,
					reason: Some(Reason::Throttled),
					message: "throttled (unsigned): too many refused requests lately".into(),
				});
			}
			return Err(Failure::Malformed(format!("an unsigned answer (HTTP {status})")));
		};
		let signature: [u8; 64] = parse_hex(signature)
			.ok_or_else(|| Failure::BadSignature("bt-signature is not 128 hex digits".into()))?;
		let answer = ResponseHead {
			endpoint: Some(endpoint),
			callee: target.hotkey,
			caller: head.caller,
			nonce: head.nonce,
			request_id: head.request_id,
			status,
			body_hash: body_hash(&body),
		};
		if !protocol::verify(&target.hotkey, &answer.message(), &signature) {
			return Err(Failure::BadSignature(format!(
				"the answer is not signed by hotkey {} for this request",
				target.hotkey
			)));
		}
		let reason = field(protocol::REASON).and_then(Reason::from_code);
		Ok(Exchange { status, reason, body })
	}
}

fn accepted(exchange: Exchange) -> Result<Bytes, Failure> {
	if exchange.status == 200 {
		return Ok(exchange.body);
	}
	let text = String::from_utf8_lossy(&exchange.body);
	Err(Failure::Refused {
		status: exchange.status,
		reason: exchange.reason,
		message: text.chars().take(500).collect(),
	})
}

/// The answer's outputs as F32, and the type they travelled in.
fn outputs(body: &[u8], want: &[usize]) -> Result<(Tensor, DType), Failure> {
	let [outputs] =
		tensor::decode(body, [names::OUTPUTS]).map_err(|e| Failure::Malformed(e.to_string()))?;
	let wire = outputs.dtype();
	if !wire.is_float() {
		return Err(Failure::Malformed(format!(
			"outputs are {wire}, not a floating-point type (F32, F16 or BF16)"
		)));
	}
	// Checked before the conversion (which preserves infinities and NaN).
	if outputs.shape != want || !outputs.is_finite() {
		return Err(Failure::Malformed(format!(
			"outputs of shape {:?} (expected {want:?}) or with NaN/infinity",
			outputs.shape
		)));
	}
	let wide = outputs
		.into_f32()
		.map_err(|_| Failure::Malformed("outputs could not be read as F32".into()))?;
	Ok((wide, wire))
}

/// Each peer's answer, or zeros of `shape` for a peer that failed: the model always gets one
/// tensor per peer.
pub fn outputs_or_zeros(answers: &[Answer<Tensor>], shape: &[usize]) -> Vec<Tensor> {
	answers
		.iter()
		.map(|a| match &a.result {
			Ok(t) => t.clone(),
			Err(_) => Tensor::zeros_f32(shape.to_vec()),
		})
		.collect()
}

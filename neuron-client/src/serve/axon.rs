//! The axon: the HTTP server through which a neuron serves its model to its peers.
//!
//! Every call passes the same checks, cheapest first, each one a small function below:
//! headers present and well-formed → addressed to this hotkey → deadline not passed → nonce
//! inside the time window → caller registered with enough stake → declared body size → caller's
//! signature → nonce not used before by that caller → body read within size and time limits →
//! body hash → tensors decode → tensors fit the schema → admission (stake-ordered) → model.
//! Nothing is read past the headers before the signature verifies. Each refusal answers with
//! its own status and `bt-reason`, is counted, and is signed like any answer.

pub use super::http::Limits;

use super::{
	admission::{Admission, Shed},
	answered::{self, Answered, GRADIENT_WINDOW},
	bodies::{Bodies, Full as BodiesFull, Lease},
	http::{serve_router, Source},
	metrics::Metrics,
	protocol::{
		self, body_hash, names, now_nanos, parse_hex, Endpoint, Hotkey, Reason, RequestHead,
		ResponseHead, Scope, Signer,
	},
	replay::{Replay, ReplayGuard, MAX_TRACKED},
	tensor::{self, DType, Tensor},
	throttle::RefusalBudget,
	view::{Member, SharedView},
};
use axum::{
	body::Body,
	extract::State,
	http::{HeaderMap, HeaderValue, StatusCode, Version},
	response::Response,
	routing::post,
	Router,
};
use bytes::Bytes;
use http_body_util::BodyExt;
use std::{
	net::SocketAddr,
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

/// What a neuron serves. Implementations must not panic on any input the schema admits.
pub trait Model: Send + Sync + 'static {
	/// The neuron's representations of `inputs`: `[batch, seq, dim]` in a floating-point
	/// type (the axon sends them in its `wire_dtype`).
	fn forward(&self, caller: &Member, inputs: Tensor) -> Result<Tensor, String>;
	/// Takes the gradient of the caller's loss with respect to this neuron's `forward` outputs
	/// (always F32 here, whatever type it travelled in).
	fn backward(&self, caller: &Member, inputs: Tensor, grads: Tensor) -> Result<(), String>;
	/// Whether calls may block for long (a real model): they then run on the blocking pool.
	fn blocking(&self) -> bool {
		true
	}
}

/// The tensors an axon accepts: `inputs` of `[batch, seq]` (token ids) or `[batch, seq, dim]`
/// (features); answers and gradients are `[batch, seq, dim]` floating point (F32, F16 or BF16).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema {
	/// Dtype of `inputs`.
	pub input_dtype: DType,
	/// Rank of `inputs`: 2 for token ids, 3 for features whose last dimension is `dim`.
	pub input_rank: usize,
	/// Largest batch.
	pub max_batch: usize,
	/// Longest sequence.
	pub max_seq: usize,
	/// Representation size of the subnet.
	pub dim: usize,
	/// Token ids must lie in `0..vocab` (I64 inputs).
	pub vocab: Option<i64>,
}

impl Schema {
	/// Byte-level token ids: `[batch, seq]` I64 in `0..256`, answered with `[batch, seq, dim]`.
	pub fn tokens(dim: usize, max_batch: usize, max_seq: usize) -> Self {
		Self { input_dtype: DType::I64, input_rank: 2, max_batch, max_seq, dim, vocab: Some(256) }
	}

	/// Features `[batch, seq, dim]` F32 (the benchmark's identity model takes these).
	pub fn features(dim: usize, max_batch: usize, max_seq: usize) -> Self {
		Self { input_dtype: DType::F32, input_rank: 3, max_batch, max_seq, dim, vocab: None }
	}

	/// The shape of the answer (and of the gradients) for inputs of `shape`.
	pub fn output_shape(&self, shape: &[usize]) -> Vec<usize> {
		vec![shape.first().copied().unwrap_or(0), shape.get(1).copied().unwrap_or(0), self.dim]
	}

	/// Largest request body this schema can produce (backward: inputs + grads), plus room
	/// for the safetensors header.
	pub fn max_body_bytes(&self) -> usize {
		let positions = self.max_batch.saturating_mul(self.max_seq);
		let input_elements =
			if self.input_rank == 3 { positions.saturating_mul(self.dim) } else { positions };
		let element = if self.input_dtype == DType::I64 { 8 } else { 4 };
		input_elements
			.saturating_mul(element)
			.saturating_add(positions.saturating_mul(self.dim).saturating_mul(4))
			.saturating_add(4096)
	}

	/// Whether `inputs` fits.
	pub fn check_inputs(&self, inputs: &Tensor) -> Result<(), String> {
		if inputs.dtype() != self.input_dtype {
			return Err(format!(
				"inputs have dtype {}, this axon takes {}",
				inputs.dtype().name(),
				self.input_dtype.name()
			));
		}
		let shape = &inputs.shape;
		if shape.len() != self.input_rank {
			return Err(format!(
				"inputs have rank {} ({shape:?}), this axon takes rank {}",
				shape.len(),
				self.input_rank
			));
		}
		if shape[0] == 0 || shape[0] > self.max_batch || shape[1] == 0 || shape[1] > self.max_seq {
			return Err(format!(
				"inputs have shape {shape:?}; batch must be 1..={} and sequence 1..={}",
				self.max_batch, self.max_seq
			));
		}
		if self.input_rank == 3 && shape[2] != self.dim {
			return Err(format!(
				"inputs have shape {shape:?}; the last dimension must be {}",
				self.dim
			));
		}
		if let (Some(vocab), Some(ids)) = (self.vocab, inputs.as_i64()) {
			if let Some(bad) = ids.iter().find(|&&t| !(0..vocab).contains(&t)) {
				return Err(format!("token id {bad} is outside 0..{vocab}"));
			}
		}
		if let Some(values) = inputs.as_f32() {
			if !tensor::all_finite(values) {
				return Err("inputs contain NaN or infinity".into());
			}
		}
		Ok(())
	}

	/// Whether `grads` fits inputs of `input_shape`: F32, F16 or BF16 (a caller sends them
	/// in the type the answer came in, but any of the three is taken).
	pub fn check_grads(&self, input_shape: &[usize], grads: &Tensor) -> Result<(), String> {
		let want = self.output_shape(input_shape);
		if !grads.dtype().is_float() {
			return Err(format!(
				"grads have dtype {}, expected F32, F16 or BF16",
				grads.dtype().name()
			));
		}
		if grads.shape != want {
			return Err(format!("grads have shape {:?}, expected {want:?}", grads.shape));
		}
		if !grads.is_finite() {
			return Err("grads contain NaN or infinity".into());
		}
		Ok(())
	}
}

/// An axon's rules.
#[derive(Clone, Debug)]
pub struct AxonConfig {
	/// The tensors it takes.
	pub schema: Schema,
	/// The chain and subnet it serves: requests signed for any other are `bad_signature`.
	pub scope: Scope,
	/// Least stake (planck) a caller needs.
	pub min_stake: u128,
	/// The floating-point type answers are sent in (F32, F16 or BF16): half the bytes for
	/// the half types, at their precision. Gradients are taken in any of the three.
	pub wire_dtype: DType,
	/// Largest request body; larger ones are refused before they are read.
	pub max_body_bytes: usize,
	/// Oldest accepted nonce, relative to the axon's clock.
	pub max_nonce_age: Duration,
	/// How far in the future a nonce may be (clock skew between peers).
	pub max_clock_skew: Duration,
	/// Calls running the model at once.
	pub workers: usize,
	/// Calls waiting for the model; beyond it the lowest stakes are shed.
	pub queue: usize,
	/// Requests one caller may have in flight (body being read, waiting or running); more are
	/// refused `overloaded` before their body is read.
	pub max_requests_per_caller: usize,
	/// Bytes of request bodies all callers together may have in flight (each request counts
	/// its declared length, or `max_body_bytes` when it declares none).
	pub max_body_bytes_in_flight: usize,
	/// Refusals a source address (IPv4 address or IPv6 /64) may be sent per second, signed
	/// and after the checks that refused them, before its requests get `throttled` at once;
	/// as many `throttled` answers again, and its connections are closed unanswered until the
	/// budget refills (infinite: no budget, for a market on one machine, whose peers all share
	/// loopback)…
	pub refusals_per_second: f64,
	/// …and how many at once (the bucket's size).
	pub refusal_burst: f64,
	/// Connection limits.
	pub limits: Limits,
}

impl AxonConfig {
	/// Defaults for `schema`.
	pub fn new(schema: Schema) -> Self {
		// Room for every worker and every waiter to hold a full body.
		let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
		let schema_bytes_in_flight = schema.max_body_bytes().saturating_mul(workers + 64);
		Self {
			max_body_bytes: schema.max_body_bytes(),
			schema,
			scope: Scope::default(),
			min_stake: 0,
			wire_dtype: DType::F32,
			max_nonce_age: Duration::from_secs(10),
			max_clock_skew: Duration::from_secs(2),
			workers,
			queue: 64,
			max_requests_per_caller: 4,
			max_body_bytes_in_flight: schema_bytes_in_flight,
			refusals_per_second: 20.0,
			refusal_burst: 40.0,
			limits: Limits::default(),
		}
	}
}

/// A refusal: why, and a message for the person reading logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
	/// The reason.
	pub reason: Reason,
	/// What exactly was wrong.
	pub message: String,
}

fn refuse<T>(reason: Reason, message: impl Into<String>) -> Result<T, Refusal> {
	Err(Refusal { reason, message: message.into() })
}

/// The request fields echoed in a signed answer (zeros for what the request did not say),
/// and whether its body was read.
#[derive(Default, Clone, Copy)]
struct Echo {
	caller: Hotkey,
	nonce: u64,
	request_id: [u8; 16],
	/// Set once the body has been read to its end: an answer sent before that leaves it
	/// unread, so an HTTP/1.1 connection cannot carry another request and says it will close.
	body_read: bool,
}

impl Echo {
	/// What parses of the caller, nonce and request id: an answer to a request refused early
	/// (or sent to an unknown path, or with a wrong method) is still signed over what it said.
	fn of(headers: &HeaderMap) -> Self {
		let mut echo = Echo::default();
		if let Ok(caller) = hex_field(headers, protocol::CALLER) {
			echo.caller = Hotkey(caller);
		}
		if let Ok(nonce) = number_field(headers, protocol::NONCE) {
			echo.nonce = nonce;
		}
		if let Ok(id) = hex_field(headers, protocol::REQUEST_ID) {
			echo.request_id = id;
		}
		echo
	}
}

/// An axon: its key, its view of the subnet, its model and its rules.
pub struct Axon {
	signer: Signer,
	view: SharedView,
	model: Arc<dyn Model>,
	config: AxonConfig,
	metrics: Arc<Metrics>,
	admission: Arc<Admission>,
	bodies: Arc<Bodies>,
	answered: Answered,
	refusals: Arc<RefusalBudget>,
	/// Nonces accepted from each caller.
	nonces: Mutex<ReplayGuard>,
	/// No nonce at or below this is accepted: a request signed before this axon started (even
	/// by a caller whose clock runs `max_clock_skew` ahead) cannot be replayed after a restart.
	nonce_floor: u64,
}

/// A running axon; dropping it stops the server.
pub struct Running {
	/// Where it listens.
	pub addr: SocketAddr,
	/// Its metrics.
	pub metrics: Arc<Metrics>,
	task: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
	fn drop(&mut self) {
		self.task.abort();
	}
}

impl Running {
	/// Stops the server and waits until its listening socket is closed.
	pub async fn stop(self) {
		self.task.abort();
		let _ = (&mut { self }.task).await;
	}
}

impl Axon {
	/// An axon signing with `signer`, admitting callers in `view`, serving `model`.
	pub fn new(
		signer: Signer,
		view: SharedView,
		model: Arc<dyn Model>,
		config: AxonConfig,
		metrics: Arc<Metrics>,
	) -> Arc<Self> {
		let nonce_floor = now_nanos().saturating_add(config.max_clock_skew.as_nanos() as u64);
		Arc::new(Self {
			signer,
			view,
			model,
			admission: Admission::new(config.workers, config.queue),
			bodies: Bodies::new(config.max_requests_per_caller, config.max_body_bytes_in_flight),
			answered: Answered::default(),
			refusals: Arc::new(RefusalBudget::new(
				config.refusals_per_second,
				config.refusal_burst,
			)),
			nonces: Mutex::new(ReplayGuard::new(config.max_nonce_age.as_nanos() as u64)),
			config,
			metrics,
			nonce_floor,
		})
	}

	/// The endpoints, all in one place.
	pub fn router(self: &Arc<Self>) -> Router {
		Router::new()
			.route(Endpoint::Forward.path(), post(forward).fallback(wrong_method_forward))
			.route(Endpoint::Backward.path(), post(backward).fallback(wrong_method_backward))
			.fallback(unknown_endpoint)
			.with_state(self.clone())
	}

	/// Listens on `addr` and serves until the returned handle is dropped.
	pub async fn start(self: &Arc<Self>, addr: SocketAddr) -> std::io::Result<Running> {
		let listener = tokio::net::TcpListener::bind(addr).await?;
		let addr = listener.local_addr()?;
		let router = self.router();
		let (limits, budget) = (self.config.limits.clone(), self.refusals.clone());
		let task = tokio::spawn(async move {
			let _ = serve_router(listener, router, limits, Some(budget)).await;
		});
		Ok(Running { addr, metrics: self.metrics.clone(), task })
	}

	/// Its metrics.
	pub fn metrics(&self) -> &Arc<Metrics> {
		&self.metrics
	}

	async fn handle(&self, endpoint: Endpoint, request: axum::extract::Request) -> Response {
		let started = Instant::now();
		let (parts, body) = request.into_parts();
		let source = parts.extensions.get::<Source>().copied();
		if let Some(throttled) = self.throttled(Some(endpoint), source, parts.version) {
			return throttled;
		}
		let mut echo = Echo::of(&parts.headers);
		let mut response = match self.call(endpoint, &parts.headers, body, &mut echo).await {
			Ok(body) => self.answer(Some(endpoint), echo, StatusCode::OK, body, None),
			Err(refusal) => {
				self.spend_refusal(source);
				self.refusal(Some(endpoint), echo, refusal)
			},
		};
		close_if_unread(&mut response, parts.version, echo);
		self.metrics.answered(
			Some(endpoint),
			response.status().as_u16(),
			started.elapsed().as_secs_f64(),
		);
		response
	}

	async fn call(
		&self,
		endpoint: Endpoint,
		headers: &HeaderMap,
		body: Body,
		echo: &mut Echo,
	) -> Result<Bytes, Refusal> {
		let head = parse_head(endpoint, self.config.scope, headers)?;
		let signature = signature(headers)?;
		self.check_callee(&head)?;
		let deadline = check_deadline(&head)?;
		self.check_nonce_window(&head)?;
		let caller = self.check_member(&head)?;
		let declared = self.check_declared_length(headers)?;
		check_signature(&head, &signature)?;
		self.check_replay(&head)?;
		// Held until the answer is sent: a caller's requests in flight and their bodies.
		let _lease = self.reserve_body(&head, declared)?;
		let body = self.read_body(body).await?;
		echo.body_read = true;
		check_body_hash(&head, &body)?;
		let permit = |stake| self.admit(stake, deadline);
		match endpoint {
			Endpoint::Forward => {
				let [inputs] = decode(&body, [names::INPUTS])?;
				self.config
					.schema
					.check_inputs(&inputs)
					.or_else(|m| refuse(Reason::BadTensor, m))?;
				let want = self.config.schema.output_shape(&inputs.shape);
				let _permit = permit(caller.stake).await?;
				let asked = answered::digest(&inputs);
				let who = caller.hotkey;
				let wire = self.config.wire_dtype;
				// Converted on the worker, beside the model's own work.
				let outputs = self
					.run(move |model| {
						let outputs = model.forward(&caller, inputs)?;
						Ok(outputs.into_dtype(wire).unwrap_or_else(|unchanged| unchanged))
					})
					.await?;
				if outputs.shape != want || outputs.dtype() != wire {
					return refuse(
						Reason::ModelFailed,
						format!(
							"the model answered {:?} {}, expected {want:?} {wire}",
							outputs.shape,
							outputs.dtype()
						),
					);
				}
				self.answered.record(who, asked, now_nanos());
				Ok(Bytes::from(tensor::encode(&[(names::OUTPUTS, &outputs)])))
			},
			Endpoint::Backward => {
				let [inputs, grads] = decode(&body, [names::INPUTS, names::GRADS])?;
				let schema = &self.config.schema;
				schema.check_inputs(&inputs).or_else(|m| refuse(Reason::BadTensor, m))?;
				schema
					.check_grads(&inputs.shape, &grads)
					.or_else(|m| refuse(Reason::BadTensor, m))?;
				if !self.answered.take(caller.hotkey, answered::digest(&inputs), now_nanos()) {
					return refuse(
						Reason::NotAnswered,
						format!(
							"this axon gave no forward answer to this caller for these inputs in \
							 the last {GRADIENT_WINDOW:?}, or already took its gradient"
						),
					);
				}
				let _permit = permit(caller.stake).await?;
				self.run(move |model| {
					let grads = grads.into_f32().map_err(|_| "grads are not floating point")?;
					model.backward(&caller, inputs, grads)
				})
				.await?;
				Ok(Bytes::new())
			},
		}
	}

	fn check_callee(&self, head: &RequestHead) -> Result<(), Refusal> {
		if head.callee != self.signer.hotkey() {
			return refuse(
				Reason::WrongCallee,
				format!("this axon is hotkey {}, not {}", self.signer.hotkey(), head.callee),
			);
		}
		Ok(())
	}

	fn check_nonce_window(&self, head: &RequestHead) -> Result<(), Refusal> {
		let now = now_nanos();
		let oldest = now.saturating_sub(self.config.max_nonce_age.as_nanos() as u64);
		let newest = now.saturating_add(self.config.max_clock_skew.as_nanos() as u64);
		if head.nonce < oldest {
			return refuse(
				Reason::StaleNonce,
				format!(
					"nonce {} is more than {:?} old (axon clock {now})",
					head.nonce, self.config.max_nonce_age
				),
			);
		}
		if head.nonce > newest {
			return refuse(
				Reason::StaleNonce,
				format!(
					"nonce {} is more than {:?} in the future (axon clock {now})",
					head.nonce, self.config.max_clock_skew
				),
			);
		}
		if head.nonce <= self.nonce_floor {
			return refuse(
				Reason::StaleNonce,
				format!(
					"nonce {} predates this axon's start (floor {})",
					head.nonce, self.nonce_floor
				),
			);
		}
		Ok(())
	}

	fn check_member(&self, head: &RequestHead) -> Result<Member, Refusal> {
		let view = self.view.get();
		let Some(member) = view.member(&head.caller) else {
			return refuse(
				Reason::NotRegistered,
				format!("hotkey {} is not registered in subnet {}", head.caller, view.netuid),
			);
		};
		if member.stake < self.config.min_stake {
			return refuse(
				Reason::InsufficientStake,
				format!(
					"uid {} has {} planck of stake; this axon serves callers with at least {}",
					member.uid, member.stake, self.config.min_stake
				),
			);
		}
		Ok(member.clone())
	}

	/// The body's declared length, if it is within `max_body_bytes`.
	fn check_declared_length(&self, headers: &HeaderMap) -> Result<Option<usize>, Refusal> {
		let declared = headers
			.get(axum::http::header::CONTENT_LENGTH)
			.and_then(|v| v.to_str().ok())
			.and_then(|v| v.parse::<u64>().ok());
		match declared {
			Some(n) if n > self.config.max_body_bytes as u64 => refuse(
				Reason::BodyTooLarge,
				format!(
					"the body is {n} bytes; this axon takes at most {}",
					self.config.max_body_bytes
				),
			),
			Some(n) => Ok(Some(n as usize)),
			None => Ok(None),
		}
	}

	fn reserve_body(&self, head: &RequestHead, declared: Option<usize>) -> Result<Lease, Refusal> {
		let bytes = declared.unwrap_or(self.config.max_body_bytes);
		self.bodies.reserve(head.caller, bytes).or_else(|full| match full {
			BodiesFull::Caller { limit } => refuse(
				Reason::Overloaded,
				format!("this caller already has {limit} requests in flight here"),
			),
			BodiesFull::Total { limit } => refuse(
				Reason::Overloaded,
				format!("request bodies in flight already hold this axon's {limit} bytes"),
			),
		})
	}

	fn check_replay(&self, head: &RequestHead) -> Result<(), Refusal> {
		let mut nonces = self.nonces.lock().unwrap_or_else(|p| p.into_inner());
		// Callers silent for longer than the window can be forgotten: their nonces would fail
		// the window check anyway.
		// (4 × max(subnet size, 1024); the view is only read once the map is that large.)
		if nonces.len() >= 4096 && nonces.len() >= 4 * self.view.get().members.len() {
			nonces.forget_older_than(
				now_nanos().saturating_sub(self.config.max_nonce_age.as_nanos() as u64),
			);
		}
		match nonces.accept(head.caller, head.nonce) {
			Ok(()) => Ok(()),
			Err(Replay::Seen) => refuse(
				Reason::ReplayedNonce,
				format!("nonce {} was already used by this caller", head.nonce),
			),
			Err(Replay::TooOld { newest }) => refuse(
				Reason::ReplayedNonce,
				format!(
					"nonce {} is not greater than this caller's last, {newest}, nor one of its \
					 {MAX_TRACKED} most recent",
					head.nonce
				),
			),
		}
	}

	async fn read_body(&self, body: Body) -> Result<Bytes, Refusal> {
		let max = self.config.max_body_bytes;
		let limited = http_body_util::Limited::new(body, max);
		let collected =
			tokio::time::timeout(self.config.limits.body_timeout, limited.collect()).await;
		let bytes = match collected {
			Err(_) => {
				return refuse(
					Reason::BodyTimeout,
					format!("the body did not arrive within {:?}", self.config.limits.body_timeout),
				)
			},
			Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
				return refuse(Reason::BodyTooLarge, format!("the body exceeds {max} bytes"))
			},
			Ok(Err(e)) => {
				return refuse(Reason::MalformedBody, format!("reading the body failed: {e}"))
			},
			Ok(Ok(collected)) => collected.to_bytes(),
		};
		self.metrics.bytes_in.inc_by(bytes.len() as u64);
		Ok(bytes)
	}

	async fn admit(
		&self,
		stake: u128,
		deadline: tokio::time::Instant,
	) -> Result<super::admission::Permit, Refusal> {
		match tokio::time::timeout_at(deadline, self.admission.admit(stake)).await {
			Ok(Ok(permit)) => Ok(permit),
			Ok(Err(Shed::QueueFull)) => refuse(
				Reason::Overloaded,
				"the axon is busy and every waiting caller has at least this caller's stake",
			),
			Ok(Err(Shed::Displaced)) => refuse(
				Reason::Overloaded,
				"the axon is busy; a higher-stake caller took this place",
			),
			Err(_) => {
				refuse(Reason::DeadlinePassed, "the deadline passed while waiting for the model")
			},
		}
	}

	async fn run<T: Send + 'static>(
		&self,
		call: impl FnOnce(&dyn Model) -> Result<T, String> + Send + 'static,
	) -> Result<T, Refusal> {
		let result = if self.model.blocking() {
			let model = self.model.clone();
			match tokio::task::spawn_blocking(move || call(model.as_ref())).await {
				Ok(result) => result,
				Err(e) => Err(format!("the model panicked: {e}")),
			}
		} else {
			call(self.model.as_ref())
		};
		result.or_else(|m| refuse(Reason::ModelFailed, m))
	}

	/// `429 throttled`, unsigned and at once, if `source` has spent its refusal budget.
	fn throttled(
		&self,
		endpoint: Option<Endpoint>,
		source: Option<Source>,
		version: Version,
	) -> Option<Response> {
		let Source(ip) = source?;
		let now = std::time::Instant::now();
		if self.refusals.allows(ip, now) {
			return None;
		}
		self.refusals.spend_throttled(ip, now);
		self.metrics.refusals.with_label_values(&[Reason::Throttled.code()]).inc();
		self.metrics.answered(endpoint, Reason::Throttled.status(), 0.0);
		let mut response = Response::new(Body::from(
			"throttled: too many requests from this address were refused lately; retry later",
		));
		*response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
		let h = response.headers_mut();
		h.insert(
			axum::http::header::CONTENT_TYPE,
			HeaderValue::from_static("text/plain; charset=utf-8"),
		);
		h.insert(protocol::REASON, HeaderValue::from_static("throttled"));
		close_if_unread(&mut response, version, Echo::default());
		Some(response)
	}

	fn spend_refusal(&self, source: Option<Source>) {
		if let Some(Source(ip)) = source {
			self.refusals.spend(ip, std::time::Instant::now());
		}
	}

	fn refusal(&self, endpoint: Option<Endpoint>, echo: Echo, refusal: Refusal) -> Response {
		self.metrics.refusals.with_label_values(&[refusal.reason.code()]).inc();
		let status = StatusCode::from_u16(refusal.reason.status())
			.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
		let message = format!("{}: {}", refusal.reason, refusal.message);
		self.answer(endpoint, echo, status, Bytes::from(message), Some(refusal.reason))
	}

	/// A signed answer.
	fn answer(
		&self,
		endpoint: Option<Endpoint>,
		echo: Echo,
		status: StatusCode,
		body: Bytes,
		reason: Option<Reason>,
	) -> Response {
		let hash = body_hash(&body);
		let head = ResponseHead {
			endpoint,
			callee: self.signer.hotkey(),
			caller: echo.caller,
			nonce: echo.nonce,
			request_id: echo.request_id,
			status: status.as_u16(),
			body_hash: hash,
		};
		let signature = self.signer.sign(&head.message());
		self.metrics.bytes_out.inc_by(body.len() as u64);
		let mut response = Response::new(Body::from(body));
		*response.status_mut() = status;
		let h = response.headers_mut();
		let content_type =
			if reason.is_some() { "text/plain; charset=utf-8" } else { protocol::CONTENT_TYPE };
		h.insert(axum::http::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
		let mut put = |name: &'static str, value: String| {
			if let Ok(v) = HeaderValue::from_str(&value) {
				h.insert(name, v);
			}
		};
		put(protocol::CALLEE, head.callee.to_string());
		put(protocol::CALLER, head.caller.to_string());
		put(protocol::NONCE, head.nonce.to_string());
		put(protocol::REQUEST_ID, hex::encode(head.request_id));
		put(protocol::BODY_HASH, hex::encode(hash));
		put(protocol::SIGNATURE, hex::encode(signature));
		if let Some(reason) = reason {
			put(protocol::REASON, reason.code().to_string());
		}
		response
	}
}

fn header<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str, Refusal> {
	match headers.get(name) {
		None => refuse(Reason::MissingField, format!("the request has no {name} header")),
		Some(v) => {
			v.to_str().or_else(|_| refuse(Reason::MalformedField, format!("{name} is not ASCII")))
		},
	}
}

fn hex_field<const N: usize>(headers: &HeaderMap, name: &'static str) -> Result<[u8; N], Refusal> {
	let text = header(headers, name)?;
	parse_hex(text).map_or_else(
		|| refuse(Reason::MalformedField, format!("{name} must be {} hex digits", 2 * N)),
		Ok,
	)
}

fn number_field(headers: &HeaderMap, name: &'static str) -> Result<u64, Refusal> {
	header(headers, name)?
		.parse()
		.or_else(|_| refuse(Reason::MalformedField, format!("{name} must be a decimal u64")))
}

/// The signature header: unsigned requests are refused outright, never served as anonymous.
fn signature(headers: &HeaderMap) -> Result<[u8; 64], Refusal> {
	match headers.get(protocol::SIGNATURE) {
		Some(v) if !v.is_empty() => hex_field(headers, protocol::SIGNATURE),
		_ => refuse(
			Reason::MissingField,
			"the request is not signed (no bt-signature); every call must be signed by the caller's hotkey",
		),
	}
}

fn parse_head(
	endpoint: Endpoint,
	scope: Scope,
	headers: &HeaderMap,
) -> Result<RequestHead, Refusal> {
	Ok(RequestHead {
		endpoint,
		scope,
		caller: Hotkey(hex_field(headers, protocol::CALLER)?),
		callee: Hotkey(hex_field(headers, protocol::CALLEE)?),
		nonce: number_field(headers, protocol::NONCE)?,
		request_id: hex_field(headers, protocol::REQUEST_ID)?,
		deadline: number_field(headers, protocol::DEADLINE)?,
		body_hash: hex_field(headers, protocol::BODY_HASH)?,
	})
}

fn check_deadline(head: &RequestHead) -> Result<tokio::time::Instant, Refusal> {
	let now = now_nanos();
	if head.deadline <= now {
		return refuse(
			Reason::DeadlinePassed,
			format!(
				"the deadline {} passed {} ms ago",
				head.deadline,
				(now - head.deadline) / 1_000_000
			),
		);
	}
	Ok(tokio::time::Instant::now() + Duration::from_nanos(head.deadline - now))
}

fn check_signature(head: &RequestHead, signature: &[u8; 64]) -> Result<(), Refusal> {
	if !protocol::verify(&head.caller, &head.message(), signature) {
		return refuse(
			Reason::BadSignature,
			format!("the signature is not hotkey {}'s signature of this request", head.caller),
		);
	}
	Ok(())
}

fn check_body_hash(head: &RequestHead, body: &[u8]) -> Result<(), Refusal> {
	if body_hash(body) != head.body_hash {
		return refuse(Reason::BodyHashMismatch, "the body's BLAKE3 differs from bt-body-hash");
	}
	Ok(())
}

fn decode<const N: usize>(body: &[u8], names: [&'static str; N]) -> Result<[Tensor; N], Refusal> {
	tensor::decode(body, names).or_else(|e| match e {
		// A well-formed tensor of a dtype nobody exchanges is a tensor the schema refuses.
		tensor::CodecError::UnsupportedDtype { .. } => refuse(Reason::BadTensor, e.to_string()),
		_ => refuse(Reason::MalformedBody, e.to_string()),
	})
}

/// HTTP/1.1 answers sent before the body was read say `connection: close`: the server will
/// not read the rest of the body, so the connection cannot carry the next request. (HTTP/2
/// refuses a stream, not the connection, and forbids the header.)
fn close_if_unread(response: &mut Response, version: Version, echo: Echo) {
	if !echo.body_read && version <= Version::HTTP_11 {
		response
			.headers_mut()
			.insert(axum::http::header::CONNECTION, HeaderValue::from_static("close"));
	}
}

async fn forward(State(axon): State<Arc<Axon>>, request: axum::extract::Request) -> Response {
	axon.handle(Endpoint::Forward, request).await
}

async fn backward(State(axon): State<Arc<Axon>>, request: axum::extract::Request) -> Response {
	axon.handle(Endpoint::Backward, request).await
}

/// Answers what is not an endpoint, or not the endpoint's method, with a signed refusal over
/// whatever the request's headers said (so a caller can check that the refusal is the axon's
/// and is about its own request), without reading the body.
fn refuse_early(
	axon: &Axon,
	endpoint: Option<Endpoint>,
	parts: &axum::http::request::Parts,
	refusal: Refusal,
) -> Response {
	let source = parts.extensions.get::<Source>().copied();
	if let Some(throttled) = axon.throttled(endpoint, source, parts.version) {
		return throttled;
	}
	axon.spend_refusal(source);
	let (version, echo) = (parts.version, Echo::of(&parts.headers));
	let mut response = axon.refusal(endpoint, echo, refusal);
	close_if_unread(&mut response, version, echo);
	axon.metrics.answered(endpoint, response.status().as_u16(), 0.0);
	response
}

async fn unknown_endpoint(
	State(axon): State<Arc<Axon>>,
	request: axum::extract::Request,
) -> Response {
	let (parts, _) = request.into_parts();
	let refusal = Refusal {
		reason: Reason::UnknownEndpoint,
		message: format!(
			"no endpoint {}; there are POST /forward and POST /backward",
			parts.uri.path()
		),
	};
	refuse_early(&axon, None, &parts, refusal)
}

fn wrong_method(axon: &Axon, endpoint: Endpoint, request: axum::extract::Request) -> Response {
	let (parts, _) = request.into_parts();
	let refusal = Refusal {
		reason: Reason::MethodNotAllowed,
		message: format!("{} takes POST, not {}", endpoint.path(), parts.method),
	};
	let mut response = refuse_early(axon, Some(endpoint), &parts, refusal);
	response.headers_mut().insert(axum::http::header::ALLOW, HeaderValue::from_static("POST"));
	response
}

async fn wrong_method_forward(
	State(axon): State<Arc<Axon>>,
	request: axum::extract::Request,
) -> Response {
	wrong_method(&axon, Endpoint::Forward, request)
}

async fn wrong_method_backward(
	State(axon): State<Arc<Axon>>,
	request: axum::extract::Request,
) -> Response {
	wrong_method(&axon, Endpoint::Backward, request)
}

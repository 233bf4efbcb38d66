//! The axon's Prometheus metrics, and a tiny HTTP endpoint serving them at `/metrics`.

use super::protocol::{Endpoint, Reason};
use prometheus::{
	Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts,
	Registry, TextEncoder,
};
use std::{net::SocketAddr, sync::Arc};

/// What a neuron reports of its model ([`Metrics::model`]).
#[derive(Clone, Debug)]
pub struct ModelLabel<'a> {
	/// `builtin`, `torchscript` or `noise`.
	pub kind: &'a str,
	/// Whether its parameters train.
	pub trains: bool,
	/// `F32`, `F16` or `BF16`.
	pub wire_dtype: &'a str,
	/// Its parameters.
	pub parameters: i64,
}

/// Counters and histograms of one axon.
#[derive(Clone)]
pub struct Metrics {
	registry: Registry,
	/// Calls answered, by endpoint and HTTP status.
	pub requests: IntCounterVec,
	/// Refusals, by reason.
	pub refusals: IntCounterVec,
	/// Seconds from a call's arrival to its answer, by endpoint.
	pub latency: HistogramVec,
	/// Request body bytes read.
	pub bytes_in: IntCounter,
	/// Response body bytes written.
	pub bytes_out: IntCounter,
	/// The learner's held-out loss (next-byte cross-entropy of its own path, nats per byte),
	/// by hotkey and subnet: `neuron run` sets it every `--log-every` steps, and the explorer
	/// charts it.
	pub held_out_loss: GaugeVec,
	/// Training steps taken, by hotkey and subnet.
	pub training_steps: IntGaugeVec,
	/// The encoder's parameters, labelled with its kind (`builtin`, `torchscript`, `noise`),
	/// whether it trains (`training`) or is served as it is (`frozen`), and the type its
	/// answers travel in: one series per neuron, which the explorer shows.
	pub model_parameters: IntGaugeVec,
}

impl Default for Metrics {
	fn default() -> Self {
		Self::new()
	}
}

impl Metrics {
	/// A fresh set, registered in its own registry.
	pub fn new() -> Self {
		let registry = Registry::new();
		let requests = IntCounterVec::new(
			Opts::new("axon_requests_total", "Calls answered, by endpoint and HTTP status"),
			&["endpoint", "status"],
		)
		.expect("static metric definition");
		let refusals = IntCounterVec::new(
			Opts::new("axon_refusals_total", "Calls refused, by reason"),
			&["reason"],
		)
		.expect("static metric definition");
		let latency = HistogramVec::new(
			HistogramOpts::new("axon_request_duration_seconds", "Time from arrival to answer")
				.buckets(vec![
					0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
					2.5, 5.0, 10.0,
				]),
			&["endpoint"],
		)
		.expect("static metric definition");
		let bytes_in = IntCounter::new("axon_bytes_in_total", "Request body bytes read")
			.expect("static metric definition");
		let bytes_out = IntCounter::new("axon_bytes_out_total", "Response body bytes written")
			.expect("static metric definition");
		let held_out_loss = GaugeVec::new(
			Opts::new(
				"neuron_held_out_loss",
				"Held-out next-byte loss of the learner, nats per byte",
			),
			&["hotkey", "netuid"],
		)
		.expect("static metric definition");
		let training_steps = IntGaugeVec::new(
			Opts::new("neuron_training_steps", "Training steps the learner has taken"),
			&["hotkey", "netuid"],
		)
		.expect("static metric definition");
		let model_parameters = IntGaugeVec::new(
			Opts::new(
				"neuron_model_parameters",
				"Parameters of the encoder the neuron serves, by kind, state and wire dtype",
			),
			&["hotkey", "netuid", "kind", "state", "wire_dtype"],
		)
		.expect("static metric definition");
		for collector in [
			Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
			Box::new(refusals.clone()),
			Box::new(latency.clone()),
			Box::new(bytes_in.clone()),
			Box::new(bytes_out.clone()),
			Box::new(held_out_loss.clone()),
			Box::new(training_steps.clone()),
			Box::new(model_parameters.clone()),
		] {
			registry.register(collector).expect("distinct metric names");
		}
		// Every reason appears from the start, at zero, so dashboards see the full set.
		for reason in Reason::ALL {
			refusals.with_label_values(&[reason.code()]);
		}
		Self {
			registry,
			requests,
			refusals,
			latency,
			bytes_in,
			bytes_out,
			held_out_loss,
			training_steps,
			model_parameters,
		}
	}

	/// Records what the neuron serves: its encoder's `kind`, whether it `trains`, the type
	/// its answers travel in and its `parameters`.
	pub fn model(&self, hotkey: &str, netuid: u16, model: &ModelLabel<'_>) {
		let state = if model.trains { "training" } else { "frozen" };
		self.model_parameters
			.with_label_values(&[hotkey, &netuid.to_string(), model.kind, state, model.wire_dtype])
			.set(model.parameters);
	}

	/// Counts an answered call.
	pub fn answered(&self, endpoint: Option<Endpoint>, status: u16, seconds: f64) {
		let endpoint = endpoint.map_or("unknown", Endpoint::name);
		self.requests.with_label_values(&[endpoint, &status.to_string()]).inc();
		self.latency.with_label_values(&[endpoint]).observe(seconds);
	}

	/// Records the learner's progress: `steps` taken, held-out `loss`.
	pub fn learning(&self, hotkey: &str, netuid: u16, steps: u64, loss: f64) {
		let netuid = netuid.to_string();
		self.held_out_loss.with_label_values(&[hotkey, &netuid]).set(loss);
		self.training_steps
			.with_label_values(&[hotkey, &netuid])
			.set(i64::try_from(steps).unwrap_or(i64::MAX));
	}

	/// The metrics in Prometheus' text format.
	pub fn render(&self) -> String {
		let mut out = Vec::new();
		let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
		String::from_utf8(out).unwrap_or_default()
	}

	/// A refusal's counter value (tests and the benchmark read it).
	pub fn refused(&self, reason: Reason) -> u64 {
		self.refusals.with_label_values(&[reason.code()]).get()
	}

	/// Serves `GET /metrics` on `addr` until the task is aborted.
	pub async fn serve(
		self: Arc<Self>,
		addr: SocketAddr,
	) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
		let listener = tokio::net::TcpListener::bind(addr).await?;
		let local = listener.local_addr()?;
		let router = axum::Router::new().route(
			"/metrics",
			axum::routing::get(move || {
				let metrics = self.clone();
				async move {
					(
						[(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
						metrics.render(),
					)
				}
			}),
		);
		let task = tokio::spawn(async move {
			let _ =
				super::http::serve_router(listener, router, super::http::Limits::default(), None)
					.await;
		});
		Ok((local, task))
	}
}

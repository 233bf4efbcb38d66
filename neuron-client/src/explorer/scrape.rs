//! Each neuron's reported learning, read from its metrics endpoint (`neuron run
//! --metrics-port`): the held-out loss and steps it publishes as `neuron_held_out_loss` and
//! `neuron_training_steps`, and the model it serves as `neuron_model_parameters` (kind, state
//! and wire dtype as labels), labelled with its hotkey and subnet. The chain records no loss
//! (a loss a neuron reports about itself is a claim, not a measurement the market should pay
//! on, and writing it would cost every block space), so the explorer asks the neurons.

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::{
	client::legacy::{connect::HttpConnector, Client},
	rt::TokioExecutor,
};
use std::{collections::BTreeMap, time::Duration};

/// Largest metrics page read.
const MAX_PAGE: usize = 1 << 20;
/// Longest wait for one endpoint.
const TIMEOUT: Duration = Duration::from_secs(2);
/// Longest label value kept from a model's labels (they are a peer's free text).
const MAX_LABEL: usize = 32;

/// What one neuron reported.
#[derive(Clone, Debug, PartialEq)]
pub struct Reported {
	/// Its hotkey (SS58).
	pub hotkey: String,
	/// Its subnet.
	pub netuid: u16,
	/// Held-out loss, nats per byte.
	pub loss: Option<f64>,
	/// Training steps taken.
	pub steps: Option<u64>,
	/// The model it serves.
	pub model: Option<ReportedModel>,
}

/// The model a neuron reports serving (`neuron_model_parameters`). The labels are the peer's
/// free text: at most 32 printable ASCII characters each.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportedModel {
	/// `builtin`, `torchscript` or `noise`.
	pub kind: String,
	/// `training` or `frozen`.
	pub state: String,
	/// The type its answers travel in: `F32`, `F16` or `BF16`.
	pub wire_dtype: String,
	/// Its parameters.
	pub parameters: u64,
}

/// A peer's label value as shown: printable ASCII only, at most [`MAX_LABEL`] characters.
fn shown(value: Option<&String>) -> String {
	value
		.map(|v| {
			v.chars()
				.filter(|c| *c == ' ' || c.is_ascii_graphic())
				.take(MAX_LABEL)
				.collect::<String>()
		})
		.unwrap_or_default()
}

/// The neurons a Prometheus text page reports on (one page can hold several).
pub fn parse(page: &str) -> Vec<Reported> {
	let mut by_neuron: BTreeMap<(String, u16), Reported> = BTreeMap::new();
	for line in page.lines() {
		let Some((name, labels, value)) = sample(line) else { continue };
		let (Some(hotkey), Some(netuid)) =
			(labels.get("hotkey"), labels.get("netuid").and_then(|n| n.parse::<u16>().ok()))
		else {
			continue;
		};
		let entry = by_neuron.entry((hotkey.clone(), netuid)).or_insert_with(|| Reported {
			hotkey: hotkey.clone(),
			netuid,
			loss: None,
			steps: None,
			model: None,
		});
		match name {
			"neuron_held_out_loss" if value.is_finite() => entry.loss = Some(value),
			"neuron_training_steps" if value.is_finite() && value >= 0.0 => {
				entry.steps = Some(value as u64)
			},
			"neuron_model_parameters" if value.is_finite() && value >= 0.0 => {
				entry.model = Some(ReportedModel {
					kind: shown(labels.get("kind")),
					state: shown(labels.get("state")),
					wire_dtype: shown(labels.get("wire_dtype")),
					parameters: value as u64,
				})
			},
			_ => {},
		}
	}
	// A noise neuron reports a model and no loss.
	by_neuron.into_values().filter(|r| r.loss.is_some() || r.model.is_some()).collect()
}

/// `name{a="x",b="y"} value` → (name, labels, value); comments and other shapes are skipped.
fn sample(line: &str) -> Option<(&str, BTreeMap<String, String>, f64)> {
	let line = line.trim();
	if line.starts_with('#') {
		return None;
	}
	let open = line.find('{')?;
	let close = line.rfind('}')?;
	let name = &line[..open];
	let value = line[close + 1..].split_whitespace().next()?.parse::<f64>().ok()?;
	Some((name, labels(&line[open + 1..close])?, value))
}

/// `a="x",b="y \"quoted\", with a comma"` → {a: x, b: y "quoted", with a comma}: values are
/// read up to their closing quote, with Prometheus's escapes (`\\`, `\"`, `\n`) undone.
fn labels(mut rest: &str) -> Option<BTreeMap<String, String>> {
	let mut labels = BTreeMap::new();
	loop {
		rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
		if rest.is_empty() {
			return Some(labels);
		}
		let (key, after) = rest.split_once('=')?;
		let quoted = after.trim_start().strip_prefix('"')?;
		let mut value = String::new();
		let mut chars = quoted.char_indices();
		let end = loop {
			let (i, c) = chars.next()?;
			match c {
				'"' => break i,
				'\\' => match chars.next()?.1 {
					'n' => value.push('\n'),
					escaped => value.push(escaped),
				},
				c => value.push(c),
			}
		};
		labels.insert(key.trim().to_string(), value);
		rest = &quoted[end + 1..];
	}
}

/// Reads metrics pages over one pooled HTTP client, so that a scrape at every block reuses
/// its connections instead of opening a new one per endpoint.
pub struct Scraper {
	client: Client<HttpConnector, Empty<Bytes>>,
}

impl Default for Scraper {
	fn default() -> Self {
		Self { client: Client::builder(TokioExecutor::new()).build_http() }
	}
}

impl Scraper {
	/// Every page of `urls` at once (a slow endpoint costs one [`TIMEOUT`], not one each),
	/// in the order given.
	pub async fn fetch_all(&self, urls: &[String]) -> Vec<Result<String>> {
		futures::future::join_all(urls.iter().map(|url| self.fetch(url))).await
	}

	/// The metrics page at `url` (its `/metrics` is added when the URL has no path).
	async fn fetch(&self, url: &str) -> Result<String> {
		let url = if url.trim_end_matches('/').ends_with("/metrics") {
			url.to_string()
		} else {
			format!("{}/metrics", url.trim_end_matches('/'))
		};
		let uri: hyper::Uri = url.parse().with_context(|| format!("--metrics {url}: not a URL"))?;
		if uri.scheme_str() != Some("http") {
			bail!("--metrics {url}: only http:// endpoints are read");
		}
		let response = tokio::time::timeout(TIMEOUT, self.client.get(uri))
			.await
			.with_context(|| format!("{url}: no answer within {TIMEOUT:?}"))?
			.with_context(|| format!("reading {url}"))?;
		if !response.status().is_success() {
			bail!("{url}: HTTP {}", response.status());
		}
		let body =
			tokio::time::timeout(TIMEOUT, Limited::new(response.into_body(), MAX_PAGE).collect())
				.await
				.with_context(|| format!("{url}: the page did not arrive within {TIMEOUT:?}"))?
				.map_err(|e| anyhow::anyhow!("{url}: {e}"))?
				.to_bytes();
		Ok(String::from_utf8_lossy(&body).into_owned())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn reads_each_neurons_loss_and_steps_and_skips_the_rest() {
		let page = "# HELP neuron_held_out_loss Held-out loss\n\
			# TYPE neuron_held_out_loss gauge\n\
			neuron_held_out_loss{hotkey=\"5Abc\",netuid=\"1\"} 2.5\n\
			neuron_training_steps{hotkey=\"5Abc\",netuid=\"1\"} 300\n\
			neuron_held_out_loss{hotkey=\"5Def\",netuid=\"x\"} 1.0\n\
			neuron_held_out_loss{hotkey=\"5Ghi\",netuid=\"2\"} NaN\n\
			axon_requests_total{endpoint=\"forward\",status=\"200\"} 9\n\
			garbage{ 3\n";
		assert_eq!(
			parse(page),
			vec![Reported {
				hotkey: "5Abc".into(),
				netuid: 1,
				loss: Some(2.5),
				steps: Some(300),
				model: None,
			}]
		);
	}

	#[test]
	fn reads_each_neurons_model_even_without_a_loss_and_tames_its_labels() {
		// Escaped as Prometheus escapes (`\"`, `\n`), with a comma, braces, a bell, non-ASCII
		// and far too long.
		let hostile = String::from("a\\\"b,c=\\n}{\u{7}é") + &"x".repeat(100);
		let page = format!(
			"# TYPE neuron_model_parameters gauge\n\
			neuron_model_parameters{{hotkey=\"5Abc\",netuid=\"1\",kind=\"torchscript\",state=\"frozen\",wire_dtype=\"BF16\"}} 1100000\n\
			neuron_held_out_loss{{hotkey=\"5Abc\",netuid=\"1\"}} 2.5\n\
			neuron_model_parameters{{hotkey=\"5Noise\",netuid=\"1\",kind=\"{hostile}\",state=\"training\",wire_dtype=\"F32\"}} 0\n\
			neuron_model_parameters{{hotkey=\"5Neg\",netuid=\"1\",kind=\"builtin\",state=\"training\",wire_dtype=\"F32\"}} -3\n\
			neuron_model_parameters{{hotkey=\"5Inf\",netuid=\"1\",kind=\"builtin\",state=\"training\",wire_dtype=\"F32\"}} +Inf\n"
		);
		let reported = parse(&page);
		assert_eq!(reported.len(), 2, "{reported:?}");
		assert_eq!(reported[0].hotkey, "5Abc");
		assert_eq!(reported[0].loss, Some(2.5));
		assert_eq!(
			reported[0].model,
			Some(ReportedModel {
				kind: "torchscript".into(),
				state: "frozen".into(),
				wire_dtype: "BF16".into(),
				parameters: 1_100_000,
			})
		);
		// A noise neuron: a model and no loss. Its odd label keeps its printable ASCII, cut to
		// 32 characters.
		assert_eq!(reported[1].hotkey, "5Noise");
		assert_eq!(reported[1].loss, None);
		let model = reported[1].model.as_ref().unwrap();
		assert_eq!(model.parameters, 0);
		assert_eq!(model.state, "training");
		assert_eq!(model.wire_dtype, "F32");
		assert_eq!(model.kind.len(), MAX_LABEL);
		assert!(model.kind.chars().all(|c| c == ' ' || c.is_ascii_graphic()), "{}", model.kind);
		// The escaped quote is undone, the newline, bell and `é` dropped.
		assert!(model.kind.starts_with("a\"b,c=}{xxx"), "{}", model.kind);
	}
}

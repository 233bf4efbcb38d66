//! Each neuron's reported learning, read from its metrics endpoint (`neuron run
//! --metrics-port`): the held-out loss and steps it publishes as `neuron_held_out_loss` and
//! `neuron_training_steps`, labelled with its hotkey and subnet. The chain records no loss
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
		});
		match name {
			"neuron_held_out_loss" if value.is_finite() => entry.loss = Some(value),
			"neuron_training_steps" if value.is_finite() && value >= 0.0 => {
				entry.steps = Some(value as u64)
			},
			_ => {},
		}
	}
	by_neuron.into_values().filter(|r| r.loss.is_some()).collect()
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
	let mut labels = BTreeMap::new();
	for pair in line[open + 1..close].split(',') {
		let (key, quoted) = pair.split_once('=')?;
		let value = quoted.trim().strip_prefix('"')?.strip_suffix('"')?;
		labels.insert(key.trim().to_string(), value.to_string());
	}
	Some((name, labels, value))
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
			vec![Reported { hotkey: "5Abc".into(), netuid: 1, loss: Some(2.5), steps: Some(300) }]
		);
	}
}

//! Raw JSON-RPC to a node, for the methods subxt has no wrapper for (`system_properties`,
//! `bittensor_getMetagraph`) and for large answers, which go over plain HTTP.

use crate::amount::Token;
use anyhow::{anyhow, Context, Result};
use std::time::Duration;
use subxt::rpcs::{rpc_params, RpcClient};

/// How long connecting may take before the node counts as unreachable.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A bare JSON-RPC connection: enough for the metagraph, which needs neither subxt's metadata
/// download nor its block tracking, so `neuron metagraph` starts fast.
pub struct Rpc {
	/// The connection.
	pub client: RpcClient,
	/// The chain's token (symbol and decimals).
	pub token: Token,
	/// The same endpoint over plain HTTP (a node serves both on its RPC port), for large
	/// answers: `ws://` only.
	http: Option<Http>,
}

/// An HTTP client for one JSON-RPC endpoint, built once so that repeated calls (a neuron
/// reads the metagraph every block) reuse its connection.
struct Http {
	uri: hyper::Uri,
	client: hyper_util::client::legacy::Client<
		hyper_util::client::legacy::connect::HttpConnector,
		http_body_util::Full<bytes::Bytes>,
	>,
}

/// The largest answer read over HTTP: well above the node's 15 MB default response limit.
const MAX_HTTP_ANSWER: usize = 64 << 20;

/// The HTTP address of a `ws://` endpoint; `None` for `wss://` (no TLS client here).
fn http_endpoint(url: &str) -> Option<hyper::Uri> {
	format!("http://{}", url.strip_prefix("ws://")?).parse().ok()
}

impl Rpc {
	/// Connects to the node at `url` (ws:// or wss://) and reads its token properties.
	pub async fn connect(url: &str) -> Result<Self> {
		let client = tokio::time::timeout(CONNECT_TIMEOUT, RpcClient::from_insecure_url(url))
			.await
			.map_err(|_| unreachable(url, "timed out".into()))?
			.map_err(|e| unreachable(url, e.to_string()))?;
		let properties: serde_json::Value = client
			.request("system_properties", rpc_params![])
			.await
			.context("reading the chain's token properties")?;
		let mut token = Token::default();
		if let Some(symbol) = properties["tokenSymbol"].as_str() {
			token.symbol = symbol.to_string();
		}
		if let Some(decimals) = properties["tokenDecimals"].as_u64() {
			token.decimals = u32::try_from(decimals).ok().filter(|&d| d <= 30).unwrap_or(9);
		}
		let http = http_endpoint(url).map(|uri| Http {
			uri,
			client: hyper_util::client::legacy::Client::builder(
				hyper_util::rt::TokioExecutor::new(),
			)
			.build_http(),
		});
		Ok(Self { client, token, http })
	}

	/// Calls `bittensor_getMetagraph(netuid)` and returns its raw JSON (`null` when the subnet
	/// does not exist).
	pub async fn metagraph_json(&self, netuid: u16) -> Result<Box<serde_json::value::RawValue>> {
		if let Some(http) = &self.http {
			let body = format!(
				r#"{{"jsonrpc":"2.0","id":1,"method":"bittensor_getMetagraph","params":[{netuid}]}}"#
			);
			return http.post_json(body).await.context("calling bittensor_getMetagraph");
		}
		self.client
			.request("bittensor_getMetagraph", rpc_params![netuid])
			.await
			.context("calling bittensor_getMetagraph")
	}
}

impl Http {
	/// One JSON-RPC call, its `result` kept as raw JSON. A 1.3 MB metagraph goes straight from
	/// the body to the caller's parser; the WebSocket client would build a `serde_json::Value`
	/// of it and print it again first, which costs more than the call itself.
	async fn post_json(&self, body: String) -> Result<Box<serde_json::value::RawValue>> {
		use http_body_util::{BodyExt, Full, Limited};
		let request = hyper::Request::post(self.uri.clone())
			.header(hyper::header::CONTENT_TYPE, "application/json")
			.body(Full::new(bytes::Bytes::from(body)))?;
		let response = self.client.request(request).await?;
		let status = response.status();
		let bytes = Limited::new(response.into_body(), MAX_HTTP_ANSWER)
			.collect()
			.await
			.map_err(|e| anyhow!("reading the answer: {e}"))?
			.to_bytes();
		let text = std::str::from_utf8(&bytes).context("the answer is not UTF-8")?;
		result_of(text).with_context(|| format!("the node answered HTTP {status}"))
	}
}

/// The `result` of a JSON-RPC reply, as raw JSON (`null` included), or its `error`.
fn result_of(reply: &str) -> Result<Box<serde_json::value::RawValue>> {
	use serde_json::value::RawValue;
	#[derive(serde::Deserialize)]
	struct Reply<'a> {
		// Present (even as `null`: a subnet that does not exist) or absent.
		#[serde(borrow, default, deserialize_with = "present")]
		result: Option<&'a RawValue>,
		error: Option<serde_json::Value>,
	}
	fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
		<&RawValue as serde::Deserialize>::deserialize(d).map(Some)
	}
	let reply: Reply = serde_json::from_str(reply).context("not a JSON-RPC reply")?;
	match (reply.result, reply.error) {
		(_, Some(error)) => Err(anyhow!("the node refused the call: {error}")),
		(Some(result), None) => Ok(result.to_owned()),
		(None, None) => Err(anyhow!("a JSON-RPC reply with neither result nor error")),
	}
}

pub(crate) fn unreachable(url: &str, why: String) -> anyhow::Error {
	anyhow!("cannot reach the node at {url}: {why} (is `bittensor-node` running there?)")
}

#[cfg(test)]
mod tests {
	use super::{http_endpoint, result_of};

	#[test]
	fn a_reply_gives_its_result_even_null_or_its_error() {
		let graph = result_of(r#"{"jsonrpc":"2.0","id":1,"result":{"netuid":2}}"#).unwrap();
		assert_eq!(graph.get(), r#"{"netuid":2}"#);
		let missing = result_of(r#"{"jsonrpc":"2.0","id":1,"result":null}"#).unwrap();
		assert_eq!(missing.get(), "null");
		let refused =
			r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}"#;
		assert!(result_of(refused).unwrap_err().to_string().contains("Method not found"));
		assert!(result_of(r#"{"jsonrpc":"2.0","id":1}"#).is_err());
		assert!(result_of("<html>").is_err());
	}

	#[test]
	fn large_answers_go_over_http_to_the_same_port() {
		let uri = http_endpoint("ws://127.0.0.1:9944").unwrap();
		assert_eq!(uri.to_string(), "http://127.0.0.1:9944/");
		// A path (a node behind a proxy) is kept.
		let proxied = http_endpoint("ws://node.example/bittensor/rpc").unwrap();
		assert_eq!(proxied.to_string(), "http://node.example/bittensor/rpc");
		assert!(http_endpoint("wss://node.example").is_none());
	}
}

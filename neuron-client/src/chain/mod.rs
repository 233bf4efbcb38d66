//! The connection to a node: subxt with static types generated from the runtime's metadata
//! (`metadata/bittensor.scale`, refreshed by `scripts/update-metadata.sh`), transaction
//! submission with progress and named errors, and the raw JSON-RPC methods subxt has no
//! wrapper for (`system_properties`, `bittensor_getMetagraph`).

pub mod load;
pub mod metagraph;
pub mod weights;

use crate::{amount::Token, progress::Spinner};
use anyhow::{anyhow, Context, Result};
use std::time::Duration;
use subxt::{
	config::PolkadotExtrinsicParamsBuilder,
	error::{DispatchError, TransactionEventsError},
	extrinsics::ExtrinsicEvents,
	rpcs::{rpc_params, RpcClient},
	tx::{Payload, TransactionStatus},
	utils::AccountId32,
	OnlineClient, PolkadotConfig,
};
use subxt_signer::sr25519::Keypair;

/// Static types and call builders for the bittensor runtime.
#[subxt::subxt(runtime_metadata_path = "metadata/bittensor.scale")]
pub mod runtime {}

/// The runtime's pallet types, e.g. `SubnetHyperparameters`.
pub use runtime::runtime_types::pallet_bittensor::types as pallet_types;

/// The client configuration: the bittensor runtime uses Polkadot's account, address,
/// signature and transaction extension types.
pub type Config = PolkadotConfig;

/// How long connecting may take before the node counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A connected node.
pub struct Chain {
	/// subxt's client.
	pub api: OnlineClient<Config>,
	/// The same connection for raw JSON-RPC requests, with the chain's token.
	pub rpc: Rpc,
	/// The runtime's metadata when connecting (constants, error documentation).
	pub metadata: subxt::ArcMetadata,
}

/// A signed transaction, ready to submit.
pub type Signed =
	subxt::tx::SubmittableTransaction<Config, subxt::client::OnlineClientAtBlockImpl<Config>>;

/// Where a submitted transaction ended up.
pub struct Included {
	/// Its events.
	pub events: ExtrinsicEvents<Config>,
	/// Hash of the block holding it.
	pub block_hash: String,
}

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

fn unreachable(url: &str, why: String) -> anyhow::Error {
	anyhow!("cannot reach the node at {url}: {why} (is `bittensor-node` running there?)")
}

impl Chain {
	/// Connects to the node at `url` (ws:// or wss://).
	pub async fn connect(url: &str) -> Result<Self> {
		let rpc = Rpc::connect(url).await?;
		let api = tokio::time::timeout(
			CONNECT_TIMEOUT,
			OnlineClient::from_rpc_client(rpc.client.clone()),
		)
		.await
		.map_err(|_| unreachable(url, "timed out".into()))?
		.map_err(|e| anyhow!("connected to {url}, but could not load the chain's state: {e}"))?;
		let metadata = api.at_current_block().await?.metadata();
		Ok(Self { api, rpc, metadata })
	}

	/// A client reading the best block: what a user just did is included there before it is
	/// finalized, and each command waits for inclusion, so the next one sees it.
	pub async fn at_best(&self) -> Result<subxt::OnlineClientAtBlock<Config>> {
		let hash: String = self.rpc.client.request("chain_getBlockHash", rpc_params![]).await?;
		let bytes: [u8; 32] = hex::decode(hash.trim_start_matches("0x"))
			.ok()
			.and_then(|b| b.try_into().ok())
			.with_context(|| format!("the node returned a malformed block hash {hash}"))?;
		Ok(self.api.at_block(subxt::config::substrate::H256::from(bytes)).await?)
	}

	/// The next nonce of `account`, counting its transactions still in the pool.
	pub async fn next_nonce(&self, account: &AccountId32) -> Result<u64> {
		let nonce: u64 = self
			.rpc
			.client
			.request("system_accountNextIndex", rpc_params![account.to_string()])
			.await
			.context("reading the account's nonce")?;
		Ok(nonce)
	}

	/// Signs `call` with the next nonce of `signer`.
	async fn sign<C: Payload>(&self, call: &C, signer: &Keypair) -> Result<Signed> {
		let nonce = self.next_nonce(&signer.public_key().to_account_id()).await?;
		self.sign_with_nonce(call, signer, nonce).await
	}

	/// Signs `call` with `signer` and an explicit nonce (to queue several transactions).
	pub async fn sign_with_nonce<C: Payload>(
		&self,
		call: &C,
		signer: &Keypair,
		nonce: u64,
	) -> Result<Signed> {
		let params = PolkadotExtrinsicParamsBuilder::<Config>::new().nonce(nonce).build();
		let at = self.at_best().await?;
		at.transactions().create_signed(call, signer, params).await.map_err(stale_metadata)
	}

	/// Free balance of `account`.
	pub async fn free_balance(&self, account: &AccountId32) -> Result<u128> {
		let at = self.at_best().await?;
		let info = at
			.storage()
			.fetch(runtime::storage().system().account(), (*account,))
			.await
			.map_err(stale_metadata)?
			.decode()?;
		Ok(info.data.free)
	}

	/// Stake on `hotkey`.
	pub async fn stake(&self, hotkey: &AccountId32) -> Result<u128> {
		let at = self.at_best().await?;
		Ok(at
			.storage()
			.fetch(runtime::storage().bittensor().stake(), (*hotkey,))
			.await
			.map_err(stale_metadata)?
			.decode()?)
	}

	/// The coldkey that owns `hotkey`, if it was ever registered.
	pub async fn owner(&self, hotkey: &AccountId32) -> Result<Option<AccountId32>> {
		let at = self.at_best().await?;
		let value = at
			.storage()
			.try_fetch(runtime::storage().bittensor().owner(), (*hotkey,))
			.await
			.map_err(stale_metadata)?;
		Ok(match value {
			Some(value) => Some(value.decode()?),
			None => None,
		})
	}

	/// The balance below which an account is reaped.
	pub fn existential_deposit(&self) -> Result<u128> {
		self.constant("Balances", "ExistentialDeposit")
	}

	/// A runtime constant from the metadata, e.g. `Bittensor::MaxWeightsPerNeuron`.
	pub fn constant<T: codec::Decode>(&self, pallet: &str, name: &str) -> Result<T> {
		let constant = self
			.metadata
			.pallet_by_name(pallet)
			.and_then(|p| p.constant_by_name(name))
			.with_context(|| format!("the runtime has no {pallet}::{name}"))?;
		Ok(T::decode(&mut constant.value())?)
	}

	/// Neurons in subnet `netuid`.
	pub async fn subnet_size(&self, netuid: u16) -> Result<u16> {
		let at = self.at_best().await?;
		Ok(at
			.storage()
			.fetch(runtime::storage().bittensor().subnetwork_n(), (netuid,))
			.await
			.map_err(stale_metadata)?
			.decode()?)
	}

	/// The best block's number.
	pub async fn best_block(&self) -> Result<u64> {
		let header: serde_json::Value =
			self.rpc.client.request("chain_getHeader", rpc_params![]).await?;
		let number = header["number"].as_str().context("a header without a number")?;
		Ok(u64::from_str_radix(number.trim_start_matches("0x"), 16)?)
	}

	/// The fee the chain would charge `signer` for `call`, in planck.
	pub async fn fee<C: Payload>(&self, call: &C, signer: &Keypair) -> Result<u128> {
		let tx = self.sign(call, signer).await?;
		Ok(tx.partial_fee_estimate().await?)
	}

	/// Signs `call` with `signer`, submits it and waits until it is in a block (or finalized,
	/// with `finalized`), showing `what` with a spinner. A failed dispatch becomes an error
	/// naming the pallet error and quoting its documentation.
	pub async fn submit<C: Payload>(
		&self,
		call: &C,
		signer: &Keypair,
		what: &str,
		finalized: bool,
	) -> Result<Included> {
		let mut progress =
			self.sign(call, signer).await?.submit_and_watch().await.map_err(|e| {
				anyhow!("the node refused the transaction: {}", describe_refusal(&self.metadata, e))
			})?;
		let spinner = Spinner::start(format!("{what}: submitted"));
		let result = loop {
			let Some(status) = progress.next().await else {
				break Err(anyhow!("the node stopped reporting on the transaction"));
			};
			let block = match status {
				Ok(TransactionStatus::InBestBlock(b)) if !finalized => b,
				Ok(TransactionStatus::InBestBlock(_)) => {
					spinner.set(format!("{what}: in a block, waiting for finality"));
					continue;
				},
				Ok(TransactionStatus::InFinalizedBlock(b)) => b,
				Ok(TransactionStatus::Invalid { message }) => {
					let reason = describe_refusal(&self.metadata, message);
					break Err(anyhow!("the transaction became invalid in the pool: {reason}"));
				},
				Ok(TransactionStatus::Dropped { message }) => {
					break Err(anyhow!("the transaction was dropped: {message}"))
				},
				Ok(TransactionStatus::Error { message }) => {
					break Err(anyhow!("the node failed the transaction: {message}"))
				},
				Ok(_) => continue,
				Err(e) => break Err(anyhow!("lost track of the transaction: {e}")),
			};
			let block_hash = format!("{:?}", block.block_hash());
			break match block.wait_for_success().await {
				Ok(events) => Ok(Included { events, block_hash }),
				Err(TransactionEventsError::ExtrinsicFailed(error)) => {
					Err(anyhow!("{}", describe_dispatch_error(&self.metadata, &error)))
				},
				Err(e) => Err(anyhow!("reading the transaction's outcome: {e}")),
			};
		};
		spinner.stop();
		result
	}
}

/// `Pallet::Error: its documentation` for the error `error_index` of the pallet at
/// `pallet_index`, if the metadata knows it.
pub fn describe_module_error(
	metadata: &subxt::Metadata,
	pallet_index: u8,
	error_index: u8,
) -> Option<String> {
	let pallet = metadata.pallet_by_error_index(pallet_index)?;
	let variant = pallet.error_variant_by_index(error_index)?;
	let docs = variant.docs.join(" ");
	let docs = docs.trim();
	Some(if docs.is_empty() {
		format!("{}::{}", pallet.name(), variant.name)
	} else {
		format!("{}::{}: {docs}", pallet.name(), variant.name)
	})
}

/// The failed dispatch of a transaction, with the pallet error's name and documentation where
/// it is a pallet error.
fn describe_dispatch_error(metadata: &subxt::Metadata, error: &DispatchError) -> String {
	if let DispatchError::Module(module) = error {
		if let Some(text) =
			describe_module_error(metadata, module.pallet_index(), module.error_index())
		{
			return text;
		}
	}
	format!("the transaction failed: {error}")
}

/// Why the transaction pool refused a transaction, in words. The runtime refuses a
/// `serve_axon` or `set_weights` that would fail with `InvalidTransaction::Custom(i)`, where
/// `i` is the index of the Bittensor pallet error it would fail with; the pool refuses a
/// second `set_weights` (or `serve_axon`) of a hotkey for a subnet while the first waits, as
/// "priority is too low".
pub fn describe_refusal(metadata: &subxt::Metadata, error: impl std::fmt::Display) -> String {
	let text = error.to_string();
	if let Some(code) = custom_code(&text) {
		let named = metadata
			.pallet_by_name("Bittensor")
			.and_then(|pallet| describe_module_error(metadata, pallet.error_index(), code));
		if let Some(named) = named {
			return format!("{named} (refused before entering the pool; nothing was charged)");
		}
	}
	let lower = text.to_ascii_lowercase();
	if lower.contains("priority") && lower.contains("too low") {
		return format!(
			"this hotkey already has a transaction of the same kind for this subnet waiting in \
			 the pool (one set_weights and one serve_axon each), or one with the same nonce: \
			 wait until it is in a block ({text})"
		);
	}
	if lower.contains("inability to pay some fees") || lower.contains("cannot pay") {
		return format!(
			"the signer cannot pay the fee: it holds too little balance, or it is not a hotkey \
			 registered in the call's subnet (whose serve_axon and set_weights are free) ({text})"
		);
	}
	stale_metadata(text).to_string()
}

/// The `n` of "custom error: n" in a pool refusal (the node's JSON-RPC error says "Custom
/// error: n", subxt's decoding of it "Invalid transaction with custom error: n").
fn custom_code(text: &str) -> Option<u8> {
	let lower = text.to_ascii_lowercase();
	let rest = &lower[lower.find("custom error: ")? + "custom error: ".len()..];
	let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
	digits.parse().ok()
}

/// Points at the likely cause when the node's runtime no longer matches the client's metadata.
fn stale_metadata(error: impl std::fmt::Display) -> anyhow::Error {
	let text = error.to_string();
	if text.contains("not compatible with the live chain") {
		anyhow!("{text} (the node runs a runtime this client was not built for: update `neuron`)")
	} else {
		anyhow!(text)
	}
}

/// The first event of type `E` among a transaction's events.
pub fn find_event<E: subxt::events::DecodeAsEvent>(included: &Included) -> Result<Option<E>> {
	match included.events.find_first::<E>() {
		Some(event) => Ok(Some(event?)),
		None => Ok(None),
	}
}

#[cfg(test)]
mod tests {
	use super::{custom_code, describe_refusal, http_endpoint, result_of};

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

	#[test]
	fn pool_refusals_read_as_one_plain_sentence() {
		use codec::Decode;
		let bytes = include_bytes!("../../metadata/bittensor.scale");
		let metadata = subxt::Metadata::decode(&mut &bytes[..]).unwrap();
		let queued = describe_refusal(&metadata, "Transaction is outdated: Priority is too low");
		assert!(queued.starts_with("this hotkey already has a transaction"), "{queued}");
		let unfunded = describe_refusal(&metadata, "Inability to pay some fees");
		assert!(unfunded.starts_with("the signer cannot pay the fee"), "{unfunded}");
		for text in [queued, unfunded] {
			assert!(!text.contains('\t') && !text.contains("  "), "stray whitespace: {text:?}");
		}
	}

	#[test]
	fn custom_codes_are_read_from_pool_refusals() {
		let text = "RPC error: ErrorObject { code: ServerError(1010), message: \"Invalid \
		            Transaction\", data: Some(RawValue(\"Custom error: 13\")) }";
		assert_eq!(custom_code(text), Some(13));
		assert_eq!(custom_code("Custom error: 255"), Some(255));
		let subxt = "The transaction is not valid: Invalid transaction with custom error: 28";
		assert_eq!(custom_code(subxt), Some(28));
		assert_eq!(custom_code("Custom error: 256"), None);
		assert_eq!(custom_code("Transaction is outdated"), None);
	}
}

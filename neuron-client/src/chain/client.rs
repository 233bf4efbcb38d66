//! The subxt client of a node: connection, reads of the best block, signing, and submission
//! that waits for a block and reports a failure as a typed [`ChainError`].

use super::{
	errors::{dispatch_error, refusal, stale_metadata, ChainError, Stage},
	rpc::{unreachable, Rpc, CONNECT_TIMEOUT},
	runtime,
};
use anyhow::{anyhow, Context, Result};
use subxt::{
	config::PolkadotExtrinsicParamsBuilder,
	error::TransactionEventsError,
	extrinsics::ExtrinsicEvents,
	rpcs::rpc_params,
	tx::{Payload, TransactionStatus},
	utils::AccountId32,
	OnlineClient, PolkadotConfig,
};
use subxt_signer::sr25519::Keypair;

/// The client configuration: the bittensor runtime uses Polkadot's account, address,
/// signature and transaction extension types.
pub type Config = PolkadotConfig;

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

/// How to wait for a submitted transaction, and whom to tell how it goes (a command draws a
/// spinner; a neuron tells nobody).
#[derive(Clone, Copy, Default)]
pub struct Watch<'a> {
	/// Wait for finality, not only for a block.
	pub finalized: bool,
	/// Told each stage: `submitted`, `in a block, waiting for finality`.
	pub progress: Option<&'a (dyn Fn(&str) + Sync)>,
}

impl Watch<'_> {
	/// Until the transaction is in a best block, telling nobody.
	pub const QUIET: Watch<'static> = Watch { finalized: false, progress: None };

	fn tell(&self, stage: &str) {
		if let Some(progress) = self.progress {
			progress(stage);
		}
	}
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

	/// The chain's genesis block hash: what tells this chain from any other (a testnet, a
	/// fork), signed into every axon call.
	pub async fn genesis_hash(&self) -> Result<[u8; 32]> {
		let hash: String = self.rpc.client.request("chain_getBlockHash", rpc_params![0u32]).await?;
		hex::decode(hash.trim_start_matches("0x"))
			.ok()
			.and_then(|b| b.try_into().ok())
			.with_context(|| format!("the node returned a malformed genesis hash {hash}"))
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
	/// with `watch.finalized`). A refusal or failed dispatch is typed: the pallet's error,
	/// named and documented from the metadata, where it is one.
	pub async fn submit<C: Payload>(
		&self,
		call: &C,
		signer: &Keypair,
		watch: Watch<'_>,
	) -> Result<Included, ChainError> {
		let mut progress = self
			.sign(call, signer)
			.await?
			.submit_and_watch()
			.await
			.map_err(|e| refusal(&self.metadata, e, Stage::Submission))?;
		watch.tell("submitted");
		loop {
			let Some(status) = progress.next().await else {
				return Err(anyhow!("the node stopped reporting on the transaction").into());
			};
			let block = match status {
				Ok(TransactionStatus::InBestBlock(b)) if !watch.finalized => b,
				Ok(TransactionStatus::InBestBlock(_)) => {
					watch.tell("in a block, waiting for finality");
					continue;
				},
				Ok(TransactionStatus::InFinalizedBlock(b)) => b,
				Ok(TransactionStatus::Invalid { message }) => {
					return Err(refusal(&self.metadata, message, Stage::Pool));
				},
				Ok(TransactionStatus::Dropped { message }) => {
					return Err(ChainError::Refused(format!(
						"the transaction was dropped: {message}"
					)))
				},
				Ok(TransactionStatus::Error { message }) => {
					return Err(ChainError::Refused(format!(
						"the node failed the transaction: {message}"
					)))
				},
				Ok(_) => continue,
				Err(e) => return Err(anyhow!("lost track of the transaction: {e}").into()),
			};
			let block_hash = format!("{:?}", block.block_hash());
			return match block.wait_for_success().await {
				Ok(events) => Ok(Included { events, block_hash }),
				Err(TransactionEventsError::ExtrinsicFailed(error)) => {
					Err(dispatch_error(&self.metadata, &error))
				},
				Err(e) => Err(anyhow!("reading the transaction's outcome: {e}").into()),
			};
		}
	}
}

/// The first event of type `E` among a transaction's events.
pub fn find_event<E: subxt::events::DecodeAsEvent>(included: &Included) -> Result<Option<E>> {
	match included.events.find_first::<E>() {
		Some(event) => Ok(Some(event?)),
		None => Ok(None),
	}
}

//! The node's JSON-RPC extensions: the standard `system_*` and `payment_*` methods plus
//! `bittensor_getMetagraph`, `bittensor_getSubnets` and `bittensor_getWeights`.

use crate::metagraph_cache::MetagraphCache;
use bittensor_runtime::{opaque::Block, AccountId, Balance, BlockNumber, Nonce};
use jsonrpsee::{
	core::RpcResult,
	proc_macros::rpc,
	types::{error::ErrorObjectOwned, ErrorObject},
	RpcModule,
};
use pallet_bittensor::runtime_api::{BittensorApi as BittensorRuntimeApi, RowPage};
use polkadot_sdk::{
	sc_transaction_pool_api::TransactionPool,
	sp_api::ProvideRuntimeApi,
	sp_block_builder::BlockBuilder,
	sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata},
	sp_runtime::traits::Block as BlockT,
};
use serde_json::value::RawValue;
use std::sync::Arc;

/// What the RPC extensions need from the node.
pub struct FullDeps<C, P> {
	/// The client.
	pub client: Arc<C>,
	/// The transaction pool.
	pub pool: Arc<P>,
	/// `bittensor_getMetagraph` answers, shared with the task that computes them ahead.
	pub metagraphs: Arc<MetagraphCache>,
}

/// The market's read API.
#[rpc(client, server)]
pub trait BittensorRpc<BlockHash> {
	/// The subnet's hyperparameters and every neuron (a `Metagraph`, decoded from
	/// `BittensorApi::metagraph`), at the best block or at `at`; `null` when the subnet does not
	/// exist. Computed once per block and subnet ([`MetagraphCache`]). `blocking`: the runtime
	/// call (or the wait for one in flight) runs on a blocking thread, not on the async workers
	/// that also drive networking and block import.
	#[method(name = "bittensor_getMetagraph", blocking)]
	fn get_metagraph(&self, netuid: u16, at: Option<BlockHash>) -> RpcResult<Box<RawValue>>;

	/// The netuids of every subnet.
	#[method(name = "bittensor_getSubnets")]
	fn get_subnets(&self, at: Option<BlockHash>) -> RpcResult<Vec<u16>>;

	/// Weight and bond rows of up to `count` neurons (default and most: [`MAX_ROWS_PER_PAGE`])
	/// from uid `first` (default 0) on, with the uid the next page starts at (`next`, `null` on
	/// the last page); `null` when the subnet does not exist. `blocking` as above: a page reads
	/// up to 2,048 storage rows.
	#[method(name = "bittensor_getWeights", blocking)]
	fn get_weights(
		&self,
		netuid: u16,
		first: Option<u16>,
		count: Option<u16>,
		at: Option<BlockHash>,
	) -> RpcResult<Option<RowPage>>;
}

/// The most rows one `bittensor_getWeights` page holds: 1,024 full rows (256 weights and 256
/// bonds each) are about 10 MB of JSON, inside the default 15 MB response limit.
pub const MAX_ROWS_PER_PAGE: u16 = 1024;

/// Serves [`BittensorRpcServer`] from the runtime API.
pub struct Bittensor<C> {
	client: Arc<C>,
	metagraphs: Arc<MetagraphCache>,
}

fn runtime_error(error: impl std::fmt::Display) -> ErrorObjectOwned {
	ErrorObject::owned(1, "BittensorApi call failed", Some(error.to_string()))
}

impl<C> BittensorRpcServer<<Block as BlockT>::Hash> for Bittensor<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: BittensorRuntimeApi<Block, AccountId, Balance, BlockNumber>,
{
	fn get_metagraph(
		&self,
		netuid: u16,
		at: Option<<Block as BlockT>::Hash>,
	) -> RpcResult<Box<RawValue>> {
		let Some(at) = at else {
			let best = self.client.info().best_hash;
			let answer =
				self.metagraphs.metagraph(&*self.client, best, netuid).map_err(runtime_error)?;
			// Callers that follow the chain's head get it computed ahead at new blocks (only
			// for subnets that exist).
			self.metagraphs.watch(netuid, &answer);
			return Ok(answer);
		};
		self.metagraphs.metagraph(&*self.client, at, netuid).map_err(runtime_error)
	}

	fn get_subnets(&self, at: Option<<Block as BlockT>::Hash>) -> RpcResult<Vec<u16>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		self.client.runtime_api().subnets(at).map_err(runtime_error)
	}

	fn get_weights(
		&self,
		netuid: u16,
		first: Option<u16>,
		count: Option<u16>,
		at: Option<<Block as BlockT>::Hash>,
	) -> RpcResult<Option<RowPage>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let count = count.unwrap_or(MAX_ROWS_PER_PAGE).min(MAX_ROWS_PER_PAGE);
		self.client.runtime_api().rows(at, netuid, first.unwrap_or(0), count).map_err(runtime_error)
	}
}

/// All the node's RPC extensions.
pub fn create_full<C, P>(
	deps: FullDeps<C, P>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ HeaderMetadata<Block, Error = BlockChainError>
		+ Send
		+ Sync
		+ 'static,
	C::Api: polkadot_sdk::substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>
		+ polkadot_sdk::pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>
		+ BittensorRuntimeApi<Block, AccountId, Balance, BlockNumber>
		+ BlockBuilder<Block>,
	P: TransactionPool + 'static,
{
	use polkadot_sdk::{
		pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer},
		substrate_frame_rpc_system::{System, SystemApiServer},
	};

	let mut module = RpcModule::new(());
	let FullDeps { client, pool, metagraphs } = deps;
	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
	module.merge(Bittensor { client, metagraphs }.into_rpc())?;
	Ok(module)
}

//! The chain operations of a neuron's life, shared by the commands (which print their results)
//! and the learning neuron (which acts on them): read the metagraph and the hyperparameters,
//! register, serve an axon, set weights. Each checks first what the chain would refuse, so a
//! mistake costs no fee and gets a typed error; the pre-flight rules live here and nowhere
//! else.

use super::{
	client::{find_event, Chain, Watch},
	errors::ChainError,
	metagraph::{self, Metagraph},
	pallet_types::SubnetHyperparameters,
	rpc::Rpc,
	runtime,
	weights::{self, Rules},
};
use crate::amount::Token;
use anyhow::anyhow;
use std::net::IpAddr;
use subxt::utils::AccountId32;
use subxt_signer::sr25519::Keypair;

/// A subnet's metagraph from one `bittensor_getMetagraph` call.
pub async fn metagraph(rpc: &Rpc, netuid: u16) -> Result<Metagraph, ChainError> {
	let raw = rpc.metagraph_json(netuid).await?;
	metagraph::parse(raw.get())?.ok_or(ChainError::NoSuchSubnet(netuid))
}

/// A subnet's hyperparameters at the best block.
pub async fn hyperparameters(
	chain: &Chain,
	netuid: u16,
) -> Result<SubnetHyperparameters<u128>, ChainError> {
	let at = chain.at_best().await?;
	let stored = at
		.storage()
		.try_fetch(runtime::storage().bittensor().subnets(), (netuid,))
		.await
		.map_err(|e| anyhow!(e))?;
	match stored {
		Some(value) => Ok(value.decode().map_err(|e| anyhow!(e))?),
		None => Err(ChainError::NoSuchSubnet(netuid)),
	}
}

/// The uid of `hotkey` in subnet `netuid`, if registered there.
pub async fn uid_of(
	chain: &Chain,
	netuid: u16,
	hotkey: &AccountId32,
) -> Result<Option<u16>, ChainError> {
	let at = chain.at_best().await?;
	let value = at
		.storage()
		.try_fetch(runtime::storage().bittensor().uids(), (netuid, *hotkey))
		.await
		.map_err(|e| anyhow!(e))?;
	Ok(match value {
		Some(v) => Some(v.decode().map_err(|e| anyhow!(e))?),
		None => None,
	})
}

/// Refuses a transaction `signer` cannot pay for: `needed` plus the fee, keeping the account
/// above the existential deposit. Returns the free balance.
pub async fn ensure_affordable<C: subxt::tx::Payload>(
	chain: &Chain,
	call: &C,
	signer: &Keypair,
	needed: u128,
	role: &'static str,
) -> Result<u128, ChainError> {
	let account = crate::wallet::address(signer);
	let free = chain.free_balance(&account).await?;
	let fee = chain.fee(call, signer).await?;
	let ed = chain.existential_deposit()?;
	let total = needed.saturating_add(fee).saturating_add(ed);
	if free < total {
		let token = &chain.rpc.token;
		return Err(ChainError::InsufficientBalance(Box::new(super::errors::Shortfall {
			role,
			account,
			free: token.display(free),
			total: token.display(total),
			needed: token.format(needed),
			fee: token.format(fee),
			existential_deposit: token.format(ed),
		})));
	}
	Ok(free)
}

/// What registering in subnet `netuid` costs at the best block.
pub async fn registration_price(chain: &Chain, netuid: u16) -> Result<u128, ChainError> {
	let at = chain.at_best().await?;
	let price = at
		.runtime_apis()
		.call(runtime::runtime_apis().bittensor_api().registration_price(netuid))
		.await
		.map_err(|e| anyhow!(e))?;
	price.ok_or(ChainError::NoSuchSubnet(netuid))
}

/// What opening a subnet costs at the best block.
pub async fn network_lock_cost(chain: &Chain) -> Result<u128, ChainError> {
	let at = chain.at_best().await?;
	Ok(at
		.runtime_apis()
		.call(runtime::runtime_apis().bittensor_api().network_lock_cost())
		.await
		.map_err(|e| anyhow!(e))?)
}

/// The most a registration pays by default: the price now plus 10%, room for the rises of a
/// few registrations that land first (each ×1.26 at most on the dev subnet, so a busy block
/// can still refuse it, by name and at no cost).
pub fn default_limit(price: u128) -> u128 {
	price.saturating_add(price / 10)
}

/// A registration that went through.
#[derive(Debug, Clone)]
pub struct Registered {
	/// The hotkey's uid.
	pub uid: u16,
	/// Planck burned.
	pub burned: u128,
	/// The hotkey it replaced, in a full subnet.
	pub replaced: Option<AccountId32>,
	/// The block holding it.
	pub block_hash: String,
}

/// Registers `hotkey` in subnet `netuid`, paid by the coldkey at `coldkey_address`, for at
/// most `max_burn` (the chain refuses a higher price by name). `unlock` gives the coldkey's
/// keypair; it is called only once the chain's rules are met (so nobody is asked for a
/// password for a registration that would fail).
pub async fn register(
	chain: &Chain,
	netuid: u16,
	hotkey: AccountId32,
	coldkey_address: &AccountId32,
	max_burn: u128,
	unlock: impl FnOnce() -> anyhow::Result<Keypair>,
	watch: Watch<'_>,
) -> Result<Registered, ChainError> {
	let price = registration_price(chain, netuid).await?;
	if price > max_burn {
		let token = &chain.rpc.token;
		return Err(ChainError::PriceAboveLimit {
			netuid,
			price: token.display(price),
			limit: token.display(max_burn),
		});
	}
	if let Some(uid) = uid_of(chain, netuid, &hotkey).await? {
		return Err(ChainError::AlreadyRegistered { hotkey, netuid, uid });
	}
	if let Some(owner) = chain.owner(&hotkey).await? {
		if owner != *coldkey_address {
			return Err(ChainError::NotOwner { hotkey, owner, coldkey: *coldkey_address });
		}
	}
	let coldkey = unlock()?;
	let call = runtime::tx().bittensor().register(netuid, hotkey, max_burn);
	ensure_affordable(chain, &call, &coldkey, price, "coldkey").await?;
	let included = chain.submit(&call, &coldkey, watch).await?;
	let event = find_event::<runtime::bittensor::events::NeuronRegistered>(&included)?
		.ok_or_else(|| anyhow!("the registration left no NeuronRegistered event"))?;
	Ok(Registered {
		uid: event.uid,
		burned: event.burned,
		replaced: event.replaced,
		block_hash: included.block_hash,
	})
}

/// Where an axon listens, as announced on chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AxonEndpoint {
	/// Its public address.
	pub ip: IpAddr,
	/// Its port.
	pub port: u16,
	/// The neuron software's version.
	pub version: u32,
	/// A protocol tag.
	pub protocol: u8,
}

impl AxonEndpoint {
	/// The address as the chain stores it: `(ip as u128, 4 | 6)`; `None` when it is
	/// unspecified (0.0.0.0 or ::), which no peer can connect to.
	pub fn encoded_ip(&self) -> Option<(u128, u8)> {
		match self.ip {
			IpAddr::V4(ip) if !ip.is_unspecified() => Some((u128::from(u32::from(ip)), 4)),
			IpAddr::V6(ip) if !ip.is_unspecified() => Some((u128::from(ip), 6)),
			_ => None,
		}
	}

	/// `ip:port` (`[ip]:port` for IPv6), as the metagraph shows it.
	pub fn shown(&self) -> String {
		std::net::SocketAddr::new(self.ip, self.port).to_string()
	}
}

/// An axon recorded on chain.
#[derive(Debug, Clone)]
pub struct AxonServed {
	/// The neuron's uid.
	pub uid: u16,
	/// The block holding it.
	pub block_hash: String,
}

/// Records on chain that `hotkey`'s axon in subnet `netuid` listens at `endpoint`. Free for a
/// registered hotkey: it needs no balance, and the pool checks the call.
pub async fn serve_axon(
	chain: &Chain,
	hotkey: &Keypair,
	netuid: u16,
	endpoint: &AxonEndpoint,
	watch: Watch<'_>,
) -> Result<AxonServed, ChainError> {
	let (ip, ip_type) = endpoint.encoded_ip().ok_or_else(|| {
		anyhow!("--ip {} is unspecified; give the address peers should connect to", endpoint.ip)
	})?;
	if endpoint.port == 0 {
		return Err(anyhow!("--port must be between 1 and 65535").into());
	}
	let address = crate::wallet::address(hotkey);
	hyperparameters(chain, netuid).await?;
	let Some(uid) = uid_of(chain, netuid, &address).await? else {
		return Err(ChainError::NotRegistered { hotkey: address, netuid });
	};
	let call = runtime::tx().bittensor().serve_axon(
		netuid,
		endpoint.version,
		ip,
		endpoint.port,
		ip_type,
		endpoint.protocol,
	);
	let included = chain.submit(&call, hotkey, watch).await?;
	Ok(AxonServed { uid, block_hash: included.block_hash })
}

/// What a hotkey may do with its next weight row, once every rule that does not depend on the
/// row itself holds.
#[derive(Debug)]
pub struct WeightsPreflight {
	/// The subnet.
	pub netuid: u16,
	/// The setter's uid.
	pub uid: u16,
	/// The rules the row must meet.
	pub rules: Rules,
	/// The version key to send.
	pub version_key: u64,
}

/// Whether `hotkey` may set weights in `graph`'s subnet now (the transaction lands in block
/// `best_block + 1` at the earliest): a row under [`row_preflight`]'s rules, the subnet not
/// using commit-reveal, and outside the rate limit.
pub fn weights_preflight(
	graph: &Metagraph,
	hotkey: &AccountId32,
	best_block: u64,
	version_key: Option<u64>,
	max_weights_per_neuron: u32,
	token: &Token,
) -> Result<WeightsPreflight, ChainError> {
	let preflight = row_preflight(graph, hotkey, version_key, max_weights_per_neuron, token)?;
	let h = &graph.hyperparameters;
	if h.commit_reveal_period > 0 {
		return Err(ChainError::CommitRevealOn {
			netuid: graph.netuid,
			period: h.commit_reveal_period,
		});
	}
	let Some(me) = graph.neurons.iter().find(|n| n.uid == preflight.uid) else {
		return Err(ChainError::NotRegistered { hotkey: *hotkey, netuid: graph.netuid });
	};
	let next_block = best_block + 1;
	let ready_at = me.last_update + u64::from(h.weights_rate_limit);
	// A neuron may set its first weights at once; the limit holds between updates.
	if me.weights > 0 && next_block < ready_at {
		return Err(ChainError::WeightsRateLimited {
			uid: me.uid,
			netuid: graph.netuid,
			last_update: me.last_update,
			limit: h.weights_rate_limit,
			ready_at,
			now: best_block,
		});
	}
	Ok(preflight)
}

/// The rules a row meets whether it is set or committed: the hotkey registered, staked enough,
/// with a version key the subnet accepts (`None`: the subnet's own).
pub fn row_preflight(
	graph: &Metagraph,
	hotkey: &AccountId32,
	version_key: Option<u64>,
	max_weights_per_neuron: u32,
	token: &Token,
) -> Result<WeightsPreflight, ChainError> {
	let netuid = graph.netuid;
	let ss58 = hotkey.to_string();
	let Some(me) = graph.neurons.iter().find(|n| n.hotkey == ss58) else {
		return Err(ChainError::NotRegistered { hotkey: *hotkey, netuid });
	};
	let h = &graph.hyperparameters;
	if me.stake < h.min_stake_to_set_weights {
		return Err(ChainError::BelowMinStakeToSetWeights {
			hotkey: *hotkey,
			netuid,
			stake: token.display(me.stake),
			needed: token.display(h.min_stake_to_set_weights),
		});
	}
	let version_key = version_key.unwrap_or(h.weights_version_key);
	if version_key < h.weights_version_key {
		return Err(ChainError::VersionKeyTooLow {
			given: version_key,
			required: h.weights_version_key,
		});
	}
	let rules = Rules {
		subnet_size: graph.neurons.len() as u16,
		own_uid: me.uid,
		min_allowed_weights: h.min_allowed_weights,
		max_weight_limit: h.max_weight_limit,
		max_weights_per_neuron,
	};
	Ok(WeightsPreflight { netuid, uid: me.uid, rules, version_key })
}

/// [`weights_preflight`] against the chain's best block and the runtime's row limit.
pub async fn check_weights(
	chain: &Chain,
	graph: &Metagraph,
	hotkey: &AccountId32,
	version_key: Option<u64>,
) -> Result<WeightsPreflight, ChainError> {
	let best = chain.best_block().await?;
	let max_per_neuron = chain.constant::<u32>("Bittensor", "MaxWeightsPerNeuron")?;
	weights_preflight(graph, hotkey, best, version_key, max_per_neuron, &chain.rpc.token)
}

/// A weight row that landed.
#[derive(Debug, Clone)]
pub struct WeightsSet {
	/// The setter's uid.
	pub uid: u16,
	/// Weights in the row.
	pub count: u32,
	/// The block holding it.
	pub block_hash: String,
}

/// Sends the row `uids` → `values` (any non-negative scale) after `preflight`, checked against
/// its rules first. Free for a registered hotkey.
pub async fn submit_weights(
	chain: &Chain,
	hotkey: &Keypair,
	preflight: &WeightsPreflight,
	uids: &[u16],
	values: &[f64],
	watch: Watch<'_>,
) -> Result<WeightsSet, ChainError> {
	let row = weights::check(uids, values, &preflight.rules)
		.map_err(|e| ChainError::InvalidRow(e.to_string()))?;
	let call = runtime::tx().bittensor().set_weights(
		preflight.netuid,
		uids.to_vec(),
		row,
		preflight.version_key,
	);
	let included = chain.submit(&call, hotkey, watch).await?;
	let count = find_event::<runtime::bittensor::events::WeightsSet>(&included)?
		.map(|e| e.count)
		.unwrap_or(uids.len() as u32);
	Ok(WeightsSet { uid: preflight.uid, count, block_hash: included.block_hash })
}

/// Sets `hotkey`'s weight row in subnet `netuid`: every rule checked, then sent.
pub async fn set_weights(
	chain: &Chain,
	hotkey: &Keypair,
	netuid: u16,
	uids: &[u16],
	values: &[f64],
	version_key: Option<u64>,
	watch: Watch<'_>,
) -> Result<WeightsSet, ChainError> {
	let graph = metagraph(&chain.rpc, netuid).await?;
	let address = crate::wallet::address(hotkey);
	let preflight = check_weights(chain, &graph, &address, version_key).await?;
	submit_weights(chain, hotkey, &preflight, uids, values, watch).await
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::chain::metagraph::parse;

	fn graph(stake: u128, last_update: u64, weights: usize) -> Metagraph {
		let alice = subxt_signer::sr25519::dev::alice().public_key().to_account_id();
		let json = serde_json::json!({
			"netuid": 3,
			"last_epoch_block": 100,
			"hyperparameters": {
				"tempo": 10, "rho": 10, "kappa": 500000000, "emission_per_block": 1000000000,
				"max_uids": 16, "min_allowed_weights": 1, "max_weight_limit": 1000000000,
				"weights_rate_limit": 5, "activity_cutoff": 5000, "immunity_period": 100,
				"registration_burn": 1, "bonds_moving_average": 900000000,
				"min_stake_to_set_weights": 10, "weights_version_key": 2
			},
			"neurons": [{
				"uid": 0, "hotkey": alice.to_string(), "coldkey": alice.to_string(),
				"stake": stake, "rank": 0, "trust": 0, "consensus": 0, "incentive": 0,
				"dividends": 0, "emission": 0, "active": true, "last_update": last_update,
				"registered_at": 1, "axon": null, "weight_count": weights, "bond_count": 0
			}]
		});
		parse(&json.to_string()).unwrap().unwrap()
	}

	fn check(g: &Metagraph, best: u64, key: Option<u64>) -> Result<WeightsPreflight, ChainError> {
		let alice = subxt_signer::sr25519::dev::alice().public_key().to_account_id();
		weights_preflight(g, &alice, best, key, 256, &Token::default())
	}

	#[test]
	fn preflight_names_each_rule_it_refuses() {
		assert!(matches!(
			check(&graph(9, 0, 0), 50, None),
			Err(ChainError::BelowMinStakeToSetWeights { netuid: 3, .. })
		));
		assert!(matches!(
			check(&graph(10, 0, 0), 50, Some(1)),
			Err(ChainError::VersionKeyTooLow { given: 1, required: 2 })
		));
		// Last update at 48, limit 5: the next block (50) is too early, 53 is not.
		assert!(matches!(
			check(&graph(10, 48, 4), 49, None),
			Err(ChainError::WeightsRateLimited { ready_at: 53, now: 49, .. })
		));
		let ok = check(&graph(10, 48, 4), 52, None).unwrap();
		assert_eq!((ok.uid, ok.version_key, ok.rules.own_uid), (0, 2, 0));
		// The first row may come at once.
		assert!(check(&graph(10, 48, 0), 49, None).is_ok());
		let bob = subxt_signer::sr25519::dev::bob().public_key().to_account_id();
		assert!(matches!(
			weights_preflight(&graph(10, 0, 0), &bob, 1, None, 256, &Token::default()),
			Err(ChainError::NotRegistered { netuid: 3, .. })
		));
	}

	#[test]
	fn endpoints_encode_as_the_chain_expects() {
		let at =
			|ip: &str| AxonEndpoint { ip: ip.parse().unwrap(), port: 1, version: 1, protocol: 0 };
		assert_eq!(at("127.0.0.1").encoded_ip(), Some((0x7f00_0001, 4)));
		assert_eq!(at("::1").encoded_ip(), Some((1, 6)));
		assert_eq!(at("0.0.0.0").encoded_ip(), None);
		assert_eq!(at("::").encoded_ip(), None);
		assert_eq!(at("::1").shown(), "[::1]:1");
	}
}

//! A neuron's view of its subnet: who is registered, with what stake, serving where. The axon
//! checks callers against it; the dendrite finds peers in it. It is refreshed from the chain's
//! `bittensor_getMetagraph`, so a hotkey registered a moment ago is let in at the next refresh.

use super::protocol::Hotkey;
use crate::chain::{metagraph, Rpc};
use anyhow::{anyhow, Context, Result};
use std::{
	collections::HashMap,
	net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
	str::FromStr,
	sync::{Arc, RwLock},
	time::Duration,
};

/// One registered neuron.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
	/// Its uid.
	pub uid: u16,
	/// Its hotkey.
	pub hotkey: Hotkey,
	/// Stake on its hotkey, planck.
	pub stake: u128,
	/// Where its axon listens, once served.
	pub axon: Option<SocketAddr>,
}

/// The registered neurons of one subnet at one moment.
#[derive(Clone, Debug, Default)]
pub struct SubnetView {
	/// The subnet.
	pub netuid: u16,
	/// Neurons by uid.
	pub members: Vec<Member>,
	by_hotkey: HashMap<Hotkey, usize>,
}

impl SubnetView {
	/// A view of the given neurons (tests, benchmarks and the metagraph use it).
	pub fn new(netuid: u16, members: Vec<Member>) -> Self {
		let by_hotkey = members.iter().enumerate().map(|(i, m)| (m.hotkey, i)).collect();
		Self { netuid, members, by_hotkey }
	}

	/// The view the chain's metagraph describes.
	pub fn from_metagraph(graph: &metagraph::Metagraph) -> Result<Self> {
		let mut members = Vec::with_capacity(graph.neurons.len());
		for n in &graph.neurons {
			let account = subxt::utils::AccountId32::from_str(&n.hotkey)
				.map_err(|e| anyhow!("the metagraph lists a malformed hotkey {}: {e}", n.hotkey))?;
			members.push(Member {
				uid: n.uid,
				hotkey: Hotkey(account.0),
				stake: n.stake,
				axon: n.axon.as_ref().and_then(socket_addr),
			});
		}
		Ok(Self::new(graph.netuid, members))
	}

	/// The neuron with this hotkey, if registered.
	pub fn member(&self, hotkey: &Hotkey) -> Option<&Member> {
		self.by_hotkey.get(hotkey).map(|&i| &self.members[i])
	}
}

/// Where an axon announced on chain listens (`None` for an unspecified address or port 0).
pub fn socket_addr(axon: &metagraph::Axon) -> Option<SocketAddr> {
	let ip = match axon.ip_type {
		4 => IpAddr::V4(Ipv4Addr::from(u32::try_from(axon.ip).ok()?)),
		6 => IpAddr::V6(Ipv6Addr::from(axon.ip)),
		_ => return None,
	};
	(axon.port != 0 && !ip.is_unspecified()).then_some(SocketAddr::new(ip, axon.port))
}

/// A view shared between the axon, the dendrite and the task refreshing it.
#[derive(Clone, Default)]
pub struct SharedView(Arc<RwLock<Arc<SubnetView>>>);

impl SharedView {
	/// Shares `view`.
	pub fn new(view: SubnetView) -> Self {
		Self(Arc::new(RwLock::new(Arc::new(view))))
	}

	/// The current view (cheap: a reference count).
	pub fn get(&self) -> Arc<SubnetView> {
		match self.0.read() {
			Ok(guard) => guard.clone(),
			Err(poisoned) => poisoned.into_inner().clone(),
		}
	}

	/// Replaces the view.
	pub fn set(&self, view: SubnetView) {
		let view = Arc::new(view);
		match self.0.write() {
			Ok(mut guard) => *guard = view,
			Err(poisoned) => *poisoned.into_inner() = view,
		}
	}

	/// Reads subnet `netuid` from the node once and replaces the view with it.
	pub async fn refresh(&self, rpc: &Rpc, netuid: u16) -> Result<()> {
		let raw = rpc.metagraph_json(netuid).await?;
		let graph = metagraph::parse(raw.get())?
			.with_context(|| format!("subnet {netuid} does not exist"))?;
		self.set(SubnetView::from_metagraph(&graph)?);
		Ok(())
	}

	/// Keeps the view fresh: reads subnet `netuid` from the node at `url` every `every`,
	/// reconnecting after errors, until the returned task is aborted. The first read happens
	/// before this returns, so a caller starts with a real view (or an error).
	pub async fn keep_fresh(
		&self,
		url: String,
		netuid: u16,
		every: Duration,
	) -> Result<tokio::task::JoinHandle<()>> {
		let rpc = Rpc::connect(&url).await?;
		self.refresh(&rpc, netuid).await?;
		let view = self.clone();
		Ok(tokio::spawn(async move {
			let mut rpc = Some(rpc);
			loop {
				tokio::time::sleep(every).await;
				if rpc.is_none() {
					rpc = Rpc::connect(&url).await.ok();
				}
				let Some(connection) = &rpc else { continue };
				if let Err(e) = view.refresh(connection, netuid).await {
					// Keep serving with the last good view; reconnect next time.
					eprintln!("subnet view: refreshing subnet {netuid} from {url} failed: {e:#}");
					rpc = None;
				}
			}
		}))
	}
}

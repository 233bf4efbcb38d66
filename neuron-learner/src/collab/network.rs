//! Neurons on loopback for the collaboration bench: each learner behind a real axon on
//! 127.0.0.1, each with its own sr25519 hotkey and dendrite, the same training round
//! (`neuron::round`) and signed calls `neuron run` makes; only the chain is left out (the
//! subnet view is written here instead of read from the metagraph).

use crate::{
	learner::Learner,
	neuron::{candidates, lock, peer_targets, round, Round},
	serving::Served,
	wire::{to_tch, to_wire_i64},
};
use anyhow::{anyhow, Context, Result};
use neuron_client::serve::{
	axon::{Axon, AxonConfig, Running, Schema},
	dendrite::{Dendrite, DendriteConfig},
	metrics::Metrics,
	protocol::Signer,
	view::{Member, SharedView, SubnetView},
};
use std::{
	net::SocketAddr,
	str::FromStr,
	sync::{Arc, Mutex},
	time::Duration,
};

/// Neurons 0..n serving one another.
pub struct Network {
	view: SharedView,
	axons: Vec<Running>,
	dendrites: Vec<Dendrite>,
	learners: Vec<Arc<Mutex<Learner>>>,
	dim: usize,
}

/// What one round of one neuron did, as far as the bench cares.
pub struct Turn {
	/// Peers asked.
	pub asked: usize,
	/// Peers that answered.
	pub answered: usize,
	/// Peers that took the gradients sent back.
	pub accepted: usize,
}

impl Network {
	/// Starts an axon for each learner (uid = index) with hotkey `//Collab//<tag>//<uid>`.
	pub async fn start(
		learners: Vec<Arc<Mutex<Learner>>>,
		tag: &str,
		dim: usize,
		batch: usize,
		seq_len: usize,
	) -> Result<Self> {
		let signers = (0..learners.len())
			.map(|uid| {
				let uri = subxt_signer::SecretUri::from_str(&format!("//Collab//{tag}//{uid}"))
					.map_err(|e| anyhow!("hotkey uri: {e}"))?;
				let pair = subxt_signer::sr25519::Keypair::from_uri(&uri)
					.map_err(|e| anyhow!("hotkey: {e}"))?;
				Ok(Signer::new(&pair))
			})
			.collect::<Result<Vec<_>>>()?;
		let view = SharedView::default();
		let mut axons = Vec::with_capacity(learners.len());
		for (signer, learner) in signers.iter().zip(&learners) {
			let mut config = AxonConfig::new(Schema::tokens(dim, batch.max(64), seq_len));
			// Every peer calls from 127.0.0.1: one refusal budget for all would throttle them.
			config.refusals_per_second = f64::INFINITY;
			// One machine, one clock: a small skew allowance, so the axon's start-up window
			// (no nonce from before its start plus the skew) is short.
			config.max_clock_skew = Duration::from_millis(50);
			let axon = Axon::new(
				signer.clone(),
				view.clone(),
				Arc::new(Served(learner.clone())),
				config,
				Arc::new(Metrics::new()),
			);
			let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
			axons.push(axon.start(loopback).await.context("starting an axon on 127.0.0.1")?);
		}
		let members = signers
			.iter()
			.zip(&axons)
			.enumerate()
			.map(|(uid, (signer, axon))| Member {
				uid: uid as u16,
				hotkey: signer.hotkey(),
				stake: 1_000_000_000,
				axon: Some(axon.addr),
			})
			.collect();
		view.set(SubnetView::new(1, members));
		tokio::time::sleep(Duration::from_millis(100)).await;
		let dendrites = signers
			.iter()
			.map(|signer| {
				Dendrite::new(
					signer.clone(),
					// Every answer counts: no straggler cut, so a busy machine changes how long
					// the bench takes, not what it measures.
					DendriteConfig {
						timeout: Duration::from_secs(10),
						stragglers: None,
						..Default::default()
					},
				)
			})
			.collect();
		Ok(Self { view, axons, dendrites, learners, dim })
	}

	/// How many neurons.
	pub fn len(&self) -> usize {
		self.learners.len()
	}

	/// Whether there are none.
	pub fn is_empty(&self) -> bool {
		self.learners.is_empty()
	}

	/// The learner of `uid`.
	pub fn learner(&self, uid: usize) -> &Arc<Mutex<Learner>> {
		&self.learners[uid]
	}

	/// One training round of `uid` on `inputs` → `targets`: its gate picks peers, they answer
	/// over TCP, it steps, and the gradients go back to those that answered.
	pub async fn train(
		&self,
		uid: usize,
		inputs: &tch::Tensor,
		targets: &tch::Tensor,
	) -> Result<Turn> {
		let view = self.view.get();
		let Round { asked, answered, backward, .. } = round(
			&self.learners[uid],
			&self.dendrites[uid],
			&view,
			uid as u16,
			inputs,
			targets,
			self.dim,
		)
		.await?;
		let accepted = match backward {
			Some(back) => back.send(&self.dendrites[uid]).await,
			None => 0,
		};
		Ok(Turn { asked, answered, accepted })
	}

	/// Held-out loss of `uid`'s full model: the peers its gate ranks highest (no exploration
	/// noise) answer `inputs` over TCP, mixed in as in training.
	pub async fn evaluate(
		&self,
		uid: usize,
		inputs: &tch::Tensor,
		targets: &tch::Tensor,
	) -> Result<f64> {
		let view = self.view.get();
		let me = uid as u16;
		let available = candidates(&view, me);
		let learner = &self.learners[uid];
		let chosen = tokio::task::block_in_place(|| lock(learner).choose_best(inputs, &available));
		let asked = peer_targets(&view, &chosen);
		let wire = to_wire_i64(inputs)
			.ok_or_else(|| anyhow!("a held-out batch left libtorch unreadable"))?;
		let answers = self.dendrites[uid].forward(&asked, &wire, self.dim).await;
		let peers: Vec<(u16, Option<tch::Tensor>)> =
			answers.iter().map(|a| (a.uid, a.result.as_ref().ok().map(to_tch))).collect();
		Ok(tokio::task::block_in_place(|| {
			lock(learner).evaluate_with_peers(inputs, targets, &peers)
		}))
	}

	/// Stops every axon.
	pub async fn stop(self) {
		for axon in self.axons {
			axon.stop().await;
		}
	}
}

//! The axon's view of its subnet comes from a real dev node: a hotkey registered during the
//! test (with the `neuron` CLI) is let in after the axon's next refresh; others stay out.

mod common;

use common::Env;
use neuron_client::serve::{
	axon::{Axon, AxonConfig, Model, Schema},
	dendrite::{Dendrite, DendriteConfig, Failure, Target},
	metrics::Metrics,
	protocol::{Reason, Signer},
	tensor::Tensor,
	view::{Member, SharedView},
};
use std::{
	str::FromStr,
	sync::Arc,
	time::{Duration, Instant},
};

fn signer(uri: &str) -> Signer {
	let uri = subxt_signer::SecretUri::from_str(uri).unwrap();
	Signer::new(&subxt_signer::sr25519::Keypair::from_uri(&uri).unwrap())
}

struct Zeros;

impl Model for Zeros {
	fn forward(&self, _: &Member, inputs: Tensor) -> Result<Tensor, String> {
		Ok(Tensor::zeros_f32(vec![inputs.shape[0], inputs.shape[1], 4]))
	}
	fn backward(&self, _: &Member, _: Tensor, _: Tensor) -> Result<(), String> {
		Ok(())
	}
}

async fn ask(d: &Dendrite, target: &Target, inputs: &Tensor) -> Result<Tensor, Failure> {
	d.forward(std::slice::from_ref(target), inputs, 4).await.remove(0).result
}

#[tokio::test]
async fn hotkeys_registered_on_chain_are_admitted_after_the_next_refresh() {
	let env = Env::start().await;
	env.import_alice();
	env.add_hotkey("alice", "miner", "//Alice//miner");

	let view = SharedView::default();
	let refresher = view.keep_fresh(env.url(), 1, Duration::from_millis(500)).await.unwrap();
	let mut config = AxonConfig::new(Schema::tokens(4, 4, 16));
	config.max_clock_skew = Duration::from_millis(100);
	let axon_key = signer("//Alice//axon");
	let axon = Axon::new(
		axon_key.clone(),
		view.clone(),
		Arc::new(Zeros),
		config,
		Arc::new(Metrics::new()),
	);
	let running = axon.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
	tokio::time::sleep(Duration::from_millis(150)).await;
	let target = Target { uid: 0, hotkey: axon_key.hotkey(), addr: running.addr };
	let inputs = Tensor::i64(vec![1, 3], vec![1, 2, 3]).unwrap();
	let miner = Dendrite::new(signer("//Alice//miner"), DendriteConfig::default());
	let stranger = Dendrite::new(signer("//Alice//stranger"), DendriteConfig::default());

	let refused = |d| ask(d, &target, &inputs);
	match refused(&miner).await {
		Err(Failure::Refused { status: 403, reason: Some(Reason::NotRegistered), message }) => {
			assert!(message.contains("not registered in subnet 1"), "{message}")
		},
		other => panic!("an unregistered hotkey must be refused: {other:?}"),
	}

	env.register("alice", "miner", 1).ok();
	let registered_at = Instant::now();
	loop {
		match refused(&miner).await {
			Ok(outputs) => {
				assert_eq!(outputs.shape, vec![1, 3, 4]);
				break;
			},
			Err(Failure::Refused { reason: Some(Reason::NotRegistered), .. })
				if registered_at.elapsed() < Duration::from_secs(30) =>
			{
				tokio::time::sleep(Duration::from_millis(200)).await
			},
			Err(other) => panic!("the registered miner is still refused: {other}"),
		}
	}
	assert!(view.get().members.iter().any(|m| m.hotkey == miner.hotkey()));
	match refused(&stranger).await {
		Err(Failure::Refused { reason: Some(Reason::NotRegistered), .. }) => {},
		other => panic!("an unregistered hotkey must still be refused: {other:?}"),
	}
	refresher.abort();
}

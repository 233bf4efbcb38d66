//! `neuron explorer` against a real dev node with a seeded market, read by a real browser:
//! headless Chromium (Debian's package) loads the page, and each registered hotkey's row shows
//! the emission the chain holds. The screenshot is kept as a test artifact.

mod common;

use common::{browse, Env, NeuronProcess};
use jsonrpsee::{core::client::ClientT, rpc_params};
use neuron_client::amount::Token;
use serde_json::Value;
use std::{
	path::Path,
	time::{Duration, Instant},
};

/// `GET url` over a plain TCP socket: the status and the JSON body.
async fn http_json(url: &str) -> (u16, Value) {
	use tokio::io::{AsyncReadExt, AsyncWriteExt};
	let rest = url.trim_start_matches("http://");
	let (host, path) =
		rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap_or((rest, "/".into()));
	let Ok(mut stream) = tokio::net::TcpStream::connect(host).await else {
		return (0, Value::Null);
	};
	let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
	stream.write_all(request.as_bytes()).await.unwrap();
	let mut raw = Vec::new();
	stream.read_to_end(&mut raw).await.unwrap();
	let text = String::from_utf8_lossy(&raw);
	let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
	let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
	(status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_explorer_shows_every_hotkey_with_its_emission_in_a_real_browser() {
	let env = Env::start().await;
	env.import_alice();
	let mut hotkeys = Vec::new();
	for (i, stake) in ["100", "50", "25"].iter().enumerate() {
		let name = format!("m{i}");
		let key = env.register_and_stake(&name, 1, stake);
		hotkeys.push((name, key));
	}
	for (i, (name, _)) in hotkeys.iter().enumerate() {
		let others: Vec<String> = (0..3).filter(|j| *j != i).map(|j| j.to_string()).collect();
		env.set_weights("alice", name, 1, &others.join(","), "0.7,0.3").ok();
	}
	// Wait for an epoch that pays by incentive.
	let rpc = env.node.rpc().unwrap();
	let started = Instant::now();
	loop {
		let g: Value = rpc.request("bittensor_getMetagraph", rpc_params![1]).await.unwrap();
		if g["neurons"].as_array().unwrap().iter().all(|n| n["emission"].as_u64().unwrap_or(0) > 0)
		{
			break;
		}
		assert!(started.elapsed() < Duration::from_secs(120), "no epoch paid out: {g}");
		tokio::time::sleep(Duration::from_secs(1)).await;
	}

	// A neuron's metrics endpoint as `neuron run --metrics-port` serves it, reporting a
	// held-out loss and the model it serves for the first hotkey: the explorer reads them,
	// charts the loss and shows the model in the neuron's row.
	let metrics = std::sync::Arc::new(neuron_client::serve::metrics::Metrics::new());
	metrics.learning(&hotkeys[0].1, 1, 250, 2.75);
	metrics.model(
		&hotkeys[0].1,
		1,
		&neuron_client::serve::metrics::ModelLabel {
			kind: "torchscript",
			trains: false,
			wire_dtype: "BF16",
			parameters: 1_100_000,
		},
	);
	assert!(metrics.render().contains("neuron_model_parameters{"), "{}", metrics.render());
	let (metrics_addr, _metrics_server) =
		metrics.clone().serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
	let port = bittensor_e2e::free_port().unwrap();
	let metrics_url = format!("http://{metrics_addr}");
	let _explorer = NeuronProcess::spawn(
		env.command(&["explorer", "--port", &port.to_string(), "--metrics", &metrics_url]),
		env.dir.path().join("explorer.log"),
		"",
	);
	let base = format!("http://127.0.0.1:{port}");
	let started = Instant::now();
	while http_json(&format!("{base}/api/status")).await.0 != 200 {
		assert!(started.elapsed() < Duration::from_secs(30), "the explorer did not start");
		tokio::time::sleep(Duration::from_millis(200)).await;
	}

	// The JSON API: the subnet, its history and events, and a named 404.
	let (code, subnet) = http_json(&format!("{base}/api/subnets/1")).await;
	assert_eq!(code, 200);
	assert_eq!(subnet["neurons"].as_array().unwrap().len(), 3);
	// Commit-reveal is off on the dev subnet: the period is shown in epochs, nobody has a
	// pending commit.
	assert_eq!(
		subnet["hyperparameters"]["commit_reveal_period"],
		serde_json::json!({ "value": 0, "unit": "epochs" })
	);
	assert!(subnet["neurons"]
		.as_array()
		.unwrap()
		.iter()
		.all(|n| n["pending_commits"] == serde_json::json!([])));
	// The market's prices and owners: root made subnet 1, and its price is the chain's.
	assert!(subnet["owner"].is_null(), "{}", subnet["owner"]);
	let price: u128 =
		rpc.request::<Value, _>("bittensor_getMetagraph", rpc_params![1]).await.unwrap()
			["registration_price"]
			.as_u64()
			.unwrap()
			.into();
	assert!(price >= 100_000_000, "at least the dev floor of 0.1 TAO: {price}");
	let (_, prices) = http_json(&format!("{base}/api/subnets/1/prices")).await;
	assert!(!prices["points"].as_array().unwrap().is_empty(), "{prices}");
	assert!(subnet["neurons"].as_array().unwrap().iter().all(|n| n["take"] == 18.0), "{subnet}");
	let (_, history) = http_json(&format!("{base}/api/subnets/1/history")).await;
	assert!(!history["epochs"].as_array().unwrap().is_empty(), "{history}");
	let (_, events) = http_json(&format!("{base}/api/events")).await;
	assert!(events.as_array().unwrap().iter().any(|e| e["netuid"] == 1), "{events}");
	let (_, weights) = http_json(&format!("{base}/api/subnets/1/weights")).await;
	assert_eq!(weights["rows"][0]["weights"].as_array().unwrap().len(), 2);
	// The loss the neuron reported, under its uid.
	let (_, losses) = http_json(&format!("{base}/api/subnets/1/losses")).await;
	let reported = &losses["neurons"].as_array().unwrap()[0];
	assert_eq!(reported["hotkey"], hotkeys[0].1.as_str(), "{losses}");
	assert!(reported["uid"].is_u64(), "{losses}");
	assert_eq!(reported["points"][0]["loss"], 2.75, "{losses}");
	assert_eq!(reported["points"][0]["steps"], 250, "{losses}");
	// The model it reports, on its neuron of the subnet; the others report none.
	for n in subnet["neurons"].as_array().unwrap() {
		if n["hotkey"] == hotkeys[0].1.as_str() {
			assert_eq!(
				n["model"],
				serde_json::json!({
					"kind": "torchscript",
					"state": "frozen",
					"wire_dtype": "BF16",
					"parameters": 1_100_000,
				}),
				"{subnet}"
			);
		} else {
			assert!(n["model"].is_null(), "{subnet}");
		}
	}
	let (code, missing) = http_json(&format!("{base}/api/subnets/99")).await;
	assert_eq!(code, 404);
	assert!(missing["error"].as_str().unwrap().contains("subnet 99 does not exist"));

	// The page in a real browser: every hotkey's row shows the chain's emission. Emission only
	// changes at an epoch, so the page must match the chain just before or just after loading.
	let token = Token::default();
	let screenshot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("explorer.png");
	let emissions = |g: &Value| -> Vec<(String, String)> {
		g["neurons"]
			.as_array()
			.unwrap()
			.iter()
			.map(|n| {
				let planck = u128::from(n["emission"].as_u64().unwrap());
				(
					n["hotkey"].as_str().unwrap().to_string(),
					format!("{} {}", token.format(planck), token.symbol),
				)
			})
			.collect()
	};
	let mut last_dom = String::new();
	for _ in 0..3 {
		let before: Value = rpc.request("bittensor_getMetagraph", rpc_params![1]).await.unwrap();
		let dom = tokio::task::spawn_blocking({
			let (url, shot) = (format!("{base}/"), screenshot.clone());
			move || browse(&url, &shot)
		})
		.await
		.unwrap();
		let after: Value = rpc.request("bittensor_getMetagraph", rpc_params![1]).await.unwrap();
		let shows = |expected: &[(String, String)]| {
			expected.iter().all(|(hotkey, emission)| {
				let Some(start) = dom.find(&format!("data-hotkey=\"{hotkey}\"")) else {
					return false;
				};
				let row = &dom[start..];
				let row = &row[..row.find("</tr>").unwrap_or(row.len())];
				row.contains(&format!(">{emission}<"))
			})
		};
		if shows(&emissions(&before)) || shows(&emissions(&after)) {
			for (_, ss58) in &hotkeys {
				assert!(dom.contains(ss58.as_str()));
			}
			assert!(dom.contains("pending commits"), "no pending-commits column");
			assert!(dom.contains("nominators") && dom.contains("18.00%"), "no take column");
			assert!(dom.contains("id=\"registration-price\""), "no registration price");
			assert!(dom.contains("id=\"price-svg\"") || dom.contains("waiting for blocks"));
			assert!(dom.contains("id=\"loss-svg\""), "no held-out loss chart");
			// The reported model, in its neuron's row.
			let start = dom.find(&format!("data-hotkey=\"{}\"", hotkeys[0].1)).unwrap();
			let row = &dom[start..];
			let row = &row[..row.find("</tr>").unwrap_or(row.len())];
			for shown in ["torchscript", "1.1 M", "frozen", "BF16"] {
				assert!(row.contains(shown), "no `{shown}` in the model column: {row}");
			}
			assert!(dom.contains(">model<"), "no model column");
			let png = std::fs::read(&screenshot).unwrap();
			assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "screenshot too small");
			eprintln!("explorer screenshot: {}", screenshot.display());
			return;
		}
		last_dom = dom;
	}
	panic!("the page never showed the chain's emissions:\n{last_dom}");
}

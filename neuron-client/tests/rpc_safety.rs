//! No web page can drive the dev node: a real dev node started the way `scripts/start.sh`
//! starts it serves only the safe RPC methods and admits only the browser origins of the
//! explorer and polkadot.js Apps. Checked over raw HTTP (the refusal and the CORS headers) and
//! from a real browser: a page served from another origin (127.0.0.2) tries `fetch` and a
//! WebSocket against the node, and key rotation and peer control never run.

mod common;

use common::{browse, Env};
use serde_json::Value;
use std::path::Path;
use tokio::{
	io::{AsyncReadExt, AsyncWriteExt},
	net::{TcpListener, TcpStream},
};

/// One HTTP/1.1 exchange with the node: `method` on `/` with `headers` and `body`; the
/// status, the response headers (lower-case names) and the body.
async fn http(
	port: u16,
	method: &str,
	headers: &[(&str, &str)],
	body: &str,
) -> (u16, String, String) {
	let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
	let mut request = format!(
		"{method} / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
		body.len()
	);
	for (name, value) in headers {
		request += &format!("{name}: {value}\r\n");
	}
	request += "\r\n";
	request += body;
	stream.write_all(request.as_bytes()).await.unwrap();
	let mut raw = Vec::new();
	stream.read_to_end(&mut raw).await.unwrap();
	let text = String::from_utf8_lossy(&raw).into_owned();
	let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
	let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
	(status, head.to_lowercase(), body.to_string())
}

/// A JSON-RPC call over HTTP from no browser (no `Origin`): the parsed answer.
async fn call(port: u16, method: &str, params: Value) -> Value {
	let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
	let (status, _, body) =
		http(port, "POST", &[("Content-Type", "application/json")], &body.to_string()).await;
	assert_eq!(status, 200, "{method}: {body}");
	serde_json::from_str(&body).unwrap_or_else(|e| panic!("{method}: {e}: {body}"))
}

/// The hostile page: tries the node over `fetch` and over a WebSocket, and writes what it got
/// into `#out` as JSON.
fn hostile_page(node_port: u16) -> String {
	format!(
		r#"<!doctype html><html><body><pre id="out">pending</pre><img src="/slow" alt=""><script>
const node = "127.0.0.1:{node_port}";
const out = {{}};
const show = () => document.getElementById("out").textContent = JSON.stringify(out);
const rpc = (method, params) => JSON.stringify({{jsonrpc: "2.0", id: 1, method, params}});
(async () => {{
  try {{
    const r = await fetch(`http://${{node}}`, {{method: "POST",
      headers: {{"content-type": "application/json"}}, body: rpc("author_rotateKeys", [])}});
    out.fetch = "read: " + await r.text();
  }} catch (e) {{ out.fetch = "blocked: " + e; }}
  show();
  const answers = [];
  await new Promise(done => {{
    let ws;
    try {{ ws = new WebSocket(`ws://${{node}}`); }} catch (e) {{ out.ws = "blocked: " + e; return done(); }}
    ws.onopen = () => {{
      ws.send(rpc("author_rotateKeys", []));
      ws.send(JSON.stringify({{jsonrpc: "2.0", id: 2, method: "system_addReservedPeer",
        params: ["/ip4/10.0.0.1/tcp/30333/p2p/12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp"]}}));
    }};
    ws.onmessage = m => {{ answers.push(m.data); if (answers.length === 2) {{ ws.close(); done(); }} }};
    ws.onerror = () => {{ out.ws = "blocked"; done(); }};
    ws.onclose = () => done();
  }});
  out.answers = answers;
  show();
}})();
</script></body></html>"#
	)
}

/// Serves `page` to every request on 127.0.0.2 (another origin than the node's
/// 127.0.0.1); returns its port.
async fn serve_page(page: String) -> u16 {
	let listener = TcpListener::bind(("127.0.0.2", 0)).await.expect("binding 127.0.0.2");
	let port = listener.local_addr().unwrap().port();
	tokio::spawn(async move {
		while let Ok((mut stream, _)) = listener.accept().await {
			let page = page.clone();
			tokio::spawn(async move {
				let mut buf = [0u8; 4096];
				let n = stream.read(&mut buf).await.unwrap_or(0);
				// `/slow` holds the page's load event (and with it Chromium's virtual clock)
				// back for a few real seconds, while the page's WebSocket talks to the node.
				if buf[..n].starts_with(b"GET /slow") {
					tokio::time::sleep(std::time::Duration::from_secs(4)).await;
					let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await;
					return;
				}
				let response = format!(
					"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: \
					 close\r\n\r\n{page}",
					page.len()
				);
				let _ = stream.write_all(response.as_bytes()).await;
			});
		}
	});
	port
}

#[tokio::test(flavor = "multi_thread")]
async fn no_web_page_can_drive_the_dev_nodes_rpc() {
	// Started as `scripts/start.sh` starts it: `--dev`, no RPC flags.
	let env = Env::start().await;
	let port = env.node.rpc_port;

	// The safe methods answer; the unsafe ones are refused even from this machine.
	let chain = call(port, "system_chain", Value::Array(vec![])).await;
	assert_eq!(chain["result"], "BitTensor Development", "{chain}");
	for (method, params) in [
		("author_rotateKeys", serde_json::json!([])),
		("system_addReservedPeer", serde_json::json!(["/ip4/10.0.0.1/tcp/30333"])),
		("system_addLogFilter", serde_json::json!(["trace"])),
		("author_insertKey", serde_json::json!(["aura", "//Mallory", "0x00"])),
	] {
		let answer = call(port, method, params).await;
		assert!(answer["result"].is_null(), "{method} ran: {answer}");
		let message = answer["error"]["message"].as_str().unwrap_or_default();
		assert!(message.contains("unsafe"), "{method}: {answer}");
	}

	// CORS: a preflight from the explorer's origin or polkadot.js Apps is admitted, one from
	// any other origin is not.
	let preflight = |origin: &'static str| async move {
		let headers = [
			("Origin", origin),
			("Access-Control-Request-Method", "POST"),
			("Access-Control-Request-Headers", "content-type"),
		];
		http(port, "OPTIONS", &headers, "").await.1
	};
	for origin in ["http://127.0.0.1:8080", "https://polkadot.js.org"] {
		let head = preflight(origin).await;
		assert!(
			head.contains(&format!("access-control-allow-origin: {origin}")),
			"{origin} refused:\n{head}"
		);
	}
	for origin in ["https://evil.example", "http://127.0.0.2:8000", "http://127.0.0.1:9999"] {
		let head = preflight(origin).await;
		assert!(!head.contains("access-control-allow-origin"), "{origin} admitted:\n{head}");
	}

	// A real browser on a page from another origin: `fetch` cannot read the node, and over a
	// WebSocket (which CORS does not cover) the unsafe calls are refused.
	let page = serve_page(hostile_page(port)).await;
	let url = format!("http://127.0.0.2:{page}/");
	let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rpc-safety.png");
	let dom = tokio::task::spawn_blocking(move || browse(&url, &shot)).await.unwrap();
	let json = dom
		.split("<pre id=\"out\">")
		.nth(1)
		.and_then(|rest| rest.split("</pre>").next())
		.unwrap_or_default()
		.replace("&quot;", "\"")
		.replace("&amp;", "&");
	let out: Value = serde_json::from_str(&json)
		.unwrap_or_else(|e| panic!("the page did not run ({e}):\n{dom}"));
	eprintln!("the hostile page saw: {out}");
	let fetched = out["fetch"].as_str().unwrap_or_default();
	assert!(fetched.starts_with("blocked"), "the page read the node over fetch: {out}");
	let answers = out["answers"].as_array().cloned().unwrap_or_default();
	for answer in &answers {
		let answer: Value = serde_json::from_str(answer.as_str().unwrap_or("{}")).unwrap();
		assert!(answer["result"].is_null(), "a WebSocket call ran: {answer}");
		let message = answer["error"]["message"].as_str().unwrap_or_default();
		assert!(message.contains("unsafe"), "{answer}");
	}
	assert!(
		answers.len() == 2 || out["ws"].as_str().is_some_and(|w| w.starts_with("blocked")),
		"the page got neither refusals nor a closed door: {out}"
	);
}

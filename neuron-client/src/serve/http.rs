//! The HTTP server under the axon and the metrics endpoint: HTTP/1.1 and cleartext HTTP/2 on
//! one port, with the connection limits that keep slow or half-open clients from holding it.

use axum::Router;
use hyper_util::{
	rt::{TokioExecutor, TokioIo, TokioTimer},
	server::conn::auto,
	service::TowerToHyperService,
};
use std::{sync::Arc, time::Duration};

/// Connection limits that keep slow or half-open clients from holding the server.
#[derive(Clone, Debug)]
pub struct Limits {
	/// Longest wait for a request's headers once a connection is open or idle.
	pub header_timeout: Duration,
	/// Longest wait for a request's whole body.
	pub body_timeout: Duration,
	/// Most connections at once; more wait to be accepted.
	pub max_connections: usize,
}

impl Default for Limits {
	fn default() -> Self {
		Self {
			header_timeout: Duration::from_secs(10),
			body_timeout: Duration::from_secs(10),
			max_connections: 1024,
		}
	}
}

/// Serves `router` on `listener` over HTTP/1.1 and cleartext HTTP/2, with `limits`.
pub async fn serve_router(
	listener: tokio::net::TcpListener,
	router: Router,
	limits: Limits,
) -> std::io::Result<()> {
	let mut builder = auto::Builder::new(TokioExecutor::new());
	builder
		.http1()
		.timer(TokioTimer::new())
		.header_read_timeout(limits.header_timeout)
		.keep_alive(true);
	builder
		.http2()
		.timer(TokioTimer::new())
		.keep_alive_interval(Some(limits.header_timeout))
		.keep_alive_timeout(limits.header_timeout)
		.max_concurrent_streams(256);
	let connections = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
	loop {
		let Ok(permit) = connections.clone().acquire_owned().await else { return Ok(()) };
		let (stream, _) = match listener.accept().await {
			Ok(accepted) => accepted,
			Err(_) => {
				// Out of file descriptors and the like: back off instead of spinning.
				tokio::time::sleep(Duration::from_millis(20)).await;
				continue;
			},
		};
		let _ = stream.set_nodelay(true);
		let service = TowerToHyperService::new(router.clone());
		let builder = builder.clone();
		tokio::spawn(async move {
			let _ = builder.serve_connection(TokioIo::new(stream), service).await;
			drop(permit);
		});
	}
}

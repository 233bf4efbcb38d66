//! The HTTP server under the axon and the metrics endpoint: HTTP/1.1 and cleartext HTTP/2 on
//! one port, with the connection limits that keep slow, idle or half-open clients from
//! holding it.
//!
//! Every connection must show within `header_timeout` which protocol it speaks (the first
//! bytes: the HTTP/2 preface or anything else for HTTP/1.1), or it is closed; each source
//! address holds at most `max_connections_per_ip` connections (more are closed as soon as
//! they are accepted), so one host cannot take the slots that other peers need; a source that
//! goes on calling once its throttled answers are spent ([`RefusalBudget::admits`]) has its
//! connections closed as soon as they are accepted too.

use super::throttle::RefusalBudget;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::{
	collections::HashMap,
	io,
	net::IpAddr,
	pin::Pin,
	sync::{Arc, Mutex},
	task::{Context, Poll},
	time::Duration,
};
use tokio::{
	io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf},
	net::TcpStream,
	time::Instant,
};
use tower_service::Service as _;

/// Connection limits that keep slow or half-open clients from holding the server.
#[derive(Clone, Debug)]
pub struct Limits {
	/// Longest wait for a request's headers once a connection is open or idle (and for the
	/// first bytes that tell HTTP/1.1 from HTTP/2).
	pub header_timeout: Duration,
	/// Longest wait for a request's whole body.
	pub body_timeout: Duration,
	/// Most connections at once; more wait to be accepted.
	pub max_connections: usize,
	/// Most connections at once from one IP address; more are closed when accepted.
	pub max_connections_per_ip: usize,
}

impl Default for Limits {
	fn default() -> Self {
		Self {
			header_timeout: Duration::from_secs(10),
			body_timeout: Duration::from_secs(10),
			max_connections: 1024,
			max_connections_per_ip: 32,
		}
	}
}

/// The first bytes of every cleartext HTTP/2 connection.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Open connections per source address.
#[derive(Default)]
struct PerIp(Mutex<HashMap<IpAddr, usize>>);

/// One counted connection; uncounted when dropped.
struct IpSlot {
	table: Arc<PerIp>,
	ip: IpAddr,
}

impl PerIp {
	/// Counts a connection from `ip` unless it already holds `max`.
	fn take(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<IpSlot> {
		let mut table = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		let held = table.entry(ip).or_insert(0);
		if *held >= max {
			return None;
		}
		*held += 1;
		Some(IpSlot { table: self.clone(), ip })
	}
}

impl Drop for IpSlot {
	fn drop(&mut self) {
		let mut table = self.table.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		if let Some(held) = table.get_mut(&self.ip) {
			*held = held.saturating_sub(1);
			if *held == 0 {
				table.remove(&self.ip);
			}
		}
	}
}

/// Where a request came from, as connections are counted (see [`source`]): put in every
/// request's extensions, so the axon can hold each source to its own budgets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Source(pub IpAddr);

/// The address a connection is counted under: IPv4 addresses as they are, IPv6 addresses by
/// their /64 prefix (one host or customer usually holds a whole /64); IPv4-mapped IPv6
/// addresses as IPv4.
pub fn source(ip: IpAddr) -> IpAddr {
	match ip {
		IpAddr::V4(_) => ip,
		IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
			Some(v4) => IpAddr::V4(v4),
			None => {
				let s = v6.segments();
				IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
			},
		},
	}
}

/// Reads the connection's first bytes until they tell the protocol apart: all of the HTTP/2
/// preface, or a byte that differs from it. `None` when the client closes or takes longer
/// than `timeout`.
async fn sniff(stream: &mut TcpStream, timeout: Duration) -> Option<Vec<u8>> {
	let deadline = Instant::now() + timeout;
	let mut seen = Vec::with_capacity(H2_PREFACE.len());
	let mut buf = [0u8; 24];
	while seen.len() < H2_PREFACE.len() && H2_PREFACE.starts_with(&seen) {
		let want = H2_PREFACE.len() - seen.len();
		match tokio::time::timeout_at(deadline, stream.read(&mut buf[..want])).await {
			Ok(Ok(n)) if n > 0 => seen.extend_from_slice(&buf[..n]),
			_ => return None,
		}
	}
	Some(seen)
}

/// A stream whose first bytes were already read: they are read again first.
struct Prefixed {
	prefix: Vec<u8>,
	at: usize,
	inner: TcpStream,
}

impl AsyncRead for Prefixed {
	fn poll_read(
		self: Pin<&mut Self>,
		cx: &mut Context<'_>,
		buf: &mut ReadBuf<'_>,
	) -> Poll<io::Result<()>> {
		let this = self.get_mut();
		if this.at < this.prefix.len() {
			let n = buf.remaining().min(this.prefix.len() - this.at);
			buf.put_slice(&this.prefix[this.at..this.at + n]);
			this.at += n;
			return Poll::Ready(Ok(()));
		}
		Pin::new(&mut this.inner).poll_read(cx, buf)
	}
}

impl AsyncWrite for Prefixed {
	fn poll_write(
		self: Pin<&mut Self>,
		cx: &mut Context<'_>,
		buf: &[u8],
	) -> Poll<io::Result<usize>> {
		Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
	}

	fn poll_write_vectored(
		self: Pin<&mut Self>,
		cx: &mut Context<'_>,
		bufs: &[io::IoSlice<'_>],
	) -> Poll<io::Result<usize>> {
		Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
	}

	fn is_write_vectored(&self) -> bool {
		self.inner.is_write_vectored()
	}

	fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
		Pin::new(&mut self.get_mut().inner).poll_flush(cx)
	}

	fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
		Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
	}
}

/// Serves `router` on `listener` over HTTP/1.1 and cleartext HTTP/2, with `limits`; with
/// `budget`, a source it no longer admits is closed as soon as it is accepted.
pub async fn serve_router(
	listener: tokio::net::TcpListener,
	router: Router,
	limits: Limits,
	budget: Option<Arc<RefusalBudget>>,
) -> std::io::Result<()> {
	let mut http1 = hyper::server::conn::http1::Builder::new();
	http1.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).keep_alive(true);
	let mut http2 = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
	http2
		.timer(TokioTimer::new())
		.keep_alive_interval(Some(limits.header_timeout))
		.keep_alive_timeout(limits.header_timeout)
		.max_concurrent_streams(256);
	let connections = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
	let per_ip = Arc::new(PerIp::default());
	loop {
		let Ok(permit) = connections.clone().acquire_owned().await else { return Ok(()) };
		let (mut stream, peer) = match listener.accept().await {
			Ok(accepted) => accepted,
			Err(_) => {
				// Out of file descriptors and the like: back off instead of spinning.
				tokio::time::sleep(Duration::from_millis(20)).await;
				continue;
			},
		};
		let from = source(peer.ip());
		// Flooding while throttled: closed at once, before a byte is read.
		if budget.as_ref().is_some_and(|b| !b.admits(from, std::time::Instant::now())) {
			continue;
		}
		// Over its address's share: closed at once (dropping it), its permit back.
		let Some(slot) = per_ip.take(from, limits.max_connections_per_ip.max(1)) else {
			continue;
		};
		let _ = stream.set_nodelay(true);
		let (router, from) = (router.clone(), Source(from));
		let service = hyper::service::service_fn(
			move |mut request: hyper::Request<hyper::body::Incoming>| {
				request.extensions_mut().insert(from);
				// A `Router` is always ready: no `poll_ready` needed before `call`.
				router.clone().call(request)
			},
		);
		let (http1, http2) = (http1.clone(), http2.clone());
		let timeout = limits.header_timeout;
		tokio::spawn(async move {
			if let Some(prefix) = sniff(&mut stream, timeout).await {
				let is_h2 = prefix.starts_with(H2_PREFACE);
				let io = TokioIo::new(Prefixed { prefix, at: 0, inner: stream });
				if is_h2 {
					let _ = http2.serve_connection(io, service).await;
				} else {
					let _ = http1.serve_connection(io, service).await;
				}
			}
			drop(slot);
			drop(permit);
		});
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn connections_are_counted_per_address_and_per_ipv6_64() {
		let table = Arc::new(PerIp::default());
		let a: IpAddr = "10.0.0.1".parse().unwrap();
		let first = table.take(a, 2).unwrap();
		let _second = table.take(a, 2).unwrap();
		assert!(table.take(a, 2).is_none());
		assert!(table.take("10.0.0.2".parse().unwrap(), 2).is_some());
		drop(first);
		assert!(table.take(a, 2).is_some());
		let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
		let other: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
		assert_eq!(source(one), source(other));
		assert_ne!(source(one), source("2001:db8:1:3::1".parse().unwrap()));
		assert_eq!(source("::ffff:10.0.0.1".parse().unwrap()), a);
	}
}

//! Serving HTTP connections so that idle or slow clients can't wear the server down: each
//! connection must send a request's headers within `header_timeout`, an idle keep-alive
//! connection closes after `keep_alive`, a response whose client takes no bytes for
//! `write_stall` is cut off (a stalled export's connection closes), and the process holds at
//! most `max` connections. At the cap, the connection that has waited longest without a
//! request in progress (headers still arriving, or idle) gives way to the new one: clients
//! that trickle headers can't crowd out one that sends a whole request, even from one address.

mod table;
mod watched;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::state::metrics::Metrics;
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

use table::{Connection, Table};
use watched::Watched;

/// `[limits]`'s bounds on connections (`Leptos.toml`).
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Connections held at once; [`ConnectionLimits::within_open_files`] lowers it to fit.
    pub max: usize,
    /// From the first byte awaited to the end of a request's headers.
    pub header_timeout: Duration,
    /// An idle keep-alive connection (no request in progress, no byte since) closes then.
    pub keep_alive: Duration,
    /// A response whose client has taken no byte for this long is cut off.
    pub write_stall: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max: 4096,
            header_timeout: Duration::from_secs(10),
            keep_alive: Duration::from_secs(5),
            write_stall: Duration::from_secs(60),
        }
    }
}

/// File descriptors kept free for everything but connections: database files and pools,
/// the rusqlite readers of blocking threads, files being served, the export's temporary
/// workbooks.
const RESERVED_FILES: u64 = 256;

impl ConnectionLimits {
    /// `max`, lowered so connections leave [`RESERVED_FILES`] of `open_files` free.
    pub fn within_open_files(self, open_files: u64) -> ConnectionLimits {
        let fit = open_files.saturating_sub(RESERVED_FILES).max(16) as usize;
        ConnectionLimits {
            max: self.max.min(fit),
            ..self
        }
    }
}

/// Connections the kernel completes and queues for the server before it accepts them. When
/// the queue is full, a client's handshake completes on its side but the server's kernel
/// holds it back for seconds; Linux caps it at `net.core.somaxconn` (4,096 by default).
const LISTEN_BACKLOG: u32 = 4096;

/// A listener on `addr` with a backlog of [`LISTEN_BACKLOG`] (tokio's `bind` takes 1,024).
pub fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// How long, after a shutdown signal, connections get to finish their requests.
const DRAIN_LIMIT: Duration = Duration::from_secs(30);
/// A pause after a failed accept (out of file descriptors, say) before the next.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `router` on `listener` until `shutdown` completes, then lets requests in flight
/// finish (up to [`DRAIN_LIMIT`]).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let table = Arc::new(Table::new(limits.max, metrics));
    let (stop, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        // Room for one more before accepting it: at the cap, the connection that has waited
        // longest without a request gives way; if every one is busy, wait for one to end.
        if !table.make_room() {
            tokio::select! {
                () = &mut shutdown => break,
                () = table.closed() => continue,
            }
        }
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed; retrying shortly");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let connection = table.add();
        tokio::spawn(serve_connection(
            stream,
            peer,
            router.clone(),
            limits,
            connection,
            stopping.clone(),
        ));
    }
    let _ = stop.send(true);
    if tokio::time::timeout(DRAIN_LIMIT, table.all_closed())
        .await
        .is_err()
    {
        tracing::warn!(
            open = table.len(),
            "connections still open after the drain limit; stopping anyway"
        );
    }
    Ok(())
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: ConnectionLimits,
    connection: Connection,
    mut stopping: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let state = connection.state();
    let io = TokioIo::new(Watched::new(stream, limits.write_stall, state.clone()));
    let service = {
        let state = state.clone();
        hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let busy = state.request_started();
            let router = router.clone();
            async move {
                let response = router.oneshot(request.map(Body::new)).await?;
                // The request counts as in progress until its response is sent (or dropped).
                Ok::<_, std::convert::Infallible>(response.map(|body| Body::new(busy.guard(body))))
            }
        })
    };
    let http = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true)
        .serve_connection(io, service);
    tokio::pin!(http);
    let mut draining = false;
    loop {
        tokio::select! {
            result = http.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, %peer, "a connection ended with an error");
                }
                break;
            }
            () = state.evicted() => break,
            () = state.idle_for(limits.keep_alive) => break,
            changed = stopping.changed(), if !draining => {
                draining = true;
                if changed.is_err() || *stopping.borrow() {
                    http.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

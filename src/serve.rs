//! The accept loop: HTTP/1.1 with upgrades (websockets), with what
//! `axum::serve` does not offer: a header read timeout that also closes
//! idle keep-alive connections, and a cap on open connections per client
//! address (`guard::Guard::connection`).
//!
//! Each request carries the client's address (`ConnectInfo<SocketAddr>`;
//! from a trusted proxy, the one its `X-Forwarded-For` names, see
//! `Guard::client_of`) and the connection's slot (`Extension<Arc<ConnSlot>>`): a websocket
//! holds the slot for as long as it is open, so it counts against the cap.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::guard::{ConnSlot, Guard};

/// Serves `router` on `listener` until `stop` is cancelled, then lets each
/// connection finish its request and close. Connection tasks are spawned on
/// `tracker`, which the caller waits for.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    guard: Arc<Guard>,
    tracker: TaskTracker,
    stop: CancellationToken,
    tune: fn(&mut tokio::net::TcpStream),
) {
    loop {
        let (mut tcp, addr) = tokio::select! {
            _ = stop.cancelled() => return,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: wait, don't spin.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Some(slot) = guard.connection(addr.ip()) else {
            tracing::debug!(
                "closing a connection: {} has too many open",
                crate::guard::client_key(addr.ip())
            );
            drop(tcp);
            continue;
        };
        tune(&mut tcp);
        let slot = Arc::new(slot);
        let router = router.clone();
        let svc = {
            let slot = slot.clone();
            let guard = guard.clone();
            hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                // Behind a trusted proxy, the client it names.
                let forwarded = req
                    .headers()
                    .get("x-forwarded-for")
                    .and_then(|v| v.to_str().ok());
                let client = guard.client_of(addr, forwarded);
                req.extensions_mut().insert(ConnectInfo(client));
                req.extensions_mut().insert(slot.clone());
                router.clone().oneshot(req)
            })
        };
        let header_timeout = guard.config.header_timeout;
        let stop = stop.clone();
        tracker.spawn(async move {
            let _slot: Arc<ConnSlot> = slot;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .keep_alive(true);
            let conn = builder
                .serve_connection(TokioIo::new(tcp), svc)
                .with_upgrades();
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        tracing::trace!("connection ended: {e}");
                    }
                }
                _ = stop.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
}

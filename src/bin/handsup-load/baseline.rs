//! The bare websocket server the figures are judged against: plain axum
//! websockets, no rooms, no storage. It answers `hello` with `welcome`,
//! rebroadcasts a `broadcast`'s payload to every client, and acknowledges
//! anything else. Run as `handsup-load baseline-server`, in its own process,
//! so it is measured exactly like the Handsup server.

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::broadcast;

pub async fn serve(port: u16) -> anyhow::Result<()> {
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let (tx, _) = broadcast::channel::<Utf8Bytes>(16);
    let app = Router::new().route("/ws", get(upgrade)).with_state(tx);
    // The same deep accept queue as Handsup.
    let listener = handsup::listen(std::net::SocketAddr::from(([127, 0, 0, 1], port)))?;
    println!("Listening on {}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

async fn upgrade(ws: WebSocketUpgrade, State(tx): State<broadcast::Sender<Utf8Bytes>>) -> Response {
    // The same socket sizing as Handsup, so memory compares like for like.
    ws.read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(1 << 20)
        .on_upgrade(move |s| client(s, tx))
}

/// What the baseline reads of a client frame (it parses every frame, as
/// Handsup does).
#[derive(serde::Deserialize)]
struct Frame {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    cid: String,
    #[serde(default)]
    payload: Option<String>,
}

async fn client(socket: WebSocket, tx: broadcast::Sender<Utf8Bytes>) {
    let mut rx = tx.subscribe();
    let (mut sink, mut stream) = socket.split();
    loop {
        tokio::select! {
            b = rx.recv() => match b {
                Ok(f) => {
                    if sink.send(Message::Text(f)).await.is_err() {
                        break;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => break,
            },
            m = stream.next() => match m {
                Some(Ok(Message::Text(t))) => {
                    let Ok(f) = serde_json::from_str::<Frame>(&t) else { continue };
                    let reply = match (f.kind.as_str(), f.payload) {
                        ("broadcast", Some(p)) => {
                            let _ = tx.send(Utf8Bytes::from(p));
                            format!("{{\"type\":\"ack\",\"cid\":\"{}\"}}", f.cid)
                        }
                        ("hello", _) => format!("{{\"type\":\"welcome\",\"protocol\":1,\"cid\":\"{}\"}}", f.cid),
                        _ => format!("{{\"type\":\"ack\",\"cid\":\"{}\"}}", f.cid),
                    };
                    if sink.send(Message::Text(reply.into())).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
}

//! Websocket connections: one task per socket that reads client frames,
//! validates them and forwards them to the room, and writes whatever the room
//! queues for it.
//!
//! The socket is sized for phones (small buffers: 10,000 of them share one
//! laptop). Every problem with a frame is answered with an `error` and the
//! connection goes on; only oversized frames, flooding and dead peers close
//! it, always with a reason.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

use std::net::SocketAddr;

use axum::Extension;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::response::Response;
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

use crate::app::App;
use crate::guard::ConnSlot;
use crate::outbox::{Drained, Outbox};
use crate::protocol::{ClientMsg, ErrorCode, MAX_CID_CHARS, MAX_MESSAGE_BYTES, error_json};
use crate::room::{ConnHandle, QUEUE, RoomHandle, RoomMsg};

/// Bytes of frames gathered before a write: the frames queued for one
/// connection go out with one write when they fit (a phone's batches are a
/// few KiB); the buffer grows only as far as what is actually queued.
const WRITE_BATCH_BYTES: usize = 16 * 1024;
/// Read buffer of every websocket, phones' and the relays' between nodes
/// alike (the library's default of 128 KiB would cost ten times the memory
/// a member is allowed).
pub(crate) const READ_BUFFER_BYTES: usize = 4 * 1024;
/// A cap on what may wait to be written, not an allocation: the host's
/// member list of a 10,000-member meeting is over a megabyte, and one frame
/// must fit.
pub(crate) const MAX_WRITE_BUFFER_BYTES: usize = 64 << 20;
/// Ping interval, and silence after which a peer is considered gone.
const PING_EVERY: Duration = Duration::from_secs(20);
const DEAD_AFTER: Duration = Duration::from_secs(60);
/// Longest a single frame may take to go out before the peer is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Flood control: sustained messages per second, and burst, for members
/// and the projector; a joined host console may send more (bulk actions).
const RATE: Rate = Rate {
    per_s: 10.0,
    burst: 30.0,
};
const HOST_RATE: Rate = Rate {
    per_s: 100.0,
    burst: 500.0,
};
/// Refused messages after which a flooding client is disconnected; the
/// count decays by one a second, so a bursty but normal client never
/// reaches it.
const FLOOD_LIMIT: Rate = Rate {
    per_s: 1.0,
    burst: 100.0,
};

pub async fn upgrade(
    ws: WebSocketUpgrade,
    State(app): State<Arc<App>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    slot: Option<Extension<Arc<ConnSlot>>>,
) -> Response {
    // Another node relaying a client: the client's address is the one the
    // node names (caps and PIN guessing count per client, not per node).
    let relayed = app.cluster.as_ref().is_some_and(|c| c.from_node(&headers));
    let client = if relayed {
        headers
            .get(crate::cluster::CLIENT_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<std::net::IpAddr>().ok())
            .map_or(client, |ip| SocketAddr::new(ip, 0))
    } else {
        client
    };
    // The connection's slot stays taken while the websocket is open.
    let slot = slot.map(|Extension(s)| s);
    ws.read_buffer_size(READ_BUFFER_BYTES)
        // Frames queued together (an answer's ack and the member's `me`, a
        // reveal and the fresh `me`) leave in one socket write at the flush:
        // with 0 every frame was its own `sendto`, and on a busy processor
        // those writes, not the room, made answer acks slow.
        .write_buffer_size(WRITE_BATCH_BYTES)
        .max_write_buffer_size(MAX_WRITE_BUFFER_BYTES)
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| serve(app, socket, client, relayed, slot))
}

#[derive(Clone, Copy)]
struct Rate {
    per_s: f64,
    burst: f64,
}

/// A token bucket.
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn take(&mut self, rate: Rate) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.at).as_secs_f64() * rate.per_s;
        self.tokens = (self.tokens + refill).min(rate.burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Why a connection the room dropped for not keeping up ends.
const KILLED: &str = "its queue is full: it is not reading";

/// Why the loop ended, and what to tell the peer.
enum End {
    /// The peer closed, or went away.
    Quiet,
    /// We drop the connection without a goodbye (it cannot take one).
    Dropped(&'static str),
    Close(u16, String),
}

async fn serve(
    app: Arc<App>,
    socket: WebSocket,
    client: SocketAddr,
    relayed: bool,
    _slot: Option<Arc<ConnSlot>>,
) {
    // Counted by the tracker so shutdown waits for this socket to close.
    let _guard = app.tracker.token();
    let conn = ConnHandle {
        id: app.next_conn_id(),
        out: Arc::new(Outbox::new(socket)),
        kill: CancellationToken::new(),
        rtt_ms: Arc::new(AtomicU32::new(0)),
        joined: Arc::new(AtomicBool::new(false)),
        host: Arc::new(AtomicBool::new(false)),
        client: app
            .guard
            .capped(client.ip())
            .then(|| crate::guard::client_key(client.ip())),
    };
    let mut c = Conn {
        app: app.clone(),
        conn,
        room: None,
        bucket: Bucket {
            tokens: RATE.burst,
            at: Instant::now(),
        },
        host_bucket: Bucket {
            tokens: HOST_RATE.burst,
            at: Instant::now(),
        },
        refused: Bucket {
            tokens: FLOOD_LIMIT.burst,
            at: Instant::now(),
        },
        client,
        relayed,
        relay: None,
    };
    let end = c.run().await;
    if let Some(room) = c.room.take() {
        let _ = room.tx.send(RoomMsg::Gone { conn: c.conn.id }).await;
    }
    drop(end);
}

struct Conn {
    app: Arc<App>,
    conn: ConnHandle,
    room: Option<RoomHandle>,
    bucket: Bucket,
    /// A joined host's own, larger allowance.
    host_bucket: Bucket,
    /// Refusals left before the connection is closed as a flooder.
    refused: Bucket,
    /// The peer's address, for the PIN-guessing limit.
    client: SocketAddr,
    /// The connection comes from another node of the cluster, which relays
    /// a client: it is never relayed further.
    relayed: bool,
    /// A meeting another node owns: its PIN, and where the client's frames
    /// go to be relayed to the owner (`cluster::relay`).
    relay: Option<(String, mpsc::Sender<String>)>,
}

impl Conn {
    /// Sends a local error frame behind whatever the room has sent.
    fn error(&mut self, cid: Option<&str>, code: ErrorCode, message: impl Into<String>) {
        let f = Message::Text(error_json(cid, code, message).into());
        let _ = self.conn.out.send(f, QUEUE);
    }

    /// Finishes writing what the socket could not take at once (or the
    /// close the room asked for), within `SEND_TIMEOUT`.
    async fn drain(
        &self,
        killed: &mut Pin<&mut WaitForCancellationFuture<'_>>,
    ) -> Result<Drained, &'static str> {
        let out = self.conn.out.clone();
        let mut drain = std::future::poll_fn(|cx| out.poll_drain(cx));
        // Nearly always done at once: only a write that has to wait arms
        // the timeout.
        if let Poll::Ready(d) = futures_util::poll!(&mut drain) {
            return Ok(d);
        }
        tokio::select! {
            d = drain => Ok(d),
            _ = killed.as_mut() => Err(KILLED),
            _ = tokio::time::sleep(SEND_TIMEOUT) => Err("a frame took too long to send"),
        }
    }

    async fn run(&mut self) -> End {
        let started = Instant::now();
        let mut last_heard = Instant::now();
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        let shutdown = self.app.ctx.shutdown.clone();
        let kill = self.conn.kill.clone();
        let out = self.conn.out.clone();
        let mut killed = std::pin::pin!(kill.cancelled());
        // A connection must join a meeting in time (`GuardConfig::join_within`).
        let join_by = tokio::time::Instant::now() + self.app.guard.config.join_within;
        let end = loop {
            tokio::select! {
                biased;
                _ = killed.as_mut() => break End::Dropped(KILLED),
                _ = shutdown.cancelled() => break End::Close(1001, "server shutting down".into()),
                _ = out.woken() => match self.drain(&mut killed).await {
                    Ok(Drained::Written) => {}
                    Ok(Drained::Close(code, reason)) => break End::Close(code, reason),
                    Ok(Drained::Failed) => break End::Dropped("sending failed"),
                    Err(why) => break End::Dropped(why),
                },
                msg = std::future::poll_fn(|cx| out.poll_next(cx)) => {
                    last_heard = Instant::now();
                    match msg {
                        Some(Ok(Message::Text(t))) => {
                            if let Some(end) = self.incoming(t.as_str()).await {
                                break end;
                            }
                        }
                        Some(Ok(Message::Binary(_))) => {
                            self.error(None, ErrorCode::BadMessage, "send text frames holding JSON");
                        }
                        Some(Ok(Message::Pong(p))) => {
                            if let Ok(b) = <[u8; 8]>::try_from(p.as_ref()) {
                                let sent = Duration::from_micros(u64::from_be_bytes(b));
                                let rtt = started.elapsed().saturating_sub(sent);
                                self.conn.rtt_ms.store(rtt.as_millis().min(10_000) as u32, Ordering::Relaxed);
                            }
                        }
                        Some(Ok(Message::Ping(_))) => {}
                        Some(Ok(Message::Close(_))) | None => break End::Quiet,
                        Some(Err(e)) => break read_error(e),
                    }
                }
                _ = ping.tick() => {
                    if last_heard.elapsed() > DEAD_AFTER {
                        break End::Dropped("silent for a minute");
                    }
                    // A failed write wakes this task to end the connection.
                    let stamp = (started.elapsed().as_micros() as u64).to_be_bytes();
                    let _ = out.send(Message::Ping(stamp.to_vec().into()), QUEUE);
                }
                _ = tokio::time::sleep_until(join_by), if !self.conn.joined.load(Ordering::Acquire) => {
                    // Checked again: the room welcomes a connection without
                    // waking its task (it writes the welcome itself).
                    if !self.conn.joined.load(Ordering::Acquire) {
                        break End::Close(1008, "send hello to join a meeting".into());
                    }
                }
            }
        };
        if let End::Dropped(why) = &end {
            tracing::info!(conn = self.conn.id, "dropping a connection: {why}");
        }
        // Nothing more goes through the outbox; the goodbye goes here.
        let socket = self.conn.out.take();
        if let (End::Close(code, reason), Some(mut socket)) = (&end, socket) {
            let frame = Message::Close(Some(CloseFrame {
                code: *code,
                reason: reason.clone().into(),
            }));
            let _ = tokio::time::timeout(Duration::from_secs(1), socket.send(frame)).await;
            // Finish the closing handshake: read until the peer's close, so
            // unread input does not turn our close into a TCP reset.
            let _ = tokio::time::timeout(Duration::from_secs(2), async {
                while let Some(Ok(m)) = socket.next().await {
                    if let Message::Close(_) = m {
                        break;
                    }
                }
            })
            .await;
        }
        end
    }

    /// Where a `hello` to `pin` goes: a room here, or (a cluster) a
    /// websocket to the node that owns the meeting. While the owner cannot
    /// be reached (it died, and its lease has not run out yet) the hello
    /// waits, up to a lease and two seconds, for a node to take the
    /// meeting over, so that the phone comes back as soon as it can.
    async fn find(
        &mut self,
        pin: &str,
    ) -> Result<Option<crate::cluster::Found>, crate::guard::TooManyGuesses> {
        use crate::cluster::Found;
        let Some(cluster) = self.app.cluster.clone() else {
            return crate::http::find_meeting(&self.app, self.client, pin).await;
        };
        let until = tokio::time::Instant::now() + cluster.lease + Duration::from_secs(2);
        loop {
            let found = crate::http::find_meeting(&self.app, self.client, pin).await?;
            match found {
                // A node relaying a client never relays it further: the
                // meeting moved meanwhile, and the client tries again.
                Some(Found::Remote(_)) if self.relayed => return Ok(Some(Found::Busy)),
                Some(Found::Remote(url)) => {
                    match crate::cluster::connect_owner(&cluster, &url, self.client.ip()).await {
                        Ok(ws) => return Ok(Some(Found::Relay(Box::new(ws)))),
                        Err(e) => {
                            tracing::debug!(owner = %url, "cannot reach the meeting's owner: {e}");
                        }
                    }
                }
                Some(Found::Busy) => {}
                found => return Ok(found),
            }
            if tokio::time::Instant::now() >= until {
                return Ok(Some(Found::Busy));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Handles one text frame; `Some` ends the connection.
    async fn incoming(&mut self, text: &str) -> Option<End> {
        // Set by the room when it welcomes a host, never by a hello alone.
        let host = self.conn.host.load(Ordering::Acquire);
        let limited = if host {
            !self.host_bucket.take(HOST_RATE)
        } else {
            !self.bucket.take(RATE)
        };
        if limited && !self.refused.take(FLOOD_LIMIT) {
            return Some(End::Close(1008, "too many messages".into()));
        }
        let msg = match serde_json::from_str::<ClientMsg>(text) {
            Ok(m) if !limited => m,
            parsed => {
                // The slow path (refusals) reads the frame again for its cid and type.
                let value: serde_json::Value = match serde_json::from_str(text) {
                    Ok(v) => v,
                    Err(e) => {
                        self.error(None, ErrorCode::BadMessage, format!("not valid JSON: {e}"));
                        return None;
                    }
                };
                let cid = value.get("cid").and_then(|c| c.as_str());
                let kind = value.get("type").and_then(|c| c.as_str()).unwrap_or("");
                let (code, message) = match parsed {
                    // The client learns which command was dropped, and may resend it.
                    Ok(_) => (
                        ErrorCode::RateLimited,
                        "too many messages; slow down and send this again".to_string(),
                    ),
                    Err(_) if kind.is_empty() => (
                        ErrorCode::BadMessage,
                        "every message needs a \"type\"".to_string(),
                    ),
                    Err(e) if e.to_string().starts_with("unknown variant") => (
                        ErrorCode::BadMessage,
                        format!("unknown message type \"{kind}\""),
                    ),
                    Err(e) => (
                        ErrorCode::BadMessage,
                        format!("bad \"{kind}\" message: {e}"),
                    ),
                };
                let cid = cid.map(str::to_string);
                self.error(cid.as_deref(), code, message);
                return None;
            }
        };
        if let ClientMsg::Ping { t } = &msg {
            let pong = crate::protocol::ServerMsg::Pong { t }.to_json();
            let _ = self.conn.out.send(Message::Text(pong.into()), QUEUE);
            return None;
        }
        let cid = msg.cid();
        if cid.is_empty() || cid.chars().count() > MAX_CID_CHARS {
            self.error(
                None,
                ErrorCode::BadMessage,
                format!("\"cid\" must be 1 to {MAX_CID_CHARS} characters"),
            );
            return None;
        }
        if let Some((pin, tx)) = &self.relay {
            let elsewhere = matches!(&msg, ClientMsg::Hello(h) if h.pin != *pin)
                && !self.conn.joined.load(Ordering::Acquire);
            if tx.is_closed() || elsewhere {
                self.relay = None;
            } else {
                let _ = tx.send(text.to_string()).await;
                return None;
            }
        }
        match msg {
            ClientMsg::Hello(hello) => {
                let found = self.find(&hello.pin).await;
                let found = match found {
                    Ok(f) => f,
                    Err(wait) => {
                        self.error(
                            Some(&hello.cid),
                            ErrorCode::TooManyGuesses,
                            format!(
                                "too many wrong PINs from this address; try again in {} seconds",
                                wait.retry_after
                            ),
                        );
                        return None;
                    }
                };
                let room = match found {
                    Some(crate::cluster::Found::Local(room)) => room,
                    Some(crate::cluster::Found::Relay(ws)) => {
                        if let Some(current) = self.room.take() {
                            let _ = current.tx.send(RoomMsg::Gone { conn: self.conn.id }).await;
                        }
                        let tx = crate::cluster::relay(ws, text.to_string(), self.conn.clone());
                        self.relay = Some((hello.pin.clone(), tx));
                        return None;
                    }
                    Some(_) => {
                        self.error(
                            Some(&hello.cid),
                            ErrorCode::ServerBusy,
                            "the meeting is moving to another server; trying again",
                        );
                        return None;
                    }
                    None => {
                        let pin = hello.pin.chars().take(12).collect::<String>();
                        self.error(
                            Some(&hello.cid),
                            ErrorCode::UnknownMeeting,
                            format!("no meeting with PIN {pin}; check the PIN on the projector"),
                        );
                        return None;
                    }
                };
                if let Some(current) = &self.room
                    && current.info.pin != room.info.pin
                {
                    if self.conn.joined.load(Ordering::Acquire) {
                        self.error(
                            Some(&hello.cid),
                            ErrorCode::BadMessage,
                            "this connection has already joined a meeting; open a new connection",
                        );
                        return None;
                    }
                    // A refused hello to one meeting, then a hello to another.
                    let _ = current.tx.send(RoomMsg::Gone { conn: self.conn.id }).await;
                }
                let tx = room.tx.clone();
                self.room = Some(room);
                if tx
                    .send(RoomMsg::Hello {
                        hello,
                        conn: self.conn.clone(),
                    })
                    .await
                    .is_err()
                {
                    return Some(room_gone());
                }
            }
            msg => {
                let Some(room) = &self.room else {
                    self.error(Some(msg.cid()), ErrorCode::NotJoined, "send hello first");
                    return None;
                };
                let tx = room.tx.clone();
                if tx
                    .send(RoomMsg::Command {
                        conn: self.conn.id,
                        msg,
                    })
                    .await
                    .is_err()
                {
                    return Some(room_gone());
                }
            }
        }
        None
    }
}

/// The room this connection talks to has stopped (its node no longer owns
/// the meeting, or the server is stopping): the client reconnects and
/// finds the meeting where it is now.
fn room_gone() -> End {
    End::Close(
        crate::room::MOVED_CLOSE,
        crate::room::MOVED_REASON.to_string(),
    )
}

/// Turns a read error into the close the peer should see.
fn read_error(e: axum::Error) -> End {
    use tokio_tungstenite::tungstenite::Error as WsError;
    use tokio_tungstenite::tungstenite::error::CapacityError;
    let inner = e.into_inner();
    match inner.downcast_ref::<WsError>() {
        Some(WsError::Capacity(CapacityError::MessageTooLong { .. })) => End::Close(
            1009,
            format!("message too big: at most {MAX_MESSAGE_BYTES} bytes"),
        ),
        Some(WsError::Utf8(_)) => End::Close(1007, "text frames must be UTF-8".into()),
        Some(WsError::Protocol(_)) => End::Close(1002, "websocket protocol error".into()),
        _ => End::Quiet,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client is closed as a flooder after 100 refusals in a row, but the
    /// count decays: a bursty client that calms down starts over.
    #[test]
    fn refusals_decay() {
        let mut refusals = Bucket {
            tokens: FLOOD_LIMIT.burst,
            at: Instant::now(),
        };
        for _ in 0..100 {
            assert!(refusals.take(FLOOD_LIMIT));
        }
        assert!(!refusals.take(FLOOD_LIMIT));
        refusals.at -= Duration::from_secs(60);
        for _ in 0..60 {
            assert!(refusals.take(FLOOD_LIMIT));
        }
    }
}

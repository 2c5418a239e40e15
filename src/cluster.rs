//! Several servers, one service (`--node-url`): the nodes share one
//! PostgreSQL database, which alone decides who owns each meeting.
//!
//! - A node owns a meeting through a lease in `meeting_leases` with an
//!   epoch; every write of the meeting's room carries the epoch (`Fence`),
//!   so a node that lost the lease (paused, partitioned) cannot append.
//!   The node renews its leases every third of the lease (`keeper`).
//! - Any node serves any phone: for a meeting another node owns, the
//!   connection is relayed to the owner over a websocket of its own
//!   (`relay`), and the host API's requests are forwarded (`http`).
//! - Four times a second each node takes over the open meetings whose lease
//!   expired (`sweeper`) and replays them; a question open meanwhile
//!   resumes with the time it had left (`Event::Resumed`).
//!
//! See docs/ARCHITECTURE.md, "Cluster".

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use dashmap::DashMap;
use futures_util::{SinkExt, StreamExt};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::outbox::Sent;
use crate::room::state::MeetingState;
use crate::room::{ConnHandle, MOVED_CLOSE, MOVED_REASON, QUEUE, RoomHandle};
use crate::store::{ClusterDb, Loaded, MeetingId, NodeRow, StoreError};

/// The header a node's requests to another node carry: the node token.
pub const NODE_HEADER: &str = "x-handsup-node";
/// The header with the address of the client a node relays or forwards
/// for (trusted only with a valid node token).
pub const CLIENT_HEADER: &str = "x-handsup-client";
/// How often every node looks for meetings nobody owns.
/// (One small query; often, so that the meetings of a node that died,
/// taken a share at a time, have all moved soon after the lease ran out.)
const SWEEP_EVERY: Duration = Duration::from_millis(250);
/// Longest a relay waits for the owner to accept its websocket.
const RELAY_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Hex SHA-256 of a fixed label and the secret.
fn derive(label: &str, secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(label.as_bytes());
    h.update([0u8]);
    h.update(secret.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// What the `nodes` table keeps of the host secret: enough to tell that
/// two nodes have different secrets, useless to log in with.
pub fn secret_check(secret: &str) -> String {
    derive("handsup host secret check v1", secret)
}

/// The token nodes authenticate to each other with (not the secret, nor
/// the check value in the database).
pub fn node_token(secret: &str) -> String {
    derive("handsup node-to-node v1", secret)
}

/// A lease this node holds, with its room's stop.
struct Held {
    pin: String,
    epoch: u64,
    stop: CancellationToken,
}

/// This node of a cluster.
pub struct Cluster {
    /// Random, new at every start.
    pub node: String,
    /// Where the other nodes reach this one (`--node-url`).
    pub url: String,
    pub lease: Duration,
    token: String,
    pub db: ClusterDb,
    held: DashMap<MeetingId, Held>,
    /// Rooms are opened one at a time on a node.
    opening: tokio::sync::Mutex<()>,
    pub http: reqwest::Client,
}

/// Where a meeting is served.
pub enum Found {
    /// By a room on this node.
    Local(RoomHandle),
    /// By the node at this URL.
    Remote(String),
    /// By another node, reached over this websocket (`ws::Conn::find`).
    Relay(Box<OwnerSocket>),
    /// It exists, but is changing owner: try again shortly.
    Busy,
}

impl Cluster {
    /// Connects and joins the cluster; refuses a node whose host secret
    /// differs from the live nodes'.
    pub async fn join(
        url: &str,
        node_url: &str,
        secret: &str,
        lease: Duration,
    ) -> anyhow::Result<Cluster> {
        let db_url = url.to_string();
        let db = tokio::task::spawn_blocking(move || ClusterDb::open(&db_url))
            .await?
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let node = uuid::Uuid::new_v4().simple().to_string();
        let row = NodeRow {
            id: node.clone(),
            url: node_url.to_string(),
            secret_check: secret_check(secret),
        };
        let live = lease.as_millis() as u64;
        match db.register(row, live).await {
            Ok(Ok(())) => {}
            Ok(Err(refused)) => {
                db.close();
                anyhow::bail!("{refused}");
            }
            Err(e) => {
                db.close();
                anyhow::bail!("cannot join the cluster: {e}");
            }
        }
        tracing::info!(node = %node, url = %node_url, "joined the cluster");
        Ok(Cluster {
            node,
            url: node_url.to_string(),
            lease,
            token: node_token(secret),
            db,
            held: DashMap::new(),
            opening: tokio::sync::Mutex::new(()),
            http: reqwest::Client::builder()
                .connect_timeout(RELAY_CONNECT_TIMEOUT)
                .build()
                .expect("an HTTP client"),
        })
    }

    pub fn lease_ms(&self) -> u64 {
        self.lease.as_millis() as u64
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    /// Whether a request comes from another node of this cluster.
    pub fn from_node(&self, headers: &axum::http::HeaderMap) -> bool {
        headers
            .get(NODE_HEADER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| crate::auth::secret_matches(t, &self.token))
    }

    /// Meetings whose room runs here.
    pub fn held(&self) -> usize {
        self.held.len()
    }
}

/// A loaded meeting's state, rebuilt from its events.
fn replay(loaded: Loaded) -> MeetingState {
    let mut state = crate::room::replay(loaded.config, &loaded.events, &loaded.secret_counts);
    state.alive_at = loaded.alive_at;
    state
}

/// Checks `--node-url`: an http URL with a host and a port.
pub fn check_node_url(url: &str) -> anyhow::Result<()> {
    let ok = url
        .strip_prefix("http://")
        .and_then(|rest| rest.split('/').next())
        .is_some_and(|hostport| {
            hostport
                .rsplit_once(':')
                .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0))
        });
    if !ok {
        anyhow::bail!(
            "--node-url {url}: write it as http://HOST:PORT, the address and port the other nodes reach this one at (usually a private address), e.g. http://10.0.0.11:8080"
        );
    }
    Ok(())
}

impl App {
    /// Starts the room of a meeting whose lease this node holds (`epoch`).
    pub fn start_room(&self, loaded: Loaded, epoch: u64) -> RoomHandle {
        let id = loaded.id;
        self.start_replayed(id, replay(loaded), epoch)
    }

    /// Starts the room of meeting `id`, rebuilt as `state`, under `epoch`.
    fn start_replayed(&self, id: MeetingId, state: MeetingState, epoch: u64) -> RoomHandle {
        let cluster = self.cluster.clone().expect("a cluster");
        let pin = state.config.pin.clone();
        let info = self.meeting_info(&pin, &state.config.title);
        let handle = crate::room::spawn(
            self.ctx.clone(),
            &self.tracker,
            id,
            state,
            info,
            Some(crate::store::Fence { meeting: id, epoch }),
        );
        cluster.held.insert(
            id,
            Held {
                pin: pin.clone(),
                epoch,
                stop: handle.stop.clone(),
            },
        );
        self.rooms.insert(pin.clone(), handle.clone());
        // When the room stops, it leaves the registry (a new room of the
        // same meeting, should this node take it back, stays).
        let (rooms, stop) = (self.rooms.clone(), handle.stop.clone());
        tokio::spawn(async move {
            stop.cancelled().await;
            rooms.remove_if(&pin, |_, h| h.stop.is_cancelled());
            cluster.held.remove_if(&id, |_, h| h.epoch == epoch);
        });
        handle
    }

    /// Takes the lease of `meeting` if nobody holds it, loads (replays) the
    /// meeting and starts its room; `false` when another node has it.
    pub async fn take_over(&self, meeting: MeetingId) -> Result<bool, StoreError> {
        let cluster = self.cluster.clone().expect("a cluster");
        let _one_at_a_time = cluster.opening.lock().await;
        if cluster.held.contains_key(&meeting) {
            return Ok(true);
        }
        let Some(epoch) = cluster
            .db
            .take_lease(meeting, &cluster.node, cluster.lease_ms())
            .await?
        else {
            return Ok(false);
        };
        let Some(loaded) = cluster.db.load(meeting).await? else {
            return Ok(false);
        };
        tracing::info!(pin = %loaded.config.pin, epoch, events = loaded.events.len(), "taking the meeting over");
        // Replaying a large meeting takes a while: off the async workers.
        let state = tokio::task::spawn_blocking(move || replay(loaded))
            .await
            .map_err(|e| StoreError::Open(format!("replaying the meeting failed: {e}")))?;
        self.start_replayed(meeting, state, epoch);
        Ok(true)
    }

    /// Where the meeting with `pin` is served: here, on another node, or
    /// nowhere yet (then this node takes it over). `None`: no such meeting
    /// (or an ended one nobody runs).
    pub async fn locate(&self, pin: &str) -> Option<Found> {
        if let Some(h) = self.room(pin) {
            return Some(Found::Local(h));
        }
        let cluster = self.cluster.clone()?;
        if pin.is_empty() || pin.len() > 12 || !pin.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        for _ in 0..3 {
            let located = match cluster.db.locate(pin).await {
                Ok(l) => l?,
                Err(e) => {
                    tracing::warn!("cannot look a meeting up in the database: {e}");
                    return Some(Found::Busy);
                }
            };
            match located.owner {
                // An earlier life of this node (same address, restarted)
                // holds it until its lease runs out: wait for that.
                Some((node, url)) if node != cluster.node => {
                    return Some(match url {
                        Some(url) if url != cluster.url => Found::Remote(url),
                        _ => Found::Busy,
                    });
                }
                None if located.ended => return None,
                // Nobody (or this node, without a room) runs it: take it.
                _ => {
                    if let Err(e) = self.take_over(located.meeting).await {
                        tracing::warn!("cannot take a meeting over: {e}");
                        return Some(Found::Busy);
                    }
                    if let Some(h) = self.room(pin) {
                        return Some(Found::Local(h));
                    }
                }
            }
        }
        Some(Found::Busy)
    }
}

/// Renews this node's leases and heartbeat every third of the lease; stops
/// the rooms whose lease another node took (or that could not be renewed
/// before it ran out). Ends with `stop`.
pub async fn keeper(app: Arc<App>, stop: CancellationToken) {
    let cluster = app.cluster.clone().expect("a cluster");
    let mut every = tokio::time::interval(cluster.lease / 3);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut renewed_at = Instant::now();
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = every.tick() => {}
        }
        let asked = Instant::now();
        let held: Vec<(MeetingId, u64)> =
            cluster.held.iter().map(|h| (*h.key(), h.epoch)).collect();
        match cluster
            .db
            .renew(&cluster.node, held.clone(), cluster.lease_ms())
            .await
        {
            Ok(renewed) => {
                renewed_at = asked;
                for (id, epoch) in held {
                    if renewed.contains(&id) {
                        continue;
                    }
                    if let Some((_, h)) = cluster.held.remove_if(&id, |_, h| h.epoch == epoch) {
                        tracing::warn!(pin = %h.pin, "another node took this meeting over: stopping its room here");
                        h.stop.cancel();
                    }
                }
            }
            Err(e) => {
                tracing::warn!("cannot renew this node's meeting leases: {e}");
                if renewed_at.elapsed() >= cluster.lease {
                    // Another node may own them by now: stop writing.
                    for h in cluster.held.iter() {
                        tracing::warn!(pin = %h.pin, "the lease ran out unrenewed: stopping the room here");
                        h.stop.cancel();
                    }
                    cluster.held.clear();
                }
            }
        }
        if let Err(e) = cluster.db.heartbeat(&cluster.node).await {
            tracing::debug!("heartbeat failed: {e}");
        }
        trust_nodes(&app, &cluster).await;
    }
}

/// The other nodes' addresses are not capped like a phone's: a node relays
/// many phones over its own connections.
async fn trust_nodes(app: &App, cluster: &Cluster) {
    let Ok(nodes) = cluster
        .db
        .live_nodes(&cluster.node, cluster.lease_ms())
        .await
    else {
        return;
    };
    let mut ips: Vec<IpAddr> = Vec::new();
    for (_, url) in nodes {
        let Some(hostport) = url
            .strip_prefix("http://")
            .and_then(|r| r.split('/').next())
        else {
            continue;
        };
        if let Ok(addrs) = tokio::net::lookup_host(hostport).await {
            ips.extend(addrs.map(|a| a.ip()));
        }
    }
    app.guard.trust(ips);
}

/// Every `SWEEP_EVERY`: takes over the open meetings whose lease expired.
pub async fn sweeper(app: Arc<App>, stop: CancellationToken) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = every.tick() => {}
        }
        sweep(&app).await;
    }
}

/// Takes over open meetings nobody owns; how many. Each node takes its
/// share (the orphans divided by the live nodes, in an order of its own),
/// so the meetings of a node that died spread over the others; what is
/// left goes at the next sweep.
pub async fn sweep(app: &App) -> usize {
    let cluster = app.cluster.clone().expect("a cluster");
    let mut orphans = match cluster.db.orphans().await {
        Ok(o) => o,
        Err(e) => {
            tracing::debug!("cannot look for meetings without an owner: {e}");
            return 0;
        }
    };
    if orphans.is_empty() {
        return 0;
    }
    let nodes = cluster
        .db
        .live_nodes(&cluster.node, cluster.lease_ms())
        .await
        .map_or(1, |others| others.len() + 1);
    let share = orphans.len().div_ceil(nodes);
    // A start order of this node's own: the nodes do not all race for the
    // same meetings first.
    let turn = (uuid::Uuid::new_v4().as_u128() % orphans.len() as u128) as usize;
    orphans.rotate_left(turn);
    let mut n = 0;
    for meeting in orphans {
        if n >= share {
            break;
        }
        match app.take_over(meeting).await {
            Ok(true) => n += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!("cannot take meeting {meeting} over: {e}"),
        }
    }
    n
}

/// A websocket to the node that owns a meeting, for one client.
pub type OwnerSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a websocket to the node at `url` for the client at `client`,
/// authenticated with the node token.
pub async fn connect_owner(
    cluster: &Cluster,
    url: &str,
    client: IpAddr,
) -> Result<OwnerSocket, String> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let ws_url = format!("ws://{}/ws", url.trim_start_matches("http://"));
    let connected = async {
        let mut req = ws_url.as_str().into_client_request()?;
        let h = req.headers_mut();
        h.insert(NODE_HEADER, cluster.token().parse().expect("hex"));
        h.insert(
            CLIENT_HEADER,
            client.to_string().parse().expect("an address"),
        );
        // Sized like a phone's socket (tungstenite's defaults of 128 KiB
        // buffers made each relayed phone cost ~100 KiB more), and without
        // Nagle's delay: a relayed ack must not wait for the next frame.
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .read_buffer_size(crate::ws::READ_BUFFER_BYTES)
            .write_buffer_size(0)
            .max_write_buffer_size(crate::ws::MAX_WRITE_BUFFER_BYTES);
        let (ws, _) = tokio_tungstenite::connect_async_with_config(req, Some(config), true).await?;
        Ok::<_, tokio_tungstenite::tungstenite::Error>(ws)
    };
    match tokio::time::timeout(RELAY_CONNECT_TIMEOUT, connected).await {
        Ok(Ok(ws)) => Ok(ws),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".into()),
    }
}

/// Relays one client connection to the node that owns its meeting, over
/// `ws` (`connect_owner`): `hello` (the client's first frame, as sent) and
/// every later frame go to the owner; every frame of the owner comes back.
/// Returns the sender of the client's frames. When the owner goes (it
/// died, or lost the meeting), the client is closed with `MOVED_CLOSE`,
/// and reconnects like after any drop.
pub fn relay(ws: Box<OwnerSocket>, hello: String, conn: ConnHandle) -> mpsc::Sender<String> {
    use tokio_tungstenite::tungstenite::Message;
    let (tx, mut rx) = mpsc::channel::<String>(64);
    let moved = move |conn: &ConnHandle| conn.out.close(MOVED_CLOSE, MOVED_REASON.into());
    tokio::spawn(async move {
        let (mut sink, mut stream) = ws.split();
        if sink.send(Message::Text(hello.into())).await.is_err() {
            moved(&conn);
            return;
        }
        loop {
            tokio::select! {
                m = rx.recv() => match m {
                    Some(t) => {
                        if sink.send(Message::Text(t.into())).await.is_err() {
                            moved(&conn);
                            break;
                        }
                    }
                    // The client left.
                    None => {
                        let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
                        break;
                    }
                },
                m = stream.next() => match m {
                    Some(Ok(Message::Text(t))) => {
                        let text = t.as_str();
                        if text.starts_with("{\"type\":\"welcome\"") {
                            conn.joined.store(true, Ordering::Release);
                            if text.contains("\"role\":\"host\"") {
                                conn.host.store(true, Ordering::Release);
                            }
                        }
                        let frame = axum::extract::ws::Message::Text(text.to_string().into());
                        match conn.out.send(frame, QUEUE) {
                            Sent::Queued => {}
                            // The client is not reading: it is dropped, as
                            // it would be by a room of this node.
                            Sent::Full => {
                                conn.kill.cancel();
                                break;
                            }
                            Sent::Closed => break,
                        }
                    }
                    Some(Ok(Message::Close(frame))) => {
                        // The owner's own close (replaced, removed, deleted,
                        // moved...) goes to the client as it is.
                        let (code, reason) = frame
                            .map(|f| (u16::from(f.code), f.reason.to_string()))
                            .filter(|(c, _)| *c != 1005 && *c != 1006)
                            .unwrap_or((MOVED_CLOSE, MOVED_REASON.to_string()));
                        conn.out.close(code, reason);
                        break;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => {
                        moved(&conn);
                        break;
                    }
                },
            }
        }
    });
    tx
}

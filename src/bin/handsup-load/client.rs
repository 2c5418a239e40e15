//! The load generator's clients: members (the scripted phones), the host
//! and the projector. Members look at frames cheaply (a prefix test, a full
//! parse only for the few `state` frames), because on a 2-core machine the
//! generator is a large part of what is measured.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_util::sync::CancellationToken;

pub type Ws = WebSocketStream<TcpStream>;

/// Longest wait for a meeting to be created or a host console or projector
/// to be welcomed: the run ends with a reason instead of hanging. At most
/// 30 s, less with a shorter `--timeout` (`set_control_wait`).
static CONTROL_WAIT: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();

pub fn set_control_wait(limit: Duration) {
    let _ = CONTROL_WAIT.set(limit.min(Duration::from_secs(30)));
}

fn control_wait() -> Duration {
    *CONTROL_WAIT.get_or_init(|| Duration::from_secs(30))
}

/// Opens a websocket. On loopback, client sockets are spread over
/// 127.0.0.2–17 so 10,000+ connections never run out of source ports.
pub async fn connect(addr: SocketAddr, spread: usize) -> anyhow::Result<Ws> {
    let sock = TcpSocket::new_v4()?;
    if addr.ip().is_loopback() {
        let src = Ipv4Addr::new(127, 0, 0, 2 + (spread % 16) as u8);
        sock.bind(SocketAddr::new(IpAddr::V4(src), 0))?;
    }
    let tcp = sock
        .connect(addr)
        .await
        .with_context(|| format!("connect to {addr}"))?;
    tcp.set_nodelay(true)?;
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_message_size(Some(64 << 20));
    let (ws, _) =
        tokio_tungstenite::client_async_with_config(format!("ws://{addr}/ws"), tcp, Some(config))
            .await
            .context("websocket handshake")?;
    Ok(ws)
}

/// Connects to `addrs[spread % len]`, or when that fails to the next one,
/// and so on, waiting between attempts as `web/net.js` does (0.5 s doubling
/// to 10 s, jittered). Gives up when `stop` is cancelled or after a round
/// of attempts on every node has failed twice.
pub async fn connect_any(
    addrs: &[SocketAddr],
    spread: usize,
    stop: &CancellationToken,
) -> anyhow::Result<Ws> {
    let mut at = spread % addrs.len();
    let mut seed =
        0x9E37_79B9_7F4A_7C15u64 ^ (spread as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D);
    let mut attempt = 0u32;
    loop {
        match connect(addrs[at], spread).await {
            Ok(ws) => return Ok(ws),
            Err(e) if attempt as usize + 1 >= 2 * addrs.len() => return Err(e),
            Err(_) => {}
        }
        at = (at + 1) % addrs.len();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let base = 10_000u64.min(500 << attempt.min(16));
        let wait = Duration::from_millis(base / 2 + seed % (base / 2 + 1));
        attempt += 1;
        tokio::select! {
            _ = stop.cancelled() => return Err(anyhow!("stopped while connecting")),
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// What a member reports to the coordinator.
#[derive(Debug)]
pub enum Report {
    Joined { hello: Instant, at: Instant },
    Question { at: Instant },
    AnswerAck { sent: Instant, at: Instant },
    Motion { at: Instant },
    VoteAck { sent: Instant, at: Instant },
    Failed { why: String },
}

/// Frames the first member keeps, so the baseline can send the same bytes.
#[derive(Default)]
pub struct Captured {
    pub question: Option<String>,
    pub motion: Option<String>,
}

pub struct MemberPlan {
    pub index: usize,
    /// The server's nodes: the member connects to `addrs[index % len]`,
    /// and when that fails tries the next, after the pages' backoff.
    pub addrs: Vec<SocketAddr>,
    pub pin: String,
    pub reports: mpsc::UnboundedSender<(usize, Report)>,
    pub capture: Option<Arc<Mutex<Captured>>>,
    pub stop: CancellationToken,
    /// Limits connections being opened at once.
    pub connecting: Arc<tokio::sync::Semaphore>,
}

/// One phone: joins, answers the first question when it opens, votes on
/// the first motion opened, and stays connected until told to stop.
pub async fn member(plan: MemberPlan) {
    let (i, reports) = (plan.index, plan.reports.clone());
    if let Err(e) = member_script(plan).await {
        let _ = reports.send((
            i,
            Report::Failed {
                why: format!("{e:#}"),
            },
        ));
    }
}

async fn member_script(p: MemberPlan) -> anyhow::Result<()> {
    let i = p.index;
    // Held until welcome: at most that many connections are being opened.
    let mut permit = Some(p.connecting.clone().acquire_owned().await?);
    let mut ws = connect_any(&p.addrs, i, &p.stop).await?;
    let token = uuid::Uuid::new_v4().simple().to_string();
    let hello = json!({"type": "hello", "cid": format!("h{i}"), "protocol": 1, "role": "member",
        "pin": p.pin, "name": format!("Load {i}"), "token": token});
    let hello_at = Instant::now();
    ws.send(Message::text(hello.to_string())).await?;
    let report = |r: Report| {
        let _ = p.reports.send((i, r));
    };
    let mut answer_sent = None;
    let mut vote_sent = None;
    let mut joined = false;
    let mut answered = false;
    loop {
        let msg = tokio::select! {
            _ = p.stop.cancelled() => break,
            m = ws.next() => m,
        };
        let text = match msg {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(_))) | None => {
                return Err(anyhow!("the server closed the connection"));
            }
            Some(Err(e)) => return Err(e.into()),
            Some(Ok(_)) => continue,
        };
        let t = text.as_str();
        if !joined && t.starts_with("{\"type\":\"welcome\"") {
            joined = true;
            permit.take();
            report(Report::Joined {
                hello: hello_at,
                at: Instant::now(),
            });
        } else if t.starts_with("{\"type\":\"ack\"") {
            let at = Instant::now();
            if t.contains("\"cid\":\"a") {
                if let Some(sent) = answer_sent.take() {
                    report(Report::AnswerAck { sent, at });
                }
            } else if t.contains("\"cid\":\"v")
                && let Some(sent) = vote_sent.take()
            {
                report(Report::VoteAck { sent, at });
            }
        } else if t.starts_with("{\"type\":\"error\"") {
            report(Report::Failed { why: t.to_string() });
        } else if t.starts_with("{\"type\":\"state\"")
            // Only a frame that can start the answer or the vote is parsed: a
            // phone parses on its own processor, the generator on the
            // server's, so reveals and leaderboards are skipped unread.
            && ((!answered && t.contains("\"phase\":\"question\""))
                || (vote_sent.is_none() && t.contains("\"status\":\"open\"")))
        {
            let at = Instant::now();
            let v: Value = serde_json::from_str(t)?;
            if v["phase"] == "question" && !answered && v["question"]["index"] == 0 {
                answered = true;
                report(Report::Question { at });
                capture(&p.capture, |c| {
                    c.question.get_or_insert_with(|| t.to_string())
                });
                // Answers open after the question's reading time.
                let opens = v["question"]["opens_in_ms"].as_u64().unwrap_or(0);
                if opens > 0 {
                    tokio::time::sleep(Duration::from_millis(opens)).await;
                }
                let cmd =
                    json!({"type": "answer", "cid": format!("a{i}"), "question": 0, "choice": [0]});
                answer_sent = Some(Instant::now());
                ws.send(Message::text(cmd.to_string())).await?;
            } else if v["motion"]["status"] == "open" && vote_sent.is_none() {
                report(Report::Motion { at });
                capture(&p.capture, |c| {
                    c.motion.get_or_insert_with(|| t.to_string())
                });
                let motion = v["motion"]["id"].as_u64().unwrap_or(1);
                let cmd = json!({"type": "vote", "cid": format!("v{i}"), "motion": motion, "option": i % 3});
                vote_sent = Some(Instant::now());
                ws.send(Message::text(cmd.to_string())).await?;
            }
        }
    }
    let _ = ws.close(None).await;
    Ok(())
}

fn capture(c: &Option<Arc<Mutex<Captured>>>, f: impl FnOnce(&mut Captured) -> &mut String) {
    if let Some(c) = c {
        f(&mut c.lock().expect("capture lock"));
    }
}

/// A control connection (host or projector) that keeps reading in the
/// background, so it is never the slow client, and matches acks to commands.
pub struct Control {
    tx: mpsc::UnboundedSender<(Value, oneshot::Sender<Value>)>,
    /// Every `state` and `live` frame received, with its arrival time.
    pub seen: Arc<Mutex<Vec<(Instant, Value)>>>,
    arrived: Arc<tokio::sync::Notify>,
    stop: CancellationToken,
}

impl Control {
    /// Connects and says hello; `hello` holds role, pin and secret.
    pub async fn open(addr: SocketAddr, hello: Value, spread: usize) -> anyhow::Result<Control> {
        tokio::time::timeout(control_wait(), Self::open_now(addr, hello, spread))
            .await
            .map_err(|_| {
                anyhow!(
                    "{addr}: no welcome within {} s for a host console or projector",
                    control_wait().as_secs()
                )
            })?
    }

    async fn open_now(
        addr: SocketAddr,
        mut hello: Value,
        spread: usize,
    ) -> anyhow::Result<Control> {
        let mut ws = connect(addr, spread).await?;
        hello["type"] = json!("hello");
        hello["cid"] = json!("hello");
        hello["protocol"] = json!(1);
        ws.send(Message::text(hello.to_string())).await?;
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) if t.starts_with("{\"type\":\"welcome\"") => break,
                Some(Ok(Message::Text(t))) if t.starts_with("{\"type\":\"error\"") => {
                    return Err(anyhow!("refused: {t}"));
                }
                Some(Ok(_)) => {}
                _ => return Err(anyhow!("closed before welcome")),
            }
        }
        let (tx, mut rx) = mpsc::unbounded_channel::<(Value, oneshot::Sender<Value>)>();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let arrived = Arc::new(tokio::sync::Notify::new());
        let stop = CancellationToken::new();
        let (seen2, stop2, arrived2) = (seen.clone(), stop.clone(), arrived.clone());
        tokio::spawn(async move {
            let mut waiting: HashMap<String, oneshot::Sender<Value>> = HashMap::new();
            let prefix = uuid::Uuid::new_v4().simple().to_string();
            let mut n = 0u64;
            loop {
                tokio::select! {
                    _ = stop2.cancelled() => break,
                    cmd = rx.recv() => {
                        let Some((mut v, reply)) = cmd else { break };
                        n += 1;
                        // Unique for the host's lifetime in the meeting,
                        // across connections (a reused cid is a resend).
                        let cid = format!("ctl-{prefix}-{n}");
                        v["cid"] = json!(cid);
                        waiting.insert(cid, reply);
                        if let Err(e) = ws.send(Message::text(v.to_string())).await {
                            eprintln!("handsup-load: control connection failed: {e}");
                            break;
                        }
                    }
                    m = ws.next() => {
                        let m = match m {
                            Some(Ok(m)) => m,
                            Some(Err(e)) => {
                                eprintln!("handsup-load: control connection failed: {e}");
                                break;
                            }
                            None => {
                                eprintln!("handsup-load: the server closed a control connection");
                                break;
                            }
                        };
                        let Message::Text(t) = m else { continue };
                        let at = Instant::now();
                        if t.starts_with("{\"type\":\"ack\"") || t.starts_with("{\"type\":\"error\"") {
                            let v: Value = serde_json::from_str(&t).unwrap_or_default();
                            if let Some(r) = v["cid"].as_str().and_then(|c| waiting.remove(c)) {
                                let _ = r.send(v);
                            }
                        } else if t.starts_with("{\"type\":\"state\"") || t.starts_with("{\"type\":\"live\"") {
                            let v: Value = serde_json::from_str(&t).unwrap_or_default();
                            seen2.lock().expect("seen lock").push((at, v));
                            arrived2.notify_waiters();
                        }
                    }
                }
            }
            let _ = ws.close(None).await;
        });
        Ok(Control {
            tx,
            seen,
            arrived,
            stop,
        })
    }

    /// Sends a command; returns its ack, or the error as `Err`.
    pub async fn command(&self, v: Value) -> anyhow::Result<Value> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send((v, tx))
            .map_err(|_| anyhow!("control connection closed"))?;
        let reply = tokio::time::timeout(Duration::from_secs(60), rx)
            .await
            .context("no reply within 60 s")?
            .context("control connection closed")?;
        if reply["type"] == "error" {
            return Err(anyhow!("refused: {reply}"));
        }
        Ok(reply)
    }

    /// Sends a command without waiting for its reply.
    pub fn send(&self, v: Value) {
        let (tx, _rx) = oneshot::channel();
        let _ = self.tx.send((v, tx));
    }

    /// The first frame satisfying `pred`, waiting up to `limit` for it.
    pub async fn first(
        &self,
        limit: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Option<(Instant, Value)> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            // Register for the next arrival before looking, so none is missed.
            let arrival = self.arrived.notified();
            tokio::pin!(arrival);
            arrival.as_mut().enable();
            if let Some(hit) = self
                .seen
                .lock()
                .expect("seen lock")
                .iter()
                .find(|(_, v)| pred(v))
                .cloned()
            {
                return Some(hit);
            }
            if tokio::time::timeout_at(deadline, arrival).await.is_err() {
                return None;
            }
        }
    }

    pub fn close(&self) {
        self.stop.cancel();
    }
}

/// Creates `m` meetings through `http` (the server's base address) and
/// opens a host console and a projector on each.
pub async fn meetings(
    http: &str,
    addr: SocketAddr,
    secret: &str,
    m: usize,
    bank: &str,
) -> anyhow::Result<(Vec<String>, Vec<Control>, Vec<Control>)> {
    // Something else on the port (or a server that hangs) must not hang the run.
    let client = reqwest::Client::builder()
        .connect_timeout(control_wait())
        .timeout(control_wait())
        .build()?;
    let mut pins = Vec::new();
    for k in 0..m {
        let resp = client
            .post(format!("{http}/api/meetings"))
            .bearer_auth(secret)
            .json(&json!({"title": format!("Load test {k}"), "bank": bank}))
            .send()
            .await
            .map_err(|e| {
                let why = if e.is_timeout() {
                    format!("no answer within {} s", control_wait().as_secs())
                } else if e.is_connect() {
                    "cannot connect".to_string()
                } else {
                    e.to_string()
                };
                anyhow!(
                    "POST {http}/api/meetings: {why}; is a Handsup server running there (--url)?"
                )
            })?;
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or_default();
        if status == reqwest::StatusCode::NOT_FOUND
            || status == reqwest::StatusCode::METHOD_NOT_ALLOWED
        {
            return Err(anyhow!(
                "POST {http}/api/meetings: {status}; is it a Handsup server (--url)?"
            ));
        }
        if !status.is_success() {
            return Err(anyhow!(
                "cannot create a meeting ({status}): {}",
                body["message"]
            ));
        }
        pins.push(body["pin"].as_str().unwrap_or_default().to_string());
    }
    let (hosts, screens) = controls(addr, secret, &pins).await?;
    Ok((pins, hosts, screens))
}

/// A host console and a projector on each meeting.
pub async fn controls(
    addr: SocketAddr,
    secret: &str,
    pins: &[String],
) -> anyhow::Result<(Vec<Control>, Vec<Control>)> {
    let mut hosts = Vec::new();
    let mut screens = Vec::new();
    for (k, pin) in pins.iter().enumerate() {
        hosts.push(
            Control::open(
                addr,
                json!({"role": "host", "pin": pin, "secret": secret}),
                k,
            )
            .await?,
        );
        screens.push(Control::open(addr, json!({"role": "screen", "pin": pin}), k + 1).await?);
    }
    Ok((hosts, screens))
}

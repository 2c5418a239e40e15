//! Storm scenarios: the server killed and restarted with every phone
//! connected (`restart`), and a Wi-Fi blip that drops 30% of the phones for
//! five seconds in the middle of a vote (`blip`).
//!
//! Here the generator runs the server itself (`--server-bin`), on a fresh
//! data directory on 127.0.0.1, so it can SIGKILL it and start it again on
//! the same port. Phones behave as `web/net.js` does: on any drop they
//! reconnect with exponential backoff and jitter (0.5 s doubling to 10 s,
//! each wait drawn between half and all of it), resume their member with
//! their token, and resend every command not yet acknowledged with its
//! original cid.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::client::connect;
use crate::procfs;
use crate::stats::{Samples, r1};

/// The reconnect backoff of `web/net.js`.
const BACKOFF_MIN_MS: u64 = 500;
const BACKOFF_MAX_MS: u64 = 10_000;
/// How long a blip keeps phones off the network.
const BLIP: Duration = Duration::from_secs(5);
/// Share of phones a blip drops, in tenths.
const BLIP_TENTHS: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Storm {
    Restart,
    Blip,
}

pub struct Plan {
    pub storm: Storm,
    pub members: usize,
    pub meetings: usize,
    pub bank: String,
    pub server_bin: PathBuf,
    pub timeout: Duration,
    pub connect_parallel: usize,
    pub json: bool,
}

/// A fresh directory for the server's data, removed at the end.
pub(crate) struct WorkDir(pub(crate) PathBuf);

impl WorkDir {
    pub(crate) fn new() -> anyhow::Result<WorkDir> {
        let dir =
            std::env::temp_dir().join(format!("handsup-load-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(WorkDir(dir))
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A server the generator started and may kill.
pub(crate) struct Server {
    child: std::process::Child,
    pub(crate) addr: SocketAddr,
}

impl Server {
    /// Starts `bin serve` on `port` (0: any) and waits, at most `wait`, for
    /// "Listening on".
    pub(crate) fn start(
        bin: &Path,
        data: &Path,
        port: u16,
        secret: &str,
        wait: Duration,
    ) -> anyhow::Result<Server> {
        Self::start_with(bin, data, port, secret, wait, &[])
    }

    /// `start` with more command-line arguments (e.g. `--banks DIR`).
    pub(crate) fn start_with(
        bin: &Path,
        data: &Path,
        port: u16,
        secret: &str,
        wait: Duration,
        extra: &[&std::ffi::OsStr],
    ) -> anyhow::Result<Server> {
        use std::io::BufRead;
        let log_path = data.with_extension("log");
        let log = std::fs::File::create(&log_path)?;
        let mut command = std::process::Command::new(bin);
        command
            .args(["serve", "--bind", "127.0.0.1", "--port", &port.to_string()])
            .arg("--data")
            .arg(data)
            .args(extra)
            .env("HANDSUP_HOST_SECRET", secret)
            .stdout(std::process::Stdio::piped())
            .stderr(log);
        crate::die_with_parent(&mut command);
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let out = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                if !sent && let Some(a) = line.trim().strip_prefix("Listening on") {
                    sent = tx.send(a.trim().to_string()).is_ok();
                }
            }
        });
        let listening = rx.recv_timeout(wait);
        let addr = listening
            .as_deref()
            .ok()
            .and_then(|a| a.parse::<SocketAddr>().ok());
        if let Some(addr) = addr {
            return Ok(Server { child, addr });
        }
        let _ = child.kill();
        let status = child.wait().ok();
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(5).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        let said = if tail.is_empty() {
            String::new()
        } else {
            format!(":\n  {}", tail.join("\n  "))
        };
        Err(match listening {
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => anyhow!(
                "{} did not start listening within {} s (stopped it){said}",
                bin.display(),
                wait.as_secs()
            ),
            Ok(a) => anyhow!("{} printed an address that is not one: {a}", bin.display()),
            Err(_) => anyhow!(
                "{} exited before listening ({}){said}",
                bin.display(),
                status.map_or("status unknown".to_string(), |s| s.to_string())
            ),
        })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no chance to save anything.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What a phone tells the coordinator.
#[derive(Debug)]
pub(crate) enum Ev {
    Joined,
    /// A welcomed connection was lost (the phone starts reconnecting).
    Dropped {
        at: Instant,
    },
    /// Welcomed again after a drop.
    Back {
        at: Instant,
    },
    AnswerAck,
    VoteAck {
        motion: u64,
        sent: Instant,
        at: Instant,
    },
    Failed(String),
}

pub(crate) struct Phone {
    pub(crate) index: usize,
    pub(crate) pin: String,
    /// The server's nodes: the phone starts at `addrs[index % len]` and,
    /// when a connection fails or is lost, tries the next one (as a phone
    /// behind a proxy reaches another node).
    pub(crate) addrs: Vec<SocketAddr>,
    pub(crate) events: mpsc::UnboundedSender<(usize, Ev)>,
    pub(crate) stop: CancellationToken,
    /// Counts drops; at drop `k` the phones `drops(index, k)` picks go off
    /// the network for the drop's length.
    pub(crate) blip: watch::Receiver<u32>,
    pub(crate) drops: fn(usize, u32) -> bool,
    pub(crate) connecting: Arc<tokio::sync::Semaphore>,
}

/// A small xorshift generator for the backoff's jitter.
struct Jitter(u64);

impl Jitter {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// The wait before reconnect attempt `attempt`, as `web/net.js` draws it.
    fn backoff(&mut self, attempt: u32) -> Duration {
        let base = BACKOFF_MAX_MS.min(BACKOFF_MIN_MS << attempt.min(16));
        Duration::from_millis(base / 2 + self.next() % (base / 2 + 1))
    }
}

/// Why a connection ended.
enum Ended {
    Lost,
    Blip,
    Stop,
}

/// What a phone remembers across connections.
#[derive(Default)]
struct Memory {
    welcomed: bool,
    /// Welcomed on the current connection.
    online: bool,
    /// Commands not yet acknowledged (cid, frame), resent after a welcome.
    pending: Vec<(String, String)>,
    /// Questions answered and motions voted on (or being sent).
    answered: std::collections::HashSet<u64>,
    voted: HashMap<u64, Instant>,
}

impl Phone {
    pub(crate) async fn run(mut self) {
        let i = self.index;
        let token = uuid::Uuid::new_v4().simple().to_string();
        let mut jitter =
            Jitter(0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D));
        let mut attempt = 0u32;
        let mut mem = Memory::default();
        self.blip.borrow_and_update();
        let mut at = i % self.addrs.len().max(1);
        loop {
            if self.stop.is_cancelled() {
                return;
            }
            let permit = self.connecting.clone().acquire_owned().await;
            let ws = match connect(self.addrs[at], i).await {
                Ok(ws) => ws,
                Err(_) => {
                    drop(permit);
                    at = (at + 1) % self.addrs.len();
                    tokio::time::sleep(jitter.backoff(attempt)).await;
                    attempt += 1;
                    continue;
                }
            };
            let hello = json!({"type": "hello", "cid": format!("h{i}-{}", uuid::Uuid::new_v4().simple()),
                "protocol": 1, "role": "member", "pin": self.pin,
                "name": format!("Storm {i}"), "token": token});
            match self.connection(ws, hello, permit.ok(), &mut mem).await {
                Ended::Stop => return,
                Ended::Blip => {
                    // Off the network for the drop, then straight back.
                    tokio::time::sleep(BLIP).await;
                    attempt = 0;
                }
                Ended::Lost => {
                    if mem.online {
                        // Welcomed since the last drop: the backoff starts
                        // over, as the pages' does.
                        mem.online = false;
                        attempt = 0;
                        let _ = self.events.send((i, Ev::Dropped { at: Instant::now() }));
                    }
                    at = (at + 1) % self.addrs.len();
                    tokio::time::sleep(jitter.backoff(attempt)).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn connection(
        &mut self,
        mut ws: crate::client::Ws,
        hello: Value,
        mut permit: Option<tokio::sync::OwnedSemaphorePermit>,
        mem: &mut Memory,
    ) -> Ended {
        let i = self.index;
        let report = |e: Ev| {
            let _ = self.events.send((i, e));
        };
        if ws.send(Message::text(hello.to_string())).await.is_err() {
            return Ended::Lost;
        }
        // An answer waits for the question's reading time, as a phone does.
        let mut answer_due: Option<(tokio::time::Instant, u64)> = None;
        loop {
            let due = answer_due.map(|(at, _)| at);
            let msg = tokio::select! {
                _ = tokio::time::sleep_until(due.unwrap_or_else(tokio::time::Instant::now)), if due.is_some() => {
                    let (_, q) = answer_due.take().expect("due");
                    let cid = format!("a{i}-{q}");
                    let f = json!({"type": "answer", "cid": cid, "question": q, "choice": [0]});
                    mem.pending.push((cid, f.to_string()));
                    if ws.send(Message::text(f.to_string())).await.is_err() {
                        return Ended::Lost;
                    }
                    continue;
                }
                _ = self.stop.cancelled() => {
                    let _ = ws.close(None).await;
                    return Ended::Stop;
                }
                changed = self.blip.changed() => {
                    if changed.is_ok() && (self.drops)(i, *self.blip.borrow_and_update()) {
                        // The phone's Wi-Fi drops: the socket dies with it.
                        return Ended::Blip;
                    }
                    continue;
                }
                m = ws.next() => m,
            };
            let text = match msg {
                Some(Ok(Message::Text(t))) => t,
                Some(Ok(_)) => continue,
                _ => return Ended::Lost,
            };
            let t = text.as_str();
            let mut out: Vec<String> = Vec::new();
            if t.starts_with("{\"type\":\"welcome\"") {
                permit.take();
                mem.online = true;
                if mem.welcomed {
                    report(Ev::Back { at: Instant::now() });
                } else {
                    mem.welcomed = true;
                    report(Ev::Joined);
                }
                out.extend(mem.pending.iter().map(|(_, f)| f.clone()));
            } else if t.starts_with("{\"type\":\"ack\"") {
                let v: Value = serde_json::from_str(t).unwrap_or_default();
                let cid = v["cid"].as_str().unwrap_or_default();
                if let Some(k) = mem.pending.iter().position(|(c, _)| c == cid) {
                    mem.pending.remove(k);
                    if cid.starts_with('a') {
                        report(Ev::AnswerAck);
                    } else if let Some(motion) = cid.rsplit('-').next().and_then(|m| m.parse().ok())
                        && let Some(sent) = mem.voted.get(&motion)
                    {
                        report(Ev::VoteAck {
                            motion,
                            sent: *sent,
                            at: Instant::now(),
                        });
                    }
                }
            } else if t.starts_with("{\"type\":\"error\"") {
                let v: Value = serde_json::from_str(t).unwrap_or_default();
                match v["code"].as_str() {
                    // Dropped, not refused: the next welcome resends it.
                    Some(
                        "server_busy"
                        | "rate_limited"
                        | "storage_unavailable"
                        | "database_unavailable",
                    ) => {
                        return Ended::Lost;
                    }
                    // Too late for a question that closed meanwhile.
                    Some("too_late" | "not_open" | "motion_closed" | "motion_not_open") => {
                        let cid = v["cid"].as_str().unwrap_or_default();
                        mem.pending.retain(|(c, _)| c != cid);
                    }
                    _ => report(Ev::Failed(t.to_string())),
                }
            } else if t.starts_with("{\"type\":\"state\"") {
                let v: Value = serde_json::from_str(t).unwrap_or_default();
                if v["phase"] == "question"
                    && let Some(q) = v["question"]["index"].as_u64()
                    && mem.answered.insert(q)
                {
                    let opens = v["question"]["opens_in_ms"].as_u64().unwrap_or(0);
                    answer_due = Some((
                        tokio::time::Instant::now() + Duration::from_millis(opens),
                        q,
                    ));
                }
                if v["motion"]["status"] == "open"
                    && let Some(m) = v["motion"]["id"].as_u64()
                    && !mem.voted.contains_key(&m)
                {
                    mem.voted.insert(m, Instant::now());
                    let cid = format!("v{i}-{m}");
                    let f = json!({"type": "vote", "cid": cid, "motion": m, "option": i % 3});
                    mem.pending.push((cid, f.to_string()));
                    out.push(f.to_string());
                }
            }
            for f in out {
                if ws.send(Message::text(f)).await.is_err() {
                    return Ended::Lost;
                }
            }
        }
    }
}

/// Everything phones reported so far.
#[derive(Default)]
pub(crate) struct Seen {
    pub(crate) joined: usize,
    pub(crate) answers: usize,
    pub(crate) votes: usize,
    /// Acknowledged votes per motion.
    pub(crate) votes_by_motion: HashMap<u64, u64>,
    /// Welcomes after a drop, with when.
    pub(crate) back: Vec<Instant>,
    /// Welcomed connections lost, with when.
    pub(crate) dropped: Vec<Instant>,
    pub(crate) vote_ack: Samples,
    pub(crate) last_vote_ack: Option<Instant>,
    pub(crate) failures: Vec<String>,
}

impl Seen {
    pub(crate) fn take(&mut self, (i, e): (usize, Ev)) {
        match e {
            Ev::Joined => self.joined += 1,
            Ev::Back { at } => self.back.push(at),
            Ev::Dropped { at } => self.dropped.push(at),
            Ev::AnswerAck => self.answers += 1,
            Ev::VoteAck { motion, sent, at } => {
                self.votes += 1;
                *self.votes_by_motion.entry(motion).or_default() += 1;
                self.vote_ack.push(at.duration_since(sent));
                self.last_vote_ack = Some(self.last_vote_ack.map_or(at, |l| l.max(at)));
            }
            Ev::Failed(why) => {
                if self.failures.len() < 20 {
                    self.failures.push(format!("member {i}: {why}"));
                }
            }
        }
    }
}

/// Reads phone events until `done` holds, or fails naming `what` when the
/// step's time is up (never hangs).
pub(crate) async fn wait_for(
    rx: &mut mpsc::UnboundedReceiver<(usize, Ev)>,
    seen: &mut Seen,
    limit: Duration,
    what: &str,
    done: impl Fn(&Seen) -> bool,
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + limit;
    while !done(seen) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(e)) => seen.take(e),
            Ok(None) => return Err(anyhow!("every phone stopped while waiting for {what}")),
            Err(_) => {
                return Err(anyhow!(
                    "{what}: not reached within {} s (joined {}, answers {}, votes {}, back {}){}",
                    limit.as_secs(),
                    seen.joined,
                    seen.answers,
                    seen.votes,
                    seen.back.len(),
                    seen.failures
                        .first()
                        .map(|f| format!("; first failure: {f}"))
                        .unwrap_or_default()
                ));
            }
        }
    }
    Ok(())
}

/// What a storm measured.
#[derive(Default)]
struct Report {
    members: usize,
    meetings: usize,
    /// SIGKILL → the new server listening (restart).
    restart_s: Option<f64>,
    /// The storm's start (listening again, or the blip's end) → 99% and
    /// 100% of the dropped phones welcomed again.
    back_99_s: f64,
    back_100_s: f64,
    dropped: usize,
    server_cpu_s: Option<f64>,
    server_rss_peak_mib: Option<f64>,
    /// Last reconnect (or last ack) → the projector counting every vote.
    tally_after_s: Option<f64>,
    vote_ack: Samples,
    lost: u64,
    duplicated: u64,
    failures: Vec<String>,
}

/// What every scenario checks before it starts anything: sizes that make
/// sense and enough open files for every phone.
pub(crate) fn preflight(n: usize, m: usize) -> anyhow::Result<()> {
    if n == 0 || m == 0 || m > n {
        return Err(anyhow!(
            "need at least one member per meeting (--members >= --meetings >= 1)"
        ));
    }
    // Every phone holds a socket, and so does every host and projector.
    let need = (n + 2 * m + 64) as u64;
    if let Ok((soft, _)) = rlimit::getrlimit(rlimit::Resource::NOFILE)
        && soft < need
    {
        return Err(anyhow!(
            "{n} phones need {need} open files, this process may have {soft}: raise the limit (ulimit -n {need}) and run again"
        ));
    }
    Ok(())
}

/// The scenarios that run the server themselves need its binary.
pub(crate) fn server_bin_exists(bin: &Path) -> anyhow::Result<()> {
    if !bin.is_file() {
        return Err(anyhow!(
            "--server-bin {}: no such file; build it with `cargo build --release` first",
            bin.display()
        ));
    }
    Ok(())
}

/// Runs one storm scenario and prints its report.
pub async fn run(p: Plan) -> anyhow::Result<()> {
    let (n, m) = (p.members, p.meetings);
    preflight(n, m)?;
    server_bin_exists(&p.server_bin)?;
    let work = WorkDir::new()?;
    let data = work.0.join("data");
    let secret = uuid::Uuid::new_v4().simple().to_string();
    let progress = |what: &str| eprintln!("handsup-load [{:?}]: {what}", p.storm);
    let mut server = Server::start(&p.server_bin, &data, 0, &secret, p.timeout)?;
    let addr = server.addr;
    progress(&format!("server at {addr}; {m} meeting(s)"));
    let (pins, hosts, screens) =
        crate::client::meetings(&format!("http://{addr}"), addr, &secret, m, &p.bank).await?;

    let (tx, mut rx) = mpsc::unbounded_channel();
    let stop = CancellationToken::new();
    let (blip_tx, blip_rx) = watch::channel(0u32);
    let connecting = Arc::new(tokio::sync::Semaphore::new(p.connect_parallel));
    let mut seen = Seen::default();
    for i in 0..n {
        tokio::spawn(
            Phone {
                index: i,
                pin: pins[i % m].clone(),
                addrs: vec![addr],
                events: tx.clone(),
                stop: stop.clone(),
                blip: blip_rx.clone(),
                drops: |i, _| i % 10 < BLIP_TENTHS,
                connecting: connecting.clone(),
            }
            .run(),
        );
    }
    drop(tx);
    let limit = p.timeout;
    let result = async {
        wait_for(&mut rx, &mut seen, limit, "every phone joined", |s| {
            s.joined >= n
        })
        .await?;
        progress(&format!("{n} joined; question"));
        for h in &hosts {
            h.send(json!({"type": "start"}));
        }
        wait_for(
            &mut rx,
            &mut seen,
            limit,
            "every answer acknowledged",
            |s| s.answers >= n,
        )
        .await?;
        progress("every answer acknowledged; vote");
        for h in &hosts {
            h.command(json!({"type": "motion_create", "text": "Thông qua Nghị quyết"}))
                .await?;
        }
        for h in &hosts {
            h.send(json!({"type": "motion_open", "motion": 1}));
        }
        wait_for(
            &mut rx,
            &mut seen,
            limit,
            "half the votes acknowledged",
            |s| s.votes >= n / 2,
        )
        .await?;
        let mut r = Report {
            members: n,
            meetings: m,
            ..Report::default()
        };
        let (storm_at, pid, kept) = match p.storm {
            Storm::Restart => {
                progress(&format!("{} votes acknowledged; SIGKILL", seen.votes));
                for c in hosts.iter().chain(screens.iter()) {
                    c.close();
                }
                server.kill();
                let killed = Instant::now();
                server = Server::start(&p.server_bin, &data, addr.port(), &secret, p.timeout)?;
                let listening = Instant::now();
                r.restart_s = Some(listening.duration_since(killed).as_secs_f64());
                r.dropped = n;
                progress("listening again; phones coming back");
                (listening, server.pid(), None)
            }
            Storm::Blip => {
                progress(&format!(
                    "{} votes acknowledged; {}% of the phones drop for {} s",
                    seen.votes,
                    BLIP_TENTHS * 10,
                    BLIP.as_secs()
                ));
                let _ = blip_tx.send(1);
                r.dropped = (0..n).filter(|i| i % 10 < BLIP_TENTHS).count();
                (Instant::now() + BLIP, server.pid(), Some((hosts, screens)))
            }
        };
        // Server CPU and peak memory while the phones come back.
        let cpu0 = procfs::cpu_seconds(pid);
        let mut peak = procfs::rss_kib(pid).unwrap_or(0);
        let deadline = tokio::time::Instant::now() + limit;
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        while seen.back.len() < r.dropped {
            tokio::select! {
                e = rx.recv() => match e {
                    Some(e) => seen.take(e),
                    None => return Err(anyhow!("every phone stopped")),
                },
                _ = tick.tick() => {
                    peak = peak.max(procfs::rss_kib(pid).unwrap_or(0));
                }
                _ = tokio::time::sleep_until(deadline) => {
                    return Err(anyhow!(
                        "only {} of {} phones came back within {} s",
                        seen.back.len(), r.dropped, limit.as_secs()
                    ));
                }
            }
        }
        let mut back: Vec<f64> = seen
            .back
            .iter()
            .map(|b| b.saturating_duration_since(storm_at).as_secs_f64())
            .collect();
        back.sort_by(f64::total_cmp);
        r.back_99_s = back[((back.len() as f64 * 0.99).ceil() as usize).clamp(1, back.len()) - 1];
        r.back_100_s = *back.last().unwrap_or(&0.0);
        r.server_cpu_s = cpu0.zip(procfs::cpu_seconds(pid)).map(|(a, b)| b - a);
        r.server_rss_peak_mib = Some(peak as f64 / 1024.0);
        progress("every phone is back; waiting for every vote");
        wait_for(&mut rx, &mut seen, limit, "every vote acknowledged", |s| {
            s.votes >= n
        })
        .await?;
        // The last phone back, or the last vote it then resent.
        let last = seen
            .back
            .iter()
            .copied()
            .chain(seen.last_vote_ack)
            .max()
            .unwrap_or_else(Instant::now);
        let (hosts, screens) = match kept {
            Some(c) => c,
            None => crate::client::controls(addr, &secret, &pins).await?,
        };
        // The projector counts every vote, and closing counts each once.
        let mut tally_after: f64 = 0.0;
        for (k, (h, s)) in hosts.iter().zip(screens.iter()).enumerate() {
            let want = (k..n).step_by(m).count() as u64;
            match s
                .first(limit, |v| {
                    v["type"] == "live" && v["vote"]["voted"].as_u64() == Some(want)
                })
                .await
            {
                Some((at, _)) => {
                    tally_after = tally_after.max(at.saturating_duration_since(last).as_secs_f64())
                }
                None => r.failures.push(format!(
                    "meeting {k}: the projector never counted {want} votes"
                )),
            }
            // Every answer, once, in the question's reveal.
            let (lost, twice) = crate::storm::recount(h, s, (k, m, n), limit).await?;
            r.lost += lost;
            r.duplicated += twice;
        }
        r.tally_after_s = Some(tally_after);
        for c in hosts.iter().chain(screens.iter()) {
            c.close();
        }
        Ok(r)
    }
    .await;
    stop.cancel();
    drop(server);
    let mut r = result?;
    r.vote_ack = std::mem::take(&mut seen.vote_ack);
    r.failures.append(&mut seen.failures);
    print(&p, &r);
    if r.lost > 0 || r.duplicated > 0 {
        return Err(anyhow!(
            "{} lost and {} counted twice: see the report",
            r.lost,
            r.duplicated
        ));
    }
    Ok(())
}

fn print(p: &Plan, r: &Report) {
    if p.json {
        println!(
            "{}",
            json!({
                "scenario": format!("{:?}", p.storm).to_lowercase(),
                "members": r.members,
                "meetings": r.meetings,
                "dropped": r.dropped,
                "restart_s": r.restart_s.map(|s| r1(s * 1000.0) / 1000.0),
                "back_99_s": r1(r.back_99_s * 1000.0) / 1000.0,
                "back_100_s": r1(r.back_100_s * 1000.0) / 1000.0,
                "server_cpu_s": r.server_cpu_s.map(r1),
                "server_rss_peak_mib": r.server_rss_peak_mib.map(r1),
                "tally_after_ms": r.tally_after_s.map(|s| r1(s * 1000.0)),
                "vote_ack_p99_ms": r1(r.vote_ack.ms(0.99)),
                "lost": r.lost,
                "duplicated": r.duplicated,
                "failures": r.failures,
            })
        );
        return;
    }
    let s = |x: f64| format!("{x:.2}");
    let opt = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.1}"));
    println!(
        "handsup-load --scenario {:?}: {} members over {} meeting(s)",
        p.storm, r.members, r.meetings
    );
    let rows: Vec<(&str, String)> = vec![
        ("phones dropped", r.dropped.to_string()),
        (
            "SIGKILL → listening again (s)",
            r.restart_s.map_or("-".into(), s),
        ),
        ("99% back after the storm (s)", s(r.back_99_s)),
        ("100% back after the storm (s)", s(r.back_100_s)),
        ("server CPU while coming back (s)", opt(r.server_cpu_s)),
        ("server RSS peak (MiB)", opt(r.server_rss_peak_mib)),
        (
            "projector complete after last reconnect (ms)",
            r.tally_after_s
                .map_or("-".into(), |t| format!("{:.0}", t * 1000.0)),
        ),
        (
            "vote sent → ack p99, across the storm (ms)",
            format!("{:.1}", r.vote_ack.ms(0.99)),
        ),
        ("lost", r.lost.to_string()),
        ("counted twice", r.duplicated.to_string()),
    ];
    for (label, v) in rows {
        println!("{label:<46} {v:>10}");
    }
    for f in &r.failures {
        println!("  ! {f}");
    }
}

/// Meeting `k` of `m` (phones `k, k+m, …` below `n`, each voting option
/// `i % 3`), read back after a run: every answer once in the reveal, the
/// motion closed and every vote once in its result, each option's count
/// exactly the phones that chose it. Returns (lost, counted twice).
pub(crate) async fn recount(
    h: &crate::client::Control,
    s: &crate::client::Control,
    (k, m, n): (usize, usize, usize),
    limit: Duration,
) -> anyhow::Result<(u64, u64)> {
    let want = (k..n).step_by(m).count() as u64;
    let (mut lost, mut twice) = (0, 0);
    let answered = s
        .first(limit, |v| {
            v["type"] == "state" && v["reveal"]["answered"].is_u64()
        })
        .await
        .and_then(|(_, v)| v["reveal"]["answered"].as_u64())
        .unwrap_or(0);
    lost += want.saturating_sub(answered);
    twice += answered.saturating_sub(want);
    h.command(json!({"type": "motion_close", "motion": 1}))
        .await?;
    let result = h
        .first(limit, |v| {
            v["type"] == "state" && v["motion"]["result"]["voted"].is_u64()
        })
        .await
        .map(|(_, v)| v["motion"]["result"].clone())
        .unwrap_or_default();
    let voted = result["voted"].as_u64().unwrap_or(0);
    lost += want.saturating_sub(voted);
    twice += voted.saturating_sub(want);
    for o in 0..3u64 {
        let chose = (k..n).step_by(m).filter(|i| *i as u64 % 3 == o).count() as u64;
        let counted = result["counts"][o as usize].as_u64().unwrap_or(0);
        lost += chose.saturating_sub(counted);
        twice += counted.saturating_sub(chose);
    }
    Ok((lost, twice))
}

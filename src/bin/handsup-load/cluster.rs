//! Several nodes of one server on one PostgreSQL database: `--nodes N`
//! starts them (and, with `--database temp`, a temporary PostgreSQL server
//! too), and `--scenario failover` SIGKILLs the node that owns the meeting
//! in the middle of a vote burst and measures how long until another node
//! has taken it over and every phone is back, checking that every
//! acknowledged answer and vote is counted exactly once.
//!
//! Nodes are `handsup serve --database URL --node-url http://127.0.0.1:PORT
//! --lease-seconds N`; who owns a meeting is read from the database's
//! `meeting_leases` (node, epoch, expiry; the node's URL from `nodes`), as
//! the nodes themselves decide it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, anyhow};
use serde_json::json;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::Scenario;
use crate::stats::{Samples, r1};
use crate::storm::{Phone, Seen, Server, WorkDir, wait_for};

/// Nodes the failover scenario runs unless told otherwise.
const FAILOVER_NODES: usize = 3;

/// Checks the options of several nodes before anything starts; the number
/// of nodes to start, if any.
pub fn check_args(
    scenario: Scenario,
    urls: &[String],
    nodes: Option<usize>,
    database: Option<&str>,
    lease_seconds: u64,
) -> anyhow::Result<Option<usize>> {
    let nodes = match (scenario, nodes) {
        (Scenario::Failover, None) => Some(FAILOVER_NODES),
        (Scenario::Failover, Some(n)) if n < 2 => {
            return Err(anyhow!(
                "--scenario failover kills a node and needs another to take over: --nodes 2 or more (3 by default)"
            ));
        }
        (Scenario::Restart | Scenario::Blip | Scenario::Soak, _) if !urls.is_empty() => {
            return Err(anyhow!(
                "the restart, blip and soak scenarios run a server of their own (--server-bin): leave out --url"
            ));
        }
        (Scenario::Restart | Scenario::Blip | Scenario::Soak, Some(_)) => {
            return Err(anyhow!(
                "--nodes runs the calm and failover scenarios; the restart, blip and soak scenarios run one server of their own"
            ));
        }
        (_, n) => n,
    };
    let Some(n) = nodes else {
        if database.is_some() {
            return Err(anyhow!(
                "--database is the database the nodes of --nodes share; add --nodes N (or leave out --database and name a running server with --url)"
            ));
        }
        return Ok(None);
    };
    if n == 0 {
        return Err(anyhow!("--nodes 0: start at least one node"));
    }
    if !urls.is_empty() {
        return Err(anyhow!(
            "--nodes starts its own nodes (and --scenario failover does): leave out --url"
        ));
    }
    match database {
        None => {
            return Err(anyhow!(
                "--nodes {n}: the nodes share one PostgreSQL database: give --database postgres://USER:PASSWORD@HOST:PORT/DATABASE, or --database temp for a temporary PostgreSQL server started (initdb) and removed by this run"
            ));
        }
        Some("temp") => {}
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {}
        Some(other) => {
            return Err(anyhow!(
                "--database {other:?}: not a PostgreSQL URL; write postgres://USER:PASSWORD@HOST:PORT/DATABASE, or temp"
            ));
        }
    }
    if lease_seconds == 0 {
        return Err(anyhow!(
            "--lease-seconds 0: a lease lasts at least a second"
        ));
    }
    Ok(Some(n))
}

/// A free loopback port (a node must know its URL before it starts).
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Runs `f` with a blocking PostgreSQL client on a thread of its own (the
/// client runs a runtime of its own, which must not start inside ours).
fn on_pg_thread<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    std::thread::spawn(f)
        .join()
        .map_err(|_| anyhow!("the database thread panicked"))?
}

/// A temporary PostgreSQL server (`--database temp`): `initdb` in the run's
/// work directory, a free loopback port, run as a user other than root.
/// Stopped (fast shutdown) when dropped, and killed with the generator.
pub struct TempPostgres {
    child: std::process::Child,
    pub url: String,
}

/// PostgreSQL's server programs: `HANDSUP_PG_BIN`, Debian's newest
/// `/usr/lib/postgresql/N/bin`, or `initdb` on PATH.
fn pg_bin() -> anyhow::Result<PathBuf> {
    if let Some(d) = std::env::var_os("HANDSUP_PG_BIN") {
        return Ok(PathBuf::from(d));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .find(|d| d.join("initdb").is_file() && d.join("postgres").is_file())
        .ok_or_else(|| {
            anyhow!(
                "--database temp needs PostgreSQL's server programs (initdb, postgres) and found none in /usr/lib/postgresql/*/bin or on PATH: install PostgreSQL (Debian: apt install postgresql), set HANDSUP_PG_BIN, or give --database postgres://..."
            )
        })
}

/// The user PostgreSQL runs as: this one, or (initdb refuses root) the
/// `postgres` user, else `nobody`.
fn pg_user() -> Option<(u32, u32)> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    for name in [c"postgres", c"nobody"] {
        // SAFETY: a valid C string; read at once, on the one thread that
        // starts the server.
        let pw = unsafe { libc::getpwnam(name.as_ptr()) };
        if !pw.is_null() {
            // SAFETY: non-null, points at a passwd entry.
            let pw = unsafe { &*pw };
            return Some((pw.pw_uid, pw.pw_gid));
        }
    }
    Some((65534, 65534))
}

fn pg_command(program: &Path, user: Option<(u32, u32)>) -> std::process::Command {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new(program);
    if let Some((uid, gid)) = user {
        cmd.uid(uid).gid(gid);
        // SAFETY: setgroups is async-signal-safe; drops root's groups.
        unsafe {
            cmd.pre_exec(|| {
                libc::setgroups(0, std::ptr::null());
                Ok(())
            });
        }
    }
    crate::die_with_parent(&mut cmd);
    cmd
}

impl TempPostgres {
    /// Creates and starts the server under `dir`, waiting at most `wait`
    /// for it to accept connections, and creates the database `handsup`.
    pub fn start(dir: &Path, wait: Duration) -> anyhow::Result<TempPostgres> {
        let bin = pg_bin()?;
        let dir = dir.join("postgres");
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let user = pg_user();
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
                .with_context(|| format!("chown {}", dir.display()))?;
        }
        let out = pg_command(&bin.join("initdb"), user)
            .arg("-D")
            .arg(dir.join("data"))
            .args([
                "-U",
                "handsup",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
            ])
            .current_dir(&dir)
            .output()
            .with_context(|| format!("cannot run {}", bin.join("initdb").display()))?;
        if !out.status.success() {
            return Err(anyhow!(
                "initdb failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let port = free_port()?;
        let log_path = dir.join("server.log");
        let log = std::fs::File::create(&log_path)?;
        if let Some((uid, gid)) = user {
            let _ = std::os::unix::fs::chown(&log_path, Some(uid), Some(gid));
        }
        let child = pg_command(&bin.join("postgres"), user)
            .arg("-D")
            .arg(dir.join("data"))
            .args(["-p", &port.to_string(), "-k"])
            .arg(&dir)
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=200",
            ])
            .current_dir(&dir)
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", bin.join("postgres").display()))?;
        let mut pg = TempPostgres {
            child,
            url: format!("postgres://handsup@127.0.0.1:{port}/handsup"),
        };
        let admin = format!("postgres://handsup@127.0.0.1:{port}/postgres");
        let started = Instant::now();
        loop {
            let url = admin.clone();
            let ok = on_pg_thread(move || {
                let mut c = postgres::Client::connect(&url, postgres::NoTls)?;
                c.batch_execute("CREATE DATABASE handsup")?;
                Ok(())
            });
            match ok {
                Ok(()) => return Ok(pg),
                Err(e) => {
                    if let Ok(Some(status)) = pg.child.try_wait() {
                        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                        return Err(anyhow!(
                            "the temporary PostgreSQL server exited ({status}): {log}"
                        ));
                    }
                    if started.elapsed() > wait {
                        return Err(anyhow!(
                            "the temporary PostgreSQL server did not accept connections within {} s (stopped it): {e}",
                            wait.as_secs()
                        ));
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        // Fast shutdown; killed if it takes too long.
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGINT) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One node the run started.
pub struct Node {
    /// Its `--node-url`, also the base URL the generator uses.
    pub url: String,
    pub addr: SocketAddr,
    server: std::sync::Mutex<Option<Server>>,
}

impl Node {
    /// SIGKILL (no chance to save or hand over anything).
    fn kill(&self) {
        drop(self.server.lock().expect("node lock").take());
    }

    fn pid(&self) -> Option<u32> {
        self.server
            .lock()
            .expect("node lock")
            .as_ref()
            .map(|s| s.pid())
    }
}

/// N nodes on one database, stopped (with the temporary PostgreSQL, if
/// any) when dropped.
pub struct Cluster {
    pub nodes: Vec<Node>,
    pub secret: String,
    /// The database URL the nodes use.
    pub database: String,
    // Dropped in this order: nodes first (above), then PostgreSQL, then
    // the work directory.
    _pg: Option<TempPostgres>,
    _work: WorkDir,
}

impl Cluster {
    /// Starts `n` nodes of `bin` on `database` (`temp`: a temporary
    /// PostgreSQL server first). Blocks; call it on a thread that outlives
    /// the run (the nodes die with the thread that started them).
    pub fn start(
        bin: &Path,
        n: usize,
        database: &str,
        lease_seconds: u64,
        wait: Duration,
    ) -> anyhow::Result<Cluster> {
        let work = WorkDir::new()?;
        let pg = if database == "temp" {
            eprintln!("handsup-load: starting a temporary PostgreSQL server");
            Some(TempPostgres::start(&work.0, wait)?)
        } else {
            None
        };
        let url = pg
            .as_ref()
            .map_or_else(|| database.to_string(), |p| p.url.clone());
        let secret = uuid::Uuid::new_v4().simple().to_string();
        let mut nodes = Vec::new();
        for k in 0..n {
            let port = free_port()?;
            let node_url = format!("http://127.0.0.1:{port}");
            let lease = lease_seconds.to_string();
            let args = [
                "--database",
                url.as_str(),
                "--node-url",
                node_url.as_str(),
                "--lease-seconds",
                lease.as_str(),
            ];
            let extra: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
            let server = Server::start_with(
                bin,
                &work.0.join(format!("node{}", k + 1)),
                port,
                &secret,
                wait,
                &extra,
            )
            .with_context(|| format!("node {} of {n} ({node_url})", k + 1))?;
            eprintln!("handsup-load: node {} listening at {node_url}", k + 1);
            nodes.push(Node {
                url: node_url,
                addr: server.addr,
                server: std::sync::Mutex::new(Some(server)),
            });
        }
        Ok(Cluster {
            nodes,
            secret,
            database: url,
            _pg: pg,
            _work: work,
        })
    }

    /// Stops every node, then PostgreSQL if the run started it.
    pub fn stop(self) {
        for n in &self.nodes {
            n.kill();
        }
    }
}

/// Who holds a meeting's lease, as the database says.
#[derive(Clone, Debug)]
struct Lease {
    pin: String,
    node: String,
    epoch: i64,
    /// Unix time, ms.
    expires_at: i64,
}

fn leases(client: &mut postgres::Client, pins: &[String]) -> anyhow::Result<Vec<Lease>> {
    let pins = pins.to_vec();
    Ok(client
        .query(
            "SELECT m.pin, coalesce(n.url, l.node), l.epoch, l.expires_at
             FROM meeting_leases l JOIN meetings m ON m.id = l.meeting
             LEFT JOIN nodes n ON n.id = l.node
             WHERE m.pin = ANY($1) AND m.ended_at IS NULL",
            &[&pins],
        )?
        .iter()
        .map(|r| Lease {
            pin: r.get(0),
            node: r.get::<_, String>(1).trim_end_matches('/').to_string(),
            epoch: r.get(2),
            expires_at: r.get(3),
        })
        .collect())
}

fn unix_ms(t: SystemTime) -> i64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Polls the leases of `pins` every 20 ms until `done` holds (then the
/// leases and when, as Unix ms), or `limit` passes, on a thread of its own.
fn watch_leases(
    url: String,
    pins: Vec<String>,
    limit: Duration,
    cancel: Arc<AtomicBool>,
    done: impl Fn(&[Lease]) -> bool + Send + 'static,
) -> tokio::sync::oneshot::Receiver<anyhow::Result<(Vec<Lease>, i64)>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let result = (|| {
            let mut client = postgres::Client::connect(&url, postgres::NoTls)
                .with_context(|| "cannot connect to the nodes' database".to_string())?;
            let deadline = Instant::now() + limit;
            loop {
                let now = unix_ms(SystemTime::now());
                let l = leases(&mut client, &pins)?;
                if done(&l) {
                    return Ok((l, now));
                }
                if Instant::now() > deadline || cancel.load(Ordering::Acquire) {
                    return Err(anyhow!(
                        "not reached within {} s; leases now: {l:?}",
                        limit.as_secs()
                    ));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })();
        let _ = tx.send(result);
    });
    rx
}

/// What the failover scenario measured.
#[derive(Default)]
struct Report {
    nodes: usize,
    members: usize,
    meetings: usize,
    killed: String,
    lease_s: u64,
    /// SIGKILL → every meeting of the killed node owned by another (s).
    takeover_s: f64,
    /// The old lease's expiry → taken over (s).
    takeover_after_expiry_s: f64,
    /// Phones whose connection was lost, and 99% / 100% of them welcomed
    /// again (s after the kill).
    dropped: usize,
    back_99_s: f64,
    back_100_s: f64,
    vote_ack: Samples,
    lost: u64,
    duplicated: u64,
    failures: Vec<String>,
}

/// `--scenario failover`.
pub async fn failover(args: &crate::Args, cluster: &Cluster) -> anyhow::Result<()> {
    let (n, m) = (args.members, args.meetings);
    let limit = Duration::from_secs(args.timeout);
    let progress = |what: &str| eprintln!("handsup-load [failover]: {what}");
    let first = &cluster.nodes[0];
    let secret = &cluster.secret;
    let (pins, hosts, screens) =
        crate::client::meetings(&first.url, first.addr, secret, m, &args.bank).await?;
    let addrs: Vec<SocketAddr> = cluster.nodes.iter().map(|n| n.addr).collect();
    progress(&format!(
        "{m} meeting(s) on {}; {n} phones over {} nodes",
        first.url,
        addrs.len()
    ));

    let (tx, mut rx) = mpsc::unbounded_channel();
    let stop = CancellationToken::new();
    let (_blip_tx, blip_rx) = watch::channel(0u32);
    let connecting = Arc::new(tokio::sync::Semaphore::new(args.connect_parallel));
    let mut seen = Seen::default();
    for i in 0..n {
        tokio::spawn(
            Phone {
                index: i,
                pin: pins[i % m].clone(),
                addrs: addrs.clone(),
                events: tx.clone(),
                stop: stop.clone(),
                blip: blip_rx.clone(),
                drops: |_, _| false,
                connecting: connecting.clone(),
            }
            .run(),
        );
    }
    drop(tx);
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
        // Who owns the meetings, before the vote.
        let owners = watch_leases(
            cluster.database.clone(),
            pins.clone(),
            limit,
            Arc::new(AtomicBool::new(false)),
            {
                let m = pins.len();
                move |l| l.len() >= m
            },
        )
        .await
        .map_err(|_| anyhow!("the lease watcher stopped"))?
        .map_err(|e| {
            anyhow!(
                "no node holds a lease on every meeting ({e}); is --server-bin a Handsup with clustering (handsup serve --node-url)?"
            )
        })?
        .0;
        let owner = owners
            .iter()
            .find(|l| l.pin == pins[0])
            .map(|l| l.node.clone())
            .ok_or_else(|| anyhow!("no lease on meeting {}", pins[0]))?;
        let victim = cluster
            .nodes
            .iter()
            .position(|n| n.url == owner)
            .ok_or_else(|| {
                anyhow!(
                    "the lease names node {owner:?}, none of the nodes this run started ({})",
                    cluster
                        .nodes
                        .iter()
                        .map(|n| n.url.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
        let owned: Vec<Lease> = owners.into_iter().filter(|l| l.node == owner).collect();
        progress(&format!(
            "every answer acknowledged; vote (the meetings' owner is {owner})"
        ));
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
        progress(&format!(
            "{} votes acknowledged; SIGKILL {owner}",
            seen.votes
        ));
        for c in hosts.iter().chain(screens.iter()) {
            c.close();
        }
        let dropped_before = seen.dropped.len();
        let back_before = seen.back.len();
        let killed_at = Instant::now();
        let killed_wall = unix_ms(SystemTime::now());
        cluster.nodes[victim].kill();
        let cancel = Arc::new(AtomicBool::new(false));
        let mut takeover = watch_leases(
            cluster.database.clone(),
            owned.iter().map(|l| l.pin.clone()).collect(),
            limit,
            cancel.clone(),
            {
                let (owner, owned) = (owner.clone(), owned.clone());
                move |now| {
                    owned.iter().all(|o| {
                        now.iter()
                            .any(|l| l.pin == o.pin && l.node != owner && l.epoch > o.epoch)
                    })
                }
            },
        );
        let mut taken: Option<(Vec<Lease>, i64)> = None;
        let deadline = tokio::time::Instant::now() + limit;
        // Every phone that lost its connection back, every vote counted,
        // and the meetings taken over.
        loop {
            let dropped = seen.dropped.len() - dropped_before;
            let back = seen.back.len() - back_before;
            if taken.is_some() && seen.votes >= n && back >= dropped {
                break;
            }
            tokio::select! {
                e = rx.recv() => match e {
                    Some(e) => seen.take(e),
                    None => return Err(anyhow!("every phone stopped")),
                },
                t = &mut takeover, if taken.is_none() => {
                    let t = t.map_err(|_| anyhow!("the lease watcher stopped"))?;
                    taken = Some(t.map_err(|e| anyhow!("no other node took the meetings over: {e}"))?);
                }
                _ = tokio::time::sleep_until(deadline) => {
                    cancel.store(true, Ordering::Release);
                    return Err(anyhow!(
                        "within {} s of the kill: taken over {}, votes acknowledged {} of {n}, phones back {} of {} dropped{}",
                        limit.as_secs(),
                        taken.is_some(),
                        seen.votes,
                        back,
                        dropped,
                        seen.failures.first().map(|f| format!("; first failure: {f}")).unwrap_or_default()
                    ));
                }
            }
        }
        let (_, taken_wall) = taken.expect("taken over");
        let expiry = owned.iter().map(|l| l.expires_at).max().unwrap_or(killed_wall);
        let mut r = Report {
            nodes: cluster.nodes.len(),
            members: n,
            meetings: m,
            killed: owner.clone(),
            lease_s: args.lease_seconds,
            takeover_s: (taken_wall - killed_wall).max(0) as f64 / 1000.0,
            takeover_after_expiry_s: (taken_wall - expiry) as f64 / 1000.0,
            dropped: seen.dropped.len() - dropped_before,
            ..Report::default()
        };
        let mut back: Vec<f64> = seen.back[back_before..]
            .iter()
            .map(|b| b.saturating_duration_since(killed_at).as_secs_f64())
            .collect();
        back.sort_by(f64::total_cmp);
        if !back.is_empty() {
            r.back_99_s =
                back[((back.len() as f64 * 0.99).ceil() as usize).clamp(1, back.len()) - 1];
            r.back_100_s = *back.last().unwrap_or(&0.0);
        }
        // The host and projector again, on a node still running.
        let alive = cluster
            .nodes
            .iter()
            .find(|n| n.pid().is_some())
            .expect("nodes survive");
        progress(&format!(
            "taken over; every phone back; checking the results on {}",
            alive.url
        ));
        let (hosts, screens) = crate::client::controls(alive.addr, secret, &pins).await?;
        for (k, (h, s)) in hosts.iter().zip(screens.iter()).enumerate() {
            // Every answer, once, in the question's reveal.
            let (lost, twice) = crate::storm::recount(h, s, (k, m, n), limit).await?;
            r.lost += lost;
            r.duplicated += twice;
        }
        for c in hosts.iter().chain(screens.iter()) {
            c.close();
        }
        Ok(r)
    }
    .await;
    stop.cancel();
    let mut r = result?;
    r.vote_ack = std::mem::take(&mut seen.vote_ack);
    r.failures.append(&mut seen.failures);
    print(args.json, &r);
    if r.lost > 0 || r.duplicated > 0 {
        return Err(anyhow!(
            "{} lost and {} counted twice: see the report",
            r.lost,
            r.duplicated
        ));
    }
    Ok(())
}

fn print(as_json: bool, r: &Report) {
    let s3 = |x: f64| r1(x * 1000.0) / 1000.0;
    if as_json {
        println!(
            "{}",
            json!({
                "scenario": "failover",
                "nodes": r.nodes,
                "members": r.members,
                "meetings": r.meetings,
                "killed": r.killed,
                "lease_s": r.lease_s,
                "takeover_s": s3(r.takeover_s),
                "takeover_after_expiry_s": s3(r.takeover_after_expiry_s),
                "dropped": r.dropped,
                "back_99_s": s3(r.back_99_s),
                "back_100_s": s3(r.back_100_s),
                "vote_ack_p99_ms": r1(r.vote_ack.ms(0.99)),
                "lost": r.lost,
                "duplicated": r.duplicated,
                "failures": r.failures,
            })
        );
        return;
    }
    let s = |x: f64| format!("{x:.2}");
    println!(
        "handsup-load --scenario failover: {} members over {} meeting(s), {} nodes, lease {} s",
        r.members, r.meetings, r.nodes, r.lease_s
    );
    let rows: Vec<(&str, String)> = vec![
        ("node killed (owner of the meetings)", r.killed.clone()),
        ("SIGKILL → taken over (s)", s(r.takeover_s)),
        (
            "lease expiry → taken over (s)",
            s(r.takeover_after_expiry_s),
        ),
        ("phones whose connection was lost", r.dropped.to_string()),
        ("99% of them back after the kill (s)", s(r.back_99_s)),
        ("100% of them back after the kill (s)", s(r.back_100_s)),
        (
            "vote sent → ack p99, across the failover (ms)",
            format!("{:.1}", r.vote_ack.ms(0.99)),
        ),
        ("lost", r.lost.to_string()),
        ("counted twice", r.duplicated.to_string()),
    ];
    for (label, v) in rows {
        println!("{label:<46} {v:>24}");
    }
    for f in &r.failures {
        println!("  ! {f}");
    }
}

//! `handsup-load`: drives a running Handsup server with N scripted phones
//! over M meetings through the real protocol, and measures it — beside a
//! bare websocket broadcast server measured by the same generator in the
//! same run (`--baseline`). See docs/PERFORMANCE.md.
//!
//! The script: N members join (as the QR flow does); each meeting's host
//! starts the quiz and every member answers the first question the moment
//! it opens; then the host opens a motion and every member votes at once.
//! Measured: joins per second, question fan-out (host command → each member
//! has it), answer and vote acknowledgement latency, how long after the last
//! acknowledgement the projector's tally is complete, inputs lost or counted
//! twice, and the server's memory per member and CPU time.

mod baseline;
mod client;
mod cluster;
mod procfs;
mod soak;
mod stats;
mod storm;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use clap::{Parser, Subcommand};
use serde_json::json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use client::{Captured, Control, MemberPlan, Report};
use stats::{Samples, r1};

#[derive(Parser, Debug)]
#[command(name = "handsup-load", about = "Load generator for Handsup", version)]
pub(crate) struct Args {
    #[command(subcommand)]
    pub(crate) command: Option<Cmd>,
    /// Server address, e.g. http://127.0.0.1:8080 (default), or the
    /// addresses of several nodes of one server, comma-separated or with
    /// --url repeated: meetings are created on the first, their host and
    /// projector connect to it, and members are spread round-robin over
    /// all; a phone whose connection fails tries the next.
    #[arg(long, value_delimiter = ',')]
    pub(crate) url: Vec<String>,
    /// Start N server nodes of --server-bin on one PostgreSQL database
    /// (--database) and run against them (calm and failover scenarios).
    #[arg(long)]
    pub(crate) nodes: Option<usize>,
    /// The PostgreSQL database the nodes of --nodes share:
    /// postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (its Handsup tables are
    /// used as they are), or `temp` for a temporary PostgreSQL server the
    /// generator starts itself (initdb) and removes at the end.
    #[arg(long)]
    pub(crate) database: Option<String>,
    /// The nodes' lease on a meeting (--lease-seconds of handsup serve).
    #[arg(long, default_value_t = 10)]
    pub(crate) lease_seconds: u64,
    /// The server's host secret.
    #[arg(long, env = "HANDSUP_HOST_SECRET", default_value = "")]
    pub(crate) host_secret: String,
    /// Members (phones) in all.
    #[arg(long, default_value_t = 100)]
    pub(crate) members: usize,
    /// Meetings to spread them over.
    #[arg(long, default_value_t = 1)]
    pub(crate) meetings: usize,
    /// Question bank to create the meetings with.
    #[arg(long, default_value = "demo-en")]
    pub(crate) bank: String,
    /// Also measure a bare websocket broadcast server with the same clients.
    #[arg(long)]
    pub(crate) baseline: bool,
    /// One JSON line instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
    /// The server's process id for memory and CPU (found from the port when local).
    #[arg(long)]
    pub(crate) server_pid: Option<u32>,
    /// Longest wait for any one step, in seconds.
    #[arg(long, default_value_t = 120)]
    pub(crate) timeout: u64,
    /// Connections being opened at once.
    #[arg(long, default_value_t = 256)]
    pub(crate) connect_parallel: usize,
    /// How far apart the hosts of different meetings start the question
    /// and open the vote, in milliseconds (200 meetings × 5 ms: within one
    /// second, as chairs in different rooms do); 0 sends every command in the
    /// same instant, the harshest case.
    #[arg(long, default_value_t = 5)]
    pub(crate) stagger_ms: u64,
    /// What to measure: `calm` (join, answer, vote, against --url), or a
    /// storm the generator causes on a server it runs itself (--server-bin):
    /// `restart` (SIGKILL and restart with every phone connected) or `blip`
    /// (30% of the phones off the network for 5 s during a vote), or `soak`
    /// (a two-hour meeting in --soak-minutes: 40 questions, 20 motions,
    /// phones joining, leaving and dropping throughout; memory and files
    /// must stay flat),
    /// or `failover` (--nodes, 3 by default, on one database: the node
    /// owning the meeting SIGKILLed during a vote; time to take over and for
    /// the phones to come back; nothing lost or counted twice).
    #[arg(long, value_enum, default_value_t = Scenario::Calm)]
    pub(crate) scenario: Scenario,
    /// How long the soak scenario's two-hour meeting lasts, in minutes.
    #[arg(long, default_value_t = 10)]
    pub(crate) soak_minutes: u64,
    /// The handsup binary the storm scenarios start (and kill) themselves.
    #[arg(long, default_value = "target/release/handsup")]
    pub(crate) server_bin: std::path::PathBuf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Scenario {
    Calm,
    Restart,
    Blip,
    Soak,
    Failover,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run the bare websocket server the baseline is measured on.
    #[command(hide = true)]
    BaselineServer {
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
}

/// What one run measured.
#[derive(Default, Debug)]
struct Measured {
    joined: usize,
    join_s: f64,
    /// hello → welcome.
    join_ack: Samples,
    fanout: Samples,
    answer_ack: Samples,
    vote_ack: Samples,
    vote_send_span_ms: f64,
    tally_complete_ms: Option<f64>,
    lost: u64,
    duplicated: u64,
    rss_per_member_kib: Option<f64>,
    server_rss_mib: Option<f64>,
    server_cpu_s: Option<f64>,
    failures: Vec<String>,
    /// Every acknowledgement as (kind, meeting, sent, latency), for
    /// `HANDSUP_LOAD_TRACE=FILE` (a CSV to see when and where time went).
    trace: Vec<(&'static str, usize, Instant, Duration)>,
}

/// Where the run sends its traffic.
enum Target {
    Handsup { http: String, secret: String },
    Baseline,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if let Some(Cmd::BaselineServer { port }) = args.command {
        return runtime.block_on(baseline::serve(port));
    }
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    client::set_control_wait(Duration::from_secs(args.timeout));
    // Ctrl-C or SIGTERM drops the scenario, which stops the server it started
    // (and the baseline server) before the process exits.
    runtime.block_on(async {
        tokio::select! {
            r = scenario_of(args) => r,
            why = interrupted() => Err(anyhow!("{why}: stopped the servers this run started")),
        }
    })
}

/// Resolves on Ctrl-C or SIGTERM, naming it.
async fn interrupted() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).ok();
    let terminated = async {
        match term.as_mut() {
            Some(t) => {
                t.recv().await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "interrupted",
        _ = terminated => "terminated",
    }
}

/// A child process of the generator (a server it runs) is killed with it,
/// even when the generator itself is killed and cannot clean up.
pub(crate) fn die_with_parent(command: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent died before the call: nobody would kill us.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

async fn scenario_of(args: Args) -> anyhow::Result<()> {
    let nodes = cluster::check_args(
        args.scenario,
        &args.url,
        args.nodes,
        args.database.as_deref(),
        args.lease_seconds,
    )?;
    if let Some(n) = nodes {
        storm::preflight(args.members, args.meetings)?;
        storm::server_bin_exists(&args.server_bin)?;
        let database = args.database.clone().unwrap_or_default();
        let timeout = Duration::from_secs(args.timeout);
        // Started on this thread, which lives as long as the run: the nodes
        // and PostgreSQL die with the thread that started them.
        let cluster =
            cluster::Cluster::start(&args.server_bin, n, &database, args.lease_seconds, timeout)?;
        if args.scenario == Scenario::Failover {
            let r = cluster::failover(&args, &cluster).await;
            cluster.stop();
            return r;
        }
        let urls = cluster
            .nodes
            .iter()
            .map(|n| (n.url.clone(), n.addr))
            .collect();
        let secret = cluster.secret.clone();
        let r = run(args, urls, secret).await;
        cluster.stop();
        return r;
    }
    let storm = match args.scenario {
        Scenario::Calm => {
            let urls = parse_urls(&args.url).await?;
            let secret = args.host_secret.clone();
            return run(args, urls, secret).await;
        }
        Scenario::Restart | Scenario::Soak => storm::Storm::Restart,
        Scenario::Blip => storm::Storm::Blip,
        Scenario::Failover => unreachable!("checked: failover runs its own nodes"),
    };
    let plan = storm::Plan {
        storm,
        members: args.members,
        meetings: args.meetings,
        bank: args.bank,
        server_bin: args.server_bin,
        timeout: Duration::from_secs(args.timeout),
        connect_parallel: args.connect_parallel,
        json: args.json,
    };
    if args.scenario == Scenario::Soak {
        return soak::run(plan, args.soak_minutes).await;
    }
    storm::run(plan).await
}

/// The default server address.
const DEFAULT_URL: &str = "http://127.0.0.1:8080";

/// Reads `--url` (one or several node URLs) into (base URL, address) pairs;
/// a clear error for an entry that is empty, not `http://HOST:PORT`, not
/// resolvable, or given twice.
async fn parse_urls(list: &[String]) -> anyhow::Result<Vec<(String, SocketAddr)>> {
    let list: Vec<String> = if list.is_empty() {
        vec![DEFAULT_URL.to_string()]
    } else {
        list.to_vec()
    };
    let mut out: Vec<(String, SocketAddr)> = Vec::new();
    for raw in &list {
        let url = raw.trim().trim_end_matches('/');
        if url.is_empty() {
            return Err(anyhow!(
                "--url: an empty entry in {:?}; give node URLs separated by single commas, e.g. --url http://10.0.0.1:8080,http://10.0.0.2:8080",
                list.join(",")
            ));
        }
        let Some(hostport) = url.strip_prefix("http://") else {
            return Err(anyhow!(
                "--url {url:?}: write each node as http://HOST:PORT (the generator speaks plain HTTP and ws:// to the nodes themselves, not through a TLS proxy)"
            ));
        };
        if hostport.is_empty() || hostport.contains('/') {
            return Err(anyhow!(
                "--url {url:?}: write each node as http://HOST:PORT, with no path"
            ));
        }
        let addr = tokio::net::lookup_host(hostport)
            .await
            .with_context(|| format!("--url {url:?}: cannot resolve {hostport}"))?
            .next()
            .ok_or_else(|| anyhow!("--url {url:?}: no address for {hostport}"))?;
        if let Some((earlier, _)) = out.iter().find(|(_, a)| *a == addr) {
            return Err(anyhow!(
                "--url names the same node twice ({earlier} and {url}); list each node once"
            ));
        }
        out.push((url.to_string(), addr));
    }
    Ok(out)
}

async fn run(args: Args, urls: Vec<(String, SocketAddr)>, secret: String) -> anyhow::Result<()> {
    storm::preflight(args.members, args.meetings)?;
    let http = urls[0].0.clone();
    let addrs: Vec<SocketAddr> = urls.iter().map(|u| u.1).collect();
    for addr in addrs.iter().filter(|a| !a.ip().is_loopback()) {
        eprintln!(
            "handsup-load: warning: {addr} is not on this machine; its memory and CPU are not measured"
        );
    }
    // Memory and CPU: of every node on this machine (added up).
    let pids: Vec<u32> = match args.server_pid {
        Some(p) => vec![p],
        None => addrs
            .iter()
            .filter(|a| a.ip().is_loopback())
            .filter_map(|a| procfs::listener_pid(a.port()))
            .collect(),
    };
    let captured = Arc::new(Mutex::new(Captured::default()));
    let target = Target::Handsup {
        http: http.clone(),
        secret,
    };
    let handsup = scenario(&args, &target, &addrs, &pids, Some(captured.clone())).await?;
    if let Ok(file) = std::env::var("HANDSUP_LOAD_TRACE") {
        write_trace(&file, &handsup.trace)?;
    }

    let baseline = if args.baseline {
        let exe = std::env::current_exe()?;
        let mut command = std::process::Command::new(exe);
        command
            .args(["baseline-server", "--port", "0"])
            .stdout(std::process::Stdio::piped());
        die_with_parent(&mut command);
        let mut child = command.spawn().context("start the baseline server")?;
        // Killed however this run ends.
        struct Reap(std::process::Child);
        impl Drop for Reap {
            fn drop(&mut self) {
                let _ = self.0.kill();
                let _ = self.0.wait();
            }
        }
        let out = child.stdout.take().expect("stdout");
        let child = Reap(child);
        let line = {
            use std::io::BufRead;
            let mut lines = std::io::BufReader::new(out).lines();
            lines.next().transpose()?.unwrap_or_default()
        };
        let baddr: SocketAddr = line
            .trim()
            .strip_prefix("Listening on ")
            .ok_or_else(|| anyhow!("the baseline server did not start: {line}"))?
            .parse()?;
        let r = scenario(
            &args,
            &Target::Baseline,
            &[baddr],
            &[child.0.id()],
            Some(captured),
        )
        .await;
        drop(child);
        let r = r?;
        if let Ok(file) = std::env::var("HANDSUP_LOAD_TRACE_BASELINE") {
            write_trace(&file, &r.trace)?;
        }
        Some(r)
    } else {
        None
    };
    report(&args, &handsup, baseline.as_ref());
    let lost = handsup.lost + baseline.as_ref().map_or(0, |b| b.lost);
    if lost > 0 || handsup.duplicated > 0 {
        return Err(anyhow!(
            "{lost} lost and {} counted twice: see the report",
            handsup.duplicated
        ));
    }
    Ok(())
}

/// One line per acknowledgement: kind, meeting, sent (ms after the first
/// acknowledged input of that kind was sent), latency (ms), and when it was
/// sent as Unix time (ms), to line up with the server's log.
fn write_trace(
    file: &str,
    trace: &[(&'static str, usize, Instant, Duration)],
) -> anyhow::Result<()> {
    use std::fmt::Write as _;
    let (now, wall) = (Instant::now(), std::time::SystemTime::now());
    let unix_ms = |t: Instant| {
        let wall = wall - now.duration_since(t);
        wall.duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64()
            * 1e3
    };
    let mut csv = String::from("kind,meeting,sent_ms,latency_ms,sent_unix_ms\n");
    for kind in ["answer", "vote"] {
        let rows: Vec<_> = trace.iter().filter(|r| r.0 == kind).collect();
        let Some(t0) = rows.iter().map(|r| r.2).min() else {
            continue;
        };
        for (kind, k, sent, lat) in rows {
            let _ = writeln!(
                csv,
                "{kind},{k},{:.2},{:.2},{:.1}",
                sent.duration_since(t0).as_secs_f64() * 1e3,
                lat.as_secs_f64() * 1e3,
                unix_ms(*sent)
            );
        }
    }
    std::fs::write(file, csv).with_context(|| format!("cannot write {file}"))
}

/// Everything members have reported so far.
struct Tally {
    joined: usize,
    /// Members whose script ended with an error.
    failed: usize,
    last_join: Option<Instant>,
    questions: usize,
    answers: usize,
    motions: usize,
    votes: usize,
    /// When each meeting's host sent the command members are waiting for.
    t_cmd: Vec<Instant>,
    answer_acked: Vec<u64>,
    vote_acked: Vec<u64>,
    last_vote_ack: HashMap<usize, Instant>,
    vote_sent: Option<(Instant, Instant)>,
}

/// Reads reports until `done(tally)`; an error naming `step` if the
/// step's time is up first.
async fn until(
    rx: &mut mpsc::UnboundedReceiver<(usize, Report)>,
    t: &mut Tally,
    out: &mut Measured,
    meeting_of: &dyn Fn(usize) -> usize,
    limit: Duration,
    step: &str,
    done: impl Fn(&Tally) -> bool,
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + limit;
    while !done(t) {
        let Ok(Some((i, r))) = tokio::time::timeout_at(deadline, rx.recv()).await else {
            let first = out.failures.first().map_or(String::new(), |f| {
                format!("; first failure: {}", crate::stats::clip(f, 300))
            });
            return Err(anyhow!(
                "{step}: not done within {} s (--timeout){first}",
                limit.as_secs()
            ));
        };
        let k = meeting_of(i);
        match r {
            Report::Joined { hello, at } => {
                t.joined += 1;
                out.join_ack.push(at.duration_since(hello));
                t.last_join = Some(t.last_join.map_or(at, |l| l.max(at)));
            }
            Report::Question { at } => {
                t.questions += 1;
                out.fanout.push(at.duration_since(t.t_cmd[k]));
            }
            Report::AnswerAck { sent, at } => {
                t.answers += 1;
                t.answer_acked[k] += 1;
                out.answer_ack.push(at.duration_since(sent));
                out.trace.push(("answer", k, sent, at.duration_since(sent)));
            }
            // The motion reaching the phones is a second fan-out, measured the same way.
            Report::Motion { at } => {
                t.motions += 1;
                out.fanout.push(at.duration_since(t.t_cmd[k]));
            }
            Report::VoteAck { sent, at } => {
                t.votes += 1;
                t.vote_acked[k] += 1;
                out.vote_ack.push(at.duration_since(sent));
                out.trace.push(("vote", k, sent, at.duration_since(sent)));
                let e = t.last_vote_ack.entry(k).or_insert(at);
                *e = (*e).max(at);
                t.vote_sent = Some(
                    t.vote_sent
                        .map_or((sent, sent), |(f, l)| (f.min(sent), l.max(sent))),
                );
            }
            Report::Failed { why } => {
                t.failed += 1;
                if out.failures.len() < 20 {
                    out.failures.push(format!("member {i}: {why}"));
                }
            }
        }
    }
    Ok(())
}

async fn scenario(
    args: &Args,
    target: &Target,
    addrs: &[SocketAddr],
    pids: &[u32],
    captured: Option<Arc<Mutex<Captured>>>,
) -> anyhow::Result<Measured> {
    let addr = addrs[0];
    // Summed over the nodes; unknown when one of them cannot be read.
    let rss = || -> Option<u64> {
        (!pids.is_empty())
            .then(|| pids.iter().map(|p| procfs::rss_kib(*p)).sum())
            .flatten()
    };
    let cpu = || -> Option<f64> {
        (!pids.is_empty())
            .then(|| pids.iter().map(|p| procfs::cpu_seconds(*p)).sum())
            .flatten()
    };
    let limit = Duration::from_secs(args.timeout);
    let (n, m) = (args.members, args.meetings);
    let mut out = Measured::default();
    let name = if matches!(target, Target::Baseline) {
        "baseline"
    } else {
        "handsup"
    };
    let progress = |what: &str| eprintln!("handsup-load [{name}]: {what}");
    if addrs.len() > 1 {
        progress(&format!(
            "{m} meeting(s) at {addr}; members spread over {} nodes",
            addrs.len()
        ));
    } else {
        progress(&format!("{m} meeting(s) at {addr}"));
    }

    // Meetings, their hosts and projectors.
    let (mut pins, mut hosts, mut screens) = (Vec::new(), Vec::new(), Vec::new());
    match target {
        Target::Handsup { http, secret } => {
            (pins, hosts, screens) = client::meetings(http, addr, secret, m, &args.bank).await?;
        }
        Target::Baseline => {
            pins.push("baseline".to_string());
            hosts.push(Control::open(addr, json!({"role": "host", "pin": "baseline"}), 0).await?);
        }
    }
    let rss0 = rss();
    let cpu0 = cpu();

    // Join.
    progress(&format!("{n} members joining"));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let stop = CancellationToken::new();
    let connecting = Arc::new(tokio::sync::Semaphore::new(args.connect_parallel));
    let baseline = matches!(target, Target::Baseline);
    let meeting_of = move |i: usize| if baseline { 0 } else { i % m };
    let mut t = Tally {
        joined: 0,
        failed: 0,
        last_join: None,
        questions: 0,
        answers: 0,
        motions: 0,
        votes: 0,
        t_cmd: vec![Instant::now(); pins.len()],
        answer_acked: vec![0; pins.len()],
        vote_acked: vec![0; pins.len()],
        last_vote_ack: HashMap::new(),
        vote_sent: None,
    };
    let t_join = Instant::now();
    for i in 0..n {
        tokio::spawn(client::member(MemberPlan {
            index: i,
            addrs: addrs.to_vec(),
            pin: pins[meeting_of(i)].clone(),
            reports: tx.clone(),
            capture: (i == 0).then(|| captured.clone()).flatten(),
            stop: stop.clone(),
            connecting: connecting.clone(),
        }));
    }
    until(
        &mut rx,
        &mut t,
        &mut out,
        &meeting_of,
        limit,
        "joining",
        |t| t.joined + t.failed >= n,
    )
    .await?;
    if t.joined < n {
        return Err(anyhow!(
            "{} of {n} members could not join; first failure: {}",
            n - t.joined,
            crate::stats::clip(out.failures.first().map_or("", String::as_str), 300)
        ));
    }
    out.joined = t.joined;
    out.join_s = t
        .last_join
        .map_or(0.0, |l| l.duration_since(t_join).as_secs_f64());
    progress(&format!(
        "{} joined in {:.1} s; question",
        out.joined, out.join_s
    ));

    // Question fan-out, then the answer burst as the question opens.
    let stagger = Duration::from_millis(args.stagger_ms);
    for (k, h) in hosts.iter().enumerate() {
        if k > 0 && !stagger.is_zero() {
            tokio::time::sleep(stagger).await;
        }
        t.t_cmd[k] = Instant::now();
        match target {
            Target::Handsup { .. } => h.send(json!({"type": "start"})),
            Target::Baseline => {
                let q = captured
                    .as_ref()
                    .and_then(|c| c.lock().unwrap().question.clone());
                let payload =
                    q.ok_or_else(|| anyhow!("the Handsup run captured no question frame"))?;
                h.send(json!({"type": "broadcast", "payload": payload}));
            }
        }
    }
    let joined = t.joined;
    until(
        &mut rx,
        &mut t,
        &mut out,
        &meeting_of,
        limit,
        "the question reaching every member",
        |t| t.questions >= joined,
    )
    .await?;
    let got = t.questions;
    until(
        &mut rx,
        &mut t,
        &mut out,
        &meeting_of,
        limit,
        "every answer acknowledged",
        |t| t.answers >= got,
    )
    .await?;
    out.lost += (got - t.answers) as u64;
    if !baseline {
        // Every acknowledged answer, counted once, in the reveal.
        for (k, s) in screens.iter().enumerate() {
            let want = t.answer_acked[k];
            let reveal = s
                .first(limit, |v| {
                    v["type"] == "state" && v["reveal"]["answered"].as_u64().is_some()
                })
                .await;
            let counted = reveal.map_or(0, |(_, v)| v["reveal"]["answered"].as_u64().unwrap_or(0));
            out.lost += want.saturating_sub(counted);
            out.duplicated += counted.saturating_sub(want);
        }
    }
    progress(&format!("{} answers acknowledged; vote", t.answers));

    // The vote: drafted first in every meeting, then opened with the same
    // timing as the question (--stagger-ms), so answers and votes are
    // measured under the same load; every member votes the moment they see it.
    if let Target::Handsup { .. } = target {
        for h in &hosts {
            h.command(json!({"type": "motion_create", "text": "Thông qua Nghị quyết"}))
                .await?;
        }
    }
    for (k, h) in hosts.iter().enumerate() {
        if k > 0 && !stagger.is_zero() {
            tokio::time::sleep(stagger).await;
        }
        match target {
            Target::Handsup { .. } => {
                t.t_cmd[k] = Instant::now();
                h.send(json!({"type": "motion_open", "motion": 1}));
            }
            Target::Baseline => {
                let f = captured
                    .as_ref()
                    .and_then(|c| c.lock().unwrap().motion.clone());
                let payload =
                    f.ok_or_else(|| anyhow!("the Handsup run captured no motion frame"))?;
                t.t_cmd[k] = Instant::now();
                h.send(json!({"type": "broadcast", "payload": payload}));
            }
        }
    }
    until(
        &mut rx,
        &mut t,
        &mut out,
        &meeting_of,
        limit,
        "the motion reaching every member",
        |t| t.motions >= got,
    )
    .await?;
    let seen = t.motions;
    until(
        &mut rx,
        &mut t,
        &mut out,
        &meeting_of,
        limit,
        "every vote acknowledged",
        |t| t.votes >= seen,
    )
    .await?;
    out.lost += (seen - t.votes) as u64;
    if let Some((f, l)) = t.vote_sent {
        out.vote_send_span_ms = l.duration_since(f).as_secs_f64() * 1000.0;
    }
    progress(&format!("{} votes acknowledged", t.votes));
    let rss1 = rss();
    if !baseline {
        // The projector's tally: complete when it counts every acknowledged vote.
        let mut worst: f64 = 0.0;
        for (k, s) in screens.iter().enumerate() {
            let want = t.vote_acked[k];
            let hit = s
                .first(limit, |v| {
                    v["type"] == "live" && v["vote"]["voted"].as_u64() >= Some(want)
                })
                .await;
            match (hit, t.last_vote_ack.get(&k)) {
                (Some((at, _)), Some(last)) => {
                    worst = worst.max(at.saturating_duration_since(*last).as_secs_f64() * 1000.0)
                }
                (None, _) => out.failures.push(format!(
                    "meeting {k}: the projector never showed {want} votes"
                )),
                _ => {}
            }
        }
        out.tally_complete_ms = Some(worst);
        // Closing counts every acknowledged vote once.
        for (k, h) in hosts.iter().enumerate() {
            h.command(json!({"type": "motion_close", "motion": 1}))
                .await?;
            let result = h
                .first(limit, |v| {
                    v["type"] == "state" && v["motion"]["result"]["voted"].as_u64().is_some()
                })
                .await;
            let counted = result.map_or(0, |(_, v)| {
                v["motion"]["result"]["voted"].as_u64().unwrap_or(0)
            });
            let want = t.vote_acked[k];
            out.lost += want.saturating_sub(counted);
            out.duplicated += counted.saturating_sub(want);
        }
    }
    let cpu1 = cpu();
    if let (Some(a), Some(b)) = (rss0, rss1) {
        out.rss_per_member_kib = Some(b.saturating_sub(a) as f64 / out.joined.max(1) as f64);
        out.server_rss_mib = Some(b as f64 / 1024.0);
    }
    if let (Some(a), Some(b)) = (cpu0, cpu1) {
        out.server_cpu_s = Some(b - a);
    }
    out.lost += (n - out.joined) as u64;
    stop.cancel();
    for c in hosts.iter().chain(screens.iter()) {
        c.close();
    }
    Ok(out)
}

fn report(args: &Args, h: &Measured, b: Option<&Measured>) {
    let joins_per_s = |m: &Measured| {
        if m.join_s > 0.0 {
            m.joined as f64 / m.join_s
        } else {
            0.0
        }
    };
    if args.json {
        let mut v = json!({
            "members": args.members,
            "meetings": args.meetings,
            "nodes": args.nodes.unwrap_or(args.url.len().max(1)),
            "joined": h.joined,
            "joins_per_s": r1(joins_per_s(h)),
            "join_s": r1(h.join_s),
            "join_ack_p50_ms": r1(h.join_ack.ms(0.5)),
            "join_ack_p99_ms": r1(h.join_ack.ms(0.99)),
            "fanout_p50_ms": r1(h.fanout.ms(0.5)),
            "fanout_p95_ms": r1(h.fanout.ms(0.95)),
            "fanout_p99_ms": r1(h.fanout.ms(0.99)),
            "fanout_max_ms": r1(h.fanout.max_ms()),
            "answer_ack_p50_ms": r1(h.answer_ack.ms(0.5)),
            "answer_ack_p99_ms": r1(h.answer_ack.ms(0.99)),
            "ack_p50_ms": r1(h.vote_ack.ms(0.5)),
            "ack_p99_ms": r1(h.vote_ack.ms(0.99)),
            "vote_send_span_ms": r1(h.vote_send_span_ms),
            "tally_complete_ms": h.tally_complete_ms.map(r1),
            "lost": h.lost,
            "duplicated": h.duplicated,
            "rss_per_member_kib": h.rss_per_member_kib.map(r1),
            "server_rss_mib": h.server_rss_mib.map(r1),
            "server_cpu_s": h.server_cpu_s.map(r1),
            "failures": h.failures,
        });
        if let Some(b) = b {
            v["baseline_joins_per_s"] = json!(r1(joins_per_s(b)));
            v["baseline_fanout_p50_ms"] = json!(r1(b.fanout.ms(0.5)));
            v["baseline_fanout_p99_ms"] = json!(r1(b.fanout.ms(0.99)));
            v["baseline_ack_p50_ms"] = json!(r1(b.vote_ack.ms(0.5)));
            v["baseline_ack_p99_ms"] = json!(r1(b.vote_ack.ms(0.99)));
            v["baseline_rss_per_member_kib"] = json!(b.rss_per_member_kib.map(r1));
            v["baseline_server_cpu_s"] = json!(b.server_cpu_s.map(r1));
            v["baseline_lost"] = json!(b.lost);
        }
        println!("{v}");
        return;
    }
    let opt = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{:.1}", r1(v)));
    let ms = |x: f64| format!("{:.1}", r1(x));
    // (label, a figure of a run, whether the baseline has it).
    type Figure<'a> = Box<dyn Fn(&Measured) -> String + 'a>;
    let rows: Vec<(&str, Figure, bool)> = vec![
        ("joined", Box::new(|m| m.joined.to_string()), true),
        (
            "joins per second",
            Box::new(|m| format!("{:.0}", joins_per_s(m))),
            true,
        ),
        (
            "hello → welcome p50 (ms)",
            Box::new(|m| ms(m.join_ack.ms(0.5))),
            true,
        ),
        (
            "hello → welcome p99 (ms)",
            Box::new(|m| ms(m.join_ack.ms(0.99))),
            true,
        ),
        ("fan-out p50 (ms)", Box::new(|m| ms(m.fanout.ms(0.5))), true),
        (
            "fan-out p95 (ms)",
            Box::new(|m| ms(m.fanout.ms(0.95))),
            true,
        ),
        (
            "fan-out p99 (ms)",
            Box::new(|m| ms(m.fanout.ms(0.99))),
            true,
        ),
        (
            "fan-out max (ms)",
            Box::new(|m| ms(m.fanout.max_ms())),
            true,
        ),
        (
            "answer ack p50 (ms)",
            Box::new(|m| ms(m.answer_ack.ms(0.5))),
            true,
        ),
        (
            "answer ack p99 (ms)",
            Box::new(|m| ms(m.answer_ack.ms(0.99))),
            true,
        ),
        (
            "vote ack p50 (ms)",
            Box::new(|m| ms(m.vote_ack.ms(0.5))),
            true,
        ),
        (
            "vote ack p99 (ms)",
            Box::new(|m| ms(m.vote_ack.ms(0.99))),
            true,
        ),
        (
            "votes sent within (ms)",
            Box::new(|m| format!("{:.0}", m.vote_send_span_ms)),
            true,
        ),
        (
            "tally complete after last ack (ms)",
            Box::new(|m| opt(m.tally_complete_ms)),
            false,
        ),
        ("lost", Box::new(|m| m.lost.to_string()), true),
        (
            "counted twice",
            Box::new(|m| m.duplicated.to_string()),
            false,
        ),
        (
            "server RSS per member (KiB)",
            Box::new(|m| opt(m.rss_per_member_kib)),
            true,
        ),
        (
            "server RSS (MiB)",
            Box::new(|m| opt(m.server_rss_mib)),
            true,
        ),
        ("server CPU (s)", Box::new(|m| opt(m.server_cpu_s)), true),
    ];
    let nodes = args.nodes.unwrap_or(args.url.len().max(1));
    if nodes > 1 {
        println!(
            "handsup-load: {} members over {} meeting(s), {nodes} nodes",
            args.members, args.meetings
        );
    } else {
        println!(
            "handsup-load: {} members over {} meeting(s)",
            args.members, args.meetings
        );
    }
    println!(
        "{:<36} {:>10} {:>10}",
        "",
        "handsup",
        if b.is_some() { "baseline" } else { "" }
    );
    for (label, f, both) in &rows {
        let base = match b {
            Some(b) if *both => f(b),
            Some(_) => "-".into(),
            None => String::new(),
        };
        println!("{label:<36} {:>10} {base:>10}", f(h));
    }
    for f in h
        .failures
        .iter()
        .chain(b.iter().flat_map(|b| b.failures.iter()))
    {
        println!("  ! {f}");
    }
}

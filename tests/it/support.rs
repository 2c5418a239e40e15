//! Test support: a real server on 127.0.0.1:0 with a real database in a
//! temporary directory, and scripted websocket clients.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use handsup::clock::Clock;
use handsup::config::Config;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for something the server should send.
pub const WAIT: Duration = Duration::from_secs(10);

/// How long `until` polls a condition the server reaches on its own.
pub const POLL_BOUND: Duration = Duration::from_secs(30);

/// Polls `f` until it gives `Some`, for at most `POLL_BOUND`.
pub async fn until<T>(what: &str, mut f: impl AsyncFnMut() -> Option<T>) -> T {
    let start = std::time::Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(start.elapsed() < POLL_BOUND, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub const SECRET: &str = "test-host-secret";

/// Banks used by the tests (every question type, no reading time).
pub fn test_banks_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/banks")
}

pub struct TestServer {
    pub addr: std::net::SocketAddr,
    pub dir: PathBuf,
    /// The PostgreSQL database it keeps meetings in (none: SQLite in `dir`).
    pub database: Option<String>,
    _tmp: Option<tempfile::TempDir>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    pub http: reqwest::Client,
}

impl TestServer {
    pub async fn start() -> TestServer {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("data");
        let mut s = Self::start_in(&dir, None).await;
        s._tmp = Some(tmp);
        s
    }

    /// Starts in a new temporary directory with a configuration changed by
    /// `tweak` (settings the command line does not offer).
    #[allow(dead_code)] // Only some test modules use it.
    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> TestServer {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("data");
        let mut s = Self::try_start_at("127.0.0.1:0".parse().unwrap(), &dir, None, tweak)
            .await
            .expect("server starts");
        s._tmp = Some(tmp);
        s
    }

    /// Starts in a new temporary directory on the given store (a fresh
    /// PostgreSQL database, or SQLite).
    #[allow(dead_code)]
    pub async fn start_on(db: crate::pg::Db) -> TestServer {
        let url = db.url();
        Self::start_with(move |c| c.database = url).await
    }

    /// Starts with limits of its own (`docs/SECURITY.md`), e.g. short
    /// timeouts or caps that apply to loopback.
    #[allow(dead_code)]
    pub async fn start_guarded(guard: handsup::guard::GuardConfig) -> TestServer {
        Self::start_with(move |c| c.guard = guard).await
    }

    /// Starts on an existing data directory, optionally with a given clock.
    pub async fn start_in(dir: &Path, clock: Option<Arc<dyn Clock>>) -> TestServer {
        Self::try_start_in(dir, clock).await.expect("server starts")
    }

    /// Starts on an existing data directory, keeping meetings in the
    /// PostgreSQL database `database` (or, with `None`, SQLite in `dir`).
    #[allow(dead_code)]
    pub async fn start_in_db(
        dir: &Path,
        clock: Option<Arc<dyn Clock>>,
        database: Option<String>,
    ) -> TestServer {
        Self::try_start_at("127.0.0.1:0".parse().unwrap(), dir, clock, move |c| {
            c.database = database
        })
        .await
        .expect("server starts")
    }

    /// Stops gracefully and starts again on the same address and data, as
    /// after a server restart (pages reconnect to the same origin).
    #[allow(dead_code)] // The browser tests use it.
    pub async fn restart(self) -> TestServer {
        self.restart_with(None).await
    }

    /// Restarts on the same port and data, with the given clock.
    pub async fn restart_with(mut self, clock: Option<Arc<dyn Clock>>) -> TestServer {
        let addr = self.addr;
        let dir = self.dir.clone();
        let database = self.database.clone();
        let tmp = self._tmp.take();
        self.stop().await;
        let mut s = Self::try_start_at(addr, &dir, clock, move |c| c.database = database)
            .await
            .expect("server restarts on the same port");
        s._tmp = tmp;
        s
    }

    pub async fn try_start_in(
        dir: &Path,
        clock: Option<Arc<dyn Clock>>,
    ) -> anyhow::Result<TestServer> {
        Self::try_start_at("127.0.0.1:0".parse().unwrap(), dir, clock, |_| {}).await
    }

    /// Tries to start in `dir` with a configuration changed by `tweak`.
    #[allow(dead_code)]
    pub async fn try_start_at_with(
        dir: &Path,
        tweak: impl FnOnce(&mut Config),
    ) -> anyhow::Result<TestServer> {
        Self::try_start_at("127.0.0.1:0".parse().unwrap(), dir, None, tweak).await
    }

    async fn try_start_at(
        at: std::net::SocketAddr,
        dir: &Path,
        clock: Option<Arc<dyn Clock>>,
        tweak: impl FnOnce(&mut Config),
    ) -> anyhow::Result<TestServer> {
        // Server logs, when asked for with RUST_LOG.
        if std::env::var_os("RUST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
                .with_test_writer()
                .try_init();
        }
        let listener = tokio::net::TcpListener::bind(at).await?;
        let addr = listener.local_addr()?;
        let mut config = Config::new(dir.to_path_buf(), SECRET);
        config.public_url = Some(format!("http://{addr}"));
        config.bank_dirs = vec![test_banks_dir()];
        if let Some(c) = clock {
            config.clock = c;
        }
        tweak(&mut config);
        let database = config.database.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            handsup::run(
                listener,
                config,
                async move {
                    let _ = stopped.await;
                },
                move |_| {
                    let _ = ready_tx.send(());
                },
            )
            .await
        });
        if ready_rx.await.is_err() {
            // The server stopped before it was ready: report why.
            return Err(match task.await.expect("server task") {
                Err(e) => e,
                Ok(()) => anyhow::anyhow!("the server stopped before it was ready"),
            });
        }
        Ok(TestServer {
            addr,
            dir: dir.to_path_buf(),
            database,
            _tmp: None,
            stop: Some(stop),
            task: Some(task),
            http: reqwest::Client::new(),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Creates a meeting through the HTTP API, as the host console does.
    pub async fn create_meeting(&self, bank: &str) -> String {
        create_meeting_at(&self.http, self.addr, bank).await
    }

    /// `POST /api/meetings` with `wording` (`party` or `neutral`).
    pub async fn create_meeting_worded(&self, bank: &str, title: &str, wording: &str) -> String {
        let resp = self
            .http
            .post(self.url("/api/meetings"))
            .bearer_auth(SECRET)
            .json(&json!({"title": title, "bank": bank, "wording": wording}))
            .send()
            .await
            .expect("POST /api/meetings");
        assert_eq!(resp.status(), 201, "create meeting");
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["wording"], wording);
        body["pin"].as_str().expect("pin").to_string()
    }

    /// Uploads a roster file (CSV or XLSX bytes) with the host secret.
    pub async fn upload_roster(
        &self,
        pin: &str,
        file: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        self.http
            .post(self.url(&format!("/api/meetings/{pin}/roster")))
            .bearer_auth(SECRET)
            .body(file)
            .send()
            .await
            .expect("POST roster")
    }

    /// The roster with each member's personal join link.
    pub async fn roster(&self, pin: &str) -> Vec<Value> {
        let r: Value = self
            .http
            .get(self.url(&format!("/api/meetings/{pin}/roster")))
            .bearer_auth(SECRET)
            .send()
            .await
            .expect("GET roster")
            .json()
            .await
            .expect("json");
        r["roster"].as_array().expect("a roster").clone()
    }

    /// Graceful shutdown (as on SIGTERM); keeps the data directory.
    pub async fn stop(&mut self) -> Option<tempfile::TempDir> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.expect("server task").expect("server stops cleanly");
            // Stopped means the data directory is free for the next server.
            // Its lock goes with the last copy of the lock file's
            // descriptor, and a process another test forks holds copies of
            // this process's descriptors until it executes its program.
            // (A loop, not `until`: rustc does not yet see a future that
            // borrows an async closure's capture as `Send`, and tests spawn
            // `stop` on another task.)
            let lock = self.dir.join("handsup.lock");
            let start = std::time::Instant::now();
            while let Ok(f) = std::fs::OpenOptions::new().write(true).open(&lock) {
                if f.try_lock().is_ok() {
                    break;
                }
                assert!(
                    start.elapsed() < WAIT,
                    "the data directory is still locked {WAIT:?} after the server stopped"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        self._tmp.take()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// The real `handsup` binary, running as a child process.
pub struct Binary {
    pub child: std::process::Child,
    pub addr: std::net::SocketAddr,
    /// Everything the server wrote to stderr (its logs), as it arrives.
    pub logs: Arc<std::sync::Mutex<String>>,
}

impl Binary {
    /// Starts `sh -c "<prefix> exec handsup serve ..."` and waits for its
    /// "Listening on" line. `prefix` can set limits (e.g. `ulimit -f 64;`).
    pub fn start(dir: &Path, prefix: &str) -> Result<Binary, String> {
        Self::start_args(dir, prefix, &format!("--port 0 --host-secret {SECRET}"))
    }

    /// Starts `handsup serve` with `args` (at least `--port` and
    /// `--host-secret`) after the common ones.
    pub fn start_args(dir: &Path, prefix: &str, args: &str) -> Result<Binary, String> {
        use std::io::BufRead;
        let cmd = format!(
            "{prefix} exec '{}' serve --bind 127.0.0.1 --data '{}' --banks '{}' {args}",
            env!("CARGO_BIN_EXE_handsup"),
            dir.display(),
            test_banks_dir().display()
        );
        // Reaped by `Drop` (or `kill`) once it is a `Binary`.
        #[allow(clippy::zombie_processes)]
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn handsup");
        let logs = Arc::new(std::sync::Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("stderr");
        let sink = logs.clone();
        let reader = std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                let mut l = sink.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = std::io::BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let line = line.map_err(|e| e.to_string())?;
            if let Some(addr) = line.trim().strip_prefix("Listening on") {
                let addr = addr.trim().parse().expect("an address");
                // Keep draining stdout so the child never blocks on it.
                std::thread::spawn(move || for _ in lines {});
                return Ok(Binary { child, addr, logs });
            }
        }
        child.wait().expect("wait");
        reader.join().expect("stderr reader");
        Err(logs.lock().unwrap().clone())
    }

    /// Starts with meetings in the PostgreSQL database at `database` (the
    /// environment variable `HANDSUP_DATABASE_URL`), or in SQLite in `dir`.
    #[allow(dead_code)]
    pub fn start_db(dir: &Path, database: Option<&str>) -> Result<Binary, String> {
        match database {
            None => Self::start(dir, ""),
            Some(url) => Self::start(dir, &format!("export HANDSUP_DATABASE_URL='{url}';")),
        }
    }

    /// Creates a meeting through the HTTP API; returns its PIN.
    pub async fn create_meeting(&self, bank: &str) -> String {
        create_meeting_at(&reqwest::Client::new(), self.addr, bank).await
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("reap");
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A number the server's database answers to `sql` (no parameters), on
/// SQLite or PostgreSQL alike.
#[allow(dead_code)]
pub fn stored_count(server: &TestServer, sql: &str) -> i64 {
    match &server.database {
        None => rusqlite::Connection::open(server.dir.join("handsup.db"))
            .unwrap()
            .query_row(sql, [], |r| r.get(0))
            .unwrap(),
        Some(url) => crate::pg::query(url, sql)[0][0].parse().unwrap(),
    }
}

/// `POST /api/meetings` with the host secret; returns the new PIN. The
/// tests' meetings are cell meetings ("Sinh hoạt chi bộ …"): Party wording.
pub async fn create_meeting_at(
    http: &reqwest::Client,
    addr: std::net::SocketAddr,
    bank: &str,
) -> String {
    let resp = http
        .post(format!("http://{addr}/api/meetings"))
        .bearer_auth(SECRET)
        .json(&json!({"title": "Sinh hoạt chi bộ tháng 11", "bank": bank, "wording": "party"}))
        .send()
        .await
        .expect("POST /api/meetings");
    assert_eq!(resp.status(), 201, "create meeting");
    let body: Value = resp.json().await.expect("json");
    body["pin"].as_str().expect("pin").to_string()
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A scripted websocket client that remembers every frame it received.
pub struct Client {
    ws: Ws,
    /// Every frame received, in order.
    pub log: Vec<Value>,
    /// Frames received but not yet consumed by a `wait`.
    unread: std::collections::VecDeque<Value>,
    next_cid: u32,
    prefix: String,
    pub member: Option<u64>,
    pub token: Option<String>,
    /// Why the server closed the socket, if it did.
    pub closed: Option<(u16, String)>,
}

impl Client {
    pub async fn connect(server: &TestServer) -> Client {
        Self::connect_addr(server.addr).await
    }

    pub async fn connect_addr(addr: std::net::SocketAddr) -> Client {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
            .await
            .expect("websocket connects");
        Client::wrap(ws)
    }

    /// A client with a tiny receive buffer, for a phone that stops reading.
    pub async fn connect_slow(addr: std::net::SocketAddr) -> Client {
        let sock = tokio::net::TcpSocket::new_v4().expect("socket");
        sock.set_recv_buffer_size(4096)
            .expect("small receive buffer");
        let tcp = sock.connect(addr).await.expect("connect");
        let (ws, _) =
            tokio_tungstenite::client_async(format!("ws://{addr}/ws"), MaybeTlsStream::Plain(tcp))
                .await
                .expect("websocket connects");
        Client::wrap(ws)
    }

    pub fn wrap(ws: Ws) -> Client {
        Client {
            ws,
            log: Vec::new(),
            unread: Default::default(),
            next_cid: 0,
            prefix: String::new(),
            member: None,
            token: None,
            closed: None,
        }
    }

    /// A fresh cid: a random prefix per client (ids must never repeat for
    /// the same member or host, even across reconnects) and a counter.
    pub fn cid(&mut self) -> String {
        self.next_cid += 1;
        if self.prefix.is_empty() {
            self.prefix = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
        }
        format!("{}-{}", self.prefix, self.next_cid)
    }

    pub async fn send(&mut self, v: Value) {
        self.ws
            .send(Message::text(v.to_string()))
            .await
            .expect("send");
    }

    pub async fn send_raw(&mut self, m: Message) {
        self.ws.send(m).await.expect("send");
    }

    /// The next unread JSON frame; `None` once the server has closed the socket.
    pub async fn next(&mut self) -> Option<Value> {
        if let Some(v) = self.unread.pop_front() {
            return Some(v);
        }
        self.receive().await
    }

    /// A frame from the socket, logged.
    async fn receive(&mut self) -> Option<Value> {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "no frame within {WAIT:?}; received so far: {:#?}",
                        self.tail()
                    )
                });
            match msg {
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(&t).expect("server sends JSON");
                    self.log.push(v.clone());
                    return Some(v);
                }
                Some(Ok(Message::Close(f))) => {
                    self.closed = Some(
                        f.map(|f| (u16::from(f.code), f.reason.to_string()))
                            .unwrap_or((1005, String::new())),
                    );
                    return None;
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }

    fn tail(&self) -> Vec<&Value> {
        self.log.iter().rev().take(5).collect()
    }

    /// Waits for a frame that satisfies `pred`, consuming it and every
    /// frame before it.
    pub async fn wait(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            match self.next().await {
                Some(v) if pred(&v) => return v,
                Some(_) => continue,
                None => panic!(
                    "socket closed ({:?}) while waiting for {what}; last frames: {:#?}",
                    self.closed,
                    self.tail()
                ),
            }
        }
    }

    pub async fn wait_type(&mut self, ty: &str) -> Value {
        self.wait(ty, |v| v["type"] == ty).await
    }

    /// Waits for a `state` in `phase`.
    pub async fn wait_phase(&mut self, phase: &str) -> Value {
        self.wait(&format!("state {phase}"), |v| {
            v["type"] == "state" && v["phase"] == phase
        })
        .await
    }

    /// Waits for the frame that satisfies `pred`, consuming only that one:
    /// frames that arrived before it stay unread (a broadcast can arrive
    /// before the ack of the command that caused it).
    async fn take(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.unread.iter().position(&pred) {
            return self.unread.remove(i).expect("found");
        }
        loop {
            match self.receive().await {
                Some(v) if pred(&v) => return v,
                Some(v) => self.unread.push_back(v),
                None => panic!(
                    "socket closed ({:?}) while waiting for {what}; last frames: {:#?}",
                    self.closed,
                    self.tail()
                ),
            }
        }
    }

    /// Sends a command and waits for its ack (Ok) or error (Err).
    pub async fn command(&mut self, v: Value) -> Result<Value, Value> {
        self.command_until(v, &["ack", "welcome"]).await
    }

    /// Sends a vote and waits for its first answer: `ack`, or `received`
    /// for a secret ballot waiting in the box (its ack comes later).
    pub async fn ballot(&mut self, v: Value) -> Result<Value, Value> {
        self.command_until(v, &["ack", "received"]).await
    }

    /// Waits for the ack of a command sent before (a held secret ballot).
    pub async fn wait_ack(&mut self, cid: &str) -> Value {
        self.take(&format!("ack of {cid}"), |f| {
            f["type"] == "ack" && f["cid"] == cid
        })
        .await
    }

    /// Sends a command (with a new cid unless it has one) and waits for a
    /// reply to it of one of the `kinds`, or an error (Err).
    async fn command_until(&mut self, mut v: Value, kinds: &[&str]) -> Result<Value, Value> {
        let cid = match v.get("cid").and_then(|c| c.as_str()) {
            Some(c) => c.to_string(),
            None => {
                let c = self.cid();
                v["cid"] = json!(c);
                c
            }
        };
        self.send(v).await;
        let reply = self
            .take(&format!("reply to {cid}"), |f| {
                f["cid"] == cid.as_str()
                    && f["type"]
                        .as_str()
                        .is_some_and(|t| t == "error" || kinds.contains(&t))
            })
            .await;
        if reply["type"] == "error" {
            Err(reply)
        } else {
            Ok(reply)
        }
    }

    /// Expects an error with `code` for this command.
    pub async fn refused(&mut self, v: Value, code: &str) -> Value {
        match self.command(v).await {
            Err(e) => {
                assert_eq!(e["code"], code, "wrong error: {e}");
                e
            }
            Ok(a) => panic!("expected error {code}, got {a}"),
        }
    }

    pub async fn hello(&mut self, role: &str, pin: &str, extra: Value) -> Result<Value, Value> {
        let mut v = json!({"type": "hello", "protocol": 1, "role": role, "pin": pin});
        if let Value::Object(m) = extra {
            for (k, x) in m {
                v[k] = x;
            }
        }
        let r = self.command(v).await;
        if let Ok(w) = &r
            && role == "member"
        {
            self.member = w["member"]["id"].as_u64();
            self.token = w["member"]["token"].as_str().map(str::to_string);
        }
        r
    }

    /// Connects and joins as a member; waits for the first state.
    pub async fn member(server: &TestServer, pin: &str, name: &str) -> Client {
        let mut c = Client::connect(server).await;
        c.hello("member", pin, json!({"name": name}))
            .await
            .expect("member joins");
        c.wait_type("state").await;
        c
    }

    pub async fn host(server: &TestServer, pin: &str) -> Client {
        let mut c = Client::connect(server).await;
        c.hello("host", pin, json!({"secret": SECRET}))
            .await
            .expect("host joins");
        c.wait_type("state").await;
        c
    }

    pub async fn screen(server: &TestServer, pin: &str) -> Client {
        let mut c = Client::connect(server).await;
        c.hello("screen", pin, json!({}))
            .await
            .expect("screen joins");
        c.wait_type("state").await;
        c
    }

    /// Reads until the server closes the socket; returns the close code and reason.
    pub async fn until_closed(&mut self) -> (u16, String) {
        while self.next().await.is_some() {}
        self.closed.clone().unwrap_or((1006, String::new()))
    }
}

/// The stored events of every meeting, as the JSON bodies the store wrote,
/// in sequence order.
#[allow(dead_code)] // Only some test modules use it.
pub fn stored_event_bodies(conn: &rusqlite::Connection) -> Vec<String> {
    conn.prepare("SELECT body FROM events ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

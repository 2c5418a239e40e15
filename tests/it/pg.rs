//! A real PostgreSQL server for the tests: one per test binary, started on
//! first use from Debian's packages (`scripts/install-test-deps`), with
//! `initdb` in a temporary directory, a free loopback port and its socket
//! in that directory, as a user other than root. Each test gets a database
//! of its own. The server stops when the test binary exits (it is told by
//! the kernel: parent-death signal), and a later run removes the directory
//! of a run that could not.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The superuser the test cluster is created with (`initdb -U`).
const USER: &str = "handsup";
/// How long the server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Directories of test clusters start with this, in the temp directory.
const PREFIX: &str = "handsup-test-pg-";

/// Which store a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

impl Db {
    /// The `--database` URL for a new test: a fresh PostgreSQL database, or
    /// none (SQLite in the data directory).
    pub fn url(self) -> Option<String> {
        match self {
            Db::Sqlite => None,
            Db::Postgres => Some(database()),
        }
    }
}

struct Server {
    port: u16,
    dir: PathBuf,
    bin: PathBuf,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(1);
/// The postmaster's process id, once started.
static SERVER_PID: AtomicI32 = AtomicI32::new(0);

/// Stops the server when the test binary exits (fast shutdown: clients are
/// disconnected), waits for it, and removes its directory. Should the
/// binary be killed instead, the parent-death signal stops the server and
/// the next run removes the directory.
extern "C" fn stop_at_exit() {
    let pid = SERVER_PID.swap(0, Ordering::SeqCst);
    if pid <= 0 {
        return;
    }
    // SAFETY: signalling and reaping our own child.
    unsafe {
        libc::kill(pid, libc::SIGINT);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mut status = 0;
            let r = libc::waitpid(pid, &mut status, libc::WNOHANG);
            if r != 0 {
                break;
            }
            if Instant::now() > deadline {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let _ = std::fs::remove_dir_all(
        std::env::temp_dir().join(format!("{PREFIX}{}", std::process::id())),
    );
}

fn server() -> &'static Server {
    match SERVER.get_or_init(start) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

/// The loopback port of the shared test server.
#[allow(dead_code)]
pub fn port() -> u16 {
    server().port
}

/// The shared server's data directory (its WAL is under `pg_wal`).
#[allow(dead_code)]
pub fn data_dir() -> PathBuf {
    server().dir.join("data")
}

/// A PostgreSQL program of the installation the server runs (e.g. `pg_waldump`).
#[allow(dead_code)]
pub fn program(name: &str) -> PathBuf {
    server().bin.join(name)
}

/// The URL of `db` on the shared server.
pub fn url_of(db: &str) -> String {
    format!("postgres://{USER}@127.0.0.1:{}/{db}", server().port)
}

/// Creates a new, empty database and returns its URL.
pub fn database() -> String {
    let name = format!(
        "t{}_{}",
        std::process::id(),
        NEXT_DB.fetch_add(1, Ordering::Relaxed)
    );
    let sql = format!("CREATE DATABASE {name}");
    admin("postgres", &sql);
    url_of(&name)
}

/// Runs SQL as the superuser in database `db`, off any async runtime (the
/// client runs its own).
pub fn admin(db: &str, sql: &str) {
    let url = url_of(db);
    let sql = sql.to_string();
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
        c.batch_execute(&sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    })
    .join()
    .expect("admin statement");
}

/// Runs a query as the superuser in the database at `url` and returns every
/// row's columns as text (NULL as "NULL").
#[allow(dead_code)]
pub fn query(url: &str, sql: &str) -> Vec<Vec<String>> {
    let (url, sql) = (url.to_string(), sql.to_string());
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
        c.simple_query(&sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .into_iter()
            .filter_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) => Some(
                    (0..r.len())
                        .map(|i| r.get(i).unwrap_or("NULL").to_string())
                        .collect(),
                ),
                _ => None,
            })
            .collect()
    })
    .join()
    .expect("query")
}

/// The directory of PostgreSQL's server programs: `HANDSUP_PG_BIN`, else
/// Debian's newest `/usr/lib/postgresql/N/bin`, else `initdb` on PATH.
fn bin_dir() -> Result<PathBuf, String> {
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
            "PostgreSQL is not installed: the store tests start a PostgreSQL server of their own \
             and found no initdb (in /usr/lib/postgresql/*/bin or on PATH). \
             Run scripts/install-test-deps (or set HANDSUP_PG_BIN to the directory of initdb and postgres)."
                .to_string()
        })
}

/// The user the server runs as: this one, or when this is root (which
/// initdb refuses) the `postgres` user Debian's package creates, else
/// `nobody`.
fn run_as() -> Option<(u32, u32)> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    for name in [c"postgres", c"nobody"] {
        // SAFETY: a valid C string; the result is read at once, before any
        // other call could reuse the static buffer (tests start the
        // server once, under the OnceLock).
        let pw = unsafe { libc::getpwnam(name.as_ptr()) };
        if !pw.is_null() {
            // SAFETY: non-null, points at a passwd entry.
            let pw = unsafe { &*pw };
            return Some((pw.pw_uid, pw.pw_gid));
        }
    }
    Some((65534, 65534))
}

/// A command that runs as `user`, and is sent SIGINT (fast shutdown) when
/// the thread that started it ends.
fn command(program: &Path, user: Option<(u32, u32)>) -> Command {
    let mut cmd = Command::new(program);
    if let Some((uid, gid)) = user {
        cmd.uid(uid).gid(gid);
        // SAFETY: setgroups is async-signal-safe; an empty list drops root's
        // supplementary groups.
        unsafe {
            cmd.pre_exec(|| {
                libc::setgroups(0, std::ptr::null());
                Ok(())
            });
        }
    }
    // SAFETY: prctl is async-signal-safe. It runs after the change of user
    // (which would clear it), so it survives into the server.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd
}

/// Removes the directories of earlier runs whose process is gone.
fn remove_stale() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        // SAFETY: signal 0 only checks that the process exists.
        let alive = unsafe { libc::kill(pid, 0) } == 0
            || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
        if !alive {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn start() -> Result<Server, String> {
    let bin = bin_dir()?;
    remove_stale();
    let dir = std::env::temp_dir().join(format!("{PREFIX}{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let user = run_as();
    if let Some((uid, gid)) = user {
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
            .map_err(|e| format!("chown {}: {e}", dir.display()))?;
    }
    let data = dir.join("data");
    let out = command(&bin.join("initdb"), user)
        .args(["-D"])
        .arg(&data)
        .args([
            "-U",
            USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        ])
        .current_dir(&dir)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.join("initdb").display()))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    // The server must outlive every test: it is started from a thread that
    // never ends, so the parent-death signal comes only when the test
    // binary exits.
    let mut last = String::new();
    for _ in 0..3 {
        let port = free_port();
        let (tx, rx) = std::sync::mpsc::channel();
        let (bin2, dir2, data2) = (bin.clone(), dir.clone(), data.clone());
        std::thread::Builder::new()
            .name("test-postgres".into())
            .spawn(move || {
                let log = std::fs::File::create(dir2.join("server.log")).expect("server log");
                if let Some((uid, gid)) = user {
                    let _ = std::os::unix::fs::chown(dir2.join("server.log"), Some(uid), Some(gid));
                }
                let child = command(&bin2.join("postgres"), user)
                    .arg("-D")
                    .arg(&data2)
                    .args(["-p", &port.to_string(), "-k"])
                    .arg(&dir2)
                    .args([
                        "-c",
                        "listen_addresses=127.0.0.1",
                        "-c",
                        "max_connections=300",
                        "-c",
                        "fsync=off",
                        "-c",
                        "unix_socket_permissions=0700",
                    ])
                    .current_dir(&dir2)
                    .stdin(Stdio::null())
                    .stdout(log.try_clone().expect("log"))
                    .stderr(log)
                    .spawn();
                let child = match child {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = tx.send(Err(format!("cannot start postgres: {e}")));
                        return;
                    }
                };
                SERVER_PID.store(child.id() as i32, Ordering::SeqCst);
                let _ = tx.send(Ok(()));
                // This thread lives as long as the test binary; the server
                // is stopped and reaped by `stop_at_exit`.
                loop {
                    std::thread::park();
                }
            })
            .expect("spawn the postgres thread");
        rx.recv().expect("postgres thread")?;
        let started = Instant::now();
        let url = format!("postgres://{USER}@127.0.0.1:{port}/postgres");
        loop {
            let u = url.clone();
            // The client is dropped on that thread too (it has a runtime
            // of its own, which must not be dropped inside a test's).
            let ok = std::thread::spawn(move || {
                postgres::Client::connect(&u, postgres::NoTls).map(|_| ())
            })
            .join()
            .expect("connect thread");
            match ok {
                Ok(()) => {
                    // SAFETY: registers a plain function, once.
                    unsafe { libc::atexit(stop_at_exit) };
                    return Ok(Server { port, dir, bin });
                }
                Err(e) => last = e.to_string(),
            }
            let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
            if log.contains("could not bind") || log.contains("could not create any TCP/IP sockets")
            {
                last = log;
                break;
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(format!(
                    "the test PostgreSQL server did not accept connections within {START_TIMEOUT:?}: {last}\n{log}"
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    Err(format!("the test PostgreSQL server did not start: {last}"))
}

/// A PostgreSQL server of one test's own, to take away and bring back while
/// Handsup runs: `initdb` in a temporary directory, a free loopback port,
/// a non-root user. `stop_immediate` is `pg_ctl stop -m immediate` (the
/// server vanishes as in a crash: connections reset, no checkpoint);
/// `start_again` starts it on the same port and data directory. Stopped
/// and removed when dropped (and stopped, should the test binary die, by
/// the parent-death signal of the test's thread).
#[allow(dead_code)]
pub struct Private {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    bin: PathBuf,
    user: Option<(u32, u32)>,
    pub port: u16,
    child: Option<std::process::Child>,
}

#[allow(dead_code)]
impl Private {
    /// Creates and starts the server. Panics with what to install when
    /// PostgreSQL is missing.
    pub fn start() -> Private {
        let bin = bin_dir().unwrap_or_else(|e| panic!("{e}"));
        let tmp = tempfile::Builder::new()
            .prefix("handsup-private-pg-")
            .tempdir()
            .expect("temp dir");
        let dir = tmp.path().to_path_buf();
        let user = run_as();
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).expect("chown the temp dir");
        }
        let out = command(&bin.join("initdb"), user)
            .arg("-D")
            .arg(dir.join("data"))
            .args([
                "-U",
                USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ])
            .current_dir(&dir)
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let mut pg = Private {
            _tmp: tmp,
            dir,
            bin,
            user,
            port: free_port(),
            child: None,
        };
        pg.start_again();
        pg
    }

    /// The URL of database `db` on this server.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates database `name` and returns its URL.
    pub fn database(&self, name: &str) -> String {
        let url = self.url("postgres");
        let sql = format!("CREATE DATABASE {name}");
        std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
            c.batch_execute(&sql).expect("create database");
        })
        .join()
        .expect("create database");
        self.url(name)
    }

    /// Starts the server (again) on its port and data directory, and waits
    /// until it accepts connections.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "the private server is running");
        let log_path = self.dir.join("server.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .expect("server log");
        if let Some((uid, gid)) = self.user {
            let _ = std::os::unix::fs::chown(&log_path, Some(uid), Some(gid));
        }
        let child = command(&self.bin.join("postgres"), self.user)
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-p", &self.port.to_string(), "-k"])
            .arg(&self.dir)
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "unix_socket_permissions=0700",
            ])
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start postgres");
        self.child = Some(child);
        let started = Instant::now();
        loop {
            let url = self.url("postgres");
            let ok = std::thread::spawn(move || {
                postgres::Client::connect(&url, postgres::NoTls).map(|_| ())
            })
            .join()
            .expect("connect thread");
            match ok {
                Ok(()) => return,
                Err(e) if started.elapsed() > START_TIMEOUT => {
                    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                    panic!("the private PostgreSQL server did not start: {e}\n{log}");
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// `pg_ctl stop -m immediate`: the server quits at once, as in a
    /// crash (every connection reset), and is waited for.
    pub fn stop_immediate(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let out = command(&self.bin.join("pg_ctl"), self.user)
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["stop", "-m", "immediate", "-w"])
            .current_dir(&self.dir)
            .output()
            .expect("run pg_ctl");
        if !out.status.success() {
            eprintln!(
                "pg_ctl stop failed ({}): {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            let _ = child.kill();
        }
        child.wait().expect("reap postgres");
    }
}

impl Drop for Private {
    fn drop(&mut self) {
        self.stop_immediate();
    }
}

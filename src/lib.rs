//! Handsup: a self-hosted, real-time quiz and voting server for meetings.
//!
//! # A tour of the code
//!
//! A request's path through the server, top to bottom:
//!
//! - [`http`]: the routes. Pages and assets are embedded from `web/`; the
//!   JSON API creates meetings (`POST /api/meetings`) and lists banks.
//! - [`ws`]: one task per websocket. It validates frames (size, JSON, rate),
//!   forwards commands to the meeting's room, and writes what the room queues.
//! - [`protocol`]: the wire types of protocol v1, data only. `docs/PROTOCOL.md`
//!   is their contract.
//! - [`room`]: **one actor task per meeting** that alone owns its state. It
//!   turns commands into [`room::event`]s, applies them (`room::state`),
//!   hands them to the store, and acknowledges only once they are durable.
//!   Views are serialised once per change (`room::views`) and handed to each
//!   connection's bounded queue with `try_send`: a slow phone is dropped,
//!   never waited for.
//! - [`quiz`]: the quiz engine, a pure state machine with time passed in.
//! - [`meeting`]: the rest of a cell meeting, pure engines too: the agenda
//!   and its clock, opinions with moderation and upvotes, and the grading of
//!   the meeting; `room::meeting` wires them to the room.
//! - [`store`]: the `Store` trait and its two implementations, embedded
//!   SQLite (the default) and PostgreSQL (`--database`): a writer thread that
//!   group-commits every queued write in one transaction. After a crash,
//!   meetings are rebuilt by replaying their events.
//! - [`bank`]: the question-bank text format, parser and validator.
//! - [`tabular`]: spreadsheets read as hostile input (streamed, limits
//!   checked before allocating); [`roster`] builds on it.
//! - [`serve`] and [`guard`]: the accept loop with its timeouts, and the
//!   per-address limits (PIN guesses, connections, members);
//!   `docs/SECURITY.md` explains them.
//! - [`app`]: what the routes share: banks, the room registry (PIN → handle),
//!   the store.
//! - [`config`], [`clock`], [`auth`], [`qr`], [`text`]: command line, time,
//!   secrets, QR rendering and text folding.
//!
//! `docs/ARCHITECTURE.md` has the longer map.

pub mod app;
pub mod auth;
pub mod bank;
pub mod bank_import;
pub mod choice;
pub mod clock;
pub mod cluster;
pub mod config;
#[doc(hidden)]
pub mod fuzzing;
pub mod guard;
pub mod http;
pub mod meeting;
pub mod minutes;
pub mod outbox;
pub mod protocol;
pub mod qr;
pub mod quiz;
pub mod room;
pub mod roster;
pub mod serve;
pub mod store;
pub mod tabular;
pub mod text;
pub mod vote;
pub mod ws;

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::app::App;
use crate::config::Config;
use crate::room::RoomCtx;
use crate::store::{PgStore, SqliteStore, Store};

/// Crates whose debug and trace logs carry websocket frame contents; the
/// binary never lets them log below `info`.
pub const FRAME_LOGGERS: &[&str] = &["tungstenite", "tokio_tungstenite", "axum::extract::ws"];

/// How long shutdown waits for sockets and rooms before giving up on them.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// What a running server tells whoever started it.
#[derive(Clone, Debug)]
pub struct Started {
    pub addr: std::net::SocketAddr,
    pub public_url: String,
    pub banks: usize,
    pub meetings_resumed: usize,
}

/// Creates the data directory if needed and refuses one that holds someone
/// else's files (Handsup never writes into a directory it does not own).
pub fn check_data_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    let created = !dir.exists();
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    // Names, member tokens' hashes and votes: readable by this user only.
    #[cfg(unix)]
    if created {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    let ours = [
        store::DB_FILE,
        "handsup.db-wal",
        "handsup.db-shm",
        "handsup.lock",
        "host-secret",
    ];
    let has_db = dir.join(store::DB_FILE).exists();
    if !has_db {
        let foreign: Vec<String> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !ours.contains(&n.as_str()))
            .collect();
        if !foreign.is_empty() {
            anyhow::bail!(
                "{} is not a Handsup data directory (it holds {}). Choose an empty or new directory with --data.",
                dir.display(),
                foreign
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    Ok(())
}

/// Opens the data directory (see `check_data_dir`) and takes a lock so two
/// servers never share it.
pub fn open_data_dir(dir: &std::path::Path) -> anyhow::Result<std::fs::File> {
    check_data_dir(dir)?;
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let lock = opts
        .open(dir.join("handsup.lock"))
        .with_context(|| format!("cannot write in the data directory {}", dir.display()))?;
    lock.try_lock().map_err(|_| {
        anyhow::anyhow!(
            "another Handsup server is using {}; stop it first or choose another --data directory",
            dir.display()
        )
    })?;
    Ok(lock)
}

/// Creates an empty database file readable by this user only, if there is
/// none, so the database (and the WAL and shared-memory files SQLite
/// creates with the same permissions) is never readable by others, not
/// even for an instant. SQLite takes an empty file as a new database.
fn create_private(path: &std::path::Path) {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    match opts.open(path) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => tracing::warn!("cannot create {}: {e}", path.display()),
    }
}

/// Makes the database files readable by this user only, whatever the
/// directory they are in (SQLite gives the WAL and shared-memory files the
/// database file's permissions when it creates them), and warns when the
/// directory itself lets other users in.
pub fn make_private(dir: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for name in [
            store::DB_FILE,
            "handsup.db-wal",
            "handsup.db-shm",
            "handsup.lock",
            "host-secret",
        ] {
            let path = dir.join(name);
            if let Ok(meta) = std::fs::metadata(&path)
                && meta.permissions().mode() & 0o077 != 0
                && let Err(e) =
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            {
                tracing::warn!("cannot make {} private: {e}", path.display());
            }
        }
        if let Ok(meta) = std::fs::metadata(dir)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                "the data directory {} can be opened by other users of this machine \
                 (mode {:o}); its files are private, but `chmod 700 {}` is safer",
                dir.display(),
                meta.permissions().mode() & 0o777,
                dir.display()
            );
        }
    }
}

/// The host secret kept in the data directory, generated on first use.
pub fn host_secret_in(dir: &std::path::Path) -> anyhow::Result<String> {
    check_data_dir(dir)?;
    let path = dir.join("host-secret");
    match std::fs::read_to_string(&path) {
        Ok(s) if !s.trim().is_empty() => return Ok(s.trim().to_string()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
    let secret = auth::new_host_secret();
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    use std::io::Write as _;
    opts.open(&path)
        .and_then(|mut f| f.write_all(secret.as_bytes()))
        .with_context(|| format!("cannot save the host secret in {}", path.display()))?;
    Ok(secret)
}

/// Raises the open-file limit as far as allowed: every phone is a socket.
pub fn raise_fd_limit() {
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::warn!("cannot raise the open-file limit: {e}");
    }
}

/// Listens on `addr` with a deep accept queue: hundreds of phones scan the
/// QR code in the same second, and a full queue drops their connections
/// for a second (SYN retry) each.
pub fn listen(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(4096)
}

/// Socket options for every accepted connection: no Nagle delay (fan-out
/// latency), and a bounded send buffer so a phone that stops reading holds a
/// little kernel memory and is noticed soon (its queue fills and it is dropped).
fn tune_socket(tcp: &mut tokio::net::TcpStream) {
    let _ = tcp.set_nodelay(true);
    let _ = socket2::SockRef::from(&*tcp).set_send_buffer_size(SEND_BUFFER);
}

/// Kernel send buffer per connection.
const SEND_BUFFER: usize = 64 * 1024;

/// Runs the server on `listener` until `shutdown` completes, then closes
/// every socket with a reason, stops the rooms and flushes the store.
/// `on_start` is called once everything is ready.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
    on_start: impl FnOnce(&Started),
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    if let Some(node_url) = config.node_url.as_deref() {
        match config.database.as_deref() {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {}
            _ => anyhow::bail!(
                "--node-url needs --database postgres://... (or HANDSUP_DATABASE_URL): the nodes of a cluster share one PostgreSQL database. Without a cluster, leave --node-url out."
            ),
        }
        cluster::check_node_url(node_url)?;
        if config.lease < std::time::Duration::from_secs(2) {
            anyhow::bail!("--lease-seconds must be at least 2");
        }
    }
    let _lock = open_data_dir(&config.data_dir)?;
    let store: Arc<dyn Store> = match config.database.as_deref() {
        // A cluster's nodes share the database: each meeting is owned by
        // lease (src/cluster.rs) instead of the one-server lock.
        Some(url) if config.node_url.is_some() => {
            Arc::new(PgStore::open_shared(url).map_err(|e| anyhow::anyhow!("{e}"))?)
        }
        Some(url) => Arc::new(PgStore::open(url).map_err(|e| anyhow::anyhow!("{e}"))?),
        None => {
            create_private(&config.data_dir.join(store::DB_FILE));
            Arc::new(SqliteStore::open(&config.data_dir).map_err(|e| anyhow::anyhow!("{e}"))?)
        }
    };
    make_private(&config.data_dir);
    let token = CancellationToken::new();
    let tracker = TaskTracker::new();
    let public_url = config::public_url(config.public_url.as_deref(), addr.port());
    // Bank files are parsed off the async workers, like every file.
    let dirs = config.bank_dirs.clone();
    let banks = tokio::task::spawn_blocking(move || app::load_banks(&dirs))
        .await
        .context("loading the question banks failed")?;
    let ctx = RoomCtx {
        store: store.clone(),
        clock: config.clock.clone(),
        shutdown: token.clone(),
        host_secret: config.host_secret.clone().into(),
        secret_group: config.secret_group,
        members_per_client: config.guard.members_per_address,
    };
    let cluster = match (config.node_url.as_deref(), config.database.as_deref()) {
        (Some(node_url), Some(url)) => Some(Arc::new(
            cluster::Cluster::join(url, node_url, &config.host_secret, config.lease).await?,
        )),
        _ => None,
    };
    let mut app = App::new(
        config.host_secret.clone(),
        public_url.clone(),
        banks,
        store.clone(),
        ctx,
        tracker.clone(),
        Arc::new(guard::Guard::new(config.guard.clone())),
    )?;
    app.cluster = cluster.clone();
    let app = Arc::new(app);
    // A single server resumes every open meeting; a node those nobody
    // owns (the others keep theirs), then every second (`sweeper`).
    let cluster_stop = CancellationToken::new();
    let resumed = match &cluster {
        None => app.resume_meetings()?,
        Some(_) => {
            let n = cluster::sweep(&app).await;
            tokio::spawn(cluster::keeper(app.clone(), cluster_stop.clone()));
            tokio::spawn(cluster::sweeper(app.clone(), token.clone()));
            n
        }
    };
    on_start(&Started {
        addr,
        public_url,
        banks: app.banks.len(),
        meetings_resumed: resumed,
    });

    let stop = token.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = shutdown => {}
            _ = stop.cancelled() => {}
        }
        stop.cancel();
    });
    serve::serve(
        listener,
        http::router(app.clone()),
        app.guard.clone(),
        tracker.clone(),
        token.clone(),
        tune_socket,
    )
    .await;
    token.cancel();
    tracker.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("some connections did not close in time");
    }
    drop(app);
    store.close();
    if let Some(c) = cluster {
        // Everything is written: the meetings of this node may move now.
        cluster_stop.cancel();
        if let Err(e) = c.db.leave(&c.node).await {
            tracing::warn!(
                "could not hand this node's meetings over: {e}; other nodes take them once their leases run out"
            );
        }
        c.db.close();
    }
    Ok(())
}

//! Durable storage of meetings: the `Store` interface and its embedded
//! SQLite implementation.
//!
//! Rooms never wait on the disk: they hand a `Write` to `Store::submit` and go
//! on. One writer thread drains every write queued meanwhile into a single
//! transaction (group commit), commits it, and only then advances each room's
//! `Commit` watch; rooms release acknowledgements up to that sequence number.
//! So nothing is acknowledged before it is on disk, and a burst of thousands
//! of votes costs a handful of fsyncs. The write-ahead log is copied into
//! the database by a second thread (checkpoints), never by a commit: a
//! checkpoint writes and syncs the whole database file, and done inside a
//! commit (SQLite's default) it held every acknowledgement behind it. A server database (SPEC §7) would
//! implement the same trait.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::{oneshot, watch};

use crate::quiz::Millis;
use crate::room::event::Envelope;
use crate::room::state::MeetingConfig;

pub type MeetingId = i64;

/// Marks a database as Handsup's ("HSUP").
const APPLICATION_ID: i32 = 0x4853_5550;
/// Database file inside the data directory.
pub const DB_FILE: &str = "handsup.db";
/// Most writes the writer folds into one transaction.
const MAX_BATCH: usize = 20_000;
/// How often, at most, the checkpoint thread copies the log into the database
/// (each copy syncs the database file once).
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Schema migrations, in order; `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE meetings (
        id INTEGER PRIMARY KEY,
        pin TEXT NOT NULL,
        config TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        ended_at INTEGER
    );
    CREATE TABLE events (
        meeting INTEGER NOT NULL REFERENCES meetings(id),
        seq INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (meeting, seq)
    ) WITHOUT ROWID;
    -- Secret ballots: aggregate counts only, kept apart from who voted.
    CREATE TABLE secret_counts (
        meeting INTEGER NOT NULL,
        motion INTEGER NOT NULL,
        option INTEGER NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (meeting, motion, option)
    ) WITHOUT ROWID;
",
    "
    -- PINs of deleted meetings, kept from reuse for a day.
    CREATE TABLE deleted_pins (
        pin TEXT PRIMARY KEY,
        deleted_at INTEGER NOT NULL
    ) WITHOUT ROWID;
",
    "
    -- The last sign of life of a meeting with a question open: after a
    -- crash, time from then until the restart does not count.
    ALTER TABLE meetings ADD COLUMN alive_at INTEGER;
",
    "
    -- Banks uploaded from the host console: the parsed bank (JSON) that
    -- meetings copy, and the file as uploaded. One row per bank id; a new
    -- upload with the same id replaces it.
    CREATE TABLE banks (
        id TEXT PRIMARY KEY,
        filename TEXT NOT NULL,
        bank TEXT NOT NULL,
        original BLOB NOT NULL,
        uploaded_at INTEGER NOT NULL
    );
",
];

/// How long a deleted meeting's PIN is not handed out again.
pub const DELETED_PIN_HOLD_MS: Millis = 24 * 60 * 60 * 1000;

/// How far a meeting's events are durable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Commit {
    /// Highest sequence number committed.
    pub seq: u64,
    /// The store failed; nothing more will be committed.
    pub failed: bool,
}

/// One operation of a write.
#[derive(Debug)]
pub enum Op {
    CreateMeeting {
        id: MeetingId,
        config: Box<MeetingConfig>,
    },
    Event {
        meeting: MeetingId,
        env: Box<Envelope>,
    },
    /// Adds one to a secret ballot's count.
    SecretCount {
        meeting: MeetingId,
        motion: u32,
        option: u32,
    },
    MarkEnded {
        meeting: MeetingId,
        at: Millis,
    },
    /// The meeting is alive at `at` (written every second while a question
    /// is open).
    Alive {
        meeting: MeetingId,
        at: Millis,
    },
    /// Stores an uploaded bank, replacing one with the same id.
    SaveBank(Box<StoredBank>),
    /// Deletes an uploaded bank (meetings keep their copy).
    DeleteBank {
        id: String,
    },
    /// Moves the write-ahead log into the database and truncates it, so the
    /// log's history of page changes does not outlive a secret ballot.
    Checkpoint,
}

/// Operations committed together, and whom to tell.
pub struct Write {
    pub ops: Vec<Op>,
    /// The room's commit watch and the sequence number this write reaches.
    pub notify: Option<(Arc<watch::Sender<Commit>>, u64)>,
    pub reply: Option<oneshot::Sender<Result<(), String>>>,
}

/// An uploaded bank as stored: `bank` is the parsed bank, already encoded
/// (JSON), so the store needs nothing of the bank module.
#[derive(Debug, Clone)]
pub struct StoredBank {
    pub id: String,
    pub filename: String,
    pub bank: String,
    pub original: Vec<u8>,
    pub uploaded_at: Millis,
}

/// A meeting as loaded at start.
pub struct Loaded {
    pub id: MeetingId,
    pub config: MeetingConfig,
    pub events: Vec<Envelope>,
    /// (motion, option, count) of secret ballots.
    pub secret_counts: Vec<(u32, u32, u64)>,
    /// The last heartbeat written while a question was open.
    pub alive_at: Option<Millis>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the store has stopped after a write failure; restart the server")]
    Failed,
    #[error("{0}")]
    Open(String),
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// A stored meeting as the archive lists it.
#[derive(Clone, Debug)]
pub struct StoredMeeting {
    pub id: MeetingId,
    pub pin: String,
    pub title: String,
    pub created_at: Millis,
    pub ended_at: Option<Millis>,
}

/// What rooms and the HTTP layer need from storage.
pub trait Store: Send + Sync + 'static {
    /// Queues a write; never blocks on the disk.
    fn submit(&self, w: Write) -> Result<(), StoreError>;
    /// Writes queued and not yet committed (for back-pressure).
    fn backlog(&self) -> usize;
    /// Meetings that have not ended, with their events.
    fn load(&self) -> Result<Vec<Loaded>, StoreError>;
    /// Highest meeting id in use.
    fn max_meeting_id(&self) -> Result<MeetingId, StoreError>;
    /// Whether a PIN belongs to a stored meeting that has not ended.
    fn pin_in_use(&self, pin: &str) -> Result<bool, StoreError>;
    /// Uploaded banks, by id.
    fn load_banks(&self) -> Result<Vec<StoredBank>, StoreError>;
    /// Commits everything queued and stops the writer.
    fn close(&self);
    /// Every stored meeting, ended or not, newest first.
    fn meetings(&self) -> Result<Vec<StoredMeeting>, StoreError>;
    /// The newest meeting with this PIN, ended or not, with its events
    /// (committed so far) and secret counts; with `ended_at`.
    fn load_meeting(&self, pin: &str) -> Result<Option<(Loaded, Option<Millis>)>, StoreError>;
    /// Appends one event to an ended meeting no room runs (the minutes'
    /// details set after a restart): the next sequence number, in one
    /// transaction of its own.
    fn append_ended(&self, meeting: MeetingId, env: &Envelope) -> Result<u64, StoreError>;
    /// Deletes a meeting and all its data, and holds its PIN for a day.
    fn delete_meeting(&self, meeting: MeetingId, pin: &str, at: Millis) -> Result<(), StoreError>;
}

fn now_ms() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or_default()
}

/// The embedded SQLite store.
pub struct SqliteStore {
    path: PathBuf,
    tx: std::sync::Mutex<Option<mpsc::Sender<Write>>>,
    backlog: Arc<AtomicUsize>,
    failed: Arc<AtomicBool>,
    writer: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
    checkpointer: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Held by whoever checkpoints: a `TRUNCATE` (erasing deleted pages from
    /// the log) must not find the background copy running and give up.
    checkpointing: Arc<std::sync::Mutex<()>>,
}

fn open_conn(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

/// Explains an error met while opening, in terms of what to do.
fn open_error(path: &Path, what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Open(format!(
        "{}: {what} ({e}). Handsup will not touch this file. Move it away, or start with another --data directory.",
        path.display()
    ))
}

impl SqliteStore {
    /// Opens (or creates) the database in `dir`, checking that it is ours,
    /// readable, and not from a newer version, then migrates it.
    pub fn open(dir: &Path) -> Result<SqliteStore, StoreError> {
        let path = dir.join(DB_FILE);
        let existed = path.exists();
        let conn =
            open_conn(&path).map_err(|e| open_error(&path, "cannot open the database", e))?;
        if existed {
            let app_id: i32 = conn
                .query_row("PRAGMA application_id", [], |r| r.get(0))
                .map_err(|e| open_error(&path, "this is not a readable SQLite database", e))?;
            let version: i64 = conn
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(|e| open_error(&path, "cannot read the schema version", e))?;
            let tables: i64 = conn
                .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
                .map_err(|e| open_error(&path, "this is not a readable SQLite database", e))?;
            if app_id != APPLICATION_ID && (tables > 0 || version > 0) {
                return Err(open_error(
                    &path,
                    "this database belongs to another program",
                    format!("application id {app_id:#x}"),
                ));
            }
            if version > MIGRATIONS.len() as i64 {
                return Err(StoreError::Open(format!(
                    "{}: written by a newer Handsup (schema version {version}, this one knows {}). Upgrade Handsup; this version will not modify the file.",
                    path.display(),
                    MIGRATIONS.len()
                )));
            }
            let check: String = conn
                .query_row("PRAGMA quick_check", [], |r| r.get(0))
                .map_err(|e| open_error(&path, "the database is damaged", e))?;
            if check != "ok" {
                return Err(open_error(&path, "the database is damaged", check));
            }
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| open_error(&path, "cannot switch to write-ahead logging", e))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "secure_delete", "ON")?;
        // Commits only append to the log; the checkpoint thread copies it.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrate(&conn).map_err(|e| match e {
            StoreError::Sql(e) => StoreError::Open(format!(
                "{}: cannot write the database ({e}). Check free disk space and permissions.",
                path.display()
            )),
            e => e,
        })?;

        let (tx, rx) = mpsc::channel::<Write>();
        let backlog = Arc::new(AtomicUsize::new(0));
        let failed = Arc::new(AtomicBool::new(false));
        let checkpointing = Arc::new(std::sync::Mutex::new(()));
        let (nudge, nudged) = mpsc::sync_channel::<()>(1);
        let checkpointer = {
            let conn = open_conn(&path)?;
            conn.pragma_update(None, "synchronous", "FULL")?;
            let lock = checkpointing.clone();
            std::thread::Builder::new()
                .name("handsup-checkpoint".into())
                .spawn(move || checkpoint_loop(&conn, &nudged, &lock))
                .expect("spawn checkpoint thread")
        };
        let writer = {
            let (backlog, failed, lock) = (backlog.clone(), failed.clone(), checkpointing.clone());
            std::thread::Builder::new()
                .name("handsup-writer".into())
                .spawn(move || writer_loop(conn, rx, &backlog, &failed, &nudge, &lock))
                .expect("spawn writer thread")
        };
        Ok(SqliteStore {
            path,
            tx: std::sync::Mutex::new(Some(tx)),
            backlog,
            failed,
            writer: std::sync::Mutex::new(Some(writer)),
            checkpointer: std::sync::Mutex::new(Some(checkpointer)),
            checkpointing,
        })
    }

    fn reader(&self) -> Result<Connection, StoreError> {
        let conn = open_conn(&self.path)?;
        Ok(conn)
    }
}

fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.commit()?;
    }
    Ok(())
}

fn write_batch(conn: &mut Connection, batch: &[Write]) -> Result<bool, rusqlite::Error> {
    let tx = conn.transaction()?;
    let mut checkpoint = false;
    {
        let mut ins_event =
            tx.prepare_cached("INSERT INTO events (meeting, seq, body) VALUES (?1, ?2, ?3)")?;
        let mut ins_count = tx.prepare_cached(
            "INSERT INTO secret_counts (meeting, motion, option, count) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT (meeting, motion, option) DO UPDATE SET count = count + 1",
        )?;
        for w in batch {
            for op in &w.ops {
                match op {
                    Op::CreateMeeting { id, config } => {
                        tx.execute(
                            "INSERT INTO meetings (id, pin, config, created_at) VALUES (?1, ?2, ?3, ?4)",
                            params![
                                id,
                                config.pin,
                                serde_json::to_string(config).expect("config serialises"),
                                config.created_at as i64
                            ],
                        )?;
                    }
                    Op::Event { meeting, env } => {
                        let body = serde_json::to_string(env).expect("events serialise");
                        ins_event.execute(params![meeting, env.seq as i64, body])?;
                    }
                    Op::SecretCount {
                        meeting,
                        motion,
                        option,
                    } => {
                        ins_count.execute(params![meeting, motion, option])?;
                    }
                    Op::MarkEnded { meeting, at } => {
                        tx.execute(
                            "UPDATE meetings SET ended_at = ?2 WHERE id = ?1",
                            params![meeting, *at as i64],
                        )?;
                    }
                    Op::Alive { meeting, at } => {
                        tx.execute(
                            "UPDATE meetings SET alive_at = ?2 WHERE id = ?1",
                            params![meeting, *at as i64],
                        )?;
                    }
                    Op::SaveBank(b) => {
                        tx.execute(
                            "INSERT OR REPLACE INTO banks (id, filename, bank, original, uploaded_at)
                             VALUES (?1, ?2, ?3, ?4, ?5)",
                            params![b.id, b.filename, b.bank, b.original, b.uploaded_at as i64],
                        )?;
                    }
                    Op::DeleteBank { id } => {
                        tx.execute("DELETE FROM banks WHERE id = ?1", [id])?;
                    }
                    Op::Checkpoint => checkpoint = true,
                }
            }
        }
    }
    tx.commit()?;
    Ok(checkpoint)
}

/// Copies the log into the database after commits, at most once every
/// `CHECKPOINT_EVERY`, beside the writer (a passive checkpoint never blocks
/// it). Ends when the writer does.
fn checkpoint_loop(conn: &Connection, nudged: &mpsc::Receiver<()>, lock: &std::sync::Mutex<()>) {
    let mut last: Option<std::time::Instant> = None;
    while nudged.recv().is_ok() {
        // Wait out the interval; commits meanwhile are copied at its end.
        if let Some(deadline) = last.map(|l| l + CHECKPOINT_EVERY) {
            while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
                if let Err(mpsc::RecvTimeoutError::Disconnected) = nudged.recv_timeout(left) {
                    return;
                }
            }
        }
        let started = std::time::Instant::now();
        let _held = lock.lock().unwrap_or_else(|e| e.into_inner());
        let r = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        });
        match r {
            Ok((log, copied)) => tracing::debug!(
                log,
                copied,
                ms = started.elapsed().as_secs_f64() * 1000.0,
                "checkpoint"
            ),
            Err(e) => tracing::debug!("checkpoint skipped: {e}"),
        }
        last = Some(std::time::Instant::now());
    }
}

fn writer_loop(
    mut conn: Connection,
    rx: mpsc::Receiver<Write>,
    backlog: &AtomicUsize,
    failed: &AtomicBool,
    nudge: &mpsc::SyncSender<()>,
    lock: &std::sync::Mutex<()>,
) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(w) => batch.push(w),
                Err(_) => break,
            }
        }
        let n = batch.len();
        let started = std::time::Instant::now();
        let result = if failed.load(Ordering::Acquire) {
            Err("an earlier write failed".to_string())
        } else {
            write_batch(&mut conn, &batch).map_err(|e| e.to_string())
        };
        tracing::debug!(
            writes = n,
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "group commit"
        );
        match &result {
            Ok(true) => {
                let _held = lock.lock().unwrap_or_else(|e| e.into_inner());
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
                    tracing::warn!("checkpoint failed: {e}");
                }
            }
            Ok(false) => {
                // Full: a copy is already due.
                let _ = nudge.try_send(());
            }
            Err(e) => {
                if !failed.swap(true, Ordering::AcqRel) {
                    tracing::error!(
                        "storage write failed: {e}. Meetings stop accepting input; free disk space and restart Handsup — everything acknowledged so far is safe."
                    );
                }
            }
        }
        for w in batch {
            if let Some((notify, seq)) = &w.notify {
                notify.send_if_modified(|c| match &result {
                    Ok(_) if *seq > c.seq => {
                        c.seq = *seq;
                        true
                    }
                    Ok(_) => false,
                    Err(_) => {
                        let changed = !c.failed;
                        c.failed = true;
                        changed
                    }
                });
            }
            if let Some(reply) = w.reply {
                let _ = reply.send(result.clone().map(|_| ()));
            }
        }
        backlog.fetch_sub(n, Ordering::AcqRel);
    }
}

impl Store for SqliteStore {
    fn submit(&self, w: Write) -> Result<(), StoreError> {
        if self.failed.load(Ordering::Acquire) {
            return Err(StoreError::Failed);
        }
        let guard = self.tx.lock().expect("store sender lock");
        let tx = guard.as_ref().ok_or(StoreError::Failed)?;
        self.backlog.fetch_add(1, Ordering::AcqRel);
        tx.send(w).map_err(|_| {
            self.backlog.fetch_sub(1, Ordering::AcqRel);
            StoreError::Failed
        })
    }

    fn backlog(&self) -> usize {
        self.backlog.load(Ordering::Acquire)
    }

    fn load(&self) -> Result<Vec<Loaded>, StoreError> {
        let conn = self.reader()?;
        let mut stmt = conn.prepare(
            "SELECT id, config, alive_at FROM meetings WHERE ended_at IS NULL ORDER BY id",
        )?;
        let meetings = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::new();
        for (id, config, alive_at) in meetings {
            let mut loaded = load_one(&conn, id, &config)?;
            loaded.alive_at = alive_at.map(|a| a as Millis);
            out.push(loaded);
        }
        Ok(out)
    }

    fn max_meeting_id(&self) -> Result<MeetingId, StoreError> {
        let conn = self.reader()?;
        Ok(
            conn.query_row("SELECT coalesce(max(id), 0) FROM meetings", [], |r| {
                r.get(0)
            })?,
        )
    }

    fn pin_in_use(&self, pin: &str) -> Result<bool, StoreError> {
        let conn = self.reader()?;
        Ok(conn
            .query_row(
                "SELECT 1 FROM meetings WHERE pin = ?1 AND ended_at IS NULL
                 UNION ALL SELECT 1 FROM deleted_pins WHERE pin = ?1 AND deleted_at > ?2",
                params![pin, now_ms().saturating_sub(DELETED_PIN_HOLD_MS) as i64],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    fn meetings(&self) -> Result<Vec<StoredMeeting>, StoreError> {
        let conn = self.reader()?;
        let mut stmt = conn.prepare(
            "SELECT id, pin, json_extract(config, '$.title'), created_at, ended_at
             FROM meetings ORDER BY created_at DESC, id DESC",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(StoredMeeting {
                    id: r.get(0)?,
                    pin: r.get(1)?,
                    title: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    created_at: r.get::<_, i64>(3)? as Millis,
                    ended_at: r.get::<_, Option<i64>>(4)?.map(|t| t as Millis),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    fn load_banks(&self) -> Result<Vec<StoredBank>, StoreError> {
        let conn = self.reader()?;
        let mut stmt = conn
            .prepare("SELECT id, filename, bank, original, uploaded_at FROM banks ORDER BY id")?;
        let rows = stmt
            .query_map([], |r| {
                Ok(StoredBank {
                    id: r.get(0)?,
                    filename: r.get(1)?,
                    bank: r.get(2)?,
                    original: r.get(3)?,
                    uploaded_at: r.get::<_, i64>(4)? as Millis,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    fn load_meeting(&self, pin: &str) -> Result<Option<(Loaded, Option<Millis>)>, StoreError> {
        let conn = self.reader()?;
        let row = conn
            .query_row(
                "SELECT id, config, ended_at FROM meetings WHERE pin = ?1 ORDER BY id DESC LIMIT 1",
                [pin],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<i64>>(2)?,
                    ))
                },
            )
            .optional()?;
        let Some((id, config, ended_at)) = row else {
            return Ok(None);
        };
        let loaded = load_one(&conn, id, &config)?;
        Ok(Some((loaded, ended_at.map(|t| t as Millis))))
    }

    fn append_ended(&self, meeting: MeetingId, env: &Envelope) -> Result<u64, StoreError> {
        let mut conn = self.reader()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let last: i64 = tx.query_row(
            "SELECT coalesce(max(seq), 0) FROM events WHERE meeting = ?1",
            [meeting],
            |r| r.get(0),
        )?;
        let mut env = env.clone();
        env.seq = last as u64 + 1;
        let body = serde_json::to_string(&env).expect("events serialise");
        tx.execute(
            "INSERT INTO events (meeting, seq, body) VALUES (?1, ?2, ?3)",
            params![meeting, env.seq as i64, body],
        )?;
        tx.commit()?;
        Ok(env.seq)
    }

    fn delete_meeting(&self, meeting: MeetingId, pin: &str, at: Millis) -> Result<(), StoreError> {
        let mut conn = self.reader()?;
        // Overwrite what is deleted, as the writer does.
        conn.pragma_update(None, "secure_delete", "ON")?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM events WHERE meeting = ?1", [meeting])?;
        tx.execute("DELETE FROM secret_counts WHERE meeting = ?1", [meeting])?;
        tx.execute("DELETE FROM meetings WHERE id = ?1", [meeting])?;
        tx.execute(
            "INSERT INTO deleted_pins (pin, deleted_at) VALUES (?1, ?2)
             ON CONFLICT (pin) DO UPDATE SET deleted_at = ?2",
            params![pin, at as i64],
        )?;
        tx.commit()?;
        // Nor does the log keep the deleted pages.
        let _held = self.checkpointing.lock().unwrap_or_else(|e| e.into_inner());
        let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        Ok(())
    }

    fn close(&self) {
        drop(self.tx.lock().expect("store sender lock").take());
        if let Some(h) = self.writer.lock().expect("writer lock").take() {
            let _ = h.join();
        }
        if let Some(h) = self.checkpointer.lock().expect("checkpointer lock").take() {
            let _ = h.join();
        }
    }
}

/// One meeting's configuration, events and secret counts.
fn load_one(conn: &Connection, id: MeetingId, config: &str) -> Result<Loaded, StoreError> {
    let config: MeetingConfig = serde_json::from_str(config)
        .map_err(|e| StoreError::Open(format!("meeting {id}: unreadable configuration ({e})")))?;
    let mut ev =
        conn.prepare_cached("SELECT seq, body FROM events WHERE meeting = ?1 ORDER BY seq")?;
    let events = ev
        .query_map([id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
        .map(|row| {
            let (seq, body) = row?;
            serde_json::from_str::<Envelope>(&body).map_err(|e| {
                StoreError::Open(format!(
                    "meeting {id}, event {seq}: unreadable ({e}); it may come from a newer Handsup"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut sc =
        conn.prepare_cached("SELECT motion, option, count FROM secret_counts WHERE meeting = ?1")?;
    let secret_counts = sc
        .query_map([id], |r| {
            Ok((
                r.get::<_, u32>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, i64>(2)? as u64,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Loaded {
        id,
        config,
        events,
        secret_counts,
        alive_at: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deleted_meetings_pin_is_held_for_a_day() {
        let tmp = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(tmp.path()).unwrap();
        assert!(!store.pin_in_use("482913").unwrap());
        store.delete_meeting(7, "482913", now_ms()).unwrap();
        assert!(store.pin_in_use("482913").unwrap(), "held after deletion");
        assert!(!store.pin_in_use("482914").unwrap());
        // Deleted more than a day ago: free again.
        store
            .delete_meeting(8, "111111", now_ms() - DELETED_PIN_HOLD_MS - 1000)
            .unwrap();
        assert!(!store.pin_in_use("111111").unwrap());
        store.close();
    }
}

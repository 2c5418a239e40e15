//! The embedded SQLite store: one file in the data directory, in WAL mode,
//! with `synchronous=FULL` and `secure_delete`.
//!
//! The write-ahead log is copied into the database by a second thread
//! (checkpoints), never by a commit: a checkpoint writes and syncs the whole
//! database file, and done inside a commit (SQLite's default) it held every
//! acknowledgement behind it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};

use rusqlite::{Connection, OptionalExtension, params};

use super::{
    BatchWriter, DELETED_PIN_HOLD_MS, Fence, Landmark, Loaded, MeetingId, Op, SCHEMA_VERSION,
    Store, StoreError, StoredBank, StoredMeeting, Write, WriteError, Writer, landmark, now_ms,
};
use crate::quiz::Millis;
use crate::room::event::Envelope;
use crate::room::state::MeetingConfig;

/// Marks a database as Handsup's ("HSUP").
const APPLICATION_ID: i32 = 0x4853_5550;
/// Database file inside the data directory.
pub const DB_FILE: &str = "handsup.db";
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
    "
    -- Which node owns a meeting, until when, and the epoch its writes
    -- carry (several servers on one PostgreSQL database; on SQLite a
    -- single server, so the table stays empty unless leases are taken).
    CREATE TABLE meeting_leases (
        meeting INTEGER PRIMARY KEY,
        node TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    );
",
    "
    -- The nodes of a cluster (several servers on one PostgreSQL database;
    -- on SQLite a single server, so the table stays empty).
    CREATE TABLE nodes (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        secret_check TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        heartbeat_at INTEGER NOT NULL
    );
    -- Two meetings running at once never share a PIN.
    CREATE UNIQUE INDEX meetings_open_pin ON meetings (pin) WHERE ended_at IS NULL;
",
];

const _: () = assert!(MIGRATIONS.len() == SCHEMA_VERSION);

/// The embedded SQLite store.
pub struct SqliteStore {
    path: PathBuf,
    writer: Writer,
    checkpointer: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Held by whoever checkpoints: a `TRUNCATE` (erasing deleted pages from
    /// the log) must not find the background copy running and give up.
    checkpointing: Arc<std::sync::Mutex<()>>,
}

/// Page cache per connection, in KiB (see `open_conn`).
const CACHE_KIB: i64 = -256;

fn open_conn(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // A small page cache (negative: KiB). Writes append at the end of the
    // log and reads scan it once; SQLite's default of 2 MiB a connection
    // only grew the server's memory as the meeting's database grew.
    // (On a file that is not a database this fails; the checks that follow
    // say so with what to do.)
    let _ = conn.pragma_update(None, "cache_size", CACHE_KIB);
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
        let writer = Writer::spawn(SqliteWriter {
            conn,
            nudge,
            lock: checkpointing.clone(),
            untidy: false,
        });
        Ok(SqliteStore {
            path,
            writer,
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

/// Per write, whether its fence is stale: its meeting's lease has another
/// epoch (or none) inside the batch's transaction.
fn fenced(tx: &rusqlite::Transaction<'_>, batch: &[Write]) -> Result<Vec<bool>, rusqlite::Error> {
    let mut out = Vec::with_capacity(batch.len());
    for w in batch {
        out.push(match w.fence {
            None => false,
            Some(Fence { meeting, epoch }) => {
                let now: Option<i64> = tx
                    .query_row(
                        "SELECT epoch FROM meeting_leases WHERE meeting = ?1",
                        [meeting],
                        |r| r.get(0),
                    )
                    .optional()?;
                now != Some(epoch as i64)
            }
        });
    }
    Ok(out)
}

/// Per write, whether an earlier attempt at its batch committed it (see
/// `BatchWriter::write`).
fn committed(
    tx: &rusqlite::Transaction<'_>,
    batch: &[Write],
    stale: &[bool],
) -> Result<Vec<bool>, rusqlite::Error> {
    let mut out = Vec::with_capacity(batch.len());
    for (w, stale) in batch.iter().zip(stale) {
        out.push(match landmark(w).filter(|_| !stale) {
            Some(Landmark::Event(meeting, seq)) => tx
                .query_row(
                    "SELECT 1 FROM events WHERE meeting = ?1 AND seq = ?2",
                    params![meeting, seq as i64],
                    |_| Ok(()),
                )
                .optional()?
                .is_some(),
            Some(Landmark::Meeting(id)) => tx
                .query_row("SELECT 1 FROM meetings WHERE id = ?1", [id], |_| Ok(()))
                .optional()?
                .is_some(),
            None => false,
        });
    }
    Ok(out)
}

/// Whether SQLite failed for a reason that may pass (a full disk, an I/O
/// error, the file locked or not writable for a while): the writer keeps
/// the batch and tries again.
fn transient(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode::*;
    matches!(
        e.sqlite_error_code(),
        Some(DiskFull | SystemIoFailure | DatabaseBusy | DatabaseLocked | CannotOpen | ReadOnly)
    )
}

fn write_batch(
    conn: &mut Connection,
    batch: &[Write],
    again: bool,
) -> Result<(bool, Vec<bool>), rusqlite::Error> {
    let tx = conn.transaction()?;
    let mut checkpoint = false;
    let stale = fenced(&tx, batch)?;
    let done = if again {
        committed(&tx, batch, &stale)?
    } else {
        vec![false; batch.len()]
    };
    {
        let mut ins_event =
            tx.prepare_cached("INSERT INTO events (meeting, seq, body) VALUES (?1, ?2, ?3)")?;
        let mut ins_count = tx.prepare_cached(
            "INSERT INTO secret_counts (meeting, motion, option, count) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT (meeting, motion, option) DO UPDATE SET count = count + 1",
        )?;
        let todo = stale.iter().zip(&done).map(|(s, d)| !*s && !*d);
        for (w, _) in batch.iter().zip(todo).filter(|(_, t)| *t) {
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
    Ok((checkpoint, stale))
}

struct SqliteWriter {
    conn: Connection,
    /// Tells the checkpoint thread a commit is waiting to be copied; the
    /// thread ends when this (with the writer) is dropped.
    nudge: mpsc::SyncSender<()>,
    lock: Arc<std::sync::Mutex<()>>,
    /// A secret ballot closed and the log still holds frames of it (a
    /// reader kept it from being truncated): `tidy` tries again.
    untidy: bool,
}

impl SqliteWriter {
    /// Moves the write-ahead log into the database and truncates it; false
    /// if a reader kept it (after the busy timeout) or it failed.
    fn truncate_log(&mut self) -> bool {
        let _held = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        match self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                r.get::<_, i64>(0)
            }) {
            Ok(busy) => busy == 0,
            Err(e) => {
                tracing::warn!("checkpoint failed: {e}");
                false
            }
        }
    }
}

impl BatchWriter for SqliteWriter {
    fn write(&mut self, batch: &[Write], again: bool) -> Result<Vec<bool>, WriteError> {
        let (checkpoint, stale) = write_batch(&mut self.conn, batch, again).map_err(|e| {
            if transient(&e) {
                WriteError::Transient(e.to_string())
            } else {
                WriteError::Fatal(e.to_string())
            }
        })?;
        if checkpoint {
            self.untidy = !self.truncate_log();
        } else {
            // Full: a copy is already due.
            let _ = self.nudge.try_send(());
        }
        Ok(stale)
    }

    fn tidy(&mut self) -> bool {
        if self.untidy {
            self.untidy = !self.truncate_log();
        }
        !self.untidy
    }
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

impl Store for SqliteStore {
    fn submit(&self, w: Write) -> Result<(), StoreError> {
        self.writer.submit(w)
    }

    fn backlog(&self) -> usize {
        self.writer.backlog()
    }

    fn availability(&self) -> tokio::sync::watch::Receiver<bool> {
        self.writer.availability()
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
        tx.execute("DELETE FROM meeting_leases WHERE meeting = ?1", [meeting])?;
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
        self.writer.close();
        if let Some(h) = self.checkpointer.lock().expect("checkpointer lock").take() {
            let _ = h.join();
        }
    }

    fn take_lease(
        &self,
        meeting: MeetingId,
        node: &str,
        now: Millis,
        ttl: Millis,
    ) -> Result<Option<u64>, StoreError> {
        let conn = self.reader()?;
        Ok(conn
            .query_row(
                "INSERT INTO meeting_leases (meeting, node, epoch, expires_at) VALUES (?1, ?2, 1, ?4)
                 ON CONFLICT (meeting) DO UPDATE SET
                    epoch = CASE WHEN node = excluded.node AND expires_at > ?3
                                 THEN epoch ELSE epoch + 1 END,
                    node = excluded.node,
                    expires_at = excluded.expires_at
                 WHERE node = excluded.node OR expires_at <= ?3
                 RETURNING epoch",
                params![meeting, node, now as i64, now.saturating_add(ttl) as i64],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .map(|e| e as u64))
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

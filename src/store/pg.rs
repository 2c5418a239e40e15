//! The PostgreSQL store (`--database postgres://...`): the same tables and
//! migrations as SQLite, in a database of its own on a PostgreSQL server.
//!
//! The `postgres` client is synchronous and runs its own small runtime, so
//! it is only ever used from threads of its own, never from the async
//! workers: the writer thread (group commit, shared with SQLite) holds one
//! connection, a reader thread another, and `Store` calls that read hand a
//! job to the reader and wait for its answer, as SQLite reads wait on the
//! file.
//!
//! Secret ballots: PostgreSQL keeps more history than SQLite (every change
//! is a record in its write-ahead log, in order, and an updated row leaves
//! its old version behind until VACUUM), so a batch is written so that no
//! order inside it tells which ballot moved which count: every event row
//! first, then the secret counts of the whole batch added up, one row per
//! option, in the order of the options. See docs/SECURITY.md.

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::time::Duration;

use postgres::{Client, NoTls};

use super::{
    BatchWriter, DELETED_PIN_HOLD_MS, Fence, Landmark, Loaded, MeetingId, Op, SCHEMA_VERSION,
    Store, StoreError, StoredBank, StoredMeeting, Write, WriteError, Writer, landmark, now_ms,
};
use crate::quiz::Millis;
use crate::room::event::Envelope;
use crate::room::state::MeetingConfig;

/// Names the table that marks a database (a schema) as Handsup's and holds
/// its schema version.
const SCHEMA_TABLE: &str = "handsup_schema";

/// Serialises migrations of several servers starting at once ("HSUP").
const MIGRATION_LOCK: i64 = 0x4853_5550;

/// Held by the writer's connection while a server uses the database, so a
/// second server on the same database is refused ("HSUS"). Several nodes
/// on one database need meeting ownership (leases with an epoch), which
/// replaces this lock when it comes.
const SERVER_LOCK: i64 = 0x4853_5553;

/// How long connecting may take before the server gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Schema migrations, in order, with the same numbers and meaning as
/// SQLite's (`sqlite::MIGRATIONS`).
const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE meetings (
        id BIGINT PRIMARY KEY,
        pin TEXT NOT NULL,
        config TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        ended_at BIGINT
    );
    CREATE TABLE events (
        meeting BIGINT NOT NULL REFERENCES meetings(id),
        seq BIGINT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (meeting, seq)
    );
    -- Secret ballots: aggregate counts only, kept apart from who voted.
    CREATE TABLE secret_counts (
        meeting BIGINT NOT NULL,
        motion BIGINT NOT NULL,
        option BIGINT NOT NULL,
        count BIGINT NOT NULL,
        PRIMARY KEY (meeting, motion, option)
    );
",
    "
    -- PINs of deleted meetings, kept from reuse for a day.
    CREATE TABLE deleted_pins (
        pin TEXT PRIMARY KEY,
        deleted_at BIGINT NOT NULL
    );
",
    "
    -- The last sign of life of a meeting with a question open.
    ALTER TABLE meetings ADD COLUMN alive_at BIGINT;
",
    "
    -- Banks uploaded from the host console.
    CREATE TABLE banks (
        id TEXT PRIMARY KEY,
        filename TEXT NOT NULL,
        bank TEXT NOT NULL,
        original BYTEA NOT NULL,
        uploaded_at BIGINT NOT NULL
    );
",
    "
    -- Which node owns a meeting, until when, and the epoch its writes
    -- carry: a node whose lease was taken over cannot append.
    CREATE TABLE meeting_leases (
        meeting BIGINT PRIMARY KEY,
        node TEXT NOT NULL,
        epoch BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
    );
",
    "
    -- The nodes of a cluster (several servers on one database): where
    -- the others reach each one, a check value of its host secret (never
    -- the secret), and its last sign of life.
    CREATE TABLE nodes (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        secret_check TEXT NOT NULL,
        started_at BIGINT NOT NULL,
        heartbeat_at BIGINT NOT NULL
    );
    -- Two meetings running at once never share a PIN, whichever node
    -- created them.
    CREATE UNIQUE INDEX meetings_open_pin ON meetings (pin) WHERE ended_at IS NULL;
",
];

const _: () = assert!(MIGRATIONS.len() == SCHEMA_VERSION);

/// A job for the reader thread.
type Job = Box<dyn FnOnce(&mut Option<Client>) + Send>;

/// The PostgreSQL store.
pub struct PgStore {
    writer: Writer,
    reader: std::sync::Mutex<Option<mpsc::Sender<Job>>>,
    reader_thread: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// The URL without its password, for messages.
pub(super) fn describe(config: &postgres::Config) -> String {
    let user = config.get_user().unwrap_or("");
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config.get_dbname().unwrap_or(user);
    format!("postgres://{user}@{host}:{port}/{db}")
}

/// A database URL as it may be shown: without its password.
pub fn redact_url(url: &str) -> String {
    match url.parse::<postgres::Config>() {
        Ok(c) => describe(&c),
        Err(_) => "(the --database URL, unreadable)".to_string(),
    }
}

pub(super) fn connect(config: &postgres::Config) -> Result<Client, postgres::Error> {
    let mut client = config.connect(NoTls)?;
    // A node paused in the middle of a transaction (a stopped process, a
    // frozen machine) keeps its row locks, and the lease row it locked
    // would keep every other node from taking its meetings over for as
    // long as it stays paused. PostgreSQL ends such a session after 2 s
    // idle in a transaction (Handsup's transactions take milliseconds);
    // the paused node finds its connection gone when it wakes, and its
    // fenced writes are refused.
    client.batch_execute("SET idle_in_transaction_session_timeout = '2s'")?;
    Ok(client)
}

impl PgStore {
    /// Connects to the database at `url`, checks that it is Handsup's (or
    /// empty) and not of a newer schema, then migrates it. Blocks; safe to
    /// call from an async worker (the client runs on threads of its own).
    pub fn open(url: &str) -> Result<PgStore, StoreError> {
        Self::open_with(url, true)
    }

    /// Opens without the one-server lock: for nodes that share the
    /// database and own meetings by lease (`Store::take_lease`, and the
    /// fence on every write), and for tests of that.
    pub fn open_shared(url: &str) -> Result<PgStore, StoreError> {
        Self::open_with(url, false)
    }

    fn open_with(url: &str, alone: bool) -> Result<PgStore, StoreError> {
        let mut config: postgres::Config = url.parse().map_err(|e| {
            StoreError::Open(format!(
                "--database: not a PostgreSQL URL ({e}). Write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE."
            ))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("handsup");
        }
        let config2 = config.clone();
        let (writer_client, reader_client, started) = std::thread::spawn(move || {
            let config = config2;
            let at = describe(&config);
            let tls_required = config.get_ssl_mode() == postgres::config::SslMode::Require;
            let cannot = |e: postgres::Error| {
                if tls_required {
                    return StoreError::Open(format!(
                        "cannot connect to the database {at} ({e}): the URL asks for sslmode=require, and Handsup connects to PostgreSQL without TLS. Remove sslmode=require and keep the link to PostgreSQL on a private network or a tunnel (docs/DEPLOY.md, \"TLS to PostgreSQL\")."
                    ));
                }
                StoreError::Open(format!(
                    "cannot connect to the database {at} ({e}). Check that PostgreSQL is running there and that --database (or HANDSUP_DATABASE_URL) names the right server, user, password and database."
                ))
            };
            let mut writer = connect(&config).map_err(cannot)?;
            check_and_migrate(&mut writer, &at)?;
            let locked: bool = !alone
                || writer
                    .query_one("SELECT pg_try_advisory_lock($1)", &[&SERVER_LOCK])
                    .map_err(cannot)?
                    .get::<_, bool>(0);
            if !locked {
                return Err(StoreError::Open(format!(
                    "{at}: another Handsup server is using this database. Stop it first, or give this server a database of its own."
                )));
            }
            // A server stopped between a secret ballot's close and the
            // rewrite of its counts (`tidy`) left their old versions: the
            // writer rewrites the table when it starts if a count changed
            // since the table was last rewritten (a rewrite changes its row
            // in pg_class; an update writes a new row version).
            let started: Option<i64> = writer
                .query_opt(
                    "SELECT txid_current() WHERE EXISTS (
                        SELECT 1 FROM secret_counts WHERE age(xmin) < (
                            SELECT age(xmin) FROM pg_class WHERE oid = 'secret_counts'::regclass))",
                    &[],
                )
                .map_err(cannot)?
                .map(|r| r.get(0));
            let reader = connect(&config).map_err(cannot)?;
            Ok::<_, StoreError>((writer, reader, started))
        })
        .join()
        .map_err(|_| StoreError::Open("connecting to the database failed".into()))??;

        let (tx, rx) = mpsc::channel::<Job>();
        let writer_config = config.clone();
        let reader_thread = std::thread::Builder::new()
            .name("handsup-pg-reader".into())
            .spawn(move || {
                let mut client = Some(reader_client);
                while let Ok(job) = rx.recv() {
                    // A connection lost meanwhile is made again for the next job.
                    if client.as_ref().is_none_or(|c| c.is_closed()) {
                        client = connect(&config).ok();
                    }
                    job(&mut client);
                }
            })
            .expect("spawn reader thread");
        let mut writer = PgWriter {
            client: writer_client,
            config: writer_config,
            alone,
            untidy: None,
        };
        if let Some(xid) = started {
            writer.untidy(xid);
        }
        Ok(PgStore {
            writer: Writer::spawn(writer),
            reader: std::sync::Mutex::new(Some(tx)),
            reader_thread: std::sync::Mutex::new(Some(reader_thread)),
        })
    }

    /// Runs `f` on the reader's connection and waits for its answer.
    fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = mpsc::channel();
        let job: Job = Box::new(move |client| {
            let result = match client {
                Some(c) => f(c),
                None => Err(StoreError::Open(
                    "the database cannot be reached; check that PostgreSQL is running".into(),
                )),
            };
            let _ = tx.send(result);
        });
        self.reader
            .lock()
            .expect("reader lock")
            .as_ref()
            .ok_or(StoreError::Failed)?
            .send(job)
            .map_err(|_| StoreError::Failed)?;
        rx.recv().map_err(|_| StoreError::Failed)?
    }
}

/// Refuses a database that is not Handsup's or is of a newer schema, then
/// brings it up to date, under a lock so servers starting together take
/// turns.
fn check_and_migrate(client: &mut Client, at: &str) -> Result<(), StoreError> {
    let write_err = |e: postgres::Error| {
        StoreError::Open(format!(
            "{at}: cannot set up the database ({e}). The user needs the right to create tables in it (e.g. CREATE DATABASE handsup OWNER handsup)."
        ))
    };
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .map_err(write_err)?;
    let result = (|| {
        let ours: bool = client
            .query_one(
                "SELECT to_regclass(quote_ident(current_schema()) || '.' || $1) IS NOT NULL",
                &[&SCHEMA_TABLE],
            )
            .map_err(write_err)?
            .get(0);
        if !ours {
            let tables: Vec<String> = client
                .query(
                    "SELECT table_name::text FROM information_schema.tables
                     WHERE table_schema = current_schema() ORDER BY table_name",
                    &[],
                )
                .map_err(write_err)?
                .iter()
                .map(|r| r.get(0))
                .collect();
            if !tables.is_empty() {
                return Err(StoreError::Open(format!(
                    "{at}: this database belongs to another application (it holds the tables {}{}). Handsup will not touch it. Give Handsup a database of its own, e.g. CREATE DATABASE handsup.",
                    tables
                        .iter()
                        .take(3)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", "),
                    if tables.len() > 3 { ", ..." } else { "" }
                )));
            }
            client
                .batch_execute(&format!(
                    "CREATE TABLE {SCHEMA_TABLE} (
                        application TEXT NOT NULL,
                        version INTEGER NOT NULL
                    );
                    INSERT INTO {SCHEMA_TABLE} (application, version) VALUES ('handsup', 0);"
                ))
                .map_err(write_err)?;
        }
        let version: i32 = client
            .query_one(&format!("SELECT max(version) FROM {SCHEMA_TABLE}"), &[])
            .map_err(write_err)?
            .get::<_, Option<i32>>(0)
            .unwrap_or(0);
        if version as usize > SCHEMA_VERSION {
            return Err(StoreError::Open(format!(
                "{at}: written by a newer Handsup (schema version {version}, this one knows {SCHEMA_VERSION}). Upgrade Handsup; this version will not modify the database."
            )));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
            let mut tx = client.transaction().map_err(write_err)?;
            tx.batch_execute(sql).map_err(write_err)?;
            tx.execute(
                &format!("UPDATE {SCHEMA_TABLE} SET version = $1"),
                &[&(i as i32 + 1)],
            )
            .map_err(write_err)?;
            tx.commit().map_err(write_err)?;
        }
        Ok(())
    })();
    let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
    result
}

struct PgWriter {
    client: Client,
    /// To connect again after the connection was lost.
    config: postgres::Config,
    /// Holds `SERVER_LOCK` (a single server on the database).
    alone: bool,
    /// The secret counts' table is to be rewritten (`tidy`).
    untidy: Option<Untidy>,
}

/// Whether an error leaves the database worth trying again: the connection
/// is gone or the server cannot take the transaction now (shutting down,
/// starting, out of disk, a serialisation conflict), as opposed to a
/// statement the database refuses.
fn transient(client: &Client, e: &postgres::Error) -> bool {
    if client.is_closed() || e.is_closed() {
        return true;
    }
    let Some(code) = e.code() else {
        // No SQLSTATE: an I/O or protocol error on the connection.
        return true;
    };
    let c = code.code();
    c.starts_with("08") // connection exception
        || c.starts_with("53") // insufficient resources (disk full, too many connections)
        || c.starts_with("57P") // admin/crash shutdown, cannot connect now
        || c.starts_with("58") // system error (I/O)
        || c == "40001" // serialization failure
        || c == "40P01" // deadlock
        || c == "25006" // read-only transaction (a standby not yet promoted)
}

/// A rewrite of the secret counts' table still to do.
struct Untidy {
    /// The last transaction that may have left old versions of a count
    /// behind (a secret ballot's close, or the server's start).
    xid: i64,
    since: std::time::Instant,
    /// Whether the operator was told it is late.
    warned: bool,
}

/// How long old versions of the secret counts may wait for other sessions
/// before the operator is told which ones hold them.
const UNTIDY_WARN: Duration = Duration::from_secs(10);

impl PgWriter {
    /// Marks the secret counts' table for a rewrite once every transaction
    /// up to `xid` is invisible to all other sessions.
    fn untidy(&mut self, xid: i64) {
        match &mut self.untidy {
            Some(u) => u.xid = u.xid.max(xid),
            None => {
                self.untidy = Some(Untidy {
                    xid,
                    since: std::time::Instant::now(),
                    warned: false,
                })
            }
        }
    }

    /// Rewrites the secret counts' table once VACUUM is sure to drop every
    /// version that a transaction up to `xid` replaced; else returns what
    /// keeps them (none: rewritten). VACUUM keeps a version while a
    /// session of this database holds a snapshot from before it was
    /// replaced (`backend_xmin`), and a new snapshot, anywhere, starts
    /// that far back while any transaction from before is still running
    /// (`backend_xid`, in any database; a prepared transaction); a
    /// replication slot can hold it too. Once none of these reaches back
    /// to `xid`, none can appear: transaction ids only grow.
    fn vacuum_counts(&mut self, xid: i64) -> Result<Vec<String>, postgres::Error> {
        // xid's 32 bits; age() compares both ids on one reference.
        let holders = self.client.query(
            "WITH closed AS (SELECT age(($1 % 4294967296)::TEXT::XID) AS age)
             SELECT 'process ' || pid || ' (' || COALESCE(NULLIF(application_name, ''),
                    backend_type, 'database ' || datname, 'no database') || ')'
               FROM pg_stat_activity, closed
              WHERE pid <> pg_backend_pid()
                AND (age(backend_xid) >= closed.age
                  OR (age(backend_xmin) >= closed.age
                      AND (datname = current_database() OR datname IS NULL)))
             UNION ALL
             SELECT 'prepared transaction ' || gid FROM pg_prepared_xacts, closed
              WHERE age(transaction) >= closed.age
             UNION ALL
             SELECT 'replication slot ' || slot_name FROM pg_replication_slots, closed
              WHERE age(xmin) >= closed.age",
            &[&xid],
        )?;
        if !holders.is_empty() {
            return Ok(holders.iter().map(|r| r.get(0)).collect());
        }
        // Not behind a lock another session holds for long (autovacuum):
        // then again later.
        self.client.batch_execute("SET lock_timeout = '100ms'")?;
        let done = self.client.batch_execute("VACUUM FULL secret_counts");
        self.client.batch_execute("RESET lock_timeout")?;
        done.map(|_| Vec::new())
    }
}

/// Event rows waiting to be inserted together.
#[derive(Default)]
struct Events {
    meeting: Vec<i64>,
    seq: Vec<i64>,
    body: Vec<String>,
}

impl Events {
    fn flush(&mut self, tx: &mut postgres::Transaction<'_>) -> Result<(), postgres::Error> {
        if self.seq.is_empty() {
            return Ok(());
        }
        tx.execute(
            "INSERT INTO events (meeting, seq, body)
             SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::TEXT[])",
            &[&self.meeting, &self.seq, &self.body],
        )?;
        *self = Events::default();
        Ok(())
    }
}

impl PgWriter {
    /// Writes a batch in one transaction; whether a vacuum should follow,
    /// and per write whether it was fenced off.
    fn write_batch(
        &mut self,
        batch: &[Write],
        again: bool,
    ) -> Result<(Option<i64>, Vec<bool>), postgres::Error> {
        let mut tx = self.client.transaction()?;
        // Each fence is checked with the lease row locked (FOR SHARE) until
        // the commit: a takeover, which updates the row, waits for this
        // batch, and every batch after it sees the new epoch.
        let mut stale = Vec::with_capacity(batch.len());
        for w in batch {
            stale.push(match w.fence {
                None => false,
                Some(Fence { meeting, epoch }) => {
                    let now: Option<i64> = tx
                        .query_opt(
                            "SELECT epoch FROM meeting_leases WHERE meeting = $1 FOR SHARE",
                            &[&meeting],
                        )?
                        .map(|r| r.get(0));
                    now != Some(epoch as i64)
                }
            });
        }
        // After an attempt that failed at an unknown point: writes already
        // committed are left out (and count as committed).
        let mut done = vec![false; batch.len()];
        if again {
            for (i, w) in batch.iter().enumerate().filter(|(i, _)| !stale[*i]) {
                done[i] = match landmark(w) {
                    Some(Landmark::Event(meeting, seq)) => tx
                        .query_opt(
                            "SELECT 1 FROM events WHERE meeting = $1 AND seq = $2",
                            &[&meeting, &(seq as i64)],
                        )?
                        .is_some(),
                    Some(Landmark::Meeting(id)) => tx
                        .query_opt("SELECT 1 FROM meetings WHERE id = $1", &[&id])?
                        .is_some(),
                    None => false,
                };
            }
        }
        let mut events = Events::default();
        // Secret counts of the whole batch, added up and written last in
        // the order of (meeting, motion, option): nothing in the log's
        // order ties a count to a ballot.
        let mut counts: BTreeMap<(i64, i64, i64), i64> = BTreeMap::new();
        // A secret ballot closes in this batch, or did in an attempt at it
        // that committed: its counts' table is to be rewritten.
        let vacuum = batch
            .iter()
            .any(|w| w.ops.iter().any(|op| matches!(op, Op::Checkpoint)));
        let todo = stale.iter().zip(&done).map(|(s, d)| !*s && !*d);
        for (w, _) in batch.iter().zip(todo).filter(|(_, t)| *t) {
            for op in &w.ops {
                match op {
                    Op::Event { meeting, env } => {
                        events.meeting.push(*meeting);
                        events.seq.push(env.seq as i64);
                        events
                            .body
                            .push(serde_json::to_string(env).expect("events serialise"));
                        continue;
                    }
                    Op::SecretCount {
                        meeting,
                        motion,
                        option,
                    } => {
                        *counts
                            .entry((*meeting, *motion as i64, *option as i64))
                            .or_default() += 1;
                        continue;
                    }
                    Op::Checkpoint => continue,
                    _ => {}
                }
                // Other operations keep their place: a meeting is created
                // before its first events.
                events.flush(&mut tx)?;
                match op {
                    Op::CreateMeeting { id, config } => {
                        tx.execute(
                            "INSERT INTO meetings (id, pin, config, created_at) VALUES ($1, $2, $3, $4)",
                            &[
                                id,
                                &config.pin,
                                &serde_json::to_string(config).expect("config serialises"),
                                &(config.created_at as i64),
                            ],
                        )?;
                    }
                    Op::MarkEnded { meeting, at } => {
                        tx.execute(
                            "UPDATE meetings SET ended_at = $2 WHERE id = $1",
                            &[meeting, &(*at as i64)],
                        )?;
                    }
                    Op::Alive { meeting, at } => {
                        tx.execute(
                            "UPDATE meetings SET alive_at = $2 WHERE id = $1",
                            &[meeting, &(*at as i64)],
                        )?;
                    }
                    Op::SaveBank(b) => {
                        tx.execute(
                            "INSERT INTO banks (id, filename, bank, original, uploaded_at)
                             VALUES ($1, $2, $3, $4, $5)
                             ON CONFLICT (id) DO UPDATE SET filename = EXCLUDED.filename,
                                bank = EXCLUDED.bank, original = EXCLUDED.original,
                                uploaded_at = EXCLUDED.uploaded_at",
                            &[
                                &b.id,
                                &b.filename,
                                &b.bank,
                                &b.original,
                                &(b.uploaded_at as i64),
                            ],
                        )?;
                    }
                    Op::DeleteBank { id } => {
                        tx.execute("DELETE FROM banks WHERE id = $1", &[id])?;
                    }
                    Op::Event { .. } | Op::SecretCount { .. } | Op::Checkpoint => {}
                }
            }
        }
        events.flush(&mut tx)?;
        if !counts.is_empty() {
            let mut cols: [Vec<i64>; 4] = Default::default();
            for ((meeting, motion, option), n) in counts {
                cols[0].push(meeting);
                cols[1].push(motion);
                cols[2].push(option);
                cols[3].push(n);
            }
            tx.execute(
                "INSERT INTO secret_counts AS s (meeting, motion, option, count)
                 SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::BIGINT[], $4::BIGINT[])
                 ON CONFLICT (meeting, motion, option) DO UPDATE SET count = s.count + EXCLUDED.count",
                &[&cols[0], &cols[1], &cols[2], &cols[3]],
            )?;
        }
        let xid = if vacuum {
            Some(tx.query_one("SELECT txid_current()", &[])?.get(0))
        } else {
            None
        };
        tx.commit()?;
        Ok((xid, stale))
    }
}

impl BatchWriter for PgWriter {
    fn reconnect(&mut self) -> Result<(), WriteError> {
        let at = describe(&self.config);
        let mut client = connect(&self.config)
            .map_err(|e| WriteError::Transient(format!("cannot connect to {at}: {e}")))?;
        if self.alone {
            let locked: bool = client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&SERVER_LOCK])
                .map_err(|e| WriteError::Transient(e.to_string()))?
                .get(0);
            if !locked {
                return Err(WriteError::Fatal(format!(
                    "{at}: another Handsup server started on this database while the connection was lost. Stop one of them; restart this one."
                )));
            }
        }
        self.client = client;
        Ok(())
    }

    fn write(&mut self, batch: &[Write], again: bool) -> Result<Vec<bool>, WriteError> {
        let (closed, stale) = self.write_batch(batch, again).map_err(|e| {
            if transient(&self.client, &e) {
                WriteError::Transient(e.to_string())
            } else {
                WriteError::Fatal(e.to_string())
            }
        })?;
        if let Some(xid) = closed {
            self.untidy(xid);
        }
        Ok(stale)
    }

    /// A secret ballot closed: the counts' table is rewritten so the old
    /// versions of its rows (each an earlier state of the count) are gone
    /// from the database files, not just marked dead. After the close's
    /// ack, and again until no other session can still see them.
    fn tidy(&mut self) -> bool {
        let Some(u) = &self.untidy else {
            return true;
        };
        let xid = u.xid;
        match self.vacuum_counts(xid) {
            Ok(holders) if holders.is_empty() => {
                self.untidy = None;
                return true;
            }
            Ok(holders) => {
                let u = self.untidy.as_mut().expect("untidy");
                if !u.warned && u.since.elapsed() >= UNTIDY_WARN {
                    u.warned = true;
                    tracing::warn!(
                        "earlier states of a closed secret ballot's counts stay in the table secret_counts while these hold a transaction or snapshot from before the close: {}. Handsup removes them as soon as those end; end them (pg_terminate_backend) if they are stuck.",
                        holders.join(", ")
                    );
                }
            }
            Err(e) => tracing::debug!("rewriting the secret counts waits: {e}"),
        }
        false
    }
}

impl Store for PgStore {
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
        self.read(|c| {
            let rows = c.query(
                "SELECT id, config, alive_at FROM meetings WHERE ended_at IS NULL ORDER BY id",
                &[],
            )?;
            let mut out = Vec::new();
            for r in rows {
                let mut loaded = load_one(c, r.get(0), r.get(1))?;
                loaded.alive_at = r.get::<_, Option<i64>>(2).map(|a| a as Millis);
                out.push(loaded);
            }
            Ok(out)
        })
    }

    fn max_meeting_id(&self) -> Result<MeetingId, StoreError> {
        self.read(|c| {
            Ok(
                c.query_one("SELECT coalesce(max(id), 0)::BIGINT FROM meetings", &[])?
                    .get(0),
            )
        })
    }

    fn pin_in_use(&self, pin: &str) -> Result<bool, StoreError> {
        let pin = pin.to_string();
        self.read(move |c| {
            let since = now_ms().saturating_sub(DELETED_PIN_HOLD_MS) as i64;
            Ok(c.query_opt(
                "SELECT 1 FROM meetings WHERE pin = $1 AND ended_at IS NULL
                 UNION ALL SELECT 1 FROM deleted_pins WHERE pin = $1 AND deleted_at > $2
                 LIMIT 1",
                &[&pin, &since],
            )?
            .is_some())
        })
    }

    fn load_banks(&self) -> Result<Vec<StoredBank>, StoreError> {
        self.read(|c| {
            Ok(c.query(
                "SELECT id, filename, bank, original, uploaded_at FROM banks ORDER BY id",
                &[],
            )?
            .iter()
            .map(|r| StoredBank {
                id: r.get(0),
                filename: r.get(1),
                bank: r.get(2),
                original: r.get(3),
                uploaded_at: r.get::<_, i64>(4) as Millis,
            })
            .collect())
        })
    }

    fn take_lease(
        &self,
        meeting: MeetingId,
        node: &str,
        now: Millis,
        ttl: Millis,
    ) -> Result<Option<u64>, StoreError> {
        let node = node.to_string();
        self.read(move |c| {
            Ok(c.query_opt(
                "INSERT INTO meeting_leases AS l (meeting, node, epoch, expires_at)
                 VALUES ($1, $2, 1, $4)
                 ON CONFLICT (meeting) DO UPDATE SET
                    epoch = CASE WHEN l.node = EXCLUDED.node AND l.expires_at > $3
                                 THEN l.epoch ELSE l.epoch + 1 END,
                    node = EXCLUDED.node,
                    expires_at = EXCLUDED.expires_at
                 WHERE l.node = EXCLUDED.node OR l.expires_at <= $3
                 RETURNING l.epoch",
                &[
                    &meeting,
                    &node,
                    &(now as i64),
                    &(now.saturating_add(ttl) as i64),
                ],
            )?
            .map(|r| r.get::<_, i64>(0) as u64))
        })
    }

    fn close(&self) {
        self.writer.close();
        drop(self.reader.lock().expect("reader lock").take());
        if let Some(h) = self.reader_thread.lock().expect("reader lock").take() {
            let _ = h.join();
        }
    }

    fn meetings(&self) -> Result<Vec<StoredMeeting>, StoreError> {
        self.read(|c| {
            Ok(c.query(
                "SELECT id, pin, (config::jsonb) ->> 'title', created_at, ended_at
                 FROM meetings ORDER BY created_at DESC, id DESC",
                &[],
            )?
            .iter()
            .map(|r| StoredMeeting {
                id: r.get(0),
                pin: r.get(1),
                title: r.get::<_, Option<String>>(2).unwrap_or_default(),
                created_at: r.get::<_, i64>(3) as Millis,
                ended_at: r.get::<_, Option<i64>>(4).map(|t| t as Millis),
            })
            .collect())
        })
    }

    fn load_meeting(&self, pin: &str) -> Result<Option<(Loaded, Option<Millis>)>, StoreError> {
        let pin = pin.to_string();
        self.read(move |c| {
            let Some(r) = c.query_opt(
                "SELECT id, config, ended_at FROM meetings WHERE pin = $1 ORDER BY id DESC LIMIT 1",
                &[&pin],
            )?
            else {
                return Ok(None);
            };
            let loaded = load_one(c, r.get(0), r.get(1))?;
            Ok(Some((
                loaded,
                r.get::<_, Option<i64>>(2).map(|t| t as Millis),
            )))
        })
    }

    fn append_ended(&self, meeting: MeetingId, env: &Envelope) -> Result<u64, StoreError> {
        let mut env = env.clone();
        self.read(move |c| {
            let mut tx = c.transaction()?;
            // Appends to one meeting take turns.
            tx.execute(
                "SELECT 1 FROM meetings WHERE id = $1 FOR UPDATE",
                &[&meeting],
            )?;
            let last: i64 = tx
                .query_one(
                    "SELECT coalesce(max(seq), 0)::BIGINT FROM events WHERE meeting = $1",
                    &[&meeting],
                )?
                .get(0);
            env.seq = last as u64 + 1;
            let body = serde_json::to_string(&env).expect("events serialise");
            tx.execute(
                "INSERT INTO events (meeting, seq, body) VALUES ($1, $2, $3)",
                &[&meeting, &(env.seq as i64), &body],
            )?;
            tx.commit()?;
            Ok(env.seq)
        })
    }

    fn delete_meeting(&self, meeting: MeetingId, pin: &str, at: Millis) -> Result<(), StoreError> {
        let pin = pin.to_string();
        self.read(move |c| {
            let mut tx = c.transaction()?;
            tx.execute("DELETE FROM events WHERE meeting = $1", &[&meeting])?;
            tx.execute("DELETE FROM secret_counts WHERE meeting = $1", &[&meeting])?;
            tx.execute("DELETE FROM meetings WHERE id = $1", &[&meeting])?;
            tx.execute("DELETE FROM meeting_leases WHERE meeting = $1", &[&meeting])?;
            tx.execute(
                "INSERT INTO deleted_pins (pin, deleted_at) VALUES ($1, $2)
                 ON CONFLICT (pin) DO UPDATE SET deleted_at = EXCLUDED.deleted_at",
                &[&pin, &(at as i64)],
            )?;
            tx.commit()?;
            // The deleted rows' space is reclaimed now rather than whenever
            // autovacuum comes by.
            if let Err(e) = c.batch_execute("VACUUM events, secret_counts, meetings") {
                tracing::warn!("vacuum after deleting a meeting failed: {e}");
            }
            Ok(())
        })
    }
}

/// One meeting's configuration, events and secret counts.
pub(super) fn load_one(c: &mut Client, id: MeetingId, config: &str) -> Result<Loaded, StoreError> {
    let config: MeetingConfig = serde_json::from_str(config)
        .map_err(|e| StoreError::Open(format!("meeting {id}: unreadable configuration ({e})")))?;
    let events = c
        .query(
            "SELECT seq, body FROM events WHERE meeting = $1 ORDER BY seq",
            &[&id],
        )?
        .iter()
        .map(|r| {
            let seq: i64 = r.get(0);
            serde_json::from_str::<Envelope>(r.get(1)).map_err(|e| {
                StoreError::Open(format!(
                    "meeting {id}, event {seq}: unreadable ({e}); it may come from a newer Handsup"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let secret_counts = c
        .query(
            "SELECT motion, option, count FROM secret_counts WHERE meeting = $1",
            &[&id],
        )?
        .iter()
        .map(|r| {
            (
                r.get::<_, i64>(0) as u32,
                r.get::<_, i64>(1) as u32,
                r.get::<_, i64>(2) as u64,
            )
        })
        .collect();
    Ok(Loaded {
        id,
        config,
        events,
        secret_counts,
        alive_at: None,
    })
}

//! Durable storage of meetings: the `Store` interface and its two
//! implementations, embedded SQLite (the default, `sqlite`) and a
//! PostgreSQL server (`pg`, `--database postgres://...`).
//!
//! Rooms never wait on the disk: they hand a `Write` to `Store::submit` and go
//! on. One writer thread drains every write queued meanwhile into a single
//! transaction (group commit), commits it, and only then advances each room's
//! `Commit` watch; rooms release acknowledgements up to that sequence number.
//! So nothing is acknowledged before it is durable, and a burst of thousands
//! of votes costs a handful of commits. Both backends share that writer
//! (`Writer`); each supplies how a batch is written.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use tokio::sync::{oneshot, watch};

use crate::quiz::Millis;
use crate::room::event::Envelope;
use crate::room::state::MeetingConfig;

mod cluster_db;
mod pg;
mod sqlite;

pub use self::cluster_db::{ClusterDb, Located, NodeRow};
pub use self::pg::{PgStore, redact_url};
pub use self::sqlite::{DB_FILE, SqliteStore};

pub type MeetingId = i64;

/// Most writes the writer folds into one transaction.
const MAX_BATCH: usize = 20_000;

/// Schema versions both backends know: migration `n` has the same meaning
/// on SQLite and on PostgreSQL.
pub const SCHEMA_VERSION: usize = 6;

/// How long a deleted meeting's PIN is not handed out again.
pub const DELETED_PIN_HOLD_MS: Millis = 24 * 60 * 60 * 1000;

/// How far a meeting's events are durable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Commit {
    /// Highest sequence number committed.
    pub seq: u64,
    /// The store failed; nothing more will be committed.
    pub failed: bool,
    /// A write was refused because the meeting's lease has passed to
    /// another node (`FENCED`): the room must stop.
    pub fenced: bool,
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
    /// A secret ballot closed: SQLite moves the write-ahead log into the
    /// database and truncates it, PostgreSQL rewrites the secret counts'
    /// table, so that no earlier state of a count outlives the ballot.
    Checkpoint,
}

/// Operations committed together, and whom to tell.
pub struct Write {
    pub ops: Vec<Op>,
    /// The room's commit watch and the sequence number this write reaches.
    pub notify: Option<(Arc<watch::Sender<Commit>>, u64)>,
    pub reply: Option<oneshot::Sender<Result<(), String>>>,
    /// The lease this write is made under (several nodes on one database):
    /// the write is refused, alone, unless the meeting's lease still has
    /// this epoch when its batch commits. `None`: a single server, no lease.
    pub fence: Option<Fence>,
}

/// A node's lease on a meeting as its writes carry it: a node whose lease
/// was taken over (a higher epoch) can no longer write to the meeting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fence {
    pub meeting: MeetingId,
    pub epoch: u64,
}

/// Why a write was refused while the rest of its batch committed.
pub const FENCED: &str = "this server no longer holds the meeting's lease";

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
    #[error(
        "the database cannot be reached right now; Handsup keeps trying, try again once it is back"
    )]
    Unavailable,
    #[error("{0}")]
    Open(String),
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("database error: {0}")]
    Pg(#[from] postgres::Error),
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
    /// Whether the database takes writes now: false while it is out of
    /// reach and the writer keeps trying (rooms refuse input meanwhile with
    /// `database_unavailable`, and take it again when this turns true).
    fn availability(&self) -> watch::Receiver<bool> {
        watch::channel(true).1
    }
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
    /// Takes or renews `node`'s lease on `meeting` until `now + ttl`: the
    /// epoch its writes carry (`Fence`), or `None` while another node holds
    /// a lease that has not expired. Renewing keeps the epoch; taking over
    /// (from another node, or after expiry) raises it, which fences off
    /// every write still carrying the old one.
    fn take_lease(
        &self,
        meeting: MeetingId,
        node: &str,
        now: Millis,
        ttl: Millis,
    ) -> Result<Option<u64>, StoreError>;
}

fn now_ms() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or_default()
}

/// Why a batch was not committed.
#[derive(Debug)]
pub(crate) enum WriteError {
    /// The database is out of reach for now (connection lost, server
    /// restarting, disk full): the writer keeps the batch and tries again.
    Transient(String),
    /// Anything else: the store stops.
    Fatal(String),
}

/// What a backend's writer thread does with a batch: commits it in one
/// transaction, then does whatever must follow a commit (a checkpoint, a
/// vacuum). Returns, per write, whether it was fenced off (left out of the
/// transaction, see `Write::fence`).
///
/// `again`: an earlier attempt at this batch failed at a point not known
/// (a connection lost during `COMMIT` may have committed it), so writes
/// already in the database are left out and count as committed.
pub(crate) trait BatchWriter: Send + 'static {
    fn write(&mut self, batch: &[Write], again: bool) -> Result<Vec<bool>, WriteError>;
    /// Makes the connection again after a transient failure.
    fn reconnect(&mut self) -> Result<(), WriteError> {
        Ok(())
    }
    /// Work that follows commits but need not hold their acks (removing
    /// what a closed secret ballot left behind in the database): called
    /// when the writer starts, after each batch's acks are sent, and every
    /// `TIDY_AGAIN` while it returns false (not done yet: another session
    /// still holds what it would remove).
    fn tidy(&mut self) -> bool {
        true
    }
}

/// How often the writer tries again to tidy (`BatchWriter::tidy`).
const TIDY_AGAIN: std::time::Duration = std::time::Duration::from_millis(200);

/// The first pause before a failed batch is tried again; it doubles up to
/// `RETRY_MAX`.
const RETRY_FIRST: std::time::Duration = std::time::Duration::from_millis(200);
const RETRY_MAX: std::time::Duration = std::time::Duration::from_secs(5);
/// How long a server shutting down keeps trying to save what is queued
/// while the database is out of reach.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// The writer thread and its queue, shared by both backends.
pub(crate) struct Writer {
    tx: std::sync::Mutex<Option<mpsc::Sender<Write>>>,
    backlog: Arc<AtomicUsize>,
    failed: Arc<AtomicBool>,
    closing: Arc<AtomicBool>,
    /// Whether the database takes writes (false while the writer retries).
    available: Arc<watch::Sender<bool>>,
    thread: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// What the writer thread shares with the `Writer`.
struct Shared {
    backlog: Arc<AtomicUsize>,
    failed: Arc<AtomicBool>,
    closing: Arc<AtomicBool>,
    available: Arc<watch::Sender<bool>>,
}

impl Writer {
    pub(crate) fn spawn(w: impl BatchWriter) -> Writer {
        let (tx, rx) = mpsc::channel::<Write>();
        let shared = Shared {
            backlog: Arc::new(AtomicUsize::new(0)),
            failed: Arc::new(AtomicBool::new(false)),
            closing: Arc::new(AtomicBool::new(false)),
            available: Arc::new(watch::channel(true).0),
        };
        let writer = Writer {
            tx: std::sync::Mutex::new(Some(tx)),
            backlog: shared.backlog.clone(),
            failed: shared.failed.clone(),
            closing: shared.closing.clone(),
            available: shared.available.clone(),
            thread: std::sync::Mutex::new(None),
        };
        let thread = std::thread::Builder::new()
            .name("handsup-writer".into())
            .spawn(move || writer_loop(w, rx, &shared))
            .expect("spawn writer thread");
        *writer.thread.lock().expect("writer lock") = Some(thread);
        writer
    }

    pub(crate) fn submit(&self, w: Write) -> Result<(), StoreError> {
        if self.failed.load(Ordering::Acquire) {
            return Err(StoreError::Failed);
        }
        // A request waiting for its own answer (a new meeting, a bank) is
        // refused at once while the database is out of reach; a room's
        // writes queue (rooms refuse input meanwhile, see `availability`).
        if w.notify.is_none() && !*self.available.borrow() {
            return Err(StoreError::Unavailable);
        }
        let guard = self.tx.lock().expect("store sender lock");
        let tx = guard.as_ref().ok_or(StoreError::Failed)?;
        self.backlog.fetch_add(1, Ordering::AcqRel);
        tx.send(w).map_err(|_| {
            self.backlog.fetch_sub(1, Ordering::AcqRel);
            StoreError::Failed
        })
    }

    pub(crate) fn backlog(&self) -> usize {
        self.backlog.load(Ordering::Acquire)
    }

    pub(crate) fn availability(&self) -> watch::Receiver<bool> {
        self.available.subscribe()
    }

    pub(crate) fn close(&self) {
        self.closing.store(true, Ordering::Release);
        drop(self.tx.lock().expect("store sender lock").take());
        if let Some(h) = self.thread.lock().expect("writer lock").take() {
            let _ = h.join();
        }
    }
}

/// Commits one batch, trying again while the database is out of reach
/// (with a growing pause, logged once when it goes and once when it is
/// back). Gives up only on a fatal error, or at shutdown after
/// `CLOSE_GRACE`.
fn commit_batch(
    writer: &mut impl BatchWriter,
    batch: &[Write],
    shared: &Shared,
) -> Result<Vec<bool>, String> {
    let mut again = false;
    let mut pause = RETRY_FIRST;
    let mut down_since: Option<std::time::Instant> = None;
    let mut closing_since: Option<std::time::Instant> = None;
    let result = loop {
        if shared.failed.load(Ordering::Acquire) {
            break Err("an earlier write failed".to_string());
        }
        let attempt = writer.write(batch, again);
        let e = match attempt {
            Ok(fenced) => break Ok(fenced),
            Err(WriteError::Fatal(e)) => break Err(e),
            Err(WriteError::Transient(e)) => e,
        };
        again = true;
        if down_since.is_none() {
            down_since = Some(std::time::Instant::now());
            if shared.available.send_replace(false) {
                tracing::warn!(
                    "the database cannot be reached ({e}). Meetings stop accepting input until it is back; Handsup keeps trying and keeps {} write(s) waiting. Nothing acknowledged is lost.",
                    shared.backlog.load(Ordering::Acquire)
                );
            }
        } else {
            tracing::debug!("the database is still out of reach: {e}");
        }
        if shared.closing.load(Ordering::Acquire) {
            let since = *closing_since.get_or_insert_with(std::time::Instant::now);
            if since.elapsed() >= CLOSE_GRACE {
                break Err(format!(
                    "the database was still out of reach at shutdown ({e})"
                ));
            }
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(RETRY_MAX);
        match writer.reconnect() {
            Ok(()) => {}
            Err(WriteError::Fatal(e)) => break Err(e),
            Err(WriteError::Transient(e)) => {
                tracing::debug!("reconnecting to the database failed: {e}");
            }
        }
    };
    if let Some(since) = down_since
        && result.is_ok()
    {
        shared.available.send_replace(true);
        tracing::warn!(
            "the database is back after {:.1} s; meetings accept input again",
            since.elapsed().as_secs_f64()
        );
    }
    result
}

/// Tidies (`BatchWriter::tidy`); when to try again if work is left.
fn tidy(writer: &mut impl BatchWriter) -> Option<std::time::Instant> {
    (!writer.tidy()).then(|| std::time::Instant::now() + TIDY_AGAIN)
}

fn writer_loop(mut writer: impl BatchWriter, rx: mpsc::Receiver<Write>, shared: &Shared) {
    let (backlog, failed) = (&shared.backlog, &shared.failed);
    // When to tidy again, if the last try left work to do.
    let mut tidy_at = tidy(&mut writer);
    loop {
        let next = match tidy_at {
            None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
            Some(at) => rx.recv_timeout(at.saturating_duration_since(std::time::Instant::now())),
        };
        let first = match next {
            Ok(w) => w,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                tidy_at = tidy(&mut writer);
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(w) => batch.push(w),
                Err(_) => break,
            }
        }
        let n = batch.len();
        let started = std::time::Instant::now();
        let result = commit_batch(&mut writer, &batch, shared);
        tracing::debug!(
            writes = n,
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "group commit"
        );
        if let Err(e) = &result
            && !failed.swap(true, Ordering::AcqRel)
        {
            tracing::error!(
                "storage write failed: {e}. Meetings stop accepting input; fix the database (disk space, server) and restart Handsup — everything acknowledged so far is safe."
            );
        }
        let fenced = result.as_ref().ok().cloned().unwrap_or_default();
        for (i, w) in batch.into_iter().enumerate() {
            let was_fenced = fenced.get(i).copied().unwrap_or(false);
            let result = match &result {
                Ok(_) if was_fenced => Err(FENCED.to_string()),
                Ok(_) => Ok(()),
                Err(e) => Err(e.clone()),
            };
            if let Some((notify, seq)) = &w.notify {
                notify.send_if_modified(|c| match &result {
                    Ok(_) if *seq > c.seq => {
                        c.seq = *seq;
                        true
                    }
                    Ok(_) => false,
                    Err(_) if was_fenced => {
                        let changed = !c.fenced;
                        c.fenced = true;
                        changed
                    }
                    Err(_) => {
                        let changed = !c.failed;
                        c.failed = true;
                        changed
                    }
                });
            }
            if let Some(reply) = w.reply {
                let _ = reply.send(result);
            }
        }
        backlog.fetch_sub(n, Ordering::AcqRel);
        if tidy_at.is_none_or(|at| at <= std::time::Instant::now()) {
            tidy_at = tidy(&mut writer);
        }
    }
    // Shutting down: one last try.
    if tidy_at.is_some() {
        writer.tidy();
    }
}

/// The write's first operation that cannot be repeated, to tell whether an
/// attempt that failed at an unknown point committed it: its first event
/// (meeting, seq), else the meeting it creates. `None`: every operation of
/// the write can be repeated (heartbeats, banks, an end mark).
pub(crate) enum Landmark {
    Event(MeetingId, u64),
    Meeting(MeetingId),
}

pub(crate) fn landmark(w: &Write) -> Option<Landmark> {
    w.ops.iter().find_map(|op| match op {
        Op::Event { meeting, env } => Some(Landmark::Event(*meeting, env.seq)),
        Op::CreateMeeting { id, .. } => Some(Landmark::Meeting(*id)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A backend that fails (transiently) until `back` is set, then commits.
    struct Flaky {
        back: Arc<AtomicBool>,
        attempts: Arc<std::sync::Mutex<Vec<bool>>>,
    }

    impl BatchWriter for Flaky {
        fn write(&mut self, batch: &[Write], again: bool) -> Result<Vec<bool>, WriteError> {
            self.attempts.lock().unwrap().push(again);
            if !self.back.load(Ordering::Acquire) {
                return Err(WriteError::Transient("connection reset".into()));
            }
            Ok(vec![false; batch.len()])
        }
    }

    #[test]
    fn a_batch_that_meets_a_lost_database_is_kept_and_committed_when_it_is_back() {
        let attempts = Arc::new(std::sync::Mutex::new(Vec::new()));
        let back = Arc::new(AtomicBool::new(false));
        let writer = Writer::spawn(Flaky {
            back: back.clone(),
            attempts: attempts.clone(),
        });
        let mut available = writer.availability();
        let (notify, mut committed) = watch::channel(Commit::default());
        let notify = Arc::new(notify);
        writer
            .submit(Write {
                ops: vec![],
                notify: Some((notify.clone(), 7)),
                reply: None,
                fence: None,
            })
            .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            // Down, then back, then the write committed: never failed.
            available.changed().await.unwrap();
            assert!(!*available.borrow_and_update());
            // A request waiting for its answer is refused meanwhile.
            let (tx, _rx) = oneshot::channel();
            assert!(matches!(
                writer.submit(Write {
                    ops: vec![],
                    notify: None,
                    reply: Some(tx),
                    fence: None
                }),
                Err(StoreError::Unavailable)
            ));
            assert_eq!(committed.borrow().seq, 0, "not acknowledged meanwhile");
            back.store(true, Ordering::Release);
            available.changed().await.unwrap();
            assert!(*available.borrow_and_update());
            committed.wait_for(|c| c.seq == 7).await.unwrap();
            assert!(!committed.borrow().failed);
        });
        let attempts = attempts.lock().unwrap().clone();
        assert!(attempts.len() >= 2 && !attempts[0], "{attempts:?}");
        assert!(attempts[1..].iter().all(|a| *a), "tried again as such");
        writer.close();
    }

    /// A backend whose tidying is refused (`left` more times), and which
    /// reports each write and each try at tidying.
    struct Untidy {
        left: usize,
        seen: std::sync::mpsc::Sender<&'static str>,
    }

    impl BatchWriter for Untidy {
        fn write(&mut self, batch: &[Write], _again: bool) -> Result<Vec<bool>, WriteError> {
            self.seen.send("write").unwrap();
            self.left = 2;
            Ok(vec![false; batch.len()])
        }

        fn tidy(&mut self) -> bool {
            self.seen.send("tidy").unwrap();
            self.left = self.left.saturating_sub(1);
            self.left == 0
        }
    }

    #[test]
    fn tidying_follows_the_acks_and_is_tried_again_without_writes_until_done() {
        let (seen, saw) = std::sync::mpsc::channel();
        let writer = Writer::spawn(Untidy { left: 0, seen });
        let next = || {
            saw.recv_timeout(std::time::Duration::from_secs(10))
                .unwrap()
        };
        assert_eq!(next(), "tidy", "when it starts");
        let (reply, mut acked) = oneshot::channel();
        writer
            .submit(Write {
                ops: vec![],
                notify: None,
                reply: Some(reply),
                fence: None,
            })
            .unwrap();
        assert_eq!(next(), "write");
        assert_eq!(next(), "tidy", "after the batch");
        assert!(
            matches!(acked.try_recv(), Ok(Ok(()))),
            "the batch was acknowledged before"
        );
        // Refused once: tried again though nothing else is written, and
        // not again once done.
        assert_eq!(next(), "tidy");
        writer.close();
        assert!(saw.try_recv().is_err(), "nothing after it was done");
    }
}

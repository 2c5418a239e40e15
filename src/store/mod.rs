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

/// What a backend's writer thread does with a batch: commits it in one
/// transaction, then does whatever must follow a commit (a checkpoint, a
/// vacuum). Returns, per write, whether it was fenced off (left out of the
/// transaction, see `Write::fence`); an error stops the store.
pub(crate) trait BatchWriter: Send + 'static {
    fn write(&mut self, batch: &[Write]) -> Result<Vec<bool>, String>;
}

/// The writer thread and its queue, shared by both backends.
pub(crate) struct Writer {
    tx: std::sync::Mutex<Option<mpsc::Sender<Write>>>,
    backlog: Arc<AtomicUsize>,
    failed: Arc<AtomicBool>,
    thread: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Writer {
    pub(crate) fn spawn(w: impl BatchWriter) -> Writer {
        let (tx, rx) = mpsc::channel::<Write>();
        let backlog = Arc::new(AtomicUsize::new(0));
        let failed = Arc::new(AtomicBool::new(false));
        let thread = {
            let (backlog, failed) = (backlog.clone(), failed.clone());
            std::thread::Builder::new()
                .name("handsup-writer".into())
                .spawn(move || writer_loop(w, rx, &backlog, &failed))
                .expect("spawn writer thread")
        };
        Writer {
            tx: std::sync::Mutex::new(Some(tx)),
            backlog,
            failed,
            thread: std::sync::Mutex::new(Some(thread)),
        }
    }

    pub(crate) fn submit(&self, w: Write) -> Result<(), StoreError> {
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

    pub(crate) fn backlog(&self) -> usize {
        self.backlog.load(Ordering::Acquire)
    }

    pub(crate) fn close(&self) {
        drop(self.tx.lock().expect("store sender lock").take());
        if let Some(h) = self.thread.lock().expect("writer lock").take() {
            let _ = h.join();
        }
    }
}

fn writer_loop(
    mut writer: impl BatchWriter,
    rx: mpsc::Receiver<Write>,
    backlog: &AtomicUsize,
    failed: &AtomicBool,
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
            writer.write(&batch)
        };
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
    }
}

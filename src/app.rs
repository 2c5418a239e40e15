//! The server's shared state: loaded banks, the room registry and the store.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use dashmap::DashMap;
use rust_embed::RustEmbed;
use tokio::sync::oneshot;
use tokio_util::task::TaskTracker;

use crate::bank::{self, Bank};
use crate::protocol::MeetingInfo;
use crate::quiz::Settings;
use crate::room::state::{MeetingConfig, MeetingState};
use crate::room::{self, RoomCtx, RoomHandle};
use crate::store::{Op, Store, Write};

/// The banks shipped in `question-banks/`, compiled into the binary so a
/// release binary works from any directory.
#[derive(RustEmbed)]
#[folder = "question-banks/"]
#[include = "*.bank.md"]
struct ShippedBanks;

/// Longest meeting title.
pub const MAX_TITLE_CHARS: usize = 120;

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("no question bank with id \"{0}\"; GET /api/banks lists them")]
    UnknownBank(String),
    #[error(
        "the title must be 1 to {MAX_TITLE_CHARS} characters, without control or invisible characters"
    )]
    BadTitle,
    #[error("{}", .0.message)]
    Choice(crate::choice::Refused),
    #[error("the meeting could not be saved: {0}")]
    Storage(String),
}

pub struct App {
    pub host_secret: Arc<str>,
    /// Join address base, e.g. http://192.168.1.20:8080.
    pub public_url: String,
    /// Shipped and `--banks` banks, each with its origin ([`SHIPPED`] or
    /// [`FOLDER`]).
    pub banks: Vec<(Arc<Bank>, &'static str)>,
    /// Banks uploaded from the console (stored in the database); one
    /// replaces a bank of `banks` with the same id.
    uploaded: std::sync::RwLock<Vec<Arc<Bank>>>,
    /// Serialises uploads, so the stored and the listed bank of an id agree.
    uploading: tokio::sync::Mutex<()>,
    /// A cluster: the uploaded banks' signature when last read from the
    /// database (`sync_banks`).
    banks_seen: std::sync::Mutex<Option<(i64, i64, i64)>>,
    /// PIN → room. Guards are never held across an `.await`.
    pub rooms: Arc<DashMap<String, RoomHandle>>,
    /// This node of a cluster (`--node-url`), or `None`: a single server.
    pub cluster: Option<Arc<crate::cluster::Cluster>>,
    pub store: Arc<dyn Store>,
    pub ctx: RoomCtx,
    pub tracker: TaskTracker,
    /// Rate limits and per-address caps.
    pub guard: Arc<crate::guard::Guard>,
    next_meeting: AtomicI64,
    next_conn: AtomicU64,
    /// PINs handed out but whose meeting is still being saved.
    reserved: std::sync::Mutex<HashSet<String>>,
}

/// Origin of a bank compiled into the binary (or the same bank read from
/// `question-banks/`).
pub const SHIPPED: &str = "shipped";
/// Origin of a bank read from a `--banks DIR` (one that differs from the
/// shipped bank of its id).
pub const FOLDER: &str = "folder";
/// Origin of a bank uploaded or saved from the console (in the database).
pub const UPLOADED: &str = "uploaded";

/// Loads the shipped banks, then `dirs` (a bank there replaces a shipped one
/// with the same id). Broken files are logged and skipped.
pub fn load_banks(dirs: &[std::path::PathBuf]) -> Vec<(Arc<Bank>, &'static str)> {
    let mut banks: Vec<(Bank, &'static str)> = Vec::new();
    for file in ShippedBanks::iter() {
        let Some(data) = ShippedBanks::get(&file) else {
            continue;
        };
        let id = bank::id_from_path(std::path::Path::new(file.as_ref())).unwrap_or_default();
        let text = String::from_utf8_lossy(&data.data);
        match bank::parse(&id, &text).bank {
            Some(b) => banks.push((b, SHIPPED)),
            None => tracing::error!(
                "shipped bank {file} does not parse; run `handsup check question-banks/{file}`"
            ),
        }
    }
    let (extra, failures) = bank::load_dirs(dirs);
    for f in failures {
        tracing::error!(
            "skipping bank {}:\n  {}",
            f.path.display(),
            f.problems.join("\n  ")
        );
    }
    for b in extra {
        match banks.iter_mut().find(|x| x.0.id == b.id) {
            // The shipped bank read again from `question-banks/`.
            Some(slot) if slot.0 == b => {}
            Some(slot) => *slot = (b, FOLDER),
            None => banks.push((b, FOLDER)),
        }
    }
    banks.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    banks
        .into_iter()
        .map(|(b, origin)| (Arc::new(b), origin))
        .collect()
}

impl App {
    pub fn new(
        host_secret: String,
        public_url: String,
        banks: Vec<(Arc<Bank>, &'static str)>,
        store: Arc<dyn Store>,
        ctx: RoomCtx,
        tracker: TaskTracker,
        guard: Arc<crate::guard::Guard>,
    ) -> anyhow::Result<App> {
        let max = store.max_meeting_id()?;
        let mut uploaded = Vec::new();
        for stored in store.load_banks()? {
            match serde_json::from_str::<Bank>(&stored.bank) {
                Ok(b) => uploaded.push(Arc::new(b)),
                Err(e) => tracing::error!(
                    "skipping uploaded bank {}: unreadable ({e}); upload it again",
                    crate::text::for_log(&stored.id)
                ),
            }
        }
        Ok(App {
            host_secret: host_secret.into(),
            public_url,
            banks,
            uploaded: std::sync::RwLock::new(uploaded),
            uploading: tokio::sync::Mutex::new(()),
            banks_seen: std::sync::Mutex::new(None),
            rooms: Arc::new(DashMap::new()),
            cluster: None,
            store,
            ctx,
            tracker,
            guard,
            next_meeting: AtomicI64::new(max),
            next_conn: AtomicU64::new(0),
            reserved: std::sync::Mutex::new(HashSet::new()),
        })
    }

    /// A cluster: reads the uploaded banks again when another node
    /// uploaded, replaced or deleted one since (one quick query when
    /// nothing changed).
    pub async fn sync_banks(&self) {
        let Some(cluster) = &self.cluster else {
            return;
        };
        let _one_at_a_time = self.uploading.lock().await;
        let Ok(sig) = cluster.db.banks_signature().await else {
            return;
        };
        if *self.banks_seen.lock().expect("banks lock") == Some(sig) {
            return;
        }
        let store = self.store.clone();
        let Ok(Ok(stored)) = tokio::task::spawn_blocking(move || store.load_banks()).await else {
            return;
        };
        let parsed = tokio::task::spawn_blocking(move || {
            stored
                .iter()
                .filter_map(|b| serde_json::from_str::<Bank>(&b.bank).ok().map(Arc::new))
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        *self.uploaded.write().expect("banks lock") = parsed;
        *self.banks_seen.lock().expect("banks lock") = Some(sig);
    }

    pub fn bank(&self, id: &str) -> Option<Arc<Bank>> {
        self.bank_with_origin(id).map(|(b, _)| b)
    }

    /// The bank of an id with its origin ([`SHIPPED`], [`FOLDER`] or
    /// [`UPLOADED`]); an uploaded bank hides another of the same id.
    pub fn bank_with_origin(&self, id: &str) -> Option<(Arc<Bank>, &'static str)> {
        let uploaded = self.uploaded.read().expect("banks lock");
        uploaded
            .iter()
            .find(|b| b.id == id)
            .map(|b| (b.clone(), UPLOADED))
            .or_else(|| self.banks.iter().find(|(b, _)| b.id == id).cloned())
    }

    /// Every bank by id, each with its origin: [`UPLOADED`] (from the
    /// console), [`SHIPPED`] or [`FOLDER`] (from `--banks DIR`).
    pub fn all_banks(&self) -> Vec<(Arc<Bank>, &'static str)> {
        let uploaded = self.uploaded.read().expect("banks lock");
        let mut all: Vec<_> = uploaded.iter().map(|b| (b.clone(), UPLOADED)).collect();
        for (b, origin) in &self.banks {
            if !uploaded.iter().any(|u| u.id == b.id) {
                all.push((b.clone(), *origin));
            }
        }
        all.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        all
    }

    /// Deletes an uploaded bank (durably); `false` when no uploaded bank has
    /// that id. Meetings created from it keep their copy.
    pub async fn delete_uploaded_bank(&self, id: &str) -> Result<bool, String> {
        let _one_at_a_time = self.uploading.lock().await;
        if !self
            .uploaded
            .read()
            .expect("banks lock")
            .iter()
            .any(|b| b.id == id)
        {
            return Ok(false);
        }
        let (tx, rx) = oneshot::channel();
        self.store
            .submit(Write {
                fence: None,
                ops: vec![Op::DeleteBank { id: id.to_string() }],
                notify: None,
                reply: Some(tx),
            })
            .map_err(|e| e.to_string())?;
        rx.await.map_err(|_| "the store stopped".to_string())??;
        self.uploaded
            .write()
            .expect("banks lock")
            .retain(|b| b.id != id);
        // What this node holds is no longer what it read last.
        *self.banks_seen.lock().expect("banks lock") = None;
        Ok(true)
    }

    /// Stores an uploaded bank (durably) and then lists it, replacing an
    /// earlier upload with the same id (then `true`). Meetings created from the earlier
    /// one keep their own copy of its questions.
    pub async fn save_uploaded_bank(
        &self,
        bank: Bank,
        filename: &str,
        original: Vec<u8>,
    ) -> Result<bool, String> {
        let _one_at_a_time = self.uploading.lock().await;
        let stored = crate::store::StoredBank {
            id: bank.id.clone(),
            filename: filename.to_string(),
            bank: serde_json::to_string(&bank).map_err(|e| e.to_string())?,
            original,
            uploaded_at: self.ctx.clock.now(),
        };
        let (tx, rx) = oneshot::channel();
        self.store
            .submit(Write {
                fence: None,
                ops: vec![Op::SaveBank(Box::new(stored))],
                notify: None,
                reply: Some(tx),
            })
            .map_err(|e| e.to_string())?;
        rx.await.map_err(|_| "the store stopped".to_string())??;
        let mut uploaded = self.uploaded.write().expect("banks lock");
        let before = uploaded.len();
        uploaded.retain(|b| b.id != bank.id);
        let replaced = uploaded.len() != before;
        uploaded.push(Arc::new(bank));
        *self.banks_seen.lock().expect("banks lock") = None;
        Ok(replaced)
    }

    pub fn room(&self, pin: &str) -> Option<RoomHandle> {
        self.rooms
            .get(pin)
            .map(|r| r.clone())
            .filter(|r| !r.stop.is_cancelled())
    }

    pub fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub fn meeting_info(&self, pin: &str, title: &str) -> MeetingInfo {
        MeetingInfo {
            pin: pin.to_string(),
            title: title.to_string(),
            join_url: format!("{}/j/{pin}", self.public_url),
            qr_url: format!("/qr/{pin}.svg"),
        }
    }

    /// Rebuilds and starts every stored meeting that has not ended.
    pub fn resume_meetings(&self) -> anyhow::Result<usize> {
        let loaded = self.store.load()?;
        let n = loaded.len();
        for l in loaded {
            let pin = l.config.pin.clone();
            let info = self.meeting_info(&pin, &l.config.title);
            let mut state = room::replay(l.config, &l.events, &l.secret_counts);
            state.alive_at = l.alive_at;
            let handle = room::spawn(self.ctx.clone(), &self.tracker, l.id, state, info, None);
            self.rooms.insert(pin, handle);
        }
        Ok(n)
    }

    /// A PIN no running or stored meeting uses, reserved until released.
    fn reserve_pin(&self) -> Result<String, CreateError> {
        loop {
            let n = (uuid::Uuid::new_v4().as_u128() % 900_000) as u32 + 100_000;
            let pin = n.to_string();
            if self.rooms.contains_key(&pin) {
                continue;
            }
            if self
                .store
                .pin_in_use(&pin)
                .map_err(|e| CreateError::Storage(e.to_string()))?
            {
                continue;
            }
            if self.reserved.lock().expect("pin lock").insert(pin.clone()) {
                return Ok(pin);
            }
        }
    }

    /// Creates, stores and starts a meeting asking the chosen questions of
    /// a bank (its own copy of them, `choice::materialise`).
    pub async fn create_meeting(
        &self,
        title: &str,
        bank_id: &str,
        choice: &crate::choice::Choice,
    ) -> Result<RoomHandle, CreateError> {
        let bank = self
            .bank(bank_id)
            .ok_or_else(|| CreateError::UnknownBank(bank_id.to_string()))?;
        crate::choice::check(choice, bank.questions.len()).map_err(CreateError::Choice)?;
        let seed = uuid::Uuid::new_v4().as_u64_pair().0;
        let (bank, choice) = crate::choice::materialise(&bank, choice, seed);
        let title = crate::text::collapse(title);
        let title = if title.is_empty() {
            bank.title.clone()
        } else {
            title
        };
        if title.chars().count() > MAX_TITLE_CHARS || crate::text::find_invisible(&title).is_some()
        {
            return Err(CreateError::BadTitle);
        }
        if let Some(cluster) = self.cluster.clone() {
            return self.create_in_cluster(&cluster, title, bank, choice).await;
        }
        let pin = self.reserve_pin()?;
        let result = self.save_and_start(pin.clone(), title, bank, choice).await;
        self.reserved.lock().expect("pin lock").remove(&pin);
        result
    }

    /// Creates a meeting in the cluster's database, which chooses its id
    /// and a PIN no other node uses, and gives this node its lease.
    async fn create_in_cluster(
        &self,
        cluster: &crate::cluster::Cluster,
        title: String,
        bank: Bank,
        choice: crate::choice::Choice,
    ) -> Result<RoomHandle, CreateError> {
        let config = MeetingConfig {
            pin: String::new(),
            title,
            created_at: self.ctx.clock.now(),
            bank,
            quiz: Settings::default(),
            choice,
        };
        let (id, epoch, config) = cluster
            .db
            .create(config, &cluster.node, cluster.lease_ms(), || {
                ((uuid::Uuid::new_v4().as_u128() % 900_000) as u32 + 100_000).to_string()
            })
            .await
            .map_err(|e| CreateError::Storage(e.to_string()))?;
        Ok(self.start_room(
            crate::store::Loaded {
                id,
                config,
                events: Vec::new(),
                secret_counts: Vec::new(),
                alive_at: None,
            },
            epoch,
        ))
    }

    async fn save_and_start(
        &self,
        pin: String,
        title: String,
        bank: Bank,
        choice: crate::choice::Choice,
    ) -> Result<RoomHandle, CreateError> {
        let id = self.next_meeting.fetch_add(1, Ordering::AcqRel) + 1;
        let config = MeetingConfig {
            pin: pin.clone(),
            title: title.clone(),
            created_at: self.ctx.clock.now(),
            bank,
            quiz: Settings::default(),
            choice,
        };
        let (tx, rx) = oneshot::channel();
        self.store
            .submit(Write {
                fence: None,
                ops: vec![Op::CreateMeeting {
                    id,
                    config: Box::new(config.clone()),
                }],
                notify: None,
                reply: Some(tx),
            })
            .map_err(|e| CreateError::Storage(e.to_string()))?;
        rx.await
            .map_err(|_| CreateError::Storage("the store stopped".into()))?
            .map_err(CreateError::Storage)?;
        let info = self.meeting_info(&pin, &title);
        let handle = room::spawn(
            self.ctx.clone(),
            &self.tracker,
            id,
            MeetingState::new(config),
            info,
            None,
        );
        self.rooms.insert(pin, handle.clone());
        Ok(handle)
    }
}

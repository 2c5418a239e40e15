//! What the nodes of a cluster (several servers on one PostgreSQL
//! database, `--node-url`) ask of the database besides the event log: who
//! they are (`nodes`), who owns which meeting (`meeting_leases`), and
//! creating meetings so that two nodes never hand out the same PIN or id.
//!
//! It has a connection and a thread of its own: renewing leases never
//! waits behind a group commit or an archive read, and never runs on the
//! async workers. Every time here is the database server's clock, so the
//! nodes' clocks need not agree for leases to be right.

use std::sync::mpsc;

use postgres::Client;

use super::pg::{connect, describe, load_one};
use super::{DELETED_PIN_HOLD_MS, Loaded, MeetingId, StoreError};
use crate::room::state::MeetingConfig;

/// The database server's clock, in milliseconds since the epoch.
const NOW: &str = "(extract(epoch FROM clock_timestamp()) * 1000)::BIGINT";

/// Serialises nodes joining ("HSUN"), so two nodes with different host
/// secrets starting at once cannot both join.
const JOIN_LOCK: i64 = 0x4853_554E;
/// Serialises meeting creation ("HSUC"): the next id and a free PIN are
/// chosen and taken in one transaction.
const CREATE_LOCK: i64 = 0x4853_5543;
/// Node rows not heard from for this long are removed.
const FORGET_NODES_MS: i64 = 24 * 60 * 60 * 1000;

type Job = Box<dyn FnOnce(&mut Option<Client>) + Send>;

/// A node as it registers.
#[derive(Clone, Debug)]
pub struct NodeRow {
    pub id: String,
    pub url: String,
    pub secret_check: String,
}

/// Where a PIN's meeting is: its id, whether it ended, and its lease's
/// holder if the lease has not expired (with that node's URL).
#[derive(Clone, Debug)]
pub struct Located {
    pub meeting: MeetingId,
    pub ended: bool,
    /// (node id, node URL) of a lease that has not expired.
    pub owner: Option<(String, Option<String>)>,
}

/// One connection on a thread of its own, running jobs in turn.
struct Lane {
    tx: std::sync::Mutex<Option<mpsc::Sender<Job>>>,
    thread: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Lane {
    fn open(config: &postgres::Config, name: &str) -> Result<Lane, StoreError> {
        let config = config.clone();
        let config2 = config.clone();
        let client = std::thread::spawn(move || connect(&config2))
            .join()
            .map_err(|_| StoreError::Open("connecting to the database failed".into()))?
            .map_err(|e| {
                StoreError::Open(format!(
                    "cannot connect to the database {} ({e})",
                    describe(&config)
                ))
            })?;
        let (tx, rx) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let mut client = Some(client);
                while let Ok(job) = rx.recv() {
                    // A connection lost meanwhile is made again for the next job.
                    if client.as_ref().is_none_or(|c| c.is_closed()) {
                        client = connect(&config).ok();
                    }
                    job(&mut client);
                }
            })
            .expect("spawn cluster thread");
        Ok(Lane {
            tx: std::sync::Mutex::new(Some(tx)),
            thread: std::sync::Mutex::new(Some(thread)),
        })
    }

    /// Runs `f` on the lane's connection; the answer arrives without
    /// blocking an async worker.
    async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |client| {
            let result = match client {
                Some(c) => f(c),
                None => Err(StoreError::Open(
                    "the database cannot be reached; check that PostgreSQL is running".into(),
                )),
            };
            let _ = tx.send(result);
        });
        self.tx
            .lock()
            .expect("cluster lock")
            .as_ref()
            .ok_or(StoreError::Failed)?
            .send(job)
            .map_err(|_| StoreError::Failed)?;
        rx.await.map_err(|_| StoreError::Failed)?
    }

    fn close(&self) {
        drop(self.tx.lock().expect("cluster lock").take());
        if let Some(h) = self.thread.lock().expect("cluster lock").take() {
            let _ = h.join();
        }
    }
}

/// The cluster's connections to the database: one for the leases and the
/// nodes (quick statements that must never wait long), one for looking
/// meetings up and loading them (a large meeting takes a while).
pub struct ClusterDb {
    leases: Lane,
    lookups: Lane,
}

impl ClusterDb {
    /// Connects (blocking; the store has already checked and migrated the
    /// database).
    pub fn open(url: &str) -> Result<ClusterDb, StoreError> {
        let mut config: postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Open(format!("--database: not a PostgreSQL URL ({e})")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(10));
        }
        config.application_name("handsup-cluster");
        Ok(ClusterDb {
            leases: Lane::open(&config, "handsup-leases")?,
            lookups: Lane::open(&config, "handsup-lookups")?,
        })
    }

    async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.leases.call(f).await
    }

    /// Joins the cluster: refused (`Ok(Err(..))`, a message saying what to
    /// do) when a node heard from within `live_ms` has another host secret.
    pub async fn register(
        &self,
        node: NodeRow,
        live_ms: u64,
    ) -> Result<Result<(), String>, StoreError> {
        self.call(move |c| {
            let mut tx = c.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&JOIN_LOCK])?;
            tx.execute(
                &format!("DELETE FROM nodes WHERE heartbeat_at < {NOW} - $1"),
                &[&FORGET_NODES_MS],
            )?;
            let others: Vec<(String, String)> = tx
                .query(
                    &format!(
                        "SELECT url, secret_check FROM nodes
                         WHERE heartbeat_at > {NOW} - $1 AND secret_check <> $2
                         ORDER BY heartbeat_at DESC"
                    ),
                    &[&(live_ms as i64), &node.secret_check],
                )?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            if let Some((url, _)) = others.first() {
                return Ok(Err(format!(
                    "this node's host secret differs from that of the running node at {url} \
                     (and {} other(s)). Every node of a cluster needs the same host secret: \
                     give this one the same HANDSUP_HOST_SECRET (or --host-secret, or the file \
                     host-secret in its data directory) as the others, then start it again.",
                    others.len() - 1
                )));
            }
            tx.execute(
                &format!(
                    "INSERT INTO nodes (id, url, secret_check, started_at, heartbeat_at)
                     VALUES ($1, $2, $3, {NOW}, {NOW})"
                ),
                &[&node.id, &node.url, &node.secret_check],
            )?;
            tx.commit()?;
            Ok(Ok(()))
        })
        .await
    }

    /// The node is alive.
    pub async fn heartbeat(&self, node: &str) -> Result<(), StoreError> {
        let node = node.to_string();
        self.call(move |c| {
            c.execute(
                &format!("UPDATE nodes SET heartbeat_at = {NOW} WHERE id = $1"),
                &[&node],
            )?;
            Ok(())
        })
        .await
    }

    /// The node leaves (a clean shutdown): its leases expire now, so other
    /// nodes take its meetings over at once, and its row goes.
    pub async fn leave(&self, node: &str) -> Result<(), StoreError> {
        let node = node.to_string();
        self.call(move |c| {
            c.execute(
                "UPDATE meeting_leases SET expires_at = 0 WHERE node = $1",
                &[&node],
            )?;
            c.execute("DELETE FROM nodes WHERE id = $1", &[&node])?;
            Ok(())
        })
        .await
    }

    /// Other live nodes: (id, url).
    pub async fn live_nodes(
        &self,
        me: &str,
        live_ms: u64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let me = me.to_string();
        self.call(move |c| {
            Ok(c.query(
                &format!("SELECT id, url FROM nodes WHERE id <> $1 AND heartbeat_at > {NOW} - $2"),
                &[&me, &(live_ms as i64)],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
        })
        .await
    }

    /// Renews `node`'s leases (meeting, epoch) for `ttl_ms`; returns the
    /// meetings whose lease is still this node's with that epoch (the
    /// others were taken over: their rooms must stop). A lease that
    /// expired but that nobody took keeps its epoch: nobody else wrote.
    pub async fn renew(
        &self,
        node: &str,
        held: Vec<(MeetingId, u64)>,
        ttl_ms: u64,
    ) -> Result<Vec<MeetingId>, StoreError> {
        if held.is_empty() {
            return Ok(Vec::new());
        }
        let node = node.to_string();
        self.call(move |c| {
            let meetings: Vec<i64> = held.iter().map(|h| h.0).collect();
            let epochs: Vec<i64> = held.iter().map(|h| h.1 as i64).collect();
            Ok(c.query(
                &format!(
                    "UPDATE meeting_leases AS l SET expires_at = {NOW} + $4
                     FROM unnest($2::BIGINT[], $3::BIGINT[]) AS h(meeting, epoch)
                     WHERE l.meeting = h.meeting AND l.epoch = h.epoch AND l.node = $1
                     RETURNING l.meeting"
                ),
                &[&node, &meetings, &epochs, &(ttl_ms as i64)],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect())
        })
        .await
    }

    /// Takes the lease of `meeting` for `node` unless another node holds
    /// one that has not expired: the new epoch. The epoch is raised even
    /// when the lease was already this node's: a room opened anew never
    /// shares its epoch with an earlier room of the meeting, whose writes
    /// still queued are then fenced off. The upsert decides a race: only
    /// one node gets `Some`.
    pub async fn take_lease(
        &self,
        meeting: MeetingId,
        node: &str,
        ttl_ms: u64,
    ) -> Result<Option<u64>, StoreError> {
        let node = node.to_string();
        self.call(move |c| {
            Ok(c.query_opt(
                &format!(
                    "INSERT INTO meeting_leases AS l (meeting, node, epoch, expires_at)
                     VALUES ($1, $2, 1, {NOW} + $3)
                     ON CONFLICT (meeting) DO UPDATE SET
                        epoch = l.epoch + 1,
                        node = EXCLUDED.node,
                        expires_at = EXCLUDED.expires_at
                     WHERE l.node = EXCLUDED.node OR l.expires_at <= {NOW}
                     RETURNING l.epoch"
                ),
                &[&meeting, &node, &(ttl_ms as i64)],
            )?
            .map(|r| r.get::<_, i64>(0) as u64))
        })
        .await
    }

    /// What changes whenever an uploaded bank is stored, replaced or
    /// deleted (by any node): their number and upload times.
    pub async fn banks_signature(&self) -> Result<(i64, i64, i64), StoreError> {
        self.lookups
            .call(|c| {
                let r = c.query_one(
                    "SELECT count(*), coalesce(max(uploaded_at), 0)::BIGINT,
                            coalesce(sum(uploaded_at), 0)::BIGINT FROM banks",
                    &[],
                )?;
                Ok((r.get(0), r.get(1), r.get(2)))
            })
            .await
    }

    /// The newest meeting with `pin`, and who holds its lease.
    pub async fn locate(&self, pin: &str) -> Result<Option<Located>, StoreError> {
        let pin = pin.to_string();
        self.lookups
            .call(move |c| {
                Ok(c.query_opt(
                    &format!(
                        "SELECT m.id, m.ended_at IS NOT NULL, l.node, n.url
                     FROM meetings m
                     LEFT JOIN meeting_leases l ON l.meeting = m.id AND l.expires_at > {NOW}
                     LEFT JOIN nodes n ON n.id = l.node
                     WHERE m.pin = $1 ORDER BY m.id DESC LIMIT 1"
                    ),
                    &[&pin],
                )?
                .map(|r| Located {
                    meeting: r.get(0),
                    ended: r.get(1),
                    owner: r
                        .get::<_, Option<String>>(2)
                        .map(|node| (node, r.get::<_, Option<String>>(3))),
                }))
            })
            .await
    }

    /// Meetings that have not ended and whose lease expired (or that never
    /// had one): nobody runs them.
    pub async fn orphans(&self) -> Result<Vec<MeetingId>, StoreError> {
        self.call(|c| {
            Ok(c.query(
                &format!(
                    "SELECT m.id FROM meetings m
                     LEFT JOIN meeting_leases l ON l.meeting = m.id
                     WHERE m.ended_at IS NULL AND (l.meeting IS NULL OR l.expires_at <= {NOW})
                     ORDER BY m.id"
                ),
                &[],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect())
        })
        .await
    }

    /// One meeting with its events, secret counts and last heartbeat.
    pub async fn load(&self, meeting: MeetingId) -> Result<Option<Loaded>, StoreError> {
        self.lookups
            .call(move |c| {
                let Some(r) = c.query_opt(
                    "SELECT config, alive_at FROM meetings WHERE id = $1",
                    &[&meeting],
                )?
                else {
                    return Ok(None);
                };
                let config: String = r.get(0);
                let alive_at: Option<i64> = r.get(1);
                let mut loaded = load_one(c, meeting, &config)?;
                loaded.alive_at = alive_at.map(|a| a as u64);
                Ok(Some(loaded))
            })
            .await
    }

    /// Stores a new meeting with the next free id and a PIN no open (or
    /// recently deleted) meeting uses, and gives `node` its lease, in one
    /// transaction: (id, epoch, the config with its PIN).
    pub async fn create(
        &self,
        mut config: MeetingConfig,
        node: &str,
        ttl_ms: u64,
        pin: impl Fn() -> String + Send + 'static,
    ) -> Result<(MeetingId, u64, MeetingConfig), StoreError> {
        let node = node.to_string();
        self.call(move |c| {
            let mut tx = c.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CREATE_LOCK])?;
            let since = super::now_ms().saturating_sub(DELETED_PIN_HOLD_MS) as i64;
            loop {
                let candidate = pin();
                let taken = tx
                    .query_opt(
                        "SELECT 1 FROM meetings WHERE pin = $1 AND ended_at IS NULL
                         UNION ALL SELECT 1 FROM deleted_pins WHERE pin = $1 AND deleted_at > $2
                         LIMIT 1",
                        &[&candidate, &since],
                    )?
                    .is_some();
                if !taken {
                    config.pin = candidate;
                    break;
                }
            }
            let id: i64 = tx
                .query_one("SELECT coalesce(max(id), 0)::BIGINT + 1 FROM meetings", &[])?
                .get(0);
            tx.execute(
                "INSERT INTO meetings (id, pin, config, created_at) VALUES ($1, $2, $3, $4)",
                &[
                    &id,
                    &config.pin,
                    &serde_json::to_string(&config).expect("config serialises"),
                    &(config.created_at as i64),
                ],
            )?;
            let epoch: i64 = tx
                .query_one(
                    &format!(
                        "INSERT INTO meeting_leases AS l (meeting, node, epoch, expires_at)
                         VALUES ($1, $2, 1, {NOW} + $3)
                         ON CONFLICT (meeting) DO UPDATE SET node = EXCLUDED.node,
                            epoch = l.epoch + 1, expires_at = EXCLUDED.expires_at
                         RETURNING epoch"
                    ),
                    &[&id, &node, &(ttl_ms as i64)],
                )?
                .get(0);
            tx.commit()?;
            Ok((id, epoch as u64, config))
        })
        .await
    }

    /// Stops the threads.
    pub fn close(&self) {
        self.leases.close();
        self.lookups.close();
    }
}

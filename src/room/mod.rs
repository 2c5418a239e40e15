//! The room actor: one task per meeting that alone owns its state.
//!
//! Connections talk to it through a bounded channel (`RoomHandle`). It
//! applies commands as events (see `state`), queues them for the store, and
//! releases acknowledgements only when the store reports them committed.
//! Fan-out never waits on a member: every frame goes to the connection's
//! bounded `Outbox`, written at the end of the turn when the socket takes
//! it; a member whose queue is full is disconnected (the page reconnects
//! and resyncs). Shared views are serialised once per change; counters
//! for the projector and host are coalesced to a fixed tick.

pub mod ballot_box;
mod commands;
pub mod event;
pub mod meeting;
pub mod state;
pub mod views;
pub mod voting;

pub use commands::parse_wording;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

use self::event::{By, Envelope, Event};
use self::state::{MeetingState, Refusal, clean_name, hash_token};
use crate::clock::Clock;
use crate::outbox::{Outbox, Sent};
use crate::protocol::*;
use crate::quiz::{CloseReason, MemberId};
use crate::store::{Commit, Fence, MeetingId, Op, Store, Write};

/// Commands a room can hold before senders wait.
const ROOM_QUEUE: usize = 8192;
/// Commands handled before the actor flushes views and writes.
const DRAIN: usize = 1024;
/// How often coalesced counters go out.
const TICK: Duration = Duration::from_millis(100);
/// How often the host's member list may be re-sent.
const MEMBER_LIST_EVERY: Duration = Duration::from_millis(1000);
/// The member list costs O(members) to build and send: above this many
/// members it goes out one more second apart per this many.
const MEMBER_LIST_STEP: u32 = 2000;

/// Frames a connection may have queued. A phone that falls `MEMBER_QUEUE`
/// frames behind is dropped (it reconnects and resyncs); the host console
/// and the projector, few and receiving large lists, get the whole queue.
/// Queue slots are allocated as used, so the limit costs nothing idle.
pub const QUEUE: usize = 1024;
pub const MEMBER_QUEUE: usize = 64;

/// Frames a connection of `role` may have waiting (see `QUEUE`).
fn queue_limit(role: Option<Role>) -> usize {
    if role == Some(Role::Member) {
        MEMBER_QUEUE
    } else {
        QUEUE
    }
}
/// How often a meeting with a question open writes that it is alive.
const ALIVE_EVERY: Duration = Duration::from_secs(1);
/// After a restart an open question waits this long ("Tiếp tục") so that
/// phones reconnect before the time it had left runs again.
pub const RESUME_COUNTDOWN_MS: u64 = 5_000;
/// The close code of a room that stopped because another node owns its
/// meeting now (a cluster): the page reconnects and finds the new owner.
pub const MOVED_CLOSE: u16 = 1012;
/// Its reason.
pub const MOVED_REASON: &str = "meeting moved; reconnect";
/// Names shown as "just joined" on the projector.
const RECENT_NAMES: usize = 12;

pub type ConnId = u64;

/// The room's handle on one websocket connection.
#[derive(Clone, Debug)]
pub struct ConnHandle {
    pub id: ConnId,
    /// Its socket and the frames waiting for it.
    pub out: Arc<Outbox>,
    /// Cancelled to drop a connection that cannot keep up.
    pub kill: CancellationToken,
    /// Latest measured round-trip time, for fair answer timing.
    pub rtt_ms: Arc<AtomicU32>,
    /// Set once welcomed: the connection then belongs to this room.
    pub joined: Arc<AtomicBool>,
    /// Set once welcomed as the host: only then does the connection get
    /// the host's rate (a refused host `hello` changes nothing).
    pub host: Arc<AtomicBool>,
    /// The client's address key (`guard::client_key`) when the
    /// per-address member cap applies to it.
    pub client: Option<std::net::IpAddr>,
}

/// Messages to a room.
#[derive(Debug)]
pub enum RoomMsg {
    Hello {
        hello: Hello,
        conn: ConnHandle,
    },
    Command {
        conn: ConnId,
        msg: ClientMsg,
    },
    Gone {
        conn: ConnId,
    },
    /// A request from the HTTP API (host only); answered once durable.
    Api {
        op: ApiOp,
        reply: oneshot::Sender<Result<serde_json::Value, Refusal>>,
    },
}

/// What the HTTP API asks of a room.
#[derive(Debug)]
pub enum ApiOp {
    /// Import a roster file's entries, replacing or adding to the roster.
    ImportRoster {
        entries: Vec<crate::roster::RosterEntry>,
        replace: bool,
    },
    /// The roster with personal join links (for the QR sheet).
    Roster,
    /// Draft motions from a file.
    CreateMotions { specs: Vec<crate::vote::MotionSpec> },
    /// Sets the meeting's wording (`Event::WordingSet`); answered once durable.
    SetWording { wording: crate::meeting::Wording },
    /// Sets the minutes' details (`Event::MinutesSet`); answered once durable.
    SetMinutes { details: crate::minutes::Details },
    /// The meeting was deleted: every connection is closed (`bye` with
    /// `deleted`), so the actor ends once the last one is gone.
    Deleted,
}

/// A cheap, cloneable way to reach a room.
#[derive(Clone)]
pub struct RoomHandle {
    pub tx: mpsc::Sender<RoomMsg>,
    pub info: Arc<MeetingInfo>,
    pub summary: Arc<Summary>,
    /// Cancelled when the room stops because its node lost the meeting's
    /// lease (a cluster): it then acknowledges nothing more and closes
    /// every connection (`MOVED_CLOSE`).
    pub stop: CancellationToken,
}

/// Figures the meeting list shows, kept current by the room.
#[derive(Debug, Default)]
pub struct Summary {
    pub created_at: u64,
    pub members: AtomicU32,
    pub connected: AtomicU32,
    pub ended: AtomicBool,
    /// The bank's id and which of its questions the meeting asks.
    pub bank: String,
    pub choice: crate::choice::Choice,
}

/// What every room shares with the server.
#[derive(Clone)]
pub struct RoomCtx {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub shutdown: CancellationToken,
    pub host_secret: Arc<str>,
    /// Voters in the smallest group of secret ballots written together
    /// (`ballot_box::SECRET_GROUP`; lower only in tests).
    pub secret_group: usize,
    /// New guest members one client address may create per meeting.
    pub members_per_client: u32,
}

/// One attached connection.
struct Peer {
    conn: ConnHandle,
    role: Option<Role>,
    member: Option<MemberId>,
    /// Welcomed: receives broadcasts.
    live: bool,
}

/// Something to do once the store has committed up to a sequence number.
enum After {
    Welcome {
        conn: ConnId,
        cid: String,
        token: Option<String>,
    },
    Ack {
        conn: ConnId,
        cid: String,
        me: bool,
    },
    Reply {
        reply: oneshot::Sender<Result<serde_json::Value, Refusal>>,
        value: serde_json::Value,
    },
}

#[derive(Default)]
struct Dirty {
    state: bool,
    live: bool,
    members: bool,
    all_me: bool,
}

struct Actor {
    id: MeetingId,
    ctx: RoomCtx,
    info: Arc<MeetingInfo>,
    state: MeetingState,
    peers: HashMap<ConnId, Peer>,
    member_conn: HashMap<MemberId, ConnId>,
    pending: VecDeque<(u64, After)>,
    ops: Vec<Op>,
    /// The last sequence number queued for the store: what "everything so
    /// far" means to an ack. Held secret ballots (below) are not counted.
    queued: u64,
    /// Secret ballots applied but not yet handed to the store.
    ballot_box: ballot_box::BallotBox,
    notify: Arc<watch::Sender<Commit>>,
    committed: watch::Receiver<Commit>,
    dirty: Dirty,
    recent: VecDeque<String>,
    failed: bool,
    /// Whether the database takes writes (`Store::availability`).
    available: watch::Receiver<bool>,
    /// Whether `available` still reports (a store without one never does).
    watch_available: bool,
    /// Since when the database has been out of reach: input is refused,
    /// an open question's time stands still, reads go on from memory.
    down: Option<crate::quiz::Millis>,
    /// Members whose join is not durable yet (sequence number, member): a
    /// member reconnecting while the database is out of reach is welcomed
    /// at once unless their own join is still waiting.
    joins: VecDeque<(u64, MemberId)>,
    members_sent_at: tokio::time::Instant,
    /// The member count the phones' last `me` frames carried (`of`).
    of_sent: u32,
    /// The last state frame broadcast per role, to skip unchanged ones.
    last_state: HashMap<Role, Utf8Bytes>,
    /// Connections sent a frame of their own this turn: written at the end
    /// of the turn, so that an ack and the `me` after it leave in one write.
    touched: Vec<Arc<Outbox>>,
    /// Connections sent a broadcast (or one of many frames) this turn:
    /// written by `outbox::fan_out` at the end of the turn, so that a
    /// member's new state and `me` leave in one write.
    fanned: Vec<Arc<Outbox>>,
    summary: Arc<Summary>,
    /// Guest members created per client address (since the room started).
    members_by_client: HashMap<std::net::IpAddr, u32>,
    /// The lease every write is made under (a cluster), or `None`.
    fence: Option<Fence>,
    /// See `RoomHandle::stop`.
    stop: CancellationToken,
}

/// Starts the actor of a meeting whose state is already rebuilt.
pub fn spawn(
    ctx: RoomCtx,
    tracker: &tokio_util::task::TaskTracker,
    id: MeetingId,
    state: MeetingState,
    info: MeetingInfo,
    fence: Option<Fence>,
) -> RoomHandle {
    let (tx, rx) = mpsc::channel(ROOM_QUEUE);
    let (notify, committed) = watch::channel(Commit {
        seq: state.seq,
        ..Commit::default()
    });
    let stop = CancellationToken::new();
    let info = Arc::new(info);
    let summary = Arc::new(Summary {
        created_at: state.config.created_at,
        bank: state.config.bank.id.clone(),
        choice: state.config.choice.clone(),
        ..Summary::default()
    });
    let recent = state
        .active_members()
        .rev()
        .take(RECENT_NAMES)
        .map(|m| m.name.clone())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let ballot_box = ballot_box::BallotBox::new(ctx.secret_group);
    let queued = state.seq;
    let mut available = ctx.store.availability();
    available.mark_unchanged();
    let actor = Actor {
        id,
        ctx,
        info: info.clone(),
        state,
        peers: HashMap::new(),
        member_conn: HashMap::new(),
        pending: VecDeque::new(),
        ops: Vec::new(),
        queued,
        ballot_box,
        notify: Arc::new(notify),
        committed,
        dirty: Dirty::default(),
        recent,
        failed: false,
        available,
        watch_available: true,
        down: None,
        joins: VecDeque::new(),
        members_sent_at: tokio::time::Instant::now(),
        of_sent: 0,
        last_state: HashMap::new(),
        touched: Vec::new(),
        fanned: Vec::new(),
        summary: summary.clone(),
        members_by_client: HashMap::new(),
        fence,
        stop: stop.clone(),
    };
    actor.publish_summary();
    tracker.spawn(actor.run(rx));
    RoomHandle {
        tx,
        info,
        summary,
        stop,
    }
}

fn frame(s: String) -> Utf8Bytes {
    Utf8Bytes::from(s)
}

impl Actor {
    async fn run(mut self, mut rx: mpsc::Receiver<RoomMsg>) {
        // A question open when the server went down keeps the time it had
        // left; only one whose deadline passed before the crash closes.
        if self.state.quiz.next_timer().is_some() {
            let now = self.ctx.clock.now();
            let down_at = self.state.down_at();
            if self
                .state
                .quiz
                .round()
                .is_some_and(|r| down_at <= r.deadline)
            {
                self.system(Event::Resumed {
                    down_at,
                    resume_at: now + RESUME_COUNTDOWN_MS,
                });
            } else {
                self.system(Event::Closed {
                    reason: CloseReason::DeadlinePassedWhileDown,
                });
            }
        }
        self.submit();
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut alive = tokio::time::interval(ALIVE_EVERY);
        alive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let open = self.state.quiz.next_timer().is_some();
            let now = self.ctx.clock.now();
            // The end of a "Tiếp tục" countdown, then the deadline.
            let resumes = self
                .state
                .quiz
                .round()
                .and_then(|r| r.resumes_at)
                .filter(|&t| t > now);
            let timer = self.state.quiz.next_timer().map(|d| {
                let d = resumes.map_or(d, |t| t.min(d));
                Duration::from_millis(d.saturating_sub(now) + 1)
            });
            let coalesced = self.dirty.live || self.dirty.members;
            tokio::select! {
                biased;
                _ = self.ctx.shutdown.cancelled() => break,
                _ = self.stop.cancelled() => {
                    self.moved(&mut rx);
                    return;
                }
                changed = self.committed.changed() => {
                    if changed.is_err() { break; }
                    self.on_commit();
                    if self.stop.is_cancelled() {
                        self.moved(&mut rx);
                        return;
                    }
                }
                changed = self.available.changed(), if self.watch_available => {
                    match changed {
                        Ok(()) => self.on_availability(),
                        Err(_) => self.watch_available = false,
                    }
                }
                msg = rx.recv() => {
                    let Some(msg) = msg else { break };
                    self.handle(msg);
                    for _ in 0..DRAIN {
                        match rx.try_recv() {
                            Ok(msg) => self.handle(msg),
                            Err(_) => break,
                        }
                    }
                }
                _ = tokio::time::sleep(timer.unwrap_or_default()), if timer.is_some() && self.down.is_none() => {
                    if self.state.quiz.deadline_passed(self.ctx.clock.now()) {
                        self.system(Event::Closed { reason: CloseReason::Deadline });
                    } else {
                        self.close_if_all_answered();
                    }
                }
                _ = tick.tick(), if coalesced => self.flush_live(),
                _ = alive.tick(), if open && self.down.is_none() => self.alive(),
            }
            self.submit();
            self.flush();
            self.write_touched();
        }
        if self.state.quiz.next_timer().is_some() && self.down.is_none() {
            self.alive();
        }
        self.submit();
        self.write_touched();
    }

    /// The database went out of reach or came back.
    fn on_availability(&mut self) {
        let available = *self.available.borrow_and_update();
        match (available, self.down) {
            (false, None) => {
                // Time stands still for an open question from now on
                // (its deadline timer waits, see `run`).
                self.down = Some(self.ctx.clock.now());
                tracing::info!(pin = %self.info.pin, "the database is out of reach: input refused");
            }
            (true, Some(down_at)) => {
                self.down = None;
                // The open question gets back the time it had left, after
                // the usual "Tiếp tục" countdown.
                if self.state.quiz.next_timer().is_some() {
                    let now = self.ctx.clock.now();
                    self.system(Event::Resumed {
                        down_at,
                        resume_at: now + RESUME_COUNTDOWN_MS,
                    });
                }
                self.close_if_all_answered();
            }
            _ => return,
        }
        let f = frame(ServerMsg::Database { available }.to_json());
        for role in [Role::Member, Role::Screen, Role::Host] {
            self.broadcast(role, &f);
        }
    }

    /// Refuses input while the database is out of reach.
    fn check_available(&self) -> Result<(), Refusal> {
        match self.down {
            None => Ok(()),
            Some(_) => Err(Refusal::new(
                ErrorCode::DatabaseUnavailable,
                "the database cannot be reached right now; nothing was saved. Try again once it is back",
            )),
        }
    }

    /// Records that the meeting is alive now (a question is open).
    fn alive(&mut self) {
        self.ops.push(Op::Alive {
            meeting: self.id,
            at: self.ctx.clock.now(),
        });
    }

    // ---- sequencing and durability -------------------------------------

    /// Applies an event and queues it for the store.
    fn emit(&mut self, by: By, cid: Option<&str>, event: Event) -> Result<u64, Refusal> {
        self.check_available()?;
        if self.failed {
            return Err(Refusal::new(
                ErrorCode::StorageUnavailable,
                "the server cannot save right now; ask the organiser to check the server",
            ));
        }
        let env = Envelope {
            seq: self.state.seq + 1,
            at: self.ctx.clock.now(),
            by,
            cid: cid.map(str::to_string),
            event,
        };
        self.state.apply(&env)?;
        self.mark(&env.event);
        let seq = env.seq;
        self.queued = seq;
        let ended = matches!(env.event, Event::Ended);
        self.ops.push(Op::Event {
            meeting: self.id,
            env: Box::new(env),
        });
        if ended {
            self.ops.push(Op::MarkEnded {
                meeting: self.id,
                at: self.ctx.clock.now(),
            });
        }
        Ok(seq)
    }

    /// Writes the ballots the box can release now, if any.
    fn seal_ready(&mut self) {
        if self.down.is_some() {
            return;
        }
        if let Some((motion, held)) = self.ballot_box.ready() {
            self.seal(motion, held);
        }
    }

    /// Writes every ballot in the box (the motion closes, the meeting ends).
    fn seal_all(&mut self) {
        if self.down.is_some() {
            return;
        }
        if let Some((motion, held)) = self.ballot_box.all() {
            self.seal(motion, held);
        }
    }

    /// Hands a group of secret ballots to the store in one write, with an
    /// event whose durability releases their acks.
    fn seal(&mut self, motion: crate::vote::MotionId, held: Vec<ballot_box::Held>) {
        let ballots = held.len() as u32;
        let mut acks = Vec::with_capacity(held.len());
        for h in held {
            self.ops.extend(h.ops);
            // The member's page now, if they reconnected since.
            let conn = self.member_conn.get(&h.member).copied().unwrap_or(h.conn);
            acks.push((conn, h.cid));
        }
        match self.emit(By::System, None, Event::BallotsSealed { motion, ballots }) {
            Ok(seq) => {
                for (conn, cid) in acks {
                    self.after(
                        seq,
                        After::Ack {
                            conn,
                            cid,
                            me: false,
                        },
                    );
                }
            }
            Err(r) => {
                for (conn, cid) in acks {
                    self.refuse(conn, &cid, r.clone());
                }
            }
        }
    }

    /// An event the room causes itself (deadline, everyone answered).
    fn system(&mut self, event: Event) {
        if let Err(r) = self.emit(By::System, None, event) {
            tracing::warn!(pin = %self.info.pin, "system event refused: {}", crate::text::for_log(&r.message));
        }
    }

    /// The meeting's lease passed to another node (a write was fenced off,
    /// or renewing failed): acknowledge nothing more, and close every
    /// connection so that the phones reconnect and reach the new owner,
    /// which replays what was durable and takes their unacknowledged
    /// commands again (same `cid`s: applied once).
    fn moved(&mut self, rx: &mut mpsc::Receiver<RoomMsg>) {
        self.failed = true;
        self.ops.clear();
        self.pending.clear();
        tracing::warn!(pin = %self.info.pin, "this node no longer owns the meeting: closing its connections");
        let close = |conn: &ConnHandle| conn.out.close(MOVED_CLOSE, MOVED_REASON.to_string());
        for p in self.peers.values() {
            close(&p.conn);
        }
        self.peers.clear();
        self.member_conn.clear();
        // Connections whose hello is still queued are told too; later
        // messages find the room gone (`ws` closes them the same way).
        rx.close();
        while let Ok(msg) = rx.try_recv() {
            if let RoomMsg::Hello { conn, .. } = msg {
                close(&conn);
            }
        }
    }

    fn submit(&mut self) {
        if self.ops.is_empty() || self.stop.is_cancelled() {
            return;
        }
        let w = Write {
            fence: self.fence,
            ops: std::mem::take(&mut self.ops),
            notify: Some((self.notify.clone(), self.queued)),
            reply: None,
        };
        if self.ctx.store.submit(w).is_err() {
            self.fail_pending();
        }
    }

    /// Runs `after` once everything up to `seq` is durable.
    fn after(&mut self, seq: u64, after: After) {
        if seq <= self.committed.borrow().seq {
            self.run_after(after);
        } else {
            self.pending.push_back((seq, after));
        }
    }

    fn on_commit(&mut self) {
        let c = *self.committed.borrow_and_update();
        if c.fenced {
            self.stop.cancel();
            return;
        }
        if c.failed {
            self.fail_pending();
            return;
        }
        // Before the acks: `GET /api/meetings` right after an ack (an ended
        // meeting) must already see it, not a tick later.
        self.publish_summary();
        while self.joins.front().is_some_and(|j| j.0 <= c.seq) {
            self.joins.pop_front();
        }
        while self.pending.front().is_some_and(|p| p.0 <= c.seq) {
            let (_, a) = self.pending.pop_front().expect("checked");
            self.run_after(a);
        }
        self.close_if_all_answered();
    }

    fn fail_pending(&mut self) {
        self.failed = true;
        for (_, a) in std::mem::take(&mut self.pending) {
            let (conn, cid) = match a {
                After::Welcome { conn, cid, .. } | After::Ack { conn, cid, .. } => (conn, cid),
                After::Reply { reply, .. } => {
                    let _ = reply.send(Err(Refusal::new(
                        ErrorCode::StorageUnavailable,
                        "the server could not save this; check the server's disk",
                    )));
                    continue;
                }
            };
            self.send(
                conn,
                frame(error_json(
                    Some(&cid),
                    ErrorCode::StorageUnavailable,
                    "the server could not save this; try again later",
                )),
            );
        }
    }

    fn run_after(&mut self, after: After) {
        match after {
            After::Ack { conn, cid, me } => {
                let host = self.peers.get(&conn).and_then(|p| p.role) == Some(Role::Host);
                let motion = host.then(|| self.state.created_by(&cid)).flatten();
                self.send(conn, frame(ServerMsg::Ack { cid: &cid, motion }.to_json()));
                if me {
                    self.send_me(conn);
                }
            }
            After::Welcome { conn, cid, token } => self.welcome(conn, &cid, token),
            After::Reply { reply, value } => {
                let _ = reply.send(Ok(value));
            }
        }
    }

    // ---- sending -------------------------------------------------------

    /// Sends a frame to one connection, written at the end of the turn
    /// (`write_touched`); a full queue drops the connection.
    fn send(&mut self, conn: ConnId, f: Utf8Bytes) {
        if let Some(out) = self.queue(conn, f) {
            self.touched.push(out);
        }
    }

    /// Queues a frame in `conn`'s outbox, without writing it: the outbox,
    /// to be written, or `None` (no such connection, or it was dropped).
    fn queue(&mut self, conn: ConnId, f: Utf8Bytes) -> Option<Arc<Outbox>> {
        let p = self.peers.get(&conn)?;
        let out = p.conn.out.clone();
        let sent = out.push(Message::Text(f), queue_limit(p.role));
        self.sent(conn, sent);
        (sent == Sent::Queued).then_some(out)
    }

    /// Writes the frames queued this turn: each connection's in one write
    /// (when its socket takes them), those `send` queued here and now, the
    /// broadcasts by `outbox::fan_out`.
    fn write_touched(&mut self) {
        for o in self.touched.drain(..) {
            o.pump();
        }
        let mut fanned = std::mem::take(&mut self.fanned);
        // A member sent both a new state and its `me` is written once.
        fanned.sort_unstable_by_key(|o| Arc::as_ptr(o) as usize);
        fanned.dedup_by(|a, b| Arc::ptr_eq(a, b));
        crate::outbox::fan_out(fanned);
    }

    /// Acts on what became of a frame for `conn`.
    fn sent(&mut self, conn: ConnId, sent: Sent) {
        match sent {
            Sent::Queued => {}
            Sent::Full => {
                tracing::info!(pin = %self.info.pin, conn, "dropping a connection that is not keeping up");
                if let Some(p) = self.peers.get(&conn) {
                    p.conn.kill.cancel();
                }
                self.gone(conn);
            }
            Sent::Closed => self.gone(conn),
        }
    }

    fn close(&mut self, conn: ConnId, code: &str, message: &str) {
        if let Some(p) = self.peers.get(&conn) {
            let bye = ServerMsg::Bye { code, message }.to_json();
            let _ = p.conn.out.send(Message::Text(frame(bye)), QUEUE);
            p.conn.out.close(1000, code.to_string());
        }
        self.gone(conn);
    }

    fn refuse(&mut self, conn: ConnId, cid: &str, r: Refusal) {
        let f = ServerMsg::Error {
            cid: Some(cid),
            code: r.code,
            message: r.message,
            suggestion: r.suggestion,
            params: r.params,
        }
        .to_json();
        self.send(conn, frame(f));
    }

    fn live_peers(&self, role: Role) -> Vec<ConnId> {
        self.peers
            .iter()
            .filter(|(_, p)| p.live && p.role == Some(role))
            .map(|(id, _)| *id)
            .collect()
    }

    /// Sends `f` to every live connection of `role` (`send_each`).
    fn broadcast(&mut self, role: Role, f: &Utf8Bytes) {
        let to = self.live_peers(role);
        self.send_each(to.into_iter().map(|id| (id, f.clone())));
    }

    /// Sends each frame to its connection: queued for each in order here,
    /// written at the end of the turn by `outbox::fan_out`, so that a large
    /// meeting's frames do not hold up the room's next commands.
    fn send_each(&mut self, frames: impl IntoIterator<Item = (ConnId, Utf8Bytes)>) {
        for (id, f) in frames {
            if let Some(out) = self.queue(id, f) {
                self.fanned.push(out);
            }
        }
    }

    fn state_frame(&mut self, role: Role) -> Utf8Bytes {
        let ranking = self.state.ranking();
        let view = views::state_view(
            &self.state,
            &self.info,
            role,
            &ranking,
            self.ctx.clock.now(),
        );
        frame(ServerMsg::State(&view).to_json())
    }

    fn live_frame(&self, role: Role) -> Utf8Bytes {
        let view = views::live_view(
            &self.state,
            self.member_conn.len() as u32,
            self.recent.iter().cloned().collect(),
            role == Role::Host,
        );
        frame(ServerMsg::Live(&view).to_json())
    }

    fn members_frame(&self) -> Utf8Bytes {
        let rows = views::member_rows(&self.state, |m| self.member_conn.contains_key(&m));
        let roster = views::roster_rows(&self.state);
        let not_voted = views::not_voted(&self.state);
        let matches = views::name_matches(&self.state);
        let removed: Vec<RemovedRow> = self
            .state
            .barred_members()
            .into_iter()
            .map(|(id, name)| RemovedRow { id, name })
            .collect();
        frame(
            ServerMsg::Members {
                members: &rows,
                roster: &roster,
                not_voted: not_voted.as_deref(),
                matches: &matches,
                removed: &removed,
            }
            .to_json(),
        )
    }

    fn send_me(&mut self, conn: ConnId) {
        let Some(member) = self.peers.get(&conn).and_then(|p| p.member) else {
            return;
        };
        let ranking = self.state.ranking();
        if let Some(me) = views::me_view(&self.state, member, &ranking) {
            self.send(conn, frame(ServerMsg::Me(&me).to_json()));
        }
    }

    /// Sends what changed since the last flush.
    fn flush(&mut self) {
        if self.dirty.state {
            self.dirty.state = false;
            for role in [Role::Member, Role::Screen, Role::Host] {
                let f = self.state_frame(role);
                if self.last_state.get(&role) == Some(&f) {
                    continue;
                }
                self.broadcast(role, &f);
                self.last_state.insert(role, f);
            }
            // Counters shown with the new state must match it.
            self.dirty.live = true;
        }
        if self.dirty.all_me {
            self.dirty.all_me = false;
            self.of_sent = self.state.active_count();
            let ranking = self.state.ranking();
            let targets: Vec<(ConnId, MemberId)> =
                self.member_conn.iter().map(|(m, c)| (*c, *m)).collect();
            let frames: Vec<(ConnId, Utf8Bytes)> = targets
                .into_iter()
                .filter_map(|(conn, member)| {
                    let me = views::me_view(&self.state, member, &ranking)?;
                    Some((conn, frame(ServerMsg::Me(&me).to_json())))
                })
                .collect();
            self.send_each(frames);
        }
    }

    fn publish_summary(&self) {
        let s = &self.summary;
        s.members
            .store(self.state.active_count(), Ordering::Relaxed);
        s.connected
            .store(self.member_conn.len() as u32, Ordering::Relaxed);
        s.ended.store(self.state.ended, Ordering::Relaxed);
    }

    /// Coalesced counters for the projector and the host.
    fn flush_live(&mut self) {
        self.publish_summary();
        if self.dirty.live {
            self.dirty.live = false;
            for role in [Role::Screen, Role::Host] {
                let f = self.live_frame(role);
                self.broadcast(role, &f);
            }
        }
        let every = MEMBER_LIST_EVERY * (1 + self.state.active_count() / MEMBER_LIST_STEP);
        if self.dirty.members && self.members_sent_at.elapsed() >= every {
            self.dirty.members = false;
            self.members_sent_at = tokio::time::Instant::now();
            let f = self.members_frame();
            self.broadcast(Role::Host, &f);
            // "Hạng x/N" on the phones follows the member count at the
            // same pace as the host's list, not on every join.
            if self.state.active_count() != self.of_sent {
                self.dirty.all_me = true;
            }
        }
    }

    /// Records which views an event changes.
    fn mark(&mut self, event: &Event) {
        let d = &mut self.dirty;
        match event {
            Event::Joined { name, .. } => {
                d.live = true;
                d.members = true;
                self.recent.push_back(name.clone());
                if self.recent.len() > RECENT_NAMES {
                    self.recent.pop_front();
                }
            }
            Event::Answered { .. } => {
                d.live = true;
                d.members = true;
            }
            Event::Removed { .. } => {
                d.state = true;
                d.live = true;
                d.members = true;
                // Ranks change for everyone.
                d.all_me = true;
            }
            Event::Closed { .. } => {
                d.state = true;
                d.all_me = true;
                d.members = true;
            }
            Event::Shown { .. } => {
                d.state = true;
                d.members = true;
            }
            Event::Reasked { .. } | Event::Skipped => {
                d.state = true;
                d.live = true;
                d.members = true;
                d.all_me = true;
            }
            Event::Resumed { .. } => d.state = true,
            Event::Leaderboard | Event::Podium | Event::Ended => d.state = true,
            Event::Rekeyed { .. } | Event::Readmitted { .. } => d.members = true,
            Event::Left { .. }
            | Event::Returned { .. }
            | Event::Voted { .. }
            | Event::BallotCast { .. } => {
                d.live = true;
                d.members = true;
            }
            Event::RosterSet { .. }
            | Event::RosterEdited { .. }
            | Event::RosterRemoved { .. }
            | Event::Excused { .. }
            | Event::MarkedPresent { .. }
            | Event::HandCounted { .. }
            | Event::Assigned { .. }
            | Event::Approved { .. }
            | Event::SettingsChanged { .. }
            | Event::WordingSet { .. }
            | Event::MotionClosed { .. }
            | Event::MotionShown { .. } => {
                d.state = true;
                d.live = true;
                d.members = true;
                d.all_me = true;
            }
            // Nobody has voted on a motion just opened, and eligibility is in
            // every `me` already: no per-member frame, so thousands of phones
            // get one shared frame before they vote.
            Event::MotionOpened { .. } => {
                d.state = true;
                d.live = true;
                d.members = true;
            }
            Event::MotionCreated { .. }
            | Event::MotionUpdated { .. }
            | Event::MotionDeleted { .. }
            | Event::Reserved { .. } => d.state = true,
            Event::BallotsSealed { .. } => {}
            Event::Meeting(e) => meeting::mark(d, e),
            Event::MinutesSet { .. } => {}
        }
    }

    // ---- connections ---------------------------------------------------

    fn handle(&mut self, msg: RoomMsg) {
        match msg {
            RoomMsg::Hello { hello, conn } => self.hello(hello, conn),
            RoomMsg::Command { conn, msg } => self.command(conn, msg),
            RoomMsg::Gone { conn } => self.gone(conn),
            RoomMsg::Api { op, reply } => self.api(op, reply),
        }
    }

    fn gone(&mut self, conn: ConnId) {
        let Some(p) = self.peers.remove(&conn) else {
            return;
        };
        if let Some(m) = p.member
            && self.member_conn.get(&m) == Some(&conn)
        {
            self.member_conn.remove(&m);
            self.dirty.live = true;
            self.dirty.members = true;
            // The one everybody was waiting for may have left.
            self.close_if_all_answered();
        }
    }

    fn hello(&mut self, hello: Hello, conn: ConnHandle) {
        let id = conn.id;
        let cid = hello.cid.clone();
        if let Some(p) = self.peers.get(&id)
            && p.role.is_some()
        {
            self.refuse(
                id,
                &cid,
                Refusal::new(ErrorCode::BadMessage, "this connection has already joined"),
            );
            return;
        }
        self.peers.insert(
            id,
            Peer {
                conn,
                role: None,
                member: None,
                live: false,
            },
        );
        if hello.protocol != PROTOCOL_VERSION {
            self.refuse(
                id,
                &cid,
                Refusal::new(
                    ErrorCode::UnsupportedProtocol,
                    format!(
                        "this server speaks protocol {PROTOCOL_VERSION}; reload the page to get a matching client"
                    ),
                ),
            );
            return;
        }
        match hello.role {
            Role::Screen => {
                self.set_role(id, Role::Screen, None);
                let seq = self.welcome_seq(None);
                self.after(
                    seq,
                    After::Welcome {
                        conn: id,
                        cid,
                        token: None,
                    },
                );
            }
            Role::Host => {
                let ok = hello
                    .secret
                    .as_deref()
                    .is_some_and(|s| crate::auth::secret_matches(s, &self.ctx.host_secret));
                if !ok {
                    self.refuse(
                        id,
                        &cid,
                        Refusal::new(ErrorCode::Unauthorized, "wrong host secret"),
                    );
                    return;
                }
                self.set_role(id, Role::Host, None);
                let seq = self.welcome_seq(None);
                self.after(
                    seq,
                    After::Welcome {
                        conn: id,
                        cid,
                        token: None,
                    },
                );
            }
            Role::Member => self.member_hello(id, hello),
        }
    }

    fn set_role(&mut self, conn: ConnId, role: Role, member: Option<MemberId>) {
        if let Some(p) = self.peers.get_mut(&conn) {
            p.role = Some(role);
            p.member = member;
        }
    }

    fn member_hello(&mut self, conn: ConnId, hello: Hello) {
        let cid = hello.cid;
        // A removed member does not come back under another name.
        if hello
            .token
            .as_deref()
            .is_some_and(|t| self.state.is_barred(t))
        {
            return self.refuse(
                conn,
                &cid,
                Refusal::new(
                    ErrorCode::Removed,
                    "the host removed you from this meeting; ask the host to let you back in",
                ),
            );
        }
        let known = hello
            .token
            .as_deref()
            .and_then(|t| self.state.member_by_token(t));
        if let Some(key) = hello.key.as_deref() {
            let code = self.state.roster_by_key(key).map(|r| r.entry.code.clone());
            if let (Some(member), Some(code), Some(token)) = (known, code, hello.token.as_deref()) {
                let linked = |s: &MeetingState| s.member(member).and_then(|m| m.roster.clone());
                // A guest who scans their personal QR code becomes that member.
                if linked(&self.state).is_none() && self.state.check_link(&code).is_ok() {
                    let assign = Event::Assigned {
                        member,
                        code: code.clone(),
                    };
                    let _ = self.emit(By::System, None, assign);
                }
                if linked(&self.state).as_deref() == Some(code.as_str()) {
                    return self.resume(conn, cid, member, token.to_string());
                }
            }
            // Someone else's device: the key decides, with a token of its own.
            let token = if known.is_some() { None } else { hello.token };
            return self.key_hello(conn, cid, key, token);
        }
        // A known token resumes that member.
        if let (Some(member), Some(token)) = (known, hello.token.as_deref()) {
            return self.resume(conn, cid, member, token.to_string());
        }
        if hello.name.is_none() && hello.token.is_some() {
            return self.refuse(
                conn,
                &cid,
                Refusal::new(
                    ErrorCode::BadToken,
                    "this member token is not valid in this meeting; join again with your name",
                ),
            );
        }
        if self.state.has_roster() && !self.state.settings.allow_guests && !self.state.ended {
            return self.refuse(
                conn,
                &cid,
                Refusal::new(
                    ErrorCode::GuestsNotAllowed,
                    "this meeting admits the members on its roster: scan your personal QR code, or ask the organiser to let guests in",
                ),
            );
        }
        if self.state.ended {
            self.refuse(
                conn,
                &cid,
                Refusal::new(ErrorCode::MeetingEnded, "this meeting has ended"),
            );
            return;
        }
        let Some(name) = hello.name.as_deref() else {
            let r = if hello.token.is_some() {
                Refusal::new(
                    ErrorCode::BadToken,
                    "this member token is not valid in this meeting; join again with your name",
                )
            } else {
                Refusal::new(ErrorCode::InvalidName, "enter a name to join")
            };
            self.refuse(conn, &cid, r);
            return;
        };
        let Some(token) = self.client_token(conn, &cid, hello.token) else {
            return;
        };
        let name = match clean_name(name) {
            Ok(n) => n,
            Err(r) => return self.refuse(conn, &cid, r),
        };
        // Ballot stuffing: one phone may not become many members.
        if let Some(client) = self.peers.get(&conn).and_then(|p| p.conn.client) {
            let cap = self.ctx.members_per_client;
            let n = self.members_by_client.entry(client).or_insert(0);
            if *n >= cap {
                return self.refuse(
                    conn,
                    &cid,
                    Refusal::new(
                        ErrorCode::TooManyMembers,
                        format!(
                            "this device has already joined as {cap} members; resume as one of them"
                        ),
                    ),
                );
            }
            *n += 1;
        }
        let member = self.state.next_member_id();
        let event = Event::Joined {
            member,
            name,
            token_hash: hash_token(&token),
            roster: None,
        };
        self.join(conn, cid, member, event, token);
    }

    /// Records a new member's join, and welcomes them once it is durable.
    fn join(&mut self, conn: ConnId, cid: String, member: MemberId, joined: Event, token: String) {
        match self.emit(By::System, None, joined) {
            Ok(seq) => {
                self.joins.push_back((seq, member));
                self.set_role(conn, Role::Member, Some(member));
                self.after(
                    seq,
                    After::Welcome {
                        conn,
                        cid,
                        token: Some(token),
                    },
                );
            }
            Err(r) => self.refuse(conn, &cid, r),
        }
    }

    /// The client's chosen token if strong, a fresh one if none; refuses a weak one.
    fn client_token(&mut self, conn: ConnId, cid: &str, token: Option<String>) -> Option<String> {
        match token {
            Some(t) if crate::auth::token_is_strong(&t) => Some(t),
            Some(_) => {
                self.refuse(
                    conn,
                    cid,
                    Refusal::new(
                        ErrorCode::BadToken,
                        "a member token must be 22 to 128 characters of A-Z, a-z, 0-9, - or _",
                    ),
                );
                None
            }
            None => Some(crate::auth::new_token()),
        }
    }

    /// A known member comes back (coming back counts them present again).
    fn resume(&mut self, conn: ConnId, cid: String, member: MemberId, token: String) {
        let mut seq = self.welcome_seq(Some(member));
        if !self.state.is_present(member)
            && let Ok(s) = self.emit(By::Member(member), None, Event::Returned { member })
        {
            seq = s;
        }
        self.set_role(conn, Role::Member, Some(member));
        self.after(
            seq,
            After::Welcome {
                conn,
                cid,
                token: Some(token),
            },
        );
    }

    /// A roster member arrives with their personal QR code.
    fn key_hello(&mut self, conn: ConnId, cid: String, key: &str, token: Option<String>) {
        let Some(entry) = self.state.roster_by_key(key).cloned() else {
            return self.refuse(
                conn,
                &cid,
                Refusal::new(
                    ErrorCode::BadToken,
                    "this personal QR code is not valid for this meeting; ask the organiser",
                ),
            );
        };
        let Some(token) = self.client_token(conn, &cid, token) else {
            return;
        };
        let token_hash = hash_token(&token);
        // Already here (another phone, or a cleared browser): take over.
        if let Some(member) = entry.member.filter(|&m| self.state.member(m).is_some()) {
            return match self.emit(By::System, None, Event::Rekeyed { member, token_hash }) {
                Ok(_) => self.resume(conn, cid, member, token),
                Err(r) => self.refuse(conn, &cid, r),
            };
        }
        if self.state.ended {
            return self.refuse(
                conn,
                &cid,
                Refusal::new(ErrorCode::MeetingEnded, "this meeting has ended"),
            );
        }
        let name = entry
            .entry
            .name
            .chars()
            .take(state::MAX_NAME_CHARS)
            .collect::<String>();
        let name = if self.state.name_taken(&name) {
            self.state.name_suggestion(&name)
        } else {
            name
        };
        let member = self.state.next_member_id();
        let event = Event::Joined {
            member,
            name,
            token_hash,
            roster: Some(entry.entry.code.clone()),
        };
        self.join(conn, cid, member, event, token);
    }

    /// The sequence number a welcome waits for: everything queued so far;
    /// while the database is out of reach, what is committed (the page is
    /// served from memory), or the member's own join if it is not durable.
    fn welcome_seq(&self, member: Option<MemberId>) -> u64 {
        if self.down.is_none() {
            return self.queued;
        }
        let committed = self.committed.borrow().seq;
        member
            .and_then(|m| self.joins.iter().find(|j| j.1 == m))
            .map_or(committed, |j| j.0)
    }

    /// Greets a connection whose join is durable, and starts its broadcasts.
    fn welcome(&mut self, conn: ConnId, cid: &str, token: Option<String>) {
        let Some(p) = self.peers.get(&conn) else {
            return;
        };
        let (role, member) = (p.role.expect("role set before welcome"), p.member);
        let welcome_member = match member {
            Some(m) => {
                let Some(mem) = self.state.member(m) else {
                    return self.refuse(
                        conn,
                        cid,
                        Refusal::new(ErrorCode::BadToken, "you were removed from this meeting"),
                    );
                };
                Some(WelcomeMember {
                    id: m,
                    name: mem.name.clone(),
                    token: token.unwrap_or_default(),
                })
            }
            None => None,
        };
        let w = ServerMsg::Welcome {
            protocol: PROTOCOL_VERSION,
            cid,
            role,
            meeting: &self.info,
            member: welcome_member,
        }
        .to_json();
        self.send(conn, frame(w));
        let f = self.state_frame(role);
        self.send(conn, f);
        match role {
            Role::Member => {
                let m = member.expect("members have ids");
                if let Some(old) = self.member_conn.insert(m, conn)
                    && old != conn
                {
                    self.close(
                        old,
                        "replaced",
                        "this member opened the meeting on another screen",
                    );
                }
                self.send_me(conn);
                self.dirty.live = true;
                self.dirty.members = true;
            }
            Role::Screen => {
                let f = self.live_frame(role);
                self.send(conn, f);
            }
            Role::Host => {
                let f = self.live_frame(role);
                self.send(conn, f);
                let f = self.members_frame();
                self.send(conn, f);
            }
        }
        if self.down.is_some() {
            self.send(
                conn,
                frame(ServerMsg::Database { available: false }.to_json()),
            );
        }
        if let Some(p) = self.peers.get_mut(&conn) {
            p.live = true;
            p.conn.host.store(role == Role::Host, Ordering::Release);
            p.conn.joined.store(true, Ordering::Release);
        }
    }
}

/// Rebuilds a meeting's state from its stored events and secret counts.
pub fn replay(
    config: state::MeetingConfig,
    events: &[Envelope],
    secret_counts: &[(u32, u32, u64)],
) -> MeetingState {
    let mut s = MeetingState::new(config);
    s.preload_secret_counts(secret_counts);
    for env in events {
        if let Err(r) = s.apply(env) {
            tracing::warn!(pin = %s.config.pin, seq = env.seq, "a stored event no longer applies: {}", crate::text::for_log(&r.message));
            s.seq = env.seq;
        }
    }
    s
}

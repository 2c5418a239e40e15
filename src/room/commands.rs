//! What each command does: turns a client's command into events, after the
//! checks that need more than the state (roles, eligibility of the sender).

use std::sync::atomic::Ordering;

use serde_json::json;
use tokio::sync::oneshot;

use super::ballot_box::Held;
use super::event::{By, Event, RosterRow};
use super::state::Refusal;
use super::{Actor, After, ApiOp, ConnId, frame};
use crate::protocol::{AnswerMsg, ClientMsg, ErrorCode, MotionDraft, Role, RosterInput, ServerMsg};
use crate::quiz::{CloseReason, MemberId, Phase, Step, Submission};
use crate::roster::{RosterEntry, Status};
use crate::store::Op;
use crate::vote::election::Kept;
use crate::vote::{
    Ballot, MAX_RESERVATION_CHARS, MotionId, MotionKind, MotionSpec, Template, VoteError,
};

/// Queued writes beyond which new commands are refused as "busy".
const MAX_BACKLOG: usize = 50_000;

fn host_only() -> Refusal {
    Refusal::new(ErrorCode::Forbidden, "only the host can do that")
}

/// A draft's fields over a base spec; a template given restarts from it.
fn spec_from_draft(base: MotionSpec, d: &MotionDraft) -> Result<MotionSpec, Refusal> {
    let text = d.text.clone().unwrap_or_else(|| base.text.clone());
    let mut s = match d.template {
        Some(t) => MotionSpec::from_template(t, &text),
        None => MotionSpec { text, ..base },
    };
    if let Some(v) = &d.options {
        s.options = v.clone();
        // A custom list has no default abstention unless one is named.
        if d.abstain.is_none() && s.options.len() != 3 {
            s.abstain = None;
        }
    }
    if let Some(v) = d.ballot {
        s.ballot = v;
        if v == Ballot::Secret && d.live_tally.is_none() {
            s.live_tally = false;
        }
    }
    if let Some(v) = d.decide {
        s.decide = v;
    }
    if let Some(v) = &d.rule {
        s.rule = serde_json::from_value(v.clone()).map_err(|e| {
            Refusal::new(ErrorCode::InvalidMotion, format!("decision rule: {e}"))
                .with_params(json!({"problem": "bad_rule", "error": e.to_string()}))
        })?;
    }
    if let Some(v) = &d.candidates {
        s.options = v.clone();
    }
    if let Some(v) = d.seats {
        s.seats = v;
    }
    if let Some(v) = &d.penalties {
        s.set_penalties(v.clone());
    }
    if let Some(v) = d.approve {
        s.approve = v;
    }
    if let Some(v) = d.abstain {
        s.abstain = v;
    }
    if let Some(v) = d.live_tally {
        s.live_tally = v;
    }
    if let Some(v) = d.changes_allowed {
        s.changes_allowed = v;
    }
    if let Some(v) = d.show_voters {
        s.show_voters = v;
    }
    s.validate().map_err(|p| {
        let mut params = p.params;
        if let Some(o) = params.as_object_mut() {
            o.insert("problem".into(), p.code.into());
        }
        Refusal::new(ErrorCode::InvalidMotion, p.message).with_params(params)
    })
}

/// Checks a roster entry typed by the host.
fn roster_entry(i: &RosterInput) -> Result<RosterEntry, Refusal> {
    let bad = |m: String| Refusal::new(ErrorCode::InvalidRoster, m);
    let name = crate::text::collapse(&i.name);
    let code = crate::text::collapse(&i.code);
    if name.is_empty() || name.chars().count() > crate::roster::MAX_NAME_CHARS {
        return Err(bad(format!(
            "a name must be 1 to {} characters",
            crate::roster::MAX_NAME_CHARS
        ))
        .with_params(json!({"problem": "name_length", "max": crate::roster::MAX_NAME_CHARS})));
    }
    if code.is_empty() || code.chars().count() > crate::roster::MAX_CODE_CHARS {
        return Err(bad(format!(
            "a member code must be 1 to {} characters",
            crate::roster::MAX_CODE_CHARS
        ))
        .with_params(json!({"problem": "code_length", "max": crate::roster::MAX_CODE_CHARS})));
    }
    let group = i.group.as_deref().unwrap_or("");
    for text in [&name, &code, group] {
        if let Some(c) = crate::text::find_invisible(text) {
            return Err(bad(format!(
                "names, codes and groups cannot contain control or invisible characters ({c})"
            ))
            .with_params(json!({"problem": "invisible_character", "character": c})));
        }
    }
    let status = Status::parse(&i.status).ok_or_else(|| {
        // The statuses as codes: the page words them from its catalogue in
        // the meeting's wording and language (issue 14), never the server.
        let keys: Vec<String> = Status::ALL
            .iter()
            .map(|s| s.label_en().to_lowercase())
            .collect();
        bad(format!(
            "unknown status \"{}\"; use one of: {}",
            i.status,
            keys.join(", ")
        ))
        .with_params(serde_json::json!({
            "problem": "unknown_status",
            "value": i.status,
            "accepted": keys,
        }))
    })?;
    Ok(RosterEntry {
        name,
        code,
        status,
        group: i
            .group
            .as_deref()
            .map(crate::text::collapse)
            .filter(|g| !g.is_empty()),
    })
}

impl Actor {
    pub(super) fn command(&mut self, conn: ConnId, msg: ClientMsg) {
        let cid = msg.cid().to_string();
        let Some(p) = self.peers.get(&conn) else {
            return;
        };
        if let ClientMsg::Hello(_) = msg {
            return self.refuse(
                conn,
                &cid,
                Refusal::new(ErrorCode::BadMessage, "this connection has already joined"),
            );
        }
        let by = match (p.live, p.role, p.member) {
            (true, Some(Role::Host), _) => By::Host,
            (true, Some(Role::Member), Some(m)) => By::Member(m),
            (true, Some(_), _) => {
                return self.refuse(
                    conn,
                    &cid,
                    Refusal::new(ErrorCode::Forbidden, "the projector view is read-only"),
                );
            }
            _ => {
                return self.refuse(
                    conn,
                    &cid,
                    Refusal::new(
                        ErrorCode::NotJoined,
                        "send hello and wait for welcome first",
                    ),
                );
            }
        };
        // A secret ballot resent while it waits in the box: received again.
        if let By::Member(m) = by
            && let Some(h) = self.ballot_box.find_mut(m, &cid)
        {
            h.conn = conn;
            return self.send(conn, frame(ServerMsg::Received { cid: &cid }.to_json()));
        }
        // A resent command: acknowledge again, apply once.
        if self.state.seen(by, &cid) {
            let seq = self.queued;
            self.after(
                seq,
                After::Ack {
                    conn,
                    cid,
                    me: false,
                },
            );
            return;
        }
        // Nothing can be saved: refused rather than acknowledged late.
        if let Err(r) = self.check_available() {
            return self.refuse(conn, &cid, r);
        }
        if self.ctx.store.backlog() > MAX_BACKLOG {
            return self.refuse(
                conn,
                &cid,
                Refusal::new(
                    ErrorCode::ServerBusy,
                    "the server is busy; try again in a moment",
                ),
            );
        }
        let result = match by {
            By::Member(m) => self.member_command(conn, m, &cid, &msg),
            _ => self.host_command(&cid, &msg),
        };
        match result {
            Ok(_) if matches!(by, By::Member(m) if self.ballot_box.holds(m, &cid)) => {
                self.send(conn, frame(ServerMsg::Received { cid: &cid }.to_json()));
                self.seal_ready();
            }
            Ok(seq) => {
                // A member's own view changes with an answer or a reservation;
                // after a vote the ack says enough (and a burst of thousands
                // of votes should cost one frame each).
                let me = matches!(by, By::Member(_))
                    && !matches!(msg, ClientMsg::Vote { .. } | ClientMsg::Ballot { .. });
                self.after(seq, After::Ack { conn, cid, me });
            }
            Err(r) => self.refuse(conn, &cid, r),
        }
    }

    fn member_command(
        &mut self,
        conn: ConnId,
        m: MemberId,
        cid: &str,
        msg: &ClientMsg,
    ) -> Result<u64, Refusal> {
        let by = By::Member(m);
        match msg {
            ClientMsg::Ping { .. } => unreachable!("answered by the connection"),
            ClientMsg::Answer(a) => self.answer(m, a),
            ClientMsg::Vote { motion, option, .. } => self.vote(conn, m, cid, *motion, *option),
            ClientMsg::Ballot { motion, keep, .. } => self.ballot(conn, m, cid, *motion, keep),
            ClientMsg::Reserve { motion, text, .. } => {
                let text = text.trim();
                if text.is_empty() || text.chars().count() > MAX_RESERVATION_CHARS {
                    return Err(Refusal::new(
                        ErrorCode::BadMessage,
                        format!("a reservation is 1 to {MAX_RESERVATION_CHARS} characters"),
                    ));
                }
                let event = Event::Reserved {
                    member: m,
                    motion: *motion,
                    text: text.to_string(),
                };
                self.emit(by, Some(cid), event)
            }
            ClientMsg::Leave { .. } => self.emit(by, Some(cid), Event::Left { member: m }),
            msg if super::meeting::is_meeting_command(msg) => {
                self.meeting_member_command(m, cid, msg)
            }
            _ => Err(host_only()),
        }
    }

    fn host_command(&mut self, cid: &str, msg: &ClientMsg) -> Result<u64, Refusal> {
        let by = By::Host;
        let c = Some(cid);
        match msg {
            ClientMsg::Answer(_)
            | ClientMsg::Vote { .. }
            | ClientMsg::Ballot { .. }
            | ClientMsg::Reserve { .. }
            | ClientMsg::Leave { .. } => {
                Err(Refusal::new(ErrorCode::Forbidden, "only members do that"))
            }
            ClientMsg::Hello(_) | ClientMsg::Ping { .. } => unreachable!("handled before"),
            ClientMsg::Start { .. } => {
                if self.state.quiz.phase() != Phase::NotStarted {
                    Err(Refusal::new(
                        ErrorCode::WrongPhase,
                        "the quiz has already started",
                    ))
                } else {
                    self.emit(by, c, Event::Shown { question: 0 })
                }
            }
            ClientMsg::Next { .. } => self.next(by, c),
            ClientMsg::Reveal { .. } => self.emit(
                by,
                c,
                Event::Closed {
                    reason: CloseReason::Host,
                },
            ),
            ClientMsg::Reask { question, .. } => self.emit(
                by,
                c,
                Event::Reasked {
                    question: *question,
                },
            ),
            ClientMsg::Skip { .. } => {
                let seq = self.emit(by, c, Event::Skipped)?;
                Ok(self.next(By::System, None).unwrap_or(seq))
            }
            ClientMsg::End { .. } => {
                let event = if self.state.quiz.phase() == Phase::Podium {
                    // No more ballots can come: the box is one last group.
                    self.seal_all();
                    Event::Ended
                } else {
                    Event::Podium
                };
                self.emit(by, c, event)
            }
            ClientMsg::Kick { member, .. } => {
                let m = *member;
                let seq = self.emit(by, c, Event::Removed { member: m })?;
                if let Some(conn) = self.member_conn.get(&m).copied() {
                    self.close(conn, "removed", "the host removed you from this meeting");
                }
                Ok(seq)
            }
            ClientMsg::Readmit { member, .. } => {
                self.emit(by, c, Event::Readmitted { member: *member })
            }
            ClientMsg::MotionCreate { draft, .. } => {
                let base = MotionSpec::from_template(Template::Resolution, "");
                let spec = spec_from_draft(base, draft)?;
                let motion = self.state.next_motion_id();
                self.emit(by, c, Event::MotionCreated { motion, spec })
            }
            ClientMsg::MotionUpdate { motion, draft, .. } => {
                let base = self
                    .state
                    .motion(*motion)
                    .ok_or_else(|| Refusal::from(crate::vote::VoteError::UnknownMotion(*motion)))?
                    .spec
                    .clone();
                let spec = spec_from_draft(base, draft)?;
                self.emit(
                    by,
                    c,
                    Event::MotionUpdated {
                        motion: *motion,
                        spec,
                    },
                )
            }
            ClientMsg::MotionDelete { motion, .. } => {
                self.emit(by, c, Event::MotionDeleted { motion: *motion })
            }
            ClientMsg::MotionOpen { motion, .. } => {
                self.emit(by, c, Event::MotionOpened { motion: *motion })
            }
            ClientMsg::MotionClose { motion, .. } => self.close_motion(c, *motion),
            ClientMsg::MotionShow { motion, .. } => {
                self.emit(by, c, Event::MotionShown { motion: *motion })
            }
            ClientMsg::RosterAdd { entry, .. } => {
                let entry = roster_entry(entry)?;
                let rows = vec![RosterRow {
                    entry,
                    key: crate::auth::new_token(),
                }];
                self.emit(
                    by,
                    c,
                    Event::RosterSet {
                        rows,
                        replace: false,
                    },
                )
            }
            ClientMsg::RosterUpdate { entry, .. } => {
                let entry = roster_entry(entry)?;
                let code = entry.code.clone();
                self.emit(by, c, Event::RosterEdited { code, entry })
            }
            ClientMsg::RosterRemove { code, .. } => {
                self.emit(by, c, Event::RosterRemoved { code: code.clone() })
            }
            ClientMsg::Excuse { code, excused, .. } => {
                let event = Event::Excused {
                    code: code.clone(),
                    excused: *excused,
                };
                self.emit(by, c, event)
            }
            ClientMsg::Mark { code, present, .. } => {
                let event = Event::MarkedPresent {
                    code: code.clone(),
                    present: *present,
                };
                self.emit(by, c, event)
            }
            ClientMsg::HandCount { motion, counts, .. } => {
                let event = Event::HandCounted {
                    motion: *motion,
                    counts: counts.clone(),
                };
                self.emit(by, c, event)
            }
            ClientMsg::Assign { member, code, .. } => {
                let event = Event::Assigned {
                    member: *member,
                    code: code.clone(),
                };
                self.emit(by, c, event)
            }
            ClientMsg::Approve { member, .. } => {
                let pending = self.state.member(*member).map(|m| m.pending);
                match pending {
                    None => Err(Refusal::new(ErrorCode::UnknownMember, "no such member")),
                    // Already allowed to vote: nothing to record.
                    Some(false) => Ok(self.state.seq),
                    Some(true) => self.emit(by, c, Event::Approved { member: *member }),
                }
            }
            ClientMsg::Settings {
                approve_members,
                allow_guests,
                exclude_excused,
                congress,
                ..
            } => {
                let mut settings = self.state.settings;
                if let Some(v) = approve_members {
                    settings.approve_members = *v;
                }
                if let Some(v) = allow_guests {
                    settings.allow_guests = *v;
                }
                if let Some(v) = exclude_excused {
                    settings.exclude_excused = *v;
                }
                if let Some(v) = congress {
                    settings.congress = *v;
                }
                self.emit(by, c, Event::SettingsChanged { settings })
            }
            ClientMsg::Wording { wording, .. } => {
                let wording = parse_wording(wording)?;
                if wording == self.state.settings.wording {
                    return Ok(self.state.seq);
                }
                self.emit(by, c, Event::WordingSet { wording })
            }
            // Agenda, opinions, evaluation (room/meeting.rs).
            msg => self.meeting_host_command(cid, msg),
        }
    }

    /// The host's "next": leaderboard, next question, or podium.
    fn next(&mut self, by: By, cid: Option<&str>) -> Result<u64, Refusal> {
        let event = match self.state.quiz.next_step()? {
            Step::Question(i) => Event::Shown { question: i },
            Step::Leaderboard => Event::Leaderboard,
            Step::Podium => Event::Podium,
        };
        self.emit(by, cid, event)
    }

    fn answer(&mut self, member: MemberId, a: &AnswerMsg) -> Result<u64, Refusal> {
        let submission = match (&a.choice, &a.text) {
            (Some(c), None) => Submission::Choice(c.clone()),
            (None, Some(t)) => Submission::Text(t.clone()),
            _ => {
                return Err(Refusal::new(
                    ErrorCode::InvalidAnswer,
                    "send either \"choice\" (option indices) or \"text\"",
                ));
            }
        };
        let now = self.ctx.clock.now();
        let elapsed = self.state.quiz.round().map_or(0, |r| {
            let joined = self.state.member(member).map_or(0, |m| m.joined_at);
            let start = r.opens_at.max(joined);
            let rtt = self
                .member_conn
                .get(&member)
                .and_then(|c| self.peers.get(c))
                .map_or(0, |p| u64::from(p.conn.rtt_ms.load(Ordering::Relaxed)));
            now.saturating_sub(start).saturating_sub(rtt / 2) as u32
        });
        self.emit(
            By::Member(member),
            Some(&a.cid),
            Event::Answered {
                member,
                question: a.question,
                answer: submission,
                elapsed_ms: elapsed,
            },
        )
    }

    /// A vote: an open ballot records the choice; a secret one records that
    /// the member voted and, in a separate table, adds one to the count.
    fn vote(
        &mut self,
        conn: ConnId,
        member: MemberId,
        cid: &str,
        motion: MotionId,
        option: usize,
    ) -> Result<u64, Refusal> {
        let spec = &self
            .state
            .motion(motion)
            .ok_or(crate::vote::VoteError::UnknownMotion(motion))?
            .spec;
        if spec.kind == MotionKind::Election {
            return Err(VoteError::IsAnElection.into());
        }
        let secret = spec.ballot == Ballot::Secret;
        let by = By::Member(member);
        if !secret {
            return self.emit(
                by,
                Some(cid),
                Event::Voted {
                    member,
                    motion,
                    option,
                },
            );
        }
        self.hold_secret(conn, member, cid, motion, Some(option), &[option as u32])
    }

    /// A secret ballot: applied now (the member has voted, the counts
    /// move), written later with a group of others (see `ballot_box`).
    fn hold_secret(
        &mut self,
        conn: ConnId,
        member: MemberId,
        cid: &str,
        motion: MotionId,
        option: Option<usize>,
        slots: &[u32],
    ) -> Result<u64, Refusal> {
        let (written, queued) = (self.ops.len(), self.queued);
        let seq = self.emit(
            By::Member(member),
            Some(cid),
            Event::BallotCast {
                member,
                motion,
                option,
            },
        )?;
        let mut ops = self.ops.split_off(written);
        self.queued = queued;
        ops.extend(slots.iter().map(|&option| Op::SecretCount {
            meeting: self.id,
            motion,
            option,
        }));
        self.ballot_box.put(
            motion,
            Held {
                member,
                cid: cid.to_string(),
                conn,
                ops,
            },
        );
        Ok(seq)
    }

    /// An election ballot: the names kept. Like a secret vote, it records
    /// that the member voted and, apart, adds one to each kept candidate's
    /// count (or to the blank count); nothing links the two.
    fn ballot(
        &mut self,
        conn: ConnId,
        member: MemberId,
        cid: &str,
        motion: MotionId,
        keep: &[usize],
    ) -> Result<u64, Refusal> {
        let m = self
            .state
            .motion(motion)
            .ok_or(VoteError::UnknownMotion(motion))?;
        // Who may vote, and whether voting is open, before what the ballot says.
        self.state
            .may_vote(member)
            .map_err(super::voting::not_eligible)?;
        m.check(member, 0)?;
        let (kept, slots) = m.election_slots(keep)?;
        if kept == Kept::Invalid {
            // A phone never spoils a ballot by mistake: the member is told
            // and may correct it. (The engine counts such paper ballots as
            // invalid; see vote::election.)
            return Err(VoteError::TooManyKept {
                seats: m.spec.seats,
                kept: keep.len(),
            }
            .into());
        }
        let seq = self.hold_secret(conn, member, cid, motion, None, &slots)?;
        self.state.count_slots(motion, &slots)?;
        Ok(seq)
    }

    fn close_motion(&mut self, cid: Option<&str>, motion: MotionId) -> Result<u64, Refusal> {
        let seq = self.emit(By::Host, cid, Event::MotionClosed { motion })?;
        if self
            .state
            .motion(motion)
            .is_some_and(|m| m.spec.ballot == Ballot::Secret)
        {
            // No more ballots can come: the rest of the box is one group.
            self.seal_all();
            // Leave no history of the count's changes in the write-ahead log.
            self.ops.push(Op::Checkpoint);
        }
        Ok(seq)
    }

    /// Closes answers once every connected member has answered. Called once
    /// answers are durable (and their acks sent), so the last to answer sees
    /// "answer received" before the reveal.
    pub(super) fn close_if_all_answered(&mut self) {
        let Some(r) = self.state.quiz.round() else {
            return;
        };
        if self.state.quiz.phase() != Phase::Question || r.answers.is_empty() || r.outcome.is_some()
        {
            return;
        }
        // After a restart, phones reconnect during the countdown: nobody is
        // "everyone" yet.
        if r.resumes_at.is_some_and(|t| self.ctx.clock.now() < t) {
            return;
        }
        if r.answers.len() < self.member_conn.len() {
            return;
        }
        if self.member_conn.keys().all(|m| r.answers.contains_key(m)) {
            self.system(Event::Closed {
                reason: CloseReason::AllAnswered,
            });
        }
    }

    /// Requests from the HTTP API.
    pub(super) fn api(
        &mut self,
        op: ApiOp,
        reply: oneshot::Sender<Result<serde_json::Value, Refusal>>,
    ) {
        let result = match op {
            ApiOp::Deleted => {
                let conns: Vec<ConnId> = self.peers.keys().copied().collect();
                for &c in &conns {
                    self.close(c, "deleted", "the host deleted this meeting");
                }
                let _ = reply.send(Ok(json!({"closed": conns.len()})));
                return;
            }
            ApiOp::Roster => {
                let base = &self.info.join_url;
                let rows: Vec<serde_json::Value> = self
                    .state
                    .roster
                    .iter()
                    .map(|r| {
                        json!({
                            "code": r.entry.code,
                            "name": r.entry.name,
                            "status": r.entry.status,
                            "group": r.entry.group,
                            "join_url": format!("{base}?k={}", r.key),
                            "qr_url": format!("/qr/{}.svg?k={}", self.info.pin, r.key),
                        })
                    })
                    .collect();
                let _ = reply.send(Ok(
                    json!({"pin": self.info.pin, "title": self.info.title, "wording": self.state.settings.wording, "roster": rows}),
                ));
                return;
            }
            ApiOp::ImportRoster { entries, replace } => {
                let n = entries.len();
                // Re-importing keeps the personal QR codes already printed.
                let rows = entries
                    .into_iter()
                    .map(|entry| {
                        let key = self
                            .state
                            .roster_entry(&entry.code)
                            .map(|r| r.key.clone())
                            .unwrap_or_else(crate::auth::new_token);
                        RosterRow { entry, key }
                    })
                    .collect();
                self.emit(By::Host, None, Event::RosterSet { rows, replace })
                    .map(|seq| {
                        (
                            seq,
                            json!({"imported": n, "roster": self.state.roster.len()}),
                        )
                    })
            }
            ApiOp::CreateMotions { specs } => {
                let mut last = Ok(self.queued);
                let mut ids = Vec::new();
                for spec in specs {
                    let motion = self.state.next_motion_id();
                    last = self.emit(By::Host, None, Event::MotionCreated { motion, spec });
                    if last.is_err() {
                        break;
                    }
                    ids.push(motion);
                }
                last.map(|seq| (seq, json!({"created": ids})))
            }
            ApiOp::SetWording { wording } => {
                if wording == self.state.settings.wording {
                    let _ = reply.send(Ok(json!({"wording": wording})));
                    return;
                }
                self.emit(By::Host, None, Event::WordingSet { wording })
                    .map(|seq| (seq, json!({"wording": wording})))
            }
            ApiOp::SetMinutes { details } => self
                .emit(By::Host, None, Event::MinutesSet { details })
                .map(|seq| (seq, json!({"saved": true}))),
        };
        match result {
            Ok((seq, value)) => self.after(seq, After::Reply { reply, value }),
            Err(r) => {
                let _ = reply.send(Err(r));
            }
        }
    }
}

/// A `wording` value, or the refusal that lists the accepted ones.
pub fn parse_wording(value: &str) -> Result<crate::meeting::Wording, Refusal> {
    crate::meeting::Wording::parse(value).ok_or_else(|| {
        Refusal::new(
            ErrorCode::InvalidSetting,
            format!("unknown wording {value:?}; use party or neutral"),
        )
        .with_params(serde_json::json!({
            "problem": "wording",
            "setting": "wording",
            "value": value,
            "accepted": crate::meeting::Wording::ACCEPTED,
        }))
    })
}

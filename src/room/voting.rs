//! The meeting's roster, attendance and motions: the voting half of
//! `MeetingState::apply`.

use serde_json::json;

use super::event::Event;
use super::state::{MeetingState, Refusal};
use crate::protocol::ErrorCode;
use crate::quiz::{MemberId, Millis};
use crate::roster::RosterEntry;
use crate::vote::attendance::{self, Attendance, NotEligible, Person};
use crate::vote::{Ballot, Eligible, Motion, MotionId, MotionKind, VoteError};

/// One roster entry in a meeting.
#[derive(Clone, Debug)]
pub struct RosterMember {
    pub entry: RosterEntry,
    /// The secret in the entry's personal QR code.
    pub key: String,
    /// Absence approved by the host.
    pub excused: bool,
    /// Marked present by the host: a member without a phone, who is counted
    /// by hand and so never votes by phone.
    pub by_hand: bool,
    /// The joined member who is this entry.
    pub member: Option<MemberId>,
}

impl From<VoteError> for Refusal {
    fn from(e: VoteError) -> Refusal {
        let code = match e {
            VoteError::UnknownMotion(_) => ErrorCode::UnknownMotion,
            VoteError::NotOpen => ErrorCode::MotionNotOpen,
            VoteError::Closed => ErrorCode::MotionClosed,
            VoteError::OptionOutOfRange(_) => ErrorCode::OptionOutOfRange,
            VoteError::AlreadyVoted => ErrorCode::AlreadyVoted,
            VoteError::WrongState(_) | VoteError::AnotherOpen => ErrorCode::WrongPhase,
            VoteError::Invalid(_) => ErrorCode::InvalidMotion,
            VoteError::NotInMinority => ErrorCode::NotInMinority,
            VoteError::AlreadyReserved => ErrorCode::AlreadyReserved,
            VoteError::IsAnElection
            | VoteError::NotAnElection
            | VoteError::DuplicateKept(_)
            | VoteError::TooManyKept { .. } => ErrorCode::InvalidBallot,
        };
        let params = match &e {
            VoteError::IsAnElection => Some(json!({"problem": "use_ballot"})),
            VoteError::NotAnElection => Some(json!({"problem": "not_an_election"})),
            VoteError::DuplicateKept(i) => Some(json!({"problem": "duplicate_kept", "option": i})),
            VoteError::TooManyKept { seats, kept } => {
                Some(json!({"problem": "too_many_kept", "seats": seats, "kept": kept}))
            }
            _ => None,
        };
        let r = Refusal::new(code, e.to_string());
        match params {
            Some(p) => r.with_params(p),
            None => r,
        }
    }
}

/// A vote refused because of who the member is; `params.problem` names why.
pub(crate) fn not_eligible(why: NotEligible) -> Refusal {
    Refusal::new(ErrorCode::NotEligible, why.message()).with_params(json!({"problem": why.key()}))
}

fn no_entry(code: &str) -> Refusal {
    Refusal::new(
        ErrorCode::UnknownRosterEntry,
        format!("no one with member code \"{code}\" is on the roster"),
    )
}

impl MeetingState {
    pub fn has_roster(&self) -> bool {
        !self.roster.is_empty()
    }

    pub fn roster_entry(&self, code: &str) -> Option<&RosterMember> {
        self.roster_by_code.get(code).map(|&i| &self.roster[i])
    }

    /// The roster entry whose personal QR holds `key`.
    pub fn roster_by_key(&self, key: &str) -> Option<&RosterMember> {
        self.roster_by_key.get(key).map(|&i| &self.roster[i])
    }

    fn reindex_roster(&mut self) {
        self.roster_by_code = self
            .roster
            .iter()
            .enumerate()
            .map(|(i, r)| (r.entry.code.clone(), i))
            .collect();
        self.roster_by_key = self
            .roster
            .iter()
            .enumerate()
            .map(|(i, r)| (r.key.clone(), i))
            .collect();
    }

    /// Checks that roster entry `code` exists and is not already someone else.
    pub fn check_link(&self, code: &str) -> Result<(), Refusal> {
        let r = self.roster_entry(code).ok_or_else(|| no_entry(code))?;
        if r.member.is_some_and(|m| self.member(m).is_some()) {
            return Err(Refusal::new(
                ErrorCode::WrongPhase,
                format!("{} has already joined this meeting", r.entry.name),
            ));
        }
        Ok(())
    }

    pub(super) fn link(&mut self, member: MemberId, code: &str) {
        self.unlink(member);
        if let Some(&i) = self.roster_by_code.get(code) {
            self.roster[i].member = Some(member);
            self.roster[i].excused = false;
        }
        if let Some(m) = self.members.get_mut(member as usize - 1) {
            m.roster = Some(code.to_string());
        }
    }

    pub(super) fn unlink(&mut self, member: MemberId) {
        let Some(m) = self.members.get_mut(member as usize - 1) else {
            return;
        };
        if let Some(code) = m.roster.take()
            && let Some(&i) = self.roster_by_code.get(&code)
            && self.roster[i].member == Some(member)
        {
            self.roster[i].member = None;
        }
    }

    /// A member's roster status (none for a guest, or without a roster).
    pub fn roster_status(&self, member: MemberId) -> Option<crate::roster::Status> {
        self.member(member)
            .and_then(|m| m.roster.as_deref())
            .and_then(|c| self.roster_entry(c))
            .map(|r| r.entry.status)
    }

    /// How attendance sees a member (guests have no status).
    fn person(&self, member: MemberId) -> Person {
        Person {
            status: self.roster_status(member),
            present: self.is_present(member),
            excused: false,
        }
    }

    /// Whether `member` may vote now.
    pub fn may_vote(&self, member: MemberId) -> Result<(), NotEligible> {
        if !self.has_roster() && self.member(member).is_some_and(|m| m.pending) {
            return Err(NotEligible::Pending);
        }
        let by_hand = self
            .member(member)
            .and_then(|m| m.roster.as_deref())
            .and_then(|c| self.roster_entry(c))
            .is_some_and(|r| r.by_hand);
        if by_hand {
            return Err(NotEligible::CountedByHand);
        }
        attendance::may_vote(&self.person(member), self.has_roster())
    }

    /// Roster members marked present by hand who may vote: the most a hand
    /// count can hold.
    pub fn without_phones(&self) -> u32 {
        self.roster
            .iter()
            .filter(|r| r.by_hand)
            .filter(|r| {
                let p = Person {
                    status: Some(r.entry.status),
                    present: true,
                    excused: false,
                };
                attendance::may_vote(&p, true).is_ok()
            })
            .count() as u32
    }

    pub fn attendance(&self) -> Attendance {
        self.attendance_excluding(self.settings.exclude_excused)
    }

    /// Eligible members for a motion's decision. An election's base leaves
    /// out official members absent with a reason, whatever the meeting's
    /// setting (Quyết định 190-QĐ/TW Điều 30, domain/RULES.md).
    pub fn eligible_for(&self, motion: &Motion) -> Eligible {
        let exclude = self.settings.exclude_excused || motion.spec.kind == MotionKind::Election;
        self.attendance_excluding(exclude).eligible()
    }

    /// A cell congress needs two thirds of those convened present (Charter
    /// Art. 11 §6); shown while the meeting is in congress mode.
    pub fn congress_quorum(&self) -> Option<crate::protocol::CongressQuorum> {
        if !self.settings.congress {
            return None;
        }
        let a = self.attendance();
        let needed = crate::vote::decision::needed_present(
            crate::vote::decision::Fraction::new(2, 3),
            a.eligible_convened,
        );
        Some(crate::protocol::CongressQuorum {
            convened: a.eligible_convened,
            present: a.eligible_present,
            needed,
            met: a.eligible_convened > 0 && a.eligible_present >= needed,
        })
    }

    /// Adds a secret ballot's units to its motion's counts (the store adds
    /// the same units to its own table): one per kept candidate, or the
    /// blank or invalid slot.
    pub fn count_slots(&mut self, motion: MotionId, slots: &[u32]) -> Result<(), Refusal> {
        let m = self.motion_mut(motion)?;
        for &s in slots {
            m.add_to_slot(s, 1);
        }
        Ok(())
    }

    fn attendance_excluding(&self, exclude_excused: bool) -> Attendance {
        let roster = self.has_roster();
        let on_roster = self.roster.iter().map(|r| Person {
            status: Some(r.entry.status),
            present: r.by_hand || r.member.is_some_and(|m| self.is_present(m)),
            excused: r.excused,
        });
        let others = self
            .active_members()
            .filter(|m| !roster || m.roster.is_none())
            // Not admitted yet: neither convened nor present.
            .filter(|m| roster || !m.pending)
            .map(|m| Person {
                status: None,
                present: !m.left,
                excused: false,
            });
        attendance::count(on_roster.chain(others), roster, exclude_excused)
    }

    pub fn motion(&self, id: MotionId) -> Option<&Motion> {
        self.motions.get((id as usize).checked_sub(1)?)?.as_ref()
    }

    fn motion_mut(&mut self, id: MotionId) -> Result<&mut Motion, Refusal> {
        self.motions
            .get_mut((id as usize).wrapping_sub(1))
            .and_then(Option::as_mut)
            .ok_or_else(|| VoteError::UnknownMotion(id).into())
    }

    pub fn open_motion(&self) -> Option<&Motion> {
        self.motions
            .iter()
            .flatten()
            .find(|m| m.status == crate::vote::Status::Open)
    }

    pub fn next_motion_id(&self) -> MotionId {
        self.motions.len() as MotionId + 1
    }

    fn eligible_voter(&self, member: MemberId) -> Result<(), Refusal> {
        self.may_vote(member).map_err(not_eligible)
    }

    /// A vote of an eligible member, on a motion put to the right kind of ballot.
    fn cast(
        &mut self,
        member: MemberId,
        motion: MotionId,
        ballot: Ballot,
        cast: impl FnOnce(&mut Motion) -> Result<(), VoteError>,
    ) -> Result<(), Refusal> {
        self.eligible_voter(member)?;
        let m = self.motion_mut(motion)?;
        if m.spec.ballot != ballot {
            return Err(Refusal::new(
                ErrorCode::BadMessage,
                "this vote does not match the motion's kind of ballot",
            ));
        }
        cast(m).map_err(Refusal::from)
    }

    /// The voting events.
    pub(super) fn apply_voting(&mut self, event: &Event, at: Millis) -> Result<(), Refusal> {
        match event {
            Event::Left { member } => {
                if !self.is_present(*member) {
                    return Err(Refusal::new(
                        ErrorCode::WrongPhase,
                        "you are not in the meeting",
                    ));
                }
                self.members[*member as usize - 1].left = true;
            }
            Event::Returned { member } => {
                if self.member(*member).is_none() {
                    return Err(Refusal::new(ErrorCode::UnknownMember, "no such member"));
                }
                self.members[*member as usize - 1].left = false;
            }
            Event::RosterSet { rows, replace } => {
                if *replace {
                    // Keep links of those still on the new roster.
                    let links: Vec<(String, Option<MemberId>, bool, bool)> = self
                        .roster
                        .iter()
                        .map(|r| (r.entry.code.clone(), r.member, r.excused, r.by_hand))
                        .collect();
                    self.roster.clear();
                    for m in self.members.iter_mut() {
                        m.roster = None;
                    }
                    for row in rows {
                        let old = links.iter().find(|l| l.0 == row.entry.code);
                        self.roster.push(RosterMember {
                            entry: row.entry.clone(),
                            key: row.key.clone(),
                            excused: old.is_some_and(|o| o.2),
                            by_hand: old.is_some_and(|o| o.3),
                            member: old.and_then(|o| o.1),
                        });
                    }
                    for r in &self.roster {
                        if let Some(m) = r.member {
                            self.members[m as usize - 1].roster = Some(r.entry.code.clone());
                        }
                    }
                } else {
                    if let Some(dup) = rows
                        .iter()
                        .find(|r| self.roster_by_code.contains_key(&r.entry.code))
                    {
                        return Err(Refusal::new(
                            ErrorCode::InvalidRoster,
                            format!(
                                "member code \"{}\" is already on the roster",
                                dup.entry.code
                            ),
                        )
                        .with_params(json!({"problem": "code_taken", "value": dup.entry.code})));
                    }
                    self.roster.extend(rows.iter().map(|row| RosterMember {
                        entry: row.entry.clone(),
                        key: row.key.clone(),
                        excused: false,
                        by_hand: false,
                        member: None,
                    }));
                }
                self.reindex_roster();
            }
            Event::RosterEdited { code, entry } => {
                let i = *self
                    .roster_by_code
                    .get(code)
                    .ok_or_else(|| no_entry(code))?;
                if entry.code != *code {
                    return Err(Refusal::new(
                        ErrorCode::InvalidRoster,
                        "a member code cannot be changed; remove the entry and add it again",
                    )
                    .with_params(json!({"problem": "code_changed"})));
                }
                self.roster[i].entry = entry.clone();
            }
            Event::RosterRemoved { code } => {
                let i = *self
                    .roster_by_code
                    .get(code)
                    .ok_or_else(|| no_entry(code))?;
                let r = self.roster.remove(i);
                if let Some(m) = r.member {
                    self.members[m as usize - 1].roster = None;
                }
                self.reindex_roster();
            }
            Event::Excused { code, excused } => {
                let i = *self
                    .roster_by_code
                    .get(code)
                    .ok_or_else(|| no_entry(code))?;
                self.roster[i].excused = *excused;
            }
            Event::MarkedPresent { code, present } => {
                let i = *self
                    .roster_by_code
                    .get(code)
                    .ok_or_else(|| no_entry(code))?;
                let r = &self.roster[i];
                // Present on their phone, or voted by phone on the open motion.
                let by_phone = r.member.is_some_and(|m| {
                    self.is_present(m) || self.open_motion().is_some_and(|o| o.ballots.contains(m))
                });
                if *present && (r.by_hand || by_phone) {
                    return Err(Refusal::new(
                        ErrorCode::WrongPhase,
                        format!("{} is already present", r.entry.name),
                    )
                    .with_params(json!({"problem": "already_present", "name": r.entry.name})));
                }
                if !*present && !r.by_hand {
                    return Err(Refusal::new(
                        ErrorCode::WrongPhase,
                        format!("{} was not marked present by hand", r.entry.name),
                    )
                    .with_params(json!({"problem": "not_marked", "name": r.entry.name})));
                }
                let r = &mut self.roster[i];
                r.by_hand = *present;
                if *present {
                    r.excused = false;
                }
            }
            Event::HandCounted { motion, counts } => {
                let without_phones = self.without_phones();
                let m = self.motion_mut(*motion)?;
                if m.status != crate::vote::Status::Open {
                    return Err(VoteError::NotOpen.into());
                }
                if m.spec.kind != MotionKind::Motion || counts.len() != m.spec.options.len() {
                    return Err(Refusal::new(
                        ErrorCode::InvalidBallot,
                        "a hand count has one number per option, on a motion (not an election)",
                    )
                    .with_params(
                        json!({"problem": "hand_count_shape", "options": m.spec.options.len()}),
                    ));
                }
                let counted: u32 = counts.iter().sum();
                if counted > without_phones {
                    return Err(Refusal::new(
                        ErrorCode::InvalidBallot,
                        format!(
                            "{counted} counted by hand, but only {without_phones} members without phones are marked present"
                        ),
                    )
                    .with_params(json!({
                        "problem": "hand_count_too_large",
                        "counted": counted,
                        "without_phones": without_phones,
                    })));
                }
                // A new count replaces the earlier one (aggregates only:
                // nobody's choice is recorded, on any ballot).
                let old = m.hand.take().unwrap_or_else(|| vec![0; counts.len()]);
                for (c, (o, n)) in m.counts.iter_mut().zip(old.iter().zip(counts)) {
                    *c = (*c + n).saturating_sub(*o);
                }
                m.hand = Some(counts.clone());
            }
            Event::Approved { member } => {
                let m = self
                    .members
                    .iter_mut()
                    .find(|m| m.id == *member && !m.removed)
                    .ok_or_else(|| Refusal::new(ErrorCode::UnknownMember, "no such member"))?;
                m.pending = false;
            }
            Event::Assigned { member, code } => {
                if self.member(*member).is_none() {
                    return Err(Refusal::new(ErrorCode::UnknownMember, "no such member"));
                }
                self.check_link(code)?;
                self.link(*member, code);
            }
            Event::SettingsChanged { settings } => {
                let opening = settings.congress && !self.settings.congress;
                let before = self.settings;
                // `wording` is not part of this event: it keeps its value.
                self.settings = super::event::Settings {
                    wording: before.wording,
                    ..*settings
                };
                if opening
                    && let Some(q) = self.congress_quorum()
                    && !q.met
                {
                    self.settings = before;
                    return Err(Refusal::new(
                        ErrorCode::NoQuorum,
                        format!(
                            "a congress needs at least {} of the {} convened present; {} are",
                            q.needed, q.convened, q.present
                        ),
                    )
                    .with_params(json!({
                        "problem": "congress",
                        "needed": q.needed,
                        "convened": q.convened,
                        "present": q.present,
                    })));
                }
            }
            Event::WordingSet { wording } => {
                self.settings.wording = *wording;
                // The shipped agenda's words follow (issue 14).
                crate::meeting::agenda::reword(&mut self.activities.agenda.items, *wording);
            }
            Event::MotionCreated { motion, spec } => {
                if *motion != self.next_motion_id() {
                    return Err(Refusal::new(
                        ErrorCode::BadMessage,
                        "motion ids out of order",
                    ));
                }
                let mut m = Motion::new(*motion, spec.clone());
                if let Some(counts) = self.secret_counts.remove(motion) {
                    for (slot, n) in counts {
                        m.add_to_slot(slot as u32, n);
                    }
                }
                self.motions.push(Some(m));
            }
            Event::MotionUpdated { motion, spec } => {
                self.motion_mut(*motion)?.update(spec.clone())?
            }
            Event::MotionDeleted { motion } => {
                if self.motion_mut(*motion)?.status != crate::vote::Status::Draft {
                    return Err(VoteError::WrongState("only a draft motion can be deleted").into());
                }
                self.motions[*motion as usize - 1] = None;
                if self.shown_motion == Some(*motion) {
                    self.shown_motion = None;
                }
            }
            Event::MotionOpened { motion } => {
                if self.open_motion().is_some_and(|m| m.id != *motion) {
                    return Err(VoteError::AnotherOpen.into());
                }
                let m = self
                    .motion(*motion)
                    .ok_or(VoteError::UnknownMotion(*motion))?;
                let eligible = self.eligible_for(m);
                if let Some(needed) = m.quorum_needed(eligible)
                    && eligible.present < needed
                {
                    return Err(Refusal::new(
                        ErrorCode::NoQuorum,
                        format!(
                            "no quorum: {needed} eligible members must be present, {} are",
                            eligible.present
                        ),
                    ));
                }
                self.motion_mut(*motion)?.open(at, eligible)?;
                self.shown_motion = Some(*motion);
            }
            Event::MotionClosed { motion } => {
                let m = self
                    .motion(*motion)
                    .ok_or(VoteError::UnknownMotion(*motion))?;
                let eligible = self.eligible_for(m);
                self.motion_mut(*motion)?.close(at, eligible)?;
            }
            Event::MotionShown { motion } => {
                if let Some(id) = motion {
                    self.motion(*id).ok_or(VoteError::UnknownMotion(*id))?;
                }
                self.shown_motion = *motion;
            }
            Event::Voted {
                member,
                motion,
                option,
            } => self.cast(*member, *motion, Ballot::Open, |m| {
                m.cast_open(*member, *option)
            })?,
            Event::BallotCast {
                member,
                motion,
                option,
            } => self.cast(*member, *motion, Ballot::Secret, |m| {
                m.cast_secret(*member, *option)
            })?,
            Event::BallotsSealed { motion, .. } => {
                self.motion(*motion)
                    .ok_or(VoteError::UnknownMotion(*motion))?;
            }
            Event::Reserved {
                member,
                motion,
                text,
            } => {
                let m = self.motion_mut(*motion)?;
                m.check_reservation(*member)?;
                m.reservations.push((*member, text.clone()));
            }
            _ => unreachable!("quiz events are applied by MeetingState::apply"),
        }
        Ok(())
    }
}

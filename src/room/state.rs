//! The state of one meeting and the one function that changes it: `apply`.
//!
//! `apply` validates an event against the current state and changes nothing
//! when it refuses, so the actor can offer a candidate event built from a
//! command and turn a refusal straight into a protocol error.

use std::collections::HashMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::event::{By, Envelope, Event, Settings as MeetingSettings};
use super::voting::RosterMember;
use crate::bank::Bank;
use crate::protocol::ErrorCode;
use crate::quiz::{MemberId, Millis, Phase, Quiz, QuizError, Settings};

/// Longest member name, in characters.
pub const MAX_NAME_CHARS: usize = 32;

/// A refused command: what the client is told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    pub message: String,
    pub suggestion: Option<String>,
    /// Values the page words the error with (e.g. `problem`, `seats`).
    pub params: Option<serde_json::Value>,
}

impl Refusal {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Refusal {
        Refusal {
            code,
            message: message.into(),
            suggestion: None,
            params: None,
        }
    }

    /// The same refusal, with the values a page words it with.
    pub fn with_params(mut self, params: serde_json::Value) -> Refusal {
        self.params = Some(params);
        self
    }
}

impl From<QuizError> for Refusal {
    fn from(e: QuizError) -> Refusal {
        let code = match e {
            QuizError::NoSuchQuestion(_) | QuizError::NotOpen => ErrorCode::NotOpen,
            QuizError::TooLate => ErrorCode::TooLate,
            QuizError::NotOpenYet => ErrorCode::NotOpenYet,
            QuizError::AlreadyAnswered => ErrorCode::AlreadyAnswered,
            QuizError::OptionOutOfRange(_) => ErrorCode::OptionOutOfRange,
            QuizError::WrongAnswerShape(_) => ErrorCode::InvalidAnswer,
            QuizError::WrongPhase(_) => ErrorCode::WrongPhase,
            QuizError::NeverAsked(i) => {
                return Refusal::new(ErrorCode::NeverAsked, e.to_string())
                    .with_params(serde_json::json!({ "question": i }));
            }
        };
        Refusal::new(code, e.to_string())
    }
}

#[derive(Clone, Debug)]
pub struct Member {
    pub id: MemberId,
    pub name: String,
    pub token_hash: String,
    pub joined_at: Millis,
    pub removed: bool,
    /// Member code of the roster entry this member is, if any.
    pub roster: Option<String>,
    /// Left the meeting: absent until they come back.
    pub left: bool,
    /// Joined while the host approves each new member, and not approved
    /// yet: may not vote.
    pub pending: bool,
}

/// What a meeting is created from; stored once, with the bank snapshot so a
/// later edit of the bank file cannot change a running meeting.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct MeetingConfig {
    pub pin: String,
    pub title: String,
    pub created_at: Millis,
    pub bank: Bank,
    #[serde(default)]
    pub quiz: Settings,
    /// Which questions of the bank were chosen (`bank` holds the meeting's
    /// copy, already picked, shuffled and timed).
    #[serde(default)]
    pub choice: crate::choice::Choice,
}

/// Hex SHA-256 of a member token: the store never holds the token itself.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks and normalises a display name.
pub fn clean_name(raw: &str) -> Result<String, Refusal> {
    let name = crate::text::collapse(raw);
    if name.is_empty() {
        return Err(Refusal::new(ErrorCode::InvalidName, "enter a name"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Refusal::new(
            ErrorCode::InvalidName,
            format!("a name has at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if let Some(c) = crate::text::find_invisible(&name) {
        return Err(Refusal::new(
            ErrorCode::InvalidName,
            format!("a name cannot contain control or invisible characters ({c})"),
        ));
    }
    Ok(name)
}

pub struct MeetingState {
    pub config: MeetingConfig,
    pub members: Vec<Member>,
    /// Members not removed, kept as a count for views sent to every member.
    active: u32,
    by_token: HashMap<String, MemberId>,
    by_name: HashMap<String, MemberId>,
    pub quiz: Quiz,
    pub ended: bool,
    /// The cid of every command each sender had applied, so resends apply
    /// once: kept per sender as a keyed 64-bit hash (`seen_key`), 8 bytes a
    /// command instead of the cid's string and a table entry, so a long
    /// meeting's memory barely grows with each answer and vote. One
    /// sender's commands are compared only with each other: with this
    /// process's random key, the odds that two of a member's thousand
    /// commands collide are about 1 in 10^13, and nobody can make two
    /// collide on purpose.
    seen: HashMap<By, Vec<u64>>,
    seen_key: std::hash::RandomState,
    /// Last sequence number applied.
    pub seq: u64,
    /// Ranking cache, cleared whenever scores or membership change.
    ranking: Option<Arc<Ranking>>,
    pub settings: MeetingSettings,
    /// The roster, in import order, and its indexes.
    pub roster: Vec<RosterMember>,
    pub(super) roster_by_code: HashMap<String, usize>,
    pub(super) roster_by_key: HashMap<String, usize>,
    /// Motions by id - 1; deleted drafts leave `None`.
    pub motions: Vec<Option<crate::vote::Motion>>,
    /// The motion on the projector and phones.
    pub shown_motion: Option<crate::vote::MotionId>,
    /// Secret ballot counts read from the store, applied when their motion
    /// is replayed (the events never hold choices).
    pub(super) secret_counts: HashMap<crate::vote::MotionId, Vec<(usize, u32)>>,
    /// The motion each host `motion_create` made, by cid (its ack says it).
    created: HashMap<String, crate::vote::MotionId>,
    /// Agenda, opinions and evaluation.
    pub activities: super::meeting::Activities,
    /// Questions asked again, with when (the meeting's history).
    pub reasked: Vec<(usize, Millis)>,
    /// When the last event applied happened.
    pub last_at: Millis,
    /// The store's last heartbeat of this meeting (set after replay).
    pub alive_at: Option<Millis>,
    /// Token hashes of removed members, who may not come back (under any
    /// name) until the host readmits them.
    barred: HashMap<String, MemberId>,
}

/// Ranks of active members, computed once per change.
pub struct Ranking {
    pub rows: Vec<(u32, MemberId, u64)>,
    pub rank_of: HashMap<MemberId, u32>,
}

impl Ranking {
    /// A member's rank; members who joined since the ranking was made have
    /// no points yet and share the rank after everyone who has some.
    pub fn rank(&self, member: MemberId) -> u32 {
        self.rank_of.get(&member).copied().unwrap_or_else(|| {
            let scored = self.rows.partition_point(|r| r.2 > 0);
            scored as u32 + 1
        })
    }
}

impl MeetingState {
    pub fn new(config: MeetingConfig) -> MeetingState {
        let quiz = Quiz::new(Arc::new(config.bank.questions.clone()), config.quiz.clone());
        MeetingState {
            config,
            members: Vec::new(),
            active: 0,
            by_token: HashMap::new(),
            by_name: HashMap::new(),
            quiz,
            ended: false,
            seen: HashMap::new(),
            seen_key: std::hash::RandomState::new(),
            seq: 0,
            ranking: None,
            settings: MeetingSettings::default(),
            roster: Vec::new(),
            roster_by_code: HashMap::new(),
            roster_by_key: HashMap::new(),
            motions: Vec::new(),
            shown_motion: None,
            secret_counts: HashMap::new(),
            created: HashMap::new(),
            activities: Default::default(),
            reasked: Vec::new(),
            last_at: 0,
            alive_at: None,
            barred: HashMap::new(),
        }
    }

    pub fn member(&self, id: MemberId) -> Option<&Member> {
        let m = self.members.get((id as usize).checked_sub(1)?)?;
        (!m.removed).then_some(m)
    }

    /// Active and not gone: counts as present.
    pub fn is_present(&self, id: MemberId) -> bool {
        self.member(id).is_some_and(|m| !m.left)
    }

    /// Whether `token` belongs to a member the host removed (and has not
    /// readmitted).
    pub fn is_barred(&self, token: &str) -> bool {
        self.barred.contains_key(&hash_token(token))
    }

    /// Removed members not readmitted, in member order.
    pub fn barred_members(&self) -> Vec<(MemberId, String)> {
        let mut ids: Vec<MemberId> = self.barred.values().copied().collect();
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter()
            .map(|id| (id, self.members[id as usize - 1].name.clone()))
            .collect()
    }

    pub fn member_by_token(&self, token: &str) -> Option<MemberId> {
        self.by_token
            .get(&hash_token(token))
            .copied()
            .filter(|&id| self.member(id).is_some())
    }

    pub fn active_members(&self) -> impl DoubleEndedIterator<Item = &Member> {
        self.members.iter().filter(|m| !m.removed)
    }

    /// Members in the meeting (not removed).
    pub fn active_count(&self) -> u32 {
        self.active
    }

    pub fn next_member_id(&self) -> MemberId {
        self.members.len() as MemberId + 1
    }

    /// Secret ballot counts from the store, applied as their motions replay.
    pub fn preload_secret_counts(&mut self, rows: &[(u32, u32, u64)]) {
        for &(motion, option, count) in rows {
            self.secret_counts
                .entry(motion)
                .or_default()
                .push((option as usize, count as u32));
        }
    }

    /// The motion a host's `motion_create` with this cid made.
    pub fn created_by(&self, cid: &str) -> Option<crate::vote::MotionId> {
        self.created.get(cid).copied()
    }

    /// Whether `(by, cid)` was already applied.
    pub fn seen(&self, by: By, cid: &str) -> bool {
        let key = std::hash::BuildHasher::hash_one(&self.seen_key, cid);
        self.seen.get(&by).is_some_and(|s| s.contains(&key))
    }

    /// A free variant of a taken name: "Lan" → "Lan 2".
    pub fn name_suggestion(&self, name: &str) -> String {
        (2..)
            .map(|i| format!("{name} {i}"))
            .find(|n| !self.by_name.contains_key(&crate::text::fold(n)))
            .expect("some number is free")
    }

    pub fn name_taken(&self, name: &str) -> bool {
        self.by_name.contains_key(&crate::text::fold(name))
    }

    pub fn ranking(&mut self) -> Arc<Ranking> {
        if let Some(r) = &self.ranking {
            return r.clone();
        }
        let rows = self
            .quiz
            .ranking(self.members.iter().filter(|m| !m.removed).map(|m| m.id));
        let rank_of = rows.iter().map(|r| (r.1, r.0)).collect();
        let r = Arc::new(Ranking { rows, rank_of });
        self.ranking = Some(r.clone());
        r
    }

    /// Validates and applies one event; on refusal nothing changes.
    pub fn apply(&mut self, env: &Envelope) -> Result<(), Refusal> {
        if self.ended && !matches!(env.event, Event::MinutesSet { .. }) {
            return Err(Refusal::new(
                ErrorCode::MeetingEnded,
                "this meeting has ended",
            ));
        }
        let at = env.at;
        match &env.event {
            Event::Joined {
                member,
                name,
                token_hash,
                roster,
            } => {
                if *member != self.next_member_id() {
                    return Err(Refusal::new(
                        ErrorCode::BadMessage,
                        "member ids out of order",
                    ));
                }
                if let Some(code) = roster {
                    self.check_link(code)?;
                }
                if self.name_taken(name) {
                    return Err(Refusal {
                        code: ErrorCode::NameTaken,
                        message: format!("the name \"{name}\" is already taken in this meeting"),
                        suggestion: Some(self.name_suggestion(name)),
                        params: None,
                    });
                }
                self.by_name.insert(crate::text::fold(name), *member);
                self.by_token.insert(token_hash.clone(), *member);
                self.active += 1;
                self.members.push(Member {
                    id: *member,
                    name: name.clone(),
                    token_hash: token_hash.clone(),
                    joined_at: at,
                    removed: false,
                    roster: None,
                    left: false,
                    pending: roster.is_none()
                        && self.settings.approve_members
                        && !self.has_roster(),
                });
                if let Some(code) = roster {
                    self.link(*member, code);
                }
                // A newcomer scores 0: the ranking stays valid (see `Ranking::rank`).
            }
            Event::Removed { member } => {
                let Some(m) = self.member(*member) else {
                    return Err(Refusal::new(ErrorCode::UnknownMember, "no such member"));
                };
                let (name, token) = (crate::text::fold(&m.name), m.token_hash.clone());
                self.by_name.remove(&name);
                self.by_token.remove(&token);
                self.barred.insert(token, *member);
                self.unlink(*member);
                self.members[*member as usize - 1].removed = true;
                self.active -= 1;
                self.quiz.remove(*member);
                self.ranking = None;
            }
            Event::Readmitted { member } => {
                let before = self.barred.len();
                self.barred.retain(|_, m| m != member);
                if self.barred.len() == before {
                    return Err(Refusal::new(
                        ErrorCode::UnknownMember,
                        "no removed member with that id",
                    ));
                }
            }
            Event::Shown { question } => self.quiz.show(*question, at)?,
            Event::Answered {
                member,
                question,
                answer,
                elapsed_ms,
            } => {
                if self.member(*member).is_none() {
                    return Err(Refusal::new(
                        ErrorCode::NotJoined,
                        "you are not in this meeting",
                    ));
                }
                self.quiz
                    .submit(*member, *question, answer.clone(), *elapsed_ms, at)?;
            }
            Event::Closed { reason } => {
                self.quiz.close(*reason)?;
                self.ranking = None;
            }
            Event::Reasked { question } => {
                self.quiz.reask(*question, at)?;
                self.ranking = None;
                self.reasked.push((*question, at));
            }
            Event::Resumed { down_at, resume_at } => {
                if !self.quiz.resume(*down_at, *resume_at) {
                    return Err(QuizError::WrongPhase("no question is open").into());
                }
            }
            Event::Leaderboard => self.quiz.show_leaderboard()?,
            Event::Skipped => self.quiz.skip()?,
            Event::Podium => {
                if self.quiz.phase() == Phase::Podium {
                    return Err(QuizError::WrongPhase("the podium is already shown").into());
                }
                self.quiz.finish()
            }
            Event::Ended => self.ended = true,
            Event::Rekeyed { member, token_hash } => {
                let old = self
                    .member(*member)
                    .ok_or_else(|| Refusal::new(ErrorCode::UnknownMember, "no such member"))?
                    .token_hash
                    .clone();
                self.by_token.remove(&old);
                self.by_token.insert(token_hash.clone(), *member);
                self.members[*member as usize - 1].token_hash = token_hash.clone();
            }
            Event::Meeting(e) => self.apply_meeting(e, at)?,
            // Read by `crate::minutes` from the events; the room keeps nothing.
            Event::MinutesSet { .. } => {}
            other => self.apply_voting(other, at)?,
        }
        if let Some(cid) = &env.cid {
            let key = std::hash::BuildHasher::hash_one(&self.seen_key, cid.as_str());
            self.seen.entry(env.by).or_default().push(key);
            if let (By::Host, Event::MotionCreated { motion, .. }) = (env.by, &env.event) {
                self.created.insert(cid.clone(), *motion);
            }
        }
        self.seq = env.seq;
        self.last_at = self.last_at.max(at);
        Ok(())
    }

    /// The best known instant the server went down: its last heartbeat or
    /// its last event, whichever is later.
    pub fn down_at(&self) -> Millis {
        self.alive_at.unwrap_or(0).max(self.last_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::{Kind, Question};
    use crate::quiz::{CloseReason, Submission};

    fn state() -> MeetingState {
        let q = Question::sample(Kind::Single, &["a", "b"], &[1], &[]);
        MeetingState::new(MeetingConfig {
            pin: "123456".into(),
            title: "T".into(),
            created_at: 0,
            bank: Bank {
                id: "b".into(),
                title: "B".into(),
                language: "vi".into(),
                tags: vec![],
                description: String::new(),
                questions: vec![q],
            },
            quiz: Settings::default(),
            choice: Default::default(),
        })
    }

    fn env(seq: u64, by: By, cid: Option<&str>, event: Event) -> Envelope {
        Envelope {
            seq,
            at: 1000 + seq,
            by,
            cid: cid.map(str::to_string),
            event,
        }
    }

    #[test]
    fn names_are_unique_ignoring_case_and_diacritics() {
        let mut s = state();
        let join = |id, name: &str| Event::Joined {
            member: id,
            name: name.into(),
            token_hash: hash_token(name),
            roster: None,
        };
        s.apply(&env(1, By::System, None, join(1, "Ân"))).unwrap();
        let r = s
            .apply(&env(2, By::System, None, join(2, "an")))
            .unwrap_err();
        assert_eq!(r.code, ErrorCode::NameTaken);
        assert_eq!(r.suggestion.as_deref(), Some("an 2"));
        assert_eq!(s.members.len(), 1);
    }

    #[test]
    fn replay_gives_the_same_scores() {
        let events = vec![
            env(
                1,
                By::System,
                Some("j"),
                Event::Joined {
                    member: 1,
                    name: "Lan".into(),
                    token_hash: "t".into(),
                    roster: None,
                },
            ),
            env(2, By::Host, Some("h1"), Event::Shown { question: 0 }),
            env(
                3,
                By::Member(1),
                Some("a1"),
                Event::Answered {
                    member: 1,
                    question: 0,
                    answer: Submission::Choice(vec![1]),
                    elapsed_ms: 5000,
                },
            ),
            env(
                4,
                By::System,
                None,
                Event::Closed {
                    reason: CloseReason::AllAnswered,
                },
            ),
        ];
        let mut a = state();
        for e in &events {
            a.apply(e).unwrap();
        }
        let json: Vec<String> = events
            .iter()
            .map(|e| serde_json::to_string(e).unwrap())
            .collect();
        let mut b = state();
        for j in &json {
            b.apply(&serde_json::from_str(j).unwrap()).unwrap();
        }
        assert_eq!(a.quiz.score(1), b.quiz.score(1));
        assert_eq!(b.quiz.score(1).total, 875);
        assert!(b.seen(By::Member(1), "a1"));
        assert!(!b.seen(By::Member(2), "a1"));
    }
}

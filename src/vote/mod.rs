//! Voting on motions: a pure engine (no I/O, time passed in).
//!
//! A motion is drafted (`MotionSpec`), opened, voted on and closed; closing
//! applies its decision rule (`decision`) to the counts and to who was
//! eligible and present (`attendance`). Secret ballots are counted without
//! ever remembering who chose what: `cast_secret` takes the choice only to
//! add one to its count, and records the voter separately.

pub mod attendance;
pub mod ballots;
pub mod decision;
pub mod discipline;
pub mod election;
pub mod motions_file;

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use self::decision::{Base, Fraction, Outcome, Rule, Tally, Threshold};
use self::discipline::DisciplineOutcome;
use self::election::ElectionOutcome;
use crate::quiz::{MemberId, Millis};

pub type MotionId = u32;

pub const MAX_MOTION_CHARS: usize = 600;
pub const MAX_OPTION_CHARS: usize = 100;
pub const MAX_OPTIONS: usize = 10;
pub const MAX_RESERVATION_CHARS: usize = 1000;

/// The default options of a motion (for / against / abstain).
pub fn default_options() -> Vec<String> {
    ["Tán thành", "Không tán thành", "Không biểu quyết"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Ballot {
    /// A show of hands: the host sees who chose what.
    #[default]
    Open,
    /// Nobody, anywhere, can link a member to a choice.
    Secret,
}

/// The penalties of a discipline ballot, heaviest first (Quy định 69, 264).
pub fn default_penalties() -> Vec<String> {
    ["Đề nghị khai trừ", "Cách chức", "Cảnh cáo", "Khiển trách"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// The last option of a discipline ballot: no penalty.
pub const NO_PENALTY: &str = "Không kỷ luật";

/// Secret-count slots beyond the options: a valid ballot keeping nobody,
/// and an invalid ballot (elections). Aggregates only, like every count.
pub const SLOT_BLANK: u32 = 1_000_000;
pub const SLOT_INVALID: u32 = 1_000_001;

/// What is being decided, which says how the ballot is read and counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MotionKind {
    /// A motion with options, one chosen: PASSED / NOT PASSED (or a poll).
    #[default]
    Motion,
    /// Candidates (the options) for `seats`: each voter keeps at most that
    /// many names; TRÚNG CỬ / KHÔNG TRÚNG CỬ per candidate.
    Election,
    /// Penalties heaviest first (the options), then "no penalty": one
    /// chosen, decided by adding up (`discipline`).
    Discipline,
}

impl MotionKind {
    fn is_motion(&self) -> bool {
        *self == MotionKind::Motion
    }
}

fn one_seat() -> u32 {
    1
}

/// A motion that does not fit, with a stable code and the values the
/// pages word it with (the English `message` is for logs and old clients).
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub code: &'static str,
    pub params: serde_json::Value,
    pub message: String,
}

impl Problem {
    fn new(code: &'static str, params: serde_json::Value, message: impl Into<String>) -> Problem {
        Problem {
            code,
            params,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Ready-made motions for the cases in the Party rules (domain/RULES.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    /// Ordinary resolution: open, more than half of those convened.
    Resolution,
    /// Admission of a member: at least two thirds of official members.
    Admission,
    /// Discipline (reprimand, warning, removal from post): secret, more than half.
    Discipline,
    /// Expulsion: secret, at least two thirds.
    Expulsion,
    /// Election: a ballot of candidates for seats; secret, more than half
    /// of those convened (less the exclusions of 190 Điều 30) per candidate.
    Election,
    /// Recognition of full membership: open, at least two thirds.
    Recognition,
}

impl Template {
    /// Whether the regulations require a secret ballot.
    pub fn secret_required(self) -> bool {
        matches!(
            self,
            Template::Discipline | Template::Expulsion | Template::Election
        )
    }
}

/// How a motion is put and decided. Fields left out take the defaults of
/// an ordinary resolution (or of `template`, when given).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MotionSpec {
    pub text: String,
    #[serde(default = "default_options")]
    pub options: Vec<String>,
    #[serde(default)]
    pub ballot: Ballot,
    /// Decide PASSED / NOT PASSED; false for a plain multi-option poll.
    #[serde(default = "yes")]
    pub decide: bool,
    #[serde(default = "Rule::resolution")]
    pub rule: Rule,
    /// Index of the approving option.
    #[serde(default)]
    pub approve: usize,
    /// Index of the abstaining option, if any (counted in neither for nor against).
    #[serde(default = "abstain_default")]
    pub abstain: Option<usize>,
    /// Show counts on the projector while voting; otherwise only at close.
    #[serde(default = "yes")]
    pub live_tally: bool,
    /// Members may change their vote until it closes (open ballots only).
    #[serde(default)]
    pub changes_allowed: bool,
    /// Open ballots: the projector may show who chose what.
    #[serde(default)]
    pub show_voters: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<Template>,
    #[serde(default, skip_serializing_if = "MotionKind::is_motion")]
    pub kind: MotionKind,
    /// Elections: the seats to fill.
    #[serde(default = "one_seat")]
    pub seats: u32,
    /// Discipline: the first penalty is expulsion (at least two thirds, and
    /// only a proposal to the higher body).
    #[serde(default)]
    pub expulsion_first: bool,
}

fn yes() -> bool {
    true
}

fn abstain_default() -> Option<usize> {
    Some(2)
}

impl MotionSpec {
    /// An ordinary resolution with the default options.
    pub fn resolution(text: &str) -> MotionSpec {
        MotionSpec {
            text: text.to_string(),
            options: default_options(),
            ballot: Ballot::Open,
            decide: true,
            rule: Rule::resolution(),
            approve: 0,
            abstain: Some(2),
            live_tally: true,
            changes_allowed: false,
            show_voters: false,
            template: None,
            kind: MotionKind::Motion,
            seats: 1,
            expulsion_first: false,
        }
    }

    /// A discipline ballot's options: the penalties, then "no penalty".
    pub fn set_penalties(&mut self, penalties: Vec<String>) {
        self.expulsion_first = penalties.first().is_some_and(|p| {
            let f = crate::text::fold(p);
            f.contains("khai tru") || f.contains("expel")
        });
        self.options = penalties;
        self.options.push(NO_PENALTY.to_string());
        self.abstain = Some(self.options.len() - 1);
    }

    /// The penalties of a discipline ballot (the options but "no penalty").
    pub fn penalties(&self) -> usize {
        match self.abstain {
            Some(a) if a + 1 == self.options.len() => a,
            _ => self.options.len(),
        }
    }

    /// A motion from a template; the caller may then adjust fields.
    pub fn from_template(t: Template, text: &str) -> MotionSpec {
        let mut s = MotionSpec::resolution(text);
        s.template = Some(t);
        match t {
            Template::Resolution => {}
            Template::Admission | Template::Recognition => {
                s.rule.threshold = Threshold::AtLeastTwoThirds
            }
            Template::Discipline => {
                s.ballot = Ballot::Secret;
                s.live_tally = false;
                s.kind = MotionKind::Discipline;
                s.set_penalties(default_penalties());
            }
            Template::Election => {
                s.ballot = Ballot::Secret;
                s.live_tally = false;
                s.kind = MotionKind::Election;
                s.options = Vec::new();
                s.abstain = None;
            }
            Template::Expulsion => {
                s.ballot = Ballot::Secret;
                s.live_tally = false;
                s.rule.threshold = Threshold::AtLeastTwoThirds;
            }
        }
        s
    }

    /// Checks the spec and normalises its texts; says what to fix.
    pub fn validate(mut self) -> Result<MotionSpec, Problem> {
        use serde_json::json;
        self.text = self.text.trim().to_string();
        if self.text.is_empty() || self.text.chars().count() > MAX_MOTION_CHARS {
            return Err(Problem::new(
                "text_length",
                json!({"max": MAX_MOTION_CHARS}),
                format!("the motion text must be 1 to {MAX_MOTION_CHARS} characters"),
            ));
        }
        self.options = self
            .options
            .iter()
            .map(|o| crate::text::collapse(o))
            .collect();
        let secret_required =
            self.kind != MotionKind::Motion || self.template.is_some_and(Template::secret_required);
        if secret_required && self.ballot == Ballot::Open {
            let what = match (self.kind, self.template) {
                (MotionKind::Election, _) => "election",
                (MotionKind::Discipline, _) => "discipline",
                (_, Some(Template::Expulsion)) => "expulsion",
                _ => "secret",
            };
            return Err(Problem::new(
                "secret_required",
                json!({"template": what}),
                format!("the regulations require a secret ballot for {what}: it cannot be open"),
            ));
        }
        match self.kind {
            MotionKind::Election => {
                if self.seats == 0 {
                    return Err(Problem::new(
                        "no_seats",
                        json!({}),
                        "an election fills at least one seat",
                    ));
                }
                let n = self.options.len();
                if n < self.seats as usize {
                    return Err(Problem::new(
                        "too_few_candidates",
                        json!({"candidates": n, "seats": self.seats}),
                        format!(
                            "{n} candidates for {} seats: list at least as many candidates as seats",
                            self.seats
                        ),
                    ));
                }
                if n > election::MAX_CANDIDATES {
                    return Err(Problem::new(
                        "option_count",
                        json!({"min": 1, "max": election::MAX_CANDIDATES}),
                        format!(
                            "an election lists 1 to {} candidates",
                            election::MAX_CANDIDATES
                        ),
                    ));
                }
                self.approve = 0;
                self.abstain = None;
                self.changes_allowed = false;
            }
            MotionKind::Discipline => {
                if self.penalties() == 0 {
                    return Err(Problem::new(
                        "no_penalties",
                        json!({}),
                        "a discipline ballot lists at least one penalty",
                    ));
                }
                if self.options.len() > MAX_OPTIONS {
                    return Err(Problem::new(
                        "option_count",
                        json!({"min": 2, "max": MAX_OPTIONS}),
                        format!("a motion needs 2 to {MAX_OPTIONS} options"),
                    ));
                }
            }
            MotionKind::Motion => {
                if self.options.len() < 2 || self.options.len() > MAX_OPTIONS {
                    return Err(Problem::new(
                        "option_count",
                        json!({"min": 2, "max": MAX_OPTIONS}),
                        format!("a motion needs 2 to {MAX_OPTIONS} options"),
                    ));
                }
            }
        }
        if let Some(c) = std::iter::once(&self.text)
            .chain(&self.options)
            .find_map(|t| crate::text::find_invisible(t))
        {
            return Err(Problem::new(
                "invisible_character",
                json!({"character": c.to_string()}),
                format!("motions and options cannot contain control or invisible characters ({c})"),
            ));
        }
        if let Some(o) = self
            .options
            .iter()
            .find(|o| o.is_empty() || o.chars().count() > MAX_OPTION_CHARS)
        {
            return Err(Problem::new(
                "option_length",
                json!({"option": o, "max": MAX_OPTION_CHARS}),
                format!("option \"{o}\" must be 1 to {MAX_OPTION_CHARS} characters"),
            ));
        }
        let mut folded = HashSet::new();
        if let Some(o) = self
            .options
            .iter()
            .find(|o| !folded.insert(crate::text::fold(o)))
        {
            let code = match self.kind {
                MotionKind::Election => "duplicate_candidate",
                MotionKind::Discipline => "duplicate_penalty",
                MotionKind::Motion => "duplicate_option",
            };
            return Err(Problem::new(
                code,
                json!({"option": o}),
                format!("two options have the same text: \"{o}\""),
            ));
        }
        if self.decide {
            self.rule.validate().map_err(|e| {
                Problem::new(
                    "bad_rule",
                    json!({"error": e}),
                    format!("decision rule: {e}"),
                )
            })?;
            if self.kind == MotionKind::Motion {
                if self.approve >= self.options.len() {
                    return Err(Problem::new(
                        "no_approve_option",
                        json!({}),
                        "the approving option does not exist",
                    ));
                }
                if let Some(a) = self.abstain
                    && (a >= self.options.len() || a == self.approve)
                {
                    // A custom option list without the default abstention.
                    self.abstain = None;
                }
            }
        }
        if self.ballot == Ballot::Secret {
            if self.changes_allowed {
                return Err(Problem::new(
                    "secret_no_changes",
                    json!({}),
                    "a secret vote cannot be changed: the server keeps no record of who chose what",
                ));
            }
            if self.live_tally {
                return Err(Problem::new(
                    "secret_no_live_tally",
                    json!({}),
                    "a secret ballot shows no counts until it closes: live counts would link voters to choices",
                ));
            }
            self.show_voters = false;
        }
        Ok(self)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Open,
    Closed,
}

/// Refusals, mapped to protocol errors by the room.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VoteError {
    #[error("there is no motion {0}")]
    UnknownMotion(MotionId),
    #[error("voting on this motion is not open")]
    NotOpen,
    #[error("voting on this motion has closed")]
    Closed,
    #[error("option {0} does not exist")]
    OptionOutOfRange(usize),
    #[error("you have already voted on this motion")]
    AlreadyVoted,
    #[error("{0}")]
    WrongState(&'static str),
    #[error("another motion is open; close it first")]
    AnotherOpen,
    #[error("{0}")]
    Invalid(String),
    #[error("a reservation is for members who voted with the minority")]
    NotInMinority,
    #[error("you have already recorded a reservation on this motion")]
    AlreadyReserved,
    #[error("this ballot is an election: send the names you keep with \"ballot\"")]
    IsAnElection,
    #[error("this motion is not an election")]
    NotAnElection,
    #[error("candidate {0} is kept twice")]
    DuplicateKept(usize),
    #[error("a ballot keeps at most {seats} names; {kept} would make it invalid")]
    TooManyKept { seats: u32, kept: usize },
}

/// Eligible members, for the decision: counted at opening and at closing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eligible {
    pub convened: u32,
    pub present: u32,
}

/// The result of a closed motion.
#[derive(Clone, Debug, PartialEq)]
pub struct MotionResult {
    pub counts: Vec<u32>,
    pub voted: u32,
    pub at_open: Eligible,
    pub at_close: Eligible,
    /// None for a plain poll, an election or a discipline ballot.
    pub outcome: Option<Outcome>,
    /// Elections: valid ballots keeping nobody, and invalid ballots.
    pub blank: u32,
    pub invalid: u32,
    pub election: Option<ElectionOutcome>,
    pub discipline: Option<DisciplineOutcome>,
}

#[derive(Clone, Debug)]
pub struct Motion {
    pub id: MotionId,
    pub spec: MotionSpec,
    pub status: Status,
    pub opened_at: Option<Millis>,
    pub closed_at: Option<Millis>,
    pub at_open: Eligible,
    pub counts: Vec<u32>,
    /// Elections: valid ballots keeping nobody, and invalid ballots.
    pub blank: u32,
    pub invalid: u32,
    /// Who voted (both ballots) and who chose what (open ballots only,
    /// never for secret ones); sealed compactly at close.
    pub ballots: ballots::Ballots,
    /// Named minority opinions (bảo lưu ý kiến), in order.
    pub reservations: Vec<(MemberId, String)>,
    pub result: Option<MotionResult>,
    /// Counts from a show of hands or paper ballots, per option, already
    /// included in `counts` (kept apart so the source of each count shows).
    pub hand: Option<Vec<u32>>,
}

impl Motion {
    pub fn new(id: MotionId, spec: MotionSpec) -> Motion {
        let n = spec.options.len();
        Motion {
            id,
            spec,
            status: Status::Draft,
            opened_at: None,
            closed_at: None,
            at_open: Eligible::default(),
            counts: vec![0; n],
            blank: 0,
            invalid: 0,
            ballots: ballots::Ballots::default(),
            reservations: Vec::new(),
            result: None,
            hand: None,
        }
    }

    /// Replaces a draft's spec.
    pub fn update(&mut self, spec: MotionSpec) -> Result<(), VoteError> {
        if self.status != Status::Draft {
            return Err(VoteError::WrongState("only a draft motion can be edited"));
        }
        self.counts = vec![0; spec.options.len()];
        self.spec = spec;
        Ok(())
    }

    /// The members needed present for the quorum, if the rule has one.
    pub fn quorum_needed(&self, eligible: Eligible) -> Option<u32> {
        self.spec.rule.needed_present(eligible.convened)
    }

    pub fn open(&mut self, at: Millis, eligible: Eligible) -> Result<(), VoteError> {
        if self.status != Status::Draft {
            return Err(VoteError::WrongState(
                "this motion has already been put to the vote",
            ));
        }
        self.status = Status::Open;
        self.opened_at = Some(at);
        self.at_open = eligible;
        Ok(())
    }

    /// Checks a vote without recording it.
    pub fn check(&self, member: MemberId, option: usize) -> Result<(), VoteError> {
        match self.status {
            Status::Draft => return Err(VoteError::NotOpen),
            Status::Closed => return Err(VoteError::Closed),
            Status::Open => {}
        }
        if option >= self.spec.options.len() {
            return Err(VoteError::OptionOutOfRange(option));
        }
        if self.ballots.contains(member) && !self.spec.changes_allowed {
            return Err(VoteError::AlreadyVoted);
        }
        Ok(())
    }

    /// An open-ballot vote, or a change of one.
    pub fn cast_open(&mut self, member: MemberId, option: usize) -> Result<(), VoteError> {
        debug_assert_eq!(self.spec.ballot, Ballot::Open);
        self.check(member, option)?;
        if let Some(old) = self.ballots.record(member, Some(option)) {
            self.counts[old] -= 1;
        }
        self.counts[option] += 1;
        Ok(())
    }

    /// A secret ballot: records that `member` voted and, separately, adds
    /// one to `option`'s count. `option` is `None` when replaying stored
    /// events, whose counts are restored from their own table.
    pub fn cast_secret(
        &mut self,
        member: MemberId,
        option: Option<usize>,
    ) -> Result<(), VoteError> {
        self.check(member, option.unwrap_or(0))?;
        self.ballots.record(member, None);
        if let Some(o) = option {
            self.counts[o] += 1;
        }
        Ok(())
    }

    /// Adds one to a secret-count slot (an option, or `SLOT_BLANK` /
    /// `SLOT_INVALID`); used live and when counts are restored.
    pub fn add_to_slot(&mut self, slot: u32, n: u32) {
        match slot {
            SLOT_BLANK => self.blank += n,
            SLOT_INVALID => self.invalid += n,
            o => {
                if let Some(c) = self.counts.get_mut(o as usize) {
                    *c += n;
                }
            }
        }
    }

    /// The count slots an election ballot adds one to, after checking it:
    /// one per kept candidate, or the blank or invalid slot. A ballot
    /// keeping more names than seats is invalid (`Kept::Invalid`); the
    /// caller decides whether to accept one.
    pub fn election_slots(&self, keep: &[usize]) -> Result<(election::Kept, Vec<u32>), VoteError> {
        if self.spec.kind != MotionKind::Election {
            return Err(VoteError::NotAnElection);
        }
        let kept = election::classify(keep, self.spec.options.len(), self.spec.seats).map_err(
            |e| match e {
                election::BallotShape::OutOfRange(i) => VoteError::OptionOutOfRange(i),
                election::BallotShape::Duplicate(i) => VoteError::DuplicateKept(i),
            },
        )?;
        let slots = match &kept {
            election::Kept::Valid(k) => k.iter().map(|&i| i as u32).collect(),
            election::Kept::Blank => vec![SLOT_BLANK],
            election::Kept::Invalid => vec![SLOT_INVALID],
        };
        Ok((kept, slots))
    }

    /// Closes the vote and applies the decision rule.
    pub fn close(&mut self, at: Millis, at_close: Eligible) -> Result<&MotionResult, VoteError> {
        if self.status != Status::Open {
            return Err(VoteError::WrongState("this motion is not open"));
        }
        self.status = Status::Closed;
        self.closed_at = Some(at);
        self.ballots.seal();
        // An exempt member present at opening who then leaves still
        // counts: they attended this vote.
        let base = self.at_open.convened.max(at_close.convened);
        let quorum = decision::quorum(
            &self.spec.rule,
            base,
            self.at_open.present,
            at_close.present,
        );
        let election = (self.spec.kind == MotionKind::Election)
            .then(|| election::decide(self.spec.seats, base, &self.counts).with_quorum(quorum));
        let discipline = (self.spec.kind == MotionKind::Discipline).then(|| {
            let n = self.spec.penalties();
            discipline::decide(&self.counts[..n], self.spec.expulsion_first, base)
                .with_quorum(quorum)
        });
        let outcome = (self.spec.decide && self.spec.kind == MotionKind::Motion).then(|| {
            let approve = self.counts[self.spec.approve];
            let abstain = self.spec.abstain.map_or(0, |a| self.counts[a]);
            let total: u32 = self.counts.iter().sum();
            decision::decide(
                &self.spec.rule,
                &Tally {
                    // An exempt member present at opening who then leaves
                    // still counts: they attended this vote.
                    convened_eligible: self.at_open.convened.max(at_close.convened),
                    present_eligible_at_open: self.at_open.present,
                    present_eligible_at_close: at_close.present,
                    approve,
                    reject: total - approve - abstain,
                    abstain,
                },
            )
        });
        self.result = Some(MotionResult {
            counts: self.counts.clone(),
            voted: self.ballots.len() as u32,
            at_open: self.at_open,
            at_close,
            outcome,
            blank: self.blank,
            invalid: self.invalid,
            election,
            discipline,
        });
        Ok(self.result.as_ref().expect("just set"))
    }

    /// Whether `member` may record a reservation: they voted, the motion is
    /// closed, and (on an open ballot) they voted against the decision. On a
    /// secret ballot the server cannot know, so a voter's word is taken.
    pub fn check_reservation(&self, member: MemberId) -> Result<(), VoteError> {
        if self.status != Status::Closed {
            return Err(VoteError::WrongState(
                "a reservation is recorded once the vote has closed",
            ));
        }
        if !self.ballots.contains(member) {
            return Err(VoteError::NotInMinority);
        }
        if self.reservations.iter().any(|r| r.0 == member) {
            return Err(VoteError::AlreadyReserved);
        }
        if self.spec.ballot == Ballot::Open {
            let passed = self
                .result
                .as_ref()
                .and_then(|r| r.outcome.as_ref())
                .map(|o| o.passed);
            let approved = self.ballots.choice(member) == Some(self.spec.approve);
            let minority = match passed {
                Some(p) => p != approved,
                // A poll: anyone not with the most chosen option.
                None => {
                    let top = self.counts.iter().copied().max().unwrap_or(0);
                    self.ballots
                        .choice(member)
                        .is_some_and(|c| self.counts[c] < top)
                }
            };
            if !minority {
                return Err(VoteError::NotInMinority);
            }
        }
        Ok(())
    }
}

/// Labels for the rule of a motion, in both languages.
pub fn rule_label(rule: &Rule, vi: bool, party: bool) -> String {
    let (t, b) = if vi {
        (rule.threshold.label_vi(), rule.base.label_vi(party))
    } else {
        (rule.threshold.label_en(), rule.base.label_en())
    };
    let mut s = if vi {
        format!("{t} {b}")
    } else {
        format!("{t} of {b}")
    };
    if let Some(q) = rule.quorum {
        s.push_str(&match (vi, rule.quorum_strict) {
            (true, false) => format!("; cần có mặt ít nhất {q} số được triệu tập"),
            (true, true) => format!("; cần có mặt hơn {q} số được triệu tập"),
            (false, false) => format!("; quorum {q} of those convened"),
            (false, true) => format!("; quorum more than {q} of those convened"),
        });
    }
    s
}

/// A fraction from "2/3" (for files and forms).
pub fn parse_fraction(s: &str) -> Option<Fraction> {
    let (n, d) = s.trim().split_once('/')?;
    Some(Fraction::new(
        n.trim().parse().ok()?,
        d.trim().parse().ok()?,
    ))
}

/// Helpers used by the decision tests and the motion file format.
pub fn base_from_name(s: &str) -> Option<Base> {
    match s
        .trim()
        .to_ascii_lowercase()
        .replace(['-', ' '], "_")
        .as_str()
    {
        "convened" => Some(Base::Convened),
        "present" => Some(Base::Present),
        "votes_cast" | "cast" => Some(Base::VotesCast),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eligible(convened: u32, present: u32) -> Eligible {
        Eligible { convened, present }
    }

    #[test]
    fn templates_follow_the_party_rules() {
        let a = MotionSpec::from_template(Template::Admission, "Kết nạp đồng chí A");
        assert_eq!(
            (a.ballot, a.rule.threshold),
            (Ballot::Open, Threshold::AtLeastTwoThirds)
        );
        let d = MotionSpec::from_template(Template::Discipline, "Kỷ luật");
        assert_eq!(
            (d.ballot, d.rule.threshold),
            (Ballot::Secret, Threshold::MoreThanHalf)
        );
        let e = MotionSpec::from_template(Template::Expulsion, "Khai trừ");
        assert_eq!(
            (e.ballot, e.rule.threshold),
            (Ballot::Secret, Threshold::AtLeastTwoThirds)
        );
        let el = MotionSpec::from_template(Template::Election, "Bầu bí thư");
        assert_eq!((el.ballot, el.rule.base), (Ballot::Secret, Base::Convened));
    }

    #[test]
    fn validation_says_what_to_fix() {
        assert!(
            MotionSpec::resolution("")
                .validate()
                .unwrap_err()
                .message
                .contains("1 to")
        );
        let mut s = MotionSpec::resolution("x");
        s.options = vec!["Có".into()];
        assert!(s.validate().unwrap_err().message.contains("2 to"));
        let mut s = MotionSpec::resolution("x");
        s.options = vec!["Có".into(), "co".into()];
        assert!(s.validate().unwrap_err().message.contains("same text"));
        let mut s = MotionSpec::from_template(Template::Discipline, "x");
        s.changes_allowed = true;
        assert!(
            s.validate()
                .unwrap_err()
                .message
                .contains("cannot be changed")
        );
        let mut s = MotionSpec::resolution("x");
        s.options = vec!["A".into(), "B".into()];
        assert_eq!(
            s.validate().unwrap().abstain,
            None,
            "no abstention among two options"
        );
    }

    /// The problem code of a spec that does not validate.
    fn problem(s: MotionSpec) -> &'static str {
        s.validate().unwrap_err().code
    }

    #[test]
    fn elections_and_discipline_refuse_bad_input() {
        let mut e = MotionSpec::from_template(Template::Election, "Bầu Ban Chấp hành");
        e.options = vec!["An".into(), "Bình".into()];
        e.seats = 3;
        assert_eq!(problem(e.clone()), "too_few_candidates");
        e.options.push("an".into());
        assert_eq!(problem(e.clone()), "duplicate_candidate");
        e.options[2] = "Cường".into();
        assert_eq!(e.clone().validate().unwrap().seats, 3);
        e.seats = 0;
        assert_eq!(problem(e.clone()), "no_seats");
        // RULES.md:40 — elections and discipline are by secret ballot.
        e.seats = 1;
        e.ballot = Ballot::Open;
        assert_eq!(problem(e), "secret_required");
        let mut d = MotionSpec::from_template(Template::Discipline, "Kỷ luật đồng chí X");
        assert_eq!(d.options.len(), 5);
        assert_eq!((d.penalties(), d.expulsion_first), (4, true));
        d.ballot = Ballot::Open;
        assert_eq!(problem(d.clone()), "secret_required");
        d.ballot = Ballot::Secret;
        d.live_tally = true;
        assert_eq!(problem(d.clone()), "secret_no_live_tally");
        d.live_tally = false;
        d.set_penalties(vec![]);
        assert_eq!(problem(d.clone()), "no_penalties");
        d.set_penalties(vec!["Cảnh cáo".into(), "Khiển trách".into()]);
        assert!(!d.expulsion_first);
        d.set_penalties(vec!["Cảnh cáo".into(), "canh cao".into()]);
        assert_eq!(problem(d), "duplicate_penalty");
        let mut x = MotionSpec::from_template(Template::Expulsion, "Khai trừ");
        x.ballot = Ballot::Open;
        assert_eq!(problem(x), "secret_required");
        // Any secret ballot refuses live counts.
        let mut r = MotionSpec::resolution("x");
        r.ballot = Ballot::Secret;
        assert_eq!(problem(r), "secret_no_live_tally");
        // RULES.md:117 — recognition: open, at least two thirds.
        let c = MotionSpec::from_template(Template::Recognition, "Công nhận");
        assert_eq!(
            (c.ballot, c.rule.threshold),
            (Ballot::Open, Threshold::AtLeastTwoThirds)
        );
    }

    #[test]
    fn an_election_counts_kept_names_and_decides_per_candidate() {
        let mut spec = MotionSpec::from_template(Template::Election, "Bầu");
        spec.options = vec!["An".into(), "Bình".into(), "Cường".into()];
        spec.seats = 2;
        let mut m = Motion::new(1, spec.validate().unwrap());
        // RULES.md:95-100 — 11 official, one absent with a reason: base 10.
        m.open(0, eligible(10, 10)).unwrap();
        for (voter, keep) in [
            vec![0, 1],
            vec![0, 1],
            vec![0, 2],
            vec![0, 1],
            vec![0, 1],
            vec![1],
            vec![0],
            vec![],
        ]
        .into_iter()
        .enumerate()
        {
            let (_, slots) = m.election_slots(&keep).unwrap();
            m.cast_secret(voter as MemberId, None).unwrap();
            for s in slots {
                m.add_to_slot(s, 1);
            }
        }
        // RULES.md:101 — more names than seats: invalid (the room refuses it).
        assert_eq!(
            m.election_slots(&[0, 1, 2]).unwrap(),
            (election::Kept::Invalid, vec![SLOT_INVALID])
        );
        let r = m.close(1, eligible(10, 10)).unwrap();
        assert_eq!((r.counts.clone(), r.blank), (vec![6, 5, 1], 1));
        let e = r.election.as_ref().unwrap();
        assert_eq!(e.required, 6);
        let standing: Vec<_> = e.candidates.iter().map(|c| c.standing).collect();
        use election::Standing::*;
        assert_eq!(standing, vec![Elected, NotElected, NotElected]);
        assert_eq!(e.remaining_seats, 1);
        assert!(r.outcome.is_none(), "never PASSED / NOT PASSED");
    }

    #[test]
    fn the_rules_example_twenty_convened_twelve_present() {
        let mut m = Motion::new(1, MotionSpec::resolution("Nghị quyết"));
        m.open(0, eligible(20, 12)).unwrap();
        for member in 0..11 {
            m.cast_open(member, 0).unwrap();
        }
        m.cast_open(11, 2).unwrap();
        let r = m.close(1, eligible(20, 12)).unwrap();
        let o = r.outcome.as_ref().unwrap();
        assert_eq!((o.passed, o.required, o.base_size), (true, 11, 20));
        assert_eq!(r.counts, vec![11, 0, 1]);
    }

    #[test]
    fn votes_are_checked_changed_and_counted_once() {
        let mut spec = MotionSpec::resolution("x");
        spec.changes_allowed = true;
        let mut m = Motion::new(1, spec);
        assert_eq!(m.cast_open(1, 0), Err(VoteError::NotOpen));
        m.open(0, eligible(3, 3)).unwrap();
        assert_eq!(m.cast_open(1, 5), Err(VoteError::OptionOutOfRange(5)));
        m.cast_open(1, 0).unwrap();
        m.cast_open(1, 1).unwrap();
        assert_eq!((m.counts.clone(), m.ballots.len()), (vec![0, 1, 0], 1));
        m.close(1, eligible(3, 3)).unwrap();
        assert_eq!(m.cast_open(2, 0), Err(VoteError::Closed));

        let mut m = Motion::new(2, MotionSpec::resolution("no changes"));
        m.open(0, eligible(3, 3)).unwrap();
        m.cast_open(1, 0).unwrap();
        assert_eq!(m.cast_open(1, 1), Err(VoteError::AlreadyVoted));
    }

    #[test]
    fn secret_ballots_keep_no_choice() {
        let mut m = Motion::new(1, MotionSpec::from_template(Template::Discipline, "x"));
        m.open(0, eligible(5, 5)).unwrap();
        m.cast_secret(1, Some(0)).unwrap();
        m.cast_secret(2, Some(1)).unwrap();
        assert_eq!(m.cast_secret(2, Some(0)), Err(VoteError::AlreadyVoted));
        assert_eq!(m.ballots.choices().count(), 0);
        assert_eq!(m.counts, vec![1, 1, 0, 0, 0]);
        // Replay: voters only.
        let mut r = Motion::new(1, MotionSpec::from_template(Template::Discipline, "x"));
        r.open(0, eligible(5, 5)).unwrap();
        r.cast_secret(1, None).unwrap();
        assert_eq!((r.ballots.len(), r.counts.clone()), (1, vec![0; 5]));
    }

    #[test]
    fn reservations_come_from_the_minority() {
        let mut m = Motion::new(1, MotionSpec::resolution("x"));
        m.open(0, eligible(3, 3)).unwrap();
        m.cast_open(1, 0).unwrap();
        m.cast_open(2, 0).unwrap();
        m.cast_open(3, 1).unwrap();
        assert!(matches!(
            m.check_reservation(3),
            Err(VoteError::WrongState(_))
        ));
        m.close(1, eligible(3, 3)).unwrap();
        assert_eq!(m.check_reservation(1), Err(VoteError::NotInMinority));
        assert_eq!(m.check_reservation(4), Err(VoteError::NotInMinority));
        m.check_reservation(3).unwrap();
        m.reservations.push((3, "Tôi bảo lưu".into()));
        assert_eq!(m.check_reservation(3), Err(VoteError::AlreadyReserved));
    }
}

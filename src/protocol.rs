//! Wire types of websocket protocol v1 — data only, no logic.
//!
//! Every frame is one JSON object with a `type`. `docs/PROTOCOL.md` is the
//! contract for people writing their own clients; keep it in step with this
//! file. Incoming types ignore unknown fields (clients may be newer);
//! outgoing views are built only from the public parts of the state, which is
//! how the correct answer stays off the wire until the reveal.

use serde::{Deserialize, Serialize};

use crate::bank::Kind;
use crate::quiz::{CloseReason, MemberId, Millis};
use crate::roster::Status;
use crate::vote::attendance::{Attendance, NotEligible};
use crate::vote::decision::{Outcome, Rule};
use crate::vote::discipline::DisciplineOutcome;
use crate::vote::election::ElectionOutcome;
use crate::vote::{Ballot, MotionId, MotionKind, Template};

/// Version spoken by this server; clients send it in `hello`.
pub const PROTOCOL_VERSION: u32 = 1;
/// Largest frame a client may send; larger ones close the socket (1009).
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;
/// Longest client id.
pub const MAX_CID_CHARS: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    Screen,
    Host,
}

/// First message of every connection.
#[derive(Clone, Debug, Deserialize)]
pub struct Hello {
    pub cid: String,
    pub protocol: u32,
    pub role: Role,
    pub pin: String,
    /// New member: the name to join with.
    #[serde(default)]
    pub name: Option<String>,
    /// Returning member: the token from an earlier `welcome`.
    #[serde(default)]
    pub token: Option<String>,
    /// Host: the host secret.
    #[serde(default)]
    pub secret: Option<String>,
    /// Roster member: the key from their personal QR code.
    #[serde(default)]
    pub key: Option<String>,
}

/// A motion as the host drafts it: every field but `text` is optional and
/// defaults to the `template` (an ordinary resolution when none is given).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct MotionDraft {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub template: Option<Template>,
    #[serde(default)]
    pub options: Option<Vec<String>>,
    #[serde(default)]
    pub ballot: Option<Ballot>,
    #[serde(default)]
    pub decide: Option<bool>,
    /// Read as JSON and checked by the room, so that a bad rule is an
    /// `invalid_motion` (saying what is wrong), not a `bad_message`.
    #[serde(default)]
    pub rule: Option<serde_json::Value>,
    #[serde(default)]
    pub approve: Option<usize>,
    #[serde(default)]
    pub abstain: Option<Option<usize>>,
    #[serde(default)]
    pub live_tally: Option<bool>,
    #[serde(default)]
    pub changes_allowed: Option<bool>,
    #[serde(default)]
    pub show_voters: Option<bool>,
    /// Elections: the candidates (the ballot's names) and the seats.
    #[serde(default)]
    pub candidates: Option<Vec<String>>,
    #[serde(default)]
    pub seats: Option<u32>,
    /// Discipline: the penalties, heaviest first ("no penalty" is added).
    #[serde(default)]
    pub penalties: Option<Vec<String>>,
}

/// A roster entry as the host types it.
#[derive(Clone, Debug, Deserialize)]
pub struct RosterInput {
    pub name: String,
    pub code: String,
    pub status: String,
    #[serde(default)]
    pub group: Option<String>,
}

/// An answer: `choice` for choice questions, `text` for typed ones.
#[derive(Clone, Debug, Deserialize)]
pub struct AnswerMsg {
    pub cid: String,
    pub question: usize,
    #[serde(default)]
    pub choice: Option<Vec<usize>>,
    #[serde(default)]
    pub text: Option<String>,
}

/// Messages from clients.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    Hello(Hello),
    Answer(AnswerMsg),
    /// Host: leave the lobby and show the first question.
    Start {
        cid: String,
    },
    /// Host: the next step (leaderboard, next question, podium).
    Next {
        cid: String,
    },
    /// Host: close answers now and reveal.
    Reveal {
        cid: String,
    },
    /// Host: drop the current question unscored.
    Skip {
        cid: String,
    },
    /// Host: ask a question again (answers cleared, a fresh timer).
    Reask {
        cid: String,
        question: usize,
    },
    /// Host: end the quiz and show the podium; a second `end` ends the meeting.
    End {
        cid: String,
    },
    /// Host: remove a member from the meeting.
    Kick {
        cid: String,
        member: MemberId,
    },
    /// Host: let a removed member back in (they may join again).
    Readmit {
        cid: String,
        member: MemberId,
    },
    /// Any role: a heartbeat; answered with `pong` carrying the same `t`.
    /// Changes nothing, so it needs no cid.
    Ping {
        #[serde(default)]
        t: serde_json::Value,
    },
    /// Member: vote on the open motion.
    Vote {
        cid: String,
        motion: MotionId,
        option: usize,
    },
    /// Member: an election ballot, the candidates kept (at most `seats`).
    Ballot {
        cid: String,
        motion: MotionId,
        keep: Vec<usize>,
    },
    /// Member: record a minority opinion on a closed motion.
    Reserve {
        cid: String,
        motion: MotionId,
        text: String,
    },
    /// Member: leave the meeting (counted absent from now on).
    Leave {
        cid: String,
    },
    /// Host: draft a motion.
    MotionCreate {
        cid: String,
        #[serde(flatten)]
        draft: MotionDraft,
    },
    /// Host: change a draft motion (fields given replace the draft's).
    MotionUpdate {
        cid: String,
        motion: MotionId,
        #[serde(flatten)]
        draft: MotionDraft,
    },
    MotionDelete {
        cid: String,
        motion: MotionId,
    },
    MotionOpen {
        cid: String,
        motion: MotionId,
    },
    MotionClose {
        cid: String,
        motion: MotionId,
    },
    /// Host: which motion the projector and phones show (null: none).
    MotionShow {
        cid: String,
        motion: Option<MotionId>,
    },
    RosterAdd {
        cid: String,
        #[serde(flatten)]
        entry: RosterInput,
    },
    RosterUpdate {
        cid: String,
        #[serde(flatten)]
        entry: RosterInput,
    },
    RosterRemove {
        cid: String,
        code: String,
    },
    /// Host: mark a roster member's absence as excused (or not).
    Excuse {
        cid: String,
        code: String,
        excused: bool,
    },
    /// Host: mark a roster member without a phone present by hand (or
    /// take the mark back).
    Mark {
        cid: String,
        code: String,
        present: bool,
    },
    /// Host: the counts of a show of hands or paper ballots of the members
    /// marked present by hand, one per option; replaces an earlier one.
    HandCount {
        cid: String,
        motion: MotionId,
        counts: Vec<u32>,
    },
    /// Host: recognise a joined guest as a roster member.
    Assign {
        cid: String,
        member: MemberId,
        code: String,
    },
    /// Host: let a member who joined while approval is on vote.
    Approve {
        cid: String,
        member: MemberId,
    },
    /// Host: meeting options; fields left out keep their value.
    Settings {
        cid: String,
        #[serde(default)]
        approve_members: Option<bool>,
        #[serde(default)]
        allow_guests: Option<bool>,
        #[serde(default)]
        exclude_excused: Option<bool>,
        /// Congress mode (đại hội chi bộ): opening it checks the quorum.
        #[serde(default)]
        congress: Option<bool>,
    },
    /// Host: replace the agenda (before the meeting opens).
    AgendaSet {
        cid: String,
        template: crate::meeting::agenda::AgendaTemplate,
        /// Items; the template's when left out.
        #[serde(default)]
        items: Option<Vec<crate::meeting::agenda::ItemSpec>>,
        #[serde(default)]
        combined: bool,
        /// Older clients: sets the meeting's wording (`true`: Party).
        /// Prefer the `wording` command; left out, the wording is unchanged.
        #[serde(default)]
        party: Option<bool>,
    },
    /// Host: Party or neutral wording for every page (`party`, `neutral`).
    Wording {
        cid: String,
        wording: String,
    },
    /// Host: open the meeting (the meeting clock starts) and close it.
    MeetingOpen {
        cid: String,
    },
    MeetingClose {
        cid: String,
    },
    ItemStart {
        cid: String,
        item: usize,
    },
    ItemEnd {
        cid: String,
        item: usize,
    },
    /// Host: the chair's conclusion on an item.
    ItemConclude {
        cid: String,
        item: usize,
        text: String,
    },
    /// Member: an opinion on the running agenda item.
    Opinion {
        cid: String,
        text: String,
    },
    /// Host: record a spoken opinion against a speaker's name.
    OpinionRecord {
        cid: String,
        speaker: String,
        text: String,
    },
    /// Member: upvote an opinion on the wall.
    Upvote {
        cid: String,
        opinion: crate::meeting::opinions::OpinionId,
    },
    /// Host: approve, hide, restore, pin, unpin, mark answered.
    OpinionModerate {
        cid: String,
        opinion: crate::meeting::opinions::OpinionId,
        action: crate::meeting::opinions::Action,
    },
    /// Host: opinion options; fields left out keep their value.
    OpinionSettings {
        cid: String,
        #[serde(default)]
        moderate: Option<bool>,
        #[serde(default)]
        anonymous: Option<bool>,
        #[serde(default)]
        sort: Option<crate::meeting::opinions::Sort>,
    },
    /// Host: what the projector shows (null: automatic).
    Screen {
        cid: String,
        screen: Option<crate::meeting::Screen>,
    },
    /// Host: the evaluation form and mode (before it opens).
    EvaluationSet {
        cid: String,
        #[serde(default)]
        form: Option<crate::meeting::evaluation::Form>,
        #[serde(default)]
        mode: Option<crate::meeting::evaluation::Mode>,
    },
    EvaluationOpen {
        cid: String,
    },
    EvaluationClose {
        cid: String,
    },
    /// Member: one score per criterion.
    EvaluationScore {
        cid: String,
        scores: Vec<u32>,
    },
    /// Host: the committee's proposed scores, put to the cell's vote.
    EvaluationPropose {
        cid: String,
        scores: Vec<u32>,
    },
}

impl ClientMsg {
    pub fn cid(&self) -> &str {
        match self {
            ClientMsg::Hello(h) => &h.cid,
            ClientMsg::Ping { .. } => "",
            ClientMsg::Answer(a) => &a.cid,
            ClientMsg::Start { cid }
            | ClientMsg::Next { cid }
            | ClientMsg::Reveal { cid }
            | ClientMsg::Skip { cid }
            | ClientMsg::Reask { cid, .. }
            | ClientMsg::End { cid }
            | ClientMsg::Kick { cid, .. }
            | ClientMsg::Readmit { cid, .. }
            | ClientMsg::Vote { cid, .. }
            | ClientMsg::Ballot { cid, .. }
            | ClientMsg::Reserve { cid, .. }
            | ClientMsg::Leave { cid }
            | ClientMsg::MotionCreate { cid, .. }
            | ClientMsg::MotionUpdate { cid, .. }
            | ClientMsg::MotionDelete { cid, .. }
            | ClientMsg::MotionOpen { cid, .. }
            | ClientMsg::MotionClose { cid, .. }
            | ClientMsg::MotionShow { cid, .. }
            | ClientMsg::RosterAdd { cid, .. }
            | ClientMsg::RosterUpdate { cid, .. }
            | ClientMsg::RosterRemove { cid, .. }
            | ClientMsg::Excuse { cid, .. }
            | ClientMsg::Mark { cid, .. }
            | ClientMsg::HandCount { cid, .. }
            | ClientMsg::Assign { cid, .. }
            | ClientMsg::Approve { cid, .. }
            | ClientMsg::Settings { cid, .. }
            | ClientMsg::Wording { cid, .. }
            | ClientMsg::AgendaSet { cid, .. }
            | ClientMsg::MeetingOpen { cid }
            | ClientMsg::MeetingClose { cid }
            | ClientMsg::ItemStart { cid, .. }
            | ClientMsg::ItemEnd { cid, .. }
            | ClientMsg::ItemConclude { cid, .. }
            | ClientMsg::Opinion { cid, .. }
            | ClientMsg::OpinionRecord { cid, .. }
            | ClientMsg::Upvote { cid, .. }
            | ClientMsg::OpinionModerate { cid, .. }
            | ClientMsg::OpinionSettings { cid, .. }
            | ClientMsg::Screen { cid, .. }
            | ClientMsg::EvaluationSet { cid, .. }
            | ClientMsg::EvaluationOpen { cid }
            | ClientMsg::EvaluationClose { cid }
            | ClientMsg::EvaluationScore { cid, .. }
            | ClientMsg::EvaluationPropose { cid, .. } => cid,
        }
    }
}

/// Stable error codes (the `code` of an `error`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadMessage,
    UnsupportedProtocol,
    NotJoined,
    UnknownMeeting,
    MeetingEnded,
    NameTaken,
    InvalidName,
    BadToken,
    Unauthorized,
    Forbidden,
    NotOpen,
    NotOpenYet,
    TooLate,
    AlreadyAnswered,
    OptionOutOfRange,
    InvalidAnswer,
    WrongPhase,
    /// `reask` of a question never shown (params: `question`).
    NeverAsked,
    /// A hello from a member the host removed (until the host readmits them).
    Removed,
    UnknownMember,
    RateLimited,
    ServerBusy,
    StorageUnavailable,
    /// The database is out of reach for now: nothing is saved, so nothing
    /// is accepted; the server takes input again when it is back.
    DatabaseUnavailable,
    GuestsNotAllowed,
    NotEligible,
    UnknownMotion,
    MotionNotOpen,
    MotionClosed,
    AlreadyVoted,
    NotInMinority,
    AlreadyReserved,
    NoQuorum,
    InvalidMotion,
    InvalidBallot,
    UnknownRosterEntry,
    InvalidRoster,
    UnknownItem,
    AgendaBusy,
    ItemNotRunning,
    InvalidAgenda,
    InvalidOpinion,
    UnknownOpinion,
    AlreadyUpvoted,
    OwnOpinion,
    TooManyOpinions,
    InvalidEvaluation,
    EvaluationNotOpen,
    AlreadyScored,
    ScoreOutOfRange,
    /// Too many `hello`s with unknown PINs from this address: wait.
    TooManyGuesses,
    /// This address has created as many members as a meeting allows it.
    TooManyMembers,
    /// A setting given a value the server does not know (params: `setting`,
    /// `value`, `accepted`).
    InvalidSetting,
}

impl ErrorCode {
    /// The code as the wire spells it (`invalid_setting`).
    pub fn name(self) -> &'static str {
        // Every variant serialises to a fixed snake_case string; leaking one
        // small string per variant (at most once each) keeps it `'static`.
        use std::collections::HashMap;
        use std::sync::{Mutex, OnceLock};
        static NAMES: OnceLock<Mutex<HashMap<ErrorCode, &'static str>>> = OnceLock::new();
        let mut names = NAMES
            .get_or_init(Default::default)
            .lock()
            .expect("error code names");
        names.entry(self).or_insert_with(|| {
            let s = serde_json::to_value(self)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            Box::leak(s.into_boxed_str())
        })
    }
}

/// Meeting facts every client needs once.
#[derive(Clone, Debug, Serialize)]
pub struct MeetingInfo {
    pub pin: String,
    pub title: String,
    pub join_url: String,
    pub qr_url: String,
}

/// The joined member, with the secret token to resume with.
#[derive(Clone, Debug, Serialize)]
pub struct WelcomeMember {
    pub id: MemberId,
    pub name: String,
    pub token: String,
}

/// A question as members and the projector see it: no correct answer.
#[derive(Clone, Debug, Serialize)]
pub struct QuestionView {
    pub index: usize,
    pub count: usize,
    pub kind: Kind,
    pub text: String,
    pub options: Vec<String>,
    pub points: u32,
    pub time_limit_ms: u64,
    /// Milliseconds until answers open (reading time, or the "Tiếp tục"
    /// countdown after a restart), from when this frame was made.
    pub opens_in_ms: u64,
    /// Milliseconds of the "Tiếp tục" countdown left after a restart (0
    /// otherwise); answers open when it ends.
    pub resumes_in_ms: u64,
    /// Times this question has been asked again.
    pub reasked: u32,
    /// A typed question whose answers are all numbers: phones show a
    /// numeric keypad (says nothing of which number).
    pub numeric: bool,
    /// Milliseconds until answers close, from when this frame was made.
    pub closes_in_ms: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct TypedCount {
    pub text: String,
    pub count: u32,
}

/// What the reveal shows.
#[derive(Clone, Debug, Serialize)]
pub struct RevealView {
    pub reason: CloseReason,
    /// Indices of the correct options (empty for polls and typed questions).
    pub correct: Vec<usize>,
    /// Accepted answers of a typed question.
    pub answers: Vec<String>,
    /// Per option; for typed questions `[right, wrong]`.
    pub distribution: Vec<u32>,
    pub typed_top: Vec<TypedCount>,
    pub answered: u32,
    pub correct_count: u32,
    pub explanation: String,
    /// The source as a short label for a screen read from afar: the bank's
    /// label, or for an address alone its site; never the address itself.
    pub source: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct RankRow {
    pub rank: u32,
    pub id: MemberId,
    pub name: String,
    pub score: u64,
}

/// The host's copy of the answer key, sent to the host only.
#[derive(Clone, Debug, Serialize)]
pub struct AnswerKey {
    pub correct: Vec<usize>,
    pub answers: Vec<String>,
    /// The question's source label (may be empty).
    pub source: String,
    /// The source's web address (http or https; may be empty).
    pub source_url: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseName {
    Lobby,
    Question,
    Reveal,
    Leaderboard,
    Podium,
    Ended,
}

/// A closed motion's result.
#[derive(Clone, Debug, Serialize)]
pub struct MotionResultView {
    pub counts: Vec<u32>,
    pub voted: u32,
    /// Each count as a percentage of the decision base (one decimal).
    pub percent_of_base: Vec<f64>,
    pub convened: u32,
    pub present_at_open: u32,
    pub present_at_close: u32,
    /// The decision; null for a plain poll.
    pub outcome: Option<Outcome>,
    /// "passed", "not_passed", or null for a poll.
    pub decision: Option<&'static str>,
    pub reservations: u32,
    /// Elections: valid ballots keeping nobody, and invalid ballots.
    pub blank: u32,
    pub invalid: u32,
    /// Elections: per candidate TRÚNG CỬ / KHÔNG TRÚNG CỬ (`standing`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub election: Option<ElectionOutcome>,
    /// Discipline: the penalty decided and the adding-up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discipline: Option<DisciplineOutcome>,
}

/// Who chose what on an open ballot (host, and the projector when allowed).
#[derive(Clone, Debug, Serialize)]
pub struct VoterRow {
    pub id: MemberId,
    pub name: String,
    pub option: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct ReservationRow {
    pub id: MemberId,
    pub name: String,
    pub text: String,
}

/// A motion as members and the projector see it.
#[derive(Clone, Debug, Serialize)]
pub struct MotionView {
    pub id: MotionId,
    pub text: String,
    pub options: Vec<String>,
    /// `motion`, `election` (options are candidates) or `discipline`
    /// (options are penalties, heaviest first, then "no penalty").
    pub kind: MotionKind,
    /// Elections: seats to fill.
    pub seats: u32,
    /// Discipline: the first option is (a proposal of) expulsion.
    pub expulsion_first: bool,
    pub ballot: Ballot,
    pub status: crate::vote::Status,
    pub decide: bool,
    pub rule: Rule,
    pub approve: usize,
    pub abstain: Option<usize>,
    pub live_tally: bool,
    pub changes_allowed: bool,
    pub show_voters: bool,
    pub result: Option<MotionResultView>,
    /// Counts from a show of hands or paper ballots (members without
    /// phones), per option; included in the counts and the result. Shown
    /// whenever counts are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hand_counts: Option<Vec<u32>>,
    /// Open ballots with `show_voters` (and always for the host).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voters: Option<Vec<VoterRow>>,
    /// Host only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservations: Option<Vec<ReservationRow>>,
    /// Host only: the draft's template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<Template>,
}

/// The shared state of the meeting, for one role.
#[derive(Clone, Debug, Serialize)]
pub struct StateView {
    pub phase: PhaseName,
    pub meeting: MeetingInfo,
    pub bank_title: String,
    pub question_count: usize,
    /// Host only: which questions of the bank the meeting asks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub choice: Option<crate::choice::Choice>,
    pub question: Option<QuestionView>,
    pub reveal: Option<RevealView>,
    /// Top of the leaderboard (leaderboard and podium phases).
    pub leaderboard: Option<Vec<RankRow>>,
    /// Host only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer_key: Option<AnswerKey>,
    /// Host only: what `next` will show ("question", "leaderboard",
    /// "podium"), or null when `next` is not possible now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<&'static str>,
    /// The motion on show (open, or closed with its result).
    pub motion: Option<MotionView>,
    /// Host only: every motion, drafts included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub motions: Option<Vec<MotionView>>,
    /// Whether the meeting has a roster, and its options.
    pub roster: bool,
    pub allow_guests: bool,
    pub exclude_excused: bool,
    /// Congress mode (`settings.congress`).
    pub congress: bool,
    /// The agenda and the meeting clock.
    pub agenda: AgendaView,
    /// The opinion wall (members and the projector: approved opinions only).
    pub opinions: OpinionsView,
    /// The meeting's evaluation; null for members while it is a draft.
    pub evaluation: Option<EvaluationView>,
    /// What the chair put on the projector; null: automatic.
    pub screen: Option<crate::meeting::Screen>,
    /// Without a roster: new members vote once the host approves them.
    pub approve_members: bool,
    /// `party` (đồng chí, đảng viên, chi bộ) or `neutral` (bạn, thành viên,
    /// cuộc họp): how every page words the meeting.
    pub wording: crate::meeting::Wording,
}

/// The running count of the open motion.
#[derive(Clone, Debug, Serialize)]
pub struct VoteLive {
    pub motion: MotionId,
    pub voted: u32,
    pub eligible_present: u32,
    /// Present when the motion shows live counts (and always to the host of an open ballot).
    pub counts: Option<Vec<u32>>,
}

/// Frequently changing counters for the projector and the host, coalesced.
#[derive(Clone, Debug, Serialize)]
pub struct LiveView {
    pub joined: u32,
    pub connected: u32,
    /// Names of the most recent joiners (newest last).
    pub recent: Vec<String>,
    /// Answers to the open question.
    pub answered: u32,
    pub attendance: Attendance,
    pub vote: Option<VoteLive>,
    /// Congress mode: the quorum of Charter Art. 11 §6 (null otherwise).
    pub congress: Option<CongressQuorum>,
}

/// A cell congress is valid with at least two thirds of those convened present.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct CongressQuorum {
    pub convened: u32,
    pub present: u32,
    pub needed: u32,
    pub met: bool,
}

/// What the member has submitted to the current question.
#[derive(Clone, Debug, Serialize)]
pub struct MyAnswer {
    pub question: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub choice: Option<Vec<usize>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MyResult {
    pub question: usize,
    pub correct: bool,
    pub partial: bool,
    pub points: u32,
    pub streak: u32,
}

/// The member's part in the motion on show.
#[derive(Clone, Debug, Serialize)]
pub struct MyVote {
    pub motion: MotionId,
    pub eligible: bool,
    /// Why not, when not eligible.
    pub reason: Option<NotEligible>,
    pub voted: bool,
    /// Their choice — open ballots only; a secret choice is never sent back.
    pub option: Option<usize>,
    pub reserved: bool,
    /// May record a reservation now.
    pub may_reserve: bool,
}

/// One member's own view.
#[derive(Clone, Debug, Serialize)]
pub struct MeView {
    pub id: MemberId,
    pub name: String,
    pub score: u64,
    pub rank: u32,
    pub of: u32,
    pub answer: Option<MyAnswer>,
    pub result: Option<MyResult>,
    /// Roster status; null for a guest or without a roster.
    pub status: Option<Status>,
    pub present: bool,
    /// Whether this member may vote (on any motion), and why not.
    pub eligible: bool,
    pub reason: Option<NotEligible>,
    pub vote: Option<MyVote>,
    /// Whether the member has taken part in the quiz (a closed question
    /// with their answer): a member who joins after the quiz sees no rank.
    pub played: bool,
    /// When a roster member checked in (joined, with their personal QR),
    /// ms since 1970; null for guests.
    pub checked_in_at: Option<Millis>,
    /// The question last skipped, when this member had answered it (until
    /// the next question closes): their answer did not count.
    pub skipped: Option<usize>,
    /// The member's own opinions, upvotes and evaluation.
    pub activities: MyActivities,
}

/// A removed member, on the host's list (to let them back in).
#[derive(Clone, Debug, Serialize)]
pub struct RemovedRow {
    pub id: MemberId,
    pub name: String,
}

/// A row of the host's member list.
#[derive(Clone, Debug, Serialize)]
pub struct MemberRow {
    pub id: MemberId,
    pub name: String,
    pub score: u64,
    pub connected: bool,
    /// Answered the open question.
    pub answered: bool,
    pub code: Option<String>,
    pub status: Option<Status>,
    pub present: bool,
    /// Voted on the open (or shown) open-ballot motion. Absent on a secret
    /// ballot: the host gets `not_voted` instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voted: Option<bool>,
    /// What they chose, on an open ballot only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub choice: Option<usize>,
    /// Waiting for the host's approval to vote (present only when true).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub pending: bool,
}

/// A roster row for the host.
#[derive(Clone, Debug, Serialize)]
pub struct RosterRowView {
    pub code: String,
    pub name: String,
    pub status: Status,
    pub group: Option<String>,
    pub excused: bool,
    pub present: bool,
    /// Marked present by the host (a member without a phone).
    pub by_hand: bool,
    pub member: Option<MemberId>,
}

/// A member who joined by name whose name is a roster entry's (ignoring
/// case, spaces and diacritics): offered to the host to confirm (`assign`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NameMatch {
    pub member: MemberId,
    pub name: String,
    pub code: String,
    pub roster_name: String,
}

/// Messages from the server.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg<'a> {
    Welcome {
        protocol: u32,
        cid: &'a str,
        role: Role,
        meeting: &'a MeetingInfo,
        #[serde(skip_serializing_if = "Option::is_none")]
        member: Option<WelcomeMember>,
    },
    Ack {
        cid: &'a str,
        /// `motion_create`: the new motion's id.
        #[serde(skip_serializing_if = "Option::is_none")]
        motion: Option<MotionId>,
    },
    /// A secret ballot is counted in the room but waits to be written with
    /// a group of others; its `ack` follows once that group is durable.
    Received {
        cid: &'a str,
    },
    Error {
        #[serde(skip_serializing_if = "Option::is_none")]
        cid: Option<&'a str>,
        code: ErrorCode,
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        suggestion: Option<String>,
        /// What the page words the error with (`problem` and its values).
        #[serde(skip_serializing_if = "Option::is_none")]
        params: Option<serde_json::Value>,
    },
    State(&'a StateView),
    Live(&'a LiveView),
    Me(&'a MeView),
    Members {
        members: &'a [MemberRow],
        roster: &'a [RosterRowView],
        /// While a secret ballot is open (or shown): eligible members present
        /// who have not voted. Who has voted is only ever a count.
        #[serde(skip_serializing_if = "Option::is_none")]
        not_voted: Option<&'a [MemberId]>,
        /// Joined members matching a roster entry by name, to confirm.
        #[serde(skip_serializing_if = "<[NameMatch]>::is_empty")]
        matches: &'a [NameMatch],
        /// Members the host removed, who cannot come back until readmitted.
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        removed: &'a [RemovedRow],
    },
    /// The answer to a client's `ping`.
    Pong {
        t: &'a serde_json::Value,
    },
    /// Sent just before the server closes the socket on purpose.
    Bye {
        code: &'a str,
        message: &'a str,
    },
    /// The database went out of reach (`available: false`: input is
    /// refused with `database_unavailable`) or came back.
    Database {
        available: bool,
    },
}

// ---- agenda, opinions, evaluation ------------------------------------

/// One agenda item. Times are milliseconds since 1970 (server clock).
#[derive(Clone, Debug, Serialize)]
pub struct AgendaItemView {
    pub index: usize,
    pub title: String,
    pub kind: crate::meeting::agenda::ItemKind,
    pub presenter: String,
    pub minutes: u32,
    pub started_at: Option<u64>,
    pub ended_at: Option<u64>,
    pub conclusion: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AgendaView {
    /// Null until the chair sets an agenda.
    pub template: Option<crate::meeting::agenda::AgendaTemplate>,
    pub combined: bool,
    pub items: Vec<AgendaItemView>,
    /// Index of the running item.
    pub current: Option<usize>,
    pub opened_at: Option<u64>,
    pub closed_at: Option<u64>,
    /// How long the meeting has lasted when this frame was made; clients
    /// count on from receipt while `opened_at` is set and `closed_at` not.
    pub elapsed_ms: u64,
    /// How long the running item has lasted when this frame was made.
    pub item_elapsed_ms: u64,
    pub minimum_minutes: u32,
    pub planned_minutes: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct OpinionView {
    pub id: u32,
    pub item: usize,
    /// The member's name, or the speaker the secretary recorded; null when anonymous.
    pub name: Option<String>,
    /// Recorded by the secretary (spoken), not sent from a phone.
    pub spoken: bool,
    pub text: String,
    pub at: u64,
    pub upvotes: u32,
    pub status: crate::meeting::opinions::Status,
    pub answered: bool,
    pub pinned: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct OpinionsView {
    pub settings: crate::meeting::opinions::Settings,
    /// The item whose opinions are on show: the running one, else the last held.
    pub item: Option<usize>,
    /// Opinions on the wall for `item`, and distinct named speakers among them.
    pub count: u32,
    pub speakers: u32,
    pub pinned: Option<u32>,
    /// Host: every opinion; others: those on the wall.
    pub list: Vec<OpinionView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct EvaluationResultView {
    /// Per criterion: members' means, or the committee's proposal.
    pub scores: Vec<f64>,
    pub total: f64,
    /// Criteria at full marks.
    pub full: u32,
    pub band: crate::meeting::evaluation::Band,
    /// Committee mode: whether the cell approved the proposal (null until decided).
    pub approved: Option<bool>,
}

#[derive(Clone, Debug, Serialize)]
pub struct EvaluationFacts {
    pub attendance: crate::meeting::evaluation::AttendanceFact,
    pub length: crate::meeting::evaluation::LengthFact,
}

#[derive(Clone, Debug, Serialize)]
pub struct EvaluationView {
    pub form: crate::meeting::evaluation::Form,
    pub total_max: u32,
    pub mode: crate::meeting::evaluation::Mode,
    pub status: crate::meeting::evaluation::EvalStatus,
    /// Members who sent their scores.
    pub scored: u32,
    /// Per criterion (members mode): the host always, others once closed.
    pub stats: Option<Vec<crate::meeting::evaluation::Stat>>,
    /// The grade: the host always, others once closed (or proposed).
    pub result: Option<EvaluationResultView>,
    pub proposal: Option<Vec<u32>>,
    pub motion: Option<MotionId>,
    pub facts: EvaluationFacts,
}

#[derive(Clone, Debug, Serialize)]
pub struct MyOpinion {
    pub id: u32,
    pub status: crate::meeting::opinions::Status,
    pub text: String,
}

/// A member's own part in the meeting's activities.
#[derive(Clone, Debug, Serialize)]
pub struct MyActivities {
    /// Their opinions (an anonymous one only until the server restarts).
    pub opinions: Vec<MyOpinion>,
    /// Opinions they upvoted.
    pub upvoted: Vec<u32>,
    /// Their evaluation scores, once sent.
    pub scores: Option<Vec<u32>>,
}

impl ServerMsg<'_> {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("wire types serialise")
    }
}

/// Shorthand for an error frame.
pub fn error_json(cid: Option<&str>, code: ErrorCode, message: impl Into<String>) -> String {
    ServerMsg::Error {
        cid,
        code,
        message: message.into(),
        suggestion: None,
        params: None,
    }
    .to_json()
}

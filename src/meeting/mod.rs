//! The rest of a cell meeting beside the quiz and the vote: the agenda and
//! its clock, opinions on each item, and the meeting's evaluation. Pure
//! engines (no tokio, no I/O, time passed in); `room::meeting` turns their
//! events into state and `room::views` into wire views.

pub mod agenda;
pub mod evaluation;
pub mod opinions;

use serde::{Deserialize, Serialize};

/// What the projector shows, chosen by the chair (`None`: automatic).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Screen {
    Lobby,
    Agenda,
    Attendance,
    Quiz,
    Opinions,
    Vote,
    Evaluation,
}

/// How the pages address people: Party wording (đồng chí, đảng viên, chi
/// bộ) or neutral wording (bạn, thành viên, cuộc họp). One setting per
/// meeting; every page, the projector's rule explanations and the minutes
/// follow it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Wording {
    Party,
    #[default]
    Neutral,
}

impl Wording {
    /// The values `wording` accepts, as the protocol and the API spell them.
    pub const ACCEPTED: [&'static str; 2] = ["party", "neutral"];

    pub fn parse(s: &str) -> Option<Wording> {
        match s.trim().to_ascii_lowercase().as_str() {
            "party" => Some(Wording::Party),
            "neutral" => Some(Wording::Neutral),
            _ => None,
        }
    }

    pub fn is_party(self) -> bool {
        self == Wording::Party
    }
}

/// What is wrong with an agenda, an opinion or an evaluation form: a
/// stable `problem` code and its limit, which pages word (`params`), and
/// an English `message` for logs and scripts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detail {
    pub problem: &'static str,
    pub max: usize,
    pub message: String,
}

impl Detail {
    pub fn new(problem: &'static str, max: usize, message: impl Into<String>) -> Detail {
        Detail {
            problem,
            max,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Detail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Why an agenda, opinion or evaluation command is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MeetingError {
    #[error("no agenda item {0}")]
    UnknownItem(usize),
    #[error("item {} is still running; end it first", .0 + 1)]
    AgendaBusy(usize),
    #[error("this agenda item is not running")]
    ItemNotRunning,
    #[error("{0}")]
    InvalidAgenda(Detail),
    #[error("{0}")]
    WrongState(&'static str),
    #[error("{0}")]
    Invalid(&'static str),
    #[error("{0}")]
    InvalidOpinion(Detail),
    #[error("no opinion {0} on the wall")]
    UnknownOpinion(u32),
    #[error("you have already upvoted this opinion")]
    AlreadyUpvoted,
    #[error("you cannot upvote your own opinion")]
    OwnOpinion,
    #[error("too many opinions: wait a minute before sending another")]
    TooManyOpinions,
    #[error("{0}")]
    InvalidEvaluation(Detail),
    #[error("the evaluation is not open for scores")]
    EvaluationNotOpen,
    #[error("you have already sent your scores")]
    AlreadyScored,
    #[error("score {} is outside its criterion's range (or missing)", .0 + 1)]
    ScoreOutOfRange(usize),
}

//! Persisted events of a meeting.
//!
//! A meeting's state is the fold of its events: the room actor applies each
//! event as it happens, and after a crash the same `apply` replays them from
//! the store, so live and recovered state cannot drift apart. Every event
//! carries its own timestamp, which keeps scoring exact on replay.

use serde::{Deserialize, Serialize};

use crate::quiz::{CloseReason, MemberId, Millis, Submission};

/// Who caused an event; with `cid` it is the key that makes resent commands
/// idempotent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum By {
    #[default]
    System,
    Host,
    Member(MemberId),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A member joined; `token_hash` is the SHA-256 of their secret token.
    Joined {
        member: MemberId,
        name: String,
        token_hash: String,
    },
    Removed {
        member: MemberId,
    },
    Shown {
        question: usize,
    },
    Answered {
        member: MemberId,
        question: usize,
        answer: Submission,
        elapsed_ms: u32,
    },
    Closed {
        reason: CloseReason,
    },
    Leaderboard,
    Skipped,
    Podium,
    Ended,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub seq: u64,
    pub at: Millis,
    #[serde(default)]
    pub by: By,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cid: Option<String>,
    pub event: Event,
}

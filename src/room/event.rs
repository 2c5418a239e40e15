//! Persisted events of a meeting.
//!
//! A meeting's state is the fold of its events: the room actor applies each
//! event as it happens, and after a crash the same `apply` replays them from
//! the store, so live and recovered state cannot drift apart. Every event
//! carries its own timestamp, which keeps scoring exact on replay.

use serde::{Deserialize, Serialize};

use crate::quiz::{CloseReason, MemberId, Millis, Submission};
use crate::roster::RosterEntry;
use crate::vote::{MotionId, MotionSpec};

/// A roster entry with its personal join key (the secret in its QR code).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RosterRow {
    pub entry: RosterEntry,
    pub key: String,
}

/// Meeting options the host can change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Settings {
    /// With a roster: people not on it may join (quiz only; they never vote).
    #[serde(default)]
    pub allow_guests: bool,
    /// Leave official members absent with an approved excuse out of those
    /// convened (sources disagree; off by default).
    #[serde(default)]
    pub exclude_excused: bool,
    /// Congress mode (đại hội chi bộ): the two-thirds quorum of Charter
    /// Art. 11 §6 is checked when it is turned on and shown on the projector.
    #[serde(default)]
    pub congress: bool,
    /// Without a roster: members who join from now on vote only once the
    /// host approves them (anyone with the PIN could join otherwise).
    #[serde(default)]
    pub approve_members: bool,
    /// Party or neutral wording. Not part of `SettingsChanged` (older
    /// records lack it): only `WordingSet` (and an older `agenda_set` with
    /// `party`) changes it.
    #[serde(skip)]
    pub wording: crate::meeting::Wording,
}

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
    /// A member joined; `token_hash` is the SHA-256 of their secret token;
    /// `roster` is the member code when they joined with their personal QR.
    Joined {
        member: MemberId,
        name: String,
        token_hash: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        roster: Option<String>,
    },
    /// The host let a member who joined while approval was on vote.
    Approved {
        member: MemberId,
    },
    /// A roster member's personal QR was used on a new device.
    Rekeyed {
        member: MemberId,
        token_hash: String,
    },
    /// The member left the meeting (absent from now on), or came back.
    Left {
        member: MemberId,
    },
    Returned {
        member: MemberId,
    },
    Removed {
        member: MemberId,
    },
    /// The host let a removed member back in: they may join again.
    Readmitted {
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
    /// The host asked a question again: its answers and points are
    /// dropped and it is shown afresh.
    Reasked {
        question: usize,
    },
    /// The server came back with a question open: the time it had left at
    /// `down_at` (the last sign of life before the crash) starts again at
    /// `resume_at`, after a short countdown.
    Resumed {
        down_at: Millis,
        resume_at: Millis,
    },
    Leaderboard,
    Skipped,
    Podium,
    Ended,
    /// Roster: imported (replacing or adding), one entry added, edited, removed.
    RosterSet {
        rows: Vec<RosterRow>,
        replace: bool,
    },
    RosterEdited {
        code: String,
        entry: RosterEntry,
    },
    RosterRemoved {
        code: String,
    },
    Excused {
        code: String,
        excused: bool,
    },
    /// The host marked roster member `code` present by hand (or took it back).
    MarkedPresent {
        code: String,
        present: bool,
    },
    /// The host entered a show of hands or paper ballots for `motion`.
    HandCounted {
        motion: MotionId,
        counts: Vec<u32>,
    },
    /// A guest is recognised as the roster member `code`.
    Assigned {
        member: MemberId,
        code: String,
    },
    SettingsChanged {
        settings: Settings,
    },
    /// Party or neutral wording for every page (chosen when the meeting is
    /// created, changeable by the host at any time).
    WordingSet {
        wording: crate::meeting::Wording,
    },
    MotionCreated {
        motion: MotionId,
        spec: MotionSpec,
    },
    MotionUpdated {
        motion: MotionId,
        spec: MotionSpec,
    },
    MotionDeleted {
        motion: MotionId,
    },
    MotionOpened {
        motion: MotionId,
    },
    MotionClosed {
        motion: MotionId,
    },
    /// Which motion the projector and phones show (none: back to the quiz).
    MotionShown {
        motion: Option<MotionId>,
    },
    /// A vote on an open ballot (or a change of it).
    Voted {
        member: MemberId,
        motion: MotionId,
        option: usize,
    },
    /// A secret ballot. The choice is held only while the event is applied
    /// live and is never serialised: the store counts it in a separate table.
    BallotCast {
        member: MemberId,
        motion: MotionId,
        #[serde(skip)]
        option: Option<usize>,
    },
    /// A group of secret ballots reached the store together (see
    /// `room::ballot_box`); their acks wait for this event to be durable.
    BallotsSealed {
        motion: MotionId,
        ballots: u32,
    },
    /// A minority opinion recorded on a closed motion (bảo lưu ý kiến).
    Reserved {
        member: MemberId,
        motion: MotionId,
        text: String,
    },
    /// Agenda, opinions and evaluation (`room::meeting`).
    Meeting(super::meeting::MeetingEvent),
    /// The minutes' details (organisations, place, chair, secretary),
    /// set before printing; accepted after the meeting ended too.
    MinutesSet {
        details: crate::minutes::Details,
    },
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

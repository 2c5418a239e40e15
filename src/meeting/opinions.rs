//! Opinions (ý kiến) on agenda items: a pure engine (no I/O, time passed in).
//!
//! Members send opinions from their phones; the secretary records spoken
//! ones against a name. The host moderates: with `moderate` on, an opinion
//! waits for approval before the wall shows it. Each member upvotes an
//! opinion once, never their own. An anonymous opinion keeps its author
//! only in memory (`sender`), for the rate limit and the own-upvote check:
//! the stored event has no author, so after a restart it has none at all.

use std::collections::{HashMap, HashSet, VecDeque};

use serde::{Deserialize, Serialize};

use super::{Detail, MeetingError};
use crate::quiz::{MemberId, Millis};

pub type OpinionId = u32;

pub const MAX_OPINION_CHARS: usize = 1000;
pub const MAX_SPEAKER_CHARS: usize = 64;
/// A member sends at most this many opinions per window (flooding the wall).
pub const RATE_COUNT: usize = 3;
pub const RATE_WINDOW_MS: u64 = 60_000;

/// Where an opinion is in moderation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waits for the host's approval.
    Pending,
    /// On the wall.
    Shown,
    /// Hidden by the host (can be restored).
    Hidden,
}

/// What the host does to an opinion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Approve,
    Hide,
    Restore,
    Pin,
    Unpin,
    Answered,
    Unanswered,
}

/// How the wall is sorted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Newest,
    Upvotes,
}

/// The host's opinion settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// The host approves each member's opinion before the wall shows it.
    #[serde(default = "yes")]
    pub moderate: bool,
    /// Opinions from phones are anonymous (not for Party cell meetings).
    #[serde(default)]
    pub anonymous: bool,
    #[serde(default)]
    pub sort: Sort,
}

fn yes() -> bool {
    true
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            moderate: true,
            anonymous: false,
            sort: Sort::Newest,
        }
    }
}

/// Who gave an opinion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Author {
    /// A member, from their phone, named.
    Member(MemberId),
    /// Recorded by the secretary against a name (spoken).
    Spoken(String),
    /// From a phone, anonymous: nobody is stored.
    Anonymous,
}

#[derive(Clone, Debug)]
pub struct Opinion {
    pub id: OpinionId,
    /// Agenda item index.
    pub item: usize,
    pub author: Author,
    /// The anonymous author, in memory only (absent after a restart).
    pub sender: Option<MemberId>,
    pub text: String,
    pub at: Millis,
    pub status: Status,
    pub answered: bool,
    pub upvoters: HashSet<MemberId>,
}

impl Opinion {
    /// Whether `member` wrote it (as far as this server knows).
    pub fn by(&self, member: MemberId) -> bool {
        self.author == Author::Member(member) || self.sender == Some(member)
    }
}

/// A new opinion as the room hands it over.
pub struct NewOpinion<'a> {
    pub id: OpinionId,
    pub item: usize,
    pub author: Author,
    pub sender: Option<MemberId>,
    pub text: &'a str,
}

#[derive(Clone, Debug, Default)]
pub struct Opinions {
    pub list: Vec<Opinion>,
    pub settings: Settings,
    /// The opinion highlighted on the projector.
    pub pinned: Option<OpinionId>,
    /// Recent sends per member, for the rate limit (memory only).
    recent: HashMap<MemberId, VecDeque<Millis>>,
}

/// Trims and checks an opinion's text.
pub fn clean_text(raw: &str) -> Result<String, MeetingError> {
    let text = raw.trim();
    let n = text.chars().count();
    if n == 0 || n > MAX_OPINION_CHARS {
        return Err(MeetingError::InvalidOpinion(Detail::new(
            "opinion_length",
            MAX_OPINION_CHARS,
            format!("an opinion is 1 to {MAX_OPINION_CHARS} characters"),
        )));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(MeetingError::InvalidOpinion(Detail::new(
            "control_character",
            0,
            "an opinion cannot contain control characters",
        )));
    }
    Ok(text.to_string())
}

impl Opinions {
    pub fn next_id(&self) -> OpinionId {
        self.list.len() as OpinionId + 1
    }

    pub fn get(&self, id: OpinionId) -> Result<&Opinion, MeetingError> {
        self.list
            .get((id as usize).wrapping_sub(1))
            .ok_or(MeetingError::UnknownOpinion(id))
    }

    fn get_mut(&mut self, id: OpinionId) -> Result<&mut Opinion, MeetingError> {
        self.list
            .get_mut((id as usize).wrapping_sub(1))
            .ok_or(MeetingError::UnknownOpinion(id))
    }

    /// Whether `member` may send another opinion at `now` (live only).
    pub fn check_rate(&self, member: MemberId, now: Millis) -> Result<(), MeetingError> {
        let recent = self.recent.get(&member).map_or(0, |q| {
            q.iter()
                .filter(|&&t| now.saturating_sub(t) < RATE_WINDOW_MS)
                .count()
        });
        if recent >= RATE_COUNT {
            return Err(MeetingError::TooManyOpinions);
        }
        Ok(())
    }

    /// Adds an opinion. Phones' opinions wait for approval when moderated;
    /// opinions the secretary records are shown at once.
    pub fn post(&mut self, new: NewOpinion, at: Millis) -> Result<(), MeetingError> {
        if new.id != self.next_id() {
            return Err(MeetingError::Invalid("opinion ids out of order"));
        }
        let text = clean_text(new.text)?;
        if let Author::Spoken(name) = &new.author {
            let n = name.chars().count();
            if n == 0 || n > MAX_SPEAKER_CHARS {
                return Err(MeetingError::InvalidOpinion(Detail::new(
                    "speaker_length",
                    MAX_SPEAKER_CHARS,
                    format!("a speaker's name is 1 to {MAX_SPEAKER_CHARS} characters"),
                )));
            }
        }
        let from_phone = !matches!(new.author, Author::Spoken(_));
        let status = if from_phone && self.settings.moderate {
            Status::Pending
        } else {
            Status::Shown
        };
        let who = match new.author {
            Author::Member(m) => Some(m),
            _ => new.sender,
        };
        if let Some(m) = who {
            let q = self.recent.entry(m).or_default();
            q.push_back(at);
            while q.len() > RATE_COUNT {
                q.pop_front();
            }
        }
        self.list.push(Opinion {
            id: new.id,
            item: new.item,
            author: new.author,
            sender: new.sender,
            text,
            at,
            status,
            answered: false,
            upvoters: HashSet::new(),
        });
        Ok(())
    }

    /// One upvote per member, on an opinion on the wall, not their own.
    pub fn upvote(&mut self, id: OpinionId, member: MemberId) -> Result<(), MeetingError> {
        let o = self.get_mut(id)?;
        if o.status != Status::Shown {
            return Err(MeetingError::UnknownOpinion(id));
        }
        if o.by(member) {
            return Err(MeetingError::OwnOpinion);
        }
        if !o.upvoters.insert(member) {
            return Err(MeetingError::AlreadyUpvoted);
        }
        Ok(())
    }

    /// A host's moderation action; refused when it would change nothing.
    pub fn moderate(&mut self, id: OpinionId, action: Action) -> Result<(), MeetingError> {
        let pinned = self.pinned;
        let o = self.get_mut(id)?;
        let wrong = |m| Err(MeetingError::WrongState(m));
        match action {
            Action::Approve if o.status == Status::Pending => o.status = Status::Shown,
            Action::Approve => return wrong("only a waiting opinion can be approved"),
            Action::Hide if o.status != Status::Hidden => o.status = Status::Hidden,
            Action::Hide => return wrong("this opinion is already hidden"),
            Action::Restore if o.status == Status::Hidden => o.status = Status::Shown,
            Action::Restore => return wrong("only a hidden opinion can be restored"),
            Action::Pin if o.status == Status::Shown && pinned != Some(id) => {}
            Action::Pin => return wrong("only an opinion on the wall can be pinned"),
            Action::Unpin if pinned == Some(id) => {}
            Action::Unpin => return wrong("this opinion is not pinned"),
            Action::Answered if !o.answered => o.answered = true,
            Action::Unanswered if o.answered => o.answered = false,
            Action::Answered | Action::Unanswered => return wrong("nothing to change"),
        }
        match action {
            Action::Pin => self.pinned = Some(id),
            Action::Unpin | Action::Hide if pinned == Some(id) => self.pinned = None,
            _ => {}
        }
        Ok(())
    }

    /// Opinions on the wall for `item`.
    pub fn shown(&self, item: usize) -> impl Iterator<Item = &Opinion> {
        self.list
            .iter()
            .filter(move |o| o.item == item && o.status == Status::Shown)
    }

    /// "{n} ý kiến, {k} người phát biểu" for an item: opinions on the wall,
    /// and distinct named speakers among them (anonymous ones are not
    /// counted as speakers: nobody knows who they are).
    pub fn counts(&self, item: usize) -> (u32, u32) {
        let mut speakers: HashSet<String> = HashSet::new();
        let mut n = 0;
        for o in self.shown(item) {
            n += 1;
            match &o.author {
                Author::Member(m) => speakers.insert(format!("m{m}")),
                Author::Spoken(name) => speakers.insert(format!("s{}", crate::text::fold(name))),
                Author::Anonymous => false,
            };
        }
        (n, speakers.len() as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(o: &mut Opinions, author: Author, sender: Option<MemberId>, at: Millis) -> OpinionId {
        let id = o.next_id();
        o.post(
            NewOpinion {
                id,
                item: 0,
                author,
                sender,
                text: "Đề nghị bổ sung chỉ tiêu",
            },
            at,
        )
        .unwrap();
        id
    }

    #[test]
    fn moderation_waits_for_approval_then_hides_restores_and_pins() {
        let mut o = Opinions::default();
        let a = post(&mut o, Author::Member(1), None, 0);
        assert_eq!(o.get(a).unwrap().status, Status::Pending);
        assert_eq!(o.counts(0), (0, 0));
        // Not on the wall: no pin, no upvote.
        assert!(o.moderate(a, Action::Pin).is_err());
        assert_eq!(o.upvote(a, 2), Err(MeetingError::UnknownOpinion(a)));
        o.moderate(a, Action::Approve).unwrap();
        assert!(o.moderate(a, Action::Approve).is_err());
        o.moderate(a, Action::Pin).unwrap();
        assert_eq!(o.pinned, Some(a));
        o.moderate(a, Action::Hide).unwrap();
        assert_eq!(o.pinned, None);
        assert_eq!(o.counts(0), (0, 0));
        o.moderate(a, Action::Restore).unwrap();
        o.moderate(a, Action::Answered).unwrap();
        assert!(o.moderate(a, Action::Answered).is_err());
        assert_eq!(o.counts(0), (1, 1));
        // The secretary's record of a spoken opinion is shown at once.
        let s = post(&mut o, Author::Spoken("Trần Văn Hùng".into()), None, 1);
        assert_eq!(o.get(s).unwrap().status, Status::Shown);
        assert_eq!(o.counts(0), (2, 2));
        // Without moderation phones' opinions go straight to the wall.
        o.settings.moderate = false;
        let b = post(&mut o, Author::Member(1), None, 2);
        assert_eq!(o.get(b).unwrap().status, Status::Shown);
        assert_eq!(o.counts(0), (3, 2));
    }

    #[test]
    fn one_upvote_per_member_never_ones_own() {
        let mut o = Opinions {
            settings: Settings {
                moderate: false,
                ..Settings::default()
            },
            ..Opinions::default()
        };
        let a = post(&mut o, Author::Member(1), None, 0);
        assert_eq!(o.upvote(a, 1), Err(MeetingError::OwnOpinion));
        o.upvote(a, 2).unwrap();
        assert_eq!(o.upvote(a, 2), Err(MeetingError::AlreadyUpvoted));
        o.upvote(a, 3).unwrap();
        assert_eq!(o.get(a).unwrap().upvoters.len(), 2);
        // An anonymous author is known in memory, so cannot upvote either.
        let b = post(&mut o, Author::Anonymous, Some(4), 0);
        assert_eq!(o.upvote(b, 4), Err(MeetingError::OwnOpinion));
        assert_eq!(o.counts(0), (2, 1));
    }

    #[test]
    fn bad_text_and_floods_are_refused() {
        let mut o = Opinions::default();
        for text in ["", "   ", &"x".repeat(1001), "a\u{0}b"] {
            let r = o.post(
                NewOpinion {
                    id: 1,
                    item: 0,
                    author: Author::Member(1),
                    sender: None,
                    text,
                },
                0,
            );
            assert!(
                matches!(r, Err(MeetingError::InvalidOpinion(_))),
                "{text:?}"
            );
        }
        assert!(o.list.is_empty());
        assert!(clean_text(&"ý".repeat(1000)).is_ok());
        for t in 0..RATE_COUNT as u64 {
            o.check_rate(1, t).unwrap();
            post(&mut o, Author::Member(1), None, t);
        }
        assert_eq!(o.check_rate(1, 10), Err(MeetingError::TooManyOpinions));
        o.check_rate(2, 10).unwrap();
        o.check_rate(1, RATE_WINDOW_MS).unwrap();
    }
}

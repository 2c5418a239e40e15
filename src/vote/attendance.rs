//! Attendance and eligibility, from the roster (domain/RULES.md).
//!
//! - Official members vote; they are all "convened", present or not.
//! - Probationary members attend and follow the vote, but do not vote.
//! - Exempt members (miễn sinh hoạt) vote when they attend; absent, they are
//!   not counted.
//! - Suspended members and members attached to another organisation are not
//!   counted and do not vote.
//! - Official members absent with an approved excuse are excluded from those
//!   convened only when the meeting says so (the sources disagree).
//! - Without a roster, everyone who joined is convened and votes.

use serde::Serialize;

use super::Eligible;
use crate::roster::Status;

/// One person as attendance sees them.
#[derive(Clone, Copy, Debug)]
pub struct Person {
    /// Roster status; `None` for a guest (not on the roster).
    pub status: Option<Status>,
    pub present: bool,
    /// Absence approved by the host.
    pub excused: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StatusCount {
    pub status: Option<Status>,
    pub convened: u32,
    pub present: u32,
}

/// The attendance report the chair reads out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Attendance {
    /// Whether the meeting has a roster.
    pub roster: bool,
    /// People on the roster (or who joined, without one).
    pub convened: u32,
    pub present: u32,
    pub absent: u32,
    /// Absent with an approved excuse.
    pub excused: u32,
    /// Present but not on the roster.
    pub guests: u32,
    /// Eligible voters convened (the decision base) and present.
    pub eligible_convened: u32,
    pub eligible_present: u32,
    /// Per roster status.
    pub by_status: Vec<StatusCount>,
}

impl Attendance {
    pub fn eligible(&self) -> Eligible {
        Eligible {
            convened: self.eligible_convened,
            present: self.eligible_present,
        }
    }
}

/// Why someone may not vote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotEligible {
    Guest,
    Probationary,
    Suspended,
    Attached,
    Absent,
    /// Without a roster, while the host approves each new member.
    Pending,
}

impl NotEligible {
    pub fn message(self) -> &'static str {
        match self {
            NotEligible::Guest => {
                "guests follow the vote without voting; only members on the roster vote"
            }
            NotEligible::Probationary => {
                "probationary members follow the vote without voting (Party Charter, Article 3)"
            }
            NotEligible::Suspended => "suspended members do not vote",
            NotEligible::Attached => {
                "members attached to another organisation vote there, not here"
            }
            NotEligible::Absent => "you have left the meeting; rejoin to vote",
            NotEligible::Pending => "the organiser has not approved you yet; wait for approval",
        }
    }
}

/// Whether a person may vote, given whether the meeting has a roster.
pub fn may_vote(p: &Person, roster: bool) -> Result<(), NotEligible> {
    if !p.present {
        return Err(NotEligible::Absent);
    }
    if !roster {
        return Ok(());
    }
    match p.status {
        None => Err(NotEligible::Guest),
        Some(Status::Official | Status::Exempt) => Ok(()),
        Some(Status::Probationary) => Err(NotEligible::Probationary),
        Some(Status::Suspended) => Err(NotEligible::Suspended),
        Some(Status::Attached) => Err(NotEligible::Attached),
    }
}

/// Counts attendance. `exclude_excused`: leave official members absent with
/// an approved excuse out of those convened.
pub fn count(
    people: impl IntoIterator<Item = Person>,
    roster: bool,
    exclude_excused: bool,
) -> Attendance {
    let mut a = Attendance {
        roster,
        ..Attendance::default()
    };
    let mut by: Vec<StatusCount> = Status::ALL
        .iter()
        .map(|s| StatusCount {
            status: Some(*s),
            ..StatusCount::default()
        })
        .collect();
    for p in people {
        if roster && p.status.is_none() {
            a.guests += u32::from(p.present);
            continue;
        }
        a.convened += 1;
        if p.present {
            a.present += 1;
        } else {
            a.absent += 1;
            a.excused += u32::from(p.excused);
        }
        if let Some(s) = p.status
            && let Some(row) = by.iter_mut().find(|r| r.status == Some(s))
        {
            row.convened += 1;
            row.present += u32::from(p.present);
        }
        let votes = may_vote(&Person { present: true, ..p }, roster).is_ok();
        let counted = match p.status {
            _ if !roster => true,
            Some(Status::Official) => p.present || !(exclude_excused && p.excused),
            Some(Status::Exempt) => p.present,
            _ => false,
        };
        if votes && counted {
            a.eligible_convened += 1;
            a.eligible_present += u32::from(p.present);
        }
    }
    if roster {
        a.by_status = by;
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(status: Status, present: bool, excused: bool) -> Person {
        Person {
            status: Some(status),
            present,
            excused,
        }
    }

    #[test]
    fn the_rules_example() {
        // 20 official members, 12 present.
        let people = (0..20).map(|i| p(Status::Official, i < 12, false));
        let a = count(people, true, false);
        assert_eq!((a.convened, a.present, a.absent), (20, 12, 8));
        assert_eq!((a.eligible_convened, a.eligible_present), (20, 12));
    }

    #[test]
    fn statuses_count_as_the_charter_says() {
        let people = vec![
            p(Status::Official, true, false),
            p(Status::Official, false, true),
            p(Status::Official, false, false),
            p(Status::Probationary, true, false),
            p(Status::Exempt, true, false),
            p(Status::Exempt, false, false),
            p(Status::Suspended, true, false),
            p(Status::Attached, false, false),
            Person {
                status: None,
                present: true,
                excused: false,
            },
        ];
        let a = count(people.clone(), true, false);
        assert_eq!(
            (a.convened, a.present, a.absent, a.excused, a.guests),
            (8, 4, 4, 1, 1)
        );
        // Officials 3 + the exempt who attends.
        assert_eq!((a.eligible_convened, a.eligible_present), (4, 2));
        let official = a
            .by_status
            .iter()
            .find(|r| r.status == Some(Status::Official))
            .unwrap();
        assert_eq!((official.convened, official.present), (3, 1));
        // The excused official leaves the base when the meeting says so.
        let a = count(people, true, true);
        assert_eq!((a.eligible_convened, a.eligible_present), (3, 2));
    }

    #[test]
    fn who_may_vote() {
        assert_eq!(may_vote(&p(Status::Official, true, false), true), Ok(()));
        assert_eq!(may_vote(&p(Status::Exempt, true, false), true), Ok(()));
        assert_eq!(
            may_vote(&p(Status::Probationary, true, false), true),
            Err(NotEligible::Probationary)
        );
        assert_eq!(
            may_vote(&p(Status::Official, false, false), true),
            Err(NotEligible::Absent)
        );
        let guest = Person {
            status: None,
            present: true,
            excused: false,
        };
        assert_eq!(may_vote(&guest, true), Err(NotEligible::Guest));
        assert_eq!(
            may_vote(&guest, false),
            Ok(()),
            "without a roster everyone votes"
        );
    }

    #[test]
    fn without_a_roster_everyone_who_joined_counts() {
        let people = (0..5).map(|i| Person {
            status: None,
            present: i < 4,
            excused: false,
        });
        let a = count(people, false, false);
        assert_eq!(
            (
                a.convened,
                a.present,
                a.eligible_convened,
                a.eligible_present
            ),
            (5, 4, 5, 4)
        );
    }
}

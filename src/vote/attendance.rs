//! Attendance and eligibility, from the roster (domain/RULES.md).
//!
//! - Official members vote; they are all "convened", present or not.
//! - Probationary members are convened and attend, but do not vote.
//! - Exempt members (miễn sinh hoạt) vote when they attend; absent, they are
//!   neither convened nor absent (RULES.md:125).
//! - Suspended (also prosecuted or detained) members and members attached to
//!   another organisation are not convened, not absent and do not vote.
//! - Members attending here temporarily attend and speak, but do not vote
//!   and are not in the base (RULES.md:121, Quy định 232 6.3.2).
//! - Official members absent with an approved excuse are excluded from the
//!   decision base only when the meeting says so (the sources disagree).
//! - Without a roster, everyone who joined is convened and votes.
//!
//! Every field is defined once, in `docs/PROTOCOL.md` ("Attendance").

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

/// One roster status on its own line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StatusCount {
    pub status: Option<Status>,
    /// On the roster with this status.
    pub listed: u32,
    pub present: u32,
    /// Counted absent: only statuses that are convened (official and
    /// probationary); the others are never absent.
    pub absent: u32,
}

/// The attendance report the chair reads out.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Attendance {
    /// Whether the meeting has a roster.
    pub roster: bool,
    /// Expected at the meeting: official and probationary members, plus
    /// exempt members who attend (or everyone who joined, without a roster).
    pub convened: u32,
    /// Of those convened, present.
    pub present: u32,
    /// Of those convened, absent: always `excused + unexcused`.
    pub absent: u32,
    /// Absent with a reason approved by the host ("Vắng có lý do").
    pub excused: u32,
    /// Absent without a reason ("Vắng không lý do").
    pub unexcused: u32,
    /// `present / convened` in percent, one decimal (0 when nobody is convened).
    pub rate: f64,
    /// Present but not on the roster.
    pub guests: u32,
    /// Eligible voters convened (the decision base) and present.
    pub eligible_convened: u32,
    pub eligible_present: u32,
    /// Per roster status, every status on its own line.
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
    /// Attending this cell temporarily (Quy định 232 6.3.2).
    Visiting,
    Absent,
    /// Without a roster, while the host approves each new member.
    Pending,
    /// Marked present by hand: counted in the host's show of hands, so never
    /// by phone as well.
    CountedByHand,
}

impl NotEligible {
    /// The stable key the page words the refusal with (`params.problem`).
    pub fn key(self) -> &'static str {
        match self {
            NotEligible::Guest => "guest",
            NotEligible::Probationary => "probationary",
            NotEligible::Suspended => "suspended",
            NotEligible::Attached => "attached",
            NotEligible::Visiting => "visiting",
            NotEligible::Absent => "absent",
            NotEligible::Pending => "pending",
            NotEligible::CountedByHand => "counted_by_hand",
        }
    }

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
            NotEligible::Visiting => {
                "members attending here temporarily take part and speak, but vote where they belong"
            }
            NotEligible::Absent => "you have left the meeting; rejoin to vote",
            NotEligible::Pending => "the organiser has not approved you yet; wait for approval",
            NotEligible::CountedByHand => {
                "the host marked you present by hand: you are counted in the show of hands"
            }
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
        Some(Status::Visiting) => Err(NotEligible::Visiting),
    }
}

/// Whether a person is expected at the meeting (and so absent when away).
fn convened(p: &Person, roster: bool) -> bool {
    match p.status {
        _ if !roster => true,
        Some(Status::Official | Status::Probationary) => true,
        Some(Status::Exempt) => p.present,
        _ => false,
    }
}

/// Counts attendance. `exclude_excused`: leave official members absent with
/// an approved excuse out of the decision base.
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
        let expected = convened(&p, roster);
        if expected {
            a.convened += 1;
            if p.present {
                a.present += 1;
            } else if p.excused {
                a.excused += 1;
            } else {
                a.unexcused += 1;
            }
        }
        if let Some(s) = p.status
            && let Some(row) = by.iter_mut().find(|r| r.status == Some(s))
        {
            row.listed += 1;
            row.present += u32::from(p.present);
            row.absent += u32::from(expected && !p.present);
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
    a.absent = a.excused + a.unexcused;
    a.rate = if a.convened == 0 {
        0.0
    } else {
        (f64::from(a.present) * 1000.0 / f64::from(a.convened)).round() / 10.0
    };
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

    fn row(a: &Attendance, s: Status) -> StatusCount {
        *a.by_status.iter().find(|r| r.status == Some(s)).unwrap()
    }

    #[test]
    fn the_rules_example() {
        // RULES.md:27: 20 official members, 12 present.
        let people = (0..20).map(|i| p(Status::Official, i < 12, false));
        let a = count(people, true, false);
        assert_eq!((a.convened, a.present, a.absent), (20, 12, 8));
        assert_eq!((a.excused, a.unexcused, a.rate), (0, 8, 60.0));
        assert_eq!((a.eligible_convened, a.eligible_present), (20, 12));
    }

    /// One person of each status, present or absent, excused or not: what
    /// each line of the chair's report and the decision base get.
    #[test]
    fn every_status_on_its_own_line() {
        struct Case {
            rules_line: u32,
            status: Status,
            present: bool,
            excused: bool,
            /// convened, present, excused, unexcused
            counts: (u32, u32, u32, u32),
            /// the status line: listed, present, absent
            line: (u32, u32, u32),
            /// eligible convened, present (exclude_excused off, then on)
            base: (u32, u32),
            base_excluding: (u32, u32),
            votes: Result<(), NotEligible>,
        }
        use NotEligible as N;
        use Status as S;
        #[rustfmt::skip]
        let cases = [
            // RULES.md:21: officials are convened, present or not.
            Case { rules_line: 21, status: S::Official, present: true, excused: false, counts: (1, 1, 0, 0), line: (1, 1, 0), base: (1, 1), base_excluding: (1, 1), votes: Ok(()) },
            Case { rules_line: 21, status: S::Official, present: false, excused: false, counts: (1, 0, 0, 1), line: (1, 0, 1), base: (1, 0), base_excluding: (1, 0), votes: Err(N::Absent) },
            // RULES.md:24: absent with an approved reason leaves the base only when the meeting says so.
            Case { rules_line: 24, status: S::Official, present: false, excused: true, counts: (1, 0, 1, 0), line: (1, 0, 1), base: (1, 0), base_excluding: (0, 0), votes: Err(N::Absent) },
            // RULES.md:10: probationary members attend (and may be absent) but do not vote.
            Case { rules_line: 10, status: S::Probationary, present: true, excused: false, counts: (1, 1, 0, 0), line: (1, 1, 0), base: (0, 0), base_excluding: (0, 0), votes: Err(N::Probationary) },
            Case { rules_line: 10, status: S::Probationary, present: false, excused: true, counts: (1, 0, 1, 0), line: (1, 0, 1), base: (0, 0), base_excluding: (0, 0), votes: Err(N::Absent) },
            // RULES.md:125: an exempt member present counts and votes; absent, is never absent.
            Case { rules_line: 125, status: S::Exempt, present: true, excused: false, counts: (1, 1, 0, 0), line: (1, 1, 0), base: (1, 1), base_excluding: (1, 1), votes: Ok(()) },
            Case { rules_line: 125, status: S::Exempt, present: false, excused: false, counts: (0, 0, 0, 0), line: (1, 0, 0), base: (0, 0), base_excluding: (0, 0), votes: Err(N::Absent) },
            // RULES.md:129: suspended, prosecuted or detained: out of the base, never absent.
            Case { rules_line: 129, status: S::Suspended, present: false, excused: false, counts: (0, 0, 0, 0), line: (1, 0, 0), base: (0, 0), base_excluding: (0, 0), votes: Err(N::Absent) },
            Case { rules_line: 129, status: S::Suspended, present: true, excused: false, counts: (0, 0, 0, 0), line: (1, 1, 0), base: (0, 0), base_excluding: (0, 0), votes: Err(N::Suspended) },
            // RULES.md:96: attending elsewhere: out of the base, never absent.
            Case { rules_line: 96, status: S::Attached, present: false, excused: false, counts: (0, 0, 0, 0), line: (1, 0, 0), base: (0, 0), base_excluding: (0, 0), votes: Err(N::Absent) },
            // RULES.md:121: attending here temporarily: attends, never votes, not in the base.
            Case { rules_line: 121, status: S::Visiting, present: true, excused: false, counts: (0, 0, 0, 0), line: (1, 1, 0), base: (0, 0), base_excluding: (0, 0), votes: Err(N::Visiting) },
            Case { rules_line: 121, status: S::Visiting, present: false, excused: false, counts: (0, 0, 0, 0), line: (1, 0, 0), base: (0, 0), base_excluding: (0, 0), votes: Err(N::Absent) },
        ];
        for c in cases {
            let who = format!(
                "RULES.md:{} {:?} present={} excused={}",
                c.rules_line, c.status, c.present, c.excused
            );
            let one = p(c.status, c.present, c.excused);
            let a = count([one], true, false);
            assert_eq!(
                (a.convened, a.present, a.excused, a.unexcused),
                c.counts,
                "{who}"
            );
            assert_eq!(a.absent, a.excused + a.unexcused, "{who}");
            let l = row(&a, c.status);
            assert_eq!((l.listed, l.present, l.absent), c.line, "{who}");
            assert_eq!((a.eligible_convened, a.eligible_present), c.base, "{who}");
            let a = count([one], true, true);
            assert_eq!(
                (a.eligible_convened, a.eligible_present),
                c.base_excluding,
                "{who}"
            );
            assert_eq!(may_vote(&one, true), c.votes, "{who}");
        }
    }

    #[test]
    fn a_cell_as_the_chair_reads_it() {
        // RULES.md:63: official, probationary and exempt members, present and
        // absent with reasons; the others each on their own line.
        let mut people = vec![];
        people.extend((0..10).map(|i| p(Status::Official, i < 7, i == 7)));
        people.extend((0..2).map(|i| p(Status::Probationary, i < 1, false)));
        people.push(p(Status::Exempt, true, false));
        people.push(p(Status::Exempt, false, false));
        people.push(p(Status::Suspended, false, false));
        people.push(p(Status::Attached, false, false));
        people.push(p(Status::Visiting, true, false));
        people.push(Person {
            status: None,
            present: true,
            excused: false,
        });
        let a = count(people.clone(), true, false);
        // 10 official + 2 probationary + 1 exempt present.
        assert_eq!((a.convened, a.present), (13, 9));
        assert_eq!((a.absent, a.excused, a.unexcused), (4, 1, 3));
        assert_eq!(a.rate, 69.2);
        assert_eq!(a.guests, 1);
        // RULES.md:21: the base is the officials + the exempt who attends.
        assert_eq!((a.eligible_convened, a.eligible_present), (11, 8));
        assert_eq!(row(&a, Status::Visiting).present, 1);
        assert_eq!(a.by_status.len(), Status::ALL.len());
        let absent: u32 = a.by_status.iter().map(|r| r.absent).sum();
        assert_eq!(absent, a.absent, "only convened statuses are ever absent");
        // RULES.md:100: the excused official leaves the base when the meeting says so.
        let a = count(people, true, true);
        assert_eq!((a.eligible_convened, a.eligible_present), (10, 8));
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
                a.unexcused,
                a.eligible_convened,
                a.eligible_present
            ),
            (5, 4, 1, 5, 4)
        );
        assert_eq!(a.rate, 80.0);
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
}

//! Elections (bầu cử): one secret ballot of N candidates for S seats.
//!
//! Why a module of its own: an election is not a yes/no motion. Each voter
//! keeps at most S names (striking a name is not voting for that person), a
//! ballot keeping more than S names is invalid, and each candidate is
//! measured on their own against the base of Quyết định 190-QĐ/TW Điều 30
//! (domain/RULES.md, "Regulations in force"). Pure: no I/O, integer math.
//!
//! # Counting
//! A ballot is classified by [`classify`]: `Valid(kept)` adds one to each
//! kept candidate, `Blank` (a valid ballot keeping nobody) and `Invalid`
//! add one to their own count. Only these aggregates are ever stored.
//!
//! # Deciding ([`decide`])
//! - `required = base / 2 + 1`: strictly more than half of the base.
//! - Candidates reaching it are ranked by votes. When no more of them than
//!   seats, all are elected and the rest of the seats stay open
//!   (`remaining_seats`): the chair may hold another round for them.
//! - When more reach it than there are seats, the highest are elected; those
//!   tied at the last seat(s) are `Tied` and reported to the chair.
//! - A base of 0 elects nobody.

use serde::Serialize;

use super::decision::{QuorumStatus, Threshold, required};

/// Largest number of candidates on one ballot.
pub const MAX_CANDIDATES: usize = 50;

/// What a ballot does, once checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kept {
    /// Kept these candidates (sorted, at least one, at most S).
    Valid(Vec<usize>),
    /// A valid ballot that kept nobody (every name struck).
    Blank,
    /// Kept more names than seats (190/244: such a ballot is invalid).
    Invalid,
}

/// A ballot that cannot be read at all (not merely invalid).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BallotShape {
    /// A candidate index that does not exist.
    OutOfRange(usize),
    /// The same candidate kept twice.
    Duplicate(usize),
}

/// Classifies the names a voter kept.
pub fn classify(keep: &[usize], candidates: usize, seats: u32) -> Result<Kept, BallotShape> {
    let mut k = keep.to_vec();
    k.sort_unstable();
    if let Some(&i) = k.iter().find(|&&i| i >= candidates) {
        return Err(BallotShape::OutOfRange(i));
    }
    if let Some(w) = k.windows(2).find(|w| w[0] == w[1]) {
        return Err(BallotShape::Duplicate(w[0]));
    }
    Ok(if k.is_empty() {
        Kept::Blank
    } else if k.len() > seats as usize {
        Kept::Invalid
    } else {
        Kept::Valid(k)
    })
}

/// A candidate's standing after the count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// TRÚNG CỬ.
    Elected,
    /// Reached the threshold, tied with others for the last seat(s): the chair decides.
    Tied,
    /// KHÔNG TRÚNG CỬ: below the threshold, or outranked for the seats.
    NotElected,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CandidateOutcome {
    pub votes: u32,
    /// Reached more than half of the base.
    pub reached: bool,
    pub standing: Standing,
}

/// The result of an election round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ElectionOutcome {
    pub seats: u32,
    /// Official members convened less the exclusions of 190 Điều 30.
    pub base: u32,
    /// Votes a candidate needs: more than half of `base`.
    pub required: u32,
    /// One per candidate, in ballot order.
    pub candidates: Vec<CandidateOutcome>,
    pub elected: u32,
    /// Seats tied candidates compete for (0 without a tie).
    pub tied_seats: u32,
    /// Seats left unfilled (excluding tied ones): another round may fill them.
    pub remaining_seats: u32,
    /// The motion's quorum, if it has one; a quorum not met elects nobody.
    pub quorum: QuorumStatus,
}

impl ElectionOutcome {
    /// The same count with a quorum that failed: nobody is elected.
    pub fn with_quorum(mut self, quorum: QuorumStatus) -> ElectionOutcome {
        if !quorum.is_ok() {
            for c in &mut self.candidates {
                c.standing = Standing::NotElected;
            }
            self.elected = 0;
            self.tied_seats = 0;
            self.remaining_seats = self.seats;
        }
        self.quorum = quorum;
        self
    }
}

/// Decides an election round from per-candidate votes.
pub fn decide(seats: u32, base: u32, votes: &[u32]) -> ElectionOutcome {
    let need = required(&Threshold::MoreThanHalf, base);
    let reached = |v: u32| base > 0 && v >= need;
    let mut passed: Vec<u32> = votes.iter().copied().filter(|&v| reached(v)).collect();
    passed.sort_unstable_by(|a, b| b.cmp(a));
    // The lowest vote that still wins a seat, and whether it is shared
    // across the seat line.
    let (cut, tie) = if passed.len() as u32 <= seats {
        (passed.last().copied(), false)
    } else {
        let last = passed[seats as usize - 1];
        (Some(last), passed[seats as usize] == last)
    };
    let mut candidates = Vec::with_capacity(votes.len());
    let (mut elected, mut tied) = (0u32, 0u32);
    for &v in votes {
        let standing = match cut {
            Some(c) if reached(v) && v > c => Standing::Elected,
            Some(c) if reached(v) && v == c && tie => Standing::Tied,
            Some(c) if reached(v) && v == c => Standing::Elected,
            _ => Standing::NotElected,
        };
        match standing {
            Standing::Elected => elected += 1,
            Standing::Tied => tied += 1,
            Standing::NotElected => {}
        }
        candidates.push(CandidateOutcome {
            votes: v,
            reached: reached(v),
            standing,
        });
    }
    let tied_seats = if tied > 0 { seats - elected } else { 0 };
    ElectionOutcome {
        seats,
        base,
        required: need,
        candidates,
        elected,
        tied_seats,
        remaining_seats: seats - elected - tied_seats,
        quorum: QuorumStatus::NotRequired,
    }
}

#[cfg(test)]
mod tests {
    use super::Standing::{Elected as E, NotElected as N, Tied as T};
    use super::*;

    struct Case {
        name: &'static str,
        /// The RULES.md line the case comes from.
        rules_line: u32,
        seats: u32,
        base: u32,
        votes: &'static [u32],
        want: &'static [Standing],
        required: u32,
        remaining: u32,
        tied_seats: u32,
    }

    #[rustfmt::skip]
    const CASES: &[Case] = &[
        // RULES.md:95 — more than half of official members convened, less those
        // absent the whole congress with a reason: 11 official, 1 excused → base 10.
        Case { name: "11 official, 1 excused: base 10 needs 6, 6 is elected", rules_line: 95, seats: 1, base: 10, votes: &[6], want: &[E], required: 6, remaining: 0, tied_seats: 0 },
        // RULES.md:35 — 5 of 10 is not elected.
        Case { name: "11 official, 1 excused: 5 of base 10 is not elected", rules_line: 35, seats: 1, base: 10, votes: &[5], want: &[N], required: 6, remaining: 1, tied_seats: 0 },
        // RULES.md:100 — the excused member is out of the base, so 6 of 11 would
        // have been needed too; 6 of 10 is already more than half.
        Case { name: "base 11 (nobody excused) also needs 6", rules_line: 100, seats: 1, base: 11, votes: &[6], want: &[E], required: 6, remaining: 0, tied_seats: 0 },
        // RULES.md:104 — more successful candidates than seats: highest win.
        Case { name: "4 pass for 3 seats: the three highest are elected", rules_line: 104, seats: 3, base: 10, votes: &[9, 6, 8, 7, 2], want: &[E, N, E, E, N], required: 6, remaining: 0, tied_seats: 0 },
        // RULES.md:105 — a tie at the last seat is reported to the chair.
        Case { name: "tie at the last seat is reported", rules_line: 105, seats: 2, base: 10, votes: &[9, 7, 7, 3], want: &[E, T, T, N], required: 6, remaining: 0, tied_seats: 1 },
        Case { name: "tie for the only seat", rules_line: 105, seats: 1, base: 12, votes: &[7, 7], want: &[T, T], required: 7, remaining: 0, tied_seats: 1 },
        Case { name: "a tie inside the seats elects both", rules_line: 104, seats: 3, base: 10, votes: &[8, 8, 7, 3], want: &[E, E, E, N], required: 6, remaining: 0, tied_seats: 0 },
        // RULES.md:102 — too few elected: the congress may vote again for the rest.
        Case { name: "too few pass: two elected, one seat stays open", rules_line: 103, seats: 3, base: 10, votes: &[9, 5, 4, 6], want: &[E, N, N, E], required: 6, remaining: 1, tied_seats: 0 },
        Case { name: "nobody passes: every seat stays open", rules_line: 103, seats: 2, base: 9, votes: &[4, 4, 3], want: &[N, N, N], required: 5, remaining: 2, tied_seats: 0 },
        // RULES.md:34 — more than half; exactly half is not enough.
        Case { name: "exactly half of 12 is not elected", rules_line: 34, seats: 1, base: 12, votes: &[6], want: &[N], required: 7, remaining: 1, tied_seats: 0 },
        Case { name: "nobody convened elects nobody", rules_line: 95, seats: 1, base: 0, votes: &[0], want: &[N], required: 1, remaining: 1, tied_seats: 0 },
    ];

    #[test]
    fn election_table() {
        let mut failures = Vec::new();
        for c in CASES {
            let o = decide(c.seats, c.base, c.votes);
            let got: Vec<Standing> = o.candidates.iter().map(|x| x.standing).collect();
            if got != c.want
                || o.required != c.required
                || o.remaining_seats != c.remaining
                || o.tied_seats != c.tied_seats
            {
                failures.push(format!(
                    "{} (RULES.md:{}): got {got:?} required {} remaining {} tied {}",
                    c.name, c.rules_line, o.required, o.remaining_seats, o.tied_seats
                ));
            }
            assert_eq!(
                o.elected + o.tied_seats + o.remaining_seats,
                c.seats,
                "{}",
                c.name
            );
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[test]
    fn a_quorum_lost_elects_nobody() {
        // RULES.md:48 — a congress is valid only with two thirds present.
        let lost = QuorumStatus::LostBeforeClose {
            needed_present: 8,
            present_at_open: 9,
            present_at_close: 7,
        };
        let o = decide(2, 11, &[9, 8, 2]).with_quorum(lost);
        assert!(
            o.candidates
                .iter()
                .all(|c| c.standing == Standing::NotElected)
        );
        assert_eq!((o.elected, o.remaining_seats), (0, 2));
        let met = QuorumStatus::Met { needed_present: 8 };
        assert_eq!(decide(2, 11, &[9, 8, 2]).with_quorum(met).elected, 2);
    }

    #[test]
    fn ballots_keep_at_most_the_seats() {
        // RULES.md:101 — a ballot keeping more names than seats is invalid.
        assert_eq!(classify(&[0, 1, 2], 4, 2), Ok(Kept::Invalid));
        // RULES.md:102 — striking a name is not voting for that person.
        assert_eq!(classify(&[2, 0], 4, 2), Ok(Kept::Valid(vec![0, 2])));
        assert_eq!(classify(&[], 4, 2), Ok(Kept::Blank));
        assert_eq!(classify(&[4], 4, 2), Err(BallotShape::OutOfRange(4)));
        assert_eq!(classify(&[1, 1], 4, 2), Err(BallotShape::Duplicate(1)));
    }
}

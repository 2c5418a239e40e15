//! Discipline (kỷ luật): one secret ballot listing the penalties, heaviest
//! first, decided by Quy định 22-QĐ/TW Art. 15 as quoted in domain/RULES.md
//! ("Regulations in force").
//!
//! # Deciding ([`decide`])
//! - Each penalty has its threshold on the base (official members convened):
//!   expulsion (đề nghị khai trừ) at least two thirds — and it is only a
//!   proposal to the higher body —, every other penalty more than half.
//! - If a penalty reaches its threshold on its own, the heaviest such one
//!   is decided.
//! - Otherwise votes are added up from the heaviest penalty down to the next
//!   lighter one ("cộng dồn số phiếu từ hình thức kỷ luật cao nhất xuống …"),
//!   until the running sum reaches the threshold of the penalty it has come
//!   down to: that penalty is decided. Votes for no penalty are never added.
//! - If even the lightest penalty is not reached, nobody is disciplined.
//!
//! `steps` keeps the arithmetic so the result can show it.

use serde::Serialize;

use super::decision::{QuorumStatus, Threshold, required};

/// One line of the adding-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Index of the penalty (0 = heaviest).
    pub penalty: usize,
    /// Votes for this penalty alone.
    pub votes: u32,
    /// Votes for this penalty and every heavier one.
    pub cumulative: u32,
    /// Votes this penalty needs.
    pub required: u32,
    /// `cumulative >= required`.
    pub reached: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DisciplineOutcome {
    pub base: u32,
    /// The penalty decided (index into the penalties), if any.
    pub decided: Option<usize>,
    /// Reached only by adding up heavier penalties' votes.
    pub by_adding_up: bool,
    /// The decided penalty is expulsion: a proposal to the higher body.
    pub proposal: bool,
    /// Each penalty on its own.
    pub alone: Vec<Step>,
    /// The adding-up, down to the penalty decided (empty when not needed).
    pub steps: Vec<Step>,
    /// The motion's quorum, if it has one; a quorum not met decides nothing.
    pub quorum: QuorumStatus,
}

impl DisciplineOutcome {
    /// The same count with a quorum that failed: no penalty is decided.
    pub fn with_quorum(mut self, quorum: QuorumStatus) -> DisciplineOutcome {
        if !quorum.is_ok() {
            self.decided = None;
            self.by_adding_up = false;
            self.proposal = false;
        }
        self.quorum = quorum;
        self
    }
}

/// Votes a penalty needs out of `base`.
pub fn needed(expulsion: bool, base: u32) -> u32 {
    if expulsion {
        required(&Threshold::AtLeastTwoThirds, base)
    } else {
        required(&Threshold::MoreThanHalf, base)
    }
}

/// Decides a discipline ballot. `votes` are per penalty, heaviest first;
/// `expulsion_first` says the first penalty is (a proposal of) expulsion.
pub fn decide(votes: &[u32], expulsion_first: bool, base: u32) -> DisciplineOutcome {
    let need = |i: usize| needed(expulsion_first && i == 0, base);
    let step = |i: usize, cumulative: u32| Step {
        penalty: i,
        votes: votes[i],
        cumulative,
        required: need(i),
        reached: base > 0 && cumulative >= need(i),
    };
    let alone: Vec<Step> = (0..votes.len()).map(|i| step(i, votes[i])).collect();
    let mut decided = alone.iter().find(|s| s.reached).map(|s| s.penalty);
    let mut steps = Vec::new();
    if decided.is_none() {
        let mut sum = 0u32;
        for (i, &v) in votes.iter().enumerate() {
            sum = sum.saturating_add(v);
            let s = step(i, sum);
            steps.push(s);
            if s.reached {
                decided = Some(i);
                break;
            }
        }
    }
    let by_adding_up = decided.is_some() && !steps.is_empty();
    DisciplineOutcome {
        base,
        decided,
        by_adding_up,
        proposal: expulsion_first && decided == Some(0),
        alone,
        steps,
        quorum: QuorumStatus::NotRequired,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Case {
        name: &'static str,
        /// The RULES.md line the case comes from.
        rules_line: u32,
        /// Khai trừ, cách chức, cảnh cáo, khiển trách.
        votes: [u32; 4],
        base: u32,
        decided: Option<usize>,
        by_adding_up: bool,
    }

    #[rustfmt::skip]
    const CASES: &[Case] = &[
        // RULES.md:116 — expulsion: at least two thirds propose it.
        Case { name: "expulsion with 8 of 12 (two thirds)", rules_line: 116, votes: [8, 2, 1, 0], base: 12, decided: Some(0), by_adding_up: false },
        Case { name: "expulsion with 7 of 12 is not enough on its own", rules_line: 116, votes: [7, 0, 0, 0], base: 12, decided: Some(1), by_adding_up: true },
        // RULES.md:115 — reprimand, warning, removal: more than half.
        Case { name: "warning with 7 of 12 on its own", rules_line: 115, votes: [1, 2, 7, 1], base: 12, decided: Some(2), by_adding_up: false },
        Case { name: "reprimand with exactly half (6 of 12) is not enough", rules_line: 115, votes: [0, 0, 0, 6], base: 12, decided: None, by_adding_up: false },
        // RULES.md:112-114 — add up from the heaviest down to the next lighter one.
        Case { name: "adding up: 3 + 2 + 2 reaches warning (7 of 12)", rules_line: 113, votes: [3, 2, 2, 4], base: 12, decided: Some(2), by_adding_up: true },
        Case { name: "adding up: 4 + 3 reaches removal (7 of 12)", rules_line: 113, votes: [4, 3, 2, 3], base: 12, decided: Some(1), by_adding_up: true },
        Case { name: "adding up down to reprimand", rules_line: 114, votes: [1, 1, 1, 3], base: 11, decided: Some(3), by_adding_up: true },
        Case { name: "no penalty reached even adding up", rules_line: 114, votes: [1, 1, 1, 2], base: 11, decided: None, by_adding_up: false },
        Case { name: "the base counts absentees: 6 of 12 convened, 8 present", rules_line: 115, votes: [0, 6, 0, 0], base: 12, decided: None, by_adding_up: false },
        Case { name: "nobody convened: nothing decided", rules_line: 115, votes: [0, 0, 0, 0], base: 0, decided: None, by_adding_up: false },
    ];

    #[test]
    fn discipline_table() {
        let mut failures = Vec::new();
        for c in CASES {
            let o = decide(&c.votes, true, c.base);
            if (o.decided, o.by_adding_up) != (c.decided, c.by_adding_up) {
                failures.push(format!(
                    "{} (RULES.md:{}): got {:?}, adding up {}",
                    c.name, c.rules_line, o.decided, o.by_adding_up
                ));
            }
            assert_eq!(o.proposal, o.decided == Some(0), "{}", c.name);
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[test]
    fn a_quorum_not_met_decides_nothing() {
        // RULES.md:48 — the meeting's quorum, when it has one, comes first.
        let no = QuorumStatus::NotMetAtOpen {
            needed_present: 8,
            present_at_open: 7,
        };
        let o = decide(&[8, 2, 1, 0], true, 12).with_quorum(no);
        assert_eq!((o.decided, o.proposal), (None, false));
        assert_eq!(o.alone[0].votes, 8, "the count is still shown");
    }

    #[test]
    fn the_adding_up_is_shown() {
        // RULES.md:113
        let o = decide(&[3, 2, 2, 4], true, 12);
        let sums: Vec<(u32, u32, bool)> = o
            .steps
            .iter()
            .map(|s| (s.cumulative, s.required, s.reached))
            .collect();
        assert_eq!(sums, vec![(3, 8, false), (5, 7, false), (7, 7, true)]);
        // Without expulsion on the list every penalty needs more than half.
        let o = decide(&[3, 4], false, 12);
        assert_eq!((o.decided, o.steps[0].required), (Some(1), 7));
    }
}

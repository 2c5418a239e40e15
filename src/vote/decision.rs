//! Decides whether a motion passes, given its voting rule and the tally.
//!
//! Why a module of its own: the Party Charter measures a resolution against
//! the members *convened*, not those present, and an off-by-one in rounding
//! silently passes or rejects a motion. Keeping the arithmetic pure (no I/O,
//! no floats, no panics) lets every rule be tested in isolation.
//!
//! # Thresholds (n = base size, integer math with `u64` intermediates)
//! - [`Threshold::MoreThanHalf`]: `n / 2 + 1` (floor). 11 of 20; 6 of 10, so
//!   5 of 10 is *not* elected.
//! - [`Threshold::AtLeastTwoThirds`]: `ceil(2n / 3)`. 6 of 9, 7 of 10, 8 of 11.
//! - [`Threshold::MoreThan`]`(p/q)`: `floor(n * p / q) + 1`.
//! - [`Threshold::AtLeast`]`(p/q)`: `ceil(n * p / q)`; `AtLeast(1/1)` is
//!   unanimity.
//!
//! # Base (what the threshold is measured against)
//! - [`Base::Convened`] (the Charter default): eligible members convened,
//!   i.e. the roster less the statuses the caller excludes. Example: 20
//!   convened, 12 present → 11 approvals are needed, not 7.
//! - [`Base::Present`]: eligible members present when voting closes.
//! - [`Base::VotesCast`]: `approve + reject`. Abstentions ("Không biểu
//!   quyết") are recorded but are NOT part of this base, so they neither help
//!   nor hurt. Under `Convened`/`Present` an abstention is simply not an
//!   approval, so in effect it counts against the motion.
//!
//! # Quorum
//! Optional per motion: at least `ceil(convened * q)` eligible members must
//! be present both when voting opens and when it closes. Failing either
//! check means not passed, with [`Reason::NoQuorumAtOpen`] or
//! [`Reason::QuorumLostBeforeClose`].
//!
//! # Outcome
//! `passed = rule valid && tally consistent && quorum ok && base > 0 &&
//! approve >= required`. A base of 0 never passes, even when the threshold
//! rounds to 0 required approvals (two thirds of nobody is 0). When several
//! reasons apply, the first in this order is reported: invalid rule,
//! inconsistent tally, nobody eligible (0 convened), no quorum at open,
//! quorum lost before close, empty base (nobody present / no votes cast),
//! not enough approvals.
//!
//! `reachable` ignores quorum and ballots: it tells whether the approvals
//! needed could be reached at all if every eligible member present at close
//! approved. That is what a chair needs to know when no quorum is set, e.g.
//! 10 of 20 present cannot pass a resolution needing 11.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What the threshold is measured against; see the module doc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Base {
    /// Eligible members convened. Charter default, so absentees count as "not approving".
    #[default]
    Convened,
    /// Eligible members present when voting closes.
    Present,
    /// Approvals plus rejections; abstentions excluded.
    VotesCast,
}

impl Base {
    /// Vietnamese label, used after a threshold label ("trên một nửa …"),
    /// in Party wording (`party`) or neutral wording.
    pub fn label_vi(&self, party: bool) -> String {
        match self {
            Base::Convened if party => "tổng số đảng viên chính thức được triệu tập",
            Base::Convened => "tổng số thành viên chính thức được triệu tập",
            Base::Present => "số có mặt",
            Base::VotesCast => "số phiếu biểu quyết",
        }
        .to_string()
    }

    /// English label, used after "of" ("more than half of …").
    pub fn label_en(&self) -> String {
        match self {
            Base::Convened => "eligible members convened",
            Base::Present => "eligible members present",
            Base::VotesCast => "votes cast",
        }
        .to_string()
    }
}

/// A share `num/den`; kept as integers so thresholds never suffer float rounding.
///
/// `den > 0` and `num <= den` are checked by [`Rule::validate`], not here,
/// so a rule can be deserialised first and rejected with a clear error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Fraction {
    pub num: u32,
    pub den: u32,
}

impl Fraction {
    /// Const constructor so rules can be written as constants.
    pub const fn new(num: u32, den: u32) -> Self {
        Self { num, den }
    }

    fn label(&self, vi: bool) -> String {
        match (self.num, self.den, vi) {
            (1, 2, true) => "một nửa".to_string(),
            (1, 2, false) => "half".to_string(),
            (2, 3, true) => "hai phần ba".to_string(),
            (2, 3, false) => "two thirds".to_string(),
            _ => self.to_string(),
        }
    }
}

impl fmt::Display for Fraction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

/// How many approvals, relative to the base, a motion needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Threshold {
    /// Strictly more than half: resolutions, discipline, elections.
    #[default]
    MoreThanHalf,
    /// Two thirds or more: admission and expulsion of members.
    AtLeastTwoThirds,
    /// Strictly more than the fraction.
    MoreThan(Fraction),
    /// The fraction or more; `AtLeast(1/1)` is unanimity.
    AtLeast(Fraction),
}

impl Threshold {
    /// Reduces every variant to `(fraction, strict)` so one formula serves all.
    fn parts(&self) -> (Fraction, bool) {
        match *self {
            Threshold::MoreThanHalf => (Fraction::new(1, 2), true),
            Threshold::AtLeastTwoThirds => (Fraction::new(2, 3), false),
            Threshold::MoreThan(f) => (f, true),
            Threshold::AtLeast(f) => (f, false),
        }
    }

    /// Vietnamese label, e.g. "trên một nửa", "ít nhất hai phần ba".
    pub fn label_vi(&self) -> String {
        match self {
            Threshold::AtLeast(f) if f.num == f.den && f.den > 0 => "toàn bộ".to_string(),
            Threshold::MoreThanHalf | Threshold::MoreThan(_) => {
                format!("trên {}", self.parts().0.label(true))
            }
            Threshold::AtLeastTwoThirds | Threshold::AtLeast(_) => {
                format!("ít nhất {}", self.parts().0.label(true))
            }
        }
    }

    /// English label, e.g. "more than half", "at least two thirds".
    pub fn label_en(&self) -> String {
        match self {
            Threshold::AtLeast(f) if f.num == f.den && f.den > 0 => "all".to_string(),
            Threshold::MoreThanHalf | Threshold::MoreThan(_) => {
                format!("more than {}", self.parts().0.label(false))
            }
            Threshold::AtLeastTwoThirds | Threshold::AtLeast(_) => {
                format!("at least {}", self.parts().0.label(false))
            }
        }
    }
}

/// Which part of a rule an error is about, so the UI can point at the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RulePart {
    Threshold,
    Quorum,
}

impl fmt::Display for RulePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RulePart::Threshold => "threshold",
            RulePart::Quorum => "quorum",
        })
    }
}

/// Why a rule cannot be used; rejected up front rather than producing odd outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleError {
    /// `den == 0`: the share is undefined.
    ZeroDenominator { part: RulePart },
    /// `num > den`: more than all members could never be reached.
    AboveOne { part: RulePart, num: u32, den: u32 },
    /// `MoreThan(q/q)`: more than everyone can never be reached.
    MoreThanAll,
    /// `AtLeast(0/q)`: the motion would pass with no approvals at all.
    ZeroThreshold,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleError::ZeroDenominator { part } => {
                write!(f, "{part} fraction has a zero denominator")
            }
            RuleError::AboveOne { part, num, den } => {
                write!(f, "{part} fraction {num}/{den} is greater than one")
            }
            RuleError::MoreThanAll => {
                f.write_str("threshold \"more than all members\" can never be met")
            }
            RuleError::ZeroThreshold => {
                f.write_str("threshold \"at least zero\" would pass with no approvals")
            }
        }
    }
}

impl std::error::Error for RuleError {}

/// A motion's voting rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Rule {
    pub base: Base,
    pub threshold: Threshold,
    /// Minimum share of eligible convened members that must be present.
    pub quorum: Option<Fraction>,
    /// The quorum is strictly more than the share ("hơn một nửa"), not
    /// "at least" it: with 20 convened, more than half is 11, at least half 10.
    #[serde(default)]
    pub quorum_strict: bool,
}

impl Rule {
    /// Ordinary resolution, discipline, election: more than half of those convened.
    pub const fn resolution() -> Self {
        Self {
            base: Base::Convened,
            threshold: Threshold::MoreThanHalf,
            quorum: None,
            quorum_strict: false,
        }
    }

    /// Admission or expulsion: at least two thirds of the official members convened.
    pub const fn admission_or_expulsion() -> Self {
        Self {
            base: Base::Convened,
            threshold: Threshold::AtLeastTwoThirds,
            quorum: None,
            quorum_strict: false,
        }
    }

    /// Rejects fractions that are undefined or make the outcome meaningless.
    pub fn validate(&self) -> Result<(), RuleError> {
        let (fraction, strict) = self.threshold.parts();
        check_fraction(fraction, RulePart::Threshold)?;
        if strict && fraction.num == fraction.den {
            return Err(RuleError::MoreThanAll);
        }
        if !strict && fraction.num == 0 {
            return Err(RuleError::ZeroThreshold);
        }
        if let Some(q) = self.quorum {
            check_fraction(q, RulePart::Quorum)?;
        }
        Ok(())
    }

    /// Presence needed for quorum, if one is set; lets the server check it
    /// before opening a vote, when there is no tally yet.
    pub fn needed_present(&self, convened_eligible: u32) -> Option<u32> {
        self.quorum.map(|q| {
            if self.quorum_strict {
                required(&Threshold::MoreThan(q), convened_eligible)
            } else {
                needed_present(q, convened_eligible)
            }
        })
    }
}

fn check_fraction(f: Fraction, part: RulePart) -> Result<(), RuleError> {
    if f.den == 0 {
        return Err(RuleError::ZeroDenominator { part });
    }
    if f.num > f.den {
        return Err(RuleError::AboveOne {
            part,
            num: f.num,
            den: f.den,
        });
    }
    Ok(())
}

/// The counts a decision is made from; all refer to eligible members only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Tally {
    /// Eligible members convened (roster less excluded statuses); 0 allowed.
    pub convened_eligible: u32,
    pub present_eligible_at_open: u32,
    pub present_eligible_at_close: u32,
    /// Votes for the approving option.
    pub approve: u32,
    /// Votes against.
    pub reject: u32,
    /// "Không biểu quyết": recorded, never an approval.
    pub abstain: u32,
}

/// Counts that cannot all be true at once; a motion is never passed on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TallyError {
    /// More eligible members present (at open or close) than convened.
    PresentExceedsConvened { present: u32, convened: u32 },
    /// More ballots than eligible members convened.
    VotesExceedConvened { votes: u64, convened: u32 },
}

impl fmt::Display for TallyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TallyError::PresentExceedsConvened { present, convened } => {
                write!(f, "{present} present but only {convened} convened")
            }
            TallyError::VotesExceedConvened { votes, convened } => {
                write!(f, "{votes} votes but only {convened} convened")
            }
        }
    }
}

impl std::error::Error for TallyError {}

impl Tally {
    /// Checks only invariants that always hold. Ballots are not compared with
    /// presence at close, because a member may vote and then leave.
    pub fn validate(&self) -> Result<(), TallyError> {
        let present = self
            .present_eligible_at_open
            .max(self.present_eligible_at_close);
        if present > self.convened_eligible {
            return Err(TallyError::PresentExceedsConvened {
                present,
                convened: self.convened_eligible,
            });
        }
        let votes = self.votes_total();
        if votes > u64::from(self.convened_eligible) {
            return Err(TallyError::VotesExceedConvened {
                votes,
                convened: self.convened_eligible,
            });
        }
        Ok(())
    }

    /// All ballots including abstentions; `u64` so the sum cannot overflow.
    pub fn votes_total(&self) -> u64 {
        u64::from(self.approve) + u64::from(self.reject) + u64::from(self.abstain)
    }

    /// Size of the base the threshold is measured against (saturating, never panics).
    pub fn base_size(&self, base: Base) -> u32 {
        match base {
            Base::Convened => self.convened_eligible,
            Base::Present => self.present_eligible_at_close,
            Base::VotesCast => self.approve.saturating_add(self.reject),
        }
    }
}

/// Result of the quorum checks, with the numbers the projector shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuorumStatus {
    NotRequired,
    Met {
        needed_present: u32,
    },
    NotMetAtOpen {
        needed_present: u32,
        present_at_open: u32,
    },
    LostBeforeClose {
        needed_present: u32,
        present_at_open: u32,
        present_at_close: u32,
    },
}

impl QuorumStatus {
    /// True unless a configured quorum failed at open or close.
    pub fn is_ok(&self) -> bool {
        matches!(self, QuorumStatus::NotRequired | QuorumStatus::Met { .. })
    }
}

/// Why the motion passed or not; one value so the UI can pick its wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Passed,
    NotEnoughApprovals,
    NoQuorumAtOpen,
    QuorumLostBeforeClose,
    /// Nobody eligible was convened.
    NobodyEligible,
    /// `Base::Present` with nobody eligible present at close.
    NobodyPresent,
    /// `Base::VotesCast` with no votes for or against.
    NoVotesCast,
    /// The rule fails [`Rule::validate`].
    InvalidRule,
    /// The tally fails [`Tally::validate`].
    InconsistentTally,
}

/// Everything the server stores and shows about a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Outcome {
    pub passed: bool,
    pub base_size: u32,
    /// Minimum approvals; saturates at `u32::MAX` for a rule that failed validation.
    pub required: u32,
    pub approve: u32,
    pub quorum: QuorumStatus,
    /// Could the approvals needed be reached if every eligible member present approved?
    pub reachable: bool,
    pub reason: Reason,
}

/// Minimum approvals to pass, for a base of `base_size`; integer math only.
///
/// Never panics: a zero denominator (a rule that skipped validation) yields
/// `u32::MAX`, so such a rule fails closed.
pub fn required(threshold: &Threshold, base_size: u32) -> u32 {
    saturate(required_u64(threshold, base_size))
}

/// Unsaturated form, so comparisons stay exact even near `u32::MAX`.
fn required_u64(threshold: &Threshold, base_size: u32) -> u64 {
    let (f, strict) = threshold.parts();
    if f.den == 0 {
        return u64::MAX;
    }
    // Both factors fit in u32, so the product (and + den - 1) fits in u64.
    let product = u64::from(base_size) * u64::from(f.num);
    let den = u64::from(f.den);
    if strict {
        product / den + 1
    } else {
        product.div_ceil(den)
    }
}

/// Presence needed for a quorum share: `ceil(convened * q)` ("at least").
///
/// A zero denominator yields `u32::MAX` so an unvalidated quorum fails closed.
pub fn needed_present(quorum: Fraction, convened_eligible: u32) -> u32 {
    required(&Threshold::AtLeast(quorum), convened_eligible)
}

fn saturate(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Decides a motion. Total: any rule and tally give an outcome, never a panic.
pub fn decide(rule: &Rule, tally: &Tally) -> Outcome {
    let base_size = tally.base_size(rule.base);
    let required_full = required_u64(&rule.threshold, base_size);
    let quorum = quorum_status(rule, tally);
    let rule_ok = rule.validate().is_ok();
    let tally_ok = tally.validate().is_ok();

    let reason = if !rule_ok {
        Reason::InvalidRule
    } else if !tally_ok {
        Reason::InconsistentTally
    } else if tally.convened_eligible == 0 {
        Reason::NobodyEligible
    } else if let QuorumStatus::NotMetAtOpen { .. } = quorum {
        Reason::NoQuorumAtOpen
    } else if let QuorumStatus::LostBeforeClose { .. } = quorum {
        Reason::QuorumLostBeforeClose
    } else if base_size == 0 {
        match rule.base {
            Base::Convened => Reason::NobodyEligible,
            Base::Present => Reason::NobodyPresent,
            Base::VotesCast => Reason::NoVotesCast,
        }
    } else if u64::from(tally.approve) >= required_full {
        Reason::Passed
    } else {
        Reason::NotEnoughApprovals
    };

    Outcome {
        passed: reason == Reason::Passed,
        base_size,
        required: saturate(required_full),
        approve: tally.approve,
        quorum,
        reachable: rule_ok && tally_ok && reachable(rule, tally),
        reason,
    }
}

/// The quorum checks alone, for ballots decided by another engine
/// (elections, discipline).
pub fn quorum(
    rule: &Rule,
    convened: u32,
    present_at_open: u32,
    present_at_close: u32,
) -> QuorumStatus {
    quorum_status(
        rule,
        &Tally {
            convened_eligible: convened,
            present_eligible_at_open: present_at_open,
            present_eligible_at_close: present_at_close,
            ..Tally::default()
        },
    )
}

fn quorum_status(rule: &Rule, tally: &Tally) -> QuorumStatus {
    let Some(needed_present) = rule.needed_present(tally.convened_eligible) else {
        return QuorumStatus::NotRequired;
    };
    let present_at_open = tally.present_eligible_at_open;
    let present_at_close = tally.present_eligible_at_close;
    if present_at_open < needed_present {
        QuorumStatus::NotMetAtOpen {
            needed_present,
            present_at_open,
        }
    } else if present_at_close < needed_present {
        QuorumStatus::LostBeforeClose {
            needed_present,
            present_at_open,
            present_at_close,
        }
    } else {
        QuorumStatus::Met { needed_present }
    }
}

/// Best case: every eligible member present at close votes to approve.
fn reachable(rule: &Rule, tally: &Tally) -> bool {
    let present = tally.present_eligible_at_close;
    let best_base = match rule.base {
        Base::Convened => tally.convened_eligible,
        Base::Present | Base::VotesCast => present,
    };
    best_base > 0 && u64::from(present) >= required_u64(&rule.threshold, best_base)
}

impl Outcome {
    /// One Vietnamese line for the exported record (pages word it from
    /// `outcome` and `rule` themselves), in Party wording (`party`) or
    /// neutral wording; `rule` must be the one decided with.
    pub fn explain_vi(&self, rule: &Rule, party: bool) -> String {
        let members = if party {
            "đảng viên"
        } else {
            "thành viên"
        };
        let verdict = if self.passed {
            "THÔNG QUA"
        } else {
            "KHÔNG THÔNG QUA"
        };
        let body = match (self.reason, self.quorum) {
            (
                Reason::NoQuorumAtOpen,
                QuorumStatus::NotMetAtOpen {
                    needed_present,
                    present_at_open,
                },
            ) => format!(
                "Không đủ số {members} có mặt theo quy định khi mở biểu quyết: cần ít nhất \
                 {needed_present} người có mặt, có {present_at_open}"
            ),
            (
                Reason::QuorumLostBeforeClose,
                QuorumStatus::LostBeforeClose {
                    needed_present,
                    present_at_close,
                    ..
                },
            ) => format!(
                "Không còn đủ số {members} có mặt theo quy định trước khi kết thúc biểu quyết: \
                 cần ít nhất {needed_present} người có mặt, còn {present_at_close}"
            ),
            (Reason::NobodyEligible, _) => {
                format!("Không có {members} chính thức nào được triệu tập")
            }
            (Reason::NobodyPresent, _) => format!("Không có {members} chính thức nào có mặt"),
            (Reason::NoVotesCast, _) => {
                "Không có phiếu tán thành hay không tán thành nào".to_string()
            }
            (Reason::InvalidRule, _) => "Quy tắc biểu quyết không hợp lệ".to_string(),
            (Reason::InconsistentTally, _) => "Số liệu kiểm phiếu không nhất quán".to_string(),
            _ => format!(
                "Cần ít nhất {}/{} phiếu tán thành ({} {}); có {}",
                self.required,
                self.base_size,
                rule.threshold.label_vi(),
                rule.base.label_vi(party),
                self.approve
            ),
        };
        format!("{body} → {verdict}")
    }

    /// One English line for the projector; `rule` must be the one decided with.
    pub fn explain_en(&self, rule: &Rule) -> String {
        let verdict = if self.passed { "PASSED" } else { "NOT PASSED" };
        let body = match (self.reason, self.quorum) {
            (
                Reason::NoQuorumAtOpen,
                QuorumStatus::NotMetAtOpen {
                    needed_present,
                    present_at_open,
                },
            ) => format!(
                "No quorum when voting opened: needs at least {needed_present} present, \
                 had {present_at_open}"
            ),
            (
                Reason::QuorumLostBeforeClose,
                QuorumStatus::LostBeforeClose {
                    needed_present,
                    present_at_close,
                    ..
                },
            ) => format!(
                "Quorum lost before voting closed: needs at least {needed_present} present, \
                 {present_at_close} at close"
            ),
            (Reason::NobodyEligible, _) => "No eligible members were convened".to_string(),
            (Reason::NobodyPresent, _) => "No eligible members are present".to_string(),
            (Reason::NoVotesCast, _) => "No votes for or against were cast".to_string(),
            (Reason::InvalidRule, _) => "Invalid voting rule".to_string(),
            (Reason::InconsistentTally, _) => "Inconsistent tally".to_string(),
            _ => format!(
                "Needs at least {} of {} approvals ({} of {}); got {}",
                self.required,
                self.base_size,
                rule.threshold.label_en(),
                rule.base.label_en(),
                self.approve
            ),
        };
        format!("{body} → {verdict}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn frac(num: u32, den: u32) -> Fraction {
        Fraction::new(num, den)
    }

    const fn rule(base: Base, threshold: Threshold) -> Rule {
        Rule {
            base,
            threshold,
            quorum: None,
            quorum_strict: false,
        }
    }

    const fn with_quorum(mut r: Rule, q: Fraction) -> Rule {
        r.quorum = Some(q);
        r
    }

    /// Tally with the same presence at open and close.
    const fn tally(convened: u32, present: u32, approve: u32, reject: u32, abstain: u32) -> Tally {
        Tally {
            convened_eligible: convened,
            present_eligible_at_open: present,
            present_eligible_at_close: present,
            approve,
            reject,
            abstain,
        }
    }

    /// Tally whose presence changes between opening and closing.
    const fn moving(convened: u32, open: u32, close: u32, approve: u32, reject: u32) -> Tally {
        Tally {
            convened_eligible: convened,
            present_eligible_at_open: open,
            present_eligible_at_close: close,
            approve,
            reject,
            abstain: 0,
        }
    }

    const RESOLUTION: Rule = Rule::resolution();
    const TWO_THIRDS: Rule = Rule::admission_or_expulsion();
    const PRESENT_HALF: Rule = rule(Base::Present, Threshold::MoreThanHalf);
    const CAST_HALF: Rule = rule(Base::VotesCast, Threshold::MoreThanHalf);

    struct Case {
        name: &'static str,
        rule: Rule,
        tally: Tally,
        passed: bool,
        required: u32,
        base_size: u32,
        reason: Reason,
        reachable: bool,
    }

    use Reason::*;

    #[rustfmt::skip]
    const CASES: &[Case] = &[
        // The Charter example: the base is the 20 convened, not the 12 present.
        Case { name: "rules example: 11 of 20 convened, 12 present passes", rule: RESOLUTION, tally: tally(20, 12, 11, 1, 0), passed: true, required: 11, base_size: 20, reason: Passed, reachable: true },
        Case { name: "rules example: 10 of 20 convened, 12 present fails", rule: RESOLUTION, tally: tally(20, 12, 10, 2, 0), passed: false, required: 11, base_size: 20, reason: NotEnoughApprovals, reachable: true },
        Case { name: "exactly half (10 of 20) fails more than half", rule: RESOLUTION, tally: tally(20, 20, 10, 9, 1), passed: false, required: 11, base_size: 20, reason: NotEnoughApprovals, reachable: true },
        Case { name: "tie 10-10 under convened fails", rule: RESOLUTION, tally: tally(20, 20, 10, 10, 0), passed: false, required: 11, base_size: 20, reason: NotEnoughApprovals, reachable: true },
        Case { name: "tie 8-8 under votes cast fails", rule: CAST_HALF, tally: tally(20, 20, 8, 8, 4), passed: false, required: 9, base_size: 16, reason: NotEnoughApprovals, reachable: true },
        Case { name: "tie 5-5 under present fails", rule: PRESENT_HALF, tally: tally(12, 10, 5, 5, 0), passed: false, required: 6, base_size: 10, reason: NotEnoughApprovals, reachable: true },
        Case { name: "election: 5 of 10 is not elected", rule: RESOLUTION, tally: tally(10, 10, 5, 3, 2), passed: false, required: 6, base_size: 10, reason: NotEnoughApprovals, reachable: true },
        Case { name: "election: 6 of 10 is elected", rule: RESOLUTION, tally: tally(10, 9, 6, 3, 0), passed: true, required: 6, base_size: 10, reason: Passed, reachable: true },
        Case { name: "discipline: 8 of 15 passes", rule: RESOLUTION, tally: tally(15, 13, 8, 5, 0), passed: true, required: 8, base_size: 15, reason: Passed, reachable: true },
        Case { name: "attendance too low to reach 11 of 20", rule: RESOLUTION, tally: tally(20, 10, 10, 0, 0), passed: false, required: 11, base_size: 20, reason: NotEnoughApprovals, reachable: false },
        // Two thirds on bases not divisible by three.
        Case { name: "two thirds of 7 needs 5: 5 passes", rule: TWO_THIRDS, tally: tally(7, 7, 5, 2, 0), passed: true, required: 5, base_size: 7, reason: Passed, reachable: true },
        Case { name: "two thirds of 7 needs 5: 4 fails", rule: TWO_THIRDS, tally: tally(7, 7, 4, 3, 0), passed: false, required: 5, base_size: 7, reason: NotEnoughApprovals, reachable: true },
        Case { name: "two thirds of 8 needs 6: 5 fails", rule: TWO_THIRDS, tally: tally(8, 8, 5, 3, 0), passed: false, required: 6, base_size: 8, reason: NotEnoughApprovals, reachable: true },
        Case { name: "two thirds of 9 needs exactly 6", rule: TWO_THIRDS, tally: tally(9, 9, 6, 3, 0), passed: true, required: 6, base_size: 9, reason: Passed, reachable: true },
        Case { name: "two thirds of 10 needs 7: 6 fails", rule: TWO_THIRDS, tally: tally(10, 10, 6, 4, 0), passed: false, required: 7, base_size: 10, reason: NotEnoughApprovals, reachable: true },
        Case { name: "two thirds of 11 needs 8: 7 fails", rule: TWO_THIRDS, tally: tally(11, 11, 7, 4, 0), passed: false, required: 8, base_size: 11, reason: NotEnoughApprovals, reachable: true },
        Case { name: "two thirds of 11 needs 8: 8 passes", rule: TWO_THIRDS, tally: tally(11, 11, 8, 3, 0), passed: true, required: 8, base_size: 11, reason: Passed, reachable: true },
        Case { name: "two thirds of 13 needs 9", rule: TWO_THIRDS, tally: tally(13, 12, 9, 3, 0), passed: true, required: 9, base_size: 13, reason: Passed, reachable: true },
        Case { name: "two thirds of 14 needs 10: 9 fails", rule: TWO_THIRDS, tally: tally(14, 14, 9, 5, 0), passed: false, required: 10, base_size: 14, reason: NotEnoughApprovals, reachable: true },
        Case { name: "expulsion: 8 of 12 convened passes with 4 absent", rule: TWO_THIRDS, tally: tally(12, 8, 8, 0, 0), passed: true, required: 8, base_size: 12, reason: Passed, reachable: true },
        // Abstentions under each base: same 10/5/5 ballots, different outcomes.
        Case { name: "abstain: 10-5-5 under votes cast passes (base 15)", rule: CAST_HALF, tally: tally(20, 20, 10, 5, 5), passed: true, required: 8, base_size: 15, reason: Passed, reachable: true },
        Case { name: "abstain: 10-5-5 under convened 20 fails", rule: RESOLUTION, tally: tally(20, 20, 10, 5, 5), passed: false, required: 11, base_size: 20, reason: NotEnoughApprovals, reachable: true },
        Case { name: "abstain: 10-5-5 under present 20 fails", rule: PRESENT_HALF, tally: tally(25, 20, 10, 5, 5), passed: false, required: 11, base_size: 20, reason: NotEnoughApprovals, reachable: true },
        Case { name: "abstain: 11-4-5 under present 20 passes", rule: PRESENT_HALF, tally: tally(25, 20, 11, 4, 5), passed: true, required: 11, base_size: 20, reason: Passed, reachable: true },
        Case { name: "abstain-heavy: 2-1-17 under votes cast passes", rule: CAST_HALF, tally: tally(20, 20, 2, 1, 17), passed: true, required: 2, base_size: 3, reason: Passed, reachable: true },
        Case { name: "abstain: two thirds of votes cast ignores abstentions", rule: rule(Base::VotesCast, Threshold::AtLeastTwoThirds), tally: tally(10, 10, 4, 2, 4), passed: true, required: 4, base_size: 6, reason: Passed, reachable: true },
        // Quorum (2/3 of 20 convened = 14 present).
        Case { name: "quorum met at open and close", rule: with_quorum(RESOLUTION, frac(2, 3)), tally: moving(20, 14, 15, 11, 3), passed: true, required: 11, base_size: 20, reason: Passed, reachable: true },
        Case { name: "quorum lost between opening and closing", rule: with_quorum(RESOLUTION, frac(2, 3)), tally: moving(20, 14, 13, 13, 0), passed: false, required: 11, base_size: 20, reason: QuorumLostBeforeClose, reachable: true },
        Case { name: "quorum not met at open, even if reached at close", rule: with_quorum(RESOLUTION, frac(2, 3)), tally: moving(20, 13, 15, 15, 0), passed: false, required: 11, base_size: 20, reason: NoQuorumAtOpen, reachable: true },
        Case { name: "quorum 1/2 of 11 rounds up to 6: met with 6", rule: with_quorum(PRESENT_HALF, frac(1, 2)), tally: tally(11, 6, 4, 2, 0), passed: true, required: 4, base_size: 6, reason: Passed, reachable: true },
        Case { name: "quorum 1/2 of 11 rounds up to 6: 5 is not enough", rule: with_quorum(PRESENT_HALF, frac(1, 2)), tally: tally(11, 5, 5, 0, 0), passed: false, required: 3, base_size: 5, reason: NoQuorumAtOpen, reachable: true },
        // Nobody eligible under each threshold; two thirds / at least round to 0 required.
        Case { name: "nobody eligible: more than half", rule: RESOLUTION, tally: tally(0, 0, 0, 0, 0), passed: false, required: 1, base_size: 0, reason: NobodyEligible, reachable: false },
        Case { name: "nobody eligible: two thirds (0 required)", rule: TWO_THIRDS, tally: tally(0, 0, 0, 0, 0), passed: false, required: 0, base_size: 0, reason: NobodyEligible, reachable: false },
        Case { name: "nobody eligible: more than 3/5", rule: rule(Base::Convened, Threshold::MoreThan(frac(3, 5))), tally: tally(0, 0, 0, 0, 0), passed: false, required: 1, base_size: 0, reason: NobodyEligible, reachable: false },
        Case { name: "nobody eligible: at least 3/4 (0 required)", rule: rule(Base::Convened, Threshold::AtLeast(frac(3, 4))), tally: tally(0, 0, 0, 0, 0), passed: false, required: 0, base_size: 0, reason: NobodyEligible, reachable: false },
        Case { name: "nobody eligible: unanimity (0 required)", rule: rule(Base::Convened, Threshold::AtLeast(frac(1, 1))), tally: tally(0, 0, 0, 0, 0), passed: false, required: 0, base_size: 0, reason: NobodyEligible, reachable: false },
        Case { name: "nobody eligible: votes cast base", rule: rule(Base::VotesCast, Threshold::AtLeastTwoThirds), tally: tally(0, 0, 0, 0, 0), passed: false, required: 0, base_size: 0, reason: NobodyEligible, reachable: false },
        Case { name: "nobody eligible with quorum set", rule: with_quorum(TWO_THIRDS, frac(1, 2)), tally: tally(0, 0, 0, 0, 0), passed: false, required: 0, base_size: 0, reason: NobodyEligible, reachable: false },
        Case { name: "at least 0/1 is rejected, never passes on nothing", rule: rule(Base::Convened, Threshold::AtLeast(frac(0, 1))), tally: tally(0, 0, 0, 0, 0), passed: false, required: 0, base_size: 0, reason: InvalidRule, reachable: false },
        Case { name: "votes cast base with only abstentions", rule: rule(Base::VotesCast, Threshold::AtLeastTwoThirds), tally: tally(10, 8, 0, 0, 8), passed: false, required: 0, base_size: 0, reason: NoVotesCast, reachable: true },
        Case { name: "present base with nobody present", rule: rule(Base::Present, Threshold::AtLeast(frac(1, 2))), tally: tally(10, 0, 0, 0, 0), passed: false, required: 0, base_size: 0, reason: NobodyPresent, reachable: false },
        // Custom fractions.
        Case { name: "at least 3/5 of 10 needs 6: 6 passes", rule: rule(Base::Convened, Threshold::AtLeast(frac(3, 5))), tally: tally(10, 10, 6, 4, 0), passed: true, required: 6, base_size: 10, reason: Passed, reachable: true },
        Case { name: "more than 3/5 of 10 needs 7: 6 fails", rule: rule(Base::Convened, Threshold::MoreThan(frac(3, 5))), tally: tally(10, 10, 6, 4, 0), passed: false, required: 7, base_size: 10, reason: NotEnoughApprovals, reachable: true },
        Case { name: "at least 3/4 of 10 needs 8: 7 fails", rule: rule(Base::Convened, Threshold::AtLeast(frac(3, 4))), tally: tally(10, 10, 7, 3, 0), passed: false, required: 8, base_size: 10, reason: NotEnoughApprovals, reachable: true },
        Case { name: "more than 3/4 of 12 needs 10", rule: rule(Base::Convened, Threshold::MoreThan(frac(3, 4))), tally: tally(12, 12, 10, 2, 0), passed: true, required: 10, base_size: 12, reason: Passed, reachable: true },
        Case { name: "unanimity 1/1: 9 of 9 passes", rule: rule(Base::Convened, Threshold::AtLeast(frac(1, 1))), tally: tally(9, 9, 9, 0, 0), passed: true, required: 9, base_size: 9, reason: Passed, reachable: true },
        Case { name: "unanimity 1/1: one abstention blocks under convened", rule: rule(Base::Convened, Threshold::AtLeast(frac(1, 1))), tally: tally(9, 9, 8, 0, 1), passed: false, required: 9, base_size: 9, reason: NotEnoughApprovals, reachable: true },
        Case { name: "unanimity 1/1: one absentee makes it unreachable", rule: rule(Base::Convened, Threshold::AtLeast(frac(1, 1))), tally: tally(9, 8, 8, 0, 0), passed: false, required: 9, base_size: 9, reason: NotEnoughApprovals, reachable: false },
        Case { name: "unanimity 1/1 of votes cast: abstention does not block", rule: rule(Base::VotesCast, Threshold::AtLeast(frac(1, 1))), tally: tally(9, 9, 8, 0, 1), passed: true, required: 8, base_size: 8, reason: Passed, reachable: true },
        // Invalid input fails closed.
        Case { name: "more than 1/1 is an invalid rule", rule: rule(Base::Convened, Threshold::MoreThan(frac(1, 1))), tally: tally(10, 10, 10, 0, 0), passed: false, required: 11, base_size: 10, reason: InvalidRule, reachable: false },
        Case { name: "zero denominator is an invalid rule", rule: rule(Base::Convened, Threshold::AtLeast(frac(1, 0))), tally: tally(10, 10, 10, 0, 0), passed: false, required: u32::MAX, base_size: 10, reason: InvalidRule, reachable: false },
        Case { name: "more approvals than convened is inconsistent", rule: RESOLUTION, tally: tally(10, 10, 11, 0, 0), passed: false, required: 6, base_size: 10, reason: InconsistentTally, reachable: false },
    ];

    #[test]
    fn decision_table() {
        assert!(CASES.len() >= 30, "table has only {} cases", CASES.len());
        let mut failures = Vec::new();
        for c in CASES {
            let o = decide(&c.rule, &c.tally);
            let got = (o.passed, o.required, o.base_size, o.reason, o.reachable);
            let want = (c.passed, c.required, c.base_size, c.reason, c.reachable);
            if got != want {
                failures.push(format!(
                    "{}: got (passed, required, base, reason, reachable) = {got:?}, want {want:?}",
                    c.name
                ));
            }
            // Invariants that hold for every case.
            if o.passed != (o.reason == Reason::Passed) || o.approve != c.tally.approve {
                failures.push(format!("{}: inconsistent outcome {o:?}", c.name));
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[test]
    fn case_names_are_unique() {
        let mut names: Vec<_> = CASES.iter().map(|c| c.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }

    #[test]
    fn quorum_status_carries_the_numbers() {
        let r = with_quorum(RESOLUTION, frac(2, 3));
        assert_eq!(
            decide(&r, &moving(20, 14, 15, 11, 3)).quorum,
            QuorumStatus::Met { needed_present: 14 }
        );
        assert_eq!(
            decide(&r, &moving(20, 13, 15, 15, 0)).quorum,
            QuorumStatus::NotMetAtOpen {
                needed_present: 14,
                present_at_open: 13
            }
        );
        assert_eq!(
            decide(&r, &moving(20, 14, 13, 13, 0)).quorum,
            QuorumStatus::LostBeforeClose {
                needed_present: 14,
                present_at_open: 14,
                present_at_close: 13
            }
        );
        assert_eq!(
            decide(&RESOLUTION, &tally(20, 12, 11, 1, 0)).quorum,
            QuorumStatus::NotRequired
        );
        assert_eq!(r.needed_present(20), Some(14));
        assert_eq!(RESOLUTION.needed_present(20), None);
    }

    #[test]
    fn strict_quorum_is_more_than_the_share() {
        // RULES.md:50 — no central quorum rule: the share is a per-meeting
        // setting, "more than half" as well as "at least half".
        let mut r = with_quorum(RESOLUTION, frac(1, 2));
        assert_eq!(r.needed_present(20), Some(10));
        r.quorum_strict = true;
        assert_eq!(r.needed_present(20), Some(11));
        assert_eq!(r.needed_present(11), Some(6));
        assert_eq!(
            decide(&r, &moving(20, 10, 10, 10, 0)).reason,
            Reason::NoQuorumAtOpen
        );
        assert_eq!(
            decide(&r, &moving(20, 11, 11, 11, 0)).reason,
            Reason::Passed
        );
        // RULES.md:49 — a congress: at least two thirds of those convened.
        let congress = with_quorum(RESOLUTION, frac(2, 3));
        assert_eq!(congress.needed_present(11), Some(8));
        assert_eq!(congress.needed_present(9), Some(6));
    }

    #[test]
    fn required_more_than_half() {
        let t = Threshold::MoreThanHalf;
        for (n, want) in [
            (0, 1),
            (1, 1),
            (2, 2),
            (3, 2),
            (9, 5),
            (10, 6),
            (11, 6),
            (20, 11),
        ] {
            assert_eq!(required(&t, n), want, "more than half of {n}");
        }
    }

    #[test]
    fn required_two_thirds() {
        let t = Threshold::AtLeastTwoThirds;
        for (n, want) in [
            (0, 0),
            (1, 1),
            (2, 2),
            (3, 2),
            (7, 5),
            (8, 6),
            (9, 6),
            (10, 7),
            (11, 8),
            (13, 9),
            (14, 10),
        ] {
            assert_eq!(required(&t, n), want, "two thirds of {n}");
        }
    }

    #[test]
    fn required_custom_fractions() {
        let cases = [
            (Threshold::AtLeast(frac(3, 5)), 10, 6),
            (Threshold::AtLeast(frac(3, 5)), 11, 7),
            (Threshold::MoreThan(frac(3, 5)), 10, 7),
            (Threshold::MoreThan(frac(3, 5)), 11, 7),
            (Threshold::AtLeast(frac(3, 4)), 10, 8),
            (Threshold::MoreThan(frac(3, 4)), 12, 10),
            (Threshold::AtLeast(frac(1, 1)), 9, 9),
            (Threshold::AtLeast(frac(1, 2)), 10, 5),
            (Threshold::MoreThan(frac(1, 2)), 10, 6),
            (Threshold::MoreThan(frac(0, 1)), 10, 1),
            (Threshold::AtLeast(frac(0, 1)), 10, 0),
        ];
        for (t, n, want) in cases {
            assert_eq!(required(&t, n), want, "{t:?} of {n}");
        }
    }

    #[test]
    fn required_uses_wide_intermediates() {
        // n * p overflows u32 here; the u64 product must not.
        assert_eq!(
            required(&Threshold::AtLeastTwoThirds, u32::MAX),
            2_863_311_530
        );
        assert_eq!(
            required(&Threshold::AtLeast(frac(u32::MAX, u32::MAX)), u32::MAX),
            u32::MAX
        );
        assert_eq!(required(&Threshold::MoreThanHalf, u32::MAX), 2_147_483_648);
        // A zero denominator fails closed instead of dividing by zero.
        assert_eq!(required(&Threshold::MoreThan(frac(1, 0)), 5), u32::MAX);
        assert_eq!(needed_present(frac(1, 0), 5), u32::MAX);
    }

    #[test]
    fn decide_handles_huge_bodies() {
        let half = 2_147_483_648;
        let pass = decide(&RESOLUTION, &tally(u32::MAX, u32::MAX, half, 0, 0));
        assert!(pass.passed);
        assert_eq!(pass.required, half);
        let fail = decide(&RESOLUTION, &tally(u32::MAX, u32::MAX, half - 1, 0, 0));
        assert_eq!(fail.reason, Reason::NotEnoughApprovals);
    }

    #[test]
    fn validate_accepts_sensible_rules() {
        for r in [
            RESOLUTION,
            TWO_THIRDS,
            CAST_HALF,
            rule(Base::Present, Threshold::AtLeast(frac(1, 1))),
            rule(Base::Convened, Threshold::MoreThan(frac(0, 1))),
            with_quorum(RESOLUTION, frac(1, 2)),
            with_quorum(RESOLUTION, frac(1, 1)),
            with_quorum(RESOLUTION, frac(0, 1)),
        ] {
            assert_eq!(r.validate(), Ok(()), "{r:?}");
        }
    }

    #[test]
    fn validate_rejects_bad_rules() {
        let cases = [
            (
                rule(Base::Convened, Threshold::AtLeast(frac(1, 0))),
                RuleError::ZeroDenominator {
                    part: RulePart::Threshold,
                },
            ),
            (
                rule(Base::Convened, Threshold::MoreThan(frac(0, 0))),
                RuleError::ZeroDenominator {
                    part: RulePart::Threshold,
                },
            ),
            (
                rule(Base::Convened, Threshold::AtLeast(frac(4, 3))),
                RuleError::AboveOne {
                    part: RulePart::Threshold,
                    num: 4,
                    den: 3,
                },
            ),
            (
                rule(Base::Convened, Threshold::MoreThan(frac(2, 2))),
                RuleError::MoreThanAll,
            ),
            (
                rule(Base::Convened, Threshold::AtLeast(frac(0, 5))),
                RuleError::ZeroThreshold,
            ),
            (
                with_quorum(RESOLUTION, frac(1, 0)),
                RuleError::ZeroDenominator {
                    part: RulePart::Quorum,
                },
            ),
            (
                with_quorum(RESOLUTION, frac(3, 2)),
                RuleError::AboveOne {
                    part: RulePart::Quorum,
                    num: 3,
                    den: 2,
                },
            ),
        ];
        for (r, want) in cases {
            assert_eq!(r.validate(), Err(want), "{r:?}");
        }
    }

    #[test]
    fn rule_error_is_a_std_error_with_text() {
        let e: Box<dyn std::error::Error> = Box::new(RuleError::AboveOne {
            part: RulePart::Quorum,
            num: 3,
            den: 2,
        });
        assert_eq!(e.to_string(), "quorum fraction 3/2 is greater than one");
        assert_eq!(
            RuleError::ZeroDenominator {
                part: RulePart::Threshold
            }
            .to_string(),
            "threshold fraction has a zero denominator"
        );
    }

    #[test]
    fn tally_validate() {
        assert_eq!(tally(20, 12, 11, 1, 0).validate(), Ok(()));
        // A member may vote and leave: more ballots than present at close is fine.
        assert_eq!(moving(20, 15, 10, 12, 0).validate(), Ok(()));
        assert_eq!(
            moving(10, 11, 9, 0, 0).validate(),
            Err(TallyError::PresentExceedsConvened {
                present: 11,
                convened: 10
            })
        );
        assert_eq!(
            tally(10, 10, 5, 5, 1).validate(),
            Err(TallyError::VotesExceedConvened {
                votes: 11,
                convened: 10
            })
        );
        // The sum must not overflow u32.
        assert!(
            tally(10, 10, u32::MAX, u32::MAX, u32::MAX)
                .validate()
                .is_err()
        );
    }

    #[test]
    fn labels() {
        assert_eq!(Threshold::MoreThanHalf.label_vi(), "trên một nửa");
        assert_eq!(Threshold::MoreThanHalf.label_en(), "more than half");
        assert_eq!(
            Threshold::AtLeastTwoThirds.label_vi(),
            "ít nhất hai phần ba"
        );
        assert_eq!(
            Threshold::AtLeastTwoThirds.label_en(),
            "at least two thirds"
        );
        assert_eq!(Threshold::MoreThan(frac(3, 5)).label_vi(), "trên 3/5");
        assert_eq!(Threshold::AtLeast(frac(3, 4)).label_en(), "at least 3/4");
        assert_eq!(Threshold::AtLeast(frac(1, 1)).label_vi(), "toàn bộ");
        assert_eq!(Threshold::AtLeast(frac(1, 1)).label_en(), "all");
        assert_eq!(
            Base::Convened.label_vi(true),
            "tổng số đảng viên chính thức được triệu tập"
        );
        assert_eq!(Base::Convened.label_en(), "eligible members convened");
        assert_eq!(Base::Present.label_vi(true), "số có mặt");
        assert_eq!(Base::Present.label_en(), "eligible members present");
        assert_eq!(Base::VotesCast.label_vi(true), "số phiếu biểu quyết");
        assert_eq!(Base::VotesCast.label_en(), "votes cast");
    }

    #[test]
    fn explain_approvals() {
        let o = decide(&RESOLUTION, &tally(20, 12, 12, 0, 0));
        assert_eq!(
            o.explain_vi(&RESOLUTION, true),
            "Cần ít nhất 11/20 phiếu tán thành (trên một nửa tổng số đảng viên chính thức \
             được triệu tập); có 12 → THÔNG QUA"
        );
        assert_eq!(
            o.explain_vi(&RESOLUTION, false),
            "Cần ít nhất 11/20 phiếu tán thành (trên một nửa tổng số thành viên chính thức \
             được triệu tập); có 12 → THÔNG QUA"
        );
        assert_eq!(
            o.explain_en(&RESOLUTION),
            "Needs at least 11 of 20 approvals (more than half of eligible members convened); \
             got 12 → PASSED"
        );
        let o = decide(&CAST_HALF, &tally(20, 20, 8, 8, 4));
        assert_eq!(
            o.explain_en(&CAST_HALF),
            "Needs at least 9 of 16 approvals (more than half of votes cast); got 8 → NOT PASSED"
        );
        assert_eq!(
            o.explain_vi(&CAST_HALF, true),
            "Cần ít nhất 9/16 phiếu tán thành (trên một nửa số phiếu biểu quyết); có 8 \
             → KHÔNG THÔNG QUA"
        );
    }

    #[test]
    fn explain_failures() {
        let r = with_quorum(RESOLUTION, frac(2, 3));
        let lost = decide(&r, &moving(20, 14, 13, 13, 0));
        assert_eq!(
            lost.explain_en(&r),
            "Quorum lost before voting closed: needs at least 14 present, 13 at close \
             → NOT PASSED"
        );
        assert_eq!(
            lost.explain_vi(&r, true),
            "Không còn đủ số đảng viên có mặt theo quy định trước khi kết thúc biểu quyết: \
             cần ít nhất 14 người có mặt, còn 13 → KHÔNG THÔNG QUA"
        );
        let no_quorum = decide(&r, &moving(20, 13, 15, 15, 0));
        assert_eq!(
            no_quorum.explain_en(&r),
            "No quorum when voting opened: needs at least 14 present, had 13 → NOT PASSED"
        );
        assert_eq!(
            no_quorum.explain_vi(&r, false),
            "Không đủ số thành viên có mặt theo quy định khi mở biểu quyết: cần ít nhất 14 \
             người có mặt, có 13 → KHÔNG THÔNG QUA"
        );
        let nobody = decide(&TWO_THIRDS, &tally(0, 0, 0, 0, 0));
        assert_eq!(
            nobody.explain_en(&TWO_THIRDS),
            "No eligible members were convened → NOT PASSED"
        );
        assert_eq!(
            nobody.explain_vi(&TWO_THIRDS, true),
            "Không có đảng viên chính thức nào được triệu tập → KHÔNG THÔNG QUA"
        );
        assert_eq!(
            nobody.explain_vi(&TWO_THIRDS, false),
            "Không có thành viên chính thức nào được triệu tập → KHÔNG THÔNG QUA"
        );
    }
}

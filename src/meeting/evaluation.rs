//! Grading the quality of a meeting (chấm điểm chất lượng sinh hoạt): a pure
//! engine (no I/O).
//!
//! Guidance 12-HD/BTCTW gives five criteria; each province sets its points.
//! The shipped form follows the Bình Thuận example of domain/RULES.md (20
//! points each, 100 in all; a sample to adjust to the committee's own
//! guidance): Tốt ≥ 90 with at least four criteria at full marks, Khá
//! 70–89, Trung bình 50–69, Kém < 50. A total of 92 with three criteria at
//! full marks is therefore Khá. Forms with another total are graded on the
//! same percentages.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::MeetingError;
use crate::quiz::MemberId;
use crate::vote::MotionId;

pub const MAX_CRITERIA: usize = 10;
pub const MAX_POINTS: u32 = 100;
pub const MAX_CRITERION_CHARS: usize = 300;
/// Attendance above this percentage of those convened (criterion 1).
pub const ATTENDANCE_PERCENT: u32 = 85;

/// A fact the server can show beside a criterion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactKind {
    /// Recorded attendance (criterion 1).
    Attendance,
    /// The meeting clock against the 90 / 120-minute minimum (criterion 3).
    Length,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    pub title: String,
    /// Full marks.
    pub max: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fact: Option<FactKind>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Form {
    pub criteria: Vec<Criterion>,
    /// The shipped sample, to adjust to the committee's own guidance.
    #[serde(default)]
    pub sample: bool,
}

/// The five criteria of Guidance 12-HD/BTCTW, 20 points each (a sample).
pub fn sample_form() -> Form {
    let c = |title: &str, fact| Criterion {
        title: title.into(),
        max: 20,
        fact,
    };
    Form {
        criteria: vec![
            c(
                "Đảng viên dự họp trên 85%, không ai vắng không lý do",
                Some(FactKind::Attendance),
            ),
            c(
                "Chuẩn bị: bí thư chuẩn bị, cấp ủy họp trước, nội dung trọng tâm, có dự thảo nghị quyết",
                None,
            ),
            c(
                "Tiến hành: đúng giờ, đủ chương trình, chủ trì điều hành linh hoạt, nhiều đảng viên phát biểu, đủ thời lượng, biên bản đầy đủ",
                Some(FactKind::Length),
            ),
            c(
                "Nguyên tắc: tập trung dân chủ, tự phê bình và phê bình; tính lãnh đạo, tính giáo dục, tính chiến đấu",
                None,
            ),
            c("Kết quả thực hiện nghị quyết của chi bộ", None),
        ],
        sample: true,
    }
}

/// The sample's criteria that speak of the Party: (Party, neutral).
const NEUTRAL_CRITERIA: [(&str, &str); 4] = [
    (
        "Đảng viên dự họp trên 85%, không ai vắng không lý do",
        "Thành viên dự họp trên 85%, không ai vắng không lý do",
    ),
    (
        "Chuẩn bị: bí thư chuẩn bị, cấp ủy họp trước, nội dung trọng tâm, có dự thảo nghị quyết",
        "Chuẩn bị: chủ trì chuẩn bị, nội dung trọng tâm, có dự thảo nghị quyết",
    ),
    (
        "Tiến hành: đúng giờ, đủ chương trình, chủ trì điều hành linh hoạt, nhiều đảng viên phát biểu, đủ thời lượng, biên bản đầy đủ",
        "Tiến hành: đúng giờ, đủ chương trình, chủ trì điều hành linh hoạt, nhiều thành viên phát biểu, đủ thời lượng, biên bản đầy đủ",
    ),
    (
        "Kết quả thực hiện nghị quyết của chi bộ",
        "Kết quả thực hiện nghị quyết của cuộc họp trước",
    ),
];

impl Form {
    /// The form as a meeting in `wording` shows it: the shipped sample's
    /// Party criteria read neutrally in a neutral meeting (issue 14); a
    /// form the chair wrote is shown as written.
    pub fn worded(&self, wording: super::Wording) -> Form {
        let mut f = self.clone();
        if f.sample && !wording.is_party() {
            for c in &mut f.criteria {
                if let Some((_, n)) = NEUTRAL_CRITERIA.iter().find(|(p, _)| *p == c.title) {
                    c.title = (*n).to_string();
                }
            }
        }
        f
    }

    pub fn total_max(&self) -> u32 {
        self.criteria.iter().map(|c| c.max).sum()
    }

    pub fn validate(&self) -> Result<(), MeetingError> {
        let bad = |problem, max: usize, m: String| {
            Err(MeetingError::InvalidEvaluation(super::Detail::new(
                problem, max, m,
            )))
        };
        if self.criteria.is_empty() || self.criteria.len() > MAX_CRITERIA {
            return bad(
                "criteria_count",
                MAX_CRITERIA,
                format!("a form has 1 to {MAX_CRITERIA} criteria"),
            );
        }
        for c in &self.criteria {
            let n = c.title.chars().count();
            if n == 0 || n > MAX_CRITERION_CHARS || c.title.chars().any(char::is_control) {
                return bad(
                    "criterion_title",
                    MAX_CRITERION_CHARS,
                    format!("a criterion's title is 1 to {MAX_CRITERION_CHARS} characters"),
                );
            }
            if c.max == 0 || c.max > MAX_POINTS {
                return bad(
                    "criterion_points",
                    MAX_POINTS as usize,
                    format!("a criterion is worth 1 to {MAX_POINTS} points"),
                );
            }
        }
        Ok(())
    }

    /// Checks one member's scores (one per criterion, within its range).
    pub fn check(&self, scores: &[u32]) -> Result<(), MeetingError> {
        if scores.len() != self.criteria.len() {
            return Err(MeetingError::ScoreOutOfRange(scores.len()));
        }
        match scores
            .iter()
            .zip(&self.criteria)
            .position(|(s, c)| *s > c.max)
        {
            Some(i) => Err(MeetingError::ScoreOutOfRange(i)),
            None => Ok(()),
        }
    }
}

/// The grade of a meeting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// Tốt
    Good,
    /// Khá
    Fair,
    /// Trung bình
    Average,
    /// Kém
    Poor,
}

/// The band of a `total` out of `total_max` with `full` criteria at full
/// marks: Tốt needs 90% and four criteria at full marks.
pub fn band(total: f64, total_max: u32, full: usize) -> Band {
    let pct = if total_max == 0 {
        0.0
    } else {
        total * 100.0 / f64::from(total_max)
    };
    // Half a point of rounding slack against float error only.
    let at_least = |p: f64| pct + 1e-9 >= p;
    if at_least(90.0) && full >= 4 {
        Band::Good
    } else if at_least(70.0) {
        Band::Fair
    } else if at_least(50.0) {
        Band::Average
    } else {
        Band::Poor
    }
}

/// Mean and spread of one criterion's scores.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stat {
    pub count: u32,
    /// One decimal.
    pub mean: f64,
    pub min: u32,
    pub max: u32,
    /// Population standard deviation, one decimal.
    pub spread: f64,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Per-criterion statistics of members' scores.
pub fn stats<'a>(criteria: usize, scores: impl Iterator<Item = &'a Vec<u32>> + Clone) -> Vec<Stat> {
    (0..criteria)
        .map(|i| {
            let xs: Vec<u32> = scores.clone().filter_map(|s| s.get(i).copied()).collect();
            let n = xs.len() as f64;
            if xs.is_empty() {
                return Stat {
                    count: 0,
                    mean: 0.0,
                    min: 0,
                    max: 0,
                    spread: 0.0,
                };
            }
            let mean = xs.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
            let var = xs
                .iter()
                .map(|&x| (f64::from(x) - mean).powi(2))
                .sum::<f64>()
                / n;
            Stat {
                count: xs.len() as u32,
                mean: round1(mean),
                min: *xs.iter().min().expect("not empty"),
                max: *xs.iter().max().expect("not empty"),
                spread: round1(var.sqrt()),
            }
        })
        .collect()
}

/// Total (one decimal), full-mark criteria and band of per-criterion scores.
pub fn grade(form: &Form, scores: &[f64]) -> (f64, usize, Band) {
    let total = round1(scores.iter().sum());
    let full = scores
        .iter()
        .zip(&form.criteria)
        .filter(|(s, c)| **s + 1e-9 >= f64::from(c.max))
        .count();
    (total, full, band(total, form.total_max(), full))
}

/// How the cell grades its meeting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Every voting member scores on the phone; the mean decides.
    #[default]
    Members,
    /// The committee proposes the scores; the cell approves them by a vote.
    Committee,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum EvalStatus {
    #[default]
    Draft,
    Open,
    Closed,
}

/// The meeting's evaluation.
#[derive(Clone, Debug)]
pub struct Evaluation {
    pub form: Form,
    pub mode: Mode,
    pub status: EvalStatus,
    /// Members' scores (members mode).
    pub scores: HashMap<MemberId, Vec<u32>>,
    /// The committee's proposal and the motion that approves it.
    pub proposal: Option<Vec<u32>>,
    pub motion: Option<MotionId>,
}

impl Default for Evaluation {
    fn default() -> Evaluation {
        Evaluation {
            form: sample_form(),
            mode: Mode::Members,
            status: EvalStatus::Draft,
            scores: HashMap::new(),
            proposal: None,
            motion: None,
        }
    }
}

impl Evaluation {
    /// Replaces the form and mode; only before scoring opens.
    pub fn set(&mut self, form: Form, mode: Mode) -> Result<(), MeetingError> {
        if self.status != EvalStatus::Draft {
            return Err(MeetingError::WrongState(
                "the form can be changed only before the evaluation opens",
            ));
        }
        form.validate()?;
        self.form = form;
        self.mode = mode;
        Ok(())
    }

    pub fn open(&mut self) -> Result<(), MeetingError> {
        if self.status != EvalStatus::Draft {
            return Err(MeetingError::WrongState(
                "the evaluation has already opened",
            ));
        }
        self.status = EvalStatus::Open;
        Ok(())
    }

    pub fn close(&mut self) -> Result<(), MeetingError> {
        if self.status != EvalStatus::Open {
            return Err(MeetingError::EvaluationNotOpen);
        }
        self.status = EvalStatus::Closed;
        Ok(())
    }

    /// A member's scores, once.
    pub fn score(&mut self, member: MemberId, scores: &[u32]) -> Result<(), MeetingError> {
        if self.status != EvalStatus::Open || self.mode != Mode::Members {
            return Err(MeetingError::EvaluationNotOpen);
        }
        if self.scores.contains_key(&member) {
            return Err(MeetingError::AlreadyScored);
        }
        self.form.check(scores)?;
        self.scores.insert(member, scores.to_vec());
        Ok(())
    }

    /// The committee's proposal, put to the vote by `motion`.
    pub fn propose(&mut self, scores: &[u32], motion: MotionId) -> Result<(), MeetingError> {
        if self.mode != Mode::Committee || self.status == EvalStatus::Closed {
            return Err(MeetingError::WrongState(
                "a proposal is for an evaluation by the committee, before it closes",
            ));
        }
        self.form.check(scores)?;
        self.proposal = Some(scores.to_vec());
        self.motion = Some(motion);
        self.status = EvalStatus::Open;
        Ok(())
    }

    /// Per-criterion statistics of members' scores.
    pub fn stats(&self) -> Vec<Stat> {
        stats(self.form.criteria.len(), self.scores.values())
    }

    /// The scores that grade the meeting: members' means, or the proposal.
    pub fn result_scores(&self) -> Vec<f64> {
        match self.mode {
            Mode::Members => self.stats().iter().map(|s| s.mean).collect(),
            Mode::Committee => self
                .proposal
                .as_ref()
                .map(|p| p.iter().map(|&x| f64::from(x)).collect())
                .unwrap_or_default(),
        }
    }
}

/// Criterion 1 from the recorded attendance: present of those convened
/// above 85%, and nobody absent without a reason. Proposes full marks when
/// both hold, else marks in proportion to attendance (never full).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AttendanceFact {
    pub convened: u32,
    pub present: u32,
    /// One decimal.
    pub percent: f64,
    pub absent_without_reason: u32,
    pub met: bool,
    pub proposed: u32,
}

pub fn attendance_fact(convened: u32, present: u32, excused: u32, max: u32) -> AttendanceFact {
    let percent = if convened == 0 {
        0.0
    } else {
        round1(f64::from(present) * 100.0 / f64::from(convened))
    };
    let absent = convened.saturating_sub(present);
    let absent_without_reason = absent.saturating_sub(excused);
    let above = u64::from(present) * 100 > u64::from(ATTENDANCE_PERCENT) * u64::from(convened);
    let met = convened > 0 && above && absent_without_reason == 0;
    let proposed = if met {
        max
    } else if convened == 0 {
        0
    } else {
        ((u64::from(max) * u64::from(present)) / u64::from(convened)).min(u64::from(max) - 1) as u32
    };
    AttendanceFact {
        convened,
        present,
        percent,
        absent_without_reason,
        met,
        proposed,
    }
}

/// Criterion 3's length: the meeting clock against its minimum.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LengthFact {
    pub minutes: u32,
    pub minimum: u32,
    pub met: bool,
}

pub fn length_fact(elapsed_ms: u64, minimum: u32) -> LengthFact {
    let minutes = (elapsed_ms / 60_000) as u32;
    LengthFact {
        minutes,
        minimum,
        met: minutes >= minimum,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_grade(scores: [u32; 5]) -> (f64, usize, Band) {
        let s: Vec<f64> = scores.iter().map(|&x| f64::from(x)).collect();
        grade(&sample_form(), &s)
    }

    /// The Bình Thuận bands (domain/RULES.md, "Evaluating a meeting").
    #[test]
    fn the_sample_form_reads_neutrally_in_a_neutral_meeting() {
        let f = sample_form().worded(crate::meeting::Wording::Neutral);
        for c in &f.criteria {
            let t = c.title.to_lowercase();
            for w in ["đảng", "chi bộ", "đồng chí", "cấp ủy"] {
                assert!(!t.contains(w), "{w} in {t}");
            }
        }
        assert_eq!(
            sample_form().worded(crate::meeting::Wording::Party),
            sample_form()
        );
        let mut own = sample_form();
        own.sample = false;
        assert_eq!(own.worded(crate::meeting::Wording::Neutral), own);
    }

    #[test]
    fn bands_follow_the_provincial_example() {
        let table = [
            ([20, 20, 20, 20, 10], 90.0, Band::Good),
            ([20, 20, 20, 20, 20], 100.0, Band::Good),
            // 92 with only three criteria at full marks is Khá.
            ([20, 20, 20, 16, 16], 92.0, Band::Fair),
            ([20, 20, 20, 19, 10], 89.0, Band::Fair),
            ([14, 14, 14, 14, 14], 70.0, Band::Fair),
            ([14, 14, 14, 14, 13], 69.0, Band::Average),
            ([10, 10, 10, 10, 10], 50.0, Band::Average),
            ([10, 10, 10, 10, 9], 49.0, Band::Poor),
            ([0, 0, 0, 0, 0], 0.0, Band::Poor),
        ];
        for (scores, total, want) in table {
            let (t, _, b) = sample_grade(scores);
            assert_eq!((t, b), (total, want), "{scores:?}");
        }
        assert_eq!(sample_grade([20, 20, 20, 16, 16]).1, 3);
    }

    #[test]
    fn mean_and_spread_per_criterion() {
        let scores = [vec![20, 10], vec![18, 10], vec![16, 10], vec![20, 10]];
        let s = stats(2, scores.iter());
        assert_eq!(s[0].count, 4);
        assert_eq!(s[0].mean, 18.5);
        assert_eq!((s[0].min, s[0].max), (16, 20));
        // deviations 1.5, -0.5, -2.5, 1.5 → variance 2.75 → 1.658…
        assert_eq!(s[0].spread, 1.7);
        assert_eq!(s[1].spread, 0.0);
        assert_eq!(
            stats(1, [].iter()),
            vec![Stat {
                count: 0,
                mean: 0.0,
                min: 0,
                max: 0,
                spread: 0.0
            }]
        );
    }

    #[test]
    fn scores_once_and_within_range() {
        let mut e = Evaluation::default();
        assert_eq!(e.score(1, &[20; 5]), Err(MeetingError::EvaluationNotOpen));
        e.open().unwrap();
        assert_eq!(
            e.score(1, &[20, 20, 21, 20, 20]),
            Err(MeetingError::ScoreOutOfRange(2))
        );
        assert_eq!(e.score(1, &[20; 4]), Err(MeetingError::ScoreOutOfRange(4)));
        e.score(1, &[20; 5]).unwrap();
        assert_eq!(e.score(1, &[10; 5]), Err(MeetingError::AlreadyScored));
        e.score(2, &[18, 20, 20, 20, 20]).unwrap();
        let r = e.result_scores();
        assert_eq!(r, vec![19.0, 20.0, 20.0, 20.0, 20.0]);
        assert_eq!(grade(&e.form, &r), (99.0, 4, Band::Good));
        // The form cannot change once scoring opened.
        assert!(e.set(sample_form(), Mode::Committee).is_err());
        e.close().unwrap();
        assert_eq!(e.score(3, &[20; 5]), Err(MeetingError::EvaluationNotOpen));
    }

    #[test]
    fn facts_from_attendance_and_the_clock() {
        // 20 convened, 18 present (90%), both absent with a reason.
        let f = attendance_fact(20, 18, 2, 20);
        assert!(f.met);
        assert_eq!((f.percent, f.proposed), (90.0, 20));
        // One absent without a reason: not met, whatever the rate.
        let f = attendance_fact(20, 19, 0, 20);
        assert!(!f.met);
        assert_eq!(f.absent_without_reason, 1);
        assert_eq!(f.proposed, 19);
        // Exactly 85% is not "above 85%".
        assert!(!attendance_fact(20, 17, 3, 20).met);
        assert!(length_fact(90 * 60_000, 90).met);
        assert!(!length_fact(90 * 60_000 - 1, 90).met);
        assert!(!length_fact(100 * 60_000, 120).met);
    }

    #[test]
    fn committee_proposal_is_checked() {
        let mut e = Evaluation::default();
        assert!(e.propose(&[20; 5], 1).is_err());
        e.set(sample_form(), Mode::Committee).unwrap();
        assert_eq!(
            e.propose(&[20, 20, 20, 20, 25], 1),
            Err(MeetingError::ScoreOutOfRange(4))
        );
        e.propose(&[20, 20, 20, 20, 15], 1).unwrap();
        assert_eq!(e.status, EvalStatus::Open);
        assert_eq!(grade(&e.form, &e.result_scores()).2, Band::Good);
    }
}

//! The quiz engine: a pure state machine over one bank's questions.
//!
//! No tokio, no I/O, no clock: every method that depends on time takes
//! `now` (milliseconds since the Unix epoch), so the room actor and replay
//! after a crash drive it identically and tests control time exactly.
//!
//! Flow per question: `show` (reading time) → answers open → `close`
//! (deadline, everyone answered, or the host) → reveal → optional
//! leaderboard → next question … → podium.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::bank::{Kind, Question};

pub type MemberId = u32;
/// Wall-clock milliseconds since the Unix epoch (persisted in events).
pub type Millis = u64;

/// Per-round scoring options (SPEC §2.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Bonus for consecutive correct answers; off by default.
    #[serde(default)]
    pub streak_bonus: bool,
    /// Show the leaderboard after every k-th question (0: only at the end).
    #[serde(default = "one")]
    pub leaderboard_every: u32,
}

fn one() -> u32 {
    1
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            streak_bonus: false,
            leaderboard_every: 1,
        }
    }
}

/// Bonus per correct answer in a row beyond the first, capped.
pub const STREAK_STEP: u32 = 100;
pub const STREAK_CAP: u32 = 500;
/// Longest typed answer accepted.
pub const MAX_TYPED_CHARS: usize = 200;

/// What a member submits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Submission {
    Choice(Vec<usize>),
    Text(String),
}

/// Why answers closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    Deadline,
    AllAnswered,
    Host,
    /// The deadline passed while the server was down; it closed on restart.
    DeadlinePassedWhileDown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    NotStarted,
    Question,
    Reveal,
    Leaderboard,
    Podium,
}

/// Refusals, each mapped to a protocol error code by the room.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuizError {
    #[error("there is no question {0} in this quiz")]
    NoSuchQuestion(usize),
    #[error("answers are not open for this question")]
    NotOpen,
    #[error("time is up for this question")]
    TooLate,
    #[error("answers are not open yet; wait for the countdown")]
    NotOpenYet,
    #[error("you have already answered this question")]
    AlreadyAnswered,
    #[error("option {0} does not exist")]
    OptionOutOfRange(usize),
    #[error("this question takes {0}")]
    WrongAnswerShape(&'static str),
    #[error("that step is not possible now: {0}")]
    WrongPhase(&'static str),
    #[error("question {0} has never been asked; only a question already shown can be asked again")]
    NeverAsked(usize),
}

/// A recorded answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub submission: Submission,
    /// Answer time, already corrected for network delay and clamped to the limit.
    pub elapsed_ms: u32,
}

/// A member's result on one question, known after close.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberResult {
    pub correct: bool,
    /// Partly right (multiple choice with partial scoring).
    pub partial: bool,
    pub points: u32,
    pub streak: u32,
}

/// What the reveal shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub reason: CloseReason,
    /// Count per option (choice questions) — for typed: [correct, wrong].
    pub distribution: Vec<u32>,
    /// Most frequent typed answers (as typed, first spelling seen), with counts.
    pub typed_top: Vec<(String, u32)>,
    pub answered: u32,
    pub correct_count: u32,
    pub results: HashMap<MemberId, MemberResult>,
}

/// The question being played.
#[derive(Clone, Debug)]
pub struct Round {
    pub index: usize,
    pub shown_at: Millis,
    pub opens_at: Millis,
    pub deadline: Millis,
    pub answers: HashMap<MemberId, Answer>,
    pub outcome: Option<Outcome>,
    /// After a restart, answers wait until this instant (the "Tiếp tục"
    /// countdown) even if the shifted timeline says they are open.
    pub resumes_at: Option<Millis>,
}

/// What a member got from a closed question: (who, points, correct).
type Taken = (MemberId, u32, bool);

/// A member's running totals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Score {
    pub total: u64,
    pub streak: u32,
    pub correct: u32,
}

/// What the host's "next" does from the current phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Question(usize),
    Leaderboard,
    Podium,
}

#[derive(Clone, Debug)]
pub struct Quiz {
    questions: Arc<Vec<Question>>,
    settings: Settings,
    phase: Phase,
    round: Option<Round>,
    scores: HashMap<MemberId, Score>,
    /// Questions closed (revealed) or skipped so far, for "every k" leaderboards.
    done: u32,
    /// One past the highest question shown: where "next" goes on, also
    /// after an earlier question is asked again.
    frontier: usize,
    /// Questions shown at least once (only those can be asked again).
    asked: Vec<bool>,
    /// Each closed question's points and correct answers per member, so
    /// asking it again takes them back: 12 bytes a member, not the whole
    /// result, so a long meeting's memory stays nearly flat.
    scored: HashMap<usize, Box<[Taken]>>,
    /// The last question skipped and who had answered it (they are told),
    /// until the next question closes.
    skipped: Option<(usize, Vec<MemberId>)>,
}

impl Quiz {
    pub fn new(questions: Arc<Vec<Question>>, settings: Settings) -> Quiz {
        Quiz {
            questions,
            settings,
            phase: Phase::NotStarted,
            round: None,
            scores: HashMap::new(),
            done: 0,
            frontier: 0,
            asked: Vec::new(),
            scored: HashMap::new(),
            skipped: None,
        }
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }
    pub fn settings(&self) -> &Settings {
        &self.settings
    }
    pub fn questions(&self) -> &[Question] {
        &self.questions
    }
    pub fn round(&self) -> Option<&Round> {
        self.round.as_ref()
    }
    pub fn current_question(&self) -> Option<&Question> {
        self.round.as_ref().map(|r| &self.questions[r.index])
    }
    pub fn score(&self, m: MemberId) -> Score {
        self.scores.get(&m).copied().unwrap_or_default()
    }
    /// The question last skipped, if `m` had answered it (cleared when the
    /// next question closes).
    pub fn skipped_for(&self, m: MemberId) -> Option<usize> {
        self.skipped
            .as_ref()
            .filter(|(_, who)| who.contains(&m))
            .map(|(i, _)| *i)
    }
    /// Whether `m` has answered a question that was closed (took part).
    pub fn played(&self, m: MemberId) -> bool {
        self.scores.contains_key(&m)
    }
    /// Whether question `index` has been shown at least once.
    pub fn was_asked(&self, index: usize) -> bool {
        self.asked.get(index).copied().unwrap_or(false)
    }

    /// True while answers are being taken.
    pub fn is_open(&self, now: Millis) -> bool {
        self.phase == Phase::Question
            && self.round.as_ref().is_some_and(|r| {
                r.outcome.is_none()
                    && now >= r.opens_at
                    && now >= r.resumes_at.unwrap_or(0)
                    && now <= r.deadline
            })
    }

    /// The open question's timeline after the server was down from
    /// `down_at` until now: the time it had left (reading time and answer
    /// time) is kept and starts again at `resume_at`; until then answers
    /// wait. Returns false (nothing changes) when no question is open or its
    /// deadline had already passed at `down_at`.
    pub fn resume(&mut self, down_at: Millis, resume_at: Millis) -> bool {
        if self.phase != Phase::Question {
            return false;
        }
        let Some(r) = self.round.as_mut().filter(|r| r.outcome.is_none()) else {
            return false;
        };
        if down_at > r.deadline {
            return false;
        }
        let down_at = down_at.max(r.shown_at);
        let shift = resume_at.saturating_sub(down_at);
        r.opens_at += shift;
        r.deadline += shift;
        r.resumes_at = Some(resume_at);
        true
    }

    /// The instant the engine next needs attention (answers open, or deadline).
    pub fn next_timer(&self) -> Option<Millis> {
        let r = self.round.as_ref()?;
        (self.phase == Phase::Question && r.outcome.is_none()).then_some(r.deadline)
    }

    /// True when answers are open and the deadline has passed: the room must close.
    pub fn deadline_passed(&self, now: Millis) -> bool {
        self.next_timer().is_some_and(|d| now > d)
    }

    /// What "next" does now, or why it can't.
    pub fn next_step(&self) -> Result<Step, QuizError> {
        let after_last = || {
            let next = self.frontier;
            if next < self.questions.len() {
                Step::Question(next)
            } else {
                Step::Podium
            }
        };
        match self.phase {
            Phase::NotStarted => Ok(Step::Question(0)),
            Phase::Question => Err(QuizError::WrongPhase(
                "answers are still open; reveal or skip first",
            )),
            Phase::Reveal => {
                let k = self.settings.leaderboard_every;
                let step = after_last();
                if k > 0 && self.done.is_multiple_of(k) && step != Step::Podium {
                    Ok(Step::Leaderboard)
                } else {
                    Ok(step)
                }
            }
            Phase::Leaderboard => Ok(after_last()),
            Phase::Podium => Err(QuizError::WrongPhase("the quiz is over")),
        }
    }

    /// Shows question `index`; answers open after its reading time.
    pub fn show(&mut self, index: usize, now: Millis) -> Result<(), QuizError> {
        let q = self
            .questions
            .get(index)
            .ok_or(QuizError::NoSuchQuestion(index))?;
        if self.phase == Phase::Question {
            return Err(QuizError::WrongPhase("a question is already open"));
        }
        if self.phase == Phase::Podium {
            return Err(QuizError::WrongPhase("the quiz is over"));
        }
        let opens_at = now + u64::from(q.reading_s) * 1000;
        self.round = Some(Round {
            index,
            shown_at: now,
            opens_at,
            deadline: opens_at + u64::from(q.time_limit_s) * 1000,
            answers: HashMap::new(),
            outcome: None,
            resumes_at: None,
        });
        self.phase = Phase::Question;
        self.frontier = self.frontier.max(index + 1);
        if self.asked.len() <= index {
            self.asked.resize(index + 1, false);
        }
        self.asked[index] = true;
        Ok(())
    }

    /// Asks question `index` again (after a fault, or a question badly put):
    /// its answers are cleared and the points it gave taken back, and it
    /// is shown afresh with a full timer. Only a question already shown can
    /// be asked again; while another question is open, close it first.
    pub fn reask(&mut self, index: usize, now: Millis) -> Result<(), QuizError> {
        if index >= self.questions.len() {
            return Err(QuizError::NoSuchQuestion(index));
        }
        if !self.was_asked(index) {
            return Err(QuizError::NeverAsked(index));
        }
        if self.phase == Phase::Question {
            if self.round.as_ref().is_some_and(|r| r.index != index) {
                return Err(QuizError::WrongPhase(
                    "another question is open; reveal or skip it first",
                ));
            }
            // The open question itself: drop its answers, start again.
            self.phase = Phase::Reveal;
        }
        if self.phase == Phase::Podium {
            // Asked again after the podium: "next" comes back to it.
            self.phase = Phase::Reveal;
        }
        if let Some(results) = self.scored.remove(&index) {
            for &(m, points, correct) in &results {
                if let Some(s) = self.scores.get_mut(&m) {
                    s.total = s.total.saturating_sub(u64::from(points));
                    if correct {
                        s.correct = s.correct.saturating_sub(1);
                    }
                }
            }
        }
        self.show(index, now)
    }

    /// Checks an answer without recording it.
    pub fn check(
        &self,
        member: MemberId,
        index: usize,
        submission: &Submission,
        now: Millis,
    ) -> Result<(), QuizError> {
        let r = match &self.round {
            Some(r) if self.phase == Phase::Question && r.index == index => r,
            _ => return Err(QuizError::NotOpen),
        };
        if r.answers.contains_key(&member) {
            return Err(QuizError::AlreadyAnswered);
        }
        if now < r.opens_at || now < r.resumes_at.unwrap_or(0) {
            return Err(QuizError::NotOpenYet);
        }
        if now > r.deadline || r.outcome.is_some() {
            return Err(QuizError::TooLate);
        }
        let q = &self.questions[index];
        match (q.kind, submission) {
            (Kind::Typed, Submission::Text(t)) => {
                let t = t.trim();
                if t.is_empty() || t.chars().count() > MAX_TYPED_CHARS {
                    return Err(QuizError::WrongAnswerShape(
                        "a typed answer of 1 to 200 characters",
                    ));
                }
            }
            (Kind::Typed, _) => return Err(QuizError::WrongAnswerShape("a typed answer")),
            (_, Submission::Text(_)) => {
                return Err(QuizError::WrongAnswerShape("a choice of options"));
            }
            (kind, Submission::Choice(c)) => {
                if let Some(bad) = c.iter().find(|&&i| i >= q.options.len()) {
                    return Err(QuizError::OptionOutOfRange(*bad));
                }
                let mut sorted = c.clone();
                sorted.sort_unstable();
                sorted.dedup();
                let ok = match kind {
                    Kind::Multiple => !c.is_empty() && sorted.len() == c.len(),
                    _ => c.len() == 1,
                };
                if !ok {
                    return Err(QuizError::WrongAnswerShape(if kind == Kind::Multiple {
                        "one or more different options"
                    } else {
                        "exactly one option"
                    }));
                }
            }
        }
        Ok(())
    }

    /// Records an answer (checked first; nothing changes on error).
    pub fn submit(
        &mut self,
        member: MemberId,
        index: usize,
        submission: Submission,
        elapsed_ms: u32,
        now: Millis,
    ) -> Result<(), QuizError> {
        self.check(member, index, &submission, now)?;
        let r = self.round.as_mut().expect("checked");
        let limit = r.deadline.saturating_sub(r.opens_at) as u32;
        r.answers.insert(
            member,
            Answer {
                submission,
                elapsed_ms: elapsed_ms.min(limit),
            },
        );
        Ok(())
    }

    /// Closes answers, scores them, and moves to the reveal.
    pub fn close(&mut self, reason: CloseReason) -> Result<&Outcome, QuizError> {
        if self.phase != Phase::Question {
            return Err(QuizError::WrongPhase("no question is open"));
        }
        let r = self.round.as_mut().expect("a question is open");
        let q = &self.questions[r.index];
        let limit_ms = u64::from(q.time_limit_s) * 1000;
        let mut distribution = vec![
            0u32;
            if q.kind == Kind::Typed {
                2
            } else {
                q.options.len()
            }
        ];
        let mut typed: Vec<(String, String, u32)> = Vec::new();
        let mut results = HashMap::new();
        let mut correct_count = 0;
        // Everyone who has a score but did not answer loses their streak.
        for (m, s) in self.scores.iter_mut() {
            if !r.answers.contains_key(m) {
                s.streak = 0;
            }
        }
        // Fastest answers first, so the spelling shown for a typed answer is
        // deterministic (replay shows the same).
        let mut ordered: Vec<(&MemberId, &Answer)> = r.answers.iter().collect();
        ordered.sort_by_key(|(m, a)| (a.elapsed_ms, **m));
        for (&member, a) in ordered {
            let fraction = grade(q, &a.submission);
            match &a.submission {
                Submission::Choice(c) => c.iter().for_each(|&i| distribution[i] += 1),
                Submission::Text(t) => {
                    distribution[if fraction.0 == fraction.1 { 0 } else { 1 }] += 1;
                    let key = crate::text::fold(t);
                    match typed.iter_mut().find(|e| e.0 == key) {
                        Some(e) => e.2 += 1,
                        None => typed.push((key, crate::text::collapse(t), 1)),
                    }
                }
            }
            let score = self.scores.entry(member).or_default();
            let (num, den) = fraction;
            let correct = q.kind != Kind::Poll && den > 0 && num == den;
            let mut points = if q.kind == Kind::Poll || num == 0 {
                0
            } else {
                speed_points(q.points, a.elapsed_ms, limit_ms, num, den)
            };
            if correct {
                correct_count += 1;
                score.streak += 1;
                score.correct += 1;
                if self.settings.streak_bonus {
                    points += (STREAK_STEP * (score.streak - 1)).min(STREAK_CAP);
                }
            } else if q.kind != Kind::Poll {
                score.streak = 0;
            }
            score.total += u64::from(points);
            results.insert(
                member,
                MemberResult {
                    correct,
                    partial: !correct && num > 0,
                    points,
                    streak: score.streak,
                },
            );
        }
        typed.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.1.cmp(&b.1)));
        self.scored.insert(
            r.index,
            results
                .iter()
                .map(|(&m, res)| (m, res.points, res.correct))
                .collect(),
        );
        self.skipped = None;
        r.outcome = Some(Outcome {
            reason,
            distribution,
            typed_top: typed.into_iter().take(5).map(|e| (e.1, e.2)).collect(),
            answered: r.answers.len() as u32,
            correct_count,
            results,
        });
        self.phase = Phase::Reveal;
        self.done += 1;
        Ok(self
            .round
            .as_ref()
            .and_then(|r| r.outcome.as_ref())
            .expect("just set"))
    }

    /// Drops the open question without scoring it.
    pub fn skip(&mut self) -> Result<(), QuizError> {
        if self.phase != Phase::Question {
            return Err(QuizError::WrongPhase("no question is open"));
        }
        self.phase = Phase::Leaderboard;
        self.done += 1;
        // Keep the index (so "next" goes on from here) but forget the
        // answers, remembering who gave one: they are told.
        if let Some(r) = self.round.as_mut() {
            let mut who: Vec<MemberId> = r.answers.keys().copied().collect();
            who.sort_unstable();
            self.skipped = Some((r.index, who));
            r.answers.clear();
        }
        Ok(())
    }

    pub fn show_leaderboard(&mut self) -> Result<(), QuizError> {
        match self.phase {
            Phase::Reveal | Phase::Leaderboard => {
                self.phase = Phase::Leaderboard;
                Ok(())
            }
            _ => Err(QuizError::WrongPhase("the leaderboard follows a reveal")),
        }
    }

    /// Ends the quiz; an open question is closed unscored.
    pub fn finish(&mut self) {
        self.phase = Phase::Podium;
    }

    /// Forgets a removed member.
    pub fn remove(&mut self, member: MemberId) {
        self.scores.remove(&member);
        if let Some(r) = self.round.as_mut() {
            r.answers.remove(&member);
        }
    }

    /// Members ordered by score (ties by member id, i.e. join order), with
    /// competition ranks (1, 2, 2, 4).
    pub fn ranking(&self, members: impl Iterator<Item = MemberId>) -> Vec<(u32, MemberId, u64)> {
        let mut v: Vec<(MemberId, u64)> = members.map(|m| (m, self.score(m).total)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut out = Vec::with_capacity(v.len());
        let mut rank = 0;
        let mut last = None;
        for (i, (m, s)) in v.into_iter().enumerate() {
            if last != Some(s) {
                rank = i as u32 + 1;
                last = Some(s);
            }
            out.push((rank, m, s));
        }
        out
    }
}

/// How right a submission is, as a fraction (num / den).
pub fn grade(q: &Question, s: &Submission) -> (u32, u32) {
    match (q.kind, s) {
        (Kind::Poll, _) => (0, 0),
        (Kind::Typed, Submission::Text(t)) => {
            let fold = if q.exact_diacritics {
                crate::text::fold_keep_marks
            } else {
                crate::text::fold
            };
            let given = fold(t);
            (u32::from(q.answers.iter().any(|a| fold(a) == given)), 1)
        }
        (Kind::Multiple, Submission::Choice(c)) => {
            let total = q.correct.len() as u32;
            let right = c.iter().filter(|i| q.correct.contains(i)).count() as u32;
            let wrong = c.len() as u32 - right;
            if q.partial {
                (right.saturating_sub(wrong), total)
            } else {
                (u32::from(right == total && wrong == 0), 1)
            }
        }
        (_, Submission::Choice(c)) => (u32::from(c.len() == 1 && q.correct.contains(&c[0])), 1),
        _ => (0, 1),
    }
}

/// SPEC §2.1: `points = round(P * (1 - (t / T) / 2))`, scaled by the fraction
/// right; integer arithmetic so replay is exact.
pub fn speed_points(p: u32, t_ms: u32, limit_ms: u64, num: u32, den: u32) -> u32 {
    if limit_ms == 0 || den == 0 {
        return 0;
    }
    let t = u64::from(t_ms).min(limit_ms);
    let p = u64::from(p);
    // P * (2T - t) / 2T * num/den, rounded half up.
    let n = p * (2 * limit_ms - t) * u64::from(num);
    let d = 2 * limit_ms * u64::from(den);
    ((2 * n + d) / (2 * d)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(kind: Kind, options: &[&str], correct: &[usize], answers: &[&str]) -> Question {
        Question::sample(kind, options, correct, answers)
    }

    fn quiz(qs: Vec<Question>) -> Quiz {
        Quiz::new(Arc::new(qs), Settings::default())
    }

    const T0: Millis = 1_700_000_000_000;

    #[test]
    fn scoring_formula() {
        // Instant answer: full points; at the limit: half; in between: linear.
        assert_eq!(speed_points(1000, 0, 20_000, 1, 1), 1000);
        assert_eq!(speed_points(1000, 20_000, 20_000, 1, 1), 500);
        assert_eq!(speed_points(1000, 10_000, 20_000, 1, 1), 750);
        assert_eq!(speed_points(1000, 5_000, 20_000, 1, 1), 875);
        // round(1000 * (1 - 0.0333/2)) = round(983.33) = 983
        assert_eq!(speed_points(1000, 1_333, 40_000, 1, 1), 983);
        // Half point rounds up: 1 * (1 - 0.5/2) = 0.75 → 1; 3 * 0.75 = 2.25 → 2.
        assert_eq!(speed_points(1, 10_000, 20_000, 1, 1), 1);
        assert_eq!(speed_points(3, 10_000, 20_000, 1, 1), 2);
        // Late beyond the limit is clamped, never negative.
        assert_eq!(speed_points(1000, 90_000, 20_000, 1, 1), 500);
        // Partial: two of three right at t=0.
        assert_eq!(speed_points(900, 0, 20_000, 2, 3), 600);
    }

    #[test]
    fn deadline_with_controlled_clock() {
        let mut qz = quiz(vec![Question {
            reading_s: 3,
            ..q(Kind::Single, &["a", "b"], &[1], &[])
        }]);
        qz.show(0, T0).unwrap();
        let r = qz.round().unwrap();
        assert_eq!(r.opens_at, T0 + 3_000);
        assert_eq!(r.deadline, T0 + 23_000);
        // During the reading time answers are refused.
        assert_eq!(
            qz.submit(1, 0, Submission::Choice(vec![1]), 0, T0 + 2_999),
            Err(QuizError::NotOpenYet)
        );
        assert!(!qz.deadline_passed(T0 + 23_000));
        qz.submit(1, 0, Submission::Choice(vec![1]), 0, T0 + 23_000)
            .unwrap();
        assert!(qz.deadline_passed(T0 + 23_001));
        assert_eq!(
            qz.submit(2, 0, Submission::Choice(vec![1]), 0, T0 + 23_001),
            Err(QuizError::TooLate)
        );
        let out = qz.close(CloseReason::Deadline).unwrap();
        assert_eq!(out.answered, 1);
        assert_eq!(qz.phase(), Phase::Reveal);
        assert_eq!(qz.next_timer(), None);
    }

    #[test]
    fn bad_answers_change_nothing() {
        let mut qz = quiz(vec![
            q(Kind::Single, &["a", "b"], &[0], &[]),
            q(Kind::Multiple, &["a", "b", "c"], &[0, 1], &[]),
        ]);
        assert_eq!(
            qz.submit(1, 0, Submission::Choice(vec![0]), 0, T0),
            Err(QuizError::NotOpen)
        );
        qz.show(0, T0).unwrap();
        assert_eq!(
            qz.submit(1, 0, Submission::Choice(vec![2]), 0, T0),
            Err(QuizError::OptionOutOfRange(2))
        );
        assert_eq!(
            qz.submit(1, 0, Submission::Choice(vec![0, 1]), 0, T0),
            Err(QuizError::WrongAnswerShape("exactly one option"))
        );
        assert!(matches!(
            qz.submit(1, 0, Submission::Text("a".into()), 0, T0),
            Err(QuizError::WrongAnswerShape(_))
        ));
        assert_eq!(
            qz.submit(1, 1, Submission::Choice(vec![0]), 0, T0),
            Err(QuizError::NotOpen)
        );
        qz.submit(1, 0, Submission::Choice(vec![0]), 0, T0).unwrap();
        assert_eq!(
            qz.submit(1, 0, Submission::Choice(vec![1]), 0, T0),
            Err(QuizError::AlreadyAnswered)
        );
        assert_eq!(qz.round().unwrap().answers.len(), 1);
        qz.close(CloseReason::Host).unwrap();
        assert_eq!(
            qz.submit(2, 0, Submission::Choice(vec![0]), 0, T0),
            Err(QuizError::NotOpen)
        );
        qz.show(1, T0).unwrap();
        assert!(matches!(
            qz.submit(1, 1, Submission::Choice(vec![0, 0]), 0, T0),
            Err(QuizError::WrongAnswerShape(_))
        ));
    }

    #[test]
    fn typed_answers_ignore_case_space_and_diacritics() {
        let question = q(Kind::Typed, &[], &[], &["Mỗi tháng một lần", "hằng tháng"]);
        for given in [
            "mỗi tháng một lần",
            "  MOI   THANG mot lan ",
            "Hang Thang",
            "hằng  tháng",
        ] {
            assert_eq!(
                grade(&question, &Submission::Text(given.into())),
                (1, 1),
                "{given}"
            );
        }
        assert_eq!(
            grade(&question, &Submission::Text("mỗi quý".into())),
            (0, 1)
        );
        let exact = Question {
            exact_diacritics: true,
            ..question.clone()
        };
        assert_eq!(
            grade(&exact, &Submission::Text("MỖI THÁNG  một lần".into())),
            (1, 1)
        );
        assert_eq!(
            grade(&exact, &Submission::Text("moi thang mot lan".into())),
            (0, 1)
        );
    }

    #[test]
    fn multiple_choice_all_or_nothing_and_partial() {
        let all = q(Kind::Multiple, &["a", "b", "c", "d"], &[0, 2], &[]);
        assert_eq!(grade(&all, &Submission::Choice(vec![2, 0])), (1, 1));
        assert_eq!(grade(&all, &Submission::Choice(vec![0])), (0, 1));
        assert_eq!(grade(&all, &Submission::Choice(vec![0, 1, 2])), (0, 1));
        let partial = Question {
            partial: true,
            ..all
        };
        assert_eq!(grade(&partial, &Submission::Choice(vec![0])), (1, 2));
        assert_eq!(grade(&partial, &Submission::Choice(vec![0, 1])), (0, 2));
        assert_eq!(grade(&partial, &Submission::Choice(vec![0, 1, 2])), (1, 2));

        let mut qz = quiz(vec![partial]);
        qz.show(0, T0).unwrap();
        qz.submit(1, 0, Submission::Choice(vec![0]), 0, T0).unwrap();
        qz.submit(2, 0, Submission::Choice(vec![0, 2]), 0, T0)
            .unwrap();
        let out = qz.close(CloseReason::AllAnswered).unwrap();
        assert_eq!(
            out.results[&1],
            MemberResult {
                correct: false,
                partial: true,
                points: 500,
                streak: 0
            }
        );
        assert_eq!(out.results[&2].points, 1000);
        assert_eq!(out.distribution, vec![2, 0, 1, 0]);
    }

    #[test]
    fn full_round_scores_streaks_and_ranks() {
        let mut qz = Quiz::new(
            Arc::new(vec![
                q(Kind::Single, &["a", "b"], &[0], &[]),
                q(Kind::TrueFalse, &["Đúng", "Sai"], &[1], &[]),
                q(Kind::Poll, &["x", "y"], &[], &[]),
                q(Kind::Typed, &[], &[], &["hà nội"]),
            ]),
            Settings {
                streak_bonus: true,
                leaderboard_every: 2,
            },
        );
        assert_eq!(qz.next_step(), Ok(Step::Question(0)));
        qz.show(0, T0).unwrap();
        qz.submit(1, 0, Submission::Choice(vec![0]), 0, T0).unwrap();
        qz.submit(2, 0, Submission::Choice(vec![0]), 10_000, T0)
            .unwrap();
        qz.submit(3, 0, Submission::Choice(vec![1]), 0, T0).unwrap();
        qz.close(CloseReason::AllAnswered).unwrap();
        assert_eq!(
            qz.next_step(),
            Ok(Step::Question(1)),
            "leaderboard every 2nd"
        );
        qz.show(1, T0).unwrap();
        qz.submit(1, 1, Submission::Choice(vec![1]), 0, T0).unwrap();
        qz.submit(3, 1, Submission::Choice(vec![1]), 0, T0).unwrap();
        let out = qz.close(CloseReason::Deadline).unwrap();
        // Member 1: second correct in a row earns the streak bonus.
        assert_eq!(
            out.results[&1],
            MemberResult {
                correct: true,
                partial: false,
                points: 1100,
                streak: 2
            }
        );
        assert_eq!(out.results[&3].points, 1000);
        assert_eq!(qz.score(2).streak, 0, "no answer breaks the streak");
        assert_eq!(qz.next_step(), Ok(Step::Leaderboard));
        qz.show_leaderboard().unwrap();
        assert_eq!(qz.next_step(), Ok(Step::Question(2)));
        qz.show(2, T0).unwrap();
        qz.submit(1, 2, Submission::Choice(vec![1]), 0, T0).unwrap();
        let out = qz.close(CloseReason::Host).unwrap();
        assert_eq!(
            out.results[&1],
            MemberResult {
                correct: false,
                partial: false,
                points: 0,
                streak: 2
            },
            "polls keep streaks"
        );
        assert_eq!(out.distribution, vec![0, 1]);
        qz.show(3, T0).unwrap();
        qz.submit(2, 3, Submission::Text("Ha Noi".into()), 0, T0)
            .unwrap();
        qz.submit(3, 3, Submission::Text("Huế".into()), 100, T0)
            .unwrap();
        qz.submit(1, 3, Submission::Text("hue".into()), 200, T0)
            .unwrap();
        let out = qz.close(CloseReason::Host).unwrap();
        assert_eq!(out.distribution, vec![1, 2]);
        assert_eq!(out.typed_top[0], ("Huế".to_string(), 2));
        assert_eq!(qz.next_step(), Ok(Step::Podium));
        qz.finish();
        let ranking = qz.ranking([1, 2, 3, 4].into_iter());
        // 1: 1000 + 1100 = 2100; 3: 0 + 1000 = 1000; 2: 750 + 1000 = 1750; 4: 0.
        assert_eq!(
            ranking,
            vec![(1, 1, 2100), (2, 2, 1750), (3, 3, 1000), (4, 4, 0)]
        );
    }

    #[test]
    fn ties_share_a_rank() {
        let mut qz = quiz(vec![q(Kind::Single, &["a", "b"], &[0], &[])]);
        qz.show(0, T0).unwrap();
        for m in [5, 6] {
            qz.submit(m, 0, Submission::Choice(vec![0]), 0, T0).unwrap();
        }
        qz.close(CloseReason::Host).unwrap();
        assert_eq!(
            qz.ranking([7, 6, 5].into_iter()),
            vec![(1, 5, 1000), (1, 6, 1000), (3, 7, 0)]
        );
    }

    #[test]
    fn skip_scores_nothing_and_moves_on() {
        let mut qz = quiz(vec![
            q(Kind::Single, &["a", "b"], &[0], &[]),
            q(Kind::Single, &["a", "b"], &[0], &[]),
        ]);
        qz.show(0, T0).unwrap();
        qz.submit(1, 0, Submission::Choice(vec![0]), 0, T0).unwrap();
        qz.skip().unwrap();
        assert_eq!(qz.score(1).total, 0);
        assert_eq!(qz.next_step(), Ok(Step::Question(1)));
        assert!(qz.skip().is_err());
    }

    #[test]
    fn time_while_down_does_not_count() {
        // 20 s to answer after 3 s of reading; the server dies 8 s after
        // answers opened (12 s left) and is back a minute later.
        let mut qz = quiz(vec![Question {
            reading_s: 3,
            ..q(Kind::Single, &["a", "b"], &[1], &[])
        }]);
        qz.show(0, T0).unwrap();
        qz.submit(1, 0, Submission::Choice(vec![1]), 2_000, T0 + 5_000)
            .unwrap();
        let down = T0 + 11_000;
        let back = down + 60_000;
        let resume = back + 5_000;
        assert!(qz.resume(down, resume));
        let r = qz.round().unwrap();
        assert_eq!(r.deadline - resume, 12_000, "the time it had left");
        assert_eq!(resume - r.opens_at, 8_000, "the time already used");
        // During the "Tiếp tục" countdown answers wait.
        assert!(!qz.is_open(back));
        assert_eq!(
            qz.submit(2, 0, Submission::Choice(vec![1]), 0, resume - 1),
            Err(QuizError::NotOpenYet)
        );
        assert!(!qz.deadline_passed(resume + 12_000));
        qz.submit(2, 0, Submission::Choice(vec![1]), 9_000, resume + 1_000)
            .unwrap();
        assert!(qz.deadline_passed(resume + 12_001));
        let out = qz.close(CloseReason::Deadline).unwrap();
        assert_eq!(out.answered, 2, "the answer before the crash is kept");
    }

    #[test]
    fn down_during_reading_time_keeps_the_reading_time_left() {
        let mut qz = quiz(vec![Question {
            reading_s: 5,
            ..q(Kind::Single, &["a", "b"], &[1], &[])
        }]);
        qz.show(0, T0).unwrap();
        assert!(qz.resume(T0 + 2_000, T0 + 100_000));
        let r = qz.round().unwrap();
        assert_eq!(r.opens_at, T0 + 103_000);
        assert_eq!(r.deadline, T0 + 123_000);
    }

    #[test]
    fn a_deadline_passed_before_the_crash_is_not_resumed() {
        let mut qz = quiz(vec![q(Kind::Single, &["a", "b"], &[1], &[])]);
        assert!(!qz.resume(T0, T0 + 5_000), "nothing open");
        qz.show(0, T0).unwrap();
        assert!(!qz.resume(T0 + 20_001, T0 + 90_000));
        assert!(qz.deadline_passed(T0 + 90_000));
    }

    #[test]
    fn reask_clears_answers_takes_points_back_and_goes_on() {
        let mut qz = quiz(vec![
            q(Kind::Single, &["a", "b"], &[0], &[]),
            q(Kind::Single, &["a", "b"], &[0], &[]),
            q(Kind::Single, &["a", "b"], &[0], &[]),
        ]);
        assert_eq!(qz.reask(1, T0), Err(QuizError::NeverAsked(1)));
        assert_eq!(qz.reask(7, T0), Err(QuizError::NoSuchQuestion(7)));
        qz.show(0, T0).unwrap();
        qz.submit(1, 0, Submission::Choice(vec![0]), 0, T0).unwrap();
        qz.close(CloseReason::AllAnswered).unwrap();
        qz.show(1, T0).unwrap();
        qz.submit(1, 1, Submission::Choice(vec![0]), 0, T0).unwrap();
        qz.submit(2, 1, Submission::Choice(vec![0]), 0, T0).unwrap();
        // Asking question 0 while question 1 is open is refused.
        assert!(matches!(qz.reask(0, T0), Err(QuizError::WrongPhase(_))));
        // The open question itself: answers cleared, a fresh timer.
        qz.reask(1, T0 + 50_000).unwrap();
        let r = qz.round().unwrap();
        assert!(r.answers.is_empty());
        assert_eq!(r.deadline, T0 + 70_000);
        qz.submit(2, 1, Submission::Choice(vec![0]), 0, T0 + 50_000)
            .unwrap();
        qz.close(CloseReason::Host).unwrap();
        assert_eq!(qz.score(1).total, 1000);
        assert_eq!(qz.score(2).total, 1000);
        // A closed question asked again takes back what it gave.
        qz.reask(0, T0 + 90_000).unwrap();
        assert_eq!(qz.score(1).total, 0);
        assert_eq!(qz.score(1).correct, 0);
        qz.submit(2, 0, Submission::Choice(vec![0]), 0, T0 + 90_000)
            .unwrap();
        qz.close(CloseReason::Host).unwrap();
        assert_eq!(qz.score(2).total, 2000);
        // "next" goes on after the furthest question, not after the re-asked one.
        assert_eq!(qz.next_step(), Ok(Step::Leaderboard));
        qz.show_leaderboard().unwrap();
        assert_eq!(qz.next_step(), Ok(Step::Question(2)));
        qz.finish();
        qz.reask(2, T0).unwrap_err();
        // Asked again after the podium, the quiz goes on from the furthest one.
        qz.reask(1, T0 + 200_000).unwrap();
        qz.close(CloseReason::Host).unwrap();
        qz.show_leaderboard().unwrap();
        assert_eq!(qz.next_step(), Ok(Step::Question(2)));
    }

    #[test]
    fn members_who_answered_a_skipped_question_are_told() {
        let mut qz = quiz(vec![
            q(Kind::Single, &["a", "b"], &[0], &[]),
            q(Kind::Single, &["a", "b"], &[0], &[]),
        ]);
        qz.show(0, T0).unwrap();
        qz.submit(1, 0, Submission::Choice(vec![0]), 0, T0).unwrap();
        qz.skip().unwrap();
        assert_eq!(qz.skipped_for(1), Some(0));
        assert_eq!(qz.skipped_for(2), None);
        qz.show(1, T0).unwrap();
        assert_eq!(
            qz.skipped_for(1),
            Some(0),
            "still told on the next question"
        );
        qz.close(CloseReason::Host).unwrap();
        assert_eq!(qz.skipped_for(1), None);
    }
}

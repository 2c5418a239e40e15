//! Builds the wire views of a meeting for each role.
//!
//! This is the one place that decides what leaves the server. The correct
//! answer is read from the question only in `reveal_view` (reached only once
//! the question is closed) and `answer_key` (host only).

use super::state::{MeetingState, Ranking};
use crate::protocol::*;
use crate::quiz::{MemberId, Millis, Phase, Submission};

/// Rows on the projector's leaderboard.
pub const LEADERBOARD_ROWS: usize = 10;

pub fn phase_name(s: &MeetingState) -> PhaseName {
    if s.ended {
        return PhaseName::Ended;
    }
    match s.quiz.phase() {
        Phase::NotStarted => PhaseName::Lobby,
        Phase::Question => PhaseName::Question,
        Phase::Reveal => PhaseName::Reveal,
        Phase::Leaderboard => PhaseName::Leaderboard,
        Phase::Podium => PhaseName::Podium,
    }
}

fn question_view(s: &MeetingState, now: Millis) -> Option<QuestionView> {
    let r = s.quiz.round()?;
    if !matches!(s.quiz.phase(), Phase::Question | Phase::Reveal) {
        return None;
    }
    let q = &s.quiz.questions()[r.index];
    let open = s.quiz.phase() == Phase::Question && r.outcome.is_none();
    Some(QuestionView {
        index: r.index,
        count: s.quiz.questions().len(),
        kind: q.kind,
        text: q.text.clone(),
        options: q.options.clone(),
        points: q.points,
        time_limit_ms: u64::from(q.time_limit_s) * 1000,
        opens_in_ms: if open {
            r.opens_at.saturating_sub(now)
        } else {
            0
        },
        closes_in_ms: if open {
            r.deadline.saturating_sub(now)
        } else {
            0
        },
    })
}

fn reveal_view(s: &MeetingState) -> Option<RevealView> {
    let r = s.quiz.round()?;
    let out = r.outcome.as_ref()?;
    if s.quiz.phase() != Phase::Reveal {
        return None;
    }
    let q = &s.quiz.questions()[r.index];
    Some(RevealView {
        reason: out.reason,
        correct: q.correct.clone(),
        answers: q.answers.clone(),
        distribution: out.distribution.clone(),
        typed_top: out
            .typed_top
            .iter()
            .map(|(text, count)| TypedCount {
                text: text.clone(),
                count: *count,
            })
            .collect(),
        answered: out.answered,
        correct_count: out.correct_count,
        explanation: q.explanation.clone(),
        source: q.source.clone(),
    })
}

fn leaderboard(s: &MeetingState, ranking: &Ranking) -> Option<Vec<RankRow>> {
    if !matches!(s.quiz.phase(), Phase::Leaderboard | Phase::Podium) {
        return None;
    }
    Some(
        ranking
            .rows
            .iter()
            .take(LEADERBOARD_ROWS)
            .filter_map(|&(rank, id, score)| {
                Some(RankRow {
                    rank,
                    id,
                    name: s.member(id)?.name.clone(),
                    score,
                })
            })
            .collect(),
    )
}

/// The state as `role` may see it at `now`.
pub fn state_view(
    s: &MeetingState,
    meeting: &MeetingInfo,
    role: Role,
    ranking: &Ranking,
    now: Millis,
) -> StateView {
    let answer_key = (role == Role::Host)
        .then(|| s.quiz.current_question())
        .flatten()
        .map(|q| AnswerKey {
            correct: q.correct.clone(),
            answers: q.answers.clone(),
        });
    StateView {
        phase: phase_name(s),
        meeting: meeting.clone(),
        bank_title: s.config.bank.title.clone(),
        question_count: s.quiz.questions().len(),
        question: question_view(s, now),
        reveal: reveal_view(s),
        leaderboard: leaderboard(s, ranking),
        answer_key,
    }
}

/// The member's own view.
pub fn me_view(s: &MeetingState, member: MemberId, ranking: &Ranking) -> Option<MeView> {
    let m = s.member(member)?;
    let round = s.quiz.round();
    let answer = round.and_then(|r| {
        let a = r.answers.get(&member)?;
        let (choice, text) = match &a.submission {
            Submission::Choice(c) => (Some(c.clone()), None),
            Submission::Text(t) => (None, Some(t.clone())),
        };
        Some(MyAnswer {
            question: r.index,
            choice,
            text,
        })
    });
    let result = round.and_then(|r| {
        let res = r.outcome.as_ref()?.results.get(&member)?;
        Some(MyResult {
            question: r.index,
            correct: res.correct,
            partial: res.partial,
            points: res.points,
            streak: res.streak,
        })
    });
    Some(MeView {
        id: member,
        name: m.name.clone(),
        score: s.quiz.score(member).total,
        rank: ranking.rank_of.get(&member).copied().unwrap_or(0),
        of: ranking.rows.len() as u32,
        answer,
        result,
    })
}

/// The host's member list.
pub fn member_rows(s: &MeetingState, connected: impl Fn(MemberId) -> bool) -> Vec<MemberRow> {
    let answers = s
        .quiz
        .round()
        .filter(|_| s.quiz.phase() == Phase::Question)
        .map(|r| &r.answers);
    s.active_members()
        .map(|m| MemberRow {
            id: m.id,
            name: m.name.clone(),
            score: s.quiz.score(m.id).total,
            connected: connected(m.id),
            answered: answers.is_some_and(|a| a.contains_key(&m.id)),
        })
        .collect()
}

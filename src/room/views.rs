//! Builds the wire views of a meeting for each role.
//!
//! This is the one place that decides what leaves the server. The correct
//! answer is read from the question only in `reveal_view` (reached only once
//! the question is closed) and `answer_key` (host only).

use super::state::{MeetingState, Ranking};
use crate::protocol::*;
use crate::quiz::{MemberId, Millis, Phase, Submission};
use crate::vote::attendance::NotEligible;
use crate::vote::{Ballot, Motion, Status as MotionStatus};

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
            r.opens_at
                .max(r.resumes_at.unwrap_or(0))
                .saturating_sub(now)
        } else {
            0
        },
        resumes_in_ms: if open {
            r.resumes_at.unwrap_or(0).saturating_sub(now)
        } else {
            0
        },
        reasked: s.reasked.iter().filter(|(q, _)| *q == r.index).count() as u32,
        numeric: q.kind == crate::bank::Kind::Typed
            && !q.answers.is_empty()
            && q.answers.iter().all(|a| {
                let a = a.trim().replace(',', ".");
                !a.is_empty() && a.parse::<f64>().is_ok()
            }),
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
        source: q.source_display(),
    })
}

fn leaderboard(s: &MeetingState, ranking: &Ranking) -> Option<Vec<RankRow>> {
    if s.ended || !matches!(s.quiz.phase(), Phase::Leaderboard | Phase::Podium) {
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
    let host = role == Role::Host;
    let answer_key = (role == Role::Host)
        .then(|| s.quiz.current_question())
        .flatten()
        .map(|q| {
            let (source, source_url) = q.source_parts();
            AnswerKey {
                correct: q.correct.clone(),
                answers: q.answers.clone(),
                source: source.to_string(),
                source_url: source_url.to_string(),
            }
        });
    StateView {
        phase: phase_name(s),
        meeting: meeting.clone(),
        bank_title: s.config.bank.title.clone(),
        question_count: s.quiz.questions().len(),
        choice: host.then(|| s.config.choice.clone()),
        question: question_view(s, now),
        reveal: reveal_view(s),
        leaderboard: leaderboard(s, ranking),
        answer_key,
        next: if host && !s.ended {
            s.quiz.next_step().ok().map(|step| match step {
                crate::quiz::Step::Question(_) => "question",
                crate::quiz::Step::Leaderboard => "leaderboard",
                crate::quiz::Step::Podium => "podium",
            })
        } else {
            None
        },
        motion: s
            .shown_motion
            .and_then(|id| s.motion(id))
            .map(|m| motion_view(s, m, host)),
        motions: host.then(|| {
            s.motions
                .iter()
                .flatten()
                .map(|m| motion_view(s, m, true))
                .collect()
        }),
        roster: s.has_roster(),
        allow_guests: s.settings.allow_guests,
        exclude_excused: s.settings.exclude_excused,
        congress: s.settings.congress,
        agenda: super::meeting::agenda_view(s, now),
        opinions: super::meeting::opinions_view(s, host),
        evaluation: super::meeting::evaluation_view(s, role, now),
        screen: s.activities.screen,
        approve_members: s.settings.approve_members,
        wording: s.settings.wording,
    }
}

fn name_of(s: &MeetingState, id: MemberId) -> String {
    s.members
        .get(id as usize - 1)
        .map(|m| m.name.clone())
        .unwrap_or_default()
}

/// A motion for members and the projector, or (with `host`) for the host.
pub fn motion_view(s: &MeetingState, m: &Motion, host: bool) -> MotionView {
    let result = m.result.as_ref().map(|r| {
        let base = match (&r.outcome, &r.election, &r.discipline) {
            (Some(o), _, _) => o.base_size,
            (_, Some(e), _) => e.base,
            (_, _, Some(d)) => d.base,
            _ => r.voted,
        };
        let pct = |n: u32| {
            if base == 0 {
                0.0
            } else {
                (f64::from(n) * 1000.0 / f64::from(base)).round() / 10.0
            }
        };
        MotionResultView {
            counts: r.counts.clone(),
            voted: r.voted,
            percent_of_base: r.counts.iter().map(|&n| pct(n)).collect(),
            convened: r.at_close.convened.max(r.at_open.convened),
            present_at_open: r.at_open.present,
            present_at_close: r.at_close.present,
            decision: r
                .outcome
                .as_ref()
                .map(|o| if o.passed { "passed" } else { "not_passed" }),
            outcome: r.outcome,
            reservations: m.reservations.len() as u32,
            blank: r.blank,
            invalid: r.invalid,
            election: r.election.clone(),
            discipline: r.discipline.clone(),
        }
    });
    let voters = (m.spec.ballot == Ballot::Open && (host || m.spec.show_voters)).then(|| {
        let mut v: Vec<VoterRow> = m
            .ballots
            .choices()
            .map(|(id, option)| VoterRow {
                id,
                name: name_of(s, id),
                option,
            })
            .collect();
        v.sort_by_key(|r| r.id);
        v
    });
    MotionView {
        id: m.id,
        text: m.spec.text.clone(),
        options: m.spec.options.clone(),
        kind: m.spec.kind,
        seats: m.spec.seats,
        expulsion_first: m.spec.expulsion_first,
        ballot: m.spec.ballot,
        status: m.status,
        decide: m.spec.decide,
        rule: m.spec.rule,
        approve: m.spec.approve,
        abstain: m.spec.abstain,
        live_tally: m.spec.live_tally,
        changes_allowed: m.spec.changes_allowed,
        show_voters: m.spec.show_voters,
        // Shown whenever counts are: after the close, to the host, or live
        // on an open ballot with a live tally.
        hand_counts: m.hand.clone().filter(|_| {
            m.result.is_some() || host || (m.spec.ballot == Ballot::Open && m.spec.live_tally)
        }),
        result,
        voters,
        reservations: host.then(|| {
            m.reservations
                .iter()
                .map(|(id, text)| ReservationRow {
                    id: *id,
                    name: name_of(s, *id),
                    text: text.clone(),
                })
                .collect()
        }),
        template: if host { m.spec.template } else { None },
    }
}

/// The member's part in the motion on show.
fn my_vote(
    s: &MeetingState,
    member: MemberId,
    eligible: Result<(), NotEligible>,
) -> Option<MyVote> {
    let m = s.motion(s.shown_motion?)?;
    Some(MyVote {
        motion: m.id,
        eligible: eligible.is_ok(),
        reason: eligible.err(),
        voted: m.ballots.contains(member),
        option: m.ballots.choice(member),
        reserved: m.reservations.iter().any(|r| r.0 == member),
        may_reserve: m.check_reservation(member).is_ok(),
    })
}

/// Counters for the projector (`host: false`) or the host.
pub fn live_view(s: &MeetingState, connected: u32, recent: Vec<String>, host: bool) -> LiveView {
    let attendance = s.attendance();
    let vote = s.open_motion().map(|m| {
        // Never on a secret ballot: counts rising as members tap would link
        // them to their choices.
        let show = m.spec.ballot == Ballot::Open && (m.spec.live_tally || host);
        VoteLive {
            motion: m.id,
            voted: m.ballots.len() as u32,
            eligible_present: attendance.eligible_present,
            counts: show.then(|| m.counts.clone()),
        }
    });
    LiveView {
        joined: s.active_count(),
        connected,
        recent,
        answered: s
            .quiz
            .round()
            .filter(|_| s.quiz.phase() == Phase::Question)
            .map_or(0, |r| r.answers.len() as u32),
        attendance,
        vote,
        congress: s.congress_quorum(),
    }
}

/// The host's roster table.
pub fn roster_rows(s: &MeetingState) -> Vec<RosterRowView> {
    s.roster
        .iter()
        .map(|r| RosterRowView {
            code: r.entry.code.clone(),
            name: r.entry.name.clone(),
            status: r.entry.status,
            group: r.entry.group.clone(),
            excused: r.excused,
            present: r.by_hand || r.member.is_some_and(|m| s.is_present(m)),
            by_hand: r.by_hand,
            member: r.member.filter(|&m| s.member(m).is_some()),
        })
        .collect()
}

/// The member's own view.
pub fn me_view(s: &MeetingState, member: MemberId, ranking: &Ranking) -> Option<MeView> {
    let m = s.member(member)?;
    // Whether this member may vote, worked out once per frame.
    let eligible = s.may_vote(member);
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
        rank: ranking.rank(member),
        of: s.active_count(),
        answer,
        result,
        status: s.roster_status(member),
        present: !m.left,
        eligible: eligible.is_ok(),
        reason: eligible.err(),
        vote: my_vote(s, member, eligible),
        skipped: s.quiz.skipped_for(member),
        played: s.quiz.played(member),
        checked_in_at: m.roster.as_ref().map(|_| m.joined_at),
        activities: super::meeting::my_activities(s, member),
    })
}

/// While a secret ballot is open or shown: eligible members present who
/// have not voted (the host's "still to vote" list), in member order.
pub fn not_voted(s: &MeetingState) -> Option<Vec<MemberId>> {
    let motion = s
        .open_motion()
        .or_else(|| s.shown_motion.and_then(|id| s.motion(id)))
        .filter(|m| m.status != MotionStatus::Draft && m.spec.ballot == Ballot::Secret)?;
    Some(
        s.active_members()
            .filter(|m| !motion.ballots.contains(m.id) && s.may_vote(m.id).is_ok())
            .map(|m| m.id)
            .collect(),
    )
}

/// The host's member list.
pub fn member_rows(s: &MeetingState, connected: impl Fn(MemberId) -> bool) -> Vec<MemberRow> {
    let answers = s
        .quiz
        .round()
        .filter(|_| s.quiz.phase() == Phase::Question)
        .map(|r| &r.answers);
    let motion = s
        .open_motion()
        .or_else(|| s.shown_motion.and_then(|id| s.motion(id)))
        .filter(|m| m.status != MotionStatus::Draft);
    s.active_members()
        .map(|m| MemberRow {
            id: m.id,
            name: m.name.clone(),
            score: s.quiz.score(m.id).total,
            connected: connected(m.id),
            answered: answers.is_some_and(|a| a.contains_key(&m.id)),
            code: m.roster.clone(),
            status: s.roster_status(m.id),
            present: !m.left,
            voted: match motion {
                Some(x) if x.spec.ballot == Ballot::Secret => None,
                x => Some(x.is_some_and(|x| x.ballots.contains(m.id))),
            },
            // Only open ballots keep a choice.
            choice: motion.and_then(|x| x.ballots.choice(m.id)),
            pending: m.pending,
        })
        .collect()
}

/// Guests whose name is exactly one free roster entry's name, ignoring case,
/// spaces and diacritics (and that no other guest also matches): offered to
/// the host as one list to confirm, e.g. after a roster imported late.
pub fn name_matches(s: &MeetingState) -> Vec<NameMatch> {
    if !s.has_roster() {
        return Vec::new();
    }
    let key = |n: &str| crate::text::fold(n).replace(' ', "");
    let free: Vec<_> = s
        .roster
        .iter()
        .filter(|r| r.member.is_none_or(|m| s.member(m).is_none()))
        .collect();
    let guests: Vec<_> = s.active_members().filter(|m| m.roster.is_none()).collect();
    let mut out = Vec::new();
    for g in &guests {
        let k = key(&g.name);
        let mut entries = free.iter().filter(|r| key(&r.entry.name) == k);
        let (Some(r), None) = (entries.next(), entries.next()) else {
            continue;
        };
        if guests.iter().filter(|o| key(&o.name) == k).count() != 1 {
            continue;
        }
        out.push(NameMatch {
            member: g.id,
            name: g.name.clone(),
            code: r.entry.code.clone(),
            roster_name: r.entry.name.clone(),
        });
    }
    out
}

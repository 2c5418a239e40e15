//! The meeting's record: minutes (biên bản) and exports.
//!
//! A record is built by replaying a meeting's stored events through the
//! same `MeetingState::apply` the room uses, so a running meeting (its
//! committed events: a snapshot), an ended one still in memory and one
//! ended before the last restart all give the same record. The replay also
//! keeps every closed quiz round, which the live state forgets.
//!
//! Nothing here reads more than the host's views show: a secret ballot
//! gives counts only (its events never hold choices) and an anonymous
//! opinion no author.

pub mod export;
pub mod routes;

use serde::{Deserialize, Serialize};

use crate::meeting::opinions;
use crate::protocol::{AgendaView, EvaluationView, MeetingInfo, MotionView, OpinionView, Role};
use crate::quiz::{Millis, Phase, Round, Submission};
use crate::room::event::Event;
use crate::room::state::MeetingState;
use crate::room::views::motion_view;
use crate::store::Loaded;
use crate::vote::attendance::Attendance;

/// Longest text of one field of the minutes' details.
pub const MAX_DETAIL_CHARS: usize = 200;

/// What the secretary sets in the console before printing: the heading's
/// organisations, the place, who chaired and who took the minutes. Stored
/// as an event (`Event::MinutesSet`), so it is durable and replayed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Details {
    /// The Party committee above the cell (ĐẢNG BỘ …), or the organisation.
    pub committee: String,
    /// The cell (CHI BỘ …), or the unit holding the meeting.
    pub cell: String,
    pub place: String,
    pub chair: String,
    pub secretary: String,
    /// Guests attending (khách mời), as written.
    pub guests: String,
    /// Topical meeting (chuyên đề): its subject.
    pub topic: String,
    /// Members who approved the minutes when read out; none until known.
    pub approved: Option<u32>,
    /// Why roster members were absent: member code → reason.
    pub reasons: std::collections::BTreeMap<String, String>,
}

/// Most absence reasons the details hold.
pub const MAX_REASONS: usize = 2000;

impl Details {
    /// Trims and checks every field; an error names the field.
    pub fn clean(mut self) -> Result<Details, String> {
        for (name, field) in [
            ("committee", &mut self.committee),
            ("cell", &mut self.cell),
            ("place", &mut self.place),
            ("chair", &mut self.chair),
            ("secretary", &mut self.secretary),
            ("guests", &mut self.guests),
            ("topic", &mut self.topic),
        ] {
            *field = crate::text::collapse(field);
            if field.chars().count() > MAX_DETAIL_CHARS {
                return Err(format!("{name}: at most {MAX_DETAIL_CHARS} characters"));
            }
            if field.chars().any(char::is_control) {
                return Err(format!("{name}: no control characters"));
            }
        }
        if self.reasons.len() > MAX_REASONS {
            return Err(format!("reasons: at most {MAX_REASONS}"));
        }
        let mut reasons = std::collections::BTreeMap::new();
        for (code, reason) in std::mem::take(&mut self.reasons) {
            let (code, reason) = (crate::text::collapse(&code), crate::text::collapse(&reason));
            if code.chars().count() > 64 || reason.chars().count() > MAX_DETAIL_CHARS {
                return Err(format!(
                    "reasons: a member code has at most 64 characters, a reason {MAX_DETAIL_CHARS}"
                ));
            }
            if code.chars().chain(reason.chars()).any(char::is_control) {
                return Err("reasons: no control characters".into());
            }
            if !code.is_empty() && !reason.is_empty() {
                reasons.insert(code, reason);
            }
        }
        self.reasons = reasons;
        Ok(self)
    }
}

/// Where the meeting is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingStatus {
    /// Nothing started yet.
    Waiting,
    InProgress,
    Ended,
}

/// One roster entry with its attendance.
#[derive(Clone, Debug, Serialize)]
pub struct RosterRow {
    pub code: String,
    pub name: String,
    pub status: crate::roster::Status,
    pub status_vi: &'static str,
    pub group: Option<String>,
    pub present: bool,
    /// Absent with a reason approved by the host.
    pub excused: bool,
    /// The reason of an absence, as the secretary wrote it.
    pub reason: Option<String>,
}

/// Someone who joined.
#[derive(Clone, Debug, Serialize)]
pub struct MemberRow {
    pub id: u32,
    pub name: String,
    pub joined_at: Millis,
    pub present: bool,
    /// Member code of their roster entry; none for a guest.
    pub code: Option<String>,
}

/// A question played.
#[derive(Clone, Debug, Serialize)]
pub struct QuestionRow {
    /// 1-based, as shown.
    pub number: usize,
    pub text: String,
    pub kind: crate::bank::Kind,
    pub options: Vec<String>,
    /// The correct options' texts, or a typed question's accepted answers.
    pub correct: Vec<String>,
    pub answered: u32,
    pub correct_count: u32,
    pub shown_at: Millis,
    /// The question's source label and web address (either may be empty).
    pub source: String,
    pub source_url: String,
}

/// One member's answer to one question (Kahoot!'s report row).
#[derive(Clone, Debug, Serialize)]
pub struct AnswerRow {
    pub question: usize,
    pub member: u32,
    pub name: String,
    /// What they chose or typed; empty when they did not answer.
    pub answer: String,
    pub answered: bool,
    pub correct: bool,
    pub points: u32,
    /// Answer time in milliseconds, corrected for network delay.
    pub time_ms: Option<u32>,
    /// Their total after this question.
    pub total: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct RankingRow {
    pub rank: u32,
    pub member: u32,
    pub name: String,
    pub score: u64,
    pub correct: u32,
}

/// The quiz's part of the record; absent when no question was played.
#[derive(Clone, Debug, Serialize)]
pub struct QuizRecord {
    pub bank: String,
    /// Which questions of the bank the meeting asked (`choice::Choice`).
    pub choice: crate::choice::Choice,
    pub questions: Vec<QuestionRow>,
    pub answers: Vec<AnswerRow>,
    pub ranking: Vec<RankingRow>,
    /// Members who answered at least one question.
    pub participants: u32,
}

/// Everything the minutes and the exports show.
#[derive(Clone, Debug, Serialize)]
pub struct Record {
    pub pin: String,
    pub title: String,
    pub language: String,
    pub status: MeetingStatus,
    pub created_at: Millis,
    pub ended_at: Option<Millis>,
    /// When this record was made (a running meeting's snapshot).
    pub snapshot_at: Millis,
    pub details: Details,
    /// A Party meeting: Party headings and "đồng chí".
    pub party: bool,
    pub attendance: Attendance,
    pub roster: Vec<RosterRow>,
    pub members: Vec<MemberRow>,
    /// Present and not on the roster (when there is one).
    pub guests: Vec<String>,
    /// Absent when no agenda was set.
    pub agenda: Option<AgendaView>,
    /// Opinions on the wall (moderated-away ones are left out).
    pub opinions: Vec<OpinionView>,
    pub motions: Vec<MotionView>,
    pub quiz: Option<QuizRecord>,
    pub evaluation: Option<EvaluationView>,
}

/// Builds the record of a stored meeting as of `now`.
pub fn build(loaded: &Loaded, info: &MeetingInfo, ended_at: Option<Millis>, now: Millis) -> Record {
    let mut s = MeetingState::new(loaded.config.clone());
    s.preload_secret_counts(&loaded.secret_counts);
    let mut details = Details::default();
    let mut rounds: Vec<Round> = Vec::new();
    let mut started = false;
    for env in &loaded.events {
        if let Event::MinutesSet { details: d } = &env.event {
            details = d.clone();
            continue;
        }
        if s.apply(env).is_err() {
            s.seq = env.seq;
            continue;
        }
        match &env.event {
            Event::Closed { .. } => rounds.extend(s.quiz.round().cloned()),
            Event::Shown { .. } | Event::MotionOpened { .. } | Event::Ended => started = true,
            Event::Meeting(crate::room::meeting::MeetingEvent::Opened) => started = true,
            _ => {}
        }
    }
    let status = if s.ended {
        MeetingStatus::Ended
    } else if started || s.quiz.phase() != Phase::NotStarted {
        MeetingStatus::InProgress
    } else {
        MeetingStatus::Waiting
    };
    let at = ended_at.unwrap_or(now);
    let roster = s
        .roster
        .iter()
        .map(|r| RosterRow {
            code: r.entry.code.clone(),
            name: r.entry.name.clone(),
            status: r.entry.status,
            status_vi: r
                .entry
                .status
                .label_vi_worded(s.settings.wording.is_party()),
            group: r.entry.group.clone(),
            present: r.member.is_some_and(|m| s.is_present(m)),
            excused: r.excused,
            reason: details.reasons.get(&r.entry.code).cloned(),
        })
        .collect();
    let members: Vec<MemberRow> = s
        .active_members()
        .map(|m| MemberRow {
            id: m.id,
            name: m.name.clone(),
            joined_at: m.joined_at,
            present: !m.left,
            code: m.roster.clone(),
        })
        .collect();
    let guests = if s.has_roster() {
        members
            .iter()
            .filter(|m| m.code.is_none() && m.present)
            .map(|m| m.name.clone())
            .collect()
    } else {
        Vec::new()
    };
    let agenda_set =
        s.activities.agenda.template.is_some() || !s.activities.agenda.items.is_empty();
    let opinions = crate::room::meeting::opinions_view(&s, true)
        .list
        .into_iter()
        .filter(|o| o.status == opinions::Status::Shown)
        .collect();
    let motions = s
        .motions
        .iter()
        .flatten()
        .filter(|m| m.status != crate::vote::Status::Draft)
        .map(|m| motion_view(&s, m, true))
        .collect();
    let evaluation = crate::room::meeting::evaluation_view(&s, Role::Host, at)
        .filter(|e| e.status != crate::meeting::evaluation::EvalStatus::Draft);
    let quiz = quiz_record(&mut s, &rounds);
    Record {
        pin: info.pin.clone(),
        title: info.title.clone(),
        language: s.config.bank.language.clone(),
        status,
        created_at: s.config.created_at,
        ended_at,
        snapshot_at: now,
        details,
        party: s.settings.wording.is_party(),
        attendance: s.attendance(),
        roster,
        members,
        guests,
        agenda: agenda_set.then(|| crate::room::meeting::agenda_view(&s, at)),
        opinions,
        motions,
        quiz,
        evaluation,
    }
}

fn answer_text(q: &crate::bank::Question, sub: &Submission) -> String {
    match sub {
        Submission::Choice(v) => v
            .iter()
            .map(|&i| q.options.get(i).cloned().unwrap_or_else(|| i.to_string()))
            .collect::<Vec<_>>()
            .join("; "),
        Submission::Text(t) => t.clone(),
    }
}

fn quiz_record(s: &mut MeetingState, rounds: &[Round]) -> Option<QuizRecord> {
    if rounds.is_empty() {
        return None;
    }
    let questions = s.quiz.questions().to_vec();
    let members: Vec<(u32, String)> = s.active_members().map(|m| (m.id, m.name.clone())).collect();
    let mut totals: std::collections::HashMap<u32, u64> = Default::default();
    let mut participants = std::collections::HashSet::new();
    let mut qrows = Vec::new();
    let mut answers = Vec::new();
    for r in rounds {
        let q = &questions[r.index];
        let Some(out) = &r.outcome else { continue };
        let number = qrows.len() + 1;
        qrows.push(QuestionRow {
            number,
            text: q.text.clone(),
            kind: q.kind,
            options: q.options.clone(),
            correct: if q.kind == crate::bank::Kind::Typed {
                q.answers.clone()
            } else {
                q.correct
                    .iter()
                    .filter_map(|&i| q.options.get(i).cloned())
                    .collect()
            },
            answered: out.answered,
            correct_count: out.correct_count,
            shown_at: r.shown_at,
            source: q.source_parts().0.to_string(),
            source_url: q.source_parts().1.to_string(),
        });
        for (id, name) in &members {
            let a = r.answers.get(id);
            let res = out.results.get(id);
            let points = res.map_or(0, |x| x.points);
            let total = totals.entry(*id).or_default();
            *total += u64::from(points);
            if a.is_some() {
                participants.insert(*id);
            }
            answers.push(AnswerRow {
                question: number,
                member: *id,
                name: name.clone(),
                answer: a.map(|a| answer_text(q, &a.submission)).unwrap_or_default(),
                answered: a.is_some(),
                correct: res.is_some_and(|x| x.correct),
                points,
                time_ms: a.map(|a| a.elapsed_ms),
                total: *total,
            });
        }
    }
    let ranking = s
        .ranking()
        .rows
        .iter()
        .filter_map(|&(rank, id, score)| {
            Some(RankingRow {
                rank,
                member: id,
                name: s.member(id)?.name.clone(),
                score,
                correct: s.quiz.score(id).correct,
            })
        })
        .collect();
    Some(QuizRecord {
        bank: s.config.bank.title.clone(),
        choice: s.config.choice.clone(),
        questions: qrows,
        answers,
        ranking,
        participants: participants.len() as u32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_trimmed_and_checked_field_by_field() {
        let d = Details {
            cell: "  Chi bộ   khu phố 3 ".into(),
            reasons: [
                ("DV03".to_string(), " ốm ".to_string()),
                ("DV05".to_string(), "  ".to_string()),
            ]
            .into(),
            ..Details::default()
        }
        .clean()
        .unwrap();
        assert_eq!(d.cell, "Chi bộ khu phố 3");
        assert_eq!(d.reasons.len(), 1, "empty reasons are dropped");
        assert_eq!(d.reasons["DV03"], "ốm");

        let long = Details {
            place: "x".repeat(MAX_DETAIL_CHARS + 1),
            ..Details::default()
        };
        assert!(long.clean().unwrap_err().starts_with("place"));
        let control = Details {
            chair: "An\u{7}".into(),
            ..Details::default()
        };
        assert!(control.clean().unwrap_err().starts_with("chair"));
    }
}

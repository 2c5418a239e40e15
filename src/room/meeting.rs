//! Agenda, opinions and evaluation in a room: their events, the part of
//! `MeetingState::apply` that applies them, the commands that make them,
//! and their wire views. The rules live in the pure engines of
//! `crate::meeting`; this file only wires them to the actor.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::event::{By, Event};
use super::state::{MeetingState, Refusal};
use super::{Actor, Dirty};
use crate::meeting::agenda::{self, Agenda, AgendaTemplate, ItemSpec};
use crate::meeting::evaluation::{self, EvalStatus, Evaluation, Form, Mode};
use crate::meeting::opinions::{self, Action, Author, NewOpinion, OpinionId, Opinions};
use crate::meeting::{MeetingError, Screen};
use crate::protocol::*;
use crate::quiz::{MemberId, Millis};
use crate::vote::{MotionId, MotionSpec, Template};

/// The persisted events of the agenda, opinions and evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum MeetingEvent {
    AgendaSet {
        template: AgendaTemplate,
        /// Older records (and an `agenda_set` that names it): the meeting's
        /// wording, Party or neutral. Absent: the wording is left as it is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        party: Option<bool>,
        combined: bool,
        items: Vec<ItemSpec>,
    },
    /// The chair opened the meeting: the meeting clock starts.
    Opened,
    Closed,
    ItemStarted {
        item: usize,
    },
    ItemEnded {
        item: usize,
    },
    ItemConcluded {
        item: usize,
        text: String,
    },
    /// An opinion: from a named member, recorded against a speaker's name,
    /// or anonymous. An anonymous opinion's `sender` is held only while the
    /// event is applied live and is never serialised (like a secret
    /// ballot's choice), and its envelope carries neither member nor cid.
    OpinionPosted {
        opinion: OpinionId,
        item: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        member: Option<MemberId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        speaker: Option<String>,
        #[serde(skip)]
        sender: Option<MemberId>,
        text: String,
    },
    OpinionUpvoted {
        opinion: OpinionId,
        member: MemberId,
    },
    OpinionModerated {
        opinion: OpinionId,
        action: Action,
    },
    OpinionSettings {
        settings: opinions::Settings,
    },
    ScreenShown {
        screen: Option<Screen>,
    },
    EvaluationSet {
        form: Form,
        mode: Mode,
    },
    EvaluationOpened,
    EvaluationClosed,
    EvaluationScored {
        member: MemberId,
        scores: Vec<u32>,
    },
    /// The committee's proposal, put to the vote as `motion`.
    EvaluationProposed {
        scores: Vec<u32>,
        motion: MotionId,
    },
}

/// The room's agenda, opinions and evaluation.
#[derive(Default)]
pub struct Activities {
    pub agenda: Agenda,
    pub opinions: Opinions,
    pub evaluation: Evaluation,
    pub screen: Option<Screen>,
    /// (member, cid) of anonymous opinions applied since the server
    /// started, so a resend is acknowledged once (memory only: the store
    /// must not link a member to an anonymous opinion).
    anonymous_cids: HashSet<(MemberId, String)>,
}

impl From<MeetingError> for Refusal {
    fn from(e: MeetingError) -> Refusal {
        let code = match e {
            MeetingError::UnknownItem(_) => ErrorCode::UnknownItem,
            MeetingError::AgendaBusy(_) => ErrorCode::AgendaBusy,
            MeetingError::ItemNotRunning => ErrorCode::ItemNotRunning,
            MeetingError::InvalidAgenda(_) => ErrorCode::InvalidAgenda,
            MeetingError::WrongState(_) => ErrorCode::WrongPhase,
            MeetingError::Invalid(_) => ErrorCode::BadMessage,
            MeetingError::InvalidOpinion(_) => ErrorCode::InvalidOpinion,
            MeetingError::UnknownOpinion(_) => ErrorCode::UnknownOpinion,
            MeetingError::AlreadyUpvoted => ErrorCode::AlreadyUpvoted,
            MeetingError::OwnOpinion => ErrorCode::OwnOpinion,
            MeetingError::TooManyOpinions => ErrorCode::TooManyOpinions,
            MeetingError::InvalidEvaluation(_) => ErrorCode::InvalidEvaluation,
            MeetingError::EvaluationNotOpen => ErrorCode::EvaluationNotOpen,
            MeetingError::AlreadyScored => ErrorCode::AlreadyScored,
            MeetingError::ScoreOutOfRange(_) => ErrorCode::ScoreOutOfRange,
        };
        let params = match &e {
            MeetingError::InvalidAgenda(d)
            | MeetingError::InvalidOpinion(d)
            | MeetingError::InvalidEvaluation(d) => {
                Some(serde_json::json!({"problem": d.problem, "max": d.max}))
            }
            _ => None,
        };
        let r = Refusal::new(code, e.to_string());
        match params {
            Some(p) => r.with_params(p),
            None => r,
        }
    }
}

impl MeetingState {
    fn known_member(&self, member: MemberId) -> Result<(), Refusal> {
        match self.member(member) {
            Some(_) => Ok(()),
            None => Err(Refusal::new(ErrorCode::UnknownMember, "no such member")),
        }
    }

    /// The agenda, opinion and evaluation events.
    pub(super) fn apply_meeting(&mut self, e: &MeetingEvent, at: Millis) -> Result<(), Refusal> {
        match e {
            MeetingEvent::OpinionPosted {
                opinion,
                item,
                member,
                speaker,
                sender,
                text,
            } => {
                if self.activities.agenda.current() != Some(*item) {
                    return Err(MeetingError::ItemNotRunning.into());
                }
                let author = match (member, speaker) {
                    (Some(m), _) => {
                        self.known_member(*m)?;
                        Author::Member(*m)
                    }
                    (None, Some(name)) => Author::Spoken(name.clone()),
                    (None, None) => Author::Anonymous,
                };
                let new = NewOpinion {
                    id: *opinion,
                    item: *item,
                    author,
                    sender: *sender,
                    text,
                };
                self.activities.opinions.post(new, at)?;
            }
            MeetingEvent::OpinionUpvoted { opinion, member } => {
                self.known_member(*member)?;
                self.activities.opinions.upvote(*opinion, *member)?;
            }
            MeetingEvent::EvaluationScored { member, scores } => {
                self.may_vote(*member)
                    .map_err(super::voting::not_eligible)?;
                self.activities.evaluation.score(*member, scores)?;
            }
            MeetingEvent::EvaluationProposed { scores, motion } => {
                if self.motion(*motion).is_none() {
                    return Err(crate::vote::VoteError::UnknownMotion(*motion).into());
                }
                self.activities.evaluation.propose(scores, *motion)?;
            }
            other => {
                apply_plain(&mut self.activities, other, at)?;
                if let MeetingEvent::AgendaSet {
                    party: Some(party), ..
                } = other
                {
                    self.settings.wording = if *party {
                        crate::meeting::Wording::Party
                    } else {
                        crate::meeting::Wording::Neutral
                    };
                }
            }
        }
        Ok(())
    }
}

/// Events that need nothing of the meeting but its activities.
fn apply_plain(a: &mut Activities, e: &MeetingEvent, at: Millis) -> Result<(), MeetingError> {
    match e {
        MeetingEvent::AgendaSet {
            template,
            combined,
            items,
            ..
        } => a.agenda.set(*template, *combined, items),
        MeetingEvent::Opened => a.agenda.open(at),
        MeetingEvent::Closed => a.agenda.close(at),
        MeetingEvent::ItemStarted { item } => a.agenda.start(*item, at),
        MeetingEvent::ItemEnded { item } => a.agenda.end(*item, at),
        MeetingEvent::ItemConcluded { item, text } => a.agenda.conclude(*item, text),
        MeetingEvent::OpinionModerated { opinion, action } => {
            a.opinions.moderate(*opinion, *action)
        }
        MeetingEvent::OpinionSettings { settings } => {
            a.opinions.settings = *settings;
            Ok(())
        }
        MeetingEvent::ScreenShown { screen } => {
            a.screen = *screen;
            Ok(())
        }
        MeetingEvent::EvaluationSet { form, mode } => a.evaluation.set(form.clone(), *mode),
        MeetingEvent::EvaluationOpened => a.evaluation.open(),
        MeetingEvent::EvaluationClosed => a.evaluation.close(),
        MeetingEvent::OpinionPosted { .. }
        | MeetingEvent::OpinionUpvoted { .. }
        | MeetingEvent::EvaluationScored { .. }
        | MeetingEvent::EvaluationProposed { .. } => {
            unreachable!("applied by MeetingState::apply_meeting")
        }
    }
}

/// Which views an event changes.
pub(super) fn mark(d: &mut Dirty, e: &MeetingEvent) {
    d.state = true;
    // An author sees their opinion's moderation in their own `me`.
    if matches!(e, MeetingEvent::OpinionModerated { .. }) {
        d.all_me = true;
    }
}

fn no_item() -> Refusal {
    MeetingError::ItemNotRunning.into()
}

impl Actor {
    fn emit_meeting(&mut self, by: By, cid: Option<&str>, e: MeetingEvent) -> Result<u64, Refusal> {
        self.emit(by, cid, Event::Meeting(e))
    }

    /// A member's opinion, upvote or evaluation scores.
    pub(super) fn meeting_member_command(
        &mut self,
        m: MemberId,
        cid: &str,
        msg: &ClientMsg,
    ) -> Result<u64, Refusal> {
        let by = By::Member(m);
        match msg {
            ClientMsg::Opinion { text, .. } => {
                let a = &self.state.activities;
                if a.anonymous_cids.contains(&(m, cid.to_string())) {
                    // A resend of an anonymous opinion: acknowledged again.
                    return Ok(self.queued);
                }
                let item = a.agenda.current().ok_or_else(no_item)?;
                let text = opinions::clean_text(text)?;
                a.opinions.check_rate(m, self.ctx.clock.now())?;
                let opinion = a.opinions.next_id();
                if a.opinions.settings.anonymous {
                    let event = MeetingEvent::OpinionPosted {
                        opinion,
                        item,
                        member: None,
                        speaker: None,
                        sender: Some(m),
                        text,
                    };
                    // Neither the member nor their cid goes with it.
                    let seq = self.emit_meeting(By::System, None, event)?;
                    self.state
                        .activities
                        .anonymous_cids
                        .insert((m, cid.to_string()));
                    return Ok(seq);
                }
                let event = MeetingEvent::OpinionPosted {
                    opinion,
                    item,
                    member: Some(m),
                    speaker: None,
                    sender: None,
                    text,
                };
                self.emit_meeting(by, Some(cid), event)
            }
            ClientMsg::Upvote { opinion, .. } => self.emit_meeting(
                by,
                Some(cid),
                MeetingEvent::OpinionUpvoted {
                    opinion: *opinion,
                    member: m,
                },
            ),
            ClientMsg::EvaluationScore { scores, .. } => self.emit_meeting(
                by,
                Some(cid),
                MeetingEvent::EvaluationScored {
                    member: m,
                    scores: scores.clone(),
                },
            ),
            _ => Err(Refusal::new(
                ErrorCode::Forbidden,
                "only the host can do that",
            )),
        }
    }

    /// The host's agenda, opinion and evaluation commands.
    pub(super) fn meeting_host_command(
        &mut self,
        cid: &str,
        msg: &ClientMsg,
    ) -> Result<u64, Refusal> {
        let (by, c) = (By::Host, Some(cid));
        let a = &self.state.activities;
        let event = match msg {
            ClientMsg::Opinion { .. }
            | ClientMsg::Upvote { .. }
            | ClientMsg::EvaluationScore { .. } => {
                return Err(Refusal::new(ErrorCode::Forbidden, "only members do that"));
            }
            ClientMsg::AgendaSet {
                template,
                items,
                combined,
                party,
                ..
            } => {
                let items = items
                    .as_ref()
                    .map(|v| {
                        v.iter()
                            .map(|i| ItemSpec {
                                title: crate::text::collapse(&i.title),
                                presenter: crate::text::collapse(&i.presenter),
                                ..i.clone()
                            })
                            .collect()
                    })
                    .unwrap_or_else(|| {
                        // The shipped agenda in the meeting's wording (or
                        // the wording this message names).
                        let wording = match party {
                            Some(true) => crate::meeting::Wording::Party,
                            Some(false) => crate::meeting::Wording::Neutral,
                            None => self.state.settings.wording,
                        };
                        agenda::template_items(*template, wording)
                    });
                MeetingEvent::AgendaSet {
                    template: *template,
                    party: *party,
                    combined: *combined,
                    items,
                }
            }
            ClientMsg::MeetingOpen { .. } => MeetingEvent::Opened,
            ClientMsg::MeetingClose { .. } => MeetingEvent::Closed,
            ClientMsg::ItemStart { item, .. } => MeetingEvent::ItemStarted { item: *item },
            ClientMsg::ItemEnd { item, .. } => MeetingEvent::ItemEnded { item: *item },
            ClientMsg::ItemConclude { item, text, .. } => MeetingEvent::ItemConcluded {
                item: *item,
                text: text.trim().to_string(),
            },
            ClientMsg::OpinionRecord { speaker, text, .. } => MeetingEvent::OpinionPosted {
                opinion: a.opinions.next_id(),
                item: a.agenda.current().ok_or_else(no_item)?,
                member: None,
                speaker: Some(crate::text::collapse(speaker)),
                sender: None,
                text: opinions::clean_text(text)?,
            },
            ClientMsg::OpinionModerate {
                opinion, action, ..
            } => MeetingEvent::OpinionModerated {
                opinion: *opinion,
                action: *action,
            },
            ClientMsg::OpinionSettings {
                moderate,
                anonymous,
                sort,
                ..
            } => {
                let mut settings = a.opinions.settings;
                settings.moderate = moderate.unwrap_or(settings.moderate);
                settings.anonymous = anonymous.unwrap_or(settings.anonymous);
                settings.sort = sort.unwrap_or(settings.sort);
                MeetingEvent::OpinionSettings { settings }
            }
            ClientMsg::Screen { screen, .. } => MeetingEvent::ScreenShown { screen: *screen },
            ClientMsg::EvaluationSet { form, mode, .. } => MeetingEvent::EvaluationSet {
                form: form.clone().unwrap_or_else(|| a.evaluation.form.clone()),
                mode: mode.unwrap_or(a.evaluation.mode),
            },
            ClientMsg::EvaluationOpen { .. } => MeetingEvent::EvaluationOpened,
            ClientMsg::EvaluationClose { .. } => MeetingEvent::EvaluationClosed,
            ClientMsg::EvaluationPropose { scores, .. } => return self.propose(cid, scores),
            // Every other command has its own arm in `host_command`; a new
            // one forgotten there is refused, never a panic in the room.
            _ => {
                return Err(Refusal::new(
                    ErrorCode::BadMessage,
                    "this command is not handled here",
                ));
            }
        };
        self.emit_meeting(by, c, event)
    }

    /// The committee's scores become a motion the cell votes on.
    fn propose(&mut self, cid: &str, scores: &[u32]) -> Result<u64, Refusal> {
        let motion = self.state.next_motion_id();
        // Check first, so a refused proposal leaves no motion behind.
        let mut trial = self.state.activities.evaluation.clone();
        trial.propose(scores, motion)?;
        let form = &trial.form;
        let (total, _, band) = evaluation::grade(form, &trial.result_scores());
        let band_vi = match band {
            evaluation::Band::Good => "Tốt",
            evaluation::Band::Fair => "Khá",
            evaluation::Band::Average => "Trung bình",
            evaluation::Band::Poor => "Kém",
        };
        let text = format!(
            "Thông qua kết quả chấm điểm chất lượng sinh hoạt: {total} / {} điểm, xếp loại {band_vi}",
            form.total_max()
        );
        let spec = MotionSpec::from_template(Template::Resolution, &text);
        self.emit(By::Host, None, Event::MotionCreated { motion, spec })?;
        self.emit_meeting(
            By::Host,
            Some(cid),
            MeetingEvent::EvaluationProposed {
                scores: scores.to_vec(),
                motion,
            },
        )
    }
}

/// Whether a command belongs to this file.
pub fn is_meeting_command(msg: &ClientMsg) -> bool {
    matches!(
        msg,
        ClientMsg::AgendaSet { .. }
            | ClientMsg::MeetingOpen { .. }
            | ClientMsg::MeetingClose { .. }
            | ClientMsg::ItemStart { .. }
            | ClientMsg::ItemEnd { .. }
            | ClientMsg::ItemConclude { .. }
            | ClientMsg::Opinion { .. }
            | ClientMsg::OpinionRecord { .. }
            | ClientMsg::Upvote { .. }
            | ClientMsg::OpinionModerate { .. }
            | ClientMsg::OpinionSettings { .. }
            | ClientMsg::Screen { .. }
            | ClientMsg::EvaluationSet { .. }
            | ClientMsg::EvaluationOpen { .. }
            | ClientMsg::EvaluationClose { .. }
            | ClientMsg::EvaluationScore { .. }
            | ClientMsg::EvaluationPropose { .. }
    )
}

// ---- views ---------------------------------------------------------------

pub fn agenda_view(s: &MeetingState, now: Millis) -> AgendaView {
    let a = &s.activities.agenda;
    let current = a.current();
    AgendaView {
        template: a.template,
        combined: a.combined,
        items: a
            .items
            .iter()
            .enumerate()
            .map(|(index, i)| AgendaItemView {
                index,
                // In the meeting's wording, also for records stored before
                // a change of wording reworded the items.
                title: agenda::worded(&i.spec.title, s.settings.wording).to_string(),
                kind: i.spec.kind,
                presenter: agenda::worded(&i.spec.presenter, s.settings.wording).to_string(),
                minutes: i.spec.minutes,
                started_at: i.started_at,
                ended_at: i.ended_at,
                conclusion: i.conclusion.clone(),
            })
            .collect(),
        current,
        opened_at: a.opened_at,
        closed_at: a.closed_at,
        elapsed_ms: a.elapsed_ms(now),
        item_elapsed_ms: current
            .and_then(|i| a.items[i].started_at)
            .map_or(0, |t| now.saturating_sub(t)),
        minimum_minutes: a.minimum_minutes(),
        planned_minutes: a.planned_minutes(),
    }
}

/// The item whose opinions are on show: the running one, else the last held.
fn opinion_item(a: &Agenda) -> Option<usize> {
    a.current().or_else(|| {
        a.items
            .iter()
            .enumerate()
            .filter_map(|(i, it)| it.started_at.map(|t| (t, i)))
            .max()
            .map(|(_, i)| i)
    })
}

pub fn opinions_view(s: &MeetingState, host: bool) -> OpinionsView {
    let o = &s.activities.opinions;
    let item = opinion_item(&s.activities.agenda);
    let (count, speakers) = item.map_or((0, 0), |i| o.counts(i));
    let list = o
        .list
        .iter()
        .filter(|x| host || x.status == opinions::Status::Shown)
        .map(|x| OpinionView {
            id: x.id,
            item: x.item,
            name: match &x.author {
                Author::Member(m) => s.member_name(*m),
                Author::Spoken(name) => Some(name.clone()),
                Author::Anonymous => None,
            },
            spoken: matches!(x.author, Author::Spoken(_)),
            text: x.text.clone(),
            at: x.at,
            upvotes: x.upvoters.len() as u32,
            status: x.status,
            answered: x.answered,
            pinned: o.pinned == Some(x.id),
        })
        .collect();
    OpinionsView {
        settings: o.settings,
        item,
        count,
        speakers,
        pinned: o.pinned,
        list,
    }
}

/// The evaluation as `role` sees it. Members get nothing while it is a
/// draft: every member's `state` would carry the whole form for nothing.
pub fn evaluation_view(s: &MeetingState, role: Role, now: Millis) -> Option<EvaluationView> {
    let e = &s.activities.evaluation;
    if role == Role::Member && e.status == EvalStatus::Draft {
        return None;
    }
    let host = role == Role::Host;
    let closed = e.status == EvalStatus::Closed;
    let members = e.mode == Mode::Members;
    let approved = e
        .motion
        .and_then(|id| s.motion(id))
        .and_then(|m| m.result.as_ref())
        .and_then(|r| r.outcome.as_ref())
        .map(|o| o.passed);
    let visible = host || closed || (!members && e.proposal.is_some());
    let result = (visible && (!members || !e.scores.is_empty() || closed)).then(|| {
        let scores = e.result_scores();
        let (total, full, band) = evaluation::grade(&e.form, &scores);
        EvaluationResultView {
            scores,
            total,
            full: full as u32,
            band,
            approved,
        }
    });
    let att = s.attendance();
    let max_of = |k| {
        e.form
            .criteria
            .iter()
            .find(|c| c.fact == Some(k))
            .map_or(20, |c| c.max)
    };
    let a = &s.activities.agenda;
    Some(EvaluationView {
        form: e.form.worded(s.settings.wording),
        total_max: e.form.total_max(),
        mode: e.mode,
        status: e.status,
        scored: e.scores.len() as u32,
        stats: (members && (host || closed)).then(|| e.stats()),
        result,
        proposal: e.proposal.clone(),
        motion: e.motion,
        facts: EvaluationFacts {
            attendance: evaluation::attendance_fact(
                att.convened,
                att.present,
                att.excused,
                max_of(evaluation::FactKind::Attendance),
            ),
            length: evaluation::length_fact(a.elapsed_ms(now), a.minimum_minutes()),
        },
    })
}

pub fn my_activities(s: &MeetingState, member: MemberId) -> MyActivities {
    let o = &s.activities.opinions;
    MyActivities {
        opinions: o
            .list
            .iter()
            .filter(|x| x.by(member))
            .map(|x| MyOpinion {
                id: x.id,
                status: x.status,
                text: x.text.clone(),
            })
            .collect(),
        upvoted: o
            .list
            .iter()
            .filter(|x| x.upvoters.contains(&member))
            .map(|x| x.id)
            .collect(),
        scores: s.activities.evaluation.scores.get(&member).cloned(),
    }
}

impl MeetingState {
    fn member_name(&self, id: MemberId) -> Option<String> {
        self.members
            .get((id as usize).checked_sub(1)?)
            .map(|m| m.name.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room::event::Envelope;

    #[test]
    fn an_anonymous_opinion_is_stored_without_its_author() {
        let env = Envelope {
            seq: 9,
            at: 1,
            by: By::System,
            cid: None,
            event: Event::Meeting(MeetingEvent::OpinionPosted {
                opinion: 1,
                item: 0,
                member: None,
                speaker: None,
                sender: Some(7),
                text: "Góp ý".into(),
            }),
        };
        let json = serde_json::to_string(&env).unwrap();
        assert_eq!(
            json,
            r#"{"seq":9,"at":1,"by":"system","event":{"kind":"meeting","what":"opinion_posted","opinion":1,"item":0,"text":"Góp ý"}}"#
        );
        let back: Envelope = serde_json::from_str(&json).unwrap();
        let Event::Meeting(MeetingEvent::OpinionPosted { sender, member, .. }) = back.event else {
            panic!("{back:?}")
        };
        assert_eq!((sender, member), (None, None));
    }
}

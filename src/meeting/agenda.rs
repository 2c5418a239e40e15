//! The agenda (chương trình) of a meeting and its clock: a pure engine
//! (no I/O, time passed in).
//!
//! The chair edits the items before the meeting, opens the meeting (which
//! starts the clock, not the server), starts and ends items one at a time,
//! and writes one conclusion per item. Guidance 12-HD/BTCTW (kept by
//! 42-HD/BTCTW, 2025; domain/RULES.md): a meeting lasts at least 90 minutes,
//! 120 when a topical and a regular meeting are combined.

use serde::{Deserialize, Serialize};

use super::{Detail, MeetingError, Wording};
use crate::quiz::Millis;

/// Shortest meeting, in minutes (Guidance 12-HD/BTCTW).
pub const MIN_MINUTES: u32 = 90;
/// Shortest combined topical and regular meeting, in minutes.
pub const MIN_MINUTES_COMBINED: u32 = 120;
pub const MAX_ITEMS: usize = 40;
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_PRESENTER_CHARS: usize = 64;
pub const MAX_CONCLUSION_CHARS: usize = 2000;
pub const MAX_ITEM_MINUTES: u32 = 600;

/// What happens during an item; pages offer the matching activity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Information,
    Attendance,
    Quiz,
    Opinions,
    Motion,
    Evaluation,
    Minutes,
}

/// The shipped agendas.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgendaTemplate {
    /// The regular monthly cell meeting (sinh hoạt thường kỳ).
    Regular,
    /// The topical meeting (sinh hoạt chuyên đề), with an optional quiz.
    Topical,
    /// Items typed by the chair (not a Party cell meeting unless said so).
    Custom,
}

/// An item as the chair drafts it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemSpec {
    pub title: String,
    pub kind: ItemKind,
    #[serde(default)]
    pub presenter: String,
    /// Planned length in minutes.
    #[serde(default)]
    pub minutes: u32,
}

impl ItemSpec {
    fn new(title: &str, kind: ItemKind, presenter: &str, minutes: u32) -> ItemSpec {
        ItemSpec {
            title: title.into(),
            kind,
            presenter: presenter.into(),
            minutes,
        }
    }
}

/// Words of the shipped agendas that differ between Party and neutral
/// wording: (Party, neutral). Titles and presenters are both looked up here.
const NEUTRAL_WORDS: [(&str, &str); 6] = [
    ("Bí thư chi bộ", "Chủ trì"),
    ("Đảng viên", "Thành viên"),
    (
        "Báo cáo tình hình đảng viên dự họp",
        "Báo cáo tình hình thành viên dự họp",
    ),
    (
        "Thông qua chương trình sinh hoạt",
        "Thông qua chương trình cuộc họp",
    ),
    (
        "Kết nạp, công nhận chính thức, kỷ luật (nếu có)",
        "Kết nạp, công nhận, kỷ luật thành viên (nếu có)",
    ),
    (
        "Chấm điểm chất lượng sinh hoạt",
        "Chấm điểm chất lượng cuộc họp",
    ),
];

/// A shipped agenda's text in `wording`: the Party text as it is, or its
/// neutral counterpart; other text (typed by the chair) is left as typed.
pub fn worded(text: &str, wording: Wording) -> &str {
    for (party, neutral) in NEUTRAL_WORDS {
        match wording {
            Wording::Neutral if text == party => return neutral,
            Wording::Party if text == neutral => return party,
            _ => {}
        }
    }
    text
}

/// Rewords the shipped agenda's titles and presenters when the meeting's
/// wording changes; items the chair typed stay as typed.
pub fn reword(items: &mut [Item], wording: Wording) {
    for it in items {
        let title = worded(&it.spec.title, wording).to_string();
        let presenter = worded(&it.spec.presenter, wording).to_string();
        it.spec.title = title;
        it.spec.presenter = presenter;
    }
}

/// The items of a shipped agenda (editable before the meeting), in the
/// meeting's wording.
pub fn template_items(t: AgendaTemplate, wording: Wording) -> Vec<ItemSpec> {
    let mut items = party_template_items(t);
    for it in &mut items {
        it.title = worded(&it.title, wording).to_string();
        it.presenter = worded(&it.presenter, wording).to_string();
    }
    items
}

fn party_template_items(t: AgendaTemplate) -> Vec<ItemSpec> {
    use ItemKind::*;
    let i = ItemSpec::new;
    match t {
        AgendaTemplate::Regular => vec![
            i("Khai mạc, cử thư ký", Information, "Bí thư chi bộ", 3),
            i(
                "Báo cáo tình hình đảng viên dự họp",
                Attendance,
                "Bí thư chi bộ",
                3,
            ),
            i("Thông qua chương trình sinh hoạt", Motion, "Chủ trì", 2),
            i(
                "Thông tin thời sự, văn bản chỉ đạo của cấp trên",
                Information,
                "Bí thư chi bộ",
                15,
            ),
            i(
                "Kết quả tháng qua, nhiệm vụ tháng tới",
                Information,
                "Bí thư chi bộ",
                15,
            ),
            i("Thảo luận", Opinions, "Đảng viên", 30),
            i("Kết luận của chủ trì", Information, "Chủ trì", 5),
            i("Biểu quyết thông qua nghị quyết", Motion, "Chủ trì", 5),
            i(
                "Kết nạp, công nhận chính thức, kỷ luật (nếu có)",
                Motion,
                "Chủ trì",
                0,
            ),
            i("Chấm điểm chất lượng sinh hoạt", Evaluation, "Chủ trì", 5),
            i("Thông qua biên bản", Minutes, "Thư ký", 5),
            i("Bế mạc", Information, "Chủ trì", 2),
        ],
        AgendaTemplate::Topical => vec![
            i("Khai mạc, cử thư ký", Information, "Bí thư chi bộ", 3),
            i(
                "Báo cáo tình hình đảng viên dự họp",
                Attendance,
                "Bí thư chi bộ",
                3,
            ),
            i("Thông qua chương trình sinh hoạt", Motion, "Chủ trì", 2),
            i("Trắc nghiệm trước chuyên đề (nếu có)", Quiz, "Chủ trì", 10),
            i("Trình bày chuyên đề", Information, "Báo cáo viên", 30),
            i("Thảo luận chuyên đề", Opinions, "Đảng viên", 30),
            i("Kết luận của chủ trì", Information, "Chủ trì", 5),
            i("Chấm điểm chất lượng sinh hoạt", Evaluation, "Chủ trì", 5),
            i("Thông qua biên bản", Minutes, "Thư ký", 5),
            i("Bế mạc", Information, "Chủ trì", 2),
        ],
        AgendaTemplate::Custom => vec![],
    }
}

/// One agenda item as it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub spec: ItemSpec,
    pub started_at: Option<Millis>,
    pub ended_at: Option<Millis>,
    pub conclusion: Option<String>,
}

impl Item {
    pub fn running(&self) -> bool {
        self.started_at.is_some() && self.ended_at.is_none()
    }
}

/// The agenda and the meeting clock.
#[derive(Clone, Debug, Default)]
pub struct Agenda {
    pub template: Option<AgendaTemplate>,
    /// A topical and a regular meeting held together (120-minute minimum).
    pub combined: bool,
    pub items: Vec<Item>,
    pub opened_at: Option<Millis>,
    pub closed_at: Option<Millis>,
}

fn check_len(
    problem: &'static str,
    what: &str,
    s: &str,
    min: usize,
    max: usize,
) -> Result<(), MeetingError> {
    let n = s.chars().count();
    if n < min || n > max || s.chars().any(char::is_control) {
        return Err(MeetingError::InvalidAgenda(Detail::new(
            problem,
            max,
            format!("{what} must be {min} to {max} characters, without control characters"),
        )));
    }
    Ok(())
}

/// Checks the items a chair typed.
pub fn validate(items: &[ItemSpec]) -> Result<(), MeetingError> {
    if items.len() > MAX_ITEMS {
        return Err(MeetingError::InvalidAgenda(Detail::new(
            "too_many_items",
            MAX_ITEMS,
            format!("an agenda has at most {MAX_ITEMS} items"),
        )));
    }
    for it in items {
        check_len(
            "item_title",
            "an item's title",
            &it.title,
            1,
            MAX_TITLE_CHARS,
        )?;
        check_len(
            "presenter",
            "a presenter",
            &it.presenter,
            0,
            MAX_PRESENTER_CHARS,
        )?;
        if it.minutes > MAX_ITEM_MINUTES {
            return Err(MeetingError::InvalidAgenda(Detail::new(
                "item_minutes",
                MAX_ITEM_MINUTES as usize,
                format!("an item is planned for at most {MAX_ITEM_MINUTES} minutes"),
            )));
        }
    }
    Ok(())
}

impl Agenda {
    /// The minimum length of this meeting, in minutes.
    pub fn minimum_minutes(&self) -> u32 {
        if self.combined {
            MIN_MINUTES_COMBINED
        } else {
            MIN_MINUTES
        }
    }

    /// Sum of the items' planned minutes.
    pub fn planned_minutes(&self) -> u32 {
        self.items.iter().map(|i| i.spec.minutes).sum()
    }

    /// Replaces the agenda; only before the meeting opens.
    pub fn set(
        &mut self,
        template: AgendaTemplate,
        combined: bool,
        items: &[ItemSpec],
    ) -> Result<(), MeetingError> {
        if self.opened_at.is_some() {
            return Err(MeetingError::WrongState(
                "the agenda can be edited only before the meeting opens",
            ));
        }
        validate(items)?;
        self.template = Some(template);
        self.combined = combined;
        self.items = items
            .iter()
            .map(|spec| Item {
                spec: spec.clone(),
                started_at: None,
                ended_at: None,
                conclusion: None,
            })
            .collect();
        Ok(())
    }

    /// Opens the meeting: the clock starts.
    pub fn open(&mut self, at: Millis) -> Result<(), MeetingError> {
        if self.opened_at.is_some() {
            return Err(MeetingError::WrongState("the meeting is already open"));
        }
        self.opened_at = Some(at);
        Ok(())
    }

    /// Closes the meeting: the clock stops, a running item ends.
    pub fn close(&mut self, at: Millis) -> Result<(), MeetingError> {
        if self.opened_at.is_none() || self.closed_at.is_some() {
            return Err(MeetingError::WrongState("the meeting is not open"));
        }
        if let Some(i) = self.current() {
            self.items[i].ended_at = Some(at);
        }
        self.closed_at = Some(at);
        Ok(())
    }

    pub fn is_open(&self) -> bool {
        self.opened_at.is_some() && self.closed_at.is_none()
    }

    /// The running item.
    pub fn current(&self) -> Option<usize> {
        self.items.iter().position(Item::running)
    }

    fn item(&self, i: usize) -> Result<&Item, MeetingError> {
        self.items.get(i).ok_or(MeetingError::UnknownItem(i))
    }

    /// Starts item `i`; another running item must be ended first.
    pub fn start(&mut self, i: usize, at: Millis) -> Result<(), MeetingError> {
        let item = self.item(i)?;
        if !self.is_open() {
            return Err(MeetingError::WrongState(
                "open the meeting before starting an item",
            ));
        }
        if let Some(c) = self.current() {
            return Err(MeetingError::AgendaBusy(c));
        }
        if item.started_at.is_some() {
            return Err(MeetingError::WrongState("this item has already been held"));
        }
        self.items[i].started_at = Some(at);
        Ok(())
    }

    pub fn end(&mut self, i: usize, at: Millis) -> Result<(), MeetingError> {
        if !self.item(i)?.running() {
            return Err(MeetingError::ItemNotRunning);
        }
        self.items[i].ended_at = Some(at);
        Ok(())
    }

    /// The chair's conclusion on an item (written again, it replaces).
    pub fn conclude(&mut self, i: usize, text: &str) -> Result<(), MeetingError> {
        self.item(i)?;
        // A conclusion may run over several lines.
        check_len(
            "conclusion",
            "a conclusion",
            &text.replace(['\n', '\t'], " "),
            1,
            MAX_CONCLUSION_CHARS,
        )?;
        self.items[i].conclusion = Some(text.to_string());
        Ok(())
    }

    /// Milliseconds the meeting has lasted at `now` (0 before it opens).
    pub fn elapsed_ms(&self, now: Millis) -> u64 {
        match self.opened_at {
            None => 0,
            Some(o) => self.closed_at.unwrap_or(now).saturating_sub(o),
        }
    }

    /// Whether the meeting has lasted its minimum at `now`.
    pub fn long_enough(&self, now: Millis) -> bool {
        self.elapsed_ms(now) >= u64::from(self.minimum_minutes()) * 60_000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60_000;

    fn regular() -> Agenda {
        let mut a = Agenda::default();
        let items = template_items(AgendaTemplate::Regular, Wording::Party);
        a.set(AgendaTemplate::Regular, false, &items).unwrap();
        a
    }

    #[test]
    fn the_regular_template_follows_guidance_12() {
        let items = template_items(AgendaTemplate::Regular, Wording::Party);
        assert_eq!(items.len(), 12);
        assert_eq!(items[1].kind, ItemKind::Attendance);
        assert_eq!(items[9].kind, ItemKind::Evaluation);
        assert_eq!(items[10].kind, ItemKind::Minutes);
        validate(&items).unwrap();
        let topical = template_items(AgendaTemplate::Topical, Wording::Party);
        assert!(topical.iter().any(|i| i.kind == ItemKind::Quiz));
        validate(&topical).unwrap();
    }

    /// Issue 14: a neutral meeting's shipped agenda has no Party word; a
    /// change of wording rewords it and leaves the chair's own items.
    #[test]
    fn the_shipped_agendas_follow_the_wording() {
        let party_words = ["đồng chí", "đảng", "chi bộ", "sinh hoạt"];
        for t in [AgendaTemplate::Regular, AgendaTemplate::Topical] {
            for it in template_items(t, Wording::Neutral) {
                let text = format!("{} {}", it.title, it.presenter).to_lowercase();
                for w in party_words {
                    assert!(!text.contains(w), "{w} in {text}");
                }
            }
            let party = template_items(t, Wording::Party);
            assert!(party.iter().any(|i| i.presenter == "Bí thư chi bộ"));
            let mut a = Agenda::default();
            let mut items = party.clone();
            items.push(ItemSpec::new(
                "Đảng viên phát biểu",
                ItemKind::Opinions,
                "Đảng viên",
                5,
            ));
            a.set(t, false, &items).unwrap();
            reword(&mut a.items, Wording::Neutral);
            let neutral = template_items(t, Wording::Neutral);
            for (i, n) in a.items.iter().zip(&neutral) {
                assert_eq!(i.spec, *n);
            }
            let own = &a.items.last().unwrap().spec;
            assert_eq!(
                own.title, "Đảng viên phát biểu",
                "typed text stays as typed"
            );
            reword(&mut a.items, Wording::Party);
            for (i, p) in a.items.iter().zip(&party) {
                assert_eq!(i.spec, *p);
            }
        }
    }

    #[test]
    fn the_clock_starts_when_the_chair_opens_and_stops_at_close() {
        let mut a = regular();
        assert_eq!(a.elapsed_ms(5_000), 0);
        a.open(10_000).unwrap();
        assert_eq!(a.elapsed_ms(10_000 + 89 * MIN), 89 * MIN);
        assert!(!a.long_enough(10_000 + 89 * MIN));
        assert!(a.long_enough(10_000 + 90 * MIN));
        a.close(10_000 + 95 * MIN).unwrap();
        assert_eq!(a.elapsed_ms(10_000 + 200 * MIN), 95 * MIN);
        // Combined meetings need 120 minutes (Guidance 12-HD/BTCTW).
        let mut c = Agenda::default();
        c.set(AgendaTemplate::Topical, true, &[]).unwrap();
        assert_eq!(c.minimum_minutes(), 120);
    }

    #[test]
    fn one_item_at_a_time_with_times_recorded() {
        let mut a = regular();
        assert!(matches!(a.start(0, 1), Err(MeetingError::WrongState(_))));
        a.open(0).unwrap();
        a.start(0, 100).unwrap();
        assert_eq!(a.start(1, 200), Err(MeetingError::AgendaBusy(0)));
        assert_eq!(a.end(1, 200), Err(MeetingError::ItemNotRunning));
        a.end(0, 300).unwrap();
        assert_eq!(a.items[0].started_at, Some(100));
        assert_eq!(a.items[0].ended_at, Some(300));
        assert!(matches!(a.start(0, 400), Err(MeetingError::WrongState(_))));
        assert_eq!(a.start(99, 400), Err(MeetingError::UnknownItem(99)));
        a.start(1, 400).unwrap();
        assert_eq!(a.current(), Some(1));
        // Editing once the meeting is open changes nothing.
        let before = a.items.clone();
        assert!(a.set(AgendaTemplate::Custom, false, &[]).is_err());
        assert_eq!(a.items, before);
        a.close(500).unwrap();
        assert_eq!(a.items[1].ended_at, Some(500));
    }

    #[test]
    fn bad_items_and_conclusions_are_refused() {
        let mut a = regular();
        let long = ItemSpec::new(&"x".repeat(201), ItemKind::Information, "", 5);
        assert!(matches!(
            a.set(AgendaTemplate::Custom, false, &[long]),
            Err(MeetingError::InvalidAgenda(_))
        ));
        assert_eq!(a.items.len(), 12);
        assert!(a.conclude(0, "").is_err());
        a.conclude(0, "Thống nhất").unwrap();
        a.conclude(0, "Thống nhất cao").unwrap();
        a.conclude(0, "Một là…\nHai là…").unwrap();
        assert!(a.conclude(0, "a\u{7}b").is_err());
        a.conclude(0, "Thống nhất cao").unwrap();
        assert_eq!(a.items[0].conclusion.as_deref(), Some("Thống nhất cao"));
    }
}

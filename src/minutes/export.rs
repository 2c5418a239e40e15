//! The record as tables: one workbook (XLSX) with a sheet per area, and
//! each sheet as CSV (UTF-8 with a BOM, so Excel reads Vietnamese).
//!
//! Both are written from the same `Sheet`s. Text is always written as text:
//! in XLSX never as a formula; in CSV a cell beginning with `=`, `+`, `-`,
//! `@`, tab or carriage return gets a leading `'` (OWASP "CSV injection").
//! Numbers are numbers and times are times (XLSX dates, CSV
//! `YYYY-MM-DD HH:MM:SS`), in Vietnam's time (UTC+7), the documents' zone.

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use super::{MeetingStatus, Record};
use crate::protocol::MotionView;
use crate::quiz::Millis;
use crate::vote::Ballot;

/// The offset of the times written, in minutes east of UTC.
pub const TZ_OFFSET_MIN: i64 = 7 * 60;

/// One cell.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Num(f64),
    /// Milliseconds since 1970 (UTC).
    Time(Millis),
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}
impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}
impl From<u32> for Cell {
    fn from(n: u32) -> Cell {
        Cell::Num(f64::from(n))
    }
}
impl From<u64> for Cell {
    fn from(n: u64) -> Cell {
        Cell::Num(n as f64)
    }
}
impl From<f64> for Cell {
    fn from(n: f64) -> Cell {
        Cell::Num(n)
    }
}
impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Cell {
        v.map_or(Cell::Empty, Into::into)
    }
}

/// One table: its title (the workbook's sheet name), the slug of its CSV
/// route, and rows (the first is the header).
pub struct Sheet {
    pub name: &'static str,
    pub slug: &'static str,
    pub rows: Vec<Vec<Cell>>,
}

/// The sheets, in order: name and CSV slug.
pub const SHEETS: [(&str, &str); 7] = [
    ("Tổng quan", "tong-quan"),
    ("Điểm danh", "diem-danh"),
    ("Trắc nghiệm", "trac-nghiem"),
    ("Xếp hạng", "xep-hang"),
    ("Ý kiến", "y-kien"),
    ("Biểu quyết", "bieu-quyet"),
    ("Đánh giá", "danh-gia"),
];

macro_rules! row {
    ($($c:expr),* $(,)?) => { vec![$(Cell::from($c)),*] };
}

fn yes_no(b: bool) -> &'static str {
    if b { "Có" } else { "Không" }
}

pub fn status_vi(s: MeetingStatus) -> &'static str {
    match s {
        MeetingStatus::Waiting => "chưa bắt đầu",
        MeetingStatus::InProgress => "đang diễn ra",
        MeetingStatus::Ended => "đã kết thúc",
    }
}

/// Every sheet of the record.
pub fn sheets(r: &Record) -> Vec<Sheet> {
    SHEETS
        .iter()
        .map(|&(name, slug)| Sheet {
            name,
            slug,
            rows: match slug {
                "tong-quan" => overview(r),
                "diem-danh" => attendance(r),
                "trac-nghiem" => quiz(r),
                "xep-hang" => ranking(r),
                "y-kien" => opinions(r),
                "bieu-quyet" => motions(r),
                _ => evaluation(r),
            },
        })
        .collect()
}

fn overview(r: &Record) -> Vec<Vec<Cell>> {
    let d = &r.details;
    let a = &r.attendance;
    let mut rows = vec![
        row!["Mục", "Giá trị"],
        row!["Cuộc họp", r.title.clone()],
        row!["Mã PIN", r.pin.clone()],
        row!["Trạng thái", status_vi(r.status)],
        row!["Thời điểm lập", Cell::Time(r.snapshot_at)],
        row!["Tạo lúc", Cell::Time(r.created_at)],
        row!["Kết thúc lúc", r.ended_at.map(Cell::Time)],
    ];
    // A neutral meeting's record says nothing of the Party (issue 14).
    let (committee, cell) = if r.party {
        ("Đảng bộ / Cơ quan", "Chi bộ / Đơn vị")
    } else {
        ("Cơ quan", "Đơn vị")
    };
    for (k, v) in [
        (committee, &d.committee),
        (cell, &d.cell),
        ("Địa điểm", &d.place),
        ("Chủ trì", &d.chair),
        ("Thư ký", &d.secretary),
        ("Khách mời", &d.guests),
    ] {
        rows.push(row![k, v.clone()]);
    }
    rows.push(row!["Triệu tập", a.convened]);
    rows.push(row!["Có mặt", a.present]);
    rows.push(row!["Vắng mặt", a.absent]);
    rows.push(row!["Vắng có lý do", a.excused]);
    rows.push(row!["Khách (không có trong danh sách)", a.guests]);
    rows.push(row!["Đã tham gia", r.members.len() as u32]);
    if let Some(q) = &r.quiz {
        rows.push(row!["Số câu hỏi", q.questions.len() as u32]);
        rows.push(row!["Người trả lời", q.participants]);
    }
    rows.push(row!["Số biểu quyết", r.motions.len() as u32]);
    rows.push(row!["Số ý kiến", r.opinions.len() as u32]);
    rows
}

fn attendance(r: &Record) -> Vec<Vec<Cell>> {
    if r.roster.is_empty() {
        let mut rows = vec![row!["Họ tên", "Tham gia lúc", "Có mặt"]];
        for m in &r.members {
            rows.push(row![
                m.name.clone(),
                Cell::Time(m.joined_at),
                yes_no(m.present)
            ]);
        }
        return rows;
    }
    let mut rows = vec![row![
        "Mã",
        "Họ tên",
        "Tình trạng",
        "Tổ",
        "Có mặt",
        "Vắng có lý do",
        "Lý do vắng"
    ]];
    for e in &r.roster {
        rows.push(row![
            e.code.clone(),
            e.name.clone(),
            e.status_vi,
            e.group.clone(),
            yes_no(e.present),
            yes_no(!e.present && (e.excused || e.reason.is_some())),
            e.reason.clone().filter(|_| !e.present),
        ]);
    }
    for g in &r.guests {
        rows.push(row![
            Cell::Empty,
            g.clone(),
            "Khách",
            Cell::Empty,
            "Có",
            "Không"
        ]);
    }
    rows
}

fn quiz(r: &Record) -> Vec<Vec<Cell>> {
    let mut rows = vec![row![
        "Câu",
        "Câu hỏi",
        "Phương án",
        "Đáp án đúng",
        "Thành viên",
        "Trả lời",
        "Đúng/Sai",
        "Điểm",
        "Thời gian trả lời (giây)",
        "Tổng điểm",
        "Nguồn",
        "Địa chỉ nguồn"
    ]];
    let Some(q) = &r.quiz else { return rows };
    for a in &q.answers {
        let Some(question) = q.questions.get(a.question - 1) else {
            continue;
        };
        rows.push(row![
            a.question as u32,
            question.text.clone(),
            question.options.join("; "),
            question.correct.join("; "),
            a.name.clone(),
            a.answer.clone(),
            if !a.answered {
                "Không trả lời"
            } else if a.correct {
                "Đúng"
            } else {
                "Sai"
            },
            a.points,
            a.time_ms.map(|t| f64::from(t) / 1000.0),
            a.total,
            question.source.clone(),
            question.source_url.clone(),
        ]);
    }
    rows
}

fn ranking(r: &Record) -> Vec<Vec<Cell>> {
    let mut rows = vec![row!["Hạng", "Họ tên", "Điểm", "Số câu đúng"]];
    if let Some(q) = &r.quiz {
        for x in &q.ranking {
            rows.push(row![x.rank, x.name.clone(), x.score, x.correct]);
        }
    }
    rows
}

fn opinions(r: &Record) -> Vec<Vec<Cell>> {
    let mut rows = vec![row![
        "Nội dung",
        "Người phát biểu",
        "Ý kiến",
        "Lúc",
        "Lượt ủng hộ",
        "Phát biểu trực tiếp"
    ]];
    let items = r.agenda.as_ref().map(|a| a.items.as_slice()).unwrap_or(&[]);
    for o in &r.opinions {
        rows.push(row![
            items.get(o.item).map(|i| i.title.clone()),
            o.name.clone().unwrap_or_else(|| "Ẩn danh".into()),
            o.text.clone(),
            Cell::Time(o.at),
            o.upvotes,
            yes_no(o.spoken),
        ]);
    }
    rows
}

/// The decision of a motion, in words.
pub fn result_vi(m: &MotionView) -> String {
    let Some(res) = &m.result else {
        return "chưa kết thúc".into();
    };
    if let Some(e) = &res.election {
        return format!("{}/{} ghế trúng cử", e.elected, e.seats);
    }
    if let Some(d) = &res.discipline {
        return match d.decided {
            Some(i) => m.options.get(i).cloned().unwrap_or_default(),
            None => "không đủ phiếu cho hình thức kỷ luật nào".into(),
        };
    }
    match res.decision {
        Some("passed") => "THÔNG QUA".into(),
        Some(_) => "KHÔNG THÔNG QUA".into(),
        None => "thăm dò ý kiến".into(),
    }
}

/// The base and the votes needed of a closed motion.
pub fn base_required(m: &MotionView) -> (Option<u32>, Option<u32>) {
    let Some(res) = &m.result else {
        return (None, None);
    };
    if let Some(o) = &res.outcome {
        return (Some(o.base_size), Some(o.required));
    }
    if let Some(e) = &res.election {
        return (Some(e.base), Some(e.required));
    }
    if let Some(d) = &res.discipline {
        return (Some(d.base), None);
    }
    (None, None)
}

fn motions(r: &Record) -> Vec<Vec<Cell>> {
    let mut rows = vec![row![
        "Biểu quyết",
        "Nội dung",
        "Hình thức",
        "Quy tắc",
        "Cơ sở",
        "Cần đạt",
        "Có mặt",
        "Phương án",
        "Số phiếu",
        "Tỷ lệ trên cơ sở (%)",
        "Kết quả",
        "Lý do"
    ]];
    for m in &r.motions {
        let (base, required) = base_required(m);
        let ballot = match m.ballot {
            Ballot::Open => "công khai",
            Ballot::Secret => "bỏ phiếu kín",
        };
        let res = m.result.as_ref();
        for (i, option) in m.options.iter().enumerate() {
            let standing = res.and_then(|x| x.election.as_ref()).and_then(|e| {
                e.candidates.get(i).map(|c| match c.standing {
                    crate::vote::election::Standing::Elected => "TRÚNG CỬ",
                    crate::vote::election::Standing::Tied => "bằng phiếu",
                    crate::vote::election::Standing::NotElected => "KHÔNG TRÚNG CỬ",
                })
            });
            rows.push(row![
                m.id,
                m.text.clone(),
                ballot,
                crate::vote::rule_label(&m.rule, true, r.party),
                base,
                required,
                res.map(|x| x.present_at_close),
                option.clone(),
                res.and_then(|x| x.counts.get(i).copied()),
                res.and_then(|x| x.percent_of_base.get(i).copied()),
                standing.map(str::to_string).unwrap_or_else(|| result_vi(m)),
                res.and_then(|x| x.outcome.as_ref())
                    .map(|o| o.explain_vi(&m.rule, r.party)),
            ]);
        }
    }
    let open: Vec<&MotionView> = r
        .motions
        .iter()
        .filter(|m| m.ballot == Ballot::Open && m.voters.as_ref().is_some_and(|v| !v.is_empty()))
        .collect();
    if !open.is_empty() {
        rows.push(vec![]);
        rows.push(row!["Biểu quyết công khai: ai chọn gì"]);
        rows.push(row!["Biểu quyết", "Họ tên", "Lựa chọn"]);
        for m in open {
            for v in m.voters.iter().flatten() {
                rows.push(row![m.id, v.name.clone(), m.options.get(v.option).cloned()]);
            }
        }
    }
    let reservations: Vec<_> = r
        .motions
        .iter()
        .flat_map(|m| m.reservations.iter().flatten().map(move |x| (m.id, x)))
        .collect();
    if !reservations.is_empty() {
        rows.push(vec![]);
        rows.push(row!["Bảo lưu ý kiến"]);
        rows.push(row!["Biểu quyết", "Họ tên", "Nội dung"]);
        for (id, x) in reservations {
            rows.push(row![id, x.name.clone(), x.text.clone()]);
        }
    }
    rows
}

pub fn band_vi(b: crate::meeting::evaluation::Band) -> &'static str {
    use crate::meeting::evaluation::Band;
    match b {
        Band::Good => "Tốt",
        Band::Fair => "Khá",
        Band::Average => "Trung bình",
        Band::Poor => "Kém",
    }
}

fn evaluation(r: &Record) -> Vec<Vec<Cell>> {
    let mut rows = vec![row!["Tiêu chí", "Điểm tối đa", "Điểm"]];
    let Some(e) = &r.evaluation else { return rows };
    let scores = e
        .result
        .as_ref()
        .map(|x| x.scores.clone())
        .unwrap_or_default();
    for (i, c) in e.form.criteria.iter().enumerate() {
        rows.push(row![c.title.clone(), c.max, scores.get(i).copied()]);
    }
    if let Some(res) = &e.result {
        rows.push(row!["Tổng", e.total_max, res.total]);
        rows.push(row!["Xếp loại", Cell::Empty, band_vi(res.band)]);
    }
    rows
}

/// A text a spreadsheet could take for a formula.
pub fn risky(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// `YYYY-MM-DD HH:MM:SS` in the documents' time zone.
pub fn local_time(ms: Millis) -> String {
    let secs = (ms / 1000) as i64 + TZ_OFFSET_MIN * 60;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// One sheet as CSV: UTF-8 with a BOM.
pub fn csv(sheet: &Sheet) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(&mut out);
        for row in &sheet.rows {
            let fields: Vec<String> = row
                .iter()
                .map(|c| match c {
                    Cell::Text(s) if risky(s) => format!("'{s}"),
                    Cell::Text(s) => s.clone(),
                    Cell::Num(n) => n.to_string(),
                    Cell::Time(t) => local_time(*t),
                    Cell::Empty => String::new(),
                })
                .collect();
            // Writing to memory cannot fail.
            let _ = w.write_record(&fields);
        }
        let _ = w.flush();
    }
    out
}

/// Every sheet in one workbook.
pub fn xlsx(sheets: &[Sheet]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let time = Format::new().set_num_format("dd/mm/yyyy hh:mm:ss");
    for sheet in sheets {
        let ws = book.add_worksheet();
        ws.set_name(sheet.name)?;
        let mut widths = [8.0f64; 16];
        for (r, row) in sheet.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r32, c16) = (r as u32, c as u16);
                match cell {
                    Cell::Text(s) if r == 0 => {
                        ws.write_string_with_format(r32, c16, s, &bold)?;
                    }
                    // Always a string: a leading "=" stays text, never a formula.
                    Cell::Text(s) => {
                        ws.write_string(r32, c16, s)?;
                    }
                    Cell::Num(n) => {
                        ws.write_number(r32, c16, *n)?;
                    }
                    Cell::Time(t) => {
                        let secs = (*t / 1000) as i64 + TZ_OFFSET_MIN * 60;
                        ws.write_datetime_with_format(
                            r32,
                            c16,
                            ExcelDateTime::from_timestamp(secs)?,
                            &time,
                        )?;
                    }
                    Cell::Empty => {}
                }
                let len = match cell {
                    Cell::Text(s) => s.chars().count().min(60) as f64,
                    Cell::Time(_) => 19.0,
                    _ => 8.0,
                };
                if let Some(w) = widths.get_mut(c) {
                    *w = w.max(len + 2.0);
                }
            }
        }
        let cols = sheet.rows.iter().map(Vec::len).max().unwrap_or(0);
        for (c, w) in widths.iter().enumerate().take(cols) {
            ws.set_column_width(c as u16, *w)?;
        }
        ws.set_freeze_panes(1, 0)?;
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_in_vietnam() {
        // 2026-12-06 13:00:00 UTC
        assert_eq!(local_time(1_796_562_000_000), "2026-12-06 20:00:00");
        assert_eq!(local_time(0), "1970-01-01 07:00:00");
    }

    #[test]
    fn formula_like_text_is_prefixed_in_csv() {
        let sheet = Sheet {
            name: "x",
            slug: "x",
            rows: vec![row!["=Nguyễn", "+1", "-2", "@a", "\tb", "ok"], row![3u32]],
        };
        let out = String::from_utf8(csv(&sheet)).unwrap();
        assert!(out.starts_with('\u{feff}'));
        assert!(out.contains("'=Nguyễn,'+1,'-2,'@a,'\tb,ok"), "{out:?}");
        assert!(out.ends_with("\n3\n"));
    }
}

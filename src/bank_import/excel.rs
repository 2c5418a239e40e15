//! Handsup's own Excel template for banks: one row per question, every
//! question type, Vietnamese headers, and an instructions sheet. The
//! console offers it at `GET /api/banks/template.xlsx`; a filled copy is
//! uploaded like any bank.

use serde_json::json;

use super::{ImportProblem, Imported};
use crate::bank::{self, Kind, Question};
use crate::tabular::{Cell, CellIssue, Row};

/// The columns, in order, as the template writes them.
/// The last four are optional (an older template has none): a question's
/// points, reading time, partial scoring and exact diacritics, so that a
/// bank downloaded as `.xlsx` comes back the same.
pub const HEADERS: [&str; 16] = [
    "Câu hỏi",
    "Loại",
    "Phương án 1",
    "Phương án 2",
    "Phương án 3",
    "Phương án 4",
    "Phương án 5",
    "Phương án 6",
    "Đáp án đúng",
    "Thời gian (giây)",
    "Giải thích",
    "Nguồn",
    "Điểm",
    "Đọc trước (giây)",
    "Chấm điểm",
    "Dấu tiếng Việt",
];
/// Column indices of [`HEADERS`].
const POINTS: usize = 12;
const READING: usize = 13;
const SCORING: usize = 14;
const DIACRITICS: usize = 15;
/// Rows searched for the header.
const HEADER_SEARCH_ROWS: usize = 10;
/// Most rows read.
pub const MAX_ROWS: usize = bank::MAX_QUESTIONS + HEADER_SEARCH_ROWS + 10;
/// Separates the accepted answers of a typed question in one cell.
pub const ANSWER_SEPARATOR: char = '|';

/// An example row: question, type, options, correct, time, explanation,
/// source.
type Example = (
    &'static str,
    &'static str,
    [&'static str; 6],
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

/// Example rows, one per question type.
const EXAMPLES: [Example; 5] = [
    (
        "Chi bộ họp thường lệ bao lâu một lần?",
        "một đáp án",
        [
            "Mỗi tuần một lần",
            "Mỗi tháng một lần",
            "Mỗi quý một lần",
            "",
            "",
            "",
        ],
        "2",
        "30",
        "Điều lệ Đảng, Điều 24 khoản 2: chi bộ họp thường lệ mỗi tháng một lần.",
        "Điều lệ Đảng (2011), Điều 24 <https://web.archive.org/web/20130125053016/http://www.cpv.org.vn/cpv/Modules/News/NewsDetail.aspx?co_id=30106&cn_id=443473>",
    ),
    (
        "Những việc nào phải biểu quyết bằng phiếu kín?",
        "nhiều đáp án",
        [
            "Bầu chi ủy",
            "Bầu bí thư chi bộ",
            "Thông qua chương trình",
            "",
            "",
            "",
        ],
        "1,2",
        "45",
        "Điều lệ Đảng, Điều 12 khoản 3; Quyết định 190-QĐ/TW, Điều 3.",
        "Điều lệ Đảng (2011), Điều 12",
    ),
    (
        "Đảng viên dự bị được quyền biểu quyết nghị quyết của chi bộ.",
        "đúng sai",
        ["", "", "", "", "", ""],
        "Sai",
        "",
        "Điều lệ Đảng, Điều 3: trừ quyền biểu quyết, ứng cử và bầu cử.",
        "Điều lệ Đảng (2011), Điều 3",
    ),
    (
        "Thời lượng tối thiểu của một buổi sinh hoạt chi bộ thường kỳ là bao nhiêu phút?",
        "tự luận",
        ["", "", "", "", "", ""],
        "90 | 90 phút",
        "",
        "Hướng dẫn 12-HD/BTCTW.",
        "Hướng dẫn 12-HD/BTCTW (2018)",
    ),
    (
        "Hình thức nào giúp buổi sinh hoạt sinh động hơn?",
        "thăm dò",
        ["Trắc nghiệm tương tác", "Thảo luận nhóm", "", "", "", ""],
        "",
        "",
        "",
        "",
    ),
];

const INSTRUCTIONS: [&str; 15] = [
    "Hướng dẫn điền ngân hàng câu hỏi Handsup",
    "Mỗi dòng của trang «Câu hỏi» là một câu hỏi; giữ nguyên dòng tiêu đề. Xóa các câu ví dụ rồi điền câu của bạn.",
    "Loại: một đáp án, nhiều đáp án, đúng sai, tự luận, thăm dò (để trống: suy ra từ đáp án).",
    "Phương án 1–6: từ 2 đến 6 phương án (trừ câu đúng sai và tự luận).",
    "Đáp án đúng: số thứ tự của phương án đúng (2), hoặc nhiều số cách nhau bởi dấu phẩy (1,3); câu đúng sai: Đúng hoặc Sai; câu tự luận: các đáp án được chấp nhận, cách nhau bởi dấu | (90 | 90 phút); câu thăm dò: để trống.",
    "Thời gian (giây): từ 5 đến 600; để trống là 20 giây.",
    "Giải thích và Nguồn: hiện ra sau khi công bố đáp án. Nguồn là tên ngắn gọn của văn bản, có thể kèm địa chỉ web trong dấu < > (Điều lệ Đảng (2011), Điều 24 <https://...>); màn chiếu chỉ hiện tên.",
    "Các cột không bắt buộc (để trống là mặc định): Điểm (0 đến 10000, mặc định 1000); Đọc trước (giây): thời gian đọc trước khi được trả lời (0 đến 60, mặc định 0); Chấm điểm: «từng phần» để câu nhiều đáp án được điểm một phần (mặc định: tất cả hoặc không); Dấu tiếng Việt: «chính xác» để câu tự luận phải gõ đúng dấu (mặc định: bỏ qua dấu).",
    "Tải lên trong bảng điều khiển, thẻ «Ngân hàng câu hỏi». Tên tệp là tên ngân hàng.",
    "",
    "Handsup question bank template: one question per row of the «Câu hỏi» sheet; keep the header row.",
    "Type: single, multiple, true/false, typed, poll. Correct answer: option numbers (1,3), Đúng/Sai (true/false), or accepted answers separated by | (typed).",
    "Time: 5 to 600 seconds (default 20). Source: a short label, optionally followed by its address in angle brackets (Charter, Art. 24 <https://...>). The same columns also work as a UTF-8 CSV file.",
    "Optional: Điểm (points, 0 to 10000, default 1000); Đọc trước (reading time, 0 to 60 s, default 0); Chấm điểm (scoring: «từng phần» / partial for multiple choice); Dấu tiếng Việt (diacritics: «chính xác» / exact for typed answers).",
    "",
];

/// The template workbook.
pub fn template_xlsx() -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let rows = EXAMPLES
        .iter()
        .map(|(q, kind, options, correct, time, explanation, source)| {
            [*q, *kind]
                .into_iter()
                .chain(options.iter().copied())
                .chain([*correct, *time, *explanation, *source])
                .map(str::to_string)
                .collect()
        });
    workbook(rows)
}

/// A workbook in the template's form: the «Câu hỏi» sheet (header row, then
/// one row of cells per question) and the instructions sheet.
fn workbook(
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name("Câu hỏi")?;
    for (c, h) in HEADERS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
        ws.set_column_width(c as u16, if c == 0 || c == 10 || c == 11 { 40 } else { 16 })?;
    }
    for (i, cells) in rows.enumerate() {
        for (c, v) in cells.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(i as u32 + 1, c as u16, v)?;
            }
        }
    }
    let help = wb.add_worksheet();
    help.set_name("Hướng dẫn")?;
    help.set_column_width(0, 120)?;
    for (i, line) in INSTRUCTIONS.iter().enumerate() {
        if i == 0 {
            help.write_string_with_format(0, 0, *line, &bold)?;
        } else {
            help.write_string(i as u32, 0, *line)?;
        }
    }
    wb.save_to_buffer()
}

/// The template's name of a question type.
fn kind_label(kind: Kind) -> &'static str {
    match kind {
        Kind::Single => "một đáp án",
        Kind::Multiple => "nhiều đáp án",
        Kind::TrueFalse => "đúng sai",
        Kind::Typed => "tự luận",
        Kind::Poll => "thăm dò",
    }
}

/// A bank as Handsup's Excel template (`GET /api/banks/{id}.xlsx`): one
/// row per question with every field the template holds, and the
/// instructions sheet. Uploading it gives the same questions back.
pub fn bank_xlsx(b: &bank::Bank) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let rows = b.questions.iter().map(|q| {
        let mut cells: Vec<String> = vec![String::new(); HEADERS.len()];
        cells[0] = q.text.clone();
        cells[1] = kind_label(q.kind).to_string();
        if matches!(q.kind, Kind::Single | Kind::Multiple | Kind::Poll) {
            for (o, text) in q.options.iter().enumerate().take(6) {
                cells[2 + o] = text.clone();
            }
        }
        cells[8] = match q.kind {
            Kind::Single | Kind::Multiple => q
                .correct
                .iter()
                .map(|c| (c + 1).to_string())
                .collect::<Vec<_>>()
                .join(","),
            Kind::TrueFalse => if q.correct.first() == Some(&0) {
                "Đúng"
            } else {
                "Sai"
            }
            .into(),
            Kind::Typed => q.answers.join(&format!(" {ANSWER_SEPARATOR} ")),
            Kind::Poll => String::new(),
        };
        cells[9] = q.time_limit_s.to_string();
        cells[10] = q.explanation.clone();
        cells[11] = super::write::source_value(q);
        cells[POINTS] = q.points.to_string();
        cells[READING] = q.reading_s.to_string();
        if q.partial {
            cells[SCORING] = "từng phần".into();
        }
        if q.exact_diacritics {
            cells[DIACRITICS] = "chính xác".into();
        }
        cells
    });
    workbook(rows)
}

fn text(cell: Option<&Cell>) -> String {
    match cell {
        Some(Ok(s)) => crate::text::collapse(s),
        _ => String::new(),
    }
}

/// The template column a header cell names, if any (for the CSV
/// reader's choice of delimiter).
pub fn header_key(cell: &str) -> Option<usize> {
    let folded = crate::text::fold(cell);
    if folded.is_empty() {
        return None;
    }
    HEADERS.iter().position(|h| {
        let h = crate::text::fold(h);
        folded.starts_with(h.split(" (").next().unwrap_or(&h))
    })
}

/// Column of each template field in a header row, when it is one.
fn columns(row: &Row) -> Option<Vec<Option<usize>>> {
    let folded: Vec<String> = row
        .cells
        .iter()
        .map(|c| crate::text::fold(&text(Some(c))))
        .collect();
    let cols: Vec<Option<usize>> = HEADERS
        .iter()
        .map(|h| {
            let h = crate::text::fold(h);
            let h = h.split(" (").next().unwrap_or(&h).to_string();
            folded.iter().position(|f| f.starts_with(&h))
        })
        .collect();
    (cols[0].is_some() && cols[2].is_some()).then_some(cols)
}

/// Whether the rows look like this template.
pub fn recognises(rows: &[Row]) -> bool {
    rows.iter()
        .take(HEADER_SEARCH_ROWS)
        .any(|r| columns(r).is_some())
}

fn kind_of(s: &str) -> Option<Kind> {
    Some(
        match crate::text::fold(s).replace(['-', '_', '/'], " ").as_str() {
            "mot dap an" | "single" | "mot lua chon" => Kind::Single,
            "nhieu dap an" | "multiple" | "nhieu lua chon" => Kind::Multiple,
            "dung sai" | "dung  sai" | "true false" | "truefalse" => Kind::TrueFalse,
            "tu luan" | "dien" | "nhap" | "typed" => Kind::Typed,
            "tham do" | "poll" => Kind::Poll,
            _ => return None,
        },
    )
}

/// Reads the rows of a filled template into a bank.
pub fn import(id: &str, title: &str, rows: &[Row]) -> Result<Imported, Vec<ImportProblem>> {
    let Some((h, cols)) = rows
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .enumerate()
        .find_map(|(i, r)| columns(r).map(|c| (i, c)))
    else {
        return Err(vec![ImportProblem::file(
            "missing_column",
            json!({"accepted": HEADERS}),
            "no header row with the template's columns",
        )]);
    };
    let cell = |r: &Row, f: usize| text(cols[f].and_then(|c| r.cells.get(c)));
    let mut problems = Vec::new();
    let mut questions = Vec::new();
    let mut warnings = Vec::new();
    for r in &rows[h + 1..] {
        let n = r.row;
        let at =
            |f: usize, code: &'static str, params: serde_json::Value, msg: String| ImportProblem {
                row: Some(n),
                column: Some(HEADERS[f].to_string()),
                ..ImportProblem::file(code, params, msg)
            };
        let fields: Vec<String> = (0..HEADERS.len()).map(|f| cell(r, f)).collect();
        if fields.iter().all(String::is_empty) {
            continue;
        }
        let before = problems.len();
        for (f, c) in cols.iter().enumerate() {
            match c.and_then(|c| r.cells.get(c)) {
                Some(Err(CellIssue::Date)) => problems.push(at(
                    f,
                    "date_cell",
                    json!({}),
                    "a date where text is expected".into(),
                )),
                Some(Err(CellIssue::Error(e))) => problems.push(at(
                    f,
                    "error_cell",
                    json!({"value": e}),
                    format!("the cell holds the error {e}"),
                )),
                _ => {}
            }
        }
        let q = fields[0].clone();
        if q.is_empty() {
            problems.push(at(
                0,
                "empty_question",
                json!({}),
                "a row without its question".into(),
            ));
        } else if q.chars().count() > bank::MAX_QUESTION_CHARS {
            problems.push(at(
                0,
                "question_too_long",
                json!({"max": bank::MAX_QUESTION_CHARS}),
                "the question is too long".into(),
            ));
        }
        let options: Vec<(usize, String)> = (2..8)
            .filter(|f| !fields[*f].is_empty())
            .map(|f| (f - 1, fields[f].clone()))
            .collect();
        let correct_cell = fields[8].clone();
        let declared = if fields[1].is_empty() {
            None
        } else {
            match kind_of(&fields[1]) {
                Some(k) => Some(k),
                None => {
                    problems.push(at(
                        1,
                        "unknown_type",
                        json!({"value": fields[1]}),
                        format!("unknown question type `{}`", fields[1]),
                    ));
                    continue;
                }
            }
        };
        let numbers: Vec<&str> = correct_cell
            .split([',', ';', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let kind = declared.unwrap_or(if options.is_empty() && !correct_cell.is_empty() {
            Kind::Typed
        } else if numbers.len() > 1 {
            Kind::Multiple
        } else {
            Kind::Single
        });
        let mut correct = Vec::new();
        let mut answers = Vec::new();
        let mut shown: Vec<String> = options.iter().map(|o| o.1.clone()).collect();
        match kind {
            Kind::Single | Kind::Multiple | Kind::Poll => {
                if options.len() < bank::MIN_OPTIONS {
                    problems.push(at(2, "option_count", json!({"count": options.len(), "min": bank::MIN_OPTIONS, "max": bank::MAX_OPTIONS}), "a question needs 2 to 6 options".into()));
                }
                let mut seen = std::collections::HashSet::new();
                for (i, o) in &options {
                    if o.chars().count() > bank::MAX_OPTION_CHARS {
                        problems.push(at(
                            i + 1,
                            "option_too_long",
                            json!({"max": bank::MAX_OPTION_CHARS}),
                            "an option is too long".into(),
                        ));
                    }
                    if !seen.insert(crate::text::fold(o)) {
                        problems.push(at(
                            i + 1,
                            "duplicate_option",
                            json!({}),
                            "two options with the same text".into(),
                        ));
                    }
                }
                for part in &numbers {
                    match part.trim_end_matches(".0").parse::<usize>() {
                        Ok(k) => match options.iter().position(|(i, _)| *i == k) {
                            Some(p) if !correct.contains(&p) => correct.push(p),
                            Some(_) => {}
                            None => problems.push(at(
                                8,
                                "correct_out_of_range",
                                json!({"value": k, "max": options.last().map_or(0, |o| o.0)}),
                                format!("option {k} is empty or does not exist"),
                            )),
                        },
                        Err(_) => problems.push(at(
                            8,
                            "bad_correct",
                            json!({"value": part}),
                            format!("`{part}` is not an option number"),
                        )),
                    }
                }
                correct.sort_unstable();
                match kind {
                    Kind::Poll if !numbers.is_empty() => problems.push(at(
                        8,
                        "poll_with_correct",
                        json!({}),
                        "a poll has no correct answer".into(),
                    )),
                    Kind::Single if numbers.is_empty() => problems.push(at(
                        8,
                        "no_correct",
                        json!({"count": 0}),
                        "no correct answer".into(),
                    )),
                    Kind::Single if correct.len() > 1 => problems.push(at(
                        8,
                        "several_correct",
                        json!({"count": correct.len()}),
                        "several correct answers in a single-choice question".into(),
                    )),
                    Kind::Multiple if numbers.is_empty() => problems.push(at(
                        8,
                        "no_correct",
                        json!({"count": 0}),
                        "no correct answer".into(),
                    )),
                    _ => {}
                }
            }
            Kind::TrueFalse => {
                if !options.is_empty() {
                    problems.push(at(
                        2,
                        "truefalse_with_options",
                        json!({}),
                        "a true/false question takes no options".into(),
                    ));
                }
                match crate::text::fold(&correct_cell).as_str() {
                    "dung" | "true" | "d" | "1" => correct = vec![0],
                    "sai" | "false" | "s" | "0" | "2" => correct = vec![1],
                    "" => problems.push(at(
                        8,
                        "truefalse_no_answer",
                        json!({}),
                        "write Đúng or Sai".into(),
                    )),
                    _ => problems.push(at(
                        8,
                        "truefalse_bad_answer",
                        json!({"value": correct_cell}),
                        "write Đúng or Sai".into(),
                    )),
                }
                shown = bank::true_false_labels("vi")
                    .iter()
                    .map(|s| s.to_string())
                    .collect();
            }
            Kind::Typed => {
                if !options.is_empty() {
                    problems.push(at(
                        2,
                        "typed_with_options",
                        json!({}),
                        "a typed question takes no options".into(),
                    ));
                }
                answers = correct_cell
                    .split(ANSWER_SEPARATOR)
                    .map(crate::text::collapse)
                    .filter(|a| !a.is_empty())
                    .collect();
                if answers.is_empty() {
                    problems.push(at(
                        8,
                        "typed_no_answer",
                        json!({}),
                        "a typed question needs its accepted answers".into(),
                    ));
                }
                shown.clear();
            }
        }
        let mut time_limit_s = 20;
        if !fields[9].is_empty() {
            match fields[9].trim_end_matches(".0").parse::<u32>() {
                Ok(s) if (bank::MIN_TIME_S..=bank::MAX_TIME_S).contains(&s) => time_limit_s = s,
                _ => problems.push(at(9, "bad_number", json!({"field": "time", "value": fields[9], "min": bank::MIN_TIME_S, "max": bank::MAX_TIME_S}), "the time is not 5 to 600 seconds".into())),
            }
        }
        let (source, source_url) = match bank::parse_source(&fields[11]) {
            Ok(parts) => parts,
            Err(e) => {
                problems.push(at(
                    11,
                    e.code(),
                    json!({"value": fields[11], "max": bank::MAX_SOURCE_LABEL_CHARS, "max_url": bank::MAX_SOURCE_URL_CHARS}),
                    format!("{}; {}", e.message(), e.fix()),
                ));
                Default::default()
            }
        };
        let mut number = |f: usize, field: &str, default: u32, max: u32| -> u32 {
            if fields[f].is_empty() {
                return default;
            }
            match fields[f].trim_end_matches(".0").parse::<u32>() {
                Ok(v) if v <= max => v,
                _ => {
                    problems.push(at(
                        f,
                        "bad_number",
                        json!({"field": field, "value": fields[f], "min": 0, "max": max}),
                        format!("not a whole number from 0 to {max}"),
                    ));
                    default
                }
            }
        };
        let points = number(POINTS, "points", 1000, bank::MAX_POINTS);
        let reading_s = number(READING, "reading", 0, bank::MAX_READING_S);
        let partial = match crate::text::fold(&fields[SCORING]).as_str() {
            "" | "tat ca" | "all" => false,
            "tung phan" | "mot phan" | "partial" => true,
            _ => {
                problems.push(at(
                    SCORING,
                    "unknown_scoring",
                    json!({"value": fields[SCORING]}),
                    "write «từng phần» (partial) or leave it empty".into(),
                ));
                false
            }
        };
        if partial && kind != Kind::Multiple {
            problems.push(at(
                SCORING,
                "scoring_not_multiple",
                json!({}),
                "partial scoring is for multiple-choice questions".into(),
            ));
        }
        let exact_diacritics = match crate::text::fold(&fields[DIACRITICS]).as_str() {
            "" | "bo qua" | "ignore" => false,
            "chinh xac" | "exact" => true,
            _ => {
                problems.push(at(
                    DIACRITICS,
                    "unknown_diacritics",
                    json!({"value": fields[DIACRITICS]}),
                    "write «chính xác» (exact) or leave it empty".into(),
                ));
                false
            }
        };
        if exact_diacritics && kind != Kind::Typed {
            problems.push(at(
                DIACRITICS,
                "diacritics_not_typed",
                json!({}),
                "exact diacritics are for typed questions".into(),
            ));
        }
        if fields[10].is_empty() && kind != Kind::Poll {
            warnings.push(at(
                10,
                "no_explanation",
                json!({}),
                "the question has no explanation".into(),
            ));
        }
        if problems.len() > before {
            continue;
        }
        questions.push(Question {
            text: q,
            kind,
            options: shown,
            correct,
            answers,
            exact_diacritics,
            partial,
            time_limit_s,
            reading_s,
            points,
            explanation: fields[10].clone(),
            source,
            source_url,
        });
    }
    Imported::assemble(
        id,
        title,
        questions,
        problems,
        warnings,
        "the sheet has no questions under its header",
    )
}

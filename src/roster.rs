//! Meeting roster import: turns the organiser's CSV or XLSX upload into
//! roster entries, or into the full list of problems to fix.
//!
//! Organisers fix their spreadsheet once and re-upload, so every problem is
//! collected (not just the first) and each one names the row and column the
//! way the spreadsheet program shows them. Nothing partial is ever returned:
//! a half-imported roster would silently leave members out.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use unicode_normalization::UnicodeNormalization;

/// Upper bound on data rows: far above any party cell or committee, low
/// enough that a wrong file (an export of a whole database) fails fast.
pub const MAX_ROWS: usize = 20_000;
/// Member codes are short identifiers; a longer value is a wrong column.
pub const MAX_CODE_CHARS: usize = 64;
/// Generous for Vietnamese full names, still bounded for the UI and storage.
pub const MAX_NAME_CHARS: usize = 120;
/// Groups (tổ đảng) are shown next to names, so they get the same bound.
pub const MAX_GROUP_CHARS: usize = 120;
/// Vietnamese rosters usually start with a title block ("ĐẢNG BỘ…",
/// "DANH SÁCH…"), so the header is searched for in this many non-blank rows.
const HEADER_SEARCH_ROWS: usize = 10;

/// A member's standing in the cell. Unknown values are rejected rather than
/// guessed, because a wrong status is invisible once imported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Official,
    Probationary,
    Exempt,
    /// Suspended, prosecuted or detained (bị đình chỉ sinh hoạt, khởi tố,
    /// truy tố, tạm giam): left out of the base alike (RULES.md:129).
    Suspended,
    /// Attending another organisation temporarily (sinh hoạt tạm thời nơi khác).
    Attached,
    /// Belongs elsewhere and attends *this* cell temporarily (sinh hoạt tạm
    /// thời tại chi bộ): attends and speaks, never votes, not in the base
    /// (Quy định 232 6.3.2, RULES.md:121).
    Visiting,
}

impl Status {
    /// Every status, in the order they are offered to users.
    pub const ALL: [Status; 6] = [
        Status::Official,
        Status::Probationary,
        Status::Exempt,
        Status::Suspended,
        Status::Attached,
        Status::Visiting,
    ];

    /// The term party members use themselves.
    pub fn label_vi(self) -> &'static str {
        match self {
            Status::Official => "Chính thức",
            Status::Probationary => "Dự bị",
            Status::Exempt => "Miễn sinh hoạt",
            Status::Suspended => "Đình chỉ sinh hoạt",
            Status::Attached => "Sinh hoạt tạm thời nơi khác",
            Status::Visiting => "Sinh hoạt tạm thời tại chi bộ",
        }
    }

    /// The term in a meeting's wording: a neutral meeting says "đơn vị",
    /// not "chi bộ" (issue 14); the Party wording is [`Status::label_vi`].
    pub fn label_vi_worded(self, party: bool) -> &'static str {
        match self {
            Status::Visiting if !party => "Tham dự tạm thời tại đơn vị",
            _ => self.label_vi(),
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Status::Official => "Official",
            Status::Probationary => "Probationary",
            Status::Exempt => "Exempt",
            Status::Suspended => "Suspended",
            Status::Attached => "Attached",
            Status::Visiting => "Visiting",
        }
    }

    /// Accepts the English names and the usual Vietnamese wordings, ignoring
    /// case, spacing, punctuation and diacritics (files are often typed
    /// without them), and an optional "đảng viên …" / "… đảng" wrapper.
    pub fn parse(s: &str) -> Option<Status> {
        let key = key(s);
        let mut candidates = vec![key.as_str()];
        if let Some(rest) = key.strip_prefix("dangvien") {
            candidates.push(rest);
        }
        for c in candidates.clone() {
            if let Some(rest) = c.strip_suffix("dang") {
                candidates.push(rest);
            }
        }
        candidates.into_iter().find_map(status_from_key)
    }
}

/// Exact match on a [`key`]; kept as one table so every wording is visible.
fn status_from_key(k: &str) -> Option<Status> {
    Some(match k {
        "official" | "chinhthuc" => Status::Official,
        "probationary" | "dubi" => Status::Probationary,
        "exempt" | "mien" | "miensinhhoat" | "miencongtacvasinhhoat" | "miencongtacsinhhoat" => {
            Status::Exempt
        }
        "suspended" | "dinhchi" | "dinhchisinhhoat" | "bidinhchi" | "bidinhchisinhhoat"
        | "prosecuted" | "detained" | "khoito" | "bikhoito" | "truyto" | "bitruyto" | "tamgiam"
        | "bitamgiam" => Status::Suspended,
        // "Sinh hoạt tạm thời" alone kept its first meaning (elsewhere), so
        // rosters written before `visiting` existed read the same.
        "attached"
        | "attachedelsewhere"
        | "sinhhoattamthoi"
        | "sinhhoatnoikhac"
        | "sinhhoattamthoinoikhac" => Status::Attached,
        "visiting"
        | "temporary"
        | "attendingheretemporarily"
        | "attendinghere"
        | "thamdutamthoi"
        | "thamdutamthoitaidonvi"
        | "sinhhoattamthoitaichibo"
        | "sinhhoattamthoitaiday"
        | "tamthoitaichibo"
        | "densinhhoattamthoi" => Status::Visiting,
        _ => return None,
    })
}

/// One member as imported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterEntry {
    pub name: String,
    pub code: String,
    pub status: Status,
    pub group: Option<String>,
}

/// One thing the organiser must fix. `row` is 1-based as the spreadsheet
/// shows it; `column` is the header text from the file, or the canonical
/// column name when the column itself is missing.
///
/// `message` is English. Clients that speak another language word the
/// problem themselves from `code` and `params` (the values the message
/// quotes), and fall back to `message` for a code they do not know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}", render_problem(.row, .column, .message))]
pub struct RosterProblem {
    pub row: Option<usize>,
    pub column: Option<String>,
    pub code: ProblemCode,
    /// Absent when the message quotes nothing from the file.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub params: serde_json::Map<String, serde_json::Value>,
    pub message: String,
}

/// What is wrong, as a stable snake_case code (the JSON `code` of a
/// problem). Parameters, when any, are listed per code; `field` is one of
/// `name`, `code`, `status`, `group`, `value` is the file's text (shortened
/// like in the message), and `accepted` is a list of strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    /// The file has no non-blank row at all.
    EmptyRoster,
    /// A header row but no member below it.
    NoMembers,
    /// A workbook without any worksheet.
    NoWorksheet,
    /// `max`.
    TooManyRows,
    /// A workbook uploaded under a `.csv` name.
    XlsxNamedCsv,
    /// A CSV file in a legacy encoding.
    NotUtf8,
    /// Malformed CSV: `line`, `error` (the CSV reader's English text).
    CsvUnreadable,
    /// An `.xls` (or otherwise OLE, e.g. encrypted) file.
    XlsNotSupported,
    NotXlsx,
    EncryptedWorkbook,
    /// Two columns read as the same field: `field`, `other_column`.
    DuplicateColumn,
    /// `field`, `accepted` (the headers recognised for it).
    MissingColumn,
    /// `field`.
    DateCell,
    /// `field`, `value` (the spreadsheet error, e.g. `#DIV/0!`).
    ErrorCell,
    EmptyName,
    EmptyCode,
    /// `accepted` (status keys, e.g. `official`).
    EmptyStatus,
    /// `value`, `accepted` (status keys).
    UnknownStatus,
    /// `value`, `earlier_row`, and `earlier_value` when the earlier row
    /// wrote the code with other capitals.
    DuplicateCode,
    /// A control or invisible character (e.g. a right-to-left override):
    /// `field`, `character` (as `U+202E`).
    InvisibleCharacter,
    /// The file is bigger than `max` bytes (unzipped, for a workbook).
    FileTooBig,
    /// A value past column `max`: `cell` is its address, e.g. `XFD1048576`.
    TooManyColumns,
    /// More than `max` cells.
    TooManyCells,
    /// More than `max` merged ranges.
    TooManyMerges,
    /// A sheet range that runs backwards or off the sheet: `value`.
    BadRange,
    /// Reading took more than `max` seconds.
    TooSlow,
    /// `value`, `length`, `max` for the three below.
    NameTooLong,
    CodeTooLong,
    GroupTooLong,
}

fn render_problem(row: &Option<usize>, column: &Option<String>, message: &str) -> String {
    match (row, column) {
        (Some(r), Some(c)) => format!("row {r}, column \"{c}\": {message}"),
        (Some(r), None) => format!("row {r}: {message}"),
        (None, Some(c)) => format!("column \"{c}\": {message}"),
        (None, None) => message.to_string(),
    }
}

impl RosterProblem {
    fn file(code: ProblemCode, message: impl Into<String>) -> Self {
        RosterProblem {
            row: None,
            column: None,
            code,
            params: serde_json::Map::new(),
            message: message.into(),
        }
    }

    fn at(row: usize, column: &str, code: ProblemCode, message: impl Into<String>) -> Self {
        RosterProblem {
            row: Some(row),
            column: Some(column.to_string()),
            ..RosterProblem::file(code, message)
        }
    }

    /// Adds a parameter the message uses.
    fn with(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.params.insert(key.to_string(), value.into());
        self
    }
}

/// Upload formats; chosen from the file name because browsers report
/// unreliable MIME types for CSV.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn from_filename(name: &str) -> Option<Format> {
        let (_, ext) = name.trim().rsplit_once('.')?;
        if ext.eq_ignore_ascii_case("csv") {
            Some(Format::Csv)
        } else if ext.eq_ignore_ascii_case("xlsx") {
            Some(Format::Xlsx)
        } else {
            None
        }
    }
}

/// Reads a roster with the default limits ([`crate::tabular`]), timed
/// from now. Blocking: call it from `spawn_blocking`.
pub fn parse(format: Format, bytes: &[u8]) -> Result<Vec<RosterEntry>, Vec<RosterProblem>> {
    parse_within(format, bytes, &default_limits())
}

/// The limits a roster is read within: [`crate::tabular::Limits`], with
/// the row cap of rosters.
pub fn default_limits() -> Limits {
    Limits::new(READ_CAP)
}

/// [`parse`] within given limits.
pub fn parse_within(
    format: Format,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Vec<RosterEntry>, Vec<RosterProblem>> {
    match format {
        Format::Csv => parse_csv_within(bytes, limits),
        Format::Xlsx => parse_xlsx_within(bytes, limits),
    }
}

pub use crate::text::fold;

/// Matching key for headers and statuses: [`fold`] without spaces or
/// punctuation, so "Họ và tên (*)", "ho_va_ten" and "HỌ VÀ TÊN:" all agree.
fn key(s: &str) -> String {
    fold(s).chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Whitespace as found in spreadsheets: includes the no-break space Excel
/// likes, and zero-width characters pasted from web pages or Word.
use crate::text::is_space;

/// Cell value as stored: NFC (macOS and some web forms produce NFD, which
/// would make equal names compare different), trimmed, inner runs of
/// whitespace collapsed to one space.
fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.nfc().collect::<String>().split(is_space) {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// A user's value as quoted in a message or a parameter, shortened so one
/// bad cell (a pasted paragraph) cannot swamp the list of problems.
fn short(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() > MAX {
        let head: String = s.chars().take(MAX).collect();
        format!("{head}…")
    } else {
        s.to_string()
    }
}

/// [`short`], in quotes.
fn quoted(s: &str) -> String {
    format!("\"{}\"", short(s))
}

// ---------------------------------------------------------------------------
// Columns

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    Name,
    Code,
    Status,
    Group,
}

impl Field {
    const ALL: [Field; 4] = [Field::Name, Field::Code, Field::Status, Field::Group];

    fn canonical(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Code => "code",
            Field::Status => "status",
            Field::Group => "group",
        }
    }

    /// What the column holds, in words for messages.
    fn what(self) -> &'static str {
        match self {
            Field::Name => "the member's name",
            Field::Code => "the member code",
            Field::Status => "the member's status",
            Field::Group => "the group",
        }
    }

    fn required(self) -> bool {
        !matches!(self, Field::Group)
    }

    /// Accepted header texts, listed in messages exactly as written here.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::Name => &["name", "họ và tên", "họ tên", "tên", "full name"],
            Field::Code => &[
                "code",
                "member code",
                "mã",
                "mã đảng viên",
                "số thẻ",
                "mã số",
            ],
            Field::Status => &["status", "tình trạng", "loại", "loại đảng viên"],
            Field::Group => &["group", "tổ", "tổ đảng", "nhóm"],
        }
    }

    fn from_header(text: &str) -> Option<Field> {
        let k = key(text);
        if k.is_empty() {
            return None;
        }
        Field::ALL
            .into_iter()
            .find(|f| f.aliases().iter().any(|a| key(a) == k))
    }
}

// ---------------------------------------------------------------------------
// Format-independent validation

/// Cells as read from the file: text, or why there is no usable text.
use crate::tabular::{Cell, CellIssue, Limits, Refused};

/// One physical row with its spreadsheet row number (1-based).
struct RawRow {
    row: usize,
    cells: Vec<Cell>,
}

impl RawRow {
    fn is_blank(&self) -> bool {
        self.cells.iter().all(cell_is_blank)
    }
}

fn cell_is_blank(c: &Cell) -> bool {
    matches!(c, Ok(s) if s.chars().all(is_space))
}

/// Readers give up after this many non-blank rows: past the header search
/// and the row limit, so the file is too big whatever it holds, and reading
/// on would only hold more of it in memory.
const READ_CAP: usize = MAX_ROWS + HEADER_SEARCH_ROWS + 1;

fn too_many_rows() -> Vec<RosterProblem> {
    vec![
        RosterProblem::file(
            ProblemCode::TooManyRows,
            format!(
                "the roster has more than {MAX_ROWS} rows; at most {MAX_ROWS} members can be imported"
            ),
        )
        .with("max", MAX_ROWS),
    ]
}

/// Which file column holds each field, plus its header text for messages.
struct Columns {
    header_row: usize,
    map: Vec<(Field, usize, String)>,
}

impl Columns {
    fn get(&self, field: Field) -> Option<(usize, &str)> {
        self.map
            .iter()
            .find(|(f, _, _)| *f == field)
            .map(|(_, i, h)| (*i, h.as_str()))
    }
}

fn header_text(c: &Cell) -> String {
    match c {
        Ok(s) => clean(s),
        Err(_) => String::new(),
    }
}

/// Picks the header: the first row naming all required columns, else the
/// row naming most of them (so "missing column" points at the right row).
fn find_header(rows: &[RawRow]) -> usize {
    let mut best = (0, 0);
    for (i, row) in rows.iter().take(HEADER_SEARCH_ROWS).enumerate() {
        let mut found: Vec<Field> = row
            .cells
            .iter()
            .filter_map(|c| Field::from_header(&header_text(c)))
            .collect();
        found.sort_by_key(|f| *f as u8);
        found.dedup();
        let required = found.iter().filter(|f| f.required()).count();
        if required == 3 {
            return i;
        }
        if required > best.1 {
            best = (i, required);
        }
    }
    best.0
}

fn read_header(row: &RawRow) -> Result<Columns, Vec<RosterProblem>> {
    let mut problems = Vec::new();
    let mut map: Vec<(Field, usize, String)> = Vec::new();
    for (i, cell) in row.cells.iter().enumerate() {
        let text = header_text(cell);
        let Some(field) = Field::from_header(&text) else {
            continue;
        };
        if let Some((_, _, first)) = map.iter().find(|(f, _, _)| *f == field) {
            problems.push(
                RosterProblem::at(
                    row.row,
                    &text,
                    ProblemCode::DuplicateColumn,
                    format!(
                        "both this column and column {} are read as {}; rename or delete one of them",
                        quoted(first),
                        field.what()
                    ),
                )
                .with("field", field.canonical())
                .with("other_column", short(first)),
            );
        } else {
            map.push((field, i, text));
        }
    }
    for field in Field::ALL.into_iter().filter(|f| f.required()) {
        if !map.iter().any(|(f, _, _)| *f == field) {
            let names: Vec<String> = field.aliases().iter().map(|a| quoted(a)).collect();
            problems.push(
                RosterProblem::at(
                    row.row,
                    field.canonical(),
                    ProblemCode::MissingColumn,
                    format!(
                        "missing required column for {}; add a column whose header is one of: {}",
                        field.what(),
                        names.join(", ")
                    ),
                )
                .with("field", field.canonical())
                .with("accepted", field.aliases()),
            );
        }
    }
    if problems.is_empty() {
        Ok(Columns {
            header_row: row.row,
            map,
        })
    } else {
        Err(problems)
    }
}

/// The statuses as their JSON keys, for the `accepted` parameter.
fn status_keys() -> Vec<serde_json::Value> {
    Status::ALL
        .iter()
        .map(|s| serde_json::to_value(s).expect("a unit variant serialises"))
        .collect()
}

fn status_choices() -> String {
    Status::ALL
        .iter()
        .map(|s| {
            format!(
                "{} ({})",
                s.label_en().to_lowercase(),
                s.label_vi().to_lowercase()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Text of one field in one row, or a problem if the cell is unusable.
fn field_text(
    row: &RawRow,
    columns: &Columns,
    field: Field,
    problems: &mut Vec<RosterProblem>,
) -> Option<String> {
    let (idx, header) = columns.get(field)?;
    match row.cells.get(idx) {
        None => Some(String::new()),
        Some(Ok(s)) => {
            let text = clean(s);
            if let Some(c) = crate::text::find_invisible(&text) {
                problems.push(
                    RosterProblem::at(
                        row.row,
                        header,
                        ProblemCode::InvisibleCharacter,
                        format!(
                            "the cell holds an invisible or control character ({c}) that can \
                             make {} look like another; type it again",
                            field.what()
                        ),
                    )
                    .with("field", field.canonical())
                    .with("character", c),
                );
                return None;
            }
            Some(text)
        }
        Some(Err(issue)) => {
            let problem = match issue {
                CellIssue::Date => RosterProblem::at(
                    row.row,
                    header,
                    ProblemCode::DateCell,
                    format!(
                        "the cell holds a date or time, not text; format the column as Text and \
                         type {} again",
                        field.what()
                    ),
                ),
                CellIssue::Error(e) => RosterProblem::at(
                    row.row,
                    header,
                    ProblemCode::ErrorCell,
                    format!(
                        "the cell holds the spreadsheet error {}; replace it with {}",
                        quoted(e),
                        field.what()
                    ),
                )
                .with("value", short(e)),
            };
            problems.push(problem.with("field", field.canonical()));
            None
        }
    }
}

/// Length limits checked on cell values: (most characters, the value in
/// words for the message, the problem's code).
type Limit = (usize, &'static str, ProblemCode);
const NAME_LIMIT: Limit = (MAX_NAME_CHARS, "name", ProblemCode::NameTooLong);
const CODE_LIMIT: Limit = (MAX_CODE_CHARS, "member code", ProblemCode::CodeTooLong);
const GROUP_LIMIT: Limit = (MAX_GROUP_CHARS, "group", ProblemCode::GroupTooLong);

fn check_length(
    value: &str,
    (max, what, code): Limit,
    row: usize,
    header: &str,
    problems: &mut Vec<RosterProblem>,
) -> bool {
    let len = value.chars().count();
    if len > max {
        problems.push(
            RosterProblem::at(
                row,
                header,
                code,
                format!(
                    "{what} {} is {len} characters long; shorten it to at most {max}",
                    quoted(value)
                ),
            )
            .with("value", short(value))
            .with("length", len)
            .with("max", max),
        );
        return false;
    }
    true
}

fn validate(rows: Vec<RawRow>) -> Result<Vec<RosterEntry>, Vec<RosterProblem>> {
    let rows: Vec<RawRow> = rows.into_iter().filter(|r| !r.is_blank()).collect();
    if rows.is_empty() {
        return Err(vec![RosterProblem::file(
            ProblemCode::EmptyRoster,
            "the roster is empty: the file has no header row and no members",
        )]);
    }
    let header_idx = find_header(&rows);
    let columns = read_header(&rows[header_idx])?;

    // Rows where every recognised column is blank (pre-numbered template
    // rows with only "STT" filled) carry nothing to import.
    let data: Vec<&RawRow> = rows[header_idx + 1..]
        .iter()
        .filter(|r| {
            columns
                .map
                .iter()
                .any(|(_, i, _)| r.cells.get(*i).is_some_and(|c| !cell_is_blank(c)))
        })
        .collect();
    if data.len() > MAX_ROWS {
        return Err(too_many_rows());
    }
    if data.is_empty() {
        return Err(vec![RosterProblem {
            row: Some(columns.header_row),
            ..RosterProblem::file(
                ProblemCode::NoMembers,
                "the roster is empty: add one row per member below the header row",
            )
        }]);
    }

    let mut problems = Vec::new();
    let mut entries = Vec::with_capacity(data.len());
    // Lower-cased code → (row, code as written): codes must tell members
    // apart, so "ab1" and "AB1" in one file are taken to be a typo.
    let mut seen: HashMap<String, (usize, String)> = HashMap::new();
    for row in data {
        let r = row.row;
        let before = problems.len();

        let name = field_text(row, &columns, Field::Name, &mut problems);
        if let (Some(name), Some((_, header))) = (&name, columns.get(Field::Name)) {
            if name.is_empty() {
                problems.push(RosterProblem::at(
                    r,
                    header,
                    ProblemCode::EmptyName,
                    "name is empty; enter the member's full name",
                ));
            } else {
                check_length(name, NAME_LIMIT, r, header, &mut problems);
            }
        }

        let code = field_text(row, &columns, Field::Code, &mut problems);
        if let (Some(code), Some((_, header))) = (&code, columns.get(Field::Code)) {
            if code.is_empty() {
                problems.push(RosterProblem::at(
                    r,
                    header,
                    ProblemCode::EmptyCode,
                    "member code is empty; enter the member's code (each member needs a unique code)",
                ));
            } else if check_length(code, CODE_LIMIT, r, header, &mut problems) {
                let folded = code.to_lowercase();
                if let Some((first_row, first)) = seen.get(&folded) {
                    let as_written = if first == code {
                        String::new()
                    } else {
                        format!(" (as {})", quoted(first))
                    };
                    let mut problem = RosterProblem::at(
                        r,
                        header,
                        ProblemCode::DuplicateCode,
                        format!(
                            "member code {} is already used on row {first_row}{as_written}; each member needs a unique code",
                            quoted(code)
                        ),
                    )
                    .with("value", short(code))
                    .with("earlier_row", *first_row);
                    if first != code {
                        problem = problem.with("earlier_value", short(first));
                    }
                    problems.push(problem);
                } else {
                    seen.insert(folded, (r, code.clone()));
                }
            }
        }

        let status_text = field_text(row, &columns, Field::Status, &mut problems);
        let mut status = None;
        if let (Some(text), Some((_, header))) = (&status_text, columns.get(Field::Status)) {
            if text.is_empty() {
                problems.push(
                    RosterProblem::at(
                        r,
                        header,
                        ProblemCode::EmptyStatus,
                        format!("status is empty; use one of: {}", status_choices()),
                    )
                    .with("accepted", status_keys()),
                );
            } else {
                status = Status::parse(text);
                if status.is_none() {
                    problems.push(
                        RosterProblem::at(
                            r,
                            header,
                            ProblemCode::UnknownStatus,
                            format!(
                                "unknown status {}; use one of: {}",
                                quoted(text),
                                status_choices()
                            ),
                        )
                        .with("value", short(text))
                        .with("accepted", status_keys()),
                    );
                }
            }
        }

        let group =
            field_text(row, &columns, Field::Group, &mut problems).filter(|text| !text.is_empty());
        if let (Some(text), Some((_, header))) = (&group, columns.get(Field::Group)) {
            check_length(text, GROUP_LIMIT, r, header, &mut problems);
        }

        if problems.len() == before
            && let (Some(name), Some(code), Some(status)) = (name, code, status)
        {
            entries.push(RosterEntry {
                name,
                code,
                status,
                group,
            });
        }
    }

    if problems.is_empty() {
        Ok(entries)
    } else {
        Err(problems)
    }
}

// ---------------------------------------------------------------------------
// CSV

pub fn parse_csv(bytes: &[u8]) -> Result<Vec<RosterEntry>, Vec<RosterProblem>> {
    parse_csv_within(bytes, &default_limits())
}

fn parse_csv_within(bytes: &[u8], limits: &Limits) -> Result<Vec<RosterEntry>, Vec<RosterProblem>> {
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(vec![RosterProblem::file(
            ProblemCode::XlsxNamedCsv,
            "this file is an Excel workbook, not CSV; upload it with the .xlsx extension",
        )]);
    }
    // The one tabular reader (`tabular`): decoding, delimiter, limits.
    let rows = crate::tabular::read_csv(bytes, limits, HEADER_SEARCH_ROWS, Field::from_header)
        .map_err(refused)?;
    validate(
        rows.into_iter()
            .map(|r| RawRow {
                row: r.row,
                cells: r.cells,
            })
            .collect(),
    )
}

// ---------------------------------------------------------------------------
// XLSX

pub fn parse_xlsx(bytes: &[u8]) -> Result<Vec<RosterEntry>, Vec<RosterProblem>> {
    parse_xlsx_within(bytes, &default_limits())
}

fn parse_xlsx_within(
    bytes: &[u8],
    limits: &Limits,
) -> Result<Vec<RosterEntry>, Vec<RosterProblem>> {
    const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0];
    if bytes.starts_with(OLE_MAGIC) {
        return Err(vec![RosterProblem::file(
            ProblemCode::XlsNotSupported,
            "this is an old-style Excel file (.xls) or a password-protected workbook; open it in \
             Excel, remove any password and save it as \"Excel Workbook (.xlsx)\"",
        )]);
    }
    validate(read_xlsx_rows(bytes, limits)?)
}

fn not_xlsx() -> Vec<RosterProblem> {
    vec![RosterProblem::file(
        ProblemCode::NotXlsx,
        "the file is not a valid Excel workbook (.xlsx); open it in Excel and save it as \
         \"Excel Workbook (.xlsx)\", or upload a CSV file instead",
    )]
}

fn read_xlsx_rows(bytes: &[u8], limits: &Limits) -> Result<Vec<RawRow>, Vec<RosterProblem>> {
    let rows = crate::tabular::read_xlsx(bytes, limits).map_err(refused)?;
    Ok(rows
        .into_iter()
        .map(|r| RawRow {
            row: r.row,
            cells: r.cells,
        })
        .collect())
}

/// A file refused by the reader's limits or checks, as the problem to show.
fn refused(r: Refused) -> Vec<RosterProblem> {
    let message = r.to_string();
    let p = match r {
        Refused::NotXlsx => return not_xlsx(),
        Refused::TooManyRows { .. } => return too_many_rows(),
        Refused::Encrypted => RosterProblem::file(
            ProblemCode::EncryptedWorkbook,
            "the workbook is password-protected; remove the password in Excel and upload it again",
        ),
        Refused::NoWorksheet => RosterProblem::file(
            ProblemCode::NoWorksheet,
            "the roster is empty: the workbook has no worksheet",
        ),
        Refused::TooBig { max } => RosterProblem::file(
            ProblemCode::FileTooBig,
            format!("{message}; a roster is far smaller: upload the sheet with the members only"),
        )
        .with("max", max),
        Refused::TooManyColumns { max, cell } => RosterProblem::file(
            ProblemCode::TooManyColumns,
            format!(
                "{message}; at most {max} columns are read: delete the columns or cells past it"
            ),
        )
        .with("max", max)
        .with("cell", cell),
        Refused::TooManyCells { max } => RosterProblem::file(
            ProblemCode::TooManyCells,
            format!("the file has {message}; upload the sheet with the members only"),
        )
        .with("max", max),
        Refused::TooManyMerges { max } => RosterProblem::file(
            ProblemCode::TooManyMerges,
            format!("the sheet has {message}; unmerge the cells and upload it again"),
        )
        .with("max", max),
        Refused::BadRange { range } => RosterProblem::file(
            ProblemCode::BadRange,
            format!("{message}; open the file in Excel and save it again"),
        )
        .with("value", short(&range)),
        Refused::TooSlow { max } => RosterProblem::file(
            ProblemCode::TooSlow,
            format!("{message}; upload a smaller file"),
        )
        .with("max", max),
        Refused::NotText => RosterProblem::file(
            ProblemCode::NotUtf8,
            "the file is not UTF-8 text, so Vietnamese letters would be garbled; in Excel choose \
             Save As → \"CSV UTF-8 (Comma delimited)\", or upload the .xlsx file instead",
        ),
        Refused::CsvUnreadable { line, error } => RosterProblem::file(
            ProblemCode::CsvUnreadable,
            format!("the CSV file could not be read near line {line}: {error}"),
        )
        .with("line", line)
        .with("error", error),
    };
    vec![p]
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::{Format as XFormat, Workbook};

    fn problems(r: Result<Vec<RosterEntry>, Vec<RosterProblem>>) -> Vec<RosterProblem> {
        match r {
            Ok(entries) => panic!("expected problems, got {entries:?}"),
            Err(p) => p,
        }
    }

    fn entries(r: Result<Vec<RosterEntry>, Vec<RosterProblem>>) -> Vec<RosterEntry> {
        match r {
            Ok(e) => e,
            Err(p) => panic!(
                "expected entries, got problems:\n{}",
                p.iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        }
    }

    fn entry(name: &str, code: &str, status: Status, group: Option<&str>) -> RosterEntry {
        RosterEntry {
            name: name.into(),
            code: code.into(),
            status,
            group: group.map(Into::into),
        }
    }

    /// Asserts a problem at (row, column) exists whose text has every word.
    fn assert_problem(ps: &[RosterProblem], row: usize, column: &str, words: &[&str]) {
        let found = ps.iter().any(|p| {
            p.row == Some(row)
                && p.column.as_deref() == Some(column)
                && words.iter().all(|w| p.to_string().contains(w))
        });
        assert!(
            found,
            "no problem at row {row}, column {column:?} containing {words:?}; got:\n{}",
            ps.iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    #[test]
    fn fold_strips_vietnamese_diacritics() {
        assert_eq!(fold("  ĐẢNG   viên\tChính  THỨC "), "dang vien chinh thuc");
        assert_eq!(fold("Họ và Tên"), "ho va ten");
        assert_eq!(fold("Nguyễn Thị Ánh Tuyết"), "nguyen thi anh tuyet");
        // Decomposed input (as macOS produces) folds the same.
        assert_eq!(fold("Tê\u{0302}\u{0301}n"), fold("Tến"));
    }

    #[test]
    fn status_accepts_every_listed_wording() {
        let cases = [
            (Status::Official, "official"),
            (Status::Official, "Chính thức"),
            (Status::Official, "dang vien chinh thuc"),
            (Status::Official, "Đảng viên chính thức"),
            (Status::Probationary, "probationary"),
            (Status::Probationary, "DỰ BỊ"),
            (Status::Probationary, "đảng viên dự bị"),
            (Status::Exempt, "exempt"),
            (Status::Exempt, "miễn"),
            (Status::Exempt, "Miễn sinh hoạt"),
            (Status::Exempt, "miễn công tác và sinh hoạt"),
            (Status::Exempt, "Miễn công tác và sinh hoạt đảng"),
            (Status::Suspended, "suspended"),
            (Status::Suspended, "đình chỉ"),
            (Status::Suspended, "Đình chỉ sinh hoạt"),
            (Status::Attached, "attached"),
            (Status::Attached, "Attached elsewhere"),
            (Status::Attached, "sinh hoạt tạm thời"),
            (Status::Attached, "sinh hoạt nơi khác"),
            (Status::Attached, "Sinh hoạt tạm thời nơi khác"),
            // RULES.md:129: prosecuted or detained read as suspended.
            (Status::Suspended, "Bị khởi tố"),
            (Status::Suspended, "truy tố"),
            (Status::Suspended, "Đảng viên bị tạm giam"),
            (Status::Suspended, "bị đình chỉ sinh hoạt đảng"),
            // RULES.md:121: attending this cell temporarily.
            (Status::Visiting, "visiting"),
            (Status::Visiting, "Sinh hoạt tạm thời tại chi bộ"),
            (Status::Visiting, "sinh hoat tam thoi tai day"),
            (Status::Official, "  chinh   thuc "),
        ];
        for (want, text) in cases {
            assert_eq!(Status::parse(text), Some(want), "{text}");
        }
        assert_eq!(Status::parse("chinh thuc x"), None);
        assert_eq!(Status::parse(""), None);
        for s in Status::ALL {
            assert_eq!(Status::parse(s.label_vi()), Some(s));
            // The neutral words a page shows are accepted back (issue 14).
            assert_eq!(Status::parse(s.label_vi_worded(false)), Some(s));
            assert_eq!(Status::parse(s.label_en()), Some(s));
        }
    }

    #[test]
    fn status_serializes_snake_case() {
        // The csv crate is already a dependency and speaks serde.
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(entry("An", "1", Status::Probationary, None))
            .unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(text, "name,code,status,group\nAn,1,probationary,\n");
        let back: RosterEntry = csv::Reader::from_reader(text.as_bytes())
            .deserialize()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(back.status, Status::Probationary);
    }

    #[test]
    fn format_from_filename() {
        assert_eq!(Format::from_filename("ds_chi_bo.CSV"), Some(Format::Csv));
        assert_eq!(Format::from_filename("Danh sách.xlsx"), Some(Format::Xlsx));
        assert_eq!(Format::from_filename("a.XLSX"), Some(Format::Xlsx));
        assert_eq!(Format::from_filename("old.xls"), None);
        assert_eq!(Format::from_filename("csv"), None);
    }

    #[test]
    fn good_csv_with_vietnamese_headers_and_statuses() {
        let csv = "STT,Họ và tên,Mã đảng viên,Tình trạng,Tổ đảng,Ghi chú\n\
                   1,  Nguyễn   Văn An ,001,Chính thức,Tổ 1,\n\
                   2,Trần Thị Bình,002,dự bị,,mới kết nạp\n\
                   3,Lê Văn Cường,003,Miễn sinh hoạt,Tổ 2,\n\
                   4,Phạm Thị Dung,004,đình chỉ sinh hoạt,Tổ 2,\n\
                   5,Hoàng Văn Em,005,Sinh hoạt tạm thời nơi khác,Tổ 1,\n";
        let got = entries(parse(Format::Csv, csv.as_bytes()));
        assert_eq!(
            got,
            vec![
                entry("Nguyễn Văn An", "001", Status::Official, Some("Tổ 1")),
                entry("Trần Thị Bình", "002", Status::Probationary, None),
                entry("Lê Văn Cường", "003", Status::Exempt, Some("Tổ 2")),
                entry("Phạm Thị Dung", "004", Status::Suspended, Some("Tổ 2")),
                entry("Hoàng Văn Em", "005", Status::Attached, Some("Tổ 1")),
            ]
        );
    }

    #[test]
    fn headers_match_without_case_spaces_or_diacritics() {
        let csv = "  HO TEN ,MA SO,  loai dang vien,NHOM\nAn,1,chinh thuc,A\n";
        let got = entries(parse_csv(csv.as_bytes()));
        assert_eq!(got, vec![entry("An", "1", Status::Official, Some("A"))]);
    }

    #[test]
    fn semicolon_csv_with_bom() {
        let csv = "\u{FEFF}Họ và tên;Mã;Loại\r\nNguyễn Văn An;DV-01;Chính thức\r\n\
                   \"Trần, Thị Bình\";DV-02;Dự bị\r\n";
        let got = entries(parse_csv(csv.as_bytes()));
        assert_eq!(
            got,
            vec![
                entry("Nguyễn Văn An", "DV-01", Status::Official, None),
                entry("Trần, Thị Bình", "DV-02", Status::Probationary, None),
            ]
        );
    }

    #[test]
    fn csv_title_rows_above_header_keep_spreadsheet_rows() {
        let csv = "ĐẢNG BỘ PHƯỜNG 5;;;\nDANH SÁCH ĐẢNG VIÊN CHI BỘ 3;;;\n;;;\n\
                   STT;Họ và tên;Mã;Tình trạng\n1;An;1;Chính thức\n2;Bình;2;chinh thuc x\n";
        let ps = problems(parse_csv(csv.as_bytes()));
        assert_eq!(ps.len(), 1, "{ps:?}");
        assert_problem(&ps, 6, "Tình trạng", &["unknown status \"chinh thuc x\""]);
    }

    #[test]
    fn tab_csv_and_excel_sep_line() {
        let tab = "name\tcode\tstatus\nAn\t1\tofficial\n";
        assert_eq!(
            entries(parse_csv(tab.as_bytes())),
            vec![entry("An", "1", Status::Official, None)]
        );
        // Excel hides the "sep=" line, so the header is still row 1.
        let sep = "sep=;\nname;code;status\nAn;1;wrong\n";
        let ps = problems(parse_csv(sep.as_bytes()));
        assert_problem(&ps, 2, "status", &["unknown status \"wrong\""]);
    }

    #[test]
    fn utf16_tab_export_from_excel() {
        let text = "Họ tên\tMã số\tTình trạng\nNguyễn Văn An\t7\tDự bị\n";
        let mut bytes = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(
            entries(parse_csv(&bytes)),
            vec![entry("Nguyễn Văn An", "7", Status::Probationary, None)]
        );
    }

    #[test]
    fn non_utf8_csv_is_one_clear_problem() {
        // "Tên" in Windows-1258: 'ê' is 0xEA, not valid UTF-8 here.
        let ps = problems(parse_csv(b"T\xEAn,code,status\nA,1,official\n"));
        assert_eq!(ps.len(), 1);
        assert!(ps[0].to_string().contains("not UTF-8"));
        assert!(ps[0].to_string().contains("CSV UTF-8"));
    }

    fn xlsx_bytes(build: impl FnOnce(&mut rust_xlsxwriter::Worksheet)) -> Vec<u8> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        build(ws);
        wb.save_to_buffer().expect("xlsx")
    }

    #[test]
    fn xlsx_with_numeric_member_code() {
        let bytes = xlsx_bytes(|ws| {
            ws.write(0, 0, "Họ và tên").unwrap();
            ws.write(0, 1, "Số thẻ").unwrap();
            ws.write(0, 2, "Tình trạng").unwrap();
            ws.write(0, 3, "Tổ").unwrap();
            ws.write(1, 0, "Nguyễn Văn An").unwrap();
            ws.write(1, 1, 12345).unwrap();
            ws.write(1, 2, "Chính thức").unwrap();
            ws.write(1, 3, "Tổ 1").unwrap();
            ws.write(2, 0, "Trần Thị Bình").unwrap();
            ws.write(2, 1, 67890.0).unwrap();
            ws.write(2, 2, "Dự bị").unwrap();
            ws.write(3, 0, "Lê Văn Cường").unwrap();
            ws.write(3, 1, "DV-03").unwrap();
            ws.write(3, 2, "exempt").unwrap();
        });
        let got = entries(parse(Format::Xlsx, &bytes));
        assert_eq!(
            got,
            vec![
                entry("Nguyễn Văn An", "12345", Status::Official, Some("Tổ 1")),
                entry("Trần Thị Bình", "67890", Status::Probationary, None),
                entry("Lê Văn Cường", "DV-03", Status::Exempt, None),
            ]
        );
    }

    #[test]
    fn xlsx_title_block_merged_group_and_absolute_rows() {
        let bytes = xlsx_bytes(|ws| {
            let plain = XFormat::new();
            ws.merge_range(0, 0, 0, 4, "DANH SÁCH ĐẢNG VIÊN CHI BỘ 3", &plain)
                .unwrap();
            ws.write(2, 0, "STT").unwrap();
            ws.write(2, 1, "Họ và tên").unwrap();
            ws.write(2, 2, "Mã đảng viên").unwrap();
            ws.write(2, 3, "Loại đảng viên").unwrap();
            ws.write(2, 4, "Tổ đảng").unwrap();
            for (i, (name, code)) in [("An", 1), ("Bình", 2), ("Cường", 2)].iter().enumerate() {
                let r = 3 + i as u32;
                ws.write(r, 0, i as u32 + 1).unwrap();
                ws.write(r, 1, *name).unwrap();
                ws.write(r, 2, *code).unwrap();
                ws.write(r, 3, "Chính thức").unwrap();
            }
            ws.merge_range(3, 4, 5, 4, "Tổ 1", &plain).unwrap();
        });
        let ps = problems(parse_xlsx(&bytes));
        // Header is on spreadsheet row 3, so data rows are 4..6.
        assert_eq!(ps.len(), 1, "{ps:?}");
        assert_problem(
            &ps,
            6,
            "Mã đảng viên",
            &["member code \"2\"", "already used on row 5"],
        );

        let bytes = xlsx_bytes(|ws| {
            let plain = XFormat::new();
            ws.write(0, 0, "name").unwrap();
            ws.write(0, 1, "code").unwrap();
            ws.write(0, 2, "status").unwrap();
            ws.write(0, 3, "group").unwrap();
            for r in 1..=2u32 {
                ws.write(r, 0, format!("M{r}")).unwrap();
                ws.write(r, 1, r).unwrap();
                ws.write(r, 2, "official").unwrap();
            }
            ws.merge_range(1, 3, 2, 3, "Tổ 2", &plain).unwrap();
        });
        let got = entries(parse_xlsx(&bytes));
        assert!(
            got.iter().all(|e| e.group.as_deref() == Some("Tổ 2")),
            "{got:?}"
        );
    }

    #[test]
    fn xlsx_error_cell_is_reported() {
        let bytes = xlsx_bytes(|ws| {
            ws.write(0, 0, "name").unwrap();
            ws.write(0, 1, "code").unwrap();
            ws.write(0, 2, "status").unwrap();
            ws.write(1, 0, "An").unwrap();
            ws.write_formula(
                1,
                1,
                rust_xlsxwriter::Formula::new("=1/0").set_result("#DIV/0!"),
            )
            .unwrap();
            ws.write(1, 2, "official").unwrap();
        });
        let ps = problems(parse_xlsx(&bytes));
        assert_problem(
            &ps,
            2,
            "code",
            &["spreadsheet error \"#DIV/0!\"", "member code"],
        );

        let bytes = xlsx_bytes(|ws| {
            let date = XFormat::new().set_num_format("dd/mm/yyyy");
            ws.write(0, 0, "name").unwrap();
            ws.write(0, 1, "code").unwrap();
            ws.write(0, 2, "status").unwrap();
            ws.write(1, 0, "An").unwrap();
            ws.write_number_with_format(1, 1, 45000.0, &date).unwrap();
            ws.write(1, 2, "official").unwrap();
        });
        let ps = problems(parse_xlsx(&bytes));
        assert_problem(
            &ps,
            2,
            "code",
            &["date or time", "format the column as Text"],
        );
    }

    #[test]
    fn not_an_xlsx() {
        let ps = problems(parse(Format::Xlsx, b"name,code,status\nAn,1,official\n"));
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].row, None);
        assert_eq!(ps[0].column, None);
        assert!(ps[0].to_string().contains("not a valid Excel workbook"));

        let ps = problems(parse_xlsx(&[
            0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1,
        ]));
        assert_eq!(ps.len(), 1);
        assert!(ps[0].message.contains(".xls"));

        // A workbook uploaded under a .csv name.
        let bytes = xlsx_bytes(|ws| {
            ws.write(0, 0, "name").unwrap();
        });
        let ps = problems(parse_csv(&bytes));
        assert!(ps[0].message.contains("Excel workbook"));
    }

    #[test]
    fn wrong_columns_missing_code() {
        let csv = "Họ và tên,Mã số thuế,Tình trạng\nAn,1,official\n";
        let ps = problems(parse_csv(csv.as_bytes()));
        assert_eq!(ps.len(), 1, "{ps:?}");
        assert_problem(
            &ps,
            1,
            "code",
            &[
                "missing required column",
                "member code",
                "\"mã đảng viên\"",
                "\"số thẻ\"",
            ],
        );
    }

    #[test]
    fn duplicate_columns_are_reported() {
        let csv = "Tên,Họ và tên,code,status\nAn,Nguyễn Văn An,1,official\n";
        let ps = problems(parse_csv(csv.as_bytes()));
        assert_problem(&ps, 1, "Họ và tên", &["\"Tên\"", "rename or delete"]);
    }

    #[test]
    fn duplicate_member_codes_name_both_rows() {
        let csv = "name,code,status\nAn,A1,official\nBình,B2,official\nCường,a1,official\nDung,B2,official\n";
        let ps = problems(parse_csv(csv.as_bytes()));
        assert_eq!(ps.len(), 2, "{ps:?}");
        assert_problem(
            &ps,
            4,
            "code",
            &["member code \"a1\"", "already used on row 2", "(as \"A1\")"],
        );
        assert_problem(
            &ps,
            5,
            "code",
            &[
                "row 5",
                "member code \"B2\"",
                "already used on row 3",
                "unique",
            ],
        );
    }

    #[test]
    fn unknown_status_lists_accepted_values() {
        let csv = "name,code,status\nAn,1,chinh thuc x\n";
        let ps = problems(parse_csv(csv.as_bytes()));
        assert_eq!(ps.len(), 1);
        assert_eq!(
            ps[0].to_string(),
            "row 2, column \"status\": unknown status \"chinh thuc x\"; use one of: \
             official (chính thức), probationary (dự bị), exempt (miễn sinh hoạt), \
             suspended (đình chỉ sinh hoạt), attached (sinh hoạt tạm thời nơi khác), \
             visiting (sinh hoạt tạm thời tại chi bộ)"
        );
    }

    #[test]
    fn empty_names_and_codes() {
        let csv = "Họ và tên,Mã,Tình trạng\n   ,1,Chính thức\nAn,,Chính thức\n";
        let ps = problems(parse_csv(csv.as_bytes()));
        assert_eq!(ps.len(), 2, "{ps:?}");
        assert_problem(&ps, 2, "Họ và tên", &["name is empty"]);
        assert_problem(&ps, 3, "Mã", &["member code is empty"]);
    }

    #[test]
    fn too_long_values() {
        let long_name = "Nguyễn ".repeat(20);
        let long_code = "9".repeat(65);
        let csv = format!("name,code,status\n{long_name},1,official\nAn,{long_code},official\n");
        let ps = problems(parse_csv(csv.as_bytes()));
        assert_problem(&ps, 2, "name", &["139 characters", "at most 120"]);
        assert_problem(&ps, 3, "code", &["65 characters", "at most 64"]);
    }

    #[test]
    fn several_problems_at_once_with_right_rows() {
        // Row 4 is blank and still counts as a spreadsheet row; row 5 has a
        // quoted multi-line note that stays one row.
        let csv = "Họ tên;Mã;Tình trạng;Ghi chú\n\
                   An;1;chính thức;\n\
                   ;2;dự bị;\n\
                   \n\
                   Cường;1;khác;\"dòng 1\ndòng 2\"\n\
                   Dung;;;\n\
                   Em;5;Miễn;\n";
        let ps = problems(parse_csv(csv.as_bytes()));
        assert_problem(&ps, 3, "Họ tên", &["name is empty"]);
        assert_problem(&ps, 5, "Mã", &["already used on row 2"]);
        assert_problem(&ps, 5, "Tình trạng", &["unknown status \"khác\""]);
        assert_problem(&ps, 6, "Mã", &["member code is empty"]);
        assert_problem(&ps, 6, "Tình trạng", &["status is empty"]);
        assert_eq!(ps.len(), 5, "{ps:?}");
        // Reported in reading order.
        let rows: Vec<_> = ps.iter().map(|p| p.row.unwrap()).collect();
        assert_eq!(rows, vec![3, 5, 5, 6, 6]);
    }

    #[test]
    fn blank_rows_are_skipped() {
        let csv = "\r\nname,code,status\r\n\r\nAn,1,official\r\n , ,\r\n,,,\r\n\
                   Bình,2,official\r\n\r\n";
        let got = entries(parse_csv(csv.as_bytes()));
        assert_eq!(
            got,
            vec![
                entry("An", "1", Status::Official, None),
                entry("Bình", "2", Status::Official, None),
            ]
        );
        // Blank rows still count: the bad status is on spreadsheet row 7.
        let bad = csv.replace("Bình,2,official", "Bình,2,x");
        let ps = problems(parse_csv(bad.as_bytes()));
        assert_problem(&ps, 7, "status", &["unknown status \"x\""]);
        // A row with only an ignored column filled (a pre-numbered template
        // row) is blank too.
        let csv = "STT,name,code,status\n1,An,1,official\n2,,,\n3,,,\n";
        assert_eq!(entries(parse_csv(csv.as_bytes())).len(), 1);
    }

    #[test]
    fn empty_file() {
        for bytes in [&b""[..], b"\xEF\xBB\xBF", b"\n\n , ,\n"] {
            let ps = problems(parse_csv(bytes));
            assert_eq!(ps.len(), 1);
            assert!(ps[0].to_string().contains("the roster is empty"), "{ps:?}");
        }
        let ps = problems(parse_csv(b"name,code,status\n\n"));
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].row, Some(1));
        assert!(ps[0].message.contains("the roster is empty"));

        let bytes = xlsx_bytes(|_| {});
        let ps = problems(parse_xlsx(&bytes));
        assert!(ps[0].message.contains("the roster is empty"), "{ps:?}");
    }

    #[test]
    fn invisible_characters_are_refused() {
        let csv = "Name,Code,Status\nLa\u{202E}n,DV01,official\nAn,DV\u{200D}02,official\n";
        let ps = problems(parse_csv(csv.as_bytes()));
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0].code, ProblemCode::InvisibleCharacter);
        assert_eq!(ps[0].params["character"], "U+202E");
        assert_eq!(ps[0].params["field"], "name");
        assert_eq!(ps[1].params["field"], "code");
    }

    #[test]
    fn a_million_blank_records_cost_nothing() {
        let csv = format!(
            "Name,Code,Status\n{}An,1,official\n",
            ",\n".repeat(1_000_000)
        );
        let e = entries(parse_csv(csv.as_bytes()));
        assert_eq!(e.len(), 1);
    }

    #[test]
    fn csv_column_and_cell_limits() {
        let wide = format!("Name,Code,Status{}\nAn,1,official\n", ",x".repeat(100));
        let ps = problems(parse_csv(wide.as_bytes()));
        assert_eq!(ps[0].code, ProblemCode::TooManyColumns);
        assert_eq!(ps[0].params["cell"], "BM1");
        // Trailing empty fields are not columns.
        let padded = format!("Name,Code,Status{}\nAn,1,official\n", ",".repeat(5000));
        assert_eq!(entries(parse_csv(padded.as_bytes())).len(), 1);
        let limits = Limits {
            max_cells: 10,
            ..default_limits()
        };
        let rows = "Name,Code,Status\nAn,1,official\nBình,2,official\nCường,3,official\n";
        let ps = parse_within(Format::Csv, rows.as_bytes(), &limits).unwrap_err();
        assert_eq!(ps[0].code, ProblemCode::TooManyCells);
    }

    #[test]
    fn row_limit() {
        let mut csv = String::from("name,code,status\n");
        for i in 0..=MAX_ROWS {
            csv.push_str(&format!("M{i},{i},official\n"));
        }
        let ps = problems(parse_csv(csv.as_bytes()));
        assert_eq!(ps.len(), 1);
        assert!(ps[0].message.contains("more than 20000"));

        let mut csv = String::from("name,code,status\n");
        for i in 0..MAX_ROWS {
            csv.push_str(&format!("M{i},{i},official\n"));
        }
        assert_eq!(entries(parse_csv(csv.as_bytes())).len(), MAX_ROWS);

        // Rows with only ignored columns are skipped, but a file with that
        // many of them is still refused rather than read in part.
        let mut csv = String::from("STT,name,code,status\n");
        for i in 0..MAX_ROWS + 20 {
            csv.push_str(&format!("{i},,,\n"));
        }
        csv.push_str("0,An,1,official\n");
        let ps = problems(parse_csv(csv.as_bytes()));
        assert!(ps[0].message.contains("more than 20000 rows"), "{ps:?}");
    }

    /// The only problem at (row, column), which must have `code`.
    fn coded<'a>(
        ps: &'a [RosterProblem],
        row: Option<usize>,
        column: Option<&str>,
        code: ProblemCode,
    ) -> &'a RosterProblem {
        let found: Vec<_> = ps
            .iter()
            .filter(|p| p.row == row && p.column.as_deref() == column && p.code == code)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "{code:?} at {row:?}, {column:?}; got:\n{ps:#?}"
        );
        found[0]
    }

    #[test]
    fn problems_have_codes_and_params() {
        let csv = "name,code,status,group\n\
                   An,A1,official,\n\
                   ,2,official,\n\
                   Bình,,official,\n\
                   Cường,a1,chairman,\n\
                   Dung,A1,,\n\
                   Em,6,official,Tổ 1\n";
        let ps = problems(parse_csv(csv.as_bytes()));
        assert_eq!(ps.len(), 6, "{ps:#?}");
        assert!(
            coded(&ps, Some(3), Some("name"), ProblemCode::EmptyName)
                .params
                .is_empty()
        );
        coded(&ps, Some(4), Some("code"), ProblemCode::EmptyCode);

        let dup = coded(&ps, Some(5), Some("code"), ProblemCode::DuplicateCode);
        assert_eq!(dup.params["value"], "a1");
        assert_eq!(dup.params["earlier_row"], 2);
        assert_eq!(dup.params["earlier_value"], "A1");
        let dup = coded(&ps, Some(6), Some("code"), ProblemCode::DuplicateCode);
        assert_eq!(dup.params["earlier_row"], 2);
        assert!(!dup.params.contains_key("earlier_value"), "{dup:?}");

        let statuses = serde_json::json!([
            "official",
            "probationary",
            "exempt",
            "suspended",
            "attached",
            "visiting"
        ]);
        let unknown = coded(&ps, Some(5), Some("status"), ProblemCode::UnknownStatus);
        assert_eq!(unknown.params["value"], "chairman");
        assert_eq!(unknown.params["accepted"], statuses);
        let empty = coded(&ps, Some(6), Some("status"), ProblemCode::EmptyStatus);
        assert_eq!(empty.params["accepted"], statuses);
    }

    #[test]
    fn problem_json_has_code_and_params() {
        let ps = problems(parse_csv(b"name,code,status\nAn,1,chairman\n"));
        assert_eq!(
            serde_json::to_value(&ps[0]).unwrap(),
            serde_json::json!({
                "row": 2,
                "column": "status",
                "code": "unknown_status",
                "params": {
                    "value": "chairman",
                    "accepted": ["official", "probationary", "exempt", "suspended", "attached", "visiting"],
                },
                "message": ps[0].message,
            })
        );
        // Without parameters the key is left out.
        let ps = problems(parse_csv(b"name,code,status\n,1,official\n"));
        let json = serde_json::to_value(&ps[0]).unwrap();
        assert_eq!(json["code"], "empty_name");
        assert!(json.get("params").is_none(), "{json}");
    }

    #[test]
    fn column_problems_have_codes_and_params() {
        let ps = problems(parse_csv(
            "Họ và tên,Mã số thuế,Tình trạng\nAn,1,x\n".as_bytes(),
        ));
        let p = coded(&ps, Some(1), Some("code"), ProblemCode::MissingColumn);
        assert_eq!(p.params["field"], "code");
        let accepted = p.params["accepted"].as_array().unwrap();
        assert!(accepted.contains(&"mã đảng viên".into()), "{accepted:?}");
        assert_eq!(accepted.len(), Field::Code.aliases().len());

        let ps = problems(parse_csv(
            "Tên,Họ và tên,code,status\nA,B,1,official\n".as_bytes(),
        ));
        let p = coded(
            &ps,
            Some(1),
            Some("Họ và tên"),
            ProblemCode::DuplicateColumn,
        );
        assert_eq!(p.params["field"], "name");
        assert_eq!(p.params["other_column"], "Tên");
    }

    #[test]
    fn length_problems_have_codes_and_params() {
        let long_name = "Nguyễn ".repeat(20);
        let long_code = "9".repeat(65);
        let long_group = "T".repeat(121);
        let csv = format!(
            "name,code,status,group\n{long_name},1,official,\nAn,{long_code},official,\n\
             Bình,3,official,{long_group}\n"
        );
        let ps = problems(parse_csv(csv.as_bytes()));
        let p = coded(&ps, Some(2), Some("name"), ProblemCode::NameTooLong);
        assert_eq!(p.params["length"], 139);
        assert_eq!(p.params["max"], MAX_NAME_CHARS);
        // The value is shortened like in the message.
        assert_eq!(p.params["value"].as_str().unwrap().chars().count(), 41);
        let p = coded(&ps, Some(3), Some("code"), ProblemCode::CodeTooLong);
        assert_eq!(
            (&p.params["length"], &p.params["max"]),
            (&65.into(), &64.into())
        );
        let p = coded(&ps, Some(4), Some("group"), ProblemCode::GroupTooLong);
        assert_eq!(p.params["length"], 121);
    }

    #[test]
    fn cell_problems_have_codes_and_params() {
        let bytes = xlsx_bytes(|ws| {
            let date = XFormat::new().set_num_format("dd/mm/yyyy");
            ws.write(0, 0, "name").unwrap();
            ws.write(0, 1, "code").unwrap();
            ws.write(0, 2, "status").unwrap();
            ws.write(1, 0, "An").unwrap();
            ws.write_number_with_format(1, 1, 45000.0, &date).unwrap();
            ws.write(1, 2, "official").unwrap();
            ws.write(2, 0, "Bình").unwrap();
            ws.write(2, 1, "2").unwrap();
            ws.write_formula(
                2,
                2,
                rust_xlsxwriter::Formula::new("=NA()").set_result("#N/A"),
            )
            .unwrap();
        });
        let ps = problems(parse_xlsx(&bytes));
        assert_eq!(ps.len(), 2, "{ps:#?}");
        let p = coded(&ps, Some(2), Some("code"), ProblemCode::DateCell);
        assert_eq!(p.params["field"], "code");
        let p = coded(&ps, Some(3), Some("status"), ProblemCode::ErrorCell);
        assert_eq!(p.params["field"], "status");
        assert_eq!(p.params["value"], "#N/A");
    }

    #[test]
    fn file_problems_have_codes() {
        let code = |r| {
            let ps = problems(r);
            assert_eq!(ps.len(), 1, "{ps:#?}");
            assert_eq!((ps[0].row, &ps[0].column), (None, &None), "{ps:#?}");
            ps[0].code
        };
        assert_eq!(code(parse_csv(b"")), ProblemCode::EmptyRoster);
        assert_eq!(code(parse_csv(b"T\xEAn,code\n")), ProblemCode::NotUtf8);
        let workbook = xlsx_bytes(|ws| {
            ws.write(0, 0, "name").unwrap();
        });
        assert_eq!(code(parse_csv(&workbook)), ProblemCode::XlsxNamedCsv);
        assert_eq!(code(parse_xlsx(b"name,code")), ProblemCode::NotXlsx);
        assert_eq!(
            code(parse_xlsx(&[
                0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1
            ])),
            ProblemCode::XlsNotSupported
        );
        assert_eq!(
            code(parse_xlsx(&xlsx_bytes(|_| {}))),
            ProblemCode::EmptyRoster
        );

        let mut csv = String::from("name,code,status\n");
        for i in 0..=MAX_ROWS {
            csv.push_str(&format!("M{i},{i},official\n"));
        }
        let ps = problems(parse_csv(csv.as_bytes()));
        assert_eq!(ps[0].code, ProblemCode::TooManyRows);
        assert_eq!(ps[0].params["max"], MAX_ROWS);

        // A header and nothing below it names the header row.
        let ps = problems(parse_csv(b"name,code,status\n"));
        assert_eq!(ps[0].code, ProblemCode::NoMembers);
        assert_eq!(ps[0].row, Some(1));
    }

    #[test]
    fn problem_display_variants() {
        let p = RosterProblem::file(ProblemCode::EmptyRoster, "the roster is empty");
        assert_eq!(p.to_string(), "the roster is empty");
        let p = RosterProblem {
            row: Some(3),
            column: None,
            code: ProblemCode::EmptyName,
            params: serde_json::Map::new(),
            message: "x".into(),
        };
        assert_eq!(p.to_string(), "row 3: x");
    }
}

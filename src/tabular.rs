//! Spreadsheet files (XLSX) and CSV read as hostile input: rows of cells
//! with their spreadsheet coordinates, streamed, within limits checked
//! before memory is allocated. The one tabular reader of rosters and banks:
//! [`read_xlsx_sheet`] and [`read_csv`].
//!
//! A workbook is a ZIP of XML parts, and everything in it may lie: the
//! declared uncompressed sizes, the sheet's declared dimension (`A1:XFD1048576`
//! in a 1.7 KB file), merged ranges written backwards (`D3:D1`). So:
//!
//! 1. every part is inflated once, counting real bytes against
//!    [`Limits::max_unzipped_bytes`], before anything is parsed;
//! 2. in the same pass every `dimension` and `mergeCell` range of every
//!    worksheet is parsed with checked arithmetic and must run forwards;
//! 3. cells are streamed from the sheet's XML (never a dense grid from the
//!    declared dimension) into a sparse map, counting non-blank cells, rows
//!    and the columns they use;
//! 4. the clock is checked all along against [`Limits::deadline`].
//!
//! Callers run this on a blocking thread (`spawn_blocking`), never on an
//! async worker.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::time::{Duration, Instant};

use calamine::{DataRef, Reader, SheetType, SheetVisible, Xlsx, XlsxError};

/// Largest total of the workbook's parts once inflated. A 20,000-member
/// roster is about 5 MB of XML; a ZIP bomb is gigabytes.
pub const MAX_UNZIPPED_BYTES: u64 = 32 * 1024 * 1024;
/// Most parts in one workbook (Excel writes about ten).
pub const MAX_ZIP_ENTRIES: usize = 1_000;
/// Most columns a cell with a value may be in (column `BL`). Rosters use
/// four; a value further right is a wrong file or an attack.
pub const MAX_COLUMNS: u32 = 64;
/// Most cells the rows hold once laid out (each row as wide as its
/// rightmost value): bounds the memory of what is returned.
pub const MAX_CELLS: usize = 400_000;
/// Most merged ranges in one worksheet.
pub const MAX_MERGES: usize = 10_000;
/// Longest a file may take to read.
pub const MAX_SECONDS: u64 = 10;

/// The limits of one read. `Limits::new()` has the defaults above.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_unzipped_bytes: u64,
    pub max_rows: usize,
    pub max_columns: u32,
    pub max_cells: usize,
    /// Reading gives up after this instant.
    pub deadline: Instant,
    /// What the deadline was, for messages.
    pub seconds: u64,
}

impl Limits {
    /// Default limits with a deadline [`MAX_SECONDS`] from now and at most
    /// `max_rows` non-blank rows.
    pub fn new(max_rows: usize) -> Limits {
        Limits {
            max_unzipped_bytes: MAX_UNZIPPED_BYTES,
            max_rows,
            max_columns: MAX_COLUMNS,
            max_cells: MAX_CELLS,
            deadline: Instant::now() + Duration::from_secs(MAX_SECONDS),
            seconds: MAX_SECONDS,
        }
    }

    pub fn check_time(&self) -> Result<(), Refused> {
        if Instant::now() > self.deadline {
            Err(Refused::TooSlow { max: self.seconds })
        } else {
            Ok(())
        }
    }
}

/// A cell as read: its text, or why it has no usable text.
pub type Cell = Result<String, CellIssue>;

/// Cells that cannot be text; reported rather than turned into misleading
/// text such as a date's serial number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CellIssue {
    Date,
    /// The spreadsheet error, e.g. `#DIV/0!`.
    Error(String),
}

/// One row with its spreadsheet row number (1-based); `cells[i]` is column
/// `i` (A = 0). Rows without any value are not returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub row: usize,
    pub cells: Vec<Cell>,
}

/// Why a file was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("not a valid Excel workbook")]
    NotXlsx,
    #[error("the workbook is password-protected")]
    Encrypted,
    #[error("the workbook has no worksheet")]
    NoWorksheet,
    #[error("the workbook is more than {max} bytes once unzipped")]
    TooBig { max: u64 },
    #[error("more than {max} rows")]
    TooManyRows { max: usize },
    /// `cell` is the first cell found past the limit, e.g. `XFD1048576`.
    #[error("cell {cell} is past column {}, the last one read", column_name(max - 1))]
    TooManyColumns { max: u32, cell: String },
    #[error("more than {max} cells")]
    TooManyCells { max: usize },
    /// A `dimension` or merged range that runs backwards or off the sheet,
    /// or a cell or row address off the sheet.
    #[error("the cell or range {range} is not valid")]
    BadRange { range: String },
    #[error("more than {max} merged ranges")]
    TooManyMerges { max: usize },
    #[error("reading took more than {max} seconds")]
    TooSlow { max: u64 },
    /// A CSV file that is neither UTF-8 (with or without a BOM) nor UTF-16
    /// with a BOM.
    #[error("the file is not UTF-8 text")]
    NotText,
    /// A CSV file the CSV reader stopped on (`line` is 1-based).
    #[error("the CSV file could not be read near line {line}: {error}")]
    CsvUnreadable { line: u64, error: String },
}

/// `0` → `A`, `25` → `Z`, `26` → `AA`.
pub fn column_name(mut col: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Largest row and column Excel allows (0-based): `XFD1048576`.
const LAST_ROW: u32 = 1_048_575;
const LAST_COLUMN: u32 = 16_383;

/// `"B3"` → `(2, 1)` (0-based row, column); `None` for anything else,
/// including cells off Excel's sheet. Checked arithmetic throughout.
pub fn parse_cell_ref(s: &str) -> Option<(u32, u32)> {
    let s = s.trim().trim_start_matches('$');
    let letters = s.bytes().take_while(u8::is_ascii_alphabetic).count();
    if letters == 0 || letters > 3 {
        return None;
    }
    let (cols, rows) = s.split_at(letters);
    let rows = rows.strip_prefix('$').unwrap_or(rows);
    if rows.is_empty() || rows.len() > 7 || !rows.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut col: u32 = 0;
    for b in cols.bytes() {
        let v = u32::from(b.to_ascii_uppercase() - b'A') + 1;
        col = col.checked_mul(26)?.checked_add(v)?;
    }
    let row: u32 = rows.parse().ok()?;
    let (row, col) = (row.checked_sub(1)?, col.checked_sub(1)?);
    (row <= LAST_ROW && col <= LAST_COLUMN).then_some((row, col))
}

/// `"A1:D3"` or `"B2"`: start and end, which must run forwards.
pub fn parse_range(s: &str) -> Option<((u32, u32), (u32, u32))> {
    let (a, b) = match s.split_once(':') {
        Some((a, b)) => (parse_cell_ref(a)?, parse_cell_ref(b)?),
        None => {
            let a = parse_cell_ref(s)?;
            (a, a)
        }
    };
    (a.0 <= b.0 && a.1 <= b.1).then_some((a, b))
}

/// Reads the first worksheet (the first visible one if any) of an XLSX
/// file, copying the top value of each vertical merged range down into the
/// blank cells below it (a group merged over its members' rows).
pub fn read_xlsx(bytes: &[u8], limits: &Limits) -> Result<Vec<Row>, Refused> {
    read_xlsx_sheet(bytes, limits).map(|s| s.rows)
}

/// The sheet read from a workbook, with its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Row>,
}

/// [`read_xlsx`], with the name of the sheet read.
pub fn read_xlsx_sheet(bytes: &[u8], limits: &Limits) -> Result<Sheet, Refused> {
    inspect_zip(bytes, limits)?;
    // The checks above keep calamine away from what it mishandles; a panic
    // in it would still only refuse this file.
    let read = std::panic::catch_unwind(|| read_checked(bytes, limits));
    read.unwrap_or_else(|_| {
        tracing::warn!("the spreadsheet reader panicked on an uploaded file");
        Err(Refused::NotXlsx)
    })
}

/// Pass 1: inflate every part against the size budget and check the ranges
/// in every XML part (a worksheet may be stored under any name).
fn inspect_zip(bytes: &[u8], limits: &Limits) -> Result<(), Refused> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| Refused::NotXlsx)?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(Refused::NotXlsx);
    }
    let mut left = limits.max_unzipped_bytes;
    for i in 0..zip.len() {
        limits.check_time()?;
        let entry = match zip.by_index(i) {
            Ok(e) => e,
            Err(zip::result::ZipError::UnsupportedArchive(m)) if m.contains("assword") => {
                return Err(Refused::Encrypted);
            }
            Err(_) => return Err(Refused::NotXlsx),
        };
        if entry.encrypted() {
            return Err(Refused::Encrypted);
        }
        // The declared size may lie; the count below may not.
        if entry.size() > left {
            return Err(Refused::TooBig {
                max: limits.max_unzipped_bytes,
            });
        }
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        let mut body = entry.take(left + 1);
        let read = if name.ends_with(".xml") {
            let mut counted = Counted {
                inner: &mut body,
                n: 0,
            };
            let checked = check_ranges(&mut counted, limits);
            let n = counted.n;
            // Whatever the XML reader left unread still counts.
            let rest = copy_counting(&mut body, limits)?;
            if n + rest > left {
                return Err(Refused::TooBig {
                    max: limits.max_unzipped_bytes,
                });
            }
            checked?;
            n + rest
        } else {
            copy_counting(&mut body, limits)?
        };
        if read > left {
            return Err(Refused::TooBig {
                max: limits.max_unzipped_bytes,
            });
        }
        left -= read;
    }
    Ok(())
}

/// Reads `r` to its end, counting bytes and watching the clock.
fn copy_counting(r: &mut impl Read, limits: &Limits) -> Result<u64, Refused> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut n = 0u64;
    loop {
        match r.read(&mut buf) {
            Ok(0) => return Ok(n),
            Ok(k) => n += k as u64,
            Err(_) => return Err(Refused::NotXlsx),
        }
        limits.check_time()?;
    }
}

/// A reader that counts what went through it.
struct Counted<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n += k as u64;
        Ok(k)
    }
}

/// Refuses a `dimension` or merged range that does not run forwards, a
/// cell or row address off Excel's sheet (the spreadsheet library's own
/// arithmetic on them is unchecked), and more than [`MAX_MERGES`] merged
/// ranges in one part. XML this reader
/// finds malformed is left for the workbook reader to judge.
fn check_ranges(r: &mut impl Read, limits: &Limits) -> Result<(), Refused> {
    use quick_xml::events::Event;
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(r));
    xml.config_mut().check_end_names = false;
    let mut buf = Vec::new();
    let mut merges = 0usize;
    let mut events = 0u32;
    loop {
        buf.clear();
        let Ok(ev) = xml.read_event_into(&mut buf) else {
            return Ok(());
        };
        events = events.wrapping_add(1);
        if events.is_multiple_of(4096) {
            limits.check_time()?;
        }
        let e = match ev {
            Event::Eof => return Ok(()),
            Event::Start(e) | Event::Empty(e) => e,
            _ => continue,
        };
        let name = e.local_name();
        let name = name.as_ref();
        if !matches!(name, "mergeCell" | "dimension" | "c" | "row") {
            continue;
        }
        let key = if matches!(name, "c" | "row") {
            "r"
        } else {
            "ref"
        };
        // Every such attribute: a repeated one may be what a reader uses.
        for attr in e.attributes().with_checks(false).flatten() {
            if attr.key.as_ref() != key {
                continue;
            }
            let text: String = attr.value.chars().take(32).collect();
            let valid = match name {
                "c" => parse_cell_ref(&text).is_some(),
                "row" => text
                    .parse::<u32>()
                    .is_ok_and(|r| (1..=LAST_ROW + 1).contains(&r)),
                _ => parse_range(&text).is_some(),
            };
            if !valid {
                return Err(Refused::BadRange { range: text });
            }
        }
        if name == "mergeCell" {
            merges += 1;
            if merges > MAX_MERGES {
                return Err(Refused::TooManyMerges { max: MAX_MERGES });
            }
        }
    }
}

/// Pass 2: the workbook, known to be small and well-formed in its ranges.
fn read_checked(bytes: &[u8], limits: &Limits) -> Result<Sheet, Refused> {
    let mut book: Xlsx<_> = match Xlsx::new(Cursor::new(bytes)) {
        Ok(b) => b,
        Err(XlsxError::Password) => return Err(Refused::Encrypted),
        Err(_) => return Err(Refused::NotXlsx),
    };
    limits.check_time()?;
    // First worksheet, preferring a visible one: a hidden first sheet is
    // usually a lookup list, not what the organiser sees on opening.
    let sheets = book.sheets_metadata();
    let worksheets = || sheets.iter().filter(|s| s.typ == SheetType::WorkSheet);
    let sheet = worksheets()
        .find(|s| s.visible == SheetVisible::Visible)
        .or_else(|| worksheets().next())
        .map(|s| s.name.clone())
        .ok_or(Refused::NoWorksheet)?;

    // Row number → (column, cell), values only.
    let mut rows: BTreeMap<u32, Vec<(u32, Cell)>> = BTreeMap::new();
    let mut cells = 0usize;
    let mut seen = 0u32;
    {
        let mut reader = book
            .worksheet_cells_reader(&sheet)
            .map_err(|_| Refused::NotXlsx)?;
        while let Some(cell) = reader.next_cell().map_err(|_| Refused::NotXlsx)? {
            seen = seen.wrapping_add(1);
            if seen.is_multiple_of(4096) {
                limits.check_time()?;
            }
            let value = cell_value(cell.get_value());
            if blank(&value) {
                continue;
            }
            let (r, c) = cell.get_position();
            if c >= limits.max_columns {
                return Err(Refused::TooManyColumns {
                    max: limits.max_columns,
                    cell: format!("{}{}", column_name(c), u64::from(r) + 1),
                });
            }
            cells += 1;
            if cells > limits.max_cells {
                return Err(Refused::TooManyCells {
                    max: limits.max_cells,
                });
            }
            if !rows.contains_key(&r) && rows.len() >= limits.max_rows {
                return Err(Refused::TooManyRows {
                    max: limits.max_rows,
                });
            }
            rows.entry(r).or_default().push((c, value));
        }
    }
    limits.check_time()?;

    // A group (tổ) is often one cell merged down over its members' rows;
    // only the top cell holds the value, so copy it down into rows that
    // have values. Only vertical merges: a header merged across columns
    // must not name two columns.
    let merges = book.merge_cells_by_sheet_name(&sheet).unwrap_or_default();
    for m in merges.iter().take(MAX_MERGES) {
        let (start, end) = (m.start, m.end);
        let col = start.1;
        // Checked again: the ranges of a part under an unusual name were
        // not seen by the first pass.
        if start.1 != end.1 || start.0 >= end.0 || col >= limits.max_columns {
            continue;
        }
        let Some(value) = rows
            .get(&start.0)
            .and_then(|r| r.iter().find(|(c, _)| *c == col))
            .map(|(_, v)| v.clone())
        else {
            continue;
        };
        // Bounded by the rows that exist, not by the range's height.
        for (_, row) in rows.range_mut(start.0 + 1..=end.0) {
            if !row.iter().any(|(c, _)| *c == col) {
                row.push((col, value.clone()));
            }
        }
        limits.check_time()?;
    }

    // Lay the rows out densely, each as wide as its rightmost value.
    let width: usize = rows
        .values()
        .map(|r| r.iter().map(|(c, _)| *c as usize + 1).max().unwrap_or(0))
        .sum();
    if width > limits.max_cells {
        return Err(Refused::TooManyCells {
            max: limits.max_cells,
        });
    }
    let rows = rows
        .into_iter()
        .map(|(r, values)| {
            let w = values
                .iter()
                .map(|(c, _)| *c as usize + 1)
                .max()
                .unwrap_or(0);
            let mut cells: Vec<Cell> = vec![Ok(String::new()); w];
            for (c, v) in values {
                cells[c as usize] = v;
            }
            Row {
                row: r as usize + 1,
                cells,
            }
        })
        .collect();
    Ok(Sheet { name: sheet, rows })
}

// ---------------------------------------------------------------------------
// CSV

/// UTF-8, with or without a BOM; also UTF-16 with a BOM, because that is
/// what Excel's "Unicode Text" (tab-separated) export writes. `None`: not
/// text.
pub fn decode_text(bytes: &[u8]) -> Option<String> {
    let utf16 = |le: bool| -> Option<String> {
        let body = &bytes[2..];
        if !body.len().is_multiple_of(2) {
            return None;
        }
        let units = body.chunks_exact(2).map(|p| {
            if le {
                u16::from_le_bytes([p[0], p[1]])
            } else {
                u16::from_be_bytes([p[0], p[1]])
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .ok()
    };
    if bytes.starts_with(&[0xFF, 0xFE]) {
        utf16(true)
    } else if bytes.starts_with(&[0xFE, 0xFF]) {
        utf16(false)
    } else {
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        std::str::from_utf8(body).ok().map(str::to_string)
    }
}

/// Chooses the delimiter (`,`, `;` or tab) that makes the most header names
/// recognisable in the first `search_rows` lines (Vietnamese Excel writes
/// ';' because ',' is the decimal separator there); `header` names the
/// field a header cell is, if any. Honours Excel's "sep=;" first line,
/// returning the text after it.
pub fn detect_delimiter<K: Ord>(
    text: &str,
    search_rows: usize,
    header: impl Fn(&str) -> Option<K>,
) -> (u8, &str) {
    let first_line = text.lines().next().unwrap_or("");
    let sep = first_line.trim().strip_prefix("sep=").unwrap_or("");
    if let Some(d @ (',' | ';' | '\t')) = sep.chars().next().filter(|_| sep.len() == 1) {
        let body = &text[first_line.len()..];
        let body = body
            .strip_prefix("\r\n")
            .or_else(|| body.strip_prefix('\n'))
            .or_else(|| body.strip_prefix('\r'))
            .unwrap_or(body);
        return (d as u8, body);
    }
    let sample: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(search_rows)
        .collect();
    let score = |d: char| {
        let recognised = sample
            .iter()
            .map(|line| {
                // Past the column limit nothing is a header (the reader
                // refuses such a row), so a sheet-wide line costs no more.
                let mut fields: Vec<K> = line
                    .split(d)
                    .take(MAX_COLUMNS as usize + 1)
                    .filter_map(|cell| header(cell.trim().trim_matches('"')))
                    .collect();
                fields.sort();
                fields.dedup();
                fields.len()
            })
            .max()
            .unwrap_or(0);
        let occurrences: usize = sample.iter().map(|l| l.matches(d).count()).sum();
        (recognised, occurrences)
    };
    let best = [',', ';', '\t']
        .into_iter()
        .fold((',', score(',')), |best, d| {
            let s = score(d);
            if s > best.1 { (d, s) } else { best }
        });
    (best.0 as u8, text)
}

/// Reads CSV text into rows numbered as a spreadsheet shows them (blank
/// lines count), within the limits: columns, cells, non-blank rows
/// (`max_rows`) and time, each checked as the rows are read. Rows without
/// any value are not returned.
pub fn read_csv_rows(text: &str, delimiter: u8, limits: &Limits) -> Result<Vec<Row>, Refused> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let bytes = text.as_bytes();
    let mut rows = Vec::new();
    let mut cells_read = 0usize;
    let mut records = 0usize;
    // Spreadsheet row of the previous record; blank lines are skipped by the
    // csv reader but still occupy a row in Excel, so they are counted here.
    let mut row = 0;
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                return Err(Refused::CsvUnreadable {
                    line: e.position().map(|p| p.line()).unwrap_or(0),
                    error: e.to_string(),
                });
            }
        }
        let start = record.position().map_or(0, |p| p.byte() as usize);
        row += 1 + blank_lines_at(bytes, start);
        // Trailing empty fields (";;;;" to the edge of the sheet) are not columns.
        let width = (0..record.len())
            .rev()
            .find(|&i| !record[i].chars().all(crate::text::is_space))
            .map_or(0, |i| i + 1);
        if width > limits.max_columns as usize {
            return Err(Refused::TooManyColumns {
                max: limits.max_columns,
                cell: format!("{}{row}", column_name(limits.max_columns)),
            });
        }
        cells_read += width;
        if cells_read > limits.max_cells {
            return Err(Refused::TooManyCells {
                max: limits.max_cells,
            });
        }
        records += 1;
        if records.is_multiple_of(1024) {
            limits.check_time()?;
        }
        // Blank rows are only counted (a file of a million "," lines would
        // otherwise hold a million rows).
        if width == 0 {
            continue;
        }
        if rows.len() >= limits.max_rows {
            return Err(Refused::TooManyRows {
                max: limits.max_rows,
            });
        }
        let cells: Vec<Cell> = record
            .iter()
            .take(width)
            .map(|s| Ok(s.to_string()))
            .collect();
        rows.push(Row { row, cells });
    }
    Ok(rows)
}

/// A CSV file: decoded ([`decode_text`]), its delimiter chosen
/// ([`detect_delimiter`]) and its rows read ([`read_csv_rows`]).
pub fn read_csv<K: Ord>(
    bytes: &[u8],
    limits: &Limits,
    search_rows: usize,
    header: impl Fn(&str) -> Option<K>,
) -> Result<Vec<Row>, Refused> {
    let text = decode_text(bytes).ok_or(Refused::NotText)?;
    let (delimiter, body) = detect_delimiter(&text, search_rows, header);
    read_csv_rows(body, delimiter, limits)
}

/// Counts empty lines starting at `start`, where the csv reader resumed after
/// the previous record (possibly between the '\r' and '\n' of its ending).
fn blank_lines_at(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    if i > 0 && bytes.get(i - 1) == Some(&b'\r') && bytes.get(i) == Some(&b'\n') {
        i += 1;
    }
    let mut count = 0;
    loop {
        match bytes.get(i) {
            Some(b'\r') if bytes.get(i + 1) == Some(&b'\n') => i += 2,
            Some(b'\r' | b'\n') => i += 1,
            _ => return count,
        }
        count += 1;
    }
}

fn blank(c: &Cell) -> bool {
    matches!(c, Ok(s) if s.chars().all(crate::text::is_space))
}

/// Numbers become their plain digits: a member code typed as 12345 is
/// stored as the float 12345.0.
fn cell_value(d: &DataRef<'_>) -> Cell {
    match d {
        DataRef::Empty => Ok(String::new()),
        DataRef::String(s) => Ok(s.clone()),
        DataRef::SharedString(s) => Ok(s.to_string()),
        DataRef::Int(i) => Ok(i.to_string()),
        DataRef::Float(f) => Ok(number_text(*f)),
        DataRef::Bool(b) => Ok(if *b { "TRUE" } else { "FALSE" }.to_string()),
        DataRef::DateTime(_) | DataRef::DateTimeIso(_) | DataRef::DurationIso(_) => {
            Err(CellIssue::Date)
        }
        DataRef::Error(e) => Err(CellIssue::Error(e.to_string())),
    }
}

fn number_text(f: f64) -> String {
    // Integers below 2^53 are exact in f64, so printing them as i64 is safe.
    if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
        (f as i64).to_string()
    } else {
        f.to_string()
    }
}

/// Hostile workbooks for tests: a real workbook's parts around a given
/// worksheet XML.
#[doc(hidden)]
pub mod testing {
    use std::io::Write;

    /// An XLSX file whose only worksheet is `sheet_data` (the XML inside
    /// `<worksheet>`), with the ZIP entries stored as given.
    pub fn xlsx_with_sheet(sheet_xml: &str) -> Vec<u8> {
        let parts = [
            (
                "[Content_Types].xml",
                r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string(),
            ),
            (
                "_rels/.rels",
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string(),
            ),
            (
                "xl/workbook.xml",
                r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string(),
            ),
            (
                "xl/_rels/workbook.xml.rels",
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string(),
            ),
            (
                "xl/worksheets/sheet1.xml",
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{sheet_xml}</worksheet>"#
                ),
            ),
        ];
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, body) in parts {
            zip.start_file(name, opts).expect("zip entry");
            zip.write_all(body.as_bytes()).expect("zip write");
        }
        zip.finish().expect("zip finish").into_inner()
    }

    /// Inline-string cells: `(reference, text)`.
    pub fn rows_xml(cells: &[(&str, &str)]) -> String {
        let mut rows: Vec<(u32, String)> = Vec::new();
        for (r, text) in cells {
            let (row, _) = super::parse_cell_ref(r).expect("cell reference");
            let c = format!(r#"<c r="{r}" t="inlineStr"><is><t>{text}</t></is></c>"#);
            match rows.iter_mut().find(|(n, _)| *n == row) {
                Some((_, xml)) => xml.push_str(&c),
                None => rows.push((row, c)),
            }
        }
        rows.sort_by_key(|(n, _)| *n);
        rows.iter()
            .map(|(n, xml)| format!(r#"<row r="{}">{xml}</row>"#, n + 1))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{rows_xml, xlsx_with_sheet};
    use super::*;

    const HEADER: &[(&str, &str)] = &[("A1", "Name"), ("B1", "Code"), ("C1", "Status")];

    fn read(sheet: &str) -> Result<Vec<Row>, Refused> {
        read_xlsx(&xlsx_with_sheet(sheet), &Limits::new(100))
    }

    #[test]
    fn cell_references() {
        assert_eq!(parse_cell_ref("A1"), Some((0, 0)));
        assert_eq!(parse_cell_ref("$B$3"), Some((2, 1)));
        assert_eq!(parse_cell_ref("XFD1048576"), Some((1_048_575, 16_383)));
        assert_eq!(parse_cell_ref("XFE1"), None);
        assert_eq!(parse_cell_ref("A1048577"), None);
        assert_eq!(parse_cell_ref("A0"), None);
        assert_eq!(parse_cell_ref("ZZZZ1"), None);
        assert_eq!(parse_cell_ref("A99999999999"), None);
        assert_eq!(parse_cell_ref(""), None);
        assert_eq!(parse_range("D1:D3"), Some(((0, 3), (2, 3))));
        assert_eq!(parse_range("D3:D1"), None);
        assert_eq!(parse_range("B1:A1"), None);
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(16_383), "XFD");
    }

    #[test]
    fn reads_a_small_sheet_sparsely() {
        let mut cells = HEADER.to_vec();
        cells.push(("A5", "Nguyễn Văn An"));
        let rows = read(&format!(
            r#"<dimension ref="A1:XFD1048576"/><sheetData>{}</sheetData>"#,
            rows_xml(&cells)
        ))
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].row, 5);
        assert_eq!(rows[1].cells, vec![Ok("Nguyễn Văn An".to_string())]);
    }

    /// Regression: one value at XFD1048576 made the reader allocate a
    /// dense grid of every row by every column, and the server aborted.
    #[test]
    fn a_value_at_xfd1048576_is_refused_without_allocating() {
        let mut cells = HEADER.to_vec();
        cells.push(("XFD1048576", "x"));
        let sheet = format!(
            r#"<dimension ref="A1:XFD1048576"/><sheetData>{}</sheetData>"#,
            rows_xml(&cells)
        );
        let file = xlsx_with_sheet(&sheet);
        assert!(file.len() < 2048, "the attack is small: {}", file.len());
        assert_eq!(
            read(&sheet).unwrap_err(),
            Refused::TooManyColumns {
                max: MAX_COLUMNS,
                cell: "XFD1048576".into()
            }
        );
        // A far row in column A is fine: rows are sparse.
        let mut cells = HEADER.to_vec();
        cells.push(("A1048576", "x"));
        let rows = read(&format!("<sheetData>{}</sheetData>", rows_xml(&cells))).unwrap();
        assert_eq!(rows[1].row, 1_048_576);
    }

    /// Regression: a merged range written backwards made an unsigned
    /// subtraction wrap, and a worker spun for seconds.
    #[test]
    fn a_backwards_merged_range_is_refused() {
        let sheet = format!(
            r#"<sheetData>{}</sheetData><mergeCells count="1"><mergeCell ref="D3:D1"/></mergeCells>"#,
            rows_xml(HEADER)
        );
        let started = Instant::now();
        assert_eq!(
            read(&sheet).unwrap_err(),
            Refused::BadRange {
                range: "D3:D1".into()
            }
        );
        assert!(started.elapsed() < Duration::from_secs(2));
        let sheet = format!(
            r#"<dimension ref="C9:A1"/><sheetData>{}</sheetData>"#,
            rows_xml(HEADER)
        );
        assert!(matches!(read(&sheet), Err(Refused::BadRange { .. })));
    }

    /// Found by the fuzzer: the spreadsheet library's arithmetic on cell
    /// and row addresses overflows on addresses off the sheet.
    #[test]
    fn cell_and_row_addresses_off_the_sheet_are_refused() {
        for (sheet, bad) in [
            (
                r#"<sheetData><row r="1"><c r="nlineStr"><v>1</v></c></row></sheetData>"#,
                "nlineStr",
            ),
            (
                r#"<sheetData><row r="99999999999"><c><v>1</v></c></row></sheetData>"#,
                "99999999999",
            ),
            (
                r#"<sheetData><row r="1"><c r="A0"><v>1</v></c></row></sheetData>"#,
                "A0",
            ),
            (
                r#"<sheetData><row r="1"><c r="C1" t="n"r="4294967296"><v>1</v></c></row></sheetData>"#,
                "4294967296",
            ),
        ] {
            assert_eq!(
                read(sheet).unwrap_err(),
                Refused::BadRange { range: bad.into() },
                "{sheet}"
            );
        }
    }

    #[test]
    fn a_tall_merged_range_costs_only_the_rows_that_exist() {
        let mut cells = HEADER.to_vec();
        cells.extend([
            ("D1", "Group"),
            ("D2", "Tổ 1"),
            ("A2", "An"),
            ("A3", "Bình"),
        ]);
        let sheet = format!(
            r#"<sheetData>{}</sheetData><mergeCells count="1"><mergeCell ref="D2:D1048576"/></mergeCells>"#,
            rows_xml(&cells)
        );
        let rows = read(&sheet).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2].cells[3], Ok("Tổ 1".to_string()));
    }

    #[test]
    fn a_zip_bomb_is_refused_by_what_it_inflates_to() {
        // 4 MB of spaces compress to about 4 KB; the limit is lowered to
        // keep the test fast (the default is 32 MiB).
        let padding = " ".repeat(4 * 1024 * 1024);
        let sheet = format!("<sheetData>{}</sheetData>{padding}", rows_xml(HEADER));
        let file = xlsx_with_sheet(&sheet);
        assert!(file.len() < 16 * 1024);
        let limits = Limits {
            max_unzipped_bytes: 1024 * 1024,
            ..Limits::new(100)
        };
        assert_eq!(
            read_xlsx(&file, &limits).unwrap_err(),
            Refused::TooBig { max: 1024 * 1024 }
        );
    }

    #[test]
    fn too_many_cells_and_rows() {
        let cells: Vec<(String, String)> = (1..=50)
            .flat_map(|r| (0..10).map(move |c| (format!("{}{r}", column_name(c)), "v".into())))
            .collect();
        let cells: Vec<(&str, &str)> = cells.iter().map(|(a, b)| (&a[..], &b[..])).collect();
        let sheet = format!("<sheetData>{}</sheetData>", rows_xml(&cells));
        let file = xlsx_with_sheet(&sheet);
        let limits = Limits {
            max_cells: 100,
            ..Limits::new(1000)
        };
        assert_eq!(
            read_xlsx(&file, &limits).unwrap_err(),
            Refused::TooManyCells { max: 100 }
        );
        assert_eq!(
            read_xlsx(&file, &Limits::new(20)).unwrap_err(),
            Refused::TooManyRows { max: 20 }
        );
        let late = Limits {
            deadline: Instant::now() - Duration::from_secs(1),
            ..Limits::new(1000)
        };
        assert_eq!(
            read_xlsx(&file, &late).unwrap_err(),
            Refused::TooSlow { max: MAX_SECONDS }
        );
    }

    #[test]
    fn a_workbook_with_shared_strings_from_the_fuzz_corpus() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fuzz/corpus/roster-xlsx/shared-strings.xlsx"
        );
        let rows = read_xlsx(&std::fs::read(path).unwrap(), &Limits::new(10)).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].cells[0], Ok("Nguyễn Văn An".to_string()));
        assert_eq!(rows[1].cells[1], Ok("1".to_string()));
    }

    #[test]
    fn garbage_is_not_xlsx() {
        let limits = Limits::new(10);
        assert_eq!(read_xlsx(b"PK\x03\x04junk", &limits), Err(Refused::NotXlsx));
        assert_eq!(read_xlsx(b"", &limits), Err(Refused::NotXlsx));
    }
}

//! Banks uploaded by organisers: `POST /api/banks?filename=NAME`.
//!
//! The file is recognised by its content and name, parsed on a blocking
//! thread within limits (`http::off_worker`), and either stored whole (its
//! parsed bank and the original bytes, in the `banks` table) or refused
//! with every problem, each with a stable `code` and its `params` so the
//! console words it in the organiser's language. Nothing is stored when
//! there is any error.
//!
//! A meeting copies its bank's questions when it is created
//! (`MeetingConfig::bank`), so replacing an uploaded bank never changes a
//! meeting already created from it.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::app::App;
use crate::bank::{self, Bank, Severity};
use crate::http::ApiError;

pub mod editor;
pub mod excel;
pub mod gift;
pub mod kahoot;
pub mod write;

/// Largest bank file accepted, in bytes (the shipped bank of 39 questions
/// is 28 KB).
pub const MAX_BANK_UPLOAD: usize = bank::MAX_FILE_BYTES as usize;
/// Longest bank id made from a file name.
pub const MAX_ID_CHARS: usize = 64;

/// One problem of an uploaded file. `row` is the line of a text file or
/// the row of a sheet (1-based, as the editor or spreadsheet shows it).
/// `message` is English for logs and API users; pages word the problem
/// from `code` and `params`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ImportProblem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    pub row: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub code: &'static str,
    pub params: serde_json::Map<String, serde_json::Value>,
    pub message: String,
}

impl ImportProblem {
    /// A problem of the whole file.
    pub fn file(code: &'static str, params: serde_json::Value, message: impl Into<String>) -> Self {
        ImportProblem {
            sheet: None,
            row: None,
            column: None,
            code,
            params: match params {
                serde_json::Value::Object(m) => m,
                _ => serde_json::Map::new(),
            },
            message: message.into(),
        }
    }

    fn from_bank(p: &bank::Problem) -> Self {
        let message = if p.fix.is_empty() {
            p.message.clone()
        } else {
            format!("{}; fix: {}", p.message, p.fix)
        };
        ImportProblem {
            sheet: None,
            row: Some(p.line),
            column: None,
            code: p.code,
            params: p.params.clone(),
            message,
        }
    }
}

/// A bank read from an upload, with its warnings.
#[derive(Debug)]
pub struct Imported {
    pub bank: Bank,
    pub warnings: Vec<ImportProblem>,
}

impl Imported {
    /// The end of every import: the questions read, or every problem
    /// found (none read, or more than a bank holds, is one too).
    pub(crate) fn assemble(
        id: &str,
        title: &str,
        questions: Vec<bank::Question>,
        mut problems: Vec<ImportProblem>,
        warnings: Vec<ImportProblem>,
        none_found: &str,
    ) -> Result<Imported, Vec<ImportProblem>> {
        if questions.is_empty() && problems.is_empty() {
            problems.push(ImportProblem::file("no_questions", json!({}), none_found));
        }
        if questions.len() > bank::MAX_QUESTIONS {
            problems.push(ImportProblem::file(
                "too_many_questions",
                json!({"max": bank::MAX_QUESTIONS}),
                format!("more than {} questions", bank::MAX_QUESTIONS),
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Imported {
            bank: Bank {
                id: id.to_string(),
                title: title.to_string(),
                language: "vi".into(),
                tags: Vec::new(),
                description: String::new(),
                questions,
            },
            warnings,
        })
    }
}

/// The bank id of an uploaded file name: the name without folders and
/// without `.bank.md` (or its last extension), folded to lower-case ASCII
/// letters, digits and dashes: `Ôn tập tháng 11.xlsx` → `on-tap-thang-11`.
pub fn id_from_filename(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name).trim();
    let stem = match base.strip_suffix(bank::SUFFIX) {
        Some(s) => s,
        None => base.rsplit_once('.').map_or(base, |(s, _)| s),
    };
    let mut id = String::new();
    for c in crate::text::fold(stem).chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c);
        } else if !id.is_empty() && !id.ends_with('-') {
            id.push('-');
        }
    }
    let id: String = id
        .trim_end_matches('-')
        .chars()
        .take(MAX_ID_CHARS)
        .collect();
    let id = id.trim_end_matches('-').to_string();
    (!id.is_empty()).then_some(id)
}

/// Reads an uploaded file as a bank. Blocking: run it off the async
/// workers. The format is recognised by content first, then by name.
pub fn import(filename: &str, bytes: &[u8]) -> Result<Imported, Vec<ImportProblem>> {
    let Some(id) = id_from_filename(filename) else {
        return Err(vec![ImportProblem::file(
            "bad_filename",
            json!({"value": crate::text::for_log(filename)}),
            "the file name has no letters or digits to make the bank's id from; rename the file",
        )]);
    };
    if bytes.len() > MAX_BANK_UPLOAD {
        return Err(vec![ImportProblem::file(
            "file_too_big",
            json!({"max": MAX_BANK_UPLOAD}),
            format!("the file is over {MAX_BANK_UPLOAD} bytes"),
        )]);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return from_xlsx(&id, filename, bytes);
    }
    if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(vec![ImportProblem::file(
            "xls_not_supported",
            json!({}),
            "an old .xls (or password-protected) workbook: save it as .xlsx without a password",
        )]);
    }
    let lower = filename.to_ascii_lowercase();
    if lower.ends_with(".csv") {
        return from_csv(&id, filename, bytes);
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(_) => {
            return Err(vec![ImportProblem::file(
                "not_utf8",
                json!({}),
                "the file is not UTF-8 text; save it as UTF-8",
            )]);
        }
    };
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if lower.ends_with(".md") || body.starts_with("# ") {
        return from_bank_md(&id, text);
    }
    if lower.ends_with(".gift") || lower.ends_with(".txt") || body.starts_with("::") {
        return gift::import(&id, &title_from_filename(filename), text);
    }
    Err(vec![unknown_format(filename)])
}

/// The title of a bank whose file has none: the file name without its
/// folders and extension.
fn title_from_filename(filename: &str) -> String {
    let base = filename.rsplit(['/', '\\']).next().unwrap_or(filename);
    let stem = base.rsplit_once('.').map_or(base, |(s, _)| s);
    let t: String = crate::text::collapse(stem)
        .chars()
        .take(crate::app::MAX_TITLE_CHARS)
        .collect();
    if t.is_empty() {
        "Ngân hàng câu hỏi".into()
    } else {
        t
    }
}

/// A workbook: Handsup's Excel template or Kahoot!'s quiz template.
/// Problems of a row name the sheet.
fn from_xlsx(id: &str, filename: &str, bytes: &[u8]) -> Result<Imported, Vec<ImportProblem>> {
    let limits = crate::tabular::Limits::new(kahoot::MAX_ROWS.max(excel::MAX_ROWS));
    let sheet = crate::tabular::read_xlsx_sheet(bytes, &limits).map_err(|r| vec![refused(r)])?;
    let name = sheet.name;
    let name_sheet = |mut ps: Vec<ImportProblem>| {
        for p in ps.iter_mut().filter(|p| p.row.is_some()) {
            p.sheet = Some(name.clone());
        }
        ps
    };
    if sheet.rows.is_empty() {
        return Err(vec![ImportProblem {
            sheet: Some(name.clone()),
            ..ImportProblem::file(
                "empty_sheet",
                json!({}),
                "the first sheet of the workbook is empty",
            )
        }]);
    }
    let title = title_from_filename(filename);
    let imported = if excel::recognises(&sheet.rows) {
        excel::import(id, &title, &sheet.rows)
    } else if kahoot::recognises(&sheet.rows) {
        kahoot::import(id, &title, &sheet.rows)
    } else {
        return Err(vec![unknown_format(filename)]);
    };
    match imported {
        Ok(mut i) => {
            i.warnings = name_sheet(i.warnings);
            Ok(i)
        }
        Err(ps) => Err(name_sheet(ps)),
    }
}

/// Handsup's template as CSV (UTF-8 with or without a BOM, comma or
/// semicolon), read by the same tabular reader as rosters.
fn from_csv(id: &str, filename: &str, bytes: &[u8]) -> Result<Imported, Vec<ImportProblem>> {
    let limits = crate::tabular::Limits::new(excel::MAX_ROWS);
    let rows = crate::tabular::read_csv(bytes, &limits, 10, excel::header_key)
        .map_err(|r| vec![refused(r)])?;
    if rows.is_empty() {
        return Err(vec![ImportProblem::file(
            "empty_sheet",
            json!({}),
            "the file is empty",
        )]);
    }
    if !excel::recognises(&rows) {
        return Err(vec![ImportProblem::file(
            "missing_column",
            json!({"accepted": excel::HEADERS}),
            "no header row with the template's columns (Câu hỏi, Loại, Phương án 1, …)",
        )]);
    }
    excel::import(id, &title_from_filename(filename), &rows)
}

/// A workbook refused by the reader's limits or checks.
pub fn refused(r: crate::tabular::Refused) -> ImportProblem {
    use crate::tabular::Refused;
    let message = r.to_string();
    let (code, params) = match r {
        Refused::NotXlsx => ("not_xlsx", json!({})),
        Refused::Encrypted => ("encrypted_workbook", json!({})),
        Refused::NoWorksheet => ("empty_sheet", json!({})),
        Refused::TooBig { max } => ("file_too_big", json!({"max": max})),
        Refused::TooManyRows { max } => ("too_many_rows", json!({"max": max})),
        Refused::TooManyColumns { max, cell } => {
            ("too_many_columns", json!({"max": max, "cell": cell}))
        }
        Refused::TooManyCells { max } => ("too_many_cells", json!({"max": max})),
        Refused::BadRange { range } => ("bad_range", json!({"value": range})),
        Refused::TooManyMerges { max } => ("too_many_merges", json!({"max": max})),
        Refused::TooSlow { max } => ("too_slow", json!({"max": max})),
        Refused::NotText => ("not_utf8", json!({})),
        Refused::CsvUnreadable { line, error } => {
            ("csv_unreadable", json!({"line": line, "error": error}))
        }
    };
    ImportProblem::file(code, params, message)
}

fn unknown_format(filename: &str) -> ImportProblem {
    ImportProblem::file(
        "unknown_format",
        json!({"value": crate::text::for_log(filename)}),
        "this file is not a question bank Handsup reads: upload a .bank.md file, Handsup's Excel template (.xlsx or .csv), a Kahoot! quiz template or a Moodle GIFT file (docs/BANKS.md)",
    )
}

/// Handsup's own text format.
fn from_bank_md(id: &str, text: &str) -> Result<Imported, Vec<ImportProblem>> {
    let parsed = bank::parse(id, text);
    let (errors, warnings): (Vec<_>, Vec<_>) = parsed
        .problems
        .iter()
        .partition(|p| p.severity == Severity::Error);
    match parsed.bank {
        Some(bank) if errors.is_empty() => Ok(Imported {
            bank,
            warnings: warnings.into_iter().map(ImportProblem::from_bank).collect(),
        }),
        _ => Err(errors.into_iter().map(ImportProblem::from_bank).collect()),
    }
}

#[derive(Deserialize)]
pub struct UploadQuery {
    filename: Option<String>,
}

/// `GET /api/banks/template.xlsx`: Handsup's Excel template for banks.
pub async fn template() -> Result<Response, ApiError> {
    let bytes = excel::template_xlsx().map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"ngan-hang-cau-hoi.xlsx\"",
            ),
        ],
        bytes,
    )
        .into_response())
}

/// `GET /api/banks/{id}.bank.md`: any bank in the canonical text format,
/// with its answers, so only for the host; `GET /api/banks/{id}.json`: the
/// bank as the console's editor edits it (`editor::to_json`).
pub async fn download(
    State(app): State<Arc<App>>,
    axum::extract::Path(file): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    crate::http::require_host(&app, &headers)?;
    let not_found = || ApiError::NotFound("no bank with this id; GET /api/banks lists them".into());
    if let Some(id) = file.strip_suffix(".json") {
        let (bank, origin) = app.bank_with_origin(id).ok_or_else(not_found)?;
        return Ok(Json(editor::to_json(&bank, origin)).into_response());
    }
    if let Some(id) = file.strip_suffix(".xlsx") {
        let bank = app.bank(id).ok_or_else(not_found)?;
        let bytes = crate::http::off_worker(move || excel::bank_xlsx(&bank))
            .await?
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        return Ok((
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"{}.xlsx\"",
                        id_from_filename(id).unwrap_or_else(|| "bank".into())
                    ),
                ),
            ],
            bytes,
        )
            .into_response());
    }
    let bank = file
        .strip_suffix(bank::SUFFIX)
        .and_then(|id| app.bank(id))
        .ok_or_else(not_found)?;
    let disposition = format!("attachment; filename=\"{}{}\"", bank.id, bank::SUFFIX);
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/markdown; charset=utf-8".to_string(),
            ),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        write::bank_md(&bank),
    )
        .into_response())
}

/// `DELETE /api/banks/{id}`: deletes an uploaded bank (a shipped or
/// `--banks` one cannot be: 404). Meetings keep their copy.
pub async fn delete(
    State(app): State<Arc<App>>,
    axum::extract::Path(id): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    crate::http::require_host(&app, &headers)?;
    if app
        .delete_uploaded_bank(&id)
        .await
        .map_err(ApiError::Internal)?
    {
        tracing::info!(bank = %crate::text::for_log(&id), "bank deleted");
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::NotFound("no uploaded bank with this id".into()))
    }
}

/// `POST /api/banks?filename=NAME`: the file as the raw body.
pub async fn upload(
    State(app): State<Arc<App>>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    crate::http::require_host(&app, &headers)?;
    let filename = q.filename.unwrap_or_default();
    let bytes = crate::http::read_body(&app, &headers, body, MAX_BANK_UPLOAD).await?;
    let original = bytes.to_vec();
    let name = filename.clone();
    let imported = crate::http::off_worker(move || import(&name, &bytes)).await?;
    let imported = match imported {
        Ok(i) => i,
        Err(problems) => {
            let message = format!(
                "the bank has {} problem(s); nothing was stored: {}",
                problems.len(),
                problems.first().map(|p| p.message.as_str()).unwrap_or("")
            );
            let body = json!({"error": "invalid_bank", "message": message, "problems": problems});
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response());
        }
    };
    let bank = imported.bank;
    let (id, title, questions) = (bank.id.clone(), bank.title.clone(), bank.questions.len());
    app.save_uploaded_bank(bank, &filename, original)
        .await
        .map_err(ApiError::Internal)?;
    tracing::info!(
        bank = %crate::text::for_log(&id),
        questions,
        "bank uploaded"
    );
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": id,
            "title": title,
            "questions": questions,
            "warnings": imported.warnings,
        })),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_file_names() {
        assert_eq!(
            id_from_filename("chi-bo.bank.md").as_deref(),
            Some("chi-bo")
        );
        assert_eq!(
            id_from_filename("C:\\Users\\x\\Ôn tập tháng 11.xlsx").as_deref(),
            Some("on-tap-thang-11")
        );
        assert_eq!(
            id_from_filename("../../etc/passwd").as_deref(),
            Some("passwd")
        );
        assert_eq!(id_from_filename("...").as_deref(), None);
        assert_eq!(id_from_filename("").as_deref(), None);
        assert_eq!(
            id_from_filename(&"a".repeat(300)).unwrap().len(),
            MAX_ID_CHARS
        );
    }

    #[test]
    fn a_bank_md_with_problems_reports_codes_by_line() {
        let e = import("x.bank.md", b"# T\n## Q\n- [ ] a\n- [ ] b\n").unwrap_err();
        assert_eq!(e[0].code, "no_correct");
        assert_eq!(e[0].row, Some(2));
        let ok = import("x.bank.md", b"# T\n## Q\n- [x] a\n- [ ] b\n").unwrap();
        assert_eq!(ok.bank.id, "x");
        assert_eq!(ok.warnings[0].code, "no_explanation");
    }

    #[test]
    fn other_files_are_refused_by_code() {
        for (name, bytes) in [
            ("a.xls", &b"\xD0\xCF\x11\xE0rest"[..]),
            ("a.pdf", b"%PDF-1.4"),
            ("a.bank.md", b"\xff\xfe# T"),
        ] {
            let e = import(name, bytes).unwrap_err();
            assert!(
                ["unknown_format", "not_utf8", "xls_not_supported"].contains(&e[0].code),
                "{name}"
            );
        }
    }
}

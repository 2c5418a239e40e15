//! The console's bank editor: a bank as JSON (`GET /api/banks/{id}.json`),
//! checked as the organiser types (`POST /api/banks/check`) and saved
//! (`PUT /api/banks/{id}`) in the canonical text format.
//!
//! There is one validator, the text format's parser (`bank::parse`): the
//! editor's JSON is written as `.bank.md` text, line by line, remembering
//! which question and field each line holds, and the parser's problems are
//! mapped back to those. Only what the text cannot hold at all (an empty
//! title or question text) is reported here, with the parser's own codes.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::app::{App, UPLOADED};
use crate::bank::{self, Bank, Kind, Severity};
use crate::http::ApiError;

use super::write;

/// Largest editor JSON body, in bytes (as large as an uploaded file).
pub const MAX_EDITOR_JSON: usize = super::MAX_BANK_UPLOAD;

/// A bank as the editor sends it back. Keys it does not know (`id`,
/// `origin`, `editable`, the console's own) are ignored.
#[derive(Debug, Default, Deserialize)]
pub struct EditorBank {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub questions: Vec<EditorQuestion>,
}

#[derive(Debug, Default, Deserialize)]
pub struct EditorQuestion {
    /// `single`, `multiple`, `truefalse`, `typed`, `poll`; empty or absent:
    /// inferred as in the text format.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub options: Vec<EditorOption>,
    #[serde(default)]
    pub answers: Vec<String>,
    /// `ignore` (default) or `exact`.
    #[serde(default)]
    pub diacritics: Option<String>,
    /// Seconds, a number (or text, checked like the text format's); absent
    /// or null: the default.
    #[serde(default)]
    pub time: Option<Value>,
    #[serde(default)]
    pub reading: Option<Value>,
    #[serde(default)]
    pub points: Option<Value>,
    /// `all` (default) or `partial`.
    #[serde(default)]
    pub scoring: Option<String>,
    #[serde(default)]
    pub explanation: String,
    #[serde(default)]
    pub source: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct EditorOption {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub correct: bool,
}

/// One problem of an edited bank: which question (0-based, `None` for the
/// bank's own fields), which field, and for `options`/`answers` which one
/// (`index`, 0-based).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EditorProblem {
    pub question: Option<usize>,
    pub field: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    pub code: &'static str,
    pub params: serde_json::Map<String, Value>,
    pub message: String,
}

/// The name of a kind, as the text format writes it.
pub fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Single => "single",
        Kind::Multiple => "multiple",
        Kind::TrueFalse => "truefalse",
        Kind::Typed => "typed",
        Kind::Poll => "poll",
    }
}

/// A bank as the editor edits it. True/false questions have their two
/// options (the language's labels) with the right one marked `correct`.
pub fn to_json(b: &Bank, origin: &str) -> Value {
    let questions: Vec<Value> = b
        .questions
        .iter()
        .map(|q| {
            let options: Vec<Value> = match q.kind {
                Kind::Typed => Vec::new(),
                _ => q
                    .options
                    .iter()
                    .enumerate()
                    .map(|(i, o)| json!({"text": o, "correct": q.correct.contains(&i)}))
                    .collect(),
            };
            json!({
                "type": kind_name(q.kind),
                "text": q.text,
                "options": options,
                "answers": q.answers,
                "diacritics": if q.exact_diacritics { "exact" } else { "ignore" },
                "time": q.time_limit_s,
                "reading": q.reading_s,
                "points": q.points,
                "scoring": if q.partial { "partial" } else { "all" },
                "explanation": q.explanation,
                "source": super::write::source_value(q),
            })
        })
        .collect();
    json!({
        "id": b.id,
        "title": b.title,
        "language": b.language,
        "description": b.description,
        "tags": b.tags,
        "origin": origin,
        "editable": origin == UPLOADED,
        "questions": questions,
    })
}

/// Where a line of the written text came from.
#[derive(Clone, Copy)]
struct Place {
    question: Option<usize>,
    field: &'static str,
    index: Option<usize>,
}

struct Writer {
    text: String,
    places: Vec<Place>,
}

impl Writer {
    fn line(&mut self, place: Place, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
        self.places.push(place);
    }
}

/// One line of text: the format has no line breaks inside a field.
fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ").trim().to_string()
}

/// A number field as its text: numbers as they are, text as typed.
fn number_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(one_line(s)),
        other => Some(other.to_string()),
    }
}

/// The result of checking an edited bank.
pub struct Checked {
    /// The bank, when there is no error.
    pub bank: Option<Bank>,
    pub problems: Vec<EditorProblem>,
    pub warnings: Vec<EditorProblem>,
}

/// Checks an edited bank with the text format's parser, and reads it.
/// Blocking (the parser): run it off the async workers.
pub fn check(id: &str, e: &EditorBank) -> Checked {
    let mut own: Vec<EditorProblem> = Vec::new();
    let mut w = Writer {
        text: String::new(),
        places: Vec::new(),
    };
    let bank_place = |field| Place {
        question: None,
        field,
        index: None,
    };
    let title = crate::text::collapse(&e.title);
    if title.is_empty() {
        own.push(EditorProblem {
            question: None,
            field: "title",
            index: None,
            code: "no_title",
            params: serde_json::Map::new(),
            message: "the bank has no title; give it one".into(),
        });
    }
    w.line(
        bank_place("title"),
        &format!("# {}", if title.is_empty() { "-" } else { &title }),
    );
    let language = one_line(&e.language);
    if !language.is_empty() {
        w.line(bank_place("language"), &format!("language: {language}"));
    }
    let tags: Vec<String> = e
        .tags
        .iter()
        .map(|t| crate::text::collapse(t))
        .filter(|t| !t.is_empty())
        .collect();
    if !tags.is_empty() {
        w.line(bank_place("tags"), &format!("tags: {}", tags.join(", ")));
    }
    let description = one_line(&e.description);
    if !description.is_empty() {
        w.line(
            bank_place("description"),
            &format!("description: {description}"),
        );
    }
    for (i, q) in e.questions.iter().enumerate() {
        let at = |field, index| Place {
            question: Some(i),
            field,
            index,
        };
        w.line(at("text", None), "");
        let text = crate::text::collapse(&q.text);
        if text.is_empty() {
            own.push(EditorProblem {
                question: Some(i),
                field: "text",
                index: None,
                code: "empty_question",
                params: serde_json::Map::new(),
                message: "a question without text; write the question".into(),
            });
        }
        w.line(
            at("text", None),
            &format!("## {}", if text.is_empty() { "-" } else { &text }),
        );
        let kind = q.kind.as_deref().map(one_line).unwrap_or_default();
        if !kind.is_empty() {
            w.line(at("type", None), &format!("type: {kind}"));
        }
        let is_tf = kind
            .to_ascii_lowercase()
            .replace(['-', '_', ' '], "")
            .eq("truefalse");
        if is_tf {
            // The two options are the language's labels: only the mark counts.
            for (j, o) in q.options.iter().enumerate() {
                if o.correct {
                    let v = match j {
                        0 => "true".to_string(),
                        1 => "false".to_string(),
                        _ => one_line(&o.text),
                    };
                    w.line(at("options", Some(j)), &format!("answer: {v}"));
                }
            }
        } else {
            for (j, o) in q.options.iter().enumerate() {
                let mark = if o.correct { "x" } else { " " };
                w.line(
                    at("options", Some(j)),
                    &format!("- [{mark}] {}", crate::text::collapse(&o.text)),
                );
            }
        }
        if !is_tf {
            for (j, a) in q.answers.iter().enumerate() {
                w.line(
                    at("answers", Some(j)),
                    &format!("answer: {}", crate::text::collapse(a)),
                );
            }
        }
        let scoring = q.scoring.as_deref().map(one_line).unwrap_or_default();
        if !scoring.is_empty() && !scoring.eq_ignore_ascii_case("all") {
            w.line(at("scoring", None), &format!("scoring: {scoring}"));
        }
        let diacritics = q.diacritics.as_deref().map(one_line).unwrap_or_default();
        if !diacritics.is_empty() && !diacritics.eq_ignore_ascii_case("ignore") {
            w.line(at("diacritics", None), &format!("diacritics: {diacritics}"));
        }
        for (field, value) in [
            ("time", &q.time),
            ("reading", &q.reading),
            ("points", &q.points),
        ] {
            if let Some(v) = value.as_ref().and_then(number_text) {
                w.line(at(field, None), &format!("{field}: {v}"));
            }
        }
        let explanation = one_line(&q.explanation);
        if !explanation.is_empty() {
            w.line(
                at("explanation", None),
                &format!("explanation: {explanation}"),
            );
        }
        let source = one_line(&q.source);
        if !source.is_empty() {
            w.line(at("source", None), &format!("source: {source}"));
        }
    }
    if e.questions.is_empty() {
        // The parser's `no_questions` names the last line.
        w.line(bank_place("questions"), "");
    }

    let parsed = bank::parse(id, &w.text);
    let mut problems = own;
    let mut warnings = Vec::new();
    for p in &parsed.problems {
        let place = w
            .places
            .get(p.line.saturating_sub(1))
            .copied()
            .unwrap_or(bank_place("questions"));
        let (question, field, index) = match p.code {
            "no_questions" | "too_many_questions" => (None, "questions", None),
            "empty_question" | "question_too_long" | "duplicate_question" => {
                (place.question, "text", None)
            }
            "option_count" | "no_correct" | "several_correct" | "truefalse_no_answer" => {
                (place.question, "options", None)
            }
            "truefalse_two_answers" | "truefalse_bad_answer" => {
                (place.question, "options", place.index)
            }
            "typed_no_answer" => (place.question, "answers", None),
            "diacritics_not_typed" => (place.question, "diacritics", None),
            "no_explanation" => (place.question, "explanation", None),
            "answer_on_choice" => (place.question, "answers", place.index),
            _ => (place.question, place.field, place.index),
        };
        let message = if p.fix.is_empty() {
            p.message.clone()
        } else {
            format!("{}; fix: {}", p.message, p.fix)
        };
        let problem = EditorProblem {
            question,
            field,
            index,
            code: p.code,
            params: p.params.clone(),
            message,
        };
        match p.severity {
            Severity::Error => problems.push(problem),
            Severity::Warning => warnings.push(problem),
        }
    }
    // In the editor's order: the bank's own fields, then question by question.
    problems.sort_by_key(|p| p.question.map_or(0, |q| q + 1));
    warnings.sort_by_key(|p| p.question.map_or(0, |q| q + 1));
    let bank = if problems.is_empty() {
        parsed.bank
    } else {
        None
    };
    Checked {
        bank,
        problems,
        warnings,
    }
}

/// Reads the editor's JSON body.
fn read_json(body: &[u8]) -> Result<EditorBank, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad(
            "bad_json",
            serde_json::json!({}),
            format!("send the bank as JSON like GET /api/banks/{{id}}.json gives it ({e})"),
        )
    })
}

/// `POST /api/banks/check`: the problems and warnings of an edited bank,
/// nothing stored.
pub async fn check_route(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    crate::http::require_host(&app, &headers)?;
    let bytes = crate::http::read_body(&app, &headers, body, MAX_EDITOR_JSON).await?;
    let checked = crate::http::off_worker(move || {
        read_json(&bytes).map(|e| {
            let c = check("check", &e);
            (c.problems, c.warnings)
        })
    })
    .await??;
    Ok(Json(json!({"problems": checked.0, "warnings": checked.1})).into_response())
}

/// `PUT /api/banks/{id}`: saves an edited bank in the canonical text
/// format, as an uploaded bank.
pub async fn save(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    axum::extract::Path(id): axum::extract::Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    crate::http::require_host(&app, &headers)?;
    if super::id_from_filename(&id).as_deref() != Some(id.as_str()) {
        return Ok(invalid_id(&id));
    }
    if let Some((_, origin)) = app.bank_with_origin(&id)
        && origin != UPLOADED
    {
        let body = json!({
            "error": "bank_read_only",
            "message": format!("the {origin} bank \"{id}\" cannot be changed; save it under another id"),
            "params": {"id": id, "origin": origin},
        });
        return Ok((StatusCode::CONFLICT, Json(body)).into_response());
    }
    let bytes = crate::http::read_body(&app, &headers, body, MAX_EDITOR_JSON).await?;
    let path_id = id.clone();
    let checked = crate::http::off_worker(move || {
        read_json(&bytes).map(|e| {
            let c = check(&path_id, &e);
            // What is stored is the canonical text, and the bank read from it.
            let canonical = c.bank.as_ref().map(write::bank_md);
            let bank = canonical
                .as_deref()
                .and_then(|t| bank::parse(&path_id, t).bank);
            (c, canonical, bank)
        })
    })
    .await??;
    let (checked, canonical, bank) = checked;
    let (Some(bank), Some(canonical)) = (bank, canonical) else {
        let message = format!(
            "the bank has {} problem(s); nothing was stored: {}",
            checked.problems.len(),
            checked
                .problems
                .first()
                .map(|p| p.message.as_str())
                .unwrap_or("")
        );
        let body =
            json!({"error": "invalid_bank", "message": message, "problems": checked.problems});
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response());
    };
    let (title, questions) = (bank.title.clone(), bank.questions.len());
    let filename = format!("{id}{}", bank::SUFFIX);
    let replaced = app
        .save_uploaded_bank(bank, &filename, canonical.into_bytes())
        .await
        .map_err(ApiError::Internal)?;
    tracing::info!(bank = %id, questions, "bank saved from the editor");
    let status = if replaced {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(json!({
            "id": id,
            "title": title,
            "questions": questions,
            "warnings": checked.warnings,
        })),
    )
        .into_response())
}

fn invalid_id(id: &str) -> Response {
    let problem = EditorProblem {
        question: None,
        field: "id",
        index: None,
        code: "bad_id",
        params: json!({"value": crate::text::for_log(id), "max": super::MAX_ID_CHARS})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        message: format!(
            "a bank id is 1 to {} lower-case letters a-z, digits and dashes, not starting or ending with a dash",
            super::MAX_ID_CHARS
        ),
    };
    let body = json!({"error": "invalid_bank", "message": problem.message, "problems": [problem]});
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANONICAL: &str = "# Ôn tập\nlanguage: vi\ntags: a, b\ndescription: Mô tả.\n\n\
## Một?\n- [ ] a\n- [x] b\nexplanation: e\nsource: Nguồn <https://a.vn/x>\n\n\
## Nhiều?\ntype: multiple\n- [x] a\n- [ ] b\nscoring: partial\ntime: 30\nreading: 3\npoints: 2000\n\n\
## Đúng sai.\ntype: truefalse\nanswer: sai\n\n\
## Gõ?\ntype: typed\nanswer: 90\nanswer: 90 phút\ndiacritics: exact\n\n\
## Thăm dò?\ntype: poll\n- [ ] x\n- [ ] y\n";

    fn editor(v: Value) -> EditorBank {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_bank_goes_to_json_and_back_unchanged() {
        let b = bank::parse("x", CANONICAL).bank.unwrap();
        assert_eq!(write::bank_md(&b), CANONICAL);
        let e = editor(to_json(&b, UPLOADED));
        let c = check("x", &e);
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        assert_eq!(c.bank.as_ref(), Some(&b));
        assert_eq!(write::bank_md(&c.bank.unwrap()), CANONICAL);
    }

    #[test]
    fn problems_name_the_question_and_field() {
        let e = editor(json!({
            "title": "",
            "questions": [
                {"text": "ok?", "options": [{"text": "a", "correct": true}, {"text": "b"}], "explanation": "e"},
                {"text": "", "options": [{"text": "a"}, {"text": "a"}]},
                {"type": "typed", "text": "t", "answers": ["x", ""], "time": 3},
                {"type": "truefalse", "text": "tf", "options": [{"text": "Đúng"}, {"text": "Sai"}]},
                {"type": "nope", "text": "n"}
            ]
        }));
        let c = check("x", &e);
        assert!(c.bank.is_none());
        let got: Vec<(Option<usize>, &str, Option<usize>, &str)> = c
            .problems
            .iter()
            .map(|p| (p.question, p.field, p.index, p.code))
            .collect();
        for want in [
            (None, "title", None, "no_title"),
            (Some(1), "text", None, "empty_question"),
            (Some(1), "options", Some(1), "duplicate_option"),
            (Some(1), "options", None, "no_correct"),
            (Some(2), "answers", Some(1), "empty_answer"),
            (Some(2), "time", None, "bad_number"),
            (Some(3), "options", None, "truefalse_no_answer"),
            (Some(4), "type", None, "unknown_type"),
        ] {
            assert!(got.contains(&want), "{want:?} in {got:?}");
        }
        assert!(
            c.warnings
                .iter()
                .any(|w| w.question == Some(1) && w.field == "explanation")
        );
        let none = check("x", &editor(json!({"title": "T", "questions": []})));
        assert_eq!(none.problems[0].code, "no_questions");
        assert_eq!(none.problems[0].field, "questions");
    }

    #[test]
    fn line_breaks_and_markup_in_fields_stay_in_their_field() {
        let e = editor(json!({
            "title": "T\n## injected?",
            "questions": [{"text": "Q\n- [x] z", "options": [{"text": "a\n## b", "correct": true}, {"text": "c"}],
                           "explanation": "line\n## not a question\ntime: 5", "source": "s\nanswer: 1"}]
        }));
        let c = check("x", &e);
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        let b = c.bank.unwrap();
        assert_eq!(b.questions.len(), 1);
        assert_eq!(b.questions[0].options, ["a ## b", "c"]);
        assert_eq!(b.questions[0].time_limit_s, 20);
    }
}

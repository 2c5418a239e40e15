//! Question banks: the canonical text format (`*.bank.md`), its parser and
//! its validator.
//!
//! The format is a small dialect of Markdown so that an organiser can write a
//! bank in any text editor and it still reads well on GitHub: `# Title`, a few
//! `key: value` header lines, then one `## question` per question with
//! `- [ ]` / `- [x]` options. The full reference is `docs/BANKS.md`.
//! The parser never stops at the first problem: it reports every one with its
//! line number and how to fix it, because `handsup check` is how organisers
//! debug their files.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// File name suffix of a bank; the part before it is the bank id.
pub const SUFFIX: &str = ".bank.md";

/// Bounds, kept in one place so the docs and the messages agree.
pub const MIN_OPTIONS: usize = 2;
pub const MAX_OPTIONS: usize = 6;
pub const MIN_TIME_S: u32 = 5;
pub const MAX_TIME_S: u32 = 600;
pub const MAX_READING_S: u32 = 60;
pub const MAX_POINTS: u32 = 10_000;
pub const MAX_QUESTION_CHARS: usize = 400;
pub const MAX_OPTION_CHARS: usize = 150;
pub const MAX_QUESTIONS: usize = 500;

/// What kind of answer a question takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Single,
    Multiple,
    TrueFalse,
    Typed,
    Poll,
}

impl Kind {
    fn parse(s: &str) -> Option<Kind> {
        Some(
            match s.to_ascii_lowercase().replace(['-', '_', ' '], "").as_str() {
                "single" => Kind::Single,
                "multiple" => Kind::Multiple,
                "truefalse" => Kind::TrueFalse,
                "typed" => Kind::Typed,
                "poll" => Kind::Poll,
                _ => return None,
            },
        )
    }
}

/// One question as the engine needs it. The correct answer lives here and
/// only here: the wire types for members never carry these fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub text: String,
    pub kind: Kind,
    /// Shown options (empty for typed questions).
    pub options: Vec<String>,
    /// Indices of the correct options (choice and true/false questions).
    #[serde(default)]
    pub correct: Vec<usize>,
    /// Accepted answers of a typed question.
    #[serde(default)]
    pub answers: Vec<String>,
    /// Typed answers must match diacritics exactly (default: ignored).
    #[serde(default)]
    pub exact_diacritics: bool,
    /// Multiple choice earns partial points (default: all or nothing).
    #[serde(default)]
    pub partial: bool,
    pub time_limit_s: u32,
    #[serde(default)]
    pub reading_s: u32,
    pub points: u32,
    #[serde(default)]
    pub explanation: String,
    /// Where the rule comes from: a short human label shown on the
    /// projector ("Hướng dẫn 12-HD/BTCTW (2018), mục 3"); may be empty.
    #[serde(default)]
    pub source: String,
    /// The web address of the source (http or https), shown to the host
    /// and in exports; may be empty. Banks and meetings stored before the
    /// label existed kept the address in `source` (see [`Question::source_parts`]).
    #[serde(default)]
    pub source_url: String,
}

impl Question {
    /// The source as (label, address). A question stored by an older
    /// version carries a bare address in `source`: it is read as the address.
    pub fn source_parts(&self) -> (&str, &str) {
        if self.source_url.is_empty() && is_web_address(&self.source) {
            ("", self.source.trim())
        } else {
            (self.source.as_str(), self.source_url.as_str())
        }
    }

    /// What a screen read from afar shows as the source: the label, or for
    /// an address alone its site ("thuvienphapluat.vn"), never the address.
    pub fn source_display(&self) -> String {
        match self.source_parts() {
            ("", url) => host_of(url),
            (label, _) => label.to_string(),
        }
    }
}

/// Longest source label and address accepted.
pub const MAX_SOURCE_LABEL_CHARS: usize = 200;
pub const MAX_SOURCE_URL_CHARS: usize = 2000;

/// Why a `source:` value is refused: the problem code (docs/BANKS.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceProblem {
    /// A `<` with no closing `>` at the end of the value.
    Unclosed,
    /// The address is not a plain http(s) address.
    BadUrl,
    /// The label or the address is too long.
    TooLong,
}

impl SourceProblem {
    pub fn code(self) -> &'static str {
        match self {
            SourceProblem::Unclosed => "source_unclosed",
            SourceProblem::BadUrl => "source_bad_url",
            SourceProblem::TooLong => "source_too_long",
        }
    }
    pub fn message(self) -> &'static str {
        match self {
            SourceProblem::Unclosed => "the source's address is not closed with `>` at the end",
            SourceProblem::BadUrl => {
                "the source's address is not a web address (http:// or https://)"
            }
            SourceProblem::TooLong => "the source is too long",
        }
    }
    pub fn fix(self) -> String {
        match self {
            SourceProblem::Unclosed => {
                "write the label, then the address inside angle brackets: `source: Điều lệ Đảng, Điều 9 <https://...>`".into()
            }
            SourceProblem::BadUrl => {
                "give an address starting with https:// (or http://), or only a label".into()
            }
            SourceProblem::TooLong => format!(
                "keep the label under {MAX_SOURCE_LABEL_CHARS} characters and the address under {MAX_SOURCE_URL_CHARS}"
            ),
        }
    }
}

/// Whether `s` is a plain http(s) address: a scheme, a host, no spaces
/// and none of the characters that would end it in the bank format.
pub fn is_web_address(s: &str) -> bool {
    let s = s.trim();
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &s[8..]
    } else if lower.starts_with("http://") {
        &s[7..]
    } else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    !host.is_empty()
        && !host.ends_with('@')
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '`'))
}

/// The site of an address, for a short label: `https://www.a.vn/x` → `a.vn`.
pub fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map(|x| x.1).unwrap_or(url);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = if host.starts_with('[') {
        host.split_inclusive(']').next().unwrap_or(host)
    } else {
        host.split(':').next().unwrap_or(host)
    };
    let host = host.to_lowercase();
    host.strip_prefix("www.")
        .map(str::to_string)
        .unwrap_or(host)
}

/// Whether a value without spaces is meant as an address: `scheme://...`,
/// or a scheme a browser would run (`javascript:`, `data:`...).
fn looks_like_address(v: &str) -> bool {
    let Some((scheme, rest)) = v.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    scheme_ok
        && (rest.starts_with("//")
            || matches!(
                scheme.to_ascii_lowercase().as_str(),
                "javascript" | "vbscript" | "data" | "file" | "blob" | "about" | "mailto" | "tel"
            ))
}

/// Splits a `source:` value written `LABEL <URL>` into its label and
/// address. Either part may be absent: `LABEL`, `<URL>` or a bare `URL`.
pub fn parse_source(value: &str) -> Result<(String, String), SourceProblem> {
    let v = value.trim();
    let (label, url) = if let Some(open) = v.find('<') {
        let inner = v[open + 1..]
            .strip_suffix('>')
            .ok_or(SourceProblem::Unclosed)?;
        if inner.contains(['<', '>']) {
            return Err(SourceProblem::Unclosed);
        }
        (crate::text::collapse(&v[..open]), inner.trim().to_string())
    } else if !v.contains(char::is_whitespace) && looks_like_address(v) {
        (String::new(), v.to_string())
    } else {
        (crate::text::collapse(v), String::new())
    };
    if label.chars().count() > MAX_SOURCE_LABEL_CHARS || url.chars().count() > MAX_SOURCE_URL_CHARS
    {
        return Err(SourceProblem::TooLong);
    }
    if (!url.is_empty() || v.contains('<')) && !is_web_address(&url) {
        return Err(SourceProblem::BadUrl);
    }
    Ok((label, url))
}

#[cfg(test)]
impl Question {
    /// A question for engine tests: 20 s, 1000 points, no reading time.
    pub fn sample(kind: Kind, options: &[&str], correct: &[usize], answers: &[&str]) -> Question {
        Question {
            text: "Q".into(),
            kind,
            options: options.iter().map(|s| s.to_string()).collect(),
            correct: correct.to_vec(),
            answers: answers.iter().map(|s| s.to_string()).collect(),
            exact_diacritics: false,
            partial: false,
            time_limit_s: 20,
            reading_s: 0,
            points: 1000,
            explanation: String::new(),
            source: String::new(),
            source_url: String::new(),
        }
    }
}

/// A loaded bank.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bank {
    pub id: String,
    pub title: String,
    pub language: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub description: String,
    pub questions: Vec<Question>,
}

/// Whether a title or tag names a Party cell or the Party ("chi bộ",
/// "đảng", "party").
pub fn names_party(s: &str) -> bool {
    use unicode_normalization::UnicodeNormalization;
    let s: String = s.to_lowercase().nfc().collect();
    s.contains("chi bộ")
        || s.contains("đảng")
        || s.split(|c: char| !c.is_alphanumeric())
            .any(|w| w == "party")
}

impl Bank {
    /// A Party bank: its title or a tag names the cell or the Party. A
    /// meeting created from it gets Party wording unless the host chooses
    /// otherwise (docs/PROTOCOL.md, `wording`).
    pub fn is_party(&self) -> bool {
        names_party(&self.title) || self.tags.iter().any(|t| names_party(t))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in a bank file: where, what, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub severity: Severity,
    /// Stable snake_case code; pages word the problem from it and `params`
    /// (docs/BANKS.md lists them).
    pub code: &'static str,
    /// The values the message quotes (may be empty).
    pub params: serde_json::Map<String, serde_json::Value>,
    pub message: String,
    pub fix: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "line {}: {sev}: {}", self.line, self.message)?;
        if !self.fix.is_empty() {
            write!(f, "\n    fix: {}", self.fix)?;
        }
        Ok(())
    }
}

/// The result of parsing: a bank when there is no error, and every problem.
#[derive(Debug)]
pub struct Parsed {
    pub bank: Option<Bank>,
    pub problems: Vec<Problem>,
}

impl Parsed {
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
    }
}

/// The bank id of a file name: `chi-bo.bank.md` → `chi-bo`.
pub fn id_from_path(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_suffix(SUFFIX)?;
    (!stem.is_empty()).then(|| stem.to_string())
}

/// Field a plain text line continues.
#[derive(Clone, Copy, PartialEq)]
enum Cont {
    None,
    Description,
    Text,
    Explanation,
}

/// A question while it is being read, with the lines of its parts.
struct Draft {
    line: usize,
    text: String,
    kind: Option<(Kind, usize)>,
    options: Vec<(String, bool, usize)>,
    answers: Vec<(String, usize)>,
    time: Option<u32>,
    reading: Option<u32>,
    points: Option<u32>,
    scoring: Option<(bool, usize)>,
    exact: bool,
    explanation: String,
    source: String,
    source_url: String,
}

struct Defaults {
    time: u32,
    reading: u32,
    points: u32,
}

struct Parser {
    problems: Vec<Problem>,
}

impl Parser {
    fn error(
        &mut self,
        line: usize,
        code: &'static str,
        params: serde_json::Value,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.push(Severity::Error, line, code, params, message, fix);
    }
    fn warn(
        &mut self,
        line: usize,
        code: &'static str,
        params: serde_json::Value,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.push(Severity::Warning, line, code, params, message, fix);
    }
    fn push(
        &mut self,
        severity: Severity,
        line: usize,
        code: &'static str,
        params: serde_json::Value,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        let params = match params {
            serde_json::Value::Object(m) => m,
            _ => serde_json::Map::new(),
        };
        self.problems.push(Problem {
            line,
            severity,
            code,
            params,
            message: message.into(),
            fix: fix.into(),
        });
    }

    fn number(&mut self, line: usize, key: &str, value: &str, min: u32, max: u32) -> Option<u32> {
        let v = value.trim().trim_end_matches('s').trim();
        match v.parse::<u32>() {
            Ok(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                self.error(
                    line,
                    "bad_number",
                    serde_json::json!({"field": key, "value": value, "min": min, "max": max}),
                    format!("`{key}: {value}` is not a whole number from {min} to {max}"),
                    format!("write e.g. `{key}: {}`", (min.max(1) * 4).min(max)),
                );
                None
            }
        }
    }
}

/// Header fields and question fields, for "did you mean" messages.
const HEADER_KEYS: &[&str] = &[
    "language",
    "tags",
    "description",
    "time",
    "reading",
    "points",
];
const QUESTION_KEYS: &[&str] = &[
    "type",
    "time",
    "reading",
    "points",
    "scoring",
    "answer",
    "diacritics",
    "explanation",
    "source",
];

/// Splits `key: value` when the key is one ASCII word (so that question text
/// such as "Theo Điều 9: ..." is never mistaken for a field).
pub(crate) fn split_key(line: &str) -> Option<(String, &str)> {
    let (k, v) = line.split_once(':')?;
    let k = k.trim();
    if k.is_empty() || k.len() > 20 || !k.chars().all(|c| c.is_ascii_alphabetic() || c == '_') {
        return None;
    }
    // "https://..." in a continuation line is not a field.
    if v.starts_with("//") {
        return None;
    }
    Some((k.to_ascii_lowercase(), v.trim()))
}

/// Recognises `- [ ] text`, `- [x] text` (also `*` bullets).
fn split_option(line: &str) -> Option<Result<(bool, &str), ()>> {
    let rest = line
        .strip_prefix("- ")
        .or_else(|| line.strip_prefix("* "))?
        .trim_start();
    if let Some(r) = rest.strip_prefix("[ ]") {
        return Some(Ok((false, r.trim())));
    }
    if let Some(r) = rest
        .strip_prefix("[x]")
        .or_else(|| rest.strip_prefix("[X]"))
    {
        return Some(Ok((true, r.trim())));
    }
    Some(Err(()))
}

fn parse_bool(s: &str) -> Option<bool> {
    match crate::text::fold(s).as_str() {
        "true" | "dung" | "yes" | "co" => Some(true),
        "false" | "sai" | "no" | "khong" => Some(false),
        _ => None,
    }
}

/// Labels of true/false options by bank language.
pub fn true_false_labels(language: &str) -> [&'static str; 2] {
    if language.starts_with("vi") {
        ["Đúng", "Sai"]
    } else {
        ["True", "False"]
    }
}

/// Parses a bank from its text. `id` is the bank id (from the file name).
pub fn parse(id: &str, source: &str) -> Parsed {
    let mut p = Parser {
        problems: Vec::new(),
    };
    let mut title: Option<String> = None;
    let mut language = String::from("vi");
    let mut tags = Vec::new();
    let mut description = String::new();
    let mut defaults = Defaults {
        time: 20,
        reading: 0,
        points: 1000,
    };
    let mut drafts: Vec<Draft> = Vec::new();
    let mut cont = Cont::None;

    for (i, raw) in source.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        let line = if n == 1 {
            line.trim_start_matches('\u{feff}')
        } else {
            line
        };
        if line.is_empty() {
            if cont == Cont::Text || cont == Cont::Description {
                cont = Cont::None;
            }
            continue;
        }
        if line.starts_with("<!--") && line.ends_with("-->") {
            continue;
        }
        if let Some(q) = line.strip_prefix("## ") {
            if title.is_none() {
                p.error(
                    n,
                    "question_before_title",
                    serde_json::Value::Null,
                    "a question comes before the bank's title",
                    "start the file with a title line such as `# Quy định sinh hoạt chi bộ`",
                );
                title = Some(String::new());
            }
            drafts.push(Draft {
                line: n,
                text: crate::text::collapse(q),
                kind: None,
                options: Vec::new(),
                answers: Vec::new(),
                time: None,
                reading: None,
                points: None,
                scoring: None,
                exact: false,
                explanation: String::new(),
                source: String::new(),
                source_url: String::new(),
            });
            cont = Cont::Text;
            continue;
        }
        if let Some(t) = line.strip_prefix("# ") {
            if title.is_some() {
                p.error(
                    n,
                    "second_title",
                    serde_json::Value::Null,
                    "a second `# ` title line",
                    "a bank has one title; start questions with `## ` (two hashes)",
                );
            } else {
                title = Some(crate::text::collapse(t));
            }
            continue;
        }
        if title.is_none() {
            p.error(
                n,
                "no_title_first",
                serde_json::Value::Null,
                "the file does not start with the bank's title",
                "make the first line the title, like `# Quy định sinh hoạt chi bộ`",
            );
            title = Some(String::new());
        }
        let Some(d) = drafts.last_mut() else {
            // Header section.
            if let Some((key, value)) = split_key(line) {
                cont = Cont::None;
                match key.as_str() {
                    "language" => language = value.to_ascii_lowercase(),
                    "tags" => {
                        tags = value
                            .split(',')
                            .map(crate::text::collapse)
                            .filter(|t| !t.is_empty())
                            .collect()
                    }
                    "description" => {
                        description = value.to_string();
                        cont = Cont::Description;
                    }
                    "time" => {
                        if let Some(v) = p.number(n, "time", value, MIN_TIME_S, MAX_TIME_S) {
                            defaults.time = v
                        }
                    }
                    "reading" => {
                        if let Some(v) = p.number(n, "reading", value, 0, MAX_READING_S) {
                            defaults.reading = v
                        }
                    }
                    "points" => {
                        if let Some(v) = p.number(n, "points", value, 0, MAX_POINTS) {
                            defaults.points = v
                        }
                    }
                    other => p.error(
                        n,
                        "unknown_header_field",
                        serde_json::json!({"value": other, "accepted": HEADER_KEYS}),
                        format!("unknown header field `{other}`"),
                        format!(
                            "use one of: {}; questions start with `## `",
                            HEADER_KEYS.join(", ")
                        ),
                    ),
                }
            } else if cont == Cont::Description {
                description.push(' ');
                description.push_str(line);
            } else {
                p.error(
                    n,
                    "text_outside_question",
                    serde_json::json!({"value": clip(line)}),
                    format!("text outside any question: `{}`", clip(line)),
                    "start each question with `## ` followed by its text",
                );
            }
            continue;
        };
        if let Some(opt) = split_option(line) {
            cont = Cont::None;
            match opt {
                Ok((_, "")) => {
                    p.error(
                        n,
                        "empty_option",
                        serde_json::Value::Null,
                        "an empty option",
                        "write the option's text after the box",
                    );
                }
                Ok((correct, text)) => d.options.push((crate::text::collapse(text), correct, n)),
                Err(()) => p.error(
                    n,
                    "option_without_box",
                    serde_json::json!({"value": clip(line)}),
                    format!("`{}` is a list item without a box", clip(line)),
                    "write options as `- [ ] text`, and the correct one(s) as `- [x] text`",
                ),
            }
            continue;
        }
        if let Some((key, value)) = split_key(line) {
            cont = Cont::None;
            match key.as_str() {
                "type" => match Kind::parse(value) {
                    Some(k) => d.kind = Some((k, n)),
                    None => p.error(
                        n,
                        "unknown_type",
                        serde_json::json!({"value": value}),
                        format!("unknown question type `{value}`"),
                        "use one of: single, multiple, truefalse, typed, poll",
                    ),
                },
                "time" => d.time = p.number(n, "time", value, MIN_TIME_S, MAX_TIME_S),
                "reading" => d.reading = p.number(n, "reading", value, 0, MAX_READING_S),
                "points" => d.points = p.number(n, "points", value, 0, MAX_POINTS),
                "scoring" => match value.to_ascii_lowercase().as_str() {
                    "partial" => d.scoring = Some((true, n)),
                    "all" | "all-or-nothing" => d.scoring = Some((false, n)),
                    _ => p.error(
                        n,
                        "unknown_scoring",
                        serde_json::json!({"value": value}),
                        format!("unknown scoring `{value}`"),
                        "use `scoring: all` (all or nothing) or `scoring: partial`",
                    ),
                },
                "answer" => {
                    if value.is_empty() {
                        p.error(
                            n,
                            "empty_answer",
                            serde_json::Value::Null,
                            "an empty `answer:`",
                            "write the accepted answer after `answer:`",
                        );
                    } else {
                        d.answers.push((crate::text::collapse(value), n));
                    }
                }
                "diacritics" => match value.to_ascii_lowercase().as_str() {
                    "exact" => d.exact = true,
                    "ignore" => d.exact = false,
                    _ => p.error(
                        n,
                        "unknown_diacritics",
                        serde_json::json!({"value": value}),
                        format!("unknown diacritics setting `{value}`"),
                        "use `diacritics: ignore` (default) or `diacritics: exact`",
                    ),
                },
                "explanation" => {
                    d.explanation = value.to_string();
                    cont = Cont::Explanation;
                }
                "source" => match parse_source(value) {
                    Ok((label, url)) => {
                        d.source = label;
                        d.source_url = url;
                    }
                    Err(e) => p.error(
                        n,
                        e.code(),
                        serde_json::json!({"value": clip(value), "max": MAX_SOURCE_LABEL_CHARS, "max_url": MAX_SOURCE_URL_CHARS}),
                        e.message(),
                        e.fix(),
                    ),
                },
                other => p.error(
                    n,
                    "unknown_question_field",
                    serde_json::json!({"value": other, "accepted": QUESTION_KEYS}),
                    format!("unknown question field `{other}`"),
                    format!("use one of: {}", QUESTION_KEYS.join(", ")),
                ),
            }
            continue;
        }
        match cont {
            Cont::Text if d.options.is_empty() => {
                d.text.push(' ');
                d.text.push_str(&crate::text::collapse(line));
            }
            Cont::Explanation => {
                d.explanation.push(' ');
                d.explanation.push_str(line);
            }
            _ => p.error(
                n,
                "stray_line",
                serde_json::json!({"value": clip(line)}),
                format!("`{}` is not part of any field", clip(line)),
                "continue text right under its line, or write `field: value` (e.g. `explanation: ...`)",
            ),
        }
    }

    if title.as_deref().is_none_or(str::is_empty) && p.problems.is_empty() {
        p.error(
            1,
            "no_title",
            serde_json::Value::Null,
            "the file has no title",
            "make the first line the title, like `# Quy định sinh hoạt chi bộ`",
        );
    }
    if drafts.is_empty() {
        p.error(
            source.lines().count().max(1),
            "no_questions",
            serde_json::Value::Null,
            "the bank has no questions",
            "add questions, each starting with a `## ` line",
        );
    }
    if drafts.len() > MAX_QUESTIONS {
        p.error(
            drafts[MAX_QUESTIONS].line,
            "too_many_questions",
            serde_json::json!({"max": MAX_QUESTIONS}),
            format!("more than {MAX_QUESTIONS} questions"),
            "split the bank into several files",
        );
    }
    let mut seen = HashSet::new();
    let mut questions = Vec::new();
    for d in drafts {
        if !seen.insert(crate::text::fold(&d.text)) {
            p.warn(
                d.line,
                "duplicate_question",
                serde_json::Value::Null,
                "the same question text appears twice",
                "remove or reword one of them",
            );
        }
        if let Some(q) = finish(&mut p, d, &defaults, &language) {
            questions.push(q);
        }
    }
    let ok = !p.problems.iter().any(|x| x.severity == Severity::Error);
    Parsed {
        bank: ok.then(|| Bank {
            id: id.to_string(),
            title: title.unwrap_or_default(),
            language,
            tags,
            description: description.trim().to_string(),
            questions,
        }),
        problems: p.problems,
    }
}

fn clip(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.to_string()
    }
}

/// Checks one question and turns it into its final form.
fn finish(p: &mut Parser, d: Draft, defaults: &Defaults, language: &str) -> Option<Question> {
    let line = d.line;
    let errors_before = p.problems.len();
    if d.text.is_empty() {
        p.error(
            line,
            "empty_question",
            serde_json::Value::Null,
            "a question without text",
            "write the question after `## `",
        );
    }
    if d.text.chars().count() > MAX_QUESTION_CHARS {
        p.error(
            line,
            "question_too_long",
            serde_json::json!({"max": MAX_QUESTION_CHARS}),
            format!("the question is longer than {MAX_QUESTION_CHARS} characters"),
            "shorten it so it fits on the projector and a phone",
        );
    }
    let n_correct = d.options.iter().filter(|o| o.1).count();
    let kind = match d.kind {
        Some((k, _)) => k,
        None if !d.answers.is_empty() && d.options.is_empty() => Kind::Typed,
        None if n_correct > 1 => Kind::Multiple,
        None => Kind::Single,
    };
    let kind_line = d.kind.map(|k| k.1).unwrap_or(line);
    let mut options: Vec<String> = d.options.iter().map(|o| o.0.clone()).collect();
    let mut correct: Vec<usize> = d
        .options
        .iter()
        .enumerate()
        .filter(|(_, o)| o.1)
        .map(|(i, _)| i)
        .collect();
    let mut answers: Vec<String> = Vec::new();
    match kind {
        Kind::Single | Kind::Multiple | Kind::Poll => {
            if options.len() < MIN_OPTIONS || options.len() > MAX_OPTIONS {
                p.error(
                    line,
                    "option_count",
                    serde_json::json!({"count": options.len(), "min": MIN_OPTIONS, "max": MAX_OPTIONS}),
                    format!(
                        "{} option(s); a question needs {MIN_OPTIONS} to {MAX_OPTIONS}",
                        options.len()
                    ),
                    "list the options under the question as `- [ ] text` lines",
                );
            }
            let mut seen = HashSet::new();
            for (text, _, l) in &d.options {
                if text.chars().count() > MAX_OPTION_CHARS {
                    p.error(
                        *l,
                        "option_too_long",
                        serde_json::json!({"max": MAX_OPTION_CHARS}),
                        format!("an option longer than {MAX_OPTION_CHARS} characters"),
                        "shorten the option",
                    );
                }
                if !seen.insert(crate::text::fold(text)) {
                    p.error(
                        *l,
                        "duplicate_option",
                        serde_json::Value::Null,
                        "two options with the same text",
                        "make every option different",
                    );
                }
            }
            if !d.answers.is_empty() {
                p.error(
                    d.answers[0].1,
                    "answer_on_choice",
                    serde_json::Value::Null,
                    "`answer:` belongs to typed and true/false questions",
                    "mark the correct option with `- [x]` instead",
                );
            }
            match kind {
                Kind::Single if n_correct != 1 && !options.is_empty() => p.error(
                    line,
                    if n_correct == 0 { "no_correct" } else { "several_correct" },
                    serde_json::json!({"count": n_correct}),
                    if n_correct == 0 {
                        "no option is marked correct".to_string()
                    } else {
                        format!("{n_correct} options are marked correct in a single-choice question")
                    },
                    if n_correct == 0 {
                        "mark the correct option as `- [x] text`, or add `type: poll` for a question without a right answer"
                    } else {
                        "mark exactly one option `[x]`, or add `type: multiple`"
                    },
                ),
                Kind::Multiple if n_correct == 0 => p.error(
                    line,
                    "no_correct",
                    serde_json::json!({"count": 0}),
                    "no option is marked correct",
                    "mark every correct option as `- [x] text`",
                ),
                Kind::Poll if n_correct > 0 => p.error(
                    d.options.iter().find(|o| o.1).map(|o| o.2).unwrap_or(line),
                    "poll_with_correct",
                    serde_json::Value::Null,
                    "a poll has no correct answer, but an option is marked `[x]`",
                    "write all poll options as `- [ ] text`",
                ),
                _ => {}
            }
        }
        Kind::TrueFalse => {
            if !d.options.is_empty() {
                p.error(
                    d.options[0].2,
                    "truefalse_with_options",
                    serde_json::Value::Null,
                    "a true/false question takes no option list",
                    "remove the options and write `answer: true` or `answer: false` (đúng / sai)",
                );
            }
            match d.answers.as_slice() {
                [(a, l)] => match parse_bool(a) {
                    Some(v) => correct = vec![if v { 0 } else { 1 }],
                    None => p.error(
                        *l,
                        "truefalse_bad_answer",
                        serde_json::json!({"value": a}),
                        format!("`answer: {a}` is not true or false"),
                        "write `answer: true` or `answer: false` (or đúng / sai)",
                    ),
                },
                [] => p.error(
                    kind_line,
                    "truefalse_no_answer",
                    serde_json::Value::Null,
                    "a true/false question without its answer",
                    "add `answer: true` or `answer: false`",
                ),
                [_, (_, l), ..] => p.error(
                    *l,
                    "truefalse_two_answers",
                    serde_json::Value::Null,
                    "a true/false question has one answer",
                    "keep a single `answer:` line",
                ),
            }
            options = true_false_labels(language)
                .iter()
                .map(|s| s.to_string())
                .collect();
        }
        Kind::Typed => {
            if !d.options.is_empty() {
                p.error(
                    d.options[0].2,
                    "typed_with_options",
                    serde_json::Value::Null,
                    "a typed question takes no option list",
                    "remove the `- [ ]` lines and list accepted answers as `answer: ...` lines",
                );
            }
            if d.answers.is_empty() {
                p.error(
                    kind_line,
                    "typed_no_answer",
                    serde_json::Value::Null,
                    "a typed question without an accepted answer",
                    "add one or more `answer: ...` lines",
                );
            }
            answers = d.answers.iter().map(|a| a.0.clone()).collect();
            correct.clear();
        }
    }
    if let Some((_, l)) = d.scoring
        && kind != Kind::Multiple
    {
        p.error(
            l,
            "scoring_not_multiple",
            serde_json::Value::Null,
            "`scoring:` applies to multiple-choice questions only",
            "remove the `scoring:` line",
        );
    }
    if d.exact && kind != Kind::Typed {
        p.error(
            line,
            "diacritics_not_typed",
            serde_json::Value::Null,
            "`diacritics:` applies to typed questions only",
            "remove the `diacritics:` line",
        );
    }
    if d.explanation.trim().is_empty() && kind != Kind::Poll {
        p.warn(
            line,
            "no_explanation",
            serde_json::Value::Null,
            "the question has no explanation",
            "add `explanation: ...` citing the rule, shown after the answer is revealed",
        );
    }
    if p.problems[errors_before..]
        .iter()
        .any(|x| x.severity == Severity::Error)
    {
        return None;
    }
    Some(Question {
        text: d.text,
        kind,
        options,
        correct,
        answers,
        exact_diacritics: d.exact,
        partial: d.scoring.is_some_and(|s| s.0),
        time_limit_s: d.time.unwrap_or(defaults.time),
        reading_s: d.reading.unwrap_or(defaults.reading),
        points: d.points.unwrap_or(defaults.points),
        explanation: d.explanation.trim().to_string(),
        source: d.source,
        source_url: d.source_url,
    })
}

/// Largest bank file read: the shipped bank of 39 questions is 28 KB.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Reads and parses one file, refusing one over [`MAX_FILE_BYTES`] before
/// reading it.
pub fn parse_file(path: &Path) -> std::io::Result<Parsed> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    let mut text = String::new();
    // `take`: the file may grow between a size check and the read.
    file.take(MAX_FILE_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the file is over {MAX_FILE_BYTES} bytes; a bank is far smaller"),
        ));
    }
    let id = id_from_path(path).unwrap_or_else(|| {
        path.file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("bank")
            .to_string()
    });
    Ok(parse(&id, &text))
}

/// A bank file that could not be loaded, for the start-up report.
#[derive(Debug)]
pub struct LoadFailure {
    pub path: PathBuf,
    pub problems: Vec<String>,
}

/// Loads every `*.bank.md` in the given directories (missing directories
/// are skipped). A broken file is reported and skipped; the first bank with
/// a given id wins.
pub fn load_dirs(dirs: &[PathBuf]) -> (Vec<Bank>, Vec<LoadFailure>) {
    let mut banks: Vec<Bank> = Vec::new();
    let mut failures = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| id_from_path(p).is_some())
            .collect();
        paths.sort();
        for path in paths {
            match parse_file(&path) {
                Ok(parsed) => match parsed.bank {
                    Some(bank) if banks.iter().any(|b| b.id == bank.id) => {
                        failures.push(LoadFailure {
                            path,
                            problems: vec![format!(
                                "a bank with id `{}` is already loaded; rename the file",
                                bank.id
                            )],
                        })
                    }
                    Some(bank) => banks.push(bank),
                    None => failures.push(LoadFailure {
                        path,
                        problems: parsed.errors().map(|e| e.to_string()).collect(),
                    }),
                },
                Err(e) => failures.push(LoadFailure {
                    path,
                    problems: vec![e.to_string()],
                }),
            }
        }
    }
    (banks, failures)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "\
# Demo bank
language: en
tags: demo, test
time: 15

## What is 1 + 1?
- [ ] 1
- [x] 2
- [ ] 3
explanation: Arithmetic.
source: school

## Which are even?
- [x] 2
- [ ] 3
- [x] 4
scoring: partial

## The sky is green.
type: truefalse
answer: false

## How often does a cell meet?
answer: every month
answer: monthly
time: 30

## Your favourite colour?
type: poll
- [ ] red
- [ ] blue
";

    #[test]
    fn parses_every_kind() {
        let parsed = parse("demo", GOOD);
        let errors: Vec<_> = parsed.errors().collect();
        assert!(errors.is_empty(), "{errors:?}");
        let bank = parsed.bank.unwrap();
        assert_eq!(bank.title, "Demo bank");
        assert_eq!(bank.language, "en");
        assert_eq!(bank.tags, vec!["demo", "test"]);
        let q = &bank.questions;
        assert_eq!(q.len(), 5);
        assert_eq!(
            (q[0].kind, q[0].correct.clone(), q[0].time_limit_s),
            (Kind::Single, vec![1], 15)
        );
        assert_eq!(
            (q[1].kind, q[1].correct.clone(), q[1].partial),
            (Kind::Multiple, vec![0, 2], true)
        );
        assert_eq!(
            (q[2].kind, q[2].options.clone(), q[2].correct.clone()),
            (
                Kind::TrueFalse,
                vec!["True".into(), "False".into()],
                vec![1]
            )
        );
        assert_eq!(
            (q[3].kind, q[3].answers.len(), q[3].time_limit_s),
            (Kind::Typed, 2, 30)
        );
        assert_eq!(q[4].kind, Kind::Poll);
    }

    #[test]
    fn multi_line_text_and_explanation() {
        let src =
            "# T\n\n## Line one\nline two\n- [x] a\n- [ ] b\nexplanation: first\nsecond part\n";
        let bank = parse("t", src).bank.unwrap();
        assert_eq!(bank.questions[0].text, "Line one line two");
        assert_eq!(bank.questions[0].explanation, "first second part");
    }

    #[test]
    fn colon_in_question_text_is_not_a_field() {
        let src = "# T\n## Theo Điều 9: ai biểu quyết?\nNote text: https://x\n- [x] a\n- [ ] b\nexplanation: e\n";
        let parsed = parse("t", src);
        assert_eq!(parsed.errors().count(), 0, "{:?}", parsed.problems);
    }

    fn first_error(src: &str) -> Problem {
        parse("t", src)
            .errors()
            .next()
            .cloned()
            .unwrap_or_else(|| panic!("expected an error in:\n{src}"))
    }

    #[test]
    fn reports_line_and_fix() {
        let e = first_error("# T\n## Q\n- [ ] a\n- [ ] b\n");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("no option is marked correct"));
        assert!(e.fix.contains("type: poll"));

        let e = first_error("# T\n## Q\n- [x] a\n- [ ] b\ntme: 10\n");
        assert_eq!(e.line, 5);
        assert!(e.message.contains("unknown question field `tme`"));
        assert!(e.fix.contains("time"));

        let e = first_error("# T\n## Q\n- [x] a\n- b\n");
        assert_eq!(e.line, 4);
        assert!(e.fix.contains("- [ ] text"));

        let e = first_error("# T\n## Q\n- [x] a\n- [ ] b\ntime: 2\n");
        assert_eq!(e.line, 5);
        assert!(e.message.contains("from 5 to 600"));

        let e = first_error("Title without hash\n## Q\n- [x] a\n- [ ] b\n");
        assert_eq!(e.line, 1);
        assert!(e.fix.contains("# "));

        let e = first_error("# T\n## Q\ntype: truefalse\nanswer: maybe\n");
        assert_eq!(e.line, 4);
        assert!(e.fix.contains("answer: true"));

        let e = first_error("# T\n## Q\ntype: typed\n");
        assert!(e.message.contains("without an accepted answer"));

        let e = first_error("# T\n## Q\n- [x] a\n");
        assert!(e.message.contains("1 option(s)"));

        let e = first_error("# T\n## Q\ntype: poll\n- [x] a\n- [ ] b\n");
        assert_eq!(e.line, 4);

        let e = first_error("# T\n");
        assert!(e.message.contains("no questions"));

        let e = first_error("# T\n## Q\n- [x] a\n- [ ] A\n");
        assert_eq!(e.line, 4);
        assert!(e.message.contains("same text"));

        let e = first_error("# T\n## Q\n- [x] a\n- [x] b\ntype: single\n");
        assert!(e.message.contains("2 options are marked correct"));
    }

    #[test]
    fn reports_every_problem_not_just_the_first() {
        let src = "# T\n## Q1\n- [ ] a\n- [ ] b\n## Q2\ntype: quiz\n- [x] a\n- [ ] b\n## Q3\nfoo: 1\n- [x] a\n- [ ] b\n";
        let parsed = parse("t", src);
        let lines: Vec<usize> = parsed.errors().map(|e| e.line).collect();
        assert_eq!(lines, vec![6, 10, 2]);
        assert!(parsed.bank.is_none());
    }

    #[test]
    fn warns_without_failing() {
        let parsed = parse("t", "# T\n## Q\n- [x] a\n- [ ] b\n");
        assert!(parsed.bank.is_some());
        assert_eq!(parsed.problems.len(), 1);
        assert_eq!(parsed.problems[0].severity, Severity::Warning);
        assert!(parsed.problems[0].message.contains("no explanation"));
    }

    #[test]
    fn sources_have_a_label_and_an_address() {
        let ok = |v: &str| parse_source(v).unwrap();
        let own = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            ok("Hướng dẫn 12-HD/BTCTW (2018), mục 3 <https://a.vn/x?y=1&z=2>"),
            own(
                "Hướng dẫn 12-HD/BTCTW (2018), mục 3",
                "https://a.vn/x?y=1&z=2"
            )
        );
        assert_eq!(ok("https://a.vn/x"), own("", "https://a.vn/x"));
        assert_eq!(ok("<HTTP://a.vn>"), own("", "HTTP://a.vn"));
        assert_eq!(
            ok("  Điều lệ Đảng,   Điều 9  "),
            own("Điều lệ Đảng, Điều 9", "")
        );
        assert_eq!(ok("a > b"), own("a > b", ""));
        assert_eq!(ok(""), own("", ""));
        // A label without spaces that is not an address stays a label.
        assert_eq!(ok("QĐ69:Điều15"), own("QĐ69:Điều15", ""));
        let bad = |v: &str| parse_source(v).unwrap_err();
        assert_eq!(bad("Điều lệ <https://a.vn"), SourceProblem::Unclosed);
        assert_eq!(bad("Điều lệ <https://a.vn> mục 3"), SourceProblem::Unclosed);
        assert_eq!(bad("a <b <https://a.vn>>"), SourceProblem::Unclosed);
        assert_eq!(bad("Điều lệ <javascript:alert(1)>"), SourceProblem::BadUrl);
        assert_eq!(bad("javascript:alert(1)"), SourceProblem::BadUrl);
        assert_eq!(bad("JavaScript:alert(1)"), SourceProblem::BadUrl);
        assert_eq!(bad("data:text/html,x"), SourceProblem::BadUrl);
        assert_eq!(bad("ftp://a.vn/x"), SourceProblem::BadUrl);
        assert_eq!(bad("Điều lệ <>"), SourceProblem::BadUrl);
        assert_eq!(bad("Điều lệ <https://>"), SourceProblem::BadUrl);
        assert_eq!(bad("Điều lệ <https://a.vn/x y>"), SourceProblem::BadUrl);
        assert_eq!(bad("Điều lệ <www.a.vn>"), SourceProblem::BadUrl);
        assert_eq!(
            bad(&"x".repeat(MAX_SOURCE_LABEL_CHARS + 1)),
            SourceProblem::TooLong
        );
        let long_url = format!("<https://a.vn/{}>", "x".repeat(MAX_SOURCE_URL_CHARS));
        assert_eq!(bad(&long_url), SourceProblem::TooLong);
    }

    #[test]
    fn a_bad_source_is_a_problem_on_its_line() {
        let e = first_error("# T\n## Q\n- [x] a\n- [ ] b\nsource: Điều lệ <https://a.vn\n");
        assert_eq!((e.line, e.code), (5, "source_unclosed"));
        assert!(e.fix.contains("<https://"), "{}", e.fix);
        let e = first_error("# T\n## Q\n- [x] a\n- [ ] b\nsource: Điều lệ <javascript:alert(1)>\n");
        assert_eq!((e.line, e.code), (5, "source_bad_url"));
        assert!(e.fix.contains("https://"), "{}", e.fix);
    }

    #[test]
    fn the_projector_shows_the_label_or_only_the_site() {
        let mut q = Question::sample(Kind::Single, &["a", "b"], &[0], &[]);
        q.source = "Điều lệ Đảng, Điều 9".into();
        q.source_url = "https://www.a.vn/x".into();
        assert_eq!(q.source_display(), "Điều lệ Đảng, Điều 9");
        assert_eq!(
            q.source_parts(),
            ("Điều lệ Đảng, Điều 9", "https://www.a.vn/x")
        );
        q.source.clear();
        assert_eq!(q.source_display(), "a.vn");
        // Stored by an older version: the address in `source`.
        q.source = "https://user@thuvienphapluat.vn:443/x".into();
        q.source_url.clear();
        assert_eq!(
            q.source_parts(),
            ("", "https://user@thuvienphapluat.vn:443/x")
        );
        assert_eq!(q.source_display(), "thuvienphapluat.vn");
        let old: Question = serde_json::from_value(serde_json::json!({
            "text": "Q", "kind": "single", "options": ["a", "b"], "correct": [0],
            "time_limit_s": 20, "points": 1000, "source": "https://a.vn/x"
        }))
        .unwrap();
        assert_eq!(old.source_parts(), ("", "https://a.vn/x"));
    }

    /// The complete example of docs/BANKS.md is a good bank in canonical form.
    #[test]
    fn the_documented_example_parses() {
        let doc = include_str!("../docs/BANKS.md");
        let example = doc
            .split("## A complete example\n\n```markdown\n")
            .nth(1)
            .and_then(|s| s.split("\n```").next())
            .expect("the example block");
        let parsed = parse("example", example);
        let errors: Vec<_> = parsed.errors().collect();
        assert!(errors.is_empty(), "{errors:?}");
        let q = &parsed.bank.unwrap().questions;
        assert_eq!(q.len(), 5);
        assert_eq!(
            q[1].source_parts(),
            (
                "Điều lệ Đảng (2011), Điều 12 khoản 3",
                "https://example.org/dieu-le-dang"
            )
        );
    }

    #[test]
    fn ids_come_from_file_names() {
        assert_eq!(
            id_from_path(Path::new("x/chi-bo.bank.md")).as_deref(),
            Some("chi-bo")
        );
        assert_eq!(id_from_path(Path::new("README.md")), None);
    }
}

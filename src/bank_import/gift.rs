//! Moodle's GIFT format (`.gift`, `.txt`): multiple choice (`=right
//! ~wrong`), multiple answers (`~%50%a ~%50%b ~%-100%c`), true/false
//! (`{T}`, `{FALSE}`), short answer (`{=a =b}`), `::titles::`, `//`
//! comments, `#feedback` (dropped) and `\` escapes. Other GIFT question
//! kinds (essay, matching, numerical) are reported, not guessed.

use serde_json::json;

use super::{ImportProblem, Imported};
use crate::bank::{self, Kind, Question};

/// Splits at unescaped `sep` characters.
fn split_unescaped(s: &str, seps: &[char]) -> Vec<(Option<char>, String)> {
    let mut out = vec![(None, String::new())];
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.last_mut().expect("one part").1.push(n);
            }
        } else if seps.contains(&c) {
            out.push((Some(c), String::new()));
        } else {
            out.last_mut().expect("one part").1.push(c);
        }
    }
    out
}

/// Position of the first unescaped `c` from byte `from`.
fn find_unescaped(s: &str, c: char, from: usize) -> Option<usize> {
    let mut escaped = false;
    for (i, ch) in s[from..].char_indices() {
        if escaped {
            escaped = false;
        } else if ch == '\\' {
            escaped = true;
        } else if ch == c {
            return Some(from + i);
        }
    }
    None
}

fn unescape(s: &str) -> String {
    let joined: String = split_unescaped(s, &[]).into_iter().map(|p| p.1).collect();
    let t = crate::text::collapse(&joined);
    // A format marker such as `[html]` or `[markdown]`.
    match t.strip_prefix('[').and_then(|r| r.split_once(']')) {
        Some((f, rest)) if ["html", "moodle", "plain", "markdown"].contains(&f) => {
            crate::text::collapse(rest)
        }
        _ => t,
    }
}

/// The questions of a GIFT file, each with the line it starts on.
fn chunks(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let l = line.trim().trim_start_matches('\u{feff}');
        if l.starts_with("//") || l.starts_with("$CATEGORY") {
            continue;
        }
        if l.is_empty() {
            // A blank line ends a question, unless its answers are still open.
            if let Some((_, s)) = &current
                && find_unescaped(s, '{', 0).is_some_and(|o| find_unescaped(s, '}', o).is_none())
            {
                continue;
            }
            out.extend(current.take());
            continue;
        }
        match &mut current {
            Some((_, s)) => {
                s.push('\n');
                s.push_str(l);
            }
            None => current = Some((i + 1, l.to_string())),
        }
    }
    out.extend(current);
    out
}

/// Reads a GIFT file into a bank.
pub fn import(id: &str, title: &str, text: &str) -> Result<Imported, Vec<ImportProblem>> {
    let mut problems = Vec::new();
    let mut questions = Vec::new();
    for (line, chunk) in chunks(text) {
        let at = |code: &'static str, params: serde_json::Value, msg: &str| ImportProblem {
            row: Some(line),
            ..ImportProblem::file(code, params, msg)
        };
        let mut body = chunk.as_str();
        if let Some(rest) = body.strip_prefix("::")
            && let Some(end) = rest.find("::")
        {
            body = &rest[end + 2..];
        }
        let Some(open) = find_unescaped(body, '{', 0) else {
            problems.push(at(
                "gift_no_answers",
                json!({}),
                "a question without its {answers}",
            ));
            continue;
        };
        let Some(close) = find_unescaped(body, '}', open) else {
            problems.push(at(
                "gift_no_answers",
                json!({}),
                "the answers' { is never closed by }",
            ));
            continue;
        };
        let text_before = unescape(&body[..open]);
        let text_after = unescape(&body[close + 1..]);
        let q = if text_after.is_empty() || text_after == "." {
            text_before.clone()
        } else {
            format!("{text_before} … {text_after}")
        };
        let inner = body[open + 1..close].trim();
        if q.is_empty() {
            problems.push(at("empty_question", json!({}), "a question without text"));
            continue;
        }
        if q.chars().count() > bank::MAX_QUESTION_CHARS {
            problems.push(at(
                "question_too_long",
                json!({"max": bank::MAX_QUESTION_CHARS}),
                "the question is too long",
            ));
            continue;
        }
        let (kind, options, correct, answers) = match inner.to_ascii_uppercase().as_str() {
            "T" | "TRUE" => (Kind::TrueFalse, vec![], vec![0], vec![]),
            "F" | "FALSE" => (Kind::TrueFalse, vec![], vec![1], vec![]),
            _ if inner.is_empty()
                || inner.starts_with('#')
                || find_unescaped(inner, '-', 0).is_some_and(|i| inner[i..].starts_with("->")) =>
            {
                problems.push(at(
                    "gift_unsupported",
                    json!({}),
                    "essay, numerical and matching questions are not supported",
                ));
                continue;
            }
            _ => {
                let parts: Vec<(char, String)> = split_unescaped(inner, &['=', '~'])
                    .into_iter()
                    .filter_map(|(m, s)| m.map(|m| (m, s)))
                    .collect();
                if parts.is_empty() {
                    problems.push(at(
                        "gift_no_answers",
                        json!({}),
                        "no answers: start each with = (right) or ~ (wrong)",
                    ));
                    continue;
                }
                // Drop the feedback after an unescaped '#'.
                let parts: Vec<(char, Option<f64>, String)> = parts
                    .into_iter()
                    .map(|(m, s)| {
                        let s = split_unescaped(&s.replace("\\#", "\u{0}"), &['#'])[0]
                            .1
                            .replace('\u{0}', "#");
                        let s = s.trim().to_string();
                        match s.strip_prefix('%').and_then(|r| r.split_once('%')) {
                            Some((w, rest)) => {
                                (m, w.trim().parse::<f64>().ok(), crate::text::collapse(rest))
                            }
                            None => (m, None, crate::text::collapse(&s)),
                        }
                    })
                    .collect();
                if parts.iter().all(|p| p.0 == '=') {
                    let answers: Vec<String> = parts
                        .into_iter()
                        .map(|p| p.2)
                        .filter(|a| !a.is_empty())
                        .collect();
                    (Kind::Typed, vec![], vec![], answers)
                } else {
                    let options: Vec<String> = parts.iter().map(|p| p.2.clone()).collect();
                    let correct: Vec<usize> = parts
                        .iter()
                        .enumerate()
                        .filter(|(_, p)| p.0 == '=' || p.1.is_some_and(|w| w > 0.0))
                        .map(|(i, _)| i)
                        .collect();
                    let weighted = parts.iter().any(|p| p.1.is_some());
                    let kind = if weighted || correct.len() > 1 {
                        Kind::Multiple
                    } else {
                        Kind::Single
                    };
                    (kind, options, correct, vec![])
                }
            }
        };
        let before = problems.len();
        match kind {
            Kind::Single | Kind::Multiple => {
                if !(bank::MIN_OPTIONS..=bank::MAX_OPTIONS).contains(&options.len()) {
                    problems.push(at("option_count", json!({"count": options.len(), "min": bank::MIN_OPTIONS, "max": bank::MAX_OPTIONS}), "a question needs 2 to 6 options"));
                }
                if correct.is_empty() {
                    problems.push(at(
                        "no_correct",
                        json!({"count": 0}),
                        "no answer is marked right (= or a positive %weight%)",
                    ));
                }
                let mut seen = std::collections::HashSet::new();
                for o in &options {
                    if o.is_empty() {
                        problems.push(at("empty_option", json!({}), "an empty answer"));
                    } else if o.chars().count() > bank::MAX_OPTION_CHARS {
                        problems.push(at(
                            "option_too_long",
                            json!({"max": bank::MAX_OPTION_CHARS}),
                            "an answer is too long",
                        ));
                    } else if !seen.insert(crate::text::fold(o)) {
                        problems.push(at(
                            "duplicate_option",
                            json!({}),
                            "two answers with the same text",
                        ));
                    }
                }
            }
            Kind::Typed if answers.is_empty() => {
                problems.push(at(
                    "typed_no_answer",
                    json!({}),
                    "a short-answer question without an accepted answer",
                ));
            }
            _ => {}
        }
        if problems.len() > before {
            continue;
        }
        questions.push(Question {
            text: q,
            kind,
            options: if kind == Kind::TrueFalse {
                bank::true_false_labels("vi")
                    .iter()
                    .map(|s| s.to_string())
                    .collect()
            } else {
                options
            },
            correct,
            answers,
            exact_diacritics: false,
            partial: false,
            time_limit_s: 20,
            reading_s: 0,
            points: 1000,
            explanation: String::new(),
            source: String::new(),
            source_url: String::new(),
        });
    }
    Imported::assemble(
        id,
        title,
        questions,
        problems,
        Vec::new(),
        "the file has no questions",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "// Ôn tập\n$CATEGORY: x\n\
::Họp::Chi bộ họp thường lệ bao lâu một lần? {\n  ~Mỗi tuần\n  =Mỗi tháng#Đúng, Điều 24\n  ~Mỗi quý\n}\n\n\
Những việc bỏ phiếu kín? {~%50%Bầu cử ~%50%Kỷ luật ~%-100%Chương trình}\n\n\
Đảng viên dự bị được biểu quyết. {F}\n\n\
Thời lượng tối thiểu (phút)\\: {=90 =90 phút}\n";

    #[test]
    fn every_supported_kind_reads() {
        let b = import("g", "G", FILE).unwrap().bank;
        let kinds: Vec<Kind> = b.questions.iter().map(|q| q.kind).collect();
        assert_eq!(
            kinds,
            [Kind::Single, Kind::Multiple, Kind::TrueFalse, Kind::Typed]
        );
        assert_eq!(b.questions[0].text, "Chi bộ họp thường lệ bao lâu một lần?");
        assert_eq!(b.questions[0].options[1], "Mỗi tháng");
        assert_eq!(b.questions[0].correct, [1]);
        assert_eq!(b.questions[1].correct, [0, 1]);
        assert_eq!(b.questions[2].correct, [1]);
        assert_eq!(b.questions[3].text, "Thời lượng tối thiểu (phút):");
        assert_eq!(b.questions[3].answers, ["90", "90 phút"]);
    }

    #[test]
    fn problems_name_the_line() {
        let e = import("g", "G", "// c\nQ1 {~a ~b}\n\nQ2 no answers\n\nQ3 {}\n").unwrap_err();
        let got: Vec<_> = e.iter().map(|p| (p.row, p.code)).collect();
        assert_eq!(
            got,
            [
                (Some(2), "no_correct"),
                (Some(4), "gift_no_answers"),
                (Some(6), "gift_unsupported")
            ]
        );
    }
}

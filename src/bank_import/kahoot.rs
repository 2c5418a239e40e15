//! Kahoot!'s quiz spreadsheet template (`.xlsx`), read with the hardened
//! reader of `crate::tabular`.
//!
//! The official template has a title block and instructions above the
//! header, which is on row 8; other copies have it on row 1. So the header
//! is the first row (within [`HEADER_SEARCH_ROWS`]) with a "Question" and an
//! "Answer 1" cell, and columns are matched by the start of their header
//! text ("Question - max 120 characters", or 95 in the older template;
//! "Time limit (sec) – 5, 10, 20, …" with an en-dash).

use serde_json::json;

use super::{ImportProblem, Imported};
use crate::bank::{self, Kind, Question};
use crate::tabular::{self, Cell, CellIssue, Row};

/// Time limits Kahoot! offers, in seconds.
pub const TIMES: [u32; 8] = [5, 10, 20, 30, 60, 90, 120, 240];
/// Rows searched for the header.
pub const HEADER_SEARCH_ROWS: usize = 20;
/// Most question rows read.
pub const MAX_ROWS: usize = bank::MAX_QUESTIONS + HEADER_SEARCH_ROWS;

/// Column indices of the template's header.
struct Columns {
    question: usize,
    answers: [Option<usize>; 4],
    time: Option<usize>,
    correct: usize,
    headers: Vec<String>,
}

fn text(cell: Option<&Cell>) -> String {
    match cell {
        Some(Ok(s)) => crate::text::collapse(s),
        _ => String::new(),
    }
}

/// Finds the header among the first rows: `None` when this is not a Kahoot!
/// template.
fn find_header(rows: &[Row]) -> Option<(usize, Columns)> {
    for (i, r) in rows.iter().take(HEADER_SEARCH_ROWS).enumerate() {
        let folded: Vec<String> = r
            .cells
            .iter()
            .map(|c| crate::text::fold(&text(Some(c))))
            .collect();
        let find = |prefix: &str| folded.iter().position(|h| h.starts_with(prefix));
        let (Some(question), Some(a1)) = (find("question"), find("answer 1")) else {
            continue;
        };
        let correct = find("correct answer")?;
        return Some((
            i,
            Columns {
                question,
                answers: [
                    Some(a1),
                    find("answer 2"),
                    find("answer 3"),
                    find("answer 4"),
                ],
                time: find("time limit"),
                correct,
                headers: r.cells.iter().map(|c| text(Some(c))).collect(),
            },
        ));
    }
    None
}

/// Whether the rows look like a Kahoot! template.
pub fn recognises(rows: &[Row]) -> bool {
    rows.iter().take(HEADER_SEARCH_ROWS).any(|r| {
        let f: Vec<String> = r
            .cells
            .iter()
            .map(|c| crate::text::fold(&text(Some(c))))
            .collect();
        f.iter().any(|h| h.starts_with("question")) && f.iter().any(|h| h.starts_with("answer 1"))
    })
}

/// The nearest of Kahoot!'s time limits (the shorter one on a tie).
pub fn nearest_time(s: u32) -> u32 {
    *TIMES
        .iter()
        .min_by_key(|&&t| (t.abs_diff(s), t))
        .expect("times")
}

/// Reads the rows of a Kahoot! template into a bank.
pub fn import(id: &str, title: &str, rows: &[Row]) -> Result<Imported, Vec<ImportProblem>> {
    let Some((h, cols)) = find_header(rows) else {
        return Err(vec![ImportProblem::file(
            "missing_column",
            json!({"accepted": ["Question", "Answer 1", "Correct answer(s)"]}),
            "no header row with \"Question\", \"Answer 1\" and \"Correct answer(s)\" was found",
        )]);
    };
    let header = |c: usize| {
        cols.headers
            .get(c)
            .cloned()
            .unwrap_or_else(|| tabular::column_name(c as u32))
    };
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut questions = Vec::new();
    let at =
        |row: usize, col: usize, code: &'static str, params: serde_json::Value, msg: String| {
            ImportProblem {
                row: Some(row),
                column: Some(header(col)),
                ..ImportProblem::file(code, params, msg)
            }
        };
    for r in &rows[h + 1..] {
        let n = r.row;
        // Date or error cells are reported, never read as numbers.
        for (c, cell) in r.cells.iter().enumerate() {
            match cell {
                Err(CellIssue::Date) => problems.push(at(
                    n,
                    c,
                    "date_cell",
                    json!({}),
                    "a date where text or a number is expected".into(),
                )),
                Err(CellIssue::Error(e)) => problems.push(at(
                    n,
                    c,
                    "error_cell",
                    json!({"value": e}),
                    format!("the cell holds the error {e}"),
                )),
                Ok(_) => {}
            }
        }
        let q = text(r.cells.get(cols.question));
        let answers: Vec<(usize, String)> = cols
            .answers
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.map(|c| (i + 1, text(r.cells.get(c)))))
            .filter(|(_, a)| !a.is_empty())
            .collect();
        let correct_cell = text(r.cells.get(cols.correct));
        if q.is_empty() && answers.is_empty() && correct_cell.is_empty() {
            continue;
        }
        let before = problems.len();
        if q.is_empty() {
            problems.push(at(
                n,
                cols.question,
                "empty_question",
                json!({}),
                "a row without its question".into(),
            ));
        } else if q.chars().count() > bank::MAX_QUESTION_CHARS {
            problems.push(at(
                n,
                cols.question,
                "question_too_long",
                json!({"max": bank::MAX_QUESTION_CHARS}),
                format!(
                    "the question is longer than {} characters",
                    bank::MAX_QUESTION_CHARS
                ),
            ));
        }
        if answers.len() < bank::MIN_OPTIONS {
            let col = cols.answers[answers.len().min(1)].unwrap_or(cols.question);
            problems.push(at(
                n,
                col,
                "option_count",
                json!({"count": answers.len(), "min": bank::MIN_OPTIONS, "max": 4}),
                "a question needs at least 2 answers".into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, a) in &answers {
            let col = cols.answers[i - 1].unwrap_or(cols.question);
            if a.chars().count() > bank::MAX_OPTION_CHARS {
                problems.push(at(
                    n,
                    col,
                    "option_too_long",
                    json!({"max": bank::MAX_OPTION_CHARS}),
                    format!(
                        "an answer longer than {} characters",
                        bank::MAX_OPTION_CHARS
                    ),
                ));
            }
            if !seen.insert(crate::text::fold(a)) {
                problems.push(at(
                    n,
                    col,
                    "duplicate_option",
                    json!({}),
                    "two answers with the same text".into(),
                ));
            }
        }
        let mut correct = Vec::new();
        if correct_cell.is_empty() {
            problems.push(at(
                n,
                cols.correct,
                "no_correct",
                json!({"count": 0}),
                "no correct answer: write its number (1 to 4), or several like 1,3".into(),
            ));
        }
        for part in correct_cell
            .split([',', ';', ' '])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let part = part.trim_end_matches(".0");
            match part.parse::<usize>() {
                Ok(k) => match answers.iter().position(|(i, _)| *i == k) {
                    Some(pos) if !correct.contains(&pos) => correct.push(pos),
                    Some(_) => {}
                    None => problems.push(at(
                        n,
                        cols.correct,
                        "correct_out_of_range",
                        json!({"value": k, "max": answers.last().map_or(0, |a| a.0)}),
                        format!("answer {k} is empty or does not exist"),
                    )),
                },
                Err(_) => problems.push(at(
                    n,
                    cols.correct,
                    "bad_correct",
                    json!({"value": part}),
                    format!("`{part}` is not an answer number (1 to 4)"),
                )),
            }
        }
        correct.sort_unstable();
        let mut time_limit_s = 20;
        if let Some(tc) = cols.time {
            let t = text(r.cells.get(tc));
            if !t.is_empty() {
                match t.trim_end_matches(".0").parse::<u32>() {
                    Ok(s) if TIMES.contains(&s) => time_limit_s = s,
                    Ok(s) => {
                        time_limit_s = nearest_time(s);
                        warnings.push(at(n, tc, "time_rounded", json!({"value": s, "rounded": time_limit_s, "accepted": TIMES}), format!("{s} s is not one of Kahoot!'s time limits; {time_limit_s} s is used")));
                    }
                    Err(_) => problems.push(at(
                        n,
                        tc,
                        "bad_time",
                        json!({"value": t, "accepted": TIMES}),
                        format!("`{t}` is not a time limit in seconds"),
                    )),
                }
            }
        }
        if problems.len() > before {
            continue;
        }
        questions.push(Question {
            text: q,
            kind: if correct.len() > 1 {
                Kind::Multiple
            } else {
                Kind::Single
            },
            options: answers.into_iter().map(|a| a.1).collect(),
            correct,
            answers: Vec::new(),
            exact_diacritics: false,
            partial: false,
            time_limit_s,
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
        warnings,
        "the sheet has no questions under its header",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_to_kahoots() {
        assert_eq!(nearest_time(25), 20);
        assert_eq!(nearest_time(45), 30);
        assert_eq!(nearest_time(46), 60);
        assert_eq!(nearest_time(1000), 240);
        assert_eq!(nearest_time(0), 5);
    }
}

//! Writes a bank in the canonical text format (`docs/BANKS.md`), so a bank
//! imported from a spreadsheet or GIFT can be downloaded as `.bank.md`, and
//! a bank opened in the console editor and saved unchanged comes back
//! byte-identical. `bank::parse` of the result gives the same bank back, and
//! the shipped banks are exactly this form (tested).
//!
//! The canonical form: the title, `language:`, `tags:` and `description:`
//! when set, then `time:`, `reading:` and `points:` defaults when the most
//! common value of the questions differs from the format's default. Each
//! question follows after a blank line: `## text`, `type:` (except for single
//! choice), the options or `answer:` lines, `scoring:`, `diacritics:`, then
//! `time:`, `reading:` and `points:` where they differ from the bank's
//! defaults, `explanation:` and `source:` (`LABEL <URL>`).

use std::fmt::Write as _;

use crate::bank::{Bank, Kind, Question};

/// The format's defaults when a bank sets none (`bank::parse`).
const DEFAULT_TIME: u32 = 20;
const DEFAULT_READING: u32 = 0;
const DEFAULT_POINTS: u32 = 1000;

/// The most common value (the smallest on a tie), or `fallback` for none.
fn most_common(values: impl Iterator<Item = u32>, fallback: u32) -> u32 {
    let mut counts: std::collections::BTreeMap<u32, usize> = Default::default();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    let mut best: Option<(u32, usize)> = None;
    for (v, n) in counts {
        if best.is_none_or(|(_, m)| n > m) {
            best = Some((v, n));
        }
    }
    best.map_or(fallback, |b| b.0)
}

/// A question's `source:` value: `LABEL <URL>`, `LABEL` or a bare `URL`.
pub fn source_value(q: &Question) -> String {
    match q.source_parts() {
        ("", "") => String::new(),
        ("", url) => url.to_string(),
        (label, "") => label.to_string(),
        (label, url) => format!("{label} <{url}>"),
    }
}

/// The bank as `.bank.md` text.
pub fn bank_md(b: &Bank) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {}", b.title);
    let _ = writeln!(s, "language: {}", b.language);
    if !b.tags.is_empty() {
        let _ = writeln!(s, "tags: {}", b.tags.join(", "));
    }
    if !b.description.is_empty() {
        let _ = writeln!(s, "description: {}", b.description);
    }
    let qs = &b.questions;
    let time = most_common(qs.iter().map(|q| q.time_limit_s), DEFAULT_TIME);
    let reading = most_common(qs.iter().map(|q| q.reading_s), DEFAULT_READING);
    let points = most_common(qs.iter().map(|q| q.points), DEFAULT_POINTS);
    if time != DEFAULT_TIME {
        let _ = writeln!(s, "time: {time}");
    }
    if reading != DEFAULT_READING {
        let _ = writeln!(s, "reading: {reading}");
    }
    if points != DEFAULT_POINTS {
        let _ = writeln!(s, "points: {points}");
    }
    let [yes, no] = if b.language.starts_with("vi") {
        ["đúng", "sai"]
    } else {
        ["true", "false"]
    };
    for q in qs {
        let _ = writeln!(s, "\n## {}", q.text);
        let name = match q.kind {
            Kind::Single => None,
            Kind::Multiple => Some("multiple"),
            Kind::TrueFalse => Some("truefalse"),
            Kind::Typed => Some("typed"),
            Kind::Poll => Some("poll"),
        };
        if let Some(name) = name {
            let _ = writeln!(s, "type: {name}");
        }
        match q.kind {
            Kind::TrueFalse => {
                let v = if q.correct.first() == Some(&0) {
                    yes
                } else {
                    no
                };
                let _ = writeln!(s, "answer: {v}");
            }
            Kind::Typed => {
                for a in &q.answers {
                    let _ = writeln!(s, "answer: {a}");
                }
            }
            _ => {
                for (i, o) in q.options.iter().enumerate() {
                    let mark = if q.correct.contains(&i) { "x" } else { " " };
                    let _ = writeln!(s, "- [{mark}] {o}");
                }
            }
        }
        if q.partial {
            let _ = writeln!(s, "scoring: partial");
        }
        if q.exact_diacritics {
            let _ = writeln!(s, "diacritics: exact");
        }
        if q.time_limit_s != time {
            let _ = writeln!(s, "time: {}", q.time_limit_s);
        }
        if q.reading_s != reading {
            let _ = writeln!(s, "reading: {}", q.reading_s);
        }
        if q.points != points {
            let _ = writeln!(s, "points: {}", q.points);
        }
        if !q.explanation.is_empty() {
            let _ = writeln!(s, "explanation: {}", q.explanation);
        }
        let source = source_value(q);
        if !source.is_empty() {
            let _ = writeln!(s, "source: {source}");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_and_imported_banks_come_back_the_same() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (banks, failures) =
            crate::bank::load_dirs(&[dir.join("question-banks"), dir.join("tests/banks")]);
        assert!(failures.is_empty() && banks.len() >= 3);
        let gift = "Q1? {=a ~b}\n\nQ2? {~%50%a ~%50%b ~c}\n\nQ3. {T}\n\nQ4? {=x =y}\n";
        let imported = super::super::gift::import("g", "G", gift).unwrap().bank;
        for b in banks.iter().chain([&imported]) {
            let text = bank_md(b);
            let back = crate::bank::parse(&b.id, &text);
            assert_eq!(back.bank.as_ref(), Some(b), "{}:\n{text}", b.id);
        }
    }

    /// Every shipped bank is exactly what the writer makes of it, so the
    /// console editor opens and saves one unchanged byte for byte.
    #[test]
    fn shipped_banks_are_in_canonical_form() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("question-banks");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let Some(id) = crate::bank::id_from_path(&path) else {
                continue;
            };
            let text = std::fs::read_to_string(&path).unwrap();
            let parsed = crate::bank::parse(&id, &text);
            assert!(parsed.problems.is_empty(), "{id}: {:?}", parsed.problems);
            let written = bank_md(parsed.bank.as_ref().unwrap());
            if written != text {
                let line = text
                    .lines()
                    .zip(written.lines())
                    .position(|(a, b)| a != b)
                    .map_or(text.lines().count().min(written.lines().count()), |i| i)
                    + 1;
                panic!(
                    "{id}.bank.md is not in canonical form from line {line}:\n  file:    {:?}\n  written: {:?}",
                    text.lines().nth(line - 1),
                    written.lines().nth(line - 1)
                );
            }
            seen += 1;
        }
        assert!(seen >= 2, "the shipped banks: {seen}");
    }

    #[test]
    fn header_defaults_are_the_most_common_values() {
        let src = "# T\nlanguage: en\n\n## A\n- [x] a\n- [ ] b\ntime: 30\n\n## B\n- [x] a\n- [ ] b\ntime: 30\n\n## C\ntype: truefalse\nanswer: false\ntime: 60\npoints: 0\n";
        let bank = crate::bank::parse("t", src).bank.unwrap();
        assert_eq!(
            bank_md(&bank),
            "# T\nlanguage: en\ntime: 30\n\n## A\n- [x] a\n- [ ] b\n\n## B\n- [x] a\n- [ ] b\n\n## C\ntype: truefalse\nanswer: false\ntime: 60\npoints: 0\n"
        );
    }

    #[test]
    fn sources_are_written_as_label_and_address() {
        let src = "# T\n\n## A\n- [x] a\n- [ ] b\nsource: Điều lệ Đảng, Điều 9 <https://a.vn/x?y=1>\n\n## B\n- [x] a\n- [ ] b\nsource: https://b.vn/\n\n## C\n- [x] a\n- [ ] b\nsource: Hướng dẫn 12-HD/BTCTW (2018)\n\n## D\ntype: truefalse\nanswer: đúng\nsource: <https://c.vn>\n";
        let bank = crate::bank::parse("t", src).bank.unwrap();
        let text = bank_md(&bank);
        assert!(
            text.contains("source: Điều lệ Đảng, Điều 9 <https://a.vn/x?y=1>\n"),
            "{text}"
        );
        assert!(text.contains("source: https://b.vn/\n"), "{text}");
        assert!(
            text.contains("source: Hướng dẫn 12-HD/BTCTW (2018)\n"),
            "{text}"
        );
        assert!(
            text.contains("answer: đúng\nsource: https://c.vn\n"),
            "{text}"
        );
        assert_eq!(crate::bank::parse("t", &text).bank.as_ref(), Some(&bank));
        // A question stored before labels existed: the address stays an address.
        let mut old = bank.questions[1].clone();
        old.source = "https://b.vn/".into();
        old.source_url.clear();
        assert_eq!(source_value(&old), "https://b.vn/");
    }
}

//! Writes a bank in the canonical text format (`docs/BANKS.md`), so a bank
//! imported from a spreadsheet or GIFT can be downloaded as `.bank.md`.
//! `bank::parse` of the result gives the same bank back.

use std::fmt::Write as _;

use crate::bank::{Bank, Kind};

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
    for q in &b.questions {
        let _ = writeln!(s, "\n## {}", q.text);
        let inferred = match q.kind {
            Kind::Single => true,
            Kind::Multiple => q.correct.len() > 1,
            _ => false,
        };
        if !inferred {
            let name = match q.kind {
                Kind::Single => "single",
                Kind::Multiple => "multiple",
                Kind::TrueFalse => "truefalse",
                Kind::Typed => "typed",
                Kind::Poll => "poll",
            };
            let _ = writeln!(s, "type: {name}");
        }
        match q.kind {
            Kind::TrueFalse => {
                let v = q.correct.first() == Some(&0);
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
        let _ = writeln!(s, "time: {}", q.time_limit_s);
        if q.reading_s != 0 {
            let _ = writeln!(s, "reading: {}", q.reading_s);
        }
        if q.points != 1000 {
            let _ = writeln!(s, "points: {}", q.points);
        }
        if !q.explanation.is_empty() {
            let _ = writeln!(s, "explanation: {}", q.explanation);
        }
        if !q.source.is_empty() {
            let _ = writeln!(s, "source: {}", q.source);
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
}

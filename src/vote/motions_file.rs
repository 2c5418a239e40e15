//! The motions file: a meeting's motions drafted ahead, in the same
//! Markdown-like style as question banks (`docs/MOTIONS.md`).
//!
//! ```text
//! ## Thông qua Nghị quyết chi bộ tháng 11
//! template: resolution
//!
//! ## Kỷ luật đồng chí X bằng hình thức khiển trách
//! template: discipline
//! quorum: 2/3
//! ```

use super::decision::Threshold;
use super::{Ballot, MotionSpec, Template, base_from_name, parse_fraction};

/// A problem, with its line and what to do.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

const KEYS: &str =
    "template, ballot, options, poll, base, threshold, quorum, live, changes, voters";

fn template(s: &str) -> Option<Template> {
    Some(match crate::text::fold(s).as_str() {
        "resolution" | "nghi quyet" => Template::Resolution,
        "admission" | "ket nap" => Template::Admission,
        "discipline" | "ky luat" => Template::Discipline,
        "expulsion" | "khai tru" => Template::Expulsion,
        "election" | "bau cu" => Template::Election,
        _ => return None,
    })
}

fn yes_no(s: &str) -> Option<bool> {
    match crate::text::fold(s).as_str() {
        "yes" | "true" | "co" => Some(true),
        "no" | "false" | "khong" => Some(false),
        _ => None,
    }
}

fn threshold(s: &str) -> Option<Threshold> {
    let f = crate::text::fold(s);
    match f.as_str() {
        "more than half" | "half" | "tren mot nua" => return Some(Threshold::MoreThanHalf),
        "at least two thirds" | "two thirds" | "2/3" | "it nhat hai phan ba" => {
            return Some(Threshold::AtLeastTwoThirds);
        }
        _ => {}
    }
    if let Some(x) = f.strip_prefix("more than ") {
        return parse_fraction(x).map(Threshold::MoreThan);
    }
    if let Some(x) = f.strip_prefix("at least ") {
        return parse_fraction(x).map(Threshold::AtLeast);
    }
    None
}

/// One motion being read: its settings are applied over its template at the end.
struct Draft {
    line: usize,
    text: String,
    template: Option<Template>,
    settings: Vec<(usize, String, String)>,
}

/// Parses a motions file into validated specs, or every problem found.
pub fn parse(source: &str) -> Result<Vec<MotionSpec>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut drafts: Vec<Draft> = Vec::new();
    let mut in_text = false;
    for (i, raw) in source.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim().trim_start_matches('\u{feff}');
        if line.is_empty() {
            in_text = false;
            continue;
        }
        if line.starts_with("# ") || (line.starts_with("<!--") && line.ends_with("-->")) {
            continue;
        }
        if let Some(t) = line.strip_prefix("## ") {
            drafts.push(Draft {
                line: n,
                text: crate::text::collapse(t),
                template: None,
                settings: Vec::new(),
            });
            in_text = true;
            continue;
        }
        let Some(d) = drafts.last_mut() else {
            problems.push(Problem {
                line: n,
                message: "text before the first motion; start each motion with `## ` and its text"
                    .into(),
            });
            continue;
        };
        match crate::bank::split_key(line) {
            Some((key, value)) if key == "template" => {
                in_text = false;
                match template(value) {
                    Some(t) => d.template = Some(t),
                    None => problems.push(Problem {
                        line: n,
                        message: format!(
                            "unknown template `{value}`; use resolution, admission, discipline, expulsion or election"
                        ),
                    }),
                }
            }
            Some((key, value)) => {
                in_text = false;
                d.settings.push((n, key, value.to_string()));
            }
            None if in_text => {
                d.text.push(' ');
                d.text.push_str(&crate::text::collapse(line));
            }
            None => problems.push(Problem {
                line: n,
                message: format!("`{line}` is not a setting; write `key: value` ({KEYS})"),
            }),
        }
    }
    if drafts.is_empty() && problems.is_empty() {
        problems.push(Problem {
            line: 1,
            message: "no motions; start each motion with `## ` and its text".into(),
        });
    }
    let mut specs = Vec::new();
    for d in drafts {
        let mut s = MotionSpec::from_template(d.template.unwrap_or(Template::Resolution), &d.text);
        let mut bad = |line: usize, message: String| problems.push(Problem { line, message });
        for (line, key, value) in d.settings {
            let ok = match key.as_str() {
                "ballot" => match crate::text::fold(&value).as_str() {
                    "open" | "cong khai" | "gio tay" => {
                        s.ballot = Ballot::Open;
                        true
                    }
                    "secret" | "kin" | "phieu kin" => {
                        s.ballot = Ballot::Secret;
                        s.live_tally = false;
                        true
                    }
                    _ => false,
                },
                "options" => {
                    s.options = value.split('|').map(crate::text::collapse).collect();
                    if s.options.len() != 3 {
                        s.abstain = None;
                    }
                    true
                }
                "poll" => yes_no(&value).map(|v| s.decide = !v).is_some(),
                "base" => base_from_name(&value).map(|b| s.rule.base = b).is_some(),
                "threshold" => threshold(&value).map(|t| s.rule.threshold = t).is_some(),
                "quorum" => match crate::text::fold(&value).as_str() {
                    "none" | "no" | "khong" => {
                        s.rule.quorum = None;
                        true
                    }
                    v => parse_fraction(v).map(|q| s.rule.quorum = Some(q)).is_some(),
                },
                "live" => yes_no(&value).map(|v| s.live_tally = v).is_some(),
                "changes" => yes_no(&value).map(|v| s.changes_allowed = v).is_some(),
                "voters" => yes_no(&value).map(|v| s.show_voters = v).is_some(),
                _ => {
                    bad(line, format!("unknown setting `{key}`; use one of: {KEYS}"));
                    continue;
                }
            };
            if !ok {
                bad(
                    line,
                    format!("`{key}: {value}` is not understood; see docs/MOTIONS.md"),
                );
            }
        }
        match s.validate() {
            Ok(s) => specs.push(s),
            Err(m) => problems.push(Problem {
                line: d.line,
                message: m,
            }),
        }
    }
    if problems.is_empty() {
        Ok(specs)
    } else {
        problems.sort_by_key(|p| p.line);
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vote::decision::{Base, Fraction};

    #[test]
    fn reads_templates_and_settings() {
        let src = "# Tháng 11\n\n## Thông qua Nghị quyết\nchi bộ tháng 11\n\n## Kỷ luật đồng chí X\ntemplate: discipline\nquorum: 2/3\n\n## Chọn ngày\npoll: yes\noptions: Thứ Ba | Thứ Năm\n\n## Kết nạp\ntemplate: kết nạp\nbase: votes cast\nthreshold: at least 3/4\nchanges: yes\n";
        let specs = parse(src).unwrap();
        assert_eq!(specs.len(), 4);
        assert_eq!(specs[0].text, "Thông qua Nghị quyết chi bộ tháng 11");
        assert_eq!(specs[0].ballot, Ballot::Open);
        assert_eq!(
            (specs[1].ballot, specs[1].rule.quorum),
            (Ballot::Secret, Some(Fraction::new(2, 3)))
        );
        assert!(!specs[2].decide);
        assert_eq!(specs[2].options, vec!["Thứ Ba", "Thứ Năm"]);
        assert_eq!(specs[3].rule.base, Base::VotesCast);
        assert_eq!(
            specs[3].rule.threshold,
            Threshold::AtLeast(Fraction::new(3, 4))
        );
        assert!(specs[3].changes_allowed);
    }

    #[test]
    fn names_every_problem_with_its_line() {
        let src = "stray\n## A\ntemplate: vote\n## B\nballot: hidden\nfoo: 1\n## C\ntemplate: expulsion\nchanges: yes\n";
        let problems = parse(src).unwrap_err();
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![1, 3, 5, 6, 7]);
        assert!(problems[1].message.contains("unknown template"));
        assert!(problems[3].message.contains("unknown setting `foo`"));
        assert!(problems[4].message.contains("cannot be changed"));
        assert!(parse("").unwrap_err()[0].message.contains("no motions"));
    }
}

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

use super::decision::{Base, Threshold};
use super::{Ballot, MotionSpec, Template, base_from_name, parse_fraction};

/// A problem, with its line and what to do. `message` is English; other
/// languages word it from `code` and `params` (the values it quotes).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub line: usize,
    pub code: ProblemCode,
    /// Absent when the message quotes nothing.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub params: serde_json::Map<String, serde_json::Value>,
    pub message: String,
}

/// What is wrong, as a stable snake_case code; its parameters are listed
/// per code (`accepted` is a list of strings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    /// A line before the first `## `.
    TextBeforeMotion,
    /// `value`, `accepted` (the English template names).
    UnknownTemplate,
    /// A line that is neither text nor `key: value`: `value` (the line),
    /// `accepted` (the setting keys).
    NotASetting,
    /// `key`, `accepted` (the setting keys).
    UnknownSetting,
    /// A known setting with a value it does not take: `key`, `value`.
    BadValue,
    /// The file holds no motion.
    NoMotions,
    /// The file is over `max` bytes.
    FileTooBig,
    /// More than `max` motions in one file.
    TooManyMotions,
    /// The motion's settings do not fit together: `message` (English, from
    /// the motion validator), on the motion's `## ` line.
    InvalidMotion,
}

impl Problem {
    fn new(line: usize, code: ProblemCode, message: impl Into<String>) -> Self {
        Problem {
            line,
            code,
            params: serde_json::Map::new(),
            message: message.into(),
        }
    }

    /// Adds a parameter the message uses.
    fn with(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.params.insert(key.to_string(), value.into());
        self
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// The setting keys, in the order messages list them.
const KEY_LIST: [&str; 13] = [
    "template",
    "candidates",
    "seats",
    "penalties",
    "ballot",
    "options",
    "poll",
    "base",
    "threshold",
    "quorum",
    "live",
    "changes",
    "voters",
];
const TEMPLATES: [&str; 6] = [
    "resolution",
    "admission",
    "discipline",
    "expulsion",
    "election",
    "recognition",
];

fn template(s: &str) -> Option<Template> {
    Some(match crate::text::fold(s).as_str() {
        "resolution" | "nghi quyet" => Template::Resolution,
        "admission" | "ket nap" => Template::Admission,
        "discipline" | "ky luat" => Template::Discipline,
        "expulsion" | "khai tru" => Template::Expulsion,
        "election" | "bau cu" => Template::Election,
        "recognition" | "cong nhan" | "cong nhan dang vien chinh thuc" => Template::Recognition,
        _ => return None,
    })
}

/// A setting written with its Vietnamese name ("hình thức biểu quyết: bỏ
/// phiếu kín"), ignoring case and diacritics, as the English key it means.
fn vietnamese_key(line: &str) -> Option<(String, &str)> {
    let (k, v) = line.split_once(':')?;
    if k.chars().count() > 40 {
        return None;
    }
    let key = match crate::text::fold(k).as_str() {
        "mau" | "mau bieu quyet" | "loai noi dung" => "template",
        "ung cu vien" | "danh sach ung cu" | "danh sach bau cu" => "candidates",
        "so can bau" | "so nguoi can bau" | "so luong can bau" => "seats",
        "hinh thuc ky luat" => "penalties",
        "hinh thuc bieu quyet" | "cach bieu quyet" | "hinh thuc" => "ballot",
        "lua chon" | "phuong an" => "options",
        "tham do" | "tham do y kien" => "poll",
        "co so" | "co so tinh" | "tinh tren" => "base",
        "ty le" | "ti le" | "ty le thong qua" | "ti le thong qua" | "nguong" => "threshold",
        "so co mat toi thieu" | "so dang vien co mat theo quy dinh" | "tuc so" => "quorum",
        "hien so phieu" | "hien ket qua truc tiep" => "live",
        "cho doi lua chon" | "doi lua chon" => "changes",
        "hien nguoi bieu quyet" | "hien ten nguoi bieu quyet" => "voters",
        _ => return None,
    };
    Some((key.to_string(), v.trim()))
}

/// `base_from_name`, also in Vietnamese.
fn base(s: &str) -> Option<Base> {
    base_from_name(s).or(match crate::text::fold(s).as_str() {
        "trieu tap" | "so trieu tap" | "duoc trieu tap" | "tong so duoc trieu tap" => {
            Some(Base::Convened)
        }
        "co mat" | "so co mat" => Some(Base::Present),
        "so phieu" | "phieu bau" | "so phieu bau" => Some(Base::VotesCast),
        _ => None,
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
        "more than half" | "half" | "tren mot nua" | "qua nua" | "qua mot nua" | "hon mot nua" => {
            return Some(Threshold::MoreThanHalf);
        }
        "at least two thirds"
        | "two thirds"
        | "2/3"
        | "it nhat hai phan ba"
        | "hai phan ba"
        | "it nhat 2/3"
        | "tu hai phan ba tro len"
        | "tu 2/3 tro len" => {
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

/// Largest motions file: a meeting's agenda is a few kilobytes.
pub const MAX_FILE_BYTES: usize = 256 * 1024;
/// Most motions in one file.
pub const MAX_MOTIONS: usize = 200;
/// Problems reported at most: enough to fix a file, bounded for the reply.
pub const MAX_PROBLEMS: usize = 100;

/// Parses a motions file into validated specs, or every problem found
/// (at most [`MAX_PROBLEMS`]).
pub fn parse(source: &str) -> Result<Vec<MotionSpec>, Vec<Problem>> {
    if source.len() > MAX_FILE_BYTES {
        return Err(vec![
            Problem::new(
                1,
                ProblemCode::FileTooBig,
                format!(
                    "the file is over {MAX_FILE_BYTES} bytes; a motions file is a few kilobytes"
                ),
            )
            .with("max", MAX_FILE_BYTES),
        ]);
    }
    parse_all(source).map_err(|mut problems| {
        problems.truncate(MAX_PROBLEMS);
        problems
    })
}

/// Quotes a line of the file in a parameter, shortened.
fn quote(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() > MAX {
        format!("{}…", s.chars().take(MAX).collect::<String>())
    } else {
        s.to_string()
    }
}

fn parse_all(source: &str) -> Result<Vec<MotionSpec>, Vec<Problem>> {
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
            if drafts.len() == MAX_MOTIONS {
                problems.push(
                    Problem::new(
                        n,
                        ProblemCode::TooManyMotions,
                        format!("more than {MAX_MOTIONS} motions; split the file"),
                    )
                    .with("max", MAX_MOTIONS),
                );
                break;
            }
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
            problems.push(Problem::new(
                n,
                ProblemCode::TextBeforeMotion,
                "text before the first motion; start each motion with `## ` and its text",
            ));
            continue;
        };
        match vietnamese_key(line).or_else(|| crate::bank::split_key(line)) {
            Some((key, value)) if key == "template" => {
                in_text = false;
                match template(value) {
                    Some(t) => d.template = Some(t),
                    None => problems.push(
                        Problem::new(
                            n,
                            ProblemCode::UnknownTemplate,
                            format!(
                                "unknown template `{}`; use resolution, admission, discipline, expulsion, election or recognition",
                                quote(value)
                            ),
                        )
                        .with("value", quote(value))
                        .with("accepted", &TEMPLATES[..]),
                    ),
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
            None => problems.push(
                Problem::new(
                    n,
                    ProblemCode::NotASetting,
                    format!(
                        "`{}` is not a setting; write `key: value` ({})",
                        quote(line),
                        KEY_LIST.join(", ")
                    ),
                )
                .with("value", quote(line))
                .with("accepted", &KEY_LIST[..]),
            ),
        }
    }
    if drafts.is_empty() && problems.is_empty() {
        problems.push(Problem::new(
            1,
            ProblemCode::NoMotions,
            "no motions; start each motion with `## ` and its text",
        ));
    }
    let mut specs = Vec::new();
    for d in drafts {
        let mut s = MotionSpec::from_template(d.template.unwrap_or(Template::Resolution), &d.text);
        let mut bad = |p: Problem| problems.push(p);
        for (line, key, value) in d.settings {
            let ok = match key.as_str() {
                "ballot" => match crate::text::fold(&value).as_str() {
                    "open"
                    | "cong khai"
                    | "gio tay"
                    | "bieu quyet gio tay"
                    | "bieu quyet cong khai" => {
                        s.ballot = Ballot::Open;
                        true
                    }
                    "secret" | "kin" | "phieu kin" | "bo phieu kin" | "bieu quyet kin" => {
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
                "candidates" => {
                    s.options = value.split('|').map(crate::text::collapse).collect();
                    true
                }
                "seats" => value.trim().parse().map(|n| s.seats = n).is_ok(),
                "penalties" => {
                    s.set_penalties(value.split('|').map(crate::text::collapse).collect());
                    true
                }
                "poll" => yes_no(&value).map(|v| s.decide = !v).is_some(),
                "base" => base(&value).map(|b| s.rule.base = b).is_some(),
                "threshold" => threshold(&value).map(|t| s.rule.threshold = t).is_some(),
                "quorum" => match crate::text::fold(&value).as_str() {
                    "none" | "no" | "khong" => {
                        s.rule.quorum = None;
                        true
                    }
                    v => {
                        // "more than 1/2" / "hơn 1/2": a strict quorum.
                        let (strict, v) = match v
                            .strip_prefix("more than ")
                            .or_else(|| v.strip_prefix("hon "))
                        {
                            Some(rest) => (true, rest),
                            None => (false, v.strip_prefix("at least ").unwrap_or(v)),
                        };
                        parse_fraction(v)
                            .map(|q| {
                                s.rule.quorum = Some(q);
                                s.rule.quorum_strict = strict;
                            })
                            .is_some()
                    }
                },
                "live" => yes_no(&value).map(|v| s.live_tally = v).is_some(),
                "changes" => yes_no(&value).map(|v| s.changes_allowed = v).is_some(),
                "voters" => yes_no(&value).map(|v| s.show_voters = v).is_some(),
                _ => {
                    bad(Problem::new(
                        line,
                        ProblemCode::UnknownSetting,
                        format!(
                            "unknown setting `{}`; use one of: {}",
                            quote(&key),
                            KEY_LIST.join(", ")
                        ),
                    )
                    .with("key", quote(&key))
                    .with("accepted", &KEY_LIST[..]));
                    continue;
                }
            };
            if !ok {
                bad(Problem::new(
                    line,
                    ProblemCode::BadValue,
                    format!(
                        "`{}: {}` is not understood; check the accepted values of this setting",
                        quote(&key),
                        quote(&value)
                    ),
                )
                .with("key", quote(&key))
                .with("value", quote(&value)));
            }
        }
        match s.validate() {
            Ok(s) => specs.push(s),
            Err(p) => {
                let mut problem =
                    Problem::new(d.line, ProblemCode::InvalidMotion, p.message.clone())
                        .with("message", p.message)
                        .with("problem", p.code);
                if let Some(o) = p.params.as_object() {
                    for (k, v) in o {
                        problem = problem.with(k, v.clone());
                    }
                }
                problems.push(problem)
            }
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
    use crate::vote::decision::Fraction;

    #[test]
    fn reads_elections_discipline_and_strict_quorums() {
        let src = "## Bầu Chi ủy\ntemplate: bầu cử\nseats: 2\ncandidates: An | Bình | Cường\n\n## Kỷ luật\ntemplate: discipline\npenalties: Cảnh cáo | Khiển trách\n\n## Công nhận\ntemplate: công nhận\nquorum: hơn 1/2\n";
        let specs = parse(src).unwrap();
        assert_eq!(
            (specs[0].kind, specs[0].seats, specs[0].options.len()),
            (super::super::MotionKind::Election, 2, 3)
        );
        assert_eq!(
            specs[1].options,
            vec!["Cảnh cáo", "Khiển trách", super::super::NO_PENALTY]
        );
        assert_eq!(specs[2].template, Some(Template::Recognition));
        assert!(specs[2].rule.quorum_strict);
        let bad = parse("## Bầu\ntemplate: election\nseats: 3\ncandidates: An | Bình\n\n## Kỷ luật\ntemplate: discipline\nballot: open\n").unwrap_err();
        assert_eq!(bad[0].params["problem"], "too_few_candidates");
        assert_eq!((bad[0].params["seats"].as_u64(), bad[0].line), (Some(3), 1));
        assert_eq!(bad[1].params["problem"], "secret_required");
    }

    /// Issue 14 item 5: the file as a cell writes it, keys and values in
    /// Vietnamese (RULES.md:29 two thirds, RULES.md:19 more than half,
    /// RULES.md:40 secret ballot).
    #[test]
    fn reads_vietnamese_keys_and_values() {
        let src = "## Kết nạp đồng chí An\nMẫu: kết nạp\nTỷ lệ thông qua: hai phần ba\nHình thức biểu quyết: bỏ phiếu kín\n\n## Nghị quyết\nTỉ lệ: quá nửa\nCơ sở tính: được triệu tập\nHình thức: biểu quyết giơ tay\nLựa chọn: Đồng ý | Không đồng ý\n";
        let specs = parse(src).unwrap();
        assert_eq!(specs[0].template, Some(Template::Admission));
        assert_eq!(specs[0].rule.threshold, Threshold::AtLeastTwoThirds);
        assert_eq!(specs[0].ballot, Ballot::Secret);
        assert_eq!(specs[1].rule.threshold, Threshold::MoreThanHalf);
        assert_eq!(specs[1].rule.base, Base::Convened);
        assert_eq!(specs[1].ballot, Ballot::Open);
        assert_eq!(specs[1].options, vec!["Đồng ý", "Không đồng ý"]);
        let bad = parse("## X\nTỷ lệ: nhiều\n").unwrap_err();
        assert_eq!(bad[0].code, ProblemCode::BadValue);
        assert!(!bad[0].message.contains("docs/"), "{}", bad[0].message);
    }

    #[test]
    fn limits_are_errors_naming_them() {
        let big = "## x\n".repeat(MAX_FILE_BYTES / 5 + 1);
        let p = parse(&big).unwrap_err();
        assert_eq!(p[0].code, ProblemCode::FileTooBig);
        assert_eq!(p[0].params["max"], MAX_FILE_BYTES);
        let many = "## Motion\n".repeat(MAX_MOTIONS + 1);
        let p = parse(&many).unwrap_err();
        assert_eq!(p[0].code, ProblemCode::TooManyMotions);
        assert_eq!(p[0].line, MAX_MOTIONS + 1);
        // Thousands of bad lines: at most MAX_PROBLEMS, each quote short.
        let bad = format!("## M\n{}", format!("{}\n\n", "y".repeat(200)).repeat(1000));
        let p = parse(&bad).unwrap_err();
        assert_eq!(p.len(), MAX_PROBLEMS);
        assert!(p[0].params["value"].as_str().unwrap().chars().count() <= 81);
    }

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

    #[test]
    fn problems_have_codes_and_params() {
        let src = "stray\n## A\ntemplate: vote\nnot a setting\n## B\nballot: hidden\nfoo: 1\n\
                   ## C\ntemplate: expulsion\nchanges: yes\n";
        let problems = parse(src).unwrap_err();
        let codes: Vec<(usize, ProblemCode)> = problems.iter().map(|p| (p.line, p.code)).collect();
        assert_eq!(
            codes,
            vec![
                (1, ProblemCode::TextBeforeMotion),
                (3, ProblemCode::UnknownTemplate),
                (4, ProblemCode::NotASetting),
                (6, ProblemCode::BadValue),
                (7, ProblemCode::UnknownSetting),
                (8, ProblemCode::InvalidMotion),
            ]
        );
        assert!(problems[0].params.is_empty());
        assert_eq!(problems[1].params["value"], "vote");
        assert_eq!(problems[1].params["accepted"][4], "election");
        assert_eq!(problems[2].params["value"], "not a setting");
        assert_eq!(problems[2].params["accepted"].as_array().unwrap().len(), 13);
        assert_eq!(
            (&problems[3].params["key"], &problems[3].params["value"]),
            (&"ballot".into(), &"hidden".into())
        );
        assert_eq!(problems[4].params["key"], "foo");
        // The validator's own message travels as a parameter.
        assert_eq!(problems[5].params["message"], problems[5].message.as_str());
        assert!(problems[5].message.contains("cannot be changed"));

        let json = serde_json::to_value(&problems[3]).unwrap();
        assert_eq!(json["code"], "bad_value");
        assert_eq!(json["params"]["key"], "ballot");
        let json = serde_json::to_value(&parse("").unwrap_err()[0]).unwrap();
        assert_eq!(json["code"], "no_motions");
        assert!(json.get("params").is_none(), "{json}");
    }
}

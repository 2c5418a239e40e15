//! Which questions of its bank a meeting asks (`POST /api/meetings`): all,
//! a hand-picked list or N at random, in the bank's order or shuffled, with
//! options shuffled or not, and one time limit for all or the bank's own.
//!
//! The meeting's copy of the questions is made once, when it is created
//! ([`materialise`]), and stored with it, so a replay after a restart asks
//! exactly the same questions in the same order; the choice is stored too
//! ([`Choice`]) and shown to the host.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::bank::{self, Bank, Kind};

/// Which questions: `"all"`, `{"pick": [indices]}` or `{"random": N}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Selection {
    #[default]
    All,
    /// 0-based indices into the bank, asked in this order.
    Pick(Vec<usize>),
    /// N questions drawn at random, asked in the bank's order (unless
    /// shuffled).
    Random(usize),
}

/// What the organiser chose, as sent, and the bank questions it gave.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub questions: Selection,
    pub shuffle_questions: bool,
    pub shuffle_options: bool,
    /// One time limit (seconds) for every question; `None`: the bank's.
    pub time: Option<u32>,
    /// Questions in the bank when the meeting was created.
    #[serde(default)]
    pub bank_questions: usize,
    /// The bank's indices (0-based) of the meeting's questions, in the
    /// order they are asked.
    #[serde(default)]
    pub asked: Vec<usize>,
}

/// A choice the server refuses: a stable code and its params, worded by
/// the console (`web/i18n.js`, `err.<code>`).
#[derive(Clone, Debug, PartialEq)]
pub struct Refused {
    pub code: &'static str,
    pub params: Value,
    pub message: String,
}

fn refused(code: &'static str, params: Value, message: impl Into<String>) -> Refused {
    Refused {
        code,
        params,
        message: message.into(),
    }
}

/// The keys of `POST /api/meetings`. (`wording` belongs to the meeting's
/// wording setting.)
pub const KEYS: &[&str] = &[
    "title",
    "bank",
    "questions",
    "shuffle_questions",
    "shuffle_options",
    "time",
    "wording",
];

/// Reads the choice from the request body (an object), checking its shape;
/// its indices and counts are checked against the bank by [`check`].
pub fn from_request(body: &serde_json::Map<String, Value>) -> Result<Choice, Refused> {
    if let Some(k) = body.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(refused(
            "unknown_field",
            json!({"value": crate::text::for_log(k), "accepted": KEYS.join(", ")}),
            format!(
                "unknown field \"{}\"; use: {}",
                crate::text::for_log(k),
                KEYS.join(", ")
            ),
        ));
    }
    let flag = |key: &'static str| match body.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(refused(
            "bad_field",
            json!({"field": key}),
            format!("\"{key}\" is true or false"),
        )),
    };
    let bad_questions = || {
        refused(
            "bad_questions",
            json!({}),
            "\"questions\" is \"all\", {\"pick\": [0-based indices]} or {\"random\": N}",
        )
    };
    let index = |v: &Value| v.as_u64().and_then(|n| usize::try_from(n).ok());
    let questions = match body.get("questions") {
        None | Some(Value::Null) => Selection::All,
        Some(Value::String(s)) if s == "all" => Selection::All,
        Some(Value::Object(m)) if m.len() == 1 => match m.iter().next() {
            Some((k, Value::Array(a))) if k == "pick" => Selection::Pick(
                a.iter()
                    .map(index)
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(bad_questions)?,
            ),
            Some((k, v)) if k == "random" => Selection::Random(index(v).ok_or_else(|| {
                refused(
                    "random_out_of_range",
                    json!({"value": v.to_string(), "min": 1}),
                    "\"random\" is a number of questions, at least 1",
                )
            })?),
            _ => return Err(bad_questions()),
        },
        Some(_) => return Err(bad_questions()),
    };
    let time = match body.get("time") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(n) if (u64::from(bank::MIN_TIME_S)..=u64::from(bank::MAX_TIME_S)).contains(&n) => {
                Some(n as u32)
            }
            _ => {
                return Err(refused(
                    "time_out_of_range",
                    json!({"value": v.to_string(), "min": bank::MIN_TIME_S, "max": bank::MAX_TIME_S}),
                    format!(
                        "\"time\" is null (the bank's times) or whole seconds from {} to {}",
                        bank::MIN_TIME_S,
                        bank::MAX_TIME_S
                    ),
                ));
            }
        },
    };
    Ok(Choice {
        questions,
        shuffle_questions: flag("shuffle_questions")?,
        shuffle_options: flag("shuffle_options")?,
        time,
        bank_questions: 0,
        asked: Vec::new(),
    })
}

/// Checks the choice against a bank of `count` questions.
pub fn check(choice: &Choice, count: usize) -> Result<(), Refused> {
    match &choice.questions {
        Selection::All => Ok(()),
        Selection::Pick(list) => {
            if list.is_empty() {
                return Err(refused(
                    "pick_empty",
                    json!({}),
                    "pick at least one question",
                ));
            }
            if let Some(&i) = list.iter().find(|&&i| i >= count) {
                return Err(refused(
                    "pick_out_of_range",
                    json!({"value": i, "count": count}),
                    format!(
                        "question index {i} is not in the bank: indices are 0-based, 0 to {}",
                        count.saturating_sub(1)
                    ),
                ));
            }
            let mut seen = std::collections::HashSet::new();
            if let Some(&i) = list.iter().find(|&&i| !seen.insert(i)) {
                return Err(refused(
                    "pick_duplicate",
                    json!({"value": i}),
                    format!("question index {i} is picked twice"),
                ));
            }
            Ok(())
        }
        Selection::Random(n) => {
            if *n == 0 || *n > count {
                Err(refused(
                    "random_out_of_range",
                    json!({"value": n, "min": 1, "max": count}),
                    format!("ask from 1 to {count} random questions: the bank has {count}"),
                ))
            } else {
                Ok(())
            }
        }
    }
}

/// A small, seeded generator (SplitMix64): the meeting's copy is stored,
/// so it need not be reproducible from the seed, only well spread.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`), without modulo bias.
    fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let v = self.next();
            if v < zone {
                return (v % n) as usize;
            }
        }
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

/// The meeting's copy of the bank: the chosen questions (pick or random),
/// shuffled, their options shuffled (the correct indices follow), with the
/// time override; and the choice with what it gave. The choice must have
/// passed [`check`]. `seed` is fresh randomness.
pub fn materialise(bank: &Bank, choice: &Choice, seed: u64) -> (Bank, Choice) {
    let mut rng = Rng(seed);
    let count = bank.questions.len();
    let mut asked: Vec<usize> = match &choice.questions {
        Selection::All => (0..count).collect(),
        Selection::Pick(list) => list.clone(),
        Selection::Random(n) => {
            let mut all: Vec<usize> = (0..count).collect();
            rng.shuffle(&mut all);
            let mut some = all[..(*n).min(count)].to_vec();
            some.sort_unstable();
            some
        }
    };
    if choice.shuffle_questions {
        rng.shuffle(&mut asked);
    }
    let questions = asked
        .iter()
        .map(|&i| {
            let mut q = bank.questions[i].clone();
            // True/false keeps "Đúng, Sai"; typed questions have no options.
            if choice.shuffle_options
                && matches!(q.kind, Kind::Single | Kind::Multiple | Kind::Poll)
            {
                let mut order: Vec<usize> = (0..q.options.len()).collect();
                rng.shuffle(&mut order);
                let options = order.iter().map(|&o| q.options[o].clone()).collect();
                let mut correct: Vec<usize> = order
                    .iter()
                    .enumerate()
                    .filter(|(_, o)| q.correct.contains(o))
                    .map(|(new, _)| new)
                    .collect();
                correct.sort_unstable();
                q.options = options;
                q.correct = correct;
            }
            if let Some(t) = choice.time {
                q.time_limit_s = t;
            }
            q
        })
        .collect();
    let copy = Bank {
        questions,
        ..bank.clone()
    };
    let record = Choice {
        bank_questions: count,
        asked,
        ..choice.clone()
    };
    (copy, record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: Value) -> serde_json::Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn bank(n: usize) -> Bank {
        let mut text = String::from("# T\n");
        for i in 0..n {
            text.push_str(&format!(
                "\n## Q{i}?\n- [x] right {i}\n- [ ] wrong a\n- [ ] wrong b\n- [ ] wrong c\nexplanation: e\n"
            ));
        }
        bank::parse("t", &text).bank.unwrap()
    }

    #[test]
    fn the_request_shape_is_checked() {
        let ok = from_request(&body(json!({"title": "x", "bank": "b"}))).unwrap();
        assert_eq!(ok, Choice::default());
        let c = from_request(&body(json!({"bank": "b", "questions": {"pick": [2, 0]},
            "shuffle_options": true, "time": 45})))
        .unwrap();
        assert_eq!(c.questions, Selection::Pick(vec![2, 0]));
        assert!(c.shuffle_options && !c.shuffle_questions);
        assert_eq!(c.time, Some(45));
        for (v, code) in [
            (json!({"bank": "b", "colour": 1}), "unknown_field"),
            (json!({"bank": "b", "questions": "some"}), "bad_questions"),
            (
                json!({"bank": "b", "questions": {"pick": [-1]}}),
                "bad_questions",
            ),
            (
                json!({"bank": "b", "questions": {"pick": [1], "random": 2}}),
                "bad_questions",
            ),
            (
                json!({"bank": "b", "questions": {"random": -3}}),
                "random_out_of_range",
            ),
            (json!({"bank": "b", "time": 4}), "time_out_of_range"),
            (json!({"bank": "b", "time": 601}), "time_out_of_range"),
            (json!({"bank": "b", "time": "30"}), "time_out_of_range"),
            (json!({"bank": "b", "shuffle_options": "yes"}), "bad_field"),
        ] {
            assert_eq!(
                from_request(&body(v.clone())).unwrap_err().code,
                code,
                "{v}"
            );
        }
    }

    #[test]
    fn indices_and_counts_are_checked_against_the_bank() {
        let with = |s: Selection| Choice {
            questions: s,
            ..Choice::default()
        };
        assert!(check(&with(Selection::All), 3).is_ok());
        assert!(check(&with(Selection::Pick(vec![2, 0])), 3).is_ok());
        assert!(check(&with(Selection::Random(3)), 3).is_ok());
        for (s, code) in [
            (Selection::Pick(vec![]), "pick_empty"),
            (Selection::Pick(vec![3]), "pick_out_of_range"),
            (Selection::Pick(vec![1, 1]), "pick_duplicate"),
            (Selection::Random(0), "random_out_of_range"),
            (Selection::Random(4), "random_out_of_range"),
        ] {
            assert_eq!(check(&with(s.clone()), 3).unwrap_err().code, code, "{s:?}");
        }
    }

    #[test]
    fn the_copy_is_picked_shuffled_and_timed_with_answers_kept() {
        let b = bank(10);
        let choice = Choice {
            questions: Selection::Random(5),
            shuffle_questions: true,
            shuffle_options: true,
            time: Some(45),
            ..Choice::default()
        };
        let mut orders = std::collections::HashSet::new();
        for seed in 0..20 {
            let (copy, record) = materialise(&b, &choice, seed);
            assert_eq!(copy.questions.len(), 5);
            assert_eq!(record.asked.len(), 5);
            assert_eq!(record.bank_questions, 10);
            for (q, &i) in copy.questions.iter().zip(&record.asked) {
                assert_eq!(q.text, format!("Q{i}?"));
                assert_eq!(q.time_limit_s, 45);
                assert_eq!(q.correct.len(), 1);
                assert_eq!(q.options[q.correct[0]], format!("right {i}"));
            }
            orders.insert(
                copy.questions
                    .iter()
                    .map(|q| q.options.clone())
                    .collect::<Vec<_>>(),
            );
        }
        assert!(orders.len() > 10, "shuffled differently by seed");

        let (copy, record) = materialise(
            &b,
            &Choice {
                questions: Selection::Pick(vec![7, 2]),
                ..Choice::default()
            },
            1,
        );
        assert_eq!(record.asked, [7, 2]);
        assert_eq!(copy.questions[0], b.questions[7]);
        assert_eq!(copy.questions[1], b.questions[2]);
        let (all, _) = materialise(&b, &Choice::default(), 1);
        assert_eq!(all, b);
    }
}

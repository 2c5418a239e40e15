//! Question banks uploaded by the organiser: `POST /api/banks`.

use crate::pg::Db;
use serde_json::Value;

use crate::support::{Client, SECRET, TestServer};

const GOOD: &str = "# Ôn tập tháng 11\nlanguage: vi\n\n\
## Chi bộ họp thường lệ bao lâu một lần?\n- [ ] Mỗi tuần\n- [x] Mỗi tháng\n\
explanation: Điều lệ Đảng, Điều 24.\n\n\
## Đảng viên dự bị có quyền biểu quyết.\ntype: truefalse\nanswer: sai\n";

async fn upload(
    server: &TestServer,
    filename: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let r = server
        .http
        .post(server.url(&format!("/api/banks?filename={}", encode(filename))))
        .bearer_auth(SECRET)
        .body(body)
        .send()
        .await
        .expect("POST /api/banks");
    let status = r.status().as_u16();
    (status, r.json().await.expect("a JSON reply"))
}

/// Percent-encodes a query value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The first state a projector gets of a meeting.
async fn projector_state(server: &TestServer, pin: &str) -> Value {
    let mut c = Client::connect(server).await;
    c.hello("screen", pin, serde_json::json!({}))
        .await
        .expect("screen joins");
    c.wait_type("state").await
}

async fn list(server: &TestServer) -> Vec<Value> {
    server
        .http
        .get(server.url("/api/banks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn listed(server: &TestServer, id: &str) -> Option<Value> {
    list(server).await.into_iter().find(|b| b["id"] == id)
}

#[tokio::test]
async fn an_uploaded_bank_is_listed_used_and_survives_a_restart() {
    uploaded_bank_survives(Db::Sqlite).await;
}

#[tokio::test]
async fn on_postgres_an_uploaded_bank_is_listed_used_and_survives_a_restart() {
    uploaded_bank_survives(Db::Postgres).await;
}

async fn uploaded_bank_survives(store: Db) {
    let server = TestServer::start_on(store).await;
    // No secret: refused before the body is read.
    let r = server
        .http
        .post(server.url("/api/banks?filename=x.bank.md"))
        .body(GOOD)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(listed(&server, "x").await.is_none());

    let (status, body) = upload(&server, "Ôn tập 11.bank.md", GOOD).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["id"], "on-tap-11");
    assert_eq!(body["title"], "Ôn tập tháng 11");
    assert_eq!(body["questions"], 2);
    let warnings = body["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{body}");
    assert_eq!(warnings[0]["code"], "no_explanation");
    assert_eq!(warnings[0]["row"], 9);

    // Downloaded (host only) in the canonical text format, as uploaded.
    let get = |path: &str, secret: &'static str| {
        server.http.get(server.url(path)).bearer_auth(secret).send()
    };
    assert_eq!(
        get("/api/banks/on-tap-11.bank.md", "wrong")
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        get("/api/banks/nope.bank.md", SECRET)
            .await
            .unwrap()
            .status(),
        404
    );
    let text = get("/api/banks/on-tap-11.bank.md", SECRET)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.starts_with("# Ôn tập tháng 11\n"), "{text}");
    assert!(
        text.contains("- [x] Mỗi tháng\n") && text.contains("answer: sai\n"),
        "{text}"
    );

    let b = listed(&server, "on-tap-11").await.expect("listed");
    assert_eq!(b["origin"], "uploaded");
    assert_eq!(b["questions"], 2);
    assert_eq!(
        listed(&server, "chi-bo").await.unwrap()["origin"],
        "shipped"
    );
    assert_eq!(
        listed(&server, "alltypes").await.unwrap()["origin"],
        "folder"
    );
    let pin = server.create_meeting("on-tap-11").await;

    let server = server.restart().await;
    let b = listed(&server, "on-tap-11")
        .await
        .expect("still listed after a restart");
    assert_eq!(b["title"], "Ôn tập tháng 11");
    let st = projector_state(&server, &pin).await;
    assert_eq!(st["question_count"], 2, "{st}");
    server.create_meeting("on-tap-11").await;
}

#[tokio::test]
async fn a_new_upload_replaces_the_bank_but_not_meetings_made_from_it() {
    new_upload_replaces(Db::Sqlite).await;
}

#[tokio::test]
async fn on_postgres_a_new_upload_replaces_the_bank_but_not_meetings_made_from_it() {
    new_upload_replaces(Db::Postgres).await;
}

async fn new_upload_replaces(store: Db) {
    let server = TestServer::start_on(store).await;
    assert_eq!(upload(&server, "thang.bank.md", GOOD).await.0, 201);
    let pin = server.create_meeting("thang").await;

    let one = "# Bản mới\n## Một câu thôi?\n- [x] Có\n- [ ] Không\nexplanation: e\n";
    let (status, body) = upload(&server, "thang.bank.md", one).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["warnings"].as_array().unwrap().len(), 0);
    let b = listed(&server, "thang").await.unwrap();
    assert_eq!(
        (b["title"].as_str(), b["questions"].as_u64()),
        (Some("Bản mới"), Some(1))
    );
    assert_eq!(
        list(&server)
            .await
            .iter()
            .filter(|b| b["id"] == "thang")
            .count(),
        1
    );

    // The meeting created before keeps its own copy of the questions.
    let st = projector_state(&server, &pin).await;
    assert_eq!(st["bank_title"], "Ôn tập tháng 11");
    assert_eq!(st["question_count"], 2);
    // A new meeting gets the new bank.
    let pin2 = server.create_meeting("thang").await;
    assert_eq!(projector_state(&server, &pin2).await["question_count"], 1);

    // Deleted: gone from the list, for good; the meetings keep their copy.
    let delete = |id: &str, secret: &str| {
        server
            .http
            .delete(server.url(&format!("/api/banks/{id}")))
            .bearer_auth(secret)
            .send()
    };
    assert_eq!(delete("thang", "wrong").await.unwrap().status(), 401);
    assert_eq!(delete("chi-bo", SECRET).await.unwrap().status(), 404);
    assert_eq!(delete("thang", SECRET).await.unwrap().status(), 204);
    assert!(listed(&server, "thang").await.is_none());
    assert_eq!(delete("thang", SECRET).await.unwrap().status(), 404);
    assert_eq!(projector_state(&server, &pin).await["question_count"], 2);
    let server = server.restart().await;
    assert!(listed(&server, "thang").await.is_none());
    assert_eq!(projector_state(&server, &pin2).await["question_count"], 1);
}

#[tokio::test]
async fn a_moodle_gift_file_imports_and_its_problems_name_the_line() {
    let server = TestServer::start().await;
    let gift = "// Ôn tập tháng 11\n::Họp::Chi bộ họp thường lệ bao lâu một lần? {\n~Mỗi tuần\n=Mỗi tháng\n~Mỗi quý\n}\n\n\
        Việc nào bỏ phiếu kín? {~%50%Bầu cử ~%50%Kỷ luật ~%-100%Chương trình}\n\n\
        Đảng viên dự bị được biểu quyết. {FALSE}\n\nSố phút tối thiểu? {=90 =90 phút}\n";
    let (status, body) = upload(&server, "on-tap.gift", gift).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        (body["id"].as_str(), body["questions"].as_u64()),
        (Some("on-tap"), Some(4))
    );
    let pin = server.create_meeting("on-tap").await;
    assert_eq!(projector_state(&server, &pin).await["question_count"], 4);

    let (status, body) = upload(&server, "bad.txt", "Q1 {~a ~b}\n\nQ2 {}\n").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["problems"][0]["code"], "no_correct");
    assert_eq!(body["problems"][1]["row"], 3);
    assert!(listed(&server, "bad").await.is_none());
}

#[tokio::test]
async fn a_broken_bank_is_refused_with_every_problem_and_nothing_is_stored() {
    let server = TestServer::start().await;
    let broken =
        "# T\n## Không có đáp án đúng\n- [ ] a\n- [ ] b\n## Q2\ntype: truefalse\nanswer: có lẽ\n";
    let (status, body) = upload(&server, "broken.bank.md", broken).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "invalid_bank");
    let problems = body["problems"].as_array().unwrap();
    let codes: Vec<_> = problems
        .iter()
        .map(|p| (p["code"].as_str().unwrap(), p["row"].as_u64().unwrap()))
        .collect();
    assert_eq!(codes, [("no_correct", 2), ("truefalse_bad_answer", 7)]);
    assert_eq!(problems[1]["params"]["value"], "có lẽ");
    assert!(problems[0]["message"].is_string());
    assert!(listed(&server, "broken").await.is_none());

    // Not a bank at all, not text, a renamed workbook.
    for (name, bytes) in [
        ("notes.doc", b"just some words".to_vec()),
        ("x.bank.md", vec![0xff, 0xfe, 0x00, 0x41]),
        ("x.pdf", b"%PDF-1.7".to_vec()),
    ] {
        let (status, body) = upload(&server, name, bytes).await;
        assert_eq!(status, 422, "{name}: {body}");
        let code = body["problems"][0]["code"].as_str().unwrap();
        assert!(
            ["unknown_format", "not_utf8"].contains(&code),
            "{name}: {code}"
        );
    }
    let (status, body) = upload(&server, "..", GOOD).await;
    assert_eq!(
        (status, body["problems"][0]["code"].as_str()),
        (422, Some("bad_filename"))
    );

    // Too big: refused by size, saying the limit.
    let big = vec![b'#'; handsup::bank_import::MAX_BANK_UPLOAD + 1];
    let (status, body) = upload(&server, "big.bank.md", big).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["params"]["max"], handsup::bank_import::MAX_BANK_UPLOAD);
    let ids: Vec<_> = list(&server)
        .await
        .iter()
        .map(|b| b["id"].clone())
        .collect();
    assert!(
        !ids.iter()
            .any(|i| ["broken", "notes", "x", "big"].contains(&i.as_str().unwrap()))
    );
}

/// A workbook laid out like Kahoot!'s official quiz template: title block
/// and instructions above the header on `header_row` (0-based; 7 is row 8),
/// an en-dash in the time header, question numbers in column A. `old`: the
/// older 95/60-character headers.
fn kahoot_template(rows: &[KahootRow], header_row: u32, old: bool) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    if header_row > 0 {
        let intro = [
            "Quiz template",
            "Add questions, at least two answer alternatives, time limit and choose correct answers (at least one). Have fun creating your awesome quiz!",
            "Remember: questions have a limit of 120 characters and answers can have 75 characters max. If several answers are correct, separate them with a comma.",
            "See an example question below (don't forget to overwrite this with your first question!)",
        ];
        for (i, t) in intro.iter().enumerate() {
            ws.write_string(i as u32, 0, *t).unwrap();
        }
    }
    let (q, a) = if old { (95, 60) } else { (120, 75) };
    let headers = [
        format!("Question - max {q} characters"),
        format!("Answer 1 - max {a} characters"),
        format!("Answer 2 - max {a} characters"),
        format!("Answer 3 - max {a} characters"),
        format!("Answer 4 - max {a} characters"),
        "Time limit (sec) \u{2013} 5, 10, 20, 30, 60, 90, 120, or 240 secs".to_string(),
        "Correct answer(s) - choose at least one".to_string(),
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(header_row, c as u16 + 1, h).unwrap();
    }
    for (i, (question, answers, time, correct)) in rows.iter().enumerate() {
        let row = header_row + 1 + i as u32;
        ws.write_number(row, 0, (i + 1) as f64).unwrap();
        ws.write_string(row, 1, *question).unwrap();
        for (c, text) in answers.iter().enumerate() {
            if !text.is_empty() {
                ws.write_string(row, c as u16 + 2, *text).unwrap();
            }
        }
        // Times and single answer numbers are numbers, as Excel stores them.
        match time.parse::<f64>() {
            Ok(n) => ws.write_number(row, 6, n).map(|_| ()).unwrap(),
            Err(_) if !time.is_empty() => ws.write_string(row, 6, *time).map(|_| ()).unwrap(),
            Err(_) => {}
        }
        match correct.parse::<f64>() {
            Ok(n) => ws.write_number(row, 7, n).map(|_| ()).unwrap(),
            Err(_) if !correct.is_empty() => ws.write_string(row, 7, *correct).map(|_| ()).unwrap(),
            Err(_) => {}
        }
    }
    wb.save_to_buffer().unwrap()
}

/// Question, answers 1–3 (4 left empty), time limit, correct answer(s).
type KahootRow = (&'static str, [&'static str; 3], &'static str, &'static str);

#[tokio::test]
async fn a_kahoot_template_imports_with_the_header_on_row_8() {
    let server = TestServer::start().await;
    let rows = [
        (
            "Chi bộ họp thường lệ bao lâu một lần?",
            ["Mỗi tuần", "Mỗi tháng", "Mỗi quý"],
            "30",
            "2",
        ),
        (
            "Việc nào bỏ phiếu kín?",
            ["Bầu cử", "Thông qua chương trình", "Kỷ luật"],
            "25",
            "1,3",
        ),
    ];
    let (status, body) = upload(
        &server,
        "Kahoot quiz.xlsx",
        kahoot_template(&rows, 7, false),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["id"], "kahoot-quiz");
    assert_eq!(body["title"], "Kahoot quiz");
    assert_eq!(body["questions"], 2);
    let w = &body["warnings"][0];
    assert_eq!(
        (w["code"].as_str(), w["row"].as_u64()),
        (Some("time_rounded"), Some(10)),
        "{body}"
    );
    assert_eq!(
        (
            w["params"]["value"].as_u64(),
            w["params"]["rounded"].as_u64()
        ),
        (Some(25), Some(20))
    );
    assert!(w["column"].as_str().unwrap().starts_with("Time limit"));

    // The meeting asks them as written: single choice, answer 2, 30 s.
    let pin = server.create_meeting("kahoot-quiz").await;
    assert_eq!(projector_state(&server, &pin).await["question_count"], 2);
    let mut host = Client::host(&server, &pin).await;
    host.command(serde_json::json!({"type": "start"}))
        .await
        .expect("start");
    let q = host.wait_phase("question").await;
    assert_eq!(q["question"]["kind"], "single", "{q}");
    assert_eq!(q["question"]["time_limit_ms"], 30_000, "{q}");
    assert_eq!(q["answer_key"]["correct"], serde_json::json!([1]), "{q}");
}

#[tokio::test]
async fn the_older_kahoot_template_with_its_header_on_row_1_imports() {
    let server = TestServer::start().await;
    let rows = [("Đúng hay sai: 2 + 2 = 4", ["Đúng", "Sai", ""], "", "1")];
    let (status, body) = upload(&server, "old.xlsx", kahoot_template(&rows, 0, true)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["questions"], 1);
    assert_eq!(body["warnings"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_broken_kahoot_template_names_each_row_and_column() {
    let server = TestServer::start().await;
    let rows = [
        ("Không có đáp án đúng", ["a", "b", ""], "20", ""),
        ("Đáp án ngoài phạm vi", ["a", "b", ""], "20", "3"),
        ("Thời gian lạ", ["a", "b", ""], "nhanh", "1"),
        ("Một đáp án", ["a", "", ""], "20", "1"),
    ];
    let (status, body) = upload(&server, "broken.xlsx", kahoot_template(&rows, 7, false)).await;
    assert_eq!(status, 422, "{body}");
    let got: Vec<_> = body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["row"].as_u64().unwrap(), p["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            (9, "no_correct"),
            (10, "correct_out_of_range"),
            (11, "bad_time"),
            (12, "option_count")
        ],
        "{body}"
    );
    assert!(
        body["problems"][0]["column"]
            .as_str()
            .unwrap()
            .starts_with("Correct answer")
    );
    assert_eq!(body["problems"][0]["sheet"], "Sheet1", "{body}");
    assert!(listed(&server, "broken").await.is_none());

    // A text file renamed .xlsx, a workbook that is not a quiz, a fake ZIP.
    let (status, body) = upload(&server, "renamed.xlsx", "Question,Answer 1\n").await;
    assert_eq!(
        (status, body["problems"][0]["code"].as_str()),
        (422, Some("unknown_format"))
    );
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet().write_string(0, 0, "Họ và tên").unwrap();
    let (status, body) = upload(&server, "roster.xlsx", wb.save_to_buffer().unwrap()).await;
    assert_eq!(
        (status, body["problems"][0]["code"].as_str()),
        (422, Some("unknown_format"))
    );
    let (status, body) = upload(&server, "junk.xlsx", b"PK\x03\x04 not a zip".to_vec()).await;
    assert_eq!(
        (status, body["problems"][0]["code"].as_str()),
        (422, Some("not_xlsx"))
    );
}

#[tokio::test]
async fn the_excel_template_downloads_and_uploads_back_with_every_type() {
    let server = TestServer::start().await;
    let r = server
        .http
        .get(server.url("/api/banks/template.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let file = r.bytes().await.unwrap().to_vec();
    let rows = handsup::tabular::read_xlsx(&file, &handsup::tabular::Limits::new(100)).unwrap();
    assert_eq!(rows[0].cells[0], Ok("Câu hỏi".to_string()));
    assert_eq!(
        rows[0].cells.len(),
        handsup::bank_import::excel::HEADERS.len()
    );

    // The template as downloaded is a bank of its five examples.
    let (status, body) = upload(&server, "Mẫu.xlsx", file).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["id"], "mau");
    assert_eq!(body["questions"], 5);
    assert_eq!(body["warnings"].as_array().unwrap().len(), 0, "{body}");
    let pin = server.create_meeting("mau").await;
    let mut host = Client::host(&server, &pin).await;
    host.command(serde_json::json!({"type": "start"}))
        .await
        .expect("start");
    let q = host.wait_phase("question").await;
    assert_eq!(q["question"]["kind"], "single");
    assert_eq!(q["question"]["time_limit_ms"], 30_000);
    // The example's source: a label, then its address in angle brackets.
    assert_eq!(q["answer_key"]["source"], "Điều lệ Đảng (2011), Điều 24");
    assert!(
        q["answer_key"]["source_url"]
            .as_str()
            .unwrap()
            .starts_with("https://web.archive.org/"),
        "{q}"
    );

    // Filled in by an organiser, with mistakes: every one by row and column.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in handsup::bank_import::excel::HEADERS.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let rows: [[&str; 12]; 5] = [
        [
            "Câu đúng",
            "",
            "a",
            "b",
            "",
            "",
            "",
            "",
            "2",
            "20",
            "vì",
            "",
        ],
        [
            "Câu không đáp án",
            "một đáp án",
            "a",
            "b",
            "",
            "",
            "",
            "",
            "",
            "",
            "vì",
            "",
        ],
        [
            "Đúng sai lạ",
            "đúng sai",
            "",
            "",
            "",
            "",
            "",
            "",
            "có lẽ",
            "",
            "vì",
            "",
        ],
        [
            "Loại lạ",
            "bình chọn",
            "a",
            "b",
            "",
            "",
            "",
            "",
            "1",
            "",
            "",
            "",
        ],
        [
            "Nguồn lạ",
            "",
            "a",
            "b",
            "",
            "",
            "",
            "",
            "1",
            "",
            "vì",
            "Điều lệ <javascript:alert(1)>",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32 + 1, c as u16, *v).unwrap();
            }
        }
    }
    let (status, body) = upload(&server, "filled.xlsx", wb.save_to_buffer().unwrap()).await;
    assert_eq!(status, 422, "{body}");
    let got: Vec<_> = body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["row"].as_u64().unwrap(),
                p["column"].as_str().unwrap(),
                p["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (3, "Đáp án đúng", "no_correct"),
            (4, "Đáp án đúng", "truefalse_bad_answer"),
            (5, "Loại", "unknown_type"),
            (6, "Nguồn", "source_bad_url"),
        ]
    );
    assert!(listed(&server, "filled").await.is_none());
}

/// Every problem code the server sends for a bank is worded in both
/// languages of `web/i18n-banks.js` (and nothing there is stale).
#[test]
fn every_bank_problem_code_is_worded_in_both_languages() {
    let root = env!("CARGO_MANIFEST_DIR");
    let read = |p: &str| std::fs::read_to_string(format!("{root}/{p}")).unwrap();
    let mut codes = std::collections::BTreeSet::new();
    for file in [
        "src/bank.rs",
        "src/bank_import/mod.rs",
        "src/bank_import/kahoot.rs",
        "src/bank_import/excel.rs",
        "src/bank_import/editor.rs",
    ] {
        let src = read(file);
        let src = src.split("#[cfg(test)]\nmod tests").next().unwrap();
        // Codes are the snake_case string literals passed as problem codes:
        // `"code",` on a line of its own, or `at(…, "code", json!…`,
        // `file("code", …` and `("code", json!…)`.
        for line in src.lines() {
            let l = line.trim();
            // String literals, less the keys of `json!` parameters (`"max":`).
            let pieces: Vec<&str> = l.split('"').collect();
            let candidates: Vec<&str> = (1..pieces.len())
                .step_by(2)
                .filter(|&i| !pieces.get(i + 1).is_some_and(|p| p.starts_with(':')))
                .map(|i| pieces[i])
                .collect();
            let is_code_line = l.starts_with('"') && l.ends_with("\",")
                || l.contains("=> \"") && l.ends_with("\",")
                || l.contains("json!(")
                || l.contains("ImportProblem::file(");
            if !is_code_line {
                continue;
            }
            for c in candidates {
                if !c.is_empty()
                    && c.len() > 3
                    && c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_')
                    && c.contains('_')
                {
                    codes.insert(c.to_string());
                }
            }
        }
    }
    // The reply's own error code, not a problem's.
    codes.remove("invalid_bank");
    assert!(codes.len() > 40, "{codes:?}");
    let catalogue = read("web/i18n-banks.js");
    let (vi, en) = catalogue.split_once("export const en").unwrap();
    let keys = |s: &str| -> std::collections::BTreeSet<String> {
        s.lines()
            .filter_map(|l| l.trim().strip_prefix("'b.p."))
            .filter_map(|l| l.split_once('\'').map(|(k, _)| k.to_string()))
            .collect()
    };
    let (vi, en) = (keys(vi), keys(en));
    assert_eq!(vi, en, "both languages hold the same codes");
    let missing: Vec<_> = codes.iter().filter(|c| !vi.contains(*c)).collect();
    assert!(missing.is_empty(), "codes without words: {missing:?}");
    assert!(codes.contains("no_correct") && codes.contains("time_rounded"));
    assert!(codes.contains("source_unclosed") && codes.contains("source_bad_url"));
}

/// A request with the host secret (`secret`), its status and JSON reply.
async fn send_json(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    secret: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = server
        .http
        .request(method, server.url(path))
        .bearer_auth(secret);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.expect("request");
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn download_md(server: &TestServer, id: &str) -> String {
    server
        .http
        .get(server.url(&format!("/api/banks/{id}.bank.md")))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// A bank in the canonical form `GET /api/banks/{id}.bank.md` writes, with
/// every question type and field.
const CANONICAL: &str = "# Ôn tập quy định\nlanguage: vi\ntags: chi bộ, điều lệ\n\
description: Ôn tập trước buổi sinh hoạt.\n\n\
## Chi bộ họp thường lệ bao lâu một lần?\n- [ ] Mỗi tuần\n- [x] Mỗi tháng\n- [ ] Mỗi quý\ntime: 30\n\
explanation: Điều lệ Đảng, Điều 24.\nsource: Điều lệ Đảng (2011), Điều 24 <https://dangcongsan.vn/dieu-le>\n\n\
## Việc nào bỏ phiếu kín?\ntype: multiple\n- [x] Bầu cử\n- [x] Kỷ luật\n- [ ] Chương trình\nscoring: partial\ntime: 45\nreading: 3\npoints: 2000\n\
explanation: Điều 12.\n\n\
## Đảng viên dự bị được biểu quyết.\ntype: truefalse\nanswer: sai\nexplanation: Điều 3.\n\n\
## Thời lượng tối thiểu (phút)?\ntype: typed\nanswer: 90\nanswer: 90 phút\ndiacritics: exact\ntime: 60\nexplanation: HD 42.\n\n\
## Hình thức nào sinh động hơn?\ntype: poll\n- [ ] Trắc nghiệm\n- [ ] Thảo luận\n";

#[tokio::test]
async fn the_editor_opens_checks_and_saves_a_bank_byte_for_byte() {
    use reqwest::Method;
    let server = TestServer::start().await;
    let (status, body) = upload(&server, "quy-dinh.bank.md", CANONICAL).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(download_md(&server, "quy-dinh").await, CANONICAL);

    // The bank as the editor edits it (host only).
    let (status, _) = send_json(
        &server,
        Method::GET,
        "/api/banks/quy-dinh.json",
        "wrong",
        None,
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = send_json(&server, Method::GET, "/api/banks/nope.json", SECRET, None).await;
    assert_eq!(status, 404);
    let (status, bank) = send_json(
        &server,
        Method::GET,
        "/api/banks/quy-dinh.json",
        SECRET,
        None,
    )
    .await;
    assert_eq!(status, 200, "{bank}");
    assert_eq!(bank["origin"], "uploaded");
    assert_eq!(bank["editable"], true);
    assert_eq!(bank["tags"], serde_json::json!(["chi bộ", "điều lệ"]));
    let q = &bank["questions"];
    assert_eq!(
        q[0]["options"][1],
        serde_json::json!({"text": "Mỗi tháng", "correct": true})
    );
    // The source as the text format writes it: its label and its address.
    assert_eq!(
        q[0]["source"],
        "Điều lệ Đảng (2011), Điều 24 <https://dangcongsan.vn/dieu-le>"
    );
    assert_eq!(
        (
            q[1]["type"].as_str(),
            q[1]["scoring"].as_str(),
            q[1]["reading"].as_u64(),
            q[1]["points"].as_u64()
        ),
        (Some("multiple"), Some("partial"), Some(3), Some(2000))
    );
    assert_eq!(q[2]["type"], "truefalse");
    assert_eq!(
        q[2]["options"],
        serde_json::json!([{"text": "Đúng", "correct": false}, {"text": "Sai", "correct": true}])
    );
    assert_eq!(q[3]["answers"], serde_json::json!(["90", "90 phút"]));
    assert_eq!(q[3]["diacritics"], "exact");

    // Checked as the organiser types: nothing stored, every problem placed.
    let (status, checked) = send_json(
        &server,
        Method::POST,
        "/api/banks/check",
        SECRET,
        Some(bank.clone()),
    )
    .await;
    assert_eq!(status, 200, "{checked}");
    assert_eq!(checked["problems"], serde_json::json!([]));
    let mut broken = bank.clone();
    broken["questions"][0]["options"][1]["correct"] = false.into();
    broken["questions"][1]["time"] = 2.into();
    broken["questions"][3]["answers"] = serde_json::json!([]);
    let (status, checked) = send_json(
        &server,
        Method::POST,
        "/api/banks/check",
        SECRET,
        Some(broken.clone()),
    )
    .await;
    assert_eq!(status, 200, "{checked}");
    let placed: Vec<(Value, Value, Value)> = checked["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["question"].clone(), p["field"].clone(), p["code"].clone()))
        .collect();
    assert_eq!(
        placed,
        [
            (0.into(), "options".into(), "no_correct".into()),
            (1.into(), "time".into(), "bad_number".into()),
            (3.into(), "answers".into(), "typed_no_answer".into()),
        ]
    );
    assert_eq!(checked["problems"][1]["params"]["min"], 5);
    let (status, _) = send_json(
        &server,
        Method::POST,
        "/api/banks/check",
        "wrong",
        Some(bank.clone()),
    )
    .await;
    assert_eq!(status, 401);
    let (status, reply) = send_json(
        &server,
        Method::POST,
        "/api/banks/check",
        SECRET,
        Some("[]".into()),
    )
    .await;
    assert_eq!(status, 400, "{reply}");

    // A broken save stores nothing.
    let (status, reply) = send_json(
        &server,
        Method::PUT,
        "/api/banks/quy-dinh",
        SECRET,
        Some(broken),
    )
    .await;
    assert_eq!(status, 422, "{reply}");
    assert_eq!(reply["error"], "invalid_bank");
    assert_eq!(reply["problems"].as_array().unwrap().len(), 3);
    assert_eq!(download_md(&server, "quy-dinh").await, CANONICAL);

    // Saved unchanged: the same bytes back, after a restart too.
    let (status, reply) = send_json(
        &server,
        Method::PUT,
        "/api/banks/quy-dinh",
        SECRET,
        Some(bank.clone()),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["questions"], 5);
    assert_eq!(download_md(&server, "quy-dinh").await, CANONICAL);
    let server = server.restart().await;
    assert_eq!(download_md(&server, "quy-dinh").await, CANONICAL);

    // Saved under a new id: a new uploaded bank (201), an edit shows.
    let mut copy = bank.clone();
    copy["title"] = "Bản sao".into();
    copy["questions"][0]["text"] = "Chi bộ họp  bao lâu\nmột lần?".into();
    let (status, reply) = send_json(
        &server,
        Method::PUT,
        "/api/banks/ban-sao-2",
        SECRET,
        Some(copy),
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["id"], "ban-sao-2");
    assert_eq!(reply["warnings"], serde_json::json!([]));
    let b = listed(&server, "ban-sao-2").await.expect("listed");
    assert_eq!(
        (b["title"].as_str(), b["origin"].as_str()),
        (Some("Bản sao"), Some("uploaded"))
    );
    assert!(
        download_md(&server, "ban-sao-2")
            .await
            .contains("\n## Chi bộ họp bao lâu một lần?\n")
    );

    // Shipped and folder banks are read-only; ids follow the upload rules.
    let (status, shipped) =
        send_json(&server, Method::GET, "/api/banks/chi-bo.json", SECRET, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        (shipped["origin"].as_str(), shipped["editable"].as_bool()),
        (Some("shipped"), Some(false))
    );
    for id in ["chi-bo", "alltypes"] {
        let (status, reply) = send_json(
            &server,
            Method::PUT,
            &format!("/api/banks/{id}"),
            SECRET,
            Some(shipped.clone()),
        )
        .await;
        assert_eq!(
            (status, reply["error"].as_str()),
            (409, Some("bank_read_only")),
            "{id}: {reply}"
        );
    }
    assert_eq!(
        listed(&server, "chi-bo").await.unwrap()["origin"],
        "shipped"
    );
    for id in ["Ban-sao", "ban_sao", "-x", "x.bank.md", &"a".repeat(65)] {
        let (status, reply) = send_json(
            &server,
            Method::PUT,
            &format!("/api/banks/{id}"),
            SECRET,
            Some(bank.clone()),
        )
        .await;
        assert_eq!(status, 422, "{id}: {reply}");
        assert_eq!(reply["problems"][0]["code"], "bad_id", "{id}");
    }
    let (status, _) = send_json(
        &server,
        Method::PUT,
        "/api/banks/khac",
        "wrong",
        Some(bank.clone()),
    )
    .await;
    assert_eq!(status, 401);
    assert!(listed(&server, "khac").await.is_none());
}

#[tokio::test]
async fn editing_or_deleting_a_bank_never_changes_a_meeting_in_progress() {
    use reqwest::Method;
    use serde_json::json;
    let server = TestServer::start().await;
    assert_eq!(upload(&server, "dang-hop.bank.md", CANONICAL).await.0, 201);
    let pin = server.create_meeting("dang-hop").await;
    let mut host = Client::host(&server, &pin).await;
    let mut lan = Client::member(&server, &pin, "Lan").await;
    host.command(json!({"type": "start"})).await.expect("start");
    lan.wait_phase("question").await;
    lan.command(json!({"type": "answer", "question": 0, "choice": [1]}))
        .await
        .expect("answer");
    host.wait_phase("reveal").await;

    // The bank is edited: question 1's right answer and question 2's text.
    let (_, mut bank) = send_json(
        &server,
        Method::GET,
        "/api/banks/dang-hop.json",
        SECRET,
        None,
    )
    .await;
    bank["questions"][0]["options"][1]["correct"] = false.into();
    bank["questions"][0]["options"][0]["correct"] = true.into();
    bank["questions"][1]["text"] = "Câu đã sửa?".into();
    let (status, reply) = send_json(
        &server,
        Method::PUT,
        "/api/banks/dang-hop",
        SECRET,
        Some(bank),
    )
    .await;
    assert_eq!(status, 200, "{reply}");

    // The meeting goes on with its own copy.
    let st = next_question(&mut host, 1).await;
    assert_eq!(st["question"]["text"], "Việc nào bỏ phiếu kín?");
    let (status, _) = send_json(&server, Method::DELETE, "/api/banks/dang-hop", SECRET, None).await;
    assert_eq!(status, 204);
    // (Question 2 has a reading time: the host reveals it.)
    host.command(json!({"type": "reveal"}))
        .await
        .expect("reveal");
    host.wait_phase("reveal").await;
    let check = |record: Value| {
        let quiz = &record["quiz"];
        assert_eq!(
            quiz["questions"][0]["correct"],
            json!(["Mỗi tháng"]),
            "{quiz}"
        );
        assert_eq!(quiz["questions"][0]["correct_count"], 1, "{quiz}");
        assert_eq!(quiz["questions"][1]["text"], "Việc nào bỏ phiếu kín?");
        assert_eq!(quiz["ranking"][0]["correct"], 1, "{quiz}");
    };
    let (status, record) = send_json(
        &server,
        Method::GET,
        &format!("/api/meetings/{pin}/export.json"),
        SECRET,
        None,
    )
    .await;
    assert_eq!(status, 200);
    check(record);
    drop((host, lan));
    let server = server.restart().await;
    let (_, record) = send_json(
        &server,
        Method::GET,
        &format!("/api/meetings/{pin}/export.json"),
        SECRET,
        None,
    )
    .await;
    check(record);
    assert_eq!(projector_state(&server, &pin).await["question_count"], 5);
}

/// `POST /api/meetings` with a body; the status and the reply.
async fn create(server: &TestServer, body: Value) -> (u16, Value) {
    send_json(
        server,
        reqwest::Method::POST,
        "/api/meetings",
        SECRET,
        Some(body),
    )
    .await
}

/// The last state a client received.
fn last_state(c: &Client) -> Value {
    c.log
        .iter()
        .rev()
        .find(|v| v["type"] == "state")
        .cloned()
        .expect("a state")
}

/// After a reveal: `next` until question `index` shows (past a
/// leaderboard when one is due); its state as the host sees it.
async fn next_question(host: &mut Client, index: u64) -> Value {
    use serde_json::json;
    loop {
        host.command(json!({"type": "next"})).await.expect("next");
        let st = host
            .wait("leaderboard or question", |v| {
                v["type"] == "state"
                    && (v["phase"] == "leaderboard" || v["question"]["index"] == index)
            })
            .await;
        if st["phase"] == "question" {
            return st;
        }
    }
}

/// The questions a meeting asks with their right answers' texts, read by
/// running it as the host.
async fn asked_texts(server: &TestServer, pin: &str) -> Vec<(String, Vec<String>)> {
    use serde_json::json;
    let mut host = Client::host(server, pin).await;
    let n = last_state(&host)["question_count"].as_u64().unwrap();
    let mut out = Vec::new();
    host.command(json!({"type": "start"})).await.expect("start");
    let mut st = host.wait_phase("question").await;
    for i in 0..n {
        if i > 0 {
            st = next_question(&mut host, i).await;
        }
        let q = &st["question"];
        assert_eq!(q["index"], i);
        let options: Vec<String> = q["options"]
            .as_array()
            .map(|a| a.iter().map(|o| o.as_str().unwrap().to_string()).collect())
            .unwrap_or_default();
        let correct: Vec<String> = st["answer_key"]["correct"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| options[c.as_u64().unwrap() as usize].clone())
            .collect();
        out.push((q["text"].as_str().unwrap().to_string(), correct));
        host.command(json!({"type": "reveal"}))
            .await
            .expect("reveal");
        host.wait_phase("reveal").await;
    }
    out
}

#[tokio::test]
async fn a_meeting_asks_the_questions_chosen_for_it_even_after_a_restart() {
    use serde_json::json;
    let server = TestServer::start().await;
    assert_eq!(upload(&server, "chon.bank.md", CANONICAL).await.0, 201);

    // Hand-picked, in the order given, with one time for all.
    let (status, made) = create(
        &server,
        json!({"title": "Chọn câu", "bank": "chon", "questions": {"pick": [2, 0]}, "time": 45}),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["questions"], 2);
    let pin = made["pin"].as_str().unwrap().to_string();
    let mut host = Client::host(&server, &pin).await;
    let st = last_state(&host);
    assert_eq!(st["question_count"], 2);
    assert_eq!(st["choice"]["questions"], json!({"pick": [2, 0]}));
    assert_eq!(st["choice"]["time"], 45);
    assert_eq!(st["choice"]["asked"], json!([2, 0]));
    assert_eq!(st["choice"]["bank_questions"], 5);
    host.command(json!({"type": "start"})).await.expect("start");
    let st = host.wait_phase("question").await;
    assert_eq!(st["question"]["text"], "Đảng viên dự bị được biểu quyết.");
    assert_eq!(st["question"]["time_limit_ms"], 45_000);
    let screen = projector_state(&server, &pin).await;
    assert!(
        screen.get("choice").is_none(),
        "the choice is the host's: {screen}"
    );
    drop(host);

    // N at random, shuffled questions and options: the answer keys follow.
    let (status, made) = create(
        &server,
        json!({"bank": "chon", "questions": {"random": 3}, "shuffle_questions": true, "shuffle_options": true}),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let pin2 = made["pin"].as_str().unwrap().to_string();
    let listed: Vec<Value> =
        send_json(&server, reqwest::Method::GET, "/api/meetings", SECRET, None)
            .await
            .1
            .as_array()
            .unwrap()
            .clone();
    let m = listed.iter().find(|m| m["pin"] == pin2.as_str()).unwrap();
    assert_eq!(m["bank"], "chon");
    assert_eq!(m["choice"]["questions"], json!({"random": 3}));
    assert_eq!(m["choice"]["shuffle_options"], true);
    let asked = m["choice"]["asked"].clone();
    let server = server.restart().await;
    let played = asked_texts(&server, &pin2).await;
    assert_eq!(played.len(), 3);
    let bank_answers = [
        ("Chi bộ họp thường lệ bao lâu một lần?", vec!["Mỗi tháng"]),
        ("Việc nào bỏ phiếu kín?", vec!["Bầu cử", "Kỷ luật"]),
        ("Đảng viên dự bị được biểu quyết.", vec!["Sai"]),
        ("Thời lượng tối thiểu (phút)?", vec![]),
        ("Hình thức nào sinh động hơn?", vec![]),
    ];
    for ((text, mut correct), i) in played.into_iter().zip(asked.as_array().unwrap()) {
        let (want_text, want) = &bank_answers[i.as_u64().unwrap() as usize];
        assert_eq!(&text, want_text);
        correct.sort();
        assert_eq!(&correct, want, "{text}");
    }
    let m = send_json(&server, reqwest::Method::GET, "/api/meetings", SECRET, None)
        .await
        .1
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["pin"] == pin2.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        m["choice"]["asked"], asked,
        "the same questions after a restart"
    );
    // The meeting's record keeps the choice.
    let (_, record) = send_json(
        &server,
        reqwest::Method::GET,
        &format!("/api/meetings/{pin2}/export.json"),
        SECRET,
        None,
    )
    .await;
    assert_eq!(record["quiz"]["choice"]["asked"], asked, "{record}");
    assert_eq!(record["quiz"]["choice"]["questions"], json!({"random": 3}));

    // Bad choices: a code and its params, nothing created.
    let before = send_json(&server, reqwest::Method::GET, "/api/meetings", SECRET, None)
        .await
        .1
        .as_array()
        .unwrap()
        .len();
    for (body, code, params) in [
        (
            json!({"bank": "chon", "questions": {"pick": [5]}}),
            "pick_out_of_range",
            json!({"value": 5, "count": 5}),
        ),
        (
            json!({"bank": "chon", "questions": {"pick": [1, 1]}}),
            "pick_duplicate",
            json!({"value": 1}),
        ),
        (
            json!({"bank": "chon", "questions": {"pick": []}}),
            "pick_empty",
            json!({}),
        ),
        (
            json!({"bank": "chon", "questions": {"random": 0}}),
            "random_out_of_range",
            json!({"value": 0, "min": 1, "max": 5}),
        ),
        (
            json!({"bank": "chon", "questions": {"random": 6}}),
            "random_out_of_range",
            json!({"value": 6, "min": 1, "max": 5}),
        ),
        (
            json!({"bank": "chon", "questions": "some"}),
            "bad_questions",
            json!({}),
        ),
        (
            json!({"bank": "chon", "time": 4}),
            "time_out_of_range",
            json!({"value": "4", "min": 5, "max": 600}),
        ),
        (
            json!({"bank": "chon", "time": 601}),
            "time_out_of_range",
            json!({"value": "601", "min": 5, "max": 600}),
        ),
        (
            json!({"bank": "chon", "shuffle": true}),
            "unknown_field",
            json!({"value": "shuffle", "accepted": handsup::choice::KEYS.join(", ")}),
        ),
        (
            json!({"bank": "chon", "shuffle_options": "yes"}),
            "bad_field",
            json!({"field": "shuffle_options"}),
        ),
    ] {
        let (status, reply) = create(&server, body.clone()).await;
        assert_eq!(status, 422, "{body}: {reply}");
        assert_eq!(reply["error"], code, "{body}");
        assert_eq!(reply["params"], params, "{body}");
        assert!(reply["message"].is_string());
    }
    let after = send_json(&server, reqwest::Method::GET, "/api/meetings", SECRET, None)
        .await
        .1
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after, "nothing created");
}

/// Every code `POST /api/meetings` refuses a choice with is worded in both
/// languages of the console's catalogue (`err.<code>`).
#[test]
fn every_question_choice_code_is_worded_in_both_languages() {
    let root = env!("CARGO_MANIFEST_DIR");
    let src = std::fs::read_to_string(format!("{root}/src/choice.rs")).unwrap();
    let src = src.split("#[cfg(test)]").next().unwrap();
    let catalogue = std::fs::read_to_string(format!("{root}/web/i18n.js")).unwrap();
    let (vi, en) = catalogue.split_once("const en = {").unwrap();
    let mut n = 0;
    for l in src.lines() {
        let l = l.trim();
        let Some(code) = l.strip_prefix('"').and_then(|r| r.strip_suffix("\",")) else {
            continue;
        };
        if !code.contains('_') || handsup::choice::KEYS.contains(&code) {
            continue;
        }
        n += 1;
        let key = format!("'err.{code}':");
        assert!(
            vi.contains(&key) && en.contains(&key),
            "{code} in both languages"
        );
    }
    assert!(n >= 7, "the codes were read: {n}");
}

#[tokio::test]
async fn any_bank_downloads_as_the_excel_template_and_uploads_back_the_same() {
    use reqwest::Method;
    let server = TestServer::start().await;
    assert_eq!(upload(&server, "quy-dinh.bank.md", CANONICAL).await.0, 201);
    for id in ["quy-dinh", "chi-bo"] {
        let r = server
            .http
            .get(server.url(&format!("/api/banks/{id}.xlsx")))
            .bearer_auth(SECRET)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{id}");
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains(&format!("{id}.xlsx"))
        );
        let file = r.bytes().await.unwrap().to_vec();
        let copy = format!("{id}-excel");
        let (status, body) = upload(&server, &format!("{copy}.xlsx"), file).await;
        assert_eq!(status, 201, "{id}: {body}");
        let (_, original) = send_json(
            &server,
            Method::GET,
            &format!("/api/banks/{id}.json"),
            SECRET,
            None,
        )
        .await;
        let (_, back) = send_json(
            &server,
            Method::GET,
            &format!("/api/banks/{copy}.json"),
            SECRET,
            None,
        )
        .await;
        assert_eq!(back["questions"], original["questions"], "{id}");
    }
    let status = |path: &'static str, secret: &'static str| {
        let r = server.http.get(server.url(path)).bearer_auth(secret).send();
        async move { r.await.unwrap().status().as_u16() }
    };
    assert_eq!(status("/api/banks/chi-bo.xlsx", "wrong").await, 401);
    assert_eq!(status("/api/banks/nope.xlsx", SECRET).await, 404);
}

#[tokio::test]
async fn the_template_as_utf8_csv_imports_with_comma_or_semicolon() {
    let server = TestServer::start().await;
    let header = handsup::bank_import::excel::HEADERS.join(",");
    let good = format!(
        "{header}\n\
         Chi bộ họp thường lệ bao lâu một lần?,một đáp án,Mỗi tuần,Mỗi tháng,,,,,2,30,\"Điều 24, khoản 2.\",Điều lệ Đảng\n\
         Việc nào bỏ phiếu kín?,nhiều đáp án,Bầu cử,Kỷ luật,Chương trình,,,,\"1,2\",45,Điều 12.,,1500,5,từng phần\n\
         \n\
         Đảng viên dự bị được biểu quyết.,đúng sai,,,,,,,Sai,,Điều 3.\n\
         Thời lượng tối thiểu?,tự luận,,,,,,,90 | 90 phút,,HD 12.,,,,,chính xác\n"
    );
    let (status, body) = upload(&server, "Ôn tập CSV.csv", good.clone()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        (body["id"].as_str(), body["questions"].as_u64()),
        (Some("on-tap-csv"), Some(4))
    );
    let (_, bank) = send_json(
        &server,
        reqwest::Method::GET,
        "/api/banks/on-tap-csv.json",
        SECRET,
        None,
    )
    .await;
    let q = &bank["questions"];
    assert_eq!(q[0]["explanation"], "Điều 24, khoản 2.");
    assert_eq!(
        (
            q[1]["points"].as_u64(),
            q[1]["reading"].as_u64(),
            q[1]["scoring"].as_str()
        ),
        (Some(1500), Some(5), Some("partial"))
    );
    assert_eq!(q[3]["answers"], serde_json::json!(["90", "90 phút"]));
    assert_eq!(q[3]["diacritics"], "exact");

    // Excel's Vietnamese CSV: a BOM and semicolons; the same questions.
    let semi = good
        .lines()
        .map(|l| {
            // Re-quote by field: split the comma CSV properly, join with ';'.
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(l.as_bytes());
            match r.records().next() {
                Some(Ok(rec)) => rec
                    .iter()
                    .map(|f| {
                        if f.contains(';') {
                            format!("\"{f}\"")
                        } else {
                            f.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(";"),
                _ => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(semi.as_bytes());
    let (status, body) = upload(&server, "semi.csv", bytes).await;
    assert_eq!(status, 201, "{body}");
    let (_, back) = send_json(
        &server,
        reqwest::Method::GET,
        "/api/banks/semi.json",
        SECRET,
        None,
    )
    .await;
    assert_eq!(back["questions"], bank["questions"]);

    // Problems by row (blank lines counted) and column; no sheet in a CSV.
    let bad = format!(
        "{header}\nCâu không đáp án,một đáp án,a,b,,,,,,,vì\n\nCâu lạ,một đáp án,a,b,,,,,5,20,vì\n"
    );
    let (status, body) = upload(&server, "bad.csv", bad).await;
    assert_eq!(status, 422, "{body}");
    let got: Vec<_> = body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["row"].as_u64().unwrap(),
                p["column"].as_str().unwrap(),
                p["code"].as_str().unwrap(),
                p.get("sheet").is_none(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (2, "Đáp án đúng", "no_correct", true),
            (4, "Đáp án đúng", "correct_out_of_range", true)
        ]
    );
    for (name, bytes, code) in [
        (
            "latin1.csv",
            b"C\xE2u h\xF3i,Lo\xE0i\n".to_vec(),
            "not_utf8",
        ),
        (
            "other.csv",
            "Họ và tên,Mã\nLan,1\n".as_bytes().to_vec(),
            "missing_column",
        ),
        ("empty.csv", b"\n\n".to_vec(), "empty_sheet"),
    ] {
        let (status, body) = upload(&server, name, bytes).await;
        assert_eq!(
            (status, body["problems"][0]["code"].as_str()),
            (422, Some(code)),
            "{name}: {body}"
        );
    }
    assert!(listed(&server, "bad").await.is_none());
}

#[tokio::test]
async fn every_bad_file_is_refused_clearly_and_the_server_is_unharmed() {
    let server = TestServer::start().await;
    // An empty sheet names its sheet.
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet().set_name("Trống").unwrap();
    let (status, body) = upload(&server, "empty.xlsx", wb.save_to_buffer().unwrap()).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["problems"][0]["code"], "empty_sheet");
    assert_eq!(body["problems"][0]["sheet"], "Trống");

    // Row problems of a workbook name the sheet too.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Câu hỏi").unwrap();
    for (c, h) in handsup::bank_import::excel::HEADERS.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "Không đáp án").unwrap();
    ws.write_string(1, 2, "a").unwrap();
    ws.write_string(1, 3, "b").unwrap();
    ws.write_string(1, 8, "7").unwrap();
    let (status, body) = upload(&server, "sheet.xlsx", wb.save_to_buffer().unwrap()).await;
    assert_eq!(status, 422, "{body}");
    let p = &body["problems"][0];
    assert_eq!(
        (
            p["sheet"].as_str(),
            p["row"].as_u64(),
            p["column"].as_str(),
            p["code"].as_str()
        ),
        (
            Some("Câu hỏi"),
            Some(2),
            Some("Đáp án đúng"),
            Some("correct_out_of_range")
        )
    );
    assert_eq!(p["params"]["value"], 7);

    // More than 10 options: the count and the limits.
    let mut many = String::from("# T\n## Q?\n");
    for i in 0..11 {
        many.push_str(&format!("- [{}] o{i}\n", if i == 0 { "x" } else { " " }));
    }
    let (status, body) = upload(&server, "many.bank.md", many).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["problems"][0]["code"], "option_count");
    assert_eq!(
        body["problems"][0]["params"],
        serde_json::json!({"count": 11, "min": 2, "max": 6})
    );
    assert_eq!(body["problems"][0]["row"], 2);

    // A ZIP bomb: 40 MB of XML in a few KB, refused by what it inflates to.
    let padding = " ".repeat(40 * 1024 * 1024);
    let bomb =
        handsup::tabular::testing::xlsx_with_sheet(&format!("<sheetData></sheetData>{padding}"));
    assert!(bomb.len() < 200 * 1024, "{}", bomb.len());
    let (status, body) = upload(&server, "bomb.xlsx", bomb).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["problems"][0]["code"], "file_too_big");
    assert_eq!(
        body["problems"][0]["params"]["max"],
        handsup::tabular::MAX_UNZIPPED_BYTES
    );

    // 50 MB: refused by its size before it is read, the limit said.
    let (status, body) = upload(&server, "huge.bank.md", vec![b'#'; 50 * 1024 * 1024]).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"], "too_large");
    assert_eq!(body["params"]["max"], handsup::bank_import::MAX_BANK_UPLOAD);

    // Nothing stored; the server answers as before.
    for id in ["empty", "sheet", "many", "bomb", "huge"] {
        assert!(listed(&server, id).await.is_none(), "{id}");
    }
    let (status, body) = upload(&server, "ok.bank.md", GOOD).await;
    assert_eq!(status, 201, "{body}");
    let pin = server.create_meeting("ok").await;
    assert_eq!(projector_state(&server, &pin).await["question_count"], 2);
}

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
        text.contains("- [x] Mỗi tháng\n") && text.contains("answer: false\n"),
        "{text}"
    );

    let b = listed(&server, "on-tap-11").await.expect("listed");
    assert_eq!(b["origin"], "uploaded");
    assert_eq!(b["questions"], 2);
    assert_eq!(listed(&server, "chi-bo").await.unwrap()["origin"], "server");
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

    // Filled in by an organiser, with mistakes: every one by row and column.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in handsup::bank_import::excel::HEADERS.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let rows: [[&str; 12]; 4] = [
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
    ] {
        let src = read(file);
        let src = src.split("#[cfg(test)]\nmod tests").next().unwrap();
        // Codes are the snake_case string literals passed as problem codes:
        // `"code",` on a line of its own, or `at(…, "code", json!…`,
        // `file("code", …` and `("code", json!…)`.
        for line in src.lines() {
            let l = line.trim();
            let candidates: Vec<&str> = l.split('"').skip(1).step_by(2).collect();
            let is_code_line = l.starts_with('"') && l.ends_with("\",")
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
}

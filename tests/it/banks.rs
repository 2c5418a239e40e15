//! Question banks uploaded by the organiser: `POST /api/banks`.

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
    let server = TestServer::start().await;
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
    let server = TestServer::start().await;
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
        ("notes.txt", b"just some words".to_vec()),
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

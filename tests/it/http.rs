//! The HTTP surface: health, banks, meeting creation, pages and QR codes.

use serde_json::{Value, json};

use crate::support::{Client, SECRET, TestServer};

#[tokio::test]
async fn health_and_banks() {
    let server = TestServer::start().await;
    let resp = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "ok");

    let banks: Vec<Value> = server
        .http
        .get(server.url("/api/banks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let find = |id: &str| banks.iter().find(|b| b["id"] == id).cloned();
    let vi = find("chi-bo").expect("the shipped Vietnamese bank is loaded");
    assert_eq!(vi["language"], "vi");
    assert!(vi["questions"].as_u64().unwrap() >= 30);
    assert_eq!(
        find("demo-en").expect("the English demo bank")["language"],
        "en"
    );
    assert_eq!(
        find("alltypes").expect("banks from --banks")["questions"],
        5
    );
}

#[tokio::test]
async fn creating_a_meeting_needs_the_host_secret() {
    let server = TestServer::start().await;
    let body = json!({"title": "Họp chi bộ", "bank": "chi-bo"});
    let post = || server.http.post(server.url("/api/meetings"));

    let r = post().json(&body).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let e: Value = r.json().await.unwrap();
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("Authorization: Bearer")
    );
    assert_eq!(
        post()
            .bearer_auth("wrong")
            .json(&body)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    let r = post()
        .bearer_auth(SECRET)
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = post()
        .bearer_auth(SECRET)
        .json(&json!({"title": "x", "bank": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert!(e["message"].as_str().unwrap().contains("/api/banks"));

    let r = post().bearer_auth(SECRET).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let m: Value = r.json().await.unwrap();
    let pin = m["pin"].as_str().unwrap();
    assert!(
        pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()),
        "{pin}"
    );
    assert_eq!(m["title"], "Họp chi bộ");
    assert_eq!(m["join_url"], format!("http://{}/j/{pin}", server.addr));

    let list: Vec<Value> = server
        .http
        .get(server.url("/api/meetings"))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let m = list.iter().find(|x| x["pin"] == pin).expect("listed");
    assert_eq!(
        (m["members"].as_u64(), m["ended"].as_bool()),
        (Some(0), Some(false))
    );
    assert!(m["created_at"].as_u64().unwrap() > 1_700_000_000_000);
}

#[tokio::test]
async fn pages_and_qr_codes() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("chi-bo").await;
    for path in [
        format!("/j/{pin}"),
        format!("/screen/{pin}"),
        "/host".into(),
        "/".into(),
    ] {
        let r = server.http.get(server.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
    }
    let r = server
        .http
        .get(server.url("/j/999999"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let page = r.text().await.unwrap();
    assert!(page.contains("999999"), "the 404 page names the PIN");
    assert_eq!(
        server
            .http
            .get(server.url("/screen/999999"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    let r = server
        .http
        .get(server.url(&format!("/qr/{pin}.svg")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    assert!(r.text().await.unwrap().contains("<svg"));
    assert_eq!(
        server
            .http
            .get(server.url("/qr/999999.svg"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

/// Issue 14 item 7: the list shows a meeting's end as soon as the host's
/// `end` is acknowledged, not a tick later.
#[tokio::test]
async fn the_meeting_list_shows_an_end_at_once() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("chi-bo").await;
    let mut host = Client::host(&server, &pin).await;
    // The first `end` shows the podium, the second ends the meeting.
    host.command(json!({"type": "end"})).await.expect("podium");
    host.command(json!({"type": "end"})).await.expect("end");
    let list: Vec<Value> = server
        .http
        .get(server.url("/api/meetings"))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let m = list.iter().find(|x| x["pin"] == pin).expect("listed");
    assert_eq!(m["ended"], true, "{m}");
}

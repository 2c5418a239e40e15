//! The database lost while Handsup runs (issue 16, bad input): meetings stop
//! accepting input with a clear code and a visible state on the projector
//! and the host console, keep serving what they have from memory, and take
//! input again once the database is back; nothing acknowledged is lost or
//! counted twice.

use serde_json::{Value, json};

use crate::pg::Private;
use crate::support::{Client, TestServer};

/// Waits for the `database` frame saying `available`.
async fn database_frame(c: &mut Client, available: bool) {
    c.wait(&format!("database available={available}"), |v| {
        v["type"] == "database" && v["available"] == available
    })
    .await;
}

/// The open ballot's counts as the host's `live` shows them, once they
/// add up to `total`.
async fn counts(host: &mut Client, total: u64) -> Value {
    let live = host
        .wait(&format!("{total} votes"), |v| {
            v["type"] == "live"
                && v["vote"]["counts"]
                    .as_array()
                    .is_some_and(|c| c.iter().filter_map(Value::as_u64).sum::<u64>() == total)
        })
        .await;
    live["vote"]["counts"].clone()
}

#[tokio::test]
async fn postgres_lost_while_running_stops_input_and_loses_nothing() {
    lost_while_running(false).await;
}

/// The same on a node of a cluster (`--node-url`), for an outage shorter
/// than its lease: the node keeps its meetings.
#[tokio::test]
async fn postgres_lost_briefly_under_a_cluster_node_stops_input_and_loses_nothing() {
    lost_while_running(true).await;
}

async fn lost_while_running(cluster: bool) {
    let mut pg = Private::start();
    let url = pg.database("handsup");
    let server = TestServer::start_with({
        let url = url.clone();
        move |c| {
            c.database = Some(url);
            if cluster {
                c.node_url = c.public_url.clone();
                c.lease = std::time::Duration::from_secs(30);
            }
        }
    })
    .await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    let mut screen = Client::screen(&server, &pin).await;
    let mut members = Vec::new();
    for i in 1..=4 {
        members.push(Client::member(&server, &pin, &format!("Đảng viên {i}")).await);
    }
    host.command(json!({"type": "motion_create", "text": "Thông qua Nghị quyết chi bộ"}))
        .await
        .unwrap();
    host.command(json!({"type": "motion_open", "motion": 1}))
        .await
        .unwrap();
    // Acknowledged before the database goes.
    members[0]
        .command(json!({"type": "vote", "motion": 1, "option": 0}))
        .await
        .expect("vote acknowledged");
    let mut acked = vec![0usize];

    pg.stop_immediate();
    // The next write finds the database gone: this vote is either refused
    // or held until the database is back (never acknowledged before).
    let cid = members[1].cid();
    members[1]
        .send(json!({"type": "vote", "cid": cid, "motion": 1, "option": 1}))
        .await;
    database_frame(&mut screen, false).await;
    database_frame(&mut host, false).await;

    // While it is out of reach: input refused with its code...
    let e = members[2]
        .refused(
            json!({"type": "vote", "motion": 1, "option": 0}),
            "database_unavailable",
        )
        .await;
    assert!(e["message"].as_str().unwrap().contains("database"), "{e}");
    host.refused(
        json!({"type": "motion_close", "motion": 1}),
        "database_unavailable",
    )
    .await;
    // ... a new member cannot join (nothing can be saved) ...
    let mut late = Client::connect(&server).await;
    let e = late
        .hello("member", &pin, json!({"name": "Đến muộn"}))
        .await
        .expect_err("refused");
    assert_eq!(e["code"], "database_unavailable", "{e}");
    // ... nor can a new meeting be created ...
    let resp = server
        .http
        .post(server.url("/api/meetings"))
        .bearer_auth(crate::support::SECRET)
        .json(&json!({"title": "Họp chi bộ", "bank": "alltypes"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "database_unavailable", "{body}");
    // ... and pages that reconnect are served from memory, told at once.
    let token = members[3].token.clone().unwrap();
    let mut back = Client::connect(&server).await;
    back.hello("member", &pin, json!({"token": token}))
        .await
        .expect("a member reconnects while the database is away");
    database_frame(&mut back, false).await;
    let mut screen2 = Client::screen(&server, &pin).await;
    database_frame(&mut screen2, false).await;

    pg.start_again();
    database_frame(&mut screen, true).await;
    database_frame(&mut host, true).await;
    // The vote sent as the database went is acknowledged now, or was refused.
    let m1 = members[1]
        .wait(&format!("reply to {cid}"), |v| v["cid"] == cid.as_str())
        .await;
    match m1["type"].as_str() {
        Some("ack") => acked.push(1),
        _ => assert_eq!(m1["code"], "database_unavailable", "{m1}"),
    }
    // Input is taken again.
    members[2]
        .command(json!({"type": "vote", "motion": 1, "option": 2}))
        .await
        .expect("voting resumes");
    acked.push(2);
    back.command(json!({"type": "vote", "motion": 1, "option": 0}))
        .await
        .expect("the reconnected member votes");
    acked.push(3);

    let expected = |acked: &[usize]| {
        let mut c = [0u64; 3];
        for &m in acked {
            c[[0, 1, 2, 0][m]] += 1;
        }
        json!(c)
    };
    assert_eq!(
        counts(&mut host, acked.len() as u64).await,
        expected(&acked)
    );
    // Every acknowledged vote is in the database once.
    let votes = crate::pg::query(
        &url,
        "SELECT body::jsonb #>> '{event,member}' FROM events
         WHERE body::jsonb #>> '{event,kind}' = 'voted' ORDER BY 1",
    );
    assert_eq!(votes.len(), acked.len(), "{votes:?}");

    // And after a restart.
    let server = server.restart().await;
    let mut host = Client::host(&server, &pin).await;
    assert_eq!(
        counts(&mut host, acked.len() as u64).await,
        expected(&acked)
    );
}

/// The pages show it: the host console, the projector and a phone get the
/// banner while the database is away, in the page's language, and lose it
/// when it is back; a vote refused meanwhile says why.
#[tokio::test]
async fn the_pages_show_the_lost_database_and_clear_it_when_it_is_back() {
    use crate::browser::{Browser, artifact_path};
    use crate::support::SECRET;

    let mut pg = Private::start();
    let url = pg.database("handsup");
    let server = TestServer::start_with(move |c| c.database = Some(url)).await;
    let pin = server.create_meeting("alltypes").await;
    let (b1, b2, b3) = tokio::join!(Browser::launch(), Browser::launch(), Browser::launch());
    let console = b1
        .open_sized(&server.url(&format!("/host#secret={SECRET}")), 1366, 768)
        .await;
    console
        .click(&format!("#meeting-list li[data-pin='{pin}'] button"))
        .await;
    console.wait_for_text("#meeting-pin", &pin[..3]).await;
    let screen = b2
        .open_sized(&server.url(&format!("/screen/{pin}")), 1920, 1080)
        .await;
    let phone = b3
        .open_sized(&server.url(&format!("/j/{pin}")), 390, 844)
        .await;
    phone.fill("#name", "Nguyễn Văn An").await;
    phone.click("#join:not(:disabled)").await;
    phone.wait_for("#lobby-hello").await;
    screen.wait_for_text("#joined-count", "1").await;
    let mut host = Client::host(&server, &pin).await;
    host.command(json!({"type": "motion_create", "text": "Thông qua Nghị quyết chi bộ"}))
        .await
        .unwrap();

    pg.stop_immediate();
    // The first write finds it gone (it is held, or refused).
    let cid = host.cid();
    host.send(json!({"type": "motion_open", "cid": cid, "motion": 1}))
        .await;
    database_frame(&mut host, false).await;
    for page in [&console, &screen, &phone] {
        let text = page
            .wait_for_text("#status", "mất kết nối với cơ sở dữ liệu")
            .await;
        assert!(text.contains("Tạm dừng"), "{text}");
        assert_eq!(
            page.eval("return document.querySelector('#status').hidden;")
                .await,
            false
        );
    }
    screen
        .screenshot(&artifact_path("database-lost-projector.png"))
        .await;
    console
        .screenshot(&artifact_path("database-lost-console.png"))
        .await;

    pg.start_again();
    database_frame(&mut host, true).await;
    for page in [&console, &screen, &phone] {
        let mut hidden = Value::Null;
        for _ in 0..100 {
            hidden = page
                .eval("return document.querySelector('#status').hidden;")
                .await;
            if hidden == true {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(hidden, true, "the banner clears when the database is back");
    }
    // The held command is acknowledged now, or was refused: then input is
    // taken again.
    let earlier = host.log.iter().find(|v| v["cid"] == cid.as_str()).cloned();
    let reply = match earlier {
        Some(r) => r,
        None => {
            host.wait(&format!("reply to {cid}"), |v| v["cid"] == cid.as_str())
                .await
        }
    };
    if reply["type"] != "ack" {
        assert_eq!(reply["code"], "database_unavailable", "{reply}");
        host.command(json!({"type": "motion_open", "motion": 1}))
            .await
            .expect("the motion opens once the database is back");
    }
    phone
        .wait_for_text("body", "Thông qua Nghị quyết chi bộ")
        .await;
}

//! The rest of a cell meeting over the real protocol: the agenda and its
//! clock, opinions with moderation and upvotes, the meeting's evaluation.

use std::sync::Arc;

use handsup::clock::{Clock, ManualClock};
use serde_json::{Value, json};

use crate::support::{Client, TestServer};

const MINUTE: u64 = 60_000;

const ROSTER_CSV: &str = "Họ và tên;Mã đảng viên;Loại\n\
Nguyễn Văn An;DV01;Chính thức\n\
Trần Thị Bình;DV02;Chính thức\n\
Lê Văn Cường;DV03;Chính thức\n\
Phạm Thị Dung;DV04;Dự bị\n";

/// Personal join keys in roster order.
async fn join_roster(server: &TestServer, pin: &str) -> Vec<Client> {
    let r = server.upload_roster(pin, ROSTER_CSV.to_string()).await;
    assert_eq!(r.status(), 200);
    let mut out = Vec::new();
    for e in server.roster(pin).await {
        let key = e["join_url"].as_str().unwrap().split("?k=").nth(1).unwrap();
        let mut c = Client::connect(server).await;
        c.hello("member", pin, json!({"key": key})).await.unwrap();
        c.wait_type("state").await;
        out.push(c);
    }
    out
}

/// Waits for a state that satisfies `pred`.
async fn state_where(c: &mut Client, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    c.wait(what, |v| v["type"] == "state" && pred(v)).await
}

async fn ok(c: &mut Client, v: Value) {
    if let Err(e) = c.command(v.clone()).await {
        panic!("{v} refused: {e}");
    }
}

#[tokio::test]
async fn a_regular_meeting_from_opening_to_closing() {
    let tmp = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(1_700_000_000_000);
    let c: Arc<dyn Clock> = Arc::new(clock.clone());
    let server = TestServer::start_in(&tmp.path().join("data"), Some(c)).await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    let mut screen = Client::screen(&server, &pin).await;
    let mut m = join_roster(&server, &pin).await;

    // The chair takes the regular template and opens: the clock starts now.
    ok(
        &mut host,
        json!({"type": "agenda_set", "template": "regular"}),
    )
    .await;
    let st = state_where(&mut screen, "agenda", |v| {
        v["agenda"]["items"]
            .as_array()
            .is_some_and(|a| a.len() == 12)
    })
    .await;
    assert_eq!(st["wording"], "party");
    assert_eq!(st["agenda"]["minimum_minutes"], 90);
    assert_eq!(st["agenda"]["opened_at"], Value::Null);
    clock.advance(10 * MINUTE);
    ok(&mut host, json!({"type": "meeting_open"})).await;
    let opened = clock.now();

    let items: Vec<Value> = st["agenda"]["items"].as_array().unwrap().clone();
    for (i, item) in items.iter().enumerate() {
        ok(&mut host, json!({"type": "item_start", "item": i})).await;
        if i == 0 {
            // Another item cannot start while one runs.
            host.refused(json!({"type": "item_start", "item": 1}), "agenda_busy")
                .await;
        }
        match item["kind"].as_str().unwrap() {
            "opinions" => discussion(&mut host, &mut screen, &mut m, i).await,
            "motion" if i == 7 => resolution(&mut host, &mut m).await,
            "evaluation" => evaluation(&mut host, &mut screen, &mut m).await,
            _ => {}
        }
        clock.advance(item["minutes"].as_u64().unwrap().max(1) * MINUTE);
        ok(&mut host, json!({"type": "item_end", "item": i})).await;
    }
    ok(&mut host, json!({"type": "meeting_close"})).await;
    let st = state_where(&mut screen, "closed", |v| {
        !v["agenda"]["closed_at"].is_null()
    })
    .await;
    let a = &st["agenda"];
    assert_eq!(a["opened_at"], opened);
    assert!(a["current"].is_null());
    assert!(a["elapsed_ms"].as_u64().unwrap() >= 90 * MINUTE);
    assert_eq!(st["evaluation"]["facts"]["length"]["met"], true);
    for it in a["items"].as_array().unwrap() {
        assert!(it["started_at"].as_u64().unwrap() >= opened);
        assert!(it["ended_at"].as_u64().unwrap() > it["started_at"].as_u64().unwrap());
    }
    assert_eq!(
        a["items"][5]["conclusion"],
        "Chi bộ thống nhất bổ sung chỉ tiêu"
    );
    // Nothing is started after closing.
    host.refused(json!({"type": "item_start", "item": 0}), "wrong_phase")
        .await;
}

/// Item 5: two phones and the secretary give opinions; the host moderates.
async fn discussion(host: &mut Client, screen: &mut Client, m: &mut [Client], item: usize) {
    let r = m[0]
        .command(json!({"type": "opinion", "text": "Đề nghị bổ sung chỉ tiêu <b>kết nạp</b>"}))
        .await
        .unwrap();
    assert_eq!(r["type"], "ack");
    m[1].command(json!({"type": "opinion", "text": "Tán thành dự thảo"}))
        .await
        .unwrap();
    // Waiting for approval: the others see nothing, the author sees it pending.
    let me = m[0]
        .wait("me with opinion", |v| {
            v["type"] == "me"
                && v["activities"]["opinions"]
                    .as_array()
                    .is_some_and(|a| a.len() == 1)
        })
        .await;
    assert_eq!(me["activities"]["opinions"][0]["status"], "pending");
    let hs = state_where(host, "two pending", |v| {
        v["opinions"]["list"]
            .as_array()
            .is_some_and(|a| a.len() == 2)
    })
    .await;
    assert_eq!(hs["opinions"]["list"][0]["status"], "pending");
    assert_eq!(hs["opinions"]["list"][0]["name"], "Nguyễn Văn An");
    assert_eq!(hs["opinions"]["item"], item);
    ok(
        host,
        json!({"type": "opinion_moderate", "opinion": 1, "action": "approve"}),
    )
    .await;
    ok(
        host,
        json!({"type": "opinion_moderate", "opinion": 1, "action": "pin"}),
    )
    .await;
    ok(host, json!({"type": "opinion_record", "speaker": "Lê Văn Cường", "text": "Cần phân công cụ thể"})).await;
    ok(host, json!({"type": "screen", "screen": "opinions"})).await;
    let st = state_where(screen, "wall", |v| {
        v["opinions"]["count"] == 2 && v["screen"] == "opinions"
    })
    .await;
    let o = &st["opinions"];
    assert_eq!(o["speakers"], 2);
    assert_eq!(o["pinned"], 1);
    let texts: Vec<&str> = o["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "Đề nghị bổ sung chỉ tiêu <b>kết nạp</b>",
            "Cần phân công cụ thể"
        ]
    );
    assert_eq!(o["list"][1]["spoken"], true);
    // Members never see an opinion waiting for approval.
    let ms = state_where(&mut m[2], "wall", |v| v["opinions"]["count"] == 2).await;
    assert!(!ms.to_string().contains("Tán thành dự thảo"));

    // Upvotes: once each, never one's own, and a resend is applied once.
    let up = json!({"type": "upvote", "opinion": 1, "cid": "up-1"});
    m[1].command(up.clone()).await.unwrap();
    m[1].command(up).await.unwrap();
    m[1].refused(json!({"type": "upvote", "opinion": 1}), "already_upvoted")
        .await;
    m[0].refused(json!({"type": "upvote", "opinion": 1}), "own_opinion")
        .await;
    m[2].refused(json!({"type": "upvote", "opinion": 2}), "unknown_opinion")
        .await;
    m[2].command(json!({"type": "upvote", "opinion": 1}))
        .await
        .unwrap();
    let st = state_where(screen, "upvotes", |v| {
        v["opinions"]["list"][0]["upvotes"] == 2
    })
    .await;
    assert_eq!(st["opinions"]["list"][0]["id"], 1);
    ok(
        host,
        json!({"type": "opinion_moderate", "opinion": 1, "action": "answered"}),
    )
    .await;
    ok(host, json!({"type": "item_conclude", "item": item, "text": "Chi bộ thống nhất bổ sung chỉ tiêu"})).await;
}

/// Item 7: the resolution vote.
async fn resolution(host: &mut Client, m: &mut [Client]) {
    ok(
        host,
        json!({"type": "motion_create", "text": "Thông qua Nghị quyết chi bộ tháng 11"}),
    )
    .await;
    ok(host, json!({"type": "motion_open", "motion": 1})).await;
    ok(host, json!({"type": "screen", "screen": "vote"})).await;
    for c in m.iter_mut().take(3) {
        c.command(json!({"type": "vote", "motion": 1, "option": 0}))
            .await
            .unwrap();
    }
    ok(host, json!({"type": "motion_close", "motion": 1})).await;
}

/// Item 9: every official member scores on the phone.
async fn evaluation(host: &mut Client, screen: &mut Client, m: &mut [Client]) {
    ok(host, json!({"type": "evaluation_open"})).await;
    ok(host, json!({"type": "screen", "screen": "evaluation"})).await;
    // The attendance fact: everyone convened (the probationary member
    // too) is present, nobody is absent without a reason.
    let st = state_where(screen, "evaluation open", |v| {
        v["evaluation"]["status"] == "open"
    })
    .await;
    let f = &st["evaluation"]["facts"];
    assert_eq!(f["attendance"]["present"], 4);
    assert_eq!(f["attendance"]["met"], true);
    assert_eq!(f["attendance"]["proposed"], 20);
    assert_eq!(f["length"]["minimum"], 90);
    assert!(
        st["evaluation"]["result"].is_null(),
        "no grade before closing"
    );
    m[0].command(json!({"type": "evaluation_score", "scores": [20, 20, 20, 20, 16]}))
        .await
        .unwrap();
    m[0].refused(
        json!({"type": "evaluation_score", "scores": [20, 20, 20, 20, 20]}),
        "already_scored",
    )
    .await;
    m[1].refused(
        json!({"type": "evaluation_score", "scores": [20, 20, 21, 20, 20]}),
        "score_out_of_range",
    )
    .await;
    m[1].command(json!({"type": "evaluation_score", "scores": [20, 20, 20, 16, 16]}))
        .await
        .unwrap();
    m[2].command(json!({"type": "evaluation_score", "scores": [20, 20, 20, 18, 16]}))
        .await
        .unwrap();
    // A probationary member does not grade.
    m[3].refused(
        json!({"type": "evaluation_score", "scores": [20, 20, 20, 20, 20]}),
        "not_eligible",
    )
    .await;
    ok(host, json!({"type": "evaluation_close"})).await;
    let st = state_where(&mut m[3], "graded", |v| {
        v["evaluation"]["status"] == "closed"
    })
    .await;
    let e = &st["evaluation"];
    assert_eq!(e["scored"], 3);
    assert_eq!(e["stats"][3]["mean"], 18.0);
    assert_eq!(e["stats"][3]["min"], 16);
    assert_eq!(e["stats"][3]["spread"], 1.6);
    // 20 + 20 + 20 + 18 + 16 = 94 with three criteria at full marks: Khá.
    assert_eq!(e["result"]["total"], 94.0);
    assert_eq!(e["result"]["full"], 3);
    assert_eq!(e["result"]["band"], "fair");
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    let mut lan = Client::member(&server, &pin, "Lan").await;
    let mut minh = Client::member(&server, &pin, "Minh").await;
    let items = json!([
        {"title": "Thảo luận", "kind": "opinions", "presenter": "Chủ trì", "minutes": 30},
        {"title": "Bế mạc", "kind": "information", "minutes": 2}
    ]);
    host.refused(json!({"type": "agenda_set", "template": "custom", "items": [{"title": "", "kind": "information"}]}), "invalid_agenda").await;
    ok(
        &mut host,
        json!({"type": "agenda_set", "template": "custom", "items": items}),
    )
    .await;
    // Before the meeting opens, no item starts; before an item runs, no opinion.
    host.refused(json!({"type": "item_start", "item": 0}), "wrong_phase")
        .await;
    lan.refused(
        json!({"type": "opinion", "text": "Sớm quá"}),
        "item_not_running",
    )
    .await;
    ok(&mut host, json!({"type": "meeting_open"})).await;
    host.refused(
        json!({"type": "agenda_set", "template": "regular"}),
        "wrong_phase",
    )
    .await;
    host.refused(json!({"type": "item_start", "item": 7}), "unknown_item")
        .await;
    ok(&mut host, json!({"type": "item_start", "item": 0})).await;
    host.refused(json!({"type": "item_start", "item": 1}), "agenda_busy")
        .await;
    lan.refused(json!({"type": "item_start", "item": 1}), "forbidden")
        .await;
    host.refused(json!({"type": "opinion", "text": "x"}), "forbidden")
        .await;
    lan.refused(json!({"type": "opinion", "text": "   "}), "invalid_opinion")
        .await;
    lan.refused(
        json!({"type": "opinion", "text": "ý".repeat(1001)}),
        "invalid_opinion",
    )
    .await;
    ok(
        &mut host,
        json!({"type": "opinion_settings", "moderate": false}),
    )
    .await;
    // A member cannot flood the wall.
    for i in 0..3 {
        lan.command(json!({"type": "opinion", "text": format!("Ý kiến {i}")}))
            .await
            .unwrap();
    }
    lan.refused(
        json!({"type": "opinion", "text": "Ý kiến 4"}),
        "too_many_opinions",
    )
    .await;
    minh.command(json!({"type": "opinion", "text": "Ý kiến của Minh"}))
        .await
        .unwrap();
    host.refused(
        json!({"type": "opinion_moderate", "opinion": 1, "action": "approve"}),
        "wrong_phase",
    )
    .await;
    host.refused(
        json!({"type": "opinion_moderate", "opinion": 9, "action": "hide"}),
        "unknown_opinion",
    )
    .await;
    lan.refused(
        json!({"type": "evaluation_score", "scores": [20, 20, 20, 20, 20]}),
        "evaluation_not_open",
    )
    .await;
    host.refused(
        json!({"type": "evaluation_set", "form": {"criteria": [{"title": "A", "max": 0}]}}),
        "invalid_evaluation",
    )
    .await;
    ok(&mut host, json!({"type": "item_end", "item": 0})).await;
    minh.refused(
        json!({"type": "opinion", "text": "Muộn rồi"}),
        "item_not_running",
    )
    .await;
    host.refused(json!({"type": "item_end", "item": 0}), "item_not_running")
        .await;
    let st = state_where(&mut host, "four opinions, item ended", |v| {
        v["opinions"]["list"]
            .as_array()
            .is_some_and(|a| a.len() == 4)
            && v["agenda"]["current"].is_null()
    })
    .await;
    assert_eq!(st["opinions"]["count"], 4);
    assert_eq!(st["opinions"]["speakers"], 2);
    assert!(st["agenda"]["current"].is_null());
}

#[tokio::test]
async fn an_anonymous_opinion_is_stored_without_its_author() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    let mut lan = Client::member(&server, &pin, "Lan").await;
    ok(&mut host, json!({"type": "agenda_set", "template": "custom", "items": [{"title": "Góp ý", "kind": "opinions"}]})).await;
    ok(
        &mut host,
        json!({"type": "opinion_settings", "anonymous": true, "moderate": false}),
    )
    .await;
    ok(&mut host, json!({"type": "meeting_open"})).await;
    ok(&mut host, json!({"type": "item_start", "item": 0})).await;
    let cid = "anon-secret-cid-1";
    lan.command(json!({"type": "opinion", "cid": cid, "text": "Góp ý không tên"}))
        .await
        .unwrap();
    // A resend is acknowledged and posted once.
    lan.command(json!({"type": "opinion", "cid": cid, "text": "Góp ý không tên"}))
        .await
        .unwrap();
    let me = lan
        .wait("me", |v| {
            v["type"] == "me"
                && v["activities"]["opinions"]
                    .as_array()
                    .is_some_and(|a| !a.is_empty())
        })
        .await;
    assert_eq!(
        me["activities"]["opinions"],
        json!([{"id": 1, "status": "shown", "text": "Góp ý không tên"}])
    );
    lan.refused(json!({"type": "upvote", "opinion": 1}), "own_opinion")
        .await;
    let st = state_where(&mut host, "the opinion", |v| v["opinions"]["count"] == 1).await;
    assert_eq!(st["opinions"]["list"].as_array().unwrap().len(), 1);
    assert!(st["opinions"]["list"][0]["name"].is_null());
    assert_eq!(st["opinions"]["speakers"], 0);

    let db = server.dir.join("handsup.db");
    let conn =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let bodies = crate::support::stored_event_bodies(&conn);
    let posted: Vec<Value> = bodies
        .iter()
        .filter(|b| b.contains("opinion_posted"))
        .map(|b| serde_json::from_str(b).unwrap())
        .collect();
    assert_eq!(posted.len(), 1, "{bodies:#?}");
    let p = &posted[0];
    assert_eq!(p["by"], "system", "{p}");
    assert!(p.get("cid").is_none(), "{p}");
    assert!(p["event"].get("member").is_none(), "{p}");
    assert!(p["event"].get("sender").is_none(), "{p}");
    assert!(!p.to_string().contains(cid));
}

#[tokio::test]
async fn opinions_upvotes_scores_and_the_clock_survive_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let clock = ManualClock::new(1_700_000_000_000);
    let c: Arc<dyn Clock> = Arc::new(clock.clone());
    let mut server = TestServer::start_in(&dir, Some(c.clone())).await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    let mut lan = Client::member(&server, &pin, "Lan").await;
    let mut minh = Client::member(&server, &pin, "Minh").await;
    let items = json!([{"title": "Góp ý dự thảo", "kind": "opinions", "minutes": 30}]);
    ok(
        &mut host,
        json!({"type": "agenda_set", "template": "custom", "items": items}),
    )
    .await;
    ok(
        &mut host,
        json!({"type": "opinion_settings", "moderate": false}),
    )
    .await;
    ok(&mut host, json!({"type": "meeting_open"})).await;
    clock.advance(5 * MINUTE);
    ok(&mut host, json!({"type": "item_start", "item": 0})).await;
    lan.command(json!({"type": "opinion", "text": "Ý kiến của Lan"}))
        .await
        .unwrap();
    let up = json!({"type": "upvote", "opinion": 1, "cid": "minh-up-1"});
    minh.command(up.clone()).await.unwrap();
    ok(&mut host, json!({"type": "evaluation_open"})).await;
    minh.command(json!({"type": "evaluation_score", "scores": [20, 18, 20, 20, 20]}))
        .await
        .unwrap();
    let token = minh.token.clone().unwrap();
    drop((lan, minh, host));
    server.stop().await;

    // The server was down for ten minutes: the meeting went on.
    clock.advance(10 * MINUTE);
    let server = TestServer::start_in(&dir, Some(c)).await;
    let mut minh = Client::connect(&server).await;
    minh.hello("member", &pin, json!({"token": token}))
        .await
        .unwrap();
    let st = minh.wait_type("state").await;
    assert_eq!(st["agenda"]["current"], 0);
    assert_eq!(st["agenda"]["elapsed_ms"], 15 * MINUTE);
    assert_eq!(st["agenda"]["item_elapsed_ms"], 10 * MINUTE);
    assert_eq!(st["opinions"]["list"][0]["text"], "Ý kiến của Lan");
    assert_eq!(st["opinions"]["list"][0]["name"], "Lan");
    assert_eq!(st["opinions"]["list"][0]["upvotes"], 1);
    assert_eq!(st["evaluation"]["scored"], 1);
    let me = minh.wait_type("me").await;
    assert_eq!(me["activities"]["upvoted"], json!([1]));
    assert_eq!(me["activities"]["scores"], json!([20, 18, 20, 20, 20]));
    // The upvote resent after the restart is acknowledged, counted once.
    minh.command(up).await.unwrap();
    minh.refused(
        json!({"type": "evaluation_score", "scores": [20, 20, 20, 20, 20]}),
        "already_scored",
    )
    .await;
    let host = Client::host(&server, &pin).await;
    let st = host.log.iter().rfind(|f| f["type"] == "state").unwrap();
    assert_eq!(st["opinions"]["list"][0]["upvotes"], 1);
}

#[tokio::test]
async fn the_committee_proposes_the_scores_and_the_cell_approves_them_by_vote() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    let mut voters = Vec::new();
    for name in ["An", "Bình", "Cường"] {
        voters.push(Client::member(&server, &pin, name).await);
    }
    ok(
        &mut host,
        json!({"type": "evaluation_set", "mode": "committee"}),
    )
    .await;
    host.refused(
        json!({"type": "evaluation_propose", "scores": [20, 20, 20, 20, 21]}),
        "score_out_of_range",
    )
    .await;
    ok(
        &mut host,
        json!({"type": "evaluation_propose", "scores": [20, 20, 20, 20, 12]}),
    )
    .await;
    let st = state_where(&mut voters[0], "proposal", |v| {
        v["evaluation"]["motion"] == 1
    })
    .await;
    assert_eq!(st["evaluation"]["result"]["total"], 92.0);
    assert_eq!(st["evaluation"]["result"]["band"], "good");
    assert!(st["evaluation"]["result"]["approved"].is_null());
    // Members do not score in this mode.
    voters[0]
        .refused(
            json!({"type": "evaluation_score", "scores": [20, 20, 20, 20, 20]}),
            "evaluation_not_open",
        )
        .await;
    let hs = state_where(&mut host, "the motion", |v| {
        v["motions"].as_array().is_some_and(|m| m.len() == 1)
    })
    .await;
    assert!(
        hs["motions"][0]["text"]
            .as_str()
            .unwrap()
            .contains("92 / 100 điểm, xếp loại Tốt")
    );
    ok(&mut host, json!({"type": "motion_open", "motion": 1})).await;
    for v in voters.iter_mut().take(2) {
        v.command(json!({"type": "vote", "motion": 1, "option": 0}))
            .await
            .unwrap();
    }
    ok(&mut host, json!({"type": "motion_close", "motion": 1})).await;
    let st = state_where(&mut voters[2], "approved", |v| {
        v["evaluation"]["result"]["approved"] == true
    })
    .await;
    assert_eq!(st["motion"]["result"]["decision"], "passed");
}

/// Both languages of the agenda, opinion and evaluation strings hold the
/// same keys (an English `_one` form is extra).
#[test]
fn both_languages_hold_every_meeting_string() {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/web/i18n-meeting.js"))
        .unwrap();
    let (vi, en) = src.split_once("export const en").unwrap();
    let keys = |s: &str| -> std::collections::BTreeSet<String> {
        s.lines()
            .filter_map(|l| l.trim().strip_prefix('\''))
            .filter_map(|l| l.split_once('\'').map(|(k, _)| k.to_string()))
            .filter(|k| !k.ends_with("_one"))
            .collect()
    };
    let (vi, en) = (keys(vi), keys(en));
    assert!(vi.len() > 100);
    assert_eq!(
        vi.difference(&en).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "missing in English"
    );
    assert_eq!(
        en.difference(&vi).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "missing in Vietnamese"
    );
}

/// Every acknowledged opinion, upvote, moderation and conclusion survives
/// a SIGKILL right after its ack.
#[tokio::test]
async fn acknowledged_opinions_survive_a_sigkill() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = crate::support::Binary::start(tmp.path(), "").expect("server starts");
    let pin = bin.create_meeting("alltypes").await;
    let mut host = Client::connect_addr(bin.addr).await;
    host.hello("host", &pin, json!({"secret": crate::support::SECRET}))
        .await
        .unwrap();
    let mut members = Vec::new();
    for name in ["An", "Bình", "Cường"] {
        let mut c = Client::connect_addr(bin.addr).await;
        c.hello("member", &pin, json!({"name": name}))
            .await
            .unwrap();
        members.push(c);
    }
    let items = json!([{"title": "Góp ý", "kind": "opinions", "minutes": 10}]);
    ok(
        &mut host,
        json!({"type": "agenda_set", "template": "custom", "items": items}),
    )
    .await;
    ok(&mut host, json!({"type": "meeting_open"})).await;
    ok(&mut host, json!({"type": "item_start", "item": 0})).await;
    for (i, m) in members.iter_mut().enumerate() {
        m.command(json!({"type": "opinion", "text": format!("Ý kiến số {i}")}))
            .await
            .unwrap();
    }
    ok(
        &mut host,
        json!({"type": "opinion_moderate", "opinion": 2, "action": "approve"}),
    )
    .await;
    members[0]
        .command(json!({"type": "upvote", "opinion": 2}))
        .await
        .unwrap();
    ok(
        &mut host,
        json!({"type": "item_conclude", "item": 0, "text": "Tiếp thu"}),
    )
    .await;
    bin.kill();

    let bin = crate::support::Binary::start(tmp.path(), "").expect("server restarts");
    let mut host = Client::connect_addr(bin.addr).await;
    host.hello("host", &pin, json!({"secret": crate::support::SECRET}))
        .await
        .unwrap();
    let st = host.wait_type("state").await;
    let list = st["opinions"]["list"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[1]["status"], "shown");
    assert_eq!(list[1]["upvotes"], 1);
    assert_eq!(list[0]["status"], "pending");
    assert_eq!(st["agenda"]["current"], 0);
    assert_eq!(st["agenda"]["items"][0]["conclusion"], "Tiếp thu");
}

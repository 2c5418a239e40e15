//! Voting on motions over the real protocol: roster, attendance,
//! eligibility, open and secret ballots, decisions, reservations.

use serde_json::{Value, json};

use crate::support::{Binary, Client, SECRET, TestServer};

const ROSTER_CSV: &str = "Họ và tên;Mã đảng viên;Loại;Tổ\n\
Nguyễn Văn An;DV01;Chính thức;Tổ 1\n\
Trần Thị Bình;DV02;chính thức;Tổ 1\n\
Lê Văn Cường;DV03;Chính thức;Tổ 2\n\
Phạm Thị Dung;DV04;Dự bị;Tổ 2\n\
Hoàng Văn Em;DV05;Miễn sinh hoạt;Tổ 2\n";

async fn import_roster(server: &TestServer, pin: &str, body: &str) -> reqwest::Response {
    server.upload_roster(pin, body.to_string()).await
}

/// Personal join keys by member code.
async fn keys(server: &TestServer, pin: &str) -> Vec<(String, String)> {
    server
        .roster(pin)
        .await
        .iter()
        .map(|e| {
            let url = e["join_url"].as_str().unwrap();
            assert!(
                url.starts_with(&format!("http://{}/j/{pin}?k=", server.addr)),
                "{url}"
            );
            let key = url.split("?k=").nth(1).unwrap().to_string();
            (e["code"].as_str().unwrap().to_string(), key)
        })
        .collect()
}

async fn join_with_key(server: &TestServer, pin: &str, key: &str) -> Client {
    let mut c = Client::connect(server).await;
    c.hello("member", pin, json!({"key": key}))
        .await
        .expect("joins with the personal QR");
    c.wait_type("state").await;
    c
}

fn key_of<'a>(keys: &'a [(String, String)], code: &str) -> &'a str {
    &keys.iter().find(|k| k.0 == code).unwrap().1
}

#[tokio::test]
async fn an_open_ballot_with_a_roster_from_join_to_decision() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let r = import_roster(&server, &pin, ROSTER_CSV).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["imported"], 5);
    let keys = keys(&server, &pin).await;
    let mut host = Client::host(&server, &pin).await;
    let mut screen = Client::screen(&server, &pin).await;

    // Personal QR codes join as the roster member, with the roster's name.
    let mut an = join_with_key(&server, &pin, key_of(&keys, "DV01")).await;
    assert_eq!(an.log[0]["member"]["name"], "Nguyễn Văn An");
    let mut binh = join_with_key(&server, &pin, key_of(&keys, "DV02")).await;
    let mut dung = join_with_key(&server, &pin, key_of(&keys, "DV04")).await;
    // Someone not on the roster is turned away until the host allows guests.
    let mut guest = Client::connect(&server).await;
    let e = guest
        .hello("member", &pin, json!({"name": "Khách"}))
        .await
        .unwrap_err();
    assert_eq!(e["code"], "guests_not_allowed");
    host.command(json!({"type": "settings", "allow_guests": true}))
        .await
        .unwrap();
    guest
        .hello("member", &pin, json!({"name": "Khách"}))
        .await
        .expect("guests allowed now");
    let mut bad = Client::connect(&server).await;
    assert_eq!(
        bad.hello(
            "member",
            &pin,
            json!({"key": "bm90LWEtcmVhbC1rZXktYXQtYWxsLXgx"})
        )
        .await
        .unwrap_err()["code"],
        "bad_token"
    );

    // Attendance as the chair reads it: 3 official + 1 probationary convened;
    // the exempt member is absent, so neither convened nor absent
    // (RULES.md:125), and not counted among eligible.
    // Wait for the whole figure: the three roster members and the guest
    // (a frame showing "3 present" may precede the guest's count).
    let live = screen
        .wait("attendance with 3 present and 1 guest", |v| {
            v["type"] == "live" && v["attendance"]["present"] == 3 && v["attendance"]["guests"] == 1
        })
        .await;
    let a = &live["attendance"];
    assert_eq!(
        (
            a["convened"].as_u64(),
            a["absent"].as_u64(),
            a["unexcused"].as_u64(),
            a["guests"].as_u64()
        ),
        (Some(4), Some(1), Some(1), Some(1))
    );
    assert_eq!(a["rate"], 75.0);
    let exempt = &a["by_status"][2];
    assert_eq!(
        (&exempt["status"], &exempt["listed"], &exempt["absent"]),
        (&json!("exempt"), &json!(1), &json!(0))
    );
    assert_eq!(
        (
            a["eligible_convened"].as_u64(),
            a["eligible_present"].as_u64()
        ),
        (Some(3), Some(2))
    );

    host.command(json!({"type": "motion_create", "text": "Thông qua Nghị quyết chi bộ tháng 11"}))
        .await
        .unwrap();
    host.command(json!({"type": "motion_open", "motion": 1}))
        .await
        .unwrap();
    let st = an
        .wait("motion open", |v| {
            v["type"] == "state" && v["motion"]["status"] == "open"
        })
        .await;
    assert_eq!(
        st["motion"]["options"],
        json!(["Tán thành", "Không tán thành", "Không biểu quyết"])
    );
    // Eligibility comes with the member's own view from the start.
    let me = dung.wait_type("me").await;
    assert_eq!(me["eligible"], false);
    assert_eq!(me["reason"], "probationary");
    let me = an
        .log
        .iter()
        .rev()
        .find(|v| v["type"] == "me")
        .unwrap()
        .clone();
    assert_eq!(
        (me["eligible"].as_bool(), me["status"].as_str()),
        (Some(true), Some("official"))
    );

    // Refusals change nothing.
    let e = dung
        .refused(
            json!({"type": "vote", "motion": 1, "option": 0}),
            "not_eligible",
        )
        .await;
    assert!(e["message"].as_str().unwrap().contains("probationary"));
    guest
        .refused(
            json!({"type": "vote", "motion": 1, "option": 0}),
            "not_eligible",
        )
        .await;
    an.refused(
        json!({"type": "vote", "motion": 1, "option": 3}),
        "option_out_of_range",
    )
    .await;
    an.refused(
        json!({"type": "vote", "motion": 9, "option": 0}),
        "unknown_motion",
    )
    .await;
    host.refused(
        json!({"type": "vote", "motion": 1, "option": 0}),
        "forbidden",
    )
    .await;

    an.command(json!({"type": "vote", "motion": 1, "option": 0}))
        .await
        .expect("vote");
    // A reconnecting phone is told its choice on an open ballot.
    let mut again = Client::connect(&server).await;
    again
        .hello("member", &pin, json!({"token": an.token.clone().unwrap()}))
        .await
        .unwrap();
    let me = again.wait("my vote", |v| v["type"] == "me").await;
    assert_eq!(
        (me["vote"]["voted"].as_bool(), me["vote"]["option"].as_u64()),
        (Some(true), Some(0)),
        "an open ballot shows the member their choice"
    );
    let mut an = again;
    an.refused(
        json!({"type": "vote", "motion": 1, "option": 1}),
        "already_voted",
    )
    .await;

    // The host sees who present has not voted yet.
    let m = host
        .wait("voted flags", |v| {
            v["type"] == "members"
                && v["members"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r["voted"] == true)
        })
        .await;
    let not_voted: Vec<&str> = m["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["voted"] == false)
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(not_voted.contains(&"Trần Thị Bình"));
    let live = screen
        .wait("one vote", |v| {
            v["type"] == "live" && v["vote"]["voted"] == 1
        })
        .await;
    assert_eq!(live["vote"]["eligible_present"], 2);
    assert_eq!(
        live["vote"]["counts"],
        json!([1, 0, 0]),
        "live tally on the projector"
    );

    binh.command(json!({"type": "vote", "motion": 1, "option": 1}))
        .await
        .unwrap();
    host.command(json!({"type": "motion_close", "motion": 1}))
        .await
        .unwrap();
    let st = screen
        .wait("result", |v| {
            v["type"] == "state" && v["motion"]["status"] == "closed"
        })
        .await;
    let r = &st["motion"]["result"];
    // Base: the 3 official members convened; more than half needs 2; 1 approval.
    assert_eq!(r["counts"], json!([1, 1, 0]));
    assert_eq!(r["outcome"]["base_size"], 3);
    assert_eq!(r["outcome"]["required"], 2);
    assert_eq!(r["decision"], "not_passed");
    // The why is codes and numbers (pages word it in the meeting's wording).
    assert_eq!(r["outcome"]["reason"], "not_enough_approvals", "{r}");
    assert!(r.get("explain_vi").is_none(), "no server-worded text: {r}");
    assert_eq!(r["percent_of_base"][0], 33.3);
    assert!(
        st["motion"].get("voters").is_none(),
        "the projector does not list voters by default"
    );
    let hs = host
        .wait("host result", |v| {
            v["type"] == "state" && v["motion"]["status"] == "closed"
        })
        .await;
    assert_eq!(
        hs["motion"]["voters"].as_array().unwrap().len(),
        2,
        "the host sees an open ballot"
    );

    an.refused(
        json!({"type": "vote", "motion": 1, "option": 0}),
        "motion_closed",
    )
    .await;
    // A reservation: only from the minority, once.
    binh.refused(
        json!({"type": "reserve", "motion": 1, "text": "Tôi đồng ý"}),
        "not_in_minority",
    )
    .await;
    an.command(json!({"type": "reserve", "motion": 1, "text": "Tôi bảo lưu ý kiến tán thành."}))
        .await
        .expect("reservation");
    an.refused(
        json!({"type": "reserve", "motion": 1, "text": "lần nữa"}),
        "already_reserved",
    )
    .await;
    let hs = host
        .wait("reservation", |v| {
            v["type"] == "state" && v["motion"]["result"]["reservations"] == 1
        })
        .await;
    assert_eq!(hs["motion"]["reservations"][0]["name"], "Nguyễn Văn An");
}

#[tokio::test]
async fn the_rules_example_twenty_convened_twelve_present() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let csv: String = std::iter::once("name,code,status\n".to_string())
        .chain((1..=20).map(|i| format!("Đảng viên {i},C{i:02},official\n")))
        .collect();
    assert_eq!(import_roster(&server, &pin, &csv).await.status(), 200);
    let keys = keys(&server, &pin).await;
    let mut host = Client::host(&server, &pin).await;
    let mut present = Vec::new();
    for (_, key) in keys.iter().take(12) {
        present.push(join_with_key(&server, &pin, key).await);
    }
    for (id, approvals) in [(1, 11), (2, 10)] {
        host.command(json!({"type": "motion_create", "text": format!("Nghị quyết {id}")}))
            .await
            .unwrap();
        host.command(json!({"type": "motion_open", "motion": id}))
            .await
            .unwrap();
        for (i, m) in present.iter_mut().enumerate() {
            let option = if i < approvals { 0 } else { 2 };
            m.command(json!({"type": "vote", "motion": id, "option": option}))
                .await
                .unwrap();
        }
        host.command(json!({"type": "motion_close", "motion": id}))
            .await
            .unwrap();
        let st = host
            .wait("result", |v| {
                v["type"] == "state" && v["motion"]["id"] == id && v["motion"]["status"] == "closed"
            })
            .await;
        let o = &st["motion"]["result"]["outcome"];
        assert_eq!(
            (o["base_size"].as_u64(), o["required"].as_u64()),
            (Some(20), Some(11))
        );
        let expected = if approvals == 11 {
            "passed"
        } else {
            "not_passed"
        };
        assert_eq!(
            st["motion"]["result"]["decision"], expected,
            "{approvals} of 20"
        );
    }
}

#[tokio::test]
async fn quorum_is_checked_when_opening_and_closing() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let csv = "name,code,status\nA,1,official\nB,2,official\nC,3,official\n";
    import_roster(&server, &pin, csv).await;
    let keys = keys(&server, &pin).await;
    let mut host = Client::host(&server, &pin).await;
    let mut a = join_with_key(&server, &pin, &keys[0].1).await;
    let quorum =
        json!({"base": "convened", "threshold": "more_than_half", "quorum": {"num": 2, "den": 3}});
    host.command(json!({"type": "motion_create", "text": "Cần 2/3 có mặt", "rule": quorum}))
        .await
        .unwrap();
    let e = host
        .refused(json!({"type": "motion_open", "motion": 1}), "no_quorum")
        .await;
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("2 eligible members must be present, 1 are"),
        "{e}"
    );
    let mut b = join_with_key(&server, &pin, &keys[1].1).await;
    host.command(json!({"type": "motion_open", "motion": 1}))
        .await
        .expect("quorum met");
    a.command(json!({"type": "vote", "motion": 1, "option": 0}))
        .await
        .unwrap();
    b.command(json!({"type": "vote", "motion": 1, "option": 0}))
        .await
        .unwrap();
    // B leaves before the vote closes: the quorum is lost.
    b.command(json!({"type": "leave"})).await.unwrap();
    host.command(json!({"type": "motion_close", "motion": 1}))
        .await
        .unwrap();
    let st = host
        .wait("result", |v| {
            v["type"] == "state" && v["motion"]["status"] == "closed"
        })
        .await;
    let r = &st["motion"]["result"];
    assert_eq!(r["decision"], "not_passed");
    assert_eq!(r["outcome"]["reason"], "quorum_lost_before_close");
}

#[tokio::test]
async fn changes_when_allowed_and_templates() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    let mut lan = Client::member(&server, &pin, "Lan").await;
    host.command(json!({"type": "motion_create", "text": "Đổi được", "changes_allowed": true}))
        .await
        .unwrap();
    host.refused(
        json!({"type": "motion_create", "text": "Kín mà đổi", "template": "discipline", "changes_allowed": true}),
        "invalid_motion",
    )
    .await;
    host.refused(
        json!({"type": "motion_create", "text": ""}),
        "invalid_motion",
    )
    .await;
    host.command(json!({"type": "motion_create", "text": "Khai trừ", "template": "expulsion"}))
        .await
        .unwrap();
    let st = host
        .wait("two motions", |v| {
            v["type"] == "state" && v["motions"].as_array().is_some_and(|m| m.len() == 2)
        })
        .await;
    let exp = &st["motions"][1];
    assert_eq!(
        (exp["ballot"].as_str(), exp["live_tally"].as_bool()),
        (Some("secret"), Some(false))
    );
    assert_eq!(exp["rule"]["threshold"], "at_least_two_thirds");

    host.command(json!({"type": "motion_open", "motion": 1}))
        .await
        .unwrap();
    host.refused(json!({"type": "motion_open", "motion": 2}), "wrong_phase")
        .await;
    host.refused(
        json!({"type": "motion_update", "motion": 1, "text": "x"}),
        "wrong_phase",
    )
    .await;
    lan.command(json!({"type": "vote", "motion": 1, "option": 0}))
        .await
        .unwrap();
    lan.command(json!({"type": "vote", "motion": 1, "option": 1}))
        .await
        .expect("changed");
    host.command(json!({"type": "motion_close", "motion": 1}))
        .await
        .unwrap();
    let st = host
        .wait("result", |v| {
            v["type"] == "state" && v["motion"]["status"] == "closed"
        })
        .await;
    assert_eq!(st["motion"]["result"]["counts"], json!([0, 1, 0]));
    assert_eq!(st["motion"]["result"]["voted"], 1);
}

#[tokio::test]
async fn bad_roster_and_motion_files_name_what_to_fix_and_change_nothing() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    assert_eq!(import_roster(&server, &pin, ROSTER_CSV).await.status(), 200);
    let bad = "name,code,status\nAn,1,official\n,2,official\nBình,1,official\nCường,3,chairman\n";
    let r = import_roster(&server, &pin, bad).await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_roster");
    let problems = body["problems"].as_array().unwrap();
    let rows: Vec<u64> = problems
        .iter()
        .map(|p| p["row"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, vec![3, 4, 5], "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p["message"].as_str().unwrap().contains("row 2")),
        "names the earlier row"
    );
    assert_eq!(problems[2]["column"], "status");
    let r = import_roster(&server, &pin, "ten,ma\nAn,1\n").await;
    let body: Value = r.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("status"),
        "{body}"
    );
    // Nothing changed: the first roster is still there.
    assert_eq!(keys(&server, &pin).await.len(), 5);

    let motions = |body: &str| {
        server
            .http
            .post(server.url(&format!("/api/meetings/{pin}/motions")))
            .bearer_auth(SECRET)
            .body(body.to_string())
            .send()
    };
    let r = motions("## Nghị quyết\ntemplate: vote\n").await.unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["problems"][0]["line"], 2);
    let r = motions("## Nghị quyết tháng 11\n\n## Kỷ luật\ntemplate: discipline\n")
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.json::<Value>().await.unwrap()["created"], json!([1, 2]));
    let r = server
        .http
        .post(server.url(&format!("/api/meetings/{pin}/roster")))
        .body(ROSTER_CSV)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "roster changes need the host secret");
}

#[tokio::test]
async fn roster_entries_are_edited_by_the_host() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    host.command(json!({"type": "roster_add", "name": "Lan", "code": "A1", "status": "official"}))
        .await
        .unwrap();
    host.command(json!({"type": "roster_add", "name": "Minh", "code": "A2", "status": "dự bị"}))
        .await
        .unwrap();
    host.refused(
        json!({"type": "roster_add", "name": "X", "code": "A1", "status": "official"}),
        "invalid_roster",
    )
    .await;
    host.refused(
        json!({"type": "roster_add", "name": "", "code": "A3", "status": "official"}),
        "invalid_roster",
    )
    .await;
    host.refused(
        json!({"type": "roster_add", "name": "Y", "code": "A3", "status": "boss"}),
        "invalid_roster",
    )
    .await;
    host.command(
        json!({"type": "roster_update", "name": "Minh", "code": "A2", "status": "official"}),
    )
    .await
    .unwrap();
    host.command(json!({"type": "excuse", "code": "A1", "excused": true}))
        .await
        .unwrap();
    host.refused(
        json!({"type": "excuse", "code": "Z9", "excused": true}),
        "unknown_roster_entry",
    )
    .await;
    host.command(json!({"type": "settings", "allow_guests": true}))
        .await
        .unwrap();
    let mut g = Client::member(&server, &pin, "Minh ở nhà").await;
    host.command(json!({"type": "assign", "member": g.member.unwrap(), "code": "A2"}))
        .await
        .unwrap();
    let me = g
        .wait("status", |v| v["type"] == "me" && v["status"] == "official")
        .await;
    assert_eq!(me["status"], "official");
    let m = host
        .wait("roster", |v| {
            v["type"] == "members"
                && v["roster"]
                    .as_array()
                    .is_some_and(|r| r.len() == 2 && r[1]["present"] == true)
        })
        .await;
    assert_eq!(m["roster"][0]["excused"], true);
    host.command(json!({"type": "roster_remove", "code": "A1"}))
        .await
        .unwrap();
}

/// Secret ballots: after a real vote, neither the database file, its log,
/// nor the server's logs link any member to a choice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_ballot_leaves_no_link_between_member_and_choice() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = Binary::start(tmp.path(), "RUST_LOG=trace").expect("starts");
    let pin = bin.create_meeting("alltypes").await;
    let mut host = Client::connect_addr(bin.addr).await;
    host.hello("host", &pin, json!({"secret": SECRET}))
        .await
        .unwrap();
    host.command(
        json!({"type": "motion_create", "text": "Kỷ luật đồng chí X", "template": "discipline"}),
    )
    .await
    .unwrap();
    host.command(json!({"type": "motion_open", "motion": 1}))
        .await
        .unwrap();
    let names = ["Zeta Voter", "Omega Voter", "Sigma Voter", "Kappa Voter"];
    let choices = [0usize, 1, 1, 2];
    let mut members = Vec::new();
    for (name, option) in names.iter().zip(choices) {
        let mut c = Client::connect_addr(bin.addr).await;
        c.hello("member", &pin, json!({"name": name}))
            .await
            .unwrap();
        // Too few ballots to form a group of five: each waits in the box,
        // counted, and is written (and acknowledged) at close.
        let r = c
            .ballot(json!({"type": "vote", "motion": 1, "option": option}))
            .await
            .unwrap();
        assert_eq!(r["type"], "received", "{r}");
        // A phone that reconnects learns it voted, never what.
        let mut again = Client::connect_addr(bin.addr).await;
        again
            .hello("member", &pin, json!({"token": c.token.clone().unwrap()}))
            .await
            .unwrap();
        let me = again.wait("my vote", |v| v["type"] == "me").await;
        assert_eq!(me["vote"]["voted"], true);
        assert!(
            me["vote"]["option"].is_null(),
            "a secret choice is never sent back: {me}"
        );
        members.push(c);
        members.push(again);
    }
    let live = host
        .wait("count", |v| v["type"] == "live" && v["vote"]["voted"] == 4)
        .await;
    assert!(live["vote"]["counts"].is_null(), "hidden until close");
    host.command(json!({"type": "motion_close", "motion": 1}))
        .await
        .unwrap();
    // Closing writes the four ballots as one group and acknowledges them,
    // each on the member's page of now (the second one).
    for pair in members.chunks_mut(2) {
        let cid = pair[0]
            .log
            .iter()
            .find(|f| f["type"] == "received")
            .unwrap()["cid"]
            .as_str()
            .unwrap()
            .to_string();
        pair[1].wait_ack(&cid).await;
    }
    let st = host
        .wait("result", |v| {
            v["type"] == "state" && v["motion"]["status"] == "closed"
        })
        .await;
    assert_eq!(st["motion"]["result"]["counts"], json!([1, 2, 1, 0, 0]));
    assert!(
        st["motion"].get("voters").is_none(),
        "no voter list for a secret ballot"
    );
    for f in host
        .log
        .iter()
        .chain(members.iter().flat_map(|m| m.log.iter()))
    {
        let t = f.to_string();
        assert!(
            !(t.contains("\"option\":1") && t.contains("Omega")),
            "a message links: {t}"
        );
    }

    // The database: who voted is kept apart from the counts.
    let db = tmp.path().join("handsup.db");
    let wal = tmp.path().join("handsup.db-wal");
    assert_eq!(
        std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0),
        0,
        "the log was truncated at close"
    );
    let conn =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let bodies = crate::support::stored_event_bodies(&conn);
    let cast: Vec<&String> = bodies
        .iter()
        .filter(|b| b.contains("ballot_cast"))
        .collect();
    assert_eq!(cast.len(), 4);
    let sealed: Vec<Value> = bodies
        .iter()
        .map(|b| serde_json::from_str::<Value>(b).unwrap())
        .map(|b| b["event"].clone())
        .filter(|e| e["kind"] == "ballots_sealed")
        .collect();
    assert_eq!(
        sealed,
        vec![json!({"kind": "ballots_sealed", "motion": 1, "ballots": 4})],
        "one group of four"
    );
    for b in &cast {
        assert!(
            !b.contains("option"),
            "a stored ballot names its choice: {b}"
        );
    }
    let counts: Vec<(i64, i64)> = conn
        .prepare("SELECT option, count FROM secret_counts ORDER BY option")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(counts, vec![(0, 1), (1, 2), (2, 1)], "aggregates only");
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        tables,
        vec![
            "meetings",
            "events",
            "secret_counts",
            "deleted_pins",
            "banks",
            "meeting_leases",
            "nodes"
        ],
        "no other place to hide a link (deleted_pins holds PINs, banks the host's uploads, meeting_leases nodes and epochs, nodes a cluster's addresses)"
    );

    // The logs: full tracing output mentions no vote and no choice.
    let logs = bin.logs.lock().unwrap().clone();
    assert!(
        logs.contains("meeting created"),
        "the logs were captured: {logs}"
    );
    for name in names {
        let line = logs.lines().find(|l| l.contains(name));
        assert!(line.is_none(), "the logs name a voter: {line:?}");
    }
    assert!(
        !logs.to_lowercase().contains("ballot"),
        "the logs mention a ballot"
    );
}

#[tokio::test]
async fn an_xlsx_roster_imports_with_numeric_member_codes() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["STT", "Họ và tên", "Mã đảng viên", "Tình trạng"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let rows = [
        ("Nguyễn Văn An", 10231.0, "Chính thức"),
        ("Lê Thị Hoa", 10232.0, "Dự bị"),
    ];
    for (r, (name, code, status)) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write_number(r, 0, f64::from(r)).unwrap();
        sheet.write_string(r, 1, *name).unwrap();
        sheet.write_number(r, 2, *code).unwrap();
        sheet.write_string(r, 3, *status).unwrap();
    }
    let bytes = book.save_to_buffer().unwrap();
    assert_eq!(server.upload_roster(&pin, bytes).await.status(), 200);
    let roster = server.roster(&pin).await;
    assert_eq!(
        roster[0]["code"], "10231",
        "a number typed in Excel is a plain code"
    );
    assert_eq!(roster[1]["status"], "probationary");
    assert!(
        roster[0]["qr_url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("/qr/{pin}.svg?k="))
    );
    let qr = server
        .http
        .get(server.url(roster[0]["qr_url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(qr.status(), 200, "the personal QR code renders");
}

#[tokio::test]
async fn a_guest_who_scans_their_personal_qr_becomes_that_roster_member() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    import_roster(
        &server,
        &pin,
        "name,code,status\nLan,A1,official\nMinh,A2,official\n",
    )
    .await;
    let keys = keys(&server, &pin).await;
    let mut host = Client::host(&server, &pin).await;
    // An unknown token alone is a bad token, not a guest.
    let mut stranger = Client::connect(&server).await;
    let e = stranger
        .hello(
            "member",
            &pin,
            json!({"token": "c3RyYW5nZXItdG9rZW4tMTIzNDU2"}),
        )
        .await
        .unwrap_err();
    assert_eq!(e["code"], "bad_token");

    host.command(json!({"type": "settings", "allow_guests": true}))
        .await
        .unwrap();
    let mut g = Client::member(&server, &pin, "Lan ở cửa").await;
    let (id, token) = (g.member.unwrap(), g.token.clone().unwrap());
    let mut again = Client::connect(&server).await;
    let w = again
        .hello(
            "member",
            &pin,
            json!({"token": token, "key": key_of(&keys, "A1")}),
        )
        .await
        .expect("the guest becomes the roster member");
    assert_eq!(w["member"]["id"], id, "the same member, not a second one");
    let me = again.wait_type("me").await;
    assert_eq!(
        (me["status"].as_str(), me["eligible"].as_bool()),
        (Some("official"), Some(true))
    );
    g.wait_type("bye").await;
    let live = host
        .wait("attendance", |v| {
            v["type"] == "live" && v["attendance"]["present"] == 1
        })
        .await;
    assert_eq!(
        live["attendance"]["guests"], 0,
        "no orphan guest left behind"
    );
    // Lan's phone opens Minh's personal code: the key decides, with a new token.
    let mut minh = Client::connect(&server).await;
    let w = minh
        .hello(
            "member",
            &pin,
            json!({"token": token, "key": key_of(&keys, "A2")}),
        )
        .await
        .unwrap();
    assert_eq!(w["member"]["name"], "Minh");
    assert_ne!(
        w["member"]["token"],
        token.as_str(),
        "Minh gets a token of his own"
    );

    // The host sees who chose what on an open ballot as votes come in.
    host.command(json!({"type": "motion_create", "text": "Nghị quyết"}))
        .await
        .unwrap();
    host.command(json!({"type": "motion_open", "motion": 1}))
        .await
        .unwrap();
    again
        .command(json!({"type": "vote", "motion": 1, "option": 2}))
        .await
        .unwrap();
    let m = host
        .wait("choice", |v| {
            v["type"] == "members"
                && v["members"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r["choice"] == 2)
        })
        .await;
    assert_eq!(m["members"][0]["voted"], true);
}

/// Issue 14 item 2: members without phones. The host marks two officials
/// present by hand and enters their show of hands; a phone vote and the hand
/// count are combined, the source of each count is kept (and replayed after
/// a restart), and nobody is counted twice.
#[tokio::test]
async fn a_hybrid_vote_of_phones_and_a_show_of_hands() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    assert_eq!(import_roster(&server, &pin, ROSTER_CSV).await.status(), 200);
    let keys = keys(&server, &pin).await;
    let mut host = Client::host(&server, &pin).await;
    let mut an = join_with_key(&server, &pin, key_of(&keys, "DV01")).await;

    for code in ["DV02", "DV03"] {
        host.command(json!({"type": "mark", "code": code, "present": true}))
            .await
            .expect("marked present by hand");
    }
    // Marked twice, or already present on a phone: refused.
    for code in ["DV02", "DV01"] {
        let e = host
            .refused(
                json!({"type": "mark", "code": code, "present": true}),
                "wrong_phase",
            )
            .await;
        assert_eq!(e["params"]["problem"], "already_present", "{code}");
    }
    let live = host
        .wait("three present", |v| {
            v["type"] == "live" && v["attendance"]["present"] == 3
        })
        .await;
    assert_eq!(live["attendance"]["eligible_present"], 3);

    host.command(json!({"type": "motion_create", "text": "Thông qua Nghị quyết"}))
        .await
        .unwrap();
    host.command(json!({"type": "motion_open", "motion": 1}))
        .await
        .unwrap();
    an.command(json!({"type": "vote", "motion": 1, "option": 0}))
        .await
        .expect("phone vote");
    // Three hands for two members without phones: refused, nothing counted.
    let e = host
        .refused(
            json!({"type": "hand_count", "motion": 1, "counts": [3, 0, 0]}),
            "invalid_ballot",
        )
        .await;
    assert_eq!(
        e["params"],
        json!({"problem": "hand_count_too_large", "counted": 3, "without_phones": 2})
    );
    host.command(json!({"type": "hand_count", "motion": 1, "counts": [1, 1, 0]}))
        .await
        .expect("hand count");
    // A member counted by hand who then joins by phone cannot vote again.
    let mut binh = join_with_key(&server, &pin, key_of(&keys, "DV02")).await;
    let e = binh
        .refused(
            json!({"type": "vote", "motion": 1, "option": 0}),
            "not_eligible",
        )
        .await;
    assert_eq!(e["params"]["problem"], "counted_by_hand");

    host.command(json!({"type": "motion_close", "motion": 1}))
        .await
        .unwrap();
    let st = host
        .wait("result", |v| {
            v["type"] == "state" && v["motion"]["status"] == "closed"
        })
        .await;
    let m = &st["motion"];
    assert_eq!(m["result"]["counts"], json!([2, 1, 0]));
    assert_eq!(m["hand_counts"], json!([1, 1, 0]));
    // Base: the 3 officials; more than half needs 2; 2 approvals.
    assert_eq!(m["result"]["decision"], "passed");

    // Kept in the record: the same after a restart.
    drop((host, an, binh));
    let server = server.restart().await;
    let screen = Client::screen(&server, &pin).await;
    // The first state after joining already holds the replayed motion.
    let st = screen
        .log
        .iter()
        .rev()
        .find(|v| v["type"] == "state")
        .expect("a state on joining")
        .clone();
    assert_eq!(st["motion"]["status"], "closed");
    assert_eq!(st["motion"]["result"]["counts"], json!([2, 1, 0]));
    assert_eq!(st["motion"]["hand_counts"], json!([1, 1, 0]));
}

/// Issue 14 item 3: members joined by name before the roster was imported;
/// the host is offered the name matches (ignoring case, spaces and
/// diacritics) as one list, confirms them, and each phone becomes that
/// roster member at once.
#[tokio::test]
async fn a_roster_imported_after_joins_offers_the_name_matches() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    let mut phones = Vec::new();
    for name in [
        "nguyen van an",
        "TRẦN THỊ BÌNH",
        "Lê Văn  Cường",
        "Người lạ",
    ] {
        phones.push(Client::member(&server, &pin, name).await);
    }
    assert_eq!(import_roster(&server, &pin, ROSTER_CSV).await.status(), 200);
    let m = host
        .wait("three matches", |v| {
            v["type"] == "members" && v["matches"].as_array().is_some_and(|a| a.len() == 3)
        })
        .await;
    let matches = m["matches"].as_array().unwrap().clone();
    let codes: Vec<&str> = matches
        .iter()
        .map(|x| x["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["DV01", "DV02", "DV03"]);
    assert_eq!(matches[0]["roster_name"], "Nguyễn Văn An");
    for x in &matches {
        host.command(json!({"type": "assign", "member": x["member"], "code": x["code"]}))
            .await
            .expect("confirmed");
    }
    for phone in phones.iter_mut().take(3) {
        let me = phone
            .wait("now a roster member", |v| {
                v["type"] == "me" && v["status"] == "official"
            })
            .await;
        assert_eq!(me["eligible"], true);
    }
    host.wait("no matches left", |v| {
        v["type"] == "members" && v.get("matches").is_none()
    })
    .await;
}

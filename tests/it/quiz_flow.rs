//! A meeting runs a quiz, from joining to the podium, over the real protocol.

use serde_json::{Value, json};

use crate::support::{Client, TestServer};

/// Keys that carry the answer key; none may reach a member or the projector
/// before the reveal.
const ANSWER_KEYS: &[&str] = &["correct", "answers", "answer_key", "explanation", "source"];
/// Texts of the typed question's accepted answer.
const SECRET_TEXTS: &[&str] = &["Zanzibar", "zanzibar", "Kilimanjaro"];

fn find_key<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Object(m) => m
            .get(key)
            .filter(|x| !x.is_null())
            .or_else(|| m.values().find_map(|x| find_key(x, key))),
        Value::Array(a) => a.iter().find_map(|x| find_key(x, key)),
        _ => None,
    }
}

/// Walks a client's log in order and checks that no frame received while a
/// question was open reveals its answer.
fn assert_no_leak(who: &str, log: &[Value]) -> usize {
    let mut phase = String::new();
    let mut checked = 0;
    for f in log {
        if f["type"] == "state" {
            phase = f["phase"].as_str().unwrap_or("").to_string();
        }
        if phase != "question" {
            continue;
        }
        checked += 1;
        for key in ANSWER_KEYS {
            assert!(
                find_key(f, key).is_none(),
                "{who} received `{key}` while a question was open: {f}"
            );
        }
        // A member's own submission is echoed back to them; that is not a leak.
        let mut f = f.clone();
        if f["type"] == "me" {
            f["answer"] = Value::Null;
        }
        let text = f.to_string();
        for s in SECRET_TEXTS {
            assert!(
                !text.contains(s),
                "{who} received the typed answer before the reveal: {f}"
            );
        }
    }
    checked
}

fn me_result(me: &Value) -> (bool, bool, u64) {
    let r = &me["result"];
    (
        r["correct"].as_bool().unwrap(),
        r["partial"].as_bool().unwrap(),
        r["points"].as_u64().unwrap(),
    )
}

/// Waits for the `me` frame that carries the result of question `q`.
async fn result_of(c: &mut Client, q: u64) -> (bool, bool, u64) {
    let me = c
        .wait("result", |v| {
            v["type"] == "me" && v["result"]["question"] == q
        })
        .await;
    me_result(&me)
}

#[tokio::test]
async fn a_whole_quiz_from_join_to_podium_without_leaking_answers() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    let mut screen = Client::screen(&server, &pin).await;
    let mut lan = Client::member(&server, &pin, "Lan").await;
    let mut minh = Client::member(&server, &pin, "Minh").await;
    let mut hung = Client::member(&server, &pin, "Hùng").await;

    // The projector's lobby counts the members and names the latest.
    let live = screen
        .wait("three joined", |v| v["type"] == "live" && v["joined"] == 3)
        .await;
    assert_eq!(live["recent"], json!(["Lan", "Minh", "Hùng"]));

    host.command(json!({"type": "start"})).await.expect("start");

    // (Lan, Minh, Hùng) answers to each question, and what each should score.
    let plays: Vec<(Value, Value, Value)> = vec![
        (
            json!({"choice": [1]}),
            json!({"choice": [0]}),
            json!({"choice": [1]}),
        ),
        (
            json!({"choice": [0, 2]}),
            json!({"choice": [0]}),
            json!({"choice": [1]}),
        ),
        (
            json!({"choice": [0]}),
            json!({"choice": [1]}),
            json!({"choice": [0]}),
        ),
        (
            json!({"text": "  zanzibar   KILIMANJARO "}),
            json!({"text": "Dar es Salaam"}),
            json!({"text": "Zanzibar Kilimanjaro"}),
        ),
        (
            json!({"choice": [0]}),
            json!({"choice": [1]}),
            json!({"choice": [1]}),
        ),
    ];
    let kinds = ["single", "multiple", "true_false", "typed", "poll"];
    for (i, (a, b, c)) in plays.into_iter().enumerate() {
        let q = i as u64;
        let st = screen.wait_phase("question").await;
        assert_eq!(st["question"]["index"], q);
        assert_eq!(st["question"]["kind"], kinds[i]);
        let hs = host.wait_phase("question").await;
        assert!(hs["answer_key"].is_object(), "the host sees the answer key");
        for (m, ans) in [(&mut lan, a), (&mut minh, b), (&mut hung, c)] {
            let st = m.wait_phase("question").await;
            assert!(st["question"]["closes_in_ms"].as_u64().unwrap() > 0);
            let mut cmd = json!({"type": "answer", "question": q});
            for (k, v) in ans.as_object().unwrap() {
                cmd[k] = v.clone();
            }
            m.command(cmd).await.expect("answer acknowledged");
        }
        // Everyone answered: the question closes by itself and reveals.
        let rv = screen.wait_phase("reveal").await;
        let reveal = &rv["reveal"];
        assert_eq!(reveal["reason"], "all_answered");
        assert_eq!(reveal["answered"], 3);
        match i {
            0 => {
                assert_eq!(reveal["correct"], json!([1]));
                assert_eq!(reveal["distribution"], json!([1, 2, 0]));
                assert_eq!(reveal["explanation"], "Bravo is right.");
            }
            1 => assert_eq!(reveal["distribution"], json!([2, 1, 1])),
            2 => assert_eq!(reveal["correct"], json!([0])),
            3 => {
                assert_eq!(reveal["answers"], json!(["Zanzibar Kilimanjaro"]));
                assert_eq!(reveal["distribution"], json!([2, 1]));
                assert_eq!(reveal["typed_top"][0]["count"], 2);
            }
            _ => {
                assert_eq!(reveal["correct"], json!([]));
                assert_eq!(reveal["distribution"], json!([1, 2]));
            }
        }
        let (l, m, h) = (
            result_of(&mut lan, q).await,
            result_of(&mut minh, q).await,
            result_of(&mut hung, q).await,
        );
        if i == 4 {
            assert_eq!((l.2, m.2, h.2), (0, 0, 0), "polls score nothing");
        } else if i == 1 {
            assert!(l.0 && (500..=1000).contains(&l.2), "Lan has both right");
            assert_eq!((m.0, m.1), (false, true), "Minh is partly right");
            assert!(
                m.2 >= 250 && m.2 <= 500,
                "half points for half right: {}",
                m.2
            );
            assert_eq!(h, (false, false, 0), "one wrong option cancels one right");
        } else {
            assert!(l.0 && h.0, "Lan and Hùng are right on question {i}");
            assert!((500..=1000).contains(&l.2) && (500..=1000).contains(&h.2));
            assert_eq!(m, (false, false, 0), "Minh is wrong on question {i}");
        }
        host.command(json!({"type": "next"})).await.expect("next");
        if i < 4 {
            let lb = screen.wait_phase("leaderboard").await;
            let rows = lb["leaderboard"].as_array().unwrap();
            assert_eq!(rows.len(), 3);
            assert!(
                rows.windows(2)
                    .all(|w| w[0]["score"].as_u64() >= w[1]["score"].as_u64())
            );
            host.command(json!({"type": "next"}))
                .await
                .expect("next question");
        }
    }

    // After the last question: the podium.
    let podium = screen.wait_phase("podium").await;
    let rows = podium["leaderboard"].as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(names[2], "Minh");
    assert_eq!(rows[2]["rank"], 3);
    let me = minh.wait_phase("podium").await;
    assert_eq!(me["leaderboard"].as_array().unwrap().len(), 3);

    // Ending the meeting reaches everyone.
    host.command(json!({"type": "end"})).await.expect("end");
    lan.wait_phase("ended").await;
    screen.wait_phase("ended").await;

    // Nobody but the host saw an answer before its reveal.
    for (who, c) in [
        ("Lan", &lan),
        ("Minh", &minh),
        ("Hùng", &hung),
        ("projector", &screen),
    ] {
        let checked = assert_no_leak(who, &c.log);
        assert!(
            checked >= 5,
            "{who}: the check looked at frames of every question ({checked})"
        );
    }
}

#[tokio::test]
async fn the_leak_check_catches_the_host_view() {
    // The checker itself must be able to fail: the host's frames do carry
    // the answer key while a question is open.
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    let _m = Client::member(&server, &pin, "Lan").await;
    host.command(json!({"type": "start"})).await.unwrap();
    host.wait_phase("question").await;
    let caught = std::panic::catch_unwind(|| assert_no_leak("host", &host.log));
    assert!(caught.is_err());
}

#[tokio::test]
async fn late_joiner_plays_from_the_current_question() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    let mut lan = Client::member(&server, &pin, "Lan").await;
    host.command(json!({"type": "start"})).await.unwrap();
    lan.wait_phase("question").await;

    let mut late = Client::connect(&server).await;
    late.hello("member", &pin, json!({"name": "Đến muộn"}))
        .await
        .unwrap();
    let st = late.wait_type("state").await;
    assert_eq!(
        st["phase"], "question",
        "a late joiner lands on the open question"
    );
    assert_eq!(st["question"]["index"], 0);
    assert!(st["question"]["closes_in_ms"].as_u64().unwrap() > 0);
    late.command(json!({"type": "answer", "question": 0, "choice": [1]}))
        .await
        .expect("the late joiner can answer");
    lan.command(json!({"type": "answer", "question": 0, "choice": [1]}))
        .await
        .unwrap();
    let (correct, _, points) = result_of(&mut late, 0).await;
    assert!(correct && points >= 500);
}

#[tokio::test]
async fn host_reveals_skips_kicks_and_ends() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    let mut screen = Client::screen(&server, &pin).await;
    let mut lan = Client::member(&server, &pin, "Lan").await;
    let mut minh = Client::member(&server, &pin, "Minh").await;
    let members = host
        .wait("member list", |v| {
            v["type"] == "members" && v["members"].as_array().unwrap().len() == 2
        })
        .await;
    assert_eq!(members["members"][1]["name"], "Minh");

    host.command(json!({"type": "start"})).await.unwrap();
    lan.command(json!({"type": "answer", "question": 0, "choice": [1]}))
        .await
        .unwrap();
    // Not everyone answered: still open until the host reveals.
    host.command(json!({"type": "reveal"}))
        .await
        .expect("reveal");
    let rv = screen.wait_phase("reveal").await;
    assert_eq!(rv["reveal"]["reason"], "host");
    assert_eq!(rv["reveal"]["answered"], 1);

    host.command(json!({"type": "next"})).await.unwrap();
    screen.wait_phase("leaderboard").await;
    host.command(json!({"type": "next"})).await.unwrap();
    let q1 = screen.wait_phase("question").await;
    assert_eq!(q1["question"]["index"], 1);
    lan.command(json!({"type": "answer", "question": 1, "choice": [0, 2]}))
        .await
        .unwrap();
    host.command(json!({"type": "skip"})).await.expect("skip");
    let q2 = screen.wait_phase("question").await;
    assert_eq!(
        q2["question"]["index"], 2,
        "skip goes straight to the next question"
    );
    let me = lan
        .wait("told of the skip", |v| {
            v["type"] == "me" && v["skipped"] == 1
        })
        .await;
    assert!(
        me["score"].as_u64().unwrap() <= 1000,
        "the skipped question scored nothing"
    );

    // Removing a member closes their connection with a reason.
    let minh_id = minh.member.unwrap();
    host.command(json!({"type": "kick", "member": minh_id}))
        .await
        .expect("kick");
    let bye = minh.wait_type("bye").await;
    assert_eq!(bye["code"], "removed");
    minh.until_closed().await;
    host.refused(json!({"type": "kick", "member": minh_id}), "unknown_member")
        .await;
    screen
        .wait("one left", |v| v["type"] == "live" && v["joined"] == 1)
        .await;
    // A removed member cannot come back, not even under another name...
    let token = minh.token.clone().unwrap();
    let mut again = Client::connect(&server).await;
    let e = again
        .hello("member", &pin, json!({"token": token}))
        .await
        .unwrap_err();
    assert_eq!(e["code"], "removed");
    let e = again
        .hello("member", &pin, json!({"token": token, "name": "Minh khác"}))
        .await
        .unwrap_err();
    assert_eq!(e["code"], "removed");
    let members = host
        .wait("removed list", |v| {
            v["type"] == "members" && v["removed"][0]["name"] == "Minh"
        })
        .await;
    assert_eq!(members["removed"][0]["id"], minh_id);
    // ... until the host lets them back in: they join again by name.
    host.command(json!({"type": "readmit", "member": minh_id}))
        .await
        .expect("readmit");
    host.refused(
        json!({"type": "readmit", "member": minh_id}),
        "unknown_member",
    )
    .await;
    let w = again
        .hello("member", &pin, json!({"token": token, "name": "Minh"}))
        .await
        .expect("back in");
    assert_ne!(w["member"]["id"], minh_id, "a new member");
    host.command(json!({"type": "kick", "member": w["member"]["id"]}))
        .await
        .unwrap();

    host.command(json!({"type": "end"})).await.unwrap();
    screen.wait_phase("podium").await;
    host.command(json!({"type": "end"})).await.unwrap();
    screen.wait_phase("ended").await;
    let mut newcomer = Client::connect(&server).await;
    let e = newcomer
        .hello("member", &pin, json!({"name": "Mới"}))
        .await
        .unwrap_err();
    assert_eq!(e["code"], "meeting_ended");
}

#[tokio::test]
async fn the_host_asks_a_question_again_and_it_survives_a_restart() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    let mut lan = Client::member(&server, &pin, "Lan").await;
    // A question never shown cannot be asked again.
    let e = host
        .refused(json!({"type": "reask", "question": 2}), "never_asked")
        .await;
    assert_eq!(e["params"]["question"], 2);
    host.command(json!({"type": "start"})).await.unwrap();
    lan.command(json!({"type": "answer", "question": 0, "choice": [1]}))
        .await
        .unwrap();
    let (correct, _, points) = result_of(&mut lan, 0).await;
    assert!(correct && points >= 500);
    // Another question open: close it first.
    host.command(json!({"type": "next"})).await.unwrap();
    host.command(json!({"type": "next"})).await.unwrap();
    host.refused(json!({"type": "reask", "question": 0}), "wrong_phase")
        .await;
    host.command(json!({"type": "reveal"})).await.unwrap();
    host.command(json!({"type": "reask", "question": 0}))
        .await
        .expect("re-ask");
    let st = lan
        .wait("question 0 again", |v| {
            v["type"] == "state" && v["phase"] == "question" && v["question"]["index"] == 0
        })
        .await;
    assert_eq!(st["question"]["reasked"], 1);
    let (closes, limit) = (
        st["question"]["closes_in_ms"].as_u64().unwrap(),
        st["question"]["time_limit_ms"].as_u64().unwrap(),
    );
    assert!(closes > limit - 2_000, "a fresh timer: {closes} of {limit}");
    let me = lan
        .wait("points taken back", |v| {
            v["type"] == "me" && v["score"] == 0
        })
        .await;
    assert!(me["answer"].is_null(), "the answer is cleared: {me}");

    // The re-ask is an event like the others: replayed after a restart.
    drop((host, lan));
    let server = server.restart().await;
    let mut host = Client::host(&server, &pin).await;
    let st = host.log.iter().find(|v| v["type"] == "state").unwrap();
    assert_eq!(st["question"]["index"], 0);
    assert_eq!(st["question"]["reasked"], 1);
    assert_eq!(st["next"], Value::Null, "answers are open");
    host.command(json!({"type": "reveal"})).await.unwrap();
    let st = host.wait_phase("reveal").await;
    assert_eq!(st["reveal"]["answered"], 0);
    host.command(json!({"type": "next"})).await.unwrap();
    let st = host.wait_phase("leaderboard").await;
    assert_eq!(st["next"], "question");
    host.command(json!({"type": "next"})).await.unwrap();
    let st = host.wait_phase("question").await;
    assert_eq!(
        st["question"]["index"], 2,
        "goes on after the furthest question"
    );
}

/// Both languages of the live room's strings hold the same keys.
#[test]
fn both_languages_hold_every_live_room_string() {
    let src =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/web/i18n-live.js")).unwrap();
    let (vi, en) = src.split_once("export const en").unwrap();
    let keys = |s: &str| -> std::collections::BTreeSet<String> {
        s.lines()
            .filter_map(|l| l.trim().strip_prefix('\''))
            .filter_map(|l| l.split_once('\'').map(|(k, _)| k.to_string()))
            .collect()
    };
    let (vi, en) = (keys(vi), keys(en));
    assert!(vi.contains("err.never_asked") && vi.contains("q.resumesIn"));
    assert_eq!(vi, en);
}

#[tokio::test]
async fn the_rank_of_n_follows_members_joining() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut lan = Client::member(&server, &pin, "Lan").await;
    lan.wait("of 1", |v| v["type"] == "me" && v["of"] == 1)
        .await;
    let _minh = Client::member(&server, &pin, "Minh").await;
    let _hoa = Client::member(&server, &pin, "Hoa").await;
    lan.wait("of 3", |v| v["type"] == "me" && v["of"] == 3)
        .await;
}

/// A question's source: the room (projector and phones) gets its short
/// label at the reveal, the host gets the label and the web address with
/// the answer key, and the address never reaches the room.
#[tokio::test]
async fn the_room_sees_the_source_label_and_only_the_host_its_address() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    let mut screen = Client::screen(&server, &pin).await;
    let mut lan = Client::member(&server, &pin, "Lan").await;
    host.command(json!({"type": "start"})).await.expect("start");
    let hs = host.wait_phase("question").await;
    assert_eq!(
        (&hs["answer_key"]["source"], &hs["answer_key"]["source_url"]),
        (
            &json!("Test rules, section 2"),
            &json!("https://example.org/rules#s2")
        )
    );
    host.command(json!({"type": "reveal"}))
        .await
        .expect("reveal");
    for (who, c) in [("screen", &mut screen), ("member", &mut lan)] {
        let st = c.wait_phase("reveal").await;
        assert_eq!(st["reveal"]["source"], "Test rules, section 2", "{who}");
        let all = serde_json::to_string(&c.log).unwrap();
        assert!(
            !all.contains("example.org"),
            "{who} received the source's address: {all}"
        );
    }
    let hs = host.wait_phase("reveal").await;
    assert_eq!(
        hs["answer_key"]["source_url"],
        "https://example.org/rules#s2"
    );
}

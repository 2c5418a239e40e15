//! Nothing is lost: restarts resume meetings, members resume with their
//! token, resent commands apply once, slow phones never hold others up.

use std::sync::Arc;

use handsup::clock::{Clock, ManualClock};
use serde_json::json;

use crate::pg::Db;
use crate::support::{Client, TestServer};

#[tokio::test]
async fn a_restart_resumes_the_meeting_and_its_members() {
    restart_resumes(Db::Sqlite).await;
}

async fn restart_resumes(store: Db) {
    let db = store.url();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let mut server = TestServer::start_in_db(&dir, None, db.clone()).await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    let mut lan = Client::member(&server, &pin, "Lan").await;
    let mut minh = Client::member(&server, &pin, "Minh").await;
    host.command(json!({"type": "start"})).await.unwrap();
    lan.command(json!({"type": "answer", "cid": "lan-q0", "question": 0, "choice": [1]}))
        .await
        .unwrap();
    minh.command(json!({"type": "answer", "question": 0, "choice": [0]}))
        .await
        .unwrap();
    let me = lan
        .wait("result", |v| {
            v["type"] == "me" && v["result"]["question"] == 0
        })
        .await;
    let score = me["score"].as_u64().unwrap();
    assert!(score >= 500);
    let (lan_id, lan_token) = (lan.member.unwrap(), lan.token.clone().unwrap());

    // Graceful stop: every socket is closed with a reason.
    let stopping = tokio::spawn(async move { server.stop().await });
    let (code, reason) = lan.until_closed().await;
    assert_eq!((code, reason.as_str()), (1001, "server shutting down"));
    stopping.await.unwrap();

    let server = TestServer::start_in_db(&dir, None, db.clone()).await;
    let mut lan = Client::connect(&server).await;
    let w = lan
        .hello("member", &pin, json!({"token": lan_token}))
        .await
        .expect("resumes");
    assert_eq!(w["member"]["id"], lan_id, "the same member");
    assert_eq!(w["member"]["name"], "Lan");
    let st = lan.wait_type("state").await;
    assert_eq!(st["phase"], "reveal", "on the current screen");
    let me = lan.wait_type("me").await;
    assert_eq!(me["score"], score, "with the same score");
    assert_eq!(me["answer"]["choice"], json!([1]), "and the same answer");
    // The answer sent before the restart, resent with its cid: acknowledged, not doubled.
    let mut host = Client::host(&server, &pin).await;
    host.command(json!({"type": "next"})).await.unwrap();
    host.command(json!({"type": "next"})).await.unwrap();
    lan.command(json!({"type": "answer", "cid": "lan-q0", "question": 0, "choice": [1]}))
        .await
        .expect("a resent command is acknowledged again");
    let members = host
        .wait("members", |v| {
            v["type"] == "members" && v["members"].as_array().unwrap().len() == 2
        })
        .await;
    assert_eq!(members["members"][0]["score"], score);
    drop(tmp);
}

#[tokio::test]
async fn a_question_open_across_a_restart_keeps_the_time_it_had_left() {
    open_question_across_restart(Db::Sqlite).await;
}

async fn open_question_across_restart(store: Db) {
    let db = store.url();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let clock = ManualClock::new(1_700_000_000_000);
    let c: Arc<dyn Clock> = Arc::new(clock.clone());
    let mut server = TestServer::start_in_db(&dir, Some(c.clone()), db.clone()).await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    let mut lan = Client::member(&server, &pin, "Lan").await;
    let minh = Client::member(&server, &pin, "Minh").await;
    host.command(json!({"type": "start"})).await.unwrap();
    let st = lan.wait_phase("question").await;
    assert_eq!(
        st["question"]["closes_in_ms"], 30_000,
        "the clock stands still"
    );
    clock.advance(10_000);
    lan.command(json!({"type": "answer", "question": 0, "choice": [1]}))
        .await
        .unwrap();
    drop((lan, minh, host));
    server.stop().await;

    // Down for a minute: that minute does not count.
    clock.advance(60_000);
    let server = TestServer::start_in_db(&dir, Some(c), db.clone()).await;
    let mut minh = Client::connect(&server).await;
    minh.hello("member", &pin, json!({"name": "Minh 2"}))
        .await
        .unwrap();
    let st = minh.wait_phase("question").await;
    // Someone still to answer keeps the question open.
    let mut hoa = Client::member(&server, &pin, "Hoa").await;
    assert_eq!(st["question"]["resumes_in_ms"], 5_000, "Tiếp tục…");
    assert_eq!(st["question"]["opens_in_ms"], 5_000);
    assert_eq!(
        st["question"]["closes_in_ms"], 25_000,
        "the 20 s it had left, after the countdown"
    );
    minh.refused(
        json!({"type": "answer", "question": 0, "choice": [1]}),
        "not_open_yet",
    )
    .await;
    clock.advance(5_000);
    minh.command(json!({"type": "answer", "question": 0, "choice": [1]}))
        .await
        .expect("open again after the countdown");
    let mut screen = Client::screen(&server, &pin).await;
    let live = screen.wait_type("live").await;
    assert_eq!(
        live["answered"], 2,
        "the answer given before the crash counts"
    );
    clock.advance(20_001);
    hoa.refused(
        json!({"type": "answer", "question": 0, "choice": [1]}),
        "too_late",
    )
    .await;
}

#[tokio::test]
async fn a_deadline_that_passed_before_the_server_went_down_closes_on_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let clock = ManualClock::new(1_700_000_000_000);
    let c: Arc<dyn Clock> = Arc::new(clock.clone());
    let mut server = TestServer::start_in(&dir, Some(c.clone())).await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    host.command(json!({"type": "start"})).await.unwrap();
    // The server is alive past the deadline (its timer has not fired yet).
    clock.advance(31_000);
    drop(host);
    server.stop().await;

    clock.advance(60_000);
    let server = TestServer::start_in(&dir, Some(c)).await;
    let mut screen = Client::screen(&server, &pin).await;
    let rv = screen.log.last().unwrap().clone();
    let rv = if rv["phase"] == "reveal" {
        rv
    } else {
        screen.wait_phase("reveal").await
    };
    assert_eq!(rv["reveal"]["reason"], "deadline_passed_while_down");
    assert_eq!(rv["question"]["closes_in_ms"], 0);
}

#[tokio::test]
async fn a_question_shown_just_before_a_stop_starts_again_with_its_whole_time() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let clock = ManualClock::new(1_700_000_000_000);
    let c: Arc<dyn Clock> = Arc::new(clock.clone());
    let mut server = TestServer::start_in(&dir, Some(c.clone())).await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    host.command(json!({"type": "start"})).await.unwrap();
    server.stop().await;
    clock.advance(12_000);
    let server = TestServer::start_in(&dir, Some(c.clone())).await;
    let mut lan = Client::member(&server, &pin, "Lan").await;
    let st = lan
        .log
        .iter()
        .find(|v| v["type"] == "state")
        .unwrap()
        .clone();
    assert_eq!(st["phase"], "question");
    assert_eq!(
        st["question"]["closes_in_ms"], 35_000,
        "the time it had left, not less, after the countdown"
    );
    clock.advance(5_000);
    lan.command(json!({"type": "answer", "question": 0, "choice": [1]}))
        .await
        .expect("still open");
}

/// The real binary, killed with SIGKILL in the middle of a question: after
/// the restart the question goes on with the time it had left, not less.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_question_keeps_the_time_it_had_left() {
    use crate::support::{Binary, SECRET};
    use std::time::{Duration, Instant};
    let tmp = tempfile::tempdir().unwrap();
    let bin = Binary::start(tmp.path(), "").expect("server starts");
    let pin = bin.create_meeting("alltypes").await;
    let mut host = Client::connect_addr(bin.addr).await;
    host.hello("host", &pin, json!({"secret": SECRET}))
        .await
        .unwrap();
    let mut lan = Client::connect_addr(bin.addr).await;
    lan.hello("member", &pin, json!({"name": "Lan"}))
        .await
        .unwrap();
    let token = lan.token.clone().unwrap();
    host.command(json!({"type": "start"})).await.unwrap();
    let shown = Instant::now();
    let st = lan.wait_phase("question").await;
    let limit = st["question"]["time_limit_ms"].as_u64().unwrap();
    // Some of the question's time passes, then the server dies.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let used_max = shown.elapsed().as_millis() as u64;
    bin.kill();
    // ... and stays down for a while: this does not count.
    tokio::time::sleep(Duration::from_millis(4_000)).await;
    let bin = Binary::start(tmp.path(), "").expect("server restarts");
    let mut lan = Client::connect_addr(bin.addr).await;
    lan.hello("member", &pin, json!({"token": token}))
        .await
        .expect("the member resumes");
    let st = lan.wait_phase("question").await;
    let q = &st["question"];
    let (resumes, closes) = (
        q["resumes_in_ms"].as_u64().unwrap(),
        q["closes_in_ms"].as_u64().unwrap(),
    );
    assert!(resumes > 0 && resumes <= 5_000, "a Tiếp tục countdown: {q}");
    let left = closes - resumes;
    // The heartbeat is at most a second old at the kill: up to a second
    // more than was left, never less.
    assert!(
        left + used_max >= limit && left + 2_500 <= limit + 1_500,
        "left {left} ms of {limit} after using at most {used_max} ms"
    );
    // During the countdown answers wait; after it they count.
    lan.refused(
        json!({"type": "answer", "question": 0, "choice": [1]}),
        "not_open_yet",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(resumes + 100)).await;
    lan.command(json!({"type": "answer", "question": 0, "choice": [1]}))
        .await
        .expect("answers count after the countdown");
}

#[tokio::test]
async fn tokens_resume_only_their_own_member_in_their_own_meeting() {
    let server = TestServer::start().await;
    let a = server.create_meeting("alltypes").await;
    let b = server.create_meeting("alltypes").await;
    let token = "Zm9vYmFyLWJhei1xdXV4LTEyMzQ";
    let mut first = Client::connect(&server).await;
    let w = first
        .hello("member", &a, json!({"name": "Lan", "token": token}))
        .await
        .unwrap();
    let id = w["member"]["id"].clone();

    // The same hello again (its welcome was lost): the same member, not a duplicate.
    let mut again = Client::connect(&server).await;
    let w = again
        .hello("member", &a, json!({"name": "Lan", "token": token}))
        .await
        .expect("idempotent join");
    assert_eq!(w["member"]["id"], id);
    let bye = first.wait_type("bye").await;
    assert_eq!(
        bye["code"], "replaced",
        "the older connection is told why it closes"
    );

    // A token from another meeting, or an unknown one, is refused.
    let mut other = Client::connect(&server).await;
    let e = other
        .hello("member", &b, json!({"token": token}))
        .await
        .unwrap_err();
    assert_eq!(e["code"], "bad_token");
    let e = other
        .hello(
            "member",
            &a,
            json!({"token": "bm90LWEtcmVhbC10b2tlbi1hdC1hbGw"}),
        )
        .await
        .unwrap_err();
    assert_eq!(e["code"], "bad_token");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("join again with your name")
    );
}

#[tokio::test]
async fn a_member_that_stops_reading_is_dropped_without_delaying_the_others() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("long").await;
    let mut host = Client::host(&server, &pin).await;
    let mut slow = Client::connect_slow(server.addr).await;
    slow.hello("member", &pin, json!({"name": "Slow"}))
        .await
        .unwrap();
    let mut good = Client::member(&server, &pin, "Good").await;
    // Two motions with long texts: showing one then the other sends every
    // phone a new, large state each time.
    let long =
        "Nghị quyết về việc nâng cao chất lượng sinh hoạt chi bộ, đổi mới nội dung và hình thức. "
            .repeat(6);
    let options: Vec<String> = (0..10)
        .map(|i| format!("Phương án {i}: {}", "x".repeat(80)))
        .collect();
    for _ in 0..2 {
        host.command(
            json!({"type": "motion_create", "text": long, "options": options, "decide": false}),
        )
        .await
        .unwrap();
    }
    // The good phone reads as it goes; `slow` reads nothing from here on.
    let reader = tokio::spawn(async move {
        let mut shown = 0;
        while shown < 200 {
            let f = good
                .next()
                .await
                .expect("the reading member stays connected");
            if f["type"] == "state" && f["motion"].is_object() {
                shown += 1;
            }
        }
        good
    });
    for i in 0..200 {
        host.command(json!({"type": "motion_show", "motion": 1 + i % 2}))
            .await
            .unwrap();
    }
    // The reading member got every update while the other one was stuck.
    let mut good = reader.await.unwrap();
    // The server dropped the stuck member: only the good one is connected.
    host.wait("slow member dropped", |v| {
        v["type"] == "live" && v["connected"] == 1
    })
    .await;
    host.command(json!({"type": "start"})).await.unwrap();
    good.command(json!({"type": "answer", "question": 0, "choice": [0]}))
        .await
        .expect("the meeting goes on");
}

/// Members of the SIGKILL test.
const BURST: usize = 200;

/// Casts one vote per member at once. Returns when `kill_after` votes are
/// acknowledged, with a handle that yields, per member, whether their vote
/// was acknowledged before the server went away.
async fn vote_burst(
    members: Vec<Client>,
    motion: u64,
    kill_after: usize,
) -> tokio::task::JoinHandle<Vec<bool>> {
    let acked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (enough_tx, enough_rx) = tokio::sync::oneshot::channel();
    let enough_tx = Arc::new(std::sync::Mutex::new(Some(enough_tx)));
    let mut tasks = Vec::new();
    for (i, mut c) in members.into_iter().enumerate() {
        let (acked, enough_tx) = (acked.clone(), enough_tx.clone());
        tasks.push(tokio::spawn(async move {
            c.send(json!({"type": "vote", "cid": format!("v{motion}-{i}"), "motion": motion, "option": i % 3}))
                .await;
            loop {
                match c.next().await {
                    Some(f) if f["type"] == "ack" => break,
                    Some(f) if f["type"] == "error" => panic!("vote refused: {f}"),
                    Some(_) => continue,
                    None => return false,
                }
            }
            if acked.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == kill_after
                && let Some(tx) = enough_tx.lock().unwrap().take()
            {
                let _ = tx.send(());
            }
            true
        }));
    }
    let results = tokio::spawn(async move {
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    enough_rx.await.expect("enough votes acknowledged");
    results
}

/// Opens `motion`, lets every member vote at once, and SIGKILLs the server
/// once half the votes are acknowledged.
async fn kill_mid_burst(
    bin: crate::support::Binary,
    mut host: Client,
    members: Vec<Client>,
    motion: u64,
) {
    host.command(json!({"type": "motion_open", "motion": motion}))
        .await
        .unwrap();
    let burst = vote_burst(members, motion, BURST / 2).await;
    bin.kill();
    let acked = burst.await.unwrap();
    let n_acked = acked.iter().filter(|a| **a).count();
    assert!(n_acked >= BURST / 2);
    eprintln!("motion {motion}: {n_acked} of {BURST} acknowledged before SIGKILL");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_a_vote_burst_loses_no_acknowledged_vote_and_counts_none_twice() {
    sigkill_during_vote_burst(Db::Sqlite).await;
}

async fn sigkill_during_vote_burst(store: Db) {
    let db = store.url();
    use crate::support::{Binary, SECRET};
    let tmp = tempfile::tempdir().unwrap();
    let bin = Binary::start_db(tmp.path(), db.as_deref()).expect("server starts");
    let pin = bin.create_meeting("alltypes").await;
    let mut host = Client::connect_addr(bin.addr).await;
    host.hello("host", &pin, json!({"secret": SECRET}))
        .await
        .unwrap();
    host.command(json!({"type": "motion_create", "text": "Thông qua nghị quyết"}))
        .await
        .unwrap();
    host.command(
        json!({"type": "motion_create", "text": "Kỷ luật đồng chí A", "template": "discipline"}),
    )
    .await
    .unwrap();
    let mut members = Vec::new();
    for i in 0..BURST {
        let mut c = Client::connect_addr(bin.addr).await;
        c.hello("member", &pin, json!({"name": format!("Đảng viên {i}")}))
            .await
            .unwrap();
        members.push(c);
    }
    let tokens: Vec<String> = members.iter().map(|c| c.token.clone().unwrap()).collect();

    // Open ballot: SIGKILL once half the burst is acknowledged.
    kill_mid_burst(bin, host, members, 1).await;

    // Restart; every member reconnects and resends its vote with the same cid.
    let bin = Binary::start_db(tmp.path(), db.as_deref()).expect("restarts");
    let mut again = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let mut c = Client::connect_addr(bin.addr).await;
        c.hello("member", &pin, json!({"token": token}))
            .await
            .expect("resumes");
        c.command(json!({"type": "vote", "cid": format!("v1-{i}"), "motion": 1, "option": i % 3}))
            .await
            .expect("a resent vote is acknowledged");
        again.push(c);
    }
    let mut host = Client::connect_addr(bin.addr).await;
    host.hello("host", &pin, json!({"secret": SECRET}))
        .await
        .unwrap();
    let live = host
        .wait("tally", |v| v["type"] == "live" && v["vote"]["motion"] == 1)
        .await;
    assert_eq!(live["vote"]["voted"], BURST, "every vote counted once");
    let counts: Vec<u64> = live["vote"]["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .collect();
    assert_eq!(counts.iter().sum::<u64>(), BURST as u64);
    assert_eq!(counts[0], (0..BURST).filter(|i| i % 3 == 0).count() as u64);
    // Every member kept their own choice (the host sees an open ballot).
    let st = host
        .log
        .iter()
        .find(|v| v["type"] == "state")
        .expect("the host's state came with its welcome")
        .clone();
    let voters = st["motions"][0]["voters"].as_array().unwrap();
    assert_eq!(voters.len(), BURST);
    for (i, v) in voters.iter().enumerate() {
        assert_eq!(v["option"], i % 3, "member {i} kept their choice: {v}");
    }
    host.command(json!({"type": "motion_close", "motion": 1}))
        .await
        .unwrap();

    // Secret ballot: the same, and the counts (kept apart) match the voters.
    kill_mid_burst(bin, host, again, 2).await;
    let bin = Binary::start_db(tmp.path(), db.as_deref()).expect("restarts again");
    let mut phones = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let mut c = Client::connect_addr(bin.addr).await;
        c.hello("member", &pin, json!({"token": token}))
            .await
            .expect("resumes");
        c.ballot(json!({"type": "vote", "cid": format!("v2-{i}"), "motion": 2, "option": i % 3}))
            .await
            .expect("a resent ballot is acknowledged, or received into the box");
        phones.push(c);
    }
    let mut host = Client::connect_addr(bin.addr).await;
    host.hello("host", &pin, json!({"secret": SECRET}))
        .await
        .unwrap();
    host.command(json!({"type": "motion_close", "motion": 2}))
        .await
        .unwrap();
    let st = host
        .wait("result", |v| {
            v["type"] == "state" && v["motion"]["result"].is_object()
        })
        .await;
    let r = &st["motion"]["result"];
    assert_eq!(r["voted"], BURST);
    let counts: Vec<u64> = r["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .collect();
    assert_eq!(
        counts.iter().sum::<u64>(),
        BURST as u64,
        "secret counts match the voters: {counts:?}"
    );
    assert_eq!(counts[0], (0..BURST).filter(|i| i % 3 == 0).count() as u64);
}

/// The same on PostgreSQL (`--database`): a restart, and a SIGKILL in the
/// middle of a vote burst, lose nothing that was acknowledged.
mod postgres {
    use super::*;

    #[tokio::test]
    async fn a_restart_resumes_the_meeting_and_its_members() {
        restart_resumes(Db::Postgres).await;
    }

    #[tokio::test]
    async fn a_question_open_across_a_restart_keeps_the_time_it_had_left() {
        open_question_across_restart(Db::Postgres).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sigkill_during_a_vote_burst_loses_no_acknowledged_vote_and_counts_none_twice() {
        sigkill_during_vote_burst(Db::Postgres).await;
    }
}

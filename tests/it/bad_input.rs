//! Bad input: a clear error, nothing changes, and the meeting goes on.

use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::support::{Client, SECRET, TestServer};

#[tokio::test]
async fn joining_mistakes_get_clear_errors_and_the_socket_stays_usable() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let _lan = Client::member(&server, &pin, "Lan").await;

    let mut c = Client::connect(&server).await;
    // A command before hello.
    c.refused(
        json!({"type": "answer", "question": 0, "choice": [0]}),
        "not_joined",
    )
    .await;
    // Unknown PIN.
    let e = c
        .hello("member", "000000", json!({"name": "An"}))
        .await
        .unwrap_err();
    assert_eq!(e["code"], "unknown_meeting");
    assert!(e["message"].as_str().unwrap().contains("000000"));
    // Wrong protocol version.
    c.refused(
        json!({"type": "hello", "protocol": 99, "role": "member", "pin": pin, "name": "An"}),
        "unsupported_protocol",
    )
    .await;
    // A taken name, ignoring case and diacritics: say so and suggest another.
    let e = c
        .hello("member", &pin, json!({"name": "LÂN"}))
        .await
        .unwrap_err();
    assert_eq!(e["code"], "name_taken");
    assert_eq!(e["suggestion"], "LÂN 2");
    // Empty and over-long names.
    assert_eq!(
        c.hello("member", &pin, json!({"name": "   "}))
            .await
            .unwrap_err()["code"],
        "invalid_name"
    );
    assert_eq!(
        c.hello("member", &pin, json!({"name": "x".repeat(33)}))
            .await
            .unwrap_err()["code"],
        "invalid_name"
    );
    // A weak client-chosen token.
    assert_eq!(
        c.hello("member", &pin, json!({"name": "An", "token": "abc"}))
            .await
            .unwrap_err()["code"],
        "bad_token"
    );
    // After all that, the same socket joins with the suggested name.
    let w = c
        .hello("member", &pin, json!({"name": "LÂN 2"}))
        .await
        .expect("joins");
    assert_eq!(w["member"]["name"], "LÂN 2");
    // A second hello on a joined socket is refused.
    let e = c
        .hello("member", &pin, json!({"name": "Khác"}))
        .await
        .unwrap_err();
    assert_eq!(e["code"], "bad_message");
}

#[tokio::test]
async fn malformed_frames_get_bad_message() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut c = Client::member(&server, &pin, "Lan").await;

    c.send_raw(Message::text("{not json")).await;
    let e = c.wait_type("error").await;
    assert_eq!(e["code"], "bad_message");
    assert!(e["message"].as_str().unwrap().contains("not valid JSON"));

    c.send(json!({"type": "dance", "cid": "d1"})).await;
    let e = c.wait_type("error").await;
    assert_eq!(
        (e["code"].as_str(), e["cid"].as_str()),
        (Some("bad_message"), Some("d1"))
    );
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("unknown message type \"dance\"")
    );

    c.send(json!({"cid": "d2"})).await;
    let e = c.wait_type("error").await;
    assert!(e["message"].as_str().unwrap().contains("\"type\""));

    c.send(json!({"type": "answer", "cid": "d3"})).await;
    let e = c.wait_type("error").await;
    assert_eq!(e["cid"], "d3");
    assert!(
        e["message"].as_str().unwrap().contains("question"),
        "names the missing field: {e}"
    );

    c.send(json!({"type": "answer", "cid": "", "question": 0, "choice": [0]}))
        .await;
    let e = c.wait_type("error").await;
    assert!(e["message"].as_str().unwrap().contains("cid"));

    c.send_raw(Message::binary(vec![1u8, 2, 3])).await;
    let e = c.wait_type("error").await;
    assert_eq!(e["code"], "bad_message");

    // Still a working member.
    let mut host = Client::host(&server, &pin).await;
    host.command(json!({"type": "start"})).await.unwrap();
    c.command(json!({"type": "answer", "question": 0, "choice": [1]}))
        .await
        .expect("still answers");
}

#[tokio::test]
async fn answers_are_checked_and_never_counted_twice() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    let mut screen = Client::screen(&server, &pin).await;
    let mut lan = Client::member(&server, &pin, "Lan").await;
    let _minh = Client::member(&server, &pin, "Minh").await;

    // Nothing is open yet.
    lan.refused(
        json!({"type": "answer", "question": 0, "choice": [1]}),
        "not_open",
    )
    .await;
    host.command(json!({"type": "start"})).await.unwrap();
    lan.wait_phase("question").await;

    lan.refused(
        json!({"type": "answer", "question": 0, "choice": [7]}),
        "option_out_of_range",
    )
    .await;
    lan.refused(
        json!({"type": "answer", "question": 0, "choice": [0, 1]}),
        "invalid_answer",
    )
    .await;
    lan.refused(
        json!({"type": "answer", "question": 0, "text": "bravo"}),
        "invalid_answer",
    )
    .await;
    lan.refused(json!({"type": "answer", "question": 0}), "invalid_answer")
        .await;
    lan.refused(
        json!({"type": "answer", "question": 3, "text": "x"}),
        "not_open",
    )
    .await;

    // The same command resent (same cid) is acknowledged again, applied once.
    let cmd = json!({"type": "answer", "cid": "same-1", "question": 0, "choice": [1]});
    lan.command(cmd.clone()).await.expect("first");
    lan.command(cmd).await.expect("resent: acknowledged again");
    let e = lan
        .refused(
            json!({"type": "answer", "question": 0, "choice": [0]}),
            "already_answered",
        )
        .await;
    assert!(e["message"].as_str().unwrap().contains("already answered"));
    let live = screen
        .wait("one answer", |v| v["type"] == "live" && v["answered"] == 1)
        .await;
    assert_eq!(live["answered"], 1);

    // A member cannot drive the meeting; the projector cannot do anything.
    lan.refused(json!({"type": "next"}), "forbidden").await;
    lan.refused(json!({"type": "kick", "member": 2}), "forbidden")
        .await;
    screen.refused(json!({"type": "start"}), "forbidden").await;
    host.refused(json!({"type": "start"}), "wrong_phase").await;
    host.refused(json!({"type": "next"}), "wrong_phase").await;
    host.refused(
        json!({"type": "answer", "question": 0, "choice": [1]}),
        "forbidden",
    )
    .await;

    // After the host reveals, answering is refused as closed.
    host.command(json!({"type": "reveal"})).await.unwrap();
    let rv = screen.wait_phase("reveal").await;
    assert_eq!(
        rv["reveal"]["answered"], 1,
        "the resent answer counted once"
    );
    let mut minh = _minh;
    minh.refused(
        json!({"type": "answer", "question": 0, "choice": [1]}),
        "not_open",
    )
    .await;
}

#[tokio::test]
async fn host_commands_need_the_secret() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut c = Client::connect(&server).await;
    let e = c
        .hello("host", &pin, json!({"secret": "guess"}))
        .await
        .unwrap_err();
    assert_eq!(e["code"], "unauthorized");
    let e = c.hello("host", &pin, json!({})).await.unwrap_err();
    assert_eq!(e["code"], "unauthorized");
    c.refused(json!({"type": "start"}), "not_joined").await;
    c.hello("host", &pin, json!({"secret": SECRET}))
        .await
        .expect("the right secret works");
}

#[tokio::test]
async fn an_oversized_frame_closes_only_that_socket() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    let mut lan = Client::member(&server, &pin, "Lan").await;
    let mut big = Client::member(&server, &pin, "Big").await;
    big.send_raw(Message::text(format!(
        "{{\"type\":\"answer\",\"cid\":\"x\",\"question\":0,\"text\":\"{}\"}}",
        "a".repeat(20_000)
    )))
    .await;
    let (code, reason) = big.until_closed().await;
    assert_eq!(code, 1009);
    assert!(reason.contains("message too big"), "{reason}");
    // The meeting goes on for the others.
    host.command(json!({"type": "start"})).await.unwrap();
    lan.command(json!({"type": "answer", "question": 0, "choice": [1]}))
        .await
        .expect("others play on");
}

#[tokio::test]
async fn flooding_is_limited_then_disconnected() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut flood = Client::member(&server, &pin, "Flood").await;
    for i in 0..200 {
        flood
            .send(json!({"type": "answer", "cid": format!("f{i}"), "question": 0, "choice": [0]}))
            .await;
    }
    let e = flood
        .wait("rate limited", |v| v["code"] == "rate_limited")
        .await;
    assert!(e["message"].as_str().unwrap().contains("slow down"));
    let (code, reason) = flood.until_closed().await;
    assert_eq!((code, reason.as_str()), (1008, "too many messages"));
    // The server is fine.
    let _ok = Client::member(&server, &pin, "Calm").await;
}

//! Attacks from the meeting's network (docs/SECURITY.md): hostile files,
//! PIN guessing, slow and idle connections, too many connections or
//! members from one address, and the security headers. Each answer is a
//! clear error or a closed connection, and every other meeting goes on.

use std::time::Duration;

use handsup::guard::{GuardConfig, Rate};
use handsup::tabular::testing::{rows_xml, xlsx_with_sheet};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Binary, Client, SECRET, TestServer};

/// Longest any condition below is waited for.
const PATIENCE: Duration = Duration::from_secs(20);

const HEADER: &[(&str, &str)] = &[("A1", "Name"), ("B1", "Code"), ("C1", "Status")];

async fn upload(addr: std::net::SocketAddr, pin: &str, file: Vec<u8>) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("http://{addr}/api/meetings/{pin}/roster"))
        .bearer_auth(SECRET)
        .body(file)
        .send()
        .await
        .expect("POST roster");
    let status = r.status().as_u16();
    (status, r.json().await.expect("JSON error"))
}

/// Regression for the two files that stopped or stalled the server: a
/// 1.7 KB workbook with one cell at XFD1048576, and a merged range written
/// backwards. Against the real binary: it answers each with a clear error
/// naming the limit, keeps running, and the other meeting goes on.
#[tokio::test]
async fn hostile_workbooks_get_a_clear_error_and_the_server_keeps_serving() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Binary::start(&tmp.path().join("data"), "").expect("server starts");
    let target = server.create_meeting("alltypes").await;
    let other = server.create_meeting("alltypes").await;
    let mut lan = Client::connect_addr(server.addr).await;
    lan.hello("member", &other, json!({"name": "Lan"}))
        .await
        .expect("Lan joins the other meeting");

    let mut cells = HEADER.to_vec();
    cells.push(("XFD1048576", "x"));
    let sheet = format!(
        r#"<dimension ref="A1:XFD1048576"/><sheetData>{}</sheetData>"#,
        rows_xml(&cells)
    );
    let file = xlsx_with_sheet(&sheet);
    assert!(file.len() < 2048);
    let (status, body) = upload(server.addr, &target, file).await;
    assert_eq!(status, 400, "{body}");
    let p = &body["problems"][0];
    assert_eq!(p["code"], "too_many_columns", "{body}");
    assert_eq!(p["params"]["cell"], "XFD1048576");
    assert_eq!(p["params"]["max"], 64);

    let sheet = format!(
        r#"<sheetData>{}</sheetData><mergeCells count="1"><mergeCell ref="D3:D1"/></mergeCells>"#,
        rows_xml(HEADER)
    );
    let started = std::time::Instant::now();
    let (status, body) = upload(server.addr, &target, xlsx_with_sheet(&sheet)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["problems"][0]["code"], "bad_range", "{body}");
    assert_eq!(body["problems"][0]["params"]["value"], "D3:D1");
    assert!(started.elapsed() < Duration::from_secs(5));

    // A CSV as wide as a sheet.
    let csv = format!("Name,Code,Status{}\n", ",x".repeat(20_000));
    let (status, body) = upload(server.addr, &target, csv.into_bytes()).await;
    assert_eq!(status, 400);
    assert_eq!(body["problems"][0]["code"], "too_many_columns", "{body}");

    // Still serving: health, the other meeting's member, a new upload.
    let health = reqwest::get(format!("http://{}/healthz", server.addr))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    lan.send(json!({"type": "ping", "t": 1})).await;
    lan.wait_type("pong").await;
    let good = "Họ và tên,Mã đảng viên,Loại\nNguyễn Văn An,DV01,Chính thức\n";
    let (status, body) = upload(server.addr, &target, good.as_bytes().to_vec()).await;
    assert_eq!(status, 200, "{body}");

    // With the default limits, the sixth wrong PIN from one address waits.
    let wrong = if other == "100000" {
        "100001"
    } else {
        "100000"
    };
    let wrong = if wrong == target { "100002" } else { wrong };
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let r = reqwest::get(format!("http://{}/j/{wrong}", server.addr))
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [404, 404, 404, 404, 404, 429]);

    // The helper passes --host-secret on the command line: warned about.
    let warned = tokio::time::timeout(PATIENCE, async {
        while !server
            .logs
            .lock()
            .unwrap()
            .contains("--host-secret on the command line")
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        warned.is_ok(),
        "no warning: {}",
        server.logs.lock().unwrap()
    );
}

/// A raw HTTP/1.1 exchange: sends `head` (and nothing more), returns what
/// the server answers before closing or within `PATIENCE`.
async fn raw(addr: std::net::SocketAddr, head: &str) -> String {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let _ = tokio::time::timeout(PATIENCE, async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    out.extend_from_slice(&buf[..n]);
                    if out.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
            }
        }
    })
    .await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn the_host_secret_is_checked_before_the_body_is_read() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    // 10 MB announced, none sent: the answer comes without waiting for it.
    for (method, path) in [
        ("POST", format!("/api/meetings/{pin}/roster")),
        ("POST", format!("/api/meetings/{pin}/motions")),
        ("POST", "/api/meetings".to_string()),
        ("PUT", format!("/api/meetings/{pin}/minutes")),
        ("DELETE", format!("/api/meetings/{pin}")),
        ("GET", format!("/api/meetings/{pin}/export.json")),
        ("GET", "/api/archive".to_string()),
    ] {
        let head =
            format!("{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n");
        let resp = raw(server.addr, &head).await;
        assert!(resp.starts_with("HTTP/1.1 401"), "{method} {path}: {resp}");
    }
}

#[tokio::test]
async fn bodies_have_a_size_limit_and_a_read_timeout() {
    let server = TestServer::start_guarded(GuardConfig {
        body_timeout: Duration::from_secs(1),
        ..GuardConfig::default()
    })
    .await;
    let pin = server.create_meeting("alltypes").await;
    let head = format!(
        "POST /api/meetings/{pin}/roster HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {SECRET}\r\nContent-Length: 100000000\r\n\r\n"
    );
    let resp = raw(server.addr, &head).await;
    assert!(resp.starts_with("HTTP/1.1 413"), "{resp}");
    // A body that never finishes arriving.
    let head = format!(
        "POST /api/meetings/{pin}/motions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {SECRET}\r\nContent-Length: 100\r\n\r\n## Half"
    );
    let resp = raw(server.addr, &head).await;
    assert!(resp.starts_with("HTTP/1.1 408"), "{resp}");
    // A motions file over its limit, sent in full.
    let r = server
        .http
        .post(server.url(&format!("/api/meetings/{pin}/motions")))
        .bearer_auth(SECRET)
        .body("## x\n".repeat(60_000))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "too_large");
    assert_eq!(body["params"]["max"], 256 * 1024);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let get = |path: String| {
        let http = server.http.clone();
        let url = server.url(&path);
        async move { http.get(url).bearer_auth(SECRET).send().await.expect("GET") }
    };
    for (path, private) in [
        ("/".to_string(), false),
        (format!("/j/{pin}"), false),
        ("/j/000001".to_string(), false),
        ("/assets/app.css".to_string(), false),
        ("/healthz".to_string(), false),
        ("/host".to_string(), true),
        ("/api/banks".to_string(), true),
        ("/api/meetings".to_string(), true),
        (format!("/api/meetings/{pin}/roster"), true),
    ] {
        let r = get(path.clone()).await;
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        if private {
            assert_eq!(h["cache-control"], "no-store", "{path}");
        }
    }
    // The pages hold nothing inline that the policy would block.
    for page in [
        "index.html",
        "member.html",
        "screen.html",
        "host.html",
        "notfound.html",
        "sheet.html",
    ] {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("web")
                .join(page),
        )
        .unwrap();
        assert!(!text.contains(" style=\""), "{page} has a style attribute");
        assert!(!text.contains("<script>"), "{page} has an inline script");
        assert!(!text.contains("<style"), "{page} has an inline style sheet");
        assert!(!text.contains(" onclick="), "{page} has an inline handler");
    }
}

/// Reads until the server closes the connection; true if it did within
/// `PATIENCE`.
async fn closed_by_server(tcp: &mut TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    tokio::time::timeout(PATIENCE, async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn slow_headers_and_idle_keep_alive_connections_are_closed() {
    let server = TestServer::start_guarded(GuardConfig {
        header_timeout: Duration::from_secs(1),
        ..GuardConfig::default()
    })
    .await;
    // Headers that never end (slowloris).
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    assert!(closed_by_server(&mut slow).await, "slow headers kept open");
    // One request, then silence on a keep-alive connection.
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert!(
        closed_by_server(&mut idle).await,
        "idle connection kept open"
    );
}

#[tokio::test]
async fn connections_per_address_are_capped() {
    let server = TestServer::start_guarded(GuardConfig {
        connections_per_address: 3,
        trust_loopback: false,
        ..GuardConfig::default()
    })
    .await;
    // The organiser from another address (127.0.0.2 is loopback too), so
    // the test's own connections are the only ones of 127.0.0.1.
    let http = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let pin = crate::support::create_meeting_at(&http, server.addr, "alltypes").await;
    // Three websockets hold the address's three slots...
    let mut held = Vec::new();
    for i in 0..3 {
        let mut c = Client::connect(&server).await;
        c.hello("member", &pin, json!({"name": format!("P{i}")}))
            .await
            .expect("joins");
        held.push(c);
    }
    // ...so a fourth connection is closed at once.
    let mut fourth = TcpStream::connect(server.addr).await.unwrap();
    let _ = fourth
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(PATIENCE, fourth.read(&mut buf))
        .await
        .expect("closed in time")
        .unwrap_or(0);
    assert_eq!(n, 0, "the fourth connection was served");
    // One leaves: its slot comes back.
    drop(held.pop());
    let served = tokio::time::timeout(PATIENCE, async {
        loop {
            let resp = raw(server.addr, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
            if resp.starts_with("HTTP/1.1 200") {
                return;
            }
            // Not yet noticed by the server: try again shortly.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(served.is_ok(), "the freed slot was not given back");
}

#[tokio::test]
async fn pin_guesses_are_rate_limited_across_pages_qr_and_hello() {
    let server = TestServer::start_guarded(GuardConfig {
        // Three misses, then one an hour: the test cannot outlast it.
        pin_failures_per_address: Rate::new(3, Duration::from_secs(3600)),
        ..GuardConfig::default()
    })
    .await;
    let pin = server.create_meeting("alltypes").await;
    let wrong = if pin == "123456" { "654321" } else { "123456" };
    let status = |path: String| {
        let http = server.http.clone();
        let url = server.url(&path);
        async move { http.get(url).send().await.expect("GET") }
    };
    // The right PIN costs nothing.
    for _ in 0..5 {
        assert_eq!(status(format!("/j/{pin}")).await.status(), 200);
    }
    assert_eq!(status(format!("/j/{wrong}")).await.status(), 404);
    assert_eq!(status(format!("/screen/{wrong}")).await.status(), 404);
    assert_eq!(status(format!("/qr/{wrong}.svg")).await.status(), 404);
    // Out of guesses: refused everywhere, even for the right PIN (no oracle).
    let r = status(format!("/j/{wrong}")).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert!(r.text().await.unwrap().contains("data-wait=\"1\""));
    assert_eq!(status(format!("/j/{pin}")).await.status(), 429);
    assert_eq!(status(format!("/screen/{pin}")).await.status(), 429);
    let r = status(format!("/qr/{pin}.svg")).await;
    assert_eq!(r.status(), 429);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "too_many_guesses");
    let mut c = Client::connect(&server).await;
    let e = c
        .hello("member", &pin, json!({"name": "An"}))
        .await
        .unwrap_err();
    assert_eq!(e["code"], "too_many_guesses");
}

#[tokio::test]
async fn one_address_cannot_become_many_members_without_a_roster() {
    let server = TestServer::start_guarded(GuardConfig {
        members_per_address: 2,
        trust_loopback: false,
        ..GuardConfig::default()
    })
    .await;
    let pin = server.create_meeting("alltypes").await;
    let mut first = Client::connect(&server).await;
    first
        .hello("member", &pin, json!({"name": "An"}))
        .await
        .unwrap();
    let mut second = Client::connect(&server).await;
    second
        .hello("member", &pin, json!({"name": "Bình"}))
        .await
        .unwrap();
    let mut third = Client::connect(&server).await;
    let e = third
        .hello("member", &pin, json!({"name": "Cường"}))
        .await
        .unwrap_err();
    assert_eq!(e["code"], "too_many_members");
    // Resuming an existing member is not a new member.
    let token = first.token.clone().unwrap();
    third
        .hello("member", &pin, json!({"token": token}))
        .await
        .expect("resumes");
    // Another meeting has its own count.
    let other = server.create_meeting("alltypes").await;
    let mut c = Client::connect(&server).await;
    c.hello("member", &other, json!({"name": "Dũng"}))
        .await
        .expect("joins another meeting");
}

#[tokio::test]
async fn a_refused_host_hello_does_not_give_the_host_rate() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut c = Client::member(&server, &pin, "Lan").await;
    let e = c
        .hello("host", &pin, json!({"secret": "wrong"}))
        .await
        .unwrap_err();
    assert!(
        e["code"] == "unauthorized" || e["code"] == "bad_message",
        "{e}"
    );
    // A member's burst is 30; a host's would be 500.
    for i in 0..60 {
        c.send(json!({"type": "ping", "cid": format!("p{i}"), "t": i}))
            .await;
    }
    c.wait("a rate_limited error", |v| {
        v["type"] == "error" && v["code"] == "rate_limited"
    })
    .await;
}

/// Database files are private to the server's user even in a directory
/// that others may read (one the organiser made, say).
#[cfg(unix)]
#[tokio::test]
async fn database_files_are_private_in_any_directory() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shared");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let server = TestServer::start_in(&dir, None).await;
    server.create_meeting("alltypes").await;
    for name in [
        "handsup.db",
        "handsup.db-wal",
        "handsup.db-shm",
        "handsup.lock",
    ] {
        let mode = std::fs::metadata(dir.join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}: {mode:o}");
    }
}

#[tokio::test]
async fn names_titles_and_motions_refuse_invisible_characters() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut c = Client::connect(&server).await;
    for name in ["La\u{202E}n", "A\u{200D}n", "\u{3164}", "An\u{E0041}"] {
        let e = c
            .hello("member", &pin, json!({"name": name}))
            .await
            .unwrap_err();
        assert_eq!(e["code"], "invalid_name", "{name:?}");
    }
    let r = server
        .http
        .post(server.url("/api/meetings"))
        .bearer_auth(SECRET)
        .json(&json!({"title": "Họp\u{202E}", "bank": "alltypes"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let mut host = Client::host(&server, &pin).await;
    let e = host
        .command(
            json!({"type": "motion_create", "text": "Thông qua\u{200F}", "template": "resolution"}),
        )
        .await
        .unwrap_err();
    assert_eq!(e["code"], "invalid_motion", "{e}");
}

/// Without a roster the host can approve each new member: until then they
/// follow but do not vote, nor count as present.
#[tokio::test]
async fn the_host_can_approve_each_new_member_of_a_meeting_without_roster() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    let mut early = Client::member(&server, &pin, "Sớm").await;
    host.command(json!({"type": "settings", "approve_members": true}))
        .await
        .expect("approval on");
    let mut late = Client::member(&server, &pin, "Muộn").await;
    let late_id = late.member.unwrap();
    let members = host
        .wait("the late member pending", |v| {
            v["type"] == "members"
                && v["members"].as_array().is_some_and(|ms| {
                    ms.iter()
                        .any(|m| m["id"] == late_id && m["pending"] == true)
                })
        })
        .await;
    // Who joined before approval was on is not pending.
    let early_row = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Sớm")
        .unwrap()
        .clone();
    assert!(early_row.get("pending").is_none(), "{early_row}");

    host.command(json!({"type": "motion_create", "text": "Thông qua Nghị quyết"}))
        .await
        .unwrap();
    host.command(json!({"type": "motion_open", "motion": 1}))
        .await
        .unwrap();
    let e = late
        .command(json!({"type": "vote", "motion": 1, "option": 0}))
        .await
        .unwrap_err();
    assert_eq!(e["code"], "not_eligible", "{e}");
    early
        .command(json!({"type": "vote", "motion": 1, "option": 0}))
        .await
        .expect("the early member votes");

    host.command(json!({"type": "approve", "member": late_id}))
        .await
        .expect("approved");
    late.command(json!({"type": "vote", "motion": 1, "option": 1}))
        .await
        .expect("the approved member votes");
}

/// A websocket that never sends `hello` is closed (in production after a
/// minute; here after one second).
#[tokio::test]
async fn a_websocket_that_never_joins_is_closed_with_a_reason() {
    let server = TestServer::start_guarded(GuardConfig {
        join_within: Duration::from_secs(1),
        ..GuardConfig::default()
    })
    .await;
    let pin = server.create_meeting("alltypes").await;
    let mut lan = Client::member(&server, &pin, "Lan").await;
    let mut idle = Client::connect(&server).await;
    let (code, reason) = tokio::time::timeout(PATIENCE, idle.until_closed())
        .await
        .expect("closed in time");
    assert_eq!(
        (code, reason.as_str()),
        (1008, "send hello to join a meeting")
    );
    // Lan, joined and connected longer than that, is still there.
    lan.send(json!({"type": "ping", "t": 1})).await;
    lan.wait_type("pong").await;
}

/// A websocket that comes through a proxy naming `client` in
/// `X-Forwarded-For`.
async fn via_proxy(addr: std::net::SocketAddr, client: &str) -> Client {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = format!("ws://{addr}/ws").into_client_request().unwrap();
    req.headers_mut().insert(
        "x-forwarded-for",
        format!("6.6.6.6, {client}").parse().unwrap(),
    );
    let (ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("websocket connects");
    Client::wrap(ws)
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_phone_is_counted_for_itself() {
    let guarded = |trusted: bool| GuardConfig {
        members_per_address: 1,
        // Behind a trusted proxy: fewer than the phones it carries.
        connections_per_address: if trusted { 2 } else { 64 },
        trust_loopback: false,
        trusted_proxies: if trusted {
            vec!["127.0.0.1".parse().unwrap()]
        } else {
            Vec::new()
        },
        ..GuardConfig::default()
    };
    let server = TestServer::start_guarded(guarded(true)).await;
    let pin = server.create_meeting("alltypes").await;
    // More connections than one address may hold: the proxy is not capped,
    // and each phone behind it gets its own count of members.
    let mut phones = Vec::new();
    for (i, client) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
        .iter()
        .enumerate()
    {
        let mut c = via_proxy(server.addr, client).await;
        c.hello("member", &pin, json!({"name": format!("Đảng viên {i}")}))
            .await
            .expect("a phone behind the proxy joins");
        phones.push(c);
    }
    let mut again = via_proxy(server.addr, "198.51.100.1").await;
    let e = again
        .hello("member", &pin, json!({"name": "Người thứ hai"}))
        .await
        .unwrap_err();
    assert_eq!(
        e["code"], "too_many_members",
        "the same phone is capped: {e}"
    );

    // Without --trusted-proxy the header is ignored: everyone is the proxy.
    let server = TestServer::start_guarded(guarded(false)).await;
    let pin = server.create_meeting("alltypes").await;
    let mut first = via_proxy(server.addr, "198.51.100.1").await;
    first
        .hello("member", &pin, json!({"name": "An"}))
        .await
        .unwrap();
    let mut second = via_proxy(server.addr, "198.51.100.2").await;
    let e = second
        .hello("member", &pin, json!({"name": "Bình"}))
        .await
        .unwrap_err();
    assert_eq!(e["code"], "too_many_members", "{e}");
}

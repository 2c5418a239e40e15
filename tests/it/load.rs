//! The load generator against the real server, small enough for CI: it
//! asserts correctness (everyone joins, every answer and vote acknowledged,
//! nothing lost or counted twice), not timings — timings are measured by
//! `handsup-load` itself and recorded in docs/PERFORMANCE.md.

use serde_json::Value;

use crate::support::{Binary, SECRET};

fn load(addr: std::net::SocketAddr, members: usize, meetings: usize) -> Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_handsup-load"))
        .args([
            "--url",
            &format!("http://{addr}"),
            "--host-secret",
            SECRET,
            "--bank",
            "alltypes",
            "--json",
        ])
        .args([
            "--members",
            &members.to_string(),
            "--meetings",
            &meetings.to_string(),
            "--timeout",
            "60",
        ])
        .output()
        .expect("run handsup-load");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "handsup-load failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("one JSON line expected ({e}): {stdout}"))
}

#[test]
fn a_few_hundred_phones_lose_nothing_and_count_nothing_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = Binary::start(tmp.path(), "").expect("server starts");
    for (members, meetings) in [(300, 1), (300, 6)] {
        let r = load(bin.addr, members, meetings);
        assert_eq!(r["joined"], members, "{r}");
        assert_eq!(r["lost"], 0, "{r}");
        assert_eq!(r["duplicated"], 0, "{r}");
        assert_eq!(r["failures"], serde_json::json!([]), "{r}");
        for field in [
            "fanout_p99_ms",
            "ack_p99_ms",
            "tally_complete_ms",
            "rss_per_member_kib",
            "joins_per_s",
        ] {
            assert!(r[field].is_number(), "the report has {field}: {r}");
        }
    }
}

/// Runs `handsup-load` with `args`, expecting it to fail within `within`:
/// its stderr, and how long it took.
fn load_fails(args: &[&str], within: std::time::Duration) -> (String, std::time::Duration) {
    let started = std::time::Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_handsup-load"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run handsup-load");
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if started.elapsed() > within {
            let _ = child.kill();
            let _ = child.wait();
            panic!("handsup-load {args:?} still running after {within:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let out = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !status.success(),
        "handsup-load {args:?} should fail: {stderr}"
    );
    (stderr, started.elapsed())
}

/// A stand-in for the server binary: a shell script.
fn fake_server(dir: &std::path::Path, script: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("fake-handsup");
    std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn a_missing_server_binary_is_named_before_anything_starts() {
    for scenario in ["restart", "blip", "soak"] {
        let (err, _) = load_fails(
            &[
                "--scenario",
                scenario,
                "--members",
                "10",
                "--server-bin",
                "/nonexistent/handsup",
            ],
            std::time::Duration::from_secs(20),
        );
        assert!(
            err.contains("/nonexistent/handsup: no such file") && err.contains("cargo build"),
            "{scenario}: {err}"
        );
    }
}

#[test]
fn a_server_that_cannot_listen_ends_the_run_with_its_own_words() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = fake_server(
        tmp.path(),
        "echo 'Error: 127.0.0.1:8080 is already in use; choose another --port' >&2\nexit 1",
    );
    let (err, took) = load_fails(
        &[
            "--scenario",
            "restart",
            "--members",
            "10",
            "--server-bin",
            bin.to_str().unwrap(),
        ],
        std::time::Duration::from_secs(20),
    );
    assert!(err.contains("exited before listening"), "{err}");
    assert!(err.contains("is already in use"), "{err}");
    assert!(took < std::time::Duration::from_secs(10), "took {took:?}");
}

#[test]
fn a_server_that_never_listens_is_stopped_after_the_timeout() {
    let tmp = tempfile::tempdir().unwrap();
    let pid_file = tmp.path().join("pid");
    let bin = fake_server(
        tmp.path(),
        &format!("echo $$ > '{}'\nexec sleep 120", pid_file.display()),
    );
    let (err, _) = load_fails(
        &[
            "--scenario",
            "blip",
            "--members",
            "10",
            "--timeout",
            "2",
            "--server-bin",
            bin.to_str().unwrap(),
        ],
        std::time::Duration::from_secs(30),
    );
    assert!(err.contains("did not start listening within 2 s"), "{err}");
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let pid = pid.trim();
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "the server it started (pid {pid}) is still running"
    );
}

#[test]
fn a_port_held_by_something_else_ends_the_run_with_a_reason() {
    // Something that accepts connections and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    let (err, _) = load_fails(
        &[
            "--url",
            &format!("http://{addr}"),
            "--members",
            "10",
            "--timeout",
            "2",
        ],
        std::time::Duration::from_secs(30),
    );
    assert!(
        err.contains("no answer within 2 s") && err.contains("--url"),
        "{err}"
    );
    // Nothing listening at all.
    drop(silent);
    let (err, _) = load_fails(
        &["--url", &format!("http://{addr}"), "--members", "10"],
        std::time::Duration::from_secs(30),
    );
    assert!(
        err.contains("cannot connect") && err.contains("--url"),
        "{err}"
    );
}

#[test]
fn too_few_file_descriptors_are_refused_with_the_limit_to_set() {
    let started = std::time::Instant::now();
    let out = std::process::Command::new("bash")
        .args([
            "-c",
            "ulimit -n 256 && exec \"$0\" \"$@\"",
            env!("CARGO_BIN_EXE_handsup-load"),
            "--members",
            "1000",
            "--url",
            "http://127.0.0.1:9",
        ])
        .output()
        .expect("run handsup-load");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("ulimit -n 1066"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn a_bad_list_of_node_urls_is_refused_with_what_to_write() {
    for (urls, says) in [
        ("http://127.0.0.1:1,,http://127.0.0.1:2", "an empty entry"),
        ("https://127.0.0.1:1", "write each node as http://HOST:PORT"),
        ("127.0.0.1:8080", "write each node as http://HOST:PORT"),
        ("http://127.0.0.1:1/ws", "with no path"),
        (
            "http://127.0.0.1:9,http://127.0.0.1:9",
            "names the same node twice",
        ),
    ] {
        let (err, took) = load_fails(
            &["--url", urls, "--members", "10"],
            std::time::Duration::from_secs(20),
        );
        assert!(err.contains(says), "{urls}: {err}");
        assert!(took < std::time::Duration::from_secs(10), "took {took:?}");
    }
}

#[test]
fn nodes_need_a_database_and_no_url() {
    for (args, says) in [
        (&["--nodes", "3"][..], "give --database postgres://"),
        (
            &["--nodes", "3", "--database", "mysql://x/y"][..],
            "not a PostgreSQL URL",
        ),
        (&["--database", "temp"][..], "add --nodes N"),
        (
            &["--nodes", "0", "--database", "temp"][..],
            "start at least one node",
        ),
        (
            &[
                "--nodes",
                "2",
                "--database",
                "temp",
                "--url",
                "http://127.0.0.1:9",
            ][..],
            "leave out --url",
        ),
        (
            &[
                "--scenario",
                "failover",
                "--nodes",
                "1",
                "--database",
                "temp",
            ][..],
            "--nodes 2 or more",
        ),
        (&["--scenario", "failover"][..], "--database temp"),
        (
            &["--scenario", "blip", "--nodes", "2", "--database", "temp"][..],
            "calm and failover scenarios",
        ),
        (
            &["--scenario", "restart", "--url", "http://127.0.0.1:9"][..],
            "run a server of their own",
        ),
        (
            &[
                "--nodes",
                "2",
                "--database",
                "temp",
                "--server-bin",
                "/nonexistent/handsup",
            ][..],
            "/nonexistent/handsup: no such file",
        ),
    ] {
        let (err, took) = load_fails(args, std::time::Duration::from_secs(20));
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(took < std::time::Duration::from_secs(10), "took {took:?}");
    }
}

#[test]
fn phones_whose_node_is_down_go_to_the_next_url() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = Binary::start(tmp.path(), "").expect("server starts");
    // A port nobody listens on: half the phones start there.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_handsup-load"))
        .args([
            "--url",
            &format!("http://{},http://{dead}", bin.addr),
            "--host-secret",
            SECRET,
            "--bank",
            "alltypes",
            "--json",
            "--members",
            "20",
            "--timeout",
            "60",
        ])
        .output()
        .expect("run handsup-load");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "handsup-load failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(r["joined"], 20, "{r}");
    assert_eq!(r["lost"], 0, "{r}");
    assert_eq!(r["duplicated"], 0, "{r}");
}

/// Runs `handsup-load` with `args` against nodes it starts itself (the
/// real server binary, a temporary PostgreSQL): its one JSON line.
fn load_nodes(args: &[&str]) -> Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_handsup-load"))
        .args(["--server-bin", env!("CARGO_BIN_EXE_handsup")])
        .args(["--database", "temp", "--bank", "demo-en", "--json"])
        .args(["--timeout", "60"])
        .args(args)
        .output()
        .expect("run handsup-load");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "handsup-load {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("one JSON line expected ({e}): {stdout}"))
}

#[test]
fn three_nodes_serve_phones_spread_over_all_of_them() {
    let r = load_nodes(&["--nodes", "3", "--members", "60", "--meetings", "2"]);
    assert_eq!(r["nodes"], 3, "{r}");
    assert_eq!(r["joined"], 60, "{r}");
    assert_eq!(r["lost"], 0, "{r}");
    assert_eq!(r["duplicated"], 0, "{r}");
    assert_eq!(r["failures"], serde_json::json!([]), "{r}");
}

#[test]
fn failover_kills_the_owner_mid_vote_and_loses_nothing() {
    let r = load_nodes(&[
        "--scenario",
        "failover",
        "--members",
        "30",
        "--lease-seconds",
        "2",
    ]);
    assert_eq!(r["nodes"], 3, "{r}");
    assert_eq!(r["lost"], 0, "{r}");
    assert_eq!(r["duplicated"], 0, "{r}");
    // Taken over within 5 s of the lease expiring.
    let after_expiry = r["takeover_after_expiry_s"].as_f64().expect("measured");
    assert!(after_expiry <= 5.0, "{r}");
    let takeover = r["takeover_s"].as_f64().expect("measured");
    assert!(takeover <= 2.0 + 5.0, "{r}");
    // Every phone whose connection was lost came back.
    assert!(r["dropped"].as_u64().unwrap() > 0, "{r}");
    assert!(r["back_100_s"].as_f64().unwrap() > 0.0, "{r}");
}

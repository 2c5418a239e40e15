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

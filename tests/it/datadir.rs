//! A data directory Handsup cannot trust is never overwritten: the server
//! refuses to start and says what is wrong and what to do.

use std::path::Path;
use std::time::Duration;

use serde_json::json;

use crate::support::{Binary, Client};

fn digest(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

/// Starts the binary and expects it to refuse, leaving `file` untouched.
fn refuses(dir: &Path, file: &Path, needle: &str) {
    let before = digest(file);
    let err = match Binary::start(dir, "") {
        Ok(_) => panic!("the server started on a bad data directory"),
        Err(e) => e,
    };
    assert!(err.contains(needle), "message should say {needle:?}: {err}");
    assert!(
        err.contains("--data") || err.contains("Upgrade"),
        "and what to do: {err}"
    );
    assert_eq!(digest(file), before, "the file is untouched");
}

#[test]
fn a_file_that_is_not_a_database_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("handsup.db");
    std::fs::write(&db, b"this is not SQLite, it is a shopping list").unwrap();
    refuses(tmp.path(), &db, "not a readable SQLite database");
}

#[test]
fn another_programs_database_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("handsup.db");
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute_batch("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices VALUES (1, 9.5);")
        .unwrap();
    drop(c);
    refuses(tmp.path(), &db, "belongs to another program");
}

#[test]
fn a_database_from_a_newer_version_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("handsup.db");
    // Let the server create a real database, then pretend a newer version migrated it.
    let b = Binary::start(tmp.path(), "").expect("first start");
    drop(b);
    let c = rusqlite::Connection::open(&db).unwrap();
    c.pragma_update(None, "user_version", 99).unwrap();
    c.pragma_update(None, "journal_mode", "DELETE").unwrap();
    drop(c);
    refuses(
        tmp.path(),
        &db,
        "written by a newer Handsup (schema version 99",
    );
}

#[test]
fn a_directory_full_of_other_files_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let other = tmp.path().join("thesis.docx");
    std::fs::write(&other, b"chapter one").unwrap();
    refuses(tmp.path(), &other, "is not a Handsup data directory");
}

#[test]
fn a_full_disk_at_start_is_refused_with_advice() {
    let tmp = tempfile::tempdir().unwrap();
    // Files may not grow beyond 1 KiB: creating the database fails.
    let err = match Binary::start(tmp.path(), "trap '' XFSZ; ulimit -f 1;") {
        Ok(_) => panic!("started without room to write"),
        Err(e) => e,
    };
    assert!(err.contains("free disk space"), "{err}");
}

#[tokio::test]
async fn a_disk_that_fills_up_stops_input_and_resumes_when_there_is_room() {
    let tmp = tempfile::tempdir().unwrap();
    // A soft limit on file size, raised later as an administrator freeing
    // space would.
    let bin = Binary::start(tmp.path(), "trap '' XFSZ; ulimit -S -f 600;").expect("starts");
    let pin = bin.create_meeting("alltypes").await;
    // Join until the disk is full; remember who was acknowledged.
    let mut joined = Vec::new();
    let mut waiting = None;
    let disk_full = || bin.logs.lock().unwrap().contains("cannot be reached");
    'joining: for i in 0..20_000 {
        let mut c = Client::connect_addr(bin.addr).await;
        let name = format!("Thành viên số {i}");
        let hello = c.hello("member", &pin, json!({"name": name}));
        let reply = match tokio::time::timeout(Duration::from_secs(1), hello).await {
            Ok(r) => r,
            // Slow (a busy machine), or its write is the one that found the
            // disk full: then it waits for room, and the log says so.
            Err(_) => loop {
                if disk_full() {
                    waiting = Some((c, name));
                    break 'joining;
                }
                let reply = c.wait("the reply to hello", |v| {
                    v["type"] == "welcome" || v["type"] == "error"
                });
                if let Ok(v) = tokio::time::timeout(Duration::from_secs(1), reply).await {
                    break if v["type"] == "welcome" {
                        Ok(v)
                    } else {
                        Err(v)
                    };
                }
            },
        };
        match reply {
            Ok(w) => joined.push((w["member"]["token"].as_str().unwrap().to_string(), name)),
            Err(e) => {
                assert_eq!(e["code"], "database_unavailable", "{e}");
                break;
            }
        }
    }
    assert!(!joined.is_empty());
    // Nothing more is taken while the disk is full.
    let mut c = Client::connect_addr(bin.addr).await;
    let e = c
        .hello("member", &pin, json!({"name": "Không còn chỗ"}))
        .await
        .expect_err("refused while the disk is full");
    assert_eq!(e["code"], "database_unavailable", "{e}");
    assert!(disk_full(), "logged: {}", bin.logs.lock().unwrap());

    // Room again: the waiting join is acknowledged, and input is taken.
    let out = std::process::Command::new("prlimit")
        .args(["--pid", &bin.child.id().to_string(), "--fsize=unlimited"])
        .output()
        .expect("prlimit");
    assert!(out.status.success(), "{out:?}");
    if let Some((mut c, name)) = waiting {
        let w = c
            .wait("the waiting welcome", |v| v["type"] == "welcome")
            .await;
        joined.push((w["member"]["token"].as_str().unwrap().to_string(), name));
    }
    let mut c = Client::connect_addr(bin.addr).await;
    let w = loop {
        // Until the writer, trying again, finds room.
        match c.hello("member", &pin, json!({"name": "Có chỗ rồi"})).await {
            Ok(w) => break w,
            Err(e) => {
                assert_eq!(e["code"], "database_unavailable", "{e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    joined.push((
        w["member"]["token"].as_str().unwrap().to_string(),
        "Có chỗ rồi".to_string(),
    ));
    drop(bin);

    // After a restart, every acknowledged member is still there.
    let bin = Binary::start(tmp.path(), "").expect("restarts");
    for (token, name) in joined.iter().rev().take(50) {
        let mut c = Client::connect_addr(bin.addr).await;
        let w = c
            .hello("member", &pin, json!({"token": token}))
            .await
            .expect("acknowledged join survived");
        assert_eq!(&w["member"]["name"], name);
    }
}

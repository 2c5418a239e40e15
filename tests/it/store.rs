//! The store on both backends: SQLite in the data directory and a real
//! PostgreSQL server (`crate::pg`), through the same `Store` interface; and
//! PostgreSQL databases Handsup must refuse.

use handsup::store::{PgStore, SqliteStore, Store};

use crate::pg::{self, Db};
use crate::support::TestServer;

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// A new, empty store of the given kind (and the temporary directory SQLite
/// keeps it in).
fn open(db: Db) -> (Box<dyn Store>, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let store: Box<dyn Store> = match db.url() {
        None => Box::new(SqliteStore::open(tmp.path()).unwrap()),
        Some(url) => Box::new(PgStore::open(&url).unwrap()),
    };
    (store, tmp)
}

fn a_deleted_meetings_pin_is_held_for_a_day(db: Db) {
    let (store, _tmp) = open(db);
    assert!(!store.pin_in_use("482913").unwrap());
    store.delete_meeting(7, "482913", now_ms()).unwrap();
    assert!(store.pin_in_use("482913").unwrap(), "held after deletion");
    assert!(!store.pin_in_use("482914").unwrap());
    // Deleted more than a day ago: free again.
    store
        .delete_meeting(
            8,
            "111111",
            now_ms() - handsup::store::DELETED_PIN_HOLD_MS - 1000,
        )
        .unwrap();
    assert!(!store.pin_in_use("111111").unwrap());
    assert_eq!(store.max_meeting_id().unwrap(), 0);
    assert!(store.meetings().unwrap().is_empty());
    assert!(store.load().unwrap().is_empty());
    assert!(store.load_banks().unwrap().is_empty());
    store.close();
}

#[test]
fn a_deleted_meetings_pin_is_held_for_a_day_on_sqlite() {
    a_deleted_meetings_pin_is_held_for_a_day(Db::Sqlite);
}

#[test]
fn a_deleted_meetings_pin_is_held_for_a_day_on_postgres() {
    a_deleted_meetings_pin_is_held_for_a_day(Db::Postgres);
}

/// Starting on `url` fails; returns the error.
async fn refused(url: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let url = url.to_string();
    let e =
        TestServer::try_start_at_with(&tmp.path().join("data"), move |c| c.database = Some(url))
            .await
            .err()
            .expect("the server refuses to start");
    format!("{e:#}")
}

#[tokio::test]
async fn an_unreachable_database_is_a_clear_error() {
    // A port nobody listens on (bound, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = refused(&format!(
        "postgres://handsup:hunter2@127.0.0.1:{port}/handsup"
    ))
    .await;
    assert!(e.contains("cannot connect to the database"), "{e}");
    assert!(e.contains(&format!("127.0.0.1:{port}/handsup")), "{e}");
    assert!(e.contains("Check that PostgreSQL is running"), "{e}");
    assert!(!e.contains("hunter2"), "the password is never shown: {e}");

    let e = refused("mysql://localhost/handsup").await;
    assert!(e.contains("not a PostgreSQL URL"), "{e}");
}

#[tokio::test]
async fn a_url_that_requires_tls_is_refused_with_why() {
    // Handsup's PostgreSQL client has no TLS (docs/DEPLOY.md).
    let e = refused(&format!("{}?sslmode=require", crate::pg::database())).await;
    assert!(e.contains("sslmode=require"), "{e}");
    assert!(e.contains("without TLS"), "{e}");
    assert!(e.contains("private network or a tunnel"), "{e}");
}

#[test]
fn the_binary_exits_with_an_error_when_the_database_is_unreachable() {
    let tmp = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_handsup"))
        .args(["serve", "--bind", "127.0.0.1", "--port", "0", "--data"])
        .arg(tmp.path().join("data"))
        .env(
            "HANDSUP_DATABASE_URL",
            format!("postgres://handsup@127.0.0.1:{port}/handsup"),
        )
        .env("HANDSUP_HOST_SECRET", "s")
        .output()
        .unwrap();
    assert!(!out.status.success(), "a non-zero exit");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot connect to the database"), "{err}");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("is running"),
        "no banner"
    );
}

#[tokio::test]
async fn a_database_of_a_newer_schema_is_refused_and_left_alone() {
    let url = pg::database();
    // A first start creates the schema.
    TestServer::start_in_db(
        &tempfile::tempdir().unwrap().path().join("data"),
        None,
        Some(url.clone()),
    )
    .await
    .stop()
    .await;
    let db = url.rsplit('/').next().unwrap().to_string();
    pg::admin(&db, "UPDATE handsup_schema SET version = 99");
    let e = refused(&url).await;
    assert!(e.contains("newer Handsup"), "{e}");
    assert!(e.contains("schema version 99"), "{e}");
    assert_eq!(
        pg::query(&url, "SELECT version FROM handsup_schema"),
        vec![vec!["99".to_string()]],
        "untouched"
    );
}

#[tokio::test]
async fn a_database_holding_another_applications_tables_is_refused() {
    let url = pg::database();
    let db = url.rsplit('/').next().unwrap().to_string();
    pg::admin(
        &db,
        "CREATE TABLE customers (id INT PRIMARY KEY, name TEXT);
         INSERT INTO customers VALUES (1, 'Nguyễn Văn A')",
    );
    let e = refused(&url).await;
    assert!(e.contains("belongs to another application"), "{e}");
    assert!(e.contains("customers"), "{e}");
    let tables = pg::query(
        &url,
        "SELECT table_name FROM information_schema.tables
         WHERE table_schema = 'public' ORDER BY 1",
    );
    assert_eq!(tables, vec![vec!["customers".to_string()]], "nothing added");
}

#[tokio::test]
async fn a_second_server_on_the_same_database_is_refused_until_the_first_stops() {
    let url = pg::database();
    let tmp = tempfile::tempdir().unwrap();
    let mut first = TestServer::start_in_db(&tmp.path().join("a"), None, Some(url.clone())).await;
    let pin = first.create_meeting("alltypes").await;
    let e = refused(&url).await;
    assert!(
        e.contains("another Handsup server is using this database"),
        "{e}"
    );
    first.stop().await;
    let second = TestServer::start_in_db(&tmp.path().join("b"), None, Some(url)).await;
    // The meeting resumes on the second server.
    crate::support::Client::screen(&second, &pin).await;
}

#[test]
fn a_unix_socket_url_connects() {
    let url = pg::database();
    let db = url.rsplit('/').next().unwrap();
    let socket = pg::data_dir()
        .parent()
        .unwrap()
        .display()
        .to_string()
        .replace('/', "%2F");
    let store = PgStore::open(&format!("postgres://handsup@{socket}:{}/{db}", pg::port())).unwrap();
    assert!(store.meetings().unwrap().is_empty());
    store.close();
}

/// Two store handles on one database, as two nodes would hold: the lease
/// decides who may append to a meeting, and a handle whose lease was taken
/// over cannot append any more (its write is refused alone; the store goes
/// on).
async fn a_stale_lease_cannot_append(db: Db) {
    use handsup::store::{FENCED, Fence, Op, Write};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let url = db.url();
    let mut server = TestServer::start_in_db(&dir, None, url.clone()).await;
    let pin = server.create_meeting("alltypes").await;
    // A member joins: the meeting has an event to copy.
    drop(crate::support::Client::member(&server, &pin, "Lan").await);
    server.stop().await;
    let open = || -> Box<dyn Store> {
        match &url {
            None => Box::new(SqliteStore::open(&dir).unwrap()),
            Some(u) => Box::new(PgStore::open_shared(u).unwrap()),
        }
    };
    let (a, b) = (open(), open());
    let (loaded, _) = a.load_meeting(&pin).unwrap().unwrap();
    let meeting = loaded.id;
    let last = loaded.events.last().unwrap().clone();
    let t0 = now_ms();
    let append = |store: &dyn Store, seq: u64, cid: &str, epoch: u64| {
        let mut env = last.clone();
        env.seq = seq;
        env.cid = Some(cid.to_string());
        let (tx, rx) = tokio::sync::oneshot::channel();
        store
            .submit(Write {
                ops: vec![Op::Event {
                    meeting,
                    env: Box::new(env),
                }],
                notify: None,
                reply: Some(tx),
                fence: Some(Fence { meeting, epoch }),
            })
            .unwrap();
        rx
    };

    assert_eq!(
        a.take_lease(meeting, "node-a", t0, 10_000).unwrap(),
        Some(1)
    );
    assert_eq!(
        b.take_lease(meeting, "node-b", t0 + 1_000, 10_000).unwrap(),
        None,
        "held by node-a"
    );
    assert_eq!(
        a.take_lease(meeting, "node-a", t0 + 5_000, 10_000).unwrap(),
        Some(1),
        "renewed: the same epoch"
    );
    let n = last.seq;
    append(&*a, n + 1, "a1", 1)
        .await
        .unwrap()
        .expect("the owner appends");

    // node-a pauses past its lease; node-b takes the meeting over.
    assert_eq!(
        b.take_lease(meeting, "node-b", t0 + 16_000, 10_000)
            .unwrap(),
        Some(2),
        "taken over: a new epoch"
    );
    let e = append(&*a, n + 2, "a2", 1).await.unwrap();
    assert_eq!(e, Err(FENCED.to_string()), "the stale writer is fenced off");
    append(&*b, n + 2, "b2", 2)
        .await
        .unwrap()
        .expect("the new owner appends");
    assert_eq!(
        a.take_lease(meeting, "node-a", t0 + 17_000, 10_000)
            .unwrap(),
        None,
        "node-a cannot take it back while node-b holds it"
    );
    // node-a's store still works for what needs no lease.
    assert!(
        a.submit(Write {
            ops: vec![],
            notify: None,
            reply: None,
            fence: None
        })
        .is_ok()
    );
    let (loaded, _) = b.load_meeting(&pin).unwrap().unwrap();
    let tail: Vec<_> = loaded.events[loaded.events.len() - 2..]
        .iter()
        .map(|e| (e.seq, e.cid.clone().unwrap_or_default()))
        .collect();
    assert_eq!(tail, vec![(n + 1, "a1".into()), (n + 2, "b2".into())]);
    a.close();
    b.close();
}

#[tokio::test]
async fn a_stale_lease_cannot_append_on_sqlite() {
    a_stale_lease_cannot_append(Db::Sqlite).await;
}

#[tokio::test]
async fn a_stale_lease_cannot_append_on_postgres() {
    a_stale_lease_cannot_append(Db::Postgres).await;
}

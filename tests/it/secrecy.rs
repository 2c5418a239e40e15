//! Secret ballots against an attacker who holds a copy of the data
//! directory (SPEC §5, issue 8): the copy is replayed commit by commit from
//! its write-ahead log, every state it ever held is read (every table, and
//! the free pages), and two successive states are compared to link voters
//! to choices. The real server must leave no group smaller than five; a
//! control run with ballots written one by one shows the attack works.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::{Binary, Client, SECRET, TestServer, until};

/// The smallest group of voters a copy may single out.
const GROUP: usize = 5;

/// What one state of the database says about a motion's secret ballot.
#[derive(Clone, Debug, Default, PartialEq)]
struct Ballots {
    /// Members recorded as having voted.
    voters: BTreeSet<u64>,
    /// option → count.
    counts: BTreeMap<u32, i64>,
}

/// Copies the database files of `dir` as they are now (an attacker's copy).
fn copy_data_dir(dir: &Path, to: &Path) -> PathBuf {
    std::fs::create_dir_all(to).unwrap();
    for f in ["handsup.db", "handsup.db-wal"] {
        let from = dir.join(f);
        if let Ok(bytes) = std::fs::read(&from) {
            std::fs::write(to.join(f), bytes).unwrap();
        }
    }
    to.to_path_buf()
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}

/// Every state a copy holds: the main file alone, then the main file with
/// each committed transaction of its write-ahead log applied in turn. Frames
/// of an older log generation (left behind after the log restarted) are
/// replayed as their own chain. Each state is a database image.
fn states(copy: &Path) -> Vec<Vec<Vec<u8>>> {
    let base = std::fs::read(copy.join("handsup.db")).unwrap_or_default();
    let wal = std::fs::read(copy.join("handsup.db-wal")).unwrap_or_default();
    let mut chains = vec![vec![base.clone()]];
    if wal.len() < 32 {
        return chains;
    }
    let page = be32(&wal, 8) as usize;
    let frame = 24 + page;
    // Frames grouped by the log generation (salt) they were written in.
    let mut generations: Vec<((u32, u32), Vec<usize>)> = Vec::new();
    let mut at = 32;
    while at + frame <= wal.len() {
        let salt = (be32(&wal, at + 8), be32(&wal, at + 12));
        match generations.last_mut() {
            Some((s, frames)) if *s == salt => frames.push(at),
            _ => generations.push((salt, vec![at])),
        }
        at += frame;
    }
    for (_, frames) in generations {
        let mut image = base.clone();
        let mut chain = Vec::new();
        for at in frames {
            let pgno = be32(&wal, at) as usize;
            let commit_size = be32(&wal, at + 4) as usize;
            if pgno == 0 {
                continue;
            }
            let off = (pgno - 1) * page;
            if image.len() < off + page {
                image.resize(off + page, 0);
            }
            image[off..off + page].copy_from_slice(&wal[at + 24..at + frame]);
            if commit_size > 0 {
                image.truncate(commit_size * page);
                chain.push(image.clone());
            }
        }
        chains.push(chain);
    }
    chains
}

/// Opens a database image on its own (no log) and reads the motion's
/// ballots; checks every table and the free pages on the way.
fn read_state(image: &[u8], work: &Path, motion: u64) -> Option<Ballots> {
    if image.len() < 100 {
        return None;
    }
    let mut image = image.to_vec();
    // Rollback-journal mode, so the image opens without a log beside it.
    image[18] = 1;
    image[19] = 1;
    let path = work.join("state.db");
    let _ = std::fs::remove_file(&path);
    std::fs::write(&path, &image).unwrap();
    let conn =
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .ok()?;
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .ok()?
        .query_map([], |r| r.get(0))
        .ok()?
        .collect::<Result<_, _>>()
        .ok()?;
    if tables.is_empty() {
        // A state from before the schema: nothing to read.
        return None;
    }
    // `deleted_pins` (schema 2) holds PINs only; `banks` (a later
    // migration) holds uploaded question banks, written from the host
    // console, never by a member; `meeting_leases` (schema 5) a meeting,
    // a node name, an epoch and a time; `nodes` (schema 6) a cluster's
    // nodes: ids, addresses, a check value of the host secret, times.
    let tables: Vec<&str> = tables
        .iter()
        .map(String::as_str)
        .filter(|t| !["deleted_pins", "banks", "meeting_leases", "nodes"].contains(t))
        .collect();
    assert_eq!(
        tables,
        vec!["events", "meetings", "secret_counts"],
        "no other table could hold a link"
    );
    let mut b = Ballots::default();
    let mut stmt = conn.prepare("SELECT body FROM events").ok()?;
    let bodies = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .ok()?
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    for body in bodies {
        let v: Value = serde_json::from_str(&body).expect("events are JSON");
        if v["event"]["kind"] == "ballot_cast" {
            assert!(
                v["event"].get("option").is_none() && !body.contains("option"),
                "a stored ballot names its choice: {body}"
            );
            if v["event"]["motion"] == motion {
                b.voters.insert(v["event"]["member"].as_u64().unwrap());
            }
        }
    }
    let mut stmt = conn
        .prepare("SELECT option, count FROM secret_counts WHERE motion = ?1")
        .ok()?;
    b.counts = stmt
        .query_map([motion as i64], |r| Ok((r.get(0)?, r.get(1)?)))
        .ok()?
        .collect::<Result<_, _>>()
        .ok()?;
    check_free_pages(&conn, &image);
    Some(b)
}

/// Free pages must hold nothing: no older version of any table.
fn check_free_pages(conn: &rusqlite::Connection, image: &[u8]) {
    let page = match u16::from_be_bytes([image[16], image[17]]) {
        1 => 65536,
        n => n as usize,
    };
    let used: BTreeSet<u32> = conn
        .prepare("SELECT pageno FROM dbstat")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let pages = (image.len() / page) as u32;
    // Freelist trunk pages: [next trunk][n][n leaf page numbers][zeros].
    let mut trunks = BTreeSet::new();
    let mut trunk = be32(image, 32);
    while trunk != 0 && trunks.insert(trunk) {
        let p = &image[(trunk as usize - 1) * page..trunk as usize * page];
        let n = be32(p, 4) as usize;
        assert!(
            p[8 + 4 * n..].iter().all(|&x| x == 0),
            "free-list page {trunk} holds old data"
        );
        trunk = be32(p, 0);
    }
    for pgno in 1..=pages {
        if used.contains(&pgno) || trunks.contains(&pgno) || pgno == 1 {
            continue;
        }
        let p = &image[(pgno as usize - 1) * page..pgno as usize * page];
        assert!(
            p.iter().all(|&x| x == 0),
            "free page {pgno} holds old data (secure_delete must zero it)"
        );
    }
}

/// What the attack learnt from a copy.
#[derive(Debug, Default)]
struct Attack {
    /// States read.
    states: usize,
    /// The smallest group of voters whose ballots one commit revealed.
    smallest: Option<usize>,
    /// Voters singled out with their choice.
    linked: BTreeMap<u64, u32>,
}

/// Replays every state of `copy` and compares each with the one before.
fn attack(copy: &Path, motion: u64) -> Attack {
    let work = tempfile::tempdir().unwrap();
    let mut out = Attack::default();
    for chain in states(copy) {
        let mut before: Option<Ballots> = None;
        // Voters seen since the counts last moved.
        let mut waiting: BTreeSet<u64> = BTreeSet::new();
        for image in chain {
            let Some(now) = read_state(&image, work.path(), motion) else {
                continue;
            };
            out.states += 1;
            if let Some(prev) = &before {
                waiting.extend(now.voters.difference(&prev.voters));
                let moved: BTreeMap<u32, i64> = now
                    .counts
                    .iter()
                    .map(|(o, c)| (*o, c - prev.counts.get(o).copied().unwrap_or(0)))
                    .filter(|(_, d)| *d != 0)
                    .collect();
                if !moved.is_empty() {
                    let group = waiting.len();
                    out.smallest = Some(out.smallest.map_or(group, |s| s.min(group)));
                    if group == 1 && moved.len() == 1 {
                        let voter = *waiting.iter().next().unwrap();
                        out.linked.insert(voter, *moved.keys().next().unwrap());
                    }
                    waiting.clear();
                }
            }
            before = Some(now);
        }
    }
    out
}

/// Asserts that no state of `copy` singles out fewer than `least` voters.
fn assert_unlinkable(copy: &Path, motion: u64, least: usize, when: &str) -> Attack {
    let a = attack(copy, motion);
    assert!(a.states > 0, "{when}: the copy holds a readable database");
    assert!(
        a.linked.is_empty(),
        "{when}: voters linked to their choice: {:?}",
        a.linked
    );
    if let Some(s) = a.smallest {
        assert!(
            s >= least,
            "{when}: one commit revealed the ballots of only {s} voters"
        );
    }
    eprintln!(
        "{when}: {} states read, smallest group {:?}",
        a.states, a.smallest
    );
    a
}

async fn secret_motion(host: &mut Client) {
    host.command(json!({"type": "motion_create", "text": "Bầu bí thư chi bộ", "ballot": "secret"}))
        .await
        .unwrap();
    host.command(json!({"type": "motion_open", "motion": 1}))
        .await
        .unwrap();
}

/// Member `i` ("Voter i") joins and casts ballot "bi" for `option` on
/// motion 1 (its ack may come later, with its group).
async fn secret_vote(server: &TestServer, pin: &str, i: usize, option: usize) -> Client {
    let mut c = Client::member(server, pin, &format!("Voter {i}")).await;
    c.ballot(json!({"type": "vote", "cid": format!("b{i}"), "motion": 1, "option": option}))
        .await
        .unwrap();
    c
}

/// 23 members vote on a secret ballot; the server is killed with SIGKILL
/// after 17 ballots, restarted, the phones resend what was not
/// acknowledged, the rest vote and the motion closes. Copies of the data
/// directory taken after every ballot, right after the kill, after the
/// restart and at the end are all attacked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_of_the_data_directory_at_any_moment_links_no_voter_to_a_choice() {
    const VOTERS: usize = 23;
    const KILL_AFTER: usize = 17;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let copies = tmp.path().join("copies");
    let bin = Binary::start(&data, "").expect("starts");
    let pin = bin.create_meeting("alltypes").await;
    let mut host = Client::connect_addr(bin.addr).await;
    host.hello("host", &pin, json!({"secret": SECRET}))
        .await
        .unwrap();
    secret_motion(&mut host).await;
    let choice = |i: usize| (i * 7 % 3) as u64;

    let mut tokens = Vec::new();
    let mut phones = Vec::new();
    for i in 0..VOTERS {
        let mut c = Client::connect_addr(bin.addr).await;
        c.hello("member", &pin, json!({"name": format!("Voter {i}")}))
            .await
            .unwrap();
        tokens.push(c.token.clone().unwrap());
        phones.push(c);
    }
    let mut acked = [false; VOTERS];
    for i in 0..KILL_AFTER {
        let r = phones[i]
            .ballot(
                json!({"type": "vote", "cid": format!("b{i}"), "motion": 1, "option": choice(i)}),
            )
            .await
            .unwrap();
        acked[i] |= r["type"] == "ack";
        let copy = copy_data_dir(&data, &copies.join(format!("vote-{i}")));
        assert_unlinkable(&copy, 1, GROUP, &format!("after ballot {i}"));
    }
    // Two groups of five were written (at the 10th and the 15th ballot);
    // the newest seven wait in the box, counted but not durable.
    for (i, c) in phones.iter_mut().enumerate().take(2 * GROUP) {
        c.wait_ack(&format!("b{i}")).await;
        acked[i] = true;
    }
    for (i, c) in phones.iter().enumerate().skip(2 * GROUP) {
        assert!(
            !c.log.iter().any(|f| f["type"] == "ack"),
            "ballot {i} is acknowledged before its group is written"
        );
    }
    drop(phones);
    drop(host);
    bin.kill();
    let copy = copy_data_dir(&data, &copies.join("after-kill"));
    assert_unlinkable(&copy, 1, GROUP, "after SIGKILL");

    // Restart: every phone resumes and resends its ballot if it had one.
    let bin = Binary::start(&data, "").expect("restarts");
    let copy = copy_data_dir(&data, &copies.join("after-restart"));
    assert_unlinkable(&copy, 1, GROUP, "after the restart");
    let mut phones = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let mut c = Client::connect_addr(bin.addr).await;
        c.hello("member", &pin, json!({"token": token}))
            .await
            .expect("resumes");
        let r = c
            .ballot(
                json!({"type": "vote", "cid": format!("b{i}"), "motion": 1, "option": choice(i)}),
            )
            .await
            .expect("a ballot, resent or new, is acknowledged or received");
        if acked[i] {
            assert_eq!(r["type"], "ack", "a durable ballot is acknowledged again");
        }
        phones.push((c, r["type"] == "received"));
        let copy = copy_data_dir(&data, &copies.join(format!("again-{i}")));
        assert_unlinkable(&copy, 1, GROUP, &format!("after ballot {i} again"));
    }
    let mut host = Client::connect_addr(bin.addr).await;
    host.hello("host", &pin, json!({"secret": SECRET}))
        .await
        .unwrap();
    host.command(json!({"type": "motion_close", "motion": 1}))
        .await
        .unwrap();
    for (i, (c, _)) in phones.iter_mut().enumerate().filter(|(_, p)| p.1) {
        c.wait_ack(&format!("b{i}")).await;
    }
    let st = host
        .wait("result", |v| {
            v["type"] == "state" && v["motion"]["status"] == "closed"
        })
        .await;
    let counts: Vec<u64> = (0..3)
        .map(|o| (0..VOTERS).filter(|&i| choice(i) == o).count() as u64)
        .collect();
    assert_eq!(
        st["motion"]["result"]["counts"],
        json!(counts),
        "counted once each"
    );
    assert_eq!(st["motion"]["result"]["voted"], VOTERS);
    let copy = copy_data_dir(&data, &copies.join("closed"));
    assert_unlinkable(&copy, 1, GROUP, "after close");
}

/// The control: the same attack on a server that writes each secret ballot
/// on its own (a group of one) links nearly every voter to their choice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_attack_links_voters_when_ballots_are_written_one_by_one() {
    const VOTERS: usize = 10;
    let server = TestServer::start_with(|c| c.secret_group = 1).await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    secret_motion(&mut host).await;
    let choice = |i: usize| (i * 7 % 3) as u32;
    let mut phones = Vec::new();
    for i in 0..VOTERS {
        phones.push(secret_vote(&server, &pin, i, choice(i) as usize).await);
    }
    // Each ballot is written when the next arrives: wait until the ninth is
    // durable, then take the copy.
    phones[VOTERS - 2]
        .wait_ack(&format!("b{}", VOTERS - 2))
        .await;
    let tmp = tempfile::tempdir().unwrap();
    let copy = copy_data_dir(&server.dir, tmp.path());
    let a = attack(&copy, 1);
    let members: Vec<u64> = phones.iter().map(|c| c.member.unwrap()).collect();
    let right = a
        .linked
        .iter()
        .filter(|(m, o)| {
            let i = members.iter().position(|x| x == *m).unwrap();
            choice(i) == **o
        })
        .count();
    assert_eq!(a.smallest, Some(1));
    assert!(
        right >= VOTERS - 1,
        "the attack links {right} of {VOTERS} voters to their choice: {a:?}"
    );
}

/// What PostgreSQL's write-ahead log tells of one secret ballot: per
/// transaction that changed the secret counts, the ballots (ballot_cast
/// rows) it inserted, and whether a count changed before the transaction's
/// last event row (an order that could tie a count to a ballot).
#[derive(Debug)]
struct WalTx {
    ballots: usize,
    count_changes: usize,
    count_before_an_event: bool,
}

/// Reads the test cluster's WAL between two positions with `pg_waldump`,
/// as an attacker with a copy of the PostgreSQL data directory would, and
/// finds, for every transaction that touched `secret_counts`, which event
/// rows it inserted (looked up by their position in the `events` table).
fn wal_transactions(url: &str, from: &str, to: &str, counts_files: &[String]) -> Vec<WalTx> {
    let q = |sql: &str| crate::pg::query(url, sql)[0][0].clone();
    let db_oid = q("SELECT oid FROM pg_database WHERE datname = current_database()");
    let events_file = q("SELECT pg_relation_filenode('events')");
    let out = std::process::Command::new(crate::pg::program("pg_waldump"))
        .arg("-p")
        .arg(crate::pg::data_dir().join("pg_wal"))
        .args(["-s", from, "-e", to, "-r", "Heap"])
        .output()
        .expect("pg_waldump runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.is_empty(),
        "pg_waldump printed nothing: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // tx → (events inserted at (block, offset), count changes, a count
    // changed before an event row).
    type Rows = Vec<(String, String)>;
    let mut txs: BTreeMap<String, (Rows, usize, bool)> = BTreeMap::new();
    for line in text.lines() {
        let field = |name: &str| {
            line.split(name)
                .nth(1)
                .map(|r| r.split([',', ' ']).find(|s| !s.is_empty()).unwrap_or(""))
        };
        let (Some(tx), Some(rel)) = (field("tx:"), field("rel ")) else {
            continue;
        };
        let mut rel = rel.split('/');
        let (_, db, file) = (rel.next(), rel.next(), rel.next());
        if db != Some(db_oid.as_str()) {
            continue;
        }
        let file = file.unwrap_or_default().to_string();
        let desc = line.split("desc: ").nth(1).unwrap_or("");
        let t = txs.entry(tx.to_string()).or_default();
        if file == events_file && desc.starts_with("INSERT") {
            let off = desc
                .split("off ")
                .nth(1)
                .and_then(|r| r.split([',', ' ']).next())
                .unwrap_or("")
                .to_string();
            let blk = field(" blk ").unwrap_or("").to_string();
            if t.1 > 0 {
                t.2 = true;
            }
            t.0.push((blk, off));
        } else if counts_files.contains(&file)
            && (desc.starts_with("INSERT") || desc.contains("UPDATE"))
        {
            t.1 += 1;
        }
    }
    txs.into_values()
        .filter(|t| t.1 > 0)
        .map(|(rows, count_changes, count_before_an_event)| {
            let ballots = rows
                .iter()
                .filter(|(blk, off)| {
                    q(&format!(
                        "SELECT count(*) FROM events WHERE ctid = '({blk},{off})' AND body LIKE '%\"ballot_cast\"%'"
                    )) == "1"
                })
                .count();
            WalTx {
                ballots,
                count_changes,
                count_before_an_event,
            }
        })
        .collect()
}

/// A server on a new PostgreSQL database writing secret ballots in groups
/// of `group`, a meeting, its host, and a secret motion open.
async fn secret_motion_on_postgres(group: usize) -> (TestServer, String, Client) {
    let url = crate::pg::database();
    let server = TestServer::start_with(move |c| {
        c.database = Some(url);
        c.secret_group = group;
    })
    .await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    secret_motion(&mut host).await;
    (server, pin, host)
}

/// Casts `voters` secret ballots one after the other on a server on
/// PostgreSQL (groups of `group`), closes the motion, and returns the
/// database URL, the WAL positions around the ballot and the files the
/// secret counts were kept in.
async fn ballot_on_postgres(group: usize, voters: usize) -> (String, String, String, Vec<String>) {
    let (server, pin, mut host) = secret_motion_on_postgres(group).await;
    let url = server.database.clone().unwrap();
    let q = |sql: &str| crate::pg::query(&url, sql)[0][0].clone();
    let mut files = vec![q("SELECT pg_relation_filenode('secret_counts')")];
    let from = q("SELECT pg_current_wal_lsn()");
    let mut phones = Vec::new();
    for i in 0..voters {
        phones.push(secret_vote(&server, &pin, i, i * 7 % 3).await);
    }
    host.command(json!({"type": "motion_close", "motion": 1}))
        .await
        .unwrap();
    host.wait("closed", |v| {
        v["type"] == "state" && v["motion"]["status"] == "closed"
    })
    .await;
    for (i, c) in phones.iter_mut().enumerate() {
        c.wait_ack(&format!("b{i}")).await;
    }
    // The counts' table is rewritten after the close (off its ack): wait
    // until only the live rows are left in its pages.
    until("the counts' table rewritten", async || {
        (dead_counts(&url) == 0).then_some(())
    })
    .await;
    files.push(q("SELECT pg_relation_filenode('secret_counts')"));
    let to = q("SELECT pg_current_wal_lsn()");
    (url, from, to, files)
}

/// How many dead row versions (earlier states of a count) the first page
/// of the secret counts' table holds.
fn dead_counts(url: &str) -> usize {
    crate::pg::admin(
        url.rsplit('/').next().unwrap(),
        "CREATE EXTENSION IF NOT EXISTS pageinspect",
    );
    let n = |sql: &str| -> usize { crate::pg::query(url, sql)[0][0].parse().unwrap() };
    n("SELECT count(*) FROM heap_page_items(get_raw_page('secret_counts', 0))")
        - n("SELECT count(*) FROM secret_counts")
}

/// On PostgreSQL, an attacker with a copy of the data directory reads the
/// write-ahead log: every transaction that moved the secret counts wrote
/// at least five ballots, wrote the counts after every event row (so the
/// log's order ties no count to a ballot), and once the motion is closed
/// the counts' table holds no earlier version of a count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_the_write_ahead_log_links_no_voter_to_a_choice() {
    const VOTERS: usize = 13;
    let (url, from, to, files) = ballot_on_postgres(GROUP, VOTERS).await;
    let txs = wal_transactions(&url, &from, &to, &files);
    eprintln!("transactions that moved the counts: {txs:?}");
    assert!(!txs.is_empty(), "the counts were written");
    assert_eq!(
        txs.iter().map(|t| t.ballots).sum::<usize>(),
        VOTERS,
        "every ballot found in the log: {txs:?}"
    );
    for t in &txs {
        assert!(
            t.ballots >= GROUP,
            "a transaction wrote {} ballots with the counts: {txs:?}",
            t.ballots
        );
        assert!(
            !t.count_before_an_event,
            "a count changed between ballots: {txs:?}"
        );
        assert!(t.count_changes <= 3, "one change per option: {txs:?}");
    }
    // After the close the table was rewritten (`ballot_on_postgres` waits
    // until its pages hold no dead version of a count): the live rows.
    let live = crate::pg::query(&url, "SELECT count(*) FROM secret_counts");
    assert_eq!(live[0][0], "3");
}

/// A report on the database: a repeatable-read transaction in a session
/// of its own, open until `end`.
struct Report {
    release: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Report {
    /// Opens the transaction and takes its snapshot.
    fn open(url: &str) -> Report {
        let url = url.to_string();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (held, holding) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            let mut tx = c
                .build_transaction()
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .start()
                .unwrap();
            tx.query("SELECT count(*) FROM secret_counts", &[]).unwrap();
            held.send(()).unwrap();
            released.recv().unwrap();
            tx.commit().unwrap();
        });
        holding.recv().unwrap();
        Report { release, thread }
    }

    fn end(self) {
        self.release.send(()).unwrap();
        self.thread.join().unwrap();
    }
}

/// Ten secret ballots on a server on PostgreSQL, and the motion closed
/// while a report opened between the two groups of ballots still runs: it
/// sees the counts the second group (written with the close) replaced, so
/// they stay in the table.
async fn close_during_a_report() -> (TestServer, Client, Report) {
    const VOTERS: usize = 2 * GROUP;
    let (server, pin, mut host) = secret_motion_on_postgres(GROUP).await;
    let url = server.database.clone().unwrap();
    // The tenth ballot seals the first five; the close writes the rest.
    let mut phones = Vec::new();
    for i in 0..VOTERS {
        phones.push(secret_vote(&server, &pin, i, i % 2).await);
    }
    for (i, c) in phones.iter_mut().enumerate().take(GROUP) {
        c.wait_ack(&format!("b{i}")).await;
    }
    let report = Report::open(&url);
    host.command(json!({"type": "motion_close", "motion": 1}))
        .await
        .unwrap();
    assert!(
        dead_counts(&url) > 0,
        "earlier counts kept for the report's snapshot"
    );
    (server, host, report)
}

/// Another session's transaction that began before a secret motion closed
/// (a long report) can still see the earlier counts, so they stay in the
/// table while it runs, however long; once it ends the server rewrites the
/// table without being asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_the_old_counts_go_once_an_older_snapshot_ends() {
    let (server, mut host, report) = close_during_a_report().await;
    let url = server.database.clone().unwrap();
    // Another write after the close: the counts are still not rewritten.
    host.command(
        json!({"type": "motion_create", "text": "Thông qua nghị quyết", "ballot": "secret"}),
    )
    .await
    .unwrap();
    assert!(dead_counts(&url) > 0, "kept while the report runs");
    report.end();
    until("the counts' table rewritten", async || {
        (dead_counts(&url) == 0).then_some(())
    })
    .await;
    let live = crate::pg::query(&url, "SELECT count(*) FROM secret_counts");
    assert_eq!(live[0][0], "2");
}

/// A server stopped before it could rewrite the counts' table (here kept
/// from it by a report until it stopped) rewrites it when it starts again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_the_old_counts_left_by_a_stopped_server_go_when_it_starts() {
    let (mut server, host, report) = close_during_a_report().await;
    let url = server.database.clone().unwrap();
    drop(host);
    let tmp = server.stop().await;
    report.end();
    assert!(dead_counts(&url) > 0, "nothing removed them meanwhile");
    let _server = TestServer::start_in_db(&server.dir, None, Some(url.clone())).await;
    until("the counts' table rewritten", async || {
        (dead_counts(&url) == 0).then_some(())
    })
    .await;
    drop(tmp);
}

/// The control: ballots written one by one (a group of one) show in the
/// log as transactions of a single ballot each, which the attack above
/// would catch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_the_log_attack_sees_ballots_written_one_by_one() {
    const VOTERS: usize = 6;
    let (url, from, to, files) = ballot_on_postgres(1, VOTERS).await;
    let txs = wal_transactions(&url, &from, &to, &files);
    assert_eq!(
        txs.iter().map(|t| t.ballots).sum::<usize>(),
        VOTERS,
        "{txs:?}"
    );
    // Group commit may merge two writes that arrive together; most stay
    // alone, and each such transaction ties one voter to one count.
    assert!(
        txs.iter().filter(|t| t.ballots == 1).count() >= VOTERS / 2,
        "single-ballot transactions: {txs:?}"
    );
}

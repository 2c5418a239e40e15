//! Several nodes on one PostgreSQL database (`--node-url`): real
//! processes, so that a node can be killed (SIGKILL) or paused (SIGSTOP).
//! Each test has a database of its own on the test PostgreSQL server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Binary, Client, SECRET, create_meeting_at, until};

/// The tests' lease: short, so that takeovers come quickly.
const LEASE_S: u64 = 3;
/// Longest any wait for the cluster lasts.
const BOUND: Duration = Duration::from_secs(30);

/// A node of a test cluster.
struct Node {
    bin: Option<Binary>,
    addr: std::net::SocketAddr,
    pid: i32,
    dir: tempfile::TempDir,
    /// The command line after the common options.
    args: String,
    env: String,
}

impl Node {
    /// Starts a node on `db` with the test secret.
    fn start(db: &str) -> Node {
        Self::try_start(db, SECRET).expect("node starts")
    }

    fn try_start(db: &str, secret: &str) -> Result<Node, String> {
        Self::try_start_lease(db, secret, LEASE_S)
    }

    fn try_start_lease(db: &str, secret: &str, lease: u64) -> Result<Node, String> {
        let dir = tempfile::tempdir().unwrap();
        // The node's own address must be known before it starts: a free
        // port, taken again at once by the node.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let env = format!("export HANDSUP_DATABASE_URL='{db}';");
        let args = format!(
            "--port {port} --host-secret {secret} --node-url http://127.0.0.1:{port} --lease-seconds {lease}"
        );
        let bin = Binary::start_args(dir.path(), &env, &args)?;
        Ok(Node {
            addr: bin.addr,
            pid: bin.child.id() as i32,
            bin: Some(bin),
            dir,
            args,
            env,
        })
    }

    /// Starts the node again, on the same address (a new node id).
    fn restart(&mut self) {
        let bin = Binary::start_args(self.dir.path(), &self.env, &self.args).expect("restarts");
        self.pid = bin.child.id() as i32;
        self.bin = Some(bin);
    }

    /// SIGKILL: no chance to hand anything over.
    fn kill(&mut self) {
        if let Some(b) = self.bin.take() {
            b.kill();
        }
    }

    fn signal(&self, sig: i32) {
        // SAFETY: signalling our own child.
        assert_eq!(unsafe { libc::kill(self.pid, sig) }, 0);
    }

    /// Stops the node and waits until every one of its threads has
    /// stopped: `kill` returns before that, and on a busy machine the
    /// node's other threads may run on (and handle a frame) until the one
    /// the signal went to is scheduled.
    async fn pause(&self) {
        self.signal(libc::SIGSTOP);
        let pid = self.pid;
        until("every thread of the node stopped", async || {
            let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
            let mut all = true;
            for t in tasks.flatten() {
                let stat = std::fs::read_to_string(t.path().join("stat")).unwrap_or_default();
                // The state follows the command name's closing parenthesis.
                let state = stat.rsplit_once(") ").and_then(|(_, r)| r.chars().next());
                all &= matches!(state, Some('T') | Some('t'));
            }
            all.then_some(())
        })
        .await;
    }

    fn logs(&self) -> String {
        self.bin
            .as_ref()
            .map(|b| b.logs.lock().unwrap().clone())
            .unwrap_or_default()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        // A failing test shows what each node logged.
        if std::thread::panicking() {
            eprintln!("--- node {} ---\n{}", self.addr, self.logs());
        }
        // A paused node must be able to die.
        if self.bin.is_some() {
            self.signal(libc::SIGCONT);
        }
    }
}

/// The meeting's lease: (node, epoch), whether or not it expired.
fn lease(db: &str, pin: &str) -> Option<(String, i64)> {
    crate::pg::query(
        db,
        &format!(
            "SELECT l.node, l.epoch FROM meeting_leases l JOIN meetings m ON m.id = l.meeting
             WHERE m.pin = '{pin}' AND l.expires_at > (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT"
        ),
    )
    .into_iter()
    .next()
    .map(|r| (r[0].clone(), r[1].parse().unwrap()))
}

/// A number the database answers to `sql`.
fn count(db: &str, sql: &str) -> i64 {
    crate::pg::query(db, sql)[0][0].parse().unwrap()
}

/// Stored `voted` events of motion `motion`, per member.
fn stored_votes(db: &str, motion: u64) -> i64 {
    count(
        db,
        &format!(
            "SELECT count(*) FROM events WHERE body LIKE '%\"kind\":\"voted\"%' AND body LIKE '%\"motion\":{motion},%'"
        ),
    )
}

/// Joins (or resumes, with `token`) on the node at `addr`, retrying while
/// the meeting is changing owner (`server_busy`, a closed socket), as the
/// pages do.
async fn join(addr: std::net::SocketAddr, role: &str, pin: &str, extra: Value) -> Client {
    until(&format!("{role} joins at {addr}"), async || {
        let Ok(Ok((ws, _))) = tokio::time::timeout(
            Duration::from_secs(5),
            tokio_tungstenite::connect_async(format!("ws://{addr}/ws")),
        )
        .await
        else {
            return None;
        };
        let mut c = Client::wrap(ws);
        let mut hello =
            json!({"type": "hello", "protocol": 1, "role": role, "pin": pin, "cid": c.cid()});
        if let Value::Object(m) = &extra {
            for (k, x) in m {
                hello[k] = x.clone();
            }
        }
        c.send(hello).await;
        loop {
            match c.next().await {
                Some(f) if f["type"] == "welcome" => {
                    if role == "member" {
                        c.member = f["member"]["id"].as_u64();
                        c.token = f["member"]["token"].as_str().map(str::to_string);
                    }
                    return Some(c);
                }
                Some(f) if f["type"] == "error" => {
                    assert_eq!(f["code"], "server_busy", "only a move is retried: {f}");
                    return None;
                }
                Some(_) => continue,
                None => return None,
            }
        }
    })
    .await
}

async fn host_at(addr: std::net::SocketAddr, pin: &str) -> Client {
    join(addr, "host", pin, json!({"secret": SECRET})).await
}

/// Three nodes; a meeting created on the first, a member on the second and
/// the projector on the third: everything a phone and the projector see
/// arrives, and the counts are right.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_serve_one_meeting_from_any_node() {
    let db = crate::pg::database();
    let (a, b, c) = (Node::start(&db), Node::start(&db), Node::start(&db));
    let http = reqwest::Client::new();
    let pin = create_meeting_at(&http, a.addr, "alltypes").await;
    let mut host = host_at(a.addr, &pin).await;
    let mut lan = join(b.addr, "member", &pin, json!({"name": "Lan"})).await;
    let st = lan.wait_type("state").await;
    assert_eq!(st["phase"], "lobby");
    let mut screen = join(c.addr, "screen", &pin, json!({})).await;
    screen.wait_type("state").await;
    screen
        .wait("the member on the projector", |v| {
            v["type"] == "live" && v["connected"] == 1
        })
        .await;

    // A question, answered through a relay, counted on the projector of
    // another node.
    host.command(json!({"type": "start"})).await.unwrap();
    lan.wait_phase("question").await;
    lan.command(json!({"type": "answer", "question": 0, "choice": [1]}))
        .await
        .expect("the answer is acknowledged through the relay");
    // Everybody answered: the question closes, on the projector too.
    screen.wait_phase("reveal").await;

    // A vote, the same way.
    host.command(json!({"type": "motion_create", "text": "Thông qua nghị quyết"}))
        .await
        .unwrap();
    host.command(json!({"type": "motion_open", "motion": 1}))
        .await
        .unwrap();
    lan.wait("the motion on the phone", |v| {
        v["type"] == "state" && v["motion"]["status"] == "open"
    })
    .await;
    lan.command(json!({"type": "vote", "motion": 1, "option": 0}))
        .await
        .expect("the vote is acknowledged through the relay");
    let live = screen
        .wait("the vote counted", |v| {
            v["type"] == "live" && v["vote"]["voted"] == 1
        })
        .await;
    assert_eq!(live["vote"]["motion"], 1);
    assert_eq!(stored_votes(&db, 1), 1, "stored once");

    // The host's API answers on every node (forwarded to the owner), and
    // every node lists the meeting.
    for node in [&b, &c] {
        let roster = http
            .get(format!("http://{}/api/meetings/{pin}/roster", node.addr))
            .bearer_auth(SECRET)
            .send()
            .await
            .unwrap();
        assert_eq!(roster.status(), 200, "roster through {}", node.addr);
        let list: Value = http
            .get(format!("http://{}/api/meetings", node.addr))
            .bearer_auth(SECRET)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mine = list
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["pin"] == pin.as_str())
            .unwrap_or_else(|| panic!("{pin} listed on {}: {list}", node.addr));
        assert_eq!(mine["members"], 1);
        let page = http
            .get(format!("http://{}/j/{pin}", node.addr))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "the join page on every node");
    }
    // A file sent to another node reaches the owner, and its answer comes
    // back as it is: created, or every problem with its line.
    let motions = |node: std::net::SocketAddr, body: &str| {
        http.post(format!("http://{node}/api/meetings/{pin}/motions"))
            .bearer_auth(SECRET)
            .body(body.to_string())
            .send()
    };
    let r = motions(
        c.addr,
        "## Nghị quyết tháng 11\n\n## Kỷ luật\ntemplate: discipline\n",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.json::<Value>().await.unwrap()["created"], json!([2, 3]));
    let r = motions(b.addr, "## Nghị quyết\ntemplate: vote\n")
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["problems"][0]["line"], 2);
    // Without the host secret nothing is forwarded.
    let r = http
        .get(format!("http://{}/api/meetings/{pin}/roster", b.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // A node's token is no host secret.
    let r = http
        .get(format!("http://{}/api/meetings/{pin}/roster", b.addr))
        .header("x-handsup-node", handsup::cluster::node_token(SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // The node that created it owns it, and only it.
    let (owner, epoch) = lease(&db, &pin).expect("a live lease");
    assert_eq!(epoch, 1);
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT count(*) FROM nodes WHERE id = '{owner}' AND url = 'http://{}'",
                a.addr
            )
        ),
        1
    );
    // Meetings created on several nodes at once never share a PIN.
    let mut pins = std::collections::HashSet::new();
    let creations = [&a, &b, &c].into_iter().cycle().take(12).map(|n| {
        let http = http.clone();
        let addr = n.addr;
        async move { create_meeting_at(&http, addr, "alltypes").await }
    });
    for p in futures_util::future::join_all(creations).await {
        assert!(pins.insert(p.clone()), "PIN {p} handed out twice");
    }
    assert_eq!(
        count(
            &db,
            "SELECT count(DISTINCT pin) FROM meetings WHERE ended_at IS NULL"
        ),
        13
    );
}

/// Members of the failover burst.
const BURST: usize = 150;

/// `kill -9` of the node that owns the meeting in the middle of a vote
/// burst: another node owns it within the lease and 5 seconds, the
/// members (each reconnecting to another node) resume, every acknowledged
/// vote is counted exactly once; a question open while the meeting has no
/// owner keeps the time it had left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_owner_mid_burst_moves_the_meeting_and_loses_no_vote() {
    let db = crate::pg::database();
    let mut nodes = [Node::start(&db), Node::start(&db), Node::start(&db)];
    let http = reqwest::Client::new();
    let pin = create_meeting_at(&http, nodes[0].addr, "alltypes").await;
    let (first_owner, _) = lease(&db, &pin).expect("a lease");
    let mut host = host_at(nodes[1].addr, &pin).await;
    host.command(json!({"type": "motion_create", "text": "Thông qua nghị quyết"}))
        .await
        .unwrap();
    let mut members = Vec::new();
    for i in 0..BURST {
        let addr = nodes[i % 3].addr;
        let c = join(
            addr,
            "member",
            &pin,
            json!({"name": format!("Đảng viên {i}")}),
        )
        .await;
        members.push(c);
    }
    let tokens: Vec<String> = members.iter().map(|c| c.token.clone().unwrap()).collect();
    host.command(json!({"type": "motion_open", "motion": 1}))
        .await
        .unwrap();

    // Every member votes at once; the owner dies once half are acknowledged.
    let acked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let half = Arc::new(tokio::sync::Notify::new());
    let mut tasks = Vec::new();
    for (i, mut c) in members.into_iter().enumerate() {
        let (acked, half) = (acked.clone(), half.clone());
        tasks.push(tokio::spawn(async move {
            // A burst spread over a second and a half, so that the kill
            // falls in its middle.
            tokio::time::sleep(Duration::from_millis(10 * i as u64)).await;
            c.send(json!({"type": "vote", "cid": format!("v-{i}"), "motion": 1, "option": i % 3}))
                .await;
            loop {
                match c.next().await {
                    Some(f) if f["type"] == "ack" && f["cid"] == format!("v-{i}") => break,
                    Some(f) if f["type"] == "error" => panic!("vote refused: {f}"),
                    Some(_) => continue,
                    None => return false,
                }
            }
            if acked.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == BURST / 2 {
                half.notify_one();
            }
            true
        }));
    }
    tokio::time::timeout(BOUND, half.notified())
        .await
        .expect("half the votes acknowledged");
    nodes[0].kill();
    let killed = Instant::now();
    let mut was_acked = Vec::new();
    for t in tasks {
        was_acked.push(
            tokio::time::timeout(BOUND, t)
                .await
                .expect("every phone sees its ack or loses its socket")
                .unwrap(),
        );
    }
    eprintln!(
        "every phone's vote settled {:?} after the SIGKILL",
        killed.elapsed()
    );
    let n_acked = was_acked.iter().filter(|a| **a).count();
    eprintln!("{n_acked} of {BURST} votes acknowledged before the SIGKILL");

    // Another node owns the meeting within the lease and 5 s.
    let (second_owner, epoch) = until("a new owner", async || {
        lease(&db, &pin).filter(|(n, _)| *n != first_owner)
    })
    .await;
    let took = killed.elapsed();
    eprintln!("taken over {took:?} after the SIGKILL");
    assert!(
        took <= Duration::from_secs(LEASE_S + 5),
        "taken over after {took:?}"
    );
    assert_eq!(epoch, 2, "a takeover raises the epoch");

    // Each member reconnects to another live node, resumes, and resends
    // an unacknowledged vote with its cid (as the pages do).
    let mut again = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let addr = nodes[1 + (i % 2)].addr;
        let mut c = join(addr, "member", &pin, json!({"token": token})).await;
        if !was_acked[i] {
            c.command(
                json!({"type": "vote", "cid": format!("v-{i}"), "motion": 1, "option": i % 3}),
            )
            .await
            .expect("a resent vote is acknowledged");
        }
        again.push(c);
    }
    let back = killed.elapsed();
    eprintln!("every phone back {back:?} after the SIGKILL");
    let mut host = host_at(nodes[2].addr, &pin).await;
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
    assert_eq!(counts[0], (0..BURST).filter(|i| i % 3 == 0).count() as u64);
    assert_eq!(counts.iter().sum::<u64>(), BURST as u64);
    assert_eq!(stored_votes(&db, 1), BURST as i64, "stored once each");
    host.command(json!({"type": "motion_close", "motion": 1}))
        .await
        .unwrap();

    // A question runs; its owner dies; the time without an owner does
    // not count.
    host.command(json!({"type": "start"})).await.unwrap();
    let shown = Instant::now();
    let st = host.wait_phase("question").await;
    let limit = st["question"]["time_limit_ms"].as_u64().unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let used_max = shown.elapsed().as_millis() as u64;
    let owner_idx = nodes
        .iter()
        .position(|n| {
            n.bin.is_some()
                && count(
                    &db,
                    &format!(
                        "SELECT count(*) FROM nodes WHERE id = '{second_owner}' AND url = 'http://{}'",
                        n.addr
                    ),
                ) == 1
        })
        .expect("the owner is one of the nodes");
    nodes[owner_idx].kill();
    let survivor = nodes.iter().find(|n| n.bin.is_some()).unwrap().addr;
    let mut lan = join(survivor, "member", &pin, json!({"token": tokens[0]})).await;
    let st = lan.wait_phase("question").await;
    let q = &st["question"];
    let (resumes, closes) = (
        q["resumes_in_ms"].as_u64().unwrap(),
        q["closes_in_ms"].as_u64().unwrap(),
    );
    assert!(resumes > 0 && resumes <= 5_000, "a Tiếp tục countdown: {q}");
    let left = closes - resumes;
    // The heartbeat is at most a second old at the kill: up to a second
    // more than was left, never less; the seconds without an owner are
    // not taken from it.
    assert!(
        left + used_max >= limit && left + 1_500 <= limit + 1_000,
        "left {left} ms of {limit} after using at most {used_max} ms"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM events WHERE body LIKE '%\"kind\":\"resumed\"%'"
        ),
        1,
        "the extension is an event: a replay gives the same deadline"
    );
}

/// A paused owner (SIGSTOP) past its lease: another node takes over; once
/// it runs again, its writes are refused, its connections close, and its
/// phones resume on the new owner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_owner_is_fenced_off_and_its_phones_move() {
    let db = crate::pg::database();
    let a = Node::start(&db);
    let b = Node::start(&db);
    let http = reqwest::Client::new();
    let pin = create_meeting_at(&http, a.addr, "alltypes").await;
    let mut host = host_at(b.addr, &pin).await;
    host.command(json!({"type": "motion_create", "text": "Thông qua nghị quyết"}))
        .await
        .unwrap();
    host.command(json!({"type": "motion_open", "motion": 1}))
        .await
        .unwrap();
    // Lan is on the owner itself, Minh on the other node (relayed).
    let mut lan = join(a.addr, "member", &pin, json!({"name": "Lan"})).await;
    let lan_token = lan.token.clone().unwrap();
    let mut minh = join(b.addr, "member", &pin, json!({"name": "Minh"})).await;
    let (first, _) = lease(&db, &pin).unwrap();

    a.pause().await;
    // Lan votes into the paused node.
    lan.send(json!({"type": "vote", "cid": "lan-1", "motion": 1, "option": 2}))
        .await;
    let (second, epoch) = until("the other node takes over", async || {
        lease(&db, &pin).filter(|(n, _)| *n != first)
    })
    .await;
    assert_eq!(epoch, 2);
    // The new owner runs the meeting meanwhile.
    let mut host = host_at(b.addr, &pin).await;
    host.command(json!({"type": "motion_create", "text": "Kế hoạch quý I"}))
        .await
        .unwrap();

    a.signal(libc::SIGCONT);
    // The old owner acknowledges nothing more and closes its connections.
    let mut acked = false;
    while let Some(f) = lan.next().await {
        if f["type"] == "ack" && f["cid"] == "lan-1" {
            acked = true;
        }
    }
    assert!(!acked, "a fenced-off node acknowledged a vote");
    assert_eq!(
        lan.closed.as_ref().map(|c| c.0),
        Some(1012),
        "meeting moved"
    );
    let (code, _) = minh.until_closed().await;
    assert_eq!(code, 1012, "the relayed phone is told too");
    assert_eq!(
        stored_votes(&db, 1),
        0,
        "nothing appended with the old epoch"
    );
    assert_eq!(
        lease(&db, &pin).map(|l| l.0),
        Some(second),
        "still the new owner's"
    );
    let health: Value = http
        .get(format!("http://{}/healthz", a.addr))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["meetings"], 0, "the old owner runs no room for it");

    // Lan reconnects to the same node (now relaying to the new owner),
    // resumes, and resends the vote: counted once.
    let mut lan = join(a.addr, "member", &pin, json!({"token": lan_token})).await;
    lan.wait_type("state").await;
    lan.command(json!({"type": "vote", "cid": "lan-1", "motion": 1, "option": 2}))
        .await
        .expect("the resent vote is acknowledged");
    lan.command(json!({"type": "vote", "cid": "lan-1", "motion": 1, "option": 2}))
        .await
        .expect("and again, still once");
    assert_eq!(stored_votes(&db, 1), 1);
    let _ = join(b.addr, "member", &pin, json!({"name": "Hoa"})).await;
    assert!(
        a.logs().contains("no longer owns the meeting")
            || a.logs().contains("another node took this meeting over"),
        "the old owner says why it stopped: {}",
        a.logs()
    );
}

/// The only node dies and comes back at the same address at once: its
/// earlier life's lease runs out, the new node takes the meeting over, and
/// the member resumes there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_restarted_at_once_gets_its_meetings_back_when_the_lease_runs_out() {
    let db = crate::pg::database();
    let mut a = Node::start(&db);
    let http = reqwest::Client::new();
    let pin = create_meeting_at(&http, a.addr, "alltypes").await;
    let mut lan = join(a.addr, "member", &pin, json!({"name": "Lan"})).await;
    let token = lan.token.clone().unwrap();
    lan.wait_type("state").await;
    let (first, _) = lease(&db, &pin).unwrap();
    a.kill();
    let killed = Instant::now();
    a.restart();
    let mut lan = join(a.addr, "member", &pin, json!({"token": token})).await;
    let back = killed.elapsed();
    assert_eq!(lan.wait_type("state").await["phase"], "lobby");
    let (now, epoch) = lease(&db, &pin).unwrap();
    assert_ne!(now, first, "the new life of the node owns it");
    assert_eq!(epoch, 2);
    assert!(
        back <= Duration::from_secs(LEASE_S + 5),
        "back after {back:?}"
    );
}

/// A bank uploaded on one node is listed and used on the others at once,
/// and deleted on all of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bank_uploaded_on_one_node_serves_every_node() {
    const BANK: &str = "# Ôn tập tháng 11\nlanguage: vi\n\n\
        ## Chi bộ họp thường lệ bao lâu một lần?\n- [ ] Mỗi tuần\n- [x] Mỗi tháng\n\
        explanation: Điều lệ Đảng, Điều 24.\n";
    let db = crate::pg::database();
    let (a, b) = (Node::start(&db), Node::start(&db));
    let http = reqwest::Client::new();
    let listed = async |node: &Node| -> bool {
        let list: Value = http
            .get(format!("http://{}/api/banks", node.addr))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == "on-tap-11")
    };
    assert!(!listed(&b).await);
    let r = http
        .post(format!(
            "http://{}/api/banks?filename=on-tap-11.bank.md",
            a.addr
        ))
        .bearer_auth(SECRET)
        .body(BANK)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert!(listed(&b).await, "listed on the other node at once");
    let pin = create_meeting_at(&http, b.addr, "on-tap-11").await;
    let mut screen = join(a.addr, "screen", &pin, json!({})).await;
    let st = screen.wait_type("state").await;
    assert_eq!(st["question_count"], 1, "the uploaded bank's questions");
    let r = http
        .delete(format!("http://{}/api/banks/on-tap-11", b.addr))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "deleted on the other node: {}",
        r.status()
    );
    assert!(!listed(&a).await, "and gone from the first");
}

/// A node stopped cleanly (SIGTERM) hands its meetings over at once, not
/// when their lease runs out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_stops_cleanly_hands_its_meetings_over_at_once() {
    const LONG: u64 = 30;
    let db = crate::pg::database();
    let a = Node::try_start_lease(&db, SECRET, LONG).unwrap();
    let b = Node::try_start_lease(&db, SECRET, LONG).unwrap();
    let http = reqwest::Client::new();
    let pin = create_meeting_at(&http, a.addr, "alltypes").await;
    let mut lan = join(b.addr, "member", &pin, json!({"name": "Lan"})).await;
    let token = lan.token.clone().unwrap();
    let (first, _) = lease(&db, &pin).unwrap();
    a.signal(libc::SIGTERM);
    let stopped = Instant::now();
    let (code, reason) = lan.until_closed().await;
    assert_eq!((code, reason.as_str()), (1001, "server shutting down"));
    until("the other node owns the meeting", async || {
        lease(&db, &pin).filter(|(n, _)| *n != first)
    })
    .await;
    let took = stopped.elapsed();
    assert!(
        took < Duration::from_secs(LONG / 2),
        "handed over after {took:?}, not at the end of its {LONG} s lease"
    );
    let mut lan = join(b.addr, "member", &pin, json!({"token": token})).await;
    assert_eq!(lan.wait_type("state").await["phase"], "lobby");
    assert_eq!(
        count(
            &db,
            &format!("SELECT count(*) FROM nodes WHERE id = '{first}'")
        ),
        0,
        "the stopped node left the cluster"
    );
}

/// A node whose host secret differs from the running nodes' is refused at
/// start, and `--node-url` needs a PostgreSQL database.
#[tokio::test]
async fn a_node_with_another_host_secret_or_without_postgres_is_refused() {
    let db = crate::pg::database();
    let _a = Node::start(&db);
    let e = Node::try_start(&db, "another-secret")
        .err()
        .expect("refused");
    assert!(e.contains("host secret differs"), "{e}");
    assert!(e.contains("HANDSUP_HOST_SECRET"), "says what to do: {e}");
    // ... and exits with a failure status (a service manager sees it).
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_handsup"))
        .args(["serve", "--bind", "127.0.0.1", "--port", "0", "--data"])
        .arg(dir.path())
        .args(["--host-secret", "another-secret"])
        .args(["--node-url", "http://127.0.0.1:9"])
        .env("HANDSUP_DATABASE_URL", &db)
        .output()
        .unwrap();
    assert!(!out.status.success(), "a refused node exits non-zero");
    assert!(String::from_utf8_lossy(&out.stderr).contains("host secret differs"));
    // The same secret joins.
    let _b = Node::start(&db);

    let dir = tempfile::tempdir().unwrap();
    let e = Binary::start_args(
        dir.path(),
        "",
        &format!("--port 0 --host-secret {SECRET} --node-url http://127.0.0.1:9"),
    )
    .err()
    .expect("refused without PostgreSQL");
    assert!(e.contains("--node-url needs --database postgres://"), "{e}");
    let e = Binary::start_args(
        dir.path(),
        &format!("export HANDSUP_DATABASE_URL='{db}';"),
        &format!("--port 0 --host-secret {SECRET} --node-url 10.0.0.1"),
    )
    .err()
    .expect("refused: not a URL");
    assert!(e.contains("http://HOST:PORT"), "{e}");
    let e = Binary::start_args(
        dir.path(),
        &format!("export HANDSUP_DATABASE_URL='{db}';"),
        &format!("--port 0 --host-secret {SECRET} --node-url http://127.0.0.1:9 --lease-seconds 1"),
    )
    .err()
    .expect("refused: too short a lease");
    assert!(e.contains("lease-seconds"), "{e}");
}

/// What a relay costs: the host's durable commands (`motion_create`,
/// acknowledged once committed) sent one after the other, straight to the
/// owner and through another node, taking turns. Prints the figures
/// docs/ARCHITECTURE.md quotes ("Cluster").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_adds_little_to_an_acknowledgement() {
    const ROUNDS: usize = 200;
    let db = crate::pg::database();
    let (a, b) = (Node::start(&db), Node::start(&db));
    let http = reqwest::Client::new();
    let pin = create_meeting_at(&http, a.addr, "alltypes").await;
    let mut direct = host_at(a.addr, &pin).await;
    let mut relayed = host_at(b.addr, &pin).await;
    let (mut d, mut r) = (Vec::new(), Vec::new());
    for i in 0..ROUNDS {
        for (c, times) in [(&mut direct, &mut d), (&mut relayed, &mut r)] {
            let t = Instant::now();
            c.command(json!({"type": "motion_create", "text": format!("Nghị quyết {i}")}))
                .await
                .expect("acknowledged");
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let pct = |v: &mut Vec<f64>, p: f64| {
        v.sort_by(|x, y| x.partial_cmp(y).unwrap());
        v[((v.len() as f64 * p) as usize).min(v.len() - 1)]
    };
    let (d50, d99, r50, r99) = (
        pct(&mut d, 0.5),
        pct(&mut d, 0.99),
        pct(&mut r, 0.5),
        pct(&mut r, 0.99),
    );
    eprintln!(
        "ack latency over {ROUNDS} commands: direct p50 {d50:.2} ms p99 {d99:.2} ms; \
         relayed p50 {r50:.2} ms p99 {r99:.2} ms; the relay adds {:.2} ms at the median",
        r50 - d50
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM events WHERE body LIKE '%\"kind\":\"motion_created\"%'"
        ),
        2 * ROUNDS as i64,
        "every command stored once"
    );
}

/// The real pages: a phone on one node and the projector on another, the
/// meeting owned by a third that is killed. The pages reconnect by
/// themselves (web/net.js, no reload) and follow the new owner with the
/// member's score.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_follow_their_meeting_when_its_owner_dies() {
    use crate::browser::Browser;
    let db = crate::pg::database();
    let mut nodes = [Node::start(&db), Node::start(&db), Node::start(&db)];
    let http = reqwest::Client::new();
    let pin = create_meeting_at(&http, nodes[0].addr, "alltypes").await;
    let (screen_browser, member_browser) = tokio::join!(Browser::launch(), Browser::launch());
    let mut member = member_browser
        .open_sized(&format!("http://{}/j/{pin}", nodes[1].addr), 390, 844)
        .await;
    let mut screen = screen_browser
        .open_sized(
            &format!("http://{}/screen/{pin}", nodes[2].addr),
            1920,
            1080,
        )
        .await;
    // Reconnecting takes the lease and a backoff: more than the pages'
    // default wait.
    member.set_timeout(BOUND);
    screen.set_timeout(BOUND);
    member.fill("#name", "Trần Văn Hùng").await;
    member.click("#join:not(:disabled)").await;
    member.wait_for("#lobby-hello").await;
    screen.wait_for_text("#joined-count", "1").await;
    let mut host = host_at(nodes[2].addr, &pin).await;
    host.command(json!({"type": "start"})).await.unwrap();
    member
        .click("#options .option[data-index='1']:not(:disabled)")
        .await;
    member.wait_for_text("#result-title", "Đúng rồi!").await;
    let score: u64 = member
        .text("#score")
        .await
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap();
    assert!(score > 0);
    member.eval("window.__sameLoad = true; return true;").await;
    drop(host);
    // The reveal reaches the pages before its event is stored: killed
    // before that, the owner's successor would find the question still
    // open. The close stored is the whole condition for `next` below.
    until("the question's close to be stored", async || {
        (count(
            &db,
            "SELECT count(*) FROM events WHERE body LIKE '%\"kind\":\"closed\"%'",
        ) > 0)
            .then_some(())
    })
    .await;

    nodes[0].kill();
    // The host, reconnected to a live node, moves on once a node owns the
    // meeting; the pages follow.
    let mut host = host_at(nodes[2].addr, &pin).await;
    host.command(json!({"type": "next"})).await.unwrap();
    member
        .wait_for_text("#lb-list .mine", "Trần Văn Hùng")
        .await;
    let shown: u64 = member
        .text("#lb-list .mine .s")
        .await
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap();
    assert_eq!(shown, score, "the same score on the new owner");
    assert_eq!(
        member.eval("return window.__sameLoad === true;").await,
        true,
        "the page reconnected without a reload"
    );
    screen
        .wait_for_text("#leaderboard .row", "Trần Văn Hùng")
        .await;
}

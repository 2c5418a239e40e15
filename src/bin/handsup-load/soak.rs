//! The soak scenario: a two-hour meeting compressed into a few minutes.
//!
//! The generator runs the server itself (as the storms do) with a bank of
//! 40 short questions it writes; `--members` phones go through 40 questions
//! and 20 motions. People come and go throughout, as in a real two-hour
//! meeting: 90% are there at the start, the other 10% arrive late, one by
//! one over the whole meeting, and as many of the first ones leave for good
//! at the same pace (they close the page); meanwhile every 20 s another 5%
//! of the phones drop off the network for 5 s and come back. The server's
//! memory and open files are sampled every 5 s; after the warm-up (the
//! first fifth) memory must stay within 10% and the open files must not
//! grow. Every motion's result is checked against the votes acknowledged
//! for it, and the database's size per vote is reported.

use std::time::{Duration, Instant};

use anyhow::anyhow;
use serde_json::json;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::client::Control;
use crate::procfs;
use crate::storm::{Phone, Plan, Seen, Server, WorkDir, wait_for};

const QUESTIONS: usize = 40;
const MOTIONS: usize = 20;
/// Seconds a soak question stays open.
const QUESTION_S: u64 = 8;
const CHURN_EVERY: Duration = Duration::from_secs(20);
const SAMPLE_EVERY: Duration = Duration::from_secs(5);

/// The bank the soak meeting runs: 40 single-choice questions.
fn bank() -> String {
    let mut b = format!("# Soak\nlanguage: en\ntime: {QUESTION_S}\nreading: 0\n\n");
    for q in 0..QUESTIONS {
        b.push_str(&format!(
            "## Soak question {q}\n- [x] Right\n- [ ] Wrong\n- [ ] Also wrong\nexplanation: Question {q}.\nsource: soak\n\n"
        ));
    }
    b
}

fn open_files(pid: u32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

/// Waits until the projector shows a state that satisfies `pred`.
async fn screen_shows(
    s: &Control,
    limit: Duration,
    pred: impl Fn(&serde_json::Value) -> bool,
) -> bool {
    s.first(limit, |v| v["type"] == "state" && pred(v))
        .await
        .is_some()
}

pub async fn run(p: Plan, minutes: u64) -> anyhow::Result<()> {
    let n = p.members;
    crate::storm::preflight(n, 1)?;
    crate::storm::server_bin_exists(&p.server_bin)?;
    let work = WorkDir::new()?;
    let banks = work.0.join("banks");
    std::fs::create_dir_all(&banks)?;
    std::fs::write(banks.join("soak.bank.md"), bank())?;
    let data = work.0.join("data");
    let secret = uuid::Uuid::new_v4().simple().to_string();
    let server = Server::start_with(
        &p.server_bin,
        &data,
        0,
        &secret,
        p.timeout,
        &["--banks".as_ref(), banks.as_os_str()],
    )?;
    let (addr, pid) = (server.addr, server.pid());
    let progress = |what: &str| eprintln!("handsup-load [soak]: {what}");
    let (pins, hosts, screens) =
        crate::client::meetings(&format!("http://{addr}"), addr, &secret, 1, "soak").await?;
    let (host, screen) = (&hosts[0], &screens[0]);
    let total = Duration::from_secs(minutes * 60);
    let slot = total / (QUESTIONS + MOTIONS) as u32;
    let limit = p.timeout;

    let (tx, mut rx) = mpsc::unbounded_channel();
    let stop = CancellationToken::new();
    let (churn_tx, churn_rx) = watch::channel(0u32);
    let connecting = std::sync::Arc::new(tokio::sync::Semaphore::new(p.connect_parallel));
    // Starts phone `i`; cloned into the task that adds the late ones.
    let spawn = {
        let (pin, tx, stop, churn_rx, connecting) = (
            pins[0].clone(),
            tx.clone(),
            stop.clone(),
            churn_rx.clone(),
            connecting.clone(),
        );
        // Returns the phone's own stop: cancelling it is the phone leaving.
        move |i: usize| {
            let leave = stop.child_token();
            tokio::spawn(
                Phone {
                    index: i,
                    pin: pin.clone(),
                    addrs: vec![addr],
                    events: tx.clone(),
                    stop: leave.clone(),
                    blip: churn_rx.clone(),
                    drops: |i, k| (i + k as usize).is_multiple_of(20),
                    connecting: connecting.clone(),
                }
                .run(),
            );
            leave
        }
    };
    drop(tx);
    let first = n * 9 / 10;
    let leaves: Vec<CancellationToken> = (0..first).map(spawn.clone()).collect();
    let mut seen = Seen::default();
    wait_for(&mut rx, &mut seen, limit, "the first phones joined", |s| {
        s.joined >= first
    })
    .await?;
    progress(&format!(
        "{first} joined; {QUESTIONS} questions and {MOTIONS} motions over {minutes} min"
    ));

    let started = Instant::now();
    // Throughout: the late phones join and as many of the first ones leave,
    // both one by one over the whole meeting; 5% of the phones drop every
    // 20 s, and the server is sampled every 5 s.
    let background = {
        let stop = stop.clone();
        let spawn = spawn.clone();
        tokio::spawn(async move {
            let mut samples: Vec<(Duration, u64, usize)> = Vec::new();
            let mut churned = 0u32;
            let (mut late, mut left) = (first, 0);
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            let (mut next_churn, mut next_sample) = (started + CHURN_EVERY, started);
            while !stop.is_cancelled() {
                tick.tick().await;
                let now = Instant::now();
                if now >= next_churn {
                    churned += 1;
                    let _ = churn_tx.send(churned);
                    next_churn += CHURN_EVERY;
                }
                if now >= next_sample {
                    if let (Some(rss), Some(fds)) = (procfs::rss_kib(pid), open_files(pid)) {
                        samples.push((now - started, rss, fds));
                    }
                    next_sample += SAMPLE_EVERY;
                }
                let due = ((n - first) as f64 * (now - started).as_secs_f64()
                    / total.as_secs_f64().max(1.0)) as usize;
                while late < n && late < first + due {
                    spawn(late);
                    late += 1;
                }
                // The leavers are the phones that joined first, so the
                // late ones are not counted out before they are in.
                while left < leaves.len().min(due) {
                    leaves[left].cancel();
                    left += 1;
                }
            }
            (samples, churned)
        })
    };
    let mut motions = 0usize;
    let mut results = Vec::new();
    for q in 0..QUESTIONS {
        // The host moves on: past a leaderboard, to question q.
        host.command(json!({"type": if q == 0 { "start" } else { "next" }}))
            .await?;
        let at_q =
            |v: &serde_json::Value| v["phase"] == "question" && v["question"]["index"] == q as u64;
        if !screen_shows(screen, Duration::from_secs(2), at_q).await {
            host.command(json!({"type": "next"})).await?;
            if !screen_shows(screen, limit, at_q).await {
                return Err(anyhow!("question {q} never showed"));
            }
        }
        // Closed by the deadline or when everyone answered.
        let revealed =
            |v: &serde_json::Value| v["phase"] == "reveal" && v["question"]["index"] == q as u64;
        if !screen_shows(screen, Duration::from_secs(QUESTION_S + 10), revealed).await {
            return Err(anyhow!("question {q} never closed"));
        }
        if q % 2 == 1 && motions < MOTIONS {
            let ack = host
                .command(json!({"type": "motion_create", "text": format!("Soak motion {motions}")}))
                .await?;
            let id = ack["motion"].as_u64().unwrap_or(motions as u64 + 1);
            host.command(json!({"type": "motion_open", "motion": id}))
                .await?;
            let open_until = tokio::time::Instant::now() + slot.min(Duration::from_secs(6));
            while tokio::time::Instant::now() < open_until {
                if let Ok(Some(e)) = tokio::time::timeout_at(open_until, rx.recv()).await {
                    seen.take(e);
                }
            }
            host.command(json!({"type": "motion_close", "motion": id}))
                .await?;
            results.push(id);
            motions += 1;
        }
        // Keep the meeting's pace; phones' reports are read meanwhile.
        let slot_end = tokio::time::Instant::from_std(started + slot * (q + motions + 1) as u32);
        while let Ok(Some(e)) = tokio::time::timeout_at(slot_end, rx.recv()).await {
            seen.take(e);
        }
        progress(&format!(
            "question {q} done, {motions} motions, {} s",
            started.elapsed().as_secs()
        ));
    }
    // Let every dropped phone come back and resend.
    tokio::time::sleep(Duration::from_secs(6)).await;
    while let Ok(e) = rx.try_recv() {
        seen.take(e);
    }
    // Each motion counted every acknowledged vote, once.
    let mut lost = 0u64;
    let mut counted_total = 0u64;
    for id in &results {
        let r = host
            .first(limit, |v| {
                v["type"] == "state"
                    && v["motion"]["id"] == *id
                    && v["motion"]["result"]["voted"].is_u64()
            })
            .await
            .map(|(_, v)| v["motion"]["result"]["voted"].as_u64().unwrap_or(0))
            .unwrap_or(0);
        let acked = seen.votes_by_motion.get(id).copied().unwrap_or(0);
        lost += acked.saturating_sub(r);
        counted_total += r;
        if r > n as u64 {
            return Err(anyhow!("motion {id} counted {r} votes from {n} phones"));
        }
    }
    let db: u64 = ["handsup.db", "handsup.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(data.join(f)).ok())
        .map(|m| m.len())
        .sum();
    stop.cancel();
    let (samples, churned) = background.await?;
    host.close();
    screen.close();
    drop(server);

    let warm = total / 5;
    let after: Vec<&(Duration, u64, usize)> = samples.iter().filter(|s| s.0 >= warm).collect();
    let (rss_warm, fds_warm) = after.first().map_or((0, 0), |s| (s.1, s.2));
    let rss_max = after.iter().map(|s| s.1).max().unwrap_or(0);
    let fds_end = after.last().map_or(0, |s| s.2);
    let growth = if rss_warm > 0 {
        rss_max as f64 / rss_warm as f64 - 1.0
    } else {
        0.0
    };
    let per_vote = db as f64 / counted_total.max(1) as f64;
    if p.json {
        println!(
            "{}",
            json!({"scenario": "soak", "members": n, "minutes": minutes, "questions": QUESTIONS,
                "motions": results.len(), "answers_acked": seen.answers, "votes_acked": seen.votes,
                "votes_counted": counted_total, "lost": lost, "drops": churned, "back": seen.back.len(),
                "rss_after_warmup_mib": rss_warm as f64 / 1024.0, "rss_max_mib": rss_max as f64 / 1024.0,
                "rss_growth_pct": growth * 100.0, "open_files_after_warmup": fds_warm,
                "open_files_end": fds_end, "db_bytes": db, "db_bytes_per_vote": per_vote,
                "failures": seen.failures})
        );
    } else {
        println!("handsup-load --scenario soak: {n} members, {minutes} min");
        let rows = [
            (
                "questions / motions",
                format!("{QUESTIONS} / {}", results.len()),
            ),
            ("answers acknowledged", seen.answers.to_string()),
            (
                "votes acknowledged / counted",
                format!("{} / {counted_total}", seen.votes),
            ),
            (
                "drops (5% each) / phones back",
                format!("{churned} / {}", seen.back.len()),
            ),
            (
                "server RSS after warm-up → max (MiB)",
                format!(
                    "{:.1} → {:.1} ({:+.1}%)",
                    rss_warm as f64 / 1024.0,
                    rss_max as f64 / 1024.0,
                    growth * 100.0
                ),
            ),
            (
                "open files after warm-up → end",
                format!("{fds_warm} → {fds_end}"),
            ),
            ("database (bytes per vote)", format!("{db} ({per_vote:.0})")),
            ("lost", lost.to_string()),
        ];
        for (label, v) in rows {
            println!("{label:<40} {v:>24}");
        }
        for f in &seen.failures {
            println!("  ! {f}");
        }
    }
    if lost > 0 {
        return Err(anyhow!(
            "{lost} acknowledged votes missing from their motions' results"
        ));
    }
    if growth > 0.10 {
        return Err(anyhow!(
            "server memory grew {:.1}% after the warm-up (limit 10%)",
            growth * 100.0
        ));
    }
    if fds_end > fds_warm + 16 {
        return Err(anyhow!("open files grew from {fds_warm} to {fds_end}"));
    }
    Ok(())
}

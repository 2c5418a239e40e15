//! Elections, discipline ballots, secret-ballot counters and congress mode
//! over the real protocol (domain/RULES.md, "Regulations in force").

use serde_json::{Value, json};

use crate::support::{Client, TestServer};

/// `n` official members DV01…DVnn.
fn officials(n: usize) -> String {
    let mut csv = String::from("Họ và tên;Mã đảng viên;Loại\n");
    for i in 1..=n {
        csv.push_str(&format!("Đảng viên {i:02};DV{i:02};Chính thức\n"));
    }
    csv
}

/// Joins roster members by their personal QR keys, in roster order.
async fn join_roster(server: &TestServer, pin: &str, codes: &[&str]) -> Vec<Client> {
    let roster = server.roster(pin).await;
    let mut out = Vec::new();
    for code in codes {
        let e = roster
            .iter()
            .find(|e| e["code"] == *code)
            .expect("on roster");
        let key = e["join_url"].as_str().unwrap().split("?k=").nth(1).unwrap();
        let mut c = Client::connect(server).await;
        c.hello("member", pin, json!({"key": key}))
            .await
            .expect("joins with the personal QR");
        c.wait_type("state").await;
        out.push(c);
    }
    out
}

/// Creates a motion; returns its id from the ack.
async fn create(host: &mut Client, draft: Value) -> u64 {
    let mut cmd = json!({"type": "motion_create"});
    for (k, v) in draft.as_object().unwrap() {
        cmd[k] = v.clone();
    }
    let ack = host.command(cmd).await.expect("motion created");
    ack["motion"]
        .as_u64()
        .expect("the ack carries the motion id")
}

/// The result of a closed motion, as the host's `state` shows it.
async fn close_and_result(host: &mut Client, motion: u64) -> Value {
    host.command(json!({"type": "motion_close", "motion": motion}))
        .await
        .unwrap();
    let st = host
        .wait("result", |v| {
            v["type"] == "state" && v["motion"]["id"] == motion && v["motion"]["result"].is_object()
        })
        .await;
    st["motion"].clone()
}

#[tokio::test]
async fn an_election_with_more_candidates_than_seats() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    // RULES.md:95-100 — 11 official members, one absent with a reason: the
    // base of 190 Điều 30 is 10, whatever the meeting's excused setting.
    assert_eq!(
        server.upload_roster(&pin, officials(11)).await.status(),
        200
    );
    let mut host = Client::host(&server, &pin).await;
    let mut screen = Client::screen(&server, &pin).await;
    host.command(json!({"type": "excuse", "code": "DV11", "excused": true}))
        .await
        .unwrap();
    let codes = [
        "DV01", "DV02", "DV03", "DV04", "DV05", "DV06", "DV07", "DV08", "DV09",
    ];
    let mut voters = join_roster(&server, &pin, &codes).await;

    let id = create(
        &mut host,
        json!({"text": "Bầu Chi ủy", "template": "election", "seats": 2,
               "candidates": ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung"]}),
    )
    .await;
    host.command(json!({"type": "motion_open", "motion": id}))
        .await
        .unwrap();

    // A ballot is the names kept; not a `vote`.
    let e = voters[0]
        .refused(
            json!({"type": "vote", "motion": id, "option": 0}),
            "invalid_ballot",
        )
        .await;
    assert_eq!(e["params"]["problem"], "use_ballot");
    // More names than seats would spoil the ballot: refused, nothing counted.
    let e = voters[0]
        .refused(
            json!({"type": "ballot", "motion": id, "keep": [0, 1, 2]}),
            "invalid_ballot",
        )
        .await;
    assert_eq!(
        e["params"],
        json!({"problem": "too_many_kept", "seats": 2, "kept": 3})
    );
    let e = voters[0]
        .refused(
            json!({"type": "ballot", "motion": id, "keep": [1, 1]}),
            "invalid_ballot",
        )
        .await;
    assert_eq!(e["params"]["problem"], "duplicate_kept");

    let ballots: [&[usize]; 9] = [
        &[0, 1],
        &[0, 1],
        &[0, 1],
        &[0, 2],
        &[0, 2],
        &[1, 0],
        &[0, 2],
        &[1, 2],
        &[1],
    ];
    for (c, keep) in voters.iter_mut().zip(ballots) {
        c.ballot(json!({"type": "ballot", "motion": id, "keep": keep}))
            .await
            .expect("ballot accepted");
    }
    let e = voters[8]
        .refused(
            json!({"type": "ballot", "motion": id, "keep": [3]}),
            "already_voted",
        )
        .await;
    assert_eq!(e["code"], "already_voted");

    // While the ballot is open: a count, never per-candidate numbers; the
    // host sees who has not voted, not a per-member "voted" flag.
    let live = host
        .wait("nine ballots", |v| {
            v["type"] == "live" && v["vote"]["voted"] == 9
        })
        .await;
    assert!(live["vote"]["counts"].is_null(), "{live}");
    let members = host
        .wait("members with nobody left to vote", |v| {
            v["type"] == "members" && v["not_voted"] == json!([])
        })
        .await;
    for m in members["members"].as_array().unwrap() {
        assert!(m.get("voted").is_none(), "no per-member flag: {m}");
    }
    let shown = screen
        .wait("projector count", |v| {
            v["type"] == "live" && v["vote"]["voted"] == 9
        })
        .await;
    assert!(shown["vote"]["counts"].is_null());

    let m = close_and_result(&mut host, id).await;
    assert_eq!(m["kind"], "election");
    voters[0]
        .refused(
            json!({"type": "ballot", "motion": id, "keep": [0, 1, 2]}),
            "motion_closed",
        )
        .await;
    let r = &m["result"];
    assert_eq!(r["counts"], json!([7, 6, 4, 0]));
    assert!(r["decision"].is_null(), "never THÔNG QUA: {r}");
    assert!(r["outcome"].is_null());
    let e = &r["election"];
    assert_eq!(
        (e["base"].as_u64(), e["required"].as_u64()),
        (Some(10), Some(6))
    );
    let standing: Vec<&str> = e["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["standing"].as_str().unwrap())
        .collect();
    assert_eq!(
        standing,
        ["elected", "elected", "not_elected", "not_elected"]
    );
    assert_eq!(r["percent_of_base"], json!([70.0, 60.0, 40.0, 0.0]));
    assert_eq!(
        (r["blank"].as_u64(), r["invalid"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(e["remaining_seats"], 0);
    // The projector gets the same result.
    screen
        .wait("projector result", |v| {
            v["type"] == "state" && v["motion"]["result"]["election"]["elected"] == 2
        })
        .await;
}

#[tokio::test]
async fn a_discipline_ballot_decided_by_adding_up() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    let mut members = Vec::new();
    for i in 0..7 {
        members.push(Client::member(&server, &pin, &format!("Đảng viên {i}")).await);
    }
    let id = create(
        &mut host,
        json!({"text": "Kỷ luật đồng chí X", "template": "discipline"}),
    )
    .await;
    host.command(json!({"type": "motion_open", "motion": id}))
        .await
        .unwrap();
    // Khai trừ 2, cách chức 1, cảnh cáo 1, khiển trách 2, không kỷ luật 1.
    for (c, option) in members.iter_mut().zip([0, 0, 1, 2, 3, 3, 4]) {
        c.ballot(json!({"type": "vote", "motion": id, "option": option}))
            .await
            .expect("vote accepted");
    }
    host.wait("seven ballots", |v| {
        v["type"] == "live" && v["vote"]["voted"] == 7 && v["vote"]["counts"].is_null()
    })
    .await;
    let m = close_and_result(&mut host, id).await;
    assert_eq!(m["kind"], "discipline");
    assert_eq!(
        m["options"],
        json!([
            "Đề nghị khai trừ",
            "Cách chức",
            "Cảnh cáo",
            "Khiển trách",
            "Không kỷ luật"
        ])
    );
    let d = &m["result"]["discipline"];
    // RULES.md:112-116 — no penalty alone (expulsion 5 of 7, others 4);
    // 2 + 1 + 1 = 4 reaches warning (cảnh cáo).
    assert_eq!(d["decided"], 2, "{d}");
    assert_eq!(d["by_adding_up"], true);
    assert_eq!(d["proposal"], false);
    let steps: Vec<(u64, u64, bool)> = d["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["cumulative"].as_u64().unwrap(),
                s["required"].as_u64().unwrap(),
                s["reached"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(steps, vec![(2, 5, false), (3, 4, false), (4, 4, true)]);
    assert!(m["result"]["decision"].is_null());
}

#[tokio::test]
async fn forbidden_motions_are_refused_in_both_languages_and_change_nothing() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    let cases = [
        (
            json!({"type": "motion_create", "text": "Bầu", "template": "election", "seats": 3, "candidates": ["A", "B"]}),
            "too_few_candidates",
        ),
        (
            json!({"type": "motion_create", "text": "Bầu", "template": "election", "candidates": ["An", "an"]}),
            "duplicate_candidate",
        ),
        (
            json!({"type": "motion_create", "text": "Bầu", "template": "election", "candidates": ["An"], "ballot": "open"}),
            "secret_required",
        ),
        (
            json!({"type": "motion_create", "text": "Kỷ luật", "template": "discipline", "ballot": "open"}),
            "secret_required",
        ),
        (
            json!({"type": "motion_create", "text": "Kỷ luật", "template": "discipline", "penalties": []}),
            "no_penalties",
        ),
        (
            json!({"type": "motion_create", "text": "Kín", "ballot": "secret", "live_tally": true}),
            "secret_no_live_tally",
        ),
        (
            json!({"type": "motion_create", "text": "Quy tắc", "rule": {"base": "everyone"}}),
            "bad_rule",
        ),
        (
            json!({"type": "motion_create", "text": "Quy tắc", "rule": "more_than_half"}),
            "bad_rule",
        ),
    ];
    for (cmd, problem) in cases {
        let e = host.refused(cmd.clone(), "invalid_motion").await;
        assert_eq!(e["params"]["problem"], problem, "{cmd} → {e}");
    }
    // Nothing was created: the next motion is number 1.
    let id = create(&mut host, json!({"text": "Nghị quyết"})).await;
    assert_eq!(id, 1);
    let id = create(
        &mut host,
        json!({"text": "Công nhận đảng viên chính thức", "template": "recognition"}),
    )
    .await;
    let st = host
        .wait("two motions", |v| {
            v["type"] == "state" && v["motions"].as_array().is_some_and(|m| m.len() == 2)
        })
        .await;
    let rec = &st["motions"][1];
    assert_eq!(rec["id"], id);
    assert_eq!(
        (rec["ballot"].as_str(), rec["rule"]["threshold"].as_str()),
        (Some("open"), Some("at_least_two_thirds"))
    );
}

#[tokio::test]
async fn congress_mode_checks_two_thirds_present_and_shows_it() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    assert_eq!(server.upload_roster(&pin, officials(3)).await.status(), 200);
    let mut host = Client::host(&server, &pin).await;
    let mut screen = Client::screen(&server, &pin).await;
    let _first = join_roster(&server, &pin, &["DV01"]).await;
    // RULES.md:48-49 — at least two thirds of those convened: 2 of 3.
    let e = host
        .refused(json!({"type": "settings", "congress": true}), "no_quorum")
        .await;
    assert_eq!(
        e["params"],
        json!({"problem": "congress", "needed": 2, "convened": 3, "present": 1})
    );
    let _second = join_roster(&server, &pin, &["DV02"]).await;
    host.wait("two present", |v| {
        v["type"] == "live" && v["attendance"]["eligible_present"] == 2
    })
    .await;
    host.command(json!({"type": "settings", "congress": true}))
        .await
        .expect("the congress opens with 2 of 3");
    let live = screen
        .wait("congress quorum on the projector", |v| {
            v["type"] == "live" && v["congress"].is_object()
        })
        .await;
    assert_eq!(
        live["congress"],
        json!({"convened": 3, "present": 2, "needed": 2, "met": true})
    );
}

/// The `'key':` entries of one dictionary of `web/i18n.js`.
fn catalogue(src: &str, start: &str) -> std::collections::BTreeSet<String> {
    let body = &src[src.find(start).expect("dictionary") + start.len()..];
    let body = &body[..body.find("\n};").expect("end of dictionary")];
    body.lines()
        .filter_map(|l| {
            let l = l.trim_start().strip_prefix('\'')?;
            let (key, rest) = l.split_once('\'')?;
            rest.starts_with(':').then(|| key.to_string())
        })
        .collect()
}

#[test]
fn every_refusal_is_worded_in_vietnamese_and_english() {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/web/i18n.js"))
        .expect("the catalogue");
    let vi = catalogue(&src, "const vi = {");
    let en = catalogue(&src, "const en = {");
    assert!(vi.len() > 300, "the catalogue was read: {} keys", vi.len());
    let missing: Vec<&String> = vi.difference(&en).collect();
    assert!(missing.is_empty(), "not in English: {missing:?}");
    let extra: Vec<&String> = en
        .difference(&vi)
        .filter(|k| !k.ends_with("_one"))
        .collect();
    assert!(extra.is_empty(), "not in Vietnamese: {extra:?}");
    // docs/PROTOCOL.md "Problems": every case the server names.
    let problems = [
        "invalid_motion.text_length",
        "invalid_motion.option_count",
        "invalid_motion.option_length",
        "invalid_motion.duplicate_option",
        "invalid_motion.duplicate_candidate",
        "invalid_motion.duplicate_penalty",
        "invalid_motion.bad_rule",
        "invalid_motion.no_approve_option",
        "invalid_motion.secret_no_changes",
        "invalid_motion.secret_no_live_tally",
        "invalid_motion.secret_required.election",
        "invalid_motion.secret_required.discipline",
        "invalid_motion.secret_required.expulsion",
        "invalid_motion.too_few_candidates",
        "invalid_motion.no_seats",
        "invalid_motion.no_penalties",
        "invalid_ballot",
        "invalid_ballot.use_ballot",
        "invalid_ballot.not_an_election",
        "invalid_ballot.too_many_kept",
        "invalid_ballot.duplicate_kept",
        "no_quorum.congress",
        "not_eligible.guest",
        "not_eligible.probationary",
        "not_eligible.suspended",
        "not_eligible.attached",
        "not_eligible.visiting",
        "not_eligible.absent",
        "not_eligible.pending",
        "invalid_roster.unknown_status",
        "not_eligible.counted_by_hand",
        "wrong_phase.already_present",
        "wrong_phase.not_marked",
        "invalid_ballot.hand_count_too_large",
        "invalid_ballot.hand_count_shape",
    ];
    for p in problems {
        let key = format!("err.{p}");
        assert!(
            vi.contains(&key) && en.contains(&key),
            "{key} is not worded"
        );
    }
}

/// Issue 14 item 6 and docs/GLOSSARY.md: one tone-mark style throughout,
/// the old one official documents use (ủy, hòa, xóa, hủy, tùy — the mark on
/// the first vowel of an open "oa", "oe", "uy"). Fails on any catalogue or
/// page text written the other way (uỷ, hoà, xoá, huỷ, tuỳ); "quý", "hoàn",
/// "khuỷu" are the same in both styles and pass.
#[test]
fn every_catalogue_uses_one_tone_mark_style() {
    const NEW_STYLE: [(&str, &str); 15] = [
        ("oà", "òa"),
        ("oá", "óa"),
        ("oả", "ỏa"),
        ("oã", "õa"),
        ("oạ", "ọa"),
        ("oè", "òe"),
        ("oé", "óe"),
        ("oẻ", "ỏe"),
        ("oẽ", "õe"),
        ("oẹ", "ọe"),
        ("uỳ", "ùy"),
        ("uý", "úy"),
        ("uỷ", "ủy"),
        ("uỹ", "ũy"),
        ("uỵ", "ụy"),
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for d in [dir.clone(), dir.join("js")] {
        for e in std::fs::read_dir(&d).expect("web") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|x| x == "js" || x == "html") {
                files.push(p);
            }
        }
    }
    assert!(
        files.iter().any(|f| f.ends_with("i18n.js")),
        "the catalogues were read"
    );
    let mut found = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("file").to_lowercase();
        let chars: Vec<char> = text.chars().collect();
        for (i, pair) in chars.windows(2).enumerate() {
            let s: String = pair.iter().collect();
            let Some((_, old)) = NEW_STYLE.iter().find(|(new, _)| *new == s) else {
                continue;
            };
            // "quý", "quả": the u belongs to the consonant.
            if i > 0 && chars[i - 1] == 'q' {
                continue;
            }
            // "hoàn", "toán", "khuỷu": a closed syllable marks the second vowel.
            if chars.get(i + 2).is_some_and(|c| c.is_alphabetic()) {
                continue;
            }
            let start = i.saturating_sub(12);
            let around: String = chars[start..(i + 4).min(chars.len())].iter().collect();
            found.push(format!(
                "{}: {around:?} (write {old})",
                f.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(found.is_empty(), "new-style tone marks: {found:#?}");
}

/// Every Rust source file under `src/`, as (path, text).
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        for e in std::fs::read_dir(dir).expect("src") {
            let path = e.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&path).expect("source");
                out.push((path.display().to_string(), text));
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut out,
    );
    out
}

/// The string literal that follows each `marker` (after blanks), e.g. the
/// problem code in `ApiError::bad(\n "bad_json", ...)`.
fn literals_after(text: &str, marker: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(marker) {
        rest = &rest[i + marker.len()..];
        let t = rest.trim_start();
        if let Some(lit) = t.strip_prefix('"')
            && let Some(end) = lit.find('"')
        {
            let word = &lit[..end];
            if !word.is_empty() && word.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                out.push(word.to_string());
            }
        }
    }
    out
}

/// Issue 14 item 5: every error code the server can send — the websocket's
/// `ErrorCode` enum (read from `src/protocol.rs`) and every HTTP `error`
/// (found in the source: the status table of `ApiError`, file problems and
/// hand-made error bodies) — and every `params.problem` a refusal names
/// (`"problem": "…"`, `ApiError::bad("…")`, agenda, opinion and evaluation
/// details) is worded in both languages, in `web/i18n.js` or an area's
/// catalogue. A code a page does not know would show the server's English.
#[test]
fn every_error_code_is_in_both_catalogues() {
    let read =
        |f: &str| std::fs::read_to_string(format!("{}/{f}", env!("CARGO_MANIFEST_DIR"))).expect(f);
    let main = read("web/i18n.js");
    let mut vi = catalogue(&main, "const vi = {");
    let mut en = catalogue(&main, "const en = {");
    // The catalogues of each area, merged into the main one by the pages.
    for extra in [
        "web/i18n-meeting.js",
        "web/i18n-live.js",
        "web/i18n-banks.js",
        "web/i18n-bank-console.js",
    ] {
        let text = read(extra);
        vi.extend(catalogue(&text, "export const vi = {"));
        en.extend(catalogue(&text, "export const en = {"));
    }
    let protocol = read("src/protocol.rs");
    let body = &protocol[protocol.find("pub enum ErrorCode {").expect("the enum")..];
    let body = &body[..body.find("\n}").expect("its end")];
    let mut codes: Vec<String> = body
        .lines()
        .skip(1)
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//") && !l.starts_with('#'))
        .map(|l| {
            let mut code = String::new();
            for (i, c) in l.trim_end_matches(',').chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    code.push('_');
                }
                code.push(c.to_ascii_lowercase());
            }
            code
        })
        .collect();
    assert!(codes.len() > 40, "the enum was read: {codes:?}");
    let srcs = sources();
    let mut http = Vec::new();
    let mut problems = Vec::new();
    let mut bad_requests = Vec::new();
    for (_, text) in &srcs {
        // `(StatusCode::BAD_REQUEST, "bad_request")` in `ApiError`'s table.
        for line in text.lines().filter(|l| l.contains("(StatusCode::")) {
            http.extend(literals_after(line, ", "));
        }
        http.extend(literals_after(text, "code: "));
        http.extend(literals_after(text, "json!({\"error\": "));
        problems.extend(literals_after(text, "\"problem\": "));
        problems.extend(literals_after(text, "Detail::new("));
        problems.extend(literals_after(text, "check_len("));
        problems.extend(literals_after(text, "return bad("));
        bad_requests.extend(literals_after(text, "ApiError::bad("));
    }
    for c in [
        "bad_request",
        "not_found",
        "too_large",
        "invalid_roster",
        "invalid_bank",
    ] {
        assert!(http.iter().any(|h| h == c), "{c} was found: {http:?}");
    }
    assert!(problems.len() > 20, "problems were found: {problems:?}");
    assert!(
        bad_requests.len() > 5,
        "bad requests were found: {bad_requests:?}"
    );
    codes.extend(http);
    // A bank problem (`code: "..."` inside an `invalid_bank` answer) is
    // worded as `b.p.<code>` by the bank pages.
    let mut missing: Vec<String> = codes
        .iter()
        .filter(|c| {
            let (err, bank) = (format!("err.{c}"), format!("b.p.{c}"));
            !(vi.contains(&err) && en.contains(&err) || vi.contains(&bank) && en.contains(&bank))
        })
        .map(|c| format!("err.{c}"))
        .collect();
    missing.extend(
        bad_requests
            .iter()
            .map(|p| format!("err.bad_request.{p}"))
            .filter(|k| !vi.contains(k) || !en.contains(k)),
    );
    // A problem is worded under the code that carries it (`err.<code>.<problem>`).
    for p in &problems {
        let suffix = format!(".{p}");
        let worded = |cat: &std::collections::BTreeSet<String>| {
            cat.iter()
                .any(|k| k.starts_with("err.") && k.ends_with(&suffix))
        };
        if !worded(&vi) || !worded(&en) {
            missing.push(format!("err.*.{p}"));
        }
    }
    missing.sort();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "not worded in both languages: {missing:?}"
    );
}

#[tokio::test]
async fn an_election_open_across_a_restart_counts_each_resent_ballot_once() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    let mut members = Vec::new();
    for i in 0..4 {
        members.push(Client::member(&server, &pin, &format!("Đảng viên {i}")).await);
    }
    let id = create(
        &mut host,
        json!({"text": "Bầu Bí thư", "template": "election", "candidates": ["Nguyễn Văn An"]}),
    )
    .await;
    host.command(json!({"type": "motion_open", "motion": id}))
        .await
        .unwrap();
    // One candidate: Đồng ý keeps the name, Không đồng ý keeps none.
    let keeps = [json!([0]), json!([0]), json!([0]), json!([])];
    for (i, (c, keep)) in members.iter_mut().zip(&keeps).enumerate() {
        let r = c
            .ballot(json!({"type": "ballot", "cid": format!("b{i}"), "motion": id, "keep": keep}))
            .await
            .expect("ballot accepted");
        // Four ballots are too few for a group: they wait, counted, unwritten.
        assert_eq!(r["type"], "received");
    }
    let tokens: Vec<String> = members.iter().map(|c| c.token.clone().unwrap()).collect();
    drop(members);
    drop(host);
    let server = server.restart().await;
    let mut host = Client::host(&server, &pin).await;
    // Never acknowledged, so never promised: each phone resends its ballot
    // with the same cid after reconnecting, and it counts once.
    let mut again = Vec::new();
    for (i, (token, keep)) in tokens.iter().zip(&keeps).enumerate() {
        let mut c = Client::connect(&server).await;
        c.hello("member", &pin, json!({"token": token}))
            .await
            .unwrap();
        c.ballot(json!({"type": "ballot", "cid": format!("b{i}"), "motion": id, "keep": keep}))
            .await
            .expect("the resent ballot is received");
        c.ballot(json!({"type": "ballot", "cid": format!("b{i}"), "motion": id, "keep": keep}))
            .await
            .expect("a second resend is received again, not counted");
        again.push(c);
    }
    again[0]
        .refused(
            json!({"type": "ballot", "motion": id, "keep": [0]}),
            "already_voted",
        )
        .await;
    let m = close_and_result(&mut host, id).await;
    let r = &m["result"];
    assert_eq!(
        (r["voted"].as_u64(), r["blank"].as_u64()),
        (Some(4), Some(1))
    );
    assert_eq!(r["counts"], json!([3]));
    // Without a roster the four who joined are convened: 3 of 4 is more than half.
    assert_eq!(r["election"]["candidates"][0]["standing"], "elected");
}

#[tokio::test]
async fn an_election_whose_quorum_is_lost_before_the_close_elects_nobody() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    let mut members = Vec::new();
    for i in 0..4 {
        members.push(Client::member(&server, &pin, &format!("Đảng viên {i}")).await);
    }
    let id = create(
        &mut host,
        json!({"text": "Bầu Bí thư", "template": "election", "candidates": ["An", "Bình"],
               "rule": {"base": "convened", "threshold": "more_than_half", "quorum": {"num": 3, "den": 4}}}),
    )
    .await;
    host.command(json!({"type": "motion_open", "motion": id}))
        .await
        .unwrap();
    for c in members.iter_mut().take(3) {
        c.ballot(json!({"type": "ballot", "motion": id, "keep": [0]}))
            .await
            .expect("ballot accepted");
    }
    for c in members.iter_mut().skip(2) {
        c.command(json!({"type": "leave"})).await.expect("leaves");
    }
    host.wait("two present", |v| {
        v["type"] == "live" && v["attendance"]["eligible_present"] == 2
    })
    .await;
    let m = close_and_result(&mut host, id).await;
    let e = &m["result"]["election"];
    assert_eq!(m["result"]["counts"], json!([3, 0]), "the count is shown");
    assert_eq!(e["candidates"][0]["standing"], "not_elected", "{e}");
    assert_eq!(e["remaining_seats"], 1);
    assert_eq!(
        e["quorum"]["lost_before_close"]["present_at_close"], 2,
        "{e}"
    );
}

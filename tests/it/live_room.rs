//! The live room in real browsers, as the chair lives it: the answer key
//! stays off the console, a skip asks first, a restart mid-question shows
//! "Tiếp tục" and gives back the time, a question can be asked again.
//! Phone 390×844, projector 1920×1080, laptop 1366×768.

use std::sync::Arc;

use handsup::clock::{Clock, ManualClock};
use serde_json::{Value, json};

use crate::browser::{Browser, Page, artifact_path};
use crate::support::{Client, SECRET, TestServer};

const PHONE: (u32, u32) = (390, 844);
const PROJECTOR: (u32, u32) = (1920, 1080);
const LAPTOP: (u32, u32) = (1366, 768);

/// Opens the host console on the meeting `pin` (made through the API).
async fn console(browser: &Browser, server: &TestServer, pin: &str) -> Page {
    let host = browser
        .open_sized(
            &server.url(&format!("/host#secret={SECRET}")),
            LAPTOP.0,
            LAPTOP.1,
        )
        .await;
    host.click(&format!("#meeting-list li[data-pin='{pin}'] button"))
        .await;
    host.wait_for_text("#meeting-pin", &pin[..3]).await;
    host
}

async fn count(page: &Page, css: &str) -> u64 {
    page.eval(&format!(
        "return document.querySelectorAll({css:?}).length;"
    ))
    .await
    .as_u64()
    .unwrap_or(0)
}

#[tokio::test]
async fn a_restart_mid_question_says_tiep_tuc_and_the_chair_can_ask_again() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let clock = ManualClock::new(1_700_000_000_000);
    let c: Arc<dyn Clock> = Arc::new(clock.clone());
    let server = TestServer::start_in(&dir, Some(c.clone())).await;
    let pin = server.create_meeting("alltypes").await;
    let (host_browser, member_browser, screen_browser) =
        tokio::join!(Browser::launch(), Browser::launch(), Browser::launch());
    let host = console(&host_browser, &server, &pin).await;
    let screen = screen_browser
        .open_sized(
            &server.url(&format!("/screen/{pin}")),
            PROJECTOR.0,
            PROJECTOR.1,
        )
        .await;
    let member = member_browser
        .open_sized(&server.url(&format!("/j/{pin}")), PHONE.0, PHONE.1)
        .await;
    member.fill("#name", "Nguyễn Thị Lan").await;
    member.click("#join:not(:disabled)").await;
    member.wait_for("#lobby-hello").await;
    // A second member keeps the question open.
    let minh = Client::member(&server, &pin, "Minh").await;
    let minh_token = minh.token.clone().unwrap();

    host.click("#btn-start:not(:disabled)").await;
    host.wait_for_text("#hq-text", "Single question").await;
    // 1. The answer key is off until the chair asks for it.
    assert_eq!(
        host.eval("return document.querySelector('#key-toggle').checked;")
            .await,
        Value::Bool(false)
    );
    assert_eq!(count(&host, "#hq-options li.is-key").await, 0);
    host.click("#key-toggle").await;
    host.wait_for("#hq-options li.is-key").await;
    host.click("#key-toggle").await;
    assert_eq!(count(&host, "#hq-options li.is-key").await, 0);

    member
        .click("#options .option[data-index='1']:not(:disabled)")
        .await;
    member.wait_for("#received").await;
    screen.wait_for_text("#answered-n", "1 / 2").await;

    // 3. A skip with answers in asks first; the chair changes their mind.
    host.click("#btn-skip:not(:disabled)").await;
    host.wait_for_text("#confirm-text", "1").await;
    host.click("#confirm-cancel").await;
    host.wait_for("#btn-reveal:not(:disabled)").await;
    assert!(
        host.text("#hq-counter").await.contains('1'),
        "still question 1"
    );

    // 4. The chair puts the attendance on the projector mid-question, and
    // back.
    host.click("#quiz-screen button[data-screen='attendance']")
        .await;
    screen.wait_for("#s-lobby #joined-count").await;
    screen.wait_for_text("#joined-count", "2").await;
    host.wait_for("#quiz-screen button[data-screen='attendance'][aria-pressed='true']")
        .await;
    host.click("#quiz-screen button[data-screen='auto']").await;
    screen
        .wait_for_text("#question-text", "Single question")
        .await;

    // 2. The server goes down mid-question for a minute.
    clock.advance(10_000);
    drop(minh);
    let mut server = server;
    server.stop().await;
    clock.advance(60_000);
    let server = server.restart_with(Some(c.clone())).await;
    let mut minh = Client::connect(&server).await;
    minh.hello("member", &pin, json!({"token": minh_token}))
        .await
        .expect("Minh is back");
    member.wait_for_text("#q-reading", "Tiếp tục").await;
    screen.wait_for_text("#s-resume", "Tiếp tục").await;
    host.wait_for_text("#hq-seconds", "Tiếp tục").await;
    member
        .screenshot(&artifact_path("live-1-member-tiep-tuc.png"))
        .await;
    screen
        .screenshot(&artifact_path("live-2-projector-tiep-tuc.png"))
        .await;
    // The answer given before the crash is still there.
    member.wait_for("#received").await;
    clock.advance(5_000);

    // The chair asks the question again: answers cleared, a fresh timer.
    host.wait_for("#btn-reask:not(:disabled)").await;
    host.click("#btn-reask:not(:disabled)").await;
    host.wait_for_text("#confirm-text", "1").await;
    host.click("#confirm-ok").await;
    screen.wait_for_text("#s-resume", "Hỏi lại").await;
    member
        .click("#options .option[data-index='2']:not(:disabled)")
        .await;
    member.wait_for_text("#received-answer", "charlie").await;
    host.screenshot(&artifact_path("live-3-host-reasked.png"))
        .await;
    // 9. On the laptop the member list is in view without scrolling.
    let bottom = host
        .eval(
            "window.scrollTo(0, 0); const li = document.querySelectorAll('#members li'); \
             const r = li[li.length - 1].getBoundingClientRect(); return [r.bottom, innerHeight];",
        )
        .await;
    assert!(
        bottom[0].as_f64().unwrap() <= bottom[1].as_f64().unwrap(),
        "the member list is below the fold: {bottom}"
    );
    drop(server);
}

/// axe-core, installed from the npm registry by `scripts/install-test-deps`.
pub(crate) fn axe_source() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/target/test-deps/axe-core-4.14.1/axe.min.js"
    );
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path}: {e}; run scripts/install-test-deps"))
}

/// Runs axe-core inside the page; fails on any serious or critical
/// violation, naming the rule and the elements.
pub(crate) async fn assert_accessible(page: &Page, axe: &str, what: &str) {
    // Checked as people see it once things stop moving (a podium rising
    // is half transparent for a moment).
    let still = std::time::Instant::now();
    while page
        .eval("return document.getAnimations().some(a => a.playState === 'running' && a.effect && a.effect.getComputedTiming().endTime !== Infinity);")
        .await
        == Value::Bool(true)
    {
        assert!(
            still.elapsed() < std::time::Duration::from_secs(10),
            "{what}: still moving"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let js = format!(
        "{axe}\n;return axe.run(document, {{resultTypes: ['violations']}}).then(r => r.violations\
         .filter(v => v.impact === 'serious' || v.impact === 'critical')\
         .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 4).map(n => n.target.join(' ')).join(', ')));"
    );
    let found = page.eval(&js).await;
    let found: Vec<String> = serde_json::from_value(found).unwrap_or_default();
    assert!(
        found.is_empty(),
        "{what}: serious accessibility violations:\n{}",
        found.join("\n")
    );
}

/// On a phone: every control a finger uses is at least 48×48 px and no
/// text is below 16 px (SPEC, issue 13 item 7).
async fn assert_phone_friendly(page: &Page, what: &str) {
    let found = page
        .eval(
            r#"const out = [];
            const seen = (e) => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
              return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && !e.closest('[hidden], .sr-only'); };
            const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : '');
            for (const e of document.querySelectorAll('button, a[href], input:not([type=hidden]), select, textarea, summary')) {
              if (!seen(e)) continue;
              const r = e.getBoundingClientRect();
              if (r.width < 47.5 || r.height < 47.5) out.push('target ' + name(e) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height));
            }
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            const small = new Set();
            while (walker.nextNode()) {
              const n = walker.currentNode; const e = n.parentElement;
              if (!n.textContent.trim() || !e || !seen(e)) continue;
              const size = parseFloat(getComputedStyle(e).fontSize);
              if (size < 15.5) small.add('text ' + name(e) + ' ' + size + 'px');
            }
            return out.concat([...small]);"#,
        )
        .await;
    let found: Vec<String> = serde_json::from_value(found).unwrap_or_default();
    assert!(found.is_empty(), "{what}:\n{}", found.join("\n"));
}

#[tokio::test]
async fn no_page_has_a_serious_accessibility_violation_at_any_size() {
    let axe = axe_source();
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let browser = Browser::launch().await;
    let mut host_ws = Client::host(&server, &pin).await;

    let landing = browser.open_sized(&server.url("/"), PHONE.0, PHONE.1).await;
    assert_accessible(&landing, &axe, "landing page").await;
    drop(landing);
    let unknown = browser
        .open_sized(&server.url("/j/000000"), PHONE.0, PHONE.1)
        .await;
    assert_accessible(&unknown, &axe, "unknown PIN").await;
    drop(unknown);

    let screen = browser
        .open_sized(
            &server.url(&format!("/screen/{pin}")),
            PROJECTOR.0,
            PROJECTOR.1,
        )
        .await;
    screen.wait_for_text("#pin", &pin[..3]).await;
    assert_accessible(&screen, &axe, "projector lobby").await;

    let other = Browser::launch().await;
    let member = other
        .open_sized(&server.url(&format!("/j/{pin}")), PHONE.0, PHONE.1)
        .await;
    member.wait_for_text("#join", "Tham gia").await;
    assert_accessible(&member, &axe, "member join form").await;
    assert_phone_friendly(&member, "member join form").await;
    member.fill("#name", "Lan").await;
    member.click("#join:not(:disabled)").await;
    member.wait_for("#lobby-hello").await;
    assert_accessible(&member, &axe, "member lobby").await;
    assert_phone_friendly(&member, "member lobby").await;

    let setup = browser
        .open_sized(
            &server.url(&format!("/host#secret={SECRET}")),
            LAPTOP.0,
            LAPTOP.1,
        )
        .await;
    setup
        .wait_for(&format!("#meeting-list li[data-pin='{pin}'] .mfacts"))
        .await;
    assert_accessible(&setup, &axe, "host console meeting list").await;
    drop(setup);
    let host = console(&browser, &server, &pin).await;
    assert_accessible(&host, &axe, "host console lobby").await;
    host_ws
        .command(json!({"type": "screen", "screen": "attendance"}))
        .await
        .expect("attendance on the projector");
    screen.wait_for("#s-lobby #joined-count").await;
    assert_accessible(&screen, &axe, "projector attendance").await;
    host_ws
        .command(json!({"type": "screen", "screen": null}))
        .await
        .expect("automatic");

    host_ws
        .command(json!({"type": "start"}))
        .await
        .expect("start");
    member
        .wait_for("#options .option[data-index='1']:not(:disabled)")
        .await;
    screen
        .wait_for_text("#question-text", "Single question")
        .await;
    assert_accessible(&member, &axe, "member question").await;
    assert_phone_friendly(&member, "member question").await;
    assert_accessible(&screen, &axe, "projector question").await;
    assert_accessible(&host, &axe, "host console question").await;
    host_ws
        .command(json!({"type": "reveal"}))
        .await
        .expect("reveal");
    member.wait_for("#result-title").await;
    screen.wait_for("#bars .bar.correct").await;
    assert_accessible(&member, &axe, "member reveal").await;
    assert_phone_friendly(&member, "member reveal").await;
    assert_accessible(&screen, &axe, "projector reveal").await;
    host_ws
        .command(json!({"type": "next"}))
        .await
        .expect("next");
    member.wait_for("#lb-list li").await;
    assert_accessible(&member, &axe, "member leaderboard").await;
    assert_phone_friendly(&member, "member leaderboard").await;
    assert_accessible(&screen, &axe, "projector leaderboard").await;
    host_ws
        .command(json!({"type": "end"}))
        .await
        .expect("podium");
    screen.wait_for("#podium .step").await;
    assert_accessible(&screen, &axe, "projector podium").await;
    assert_accessible(&member, &axe, "member podium").await;
    host_ws
        .command(json!({"type": "motion_create", "text": "Thông qua nghị quyết"}))
        .await
        .unwrap();
    host_ws
        .command(json!({"type": "motion_open", "motion": 1}))
        .await
        .unwrap();
    member.wait_for("#view-motion .vote-option").await;
    screen.wait_for("body[data-view='motion']").await;
    assert_accessible(&member, &axe, "member vote").await;
    assert_accessible(&screen, &axe, "projector vote").await;
    host.click("#tab-votes").await;
    assert_accessible(&host, &axe, "host console votes").await;
    host.click("#tab-roster").await;
    assert_accessible(&host, &axe, "host console roster").await;
    host.click("#tab-agenda").await;
    assert_accessible(&host, &axe, "host console agenda").await;
    assert_phone_friendly(&member, "member podium").await;
}

/// Whether the element is shown (in the layout, not hidden).
async fn shown(page: &Page, css: &str) -> bool {
    page.eval(&format!(
        "const e = document.querySelector({css:?}); return !!e && !!e.offsetParent && !e.hidden;"
    ))
    .await
        == Value::Bool(true)
}

#[tokio::test]
async fn phones_check_in_see_poll_results_and_a_late_joiner_sees_no_final_rank() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let r = server
        .upload_roster(
            &pin,
            "Họ và tên;Mã đảng viên;Loại\nNguyễn Văn An;DV01;Chính thức\n",
        )
        .await;
    assert!(r.status().is_success());
    let mut host = Client::host(&server, &pin).await;
    host.command(json!({"type": "settings", "allow_guests": true}))
        .await
        .unwrap();
    let roster = server.roster(&pin).await;
    let an_url = roster[0]["join_url"].as_str().unwrap().to_string();

    // 5. A personal QR code checks the member in, and says when.
    let (an_browser, late_browser) = tokio::join!(Browser::launch(), Browser::launch());
    let an = an_browser.open_sized(&an_url, PHONE.0, PHONE.1).await;
    an.wait_for_text("#lobby-checkin", "Đã điểm danh lúc").await;
    let text = an.text("#lobby-checkin").await;
    assert!(
        text.chars().filter(char::is_ascii_digit).count() == 4 && text.contains(':'),
        "HH:MM: {text}"
    );

    // Someone else keeps each question open until the host reveals it.
    let _hoa = Client::member(&server, &pin, "Hoa").await;
    // 7. During a question the leave button is out of the way.
    host.command(json!({"type": "start"})).await.unwrap();
    an.wait_for("#options .option[data-index='0']").await;
    assert!(!shown(&an, "#leave").await, "no leave button mid-question");
    // 3. An answer to a skipped question: the phone is told it did not count.
    an.click("#options .option[data-index='1']:not(:disabled)")
        .await;
    an.wait_for("#received").await;
    host.command(json!({"type": "skip"})).await.unwrap();
    an.wait_for_text("#q-skipped", "Câu 1 đã được bỏ qua").await;
    // Straight on to the poll (question 5).
    for _ in 0..3 {
        host.command(json!({"type": "skip"})).await.unwrap();
    }
    an.wait_for_text("#question-text", "Poll question").await;
    an.click("#options .option[data-index='0']:not(:disabled)")
        .await;
    an.wait_for("#received").await;
    host.command(json!({"type": "reveal"})).await.unwrap();
    // 7. Poll results on the phone after the reveal.
    an.wait_for_text("#reveal-key", "Kết quả khảo sát").await;
    an.wait_for_text("#reveal-key .poll-row[data-index='0']", "100%")
        .await;
    an.screenshot(&artifact_path("live-4-member-poll-results.png"))
        .await;
    assert!(shown(&an, "#leave").await, "the leave button is back");

    // 5. Someone who joins after the quiz sees a waiting screen, no rank.
    host.command(json!({"type": "end"})).await.unwrap();
    an.wait_for("#podium-list li").await;
    let late = late_browser
        .open_sized(&server.url(&format!("/j/{pin}")), PHONE.0, PHONE.1)
        .await;
    late.fill("#name", "Người đến muộn").await;
    late.click("#join:not(:disabled)").await;
    late.wait_for_text("#lobby-waiting", "Phần thi đã kết thúc")
        .await;
    assert!(!shown(&late, "#podium-place").await);
    late.screenshot(&artifact_path("live-5-late-joiner.png"))
        .await;

    // 7. During a vote the quiz score footer is hidden.
    host.command(json!({"type": "motion_create", "text": "Thông qua nghị quyết"}))
        .await
        .unwrap();
    host.command(json!({"type": "motion_open", "motion": 1}))
        .await
        .unwrap();
    an.wait_for("body[data-view='motion']").await;
    assert!(!shown(&an, "#me-bar").await, "no quiz score during a vote");
    an.wait_for("#view-motion .vote-option").await;
    assert_phone_friendly(&an, "member vote").await;
    assert_phone_friendly(&late, "late joiner waiting").await;
}

#[tokio::test]
async fn the_projector_slides_ranks_raises_the_podium_in_order_and_is_silent_by_default() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let browser = Browser::launch().await;
    let screen = browser
        .open_sized(
            &server.url(&format!("/screen/{pin}")),
            PROJECTOR.0,
            PROJECTOR.1,
        )
        .await;
    let mut host = Client::host(&server, &pin).await;
    let mut lan = Client::member(&server, &pin, "Lan").await;
    let mut minh = Client::member(&server, &pin, "Minh").await;
    let lan_id = lan.member.unwrap();

    // 6. Sounds are off until the chair turns them on, on the projector.
    screen.wait_for_text("#sound-toggle", "Âm thanh: tắt").await;
    assert_eq!(
        screen
            .eval("return document.querySelector('#sound-toggle').getAttribute('aria-pressed');")
            .await,
        "false"
    );

    host.command(json!({"type": "start"})).await.unwrap();
    minh.command(json!({"type": "answer", "question": 0, "choice": [1]}))
        .await
        .unwrap();
    host.command(json!({"type": "reveal"})).await.unwrap();
    host.command(json!({"type": "next"})).await.unwrap();
    screen
        .wait_for_text("#leaderboard .row[data-rank='1']", "Minh")
        .await;
    // Asked again, question 1 goes to Lan: she overtakes Minh, and the
    // leaderboard shows her move.
    host.command(json!({"type": "reask", "question": 0}))
        .await
        .unwrap();
    screen
        .wait_for_text("#question-text", "Single question")
        .await;
    lan.command(json!({"type": "answer", "question": 0, "choice": [1]}))
        .await
        .unwrap();
    host.command(json!({"type": "reveal"})).await.unwrap();
    host.command(json!({"type": "next"})).await.unwrap();
    screen
        .wait_for_text(
            &format!("#leaderboard .row[data-id='{lan_id}'][data-rank='1'] .delta"),
            "▲1",
        )
        .await;
    screen
        .screenshot(&artifact_path("live-6-projector-rank-change.png"))
        .await;

    // The podium rises third, second, then first.
    host.command(json!({"type": "end"})).await.unwrap();
    screen.wait_for("#podium .step.p1").await;
    let delays = screen
        .eval(
            "return ['.p2', '.p1'].map(c => parseFloat(getComputedStyle(document.querySelector('#podium .step' + c)).animationDelay));",
        )
        .await;
    assert!(
        delays[0].as_f64().unwrap() < delays[1].as_f64().unwrap(),
        "second before first: {delays}"
    );
    screen.click("#sound-toggle").await;
    screen.wait_for_text("#sound-toggle", "Âm thanh: bật").await;
}

#[tokio::test]
async fn a_visitor_to_an_ended_meeting_is_told_so_without_a_name_form() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    host.command(json!({"type": "end"})).await.unwrap();
    host.command(json!({"type": "end"})).await.unwrap();
    let browser = Browser::launch().await;
    let visitor = browser
        .open_sized(&server.url(&format!("/j/{pin}")), PHONE.0, PHONE.1)
        .await;
    visitor.wait_for("#view-ended").await;
    assert!(!shown(&visitor, "#name").await, "no name form");
    visitor
        .screenshot(&artifact_path("live-7-ended-visitor.png"))
        .await;
    // The projector of an ended meeting says so, with a way forward.
    let screen = browser
        .open_sized(
            &server.url(&format!("/screen/{pin}")),
            PROJECTOR.0,
            PROJECTOR.1,
        )
        .await;
    screen
        .wait_for_text("#s-ended .s-heading", "Buổi họp đã kết thúc")
        .await;
    screen.wait_for("#s-forward[href='/host']").await;
    // An unknown PIN gets the friendly page, in the page's language.
    let unknown = browser
        .open_sized(&server.url("/screen/000000"), PROJECTOR.0, PROJECTOR.1)
        .await;
    unknown.wait_for_text("body", "000000").await;
}

#[tokio::test]
async fn a_removed_member_is_told_and_cannot_come_back_until_let_back_in() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    let browser = Browser::launch().await;
    let phone = browser
        .open_sized(&server.url(&format!("/j/{pin}")), PHONE.0, PHONE.1)
        .await;
    phone.fill("#name", "Minh").await;
    phone.click("#join:not(:disabled)").await;
    phone.wait_for("#lobby-hello").await;
    let members = host
        .wait("Minh", |v| {
            v["type"] == "members" && v["members"].as_array().unwrap().len() == 1
        })
        .await;
    let id = members["members"][0]["id"].clone();
    host.command(json!({"type": "kick", "member": id}))
        .await
        .unwrap();
    phone
        .wait_for_text("#stopped-text", "đưa bạn ra khỏi")
        .await;
    // A reload does not bring the name form back.
    phone.reload().await;
    phone
        .wait_for_text("#stopped-text", "đưa bạn ra khỏi")
        .await;
    assert!(
        !shown(&phone, "#name").await,
        "no way back under a new name"
    );
    phone.screenshot(&artifact_path("live-8-removed.png")).await;
    host.command(json!({"type": "readmit", "member": id}))
        .await
        .unwrap();
    phone.reload().await;
    phone.wait_for("#name").await;
}

/// 8. Every reveal of the shipped bank on the projector: the explanation at
/// 36 px or more, the source a short label, and nothing scrolls.
#[tokio::test]
async fn every_reveal_of_the_shipped_bank_is_readable_from_the_back_of_the_room() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("chi-bo").await;
    let browser = Browser::launch().await;
    let screen = browser
        .open_sized(
            &server.url(&format!("/screen/{pin}")),
            PROJECTOR.0,
            PROJECTOR.1,
        )
        .await;
    let mut host = Client::host(&server, &pin).await;
    let _lan = Client::member(&server, &pin, "Lan").await;
    // Each question's source label, as the bank writes it before its address.
    let bank = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/question-banks/chi-bo.bank.md"
    ))
    .unwrap();
    let labels: Vec<&str> = bank
        .lines()
        .filter_map(|l| l.strip_prefix("source: "))
        .map(|s| s.split(" <").next().unwrap())
        .collect();
    assert_eq!(
        labels.len(),
        bank.matches("\n## ").count(),
        "every question has a source"
    );
    host.command(json!({"type": "start"})).await.unwrap();
    let mut index = 0;
    loop {
        host.command(json!({"type": "reveal"})).await.unwrap();
        screen
            .wait_for("body[data-phase='reveal'] #s-counter")
            .await;
        screen
            .wait_for_text("#s-counter", &format!("Câu {}/", index + 1))
            .await;
        screen.wait_for("#explanation div").await;
        let v = screen
            .eval(
                "const e = document.querySelector('#explanation div'); \
                 const src = document.querySelector('#explanation .src'); \
                 const d = document.scrollingElement; \
                 return [parseFloat(getComputedStyle(e).fontSize), src ? src.textContent : '', \
                         d.scrollHeight <= innerHeight && d.scrollWidth <= innerWidth, \
                         e.getBoundingClientRect().bottom <= innerHeight];",
            )
            .await;
        assert!(v[0].as_f64().unwrap() >= 36.0, "question {index}: {v}");
        let src = v[1].as_str().unwrap();
        assert!(
            !src.contains("://"),
            "question {index}: a raw address: {src}"
        );
        assert_eq!(
            src,
            format!("Nguồn: {}", labels[index]),
            "question {index}: the source's label"
        );
        assert_eq!(v[2], true, "question {index}: the projector scrolls");
        assert_eq!(v[3], true, "question {index}: the explanation is cut off");
        let st = host.wait_phase("reveal").await;
        match st["next"].as_str() {
            Some("leaderboard") => {
                host.command(json!({"type": "next"})).await.unwrap();
                host.wait_phase("leaderboard").await;
                host.command(json!({"type": "next"})).await.unwrap();
            }
            Some("question") => {
                host.command(json!({"type": "next"})).await.unwrap();
            }
            _ => break,
        }
        index += 1;
        let st = host.wait_phase("question").await;
        assert_eq!(st["question"]["index"], index);
    }
    assert_eq!(index + 1, labels.len(), "the whole bank");
}

/// 1. A console that looks like the projector (here: the same window size
/// as the projector page) warns before the answer key shows to the room.
#[tokio::test]
async fn the_console_warns_when_it_looks_like_the_projector() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let browser = Browser::launch().await;
    let host = console(&browser, &server, &pin).await;
    // The projector page, in a window the size of the console's.
    let screen = browser
        .open_sized(&server.url(&format!("/screen/{pin}")), LAPTOP.0, LAPTOP.1)
        .await;
    screen.wait_for_text("#pin", &pin[..3]).await;
    let _lan = Client::member(&server, &pin, "Lan").await;
    let mut ws = Client::host(&server, &pin).await;
    ws.command(json!({"type": "start"})).await.unwrap();
    host.wait_for_text("#hq-text", "Single question").await;
    assert!(!shown(&host, "#key-warn").await, "no key, no warning");
    // The projector reports its size when it loads and on every resize;
    // wait until both windows agree.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let same = host
            .eval("return localStorage.getItem('handsup:screen-size') === `${innerWidth}x${innerHeight}`;")
            .await;
        if same == true {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "both windows have the same size"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    host.click("#key-toggle").await;
    host.wait_for("#key-warn").await;
    // With the key: the source's label, and its address as a link.
    host.wait_for_text("#hq-source", "Test rules, section 2")
        .await;
    let link = host
        .eval("const a = document.querySelector('#hq-source a'); return a && [a.href, a.textContent, a.rel];")
        .await;
    assert_eq!(
        link,
        json!([
            "https://example.org/rules#s2",
            "https://example.org/rules#s2",
            "noopener noreferrer"
        ])
    );
    // Above the question, where the chair looks.
    let top = host
        .eval("window.scrollTo(0, 0); return document.querySelector('#key-warn').getBoundingClientRect().bottom <= innerHeight;")
        .await;
    assert_eq!(top, true, "the warning is in view");
    host.screenshot(&artifact_path("live-9-host-key-warning.png"))
        .await;
    host.click("#key-warn-off").await;
    assert_eq!(count(&host, "#hq-options li.is-key").await, 0);
    assert!(!shown(&host, "#key-warn").await);
}

/// Bad input: a wrong secret in the console's address is refused in the
/// page's language, with the form to type the right one.
#[tokio::test]
async fn a_wrong_host_secret_is_refused_with_a_way_forward() {
    let server = TestServer::start().await;
    let browser = Browser::launch().await;
    let host = browser
        .open_sized(
            &server.url("/host#secret=not-the-secret"),
            LAPTOP.0,
            LAPTOP.1,
        )
        .await;
    host.wait_for_text("#secret-error", "Sai mã quản trị").await;
    assert!(shown(&host, "#secret-input").await, "the form to type it");
    assert_eq!(host.eval("return location.hash;").await, "");
}

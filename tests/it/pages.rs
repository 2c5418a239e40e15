//! The pages in a real headless browser (Debian's Chromium, installed by
//! `scripts/install-test-deps`).
//!
//! Each test asserts what a person sees: the member page on a phone-sized
//! window (390×844), the projector at 1920×1080, the host console on a
//! laptop. Separate people get separate [`Browser`]s (separate profiles, so
//! separate member tokens). Where the host's part is not what is under test
//! it is scripted over the websocket with [`Client::host`].
//!
//! Screenshots of the key moments are written under
//! `target/browser-artifacts/` for a look by eye.

use serde_json::{Value, json};

use crate::browser::{Browser, Page, artifact_path};
use crate::support::{Client, SECRET, TestServer};

const PHONE: (u32, u32) = (390, 844);
const PROJECTOR: (u32, u32) = (1920, 1080);

async fn phone(browser: &Browser, url: &str) -> Page {
    browser.open_sized(url, PHONE.0, PHONE.1).await
}

async fn projector(browser: &Browser, url: &str) -> Page {
    browser.open_sized(url, PROJECTOR.0, PROJECTOR.1).await
}

/// Fails if the page scrolls: the projector must fit the screen.
async fn assert_fits(page: &Page, what: &str) {
    let v = page
        .eval(
            "const e = document.scrollingElement; \
             return [e.scrollWidth, e.scrollHeight, innerWidth, innerHeight];",
        )
        .await;
    let n = |i: usize| v[i].as_u64().unwrap_or(0);
    assert!(
        n(0) <= n(2) && n(1) <= n(3),
        "{what}: the page scrolls ({}×{} in a {}×{} window)",
        n(0),
        n(1),
        n(2),
        n(3)
    );
}

/// A number shown in an element (e.g. a score), digits only.
async fn number(page: &Page, css: &str) -> u64 {
    let text = page.text(css).await;
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("{css} shows no number: {text:?}"))
}

/// Sends a host command and expects it to be acknowledged.
/// Scrolls the element to the middle of the window, as a person scrolls
/// to what they want to tap (WebDriver would tap the sliver showing at the
/// bottom edge, under the member page's score bar).
async fn scroll_to(page: &Page, css: &str) {
    page.wait_for(css).await;
    page.eval(&format!(
        "document.querySelector({css:?}).scrollIntoView({{block: 'center'}}); return true;"
    ))
    .await;
}

/// Whether the element is what a finger at its centre would tap: inside
/// the window and not under another element (the score bar, a sticky bar).
async fn tappable(page: &Page, css: &str) -> bool {
    page.eval(&format!(
        "const e = document.querySelector({css:?}); const r = e.getBoundingClientRect(); \
         const x = r.left + r.width / 2, y = r.top + r.height / 2; \
         if (r.width === 0 || y < 0 || y > innerHeight || x < 0 || x > innerWidth) return false; \
         const hit = document.elementFromPoint(x, y); return !!hit && (hit === e || e.contains(hit));"
    ))
    .await
        == Value::Bool(true)
}

async fn host_do(host: &mut Client, cmd: Value) {
    if let Err(e) = host.command(cmd.clone()).await {
        panic!("host command {cmd} refused: {e}");
    }
}

#[tokio::test]
async fn member_page_joins_and_answers_and_the_projector_shows_it() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let (screen_browser, member_browser) = tokio::join!(Browser::launch(), Browser::launch());
    let screen = projector(&screen_browser, &server.url(&format!("/screen/{pin}"))).await;
    let member = phone(&member_browser, &server.url(&format!("/j/{pin}"))).await;

    // The projector's lobby: the PIN to read out and nobody yet.
    screen.wait_for_text("#pin", &pin[..3]).await;
    screen.wait_for_text("#joined-count", "0").await;

    // A member types a Vietnamese name and joins.
    member.wait_for_text("#join", "Tham gia").await;
    member.fill("#name", "Nguyễn Thị Lan").await;
    member.click("#join:not(:disabled)").await;
    member
        .wait_for_text("#lobby-hello", "Xin chào Nguyễn Thị Lan!")
        .await;
    screen
        .wait_for_text("#recent-names", "Nguyễn Thị Lan")
        .await;
    screen.wait_for_text("#joined-count", "1").await;
    screen
        .screenshot(&artifact_path("quiz-1-projector-lobby.png"))
        .await;
    assert_fits(&screen, "projector lobby").await;

    // A second member (scripted) keeps the question open until the host
    // reveals, so the projector's answered count can be seen.
    let _minh = Client::member(&server, &pin, "Minh").await;
    screen.wait_for_text("#joined-count", "2").await;

    let mut host = Client::host(&server, &pin).await;
    host_do(&mut host, json!({"type": "start"})).await;

    // Question 1 (single choice): bravo is right.
    member
        .wait_for_text("#question-text", "Single question")
        .await;
    screen
        .wait_for_text("#question-text", "Single question")
        .await;
    member
        .click("#options .option[data-index='1']:not(:disabled)")
        .await;
    member.wait_for("#received").await;
    member
        .wait_for_text("#received-answer", "Bạn đã trả lời: B. bravo")
        .await;
    member
        .screenshot(&artifact_path("quiz-2-member-received.png"))
        .await;
    screen.wait_for_text("#answered-n", "1 / 2").await;
    screen
        .screenshot(&artifact_path("quiz-3-projector-question.png"))
        .await;
    assert_fits(&screen, "projector question").await;

    host_do(&mut host, json!({"type": "reveal"})).await;
    // The distribution counts the member's answer on the right option.
    screen
        .wait_for_text("#bars .bar.correct[data-index='1'] .count", "1")
        .await;
    assert_eq!(screen.text("#bars .bar[data-index='0'] .count").await, "0");
    screen
        .screenshot(&artifact_path("quiz-4-projector-reveal.png"))
        .await;
    assert_fits(&screen, "projector reveal").await;

    // The member sees the result with points.
    member.wait_for_text("#result-title", "Đúng rồi!").await;
    let points = number(&member, "#result-points").await;
    assert!(points > 0, "a right answer scores");
    assert_eq!(number(&member, "#score").await, points);
    member
        .screenshot(&artifact_path("quiz-5-member-result.png"))
        .await;
}

#[tokio::test]
async fn member_page_survives_a_server_restart_and_keeps_its_score() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let (screen_browser, member_browser) = tokio::join!(Browser::launch(), Browser::launch());
    let member = phone(&member_browser, &server.url(&format!("/j/{pin}"))).await;
    let screen = projector(&screen_browser, &server.url(&format!("/screen/{pin}"))).await;
    member.fill("#name", "Trần Văn Hùng").await;
    member.click("#join:not(:disabled)").await;
    member.wait_for("#lobby-hello").await;
    screen.wait_for_text("#joined-count", "1").await;

    let mut host = Client::host(&server, &pin).await;
    host_do(&mut host, json!({"type": "start"})).await;
    member
        .click("#options .option[data-index='1']:not(:disabled)")
        .await;
    // The only member answered: the question closes by itself.
    member.wait_for_text("#result-title", "Đúng rồi!").await;
    let score = number(&member, "#score").await;
    assert!(score > 0);
    // Marks this very page load: a reload would lose it.
    member.eval("window.__sameLoad = true; return true;").await;
    drop(host);

    let server = server.restart().await;

    // The host moves on after the restart: the page, reconnected by itself,
    // follows to the leaderboard with the same score.
    let mut host = Client::host(&server, &pin).await;
    let next = host
        .log
        .iter()
        .rev()
        .find(|f| f["type"] == "state")
        .unwrap()["next"]
        .clone();
    assert_eq!(next, "leaderboard", "the host sees where next leads");
    host_do(&mut host, json!({"type": "next"})).await;
    member
        .wait_for_text("#lb-list .mine", "Trần Văn Hùng")
        .await;
    assert_eq!(number(&member, "#lb-list .mine .s").await, score);
    assert_eq!(number(&member, "#score").await, score);
    assert_eq!(
        member.eval("return window.__sameLoad === true;").await,
        true,
        "the page reconnected without a reload"
    );
    screen
        .wait_for_text("#leaderboard .row", "Trần Văn Hùng")
        .await;
    assert_eq!(number(&screen, "#leaderboard .row .score").await, score);
    member
        .screenshot(&artifact_path("restart-member-leaderboard.png"))
        .await;
}

const ROSTER_CSV: &str = "Họ và tên;Mã đảng viên;Loại;Tổ\n\
Nguyễn Văn An;DV01;Chính thức;Tổ 1\n\
Trần Thị Bình;DV02;Chính thức;Tổ 1\n\
Phạm Thị Dung;DV04;Dự bị;Tổ 2\n";

/// Imports a roster over HTTP and returns the personal join URLs by code.
async fn import_roster(server: &TestServer, pin: &str, csv: &str) -> Vec<(String, String)> {
    let r = server.upload_roster(pin, csv.to_string()).await;
    assert_eq!(r.status(), 200, "roster import");
    server
        .roster(pin)
        .await
        .iter()
        .map(|e| {
            (
                e["code"].as_str().unwrap().to_string(),
                e["join_url"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn url_of<'a>(urls: &'a [(String, String)], code: &str) -> &'a str {
    &urls.iter().find(|u| u.0 == code).expect("on the roster").1
}

#[tokio::test]
async fn member_votes_on_the_page_and_the_projector_shows_the_result() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let urls = import_roster(&server, &pin, ROSTER_CSV).await;
    let (screen_browser, an_browser, dung_browser) =
        tokio::join!(Browser::launch(), Browser::launch(), Browser::launch());
    let screen = projector(&screen_browser, &server.url(&format!("/screen/{pin}"))).await;

    // Personal QR codes: no name to type.
    let an = phone(&an_browser, url_of(&urls, "DV01")).await;
    let dung = phone(&dung_browser, url_of(&urls, "DV04")).await;
    an.wait_for_text("#lobby-hello", "Nguyễn Văn An").await;
    dung.wait_for_text("#lobby-hello", "Phạm Thị Dung").await;
    assert_eq!(
        an.eval("return location.search;").await,
        "",
        "the key leaves the address bar"
    );

    // The attendance the chair reads out: 2 of 3 present; Bình (official)
    // is absent but still counted among those convened.
    screen.wait_for_text("#att-present", "2").await;
    screen.wait_for_text("#att-of", "3").await;
    screen
        .wait_for_text("#att-facts", "Có quyền biểu quyết có mặt: 1/2")
        .await;
    screen
        .wait_for_text("#att-rows tr[data-status='probationary']", "Dự bị")
        .await;
    screen
        .screenshot(&artifact_path("vote-1-projector-attendance.png"))
        .await;
    assert_fits(&screen, "projector lobby with attendance").await;

    // Someone not on the roster is turned away with a clear message.
    let guest = phone(&screen_browser, &server.url(&format!("/j/{pin}"))).await;
    guest.fill("#name", "Khách mời").await;
    guest.click("#join:not(:disabled)").await;
    guest
        .wait_for_text(
            "#join-error",
            // Before joining, the page does not know the meeting's wording.
            "Cuộc họp chỉ dành cho thành viên trong danh sách: hãy quét mã QR cá nhân",
        )
        .await;
    guest
        .screenshot(&artifact_path("vote-1-guest-refused.png"))
        .await;

    let mut host = Client::host(&server, &pin).await;
    host_do(
        &mut host,
        json!({"type": "motion_create", "text": "Thông qua Nghị quyết chi bộ tháng 11"}),
    )
    .await;
    host_do(&mut host, json!({"type": "motion_open", "motion": 1})).await;

    // The official member votes with one tap.
    an.wait_for_text("#motion-text", "Thông qua Nghị quyết chi bộ tháng 11")
        .await;
    an.wait_for("#vote-options .vote-option[data-index='0']")
        .await;
    an.screenshot(&artifact_path("vote-2-member-options.png"))
        .await;
    an.click("#vote-options .vote-option[data-index='0']:not(:disabled)")
        .await;
    an.wait_for_text("#vote-choice", "Bạn đã chọn: Tán thành")
        .await;
    an.screenshot(&artifact_path("vote-3-member-voted.png"))
        .await;
    // The probationary member follows without voting.
    dung.wait_for_text(
        "#vote-ineligible",
        "Đảng viên dự bị theo dõi biểu quyết, không biểu quyết",
    )
    .await;
    assert_eq!(
        dung.eval(
            "return [...document.querySelectorAll('.vote-option')].some(b => b.offsetParent);"
        )
        .await,
        false,
        "no vote buttons for a probationary member"
    );
    dung.screenshot(&artifact_path("vote-3-member-probationary.png"))
        .await;
    // The projector counts the votes of those present who may vote.
    screen.wait_for_text("#sm-voted", "1").await;
    assert_eq!(screen.text("#sm-eligible").await, "1");
    screen
        .wait_for_text("#sm-live-bars .sm-bar[data-index='0'] .sm-bar-count", "1")
        .await;
    screen
        .screenshot(&artifact_path("vote-4-projector-open.png"))
        .await;
    assert_fits(&screen, "projector, motion open").await;

    host_do(&mut host, json!({"type": "motion_close", "motion": 1})).await;
    // 1 approval of 2 officials convened: more than half needs 2.
    screen
        .wait_for_text("#sm-decision", "KHÔNG THÔNG QUA")
        .await;
    assert_eq!(
        screen
            .text("#sm-bars .sm-bar[data-index='0'] .sm-bar-count")
            .await,
        "1"
    );
    screen
        .wait_for_text(
            "#sm-bars .sm-bar[data-index='0'] .sm-bar-pct",
            "50% so với 2",
        )
        .await;
    screen
        .wait_for_text("#sm-explain", "Cần ít nhất 2/2 phiếu tán thành")
        .await;
    screen
        .screenshot(&artifact_path("vote-5-projector-result.png"))
        .await;
    assert_fits(&screen, "projector, motion closed").await;
    // A smaller projector, in English, fits too.
    let small = screen_browser
        .open_sized(&server.url(&format!("/screen/{pin}?lang=en")), 1366, 768)
        .await;
    small.wait_for_text("#sm-decision", "NOT PASSED").await;
    small
        .wait_for_text("#sm-explain", "Needs at least 2 of 2 approvals")
        .await;
    small
        .screenshot(&artifact_path("vote-5-projector-result-1366-en.png"))
        .await;
    assert_fits(&small, "1366×768 projector, motion closed").await;
    an.wait_for_text("#decision", "KHÔNG THÔNG QUA").await;
    an.wait_for_text("#result-mine", "Bạn đã chọn: Tán thành")
        .await;
    // An approved a motion that did not pass: a minority opinion. Not
    // adopted, so there is no resolution to carry out.
    let hint = an.text("#reserve-hint").await;
    assert!(
        hint.contains("không có nghị quyết phải chấp hành")
            && !hint.contains("phải chấp hành nghị quyết"),
        "{hint}"
    );
    scroll_to(&an, "#reserve-open").await;
    an.click("#reserve-open:not(:disabled)").await;
    an.screenshot(&artifact_path("vote-5-member-result.png"))
        .await;
    an.fill(
        "#reserve-text",
        "Tôi bảo lưu ý kiến: nghị quyết cần thông qua sớm.",
    )
    .await;
    // On a 390×844 phone the Send button is never under the score bar,
    // wherever the page is scrolled.
    an.eval("document.querySelector('#reserve-text').scrollIntoView({block: 'end'}); return true;")
        .await;
    assert!(tappable(&an, "#reserve-send").await, "Send is covered");
    scroll_to(&an, "#reserve-send").await;
    assert!(tappable(&an, "#reserve-send").await, "Send is covered");
    an.click("#reserve-send:not(:disabled)").await;
    an.wait_for_text("#reserve-done", "Đã ghi nhận ý kiến bảo lưu")
        .await;
    host.wait("the reservation", |f| {
        f["type"] == "state"
            && f["motions"][0]["reservations"][0]["text"]
                == "Tôi bảo lưu ý kiến: nghị quyết cần thông qua sớm."
    })
    .await;
    dung.wait_for_text("#decision", "KHÔNG THÔNG QUA").await;
    // Dung leaves (counted absent) and comes back (present again).
    dung.click("#leave:not(:disabled)").await;
    dung.click("#leave-ok:not(:disabled)").await;
    dung.wait_for_text("#stopped-text", "Bạn đã rời cuộc họp")
        .await;
    host.wait("Dung absent", |f| {
        f["type"] == "live" && f["attendance"]["present"] == 1
    })
    .await;
    dung.click("#stopped-action:not(:disabled)").await;
    dung.wait_for_text("#decision", "KHÔNG THÔNG QUA").await;
    host.wait("Dung back", |f| {
        f["type"] == "live" && f["attendance"]["present"] == 2
    })
    .await;
    assert_eq!(
        dung.eval("return !!document.querySelector('#reserve').offsetParent;")
            .await,
        false,
        "a member who did not vote has nothing to reserve"
    );

    // A secret ballot: the phone says the ballot is recorded, never the
    // choice a neighbour could read; a tap shows it for a few seconds.
    host_do(
        &mut host,
        json!({"type": "motion_create", "text": "Kỷ luật đồng chí X", "template": "discipline"}),
    )
    .await;
    host_do(&mut host, json!({"type": "motion_open", "motion": 2})).await;
    an.wait_for_text("#mv-ballot", "Bỏ phiếu kín").await;
    an.click("#vote-options .vote-option[data-index='1']:not(:disabled)")
        .await;
    an.wait_for_text("#vote-choice", "Đã nhận phiếu của bạn")
        .await;
    // Alone in the box, the ballot is counted and waits for its group.
    an.wait_for_text("#vote-note", "ít nhất 5 phiếu khác").await;
    an.wait_for_text("#vote-note", "không hiện trên màn hình")
        .await;
    let shown = an
        .eval("return document.querySelector('#view-motion').innerText;")
        .await;
    assert!(
        !shown.as_str().unwrap_or("").contains("Cách chức"),
        "the secret choice is on screen: {shown}"
    );
    screen.wait_for_text("#sm-note", "Bỏ phiếu kín").await;
    an.screenshot(&artifact_path("vote-6-member-secret.png"))
        .await;
    scroll_to(&an, "#vote-peek").await;
    an.click("#vote-peek:not([hidden])").await;
    an.wait_for_text("#vote-peeked", "Bạn đã chọn: Cách chức")
        .await;
    // A named reservation on a secret ballot: warned first.
    host_do(&mut host, json!({"type": "motion_close", "motion": 2})).await;
    an.wait_for_text("#decision", "KHÔNG KỶ LUẬT").await;
    screen.wait_for_text("#sm-decision", "KHÔNG KỶ LUẬT").await;
    screen
        .wait_for_text("#sm-explain", "Khai trừ: ít nhất hai phần ba của 2")
        .await;
    screen
        .screenshot(&artifact_path("vote-7-projector-discipline.png"))
        .await;
    assert_fits(&screen, "projector, discipline result").await;
    scroll_to(&an, "#reserve-open").await;
    an.click("#reserve-open:not(:disabled)").await;
    an.wait_for_text("#reserve-warn", "bỏ phiếu kín").await;
    an.click("#reserve-warn-go:not(:disabled)").await;
    an.wait_for("#reserve-text").await;
    assert!(tappable(&an, "#reserve-send").await, "Send is covered");
}

/// Puts a file with `content` in the file input `css`, as choosing it in
/// the file picker does.
async fn choose_file(page: &Page, css: &str, name: &str, content: &str) {
    page.wait_for(css).await;
    page.eval(&format!(
        "const dt = new DataTransfer(); \
         dt.items.add(new File([{content:?}], {name:?})); \
         document.querySelector({css:?}).files = dt.files; return true;"
    ))
    .await;
}

/// Chooses `value` in the `<select>` `css` and tells the page.
pub(crate) async fn select(page: &Page, css: &str, value: &str) {
    page.wait_for(&format!("{css} option[value='{value}']"))
        .await;
    page.eval(&format!(
        "const s = document.querySelector({css:?}); s.value = {value:?}; \
         s.dispatchEvent(new Event('change', {{bubbles: true}})); return true;"
    ))
    .await;
}

#[tokio::test]
async fn host_console_creates_a_meeting_runs_the_roster_and_a_vote() {
    let server = TestServer::start().await;
    let browser = Browser::launch().await;
    let host = browser
        .open(&server.url(&format!("/host#secret={SECRET}")))
        .await;

    // The secret leaves the address bar; a meeting is created from the form.
    select(&host, "#bank-select", "alltypes").await;
    assert_eq!(host.eval("return location.hash;").await, "");
    host.fill("#title-input", "Chi bộ 3 — sinh hoạt tháng 11")
        .await;
    select(&host, "#wording-input", "party").await;
    host.click("#create:not(:disabled)").await;
    // The console opens on the new meeting with its PIN set.
    host.wait_for("#view-console #meeting-pin").await;
    let pin_text = host.text("#meeting-pin").await;
    let pin: String = pin_text.chars().filter(char::is_ascii_digit).collect();
    assert_eq!(pin.len(), 6, "a PIN is shown: {pin_text:?}");
    host.wait_for_text("#meeting-title", "Chi bộ 3 — sinh hoạt tháng 11")
        .await;

    // Roster: a file with a mistake is refused with its row and column.
    host.click("#tab-roster").await;
    // Until there is a roster, the console says anyone with the PIN votes,
    // and offers to approve each new member.
    host.wait_for_text("#no-roster-warning", "bất kỳ ai biết mã PIN")
        .await;
    host.wait_for("#approve-switch").await;
    choose_file(
        &host,
        "#roster-file",
        "danh-sach.csv",
        "Họ và tên;Mã đảng viên;Loại\nNguyễn Văn An;DV01;Chính thức\nLê Văn Cường;DV03;Cán bộ\n",
    )
    .await;
    host.click("#roster-send:not(:disabled)").await;
    host.wait_for_text("#roster-upload-error", "1 lỗi").await;
    let problem = host.text("#roster-problems tbody tr").await;
    assert!(
        problem.contains('3') && problem.contains("Loại"),
        "{problem}"
    );
    host.screenshot(&artifact_path("host-1-roster-problems.png"))
        .await;

    // The fixed file imports; one more member is added by hand.
    choose_file(
        &host,
        "#roster-file",
        "danh-sach.csv",
        "Họ và tên;Mã đảng viên;Loại\nNguyễn Văn An;DV01;Chính thức\nLê Văn Cường;DV03;Chính thức\n",
    )
    .await;
    host.click("#roster-send:not(:disabled)").await;
    host.wait_for_text("#roster-result", "Đã nhập 2 người")
        .await;
    host.fill("#entry-name", "Phạm Thị Dung").await;
    host.fill("#entry-code", "DV04").await;
    select(&host, "#entry-status", "probationary").await;
    host.click("#entry-save:not(:disabled)").await;
    host.wait_for_text("#roster-rows tr[data-code='DV04']", "Dự bị")
        .await;
    host.wait_for_text("#att-convened", "3").await;
    // Cường is away with an approved excuse.
    host.click("#roster-rows tr[data-code='DV03'] input.excused")
        .await;
    host.wait_for_text("#att-excused", "1").await;

    // An joins with his personal QR code; the console shows him present.
    let roster = server.roster(&pin).await;
    let an_url = roster.iter().find(|e| e["code"] == "DV01").unwrap()["join_url"]
        .as_str()
        .unwrap()
        .to_string();
    let key = an_url.split("?k=").nth(1).unwrap();
    let mut an = Client::connect(&server).await;
    an.hello("member", &pin, json!({"key": key}))
        .await
        .expect("An joins with his QR code");
    host.wait_for("#roster-rows tr[data-code='DV01'][data-present='true']")
        .await;
    host.wait_for_text("#att-present", "1").await;
    host.screenshot(&artifact_path("host-2-roster.png")).await;

    // The printable sheet of personal QR codes, opened as the console does
    // (same browser: it finds the host secret there).
    let sheet = browser
        .open_sized(
            &server.url(&format!("/host/meetings/{pin}/sheet")),
            900,
            1100,
        )
        .await;
    sheet
        .wait_for_text(".qr-card[data-code='DV04']", "Phạm Thị Dung")
        .await;
    sheet
        .wait_for_text(".sheet-head", &format!("Mã PIN {pin}"))
        .await;
    sheet
        .wait_for_text("#sheet-summary", "3 đồng chí · 1 trang A4")
        .await;
    assert_eq!(
        sheet
            .eval("return [...document.querySelectorAll('.qr-card img')].every(i => i.complete && i.naturalWidth > 0);")
            .await,
        true,
        "every QR code loads"
    );
    sheet.screenshot(&artifact_path("sheet-qr-codes.png")).await;

    // Votes: an admission from its template, opened from the list.
    host.click("#tab-votes").await;
    select(&host, "#mf-template", "admission").await;
    host.wait_for_text("#mf-template-desc", "hai phần ba").await;
    host.fill("#mf-text", "Kết nạp quần chúng Trần Văn B vào Đảng")
        .await;
    host.click("#mf-save:not(:disabled)").await;
    host.wait_for_text("#motion-list .motion-item", "Kết nạp quần chúng Trần Văn B")
        .await;
    host.wait_for_text("#motion-list .motion-item .mi-meta", "Kết nạp đảng viên")
        .await;
    host.click("#motion-list button[data-action='open']:not(:disabled)")
        .await;
    host.wait_for_text("#lm-not-voted", "Nguyễn Văn An").await;
    host.screenshot(&artifact_path("host-3-vote-open.png"))
        .await;
    an.command(json!({"type": "vote", "motion": 1, "option": 0}))
        .await
        .expect("An votes");
    host.wait_for_text("#lm-voted", "1").await;
    host.wait_for_text(
        "#lm-not-voted",
        "Mọi người có quyền biểu quyết có mặt đã biểu quyết",
    )
    .await;
    host.click("#lm-close:not(:disabled)").await;
    host.click("#confirm-ok:not(:disabled)").await;
    // Convened: An and Cường (officials; the excuse still counts him, by
    // default); 1 of 2 is not two thirds.
    host.wait_for_text("#motion-list .mi-result", "KHÔNG THÔNG QUA")
        .await;
    host.wait_for_text("#motion-list .mi-voters", "Ai chọn gì")
        .await;
    host.click("#motion-list .mi-voters summary").await;
    host.wait_for_text("#motion-list .mi-voters", "Tán thành (1): Nguyễn Văn An")
        .await;
    host.screenshot(&artifact_path("host-4-vote-closed.png"))
        .await;

    // An election from its template: candidates and seats; too few
    // candidates is refused in Vietnamese and nothing is created.
    select(&host, "#mf-template", "election").await;
    host.wait_for_text("#mf-list-field", "Ứng cử viên").await;
    host.fill("#mf-text", "Bầu Chi ủy").await;
    host.fill("#mf-list", "Nguyễn Văn An").await;
    host.fill("#mf-seats", "2").await;
    host.click("#mf-save:not(:disabled)").await;
    host.wait_for_text("#mf-error", "1 ứng cử viên cho 2 chỗ")
        .await;
    host.fill("#mf-list", "Nguyễn Văn An\nLê Văn Cường\nTrần Thị Bình")
        .await;
    host.click("#mf-save:not(:disabled)").await;
    host.wait_for_text(
        "#motion-list .motion-item[data-id='2'] .mi-meta",
        "Bầu 2 trong số 3 ứng cử viên",
    )
    .await;
    assert_eq!(
        host.eval("return document.querySelector('#mf-error').textContent;")
            .await,
        ""
    );
    host.click("#motion-list .motion-item[data-id='2'] button[data-action='open']:not(:disabled)")
        .await;
    // The click sends the command; the ballot waits until the room opened
    // the motion (An is told).
    an.wait("motion 2 open", |v| {
        v["type"] == "state" && v["motion"]["id"] == 2 && v["motion"]["status"] == "open"
    })
    .await;
    an.ballot(json!({"type": "ballot", "motion": 2, "keep": [0]}))
        .await
        .expect("An's ballot");
    host.wait_for_text("#lm-voted", "1").await;
    // A secret ballot: the count and who has not voted, never the counts.
    host.wait_for_text(
        "#lm-not-voted",
        "Mọi người có quyền biểu quyết có mặt đã biểu quyết",
    )
    .await;
    assert_eq!(
        host.eval("return document.querySelector('#lm-counts').hidden;")
            .await,
        true
    );
    host.click("#lm-close:not(:disabled)").await;
    host.click("#confirm-ok:not(:disabled)").await;
    // 190 Điều 30: Cường, absent with a reason, is out of the base (1).
    host.wait_for_text(
        "#motion-list .motion-item[data-id='2'] .mi-result",
        "KẾT QUẢ BẦU CỬ",
    )
    .await;
    host.wait_for_text(
        "#motion-list .motion-item[data-id='2'] .mi-result",
        "1/2 người trúng cử",
    )
    .await;
    // One seat left: another round, for the candidates not elected.
    host.click("#motion-list .motion-item[data-id='2'] button[data-action='again']:not(:disabled)")
        .await;
    assert_eq!(
        host.eval(
            "return [document.querySelector('#mf-template').value, \
             document.querySelector('#mf-seats').value, document.querySelector('#mf-list').value];"
        )
        .await,
        json!(["election", "1", "Lê Văn Cường\nTrần Thị Bình"])
    );

    // The quiz tab labels "next" by where it leads.
    host.click("#tab-quiz").await;
    host.click("#btn-start:not(:disabled)").await;
    host.click("#btn-reveal:not(:disabled)").await;
    host.wait_for_text("#btn-next", "Bảng xếp hạng").await;

    // On a phone the console reopens the meeting; sections are tabs.
    let small = browser
        .open_sized(&server.url("/host"), PHONE.0, PHONE.1)
        .await;
    small.click("#tab-votes").await;
    small
        .wait_for_text("#motion-list .mi-result", "KHÔNG THÔNG QUA")
        .await;
    small
        .screenshot(&artifact_path("host-5-phone-votes.png"))
        .await;
    assert_eq!(
        small
            .eval("return document.scrollingElement.scrollWidth <= innerWidth;")
            .await,
        true,
        "no sideways scrolling on a phone"
    );
}

#[tokio::test]
async fn an_election_ballot_on_the_phone_and_its_result_on_the_projector() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let (screen_browser, member_browser) = tokio::join!(Browser::launch(), Browser::launch());
    let screen = projector(&screen_browser, &server.url(&format!("/screen/{pin}"))).await;
    let lan = phone(&member_browser, &server.url(&format!("/j/{pin}"))).await;
    lan.fill("#name", "Nguyễn Thị Lan").await;
    lan.click("#join:not(:disabled)").await;
    lan.wait_for_text("#lobby-hello", "Nguyễn Thị Lan").await;
    let mut minh = Client::member(&server, &pin, "Minh").await;
    let mut hung = Client::member(&server, &pin, "Hùng").await;
    screen.wait_for_text("#joined-count", "3").await;

    let mut host = Client::host(&server, &pin).await;
    // Congress mode: the two-thirds quorum is on the projector.
    host_do(&mut host, json!({"type": "settings", "congress": true})).await;
    screen.wait_for_text("#s-congress", "ĐỦ TÚC SỐ").await;
    screen.wait_for_text("#s-congress", "có mặt 3/3").await;
    host_do(
        &mut host,
        json!({"type": "motion_create", "text": "Bầu Chi ủy", "template": "election", "seats": 2,
               "candidates": ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"]}),
    )
    .await;
    host_do(&mut host, json!({"type": "motion_open", "motion": 1})).await;

    // Lan keeps three names for two seats: the phone says the ballot would
    // be invalid and will not send it; striking one makes it valid.
    lan.wait_for_text("#ballot-count", "Đã chọn 0/2").await;
    for i in 0..3 {
        lan.click(&format!(
            "#vote-options .vote-option[data-index='{i}']:not(:disabled)"
        ))
        .await;
    }
    lan.wait_for_text("#ballot-count", "phiếu không hợp lệ")
        .await;
    assert_eq!(
        lan.eval("return document.querySelector('#ballot-send').disabled;")
            .await,
        true
    );
    lan.click("#vote-options .vote-option[data-index='2']:not(:disabled)")
        .await;
    lan.wait_for_text("#ballot-count", "Đã chọn 2/2").await;
    assert!(tappable(&lan, "#ballot-send").await, "Send is covered");
    lan.screenshot(&artifact_path("elect-1-member-ballot.png"))
        .await;
    lan.click("#ballot-send:not(:disabled)").await;
    // Too few ballots for a group yet: received, counted, written at close.
    lan.wait_for_text("#vote-choice", "Đã nhận phiếu của bạn")
        .await;
    let shown = lan
        .eval("return document.querySelector('#view-motion').innerText;")
        .await;
    assert!(
        !shown.as_str().unwrap_or("").contains("Bạn đã bầu"),
        "the names kept are on screen: {shown}"
    );
    for (c, keep) in [(&mut minh, json!([0, 2])), (&mut hung, json!([0]))] {
        c.ballot(json!({"type": "ballot", "motion": 1, "keep": keep}))
            .await
            .expect("ballot accepted");
    }
    screen.wait_for_text("#sm-voted", "3").await;
    host_do(&mut host, json!({"type": "motion_close", "motion": 1})).await;

    // More than half of 3 is 2: An (3) is elected, Bình and Cường (1) are not.
    screen.wait_for_text("#sm-decision", "KẾT QUẢ BẦU CỬ").await;
    screen
        .wait_for_text("#sm-bars .sm-bar[data-index='0'] .sm-bar-pct", "TRÚNG CỬ")
        .await;
    let bình = screen
        .text("#sm-bars .sm-bar[data-index='1'] .sm-bar-pct")
        .await;
    assert!(bình.starts_with("KHÔNG TRÚNG CỬ"), "{bình}");
    screen.wait_for_text("#sm-explain", "Còn 1 chỗ").await;
    let all = screen
        .eval("return document.querySelector('#s-motion').innerText;")
        .await;
    assert!(!all.as_str().unwrap_or("").contains("THÔNG QUA"), "{all}");
    screen
        .screenshot(&artifact_path("elect-2-projector-result.png"))
        .await;
    assert_fits(&screen, "projector, election result").await;
    lan.wait_for_text("#decision", "KẾT QUẢ BẦU CỬ").await;
    lan.wait_for_text("#result-counts", "TRÚNG CỬ").await;
    lan.screenshot(&artifact_path("elect-3-member-result.png"))
        .await;
}

/// Issue 14 item 3 in a real browser: three members join by name, the
/// roster is imported afterwards, and the host confirms the name matches
/// with one tap; each phone becomes that roster member at once.
#[tokio::test]
async fn the_host_confirms_members_who_joined_before_the_roster() {
    let server = TestServer::start().await;
    let browser = Browser::launch().await;
    let host = browser
        .open(&server.url(&format!("/host#secret={SECRET}")))
        .await;
    select(&host, "#bank-select", "alltypes").await;
    host.fill("#title-input", "Chi bộ 5").await;
    host.click("#create:not(:disabled)").await;
    host.wait_for("#view-console #meeting-pin").await;
    let pin: String = host
        .text("#meeting-pin")
        .await
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let mut phones = Vec::new();
    for name in ["nguyen van an", "TRẦN THỊ BÌNH", "Lê Văn  Cường"] {
        phones.push(Client::member(&server, &pin, name).await);
    }
    import_roster(
        &server,
        &pin,
        "Họ và tên;Mã đảng viên;Loại\nNguyễn Văn An;DV01;Chính thức\nTrần Thị Bình;DV02;Chính thức\nLê Văn Cường;DV03;Dự bị\n",
    )
    .await;
    host.click("#tab-roster").await;
    host.wait_for_text("#matches-title", "3 người").await;
    host.wait_for_text("#matches-list", "Nguyễn Văn An").await;
    host.screenshot(&artifact_path("host-roster-matches.png"))
        .await;
    host.click("#matches-confirm:not(:disabled)").await;
    for (phone, status) in phones
        .iter_mut()
        .zip(["official", "official", "probationary"])
    {
        phone
            .wait("the roster member", |v| {
                v["type"] == "me" && v["status"] == status
            })
            .await;
    }
    host.wait_for_text("#roster-rows tr[data-code='DV03']", "Dự bị")
        .await;
    host.wait_for_text("#att-present", "3").await;
}

/// Issue 14 item 2 on the pages: members without phones are marked present
/// by hand, the host enters their show of hands, and the projector shows
/// which counts came from it and decides on phones and hands together.
#[tokio::test]
async fn the_projector_shows_which_counts_came_from_a_show_of_hands() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let urls = import_roster(
        &server,
        &pin,
        "Họ và tên;Mã đảng viên;Loại\nNguyễn Văn An;DV01;Chính thức\n\
         Trần Thị Bình;DV02;Chính thức\nLê Văn Cường;DV03;Chính thức\n",
    )
    .await;
    let (screen_browser, an_browser) = tokio::join!(Browser::launch(), Browser::launch());
    let screen = projector(&screen_browser, &server.url(&format!("/screen/{pin}"))).await;
    let an = phone(&an_browser, url_of(&urls, "DV01")).await;
    an.wait_for_text("#lobby-hello", "Nguyễn Văn An").await;
    let mut host = Client::host(&server, &pin).await;
    // Bình and Cường have no phones: the host marks them present.
    for code in ["DV02", "DV03"] {
        host_do(
            &mut host,
            json!({"type": "mark", "code": code, "present": true}),
        )
        .await;
    }
    screen.wait_for_text("#att-present", "3").await;
    host_do(
        &mut host,
        json!({"type": "motion_create", "text": "Thông qua Nghị quyết tháng 11"}),
    )
    .await;
    host_do(&mut host, json!({"type": "motion_open", "motion": 1})).await;
    an.click("#vote-options .vote-option[data-index='0']:not(:disabled)")
        .await;
    an.wait_for_text("#vote-choice", "Tán thành").await;
    // One hand for, one against.
    host_do(
        &mut host,
        json!({"type": "hand_count", "motion": 1, "counts": [1, 1, 0]}),
    )
    .await;
    host_do(&mut host, json!({"type": "motion_close", "motion": 1})).await;
    screen
        .wait_for_text(
            "#sm-hand",
            "Trong đó giơ tay / phiếu giấy: Tán thành 1 · Không tán thành 1",
        )
        .await;
    // Base: the 3 officials; more than half needs 2; 1 phone + 1 hand.
    screen
        .wait_for_text("#sm-explain", "có 2 → THÔNG QUA")
        .await;
    screen
        .screenshot(&artifact_path("vote-hybrid-projector.png"))
        .await;
}

/// Over HTTPS (and on the organiser's own laptop) the phone and the
/// projector ask the browser to keep the screen on while they follow the
/// meeting (docs/DEPLOY.md): `<html data-wake-lock>` says how it went.
#[tokio::test]
async fn the_phone_and_the_projector_keep_the_screen_on() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let (b1, b2) = tokio::join!(Browser::launch(), Browser::launch());
    let member = phone(&b1, &server.url(&format!("/j/{pin}"))).await;
    let screen = projector(&b2, &server.url(&format!("/screen/{pin}"))).await;
    // Not before the member has joined.
    assert_eq!(
        member
            .eval("return document.documentElement.dataset.wakeLock || null;")
            .await,
        Value::Null
    );
    member.fill("#name", "Trần Văn Hùng").await;
    member.click("#join:not(:disabled)").await;
    member.wait_for("#lobby-hello").await;
    for page in [&member, &screen] {
        let mut state = Value::Null;
        for _ in 0..50 {
            state = page
                .eval("return document.documentElement.dataset.wakeLock || null;")
                .await;
            if state != Value::Null {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(state, "on", "the screen is kept on");
    }
}

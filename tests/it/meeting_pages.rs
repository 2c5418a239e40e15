//! Agenda and opinions in real browsers: two phones send opinions, the host
//! console approves one and pins it, and the projector shows it.

use serde_json::json;

use crate::browser::{Browser, Page, artifact_path};
use crate::support::{Client, SECRET, TestServer};

async fn select(page: &Page, css: &str, value: &str) {
    page.wait_for(&format!("{css} option[value='{value}']"))
        .await;
    page.eval(&format!(
        "const s = document.querySelector({css:?}); s.value = {value:?}; \
         s.dispatchEvent(new Event('change', {{bubbles: true}})); return true;"
    ))
    .await;
}

/// Scrolls the element to the middle of the window, as a person scrolls to
/// what they want to tap (the score bar covers the bottom edge).
async fn scroll_to(page: &Page, css: &str) {
    page.wait_for(css).await;
    page.eval(&format!(
        "document.querySelector({css:?}).scrollIntoView({{block: 'center'}}); return true;"
    ))
    .await;
}

async fn join(page: &Page, name: &str) {
    page.wait_for_text("#join", "Tham gia").await;
    page.fill("#name", name).await;
    page.click("#join:not(:disabled)").await;
    page.wait_for_text("#lobby-hello", name).await;
}

async fn send_opinion(page: &Page, text: &str) {
    scroll_to(page, "#m-activities #op-text").await;
    page.fill("#op-text", text).await;
    page.click("#op-send:not(:disabled)").await;
    // Sent: the box empties and the author sees it waiting for approval.
    page.wait_for_text("#op-mine", "Chờ duyệt").await;
}

#[tokio::test]
async fn two_phones_send_opinions_the_host_pins_one_and_the_projector_shows_it() {
    let server = TestServer::start().await;
    let (desk, phone_a, phone_b) =
        tokio::join!(Browser::launch(), Browser::launch(), Browser::launch());
    let host = desk
        .open(&server.url(&format!("/host#secret={SECRET}")))
        .await;
    select(&host, "#bank-select", "alltypes").await;
    host.fill("#title-input", "Sinh hoạt chi bộ tháng 12").await;
    select(&host, "#wording-input", "party").await;
    host.click("#create:not(:disabled)").await;
    host.wait_for("#view-console #meeting-pin").await;
    let pin: String = host
        .text("#meeting-pin")
        .await
        .chars()
        .filter(char::is_ascii_digit)
        .collect();

    // The chair takes the regular agenda, opens the meeting and starts the
    // discussion; the projector shows the opinion wall.
    host.click("#tab-agenda").await;
    host.click("#ag-apply:not(:disabled)").await;
    host.wait_for_text("#ag-items", "Thảo luận").await;
    host.click("#ag-open:not(:disabled)").await;
    host.click("#ag-items button[data-item='5']:not(:disabled)")
        .await;
    host.wait_for_text("#ag-items li[data-state='running']", "Thảo luận")
        .await;
    let screen = desk
        .open_sized(&server.url(&format!("/screen/{pin}")), 1920, 1080)
        .await;
    host.click("#sc-buttons button[data-screen='opinions']:not(:disabled)")
        .await;
    screen.wait_for_text("#so-item", "Thảo luận").await;
    screen.wait_for_text("#s-clock", "tối thiểu 90 phút").await;

    // Two phones join and send their opinions (one with markup, shown as text).
    let join_url = server.url(&format!("/j/{pin}"));
    let (a, b) = tokio::join!(
        phone_a.open_sized(&join_url, 390, 844),
        phone_b.open_sized(&join_url, 390, 844)
    );
    tokio::join!(join(&a, "Nguyễn Thị Lan"), join(&b, "Trần Văn Minh"));
    let lan_text = "Đề nghị bổ sung chỉ tiêu <b>kết nạp</b> đảng viên";
    let minh_text = "Tôi tán thành dự thảo";
    tokio::join!(send_opinion(&a, lan_text), send_opinion(&b, minh_text));

    // Nothing is on the wall before the host approves.
    screen.wait_for_text("#so-count", "0 ý kiến").await;
    host.wait_for("#op-list li[data-id='2']").await;
    let id = host
        .eval(
            "return [...document.querySelectorAll('#op-list li')]\
             .find((li) => li.textContent.includes('kết nạp')).dataset.id;",
        )
        .await;
    let id = id.as_str().unwrap().to_string();
    let row = format!("#op-list li[data-id='{id}']");
    host.click(&format!("{row} button[data-action='approve']"))
        .await;
    host.click(&format!("{row} button[data-action='pin']"))
        .await;
    screen.wait_for_text("#so-pinned", "<b>kết nạp</b>").await;
    screen
        .wait_for_text("#so-count", "1 ý kiến, 1 đồng chí phát biểu")
        .await;
    let wall = screen.text("#s-opinions").await;
    assert!(
        !wall.contains(minh_text),
        "an opinion waiting for approval is on the wall: {wall}"
    );
    assert_eq!(
        screen
            .eval("return document.querySelector('#so-pinned b') === null;")
            .await,
        true,
        "member text is never HTML"
    );

    // Minh sees it on his phone and agrees; the projector counts it.
    let card = format!("#op-wall li[data-id='{id}']");
    scroll_to(&b, &card).await;
    b.click(&format!("{card} button:not(:disabled)")).await;
    b.wait_for_text(&card, "Đã đồng tình").await;
    screen.wait_for_text("#so-pinned", "1 đồng tình").await;
    // Lan cannot agree with her own opinion.
    a.wait_for_text(&card, "1 đồng tình").await;
    let own = format!("return document.querySelector(\"{card} button\").disabled;");
    assert_eq!(a.eval(&own).await, true);
    // The grading form is editable before scoring opens: five criteria.
    let rows = host
        .eval("return document.querySelectorAll('#ev-edit-rows .ev-edit').length;")
        .await;
    assert_eq!(rows, 5);
    screen
        .screenshot(&artifact_path("meeting-1-projector-opinions.png"))
        .await;
    host.screenshot(&artifact_path("meeting-2-host-agenda.png"))
        .await;
    b.screenshot(&artifact_path("meeting-3-member-opinions.png"))
        .await;
}

#[tokio::test]
async fn a_phone_grades_the_meeting_and_the_projector_shows_means_and_band() {
    let server = TestServer::start().await;
    let pin = server.create_meeting("alltypes").await;
    let mut host = Client::host(&server, &pin).await;
    let (desk, phone) = tokio::join!(Browser::launch(), Browser::launch());
    let screen = desk
        .open_sized(&server.url(&format!("/screen/{pin}")), 1920, 1080)
        .await;
    let lan = phone
        .open_sized(&server.url(&format!("/j/{pin}")), 390, 844)
        .await;
    join(&lan, "Nguyễn Thị Lan").await;
    let mut minh = Client::member(&server, &pin, "Minh").await;
    for cmd in [
        json!({"type": "agenda_set", "template": "regular"}),
        json!({"type": "meeting_open"}),
        json!({"type": "screen", "screen": "evaluation"}),
        json!({"type": "evaluation_open"}),
    ] {
        if let Err(e) = host.command(cmd.clone()).await {
            panic!("{cmd} refused: {e}");
        }
    }
    // The projector shows the criteria with the attendance fact beside the first.
    screen.wait_for_text("#se-status", "Đang chấm").await;
    screen.wait_for_text("#se-rows", "Dự họp 2/2").await;

    // Lan scores on her phone; Minh over the websocket.
    scroll_to(&lan, "#ev-rows input").await;
    for (i, score) in ["20", "20", "20", "16", "16"].iter().enumerate() {
        lan.fill(&format!("#ev-rows label:nth-child({}) input", i + 1), score)
            .await;
    }
    scroll_to(&lan, "#ev-send").await;
    lan.click("#ev-send:not(:disabled)").await;
    lan.wait_for_text("#ev-note", "Bạn đã gửi điểm").await;
    minh.command(json!({"type": "evaluation_score", "scores": [20, 20, 20, 20, 20]}))
        .await
        .unwrap();
    screen.wait_for_text("#se-scored", "Đã chấm: 2").await;
    host.command(json!({"type": "evaluation_close"}))
        .await
        .unwrap();

    // 20 + 20 + 20 + 18 + 18 = 96 with three criteria at full marks: Khá.
    screen.wait_for_text("#se-total", "96 / 100").await;
    screen.wait_for_text("#se-band", "Khá").await;
    screen.wait_for_text("#se-rows", "18 ± 2").await;
    lan.wait_for_text("#ev-result", "Khá").await;
    screen
        .screenshot(&artifact_path("meeting-4-projector-evaluation.png"))
        .await;
}

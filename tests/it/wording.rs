//! Issue 14 item 4: one setting, Party or neutral wording, drives every
//! page. A neutral meeting run through join, a quiz question, a vote with
//! its rule explanation, attendance and results shows no Party word on the
//! member, projector or host pages; a Party meeting speaks as a cell does.

use serde_json::{Value, json};

use crate::browser::{Browser, Page, artifact_path};
use crate::support::{Client, SECRET, TestServer};

/// Words only a Party meeting may show (compared lower-cased).
const PARTY_WORDS: [&str; 4] = ["đồng chí", "đảng viên", "chi bộ", "đảng"];

const ROSTER_CSV: &str = "Họ và tên;Mã;Loại\n\
Nguyễn Văn An;DV01;Chính thức\n\
Trần Thị Bình;DV02;Chính thức\n\
Phạm Thị Dung;DV04;Dự bị\n";

async fn select(page: &Page, css: &str, value: &str) {
    page.wait_for(&format!("{css} option[value='{value}']"))
        .await;
    page.eval(&format!(
        "const s = document.querySelector({css:?}); s.value = {value:?}; \
         s.dispatchEvent(new Event('change', {{bubbles: true}})); return true;"
    ))
    .await;
}

/// What the page shows: its visible text, lower-cased. On the host
/// console the form-of-address selector itself, which names both
/// choices, is left out.
async fn shown(page: &Page) -> String {
    let v = page
        .eval(
            "const skip = [...document.querySelectorAll('#set-wording-field, #wording-input')]; \
             const was = skip.map((e) => e.hidden); skip.forEach((e) => { e.hidden = true; }); \
             const text = document.body.innerText; \
             skip.forEach((e, i) => { e.hidden = was[i]; }); return text;",
        )
        .await;
    v.as_str().unwrap_or_default().to_lowercase()
}

fn party_words_in(text: &str) -> Vec<&'static str> {
    PARTY_WORDS
        .iter()
        .copied()
        .filter(|w| text.contains(w))
        .collect()
}

async fn host_do(host: &mut Client, cmd: Value) {
    if let Err(e) = host.command(cmd.clone()).await {
        panic!("host command {cmd} refused: {e}");
    }
}

/// Runs a meeting with `wording` through join, a quiz question, a vote,
/// attendance and results; returns every page's text at each step, as
/// (step and page, text).
async fn run_meeting(wording: &str) -> Vec<(String, String)> {
    let server = TestServer::start().await;
    let (desk, an_phone, dung_phone) =
        tokio::join!(Browser::launch(), Browser::launch(), Browser::launch());
    let console = desk
        .open(&server.url(&format!("/host#secret={SECRET}")))
        .await;
    // The form of address is chosen on the create form.
    select(&console, "#bank-select", "alltypes").await;
    console.fill("#title-input", "Họp tháng 11").await;
    select(&console, "#wording-input", wording).await;
    console.click("#create:not(:disabled)").await;
    console.wait_for("#view-console #meeting-pin").await;
    let pin: String = console
        .text("#meeting-pin")
        .await
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let r = server.upload_roster(&pin, ROSTER_CSV.to_string()).await;
    assert_eq!(r.status(), 200, "roster import");
    let urls: Vec<(String, String)> = server
        .roster(&pin)
        .await
        .iter()
        .map(|e| {
            (
                e["code"].as_str().unwrap().to_string(),
                e["join_url"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let url = |code: &str| urls.iter().find(|u| u.0 == code).unwrap().1.clone();
    let screen = desk
        .open_sized(&server.url(&format!("/screen/{pin}")), 1920, 1080)
        .await;
    let (an_url, dung_url) = (url("DV01"), url("DV04"));
    let (an, dung) = tokio::join!(
        an_phone.open_sized(&an_url, 390, 844),
        dung_phone.open_sized(&dung_url, 390, 844)
    );
    an.wait_for_text("#lobby-hello", "Nguyễn Văn An").await;
    dung.wait_for_text("#lobby-hello", "Phạm Thị Dung").await;
    screen.wait_for_text("#att-present", "2").await;

    let mut texts = Vec::new();
    let pages = [
        ("member", &an),
        ("probationary member", &dung),
        ("projector", &screen),
        ("host", &console),
    ];
    macro_rules! record {
        ($step:expr) => {
            for (name, page) in pages {
                texts.push((format!("{} — {name}", $step), shown(page).await));
            }
        };
    }
    record!("join");

    // A quiz question.
    let mut host = Client::host(&server, &pin).await;
    host_do(&mut host, json!({"type": "start"})).await;
    an.wait_for("#question-text").await;
    screen.wait_for("#question-text").await;
    record!("quiz question");

    // Its result.
    host_do(&mut host, json!({"type": "reveal"})).await;
    an.wait_for("#result-title").await;
    record!("quiz result");

    // A vote: the official member votes, the probationary one follows.
    host_do(
        &mut host,
        json!({"type": "motion_create", "text": "Thông qua Nghị quyết tháng 11"}),
    )
    .await;
    host_do(&mut host, json!({"type": "motion_open", "motion": 1})).await;
    an.click("#vote-options .vote-option[data-index='0']:not(:disabled)")
        .await;
    an.wait_for_text("#vote-choice", "Tán thành").await;
    dung.wait_for("#vote-ineligible").await;
    console.click("#tab-votes").await;
    record!("vote open");

    // The result and its rule explanation, worded by each page.
    host_do(&mut host, json!({"type": "motion_close", "motion": 1})).await;
    screen.wait_for_text("#sm-explain", "Cần ít nhất 2/2").await;
    an.wait_for_text("#decision", "THÔNG QUA").await;
    record!("vote result");

    // The shipped agenda and the sample evaluation form, on the projector
    // and the console: worded as the meeting speaks.
    host_do(
        &mut host,
        json!({"type": "agenda_set", "template": "regular"}),
    )
    .await;
    host_do(&mut host, json!({"type": "screen", "screen": "agenda"})).await;
    screen.wait_for("#sa-items li").await;
    console.click("#tab-agenda").await;
    console.wait_for("#ag-items li").await;
    record!("agenda");
    host_do(&mut host, json!({"type": "screen", "screen": "evaluation"})).await;
    screen.wait_for("#se-rows tr").await;
    record!("evaluation");

    // Attendance: the projector's table, the host's roster tab.
    host_do(&mut host, json!({"type": "screen", "screen": "attendance"})).await;
    screen
        .wait_for("#att-rows tr[data-status='probationary']")
        .await;
    console.click("#tab-roster").await;
    console.wait_for("#set-wording").await;
    record!("attendance");
    screen
        .screenshot(&artifact_path(&format!("wording-{wording}-projector.png")))
        .await;

    // The host changes the form of address while the meeting runs: every
    // page follows at once.
    let other = if wording == "party" {
        "neutral"
    } else {
        "party"
    };
    select(&console, "#set-wording", other).await;
    let expect = if other == "party" {
        "tổng số đảng viên chính thức"
    } else {
        "tổng số thành viên chính thức"
    };
    an.wait_for_text("#decision-explain", expect).await;
    texts.push((
        format!("after switching to {other} — member"),
        shown(&an).await,
    ));
    texts
}

#[tokio::test]
async fn a_neutral_meeting_shows_no_party_word_on_any_page() {
    let texts = run_meeting("neutral").await;
    let (last, before) = texts.split_last().unwrap();
    for (what, text) in before {
        let found = party_words_in(text);
        assert!(
            found.is_empty(),
            "{what} shows {found:?} in a neutral meeting:\n{text}"
        );
    }
    // The rule explanation in neutral words, on every page that shows it.
    let result = |page: &str| {
        &before
            .iter()
            .find(|(w, _)| w == &format!("vote result — {page}"))
            .unwrap()
            .1
    };
    for page in ["projector", "member"] {
        assert!(
            result(page).contains("trên một nửa tổng số thành viên chính thức được triệu tập"),
            "{page}: {}",
            result(page)
        );
    }
    // Switched to Party wording, the same explanation speaks as a cell.
    assert!(
        last.1.contains("tổng số đảng viên chính thức"),
        "{}",
        last.1
    );
}

#[tokio::test]
async fn a_party_meeting_speaks_as_a_cell_on_every_page() {
    let texts = run_meeting("party").await;
    let (last, before) = texts.split_last().unwrap();
    let page = |what: &str| {
        &before
            .iter()
            .find(|(w, _)| w == what)
            .unwrap_or_else(|| panic!("{what}"))
            .1
    };
    // The probationary member is told why in the Party's words; the rule
    // explanation counts Party members; the console's roster is of members.
    assert!(
        page("vote open — probationary member").contains("đảng viên dự bị"),
        "{}",
        page("vote open — probationary member")
    );
    for p in ["projector", "member"] {
        let t = page(&format!("vote result — {p}"));
        assert!(
            t.contains("trên một nửa tổng số đảng viên chính thức được triệu tập"),
            "{p}: {t}"
        );
    }
    assert!(
        page("agenda — projector").contains("bí thư chi bộ"),
        "{}",
        page("agenda — projector")
    );
    assert!(
        page("evaluation — projector").contains("nghị quyết của chi bộ"),
        "{}",
        page("evaluation — projector")
    );
    assert!(
        page("attendance — host").contains("danh sách đảng viên"),
        "{}",
        page("attendance — host")
    );
    // Switched to neutral wording, no Party word is left.
    let found = party_words_in(&last.1);
    assert!(found.is_empty(), "{found:?} after switching:\n{}", last.1);
}

/// `POST /api/meetings` with a body; returns (status, JSON body).
async fn post_meeting(server: &TestServer, body: Value) -> (u16, Value) {
    let r = server
        .http
        .post(server.url("/api/meetings"))
        .bearer_auth(SECRET)
        .json(&body)
        .send()
        .await
        .expect("POST /api/meetings");
    let status = r.status().as_u16();
    (status, r.json().await.expect("json"))
}

async fn meeting_count(server: &TestServer) -> usize {
    let r: Value = server
        .http
        .get(server.url("/api/meetings"))
        .bearer_auth(SECRET)
        .send()
        .await
        .expect("GET /api/meetings")
        .json()
        .await
        .expect("json");
    r.as_array().expect("a list").len()
}

/// The setting's contract: a default from the bank, chosen on creation,
/// changed by the host while the meeting runs, kept across a restart; an
/// unknown value is refused with the accepted ones and changes nothing.
#[tokio::test]
async fn the_wording_is_chosen_changed_kept_and_checked() {
    let server = TestServer::start().await;
    // Left out: Party wording for a Party bank, neutral for any other.
    let (status, body) = post_meeting(&server, json!({"title": "", "bank": "chi-bo"})).await;
    assert_eq!((status, &body["wording"]), (201, &json!("party")), "{body}");
    let (status, body) =
        post_meeting(&server, json!({"title": "Họp lớp", "bank": "alltypes"})).await;
    assert_eq!(
        (status, &body["wording"]),
        (201, &json!("neutral")),
        "{body}"
    );
    let pin = body["pin"].as_str().unwrap().to_string();

    // An unknown value when creating: a clear error, no meeting made.
    let (status, body) = post_meeting(
        &server,
        json!({"title": "Họp", "bank": "alltypes", "wording": "formal"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_setting", "{body}");
    assert_eq!(body["params"]["problem"], "wording");
    assert_eq!(body["params"]["value"], "formal");
    assert_eq!(body["params"]["accepted"], json!(["party", "neutral"]));
    assert_eq!(meeting_count(&server).await, 2, "nothing was created");

    // An unknown value from the host: refused, the wording stays.
    let mut host = Client::host(&server, &pin).await;
    let mut screen = Client::screen(&server, &pin).await;
    let e = host
        .refused(
            json!({"type": "wording", "wording": "đồng chí"}),
            "invalid_setting",
        )
        .await;
    assert_eq!(e["params"]["accepted"], json!(["party", "neutral"]), "{e}");
    assert_eq!(e["params"]["value"], "đồng chí");
    // Members cannot change it.
    let mut member = Client::member(&server, &pin, "Lan").await;
    member
        .refused(json!({"type": "wording", "wording": "party"}), "forbidden")
        .await;

    // The host switches to Party wording while the meeting runs: every
    // page gets it at once.
    host.command(json!({"type": "wording", "wording": "party"}))
        .await
        .expect("wording set");
    screen
        .wait("party wording", |v| {
            v["type"] == "state" && v["wording"] == "party"
        })
        .await;
    member
        .wait("party wording", |v| {
            v["type"] == "state" && v["wording"] == "party"
        })
        .await;
    // And it is kept across a restart.
    drop((host, screen, member));
    let server = server.restart().await;
    let host = Client::host(&server, &pin).await;
    let st = host
        .log
        .iter()
        .rev()
        .find(|v| v["type"] == "state")
        .unwrap();
    assert_eq!(st["wording"], "party", "{st}");
}

/// Bad input (issue 14): a roster status the server does not know is
/// refused with the accepted statuses as codes; the page words them in the
/// meeting's wording (no "chi bộ" in a neutral meeting) and language.
/// Nothing is added.
#[tokio::test]
async fn an_unknown_roster_status_lists_the_accepted_words() {
    let server = TestServer::start().await;
    let browser = Browser::launch().await;
    for wording in ["neutral", "party"] {
        let pin = server
            .create_meeting_worded("alltypes", "Họp tháng 11", wording)
            .await;
        let mut host = Client::host(&server, &pin).await;
        let e = host
            .refused(
                json!({"type": "roster_add", "name": "Nguyễn Văn An", "code": "DV01", "status": "cán bộ"}),
                "invalid_roster",
            )
            .await;
        let p = &e["params"];
        assert_eq!(p["problem"], "unknown_status", "{e}");
        assert_eq!(p["value"], "cán bộ");
        assert_eq!(
            p["accepted"],
            json!([
                "official",
                "probationary",
                "exempt",
                "suspended",
                "attached",
                "visiting"
            ]),
            "{e}"
        );
        assert!(
            p.get("accepted_vi").is_none(),
            "no words built by the server: {e}"
        );
        assert!(server.roster(&pin).await.is_empty(), "nothing was added");

        // The projector page's catalogue words the refusal.
        let page = browser.open(&server.url(&format!("/screen/{pin}"))).await;
        let js = format!(
            "const m = await import('/assets/i18n.js'); \
             for (let i = 0; i < 400 && m.getWording() !== {wording:?}; i++) \
               await new Promise((r) => setTimeout(r, 25)); \
             const err = {e}; \
             m.setLang('vi'); const vi = m.errorText(err); \
             m.setLang('en'); const en = m.errorText(err); m.setLang('vi'); \
             return [m.getWording(), vi, en];"
        );
        let v = page.eval(&js).await;
        assert_eq!(v[0], wording, "{v}");
        let (vi, en) = (v[1].as_str().unwrap(), v[2].as_str().unwrap());
        for word in ["cán bộ", "chính thức", "dự bị", "miễn sinh hoạt"] {
            assert!(vi.contains(word), "{word} in {vi}");
        }
        assert!(
            en.contains("official") && en.contains("attending here temporarily"),
            "{en}"
        );
        if wording == "neutral" {
            let found = party_words_in(&vi.to_lowercase());
            assert!(found.is_empty(), "{found:?} in {vi}");
            assert!(vi.contains("tham dự tạm thời tại đơn vị"), "{vi}");
        } else {
            assert!(vi.contains("sinh hoạt tạm thời tại chi bộ"), "{vi}");
        }
    }
}

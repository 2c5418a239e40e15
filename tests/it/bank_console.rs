//! The console's "Ngân hàng câu hỏi" tab in a real browser: an Excel bank
//! uploaded, edited and saved, a meeting of 5 random questions from it
//! played to the reveal; a file with problems shown by sheet, row and
//! column; accessibility at phone and laptop sizes.

use serde_json::Value;

use crate::browser::{Browser, Page, artifact_path};
use crate::live_room::{assert_accessible, axe_source};
use crate::support::{SECRET, TestServer};

const PHONE: (u32, u32) = (390, 844);
const LAPTOP: (u32, u32) = (1366, 768);

/// A workbook laid out as Handsup's Excel template: its headers on row 1 of
/// a sheet «Câu hỏi», then `rows` (cells in the headers' order).
fn template_workbook(rows: &[Vec<&str>]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Câu hỏi").unwrap();
    for (c, h) in handsup::bank_import::excel::HEADERS.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32 + 1, c as u16, *v).unwrap();
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

/// Eight single-choice questions, the first option always right.
fn eight_questions() -> Vec<u8> {
    let texts: Vec<String> = (1..=8)
        .map(|i| format!("Câu hỏi ôn tập số {i}: chọn phương án đúng"))
        .collect();
    let rows: Vec<Vec<&str>> = texts
        .iter()
        .map(|t| {
            vec![
                t.as_str(),
                "một đáp án",
                "Phương án đúng",
                "Phương án sai",
                "Phương án cũng sai",
                "",
                "",
                "",
                "1",
                "30",
                "Điều lệ Đảng, Điều 24.",
                "Điều lệ Đảng (2011), Điều 24",
            ]
        })
        .collect();
    template_workbook(&rows)
}

/// Puts a file of `bytes` in the file input `css`, as the file picker does.
async fn choose_bytes(page: &Page, css: &str, name: &str, bytes: &[u8]) {
    page.wait_for(css).await;
    let array = serde_json::to_string(bytes).unwrap();
    page.eval(&format!(
        "const dt = new DataTransfer(); \
         dt.items.add(new File([new Uint8Array({array})], {name:?})); \
         document.querySelector({css:?}).files = dt.files; return true;"
    ))
    .await;
}

async fn open_banks_tab(browser: &Browser, server: &TestServer, size: (u32, u32)) -> Page {
    let host = browser
        .open_sized(
            &server.url(&format!("/host#secret={SECRET}")),
            size.0,
            size.1,
        )
        .await;
    host.click("#stab-banks").await;
    host.wait_for("#bk-list li.bank-item").await;
    host
}

#[tokio::test]
async fn an_excel_bank_is_uploaded_edited_and_five_random_questions_are_played() {
    let axe = axe_source();
    let server = TestServer::start().await;
    let browser = Browser::launch().await;
    let host = open_banks_tab(&browser, &server, LAPTOP).await;
    host.wait_for_text("#bk-list", "Có sẵn").await;

    // The organiser's workbook goes up; the console says what came in.
    choose_bytes(&host, "#bk-file", "Ôn tập chi bộ.xlsx", &eight_questions()).await;
    host.click("#bk-send:not(:disabled)").await;
    host.wait_for_text("#bk-result", "Đã tải lên «Ôn tập chi bộ»: 8 câu hỏi")
        .await;
    let item = "#bk-list li[data-id='on-tap-chi-bo']";
    host.wait_for_text(item, "Đã tải lên").await;
    host.wait_for_text(item, "8 câu hỏi").await;

    // Opened in the editor: the second question is reworded, with the
    // preview following as it is typed.
    host.click("#bk-open-uploaded").await;
    host.wait_for_text("#ed-heading", "Ôn tập chi bộ").await;
    host.wait_for_text("#ed-state", "Không có lỗi").await;
    host.click("#ed-qlist li[data-index='1'] .eq-open").await;
    host.wait_for_text("#ed-q-title", "Câu 2").await;
    host.fill("#eq-text", "Chi bộ họp thường lệ mấy lần mỗi tháng?")
        .await;
    host.wait_for_text("#pv-phone .question-text", "Chi bộ họp thường lệ mấy lần")
        .await;
    host.wait_for_text(
        "#pv-screen .s-question-text",
        "Chi bộ họp thường lệ mấy lần",
    )
    .await;
    host.wait_for_text("#pv-phone .option.opt-0", "Phương án đúng")
        .await;
    host.wait_for_text("#pv-screen .tile.opt-0", "Phương án đúng")
        .await;
    host.wait_for_text("#ed-state", "Có thay đổi chưa lưu")
        .await;

    // An emptied option is flagged at the field as it is typed, in Vietnamese.
    host.fill("#eq-opt-2", "").await;
    host.wait_for_text("#eq-options-err", "Phương án trống")
        .await;
    host.wait_for_text("#ed-qlist li[data-index='1']", "1 lỗi")
        .await;
    host.wait_for_text("#ed-state", "1 lỗi cần sửa").await;
    host.fill("#eq-opt-2", "Hai lần").await;
    host.wait_for_text("#ed-state", "Không có lỗi").await;
    assert_eq!(host.text("#eq-options-err").await, "");
    assert_accessible(&host, &axe, "bank editor, laptop").await;
    host.screenshot(&artifact_path("banks-1-editor.png")).await;

    // The connection drops as it is saved: the edit stays, and the page
    // says what to do.
    host.eval(
        "window.realFetch = window.fetch; \
         window.fetch = (u, o) => o && o.method === 'PUT' \
           ? Promise.reject(new TypeError('Failed to fetch')) : window.realFetch(u, o); \
         return true;",
    )
    .await;
    host.click("#ed-save:not(:disabled)").await;
    host.wait_for_text("#ed-error", "Các thay đổi vẫn còn trên trang này")
        .await;
    host.wait_for_text("#ed-state", "Có thay đổi chưa lưu")
        .await;
    assert_eq!(
        host.eval("return document.querySelector('#eq-text').value;")
            .await,
        "Chi bộ họp thường lệ mấy lần mỗi tháng?"
    );
    host.eval("window.fetch = window.realFetch; return true;")
        .await;
    host.click("#ed-save:not(:disabled)").await;
    host.wait_for_text("#ed-state", "Đã lưu «on-tap-chi-bo»")
        .await;
    assert_eq!(host.text("#ed-error").await, "");
    let text = server
        .http
        .get(server.url("/api/banks/on-tap-chi-bo.bank.md"))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("## Chi bộ họp thường lệ mấy lần mỗi tháng?\n")
            && text.contains("- [ ] Hai lần\n"),
        "{text}"
    );

    // A bank shipped with the server is read-only: saved as a copy.
    host.click("#ed-back").await;
    host.click("#bk-list li[data-id='alltypes'] .bi-open").await;
    host.wait_for_text("#ed-readonly", "không sửa trực tiếp")
        .await;
    assert_eq!(
        host.eval("return document.querySelector('#ed-save').hidden;")
            .await,
        true
    );
    host.fill("#eq-text", "Câu hỏi của bản sao").await;
    host.click("#ed-copy").await;
    assert_eq!(
        host.eval("return document.querySelector('#ed-copy-id').value;")
            .await,
        "alltypes-ban-sao"
    );
    host.click("#ed-copy-save").await;
    host.wait_for_text("#ed-state", "Đã lưu «alltypes-ban-sao»")
        .await;
    host.click("#ed-back").await;
    host.wait_for_text("#bk-list li[data-id='alltypes-ban-sao']", "Đã tải lên")
        .await;

    // A meeting of 5 questions at random out of the 8.
    host.click("#stab-meetings").await;
    crate::pages::select(&host, "#bank-select", "on-tap-chi-bo").await;
    host.wait_for_text("#qpick-summary", "tất cả 8 câu").await;
    host.click("#qpick summary").await;
    // Hand-picked: a checkbox list of the bank's questions.
    host.click("#qpick-pick").await;
    host.wait_for_text("#qpick-list", "Chi bộ họp thường lệ mấy lần")
        .await;
    host.click("label[for='qpick-q-1']").await;
    host.click("label[for='qpick-q-4']").await;
    host.wait_for_text("#qpick-summary", "2 câu được chọn trong 8")
        .await;
    host.click("#qpick-random").await;
    host.fill("#qpick-n", "5").await;
    host.wait_for_text("#qpick-summary", "5 câu ngẫu nhiên trong 8")
        .await;
    assert_accessible(&host, &axe, "create form with the choice of questions").await;
    host.screenshot(&artifact_path("banks-5-create-form.png"))
        .await;
    host.fill("#title-input", "Ôn tập tháng 12").await;
    host.click("#create:not(:disabled)").await;
    host.wait_for("#view-console #meeting-pin").await;
    let pin: String = host
        .text("#meeting-pin")
        .await
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    assert_eq!(pin.len(), 6);

    // A member plays the first question on a phone, to the reveal.
    let phone_browser = Browser::launch().await;
    let member = phone_browser
        .open_sized(&server.url(&format!("/j/{pin}")), PHONE.0, PHONE.1)
        .await;
    member.fill("#name", "Nguyễn Thị Lan").await;
    member.click("#join:not(:disabled)").await;
    member.wait_for("#lobby-hello").await;
    host.wait_for_text("#members", "Nguyễn Thị Lan").await;
    host.click("#btn-start:not(:disabled)").await;
    host.wait_for_text("#hq-counter", "Câu 1/5").await;
    member.wait_for_text("#q-counter", "Câu 1/5").await;
    let asked = member.text("#question-text").await;
    assert!(
        asked.starts_with("Câu hỏi ôn tập số") || asked.starts_with("Chi bộ họp"),
        "{asked}"
    );
    member
        .click("#options .option[data-index='0']:not(:disabled)")
        .await;
    member
        .wait_for_text("#received", "Đã nhận câu trả lời")
        .await;
    // Everyone present has answered: the answer is revealed at once.
    host.wait_for_text("#phase", "Công bố đáp án").await;
    member.wait_for_text("#result-title", "Đúng rồi!").await;
    host.wait_for_text("#stat-answered", "1").await;
    drop(member);
    drop(phone_browser);
    drop(host);
    drop(server);
}

#[tokio::test]
async fn a_bank_file_with_problems_is_shown_by_sheet_row_and_column() {
    let axe = axe_source();
    let server = TestServer::start().await;
    let browser = Browser::launch().await;
    let host = open_banks_tab(&browser, &server, PHONE).await;
    assert_accessible(&host, &axe, "bank list, phone").await;

    let broken = template_workbook(&[
        vec![
            "Câu đúng",
            "",
            "a",
            "b",
            "",
            "",
            "",
            "",
            "2",
            "20",
            "vì",
            "",
        ],
        vec![
            "Câu không đáp án",
            "một đáp án",
            "a",
            "b",
            "",
            "",
            "",
            "",
            "",
            "",
            "vì",
            "",
        ],
        vec![
            "Đáp án ngoài phương án",
            "một đáp án",
            "a",
            "b",
            "c",
            "",
            "",
            "",
            "5",
            "",
            "vì",
            "",
        ],
    ]);
    choose_bytes(&host, "#bk-file", "hong.xlsx", &broken).await;
    host.click("#bk-send:not(:disabled)").await;
    host.wait_for_text("#bk-upload-error", "Tệp có 2 lỗi; chưa lưu gì")
        .await;
    let head = host.text("#bk-problems thead").await;
    assert!(
        head.contains("Trang tính") && head.contains("Dòng") && head.contains("Cột"),
        "{head}"
    );
    let rows: Vec<Vec<String>> = serde_json::from_value(
        host.eval(
            "return [...document.querySelectorAll('#bk-problems tbody tr')]\
             .map(tr => [...tr.cells].map(td => td.textContent));",
        )
        .await,
    )
    .unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0][0], "Câu hỏi");
    assert_eq!(rows[0][1], "3");
    assert_eq!(rows[0][2], "Đáp án đúng");
    assert!(rows[0][3].starts_with("Chưa có đáp án đúng"), "{rows:?}");
    assert_eq!(rows[1][1], "4");
    assert_eq!(rows[1][2], "Đáp án đúng");
    assert!(rows[1][3].contains("không tồn tại"), "{rows:?}");
    assert_accessible(&host, &axe, "bank upload problems, phone").await;
    host.screenshot(&artifact_path("banks-2-problems-phone.png"))
        .await;

    // Nothing was stored.
    let banks: Vec<Value> = server
        .http
        .get(server.url("/api/banks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(banks.iter().all(|b| b["id"] != "hong"), "{banks:?}");
    assert!(
        host.eval("return !document.querySelector(\"#bk-list li[data-id='hong']\");")
            .await
            == Value::Bool(true)
    );

    // In English, the same problems in English.
    host.click("#lang-toggle").await;
    host.wait_for_text("#bk-problems tbody tr", "No correct answer")
        .await;
    host.wait_for_text("#bk-problems thead", "Sheet").await;

    // The editor on a phone: a new bank, checked and accessible.
    host.click("#lang-toggle").await;
    host.click("#bk-new").await;
    host.wait_for_text("#ed-heading", "Ngân hàng mới").await;
    host.fill("#ed-title", "Thử nghiệm").await;
    assert_eq!(
        host.eval("return document.querySelector('#ed-id').value;")
            .await,
        "thu-nghiem"
    );
    host.fill("#eq-text", "Đảng viên dự bị có quyền biểu quyết không?")
        .await;
    host.fill("#eq-opt-0", "Không").await;
    host.fill("#eq-opt-1", "Có").await;
    host.wait_for_text("#pv-phone .option.opt-1", "Có").await;
    host.screenshot(&artifact_path("banks-3-editor-phone.png"))
        .await;
    host.eval("document.querySelector('#ed-pv-title').scrollIntoView(); return true;")
        .await;
    host.screenshot(&artifact_path("banks-4-preview-phone.png"))
        .await;
    // Two options left empty: said at the field.
    host.wait_for_text("#eq-options-err", "Phương án trống")
        .await;
    host.wait_for_text("#ed-state", "lỗi cần sửa").await;
    assert_accessible(&host, &axe, "bank editor, phone").await;
    let overflow = host
        .eval("return document.documentElement.scrollWidth - innerWidth;")
        .await;
    assert!(
        overflow.as_f64().unwrap() <= 0.0,
        "wider than the phone: {overflow}"
    );

    // Nothing typed is lost: another window of this browser offers the draft.
    let other = browser
        .open_sized(&server.url("/host"), PHONE.0, PHONE.1)
        .await;
    other
        .wait_for_text("#bk-draft", "bản nháp chưa lưu của «Thử nghiệm»")
        .await;
    other.click("#bk-draft-open").await;
    other
        .wait_for_text("#ed-qlist", "Đảng viên dự bị có quyền biểu quyết không?")
        .await;
    other
        .wait_for_text("#ed-state", "Có thay đổi chưa lưu")
        .await;
    drop(other);

    // Questions are added, moved, duplicated, retyped and deleted.
    host.click("#ed-add").await;
    host.wait_for_text("#ed-q-title", "Câu 2").await;
    host.fill("#eq-text", "Câu thứ hai").await;
    host.wait_for_text("#ed-qlist li[data-index='1']", "Câu thứ hai")
        .await;
    host.click("#ed-qlist li[data-index='1'] .eq-up").await;
    host.wait_for_text("#ed-qlist li[data-index='0']", "Câu thứ hai")
        .await;
    // The keyboard stays on the moved question.
    assert_eq!(
        host.eval("return document.activeElement.closest('li').dataset.index;")
            .await,
        "0"
    );
    host.click("#ed-qlist li[data-index='0'] .eq-dup").await;
    host.wait_for_text("#ed-qs-title", "Câu hỏi (3)").await;
    host.wait_for_text("#ed-qlist li[data-index='1']", "Câu thứ hai")
        .await;
    crate::pages::select(&host, "#eq-type", "truefalse").await;
    host.wait_for_text("#pv-phone .options.tf", "Đúng").await;
    host.wait_for_text("#pv-screen .tiles.tf", "Sai").await;
    host.click("#ed-qlist li[data-index='1'] .eq-del").await;
    host.wait_for_text("#confirm-text", "Xóa câu 2").await;
    host.click("#confirm-ok").await;
    host.wait_for_text("#ed-qs-title", "Câu hỏi (2)").await;
    let order: Vec<String> = serde_json::from_value(
        host.eval(
            "return [...document.querySelectorAll('#ed-qlist .eq-text')].map(e => e.textContent);",
        )
        .await,
    )
    .unwrap();
    assert_eq!(
        order,
        ["Câu thứ hai", "Đảng viên dự bị có quyền biểu quyết không?"]
    );

    // A typed question with its accepted answers and exact diacritics.
    host.click("#ed-qlist li[data-index='0'] .eq-open").await;
    crate::pages::select(&host, "#eq-type", "typed").await;
    host.wait_for("#ed-qlist li[data-index='0'][data-bad='true']")
        .await;
    host.wait_for_text("#eq-answers-err", "thiếu đáp án").await;
    host.fill("#eq-answers", "hai\nhai lần").await;
    host.click("label[for='eq-diacritics']").await;
    host.wait_for("#ed-qlist li[data-index='0'][data-bad='false']")
        .await;
    host.wait_for_text(
        "#pv-screen .typed-prompt",
        "Nhập câu trả lời trên điện thoại",
    )
    .await;
}

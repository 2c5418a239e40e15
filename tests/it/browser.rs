//! Headless-Chromium harness for browser tests: an integration test does
//! `mod browser;`, starts the server on `127.0.0.1:0`, and drives real pages.
//!
//! # Why WebDriver (`fantoccini` + Debian's `chromedriver`)
//!
//! * Reliable: `chromium-driver` is built from the same source as `chromium`,
//!   so driver and browser always match. A CDP client (`chromiumoxide`) ships a
//!   protocol generated for one Chromium release and drifts from whatever
//!   Debian installs next.
//! * Cheap to build: `fantoccini` is a thin hyper client over W3C WebDriver
//!   and adds about 25 s to a cold build on 2 cores; `chromiumoxide` compiles
//!   a huge generated CDP crate and adds about 90 s.
//! * Honest input: WebDriver clicks and typing are real input events, with
//!   the spec's checks that the element is displayed and not covered.
//!
//! # Isolation
//!
//! All [`Page`]s of one [`Browser`] share one profile (localStorage, cookies),
//! as tabs of one person's browser would. For separate people, launch a second
//! [`Browser`]: each gets its own chromedriver, Chromium and empty profile.
//! That costs about 1 s to launch plus about 1 s for its first page.
//!
//! # Cleanup
//!
//! chromedriver runs in its own process group, and Chromium inherits it.
//! Dropping the last handle (the [`Browser`] and every [`Page`]) kills that
//! whole group, so nothing leaks when a test panics: unwinding runs the drop.
//! A small watchdog shell in the group also kills it when the test process
//! dies without unwinding (Ctrl-C, SIGKILL, a CI timeout).

// Each test binary includes this module and uses only part of it.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::error::CmdError;
use fantoccini::wd::{Capabilities, WindowHandle};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::{Mutex, MutexGuard};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Flags this machine needs: no sandbox as root, and nothing that dials out,
/// because the closed network refuses those connections. The last three keep
/// pages that are not in front (a second window) running timers and sockets
/// at full speed, so multi-page tests do not stall.
/// Not `--disable-crashpad-for-testing`: Chromium 156 then hangs on the first
/// window resize. Its two crash-reporter daemons leave our process group but
/// exit by themselves within a second of the browser.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    "--disable-renderer-backgrounding",
];

/// Viewport of [`Browser::open`]: a laptop screen.
const DEFAULT_SIZE: (u32, u32) = (1280, 800);

/// How long a `wait_*`, `click`, `fill` or `text` may take by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Between two checks of a condition: short enough not to slow tests,
/// long enough not to busy-loop the browser on 2 cores.
const POLL: Duration = Duration::from_millis(50);

/// chromedriver and Chromium start in about a second; this covers a cold
/// page cache on a busy machine.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// One headless Chromium with its own empty profile.
#[derive(Clone)]
pub struct Browser {
    inner: Arc<Inner>,
}

/// A window of a [`Browser`], with its own viewport size.
pub struct Page {
    inner: Arc<Inner>,
    handle: WindowHandle,
    timeout: Duration,
}

struct Inner {
    client: Client,
    /// WebDriver sends commands to one "current" window per session, so every
    /// page command holds this lock while it switches to its window and runs.
    focus: Mutex<Focus>,
    /// Declared after `client` so it is dropped (and kills the processes)
    /// after the client is gone.
    _driver: Driver,
}

struct Focus {
    current: WindowHandle,
    /// The session starts with one blank window; the first page reuses it.
    initial_unused: bool,
}

/// The chromedriver process group and its scratch directory.
struct Driver {
    /// The watchdog shell; its pid is the group id.
    watchdog: Child,
    dir: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let pgid = self.watchdog.id() as libc::pid_t;
        // SAFETY: plain syscall on a group we created with `process_group(0)`;
        // it holds only the watchdog, chromedriver and Chromium.
        unsafe {
            libc::killpg(pgid, libc::SIGKILL);
        }
        let _ = self.watchdog.wait();
    }
}

impl Driver {
    fn log_tail(&self) -> String {
        let log =
            std::fs::read_to_string(self.dir.path().join("chromedriver.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Browser {
    /// Starts chromedriver on a free port and a fresh headless Chromium.
    pub async fn launch() -> Browser {
        for bin in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(bin).exists(),
                "{bin} is missing: run scripts/install-test-deps to install chromium and chromium-driver"
            );
        }
        // The free port can be taken between our check and chromedriver's
        // bind; a couple of retries make that race harmless.
        let mut failures = String::new();
        for _ in 0..3 {
            match start_driver().await {
                Ok((driver, url)) => return Browser::connect(driver, &url).await,
                Err(why) => {
                    let _ = writeln!(failures, "{why}");
                }
            }
        }
        panic!("chromedriver did not start:\n{failures}");
    }

    async fn connect(driver: Driver, url: &str) -> Browser {
        let profile = driver.dir.path().join("profile");
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let caps: Capabilities = match json!({
            "browserName": "chrome",
            // A hung page fails the command in 30 s instead of WebDriver's
            // default 300 s.
            "timeouts": { "pageLoad": 30_000, "script": 30_000 },
            "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
        }) {
            Value::Object(map) => map,
            _ => unreachable!(),
        };
        let client = match ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(url)
            .await
        {
            Ok(client) => client,
            Err(e) => panic!(
                "chromedriver could not start Chromium: {e}\n--- chromedriver log ---\n{}",
                driver.log_tail()
            ),
        };
        let current = client
            .window()
            .await
            .expect("WebDriver session has no window");
        Browser {
            inner: Arc::new(Inner {
                client,
                focus: Mutex::new(Focus {
                    current,
                    initial_unused: true,
                }),
                _driver: driver,
            }),
        }
    }

    /// Opens `url` in a new 1280×800 window.
    pub async fn open(&self, url: &str) -> Page {
        self.open_sized(url, DEFAULT_SIZE.0, DEFAULT_SIZE.1).await
    }

    /// Opens `url` in a new window whose viewport (`innerWidth` ×
    /// `innerHeight`) is `width` × `height` CSS pixels, e.g. 390×844 for a phone.
    pub async fn open_sized(&self, url: &str, width: u32, height: u32) -> Page {
        let client = &self.inner.client;
        let mut focus = self.inner.focus.lock().await;
        let handle = if focus.initial_unused {
            focus.initial_unused = false;
            focus.current.clone()
        } else {
            // A window rather than a tab: each needs its own size.
            let made = client
                .new_window(false)
                .await
                .unwrap_or_else(|e| panic!("could not open a window: {e}"));
            made.handle
        };
        client
            .switch_to_window(handle.clone())
            .await
            .unwrap_or_else(|e| panic!("could not switch to the new window: {e}"));
        focus.current = handle.clone();
        set_viewport(client, width, height).await;
        client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("could not open {url}: {e}"));
        drop(focus);
        Page {
            inner: Arc::clone(&self.inner),
            handle,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// WebDriver sizes the outer window; this corrects by whatever the browser
/// adds around the viewport, so pages see exactly the size asked for.
async fn set_viewport(client: &Client, width: u32, height: u32) {
    let mut want = (width, height);
    for _ in 0..2 {
        client
            .set_window_size(want.0, want.1)
            .await
            .unwrap_or_else(|e| panic!("could not resize window to {width}x{height}: {e}"));
        let inner = client
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .expect("could not read the viewport size");
        let got = (
            inner[0].as_u64().unwrap_or(0) as i64,
            inner[1].as_u64().unwrap_or(0) as i64,
        );
        if got == (i64::from(width), i64::from(height)) {
            return;
        }
        want = (
            (i64::from(want.0) + i64::from(width) - got.0).max(1) as u32,
            (i64::from(want.1) + i64::from(height) - got.1).max(1) as u32,
        );
    }
}

/// Runs chromedriver (`$0 "$@"`) in the background and kills the whole
/// process group when chromedriver exits or our end of stdin closes. Drop
/// covers normal ends and panics; the closed pipe also covers a test process
/// killed by Ctrl-C or SIGKILL, which runs no destructors. `kill 0` signals
/// the caller's own group, which `process_group(0)` made ours alone.
const WATCHDOG: &str = r#"("$0" "$@"; kill -s KILL 0) & read -r _; kill -s KILL 0"#;

/// Spawns chromedriver and returns once its `/status` says it is ready.
async fn start_driver() -> Result<(Driver, String), String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    let dir = tempfile::Builder::new()
        .prefix("handsup-chromium-")
        .tempdir()
        .map_err(|e| format!("no temporary directory: {e}"))?;
    let log = dir.path().join("chromedriver.log");
    let watchdog = Command::new("/bin/sh")
        .args(["-c", WATCHDOG, CHROMEDRIVER])
        .arg(format!("--port={port}"))
        .arg(format!("--log-path={}", log.display()))
        // Only we hold the write end; it closes however this process ends.
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Own group: Drop and the watchdog kill the whole tree at once.
        .process_group(0)
        .spawn()
        .map_err(|e| format!("could not run {CHROMEDRIVER} under /bin/sh: {e}"))?;
    let mut driver = Driver { watchdog, dir };

    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        if let Ok(Some(_)) = driver.watchdog.try_wait() {
            return Err(format!(
                "chromedriver on port {port} exited early\n{}",
                driver.log_tail()
            ));
        }
        if driver_ready(port).await {
            return Ok((driver, format!("http://127.0.0.1:{port}")));
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "chromedriver on port {port} not ready after {STARTUP_TIMEOUT:?}\n{}",
                driver.log_tail()
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// One `GET /status` by hand: an HTTP client crate for a single request at
/// startup would cost more than these lines.
async fn driver_ready(port: u16) -> bool {
    let body = tokio::time::timeout(Duration::from_secs(2), get_status(port)).await;
    let Ok(Some(body)) = body else {
        return false;
    };
    serde_json::from_slice::<Value>(&body).is_ok_and(|v| v["value"]["ready"] == true)
}

/// The body of `GET /status`, read up to its `Content-Length`: chromedriver
/// keeps the connection open whatever `Connection: close` says, so reading to
/// the end would hang.
async fn get_status(port: u16) -> Option<Vec<u8>> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    let request = format!("GET /status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        response.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&response);
        let Some((head, _)) = text.split_once("\r\n\r\n") else {
            continue;
        };
        let body_start = head.len() + 4;
        let length = head.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })?;
        if response.len() >= body_start + length {
            return Some(response[body_start..body_start + length].to_vec());
        }
    }
}

/// Text of the first element matching `arguments[0]` that contains
/// `arguments[1]`; form fields count by their value. Returns `null` when
/// none does yet, and `{invalid}` for a bad selector so it fails at once.
const FIND_TEXT_JS: &str = r#"
const [css, needle] = arguments;
let els;
try { els = document.querySelectorAll(css); } catch (e) { return { invalid: String(e) }; }
for (const el of els) {
  const t = (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement
    || el instanceof HTMLSelectElement) ? el.value : el.innerText;
  if (needle === null || t.includes(needle)) return t;
}
return null;
"#;

impl Page {
    /// Changes how long this page's waits may take (default [`DEFAULT_TIMEOUT`]).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Polls until an element matching `css` contains `needle`, and returns
    /// that element's text (its value for form fields).
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        self.poll_text(css, Some(needle)).await
    }

    /// The text of the first element matching `css` (its value for form
    /// fields), waiting until such an element exists.
    pub async fn text(&self, css: &str) -> String {
        self.poll_text(css, None).await
    }

    async fn poll_text(&self, css: &str, needle: Option<&str>) -> String {
        let deadline = Instant::now() + self.timeout;
        let mut last_error = None;
        loop {
            let result = {
                let _focus = self.focus().await;
                self.inner
                    .client
                    .execute(FIND_TEXT_JS, vec![json!(css), json!(needle)])
                    .await
            };
            match result {
                Ok(Value::String(text)) => return text,
                Ok(Value::Object(o)) if o.contains_key("invalid") => {
                    panic!("invalid CSS selector {css:?}: {}", o["invalid"])
                }
                Ok(_) => {}
                // Mid-navigation (e.g. after reload) scripts can fail; retry.
                Err(e) => last_error = Some(e),
            }
            if Instant::now() >= deadline {
                let what = match needle {
                    Some(n) => format!("an element matching {css:?} to contain {n:?}"),
                    None => format!("an element matching {css:?}"),
                };
                panic!("{}", self.timeout_report(&what, last_error.as_ref()).await);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Polls until an element matching `css` is present and displayed.
    pub async fn wait_for(&self, css: &str) {
        let deadline = Instant::now() + self.timeout;
        self.displayed(css, "to be displayed", deadline).await;
    }

    /// Clicks the first displayed element matching `css` with a real mouse
    /// click, retrying while it is missing, covered or not yet interactable.
    pub async fn click(&self, css: &str) {
        self.act(css, "to be clickable", |el| async move { el.click().await })
            .await;
    }

    /// Replaces the content of the input matching `css` by typing `text`
    /// (any Unicode, e.g. Vietnamese), firing real key and input events.
    pub async fn fill(&self, css: &str, text: &str) {
        self.act(css, "to accept typing", |el| async move {
            el.clear().await?;
            el.send_keys(text).await
        })
        .await;
    }

    /// Runs `action` on the first displayed element matching `css` until it
    /// succeeds or the timeout passes.
    async fn act<F, Fut>(&self, css: &str, goal: &str, action: F)
    where
        F: Fn(fantoccini::elements::Element) -> Fut,
        Fut: Future<Output = Result<(), CmdError>>,
    {
        let deadline = Instant::now() + self.timeout;
        loop {
            let element = self.displayed(css, goal, deadline).await;
            let result = {
                let _focus = self.focus().await;
                action(element).await
            };
            match result {
                Ok(()) => return,
                Err(e) if Instant::now() >= deadline => {
                    panic!(
                        "{}",
                        self.timeout_report(&format!("{css:?} {goal}"), Some(&e))
                            .await
                    )
                }
                Err(_) => tokio::time::sleep(POLL).await,
            }
        }
    }

    /// Polls until some element matching `css` is displayed, and returns it;
    /// panics at `deadline`.
    async fn displayed(
        &self,
        css: &str,
        goal: &str,
        deadline: Instant,
    ) -> fantoccini::elements::Element {
        let mut last_error = None;
        loop {
            let found = {
                let _focus = self.focus().await;
                first_displayed(&self.inner.client, css).await
            };
            match found {
                Ok(Some(element)) => return element,
                Ok(None) => {}
                Err(e) if e.is_invalid_selector() => panic!("invalid CSS selector {css:?}: {e}"),
                Err(e) => last_error = Some(e),
            }
            if Instant::now() >= deadline {
                let what = format!("an element matching {css:?} {goal}");
                panic!("{}", self.timeout_report(&what, last_error.as_ref()).await);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Runs `js` as the body of a function in the page and returns what it
    /// returns: write `return document.title;`, not `document.title`.
    /// A returned promise is awaited.
    pub async fn eval(&self, js: &str) -> Value {
        let _focus = self.focus().await;
        match self.inner.client.execute(js, vec![]).await {
            Ok(value) => value,
            Err(e) => panic!("eval failed: {e}\n--- script ---\n{js}"),
        }
    }

    /// Prints the page to PDF (WebDriver "Print Page": Chromium's own
    /// print-to-PDF) on A4, with the page's own `@page` margins.
    pub async fn print_pdf(&self) -> Vec<u8> {
        use fantoccini::wd::{PrintConfiguration, PrintMargins, PrintSize};
        let config = PrintConfiguration::builder()
            .size(PrintSize::A4)
            .margins(PrintMargins {
                top: 0.0,
                bottom: 0.0,
                left: 0.0,
                right: 0.0,
            })
            .build()
            .expect("a valid print configuration");
        let _focus = self.focus().await;
        self.inner
            .client
            .print(config)
            .await
            .unwrap_or_else(|e| panic!("print failed: {e}"))
    }

    /// Saves a PNG of the viewport, creating parent directories.
    pub async fn screenshot(&self, path: &Path) {
        let png = {
            let _focus = self.focus().await;
            self.inner
                .client
                .screenshot()
                .await
                .unwrap_or_else(|e| panic!("screenshot failed: {e}"))
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        }
        std::fs::write(path, png)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    /// Reloads the page and waits for its load event.
    pub async fn reload(&self) {
        let _focus = self.focus().await;
        self.inner
            .client
            .refresh()
            .await
            .unwrap_or_else(|e| panic!("reload failed: {e}"));
    }

    /// Navigates this window to `url` and waits for its load event.
    pub async fn goto(&self, url: &str) {
        let _focus = self.focus().await;
        self.inner
            .client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("could not open {url}: {e}"));
    }

    /// Makes this page's window the session's current one; hold the guard
    /// for the whole command so another page cannot switch away meanwhile.
    async fn focus(&self) -> MutexGuard<'_, Focus> {
        let mut focus = self.inner.focus.lock().await;
        if focus.current != self.handle {
            self.inner
                .client
                .switch_to_window(self.handle.clone())
                .await
                .unwrap_or_else(|e| panic!("could not switch to page window: {e}"));
            focus.current = self.handle.clone();
        }
        focus
    }

    /// A failed wait's panic message, with what a person would see on the
    /// page, so the failure explains itself.
    async fn timeout_report(&self, what: &str, last_error: Option<&CmdError>) -> String {
        let (url, body) = {
            let _focus = self.focus().await;
            let url = self.inner.client.current_url().await;
            let body = self
                .inner
                .client
                .execute(
                    "return document.body ? document.body.innerText : '';",
                    vec![],
                )
                .await;
            (url, body)
        };
        let url = url.map_or_else(|e| format!("<unknown: {e}>"), |u| u.to_string());
        let body = match body {
            Ok(Value::String(s)) => truncate(&s, 4000),
            Ok(other) => other.to_string(),
            Err(e) => format!("<unreadable: {e}>"),
        };
        let error = last_error.map_or_else(String::new, |e| format!("\nlast error: {e}"));
        format!(
            "timed out after {:?} waiting for {what}{error}\n--- page {url} body text ---\n{body}\n---",
            self.timeout
        )
    }
}

async fn first_displayed(
    client: &Client,
    css: &str,
) -> Result<Option<fantoccini::elements::Element>, CmdError> {
    for element in client.find_all(Locator::Css(css)).await? {
        if element.is_displayed().await? {
            return Ok(Some(element));
        }
    }
    Ok(None)
}

fn truncate(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}… ({} more chars)", &s[..cut], s[cut..].chars().count()),
        None => s.to_string(),
    }
}

/// Where tests should put screenshots: inside the crate's target directory,
/// so they are kept for a look but never committed.
pub fn artifact_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("browser-artifacts")
        .join(name)
}

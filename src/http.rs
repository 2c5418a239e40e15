//! HTTP routes: pages, assets, QR codes and the small JSON API.
//!
//! One error enum (`ApiError`) maps every failure to a response in one
//! place; internal details are logged, never sent.

use std::sync::Arc;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use rust_embed::RustEmbed;
use serde::Deserialize;
use serde_json::json;

use crate::app::{App, CreateError};
use crate::protocol::ErrorCode;

/// Largest roster file accepted.
pub const MAX_UPLOAD: usize = 16 * 1024 * 1024;
/// Largest JSON body (creating a meeting).
pub const MAX_JSON: usize = 64 * 1024;
/// Longest an uploaded file may take to parse; the parsers stop
/// themselves at `tabular::MAX_SECONDS`, this is the backstop.
const PARSE_TIMEOUT: Duration = Duration::from_secs(crate::tabular::MAX_SECONDS + 5);
/// Files parsed at the same time; more wait their turn (the machine is a
/// laptop, and the rooms need the cores).
static PARSERS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// The Content-Security-Policy of every response: nothing from elsewhere,
/// nothing inline, never in a frame. `ws:`/`wss:` because browsers that
/// predate CSP 3 do not count the page's own websocket as `'self'`.
pub const CSP: &str = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self'; \
     style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The web pages, embedded in the binary: nothing comes from the internet.
#[derive(RustEmbed)]
#[folder = "web/"]
struct Web;

pub fn router(app: Arc<App>) -> Router {
    // Host routes check the secret before anything reads the body.
    let host = Router::new()
        .route("/api/meetings", post(create_meeting).get(list_meetings))
        .route(
            "/api/meetings/{pin}/roster",
            post(import_roster).get(get_roster),
        )
        .route("/api/meetings/{pin}/motions", post(import_motions))
        // The meeting's record (src/minutes): exports, details, archive.
        .route("/api/archive", get(crate::minutes::routes::archive))
        .route(
            "/api/meetings/{pin}",
            axum::routing::delete(crate::minutes::routes::delete_meeting),
        )
        .route(
            "/api/meetings/{pin}/minutes",
            axum::routing::put(crate::minutes::routes::set_minutes),
        )
        .route(
            "/api/meetings/{pin}/export.json",
            get(crate::minutes::routes::export_json),
        )
        .route(
            "/api/meetings/{pin}/export.xlsx",
            get(crate::minutes::routes::export_xlsx),
        )
        .route(
            "/api/meetings/{pin}/export/{file}",
            get(crate::minutes::routes::export_csv),
        )
        // Runs after `host_only`: only the host's requests are forwarded.
        .route_layer(middleware::from_fn_with_state(app.clone(), to_owner))
        .route_layer(middleware::from_fn_with_state(app.clone(), host_only));
    Router::new()
        .route("/", get(|| async { page("index.html") }))
        .route("/j/{pin}", get(member_page))
        .route("/screen/{pin}", get(screen_page))
        .route("/host", get(|| async { page("host.html") }))
        .route(
            "/host/meetings/{pin}/sheet",
            get(|| async { page("sheet.html") }),
        )
        .route("/assets/{*path}", get(asset))
        .route("/healthz", get(healthz))
        .route("/qr/{file}", get(qr))
        .route("/api/banks", get(banks).post(crate::bank_import::upload))
        .route(
            "/api/banks/template.xlsx",
            get(crate::bank_import::template),
        )
        .route(
            "/api/banks/check",
            post(crate::bank_import::editor::check_route),
        )
        .route(
            "/api/banks/{id}",
            axum::routing::delete(crate::bank_import::delete)
                .get(crate::bank_import::download)
                .put(crate::bank_import::editor::save),
        )
        .merge(host)
        .route("/ws", get(crate::ws::upgrade))
        // The meeting's record (src/minutes): the print page (its data comes
        // from the host routes above).
        .route(
            "/host/meetings/{pin}/minutes",
            get(|| async { page("minutes.html") }),
        )
        .fallback(|| async { not_found_page(None) })
        .layer(middleware::from_fn_with_state(app.clone(), banks_in_step))
        .layer(middleware::from_fn(security_headers))
        .with_state(app)
}

/// A cluster: the routes that read the uploaded banks see those uploaded,
/// replaced or deleted on other nodes (`App::sync_banks`).
async fn banks_in_step(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    if app.cluster.is_some() {
        let path = req.uri().path();
        if path.starts_with("/api/banks")
            || (path == "/api/meetings" && req.method() == axum::http::Method::POST)
        {
            app.sync_banks().await;
        }
    }
    next.run(req).await
}

/// The one layer that sets the security headers of every response.
async fn security_headers(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let private = path.starts_with("/api/") || path == "/host";
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Member links carry personal keys (`?k=`): never in a Referer.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    if private {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// Refuses host routes without the host secret, before the body is read.
async fn host_only(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    match require_host(&app, req.headers()) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

/// A cluster: a request about a meeting another node owns goes to that
/// node, with the node token; its answer comes back as it is. A request
/// from a node is never forwarded again.
async fn to_owner(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let Some(cluster) = app.cluster.clone() else {
        return next.run(req).await;
    };
    if cluster.from_node(req.headers()) {
        return next.run(req).await;
    }
    let pin = req
        .uri()
        .path()
        .strip_prefix("/api/meetings/")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("")
        .to_string();
    if pin.is_empty() || app.room(&pin).is_some() {
        return next.run(req).await;
    }
    match app.locate(&pin).await {
        Some(crate::cluster::Found::Remote(url)) => forward(&app, &cluster, &url, req)
            .await
            .unwrap_or_else(|e| e.into_response()),
        Some(crate::cluster::Found::Busy) => moving().into_response(),
        _ => next.run(req).await,
    }
}

/// A meeting changing owner (a cluster): try again in a second.
fn moving() -> Response {
    let mut resp = ApiError::Coded {
        status: StatusCode::SERVICE_UNAVAILABLE,
        code: "server_busy",
        params: json!({}),
        message: "the meeting is moving to another server; try again in a second".into(),
    }
    .into_response();
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    resp
}

/// Sends a request on to the node at `url` and returns its answer.
async fn forward(
    app: &App,
    cluster: &crate::cluster::Cluster,
    url: &str,
    req: Request,
) -> Result<Response, ApiError> {
    let (parts, body) = req.into_parts();
    let body = read_body(app, &parts.headers, body, MAX_UPLOAD).await?;
    let target = format!(
        "{url}{}",
        parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
    );
    let mut out = cluster
        .http
        .request(parts.method.clone(), target)
        .header(crate::cluster::NODE_HEADER, cluster.token())
        .timeout(Duration::from_secs(120))
        .body(body);
    for name in [header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT] {
        if let Some(v) = parts.headers.get(&name) {
            out = out.header(name, v.clone());
        }
    }
    let resp = match out.send().await {
        Ok(r) => r,
        Err(e) => {
            tracing::info!(owner = %url, "cannot forward a request to the meeting's owner: {e}");
            return Ok(moving());
        }
    };
    let status = resp.status();
    let mut headers = HeaderMap::new();
    for name in [
        header::CONTENT_TYPE,
        header::CONTENT_DISPOSITION,
        header::RETRY_AFTER,
        header::WWW_AUTHENTICATE,
    ] {
        if let Some(v) = resp.headers().get(&name) {
            headers.insert(name, v.clone());
        }
    }
    let bytes = match resp.bytes().await {
        Ok(b) => b,
        Err(_) => return Ok(moving()),
    };
    let mut r = (status, bytes).into_response();
    r.headers_mut().extend(headers);
    Ok(r)
}

/// Reads a request body of at most `max` bytes within the body timeout.
pub(crate) async fn read_body(
    app: &App,
    headers: &HeaderMap,
    body: Body,
    max: usize,
) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(ApiError::TooLarge { max });
    }
    let limited = http_body_util::Limited::new(body, max);
    let timeout = app.guard.config.body_timeout;
    match tokio::time::timeout(timeout, http_body_util::BodyExt::collect(limited)).await {
        Err(_) => Err(ApiError::Timeout {
            seconds: timeout.as_secs(),
        }),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(ApiError::TooLarge { max }),
        Ok(Err(_)) => Err(ApiError::bad(
            "unreadable_body",
            json!({}),
            "the request body could not be read",
        )),
    }
}

/// Runs a parser on a blocking thread, a few at a time, within
/// [`PARSE_TIMEOUT`]: a hostile file never holds an async worker.
pub(crate) async fn off_worker<T: Send + 'static>(
    parse: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let permit = PARSERS
        .acquire()
        .await
        .map_err(|_| ApiError::Internal("the parsers are closed".into()))?;
    let task = tokio::task::spawn_blocking(move || {
        // Held until the parse really ends, even after a timeout below.
        let _permit = permit;
        parse()
    });
    match tokio::time::timeout(PARSE_TIMEOUT, task).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(ApiError::Internal(format!("a file parser failed: {e}"))),
        Err(_) => Err(ApiError::Timeout {
            seconds: PARSE_TIMEOUT.as_secs(),
        }),
    }
}

/// Looks a PIN up for a client, counting a miss as a guess (`guard`).
pub fn find_room(
    app: &App,
    client: SocketAddr,
    pin: &str,
) -> Result<Option<crate::room::RoomHandle>, crate::guard::TooManyGuesses> {
    app.guard.pin_lookup(client.ip(), || app.room(pin))
}

/// Looks a PIN up for a client like `find_room`, on this node or (a
/// cluster) on the node that owns the meeting, taking over a meeting
/// nobody owns.
pub async fn find_meeting(
    app: &App,
    client: SocketAddr,
    pin: &str,
) -> Result<Option<crate::cluster::Found>, crate::guard::TooManyGuesses> {
    use crate::cluster::Found;
    if app.cluster.is_none() {
        return find_room(app, client, pin).map(|r| r.map(Found::Local));
    }
    if let Some(room) = app.room(pin) {
        return app
            .guard
            .pin_lookup(client.ip(), || Some(Found::Local(room)));
    }
    app.guard.pin_check(client.ip())?;
    let found = app.locate(pin).await;
    app.guard.pin_lookup(client.ip(), || found)
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing or wrong host secret: send the header `Authorization: Bearer <host secret>`")]
    Unauthorized,
    /// A request the server cannot act on: `problem` (with `params`) says
    /// why, for the page to word it (`err.bad_request.<problem>`); the
    /// English `message` is for logs and scripts.
    #[error("{message}")]
    BadRequest {
        problem: &'static str,
        params: serde_json::Value,
        message: String,
    },
    /// A room refused the request: its error code and parameters, as on
    /// the websocket.
    #[error("{message}")]
    Refused {
        code: ErrorCode,
        message: String,
        params: Option<serde_json::Value>,
    },
    /// A file with problems: every one, each naming where.
    #[error("{message}")]
    Invalid {
        code: &'static str,
        message: String,
        problems: Vec<serde_json::Value>,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("the request body is over {max} bytes")]
    TooLarge { max: usize },
    #[error("the request took more than {seconds} seconds")]
    Timeout { seconds: u64 },
    #[error("too many wrong PINs from this address; try again in {retry_after} seconds")]
    TooManyGuesses { retry_after: u64 },
    /// A request refused with a stable code and its params (the console
    /// words it: `err.<code>`).
    #[error("{message}")]
    Coded {
        status: StatusCode,
        code: &'static str,
        params: serde_json::Value,
        message: String,
    },
    #[error("internal error")]
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Invalid {
            code,
            message,
            problems,
        } = &self
        {
            let body = json!({"error": code, "message": message, "problems": problems});
            return (StatusCode::BAD_REQUEST, Json(body)).into_response();
        }
        if let ApiError::Coded {
            status,
            code,
            params,
            message,
        } = &self
        {
            let body = json!({"error": code, "message": message, "params": params});
            return (*status, Json(body)).into_response();
        }
        let params = match &self {
            ApiError::BadRequest {
                problem, params, ..
            } => {
                let mut p = json!({"problem": problem});
                if let (Some(p), Some(extra)) = (p.as_object_mut(), params.as_object()) {
                    p.extend(extra.clone());
                }
                p
            }
            ApiError::Refused { params, .. } => params.clone().unwrap_or(json!(null)),
            ApiError::TooLarge { max } => json!({"max": max}),
            ApiError::Timeout { seconds } => json!({"max": seconds}),
            ApiError::TooManyGuesses { retry_after } => json!({"retry_after": retry_after}),
            _ => json!(null),
        };
        let (status, code) = match &self {
            ApiError::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::Timeout { .. } => (StatusCode::REQUEST_TIMEOUT, "timeout"),
            ApiError::TooManyGuesses { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_guesses"),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::BadRequest { .. } | ApiError::Invalid { .. } => {
                (StatusCode::BAD_REQUEST, "bad_request")
            }
            ApiError::Refused {
                code: ErrorCode::DatabaseUnavailable,
                ..
            } => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::DatabaseUnavailable.name(),
            ),
            ApiError::Refused { code, .. } => (StatusCode::BAD_REQUEST, code.name()),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Coded { status, code, .. } => (*status, *code),
            ApiError::Internal(detail) => {
                tracing::error!("request failed: {detail}");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        let mut body = json!({"error": code, "message": self.to_string()});
        if !params.is_null() {
            body["params"] = params;
        }
        let mut resp = (status, Json(body)).into_response();
        if let ApiError::TooManyGuesses { retry_after } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

impl ApiError {
    /// A `bad_request` worded from `problem` and `params`.
    pub fn bad(
        problem: &'static str,
        params: serde_json::Value,
        message: impl Into<String>,
    ) -> ApiError {
        ApiError::BadRequest {
            problem,
            params,
            message: message.into(),
        }
    }
}

impl From<crate::room::state::Refusal> for ApiError {
    fn from(r: crate::room::state::Refusal) -> ApiError {
        ApiError::Refused {
            code: r.code,
            message: r.message,
            params: r.params,
        }
    }
}

impl From<CreateError> for ApiError {
    fn from(e: CreateError) -> ApiError {
        match e {
            CreateError::UnknownBank(ref bank) => {
                ApiError::bad("unknown_bank", json!({"bank": bank}), e.to_string())
            }
            CreateError::BadTitle => ApiError::bad(
                "bad_title",
                json!({"max": crate::app::MAX_TITLE_CHARS}),
                e.to_string(),
            ),
            CreateError::Choice(r) => r.into(),
            // Nothing was saved: the database cannot take it now (out of
            // reach, or failing); the console says so and the organiser
            // tries again.
            CreateError::Storage(s) => {
                tracing::warn!("a meeting could not be saved: {s}");
                ApiError::Coded {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    code: "database_unavailable",
                    params: json!({}),
                    message: format!("the meeting could not be saved: {s}"),
                }
            }
        }
    }
}

impl From<crate::choice::Refused> for ApiError {
    fn from(r: crate::choice::Refused) -> ApiError {
        ApiError::Coded {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: r.code,
            params: r.params,
            message: r.message,
        }
    }
}

pub(crate) fn require_host(app: &App, headers: &HeaderMap) -> Result<(), ApiError> {
    let given = crate::auth::bearer(
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
    );
    match given {
        Some(s) if crate::auth::secret_matches(s, &app.host_secret) => Ok(()),
        _ => Err(ApiError::Unauthorized),
    }
}

fn embedded(path: &str) -> Option<Response> {
    let file = Web::get(path)?;
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let mut resp = file.data.into_owned().into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(mime.as_ref())
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    // Pages change with the binary; keep phones from running stale code.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Some(resp)
}

fn page(name: &str) -> Response {
    embedded(name).unwrap_or_else(|| not_found_page(None))
}

/// A friendly "no such meeting" page, in Vietnamese and English.
fn not_found_page(pin: Option<&str>) -> Response {
    not_found_or_wait(pin, false)
}

/// The "no such meeting" page, or (`wait`) its "too many wrong PINs" form.
fn not_found_or_wait(pin: Option<&str>, wait: bool) -> Response {
    let body = Web::get("notfound.html")
        .map(|f| {
            String::from_utf8_lossy(&f.data)
                .replace("{{PIN}}", &html_escape(pin.unwrap_or("")))
                .replace("{{WAIT}}", if wait { "1" } else { "" })
        })
        .unwrap_or_else(|| "Not found".to_string());
    let mut resp = (StatusCode::NOT_FOUND, Html(body)).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

fn html_escape(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(12)
        .collect()
}

async fn member_page(
    State(app): State<Arc<App>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(pin): Path<String>,
) -> Response {
    pin_page(&app, client, &pin, "member.html").await
}

async fn screen_page(
    State(app): State<Arc<App>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(pin): Path<String>,
) -> Response {
    pin_page(&app, client, &pin, "screen.html").await
}

/// A meeting's page, the friendly 404, or (too many wrong PINs) the 404
/// page saying to wait, with status 429.
async fn pin_page(app: &App, client: SocketAddr, pin: &str, name: &str) -> Response {
    match find_meeting(app, client, pin).await {
        Ok(Some(_)) => page(name),
        Ok(None) => not_found_page(Some(pin)),
        Err(wait) => {
            let mut resp = not_found_or_wait(Some(pin), true);
            *resp.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            if let Ok(v) = HeaderValue::from_str(&wait.retry_after.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
    }
}

async fn asset(Path(path): Path<String>) -> Response {
    if path.contains("..") {
        return not_found_page(None);
    }
    page(&path)
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    let mut health = json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "protocol": crate::protocol::PROTOCOL_VERSION,
        "meetings": app.rooms.len(),
    });
    if let Some(c) = &app.cluster {
        health["node"] = json!({"id": c.node, "url": c.url});
    }
    Json(health).into_response()
}

#[derive(Deserialize)]
struct QrQuery {
    /// A personal join key (roster QR codes).
    k: Option<String>,
}

async fn qr(
    State(app): State<Arc<App>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(file): Path<String>,
    axum::extract::Query(q): axum::extract::Query<QrQuery>,
) -> Result<Response, ApiError> {
    let pin = file
        .strip_suffix(".svg")
        .ok_or_else(|| ApiError::NotFound("QR codes are at /qr/{PIN}.svg".into()))?;
    find_meeting(&app, client, pin)
        .await
        .map_err(|w| ApiError::TooManyGuesses {
            retry_after: w.retry_after,
        })?
        .ok_or_else(|| ApiError::NotFound(format!("no meeting with PIN {}", html_escape(pin))))?;
    // Every node of a cluster has the same join address.
    let join_url = app.meeting_info(pin, "").join_url;
    let url = match q.k {
        Some(k) if crate::auth::token_is_strong(&k) => format!("{join_url}?k={k}"),
        Some(_) => {
            return Err(ApiError::bad(
                "bad_join_key",
                json!({}),
                "not a personal join key",
            ));
        }
        None => join_url,
    };
    let svg = crate::qr::svg(&url);
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

async fn banks(State(app): State<Arc<App>>) -> Response {
    let list: Vec<_> = app
        .all_banks()
        .into_iter()
        .map(|(b, origin)| {
            json!({
                "id": b.id,
                "origin": origin,
                "title": b.title,
                "language": b.language,
                "questions": b.questions.len(),
                "tags": b.tags,
                "description": b.description,
            })
        })
        .collect();
    Json(list).into_response()
}

async fn create_meeting(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    require_host(&app, &headers)?;
    let body = read_body(&app, &headers, body, MAX_JSON).await?;
    let example = "send JSON like {\"title\": \"…\", \"bank\": \"<bank id>\"}";
    let req: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad("bad_json", json!({}), format!("{example} ({e})")))?;
    let choice = crate::choice::from_request(&req)?;
    let text = |key: &str| match req.get(key) {
        None | Some(serde_json::Value::Null) => Ok(""),
        Some(serde_json::Value::String(s)) => Ok(s.as_str()),
        Some(_) => Err(ApiError::bad(
            "bad_json",
            json!({"field": key}),
            format!("\"{key}\" is text; {example}"),
        )),
    };
    let (title, bank) = (text("title")?, text("bank")?);
    // `party` or `neutral`; by default Party for a Party bank
    // (`Bank::is_party`). Checked before anything is created: a bad value
    // changes nothing.
    let wording = match text("wording")? {
        "" => None,
        w => Some(crate::room::parse_wording(w)?),
    };
    let room = app.create_meeting(title, bank, &choice).await?;
    let wording = wording.unwrap_or_else(|| {
        if app.bank(bank).is_some_and(|b| b.is_party()) {
            crate::meeting::Wording::Party
        } else {
            crate::meeting::Wording::Neutral
        }
    });
    ask_room(
        &app,
        &room.info.pin,
        crate::room::ApiOp::SetWording { wording },
    )
    .await?;
    let info = &room.info;
    tracing::info!(
        pin = %info.pin,
        title = %crate::text::for_log(&info.title),
        bank = %crate::text::for_log(bank),
        "meeting created"
    );
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "pin": info.pin,
            "title": info.title,
            "bank": bank,
            "questions": room.summary.choice.asked.len(),
            "choice": room.summary.choice,
            "join_url": info.join_url,
            "screen_url": format!("/screen/{}", info.pin),
            "qr_url": info.qr_url,
            "wording": wording,
        })),
    )
        .into_response())
}

async fn list_meetings(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    require_host(&app, &headers)?;
    use std::sync::atomic::Ordering::Relaxed;
    let mut list: Vec<_> = app
        .rooms
        .iter()
        .map(|r| {
            let s = &r.summary;
            json!({
                "pin": r.info.pin,
                "title": r.info.title,
                "join_url": r.info.join_url,
                "created_at": s.created_at,
                "members": s.members.load(Relaxed),
                "connected": s.connected.load(Relaxed),
                "ended": s.ended.load(Relaxed),
                "bank": s.bank,
                "choice": s.choice,
            })
        })
        .collect();
    // A cluster: every node's meetings (a node asked by another answers
    // with its own).
    if let Some(cluster) = app.cluster.clone()
        && !cluster.from_node(&headers)
    {
        let nodes = cluster
            .db
            .live_nodes(&cluster.node, cluster.lease_ms())
            .await
            .unwrap_or_default();
        let asks = nodes.into_iter().map(|(_, url)| {
            let req = cluster
                .http
                .get(format!("{url}/api/meetings"))
                .header(crate::cluster::NODE_HEADER, cluster.token())
                .bearer_auth(&*app.host_secret)
                .timeout(Duration::from_secs(3))
                .send();
            async move {
                match req.await {
                    Ok(r) if r.status().is_success() => {
                        r.json::<Vec<serde_json::Value>>().await.unwrap_or_default()
                    }
                    _ => Vec::new(),
                }
            }
        });
        for theirs in futures_util::future::join_all(asks).await {
            for m in theirs {
                if !list.iter().any(|x| x["pin"] == m["pin"]) {
                    list.push(m);
                }
            }
        }
    }
    // Newest first.
    list.sort_by_key(|m| std::cmp::Reverse(m["created_at"].as_u64()));
    Ok(Json(list).into_response())
}

/// Sends a request to a meeting's room and waits for its (durable) answer.
async fn ask_room(
    app: &App,
    pin: &str,
    op: crate::room::ApiOp,
) -> Result<serde_json::Value, ApiError> {
    let room = app
        .room(pin)
        .ok_or_else(|| ApiError::NotFound(format!("no meeting with PIN {}", html_escape(pin))))?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    room.tx
        .send(crate::room::RoomMsg::Api { op, reply: tx })
        .await
        .map_err(|_| ApiError::Internal("the meeting has stopped".into()))?;
    rx.await
        .map_err(|_| ApiError::Internal("the meeting has stopped".into()))?
        .map_err(ApiError::from)
}

#[derive(Deserialize)]
struct RosterQuery {
    /// `csv` or `xlsx`; guessed from the content when absent.
    format: Option<String>,
    /// Replace the roster (default) or add to it.
    #[serde(default = "yes")]
    replace: bool,
}

fn yes() -> bool {
    true
}

/// `POST /api/meetings/{pin}/roster`: a CSV or XLSX file as the body.
async fn import_roster(
    State(app): State<Arc<App>>,
    Path(pin): Path<String>,
    axum::extract::Query(q): axum::extract::Query<RosterQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    require_host(&app, &headers)?;
    let body = read_body(&app, &headers, body, MAX_UPLOAD).await?;
    use crate::roster::Format;
    let format = match q.format.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("csv") => Format::Csv,
        Some("xlsx") => Format::Xlsx,
        Some(other) => {
            return Err(ApiError::bad(
                "unknown_format",
                json!({"value": other, "accepted": ["csv", "xlsx"]}),
                format!("unknown format \"{other}\"; use format=csv or format=xlsx"),
            ));
        }
        // XLSX files are ZIP archives.
        None if body.starts_with(b"PK\x03\x04") => Format::Xlsx,
        None => Format::Csv,
    };
    let parsed = off_worker(move || crate::roster::parse(format, &body)).await?;
    let entries = parsed.map_err(|problems| ApiError::Invalid {
        code: "invalid_roster",
        message: format!(
            "the roster has {} problem(s); nothing was imported: {}",
            problems.len(),
            problems.first().map(|p| p.to_string()).unwrap_or_default()
        ),
        problems: problems.iter().map(|p| json!(p)).collect(),
    })?;
    let n = entries.len();
    let v = ask_room(
        &app,
        &pin,
        crate::room::ApiOp::ImportRoster {
            entries,
            replace: q.replace,
        },
    )
    .await?;
    tracing::info!(pin = %crate::text::for_log(&pin), entries = n, "roster imported");
    Ok(Json(v).into_response())
}

/// `GET /api/meetings/{pin}/roster`: the roster with personal join links.
async fn get_roster(
    State(app): State<Arc<App>>,
    Path(pin): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    require_host(&app, &headers)?;
    Ok(Json(ask_room(&app, &pin, crate::room::ApiOp::Roster).await?).into_response())
}

/// `POST /api/meetings/{pin}/motions`: a motions file (docs/MOTIONS.md).
async fn import_motions(
    State(app): State<Arc<App>>,
    Path(pin): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    require_host(&app, &headers)?;
    use crate::vote::motions_file::{self, MAX_FILE_BYTES};
    let body = read_body(&app, &headers, body, MAX_FILE_BYTES).await?;
    // Decoded like every uploaded table (`tabular`): UTF-8 with or without
    // a BOM, or UTF-16 with one.
    let body = crate::tabular::decode_text(&body).ok_or_else(|| {
        ApiError::bad("not_utf8", json!({}), "the motions file must be UTF-8 text")
    })?;
    let parsed = off_worker(move || motions_file::parse(&body)).await?;
    let specs = parsed.map_err(|problems| ApiError::Invalid {
        code: "invalid_motions",
        message: format!(
            "the motions file has {} problem(s); nothing was created: {}",
            problems.len(),
            problems[0]
        ),
        problems: problems.iter().map(|p| json!(p)).collect(),
    })?;
    let v = ask_room(&app, &pin, crate::room::ApiOp::CreateMotions { specs }).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

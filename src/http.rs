//! HTTP routes: pages, assets, QR codes and the small JSON API.
//!
//! One error enum (`ApiError`) maps every failure to a response in one
//! place; internal details are logged, never sent.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use rust_embed::RustEmbed;
use serde::Deserialize;
use serde_json::json;

use crate::app::{App, CreateError};

/// Largest roster file accepted.
const MAX_UPLOAD: usize = 16 * 1024 * 1024;

/// The web pages, embedded in the binary: nothing comes from the internet.
#[derive(RustEmbed)]
#[folder = "web/"]
struct Web;

pub fn router(app: Arc<App>) -> Router {
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
        .route("/api/banks", get(banks))
        .route("/api/meetings", post(create_meeting).get(list_meetings))
        .route(
            "/api/meetings/{pin}/roster",
            post(import_roster)
                .get(get_roster)
                .layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route("/api/meetings/{pin}/motions", post(import_motions))
        .route("/ws", get(crate::ws::upgrade))
        .fallback(|| async { not_found_page(None) })
        .with_state(app)
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing or wrong host secret: send the header `Authorization: Bearer <host secret>`")]
    Unauthorized,
    #[error("{0}")]
    BadRequest(String),
    /// A file with problems: every one, each naming where.
    #[error("{message}")]
    Invalid {
        code: &'static str,
        message: String,
        problems: Vec<serde_json::Value>,
    },
    #[error("{0}")]
    NotFound(String),
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
        let (status, code) = match &self {
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::BadRequest(_) | ApiError::Invalid { .. } => {
                (StatusCode::BAD_REQUEST, "bad_request")
            }
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Internal(detail) => {
                tracing::error!("request failed: {detail}");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        let mut resp = (
            status,
            Json(json!({"error": code, "message": self.to_string()})),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

impl From<CreateError> for ApiError {
    fn from(e: CreateError) -> ApiError {
        match e {
            CreateError::UnknownBank(_) | CreateError::BadTitle => {
                ApiError::BadRequest(e.to_string())
            }
            CreateError::Storage(s) => ApiError::Internal(s),
        }
    }
}

fn require_host(app: &App, headers: &HeaderMap) -> Result<(), ApiError> {
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
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    Some(resp)
}

fn page(name: &str) -> Response {
    embedded(name).unwrap_or_else(|| not_found_page(None))
}

/// A friendly "no such meeting" page, in Vietnamese and English.
fn not_found_page(pin: Option<&str>) -> Response {
    let body = embedded("notfound.html")
        .map(|_| {
            let raw = Web::get("notfound.html").expect("checked").data;
            String::from_utf8_lossy(&raw).replace("{{PIN}}", &html_escape(pin.unwrap_or("")))
        })
        .unwrap_or_else(|| "Not found".to_string());
    (StatusCode::NOT_FOUND, Html(body)).into_response()
}

fn html_escape(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(12)
        .collect()
}

async fn member_page(State(app): State<Arc<App>>, Path(pin): Path<String>) -> Response {
    if app.rooms.contains_key(&pin) {
        page("member.html")
    } else {
        not_found_page(Some(&pin))
    }
}

async fn screen_page(State(app): State<Arc<App>>, Path(pin): Path<String>) -> Response {
    if app.rooms.contains_key(&pin) {
        page("screen.html")
    } else {
        not_found_page(Some(&pin))
    }
}

async fn asset(Path(path): Path<String>) -> Response {
    if path.contains("..") {
        return not_found_page(None);
    }
    page(&path)
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "protocol": crate::protocol::PROTOCOL_VERSION,
        "meetings": app.rooms.len(),
    }))
    .into_response()
}

#[derive(Deserialize)]
struct QrQuery {
    /// A personal join key (roster QR codes).
    k: Option<String>,
}

async fn qr(
    State(app): State<Arc<App>>,
    Path(file): Path<String>,
    axum::extract::Query(q): axum::extract::Query<QrQuery>,
) -> Result<Response, ApiError> {
    let pin = file
        .strip_suffix(".svg")
        .ok_or_else(|| ApiError::NotFound("QR codes are at /qr/{PIN}.svg".into()))?;
    let room = app
        .room(pin)
        .ok_or_else(|| ApiError::NotFound(format!("no meeting with PIN {}", html_escape(pin))))?;
    let url = match q.k {
        Some(k) if crate::auth::token_is_strong(&k) => format!("{}?k={k}", room.info.join_url),
        Some(_) => return Err(ApiError::BadRequest("not a personal join key".into())),
        None => room.info.join_url.clone(),
    };
    let svg = crate::qr::svg(&url);
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

async fn banks(State(app): State<Arc<App>>) -> Response {
    let list: Vec<_> = app
        .banks
        .iter()
        .map(|b| {
            json!({
                "id": b.id,
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

#[derive(Deserialize)]
struct CreateMeeting {
    #[serde(default)]
    title: String,
    bank: String,
}

async fn create_meeting(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    require_host(&app, &headers)?;
    let req: CreateMeeting = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "send JSON like {{\"title\": \"Sinh hoạt chi bộ tháng 11\", \"bank\": \"<bank id>\"}} ({e})"
        ))
    })?;
    let room = app.create_meeting(&req.title, &req.bank).await?;
    let info = &room.info;
    tracing::info!(pin = %info.pin, title = %info.title, bank = %req.bank, "meeting created");
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "pin": info.pin,
            "title": info.title,
            "bank": req.bank,
            "join_url": info.join_url,
            "screen_url": format!("/screen/{}", info.pin),
            "qr_url": info.qr_url,
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
            })
        })
        .collect();
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
        .map_err(|r| ApiError::BadRequest(r.message))
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
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    require_host(&app, &headers)?;
    use crate::roster::Format;
    let format = match q.format.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("csv") => Format::Csv,
        Some("xlsx") => Format::Xlsx,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "unknown format \"{other}\"; use format=csv or format=xlsx"
            )));
        }
        // XLSX files are ZIP archives.
        None if body.starts_with(b"PK\x03\x04") => Format::Xlsx,
        None => Format::Csv,
    };
    let entries = crate::roster::parse(format, &body).map_err(|problems| ApiError::Invalid {
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
    tracing::info!(%pin, entries = n, "roster imported");
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
    body: String,
) -> Result<Response, ApiError> {
    require_host(&app, &headers)?;
    let specs = crate::vote::motions_file::parse(&body).map_err(|problems| ApiError::Invalid {
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

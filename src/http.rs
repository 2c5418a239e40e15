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
        .route("/assets/{*path}", get(asset))
        .route("/healthz", get(healthz))
        .route("/qr/{file}", get(qr))
        .route("/api/banks", get(banks))
        .route("/api/meetings", post(create_meeting).get(list_meetings))
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
    #[error("{0}")]
    NotFound(String),
    #[error("internal error")]
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
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

async fn qr(State(app): State<Arc<App>>, Path(file): Path<String>) -> Result<Response, ApiError> {
    let pin = file
        .strip_suffix(".svg")
        .ok_or_else(|| ApiError::NotFound("QR codes are at /qr/{PIN}.svg".into()))?;
    let room = app
        .room(pin)
        .ok_or_else(|| ApiError::NotFound(format!("no meeting with PIN {}", html_escape(pin))))?;
    let svg = crate::qr::svg(&room.info.join_url);
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
    let mut list: Vec<_> = app
        .rooms
        .iter()
        .map(|r| json!({"pin": r.info.pin, "title": r.info.title, "join_url": r.info.join_url}))
        .collect();
    list.sort_by(|a, b| a["pin"].as_str().cmp(&b["pin"].as_str()));
    Ok(Json(list).into_response())
}

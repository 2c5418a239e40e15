//! HTTP routes of the record: the minutes page, exports, the archive,
//! the minutes' details and deleting a meeting. Host only.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::export;
use super::{Details, Record};
use crate::app::App;
use crate::http::{ApiError, require_host};
use crate::room::event::{By, Envelope, Event};

fn not_found(pin: &str) -> ApiError {
    let pin: String = pin.chars().filter(char::is_ascii_digit).take(12).collect();
    ApiError::NotFound(format!("no meeting with PIN {pin}"))
}

fn storage(e: crate::store::StoreError) -> ApiError {
    ApiError::Internal(e.to_string())
}

/// The record of the newest meeting with `pin`, as of now.
async fn record(app: &Arc<App>, pin: &str) -> Result<Record, ApiError> {
    if !pin.chars().all(|c| c.is_ascii_digit()) || pin.len() > 12 {
        return Err(not_found(pin));
    }
    let (app2, pin2) = (app.clone(), pin.to_string());
    // SQLite reads block: off the async workers.
    let loaded = tokio::task::spawn_blocking(move || app2.store.load_meeting(&pin2))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(storage)?;
    let Some((loaded, ended_at)) = loaded else {
        return Err(not_found(pin));
    };
    let info = app.meeting_info(pin, &loaded.config.title);
    let now = app.ctx.clock.now();
    tokio::task::spawn_blocking(move || super::build(&loaded, &info, ended_at, now))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))
}

fn attachment(mime: &'static str, name: String, body: Vec<u8>) -> Response {
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// `GET /api/meetings/{pin}/export.json`: the whole record.
pub async fn export_json(
    State(app): State<Arc<App>>,
    Path(pin): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    require_host(&app, &headers)?;
    let r = record(&app, &pin).await?;
    let mut resp = Json(r).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// `GET /api/meetings/{pin}/export.xlsx`: every sheet in one workbook.
pub async fn export_xlsx(
    State(app): State<Arc<App>>,
    Path(pin): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    require_host(&app, &headers)?;
    let r = record(&app, &pin).await?;
    let bytes = tokio::task::spawn_blocking(move || export::xlsx(&export::sheets(&r)))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(attachment(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        format!("handsup-{pin}.xlsx"),
        bytes,
    ))
}

/// `GET /api/meetings/{pin}/export/{sheet}.csv`: one sheet.
pub async fn export_csv(
    State(app): State<Arc<App>>,
    Path((pin, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    require_host(&app, &headers)?;
    let slugs = || {
        export::SHEETS
            .iter()
            .map(|s| format!("{}.csv", s.1))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let slug = file
        .strip_suffix(".csv")
        .filter(|s| export::SHEETS.iter().any(|x| x.1 == *s))
        .ok_or_else(|| ApiError::NotFound(format!("no such sheet; there are {}", slugs())))?
        .to_string();
    let r = record(&app, &pin).await?;
    let sheet = export::sheets(&r)
        .into_iter()
        .find(|s| s.slug == slug)
        .expect("checked above");
    Ok(attachment(
        "text/csv; charset=utf-8",
        format!("handsup-{pin}-{slug}.csv"),
        export::csv(&sheet),
    ))
}

/// `PUT /api/meetings/{pin}/minutes`: the minutes' details (`Details`).
pub async fn set_minutes(
    State(app): State<Arc<App>>,
    Path(pin): Path<String>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    require_host(&app, &headers)?;
    let body = crate::http::read_body(&app, &headers, body, crate::http::MAX_JSON).await?;
    let details = serde_json::from_slice::<Details>(&body)
        .map_err(|e| {
            ApiError::bad(
                "bad_json",
                serde_json::json!({}),
                format!("send JSON like {{\"cell\": \"…\", \"place\": \"…\", \"chair\": \"…\", \"secretary\": \"…\"}} ({e})"),
            )
        })?
        .clean()
        .map_err(|m| ApiError::bad("bad_details", serde_json::json!({}), m))?;
    if let Some(room) = app.room(&pin) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        room.tx
            .send(crate::room::RoomMsg::Api {
                op: crate::room::ApiOp::SetMinutes {
                    details: details.clone(),
                },
                reply: tx,
            })
            .await
            .map_err(|_| ApiError::Internal("the meeting has stopped".into()))?;
        rx.await
            .map_err(|_| ApiError::Internal("the meeting has stopped".into()))?
            .map_err(ApiError::from)?;
    } else {
        // An ended meeting no room runs (the server restarted since).
        let app2 = app.clone();
        let pin2 = pin.clone();
        let at = app.ctx.clock.now();
        tokio::task::spawn_blocking(move || {
            let Some((loaded, _)) = app2.store.load_meeting(&pin2).map_err(storage)? else {
                return Err(not_found(&pin2));
            };
            let env = Envelope {
                seq: 0,
                at,
                by: By::Host,
                cid: None,
                event: Event::MinutesSet { details },
            };
            app2.store.append_ended(loaded.id, &env).map_err(storage)
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    }
    Ok(Json(json!({"saved": true})).into_response())
}

/// `GET /api/archive`: every stored meeting, newest first, with its state,
/// members and activities.
pub async fn archive(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    require_host(&app, &headers)?;
    let app2 = app.clone();
    let list = tokio::task::spawn_blocking(move || -> Result<Vec<serde_json::Value>, ApiError> {
        let stored = app2.store.meetings().map_err(storage)?;
        let now = app2.ctx.clock.now();
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for m in stored {
            // A PIN reused after its meeting ended: only the newest is reachable.
            if !seen.insert(m.pin.clone()) {
                continue;
            }
            let Some((loaded, ended_at)) = app2.store.load_meeting(&m.pin).map_err(storage)? else {
                continue;
            };
            let info = app2.meeting_info(&m.pin, &m.title);
            let r = super::build(&loaded, &info, ended_at, now);
            let connected = app2
                .room(&m.pin)
                .map_or(0, |h| h.summary.connected.load(Relaxed));
            out.push(json!({
                "pin": r.pin,
                "title": r.title,
                "status": r.status,
                "created_at": r.created_at,
                "ended_at": r.ended_at,
                "members": r.members.len(),
                "connected": connected,
                "activities": {
                    "questions": r.quiz.as_ref().map_or(0, |q| q.questions.len()),
                    "motions": r.motions.len(),
                    "agenda": r.agenda.as_ref().map_or(0, |a| a.items.len()),
                    "opinions": r.opinions.len(),
                    "evaluation": r.evaluation.is_some(),
                },
                "details": r.details,
            }));
        }
        Ok(out)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(Json(list).into_response())
}

/// `DELETE /api/meetings/{pin}`: an ended meeting and all its data. A
/// running one must be ended first, so no phone is left in a room that is
/// gone. The PIN is not handed out again for a day.
pub async fn delete_meeting(
    State(app): State<Arc<App>>,
    Path(pin): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    require_host(&app, &headers)?;
    if let Some(room) = app.room(&pin)
        && !room.summary.ended.load(Relaxed)
    {
        return Err(ApiError::bad(
            "still_running",
            serde_json::json!({}),
            "this meeting is still running; end it before deleting it",
        ));
    }
    let app2 = app.clone();
    let pin2 = pin.clone();
    let at = app.ctx.clock.now();
    tokio::task::spawn_blocking(move || {
        let Some((loaded, ended_at)) = app2.store.load_meeting(&pin2).map_err(storage)? else {
            return Err(not_found(&pin2));
        };
        if ended_at.is_none() {
            return Err(ApiError::bad(
                "still_running",
                serde_json::json!({}),
                "this meeting is still running; end it before deleting it",
            ));
        }
        app2.store
            .delete_meeting(loaded.id, &pin2, at)
            .map_err(storage)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    if let Some((_, room)) = app.rooms.remove(&pin) {
        // Phones and pages still attached are told and let go.
        let (tx, _rx) = tokio::sync::oneshot::channel();
        let _ = room
            .tx
            .send(crate::room::RoomMsg::Api {
                op: crate::room::ApiOp::Deleted,
                reply: tx,
            })
            .await;
    }
    tracing::info!(%pin, "meeting deleted");
    Ok(StatusCode::NO_CONTENT.into_response())
}

//! The HTTP routes, all under `/TOKEN/`: the page, the audio (with byte
//! ranges), the change and add endpoints, the exports and the record.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hotwash_postmortem::render::csv;
use hotwash_postmortem::review::{reviewed, Addition, Change, ReviewError};
use serde_json::json;

use crate::audio::{mime, read_span, span, AudioSource, Span};
use crate::page;
use crate::store::{Store, StoreError};

/// What every request handler shares.
pub(crate) struct App {
    pub store: Store,
    pub audio: Vec<AudioSource>,
}

type Shared = Arc<App>;

fn error(status: StatusCode, message: impl std::fmt::Display) -> Response {
    (status, Json(json!({ "error": message.to_string() }))).into_response()
}

fn store_error(e: StoreError) -> Response {
    let status = match &e {
        StoreError::Review(ReviewError::Stale { .. }) => StatusCode::CONFLICT,
        StoreError::Review(ReviewError::UnknownItem(_)) => StatusCode::NOT_FOUND,
        StoreError::Review(_) => StatusCode::BAD_REQUEST,
        StoreError::Save(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error(status, e)
}

async fn page(State(app): State<Shared>) -> Response {
    let r = app.store.snapshot();
    match page::render(&r, &app.audio) {
        Ok(html) => Html(html).into_response(),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("page template: {e}"),
        ),
    }
}

async fn change(State(app): State<Shared>, Json(c): Json<Change>) -> Response {
    match app.store.change(&c) {
        Ok(review) => Json(json!({ "key": c.key, "review": review })).into_response(),
        Err(e) => store_error(e),
    }
}

async fn add(State(app): State<Shared>, Json(a): Json<Addition>) -> Response {
    match app.store.add(&a) {
        Ok(key) => Json(json!({ "key": key })).into_response(),
        Err(e) => store_error(e),
    }
}

async fn record(State(app): State<Shared>) -> Response {
    Json(app.store.snapshot()).into_response()
}

async fn export(
    State(app): State<Shared>,
    UrlPath(which): UrlPath<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let confirmed_only = q.get("confirmed").is_some_and(|v| v == "1" || v == "true");
    let r = reviewed(&app.store.snapshot(), confirmed_only);
    let name = Path::new(&which);
    let bytes = match which.as_str() {
        "actions-jira.csv" => csv::jira_csv(&r, name),
        "actions-linear.csv" => csv::linear_csv(&r, name),
        _ => return error(StatusCode::NOT_FOUND, format!("no export {which}")),
    };
    match bytes {
        Ok(b) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}-{which}\"", r.incident.id),
                ),
            ],
            b,
        )
            .into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

async fn audio(
    State(app): State<Shared>,
    UrlPath(n): UrlPath<usize>,
    headers: HeaderMap,
) -> Response {
    let Some(src) = app.audio.get(n) else {
        return error(StatusCode::NOT_FOUND, format!("no recording {n}"));
    };
    let Some(path) = &src.path else {
        return error(
            StatusCode::NOT_FOUND,
            src.missing.clone().unwrap_or_default(),
        );
    };
    let len = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) => return error(StatusCode::NOT_FOUND, format!("{}: {e}", path.display())),
    };
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (status, start, end) = match span(range, len) {
        Span::Whole => (StatusCode::OK, 0, len.saturating_sub(1)),
        Span::Part(s, e) => (StatusCode::PARTIAL_CONTENT, s, e),
        Span::Unsatisfiable => {
            let mut resp = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                resp.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return resp;
        }
    };
    let body = if len == 0 {
        Vec::new()
    } else {
        match read_span(path, start, end) {
            Ok(b) => b,
            Err(e) => {
                return error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("{}: {e}", path.display()),
                )
            }
        }
    };
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime(path)));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if status == StatusCode::PARTIAL_CONTENT {
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
            h.insert(header::CONTENT_RANGE, v);
        }
    }
    resp
}

async fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not found: use the URL `hotwash review` printed (it carries the session token)",
    )
}

/// Every route, under `/TOKEN/`.
pub(crate) fn router(app: Shared, token: &str) -> Router {
    Router::new()
        .route(&format!("/{token}/"), get(page))
        .route(&format!("/{token}/audio/{{n}}"), get(audio))
        .route(&format!("/{token}/api/change"), post(change))
        .route(&format!("/{token}/api/add"), post(add))
        .route(&format!("/{token}/export/{{which}}"), get(export))
        .route(&format!("/{token}/record.json"), get(record))
        .fallback(not_found)
        .with_state(app)
}

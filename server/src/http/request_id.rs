//! Every request gets an id of ours (`req_…`, random, never the
//! client's): it is in every log line of the request (a `tracing` span),
//! in the `x-request-id` answer header, and it keys the usage record and
//! the quota reservation. A client's own `x-request-id` is logged beside it.

use crate::store::random_hex;
use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;
use tracing::Instrument;

/// The id of the request being answered (in the request's extensions).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl RequestId {
    /// A new random id.
    pub fn new() -> RequestId {
        RequestId(format!("req_{}", random_hex(12)))
    }
}

impl Default for RequestId {
    fn default() -> Self {
        RequestId::new()
    }
}

pub(super) async fn request_id(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let id = RequestId::new();
    let client_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(128).collect::<String>());
    let span = tracing::info_span!(
        "request",
        request_id = %id.0,
        method = %request.method(),
        path = %request.uri().path(),
        client_request_id = client_id.as_deref(),
    );
    request.extensions_mut().insert(id.clone());
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let seconds = started.elapsed().as_secs_f64();
    span.in_scope(|| tracing::info!(status, latency_ms = seconds * 1000.0, "answered"));
    // Unmatched paths (static files, 404s) share one label, so scans
    // cannot grow the metrics without bound.
    let route = route.unwrap_or_else(|| "other".to_owned());
    state.metrics.http(&route, status, seconds);
    if let Ok(v) = HeaderValue::from_str(&id.0) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

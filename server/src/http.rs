//! The HTTP API and the static web app: routes, the extractors that read
//! submissions, and the documented error body. Handlers translate between
//! HTTP and the service (`crate::service`), which has no HTTP in it.

mod admin;
mod admit;
mod answer;
mod auth;
mod check;
mod contracts;
mod docs;
mod error;
mod extract;
mod jobs;
mod me;
mod openai;
mod prepare;
mod request_id;
mod rollouts;
mod run;
mod version;

pub use error::AppError;
pub use jobs::start_workers;

use crate::AppState;
use axum::extract::DefaultBodyLimit;
use axum::extract::OriginalUri;
use axum::handler::HandlerWithoutStateExt;
use axum::http::{header, HeaderValue, Method};
use axum::routing::{get, post};
use axum::Router;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;

/// The largest request body accepted: the core's 25 MiB file limit plus
/// room for the multipart envelope. Larger bodies get 413 before they are
/// read into memory.
pub const MAX_BODY_BYTES: usize = 26 * 1024 * 1024;

/// Builds the router: `/v1/*` API routes, `/healthz`, and the web app at
/// `/` with the npm package at `/pkg` when static directories are set.
pub fn app(state: AppState) -> Router {
    let static_dirs = state.static_dirs.clone();
    let layer_state = state.clone();
    let metrics_state = state.clone();
    let docs_routes = Router::new()
        .route("/docs/{id}", get(docs::latest))
        .route("/docs/{id}/{version}", get(docs::page))
        .with_state(state.clone());
    // Every answer that is not a success has the documented error body,
    // unknown routes and wrong methods included.
    let api = Router::new()
        .route("/contracts", get(contracts::list))
        .route("/contracts/{id}", get(contracts::show))
        .route("/contracts/{id}/versions", get(contracts::versions))
        .route(
            "/contracts/{id}/upgrade",
            get(contracts::upgrade_preview).post(contracts::upgrade),
        )
        .route("/contracts/{id}/{version}", get(contracts::exact))
        .route("/check", post(check::check))
        .route("/prepare", post(prepare::prepare))
        .route("/run", post(run::run))
        .route("/chat/completions", post(openai::chat_completions))
        .route("/admin/providers", get(admin::providers))
        .route("/admin/usage", get(admin::usage))
        .route("/admin/queue", get(admin::queue))
        .route("/admin/rollouts", get(rollouts::list).post(rollouts::start))
        .route("/admin/rollouts/{id}", get(rollouts::show))
        .route("/admin/rollouts/{id}/raise", post(rollouts::raise))
        .route("/admin/rollouts/{id}/promote", post(rollouts::promote))
        .route("/admin/rollouts/{id}/rollback", post(rollouts::rollback))
        .route("/feedback", post(rollouts::feedback))
        .route("/jobs/{id}", get(jobs::show).delete(jobs::cancel))
        .route("/jobs/{id}/events", get(jobs::events))
        .route("/me", get(me::me))
        .route("/demo", get(me::demo))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
    let mut router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/metrics",
            get(move || async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    )],
                    metrics_state.metrics.encode(&metrics_state.runner.health),
                )
            }),
        )
        .nest("/v1", api)
        .merge(docs_routes)
        .fallback(not_found);
    if let Some(dirs) = static_dirs {
        router = router
            // `make pkg` writes .br and .gz next to the module and the
            // tokenizer vocabularies; browsers get the smallest they accept.
            .nest_service(
                "/pkg",
                ServeDir::new(dirs.pkg)
                    .precompressed_br()
                    .precompressed_gzip(),
            )
            .fallback_service(ServeDir::new(dirs.www).not_found_service(not_found.into_service()));
    }
    // The web app's files and the API's JSON are compressed on the fly for
    // clients that accept it; the package's precompressed files already
    // carry their encoding and are left alone.
    router
        .layer(CompressionLayer::new())
        .layer(axum::middleware::map_response(no_store_errors))
        .layer(axum::middleware::from_fn_with_state(
            layer_state,
            request_id::request_id,
        ))
}

/// Errors are never cached: a browser that kept a 404 or a 410 for a
/// contract version would go on refusing it after the version came back
/// (or serve a refusal meant for another key). A handler that chose its
/// own `Cache-Control` keeps it.
async fn no_store_errors(mut response: axum::response::Response) -> axum::response::Response {
    let status = response.status();
    if (status.is_client_error() || status.is_server_error())
        && !response.headers().contains_key(header::CACHE_CONTROL)
    {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn not_found(OriginalUri(uri): OriginalUri) -> AppError {
    AppError::NotFound(uri.path().to_owned())
}

async fn method_not_allowed(method: Method, OriginalUri(uri): OriginalUri) -> AppError {
    AppError::MethodNotAllowed {
        method: method.to_string(),
        path: uri.path().to_owned(),
    }
}

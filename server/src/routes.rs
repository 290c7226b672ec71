//! The HTTP API and the static web app.

mod check;
mod contracts;
mod prepare;
mod submission;

use crate::AppState;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

/// The largest request body accepted: the core's 25 MiB file limit plus
/// room for the multipart envelope. Larger bodies get 413 before they are
/// read into memory.
pub const MAX_BODY_BYTES: usize = 26 * 1024 * 1024;

/// Builds the router: `/v1/*` API routes, `/healthz`, and the web app at
/// `/` with the npm package at `/pkg` when static directories are set.
pub fn app(state: AppState) -> Router {
    let static_dirs = state.static_dirs.clone();
    let mut router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/v1/contracts", get(contracts::list))
        .route("/v1/contracts/{id}", get(contracts::show))
        .route("/v1/check", post(check::check))
        .route("/v1/prepare", post(prepare::prepare))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
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
            .fallback_service(ServeDir::new(dirs.www));
    }
    router.layer(TraceLayer::new_for_http())
}

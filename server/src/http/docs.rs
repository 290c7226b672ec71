//! `GET /docs/{id}/{version}`: a contract version's documentation as an
//! HTML page, generated from the contract (what `preflight docs` writes as
//! Markdown); `GET /docs/{id}` redirects to the default version's page.
//! Each issue code has its anchor (`#missing_column`), which the web app
//! and the API's error bodies link to.

use crate::service::docs;
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};

pub(super) async fn page(
    State(state): State<AppState>,
    Path((id, version)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let registry = state.registry();
    let (contract, markdown) = docs::markdown(&registry, &id, Some(&version))?;
    let mut response = (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        docs::html(&contract, &markdown),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

pub(super) async fn latest(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Redirect, AppError> {
    let registry = state.registry();
    let contract = registry
        .get(&id)
        .ok_or_else(|| AppError::UnknownContract(id.clone()))?;
    Ok(Redirect::temporary(&format!(
        "/docs/{}/{}",
        contract.id, contract.version
    )))
}

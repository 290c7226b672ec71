//! Errors of the HTTP layer, each with its status code. Bodies are
//! `{"error": {"code", "message", "field"?}}` and never expose internals.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// Why a request could not be answered with a report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// 400: the request is malformed (missing field, bad JSON, bad form).
    #[error("{0}")]
    BadRequest(String),
    /// 404: no contract has this id.
    #[error("there is no contract with the id `{0}`")]
    UnknownContract(String),
    /// 400: the core refused the request (e.g. an unknown tier).
    #[error(transparent)]
    Core(#[from] prompt_preflight::Error),
    /// 413: the upload is larger than the server accepts.
    #[error("the upload is larger than the {0} bytes this server accepts")]
    TooLarge(usize),
    /// 500: a bug or a crashed worker; details go to the log only.
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::UnknownContract(_) => (StatusCode::NOT_FOUND, "unknown_contract"),
            AppError::Core(e) => (StatusCode::BAD_REQUEST, e.code()),
            AppError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let AppError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let mut error = json!({ "code": code, "message": self.to_string() });
        if let AppError::Core(e) = &self {
            if let Some(field) = e.field() {
                error["field"] = field.into();
            }
        }
        (status, Json(json!({ "error": error }))).into_response()
    }
}

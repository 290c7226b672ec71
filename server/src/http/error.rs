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
    /// 400: one field of a JSON body is missing, unknown or of the wrong type.
    #[error("{message}")]
    BadField {
        /// The field, as a JSON path (`text`, `options.overlap`).
        field: String,
        /// What is wrong and what is expected.
        message: String,
    },
    /// 404: no such route.
    #[error("there is nothing at {0}; the API is under /v1 (see the README)")]
    NotFound(String),
    /// 405: the route exists, but not for this method.
    #[error("{path} does not take {method} requests")]
    MethodNotAllowed {
        /// The request's method.
        method: String,
        /// The request's path.
        path: String,
    },
    /// 404: no contract has this id.
    #[error("there is no contract with the id `{0}`")]
    UnknownContract(String),
    /// 400: the core refused the request (e.g. an unknown tier).
    #[error(transparent)]
    Core(#[from] prompt_preflight::Error),
    /// 413: the upload is larger than the server accepts.
    #[error("the upload is larger than the {} this server accepts", mebibytes(*.0))]
    TooLarge(usize),
    /// 500: a bug or a crashed worker; details go to the log only.
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::BadRequest(_) | AppError::BadField { .. } => {
                (StatusCode::BAD_REQUEST, "bad_request")
            }
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::MethodNotAllowed { .. } => {
                (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
            }
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
        if let AppError::BadField { field, .. } = &self {
            error["field"] = field.as_str().into();
        }
        (status, Json(json!({ "error": error }))).into_response()
    }
}

/// A size limit the way the README gives it: `26 MiB`.
fn mebibytes(bytes: usize) -> String {
    let mib = bytes as f64 / (1024.0 * 1024.0);
    if mib.fract() == 0.0 {
        format!("{mib:.0} MiB")
    } else {
        format!("{mib:.1} MiB")
    }
}

impl From<crate::service::error::ServiceError> for AppError {
    fn from(error: crate::service::error::ServiceError) -> Self {
        use crate::service::error::ServiceError;
        match error {
            ServiceError::UnknownContract(id) => AppError::UnknownContract(id),
            ServiceError::Core(e) => AppError::Core(e),
            ServiceError::Internal(detail) => AppError::Internal(detail),
        }
    }
}

//! Errors of the HTTP layer, each with its status code. Bodies are
//! `{"error": {"code", "message", "field"?}}` and never expose internals.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
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
    /// 400, 404 or 410: no version of the contract can serve the request
    /// (an unreadable version, none listed, or retired).
    #[error(transparent)]
    Version(crate::service::versions::VersionError),
    /// 400: the core refused the request (e.g. an unknown tier).
    #[error(transparent)]
    Core(#[from] prompt_preflight::Error),
    /// 413: the upload is larger than the server accepts.
    #[error("the upload is larger than the {} this server accepts", mebibytes(*.0))]
    TooLarge(usize),
    /// 401: the route needs an API key and the request has none.
    #[error("this needs an API key: send it as `Authorization: Bearer pp_…` or in `x-api-key` (`preflight keys create` makes one)")]
    MissingKey,
    /// 401: the key is unknown or revoked.
    #[error("this API key is not valid: it may be mistyped or revoked; ask for a new one")]
    InvalidKey,
    /// 403: the key is valid but may not do this (an operator endpoint).
    #[error("{0}")]
    Forbidden(String),
    /// 403: the request names a tier the caller's key is not on.
    #[error("your key is on the `{user}` plan, so this request cannot run on `{asked}`; leave `tier` out to use your plan")]
    TierNotAllowed {
        /// The caller's tier.
        user: String,
        /// The tier the request named.
        asked: String,
    },
    /// 429: the caller's own allowance has no room (see the hint and
    /// `retry-after` for a per-minute one).
    #[error("{}", .0.message)]
    QuotaExceeded(crate::service::quota::Refusal),
    /// 404: no job with this id is yours.
    #[error("you have no job `{0}`")]
    JobNotFound(String),
    /// 409: the job can no longer be cancelled (a worker has it, or it ended).
    #[error("job `{id}` is {status}, so it can no longer be cancelled")]
    JobNotCancellable {
        /// The job.
        id: String,
        /// Its status.
        status: String,
    },
    /// 404, 400 or 409: a rollout is unknown, asked for wrongly, or in
    /// the way of another.
    #[error(transparent)]
    Rollout(crate::service::error::RolloutError),
    /// 404: the caller has no answered request with this id to rate.
    #[error("you have no answered request `{0}` to rate")]
    RequestNotFound(String),
    /// 503: this server keeps no accounts (no database), so keyed routes
    /// cannot run.
    #[error("this server has no accounts database, so it cannot take API keys")]
    NoAccounts,
    /// 503: the database did not answer; details go to the log only.
    #[error("we could not reach our database just now; try again in a moment")]
    Storage(String),
    /// 500: a bug or a crashed worker; details go to the log only.
    #[error("internal error")]
    Internal(String),
}

impl From<crate::store::StoreError> for AppError {
    fn from(error: crate::store::StoreError) -> Self {
        AppError::Storage(error.to_string())
    }
}

impl AppError {
    /// The status and the stable code of this error.
    pub(super) fn status_and_code(&self) -> (StatusCode, &'static str) {
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
            AppError::Version(e) => {
                use crate::service::versions::VersionError;
                match e {
                    VersionError::BadRequirement { .. } => (StatusCode::BAD_REQUEST, "bad_version"),
                    VersionError::UnknownVersion { .. } => {
                        (StatusCode::NOT_FOUND, "unknown_contract_version")
                    }
                    VersionError::Retired { .. } => (StatusCode::GONE, "contract_version_retired"),
                }
            }
            AppError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            AppError::MissingKey => (StatusCode::UNAUTHORIZED, "missing_api_key"),
            AppError::InvalidKey => (StatusCode::UNAUTHORIZED, "invalid_api_key"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::TierNotAllowed { .. } => (StatusCode::FORBIDDEN, "tier_not_allowed"),
            AppError::QuotaExceeded(_) => (StatusCode::TOO_MANY_REQUESTS, "quota_exceeded"),
            AppError::JobNotFound(_) => (StatusCode::NOT_FOUND, "job_not_found"),
            AppError::JobNotCancellable { .. } => (StatusCode::CONFLICT, "job_not_cancellable"),
            AppError::Rollout(e) => {
                use crate::service::error::RolloutError;
                match e {
                    RolloutError::Unknown(_) => (StatusCode::NOT_FOUND, "unknown_rollout"),
                    RolloutError::Invalid(_) => (StatusCode::BAD_REQUEST, "bad_rollout"),
                    RolloutError::Conflict(_) => (StatusCode::CONFLICT, "rollout_conflict"),
                }
            }
            AppError::RequestNotFound(_) => (StatusCode::NOT_FOUND, "unknown_request"),
            AppError::NoAccounts => (StatusCode::SERVICE_UNAVAILABLE, "accounts_unavailable"),
            AppError::Storage(_) => (StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        match &self {
            AppError::Internal(detail) => tracing::error!(%detail, "internal error"),
            AppError::Storage(detail) => tracing::error!(%detail, "storage error"),
            _ => {}
        }
        let mut error = json!({ "code": code, "message": self.to_string() });
        if let AppError::Core(e) = &self {
            if let Some(field) = e.field() {
                error["field"] = field.into();
            }
        }
        if let AppError::Version(crate::service::versions::VersionError::Retired {
            id,
            replacement,
            migration,
            ..
        }) = &self
        {
            if let Some(replacement) = replacement {
                error["replacement"] = replacement.as_str().into();
                error["docs"] = format!("/docs/{id}/{replacement}").into();
            }
            if let Some(migration) = migration {
                error["hint"] = migration.as_str().into();
            }
        }
        if let AppError::Version(
            crate::service::versions::VersionError::BadRequirement { .. }
            | crate::service::versions::VersionError::UnknownVersion { .. },
        ) = &self
        {
            error["field"] = "contract".into();
            error["hint"] =
                "Name a listed version (GET /v1/contracts/{id}/versions), as 1.2.0 or 1.x, or leave the version out to use yours."
                    .into();
        }
        if let AppError::RequestNotFound(_) = &self {
            error["field"] = "request_id".into();
            error["hint"] = "Send the `x-request-id` of one of your answered requests (from `/v1/run` or the proxy)."
                .into();
        }
        if let AppError::BadField { field, .. } = &self {
            error["field"] = field.as_str().into();
        }
        if let AppError::QuotaExceeded(refusal) = &self {
            error["hint"] = refusal.hint.as_str().into();
            error["limit"] = refusal.metric.as_str().into();
            if let Some(wait) = refusal.retry_after {
                error["retry_after_ms"] = (wait.as_millis() as u64).into();
            }
        }
        let mut response = (status, Json(json!({ "error": error }))).into_response();
        let headers = response.headers_mut();
        match &self {
            AppError::MissingKey | AppError::InvalidKey => {
                headers.insert("www-authenticate", HeaderValue::from_static("Bearer"));
            }
            AppError::QuotaExceeded(refusal) => {
                quota_headers(headers, refusal);
            }
            _ => {}
        }
        response
    }
}

/// `retry-after`, `retry-after-ms` and `x-should-retry` of a quota
/// refusal: a per-minute allowance says when; a monthly one says retrying
/// cannot help.
pub(super) fn quota_headers(headers: &mut HeaderMap, refusal: &crate::service::quota::Refusal) {
    match refusal.retry_after {
        Some(wait) => {
            let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
            headers.insert("retry-after", HeaderValue::from(secs));
            headers.insert("retry-after-ms", HeaderValue::from(wait.as_millis() as u64));
            headers.insert("x-should-retry", HeaderValue::from_static("true"));
        }
        None => {
            headers.insert("x-should-retry", HeaderValue::from_static("false"));
        }
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
            ServiceError::Version(e) => AppError::Version(e),
            ServiceError::Rollout(e) => AppError::Rollout(e),
            ServiceError::Storage(detail) => AppError::Storage(detail),
            ServiceError::Internal(detail) => AppError::Internal(detail),
        }
    }
}

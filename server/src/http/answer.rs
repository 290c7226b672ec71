//! The answer of a run, as `/v1/run` and the jobs show it: the body of
//! an answered or failed run, its status, the retry headers, the plan and
//! the caller's quota, and Server-Sent Events out.

use crate::chat::Usage;
use crate::service::call::{Attempt, UserFailure};
use crate::service::quota::Standing;
use crate::service::run::{Answer, Execution};
use axum::http::{HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use prompt_preflight::{FailureClass, Payload, PlanKind, Report, RetryPolicy};
use serde::Serialize;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::mpsc;

/// The status a failure class answers with.
pub(super) fn status_of(class: FailureClass) -> StatusCode {
    match class {
        FailureClass::RateLimited | FailureClass::QuotaExceeded => StatusCode::TOO_MANY_REQUESTS,
        FailureClass::ContextTooLong
        | FailureClass::InvalidRequest
        | FailureClass::ContentFiltered => StatusCode::UNPROCESSABLE_ENTITY,
        FailureClass::ProviderUnavailable | FailureClass::ProviderQuotaExhausted => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        FailureClass::Timeout => StatusCode::GATEWAY_TIMEOUT,
        _ => StatusCode::BAD_GATEWAY,
    }
}

/// Whether retrying the same request can help, for `x-should-retry`.
pub(super) fn worth_retrying(class: FailureClass) -> bool {
    matches!(
        class.entry().retry,
        RetryPolicy::AfterHint | RetryPolicy::Backoff
    )
}

/// `retry-after` and `retry-after-ms` for a wait, and `x-should-retry`:
/// `false` when retrying cannot help, `true` when it can.
pub(super) fn retry_headers(response: &mut Response, class: FailureClass, wait: Option<Duration>) {
    let headers = response.headers_mut();
    if let Some(wait) = wait {
        if let Ok(v) = HeaderValue::from_str(&wait.as_secs_f64().ceil().to_string()) {
            headers.insert("retry-after", v);
        }
        if let Ok(v) = HeaderValue::from_str(&wait.as_millis().to_string()) {
            headers.insert("retry-after-ms", v);
        }
    }
    let retry = if worth_retrying(class) {
        "true"
    } else {
        "false"
    };
    headers.insert("x-should-retry", HeaderValue::from_static(retry));
}

/// Every attempt's tokens together.
pub(super) fn total_usage(attempts: &[Attempt]) -> Usage {
    attempts.iter().fold(Usage::default(), |sum, a| Usage {
        input: sum.input + a.usage.input,
        output: sum.output + a.usage.output,
        cached: sum.cached + a.usage.cached,
        counted_by_us: sum.counted_by_us || a.usage.counted_by_us,
    })
}

/// The plan of a run in parts, as the response shows it.
#[derive(Serialize, serde::Deserialize)]
pub(super) struct PlanView {
    pub(super) kind: PlanKind,
    pub(super) parts: usize,
    pub(super) requests: u64,
    pub(super) message: String,
}

/// A run that answered.
#[derive(Serialize)]
pub(super) struct RunResponse {
    pub(super) answer: Answer,
    pub(super) report: Report,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) payload: Option<Payload>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) plan: Option<PlanView>,
    pub(super) attempts: Vec<Attempt>,
    pub(super) usage: Usage,
    pub(super) summary: String,
    pub(super) quota: QuotaView,
}

/// A run the check refused, or whose model call failed: the documented
/// error body, with what the run knew.
#[derive(Serialize)]
pub(super) struct RunFailure {
    pub(super) error: ErrorBody,
    pub(super) report: Report,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) plan: Option<PlanView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) attempts: Vec<Attempt>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) usage: Option<Usage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) quota: Option<QuotaView>,
    /// Each issue code's entry in the docs.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub(super) issue_docs: std::collections::BTreeMap<String, String>,
}

#[derive(Serialize)]
pub(super) struct ErrorBody {
    pub(super) code: String,
    pub(super) message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) hint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) retry_after_ms: Option<u64>,
    /// The docs entry of the first blocking issue
    /// (`/docs/{id}/{version}#{code}`), when the check refused the input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) docs: Option<String>,
}

/// Where each issue code of `report` is explained: its entry in the
/// contract version's generated docs.
pub(super) fn issue_docs(report: &Report) -> std::collections::BTreeMap<String, String> {
    report
        .issues
        .iter()
        .map(|issue| {
            let code = issue.code.as_str();
            (code.to_owned(), issue_link(report, code))
        })
        .collect()
}

/// `/docs/{id}/{version}#{code}`.
pub(super) fn issue_link(report: &Report, code: &str) -> String {
    format!(
        "/docs/{}/{}#{code}",
        report.contract.id, report.contract.version
    )
}

/// The caller's quota as a run's answer shows it: what is left, and the
/// warnings from 80% of a monthly allowance.
#[derive(Serialize, Clone, Default)]
pub(super) struct QuotaView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) remaining_requests: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) remaining_tokens: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) warnings: Vec<String>,
}

impl QuotaView {
    pub(super) fn of(standing: &Standing) -> QuotaView {
        QuotaView {
            remaining_requests: standing.remaining_requests(),
            remaining_tokens: standing.remaining_tokens(),
            warnings: standing.warnings(),
        }
    }
}

/// A Server-Sent Events answer of what `events` receives, until it closes.
pub(super) fn sse_response(events: mpsc::UnboundedReceiver<Event>) -> Response {
    let stream = futures_util::stream::unfold(events, |mut events| async move {
        events
            .recv()
            .await
            .map(|event| (Ok::<_, Infallible>(event), events))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// The response body of a finished run, and its status.
pub(super) fn body_of(
    execution: Execution,
    report: Report,
    payload: Option<Payload>,
    plan: Option<PlanView>,
    quota: QuotaView,
) -> (StatusCode, serde_json::Value) {
    let usage = total_usage(&execution.attempts);
    match execution.result {
        Ok(answer) => (
            StatusCode::OK,
            serde_json::to_value(RunResponse {
                answer,
                report,
                payload,
                plan,
                attempts: execution.attempts,
                usage,
                summary: execution.summary,
                quota,
            })
            .unwrap_or_default(),
        ),
        Err(failed) => {
            let UserFailure {
                class,
                message,
                hint,
                retry_after_ms,
            } = failed.user;
            (
                status_of(class),
                serde_json::to_value(RunFailure {
                    error: ErrorBody {
                        code: class.as_str().into(),
                        message,
                        hint: Some(hint),
                        retry_after_ms,
                        docs: None,
                    },
                    issue_docs: Default::default(),
                    report,
                    plan,
                    attempts: execution.attempts,
                    usage: Some(usage),
                    summary: Some(execution.summary),
                    quota: Some(quota),
                })
                .unwrap_or_default(),
            )
        }
    }
}

pub(super) fn respond(
    execution: Execution,
    report: Report,
    payload: Option<Payload>,
    plan: Option<PlanView>,
    quota: QuotaView,
) -> Response {
    let failure = execution
        .result
        .as_ref()
        .err()
        .map(|f| (f.user.class, f.failed.failure.retry_after));
    let (status, body) = body_of(execution, report, payload, plan, quota);
    let mut response = (status, Json(body)).into_response();
    if let Some((class, wait)) = failure {
        retry_headers(&mut response, class, wait);
    }
    response
}

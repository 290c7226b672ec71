//! `POST /v1/run`: the final check, then the run (`service::run`): one
//! request, or, for a contract that allows it, an input too long for one
//! request answered in parts and combined. The answer comes with the
//! report, the payload or the plan, every attempt, and sentences saying
//! what happened. A failed call is one class in the core's words, never
//! the provider's raw text.
//!
//! With `Accept: text/event-stream` (or `?stream=true`) the run answers
//! Server-Sent Events as it works: `attempt`, `waiting` (with the wait
//! and the words for it), `fallback`, `part`, `delta` (the answer's text
//! as it streams), then one `done` with the whole response, or one
//! `error` with the error body. A stream never ends without one of them.
//!
//! The check and the run are shared with the OpenAI-compatible proxy
//! (`http/openai.rs`).

use super::extract::Submission;
use crate::chat::Usage;
use crate::service::call::{Attempt, UserFailure};
use crate::service::check::final_check;
use crate::service::events::{Events, RunEvent};
use crate::service::run::{execute, Answer, Execution, Request as RunRequest, Work};
use crate::{AppError, AppState};
use axum::extract::State;
use axum::http::header::ACCEPT;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use prompt_preflight::{Contract, FailureClass, Payload, PlanKind, Report, RetryPolicy};
use serde::Serialize;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// The status a failure class answers with.
pub(super) fn status_of(class: FailureClass) -> StatusCode {
    match class {
        FailureClass::RateLimited => StatusCode::TOO_MANY_REQUESTS,
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

/// Starts the run of `work` on a task, its events into `events`.
pub(super) fn spawn_run(
    state: &AppState,
    contract: Arc<Contract>,
    report: &Report,
    work: Work,
    stream: bool,
    events: Events,
) -> tokio::task::JoinHandle<Execution> {
    let runner = state.runner.clone();
    let max_tokens = report.tokens.output_reserved;
    tokio::spawn(async move {
        let execution = execute(
            &runner,
            RunRequest {
                contract: &contract,
                work,
                max_tokens,
                stream,
                events,
            },
        )
        .await;
        tracing::info!(contract = %contract.id, summary = %execution.summary, attempts = execution.attempts.len(), "run");
        execution
    })
}

/// Runs `work` to its end, with no events.
pub(super) async fn run_whole(
    state: &AppState,
    contract: Arc<Contract>,
    report: &Report,
    work: Work,
) -> Result<Execution, AppError> {
    let events = crate::service::events::ignore();
    spawn_run(state, contract, report, work, false, events)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Every attempt's tokens together.
pub(super) fn total_usage(attempts: &[Attempt]) -> Usage {
    attempts.iter().fold(Usage::default(), |sum, a| Usage {
        input: sum.input + a.usage.input,
        output: sum.output + a.usage.output,
        counted_by_us: sum.counted_by_us || a.usage.counted_by_us,
    })
}

/// The plan of a run in parts, as the response shows it.
#[derive(Serialize)]
struct PlanView {
    kind: PlanKind,
    parts: usize,
    requests: u64,
    message: String,
}

/// A run that answered.
#[derive(Serialize)]
struct RunResponse {
    answer: Answer,
    report: Report,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<Payload>,
    #[serde(skip_serializing_if = "Option::is_none")]
    plan: Option<PlanView>,
    attempts: Vec<Attempt>,
    usage: Usage,
    summary: String,
}

/// A run the check refused, or whose model call failed: the documented
/// error body, with what the run knew.
#[derive(Serialize)]
struct RunFailure {
    error: ErrorBody,
    report: Report,
    #[serde(skip_serializing_if = "Option::is_none")]
    plan: Option<PlanView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attempts: Vec<Attempt>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Usage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<String>,
}

#[derive(Serialize)]
struct ErrorBody {
    code: String,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after_ms: Option<u64>,
}

/// Whether the caller asked for a stream.
fn wants_stream(headers: &HeaderMap, uri: &Uri) -> bool {
    let accepts = headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"));
    let query = uri
        .query()
        .is_some_and(|q| q.split('&').any(|p| p == "stream=true" || p == "stream=1"));
    accepts || query
}

pub(super) async fn run(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    submission: Submission,
) -> Result<Response, AppError> {
    let stream = wants_stream(&headers, &uri);
    let contract = state.contract(&submission.contract)?;
    let checked = final_check(
        &state.counter,
        contract.clone(),
        submission.tier,
        submission.content,
        true,
    )
    .await?;
    let plan = checked.prepared.as_ref().map(|p| PlanView {
        kind: p.plan.kind,
        parts: p.parts.len(),
        requests: p.plan.requests,
        message: p.plan.message.clone(),
    });
    let Some(work) = checked.work.clone() else {
        let body = RunFailure {
            error: ErrorBody {
                code: "check_failed".into(),
                message: checked.refusal(),
                hint: None,
                retry_after_ms: None,
            },
            report: checked.report,
            plan,
            attempts: Vec::new(),
            usage: None,
            summary: None,
        };
        let mut response = (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response();
        response
            .headers_mut()
            .insert("x-should-retry", HeaderValue::from_static("false"));
        return Ok(response);
    };
    let payload = checked.payload;
    let report = checked.report;
    if !stream {
        let execution = run_whole(&state, contract, &report, work).await?;
        return Ok(respond(execution, report, payload, plan));
    }
    let (tx, rx) = mpsc::unbounded_channel::<Event>();
    let events_tx = tx.clone();
    let events: Events = Arc::new(move |event: RunEvent| {
        let _ = events_tx.send(sse_event(&event));
    });
    let task = spawn_run(&state, contract, &report, work, true, events);
    tokio::spawn(async move {
        let last = match task.await {
            Ok(execution) => {
                let failed = execution.result.is_err();
                let (_, body) = body_of(execution, report, payload, plan);
                let name = if failed { "error" } else { "done" };
                Event::default()
                    .event(name)
                    .data(serde_json::to_string(&body).unwrap_or_default())
            }
            Err(e) => Event::default().event("error").data(
                serde_json::json!({"error": {"code": "internal", "message": format!("The run stopped unexpectedly ({e}).")}})
                    .to_string(),
            ),
        };
        let _ = tx.send(last);
    });
    Ok(sse_response(rx))
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

/// One event as SSE: its `type` is the event name.
fn sse_event(event: &RunEvent) -> Event {
    let json = serde_json::to_value(event).unwrap_or_default();
    let name = json["type"].as_str().unwrap_or("message").to_owned();
    Event::default().event(name).data(json.to_string())
}

/// The response body of a finished run, and its status.
fn body_of(
    execution: Execution,
    report: Report,
    payload: Option<Payload>,
    plan: Option<PlanView>,
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
                    },
                    report,
                    plan,
                    attempts: execution.attempts,
                    usage: Some(usage),
                    summary: Some(execution.summary),
                })
                .unwrap_or_default(),
            )
        }
    }
}

fn respond(
    execution: Execution,
    report: Report,
    payload: Option<Payload>,
    plan: Option<PlanView>,
) -> Response {
    let failure = execution
        .result
        .as_ref()
        .err()
        .map(|f| (f.user.class, f.failed.failure.retry_after));
    let (status, body) = body_of(execution, report, payload, plan);
    let mut response = (status, Json(body)).into_response();
    if let Some((class, wait)) = failure {
        retry_headers(&mut response, class, wait);
    }
    response
}

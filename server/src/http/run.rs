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

use super::admit::{admit, content_to_record, ratelimit_headers, record_unrun, standing, tier_for};
use super::answer::{body_of, respond, sse_response, ErrorBody, PlanView, QuotaView, RunFailure};
use super::auth::Authed;
use super::extract::Submission;
use super::request_id::RequestId;
use crate::service::check::final_check;
use crate::service::events::{Events, RunEvent};
use crate::service::queue::JobRequest;
use crate::service::record::Metered;
use crate::service::run::{execute, Execution, Request as RunRequest, Work};
use crate::{AppError, AppState};
use axum::extract::{Extension, State};
use axum::http::header::ACCEPT;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use axum::Json;
use prompt_preflight::{Contract, Report};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;
use tracing::Instrument;

/// Starts the run of `work` on a task, its events into `events`. With
/// `metered`, every call is covered by the caller's quota, and the end
/// settles it with the usage record, on the task, so a caller that goes
/// away mid-run is still charged exactly what was used.
pub(super) fn spawn_run(
    state: &AppState,
    contract: Arc<Contract>,
    report: &Report,
    work: Work,
    stream: bool,
    events: Events,
    metered: Option<Metered>,
) -> tokio::task::JoinHandle<Execution> {
    let runner = state.runner.clone();
    let metrics = state.metrics.clone();
    let max_tokens = report.tokens.output_reserved;
    let span = tracing::Span::current();
    tokio::spawn(
        async move {
            let budget = metered
                .as_ref()
                .map(|m| m.ticket.clone() as Arc<dyn crate::service::budget::Budget>);
            let execution = execute(
                &runner,
                RunRequest {
                    contract: &contract,
                    work,
                    max_tokens,
                    stream,
                    events,
                    budget,
                },
            )
            .await;
            tracing::info!(contract = %contract.id, summary = %execution.summary, attempts = execution.attempts.len(), "run");
            metrics.attempts(&execution.attempts);
            if let Some(metered) = &metered {
                match metered.finish(&execution).await {
                    Ok(record) => metrics.record(&record),
                    // The sweeper releases the hold; the record is lost, so
                    // say so loudly.
                    Err(e) => tracing::error!(error = %e, request_id = %metered.record.request_id, "the run's usage was not settled"),
                }
            }
            execution
        }
        .instrument(span),
    )
}

/// Runs `work` to its end, with no events.
pub(super) async fn run_whole(
    state: &AppState,
    contract: Arc<Contract>,
    report: &Report,
    work: Work,
    metered: Option<Metered>,
) -> Result<Execution, AppError> {
    let events = crate::service::events::ignore();
    spawn_run(state, contract, report, work, false, events, metered)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Whether jobs wait in the queue (a database that fails says no: the run
/// goes ahead rather than fail on it).
async fn jobs_waiting(state: &AppState) -> bool {
    match &state.accounts {
        Some(accounts) => accounts
            .store
            .queue_depth()
            .await
            .is_ok_and(|(waiting, _)| waiting > 0),
        None => false,
    }
}

/// Whether the caller asked for a job rather than an answer
/// (`Prefer: respond-async`, RFC 7240).
fn prefers_async(headers: &HeaderMap) -> bool {
    headers.get_all("prefer").iter().any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|p| p.trim().eq_ignore_ascii_case("respond-async"))
        })
    })
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
    Extension(id): Extension<RequestId>,
    Authed(caller): Authed,
    headers: HeaderMap,
    uri: Uri,
    submission: Submission,
) -> Result<Response, AppError> {
    let resolved = super::version::resolve(&state, Some(&caller), &submission.contract).await?;
    let response = run_on(state, id, caller, headers, uri, submission, &resolved).await?;
    let mut response = with_contract_block(response, &resolved).await;
    super::version::headers(response.headers_mut(), &resolved);
    Ok(response)
}

/// Adds the `contract` block (the version, how it was chosen, a
/// deprecation warning, the upgrade there is) to a JSON answer, as
/// `/v1/check` has it. A stream carries it in its headers only.
async fn with_contract_block(
    response: Response,
    resolved: &crate::service::versions::Resolved,
) -> Response {
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    let block = serde_json::to_value(super::version::VersionView::of(resolved));
    match (serde_json::from_slice::<serde_json::Value>(&bytes), block) {
        (Ok(serde_json::Value::Object(mut map)), Ok(block)) => {
            map.insert("contract".to_owned(), block);
            let bytes = serde_json::to_vec(&map).unwrap_or_else(|_| bytes.to_vec());
            let mut parts = parts;
            parts.headers.remove(axum::http::header::CONTENT_LENGTH);
            Response::from_parts(parts, axum::body::Body::from(bytes))
        }
        _ => Response::from_parts(parts, axum::body::Body::from(bytes)),
    }
}

/// Runs `submission` on the resolved version of its contract.
async fn run_on(
    state: AppState,
    id: RequestId,
    caller: crate::store::Caller,
    headers: HeaderMap,
    uri: Uri,
    submission: Submission,
    resolved: &crate::service::versions::Resolved,
) -> Result<Response, AppError> {
    let started = Instant::now();
    let stream = wants_stream(&headers, &uri);
    let contract = resolved.contract.clone();
    let tier = tier_for(Some(&caller), submission.tier)?;
    let content = content_to_record(&state, &submission.content);
    let checked = final_check(
        &state.counter,
        contract.clone(),
        tier,
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
        record_unrun(
            &state,
            Some(&caller),
            &checked.report,
            "run",
            &id,
            content,
            started,
        )
        .await;
        let standing = standing(&state, &caller, &contract, &checked.report.tokens.tier).await;
        let body = RunFailure {
            error: ErrorBody {
                code: "check_failed".into(),
                message: checked.refusal(),
                hint: None,
                retry_after_ms: None,
                docs: checked
                    .report
                    .issues
                    .iter()
                    .find(|i| i.severity == prompt_preflight::Severity::Error)
                    .map(|i| super::answer::issue_link(&checked.report, i.code.as_str())),
            },
            issue_docs: super::answer::issue_docs(&checked.report),
            report: checked.report,
            plan,
            attempts: Vec::new(),
            usage: None,
            summary: None,
            quota: standing.as_ref().map(QuotaView::of),
        };
        let mut response = (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response();
        response
            .headers_mut()
            .insert("x-should-retry", HeaderValue::from_static("false"));
        if let Some(standing) = &standing {
            ratelimit_headers(response.headers_mut(), standing);
        }
        return Ok(response);
    };
    let metered = admit(
        &state, &caller, &contract, &checked, "run", &id, content, started,
    )
    .await?;
    let standing = metered.ticket.standing();
    let quota = QuotaView::of(&standing);
    let payload = checked.payload;
    let report = checked.report;
    // Queued rather than held open past the deadline, or refused, when our
    // limits for the provider have no room until then; or when asked. While
    // the provider is limited and jobs wait, a new run joins them rather
    // than pass them.
    let pace = state.runner.pace(&contract, report.tokens.total);
    let busy = pace.wait > state.runner.policy.deadline
        || (!pace.wait.is_zero() && jobs_waiting(&state).await);
    if prefers_async(&headers) || busy {
        let request = JobRequest {
            contract: contract.id.clone(),
            version: Some(contract.version.clone()),
            tier: report.tokens.tier.clone(),
            work,
            report,
            payload,
            plan: plan.and_then(|p| serde_json::to_value(p).ok()),
            record: metered.record.clone(),
        };
        let mut response = super::jobs::accept(&state, &id, &caller, &request, pace).await?;
        ratelimit_headers(response.headers_mut(), &standing);
        return Ok(response);
    }
    if !stream {
        let execution = run_whole(&state, contract, &report, work, Some(metered)).await?;
        let mut response = respond(execution, report, payload, plan, quota);
        ratelimit_headers(response.headers_mut(), &standing);
        return Ok(response);
    }
    let (tx, rx) = mpsc::unbounded_channel::<Event>();
    let events_tx = tx.clone();
    let events: Events = Arc::new(move |event: RunEvent| {
        let _ = events_tx.send(sse_event(&event));
    });
    let task = spawn_run(&state, contract, &report, work, true, events, Some(metered));
    tokio::spawn(async move {
        let last = match task.await {
            Ok(execution) => {
                let failed = execution.result.is_err();
                let (_, body) = body_of(execution, report, payload, plan, quota);
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
    let mut response = sse_response(rx);
    ratelimit_headers(response.headers_mut(), &standing);
    Ok(response)
}

/// One event as SSE: its `type` is the event name.
fn sse_event(event: &RunEvent) -> Event {
    let json = serde_json::to_value(event).unwrap_or_default();
    let name = json["type"].as_str().unwrap_or("message").to_owned();
    Event::default().event(name).data(json.to_string())
}

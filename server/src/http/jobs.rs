//! Jobs: `POST /v1/run` with `Prefer: respond-async` answers `202` with a
//! job (its id is the request's id), its position and an ETA.
//! `GET /v1/jobs/{id}` gives its status and, when done, the result (the
//! body `/v1/run` answers); `GET /v1/jobs/{id}/events` streams the same as
//! Server-Sent Events (`status` while it waits or runs, then one `done`);
//! `DELETE /v1/jobs/{id}` cancels a job still queued. A user sees only their
//! own jobs: another's is a 404, as if it did not exist.

use super::answer::{body_of, sse_response, PlanView, QuotaView};
use super::auth::Authed;
use super::request_id::RequestId;
use crate::service::limits::Pace;
use crate::service::queue::{JobRequest, JobView, Render};
use crate::store::{job_state, Caller};
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Stores an admitted run as a job and answers 202.
pub(super) async fn accept(
    state: &AppState,
    id: &RequestId,
    caller: &Caller,
    request: &JobRequest,
    pace: Pace,
) -> Result<Response, AppError> {
    let accounts = state.accounts.as_ref().ok_or(AppError::NoAccounts)?;
    let view = accounts
        .queue
        .submit(&id.0, &caller.user_id, request, pace)
        .await?;
    let mut response = (StatusCode::ACCEPTED, Json(Accepted::of(view))).into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("/v1/jobs/{}", id.0)) {
        headers.insert("location", v);
    }
    headers.insert(
        "preference-applied",
        HeaderValue::from_static("respond-async"),
    );
    Ok(response)
}

#[derive(serde::Serialize)]
struct Accepted {
    job: JobView,
    /// The words for it: where it stands and when it should start.
    message: String,
    links: Links,
}

#[derive(serde::Serialize)]
struct Links {
    #[serde(rename = "self")]
    this: String,
    events: String,
}

impl Accepted {
    fn of(job: JobView) -> Accepted {
        let this = format!("/v1/jobs/{}", job.id);
        let message = prompt_preflight::messages::failure::queued(
            job.position.unwrap_or(0).max(0) as u64,
            job.eta_ms.unwrap_or(0),
        );
        Accepted {
            message,
            links: Links {
                events: format!("{this}/events"),
                this,
            },
            job,
        }
    }
}

async fn find(state: &AppState, caller: &Caller, id: &str) -> Result<JobView, AppError> {
    let accounts = state.accounts.as_ref().ok_or(AppError::NoAccounts)?;
    match accounts.store.job(id, &caller.user_id).await? {
        Some(job) => {
            let pace = state
                .registry()
                .get(&job.contract_id)
                .map_or(Pace::default(), |c| state.runner.pace(c, 0));
            Ok(accounts.queue.view(job, pace).await?)
        }
        None => Err(AppError::JobNotFound(id.to_owned())),
    }
}

pub(super) async fn show(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
) -> Result<Json<JobView>, AppError> {
    find(&state, &caller, &id).await.map(Json)
}

pub(super) async fn cancel(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
) -> Result<Json<JobView>, AppError> {
    let accounts = state.accounts.as_ref().ok_or(AppError::NoAccounts)?;
    let view = find(&state, &caller, &id).await?;
    if !accounts.store.cancel(&id, &caller.user_id).await? {
        return Err(AppError::JobNotCancellable {
            id,
            status: view.status,
        });
    }
    find(&state, &caller, &id).await.map(Json)
}

pub(super) async fn events(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let first = find(&state, &caller, &id).await?;
    let (tx, rx) = mpsc::unbounded_channel::<Event>();
    tokio::spawn(async move {
        let mut last: Option<(String, Option<i64>)> = None;
        let mut view = first;
        loop {
            let finished = view.status == job_state::DONE || view.status == job_state::CANCELLED;
            let key = (view.status.clone(), view.position);
            let data = serde_json::to_string(&view).unwrap_or_default();
            if finished {
                let _ = tx.send(Event::default().event("done").data(data));
                return;
            }
            if last.as_ref() != Some(&key) {
                if tx
                    .send(Event::default().event("status").data(data))
                    .is_err()
                {
                    return;
                }
                last = Some(key);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
            view = match find(&state, &caller, &id).await {
                Ok(v) => v,
                Err(_) => return,
            };
        }
    });
    Ok(sse_response(rx))
}

/// How a worker turns a finished run into the body `/v1/run` answers.
pub(super) fn render() -> Render {
    Arc::new(|execution, request: &JobRequest| {
        let plan = request
            .plan
            .clone()
            .and_then(|v| serde_json::from_value::<PlanView>(v).ok());
        let (status, body) = body_of(
            execution,
            request.report.clone(),
            request.payload.clone(),
            plan,
            QuotaView::default(),
        );
        (status.as_u16(), body)
    })
}

/// Starts the queue's workers for `state` (the server does at start;
/// tests that use jobs call it).
pub fn start_workers(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    match &state.accounts {
        Some(accounts) => accounts.queue.spawn_workers(
            state.contracts.clone(),
            state.runner.clone(),
            state.metrics.clone(),
            render(),
        ),
        None => Vec::new(),
    }
}

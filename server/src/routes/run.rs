//! `POST /v1/run`: the final check, then the model call with recovery
//! (`service::run`), answered with the answer, the report, the payload, the
//! attempts and a sentence saying what happened. A failed call is one
//! class in the core's words, never the provider's raw text.
//!
//! The check and the call are shared with the OpenAI-compatible proxy
//! (`routes/openai.rs`).

use super::submission::{Content, Submission};
use crate::chat::{ChatAnswer, ChatRequest};
use crate::service::run::{run as run_call, Attempt, UserFailure};
use crate::{AppError, AppState, Provider};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use prompt_preflight::{Contract, FailureClass, Payload, Report, RetryPolicy};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// The final check of an input: the report, and the payload when it passed.
pub(super) struct Checked {
    pub report: Report,
    pub payload: Option<Payload>,
}

impl Checked {
    /// Checks `content` against `contract` off the async workers (parsing
    /// and tokenizing are CPU-bound).
    pub async fn of(
        contract: Arc<Contract>,
        tier: Option<String>,
        content: Content,
    ) -> Result<Checked, AppError> {
        tokio::task::spawn_blocking(move || {
            let checked = prompt_preflight::check(&contract, tier.as_deref(), &content.input())?;
            let payload = checked.payload(&contract);
            Ok::<_, AppError>(Checked {
                report: checked.report,
                payload,
            })
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
    }
}

/// A model call that answered.
pub(super) struct Called {
    pub answer: ChatAnswer,
    pub attempts: Vec<Attempt>,
    pub summary: String,
}

/// A model call that failed, as the caller is told.
pub(super) struct RunError {
    pub status: StatusCode,
    pub user: UserFailure,
    pub retry_after: Option<Duration>,
    pub summary: String,
    pub attempts: Vec<Attempt>,
}

/// The status a failure class answers with.
fn status_of(class: FailureClass) -> StatusCode {
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

/// Asks the contract's provider (or the dry run) for the payload, with the
/// server's recovery policy.
pub(super) async fn call_model(
    state: &AppState,
    contract: &Contract,
    report: &Report,
    payload: &Payload,
) -> Result<Called, RunError> {
    let provider = contract
        .model
        .info()
        .map(|m| m.provider)
        .unwrap_or(Provider::Openai);
    let chat = state.chat_for(provider);
    let call = ChatRequest {
        model: payload.model.clone(),
        messages: payload.messages.clone(),
        max_tokens: report.tokens.output_reserved,
    };
    let outcome = run_call(chat.as_ref(), call, state.run_policy, tokio::time::sleep).await;
    tracing::info!(contract = %contract.id, summary = %outcome.summary, attempts = outcome.attempts.len(), "model call");
    let user = outcome.user_failure();
    match (outcome.result, user) {
        (Ok(answer), _) => Ok(Called {
            answer,
            attempts: outcome.attempts,
            summary: outcome.summary,
        }),
        (Err(failed), user) => {
            let user = user.unwrap_or_else(|| UserFailure {
                class: failed.class,
                message: failed.class.entry().message.to_owned(),
                hint: failed.class.entry().hint.to_owned(),
                retry_after_ms: None,
            });
            Err(RunError {
                status: status_of(failed.class),
                user,
                retry_after: failed.retry_after,
                summary: outcome.summary,
                attempts: outcome.attempts,
            })
        }
    }
}

/// `retry-after` and `retry-after-ms` for a wait, and `x-should-retry:
/// false` when retrying cannot help.
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
    if !worth_retrying(class) {
        headers.insert("x-should-retry", HeaderValue::from_static("false"));
    }
}

/// A run that reached the model (or the dry run).
#[derive(Serialize)]
struct RunResponse {
    answer: ChatAnswer,
    report: Report,
    payload: Payload,
    attempts: Vec<Attempt>,
    summary: String,
}

/// A run the check refused, or whose model call failed: the documented
/// error body, with what the run knew.
#[derive(Serialize)]
struct RunFailure {
    error: ErrorBody,
    report: Report,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attempts: Vec<Attempt>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<String>,
}

#[derive(Serialize)]
struct ErrorBody {
    code: String,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<String>,
}

pub(super) async fn run(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, AppError> {
    let submission = Submission::read(&state, request, false).await?;
    let contract = state
        .registry
        .get(&submission.contract)
        .cloned()
        .ok_or(AppError::UnknownContract(submission.contract))?;
    let checked = Checked::of(contract.clone(), submission.tier, submission.content).await?;
    let report = checked.report;
    let Some(payload) = checked.payload else {
        let body = RunFailure {
            error: ErrorBody {
                code: "check_failed".into(),
                message: report.verdict.message.clone(),
                hint: None,
            },
            report,
            attempts: Vec::new(),
            summary: None,
        };
        let mut response = (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response();
        response
            .headers_mut()
            .insert("x-should-retry", HeaderValue::from_static("false"));
        return Ok(response);
    };
    match call_model(&state, &contract, &report, &payload).await {
        Ok(called) => Ok(Json(RunResponse {
            answer: called.answer,
            report,
            payload,
            attempts: called.attempts,
            summary: called.summary,
        })
        .into_response()),
        Err(failed) => {
            let class = failed.user.class;
            let body = RunFailure {
                error: ErrorBody {
                    code: class.as_str().into(),
                    message: failed.user.message,
                    hint: Some(failed.user.hint),
                },
                report,
                attempts: failed.attempts,
                summary: Some(failed.summary),
            };
            let mut response = (failed.status, Json(body)).into_response();
            retry_headers(&mut response, class, failed.retry_after);
            Ok(response)
        }
    }
}

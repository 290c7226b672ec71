//! `POST /v1/run`: the final check, then the model call with recovery
//! (`service::run`), answered with the answer, the report, the payload, the
//! attempts and a sentence saying what happened. A failed call is one
//! class in the core's words, never the provider's raw text.

use super::submission::Submission;
use crate::service::run::{run as run_call, Attempt, UserFailure};
use crate::{chat::ChatAnswer, chat::ChatRequest, AppError, AppState};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use prompt_preflight::{FailureClass, Payload, Report, RetryPolicy};
use serde::Serialize;

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
    let blocking_contract = contract.clone();
    let (tier, content) = (submission.tier, submission.content);
    // Parsing and tokenizing are CPU-bound: off the async workers.
    let checked = tokio::task::spawn_blocking(move || {
        prompt_preflight::check(&blocking_contract, tier.as_deref(), &content.input())
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;
    let Some(payload) = checked.payload(&contract) else {
        let report = checked.report;
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
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            [(
                HeaderName::from_static("x-should-retry"),
                HeaderValue::from_static("false"),
            )],
            Json(body),
        )
            .into_response());
    };
    let report = checked.report;
    let chat = state.chat_for(
        contract
            .model
            .info()
            .map(|m| m.provider)
            .unwrap_or(crate::Provider::Openai),
    );
    let call = ChatRequest {
        model: payload.model.clone(),
        messages: payload.messages.clone(),
        max_tokens: report.tokens.output_reserved,
    };
    let outcome = run_call(chat.as_ref(), call, state.run_policy, tokio::time::sleep).await;
    tracing::info!(contract = %contract.id, summary = %outcome.summary, attempts = outcome.attempts.len(), "run");
    let failure: Option<UserFailure> = outcome.user_failure();
    match (outcome.result, failure) {
        (Ok(answer), _) => Ok(Json(RunResponse {
            answer,
            report,
            payload,
            attempts: outcome.attempts,
            summary: outcome.summary,
        })
        .into_response()),
        (Err(failed), Some(user)) => {
            let mut response = (
                status_of(failed.class),
                Json(RunFailure {
                    error: ErrorBody {
                        code: user.class.as_str().into(),
                        message: user.message,
                        hint: Some(user.hint),
                    },
                    report,
                    attempts: outcome.attempts,
                    summary: Some(outcome.summary),
                }),
            )
                .into_response();
            let headers = response.headers_mut();
            if let Some(wait) = failed.retry_after {
                let value = |v: String| HeaderValue::from_str(&v).ok();
                if let Some(v) = value(wait.as_secs_f64().ceil().to_string()) {
                    headers.insert("retry-after", v);
                }
                if let Some(v) = value(wait.as_millis().to_string()) {
                    headers.insert("retry-after-ms", v);
                }
            }
            if matches!(
                failed.class.entry().retry,
                RetryPolicy::Never | RetryPolicy::Recover
            ) {
                headers.insert("x-should-retry", HeaderValue::from_static("false"));
            }
            Ok(response)
        }
        (Err(failed), None) => Err(AppError::Internal(failed.detail)),
    }
}

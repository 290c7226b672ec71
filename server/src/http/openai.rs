//! `POST /v1/chat/completions`: an OpenAI-compatible proxy, so an existing
//! OpenAI SDK client gets the preflight by changing its `base_url`.
//!
//! - `model` names a contract: `customer-list`, or `customer-list@1.0.0`.
//! - The last user message is the contract's input; the contract's own
//!   system prompt and template are what the model gets.
//! - Input the check refuses is a 400 in OpenAI's error shape, whose `code`
//!   is the first error's issue code, with the whole report beside it.
//! - `stream: true` answers Server-Sent Events ending in `data: [DONE]`.
//!   The answer is sent once the model has given it whole (the upstream
//!   call is not streamed yet), as one content chunk.
//! - It needs an API key (`Authorization: Bearer`, as the SDKs send it);
//!   the request runs on the key's tier, and `x-preflight-tier`, when
//!   sent, must name that tier.

use super::admit::{admit, content_to_record, ratelimit_headers, record_unrun, tier_for};
use super::answer::{retry_headers, sse_response, status_of, total_usage};
use super::auth::Authed;
use super::error::quota_headers;
use super::request_id::RequestId;
use super::run::{run_whole, spawn_run};
use crate::service::check::{final_check, Content};
use crate::service::events::{Events, RunEvent};
use crate::service::run::Execution;
use crate::{AppError, AppState};
use axum::body::Bytes;
use axum::extract::{Extension, FromRequest, FromRequestParts, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use axum::Json;
use prompt_preflight::{Contract, Report, Severity};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;

/// An answer in OpenAI's error shape, with what else the caller may use.
fn openai_error(
    status: StatusCode,
    kind: &str,
    code: &str,
    message: &str,
    extra: Value,
) -> Response {
    let mut body =
        json!({"error": {"message": message, "type": kind, "param": null, "code": code}});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let mut response = (status, Json(body)).into_response();
    // The check's refusals and malformed requests fail again as they are.
    if status.is_client_error() {
        response
            .headers_mut()
            .insert("x-should-retry", HeaderValue::from_static("false"));
    }
    response
}

/// The text of a message's content: a string, or text parts.
fn text_of(content: &Value) -> Option<String> {
    match content {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => Some(
            parts
                .iter()
                .filter(|p| p["type"] == "text")
                .filter_map(|p| p["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        _ => None,
    }
}

/// An error of ours in OpenAI's shape (the SDKs read `error.message`),
/// with its status and retry headers.
fn as_openai(error: AppError) -> Response {
    let (status, code) = error.status_and_code();
    let kind = match status.as_u16() {
        401 => "authentication_error",
        403 => "permission_error",
        429 => "rate_limit_error",
        500..=599 => "server_error",
        _ => "invalid_request_error",
    };
    let mut extra = json!({});
    if let AppError::QuotaExceeded(refusal) = &error {
        extra = json!({"preflight": {"limit": refusal.metric.as_str(), "hint": refusal.hint}});
    }
    let mut response = openai_error(status, kind, code, &error.to_string(), extra);
    if let AppError::QuotaExceeded(refusal) = &error {
        quota_headers(response.headers_mut(), refusal);
    }
    response
}

pub(super) async fn chat_completions(
    State(state): State<AppState>,
    Extension(request_id): Extension<RequestId>,
    request: Request,
) -> Result<Response, AppError> {
    let started = Instant::now();
    let (mut parts, body) = request.into_parts();
    let caller = match Authed::from_request_parts(&mut parts, &state).await {
        Ok(Authed(caller)) => caller,
        Err(error) => return Ok(as_openai(error)),
    };
    let request = Request::from_parts(parts, body);
    let headers = request.headers().clone();
    let body = match Bytes::from_request(request, &state).await {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let too_large = AppError::TooLarge(super::MAX_BODY_BYTES);
            return Ok(openai_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request_error",
                "request_too_large",
                &format!(
                    "{}. Send a shorter input, or split it into parts.",
                    capitalised(&too_large.to_string())
                ),
                json!({}),
            ));
        }
        Err(rejection) => return Err(AppError::BadRequest(rejection.body_text())),
    };
    let bad = |message: &str| {
        openai_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "invalid_request",
            message,
            json!({}),
        )
    };
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return Ok(bad("The body is not valid JSON."));
    };
    let Some(model) = request["model"].as_str() else {
        return Ok(bad("`model` is required: the id of a contract, e.g. customer-list (or customer-list@1.0.0)."));
    };
    let resolved = match super::version::resolve(&state, Some(&caller), model).await {
        Ok(resolved) => resolved,
        Err(AppError::UnknownContract(_)) => {
            return Ok(openai_error(
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                "model_not_found",
                &format!("There is no contract `{model}` here: `model` names a contract (GET /v1/contracts lists them)."),
                json!({}),
            ))
        }
        Err(AppError::Version(crate::service::versions::VersionError::UnknownVersion {
            id,
            asked,
            available,
        })) => {
            return Ok(openai_error(
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                "model_not_found",
                &format!("The contract `{id}` has no version {asked} here: it has {available}."),
                json!({}),
            ))
        }
        Err(error) => return Ok(as_openai(error)),
    };
    let answered: Result<Response, AppError> = async {
        let contract = resolved.contract.clone();
        let Some(input) = request["messages"]
            .as_array()
            .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
            .and_then(|m| text_of(&m["content"]))
        else {
            return Ok(bad(
                "`messages` needs a user message: its text is the contract's input.",
            ));
        };
        let asked = headers
            .get("x-preflight-tier")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let tier = match tier_for(Some(&caller), asked) {
            Ok(tier) => tier,
            Err(error) => return Ok(as_openai(error)),
        };
        let content = Content::Text(input);
        let recorded = content_to_record(&state, &content);
        let stream = request["stream"].as_bool().unwrap_or(false);
        let include_usage = request["stream_options"]["include_usage"]
            .as_bool()
            .unwrap_or(false);

        let checked = final_check(&state.counter, contract.clone(), tier, content, true).await?;
        let Some(work) = checked.work.clone() else {
            let report = &checked.report;
            record_unrun(
                &state,
                Some(&caller),
                report,
                "chat_completions",
                &request_id,
                recorded,
                started,
            )
            .await;
            let first = report.issues.iter().find(|i| i.severity == Severity::Error);
            let code = first.map_or("check_failed", |i| i.code.as_str());
            let message = match first {
                Some(issue) => format!("{} {} {}", checked.refusal(), issue.message, issue.hint),
                None => checked.refusal(),
            };
            return Ok(openai_error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                code,
                &message,
                json!({
                    "report": report,
                    "docs": first.map(|i| super::answer::issue_link(report, i.code.as_str())),
                    "issue_docs": super::answer::issue_docs(report),
                }),
            ));
        };
        let metered = match admit(
            &state,
            &caller,
            &contract,
            &checked,
            "chat_completions",
            &request_id,
            recorded,
            started,
        )
        .await
        {
            Ok(metered) => metered,
            Err(error) => return Ok(as_openai(error)),
        };
        let standing = metered.ticket.standing();
        let report = checked.report;
        let reply = Reply {
            id: format!("chatcmpl-preflight-{}", now()),
            created: now(),
            contract: contract.clone(),
            report: report.clone(),
        };
        if !stream {
            let execution = run_whole(&state, contract, &report, work, Some(metered)).await?;
            let mut response = reply.whole(execution);
            ratelimit_headers(response.headers_mut(), &standing);
            return Ok(response);
        }
        let (tx, mut rx) = mpsc::unbounded_channel::<RunEvent>();
        let events: Events = Arc::new(move |event| {
            let _ = tx.send(event);
        });
        let task = spawn_run(&state, contract, &report, work, true, events, Some(metered));
        // Nothing is sent until the answer's first text: a failure before it
        // is a plain error answer with its status (which the SDKs raise as
        // the right exception), and the fallbacks may still take over.
        let first = loop {
            match rx.recv().await {
                Some(RunEvent::Delta { text }) => break Some(text),
                Some(_) => continue,
                None => break None,
            }
        };
        let Some(first) = first else {
            let execution = task.await.map_err(|e| AppError::Internal(e.to_string()))?;
            let mut response = reply.whole(execution);
            ratelimit_headers(response.headers_mut(), &standing);
            return Ok(response);
        };
        let (out, body) = mpsc::unbounded_channel::<Event>();
        tokio::spawn(async move {
            let model = reply.contract.model.name.clone();
            let _ = out.send(reply.chunk(
                &model,
                json!({"role": "assistant", "content": ""}),
                Value::Null,
            ));
            let _ = out.send(reply.chunk(&model, json!({"content": first}), Value::Null));
            while let Some(event) = rx.recv().await {
                if let RunEvent::Delta { text } = event {
                    let _ = out.send(reply.chunk(&model, json!({"content": text}), Value::Null));
                }
            }
            let execution = match task.await {
                Ok(execution) => execution,
                Err(e) => {
                    let error = json!({"error": {"message": format!("The run stopped unexpectedly ({e})."), "type": "server_error", "param": null, "code": "internal"}});
                    let _ = out.send(Event::default().event("error").data(error.to_string()));
                    return;
                }
            };
            let usage = total_usage(&execution.attempts);
            match execution.result {
                Ok(answer) => {
                    let finish = if answer.truncated { "length" } else { "stop" };
                    let _ = out.send(reply.chunk(&answer.model, json!({}), json!(finish)));
                    if include_usage {
                        let usage = json!({"id": reply.id, "object": "chat.completion.chunk", "created": reply.created, "model": answer.model, "choices": [], "usage": openai_usage(usage)});
                        let _ = out.send(Event::default().data(usage.to_string()));
                    }
                    let _ = out.send(Event::default().data("[DONE]"));
                }
                Err(failed) => {
                    // Mid-stream: the SDKs raise an `error` event; no [DONE],
                    // so nothing mistakes the cut answer for a whole one.
                    let error = json!({"error": {
                        "message": format!("{} {}", failed.user.message, failed.user.hint),
                        "type": "server_error", "param": null, "code": failed.user.class.as_str(),
                    }, "preflight": {"summary": execution.summary, "attempts": execution.attempts}});
                    let _ = out.send(Event::default().event("error").data(error.to_string()));
                }
            }
        });
        let mut response = sse_response(body);
        ratelimit_headers(response.headers_mut(), &standing);
        Ok(response)
    }
    .await;
    let mut response = answered?;
    super::version::headers(response.headers_mut(), &resolved);
    Ok(response)
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn openai_usage(usage: crate::chat::Usage) -> Value {
    json!({
        "prompt_tokens": usage.input,
        "completion_tokens": usage.output,
        "total_tokens": usage.input + usage.output,
    })
}

/// What every answer of one proxied request shares.
struct Reply {
    id: String,
    created: u64,
    contract: Arc<Contract>,
    report: Report,
}

impl Reply {
    /// One `chat.completion.chunk` event.
    fn chunk(&self, model: &str, delta: Value, finish: Value) -> Event {
        let chunk = json!({"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": null}]});
        Event::default().data(chunk.to_string())
    }

    /// A whole answer: a `chat.completion`, or the failure in OpenAI's
    /// error shape with its status and retry headers.
    fn whole(self, execution: Execution) -> Response {
        let usage = total_usage(&execution.attempts);
        match execution.result {
            Ok(answer) => {
                let finish = if answer.truncated { "length" } else { "stop" };
                Json(json!({
                    "id": self.id, "object": "chat.completion", "created": self.created, "model": answer.model,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text}, "finish_reason": finish, "logprobs": null}],
                    "usage": openai_usage(usage),
                    "preflight": {
                        "contract": {"id": self.contract.id, "version": self.contract.version},
                        "dry_run": answer.dry_run,
                        "output": answer.output,
                        "summary": execution.summary,
                        "attempts": execution.attempts,
                        "tokens": self.report.tokens,
                    },
                }))
                .into_response()
            }
            Err(failed) => {
                let class = failed.user.class;
                let status = status_of(class);
                let kind = match status.as_u16() {
                    429 => "rate_limit_error",
                    500..=599 => "server_error",
                    _ => "invalid_request_error",
                };
                let mut response = openai_error(
                    status,
                    kind,
                    class.as_str(),
                    &format!("{} {}", failed.user.message, failed.user.hint),
                    json!({"preflight": {"summary": execution.summary, "attempts": execution.attempts, "usage": usage}}),
                );
                retry_headers(&mut response, class, failed.failed.failure.retry_after);
                response
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::text_of;
    use serde_json::json;

    #[test]
    fn content_is_a_string_or_text_parts() {
        assert_eq!(text_of(&json!("Hello")).as_deref(), Some("Hello"));
        let parts = json!([{"type": "text", "text": "a"}, {"type": "image_url"}, {"type": "text", "text": "b"}]);
        assert_eq!(text_of(&parts).as_deref(), Some("a\nb"));
        assert_eq!(text_of(&json!(3)), None);
    }
}

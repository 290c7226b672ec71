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
//! - The tier is the contract's default, or the `x-preflight-tier` header.

use super::run::{call_model, retry_headers, Checked, RunError};
use super::submission::Content;
use crate::{AppError, AppState};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use prompt_preflight::Severity;
use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};

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
    if status.is_client_error() && status != StatusCode::TOO_MANY_REQUESTS {
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

pub(super) async fn chat_completions(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
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
    let (id, version) = match model.split_once('@') {
        Some((id, version)) => (id, Some(version)),
        None => (model, None),
    };
    let contract = match state.registry.get(id) {
        Some(contract) if version.is_none_or(|v| v == contract.version) => contract.clone(),
        _ => {
            return Ok(openai_error(
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                "model_not_found",
                &format!("There is no contract `{model}` here: `model` names a contract (GET /v1/contracts lists them)."),
                json!({}),
            ))
        }
    };
    let Some(input) = request["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| text_of(&m["content"]))
    else {
        return Ok(bad(
            "`messages` needs a user message: its text is the contract's input.",
        ));
    };
    let tier = headers
        .get("x-preflight-tier")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let stream = request["stream"].as_bool().unwrap_or(false);
    let include_usage = request["stream_options"]["include_usage"]
        .as_bool()
        .unwrap_or(false);

    let checked = Checked::of(contract.clone(), tier, Content::Text(input)).await?;
    let Some(payload) = checked.payload else {
        let report = checked.report;
        let first = report.issues.iter().find(|i| i.severity == Severity::Error);
        let code = first.map_or("check_failed", |i| i.code.as_str());
        let message = match first {
            Some(issue) => format!(
                "{} {} {}",
                report.verdict.message, issue.message, issue.hint
            ),
            None => report.verdict.message.clone(),
        };
        return Ok(openai_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            code,
            &message,
            json!({"report": report}),
        ));
    };
    let report = checked.report;
    let called = match call_model(&state, &contract, &report, &payload).await {
        Ok(called) => called,
        Err(RunError {
            status,
            user,
            retry_after,
            summary,
            attempts,
        }) => {
            let kind = match status.as_u16() {
                429 => "rate_limit_error",
                500..=599 => "server_error",
                _ => "invalid_request_error",
            };
            let mut response = openai_error(
                status,
                kind,
                user.class.as_str(),
                &format!("{} {}", user.message, user.hint),
                json!({"preflight": {"summary": summary, "attempts": attempts}}),
            );
            response.headers_mut().remove("x-should-retry");
            retry_headers(&mut response, user.class, retry_after);
            return Ok(response);
        }
    };
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let id = format!("chatcmpl-preflight-{created}");
    let answer = &called.answer;
    let usage = json!({
        "prompt_tokens": answer.usage.input,
        "completion_tokens": answer.usage.output,
        "total_tokens": answer.usage.input + answer.usage.output,
    });
    let preflight = json!({
        "contract": {"id": contract.id, "version": contract.version},
        "dry_run": answer.dry_run,
        "summary": called.summary,
        "attempts": called.attempts,
        "tokens": report.tokens,
    });
    if !stream {
        return Ok(Json(json!({
            "id": id, "object": "chat.completion", "created": created, "model": answer.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text}, "finish_reason": "stop", "logprobs": null}],
            "usage": usage,
            "preflight": preflight,
        }))
        .into_response());
    }
    let chunk = |delta: Value, finish: Value| {
        json!({"id": id, "object": "chat.completion.chunk", "created": created, "model": answer.model,
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": null}]})
    };
    let mut events = vec![
        chunk(json!({"role": "assistant", "content": ""}), Value::Null),
        chunk(json!({"content": answer.text}), Value::Null),
        chunk(json!({}), json!("stop")),
    ];
    if include_usage {
        events.push(json!({"id": id, "object": "chat.completion.chunk", "created": created, "model": answer.model, "choices": [], "usage": usage}));
    }
    let mut sse = String::new();
    for event in events {
        sse.push_str(&format!("data: {event}\n\n"));
    }
    sse.push_str("data: [DONE]\n\n");
    Ok((
        [
            ("content-type", "text/event-stream"),
            ("cache-control", "no-cache"),
        ],
        sse,
    )
        .into_response())
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

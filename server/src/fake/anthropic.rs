//! The fake `POST /v1/messages/count_tokens`, with Anthropic's errors:
//! `{"type": "error", "error": {"type", "message"}, "request_id"}`.

use super::chat;
use super::{answer, o200k, parse_json, scale, Key, RequestLog, RETRY_AFTER, SLOW_DELAY};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};
use std::sync::atomic::{AtomicU64, Ordering};

/// The `anthropic-version` values accepted.
const VERSIONS: [&str; 2] = ["2023-06-01", "2023-01-01"];

/// The top-level fields `count_tokens` takes; any other is refused.
const FIELDS: [&str; 7] = [
    "model",
    "messages",
    "system",
    "tools",
    "tool_choice",
    "thinking",
    "mcp_servers",
];

/// Anthropic's count for `n` o200k tokens: `ceil(1.15 × n) + 5`.
pub(super) fn tokens(n: u64) -> u64 {
    scale(n, 115) + 5
}

/// An error answer in Anthropic's format, with a `request-id`.
pub(super) fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let id = format!("req_fake{:016}", NEXT.fetch_add(1, Ordering::Relaxed));
    let mut response = answer(
        status,
        json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": id}),
    );
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("request-id", value);
    }
    response
}

fn invalid(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, "invalid_request_error", message)
}

/// The checks every endpoint makes first: the key, the version header,
/// and the keys that make every request fail or stall.
async fn gate(headers: &HeaderMap) -> Result<(), Response> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match Key::classify(header("x-api-key")) {
        Key::Missing => {
            return Err(error(
                StatusCode::UNAUTHORIZED,
                "authentication_error",
                "x-api-key header is required",
            ))
        }
        Key::Invalid => {
            return Err(error(
                StatusCode::UNAUTHORIZED,
                "authentication_error",
                "invalid x-api-key",
            ))
        }
        _ => {}
    }
    match header("anthropic-version") {
        None => return Err(invalid("anthropic-version: header is required")),
        Some(v) if !VERSIONS.contains(&v) => {
            return Err(invalid(&format!(
                "anthropic-version: \"{v}\" is not a valid version"
            )))
        }
        Some(_) => {}
    }
    match Key::classify(header("x-api-key")) {
        Key::RateLimited => {
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_error",
                "Number of requests has exceeded your per-minute rate limit \
                 (https://docs.claude.com/en/api/rate-limits); see the response headers \
                 for current usage. Please try again later.",
            );
            response
                .headers_mut()
                .insert("retry-after", HeaderValue::from(RETRY_AFTER.as_secs()));
            Err(response)
        }
        Key::Overloaded => {
            let status = StatusCode::from_u16(529).expect("529 is a valid status code");
            Err(error(status, "overloaded_error", "Overloaded"))
        }
        Key::ServerError => Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "api_error",
            "Internal server error",
        )),
        Key::Slow => {
            tokio::time::sleep(SLOW_DELAY).await;
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The handler of `count_tokens`.
pub(super) async fn count_tokens(headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refused) = gate(&headers).await {
        return refused;
    }
    let request = match parse_json(&body) {
        Ok(Value::Object(request)) => request,
        Ok(_) => return invalid("Input should be a valid dictionary"),
        Err(why) => return invalid(&format!("The request body is not valid JSON: {why}")),
    };
    let (model, n) = match read(&request) {
        Ok(read) => read,
        Err(message) => return invalid(&message),
    };
    if !model.starts_with("claude-") {
        return error(
            StatusCode::NOT_FOUND,
            "not_found_error",
            &format!("model: {model}"),
        );
    }
    answer(StatusCode::OK, json!({ "input_tokens": tokens(n) }))
}

/// The model and the o200k count of every text, or the message of the
/// validation error Anthropic would send.
fn read(request: &Map<String, Value>) -> Result<(String, u64), String> {
    if let Some(extra) = request.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(format!("{extra}: Extra inputs are not permitted"));
    }
    let model = match request.get("model") {
        Some(Value::String(model)) => model.clone(),
        Some(_) => return Err("model: Input should be a valid string".into()),
        None => return Err("model: Field required".into()),
    };
    let mut n = match request.get("system") {
        None => 0,
        Some(system) => text_tokens(system)
            .ok_or("system: Input should be a valid string or list of text blocks")?,
    };
    let messages = match request.get("messages") {
        Some(Value::Array(messages)) => messages,
        Some(_) => return Err("messages: Input should be a valid list".into()),
        None => return Err("messages: Field required".into()),
    };
    for (i, message) in messages.iter().enumerate() {
        match message.get("role").and_then(Value::as_str) {
            Some("user" | "assistant") => {}
            _ => {
                return Err(format!(
                    "messages.{i}.role: Input should be 'user' or 'assistant'"
                ))
            }
        }
        let content = message
            .get("content")
            .ok_or_else(|| format!("messages.{i}.content: Field required"))?;
        if content == "" || content.as_array().is_some_and(Vec::is_empty) {
            return Err(format!(
                "messages.{i}: all messages must have non-empty content except for the \
                 optional final assistant message"
            ));
        }
        n += text_tokens(content).ok_or_else(|| {
            format!(
                "messages.{i}.content: Input should be a valid string or list of content blocks"
            )
        })?;
    }
    Ok((model, n))
}

/// The o200k count of a string, or of a list of `{"type": "text", "text"}`
/// blocks (other blocks count nothing); `None` for anything else.
fn text_tokens(value: &Value) -> Option<u64> {
    match value {
        Value::String(text) => Some(o200k(text)),
        Value::Array(blocks) => {
            blocks
                .iter()
                .try_fold(0, |n, block| match block.get("type")?.as_str()? {
                    "text" => Some(n + o200k(block.get("text")?.as_str()?)),
                    _ => Some(n),
                })
        }
        _ => None,
    }
}

/// The fake `POST /v1/messages`: a deterministic answer, "Fake answer from
/// MODEL to N words.", with `usage` in o200k tokens. The key
/// `fake-length` stops at `max_tokens`; `fake-overflow` is refused as
/// "prompt is too long"; and the shared cases of [`super::chat`]. With
/// `"stream": true` it streams Anthropic's events: `message_start`,
/// `content_block_start`, a `ping`, one `content_block_delta` per word,
/// `content_block_stop`, `message_delta` (the `stop_reason` and output
/// tokens), `message_stop`.
pub(super) async fn messages(
    State(log): State<RequestLog>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = gate(&headers).await {
        return refused;
    }
    let request = match parse_json(&body) {
        Ok(Value::Object(request)) => request,
        Ok(_) => return invalid("Input should be a valid dictionary"),
        Err(why) => return invalid(&format!("The request body is not valid JSON: {why}")),
    };
    let Some(model) = request.get("model").and_then(Value::as_str) else {
        return invalid("model: Field required");
    };
    if request.get("max_tokens").and_then(Value::as_u64).is_none() {
        return invalid("max_tokens: Field required");
    }
    if !model.starts_with("claude-") {
        return error(
            StatusCode::NOT_FOUND,
            "not_found_error",
            &format!("model: {model}"),
        );
    }
    let mut texts: Vec<String> = Vec::new();
    if let Some(system) = request.get("system").and_then(Value::as_str) {
        texts.push(system.to_owned());
    }
    for message in request
        .get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(text) = message["content"].as_str() {
            texts.push(text.to_owned());
        }
    }
    let n: u64 = texts.iter().map(|t| o200k(t)).sum();
    let key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if key == super::openai::OVERFLOW_KEY {
        return invalid(&format!(
            "prompt is too long: {} tokens > 200000 maximum",
            tokens(n) + 200_000
        ));
    }
    let words: usize = texts.iter().map(|t| t.split_whitespace().count()).sum();
    let before = chat::earlier(&log, key);
    if key == chat::BUSY_ONCE_KEY && before == 0 {
        let mut response = error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_error",
            "Number of request tokens has exceeded your per-minute rate limit; please try again later.",
        );
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from(chat::BUSY_WAIT.as_secs()));
        return response;
    }
    if key == chat::DROP_KEY {
        return chat::broken_body();
    }
    if key == chat::INVALID_KEY {
        return invalid("messages.1.content: Input should be a valid string");
    }
    let reply = chat::reply(model, words, key, before);
    let stop = match (reply.filtered, reply.truncated) {
        (true, _) => "refusal",
        (_, true) => "max_tokens",
        _ => "end_turn",
    };
    let (input, output) = (tokens(n), o200k(&reply.text));
    if request.get("stream") == Some(&Value::Bool(true)) {
        let event = |name: &'static str, data: Value| (Some(name), data.to_string());
        let mut events = vec![
            event(
                "message_start",
                json!({"type": "message_start", "message": {"id": "msg_fake", "type": "message", "role": "assistant", "model": model, "content": [], "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": input, "output_tokens": 1}}}),
            ),
            event(
                "content_block_start",
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            ),
            event("ping", json!({"type": "ping"})),
        ];
        for piece in chat::pieces(&reply.text) {
            events.push(event("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}})));
        }
        events.push(event(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ));
        events.push(event("message_delta", json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null}, "usage": {"output_tokens": output}})));
        events.push(event("message_stop", json!({"type": "message_stop"})));
        let overloaded = event(
            "error",
            json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        );
        return chat::sse(events, chat::pace(key), chat::fault(key), 5, overloaded);
    }
    answer(
        StatusCode::OK,
        json!({
            "id": "msg_fake", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": reply.text}],
            "stop_reason": stop, "stop_sequence": null,
            "usage": {"input_tokens": input, "output_tokens": output},
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    #[test]
    fn texts_in_strings_and_blocks_count_alike() {
        let plain = object(json!({"model": "claude-x", "system": "Be brief.",
            "messages": [{"role": "user", "content": "Hello, world!"}]}));
        let blocks = object(json!({"model": "claude-x",
            "system": [{"type": "text", "text": "Be brief."}],
            "messages": [{"role": "user", "content": [{"type": "text", "text": "Hello, world!"}]}]}));
        assert_eq!(read(&plain), read(&blocks));
        assert_eq!(read(&plain).unwrap().1, o200k("Be brief.") + 4);
    }

    #[test]
    fn validation_errors_name_the_field() {
        let cases = [
            (json!({"messages": []}), "model: Field required"),
            (json!({"model": "claude-x"}), "messages: Field required"),
            (
                json!({"model": "claude-x", "messages": [], "max_tokens": 5}),
                "max_tokens: Extra inputs are not permitted",
            ),
            (
                json!({"model": "claude-x", "messages": [{"role": "system", "content": "x"}]}),
                "messages.0.role: Input should be 'user' or 'assistant'",
            ),
            (
                json!({"model": "claude-x", "messages": [{"role": "user", "content": ""}]}),
                "messages.0: all messages must have non-empty content except for the \
                 optional final assistant message",
            ),
        ];
        for (request, message) in cases {
            assert_eq!(read(&object(request)).unwrap_err(), message);
        }
    }

    #[test]
    fn the_factor_adds_five() {
        assert_eq!(tokens(0), 5);
        assert_eq!(tokens(4), 10);
        assert_eq!(tokens(100), 120);
    }
}

//! The fake `POST /v1/chat/completions`, with OpenAI's answers and errors:
//! `{"error": {"message", "type", "param", "code"}}`.
//!
//! | key | answer |
//! | --- | --- |
//! | none, or not `fake-…` | 401 `invalid_api_key` |
//! | `fake-rate-limited` | 429 `rate_limit_exceeded`, `retry-after: 7`, `x-ratelimit-reset-requests: 7s` |
//! | `fake-rate-limited-once` | the first request of that key 429 with `retry-after-ms: 50`, then answers |
//! | `fake-flaky` | the first two requests of that key 503, then answers |
//! | `fake-overloaded` | 503 `server_error` "The engine is currently overloaded" |
//! | `fake-server-error` | 500 `server_error` |
//! | `fake-overflow` | 400 `context_length_exceeded` |
//! | `fake-quota` | 429 `insufficient_quota` |
//! | `fake-length` | 200, cut off: `finish_reason: "length"` |
//! | `fake-slow` | answers after `SLOW_DELAY` |
//!
//! and the cases every chat fake shares ([`super::chat`]). An answer is
//! deterministic: "Fake answer from MODEL to N words.", with `usage`
//! counted in o200k tokens. With `"stream": true` it is streamed as
//! OpenAI does: a role chunk, one chunk per word, the chunk with the
//! `finish_reason`, a `usage` chunk when `stream_options.include_usage`
//! is set, then `data: [DONE]`.

use super::chat;
use super::{answer, o200k, parse_json, RequestLog, SLOW_DELAY};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

/// Keys of the chat fake beyond the shared ones (see the module docs).
pub const RATE_LIMITED_ONCE_KEY: &str = "fake-rate-limited-once";
/// The first two requests of this key get 503.
pub const FLAKY_KEY: &str = "fake-flaky";
/// Requests of this key overflow the context window.
pub const OVERFLOW_KEY: &str = "fake-overflow";
/// Requests of this key find the provider's quota spent.
pub const QUOTA_KEY: &str = "fake-quota";
/// Answers of this key are cut off at the length limit.
pub use super::chat::LENGTH_KEY;

/// The keys of the chat cases, valid for every provider's fake.
pub const CHAT_KEYS: [&str; 5] = [
    RATE_LIMITED_ONCE_KEY,
    FLAKY_KEY,
    OVERFLOW_KEY,
    QUOTA_KEY,
    LENGTH_KEY,
];

fn error(status: StatusCode, kind: &str, code: Option<&str>, message: &str) -> Response {
    answer(
        status,
        json!({"error": {"message": message, "type": kind, "param": null, "code": code}}),
    )
}

fn with_header(mut response: Response, name: &'static str, value: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
    response
}

/// The handler.
pub(super) async fn chat_completions(
    State(log): State<RequestLog>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let key = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if matches!(
        super::Key::classify(Some(key)),
        super::Key::Missing | super::Key::Invalid
    ) {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            Some("invalid_api_key"),
            "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
        );
    }
    match key {
        super::RATE_LIMITED_KEY => {
            let response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "requests",
                Some("rate_limit_exceeded"),
                "Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 7s.",
            );
            return with_header(
                with_header(response, "retry-after", "7"),
                "x-ratelimit-reset-requests",
                "7s",
            );
        }
        RATE_LIMITED_ONCE_KEY if chat::count_earlier(&log, key) == 0 => {
            let response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "tokens",
                Some("rate_limit_exceeded"),
                "Rate limit reached for tokens per min (TPM). Please try again in 50ms.",
            );
            return with_header(response, "retry-after-ms", "50");
        }
        FLAKY_KEY if chat::count_earlier(&log, key) < 2 => {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "server_error",
                None,
                "The engine is currently overloaded, please try again later",
            )
        }
        super::OVERLOADED_KEY => {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "server_error",
                None,
                "The engine is currently overloaded, please try again later",
            )
        }
        super::SERVER_ERROR_KEY => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                None,
                "The server had an error while processing your request. Sorry about that!",
            )
        }
        QUOTA_KEY => {
            return error(
                StatusCode::TOO_MANY_REQUESTS,
                "insufficient_quota",
                Some("insufficient_quota"),
                "You exceeded your current quota, please check your plan and billing details.",
            )
        }
        super::SLOW_KEY => tokio::time::sleep(SLOW_DELAY).await,
        _ => {}
    }
    let request = match parse_json(&body) {
        Ok(request) => request,
        Err(why) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                None,
                &format!("We could not parse the JSON body of your request. ({why})"),
            )
        }
    };
    let (Some(model), Some(messages)) = (request["model"].as_str(), request["messages"].as_array())
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("missing_required_parameter"),
            "you must provide a model parameter and messages",
        );
    };
    let texts: Vec<&str> = messages
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    let prompt_tokens: u64 = texts.iter().map(|t| o200k(t)).sum();
    if key == OVERFLOW_KEY {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("context_length_exceeded"),
            &format!("This model's maximum context length is 128000 tokens. However, your messages resulted in {} tokens. Please reduce the length of the messages.", prompt_tokens + 128_000),
        );
    }
    let words: usize = texts.iter().map(|t| t.split_whitespace().count()).sum();
    let before = chat::earlier(&log, key);
    if key == chat::BUSY_ONCE_KEY && before == 0 {
        let response = error(
            StatusCode::TOO_MANY_REQUESTS,
            "requests",
            Some("rate_limit_exceeded"),
            "Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 2s.",
        );
        let wait = chat::BUSY_WAIT.as_secs().to_string();
        return with_header(
            with_header(response, "retry-after", &wait),
            "x-ratelimit-reset-requests",
            &format!("{wait}s"),
        );
    }
    if key == chat::DROP_KEY {
        return chat::broken_body();
    }
    if key == chat::INVALID_KEY {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("invalid_value"),
            "Invalid value for 'messages[1].content': expected a string.",
        );
    }
    let reply = chat::reply(model, words, key, before);
    let finish = match (reply.filtered, reply.truncated) {
        (true, _) => "content_filter",
        (_, true) => "length",
        _ => "stop",
    };
    let completion_tokens = o200k(&reply.text);
    let usage = json!({"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens});
    if request["stream"] == true {
        let chunk = |delta: Value, finish: Value| {
            json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_764_633_600, "model": model,
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": Value::Null}]})
            .to_string()
        };
        let mut events: Vec<chat::Out> = vec![(
            None,
            chunk(json!({"role": "assistant", "content": ""}), Value::Null),
        )];
        for piece in chat::pieces(&reply.text) {
            events.push((None, chunk(json!({"content": piece}), Value::Null)));
        }
        events.push((None, chunk(json!({}), json!(finish))));
        if request["stream_options"]["include_usage"] == true {
            events.push((None, json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_764_633_600, "model": model, "choices": [], "usage": usage}).to_string()));
        }
        events.push((None, "[DONE]".to_owned()));
        let error = json!({"error": {"message": "The server had an error while processing your request. Sorry about that!", "type": "server_error", "param": null, "code": null}});
        return chat::sse(
            events,
            chat::pace(key),
            chat::fault(key),
            3,
            (None, error.to_string()),
        );
    }
    answer(
        StatusCode::OK,
        json!({
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 1_764_633_600,
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.text}, "finish_reason": finish, "logprobs": Value::Null}],
            "usage": usage,
        }),
    )
}

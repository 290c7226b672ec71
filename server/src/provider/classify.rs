//! Every failed call to a model becomes one [`FailureClass`], decided on
//! the structured fields first (the status; OpenAI's `error.type` and
//! `error.code`; Anthropic's `error.type`; Gemini's `error.status`) and on
//! the wording only where a provider says it in words alone (a context
//! overflow from an OpenAI-compatible server, Anthropic or Gemini).
//!
//! The class says what the user reads (the core's catalogue,
//! `FailureClass::entry`); the detail kept here (status, the provider's
//! code and message) is for the log and the operator, never for the user.

use super::hints;
use prompt_preflight::{FailureClass, Provider};
use reqwest::header::HeaderMap;
use serde::Serialize;
use std::time::{Duration, SystemTime};

/// A classified failure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classified {
    /// The class.
    pub class: FailureClass,
    /// The HTTP status, when the provider answered.
    pub status: Option<u16>,
    /// The provider's own code or type (`rate_limit_exceeded`,
    /// `overloaded_error`, `RESOURCE_EXHAUSTED`), for the operator.
    pub provider_code: Option<String>,
    /// The provider's message, for the operator (never shown to users).
    pub detail: String,
    /// How long the provider asked us to wait, from its headers or body.
    pub retry_after: Option<Duration>,
}

/// The fields of an error body that the classes are decided on.
struct ErrorBody {
    /// OpenAI `error.type`, Anthropic `error.type`, Gemini `error.status`.
    kind: String,
    /// OpenAI `error.code` (a string, sometimes null).
    code: String,
    message: String,
}

fn error_body(provider: Provider, json: &serde_json::Value) -> ErrorBody {
    let error = &json["error"];
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    match provider {
        Provider::Gemini => ErrorBody {
            kind: text(&error["status"]),
            code: String::new(),
            message: text(&error["message"]),
        },
        // OpenAI and every OpenAI-compatible server, and Anthropic: both
        // have `error.type` and `error.message`. vLLM puts them at the top
        // level (where Anthropic's `type` is always "error").
        _ => ErrorBody {
            kind: match (text(&error["type"]), provider) {
                (kind, Provider::Openai) if kind.is_empty() => text(&json["type"]),
                (kind, _) => kind,
            },
            code: text(&error["code"]),
            message: json["error"]["message"]
                .as_str()
                .or_else(|| json["message"].as_str())
                .or_else(|| json["error"].as_str())
                .unwrap_or_default()
                .to_owned(),
        },
    }
}

/// The wording of a context overflow, for the servers that have no code
/// for it: OpenAI-compatible servers ("maximum context length is 8192
/// tokens"), Anthropic ("prompt is too long: 210000 tokens > 200000
/// maximum"), Gemini ("exceeds the maximum number of tokens allowed").
fn says_too_long(message: &str) -> bool {
    let m = message.to_lowercase();
    [
        "maximum context length",
        "context length exceeded",
        "context_length_exceeded",
        "prompt is too long",
        "exceeds the maximum number of tokens",
        "too many tokens",
        "input is too long",
        "exceeds the available context size",
    ]
    .iter()
    .any(|phrase| m.contains(phrase))
}

fn says_quota(message: &str) -> bool {
    let m = message.to_lowercase();
    [
        "credit balance is too low",
        "insufficient_quota",
        "billing",
        "exceeded your current quota",
    ]
    .iter()
    .any(|phrase| m.contains(phrase))
}

/// Classifies an error answer (any status other than 2xx) from a provider
/// speaking `provider`'s wire format.
pub fn classify_error(
    provider: Provider,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Classified {
    let json: serde_json::Value = serde_json::from_slice(body).unwrap_or(serde_json::Value::Null);
    let e = error_body(provider, &json);
    let retry_after = hints::retry_after(headers, Some(&json), now);
    let class = match provider {
        Provider::Openai => openai(status, &e),
        Provider::Anthropic => anthropic(status, &e),
        Provider::Gemini => gemini(status, &e, retry_after.is_some()),
    };
    let provider_code = [&e.code, &e.kind]
        .into_iter()
        .find(|s| !s.is_empty())
        .cloned();
    let detail = if e.message.is_empty() {
        String::from_utf8_lossy(&body[..body.len().min(500)]).into_owned()
    } else {
        e.message
    };
    Classified {
        class,
        status: Some(status),
        provider_code,
        detail,
        retry_after,
    }
}

/// The classes every format shares, by status alone.
fn by_status(status: u16) -> FailureClass {
    use FailureClass::*;
    match status {
        401 | 403 | 404 => AuthFailed,
        402 => ProviderQuotaExhausted,
        408 | 504 => Timeout,
        413 => ContextTooLong,
        429 => RateLimited,
        500..=599 => ProviderUnavailable,
        400..=499 => InvalidRequest,
        _ => Unknown,
    }
}

fn openai(status: u16, e: &ErrorBody) -> FailureClass {
    use FailureClass::*;
    match (e.code.as_str(), e.kind.as_str()) {
        ("context_length_exceeded", _) | ("string_above_max_length", _) => ContextTooLong,
        ("insufficient_quota", _) | (_, "insufficient_quota") => ProviderQuotaExhausted,
        ("rate_limit_exceeded", _) => RateLimited,
        ("content_filter", _) | ("content_policy_violation", _) => ContentFiltered,
        ("invalid_api_key", _) | ("model_not_found", _) | (_, "authentication_error") => AuthFailed,
        // llama.cpp's server.
        (_, "exceed_context_size_error") => ContextTooLong,
        _ if status == 400 && says_too_long(&e.message) => ContextTooLong,
        _ if status == 429 && says_quota(&e.message) => ProviderQuotaExhausted,
        _ => by_status(status),
    }
}

fn anthropic(status: u16, e: &ErrorBody) -> FailureClass {
    use FailureClass::*;
    match e.kind.as_str() {
        "overloaded_error" | "api_error" => ProviderUnavailable,
        "rate_limit_error" => RateLimited,
        "request_too_large" => ContextTooLong,
        "authentication_error" | "permission_error" | "not_found_error" => AuthFailed,
        "billing_error" => ProviderQuotaExhausted,
        "timeout_error" => Timeout,
        "invalid_request_error" if says_too_long(&e.message) => ContextTooLong,
        "invalid_request_error" if says_quota(&e.message) => ProviderQuotaExhausted,
        "invalid_request_error" => InvalidRequest,
        _ => by_status(status),
    }
}

fn gemini(status: u16, e: &ErrorBody, has_retry_info: bool) -> FailureClass {
    use FailureClass::*;
    match e.kind.as_str() {
        // One status for both: a rate limit comes with when to retry; a
        // spent quota does not.
        "RESOURCE_EXHAUSTED" if has_retry_info => RateLimited,
        "RESOURCE_EXHAUSTED" if says_quota(&e.message) => ProviderQuotaExhausted,
        "RESOURCE_EXHAUSTED" => RateLimited,
        "UNAVAILABLE" | "INTERNAL" => ProviderUnavailable,
        "DEADLINE_EXCEEDED" => Timeout,
        "UNAUTHENTICATED" | "PERMISSION_DENIED" | "NOT_FOUND" => AuthFailed,
        // Gemini answers a wrong key with 400 INVALID_ARGUMENT.
        "INVALID_ARGUMENT" if e.message.contains("API key not valid") => AuthFailed,
        "INVALID_ARGUMENT" if says_too_long(&e.message) => ContextTooLong,
        "INVALID_ARGUMENT" => InvalidRequest,
        // Billing not enabled, or a region the API does not serve.
        "FAILED_PRECONDITION" => AuthFailed,
        _ if status == 400 && says_too_long(&e.message) => ContextTooLong,
        _ => by_status(status),
    }
}

/// Classifies a successful (2xx) answer that is not usable as it is: cut
/// off at the length limit, or blocked by a safety filter. `None` when the
/// answer finished normally.
pub fn classify_finish(provider: Provider, body: &serde_json::Value) -> Option<FailureClass> {
    if provider == Provider::Gemini && body["promptFeedback"]["blockReason"].is_string() {
        return Some(FailureClass::ContentFiltered);
    }
    let reason = match provider {
        Provider::Openai => body["choices"][0]["finish_reason"].as_str(),
        Provider::Anthropic => body["stop_reason"].as_str(),
        Provider::Gemini => body["candidates"][0]["finishReason"].as_str(),
    }?;
    classify_finish_reason(provider, reason)
}

/// The class of one finish reason (`finish_reason`, `stop_reason`,
/// `finishReason`), plain or streamed: `None` when the answer is whole.
///
/// ```
/// use prompt_preflight::{FailureClass, Provider};
/// use prompt_preflight_server::classify::classify_finish_reason;
/// assert_eq!(classify_finish_reason(Provider::Anthropic, "max_tokens"), Some(FailureClass::OutputTruncated));
/// assert_eq!(classify_finish_reason(Provider::Openai, "stop"), None);
/// ```
pub fn classify_finish_reason(provider: Provider, reason: &str) -> Option<FailureClass> {
    use FailureClass::*;
    match (provider, reason) {
        (Provider::Openai, "length") => Some(OutputTruncated),
        (Provider::Openai, "content_filter") => Some(ContentFiltered),
        (Provider::Anthropic, "max_tokens") => Some(OutputTruncated),
        (Provider::Anthropic, "refusal") => Some(ContentFiltered),
        (Provider::Gemini, "MAX_TOKENS") => Some(OutputTruncated),
        (
            Provider::Gemini,
            "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII",
        ) => Some(ContentFiltered),
        _ => None,
    }
}

/// How a request failed without an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// No answer within the timeout.
    TimedOut,
    /// The connection was refused, reset or closed before an answer.
    Connection,
    /// The answer could not be read (a body cut short, not the format).
    Body,
}

/// Classifies a failure with no answer from the provider.
pub fn classify_transport(failure: Transport, detail: impl Into<String>) -> Classified {
    let class = match failure {
        Transport::TimedOut => FailureClass::Timeout,
        Transport::Connection | Transport::Body => FailureClass::ProviderUnavailable,
    };
    Classified {
        class,
        status: None,
        provider_code: None,
        detail: detail.into(),
        retry_after: None,
    }
}

/// The transport failure of a `reqwest` error.
pub fn transport_of(error: &reqwest::Error) -> Transport {
    if error.is_timeout() {
        Transport::TimedOut
    } else if error.is_connect() || error.is_request() {
        Transport::Connection
    } else {
        Transport::Body
    }
}

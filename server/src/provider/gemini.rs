//! Gemini's `POST /v1beta/models/{model}:countTokens`.
//!
//! Request: header `x-goog-api-key`; body `{"contents": [{"role": "user",
//! "parts": [{"text"}]}]}`, or, to count a system prompt too, the
//! `generateContentRequest` form, which must name the model again:
//! `{"generateContentRequest": {"model": "models/{model}",
//! "systemInstruction": {"parts": [{"text"}]}, "contents": [...]}}`.
//! Success: `200 {"totalTokens": N, ...}`. Errors: `{"error": {"code",
//! "message", "status", "details"?}}` — 400 `INVALID_ARGUMENT` (also for a
//! bad key: "API key not valid…", reason `API_KEY_INVALID`), 403
//! `PERMISSION_DENIED` (no key, or a key without access), 404 `NOT_FOUND`,
//! 429 `RESOURCE_EXHAUSTED` (with a `google.rpc.RetryInfo` `retryDelay`),
//! 500 `INTERNAL`, 503 `UNAVAILABLE`.

use super::{retry_after_header, status_text, Provider, ProviderError};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

const PROVIDER: Provider = Provider::Gemini;

#[derive(Deserialize)]
struct ErrorResponse {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    details: Vec<Value>,
}

/// The model id without the `models/` prefix that some callers include.
fn model_id(model: &str) -> &str {
    model.strip_prefix("models/").unwrap_or(model)
}

/// Percent-encodes a path segment, keeping RFC 3986's unreserved characters.
fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The request body: plain `contents`, or `generateContentRequest` when
/// there is a system prompt (plain `contents` cannot carry one).
fn body(model: &str, system: Option<&str>, user: &str) -> Value {
    let contents = json!([{"role": "user", "parts": [{"text": user}]}]);
    match system {
        None => json!({ "contents": contents }),
        Some(system) => json!({
            "generateContentRequest": {
                "model": format!("models/{}", model_id(model)),
                "systemInstruction": {"parts": [{"text": system}]},
                "contents": contents,
            }
        }),
    }
}

/// The count request (not yet sent).
pub(super) fn request(
    http: &reqwest::Client,
    base_url: &str,
    key: &str,
    model: &str,
    system: Option<&str>,
    user: &str,
) -> reqwest::RequestBuilder {
    let url = format!(
        "{base_url}/v1beta/models/{}:countTokens",
        encode_segment(model_id(model))
    );
    http.post(url)
        .header("x-goog-api-key", key)
        .json(&body(model, system, user))
}

/// The token count from an answer, or the error it reports.
pub(super) fn answer(
    status: StatusCode,
    headers: &HeaderMap,
    body: &str,
    model: &str,
) -> Result<u64, ProviderError> {
    if status.is_success() {
        return total_tokens(body).ok_or_else(|| ProviderError::BadResponse {
            provider: PROVIDER,
            message: format!(
                "expected {{\"totalTokens\": N}}, got {}",
                status_text(status, body)
            ),
        });
    }
    Err(error(status, headers, body, model))
}

/// `totalTokens`; an empty object is 0 (proto3 JSON leaves out zeros).
fn total_tokens(body: &str) -> Option<u64> {
    let Value::Object(object) = serde_json::from_str::<Value>(body).ok()? else {
        return None;
    };
    match object.get("totalTokens") {
        Some(n) => n.as_u64(),
        None if object.is_empty() => Some(0),
        None => None,
    }
}

/// How long a `google.rpc.RetryInfo` detail asks to wait (`"7s"`, `"0.5s"`).
fn retry_delay(details: &[Value]) -> Option<Duration> {
    let delay = details
        .iter()
        .find(|d| d["@type"] == "type.googleapis.com/google.rpc.RetryInfo")?["retryDelay"]
        .as_str()?;
    let seconds: f64 = delay.strip_suffix('s')?.parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
}

/// Whether a 400 is about the key rather than the request.
fn is_key_error(detail: &ErrorDetail) -> bool {
    detail.message.contains("API key")
        || detail
            .details
            .iter()
            .any(|d| d["reason"] == "API_KEY_INVALID")
}

/// Maps an error answer by its status code and `status` name.
fn error(status: StatusCode, headers: &HeaderMap, body: &str, model: &str) -> ProviderError {
    let detail = match serde_json::from_str::<ErrorResponse>(body) {
        Ok(r) => r.error,
        Err(_) => ErrorDetail {
            message: status_text(status, body),
            status: String::new(),
            details: Vec::new(),
        },
    };
    let provider = PROVIDER;
    let code = status.as_u16();
    let key_error = code == 400 && is_key_error(&detail);
    let retry_after = retry_after_header(headers).or_else(|| retry_delay(&detail.details));
    let message = if detail.message.is_empty() {
        status_text(status, "")
    } else {
        detail.message
    };
    match (code, detail.status.as_str()) {
        _ if key_error => ProviderError::Unauthorized { provider, message },
        (401 | 403, _) | (_, "UNAUTHENTICATED" | "PERMISSION_DENIED") => {
            ProviderError::Unauthorized { provider, message }
        }
        (429, _) | (_, "RESOURCE_EXHAUSTED") => ProviderError::RateLimited {
            provider,
            retry_after,
            message,
        },
        (503, _) | (_, "UNAVAILABLE") => ProviderError::Overloaded { provider, message },
        (404, _) | (_, "NOT_FOUND") => ProviderError::NotFound {
            provider,
            model: model.to_owned(),
            message,
        },
        (400 | 413, _) | (_, "INVALID_ARGUMENT" | "FAILED_PRECONDITION") => {
            ProviderError::BadRequest { provider, message }
        }
        (status, _) => ProviderError::Http {
            provider,
            status,
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn google_error(code: u16, status: &str, message: &str) -> String {
        json!({"error": {"code": code, "message": message, "status": status}}).to_string()
    }

    fn err(code: u16, body: &str) -> ProviderError {
        let status = StatusCode::from_u16(code).unwrap();
        answer(status, &HeaderMap::new(), body, "gemini-x").unwrap_err()
    }

    #[test]
    fn a_system_prompt_needs_the_generate_content_request_form() {
        assert_eq!(
            body("gemini-2.0-flash", None, "Hi"),
            json!({"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]})
        );
        assert_eq!(
            body("models/gemini-2.0-flash", Some("Be brief."), "Hi"),
            json!({"generateContentRequest": {
                "model": "models/gemini-2.0-flash",
                "systemInstruction": {"parts": [{"text": "Be brief."}]},
                "contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
            }})
        );
    }

    #[test]
    fn model_ids_are_one_encoded_path_segment() {
        assert_eq!(
            encode_segment(model_id("models/gemini-2.5-pro")),
            "gemini-2.5-pro"
        );
        assert_eq!(encode_segment("a/b?c d"), "a%2Fb%3Fc%20d");
    }

    #[test]
    fn success_is_total_tokens() {
        let ok = |body| answer(StatusCode::OK, &HeaderMap::new(), body, "m");
        assert_eq!(
            ok(r#"{"totalTokens": 31, "promptTokensDetails": []}"#),
            Ok(31)
        );
        assert_eq!(ok("{}"), Ok(0));
        assert_eq!(
            ok(r#"{"total_tokens": 31}"#).unwrap_err().code(),
            "bad_response"
        );
        assert_eq!(ok("[]").unwrap_err().code(), "bad_response");
    }

    #[test]
    fn errors_map_by_code_and_status() {
        let cases = [
            (
                400,
                "INVALID_ARGUMENT",
                "Invalid JSON payload received.",
                "bad_request",
            ),
            (
                400,
                "INVALID_ARGUMENT",
                "API key not valid. Please pass a valid API key.",
                "unauthorized",
            ),
            (
                403,
                "PERMISSION_DENIED",
                "Method doesn't allow unregistered callers",
                "unauthorized",
            ),
            (404, "NOT_FOUND", "models/x is not found", "not_found"),
            (
                429,
                "RESOURCE_EXHAUSTED",
                "Resource has been exhausted",
                "rate_limited",
            ),
            (500, "INTERNAL", "An internal error has occurred.", "http"),
            (503, "UNAVAILABLE", "The model is overloaded.", "overloaded"),
        ];
        for (code, status, message, expected) in cases {
            let e = err(code, &google_error(code, status, message));
            assert_eq!(e.code(), expected, "{code} {status}");
            assert!(e.to_string().ends_with(message), "{e}");
        }
    }

    #[test]
    fn a_bad_key_is_known_by_its_reason_too() {
        let body = json!({"error": {"code": 400, "message": "Invalid.", "status": "INVALID_ARGUMENT",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                         "reason": "API_KEY_INVALID"}]}});
        assert_eq!(err(400, &body.to_string()).code(), "unauthorized");
    }

    #[test]
    fn retry_after_comes_from_retry_info() {
        let body = json!({"error": {"code": 429, "message": "Quota exceeded.",
            "status": "RESOURCE_EXHAUSTED",
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"}]}});
        assert_eq!(
            err(429, &body.to_string()),
            ProviderError::RateLimited {
                provider: Provider::Gemini,
                retry_after: Some(Duration::from_secs(7)),
                message: "Quota exceeded.".into(),
            }
        );
        assert_eq!(
            retry_delay(
                &[json!({"@type": "type.googleapis.com/google.rpc.RetryInfo",
                "retryDelay": "0.5s"})]
            ),
            Some(Duration::from_millis(500))
        );
    }
}

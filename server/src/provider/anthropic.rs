//! Anthropic's `POST /v1/messages/count_tokens`.
//!
//! Request: headers `x-api-key`, `anthropic-version: 2023-06-01` and
//! `content-type: application/json`; body `{"model", "system"?, "messages":
//! [{"role": "user", "content"}]}`. Success: `200 {"input_tokens": N}`.
//! Errors: `{"type": "error", "error": {"type", "message"}}` — 400
//! `invalid_request_error`, 401 `authentication_error`, 403
//! `permission_error`, 404 `not_found_error`, 413 `request_too_large`, 429
//! `rate_limit_error` (with `retry-after` in seconds), 500 `api_error`, 529
//! `overloaded_error`.

use super::{retry_after_header, status_text, Provider, ProviderError};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

/// The API version this client speaks.
pub(crate) const VERSION: &str = "2023-06-01";

const PROVIDER: Provider = Provider::Anthropic;

#[derive(Serialize)]
struct CountRequest<'a> {
    model: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<&'a str>,
    messages: [Message<'a>; 1],
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'static str,
    content: &'a str,
}

#[derive(Deserialize)]
struct CountResponse {
    input_tokens: u64,
}

#[derive(Deserialize)]
struct ErrorResponse {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    message: String,
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
    let body = CountRequest {
        model,
        system,
        messages: [Message {
            role: "user",
            content: user,
        }],
    };
    http.post(format!("{base_url}/v1/messages/count_tokens"))
        .header("x-api-key", key)
        .header("anthropic-version", VERSION)
        .json(&body)
}

/// The token count from an answer, or the error it reports.
pub(super) fn answer(
    status: StatusCode,
    headers: &HeaderMap,
    body: &str,
    model: &str,
) -> Result<u64, ProviderError> {
    if status.is_success() {
        return serde_json::from_str::<CountResponse>(body)
            .map(|r| r.input_tokens)
            .map_err(|e| ProviderError::BadResponse {
                provider: PROVIDER,
                message: format!("expected {{\"input_tokens\": N}}: {e}"),
            });
    }
    Err(error(status, headers, body, model))
}

/// Maps an error answer by its status, then by its error type.
fn error(status: StatusCode, headers: &HeaderMap, body: &str, model: &str) -> ProviderError {
    let (kind, message) = match serde_json::from_str::<ErrorResponse>(body) {
        Ok(r) if !r.error.message.is_empty() => (r.error.kind, r.error.message),
        Ok(r) => (r.error.kind, status_text(status, "")),
        Err(_) => (String::new(), status_text(status, body)),
    };
    let provider = PROVIDER;
    match (status.as_u16(), kind.as_str()) {
        (401 | 403, _) | (_, "authentication_error" | "permission_error") => {
            ProviderError::Unauthorized { provider, message }
        }
        (429, _) | (_, "rate_limit_error") => ProviderError::RateLimited {
            provider,
            retry_after: retry_after_header(headers),
            message,
        },
        (529 | 503, _) | (_, "overloaded_error") => ProviderError::Overloaded { provider, message },
        (404, _) | (_, "not_found_error") => ProviderError::NotFound {
            provider,
            model: model.to_owned(),
            message,
        },
        (400 | 413, _) | (_, "invalid_request_error" | "request_too_large") => {
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
    use std::time::Duration;

    fn body(kind: &str, message: &str) -> String {
        serde_json::json!({"type": "error", "error": {"type": kind, "message": message}})
            .to_string()
    }

    fn err(status: u16, body: &str) -> ProviderError {
        let status = StatusCode::from_u16(status).unwrap();
        answer(status, &HeaderMap::new(), body, "claude-x").unwrap_err()
    }

    #[test]
    fn the_request_body_omits_a_missing_system_prompt() {
        let body = CountRequest {
            model: "claude-sonnet-4-5",
            system: None,
            messages: [Message {
                role: "user",
                content: "Hi",
            }],
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({"model": "claude-sonnet-4-5",
                "messages": [{"role": "user", "content": "Hi"}]})
        );
    }

    #[test]
    fn success_is_input_tokens() {
        let ok = answer(
            StatusCode::OK,
            &HeaderMap::new(),
            r#"{"input_tokens": 42}"#,
            "m",
        );
        assert_eq!(ok, Ok(42));
        let bad = answer(StatusCode::OK, &HeaderMap::new(), r#"{"tokens": 42}"#, "m");
        assert_eq!(bad.unwrap_err().code(), "bad_response");
    }

    #[test]
    fn errors_map_by_status_and_type() {
        let cases = [
            (400, "invalid_request_error", "bad_request"),
            (401, "authentication_error", "unauthorized"),
            (403, "permission_error", "unauthorized"),
            (404, "not_found_error", "not_found"),
            (413, "request_too_large", "bad_request"),
            (429, "rate_limit_error", "rate_limited"),
            (500, "api_error", "http"),
            (529, "overloaded_error", "overloaded"),
        ];
        for (status, kind, code) in cases {
            let e = err(status, &body(kind, "why"));
            assert_eq!(e.code(), code, "{status} {kind}");
            assert!(e.to_string().ends_with(": why"), "{e}");
        }
    }

    #[test]
    fn retry_after_comes_from_the_header() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "7".parse().unwrap());
        let e = answer(
            StatusCode::TOO_MANY_REQUESTS,
            &headers,
            &body("rate_limit_error", "slow down"),
            "m",
        );
        assert!(matches!(
            e,
            Err(ProviderError::RateLimited { retry_after: Some(d), .. }) if d == Duration::from_secs(7)
        ));
    }

    #[test]
    fn a_body_that_is_not_json_is_quoted() {
        let e = err(502, "<html><body>Bad gateway</body></html>");
        assert_eq!(
            e,
            ProviderError::Http {
                provider: Provider::Anthropic,
                status: 502,
                message: "<html><body>Bad gateway</body></html>".into()
            }
        );
        assert_eq!(
            err(500, "").to_string(),
            "Anthropic answered HTTP 500: Internal Server Error"
        );
    }
}

//! Every failure class from a recorded body in each provider's real wire
//! format (as their API references document them), the wait each asks
//! for, unusable 2xx answers, and transport failures over real sockets.

use prompt_preflight::{FailureClass, Provider};
use prompt_preflight_server::classify::{
    classify_error, classify_finish, classify_transport, transport_of, Transport,
};
use reqwest::header::HeaderMap;
use serde_json::json;
use std::time::{Duration, SystemTime};

use FailureClass::*;
use Provider::{Anthropic, Gemini, Openai};

/// (wire format, status, headers, body, class, wait, provider code)
type Row = (
    Provider,
    u16,
    &'static [(&'static str, &'static str)],
    &'static str,
    FailureClass,
    Option<u64>,
    Option<&'static str>,
);

const ROWS: &[Row] = &[
    // --- OpenAI Chat Completions, and OpenAI-compatible servers ---------
    (
        Openai,
        429,
        &[
            ("x-ratelimit-reset-tokens", "600ms"),
            ("x-ratelimit-reset-requests", "20ms"),
        ],
        r#"{"error":{"message":"Rate limit reached for gpt-4o-mini in organization org-abc on tokens per min (TPM): Limit 200000, Used 199000, Requested 3000. Please try again in 600ms.","type":"tokens","param":null,"code":"rate_limit_exceeded"}}"#,
        RateLimited,
        Some(600),
        Some("rate_limit_exceeded"),
    ),
    (
        Openai,
        429,
        &[("retry-after", "2")],
        r#"{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#,
        ProviderQuotaExhausted,
        Some(2000),
        Some("insufficient_quota"),
    ),
    (
        Openai,
        400,
        &[],
        r#"{"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130012 tokens. Please reduce the length of the messages.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#,
        ContextTooLong,
        None,
        Some("context_length_exceeded"),
    ),
    // vLLM: the overflow only in words, the message at the top level.
    (
        Openai,
        400,
        &[],
        r#"{"object":"error","message":"This model's maximum context length is 8192 tokens. However, you requested 9120 tokens (8120 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.","type":"BadRequestError","param":null,"code":400}"#,
        ContextTooLong,
        None,
        Some("BadRequestError"),
    ),
    // llama.cpp's server.
    (
        Openai,
        400,
        &[],
        r#"{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":5000,"n_ctx":4096}}"#,
        ContextTooLong,
        None,
        Some("exceed_context_size_error"),
    ),
    (
        Openai,
        401,
        &[],
        r#"{"error":{"message":"Incorrect API key provided: sk-abc***xyz. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
        AuthFailed,
        None,
        Some("invalid_api_key"),
    ),
    (
        Openai,
        404,
        &[],
        r#"{"error":{"message":"The model `gpt-9` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#,
        AuthFailed,
        None,
        Some("model_not_found"),
    ),
    (
        Openai,
        400,
        &[],
        r#"{"error":{"message":"Your request was rejected as a result of our safety system.","type":"invalid_request_error","param":null,"code":"content_policy_violation"}}"#,
        ContentFiltered,
        None,
        Some("content_policy_violation"),
    ),
    (
        Openai,
        400,
        &[],
        r#"{"error":{"message":"Invalid value: 'robot'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.","type":"invalid_request_error","param":"messages[0].role","code":"invalid_value"}}"#,
        InvalidRequest,
        None,
        Some("invalid_value"),
    ),
    (
        Openai,
        500,
        &[],
        r#"{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}"#,
        ProviderUnavailable,
        None,
        Some("server_error"),
    ),
    (
        Openai,
        503,
        &[("retry-after-ms", "1500")],
        r#"{"error":{"message":"The engine is currently overloaded, please try again later","type":"server_error","param":null,"code":null}}"#,
        ProviderUnavailable,
        Some(1500),
        Some("server_error"),
    ),
    (
        Openai,
        504,
        &[],
        "<html><body>504 Gateway Time-out</body></html>",
        Timeout,
        None,
        None,
    ),
    (Openai, 418, &[], "", InvalidRequest, None, None),
    (Openai, 302, &[], "", Unknown, None, None),
    // --- Anthropic Messages ---------------------------------------------
    (
        Anthropic,
        429,
        &[("retry-after", "12")],
        r#"{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit (https://docs.anthropic.com/en/api/rate-limits); see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase."}}"#,
        RateLimited,
        Some(12_000),
        Some("rate_limit_error"),
    ),
    (
        Anthropic,
        529,
        &[],
        r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        ProviderUnavailable,
        None,
        Some("overloaded_error"),
    ),
    (
        Anthropic,
        400,
        &[],
        r#"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}"#,
        ContextTooLong,
        None,
        Some("invalid_request_error"),
    ),
    (
        Anthropic,
        413,
        &[],
        r#"{"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum allowed number of bytes."}}"#,
        ContextTooLong,
        None,
        Some("request_too_large"),
    ),
    (
        Anthropic,
        401,
        &[],
        r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
        AuthFailed,
        None,
        Some("authentication_error"),
    ),
    (
        Anthropic,
        403,
        &[],
        r#"{"type":"error","error":{"type":"permission_error","message":"Your API key does not have permission to use the specified resource."}}"#,
        AuthFailed,
        None,
        Some("permission_error"),
    ),
    (
        Anthropic,
        404,
        &[],
        r#"{"type":"error","error":{"type":"not_found_error","message":"model: claude-9"}}"#,
        AuthFailed,
        None,
        Some("not_found_error"),
    ),
    (
        Anthropic,
        400,
        &[],
        r#"{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."}}"#,
        ProviderQuotaExhausted,
        None,
        Some("invalid_request_error"),
    ),
    (
        Anthropic,
        400,
        &[],
        r#"{"type":"error","error":{"type":"invalid_request_error","message":"messages: roles must alternate between \"user\" and \"assistant\", but found multiple \"user\" roles in a row"}}"#,
        InvalidRequest,
        None,
        Some("invalid_request_error"),
    ),
    (
        Anthropic,
        500,
        &[],
        r#"{"type":"error","error":{"type":"api_error","message":"Internal server error"}}"#,
        ProviderUnavailable,
        None,
        Some("api_error"),
    ),
    (
        Anthropic,
        504,
        &[],
        r#"{"type":"error","error":{"type":"timeout_error","message":"Request timed out"}}"#,
        Timeout,
        None,
        Some("timeout_error"),
    ),
    // --- Gemini generateContent -----------------------------------------
    (
        Gemini,
        429,
        &[],
        r#"{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"34s"}]}}"#,
        RateLimited,
        Some(34_000),
        Some("RESOURCE_EXHAUSTED"),
    ),
    (
        Gemini,
        429,
        &[],
        r#"{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]}]}}"#,
        ProviderQuotaExhausted,
        None,
        Some("RESOURCE_EXHAUSTED"),
    ),
    (
        Gemini,
        503,
        &[],
        r#"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#,
        ProviderUnavailable,
        None,
        Some("UNAVAILABLE"),
    ),
    (
        Gemini,
        400,
        &[],
        r#"{"error":{"code":400,"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}}"#,
        ContextTooLong,
        None,
        Some("INVALID_ARGUMENT"),
    ),
    (
        Gemini,
        400,
        &[],
        r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}"#,
        AuthFailed,
        None,
        Some("INVALID_ARGUMENT"),
    ),
    (
        Gemini,
        403,
        &[],
        r#"{"error":{"code":403,"message":"Method doesn't allow unregistered callers.","status":"PERMISSION_DENIED"}}"#,
        AuthFailed,
        None,
        Some("PERMISSION_DENIED"),
    ),
    (
        Gemini,
        404,
        &[],
        r#"{"error":{"code":404,"message":"models/gemini-9 is not found for API version v1beta.","status":"NOT_FOUND"}}"#,
        AuthFailed,
        None,
        Some("NOT_FOUND"),
    ),
    (
        Gemini,
        400,
        &[],
        r#"{"error":{"code":400,"message":"User location is not supported for the API use.","status":"FAILED_PRECONDITION"}}"#,
        AuthFailed,
        None,
        Some("FAILED_PRECONDITION"),
    ),
    (
        Gemini,
        400,
        &[],
        r#"{"error":{"code":400,"message":"Invalid JSON payload received. Unknown name \"contnts\": Cannot find field.","status":"INVALID_ARGUMENT"}}"#,
        InvalidRequest,
        None,
        Some("INVALID_ARGUMENT"),
    ),
    (
        Gemini,
        500,
        &[],
        r#"{"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}"#,
        ProviderUnavailable,
        None,
        Some("INTERNAL"),
    ),
    (
        Gemini,
        504,
        &[],
        r#"{"error":{"code":504,"message":"Deadline expired before operation could complete.","status":"DEADLINE_EXCEEDED"}}"#,
        Timeout,
        None,
        Some("DEADLINE_EXCEEDED"),
    ),
];

#[test]
fn every_recorded_error_gets_its_class_and_wait() {
    let now = SystemTime::now();
    let mut seen = std::collections::BTreeMap::<&str, Vec<FailureClass>>::new();
    for (provider, status, pairs, body, class, wait_ms, code) in ROWS {
        let mut headers = HeaderMap::new();
        for (name, value) in *pairs {
            headers.insert(*name, value.parse().unwrap());
        }
        let got = classify_error(*provider, *status, &headers, body.as_bytes(), now);
        let row = format!("{provider:?} {status} {body:.80}");
        assert_eq!(got.class, *class, "{row}");
        assert_eq!(got.retry_after, wait_ms.map(Duration::from_millis), "{row}");
        assert_eq!(got.provider_code.as_deref(), *code, "{row}");
        assert_eq!(got.status, Some(*status));
        if !body.is_empty() {
            assert!(
                !got.detail.is_empty(),
                "{row}: the operator gets the provider's words"
            );
        }
        seen.entry(provider.as_str()).or_default().push(*class);
    }
    // Each format has a recorded body for every class an error answer can
    // have (truncation and filtering of answers are below).
    for (format, classes) in &seen {
        for class in [
            RateLimited,
            ContextTooLong,
            AuthFailed,
            ProviderQuotaExhausted,
            InvalidRequest,
            ProviderUnavailable,
            Timeout,
        ] {
            assert!(classes.contains(&class), "{format} has no row for {class}");
        }
    }
}

#[test]
fn unusable_answers_are_truncated_or_filtered() {
    let cases = [
        (
            Openai,
            json!({"choices": [{"finish_reason": "length", "message": {"content": "Ada is"}}]}),
            Some(OutputTruncated),
        ),
        (
            Openai,
            json!({"choices": [{"finish_reason": "content_filter"}]}),
            Some(ContentFiltered),
        ),
        (
            Openai,
            json!({"choices": [{"finish_reason": "stop"}]}),
            None,
        ),
        (
            Anthropic,
            json!({"type": "message", "stop_reason": "max_tokens", "content": []}),
            Some(OutputTruncated),
        ),
        (
            Anthropic,
            json!({"type": "message", "stop_reason": "refusal"}),
            Some(ContentFiltered),
        ),
        (
            Anthropic,
            json!({"type": "message", "stop_reason": "end_turn"}),
            None,
        ),
        (
            Gemini,
            json!({"candidates": [{"finishReason": "MAX_TOKENS"}]}),
            Some(OutputTruncated),
        ),
        (
            Gemini,
            json!({"candidates": [{"finishReason": "SAFETY"}]}),
            Some(ContentFiltered),
        ),
        (
            Gemini,
            json!({"promptFeedback": {"blockReason": "SAFETY"}}),
            Some(ContentFiltered),
        ),
        (
            Gemini,
            json!({"candidates": [{"finishReason": "STOP"}]}),
            None,
        ),
    ];
    for (provider, body, class) in cases {
        assert_eq!(
            classify_finish(provider, &body),
            class,
            "{provider:?} {body}"
        );
    }
}

#[tokio::test]
async fn transport_failures_over_real_sockets() {
    // Refused: a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let refused = client
        .get(format!("http://127.0.0.1:{port}/"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(transport_of(&refused), Transport::Connection);
    assert_eq!(
        classify_transport(transport_of(&refused), refused.to_string()).class,
        ProviderUnavailable
    );

    // Timed out: a listener that accepts and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(socket);
    });
    let slow = client
        .get(format!("http://{addr}/"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(transport_of(&slow), Transport::TimedOut);
    let classified = classify_transport(transport_of(&slow), slow.to_string());
    assert_eq!(classified.class, Timeout);
    assert_eq!(classified.status, None);
    held.abort();

    // Reset: a listener that closes the connection before answering.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        drop(socket);
    });
    let reset = client
        .get(format!("http://{addr}/"))
        .send()
        .await
        .unwrap_err();
    assert_ne!(transport_of(&reset), Transport::TimedOut);
    assert_eq!(
        classify_transport(transport_of(&reset), reset.to_string()).class,
        ProviderUnavailable
    );
}

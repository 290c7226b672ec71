//! `/v1/chat/completions` in-process against the fake provider: a model
//! failure is OpenAI's error shape with the class as its code and the
//! retry headers an SDK reads; what the SDK must not retry says so.

mod support;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use prompt_preflight_server::chat::OpenAiChat;
use prompt_preflight_server::fake::{openai, FakeProvider, RATE_LIMITED_KEY};
use prompt_preflight_server::service::call::Policy;
use prompt_preflight_server::{app, AppState, Provider, ProviderEndpoint, Registry};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

async fn post(state: AppState, body: Value) -> (StatusCode, HeaderMap, Value) {
    let tier = body["tier"].as_str().unwrap_or("free").to_owned();
    let state = support::keyed_on(state, &tier).await;
    let request = Request::post("/v1/chat/completions")
        .header(header::CONTENT_TYPE, "application/json")
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", support::key_of(&state)),
        )
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = app(state).oneshot(request).await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, serde_json::from_slice(&bytes).unwrap())
}

fn state(fake: &FakeProvider, key: &str) -> AppState {
    let endpoint = ProviderEndpoint {
        api_key: Some(key.into()),
        base_url: format!("{}/v1", fake.base_url()),
    };
    AppState::new(Registry::builtin())
        .with_chat(
            Provider::Openai,
            Arc::new(OpenAiChat::new(reqwest::Client::new(), endpoint)),
        )
        .with_run_policy(Policy {
            deadline: Duration::from_secs(1),
            base_delay: Duration::from_millis(1),
            ..Policy::default()
        })
}

fn ask() -> Value {
    json!({"model": "customer-list", "messages": [{"role": "user", "content": "Ada renewed early and asked about the pro plan."}]})
}

#[tokio::test]
async fn the_answer_is_a_chat_completion() {
    let fake = FakeProvider::start().await;
    let (status, _, body) = post(state(&fake, "fake-key-1"), ask()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["object"], "chat.completion");
    assert!(body["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .starts_with("Fake answer from gpt-4o-mini"));
    assert!(body["usage"]["prompt_tokens"].as_u64().unwrap() > 0);
    assert_eq!(body["preflight"]["summary"], "Answered by gpt-4o-mini.");
    // The contract's system prompt went to the model, not the caller's.
    let sent = fake.requests()[0].json().unwrap();
    assert_eq!(sent["messages"][0]["role"], "system");
}

#[tokio::test]
async fn a_failed_call_is_openais_error_shape_with_our_class() {
    let fake = FakeProvider::start().await;
    let (status, headers, body) = post(state(&fake, RATE_LIMITED_KEY), ask()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["error"]["type"], "rate_limit_error");
    assert_eq!(body["error"]["code"], "rate_limited");
    assert_eq!(headers["retry-after-ms"], "7000");
    assert_eq!(headers["x-should-retry"], "true");

    let (status, headers, body) = post(state(&fake, openai::OVERFLOW_KEY), ask()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "context_too_long");
    assert_eq!(headers["x-should-retry"], "false");
    assert!(
        !body
            .to_string()
            .contains("maximum context length is 128000"),
        "no raw provider text: {body}"
    );

    let (status, _, body) = post(
        state(&fake, "fake-key-1"),
        json!({"model": "customer-list"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("needs a user message"));
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_friendly_413_in_openais_shape() {
    let huge = "x".repeat(prompt_preflight_server::MAX_BODY_BYTES + 1);
    let body = json!({"model": "customer-list", "messages": [{"role": "user", "content": huge}]});
    let (status, headers, body) = post(AppState::new(Registry::builtin()), body).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"]["code"], "request_too_large");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert_eq!(
        body["error"]["message"],
        "The upload is larger than the 26 MiB this server accepts. Send a shorter input, or split it into parts."
    );
    assert_eq!(headers["x-should-retry"], "false");
}

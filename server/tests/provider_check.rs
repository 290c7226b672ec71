//! `POST /v1/check` with the providers' exact counts: for Claude and Gemini
//! contracts the server asks the fake provider (over real HTTP on
//! 127.0.0.1) for the count of the request with the input and of the
//! request with an empty input, and the difference replaces the estimate.
//!
//! The fake counts `ceil(1.15 n) + 5` (Anthropic) and `ceil(1.05 n)`
//! (Gemini) for `n` o200k tokens; the core estimates `ceil(n × ratio ×
//! safety)` with 1.25 × 1.2 (Claude) and 1.05 × 1.15 (Gemini). So on the
//! same text the estimate is the higher figure, as it is meant to be.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use prompt_preflight::{Contract, Input};
use prompt_preflight_server::fake::{
    FakeProvider, RecordedRequest, OVERLOADED_KEY, RATE_LIMITED_KEY, SERVER_ERROR_KEY, SLOW_KEY,
};
use prompt_preflight_server::{
    app, AppState, Provider, ProviderConfig, Providers, Registry, COUNTING,
};
use serde_json::{json, Value};
use std::time::Duration;
use tower::ServiceExt;

const KEY: &str = "fake-key-check";
const CLAUDE: &str = "claude-haiku-4-5";
const GEMINI: &str = "gemini-2.5-flash";
const SYSTEM: &str = "You are a careful analyst. Answer in plain language.";
const TEMPLATE: &str = "Summarise these notes and say what stands out.\n\n{{input}}";
const NOTES: &str = "Ada Lovelace called on Tuesday about the invoice for March. \
                     She wants the pro plan from next month and asked about a discount.";

/// A contract for `model` with one tier, `free`, of `limit` input tokens.
fn contract(id: &str, model: &str, template: &str, limit: u64) -> Contract {
    let source = format!(
        r#"
id = "{id}"
version = "1.0.0"
default_tier = "free"

[model]
name = "{model}"

[prompt]
system = "{SYSTEM}"
template = {template:?}

[input]
text = true

[tiers.free]
max_input_tokens = {limit}
max_output_tokens = 500
"#
    );
    Contract::parse(&source).unwrap_or_else(|e| panic!("{e}\n{source}"))
}

fn registry(contracts: impl IntoIterator<Item = Contract>) -> Registry {
    let mut registry = Registry::default();
    for contract in contracts {
        registry.insert(contract).unwrap();
    }
    registry
}

fn with_key(registry: Registry, fake: &FakeProvider, key: &str) -> AppState {
    let providers = Providers::new(fake.provider_config(key)).unwrap();
    AppState::new(registry).with_providers(providers)
}

/// Checks `text` against the contract `id`; returns the status and body.
async fn check(state: &AppState, id: &str, text: &str) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/v1/check")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"contract": id, "text": text}).to_string(),
        ))
        .unwrap();
    let response = app(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

/// Checks and expects 200; returns the report and the payload.
async fn check_ok(state: &AppState, id: &str, text: &str) -> (Value, Value) {
    let (status, body) = check(state, id, text).await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    (body["report"].clone(), body["payload"].clone())
}

/// The user message for `input`: the template with the input in it.
fn user_message(template: &str, input: &str) -> String {
    template.replacen("{{input}}", input, 1)
}

/// What the fake counts for the input: the request with it, less the
/// request without it.
fn fake_input(provider: Provider, template: &str, input: &str) -> u64 {
    let total = FakeProvider::tokens_for(provider, Some(SYSTEM), &user_message(template, input));
    let fixed = FakeProvider::tokens_for(provider, Some(SYSTEM), &user_message(template, ""));
    total - fixed
}

/// The core's estimate of the input, as the browser would show it.
fn estimated_input(contract: &Contract, input: &str) -> u64 {
    let checked = prompt_preflight::check(contract, None, &Input::Text(input)).unwrap();
    assert!(checked.report.tokens.estimate.is_some());
    checked.report.tokens.input
}

/// A request's body, with Gemini's `generateContentRequest` (sent when
/// there is a system instruction) unwrapped.
fn request_body(request: &RecordedRequest) -> Value {
    let body = request.json().expect("a JSON body");
    match body.get("generateContentRequest") {
        Some(inner) => inner.clone(),
        None => body,
    }
}

/// The user message's text in a request to either provider.
fn user_text(request: &RecordedRequest) -> String {
    let body = request_body(request);
    let text = body["messages"][0]["content"]
        .as_str()
        .or(body["contents"][0]["parts"][0]["text"].as_str());
    text.expect("one user message").to_owned()
}

/// The system prompt in a request to either provider.
fn system_text(request: &RecordedRequest) -> Option<String> {
    let body = request_body(request);
    let text = body["system"]
        .as_str()
        .or(body["systemInstruction"]["parts"][0]["text"].as_str());
    text.map(str::to_owned)
}

fn codes(report: &Value) -> Vec<&str> {
    report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect()
}

/// The exact figures for one provider, and the fixed count asked once
/// across two checks.
async fn exact_counts_replace_the_estimate(provider: Provider, model: &str, counted_by: &str) {
    let fake = FakeProvider::start().await;
    let state = with_key(
        registry([contract("notes", model, TEMPLATE, 2000)]),
        &fake,
        KEY,
    );

    let (report, payload) = check_ok(&state, "notes", NOTES).await;
    let tokens = &report["tokens"];
    let total = FakeProvider::tokens_for(provider, Some(SYSTEM), &user_message(TEMPLATE, NOTES));
    let fixed = FakeProvider::tokens_for(provider, Some(SYSTEM), &user_message(TEMPLATE, ""));
    assert_eq!(tokens["exact"], true, "{tokens:#}");
    assert_eq!(tokens["counted_by"], counted_by);
    assert!(tokens.get("estimate").is_none(), "{tokens:#}");
    assert_eq!(tokens["input"], total - fixed);
    assert_eq!(tokens["overhead"], fixed);
    assert_eq!(
        tokens["total"],
        total + tokens["output_reserved"].as_u64().unwrap()
    );
    assert_eq!(tokens["state"], "ok");
    assert_eq!(report["ok"], true);
    assert!(codes(&report).is_empty(), "{report:#}");
    assert_eq!(
        payload["messages"][1]["content"],
        user_message(TEMPLATE, NOTES)
    );

    // A second check asks for its own total only: the fixed count is kept.
    let other = "Grace Hopper wants a call back about her order.";
    let (report, _) = check_ok(&state, "notes", other).await;
    assert_eq!(
        report["tokens"]["input"],
        fake_input(provider, TEMPLATE, other)
    );
    let users: Vec<String> = fake.requests().iter().map(user_text).collect();
    assert_eq!(users.len(), 3, "{users:#?}");
    let asked = |input: &str| {
        let user = user_message(TEMPLATE, input);
        users.iter().filter(|u| **u == user).count()
    };
    assert_eq!(asked(""), 1, "{users:#?}");
    assert_eq!(asked(NOTES), 1);
    assert_eq!(asked(other), 1);
    for request in fake.requests() {
        assert_eq!(
            system_text(&request).as_deref(),
            Some(SYSTEM),
            "{request:#?}"
        );
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn anthropic_counts_exactly_and_asks_for_the_fixed_part_once() {
    exact_counts_replace_the_estimate(Provider::Anthropic, CLAUDE, "anthropic").await;
}

#[tokio::test]
async fn gemini_counts_exactly_and_asks_for_the_fixed_part_once() {
    exact_counts_replace_the_estimate(Provider::Gemini, GEMINI, "gemini").await;
}

/// The estimate as it stands with no provider: not exact, with its basis.
fn assert_estimated(report: &Value) {
    let tokens = &report["tokens"];
    assert_eq!(tokens["exact"], false, "{tokens:#}");
    assert!(tokens["estimate"].is_object(), "{tokens:#}");
    assert!(tokens.get("counted_by").is_none(), "{tokens:#}");
}

#[tokio::test]
async fn a_provider_error_keeps_the_estimate_and_says_why() {
    let cases = [
        (RATE_LIMITED_KEY, "(rate limited)"),
        (OVERLOADED_KEY, "(overloaded)"),
        (SERVER_ERROR_KEY, "(http)"),
        ("sk-not-a-fake-key", "(unauthorized)"),
    ];
    let fake = FakeProvider::start().await;
    for (model, title) in [(CLAUDE, "Anthropic"), (GEMINI, "Google")] {
        for (key, why) in cases {
            let contract = contract("notes", model, TEMPLATE, 2000);
            let estimate = estimated_input(&contract, NOTES);
            let state = with_key(registry([contract]), &fake, key);
            let (report, payload) = check_ok(&state, "notes", NOTES).await;
            assert_estimated(&report);
            assert_eq!(report["tokens"]["input"], estimate);
            assert_eq!(report["ok"], true, "{report:#}");
            assert!(payload.is_object(), "the estimate allows it: {report:#}");
            let failed = report["issues"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["message"].as_str().unwrap().contains("exact count"))
                .unwrap_or_else(|| panic!("no issue about the count: {report:#}"));
            assert_eq!(failed["code"], "token_count_estimated");
            assert_eq!(failed["severity"], "info");
            let message = failed["message"].as_str().unwrap();
            assert!(message.contains(title), "{message}");
            assert!(message.contains(why), "{key}: {message}");
            // The estimate's own explanation is still there.
            let estimated = codes(&report)
                .iter()
                .filter(|c| **c == "token_count_estimated")
                .count();
            assert_eq!(estimated, 2, "{report:#}");
        }
    }
    assert!(!fake.requests().is_empty());
    fake.shutdown().await;
}

#[tokio::test]
async fn a_rate_limit_message_reads_as_a_sentence() {
    let fake = FakeProvider::start().await;
    let state = with_key(
        registry([contract("notes", CLAUDE, TEMPLATE, 2000)]),
        &fake,
        RATE_LIMITED_KEY,
    );
    let (report, _) = check_ok(&state, "notes", NOTES).await;
    let messages: Vec<&str> = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.contains(
            &"We could not get an exact count from Anthropic (rate limited), \
              so the token figures are estimates."
        ),
        "{messages:#?}"
    );
    fake.shutdown().await;
}

#[tokio::test]
async fn a_slow_provider_runs_out_of_time_and_the_estimate_stays() {
    let fake = FakeProvider::start().await;
    let state = with_key(
        registry([contract("notes", CLAUDE, TEMPLATE, 2000)]),
        &fake,
        SLOW_KEY,
    )
    .with_provider_timeout(Duration::from_millis(200));
    let started = std::time::Instant::now();
    let (report, payload) = check_ok(&state, "notes", NOTES).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_estimated(&report);
    assert!(payload.is_object());
    let text = report.to_string();
    assert!(text.contains("(timed out)"), "{report:#}");
}

#[tokio::test]
async fn without_a_key_the_provider_is_never_asked() {
    let fake = FakeProvider::start().await;
    let contracts = || {
        registry([
            contract("claude", CLAUDE, TEMPLATE, 2000),
            contract("gemini", GEMINI, TEMPLATE, 2000),
        ])
    };
    // No providers at all; the base URLs pointing at the fake but no keys;
    // and a key for the other provider only.
    let no_keys = COUNTING
        .into_iter()
        .fold(ProviderConfig::default(), |config, p| {
            config.with_base_url(p, fake.base_url())
        });
    let states = [
        (AppState::new(contracts()), ["claude", "gemini"].as_slice()),
        (
            AppState::new(contracts()).with_providers(Providers::new(no_keys).unwrap()),
            &["claude", "gemini"],
        ),
        (
            AppState::new(contracts()).with_providers(
                Providers::new(
                    fake.provider_config(KEY)
                        .without_api_key(Provider::Anthropic),
                )
                .unwrap(),
            ),
            &["claude"],
        ),
        (
            AppState::new(contracts()).with_providers(
                Providers::new(fake.provider_config(KEY).without_api_key(Provider::Gemini))
                    .unwrap(),
            ),
            &["gemini"],
        ),
    ];
    for (state, ids) in states {
        for id in ids {
            let (report, payload) = check_ok(&state, id, NOTES).await;
            assert_estimated(&report);
            assert_eq!(report["ok"], true);
            assert!(payload.is_object());
            assert!(!report.to_string().contains("exact count"), "{report:#}");
        }
    }
    assert_eq!(fake.requests(), vec![], "no request reaches the fake");
    fake.shutdown().await;
}

#[tokio::test]
async fn exact_models_and_refused_inputs_are_not_sent() {
    let fake = FakeProvider::start().await;
    let mut contracts = registry([contract("claude", CLAUDE, TEMPLATE, 2000)]);
    contracts
        .insert(contract("gpt", "gpt-4o-mini", TEMPLATE, 2000))
        .unwrap();
    // No text around the input: the request without it would be an empty
    // message, which the providers refuse to count.
    contracts
        .insert(contract("bare", CLAUDE, "{{input}}", 2000))
        .unwrap();
    let state = with_key(contracts, &fake, KEY);

    // OpenAI's tokenizer is public: the core's count is already exact.
    let (report, _) = check_ok(&state, "gpt", NOTES).await;
    assert_eq!(report["tokens"]["exact"], true);
    assert!(report["tokens"].get("counted_by").is_none());

    // Refused for something other than its size: nothing to count.
    let (report, payload) = check_ok(&state, "claude", "").await;
    assert_eq!(codes(&report)[0], "empty_input");
    assert!(payload.is_null());
    assert_estimated(&report);

    let (report, payload) = check_ok(&state, "bare", NOTES).await;
    assert_estimated(&report);
    assert!(payload.is_object());

    assert_eq!(fake.requests(), vec![]);
    fake.shutdown().await;
}

/// The estimate calls the input over the limit; the exact count accepts it,
/// and the payload is returned.
#[tokio::test]
async fn an_exact_count_can_accept_what_the_estimate_refused() {
    for (provider, model) in [(Provider::Anthropic, CLAUDE), (Provider::Gemini, GEMINI)] {
        exact_accepts(provider, model).await;
    }
}

async fn exact_accepts(provider: Provider, model: &str) {
    let fake = FakeProvider::start().await;
    let roomy = contract("notes", model, TEMPLATE, 2000);
    let estimate = estimated_input(&roomy, NOTES);
    let exact = fake_input(provider, TEMPLATE, NOTES);
    // Per o200k token: 1.25 × 1.2 = 1.5 against the fake's 1.15 (Claude),
    // 1.05 × 1.15 ≈ 1.21 against 1.05 (Gemini).
    assert!(exact + 2 < estimate, "exact {exact}, estimate {estimate}");
    let limit = (exact + estimate) / 2;
    let tight = || contract("notes", model, TEMPLATE, limit);

    let (report, payload) = check_ok(&AppState::new(registry([tight()])), "notes", NOTES).await;
    assert_eq!(report["ok"], false);
    assert_eq!(codes(&report)[0], "over_token_limit");
    assert!(payload.is_null());

    let state = with_key(registry([tight()]), &fake, KEY);
    let (report, payload) = check_ok(&state, "notes", NOTES).await;
    assert_eq!(report["ok"], true, "{report:#}");
    assert_eq!(report["tokens"]["input"], exact);
    assert_eq!(report["tokens"]["exact"], true);
    assert!(!codes(&report).contains(&"over_token_limit"), "{report:#}");
    assert_eq!(
        payload["messages"][1]["content"],
        user_message(TEMPLATE, NOTES)
    );
    fake.shutdown().await;
}

/// The estimate accepts the input; the exact count puts it over the limit,
/// and no payload is returned.
///
/// On the same text the fake counts fewer tokens than the estimate (see the
/// module docs), so this needs a template whose two halves merge when
/// nothing is between them. The core's estimate takes the input to be the
/// user message's tokens less those of the template's halves counted apart;
/// the provider's figure is the user message's tokens less those of the
/// request with an empty input, where the halves are counted together. The
/// rules `====…` below are three o200k tokens fewer together than apart, so
/// the provider's input is about 1.15 × (b + 3) tokens (Gemini: 1.05 ×
/// (b + 3)) against the estimate's ceil(1.5 × b) (Gemini: ceil(1.21 × b)),
/// with b = 1 for a one-word input.
#[tokio::test]
async fn an_exact_count_can_refuse_what_the_estimate_accepted() {
    for (provider, model) in [(Provider::Anthropic, CLAUDE), (Provider::Gemini, GEMINI)] {
        exact_refuses(provider, model).await;
    }
}

async fn exact_refuses(provider: Provider, model: &str) {
    let fake = FakeProvider::start().await;
    let rule = "=".repeat(24);
    let template = format!("Summarise the text between the rules.\n{rule}{{{{input}}}}{rule}");
    let input = "Hello";
    let roomy = contract("notes", model, &template, 2000);
    let estimate = estimated_input(&roomy, input);
    let exact = fake_input(provider, &template, input);
    assert!(exact > estimate, "exact {exact}, estimate {estimate}");
    let tight = || contract("notes", model, &template, estimate);

    let (report, payload) = check_ok(&AppState::new(registry([tight()])), "notes", input).await;
    assert_eq!(report["ok"], true, "{report:#}");
    assert_eq!(report["tokens"]["input"], estimate);
    assert!(payload.is_object());

    let state = with_key(registry([tight()]), &fake, KEY);
    let (report, payload) = check_ok(&state, "notes", input).await;
    assert_eq!(report["ok"], false, "{report:#}");
    assert_eq!(report["tokens"]["input"], exact);
    assert_eq!(report["tokens"]["state"], "over");
    assert_eq!(codes(&report)[0], "over_token_limit");
    assert!(payload.is_null(), "{payload:#}");
    fake.shutdown().await;
}

//! Keys, isolation and quotas through the API, on SQLite and PostgreSQL,
//! with the model behind the local fake provider (real HTTP).

mod support;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use prompt_preflight::Contract;
use prompt_preflight_server::chat::OpenAiChat;
use prompt_preflight_server::fake::chat::{LENGTH_ONCE_KEY, STREAM_DROP_KEY};
use prompt_preflight_server::fake::{FakeProvider, OVERLOADED_KEY, VALID_KEY_PREFIX};
use prompt_preflight_server::service::call::Policy;
use prompt_preflight_server::store::{Metric, Store};
use prompt_preflight_server::{app, AppState, Provider, ProviderEndpoint, Registry};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

const NOTES: &str = "Ada renewed early and asked about the pro plan; Grace wants audit logs.";

fn contract(tier: &str) -> Contract {
    Contract::parse(&format!(
        r#"
        id = "notes"
        version = "1.0.0"
        [model]
        name = "gpt-4o-mini"
        [prompt]
        system = "Summarise the notes."
        template = "Notes:\n{{{{input}}}}"
        [tiers.free]
        max_input_tokens = 2000
        max_output_tokens = 200
        {tier}
        [tiers.paid]
        max_input_tokens = 4000
        "#
    ))
    .unwrap()
}

async fn state(
    fake: &FakeProvider,
    provider_key: &str,
    url: &str,
    tier: &str,
) -> (AppState, Store) {
    let store = Store::open(url).await.unwrap();
    (state_with(fake, provider_key, &store, tier), store)
}

/// The server's state over `store`, the model behind the fake with
/// `provider_key`, and the `notes` contract with `tier` in its free tier.
fn state_with(fake: &FakeProvider, provider_key: &str, store: &Store, tier: &str) -> AppState {
    let mut registry = Registry::builtin();
    registry.insert(contract(tier)).unwrap();
    let endpoint = ProviderEndpoint {
        api_key: Some(provider_key.into()),
        base_url: format!("{}/v1", fake.base_url()),
    };
    AppState::new(registry)
        .with_chat(
            Provider::Openai,
            Arc::new(OpenAiChat::new(reqwest::Client::new(), endpoint)),
        )
        .with_run_policy(Policy {
            deadline: Duration::from_secs(10),
            base_delay: Duration::from_millis(1),
            ..Policy::default()
        })
        .with_store(store.clone())
}

async fn send(state: &AppState, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
    let response = app(state.clone()).oneshot(request).await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, headers, body)
}

fn run_request(key: Option<&str>, body: Value) -> Request<Body> {
    let mut r = Request::post("/v1/run").header(header::CONTENT_TYPE, "application/json");
    if let Some(key) = key {
        r = r.header(header::AUTHORIZATION, format!("Bearer {key}"));
    }
    r.body(Body::from(body.to_string())).unwrap()
}

fn get(path: &str, key: Option<&str>) -> Request<Body> {
    let mut r = Request::get(path);
    if let Some(key) = key {
        r = r.header("x-api-key", key);
    }
    r.body(Body::empty()).unwrap()
}

fn notes() -> Value {
    json!({"contract": "notes", "text": NOTES})
}

#[tokio::test]
async fn a_key_is_needed_to_run_and_a_wrong_or_revoked_one_is_refused() {
    let fake = FakeProvider::start().await;
    let url = support::databases().await.remove(0).1;
    let (state, store) = state(&fake, VALID_KEY_PREFIX, &url, "tokens_per_minute = 50000").await;
    let (status, headers, body) = send(&state, run_request(None, notes())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "missing_api_key");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Authorization: Bearer"));
    assert_eq!(headers["www-authenticate"], "Bearer");
    assert!(headers["x-request-id"]
        .to_str()
        .unwrap()
        .starts_with("req_"));
    let (status, _, body) = send(&state, run_request(Some("pp_0123456789abcdef"), notes())).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_api_key"))
    );

    let key = store.create_key("ada", "free", false).await.unwrap();
    let (status, headers, body) = send(&state, run_request(Some(&key.secret), notes())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        headers.contains_key("x-ratelimit-remaining-tokens"),
        "{headers:?}"
    );
    // The proxy takes the key as the SDKs send it.
    let proxy = Request::post("/v1/chat/completions")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {}", key.secret))
        .body(Body::from(
            json!({"model": "notes", "messages": [{"role": "user", "content": NOTES}]}).to_string(),
        ))
        .unwrap();
    let (status, _, body) = send(&state, proxy).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let anonymous_proxy = Request::post("/v1/chat/completions")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"model": "notes", "messages": [{"role": "user", "content": NOTES}]}).to_string(),
        ))
        .unwrap();
    let (status, headers, body) = send(&state, anonymous_proxy).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body["error"]["type"], "authentication_error",
        "OpenAI's shape: {body}"
    );
    assert_eq!(headers["x-should-retry"], "false");

    // A key on `free` cannot ask for `paid`.
    let mut paid = notes();
    paid["tier"] = "paid".into();
    let (status, _, body) = send(&state, run_request(Some(&key.secret), paid)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("tier_not_allowed"))
    );

    // The check stays open to anonymous visitors, but a wrong key is not ignored.
    let check = |key: Option<&str>| {
        let mut r = Request::post("/v1/check").header(header::CONTENT_TYPE, "application/json");
        if let Some(key) = key {
            r = r.header("x-api-key", key);
        }
        r.body(Body::from(notes().to_string())).unwrap()
    };
    assert_eq!(send(&state, check(None)).await.0, StatusCode::OK);
    assert_eq!(
        send(&state, check(Some("pp_nope"))).await.0,
        StatusCode::UNAUTHORIZED
    );

    // Operator endpoints need an admin key.
    let (status, _, body) = send(&state, get("/v1/admin/usage", Some(&key.secret))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let admin = store.create_key("ops", "free", true).await.unwrap();
    // An operator may try every plan.
    let mut paid = notes();
    paid["tier"] = "paid".into();
    let (status, _, body) = send(&state, run_request(Some(&admin.secret), paid)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["report"]["tokens"]["tier"], "paid");
    let (status, _, usage) = send(&state, get("/v1/admin/usage", Some(&admin.secret))).await;
    assert_eq!(status, StatusCode::OK, "{usage}");
    let ada = usage["by_user"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user"] == "ada")
        .unwrap();
    assert_eq!(
        ada["requests"], 2,
        "a run and a proxy call (the refused tier never ran): {usage}"
    );
    let anonymous = usage["by_user"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user"] == "anonymous")
        .unwrap();
    assert_eq!(anonymous["requests"], 1, "the anonymous check: {usage}");

    assert!(store.revoke_key(&key.id).await.unwrap());
    let (status, _, _) = send(&state, run_request(Some(&key.secret), notes())).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a revoked key is refused at once"
    );
}

#[tokio::test]
async fn each_user_sees_only_their_own_usage() {
    let fake = FakeProvider::start().await;
    let url = support::databases().await.remove(0).1;
    let (state, store) = state(&fake, VALID_KEY_PREFIX, &url, "monthly_tokens = 100000").await;
    let ada = store.create_key("ada", "free", false).await.unwrap();
    let bob = store.create_key("bob", "free", false).await.unwrap();
    for _ in 0..2 {
        assert_eq!(
            send(&state, run_request(Some(&ada.secret), notes()))
                .await
                .0,
            StatusCode::OK
        );
    }
    let (_, _, me_ada) = send(&state, get("/v1/me?contract=notes", Some(&ada.secret))).await;
    let (_, _, me_bob) = send(&state, get("/v1/me?contract=notes", Some(&bob.secret))).await;
    assert_eq!(me_ada["user"], "ada");
    let month = |me: &Value| {
        me["quota"]["counters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["metric"] == "tokens_month")
            .unwrap()["used"]
            .as_i64()
            .unwrap()
    };
    assert!(month(&me_ada) > 0, "{me_ada}");
    assert_eq!(month(&me_bob), 0, "bob's counters are his own: {me_bob}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_runs_never_settle_above_the_allowance() {
    let fake = FakeProvider::start().await;
    for (name, url) in support::databases().await {
        let (state, store) = state(&fake, VALID_KEY_PREFIX, &url, "monthly_tokens = 10000").await;
        let key = store.create_key("ada", "free", false).await.unwrap();
        let runs: Vec<_> = (0..50)
            .map(|_| {
                let state = state.clone();
                let key = key.secret.clone();
                // ~300 tokens in each: 50 of them need more than 10,000
                // whatever the timing.
                let long = json!({"contract": "notes", "text": NOTES.repeat(15)});
                tokio::spawn(async move { send(&state, run_request(Some(&key), long)).await })
            })
            .collect();
        let (mut answered, mut refused) = (0, 0);
        for run in runs {
            let (status, headers, body) = run.await.unwrap();
            match status {
                StatusCode::OK => answered += 1,
                StatusCode::TOO_MANY_REQUESTS => {
                    refused += 1;
                    assert_eq!(body["error"]["code"], "quota_exceeded", "{name}: {body}");
                    assert_eq!(body["error"]["limit"], "tokens_month");
                    let message = body["error"]["message"].as_str().unwrap();
                    assert!(message.starts_with("You've used "), "{message}");
                    assert!(
                        message.contains("of this month's 10,000 tokens; it resets on 1 "),
                        "{message}"
                    );
                    assert_eq!(headers["x-should-retry"], "false", "our own monthly quota");
                    assert!(!headers.contains_key("retry-after"));
                }
                other => panic!("{name}: {other} {body}"),
            }
        }
        assert_eq!(answered + refused, 50);
        assert!(
            answered > 0 && refused > 0,
            "{name}: {answered} answered, {refused} refused"
        );
        let caller = store.authenticate(&key.secret).await.unwrap().unwrap();
        let contract = state.contract("notes").unwrap();
        let (_, tier) = contract.tier(Some("free")).unwrap();
        let standing = state
            .accounts
            .as_ref()
            .unwrap()
            .quotas
            .standing(&caller, &contract, tier)
            .await
            .unwrap();
        let month = standing
            .counters
            .iter()
            .find(|c| c.metric == Metric::TokensMonth)
            .unwrap();
        assert!(
            month.used <= 10_000,
            "{name}: settled {} of 10,000",
            month.used
        );
        assert_eq!(month.reserved, 0, "{name}: nothing left held");
        let totals = store
            .usage_totals(Some(&caller.user_id), Some("notes"), 0)
            .await
            .unwrap();
        assert_eq!(totals.requests, 50, "{name}: every request has its record");
        assert_eq!(
            totals.input_tokens + totals.output_tokens,
            month.used,
            "{name}: the usage records add up to the counter"
        );
        let spend = standing
            .counters
            .iter()
            .find(|c| c.metric == Metric::SpendMonth)
            .unwrap();
        assert_eq!(
            totals.cost_micro_usd, spend.used,
            "{name}: and so does the cost"
        );
    }
}

#[tokio::test]
async fn a_per_minute_limit_says_when_to_come_back() {
    let fake = FakeProvider::start().await;
    let url = support::databases().await.remove(0).1;
    let (state, store) = state(&fake, VALID_KEY_PREFIX, &url, "requests_per_minute = 2").await;
    let key = store.create_key("ada", "free", false).await.unwrap();
    let (status, headers, _) = send(&state, run_request(Some(&key.secret), notes())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-ratelimit-limit-requests"], "2");
    assert_eq!(headers["x-ratelimit-remaining-requests"], "1");
    send(&state, run_request(Some(&key.secret), notes())).await;
    let (status, headers, body) = send(&state, run_request(Some(&key.secret), notes())).await;
    // The minute may have turned between the requests; then it passes.
    if status == StatusCode::OK {
        return;
    }
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["limit"], "requests_minute");
    assert_eq!(headers["x-should-retry"], "true");
    let secs: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    let ms: u64 = headers["retry-after-ms"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&secs) && ms <= 60_000, "{secs} {ms}");
    assert!(
        body["error"]["hint"].as_str().unwrap().starts_with("Wait "),
        "{body}"
    );
}

#[tokio::test]
async fn failures_are_released_retries_charged_and_broken_streams_never_zero() {
    for (name, url) in support::databases().await {
        // The fake's "once" cases are once per fake.
        let fake = FakeProvider::start().await;
        // A failed call costs nothing and holds nothing.
        let (state, store) = state(&fake, OVERLOADED_KEY, &url, "monthly_tokens = 100000").await;
        let key = store.create_key("ada", "free", false).await.unwrap();
        let (status, headers, body) = send(&state, run_request(Some(&key.secret), notes())).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{name}: {body}");
        let id = headers["x-request-id"].to_str().unwrap();
        let record = store.usage_record(id).await.unwrap().expect("a record");
        assert_eq!(record.outcome, "provider_unavailable");
        assert!(record.attempts >= 1);
        assert_eq!(
            store.reservation(id).await.unwrap().unwrap().0,
            "released",
            "{name}"
        );
        let totals = store.usage_totals(None, None, 0).await.unwrap();
        assert_eq!(totals.input_tokens + totals.output_tokens, 0);

        // A cut-off answer continued: both calls charged, as they cost.
        let (state, store) = state_on(&fake, LENGTH_ONCE_KEY, &store).await;
        let (status, headers, body) = send(&state, run_request(Some(&key.secret), notes())).await;
        assert_eq!(status, StatusCode::OK, "{name}: {body}");
        let id = headers["x-request-id"].to_str().unwrap();
        let record = store.usage_record(id).await.unwrap().unwrap();
        assert_eq!(record.attempts, 2, "{name}: {:?}", record.steps);
        let used: u64 = body["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["usage"]["input"].as_u64().unwrap() + a["usage"]["output"].as_u64().unwrap())
            .sum();
        assert_eq!((record.input_tokens + record.output_tokens) as u64, used);
        assert_eq!(store.reservation(id).await.unwrap().unwrap().0, "settled");

        // A stream that breaks is charged what it consumed, never zero.
        let (state, store) = state_on(&fake, STREAM_DROP_KEY, &store).await;
        let request = Request::post("/v1/run")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "text/event-stream")
            .header(header::AUTHORIZATION, format!("Bearer {}", key.secret))
            .body(Body::from(notes().to_string()))
            .unwrap();
        let (status, headers, _) = send(&state, request).await;
        assert_eq!(status, StatusCode::OK);
        let id = headers["x-request-id"].to_str().unwrap().to_owned();
        let record = wait_for_record(&store, &id).await;
        assert!(record.counted_by_us, "{name}: {record:?}");
        assert!(
            record.input_tokens > 0 && record.cost_micro_usd > 0,
            "{name}: {record:?}"
        );
        let caller = store.authenticate(&key.secret).await.unwrap().unwrap();
        let contract = state.contract("notes").unwrap();
        let (_, tier) = contract.tier(Some("free")).unwrap();
        let standing = state
            .accounts
            .as_ref()
            .unwrap()
            .quotas
            .standing(&caller, &contract, tier)
            .await
            .unwrap();
        let month = standing
            .counters
            .iter()
            .find(|c| c.metric == Metric::TokensMonth)
            .unwrap();
        let totals = store
            .usage_totals(Some(&caller.user_id), None, 0)
            .await
            .unwrap();
        assert_eq!(
            month.used,
            totals.input_tokens + totals.output_tokens,
            "{name}"
        );
        assert_eq!(month.reserved, 0);
    }
}

/// The state of [`state`] with another provider key, on the same store.
async fn state_on(fake: &FakeProvider, provider_key: &str, store: &Store) -> (AppState, Store) {
    let state = state_with(fake, provider_key, store, "monthly_tokens = 100000");
    (state, store.clone())
}

/// A streamed run settles after its last event: wait for its record.
async fn wait_for_record(store: &Store, id: &str) -> prompt_preflight_server::store::UsageRecord {
    for _ in 0..200 {
        if let Some(r) = store.usage_record(id).await.unwrap() {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no usage record for {id}");
}

#[tokio::test]
async fn the_metrics_count_requests_tokens_latency_breakers_and_issue_codes() {
    let fake = FakeProvider::start().await;
    let url = support::databases().await.remove(0).1;
    let (state, store) = state(&fake, VALID_KEY_PREFIX, &url, "tokens_per_minute = 50000").await;
    let key = store.create_key("ada", "free", false).await.unwrap();
    assert_eq!(
        send(&state, run_request(Some(&key.secret), notes()))
            .await
            .0,
        StatusCode::OK
    );
    let refused = json!({"contract": "notes", "text": ""});
    assert_eq!(
        send(&state, run_request(Some(&key.secret), refused))
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // A prepare is recorded too: its input's shape, no tokens.
    let prepare = Request::post("/v1/prepare")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(notes().to_string()))
        .unwrap();
    let (status, headers, _) = send(&state, prepare).await;
    assert_eq!(status, StatusCode::OK);
    let id = headers["x-request-id"].to_str().unwrap();
    let record = store.usage_record(id).await.unwrap().expect("a record");
    assert_eq!(
        (record.route.as_str(), record.outcome.as_str()),
        ("prepare", "prepared")
    );
    assert_eq!(record.input_kind.as_deref(), Some("text"));
    assert_eq!(record.input_bytes, NOTES.len() as i64);
    assert_eq!((record.input_tokens, record.cost_micro_usd), (0, 0));
    assert_eq!(record.user_id, None);
    let response = app(state.clone())
        .oneshot(get("/metrics", None))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    for line in [
        r#"preflight_requests_total{route="run",outcome="answered"} 1"#,
        r#"preflight_requests_total{route="run",outcome="check_failed"} 1"#,
        r#"preflight_issue_codes_total{code="empty_input"} 1"#,
        r#"preflight_http_responses_total{route="/v1/run",status="200"} 1"#,
        r#"preflight_http_responses_total{route="/v1/run",status="422"} 1"#,
        r#"preflight_provider_latency_seconds_count{provider="openai",model="gpt-4o-mini",outcome="ok"} 1"#,
        "# TYPE preflight_queue_depth gauge",
        r#"preflight_requests_total{route="prepare",outcome="prepared"} 1"#,
        // Time in the database, per store operation.
        "# TYPE preflight_db_seconds histogram",
        r#"preflight_db_seconds_count{op="authenticate"}"#,
        r#"preflight_db_seconds_count{op="reserve"}"#,
        r#"preflight_db_seconds_count{op="settle"}"#,
        r#"preflight_db_seconds_count{op="record"}"#,
    ] {
        assert!(text.contains(line), "no `{line}` in:\n{text}");
    }
    assert!(
        text.contains(r#"preflight_tokens_total{model="gpt-4o-mini",kind="input"}"#),
        "{text}"
    );
    assert!(
        text.contains(r#"preflight_cost_usd_total{model="gpt-4o-mini"}"#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"preflight_circuit_breaker_state{provider="openai",model="gpt-4o-mini"} 0"#
        ),
        "{text}"
    );
}

//! The durable queue on both databases: `Prefer: respond-async` gives a
//! job, a user sees only their own, users take turns, and a worker whose
//! lease was taken over cannot complete the job.

mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use prompt_preflight_server::chat::OpenAiChat;
use prompt_preflight_server::fake::{FakeProvider, VALID_KEY_PREFIX};
use prompt_preflight_server::service::call::Policy;
use prompt_preflight_server::store::{Amounts, Store, UsageRecord};
use prompt_preflight_server::{app, start_workers, AppState, Provider, ProviderEndpoint, Registry};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

const NOTES: &str = "Ada renewed early and asked about the pro plan; Grace wants audit logs.";

async fn state(fake: &FakeProvider, url: &str) -> (AppState, Store) {
    state_with_key(fake, url, VALID_KEY_PREFIX).await
}

/// The state with the model behind the fake with `provider_key`.
async fn state_with_key(fake: &FakeProvider, url: &str, provider_key: &str) -> (AppState, Store) {
    let endpoint = ProviderEndpoint {
        api_key: Some(provider_key.into()),
        base_url: format!("{}/v1", fake.base_url()),
    };
    let store = Store::open(url).await.unwrap();
    let state = AppState::new(Registry::builtin())
        .with_chat(
            Provider::Openai,
            Arc::new(OpenAiChat::new(reqwest::Client::new(), endpoint)),
        )
        .with_run_policy(Policy {
            deadline: Duration::from_secs(10),
            base_delay: Duration::from_millis(1),
            ..Policy::default()
        })
        .with_store(store.clone());
    (state, store)
}

async fn send(
    state: &AppState,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let response = app(state.clone()).oneshot(request).await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, headers, body)
}

fn async_run(key: &str) -> Request<Body> {
    Request::post("/v1/run")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .header("prefer", "respond-async")
        .body(Body::from(
            json!({"contract": "customer-list", "text": NOTES}).to_string(),
        ))
        .unwrap()
}

fn sync_run(key: &str) -> Request<Body> {
    Request::post("/v1/run")
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-api-key", key)
        .body(Body::from(
            json!({"contract": "customer-list", "text": NOTES}).to_string(),
        ))
        .unwrap()
}

fn get(path: &str, key: &str) -> Request<Body> {
    Request::get(path)
        .header("x-api-key", key)
        .body(Body::empty())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_run_is_a_job_with_a_position_an_eta_and_then_the_result() {
    let fake = FakeProvider::start().await;
    for (name, url) in support::databases().await {
        let (state, store) = state(&fake, &url).await;
        let ada = store.create_key("ada", "free", false).await.unwrap();
        let (status, headers, body) = send(&state, async_run(&ada.secret)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{name}: {body}");
        assert_eq!(headers["preference-applied"], "respond-async");
        let id = body["job"]["id"].as_str().unwrap().to_owned();
        assert_eq!(headers["location"], format!("/v1/jobs/{id}").as_str());
        assert_eq!(
            headers["x-request-id"],
            id.as_str(),
            "the job is the request"
        );
        assert_eq!(body["job"]["status"], "queued");
        assert_eq!(body["job"]["position"], 0);
        assert!(body["job"]["eta_ms"].as_u64().unwrap() > 0);
        assert_eq!(body["links"]["events"], format!("/v1/jobs/{id}/events"));
        assert!(headers.contains_key("x-ratelimit-remaining-tokens"));

        // Nothing runs it until a worker starts: it stays queued, durably.
        let (_, _, view) = send(&state, get(&format!("/v1/jobs/{id}"), &ada.secret)).await;
        assert_eq!(view["status"], "queued", "{name}");
        let workers = start_workers(&state);
        let mut done = Value::Null;
        for _ in 0..200 {
            let (_, _, view) = send(&state, get(&format!("/v1/jobs/{id}"), &ada.secret)).await;
            if view["status"] == "done" {
                done = view;
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert_eq!(done["status"], "done", "{name}: the job finished");
        assert_eq!(done["status_code"], 200);
        assert_eq!(done["attempts"], 1);
        assert!(
            !done["result"]["answer"]["text"]
                .as_str()
                .unwrap()
                .is_empty(),
            "{done}"
        );
        assert_eq!(done["result"]["summary"], "Answered by gpt-4o-mini.");
        let record = store.usage_record(&id).await.unwrap().expect("one record");
        assert_eq!(record.outcome, "answered");
        assert!(record.input_tokens > 0);
        assert_eq!(
            store.reservation(&id).await.unwrap().unwrap().0,
            "settled",
            "{name}"
        );

        // The events of a finished job end at once with `done`.
        let (status, _, events) =
            send(&state, get(&format!("/v1/jobs/{id}/events"), &ada.secret)).await;
        assert_eq!(status, StatusCode::OK);
        let events = events.as_str().unwrap();
        assert!(events.contains("event: done"), "{events}");
        for w in workers {
            w.abort();
        }
    }
}

#[tokio::test]
async fn a_user_cannot_read_cancel_or_stream_another_users_job() {
    let fake = FakeProvider::start().await;
    let url = support::databases().await.remove(0).1;
    let (state, store) = state(&fake, &url).await;
    let ada = store.create_key("ada", "free", false).await.unwrap();
    let bob = store.create_key("bob", "free", false).await.unwrap();
    let (_, _, first) = send(&state, async_run(&ada.secret)).await;
    let (_, _, second) = send(&state, async_run(&ada.secret)).await;
    let id = first["job"]["id"].as_str().unwrap().to_owned();
    let other = second["job"]["id"].as_str().unwrap();
    assert_ne!(id, other);
    assert!(id.len() >= 28, "96 random bits: {id}");
    for path in [format!("/v1/jobs/{id}"), format!("/v1/jobs/{id}/events")] {
        let (status, _, body) = send(&state, get(&path, &bob.secret)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert_eq!(body["error"]["code"], "job_not_found");
    }
    let delete = |key: &str| {
        Request::delete(format!("/v1/jobs/{id}"))
            .header("x-api-key", key)
            .body(Body::empty())
            .unwrap()
    };
    let (status, _, _) = send(&state, delete(&bob.secret)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "bob cannot cancel it");
    let (status, _, body) = send(&state, get(&format!("/v1/jobs/{id}"), &ada.secret)).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("queued"))
    );
    // Ada can; the hold on her quota goes back.
    let (status, _, body) = send(&state, delete(&ada.secret)).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("cancelled")),
        "{body}"
    );
    assert_eq!(store.reservation(&id).await.unwrap().unwrap().0, "released");
    let (status, _, body) = send(&state, delete(&ada.secret)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("job_not_cancellable"))
    );
    // Without a key, nothing.
    let anonymous = Request::get(format!("/v1/jobs/{id}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&state, anonymous).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn one_users_burst_of_500_does_not_starve_the_next_users_job() {
    for (name, url) in support::databases().await {
        let store = Store::open(&url).await.unwrap();
        for i in 0..500 {
            store
                .enqueue(&format!("a{i:03}"), "u_a", "c", "{}")
                .await
                .unwrap();
        }
        store.enqueue("b000", "u_b", "c", "{}").await.unwrap();
        assert_eq!(
            store.position("b000").await.unwrap(),
            1,
            "{name}: only a000 is ahead"
        );
        let first = store.claim("w", 60_000).await.unwrap().unwrap();
        let second = store.claim("w", 60_000).await.unwrap().unwrap();
        assert_eq!(
            (first.id.as_str(), second.id.as_str()),
            ("a000", "b000"),
            "{name}"
        );
        // Then a's jobs in order.
        assert_eq!(store.claim("w", 60_000).await.unwrap().unwrap().id, "a001");
        assert_eq!(store.queue_depth().await.unwrap(), (498, 3));
    }
}

#[tokio::test]
async fn a_worker_whose_lease_was_taken_over_cannot_complete_the_job() {
    for (name, url) in support::databases().await {
        let store = Store::open(&url).await.unwrap();
        store.enqueue("j1", "u", "c", "{}").await.unwrap();
        let stale = store.claim("w1", 1).await.unwrap().unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let fresh = store
            .claim("w2", 60_000)
            .await
            .unwrap()
            .expect("the expired lease is claimed again");
        assert_eq!(
            (fresh.id.as_str(), fresh.attempt),
            ("j1", stale.attempt + 1),
            "{name}"
        );
        assert!(
            !store.renew(&stale, 60_000).await.unwrap(),
            "{name}: the old lease is gone"
        );
        let record = UsageRecord {
            request_id: "j1".into(),
            tier: "free".into(),
            contract_id: "c".into(),
            contract_version: "1".into(),
            route: "run".into(),
            outcome: "answered".into(),
            ..UsageRecord::default()
        };
        let used = Amounts::default();
        assert!(
            !store
                .complete(&stale, 200, "{}", used, &record)
                .await
                .unwrap(),
            "{name}: fenced"
        );
        assert!(
            store.usage_record("j1").await.unwrap().is_none(),
            "{name}: nothing written"
        );
        assert!(store
            .complete(&fresh, 200, "{\"ok\":true}", used, &record)
            .await
            .unwrap());
        assert!(
            !store
                .complete(&fresh, 200, "{}", used, &record)
                .await
                .unwrap(),
            "{name}: once"
        );
        let job = store.job("j1", "u").await.unwrap().unwrap();
        assert_eq!(
            (job.state.as_str(), job.result.as_deref()),
            ("done", Some("{\"ok\":true}"))
        );
        assert!(
            store.claim("w3", 60_000).await.unwrap().is_none(),
            "{name}: a done job is not claimed"
        );
    }
}

#[tokio::test]
async fn a_request_that_would_wait_past_the_deadline_is_queued_not_refused() {
    use prompt_preflight_server::config::ProviderLimits;
    use std::collections::BTreeMap;
    let fake = FakeProvider::start().await;
    let url = support::databases().await.remove(0).1;
    let (state, store) = state(&fake, &url).await;
    let limits = BTreeMap::from([(
        Provider::Openai,
        ProviderLimits {
            rpm: Some(1),
            ..ProviderLimits::default()
        },
    )]);
    let state = state.with_limits(&limits).with_run_policy(Policy {
        deadline: Duration::from_secs(2),
        ..Policy::default()
    });
    let ada = store.create_key("ada", "free", false).await.unwrap();
    let run = || sync_run(&ada.secret);
    let (status, _, body) = send(&state, run()).await;
    assert_eq!(status, StatusCode::OK, "the first fits: {body}");
    let (status, headers, body) = send(&state, run()).await;
    assert_eq!(
        status,
        StatusCode::ACCEPTED,
        "the next would wait a minute: {body}"
    );
    assert!(headers.contains_key("location"));
    assert_eq!(body["job"]["status"], "queued");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Your request is queued and should start in"),
        "{body}"
    );
}

#[tokio::test]
async fn a_providers_rate_limit_hint_queues_the_next_runs_and_counts_in_their_eta() {
    use prompt_preflight_server::config::ProviderLimits;
    use prompt_preflight_server::fake::{RATE_LIMITED_KEY, RETRY_AFTER};
    use std::collections::BTreeMap;
    let fake = FakeProvider::start().await;
    let url = support::databases().await.remove(0).1;
    // The provider answers every call with a 429 and `retry-after: 7`,
    // longer than the run's deadline.
    let (state, store) = state_with_key(&fake, &url, RATE_LIMITED_KEY).await;
    let limits = BTreeMap::from([(
        Provider::Openai,
        ProviderLimits {
            concurrency: Some(8),
            ..ProviderLimits::default()
        },
    )]);
    let state = state.with_limits(&limits).with_run_policy(Policy {
        deadline: Duration::from_secs(3),
        base_delay: Duration::from_millis(1),
        ..Policy::default()
    });
    let ada = store.create_key("ada", "free", true).await.unwrap();
    let run = || sync_run(&ada.secret);
    let (status, _, body) = send(&state, run()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited");
    assert_eq!(fake.take_requests().len(), 1);
    // The next run does not call the provider only to be refused: it is
    // queued, and its ETA counts the provider's hint.
    let (status, _, body) = send(&state, run()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let eta = body["job"]["eta_ms"].as_u64().unwrap();
    assert!(
        eta >= (RETRY_AFTER - Duration::from_secs(2)).as_millis() as u64,
        "the ETA {eta} ms counts the provider's 7 s hint"
    );
    assert!(
        fake.take_requests().is_empty(),
        "nothing was sent while the hint holds"
    );
    // The operator sees it waiting.
    let (status, _, queue) = send(&state, get("/v1/admin/queue?minutes=5", &ada.secret)).await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    assert_eq!(
        (queue["waiting"].as_u64(), queue["running"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(queue["depth"].as_array().unwrap().len(), 60);
    assert_eq!(
        queue["depth"].as_array().unwrap().last().unwrap()["waiting"],
        1
    );
    // A query string that does not fit is the documented error body.
    for path in ["/v1/admin/queue?minutes=abc", "/v1/admin/usage?days=-1"] {
        let (status, _, body) = send(&state, get(path, &ada.secret)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["error"]["code"], "bad_request", "{path}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("the query string is not valid: "),
            "{body}"
        );
    }
    // And a key that is not an operator's may not.
    let bob = store.create_key("bob", "free", false).await.unwrap();
    let (status, _, body) = send(&state, get("/v1/admin/queue", &bob.secret)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

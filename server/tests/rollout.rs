//! Staged rollouts, on SQLite and PostgreSQL: the share across 10,000
//! synthetic users and its stickiness, raises that only add users,
//! rollback to the previous pins, promotion, the comparison with its
//! intervals and significance, the guard, feedback, and the admin API's
//! refusals.

mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use prompt_preflight::Contract;
use prompt_preflight_server::service::rollout;
use prompt_preflight_server::service::versions::{bucket, resolve, Chosen};
use prompt_preflight_server::store::{RolloutState, Store, UsageRecord};
use prompt_preflight_server::{app, AppState, Registry};
use serde_json::{json, Value};
use std::collections::HashMap;
use tower::ServiceExt;

fn notes(number: &str, free_limit: u64, release: &str) -> Contract {
    Contract::parse(&format!(
        r#"
id = "notes"
version = "{number}"
description = "Summarise meeting notes."
[model]
name = "gpt-4o-mini"
[tiers.free]
max_input_tokens = {free_limit}
[release]
{release}
"#
    ))
    .unwrap()
}

fn registry(versions: Vec<Contract>) -> Registry {
    let mut registry = Registry::default();
    for c in versions {
        registry.insert(c).unwrap();
    }
    registry
}

async fn version_of(registry: &Registry, store: &Store, user: &str) -> String {
    resolve(registry, Some(store), Some(user), "notes")
        .await
        .unwrap()
        .contract
        .version
        .clone()
}

#[tokio::test]
async fn ten_percent_of_ten_thousand_users_go_to_the_candidate_and_always_get_the_same_version() {
    for (db, url) in support::databases().await {
        let store = Store::open(&url).await.unwrap();
        let registry = registry(vec![
            notes("1.0.0", 2000, ""),
            notes("1.1.0", 3000, "changes = [\"More room.\"]\nstaged = true"),
        ]);
        let users: Vec<String> = (0..10_000).map(|i| format!("user-{i}")).collect();

        // Half the users arrive before the rollout: 1.1.0 is staged, so
        // it is nobody's default and no pin moves to it.
        for user in &users[..5_000] {
            assert_eq!(version_of(&registry, &store, user).await, "1.0.0", "{db}");
        }
        let started = rollout::start(&registry, &store, "notes", "1.1.0", 10.0, false)
            .await
            .unwrap();
        assert_eq!(
            (started.control.as_str(), started.percent_bp),
            ("1.0.0", 1000),
            "{db}"
        );

        // Every user, pinned before (to 1.0.0, in the candidate's line) or
        // new, is eligible; 10% ± 1% land on 1.1.0, exactly those whose
        // bucket is below 1,000.
        let mut first = HashMap::new();
        for user in &users {
            let v = version_of(&registry, &store, user).await;
            assert_eq!(v == "1.1.0", bucket(user, "notes") < 1000, "{db}: {user}");
            first.insert(user.clone(), v);
        }
        let on_candidate = first.values().filter(|v| *v == "1.1.0").count();
        assert!(
            (900..=1100).contains(&on_candidate),
            "{db}: {on_candidate} of 10,000 on the candidate"
        );

        // Sticky: the same version on every later request.
        for user in users.iter().step_by(7) {
            assert_eq!(
                version_of(&registry, &store, user).await,
                first[user],
                "{db}"
            );
        }

        // A raise to 20% only adds users; nobody leaves the candidate.
        rollout::raise(&store, &started.id, 20.0).await.unwrap();
        let lowered = rollout::raise(&store, &started.id, 5.0).await.unwrap_err();
        assert!(
            lowered.to_string().contains("only go up"),
            "{db}: {lowered}"
        );
        let mut now_on = 0;
        for user in &users {
            let v = version_of(&registry, &store, user).await;
            if first[user] == "1.1.0" {
                assert_eq!(v, "1.1.0", "{db}: {user} left the candidate");
            }
            now_on += usize::from(v == "1.1.0");
        }
        assert!((1900..=2100).contains(&now_on), "{db}: {now_on} at 20%");

        // Rollback: every candidate user is back on 1.0.0 and stays there.
        let (ended, moved) = rollout::end(&store, &started.id, RolloutState::RolledBack, "test")
            .await
            .unwrap();
        assert_eq!(ended.state, RolloutState::RolledBack, "{db}");
        assert_eq!(moved as usize, now_on, "{db}");
        for user in users.iter().step_by(3) {
            assert_eq!(version_of(&registry, &store, user).await, "1.0.0", "{db}");
            let pin = store.pin(user, "notes").await.unwrap().unwrap();
            assert_eq!(pin.rollout_id, None, "{db}");
        }
        // Named explicitly, the rolled-back version still serves.
        let named = resolve(&registry, Some(&store), Some("user-1"), "notes@1.1.0")
            .await
            .unwrap();
        assert_eq!(named.chosen, Chosen::Requested, "{db}");
        store.close().await;
    }
}

#[tokio::test]
async fn a_major_candidate_takes_only_new_users_and_promotion_makes_it_the_default() {
    for (db, url) in support::databases().await {
        let store = Store::open(&url).await.unwrap();
        let v2 = "breaking = true\nmigration = \"Send at most 1,000 tokens.\"\nstaged = true";
        let registry = registry(vec![notes("1.0.0", 2000, ""), notes("2.0.0", 1000, v2)]);
        let early: Vec<String> = (0..300).map(|i| format!("early-{i}")).collect();
        for user in &early {
            assert_eq!(version_of(&registry, &store, user).await, "1.0.0", "{db}");
        }
        let started = rollout::start(&registry, &store, "notes", "2.0.0", 50.0, false)
            .await
            .unwrap();
        // Pinned users never move to a new major, whatever their bucket.
        for user in &early {
            assert_eq!(version_of(&registry, &store, user).await, "1.0.0", "{db}");
        }
        // New users split by bucket; anonymous callers get the control.
        let late: Vec<String> = (0..300).map(|i| format!("late-{i}")).collect();
        for user in &late {
            let resolved = resolve(&registry, Some(&store), Some(user), "notes")
                .await
                .unwrap();
            let expected = if bucket(user, "notes") < 5000 {
                "2.0.0"
            } else {
                "1.0.0"
            };
            assert_eq!(resolved.contract.version, expected, "{db}: {user}");
            if expected == "2.0.0" {
                assert_eq!(
                    resolved.chosen,
                    Chosen::Rollout {
                        rollout: started.id.clone(),
                        from: None
                    },
                    "{db}"
                );
            }
        }
        let anonymous = resolve(&registry, Some(&store), None, "notes")
            .await
            .unwrap();
        assert_eq!(anonymous.contract.version, "1.0.0", "{db}");
        assert!(
            anonymous.upgrade.is_none(),
            "{db}: a held version is no upgrade"
        );

        // Promoted: the default for everyone new; pins stay where they are.
        rollout::end(&store, &started.id, RolloutState::Promoted, "good")
            .await
            .unwrap();
        let fresh = resolve(&registry, Some(&store), Some("fresh"), "notes")
            .await
            .unwrap();
        assert_eq!(
            (fresh.contract.version.as_str(), &fresh.chosen),
            ("2.0.0", &Chosen::NewPin),
            "{db}"
        );
        assert_eq!(
            version_of(&registry, &store, &early[0]).await,
            "1.0.0",
            "{db}"
        );
        let anonymous = resolve(&registry, Some(&store), None, "notes")
            .await
            .unwrap();
        assert_eq!(anonymous.contract.version, "2.0.0", "{db}");
        store.close().await;
    }
}

async fn send(state: &AppState, request: Request<Body>) -> (StatusCode, Value) {
    let response = app(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, body)
}

fn post(path: &str, key: &str, body: Value) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn get(path: &str, key: &str) -> Request<Body> {
    Request::get(path)
        .header("x-api-key", key)
        .body(Body::empty())
        .unwrap()
}

/// A synthetic usage record of `user` on `version`.
fn record(
    i: usize,
    user: &str,
    version: &str,
    outcome: &str,
    output_ok: Option<bool>,
) -> UsageRecord {
    UsageRecord {
        request_id: format!("req-{version}-{i}"),
        user_id: Some(user.to_owned()),
        tier: "free".into(),
        contract_id: "notes".into(),
        contract_version: version.into(),
        route: "run".into(),
        outcome: outcome.into(),
        input_tokens: 100,
        output_tokens: 50,
        cost_micro_usd: 30,
        latency_ms: 200,
        output_ok,
        created_ms: prompt_preflight_server::store::now_ms(),
        ..UsageRecord::default()
    }
}

#[tokio::test]
async fn operators_compare_the_groups_and_the_guard_rolls_back_a_worse_candidate() {
    for (db, url) in support::databases().await {
        let store = Store::open(&url).await.unwrap();
        let registry = registry(vec![
            notes("1.0.0", 2000, ""),
            notes("1.1.0", 3000, "changes = [\"More room.\"]\nstaged = true"),
        ]);
        let state = AppState::new(registry).with_store(store.clone());
        let operator = store.create_key("op", "free", true).await.unwrap().secret;
        let user_key = store.create_key("ada", "free", false).await.unwrap().secret;
        let ada = store
            .authenticate(&user_key)
            .await
            .unwrap()
            .unwrap()
            .user_id;

        // A staged version is listed, held, and nobody's default.
        let (_, body) = send(&state, get("/v1/contracts/notes/versions", &user_key)).await;
        assert_eq!(body["default"], "1.0.0", "{db}: {body}");
        assert_eq!(body["versions"][1]["held"], true, "{db}: {body}");
        let (_, body) = send(&state, get("/v1/contracts", &user_key)).await;
        assert_eq!(body[0]["version"], "1.0.0", "{db}: {body}");

        // Refusals, each with the documented body.
        let (status, body) = send(&state, get("/v1/admin/rollouts", &user_key)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{db}: {body}");
        for (ask, code) in [
            (
                json!({"contract": "notes", "candidate": "9.0.0", "percent": 10}),
                "bad_rollout",
            ),
            (
                json!({"contract": "notes", "candidate": "1.1.0", "percent": 0}),
                "bad_rollout",
            ),
            (
                json!({"contract": "notes", "candidate": "1.1.0", "percent": 101}),
                "bad_rollout",
            ),
            (
                json!({"contract": "nope", "candidate": "1.1.0", "percent": 10}),
                "unknown_contract",
            ),
        ] {
            let (status, body) = send(&state, post("/v1/admin/rollouts", &operator, ask)).await;
            assert_eq!(body["error"]["code"], code, "{db}: {body}");
            assert!(status.is_client_error(), "{db}");
        }

        let (status, body) = send(
            &state,
            post(
                "/v1/admin/rollouts",
                &operator,
                json!({"contract": "notes", "candidate": "1.1.0", "percent": 100, "guard": true}),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{db}: {body}");
        let id = body["rollout"]["id"].as_str().unwrap().to_owned();
        assert_eq!(body["rollout"]["control"], "1.0.0", "{db}");
        assert_eq!(body["percent"], 100.0, "{db}");
        assert!(
            body["summary"].as_str().unwrap().starts_with("Too early"),
            "{db}: {body}"
        );
        let (status, body) = send(
            &state,
            post(
                "/v1/admin/rollouts",
                &operator,
                json!({"contract": "notes", "candidate": "1.1.0", "percent": 10}),
            ),
        )
        .await;
        assert_eq!(
            (status, &body["error"]["code"]),
            (StatusCode::CONFLICT, &json!("rollout_conflict")),
            "{db}"
        );

        // Ada is in the candidate group (100%).
        let (status, body) = send(
            &state,
            post(
                "/v1/check",
                &user_key,
                json!({"contract": "notes", "text": "Ada renewed."}),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{db}: {body}");
        assert_eq!(body["contract"]["version"], "1.1.0", "{db}");
        assert_eq!(
            body["contract"]["chosen"]["kind"], "rollout",
            "{db}: {body}"
        );

        // The control fails 2% of 400 requests, the candidate 15% of 400.
        for i in 0..400 {
            let control = if i % 50 == 0 { "timeout" } else { "answered" };
            store
                .record(&record(i, "someone", "1.0.0", control, None))
                .await
                .unwrap();
            let (outcome, ok) = match i % 20 {
                0 => ("rate_limited", None),
                1 | 2 => ("answered", Some(false)),
                _ => ("answered", Some(true)),
            };
            store
                .record(&record(i, &ada, "1.1.0", outcome, ok))
                .await
                .unwrap();
        }
        let (status, body) =
            send(&state, get(&format!("/v1/admin/rollouts/{id}"), &operator)).await;
        assert_eq!(status, StatusCode::OK, "{db}: {body}");
        let control = &body["control"];
        let candidate = &body["candidate"];
        assert_eq!(control["failure"]["count"], 8, "{db}: {body}");
        // The check above is a request too.
        assert_eq!(candidate["requests"], 401, "{db}");
        assert_eq!(candidate["provider_failure"]["count"], 20, "{db}");
        assert_eq!(candidate["failure_classes"]["rate_limited"], 20, "{db}");
        assert_eq!(candidate["output_pass"]["of"], 380, "{db}");
        assert_eq!(candidate["output_pass"]["count"], 340, "{db}");
        assert_eq!(candidate["users"], 1, "{db}");
        let low = candidate["failure"]["low"].as_f64().unwrap();
        let high = candidate["failure"]["high"].as_f64().unwrap();
        let rate = candidate["failure"]["rate"].as_f64().unwrap();
        assert!(low < rate && rate < high, "{db}: {body}");
        let failure = &body["findings"][0];
        assert_eq!(failure["metric"], "failure", "{db}");
        assert_eq!(failure["significant"], true, "{db}: {failure}");
        assert_eq!(failure["better"], "control", "{db}");
        assert!(
            body["summary"]
                .as_str()
                .unwrap()
                .contains("significantly worse"),
            "{db}: {body}"
        );
        assert_eq!(body["guard"]["tripped"], true, "{db}");

        // The guard rolls it back, and Ada returns to 1.0.0.
        let rolled = rollout::guard_round(&store).await.unwrap();
        assert_eq!(rolled, vec![id.clone()], "{db}");
        let (_, body) = send(&state, get(&format!("/v1/admin/rollouts/{id}"), &operator)).await;
        assert_eq!(body["rollout"]["state"], "rolled_back", "{db}");
        assert!(
            body["rollout"]["reason"]
                .as_str()
                .unwrap()
                .contains("guard"),
            "{db}: {body}"
        );
        let (_, body) = send(
            &state,
            post(
                "/v1/check",
                &user_key,
                json!({"contract": "notes", "text": "Ada renewed."}),
            ),
        )
        .await;
        assert_eq!(body["contract"]["version"], "1.0.0", "{db}: {body}");

        // An ended rollout no longer changes.
        for (action, ask) in [
            ("promote", json!({})),
            ("rollback", json!({"reason": "again"})),
            ("raise", json!({"percent": 50})),
        ] {
            let path = format!("/v1/admin/rollouts/{id}/{action}");
            let (status, body) = send(&state, post(&path, &operator, ask)).await;
            assert_eq!(status, StatusCode::CONFLICT, "{db} {action}: {body}");
            assert_eq!(body["error"]["code"], "rollout_conflict", "{db}");
        }
        let (status, body) = send(&state, get("/v1/admin/rollouts/ro_nope", &operator)).await;
        assert_eq!(
            (status, &body["error"]["code"]),
            (StatusCode::NOT_FOUND, &json!("unknown_rollout")),
            "{db}"
        );
        let (_, body) = send(&state, get("/v1/admin/rollouts", &operator)).await;
        assert_eq!(body["rollouts"].as_array().unwrap().len(), 1, "{db}");
        store.close().await;
    }
}

#[tokio::test]
async fn users_rate_their_own_answers_and_the_comparison_counts_the_ratings() {
    let store = Store::memory().await.unwrap();
    let registry = registry(vec![
        notes("1.0.0", 2000, ""),
        notes("1.1.0", 3000, "changes = [\"More room.\"]\nstaged = true"),
    ]);
    let state = AppState::new(registry).with_store(store.clone());
    let operator = store.create_key("op", "free", true).await.unwrap().secret;
    let ada_key = store.create_key("ada", "free", false).await.unwrap().secret;
    let bob_key = store.create_key("bob", "free", false).await.unwrap().secret;
    let ada = store.authenticate(&ada_key).await.unwrap().unwrap().user_id;
    let started = rollout::start(
        state.registry().as_ref(),
        &store,
        "notes",
        "1.1.0",
        100.0,
        false,
    )
    .await
    .unwrap();
    store
        .record(&record(1, &ada, "1.1.0", "answered", None))
        .await
        .unwrap();
    store
        .record(&record(2, &ada, "1.1.0", "timeout", None))
        .await
        .unwrap();

    let rate = |key: &str, request: &str, rating: &str| {
        post(
            "/v1/feedback",
            key,
            json!({"request_id": request, "rating": rating, "comment": "too long"}),
        )
    };
    let (status, body) = send(&state, rate(&ada_key, "req-1.1.0-1", "up")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], "1.1.0");
    // The last rating counts.
    let (status, _) = send(&state, rate(&ada_key, "req-1.1.0-1", "down")).await;
    assert_eq!(status, StatusCode::OK);
    // Not Bob's, not answered, not there: the same 404.
    for (key, request) in [
        (&bob_key, "req-1.1.0-1"),
        (&ada_key, "req-1.1.0-2"),
        (&ada_key, "nope"),
    ] {
        let (status, body) = send(&state, rate(key, request, "down")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(body["error"]["code"], "unknown_request");
        assert_eq!(body["error"]["field"], "request_id");
    }
    let (status, body) = send(&state, rate(&ada_key, "req-1.1.0-1", "meh")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["field"], "rating", "{body}");

    let (_, body) = send(
        &state,
        get(&format!("/v1/admin/rollouts/{}", started.id), &operator),
    )
    .await;
    assert_eq!(body["candidate"]["feedback_down"]["count"], 1, "{body}");
    assert_eq!(body["candidate"]["feedback_down"]["of"], 1, "{body}");
    assert_eq!(body["control"]["feedback_down"]["of"], 0, "{body}");
}

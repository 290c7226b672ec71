//! `POST /v1/run` in-process (`oneshot`), with the model behind the dry run
//! or the fake provider's OpenAI Chat Completions over real HTTP: the
//! answer with its attempts, the check's refusal, and each failure as one
//! class in the core's words with the right status and headers.

mod support;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use prompt_preflight_server::chat::{OpenAiChat, DRY_RUN_LABEL};
use prompt_preflight_server::fake::{FakeProvider, RATE_LIMITED_KEY};
use prompt_preflight_server::service::call::Policy;
use prompt_preflight_server::{app, AppState, Provider, ProviderEndpoint, Registry};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

const NOTES: &str = "Ada renewed early and asked about the pro plan; Grace wants audit logs.";

async fn post(state: AppState, body: Value) -> (StatusCode, HeaderMap, Value) {
    let tier = body["tier"].as_str().unwrap_or("free").to_owned();
    let state = support::keyed_on(state, &tier).await;
    let request = Request::post("/v1/run")
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

fn with_fake(fake: &FakeProvider, key: &str) -> AppState {
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

#[tokio::test]
async fn without_a_key_the_run_is_a_labelled_dry_run() {
    let body = json!({"contract": "customer-list", "text": NOTES});
    let (status, _, body) = post(AppState::new(Registry::builtin()), body).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["answer"]["dry_run"], true);
    assert!(body["answer"]["text"]
        .as_str()
        .unwrap()
        .starts_with(DRY_RUN_LABEL));
    assert_eq!(
        body["summary"],
        "Dry run: no model was called (no provider key is configured)."
    );
    assert_eq!(body["report"]["ok"], true);
    assert!(body["payload"]["messages"][1]["content"]
        .as_str()
        .unwrap()
        .contains(NOTES));
    assert_eq!(body["attempts"][0]["provider"], "dry-run");
}

#[tokio::test]
async fn input_the_check_refuses_never_reaches_the_model() {
    let fake = FakeProvider::start().await;
    let body =
        json!({"contract": "customer-list", "text": "Which customers asked about discounts?"});
    let (status, headers, body) = post(with_fake(&fake, "fake-key-1"), body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "check_failed");
    assert_eq!(body["error"]["message"], "1 problem to fix before sending.");
    assert_eq!(body["report"]["issues"][0]["code"], "question_without_data");
    // The refusal links to the entry in the docs of the version
    // that found it, and so does each issue.
    let docs = format!(
        "/docs/customer-list/{}#question_without_data",
        body["report"]["contract"]["version"].as_str().unwrap()
    );
    assert_eq!(body["error"]["docs"], docs.as_str(), "{body}");
    assert_eq!(body["issue_docs"]["question_without_data"], docs.as_str());
    assert_eq!(headers["x-should-retry"], "false");
    assert!(fake.requests().is_empty(), "the provider was not called");
}

#[tokio::test]
async fn the_model_answers_through_the_fake_provider() {
    let fake = FakeProvider::start().await;
    let body = json!({"contract": "customer-list", "tier": "free", "text": NOTES});
    let (status, _, body) = post(with_fake(&fake, "fake-key-1"), body).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The fake counts the words of every message it was sent: the payload.
    let words: usize = body["payload"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap().split_whitespace().count())
        .sum();
    assert_eq!(
        body["answer"]["text"],
        format!("Fake answer from gpt-4o-mini to {words} words.")
    );
    assert_eq!(body["answer"]["dry_run"], false);
    assert_eq!(body["summary"], "Answered by gpt-4o-mini.");
    let sent = fake.requests()[0].json().unwrap();
    assert_eq!(
        sent["max_tokens"],
        body["report"]["tokens"]["output_reserved"]
    );
}

#[tokio::test]
async fn a_failed_call_is_one_class_in_plain_words() {
    let fake = FakeProvider::start().await;
    let run = |key: &str| {
        post(
            with_fake(&fake, key),
            json!({"contract": "customer-list", "text": NOTES}),
        )
    };

    let (status, headers, body) = run(RATE_LIMITED_KEY).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["error"]["code"], "rate_limited");
    assert_eq!(body["error"]["message"], "We're experiencing high demand. Your request is waiting and should finish in a few seconds.");
    assert_eq!(
        (&headers["retry-after"], &headers["retry-after-ms"]),
        (&"7".parse().unwrap(), &"7000".parse().unwrap())
    );
    assert_eq!(
        headers["x-should-retry"], "true",
        "a rate limit is worth retrying"
    );
    assert!(
        !body.to_string().contains("Rate limit reached for requests"),
        "no raw provider text: {body}"
    );

    let (status, headers, body) = run("sk-wrong").await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(body["error"]["code"], "auth_failed");
    assert_eq!(
        body["error"]["message"],
        "The service is misconfigured; we have been told."
    );
    assert_eq!(headers["x-should-retry"], "false");
    assert!(!body.to_string().contains("platform.openai.com"), "{body}");
    assert_eq!(
        body["summary"],
        "No answer: gpt-4o-mini refused our credentials once."
    );

    let (status, _, body) = run(prompt_preflight_server::fake::OVERLOADED_KEY).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"]["code"], "provider_unavailable");
    assert!(
        body["attempts"].as_array().unwrap().len() > 1,
        "retried: {body}"
    );
}

#[tokio::test]
async fn the_operator_sees_breakers_and_the_providers_words_never_the_key() {
    use prompt_preflight_server::fake::OVERLOADED_KEY;
    let fake = FakeProvider::start().await;
    let state = support::keyed(with_fake(&fake, OVERLOADED_KEY)).await;
    let key = support::key_of(&state);
    let (status, _, body) = post(
        state.clone(),
        json!({"contract": "customer-list", "text": NOTES}),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        !body.to_string().contains("engine is currently overloaded"),
        "users never see it"
    );
    let response = app(state)
        .oneshot(
            Request::get("/v1/admin/providers")
                .header(header::AUTHORIZATION, format!("Bearer {key}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(!text.contains(OVERLOADED_KEY), "no key, ever: {text}");
    let view: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(view["providers"][0]["provider"], "openai");
    assert_eq!(view["providers"][0]["live"], true);
    assert_eq!(
        view["providers"][1]["live"], false,
        "no Anthropic key: dry run"
    );
    assert_eq!(view["breakers"][0]["model"], "gpt-4o-mini");
    assert_eq!(view["breakers"][0]["failures_in_a_row"], 4);
    let failure = &view["recent_failures"][0];
    assert_eq!(failure["class"], "provider_unavailable");
    assert_eq!(failure["status"], 503);
    assert!(failure["detail"]
        .as_str()
        .unwrap()
        .contains("engine is currently overloaded"));
}

/// A model in the test's own process: the route's seam is `Arc<dyn Chat>`,
/// so where an HTTP round trip adds nothing, a scripted model stands in.
struct Scripted {
    answers: std::sync::Mutex<
        Vec<Result<prompt_preflight_server::chat::ChatAnswer, prompt_preflight::FailureClass>>,
    >,
}

impl prompt_preflight_server::chat::Chat for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }

    fn chat(
        &self,
        request: prompt_preflight_server::chat::ChatRequest,
    ) -> prompt_preflight_server::chat::BoxFuture<
        '_,
        Result<
            prompt_preflight_server::chat::ChatAnswer,
            prompt_preflight_server::classify::Classified,
        >,
    > {
        let next = self.answers.lock().unwrap().remove(0);
        Box::pin(async move {
            next.map(|mut a| {
                a.model = request.model;
                a
            })
            .map_err(|class| prompt_preflight_server::classify::Classified {
                class,
                status: Some(503),
                provider_code: None,
                detail: "scripted".into(),
                retry_after: None,
            })
        })
    }
}

#[tokio::test]
async fn an_in_process_model_takes_the_providers_place() {
    use prompt_preflight::FailureClass;
    use prompt_preflight_server::chat::{ChatAnswer, Finish, Usage};
    let answer = |text: &str, finish| ChatAnswer {
        text: text.into(),
        model: String::new(),
        usage: Usage {
            input: 10,
            output: 5,
            cached: 0,
            counted_by_us: false,
        },
        finish,
        dry_run: false,
    };
    let scripted = Scripted {
        answers: std::sync::Mutex::new(vec![
            Err(FailureClass::ProviderUnavailable),
            Ok(answer("The first half, ", Finish::Length)),
            Ok(answer("and the second.", Finish::Stop)),
        ]),
    };
    let state = AppState::new(Registry::builtin())
        .with_chat(Provider::Openai, Arc::new(scripted))
        .with_run_policy(Policy {
            base_delay: Duration::from_millis(1),
            ..Policy::default()
        });
    let (status, _, body) = post(state, json!({"contract": "customer-list", "text": NOTES})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["answer"]["text"], "The first half, and the second.");
    let steps: Vec<&str> = body["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["answer", "answer", "continuation 1"]);
    assert_eq!(
        body["usage"]["output"], 10,
        "both answered calls are charged"
    );
    assert_eq!(
        body["summary"],
        "Answered by gpt-4o-mini after it was unavailable once. The answer reached its length limit, so the model was asked to go on (1 more call)."
    );
}

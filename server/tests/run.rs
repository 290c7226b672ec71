//! A model call with recovery, over real HTTP against the fake provider's
//! OpenAI Chat Completions: each failure class is retried or not as its
//! policy says, after the provider's hint or a backoff, under one
//! deadline, and the outcome is told in words.

use prompt_preflight::{FailureClass, Message, Role};
use prompt_preflight_server::chat::{Chat, ChatRequest, DryRun, Finish, OpenAiChat, DRY_RUN_LABEL};
use prompt_preflight_server::fake::{openai, FakeProvider, OVERLOADED_KEY, RATE_LIMITED_KEY};
use prompt_preflight_server::service::call::{call, Call, Outcome, Policy, Route};
use prompt_preflight_server::service::events::ignore;
use prompt_preflight_server::ProviderEndpoint;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One call to `chat` alone (no fallbacks, no breakers), waiting with
/// `sleep`.
async fn run<S, F>(chat: Arc<dyn Chat>, request: ChatRequest, policy: Policy, sleep: S) -> Outcome
where
    S: FnMut(Duration) -> F,
    F: std::future::Future<Output = ()>,
{
    let routes = [Route {
        chat,
        model: request.model.clone(),
        window: None,
        limiter: None,
    }];
    call(
        Call {
            routes: &routes,
            request,
            step: "answer".into(),
            tokens: (20, 300),
            policy,
            started: Instant::now(),
            stream: false,
            live: false,
            health: None,
            events: ignore(),
            budget: None,
        },
        sleep,
    )
    .await
}

fn request() -> ChatRequest {
    ChatRequest {
        model: "gpt-4o-mini".into(),
        messages: vec![
            Message {
                role: Role::System,
                content: "Be brief.".into(),
            },
            Message {
                role: Role::User,
                content: "Ada renewed early and asked about the pro plan.".into(),
            },
        ],
        max_tokens: 300,
    }
}

fn chat(fake: &FakeProvider, key: &str) -> Arc<dyn Chat> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    Arc::new(OpenAiChat::new(
        client,
        ProviderEndpoint {
            api_key: Some(key.into()),
            base_url: format!("{}/v1", fake.base_url()),
        },
    ))
}

/// Runs with `policy`, recording the waits instead of sleeping.
async fn run_recorded(chat: Arc<dyn Chat>, policy: Policy) -> (Outcome, Vec<Duration>) {
    let mut waits = Vec::new();
    let outcome = run(chat, request(), policy, |d| {
        waits.push(d);
        async {}
    })
    .await;
    (outcome, waits)
}

fn classes(outcome: &Outcome) -> Vec<Option<FailureClass>> {
    outcome.attempts.iter().map(|a| a.class).collect()
}

#[tokio::test]
async fn the_dry_run_says_no_model_was_called() {
    let (outcome, waits) = run_recorded(Arc::new(DryRun), Policy::default()).await;
    let answer = outcome.result.as_ref().unwrap();
    assert!(answer.dry_run);
    assert!(answer.text.starts_with(DRY_RUN_LABEL));
    assert!(answer.text.contains("gpt-4o-mini") && answer.text.contains("2 messages"));
    assert_eq!(
        outcome.summary(),
        "Dry run: no model was called (no provider key is configured)."
    );
    assert!(waits.is_empty());
}

#[tokio::test]
async fn an_answer_comes_back_with_its_usage() {
    let fake = FakeProvider::start().await;
    let (outcome, _) = run_recorded(chat(&fake, "fake-key-1"), Policy::default()).await;
    let answer = outcome.result.as_ref().unwrap();
    assert_eq!(answer.text, "Fake answer from gpt-4o-mini to 11 words.");
    assert!(!answer.dry_run);
    assert!(answer.usage.input > 0 && answer.usage.output > 0);
    assert_eq!(outcome.summary(), "Answered by gpt-4o-mini.");
    let sent = fake.requests()[0].json().unwrap();
    assert_eq!(sent["model"], "gpt-4o-mini");
    assert_eq!(sent["messages"][0]["role"], "system");
    assert_eq!(sent["max_tokens"], 300);
    assert_eq!(
        fake.requests()[0].header("authorization"),
        Some("Bearer fake-key-1")
    );
}

#[tokio::test]
async fn a_rate_limit_is_retried_after_the_providers_hint() {
    let fake = FakeProvider::start().await;
    let (outcome, waits) = run_recorded(
        chat(&fake, openai::RATE_LIMITED_ONCE_KEY),
        Policy::default(),
    )
    .await;
    assert!(outcome.result.is_ok());
    assert_eq!(classes(&outcome), [Some(FailureClass::RateLimited), None]);
    assert_eq!(
        waits,
        [Duration::from_millis(50)],
        "the retry-after-ms hint, not a guess"
    );
    assert_eq!(
        outcome.summary(),
        "Answered by gpt-4o-mini after it was rate limited once."
    );
}

#[tokio::test]
async fn an_unavailable_provider_is_retried_with_backoff() {
    let fake = FakeProvider::start().await;
    let policy = Policy {
        base_delay: Duration::from_millis(100),
        ..Policy::default()
    };
    let (outcome, waits) = run_recorded(chat(&fake, openai::FLAKY_KEY), policy).await;
    assert!(outcome.result.is_ok());
    assert_eq!(
        classes(&outcome),
        [
            Some(FailureClass::ProviderUnavailable),
            Some(FailureClass::ProviderUnavailable),
            None
        ]
    );
    assert_eq!(
        outcome.summary(),
        "Answered by gpt-4o-mini after it was unavailable twice."
    );
    // Exponential with jitter: the n-th wait is in [base·2ⁿ⁻¹/2, base·2ⁿ⁻¹].
    assert_eq!(waits.len(), 2);
    assert!(
        waits[0] >= Duration::from_millis(50) && waits[0] <= Duration::from_millis(100),
        "{waits:?}"
    );
    assert!(
        waits[1] >= Duration::from_millis(100) && waits[1] <= Duration::from_millis(200),
        "{waits:?}"
    );

    // Always down: it stops after the attempts allowed, and says so.
    let policy = Policy {
        max_attempts: 3,
        ..policy
    };
    let (outcome, _) = run_recorded(chat(&fake, OVERLOADED_KEY), policy).await;
    assert_eq!(outcome.attempts.len(), 3);
    let failure = outcome.user_failure().unwrap();
    assert_eq!(failure.class, FailureClass::ProviderUnavailable);
    assert_eq!(failure.message, "The AI service is unavailable right now.");
    assert_eq!(
        outcome.summary(),
        "No answer: gpt-4o-mini was unavailable 3 times."
    );
}

#[tokio::test]
async fn what_cannot_succeed_is_not_retried() {
    let fake = FakeProvider::start().await;
    for (key, class) in [
        ("sk-not-fake", FailureClass::AuthFailed),
        (openai::OVERFLOW_KEY, FailureClass::ContextTooLong),
        (openai::QUOTA_KEY, FailureClass::ProviderQuotaExhausted),
    ] {
        let (outcome, waits) = run_recorded(chat(&fake, key), Policy::default()).await;
        assert_eq!(classes(&outcome), [Some(class)], "{key}");
        assert!(waits.is_empty(), "{key}");
        let failure = outcome.user_failure().unwrap();
        assert_eq!(failure.message, class.entry().message, "{key}");
        // The provider's own words stay for the operator.
        assert!(!failure.message.contains("platform.openai.com"));
    }
    // A cut-off answer is an answer: recovering it is the run's job.
    let (outcome, waits) = run_recorded(chat(&fake, openai::LENGTH_KEY), Policy::default()).await;
    assert_eq!(classes(&outcome), [None]);
    assert!(waits.is_empty());
    assert_eq!(outcome.result.unwrap().finish, Finish::Length);
    let (outcome, _) = run_recorded(chat(&fake, "sk-not-fake"), Policy::default()).await;
    assert_eq!(
        outcome.user_failure().unwrap().message,
        "The service is misconfigured; we have been told."
    );
}

#[tokio::test]
async fn a_wait_past_the_deadline_is_not_taken() {
    let fake = FakeProvider::start().await;
    let policy = Policy {
        deadline: Duration::from_secs(2),
        ..Policy::default()
    };
    let (outcome, waits) = run_recorded(chat(&fake, RATE_LIMITED_KEY), policy).await;
    assert_eq!(classes(&outcome), [Some(FailureClass::RateLimited)]);
    assert!(waits.is_empty(), "a 7 s hint does not fit a 2 s deadline");
    let failure = outcome.user_failure().unwrap();
    assert_eq!(failure.retry_after_ms, Some(7_000));
    assert_eq!(failure.message, "We're experiencing high demand. Your request is waiting and should finish in a few seconds.");
}

#[tokio::test]
async fn a_provider_that_refuses_connections_is_unavailable() {
    // A base URL nothing listens on: the connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = reqwest::Client::new();
    let gone: Arc<dyn Chat> = Arc::new(OpenAiChat::new(
        client,
        ProviderEndpoint {
            api_key: Some("fake-key".into()),
            base_url: format!("http://127.0.0.1:{port}/v1"),
        },
    ));
    let policy = Policy {
        max_attempts: 2,
        base_delay: Duration::from_millis(1),
        ..Policy::default()
    };
    let (outcome, waits) = run_recorded(gone, policy).await;
    assert_eq!(
        classes(&outcome),
        [Some(FailureClass::ProviderUnavailable); 2]
    );
    assert_eq!(waits.len(), 1);
    assert_eq!(
        outcome.summary(),
        "No answer: gpt-4o-mini was unavailable twice."
    );
}

/// The same recovery through Anthropic Messages and Gemini generateContent.
#[tokio::test]
async fn anthropic_and_gemini_answer_and_fail_in_their_own_formats() {
    use prompt_preflight_server::chat::{AnthropicChat, GeminiChat};
    let fake = FakeProvider::start().await;
    let endpoint = |key: &str| ProviderEndpoint {
        api_key: Some(key.into()),
        base_url: fake.base_url(),
    };
    let client = reqwest::Client::new();
    type Make<'a> = Box<dyn Fn(&str) -> Arc<dyn Chat> + 'a>;
    let clients: [(&str, Make); 2] = [
        (
            "claude-haiku-4-5",
            Box::new(|key: &str| {
                Arc::new(AnthropicChat::new(client.clone(), endpoint(key))) as Arc<dyn Chat>
            }),
        ),
        (
            "gemini-2.5-flash",
            Box::new(|key: &str| {
                Arc::new(GeminiChat::new(client.clone(), endpoint(key))) as Arc<dyn Chat>
            }),
        ),
    ];
    for (model, make) in &clients {
        let ask = ChatRequest {
            model: (*model).into(),
            ..request()
        };
        let go = |chat: Arc<dyn Chat>, policy: Policy| {
            let ask = ask.clone();
            async move {
                let mut waits = Vec::new();
                let outcome = run(chat, ask, policy, |d| {
                    waits.push(d);
                    async {}
                })
                .await;
                (outcome, waits)
            }
        };
        let (outcome, _) = go(make("fake-key-1"), Policy::default()).await;
        let answer = outcome
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("{model}: {e:?}"));
        assert_eq!(
            answer.text,
            format!("Fake answer from {model} to 11 words."),
            "the system prompt is sent too"
        );
        assert!(answer.usage.input > 0 && answer.usage.output > 0, "{model}");

        // The rate limit's hint (Anthropic's retry-after, Gemini's
        // RetryInfo) is 7 s: past a 2 s deadline, no wait is taken.
        let (outcome, waits) = go(
            make(RATE_LIMITED_KEY),
            Policy {
                deadline: Duration::from_secs(2),
                ..Policy::default()
            },
        )
        .await;
        assert_eq!(
            classes(&outcome),
            [Some(FailureClass::RateLimited)],
            "{model}"
        );
        assert_eq!(
            outcome.user_failure().unwrap().retry_after_ms,
            Some(7_000),
            "{model}"
        );
        assert!(waits.is_empty());

        let policy = Policy {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            ..Policy::default()
        };
        let (outcome, waits) = go(make(OVERLOADED_KEY), policy).await;
        assert_eq!(
            classes(&outcome),
            [Some(FailureClass::ProviderUnavailable); 2],
            "{model}: 529 / 503"
        );
        assert_eq!(waits.len(), 1);

        let (outcome, _) = go(make(openai::LENGTH_KEY), Policy::default()).await;
        assert_eq!(outcome.result.unwrap().finish, Finish::Length, "{model}");
        for (key, class) in [
            (openai::OVERFLOW_KEY, FailureClass::ContextTooLong),
            ("not-a-fake-key", FailureClass::AuthFailed),
        ] {
            let (outcome, _) = go(make(key), Policy::default()).await;
            assert_eq!(classes(&outcome), [Some(class)], "{model} {key}");
        }
    }
    // What went over the wire is each provider's own format.
    let sent = fake.requests();
    let anthropic = sent.iter().find(|r| r.path == "/v1/messages").unwrap();
    assert_eq!(anthropic.header("anthropic-version"), Some("2023-06-01"));
    let body = anthropic.json().unwrap();
    assert_eq!(body["system"], "Be brief.");
    assert_eq!(body["messages"][0]["role"], "user");
    let gemini = sent
        .iter()
        .find(|r| r.path.ends_with(":generateContent"))
        .unwrap();
    assert_eq!(
        gemini.path,
        "/v1beta/models/gemini-2.5-flash:generateContent"
    );
    let body = gemini.json().unwrap();
    assert_eq!(body["systemInstruction"]["parts"][0]["text"], "Be brief.");
    assert_eq!(body["generationConfig"]["maxOutputTokens"], 300);
}

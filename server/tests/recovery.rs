//! Streams, fallbacks and breakers over real HTTP against the fake
//! provider, in all three wire formats: a streamed answer equals the
//! whole one; a stream that breaks or errors midway is one class, never
//! retried once text reached the caller, and charged what it consumed; a
//! model that stays down hands over to the next of the chain; an open
//! breaker skips its model without calling it; an overflow goes only to a
//! model whose window is larger.

use futures_util::StreamExt;
use prompt_preflight::{FailureClass, Message, Role};
use prompt_preflight_server::chat::{
    AnthropicChat, Chat, ChatRequest, Finish, GeminiChat, OpenAiChat, StreamItem,
};
use prompt_preflight_server::fake::{chat as cases, openai, FakeProvider, OVERLOADED_KEY};
use prompt_preflight_server::service::call::{call, Call, Outcome, Policy, Route};
use prompt_preflight_server::service::events::{Events, RunEvent};
use prompt_preflight_server::service::health::{BreakerPolicy, BreakerState, Health};
use prompt_preflight_server::ProviderEndpoint;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn request(model: &str) -> ChatRequest {
    ChatRequest {
        model: model.into(),
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

/// The three formats' clients for `key`, each with its model.
fn clients(fake: &FakeProvider, key: &str) -> Vec<(Arc<dyn Chat>, &'static str)> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let endpoint = |base: String| ProviderEndpoint {
        api_key: Some(key.into()),
        base_url: base,
    };
    vec![
        (
            Arc::new(OpenAiChat::new(
                client.clone(),
                endpoint(format!("{}/v1", fake.base_url())),
            )),
            "gpt-4o-mini",
        ),
        (
            Arc::new(AnthropicChat::new(
                client.clone(),
                endpoint(fake.base_url()),
            )),
            "claude-haiku-4-5",
        ),
        (
            Arc::new(GeminiChat::new(client, endpoint(fake.base_url()))),
            "gemini-2.5-flash",
        ),
    ]
}

/// Reads a whole stream: its text, and how it ended.
async fn read(chat: &dyn Chat, model: &str) -> (String, Option<Result<StreamItem, FailureClass>>) {
    let mut stream = chat.stream(request(model)).await.expect("the stream opens");
    let mut text = String::new();
    let mut last = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(StreamItem::Delta(piece)) => text.push_str(&piece),
            Ok(end) => last = Some(Ok(end)),
            Err(failed) => last = Some(Err(failed.class)),
        }
    }
    (text, last)
}

#[tokio::test]
async fn a_streamed_answer_equals_the_whole_one_in_every_format() {
    let fake = FakeProvider::start().await;
    for (chat, model) in clients(&fake, "fake-key-1") {
        let whole = chat.chat(request(model)).await.unwrap();
        let (text, end) = read(chat.as_ref(), model).await;
        assert_eq!(text, whole.text, "{model}");
        let Some(Ok(StreamItem::End {
            model: named,
            usage,
            finish,
        })) = end
        else {
            panic!("{model}: {end:?}");
        };
        assert_eq!(named, model);
        assert_eq!(finish, Finish::Stop);
        assert_eq!(
            usage, whole.usage,
            "{model}: the stream reports the same usage"
        );
        assert!(usage.input > 0 && usage.output > 0);
    }
    // OpenAI is asked for usage on streams.
    let sent = fake
        .requests()
        .into_iter()
        .filter_map(|r| r.json())
        .find(|b| b["stream"] == true && b["model"] == "gpt-4o-mini")
        .unwrap();
    assert_eq!(sent["stream_options"]["include_usage"], true);
    assert!(fake.requests().iter().any(
        |r| r.path.ends_with(":streamGenerateContent") && r.query.as_deref() == Some("alt=sse")
    ));

    for (chat, model) in clients(&fake, openai::LENGTH_KEY) {
        let (_, end) = read(chat.as_ref(), model).await;
        assert!(
            matches!(
                end,
                Some(Ok(StreamItem::End {
                    finish: Finish::Length,
                    ..
                }))
            ),
            "{model}: {end:?}"
        );
    }
}

#[tokio::test]
async fn a_stream_that_breaks_or_errors_midway_is_classified() {
    let fake = FakeProvider::start().await;
    for (key, class) in [
        (cases::STREAM_DROP_KEY, FailureClass::ProviderUnavailable),
        (cases::STREAM_ERROR_KEY, FailureClass::ProviderUnavailable),
    ] {
        for (chat, model) in clients(&fake, key) {
            let (text, end) = read(chat.as_ref(), model).await;
            assert_eq!(end, Some(Err(class)), "{model} {key}");
            assert_eq!(text, "Fake answer ", "{model} {key}: two pieces came first");
        }
    }
}

/// A run's events, kept.
fn recorder() -> (Events, Arc<Mutex<Vec<RunEvent>>>) {
    let kept = Arc::new(Mutex::new(Vec::new()));
    let sink = kept.clone();
    (Arc::new(move |e| sink.lock().unwrap().push(e)), kept)
}

fn route(chat: Arc<dyn Chat>, model: &str, window: u64) -> Route {
    Route {
        chat,
        model: model.into(),
        window: Some(window),
        limiter: None,
    }
}

async fn go(
    routes: &[Route],
    stream: bool,
    live: bool,
    health: Option<&Health>,
    events: Events,
) -> Outcome {
    call(
        Call {
            routes,
            request: request("ignored"),
            step: "answer".into(),
            tokens: (20, 300),
            policy: Policy {
                max_attempts: 2,
                base_delay: Duration::from_millis(1),
                ..Policy::default()
            },
            started: Instant::now(),
            stream,
            live,
            health,
            events,
            budget: None,
        },
        |_| async {},
    )
    .await
}

#[tokio::test]
async fn text_already_streamed_is_never_retried_and_is_charged() {
    let fake = FakeProvider::start().await;
    let (chat, model) = clients(&fake, cases::STREAM_DROP_KEY).remove(0);
    let (events, kept) = recorder();
    let outcome = go(
        &[route(chat.clone(), model, 128_000)],
        true,
        true,
        None,
        events,
    )
    .await;
    let failed = outcome.result.as_ref().unwrap_err();
    assert!(failed.streamed);
    assert_eq!(outcome.attempts.len(), 1, "no retry after the first byte");
    let usage = outcome.attempts[0].usage;
    assert!(
        usage.counted_by_us && usage.input == 20 && usage.output > 0,
        "{usage:?}"
    );
    let deltas: String = kept
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            RunEvent::Delta { text } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(deltas, "Fake answer ");

    // Held back (not live), the same break is retried: nothing was sent.
    let (events, _) = recorder();
    let outcome = go(&[route(chat, model, 128_000)], true, false, None, events).await;
    assert_eq!(outcome.attempts.len(), 2);
    assert!(!outcome.result.unwrap_err().streamed);

    // A body that breaks before any answer is unavailable, and retried.
    let (chat, model) = clients(&fake, cases::DROP_KEY).remove(0);
    let outcome = go(
        &[route(chat, model, 128_000)],
        false,
        false,
        None,
        recorder().0,
    )
    .await;
    assert_eq!(
        outcome.attempts.iter().map(|a| a.class).collect::<Vec<_>>(),
        [Some(FailureClass::ProviderUnavailable); 2]
    );
}

#[tokio::test]
async fn a_model_that_stays_down_hands_over_to_the_next() {
    let fake = FakeProvider::start().await;
    let down = clients(&fake, OVERLOADED_KEY).remove(0).0;
    let up = clients(&fake, "fake-key-1").remove(1).0;
    let routes = [
        route(down, "gpt-4o-mini", 128_000),
        route(up, "claude-haiku-4-5", 200_000),
    ];
    for stream in [false, true] {
        let (events, kept) = recorder();
        let outcome = go(&routes, stream, true, None, events).await;
        let answer = outcome.result.as_ref().unwrap();
        assert_eq!(answer.model, "claude-haiku-4-5");
        assert_eq!(
            outcome.summary(),
            "Answered by claude-haiku-4-5 after gpt-4o-mini was unavailable twice."
        );
        let kept = kept.lock().unwrap();
        assert!(kept
            .iter()
            .any(|e| matches!(e, RunEvent::Fallback { from, to, .. }
            if from == "gpt-4o-mini" && to == "claude-haiku-4-5")));
        assert!(kept.iter().any(|e| matches!(
            e,
            RunEvent::Waiting {
                class: FailureClass::ProviderUnavailable,
                ..
            }
        )));
    }
}

#[tokio::test]
async fn an_open_breaker_skips_its_model_until_a_probe_succeeds() {
    let fake = FakeProvider::start().await;
    let health = Health::new(BreakerPolicy {
        failures: 2,
        cool_down: Duration::from_millis(200),
    });
    let down = clients(&fake, OVERLOADED_KEY).remove(0).0;
    let up = clients(&fake, "fake-key-1").remove(1).0;
    let routes = [
        route(down, "gpt-4o-mini", 128_000),
        route(up.clone(), "claude-haiku-4-5", 200_000),
    ];
    // Two failures in a row open it.
    let outcome = go(&routes, false, false, Some(&health), recorder().0).await;
    assert!(outcome.result.is_ok());
    let breaker = |model: &str| {
        health
            .breakers()
            .into_iter()
            .find(|b| b.model == model)
            .unwrap()
    };
    assert_eq!(breaker("gpt-4o-mini").state, BreakerState::Open);
    fake.take_requests();
    let outcome = go(&routes, false, false, Some(&health), recorder().0).await;
    assert_eq!(outcome.result.unwrap().model, "claude-haiku-4-5");
    assert!(
        fake.requests()
            .iter()
            .all(|r| r.path != "/v1/chat/completions"),
        "the open breaker's model is not called"
    );
    // The operator sees why, with the provider's words.
    let failures = health.recent_failures();
    assert_eq!(failures.len(), 2);
    assert_eq!(failures[0].status, Some(503));
    assert!(failures[0].detail.contains("overloaded"));

    // After the cool-down one probe goes; it fails, and the breaker opens again.
    tokio::time::sleep(Duration::from_millis(250)).await;
    fake.take_requests();
    let _ = go(&routes, false, false, Some(&health), recorder().0).await;
    let probes = fake
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/chat/completions")
        .count();
    assert_eq!(probes, 1, "one probe, not a retry storm");
    assert_eq!(breaker("gpt-4o-mini").state, BreakerState::Open);
}

#[tokio::test]
async fn an_overflow_goes_only_to_a_larger_window() {
    let fake = FakeProvider::start().await;
    let overflow = clients(&fake, openai::OVERFLOW_KEY).remove(0).0;
    let fine = clients(&fake, "fake-key-1").remove(0).0;
    let routes = [
        route(overflow, "gpt-4o-mini", 128_000),
        route(fine.clone(), "gpt-4", 8_192),
        route(fine, "gpt-4.1", 1_047_576),
    ];
    let outcome = call(
        Call {
            routes: &routes,
            request: request("ignored"),
            step: "answer".into(),
            tokens: (130_000, 1_000),
            policy: Policy::default(),
            started: Instant::now(),
            stream: false,
            live: false,
            health: None,
            events: recorder().0,
            budget: None,
        },
        |_| async {},
    )
    .await;
    let models: Vec<&str> = outcome.attempts.iter().map(|a| a.model.as_str()).collect();
    assert_eq!(
        models,
        ["gpt-4o-mini", "gpt-4.1"],
        "gpt-4's 8k window is never tried"
    );
    assert_eq!(outcome.result.unwrap().model, "gpt-4.1");
}

#[tokio::test]
async fn every_class_end_to_end_in_every_format() {
    use prompt_preflight_server::fake::{RATE_LIMITED_KEY, SLOW_KEY};
    let fake = FakeProvider::start().await;
    let table = [
        (RATE_LIMITED_KEY, FailureClass::RateLimited),
        (openai::OVERFLOW_KEY, FailureClass::ContextTooLong),
        (cases::INVALID_KEY, FailureClass::InvalidRequest),
        ("not-a-fake-key", FailureClass::AuthFailed),
        (cases::FILTERED_KEY, FailureClass::ContentFiltered),
        (OVERLOADED_KEY, FailureClass::ProviderUnavailable),
        (cases::STREAM_ERROR_KEY, FailureClass::ProviderUnavailable),
    ];
    for (key, class) in table {
        for (chat, model) in clients(&fake, key) {
            for stream in [false, true] {
                if key == cases::STREAM_ERROR_KEY && !stream {
                    continue; // a whole answer has no stream to break
                }
                let outcome = go(
                    &[route(chat.clone(), model, 1_000_000)],
                    stream,
                    true,
                    None,
                    recorder().0,
                )
                .await;
                let got = outcome.result.as_ref().err().map(|f| f.failure.class);
                assert_eq!(got, Some(class), "{model} {key} stream={stream}");
                let user = outcome.user_failure().unwrap();
                assert_eq!(user.class, class);
                assert!(!user.message.is_empty() && !user.hint.is_empty());
            }
        }
    }
    // A timeout: the client gives up on a slow provider, and retries.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let slow: Arc<dyn Chat> = Arc::new(OpenAiChat::new(
        client,
        ProviderEndpoint {
            api_key: Some(SLOW_KEY.into()),
            base_url: format!("{}/v1", fake.base_url()),
        },
    ));
    let outcome = go(
        &[route(slow, "gpt-4o-mini", 128_000)],
        false,
        false,
        None,
        recorder().0,
    )
    .await;
    assert_eq!(
        outcome.attempts.iter().map(|a| a.class).collect::<Vec<_>>(),
        [Some(FailureClass::Timeout); 2],
        "timed out, retried, timed out"
    );
}

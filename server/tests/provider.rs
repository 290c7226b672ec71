//! The providers' count-token client against the fake provider, over real
//! HTTP on 127.0.0.1: exact counts, every error mapped to its variant, and
//! what the client put on the wire.

use prompt_preflight::Encoding;
use prompt_preflight_server::fake::{FakeProvider, RecordedRequest, RETRY_AFTER};
use prompt_preflight_server::{
    Provider, ProviderConfig, ProviderCount, ProviderError, Providers, COUNTING,
};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

const CLAUDE: &str = "claude-sonnet-4-5";
const GEMINI: &str = "gemini-2.0-flash";
const KEY: &str = "fake-key-test";

fn model(provider: Provider) -> &'static str {
    match provider {
        Provider::Anthropic => CLAUDE,
        _ => GEMINI,
    }
}

fn o200k(text: &str) -> u64 {
    Encoding::O200kBase.count(text).count
}

/// What the fake documents: Anthropic ceil(1.15 n) + 5, Gemini ceil(1.05 n).
fn expected(provider: Provider, system: Option<&str>, user: &str) -> u64 {
    let n = system.map_or(0, o200k) + o200k(user);
    match provider {
        Provider::Anthropic => (n * 115).div_ceil(100) + 5,
        _ => (n * 105).div_ceil(100),
    }
}

async fn count(
    fake: &FakeProvider,
    key: &str,
    provider: Provider,
    model: &str,
    system: Option<&str>,
    user: &str,
) -> Result<ProviderCount, ProviderError> {
    let providers = Providers::new(fake.provider_config(key)).unwrap();
    providers.count_tokens(provider, model, system, user).await
}

fn only_request(fake: &FakeProvider) -> RecordedRequest {
    let mut requests = fake.take_requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    requests.remove(0)
}

#[tokio::test]
async fn counts_are_exact_for_both_providers() {
    let fake = FakeProvider::start().await;
    let system = "You are a terse assistant. Answer in one sentence.";
    let user = "Summarise this table:\nname,email\nAda,ada@example.com\n";
    for provider in COUNTING {
        let hello = count(&fake, KEY, provider, model(provider), None, "Hello, world!")
            .await
            .unwrap();
        let literal = if provider == Provider::Anthropic {
            10
        } else {
            5
        };
        assert_eq!(
            hello,
            ProviderCount {
                tokens: literal,
                provider,
                model: model(provider).into()
            }
        );
        for system in [None, Some(system)] {
            let got = count(&fake, KEY, provider, model(provider), system, user)
                .await
                .unwrap();
            assert_eq!(
                got.tokens,
                expected(provider, system, user),
                "{provider} {system:?}"
            );
            assert_eq!(got.tokens, FakeProvider::tokens_for(provider, system, user));
        }
    }
    // A system prompt is counted, not dropped.
    assert!(
        FakeProvider::tokens_for(Provider::Gemini, Some(system), user)
            > FakeProvider::tokens_for(Provider::Gemini, None, user)
    );
}

#[tokio::test]
async fn the_anthropic_request_is_the_documented_one() {
    let fake = FakeProvider::start().await;
    count(&fake, KEY, Provider::Anthropic, CLAUDE, None, "Hi there")
        .await
        .unwrap();
    let sent = only_request(&fake);
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, "/v1/messages/count_tokens");
    assert_eq!(sent.query, None);
    assert_eq!(sent.header("x-api-key"), Some(KEY));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(sent.header("x-goog-api-key"), None);
    assert_eq!(
        sent.json(),
        Some(json!({"model": CLAUDE, "messages": [{"role": "user", "content": "Hi there"}]}))
    );

    count(
        &fake,
        KEY,
        Provider::Anthropic,
        CLAUDE,
        Some("Be brief."),
        "Hi there",
    )
    .await
    .unwrap();
    assert_eq!(
        only_request(&fake).json(),
        Some(json!({"model": CLAUDE, "system": "Be brief.",
                    "messages": [{"role": "user", "content": "Hi there"}]}))
    );
}

#[tokio::test]
async fn the_gemini_request_is_the_documented_one() {
    let fake = FakeProvider::start().await;
    count(&fake, KEY, Provider::Gemini, GEMINI, None, "Hi there")
        .await
        .unwrap();
    let sent = only_request(&fake);
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, "/v1beta/models/gemini-2.0-flash:countTokens");
    assert_eq!(sent.query, None, "the key goes in a header, not the URL");
    assert_eq!(sent.header("x-goog-api-key"), Some(KEY));
    assert_eq!(sent.header("x-api-key"), None);
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(
        sent.json(),
        Some(json!({"contents": [{"role": "user", "parts": [{"text": "Hi there"}]}]}))
    );

    // With a system prompt, the generateContentRequest form, which names
    // the model again; a `models/` prefix is not doubled.
    count(
        &fake,
        KEY,
        Provider::Gemini,
        "models/gemini-2.0-flash",
        Some("Be brief."),
        "Hi there",
    )
    .await
    .unwrap();
    let sent = only_request(&fake);
    assert_eq!(sent.path, "/v1beta/models/gemini-2.0-flash:countTokens");
    assert_eq!(
        sent.json(),
        Some(json!({"generateContentRequest": {
            "model": "models/gemini-2.0-flash",
            "systemInstruction": {"parts": [{"text": "Be brief."}]},
            "contents": [{"role": "user", "parts": [{"text": "Hi there"}]}],
        }}))
    );
}

#[tokio::test]
async fn a_wrong_key_is_unauthorized_with_the_providers_words() {
    let fake = FakeProvider::start().await;
    let e = count(
        &fake,
        "sk-ant-not-this-one",
        Provider::Anthropic,
        CLAUDE,
        None,
        "Hi",
    )
    .await
    .unwrap_err();
    assert_eq!(
        e,
        ProviderError::Unauthorized {
            provider: Provider::Anthropic,
            message: "invalid x-api-key".into()
        }
    );
    assert_eq!(e.code(), "unauthorized");
    assert_eq!(
        e.to_string(),
        "Anthropic refused the API key: invalid x-api-key"
    );

    // Gemini says so with a 400 INVALID_ARGUMENT.
    let e = count(
        &fake,
        "AIza-not-this-one",
        Provider::Gemini,
        GEMINI,
        None,
        "Hi",
    )
    .await
    .unwrap_err();
    assert_eq!(
        e,
        ProviderError::Unauthorized {
            provider: Provider::Gemini,
            message: "API key not valid. Please pass a valid API key.".into()
        }
    );
}

#[tokio::test]
async fn rate_limits_carry_retry_after() {
    let fake = FakeProvider::start().await;
    for provider in COUNTING {
        let e = count(
            &fake,
            "fake-rate-limited",
            provider,
            model(provider),
            None,
            "Hi",
        )
        .await
        .unwrap_err();
        let ProviderError::RateLimited {
            provider: p,
            retry_after,
            message,
        } = &e
        else {
            panic!("{provider}: {e:?}");
        };
        assert_eq!(*p, provider);
        assert_eq!(*retry_after, Some(Duration::from_secs(7)));
        assert_eq!(*retry_after, Some(RETRY_AFTER));
        assert!(!message.is_empty());
        assert_eq!(e.code(), "rate_limited");
        assert!(e.is_transient());
        assert!(e.to_string().contains("(retry after 7 s)"), "{e}");
    }
}

#[tokio::test]
async fn overload_unknown_models_bad_requests_and_server_errors_map_to_their_variants() {
    let fake = FakeProvider::start().await;
    for provider in COUNTING {
        let m = model(provider);
        let e = count(&fake, "fake-overloaded", provider, m, None, "Hi")
            .await
            .unwrap_err();
        assert!(
            matches!(&e, ProviderError::Overloaded { provider: p, .. } if *p == provider),
            "{e:?}"
        );

        let e = count(&fake, KEY, provider, "gpt-4o", None, "Hi")
            .await
            .unwrap_err();
        let ProviderError::NotFound { model, message, .. } = &e else {
            panic!("{provider}: {e:?}");
        };
        assert_eq!(model, "gpt-4o");
        assert!(message.contains("gpt-4o"), "{message}");
        assert_eq!(e.code(), "not_found");

        // Both refuse an empty user message.
        let e = count(&fake, KEY, provider, m, None, "").await.unwrap_err();
        assert!(
            matches!(&e, ProviderError::BadRequest { provider: p, .. } if *p == provider),
            "{e:?}"
        );
        assert!(!e.is_transient());

        let e = count(&fake, "fake-server-error", provider, m, None, "Hi")
            .await
            .unwrap_err();
        assert!(
            matches!(&e, ProviderError::Http { status: 500, message, .. } if !message.is_empty()),
            "{e:?}"
        );
        assert!(e.is_transient());
    }
    let e = count(&fake, KEY, Provider::Anthropic, "claude-x", None, "")
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Anthropic refused the request: messages.0: all messages must have non-empty \
         content except for the optional final assistant message"
    );
}

#[tokio::test]
async fn without_a_key_nothing_is_sent() {
    let fake = FakeProvider::start().await;
    let config = fake.provider_config(KEY).without_api_key(Provider::Gemini);
    let providers = Providers::new(config).unwrap();
    assert!(providers.is_configured(Provider::Anthropic));
    assert!(!providers.is_configured(Provider::Gemini));
    let e = providers
        .count_tokens(Provider::Gemini, GEMINI, None, "Hi")
        .await
        .unwrap_err();
    assert_eq!(
        e,
        ProviderError::NotConfigured {
            provider: Provider::Gemini
        }
    );
    assert_eq!(e.code(), "not_configured");
    assert_eq!(
        e.to_string(),
        "no API key is configured for Google Gemini (set GEMINI_API_KEY)"
    );
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn a_closed_port_is_a_transport_error() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    for provider in COUNTING {
        let config = ProviderConfig::default()
            .with_api_key(provider, KEY)
            .with_base_url(provider, format!("http://{closed}"));
        let providers = Providers::new(config).unwrap();
        let e = providers
            .count_tokens(provider, model(provider), None, "Hi")
            .await
            .unwrap_err();
        let ProviderError::Transport {
            provider: p,
            message,
            timeout,
        } = &e
        else {
            panic!("{e:?}");
        };
        assert_eq!(*p, provider);
        assert!(!timeout);
        assert!(message.contains(&closed.to_string()), "{message}");
        assert!(message.to_lowercase().contains("connect"), "{message}");
        assert_eq!(e.code(), "transport");
        assert!(e.is_transient());
    }
}

#[tokio::test]
async fn a_slow_provider_times_out() {
    let fake = FakeProvider::start().await;
    let config = fake
        .provider_config("fake-slow")
        .with_timeouts(Duration::from_secs(1), Duration::from_millis(300));
    let providers = Providers::new(config).unwrap();
    let started = std::time::Instant::now();
    let e = providers
        .count_tokens(Provider::Anthropic, CLAUDE, None, "Hi")
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ProviderError::Transport { timeout: true, .. }),
        "{e:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // With the default 20 s timeout, the same key is merely slow.
    let n = count(
        &fake,
        "fake-slow",
        Provider::Gemini,
        GEMINI,
        None,
        "Hello, world!",
    )
    .await
    .unwrap();
    assert_eq!(n.tokens, 5);
}

#[tokio::test]
async fn a_200_that_is_not_a_count_is_a_bad_response() {
    use axum::routing::post;
    let app = axum::Router::new().fallback(post(|| async { "<html>maintenance</html>" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    for provider in COUNTING {
        let config = ProviderConfig::default()
            .with_api_key(provider, KEY)
            .with_base_url(provider, format!("http://{addr}"));
        let e = Providers::new(config)
            .unwrap()
            .count_tokens(provider, model(provider), None, "Hi")
            .await
            .unwrap_err();
        assert!(
            matches!(&e, ProviderError::BadResponse { provider: p, .. } if *p == provider),
            "{e:?}"
        );
        assert_eq!(e.code(), "bad_response");
    }
    server.abort();
}

/// The fake itself, spoken to directly: the errors a client that gets the
/// wire format wrong would meet.
#[tokio::test]
async fn the_fake_refuses_what_the_providers_refuse() {
    let fake = FakeProvider::start().await;
    let http = reqwest::Client::new();
    let base = fake.base_url();
    let anthropic = format!("{base}/v1/messages/count_tokens");
    let gemini = format!("{base}/v1beta/models/{GEMINI}:countTokens");
    let good_claude = json!({"model": CLAUDE, "messages": [{"role": "user", "content": "Hi"}]});
    let good_gemini = json!({"contents": [{"parts": [{"text": "Hi"}]}]});

    async fn sent(request: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, Value) {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
    let anthropic_error = |body: &Value| {
        assert_eq!(body["type"], "error", "{body}");
        (
            body["error"]["type"].as_str().unwrap().to_owned(),
            body["error"]["message"].as_str().unwrap().to_owned(),
        )
    };

    // Anthropic: no key.
    let (status, _, body) = sent(
        http.post(&anthropic)
            .header("anthropic-version", "2023-06-01")
            .json(&good_claude),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(
        anthropic_error(&body),
        (
            "authentication_error".into(),
            "x-api-key header is required".into()
        )
    );
    // Anthropic: no version header.
    let (status, _, body) = sent(
        http.post(&anthropic)
            .header("x-api-key", KEY)
            .json(&good_claude),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        anthropic_error(&body),
        (
            "invalid_request_error".into(),
            "anthropic-version: header is required".into()
        )
    );
    // Anthropic: a body that is not JSON.
    let (status, headers, body) = sent(
        http.post(&anthropic)
            .header("x-api-key", KEY)
            .header("anthropic-version", "2023-06-01")
            .header("content-type", "application/json")
            .body("{\"model\": "),
    )
    .await;
    assert_eq!(status, 400);
    let (kind, message) = anthropic_error(&body);
    assert_eq!(kind, "invalid_request_error");
    assert!(
        message.starts_with("The request body is not valid JSON: "),
        "{message}"
    );
    assert!(headers.contains_key("request-id"));
    // Anthropic: count_tokens takes no max_tokens.
    let mut with_max = good_claude.clone();
    with_max["max_tokens"] = json!(1024);
    let (status, _, body) = sent(
        http.post(&anthropic)
            .header("x-api-key", KEY)
            .header("anthropic-version", "2023-06-01")
            .json(&with_max),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        anthropic_error(&body).1,
        "max_tokens: Extra inputs are not permitted"
    );
    // Anthropic: the rate limit's retry-after header and the 529.
    for (key, expected_status, expected_kind) in [
        ("fake-rate-limited", 429, "rate_limit_error"),
        ("fake-overloaded", 529, "overloaded_error"),
    ] {
        let (status, headers, body) = sent(
            http.post(&anthropic)
                .header("x-api-key", key)
                .header("anthropic-version", "2023-06-01")
                .json(&good_claude),
        )
        .await;
        assert_eq!(status, expected_status);
        assert_eq!(anthropic_error(&body).0, expected_kind);
        if status == 429 {
            assert_eq!(headers["retry-after"], "7");
        }
    }

    // Gemini: no key.
    let (status, _, body) = sent(http.post(&gemini).json(&good_gemini)).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], 403);
    assert_eq!(body["error"]["status"], "PERMISSION_DENIED");
    // Gemini: a body that is not JSON.
    let (status, _, body) = sent(
        http.post(&gemini)
            .header("x-goog-api-key", KEY)
            .header("content-type", "application/json")
            .body("{contents"),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["status"], "INVALID_ARGUMENT");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid JSON payload received."),
        "{body}"
    );
    // Gemini: a snake_case field at the wrong level.
    let (status, _, body) = sent(
        http.post(&gemini)
            .header("x-goog-api-key", KEY)
            .json(&json!({"contents": good_gemini["contents"], "system_instruction": {}})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["message"],
        "Invalid JSON payload received. Unknown name \"system_instruction\": Cannot find field."
    );
    // Gemini: the key as a query parameter works too.
    let (status, _, body) = sent(http.post(format!("{gemini}?key={KEY}")).json(&good_gemini)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["totalTokens"], 2);
    assert_eq!(body["promptTokensDetails"][0]["modality"], "TEXT");
    // Gemini: the 503.
    let (status, _, body) = sent(
        http.post(&gemini)
            .header("x-goog-api-key", "fake-overloaded")
            .json(&good_gemini),
    )
    .await;
    assert_eq!(
        (status, body["error"]["status"].as_str()),
        (503, Some("UNAVAILABLE"))
    );

    // Unknown paths: Anthropic's JSON under /v1/, Google's HTML page else.
    let (status, _, body) = sent(http.post(format!("{base}/v1/complete")).json(&good_claude)).await;
    assert_eq!(status, 404);
    assert_eq!(anthropic_error(&body).0, "not_found_error");
    let (status, _, body) =
        sent(http.post(format!("{base}/v1alpha/models/{GEMINI}:countTokens"))).await;
    assert_eq!(status, 404);
    assert!(body.as_str().unwrap().contains("Error 404 (Not Found)"));

    // Everything was recorded, answered or not.
    assert_eq!(fake.requests().len(), 13);
}

#[tokio::test]
async fn a_stopped_fake_is_unreachable() {
    let fake = FakeProvider::start().await;
    let providers = Providers::new(fake.provider_config(KEY)).unwrap();
    providers
        .count_tokens(Provider::Anthropic, CLAUDE, None, "Hi")
        .await
        .unwrap();
    fake.shutdown().await;
    let e = providers
        .count_tokens(Provider::Anthropic, CLAUDE, None, "Hi")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "transport", "{e:?}");
}

/// `preflight fake-provider` serves the same fake from the command line.
#[tokio::test]
async fn the_cli_serves_the_fake() {
    /// Stops the child even when an assertion fails.
    struct Running(std::process::Child);
    impl Drop for Running {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_preflight"))
            .args(["fake-provider", "--addr", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base_url = line
        .trim()
        .strip_prefix("fake provider listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");
    let config = [Provider::Anthropic, Provider::Gemini]
        .into_iter()
        .fold(ProviderConfig::default(), |c, p| {
            c.with_api_key(p, KEY).with_base_url(p, &base_url)
        });
    let providers = Providers::new(config).unwrap();
    let counted = providers
        .count_tokens(Provider::Gemini, GEMINI, None, "Hello, world!")
        .await
        .unwrap();
    assert_eq!(counted.tokens, 5);
    drop(child);
}

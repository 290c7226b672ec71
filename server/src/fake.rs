//! A fake of the providers on one local HTTP server, speaking their wire
//! formats and their errors: Anthropic's and Gemini's count-token
//! endpoints, and the three chat formats (OpenAI `/v1/chat/completions`,
//! see [`openai`]; Anthropic `/v1/messages`; Gemini `:generateContent`),
//! so the clients are tested over real HTTP without the network (and
//! `preflight fake-provider` serves it for demos).
//!
//! # What it counts
//!
//! Deterministically, from the text of the request. Let `n` be the sum of
//! `Encoding::O200kBase.count(text)` over every text in the request: for
//! Anthropic the `system` prompt (a string or text blocks) and every
//! message's content (a string or text blocks); for Gemini the
//! `systemInstruction` parts and every `contents` part. Then
//!
//! - Anthropic answers `{"input_tokens": ceil(1.15 × n) + 5}`, the 5 standing
//!   for the message framing;
//! - Gemini answers `{"totalTokens": ceil(1.05 × n), "promptTokensDetails":
//!   [{"modality": "TEXT", "tokenCount": …}]}`.
//!
//! [`FakeProvider::tokens_for`] computes the same for one system prompt and
//! one user message. "Hello, world!" is 4 o200k tokens, so Anthropic counts
//! 10 and Gemini 5.
//!
//! # Keys and failures
//!
//! Any key starting with [`VALID_KEY_PREFIX`] (`fake-key`) is valid. The
//! keys [`RATE_LIMITED_KEY`], [`OVERLOADED_KEY`], [`SERVER_ERROR_KEY`] and
//! [`SLOW_KEY`] are valid too but make every request fail or stall. In the
//! order they are checked:
//!
//! | case | Anthropic | Gemini |
//! | --- | --- | --- |
//! | no key | 401 `authentication_error` | 403 `PERMISSION_DENIED` |
//! | another key | 401 `authentication_error` | 400 `INVALID_ARGUMENT` "API key not valid…", reason `API_KEY_INVALID` |
//! | no `anthropic-version` | 400 `invalid_request_error` | — |
//! | `fake-rate-limited` | 429 `rate_limit_error`, `retry-after: 7` | 429 `RESOURCE_EXHAUSTED`, `RetryInfo` `retryDelay: "7s"` |
//! | `fake-overloaded` | 529 `overloaded_error` | 503 `UNAVAILABLE` |
//! | `fake-server-error` | 500 `api_error` | 500 `INTERNAL` |
//! | `fake-slow` | answers after [`SLOW_DELAY`] | answers after [`SLOW_DELAY`] |
//! | body not JSON | 400 `invalid_request_error` | 400 `INVALID_ARGUMENT` |
//! | unknown or missing field | 400 `invalid_request_error` | 400 `INVALID_ARGUMENT` |
//! | an empty user message or text part | 400 `invalid_request_error` | 400 `INVALID_ARGUMENT` |
//! | model not `claude-…` / `gemini-…` | 404 `not_found_error` | 404 `NOT_FOUND` |
//!
//! Gemini also takes the key as a `?key=` query parameter, as Google does.
//! Every request, answered or not, is recorded ([`FakeProvider::requests`]),
//! the last [`KEPT_REQUESTS`] of them.

mod anthropic;
pub mod chat;
mod gemini;
pub mod openai;
mod pace;

use crate::{Provider, ProviderConfig, COUNTING};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use prompt_preflight::Encoding;
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Every key that starts with this is valid.
pub const VALID_KEY_PREFIX: &str = "fake-key";
/// A valid key whose requests get the provider's rate-limit error.
pub const RATE_LIMITED_KEY: &str = "fake-rate-limited";
/// A valid key whose requests get the provider's overload error.
pub const OVERLOADED_KEY: &str = "fake-overloaded";
/// A valid key whose requests are answered only after [`SLOW_DELAY`].
pub const SLOW_KEY: &str = "fake-slow";
/// A valid key whose requests get the provider's internal server error.
pub const SERVER_ERROR_KEY: &str = "fake-server-error";
/// How long the rate-limit errors ask the client to wait.
pub const RETRY_AFTER: Duration = Duration::from_secs(7);
/// How long requests with [`SLOW_KEY`] stall.
pub const SLOW_DELAY: Duration = Duration::from_secs(2);

/// How many requests the fake keeps (the oldest half goes when full).
pub const KEPT_REQUESTS: usize = 10_000;

/// The largest body read (Anthropic's documented request limit, 32 MB).
const BODY_LIMIT: usize = 32 * 1024 * 1024;

/// One request as the fake received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `POST`, `GET`, …
    pub method: String,
    /// The path, still percent-encoded, without the query.
    pub path: String,
    /// The query string, if any (without `?`).
    pub query: Option<String>,
    /// Every header, by lower-case name; repeated headers joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// The body (invalid UTF-8 replaced).
    pub body: String,
}

impl RecordedRequest {
    /// A header's value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }
}

type RequestLog = Arc<Mutex<Vec<RecordedRequest>>>;

/// A running fake provider on a loopback port. It stops when dropped, or
/// with [`shutdown`](Self::shutdown) to wait until it has.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use prompt_preflight_server::fake::FakeProvider;
/// use prompt_preflight_server::{Provider, Providers};
///
/// let fake = FakeProvider::start().await;
/// let providers = Providers::new(fake.provider_config("fake-key-1")).unwrap();
/// let count = providers
///     .count_tokens(Provider::Anthropic, "claude-sonnet-4-5", None, "Hello, world!")
///     .await
///     .unwrap();
/// assert_eq!(count.tokens, 10);
/// assert_eq!(fake.requests()[0].path, "/v1/messages/count_tokens");
/// fake.shutdown().await;
/// # }
/// ```
#[derive(Debug)]
pub struct FakeProvider {
    addr: SocketAddr,
    log: RequestLog,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl FakeProvider {
    /// Starts a fake on `127.0.0.1` and a free port.
    ///
    /// # Panics
    ///
    /// If no loopback port can be bound; use [`bind`](Self::bind) to
    /// handle that.
    pub async fn start() -> FakeProvider {
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        Self::bind(loopback)
            .await
            .expect("a free port on 127.0.0.1")
    }

    /// Starts a fake on `addr` (port 0 picks a free port).
    pub async fn bind(addr: SocketAddr) -> std::io::Result<FakeProvider> {
        Self::bind_paced(addr, None).await
    }

    /// Starts a fake on `addr` whose OpenAI chat route takes at most
    /// `per_second` requests a second (`None`: no limit) and refuses the
    /// rest as OpenAI does, with its rate-limit headers.
    pub async fn bind_paced(
        addr: SocketAddr,
        per_second: Option<u32>,
    ) -> std::io::Result<FakeProvider> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let log = RequestLog::default();
        let (stop, stopped) = oneshot::channel::<()>();
        let app = router(log.clone(), pace::Pace::new(per_second));
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(FakeProvider {
            addr,
            log,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the base URL for both providers.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A configuration that sends both providers here with `key`.
    pub fn provider_config(&self, key: &str) -> ProviderConfig {
        COUNTING
            .into_iter()
            .fold(ProviderConfig::default(), |config, provider| {
                config
                    .with_api_key(provider, key)
                    .with_base_url(provider, self.base_url())
            })
    }

    /// The requests received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The requests received so far, and forgets them.
    pub fn take_requests(&self) -> Vec<RecordedRequest> {
        std::mem::take(&mut *self.log.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// What the fake answers for a system prompt and one user message (see
    /// the [module docs](self)).
    pub fn tokens_for(provider: Provider, system: Option<&str>, user: &str) -> u64 {
        let n = system.map_or(0, o200k) + o200k(user);
        match provider {
            // OpenAI's tokenizer is public: its count is the count itself.
            Provider::Openai => n,
            Provider::Anthropic => anthropic::tokens(n),
            Provider::Gemini => gemini::tokens(n),
        }
    }

    /// Stops accepting connections and waits (at most 5 s) for the
    /// requests in flight to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

/// Stops the server without waiting.
impl Drop for FakeProvider {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Both providers' routes, with every request recorded first, and the
/// chat route's rate limit.
fn router(log: RequestLog, pace: Arc<pace::Pace>) -> Router {
    let stats = Router::new()
        .route("/fake/stats", axum::routing::get(pace::stats))
        .with_state(pace.clone());
    Router::new()
        .route("/v1/chat/completions", post(openai::chat_completions))
        .route("/v1/messages", post(anthropic::messages))
        .route("/v1/messages/count_tokens", post(anthropic::count_tokens))
        .route("/v1beta/models/{model_and_method}", post(gemini::models))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(pace, pace::limit))
        .layer(middleware::from_fn_with_state(log.clone(), record))
        .with_state(log)
        .merge(stats)
}

/// Reads the body, records the request, and passes it on.
async fn record(State(log): State<RequestLog>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request too large").into_response();
    };
    let mut headers = BTreeMap::<String, String>::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    let recorded = RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    };
    {
        let mut kept = log.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.len() >= KEPT_REQUESTS {
            // A load test must not grow the fake without bound.
            kept.drain(..KEPT_REQUESTS / 2);
        }
        kept.push(recorded);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Unknown paths: Anthropic's JSON 404 under `/v1/`, otherwise an HTML page
/// as Google's front end sends.
async fn not_found(uri: Uri) -> Response {
    if uri.path().starts_with("/v1/") {
        anthropic::error(StatusCode::NOT_FOUND, "not_found_error", "Not Found")
    } else {
        let page = format!(
            "<!DOCTYPE html><html lang=en><title>Error 404 (Not Found)!!1</title>\
             <p><b>404.</b> That’s an error.<p>The requested URL <code>{}</code> \
             was not found on this server. That’s all we know.</html>",
            uri.path()
        );
        (StatusCode::NOT_FOUND, Html(page)).into_response()
    }
}

/// How a request's key is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Missing,
    Invalid,
    Valid,
    RateLimited,
    Overloaded,
    Slow,
    ServerError,
}

impl Key {
    fn classify(key: Option<&str>) -> Key {
        match key {
            None | Some("") => Key::Missing,
            Some(RATE_LIMITED_KEY) => Key::RateLimited,
            Some(OVERLOADED_KEY) => Key::Overloaded,
            Some(SLOW_KEY) => Key::Slow,
            Some(SERVER_ERROR_KEY) => Key::ServerError,
            Some(k)
                if k.starts_with(VALID_KEY_PREFIX)
                    || openai::CHAT_KEYS.contains(&k)
                    || chat::KEYS.contains(&k) =>
            {
                Key::Valid
            }
            Some(_) => Key::Invalid,
        }
    }
}

/// The o200k token count of one text.
fn o200k(text: &str) -> u64 {
    Encoding::O200kBase.count(text).count
}

/// `ceil(n × percent / 100)` in integers.
fn scale(n: u64, percent: u64) -> u64 {
    (n * percent).div_ceil(100)
}

/// A JSON answer.
fn answer(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

/// Parses a body as JSON, or says why not (serde's words).
fn parse_json(body: &Bytes) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_classified() {
        assert_eq!(Key::classify(None), Key::Missing);
        assert_eq!(Key::classify(Some("")), Key::Missing);
        assert_eq!(Key::classify(Some("fake-key")), Key::Valid);
        assert_eq!(Key::classify(Some("fake-key-42")), Key::Valid);
        assert_eq!(Key::classify(Some("sk-ant-real")), Key::Invalid);
        assert_eq!(Key::classify(Some("fake-rate-limited")), Key::RateLimited);
        assert_eq!(Key::classify(Some("fake-overloaded")), Key::Overloaded);
        assert_eq!(Key::classify(Some("fake-slow")), Key::Slow);
        assert_eq!(Key::classify(Some("fake-server-error")), Key::ServerError);
    }

    #[test]
    fn the_factors_round_up() {
        assert_eq!(scale(0, 115), 0);
        assert_eq!(scale(4, 115), 5);
        assert_eq!(scale(20, 115), 23);
        assert_eq!(scale(4, 105), 5);
        assert_eq!(scale(100, 105), 105);
    }

    #[test]
    fn hello_world_is_ten_for_anthropic_and_five_for_gemini() {
        assert_eq!(o200k("Hello, world!"), 4);
        assert_eq!(
            FakeProvider::tokens_for(Provider::Anthropic, None, "Hello, world!"),
            10
        );
        assert_eq!(
            FakeProvider::tokens_for(Provider::Gemini, None, "Hello, world!"),
            5
        );
    }
}

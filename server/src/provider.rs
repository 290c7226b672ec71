//! Exact token counts from the providers' own count endpoints.
//!
//! OpenAI's tokenizers are public, so the core counts those exactly. For
//! Anthropic Claude and Google Gemini there is no public tokenizer: the core
//! estimates, and when a key is configured the server can ask the provider
//! for the exact figure instead — Anthropic's `POST /v1/messages/count_tokens`
//! and Gemini's `POST /v1beta/models/{model}:countTokens`. Neither call runs
//! the model; both need an API key.
//!
//! [`Providers`] holds one HTTP client for both. Every failure is a
//! [`ProviderError`] with a stable [`code`](ProviderError::code) and, where
//! the provider sent one, the provider's own message, so the caller can fall
//! back to the estimate and say why.
//!
//! The project's fake of both endpoints is [`crate::fake`].

mod anthropic;
pub mod chat;
pub mod classify;
mod gemini;
pub mod hints;
pub mod sse;

pub(crate) use anthropic::VERSION as ANTHROPIC_VERSION;

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde::Serialize;
use std::fmt;
use std::time::Duration;

pub use prompt_preflight::Provider;

/// The providers with a count-tokens endpoint: Anthropic's
/// `POST {base}/v1/messages/count_tokens` and Gemini's
/// `POST {base}/v1beta/models/{model}:countTokens`. OpenAI has none; its
/// tokenizers are public, so the core counts exactly.
pub const COUNTING: [Provider; 2] = [Provider::Anthropic, Provider::Gemini];

/// Where the server finds a provider's key and base URL: the variables the
/// providers' own SDKs read.
pub trait ProviderEnv {
    /// The environment variable that holds the API key, e.g. `OPENAI_API_KEY`.
    fn key_var(self) -> &'static str;
    /// The environment variable that overrides the base URL.
    fn base_url_var(self) -> &'static str;
    /// The public API's base URL, used when no other is configured.
    fn default_base_url(self) -> &'static str;
}

impl ProviderEnv for Provider {
    fn key_var(self) -> &'static str {
        match self {
            Provider::Openai => "OPENAI_API_KEY",
            Provider::Anthropic => "ANTHROPIC_API_KEY",
            Provider::Gemini => "GEMINI_API_KEY",
        }
    }

    fn base_url_var(self) -> &'static str {
        match self {
            Provider::Openai => "OPENAI_BASE_URL",
            Provider::Anthropic => "ANTHROPIC_BASE_URL",
            Provider::Gemini => "GEMINI_BASE_URL",
        }
    }

    fn default_base_url(self) -> &'static str {
        match self {
            Provider::Openai => "https://api.openai.com/v1",
            Provider::Anthropic => "https://api.anthropic.com",
            Provider::Gemini => "https://generativelanguage.googleapis.com",
        }
    }
}

/// Where and how to reach one provider. `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderEndpoint {
    /// The API key; without one the provider is not asked.
    pub api_key: Option<String>,
    /// The base URL, without the endpoint path (e.g. `https://api.anthropic.com`).
    pub base_url: String,
}

impl fmt::Debug for ProviderEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderEndpoint")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .finish()
    }
}

/// The keys and base URLs of every provider, and the HTTP timeouts.
///
/// ```
/// use prompt_preflight_server::{Provider, ProviderConfig};
/// let config = ProviderConfig::default()
///     .with_api_key(Provider::Anthropic, "sk-ant-example")
///     .with_base_url(Provider::Anthropic, "http://127.0.0.1:8090/");
/// assert!(config.is_configured(Provider::Anthropic));
/// assert!(!config.is_configured(Provider::Gemini));
/// assert_eq!(config.endpoint(Provider::Anthropic).base_url, "http://127.0.0.1:8090");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderConfig {
    /// OpenAI's (or an OpenAI-compatible endpoint's) key and base URL.
    pub openai: ProviderEndpoint,
    /// Anthropic's key and base URL.
    pub anthropic: ProviderEndpoint,
    /// Gemini's key and base URL.
    pub gemini: ProviderEndpoint,
    /// How long to wait for a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// How long a whole request may take, from connecting to the last byte.
    pub timeout: Duration,
}

impl ProviderConfig {
    /// The default connect timeout: 5 seconds.
    pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    /// The default request timeout: 20 seconds.
    pub const TIMEOUT: Duration = Duration::from_secs(20);

    /// Reads `OPENAI_API_KEY`, `OPENAI_BASE_URL`, `ANTHROPIC_API_KEY`,
    /// `ANTHROPIC_BASE_URL`, `GEMINI_API_KEY` and `GEMINI_BASE_URL`. Unset or blank variables mean no key and the
    /// public base URL.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), with the variables looked up by
    /// `var` (so tests need not touch the process environment).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Self {
        let mut config = Self::default();
        for provider in Provider::ALL {
            let nonblank = |name: &str| {
                var(name)
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
            };
            if let Some(key) = nonblank(provider.key_var()) {
                config = config.with_api_key(provider, key);
            }
            if let Some(url) = nonblank(provider.base_url_var()) {
                config = config.with_base_url(provider, url);
            }
        }
        config
    }

    /// Sets a provider's API key.
    pub fn with_api_key(mut self, provider: Provider, key: impl Into<String>) -> Self {
        self.endpoint_mut(provider).api_key = Some(key.into());
        self
    }

    /// Removes a provider's API key.
    pub fn without_api_key(mut self, provider: Provider) -> Self {
        self.endpoint_mut(provider).api_key = None;
        self
    }

    /// Sets a provider's base URL; a trailing `/` is dropped.
    pub fn with_base_url(mut self, provider: Provider, url: impl Into<String>) -> Self {
        let url: String = url.into();
        self.endpoint_mut(provider).base_url = url.trim_end_matches('/').to_owned();
        self
    }

    /// Sets the connect and whole-request timeouts.
    pub fn with_timeouts(mut self, connect: Duration, request: Duration) -> Self {
        self.connect_timeout = connect;
        self.timeout = request;
        self
    }

    /// One provider's key and base URL.
    pub fn endpoint(&self, provider: Provider) -> &ProviderEndpoint {
        match provider {
            Provider::Openai => &self.openai,
            Provider::Anthropic => &self.anthropic,
            Provider::Gemini => &self.gemini,
        }
    }

    fn endpoint_mut(&mut self, provider: Provider) -> &mut ProviderEndpoint {
        match provider {
            Provider::Openai => &mut self.openai,
            Provider::Anthropic => &mut self.anthropic,
            Provider::Gemini => &mut self.gemini,
        }
    }

    /// Whether a key is set for this provider.
    pub fn is_configured(&self, provider: Provider) -> bool {
        self.endpoint(provider).api_key.is_some()
    }
}

/// No keys, the public base URLs, and the default timeouts.
impl Default for ProviderConfig {
    fn default() -> Self {
        let endpoint = |provider: Provider| ProviderEndpoint {
            api_key: None,
            base_url: provider.default_base_url().to_owned(),
        };
        ProviderConfig {
            openai: endpoint(Provider::Openai),
            anthropic: endpoint(Provider::Anthropic),
            gemini: endpoint(Provider::Gemini),
            connect_timeout: Self::CONNECT_TIMEOUT,
            timeout: Self::TIMEOUT,
        }
    }
}

/// A provider's exact count of a prompt's input tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderCount {
    /// The input tokens, as the provider counts them (for Anthropic this
    /// includes the few tokens of the message framing).
    pub tokens: u64,
    /// Who counted.
    pub provider: Provider,
    /// The model the count is for, as asked.
    pub model: String,
}

/// Why a provider gave no count. Messages name the provider and carry its
/// own words where it sent any.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// No API key is configured for the provider, so it was not asked.
    #[error("no API key is configured for {provider} (set {})", provider.key_var())]
    NotConfigured {
        /// The provider.
        provider: Provider,
    },
    /// The provider has no count-tokens endpoint (OpenAI: its tokenizers
    /// are public and the core counts exactly).
    #[error("{provider} has no endpoint that counts tokens")]
    NoCountEndpoint {
        /// The provider.
        provider: Provider,
    },
    /// The key is missing, wrong or lacks permission (HTTP 401 or 403, or
    /// Gemini's 400 "API key not valid").
    #[error("{provider} refused the API key: {message}")]
    Unauthorized {
        /// The provider.
        provider: Provider,
        /// The provider's message.
        message: String,
    },
    /// Too many requests (HTTP 429).
    #[error("{provider} is rate limiting this key{}: {message}", retry_hint(*retry_after))]
    RateLimited {
        /// The provider.
        provider: Provider,
        /// How long the provider asks us to wait, when it says.
        retry_after: Option<Duration>,
        /// The provider's message.
        message: String,
    },
    /// The provider is overloaded or unavailable (Anthropic 529, Gemini 503).
    #[error("{provider} is overloaded: {message}")]
    Overloaded {
        /// The provider.
        provider: Provider,
        /// The provider's message.
        message: String,
    },
    /// The provider refused the request as malformed (HTTP 400 or 413).
    #[error("{provider} refused the request: {message}")]
    BadRequest {
        /// The provider.
        provider: Provider,
        /// The provider's message.
        message: String,
    },
    /// The provider does not know the model (HTTP 404).
    #[error("{provider} does not know the model `{model}`: {message}")]
    NotFound {
        /// The provider.
        provider: Provider,
        /// The model asked for.
        model: String,
        /// The provider's message.
        message: String,
    },
    /// Any other HTTP error, e.g. a 500.
    #[error("{provider} answered HTTP {status}: {message}")]
    Http {
        /// The provider.
        provider: Provider,
        /// The HTTP status code.
        status: u16,
        /// The provider's message, or the start of the body.
        message: String,
    },
    /// The provider could not be reached: the connection failed or timed
    /// out, or the base URL is invalid.
    #[error("cannot reach {provider}: {message}")]
    Transport {
        /// The provider.
        provider: Provider,
        /// The HTTP client's error, with its causes.
        message: String,
        /// Whether a timeout expired.
        timeout: bool,
    },
    /// The provider answered 200 with a body that is not a count.
    #[error("{provider} sent an unexpected answer: {message}")]
    BadResponse {
        /// The provider.
        provider: Provider,
        /// What is wrong with the body.
        message: String,
    },
    /// The HTTP client could not be built (its TLS backend failed to start).
    #[error("cannot set up the HTTP client: {message}")]
    Setup {
        /// The HTTP client's error.
        message: String,
    },
}

fn retry_hint(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(d) if d.subsec_millis() == 0 => format!(" (retry after {} s)", d.as_secs()),
        Some(d) => format!(" (retry after {:.1} s)", d.as_secs_f64()),
        None => String::new(),
    }
}

impl ProviderError {
    /// A stable snake_case code: `not_configured`, `unauthorized`,
    /// `rate_limited`, `overloaded`, `bad_request`, `not_found`, `http`,
    /// `transport`, `bad_response` or `setup`.
    pub fn code(&self) -> &'static str {
        match self {
            ProviderError::NotConfigured { .. } => "not_configured",
            ProviderError::NoCountEndpoint { .. } => "no_count_endpoint",
            ProviderError::Unauthorized { .. } => "unauthorized",
            ProviderError::RateLimited { .. } => "rate_limited",
            ProviderError::Overloaded { .. } => "overloaded",
            ProviderError::BadRequest { .. } => "bad_request",
            ProviderError::NotFound { .. } => "not_found",
            ProviderError::Http { .. } => "http",
            ProviderError::Transport { .. } => "transport",
            ProviderError::BadResponse { .. } => "bad_response",
            ProviderError::Setup { .. } => "setup",
        }
    }

    /// Whether the same request may succeed later: rate limits, overload,
    /// transport failures and 5xx answers.
    pub fn is_transient(&self) -> bool {
        match self {
            ProviderError::RateLimited { .. }
            | ProviderError::Overloaded { .. }
            | ProviderError::Transport { .. } => true,
            ProviderError::Http { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// A transport error from the HTTP client, with its chain of causes
    /// (e.g. "… : tcp connect error: Connection refused").
    fn transport(provider: Provider, error: &reqwest::Error) -> Self {
        ProviderError::Transport {
            provider,
            message: error_chain(error),
            timeout: error.is_timeout(),
        }
    }
}

/// An error and its sources, joined with `: `, without repeats.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// At most this many characters of a non-JSON error body go into a message.
const BODY_EXCERPT: usize = 200;

/// The start of a body that is not the provider's JSON (e.g. a proxy's
/// HTML page), on one line.
fn excerpt(body: &str) -> String {
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(BODY_EXCERPT) {
        Some((at, _)) => format!("{}…", &flat[..at]),
        None => flat,
    }
}

/// The message for an error answer that carried none of its own.
fn status_text(status: reqwest::StatusCode, body: &str) -> String {
    let body = excerpt(body);
    if !body.is_empty() {
        return body;
    }
    match status.canonical_reason() {
        Some(reason) => reason.to_owned(),
        None => format!("HTTP {}", status.as_u16()),
    }
}

/// The wait a rate-limited answer asks for (every hint the providers
/// give, see [`hints`]).
fn retry_after_header(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    hints::retry_after(headers, None, std::time::SystemTime::now())
}

/// The client for the providers' count endpoints: one connection pool,
/// the configured keys, base URLs and timeouts.
#[derive(Debug, Clone)]
pub struct Providers {
    http: reqwest::Client,
    config: ProviderConfig,
}

impl Providers {
    /// Builds the HTTP client (rustls, with the platform's certificates).
    pub fn new(config: ProviderConfig) -> Result<Self, ProviderError> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .user_agent(concat!("prompt-preflight/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProviderError::Setup {
                message: error_chain(&e),
            })?;
        Ok(Providers { http, config })
    }

    /// The configuration in use.
    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// Whether a key is set for this provider, i.e. whether
    /// [`count_tokens`](Self::count_tokens) will ask it at all.
    pub fn is_configured(&self, provider: Provider) -> bool {
        self.config.is_configured(provider)
    }

    /// Asks `provider` how many input tokens `model` sees in a request made
    /// of an optional system prompt and one user message.
    ///
    /// Returns [`ProviderError::NotConfigured`] without any request when the
    /// provider has no key. One request, no retries: the caller decides
    /// whether to wait (see [`ProviderError::is_transient`]) or estimate.
    pub async fn count_tokens(
        &self,
        provider: Provider,
        model: &str,
        system: Option<&str>,
        user: &str,
    ) -> Result<ProviderCount, ProviderError> {
        type Ask =
            fn(&reqwest::Client, &str, &str, &str, Option<&str>, &str) -> reqwest::RequestBuilder;
        type Answer = fn(StatusCode, &HeaderMap, &str, &str) -> Result<u64, ProviderError>;
        let (ask, answer): (Ask, Answer) = match provider {
            Provider::Openai => return Err(ProviderError::NoCountEndpoint { provider }),
            Provider::Anthropic => (anthropic::request, anthropic::answer),
            Provider::Gemini => (gemini::request, gemini::answer),
        };
        let endpoint = self.config.endpoint(provider);
        let Some(key) = endpoint.api_key.as_deref() else {
            return Err(ProviderError::NotConfigured { provider });
        };
        let request = ask(&self.http, &endpoint.base_url, key, model, system, user);
        let response = request
            .send()
            .await
            .map_err(|e| ProviderError::transport(provider, &e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .text()
            .await
            .map_err(|e| ProviderError::transport(provider, &e))?;
        let tokens = answer(status, &headers, &body, model)?;
        Ok(ProviderCount {
            tokens,
            provider,
            model: model.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    #[test]
    fn from_lookup_reads_keys_and_base_urls() {
        let config = ProviderConfig::from_lookup(lookup(&[
            ("ANTHROPIC_API_KEY", " sk-ant-1 "),
            ("GEMINI_BASE_URL", "http://127.0.0.1:9/"),
        ]));
        assert_eq!(config.anthropic.api_key.as_deref(), Some("sk-ant-1"));
        assert_eq!(config.anthropic.base_url, "https://api.anthropic.com");
        assert_eq!(config.gemini.api_key, None);
        assert_eq!(config.gemini.base_url, "http://127.0.0.1:9");
        assert_eq!(config.timeout, Duration::from_secs(20));
        assert_eq!(config.connect_timeout, Duration::from_secs(5));
    }

    #[test]
    fn blank_variables_are_unset() {
        let config = ProviderConfig::from_lookup(lookup(&[
            ("ANTHROPIC_API_KEY", ""),
            ("GEMINI_API_KEY", "  "),
            ("GEMINI_BASE_URL", ""),
        ]));
        assert_eq!(config, ProviderConfig::default());
        assert_eq!(
            config.gemini.base_url,
            "https://generativelanguage.googleapis.com"
        );
    }

    #[test]
    fn debug_never_shows_the_key() {
        let config = ProviderConfig::default().with_api_key(Provider::Gemini, "AIza-secret");
        let shown = format!("{config:?}");
        assert!(!shown.contains("AIza-secret"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn codes_are_distinct_snake_case() {
        let p = Provider::Anthropic;
        let m = || "m".to_owned();
        let errors = [
            ProviderError::NotConfigured { provider: p },
            ProviderError::Unauthorized {
                provider: p,
                message: m(),
            },
            ProviderError::RateLimited {
                provider: p,
                retry_after: None,
                message: m(),
            },
            ProviderError::Overloaded {
                provider: p,
                message: m(),
            },
            ProviderError::BadRequest {
                provider: p,
                message: m(),
            },
            ProviderError::NotFound {
                provider: p,
                model: m(),
                message: m(),
            },
            ProviderError::Http {
                provider: p,
                status: 500,
                message: m(),
            },
            ProviderError::Transport {
                provider: p,
                message: m(),
                timeout: false,
            },
            ProviderError::BadResponse {
                provider: p,
                message: m(),
            },
            ProviderError::Setup { message: m() },
        ];
        let codes: std::collections::BTreeSet<_> = errors.iter().map(|e| e.code()).collect();
        assert_eq!(codes.len(), errors.len());
        for code in codes {
            assert!(
                code.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{code}"
            );
        }
    }

    #[test]
    fn messages_read_as_sentences() {
        let e = ProviderError::NotConfigured {
            provider: Provider::Gemini,
        };
        assert_eq!(
            e.to_string(),
            "no API key is configured for Google Gemini (set GEMINI_API_KEY)"
        );
        let e = ProviderError::RateLimited {
            provider: Provider::Anthropic,
            retry_after: Some(Duration::from_secs(7)),
            message: "Number of requests has exceeded your rate limit".into(),
        };
        assert_eq!(
            e.to_string(),
            "Anthropic is rate limiting this key (retry after 7 s): \
             Number of requests has exceeded your rate limit"
        );
        assert!(e.is_transient());
    }

    #[test]
    fn excerpts_are_short_and_on_one_line() {
        assert_eq!(
            excerpt("<html>\n  <b>Bad gateway</b>\n</html>"),
            "<html> <b>Bad gateway</b> </html>"
        );
        let long = "é".repeat(500);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), BODY_EXCERPT + 1);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        let mut headers = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after_header(&headers), None);
        headers.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after_header(&headers), Some(Duration::from_secs(7)));
        // A date already past means now.
        headers.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after_header(&headers), Some(Duration::ZERO));
    }
}

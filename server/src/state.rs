//! What every request handler shares.

use crate::chat::Chat;
use crate::service::call::Policy;
use crate::service::health::{BreakerPolicy, Health};
use crate::service::run::Runner;
use crate::{Provider, Providers, Registry};
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Shared state of the server.
#[derive(Clone)]
pub struct AppState {
    /// The contracts this server checks against.
    pub registry: Arc<Registry>,
    /// Where the web app and the npm package are served from, if anywhere.
    pub static_dirs: Option<StaticDirs>,
    /// The providers' count endpoints, for exact counts of estimated
    /// models. `None`: every Claude and Gemini figure stays an estimate.
    pub providers: Option<Arc<Providers>>,
    /// Provider counts of requests with an empty input, which depend only
    /// on the contract, the tier and the model.
    pub(crate) fixed_counts: Arc<FixedCounts>,
    /// How long a check may wait for the provider's counts before it keeps
    /// the estimate.
    pub provider_timeout: Duration,
    /// The model clients, how hard `/v1/run` tries, and the breakers.
    pub runner: Runner,
}

/// Directories of static files.
#[derive(Debug, Clone)]
pub struct StaticDirs {
    /// The web app (`www/`), served at `/`.
    pub www: PathBuf,
    /// The npm package (`pkg/`), served at `/pkg`.
    pub pkg: PathBuf,
}

impl AppState {
    /// The default [`provider_timeout`](Self::provider_timeout): 5 seconds.
    pub const PROVIDER_TIMEOUT: Duration = Duration::from_secs(5);

    /// State with the given contracts, no static files and no providers.
    pub fn new(registry: Registry) -> Self {
        AppState {
            registry: Arc::new(registry),
            static_dirs: None,
            providers: None,
            fixed_counts: Arc::default(),
            provider_timeout: Self::PROVIDER_TIMEOUT,
            runner: Runner {
                chats: BTreeMap::new(),
                policy: Policy::default(),
                health: Arc::new(Health::new(BreakerPolicy::default())),
                part_concurrency: 3,
                limits: BTreeMap::new(),
            },
        }
    }

    /// Calls `provider`'s models through `chat`.
    pub fn with_chat(mut self, provider: Provider, chat: Arc<dyn Chat>) -> Self {
        self.runner.chats.insert(provider, chat);
        self
    }

    /// Sets how hard `/v1/run` tries.
    pub fn with_run_policy(mut self, policy: Policy) -> Self {
        self.runner.policy = policy;
        self
    }

    /// Sets our limits for each provider (calls at once, requests and
    /// tokens per minute).
    pub fn with_limits(
        mut self,
        limits: &BTreeMap<Provider, crate::config::ProviderLimits>,
    ) -> Self {
        self.runner.limits = limits
            .iter()
            .map(|(p, l)| (*p, Arc::new(crate::service::limits::Limiter::new(*l))))
            .collect();
        self
    }

    /// Sets when the circuit breakers open and for how long.
    pub fn with_breakers(mut self, policy: BreakerPolicy) -> Self {
        self.runner.health = Arc::new(Health::new(policy));
        self
    }

    /// The contract `id`, or the error that names it.
    pub fn contract(&self, id: &str) -> Result<Arc<prompt_preflight::Contract>, crate::AppError> {
        self.registry
            .get(id)
            .cloned()
            .ok_or_else(|| crate::AppError::UnknownContract(id.to_owned()))
    }

    /// Asks `providers` for exact counts of the models they have keys for.
    ///
    /// ```
    /// use prompt_preflight_server::{AppState, ProviderConfig, Providers, Registry};
    /// let providers = Providers::new(ProviderConfig::default()).unwrap();
    /// let state = AppState::new(Registry::builtin()).with_providers(providers);
    /// assert!(state.providers.is_some());
    /// ```
    pub fn with_providers(mut self, providers: Providers) -> Self {
        self.providers = Some(Arc::new(providers));
        self
    }

    /// Sets how long a check waits for the provider's counts.
    pub fn with_provider_timeout(mut self, timeout: Duration) -> Self {
        self.provider_timeout = timeout;
        self
    }
}

/// What a fixed count is for: the contract, its version, the tier and the
/// provider's model.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FixedKey {
    /// The contract id.
    pub contract: String,
    /// The contract version.
    pub version: String,
    /// The tier's name.
    pub tier: String,
    /// Who counted.
    pub provider: Provider,
    /// The model, as the provider was asked.
    pub model: String,
}

/// Provider counts of the request with an empty input (the system prompt,
/// the template and the message framing), asked once per [`FixedKey`].
/// Only successful counts are kept, so a failure is asked again next time.
#[derive(Debug, Default)]
pub(crate) struct FixedCounts {
    counts: Mutex<HashMap<FixedKey, u64>>,
}

impl FixedCounts {
    /// The count for `key`, if one was had.
    pub fn get(&self, key: &FixedKey) -> Option<u64> {
        self.lock().get(key).copied()
    }

    /// Remembers the count for `key`.
    pub fn insert(&self, key: FixedKey, tokens: u64) {
        self.lock().insert(key, tokens);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<FixedKey, u64>> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

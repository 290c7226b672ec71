//! What every request handler shares.

use crate::chat::Chat;
use crate::registry::Contracts;
use crate::service::call::Policy;
use crate::service::check::Counter;
use crate::service::error::ServiceError;
use crate::service::health::{BreakerPolicy, Health};
use crate::service::metrics::Metrics;
use crate::service::queue::Queue;
use crate::service::quota::Quotas;
use crate::service::run::Runner;
use crate::store::Store;
use crate::{Provider, Providers, Registry};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Shared state of the server.
#[derive(Clone)]
pub struct AppState {
    /// The contracts this server checks against, every version, reloaded
    /// without a restart.
    pub contracts: Arc<Contracts>,
    /// Where the web app and the npm package are served from, if anywhere.
    pub static_dirs: Option<StaticDirs>,
    /// Exact counts from the providers' count endpoints, for the models
    /// whose tokens the core estimates.
    pub counter: Arc<Counter>,
    /// The model clients, how hard `/v1/run` tries, and the breakers.
    pub runner: Runner,
    /// What `GET /metrics` shows.
    pub metrics: Metrics,
    /// The users, keys, quotas and usage records; `None` for a server
    /// without a database, whose keyed routes answer 503.
    pub accounts: Option<Accounts>,
}

/// Who may call and what they may spend: the store behind the keys,
/// the quotas and the usage records.
#[derive(Clone, Debug)]
pub struct Accounts {
    /// The database.
    pub store: Store,
    /// The allowances.
    pub quotas: Quotas,
    /// Whether usage records keep the input itself (off by default).
    pub record_content: bool,
    /// The durable queue of runs (`Prefer: respond-async`).
    pub queue: Queue,
    /// The local demo user's key, which the web app gets from
    /// `/v1/demo` on this machine (`preflight serve --demo`).
    pub demo_key: Option<String>,
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
    /// How long a check waits for a provider's count by default: 5 seconds.
    pub const PROVIDER_TIMEOUT: Duration = Counter::TIMEOUT;

    /// State with the given contracts, no static files and no providers.
    pub fn new(registry: Registry) -> Self {
        AppState {
            contracts: Arc::new(Contracts::fixed(registry)),
            static_dirs: None,
            counter: Arc::new(Counter::new(None, Self::PROVIDER_TIMEOUT)),
            runner: Runner {
                chats: BTreeMap::new(),
                policy: Policy::default(),
                health: Arc::new(Health::new(BreakerPolicy::default())),
                part_concurrency: 3,
                limits: BTreeMap::new(),
            },
            accounts: None,
            metrics: Metrics::new(),
        }
    }

    /// Keeps users, keys, quotas and usage records in `store`. A
    /// reservation whose request stops answering is released after the
    /// run's deadline and a minute more (so set the policy first).
    pub fn with_store(mut self, store: Store) -> Self {
        let store = store.with_timer(self.metrics.db_timer());
        let hold = self.runner.policy.deadline + Duration::from_secs(60);
        let quotas = Quotas::new(store.clone(), hold);
        self.accounts = Some(Accounts {
            queue: Queue::new(store.clone(), quotas.clone(), 4, Duration::from_secs(30)),
            quotas,
            store,
            record_content: false,
            demo_key: None,
        });
        self
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

    /// Serves `contracts` (a folder that reloads, say) instead.
    pub fn with_contracts(mut self, contracts: Arc<Contracts>) -> Self {
        self.contracts = contracts;
        self
    }

    /// The accounts database, when the server keeps accounts.
    pub fn store(&self) -> Option<&Store> {
        self.accounts.as_ref().map(|a| &a.store)
    }

    /// The running registry (it changes when the contracts folder reloads).
    pub fn registry(&self) -> Arc<Registry> {
        self.contracts.current()
    }

    /// The default version of contract `id`, or the error that names it.
    pub fn contract(&self, id: &str) -> Result<Arc<prompt_preflight::Contract>, ServiceError> {
        self.registry()
            .get(id)
            .cloned()
            .ok_or_else(|| ServiceError::UnknownContract(id.to_owned()))
    }

    /// Asks `providers` for exact counts of the models they have keys for.
    ///
    /// ```
    /// use prompt_preflight_server::{AppState, ProviderConfig, Providers, Registry};
    /// let providers = Providers::new(ProviderConfig::default()).unwrap();
    /// let state = AppState::new(Registry::builtin()).with_providers(providers);
    /// assert!(state.counter.providers.is_some());
    /// ```
    pub fn with_providers(mut self, providers: Providers) -> Self {
        self.counter = Arc::new(Counter::new(
            Some(Arc::new(providers)),
            self.counter.timeout,
        ));
        self
    }

    /// Sets how long a check waits for the provider's counts.
    pub fn with_provider_timeout(mut self, timeout: Duration) -> Self {
        self.counter = Arc::new(Counter::new(self.counter.providers.clone(), timeout));
        self
    }
}

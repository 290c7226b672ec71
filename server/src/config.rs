//! The server's one [`Config`], from the command line, the environment and
//! an optional `preflight.toml`, in that order of precedence, over the
//! defaults. `make run` needs none of it.
//!
//! API keys come from the environment only (`OPENAI_API_KEY`, …, the
//! variables the providers' SDKs read): a key in the file is refused, and
//! no key is ever logged or shown (`ProviderEndpoint` redacts it).
//!
//! ```toml
//! [server]
//! addr = "127.0.0.1:8080"
//! contracts = "contracts"
//!
//! [providers]
//! connect_timeout_seconds = 5
//! timeout_seconds = 60
//!
//! [providers.openai]
//! concurrency = 8
//! rpm = 500
//! rps = 10                   # at most this many in any one second
//! tpm = 200_000
//!
//! [run]
//! deadline_seconds = 60      # or PREFLIGHT_RUN_DEADLINE_SECONDS
//! max_attempts = 4           # per model of the fallback chain
//! breaker_failures = 5       # failures in a row that open a breaker
//! breaker_cool_down_seconds = 30
//! part_concurrency = 3       # parts of a map-reduce plan asked at once
//! ```

use crate::service::call::Policy;
use crate::service::health::BreakerPolicy;
use crate::{Provider, ProviderConfig, ProviderEnv};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_FILE: &str = "preflight.toml";

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file named by `--config` cannot be read.
    #[error("cannot read the configuration {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML, or has a field that does not exist.
    #[error("the configuration {} is not valid: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message, with the line.
        message: String,
    },
    /// A value is out of range, or a key was put in the file.
    #[error("the configuration {}: `{field}` {reason}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The field, as a TOML path.
        field: String,
        /// What is wrong and what to do.
        reason: String,
    },
}

pub use crate::service::limits::ProviderLimits;

/// What `serve` runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// The address to listen on.
    pub addr: SocketAddr,
    /// The contracts directory; `None` serves the built-in examples.
    pub contracts: Option<PathBuf>,
    /// The web app directory, served at `/`.
    pub www: PathBuf,
    /// The npm package directory, served at `/pkg`.
    pub pkg: PathBuf,
    /// Keys, base URLs and timeouts of the providers.
    pub providers: ProviderConfig,
    /// Our limits per provider (`[providers.<name>]`).
    pub limits: BTreeMap<Provider, ProviderLimits>,
    /// How hard a run tries (`[run]`).
    pub policy: Policy,
    /// When a provider's breaker opens (`[run]`).
    pub breakers: BreakerPolicy,
    /// Parts of a plan asked at once (`[run]`).
    pub part_concurrency: usize,
    /// The database: `DATABASE_URL`, else `[storage] database_url`, else
    /// [`crate::store::DEFAULT_URL`] (SQLite under `./data/`).
    pub database_url: String,
    /// Whether usage records keep the input itself (`[storage]
    /// record_content`, off by default).
    pub record_content: bool,
    /// Jobs this instance runs at once (`[queue] workers`,
    /// `PREFLIGHT_QUEUE_WORKERS`; 4).
    pub queue_workers: usize,
    /// How long a worker's claim on a job lasts without renewal (`[queue]
    /// lease_seconds`, `PREFLIGHT_QUEUE_LEASE_SECONDS`; 30 s): after a
    /// crash, a running job is taken again once its lease runs out.
    pub queue_lease: Duration,
    /// How often the rollout guard looks at running guarded rollouts
    /// (`[rollout] guard_seconds`, `PREFLIGHT_GUARD_SECONDS`; 30 s).
    pub guard_every: Duration,
    /// The file the configuration came from, if any.
    pub file: Option<PathBuf>,
}

/// What the command line (and its environment variables) set: these win
/// over the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--addr` / `PREFLIGHT_ADDR`.
    pub addr: Option<SocketAddr>,
    /// `--contracts` / `PREFLIGHT_CONTRACTS`.
    pub contracts: Option<PathBuf>,
    /// `--www` / `PREFLIGHT_WWW`.
    pub www: Option<PathBuf>,
    /// `--pkg` / `PREFLIGHT_PKG`.
    pub pkg: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    server: ServerSection,
    #[serde(default)]
    providers: ProvidersSection,
    #[serde(default)]
    run: RunSection,
    #[serde(default)]
    storage: StorageSection,
    #[serde(default)]
    queue: QueueSection,
    #[serde(default)]
    rollout: RolloutSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RolloutSection {
    guard_seconds: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueSection {
    workers: Option<usize>,
    lease_seconds: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StorageSection {
    database_url: Option<String>,
    record_content: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunSection {
    deadline_seconds: Option<f64>,
    max_attempts: Option<u32>,
    breaker_failures: Option<u32>,
    breaker_cool_down_seconds: Option<f64>,
    part_concurrency: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerSection {
    addr: Option<SocketAddr>,
    contracts: Option<PathBuf>,
    www: Option<PathBuf>,
    pkg: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
struct ProvidersSection {
    connect_timeout_seconds: Option<f64>,
    timeout_seconds: Option<f64>,
    #[serde(flatten)]
    each: BTreeMap<String, toml::Value>,
}

impl Config {
    /// The configuration from `overrides`, the file (`path`, else
    /// [`DEFAULT_FILE`] when it exists) and the environment (`var`).
    pub fn load(
        overrides: Overrides,
        path: Option<&Path>,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let (path, text) = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                (Some(path.to_owned()), Some(text))
            }
            None => match std::fs::read_to_string(DEFAULT_FILE) {
                Ok(text) => (Some(PathBuf::from(DEFAULT_FILE)), Some(text)),
                Err(_) => (None, None),
            },
        };
        Config::from_parts(overrides, path, text.as_deref(), var)
    }

    /// The configuration from the file's `text` (read from `path`), with
    /// `overrides` and the environment on top.
    pub fn from_parts(
        overrides: Overrides,
        path: Option<PathBuf>,
        text: Option<&str>,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let shown = path.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_FILE));
        let invalid = |field: &str, reason: &str| ConfigError::Invalid {
            path: shown.clone(),
            field: field.to_owned(),
            reason: reason.to_owned(),
        };
        let file: File = match text {
            Some(text) => toml::from_str(text).map_err(|e| ConfigError::Parse {
                path: shown.clone(),
                message: e.to_string().trim_end().to_owned(),
            })?,
            None => File::default(),
        };

        let mut providers = ProviderConfig::from_lookup(&var);
        let timeout = |field: &str, value: Option<f64>| match value {
            None => Ok(None),
            Some(s) if s.is_finite() && s > 0.0 && s <= 3600.0 => {
                Ok(Some(Duration::from_secs_f64(s)))
            }
            Some(_) => Err(invalid(
                field,
                "must be a number of seconds above 0 and at most 3600",
            )),
        };
        if let Some(t) = timeout(
            "providers.connect_timeout_seconds",
            file.providers.connect_timeout_seconds,
        )? {
            providers.connect_timeout = t;
        }
        if let Some(t) = timeout("providers.timeout_seconds", file.providers.timeout_seconds)? {
            providers.timeout = t;
        }

        let mut policy = Policy::default();
        let deadline = match var("PREFLIGHT_RUN_DEADLINE_SECONDS") {
            Some(v) => Some(v.trim().parse::<f64>().map_err(|_| {
                invalid(
                    "PREFLIGHT_RUN_DEADLINE_SECONDS",
                    "must be a number of seconds",
                )
            })?),
            None => file.run.deadline_seconds,
        };
        if let Some(t) = timeout("run.deadline_seconds", deadline)? {
            policy.deadline = t;
        }
        match file.run.max_attempts {
            Some(0) | Some(11..) => {
                return Err(invalid("run.max_attempts", "must be from 1 to 10"))
            }
            Some(n) => policy.max_attempts = n,
            None => {}
        }
        let mut breakers = BreakerPolicy::default();
        match file.run.breaker_failures {
            Some(0) => return Err(invalid("run.breaker_failures", "must be above 0")),
            Some(n) => breakers.failures = n,
            None => {}
        }
        if let Some(t) = timeout(
            "run.breaker_cool_down_seconds",
            file.run.breaker_cool_down_seconds,
        )? {
            breakers.cool_down = t;
        }
        let part_concurrency = match file.run.part_concurrency {
            Some(0) | Some(33..) => {
                return Err(invalid("run.part_concurrency", "must be from 1 to 32"))
            }
            Some(n) => n,
            None => 3,
        };

        let mut limits = BTreeMap::new();
        for (name, value) in file.providers.each {
            let field = format!("providers.{name}");
            let provider = Provider::ALL
                .into_iter()
                .find(|p| p.as_str() == name || (name == "google" && *p == Provider::Gemini))
                .ok_or_else(|| {
                    invalid(&field, "is not a provider: use openai, anthropic or gemini")
                })?;
            if let Some(table) = value.as_table() {
                if table.contains_key("api_key") || table.contains_key("key") {
                    return Err(invalid(
                        &format!("{field}.api_key"),
                        &format!(
                            "does not belong in a file: set {} in the environment",
                            provider.key_var()
                        ),
                    ));
                }
            }
            let parsed: ProviderLimits = value
                .try_into()
                .map_err(|e: toml::de::Error| invalid(&field, e.message()))?;
            if parsed.concurrency == Some(0)
                || parsed.rpm == Some(0)
                || parsed.rps == Some(0)
                || parsed.tpm == Some(0)
            {
                return Err(invalid(
                    &field,
                    "limits must be above 0 (leave one out for no limit)",
                ));
            }
            limits.insert(provider, parsed);
        }

        let database_url = var("DATABASE_URL")
            .filter(|v| !v.trim().is_empty())
            .or(file.storage.database_url)
            .unwrap_or_else(|| crate::store::DEFAULT_URL.to_owned());
        if !["sqlite:", "postgres://", "postgresql://"]
            .iter()
            .any(|p| database_url.starts_with(p))
        {
            return Err(invalid(
                "DATABASE_URL",
                "must start with sqlite: (a file, e.g. sqlite://data/preflight.db) or postgres://",
            ));
        }

        let workers = match var("PREFLIGHT_QUEUE_WORKERS") {
            Some(v) => Some(
                v.trim()
                    .parse::<usize>()
                    .map_err(|_| invalid("PREFLIGHT_QUEUE_WORKERS", "must be a whole number"))?,
            ),
            None => file.queue.workers,
        };
        let queue_workers = match workers {
            Some(0) | Some(257..) => return Err(invalid("queue.workers", "must be from 1 to 256")),
            Some(n) => n,
            None => 4,
        };
        let lease = match var("PREFLIGHT_QUEUE_LEASE_SECONDS") {
            Some(v) => Some(v.trim().parse::<f64>().map_err(|_| {
                invalid(
                    "PREFLIGHT_QUEUE_LEASE_SECONDS",
                    "must be a number of seconds",
                )
            })?),
            None => file.queue.lease_seconds,
        };
        let queue_lease = timeout("queue.lease_seconds", lease)?.unwrap_or(Duration::from_secs(30));
        let guard =
            match var("PREFLIGHT_GUARD_SECONDS") {
                Some(v) => Some(v.trim().parse::<f64>().map_err(|_| {
                    invalid("PREFLIGHT_GUARD_SECONDS", "must be a number of seconds")
                })?),
                None => file.rollout.guard_seconds,
            };
        let guard_every =
            timeout("rollout.guard_seconds", guard)?.unwrap_or(Duration::from_secs(30));

        Ok(Config {
            queue_workers,
            queue_lease,
            guard_every,
            database_url,
            record_content: file.storage.record_content.unwrap_or(false),
            addr: overrides
                .addr
                .or(file.server.addr)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            contracts: overrides.contracts.or(file.server.contracts),
            www: overrides
                .www
                .or(file.server.www)
                .unwrap_or_else(|| "www".into()),
            pkg: overrides
                .pkg
                .or(file.server.pkg)
                .unwrap_or_else(|| "pkg".into()),
            providers,
            limits,
            policy,
            breakers,
            part_concurrency,
            file: path,
        })
    }
}

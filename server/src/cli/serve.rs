//! `preflight serve [--addr A] [--contracts DIR] [--www DIR] [--pkg DIR] [--config FILE]`
//!
//! Flags (and their `PREFLIGHT_*` variables) win over the configuration
//! file (`--config`, else ./preflight.toml when it exists; see
//! [`crate::config`]).
//!
//! With `ANTHROPIC_API_KEY` or `GEMINI_API_KEY` set (and optionally
//! `ANTHROPIC_BASE_URL`, `GEMINI_BASE_URL`), the final check asks that
//! provider for the exact token count of Claude or Gemini requests.

use super::CliError;
use crate::chat::{AnthropicChat, Chat, GeminiChat, OpenAiChat};
use crate::config::{Config, Overrides};
use crate::registry::Contracts;
use crate::store::Store;
use crate::{app, AppState, Provider, ProviderEnv, Providers, Registry, StaticDirs, COUNTING};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(clap::Args)]
pub(super) struct Args {
    /// Address to listen on (port 0 picks a free port) [default: 127.0.0.1:8080].
    #[arg(long, env = "PREFLIGHT_ADDR")]
    addr: Option<SocketAddr>,
    /// Directory of contract files (*.toml, *.json). Without it, the
    /// built-in example contracts are served.
    #[arg(long, env = "PREFLIGHT_CONTRACTS")]
    contracts: Option<PathBuf>,
    /// The web app directory, served at `/` [default: www].
    #[arg(long, env = "PREFLIGHT_WWW")]
    www: Option<PathBuf>,
    /// The npm package directory, served at `/pkg` [default: pkg].
    #[arg(long, env = "PREFLIGHT_PKG")]
    pkg: Option<PathBuf>,
    /// The configuration file (timeouts, limits per provider); without it,
    /// ./preflight.toml if it exists. Flags and variables win over it.
    #[arg(long, env = "PREFLIGHT_CONFIG")]
    config: Option<PathBuf>,
    /// Create a local demo user and print its key; the web app on this
    /// machine is given it (`make run` does this). Not for a shared server.
    #[arg(long, env = "PREFLIGHT_DEMO")]
    demo: bool,
    /// Log as JSON lines (the default) or as text for a terminal.
    #[arg(long, env = "PREFLIGHT_LOG_FORMAT", default_value = "json")]
    log_format: LogFormat,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Json,
    Text,
}

pub(super) fn run(args: Args) -> Result<ExitCode, CliError> {
    match args.log_format {
        LogFormat::Json => super::init_json_logging("info,sqlx=warn"),
        LogFormat::Text => super::init_logging("info,sqlx=warn"),
    }
    let overrides = Overrides {
        addr: args.addr,
        contracts: args.contracts,
        www: args.www,
        pkg: args.pkg,
    };
    let config = Config::load(overrides, args.config.as_deref(), |name| {
        std::env::var(name).ok()
    })?;
    if let Some(file) = &config.file {
        tracing::info!(file = %file.display(), "configuration read");
    }
    let contracts = Arc::new(match &config.contracts {
        Some(dir) => Contracts::from_dir(dir)?,
        None => Contracts::fixed(Registry::builtin()),
    });
    let mut state = AppState::new(Registry::default())
        .with_contracts(contracts.clone())
        .with_run_policy(config.policy)
        .with_breakers(config.breakers)
        .with_limits(&config.limits);
    state.runner.part_concurrency = config.part_concurrency;
    if let Some(providers) = counting_providers(&config) {
        state = state.with_providers(providers);
    }
    state = with_chats(state, &config);
    if config.www.is_dir() {
        state.static_dirs = Some(StaticDirs {
            www: config.www.clone(),
            pkg: config.pkg.clone(),
        });
    } else {
        tracing::warn!(www = %config.www.display(), "no web app directory; serving the API only");
    }
    let addr = config.addr;
    let runtime = tokio::runtime::Runtime::new().map_err(|source| CliError::Io {
        what: "cannot start the async runtime".into(),
        source,
    })?;
    let demo = args.demo;
    runtime.block_on(async move {
        let store = Store::open(&config.database_url).await?;
        tracing::info!(database = %crate::store::redact(&config.database_url), "database ready");
        let mut state = state.with_store(store.clone());
        if let Some(accounts) = state.accounts.as_mut() {
            accounts.record_content = config.record_content;
            accounts.queue.workers = config.queue_workers;
            accounts.queue.lease = config.queue_lease;
            if demo {
                let tier = demo_tier(&contracts.current());
                let key = store.create_key("demo", &tier, true).await?;
                println!(
                    "demo key (user demo, tier {tier}, operator): {}",
                    key.secret
                );
                accounts.demo_key = Some(key.secret);
            }
            accounts
                .quotas
                .spawn_sweeper(std::time::Duration::from_secs(15));
            crate::service::rollout::spawn_guard(store.clone(), config.guard_every);
        }
        crate::start_workers(&state);
        if contracts.dir().is_some() {
            contracts.spawn_watch(std::time::Duration::from_secs(2));
        }
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| CliError::Io {
                what: format!("cannot listen on {addr}"),
                source,
            })?;
        let local = listener.local_addr().map_err(|source| CliError::Io {
            what: "cannot read the bound address".into(),
            source,
        })?;
        // Tests and scripts read this line to find the port.
        println!("preflight listening on http://{local}");
        let _ = std::io::stdout().flush();
        axum::serve(
            listener,
            app(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|source| CliError::Io {
            what: "the server stopped".into(),
            source,
        })
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The model clients of the providers with a key; the others run dry.
fn with_chats(mut state: AppState, config: &Config) -> AppState {
    let client = match reqwest::Client::builder()
        .connect_timeout(config.providers.connect_timeout)
        .timeout(config.providers.timeout)
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            tracing::warn!(%error, "cannot set up the HTTP client; /v1/run answers as a dry run");
            return state;
        }
    };
    for provider in Provider::ALL {
        let endpoint = config.providers.endpoint(provider).clone();
        if !config.providers.is_configured(provider) {
            tracing::info!(%provider, "no {}; /v1/run answers {provider} contracts as a dry run (no model is called)", provider.key_var());
            continue;
        }
        tracing::info!(%provider, base_url = %endpoint.base_url, "/v1/run calls {provider} models");
        let chat: Arc<dyn Chat> = match provider {
            Provider::Openai => Arc::new(OpenAiChat::new(client.clone(), endpoint)),
            Provider::Anthropic => Arc::new(AnthropicChat::new(client.clone(), endpoint)),
            Provider::Gemini => Arc::new(GeminiChat::new(client.clone(), endpoint)),
        };
        state = state.with_chat(provider, chat);
    }
    state
}

/// The providers with an API key in the environment, for exact counts of
/// Claude and Gemini. Logs which have keys (never the keys themselves).
fn counting_providers(config: &Config) -> Option<Providers> {
    let config = config.providers.clone();
    for provider in COUNTING {
        let base_url = &config.endpoint(provider).base_url;
        if config.is_configured(provider) {
            tracing::info!(%provider, %base_url, "exact token counts from {provider}");
        } else {
            tracing::info!(
                %provider,
                "no {}; {provider} token counts are estimates",
                provider.key_var()
            );
        }
    }
    if !COUNTING.iter().any(|&p| config.is_configured(p)) {
        return None;
    }
    match Providers::new(config) {
        Ok(providers) => Some(providers),
        Err(error) => {
            tracing::warn!(%error, "cannot ask the providers; token counts are estimates");
            None
        }
    }
}

/// The tier of the demo user: the built-in contracts' default tier
/// (`free`), or the first contract's.
fn demo_tier(registry: &Registry) -> String {
    registry
        .iter()
        .find_map(|c| {
            c.default_tier
                .clone()
                .or_else(|| c.tiers.keys().next().cloned())
        })
        .unwrap_or_else(|| "free".to_owned())
}

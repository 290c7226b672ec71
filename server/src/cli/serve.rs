//! `preflight serve [--addr A] [--contracts DIR] [--www DIR] [--pkg DIR]`
//!
//! With `ANTHROPIC_API_KEY` or `GEMINI_API_KEY` set (and optionally
//! `ANTHROPIC_BASE_URL`, `GEMINI_BASE_URL`), the final check asks that
//! provider for the exact token count of Claude or Gemini requests.

use super::CliError;
use crate::{
    app, AppState, ProviderConfig, ProviderEnv, Providers, Registry, StaticDirs, COUNTING,
};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub(super) struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "PREFLIGHT_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Directory of contract files (*.toml, *.json). Without it, the
    /// built-in example contracts are served.
    #[arg(long, env = "PREFLIGHT_CONTRACTS")]
    contracts: Option<PathBuf>,
    /// The web app directory, served at `/`.
    #[arg(long, env = "PREFLIGHT_WWW", default_value = "www")]
    www: PathBuf,
    /// The npm package directory, served at `/pkg`.
    #[arg(long, env = "PREFLIGHT_PKG", default_value = "pkg")]
    pkg: PathBuf,
}

pub(super) fn run(args: Args) -> Result<ExitCode, CliError> {
    super::init_logging("info,tower_http=warn");
    let registry = match &args.contracts {
        Some(dir) => Registry::load_dir(dir)?,
        None => Registry::builtin(),
    };
    let mut state = AppState::new(registry);
    if let Some(providers) = providers_from_env() {
        state = state.with_providers(providers);
    }
    if args.www.is_dir() {
        state.static_dirs = Some(StaticDirs {
            www: args.www,
            pkg: args.pkg,
        });
    } else {
        tracing::warn!(www = %args.www.display(), "no web app directory; serving the API only");
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|source| CliError::Io {
        what: "cannot start the async runtime".into(),
        source,
    })?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .map_err(|source| CliError::Io {
                what: format!("cannot listen on {}", args.addr),
                source,
            })?;
        let local = listener.local_addr().map_err(|source| CliError::Io {
            what: "cannot read the bound address".into(),
            source,
        })?;
        // Tests and scripts read this line to find the port.
        println!("preflight listening on http://{local}");
        let _ = std::io::stdout().flush();
        axum::serve(listener, app(state))
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

/// The providers with an API key in the environment, for exact counts of
/// Claude and Gemini. Logs which have keys (never the keys themselves).
fn providers_from_env() -> Option<Providers> {
    let config = ProviderConfig::from_env();
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

//! `preflight serve [--addr A] [--contracts DIR] [--www DIR] [--pkg DIR]`

use super::CliError;
use crate::{app, AppState, Registry, StaticDirs};
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
    /// built-in example contract is served.
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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let registry = match &args.contracts {
        Some(dir) => Registry::load_dir(dir)?,
        None => Registry::builtin(),
    };
    let mut state = AppState::new(registry);
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

//! `preflight fake-provider [--addr A]`: the local fake of Anthropic's and
//! Gemini's count-token endpoints (see `prompt_preflight_server::fake`).

use super::CliError;
use crate::fake::FakeProvider;
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

#[derive(clap::Args)]
pub(super) struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8090")]
    addr: SocketAddr,
    /// Refuse OpenAI chat requests over this many a second with OpenAI's
    /// 429 and rate-limit headers, like a real provider's limit (for load
    /// tests; `GET /fake/stats` counts what it served and refused).
    #[arg(long, value_name = "N")]
    requests_per_second: Option<u32>,
}

pub(super) fn run(args: Args) -> Result<ExitCode, CliError> {
    let runtime = tokio::runtime::Runtime::new().map_err(|source| CliError::Io {
        what: "cannot start the async runtime".into(),
        source,
    })?;
    runtime.block_on(async move {
        let fake = FakeProvider::bind_paced(args.addr, args.requests_per_second)
            .await
            .map_err(|source| CliError::Io {
                what: format!("cannot listen on {}", args.addr),
                source,
            })?;
        // Tests and scripts read this line to find the port.
        println!("fake provider listening on {}", fake.base_url());
        eprintln!(
            "keys: fake-key… (valid), fake-rate-limited, fake-overloaded, fake-slow, \
             fake-server-error; Ctrl-C stops"
        );
        let _ = std::io::stdout().flush();
        let _ = tokio::signal::ctrl_c().await;
        fake.shutdown().await;
        Ok::<_, CliError>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

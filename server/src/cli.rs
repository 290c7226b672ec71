//! The `preflight` command line: `serve`, `check`, `count`, `chunk`,
//! `prepare` and `fake-provider`.
//!
//! Exit codes: 0 when the input has no errors, 1 when it has error-level
//! issues, 2 for a usage, contract or I/O problem.

mod check;
mod chunk;
mod count;
mod fake_provider;
mod prepare;
mod serve;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Why a command could not run (exit code 2).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// A file could not be read, or the socket could not be opened.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The contract or a request to the core is invalid.
    #[error(transparent)]
    Core(#[from] prompt_preflight::Error),
    /// The input cannot be read as text (e.g. an image, or too large).
    #[error("{0}")]
    Unreadable(String),
    /// The contracts directory could not be loaded.
    #[error(transparent)]
    Registry(#[from] crate::RegistryError),
}

#[derive(Parser)]
#[command(
    name = "preflight",
    version,
    about = "Check prompts and uploads against a contract before the model is called."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app and the API.
    Serve(serve::Args),
    /// Check a file against a contract.
    Check(check::Args),
    /// Count the tokens of a file (or `-` for standard input).
    Count(count::Args),
    /// Split a file into chunks of at most N tokens.
    Chunk(chunk::Args),
    /// Trim, select or split a file for a contract, and show what changed.
    Prepare(prepare::Args),
    /// Serve a local fake of Anthropic's and Gemini's count-token endpoints.
    FakeProvider(fake_provider::Args),
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Check(args) => check::run(args),
        Command::Count(args) => count::run(args),
        Command::Chunk(args) => chunk::run(args),
        Command::Prepare(args) => prepare::run(args),
        Command::FakeProvider(args) => fake_provider::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("preflight: {e}");
            ExitCode::from(2)
        }
    }
}

/// Reads `path` (or standard input for `-`) and decodes it as `check`
/// does (BOMs, UTF-16, legacy encodings, spreadsheets, PDF text).
fn decoded(path: &PathBuf) -> Result<prompt_preflight::Document, CliError> {
    let bytes = read_input(path)?;
    let name = path.file_name().and_then(|n| n.to_str());
    let document = prompt_preflight::ingest(
        &prompt_preflight::Input::File {
            name,
            bytes: &bytes,
        },
        &prompt_preflight::Limits::default(),
    );
    if document.info.kind == prompt_preflight::InputKind::Unsupported {
        let why = document.issues.first().map(|i| i.message.clone());
        return Err(CliError::Unreadable(why.unwrap_or_default()));
    }
    Ok(document)
}

/// The decoded text of `path` (see [`decoded`]).
fn decoded_text(path: &PathBuf) -> Result<String, CliError> {
    decoded(path).map(|d| d.text)
}

fn read_input(path: &PathBuf) -> Result<Vec<u8>, CliError> {
    use std::io::Read;
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|source| CliError::Io {
                what: "cannot read standard input".into(),
                source,
            })?;
        Ok(bytes)
    } else {
        std::fs::read(path).map_err(|source| CliError::Io {
            what: format!("cannot read {}", path.display()),
            source,
        })
    }
}

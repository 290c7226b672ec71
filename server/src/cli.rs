//! The `preflight` command line: `serve`, `check`, `count`, `chunk`,
//! `prepare`, `keys`, `docs` and `fake-provider`.
//!
//! Exit codes: 0 when the input has no errors, 1 when it has error-level
//! issues, 2 for a usage, contract or I/O problem.

mod check;
mod chunk;
mod count;
mod docs;
#[cfg(feature = "fake")]
mod fake_provider;
mod keys;
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
    /// The configuration cannot be used.
    #[error(transparent)]
    Config(#[from] crate::ConfigError),
    /// The contract or a request to the core is invalid.
    #[error(transparent)]
    Core(#[from] prompt_preflight::Error),
    /// The input cannot be read as text (e.g. an image, or too large).
    #[error("{0}")]
    Unreadable(String),
    /// The contracts directory could not be loaded.
    #[error(transparent)]
    Registry(#[from] crate::RegistryError),
    /// The database could not be opened or refused a query.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
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
    /// Make, revoke and list API keys.
    Keys(keys::Args),
    /// Write a contract version's documentation as Markdown.
    Docs(docs::Args),
    /// Serve a local fake of the providers (chat and count endpoints), for
    /// tests and demos (built with the `fake` feature).
    #[cfg(feature = "fake")]
    FakeProvider(fake_provider::Args),
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    if !matches!(cli.command, Command::Serve(_)) {
        init_logging("warn");
    }
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Check(args) => check::run(args),
        Command::Count(args) => count::run(args),
        Command::Chunk(args) => chunk::run(args),
        Command::Prepare(args) => prepare::run(args),
        Command::Keys(args) => keys::run(args),
        Command::Docs(args) => docs::run(args),
        #[cfg(feature = "fake")]
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

/// The contract `arg` names: a contract file (TOML or JSON), or a
/// built-in contract (`customer-list` for its newest stable version,
/// `customer-list@1.x`, `customer-list@1.0.0`) when no such file exists.
fn load_contract(arg: &std::path::Path) -> Result<prompt_preflight::Contract, CliError> {
    if !arg.exists() {
        if let Some(name) = arg.to_str() {
            let builtin = crate::Registry::builtin();
            let found = match crate::registry::ContractRef::parse(name) {
                Ok(r) => match &r.version {
                    Some(req) => builtin.family(&r.id).and_then(|f| f.matching(req)),
                    None => builtin.get(&r.id),
                },
                Err(_) => None,
            };
            if let Some(contract) = found {
                return Ok(prompt_preflight::Contract::clone(contract));
            }
        }
    }
    let source = std::fs::read_to_string(arg).map_err(|source| CliError::Io {
        what: format!(
            "cannot read the contract {} (nor is it the id of a built-in contract)",
            arg.display()
        ),
        source,
    })?;
    Ok(prompt_preflight::Contract::parse(&source)?)
}

/// Logs to standard error; `RUST_LOG` overrides `default_filter`. Log
/// records of the core (such as a file reader's crash) come through too.
fn init_logging(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| default_filter.into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Logs to standard error as JSON, one object per line, with the fields
/// of the spans around each record (so every line of a request carries its
/// `request_id`); `RUST_LOG` overrides `default_filter`.
fn init_json_logging(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| default_filter.into());
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Panics go to the log, not raw to standard error. A panic inside a file
/// reader is caught by the core's guard, which reports the file as damaged
/// and logs it itself: here it is only a debug record with its place.
/// Anything else is a bug, logged as an error.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if prompt_preflight::ingest::inside_reader() {
            tracing::debug!(%at, "a file reader panicked: {message}");
        } else {
            tracing::error!(%at, "panic: {message}");
        }
    }));
}

/// Says on standard error what decoding took out of a file (a byte order
/// mark, characters that are not text), and what that means (`then`).
fn disclose_decoding(document: &prompt_preflight::Document, then: &str) {
    let mut what = Vec::new();
    if let Some(r) = document.removed {
        let characters = match r.characters {
            1 => "1 character that is".to_owned(),
            n => format!(
                "{} characters that are",
                prompt_preflight::messages::group_digits(n)
            ),
        };
        what.push(format!(
            "{characters} not text (first on line {})",
            r.first_line
        ));
    }
    if let Some(bom) = &document.info.bom {
        what.push(format!("a {bom} byte order mark"));
    }
    if !what.is_empty() {
        eprintln!("preflight: decoding removed {}; {then}", what.join(" and "));
    }
}

/// Reads `path` (or standard input for `-`) and decodes it as `check`
/// does (BOMs, UTF-16, legacy encodings, spreadsheets, PDF text).
fn decoded(path: &PathBuf) -> Result<prompt_preflight::Document, CliError> {
    decoded_with_bytes(path).map(|(_, document)| document)
}

/// [`decoded`], with the file's bytes.
fn decoded_with_bytes(path: &PathBuf) -> Result<(Vec<u8>, prompt_preflight::Document), CliError> {
    let bytes = read_input(path)?;
    let name = path.file_name().and_then(|n| n.to_str());
    let document = prompt_preflight::ingest(
        &prompt_preflight::Input::File {
            name,
            bytes: &bytes,
        },
        &prompt_preflight::Limits::default(),
    );
    // Nothing to count or split: a format we do not read, or a file we
    // could not read (encrypted, too large unpacked, a scan without text).
    let error = document
        .issues
        .iter()
        .find(|i| i.severity == prompt_preflight::Severity::Error);
    let unreadable = document.info.kind == prompt_preflight::InputKind::Unsupported
        || (document.text.is_empty() && error.is_some());
    if unreadable {
        let why = error.or(document.issues.first()).map(|i| i.message.clone());
        return Err(CliError::Unreadable(why.unwrap_or_default()));
    }
    Ok((bytes, document))
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

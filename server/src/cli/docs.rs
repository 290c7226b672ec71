//! `preflight docs CONTRACT [--contracts DIR] [--out FILE]`: a contract
//! version's documentation as Markdown, generated from the contract and
//! the message catalogue (the server serves the same as HTML at
//! `/docs/{id}/{version}`). `CONTRACT` is `id` (its default version),
//! `id@1.2.0`, or a contract file.

use super::CliError;
use crate::registry::Registry;
use crate::service::docs;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub(super) struct Args {
    /// `customer-list`, `customer-list@1.1.0`, or a contract file (.toml, .json).
    contract: String,
    /// The contracts folder to look in [default: the built-in contracts].
    #[arg(long, env = "PREFLIGHT_CONTRACTS")]
    contracts: Option<PathBuf>,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    out: Option<PathBuf>,
}

pub(super) fn run(args: Args) -> Result<ExitCode, CliError> {
    let path = PathBuf::from(&args.contract);
    let markdown = if path.is_file() {
        let text = std::fs::read_to_string(&path).map_err(|source| CliError::Io {
            what: format!("cannot read {}", path.display()),
            source,
        })?;
        let contract = prompt_preflight::Contract::parse(&text)?;
        prompt_preflight::docs::render(&contract, &[])
    } else {
        let registry = match &args.contracts {
            Some(dir) => Registry::load_dir(dir)?,
            None => Registry::builtin(),
        };
        let (id, version) = match args.contract.split_once('@') {
            Some((id, v)) => (id, Some(v)),
            None => (args.contract.as_str(), None),
        };
        match docs::markdown(&registry, id, version) {
            Ok((_, markdown)) => markdown,
            Err(e) => {
                eprintln!("preflight docs: {e}");
                return Ok(ExitCode::from(2));
            }
        }
    };
    match &args.out {
        Some(out) => std::fs::write(out, markdown).map_err(|source| CliError::Io {
            what: format!("cannot write {}", out.display()),
            source,
        })?,
        None => print!("{markdown}"),
    }
    Ok(ExitCode::SUCCESS)
}

//! `preflight prepare FILE --contract C [--tier T] [--mode M] [--question Q] [--overlap K] [--json]`

use super::{read_input, CliError};
use prompt_preflight::messages::group_digits;
use prompt_preflight::{prepare, Input, Mode, PrepareOptions};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub(super) struct Args {
    /// The file to prepare, or `-` for standard input.
    file: PathBuf,
    /// The contract: a file (TOML or JSON) or a built-in contract's id.
    #[arg(long)]
    contract: PathBuf,
    /// The tier whose limits apply (default: the contract's default tier).
    #[arg(long)]
    tier: Option<String>,
    /// What to do beyond trimming: `trim`, `relevant` (keep the sections
    /// that best match --question) or `split` (into parts that each fit).
    #[arg(long, default_value = "trim", value_parser = parse_mode)]
    mode: Mode,
    /// The user's question, needed by `--mode relevant`.
    #[arg(long, required_if_eq("mode", "relevant"))]
    question: Option<String>,
    /// For `--mode split` of text: tokens of each part repeated at the
    /// start of the next.
    #[arg(long, default_value_t = 0)]
    overlap: u64,
    /// Print the prepared payload as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_mode(s: &str) -> Result<Mode, String> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| format!("`{s}` is not a mode; use trim, relevant or split"))
}

pub(super) fn run(args: Args) -> Result<ExitCode, CliError> {
    let contract = super::load_contract(&args.contract)?;
    let bytes = read_input(&args.file)?;
    let name = args.file.file_name().and_then(|n| n.to_str());
    let options = PrepareOptions {
        mode: args.mode,
        question: args.question,
        overlap: args.overlap,
    };
    let prepared = prepare(
        &contract,
        args.tier.as_deref(),
        &Input::File {
            name,
            bytes: &bytes,
        },
        &options,
    )?;
    // Writes stop quietly when the reader goes away (`| head`).
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string(&prepared).unwrap_or_default()
        );
    } else {
        let _ = writeln!(out, "{}", prepared.manifest.summary);
        for step in &prepared.manifest.steps {
            let _ = writeln!(out, "  - {}", step.message);
        }
        let _ = writeln!(out, "{}", prepared.plan.message);
        for issue in &prepared.issues {
            let _ = write!(out, "{}", super::check::issue_text(issue));
        }
        for (i, part) in prepared.parts.iter().enumerate() {
            let _ = writeln!(
                out,
                "\n--- part {} of {} ({} tokens) ---\n{}",
                i + 1,
                prepared.parts.len(),
                group_digits(part.tokens),
                part.content
            );
        }
    }
    let _ = out.flush();
    Ok(if prepared.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

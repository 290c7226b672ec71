//! `preflight check FILE --contract C [--tier T] [--json]`

use super::{read_input, CliError};
use prompt_preflight::messages::group_digits;
use prompt_preflight::{Contract, Encoding, Input, Issue, Report, Severity};
use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub(super) struct Args {
    /// The file to check, or `-` for standard input.
    file: PathBuf,
    /// The contract: a file (TOML or JSON) or a built-in contract's id.
    /// Without it, only the format, encoding and structure checks and the
    /// token count run.
    #[arg(long)]
    contract: Option<PathBuf>,
    /// The token encoding when there is no contract.
    #[arg(long, default_value = "o200k_base")]
    encoding: String,
    /// The tier whose limits apply (default: the contract's default tier).
    #[arg(long)]
    tier: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// For tests of the reader guard only: let the file reach its reader
    /// without the core's pre-scans.
    #[arg(long, hide = true)]
    no_prescans: bool,
}

pub(super) fn run(args: Args) -> Result<ExitCode, CliError> {
    let contract = match &args.contract {
        Some(path) => super::load_contract(path)?,
        None => Contract::schemaless(Encoding::from_name(&args.encoding)?),
    };
    let bytes = read_input(&args.file)?;
    let name = args.file.file_name().and_then(|n| n.to_str());
    let input = Input::File {
        name,
        bytes: &bytes,
    };
    let check = || prompt_preflight::check(&contract, args.tier.as_deref(), &input);
    let report = if args.no_prescans {
        prompt_preflight::ingest::without_prescans(check)
    } else {
        check()
    }?
    .report;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("reports serialise")
        );
    } else {
        print!("{}", render(&report, args.contract.is_some()));
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn plural(n: u64, one: &str) -> String {
    match n {
        1 => format!("1 {one}"),
        n => format!("{} {one}s", group_digits(n)),
    }
}

/// The human-readable report. Without a contract there is no plan, model
/// or price to speak of: only the count, in the encoding asked for.
fn render(report: &Report, with_contract: bool) -> String {
    let mut out = String::new();
    let i = &report.input;
    let t = &report.tokens;
    if with_contract {
        let _ = writeln!(
            out,
            "contract  {} {}",
            report.contract.id, report.contract.version
        );
    } else {
        let _ = writeln!(
            out,
            "contract  none: format, encoding and structure checks only"
        );
    }
    let mut input = format!("{}, {} bytes", i.kind.as_str(), group_digits(i.bytes));
    // Binary formats (workbooks, PDF) have no character encoding.
    if i.encoding != "binary" {
        let _ = write!(input, ", {}", i.encoding);
    }
    if let (Some(rows), Some(cols)) = (i.rows, i.columns) {
        let _ = write!(
            input,
            ", {} x {}",
            plural(rows, "row"),
            plural(cols, "column")
        );
    }
    if let Some(name) = &i.delimiter_name {
        let _ = write!(input, ", {name}-delimited");
    }
    if let Some(language) = &i.language_name {
        let _ = write!(input, ", in {language}");
    }
    if let Some(sheet) = &i.selected_sheet {
        let _ = write!(input, ", sheet '{sheet}'");
    }
    if let Some(pages) = i.pages {
        let _ = write!(input, ", {}", plural(pages, "page"));
    }
    let _ = writeln!(out, "input     {input}");
    let approx = if t.exact { "" } else { "~" };
    if with_contract {
        let _ = writeln!(
            out,
            "tokens    {approx}{} / {} on the {} plan ({}); {approx}{} with the prompt and {} reserved for the answer, of {}'s {}",
            group_digits(t.input),
            group_digits(t.limit),
            t.tier,
            t.state.as_str(),
            group_digits(t.input + t.overhead),
            group_digits(t.output_reserved),
            t.model,
            group_digits(t.context_window)
        );
        let _ = writeln!(
            out,
            "cost      at most ${:.6} (input ${:.6}, answer up to ${:.6}; {} prices as of {})",
            t.cost.total_usd_max,
            t.cost.input_usd,
            t.cost.output_usd_max,
            t.cost.currency,
            t.cost.prices_as_of
        );
    } else {
        let _ = writeln!(
            out,
            "tokens    {approx}{} ({})",
            group_digits(t.input),
            t.encoding
        );
    }
    for issue in &report.issues {
        out.push_str(&issue_text(issue));
    }
    let errors = report.errors().count();
    let _ = writeln!(
        out,
        "\n{}",
        if report.ok {
            "result    ok: ready to send".to_owned()
        } else {
            format!(
                "result    {} to fix before sending",
                plural(errors as u64, "problem")
            )
        }
    );
    out
}

/// One issue as the CLI prints it: a blank line, then severity, message,
/// place and code, what to do, and the example if there is one.
pub(super) fn issue_text(issue: &Issue) -> String {
    let mut out = String::new();
    let mark = match issue.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    };
    let mut place = Vec::new();
    if let Some(at) = &issue.at {
        if let Some(row) = at.row {
            place.push(format!("row {row}"));
        }
        if let Some(column) = &at.column {
            place.push(format!("column '{column}'"));
        }
        if let Some(line) = at.line {
            place.push(format!("line {line}"));
        }
    }
    let place = if place.is_empty() {
        String::new()
    } else {
        format!(" [{}]", place.join(", "))
    };
    let _ = writeln!(out, "\n{mark}: {}{place} ({})", issue.message, issue.code);
    let _ = writeln!(out, "  what to do: {}", issue.hint);
    if let Some(example) = &issue.example {
        let _ = writeln!(out, "  example: {}", example.replace('\n', "\n           "));
    }
    out
}

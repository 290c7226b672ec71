//! `preflight count [--encoding E] FILE|-`

use super::{read_input, CliError};
use prompt_preflight::{ingest, Encoding, Input, InputKind, Limits};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub(super) struct Args {
    /// The token encoding: o200k_base (GPT-4o and later) or cl100k_base (GPT-4, 3.5).
    #[arg(long, default_value = "o200k_base")]
    encoding: String,
    /// The file to count, or `-` for standard input.
    file: PathBuf,
    /// Print JSON: {"count", "encoding", "exact"}.
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: Args) -> Result<ExitCode, CliError> {
    let encoding = Encoding::from_name(&args.encoding)?;
    let bytes = read_input(&args.file)?;
    // Decode exactly as `check` does (BOMs, UTF-16, legacy encodings).
    let name = args.file.file_name().and_then(|n| n.to_str());
    let document = ingest(
        &Input::File {
            name,
            bytes: &bytes,
        },
        &Limits::default(),
    );
    if document.info.kind == InputKind::Unsupported {
        let why = document.issues.first().map(|i| i.message.clone());
        return Err(CliError::Unreadable(why.unwrap_or_default()));
    }
    let counted = encoding.count(&document.text);
    if args.json {
        let out = serde_json::json!({
            "count": counted.count, "encoding": encoding, "exact": counted.exact,
        });
        println!("{out}");
    } else if counted.exact {
        println!("{}", counted.count);
    } else {
        println!("{} (upper estimate)", counted.count);
    }
    Ok(ExitCode::SUCCESS)
}

//! `preflight count [--encoding E] FILE|-`

use super::{decoded_text, CliError};
use prompt_preflight::Encoding;
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
    let text = decoded_text(&args.file)?;
    let counted = encoding.count(&text);
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

//! `preflight count [--encoding E] FILE|-`

use super::{decoded, CliError};
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
    /// Print JSON: {"count", "encoding", "exact"}, with "removed" and "bom"
    /// when decoding took characters out.
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: Args) -> Result<ExitCode, CliError> {
    let encoding = Encoding::from_name(&args.encoding)?;
    let document = decoded(&args.file)?;
    let counted = encoding.count(&document.text);
    // The count is of the decoded text: say what decoding took out.
    super::disclose_decoding(&document, "the count is of the text without them");
    let (removed, bom) = (document.removed, document.info.bom.as_deref());
    if args.json {
        let mut out = serde_json::json!({
            "count": counted.count, "encoding": encoding, "exact": counted.exact,
        });
        if let Some(removed) = removed {
            out["removed"] = serde_json::json!(removed);
        }
        if let Some(bom) = bom {
            out["bom"] = bom.into();
        }
        println!("{out}");
    } else if counted.exact {
        println!("{}", counted.count);
    } else {
        println!("{} (upper estimate)", counted.count);
    }
    Ok(ExitCode::SUCCESS)
}

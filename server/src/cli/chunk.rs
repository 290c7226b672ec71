//! `preflight chunk FILE|- --max-tokens N [--overlap K] [--encoding E] [--json]`

use super::{decoded_text, CliError};
use prompt_preflight::{chunk_text, ChunkOptions, Encoding};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub(super) struct Args {
    /// The file to split, or `-` for standard input (decoded like `check`).
    file: PathBuf,
    /// The most tokens in one chunk (at least 4).
    #[arg(long)]
    max_tokens: u64,
    /// Tokens of each chunk repeated at the start of the next.
    #[arg(long, default_value_t = 0)]
    overlap: u64,
    /// The token encoding: o200k_base or cl100k_base.
    #[arg(long, default_value = "o200k_base")]
    encoding: String,
    /// Print JSON: the chunks with their byte and UTF-16 ranges, tokens and
    /// boundaries.
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: Args) -> Result<ExitCode, CliError> {
    let encoding = Encoding::from_name(&args.encoding)?;
    let text = decoded_text(&args.file)?;
    let tokenizer = encoding.tokenizer().ok_or_else(|| {
        CliError::Unreadable(format!("the {encoding} tokenizer is not available"))
    })?;
    let options = ChunkOptions {
        max_tokens: args.max_tokens,
        overlap: args.overlap,
    };
    let chunks =
        chunk_text(tokenizer, &text, &options).map_err(|e| CliError::Unreadable(e.to_string()))?;
    // Writes stop quietly when the reader goes away (`| head`).
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        let json = serde_json::json!({
            "encoding": encoding, "max_tokens": args.max_tokens, "overlap": args.overlap,
            "chunks": chunks,
        });
        let _ = writeln!(out, "{json}");
    } else {
        let total: u64 = chunks.iter().map(|c| c.tokens).sum();
        let _ = writeln!(
            out,
            "{} chunks of at most {} tokens ({} tokens in all, {encoding})",
            chunks.len(),
            args.max_tokens,
            total
        );
        for (i, c) in chunks.iter().enumerate() {
            let start: String = text[c.own_start..c.end].chars().take(40).collect();
            let _ = writeln!(
                out,
                "{:>4}  bytes {}..{}  {} tokens  ends at {:?}  {:?}",
                i + 1,
                c.start,
                c.end,
                c.tokens,
                c.boundary,
                start
            );
        }
    }
    let _ = out.flush();
    Ok(ExitCode::SUCCESS)
}

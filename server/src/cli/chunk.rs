//! `preflight chunk FILE|- --max-tokens N [--overlap K] [--encoding E] [--json]`
//!
//! JSON arrays are split between their elements (kept as written),
//! tables (CSV, workbooks) between rows with the header row in every
//! chunk, and everything else as text.

use super::{decoded_with_bytes, CliError};
use prompt_preflight::ingest::FileOffsets;
use prompt_preflight::{
    chunk_json_array, chunk_table, chunk_text, ChunkOptions, Encoding, InputKind, Issue,
};
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
    /// Tokens of each chunk repeated at the start of the next (text only).
    #[arg(long, default_value_t = 0)]
    overlap: u64,
    /// The token encoding: o200k_base or cl100k_base.
    #[arg(long, default_value = "o200k_base")]
    encoding: String,
    /// Print JSON: the kind (`text`, `table` or `json`), the chunks (with
    /// byte and UTF-16 ranges and boundaries for text, row or element
    /// ranges otherwise) and the issues (rows or elements too large alone).
    /// For text, `ranges` says what the byte ranges are into: `file` (a
    /// UTF-8 file, mapped across what decoding removed) or `decoded text`;
    /// UTF-16 ranges are always into the decoded text. `removed` and `bom`
    /// say what decoding took out.
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: Args) -> Result<ExitCode, CliError> {
    let encoding = Encoding::from_name(&args.encoding)?;
    let (bytes, document) = decoded_with_bytes(&args.file)?;
    // Text chunks' byte ranges are into the file itself when it is UTF-8
    // (mapped across what decoding removed), else into the decoded text.
    let offsets = (document.info.encoding == "utf-8")
        .then(|| FileOffsets::utf8(&bytes))
        .flatten();
    let ranges = if offsets.is_some() {
        "file"
    } else {
        "decoded text"
    };
    let then = match &offsets {
        Some(_) => "byte ranges are into the file, across them",
        None => "byte ranges are into the decoded text",
    };
    super::disclose_decoding(&document, then);
    let tokenizer = encoding.tokenizer().ok_or_else(|| {
        CliError::Unreadable(format!("the {encoding} tokenizer is not available"))
    })?;
    let failed = |e: prompt_preflight::ChunkError| CliError::Unreadable(e.to_string());
    let whole = |kind: &str| {
        (args.overlap > 0)
            .then(|| {
                CliError::Unreadable(format!(
                    "--overlap applies to text; a {kind} is split between whole items"
                ))
            })
            .map_or(Ok(()), Err)
    };
    let text = &document.text;
    // (kind, chunks as JSON, one line per chunk, issues)
    let json_array = match document.info.kind {
        InputKind::Json => chunk_json_array(tokenizer, text, args.max_tokens).map_err(failed)?,
        _ => None,
    };
    // (kind, chunks as JSON, one line per chunk, issues)
    let (kind, chunks, lines, issues): (&str, serde_json::Value, Vec<String>, Vec<Issue>) =
        if let Some((chunks, issues)) = json_array {
            whole("JSON array")?;
            let lines = chunks
                .iter()
                .map(|c| {
                    format!(
                        "elements {}..{}  {} tokens",
                        c.first_item + 1,
                        c.end_item,
                        c.tokens
                    )
                })
                .collect();
            ("json", serde_json::json!(chunks), lines, issues)
        } else if let Some(table) = &document.table {
            whole("table")?;
            let keep = vec![true; table.headers.len()];
            let (chunks, issues) =
                chunk_table(tokenizer, table, &keep, args.max_tokens).map_err(failed)?;
            let lines = chunks
                .iter()
                .map(|c| {
                    format!(
                        "rows {}..{}  {} tokens",
                        c.first_row + 1,
                        c.end_row,
                        c.tokens
                    )
                })
                .collect();
            ("table", serde_json::json!(chunks), lines, issues)
        } else {
            let options = ChunkOptions {
                max_tokens: args.max_tokens,
                overlap: args.overlap,
            };
            let mut chunks = chunk_text(tokenizer, text, &options).map_err(failed)?;
            let in_text: Vec<(usize, usize)> =
                chunks.iter().map(|c| (c.own_start, c.end)).collect();
            if let Some(map) = offsets.as_ref().filter(|m| !m.is_identity()) {
                for c in &mut chunks {
                    (c.start, c.own_start, c.end) =
                        (map.start(c.start), map.start(c.own_start), map.end(c.end));
                }
            }
            let lines = chunks
                .iter()
                .zip(&in_text)
                .map(|(c, &(own_start, end))| {
                    let start: String = text[own_start..end].chars().take(40).collect();
                    format!(
                        "bytes {}..{}  {} tokens  cut {}  {:?}",
                        c.start,
                        c.end,
                        c.tokens,
                        c.boundary.words(),
                        start
                    )
                })
                .collect();
            ("text", serde_json::json!(chunks), lines, Vec::new())
        };
    // Writes stop quietly when the reader goes away (`| head`).
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        let mut json = serde_json::json!({
            "kind": kind, "encoding": encoding, "max_tokens": args.max_tokens,
            "overlap": args.overlap, "chunks": chunks, "issues": issues,
        });
        if kind == "text" {
            json["ranges"] = ranges.into();
        }
        if let Some(removed) = document.removed {
            json["removed"] = serde_json::json!(removed);
        }
        if let Some(bom) = &document.info.bom {
            json["bom"] = bom.as_str().into();
        }
        let _ = writeln!(out, "{json}");
    } else {
        let _ = writeln!(
            out,
            "{} chunks of at most {} tokens ({kind}, {encoding})",
            lines.len(),
            args.max_tokens
        );
        for (i, line) in lines.iter().enumerate() {
            let _ = writeln!(out, "{:>4}  {line}", i + 1);
        }
        for issue in &issues {
            let _ = writeln!(
                out,
                "{}: {} {}",
                issue.code.as_str(),
                issue.message,
                issue.hint
            );
        }
    }
    let _ = out.flush();
    Ok(if issues.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

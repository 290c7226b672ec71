//! Chunking a table: the header row in every chunk, rows never split.

use super::{pack_whole, ChunkError, MIN_CHUNK_TOKENS};
use crate::messages::issue;
use crate::{Issue, Table, Tokenizer};
use serde::{Deserialize, Serialize};

/// One chunk of a table, as CSV with the header row first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableChunk {
    /// The first data row in it (0-based index into the table's rows).
    pub first_row: usize,
    /// One past the last data row in it.
    pub end_row: usize,
    /// The header line and the rows, as CSV.
    pub csv: String,
    /// Its exact token count, counted alone.
    pub tokens: u64,
    /// True only for a chunk holding one row that alone is over the budget
    /// (with an issue saying so).
    pub over_budget: bool,
}

/// Splits `table` (the columns where `keep` is true) into CSV chunks of at
/// most `max_tokens` tokens, each starting with the header row. A row is
/// never split: one that does not fit even alone becomes a chunk of its
/// own, marked `over_budget`, with a `row_too_large` issue.
///
/// ```
/// use prompt_preflight::{chunk_table, ingest, Encoding, Input, Limits};
/// let csv = "name,email\n".to_owned() + &"Ada Lovelace,ada@example.com\n".repeat(100);
/// let table = ingest(&Input::File { name: Some("c.csv"), bytes: csv.as_bytes() }, &Limits::default())
///     .table.unwrap();
/// let t = Encoding::O200kBase.tokenizer().unwrap();
/// let (chunks, issues) = chunk_table(t, &table, &[true, true], 100).unwrap();
/// assert!(issues.is_empty() && chunks.len() > 1);
/// assert!(chunks.iter().all(|c| c.csv.starts_with("name,email\n") && c.tokens <= 100));
/// ```
pub fn chunk_table(
    tokenizer: &Tokenizer,
    table: &Table,
    keep: &[bool],
    max_tokens: u64,
) -> Result<(Vec<TableChunk>, Vec<Issue>), ChunkError> {
    if max_tokens < MIN_CHUNK_TOKENS {
        return Err(ChunkError::BudgetTooSmall(max_tokens));
    }
    let mut lines = table.csv_lines(keep).into_iter();
    let header = lines.next().unwrap_or_default();
    let header_tokens = tokenizer.count(&header);
    let rows: Vec<String> = lines.collect();
    let row_tokens: Vec<u64> = rows.iter().map(|r| tokenizer.count(r)).collect();

    let (packed, oversized) = pack_whole(
        tokenizer,
        &row_tokens,
        header_tokens,
        0,
        max_tokens,
        |a, b| format!("{header}{}", rows[a..b].concat()),
    );
    let chunks = packed
        .into_iter()
        .map(|p| TableChunk {
            first_row: p.first,
            end_row: p.end,
            csv: p.text,
            tokens: p.tokens,
            over_budget: p.over_budget,
        })
        .collect();
    let issues = match oversized.first() {
        Some(&(row, tokens)) => vec![issue::row_too_large(
            table.location(row, None),
            oversized.len() as u64,
            tokens,
            max_tokens,
        )],
        None => Vec::new(),
    };
    Ok((chunks, issues))
}

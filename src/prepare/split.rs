//! Splitting a prepared body into parts whose requests each fit.

use super::{fits, Draft, TextRange};
use crate::chunk::pack_whole;
use crate::contract::TableFormat;
use crate::messages::issue;
use crate::trim::table;
use crate::trim::Body;
use crate::{
    chunk_json_array, chunk_text, Budget, ChunkOptions, Issue, Table, TokenInfo, Tokenizer,
    MIN_CHUNK_TOKENS,
};

/// Splits the body into parts whose requests each fit, shrinking the
/// chunk size when a part's count inside the template comes out over.
pub(super) fn split_fitting(
    body: &Body,
    source: Option<&Table>,
    format: TableFormat,
    tokenizer: &Tokenizer,
    budget: &Budget,
    limit: u64,
    overlap: u64,
) -> (Vec<Draft>, Vec<TokenInfo>, Vec<Issue>) {
    let mut max = limit;
    for _ in 0..MAX_SHRINKS {
        let (drafts, issues) = split(body, source, format, tokenizer, max, overlap);
        let measured: Vec<TokenInfo> = drafts.iter().map(|d| budget.measure(&d.content)).collect();
        let shrink = (max / 32).max(1);
        if measured.iter().all(fits)
            || max < (MIN_CHUNK_TOKENS + shrink).max(overlap * 2 + shrink)
            || !issues.is_empty()
        {
            return (drafts, measured, issues);
        }
        max -= shrink;
    }
    let (drafts, issues) = split(body, source, format, tokenizer, max, overlap);
    let measured = drafts.iter().map(|d| budget.measure(&d.content)).collect();
    (drafts, measured, issues)
}

/// How many times the chunk size is lowered when parts come out over the
/// limit inside the template (each time by 1/32); the plan refuses parts
/// still over after that.
const MAX_SHRINKS: usize = 8;

/// Splits the body into chunks of at most `max` tokens (counted alone),
/// text with `overlap` tokens repeated.
fn split(
    body: &Body,
    source: Option<&Table>,
    format: TableFormat,
    tokenizer: &Tokenizer,
    max: u64,
    overlap: u64,
) -> (Vec<Draft>, Vec<Issue>) {
    let text_chunks = |text: &str| -> Vec<Draft> {
        chunk_text(
            tokenizer,
            text,
            &ChunkOptions {
                max_tokens: max,
                overlap,
            },
        )
        .unwrap_or_default()
        .into_iter()
        .map(|c| Draft {
            content: text[c.start..c.end].to_owned(),
            range: Some(TextRange {
                start: c.start,
                end: c.end,
                start_utf16: c.start_utf16,
                end_utf16: c.end_utf16,
                own_start: c.own_start,
            }),
            rows: None,
        })
        .collect()
    };
    match body {
        Body::Text(text) => (text_chunks(text), Vec::new()),
        Body::Json(text) => match chunk_json_array(tokenizer, text, max) {
            Ok(Some((chunks, issues))) => (
                chunks
                    .into_iter()
                    .map(|c| Draft {
                        content: c.json,
                        range: None,
                        rows: None,
                    })
                    .collect(),
                issues,
            ),
            _ => (text_chunks(text), Vec::new()),
        },
        Body::Table(rows) => {
            let written = table::write(rows, format);
            let counts: Vec<u64> = written.rows.iter().map(|r| tokenizer.count(r)).collect();
            let base = tokenizer.count(&written.head) + tokenizer.count(written.tail);
            let sep = tokenizer.count(written.sep);
            let (packed, oversized) = pack_whole(tokenizer, &counts, base, sep, max, |a, b| {
                written.render(a, b)
            });
            let issues = match oversized.first() {
                Some(&(row, tokens)) => vec![issue::row_too_large(
                    source
                        .map(|t| t.location(rows.source[row], None))
                        .unwrap_or_default(),
                    oversized.len() as u64,
                    tokens,
                    max,
                )],
                None => Vec::new(),
            };
            let drafts = packed
                .into_iter()
                .map(|p| Draft {
                    content: p.text,
                    range: None,
                    rows: Some((p.first, p.end)),
                })
                .collect();
            (drafts, issues)
        }
    }
}

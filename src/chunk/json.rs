//! Chunking a JSON array between its elements.

use super::{pack_whole, ChunkError, MIN_CHUNK_TOKENS};
use crate::messages::issue;
use crate::{Issue, Tokenizer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// One chunk of a JSON array: a valid JSON array of whole elements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonChunk {
    /// The first element in it (0-based).
    pub first_item: usize,
    /// One past the last element in it.
    pub end_item: usize,
    /// The elements as a JSON array, each as written in the input.
    pub json: String,
    /// Its exact token count, counted alone.
    pub tokens: u64,
    /// True only for a chunk holding one element that alone is over the
    /// budget (with an issue saying so).
    pub over_budget: bool,
}

/// The chunks of a JSON array, and the issues (elements too large alone).
pub type JsonChunks = (Vec<JsonChunk>, Vec<Issue>);

/// Splits a JSON array into arrays of whole elements of at most
/// `max_tokens` tokens each. `Ok(None)` when `text` is not a JSON array.
///
/// ```
/// use prompt_preflight::{chunk_json_array, Encoding};
/// let t = Encoding::O200kBase.tokenizer().unwrap();
/// let text = format!("[{}]", vec![r#"{"name": "Ada", "city": "London"}"#; 50].join(", "));
/// let (chunks, issues) = chunk_json_array(t, &text, 60).unwrap().unwrap();
/// assert!(issues.is_empty() && chunks.len() > 1);
/// for c in &chunks {
///     assert!(c.tokens <= 60);
///     assert!(serde_json::from_str::<serde_json::Value>(&c.json).unwrap().is_array());
/// }
/// ```
pub fn chunk_json_array(
    tokenizer: &Tokenizer,
    text: &str,
    max_tokens: u64,
) -> Result<Option<JsonChunks>, ChunkError> {
    if max_tokens < MIN_CHUNK_TOKENS {
        return Err(ChunkError::BudgetTooSmall(max_tokens));
    }
    let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(text) else {
        return Ok(None);
    };
    let items: Vec<&str> = items.iter().map(|r| r.get().trim()).collect();
    let item_tokens: Vec<u64> = items.iter().map(|i| tokenizer.count(i)).collect();
    // "[" and "]" around, "," between: at most a token each, and every
    // chunk is counted exactly.
    let (packed, oversized) = pack_whole(tokenizer, &item_tokens, 2, 1, max_tokens, |a, b| {
        format!("[{}]", items[a..b].join(","))
    });
    let chunks = packed
        .into_iter()
        .map(|p| JsonChunk {
            first_item: p.first,
            end_item: p.end,
            json: p.text,
            tokens: p.tokens,
            over_budget: p.over_budget,
        })
        .collect();
    let issues = match oversized.first() {
        Some(&(item, tokens)) => vec![issue::item_too_large(
            item as u64 + 1,
            oversized.len() as u64,
            tokens,
            max_tokens,
        )],
        None => Vec::new(),
    };
    Ok(Some((chunks, issues)))
}

//! Splitting text into chunks of at most N tokens, at the largest
//! structural boundary that fits.
//!
//! The text is pre-tokenized once and every piece counted (pieces never
//! share a token, so the tokens of a run of pieces are the sum of theirs).
//! Chunks are packed greedily: pieces are added while they fit, and the
//! chunk is cut at the best boundary seen in its second half (so chunks
//! are at least half full), by rank: a Markdown heading, a blank line, a
//! line break, the end of a sentence, a space between words (or a line
//! break inside a sentence, as in hard-wrapped or PDF text), any piece
//! boundary; a single piece larger than
//! the budget is cut between characters (never inside a UTF-8 character,
//! and not before a combining mark). Each piece is visited a bounded number
//! of times, so chunking is linear in the text.
//!
//! Every chunk's count is then taken on the chunk alone, exactly: that is
//! the figure reported and held against the budget.
//!
//! ```
//! use prompt_preflight::{chunk_text, ChunkOptions, Encoding};
//! let t = Encoding::O200kBase.tokenizer().unwrap();
//! let text = "# Intro\n\nFirst paragraph. It has two sentences.\n\n# Details\n\nMore text here.";
//! let chunks = chunk_text(t, text, &ChunkOptions { max_tokens: 12, overlap: 0 }).unwrap();
//! assert!(chunks.iter().all(|c| c.tokens <= 12));
//! let joined: String = chunks.iter().map(|c| &text[c.start..c.end]).collect();
//! assert_eq!(joined, text);
//! assert!(text[chunks[1].start..].starts_with("# Details"));
//! ```

mod json;
mod table;

pub use json::{chunk_json_array, JsonChunk, JsonChunks};
pub use table::{chunk_table, TableChunk};

use crate::tokens::classes::{char_at, Classes, LETTER, LOWER, NUMBER, UPPER};
use crate::Tokenizer;
use serde::{Deserialize, Serialize};

/// The smallest chunk size: a character is at most 4 bytes, and so at most
/// 4 tokens, and chunks are never cut inside a character.
pub const MIN_CHUNK_TOKENS: u64 = 4;

/// How to chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkOptions {
    /// The most tokens in one chunk (at least [`MIN_CHUNK_TOKENS`]).
    pub max_tokens: u64,
    /// Tokens of the previous chunk repeated at the start of the next, for
    /// context (less than `max_tokens`; 0 for none).
    #[serde(default)]
    pub overlap: u64,
}

/// Why chunking could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChunkError {
    /// `max_tokens` is below [`MIN_CHUNK_TOKENS`].
    #[error(
        "the chunk size must be at least {MIN_CHUNK_TOKENS} tokens (one character can take 4), not {}",
        crate::words::group_digits(*.0)
    )]
    BudgetTooSmall(u64),
    /// The overlap is not smaller than the chunk size.
    #[error(
        "the overlap ({} tokens) must be smaller than the chunk size ({} tokens)",
        crate::words::group_digits(*overlap),
        crate::words::group_digits(*max_tokens)
    )]
    OverlapTooLarge {
        /// The overlap asked for.
        overlap: u64,
        /// The chunk size.
        max_tokens: u64,
    },
}

/// The kind of boundary a chunk ends at, from the strongest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Boundary {
    /// The end of the text.
    End,
    /// Before a Markdown heading.
    Heading,
    /// After a blank line.
    Paragraph,
    /// After a line break (one that does not wrap a sentence mid-way).
    Line,
    /// After the end of a sentence.
    Sentence,
    /// Between words, or after a line break inside a sentence.
    Word,
    /// Between two pre-tokenizer pieces (inside a word or a run of symbols).
    Piece,
    /// Between two characters of one piece larger than the budget.
    Character,
}

impl Boundary {
    /// Where a chunk ending at this boundary was cut, in words.
    ///
    /// ```
    /// assert_eq!(prompt_preflight::Boundary::Heading.words(), "before a heading");
    /// ```
    pub fn words(self) -> &'static str {
        match self {
            Boundary::End => "at the end of the text",
            Boundary::Heading => "before a heading",
            Boundary::Paragraph => "at a paragraph break",
            Boundary::Line => "at a line break",
            Boundary::Sentence => "at the end of a sentence",
            Boundary::Word => "between words",
            Boundary::Piece => "inside a word",
            Boundary::Character => "between two characters",
        }
    }
}

/// One chunk of a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    /// First byte (UTF-8) of the chunk, overlap included.
    pub start: usize,
    /// One past its last byte.
    pub end: usize,
    /// Where the chunk's own text begins (after the overlap it repeats):
    /// the `own_start..end` ranges of all chunks tile the text.
    pub own_start: usize,
    /// `start` in UTF-16 code units, for JavaScript strings.
    pub start_utf16: usize,
    /// `end` in UTF-16 code units.
    pub end_utf16: usize,
    /// Its exact token count, counted alone.
    pub tokens: u64,
    /// The boundary it ends at.
    pub boundary: Boundary,
}

/// Splits `text` into chunks of at most `options.max_tokens` tokens.
pub fn chunk_text(
    tokenizer: &Tokenizer,
    text: &str,
    options: &ChunkOptions,
) -> Result<Vec<Chunk>, ChunkError> {
    let max = options.max_tokens;
    if max < MIN_CHUNK_TOKENS {
        return Err(ChunkError::BudgetTooSmall(max));
    }
    if options.overlap >= max {
        return Err(ChunkError::OverlapTooLarge {
            overlap: options.overlap,
            max_tokens: max,
        });
    }
    let pieces = tokenizer.piece_counts(text);
    let s = text.as_bytes();
    let cls = Classes::get();
    let n = pieces.len();
    let piece_start = |i: usize| if i == 0 { 0 } else { pieces[i - 1].0 };
    let mut chunks = Vec::new();
    let mut utf16 = Utf16Cursor::default();
    let mut push = |chunks: &mut Vec<Chunk>, start, own_start, end, tokens, boundary| {
        chunks.push(Chunk {
            start,
            end,
            own_start,
            start_utf16: utf16.at(text, start),
            end_utf16: utf16.at(text, end),
            tokens,
            boundary,
        })
    };

    let mut first = 0; // first piece of the current chunk (overlap included)
    let mut own = 0; // first piece that is not overlap
    while own < n {
        // Grow while the pieces fit, remembering the last cut of each kind
        // (cut `c` ends the chunk after piece `c - 1`).
        let mut sum = 0u64;
        let mut i = first;
        let mut best: [Option<(usize, u64)>; 6] = [None; 6];
        while i < n && sum + pieces[i].1 <= max {
            sum += pieces[i].1;
            i += 1;
            if i < n && i > own {
                best[boundary_at(s, pieces[i - 1].0, cls) as usize - 1] = Some((i, sum));
            }
        }
        if i <= own {
            if first < own {
                first = own; // the overlap leaves no room: drop it
                continue;
            }
            // One piece alone is larger than the budget.
            split_piece(
                tokenizer,
                text,
                piece_start(i),
                pieces[i].0,
                max,
                cls,
                |a, b, t, k| push(&mut chunks, a, a, b, t, k),
            );
            own = i + 1;
            first = own;
            continue;
        }
        let start = piece_start(first);
        // Candidate cuts, best first; each is checked by counting the chunk
        // alone (pieces at a chunk's very end can read differently alone).
        // A cut that would leave the chunk less than half full goes after
        // the weaker cuts that fill it more.
        let mut candidates: Vec<(usize, Boundary)> = Vec::with_capacity(8);
        let mut sparse: Vec<(usize, Boundary)> = Vec::with_capacity(6);
        if i == n {
            candidates.push((n, Boundary::End));
        }
        for (k, kind) in KINDS.iter().enumerate() {
            if let Some((c, filled)) = best[k] {
                if filled * 2 >= max {
                    candidates.push((c, *kind));
                } else {
                    sparse.push((c, *kind));
                }
            }
        }
        candidates.push((i, Boundary::Piece));
        candidates.extend(sparse);
        let mut chosen = None;
        for &(cut, kind) in &candidates {
            let end = if cut == n { s.len() } else { pieces[cut - 1].0 };
            let tokens = tokenizer.count(&text[start..end]);
            if tokens <= max {
                chosen = Some((cut, end, tokens, kind));
                break;
            }
        }
        // Rare: nothing counted alone fits; step back a piece at a time.
        let (cut, end, tokens, kind) = match chosen {
            Some(c) => c,
            None => {
                let mut cut = i - 1;
                loop {
                    if cut <= own {
                        break (own, own, 0, Boundary::Piece);
                    }
                    let end = pieces[cut - 1].0;
                    let tokens = tokenizer.count(&text[start..end]);
                    if tokens <= max {
                        break (cut, end, tokens, Boundary::Piece);
                    }
                    cut -= 1;
                }
            }
        };
        if cut <= own {
            // Even the first own piece does not fit after the overlap.
            first = own;
            if first == own && tokenizer.count(&text[piece_start(own)..pieces[own].0]) > max {
                split_piece(
                    tokenizer,
                    text,
                    piece_start(own),
                    pieces[own].0,
                    max,
                    cls,
                    |a, b, t, k| push(&mut chunks, a, a, b, t, k),
                );
                own += 1;
                first = own;
            }
            continue;
        }
        push(&mut chunks, start, piece_start(own), end, tokens, kind);
        if cut == n {
            break;
        }
        // The next chunk starts with up to `overlap` tokens before the cut.
        let mut back = cut;
        let mut carried = 0;
        while back > first && carried + pieces[back - 1].1 <= options.overlap {
            carried += pieces[back - 1].1;
            back -= 1;
        }
        first = back;
        own = cut;
    }
    Ok(chunks)
}

/// A run of whole items (table rows, JSON elements) packed into one chunk.
pub(crate) struct Packed {
    pub(crate) first: usize,
    pub(crate) end: usize,
    pub(crate) text: String,
    pub(crate) tokens: u64,
    pub(crate) over_budget: bool,
}

/// Packs whole items into chunks of at most `max` tokens: `counts` are the
/// items' tokens, `base` the chunk's fixed tokens (a header, brackets) and
/// `sep` the tokens between items; `render(first, end)` writes a chunk,
/// whose exact count alone decides (items are given back until it fits).
/// An item that does not fit even alone gets a chunk of its own; those
/// are returned as `(item, tokens)`.
pub(crate) fn pack_whole(
    tokenizer: &Tokenizer,
    counts: &[u64],
    base: u64,
    sep: u64,
    max: u64,
    render: impl Fn(usize, usize) -> String,
) -> (Vec<Packed>, Vec<(usize, u64)>) {
    let mut chunks = Vec::new();
    let mut oversized = Vec::new();
    let mut first = 0;
    while first < counts.len() {
        let mut end = first;
        let mut sum = base;
        while end < counts.len() && sum + counts[end] + sep <= max {
            sum += counts[end] + sep;
            end += 1;
        }
        loop {
            let alone = end == first;
            let end_now = if alone { first + 1 } else { end };
            let text = render(first, end_now);
            let tokens = tokenizer.count(&text);
            if alone || tokens <= max {
                if tokens > max {
                    oversized.push((first, tokens));
                }
                chunks.push(Packed {
                    first,
                    end: end_now,
                    text,
                    tokens,
                    over_budget: tokens > max,
                });
                end = end_now;
                break;
            }
            end -= 1;
        }
        first = end;
    }
    (chunks, oversized)
}

const KINDS: [Boundary; 6] = [
    Boundary::Heading,
    Boundary::Paragraph,
    Boundary::Line,
    Boundary::Sentence,
    Boundary::Word,
    Boundary::Piece,
];

/// Cuts the piece `text[a..b]`, larger than `max` tokens, between
/// characters into spans of at most `max` tokens each, calling
/// `emit(start, end, tokens, boundary)` for each.
fn split_piece(
    tokenizer: &Tokenizer,
    text: &str,
    a: usize,
    b: usize,
    max: u64,
    cls: Classes,
    mut emit: impl FnMut(usize, usize, u64, Boundary),
) {
    // Byte offset (from `a`) after each token of the piece.
    let mut offsets = vec![0usize];
    for id in tokenizer.encode(&text[a..b]) {
        offsets.push(offsets[offsets.len() - 1] + tokenizer.token_len(id));
    }
    let mut at = a;
    while at < b {
        // `max` tokens on from the first token that starts at or after `at`,
        // then back to a character boundary that splits no cluster.
        let k = offsets.partition_point(|&o| o < at - a);
        let target = offsets[(k + max as usize).min(offsets.len() - 1)];
        let mut end = (a + target).clamp(at, b);
        while end > at && !text.is_char_boundary(end) {
            end -= 1;
        }
        // Keep clusters (a letter and its marks, an emoji and its
        // modifiers) whole, unless one is larger than the budget.
        let mut whole = end;
        while whole > at && whole < b && joins(text, whole, cls) {
            whole = prev_char(text, whole);
        }
        if whole > at {
            end = whole;
        }
        if end <= at {
            end = next_char(text, at);
        }
        // Alone, the span may count differently: shrink until it fits.
        let mut tokens = tokenizer.count(&text[at..end]);
        while tokens > max && end > next_char(text, at) {
            end = prev_char(text, end);
            tokens = tokenizer.count(&text[at..end]);
        }
        let boundary = if end == b {
            Boundary::Piece
        } else {
            Boundary::Character
        };
        emit(at, end, tokens, boundary);
        at = end;
    }
}

/// Whether the character at byte `i` belongs with the one before it (a
/// combining mark, a joiner, a variation selector or a skin tone).
fn joins(text: &str, i: usize, cls: Classes) -> bool {
    let Some(c) = text[i..].chars().next() else {
        return false;
    };
    let prev = text[..i].chars().next_back();
    let f = cls.of(c);
    let mark = f & (UPPER | LOWER) == (UPPER | LOWER) && f & LETTER == 0;
    mark || c == '\u{200D}'
        || prev == Some('\u{200D}')
        || ('\u{FE00}'..='\u{FE0F}').contains(&c)
        || ('\u{1F3FB}'..='\u{1F3FF}').contains(&c)
}

fn prev_char(text: &str, mut i: usize) -> usize {
    i -= 1;
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn next_char(text: &str, mut i: usize) -> usize {
    i += 1;
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// The kind of boundary at byte `e` (a piece boundary inside `s`).
fn boundary_at(s: &[u8], e: usize, cls: Classes) -> Boundary {
    let before = &s[..e];
    let after = &s[e..];
    let line_start = before.last() == Some(&b'\n');
    if line_start && after.first() == Some(&b'#') {
        return Boundary::Heading;
    }
    if before.ends_with(b"\n\n") || before.ends_with(b"\n\r\n") {
        return Boundary::Paragraph;
    }
    if line_start {
        return if wraps_a_sentence(s, e, cls) {
            Boundary::Word
        } else {
            Boundary::Line
        };
    }
    let next_space = after.first().is_some_and(|b| b.is_ascii_whitespace());
    let last = last_char(s, e);
    if matches!(last, Some('.' | '!' | '?' | '…')) && next_space
        || matches!(last, Some('。' | '！' | '？'))
    {
        return Boundary::Sentence;
    }
    if next_space || last.is_some_and(|c| cls.of(c) & crate::tokens::classes::SPACE != 0) {
        return Boundary::Word;
    }
    Boundary::Piece
}

/// Whether the line break just before byte `e` wraps a sentence rather
/// than ending a line of its own: the line ends in a letter, a digit or a
/// comma, and the next one starts with a lower-case letter. Text extracted
/// from a PDF or hard-wrapped at 80 columns is full of these, and a cut
/// there splits a sentence, so it ranks as a space between words.
fn wraps_a_sentence(s: &[u8], e: usize, cls: Classes) -> bool {
    if e >= s.len() {
        return false;
    }
    let next = char_at(s, e).0;
    let lower = cls.of(next) & (LETTER | UPPER | LOWER) == LETTER | LOWER;
    if !lower {
        return false;
    }
    let mut end = e - 1; // the '\n'
    if end > 0 && s[end - 1] == b'\r' {
        end -= 1;
    }
    last_char(s, end).is_some_and(|c| c == ',' || cls.of(c) & (LETTER | NUMBER) != 0)
}

/// The character that ends just before byte `e` (only its bytes are read).
fn last_char(s: &[u8], e: usize) -> Option<char> {
    let mut from = e.checked_sub(1)?;
    while from > 0 && s[from] & 0xC0 == 0x80 {
        from -= 1;
    }
    std::str::from_utf8(&s[from..e])
        .ok()
        .and_then(|t| t.chars().next_back())
}

/// Byte offsets to UTF-16 offsets, for offsets that mostly move forward.
#[derive(Default)]
struct Utf16Cursor {
    byte: usize,
    utf16: usize,
}

impl Utf16Cursor {
    fn at(&mut self, text: &str, byte: usize) -> usize {
        if byte < self.byte {
            *self = Utf16Cursor::default();
        }
        self.utf16 += text[self.byte..byte].encode_utf16().count();
        self.byte = byte;
        self.utf16
    }
}

//! Incremental counting for typing: a keystroke recounts a few kilobytes,
//! not the whole document.
//!
//! The document is cut into blocks at *safe boundaries*: positions where no
//! pre-tokenizer piece can cross, whatever comes before or after. Tokens
//! never span pieces, so the count is the sum of the blocks' counts. An
//! edit recounts only the blocks it touches and their two neighbours.
//!
//! A position `b` is a safe boundary when the characters on either side
//! are
//! - a letter, then anything but a letter, a combining mark or `'` (a word
//!   ends there in both encodings, contractions included), or
//! - a line feed, then anything but white space or `/` (no piece continues
//!   past a line break into text; o200k lets `/` follow punctuation and
//!   line breaks).
//!
//! Whether `b` is safe depends only on those two characters, so a boundary
//! one whole block away from an edit stays safe. A document with no safe
//! boundary at all (a megabyte of one letter) is one block, and each edit
//! recounts it: still linear, but not instant.

use super::classes::{char_at, Classes, LETTER, SPACE, UPPER};
use super::{Encoding, Tokenizer};

/// Blocks are cut at the first safe boundary after this many bytes.
const MIN_BLOCK: usize = 1024;

/// A change to the document: replace `start..end` with `text`. Offsets are
/// in UTF-16 code units, as in JavaScript strings and DOM selections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// First UTF-16 unit replaced.
    pub start: usize,
    /// One past the last UTF-16 unit replaced.
    pub end: usize,
    /// The replacement text.
    pub text: String,
}

#[derive(Debug, Clone, Copy)]
struct Block {
    bytes: usize,
    utf16: usize,
    tokens: u64,
}

/// A live token count of a document being edited.
///
/// The document may sit inside a fixed frame (the contract's template
/// around `{{input}}`): the frame is counted with it, exactly as the model
/// will see it, and edits address the document alone.
///
/// ```
/// use prompt_preflight::{Edit, Encoding, Meter};
/// let tokenizer = Encoding::O200kBase.tokenizer().unwrap();
/// let mut meter = Meter::new(tokenizer, "", "");
/// meter.set_text("Hello world");
/// assert_eq!(meter.count(), 2);
/// meter.edit(&Edit { start: 5, end: 5, text: ",".into() });
/// assert_eq!(meter.text(), "Hello, world");
/// assert_eq!(meter.count(), Encoding::O200kBase.count("Hello, world").count);
/// ```
#[derive(Debug)]
pub struct Meter {
    tokenizer: &'static Tokenizer,
    /// Frame prefix + document + frame suffix.
    text: String,
    prefix: usize,
    suffix: usize,
    prefix_utf16: usize,
    blocks: Vec<Block>,
    total: u64,
}

impl Meter {
    /// A meter for an empty document inside `prefix` and `suffix`.
    pub fn new(tokenizer: &'static Tokenizer, prefix: &str, suffix: &str) -> Meter {
        let mut meter = Meter {
            tokenizer,
            text: format!("{prefix}{suffix}"),
            prefix: prefix.len(),
            suffix: suffix.len(),
            prefix_utf16: prefix.encode_utf16().count(),
            blocks: Vec::new(),
            total: 0,
        };
        meter.blocks = meter.split(0, meter.text.len());
        meter.total = meter.blocks.iter().map(|b| b.tokens).sum();
        meter
    }

    /// The encoding counted with.
    pub fn encoding(&self) -> Encoding {
        self.tokenizer.encoding()
    }

    /// Tokens in the frame and the document together.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The document (without the frame).
    pub fn text(&self) -> &str {
        &self.text[self.prefix..self.text.len() - self.suffix]
    }

    /// The number of blocks the document is counted in (for tests and
    /// benchmarks).
    pub fn blocks(&self) -> usize {
        self.blocks.len()
    }

    /// Replaces the whole document, recounting only what changed between
    /// the old and the new text (their common start and end are kept).
    /// Returns the new count.
    pub fn set_text(&mut self, new: &str) -> u64 {
        let old = self.text();
        let (o, n) = (old.as_bytes(), new.as_bytes());
        let mut head = o.iter().zip(n).take_while(|(a, b)| a == b).count();
        while !new.is_char_boundary(head) || !old.is_char_boundary(head) {
            head -= 1;
        }
        let max_tail = o.len().min(n.len()) - head;
        let mut tail = o
            .iter()
            .rev()
            .zip(n.iter().rev())
            .take(max_tail)
            .take_while(|(a, b)| a == b)
            .count();
        while !new.is_char_boundary(n.len() - tail) || !old.is_char_boundary(o.len() - tail) {
            tail -= 1;
        }
        let (start, end) = (self.prefix + head, self.prefix + o.len() - tail);
        let insert = &new[head..n.len() - tail];
        self.replace(start, end, insert)
    }

    /// Applies one edit and returns the new count. Offsets past the end of
    /// the document are clamped to it.
    pub fn edit(&mut self, edit: &Edit) -> u64 {
        let start = self.byte_offset(edit.start);
        let end = self.byte_offset(edit.end.max(edit.start));
        self.replace(start, end, &edit.text)
    }

    /// The byte offset in `self.text` of a UTF-16 offset in the document.
    fn byte_offset(&self, utf16: usize) -> usize {
        let doc_end = self.text.len() - self.suffix;
        let mut want = utf16 + self.prefix_utf16;
        let mut at = 0;
        for block in &self.blocks {
            if want < block.utf16 {
                break;
            }
            want -= block.utf16;
            at += block.bytes;
        }
        for c in self.text[at.min(doc_end)..doc_end].chars() {
            if want == 0 {
                break;
            }
            want = want.saturating_sub(c.len_utf16());
            at += c.len_utf8();
        }
        at.clamp(self.prefix, doc_end)
    }

    /// Replaces bytes `start..end` of the framed text with `insert`.
    fn replace(&mut self, start: usize, end: usize, insert: &str) -> u64 {
        // The blocks holding the edit, and one neighbour on each side.
        let (mut first, mut last) = (0, self.blocks.len().saturating_sub(1));
        let mut region_start = 0;
        let mut at = 0;
        let mut found_first = false;
        let mut region_end = self.text.len();
        for (i, block) in self.blocks.iter().enumerate() {
            let block_end = at + block.bytes;
            if !found_first && start < block_end {
                first = i;
                found_first = true;
            }
            if end < block_end {
                last = i;
                break;
            }
            at = block_end;
        }
        if !found_first {
            first = last;
        }
        let first = first.saturating_sub(1);
        let last = (last + 1).min(self.blocks.len().saturating_sub(1));
        if !self.blocks.is_empty() {
            region_start = self.blocks[..first].iter().map(|b| b.bytes).sum();
            region_end = region_start
                + self.blocks[first..=last]
                    .iter()
                    .map(|b| b.bytes)
                    .sum::<usize>();
        }
        self.text.replace_range(start..end, insert);
        let region_end = region_end + insert.len() - (end - start);
        let fresh = self.split(region_start, region_end);
        let removed: u64 = if self.blocks.is_empty() {
            0
        } else {
            self.blocks.splice(first..=last, []).map(|b| b.tokens).sum()
        };
        let added: u64 = fresh.iter().map(|b| b.tokens).sum();
        let at = first.min(self.blocks.len());
        self.blocks.splice(at..at, fresh);
        self.total = self.total + added - removed;
        self.total
    }

    /// Cuts `text[from..to]` (both ends safe boundaries) into counted blocks.
    fn split(&self, from: usize, to: usize) -> Vec<Block> {
        let s = self.text.as_bytes();
        let cls = Classes::get();
        let mut blocks = Vec::new();
        let mut start = from;
        while start < to {
            let mut cut = to;
            let mut b = start + MIN_BLOCK;
            while b < to {
                if self.text.is_char_boundary(b) && safe(s, b, cls) {
                    cut = b;
                    break;
                }
                b += 1;
            }
            let piece = &self.text[start..cut];
            blocks.push(Block {
                bytes: piece.len(),
                utf16: piece.encode_utf16().count(),
                tokens: self.tokenizer.count(piece),
            });
            start = cut;
        }
        blocks
    }
}

/// Whether no piece can cross byte `b` (a char boundary inside `s`).
fn safe(s: &[u8], b: usize, cls: Classes) -> bool {
    let (cur, _) = char_at(s, b);
    let mut p = b - 1;
    while s[p] & 0xC0 == 0x80 {
        p -= 1;
    }
    let (prev, _) = char_at(s, p);
    if prev == '\n' {
        return cls.of(cur) & SPACE == 0 && cur != '/';
    }
    let (fp, fc) = (cls.of(prev), cls.of(cur));
    // Marks are in UPPER but not LETTER; letters are in LETTER.
    fp & LETTER != 0 && fc & (LETTER | UPPER) == 0 && cur != '\''
}

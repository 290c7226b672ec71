//! Pre-tokenization: splitting text into the pieces BPE runs on.
//!
//! OpenAI's encodings split text with a regular expression before merging
//! bytes. `tiktoken` runs it on a backtracking engine (`fancy-regex`), which
//! is slow on long runs and overflows its stack on a million spaces. Here
//! each pattern is a hand-written matcher that reproduces the backtracking
//! engine's leftmost-first result exactly, in one forward pass: every
//! character is looked at a bounded number of times, so splitting is linear
//! in the input on every input.
//!
//! The patterns, as `tiktoken-rs` 0.12 defines them:
//!
//! ```text
//! cl100k_base: '(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+
//!              | ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s
//! o200k_base:  [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//!              |[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//!              |\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
//! ```
//!
//! Every position starts a match of some alternative and no alternative
//! matches the empty string, so the matches tile the text: a piece ends
//! where the next begins.

use super::classes::{char_at, Classes, LETTER, LOWER, NUMBER, SPACE, UPPER};

/// The pre-tokenization rules of an encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rules {
    Cl100k,
    O200k,
}

/// Iterates over the pieces of a text, as byte ranges' ends.
pub(crate) struct Pieces<'a> {
    s: &'a [u8],
    at: usize,
    rules: Rules,
    cls: Classes,
}

impl<'a> Pieces<'a> {
    pub(crate) fn new(text: &'a str, rules: Rules) -> Pieces<'a> {
        Pieces {
            s: text.as_bytes(),
            at: 0,
            rules,
            cls: Classes::get(),
        }
    }
}

impl<'a> Iterator for Pieces<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.at >= self.s.len() {
            return None;
        }
        let start = self.at;
        let end = match self.rules {
            Rules::Cl100k => next_cl100k(self.s, start, self.cls),
            Rules::O200k => next_o200k(self.s, start, self.cls),
        };
        debug_assert!(end > start);
        self.at = end;
        Some(&self.s[start..end])
    }
}

/// The flags of the character at `i`, and its length.
#[inline(always)]
fn at(s: &[u8], i: usize, cls: Classes) -> (u8, char, usize) {
    let b = s[i];
    if b < 0x80 {
        return (ASCII[b as usize], b as char, 1);
    }
    let (c, len) = char_at(s, i);
    (cls.of(c), c, len)
}

/// Class flags of ASCII characters (the same as the Unicode table's).
static ASCII: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        t[i] = if c.is_ascii_uppercase() {
            LETTER | UPPER
        } else if c.is_ascii_lowercase() {
            LETTER | LOWER
        } else if c.is_ascii_digit() {
            NUMBER
        } else if matches!(c, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r') {
            SPACE
        } else {
            0
        };
        i += 1;
    }
    t
};

#[inline(always)]
fn is_crlf(c: char) -> bool {
    c == '\r' || c == '\n'
}

/// `[^\r\n\p{L}\p{N}]`
#[inline(always)]
fn is_prefix(f: u8, c: char) -> bool {
    f & (LETTER | NUMBER) == 0 && !is_crlf(c)
}

/// `[^\s\p{L}\p{N}]`
#[inline(always)]
fn is_other(f: u8) -> bool {
    f & (LETTER | NUMBER | SPACE) == 0
}

/// The end of the run of characters from `i` whose flags meet `want`.
#[inline(always)]
fn run(s: &[u8], mut i: usize, cls: Classes, want: impl Fn(u8, char) -> bool) -> usize {
    while i < s.len() {
        let (f, c, len) = at(s, i, cls);
        if !want(f, c) {
            break;
        }
        i += len;
    }
    i
}

/// Whether `c` matches the ASCII letter `lower` case-insensitively, the way
/// the regex engine's simple case folding does (`ſ` folds to `s`, `K`, the
/// Kelvin sign, to `k`).
#[inline(always)]
fn folds_to(c: char, lower: char) -> bool {
    c.to_ascii_lowercase() == lower
        || (lower == 's' && c == '\u{17F}')
        || (lower == 'k' && c == '\u{212A}')
}

/// The end of a contraction `'s`, `'t`, `'re`, `'ve`, `'m`, `'ll` or `'d`
/// (case-insensitive) at `i`, if there is one.
#[inline]
fn contraction(s: &[u8], i: usize) -> Option<usize> {
    if s.get(i) != Some(&b'\'') || i + 1 >= s.len() {
        return None;
    }
    let (c1, l1) = char_at(s, i + 1);
    let after = i + 1 + l1;
    if ['s', 't', 'm', 'd'].iter().any(|&x| folds_to(c1, x)) {
        return Some(after);
    }
    if after >= s.len() {
        return None;
    }
    let (c2, l2) = char_at(s, after);
    let second = match c1.to_ascii_lowercase() {
        'l' => 'l',
        'v' | 'r' => 'e',
        _ => return None,
    };
    folds_to(c2, second).then_some(after + l2)
}

/// Whitespace handling shared by both encodings, for a run starting at `p`
/// (whose first character has length `first`).
///
/// Returns `(run_end, last_crlf_end, last_char_start)`.
#[inline]
fn space_run(s: &[u8], p: usize, cls: Classes) -> (usize, Option<usize>, usize) {
    let mut i = p;
    let mut last_crlf = None;
    let mut last_start = p;
    while i < s.len() {
        let (f, c, len) = at(s, i, cls);
        if f & SPACE == 0 {
            break;
        }
        if is_crlf(c) {
            last_crlf = Some(i + len);
        }
        last_start = i;
        i += len;
    }
    (i, last_crlf, last_start)
}

/// The end of the piece starting at `p` under `cl100k_base`.
fn next_cl100k(s: &[u8], p: usize, cls: Classes) -> usize {
    let (f0, c0, l0) = at(s, p, cls);
    // '(?i:[sdmt]|ll|ve|re)
    if c0 == '\'' {
        if let Some(end) = contraction(s, p) {
            return end;
        }
    }
    // [^\r\n\p{L}\p{N}]?+\p{L}++
    if f0 & LETTER != 0 {
        return run(s, p + l0, cls, |f, _| f & LETTER != 0);
    }
    if is_prefix(f0, c0) && p + l0 < s.len() {
        let (f1, _, l1) = at(s, p + l0, cls);
        if f1 & LETTER != 0 {
            return run(s, p + l0 + l1, cls, |f, _| f & LETTER != 0);
        }
    }
    // \p{N}{1,3}+
    if f0 & NUMBER != 0 {
        return up_to_three_numbers(s, p + l0, cls);
    }
    // ' ?[^\s\p{L}\p{N}]++[\r\n]*+'
    if let Some(end) = other_run(s, p, c0, f0, cls) {
        return run(s, end, cls, |_, c| is_crlf(c));
    }
    // The rest are white space.
    let (end, last_crlf, last_start) = space_run(s, p, cls);
    // \s++$
    if end == s.len() {
        return end;
    }
    // \s*[\r\n]
    if let Some(e) = last_crlf {
        return e;
    }
    // \s+(?!\S)
    if last_start > p {
        return last_start;
    }
    // \s
    p + l0
}

/// `\p{N}{1,3}` after its first character (which ends at `end`).
#[inline]
fn up_to_three_numbers(s: &[u8], mut end: usize, cls: Classes) -> usize {
    for _ in 0..2 {
        if end >= s.len() {
            break;
        }
        let (f, _, l) = at(s, end, cls);
        if f & NUMBER == 0 {
            break;
        }
        end += l;
    }
    end
}

/// ` ?[^\s\p{L}\p{N}]+`: the end of the run, if it matches at `p`.
#[inline]
fn other_run(s: &[u8], p: usize, c0: char, f0: u8, cls: Classes) -> Option<usize> {
    let start = if c0 == ' ' {
        if p + 1 >= s.len() || !is_other(at(s, p + 1, cls).0) {
            return None;
        }
        p + 1
    } else if is_other(f0) {
        p
    } else {
        return None;
    };
    Some(run(s, start, cls, |f, _| is_other(f)))
}

/// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+` from `s0`,
/// with the backtracking engine's result.
#[inline]
fn upper_then_lower(s: &[u8], s0: usize, cls: Classes) -> Option<usize> {
    // Greedy U*, remembering where the last character that is also in W ends.
    let mut i = s0;
    let mut last_w_end = None;
    while i < s.len() {
        let (f, _, len) = at(s, i, cls);
        if f & UPPER == 0 {
            break;
        }
        if f & LOWER != 0 {
            last_w_end = Some(i + len);
        }
        i += len;
    }
    // W+ right after U*.
    if i < s.len() {
        let (f, _, len) = at(s, i, cls);
        if f & LOWER != 0 {
            return Some(run(s, i + len, cls, |f, _| f & LOWER != 0));
        }
    }
    // Backtrack U* to give its last W character to W+; the W run then
    // ends right after it (the next character, if any, is in U only).
    last_w_end
}

/// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*` from `s0`.
#[inline]
fn upper_then_maybe_lower(s: &[u8], s0: usize, cls: Classes) -> Option<usize> {
    let i = run(s, s0, cls, |f, _| f & UPPER != 0);
    if i == s0 {
        return None;
    }
    Some(run(s, i, cls, |f, _| f & LOWER != 0))
}

/// The end of the piece starting at `p` under `o200k_base`.
fn next_o200k(s: &[u8], p: usize, cls: Classes) -> usize {
    let (f0, c0, l0) = at(s, p, cls);
    let prefix = is_prefix(f0, c0) && p + l0 < s.len();
    let word = |body: fn(&[u8], usize, Classes) -> Option<usize>| {
        let end = prefix
            .then(|| body(s, p + l0, cls))
            .flatten()
            .or_else(|| body(s, p, cls))?;
        Some(contraction(s, end).unwrap_or(end))
    };
    if f0 & (UPPER | LOWER) != 0 || prefix {
        if let Some(end) = word(upper_then_lower) {
            return end;
        }
        if let Some(end) = word(upper_then_maybe_lower) {
            return end;
        }
    }
    // \p{N}{1,3}
    if f0 & NUMBER != 0 {
        return up_to_three_numbers(s, p + l0, cls);
    }
    // ' ?[^\s\p{L}\p{N}]+[\r\n/]*'
    if let Some(end) = other_run(s, p, c0, f0, cls) {
        return run(s, end, cls, |_, c| is_crlf(c) || c == '/');
    }
    let (end, last_crlf, last_start) = space_run(s, p, cls);
    // \s*[\r\n]+
    if let Some(e) = last_crlf {
        return e;
    }
    // \s+(?!\S)
    if end == s.len() {
        return end;
    }
    if last_start > p {
        return last_start;
    }
    // \s+
    end
}

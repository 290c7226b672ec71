//! Byte-pair merging of one piece, with `tiktoken`'s exact merge order.
//!
//! The rule: repeatedly merge the adjacent pair of parts whose concatenation
//! is the token with the lowest rank, the leftmost one on ties, until no
//! adjacent pair is a token. Three strategies, all with that result:
//!
//! - short pieces (most words): a flat scan, fastest in a cache line or two;
//! - medium pieces: a heap with lazy invalidation, `O(n log n)`;
//! - long pieces (a run of one letter, a line of spaces, a paragraph of
//!   Thai): fixed windows merged separately, then stitched. Two adjacent
//!   tokens are *compatible* when merging their concatenation gives them
//!   back; the encoding of a text is the one tokenization whose adjacent
//!   pairs are all compatible (the property `bpe-openai`'s backtracking
//!   encoder rests on). So a seam between two windows is right as soon as
//!   the tokens on each side of it are compatible; otherwise the tokens
//!   around it are merged again, widening until both new edges are
//!   compatible. Windows with the same bytes are merged once, which makes
//!   runs of one character nearly free.

use super::vocab::Vocab;
use std::collections::{BinaryHeap, HashMap};

/// Pieces at least this long use the heap.
const LARGE: usize = 100;
/// Pieces at least this long are merged in windows.
const LONG: usize = 1024;
/// The window size for long pieces.
const WINDOW: usize = 256;
const NONE: u32 = u32::MAX;

/// Reusable buffers, so merging allocates nothing in the steady state.
#[derive(Default)]
pub(crate) struct Scratch {
    parts: Vec<Part>,
    pair_keys: Vec<u64>,
    pair_ranks: Vec<u32>,
    pair_owner: usize,
    state: Vec<State>,
    heap: BinaryHeap<std::cmp::Reverse<u64>>,
    bytes: Vec<u8>,
    tokens: Vec<u32>,
    out: Vec<u32>,
}

/// Appends the token ranks of `piece` to `out`.
#[inline]
pub(crate) fn encode(vocab: &Vocab, piece: &[u8], scratch: &mut Scratch, out: &mut Vec<u32>) {
    if let Some(rank) = vocab.rank(piece) {
        out.push(rank);
        return;
    }
    if piece.len() >= LONG {
        long(vocab, piece, scratch, out);
    } else {
        merge(vocab, piece, scratch, out);
    }
}

/// Merges `piece` with the flat scan or the heap, appending to `out`.
fn merge(vocab: &Vocab, piece: &[u8], scratch: &mut Scratch, out: &mut Vec<u32>) {
    if let Some(rank) = vocab.rank(piece) {
        out.push(rank);
    } else if piece.len() < LARGE {
        small(vocab, piece, scratch);
        out.extend(scratch.parts.iter().map(|p| p.token));
    } else {
        large(vocab, piece, scratch, |r| out.push(r));
    }
}

/// Whether merging the bytes of `a` then `b` gives back exactly `a, b`.
fn compatible(vocab: &Vocab, a: u32, b: u32, scratch: &mut Scratch) -> bool {
    let mut bytes = std::mem::take(&mut scratch.bytes);
    bytes.clear();
    bytes.extend_from_slice(vocab.token(a));
    bytes.extend_from_slice(vocab.token(b));
    let mut got = std::mem::take(&mut scratch.tokens);
    got.clear();
    merge(vocab, &bytes, scratch, &mut got);
    let ok = got.len() == 2 && got[0] == a && got[1] == b;
    scratch.bytes = bytes;
    scratch.tokens = got;
    ok
}

/// Long pieces: windows merged separately (each distinct window once), then
/// stitched at compatible seams. See the module documentation.
fn long(vocab: &Vocab, piece: &[u8], scratch: &mut Scratch, out: &mut Vec<u32>) {
    let base = out.len();
    let mut windows: HashMap<&[u8], Vec<u32>> = HashMap::new();
    let mut pairs: HashMap<(u32, u32), bool> = HashMap::new();
    let mut compat = |a: u32, b: u32, scratch: &mut Scratch| {
        *pairs
            .entry((a, b))
            .or_insert_with(|| compatible(vocab, a, b, scratch))
    };
    for window in piece.chunks(WINDOW) {
        if !windows.contains_key(window) {
            let mut tokens = Vec::new();
            merge(vocab, window, scratch, &mut tokens);
            windows.insert(window, tokens);
        }
        let right = &windows[window];
        let left_len = out.len() - base;
        if left_len == 0 || compat(out[out.len() - 1], right[0], scratch) {
            out.extend_from_slice(right);
            continue;
        }
        // Re-merge `j` tokens on each side of the seam, widening until the
        // new edges are compatible (at the widest, everything so far).
        let mut j = 1;
        loop {
            let lj = j.min(left_len);
            let rj = j.min(right.len());
            let cut = out.len() - lj;
            let mut region = Vec::new();
            for &t in out[cut..].iter().chain(&right[..rj]) {
                region.extend_from_slice(vocab.token(t));
            }
            let mut merged = Vec::new();
            merge(vocab, &region, scratch, &mut merged);
            let left_ok = lj == left_len || compat(out[cut - 1], merged[0], scratch);
            let right_ok =
                rj == right.len() || compat(merged[merged.len() - 1], right[rj], scratch);
            if left_ok && right_ok {
                out.truncate(cut);
                out.extend_from_slice(&merged);
                out.extend_from_slice(&right[rj..]);
                break;
            }
            j *= 2;
        }
    }
}

/// The number of tokens in `piece`.
#[inline]
pub(crate) fn count(vocab: &Vocab, piece: &[u8], scratch: &mut Scratch) -> usize {
    if vocab.rank(piece).is_some() {
        return 1;
    }
    if piece.len() >= LONG {
        let mut out = std::mem::take(&mut scratch.out);
        out.clear();
        long(vocab, piece, scratch, &mut out);
        let n = out.len();
        scratch.out = out;
        return n;
    }
    if piece.len() < LARGE {
        small(vocab, piece, scratch);
        scratch.parts.len()
    } else {
        let mut n = 0;
        large(vocab, piece, scratch, |_| n += 1);
        n
    }
}

/// One part of a piece during the flat merge.
#[derive(Clone, Copy)]
struct Part {
    /// Its first byte in the piece.
    start: u32,
    /// Its token.
    token: u32,
    /// The token made by merging it with the next part, or `NONE`.
    pair: u32,
}

/// Slots of the pair cache (a power of two).
const PAIR_CACHE: usize = 1 << 14;

impl Scratch {
    /// The token `a` and `b` merge into, through a small direct-mapped
    /// cache in front of the vocabulary: the same pairs come up again and
    /// again (every CJK character's bytes, common syllables), and a hit
    /// costs one cached load instead of hashing and comparing bytes.
    #[inline]
    fn pair(&mut self, vocab: &Vocab, a: u32, b: u32, bytes: &[u8]) -> u32 {
        let key = (u64::from(a) << 32) | u64::from(b);
        let slot = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 50) as usize;
        if self.pair_keys[slot] == key {
            return self.pair_ranks[slot];
        }
        let rank = vocab.rank(bytes).unwrap_or(NONE);
        self.pair_keys[slot] = key;
        self.pair_ranks[slot] = rank;
        rank
    }

    /// Makes the pair cache ready for `vocab` (it holds one vocabulary's
    /// pairs at a time).
    fn cache_for(&mut self, vocab: &Vocab) {
        let owner = vocab as *const Vocab as usize;
        if self.pair_owner != owner || self.pair_keys.is_empty() {
            self.pair_keys.clear();
            self.pair_keys.resize(PAIR_CACHE, u64::MAX);
            self.pair_ranks.clear();
            self.pair_ranks.resize(PAIR_CACHE, NONE);
            self.pair_owner = owner;
        }
    }
}

/// `tiktoken`'s flat merge, tracking each part's token so pairs are looked
/// up by token through [`Scratch::pair`]. Leaves the final parts in
/// `scratch.parts`.
fn small(vocab: &Vocab, piece: &[u8], scratch: &mut Scratch) {
    scratch.cache_for(vocab);
    let mut parts = std::mem::take(&mut scratch.parts);
    parts.clear();
    let n = piece.len();
    for (i, &b) in piece.iter().enumerate() {
        parts.push(Part {
            start: i as u32,
            token: vocab.byte(b),
            pair: NONE,
        });
    }
    let mut min = (NONE, usize::MAX);
    for i in 0..n - 1 {
        let rank = scratch.pair(vocab, parts[i].token, parts[i + 1].token, &piece[i..i + 2]);
        parts[i].pair = rank;
        if rank < min.0 {
            min = (rank, i);
        }
    }
    let end = |parts: &[Part], k: usize| {
        if k + 1 < parts.len() {
            parts[k + 1].start as usize
        } else {
            n
        }
    };
    while min.0 != NONE {
        let i = min.1;
        parts[i].token = parts[i].pair;
        parts.remove(i + 1);
        for k in [i.wrapping_sub(1), i] {
            if k < parts.len() {
                parts[k].pair = if k + 1 < parts.len() {
                    let bytes = &piece[parts[k].start as usize..end(&parts, k + 1)];
                    scratch.pair(vocab, parts[k].token, parts[k + 1].token, bytes)
                } else {
                    NONE
                };
            }
        }
        min = (NONE, usize::MAX);
        for (j, part) in parts.iter().enumerate() {
            if part.pair < min.0 {
                min = (part.pair, j);
            }
        }
    }
    scratch.parts = parts;
}

#[derive(Clone, Copy)]
struct State {
    prev: u32,
    end: u32,
    next_end: u32,
    next_rank: u32,
    /// The part's token (valid where a part starts).
    token: u32,
}

/// The heap merge, equivalent to `tiktoken`'s `_byte_pair_merge_large`.
/// Calls `emit` with each final token's rank, in order.
fn large(vocab: &Vocab, piece: &[u8], scratch: &mut Scratch, mut emit: impl FnMut(u32)) {
    scratch.cache_for(vocab);
    let n = piece.len();
    let mut state = std::mem::take(&mut scratch.state);
    let mut heap = std::mem::take(&mut scratch.heap);
    state.clear();
    heap.clear();
    let key = |rank: u32, start: usize| std::cmp::Reverse((u64::from(rank) << 32) | start as u64);
    for (i, &b) in piece.iter().enumerate() {
        state.push(State {
            prev: if i == 0 { NONE } else { i as u32 - 1 },
            end: i as u32 + 1,
            next_end: i as u32 + 2,
            next_rank: NONE,
            token: vocab.byte(b),
        });
    }
    for i in 0..n - 1 {
        let rank = scratch.pair(vocab, state[i].token, state[i + 1].token, &piece[i..i + 2]);
        state[i].next_rank = rank;
        if rank != NONE {
            heap.push(key(rank, i));
        }
    }

    // The pair of the part at `start` with the next one, which now ends at
    // `next_end`.
    let potential = |state: &mut Vec<State>,
                     heap: &mut BinaryHeap<std::cmp::Reverse<u64>>,
                     scratch: &mut Scratch,
                     start: usize,
                     next_end: usize| {
        state[start].next_end = next_end as u32;
        state[start].next_rank = NONE;
        if next_end <= n {
            let next = state[start].end as usize;
            let rank = scratch.pair(
                vocab,
                state[start].token,
                state[next].token,
                &piece[start..next_end],
            );
            if rank != NONE {
                heap.push(key(rank, start));
                state[start].next_rank = rank;
            }
        }
    };

    while let Some(std::cmp::Reverse(k)) = heap.pop() {
        let rank = (k >> 32) as u32;
        let left = (k & 0xFFFF_FFFF) as usize;
        if rank != state[left].next_rank {
            continue;
        }
        let right = state[left].end as usize;
        let right_end = state[left].next_end as usize;
        let right_next_end = state[right].next_end as usize;
        state[left].token = rank;
        state[left].end = right_end as u32;
        potential(&mut state, &mut heap, scratch, left, right_next_end);
        if right_end < n {
            state[right_end].prev = left as u32;
        }
        if left > 0 {
            let prev = state[left].prev as usize;
            potential(&mut state, &mut heap, scratch, prev, right_end);
        }
        state[right].next_rank = NONE;
    }

    let mut i = 0;
    while i < n {
        emit(state[i].token);
        i = state[i].end as usize;
    }
    scratch.state = state;
    scratch.heap = heap;
}

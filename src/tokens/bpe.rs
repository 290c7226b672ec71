//! Byte-pair merging of one piece, with `tiktoken`'s exact merge order.
//!
//! The rule: repeatedly merge the adjacent pair of parts whose concatenation
//! is the token with the lowest rank, the leftmost one on ties, until no
//! adjacent pair is a token. Short pieces use a flat scan (fastest when the
//! piece fits in a cache line or two); long ones use a heap with lazy
//! invalidation, so a megabyte of one letter costs `O(n log n)`, not
//! `O(n²)`.

use super::vocab::Vocab;
use std::collections::BinaryHeap;

/// Pieces at least this long use the heap.
const LARGE: usize = 64;
const NONE: u32 = u32::MAX;

/// Reusable buffers, so merging allocates nothing in the steady state.
#[derive(Default)]
pub(crate) struct Scratch {
    parts: Vec<(u32, u32)>,
    state: Vec<State>,
    heap: BinaryHeap<std::cmp::Reverse<u64>>,
}

/// Appends the token ranks of `piece` to `out`.
#[inline]
pub(crate) fn encode(vocab: &Vocab, piece: &[u8], scratch: &mut Scratch, out: &mut Vec<u32>) {
    if let Some(rank) = vocab.rank(piece) {
        out.push(rank);
        return;
    }
    if piece.len() < LARGE {
        small(vocab, piece, scratch);
        out.extend(
            scratch
                .parts
                .windows(2)
                .map(|w| rank_of(vocab, &piece[w[0].0 as usize..w[1].0 as usize])),
        );
    } else {
        large(vocab, piece, scratch, |r| out.push(r));
    }
}

/// The number of tokens in `piece`.
#[inline]
pub(crate) fn count(vocab: &Vocab, piece: &[u8], scratch: &mut Scratch) -> usize {
    if vocab.rank(piece).is_some() {
        return 1;
    }
    if piece.len() < LARGE {
        small(vocab, piece, scratch);
        scratch.parts.len() - 1
    } else {
        let mut n = 0;
        large(vocab, piece, scratch, |_| n += 1);
        n
    }
}

#[inline]
fn rank_of(vocab: &Vocab, bytes: &[u8]) -> u32 {
    // Every part is a token: single bytes are, and merges only make tokens.
    vocab.rank(bytes).unwrap_or(NONE)
}

/// `tiktoken`'s flat merge. Leaves `(start, rank of the pair starting here)`
/// for each part, plus an end sentinel, in `scratch.parts`.
fn small(vocab: &Vocab, piece: &[u8], scratch: &mut Scratch) {
    let parts = &mut scratch.parts;
    parts.clear();
    let mut min = (NONE, usize::MAX);
    for i in 0..piece.len() - 1 {
        let rank = vocab.rank(&piece[i..i + 2]).unwrap_or(NONE);
        if rank < min.0 {
            min = (rank, i);
        }
        parts.push((i as u32, rank));
    }
    parts.push((piece.len() as u32 - 1, NONE));
    parts.push((piece.len() as u32, NONE));

    let pair = |parts: &[(u32, u32)], i: usize| -> u32 {
        if i + 3 < parts.len() {
            vocab
                .rank(&piece[parts[i].0 as usize..parts[i + 3].0 as usize])
                .unwrap_or(NONE)
        } else {
            NONE
        }
    };
    while min.0 != NONE {
        let i = min.1;
        if i > 0 {
            parts[i - 1].1 = pair(parts, i - 1);
        }
        parts[i].1 = pair(parts, i);
        parts.remove(i + 1);
        min = (NONE, usize::MAX);
        for (j, &(_, rank)) in parts[..parts.len() - 1].iter().enumerate() {
            if rank < min.0 {
                min = (rank, j);
            }
        }
    }
}

#[derive(Clone, Copy)]
struct State {
    prev: u32,
    end: u32,
    next_end: u32,
    next_rank: u32,
    cur_rank: u32,
}

/// The heap merge, equivalent to `tiktoken`'s `_byte_pair_merge_large`.
/// Calls `emit` with each final token's rank, in order.
fn large(vocab: &Vocab, piece: &[u8], scratch: &mut Scratch, mut emit: impl FnMut(u32)) {
    let n = piece.len();
    let state = &mut scratch.state;
    let heap = &mut scratch.heap;
    state.clear();
    heap.clear();
    let key = |rank: u32, start: usize| std::cmp::Reverse((u64::from(rank) << 32) | start as u64);
    for i in 0..n {
        let next_rank = if i + 1 < n {
            vocab.rank(&piece[i..i + 2]).unwrap_or(NONE)
        } else {
            NONE
        };
        state.push(State {
            prev: if i == 0 { NONE } else { i as u32 - 1 },
            end: i as u32 + 1,
            next_end: i as u32 + 2,
            next_rank,
            cur_rank: NONE,
        });
    }
    heap.extend(
        state
            .iter()
            .enumerate()
            .filter(|(_, s)| s.next_rank != NONE)
            .map(|(i, s)| key(s.next_rank, i)),
    );

    let potential = |state: &mut Vec<State>,
                     heap: &mut BinaryHeap<std::cmp::Reverse<u64>>,
                     start: usize,
                     next_end: usize| {
        state[start].next_end = next_end as u32;
        state[start].next_rank = NONE;
        if next_end <= n {
            if let Some(rank) = vocab.rank(&piece[start..next_end]) {
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
        state[left].cur_rank = rank;
        state[left].end = right_end as u32;
        potential(state, heap, left, right_next_end);
        if right_end < n {
            state[right_end].prev = left as u32;
        }
        if left > 0 {
            let prev = state[left].prev as usize;
            potential(state, heap, prev, right_end);
        }
        state[right].next_rank = NONE;
    }

    let mut i = 0;
    while i < n {
        let s = state[i];
        emit(if s.cur_rank != NONE {
            s.cur_rank
        } else {
            rank_of(vocab, &piece[i..s.end as usize])
        });
        i = s.end as usize;
    }
}

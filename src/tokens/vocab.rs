//! The compact vocabulary: every token's bytes in rank order, and a hash
//! table from bytes to rank built when it is loaded.
//!
//! The file format (little-endian), written by `scripts/gen_vocab.py` from
//! OpenAI's `.tiktoken` rank files:
//!
//! | bytes | content |
//! |---|---|
//! | 8 | magic `PPVOCAB1` |
//! | 4 | number of tokens `N` (ranks are `0..N`) |
//! | 4 | total length of the token bytes |
//! | 1 + k | length of the encoding name, then the name |
//! | N | each token's length, in rank order |
//! | … | every token's bytes, concatenated in rank order |
//!
//! `o200k_base` is 1.6 MB raw (0.99 MB gzip), a third of the `.tiktoken`
//! text it comes from, and loads without parsing base64 or decimal ranks.

use super::TokenizerError;

const MAGIC: &[u8; 8] = b"PPVOCAB1";
const EMPTY: u32 = u32::MAX;
/// A slot holds `rank + 1` in its low 18 bits (0 is empty) and 14 more bits
/// of the key's hash above them.
const RANK_BITS: u32 = 18;
const RANK_MASK: u32 = (1 << RANK_BITS) - 1;

/// A loaded vocabulary.
#[derive(Debug, Clone)]
pub(crate) struct Vocab {
    name: String,
    /// Token bytes, concatenated in rank order.
    bytes: Vec<u8>,
    /// `offsets[r]..offsets[r + 1]` are the bytes of rank `r`.
    offsets: Vec<u32>,
    /// Open addressing (linear probing) from bytes to rank. Each slot holds
    /// the rank and 14 more bits of the key's hash, so a probe for bytes
    /// that are not a token (most probes while merging) is usually settled
    /// without touching the token bytes. 4 bytes a slot and zero for empty,
    /// so the table is small and starts as fresh zeroed memory.
    table: Vec<u32>,
    mask: usize,
    /// The rank of every single byte (all 256 are tokens).
    byte_rank: [u32; 256],
    /// The length of the longest token, in bytes.
    longest: usize,
}

impl Vocab {
    /// Parses the compact format.
    pub(crate) fn parse(data: &[u8]) -> Result<Vocab, TokenizerError> {
        let bad = |why: &str| TokenizerError::BadData(why.to_owned());
        if data.len() < 17 || &data[..8] != MAGIC {
            return Err(bad("not a Prompt Preflight vocabulary (wrong magic)"));
        }
        let n = u32::from_le_bytes(data[8..12].try_into().expect("4 bytes")) as usize;
        let total = u32::from_le_bytes(data[12..16].try_into().expect("4 bytes")) as usize;
        let name_len = data[16] as usize;
        let name_end = 17 + name_len;
        let lengths_end = name_end.checked_add(n).ok_or_else(|| bad("token count"))?;
        let end = lengths_end
            .checked_add(total)
            .ok_or_else(|| bad("byte count"))?;
        if data.len() != end {
            return Err(bad("truncated or oversized"));
        }
        if n >= RANK_MASK as usize {
            return Err(bad("too many tokens"));
        }
        let name = std::str::from_utf8(&data[17..name_end])
            .map_err(|_| bad("encoding name"))?
            .to_owned();
        let lengths = &data[name_end..lengths_end];
        let bytes = data[lengths_end..].to_vec();
        let mut offsets = Vec::with_capacity(n + 1);
        let mut at = 0u32;
        offsets.push(0);
        let mut longest = 0;
        for &len in lengths {
            if len == 0 {
                return Err(bad("empty token"));
            }
            longest = longest.max(len as usize);
            at += u32::from(len);
            offsets.push(at);
        }
        if at as usize != total {
            return Err(bad("token lengths do not add up"));
        }
        let capacity = (n * 2).next_power_of_two().max(1024);
        let mut vocab = Vocab {
            name,
            bytes,
            offsets,
            table: vec![0; capacity],
            mask: capacity - 1,
            byte_rank: [EMPTY; 256],
            longest,
        };
        let mut table = std::mem::take(&mut vocab.table);
        for rank in 0..n as u32 {
            let token = vocab.token(rank);
            let h = hash(token);
            let mut slot = h as usize & vocab.mask;
            loop {
                let there = table[slot];
                if there == 0 {
                    table[slot] = tag(h) | (rank + 1);
                    break;
                }
                if vocab.token((there & RANK_MASK) - 1) == token {
                    return Err(bad("duplicate token"));
                }
                slot = (slot + 1) & vocab.mask;
            }
            if token.len() == 1 {
                vocab.byte_rank[token[0] as usize] = rank;
            }
        }
        vocab.table = table;
        if vocab.byte_rank.contains(&EMPTY) {
            return Err(bad("not every byte is a token"));
        }
        Ok(vocab)
    }

    /// The encoding name stored in the file, e.g. `o200k_base`.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The bytes of the token with rank `rank`.
    #[inline]
    pub(crate) fn token(&self, rank: u32) -> &[u8] {
        let r = rank as usize;
        &self.bytes[self.offsets[r] as usize..self.offsets[r + 1] as usize]
    }

    /// The number of tokens.
    pub(crate) fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The length of the longest token, in bytes.
    pub(crate) fn longest(&self) -> usize {
        self.longest
    }

    /// The rank of `bytes`, when they are one token.
    #[inline]
    pub(crate) fn rank(&self, bytes: &[u8]) -> Option<u32> {
        if bytes.len() == 1 {
            return Some(self.byte_rank[bytes[0] as usize]);
        }
        if bytes.len() > self.longest {
            return None;
        }
        let h = hash(bytes);
        let tag = tag(h);
        let mut slot = h as usize & self.mask;
        loop {
            let there = self.table[slot];
            if there == 0 {
                return None;
            }
            if there & !RANK_MASK == tag {
                let rank = (there & RANK_MASK) - 1;
                if self.token(rank) == bytes {
                    return Some(rank);
                }
            }
            slot = (slot + 1) & self.mask;
        }
    }
}

impl Vocab {
    /// The rank of a single byte.
    #[inline]
    pub(crate) fn byte(&self, b: u8) -> u32 {
        self.byte_rank[b as usize]
    }
}

/// The hash bits stored in a slot (the top 14, which the slot index, taken
/// from the low bits, does not use).
#[inline]
fn tag(h: u64) -> u32 {
    ((h >> 50) as u32) << RANK_BITS
}

/// A fast non-cryptographic hash of a short byte string (tokens are at most
/// a few hundred bytes; most are under 8).
#[inline]
fn hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        h = (h.rotate_left(5) ^ w).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    h ^ (h >> 29)
}

//! The `tiktoken-rs` adapter.
//!
//! `tiktoken-rs` uses a backtracking regex for pre-tokenization, which
//! overflows its stack (and panics) on whitespace runs of about a million
//! characters. Such input is rejected up front and counted with a safe upper
//! bound instead: BPE never produces more tokens than the UTF-8 bytes it
//! covers.

use super::{Encoding, TokenCount};
use std::sync::OnceLock;
use tiktoken_rs::CoreBPE;

/// Longest whitespace run we hand to the engine; far below where it fails.
const MAX_WHITESPACE_RUN: usize = 100_000;

fn engine(encoding: Encoding) -> &'static CoreBPE {
    static O200K: OnceLock<CoreBPE> = OnceLock::new();
    static CL100K: OnceLock<CoreBPE> = OnceLock::new();
    // The rank tables are embedded in the binary; failing to load them is a
    // build defect, not an input problem.
    match encoding {
        Encoding::O200kBase => O200K
            .get_or_init(|| tiktoken_rs::o200k_base().expect("embedded o200k_base tables load")),
        Encoding::Cl100kBase => CL100K
            .get_or_init(|| tiktoken_rs::cl100k_base().expect("embedded cl100k_base tables load")),
    }
}

fn is_safe(text: &str) -> bool {
    let mut run = 0usize;
    for c in text.chars() {
        if c.is_whitespace() {
            run += 1;
            if run > MAX_WHITESPACE_RUN {
                return false;
            }
        } else {
            run = 0;
        }
    }
    true
}

pub(super) fn count(encoding: Encoding, text: &str) -> TokenCount {
    match encode(encoding, text) {
        Some(ids) => TokenCount {
            count: ids.len() as u64,
            exact: true,
        },
        None => TokenCount {
            count: text.len() as u64,
            exact: false,
        },
    }
}

pub(super) fn encode(encoding: Encoding, text: &str) -> Option<Vec<u32>> {
    if !is_safe(text) {
        return None;
    }
    Some(engine(encoding).encode_ordinary(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_whitespace_runs_are_estimated_not_crashed() {
        let text = format!("a{}b", " ".repeat(MAX_WHITESPACE_RUN + 1));
        let n = count(Encoding::Cl100kBase, &text);
        assert!(!n.exact);
        assert!(n.count >= 3);
    }

    #[test]
    fn both_encodings_count_exactly() {
        // "Hello world" is two tokens in both vocabularies.
        for &e in Encoding::ALL {
            assert_eq!(
                count(e, "Hello world"),
                TokenCount {
                    count: 2,
                    exact: true
                }
            );
        }
    }
}

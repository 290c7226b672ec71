//! Counting tokens exactly, the way the model's tokenizer does.
//!
//! Our own engine: hand-written pre-tokenizers that reproduce OpenAI's
//! patterns in one linear pass ([`pretokenize`]), and byte-pair merging with
//! `tiktoken`'s exact merge order ([`bpe`]). The token ids are identical to
//! `tiktoken`'s (`tests/tokens.rs` checks them on a multilingual corpus and
//! generated text), and no input makes it slow or crash: a megabyte of one
//! letter, of spaces or of digits is counted faster than a megabyte of
//! prose (see `BENCHMARKS.md`).
//!
//! The vocabularies are compact binary files (`data/*.bin`, see [`vocab`]).
//! Native builds embed them (the default `bundled-vocab` feature); the
//! browser build loads them on demand with [`install`], so a page does not
//! download megabytes before the user can type.

mod bpe;
pub(crate) mod classes;
mod estimate;
mod meter;
mod pretokenize;
mod vocab;

pub use estimate::Estimate;
pub use meter::{Edit, Meter};

use crate::{Encoding, Error};
use pretokenize::{Pieces, Rules};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use vocab::Vocab;

/// A problem with tokenizer data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenizerError {
    /// The bytes are not a vocabulary in Prompt Preflight's format.
    #[error("the tokenizer data is damaged: {0}")]
    BadData(String),
    /// The vocabulary is for an encoding we do not know.
    #[error("the tokenizer data is for '{0}', which is not a supported encoding")]
    UnknownEncoding(String),
}

impl TokenizerError {
    /// A stable snake_case code for programs.
    pub fn code(&self) -> &'static str {
        match self {
            TokenizerError::BadData(_) => "bad_tokenizer_data",
            TokenizerError::UnknownEncoding(_) => "unknown_encoding",
        }
    }
}

/// Whether a text is within a token limit, as far as can be told now.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitCheck {
    /// Whether the text is within the limit. Without the tokenizer, true
    /// only when its bytes alone are within it (a token is at least one
    /// byte, so that is certain); false when that cannot be told.
    pub within: bool,
    /// The exact count when within, a lower bound past the limit when
    /// not; `None` when the tokenizer is not available.
    pub count: Option<u64>,
}

/// The result of counting: the number of tokens, and whether it is exact.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenCount {
    /// Number of tokens (an upper estimate when `exact` is false).
    pub count: u64,
    /// Whether `count` is the exact tokenizer result.
    pub exact: bool,
}

/// The answer to "is this within `limit` tokens?", found without counting
/// past the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Within {
    /// Within the limit; the exact count.
    Yes(u64),
    /// Over the limit: more than `limit` tokens. The value is a lower bound
    /// on the count (at least `limit + 1`).
    No(u64),
}

/// A loaded tokenizer for one encoding.
pub struct Tokenizer {
    encoding: Encoding,
    vocab: Vocab,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("encoding", &self.encoding)
            .field("tokens", &self.vocab.len())
            .finish()
    }
}

impl Tokenizer {
    /// Loads a tokenizer from its compact vocabulary file
    /// (`data/o200k_base.bin` or `data/cl100k_base.bin`).
    pub fn from_bytes(data: &[u8]) -> Result<Tokenizer, TokenizerError> {
        let vocab = Vocab::parse(data)?;
        let encoding = Encoding::from_name(vocab.name())
            .map_err(|_| TokenizerError::UnknownEncoding(vocab.name().to_owned()))?;
        Ok(Tokenizer { encoding, vocab })
    }

    /// The encoding this tokenizer implements.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    fn pieces<'t>(&self, text: &'t str) -> Pieces<'t> {
        Pieces::new(text, self.encoding.rules())
    }

    /// The token ids of `text`, identical to `tiktoken`'s `encode_ordinary`
    /// (special-token text like `<|endoftext|>` is ordinary text).
    ///
    /// ```
    /// use prompt_preflight::Encoding;
    /// let t = Encoding::Cl100kBase.tokenizer().unwrap();
    /// assert_eq!(t.encode("Hello world"), vec![9906, 1917]);
    /// ```
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut out = Vec::with_capacity(text.len() / 4 + 1);
        with_scratch(|scratch| {
            for piece in self.pieces(text) {
                bpe::encode(&self.vocab, piece, scratch, &mut out);
            }
        });
        out
    }

    /// The number of tokens in `text`.
    ///
    /// ```
    /// use prompt_preflight::Encoding;
    /// let t = Encoding::O200kBase.tokenizer().unwrap();
    /// assert_eq!(t.count("Hello, world!"), 4);
    /// ```
    pub fn count(&self, text: &str) -> u64 {
        with_scratch(|scratch| {
            self.pieces(text)
                .map(|p| bpe::count(&self.vocab, p, scratch) as u64)
                .sum()
        })
    }

    /// Whether `text` is within `limit` tokens, stopping as soon as the
    /// answer is known: a megabyte against a limit of 8,000 reads only
    /// about the first 32 KB.
    ///
    /// ```
    /// use prompt_preflight::{Encoding, Within};
    /// let t = Encoding::O200kBase.tokenizer().unwrap();
    /// assert_eq!(t.within("Hello, world!", 10), Within::Yes(4));
    /// assert_eq!(t.within(&"word ".repeat(100_000), 8_000), Within::No(8_001));
    /// ```
    pub fn within(&self, text: &str, limit: u64) -> Within {
        with_scratch(|scratch| {
            let mut n = 0u64;
            for piece in self.pieces(text) {
                // A piece of k bytes is at least k / longest-token tokens: a
                // long piece can decide the answer before it is merged.
                let floor = piece.len().div_ceil(self.vocab.longest()) as u64;
                if n + floor > limit {
                    return Within::No(n + floor);
                }
                n += bpe::count(&self.vocab, piece, scratch) as u64;
                if n > limit {
                    return Within::No(n);
                }
            }
            Within::Yes(n)
        })
    }

    /// The end (in bytes) and token count of every pre-tokenizer piece of
    /// `text`: tokens never span pieces, so counts of runs of pieces add up.
    pub(crate) fn piece_counts(&self, text: &str) -> Vec<(usize, u64)> {
        let base = text.as_ptr() as usize;
        with_scratch(|scratch| {
            self.pieces(text)
                .map(|p| {
                    let end = p.as_ptr() as usize - base + p.len();
                    (end, bpe::count(&self.vocab, p, scratch) as u64)
                })
                .collect()
        })
    }

    /// The length in bytes of token `id`.
    pub(crate) fn token_len(&self, id: u32) -> usize {
        self.vocab.token(id).len()
    }

    /// The bytes of token ids (the inverse of [`Tokenizer::encode`]).
    /// Unknown ids are skipped.
    pub fn decode(&self, ids: &[u32]) -> Vec<u8> {
        let mut out = Vec::new();
        for &id in ids {
            if (id as usize) < self.vocab.len() {
                out.extend_from_slice(self.vocab.token(id));
            }
        }
        out
    }
}

thread_local! {
    /// Merge buffers and the pair cache, reused by every count on a thread.
    static SCRATCH: std::cell::RefCell<bpe::Scratch> = std::cell::RefCell::default();
}

/// Runs `f` with this thread's scratch space (or a fresh one if it is in
/// use, which only a count inside a count could cause).
fn with_scratch<R>(f: impl FnOnce(&mut bpe::Scratch) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => f(&mut scratch),
        Err(_) => f(&mut bpe::Scratch::default()),
    })
}

/// Installs a tokenizer from its vocabulary file, so counts with its
/// encoding become exact. Native builds have both vocabularies built in;
/// the browser build calls this once the file has been fetched. Installing
/// an encoding twice keeps the first.
pub fn install(data: &[u8]) -> Result<Encoding, TokenizerError> {
    let tokenizer = Tokenizer::from_bytes(data)?;
    let encoding = tokenizer.encoding;
    let _ = slot(encoding).set(tokenizer);
    Ok(encoding)
}

fn slot(encoding: Encoding) -> &'static OnceLock<Tokenizer> {
    static O200K: OnceLock<Tokenizer> = OnceLock::new();
    static CL100K: OnceLock<Tokenizer> = OnceLock::new();
    match encoding {
        Encoding::O200kBase => &O200K,
        Encoding::Cl100kBase => &CL100K,
    }
}

impl Encoding {
    fn rules(self) -> Rules {
        match self {
            Encoding::O200kBase => Rules::O200k,
            Encoding::Cl100kBase => Rules::Cl100k,
        }
    }

    /// Looks an encoding up by its canonical name.
    ///
    /// ```
    /// use prompt_preflight::Encoding;
    /// assert_eq!(Encoding::from_name("cl100k_base").unwrap(), Encoding::Cl100kBase);
    /// assert!(Encoding::from_name("nope").is_err());
    /// ```
    pub fn from_name(name: &str) -> Result<Encoding, Error> {
        Encoding::ALL
            .iter()
            .copied()
            .find(|e| e.name() == name)
            .ok_or_else(|| Error::UnknownEncoding(name.to_owned()))
    }

    /// The vocabulary file built into native builds.
    #[cfg(feature = "bundled-vocab")]
    pub fn bundled_vocab(self) -> &'static [u8] {
        match self {
            Encoding::O200kBase => include_bytes!("../data/o200k_base.bin"),
            Encoding::Cl100kBase => include_bytes!("../data/cl100k_base.bin"),
        }
    }

    /// The tokenizer, when it is available: always in native builds, and in
    /// the browser once [`install`] has loaded it.
    pub fn tokenizer(self) -> Option<&'static Tokenizer> {
        let slot = slot(self);
        #[cfg(feature = "bundled-vocab")]
        if slot.get().is_none() {
            let _ = slot.set(
                Tokenizer::from_bytes(self.bundled_vocab())
                    .expect("the bundled vocabulary is valid (tested)"),
            );
        }
        slot.get()
    }

    /// Counts the tokens of `text`: exactly when the tokenizer is available,
    /// otherwise an upper bound (one token per byte) marked not exact.
    ///
    /// ```
    /// use prompt_preflight::Encoding;
    /// let n = Encoding::O200kBase.count("Hello, world!");
    /// assert_eq!((n.count, n.exact), (4, true));
    /// ```
    pub fn count(self, text: &str) -> TokenCount {
        match self.tokenizer() {
            Some(t) => TokenCount {
                count: t.count(text),
                exact: true,
            },
            None => TokenCount {
                count: text.len() as u64,
                exact: false,
            },
        }
    }

    /// Whether `text` is within `limit` tokens, counting no further than
    /// needed to tell.
    ///
    /// ```
    /// use prompt_preflight::Encoding;
    /// let check = Encoding::O200kBase.check_limit("Hello, world!", 3);
    /// assert_eq!((check.within, check.count), (false, Some(4)));
    /// ```
    pub fn check_limit(self, text: &str, limit: u64) -> LimitCheck {
        match self.tokenizer() {
            Some(t) => match t.within(text, limit) {
                Within::Yes(n) => LimitCheck {
                    within: true,
                    count: Some(n),
                },
                Within::No(n) => LimitCheck {
                    within: false,
                    count: Some(n),
                },
            },
            None => LimitCheck {
                within: text.len() as u64 <= limit,
                count: None,
            },
        }
    }

    /// Encodes `text` into token ids, when the tokenizer is available.
    pub fn encode(self, text: &str) -> Option<Vec<u32>> {
        self.tokenizer().map(|t| t.encode(text))
    }
}

impl std::str::FromStr for Encoding {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Encoding::from_name(s)
    }
}

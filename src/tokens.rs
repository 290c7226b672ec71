//! Counting tokens exactly, the way the model's tokenizer does.
//!
//! One [`Encoding`] per tokenizer family. The engine behind it is
//! `tiktoken-rs` for now (token ids identical to OpenAI's `tiktoken`),
//! wrapped so that input it cannot handle safely gets an upper estimate
//! marked `exact: false` instead of a crash.

mod tiktoken;

use crate::Error;
use serde::{Deserialize, Serialize};

/// A token encoding (tokenizer vocabulary and pre-tokenization rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Encoding {
    /// GPT-4o, GPT-4.1, GPT-5 and the o-series.
    O200kBase,
    /// GPT-4 and GPT-3.5.
    Cl100kBase,
}

/// The result of counting: the number of tokens, and whether it is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenCount {
    /// Number of tokens (an upper estimate when `exact` is false).
    pub count: u64,
    /// Whether `count` is the exact tokenizer result.
    pub exact: bool,
}

impl Encoding {
    /// Every supported encoding.
    pub const ALL: &'static [Encoding] = &[Encoding::O200kBase, Encoding::Cl100kBase];

    /// The encoding's canonical name, e.g. `o200k_base`.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::O200kBase => "o200k_base",
            Encoding::Cl100kBase => "cl100k_base",
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

    /// Counts the tokens of `text`.
    ///
    /// ```
    /// use prompt_preflight::Encoding;
    /// let n = Encoding::O200kBase.count("Hello, world!");
    /// assert_eq!((n.count, n.exact), (4, true));
    /// ```
    pub fn count(self, text: &str) -> TokenCount {
        tiktoken::count(self, text)
    }

    /// Encodes `text` into token ids. Returns `None` for the rare inputs
    /// the engine cannot encode safely (see [`TokenCount::exact`]).
    pub fn encode(self, text: &str) -> Option<Vec<u32>> {
        tiktoken::encode(self, text)
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Encoding {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Encoding::from_name(s)
    }
}

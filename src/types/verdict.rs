//! The verdict: what a report comes to, in one line, the one a page shows.

use serde::{Deserialize, Serialize};

/// What a report comes to.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum VerdictState {
    /// Nothing stands in the way.
    Ready,
    /// It can be sent, but warnings are worth a look first.
    Warnings,
    /// There is nothing to check yet.
    Empty,
    /// Too long for the plan or the model; the report's actions say what
    /// can be done.
    OverLimit,
    /// Problems to fix before it can be sent.
    Fix,
}

/// The one verdict on an input, in words: browser and server show this
/// line, never one of their own. Whether it can be sent is the report's
/// `ok`.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// What it comes to, a stable snake_case code.
    pub state: VerdictState,
    /// The verdict in plain language, e.g. "2 problems to fix before
    /// sending."
    pub message: String,
}

//! One change `prepare` makes, as its manifest lists it.

use super::Location;
use serde::{Deserialize, Serialize};

/// The most items (names, previews, places) a step lists; its `count`
/// holds the full number.
pub const MAX_LISTED: usize = 20;

/// The kinds of change.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StepKind {
    /// Columns the contract does not use were removed.
    ColumnsRemoved,
    /// Rows with no values were removed.
    BlankRowsRemoved,
    /// Rows identical to an earlier row were removed.
    DuplicateRowsRemoved,
    /// Long cells were cut, with a visible marker.
    CellsShortened,
    /// Runs of spaces, trailing spaces and extra blank lines were removed.
    WhitespaceCollapsed,
    /// Lines repeated at page or section edges (headers, footers) were
    /// removed.
    BoilerplateRemoved,
    /// HTML or XML tags and comments were removed.
    MarkupRemoved,
    /// Sections least relevant to the question were left out.
    SectionsOmitted,
    /// The table was written in the contract's format.
    Reformatted,
    /// The input was split into parts.
    Split,
}

/// One change.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// What kind of change, a stable snake_case code.
    pub kind: StepKind,
    /// The change in plain language.
    pub message: String,
    /// How many things it touched (columns, rows, cells, lines, sections,
    /// parts).
    pub count: u64,
    /// Characters removed, where that is the measure.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub chars: u64,
    /// Tokens removed, for sections left out.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tokens: u64,
    /// What was touched: column names, removed lines, section previews
    /// (at most [`MAX_LISTED`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<String>,
    /// Where (at most [`MAX_LISTED`] places).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub at: Vec<Location>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Step {
    pub(crate) fn new(kind: StepKind, count: u64, message: String) -> Step {
        Step {
            kind,
            message,
            count,
            chars: 0,
            tokens: 0,
            items: Vec::new(),
            at: Vec::new(),
        }
    }

    pub(crate) fn with_items(mut self, items: impl IntoIterator<Item = String>) -> Step {
        self.items = items.into_iter().take(MAX_LISTED).collect();
        self
    }

    pub(crate) fn with_at(mut self, at: impl IntoIterator<Item = Location>) -> Step {
        self.at = at.into_iter().take(MAX_LISTED).collect();
        self
    }

    pub(crate) fn with_chars(mut self, chars: u64) -> Step {
        self.chars = chars;
        self
    }

    pub(crate) fn with_tokens(mut self, tokens: u64) -> Step {
        self.tokens = tokens;
        self
    }
}

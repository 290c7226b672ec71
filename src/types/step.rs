//! The kinds of change `prepare` makes, named in its manifest.

use serde::{Deserialize, Serialize};

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

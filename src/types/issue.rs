//! An issue: one problem in the input, where it is, how serious it is, and
//! what the product can do about it.

use super::Code;
use serde::{Deserialize, Serialize};

/// How serious an issue is.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The input cannot be used as it is.
    Error,
    /// The input can be used, but the result may suffer.
    Warning,
    /// Worth knowing; nothing to fix.
    Info,
}

/// One problem in the input, explained for the person who sent it.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    /// Stable snake_case code, e.g. `missing_column`.
    pub code: Code,
    /// How serious it is.
    pub severity: Severity,
    /// What is wrong, in plain language.
    pub message: String,
    /// What to do about it.
    pub hint: String,
    /// Something that works, where an example helps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
    /// Where it is (the first place, for grouped issues).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Location>,
    /// How many places have this problem, for grouped issues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// What the product can do about it for the user, as buttons.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Action>,
}

/// Something the product can do to fix an issue, offered to the user.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Action {
    /// Remove what the contract does not need (columns, blank and
    /// duplicate rows, boilerplate).
    Trim,
    /// Keep only the sections most relevant to the user's question.
    KeepRelevant,
    /// Split the input into parts of at most `max_tokens` and process them
    /// one by one.
    Split {
        /// How many parts, at least.
        parts: u64,
        /// The most tokens in each part.
        max_tokens: u64,
    },
    /// Use a plan with a higher limit.
    Upgrade {
        /// The plan.
        tier: String,
        /// Its per-request limit.
        max_input_tokens: u64,
    },
}

/// A place in the input. Rows and lines are 1-based, as users count them:
/// in a CSV, `row` 1 is the first row after the header; in a workbook,
/// `row` is the sheet's row number as the spreadsheet shows it.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// The sheet of a workbook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// The data row of a table (row 1 is the first row after the header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    /// The column name of a table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The line of the file or text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

impl Location {
    /// A line of a file or text.
    pub fn line(line: u64) -> Self {
        Location {
            line: Some(line),
            ..Location::default()
        }
    }

    /// A column of a table.
    pub fn column(name: impl Into<String>) -> Self {
        Location {
            column: Some(name.into()),
            ..Location::default()
        }
    }
}

/// Orders issues most severe first, keeping the order found within a
/// severity: the one ordering every list of issues has.
pub(crate) fn most_severe_first(issues: &mut [Issue]) {
    issues.sort_by_key(|i| i.severity);
}

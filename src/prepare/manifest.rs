//! The manifest: every change `prepare` made, in words and in numbers.

use crate::words::{and_list, group_digits, plural};
use crate::Location;
use serde::{Deserialize, Serialize};

/// The most items (names, previews, places) a step lists; its `count`
/// holds the full number.
pub const MAX_LISTED: usize = 20;

/// What [`prepare`](crate::prepare()) changed, so that nothing is removed
/// silently.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// One sentence for the user, e.g. "We removed 3 columns you don't
    /// need and 120 duplicate rows: 9,800 → 1,900 tokens."
    pub summary: String,
    /// The input's tokens as it was read.
    pub tokens_before: u64,
    /// The prepared input's tokens (all parts together).
    pub tokens_after: u64,
    /// Each change, in the order made.
    pub steps: Vec<Step>,
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

    /// The step as a verb and its object, for the summary.
    fn phrase(&self) -> (&'static str, String) {
        let n = self.count;
        match self.kind {
            StepKind::ColumnsRemoved => (
                "removed",
                plural(n, "column you don't need", "columns you don't need"),
            ),
            StepKind::BlankRowsRemoved => ("removed", plural(n, "blank row", "blank rows")),
            StepKind::DuplicateRowsRemoved => {
                ("removed", plural(n, "duplicate row", "duplicate rows"))
            }
            StepKind::BoilerplateRemoved => (
                "removed",
                plural(
                    n,
                    "repeated header or footer line",
                    "repeated header or footer lines",
                ),
            ),
            StepKind::MarkupRemoved => ("removed", "markup".to_owned()),
            StepKind::CellsShortened => ("shortened", plural(n, "long cell", "long cells")),
            StepKind::WhitespaceCollapsed => ("tidied", "extra white space".to_owned()),
            StepKind::SectionsOmitted => (
                "left out",
                format!(
                    "{} least related to your question",
                    plural(n, "section", "sections")
                ),
            ),
            StepKind::Reformatted => ("wrote", self.items.first().cloned().unwrap_or_default()),
            StepKind::Split => ("split", format!("it into {n} parts")),
        }
    }
}

impl Manifest {
    /// A manifest of `steps`, with its summary written.
    pub(crate) fn new(tokens_before: u64, tokens_after: u64, steps: Vec<Step>) -> Manifest {
        let summary = summary(tokens_before, tokens_after, &steps);
        Manifest {
            summary,
            tokens_before,
            tokens_after,
            steps,
        }
    }

    /// Whether a step of `kind` was made.
    pub fn has(&self, kind: StepKind) -> bool {
        self.steps.iter().any(|s| s.kind == kind)
    }
}

/// "We removed A, B and C, and shortened D: 9,800 → 1,900 tokens."
fn summary(before: u64, after: u64, steps: &[Step]) -> String {
    let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
    for step in steps {
        let (verb, object) = step.phrase();
        match groups.last_mut() {
            Some((v, objects)) if *v == verb => objects.push(object),
            _ => groups.push((verb, vec![object])),
        }
    }
    let unit = if after == 1 { "token" } else { "tokens" };
    let tokens = if before == after {
        format!("{} {unit}", group_digits(after))
    } else {
        format!("{} → {} {unit}", group_digits(before), group_digits(after))
    };
    if groups.is_empty() {
        // Without a step, only the white space around the input can differ.
        return if before == after {
            format!("Nothing needed changing: {tokens}.")
        } else {
            format!("Only white space at its start or end changed: {tokens}.")
        };
    }
    let clauses: Vec<String> = groups
        .into_iter()
        .map(|(verb, objects)| format!("{verb} {}", and_list(&objects)))
        .collect();
    let sentence = match clauses.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{}, and {last}", rest.join(", ")),
        _ => clauses.concat(),
    };
    format!("We {sentence}: {tokens}.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_groups_verbs() {
        let steps = vec![
            Step::new(StepKind::ColumnsRemoved, 3, String::new()),
            Step::new(StepKind::DuplicateRowsRemoved, 120, String::new()),
        ];
        assert_eq!(
            summary(9800, 1900, &steps),
            "We removed 3 columns you don't need and 120 duplicate rows: 9,800 → 1,900 tokens."
        );
        let steps = vec![
            Step::new(StepKind::BlankRowsRemoved, 1, String::new()),
            Step::new(StepKind::CellsShortened, 2, String::new()),
            Step::new(StepKind::Split, 4, String::new()),
        ];
        assert_eq!(
            summary(10, 10, &steps),
            "We removed 1 blank row, shortened 2 long cells, and split it into 4 parts: 10 tokens."
        );
        assert_eq!(summary(5, 5, &[]), "Nothing needed changing: 5 tokens.");
        assert_eq!(summary(1, 1, &[]), "Nothing needed changing: 1 token.");
        assert_eq!(
            summary(2, 1, &[]),
            "Only white space at its start or end changed: 2 → 1 token."
        );
    }
}

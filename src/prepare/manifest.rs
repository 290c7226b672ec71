//! The manifest: every change `prepare` made, in words and in numbers.

use crate::messages::prepare;
use crate::{Step, StepKind};
use serde::{Deserialize, Serialize};

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

impl Manifest {
    /// A manifest of `steps`, with its summary written.
    pub(crate) fn new(tokens_before: u64, tokens_after: u64, steps: Vec<Step>) -> Manifest {
        let phrases: Vec<(&str, String)> = steps
            .iter()
            .map(|s| prepare::step_phrase(s.kind, s.count, s.items.first().map(String::as_str)))
            .collect();
        let summary = prepare::summary(tokens_before, tokens_after, &phrases);
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
            Manifest::new(9800, 1900, steps.clone()).summary,
            "We removed 3 columns you don't need and 120 duplicate rows: 9,800 → 1,900 tokens."
        );
        let steps = vec![
            Step::new(StepKind::BlankRowsRemoved, 1, String::new()),
            Step::new(StepKind::CellsShortened, 2, String::new()),
            Step::new(StepKind::Split, 4, String::new()),
        ];
        assert_eq!(
            Manifest::new(10, 10, steps.clone()).summary,
            "We removed 1 blank row, shortened 2 long cells, and split it into 4 parts: 10 tokens."
        );
        assert_eq!(
            Manifest::new(5, 5, Vec::new()).summary,
            "Nothing needed changing: 5 tokens."
        );
        assert_eq!(
            Manifest::new(1, 1, Vec::new()).summary,
            "Nothing needed changing: 1 token."
        );
        assert_eq!(
            Manifest::new(2, 1, Vec::new()).summary,
            "Only white space at its start or end changed: 2 → 1 token."
        );
    }
}

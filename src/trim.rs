//! Trimming: what every mode of [`prepare`](crate::prepare()) removes
//! first, and whether it would remove anything at all.
//!
//! - a **table** loses the columns the contract does not use (unless its
//!   policy is `extra_columns = "allow"`), blank and duplicate rows, runs
//!   of white space inside cells and the length of very long cells;
//! - **text** loses markup (when the contract says so), lines repeated at
//!   the edges of pages or paragraphs (headers and footers) and extra
//!   white space.
//!
//! The check asks for [`trimmed`] before it offers the Trim action, so the
//! action is only offered where it removes something, and a split is
//! offered for the size that is left.

pub(crate) mod table;
pub(crate) mod text;

use crate::{Contract, Document, InputKind, StepKind};

/// The input as the model would read it once trimmed, when trimming
/// removes anything: the one rule for offering the Trim action, and the
/// size the other offers are made for. Rewriting a table in another
/// format is not removing.
pub(crate) fn trimmed(contract: &Contract, doc: &Document) -> Option<String> {
    match doc.parsed_table() {
        Some(t) => {
            let (rows, steps) = table::trim(t, contract.input.table.as_ref(), &contract.prepare);
            steps
                .iter()
                .any(|s| s.kind != StepKind::Reformatted)
                .then(|| table::write(&rows, contract.prepare.table_format).all())
        }
        None if matches!(doc.info.kind, InputKind::Json | InputKind::Jsonl) => None,
        None => text::trimmed(&doc.text, contract.prepare.strip_markup),
    }
}

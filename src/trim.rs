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

use crate::contract::TableFormat;
use crate::{Contract, Document, InputKind, Step};

/// An input once trimmed, before it is written for the model.
pub(crate) enum Body {
    Text(String),
    Json(String),
    Table(table::Rows),
}

impl Body {
    /// The body as the model reads it.
    pub(crate) fn render(&self, format: TableFormat) -> String {
        match self {
            Body::Text(t) | Body::Json(t) => t.clone(),
            // Only files hold tables: a build that reads none (the browser's
            // meter module) leaves the table writer out.
            Body::Table(rows) if cfg!(feature = "readers") => table::write(rows, format).all(),
            Body::Table(_) => String::new(),
        }
    }
}

/// Trims `doc` for `contract`: what every mode of `prepare` does first. A
/// JSON document that is not a table is kept as written.
pub(crate) fn trim(contract: &Contract, doc: &Document) -> (Body, Vec<Step>) {
    match doc.parsed_table() {
        Some(t) => {
            let (rows, steps) = table::trim(t, contract.input.table.as_ref(), &contract.prepare);
            (Body::Table(rows), steps)
        }
        None if matches!(doc.info.kind, InputKind::Json | InputKind::Jsonl) => {
            (Body::Json(doc.text.clone()), Vec::new())
        }
        None => {
            let (text, steps) = text::trim(&doc.text, contract.prepare.strip_markup);
            (Body::Text(text), steps)
        }
    }
}

/// The input as the model would read it once trimmed, when trimming
/// removes anything: the one rule for offering the Trim action, and the
/// size the other offers are made for.
pub(crate) fn trimmed(contract: &Contract, doc: &Document) -> Option<String> {
    let (body, steps) = trim(contract, doc);
    (!steps.is_empty()).then(|| body.render(contract.prepare.table_format))
}

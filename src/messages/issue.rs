//! Builders of concrete issues, one per situation: the catalogue entry of
//! the code, with this input's numbers, names and places filled in. One
//! file per domain, as `ingest/` is split.

use super::*;

mod chunk;
mod csv;
mod input;
mod json;
mod pdf;
mod schema;
mod sheet;
mod size;

pub use chunk::*;
pub use csv::*;
pub use input::*;
pub use json::*;
pub use pdf::*;
pub use schema::*;
pub use sheet::*;
pub use size::*;

fn make(code: Code, message: String, hint: String, at: Option<Location>) -> Issue {
    let entry = code.entry();
    Issue {
        code,
        severity: entry.severity,
        message,
        hint,
        example: entry.example.map(str::to_owned),
        at,
        count: None,
        actions: Vec::new(),
    }
}

fn rows_have(count: u64) -> String {
    if count == 1 {
        "1 row has".to_owned()
    } else {
        format!("{} rows have", group_digits(count))
    }
}

/// A generic issue from the catalogue entry, with a specific message.
fn catalogued(code: Code, message: String, at: Option<Location>) -> Issue {
    make(code, message, code.entry().hint.into(), at)
}

fn grouped_count(mut issue: Issue, count: u64) -> Issue {
    issue.count = Some(count);
    issue
}

//! The wording of progress: what a long check or prepare is doing.

use crate::words::{human_size, plural};

/// "Reading customers.xlsx (2.1 MB)", or "Reading your text".
pub(crate) fn reading(name: Option<&str>, bytes: usize) -> String {
    match name {
        Some(name) => format!("Reading {name} ({})", human_size(bytes as u64)),
        None => "Reading your text".to_owned(),
    }
}

/// "Reading sheet 2 of 3 ('Orders')".
#[cfg(feature = "readers")]
pub(crate) fn reading_sheet(number: usize, count: usize, name: &str) -> String {
    format!("Reading sheet {number} of {count} ('{name}')")
}

/// "Checking 40,000 rows against the columns".
pub(crate) fn checking_rows(rows: usize) -> String {
    format!(
        "Checking {} against the columns",
        plural(rows as u64, "row", "rows")
    )
}

/// Counting the request's tokens.
pub(crate) fn counting_tokens() -> String {
    "Counting tokens".to_owned()
}

/// Over the limit: finding out what trimming would leave.
pub(crate) fn measuring_trim() -> String {
    "Working out what trimming would save".to_owned()
}

/// Prepare's trim.
pub(crate) fn trimming() -> String {
    "Removing what this task doesn't need".to_owned()
}

/// Prepare's selection of what matches the question.
pub(crate) fn keeping_relevant() -> String {
    "Finding the parts that match your question".to_owned()
}

/// Prepare's split.
pub(crate) fn splitting() -> String {
    "Splitting into parts that each fit".to_owned()
}

/// Prepare's plan: the requests and their cost.
pub(crate) fn planning(parts: usize) -> String {
    format!(
        "Counting the tokens and cost of {}",
        plural(parts as u64, "part", "parts")
    )
}

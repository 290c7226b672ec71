//! The shape of a table: its header, its rows and its quoting.

use super::*;

/// Header names with spaces around them, e.g. `"email "`.
pub fn padded_headers(names: &[&str], at: Location) -> Issue {
    let quoted: Vec<String> = names.iter().take(5).map(|n| format!("'{n}'")).collect();
    let issue = catalogued(
        Code::PaddedHeader,
        format!(
            "{} spaces around {}: {}. We ignored the spaces when matching column names.",
            if names.len() == 1 {
                "1 column name has".to_owned()
            } else {
                format!("{} column names have", names.len())
            },
            if names.len() == 1 { "it" } else { "them" },
            quoted.join(", ")
        ),
        Some(at),
    );
    grouped_count(issue, names.len() as u64)
}

/// A header name appears more than once (positions are 1-based).
pub fn duplicate_header(name: &str, first: usize, again: usize, line: u64) -> Issue {
    catalogued(
        Code::DuplicateHeader,
        format!("The column name '{name}' is used twice: in column {first} and column {again}."),
        Some(Location {
            column: Some(name.to_owned()),
            line: Some(line),
            ..Location::default()
        }),
    )
}

/// A header cell is empty (position is 1-based).
pub fn blank_header(position: usize, line: u64) -> Issue {
    catalogued(
        Code::BlankHeader,
        format!("Column {position} has no name in the header row."),
        Some(Location::line(line)),
    )
}

/// Rows whose cell count differs from the header's.
pub fn ragged_rows(
    count: u64,
    first_row: u64,
    first_line: u64,
    found: usize,
    expected: usize,
) -> Issue {
    let mut issue = catalogued(
        Code::RaggedRow,
        format!(
            "{} a different number of cells than the header ({expected}), first at row {first_row} (line {first_line}), which has {}.",
            rows_have(count),
            plural(found as u64, "cell", "cells"),
        ),
        Some(Location {
            row: Some(first_row),
            line: Some(first_line),
            ..Location::default()
        }),
    );
    issue.count = Some(count);
    issue
}

/// More rows (or cells, columns) than the limit; `unit` says which.
pub fn too_many_rows(found: u64, max: u64, unit: &str) -> Issue {
    catalogued(
        Code::TooManyRows,
        format!(
            "The table has {} {unit}; the most we accept is {}.",
            group_digits(found),
            group_digits(max)
        ),
        None,
    )
}

/// The first row looks like data.
pub fn no_header(first_row: &str, line: u64) -> Issue {
    let mut shown: String = first_row.chars().take(60).collect();
    if shown.len() < first_row.len() {
        shown.push('…');
    }
    catalogued(
        Code::NoHeader,
        format!("The first row ('{shown}') looks like data, not like column names."),
        Some(Location::line(line)),
    )
}

/// The header was found on `line`, after `skipped` lines.
///
/// `unit` is `"line"` for text files and `"row"` for sheets.
pub fn header_not_first_row(line: u64, skipped: u64, unit: &str) -> Issue {
    catalogued(
        Code::HeaderNotFirstRow,
        format!(
            "The column names are on {unit} {line}; the {} above {} skipped.",
            plural(skipped, unit, &format!("{unit}s")),
            if skipped == 1 { "it was" } else { "them were" }
        ),
        Some(Location::line(line)),
    )
}

/// Empty rows in a table, first at `at`.
pub fn blank_rows(count: u64, at: Location) -> Issue {
    let issue = catalogued(
        Code::BlankRows,
        format!(
            "The table has {}; {} ignored.",
            plural(count, "empty row", "empty rows"),
            if count == 1 { "it is" } else { "they are" }
        ),
        Some(at),
    );
    grouped_count(issue, count)
}

/// A quote mark inside an unquoted value, first at `line`.
pub fn unescaped_quote(count: u64, line: u64) -> Issue {
    let issue = catalogued(
        Code::UnescapedQuote,
        format!(
            "{} a quote mark that is not escaped, first at line {line}, so {} may be split wrongly.",
            if count == 1 { "1 line has".to_owned() } else { format!("{} lines have", group_digits(count)) },
            if count == 1 { "that row" } else { "those rows" }
        ),
        Some(Location::line(line)),
    );
    grouped_count(issue, count)
}

/// A quoted value opened on `line` is never closed, so everything after
/// it was read as one value.
pub fn unclosed_quote(line: u64) -> Issue {
    let mut issue = catalogued(
        Code::UnescapedQuote,
        format!("A quote mark on line {line} opens a value that is never closed, so the rest of the file was read as one value."),
        Some(Location::line(line)),
    );
    issue.severity = Severity::Error;
    issue
}

/// Quote marks escaped with a backslash (`\"`), the first at `line`.
pub fn backslash_escaped_quotes(count: u64, line: u64) -> Issue {
    let mut issue = unescaped_quote(count, line);
    issue.hint = "This file escapes quote marks with a backslash (\\\"), which spreadsheet programs do not read. Write two quote marks instead (\"\"), or export the file again as standard CSV.".into();
    issue
}

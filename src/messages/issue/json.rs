//! JSON and JSON Lines.

use super::*;

/// Nesting deeper than the limit, first reached at `at`.
pub fn too_deep(max: u64, at: Option<Location>) -> Issue {
    catalogued(
        Code::TooDeep,
        format!("The data is nested more than {max} levels deep, which we don't accept."),
        at,
    )
}

/// Invalid JSON at `line`/`column` (1-based); `what` is a plain reason.
pub fn invalid_json(what: &str, line: u64, column: u64) -> Issue {
    catalogued(
        Code::InvalidJson,
        format!("The file is not valid JSON: {what} at line {line}, character {column}."),
        Some(Location::line(line)),
    )
}

/// Bad lines in JSON Lines, the first at `line` for `what`.
pub fn invalid_jsonl_lines(count: u64, line: u64, what: &str) -> Issue {
    let issue = catalogued(
        Code::InvalidJsonlLine,
        format!(
            "{} not valid JSON, first at line {line} ({what}); the other lines were read.",
            if count == 1 {
                "1 line is".to_owned()
            } else {
                format!("{} lines are", group_digits(count))
            }
        ),
        Some(Location::line(line)),
    );
    grouped_count(issue, count)
}

/// JSON records that lack `key` (a dotted path for nested keys):
/// `count` of them, the first at `at` (record number and line).
pub fn inconsistent_keys(key: &str, count: u64, at: Location) -> Issue {
    let record = at.row.unwrap_or(0);
    let line = at.line.map(|l| format!(" (line {l})")).unwrap_or_default();
    let message = if count == 1 {
        format!("1 record lacks the key '{key}': record {record}{line}; its value is left empty.")
    } else {
        format!(
            "{} records lack the key '{key}', first at record {record}{line}; their values are left empty.",
            group_digits(count)
        )
    };
    grouped_count(catalogued(Code::InconsistentKeys, message, Some(at)), count)
}

//! Checking a parsed table against the contract's declared columns.

mod values;

pub use values::{fits, is_null};

use crate::contract::{ExtraColumns, TableSpec};
use crate::ingest::Table;
use crate::{messages::issue, Issue};

pub use crate::words::normalize_header;
use crate::words::{edit_distance, skeleton};

/// The header among `candidates` that looks like `wanted`, if any.
fn near_miss<'a>(wanted: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let want = skeleton(wanted);
    let allowed = if want.chars().count() >= 5 { 2 } else { 1 };
    candidates
        .iter()
        .map(|c| (edit_distance(&want, &skeleton(c)), *c))
        .filter(|(d, _)| *d <= allowed)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.trim())
}

/// How a table's headers map onto the contract's declared columns, matched
/// by name or alias, ignoring case and whitespace. Computed once per check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    /// For each declared column, the index of the first header naming it.
    pub positions: Vec<Option<usize>>,
    /// For each header, whether it names a declared column (repeated
    /// headers included).
    pub declared: Vec<bool>,
}

impl ColumnMap {
    /// Matches `table`'s headers against `spec`.
    pub fn new(spec: &TableSpec, table: &Table) -> Self {
        let headers: Vec<String> = table.headers.iter().map(|h| normalize_header(h)).collect();
        let names: Vec<Vec<String>> = spec
            .columns
            .iter()
            .map(|c| c.names().map(normalize_header).collect())
            .collect();
        ColumnMap {
            positions: names
                .iter()
                .map(|n| headers.iter().position(|h| n.contains(h)))
                .collect(),
            declared: headers
                .iter()
                .map(|h| names.iter().any(|n| n.contains(h)))
                .collect(),
        }
    }
}

/// Checks the table's header against the declared columns, then every
/// value of the declared columns against its type.
pub fn check_table(spec: &TableSpec, table: &Table) -> Vec<Issue> {
    let map = ColumnMap::new(spec, table);
    let mut unused: Vec<&str> = table
        .headers
        .iter()
        .zip(&map.declared)
        .filter(|(h, d)| !**d && !h.trim().is_empty())
        .map(|(h, _)| h.as_str())
        .collect();
    let mut issues = Vec::new();
    let missing = spec.columns.iter().zip(&map.positions);
    for (column, _) in missing.filter(|(c, at)| c.required && at.is_none()) {
        let near = column.names().find_map(|n| near_miss(n, &unused));
        issues.push(issue::missing_column(column, near, table.header_line));
        // A suggested header is explained by the suggestion already.
        if let Some(near) = near {
            unused.retain(|h| h.trim() != near);
        }
    }
    if spec.extra_columns != ExtraColumns::Allow {
        // A repeated name is reported once, as a duplicate header.
        let mut seen = Vec::new();
        let mut extra = Vec::new();
        for name in unused {
            let key = normalize_header(name);
            if !seen.contains(&key) {
                extra.push(name.trim());
                seen.push(key);
            }
        }
        // A few are worth one issue each; more are one grouped issue.
        if extra.len() <= 3 {
            for name in extra {
                issues.push(issue::unexpected_column(name, spec.extra_columns));
            }
        } else {
            issues.push(issue::unexpected_columns(&extra, spec.extra_columns));
        }
    }
    issues.extend(values::check_values(spec, table, &map.positions));
    issues
}

/// Makes the reader's issue about cells (formula errors, dates no sheet
/// can show) an error when one of those cells breaks its declared column:
/// the schema check does not report those cells again, so one cell gives
/// one issue, and a value that breaks the contract still stops the request.
pub fn escalate_reported(spec: &TableSpec, table: &Table, issues: &mut [Issue]) {
    let map = ColumnMap::new(spec, table);
    values::escalate_reported(spec, table, &map.positions, issues);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_basics() {
        assert_eq!(edit_distance("email", "email"), 0);
        assert_eq!(edit_distance("email", "emial"), 2);
        assert_eq!(edit_distance("name", "names"), 1);
    }

    #[test]
    fn near_misses() {
        assert_eq!(near_miss("email", &["E-mail", "phone"]), Some("E-mail"));
        assert_eq!(near_miss("email", &["phone"]), None);
    }
}

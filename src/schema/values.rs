//! Checking each cell of the declared columns against its type.
//!
//! Problems are grouped per column ("312 rows have …, first at row 14"), so
//! the report stays small on huge tables.

use crate::contract::{ColumnSpec, ColumnType, TableSpec};
use crate::ingest::Table;
use crate::{messages::issue, Issue};

/// Spellings of "no value" in exported data, compared case-insensitively.
const NULLS: &[&str] = &[
    "", "na", "n/a", "null", "none", "nil", "\\n", ".", "-", "#n/a",
];

/// Whether a cell means "no value".
pub fn is_null(cell: &str) -> bool {
    let cell = cell.trim();
    NULLS.iter().any(|n| cell.eq_ignore_ascii_case(n))
}

/// Whether a non-empty cell has the column's type.
pub fn fits(column: &ColumnSpec, cell: &str) -> bool {
    let cell = cell.trim();
    match column.kind {
        ColumnType::String => true,
        ColumnType::Integer => {
            let digits = cell.strip_prefix(['-', '+']).unwrap_or(cell);
            !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
        }
        ColumnType::Number => {
            cell.parse::<f64>().is_ok_and(f64::is_finite)
                && cell.bytes().any(|b| b.is_ascii_digit())
        }
        ColumnType::Boolean => ["true", "false", "yes", "no", "y", "n", "1", "0"]
            .iter()
            .any(|b| cell.eq_ignore_ascii_case(b)),
        ColumnType::Date => is_iso_date(cell),
        ColumnType::Enum => column
            .values
            .iter()
            .any(|v| cell.eq_ignore_ascii_case(v.trim())),
    }
}

/// `YYYY-MM-DD` naming a real calendar day, optionally followed by a time
/// (`T10:00` or ` 10:00`), as spreadsheet exports often add.
fn is_iso_date(cell: &str) -> bool {
    // `get` (not slicing) so that a multi-byte character at the cut is a
    // non-date, not a panic.
    let (Some(date), Some(rest)) = (cell.get(..10), cell.get(10..)) else {
        return false;
    };
    if !(rest.is_empty() || rest.starts_with(['T', ' '])) {
        return false;
    }
    let b = date.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let number = |s: &str| {
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let (Some(year), Some(month), Some(day)) =
        (number(&date[..4]), number(&date[5..7]), number(&date[8..]))
    else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// The first place a problem was seen (data row index and value), and how
/// often.
struct Tally<'a> {
    count: u64,
    first: Option<(usize, &'a str)>,
}

impl<'a> Tally<'a> {
    fn new() -> Self {
        Tally {
            count: 0,
            first: None,
        }
    }

    fn add(&mut self, index: usize, value: &'a str) {
        self.count += 1;
        self.first.get_or_insert((index, value));
    }
}

/// Checks every cell of every declared column present in `table`;
/// `positions` gives each declared column's header index (see
/// [`ColumnMap`](super::ColumnMap)).
pub fn check_values(spec: &TableSpec, table: &Table, positions: &[Option<usize>]) -> Vec<Issue> {
    let mut issues = Vec::new();
    for (column, position) in spec.columns.iter().zip(positions) {
        let Some(index) = *position else { continue };
        let (mut missing, mut wrong) = (Tally::new(), Tally::new());
        for (i, row) in table.rows.iter().enumerate() {
            // A short (ragged) row is reported as ragged, not as missing values.
            let Some(cell) = row.get(index) else { continue };
            if is_null(cell) {
                if column.required {
                    missing.add(i, cell);
                }
            } else if !fits(column, cell) {
                wrong.add(i, cell);
            }
        }
        let at = |i| table.location(i, Some(&column.name));
        if let Some((i, _)) = missing.first {
            issues.push(issue::missing_values(column, missing.count, at(i)));
        }
        if let Some((i, value)) = wrong.first {
            issues.push(issue::type_mismatch(column, wrong.count, at(i), value));
        }
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(kind: ColumnType) -> ColumnSpec {
        ColumnSpec {
            name: "c".into(),
            kind,
            required: true,
            description: String::new(),
            example: None,
            aliases: vec![],
            values: vec!["free".into(), "pro".into()],
        }
    }

    #[test]
    fn types() {
        let fits = |k, v| fits(&column(k), v);
        assert!(fits(ColumnType::Integer, "-42") && !fits(ColumnType::Integer, "4.2"));
        assert!(fits(ColumnType::Number, "3.5") && !fits(ColumnType::Number, "3,5"));
        assert!(!fits(ColumnType::Number, "inf") && !fits(ColumnType::Number, "NaN"));
        assert!(fits(ColumnType::Boolean, "Yes") && !fits(ColumnType::Boolean, "maybe"));
        assert!(fits(ColumnType::Enum, " PRO ") && !fits(ColumnType::Enum, "gold"));
    }

    #[test]
    fn dates_are_real_days() {
        for ok in [
            "2024-02-29",
            "2023-12-31",
            "2024-03-15T10:00:00Z",
            "2024-03-15 10:00",
        ] {
            assert!(is_iso_date(ok), "{ok}");
        }
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "15/03/2024",
            "2024-3-15",
            "2024-03-15x",
            "２０２４-03-15",
            "",
        ] {
            assert!(!is_iso_date(bad), "{bad}");
        }
    }

    #[test]
    fn nulls() {
        assert!(is_null(" N/A ") && is_null("") && is_null("\\N") && !is_null("0"));
    }
}

//! Checking each cell of the declared columns against its type.
//!
//! Problems are grouped per column ("312 rows have …, first at row 14"), so
//! the report stays small on huge tables.

use crate::contract::{ColumnSpec, ColumnType, Pattern, TableSpec};
use crate::ingest::Table;
use crate::messages::issue::{self, BrokenRule};
use crate::{Code, Issue};

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
        ColumnType::Date if column.formats.is_empty() => is_iso_date(cell),
        ColumnType::Date => column.formats.iter().any(|f| matches_format(cell, f)),
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
    (rest.is_empty() || rest.starts_with(['T', ' '])) && matches_format(date, "YYYY-MM-DD")
}

/// Whether `cell` is a real day written in `format` (tokens `YYYY`, `MM`,
/// `DD`, and `M`, `D` for one or two digits; anything else is literal).
pub fn matches_format(cell: &str, format: &str) -> bool {
    let (mut cell, mut format) = (cell.as_bytes(), format.as_bytes());
    let (mut year, mut month, mut day) = (None, None, None);
    // Takes `min..=max` ASCII digits from the front of the cell.
    let digits = |cell: &mut &[u8], min: usize, max: usize| -> Option<u32> {
        let n = cell
            .iter()
            .take(max)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if n < min {
            return None;
        }
        let value = std::str::from_utf8(&cell[..n]).ok()?.parse().ok();
        *cell = &cell[n..];
        value
    };
    while !format.is_empty() {
        let (slot, taken) = if format.starts_with(b"YYYY") {
            (&mut year, digits(&mut cell, 4, 4).map(|v| (v, 4)))
        } else if format.starts_with(b"MM") {
            (&mut month, digits(&mut cell, 2, 2).map(|v| (v, 2)))
        } else if format.starts_with(b"DD") {
            (&mut day, digits(&mut cell, 2, 2).map(|v| (v, 2)))
        } else if format.starts_with(b"M") {
            (&mut month, digits(&mut cell, 1, 2).map(|v| (v, 1)))
        } else if format.starts_with(b"D") {
            (&mut day, digits(&mut cell, 1, 2).map(|v| (v, 1)))
        } else {
            if cell.first() != format.first() {
                return false;
            }
            cell = &cell[1..];
            format = &format[1..];
            continue;
        };
        let Some((value, width)) = taken else {
            return false;
        };
        *slot = Some(value);
        format = &format[width..];
    }
    match (cell.is_empty(), year, month, day) {
        (true, Some(y), Some(m), Some(d)) => crate::contract::real_day(i64::from(y), m, d),
        _ => false,
    }
}

/// The rule of a column that a well-typed value breaks, if any.
fn broken_rule(column: &ColumnSpec, cell: &str, pattern: Option<&Pattern>) -> Option<BrokenRule> {
    let cell = cell.trim();
    if let Some(max) = column.max_length {
        let length = cell.chars().count();
        if length > max {
            return Some(BrokenRule::TooLong(length));
        }
    }
    if pattern.is_some_and(|p| !p.is_match(cell)) {
        return Some(BrokenRule::Form);
    }
    if column.min.is_some() || column.max.is_some() {
        let value: f64 = cell.parse().ok()?;
        if let Some(min) = column.min.filter(|&min| value < min) {
            return Some(BrokenRule::BelowMin(min));
        }
        if let Some(max) = column.max.filter(|&max| value > max) {
            return Some(BrokenRule::AboveMax(max));
        }
    }
    None
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

/// Whether the reader reported the cell at data row `row`, column `column`
/// with an issue of its own.
fn is_reported(table: &Table, row: usize, column: usize) -> bool {
    !table.reported_cells.is_empty()
        && table
            .reported_cells
            .binary_search_by(|&(r, c, _)| (r, c).cmp(&(row, column)))
            .is_ok()
}

/// One cell, one issue, and never a silent pass: the cells the reader
/// reported itself (formula errors, dates no sheet can show) are not
/// checked again, but when one breaks its declared column, the reader's
/// issue becomes an error that names the column.
pub(crate) fn escalate_reported(
    spec: &TableSpec,
    table: &Table,
    positions: &[Option<usize>],
    issues: &mut [Issue],
) {
    let mut broken: Vec<(Code, &str)> = Vec::new();
    for &(row, index, code) in &table.reported_cells {
        let Some(column) = positions
            .iter()
            .position(|p| *p == Some(index))
            .map(|c| &spec.columns[c])
        else {
            continue;
        };
        let cell = table.rows.get(row).and_then(|r| r.get(index));
        if cell.is_some_and(|cell| !is_null(cell) && !fits(column, cell))
            && !broken.contains(&(code, column.name.as_str()))
        {
            broken.push((code, column.name.as_str()));
        }
    }
    for issue in issues.iter_mut() {
        let same_sheet = issue.at.as_ref().and_then(|a| a.sheet.as_ref()) == table.sheet.as_ref();
        let columns: Vec<&str> = broken
            .iter()
            .filter(|(code, _)| *code == issue.code)
            .map(|(_, name)| *name)
            .collect();
        if same_sheet && !columns.is_empty() {
            issue::breaks_declared_columns(issue, &columns);
        }
    }
}

/// Checks every cell of every declared column present in `table`;
/// `positions` gives each declared column's header index (see
/// [`ColumnMap`](super::ColumnMap)).
pub fn check_values(spec: &TableSpec, table: &Table, positions: &[Option<usize>]) -> Vec<Issue> {
    let mut issues = Vec::new();
    for (column, position) in spec.columns.iter().zip(positions) {
        let Some(index) = *position else { continue };
        let (mut missing, mut wrong, mut broken) = (Tally::new(), Tally::new(), Tally::new());
        // Validated with the contract, so a pattern here compiles.
        let pattern = column.compiled_pattern().and_then(Result::ok);
        for (i, row) in table.rows.iter().enumerate() {
            // A short (ragged) row is reported as ragged, not as missing values.
            let Some(cell) = row.get(index) else { continue };
            if is_reported(table, i, index) {
                continue;
            }
            if is_null(cell) {
                if column.required {
                    missing.add(i, cell);
                }
            } else if !fits(column, cell) {
                wrong.add(i, cell);
            } else if broken_rule(column, cell, pattern.as_ref()).is_some() {
                broken.add(i, cell);
            }
        }
        let at = |i| table.location(i, Some(&column.name));
        if let Some((i, _)) = missing.first {
            issues.push(issue::missing_values(column, missing.count, at(i)));
        }
        if let Some((i, value)) = wrong.first {
            issues.push(issue::type_mismatch(column, wrong.count, at(i), value));
        }
        if let Some((i, value)) = broken.first {
            let Some(rule) = broken_rule(column, value, pattern.as_ref()) else {
                continue;
            };
            issues.push(issue::invalid_values(
                column,
                broken.count,
                at(i),
                value,
                &rule,
            ));
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
            values: vec!["free".into(), "pro".into()],
            ..ColumnSpec::default()
        }
    }

    #[test]
    fn date_formats() {
        assert!(matches_format("15/03/2024", "DD/MM/YYYY"));
        assert!(matches_format("3/5/2024", "M/D/YYYY"));
        assert!(!matches_format("31/02/2024", "DD/MM/YYYY"));
        assert!(!matches_format("15/03/24", "DD/MM/YYYY"));
        assert!(!matches_format("15/03/2024x", "DD/MM/YYYY"));
        assert!(!matches_format("１５/03/2024", "DD/MM/YYYY"));
    }

    #[test]
    fn rules() {
        let mut c = ColumnSpec {
            max_length: Some(5),
            ..column(ColumnType::String)
        };
        assert!(broken_rule(&c, "abcdef", None)
            .unwrap()
            .words(&c)
            .contains("6 characters"));
        c.max_length = None;
        c.pattern = Some("[A-Z]{2}[0-9]+".into());
        let p = c.compiled_pattern().unwrap().unwrap();
        assert!(broken_rule(&c, "AB12", Some(&p)).is_none());
        assert!(
            broken_rule(&c, "xAB12", Some(&p)).is_some(),
            "patterns match whole values"
        );
        let n = ColumnSpec {
            min: Some(0.0),
            max: Some(10.0),
            ..column(ColumnType::Number)
        };
        assert!(broken_rule(&n, "-1", None)
            .unwrap()
            .words(&n)
            .contains("smallest"));
        assert!(broken_rule(&n, "11", None)
            .unwrap()
            .words(&n)
            .contains("largest"));
        assert!(broken_rule(&n, "5", None).is_none());
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

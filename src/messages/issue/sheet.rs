//! What is particular to workbooks: merged cells, formulas, sheets and macros.

use super::*;

/// Merged ranges on a sheet (A1 notation), listing at most a few.
pub fn merged_cells(sheet: &str, ranges: &[String]) -> Issue {
    let shown: Vec<&str> = ranges.iter().take(5).map(String::as_str).collect();
    let more = ranges.len().saturating_sub(shown.len());
    let list = if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    };
    let issue = catalogued(
        Code::MergedCells,
        format!("Sheet '{sheet}' has merged cells ({list}); only the first cell of each keeps its value."),
        Some(Location { sheet: Some(sheet.to_owned()), ..Location::default() }),
    );
    grouped_count(issue, ranges.len() as u64)
}

/// Error cells on a sheet, the first at `cell` with `value`.
pub fn formula_error(sheet: &str, count: u64, cell: &str, value: &str, at: Location) -> Issue {
    let issue = catalogued(
        Code::FormulaError,
        format!(
            "Sheet '{sheet}' has {} with a formula error, first at {cell} ({value}).",
            plural(count, "cell", "cells")
        ),
        Some(at),
    );
    grouped_count(issue, count)
}

/// An empty sheet.
pub fn empty_sheet(sheet: &str) -> Issue {
    catalogued(
        Code::EmptySheet,
        format!("Sheet '{sheet}' is empty."),
        Some(Location {
            sheet: Some(sheet.to_owned()),
            ..Location::default()
        }),
    )
}

/// Several sheets have data; `chosen` was used because of `reason`.
pub fn multiple_sheets(chosen: &str, reason: &str, others: &[&str]) -> Issue {
    catalogued(
        Code::MultipleSheets,
        format!(
            "The workbook has {} sheets with data; we used '{chosen}' because {reason}. Not used: {}.",
            others.len() + 1,
            others.iter().map(|o| format!("'{o}'")).collect::<Vec<_>>().join(", ")
        ),
        Some(Location { sheet: Some(chosen.to_owned()), ..Location::default() }),
    )
}

/// Date-formatted cells whose value is not a date, the first at `cell`
/// (A1 notation) holding `value`.
pub fn date_out_of_range(sheet: &str, count: u64, cell: &str, value: &str, at: Location) -> Issue {
    let issue = catalogued(
        Code::DateOutOfRange,
        format!(
            "Sheet '{sheet}' has {} formatted as a date whose value is not a date (before 1900 or after 9999), first at {cell} ({value}); {} kept as a number.",
            plural(count, "cell", "cells"),
            if count == 1 { "it was" } else { "they were" }
        ),
        Some(at),
    );
    grouped_count(issue, count)
}

/// Cells of `issue` (formula errors, dates no sheet can show) are in
/// declared `columns` whose type they break: the issue becomes an error,
/// and says so.
pub fn breaks_declared_columns(issue: &mut Issue, columns: &[&str]) {
    issue.severity = Severity::Error;
    let quoted: Vec<String> = columns.iter().map(|c| format!("'{c}'")).collect();
    let (subject, them) = if issue.count.unwrap_or(1) > 1 {
        ("Some of these cells are", "them")
    } else {
        ("This cell is", "it")
    };
    issue.message.push_str(&format!(
        " {subject} in {} {}, which this task needs, so fix {them} before sending.",
        if columns.len() == 1 {
            "the column"
        } else {
            "the columns"
        },
        crate::words::and_list(&quoted)
    ));
}

/// The workbook has macros.
pub fn macros_present() -> Issue {
    let e = Code::MacrosPresent.entry();
    make(Code::MacrosPresent, e.title.into(), e.hint.into(), None)
}

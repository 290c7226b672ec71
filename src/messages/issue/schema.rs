//! A table against the contract's columns: missing and unexpected columns, and values of the wrong type or shape.

use super::*;
use crate::contract::{ColumnSpec, ExtraColumns};

/// A required column is missing. `near` is a header that looks like it.
pub fn missing_column(column: &ColumnSpec, near: Option<&str>, header_line: u64) -> Issue {
    let what = if column.description.is_empty() {
        String::new()
    } else {
        format!(" ({})", column.description)
    };
    let hint = match near {
        Some(found) => format!(
            "Did you mean '{found}' for '{name}'? If that column holds the same thing, rename it to '{name}'.",
            name = column.name
        ),
        None => format!("Add a column named '{}'{what}.", column.name),
    };
    let mut issue = make(
        Code::MissingColumn,
        format!("Your file is missing the column '{}'.", column.name),
        hint,
        Some(Location {
            column: Some(column.name.clone()),
            line: Some(header_line),
            ..Location::default()
        }),
    );
    issue.example = column_example(column);
    issue
}

/// The table has a column the contract does not declare.
pub fn unexpected_column(name: &str, policy: ExtraColumns) -> Issue {
    unexpected_columns(&[name], policy)
}

/// Columns the contract does not declare: one issue for a few, listing at
/// most five, so a file without a header does not flood the report.
pub fn unexpected_columns(names: &[&str], policy: ExtraColumns) -> Issue {
    let hint = match (policy, names.len()) {
        (ExtraColumns::Drop, 1) => {
            "It will be removed before your data is sent, so you don't need to do anything."
        }
        (ExtraColumns::Drop, _) => {
            "They will be removed before your data is sent, so you don't need to do anything."
        }
        (_, 1) => "It will be sent as it is. Remove it if it holds private or unneeded data.",
        _ => "They will be sent as they are. Remove them if they hold private or unneeded data.",
    };
    let quoted: Vec<String> = names.iter().take(5).map(|n| format!("'{n}'")).collect();
    let message = match names {
        [one] => format!("Your file has a column '{one}' that this task does not use."),
        _ => format!(
            "Your file has {} columns that this task does not use: {}{}.",
            names.len(),
            quoted.join(", "),
            match names.len().saturating_sub(5) {
                0 => String::new(),
                more => format!(" and {more} more"),
            }
        ),
    };
    let mut issue = make(
        Code::UnexpectedColumn,
        message,
        hint.into(),
        names.first().map(|n| Location::column(*n)),
    );
    if names.len() > 1 {
        issue.count = Some(names.len() as u64);
    }
    if policy == ExtraColumns::Drop {
        issue.severity = Severity::Info;
    }
    issue
}

/// "Row 3 has {what}{end}" for one row, "12 rows have {what}, first at
/// row 3{end}" for many.
fn grouped(count: u64, row: u64, what: &str, end: &str) -> String {
    match count {
        1 => format!("Row {row} has {what}{end}"),
        _ => format!("{} {what}, first at row {row}{end}", rows_have(count)),
    }
}

/// The column's example as shown to users, e.g. `email: ada@example.com`.
fn column_example(column: &ColumnSpec) -> Option<String> {
    column
        .example
        .as_ref()
        .map(|e| format!("{}: {e}", column.name))
}

/// A problem grouped over `count` cells of one column, located at the
/// first of them.
fn cells_issue(
    code: Code,
    message: String,
    hint: String,
    column: &ColumnSpec,
    count: u64,
    at: Location,
) -> Issue {
    let mut issue = make(code, message, hint, Some(at));
    issue.example = column_example(column);
    issue.count = Some(count);
    issue
}

/// Values of a column that do not have its type, grouped.
pub fn type_mismatch(column: &ColumnSpec, count: u64, at: Location, value: &str) -> Issue {
    let row = at.row.unwrap_or(0);
    use crate::contract::ColumnType as T;
    let allowed = column.values.join(", ");
    let (what, hint): (std::borrow::Cow<str>, String) = match column.kind {
        T::Integer => (
            "a whole number".into(),
            "Use digits only, like 42, without units, spaces or decimals.".to_owned(),
        ),
        T::Number => (
            "a number".into(),
            "Use digits with a dot for decimals, like 3.5, without units or currency signs."
                .to_owned(),
        ),
        T::Boolean => (
            "yes or no".into(),
            "Use yes or no (true/false and 1/0 work too).".to_owned(),
        ),
        T::Date if column.formats.is_empty() => (
            "a date written as YYYY-MM-DD".into(),
            "Write dates as year-month-day, like 2024-03-15.".to_owned(),
        ),
        T::Date => (
            format!("a date written as {}", column.formats.join(" or ")).into(),
            format!("Write dates as {}.", column.formats.join(" or ")),
        ),
        T::Enum => (
            "one of the allowed values".into(),
            format!("Use one of: {allowed}."),
        ),
        T::String => ("text".into(), "Correct the value.".to_owned()),
    };
    let shown: String = value.trim().chars().take(40).collect();
    let decimal_comma =
        column.kind == T::Number && value.trim().replacen(',', ".", 1).parse::<f64>().is_ok();
    let hint = if decimal_comma {
        format!(
            "Use a dot for decimals: write {}, not {shown}.",
            shown.replacen(',', ".", 1)
        )
    } else {
        hint
    };
    cells_issue(
        Code::TypeMismatch,
        grouped(
            count,
            row,
            &format!("a value in '{}' that is not {what}", column.name),
            &format!(": '{shown}'."),
        ),
        hint,
        column,
        count,
        at,
    )
}

/// Values breaking a column rule, grouped; `reason` explains the first.
pub fn invalid_values(
    column: &ColumnSpec,
    count: u64,
    at: Location,
    value: &str,
    broken: &BrokenRule,
) -> Issue {
    let reason = broken.words(column);
    let row = at.row.unwrap_or(0);
    let shown: String = value.trim().chars().take(40).collect();
    cells_issue(
        Code::InvalidValue,
        grouped(
            count,
            row,
            &format!("a value in '{}' that breaks its rule", column.name),
            &format!(": '{shown}' ({reason})."),
        ),
        Code::InvalidValue.entry().hint.into(),
        column,
        count,
        at,
    )
}

/// The rule of a column that a well-typed value breaks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BrokenRule {
    /// Longer than `max_length`: its length in characters.
    TooLong(usize),
    /// Not matching `pattern`.
    Form,
    /// Below `min`.
    BelowMin(f64),
    /// Above `max`.
    AboveMax(f64),
}

impl BrokenRule {
    /// The rule broken, in words ("it has 300 characters; the most is 255").
    pub fn words(&self, column: &ColumnSpec) -> String {
        match *self {
            BrokenRule::TooLong(length) => format!(
                "it has {length} characters; the most is {}",
                column.max_length.unwrap_or_default()
            ),
            BrokenRule::Form => {
                let like = column
                    .example
                    .as_deref()
                    .map(|e| format!(" like '{e}'"))
                    .unwrap_or_default();
                format!("it is not in the required form{like}")
            }
            BrokenRule::BelowMin(min) => format!("it is below the smallest allowed value, {min}"),
            BrokenRule::AboveMax(max) => format!("it is above the largest allowed value, {max}"),
        }
    }
}

/// Empty cells in a required column, grouped.
pub fn missing_values(column: &ColumnSpec, count: u64, at: Location) -> Issue {
    let row = at.row.unwrap_or(0);
    cells_issue(
        Code::MissingValue,
        grouped(count, row, &format!("no value in '{}'", column.name), "."),
        Code::MissingValue.entry().hint.into(),
        column,
        count,
        at,
    )
}

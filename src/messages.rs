//! The catalogue of issue codes and every user-facing text.
//!
//! Each [`Code`] has a stable snake_case name, a severity and a generic
//! title, hint and example ([`Code::entry`]). The functions of [`issue`] build
//! the concrete [`Issue`] for one input, with its numbers and names filled in.
//! All wording lives in this file, and snapshot tests guard it.

use crate::{Issue, Location, Severity};
use serde::{Deserialize, Serialize};

/// A stable identifier for a kind of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Code {
    /// The input has no content.
    EmptyInput,
    /// The input has more tokens than the tier allows.
    OverTokenLimit,
    /// The input is close to the tier's limit.
    NearTokenLimit,
    /// The token count is an estimate, not exact.
    TokenCountEstimated,
    /// A required column is not in the table.
    MissingColumn,
    /// The table has a column the contract does not declare.
    UnexpectedColumn,
    /// A header name is used twice.
    DuplicateHeader,
    /// A header cell is empty.
    BlankHeader,
    /// Rows with a different number of cells than the header.
    RaggedRow,
    /// The file is of a kind we cannot read.
    UnsupportedFormat,
    /// The contract needs a table but got text (or the reverse).
    WrongInputKind,
    /// The file is not UTF-8 and its encoding was guessed.
    EncodingGuessed,
    /// The file is larger than allowed.
    TooLarge,
    /// Values that do not have their column's type.
    TypeMismatch,
    /// Empty cells in a required column.
    MissingValue,
}

/// The generic description of a code, as listed in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogueEntry {
    /// The code.
    pub code: Code,
    /// Its usual severity.
    pub severity: Severity,
    /// What it means, in one sentence.
    pub title: &'static str,
    /// What the user can do.
    pub hint: &'static str,
    /// Something that works, where an example helps.
    pub example: Option<&'static str>,
}

impl Code {
    /// Every code, in catalogue order.
    pub const ALL: &'static [Code] = &[
        Code::EmptyInput,
        Code::OverTokenLimit,
        Code::NearTokenLimit,
        Code::TokenCountEstimated,
        Code::MissingColumn,
        Code::UnexpectedColumn,
        Code::DuplicateHeader,
        Code::BlankHeader,
        Code::RaggedRow,
        Code::UnsupportedFormat,
        Code::WrongInputKind,
        Code::EncodingGuessed,
        Code::TooLarge,
        Code::TypeMismatch,
        Code::MissingValue,
    ];

    /// The stable snake_case name.
    ///
    /// ```
    /// assert_eq!(prompt_preflight::Code::MissingColumn.as_str(), "missing_column");
    /// ```
    pub fn as_str(self) -> &'static str {
        self.entry_parts().0
    }

    /// The catalogue entry for this code.
    pub fn entry(self) -> CatalogueEntry {
        let (_, severity, title, hint, example) = self.entry_parts();
        CatalogueEntry {
            code: self,
            severity,
            title,
            hint,
            example,
        }
    }

    #[rustfmt::skip]
    fn entry_parts(self) -> (&'static str, Severity, &'static str, &'static str, Option<&'static str>) {
        use Severity::*;
        match self {
            Code::EmptyInput => ("empty_input", Error,
                "There is nothing to check: the input is empty.",
                "Type your text, or choose a file that has content.", None),
            Code::OverTokenLimit => ("over_token_limit", Error,
                "The input is longer than your plan allows in one request.",
                "Remove parts you don't need, or split the input into smaller parts and send them one by one.", None),
            Code::NearTokenLimit => ("near_token_limit", Warning,
                "The input is close to the most your plan allows in one request.",
                "You can still send it. If you plan to add more, keep it short or split it.", None),
            Code::TokenCountEstimated => ("token_count_estimated", Info,
                "The size of this input is an estimate, not an exact count.",
                "Nothing to do. The estimate is on the high side, so limits stay safe.", None),
            Code::MissingColumn => ("missing_column", Error,
                "A column the task needs is not in the file.",
                "Add the column to the first row of your file, spelled as shown.", Some("name,email\nAda Lovelace,ada@example.com")),
            Code::UnexpectedColumn => ("unexpected_column", Warning,
                "The file has a column this task does not use.",
                "Remove the column if it holds private or unneeded data.", None),
            Code::DuplicateHeader => ("duplicate_header", Error,
                "Two columns have the same name.",
                "Rename or remove one of them so that every column has its own name.", None),
            Code::BlankHeader => ("blank_header", Warning,
                "A column has no name in the header row.",
                "Give every column a name in the first row, or delete empty columns.", None),
            Code::RaggedRow => ("ragged_row", Error,
                "Some rows have a different number of cells than the header.",
                "Check those rows for a missing or extra separator, or for a value with a comma that is not in quotes.", Some("\"Smith, John\",john@example.com")),
            Code::UnsupportedFormat => ("unsupported_format", Error,
                "The file is of a kind we cannot read.",
                "Upload a CSV file or paste the text. From Excel or Google Sheets, use File > Download or Save As > CSV.", None),
            Code::WrongInputKind => ("wrong_input_kind", Error,
                "This task needs a different kind of input.",
                "Send the kind of input the task describes.", None),
            Code::EncodingGuessed => ("encoding_guessed", Warning,
                "The file is not saved as UTF-8, so its character set was guessed.",
                "If accented letters look wrong, save the file again as \"CSV UTF-8\".", None),
            Code::TooLarge => ("too_large", Error,
                "The file is larger than we accept.",
                "Send a smaller file, or split it into several files.", None),
            Code::TypeMismatch => ("type_mismatch", Error,
                "Some values are not of the kind their column needs (a number, a date, …).",
                "Correct those cells so they look like the example.", None),
            Code::MissingValue => ("missing_value", Warning,
                "Some rows have no value in a column the task needs.",
                "Fill in those cells, or remove the rows if they are not needed.", None),
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every catalogue entry, in order.
pub fn catalogue() -> Vec<CatalogueEntry> {
    Code::ALL.iter().map(|c| c.entry()).collect()
}

/// Formats a count the way people read it: `11240` as `11,240`.
///
/// ```
/// assert_eq!(prompt_preflight::messages::group_digits(11240), "11,240");
/// assert_eq!(prompt_preflight::messages::group_digits(999), "999");
/// ```
pub fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{} {many}", group_digits(n))
    }
}

/// Builders of concrete issues, one per situation.
pub mod issue {
    use super::*;
    use crate::contract::{ColumnSpec, ExtraColumns};

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
        }
    }

    /// The input has no content.
    pub fn empty_input(is_file: bool) -> Issue {
        let message = if is_file {
            "The file is empty: there is nothing in it to check."
        } else {
            "There is nothing to check yet: the text is empty."
        };
        let e = Code::EmptyInput.entry();
        make(Code::EmptyInput, message.into(), e.hint.into(), None)
    }

    /// The input is over the tier's limit. `bigger` names a larger tier and
    /// its limit, when the contract has one.
    pub fn over_token_limit(
        count: u64,
        limit: u64,
        tier: &str,
        bigger: Option<(&str, u64)>,
    ) -> Issue {
        let parts = count.div_ceil(limit.max(1));
        let mut hint = format!(
            "Remove parts you don't need, or split it into {parts} parts of at most {} tokens and send them one by one.",
            group_digits(limit)
        );
        if let Some((name, big)) = bigger {
            hint.push_str(&format!(
                " The {name} plan allows {} tokens per request.",
                group_digits(big)
            ));
        }
        make(
            Code::OverTokenLimit,
            format!(
                "Your input is {} tokens; the {tier} plan allows {} per request.",
                group_digits(count),
                group_digits(limit)
            ),
            hint,
            None,
        )
    }

    /// The input is at or past the warning threshold but within the limit.
    pub fn near_token_limit(count: u64, limit: u64, tier: &str) -> Issue {
        let percent = count * 100 / limit.max(1);
        make(
            Code::NearTokenLimit,
            format!(
                "Your input is {} tokens, {percent}% of the {} allowed per request on the {tier} plan.",
                group_digits(count),
                group_digits(limit)
            ),
            Code::NearTokenLimit.entry().hint.into(),
            None,
        )
    }

    /// The count is an estimate because the input is pathological.
    pub fn token_count_estimated(reason: &str) -> Issue {
        make(
            Code::TokenCountEstimated,
            format!("The size of this input is an estimate: {reason}."),
            Code::TokenCountEstimated.entry().hint.into(),
            None,
        )
    }

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
        let hint = match policy {
            ExtraColumns::Drop => {
                "It will be removed before your data is sent, so you don't need to do anything."
            }
            _ => "It will be sent as it is. Remove it if it holds private or unneeded data.",
        };
        let mut issue = make(
            Code::UnexpectedColumn,
            format!("Your file has a column '{name}' that this task does not use."),
            hint.into(),
            Some(Location::column(name)),
        );
        if policy == ExtraColumns::Drop {
            issue.severity = Severity::Info;
        }
        issue
    }

    /// A header name appears more than once (positions are 1-based).
    pub fn duplicate_header(name: &str, first: usize, again: usize, line: u64) -> Issue {
        make(
            Code::DuplicateHeader,
            format!(
                "The column name '{name}' is used twice: in column {first} and column {again}."
            ),
            Code::DuplicateHeader.entry().hint.into(),
            Some(Location {
                column: Some(name.to_owned()),
                line: Some(line),
                ..Location::default()
            }),
        )
    }

    /// A header cell is empty (position is 1-based).
    pub fn blank_header(position: usize, line: u64) -> Issue {
        make(
            Code::BlankHeader,
            format!("Column {position} has no name in the header row."),
            Code::BlankHeader.entry().hint.into(),
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
        let mut issue = make(
            Code::RaggedRow,
            format!(
                "{} a different number of cells than the header ({expected}), first at row {first_row} (line {first_line}), which has {}.",
                rows_have(count),
                plural(found as u64, "cell", "cells"),
            ),
            Code::RaggedRow.entry().hint.into(),
            Some(Location {
                row: Some(first_row),
                line: Some(first_line),
                ..Location::default()
            }),
        );
        issue.count = Some(count);
        issue
    }

    /// The file is of a kind we cannot read. `looks_like` names it.
    pub fn unsupported_format(looks_like: &str) -> Issue {
        make(
            Code::UnsupportedFormat,
            format!("This file looks like {looks_like}, which we can't read."),
            Code::UnsupportedFormat.entry().hint.into(),
            None,
        )
    }

    /// The contract wants a table but got free text.
    pub fn table_expected(columns: &[&str]) -> Issue {
        let mut issue = make(
            Code::WrongInputKind,
            "This task needs a table, but what you sent is plain text.".into(),
            format!(
                "Upload a CSV file whose first row names the columns: {}.",
                columns.join(", ")
            ),
            None,
        );
        issue.example = Some(columns.join(","));
        issue
    }

    fn rows_have(count: u64) -> String {
        if count == 1 {
            "1 row has".to_owned()
        } else {
            format!("{} rows have", group_digits(count))
        }
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
        row: u64,
        line: u64,
    ) -> Issue {
        let at = Location {
            row: Some(row),
            column: Some(column.name.clone()),
            line: Some(line),
            ..Location::default()
        };
        let mut issue = make(code, message, hint, Some(at));
        issue.example = column_example(column);
        issue.count = Some(count);
        issue
    }

    /// Values of a column that do not have its type, grouped.
    pub fn type_mismatch(
        column: &ColumnSpec,
        count: u64,
        row: u64,
        line: u64,
        value: &str,
    ) -> Issue {
        use crate::contract::ColumnType as T;
        let allowed = column.values.join(", ");
        let (what, hint) = match column.kind {
            T::Integer => (
                "a whole number",
                "Use digits only, like 42, without units, spaces or decimals.".to_owned(),
            ),
            T::Number => (
                "a number",
                "Use digits with a dot for decimals, like 3.5, without units or currency signs."
                    .to_owned(),
            ),
            T::Boolean => (
                "yes or no",
                "Use yes or no (true/false and 1/0 work too).".to_owned(),
            ),
            T::Date => (
                "a date written as YYYY-MM-DD",
                "Write dates as year-month-day, like 2024-03-15.".to_owned(),
            ),
            T::Enum => (
                "one of the allowed values",
                format!("Use one of: {allowed}."),
            ),
            T::String => ("text", "Correct the value.".to_owned()),
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
            row,
            line,
        )
    }

    /// Empty cells in a required column, grouped.
    pub fn missing_values(column: &ColumnSpec, count: u64, row: u64, line: u64) -> Issue {
        cells_issue(
            Code::MissingValue,
            grouped(count, row, &format!("no value in '{}'", column.name), "."),
            Code::MissingValue.entry().hint.into(),
            column,
            count,
            row,
            line,
        )
    }

    /// The encoding was guessed. `label` is the WHATWG label used.
    pub fn encoding_guessed(label: &str) -> Issue {
        make(
            Code::EncodingGuessed,
            format!("Your file is not saved as UTF-8, so we read it as {label}."),
            Code::EncodingGuessed.entry().hint.into(),
            None,
        )
    }

    /// The file is bigger than the limit.
    pub fn too_large(bytes: u64, max: u64) -> Issue {
        make(
            Code::TooLarge,
            format!(
                "Your file is {} bytes; the most we accept is {} bytes.",
                group_digits(bytes),
                group_digits(max)
            ),
            Code::TooLarge.entry().hint.into(),
            None,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_serialises_to_its_catalogue_name() {
        for code in Code::ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, code.as_str(), "{code:?}");
        }
    }

    #[test]
    fn catalogue_texts_are_sentences() {
        for entry in catalogue() {
            assert!(entry.title.ends_with('.'), "{}", entry.code);
            assert!(entry.hint.ends_with('.'), "{}", entry.code);
            assert!(!entry.title.to_lowercase().contains("field not found"));
        }
    }

    #[test]
    fn over_limit_says_how_many_parts() {
        let issue = issue::over_token_limit(11_240, 2_000, "free", Some(("paid", 8_000)));
        assert!(issue.message.contains("11,240"));
        assert!(issue.hint.contains("split it into 6 parts"));
        assert!(issue.hint.contains("paid plan allows 8,000"));
    }
}

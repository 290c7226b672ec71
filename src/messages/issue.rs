//! Builders of concrete issues, one per situation: the catalogue entry of
//! the code, with this input's numbers, names and places filled in.

use super::*;
use crate::contract::{ColumnSpec, ExtraColumns};
use crate::Action;
use crate::EstimateInfo;

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

/// The input is over the tier's limit. `subject` is what the user sent
/// (`text` or `file`); `bigger` names a larger tier and its limit, when
/// the contract has one; `can_split` says whether the contract runs long
/// inputs in parts (map-reduce).
pub fn over_token_limit(
    subject: &str,
    count: u64,
    limit: u64,
    tier: &str,
    bigger: Option<(&str, u64)>,
    can_split: bool,
) -> Issue {
    let parts = count.div_ceil(limit.max(1));
    let mut hint = if can_split {
        format!(
            "Remove parts you don't need, keep only the parts that matter to your question, or split it into at least {parts} parts of at most {} tokens and let us combine the answers.",
            group_digits(limit)
        )
    } else {
        "Remove parts you don't need, or keep only the parts that matter to your question."
            .to_owned()
    };
    if let Some((name, big)) = bigger {
        hint.push_str(&format!(
            " The {name} plan allows {} tokens per request.",
            group_digits(big)
        ));
    }
    let mut issue = make(
        Code::OverTokenLimit,
        format!(
            "Your {subject} is {} tokens; the {tier} plan allows {} per request.",
            group_digits(count),
            group_digits(limit)
        ),
        hint,
        None,
    );
    issue.actions = vec![Action::Trim, Action::KeepRelevant];
    if can_split {
        issue.actions.push(Action::Split {
            parts,
            max_tokens: limit,
        });
    }
    if let Some((name, big)) = bigger {
        issue.actions.push(Action::Upgrade {
            tier: name.to_owned(),
            max_input_tokens: big,
        });
    }
    issue
}

/// The whole request (input, template, answer) does not fit the model.
pub fn context_window_exceeded(total: u64, window: u64, model: &str, output: u64) -> Issue {
    make(
        Code::ContextWindowExceeded,
        format!(
            "This request needs {} tokens, including {} reserved for the answer, but {model} reads at most {} at once.",
            group_digits(total),
            group_digits(output),
            group_digits(window)
        ),
        Code::ContextWindowExceeded.entry().hint.into(),
        None,
    )
}

/// The input is at or past the warning threshold but within the limit.
/// `subject` is what the user sent (`text` or `file`).
pub fn near_token_limit(subject: &str, count: u64, limit: u64, tier: &str) -> Issue {
    let percent = count * 100 / limit.max(1);
    make(
        Code::NearTokenLimit,
        format!(
            "Your {subject} is {} tokens, {percent}% of the {} allowed per request on the {tier} plan.",
            group_digits(count),
            group_digits(limit)
        ),
        Code::NearTokenLimit.entry().hint.into(),
        None,
    )
}

/// The count is an upper bound, not exact. `reason` says why.
pub fn token_count_estimated(reason: &str) -> Issue {
    make(
        Code::TokenCountEstimated,
        format!("The size of this input is an estimate: {reason}."),
        Code::TokenCountEstimated.entry().hint.into(),
        None,
    )
}

/// The model has no public tokenizer: the figures are estimates.
pub fn token_estimate(provider: &str, model: &str, e: &EstimateInfo) -> Issue {
    make(
        Code::TokenCountEstimated,
        format!(
            "{provider} does not publish how {model} counts tokens, so these figures are estimates, usually within {}% of the real count.",
            (e.error_bound * 100.0).round()
        ),
        format!(
            "Nothing to do. We add a {}% margin before checking your plan's limit, so a request we accept will fit.",
            ((e.safety_factor - 1.0) * 100.0).round()
        ),
        None,
    )
}

/// The server asked the provider for an exact count and got none, so the
/// estimate stands. `reason` is a stable code such as `rate_limited`.
pub fn provider_count_failed(provider: &str, reason: &str) -> Issue {
    make(
        Code::TokenCountEstimated,
        format!(
            "We could not get an exact count from {provider} ({}), so the token figures are estimates.",
            reason.replace('_', " ")
        ),
        "Nothing to do. The estimate is on the high side, so a request we accept will fit; \
         send it again later for the exact figure."
            .into(),
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
    make(
        Code::DuplicateHeader,
        format!("The column name '{name}' is used twice: in column {first} and column {again}."),
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
    reason: &str,
) -> Issue {
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

/// A generic issue from the catalogue entry, with a specific message.
fn catalogued(code: Code, message: String, at: Option<Location>) -> Issue {
    make(code, message, code.entry().hint.into(), at)
}

fn grouped_count(mut issue: Issue, count: u64) -> Issue {
    issue.count = Some(count);
    issue
}

/// The file name's extension says `named`, the content is `actual`.
pub fn extension_mismatch(extension: &str, actual: &str) -> Issue {
    catalogued(
        Code::ExtensionMismatch,
        format!(
            "The file is named .{extension}, but it is really {actual}. We read it as {actual}."
        ),
        None,
    )
}

/// Non-text characters (e.g. NUL bytes) in text, first at `line`.
pub fn binary_content(count: u64, line: u64) -> Issue {
    let issue = catalogued(
        Code::BinaryContent,
        format!(
            "The text has {} that {} not text (such as NUL bytes), first at line {line}; {} removed.",
            plural(count, "character", "characters"),
            if count == 1 { "is" } else { "are" },
            if count == 1 { "it was" } else { "they were" }
        ),
        Some(Location::line(line)),
    );
    grouped_count(issue, count)
}

/// A password-protected file; `what` names it, e.g. "an Excel workbook".
pub fn encrypted_file(what: &str) -> Issue {
    catalogued(
        Code::EncryptedFile,
        format!("This file is {what} protected with a password, so we can't open it."),
        None,
    )
}

/// A damaged file: `what` names the format, `detail` says what we saw.
pub fn corrupt_file(what: &str, detail: &str) -> Issue {
    catalogued(
        Code::CorruptFile,
        format!("This file looks like {what}, but it is damaged or incomplete: {detail}."),
        None,
    )
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

/// Nesting deeper than the limit, first reached at `at`.
pub fn too_deep(max: u64, at: Option<Location>) -> Issue {
    catalogued(
        Code::TooDeep,
        format!("The data is nested more than {max} levels deep, which we don't accept."),
        at,
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

/// `count` table rows that alone are over the chunk size, the first at
/// `at` with `tokens` tokens (header included).
pub fn row_too_large(at: Location, count: u64, tokens: u64, max: u64) -> Issue {
    let issue = catalogued(
        Code::RowTooLarge,
        if count == 1 {
            format!(
                "One row is {} tokens with the header, more than the {} a part may have, so it is sent as a part of its own.",
                group_digits(tokens),
                group_digits(max)
            )
        } else {
            format!(
                "{} rows are each more than the {} tokens a part may have (the first is {} with the header), so each is sent as a part of its own.",
                group_digits(count),
                group_digits(max),
                group_digits(tokens)
            )
        },
        Some(at),
    );
    if count == 1 {
        issue
    } else {
        grouped_count(issue, count)
    }
}

/// `count` elements of a JSON list that alone are over the chunk size, the
/// first being element `item` (1-based) with `tokens` tokens.
pub fn item_too_large(item: u64, count: u64, tokens: u64, max: u64) -> Issue {
    let message = if count == 1 {
        format!(
            "Item {} of the list is {} tokens, more than the {} a part may have, so it is sent as a part of its own.",
            group_digits(item),
            group_digits(tokens),
            group_digits(max)
        )
    } else {
        format!(
            "{} items of the list are each more than the {} tokens a part may have (the first is item {}, {} tokens), so each is sent as a part of its own.",
            group_digits(count),
            group_digits(max),
            group_digits(item),
            group_digits(tokens)
        )
    };
    let issue = catalogued(Code::ItemTooLarge, message, None);
    if count == 1 {
        issue
    } else {
        grouped_count(issue, count)
    }
}

/// The workbook has macros.
pub fn macros_present() -> Issue {
    let e = Code::MacrosPresent.entry();
    make(Code::MacrosPresent, e.title.into(), e.hint.into(), None)
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

/// Pages without text; `all` when no page has any.
pub fn pdf_no_text_layer(pages: &[u64], total: u64) -> Issue {
    let mut issue = if pages.len() as u64 == total {
        catalogued(
            Code::PdfNoTextLayer,
            "This PDF looks like a scan: its pages are pictures, and we can't read text from images.".into(),
            None,
        )
    } else {
        let list: Vec<String> = pages.iter().take(10).map(u64::to_string).collect();
        let mut issue = catalogued(
            Code::PdfNoTextLayer,
            format!(
                "{} of {total} pages look like scans with no text we can read (page{} {}{}); the rest was read.",
                pages.len(),
                if pages.len() == 1 { "" } else { "s" },
                list.join(", "),
                if pages.len() > 10 { ", …" } else { "" }
            ),
            None,
        );
        issue.severity = Severity::Warning;
        issue
    };
    issue.count = Some(pages.len() as u64);
    issue
}

/// Garbled text on `pages`; `share` is the garbled share in percent.
pub fn pdf_garbled_text(pages: &[u64], share: u64) -> Issue {
    let list: Vec<String> = pages.iter().take(10).map(u64::to_string).collect();
    let issue = catalogued(
        Code::PdfGarbledText,
        format!(
            "The text on page{} {} looks garbled ({share}% of its characters are not letters, digits or punctuation we expect).",
            if pages.len() == 1 { "" } else { "s" },
            list.join(", ")
        ),
        None,
    );
    grouped_count(issue, pages.len() as u64)
}

/// A PDF that needs a password.
pub fn password_required() -> Issue {
    catalogued(
        Code::PasswordRequired,
        "This PDF is protected with a password, so we can't open it.".into(),
        None,
    )
}

/// The text's language (`name`) is not among `accepted`.
pub fn language_not_supported(name: &str, accepted: &[String]) -> Issue {
    make(
        Code::LanguageNotSupported,
        format!("Your text seems to be in {name}, which this task does not handle."),
        format!("Send the text in {}.", accepted.join(" or ")),
        None,
    )
}

/// A compressed file (xlsx, ods) that would unpack to more than allowed.
pub fn too_large_unpacked(unpacked: u64, max: u64) -> Issue {
    make(
        Code::TooLarge,
        {
            let (unpacked, max) = compared_sizes(unpacked, max);
            format!("Your file is small, but it unpacks to {unpacked}; the most we unpack is {max}.")
        },
        "Send a smaller file, or save it as CSV. A file that unpacks to far more than its size can be a trap (a \"zip bomb\").".into(),
        None,
    )
}

/// The encoding was guessed. `label` is the WHATWG label used.
pub fn encoding_guessed(label: &str) -> Issue {
    let name = match label {
        "windows-1252" => "Windows-1252 (Western European)".to_owned(),
        "windows-1250" | "iso-8859-2" => format!("{} (Central European)", label.to_uppercase()),
        "windows-1251" | "koi8-r" | "koi8-u" | "ibm866" => {
            format!("{} (Cyrillic)", label.to_uppercase())
        }
        "shift_jis" | "euc-jp" | "iso-2022-jp" => {
            format!("{} (Japanese)", label.to_uppercase())
        }
        "gbk" | "gb18030" => format!("{} (Simplified Chinese)", label.to_uppercase()),
        "big5" => "Big5 (Traditional Chinese)".to_owned(),
        "euc-kr" => "EUC-KR (Korean)".to_owned(),
        other => other.to_uppercase(),
    };
    make(
        Code::EncodingGuessed,
        format!("Your file is not saved as UTF-8, so we read it as {name}."),
        Code::EncodingGuessed.entry().hint.into(),
        None,
    )
}

/// The file is bigger than the limit.
pub fn too_large(bytes: u64, max: u64) -> Issue {
    make(
        Code::TooLarge,
        {
            let (bytes, max) = compared_sizes(bytes, max);
            format!("Your file is {bytes}; the most we accept is {max}.")
        },
        Code::TooLarge.entry().hint.into(),
        None,
    )
}

//! The catalogue of issue codes and every user-facing text.
//!
//! Each [`Code`] has a stable snake_case name, a severity and a generic
//! title, hint and example ([`Code::entry`]). The functions of [`issue`] build
//! the concrete [`Issue`] for one input, with its numbers and names filled in.
//! All wording lives in this file, and snapshot tests guard it.

use crate::{Issue, Location, Severity};
use serde::{Deserialize, Serialize};

/// Declares [`Code`] and derives [`Code::ALL`] from the same list, so a new
/// code cannot be missing from the catalogue (and `Code::entry`, an
/// exhaustive match, cannot lack its words).
macro_rules! codes {
    ($(#[$meta:meta])* pub enum Code { $($(#[$doc:meta])* $code:ident,)* }) => {
        $(#[$meta])*
        pub enum Code {
            $($(#[$doc])* $code,)*
        }

        impl Code {
            /// Every code, in catalogue order (the order they are declared in).
            pub const ALL: &'static [Code] = &[$(Code::$code),*];
        }
    };
}

codes! {
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
        /// The whole request does not fit the model's context window.
        ContextWindowExceeded,
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
        /// Values that break a rule of their column (length, pattern, range).
        InvalidValue,
        /// Header names with spaces before or after them.
        PaddedHeader,
        /// The file's name does not match its content.
        ExtensionMismatch,
        /// The text contains non-text characters.
        BinaryContent,
        /// The file is password-protected.
        EncryptedFile,
        /// The file is damaged.
        CorruptFile,
        /// Too many rows.
        TooManyRows,
        /// Nested too deeply.
        TooDeep,
        /// No header row.
        NoHeader,
        /// The header is further down.
        HeaderNotFirstRow,
        /// Empty rows.
        BlankRows,
        /// Unescaped quote.
        UnescapedQuote,
        /// Merged cells.
        MergedCells,
        /// Formula errors.
        FormulaError,
        /// Empty sheet.
        EmptySheet,
        /// Several sheets.
        MultipleSheets,
        /// Macros present.
        MacrosPresent,
        /// Invalid JSON.
        InvalidJson,
        /// Invalid JSON Lines.
        InvalidJsonlLine,
        /// JSON records that lack keys other records have.
        InconsistentKeys,
        /// No text layer.
        PdfNoTextLayer,
        /// Garbled text.
        PdfGarbledText,
        /// Password required.
        PasswordRequired,
        /// Language not supported.
        LanguageNotSupported,
        /// A date cell whose value is not a date a spreadsheet can show.
        DateOutOfRange,
        /// One table row alone is larger than a chunk may be.
        RowTooLarge,
        /// One element of a JSON list alone is larger than a chunk may be.
        ItemTooLarge,
    }
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
    /// The codes about a request's size, which [`Budget::issues`](crate::Budget::issues) makes.
    pub const SIZE: &'static [Code] = &[
        Code::OverTokenLimit,
        Code::NearTokenLimit,
        Code::ContextWindowExceeded,
        Code::TokenCountEstimated,
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
                "Remove parts you don't need, keep only the parts that matter to your question, or split it into parts that each fit.", None),
            Code::NearTokenLimit => ("near_token_limit", Warning,
                "The input is close to the most your plan allows in one request.",
                "You can still send it. If you plan to add more, keep it short or split it.", None),
            Code::TokenCountEstimated => ("token_count_estimated", Info,
                "The size of this input is an estimate, not an exact count.",
                "Nothing to do. The estimate is on the high side, so limits stay safe.", None),
            Code::ContextWindowExceeded => ("context_window_exceeded", Error,
                "The request is more than the model can read at once.",
                "Shorten the text, or split it into parts and send them one by one.", None),
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
            Code::PaddedHeader => ("padded_header", Info,
                "Some column names have spaces before or after them; they were ignored when matching.",
                "Nothing to do. To be tidy, remove the spaces around the column names.", None),
            Code::InvalidValue => ("invalid_value", Error,
                "Some values break a rule of their column: too long, out of range, or not in the required form.",
                "Correct those cells so they follow the rule shown.", None),
            Code::MissingValue => ("missing_value", Warning,
                "Some rows have no value in a column the task needs.",
                "Fill in those cells, or remove the rows if they are not needed.", None),
            Code::ExtensionMismatch => ("extension_mismatch", Warning,
                "The file's name says one kind of file, but its content is another.",
                "Nothing to do: we read the file by its content. Rename it if other tools get confused.", None),
            Code::BinaryContent => ("binary_content", Warning,
                "The text contains characters that are not text, such as NUL bytes.",
                "Save the file again as plain text or CSV from the program that made it.", None),
            Code::EncryptedFile => ("encrypted_file", Error,
                "The file is protected with a password, so we cannot open it.",
                "Open it, remove the password (in Excel: File > Info > Protect Workbook), save it, and upload it again.", None),
            Code::CorruptFile => ("corrupt_file", Error,
                "The file is damaged or incomplete.",
                "Open it in the program that made it and save it again, or export it as CSV.", None),
            Code::TooManyRows => ("too_many_rows", Error,
                "The table has more rows (or cells) than we accept.",
                "Send fewer rows, or split the table into several files.", None),
            Code::TooDeep => ("too_deep", Error,
                "The data is nested more deeply than we accept.",
                "Flatten the data, or send only the part the task needs.", None),
            Code::NoHeader => ("no_header", Warning,
                "The first row looks like data, not like column names.",
                "Add a first row with the column names.", Some("name,email\nAda Lovelace,ada@example.com")),
            Code::HeaderNotFirstRow => ("header_not_first_row", Info,
                "The column names are not on the first line; the lines above them were skipped.",
                "Nothing to do, unless those lines hold data the task needs.", None),
            Code::BlankRows => ("blank_rows", Info,
                "The table has empty rows.",
                "Nothing to do: empty rows are ignored.", None),
            Code::UnescapedQuote => ("unescaped_quote", Warning,
                "A value has a quote mark that is not escaped, so the row may be split wrongly.",
                "Put values containing quote marks in quotes and double the quote marks inside them.", Some("\"She said \"\"hi\"\"\",ada@example.com")),
            Code::MergedCells => ("merged_cells", Warning,
                "The sheet has merged cells; only the first cell of each merged range keeps its value.",
                "Unmerge the cells and fill in the value in each one.", None),
            Code::FormulaError => ("formula_error", Warning,
                "Some cells show a formula error such as #DIV/0! or #N/A instead of a value.",
                "Fix the formulas in the spreadsheet, or replace the errors with values, then upload it again.", None),
            Code::EmptySheet => ("empty_sheet", Info,
                "A sheet of the workbook is empty.",
                "Nothing to do, unless that sheet should hold the data.", None),
            Code::MultipleSheets => ("multiple_sheets", Info,
                "The workbook has several sheets with data; one of them was chosen.",
                "If we chose the wrong sheet, move the data you want to the first sheet, or upload that sheet alone as CSV.", None),
            Code::MacrosPresent => ("macros_present", Warning,
                "The workbook contains macros. We never run them; only the cell values are read.",
                "Nothing to do, unless the values depend on a macro being run first.", None),
            Code::InvalidJson => ("invalid_json", Error,
                "The file is not valid JSON.",
                "Fix the file at the place shown, or export it again from the program that made it.", Some("[{\"name\": \"Ada\", \"email\": \"ada@example.com\"}]")),
            Code::InvalidJsonlLine => ("invalid_jsonl_line", Warning,
                "Some lines of the JSON Lines file are not valid JSON; the other lines were read.",
                "Fix or remove the lines shown.", Some("{\"name\": \"Ada\"}\n{\"name\": \"Grace\"}")),
            Code::InconsistentKeys => ("inconsistent_keys", Warning,
                "Some records lack keys that other records have; those values are left empty.",
                "Give every record the same keys, with an empty value (\"\") where there is nothing to fill in.", Some("{\"name\": \"Ada\", \"email\": \"\"}")),
            Code::PdfNoTextLayer => ("pdf_no_text_layer", Error,
                "This looks like a scan: the pages are pictures, and we can't read text from images.",
                "Upload the original document instead of a scan, or run it through text recognition (OCR) first.", None),
            Code::PdfGarbledText => ("pdf_garbled_text", Warning,
                "The text we got out of the PDF looks garbled.",
                "Upload the original document (Word, text), or copy the text from the PDF and paste it.", None),
            Code::PasswordRequired => ("password_required", Error,
                "The PDF needs a password to open.",
                "Open it, save a copy without a password, and upload that copy.", None),
            Code::LanguageNotSupported => ("language_not_supported", Error,
                "The text is in a language this task does not handle.",
                "Send the text in one of the languages this task accepts.", None),
            Code::DateOutOfRange => ("date_out_of_range", Warning,
                "A cell formatted as a date holds a number that is not a date (before 1900 or after 9999).",
                "Correct the cell, or format it as a number if it is not a date.", None),
            Code::RowTooLarge => ("row_too_large", Warning,
                "One row of the table is larger than a part may be, so it goes on its own.",
                "Shorten the longest cells in that row, or ask for larger parts.", None),
            Code::ItemTooLarge => ("item_too_large", Warning,
                "One item of the list is larger than a part may be, so it goes on its own.",
                "Shorten that item, or ask for larger parts.", None),
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

/// A size the way people read it: `20 MB`, `1.5 KB`, `512 bytes`
/// (1,024-based, as file managers show sizes).
///
/// ```
/// use prompt_preflight::messages::human_size;
/// assert_eq!(human_size(20 * 1024 * 1024), "20 MB");
/// assert_eq!(human_size(1536), "1.5 KB");
/// assert_eq!(human_size(3_000_016_169), "2.8 GB");
/// assert_eq!(human_size(512), "512 bytes");
/// ```
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 3] = ["KB", "MB", "GB"];
    if bytes < 1024 {
        return plural(bytes, "byte", "bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let shown = if value < 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.0}")
    };
    format!("{} {}", shown.trim_end_matches(".0"), UNITS[unit])
}

/// Two sizes for a comparison ("30 MB; the most is 25 MB"): rounded as
/// people read them, with the exact bytes where rounding would make them
/// look equal.
pub(crate) fn compared_sizes(size: u64, limit: u64) -> (String, String) {
    let (a, b) = (human_size(size), human_size(limit));
    if a == b && size != limit {
        (
            format!("{a} ({} bytes)", group_digits(size)),
            format!("{b} ({} bytes)", group_digits(limit)),
        )
    } else {
        (a, b)
    }
}

pub(crate) fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{} {many}", group_digits(n))
    }
}

pub mod issue;

#[cfg(test)]
mod tests {
    #[test]
    fn compared_sizes_never_look_equal_when_they_differ() {
        let limit = 25 * 1024 * 1024;
        assert_eq!(
            compared_sizes(30 * 1024 * 1024, limit),
            ("30 MB".to_owned(), "25 MB".to_owned())
        );
        let (a, b) = compared_sizes(limit + 1, limit);
        assert_eq!(a, "25 MB (26,214,401 bytes)");
        assert_eq!(b, "25 MB (26,214,400 bytes)");
    }

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
        let issue =
            issue::over_token_limit("text", 11_240, 2_000, "free", Some(("paid", 8_000)), true);
        assert!(issue.message.contains("11,240"));
        // A bound: parts end at boundaries, so there can be more.
        assert!(issue.hint.contains("split it into at least 6 parts"));
        assert!(issue.hint.contains("paid plan allows 8,000"));
        let issue = issue::over_token_limit("text", 11_240, 2_000, "free", None, false);
        assert!(!issue.hint.contains("split"));
        assert!(!issue
            .actions
            .iter()
            .any(|a| matches!(a, crate::Action::Split { .. })));
    }
}

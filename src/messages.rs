//! The catalogue of issue codes and every user-facing text.
//!
//! Each [`Code`] has a stable snake_case name, a severity and a generic
//! title, hint and example ([`Code::entry`]). The functions of [`issue`] build
//! the concrete [`Issue`] for one input, with its numbers and names filled in.
//! All wording lives in this file, and snapshot tests guard it.

pub use crate::types::Code;
use crate::{InputKind, Issue, Location, Severity};
use serde::Serialize;

/// The generic description of a code, as listed in the catalogue.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
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
    /// The catalogue entry for this code.
    pub fn entry(self) -> CatalogueEntry {
        let (severity, title, hint, example) = self.entry_parts();
        CatalogueEntry {
            code: self,
            severity,
            title,
            hint,
            example,
        }
    }

    #[rustfmt::skip]
    fn entry_parts(self) -> (Severity, &'static str, &'static str, Option<&'static str>) {
        use Severity::*;
        match self {
            Code::EmptyInput => (Error,
                "There is nothing to check: the input is empty.",
                "Type your text, or choose a file that has content.", None),
            Code::OverTokenLimit => (Error,
                "The input is longer than your plan allows in one request.",
                "Remove parts you don't need, keep only the parts that matter to your question, or split it into parts that each fit.", None),
            Code::NearTokenLimit => (Warning,
                "The input is close to the most your plan allows in one request.",
                "You can still send it. If you plan to add more, keep it short or split it.", None),
            Code::TokenCountEstimated => (Info,
                "The size of this input is an estimate, not an exact count.",
                "Nothing to do. The estimate is on the high side, so limits stay safe.", None),
            Code::ContextWindowExceeded => (Error,
                "The request is more than the model can read at once.",
                "Shorten the text, or split it into parts and send them one by one.", None),
            Code::MissingColumn => (Error,
                "A column the task needs is not in the file.",
                "Add the column to the first row of your file, spelled as shown.", Some("name,email\nAda Lovelace,ada@example.com")),
            Code::UnexpectedColumn => (Warning,
                "The file has a column this task does not use.",
                "Remove the column if it holds private or unneeded data.", None),
            Code::DuplicateHeader => (Error,
                "Two columns have the same name.",
                "Rename or remove one of them so that every column has its own name.", None),
            Code::BlankHeader => (Warning,
                "A column has no name in the header row.",
                "Give every column a name in the first row, or delete empty columns.", None),
            Code::RaggedRow => (Error,
                "Some rows have a different number of cells than the header.",
                "Check those rows for a missing or extra separator, or for a value with a comma that is not in quotes.", Some("\"Smith, John\",john@example.com")),
            Code::UnsupportedFormat => (Error,
                "The file is of a kind we cannot read.",
                "Upload a CSV file or paste the text. From Excel or Google Sheets, use File > Download or Save As > CSV.", None),
            Code::QuestionWithoutData => (Error,
                "This looks like a question, but the data it is about is missing.",
                "Add the data under your question: paste the table, or drop a file (CSV or Excel).", None),
            Code::WrongInputKind => (Error,
                "This task needs a different kind of input.",
                "Send the kind of input the task describes.", None),
            Code::EncodingGuessed => (Warning,
                "The file is not saved as UTF-8, so its character set was guessed.",
                "If some letters look wrong, save the file again with the UTF-8 encoding (from Excel: \"CSV UTF-8\").", None),
            Code::TooLarge => (Error,
                "The file is larger than we accept.",
                "Send a smaller file, or split it into several files.", None),
            Code::TypeMismatch => (Error,
                "Some values are not of the kind their column needs (a number, a date, …).",
                "Correct those cells so they look like the example.", None),
            Code::PaddedHeader => (Info,
                "Some column names have spaces before or after them; they were ignored when matching.",
                "Nothing to do. To be tidy, remove the spaces around the column names.", None),
            Code::InvalidValue => (Error,
                "Some values break a rule of their column: too long, out of range, or not in the required form.",
                "Correct those cells so they follow the rule shown.", None),
            Code::MissingValue => (Warning,
                "Some rows have no value in a column the task needs.",
                "Fill in those cells, or remove the rows if they are not needed.", None),
            Code::ExtensionMismatch => (Warning,
                "The file's name says one kind of file, but its content is another.",
                "Nothing to do: we read the file by its content. Rename it if other tools get confused.", None),
            Code::BinaryContent => (Warning,
                "The text contains characters that are not text, such as NUL bytes.",
                "Save the file again as plain text or CSV from the program that made it.", None),
            Code::EncryptedFile => (Error,
                "The file is protected with a password, so we cannot open it.",
                "Open it, remove the password (in Excel: File > Info > Protect Workbook), save it, and upload it again.", None),
            Code::CorruptFile => (Error,
                "The file is damaged or incomplete.",
                "Open it in the program that made it and save it again, or export it as CSV.", None),
            Code::TooManyRows => (Error,
                "The table has more rows (or cells) than we accept.",
                "Send fewer rows, or split the table into several files.", None),
            Code::TooDeep => (Error,
                "The data is nested more deeply than we accept.",
                "Flatten the data, or send only the part the task needs.", None),
            Code::NoHeader => (Warning,
                "The first row looks like data, not like column names.",
                "Add a first row with the column names.", Some("name,email\nAda Lovelace,ada@example.com")),
            Code::HeaderNotFirstRow => (Info,
                "The column names are not on the first line; the lines above them were skipped.",
                "Nothing to do, unless those lines hold data the task needs.", None),
            Code::BlankRows => (Info,
                "The table has empty rows.",
                "Nothing to do: empty rows are ignored.", None),
            Code::UnescapedQuote => (Warning,
                "A value has a quote mark that is not escaped, so the row may be split wrongly.",
                "Put values containing quote marks in quotes and double the quote marks inside them.", Some("\"She said \"\"hi\"\"\",ada@example.com")),
            Code::MergedCells => (Warning,
                "The sheet has merged cells; only the first cell of each merged range keeps its value.",
                "Unmerge the cells and fill in the value in each one.", None),
            Code::FormulaError => (Warning,
                "Some cells show a formula error such as #DIV/0! or #N/A instead of a value.",
                "Fix the formulas in the spreadsheet, or replace the errors with values, then upload it again.", None),
            Code::EmptySheet => (Info,
                "A sheet of the workbook is empty.",
                "Nothing to do, unless that sheet should hold the data.", None),
            Code::MultipleSheets => (Info,
                "The workbook has several sheets with data; one of them was chosen.",
                "If we chose the wrong sheet, move the data you want to the first sheet, or upload that sheet alone as CSV.", None),
            Code::MacrosPresent => (Warning,
                "The workbook contains macros. We never run them; only the cell values are read.",
                "Nothing to do, unless the values depend on a macro being run first.", None),
            Code::InvalidJson => (Error,
                "The file is not valid JSON.",
                "Fix the file at the place shown, or export it again from the program that made it.", Some("[{\"name\": \"Ada\", \"email\": \"ada@example.com\"}]")),
            Code::InvalidJsonlLine => (Warning,
                "Some lines of the JSON Lines file are not valid JSON; the other lines were read.",
                "Fix or remove the lines shown.", Some("{\"name\": \"Ada\"}\n{\"name\": \"Grace\"}")),
            Code::InconsistentKeys => (Warning,
                "Some records lack keys that other records have; those values are left empty.",
                "Give every record the same keys, with an empty value (\"\") where there is nothing to fill in.", Some("{\"name\": \"Ada\", \"email\": \"\"}")),
            Code::PdfNoTextLayer => (Error,
                "This looks like a scan: the pages are pictures, and we can't read text from images.",
                "Upload the original document instead of a scan, or run it through text recognition (OCR) first.", None),
            Code::PdfGarbledText => (Warning,
                "The text we got out of the PDF looks garbled.",
                "Upload the original document (Word, text), or copy the text from the PDF and paste it.", None),
            Code::PasswordRequired => (Error,
                "The PDF needs a password to open.",
                "Open it, save a copy without a password, and upload that copy.", None),
            Code::LanguageNotSupported => (Error,
                "The text is in a language this task does not handle.",
                "Send the text in one of the languages this task accepts.", None),
            Code::DateOutOfRange => (Warning,
                "A cell formatted as a date holds a number that is not a date (before 1900 or after 9999).",
                "Correct the cell, or format it as a number if it is not a date.", None),
            Code::RowTooLarge => (Warning,
                "One row of the table is larger than a part may be, so it goes on its own.",
                "Shorten the longest cells in that row, or ask for larger parts.", None),
            Code::ItemTooLarge => (Warning,
                "One item of the list is larger than a part may be, so it goes on its own.",
                "Shorten that item, or ask for larger parts.", None),
        }
    }
}

impl InputKind {
    /// What the kind is, in words for people: "an Excel workbook".
    pub fn description(self) -> &'static str {
        match self {
            InputKind::Text => "plain text",
            InputKind::Csv => "a table (CSV)",
            InputKind::Xlsx => "an Excel workbook (.xlsx)",
            InputKind::Xls => "an Excel 97-2003 workbook (.xls)",
            InputKind::Xlsb => "an Excel binary workbook (.xlsb)",
            InputKind::Ods => "an OpenDocument spreadsheet (.ods)",
            InputKind::Json => "JSON",
            InputKind::Jsonl => "JSON Lines",
            InputKind::Pdf => "a PDF document",
            InputKind::Unsupported => "a file we can't read",
        }
    }
}

/// Every catalogue entry, in order.
pub fn catalogue() -> Vec<CatalogueEntry> {
    Code::ALL.iter().map(|c| c.entry()).collect()
}

pub(crate) use crate::words::{compared_sizes, plural};
pub use crate::words::{group_digits, human_size};

pub mod failure;
pub mod issue;
pub(crate) mod prepare;
pub(crate) mod progress;
pub mod quota;
pub mod run;
pub(crate) mod verdict;

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
        let issue = issue::over_token_limit(
            "text",
            11_240,
            2_000,
            "free",
            Some(("paid", 8_000)),
            Some(6),
            false,
        );
        assert!(issue.message.contains("11,240"));
        // A bound: parts end at boundaries, so there can be more.
        assert!(issue.hint.contains("split it into at least 6 parts"));
        assert!(issue.hint.contains("paid plan allows 8,000"));
        let issue = issue::over_token_limit("text", 11_240, 2_000, "free", None, None, false);
        assert!(!issue.hint.contains("split"));
        assert!(!issue
            .actions
            .iter()
            .any(|a| matches!(a, crate::Action::Split { .. })));
    }
}

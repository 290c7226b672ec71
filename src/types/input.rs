//! What an input turned out to be, and the limits that bound reading it.

use serde::{Deserialize, Serialize};

/// The detected kind of an input.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum InputKind {
    /// Free text.
    #[default]
    Text,
    /// Delimited text with a header row (CSV, TSV, semicolon-separated, …).
    Csv,
    /// An Excel workbook (.xlsx or .xlsm).
    Xlsx,
    /// An Excel 97–2003 workbook (.xls).
    Xls,
    /// An Excel binary workbook (.xlsb).
    Xlsb,
    /// An OpenDocument spreadsheet (.ods).
    Ods,
    /// A JSON document.
    Json,
    /// JSON Lines: one JSON value per line.
    Jsonl,
    /// A PDF document.
    Pdf,
    /// Something we cannot read; see the `unsupported_format` issue.
    Unsupported,
}

impl InputKind {
    /// The kind's name as in JSON, e.g. `csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Text => "text",
            InputKind::Csv => "csv",
            InputKind::Xlsx => "xlsx",
            InputKind::Xls => "xls",
            InputKind::Xlsb => "xlsb",
            InputKind::Ods => "ods",
            InputKind::Json => "json",
            InputKind::Jsonl => "jsonl",
            InputKind::Pdf => "pdf",
            InputKind::Unsupported => "unsupported",
        }
    }
}

/// What the input turned out to be.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputInfo {
    /// The detected kind, from the content rather than the file name.
    pub kind: InputKind,
    /// Size of the input in bytes, as received.
    pub bytes: u64,
    /// The text encoding as a WHATWG label, e.g. `utf-8`.
    pub encoding: String,
    /// The delimiter of a table, the character itself: `","`, `"\t"` for a
    /// tab, `" "` for columns aligned with spaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// The delimiter's name for people: `comma`, `semicolon`, `tab`,
    /// `pipe`, `colon` or `spaces`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter_name: Option<String>,
    /// The 1-based line of the header row of a table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_row: Option<u64>,
    /// The header names of a table, as written in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<Vec<String>>,
    /// The number of data rows of a table (without the header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// The number of columns of a table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<u64>,
    /// The number of lines of a text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines: Option<u64>,
    /// The byte-order mark the file started with, as an encoding label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bom: Option<String>,
    /// The detected language of a text, as an ISO 639-3 code (e.g. `eng`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The language's English name, for people (e.g. `French`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language_name: Option<String>,
    /// The line endings of a text file: `lf`, `crlf`, `cr` or `mixed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_ending: Option<String>,
    /// Every sheet of a workbook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheets: Option<Vec<SheetInfo>>,
    /// The sheet whose table is checked and sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected_sheet: Option<String>,
    /// The number of pages of a PDF.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<u64>,
    /// The 1-based pages of a PDF that have no text layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages_without_text: Option<Vec<u64>>,
    /// Whether the file is encrypted (including PDFs that open without a
    /// password).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
}

/// One sheet of a workbook.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetInfo {
    /// The sheet's name.
    pub name: String,
    /// Whether the sheet is visible (not hidden).
    pub visible: bool,
    /// Rows in the used range.
    pub rows: u64,
    /// Columns in the used range.
    pub columns: u64,
    /// The used range in A1 notation, e.g. `A1:E13` (none for an empty
    /// sheet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_range: Option<String>,
    /// The 1-based sheet row of the header, when one was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_row: Option<u64>,
    /// The header names.
    pub headers: Vec<String>,
    /// Merged ranges in A1 notation, e.g. `B4:E4`.
    pub merged: Vec<String>,
    /// The number of cells holding a formula.
    pub formulas: u64,
    /// Cells whose value is an error such as `#DIV/0!`.
    pub error_cells: Vec<ErrorCell>,
}

/// A cell holding an error value.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorCell {
    /// The cell address in A1 notation, e.g. `C7`.
    pub cell: String,
    /// The error as the spreadsheet shows it, e.g. `#DIV/0!`.
    pub value: String,
}

/// Limits that keep huge or hostile input within bounded time and memory.
/// A contract may set any of them in its `[limits]` table.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest input accepted, in bytes.
    pub max_bytes: u64,
    /// Most data rows in a table.
    pub max_rows: u64,
    /// Most columns in a table.
    pub max_columns: u64,
    /// Most cells (rows × columns) in a table.
    pub max_cells: u64,
    /// Most bytes a compressed file (xlsx, ods) may expand to.
    pub max_decompressed_bytes: u64,
    /// Deepest nesting of JSON (and of a spreadsheet's XML).
    pub max_depth: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 25 * 1024 * 1024,
            max_rows: 1_000_000,
            max_columns: 1_000,
            max_cells: 10_000_000,
            max_decompressed_bytes: 200 * 1024 * 1024,
            max_depth: 64,
        }
    }
}

impl Limits {
    pub(crate) fn is_default(&self) -> bool {
        *self == Limits::default()
    }
}

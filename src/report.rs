//! The report: the JSON both the browser and the server return for a check.

use crate::budget::EstimateInfo;
use crate::{BudgetState, Code, Cost, Encoding};
use serde::{Deserialize, Serialize};

/// The result of checking one input against a contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// True when no issue has severity `error`.
    pub ok: bool,
    /// Which contract the input was checked against.
    pub contract: ContractRef,
    /// What the input turned out to be.
    pub input: InputInfo,
    /// Its size in tokens against the tier's limit.
    pub tokens: TokenInfo,
    /// Every problem found, most severe first.
    pub issues: Vec<Issue>,
}

/// The id and version of the contract a report was made against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractRef {
    /// The contract id.
    pub id: String,
    /// The contract version.
    pub version: String,
}

/// The detected kind of an input.
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

/// What the input turned out to be.
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorCell {
    /// The cell address in A1 notation, e.g. `C7`.
    pub cell: String,
    /// The error as the spreadsheet shows it, e.g. `#DIV/0!`.
    pub value: String,
}

/// The request in tokens: the input, what the contract adds, the answer's
/// reservation, the limits they are held against, and the cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// The model the request is for.
    pub model: String,
    /// The encoding used to count (the basis, for estimates).
    pub encoding: Encoding,
    /// Whether the figures are exact. False for models without a public
    /// tokenizer (see `estimate`) and for input counted with an upper bound.
    pub exact: bool,
    /// Tokens the user's input adds to the request.
    pub input: u64,
    /// Tokens of the system message, the template and the chat format.
    pub overhead: u64,
    /// Tokens reserved for the answer.
    pub output_reserved: u64,
    /// `input + overhead + output_reserved`, held against the context window.
    pub total: u64,
    /// The most tokens the model handles in one request.
    pub context_window: u64,
    /// The tier's per-request limit on `input`.
    pub limit: u64,
    /// The input count at which the warning starts.
    pub warn_at: u64,
    /// Input tokens left before the limit (0 when over).
    pub remaining: u64,
    /// The tier the limit comes from.
    pub tier: String,
    /// Where `input` stands against the limit.
    pub state: BudgetState,
    /// What the request costs at most.
    pub cost: Cost,
    /// How the figures were estimated, for models without a public
    /// tokenizer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate: Option<EstimateInfo>,
    /// Who counted, when it was not our tokenizer: the provider's own
    /// count endpoint (e.g. `anthropic`), asked by the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counted_by: Option<String>,
}

/// How serious an issue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The input cannot be used as it is.
    Error,
    /// The input can be used, but the result may suffer.
    Warning,
    /// Worth knowing; nothing to fix.
    Info,
}

/// One problem in the input, explained for the person who sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    /// Stable snake_case code, e.g. `missing_column`.
    pub code: Code,
    /// How serious it is.
    pub severity: Severity,
    /// What is wrong, in plain language.
    pub message: String,
    /// What to do about it.
    pub hint: String,
    /// Something that works, where an example helps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
    /// Where it is (the first place, for grouped issues).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Location>,
    /// How many places have this problem, for grouped issues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// What the product can do about it for the user, as buttons.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Action>,
}

/// Something the product can do to fix an issue, offered to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Action {
    /// Remove what the contract does not need (columns, blank and
    /// duplicate rows, boilerplate).
    Trim,
    /// Keep only the sections most relevant to the user's question.
    KeepRelevant,
    /// Split the input into parts of at most `max_tokens` and process them
    /// one by one.
    Split {
        /// How many parts, at least.
        parts: u64,
        /// The most tokens in each part.
        max_tokens: u64,
    },
    /// Use a plan with a higher limit.
    Upgrade {
        /// The plan.
        tier: String,
        /// Its per-request limit.
        max_input_tokens: u64,
    },
}

/// A place in the input. Rows and lines are 1-based, as users count them:
/// in a CSV, `row` 1 is the first row after the header; in a workbook,
/// `row` is the sheet's row number as the spreadsheet shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// The sheet of a workbook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// The data row of a table (row 1 is the first row after the header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    /// The column name of a table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The line of the file or text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

impl Location {
    /// A line of a file or text.
    pub fn line(line: u64) -> Self {
        Location {
            line: Some(line),
            ..Location::default()
        }
    }

    /// A column of a table.
    pub fn column(name: impl Into<String>) -> Self {
        Location {
            column: Some(name.into()),
            ..Location::default()
        }
    }
}

/// Orders issues most severe first, keeping the order found within a
/// severity: the one ordering every list of issues has.
pub(crate) fn most_severe_first(issues: &mut [Issue]) {
    issues.sort_by_key(|i| i.severity);
}

impl Report {
    /// A report on `input`: its issues ordered most severe first, and `ok`
    /// exactly when none is an error. The one place that rule lives.
    pub fn new(
        contract: ContractRef,
        input: InputInfo,
        tokens: TokenInfo,
        issues: Vec<Issue>,
    ) -> Report {
        let mut report = Report {
            ok: true,
            contract,
            input,
            tokens,
            issues,
        };
        report.settle();
        report
    }

    fn settle(&mut self) {
        most_severe_first(&mut self.issues);
        self.ok = self.issues.iter().all(|i| i.severity != Severity::Error);
    }

    /// Adds an issue found after the check (such as a provider that could
    /// not count), keeping the order and `ok` right.
    pub fn add_issue(&mut self, issue: Issue) {
        self.issues.push(issue);
        self.settle();
    }

    /// Replaces the token figures and the issues about size (for example
    /// with a provider's exact count), keeping every other issue.
    pub fn set_tokens(&mut self, tokens: TokenInfo, size_issues: Vec<Issue>) {
        self.issues.retain(|i| !Code::SIZE.contains(&i.code));
        self.issues.extend(size_issues);
        self.tokens = tokens;
        self.settle();
    }

    /// The issues with severity `error`.
    pub fn errors(&self) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(|i| i.severity == Severity::Error)
    }

    /// Whether an issue with this code is present.
    pub fn has(&self, code: Code) -> bool {
        self.issues.iter().any(|i| i.code == code)
    }
}

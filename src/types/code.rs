//! The stable codes of issues. Their words (title, hint, example) are in
//! the catalogue of `messages`.

use serde::{Deserialize, Serialize};

/// Declares [`Code`] and derives [`Code::ALL`] from the same list, so a new
/// code cannot be missing from the catalogue (and the catalogue's words, an
/// exhaustive match in `messages`, cannot lack one).
macro_rules! codes {
    ($(#[$meta:meta])* pub enum Code { $($(#[$doc:meta])* $code:ident = $name:literal,)* }) => {
        $(#[$meta])*
        pub enum Code {
            $($(#[$doc])* $code,)*
        }

        impl Code {
            /// Every code, in catalogue order (the order they are declared in).
            pub const ALL: &'static [Code] = &[$(Code::$code),*];

            /// The stable snake_case name, as in JSON.
            ///
            /// ```
            /// assert_eq!(prompt_preflight::Code::MissingColumn.as_str(), "missing_column");
            /// ```
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$code => $name,)*
                }
            }
        }
    };
}

codes! {
    /// A stable identifier for a kind of problem.
    #[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    #[non_exhaustive]
    pub enum Code {
        /// The input has no content.
        EmptyInput = "empty_input",
        /// The input has more tokens than the tier allows.
        OverTokenLimit = "over_token_limit",
        /// The input is close to the tier's limit.
        NearTokenLimit = "near_token_limit",
        /// The token count is an estimate, not exact.
        TokenCountEstimated = "token_count_estimated",
        /// The whole request does not fit the model's context window.
        ContextWindowExceeded = "context_window_exceeded",
        /// A required column is not in the table.
        MissingColumn = "missing_column",
        /// The table has a column the contract does not declare.
        UnexpectedColumn = "unexpected_column",
        /// A header name is used twice.
        DuplicateHeader = "duplicate_header",
        /// A header cell is empty.
        BlankHeader = "blank_header",
        /// Rows with a different number of cells than the header.
        RaggedRow = "ragged_row",
        /// The file is of a kind we cannot read.
        UnsupportedFormat = "unsupported_format",
        /// The contract needs a table but got text (or the reverse).
        WrongInputKind = "wrong_input_kind",
        /// Typed text that is a question or a request, with none of the
        /// data the contract works on.
        QuestionWithoutData = "question_without_data",
        /// The file is not UTF-8 and its encoding was guessed.
        EncodingGuessed = "encoding_guessed",
        /// The file is larger than allowed.
        TooLarge = "too_large",
        /// Values that do not have their column's type.
        TypeMismatch = "type_mismatch",
        /// Empty cells in a required column.
        MissingValue = "missing_value",
        /// Values that break a rule of their column (length, pattern, range).
        InvalidValue = "invalid_value",
        /// Header names with spaces before or after them.
        PaddedHeader = "padded_header",
        /// The file's name does not match its content.
        ExtensionMismatch = "extension_mismatch",
        /// The text contains non-text characters.
        BinaryContent = "binary_content",
        /// The file is password-protected.
        EncryptedFile = "encrypted_file",
        /// The file is damaged.
        CorruptFile = "corrupt_file",
        /// Too many rows.
        TooManyRows = "too_many_rows",
        /// Nested too deeply.
        TooDeep = "too_deep",
        /// No header row.
        NoHeader = "no_header",
        /// The header is further down.
        HeaderNotFirstRow = "header_not_first_row",
        /// Empty rows.
        BlankRows = "blank_rows",
        /// Unescaped quote.
        UnescapedQuote = "unescaped_quote",
        /// Merged cells.
        MergedCells = "merged_cells",
        /// Formula errors.
        FormulaError = "formula_error",
        /// Empty sheet.
        EmptySheet = "empty_sheet",
        /// Several sheets.
        MultipleSheets = "multiple_sheets",
        /// Macros present.
        MacrosPresent = "macros_present",
        /// Invalid JSON.
        InvalidJson = "invalid_json",
        /// Invalid JSON Lines.
        InvalidJsonlLine = "invalid_jsonl_line",
        /// JSON records that lack keys other records have.
        InconsistentKeys = "inconsistent_keys",
        /// No text layer.
        PdfNoTextLayer = "pdf_no_text_layer",
        /// Garbled text.
        PdfGarbledText = "pdf_garbled_text",
        /// Password required.
        PasswordRequired = "password_required",
        /// Language not supported.
        LanguageNotSupported = "language_not_supported",
        /// A date cell whose value is not a date a spreadsheet can show.
        DateOutOfRange = "date_out_of_range",
        /// One table row alone is larger than a chunk may be.
        RowTooLarge = "row_too_large",
        /// One element of a JSON list alone is larger than a chunk may be.
        ItemTooLarge = "item_too_large",
    }
}

impl Code {
    /// The codes about a request's size, which [`Budget::issues`](crate::Budget::issues) makes.
    pub const SIZE: &'static [Code] = &[
        Code::OverTokenLimit,
        Code::NearTokenLimit,
        Code::ContextWindowExceeded,
        Code::TokenCountEstimated,
    ];

    /// The codes a live check decides at every edit of typed text (see
    /// [`LiveCheck`](crate::LiveCheck)): the size, and whether there is
    /// any text at all.
    pub const LIVE: &'static [Code] = &[
        Code::OverTokenLimit,
        Code::NearTokenLimit,
        Code::ContextWindowExceeded,
        Code::TokenCountEstimated,
        Code::EmptyInput,
    ];
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

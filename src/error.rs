//! Failures of the core: the cases where we could not look at the input at
//! all (a broken contract, an unknown tier). Problems *in* the input are not
//! errors; they are [`Issue`](crate::Issue)s in a [`Report`](crate::Report).

/// What went wrong before an input could be checked.
///
/// Each variant has a stable [`code`](Error::code) for programs and a
/// `Display` text written for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The contract is not valid TOML or JSON.
    #[error("the contract is not valid {format}: {reason}")]
    ContractSyntax {
        /// `"TOML"` or `"JSON"`.
        format: &'static str,
        /// What the parser reported, with its line and column where known.
        reason: String,
    },
    /// A field of the contract is missing or has a value we cannot use.
    #[error("the contract field `{field}` is invalid: {reason}")]
    ContractField {
        /// Dotted path of the field, e.g. `tiers.free.max_input_tokens`.
        field: String,
        /// What is wrong and what is expected.
        reason: String,
    },
    /// The requested tier is not declared in the contract.
    #[error("the tier `{tier}` does not exist in this contract; choose one of: {available}")]
    UnknownTier {
        /// The tier that was asked for.
        tier: String,
        /// The tiers the contract declares, comma-separated.
        available: String,
    },
    /// The contract names a model the catalogue does not know.
    #[error("unknown model `{name}`{}; see the model catalogue (`data/models.toml`) for the models we know", suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default())]
    UnknownModel {
        /// The name in the contract.
        name: String,
        /// The closest known model name, if one is close.
        suggestion: Option<String>,
    },
    /// The encoding name is not one we can count.
    #[error("unknown token encoding `{0}`; use `o200k_base` or `cl100k_base`")]
    UnknownEncoding(String),
    /// The tokenizer needed is not loaded yet (in the browser, call
    /// `loadTokenizer` first).
    #[error("the {0} tokenizer is not loaded yet")]
    TokenizerNotLoaded(crate::Encoding),
}

impl Error {
    /// A stable snake_case code for programs.
    ///
    /// ```
    /// let err = prompt_preflight::Encoding::from_name("p50k").unwrap_err();
    /// assert_eq!(err.code(), "unknown_encoding");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Error::ContractSyntax { .. } | Error::ContractField { .. } => "invalid_contract",
            Error::UnknownTier { .. } => "unknown_tier",
            Error::UnknownModel { .. } => "unknown_model",
            Error::UnknownEncoding(_) => "unknown_encoding",
            Error::TokenizerNotLoaded(_) => "tokenizer_not_loaded",
        }
    }

    /// The contract field this error is about, where there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::ContractField { field, .. } => Some(field),
            Error::UnknownModel { .. } => Some("model.name"),
            _ => None,
        }
    }

    pub(crate) fn invalid_field(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::ContractField {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

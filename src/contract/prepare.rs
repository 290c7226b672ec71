//! The `[prepare]` part of a contract: how an input is trimmed and shaped
//! for the model, and what happens when it is still too long.

use crate::Error;
use serde::{Deserialize, Serialize};

/// How [`prepare`](crate::prepare()) shapes inputs for this contract.
///
/// ```
/// use prompt_preflight::Contract;
/// let c = Contract::parse(r#"
///     id = "s"
///     version = "1.0.0"
///     [model]
///     name = "gpt-4o-mini"
///     [tiers.free]
///     max_input_tokens = 2000
///     [prepare]
///     table_format = "markdown"
///     long_input = "map_reduce"
/// "#).unwrap();
/// assert_eq!(c.prepare.max_cell_chars, 1000);
/// ```
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrepareSpec {
    /// How a table is written for the model.
    pub table_format: TableFormat,
    /// The most characters kept in one table cell; longer cells are cut
    /// with a visible marker.
    pub max_cell_chars: u32,
    /// Remove HTML and XML tags and comments from text.
    pub strip_markup: bool,
    /// What to do with an input that is still over the limit after
    /// trimming.
    pub long_input: LongInput,
    /// The user message of the combining step of a map-reduce plan;
    /// `{{input}}` receives the partial answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reduce_template: Option<String>,
}

/// How a table is written for the model.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableFormat {
    /// Comma-separated values with a header row: usually the fewest tokens.
    #[default]
    Csv,
    /// A Markdown table.
    Markdown,
    /// A JSON array of records, one object per row.
    Json,
}

/// What a contract allows for an input that stays over the limit.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LongInput {
    /// Refuse it: the prompt needs the whole input in one request.
    #[default]
    Refuse,
    /// Run the prompt on each part, then combine the answers in one more
    /// request (for summarise or extract style prompts).
    MapReduce,
}

/// The combining step's template when the contract sets none.
pub const DEFAULT_REDUCE_TEMPLATE: &str =
    "These are answers to the same request, each about one part of a longer input. Combine them into one answer.\n\n{{input}}";

impl Default for PrepareSpec {
    fn default() -> Self {
        PrepareSpec {
            table_format: TableFormat::Csv,
            max_cell_chars: 1000,
            strip_markup: false,
            long_input: LongInput::Refuse,
            reduce_template: None,
        }
    }
}

impl PrepareSpec {
    pub(crate) fn is_default(&self) -> bool {
        *self == PrepareSpec::default()
    }

    /// The combining step's template.
    pub fn reduce_template(&self) -> &str {
        self.reduce_template
            .as_deref()
            .unwrap_or(DEFAULT_REDUCE_TEMPLATE)
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.max_cell_chars < 16 {
            return Err(Error::invalid_field(
                "prepare.max_cell_chars",
                format!(
                    "must be at least 16 so a cut cell keeps some text, got {}",
                    self.max_cell_chars
                ),
            ));
        }
        if let Some(t) = &self.reduce_template {
            if !t.contains(crate::INPUT_PLACEHOLDER) {
                return Err(Error::invalid_field(
                    "prepare.reduce_template",
                    format!(
                        "must contain {} where the partial answers go",
                        crate::INPUT_PLACEHOLDER
                    ),
                ));
            }
        }
        Ok(())
    }
}

//! The `[output]` part of a contract: what a good answer looks like, so
//! the server can check the model's answer before it reaches the user.

use crate::Error;
use serde::{Deserialize, Serialize};

/// What the model must answer with.
///
/// ```
/// use prompt_preflight::{Contract, OutputFormat};
/// let c = Contract::parse(r#"
///     id = "s"
///     version = "1.0.0"
///     [model]
///     name = "gpt-4o-mini"
///     [tiers.free]
///     max_input_tokens = 2000
///     [output]
///     format = "json"
///     schema = { type = "object", required = ["summary"], properties = { summary = { type = "string" } } }
/// "#).unwrap();
/// let output = c.output.unwrap();
/// assert_eq!(output.format, OutputFormat::Json);
/// assert!(output.reask);
/// ```
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// Plain text, or a JSON document.
    #[serde(default)]
    pub format: OutputFormat,
    /// For JSON: the JSON Schema the answer must match (draft 2020-12
    /// unless it says otherwise), written inline in TOML or JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wasm", tsify(type = "unknown", optional))]
    pub schema: Option<serde_json::Value>,
    /// The most characters an answer may have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_chars: Option<usize>,
    /// Whether an answer that fails the check is asked for once more, with
    /// what was wrong (the re-ask's tokens are counted and shown).
    #[serde(default = "yes")]
    pub reask: bool,
    /// A good answer, for the documentation and the re-ask.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
}

fn yes() -> bool {
    true
}

/// The shape of an answer.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OutputFormat {
    /// Any text.
    #[default]
    Text,
    /// One JSON document (a fenced ```json block is accepted and unwrapped).
    Json,
}

impl OutputSpec {
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if let Some(schema) = &self.schema {
            if self.format != OutputFormat::Json {
                return Err(Error::invalid_field(
                    "output.schema",
                    "a schema checks JSON answers; add `format = \"json\"`",
                ));
            }
            if !(schema.is_object() || schema.is_boolean()) {
                return Err(Error::invalid_field(
                    "output.schema",
                    "must be a JSON Schema: an object such as { type = \"object\" }",
                ));
            }
        }
        if self.max_chars == Some(0) {
            return Err(Error::invalid_field(
                "output.max_chars",
                "must be greater than 0",
            ));
        }
        if let (Some(example), OutputFormat::Json) = (&self.example, self.format) {
            if let Err(e) = serde_json::from_str::<serde_json::Value>(example) {
                return Err(Error::invalid_field(
                    "output.example",
                    format!("is not valid JSON ({e})"),
                ));
            }
        }
        Ok(())
    }
}

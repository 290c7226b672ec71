//! The `[recovery]` part of a contract: what the server may do by itself
//! when a model call fails or its answer is cut off.

use crate::{Catalogue, Error};
use serde::{Deserialize, Serialize};

/// How the server recovers from a failed or cut-off call.
///
/// ```
/// use prompt_preflight::{Contract, OnTruncated};
/// let c = Contract::parse(r#"
///     id = "s"
///     version = "1.0.0"
///     [model]
///     name = "gpt-4o-mini"
///     [tiers.free]
///     max_input_tokens = 2000
///     [recovery]
///     fallbacks = ["claude-haiku-4-5"]
///     on_truncated = "continue"
/// "#).unwrap();
/// assert_eq!(c.recovery.fallbacks, ["claude-haiku-4-5"]);
/// assert_eq!(c.recovery.on_truncated, OnTruncated::Continue);
/// ```
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecoverySpec {
    /// Models from the catalogue tried in order when the contract's model
    /// is down, rate limited past the deadline, or (for a model with a
    /// larger window) when the request is too long for it. A model whose
    /// window is smaller than the request is never tried.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fallbacks: Vec<String>,
    /// What to do with an answer cut off at its length limit.
    pub on_truncated: OnTruncated,
    /// How many follow-up calls [`OnTruncated::Continue`] may make.
    pub max_continuations: u32,
}

/// What to do with an answer cut off at its length limit.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OnTruncated {
    /// Ask the model to continue where it stopped, and join the pieces.
    #[default]
    Continue,
    /// Ask again for a shorter answer that fits.
    Shorter,
    /// Return what came, flagged as cut off.
    Flag,
}

impl Default for RecoverySpec {
    fn default() -> Self {
        RecoverySpec {
            fallbacks: Vec::new(),
            on_truncated: OnTruncated::Continue,
            max_continuations: 2,
        }
    }
}

impl RecoverySpec {
    pub(crate) fn is_default(&self) -> bool {
        *self == RecoverySpec::default()
    }

    pub(crate) fn validate(&self, primary: &str) -> Result<(), Error> {
        for (i, name) in self.fallbacks.iter().enumerate() {
            let field = format!("recovery.fallbacks[{i}]");
            let model = Catalogue::builtin()
                .find(name)
                .map_err(|e| Error::invalid_field(&field, e.to_string()))?;
            if model.name == primary || self.fallbacks[..i].iter().any(|n| n == name) {
                return Err(Error::invalid_field(
                    field,
                    format!("{name} is already in the chain; list each model once"),
                ));
            }
        }
        if self.max_continuations > 8 {
            return Err(Error::invalid_field(
                "recovery.max_continuations",
                format!("must be at most 8, got {}", self.max_continuations),
            ));
        }
        Ok(())
    }
}

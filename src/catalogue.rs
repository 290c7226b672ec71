//! The model catalogue (`data/models.toml`): provider, tokenizer, context
//! window, longest answer and prices of every model a contract can name.
//!
//! ```
//! use prompt_preflight::{Catalogue, Encoding};
//! let model = Catalogue::builtin().find("gpt-4o-mini").unwrap();
//! assert_eq!(model.encoding, Encoding::O200kBase);
//! assert!(model.estimate.is_none());
//! let claude = Catalogue::builtin().find("claude-sonnet-4-5-20250929").unwrap();
//! assert_eq!(claude.name, "claude-sonnet-4-5");
//! assert!(claude.estimate.is_some());
//! ```

use crate::{Encoding, Error};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// Who serves a model. One list for the catalogue, the report's
/// `counted_by` and the server's provider calls.
///
/// Not `#[non_exhaustive]`: the server matches on it to reach each
/// provider's API, so a new provider must be handled there too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// OpenAI (and OpenAI-compatible endpoints).
    Openai,
    /// Anthropic (Claude).
    Anthropic,
    /// Google Gemini (`google` is read as this too).
    #[serde(alias = "google")]
    Gemini,
}

impl Provider {
    /// Every provider.
    pub const ALL: [Provider; 3] = [Provider::Openai, Provider::Anthropic, Provider::Gemini];

    /// The stable snake_case name, as in the catalogue, the report's
    /// `counted_by` and the server's configuration.
    ///
    /// ```
    /// assert_eq!(prompt_preflight::Provider::Gemini.as_str(), "gemini");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Openai => "openai",
            Provider::Anthropic => "anthropic",
            Provider::Gemini => "gemini",
        }
    }

    /// The provider's name for people: `OpenAI`, `Anthropic`, `Google Gemini`.
    pub fn title(self) -> &'static str {
        match self {
            Provider::Openai => "OpenAI",
            Provider::Anthropic => "Anthropic",
            Provider::Gemini => "Google Gemini",
        }
    }
}

/// The provider's name for people, as [`Provider::title`].
impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.title())
    }
}

/// How a model without a public tokenizer is estimated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EstimateRule {
    /// The exact encoding the estimate starts from.
    pub basis: Encoding,
    /// The model's tokens per basis token on typical text.
    pub ratio: f64,
    /// The stated relative error of `basis × ratio` (0.2 = ±20%).
    pub error_bound: f64,
}

/// Higher prices above a prompt length (Gemini Pro, long-context Claude).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongContext {
    /// Prompts with more input tokens than this are billed at these prices.
    pub above_tokens: u64,
    /// US dollars per million input tokens.
    pub input_usd_per_mtok: f64,
    /// US dollars per million output tokens.
    pub output_usd_per_mtok: f64,
}

/// One model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Model {
    /// The provider's model name.
    pub name: String,
    /// Other names for the same model (dated snapshots).
    pub aliases: Vec<String>,
    /// Who serves it.
    pub provider: Provider,
    /// The encoding its tokens are counted with (the basis of the estimate
    /// when [`estimate`](Model::estimate) is set).
    pub encoding: Encoding,
    /// Set when there is no public tokenizer and counts are estimates.
    pub estimate: Option<EstimateRule>,
    /// Input plus output tokens the model can handle in one request.
    pub context_window: u64,
    /// The longest answer the model can give.
    pub max_output_tokens: u64,
    /// US dollars per million input tokens.
    pub input_usd_per_mtok: f64,
    /// US dollars per million output tokens.
    pub output_usd_per_mtok: f64,
    /// Higher prices for long prompts, if the provider has them.
    pub long_context: Option<LongContext>,
}

/// The catalogue of models.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Catalogue {
    /// The date the prices were taken from the providers' price lists.
    pub prices_as_of: String,
    /// The currency of every price.
    pub currency: String,
    /// Every model.
    pub models: Vec<Model>,
}

#[cfg(feature = "toml-contracts")]
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    prices_as_of: String,
    currency: String,
    estimates: std::collections::BTreeMap<Provider, EstimateRule>,
    model: Vec<Entry>,
}

#[cfg(feature = "toml-contracts")]
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
    provider: Provider,
    encoding: Option<Encoding>,
    context_window: u64,
    max_output_tokens: u64,
    input_usd_per_mtok: f64,
    output_usd_per_mtok: f64,
    long_context: Option<LongContext>,
}

impl Catalogue {
    /// The catalogue built into this version (`data/models.toml`, turned
    /// into Rust by `build.rs`: no parsing at start).
    pub fn builtin() -> &'static Catalogue {
        static BUILTIN: OnceLock<Catalogue> = OnceLock::new();
        BUILTIN.get_or_init(|| include!(concat!(env!("OUT_DIR"), "/catalogue.rs")))
    }

    /// Parses a catalogue in the format of `data/models.toml`.
    #[cfg(feature = "toml-contracts")]
    pub fn from_toml(source: &str) -> Result<Catalogue, String> {
        let file: File = toml::from_str(source).map_err(|e| e.to_string())?;
        let mut models = Vec::with_capacity(file.model.len());
        for e in file.model {
            let estimate = match (e.encoding, file.estimates.get(&e.provider)) {
                (Some(_), _) => None,
                (None, Some(rule)) => Some(*rule),
                (None, None) => {
                    return Err(format!(
                        "{}: no encoding, and no estimate rule for {:?}",
                        e.name, e.provider
                    ))
                }
            };
            models.push(Model {
                encoding: e
                    .encoding
                    .or(estimate.map(|r| r.basis))
                    .unwrap_or(Encoding::O200kBase),
                name: e.name,
                aliases: e.aliases,
                provider: e.provider,
                estimate,
                context_window: e.context_window,
                max_output_tokens: e.max_output_tokens,
                input_usd_per_mtok: e.input_usd_per_mtok,
                output_usd_per_mtok: e.output_usd_per_mtok,
                long_context: e.long_context,
            });
        }
        Ok(Catalogue {
            prices_as_of: file.prices_as_of,
            currency: file.currency,
            models,
        })
    }

    /// Finds a model by name or alias (ignoring case). An unknown name is
    /// an error that suggests the closest known name.
    ///
    /// ```
    /// use prompt_preflight::Catalogue;
    /// let err = Catalogue::builtin().find("gpt-4o-mni").unwrap_err();
    /// assert_eq!(err.code(), "unknown_model");
    /// assert!(err.to_string().contains("gpt-4o-mini"));
    /// ```
    pub fn find(&self, name: &str) -> Result<&Model, Error> {
        let wanted = name.trim().to_lowercase();
        self.models
            .iter()
            .find(|m| {
                m.name.to_lowercase() == wanted
                    || m.aliases.iter().any(|a| a.to_lowercase() == wanted)
            })
            .ok_or_else(|| Error::UnknownModel {
                name: name.to_owned(),
                suggestion: self
                    .models
                    .iter()
                    .map(|m| (crate::words::edit_distance(&wanted, &m.name), &m.name))
                    .filter(|(d, m)| *d <= 3.max(m.len() / 4))
                    .min()
                    .map(|(_, m)| m.clone()),
            })
    }
}

#[cfg(all(test, feature = "toml-contracts"))]
mod tests {
    use super::Catalogue;

    /// `build.rs` turns the catalogue into Rust; reading the same file at
    /// run time gives the same catalogue.
    #[test]
    fn the_built_in_catalogue_is_the_file() {
        let read = Catalogue::from_toml(include_str!("../data/models.toml")).unwrap();
        assert_eq!(Catalogue::builtin(), &read);
        assert!(read.models.len() > 20);
    }
}

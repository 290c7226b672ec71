//! The contract: a declared, versioned description of what a prompt accepts
//! (free text and/or a table with typed columns), its per-tier limits and the
//! model it runs on.
//!
//! Contracts are written in TOML or JSON. [`Contract::parse`] accepts either,
//! and every error names the field that is wrong.

mod column;
mod compat;
mod output;
mod prepare;
mod recovery;
mod release;

pub use column::{ColumnSpec, ColumnType, ExtraColumns, Pattern, TableSpec};
pub use compat::{incompatibilities, Incompatibility};
pub use output::{OutputFormat, OutputSpec};
pub use prepare::{LongInput, PrepareSpec, TableFormat, DEFAULT_REDUCE_TEMPLATE};
pub use recovery::{OnTruncated, RecoverySpec};
pub(crate) use release::real_day;
pub use release::{civil_date, day_number, ReleaseSpec, Standing};

use crate::catalogue::Model;
use crate::{Catalogue, Encoding, Error, Limits};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A prompt contract.
///
/// ```
/// use prompt_preflight::Contract;
///
/// let contract = Contract::parse(r#"
///     id = "summarise"
///     version = "1.0.0"
///     description = "Summarise a text"
///     [model]
///     name = "gpt-4o-mini"
///     [tiers.free]
///     max_input_tokens = 2000
/// "#).unwrap();
/// assert_eq!(contract.tier(None).unwrap().0, "free");
/// ```
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(hashmap_as_object))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    /// Stable identifier, e.g. `customer-list`.
    pub id: String,
    /// Semantic version of the contract, e.g. `1.2.0`.
    pub version: String,
    /// What the prompt does, in words for the people who use it.
    #[serde(default)]
    pub description: String,
    /// The model the prompt runs on and how its tokens are counted.
    pub model: ModelSpec,
    /// What input the prompt accepts.
    #[serde(default)]
    pub input: InputSpec,
    /// Limits per plan, keyed by tier name.
    pub tiers: BTreeMap<String, Tier>,
    /// The tier used when none is asked for. Defaults to the smallest limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_tier: Option<String>,
    /// How the input is wrapped into the messages the model sees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<PromptSpec>,
    /// Size limits on uploads; unset fields keep their defaults.
    #[serde(default, skip_serializing_if = "Limits::is_default")]
    pub limits: Limits,
    /// How inputs are trimmed and shaped for the model.
    #[serde(default, skip_serializing_if = "PrepareSpec::is_default")]
    pub prepare: PrepareSpec,
    /// What a good answer looks like; the server checks answers against it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<OutputSpec>,
    /// What the server may do by itself when a call fails or is cut off.
    #[serde(default, skip_serializing_if = "RecoverySpec::is_default")]
    pub recovery: RecoverySpec,
    /// What this version says about itself: changelog, breaking, migration
    /// notes, deprecation and sunset dates.
    #[serde(default, skip_serializing_if = "ReleaseSpec::is_default")]
    pub release: ReleaseSpec,
}

/// The model a contract targets.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// The model's name (or an alias) in the [`Catalogue`], e.g. `gpt-4o-mini`.
    pub name: String,
    /// The token encoding. Optional: the catalogue knows it; when given it
    /// must agree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<Encoding>,
    /// For models whose counts are estimates (Claude, Gemini): the factor
    /// the estimate is multiplied by before it is held against limits.
    /// Defaults to 1 + the estimate's stated error bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safety_factor: Option<f64>,
}

impl ModelSpec {
    /// The catalogue entry for this model.
    pub fn info(&self) -> Result<&'static Model, Error> {
        Catalogue::builtin().find(&self.name)
    }

    /// The factor estimates are multiplied by (1 for exact counts).
    pub fn safety_factor(&self, model: &Model) -> f64 {
        match model.estimate {
            Some(rule) => self.safety_factor.unwrap_or(1.0 + rule.error_bound),
            None => 1.0,
        }
    }
}

/// The kinds of input a contract accepts.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// Whether free text is accepted.
    #[serde(default = "yes")]
    pub text: bool,
    /// The table the contract expects, if it takes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<TableSpec>,
    /// The languages accepted in text, as ISO 639-3 codes (`eng`, `fra`)
    /// or English names (`French`). Empty accepts any language.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<String>,
}

impl Default for InputSpec {
    fn default() -> Self {
        InputSpec {
            text: true,
            table: None,
            languages: Vec::new(),
        }
    }
}

impl InputSpec {
    /// Whether a detected language (ISO 639-3 code) is accepted.
    ///
    /// ```
    /// let mut input = prompt_preflight::contract::InputSpec::default();
    /// assert!(input.accepts_language("deu"));
    /// input.languages = vec!["eng".into(), "French".into()];
    /// assert!(input.accepts_language("fra") && !input.accepts_language("deu"));
    /// ```
    pub fn accepts_language(&self, code: &str) -> bool {
        let name = crate::language::name(code);
        self.languages.is_empty()
            || self
                .languages
                .iter()
                .any(|l| l.eq_ignore_ascii_case(code) || l.eq_ignore_ascii_case(&name))
    }
}

fn yes() -> bool {
    true
}

/// The limits of one plan (e.g. `free`, `paid`).
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// Maximum input tokens in one request.
    pub max_input_tokens: u64,
    /// Fraction of the limit at which the user is warned (0 < warn_at <= 1).
    #[serde(default = "default_warn_at")]
    pub warn_at: f64,
    /// Tokens reserved for the answer, counted against the model's context
    /// window and in the cost. Defaults to [`DEFAULT_OUTPUT_TOKENS`], or the
    /// model's maximum when that is lower.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u64>,
    /// Tokens (in and out, every attempt) a user of this tier may use per
    /// calendar month, UTC (enforced by the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_tokens: Option<u64>,
    /// Model calls a user of this tier may start per minute (enforced by
    /// the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_per_minute: Option<u64>,
    /// Tokens a user of this tier may use per minute (enforced by the
    /// server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_per_minute: Option<u64>,
    /// US dollars a user of this tier may spend per calendar month, UTC, at
    /// the catalogue's prices (enforced by the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_spend_usd: Option<f64>,
}

/// The output reservation of a tier that does not set `max_output_tokens`.
pub const DEFAULT_OUTPUT_TOKENS: u64 = 1024;

fn default_warn_at() -> f64 {
    0.8
}

impl Tier {
    /// The token count at which the warning starts.
    ///
    /// ```
    /// use prompt_preflight::Tier;
    /// let tier = Tier::new(2000);
    /// assert_eq!(tier.warn_tokens(), 1600);
    /// ```
    pub fn warn_tokens(&self) -> u64 {
        (self.max_input_tokens as f64 * self.warn_at).ceil() as u64
    }

    /// A tier with this input limit and defaults for the rest.
    pub fn new(max_input_tokens: u64) -> Tier {
        Tier {
            max_input_tokens,
            warn_at: default_warn_at(),
            max_output_tokens: None,
            monthly_tokens: None,
            requests_per_minute: None,
            tokens_per_minute: None,
            monthly_spend_usd: None,
        }
    }

    /// The tokens reserved for the answer on `model`.
    pub fn output_reserved(&self, model: &Model) -> u64 {
        self.max_output_tokens
            .unwrap_or(DEFAULT_OUTPUT_TOKENS.min(model.max_output_tokens))
    }
}

/// How the checked input becomes the messages sent to the model.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptSpec {
    /// The system message, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The user message; `{{input}}` is replaced by the user's input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
}

/// The placeholder in [`PromptSpec::template`] that receives the input.
pub const INPUT_PLACEHOLDER: &str = "{{input}}";

impl PromptSpec {
    /// The text before and after the input in the user message: the
    /// template split at its placeholder (both empty without a template).
    /// The budget counts this frame and the payload sends it, so the two
    /// cannot disagree.
    ///
    /// ```
    /// use prompt_preflight::PromptSpec;
    /// let prompt = PromptSpec { system: None, template: Some("Summarise: {{input}}.".into()) };
    /// assert_eq!(prompt.frame(), ("Summarise: ", "."));
    /// ```
    pub fn frame(&self) -> (&str, &str) {
        match self.template.as_deref() {
            Some(t) => t.split_once(INPUT_PLACEHOLDER).unwrap_or((t, "")),
            None => ("", ""),
        }
    }
}

impl Contract {
    /// The contract used when there is none: any text or table is accepted,
    /// with no schema, for `gpt-4o` (`o200k_base`) or `gpt-4-turbo`
    /// (`cl100k_base`), against one `default` tier of 126,976 input tokens:
    /// their 128,000-token context window less the 1,024 reserved for the
    /// answer. The format, encoding and structure checks still run.
    ///
    /// ```
    /// use prompt_preflight::{check, Contract, Encoding, Input};
    /// let contract = Contract::schemaless(Encoding::O200kBase);
    /// let report = check(&contract, None, &Input::Text("Hello")).unwrap().report;
    /// assert!(report.ok);
    /// assert_eq!(report.tokens.tier, "default");
    /// ```
    pub fn schemaless(encoding: Encoding) -> Contract {
        Contract {
            id: "no-contract".into(),
            version: "0.0.0".into(),
            description: "Format, encoding and structure checks only.".into(),
            model: ModelSpec {
                name: match encoding {
                    Encoding::Cl100kBase => "gpt-4-turbo",
                    _ => "gpt-4o",
                }
                .into(),
                encoding: Some(encoding),
                safety_factor: None,
            },
            input: InputSpec::default(),
            tiers: BTreeMap::from([(
                "default".to_owned(),
                Tier::new(128_000 - DEFAULT_OUTPUT_TOKENS),
            )]),
            default_tier: None,
            prompt: None,
            limits: Limits::default(),
            prepare: PrepareSpec::default(),
            output: None,
            recovery: RecoverySpec::default(),
            release: ReleaseSpec::default(),
        }
    }

    /// Parses a contract from TOML or JSON (JSON when the first non-blank
    /// character is `{`) and validates it.
    pub fn parse(source: &str) -> Result<Contract, Error> {
        if source.trim_start().starts_with('{') {
            Self::from_json(source)
        } else {
            Self::from_toml(source)
        }
    }

    /// Parses and validates a TOML contract. Builds without the
    /// `toml-contracts` feature (the browser's meter module) read JSON
    /// only, and say so.
    pub fn from_toml(source: &str) -> Result<Contract, Error> {
        #[cfg(feature = "toml-contracts")]
        {
            let value: serde_json::Value =
                toml::from_str(source).map_err(|e| Error::ContractSyntax {
                    format: "TOML",
                    reason: e.to_string().trim().replace('\n', " "),
                })?;
            Self::from_value(value)
        }
        #[cfg(not(feature = "toml-contracts"))]
        {
            let _ = source;
            Err(Error::ContractSyntax {
                format: "TOML",
                reason: "this build reads contracts in JSON only (the browser's meter module); \
                         give it the contract as JSON, or parse TOML with the full module"
                    .into(),
            })
        }
    }

    /// Parses and validates a JSON contract.
    pub fn from_json(source: &str) -> Result<Contract, Error> {
        let value: serde_json::Value =
            serde_json::from_str(source).map_err(|e| Error::ContractSyntax {
                format: "JSON",
                reason: e.to_string(),
            })?;
        Self::from_value(value)
    }

    /// Builds a contract from an already-parsed JSON value and validates it.
    pub fn from_value(value: serde_json::Value) -> Result<Contract, Error> {
        let contract: Contract = serde_path_to_error::deserialize(value).map_err(|e| {
            let reason = e.inner().to_string();
            let mut field = match e.path().to_string() {
                path if path == "." => String::new(),
                path => path,
            };
            // serde reports a missing field at its parent; name the field.
            if let Some(missing) = reason
                .strip_prefix("missing field `")
                .and_then(|r| r.split('`').next())
            {
                field = if field.is_empty() {
                    missing.to_owned()
                } else {
                    format!("{field}.{missing}")
                };
            }
            if field.is_empty() {
                field = "(top level)".to_owned();
            }
            Error::invalid_field(field, reason)
        })?;
        contract.validate()?;
        Ok(contract)
    }

    /// Checks the rules that the types alone cannot express.
    pub fn validate(&self) -> Result<(), Error> {
        if self.id.trim().is_empty()
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(Error::invalid_field(
                "id",
                "must be non-empty and use only letters, digits, '-', '_' or '.'",
            ));
        }
        if let Err(e) = semver::Version::parse(&self.version) {
            return Err(Error::invalid_field(
                "version",
                format!(
                    "`{}` is not a semantic version like 1.0.0 ({e})",
                    self.version
                ),
            ));
        }
        if self.model.name.trim().is_empty() {
            return Err(Error::invalid_field("model.name", "must not be empty"));
        }
        let model = self.model.info()?;
        if let Some(encoding) = self.model.encoding {
            if model.estimate.is_some() || encoding != model.encoding {
                return Err(Error::invalid_field(
                    "model.encoding",
                    match model.estimate {
                        Some(_) => format!(
                            "{} has no public tokenizer; leave `encoding` out and its tokens are estimated",
                            model.name
                        ),
                        None => format!(
                            "{} counts with {}, not {encoding}; leave `encoding` out",
                            model.name, model.encoding
                        ),
                    },
                ));
            }
        }
        if let Some(factor) = self.model.safety_factor {
            if !(1.0..=3.0).contains(&factor) {
                return Err(Error::invalid_field(
                    "model.safety_factor",
                    format!("must be between 1 and 3, got {factor}"),
                ));
            }
        }
        if self.tiers.is_empty() {
            return Err(Error::invalid_field("tiers", "declare at least one tier"));
        }
        for (name, tier) in &self.tiers {
            if tier.max_input_tokens == 0 {
                return Err(Error::invalid_field(
                    format!("tiers.{name}.max_input_tokens"),
                    "must be greater than 0",
                ));
            }
            let output = tier.output_reserved(model);
            if output > model.max_output_tokens {
                return Err(Error::invalid_field(
                    format!("tiers.{name}.max_output_tokens"),
                    format!(
                        "{} answers with at most {} tokens",
                        model.name, model.max_output_tokens
                    ),
                ));
            }
            if tier.max_input_tokens + output > model.context_window {
                return Err(Error::invalid_field(
                    format!("tiers.{name}.max_input_tokens"),
                    format!(
                        "{} input tokens plus {output} reserved for the answer exceed the {} tokens {} can read in one request",
                        tier.max_input_tokens, model.context_window, model.name
                    ),
                ));
            }
            if !(tier.warn_at > 0.0 && tier.warn_at <= 1.0) {
                return Err(Error::invalid_field(
                    format!("tiers.{name}.warn_at"),
                    format!(
                        "must be a fraction above 0 and at most 1, got {}",
                        tier.warn_at
                    ),
                ));
            }
            let allowances = [
                ("monthly_tokens", tier.monthly_tokens),
                ("requests_per_minute", tier.requests_per_minute),
                ("tokens_per_minute", tier.tokens_per_minute),
            ];
            for (field, value) in allowances {
                if value == Some(0) {
                    return Err(Error::invalid_field(
                        format!("tiers.{name}.{field}"),
                        "must be at least 1 (leave it out for no limit)",
                    ));
                }
            }
            if let Some(usd) = tier.monthly_spend_usd {
                if !(usd.is_finite() && usd > 0.0) {
                    return Err(Error::invalid_field(
                        format!("tiers.{name}.monthly_spend_usd"),
                        format!("must be an amount above 0 (leave it out for no limit), got {usd}"),
                    ));
                }
            }
        }
        if let Some(default) = &self.default_tier {
            if !self.tiers.contains_key(default) {
                return Err(Error::invalid_field(
                    "default_tier",
                    format!(
                        "`{default}` is not one of the declared tiers ({})",
                        self.tier_names()
                    ),
                ));
            }
        }
        if !self.input.text && self.input.table.is_none() {
            return Err(Error::invalid_field(
                "input",
                "accept free text (`text = true`), a table (`[input.table]`), or both",
            ));
        }
        if let Some(table) = &self.input.table {
            table.validate("input.table")?;
        }
        for (i, language) in self.input.languages.iter().enumerate() {
            if crate::language::code(language).is_none() {
                return Err(Error::invalid_field(
                    format!("input.languages[{i}]"),
                    format!("`{language}` is not a language we can detect; use an ISO 639-3 code like `eng` or an English name like `French`"),
                ));
            }
        }
        let limits = [
            ("max_bytes", self.limits.max_bytes),
            ("max_rows", self.limits.max_rows),
            ("max_columns", self.limits.max_columns),
            ("max_cells", self.limits.max_cells),
            ("max_decompressed_bytes", self.limits.max_decompressed_bytes),
            ("max_depth", self.limits.max_depth),
        ];
        if let Some((name, _)) = limits.iter().find(|(_, v)| *v == 0) {
            return Err(Error::invalid_field(
                format!("limits.{name}"),
                "must be greater than 0",
            ));
        }
        self.prepare.validate()?;
        if let Some(output) = &self.output {
            output.validate()?;
        }
        self.recovery.validate(&model.name)?;
        self.release.validate()?;
        if let Some(template) = self.prompt.as_ref().and_then(|p| p.template.as_ref()) {
            if !template.contains(INPUT_PLACEHOLDER) {
                return Err(Error::invalid_field(
                    "prompt.template",
                    format!("must contain {INPUT_PLACEHOLDER} where the user's input goes"),
                ));
            }
        }
        Ok(())
    }

    /// Resolves a tier by name, or the default tier for `None`.
    pub fn tier(&self, name: Option<&str>) -> Result<(&str, &Tier), Error> {
        let name = match name {
            Some(name) => name,
            None => match &self.default_tier {
                Some(default) => default,
                None => self
                    .tiers
                    .iter()
                    .min_by_key(|(_, t)| t.max_input_tokens)
                    .map(|(n, _)| n.as_str())
                    .ok_or_else(|| Error::invalid_field("tiers", "declare at least one tier"))?,
            },
        };
        self.tiers
            .get_key_value(name)
            .map(|(n, t)| (n.as_str(), t))
            .ok_or_else(|| Error::UnknownTier {
                tier: name.to_owned(),
                available: self.tier_names(),
            })
    }

    fn tier_names(&self) -> String {
        self.tiers.keys().cloned().collect::<Vec<_>>().join(", ")
    }
}

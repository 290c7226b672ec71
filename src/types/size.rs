//! The size of a request: its tokens against the limits, the encoding they
//! were counted in, and what they cost.

use serde::{Deserialize, Serialize};

/// A token encoding (tokenizer vocabulary and pre-tokenization rules).
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Encoding {
    /// GPT-4o, GPT-4.1, GPT-5 and the o-series.
    O200kBase,
    /// GPT-4 and GPT-3.5.
    Cl100kBase,
}

impl Encoding {
    /// Every supported encoding.
    pub const ALL: &'static [Encoding] = &[Encoding::O200kBase, Encoding::Cl100kBase];

    /// The encoding's canonical name, e.g. `o200k_base`.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::O200kBase => "o200k_base",
            Encoding::Cl100kBase => "cl100k_base",
        }
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The state of a token count against a limit.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetState {
    /// Comfortably within the limit.
    Ok,
    /// At or past the warning threshold, still within the limit.
    Warn,
    /// Over the limit: the request would be refused.
    Over,
}

impl BudgetState {
    /// The state's name as in JSON: `ok`, `warn` or `over`.
    pub fn as_str(self) -> &'static str {
        match self {
            BudgetState::Ok => "ok",
            BudgetState::Warn => "warn",
            BudgetState::Over => "over",
        }
    }
}

/// How an estimated count was made (models without a public tokenizer).
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstimateInfo {
    /// The exact encoding the estimate starts from.
    pub basis: Encoding,
    /// The input's exact tokens in that encoding.
    pub basis_input: u64,
    /// The model's tokens per basis token on typical text.
    pub ratio: f64,
    /// The stated relative error of `basis × ratio`.
    pub error_bound: f64,
    /// The margin applied on top, so limits hold even at the error bound.
    pub safety_factor: f64,
}

/// The cost of one request, in the catalogue's currency.
///
/// The output figure is a ceiling: it assumes the model writes every token
/// reserved for the answer.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    /// The input tokens (the user's input and the overhead) at the input
    /// price.
    pub input_usd: f64,
    /// The reserved answer tokens at the output price: the most the answer
    /// can cost.
    pub output_usd_max: f64,
    /// `input_usd + output_usd_max`.
    pub total_usd_max: f64,
    /// The currency (`USD`).
    pub currency: String,
    /// The date the prices were taken from the provider's price list.
    pub prices_as_of: String,
}

/// The request in tokens: the input, what the contract adds, the answer's
/// reservation, the limits they are held against, and the cost.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
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

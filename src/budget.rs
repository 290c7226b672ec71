//! The budget of one request: every token the model will see, the answer's
//! reservation, the tier's limit, the context window and the cost.
//!
//! The same [`Budget`] serves the full check and the live meter, so the
//! browser's figure while typing is the server's figure on Send.

pub(crate) mod cost;

use crate::catalogue::{EstimateRule, Model};
use crate::ingest::Sent;
use crate::messages::issue;
use crate::{
    BudgetState, Contract, Cost, Error, EstimateInfo, Issue, Meter, Tier, TokenCount, TokenInfo,
};
use serde::{Deserialize, Serialize};

/// The most parts a map-reduce plan runs; a longer input is refused, and
/// splitting is not offered for it.
pub const MAX_PARTS: usize = 100;

/// Tokens OpenAI's chat format adds to every message
/// (`<|start|>{role}<|message|>…<|end|>`, less the role itself).
const PER_MESSAGE: u64 = 3;
/// Tokens that prime the answer (`<|start|>assistant<|message|>`).
const REPLY_PRIMING: u64 = 3;

impl BudgetState {
    /// The state of `count` against `tier`.
    ///
    /// ```
    /// use prompt_preflight::{BudgetState, Tier};
    /// let free = Tier::new(2000);
    /// assert_eq!(BudgetState::of(1599, &free), BudgetState::Ok);
    /// assert_eq!(BudgetState::of(1600, &free), BudgetState::Warn);
    /// assert_eq!(BudgetState::of(2000, &free), BudgetState::Warn);
    /// assert_eq!(BudgetState::of(2001, &free), BudgetState::Over);
    /// ```
    pub fn of(count: u64, tier: &Tier) -> BudgetState {
        if count > tier.max_input_tokens {
            BudgetState::Over
        } else if count >= tier.warn_tokens() {
            BudgetState::Warn
        } else {
            BudgetState::Ok
        }
    }
}

/// What the live meter shows as the user types: the request's tokens and
/// the issues about its size.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeterReading {
    /// The request in tokens.
    pub tokens: TokenInfo,
    /// The issues a live check decides at every edit ([`Code::LIVE`](crate::Code::LIVE)):
    /// the size (over or near the limit, estimated), and an empty text.
    pub issues: Vec<Issue>,
    /// Whether the offers over the limit were made for exactly this text
    /// (see [`LiveCheck`](crate::LiveCheck)): always under the limit and
    /// for short texts; for long ones once `settle` is called.
    pub settled: bool,
}

/// The fixed parts of a request for one contract and tier: everything but
/// the user's input, counted once.
///
/// ```
/// use prompt_preflight::{Budget, Contract};
/// let contract = Contract::parse(include_str!("../contracts/customer-list/1.0.0.toml")).unwrap();
/// let budget = Budget::new(&contract, Some("free")).unwrap();
/// let tokens = budget.measure("Ada Lovelace, ada@example.com");
/// assert_eq!(tokens.limit, 2000);
/// assert_eq!(tokens.total, tokens.input + tokens.overhead + tokens.output_reserved);
/// assert!(tokens.exact && tokens.cost.total_usd_max > 0.0);
/// ```
#[derive(Debug, Clone)]
pub struct Budget {
    model: &'static Model,
    tier_name: String,
    tier: Tier,
    bigger: Option<(String, u64)>,
    system: Option<String>,
    prefix: String,
    suffix: String,
    /// Tokens of the template's text before and after `{{input}}`.
    frame: u64,
    /// System message, chat framing and the template's text.
    overhead: u64,
    /// Whether the fixed parts were counted exactly.
    exact: bool,
    safety: f64,
    /// Whether the contract runs long inputs in parts.
    can_split: bool,
}

impl Budget {
    /// The budget of `contract` on `tier` (the default tier for `None`).
    pub fn new(contract: &Contract, tier: Option<&str>) -> Result<Budget, Error> {
        let (tier_name, tier) = contract.tier(tier)?;
        let model = contract.model.info()?;
        let prompt = contract.prompt.as_ref();
        let (prefix, suffix) = prompt.map_or(("", ""), |p| p.frame());
        let (prefix, suffix) = (prefix.to_owned(), suffix.to_owned());
        let count = |s: &str| model.encoding.count(s);
        let mut exact = true;
        let mut add = |c: TokenCount| {
            exact &= c.exact;
            c.count
        };
        let frame = add(count(&prefix)) + add(count(&suffix));
        let mut overhead = frame + REPLY_PRIMING + PER_MESSAGE + add(count("user"));
        if let Some(system) = prompt.and_then(|p| p.system.as_deref()) {
            overhead += PER_MESSAGE + add(count("system")) + add(count(system));
        }
        let bigger = contract
            .tiers
            .iter()
            .filter(|(_, t)| t.max_input_tokens > tier.max_input_tokens)
            .min_by_key(|(_, t)| t.max_input_tokens)
            .map(|(n, t)| (n.clone(), t.max_input_tokens));
        Ok(Budget {
            model,
            tier_name: tier_name.to_owned(),
            tier: tier.clone(),
            bigger,
            system: prompt.and_then(|p| p.system.clone()),
            prefix,
            suffix,
            frame,
            overhead,
            exact,
            safety: contract.model.safety_factor(model),
            can_split: contract.prepare.long_input == crate::contract::LongInput::MapReduce,
        })
    }

    /// The model from the catalogue.
    pub fn model(&self) -> &'static Model {
        self.model
    }

    /// The tier's name.
    pub fn tier_name(&self) -> &str {
        &self.tier_name
    }

    /// The tier.
    pub fn tier(&self) -> &Tier {
        &self.tier
    }

    /// Whether the contract lets an over-limit input be split into parts
    /// whose answers are combined (`long_input = "map_reduce"`).
    pub fn can_split(&self) -> bool {
        self.can_split
    }

    /// The parts splitting would take at the least, when splitting can
    /// work: the contract runs long inputs in parts, there are no more
    /// than [`MAX_PARTS`] of them, and even that many answers fit the
    /// request that combines them.
    pub fn split_offer(&self, tokens: &TokenInfo) -> Option<u64> {
        let parts = tokens.input.div_ceil(tokens.limit.max(1));
        let answers = parts.saturating_mul(tokens.output_reserved);
        (self.can_split && parts <= MAX_PARTS as u64 && answers <= self.tier.max_input_tokens)
            .then_some(parts)
    }

    /// The smallest tier with a higher limit, and its limit.
    pub fn bigger_tier(&self) -> Option<(&str, u64)> {
        self.bigger.as_ref().map(|(n, l)| (n.as_str(), *l))
    }

    /// The most tokens of the model's encoding an input may have: the
    /// tier's limit, or for estimated models the largest count whose
    /// estimate (with its safety factor) is within the limit.
    pub fn encoding_limit(&self) -> u64 {
        let limit = self.tier.max_input_tokens;
        match self.model.estimate {
            Some(rule) => (limit as f64 / (rule.ratio * self.safety)).floor() as u64,
            None => limit,
        }
    }

    /// Tokens of the template's own text around the input, which the
    /// user message's count includes.
    pub(crate) fn frame_tokens(&self) -> u64 {
        self.frame
    }

    /// The template's text before and after the input.
    pub fn frame(&self) -> (&str, &str) {
        (&self.prefix, &self.suffix)
    }

    /// The tokens of a request whose input is `input`.
    pub fn measure(&self, input: &str) -> TokenInfo {
        self.tokens(self.model.encoding.count(&self.framed(input)))
    }

    /// A live meter for this budget's template, when the tokenizer is
    /// loaded. Its [`Meter::count`] goes into [`Budget::tokens`].
    pub fn meter(&self) -> Option<Meter> {
        let tokenizer = self.model.encoding.tokenizer()?;
        Some(Meter::new(tokenizer, &self.prefix, &self.suffix))
    }

    /// The issues about a request's size: over or near the limit, past the
    /// context window, or estimated. The full check and the live meter
    /// both report these; this wording is for typed text.
    pub fn issues(&self, tokens: &TokenInfo) -> Vec<Issue> {
        self.issues_for(tokens, Sent::Text)
    }

    /// [`Budget::issues`], worded for what the user sent ("your file" for
    /// an upload).
    pub fn issues_for(&self, tokens: &TokenInfo, sent: Sent) -> Vec<Issue> {
        self.size_issues(tokens, sent, None)
    }

    /// The issues about a request's size, with the offers over the limit
    /// made for what trimming leaves: `trimmed` is the request's tokens
    /// once trimmed, when trimming removes anything (then Trim is offered,
    /// and a split only if the trimmed input still needs one).
    pub fn size_issues(
        &self,
        tokens: &TokenInfo,
        sent: Sent,
        trimmed: Option<&TokenInfo>,
    ) -> Vec<Issue> {
        let subject = match sent {
            Sent::Text => "text",
            Sent::File => "file",
        };
        let mut issues = Vec::new();
        match tokens.state {
            BudgetState::Over => issues.push(issue::over_token_limit(
                subject,
                tokens.input,
                tokens.limit,
                &self.tier_name,
                self.bigger_tier(),
                match trimmed {
                    Some(after) if after.state != BudgetState::Over => None,
                    Some(after) => self.split_offer(after),
                    None => self.split_offer(tokens),
                },
                trimmed.is_some(),
            )),
            BudgetState::Warn => issues.push(issue::near_token_limit(
                subject,
                tokens.input,
                tokens.limit,
                &self.tier_name,
            )),
            BudgetState::Ok => {}
        }
        if tokens.total > tokens.context_window && tokens.state != BudgetState::Over {
            issues.push(issue::context_window_exceeded(
                tokens.total,
                tokens.context_window,
                &self.model.name,
                tokens.output_reserved,
            ));
        }
        if let Some(estimate) = &tokens.estimate {
            issues.push(issue::token_estimate(
                self.model.provider.title(),
                &self.model.name,
                estimate,
            ));
        } else if !tokens.exact {
            issues.push(issue::tokenizer_not_loaded());
        }
        issues
    }

    /// The token section of a report, from the count of the user message
    /// (the template with the input in it).
    ///
    /// The input's tokens are the user message's less the template's own:
    /// the exact amount the input adds to the request.
    pub fn tokens(&self, user_message: TokenCount) -> TokenInfo {
        let basis_input = user_message.count.saturating_sub(self.frame);
        let exact = user_message.exact && self.exact;
        let (input, overhead, estimate) = match self.model.estimate {
            Some(EstimateRule {
                basis,
                ratio,
                error_bound,
            }) => {
                let scale = |n: u64| (n as f64 * ratio * self.safety).ceil() as u64;
                (
                    scale(basis_input),
                    scale(self.overhead),
                    Some(EstimateInfo {
                        basis,
                        basis_input,
                        ratio,
                        error_bound,
                        safety_factor: self.safety,
                    }),
                )
            }
            None => (basis_input, self.overhead, None),
        };
        self.token_info(input, overhead, exact && estimate.is_none(), estimate, None)
    }

    /// The token section from the provider's own count (its count
    /// endpoint): `total` tokens for the whole request, of which `fixed`
    /// are the request with an empty input.
    pub fn counted_by_provider(&self, total: u64, fixed: u64) -> TokenInfo {
        let input = total.saturating_sub(fixed);
        let counted_by = self.model.provider.as_str().to_owned();
        self.token_info(input, fixed, true, None, Some(counted_by))
    }

    /// The user message for `input`: the template's frame around it.
    fn framed(&self, input: &str) -> String {
        format!("{}{input}{}", self.prefix, self.suffix)
    }

    /// The token section for an input of `input` tokens in a request whose
    /// other parts take `overhead`: the one place its figures are derived.
    fn token_info(
        &self,
        input: u64,
        overhead: u64,
        exact: bool,
        estimate: Option<EstimateInfo>,
        counted_by: Option<String>,
    ) -> TokenInfo {
        let output_reserved = self.tier.output_reserved(self.model);
        let limit = self.tier.max_input_tokens;
        TokenInfo {
            model: self.model.name.clone(),
            encoding: self.model.encoding,
            exact,
            input,
            overhead,
            output_reserved,
            total: input + overhead + output_reserved,
            context_window: self.model.context_window,
            limit,
            warn_at: self.tier.warn_tokens(),
            remaining: limit.saturating_sub(input),
            tier: self.tier_name.clone(),
            state: BudgetState::of(input, &self.tier),
            cost: Cost::of(self.model, input + overhead, output_reserved),
            estimate,
            counted_by,
        }
    }

    /// The system message and the template around `input`, as the
    /// provider's count endpoint takes them.
    pub fn render(&self, input: &str) -> (Option<&str>, String) {
        (self.system.as_deref(), self.framed(input))
    }
}

//! How a prepared input will run: one request, a map step over parts and
//! a reduce step that combines their answers, or not at all, with the
//! tokens and the most it can cost.

use super::fits;
use crate::contract::LongInput;
use crate::messages::prepare::{self, Way};
use crate::{Budget, BudgetState, Contract, Cost, Error, TokenInfo, MAX_PARTS};
use serde::{Deserialize, Serialize};

/// How the request will run.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The shape of the plan.
    pub kind: PlanKind,
    /// The plan in plain language, with its size and cost.
    pub message: String,
    /// Requests to the model.
    pub requests: u64,
    /// Tokens of all requests: inputs, overheads and the answers' reserve.
    pub tokens: u64,
    /// The most all requests can cost (every answer at its reserved
    /// length).
    pub cost_usd_max: f64,
    /// The date of the prices.
    pub prices_as_of: String,
    /// Why the request cannot run, for a refusal, as a stable code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
    /// Why the request cannot run, for a refusal, in words for the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Why a plan cannot run.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Refusal {
    /// The check found errors to fix first.
    InputHasErrors,
    /// Nothing is left after trimming.
    NothingLeft,
    /// Keeping the relevant parts needs a question.
    QuestionNeeded,
    /// The tier's limit cannot hold any part.
    LimitTooSmall,
    /// The overlap asked for is not under half a part.
    OverlapTooLarge,
    /// The prepared input is still over the limit.
    StillOverLimit,
    /// The contract needs the whole input in one request.
    NeedsWholeInput,
    /// More parts than [`MAX_PARTS`].
    TooManyParts,
    /// The parts' answers would not fit one combining request.
    AnswersTooLong,
}

/// The shapes of a plan.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PlanKind {
    /// One request with the whole prepared input.
    Single,
    /// One request per part, then one that combines their answers.
    MapReduce,
    /// The input cannot run as prepared.
    Refuse,
}

impl Plan {
    /// One request of `tokens`.
    pub(crate) fn single(tokens: &TokenInfo) -> Plan {
        Plan {
            kind: PlanKind::Single,
            message: prepare::single_request(
                tokens.total,
                tokens.output_reserved,
                tokens.cost.total_usd_max,
            ),
            requests: 1,
            tokens: tokens.total,
            cost_usd_max: tokens.cost.total_usd_max,
            prices_as_of: tokens.cost.prices_as_of.clone(),
            refusal: None,
            reason: None,
        }
    }

    /// One request per part, then `reduce`.
    pub(crate) fn map_reduce(parts: &[TokenInfo], reduce: &TokenInfo) -> Plan {
        let all = parts.iter().chain([reduce]);
        let tokens = all.clone().map(|t| t.total).sum();
        let cost = crate::budget::cost::round(all.map(|t| t.cost.total_usd_max).sum());
        Plan {
            kind: PlanKind::MapReduce,
            message: prepare::map_reduce(parts.len() as u64, reduce.limit, tokens, cost),
            requests: parts.len() as u64 + 1,
            tokens,
            cost_usd_max: cost,
            prices_as_of: reduce.cost.prices_as_of.clone(),
            refusal: None,
            reason: None,
        }
    }

    /// No request: `refusal` says why for programs, `reason` for the user.
    pub(crate) fn refuse(refusal: Refusal, reason: String, prices_as_of: &str) -> Plan {
        Plan {
            kind: PlanKind::Refuse,
            message: prepare::refused(&reason),
            requests: 0,
            tokens: 0,
            cost_usd_max: 0.0,
            prices_as_of: prices_as_of.to_owned(),
            refusal: Some(refusal),
            reason: Some(reason),
        }
    }
}

/// The map-reduce plan, or a refusal when the contract does not allow it
/// or it cannot run.
pub(super) fn map_reduce(
    contract: &Contract,
    budget: &Budget,
    parts: &[TokenInfo],
    prices: &str,
) -> Result<Plan, Error> {
    if contract.prepare.long_input == LongInput::Refuse {
        let mut ways = vec![Way::KeepRelevant];
        if budget.bigger_tier().is_some() {
            ways.push(Way::Upgrade);
        }
        return Ok(Plan::refuse(
            Refusal::NeedsWholeInput,
            prepare::needs_whole_input(parts.len() as u64, &ways),
            prices,
        ));
    }
    if parts.len() > MAX_PARTS {
        return Ok(Plan::refuse(
            Refusal::TooManyParts,
            prepare::too_many_parts(parts.len() as u64, MAX_PARTS as u64),
            prices,
        ));
    }
    let mut reducer = contract.clone();
    reducer.prompt.get_or_insert_with(Default::default).template =
        Some(contract.prepare.reduce_template().to_owned());
    let reduce_budget = Budget::new(&reducer, Some(budget.tier_name()))?;
    let mut reduce = reduce_budget.measure("");
    reduce.input = parts.iter().map(|p| p.output_reserved).sum();
    reduce.total = reduce.input + reduce.overhead + reduce.output_reserved;
    reduce.remaining = reduce.limit.saturating_sub(reduce.input);
    reduce.state = BudgetState::of(reduce.input, budget.tier());
    reduce.cost = Cost::of(
        budget.model(),
        reduce.input + reduce.overhead,
        reduce.output_reserved,
    );
    if !fits(&reduce) {
        return Ok(Plan::refuse(
            Refusal::AnswersTooLong,
            prepare::answers_too_long(
                parts.len() as u64,
                reduce.input,
                budget.bigger_tier().is_some(),
            ),
            prices,
        ));
    }
    Ok(Plan::map_reduce(parts, &reduce))
}

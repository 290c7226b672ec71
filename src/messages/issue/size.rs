//! The size of a request in tokens against the plan's limit and the model's window.

use super::*;
use crate::{Action, EstimateInfo};

/// The input is over the tier's limit. `subject` is what the user sent
/// (`text` or `file`); `bigger` names a larger tier and its limit, when
/// the contract has one; `split` is the least number of parts, when
/// splitting can work; `trim` says that trimming removes something.
pub fn over_token_limit(
    subject: &str,
    count: u64,
    limit: u64,
    tier: &str,
    bigger: Option<(&str, u64)>,
    split: Option<u64>,
    trim: bool,
) -> Issue {
    let mut hint = match split {
        Some(parts) => format!(
            "Remove parts you don't need, keep only the parts that matter to your question, or split it into at least {parts} parts of at most {} tokens and let us combine the answers.",
            group_digits(limit)
        ),
        None => "Remove parts you don't need, or keep only the parts that matter to your question."
            .to_owned(),
    };
    if let Some((name, big)) = bigger {
        hint.push_str(&format!(
            " The {name} plan allows {} tokens per request.",
            group_digits(big)
        ));
    }
    let mut issue = make(
        Code::OverTokenLimit,
        format!(
            "Your {subject} is {} tokens; the {tier} plan allows {} per request.",
            group_digits(count),
            group_digits(limit)
        ),
        hint,
        None,
    );
    if trim {
        issue.actions.push(Action::Trim);
    }
    issue.actions.push(Action::KeepRelevant);
    if let Some(parts) = split {
        issue.actions.push(Action::Split {
            parts,
            max_tokens: limit,
        });
    }
    if let Some((name, big)) = bigger {
        issue.actions.push(Action::Upgrade {
            tier: name.to_owned(),
            max_input_tokens: big,
        });
    }
    issue
}

/// Offers Trim first on the over-limit issue among `issues`: for callers
/// that know trimming the input removes something.
pub fn offer_trim(issues: &mut [Issue]) {
    for issue in issues.iter_mut().filter(|i| i.code == Code::OverTokenLimit) {
        if !issue.actions.contains(&Action::Trim) {
            issue.actions.insert(0, Action::Trim);
        }
    }
}

/// The whole request (input, template, answer) does not fit the model.
pub fn context_window_exceeded(total: u64, window: u64, model: &str, output: u64) -> Issue {
    catalogued(
        Code::ContextWindowExceeded,
        format!(
            "This request needs {} tokens, including {} reserved for the answer, but {model} reads at most {} at once.",
            group_digits(total),
            group_digits(output),
            group_digits(window)
        ),
        None,
    )
}

/// The input is at or past the warning threshold but within the limit.
/// `subject` is what the user sent (`text` or `file`).
pub fn near_token_limit(subject: &str, count: u64, limit: u64, tier: &str) -> Issue {
    let percent = count * 100 / limit.max(1);
    catalogued(
        Code::NearTokenLimit,
        format!(
            "Your {subject} is {} tokens, {percent}% of the {} allowed per request on the {tier} plan.",
            group_digits(count),
            group_digits(limit)
        ),
        None,
    )
}

/// The count is an upper bound, not exact. `reason` says why.
pub fn token_count_estimated(reason: &str) -> Issue {
    catalogued(
        Code::TokenCountEstimated,
        format!("The size of this input is an estimate: {reason}."),
        None,
    )
}

/// The tokenizer is not loaded yet: each byte counts as a token.
pub fn tokenizer_not_loaded() -> Issue {
    token_count_estimated("the tokenizer is not loaded yet, so each byte counts as a token")
}

/// The live meter estimates until the tokenizer's vocabulary arrives.
pub fn tokens_estimated_while_loading() -> Issue {
    token_count_estimated(
        "the exact counter is still loading, so this is worked out from the length of the text; the exact count follows in a moment",
    )
}

/// The model has no public tokenizer: the figures are estimates.
pub fn token_estimate(provider: &str, model: &str, e: &EstimateInfo) -> Issue {
    make(
        Code::TokenCountEstimated,
        format!(
            "{provider} does not publish how {model} counts tokens, so these figures are estimates, usually within {}% of the real count.",
            (e.error_bound * 100.0).round()
        ),
        format!(
            "Nothing to do. We add a {}% margin before checking your plan's limit, so a request we accept will fit.",
            ((e.safety_factor - 1.0) * 100.0).round()
        ),
        None,
    )
}

/// The server asked the provider for an exact count and got none, so the
/// estimate stands. `reason` is a stable code such as `rate_limited`.
pub fn provider_count_failed(provider: &str, reason: &str) -> Issue {
    make(
        Code::TokenCountEstimated,
        format!(
            "We could not get an exact count from {provider} ({}), so the token figures are estimates.",
            reason.replace('_', " ")
        ),
        "Nothing to do. The estimate is on the high side, so a request we accept will fit; \
         send it again later for the exact figure."
            .into(),
        None,
    )
}

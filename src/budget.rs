//! Where a token count stands against a tier's limit.

use crate::Tier;
use serde::{Deserialize, Serialize};

/// The state of a token count against a limit.
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

    /// The state of `count` against `tier`.
    ///
    /// ```
    /// use prompt_preflight::{BudgetState, Tier};
    /// let free = Tier { max_input_tokens: 2000, warn_at: 0.8 };
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

//! The words for a user's own allowance: how much of it is used, what was
//! hit, and when it resets. The server counts; these sentences say it.
//!
//! ```
//! use prompt_preflight::messages::quota::{Allowance, Reset};
//! let reset = Reset::OnDay { day: 1, month: 1 };
//! assert_eq!(
//!     Allowance::MonthlyTokens.used(196_000, 200_000, reset),
//!     "You've used 98% of this month's 200,000 tokens; it resets on 1 January."
//! );
//! ```

use crate::words::{group_digits, usd};
use serde::Serialize;

/// One of a tier's allowances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Allowance {
    /// Requests per minute.
    RequestsPerMinute,
    /// Tokens per minute.
    TokensPerMinute,
    /// Tokens per calendar month.
    MonthlyTokens,
    /// Micro-dollars per calendar month.
    MonthlySpend,
}

/// When an allowance starts again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reset {
    /// In this many seconds (the per-minute allowances).
    InSeconds(u64),
    /// On this day of this month (1–12), UTC.
    OnDay {
        /// Day of the month.
        day: u32,
        /// Month, 1 for January.
        month: u32,
    },
}

/// What was hit: the sentence and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuotaNotice {
    /// What the user reads.
    pub message: String,
    /// What they can do.
    pub hint: String,
}

/// "January" for 1.
pub fn month_name(month: u32) -> &'static str {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    NAMES
        .get(month.saturating_sub(1) as usize)
        .copied()
        .unwrap_or("next month")
}

impl Reset {
    /// "it resets on 1 January", "it resets in 12 seconds".
    fn clause(self) -> String {
        match self {
            Reset::InSeconds(s) => format!("it resets in {}", seconds(s)),
            Reset::OnDay { day, month } => format!("it resets on {day} {}", month_name(month)),
        }
    }

    /// "on 1 January", "in 12 seconds".
    fn when(self) -> String {
        match self {
            Reset::InSeconds(s) => format!("in {}", seconds(s)),
            Reset::OnDay { day, month } => format!("on {day} {}", month_name(month)),
        }
    }
}

fn seconds(s: u64) -> String {
    let s = s.max(1);
    format!("{s} second{}", if s == 1 { "" } else { "s" })
}

/// "98%", "less than 1%", "99%" (never 100% until it is all used).
fn percent(used: u64, cap: u64) -> String {
    if cap == 0 || used >= cap {
        return "100%".to_owned();
    }
    let p = used * 100 / cap;
    if p == 0 && used > 0 {
        "less than 1%".to_owned()
    } else {
        format!("{p}%")
    }
}

impl Allowance {
    /// "this month's 200,000 tokens", "the 20 requests a minute".
    fn amount(self, cap: u64) -> String {
        match self {
            Allowance::RequestsPerMinute => format!("the {} requests a minute", group_digits(cap)),
            Allowance::TokensPerMinute => format!("the {} tokens a minute", group_digits(cap)),
            Allowance::MonthlyTokens => format!("this month's {} tokens", group_digits(cap)),
            Allowance::MonthlySpend => format!("this month's {}", usd(cap as f64 / 1e6)),
        }
    }

    /// How much is used: "You've used 98% of this month's 200,000 tokens;
    /// it resets on 1 January."
    pub fn used(self, used: u64, cap: u64, reset: Reset) -> String {
        format!(
            "You've used {} of {}; {}.",
            percent(used, cap),
            self.amount(cap),
            reset.clause()
        )
    }

    /// Whether `used` of `cap` deserves a warning (80% and more).
    pub fn warns(used: u64, cap: u64) -> bool {
        cap > 0 && used * 5 >= cap * 4
    }

    /// Why a request needing `wanted` was refused with `used` of `cap`
    /// gone, and what to do.
    pub fn refused(self, wanted: u64, used: u64, cap: u64, reset: Reset) -> QuotaNotice {
        let left = cap.saturating_sub(used);
        let need = match self {
            Allowance::RequestsPerMinute => String::new(),
            Allowance::MonthlySpend => format!(
                " This request could cost up to {}, and {} is left.",
                usd(wanted as f64 / 1e6),
                usd(left as f64 / 1e6)
            ),
            _ => format!(
                " This request needs up to {} tokens, and {} are left.",
                group_digits(wanted),
                group_digits(left)
            ),
        };
        let message = format!("{}{need}", self.used(used, cap, reset));
        let hint = match (self, reset) {
            (Allowance::RequestsPerMinute, Reset::InSeconds(s)) => {
                format!("Wait {} and send it again.", seconds(s))
            }
            (_, Reset::InSeconds(s)) => format!(
                "Wait {} and send it again, or send a shorter input.",
                seconds(s)
            ),
            (_, Reset::OnDay { .. }) => format!(
                "Send a shorter input, wait until it resets {}, or ask for a bigger plan.",
                reset.when()
            ),
        };
        QuotaNotice { message, hint }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_say_what_was_hit_and_when_it_resets() {
        let jan = Reset::OnDay { day: 1, month: 1 };
        let n = Allowance::MonthlyTokens.refused(1500, 199_000, 200_000, jan);
        assert_eq!(
            n.message,
            "You've used 99% of this month's 200,000 tokens; it resets on 1 January. \
             This request needs up to 1,500 tokens, and 1,000 are left."
        );
        assert_eq!(
            n.hint,
            "Send a shorter input, wait until it resets on 1 January, or ask for a bigger plan."
        );
        let n = Allowance::RequestsPerMinute.refused(1, 20, 20, Reset::InSeconds(12));
        assert_eq!(
            n.message,
            "You've used 100% of the 20 requests a minute; it resets in 12 seconds."
        );
        assert_eq!(n.hint, "Wait 12 seconds and send it again.");
        let n = Allowance::MonthlySpend.refused(20_000, 990_000, 1_000_000, jan);
        assert!(
            n.message
                .starts_with("You've used 99% of this month's $1.00;"),
            "{}",
            n.message
        );
        assert!(
            n.message
                .ends_with("could cost up to $0.02, and $0.01 is left."),
            "{}",
            n.message
        );
        assert_eq!(percent(1, 1000), "less than 1%");
        assert_eq!(percent(999, 1000), "99%");
        assert!(Allowance::warns(160_000, 200_000));
        assert!(!Allowance::warns(159_999, 200_000));
        assert_eq!(month_name(12), "December");
    }
}

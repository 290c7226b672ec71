//! The "Limits per tier" section: one row per plan.

use super::markdown::{cell, table};
use super::Page;
use crate::messages::group_digits;

/// The "Limits per tier" section.
pub(super) fn section(page: &Page<'_>) -> String {
    let or_none = |v: Option<u64>| v.map_or_else(|| "no limit".to_owned(), group_digits);
    let rows: Vec<Vec<String>> = page
        .tiers
        .iter()
        .map(|&(name, tier)| {
            let mut shown = cell(name);
            if Some(name) == page.default_tier {
                shown.push_str(" (default)");
            }
            vec![
                shown,
                group_digits(tier.max_input_tokens),
                format!(
                    "{} ({}%)",
                    group_digits(tier.warn_tokens()),
                    (tier.warn_at * 100.0).round()
                ),
                group_digits(page.output_tokens(tier)),
                or_none(tier.monthly_tokens),
                or_none(tier.requests_per_minute),
                or_none(tier.tokens_per_minute),
                tier.monthly_spend_usd
                    .map_or_else(|| "no limit".to_owned(), crate::words::usd),
            ]
        })
        .collect();
    let mut out = String::from("## Limits per tier\n\n");
    out.push_str(&table(
        &[
            "Tier",
            "Max input tokens",
            "Warning from",
            "Max output tokens",
            "Monthly tokens",
            "Requests per minute",
            "Tokens per minute",
            "Monthly spend",
        ],
        &rows,
    ));
    out.push_str(
        "\nInput tokens are counted per request, for the user's input alone. \
         The output tokens are reserved for the answer in every request. \
         Monthly tokens count the input and output tokens of every attempt. \
         The monthly and per-minute allowances apply to each user and are enforced by the server; \
         months are calendar months in UTC, and spend is at the prices of the model catalogue.\n",
    );
    if let Some(name) = page.default_tier {
        out.push_str(&format!(
            "\nWithout a tier named, the {} tier applies.\n",
            cell(name)
        ));
    }
    out
}

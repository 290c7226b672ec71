//! What a request costs, from the catalogue's prices.

use crate::catalogue::{Catalogue, Model};
use crate::Cost;

impl Cost {
    /// The cost of `prompt_tokens` in and at most `output_tokens` out on
    /// `model`, with the long-context prices when the prompt is past their
    /// threshold.
    ///
    /// ```
    /// use prompt_preflight::{Catalogue, Cost};
    /// let model = Catalogue::builtin().find("gpt-4o-mini").unwrap();
    /// let cost = Cost::of(model, 1_000_000, 1_000);
    /// assert_eq!(cost.input_usd, 0.15);
    /// assert_eq!(cost.output_usd_max, 0.0006);
    /// ```
    pub fn of(model: &Model, prompt_tokens: u64, output_tokens: u64) -> Cost {
        let (input_price, output_price) = match model.long_context {
            Some(long) if prompt_tokens > long.above_tokens => {
                (long.input_usd_per_mtok, long.output_usd_per_mtok)
            }
            _ => (model.input_usd_per_mtok, model.output_usd_per_mtok),
        };
        let input_usd = usd(prompt_tokens, input_price);
        let output_usd_max = usd(output_tokens, output_price);
        let catalogue = Catalogue::builtin();
        Cost {
            input_usd,
            output_usd_max,
            total_usd_max: round(input_usd + output_usd_max),
            currency: catalogue.currency.clone(),
            prices_as_of: catalogue.prices_as_of.clone(),
        }
    }
}

/// Tokens at a price per million, rounded to a millionth of a dollar
/// (so the figures print cleanly and are identical in every build).
fn usd(tokens: u64, per_million: f64) -> f64 {
    round(tokens as f64 * per_million / 1_000_000.0)
}

/// Rounds to a millionth of a dollar, so figures print (and parse back) exactly.
pub(crate) fn round(usd: f64) -> f64 {
    (usd * 1e6).round() / 1e6
}

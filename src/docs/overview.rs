//! The top of a page: the title, what the prompt does, its model, and its
//! standing when it is deprecated or sunset.

use super::markdown::{code, item, paragraph};
use super::Page;
use crate::messages::group_digits;
use crate::{Catalogue, Contract};

/// The title and the overview.
pub(super) fn section(page: &Page<'_>, versions: &[&Contract]) -> String {
    let contract = page.contract;
    let mut out = format!("# {} {}\n\n", contract.id, contract.version);
    if !contract.description.trim().is_empty() {
        out.push_str(&paragraph(&contract.description));
        out.push('\n');
    }
    match page.model {
        Some(model) => {
            let catalogue = Catalogue::builtin();
            let mut prices = format!(
                "{} per million input tokens and {} per million output tokens",
                price(model.input_usd_per_mtok),
                price(model.output_usd_per_mtok)
            );
            if let Some(long) = model.long_context {
                prices.push_str(&format!(
                    " ({} and {} above {} input tokens)",
                    price(long.input_usd_per_mtok),
                    price(long.output_usd_per_mtok),
                    group_digits(long.above_tokens)
                ));
            }
            out.push_str(&item(&format!(
                "**Model:** {} ({}): reads at most {} tokens in one request and answers with at most {} tokens; \
                 {prices}, as listed on {}.",
                code(&model.name),
                model.provider,
                group_digits(model.context_window),
                group_digits(model.max_output_tokens),
                catalogue.prices_as_of
            )));
            out.push_str(&item(&match model.estimate {
                None => format!(
                    "**Token counts:** exact, with the {} encoding.",
                    code(model.encoding.name())
                ),
                Some(rule) => format!(
                    "**Token counts:** estimated from the {} encoding (within ±{}%); limits are held against the estimate times {}.",
                    code(rule.basis.name()),
                    (rule.error_bound * 100.0).round(),
                    contract.model.safety_factor(model)
                ),
            }));
        }
        None => out.push_str(&item(&format!(
            "**Model:** {} (not in the built-in model catalogue).",
            code(&contract.model.name)
        ))),
    }
    let release = &contract.release;
    let newer = versions
        .first()
        .filter(|newest| newest.version != contract.version)
        .map(|newest| format!(" The newest version is {}.", newest.version))
        .unwrap_or_default();
    if let Some(day) = &release.deprecated {
        out.push_str(&item(&format!(
            "**Deprecated** from {day}: from that day this version still serves, with a warning.{newer}"
        )));
    }
    if let Some(day) = &release.sunset {
        out.push_str(&item(&format!(
            "**Sunset** from {day}: from that day requests for this version are refused.{newer}"
        )));
    }
    out
}

/// A price in US dollars, with at least two decimals and as many more as
/// it has: `$0.15`, `$0.075`, `$10.00`.
fn price(usd: f64) -> String {
    let mut shown = format!("{usd:.6}");
    while shown.ends_with('0') && shown.len() - shown.find('.').unwrap_or(0) > 3 {
        shown.pop();
    }
    format!("${shown}")
}

#[cfg(test)]
mod tests {
    use super::price;

    #[test]
    fn prices_keep_their_digits() {
        assert_eq!(price(0.15), "$0.15");
        assert_eq!(price(0.075), "$0.075");
        assert_eq!(price(10.0), "$10.00");
        assert_eq!(price(0.6), "$0.60");
    }
}

//! Documentation generated from a contract: one Markdown page per version.
//!
//! Everything on a page comes from the contract and the catalogues: the
//! inputs and their columns, the file formats the readers take, the limits
//! of every tier, the output, every code a check can report (with the
//! catalogue's message, hint and example), the limitations and the
//! changelog. Nothing here reads files or clocks, and the same contract
//! gives the same page.
//!
//! A page has these headings, in this order (sections without content for
//! a contract, such as the table, are left out):
//!
//! ```text
//! # {id} {version}
//! ## Inputs
//! ### Free text
//! ### Table
//! #### Example table
//! ### Languages
//! ## Accepted file formats
//! ### Size limits
//! ## Limits per tier
//! ## Output
//! ### Instructions to the model
//! ### Schema
//! ### Example output
//! ## Errors and warnings
//! ### {code}            (one per code, after <a id="{code}"></a>)
//! ## Troubleshooting
//! ## Limitations
//! ## Changelog and migration
//! ### {version}         (newest first)
//! ```
//!
//! Each code's entry is anchored with its snake_case name ([`anchor`]), so
//! a report's issue links to `/docs/{id}/{version}#{code}`.

mod changelog;
mod codes;
mod formats;
mod inputs;
mod limitations;
mod markdown;
mod output;
mod overview;
mod tiers;

pub use codes::{anchor, reachable_codes};

use crate::catalogue::Model;
use crate::contract::DEFAULT_OUTPUT_TOKENS;
use crate::{Code, Contract, Tier};

/// Renders the Markdown page of `contract`. `history` holds the other
/// versions of the same contract id, in any order (others are ignored);
/// the changelog lists them all with this one, newest first.
///
/// ```
/// use prompt_preflight::{docs, Contract};
///
/// let v1 = Contract::parse(include_str!("../contracts/customer-list/1.0.0.toml")).unwrap();
/// let v2 = Contract::parse(include_str!("../contracts/customer-list/2.0.0.toml")).unwrap();
/// let page = docs::render(&v2, &[&v1]);
/// assert!(page.starts_with("# customer-list 2.0.0\n"));
/// assert!(page.contains("<a id=\"missing_column\"></a>\n### missing_column\n"));
/// assert!(page.find("### 2.0.0").unwrap() < page.find("### 1.0.0").unwrap());
/// ```
pub fn render(contract: &Contract, history: &[&Contract]) -> String {
    let versions = changelog::versions(contract, history);
    let page = Page::new(contract);
    [
        overview::section(&page, &versions),
        inputs::section(&page),
        formats::section(&page),
        tiers::section(&page),
        output::section(&page),
        codes::errors(&page),
        codes::troubleshooting(&page),
        limitations::section(&page),
        changelog::section(contract, &versions),
    ]
    .join("\n")
}

/// What every section reads: the contract and what is derived from it once.
struct Page<'a> {
    contract: &'a Contract,
    /// The catalogue's entry for the model, when it has one.
    model: Option<&'static Model>,
    /// The tiers, smallest input limit first (then by name).
    tiers: Vec<(&'a str, &'a Tier)>,
    /// The tier used when none is named.
    default_tier: Option<&'a str>,
    /// The codes the contract can produce, in catalogue order.
    codes: Vec<Code>,
}

impl<'a> Page<'a> {
    fn new(contract: &'a Contract) -> Page<'a> {
        let mut tiers: Vec<(&str, &Tier)> = contract
            .tiers
            .iter()
            .map(|(name, tier)| (name.as_str(), tier))
            .collect();
        tiers.sort_by_key(|(name, tier)| (tier.max_input_tokens, *name));
        Page {
            contract,
            model: contract.model.info().ok(),
            tiers,
            default_tier: contract.tier(None).ok().map(|(name, _)| name),
            codes: reachable_codes(contract),
        }
    }

    /// The tokens a tier reserves for the answer.
    fn output_tokens(&self, tier: &Tier) -> u64 {
        match self.model {
            Some(model) => tier.output_reserved(model),
            None => tier.max_output_tokens.unwrap_or(DEFAULT_OUTPUT_TOKENS),
        }
    }
}

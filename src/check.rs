//! The one entry point both surfaces call: check an input against a contract.

use crate::contract::ExtraColumns;
use crate::ingest::{ingest, language_name, Document, Input};
use crate::messages::issue;
use crate::report::{ContractRef, TokenInfo};
use std::borrow::Cow;

use crate::{schema, BudgetState, Contract, Error, InputKind, Payload, Report, Severity};

/// A checked input: the report, and the document it was made from.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// The report, as shown to users and returned by the API.
    pub report: Report,
    /// The decoded input, for preparing the payload.
    pub document: Document,
}

impl Checked {
    /// The payload for the model, when the report has no errors.
    ///
    /// Under the contract's `extra_columns = "drop"` policy, undeclared
    /// columns are removed from a table before it is sent.
    pub fn payload(&self, contract: &Contract) -> Option<Payload> {
        if !self.report.ok {
            return None;
        }
        let spec = contract.input.table.as_ref();
        let content = match (&self.document.table, spec) {
            (Some(table), Some(spec)) if spec.extra_columns == ExtraColumns::Drop => {
                Cow::Owned(table.to_csv(&schema::ColumnMap::new(spec, table).declared))
            }
            _ => Cow::Borrowed(self.document.text.as_str()),
        };
        Some(Payload::build(contract, &content))
    }
}

/// Checks `input` against `contract` for the given tier (the contract's
/// default tier when `None`).
///
/// The only error is an unknown tier; every problem with the input itself
/// is an issue in the report.
///
/// ```
/// use prompt_preflight::{check, Code, Contract, Input};
///
/// let contract = Contract::parse(include_str!("../contracts/customer-list.toml")).unwrap();
/// let csv = b"name,phone\nAda Lovelace,555-0100\n";
/// let checked = check(&contract, Some("free"), &Input::File { name: Some("c.csv"), bytes: csv }).unwrap();
/// assert!(!checked.report.ok);
/// assert!(checked.report.has(Code::MissingColumn));
/// ```
pub fn check(contract: &Contract, tier: Option<&str>, input: &Input<'_>) -> Result<Checked, Error> {
    let (tier_name, tier) = contract.tier(tier)?;
    let mut document = ingest(input, &contract.limits);
    let mut issues = std::mem::take(&mut document.issues);
    let is_file = matches!(input, Input::File { .. });

    // A file we could not open (encrypted, too large, corrupt) has no text,
    // but it is not empty: its reading error says why.
    let unreadable = issues.iter().any(|i| i.severity == Severity::Error);
    if document.is_blank() && !unreadable {
        issues.insert(0, issue::empty_input(is_file));
    } else if !document.is_blank() {
        match (document.info.kind, &contract.input.table, &document.table) {
            (_, Some(spec), Some(table)) => {
                issues.extend(schema::check_table(spec, table));
            }
            (kind, Some(spec), None) if !contract.input.text && kind != InputKind::Unsupported => {
                let names: Vec<&str> = spec
                    .columns
                    .iter()
                    .filter(|c| c.required)
                    .map(|c| c.name.as_str())
                    .collect();
                issues.push(issue::table_expected(&names));
            }
            _ => {}
        }
        if let Some(code) = &document.info.language {
            if !contract.input.accepts_language(code) {
                issues.push(issue::language_not_supported(
                    &language_name(code),
                    &contract.input.languages,
                ));
            }
        }
    }

    let encoding = contract.model.encoding;
    let counted = encoding.count(&document.text);
    if !counted.exact {
        issues.push(issue::token_count_estimated(
            "it has a very long run of spaces",
        ));
    }
    let state = BudgetState::of(counted.count, tier);
    match state {
        BudgetState::Over => {
            let bigger = contract
                .tiers
                .iter()
                .filter(|(_, t)| t.max_input_tokens >= counted.count)
                .min_by_key(|(_, t)| t.max_input_tokens)
                .map(|(n, t)| (n.as_str(), t.max_input_tokens));
            issues.push(issue::over_token_limit(
                counted.count,
                tier.max_input_tokens,
                tier_name,
                bigger,
            ));
        }
        BudgetState::Warn => {
            issues.push(issue::near_token_limit(
                counted.count,
                tier.max_input_tokens,
                tier_name,
            ));
        }
        BudgetState::Ok => {}
    }

    // Most severe first; the order within a severity is the order found.
    issues.sort_by_key(|i| i.severity);
    let report = Report {
        ok: issues.iter().all(|i| i.severity != Severity::Error),
        contract: ContractRef {
            id: contract.id.clone(),
            version: contract.version.clone(),
        },
        input: document.info.clone(),
        tokens: TokenInfo {
            count: counted.count,
            encoding,
            exact: counted.exact,
            limit: tier.max_input_tokens,
            warn_at: tier.warn_tokens(),
            tier: tier_name.to_owned(),
            state,
        },
        issues,
    };
    Ok(Checked { report, document })
}

//! The one entry point both surfaces call: check an input against a contract.

mod live;
mod question;

pub use live::{LiveCheck, SETTLE_BYTES};

use crate::contract::ExtraColumns;
use crate::ingest::{ingest, Document, Input};
use crate::language;
use crate::messages::issue;
use crate::messages::progress as progress_words;
use crate::progress;
use crate::report::ContractRef;
use std::borrow::Cow;

use crate::{schema, Budget, BudgetState, Contract, Error, InputKind, Payload, Report, Severity};

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
        Some(Payload::build(contract, &self.content(contract)))
    }

    /// The text that goes to the model in place of `{{input}}`, and that
    /// the token figures count: under the contract's `extra_columns =
    /// "drop"` policy, the table without its undeclared columns; otherwise
    /// the text as decoded.
    ///
    /// ```
    /// use prompt_preflight::{check, Contract, Input};
    ///
    /// let contract = Contract::parse(include_str!("../contracts/customer-list/1.0.0.toml")).unwrap();
    /// let checked = check(&contract, None, &Input::Text("Ada Lovelace")).unwrap();
    /// assert_eq!(checked.content(&contract), "Ada Lovelace");
    /// ```
    pub fn content(&self, contract: &Contract) -> Cow<'_, str> {
        content(contract, &self.document)
    }
}

/// What of the document goes to the model: under the contract's
/// `extra_columns = "drop"` policy, a table without its undeclared columns;
/// otherwise the text as decoded.
fn content<'d>(contract: &Contract, document: &'d Document) -> Cow<'d, str> {
    match (document.parsed_table(), contract.input.table.as_ref()) {
        (Some(table), Some(spec)) if spec.extra_columns == ExtraColumns::Drop => {
            Cow::Owned(table.to_csv(&schema::ColumnMap::new(spec, table).declared))
        }
        _ => Cow::Borrowed(document.text.as_str()),
    }
}

/// Whether this build can check typed text for `contract` completely: a
/// build without language detection (the browser's meter module) cannot
/// when the contract accepts only some languages.
///
/// ```
/// use prompt_preflight::{checks_text_fully, Contract};
/// let contract = Contract::parse(include_str!("../contracts/customer-list/1.0.0.toml")).unwrap();
/// assert!(checks_text_fully(&contract)); // this build detects languages
/// ```
pub fn checks_text_fully(contract: &Contract) -> bool {
    crate::language::DETECTS || contract.input.languages.is_empty()
}

/// The steps a check reports to a progress listener: reading, checking
/// the columns, counting, and (over the limit) measuring the trim.
const STEPS: usize = 4;

/// Checks `input` against `contract` for the given tier (the contract's
/// default tier when `None`).
///
/// The only errors are an unknown tier or model; every problem with the
/// input itself is an issue in the report.
///
/// ```
/// use prompt_preflight::{check, Code, Contract, Input};
///
/// let contract = Contract::parse(include_str!("../contracts/customer-list/1.0.0.toml")).unwrap();
/// let csv = b"name,phone\nAda Lovelace,555-0100\n";
/// let checked = check(&contract, Some("free"), &Input::File { name: Some("c.csv"), bytes: csv }).unwrap();
/// assert!(!checked.report.ok);
/// assert!(checked.report.has(Code::MissingColumn));
/// ```
pub fn check(contract: &Contract, tier: Option<&str>, input: &Input<'_>) -> Result<Checked, Error> {
    let (tier_name, _) = contract.tier(tier)?;
    let reading = || match input {
        Input::File { name, bytes } => progress_words::reading(*name, bytes.len()),
        Input::Text(_) => progress_words::reading(None, 0),
    };
    let mut document = progress::step(0, STEPS, reading, || ingest(input, &contract.limits));
    let mut issues = std::mem::take(&mut document.issues);
    let is_file = matches!(input, Input::File { .. });

    // A file we could not open (encrypted, too large, corrupt) has no text,
    // but it is not empty: its reading error says why.
    let unreadable = issues.iter().any(|i| i.severity == Severity::Error);
    if document.is_blank() && !unreadable {
        issues.insert(0, issue::empty_input(is_file));
    } else if !document.is_blank() {
        match (
            document.info.kind,
            &contract.input.table,
            document.parsed_table(),
        ) {
            (_, Some(spec), Some(table)) => {
                let rows = || progress_words::checking_rows(table.rows.len());
                progress::step(1, STEPS, rows, || {
                    schema::escalate_reported(spec, table, &mut issues);
                    issues.extend(schema::check_table(spec, table));
                });
            }
            (kind, Some(spec), None) if !contract.input.text && kind != InputKind::Unsupported => {
                issues.push(issue::table_expected(&spec.required()));
            }
            // Notes are welcome; a question alone has nothing to work on.
            (InputKind::Text, Some(spec), None)
                if !is_file && question::looks_like_question(&document.text) =>
            {
                let example = spec.example_csv();
                issues.push(issue::question_without_data(&spec.required(), example));
            }
            _ => {}
        }
        if let Some(code) = &document.info.language {
            if !contract.input.accepts_language(code) {
                issues.push(issue::language_not_supported(
                    &language::name(code),
                    &contract.input.languages,
                ));
            }
        }
    }

    let budget = Budget::new(contract, Some(tier_name))?;
    let content = content(contract, &document);
    let tokens = progress::step(2, STEPS, progress_words::counting_tokens, || {
        budget.measure(&content)
    });
    // Over the limit, the offers are made for what trimming would leave.
    let trimmed = (tokens.state == BudgetState::Over)
        .then(|| {
            progress::step(3, STEPS, progress_words::measuring_trim, || {
                crate::trim::trimmed(contract, &document).map(|text| budget.measure(&text))
            })
        })
        .flatten();
    issues.extend(budget.size_issues(&tokens, input.sent(), trimmed.as_ref()));

    let contract_ref = ContractRef {
        id: contract.id.clone(),
        version: contract.version.clone(),
    };
    let report = Report::new(contract_ref, document.info.clone(), tokens, issues);
    Ok(Checked { report, document })
}

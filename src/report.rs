//! The report: the JSON both the browser and the server return for a check.

use crate::{Action, Code, InputInfo, Issue, Severity, TokenInfo};
use serde::{Deserialize, Serialize};

/// The result of checking one input against a contract.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// True when no issue has severity `error`.
    pub ok: bool,
    /// Which contract the input was checked against.
    pub contract: ContractRef,
    /// What the input turned out to be.
    pub input: InputInfo,
    /// Its size in tokens against the tier's limit.
    pub tokens: TokenInfo,
    /// Every problem found, most severe first.
    pub issues: Vec<Issue>,
}

/// The id and version of the contract a report was made against.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractRef {
    /// The contract id.
    pub id: String,
    /// The contract version.
    pub version: String,
}

impl Report {
    /// A report on `input`: its issues ordered most severe first, and `ok`
    /// exactly when none is an error. The one place that rule lives.
    pub fn new(
        contract: ContractRef,
        input: InputInfo,
        tokens: TokenInfo,
        issues: Vec<Issue>,
    ) -> Report {
        let mut report = Report {
            ok: true,
            contract,
            input,
            tokens,
            issues,
        };
        report.settle();
        report
    }

    fn settle(&mut self) {
        crate::types::most_severe_first(&mut self.issues);
        self.ok = self.issues.iter().all(|i| i.severity != Severity::Error);
    }

    /// Adds an issue found after the check (such as a provider that could
    /// not count), keeping the order and `ok` right.
    pub fn add_issue(&mut self, issue: Issue) {
        self.issues.push(issue);
        self.settle();
    }

    /// Replaces the token figures and the issues about size (for example
    /// with a provider's exact count), keeping every other issue.
    ///
    /// What the check knew about trimming stays: Trim is offered again
    /// when it was before.
    pub fn set_tokens(&mut self, tokens: TokenInfo, size_issues: Vec<Issue>) {
        let trim = self
            .issues
            .iter()
            .any(|i| i.actions.contains(&Action::Trim));
        self.issues.retain(|i| !Code::SIZE.contains(&i.code));
        self.issues.extend(size_issues);
        if trim {
            crate::messages::issue::offer_trim(&mut self.issues);
        }
        self.tokens = tokens;
        self.settle();
    }

    /// The issues with severity `error`.
    pub fn errors(&self) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(|i| i.severity == Severity::Error)
    }

    /// Whether an issue with this code is present.
    pub fn has(&self, code: Code) -> bool {
        self.issues.iter().any(|i| i.code == code)
    }
}

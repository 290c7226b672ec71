//! The report: the JSON both the browser and the server return for a check.

use crate::{Action, Code, InputInfo, Issue, MeterReading, Severity, TokenInfo, Verdict};
use serde::{Deserialize, Serialize};

/// The result of checking one input against a contract.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// True when no issue has severity `error`: the input can be sent.
    pub ok: bool,
    /// What the report comes to, in one line: the verdict a page shows.
    pub verdict: Verdict,
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
            verdict: crate::messages::verdict::verdict(&issues, &tokens),
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
        self.verdict = crate::messages::verdict::verdict(&self.issues, &self.tokens);
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

    /// This report of typed text brought up to date with a live reading of
    /// the text as it is now: the reading's size and emptiness replace the
    /// report's, and every other issue stays until the next full check.
    /// The one verdict a page shows while the user types.
    ///
    /// ```
    /// use prompt_preflight::{check, Contract, Input, LiveCheck, VerdictState};
    /// let contract = Contract::parse(include_str!("../contracts/customer-list/1.0.0.toml")).unwrap();
    /// let empty = check(&contract, None, &Input::Text("")).unwrap().report;
    /// assert_eq!(empty.verdict.state, VerdictState::Empty);
    /// let mut live = LiveCheck::new(&contract, None).unwrap();
    /// let now = empty.with_reading(&live.set_text("Ada Lovelace, ada@example.com"));
    /// assert!(now.ok);
    /// ```
    pub fn with_reading(&self, reading: &MeterReading) -> Report {
        let mut report = self.clone();
        report.issues.retain(|i| !Code::LIVE.contains(&i.code));
        report.issues.extend(reading.issues.iter().cloned());
        report.tokens = reading.tokens.clone();
        report.settle();
        report
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

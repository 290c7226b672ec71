//! The live check of text as it is typed: the same size verdict as
//! [`check`](crate::check()) on the same text, recounting only around each
//! edit.

use crate::ingest::Sent;
use crate::{Budget, BudgetState, Contract, Edit, Error, Meter, MeterReading, TokenCount};

/// Text being typed into a contract's template on one tier: edits in, the
/// report's `tokens` and its size issues out, with the same figures and
/// the same offers as a full check of the text.
///
/// ```
/// use prompt_preflight::{Contract, Edit, LiveCheck};
/// let contract = Contract::parse(include_str!("../../contracts/customer-list.toml")).unwrap();
/// let mut live = LiveCheck::new(&contract, Some("free")).unwrap();
/// let first = live.set_text("Customers from Lisbon");
/// let next = live.edit(&Edit { start: 21, end: 21, text: " buy more.".into() });
/// assert!(next.tokens.input > first.tokens.input);
/// assert_eq!(live.text(), "Customers from Lisbon buy more.");
/// ```
#[derive(Debug)]
pub struct LiveCheck {
    budget: Budget,
    meter: Meter,
    strip_markup: bool,
}

impl LiveCheck {
    /// A live check on `tier` (the default tier for `None`). Needs the
    /// tokenizer to be installed.
    pub fn new(contract: &Contract, tier: Option<&str>) -> Result<LiveCheck, Error> {
        let budget = Budget::new(contract, tier)?;
        let meter = budget
            .meter()
            .ok_or(Error::TokenizerNotLoaded(budget.model().encoding))?;
        Ok(LiveCheck {
            budget,
            meter,
            strip_markup: contract.prepare.strip_markup,
        })
    }

    /// Replaces the whole text, recounting only what changed.
    pub fn set_text(&mut self, text: &str) -> MeterReading {
        self.meter.set_text(text);
        self.reading()
    }

    /// Replaces UTF-16 units `start..end` (as the DOM counts) with the
    /// edit's text.
    pub fn edit(&mut self, edit: &Edit) -> MeterReading {
        self.meter.edit(edit);
        self.reading()
    }

    /// The current reading. Over the limit, the offers are made as the
    /// full check makes them: Trim only when trimming the text removes
    /// something, and a split for what trimming leaves.
    pub fn reading(&self) -> MeterReading {
        let tokens = self.budget.tokens(TokenCount {
            count: self.meter.count(),
            exact: true,
        });
        let trimmed = (tokens.state == BudgetState::Over)
            .then(|| crate::trim::text::trimmed(self.meter.text(), self.strip_markup))
            .flatten()
            .map(|text| self.budget.measure(&text));
        let issues = self
            .budget
            .size_issues(&tokens, Sent::Text, trimmed.as_ref());
        MeterReading { tokens, issues }
    }

    /// The text being checked.
    pub fn text(&self) -> &str {
        self.meter.text()
    }

    /// The budget the text is held against.
    pub fn budget(&self) -> &Budget {
        &self.budget
    }
}

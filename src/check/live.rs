//! The live check of text as it is typed: the same size verdict as
//! [`check`](crate::check()) on the same text, recounting only around each
//! edit.
//!
//! The count and the verdict are exact at every edit. The offers over the
//! limit (Trim, and a split for what trimming leaves) need the whole text
//! trimmed, which is linear in its size: they are made at every edit for
//! texts up to [`SETTLE_BYTES`], and for longer ones when
//! [`settle`](LiveCheck::settle) is called (a page calls it when typing
//! pauses). Until then a reading says it is not settled, and its offers
//! are those of the last settled text.

use crate::ingest::Sent;
use crate::{
    Budget, BudgetState, Contract, Edit, Error, Meter, MeterReading, TokenCount, TokenInfo,
};

/// Texts up to this many bytes are trimmed at every edit to make the offers
/// exact (well under a millisecond); longer ones when
/// [`LiveCheck::settle`] is called.
pub const SETTLE_BYTES: usize = 64 * 1024;

/// Text being typed into a contract's template on one tier: edits in, the
/// report's `tokens` and its size issues out, with the same figures and,
/// once settled, the same offers as a full check of the text.
///
/// ```
/// use prompt_preflight::{Contract, Edit, LiveCheck};
/// let contract = Contract::parse(include_str!("../../contracts/customer-list.toml")).unwrap();
/// let mut live = LiveCheck::new(&contract, Some("free")).unwrap();
/// let first = live.set_text("Customers from Lisbon");
/// let next = live.edit(&Edit { start: 21, end: 21, text: " buy more.".into() });
/// assert!(next.tokens.input > first.tokens.input);
/// assert!(next.settled);
/// assert_eq!(live.text(), "Customers from Lisbon buy more.");
/// ```
#[derive(Debug)]
pub struct LiveCheck {
    budget: Budget,
    meter: Meter,
    strip_markup: bool,
    /// Counts the edits, so an analysis knows which text it was made for.
    version: u64,
    /// What trimming leaves of the text at `version`: its request's
    /// tokens, or `None` when trimming removes nothing.
    trimmed: Option<(u64, Option<TokenInfo>)>,
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
            version: 0,
            trimmed: None,
        })
    }

    /// Replaces the whole text, recounting only what changed.
    pub fn set_text(&mut self, text: &str) -> MeterReading {
        self.meter.set_text(text);
        self.changed()
    }

    /// Replaces UTF-16 units `start..end` (as the DOM counts) with the
    /// edit's text.
    pub fn edit(&mut self, edit: &Edit) -> MeterReading {
        self.meter.edit(edit);
        self.changed()
    }

    fn changed(&mut self) -> MeterReading {
        self.version += 1;
        if self.meter.text().len() <= SETTLE_BYTES {
            self.settle()
        } else {
            self.reading()
        }
    }

    /// Makes the offers exact for the current text (trimming it once) and
    /// returns the settled reading: the same size issues as a full check.
    pub fn settle(&mut self) -> MeterReading {
        if !self.is_settled() {
            let tokens = self.tokens();
            let trimmed = (tokens.state == BudgetState::Over)
                .then(|| crate::trim::text::trimmed(self.meter.text(), self.strip_markup))
                .flatten()
                .map(|text| self.budget.measure(&text));
            self.trimmed = Some((self.version, trimmed));
        }
        self.reading()
    }

    /// The current reading: exact figures and verdict. Its offers are
    /// exact when it is `settled`; otherwise they are those of the last
    /// settled text (or made without trimming, before any), so the
    /// buttons a page shows do not flicker while the user types.
    pub fn reading(&self) -> MeterReading {
        let tokens = self.tokens();
        let (trimmed, settled) = match &self.trimmed {
            Some((version, trimmed)) => (trimmed.as_ref(), *version == self.version),
            None => (None, false),
        };
        MeterReading {
            issues: self.budget.size_issues(&tokens, Sent::Text, trimmed),
            // Under the limit there is nothing to offer, so nothing to settle.
            settled: settled || tokens.state != BudgetState::Over,
            tokens,
        }
    }

    fn is_settled(&self) -> bool {
        matches!(self.trimmed, Some((version, _)) if version == self.version)
    }

    fn tokens(&self) -> TokenInfo {
        self.budget.tokens(TokenCount {
            count: self.meter.count(),
            exact: true,
        })
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

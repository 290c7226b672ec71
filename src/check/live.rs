//! The live check of text as it is typed: the same size and emptiness
//! verdict as [`check`](crate::check()) on the same text, recounting only
//! around each edit.
//!
//! The count and the verdict are exact at every edit. The offers over the
//! limit (Trim, and a split for what trimming leaves) need the whole text
//! trimmed, which is linear in its size: they are made at every edit for
//! texts up to [`SETTLE_BYTES`], and for longer ones when
//! [`settle`](LiveCheck::settle) is called (a page calls it when typing
//! pauses). Until then a reading says it is not settled, and its offers
//! are those of the last settled text.

use crate::ingest::{Input, Sent};
use crate::messages;
use crate::{
    Budget, BudgetState, Code, Contract, Edit, Error, Estimate, Meter, MeterReading, Report,
    TokenCount, TokenInfo,
};

/// Texts up to this many bytes are trimmed at every edit to make the offers
/// exact (well under a millisecond); longer ones when
/// [`LiveCheck::settle`] is called.
pub const SETTLE_BYTES: usize = 64 * 1024;

/// How the text is counted: exactly, or estimated from its characters
/// until the tokenizer's vocabulary is installed.
#[derive(Debug)]
enum Counter {
    Exact(Meter),
    Estimated { text: String, estimate: Estimate },
}

/// Text being typed into a contract's template on one tier: edits in, the
/// report's `tokens` and its size issues out, with the same figures and,
/// once settled, the same offers as a full check of the text.
///
/// It works before the tokenizer's vocabulary has arrived: the count is
/// then an estimate from the text's characters (`exact: false`, with a
/// `token_count_estimated` note), and the first edit after the vocabulary
/// is installed counts exactly. Typing never waits for it.
///
/// ```
/// use prompt_preflight::{Contract, Edit, LiveCheck};
/// let contract = Contract::parse(include_str!("../../contracts/customer-list/1.0.0.toml")).unwrap();
/// let mut live = LiveCheck::new(&contract, Some("free")).unwrap();
/// let first = live.set_text("Customers from Lisbon");
/// let next = live.edit(&Edit { start: 21, end: 21, text: " buy more.".into() });
/// assert!(next.tokens.input > first.tokens.input);
/// assert!(next.settled && next.tokens.exact);
/// assert_eq!(live.text(), "Customers from Lisbon buy more.");
/// ```
#[derive(Debug)]
pub struct LiveCheck {
    contract: Contract,
    tier: Option<String>,
    budget: Budget,
    counter: Counter,
    strip_markup: bool,
    /// Counts the edits, so an analysis knows which text it was made for.
    version: u64,
    /// What trimming leaves of the text at `version`: its request's
    /// tokens, or `None` when trimming removes nothing.
    trimmed: Option<(u64, Option<TokenInfo>)>,
    /// The last full check of the text, from [`LiveCheck::check`].
    report: Option<Report>,
}

impl LiveCheck {
    /// A live check on `tier` (the default tier for `None`). Without the
    /// tokenizer installed yet, it estimates until it is.
    pub fn new(contract: &Contract, tier: Option<&str>) -> Result<LiveCheck, Error> {
        let budget = Budget::new(contract, tier)?;
        let counter = match budget.meter() {
            Some(meter) => Counter::Exact(meter),
            None => Counter::Estimated {
                text: String::new(),
                estimate: Estimate::default(),
            },
        };
        Ok(LiveCheck {
            contract: contract.clone(),
            tier: tier.map(str::to_owned),
            budget,
            counter,
            strip_markup: contract.prepare.strip_markup,
            version: 0,
            trimmed: None,
            report: None,
        })
    }

    /// Replaces the whole text, recounting only what changed.
    pub fn set_text(&mut self, text: &str) -> MeterReading {
        self.count_exactly_if_possible();
        match &mut self.counter {
            Counter::Exact(meter) => {
                meter.set_text(text);
            }
            Counter::Estimated {
                text: current,
                estimate,
            } => {
                text.clone_into(current);
                *estimate = Estimate::of(text);
            }
        }
        self.changed()
    }

    /// Replaces UTF-16 units `start..end` (as the DOM counts) with the
    /// edit's text.
    pub fn edit(&mut self, edit: &Edit) -> MeterReading {
        self.count_exactly_if_possible();
        match &mut self.counter {
            Counter::Exact(meter) => {
                meter.edit(edit);
            }
            Counter::Estimated { text, estimate } => {
                let start = byte_offset(text, edit.start);
                let end = byte_offset(text, edit.end.max(edit.start)).max(start);
                *estimate = estimate.replaced(&text[start..end], &edit.text);
                text.replace_range(start..end, &edit.text);
            }
        }
        self.changed()
    }

    /// Once the tokenizer is installed, the estimate gives way to the exact
    /// count (with the template counted exactly too).
    fn count_exactly_if_possible(&mut self) {
        let Counter::Estimated { text, .. } = &self.counter else {
            return;
        };
        if self.budget.model().encoding.tokenizer().is_none() {
            return;
        }
        let Ok(budget) = Budget::new(&self.contract, self.tier.as_deref()) else {
            return;
        };
        if let Some(mut meter) = budget.meter() {
            meter.set_text(text);
            self.budget = budget;
            self.counter = Counter::Exact(meter);
            self.version += 1;
        }
    }

    fn changed(&mut self) -> MeterReading {
        self.version += 1;
        if self.text().len() <= SETTLE_BYTES {
            self.settle()
        } else {
            self.reading()
        }
    }

    /// Makes the offers exact for the current text (trimming it once) and
    /// returns the settled reading: the same size issues as a full check.
    /// While the count is an estimate there is nothing exact to settle.
    pub fn settle(&mut self) -> MeterReading {
        if !self.is_settled() && matches!(self.counter, Counter::Exact(_)) {
            let tokens = self.tokens();
            let trimmed = (tokens.state == BudgetState::Over)
                .then(|| crate::trim::text::trimmed(self.text(), self.strip_markup))
                .flatten()
                .map(|text| self.budget.measure(&text));
            self.trimmed = Some((self.version, trimmed));
        }
        self.reading()
    }

    /// The current reading: exact figures and verdict once the tokenizer
    /// is in (an estimate before). Its offers are exact when it is
    /// `settled`; otherwise they are those of the last settled text (or
    /// made without trimming, before any), so the buttons a page shows do
    /// not flicker while the user types.
    pub fn reading(&self) -> MeterReading {
        let tokens = self.tokens();
        let (trimmed, settled) = match &self.trimmed {
            Some((version, trimmed)) => (trimmed.as_ref(), *version == self.version),
            None => (None, false),
        };
        let mut issues = self.budget.size_issues(&tokens, Sent::Text, trimmed);
        if let Counter::Estimated { .. } = self.counter {
            for issue in issues
                .iter_mut()
                .filter(|i| i.code == Code::TokenCountEstimated)
            {
                *issue = messages::issue::tokens_estimated_while_loading();
            }
        }
        // Whether there is anything at all, as the full check judges it (a
        // text too large to read is not empty: its size issue says why).
        let text = self.text();
        if text.trim().is_empty() && text.len() as u64 <= self.contract.limits.max_bytes {
            issues.insert(0, messages::issue::empty_input(false));
        }
        MeterReading {
            issues,
            // Under the limit there is nothing to offer, so nothing to settle.
            settled: settled || tokens.state != BudgetState::Over,
            tokens,
        }
    }

    fn is_settled(&self) -> bool {
        matches!(self.trimmed, Some((version, _)) if version == self.version)
    }

    fn tokens(&self) -> TokenInfo {
        match &self.counter {
            Counter::Exact(meter) => self.budget.tokens(TokenCount {
                count: meter.count(),
                exact: true,
            }),
            Counter::Estimated { estimate, .. } => self.budget.tokens(TokenCount {
                count: self.budget.frame_tokens() + estimate.tokens(),
                exact: false,
            }),
        }
    }

    /// Checks the text in full, as [`check`](crate::check()) does, and
    /// keeps the report for [`report`](LiveCheck::report).
    ///
    /// ```
    /// use prompt_preflight::{Contract, Edit, LiveCheck, VerdictState};
    /// let contract = Contract::parse(include_str!("../../contracts/customer-list/1.0.0.toml")).unwrap();
    /// let mut live = LiveCheck::new(&contract, None).unwrap();
    /// assert!(live.report().is_none());
    /// live.set_text("");
    /// assert_eq!(live.check().unwrap().verdict.state, VerdictState::Empty);
    /// live.edit(&Edit { start: 0, end: 0, text: "Ada renewed early.".into() });
    /// assert_eq!(live.report().unwrap().verdict.state, VerdictState::Ready);
    /// ```
    pub fn check(&mut self) -> Result<Report, Error> {
        let input = Input::Text(self.text());
        let report = crate::check(&self.contract, self.tier.as_deref(), &input)?.report;
        self.report = Some(report.clone());
        Ok(report)
    }

    /// The last full check brought up to date with the text as it is now
    /// ([`Report::with_reading`]): its size and emptiness are the live
    /// ones, every other issue is the check's until the next one. `None`
    /// before the first [`check`](LiveCheck::check).
    pub fn report(&self) -> Option<Report> {
        self.report
            .as_ref()
            .map(|report| report.with_reading(&self.reading()))
    }

    /// The text being checked.
    pub fn text(&self) -> &str {
        match &self.counter {
            Counter::Exact(meter) => meter.text(),
            Counter::Estimated { text, .. } => text,
        }
    }

    /// Whether the count is exact (the tokenizer is in), not an estimate.
    pub fn is_exact(&self) -> bool {
        matches!(self.counter, Counter::Exact(_))
    }

    /// The budget the text is held against.
    pub fn budget(&self) -> &Budget {
        &self.budget
    }
}

/// The byte offset of UTF-16 unit `utf16` in `text` (its end when past it,
/// and the start of a character split by it).
fn byte_offset(text: &str, utf16: usize) -> usize {
    let mut left = utf16;
    for (i, c) in text.char_indices() {
        if left < c.len_utf16() {
            return i;
        }
        left -= c.len_utf16();
    }
    text.len()
}

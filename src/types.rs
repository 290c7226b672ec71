//! The plain data types every layer shares: issues and their codes, what an
//! input turned out to be, and the size of a request. A leaf: it depends on
//! no other module of the crate, so data can flow one way through the rest
//! (bytes → ingest → schema → tokens and budget → prepare → report).
//!
//! Behaviour that needs a layer lives with that layer, in its own `impl`
//! block: the wording of codes and kinds in `messages`, counting with an
//! [`Encoding`] in `tokens`, pricing a [`Cost`] and judging a
//! [`BudgetState`] in `budget`.

mod code;
mod failure;
mod input;
mod issue;
mod size;
mod step;
mod verdict;

pub use code::Code;
pub use failure::{FailureClass, RetryPolicy};
pub use input::{ErrorCell, InputInfo, InputKind, Limits, SheetInfo};
pub(crate) use issue::most_severe_first;
pub use issue::{Action, Issue, Location, Severity};
pub use size::{BudgetState, Cost, Encoding, EstimateInfo, TokenInfo};
pub use step::{Step, StepKind, MAX_LISTED};
pub use verdict::{Verdict, VerdictState};

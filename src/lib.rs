#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod budget;
mod check;
pub mod contract;
mod error;
pub mod ingest;
pub mod messages;
mod payload;
mod report;
pub mod schema;
mod tokens;
#[cfg(feature = "wasm")]
mod wasm;

pub use budget::BudgetState;
pub use check::{check, Checked};
pub use contract::{Contract, ModelSpec, PromptSpec, Tier, INPUT_PLACEHOLDER};
pub use error::Error;
pub use ingest::{ingest, Document, Input, Limits, Table};
pub use messages::Code;
pub use payload::{Message, Payload, Role};
pub use report::{
    ContractRef, ErrorCell, InputInfo, InputKind, Issue, Location, Report, Severity, SheetInfo,
    TokenInfo,
};
pub use tokens::{Encoding, TokenCount};
#[cfg(feature = "wasm")]
pub use wasm::{catalogue as js_catalogue, count_tokens as js_count_tokens, Preflight};

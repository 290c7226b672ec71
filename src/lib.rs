#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod budget;
pub mod catalogue;
mod check;
mod chunk;
pub mod contract;
pub mod docs;
mod error;
// Without the `readers` feature (the browser's meter module), the file
// parsers are compiled but unreached.
#[cfg_attr(not(feature = "readers"), allow(dead_code))]
pub mod ingest;
mod language;
pub mod messages;
mod payload;
mod prepare;
mod progress;
mod report;
pub mod schema;
mod tokens;
mod trim;
mod types;
#[cfg(feature = "wasm")]
mod wasm;
mod words;

pub use budget::{Budget, MeterReading, MAX_PARTS};
pub use catalogue::{Catalogue, Model, Provider};
pub use check::{check, checks_text_fully, Checked, LiveCheck, SETTLE_BYTES};
pub use chunk::{
    chunk_json_array, chunk_table, chunk_text, Boundary, Chunk, ChunkError, ChunkOptions,
    JsonChunk, JsonChunks, TableChunk, MIN_CHUNK_TOKENS,
};
pub use contract::{
    Contract, ModelSpec, OnTruncated, OutputFormat, OutputSpec, PromptSpec, RecoverySpec, Tier,
    INPUT_PLACEHOLDER,
};
pub use error::Error;
pub use ingest::{ingest, Document, Input, Removed, Table};
pub use payload::{Message, Payload, Role};
pub use prepare::{
    prepare, Manifest, Mode, Part, Plan, PlanKind, PrepareOptions, Prepared, Refusal, Upload,
};
pub use progress::{with_progress, Progress};
pub use report::{ContractRef, Report};
pub use tokens::{
    install, Edit, Estimate, LimitCheck, Meter, TokenCount, Tokenizer, TokenizerError, Within,
};
pub use types::{
    Action, BudgetState, Code, Cost, Encoding, ErrorCell, EstimateInfo, FailureClass, InputInfo,
    InputKind, Issue, Limits, Location, RetryPolicy, Severity, SheetInfo, Step, StepKind,
    TokenInfo, Verdict, VerdictState, MAX_LISTED,
};
#[cfg(feature = "wasm")]
pub use wasm::{
    catalogue as js_catalogue, count_tokens as js_count_tokens, install_tokenizer,
    within_token_limit, Preflight, PreflightMeter,
};

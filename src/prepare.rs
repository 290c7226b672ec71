//! Turning a checked input into the payload that goes to the model:
//! trimmed of what the contract does not need, cut down to the sections
//! that matter to a question, or split into parts that each fit, with a
//! manifest of every change and a plan of how the request will run.
//!
//! Every mode trims first:
//! - a **table** loses the columns the contract does not use (unless its
//!   policy is `extra_columns = "allow"`), blank and duplicate rows, runs
//!   of white space inside cells and the length of very long cells, then
//!   is written in the contract's `table_format`;
//! - **text** loses markup (when the contract says so), lines repeated at
//!   the edges of pages or paragraphs (headers and footers) and extra
//!   white space;
//! - a **JSON** document that is not a table is kept as written.
//!
//! [`Mode::Relevant`] then keeps the sections (paragraph-sized chunks, or
//! rows) that best match the question and fit, in their original order;
//! [`Mode::Split`] cuts the input into parts at the strongest boundaries.
//!
//! Preparing is deterministic, and preparing the prepared input again
//! (its [`Prepared::upload`]) gives the same parts: the browser prepares,
//! uploads only the result, and the server prepares that again as its
//! final check.
//!
//! ```
//! use prompt_preflight::{prepare, Contract, Input, Mode, PrepareOptions, PlanKind};
//!
//! let contract = Contract::parse(include_str!("../contracts/customer-list.toml")).unwrap();
//! let csv = "name,email,notes\nAda,ada@example.com,x\nAda,ada@example.com,y\n";
//! let input = Input::File { name: Some("c.csv"), bytes: csv.as_bytes() };
//! let prepared = prepare(&contract, None, &input, &PrepareOptions::default()).unwrap();
//! assert!(prepared.ok);
//! assert_eq!(prepared.parts[0].content, "name,email\nAda,ada@example.com\n");
//! assert_eq!(prepared.plan.kind, PlanKind::Single);
//! assert!(prepared.manifest.summary.starts_with(
//!     "We removed 1 column you don't need and 1 duplicate row"));
//! ```

mod manifest;
mod plan;
mod relevance;
mod select;
mod split;
mod table;
mod text;

pub use manifest::{Manifest, Step, StepKind, MAX_LISTED};
pub use plan::{Plan, PlanKind, Refusal, MAX_PARTS};

use crate::contract::TableFormat;
use crate::words::{capitalised, group_digits, or_list, plural};
use crate::{
    check, Budget, BudgetState, Code, Contract, Error, Input, InputKind, Issue, Location, Severity,
    TokenInfo, MIN_CHUNK_TOKENS,
};
use serde::{Deserialize, Serialize};

/// What to do beyond trimming.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Mode {
    /// Trim only.
    #[default]
    Trim,
    /// Trim, then keep the sections most relevant to the question.
    Relevant,
    /// Trim, then split into parts that each fit.
    Split,
}

/// How to prepare.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrepareOptions {
    /// What to do beyond trimming.
    pub mode: Mode,
    /// The user's question, for [`Mode::Relevant`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// For [`Mode::Split`] of text: tokens of each part repeated at the
    /// start of the next, for context (under half a part). Rows and array
    /// elements are never repeated.
    #[serde(skip_serializing_if = "is_zero")]
    pub overlap: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The prepared input as it is uploaded: preparing it again gives the
/// same parts.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    /// The file name to send it under (`prepared.csv` for a table), or
    /// `None` to send it as typed text.
    pub name: Option<String>,
    /// Its content.
    pub text: String,
}

/// One part of the payload: what goes into the template's `{{input}}`
/// in one request.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// The text for the model.
    pub content: String,
    /// The tokens it adds to the request, as held against the limit.
    pub tokens: u64,
    /// For text: its first byte in the upload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<usize>,
    /// For text: one past its last byte in the upload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<usize>,
    /// For text: `start` in UTF-16 code units, for JavaScript strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_utf16: Option<usize>,
    /// For text: `end` in UTF-16 code units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_utf16: Option<usize>,
    /// For text: where the part's own text begins, after the overlap it
    /// repeats from the part before; the `own_start..end` ranges of all
    /// parts tile the upload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_start: Option<usize>,
    /// For a table: where its first row was in the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_row: Option<Location>,
    /// For a table: where its last row was in the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_row: Option<Location>,
}

/// The result of [`prepare()`].
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prepared {
    /// Whether the plan can run.
    pub ok: bool,
    /// The mode used.
    pub mode: Mode,
    /// What to upload: the trimmed (and selected) input, before splitting.
    pub upload: Upload,
    /// The payload: one part per request of the map step, or the single
    /// part.
    pub parts: Vec<Part>,
    /// The prepared input's tokens as one request.
    pub tokens: TokenInfo,
    /// Every change made.
    pub manifest: Manifest,
    /// How the request will run, and its cost.
    pub plan: Plan,
    /// The check's issues that still apply, and any found while preparing.
    pub issues: Vec<Issue>,
}

/// The prepared body before splitting.
enum Body {
    Text(String),
    Json(String),
    Table(table::Rows),
}

/// A part before it is measured in its template.
struct Draft {
    content: String,
    /// For text: the byte range, the UTF-16 range and the own start in
    /// the upload.
    range: Option<[usize; 5]>,
    rows: Option<(usize, usize)>,
}

/// Prepares `input` for `contract` on `tier` (the default tier for
/// `None`). The errors are those of [`check`], and a tokenizer that is
/// not loaded; every problem with the input is an issue, and a plan that
/// cannot run says why.
pub fn prepare(
    contract: &Contract,
    tier: Option<&str>,
    input: &Input<'_>,
    options: &PrepareOptions,
) -> Result<Prepared, Error> {
    let checked = check(contract, tier, input)?;
    let budget = Budget::new(contract, Some(&checked.report.tokens.tier))?;
    let model = budget.model();
    let tokenizer = model
        .encoding
        .tokenizer()
        .ok_or(Error::TokenizerNotLoaded(model.encoding))?;
    let doc = &checked.document;
    let mut issues: Vec<Issue> = checked
        .report
        .issues
        .iter()
        .filter(|i| !Code::SIZE.contains(&i.code))
        .cloned()
        .collect();
    let before = budget.measure(&doc.text).input;
    let prices = checked.report.tokens.cost.prices_as_of.clone();
    let json_kind = matches!(doc.info.kind, InputKind::Json | InputKind::Jsonl);

    if issues.iter().any(|i| i.severity == Severity::Error) {
        return Ok(Prepared {
            ok: false,
            mode: options.mode,
            upload: Upload {
                name: None,
                text: String::new(),
            },
            parts: Vec::new(),
            tokens: checked.report.tokens.clone(),
            manifest: manifest::Manifest::new(before, before, Vec::new()),
            plan: Plan::refuse(
                Refusal::InputHasErrors,
                "the input has problems to fix first; see the issues.".into(),
                &prices,
            ),
            issues,
        });
    }

    let format = contract.prepare.table_format;
    let (mut body, mut steps) = match &doc.table {
        Some(t) => {
            let (rows, mut steps) =
                table::trim(t, contract.input.table.as_ref(), &contract.prepare);
            if format != TableFormat::Csv {
                let name = match format {
                    TableFormat::Markdown => "a Markdown table",
                    _ => "JSON records",
                };
                steps.push(
                    Step::new(
                        StepKind::Reformatted,
                        1,
                        format!("Wrote the table for the model as {name}."),
                    )
                    .with_items([format!("the table as {name}")]),
                );
            }
            (Body::Table(rows), steps)
        }
        None if json_kind => (Body::Json(doc.text.clone()), Vec::new()),
        None => {
            let (text, steps) = text::trim(&doc.text, contract.prepare.strip_markup);
            (Body::Text(text), steps)
        }
    };
    if steps.iter().any(|s| s.kind == StepKind::ColumnsRemoved) {
        // The columns it warned about are gone.
        issues.retain(|i| i.code != Code::UnexpectedColumn);
    }
    let limit = budget.encoding_limit();
    let mut refusal = None;
    // The prepared input as the model reads it, and its request's tokens.
    let mut whole = render(&body, format);
    let mut tokens = budget.measure(&whole);
    if whole.trim().is_empty() {
        refusal = Some((
            Refusal::NothingLeft,
            "nothing is left once the markup, repeated lines and extra white space are removed; check that this is the file you meant."
                .to_owned(),
        ));
    }

    if options.mode == Mode::Relevant && refusal.is_none() && !fits(&tokens) {
        let question = options.question.as_deref().unwrap_or("").trim();
        let terms = relevance::question_terms(question);
        if terms.is_empty() {
            refusal = Some((
                Refusal::QuestionNeeded,
                "to keep the most relevant parts we need your question; say what you are looking for."
                    .to_owned(),
            ));
        } else if limit < MIN_CHUNK_TOKENS {
            refusal = Some(too_small(limit));
        } else if let Some(step) = select::keep_relevant(
            &mut body,
            doc.table.as_ref(),
            format,
            &terms,
            tokenizer,
            &budget,
        ) {
            steps.push(step);
            whole = render(&body, format);
            tokens = budget.measure(&whole);
        }
    }

    let upload = match &body {
        Body::Table(rows) => Upload {
            name: Some("prepared.csv".into()),
            text: table::write(rows, TableFormat::Csv).all(),
        },
        Body::Json(text) => Upload {
            name: Some(
                if doc.info.kind == InputKind::Jsonl {
                    "prepared.jsonl"
                } else {
                    "prepared.json"
                }
                .into(),
            ),
            text: text.clone(),
        },
        Body::Text(text) => Upload {
            name: None,
            text: text.clone(),
        },
    };
    let after = tokens.input;

    let mut drafts = vec![Draft {
        content: whole.clone(),
        range: matches!(body, Body::Text(_))
            .then(|| [0, whole.len(), 0, whole.encode_utf16().count(), 0]),
        rows: match &body {
            Body::Table(rows) if !rows.rows.is_empty() => Some((0, rows.rows.len())),
            _ => None,
        },
    }];
    let mut part_tokens = vec![tokens.clone()];
    let single_fits = fits(&tokens);
    if options.mode == Mode::Split && !single_fits && refusal.is_none() {
        let overlap = match body {
            Body::Text(_) => options.overlap,
            _ => 0,
        };
        if limit < MIN_CHUNK_TOKENS {
            refusal = Some(too_small(limit));
        } else if overlap * 2 >= limit {
            refusal = Some((
                Refusal::OverlapTooLarge,
                format!(
                "an overlap of {} tokens leaves no room: it must be under half a part ({} tokens).",
                group_digits(overlap),
                group_digits(limit)
            ),
            ));
        } else {
            let (split, measured, found) = split::split_fitting(
                &body,
                doc.table.as_ref(),
                format,
                tokenizer,
                &budget,
                limit,
                overlap,
            );
            issues.extend(found);
            steps.push(Step::new(
                StepKind::Split,
                split.len() as u64,
                format!(
                    "Split into {} of at most {} tokens each, at the strongest boundaries that fit ({}).",
                    plural(split.len() as u64, "part", "parts"),
                    group_digits(budget.tier().max_input_tokens),
                    match body {
                        Body::Table(_) => "between rows, with the header row in every part",
                        Body::Json(_) => "between the array's elements",
                        Body::Text(_) => "sections, paragraphs, sentences",
                    }
                ) + &match (overlap, options.overlap) {
                    (0, 0) => String::new(),
                    (0, _) => " Rows and elements are never repeated, so there is no overlap.".to_owned(),
                    (n, _) => format!(
                        " Each part starts with up to {} tokens from the end of the one before.",
                        group_digits(n)
                    ),
                },
            ));
            drafts = split;
            part_tokens = measured;
        }
    }

    let parts: Vec<Part> = drafts
        .into_iter()
        .zip(&part_tokens)
        .map(|(d, t)| {
            let location = |i: usize| match (&body, doc.table.as_ref()) {
                (Body::Table(rows), Some(table)) => Some(table.location(rows.source[i], None)),
                _ => None,
            };
            Part {
                tokens: t.input,
                start: d.range.map(|r| r[0]),
                end: d.range.map(|r| r[1]),
                start_utf16: d.range.map(|r| r[2]),
                end_utf16: d.range.map(|r| r[3]),
                own_start: d.range.map(|r| r[4]),
                first_row: d.rows.and_then(|r| location(r.0)),
                last_row: d.rows.and_then(|r| location(r.1 - 1)),
                content: d.content,
            }
        })
        .collect();

    let plan = match refusal {
        Some((code, reason)) => Plan::refuse(code, reason, &prices),
        None if parts.len() == 1 && single_fits => Plan::single(&tokens),
        None if parts.len() == 1 || !part_tokens.iter().all(fits) => Plan::refuse(
            Refusal::StillOverLimit,
            still_over(&tokens, options.mode, &budget),
            &prices,
        ),
        None => plan::map_reduce(contract, &budget, &part_tokens, &prices)?,
    };
    if plan.kind == PlanKind::Single || (plan.kind == PlanKind::Refuse && parts.len() == 1) {
        issues.extend(budget.issues_for(&tokens, input.sent()));
    }
    crate::types::most_severe_first(&mut issues);
    Ok(Prepared {
        ok: plan.kind != PlanKind::Refuse,
        mode: options.mode,
        upload,
        parts,
        tokens,
        manifest: Manifest::new(before, after, steps),
        plan,
        issues,
    })
}

/// Whether a request is within the tier's limit and the model's window.
fn fits(t: &TokenInfo) -> bool {
    t.state != BudgetState::Over && t.total <= t.context_window
}

fn too_small(limit: u64) -> (Refusal, String) {
    (
        Refusal::LimitTooSmall,
        format!(
            "the plan's limit ({} tokens) is too small to hold any part of the input.",
            group_digits(limit)
        ),
    )
}

/// Why a prepared input that is still too long cannot run.
/// Why a prepared input still cannot run, and only the ways on that can
/// work: splitting where the contract allows it, a plan with a higher
/// limit where there is one.
fn still_over(tokens: &TokenInfo, mode: Mode, budget: &Budget) -> String {
    let mut ways: Vec<&str> = match mode {
        Mode::Trim => vec!["keep only the parts most relevant to your question"],
        Mode::Relevant => vec!["ask about something narrower"],
        Mode::Split => vec![],
    };
    if budget.can_split() && mode != Mode::Split {
        ways.push("split it into parts");
    }
    if budget.bigger_tier().is_some() {
        ways.push("use a plan with a higher limit");
    }
    let next = if ways.is_empty() {
        String::new()
    } else {
        format!(" {}.", capitalised(&or_list(&ways)))
    };
    format!(
        "it is still {} tokens, over the {} allowed per request on the {} plan.{next}",
        group_digits(tokens.input),
        group_digits(tokens.limit),
        tokens.tier
    )
}

/// The body as the model reads it.
fn render(body: &Body, format: TableFormat) -> String {
    match body {
        Body::Text(t) | Body::Json(t) => t.clone(),
        Body::Table(rows) => table::write(rows, format).all(),
    }
}

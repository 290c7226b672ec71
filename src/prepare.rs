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
//! let contract = Contract::parse(include_str!("../contracts/customer-list/1.0.0.toml")).unwrap();
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

pub use manifest::Manifest;
pub use plan::{Plan, PlanKind, Refusal};

use crate::contract::TableFormat;
use crate::messages::prepare::{self as words, Pieces, Way};
use crate::messages::progress as words_of_progress;
use crate::progress;
use crate::trim::{table, Body};
use crate::{
    check, Budget, BudgetState, Checked, Code, Contract, Document, Error, Input, InputKind, Issue,
    Location, Severity, Step, StepKind, TokenInfo, Tokenizer, MIN_CHUNK_TOKENS,
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

/// Where a part of a text lies in the upload, in bytes and in UTF-16
/// units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TextRange {
    start: usize,
    end: usize,
    start_utf16: usize,
    end_utf16: usize,
    /// Where the part's own text begins, after the overlap it repeats.
    own_start: usize,
}

/// A part before it is measured in its template.
struct Draft {
    content: String,
    /// For text: where it is in the upload.
    range: Option<TextRange>,
    /// For a table: its rows, as indexes into the prepared rows.
    rows: Option<(usize, usize)>,
}

/// Why a stage stops the pipeline: the refusal for programs, and its
/// reason in words for the user.
struct Refused {
    refusal: Refusal,
    reason: String,
}

impl Refused {
    fn new(refusal: Refusal, reason: String) -> Refused {
        Refused { refusal, reason }
    }
}

/// What every stage of [`prepare()`] reads.
struct Run<'a> {
    contract: &'a Contract,
    options: &'a PrepareOptions,
    doc: &'a Document,
    budget: Budget,
    tokenizer: &'static Tokenizer,
    format: TableFormat,
    /// The tokens a part may have, as the encoding counts them.
    limit: u64,
}

/// The input once trimmed (and cut to what is relevant): its body, the
/// steps so far, and the body as the model reads it, measured.
struct Shaped {
    body: Body,
    steps: Vec<Step>,
    whole: String,
    tokens: TokenInfo,
}

/// The parts, each measured in its own request.
struct Parts {
    drafts: Vec<Draft>,
    tokens: Vec<TokenInfo>,
}

/// The steps prepare reports to a progress listener: the check, trim,
/// keep what is relevant, split, plan.
const STEPS: usize = 5;

/// Prepares `input` for `contract` on `tier` (the default tier for
/// `None`). The errors are those of [`check`], and a tokenizer that is
/// not loaded; every problem with the input is an issue, and a plan that
/// cannot run says why.
///
/// The stages run in order, each able to stop with a [`Refusal`]: trim,
/// check that something is left, keep what is relevant (in
/// [`Mode::Relevant`]), split (in [`Mode::Split`]), then plan.
pub fn prepare(
    contract: &Contract,
    tier: Option<&str>,
    input: &Input<'_>,
    options: &PrepareOptions,
) -> Result<Prepared, Error> {
    let checked = progress::within(0, STEPS, || check(contract, tier, input))?;
    let run = Run::new(contract, options, &checked)?;
    let prices = checked.report.tokens.cost.prices_as_of.clone();
    let before = run.budget.measure(&run.doc.text).input;
    // The size issues are made again for what is sent.
    let mut issues: Vec<Issue> = checked
        .report
        .issues
        .iter()
        .filter(|i| !Code::SIZE.contains(&i.code))
        .cloned()
        .collect();
    if issues.iter().any(|i| i.severity == Severity::Error) {
        let refused = Refused::new(Refusal::InputHasErrors, words::input_has_errors());
        return Ok(Prepared {
            ok: false,
            mode: options.mode,
            upload: Upload {
                name: None,
                text: String::new(),
            },
            parts: Vec::new(),
            tokens: checked.report.tokens.clone(),
            manifest: Manifest::new(before, before, Vec::new()),
            plan: Plan::refuse(refused.refusal, refused.reason, &prices),
            issues,
        });
    }

    let mut shaped = progress::step(1, STEPS, words_of_progress::trimming, || run.trim());
    if shaped
        .steps
        .iter()
        .any(|s| s.kind == StepKind::ColumnsRemoved)
    {
        // The columns it warned about are gone.
        issues.retain(|i| i.code != Code::UnexpectedColumn);
    }
    let outcome = run
        .something_left(&shaped)
        .and_then(|()| {
            progress::step(2, STEPS, words_of_progress::keeping_relevant, || {
                run.keep_relevant(&mut shaped)
            })
        })
        .and_then(|()| {
            progress::step(3, STEPS, words_of_progress::splitting, || {
                run.split(&mut shaped, &mut issues)
            })
        });
    let upload = run.upload(&shaped.body);
    let after = shaped.tokens.input;
    let (parts, plan) = match outcome {
        Err(refused) => (
            run.whole(&shaped),
            Plan::refuse(refused.refusal, refused.reason, &prices),
        ),
        Ok(parts) => {
            let planning = || words_of_progress::planning(parts.drafts.len());
            let plan = progress::step(4, STEPS, planning, || {
                run.plan(&shaped.tokens, &parts, &prices)
            })?;
            (parts, plan)
        }
    };
    let single = parts.drafts.len() == 1;
    if plan.kind == PlanKind::Single || (plan.kind == PlanKind::Refuse && single) {
        issues.extend(run.budget.issues_for(&shaped.tokens, input.sent()));
    }
    crate::types::most_severe_first(&mut issues);
    Ok(Prepared {
        ok: plan.kind != PlanKind::Refuse,
        mode: options.mode,
        upload,
        parts: run.parts(&shaped.body, parts),
        tokens: shaped.tokens,
        manifest: Manifest::new(before, after, shaped.steps),
        plan,
        issues,
    })
}

impl<'a> Run<'a> {
    fn new(
        contract: &'a Contract,
        options: &'a PrepareOptions,
        checked: &'a Checked,
    ) -> Result<Run<'a>, Error> {
        let budget = Budget::new(contract, Some(&checked.report.tokens.tier))?;
        let encoding = budget.model().encoding;
        let tokenizer = encoding
            .tokenizer()
            .ok_or(Error::TokenizerNotLoaded(encoding))?;
        Ok(Run {
            contract,
            options,
            doc: &checked.document,
            limit: budget.encoding_limit(),
            format: contract.prepare.table_format,
            budget,
            tokenizer,
        })
    }

    /// Trims what the contract does not need, in every mode, then writes
    /// a table in the contract's format.
    fn trim(&self) -> Shaped {
        let (body, mut steps) = crate::trim::trim(self.contract, self.doc);
        if matches!(body, Body::Table(_)) && self.format != TableFormat::Csv {
            let (message, item) = words::reformatted(self.format);
            steps.push(Step::new(StepKind::Reformatted, 1, message).with_items([item]));
        }
        self.shaped(body, steps)
    }

    fn shaped(&self, body: Body, steps: Vec<Step>) -> Shaped {
        let whole = body.render(self.format);
        let tokens = self.budget.measure(&whole);
        Shaped {
            body,
            steps,
            whole,
            tokens,
        }
    }

    /// Stops when trimming left nothing to send.
    fn something_left(&self, shaped: &Shaped) -> Result<(), Refused> {
        if shaped.whole.trim().is_empty() {
            return Err(Refused::new(Refusal::NothingLeft, words::nothing_left()));
        }
        Ok(())
    }

    /// In [`Mode::Relevant`], when the input does not fit: keeps the
    /// sections that best match the question.
    fn keep_relevant(&self, shaped: &mut Shaped) -> Result<(), Refused> {
        if self.options.mode != Mode::Relevant || fits(&shaped.tokens) {
            return Ok(());
        }
        let question = self.options.question.as_deref().unwrap_or("").trim();
        let terms = relevance::question_terms(question);
        if terms.is_empty() {
            return Err(Refused::new(
                Refusal::QuestionNeeded,
                words::question_needed(),
            ));
        }
        self.room_for_a_part()?;
        if let Some(step) = select::keep_relevant(
            &mut shaped.body,
            self.doc.table.as_ref(),
            self.format,
            &terms,
            self.tokenizer,
            &self.budget,
        ) {
            shaped.steps.push(step);
            shaped.whole = shaped.body.render(self.format);
            shaped.tokens = self.budget.measure(&shaped.whole);
        }
        Ok(())
    }

    fn room_for_a_part(&self) -> Result<(), Refused> {
        if self.limit < MIN_CHUNK_TOKENS {
            return Err(Refused::new(
                Refusal::LimitTooSmall,
                words::limit_too_small(self.limit),
            ));
        }
        Ok(())
    }

    /// In [`Mode::Split`], when the input does not fit: cuts it into parts
    /// that each fit, at the strongest boundaries. Otherwise the one part.
    fn split(&self, shaped: &mut Shaped, issues: &mut Vec<Issue>) -> Result<Parts, Refused> {
        if self.options.mode != Mode::Split || fits(&shaped.tokens) {
            return Ok(self.whole(shaped));
        }
        let (overlap, pieces) = match shaped.body {
            Body::Text(_) => (self.options.overlap, Pieces::Text),
            Body::Json(_) => (0, Pieces::Elements),
            Body::Table(_) => (0, Pieces::Rows),
        };
        self.room_for_a_part()?;
        if overlap * 2 >= self.limit {
            return Err(Refused::new(
                Refusal::OverlapTooLarge,
                words::overlap_too_large(overlap, self.limit),
            ));
        }
        let (drafts, tokens, found) = split::split_fitting(
            &shaped.body,
            self.doc.table.as_ref(),
            self.format,
            self.tokenizer,
            &self.budget,
            self.limit,
            overlap,
        );
        issues.extend(found);
        let n = drafts.len() as u64;
        shaped.steps.push(Step::new(
            StepKind::Split,
            n,
            words::split_into(
                n,
                self.budget.tier().max_input_tokens,
                pieces,
                overlap,
                self.options.overlap,
            ),
        ));
        Ok(Parts { drafts, tokens })
    }

    /// The whole prepared input as the one part.
    fn whole(&self, shaped: &Shaped) -> Parts {
        let whole = &shaped.whole;
        Parts {
            drafts: vec![Draft {
                content: whole.clone(),
                range: matches!(shaped.body, Body::Text(_)).then(|| TextRange {
                    start: 0,
                    end: whole.len(),
                    start_utf16: 0,
                    end_utf16: whole.encode_utf16().count(),
                    own_start: 0,
                }),
                rows: match &shaped.body {
                    Body::Table(rows) if !rows.rows.is_empty() => Some((0, rows.rows.len())),
                    _ => None,
                },
            }],
            tokens: vec![shaped.tokens.clone()],
        }
    }

    /// How the parts run: one request, one per part and a combining one,
    /// or not at all, with only the ways on that can work.
    fn plan(&self, whole: &TokenInfo, parts: &Parts, prices: &str) -> Result<Plan, Error> {
        if parts.drafts.len() == 1 && fits(whole) {
            return Ok(Plan::single(whole));
        }
        if parts.drafts.len() == 1 || !parts.tokens.iter().all(fits) {
            return Ok(Plan::refuse(
                Refusal::StillOverLimit,
                self.still_over(whole),
                prices,
            ));
        }
        plan::map_reduce(self.contract, &self.budget, &parts.tokens, prices)
    }

    /// Why a prepared input still cannot run, offering only the ways on
    /// that can work: splitting where the contract allows it, a plan with
    /// a higher limit where there is one.
    fn still_over(&self, tokens: &TokenInfo) -> String {
        let mode = self.options.mode;
        let mut ways = match mode {
            Mode::Trim => vec![Way::KeepRelevant],
            Mode::Relevant => vec![Way::Narrower],
            Mode::Split => vec![],
        };
        if self.budget.can_split() && mode != Mode::Split {
            ways.push(Way::Split);
        }
        if self.budget.bigger_tier().is_some() {
            ways.push(Way::Upgrade);
        }
        words::still_over(tokens.input, tokens.limit, &tokens.tier, &ways)
    }

    /// What to upload: the body before splitting, so that preparing it
    /// again gives the same parts.
    fn upload(&self, body: &Body) -> Upload {
        match body {
            Body::Table(rows) => Upload {
                name: Some("prepared.csv".into()),
                text: table::write(rows, TableFormat::Csv).all(),
            },
            Body::Json(text) => Upload {
                name: Some(
                    if self.doc.info.kind == InputKind::Jsonl {
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
        }
    }

    /// The parts as returned: each with its tokens and where it lies.
    fn parts(&self, body: &Body, parts: Parts) -> Vec<Part> {
        let location = |i: usize| match (body, self.doc.table.as_ref()) {
            (Body::Table(rows), Some(table)) => Some(table.location(rows.source[i], None)),
            _ => None,
        };
        parts
            .drafts
            .into_iter()
            .zip(&parts.tokens)
            .map(|(d, t)| Part {
                tokens: t.input,
                start: d.range.map(|r| r.start),
                end: d.range.map(|r| r.end),
                start_utf16: d.range.map(|r| r.start_utf16),
                end_utf16: d.range.map(|r| r.end_utf16),
                own_start: d.range.map(|r| r.own_start),
                first_row: d.rows.and_then(|r| location(r.0)),
                last_row: d.rows.and_then(|r| location(r.1 - 1)),
                content: d.content,
            })
            .collect()
    }
}

/// Whether a request is within the tier's limit and the model's window.
fn fits(t: &TokenInfo) -> bool {
    t.state != BudgetState::Over && t.total <= t.context_window
}

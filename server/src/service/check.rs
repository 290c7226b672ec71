//! The server's final check of an input (never trust the client): the
//! core's check off the async workers, then, for a model whose tokens
//! are estimated, the provider's exact count when it has a key here; and
//! for a run, the work it allows: the payload as it is, or a long input
//! split into parts when the contract allows map-reduce.

use super::error::ServiceError;
use super::run::Work;
use crate::{Provider, ProviderError, Providers, COUNTING};
use prompt_preflight::contract::LongInput;
use prompt_preflight::ingest::Sent;
use prompt_preflight::messages::issue;
use prompt_preflight::{
    Budget, Checked, Code, Contract, Input, Mode, Payload, PlanKind, PrepareOptions, Prepared,
    Report, Severity,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The input itself, typed or uploaded.
#[derive(Debug, Clone)]
pub enum Content {
    /// Typed text.
    Text(String),
    /// An uploaded file.
    File {
        /// Its name, if it had one.
        name: Option<String>,
        /// Its bytes.
        bytes: Vec<u8>,
    },
}

impl Content {
    /// The core's view of it.
    pub fn input(&self) -> Input<'_> {
        match self {
            Content::Text(text) => Input::Text(text),
            Content::File { name, bytes } => Input::File {
                name: name.as_deref(),
                bytes,
            },
        }
    }
}

/// Exact counts from the providers' count endpoints, for the models whose
/// tokens the core estimates.
#[derive(Debug, Default)]
pub struct Counter {
    /// The count endpoints; `None`: every Claude and Gemini figure stays
    /// an estimate.
    pub providers: Option<Arc<Providers>>,
    /// How long a check waits for a count before it keeps the estimate.
    pub timeout: Duration,
    fixed: FixedCounts,
}

impl Counter {
    /// The default [`timeout`](Self::timeout): 5 seconds.
    pub const TIMEOUT: Duration = Duration::from_secs(5);

    /// A counter that asks `providers` (or no one).
    pub fn new(providers: Option<Arc<Providers>>, timeout: Duration) -> Counter {
        Counter {
            providers,
            timeout,
            fixed: FixedCounts::default(),
        }
    }
}

/// The final check's outcome.
#[derive(Debug, Clone)]
pub struct FinalCheck {
    /// The report, with the provider's exact count when it gave one.
    pub report: Report,
    /// The messages for the model, when the input passed as it is.
    pub payload: Option<Payload>,
    /// What a run may do: `None` when the input cannot run.
    pub work: Option<Work>,
    /// The preparation of a long input split for a map-reduce plan.
    pub prepared: Option<Prepared>,
}

impl FinalCheck {
    /// What the user reads when the input cannot run: the verdict, and
    /// the plan's reason when splitting did not help.
    pub fn refusal(&self) -> String {
        match &self.prepared {
            Some(p) => format!(
                "{} {}",
                self.report.verdict.message,
                p.plan.reason.as_deref().unwrap_or(&p.plan.message)
            ),
            None => self.report.verdict.message.clone(),
        }
    }
}

/// Whether the only errors are about size, so splitting may help.
fn only_too_long(report: &Report) -> bool {
    let mut errors = report
        .issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .peekable();
    errors.peek().is_some() && errors.all(|i| Code::SIZE.contains(&i.code))
}

/// Checks `content` against `contract` on `tier`. With `plan`, an input
/// that is only too long for a map-reduce contract is split into parts.
pub async fn final_check(
    counter: &Counter,
    contract: Arc<Contract>,
    tier: Option<String>,
    content: Content,
    plan: bool,
) -> Result<FinalCheck, ServiceError> {
    let provider = exact_provider(counter, &contract);
    let blocking = contract.clone();
    let content = Arc::new(content);
    let blocking_content = content.clone();
    let blocking_tier = tier.clone();
    // Tokenizing and parsing are CPU-bound: keep them off the async workers.
    let (mut report, mut payload, exact) = tokio::task::spawn_blocking(move || {
        let contract = blocking;
        let input = blocking_content.input();
        let checked = prompt_preflight::check(&contract, blocking_tier.as_deref(), &input)?;
        let exact = match provider {
            Some(provider) => exact_ask(provider, &contract, &checked, &input)?,
            None => None,
        };
        let payload = checked.payload(&contract);
        Ok::<_, ServiceError>((checked.report, payload, exact))
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))??;
    if let (Some(ask), Some(providers)) = (exact, &counter.providers) {
        count_exactly(counter, providers, &contract, &ask, &mut report).await;
        // An exact count can move the input over the limit, or back under.
        payload = report.ok.then(|| Payload::build(&contract, &ask.content));
    }
    if let Some(payload) = payload {
        let input_tokens = report.tokens.input + report.tokens.overhead;
        return Ok(FinalCheck {
            report,
            payload: Some(payload.clone()),
            work: Some(Work::Single {
                payload,
                input_tokens,
            }),
            prepared: None,
        });
    }
    let splittable =
        plan && contract.prepare.long_input == LongInput::MapReduce && only_too_long(&report);
    if !splittable {
        return Ok(FinalCheck {
            report,
            payload: None,
            work: None,
            prepared: None,
        });
    }
    let prepared = tokio::task::spawn_blocking(move || {
        let options = PrepareOptions {
            mode: Mode::Split,
            ..PrepareOptions::default()
        };
        prompt_preflight::prepare(&contract, tier.as_deref(), &content.input(), &options)
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))??;
    let work =
        (prepared.ok && prepared.plan.kind == PlanKind::MapReduce).then(|| Work::MapReduce {
            parts: prepared
                .parts
                .iter()
                .map(|p| (p.content.clone(), p.tokens))
                .collect(),
        });
    Ok(FinalCheck {
        report,
        payload: None,
        work,
        prepared: Some(prepared),
    })
}

/// An estimated model's request, to be counted by its provider.
#[derive(Debug)]
struct ExactAsk {
    provider: Provider,
    budget: Budget,
    /// The input as it goes into the template.
    content: String,
    /// Whether the user typed or uploaded (for the wording of size issues).
    sent: Sent,
}

/// The provider to ask for an exact count: the contract's model is
/// estimated and its provider has a key here.
fn exact_provider(counter: &Counter, contract: &Contract) -> Option<Provider> {
    let providers = counter.providers.as_ref()?;
    let model = contract.model.info().ok()?;
    model.estimate?;
    let provider = model.provider;
    (COUNTING.contains(&provider) && providers.is_configured(provider)).then_some(provider)
}

/// What to ask the provider, if its answer can matter: not when the input
/// is refused for something other than its size, and not when the request
/// without the input has no user text (no template around `{{input}}`),
/// which the providers refuse to count.
fn exact_ask(
    provider: Provider,
    contract: &Contract,
    checked: &Checked,
    input: &Input<'_>,
) -> Result<Option<ExactAsk>, ServiceError> {
    let size_only = checked
        .report
        .errors()
        .all(|issue| Code::SIZE.contains(&issue.code));
    if !size_only {
        return Ok(None);
    }
    let budget = Budget::new(contract, Some(&checked.report.tokens.tier))?;
    if budget.render("").1.trim().is_empty() {
        return Ok(None);
    }
    Ok(Some(ExactAsk {
        provider,
        budget,
        content: checked.content(contract).into_owned(),
        sent: input.sent(),
    }))
}

/// Replaces the report's estimate with the provider's exact count: the
/// request with the input, less the request with an empty input (asked
/// once per contract, tier and model, then remembered). On any failure,
/// or past the counter's time budget, the estimate stays and an info
/// issue says why.
async fn count_exactly(
    counter: &Counter,
    providers: &Providers,
    contract: &Contract,
    ask: &ExactAsk,
    report: &mut Report,
) {
    let budget = &ask.budget;
    let model = budget.model().name.as_str();
    let key = FixedKey {
        contract: contract.id.clone(),
        version: contract.version.clone(),
        tier: budget.tier_name().to_owned(),
        provider: ask.provider,
        model: model.to_owned(),
    };
    let (system, user) = budget.render(&ask.content);
    let total = providers.count_tokens(ask.provider, model, system, &user);
    let counts = async {
        if let Some(fixed) = counter.fixed.get(&key) {
            return Ok((total.await?.tokens, fixed));
        }
        let (_, empty) = budget.render("");
        let fixed = providers.count_tokens(ask.provider, model, system, &empty);
        let (total, fixed) = tokio::join!(total, fixed);
        let fixed = fixed?.tokens;
        counter.fixed.insert(key.clone(), fixed);
        Ok::<_, ProviderError>((total?.tokens, fixed))
    };
    let reason = match tokio::time::timeout(counter.timeout, counts).await {
        Ok(Ok((total, fixed))) => {
            let tokens = budget.counted_by_provider(total, fixed);
            let size_issues = budget.issues_for(&tokens, ask.sent);
            report.set_tokens(tokens, size_issues);
            return;
        }
        Ok(Err(error)) => {
            tracing::warn!(provider = %ask.provider, model, code = error.code(), %error,
                "no exact count; keeping the estimate");
            error.code()
        }
        Err(_) => {
            tracing::warn!(provider = %ask.provider, model, timeout = ?counter.timeout,
                "no exact count in time; keeping the estimate");
            "timed_out"
        }
    };
    let title = budget.model().provider.title();
    report.add_issue(issue::provider_count_failed(title, reason));
}

/// What a fixed count is for: the contract, its version, the tier and the
/// provider's model.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FixedKey {
    contract: String,
    version: String,
    tier: String,
    provider: Provider,
    model: String,
}

/// Provider counts of the request with an empty input (the system prompt,
/// the template and the message framing), asked once per [`FixedKey`].
/// Only successful counts are kept, so a failure is asked again next time.
#[derive(Debug, Default)]
struct FixedCounts {
    counts: Mutex<HashMap<FixedKey, u64>>,
}

impl FixedCounts {
    fn get(&self, key: &FixedKey) -> Option<u64> {
        self.lock().get(key).copied()
    }

    fn insert(&self, key: FixedKey, tokens: u64) {
        self.lock().insert(key, tokens);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<FixedKey, u64>> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

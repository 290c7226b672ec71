//! `POST /v1/check`: the server's final check, on JSON text or a
//! multipart file upload.

use super::submission::Submission;
use crate::state::FixedKey;
use crate::{AppError, AppState, Provider, ProviderError, Providers, COUNTING};
use axum::extract::{Request, State};
use axum::Json;
use prompt_preflight::ingest::Sent;
use prompt_preflight::messages::issue;
use prompt_preflight::{Budget, Checked, Code, Contract, Input, Payload, Report};
use serde::Serialize;

/// The response: the report, and the payload for the model when it passed.
#[derive(Serialize)]
pub(super) struct CheckResponse {
    report: Report,
    payload: Option<Payload>,
}

pub(super) async fn check(
    State(state): State<AppState>,
    request: Request,
) -> Result<Json<CheckResponse>, AppError> {
    let submission = Submission::read(&state, request, false).await?;
    let contract = state.contract(&submission.contract)?;
    let tier = submission.tier;
    let content = submission.content;
    let provider = exact_provider(&state, &contract);
    let blocking_contract = contract.clone();
    // Tokenizing and parsing are CPU-bound: keep them off the async workers.
    let checked = tokio::task::spawn_blocking(move || {
        let contract = blocking_contract;
        let checked = prompt_preflight::check(&contract, tier.as_deref(), &content.input())?;
        let exact = match provider {
            Some(provider) => exact_ask(provider, &contract, &checked, &content.input())?,
            None => None,
        };
        let payload = match exact {
            Some(_) => None,
            None => checked.payload(&contract),
        };
        Ok::<_, AppError>((checked.report, payload, exact))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;
    let (mut report, mut payload, exact) = checked;
    if let (Some(ask), Some(providers)) = (exact, &state.providers) {
        count_exactly(&state, providers, &contract, &ask, &mut report).await;
        // An exact count can move the input over the limit, or back under.
        payload = report.ok.then(|| Payload::build(&contract, &ask.content));
    }
    Ok(Json(CheckResponse { report, payload }))
}

/// An estimated model's request, to be counted by its provider.
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
fn exact_provider(state: &AppState, contract: &Contract) -> Option<Provider> {
    let providers = state.providers.as_ref()?;
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
) -> Result<Option<ExactAsk>, AppError> {
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
/// or past the state's time budget, the estimate stays and an info issue
/// says why.
async fn count_exactly(
    state: &AppState,
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
        if let Some(fixed) = state.fixed_counts.get(&key) {
            return Ok((total.await?.tokens, fixed));
        }
        let (_, empty) = budget.render("");
        let fixed = providers.count_tokens(ask.provider, model, system, &empty);
        let (total, fixed) = tokio::join!(total, fixed);
        let fixed = fixed?.tokens;
        state.fixed_counts.insert(key.clone(), fixed);
        Ok::<_, ProviderError>((total?.tokens, fixed))
    };
    let reason = match tokio::time::timeout(state.provider_timeout, counts).await {
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
            tracing::warn!(provider = %ask.provider, model, timeout = ?state.provider_timeout,
                "no exact count in time; keeping the estimate");
            "timed_out"
        }
    };
    let title = budget.model().provider.title();
    report.add_issue(issue::provider_count_failed(title, reason));
}

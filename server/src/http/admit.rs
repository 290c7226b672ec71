//! What keyed routes share: the tier a caller runs on, admission against
//! their quota (reserving the plan's worst case), the usage record of a
//! request that did not run, and the `x-ratelimit-*` headers.

use super::request_id::RequestId;
use crate::service::check::{Content, FinalCheck};
use crate::service::quota::{call_amounts, Standing};
use crate::service::record::{base_record, Metered};
use crate::store::{Amounts, Caller, UsageRecord};
use crate::{AppError, AppState};
use axum::http::{HeaderMap, HeaderValue};
use prompt_preflight::{Contract, Report};
use std::sync::Arc;
use std::time::Instant;

/// The tier a caller's request runs on: their own. Naming another is
/// refused, not ignored, except for an operator key, which may try every
/// plan; anonymous visitors run on the tier they name (or the contract's
/// default).
pub(super) fn tier_for(
    caller: Option<&Caller>,
    asked: Option<String>,
) -> Result<Option<String>, AppError> {
    match (caller, asked) {
        (Some(c), Some(asked)) if asked != c.tier && !c.admin => Err(AppError::TierNotAllowed {
            user: c.tier.clone(),
            asked,
        }),
        (Some(c), Some(asked)) if c.admin => Ok(Some(asked)),
        (Some(c), _) => Ok(Some(c.tier.clone())),
        (None, asked) => Ok(asked),
    }
}

/// The text to keep in the record when the operator records content.
pub(super) fn content_to_record(state: &AppState, content: &Content) -> Option<String> {
    let keep = state.accounts.as_ref().is_some_and(|a| a.record_content);
    match content {
        Content::Text(text) if keep => Some(text.clone()),
        Content::File { bytes, .. } if keep => Some(String::from_utf8_lossy(bytes).into_owned()),
        _ => None,
    }
}

/// The most a checked request can use: its plan's requests, tokens and
/// cost, or one request's.
pub(super) fn wanted(checked: &FinalCheck, contract: &Contract) -> Amounts {
    match &checked.prepared {
        Some(p) => Amounts {
            requests: p.plan.requests as i64,
            tokens: p.plan.tokens as i64,
            spend: (p.plan.cost_usd_max * 1e6).round() as i64,
        },
        None => {
            let t = &checked.report.tokens;
            call_amounts(
                &contract.model.name,
                (t.input + t.overhead, t.output_reserved),
            )
        }
    }
}

/// Admits a checked request of `caller` against their quota, or refuses it
/// with what was hit (and records the refusal).
#[allow(clippy::too_many_arguments)]
pub(super) async fn admit(
    state: &AppState,
    caller: &Caller,
    contract: &Contract,
    checked: &FinalCheck,
    route: &str,
    id: &RequestId,
    content: Option<String>,
    started: Instant,
) -> Result<Metered, AppError> {
    let accounts = state.accounts.as_ref().ok_or(AppError::NoAccounts)?;
    let tier_name = checked.report.tokens.tier.clone();
    let (_, tier) = contract.tier(Some(&tier_name))?;
    let wanted = wanted(checked, contract);
    let mut record = base_record(
        &id.0,
        Some(caller),
        &tier_name,
        route,
        &checked.report,
        content,
    );
    match accounts
        .quotas
        .admit(caller, contract, tier, wanted, &id.0)
        .await?
    {
        Ok(ticket) => Ok(Metered {
            ticket: Arc::new(ticket),
            record,
            started,
        }),
        Err(refusal) => {
            record.outcome = "quota_exceeded".into();
            record.latency_ms = started.elapsed().as_millis() as i64;
            state.metrics.record(&record);
            accounts.store.record(&record).await?;
            tracing::info!(limit = refusal.metric.as_str(), user = %caller.user_name, "quota refused");
            Err(AppError::QuotaExceeded(refusal))
        }
    }
}

/// Records a request that did not reach admission (a refused check, or a
/// check-only route).
pub(super) async fn record_unrun(
    state: &AppState,
    caller: Option<&Caller>,
    report: &Report,
    route: &str,
    id: &RequestId,
    content: Option<String>,
    started: Instant,
) {
    let mut record = base_record(&id.0, caller, &report.tokens.tier, route, report, content);
    record.latency_ms = started.elapsed().as_millis() as i64;
    write_record(state, &record).await;
}

/// Counts a record in the metrics and stores it; a store that fails is
/// logged, not the request's failure (it was answered).
pub(super) async fn write_record(state: &AppState, record: &UsageRecord) {
    state.metrics.record(record);
    let Some(accounts) = &state.accounts else {
        return;
    };
    if let Err(e) = accounts.store.record(record).await {
        tracing::error!(error = %e, "the usage record was not written");
    }
}

/// The caller's counters now, for the headers of an answer that did not
/// reserve.
pub(super) async fn standing(
    state: &AppState,
    caller: &Caller,
    contract: &Contract,
    tier: &str,
) -> Option<Standing> {
    let accounts = state.accounts.as_ref()?;
    let (_, tier) = contract.tier(Some(tier)).ok()?;
    accounts.quotas.standing(caller, contract, tier).await.ok()
}

/// `x-ratelimit-limit-*` and `x-ratelimit-remaining-*` for the caller's
/// own quota: requests this minute, and tokens this minute (or this month
/// when the tier has no per-minute cap).
pub(super) fn ratelimit_headers(headers: &mut HeaderMap, standing: &Standing) {
    let (requests, tokens) = standing.limits();
    let pairs = [
        ("x-ratelimit-limit-requests", requests),
        (
            "x-ratelimit-remaining-requests",
            standing.remaining_requests(),
        ),
        ("x-ratelimit-limit-tokens", tokens),
        ("x-ratelimit-remaining-tokens", standing.remaining_tokens()),
    ];
    for (name, value) in pairs {
        if let Some(v) = value {
            headers.insert(name, HeaderValue::from(v));
        }
    }
    let reset_ms = (standing.windows.minute_end - crate::store::now_ms()).max(0);
    headers.insert(
        "x-ratelimit-reset-requests",
        HeaderValue::from_str(&format!("{:.3}s", reset_ms as f64 / 1000.0))
            .unwrap_or(HeaderValue::from_static("60s")),
    );
}

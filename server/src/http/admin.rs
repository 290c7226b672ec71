//! `GET /v1/admin/providers`: the operator's view of the providers, with
//! what users never see: which providers have a key (never the key), each
//! circuit breaker's state, and the last failures with their status, the
//! provider's code and words, and latency.
//!
//! `GET /v1/admin/usage?days=N`: usage from the records (per user, tier
//! and day, outcomes per day, the top issue codes) for the last N days
//! (30 by default).
//!
//! `GET /v1/admin/queue?minutes=N`: the queue now and over the last N
//! minutes (60 by default): its depth step by step, how long jobs waited
//! for a worker, and how many finished per second.
//!
//! All need an admin key (`preflight keys create --admin`).

use super::auth::Operator;
use super::extract::Params;
use crate::service::backlog::QueueView;
use crate::service::health::{BreakerView, FailureRecord};
use crate::service::usage::UsageView;
use crate::store::now_ms;
use crate::{AppError, AppState, Provider};
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde::Serialize;

#[derive(Serialize)]
pub(super) struct ProvidersView {
    providers: Vec<ProviderView>,
    breakers: Vec<BreakerView>,
    recent_failures: Vec<FailureRecord>,
}

#[derive(Serialize)]
struct ProviderView {
    provider: &'static str,
    /// Whether `/v1/run` calls it (else its contracts run dry).
    live: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    limits: Option<crate::config::ProviderLimits>,
}

pub(super) async fn providers(
    _operator: Operator,
    State(state): State<AppState>,
) -> Json<ProvidersView> {
    let runner = &state.runner;
    Json(ProvidersView {
        providers: Provider::ALL
            .into_iter()
            .map(|p| ProviderView {
                provider: p.as_str(),
                live: runner.chat_for(p).is_live(),
                limits: runner.limits.get(&p).map(|l| l.limits()),
            })
            .collect(),
        breakers: runner.health.breakers(),
        recent_failures: runner.health.recent_failures(),
    })
}

#[derive(Deserialize)]
pub(super) struct UsageQuery {
    /// How many days back (1 to 366).
    days: Option<u32>,
}

pub(super) async fn usage(
    _operator: Operator,
    State(state): State<AppState>,
    Params(query): Params<UsageQuery>,
) -> Result<Json<UsageView>, AppError> {
    let accounts = state.accounts.as_ref().ok_or(AppError::NoAccounts)?;
    let days = i64::from(query.days.unwrap_or(30).clamp(1, 366));
    let since = now_ms() - days * 86_400_000;
    Ok(Json(UsageView::since(&accounts.store, since).await?))
}

#[derive(Deserialize)]
pub(super) struct QueueQuery {
    /// How many minutes back (1 to 10,080, a week).
    minutes: Option<u32>,
}

pub(super) async fn queue(
    _operator: Operator,
    State(state): State<AppState>,
    Params(query): Params<QueueQuery>,
) -> Result<Json<QueueView>, AppError> {
    let accounts = state.accounts.as_ref().ok_or(AppError::NoAccounts)?;
    let minutes = i64::from(query.minutes.unwrap_or(60).clamp(1, 10_080));
    Ok(Json(
        QueueView::over(&accounts.store, minutes * 60_000).await?,
    ))
}

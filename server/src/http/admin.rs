//! `GET /v1/admin/providers`: the operator's view of the providers, with
//! what users never see: which providers have a key (never the key), each
//! circuit breaker's state, and the last failures with their status, the
//! provider's code and words, and latency.
//!
//! It is open for now: the admin key that guards it comes with users and
//! keys (the storage issue).

use crate::service::health::{BreakerView, FailureRecord};
use crate::{AppState, Provider};
use axum::extract::State;
use axum::Json;
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

pub(super) async fn providers(State(state): State<AppState>) -> Json<ProvidersView> {
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

//! `GET /v1/me?contract=ID`: who the key belongs to, and their allowance
//! on a contract: each counter with its cap, what is left, when it resets,
//! and the warnings from 80%. The web app shows it beside the send button.
//!
//! `GET /v1/demo`: the local demo user's key, for the web app, only when
//! the server was started with `--demo` and only to this machine.

use super::auth::Authed;
use super::extract::Params;
use crate::store::Caller;
use crate::{AppError, AppState};
use axum::extract::{ConnectInfo, State};
use axum::http::request::Parts;
use axum::Json;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

#[derive(Deserialize)]
pub(super) struct MeQuery {
    contract: Option<String>,
}

#[derive(Serialize)]
pub(super) struct Me {
    user: String,
    tier: String,
    admin: bool,
    key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    quota: Option<QuotaState>,
}

#[derive(Serialize)]
struct QuotaState {
    contract: String,
    counters: Vec<CounterView>,
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct CounterView {
    metric: &'static str,
    used: i64,
    reserved: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    cap: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remaining: Option<i64>,
    resets_ms: i64,
}

pub(super) async fn me(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Params(query): Params<MeQuery>,
) -> Result<Json<Me>, AppError> {
    let quota = match query.contract {
        Some(id) => Some(quota_of(&state, &caller, &id).await?),
        None => None,
    };
    Ok(Json(Me {
        user: caller.user_name,
        tier: caller.tier,
        admin: caller.admin,
        key: caller.key_id,
        quota,
    }))
}

async fn quota_of(state: &AppState, caller: &Caller, id: &str) -> Result<QuotaState, AppError> {
    let accounts = state.accounts.as_ref().ok_or(AppError::NoAccounts)?;
    let contract = super::version::resolve(state, Some(caller), id)
        .await?
        .contract;
    let (_, tier) = contract.tier(Some(&caller.tier))?;
    let standing = accounts.quotas.standing(caller, &contract, tier).await?;
    let w = standing.windows;
    Ok(QuotaState {
        contract: contract.id.clone(),
        counters: standing
            .counters
            .iter()
            .map(|c| CounterView {
                metric: c.metric.as_str(),
                used: c.used,
                reserved: c.reserved,
                cap: c.cap,
                remaining: c.remaining(),
                resets_ms: if c.metric.monthly() {
                    w.month_end
                } else {
                    w.minute_end
                },
            })
            .collect(),
        warnings: standing.warnings(),
    })
}

#[derive(Serialize)]
pub(super) struct Demo {
    key: String,
    note: &'static str,
}

pub(super) async fn demo(
    State(state): State<AppState>,
    parts: Parts,
) -> Result<Json<Demo>, AppError> {
    let key = state.accounts.as_ref().and_then(|a| a.demo_key.clone());
    let local = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|ConnectInfo(peer)| peer.ip().is_loopback());
    match key {
        Some(key) if local => Ok(Json(Demo {
            key,
            note: "The local demo user's key (preflight serve --demo); never served to another machine.",
        })),
        _ => Err(AppError::NotFound("/v1/demo".into())),
    }
}

//! `GET /v1/contracts` and `GET /v1/contracts/{id}`.

use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::Json;
use prompt_preflight::{Contract, Tier};
use serde::Serialize;
use std::collections::BTreeMap;

/// A contract as listed: enough to pick one and a tier.
#[derive(Serialize)]
pub(super) struct Summary {
    id: String,
    version: String,
    description: String,
    default_tier: String,
    tiers: BTreeMap<String, Tier>,
}

pub(super) async fn list(State(state): State<AppState>) -> Json<Vec<Summary>> {
    Json(
        state
            .registry
            .iter()
            .map(|c| Summary {
                id: c.id.clone(),
                version: c.version.clone(),
                description: c.description.clone(),
                default_tier: c.tier(None).map(|(n, _)| n.to_owned()).unwrap_or_default(),
                tiers: c.tiers.clone(),
            })
            .collect(),
    )
}

/// The whole contract as JSON, which the browser hands to the Wasm core.
pub(super) async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Contract>, AppError> {
    let contract = state.contract(&id)?;
    Ok(Json(Contract::clone(&contract)))
}

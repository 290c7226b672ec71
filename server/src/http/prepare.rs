//! `POST /v1/prepare`: the server prepares what it receives (usually the
//! payload the browser already prepared) again, as its final check, and
//! refuses it with 422 when its plan cannot run, whatever the client
//! claimed. Open to anonymous visitors; with a key it runs on the key's
//! tier.

use super::admit::tier_for;
use super::auth::MaybeAuthed;
use super::extract::PrepareSubmission;
use crate::{AppError, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use prompt_preflight::Prepared;

pub(super) async fn prepare(
    State(state): State<AppState>,
    MaybeAuthed(caller): MaybeAuthed,
    PrepareSubmission(mut submission): PrepareSubmission,
) -> Result<(StatusCode, Json<Prepared>), AppError> {
    let contract = state.contract(&submission.contract)?;
    submission.tier = tier_for(caller.as_ref(), submission.tier.take())?;
    // Parsing, tokenizing and chunking are CPU-bound.
    let prepared = tokio::task::spawn_blocking(move || {
        prompt_preflight::prepare(
            &contract,
            submission.tier.as_deref(),
            &submission.content.input(),
            &submission.options,
        )
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;
    let status = if prepared.ok {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    tracing::info!(
        ok = prepared.ok,
        plan = ?prepared.plan.kind,
        parts = prepared.parts.len(),
        tokens_before = prepared.manifest.tokens_before,
        tokens_after = prepared.manifest.tokens_after,
        "prepared"
    );
    Ok((status, Json(prepared)))
}

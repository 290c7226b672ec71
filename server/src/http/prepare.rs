//! `POST /v1/prepare`: the server prepares what it receives (usually the
//! payload the browser already prepared) again, as its final check, and
//! refuses it with 422 when its plan cannot run, whatever the client
//! claimed. Open to anonymous visitors; with a key it runs on the key's
//! tier. Each request is recorded (its input's shape and issue codes; no
//! tokens are used).

use super::admit::{content_to_record, tier_for, write_record};
use super::auth::MaybeAuthed;
use super::extract::PrepareSubmission;
use super::request_id::RequestId;
use crate::service::record::prepared_record;
use crate::{AppError, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use std::time::Instant;

pub(super) async fn prepare(
    State(state): State<AppState>,
    Extension(id): Extension<RequestId>,
    MaybeAuthed(caller): MaybeAuthed,
    PrepareSubmission(mut submission): PrepareSubmission,
) -> Result<Response, AppError> {
    let started = Instant::now();
    let resolved = super::version::resolve(&state, caller.as_ref(), &submission.contract).await?;
    let contract = resolved.contract.clone();
    submission.tier = tier_for(caller.as_ref(), submission.tier.take())?;
    let content = content_to_record(&state, &submission.content);
    // Parsing, tokenizing and chunking are CPU-bound.
    let (prepared, mut record) = tokio::task::spawn_blocking(move || {
        let input = submission.content.input();
        let prepared = prompt_preflight::prepare(
            &contract,
            submission.tier.as_deref(),
            &input,
            &submission.options,
        )?;
        let record = prepared_record(
            &id.0,
            caller.as_ref(),
            &contract,
            &input,
            &prepared,
            content,
        );
        Ok::<_, prompt_preflight::Error>((prepared, record))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;
    record.latency_ms = started.elapsed().as_millis() as i64;
    write_record(&state, &record).await;
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
    let mut response = (status, Json(prepared)).into_response();
    super::version::headers(response.headers_mut(), &resolved);
    Ok(response)
}

//! `POST /v1/check`: the server's final check (`service::check`), on JSON
//! text or a multipart file upload. Open to anonymous visitors (the demo);
//! with a key it runs on the key's tier. Each check is recorded.

use super::admit::{content_to_record, record_unrun, tier_for};
use super::auth::MaybeAuthed;
use super::extract::Submission;
use super::request_id::RequestId;
use super::version::{self, VersionView};
use crate::service::check::final_check;
use crate::{AppError, AppState};
use axum::extract::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use prompt_preflight::{Payload, Report};
use serde::Serialize;
use std::time::Instant;

/// The response: the report, the payload for the model when it passed,
/// and the contract version it was checked against.
#[derive(Serialize)]
pub(super) struct CheckResponse {
    report: Report,
    payload: Option<Payload>,
    contract: VersionView,
}

pub(super) async fn check(
    State(state): State<AppState>,
    Extension(id): Extension<RequestId>,
    MaybeAuthed(caller): MaybeAuthed,
    submission: Submission,
) -> Result<Response, AppError> {
    let started = Instant::now();
    let resolved = version::resolve(&state, caller.as_ref(), &submission.contract).await?;
    let contract = resolved.contract.clone();
    let tier = tier_for(caller.as_ref(), submission.tier)?;
    let content = content_to_record(&state, &submission.content);
    let checked = final_check(&state.counter, contract, tier, submission.content, false).await?;
    record_unrun(
        &state,
        caller.as_ref(),
        &checked.report,
        "check",
        &id,
        content,
        started,
    )
    .await;
    let mut response = Json(CheckResponse {
        report: checked.report,
        payload: checked.payload,
        contract: VersionView::of(&resolved),
    })
    .into_response();
    version::headers(response.headers_mut(), &resolved);
    Ok(response)
}

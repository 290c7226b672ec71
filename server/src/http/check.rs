//! `POST /v1/check`: the server's final check (`service::check`), on JSON
//! text or a multipart file upload.

use super::extract::Submission;
use crate::service::check::final_check;
use crate::{AppError, AppState};
use axum::extract::State;
use axum::Json;
use prompt_preflight::{Payload, Report};
use serde::Serialize;

/// The response: the report, and the payload for the model when it passed.
#[derive(Serialize)]
pub(super) struct CheckResponse {
    report: Report,
    payload: Option<Payload>,
}

pub(super) async fn check(
    State(state): State<AppState>,
    submission: Submission,
) -> Result<Json<CheckResponse>, AppError> {
    let contract = state.contract(&submission.contract)?;
    let checked = final_check(
        &state.counter,
        contract,
        submission.tier,
        submission.content,
        false,
    )
    .await?;
    Ok(Json(CheckResponse {
        report: checked.report,
        payload: checked.payload,
    }))
}

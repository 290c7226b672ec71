//! Staged rollouts, for operators (an admin key):
//!
//! - `POST /v1/admin/rollouts` `{"contract", "candidate", "percent", "guard"?}`
//!   starts one;
//! - `GET /v1/admin/rollouts` lists them;
//! - `GET /v1/admin/rollouts/{id}` compares control and candidate: counts,
//!   rates with 95% intervals, and a plain significance statement;
//! - `POST /v1/admin/rollouts/{id}/raise` `{"percent"}`, `/promote` and
//!   `/rollback` move it on.
//!
//! And for users: `POST /v1/feedback` `{"request_id", "rating": "up" |
//! "down", "comment"?}` rates one of their answers.

use super::auth::{Authed, Operator};
use super::extract::JsonBody;
use crate::service::rollout::{self, Comparison};
use crate::store::{Feedback, Rollout, RolloutState};
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

fn store(state: &AppState) -> Result<&crate::store::Store, AppError> {
    Ok(&state.accounts.as_ref().ok_or(AppError::NoAccounts)?.store)
}

/// A new rollout.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StartBody {
    contract: String,
    candidate: String,
    percent: f64,
    #[serde(default)]
    guard: bool,
}

pub(super) async fn start(
    _operator: Operator,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<StartBody>,
) -> Result<(StatusCode, Json<Comparison>), AppError> {
    let store = store(&state)?;
    let registry = state.registry();
    let started = rollout::start(
        &registry,
        store,
        &body.contract,
        &body.candidate,
        body.percent,
        body.guard,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(rollout::compare(store, started).await?),
    ))
}

#[derive(Serialize)]
pub(super) struct Listing {
    rollouts: Vec<Rollout>,
}

pub(super) async fn list(
    _operator: Operator,
    State(state): State<AppState>,
) -> Result<Json<Listing>, AppError> {
    Ok(Json(Listing {
        rollouts: store(&state)?.rollouts(None).await?,
    }))
}

pub(super) async fn show(
    _operator: Operator,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Comparison>, AppError> {
    let store = store(&state)?;
    let found = rollout::get(store, &id).await?;
    Ok(Json(rollout::compare(store, found).await?))
}

/// A raise.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RaiseBody {
    percent: f64,
}

pub(super) async fn raise(
    _operator: Operator,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RaiseBody>,
) -> Result<Json<Comparison>, AppError> {
    let store = store(&state)?;
    let raised = rollout::raise(store, &id, body.percent).await?;
    Ok(Json(rollout::compare(store, raised).await?))
}

/// Why an operator ends a rollout (optional).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EndBody {
    #[serde(default)]
    reason: Option<String>,
}

/// A rollout as it ended, and how many users moved back.
#[derive(Serialize)]
pub(super) struct Ended {
    #[serde(flatten)]
    comparison: Comparison,
    moved_back: u64,
}

async fn end(
    state: &AppState,
    id: &str,
    to: RolloutState,
    reason: Option<String>,
    default_reason: &str,
) -> Result<Json<Ended>, AppError> {
    let store = store(state)?;
    let reason = reason
        .filter(|r| !r.trim().is_empty())
        .unwrap_or_else(|| default_reason.to_owned());
    if reason.chars().count() > 500 {
        return Err(AppError::BadField {
            field: "reason".into(),
            message: "the reason must be at most 500 characters".into(),
        });
    }
    let (ended, moved_back) = rollout::end(store, id, to, &reason).await?;
    Ok(Json(Ended {
        comparison: rollout::compare(store, ended).await?,
        moved_back,
    }))
}

pub(super) async fn promote(
    _operator: Operator,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<EndBody>,
) -> Result<Json<Ended>, AppError> {
    let reason = body.reason;
    end(
        &state,
        &id,
        RolloutState::Promoted,
        reason,
        "Promoted by an operator.",
    )
    .await
}

pub(super) async fn rollback(
    _operator: Operator,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<EndBody>,
) -> Result<Json<Ended>, AppError> {
    let reason = body.reason;
    end(
        &state,
        &id,
        RolloutState::RolledBack,
        reason,
        "Rolled back by an operator.",
    )
    .await
}

/// A rating of one answer.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FeedbackBody {
    request_id: String,
    rating: Rating,
    #[serde(default)]
    comment: Option<String>,
}

#[derive(Deserialize, Serialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum Rating {
    Up,
    Down,
}

/// The rating as recorded.
#[derive(Serialize)]
pub(super) struct Rated {
    request_id: String,
    rating: Rating,
    contract: String,
    version: String,
}

/// The longest comment kept with a rating.
const MAX_COMMENT_CHARS: usize = 2000;

pub(super) async fn feedback(
    Authed(caller): Authed,
    State(state): State<AppState>,
    JsonBody(body): JsonBody<FeedbackBody>,
) -> Result<Json<Rated>, AppError> {
    let store = store(&state)?;
    if body
        .comment
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS)
    {
        return Err(AppError::BadField {
            field: "comment".into(),
            message: format!("the comment must be at most {MAX_COMMENT_CHARS} characters"),
        });
    }
    let request = store.answered_request(&body.request_id).await?;
    let Some((Some(user), contract, version, outcome)) = request else {
        return Err(AppError::RequestNotFound(body.request_id));
    };
    // Someone else's request looks the same as none at all.
    if user != caller.user_id || outcome != "answered" {
        return Err(AppError::RequestNotFound(body.request_id));
    }
    store
        .record_feedback(&Feedback {
            request_id: body.request_id.clone(),
            user_id: user,
            contract_id: contract.clone(),
            contract_version: version.clone(),
            rating: match body.rating {
                Rating::Up => 1,
                Rating::Down => -1,
            },
            comment: body.comment.filter(|c| !c.trim().is_empty()),
        })
        .await?;
    Ok(Json(Rated {
        request_id: body.request_id,
        rating: body.rating,
        contract,
        version,
    }))
}

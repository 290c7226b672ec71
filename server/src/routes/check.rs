//! `POST /v1/check`: the server's final check, on JSON text or a
//! multipart file upload.

use super::MAX_BODY_BYTES;
use crate::{AppError, AppState};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::Json;
use prompt_preflight::{Input, Payload, Report};
use serde::{Deserialize, Serialize};

/// A JSON check request.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TextRequest {
    contract: String,
    #[serde(default)]
    tier: Option<String>,
    text: String,
}

/// What was submitted, from either body format.
struct Submission {
    contract: String,
    tier: Option<String>,
    content: Content,
}

enum Content {
    Text(String),
    File {
        name: Option<String>,
        bytes: Vec<u8>,
    },
}

/// The response: the report, and the payload for the model when it passed.
#[derive(Serialize)]
pub(super) struct CheckResponse {
    report: Report,
    payload: Option<Payload>,
}

fn rejected(status: StatusCode, text: String) -> AppError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge(MAX_BODY_BYTES)
    } else {
        AppError::BadRequest(text)
    }
}

pub(super) async fn check(
    State(state): State<AppState>,
    request: Request,
) -> Result<Json<CheckResponse>, AppError> {
    let multipart = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    let submission = if multipart {
        let form = Multipart::from_request(request, &state)
            .await
            .map_err(|e| rejected(e.status(), e.body_text()))?;
        read_form(form).await?
    } else {
        let Json(body) = Json::<TextRequest>::from_request(request, &state)
            .await
            .map_err(|e| rejected(e.status(), e.body_text()))?;
        Submission {
            contract: body.contract,
            tier: body.tier,
            content: Content::Text(body.text),
        }
    };
    let contract = state
        .registry
        .get(&submission.contract)
        .cloned()
        .ok_or(AppError::UnknownContract(submission.contract))?;
    let tier = submission.tier;
    let content = submission.content;
    // Tokenizing and parsing are CPU-bound: keep them off the async workers.
    let response = tokio::task::spawn_blocking(move || {
        let input = match &content {
            Content::Text(text) => Input::Text(text),
            Content::File { name, bytes } => Input::File {
                name: name.as_deref(),
                bytes,
            },
        };
        let checked = prompt_preflight::check(&contract, tier.as_deref(), &input)?;
        Ok::<_, AppError>(CheckResponse {
            payload: checked.payload(&contract),
            report: checked.report,
        })
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;
    Ok(Json(response))
}

/// Reads the form fields `contract`, `tier` and `file` (or `text`).
async fn read_form(mut form: Multipart) -> Result<Submission, AppError> {
    let (mut contract, mut tier, mut content) = (None, None, None);
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| rejected(e.status(), e.body_text()))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let bytes = field
            .bytes()
            .await
            .map_err(|e| rejected(e.status(), e.body_text()))?;
        let text = || String::from_utf8_lossy(&bytes).into_owned();
        match name.as_str() {
            "contract" => contract = Some(text()),
            "tier" => tier = Some(text()).filter(|t| !t.is_empty()),
            "file" => {
                content = Some(Content::File {
                    name: file_name,
                    bytes: bytes.to_vec(),
                })
            }
            "text" => content = Some(Content::Text(text())),
            other => {
                return Err(AppError::BadRequest(format!(
                    "unexpected form field `{other}`; send `contract`, `tier` and `file`"
                )))
            }
        }
    }
    Ok(Submission {
        contract: contract
            .ok_or_else(|| AppError::BadRequest("the form has no `contract` field".into()))?,
        tier,
        content: content
            .ok_or_else(|| AppError::BadRequest("the form has no `file` field".into()))?,
    })
}

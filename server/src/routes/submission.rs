//! Reading what was submitted to `/v1/check` and `/v1/prepare`: a JSON
//! body with `text`, or a multipart form with a `file` (or `text`).

use super::MAX_BODY_BYTES;
use crate::{AppError, AppState};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::Json;
use prompt_preflight::{Input, Mode, PrepareOptions};
use serde::Deserialize;

/// A JSON request.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TextRequest {
    contract: String,
    #[serde(default)]
    tier: Option<String>,
    text: String,
    #[serde(default)]
    mode: Option<Mode>,
    #[serde(default)]
    question: Option<String>,
    #[serde(default)]
    overlap: u64,
}

/// What was submitted, from either body format.
pub(super) struct Submission {
    pub contract: String,
    pub tier: Option<String>,
    pub content: Content,
    /// `mode`, `question` and `overlap`, for `/v1/prepare`.
    pub options: PrepareOptions,
}

/// The input itself.
pub(super) enum Content {
    Text(String),
    File {
        name: Option<String>,
        bytes: Vec<u8>,
    },
}

impl Content {
    /// The core's view of it.
    pub fn input(&self) -> Input<'_> {
        match self {
            Content::Text(text) => Input::Text(text),
            Content::File { name, bytes } => Input::File {
                name: name.as_deref(),
                bytes,
            },
        }
    }
}

fn rejected(status: StatusCode, text: String) -> AppError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge(MAX_BODY_BYTES)
    } else {
        AppError::BadRequest(text)
    }
}

impl Submission {
    /// Reads the request; `with_options` accepts `mode`, `question` and
    /// `overlap`.
    pub async fn read(
        state: &AppState,
        request: Request,
        with_options: bool,
    ) -> Result<Submission, AppError> {
        let multipart = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("multipart/form-data"));
        let submission = if multipart {
            let form = Multipart::from_request(request, state)
                .await
                .map_err(|e| rejected(e.status(), e.body_text()))?;
            read_form(form).await?
        } else {
            let Json(body) = Json::<TextRequest>::from_request(request, state)
                .await
                .map_err(|e| rejected(e.status(), e.body_text()))?;
            Submission {
                contract: body.contract,
                tier: body.tier,
                content: Content::Text(body.text),
                options: PrepareOptions {
                    mode: body.mode.unwrap_or_default(),
                    question: body.question,
                    overlap: body.overlap,
                },
            }
        };
        if !with_options && submission.options != PrepareOptions::default() {
            return Err(AppError::BadRequest(
                "`mode`, `question` and `overlap` belong to /v1/prepare".into(),
            ));
        }
        Ok(submission)
    }
}

/// Reads the form fields `contract`, `tier`, `file` (or `text`), `mode`,
/// `question` and `overlap`.
async fn read_form(mut form: Multipart) -> Result<Submission, AppError> {
    let (mut contract, mut tier, mut content) = (None, None, None);
    let mut options = PrepareOptions::default();
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
            "mode" => {
                options.mode =
                    serde_json::from_value(serde_json::Value::String(text())).map_err(|_| {
                        AppError::BadRequest(format!(
                            "`{}` is not a mode; use trim, relevant or split",
                            text()
                        ))
                    })?
            }
            "question" => options.question = Some(text()).filter(|q| !q.is_empty()),
            "overlap" => {
                options.overlap = text().trim().parse().map_err(|_| {
                    AppError::BadRequest(format!(
                        "`overlap` must be a number of tokens, not `{}`",
                        text()
                    ))
                })?
            }
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
        options,
    })
}

//! The extractors that read what was submitted to `/v1/check`,
//! `/v1/prepare` and `/v1/run`: a JSON body with `text`, or a multipart
//! form with a `file` (or `text`). [`Submission`] refuses the prepare
//! options; [`PrepareSubmission`] takes them. A rejection is the
//! documented error body.

use super::MAX_BODY_BYTES;
pub(super) use crate::service::check::Content;
use crate::{AppError, AppState};
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use prompt_preflight::{Mode, PrepareOptions};
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

fn rejected(status: StatusCode, text: String) -> AppError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge(MAX_BODY_BYTES)
    } else {
        AppError::BadRequest(text)
    }
}

/// A submission with `mode`, `question` and `overlap`, for `/v1/prepare`.
pub(super) struct PrepareSubmission(pub Submission);

impl FromRequest<AppState> for Submission {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, AppError> {
        Submission::read(state, request, false).await
    }
}

impl FromRequest<AppState> for PrepareSubmission {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, AppError> {
        Submission::read(state, request, true)
            .await
            .map(PrepareSubmission)
    }
}

impl Submission {
    /// Reads the request; `with_options` accepts `mode`, `question` and
    /// `overlap`.
    async fn read(
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
            let is_json = request
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|ct| {
                    let ct = ct.split(';').next().unwrap_or("").trim();
                    ct == "application/json" || ct.ends_with("+json")
                });
            if !is_json {
                return Err(AppError::BadRequest(
                    "send JSON with the header `Content-Type: application/json`, or a \
                     multipart form with a `file` field"
                        .into(),
                ));
            }
            let bytes = Bytes::from_request(request, state)
                .await
                .map_err(|e| rejected(e.status(), e.body_text()))?;
            let body = parse_json(&bytes)?;
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

/// The fields a JSON request may have, for error messages.
const FIELDS: &str = "`contract`, `tier` and `text` (and, for /v1/prepare, `mode`, `question` \
                      and `overlap`)";

/// Parses a JSON body, with errors that name the field and say what is
/// expected (never the JSON library's own wording).
fn parse_json(bytes: &[u8]) -> Result<TextRequest, AppError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        AppError::BadRequest(format!(
            "the body is not UTF-8 (byte {} is not valid UTF-8): JSON must be UTF-8; to send a \
             file in another encoding, upload it as a multipart form with a `file` field",
            e.valid_up_to()
        ))
    })?;
    let json = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(json).map_err(|e| {
        let path = e.path().to_string();
        let error = e.into_inner();
        json_error(&path, &error)
    })
}

fn json_error(path: &str, error: &serde_json::Error) -> AppError {
    use serde_json::error::Category;
    let (line, column) = (error.line(), error.column());
    if matches!(
        error.classify(),
        Category::Syntax | Category::Eof | Category::Io
    ) {
        let what = match error.classify() {
            Category::Eof => "it ends too soon".to_owned(),
            _ => "a comma, quote or bracket is missing or out of place".to_owned(),
        };
        return AppError::BadRequest(format!(
            "the body is not valid JSON: {what} (line {line}, character {column})"
        ));
    }
    // serde's message, read for the field and what it expected.
    let message = error.to_string();
    let quoted = |text: &str| text.split('`').nth(1).map(str::to_owned);
    if message.starts_with("missing field") {
        let field = quoted(&message).unwrap_or_default();
        return AppError::BadField {
            message: format!(
                "the JSON has no `{field}` field; a request needs `contract` and `text`"
            ),
            field,
        };
    }
    if message.starts_with("unknown field") {
        let field = quoted(&message).unwrap_or_default();
        return AppError::BadField {
            message: format!("`{field}` is not a field of this request; the fields are {FIELDS}"),
            field,
        };
    }
    let field = path.trim_start_matches('.').to_owned();
    let expected = match field.as_str() {
        "mode" => "one of trim, relevant or split",
        "overlap" => "a whole number of tokens",
        "contract" | "tier" | "text" | "question" => "a string",
        _ => "something else",
    };
    AppError::BadField {
        message: format!("`{field}` must be {expected}"),
        field,
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

/// A route's query string, read into `T`; one that does not fit is a 400
/// with the documented error body (axum's own rejection is plain text).
pub(super) struct Params<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for Params<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, AppError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Params(value)),
            Err(rejection) => Err(AppError::BadRequest(format!(
                "the query string is not valid: {}",
                rejection
                    .body_text()
                    .trim_start_matches("Failed to deserialize query string: ")
            ))),
        }
    }
}

/// A small JSON body read into `T` (an empty body reads as `{}`); one that
/// does not fit is a 400 with the documented error body, naming the field.
pub(super) struct JsonBody<T>(pub T);

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|e| rejected(e.status(), e.body_text()))?;
        let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        serde_path_to_error::deserialize(&mut deserializer)
            .map(JsonBody)
            .map_err(|e| {
                let field = e.path().to_string();
                let message = format!("the body is not valid: {}", e.inner());
                if field == "." {
                    AppError::BadRequest(message)
                } else {
                    AppError::BadField { field, message }
                }
            })
    }
}

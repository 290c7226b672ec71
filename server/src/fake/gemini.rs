//! The fake `POST /v1beta/models/{model}:countTokens`, with Google's
//! errors: `{"error": {"code", "message", "status", "details"?}}`.

use super::chat;
use super::{answer, o200k, parse_json, scale, Key, RequestLog, RETRY_AFTER, SLOW_DELAY};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// `CountTokensRequest`'s fields, in both JSON spellings proto3 accepts.
const FIELDS: [&str; 3] = [
    "contents",
    "generateContentRequest",
    "generate_content_request",
];

/// `GenerateContentRequest`'s fields, in both spellings.
const REQUEST_FIELDS: [&str; 15] = [
    "model",
    "contents",
    "systemInstruction",
    "system_instruction",
    "tools",
    "toolConfig",
    "tool_config",
    "safetySettings",
    "safety_settings",
    "generationConfig",
    "generation_config",
    "cachedContent",
    "cached_content",
    "labels",
    "serviceTier",
];

/// Gemini's count for `n` o200k tokens: `ceil(1.05 × n)`.
pub(super) fn tokens(n: u64) -> u64 {
    scale(n, 105)
}

/// An error answer in Google's format.
fn error(status: StatusCode, name: &str, message: &str, details: Option<Value>) -> Response {
    let mut error = json!({"code": status.as_u16(), "message": message, "status": name});
    if let Some(details) = details {
        error["details"] = details;
    }
    answer(status, json!({ "error": error }))
}

fn invalid(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", message, None)
}

/// The checks every endpoint makes first: the key (header or `?key=`), and
/// the keys that make every request fail or stall.
async fn gate(headers: &HeaderMap, query: &HashMap<String, String>) -> Result<(), Response> {
    let key = headers
        .get("x-goog-api-key")
        .and_then(|v| v.to_str().ok())
        .or(query.get("key").map(String::as_str));
    match Key::classify(key) {
        Key::Missing => {
            return Err(error(
                StatusCode::FORBIDDEN,
                "PERMISSION_DENIED",
                "Method doesn't allow unregistered callers (callers without established \
                 identity). Please use API Key or other form of API consumer identity to \
                 call this API.",
                None,
            ))
        }
        Key::Invalid => {
            let details = json!([{
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            }]);
            return Err(error(
                StatusCode::BAD_REQUEST,
                "INVALID_ARGUMENT",
                "API key not valid. Please pass a valid API key.",
                Some(details),
            ));
        }
        Key::RateLimited => {
            let details = json!([{
                "@type": "type.googleapis.com/google.rpc.RetryInfo",
                "retryDelay": format!("{}s", RETRY_AFTER.as_secs()),
            }]);
            return Err(error(
                StatusCode::TOO_MANY_REQUESTS,
                "RESOURCE_EXHAUSTED",
                "Resource has been exhausted (e.g. check quota).",
                Some(details),
            ));
        }
        Key::Overloaded => {
            return Err(error(
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                "The model is overloaded. Please try again later.",
                None,
            ))
        }
        Key::ServerError => {
            return Err(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "An internal error has occurred. Please retry or report in \
                 https://developers.generativeai.google/guide/troubleshooting",
                None,
            ))
        }
        Key::Slow => tokio::time::sleep(SLOW_DELAY).await,
        Key::Valid => {}
    }
    Ok(())
}

/// The handler. The path segment is `{model}:{method}`.
/// `POST /v1beta/models/{model}:countTokens` and `…:generateContent`.
pub(super) async fn models(
    State(log): State<RequestLog>,
    Path(model_and_method): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some((model, "countTokens")) = model_and_method.rsplit_once(':') else {
        match model_and_method.rsplit_once(':') {
            Some((model, "generateContent")) => {
                return generate_content(&log, model, &query, &headers, &body, false).await
            }
            Some((model, "streamGenerateContent")) => {
                return generate_content(&log, model, &query, &headers, &body, true).await
            }
            _ => {}
        }
        return error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "Method not found.",
            None,
        );
    };
    if let Err(refused) = gate(&headers, &query).await {
        return refused;
    }
    let request = match parse_json(&body) {
        Ok(Value::Object(request)) => request,
        Ok(_) => return invalid("Invalid JSON payload received. Expected an object."),
        Err(why) => return invalid(&format!("Invalid JSON payload received. {why}")),
    };
    let n = match read(&request) {
        Ok(n) => n,
        Err(message) => return invalid(&message),
    };
    if !model.starts_with("gemini-") {
        return error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!(
                "models/{model} is not found for API version v1beta, or is not supported \
                 for countTokens. Call ListModels to see the list of available models and \
                 their supported methods."
            ),
            None,
        );
    }
    let total = tokens(n);
    answer(
        StatusCode::OK,
        json!({"totalTokens": total,
               "promptTokensDetails": [{"modality": "TEXT", "tokenCount": total}]}),
    )
}

fn unknown(name: &str, at: Option<&str>) -> String {
    let at = at.map(|at| format!(" at '{at}'")).unwrap_or_default();
    format!("Invalid JSON payload received. Unknown name \"{name}\"{at}: Cannot find field.")
}

fn either<'a>(object: &'a Map<String, Value>, camel: &str, snake: &str) -> Option<&'a Value> {
    object.get(camel).or_else(|| object.get(snake))
}

/// The o200k count of every text part, or the message of the validation
/// error Google would send.
fn read(request: &Map<String, Value>) -> Result<u64, String> {
    if let Some(name) = request.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(unknown(name, None));
    }
    let Some(inner) = either(
        request,
        "generateContentRequest",
        "generate_content_request",
    ) else {
        return contents(request.get("contents"), "CountTokensRequest");
    };
    let Value::Object(inner) = inner else {
        return Err("Invalid JSON payload received. Expected an object for \
                    'generate_content_request'."
            .into());
    };
    if let Some(name) = inner.keys().find(|k| !REQUEST_FIELDS.contains(&k.as_str())) {
        return Err(unknown(name, Some("generate_content_request")));
    }
    match inner.get("model").and_then(Value::as_str) {
        Some(model) if model.starts_with("models/") => {}
        _ => return Err("* GenerateContentRequest.model: unexpected model name format\n".into()),
    }
    let system = match either(inner, "systemInstruction", "system_instruction") {
        None => 0,
        Some(system) => parts(system, "GenerateContentRequest.system_instruction")?,
    };
    Ok(system + contents(inner.get("contents"), "GenerateContentRequest")?)
}

/// The text of a non-empty `contents` list.
fn contents(contents: Option<&Value>, at: &str) -> Result<u64, String> {
    let Some(Value::Array(contents)) =
        contents.filter(|c| c.as_array().is_some_and(|c| !c.is_empty()))
    else {
        return Err(format!("* {at}.contents: contents is not specified\n"));
    };
    let mut n = 0;
    for (i, content) in contents.iter().enumerate() {
        match content.get("role").and_then(Value::as_str) {
            None | Some("user" | "model") => {}
            Some(_) => return Err("Please use a valid role: user, model.".into()),
        }
        n += parts(content, &format!("{at}.contents[{i}]"))?;
    }
    Ok(n)
}

/// The text of a `Content`'s parts; each part must hold text, and an empty
/// string leaves proto3's `data` oneof unset.
fn parts(content: &Value, at: &str) -> Result<u64, String> {
    let Some(parts) = content.get("parts").and_then(Value::as_array) else {
        return Err(format!("* {at}.parts: contents.parts must not be empty.\n"));
    };
    parts.iter().enumerate().try_fold(0, |n, (j, part)| {
        match part.get("text").and_then(Value::as_str) {
            Some(text) if !text.is_empty() => Ok(n + o200k(text)),
            _ => Err(format!(
                "* {at}.parts[{j}].data: required oneof field 'data' must have one \
                 initialized field\n"
            )),
        }
    })
}

/// The fake `POST /v1beta/models/{model}:generateContent`: a deterministic
/// answer, "Fake answer from MODEL to N words.", with `usageMetadata` in
/// its tokens. The key `fake-length` stops at `MAX_TOKENS`;
/// `fake-overflow` is refused as over the maximum number of tokens.
async fn generate_content(
    log: &RequestLog,
    model: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &Bytes,
    stream: bool,
) -> Response {
    if let Err(refused) = gate(headers, query).await {
        return refused;
    }
    let request = match parse_json(body) {
        Ok(Value::Object(request)) => request,
        Ok(_) => return invalid("Invalid JSON payload received. Expected an object."),
        Err(why) => return invalid(&format!("Invalid JSON payload received. {why}")),
    };
    if !model.starts_with("gemini-") {
        return error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("models/{model} is not found for API version v1beta, or is not supported for generateContent."),
            None,
        );
    }
    let mut texts: Vec<&str> = Vec::new();
    let system = either(&request, "systemInstruction", "system_instruction");
    for part in system
        .and_then(|s| s["parts"].as_array())
        .into_iter()
        .flatten()
    {
        texts.extend(part["text"].as_str());
    }
    for content in request
        .get("contents")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for part in content["parts"].as_array().into_iter().flatten() {
            texts.extend(part["text"].as_str());
        }
    }
    if texts.is_empty() {
        return invalid("* GenerateContentRequest.contents: contents is not specified\n");
    }
    let n: u64 = texts.iter().map(|t| o200k(t)).sum();
    let key = headers
        .get("x-goog-api-key")
        .and_then(|v| v.to_str().ok())
        .or(query.get("key").map(String::as_str))
        .unwrap_or("");
    if key == super::openai::OVERFLOW_KEY {
        return invalid(&format!(
            "The input token count ({}) exceeds the maximum number of tokens allowed (1048576).",
            tokens(n) + 1_048_576
        ));
    }
    let words: usize = texts.iter().map(|t| t.split_whitespace().count()).sum();
    let before = chat::earlier(log, key);
    if key == chat::BUSY_ONCE_KEY && before == 0 {
        let wait = format!("{}s", chat::BUSY_WAIT.as_secs());
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "RESOURCE_EXHAUSTED",
            "Resource has been exhausted (e.g. check quota).",
            Some(
                json!([{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": wait}]),
            ),
        );
    }
    if key == chat::DROP_KEY {
        return chat::broken_body();
    }
    if key == chat::INVALID_KEY {
        return invalid("* GenerateContentRequest.contents[1].parts[0].data: required oneof field 'data' must have one initialized field\n");
    }
    let reply = chat::reply(model, words, key, before);
    let finish = match (reply.filtered, reply.truncated) {
        (true, _) => "SAFETY",
        (_, true) => "MAX_TOKENS",
        _ => "STOP",
    };
    let (input, output) = (tokens(n), o200k(&reply.text));
    if stream {
        let pieces = chat::pieces(&reply.text);
        let last = pieces.len().saturating_sub(1);
        let events: Vec<chat::Out> = pieces
            .iter()
            .enumerate()
            .map(|(i, piece)| {
                let mut candidate = json!({"content": {"parts": [{"text": piece}], "role": "model"}, "index": 0});
                let mut usage = json!({"promptTokenCount": input, "totalTokenCount": input});
                if i == last {
                    candidate["finishReason"] = json!(finish);
                    usage = json!({"promptTokenCount": input, "candidatesTokenCount": output, "totalTokenCount": input + output});
                }
                (None, json!({"candidates": [candidate], "usageMetadata": usage, "modelVersion": model}).to_string())
            })
            .collect();
        let unavailable = json!({"error": {"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}});
        return chat::sse(
            events,
            chat::pace(key),
            chat::fault(key),
            2,
            (None, unavailable.to_string()),
        );
    }
    answer(
        StatusCode::OK,
        json!({
            "candidates": [{"content": {"parts": [{"text": reply.text}], "role": "model"}, "finishReason": finish, "index": 0}],
            "usageMetadata": {"promptTokenCount": input, "candidatesTokenCount": output, "totalTokenCount": input + output},
            "modelVersion": model,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_json(value: Value) -> Result<u64, String> {
        match value {
            Value::Object(map) => read(&map),
            _ => unreachable!(),
        }
    }

    #[test]
    fn both_forms_count_every_text() {
        let user = json!([{"role": "user", "parts": [{"text": "Hello, world!"}]}]);
        assert_eq!(read_json(json!({"contents": user})), Ok(4));
        let with_system = json!({"generateContentRequest": {
            "model": "models/gemini-x",
            "systemInstruction": {"parts": [{"text": "Hello, world!"}]},
            "contents": user}});
        assert_eq!(read_json(with_system), Ok(8));
    }

    #[test]
    fn validation_errors_are_googles() {
        let cases = [
            (json!({"contents": []}), "* CountTokensRequest.contents: contents is not specified\n"),
            (
                json!({"system_instruction": {}, "contents": []}),
                "Invalid JSON payload received. Unknown name \"system_instruction\": Cannot find field.",
            ),
            (
                json!({"generateContentRequest": {"contents": [{"parts": [{"text": "x"}]}]}}),
                "* GenerateContentRequest.model: unexpected model name format\n",
            ),
            (
                json!({"contents": [{"role": "assistant", "parts": [{"text": "x"}]}]}),
                "Please use a valid role: user, model.",
            ),
            (
                json!({"contents": [{"parts": [{"inline": 1}]}]}),
                "* CountTokensRequest.contents[0].parts[0].data: required oneof field 'data' \
                 must have one initialized field\n",
            ),
        ];
        for (request, message) in cases {
            assert_eq!(read_json(request).unwrap_err(), message);
        }
    }

    #[test]
    fn the_factor_rounds_up() {
        assert_eq!(tokens(0), 0);
        assert_eq!(tokens(4), 5);
        assert_eq!(tokens(20), 21);
    }
}

//! Gemini `generateContent` and `streamGenerateContent?alt=sse`
//! (`POST {base}/v1beta/models/{model}:…`).
//!
//! A stream is `data: {GenerateContentResponse}` events, each with the
//! next `candidates[0].content.parts` text; the last has `finishReason`
//! and the final `usageMetadata`; then the connection closes (there is no
//! end marker). An error inside the stream is `data: {"error": {…}}`.

use super::{speaker, split_system, stream_error, ChatRequest, StreamState, Usage, Wire};
use crate::provider::classify::Classified;
use crate::provider::sse::SseEvent;
use crate::{Provider, ProviderEndpoint};
use prompt_preflight::FailureClass;
use serde_json::{json, Value};

/// The Gemini wire format.
#[derive(Debug, Clone, Copy)]
pub struct GeminiWire;

fn usage(json: &Value) -> Usage {
    let meta = &json["usageMetadata"];
    Usage {
        input: meta["promptTokenCount"].as_u64().unwrap_or(0),
        output: meta["candidatesTokenCount"].as_u64().unwrap_or(0),
        cached: meta["cachedContentTokenCount"].as_u64().unwrap_or(0),
        counted_by_us: false,
    }
}

fn text(json: &Value) -> Option<String> {
    Some(
        json["candidates"][0]["content"]["parts"]
            .as_array()?
            .iter()
            .filter_map(|part| part["text"].as_str())
            .collect(),
    )
}

impl Wire for GeminiWire {
    const PROVIDER: Provider = Provider::Gemini;

    fn request(
        client: &reqwest::Client,
        endpoint: &ProviderEndpoint,
        request: &ChatRequest,
        stream: bool,
    ) -> reqwest::RequestBuilder {
        let (system, rest) = split_system(&request.messages);
        let contents: Vec<Value> = rest
            .iter()
            .map(|m| {
                let role = speaker(m, "model");
                json!({"role": role, "parts": [{"text": m.content}]})
            })
            .collect();
        let mut body = json!({
            "contents": contents,
            "generationConfig": {"maxOutputTokens": request.max_tokens},
        });
        if let Some(system) = system {
            body["systemInstruction"] = json!({"parts": [{"text": system}]});
        }
        let method = if stream {
            "streamGenerateContent?alt=sse"
        } else {
            "generateContent"
        };
        let url = format!(
            "{}/v1beta/models/{}:{method}",
            endpoint.base_url, request.model
        );
        let mut call = client.post(url).json(&body);
        if let Some(key) = &endpoint.api_key {
            call = call.header("x-goog-api-key", key);
        }
        call
    }

    fn answer(json: &Value) -> Option<(String, Option<String>, Usage, Option<String>)> {
        Some((
            text(json)?,
            json["modelVersion"].as_str().map(str::to_owned),
            usage(json),
            json["candidates"][0]["finishReason"]
                .as_str()
                .map(str::to_owned),
        ))
    }

    fn event(state: &mut StreamState, event: &SseEvent) -> Result<Option<String>, Classified> {
        let Ok(json) = serde_json::from_str::<Value>(&event.data) else {
            return Ok(None);
        };
        if json.get("error").is_some_and(|e| !e.is_null()) {
            return Err(stream_error(Provider::Gemini, &json));
        }
        if let Some(reason) = json["promptFeedback"]["blockReason"].as_str() {
            return Err(Classified {
                class: FailureClass::ContentFiltered,
                status: None,
                provider_code: Some(reason.to_owned()),
                detail: format!("the prompt was blocked: {reason}"),
                retry_after: None,
            });
        }
        if let Some(model) = json["modelVersion"].as_str() {
            state.model = model.to_owned();
        }
        if json["usageMetadata"].is_object() {
            state.usage = usage(&json);
        }
        if let Some(reason) = json["candidates"][0]["finishReason"].as_str() {
            state.finish_reason = Some(reason.to_owned());
        }
        Ok(text(&json))
    }
}

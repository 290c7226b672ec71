//! OpenAI Chat Completions (`POST {base}/chat/completions`), spoken by
//! OpenAI and by every OpenAI-compatible server.
//!
//! A stream is `data: {chunk}` events whose `choices[0].delta.content` is
//! the next text and whose `finish_reason` comes in the last choice chunk;
//! with `stream_options.include_usage` a last chunk with empty `choices`
//! carries `usage`; then `data: [DONE]`. An error inside the stream is
//! `data: {"error": {…}}`.

use super::{stream_error, ChatRequest, StreamState, Usage, Wire};
use crate::provider::classify::Classified;
use crate::provider::sse::SseEvent;
use crate::{Provider, ProviderEndpoint};
use serde_json::{json, Value};

/// The OpenAI wire format.
#[derive(Debug, Clone, Copy)]
pub struct OpenAiWire;

fn usage(json: &Value) -> Option<Usage> {
    let usage = json.get("usage").filter(|u| u.is_object())?;
    Some(Usage {
        input: usage["prompt_tokens"].as_u64().unwrap_or(0),
        output: usage["completion_tokens"].as_u64().unwrap_or(0),
        cached: usage["prompt_tokens_details"]["cached_tokens"]
            .as_u64()
            .unwrap_or(0),
        counted_by_us: false,
    })
}

impl Wire for OpenAiWire {
    const PROVIDER: Provider = Provider::Openai;

    fn request(
        client: &reqwest::Client,
        endpoint: &ProviderEndpoint,
        request: &ChatRequest,
        stream: bool,
    ) -> reqwest::RequestBuilder {
        let mut body = json!({
            "model": request.model,
            "messages": request.messages,
            // `max_tokens`: what every OpenAI-compatible server reads.
            "max_tokens": request.max_tokens,
        });
        if stream {
            body["stream"] = true.into();
            // Without it a stream says nothing of its tokens.
            body["stream_options"] = json!({"include_usage": true});
        }
        let mut call = client
            .post(format!("{}/chat/completions", endpoint.base_url))
            .json(&body);
        if let Some(key) = &endpoint.api_key {
            call = call.bearer_auth(key);
        }
        call
    }

    fn answer(json: &Value) -> Option<(String, Option<String>, Usage, Option<String>)> {
        let choice = &json["choices"][0];
        let text = choice["message"]["content"].as_str()?.to_owned();
        Some((
            text,
            json["model"].as_str().map(str::to_owned),
            usage(json).unwrap_or_default(),
            choice["finish_reason"].as_str().map(str::to_owned),
        ))
    }

    fn event(state: &mut StreamState, event: &SseEvent) -> Result<Option<String>, Classified> {
        if event.data.trim() == "[DONE]" {
            state.closed = true;
            return Ok(None);
        }
        let Ok(json) = serde_json::from_str::<Value>(&event.data) else {
            return Ok(None);
        };
        if json.get("error").is_some_and(|e| !e.is_null()) {
            return Err(stream_error(Provider::Openai, &json));
        }
        if let Some(model) = json["model"].as_str() {
            state.model = model.to_owned();
        }
        if let Some(usage) = usage(&json) {
            state.usage = usage;
        }
        let choice = &json["choices"][0];
        if let Some(reason) = choice["finish_reason"].as_str() {
            state.finish_reason = Some(reason.to_owned());
        }
        Ok(choice["delta"]["content"].as_str().map(str::to_owned))
    }
}

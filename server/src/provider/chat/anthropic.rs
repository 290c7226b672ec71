//! Anthropic Messages (`POST {base}/v1/messages`).
//!
//! A stream is named events: `message_start` (the model and the input
//! tokens), `content_block_delta` with a `text_delta`, `message_delta`
//! (the `stop_reason` and the output tokens), `message_stop`; `ping`s in
//! between; `event: error` with `{"type": "error", "error": {…}}` when it
//! fails midway (an `overloaded_error`, say).

use super::{speaker, split_system, stream_error, ChatRequest, StreamState, Usage, Wire};
use crate::provider::classify::Classified;
use crate::provider::sse::SseEvent;
use crate::{Provider, ProviderEndpoint};
use serde_json::{json, Value};

/// Anthropic's usage: `input_tokens` leaves out what was read from or
/// written to the prompt cache, so those are added (and the reads kept
/// as `cached`).
fn usage(u: &Value) -> Usage {
    let n = |k: &str| u[k].as_u64().unwrap_or(0);
    Usage {
        input: n("input_tokens") + n("cache_read_input_tokens") + n("cache_creation_input_tokens"),
        output: n("output_tokens"),
        cached: n("cache_read_input_tokens"),
        counted_by_us: false,
    }
}

/// The Anthropic wire format.
#[derive(Debug, Clone, Copy)]
pub struct AnthropicWire;

impl Wire for AnthropicWire {
    const PROVIDER: Provider = Provider::Anthropic;

    fn request(
        client: &reqwest::Client,
        endpoint: &ProviderEndpoint,
        request: &ChatRequest,
        stream: bool,
    ) -> reqwest::RequestBuilder {
        let (system, rest) = split_system(&request.messages);
        let messages: Vec<Value> = rest
            .iter()
            .map(|m| {
                let role = speaker(m, "assistant");
                json!({"role": role, "content": m.content})
            })
            .collect();
        let mut body = json!({
            "model": request.model,
            "max_tokens": request.max_tokens,
            "messages": messages,
        });
        if let Some(system) = system {
            body["system"] = system.into();
        }
        if stream {
            body["stream"] = true.into();
        }
        let mut call = client
            .post(format!("{}/v1/messages", endpoint.base_url))
            .header("anthropic-version", crate::provider::ANTHROPIC_VERSION)
            .json(&body);
        if let Some(key) = &endpoint.api_key {
            call = call.header("x-api-key", key);
        }
        call
    }

    fn answer(json: &Value) -> Option<(String, Option<String>, Usage, Option<String>)> {
        let text: String = json["content"]
            .as_array()?
            .iter()
            .filter(|block| block["type"] == "text")
            .filter_map(|block| block["text"].as_str())
            .collect();
        Some((
            text,
            json["model"].as_str().map(str::to_owned),
            usage(&json["usage"]),
            json["stop_reason"].as_str().map(str::to_owned),
        ))
    }

    fn event(state: &mut StreamState, event: &SseEvent) -> Result<Option<String>, Classified> {
        let Ok(json) = serde_json::from_str::<Value>(&event.data) else {
            return Ok(None);
        };
        let kind = event
            .event
            .as_deref()
            .or_else(|| json["type"].as_str())
            .unwrap_or_default();
        match kind {
            "error" => Err(stream_error(Provider::Anthropic, &json)),
            "message_start" => {
                let message = &json["message"];
                if let Some(model) = message["model"].as_str() {
                    state.model = model.to_owned();
                }
                state.usage = usage(&message["usage"]);
                Ok(None)
            }
            "content_block_delta" if json["delta"]["type"] == "text_delta" => {
                Ok(json["delta"]["text"].as_str().map(str::to_owned))
            }
            "message_delta" => {
                if let Some(reason) = json["delta"]["stop_reason"].as_str() {
                    state.finish_reason = Some(reason.to_owned());
                }
                if let Some(output) = json["usage"]["output_tokens"].as_u64() {
                    state.usage.output = output;
                }
                Ok(None)
            }
            "message_stop" => {
                state.closed = true;
                Ok(None)
            }
            _ => Ok(None),
        }
    }
}

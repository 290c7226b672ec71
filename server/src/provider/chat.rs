//! Asking a model: one [`Chat`] trait, one implementation per wire format,
//! and the dry run that `make run` uses when no key is set.
//!
//! Every failure is [`Classified`] (see [`super::classify`]), so the
//! service above decides retries and words from the class alone.

use super::classify::{
    classify_error, classify_finish, classify_transport, transport_of, Classified,
};
use crate::{Provider, ProviderEndpoint};
use prompt_preflight::{FailureClass, Message, Role};
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

/// A boxed future, so a [`Chat`] can be held as `Arc<dyn Chat>`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One request to a model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatRequest {
    /// The provider's model name.
    pub model: String,
    /// The system and user messages (the contract's payload).
    pub messages: Vec<Message>,
    /// The longest answer asked for, in tokens.
    pub max_tokens: u64,
}

/// Tokens a call used, as the provider counted them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Input tokens.
    pub input: u64,
    /// Output tokens.
    pub output: u64,
}

/// A model's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatAnswer {
    /// The answer's text.
    pub text: String,
    /// The model that answered, as the provider names it.
    pub model: String,
    /// The tokens used.
    pub usage: Usage,
    /// Set when no model was called: the text is a labelled placeholder.
    pub dry_run: bool,
}

/// A model behind one wire format.
pub trait Chat: Send + Sync {
    /// Who answers (for attempts and logs), e.g. `openai`, `dry-run`.
    fn name(&self) -> &str;

    /// Asks the model. An answer cut off at its length limit or blocked by
    /// a filter is a failure of that class, with the provider's detail.
    fn chat(&self, request: ChatRequest) -> BoxFuture<'_, Result<ChatAnswer, Classified>>;
}

/// No model: answers with what would have been sent, clearly labelled.
/// The embedded default when no provider key is configured.
#[derive(Debug, Clone, Copy, Default)]
pub struct DryRun;

/// How a dry run's answer starts, so nothing can take it for a model's.
pub const DRY_RUN_LABEL: &str = "[Dry run: no model was called.]";

impl Chat for DryRun {
    fn name(&self) -> &str {
        "dry-run"
    }

    fn chat(&self, request: ChatRequest) -> BoxFuture<'_, Result<ChatAnswer, Classified>> {
        Box::pin(async move {
            let chars: usize = request
                .messages
                .iter()
                .map(|m| m.content.chars().count())
                .sum();
            Ok(ChatAnswer {
                text: format!(
                    "{DRY_RUN_LABEL} With a provider key set (e.g. OPENAI_API_KEY), {} would be asked here, with the {} messages ({chars} characters) shown in `payload`, for an answer of at most {} tokens.",
                    request.model,
                    request.messages.len(),
                    request.max_tokens
                ),
                model: request.model,
                usage: Usage::default(),
                dry_run: true,
            })
        })
    }
}

/// OpenAI Chat Completions, and any OpenAI-compatible server (vLLM,
/// Ollama, llama.cpp's server, OpenRouter) at `OPENAI_BASE_URL`.
#[derive(Debug, Clone)]
pub struct OpenAiChat {
    client: reqwest::Client,
    endpoint: ProviderEndpoint,
}

impl OpenAiChat {
    /// A client for `endpoint` (its base URL ends before `/chat/completions`).
    pub fn new(client: reqwest::Client, endpoint: ProviderEndpoint) -> Self {
        OpenAiChat { client, endpoint }
    }
}

impl Chat for OpenAiChat {
    fn name(&self) -> &str {
        "openai"
    }

    fn chat(&self, request: ChatRequest) -> BoxFuture<'_, Result<ChatAnswer, Classified>> {
        Box::pin(async move {
            let url = format!("{}/chat/completions", self.endpoint.base_url);
            let body = serde_json::json!({
                "model": request.model,
                "messages": request.messages,
                // `max_tokens`: what every OpenAI-compatible server reads.
                "max_tokens": request.max_tokens,
            });
            let mut call = self.client.post(&url).json(&body);
            if let Some(key) = &self.endpoint.api_key {
                call = call.bearer_auth(key);
            }
            let json = send(Provider::Openai, call).await?;
            let text = json["choices"][0]["message"]["content"]
                .as_str()
                .ok_or_else(|| malformed("choices[0].message.content"))?;
            let usage = Usage {
                input: json["usage"]["prompt_tokens"].as_u64().unwrap_or(0),
                output: json["usage"]["completion_tokens"].as_u64().unwrap_or(0),
            };
            Ok(ChatAnswer {
                text: text.to_owned(),
                model: json["model"].as_str().unwrap_or(&request.model).to_owned(),
                usage,
                dry_run: false,
            })
        })
    }
}

/// Sends a request and reads a 2xx JSON answer that finished normally;
/// anything else is classified for `provider`'s wire format.
async fn send(
    provider: Provider,
    call: reqwest::RequestBuilder,
) -> Result<serde_json::Value, Classified> {
    let response = call
        .send()
        .await
        .map_err(|e| classify_transport(transport_of(&e), e.to_string()))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| classify_transport(transport_of(&e), e.to_string()))?;
    if !(200..300).contains(&status) {
        return Err(classify_error(
            provider,
            status,
            &headers,
            &bytes,
            SystemTime::now(),
        ));
    }
    let json: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| malformed(&format!("JSON ({e})")))?;
    if let Some(class) = classify_finish(provider, &json) {
        let reason = [
            &json["choices"][0]["finish_reason"],
            &json["stop_reason"],
            &json["candidates"][0]["finishReason"],
            &json["promptFeedback"]["blockReason"],
        ]
        .into_iter()
        .find_map(|v| v.as_str())
        .map(str::to_owned);
        return Err(Classified {
            class,
            status: Some(status),
            detail: format!("the answer stopped: {}", reason.as_deref().unwrap_or("?")),
            provider_code: reason,
            retry_after: None,
        });
    }
    Ok(json)
}

/// A 2xx answer without the field an answer has.
fn malformed(what: &str) -> Classified {
    Classified {
        class: FailureClass::Unknown,
        status: None,
        provider_code: None,
        detail: format!("the answer has no {what}"),
        retry_after: None,
    }
}

/// The system message's text, and the others, as Anthropic and Gemini
/// take them apart.
fn split_system(messages: &[Message]) -> (Option<String>, Vec<&Message>) {
    let system: Vec<&str> = messages
        .iter()
        .filter(|m| m.role == Role::System)
        .map(|m| m.content.as_str())
        .collect();
    let rest = messages.iter().filter(|m| m.role != Role::System).collect();
    ((!system.is_empty()).then(|| system.join("\n\n")), rest)
}

/// Anthropic Messages (`POST {ANTHROPIC_BASE_URL}/v1/messages`).
#[derive(Debug, Clone)]
pub struct AnthropicChat {
    client: reqwest::Client,
    endpoint: ProviderEndpoint,
}

impl AnthropicChat {
    /// A client for `endpoint` (its base URL ends before `/v1/messages`).
    pub fn new(client: reqwest::Client, endpoint: ProviderEndpoint) -> Self {
        AnthropicChat { client, endpoint }
    }
}

impl Chat for AnthropicChat {
    fn name(&self) -> &str {
        "anthropic"
    }

    fn chat(&self, request: ChatRequest) -> BoxFuture<'_, Result<ChatAnswer, Classified>> {
        Box::pin(async move {
            let (system, rest) = split_system(&request.messages);
            let messages: Vec<serde_json::Value> = rest
                .iter()
                .map(|m| serde_json::json!({"role": "user", "content": m.content}))
                .collect();
            let mut body = serde_json::json!({
                "model": request.model,
                "max_tokens": request.max_tokens,
                "messages": messages,
            });
            if let Some(system) = system {
                body["system"] = system.into();
            }
            let mut call = self
                .client
                .post(format!("{}/v1/messages", self.endpoint.base_url))
                .header("anthropic-version", "2023-06-01")
                .json(&body);
            if let Some(key) = &self.endpoint.api_key {
                call = call.header("x-api-key", key);
            }
            let json = send(Provider::Anthropic, call).await?;
            let text: String = json["content"]
                .as_array()
                .ok_or_else(|| malformed("content"))?
                .iter()
                .filter(|block| block["type"] == "text")
                .filter_map(|block| block["text"].as_str())
                .collect();
            Ok(ChatAnswer {
                text,
                model: json["model"].as_str().unwrap_or(&request.model).to_owned(),
                usage: Usage {
                    input: json["usage"]["input_tokens"].as_u64().unwrap_or(0),
                    output: json["usage"]["output_tokens"].as_u64().unwrap_or(0),
                },
                dry_run: false,
            })
        })
    }
}

/// Gemini `generateContent` (`POST {GEMINI_BASE_URL}/v1beta/models/{model}:generateContent`).
#[derive(Debug, Clone)]
pub struct GeminiChat {
    client: reqwest::Client,
    endpoint: ProviderEndpoint,
}

impl GeminiChat {
    /// A client for `endpoint` (its base URL ends before `/v1beta`).
    pub fn new(client: reqwest::Client, endpoint: ProviderEndpoint) -> Self {
        GeminiChat { client, endpoint }
    }
}

impl Chat for GeminiChat {
    fn name(&self) -> &str {
        "gemini"
    }

    fn chat(&self, request: ChatRequest) -> BoxFuture<'_, Result<ChatAnswer, Classified>> {
        Box::pin(async move {
            let (system, rest) = split_system(&request.messages);
            let contents: Vec<serde_json::Value> = rest
                .iter()
                .map(|m| serde_json::json!({"role": "user", "parts": [{"text": m.content}]}))
                .collect();
            let mut body = serde_json::json!({
                "contents": contents,
                "generationConfig": {"maxOutputTokens": request.max_tokens},
            });
            if let Some(system) = system {
                body["systemInstruction"] = serde_json::json!({"parts": [{"text": system}]});
            }
            let url = format!(
                "{}/v1beta/models/{}:generateContent",
                self.endpoint.base_url, request.model
            );
            let mut call = self.client.post(url).json(&body);
            if let Some(key) = &self.endpoint.api_key {
                call = call.header("x-goog-api-key", key);
            }
            let json = send(Provider::Gemini, call).await?;
            let text: String = json["candidates"][0]["content"]["parts"]
                .as_array()
                .ok_or_else(|| malformed("candidates[0].content.parts"))?
                .iter()
                .filter_map(|part| part["text"].as_str())
                .collect();
            Ok(ChatAnswer {
                text,
                model: json["modelVersion"]
                    .as_str()
                    .unwrap_or(&request.model)
                    .to_owned(),
                usage: Usage {
                    input: json["usageMetadata"]["promptTokenCount"]
                        .as_u64()
                        .unwrap_or(0),
                    output: json["usageMetadata"]["candidatesTokenCount"]
                        .as_u64()
                        .unwrap_or(0),
                },
                dry_run: false,
            })
        })
    }
}

/// The wait before retry number `attempt` (1 for the first retry):
/// exponential from `base`, capped at `cap`, with full jitter from `seed`.
pub fn backoff(attempt: u32, base: Duration, cap: Duration, seed: u64) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.min(16)).min(cap);
    // Full jitter: uniform in [exp/2, exp], so waits never collapse to 0.
    let unit = (seed % 10_000) as f64 / 10_000.0;
    exp.mul_f64(0.5 + 0.5 * unit)
}

//! Asking a model: one [`Chat`] trait (a whole answer, or a stream of it),
//! one [`Wire`] format per provider behind one HTTP client ([`HttpChat`]),
//! and the dry run that `make run` uses when no key is set.
//!
//! Every failure is [`Classified`] (see [`super::classify`]), so the
//! service above decides retries and words from the class alone.

mod anthropic;
mod gemini;
mod openai;

pub use anthropic::AnthropicWire;
pub use gemini::GeminiWire;
pub use openai::OpenAiWire;

use super::classify::{
    classify_error, classify_finish_reason, classify_transport, transport_of, Classified,
};
use super::sse::{SseEvent, SseParser};
use crate::{Provider, ProviderEndpoint};
use futures_util::{Stream, StreamExt};
use prompt_preflight::{FailureClass, Message, Role};
use serde::Serialize;
use std::collections::VecDeque;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

/// A boxed future, so a [`Chat`] can be held as `Arc<dyn Chat>`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A streamed answer: pieces of text, then one [`StreamItem::End`]; or a
/// failure, after which nothing follows.
pub type ChatStream = Pin<Box<dyn Stream<Item = Result<StreamItem, Classified>> + Send>>;

/// One request to a model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatRequest {
    /// The provider's model name.
    pub model: String,
    /// The system, user and (for a continuation) assistant messages.
    pub messages: Vec<Message>,
    /// The longest answer asked for, in tokens.
    pub max_tokens: u64,
}

/// Tokens a call used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Input tokens.
    pub input: u64,
    /// Output tokens.
    pub output: u64,
    /// Input tokens the provider read from its prompt cache (part of
    /// `input`).
    #[serde(skip_serializing_if = "is_zero")]
    pub cached: u64,
    /// Set when the provider did not say (a stream that broke) and these
    /// are our own count of what was sent and received.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub counted_by_us: bool,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Usage {
    /// Input and output together.
    pub fn total(&self) -> u64 {
        self.input + self.output
    }
}

/// Why an answer ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Finish {
    /// It was complete.
    #[default]
    Stop,
    /// It reached the length limit and was cut off.
    Length,
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
    /// Whether it was complete or cut off.
    pub finish: Finish,
    /// Set when no model was called: the text is a labelled placeholder.
    pub dry_run: bool,
}

/// One item of a [`ChatStream`].
#[derive(Debug, Clone, PartialEq)]
pub enum StreamItem {
    /// The next piece of the answer's text.
    Delta(String),
    /// The answer is over.
    End {
        /// The model that answered.
        model: String,
        /// The tokens used, as the provider counted them.
        usage: Usage,
        /// Whether it was complete or cut off.
        finish: Finish,
    },
}

/// A model behind one wire format.
pub trait Chat: Send + Sync {
    /// Who answers (for attempts and logs), e.g. `openai`, `dry-run`.
    fn name(&self) -> &str;

    /// Whether a model is really asked (`false` for the dry run).
    fn is_live(&self) -> bool {
        true
    }

    /// Asks the model for a whole answer. A blocked answer is a failure of
    /// class `content_filtered`; a cut-off one is an answer with
    /// [`Finish::Length`].
    fn chat(&self, request: ChatRequest) -> BoxFuture<'_, Result<ChatAnswer, Classified>>;

    /// Asks the model for a streamed answer. A failure before the first
    /// byte (a refused request, a 429) is the `Err`; a failure mid-stream
    /// is the stream's last item. The default streams [`Chat::chat`]'s
    /// answer as one piece.
    fn stream(&self, request: ChatRequest) -> BoxFuture<'_, Result<ChatStream, Classified>> {
        Box::pin(async move {
            let answer = self.chat(request).await?;
            let items = vec![
                Ok(StreamItem::Delta(answer.text)),
                Ok(StreamItem::End {
                    model: answer.model,
                    usage: answer.usage,
                    finish: answer.finish,
                }),
            ];
            Ok(Box::pin(futures_util::stream::iter(items)) as ChatStream)
        })
    }
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

    fn is_live(&self) -> bool {
        false
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
                finish: Finish::Stop,
                dry_run: true,
            })
        })
    }
}

/// What a stream has said so far, for a [`Wire`] to fill in.
#[derive(Debug, Clone, Default)]
pub struct StreamState {
    /// The model, once the stream names it.
    pub model: String,
    /// The usage, once the stream reports it.
    pub usage: Usage,
    /// The finish reason, once it came.
    pub finish_reason: Option<String>,
    /// Whether the stream's own end marker came (`[DONE]`, `message_stop`).
    pub closed: bool,
}

/// One provider's wire format: how a request is written and an answer
/// (whole or streamed) is read.
pub trait Wire: Send + Sync + 'static {
    /// The provider whose errors and finish reasons these are.
    const PROVIDER: Provider;

    /// The request, not yet sent.
    fn request(
        client: &reqwest::Client,
        endpoint: &ProviderEndpoint,
        request: &ChatRequest,
        stream: bool,
    ) -> reqwest::RequestBuilder;

    /// The answer's text, model, usage and finish reason from a whole
    /// answer; `None` when it has no text where one belongs.
    fn answer(json: &serde_json::Value) -> Option<(String, Option<String>, Usage, Option<String>)>;

    /// Reads one streamed event into `state`, and gives its text, if any.
    /// An error the provider sent inside the stream is the `Err`.
    fn event(state: &mut StreamState, event: &SseEvent) -> Result<Option<String>, Classified>;
}

/// A model behind the HTTP API of wire format `W`.
#[derive(Debug)]
pub struct HttpChat<W> {
    client: reqwest::Client,
    endpoint: ProviderEndpoint,
    wire: PhantomData<W>,
}

impl<W> Clone for HttpChat<W> {
    fn clone(&self) -> Self {
        HttpChat {
            client: self.client.clone(),
            endpoint: self.endpoint.clone(),
            wire: PhantomData,
        }
    }
}

/// OpenAI Chat Completions, and any OpenAI-compatible server (vLLM,
/// Ollama, llama.cpp's server, OpenRouter) at `OPENAI_BASE_URL`.
pub type OpenAiChat = HttpChat<OpenAiWire>;
/// Anthropic Messages (`POST {ANTHROPIC_BASE_URL}/v1/messages`).
pub type AnthropicChat = HttpChat<AnthropicWire>;
/// Gemini `generateContent` and `streamGenerateContent`.
pub type GeminiChat = HttpChat<GeminiWire>;

impl<W: Wire> HttpChat<W> {
    /// A client for `endpoint` (for OpenAI its base URL ends before
    /// `/chat/completions`; for Anthropic before `/v1/messages`; for Gemini
    /// before `/v1beta`).
    pub fn new(client: reqwest::Client, endpoint: ProviderEndpoint) -> Self {
        HttpChat {
            client,
            endpoint,
            wire: PhantomData,
        }
    }

    /// Sends the request; a status other than 2xx is classified.
    async fn open(
        &self,
        request: &ChatRequest,
        stream: bool,
    ) -> Result<reqwest::Response, Classified> {
        let response = W::request(&self.client, &self.endpoint, request, stream)
            .send()
            .await
            .map_err(|e| classify_transport(transport_of(&e), e.to_string()))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(response);
        }
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| classify_transport(transport_of(&e), e.to_string()))?;
        Err(classify_error(
            W::PROVIDER,
            status,
            &headers,
            &bytes,
            SystemTime::now(),
        ))
    }
}

impl<W: Wire> Chat for HttpChat<W> {
    fn name(&self) -> &str {
        W::PROVIDER.as_str()
    }

    fn chat(&self, request: ChatRequest) -> BoxFuture<'_, Result<ChatAnswer, Classified>> {
        Box::pin(async move {
            let response = self.open(&request, false).await?;
            let status = response.status().as_u16();
            let bytes = response
                .bytes()
                .await
                .map_err(|e| classify_transport(transport_of(&e), e.to_string()))?;
            let json: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|e| malformed(&format!("JSON body ({e})")))?;
            if W::PROVIDER == Provider::Gemini {
                if let Some(reason) = json["promptFeedback"]["blockReason"].as_str() {
                    return Err(filtered(Some(status), reason));
                }
            }
            let (text, model, usage, reason) =
                W::answer(&json).ok_or_else(|| malformed("text in the answer"))?;
            let finish = finish_of::<W>(reason.as_deref(), Some(status))?;
            Ok(ChatAnswer {
                text,
                model: model.unwrap_or(request.model),
                usage,
                finish,
                dry_run: false,
            })
        })
    }

    fn stream(&self, request: ChatRequest) -> BoxFuture<'_, Result<ChatStream, Classified>> {
        Box::pin(async move {
            let response = self.open(&request, true).await?;
            Ok(read_stream::<W>(response, request.model))
        })
    }
}

/// The finish of an answer, or the failure a blocked answer is.
fn finish_of<W: Wire>(reason: Option<&str>, status: Option<u16>) -> Result<Finish, Classified> {
    match reason.and_then(|r| classify_finish_reason(W::PROVIDER, r)) {
        Some(FailureClass::OutputTruncated) => Ok(Finish::Length),
        Some(_) => Err(filtered(status, reason.unwrap_or_default())),
        None => Ok(Finish::Stop),
    }
}

fn filtered(status: Option<u16>, reason: &str) -> Classified {
    Classified {
        class: FailureClass::ContentFiltered,
        status,
        provider_code: Some(reason.to_owned()),
        detail: format!("the answer stopped: {reason}"),
        retry_after: None,
    }
}

/// What a streamed answer becomes: its events read as they arrive, the
/// end checked (a stream that stops without its end marker is broken).
fn read_stream<W: Wire>(response: reqwest::Response, model: String) -> ChatStream {
    struct Reading {
        body: Pin<Box<dyn Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
        parser: SseParser,
        state: StreamState,
        queue: VecDeque<Result<StreamItem, Classified>>,
        ended: bool,
    }
    let reading = Reading {
        body: Box::pin(response.bytes_stream()),
        parser: SseParser::default(),
        state: StreamState {
            model,
            ..StreamState::default()
        },
        queue: VecDeque::new(),
        ended: false,
    };
    let stream = futures_util::stream::unfold(reading, |mut r| async move {
        loop {
            if let Some(item) = r.queue.pop_front() {
                return Some((item, r));
            }
            if r.ended {
                return None;
            }
            match r.body.next().await {
                Some(Ok(bytes)) => {
                    for event in r.parser.push(&bytes) {
                        match W::event(&mut r.state, &event) {
                            Ok(Some(text)) if !text.is_empty() => {
                                r.queue.push_back(Ok(StreamItem::Delta(text)))
                            }
                            Ok(_) => {}
                            Err(failed) => {
                                r.queue.push_back(Err(failed));
                                r.ended = true;
                                break;
                            }
                        }
                        if r.state.closed {
                            r.queue.push_back(end::<W>(&r.state));
                            r.ended = true;
                            break;
                        }
                    }
                    if !r.ended && r.parser.overflowed() {
                        r.queue
                            .push_back(Err(malformed("event under 4 MiB in the stream")));
                        r.ended = true;
                    }
                }
                Some(Err(e)) => {
                    r.queue.push_back(Err(classify_transport(
                        transport_of(&e),
                        format!("the stream broke: {e}"),
                    )));
                    r.ended = true;
                }
                None => {
                    r.ended = true;
                    // Gemini ends its stream by closing it, after a
                    // finish reason; the others send an end marker.
                    let whole = r.state.closed
                        || (r.state.finish_reason.is_some() && !r.parser.has_partial());
                    r.queue.push_back(if whole {
                        end::<W>(&r.state)
                    } else {
                        Err(broken())
                    });
                }
            }
        }
    });
    Box::pin(stream)
}

fn end<W: Wire>(state: &StreamState) -> Result<StreamItem, Classified> {
    Ok(StreamItem::End {
        model: state.model.clone(),
        usage: state.usage,
        finish: finish_of::<W>(state.finish_reason.as_deref(), None)?,
    })
}

/// A stream that stopped before its end.
fn broken() -> Classified {
    classify_transport(
        super::classify::Transport::Body,
        "the stream ended before the answer was complete",
    )
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

/// An error the provider put inside a stream (`{"error": {…}}`), classified
/// as if it had come with a 500 (a stream's status is already 200).
fn stream_error(provider: Provider, json: &serde_json::Value) -> Classified {
    let body = serde_json::to_vec(json).unwrap_or_default();
    let mut failed = classify_error(
        provider,
        500,
        &reqwest::header::HeaderMap::new(),
        &body,
        SystemTime::now(),
    );
    failed.status = None;
    failed.detail = format!("mid-stream: {}", failed.detail);
    failed
}

/// The role name of a message that is not the system's: `assistant` (or
/// Gemini's `model`) for an earlier answer, `user` for the rest.
fn speaker(message: &Message, assistant: &'static str) -> &'static str {
    if message.role == Role::Assistant {
        assistant
    } else {
        "user"
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

/// The wait before retry number `attempt` (1 for the first retry):
/// exponential from `base`, capped at `cap`, with full jitter from `seed`.
pub fn backoff(attempt: u32, base: Duration, cap: Duration, seed: u64) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.min(16)).min(cap);
    // Full jitter: uniform in [exp/2, exp], so waits never collapse to 0.
    let unit = (seed % 10_000) as f64 / 10_000.0;
    exp.mul_f64(0.5 + 0.5 * unit)
}

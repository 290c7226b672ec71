//! One model call with recovery, across the contract's fallback chain:
//! a failure is retried when its class says so ([`RetryPolicy`]), after
//! the provider's hint (on every attempt) or a backoff with jitter; a
//! model that stays down, whose breaker is open, or whose window is too
//! small for a request it refused as too long, hands over to the next
//! model in the chain; all under one deadline. Once any text has been
//! streamed to the caller, nothing is retried: a failure then ends the
//! stream as a failure. Every attempt is recorded.

use super::budget::Budget;
use super::events::{Events, RunEvent};
use super::health::Health;
use super::limits::Limiter;
use crate::chat::{backoff, Chat, ChatAnswer, ChatRequest, StreamItem, Usage};
use crate::classify::Classified;
use futures_util::StreamExt;
use prompt_preflight::messages::{failure, run as words};
use prompt_preflight::{Encoding, FailureClass, RetryPolicy};
use serde::Serialize;
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Attempts per model of the chain, the first included.
    pub max_attempts: u32,
    /// The first backoff; it doubles with each retry.
    pub base_delay: Duration,
    /// The longest backoff.
    pub max_delay: Duration,
    /// The end-to-end deadline across every attempt, wait and fallback.
    pub deadline: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            deadline: Duration::from_secs(60),
        }
    }
}

/// One model of a fallback chain.
#[derive(Clone)]
pub struct Route {
    /// Its client.
    pub chat: Arc<dyn Chat>,
    /// The model's name for the provider.
    pub model: String,
    /// Its context window in tokens, when known.
    pub window: Option<u64>,
    /// Our limits for its provider, if any are configured.
    pub limiter: Option<Arc<Limiter>>,
}

/// One call to a model, as the response reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attempt {
    /// Who was asked (`openai`, `dry-run`).
    pub provider: String,
    /// The model asked for.
    pub model: String,
    /// What the call was for: `answer`, `part 2 of 5`, `combine`,
    /// `continuation 1`, `shorter`, `re-ask`.
    pub step: String,
    /// The failure's class; `None` when it answered.
    pub class: Option<FailureClass>,
    /// How long it took, in milliseconds.
    pub latency_ms: u64,
    /// The tokens it used: the provider's figures, or for a stream that
    /// broke our own count of what was sent and received (never zero for
    /// a call that reached the model).
    pub usage: Usage,
}

/// What the user reads about a failure: the class and the catalogue's words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserFailure {
    /// The class, a stable snake_case code.
    pub class: FailureClass,
    /// What happened, in plain language.
    pub message: String,
    /// What to do.
    pub hint: String,
    /// How long to wait before trying again, when the provider said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

impl UserFailure {
    /// The words for `failed`.
    pub fn of(failed: &Classified) -> UserFailure {
        let entry = failed.class.entry();
        let message = match failed.class {
            FailureClass::RateLimited => {
                failure::rate_limited(failed.retry_after.map(|d| d.as_secs().max(1)))
            }
            // Our own quota's detail is our words for the user (what was
            // hit and when it resets), not a provider's text.
            FailureClass::QuotaExceeded => failed.detail.clone(),
            _ => entry.message.to_owned(),
        };
        UserFailure {
            class: failed.class,
            message,
            hint: entry.hint.to_owned(),
            retry_after_ms: failed.retry_after.map(|d| d.as_millis() as u64),
        }
    }
}

/// A failed call: the classified failure, and whether text had already
/// been streamed to the caller when it failed.
#[derive(Debug, Clone)]
pub struct Failed {
    /// The failure, with its detail for the log.
    pub failure: Classified,
    /// Whether the caller had received text (a stream that broke midway).
    pub streamed: bool,
}

/// How a call ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The answer, or the last failure.
    pub result: Result<ChatAnswer, Failed>,
    /// Every attempt, in order.
    pub attempts: Vec<Attempt>,
}

impl Outcome {
    /// The failure as the user reads it; `None` when it answered.
    pub fn user_failure(&self) -> Option<UserFailure> {
        Some(UserFailure::of(&self.result.as_ref().err()?.failure))
    }

    /// What happened, in one sentence.
    pub fn summary(&self) -> String {
        match &self.result {
            Ok(answer) if answer.dry_run => words::DRY_RUN.to_owned(),
            Ok(answer) => summary(&self.attempts, Some(&answer.model)),
            Err(_) => summary(&self.attempts, None),
        }
    }
}

/// The sentence for `attempts` (see [`words::summary`]).
pub fn summary(attempts: &[Attempt], answered_by: Option<&str>) -> String {
    let pairs: Vec<(&str, Option<FailureClass>)> = attempts
        .iter()
        .map(|a| (a.model.as_str(), a.class))
        .collect();
    words::summary(&pairs, answered_by)
}

/// One call: where it goes and how.
pub struct Call<'a> {
    /// The contract's model, then its fallbacks.
    pub routes: &'a [Route],
    /// The request (its `model` is replaced by each route's).
    pub request: ChatRequest,
    /// What the call is for, for the attempts (`answer`, `part 2 of 5`).
    pub step: String,
    /// The tokens of the request, input and reserved output, as we
    /// counted them: a route whose window is smaller is skipped after a
    /// `context_too_long`, and a broken stream is charged the input.
    pub tokens: (u64, u64),
    /// How hard to try.
    pub policy: Policy,
    /// When the run's deadline started.
    pub started: Instant,
    /// Stream from the provider.
    pub stream: bool,
    /// Pass the streamed text on to the caller as it comes ([`RunEvent::Delta`]).
    pub live: bool,
    /// The breakers and the operator's failure log.
    pub health: Option<&'a Health>,
    /// Where events go.
    pub events: Events,
    /// The user's allowance, asked before every attempt and told what each
    /// one used; `None` for no limit.
    pub budget: Option<&'a dyn Budget>,
}

/// How an attempt failed.
struct AttemptFailure {
    failure: Classified,
    /// Whether the provider accepted the request (a stream opened).
    opened: bool,
    streamed: bool,
    received: String,
}

/// Asks the chain, retrying and falling back as the failure classes
/// allow. `sleep` waits (tests pass a recorder instead of real time).
pub async fn call<S, F>(call: Call<'_>, mut sleep: S) -> Outcome
where
    S: FnMut(Duration) -> F,
    F: std::future::Future<Output = ()>,
{
    let seeds = RandomState::new();
    let mut attempts: Vec<Attempt> = Vec::new();
    let mut last: Option<Classified> = None;
    let mut previous: Option<&Route> = None;
    let needed = call.tokens.0 + call.tokens.1;
    for route in call.routes {
        let too_small = route.window.is_some_and(|w| w < needed);
        let after_overflow = last
            .as_ref()
            .is_some_and(|f| f.class == FailureClass::ContextTooLong);
        if too_small && after_overflow {
            continue;
        }
        if let (Some(from), Some(failed)) = (previous, &last) {
            (call.events)(RunEvent::Fallback {
                from: from.model.clone(),
                to: route.model.clone(),
                message: words::fallback(&from.model, &route.model, failed.class),
            });
        }
        previous = Some(route);
        let provider = route.chat.name().to_owned();
        let mut tries = 0;
        loop {
            if let Some(health) = call.health {
                if !health.allow(&provider, &route.model) {
                    tracing::info!(%provider, model = %route.model, "circuit open; skipped");
                    last = Some(Classified {
                        class: FailureClass::ProviderUnavailable,
                        status: None,
                        provider_code: Some("circuit_open".into()),
                        detail: format!("the circuit breaker for {} is open", route.model),
                        retry_after: None,
                    });
                    break;
                }
            }
            // Our own limits for the provider: book the first moment there
            // is room and wait for it, or give up with the wait when it
            // will not come in time.
            let mut _permit = None;
            if let Some(limiter) = &route.limiter {
                let needed = call.tokens.0 + call.tokens.1;
                let patience = call.policy.deadline.saturating_sub(call.started.elapsed());
                match limiter.book(needed, Instant::now(), patience) {
                    Ok(wait) if wait.is_zero() => {}
                    Ok(wait) => {
                        (call.events)(RunEvent::Waiting {
                            class: FailureClass::RateLimited,
                            wait_ms: wait.as_millis() as u64,
                            message: words::our_limit(wait.as_millis() as u64),
                        });
                        sleep(wait).await;
                    }
                    Err(wait) => {
                        return Outcome {
                            result: Err(Failed {
                                failure: our_limit(&provider, wait),
                                streamed: false,
                            }),
                            attempts,
                        }
                    }
                }
                let patience = call.policy.deadline.saturating_sub(call.started.elapsed());
                match limiter.enter(patience).await {
                    Ok(permit) => _permit = permit,
                    Err(()) => {
                        return Outcome {
                            result: Err(Failed {
                                failure: our_limit(&provider, Duration::from_secs(1)),
                                streamed: false,
                            }),
                            attempts,
                        }
                    }
                }
            }
            if let Some(budget) = call.budget {
                if let Err(refused) = budget.cover(&route.model, call.tokens).await {
                    return Outcome {
                        result: Err(Failed {
                            failure: refused,
                            streamed: false,
                        }),
                        attempts,
                    };
                }
            }
            tries += 1;
            let mut request = call.request.clone();
            request.model = route.model.clone();
            (call.events)(RunEvent::Attempt {
                n: attempts.len() + 1,
                provider: provider.clone(),
                model: route.model.clone(),
                step: call.step.clone(),
            });
            let begin = Instant::now();
            let result = attempt(route.chat.as_ref(), request, &call).await;
            let latency = begin.elapsed();
            let (class, usage) = match &result {
                Ok(answer) => (None, answer.usage),
                Err(f) => (Some(f.failure.class), charged(&call, f)),
            };
            if let Some(budget) = call.budget {
                budget.charge(&route.model, call.tokens, &usage);
            }
            attempts.push(Attempt {
                provider: provider.clone(),
                model: route.model.clone(),
                step: call.step.clone(),
                class,
                latency_ms: latency.as_millis() as u64,
                usage,
            });
            if let Some(health) = call.health.filter(|_| route.chat.is_live()) {
                health.record(
                    &provider,
                    &route.model,
                    result.as_ref().err().map(|f| &f.failure),
                    latency,
                );
            }
            let failed = match result {
                Ok(answer) => {
                    return Outcome {
                        result: Ok(answer),
                        attempts,
                    }
                }
                Err(failed) => failed,
            };
            let f = &failed.failure;
            tracing::warn!(
                %provider,
                model = %route.model,
                class = %f.class,
                status = f.status,
                provider_code = f.provider_code.as_deref(),
                detail = %f.detail,
                attempt = attempts.len(),
                latency_ms = latency.as_millis() as u64,
                "model call failed"
            );
            if failed.streamed {
                return Outcome {
                    result: Err(Failed {
                        failure: failed.failure,
                        streamed: true,
                    }),
                    attempts,
                };
            }
            let wait = match f.class.entry().retry {
                RetryPolicy::AfterHint => Some(f.retry_after.unwrap_or_else(|| {
                    backoff(
                        tries - 1,
                        call.policy.base_delay,
                        call.policy.max_delay,
                        seeds.hash_one(tries),
                    )
                })),
                RetryPolicy::Backoff => Some(backoff(
                    tries - 1,
                    call.policy.base_delay,
                    call.policy.max_delay,
                    seeds.hash_one(tries),
                )),
                _ => None,
            };
            // The provider's own hint holds every call to it back, so the
            // other requests wait (or queue) instead of being refused too.
            if let (FailureClass::RateLimited, Some(hint), Some(limiter)) =
                (f.class, f.retry_after, &route.limiter)
            {
                limiter.pause(hint, Instant::now());
            }
            let next_route = matches!(
                f.class,
                FailureClass::ContextTooLong
                    | FailureClass::ProviderQuotaExhausted
                    | FailureClass::AuthFailed
            );
            last = Some(failed.failure);
            let Some(wait) = wait else {
                if next_route {
                    break; // another model may take it
                }
                return Outcome {
                    result: Err(Failed {
                        failure: last.expect("set above"),
                        streamed: false,
                    }),
                    attempts,
                };
            };
            let in_time = call.started.elapsed() + wait <= call.policy.deadline;
            if tries >= call.policy.max_attempts || !in_time {
                break; // to the next model, if there is one
            }
            let class = last.as_ref().map_or(FailureClass::Unknown, |f| f.class);
            (call.events)(RunEvent::Waiting {
                class,
                wait_ms: wait.as_millis() as u64,
                message: words::waiting(class, wait.as_millis() as u64),
            });
            sleep(wait).await;
        }
    }
    let failure = last.unwrap_or_else(|| Classified {
        class: FailureClass::ContextTooLong,
        status: None,
        provider_code: None,
        detail: format!("no model of the chain has a window of {needed} tokens"),
        retry_after: None,
    });
    Outcome {
        result: Err(Failed {
            failure,
            streamed: false,
        }),
        attempts,
    }
}

/// Our own rate limit for `provider`, with how long until it has room.
fn our_limit(provider: &str, wait: Duration) -> Classified {
    Classified {
        class: FailureClass::RateLimited,
        status: None,
        provider_code: Some("our_rate_limit".into()),
        detail: format!("our limit for {provider} ([providers.{provider}] in preflight.toml) has no room before the deadline"),
        retry_after: Some(wait),
    }
}

/// What a failed attempt is charged: nothing when the provider refused
/// it; for a stream that broke, the input and the text received, as we
/// count them (the provider has read the whole request by then).
fn charged(call: &Call<'_>, failed: &AttemptFailure) -> Usage {
    if !failed.opened {
        return Usage::default();
    }
    Usage {
        input: call.tokens.0,
        output: Encoding::O200kBase.count(&failed.received).count,
        cached: 0,
        counted_by_us: true,
    }
}

/// One attempt, whole or streamed.
async fn attempt(
    chat: &dyn Chat,
    request: ChatRequest,
    call: &Call<'_>,
) -> Result<ChatAnswer, AttemptFailure> {
    let refused = |failure| AttemptFailure {
        failure,
        opened: false,
        streamed: false,
        received: String::new(),
    };
    if !call.stream {
        return chat.chat(request).await.map_err(refused);
    }
    let fallback_model = request.model.clone();
    let mut stream = chat.stream(request).await.map_err(refused)?;
    let mut text = String::new();
    let mut streamed = false;
    while let Some(item) = stream.next().await {
        match item {
            Ok(StreamItem::Delta(piece)) => {
                if call.live {
                    (call.events)(RunEvent::Delta {
                        text: piece.clone(),
                    });
                    streamed = true;
                }
                text.push_str(&piece);
            }
            Ok(StreamItem::End {
                model,
                usage,
                finish,
            }) => {
                return Ok(ChatAnswer {
                    text,
                    model: if model.is_empty() {
                        fallback_model
                    } else {
                        model
                    },
                    usage,
                    finish,
                    dry_run: !chat.is_live(),
                })
            }
            Err(failure) => {
                return Err(AttemptFailure {
                    failure,
                    opened: true,
                    streamed,
                    received: text,
                })
            }
        }
    }
    Err(AttemptFailure {
        failure: crate::classify::classify_transport(
            crate::classify::Transport::Body,
            "the stream ended without its end",
        ),
        opened: true,
        streamed,
        received: text,
    })
}

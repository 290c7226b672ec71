//! One model call with recovery: a failure is retried when its class says
//! so ([`RetryPolicy`]), after the provider's hint or a backoff with
//! jitter, all under one deadline. Every attempt is recorded, and the
//! outcome ends in words a person can act on.

use crate::chat::{backoff, Chat, ChatAnswer, ChatRequest, Usage};
use crate::classify::Classified;
use prompt_preflight::messages::failure;
use prompt_preflight::{FailureClass, RetryPolicy};
use serde::Serialize;
use std::hash::{BuildHasher, RandomState};
use std::time::{Duration, Instant};

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The first backoff; it doubles with each retry.
    pub base_delay: Duration,
    /// The longest backoff.
    pub max_delay: Duration,
    /// The end-to-end deadline across every attempt and wait.
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

/// One call to a model, as the response reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attempt {
    /// Who was asked (`openai`, `dry-run`).
    pub provider: String,
    /// The model asked for.
    pub model: String,
    /// The failure's class; `None` when it answered.
    pub class: Option<FailureClass>,
    /// How long it took, in milliseconds.
    pub latency_ms: u64,
    /// The tokens it used (zero when it failed before answering).
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

/// How a run ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The answer, or the last failure (with its detail, for the log).
    pub result: Result<ChatAnswer, Classified>,
    /// Every attempt, in order.
    pub attempts: Vec<Attempt>,
    /// What happened, in one sentence: "Answered by gpt-4o-mini after 2
    /// attempts: the first was rate limited."
    pub summary: String,
}

impl Outcome {
    /// The failure as the user reads it; `None` when it answered.
    pub fn user_failure(&self) -> Option<UserFailure> {
        let failed = self.result.as_ref().err()?;
        let entry = failed.class.entry();
        let message = match failed.class {
            FailureClass::RateLimited => {
                failure::rate_limited(failed.retry_after.map(|d| d.as_secs().max(1)))
            }
            _ => entry.message.to_owned(),
        };
        Some(UserFailure {
            class: failed.class,
            message,
            hint: entry.hint.to_owned(),
            retry_after_ms: failed.retry_after.map(|d| d.as_millis() as u64),
        })
    }
}

/// Asks `chat`, retrying as the failure classes allow under `policy`.
/// `sleep` waits (tests pass a recorder instead of real time).
pub async fn run<S, F>(
    chat: &dyn Chat,
    request: ChatRequest,
    policy: Policy,
    mut sleep: S,
) -> Outcome
where
    S: FnMut(Duration) -> F,
    F: std::future::Future<Output = ()>,
{
    let started = Instant::now();
    let seeds = RandomState::new();
    let mut attempts = Vec::new();
    let mut waited = Duration::ZERO;
    loop {
        let begin = Instant::now();
        let result = chat.chat(request.clone()).await;
        let latency_ms = begin.elapsed().as_millis() as u64;
        let (class, usage) = match &result {
            Ok(answer) => (None, answer.usage),
            Err(failed) => (Some(failed.class), Usage::default()),
        };
        attempts.push(Attempt {
            provider: chat.name().to_owned(),
            model: request.model.clone(),
            class,
            latency_ms,
            usage,
        });
        let failed = match result {
            Ok(answer) => {
                let summary = if answer.dry_run {
                    "Dry run: no model was called (no provider key is configured).".to_owned()
                } else {
                    summary(&attempts, Some(&answer.model))
                };
                return Outcome {
                    result: Ok(answer),
                    attempts,
                    summary,
                };
            }
            Err(failed) => failed,
        };
        tracing::warn!(
            provider = chat.name(),
            model = %request.model,
            class = %failed.class,
            status = failed.status,
            provider_code = failed.provider_code.as_deref(),
            detail = %failed.detail,
            attempt = attempts.len(),
            latency_ms,
            "model call failed"
        );
        let retry = failed.class.entry().retry;
        let n = attempts.len() as u32;
        let wait = match retry {
            RetryPolicy::AfterHint => failed.retry_after.unwrap_or_else(|| {
                backoff(
                    n - 1,
                    policy.base_delay,
                    policy.max_delay,
                    seeds.hash_one(n),
                )
            }),
            RetryPolicy::Backoff => backoff(
                n - 1,
                policy.base_delay,
                policy.max_delay,
                seeds.hash_one(n),
            ),
            _ => {
                let summary = summary(&attempts, None);
                return Outcome {
                    result: Err(failed),
                    attempts,
                    summary,
                };
            }
        };
        let out_of_time = started.elapsed() + waited + wait > policy.deadline;
        if n >= policy.max_attempts || out_of_time {
            let summary = summary(&attempts, None);
            return Outcome {
                result: Err(failed),
                attempts,
                summary,
            };
        }
        sleep(wait).await;
        waited += wait;
    }
}

/// The words for a class in a summary: "was rate limited", "timed out".
fn what(class: FailureClass) -> &'static str {
    match class {
        FailureClass::RateLimited => "was rate limited",
        FailureClass::ContextTooLong => "was too long for the model",
        FailureClass::OutputTruncated => "was cut off",
        FailureClass::InvalidRequest => "was refused as invalid",
        FailureClass::AuthFailed => "was refused: the service is misconfigured",
        FailureClass::ProviderQuotaExhausted => "found the provider's quota spent",
        FailureClass::ContentFiltered => "was blocked by the provider's filter",
        FailureClass::Timeout => "timed out",
        FailureClass::ProviderUnavailable => "found the provider unavailable",
        _ => "failed",
    }
}

fn ordinal(n: usize) -> &'static str {
    ["first", "second", "third", "fourth", "fifth"]
        .get(n)
        .copied()
        .unwrap_or("next")
}

/// "Answered by gpt-4o-mini.", "Answered by gpt-4o-mini after 3 attempts:
/// the first two found the provider unavailable.", "No answer after 2
/// attempts: the first was rate limited, and the second timed out."
fn summary(attempts: &[Attempt], answered_by: Option<&str>) -> String {
    let failed: Vec<FailureClass> = attempts.iter().filter_map(|a| a.class).collect();
    let all_alike = failed.windows(2).all(|w| w[0] == w[1]);
    let list = match failed.as_slice() {
        [] => String::new(),
        [one] => format!("the first {}", what(*one)),
        [first, ..] if all_alike && answered_by.is_none() => format!("each {}", what(*first)),
        [first, ..] if all_alike => {
            let n = ["", "", "two", "three", "four", "five"]
                .get(failed.len())
                .copied()
                .unwrap_or("few");
            format!("the first {n} {}", what(*first))
        }
        _ => {
            let each: Vec<String> = failed
                .iter()
                .enumerate()
                .map(|(i, c)| format!("the {} {}", ordinal(i), what(*c)))
                .collect();
            let (last, rest) = each.split_last().expect("two or more");
            format!("{}, and {last}", rest.join(", "))
        }
    };
    match (answered_by, failed.is_empty()) {
        (Some(model), true) => format!("Answered by {model}."),
        (Some(model), false) => format!(
            "Answered by {model} after {} attempts: {list}.",
            attempts.len()
        ),
        (None, _) => format!(
            "No answer after {} attempt{}: {list}.",
            attempts.len(),
            if attempts.len() == 1 { "" } else { "s" }
        ),
    }
}

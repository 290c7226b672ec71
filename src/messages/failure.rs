//! The words for a failed call to a model, one entry per
//! [`FailureClass`]: what the user reads, what they can do, what the
//! operator reads, and whether the call is tried again. The technical
//! detail (status, the provider's body) goes to the log, never to the user.

use crate::words::group_digits;
use crate::{FailureClass, RetryPolicy};
use serde::Serialize;

/// The catalogue entry of a failure class.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailureEntry {
    /// The class.
    pub class: FailureClass,
    /// What the user reads, in plain language.
    pub message: &'static str,
    /// What the user can do.
    pub hint: &'static str,
    /// What the operator reads (the log and the operator view).
    pub operator: &'static str,
    /// Whether and how the call is tried again.
    pub retry: RetryPolicy,
}

impl FailureClass {
    /// The catalogue entry for this class.
    ///
    /// ```
    /// use prompt_preflight::{FailureClass, RetryPolicy};
    /// let auth = FailureClass::AuthFailed.entry();
    /// assert_eq!(auth.message, "The service is misconfigured; we have been told.");
    /// assert_eq!(auth.retry, RetryPolicy::Never);
    /// ```
    #[rustfmt::skip]
    pub fn entry(self) -> FailureEntry {
        use RetryPolicy::*;
        let (message, hint, operator, retry) = match self {
            FailureClass::RateLimited => (
                "We're experiencing high demand, so your request is waiting its turn.",
                "Nothing to do: it is sent again as soon as the provider allows.",
                "The provider's rate limit was hit (429); retried after its hint.", AfterHint),
            FailureClass::ContextTooLong => (
                "Your input is too large for this model.",
                "Shorten it, keep only the parts that matter, or split it into parts.",
                "The provider refused the request as longer than the model's context window.", Recover),
            FailureClass::OutputTruncated => (
                "The answer was cut off because it reached its length limit.",
                "Ask for a shorter answer, or split the input so each answer is shorter.",
                "The answer stopped at the output limit (finish_reason length, stop_reason max_tokens, MAX_TOKENS).", Recover),
            FailureClass::InvalidRequest => (
                "The AI couldn't understand this input format.",
                "Send the input in the format the task describes.",
                "The provider refused the request as invalid (400); see its body in the log.", Never),
            FailureClass::AuthFailed => (
                "The service is misconfigured; we have been told.",
                "Nothing to do on your side; try again later.",
                "The provider refused the key or the model (401, 403 or 404): check the API key, the base URL and the model name.", Never),
            FailureClass::ProviderQuotaExhausted => (
                "The AI service has run out of capacity for now; this is not your plan's limit.",
                "Try again later; your own allowance is not affected.",
                "The provider's quota or billing is exhausted (insufficient_quota, billing): raise it with the provider.", Never),
            FailureClass::ContentFiltered => (
                "The AI service's safety filter blocked this request or its answer.",
                "Rephrase the input, or remove the part that may be flagged.",
                "The provider's content filter blocked the prompt or the answer.", Never),
            FailureClass::Timeout => (
                "The AI took too long to answer.",
                "Try again; a shorter input answers faster.",
                "No answer within the timeout.", Backoff),
            FailureClass::ProviderUnavailable => (
                "The AI service is unavailable right now.",
                "Try again in a moment.",
                "The provider is down or overloaded (5xx, 529, connection refused or reset).", Backoff),
            FailureClass::QuotaExceeded => (
                "Your plan's allowance ran out before this request could finish.",
                "Wait until it resets, send a shorter input, or ask for a bigger plan.",
                "The user's own quota (their tier's allowance) had no room for another call; see the usage view.", Never),
            FailureClass::Unknown => (
                "Something went wrong while asking the AI.",
                "Try again in a moment.",
                "The provider's answer fits no known class; see the log.", Never),
        };
        FailureEntry { class: self, message, hint, operator, retry }
    }
}

/// Every failure class's entry, in order.
pub fn failure_catalogue() -> Vec<FailureEntry> {
    FailureClass::ALL.iter().map(|c| c.entry()).collect()
}

/// "in about 2 minutes", "in a few seconds".
fn in_about(seconds: u64) -> String {
    match seconds {
        0..=9 => "in a few seconds".to_owned(),
        10..=59 => format!("in about {} seconds", seconds.div_ceil(10) * 10),
        _ => {
            let minutes = (seconds + 30) / 60;
            format!(
                "in about {minutes} minute{}",
                if minutes == 1 { "" } else { "s" }
            )
        }
    }
}

/// The user's words for a rate limit, with the wait when the provider
/// said it: "We're experiencing high demand. Your request is waiting and
/// should finish in about 2 minutes."
///
/// ```
/// use prompt_preflight::messages::failure::rate_limited;
/// assert_eq!(
///     rate_limited(Some(100)),
///     "We're experiencing high demand. Your request is waiting and should finish in about 2 minutes."
/// );
/// ```
pub fn rate_limited(wait_seconds: Option<u64>) -> String {
    match wait_seconds {
        Some(s) => format!(
            "We're experiencing high demand. Your request is waiting and should finish {}.",
            in_about(s)
        ),
        None => FailureClass::RateLimited.entry().message.to_owned(),
    }
}

/// The words for a request accepted as a job: "Your request is queued
/// (3 ahead of it) and should start in about 20 seconds."
///
/// ```
/// use prompt_preflight::messages::failure::queued;
/// assert_eq!(queued(0, 4_000), "Your request is queued and should start in a few seconds.");
/// assert_eq!(queued(3, 21_000), "Your request is queued (3 ahead of it) and should start in about 30 seconds.");
/// ```
pub fn queued(ahead: u64, eta_ms: u64) -> String {
    let ahead = match ahead {
        0 => String::new(),
        n => format!(" ({n} ahead of it)"),
    };
    format!(
        "Your request is queued{ahead} and should start {}.",
        in_about(eta_ms.div_ceil(1000))
    )
}

/// The user's words for a context overflow, and what was done about it
/// (`parts`: the input was split into that many parts).
///
/// ```
/// use prompt_preflight::messages::failure::context_too_long;
/// assert_eq!(
///     context_too_long(130_012, 128_000, Some(2)),
///     "Your input is too large for this model: 130,012 tokens where 128,000 fit. We split it into 2 parts and answer them one by one."
/// );
/// ```
pub fn context_too_long(tokens: u64, fits: u64, parts: Option<u64>) -> String {
    let size = format!(
        "Your input is too large for this model: {} tokens where {} fit.",
        group_digits(tokens),
        group_digits(fits)
    );
    match parts {
        Some(n) => format!("{size} We split it into {n} parts and answer them one by one."),
        None => format!("{size} {}", FailureClass::ContextTooLong.entry().hint),
    }
}

/// The user's words for input the provider could not use, with an example
/// of what works (from the contract) when there is one.
pub fn invalid_request(example: Option<&str>) -> String {
    let message = FailureClass::InvalidRequest.entry().message;
    match example {
        Some(example) => format!("{message} Here's an example of what works:\n{example}"),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_as_people_say_them() {
        assert_eq!(in_about(3), "in a few seconds");
        assert_eq!(in_about(34), "in about 40 seconds");
        assert_eq!(in_about(100), "in about 2 minutes");
        assert_eq!(in_about(60), "in about 1 minute");
        assert_eq!(
            rate_limited(None),
            FailureClass::RateLimited.entry().message
        );
    }

    #[test]
    fn every_class_has_words_and_a_policy() {
        let all = failure_catalogue();
        assert_eq!(all.len(), FailureClass::ALL.len());
        for e in all {
            assert!(e.message.ends_with('.') && e.hint.ends_with('.'), "{e:?}");
            let json = serde_json::to_value(e.class).unwrap();
            assert_eq!(json, e.class.as_str());
        }
        assert!(invalid_request(Some("name,email")).ends_with("works:\nname,email"));
    }
}

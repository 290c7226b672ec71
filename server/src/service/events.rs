//! What a run tells its caller while it works: each attempt, each wait
//! and why, each part of a plan, and the answer's text as it streams. The
//! `/v1/run` stream sends these as Server-Sent Events; a plain request
//! ignores them.

use prompt_preflight::FailureClass;
use serde::Serialize;
use std::sync::Arc;

/// One thing that happened during a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RunEvent {
    /// A model is being asked.
    Attempt {
        /// The attempt's number in the run, from 1.
        n: usize,
        /// Who is asked.
        provider: String,
        /// The model asked.
        model: String,
        /// What the call is for: `answer`, `part 2 of 5`, `combine`,
        /// `continuation 1`, `shorter`, `re-ask`.
        step: String,
    },
    /// The run waits before it tries again: the provider's rate limit (its
    /// hint), a backoff after a failure, or our own limit for it.
    Waiting {
        /// Why.
        class: FailureClass,
        /// How long, in milliseconds.
        wait_ms: u64,
        /// What the user reads: "We're experiencing high demand. Your
        /// request is waiting and should finish in a few seconds."
        message: String,
    },
    /// The next model of the contract's fallback chain takes over.
    Fallback {
        /// The model that failed.
        from: String,
        /// The model asked next.
        to: String,
        /// Why, in words.
        message: String,
    },
    /// A part of a map-reduce plan started or got its answer.
    Part {
        /// Its number, from 1.
        index: usize,
        /// How many parts there are.
        of: usize,
        /// `started`, `answered` or `failed`.
        state: &'static str,
    },
    /// The next piece of the answer's text.
    Delta {
        /// The text.
        text: String,
    },
}

/// Where a run's events go.
pub type Events = Arc<dyn Fn(RunEvent) + Send + Sync>;

/// Events that go nowhere.
pub fn ignore() -> Events {
    Arc::new(|_| {})
}

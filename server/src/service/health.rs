//! How each provider and model is doing: a circuit breaker per provider
//! and model, and the last failures with their technical detail, for the
//! operator view (`GET /v1/admin/providers`) and never for end users.
//!
//! A breaker opens after [`BreakerPolicy::failures`] failures in a row
//! that say the provider is unwell (unavailable, timed out); while open,
//! calls skip that model (to the next fallback) without waiting on it.
//! After [`BreakerPolicy::cool_down`] it is half-open: one call at a time
//! probes it, and a success closes it, a failure opens it again.

use crate::classify::Classified;
use prompt_preflight::FailureClass;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// When a breaker opens and how long it stays open.
#[derive(Debug, Clone, Copy)]
pub struct BreakerPolicy {
    /// Failures in a row that open it.
    pub failures: u32,
    /// How long it stays open before a probe.
    pub cool_down: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        BreakerPolicy {
            failures: 5,
            cool_down: Duration::from_secs(30),
        }
    }
}

/// A breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls skip this model until the cool-down ends.
    Open,
    /// One probe at a time goes through.
    HalfOpen,
}

#[derive(Debug, Clone)]
struct Breaker {
    state: BreakerState,
    failures_in_a_row: u32,
    opened: Option<Instant>,
    probing: bool,
    calls: u64,
    failed: u64,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker {
            state: BreakerState::Closed,
            failures_in_a_row: 0,
            opened: None,
            probing: false,
            calls: 0,
            failed: 0,
        }
    }
}

/// One breaker, as the operator sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BreakerView {
    /// The provider (`openai`).
    pub provider: String,
    /// The model.
    pub model: String,
    /// Its state.
    pub state: BreakerState,
    /// Failures in a row so far.
    pub failures_in_a_row: u32,
    /// For an open breaker, when the next probe may go, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe_in_ms: Option<u64>,
    /// Calls since start.
    pub calls: u64,
    /// Failed calls since start.
    pub failed: u64,
}

/// One failed call, with the detail users never see.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailureRecord {
    /// When, in milliseconds since 1970.
    pub at_ms: u64,
    /// The provider.
    pub provider: String,
    /// The model.
    pub model: String,
    /// The class.
    pub class: FailureClass,
    /// The HTTP status, when there was one.
    pub status: Option<u16>,
    /// The provider's code.
    pub provider_code: Option<String>,
    /// The provider's words (at most 500 characters).
    pub detail: String,
    /// The attempt's latency, in milliseconds.
    pub latency_ms: u64,
}

/// The breakers and the recent failures of every provider and model.
#[derive(Debug, Default)]
pub struct Health {
    policy: BreakerPolicy,
    breakers: Mutex<BTreeMap<(String, String), Breaker>>,
    recent: Mutex<VecDeque<FailureRecord>>,
}

/// How many failures the operator view keeps.
pub const RECENT_FAILURES: usize = 100;

/// Whether a failure says the provider itself is unwell.
fn unwell(class: FailureClass) -> bool {
    matches!(
        class,
        FailureClass::ProviderUnavailable | FailureClass::Timeout
    )
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Health {
    /// Breakers with `policy`.
    pub fn new(policy: BreakerPolicy) -> Health {
        Health {
            policy,
            ..Health::default()
        }
    }

    /// Whether a call to `model` of `provider` may go now. A half-open
    /// breaker lets one probe through; the caller must then report it.
    pub fn allow(&self, provider: &str, model: &str) -> bool {
        let mut breakers = lock(&self.breakers);
        let breaker = breakers
            .entry((provider.to_owned(), model.to_owned()))
            .or_default();
        match breaker.state {
            BreakerState::Closed => true,
            BreakerState::Open => {
                let cooled = breaker
                    .opened
                    .is_some_and(|t| t.elapsed() >= self.policy.cool_down);
                if cooled {
                    breaker.state = BreakerState::HalfOpen;
                    breaker.probing = true;
                }
                cooled
            }
            BreakerState::HalfOpen if breaker.probing => false,
            BreakerState::HalfOpen => {
                breaker.probing = true;
                true
            }
        }
    }

    /// Reports a call's result.
    pub fn record(
        &self,
        provider: &str,
        model: &str,
        failure: Option<&Classified>,
        latency: Duration,
    ) {
        {
            let mut breakers = lock(&self.breakers);
            let breaker = breakers
                .entry((provider.to_owned(), model.to_owned()))
                .or_default();
            breaker.calls += 1;
            breaker.probing = false;
            match failure {
                Some(f) if unwell(f.class) => {
                    breaker.failed += 1;
                    breaker.failures_in_a_row += 1;
                    if breaker.state == BreakerState::HalfOpen
                        || breaker.failures_in_a_row >= self.policy.failures
                    {
                        if breaker.state != BreakerState::Open {
                            tracing::warn!(provider, model, "circuit breaker opened");
                        }
                        breaker.state = BreakerState::Open;
                        breaker.opened = Some(Instant::now());
                    }
                }
                Some(_) => {
                    // The provider answered (a refusal, a rate limit): it
                    // is up, whatever it said.
                    breaker.failed += 1;
                    breaker.failures_in_a_row = 0;
                    breaker.state = BreakerState::Closed;
                }
                None => {
                    if breaker.state != BreakerState::Closed {
                        tracing::info!(provider, model, "circuit breaker closed");
                    }
                    breaker.failures_in_a_row = 0;
                    breaker.state = BreakerState::Closed;
                }
            }
        }
        if let Some(f) = failure {
            let mut recent = lock(&self.recent);
            if recent.len() == RECENT_FAILURES {
                recent.pop_front();
            }
            recent.push_back(FailureRecord {
                at_ms: SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as u64),
                provider: provider.to_owned(),
                model: model.to_owned(),
                class: f.class,
                status: f.status,
                provider_code: f.provider_code.clone(),
                detail: f.detail.chars().take(500).collect(),
                latency_ms: latency.as_millis() as u64,
            });
        }
    }

    /// Every breaker.
    pub fn breakers(&self) -> Vec<BreakerView> {
        lock(&self.breakers)
            .iter()
            .map(|((provider, model), b)| BreakerView {
                provider: provider.clone(),
                model: model.clone(),
                state: b.state,
                failures_in_a_row: b.failures_in_a_row,
                probe_in_ms: (b.state == BreakerState::Open)
                    .then(|| {
                        b.opened
                            .map(|t| self.policy.cool_down.saturating_sub(t.elapsed()))
                    })
                    .flatten()
                    .map(|d| d.as_millis() as u64),
                calls: b.calls,
                failed: b.failed,
            })
            .collect()
    }

    /// The recent failures, newest first.
    pub fn recent_failures(&self) -> Vec<FailureRecord> {
        lock(&self.recent).iter().rev().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn down() -> Classified {
        Classified {
            class: FailureClass::ProviderUnavailable,
            status: Some(503),
            provider_code: None,
            detail: "overloaded".into(),
            retry_after: None,
        }
    }

    #[test]
    fn it_opens_after_failures_in_a_row_and_probes_once_cooled() {
        let health = Health::new(BreakerPolicy {
            failures: 2,
            cool_down: Duration::from_millis(30),
        });
        assert!(health.allow("openai", "m"));
        health.record("openai", "m", Some(&down()), Duration::ZERO);
        assert!(health.allow("openai", "m"));
        health.record("openai", "m", Some(&down()), Duration::ZERO);
        assert!(!health.allow("openai", "m"), "open");
        assert_eq!(health.breakers()[0].state, BreakerState::Open);
        std::thread::sleep(Duration::from_millis(40));
        assert!(health.allow("openai", "m"), "one probe");
        assert!(!health.allow("openai", "m"), "only one probe at a time");
        assert_eq!(health.breakers()[0].state, BreakerState::HalfOpen);
        health.record("openai", "m", Some(&down()), Duration::ZERO);
        assert!(!health.allow("openai", "m"), "the probe failed: open again");
        std::thread::sleep(Duration::from_millis(40));
        assert!(health.allow("openai", "m"));
        health.record("openai", "m", None, Duration::ZERO);
        assert!(health.allow("openai", "m") && health.allow("openai", "m"));
        assert_eq!(health.breakers()[0].state, BreakerState::Closed);
        assert_eq!(health.recent_failures().len(), 3);
    }

    #[test]
    fn a_refusal_is_not_a_sign_of_ill_health() {
        let health = Health::new(BreakerPolicy {
            failures: 1,
            cool_down: Duration::from_secs(60),
        });
        let refused = Classified {
            class: FailureClass::InvalidRequest,
            ..down()
        };
        health.record("openai", "m", Some(&refused), Duration::ZERO);
        assert!(health.allow("openai", "m"));
    }
}

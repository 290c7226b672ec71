//! Our own side of a provider's rate limits (`[providers.<name>]` in
//! `preflight.toml`): calls in flight at once, requests per minute and
//! tokens per minute, and requests per second. A call that would go over waits for room, and the
//! caller is told how long ([`super::events::RunEvent::Waiting`]); room
//! that will not come before the deadline is a `rate_limited` failure
//! with the wait, never a call the provider would refuse anyway. When the
//! provider itself refuses a call with a rate-limit hint, every call to it
//! holds back for that long ([`Limiter::pause`]).

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How much a provider may be sent: our side of its rate limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderLimits {
    /// Requests in flight at once.
    pub concurrency: Option<u32>,
    /// Requests per minute.
    pub rpm: Option<u32>,
    /// Requests in any one second: providers enforce a per-minute limit
    /// over shorter intervals too (OpenAI: 600 RPM may be enforced as 10
    /// requests a second), so a minute's allowance is not sent in a burst.
    pub rps: Option<u32>,
    /// Tokens per minute.
    pub tpm: Option<u64>,
}

/// The window the per-minute limits count over.
const WINDOW: Duration = Duration::from_secs(60);

/// The window of the per-second limit.
const SECOND: Duration = Duration::from_secs(1);

/// One provider's limits, shared by every call to it.
#[derive(Debug)]
pub struct Limiter {
    limits: ProviderLimits,
    in_flight: Option<Arc<Semaphore>>,
    /// The calls admitted in the last minute: when, and their tokens.
    recent: Mutex<VecDeque<(Instant, u64)>>,
    /// Until when the provider asked us to send nothing (its `retry-after`
    /// on a rate-limit answer).
    hold: Mutex<Option<Instant>>,
}

/// How fast a provider takes calls now: for a queued job's ETA.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pace {
    /// How long until the next call fits (zero: now).
    pub wait: Duration,
    /// The time between calls at its request limits (per minute, per
    /// second), when limited.
    pub every: Option<Duration>,
}

impl Limiter {
    /// A limiter for `limits`.
    pub fn new(limits: ProviderLimits) -> Limiter {
        Limiter {
            limits,
            in_flight: limits
                .concurrency
                .map(|n| Arc::new(Semaphore::new(n as usize))),
            recent: Mutex::new(VecDeque::new()),
            hold: Mutex::new(None),
        }
    }

    /// Sends nothing to the provider for `wait` from `now`: it answered a
    /// call with a rate-limit error and this hint, so every other call
    /// would be refused too. Later holds extend it, earlier ones do not
    /// shorten it.
    pub fn pause(&self, wait: Duration, now: Instant) {
        let mut hold = self.hold.lock().unwrap_or_else(PoisonError::into_inner);
        let until = now + wait;
        if hold.is_none_or(|h| h < until) {
            *hold = Some(until);
        }
    }

    /// How long the provider's own hint holds calls back (zero: not).
    fn held(&self, now: Instant) -> Duration {
        self.hold
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .map_or(Duration::ZERO, |h| h.saturating_duration_since(now))
    }

    /// How long until a call of `tokens` fits, and the rate calls go at.
    pub fn pace(&self, tokens: u64, now: Instant) -> Pace {
        let per_minute = self.limits.rpm.map(|n| WINDOW / n.max(1));
        let per_second = self.limits.rps.map(|n| SECOND / n.max(1));
        Pace {
            wait: self.wait_for(tokens, now),
            every: per_minute.max(per_second),
        }
    }

    /// The limits it enforces.
    pub fn limits(&self) -> ProviderLimits {
        self.limits
    }

    /// Admits a call of `tokens` now, or says how long until it fits the
    /// per-minute limits. A call larger than the whole token limit is
    /// admitted alone once the window is empty.
    pub fn admit(&self, tokens: u64, now: Instant) -> Result<(), Duration> {
        let held = self.held(now);
        if !held.is_zero() {
            return Err(held);
        }
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        Self::fits(&self.limits, &mut recent, tokens, now)?;
        recent.push_back((now, tokens));
        Ok(())
    }

    /// How long until a call of `tokens` would be admitted (zero: now),
    /// without admitting it; a full concurrency limit counts as a short
    /// wait. For deciding to queue a request rather than hold it open.
    pub fn wait_for(&self, tokens: u64, now: Instant) -> Duration {
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        let wait = Self::fits(&self.limits, &mut recent, tokens, now)
            .err()
            .unwrap_or(Duration::ZERO)
            .max(self.held(now));
        let full = self
            .in_flight
            .as_ref()
            .is_some_and(|s| s.available_permits() == 0);
        if full {
            wait.max(Duration::from_millis(500))
        } else {
            wait
        }
    }

    fn fits(
        limits: &ProviderLimits,
        recent: &mut VecDeque<(Instant, u64)>,
        tokens: u64,
        now: Instant,
    ) -> Result<(), Duration> {
        while recent
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) >= WINDOW)
        {
            recent.pop_front();
        }
        let until_oldest_leaves = |recent: &VecDeque<(Instant, u64)>, skip: usize| {
            recent.get(skip).map_or(Duration::ZERO, |(t, _)| {
                WINDOW.saturating_sub(now.duration_since(*t))
            })
        };
        if let Some(rpm) = limits.rpm {
            let rpm = rpm as usize;
            if recent.len() >= rpm {
                return Err(until_oldest_leaves(recent, recent.len() - rpm));
            }
        }
        if let Some(rps) = limits.rps {
            let second = recent
                .iter()
                .rev()
                .take_while(|(t, _)| now.duration_since(*t) < SECOND)
                .count();
            if second >= rps as usize {
                // Until the oldest call of the last second is a second old.
                let oldest = recent[recent.len() - second].0;
                return Err(SECOND.saturating_sub(now.duration_since(oldest)));
            }
        }
        if let Some(tpm) = limits.tpm {
            let used: u64 = recent.iter().map(|(_, n)| n).sum();
            if used + tokens > tpm && !recent.is_empty() {
                // Wait until enough of the oldest calls leave the window.
                let mut freed = 0;
                for (i, (_, n)) in recent.iter().enumerate() {
                    freed += n;
                    if used - freed + tokens <= tpm || i + 1 == recent.len() {
                        return Err(until_oldest_leaves(recent, i));
                    }
                }
            }
        }
        Ok(())
    }

    /// A place among the calls in flight, waiting at most `patience`;
    /// `Ok(None)` when there is no concurrency limit.
    pub async fn enter(&self, patience: Duration) -> Result<Option<OwnedSemaphorePermit>, ()> {
        let Some(semaphore) = &self.in_flight else {
            return Ok(None);
        };
        match tokio::time::timeout(patience, semaphore.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Some(permit)),
            _ => Err(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_per_minute_wait_for_the_oldest_to_leave() {
        let limiter = Limiter::new(ProviderLimits {
            rpm: Some(2),
            ..ProviderLimits::default()
        });
        let t0 = Instant::now();
        assert!(limiter.admit(10, t0).is_ok());
        assert!(limiter.admit(10, t0 + Duration::from_secs(10)).is_ok());
        let wait = limiter.admit(10, t0 + Duration::from_secs(20)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(40));
        assert!(limiter.admit(10, t0 + Duration::from_secs(61)).is_ok());
    }

    #[test]
    fn requests_per_second_spread_a_minutes_allowance() {
        let limiter = Limiter::new(ProviderLimits {
            rpm: Some(600),
            rps: Some(2),
            ..ProviderLimits::default()
        });
        let t0 = Instant::now();
        assert_eq!(limiter.admit(1, t0), Ok(()));
        assert_eq!(limiter.admit(1, t0 + Duration::from_millis(300)), Ok(()));
        assert_eq!(
            limiter.admit(1, t0 + Duration::from_millis(400)),
            Err(Duration::from_millis(600))
        );
        assert_eq!(limiter.admit(1, t0 + Duration::from_millis(1000)), Ok(()));
        assert_eq!(
            limiter.admit(1, t0 + Duration::from_millis(1100)),
            Err(Duration::from_millis(200))
        );
    }

    #[test]
    fn a_providers_hint_holds_every_call_back() {
        let limiter = Limiter::new(ProviderLimits::default());
        let t0 = Instant::now();
        assert_eq!(limiter.admit(10, t0), Ok(()));
        limiter.pause(Duration::from_secs(3), t0);
        // A shorter hint later does not shorten it.
        limiter.pause(Duration::from_secs(1), t0 + Duration::from_secs(1));
        assert_eq!(
            limiter.admit(10, t0 + Duration::from_secs(1)),
            Err(Duration::from_secs(2))
        );
        assert_eq!(
            limiter.pace(10, t0 + Duration::from_secs(2)),
            Pace {
                wait: Duration::from_secs(1),
                every: None
            }
        );
        assert_eq!(limiter.admit(10, t0 + Duration::from_secs(3)), Ok(()));
    }

    #[test]
    fn tokens_per_minute_count_what_was_admitted() {
        let limiter = Limiter::new(ProviderLimits {
            tpm: Some(1_000),
            ..ProviderLimits::default()
        });
        let t0 = Instant::now();
        assert!(limiter.admit(600, t0).is_ok());
        assert!(limiter.admit(300, t0 + Duration::from_secs(30)).is_ok());
        // 900 used: 200 more must wait until the first call leaves.
        let wait = limiter
            .admit(200, t0 + Duration::from_secs(45))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(15));
        assert!(limiter.admit(100, t0 + Duration::from_secs(45)).is_ok());
        // Larger than the whole limit: alone, once the window is empty.
        assert!(limiter.admit(5_000, t0 + Duration::from_secs(200)).is_ok());
    }

    #[tokio::test]
    async fn calls_in_flight_are_bounded() {
        let limiter = Limiter::new(ProviderLimits {
            concurrency: Some(1),
            ..ProviderLimits::default()
        });
        let first = limiter.enter(Duration::from_millis(10)).await.unwrap();
        assert!(first.is_some());
        assert!(limiter.enter(Duration::from_millis(10)).await.is_err());
        drop(first);
        assert!(limiter.enter(Duration::from_millis(10)).await.is_ok());
    }
}

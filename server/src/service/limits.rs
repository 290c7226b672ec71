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
    /// The calls booked in the last minute and ahead: when, and their
    /// tokens, in time order.
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

    /// Admits a call of `tokens` now, or says how long until it fits. A
    /// call larger than the whole token limit is admitted alone once the
    /// window is empty.
    pub fn admit(&self, tokens: u64, now: Instant) -> Result<(), Duration> {
        self.book(tokens, now, Duration::ZERO).map(|_| ())
    }

    /// Books the first moment a call of `tokens` fits, if it comes within
    /// `patience` of `now`: the caller waits the time returned, then calls.
    /// Calls are booked in turn, so one that waits holds its place and the
    /// calls after it are told the whole wait (and queue rather than pile up
    /// behind it). Too long a wait books nothing and is the error.
    pub fn book(
        &self,
        tokens: u64,
        now: Instant,
        patience: Duration,
    ) -> Result<Duration, Duration> {
        let held = self.held(now);
        let mut booked = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        let at = Self::first_fit(&self.limits, &mut booked, tokens, now + held);
        let wait = at.saturating_duration_since(now);
        if wait > patience {
            return Err(wait);
        }
        booked.push_back((at, tokens));
        Ok(wait)
    }

    /// How long until a call of `tokens` would be admitted (zero: now),
    /// after the calls already booked, without booking it; a full
    /// concurrency limit counts as a short wait. For deciding to queue a
    /// request rather than hold it open.
    pub fn wait_for(&self, tokens: u64, now: Instant) -> Duration {
        let held = self.held(now);
        let mut booked = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        let wait = Self::first_fit(&self.limits, &mut booked, tokens, now + held)
            .saturating_duration_since(now);
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

    /// The first moment from `from`, and not before the last booked call,
    /// at which a call of `tokens` fits every limit. `booked` is in time
    /// order; calls a minute older than `from` are forgotten.
    fn first_fit(
        limits: &ProviderLimits,
        booked: &mut VecDeque<(Instant, u64)>,
        tokens: u64,
        from: Instant,
    ) -> Instant {
        while booked
            .front()
            .is_some_and(|(t, _)| from.saturating_duration_since(*t) >= WINDOW)
        {
            booked.pop_front();
        }
        let mut at = booked.back().map_or(from, |(t, _)| (*t).max(from));
        // Each step waits for at least one booked call to leave a window,
        // so this ends; the bound only guards against a clock oddity.
        for _ in 0..=booked.len() * 3 + 3 {
            match Self::fits_at(limits, booked, tokens, at) {
                Ok(()) => return at,
                Err(wait) => at += wait.max(Duration::from_micros(1)),
            }
        }
        at
    }

    /// Whether a call of `tokens` at `at` (not before any booked call)
    /// fits, or how much later it would.
    fn fits_at(
        limits: &ProviderLimits,
        booked: &VecDeque<(Instant, u64)>,
        tokens: u64,
        at: Instant,
    ) -> Result<(), Duration> {
        // The booked calls within `window` before `at`: from this index on.
        let within = |window: Duration| match at.checked_sub(window) {
            Some(edge) => booked.partition_point(|(t, _)| *t <= edge),
            None => 0,
        };
        let leaves =
            |i: usize, window: Duration| (booked[i].0 + window).saturating_duration_since(at);
        let minute = within(WINDOW);
        if let Some(rpm) = limits.rpm {
            let n = booked.len() - minute;
            if n >= rpm as usize {
                return Err(leaves(minute + n - rpm as usize, WINDOW));
            }
        }
        if let Some(rps) = limits.rps {
            let second = within(SECOND);
            let n = booked.len() - second;
            if n >= rps as usize {
                return Err(leaves(second + n - rps as usize, SECOND));
            }
        }
        if let Some(tpm) = limits.tpm {
            let used: u64 = booked.range(minute..).map(|(_, n)| n).sum();
            if used + tokens > tpm && minute < booked.len() {
                // Until enough of the oldest calls leave the window.
                let mut freed = 0;
                for i in minute..booked.len() {
                    freed += booked[i].1;
                    if used - freed + tokens <= tpm || i + 1 == booked.len() {
                        return Err(leaves(i, WINDOW));
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
    fn a_waiting_call_holds_its_place_and_the_next_ones_are_told_the_whole_wait() {
        let limiter = Limiter::new(ProviderLimits {
            rps: Some(1),
            ..ProviderLimits::default()
        });
        let t0 = Instant::now();
        let patience = Duration::from_secs(5);
        assert_eq!(limiter.book(1, t0, patience), Ok(Duration::ZERO));
        assert_eq!(limiter.book(1, t0, patience), Ok(Duration::from_secs(1)));
        assert_eq!(limiter.book(1, t0, patience), Ok(Duration::from_secs(2)));
        assert_eq!(limiter.wait_for(1, t0), Duration::from_secs(3));
        // Too long a wait books nothing.
        assert_eq!(
            limiter.book(1, t0, Duration::from_secs(2)),
            Err(Duration::from_secs(3))
        );
        assert_eq!(limiter.wait_for(1, t0), Duration::from_secs(3));
        assert_eq!(limiter.admit(1, t0 + Duration::from_secs(3)), Ok(()));
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

//! A rate limit for the fake's OpenAI chat route, like the real one's
//! requests-per-minute limit but per second (`preflight fake-provider
//! --requests-per-second N`): a request over it gets OpenAI's 429
//! `rate_limit_exceeded` with `retry-after-ms`, `x-ratelimit-limit-requests`,
//! `x-ratelimit-remaining-requests` and `x-ratelimit-reset-requests`.
//! `GET /fake/stats` says how many requests it served and refused, so a load
//! test can tell whether the server kept to the limit.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The window the limit counts over.
const WINDOW: Duration = Duration::from_secs(1);

/// The limit and what it did.
#[derive(Debug)]
pub(super) struct Pace {
    per_second: Option<u32>,
    recent: Mutex<VecDeque<Instant>>,
    served: AtomicU64,
    refused: AtomicU64,
}

impl Pace {
    pub(super) fn new(per_second: Option<u32>) -> Arc<Pace> {
        Arc::new(Pace {
            per_second: per_second.filter(|n| *n > 0),
            recent: Mutex::new(VecDeque::new()),
            served: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        })
    }

    /// Takes a place in this second's allowance, or says how long until one
    /// frees.
    fn take(&self, now: Instant) -> Result<u32, Duration> {
        let Some(limit) = self.per_second else {
            return Ok(u32::MAX);
        };
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        while recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            recent.pop_front();
        }
        if recent.len() >= limit as usize {
            let oldest = recent.front().copied().unwrap_or(now);
            return Err(WINDOW.saturating_sub(now.duration_since(oldest)));
        }
        recent.push_back(now);
        Ok(limit - recent.len() as u32)
    }
}

/// The middleware on the chat route.
pub(super) async fn limit(State(pace): State<Arc<Pace>>, request: Request, next: Next) -> Response {
    if request.uri().path() != "/v1/chat/completions" {
        return next.run(request).await;
    }
    match pace.take(Instant::now()) {
        Ok(_) => {
            pace.served.fetch_add(1, Ordering::Relaxed);
            next.run(request).await
        }
        Err(wait) => {
            pace.refused.fetch_add(1, Ordering::Relaxed);
            let limit = pace.per_second.unwrap_or(0);
            let ms = wait.as_millis().max(1);
            let mut response = (
                StatusCode::TOO_MANY_REQUESTS,
                Json(json!({"error": {
                    "message": format!("Rate limit reached for requests per second: Limit {limit}, Used {limit}, Requested 1. Please try again in {ms}ms."),
                    "type": "requests",
                    "param": null,
                    "code": "rate_limit_exceeded",
                }})),
            )
                .into_response();
            let headers = response.headers_mut();
            for (name, value) in [
                ("retry-after-ms", ms.to_string()),
                ("x-ratelimit-limit-requests", limit.to_string()),
                ("x-ratelimit-remaining-requests", "0".to_owned()),
                ("x-ratelimit-reset-requests", format!("{ms}ms")),
            ] {
                if let Ok(value) = HeaderValue::from_str(&value) {
                    headers.insert(name, value);
                }
            }
            response
        }
    }
}

/// `GET /fake/stats`.
pub(super) async fn stats(State(pace): State<Arc<Pace>>) -> Json<serde_json::Value> {
    Json(json!({
        "requests_per_second": pace.per_second,
        "served": pace.served.load(Ordering::Relaxed),
        "rate_limited": pace.refused.load(Ordering::Relaxed),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_counts_a_sliding_second() {
        let pace = Pace::new(Some(2));
        let t0 = Instant::now();
        assert_eq!(pace.take(t0), Ok(1));
        assert_eq!(pace.take(t0 + Duration::from_millis(100)), Ok(0));
        assert_eq!(
            pace.take(t0 + Duration::from_millis(400)),
            Err(Duration::from_millis(600))
        );
        assert_eq!(pace.take(t0 + Duration::from_millis(1000)), Ok(0));
        assert!(Pace::new(None).take(t0).is_ok());
    }
}

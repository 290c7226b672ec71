//! When a provider says to try again: `retry-after-ms`, `retry-after`
//! (seconds or an HTTP date), OpenAI's `x-ratelimit-reset-requests` and
//! `x-ratelimit-reset-tokens` ("1s", "6m0s", "20ms"), and Gemini's
//! `RetryInfo.retryDelay` ("34s") in the error body. Read on every attempt.

use reqwest::header::HeaderMap;
use std::time::{Duration, SystemTime};

/// The longest wait a hint may ask for; a longer one is not believed.
pub const MAX_HINT: Duration = Duration::from_secs(24 * 60 * 60);

/// The wait the provider asked for, from its headers and (Gemini) its
/// error body; `now` places an HTTP date. The most precise hint wins:
/// milliseconds, then `retry-after`, then the reset headers (the later of
/// the two, as both limits must have reset), then `RetryInfo`.
pub fn retry_after(
    headers: &HeaderMap,
    body: Option<&serde_json::Value>,
    now: SystemTime,
) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let hint = header("retry-after-ms")
        .and_then(|v| v.parse::<f64>().ok())
        .and_then(|ms| seconds(ms / 1000.0))
        .or_else(|| header("retry-after").and_then(|v| retry_after_value(v, now)))
        .or_else(|| {
            let reset = ["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"]
                .into_iter()
                .filter_map(|name| header(name).and_then(go_duration));
            reset.max()
        })
        .or_else(|| body.and_then(retry_info));
    hint.filter(|d| *d <= MAX_HINT)
}

fn seconds(s: f64) -> Option<Duration> {
    (s.is_finite() && s >= 0.0).then(|| Duration::from_secs_f64(s))
}

/// `retry-after`: delay-seconds or an HTTP date (RFC 9110).
fn retry_after_value(value: &str, now: SystemTime) -> Option<Duration> {
    if let Ok(s) = value.parse::<f64>() {
        return seconds(s);
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A Go-style duration as OpenAI writes its reset headers: "1s", "6m0s",
/// "20ms", "1h2m3.5s".
fn go_duration(value: &str) -> Option<Duration> {
    let mut total = 0.0;
    let mut rest = value;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..number_end].parse().ok()?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            "us" | "µs" => 0.000_001,
            "ns" => 0.000_000_001,
            _ => return None,
        };
        total += number * scale;
        rest = &rest[unit_end..];
    }
    seconds(total)
}

/// Gemini's `error.details[]` entry of type `google.rpc.RetryInfo`, whose
/// `retryDelay` is a protobuf duration ("34s", "1.5s").
fn retry_info(body: &serde_json::Value) -> Option<Duration> {
    body["error"]["details"]
        .as_array()?
        .iter()
        .find_map(|detail| {
            let kind = detail["@type"].as_str()?;
            if !kind.ends_with("google.rpc.RetryInfo") {
                return None;
            }
            let delay = detail["retryDelay"].as_str()?.strip_suffix('s')?;
            seconds(delay.parse().ok()?)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn every_hint_is_read() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        let at = |pairs: &[(&'static str, &str)]| retry_after(&headers(pairs), None, now);
        assert_eq!(at(&[]), None);
        assert_eq!(at(&[("retry-after", "7")]), Some(Duration::from_secs(7)));
        assert_eq!(
            at(&[("retry-after-ms", "1500"), ("retry-after", "7")]),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            at(&[("retry-after", "Wed, 21 Oct 2015 07:28:30 GMT")]),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            at(&[("retry-after", "Wed, 21 Oct 2015 07:00:00 GMT")]),
            Some(Duration::ZERO)
        );
        assert_eq!(
            at(&[
                ("x-ratelimit-reset-requests", "1s"),
                ("x-ratelimit-reset-tokens", "6m0s")
            ]),
            Some(Duration::from_secs(360))
        );
        assert_eq!(
            at(&[("x-ratelimit-reset-tokens", "20ms")]),
            Some(Duration::from_millis(20))
        );
        assert_eq!(
            at(&[("x-ratelimit-reset-tokens", "1h2m3.5s")]),
            Some(Duration::from_secs_f64(3723.5))
        );
        assert_eq!(at(&[("retry-after", "soon")]), None);
        assert_eq!(at(&[("retry-after", "-3")]), None);
        assert_eq!(
            at(&[("retry-after", "999999999")]),
            None,
            "an absurd wait is not believed"
        );
        let gemini = json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "34s"}
        ]}});
        assert_eq!(
            retry_after(&HeaderMap::new(), Some(&gemini), now),
            Some(Duration::from_secs(34))
        );
    }
}

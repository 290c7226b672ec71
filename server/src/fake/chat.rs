//! What the three chat fakes share: the answer a key gets, and how a
//! streamed answer is paced, broken or cut.
//!
//! | key | every format |
//! | --- | --- |
//! | `fake-length` | cut off at the length limit, every time |
//! | `fake-length-once` | cut off the first time, whole after |
//! | `fake-json` | answers `{"summary": "Fake answer …", "words": N}` |
//! | `fake-json-second` | prose the first time, that JSON after |
//! | `fake-busy-once` | the first request of that key is rate limited with a 2-second hint |
//! | `fake-slow-stream` | streams one word every [`PACE`] |
//! | `fake-stream-drop` | streams two pieces, then stops without its end |
//! | `fake-stream-error` | streams two pieces, then the provider's overload error inside the stream |
//! | `fake-drop` | the answer's body breaks before any of it arrives |
//! | `fake-filtered` | the answer is blocked by the safety filter (`content_filter`, `refusal`, `SAFETY`) |
//! | `fake-invalid` | the request is refused as invalid (400, each format's own body) |

use super::RequestLog;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use std::sync::PoisonError;
use std::time::Duration;

/// Cut off at the length limit, every time.
pub const LENGTH_KEY: &str = "fake-length";
/// Cut off at the length limit the first time only.
pub const LENGTH_ONCE_KEY: &str = "fake-length-once";
/// Answers a JSON document.
pub const JSON_KEY: &str = "fake-json";
/// Answers prose the first time, JSON after.
pub const JSON_SECOND_KEY: &str = "fake-json-second";
/// Rate limited once, with a 2-second hint.
pub const BUSY_ONCE_KEY: &str = "fake-busy-once";
/// How long [`BUSY_ONCE_KEY`]'s hint asks to wait.
pub const BUSY_WAIT: Duration = Duration::from_secs(2);
/// Streams slowly.
pub const SLOW_STREAM_KEY: &str = "fake-slow-stream";
/// The wait between pieces of [`SLOW_STREAM_KEY`]'s stream.
pub const PACE: Duration = Duration::from_millis(150);
/// Streams two pieces, then stops without its end marker.
pub const STREAM_DROP_KEY: &str = "fake-stream-drop";
/// Streams two pieces, then the provider's overload error in the stream.
pub const STREAM_ERROR_KEY: &str = "fake-stream-error";
/// The body breaks before any of the answer.
pub const DROP_KEY: &str = "fake-drop";

/// The answer is blocked by the provider's safety filter.
pub const FILTERED_KEY: &str = "fake-filtered";
/// The request is refused as invalid.
pub const INVALID_KEY: &str = "fake-invalid";

/// The keys of these cases.
pub const KEYS: [&str; 11] = [
    FILTERED_KEY,
    INVALID_KEY,
    LENGTH_ONCE_KEY,
    JSON_KEY,
    JSON_SECOND_KEY,
    BUSY_ONCE_KEY,
    SLOW_STREAM_KEY,
    STREAM_DROP_KEY,
    STREAM_ERROR_KEY,
    DROP_KEY,
    LENGTH_KEY,
];

/// The keys whose answer depends on the requests before (the others are
/// answered without looking at the log, so a load test stays fast).
const COUNTED: [&str; 3] = [LENGTH_ONCE_KEY, JSON_SECOND_KEY, BUSY_ONCE_KEY];

/// How many chat requests with `key` came before this one, in any format
/// (0 for a key whose answer does not depend on it).
pub(super) fn earlier(log: &RequestLog, key: &str) -> usize {
    if !COUNTED.contains(&key) {
        return 0;
    }
    count_earlier(log, key)
}

/// How many chat requests with `key` came before this one, in any format,
/// whatever the key (a format's own counted cases, e.g. OpenAI's).
pub(super) fn count_earlier(log: &RequestLog, key: &str) -> usize {
    let bearer = format!("Bearer {key}");
    let log = log.lock().unwrap_or_else(PoisonError::into_inner);
    let same = log
        .iter()
        .filter(|r| {
            let chat = r.path.ends_with("/chat/completions")
                || r.path.ends_with("/v1/messages")
                || r.path.contains("enerateContent");
            let keyed = r.header("authorization") == Some(bearer.as_str())
                || r.header("x-api-key") == Some(key)
                || r.header("x-goog-api-key") == Some(key)
                || r.query
                    .as_deref()
                    .is_some_and(|q| q.contains(&format!("key={key}")));
            chat && keyed
        })
        .count();
    same.saturating_sub(1) // this request is logged already
}

/// The answer a request gets.
pub(super) struct Reply {
    /// Its text.
    pub text: String,
    /// Whether it is cut off at the length limit.
    pub truncated: bool,
    /// Whether the safety filter blocked it.
    pub filtered: bool,
}

/// The answer for `model` to a request of `words` words, for `key` (its
/// `earlier` requests before this one).
pub(super) fn reply(model: &str, words: usize, key: &str, earlier: usize) -> Reply {
    let prose = format!("Fake answer from {model} to {words} words.");
    let json = format!("{{\"summary\": \"{prose}\", \"words\": {words}}}");
    let text = match key {
        JSON_KEY => json,
        JSON_SECOND_KEY if earlier > 0 => json,
        _ => prose,
    };
    let truncated = key == LENGTH_KEY || (key == LENGTH_ONCE_KEY && earlier == 0);
    Reply {
        text,
        truncated,
        filtered: key == FILTERED_KEY,
    }
}

/// How a streamed answer goes wrong, if it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fault {
    /// It does not.
    None,
    /// The stream stops after two pieces, without its end.
    Drop,
    /// The provider's error comes inside the stream after two pieces.
    Error,
    /// The body breaks before the first byte.
    Before,
}

/// The fault of `key`'s streams.
pub(super) fn fault(key: &str) -> Fault {
    match key {
        STREAM_DROP_KEY => Fault::Drop,
        STREAM_ERROR_KEY => Fault::Error,
        DROP_KEY => Fault::Before,
        _ => Fault::None,
    }
}

/// `text` in pieces of one word (with its space), as models stream.
pub(super) fn pieces(text: &str) -> Vec<String> {
    text.split_inclusive(' ').map(str::to_owned).collect()
}

/// One outgoing event: an optional name and its data.
pub(super) type Out = (Option<&'static str>, String);

/// A `text/event-stream` answer of `events`, one every `pace`. With
/// [`Fault::Drop`] it stops after the first `cut` events;
/// with [`Fault::Error`] `error` is sent instead of the rest.
pub(super) fn sse(
    events: Vec<Out>,
    pace: Duration,
    fault: Fault,
    cut: usize,
    error: Out,
) -> Response {
    let mut items: Vec<Result<String, std::io::Error>> = Vec::new();
    let format = |(name, data): &Out| match name {
        Some(name) => format!("event: {name}\ndata: {data}\n\n"),
        None => format!("data: {data}\n\n"),
    };
    match fault {
        Fault::None => items.extend(events.iter().map(|e| Ok(format(e)))),
        // The answer stops without its end: hyper discards what it holds
        // when a body fails, so the stream simply ends early, which the
        // client must tell from a whole answer by the missing end marker.
        Fault::Drop => items.extend(events.iter().take(cut).map(|e| Ok(format(e)))),
        Fault::Error => {
            items.extend(events.iter().take(cut).map(|e| Ok(format(e))));
            items.push(Ok(format(&error)));
        }
        Fault::Before => items.push(Err(std::io::Error::other("the fake breaks the body"))),
    }
    let stream = futures_util::stream::unfold(
        (items.into_iter(), true),
        move |(mut items, first)| async move {
            let item = items.next()?;
            if !first && !pace.is_zero() {
                tokio::time::sleep(pace).await;
            }
            Some((item, (items, false)))
        },
    );
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = StatusCode::OK;
    response.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/event-stream"),
    );
    response
}

/// A whole answer whose body breaks before it arrives ([`DROP_KEY`]).
pub(super) fn broken_body() -> Response {
    sse(
        Vec::new(),
        Duration::ZERO,
        Fault::Before,
        0,
        (None, String::new()),
    )
}

/// The pace of `key`'s streams.
pub(super) fn pace(key: &str) -> Duration {
    if key == SLOW_STREAM_KEY {
        PACE
    } else {
        Duration::ZERO
    }
}

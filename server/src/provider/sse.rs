//! Server-Sent Events as the providers stream them: events separated by
//! a blank line, each with an optional `event:` name and `data:` lines.
//! Chunks may split an event, a line or a UTF-8 character anywhere.

/// One event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` name, if any (Anthropic names every event).
    pub event: Option<String>,
    /// The `data:` lines, joined with newlines.
    pub data: String,
}

/// Cuts a byte stream into events.
///
/// ```
/// use prompt_preflight_server::sse::SseParser;
/// let mut parser = SseParser::default();
/// assert!(parser.push(b"event: ping\nda").is_empty());
/// let events = parser.push(b"ta: {}\n\ndata: [DONE]\n\n");
/// assert_eq!(events[0].event.as_deref(), Some("ping"));
/// assert_eq!(events[1].data, "[DONE]");
/// ```
#[derive(Debug, Default)]
pub struct SseParser {
    buffer: Vec<u8>,
}

/// The most an event may hold before the stream is judged broken.
pub const MAX_EVENT_BYTES: usize = 4 * 1024 * 1024;

impl SseParser {
    /// Adds a chunk and returns the events it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        self.buffer.extend_from_slice(chunk);
        let mut events = Vec::new();
        while let Some((end, gap)) = blank_line(&self.buffer) {
            let raw: Vec<u8> = self.buffer.drain(..end + gap).collect();
            if let Some(event) = parse(&raw[..end]) {
                events.push(event);
            }
        }
        events
    }

    /// Whether the unfinished event has grown past [`MAX_EVENT_BYTES`].
    pub fn overflowed(&self) -> bool {
        self.buffer.len() > MAX_EVENT_BYTES
    }

    /// Whether bytes of an unfinished event are waiting.
    pub fn has_partial(&self) -> bool {
        self.buffer.iter().any(|b| !b.is_ascii_whitespace())
    }
}

/// Where the first blank line starts, and its length (`\n\n`, `\r\n\r\n`).
fn blank_line(buffer: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while i < buffer.len() {
        if buffer[i] == b'\n' {
            match buffer.get(i + 1) {
                Some(b'\n') => return Some((i, 2)),
                Some(b'\r') if buffer.get(i + 2) == Some(&b'\n') => return Some((i, 3)),
                _ => {}
            }
        }
        i += 1;
    }
    None
}

fn parse(raw: &[u8]) -> Option<SseEvent> {
    let text = String::from_utf8_lossy(raw);
    let mut event = None;
    let mut data: Vec<&str> = Vec::new();
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with(':') {
            continue; // a comment, e.g. a keep-alive
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => event = Some(value.to_owned()),
            "data" => data.push(value),
            _ => {}
        }
    }
    (event.is_some() || !data.is_empty()).then(|| SseEvent {
        event,
        data: data.join("\n"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_split_gives_the_same_events() {
        let stream =
            "event: a\r\ndata: é1\r\n\r\n: keep-alive\n\ndata: x\ndata: y\n\ndata: [DONE]\n\n";
        let bytes = stream.as_bytes();
        let whole = SseParser::default().push(bytes);
        assert_eq!(whole.len(), 3);
        assert_eq!(whole[0].event.as_deref(), Some("a"));
        assert_eq!(whole[0].data, "é1");
        assert_eq!(whole[1].data, "x\ny");
        for cut in 0..bytes.len() {
            let mut parser = SseParser::default();
            let mut events = parser.push(&bytes[..cut]);
            events.extend(parser.push(&bytes[cut..]));
            assert_eq!(events, whole, "cut at {cut}");
        }
    }

    #[test]
    fn an_unfinished_event_is_partial() {
        let mut parser = SseParser::default();
        assert!(parser.push(b"data: {\"cho").is_empty());
        assert!(parser.has_partial());
        assert!(!parser.overflowed());
    }
}

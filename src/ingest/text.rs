//! What can be said about a text: its line endings and the binary noise
//! in it. Decoding a file's bytes is in `decode`.

/// Characters that are neither text nor ordinary whitespace.
/// Whether decoding removes `c` from text: control characters other than
/// tab, line breaks and form feed.
pub(super) fn is_noise(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c')
}

/// Removes binary noise (NUL and other control characters) from `text`.
/// Returns how many were removed and the 1-based line of the first.
pub(super) fn strip_noise(text: &mut String) -> Option<(u64, u64)> {
    let first = text.find(is_noise)?;
    let line = text[..first].matches('\n').count() as u64 + 1;
    let before = text.chars().count();
    text.retain(|c| !is_noise(c));
    Some(((before - text.chars().count()) as u64, line))
}

/// Whether `text` is mostly binary noise (more than 10% of a sample).
pub(super) fn is_mostly_noise(text: &str) -> bool {
    let sample = text.chars().take(8192);
    let (mut total, mut noise) = (0usize, 0usize);
    for c in sample {
        total += 1;
        noise += usize::from(is_noise(c) || c == '\u{FFFD}');
    }
    total > 0 && noise * 10 > total
}

/// The line endings of `text`: `lf`, `crlf`, `cr`, `crcrlf` or `mixed`;
/// `None` without line breaks.
pub(crate) fn line_ending(text: &str) -> Option<&'static str> {
    let bytes = text.as_bytes();
    let mut seen = [false; 4]; // lf, crlf, cr, crcrlf
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => seen[0] = true,
            b'\r' if bytes[i + 1..].starts_with(b"\r\n") => {
                seen[3] = true;
                i += 2;
            }
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                seen[1] = true;
                i += 1;
            }
            b'\r' => seen[2] = true,
            _ => {}
        }
        i += 1;
    }
    let names = ["lf", "crlf", "cr", "crcrlf"];
    let mut found = seen.iter().zip(names).filter(|(s, _)| **s).map(|(_, n)| n);
    match (found.next(), found.next()) {
        (Some(one), None) => Some(one),
        (Some(_), Some(_)) => Some("mixed"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_endings() {
        assert_eq!(line_ending("a\nb\n"), Some("lf"));
        assert_eq!(line_ending("a\r\nb\r\n"), Some("crlf"));
        assert_eq!(line_ending("a\rb\r"), Some("cr"));
        assert_eq!(line_ending("a\r\r\nb\r\r\n"), Some("crcrlf"));
        assert_eq!(line_ending("a\nb\r\n"), Some("mixed"));
        assert_eq!(line_ending("ab"), None);
    }

    #[test]
    fn noise_is_counted_and_removed() {
        let mut t = "ok\nba\u{0}d\u{1}\n".to_owned();
        assert_eq!(strip_noise(&mut t), Some((2, 2)));
        assert_eq!(t, "ok\nbad\n");
        assert!(is_mostly_noise("\u{0}\u{1}\u{2}abc"));
        assert!(!is_mostly_noise("plain text"));
    }
}

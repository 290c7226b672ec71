//! Decoding bytes into text, and what can be said about a text: its line
//! endings, its language, and binary noise in it.

use super::guard::{guarded, Crashed, Reader};
use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE, UTF_8};

/// Decoded text and how it was decoded.
pub(super) struct Decoded {
    pub text: String,
    /// WHATWG label of the encoding used, e.g. `utf-8`, `windows-1252`.
    pub encoding: String,
    /// The BOM found, as an encoding label.
    pub bom: Option<&'static str>,
    /// Whether the encoding was guessed rather than known.
    pub guessed: bool,
}

/// The GB18030 byte-order mark, which `encoding_rs` does not sniff.
const GB18030_BOM: &[u8] = b"\x84\x31\x95\x33";

/// Decodes `bytes`: a BOM decides; then UTF-16 recognised by its zero
/// bytes; then UTF-8 if valid; otherwise the encoding `chardetng` guesses
/// (a crash of which is the only error).
pub(super) fn decode(bytes: &[u8]) -> Result<Decoded, Crashed> {
    let known = |encoding: &'static Encoding, body: &[u8], bom: Option<&'static str>| {
        let (text, _) = encoding.decode_without_bom_handling(body);
        Decoded {
            text: text.into_owned(),
            encoding: label(encoding),
            bom,
            guessed: false,
        }
    };
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return Ok(known(
            encoding,
            &bytes[bom_len..],
            Some(static_label(encoding)),
        ));
    }
    if let Some(body) = bytes.strip_prefix(GB18030_BOM) {
        return Ok(known(GB18030, body, Some("gb18030")));
    }
    if let Some(encoding) = bomless_utf16(bytes) {
        return Ok(known(encoding, bytes, None));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(Decoded {
            text: text.to_owned(),
            encoding: label(UTF_8),
            bom: None,
            guessed: false,
        });
    }
    let encoding = guarded(Reader::Chardetng, || {
        let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
        detector.feed(bytes, true);
        detector.guess(None, chardetng::Utf8Detection::Allow)
    })?;
    let (text, _, _) = encoding.decode(bytes);
    Ok(Decoded {
        text: text.into_owned(),
        encoding: label(encoding),
        bom: None,
        guessed: true,
    })
}

/// UTF-16 without a BOM: in text of mostly ASCII characters, every other
/// byte is zero.
fn bomless_utf16(bytes: &[u8]) -> Option<&'static Encoding> {
    let sample = &bytes[..bytes.len().min(4096) & !1];
    if sample.len() < 8 {
        return None;
    }
    let pairs = (sample.len() / 2) as f64;
    let zero_at = |odd: usize| {
        sample
            .iter()
            .skip(odd)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count() as f64
    };
    let (even, odd) = (zero_at(0), zero_at(1));
    if odd / pairs > 0.4 && even / pairs < 0.05 {
        Some(UTF_16LE)
    } else if even / pairs > 0.4 && odd / pairs < 0.05 {
        Some(UTF_16BE)
    } else {
        None
    }
}

fn static_label(encoding: &'static Encoding) -> &'static str {
    if encoding == UTF_16LE {
        "utf-16le"
    } else if encoding == UTF_16BE {
        "utf-16be"
    } else {
        "utf-8"
    }
}

fn label(encoding: &'static Encoding) -> String {
    encoding.name().to_ascii_lowercase()
}

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
    fn boms_and_fallbacks() {
        let d = decode(b"\xEF\xBB\xBFname").unwrap();
        assert_eq!(
            (d.text.as_str(), d.encoding.as_str(), d.bom, d.guessed),
            ("name", "utf-8", Some("utf-8"), false)
        );
        let d = decode(b"\xFF\xFEn\x00a\x00").unwrap();
        assert_eq!((d.text.as_str(), d.encoding.as_str()), ("na", "utf-16le"));
        let d = decode(b"\x84\x31\x95\x33\xC4\xE3\xBA\xC3").unwrap();
        assert_eq!((d.text.as_str(), d.bom), ("你好", Some("gb18030")));
        let d = decode(
            "name,city\nJos\u{e9},M\u{fc}nchen\nFran\u{e7}ois,Besan\u{e7}on\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect::<Vec<_>>()
                .as_slice(),
        )
        .unwrap();
        assert_eq!((d.encoding.as_str(), d.bom), ("utf-16le", None));
        assert!(d.text.starts_with("name,city"));
    }

    #[test]
    fn legacy_encodings_are_guessed() {
        let d = decode(b"Caf\xE9 cr\xE8me, cr\xE8me br\xFBl\xE9e et d\xE9j\xE0 vu").unwrap();
        assert_eq!((d.encoding.as_str(), d.guessed), ("windows-1252", true));
        assert!(d.text.contains("crème brûlée"));
        // Shift_JIS for 日本語のテキストです
        let d = decode(
            b"\x93\xfa\x96\x7b\x8c\xea\x82\xcc\x83\x65\x83\x4c\x83\x58\x83\x67\x82\xc5\x82\xb7",
        )
        .unwrap();
        assert_eq!(d.encoding, "shift_jis");
        assert_eq!(d.text, "日本語のテキストです");
    }

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

//! Decoding a file's bytes into text: a byte-order mark decides, then
//! UTF-16 recognised by its zero bytes, then UTF-8, then the encoding
//! `chardetng` guesses. Only builds that read files have it (the `readers`
//! feature).

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
}

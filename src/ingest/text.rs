//! Decoding bytes into text.

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// Decoded text and how it was decoded.
pub(super) struct Decoded {
    pub text: String,
    /// WHATWG label of the encoding used.
    pub encoding: &'static str,
    /// Whether the encoding was guessed rather than known.
    pub guessed: bool,
}

/// Decodes `bytes`: a BOM decides; otherwise UTF-8 if valid; otherwise
/// Windows-1252, the most common legacy encoding of spreadsheet exports.
pub(super) fn decode(bytes: &[u8]) -> Decoded {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return Decoded {
            text: text.into_owned(),
            encoding: label(encoding),
            guessed: false,
        };
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Decoded {
            text: text.to_owned(),
            encoding: label(UTF_8),
            guessed: false,
        };
    }
    let (text, _, _) = WINDOWS_1252.decode(bytes);
    Decoded {
        text: text.into_owned(),
        encoding: label(WINDOWS_1252),
        guessed: true,
    }
}

fn label(encoding: &'static Encoding) -> &'static str {
    match encoding.name() {
        "UTF-8" => "utf-8",
        "UTF-16LE" => "utf-16le",
        "UTF-16BE" => "utf-16be",
        "windows-1252" => "windows-1252",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boms_and_fallbacks() {
        let d = decode(b"\xEF\xBB\xBFname");
        assert_eq!(
            (d.text.as_str(), d.encoding, d.guessed),
            ("name", "utf-8", false)
        );
        let d = decode(b"\xFF\xFEn\x00a\x00");
        assert_eq!((d.text.as_str(), d.encoding), ("na", "utf-16le"));
        let d = decode(b"caf\xE9");
        assert_eq!(
            (d.text.as_str(), d.encoding, d.guessed),
            ("café", "windows-1252", true)
        );
    }
}

//! Recognising binary formats by their first bytes.

/// Known signatures: (magic bytes, what the file looks like to a user).
const SIGNATURES: &[(&[u8], &str)] = &[
    (b"%PDF-", "a PDF document"),
    (
        b"PK\x03\x04",
        "a ZIP archive or an Office document (such as an Excel .xlsx file)",
    ),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
        "an older Office document (such as an Excel .xls file)",
    ),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xFF\xD8\xFF", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"RIFF", "a media file (audio, video or WebP image)"),
    (b"\x1F\x8B", "a compressed .gz archive"),
    (b"7z\xBC\xAF\x27\x1C", "a 7-Zip archive"),
    (b"Rar!\x1A\x07", "a RAR archive"),
    (b"\x7FELF", "a program (executable file)"),
    (b"MZ", "a Windows program (.exe or .dll)"),
    (b"\x00asm", "a WebAssembly module"),
    (b"SQLite format 3\x00", "a SQLite database"),
];

/// What a binary file looks like, or `None` when it may be text.
pub(super) fn binary_kind(bytes: &[u8]) -> Option<&'static str> {
    if let Some((_, name)) = SIGNATURES
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
    {
        return Some(name);
    }
    // UTF-16 text legitimately has NUL bytes; it is recognised by its BOM.
    let utf16_bom = bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF");
    let head = &bytes[..bytes.len().min(8192)];
    if !utf16_bom && head.contains(&0) {
        return Some("binary data rather than text");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_common_binaries() {
        assert_eq!(binary_kind(b"\x89PNG\r\n\x1a\nrest"), Some("a PNG image"));
        assert!(binary_kind(b"PK\x03\x04....").unwrap().contains("Excel"));
        assert_eq!(binary_kind(b"name,email\n"), None);
        assert_eq!(binary_kind(b"\xFF\xFEa\x00"), None);
        assert!(binary_kind(b"abc\x00def").is_some());
    }
}

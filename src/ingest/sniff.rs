//! Recognising the container of a file by its first bytes.

/// What the first bytes say a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Container {
    /// A ZIP archive: xlsx, xlsm, xlsb, ods, or another zipped format.
    Zip,
    /// An OLE compound file: xls, or an encrypted Office document.
    Ole,
    /// A PDF document.
    Pdf,
    /// Text (or something that may be text): decode and look inside.
    Text,
    /// A binary format we do not read; the text says what it looks like.
    Other(&'static str),
}

/// Binary signatures we do not read: (magic bytes, what the file looks like).
const OTHERS: &[(&[u8], &str)] = &[
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xFF\xD8\xFF", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"BM", "a BMP image"),
    (b"RIFF", "a media file (audio, video or WebP image)"),
    (b"ID3", "an MP3 audio file"),
    (b"\x1F\x8B", "a compressed .gz archive"),
    (b"BZh", "a compressed .bz2 archive"),
    (b"\xFD7zXZ\x00", "a compressed .xz archive"),
    (b"7z\xBC\xAF\x27\x1C", "a 7-Zip archive"),
    (b"Rar!\x1A\x07", "a RAR archive"),
    (b"\x7FELF", "a program (executable file)"),
    (b"MZ", "a Windows program (.exe or .dll)"),
    (b"\xCF\xFA\xED\xFE", "a macOS program"),
    (b"\x00asm", "a WebAssembly module"),
    (b"SQLite format 3\x00", "a SQLite database"),
    (b"{\\rtf", "a rich-text (RTF) document"),
];

/// Decides the container from the first bytes.
pub(super) fn container(bytes: &[u8]) -> Container {
    if bytes.starts_with(b"PK\x03\x04") {
        return Container::Zip;
    }
    if bytes.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        return Container::Ole;
    }
    // A PDF may have a little junk before its header.
    if bytes[..bytes.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
    {
        return Container::Pdf;
    }
    if let Some((_, name)) = OTHERS.iter().find(|(magic, _)| bytes.starts_with(magic)) {
        return Container::Other(name);
    }
    Container::Text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_containers() {
        assert_eq!(
            container(b"\x89PNG\r\n\x1a\nrest"),
            Container::Other("a PNG image")
        );
        assert_eq!(container(b"PK\x03\x04...."), Container::Zip);
        assert_eq!(
            container(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1..."),
            Container::Ole
        );
        assert_eq!(container(b"%PDF-1.7\n"), Container::Pdf);
        assert_eq!(container(b"name,email\n"), Container::Text);
        assert_eq!(container(b"abc\x00def"), Container::Text);
    }
}

//! Offsets in a file's decoded text, mapped back to the file's own bytes.
//! Decoding a UTF-8 file removes its byte order mark and the characters
//! that are not text (NUL and other control characters), so after the
//! first of them every offset into the decoded text is off.

use super::text::is_noise;

/// Where the bytes of a UTF-8 file's decoded text are in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOffsets {
    /// The byte order mark's length (0 or 3).
    bom: usize,
    /// For each removed character: its place in the decoded text, and the
    /// bytes removed up to and including it.
    removed: Vec<(usize, usize)>,
}

impl FileOffsets {
    /// The map for a file that is UTF-8 (with or without a byte order
    /// mark); `None` for anything else, whose decoded text has no simple
    /// relation to its bytes.
    ///
    /// ```
    /// use prompt_preflight::ingest::FileOffsets;
    /// // A BOM, then "ab", a NUL byte decoding removes, and "cd".
    /// let map = FileOffsets::utf8(b"\xEF\xBB\xBFab\0cd").unwrap();
    /// // In the decoded "abcd", "cd" is 2..4; in the file it is 6..8.
    /// assert_eq!((map.start(2), map.end(4)), (6, 8));
    /// assert_eq!(map.end(2), 5); // "ab" ends before the NUL
    /// ```
    pub fn utf8(bytes: &[u8]) -> Option<FileOffsets> {
        let bom = if bytes.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        let text = std::str::from_utf8(&bytes[bom..]).ok()?;
        let (mut at, mut gone, mut removed) = (0, 0, Vec::new());
        for c in text.chars() {
            if is_noise(c) {
                gone += c.len_utf8();
                removed.push((at, gone));
            } else {
                at += c.len_utf8();
            }
        }
        Some(FileOffsets { bom, removed })
    }

    /// The file offset of decoded byte `at` where a range starts: after
    /// any removed characters just before it.
    pub fn start(&self, at: usize) -> usize {
        let before = self.removed.partition_point(|&(p, _)| p <= at);
        self.bom + at + before.checked_sub(1).map_or(0, |i| self.removed[i].1)
    }

    /// The file offset of decoded byte `at` where a range ends: before any
    /// removed characters just after it.
    pub fn end(&self, at: usize) -> usize {
        let before = self.removed.partition_point(|&(p, _)| p < at);
        self.bom + at + before.checked_sub(1).map_or(0, |i| self.removed[i].1)
    }

    /// Whether decoding changed nothing: decoded offsets are file offsets.
    pub fn is_identity(&self) -> bool {
        self.bom == 0 && self.removed.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_map_onto_the_file_bytes() {
        let file = "é\u{0}x\u{85}yz".as_bytes();
        let map = FileOffsets::utf8(file).unwrap();
        // Decoded: "éxyz" (é is 2 bytes). "xyz" is 2..5 there.
        assert_eq!(map.start(2), 3);
        assert_eq!(map.end(5), file.len());
        assert_eq!(&file[map.start(3)..map.end(5)], b"yz");
        assert!(FileOffsets::utf8(b"plain").unwrap().is_identity());
        assert_eq!(FileOffsets::utf8(b"\xFF\xFE"), None);
    }
}

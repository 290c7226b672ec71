//! The ZIP container of xlsx, xlsm, xlsb and ods: what is inside, how big
//! it says it is, and what a cut-off archive still shows.

use crate::ingest::guard::{guarded, Reader};
use crate::InputKind;
use std::io::{Cursor, Read};

/// The OpenDocument spreadsheet media type, in its `mimetype` entry.
const ODS_MIME: &str = "application/vnd.oasis.opendocument.spreadsheet";

/// What a ZIP archive holds, judged by its entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Zipped {
    /// A workbook we read.
    Sheet(InputKind),
    /// Something else; the text says what it looks like.
    Other(&'static str),
}

/// An entry of the central directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    pub name: String,
    /// The uncompressed size the archive declares.
    pub size: u64,
}

/// The entries of an archive, or `None` when its central directory cannot
/// be read (for instance because the file is cut off).
pub(super) fn entries(bytes: &[u8]) -> Option<Vec<Entry>> {
    guarded(Reader::Zip, || list(bytes)).ok().flatten()
}

fn list(bytes: &[u8]) -> Option<Vec<Entry>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let mut out = Vec::with_capacity(archive.len().min(10_000));
    for i in 0..archive.len() {
        let file = archive.by_index_raw(i).ok()?;
        out.push(Entry {
            name: String::from_utf8_lossy(file.name_raw()).into_owned(),
            size: file.size(),
        });
    }
    Some(out)
}

/// Reads one entry, at most `max` bytes of it; `None` when it is missing,
/// larger than `max` or damaged.
pub(super) fn read(bytes: &[u8], name: &str, max: u64) -> Option<Vec<u8>> {
    guarded(Reader::Zip, || unpack(bytes, name, max))
        .ok()
        .flatten()
}

fn unpack(bytes: &[u8], name: &str, max: u64) -> Option<Vec<u8>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let file = archive.by_name(name).ok()?;
    let mut out = Vec::new();
    file.take(max.saturating_add(1))
        .read_to_end(&mut out)
        .ok()?;
    if out.len() as u64 > max {
        return None;
    }
    Some(out)
}

/// Judges an archive by its entry names and `mimetype` content.
pub(super) fn classify<'a>(
    names: impl IntoIterator<Item = &'a str> + Clone,
    mimetype: Option<&str>,
) -> Zipped {
    let has = |name: &str| names.clone().into_iter().any(|n| n == name);
    let under = |dir: &str| names.clone().into_iter().any(|n| n.starts_with(dir));
    if let Some(mime) = mimetype.map(str::trim) {
        return match mime {
            ODS_MIME => Zipped::Sheet(InputKind::Ods),
            m if m.starts_with("application/vnd.oasis.opendocument.spreadsheet") => {
                Zipped::Sheet(InputKind::Ods)
            }
            "application/vnd.oasis.opendocument.text" => {
                Zipped::Other("an OpenDocument text document (.odt)")
            }
            "application/vnd.oasis.opendocument.presentation" => {
                Zipped::Other("an OpenDocument presentation (.odp)")
            }
            "application/epub+zip" => Zipped::Other("an e-book (EPUB)"),
            _ => Zipped::Other("a ZIP archive"),
        };
    }
    if has("xl/workbook.bin") {
        Zipped::Sheet(InputKind::Xlsb)
    } else if has("xl/workbook.xml") || under("xl/worksheets/") {
        Zipped::Sheet(InputKind::Xlsx)
    } else if under("word/") {
        Zipped::Other("a Word document")
    } else if under("ppt/") {
        Zipped::Other("a PowerPoint presentation")
    } else if has("content.xml") && has("META-INF/manifest.xml") {
        Zipped::Other("an OpenDocument file that is not a spreadsheet")
    } else {
        Zipped::Other("a ZIP archive")
    }
}

/// What walking the local headers of a damaged archive found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Walk {
    /// Entry names, in file order.
    pub names: Vec<String>,
    /// The `mimetype` entry's text, when it is stored uncompressed.
    pub mimetype: Option<String>,
    /// The entry the file ends in the middle of.
    pub cut_in: Option<String>,
}

/// Walks the local file headers from the start, as far as they go.
pub(super) fn walk(bytes: &[u8]) -> Walk {
    let u16_at = |at: usize| {
        bytes
            .get(at..at + 2)
            .map(|b| u64::from(u16::from_le_bytes([b[0], b[1]])))
    };
    let u32_at = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|b| u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
    };
    let mut out = Walk::default();
    let mut at = 0usize;
    while bytes.get(at..at + 4) == Some(b"PK\x03\x04") && out.names.len() < 100_000 {
        let (Some(flags), Some(method), Some(csize), Some(nlen), Some(elen)) = (
            u16_at(at + 6),
            u16_at(at + 8),
            u32_at(at + 18),
            u16_at(at + 26),
            u16_at(at + 28),
        ) else {
            break;
        };
        let name_start = at + 30;
        let Some(raw) = bytes.get(name_start..name_start + nlen as usize) else {
            break;
        };
        let name = String::from_utf8_lossy(raw).into_owned();
        let data = name_start + nlen as usize + elen as usize;
        out.names.push(name.clone());
        if flags & 8 != 0 && csize == 0 {
            // The size is only after the data: we cannot skip over it.
            break;
        }
        let end = data.saturating_add(csize as usize);
        if end > bytes.len() {
            out.cut_in = Some(name);
            break;
        }
        if name == "mimetype" && method == 0 {
            out.mimetype = Some(String::from_utf8_lossy(&bytes[data..end]).into_owned());
        }
        at = end;
    }
    out
}

/// The part of a workbook an entry holds, in words, for damage reports.
pub(super) fn part_name(entry: &str) -> &'static str {
    if entry.contains("worksheets/") || entry == "content.xml" {
        "the sheet data"
    } else if entry.contains("sharedStrings") {
        "the text of the cells"
    } else if entry.contains("styles") {
        "the formatting"
    } else if entry.contains("workbook.") {
        "the list of sheets"
    } else {
        "its contents"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_entries() {
        let xlsx = ["[Content_Types].xml", "xl/workbook.xml"];
        assert_eq!(classify(xlsx, None), Zipped::Sheet(InputKind::Xlsx));
        let xlsb = ["xl/workbook.bin"];
        assert_eq!(classify(xlsb, None), Zipped::Sheet(InputKind::Xlsb));
        assert_eq!(
            classify(["mimetype"], Some(ODS_MIME)),
            Zipped::Sheet(InputKind::Ods)
        );
        assert_eq!(
            classify(["word/document.xml"], None),
            Zipped::Other("a Word document")
        );
        assert_eq!(classify(["a.txt"], None), Zipped::Other("a ZIP archive"));
    }

    #[test]
    fn walking_garbage_never_panics() {
        assert_eq!(walk(b""), Walk::default());
        let w = walk(b"PK\x03\x04\x00\x00\x00\x00\x00\x00");
        assert!(w.names.is_empty());
        let mut cut = b"PK\x03\x04".to_vec();
        cut.extend([0u8; 14]);
        cut.extend(100u32.to_le_bytes());
        cut.extend(100u32.to_le_bytes());
        cut.extend(4u16.to_le_bytes());
        cut.extend(0u16.to_le_bytes());
        cut.extend(b"a.xm");
        cut.extend(b"short");
        let w = walk(&cut);
        assert_eq!(w.cut_in.as_deref(), Some("a.xm"));
    }
}

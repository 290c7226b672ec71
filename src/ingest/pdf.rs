//! PDF documents: pages and their text layer.
//!
//! lopdf loads the file from memory (decrypting files whose user password
//! is empty). Each page's text is extracted on its own, so pages without a
//! text layer (scans) and pages whose text is garbled can be named.

mod quality;

use super::guard::{guarded, Reader};
use super::{Document, Limits};
use crate::{messages::issue, InputKind};
use lopdf::LoadOptions;

/// The most pages whose text is extracted. A longer document is refused
/// with `too_many_rows` (unit "pages"): its text would not fit any token
/// budget, and extracting it would take long.
pub(crate) const MAX_PAGES: u64 = 2_000;

/// How far from the end of the file the `%%EOF` marker is looked for.
/// Writers put it last; some tools append a little junk after it.
const EOF_WINDOW: usize = 1024;

/// What is shown for the format in `corrupt_file`.
const WHAT: &str = "a PDF document";

/// Reads a PDF.
pub(super) fn read(bytes: &[u8], limits: &Limits) -> Document {
    let size = bytes.len() as u64;
    let mut doc = Document::new(InputKind::Pdf, size, "binary");
    // Streams may not inflate beyond the limit for compressed files.
    let max_inflated = usize::try_from(limits.max_decompressed_bytes)
        .unwrap_or(usize::MAX)
        .min(lopdf::DEFAULT_MAX_DECOMPRESSED_SIZE);
    let options = LoadOptions {
        max_decompressed_size: Some(max_inflated),
        ..LoadOptions::default()
    };
    let truncated = !has_eof_marker(bytes);
    let pdf = match guarded(Reader::Lopdf, || {
        lopdf::Document::load_mem_with_options(bytes, options)
    }) {
        Ok(Ok(pdf)) => pdf,
        Ok(Err(lopdf::Error::InvalidPassword)) => {
            return password_required(doc);
        }
        Ok(Err(_)) | Err(_) => return damaged(doc, bytes, truncated),
    };
    if pdf.is_encrypted() || (pdf.trailer.get(b"Encrypt").is_ok() && !pdf.was_encrypted()) {
        // Still encrypted after loading: the empty password did not open
        // it, so it needs the user's password.
        return password_required(doc);
    }
    doc.info.encrypted = Some(pdf.was_encrypted());
    let Ok(pages) = guarded(Reader::Lopdf, || pdf.get_pages()) else {
        return damaged(doc, bytes, truncated);
    };
    let total = pages.len() as u64;
    // A file cut short may still be partly rebuilt by scanning for objects;
    // what is missing cannot be known, so it is reported as damaged.
    if total == 0 || (truncated && pdf.xref_recovery.is_some()) {
        return damaged(doc, bytes, truncated);
    }
    doc.info.pages = Some(total);
    if total > MAX_PAGES {
        doc.issues
            .push(issue::too_many_rows(total, MAX_PAGES, "pages"));
        return doc;
    }

    let mut text = String::new();
    let mut without_text = Vec::new();
    let mut garbled = Vec::new();
    let mut garbled_share = 0.0f64;
    for (&number, _) in pages.iter() {
        let Ok(page_text) = guarded(Reader::Lopdf, || {
            pdf.extract_text_chunks_with_limit(&[number], max_inflated)
                .into_iter()
                .filter_map(Result::ok)
                .collect::<String>()
        }) else {
            return damaged(doc, bytes, truncated);
        };
        let page_text = quality::tidy(&page_text);
        match quality::assess(&page_text) {
            quality::Page::NoText => without_text.push(u64::from(number)),
            quality::Page::Garbled(share) => {
                garbled.push(u64::from(number));
                garbled_share = garbled_share.max(share);
            }
            quality::Page::Text => {}
        }
        if !page_text.is_empty() {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str(&page_text);
        }
        if text.len() as u64 > limits.max_bytes {
            doc.issues
                .push(issue::too_large(text.len() as u64, limits.max_bytes));
            return doc;
        }
    }
    if !without_text.is_empty() {
        doc.issues
            .push(issue::pdf_no_text_layer(&without_text, total));
    }
    if !garbled.is_empty() {
        let percent = (garbled_share * 100.0).round() as u64;
        doc.issues.push(issue::pdf_garbled_text(&garbled, percent));
    }
    doc.info.pages_without_text = Some(without_text);
    doc.set_text(text);
    doc
}

fn password_required(mut doc: Document) -> Document {
    doc.info.encrypted = Some(true);
    doc.issues.push(issue::password_required());
    doc
}

/// Whether `%%EOF` is near the end of the file, as in every complete PDF.
fn has_eof_marker(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(EOF_WINDOW)..];
    tail.windows(5).any(|w| w == b"%%EOF")
}

/// The version in the `%PDF-1.7` header, when it is well formed.
fn version(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(1024)];
    let at = head.windows(5).position(|w| w == b"%PDF-")? + 5;
    let version: String = head[at..]
        .iter()
        .take_while(|b| b.is_ascii_digit() || **b == b'.')
        .take(4)
        .map(|&b| char::from(b))
        .collect();
    (version.len() >= 3 && version.contains('.')).then_some(version)
}

/// A file that could not be read as a PDF: says what was recognised.
fn damaged(mut doc: Document, bytes: &[u8], truncated: bool) -> Document {
    // The cheap metadata reader sometimes gets further than a full load.
    let metadata = guarded(Reader::Lopdf, || lopdf::Document::load_metadata_mem(bytes))
        .ok()
        .and_then(Result::ok);
    if let Some(m) = &metadata {
        if m.encrypted && m.page_count == 0 {
            // Encrypted without a usable empty password: the password is
            // the problem, not the file.
            if !truncated {
                return password_required(doc);
            }
        }
        doc.info.encrypted = Some(m.encrypted);
    }
    let start = match version(bytes) {
        Some(v) => format!("it starts like a PDF {v} file"),
        None => "it starts like a PDF file".to_owned(),
    };
    let pages = metadata
        .as_ref()
        .map_or(0, |m| m.page_count)
        .min(u32::try_from(MAX_PAGES).unwrap_or(u32::MAX));
    let listed = match pages {
        0 => String::new(),
        1 => " and lists 1 page".to_owned(),
        n => format!(" and lists {n} pages"),
    };
    let problem = if truncated {
        "but it ends early: the end of the file is missing"
    } else {
        "but its pages can't be read"
    };
    let detail = format!("{start}{listed}, {problem}");
    doc.issues.push(issue::corrupt_file(WHAT, &detail));
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_version_from_the_header() {
        assert_eq!(version(b"%PDF-1.7\n%\xE2\xE3"), Some("1.7".into()));
        assert_eq!(version(b"junk%PDF-2.0\r"), Some("2.0".into()));
        assert_eq!(version(b"%PDF-x"), None);
    }

    #[test]
    fn finds_the_end_marker_near_the_end_only() {
        assert!(has_eof_marker(b"%PDF-1.4\n...\n%%EOF\n"));
        let mut far = b"%PDF-1.4\n%%EOF".to_vec();
        far.extend(std::iter::repeat_n(b' ', 2 * EOF_WINDOW));
        assert!(!has_eof_marker(&far));
    }
}

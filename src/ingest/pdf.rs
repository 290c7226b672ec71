//! PDF documents: pages and their text layer.
//! (Stub: the lopdf reader lands here.)

use super::{Document, Limits};
use crate::messages::issue;

/// Reads a PDF.
pub(super) fn read(bytes: &[u8], _limits: &Limits) -> Document {
    let mut doc = Document::unreadable(bytes.len() as u64);
    doc.issues.push(issue::unsupported_format("a PDF document"));
    doc
}

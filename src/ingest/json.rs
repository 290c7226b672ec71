//! JSON and JSON Lines.
//! (Stub: the JSON reader lands here.)

use super::{Document, Limits};
use crate::InputKind;

/// Whether decoded text should be read as JSON or JSON Lines.
pub(super) fn looks_like_json(_text: &str, _name: Option<&str>) -> bool {
    false
}

/// Reads JSON or JSON Lines text.
pub(super) fn read(text: &str, bytes: u64, encoding: &str, _limits: &Limits) -> Document {
    let mut doc = Document::new(InputKind::Text, bytes, encoding);
    doc.set_text(text.to_owned());
    doc
}

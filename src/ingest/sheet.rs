//! Spreadsheets: xlsx, xlsm, xlsb and ods (ZIP) and xls (OLE).
//! (Stub: the calamine reader lands here.)

use super::{Document, Limits};
use crate::messages::issue;

/// Reads a ZIP container: a workbook, or another zipped format.
pub(super) fn read_zip(bytes: &[u8], _limits: &Limits) -> Document {
    let mut doc = Document::unreadable(bytes.len() as u64);
    doc.issues.push(issue::unsupported_format(
        "a ZIP archive or an Office document (such as an Excel .xlsx file)",
    ));
    doc
}

/// Reads an OLE container: an xls workbook or an encrypted Office file.
pub(super) fn read_ole(bytes: &[u8], _limits: &Limits) -> Document {
    let mut doc = Document::unreadable(bytes.len() as u64);
    doc.issues.push(issue::unsupported_format(
        "an older Office document (such as an Excel .xls file)",
    ));
    doc
}

//! Turning what the user sent (typed text or a file's bytes) into a
//! [`Document`]: the decoded text, the parsed table if it is one, what it
//! turned out to be, and the structural problems found on the way.
//!
//! The format is decided from the content, not the file name.

mod csv;
mod sniff;
mod text;

use crate::{messages::issue, InputInfo, InputKind, Issue};

pub use self::csv::Table;

/// What the user sent.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// Text typed or pasted into a prompt box.
    Text(&'a str),
    /// An uploaded file: its name (if known) and its raw bytes.
    File {
        /// The file name as the user's system gave it, used only as a hint.
        name: Option<&'a str>,
        /// The file's content.
        bytes: &'a [u8],
    },
}

/// Limits that protect against oversized input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest input accepted, in bytes.
    pub max_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 25 * 1024 * 1024,
        }
    }
}

/// An input after decoding and parsing.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// What the input is.
    pub info: InputInfo,
    /// The decoded text (empty for unreadable input).
    pub text: String,
    /// The parsed table, for delimited text.
    pub table: Option<Table>,
    /// Problems found while reading.
    pub issues: Vec<Issue>,
}

/// Reads an input: sniffs its format, decodes its text and parses tables.
///
/// ```
/// use prompt_preflight::{ingest, Input, InputKind, Limits};
/// let doc = ingest(&Input::File { name: Some("people.csv"), bytes: b"name,email\nAda,ada@example.com\n" }, &Limits::default());
/// assert_eq!(doc.info.kind, InputKind::Csv);
/// assert_eq!(doc.info.rows, Some(1));
/// ```
pub fn ingest(input: &Input<'_>, limits: &Limits) -> Document {
    match *input {
        Input::Text(text) => {
            let mut doc = Document::text(text.to_owned(), text.len() as u64, "utf-8");
            doc.check_size(limits);
            doc
        }
        Input::File { name, bytes } => ingest_file(name, bytes, limits),
    }
}

fn ingest_file(name: Option<&str>, bytes: &[u8], limits: &Limits) -> Document {
    let size = bytes.len() as u64;
    if size > limits.max_bytes {
        let mut doc = Document::unreadable(size);
        doc.issues.push(issue::too_large(size, limits.max_bytes));
        return doc;
    }
    if let Some(looks_like) = sniff::binary_kind(bytes) {
        let mut doc = Document::unreadable(size);
        doc.issues.push(issue::unsupported_format(looks_like));
        return doc;
    }
    let decoded = text::decode(bytes);
    let mut doc = match csv::parse(&decoded.text, name) {
        Some(parsed) => {
            let table = parsed.table;
            let mut doc = Document::text(String::new(), size, decoded.encoding);
            doc.info.kind = InputKind::Csv;
            doc.info.delimiter = Some(table.delimiter_label().to_owned());
            doc.info.header_row = Some(table.header_line);
            doc.info.headers = Some(table.headers.clone());
            doc.info.rows = Some(table.rows.len() as u64);
            doc.info.columns = Some(table.headers.len() as u64);
            doc.info.lines = None;
            doc.issues = parsed.issues;
            doc.table = Some(table);
            doc.text = decoded.text;
            doc
        }
        None => Document::text(decoded.text, size, decoded.encoding),
    };
    if decoded.guessed {
        // Reading problems come before what was found in the content.
        doc.issues
            .insert(0, issue::encoding_guessed(decoded.encoding));
    }
    doc
}

impl Document {
    fn text(text: String, bytes: u64, encoding: &str) -> Document {
        let lines = if text.is_empty() {
            0
        } else {
            text.lines().count().max(1) as u64
        };
        Document {
            info: InputInfo {
                kind: InputKind::Text,
                bytes,
                encoding: encoding.to_owned(),
                delimiter: None,
                header_row: None,
                headers: None,
                rows: None,
                columns: None,
                lines: Some(lines),
            },
            text,
            table: None,
            issues: Vec::new(),
        }
    }

    fn unreadable(bytes: u64) -> Document {
        let mut doc = Document::text(String::new(), bytes, "binary");
        doc.info.kind = InputKind::Unsupported;
        doc.info.lines = None;
        doc
    }

    fn check_size(&mut self, limits: &Limits) {
        if self.info.bytes > limits.max_bytes {
            self.issues
                .push(issue::too_large(self.info.bytes, limits.max_bytes));
        }
    }

    /// Whether the input has nothing but whitespace in it.
    pub fn is_blank(&self) -> bool {
        self.info.kind != InputKind::Unsupported && self.text.trim().is_empty()
    }
}

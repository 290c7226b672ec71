//! Turning what the user sent (typed text or a file's bytes) into a
//! [`Document`]: the decoded text, the parsed table if it is one, what it
//! turned out to be, and the structural problems found on the way.
//!
//! The format is decided from the content, not the file name: [`sniff`]
//! looks at the first bytes, then one reader per format takes over.

mod csv;
#[cfg(feature = "readers")]
mod decode;
mod guard;
mod header;
mod json;
mod offsets;
#[cfg(feature = "readers")]
mod pdf;
#[cfg(feature = "readers")]
mod sheet;
mod sniff;
mod text;

use crate::{messages::issue, InputInfo, InputKind, Issue, Limits};
use serde::{Deserialize, Serialize};

pub(crate) use self::csv::csv_lines;
pub use self::csv::Table;
pub use self::guard::{
    inside_reader, reader_crashes, replaying_crash, replaying_crashes, trace_address, Trace,
};
#[doc(hidden)]
pub use self::guard::{set_prescans, without_prescans};
pub use self::offsets::FileOffsets;

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

/// Whether the user typed text or sent a file: what size issues call it
/// ("your text", "your file").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// Text typed or pasted.
    Text,
    /// An uploaded file.
    File,
}

impl Input<'_> {
    /// Whether this is typed text or a file.
    ///
    /// ```
    /// use prompt_preflight::{ingest::Sent, Input};
    /// assert_eq!(Input::Text("hi").sent(), Sent::Text);
    /// ```
    pub fn sent(&self) -> Sent {
        match self {
            Input::Text(_) => Sent::Text,
            Input::File { .. } => Sent::File,
        }
    }
}

/// An input after decoding and parsing.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// What the input is.
    pub info: InputInfo,
    /// The decoded text: what the model would see (a workbook's selected
    /// sheet as CSV, a PDF's extracted text). Empty for unreadable input.
    pub text: String,
    /// The parsed table, for delimited text, workbooks and JSON records.
    pub table: Option<Table>,
    /// Problems found while reading.
    pub issues: Vec<Issue>,
    /// What decoding took out of a text file (besides a byte order mark,
    /// which `info.bom` names): the text, its counts and offsets no longer
    /// hold these characters.
    pub removed: Option<Removed>,
}

/// Characters that are not text (NUL bytes and other control characters)
/// removed from a file while decoding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removed {
    /// How many characters were removed.
    pub characters: u64,
    /// The 1-based line of the first.
    pub first_line: u64,
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
    guard::begin_input();
    match *input {
        Input::Text(text) => {
            let mut doc = Document::new(InputKind::Text, text.len() as u64, "utf-8");
            if doc.info.bytes > limits.max_bytes {
                doc.issues
                    .push(issue::too_large(doc.info.bytes, limits.max_bytes));
            }
            doc.set_text(text.to_owned());
            doc
        }
        Input::File { name, bytes } => {
            let mut doc = read_file(name, bytes, limits);
            if let Some(table) = &doc.table {
                let padded: Vec<&str> = table
                    .headers
                    .iter()
                    .filter(|h| !h.trim().is_empty() && h.trim() != h.as_str())
                    .map(String::as_str)
                    .collect();
                if !padded.is_empty() {
                    let mut at = table.location(0, None);
                    at.row = table.sheet.as_ref().map(|_| table.header_line);
                    at.line = table.sheet.is_none().then_some(table.header_line);
                    doc.issues.push(issue::padded_headers(&padded, at));
                }
            }
            // An empty file has no true kind to contradict its name.
            if let Some(mismatch) = extension_mismatch(name, doc.info.kind) {
                if !doc.is_blank() {
                    doc.issues.push(mismatch);
                }
            }
            doc
        }
    }
}

fn read_file(name: Option<&str>, bytes: &[u8], limits: &Limits) -> Document {
    let size = bytes.len() as u64;
    if size > limits.max_bytes {
        let mut doc = Document::unreadable(size);
        doc.issues.push(issue::too_large(size, limits.max_bytes));
        return doc;
    }
    read_content(name, bytes, limits)
}

/// A build without the `readers` feature (the browser's meter module)
/// reads no file; the package sends files to its full module instead.
#[cfg(not(feature = "readers"))]
fn read_content(_: Option<&str>, bytes: &[u8], _: &Limits) -> Document {
    let mut doc = Document::unreadable(bytes.len() as u64);
    doc.issues.push(issue::unsupported_format(
        "a file, and this build of the checker only reads typed text",
    ));
    doc
}

#[cfg(feature = "readers")]
fn read_content(name: Option<&str>, bytes: &[u8], limits: &Limits) -> Document {
    let size = bytes.len() as u64;
    match sniff::container(bytes) {
        sniff::Container::Zip => sheet::read_zip(bytes, limits),
        sniff::Container::Ole => sheet::read_ole(bytes, limits),
        sniff::Container::Pdf => pdf::read(bytes, limits),
        sniff::Container::Other(looks_like) => {
            let mut doc = Document::unreadable(size);
            doc.issues.push(issue::unsupported_format(looks_like));
            doc
        }
        sniff::Container::Text => read_text(name, bytes, limits),
    }
}

#[cfg(feature = "readers")]
fn read_text(name: Option<&str>, bytes: &[u8], limits: &Limits) -> Document {
    let size = bytes.len() as u64;
    let Ok(mut decoded) = decode::decode(bytes) else {
        let mut doc = Document::unreadable(size);
        doc.issues.push(issue::corrupt_file(
            "text",
            "its character encoding cannot be worked out",
        ));
        return doc;
    };
    if text::is_mostly_noise(&decoded.text) {
        let mut doc = Document::unreadable(size);
        doc.issues
            .push(issue::unsupported_format("binary data rather than text"));
        return doc;
    }
    let noise = text::strip_noise(&mut decoded.text);
    let mut doc = if json::looks_like_json(&decoded.text, name) {
        json::read(&decoded.text, size, &decoded.encoding, limits)
    } else if let Some(parsed) = csv::parse(&decoded.text, name, limits) {
        let table = parsed.table;
        let mut doc = Document::new(InputKind::Csv, size, &decoded.encoding);
        doc.info.delimiter = Some(table.delimiter_char().to_string());
        doc.info.delimiter_name = Some(table.delimiter_name().to_owned());
        doc.info.header_row = Some(table.header_line);
        doc.info.headers = Some(table.headers.clone());
        doc.info.rows = Some(table.rows.len() as u64);
        doc.info.columns = Some(table.headers.len() as u64);
        doc.issues = parsed.issues;
        doc.table = Some(table);
        doc.text = decoded.text;
        doc
    } else {
        let mut doc = Document::new(InputKind::Text, size, &decoded.encoding);
        doc.set_text(decoded.text);
        doc
    };
    doc.info.bom = decoded.bom.map(str::to_owned);
    // Reading problems come before what was found in the content.
    if let Some((count, line)) = noise {
        doc.issues.insert(0, issue::binary_content(count, line));
        doc.removed = Some(Removed {
            characters: count,
            first_line: line,
        });
    }
    if decoded.guessed {
        doc.issues
            .insert(0, issue::encoding_guessed(&decoded.encoding, doc.info.kind));
    }
    doc
}

/// The kinds a file extension promises, for `extension_mismatch`.
fn promised_kinds(extension: &str) -> &'static [InputKind] {
    use InputKind::*;
    match extension {
        "csv" | "tsv" | "tab" => &[Csv],
        "txt" | "text" | "md" => &[Text],
        "xlsx" | "xlsm" => &[Xlsx],
        "xls" => &[Xls],
        "xlsb" => &[Xlsb],
        "ods" => &[Ods],
        "json" => &[Json],
        "jsonl" | "ndjson" => &[Jsonl],
        "pdf" => &[Pdf],
        _ => &[],
    }
}

fn extension_mismatch(name: Option<&str>, kind: InputKind) -> Option<Issue> {
    let extension = name?.rsplit_once('.')?.1.to_ascii_lowercase();
    let promised = promised_kinds(&extension);
    if promised.is_empty() || promised.contains(&kind) || kind == InputKind::Unsupported {
        return None;
    }
    Some(issue::extension_mismatch(&extension, kind.description()))
}

impl Document {
    /// An empty document of `kind`; readers fill in the rest.
    pub(crate) fn new(kind: InputKind, bytes: u64, encoding: &str) -> Document {
        Document {
            info: InputInfo {
                kind,
                bytes,
                encoding: encoding.to_owned(),
                ..InputInfo::default()
            },
            text: String::new(),
            table: None,
            issues: Vec::new(),
            removed: None,
        }
    }

    /// A document we could not read at all.
    pub(crate) fn unreadable(bytes: u64) -> Document {
        Document::new(InputKind::Unsupported, bytes, "binary")
    }

    /// Sets free text and what is known about it: lines, line endings and
    /// language.
    pub(crate) fn set_text(&mut self, text: String) {
        self.info.lines = Some(if text.is_empty() {
            0
        } else {
            text.lines().count().max(1) as u64
        });
        self.info.line_ending = text::line_ending(&text).map(str::to_owned);
        self.info.language = crate::language::detect(&text).map(str::to_owned);
        self.info.language_name = self.info.language.as_deref().map(crate::language::name);
        self.text = text;
    }

    /// The parsed table, as the checks and trimming read it: always
    /// `None` in builds that read no files (only files hold tables), so
    /// that those builds leave the table code out.
    pub(crate) fn parsed_table(&self) -> Option<&Table> {
        if cfg!(feature = "readers") {
            self.table.as_ref()
        } else {
            None
        }
    }

    /// Whether the input has nothing but whitespace in it.
    pub fn is_blank(&self) -> bool {
        self.info.kind != InputKind::Unsupported && self.text.trim().is_empty()
    }
}

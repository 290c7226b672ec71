//! The "Accepted file formats" section: what the readers of `ingest` read,
//! how each format is taken for this contract, and the size limits.

use super::codes::link;
use super::markdown::{code, table};
use super::Page;
use crate::messages::{group_digits, human_size};
use crate::{Code, Contract, InputKind};

/// The formats the readers read, with the file extensions that name them
/// (as `ingest` matches extensions to kinds for `extension_mismatch`).
pub(super) const FORMATS: &[(InputKind, &[&str])] = &[
    (InputKind::Text, &["txt", "text", "md"]),
    (InputKind::Csv, &["csv", "tsv", "tab"]),
    (InputKind::Xlsx, &["xlsx", "xlsm"]),
    (InputKind::Xls, &["xls"]),
    (InputKind::Xlsb, &["xlsb"]),
    (InputKind::Ods, &["ods"]),
    (InputKind::Json, &["json"]),
    (InputKind::Jsonl, &["jsonl", "ndjson"]),
    (InputKind::Pdf, &["pdf"]),
];

/// The "Accepted file formats" section, with its size limits.
pub(super) fn section(page: &Page<'_>) -> String {
    let contract = page.contract;
    let rows: Vec<Vec<String>> = FORMATS
        .iter()
        .map(|(kind, extensions)| {
            vec![
                crate::words::capitalised(kind.description()),
                extensions
                    .iter()
                    .map(|e| code(&format!(".{e}")))
                    .collect::<Vec<_>>()
                    .join(", "),
                how_read(*kind, contract),
            ]
        })
        .collect();
    let mut out = String::from("## Accepted file formats\n\n");
    out.push_str(
        "A file is recognised by its content, not by its name. \
         Delimited text may be separated by commas, semicolons, tabs, pipes, colons or aligned spaces.\n\n",
    );
    out.push_str(&table(&["Format", "Extensions", "How it is read"], &rows));
    out.push_str(&format!(
        "\nAny other kind of file (images, archives, programs, …) is refused ({}).\n",
        link(Code::UnsupportedFormat)
    ));
    let limits = &contract.limits;
    let sizes = [
        (
            "Largest input (typed text or file)",
            human_size(limits.max_bytes),
        ),
        (
            "Largest unpacked workbook",
            human_size(limits.max_decompressed_bytes),
        ),
        ("Most rows in a table", group_digits(limits.max_rows)),
        ("Most columns in a table", group_digits(limits.max_columns)),
        ("Most cells in a table", group_digits(limits.max_cells)),
        ("Deepest nesting (JSON)", group_digits(limits.max_depth)),
    ];
    let rows: Vec<Vec<String>> = sizes
        .into_iter()
        .map(|(what, value)| vec![what.to_owned(), value])
        .collect();
    out.push_str("\n### Size limits\n\n");
    out.push_str(&table(&["Limit", "Value"], &rows));
    out.push_str(&format!(
        "\nLarger inputs are refused ({}, {}, {}).\n",
        link(Code::TooLarge),
        link(Code::TooManyRows),
        link(Code::TooDeep)
    ));
    out
}

/// How a file of `kind` is taken for `contract`.
fn how_read(kind: InputKind, contract: &Contract) -> String {
    let input = &contract.input;
    let refused = || {
        format!(
            "Refused: this task needs a table ({})",
            link(Code::WrongInputKind)
        )
    };
    match kind {
        InputKind::Text if input.text => "Read as free text".into(),
        InputKind::Pdf if input.text => {
            "Its text is read as free text; scanned pages have none".into()
        }
        InputKind::Text | InputKind::Pdf => refused(),
        InputKind::Json | InputKind::Jsonl => match (&input.table, input.text) {
            (Some(_), true) => {
                "A list of records (objects) is read as the table; other JSON is read as free text"
                    .into()
            }
            (Some(_), false) => format!(
                "A list of records (objects) is read as the table; other JSON is refused ({})",
                link(Code::WrongInputKind)
            ),
            (None, _) => "Read, and sent as written; no columns are checked".into(),
        },
        _ if input.table.is_some() => {
            if kind == InputKind::Csv {
                "Read as the table and checked against the columns".into()
            } else {
                "The first visible sheet with data is read as the table and checked against the columns".into()
            }
        }
        InputKind::Csv => "Read, and sent as its text; no columns are checked".into(),
        _ => "The first visible sheet with data is sent as CSV text; no columns are checked".into(),
    }
}

#[cfg(all(test, feature = "readers"))]
mod tests {
    use super::*;
    use crate::{ingest, Input, Limits};

    fn flagged(name: &str, bytes: &[u8]) -> bool {
        let input = Input::File {
            name: Some(name),
            bytes,
        };
        let doc = ingest(&input, &Limits::default());
        doc.issues.iter().any(|i| i.code == Code::ExtensionMismatch)
    }

    /// The extensions listed are ones `ingest` takes to promise a kind: a
    /// file of another kind named with one is flagged as mismatched, as
    /// an unknown extension is not.
    #[test]
    fn extensions_are_the_ones_ingest_knows() {
        let (json, text): (&[u8], &[u8]) = (b"{\"a\": 1}", b"Just a few words.");
        assert!(!flagged("notes.xyz", json));
        for (kind, extensions) in FORMATS {
            let other = if *kind == InputKind::Json { text } else { json };
            for extension in *extensions {
                assert!(flagged(&format!("notes.{extension}"), other), "{extension}");
            }
        }
    }
}

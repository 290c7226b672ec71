#![cfg(not(target_arch = "wasm32"))]
//! Spreadsheets through the public API: kinds, sheets, headers, issues,
//! and hostile files (which must give an issue, never a panic).

use prompt_preflight::{check, ingest, Code, Contract, Document, Input, InputKind, Limits};
use rstest::rstest;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn read_with(name: &str, limits: &Limits) -> Document {
    let bytes = fixture(name);
    ingest(
        &Input::File {
            name: Some(name),
            bytes: &bytes,
        },
        limits,
    )
}

fn read(name: &str) -> Document {
    read_with(name, &Limits::default())
}

fn codes(doc: &Document) -> Vec<Code> {
    doc.issues.iter().map(|i| i.code).collect()
}

fn contract() -> Contract {
    let text = std::fs::read_to_string(format!(
        "{}/contracts/customer-list/1.0.0.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    Contract::parse(&text).unwrap()
}

const CUSTOMERS_CSV: &str = "name,email,country,signup_date,plan\n\
Ada Lovelace,ada@example.com,United Kingdom,2024-03-15,pro\n\
Grace Hopper,grace@example.com,United States,2023-11-02,enterprise\n\
Alan Turing,alan@example.com,United Kingdom,2024-01-20,free\n\
Katherine Johnson,katherine@example.com,United States,2022-07-08,pro\n\
Edsger Dijkstra,edsger@example.com,Netherlands,2021-12-31,free\n";

#[rstest]
#[case("sheet_customers.xlsx", InputKind::Xlsx, &[])]
#[case("sheet_customers.xls", InputKind::Xls, &[])]
#[case("sheet_customers.ods", InputKind::Ods, &[])]
#[case("sheet_macro.xlsm", InputKind::Xlsx, &[Code::MacrosPresent])]
fn good_customer_lists(#[case] file: &str, #[case] kind: InputKind, #[case] expected: &[Code]) {
    let doc = read(file);
    assert_eq!(doc.info.kind, kind);
    assert_eq!(codes(&doc), expected);
    // A workbook is not text: it has no character encoding to report.
    assert_eq!(doc.info.encoding, "binary");
    assert_eq!(doc.info.selected_sheet.as_deref(), Some("Customers"));
    assert_eq!(doc.info.header_row, Some(1));
    assert_eq!((doc.info.rows, doc.info.columns), (Some(5), Some(5)));
    // Real date cells become ISO dates: the text is the CSV export.
    assert_eq!(doc.text, CUSTOMERS_CSV);
    let table = doc.table.as_ref().unwrap();
    assert_eq!(table.sheet.as_deref(), Some("Customers"));
    assert_eq!(table.row_lines, vec![2, 3, 4, 5, 6]);
    let sheets = doc.info.sheets.as_ref().unwrap();
    assert_eq!(sheets.len(), 1);
    assert_eq!((sheets[0].rows, sheets[0].columns), (6, 5));
    assert!(sheets[0].visible);

    let bytes = fixture(file);
    let input = Input::File {
        name: Some(file),
        bytes: &bytes,
    };
    let checked = check(&contract(), None, &input).unwrap();
    assert!(checked.report.ok, "{:?}", checked.report.issues);
}

#[test]
fn messy_workbook_is_described_sheet_by_sheet() {
    let doc = read("sheet_messy.xlsx");
    assert_eq!(doc.info.kind, InputKind::Xlsx);
    let sheets = doc.info.sheets.as_ref().unwrap();
    let names: Vec<&str> = sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Secret", "Customers", "Empty", "Orders"]);
    assert!(!sheets[0].visible);
    let customers = &sheets[1];
    assert_eq!(customers.header_row, Some(4));
    assert_eq!(customers.merged, vec!["A1:E1"]);
    assert_eq!(customers.formulas, 1);
    assert_eq!(customers.error_cells.len(), 1);
    assert_eq!(customers.error_cells[0].cell, "C6");
    assert_eq!(customers.error_cells[0].value, "#DIV/0!");
    assert_eq!((sheets[2].rows, sheets[2].columns), (0, 0));
    assert_eq!(sheets[3].headers, vec!["order", "amount"]);

    // The first visible sheet with data is used.
    assert_eq!(doc.info.selected_sheet.as_deref(), Some("Customers"));
    assert_eq!(doc.info.header_row, Some(4));
    assert_eq!(doc.info.rows, Some(6));
    let table = doc.table.as_ref().unwrap();
    assert_eq!(table.header_line, 4);
    assert_eq!(table.row_lines, vec![5, 6, 8, 9, 10, 11]);
    assert_eq!(table.rows[1][2], "#DIV/0!");
    assert!(doc
        .text
        .starts_with("name,email,country,signup_date,plan\n"));

    assert_eq!(
        codes(&doc),
        [
            Code::EmptySheet,
            Code::MultipleSheets,
            Code::HeaderNotFirstRow,
            Code::BlankRows,
            Code::MergedCells,
            Code::FormulaError,
            Code::DateOutOfRange,
        ]
    );
    let at = |code: Code| {
        let issue = doc.issues.iter().find(|i| i.code == code).unwrap();
        let at = issue.at.clone().unwrap();
        (at.sheet.unwrap(), at.row, at.column, issue.message.clone())
    };
    let (sheet, _, _, msg) = at(Code::EmptySheet);
    assert_eq!(sheet, "Empty");
    assert!(msg.contains("'Empty'"));
    let (_, _, _, msg) = at(Code::MultipleSheets);
    assert!(msg.contains("'Secret'") && msg.contains("'Orders'") && msg.contains("hidden"));
    assert_eq!(at(Code::HeaderNotFirstRow).1, Some(4));
    assert_eq!(at(Code::BlankRows).1, Some(7));
    let (sheet, row, column, msg) = at(Code::FormulaError);
    assert_eq!(
        (sheet.as_str(), row, column.as_deref()),
        ("Customers", Some(6), Some("country"))
    );
    assert!(msg.contains("C6") && msg.contains("#DIV/0!"));
    let (_, row, column, msg) = at(Code::DateOutOfRange);
    assert_eq!((row, column.as_deref()), (Some(11), Some("signup_date")));
    assert!(msg.contains("D11") && msg.contains("'Customers'"));
}

#[rstest]
#[case("sheet_encrypted.xlsx", InputKind::Xlsx, Code::EncryptedFile)]
#[case("sheet_truncated.xlsx", InputKind::Unsupported, Code::CorruptFile)]
#[case("sheet_zip_bomb.xlsx", InputKind::Xlsx, Code::TooLarge)]
#[case("sheet_lying_sizes.xlsx", InputKind::Unsupported, Code::CorruptFile)]
#[case("sheet_billion_laughs.xlsx", InputKind::Unsupported, Code::CorruptFile)]
#[case("sheet_deep.ods", InputKind::Ods, Code::TooDeep)]
#[case(
    "sheet_word_document.xlsx",
    InputKind::Unsupported,
    Code::UnsupportedFormat
)]
fn hostile_and_foreign_files_give_one_error(
    #[case] file: &str,
    #[case] kind: InputKind,
    #[case] code: Code,
) {
    let doc = read(file);
    assert_eq!(doc.info.kind, kind);
    assert_eq!(codes(&doc), [code], "{:?}", doc.issues);
    assert!(doc.table.is_none());
    assert!(doc.text.is_empty());
}

#[test]
fn hostile_messages_say_what_was_recognised() {
    let doc = read("sheet_encrypted.xlsx");
    assert_eq!(doc.info.encrypted, Some(true));
    assert!(doc.issues[0]
        .message
        .contains("an Office file (such as an Excel workbook)"));
    let doc = read("sheet_truncated.xlsx");
    assert!(doc.issues[0]
        .message
        .contains("an Excel workbook (.xlsx), but it is damaged or incomplete: it is cut off in the middle of the sheet data"));
    let doc = read("sheet_word_document.xlsx");
    assert!(doc.issues[0].message.contains("a Word document"));
    // Entities are never expanded: no "lol" anywhere.
    let doc = read("sheet_billion_laughs.xlsx");
    assert!(!doc.text.contains("lollol"));
}

#[test]
fn deep_nesting_is_parsed_without_recursion_when_allowed() {
    let limits = Limits {
        max_depth: u64::MAX,
        ..Limits::default()
    };
    let doc = read_with("sheet_deep.ods", &limits);
    assert_eq!(doc.info.kind, InputKind::Ods);
    assert!(!codes(&doc).contains(&Code::TooDeep));
}

#[rstest]
#[case(Limits { max_rows: 3, ..Limits::default() }, "rows")]
#[case(Limits { max_columns: 4, ..Limits::default() }, "columns")]
#[case(Limits { max_cells: 20, ..Limits::default() }, "cells")]
fn limits_stop_reading(#[case] limits: Limits, #[case] unit: &str) {
    for file in [
        "sheet_customers.xlsx",
        "sheet_customers.xls",
        "sheet_customers.ods",
    ] {
        let doc = read_with(file, &limits);
        assert_eq!(codes(&doc), [Code::TooManyRows], "{file}");
        assert!(
            doc.issues[0].message.contains(unit),
            "{file}: {}",
            doc.issues[0].message
        );
        assert!(doc.table.is_none());
    }
}

#[test]
fn a_small_decompression_limit_refuses_before_reading() {
    let limits = Limits {
        max_decompressed_bytes: 1000,
        ..Limits::default()
    };
    let doc = read_with("sheet_customers.xlsx", &limits);
    assert_eq!(codes(&doc), [Code::TooLarge]);
}

#[test]
fn cut_and_corrupted_workbooks_never_panic() {
    for file in [
        "sheet_customers.xlsx",
        "sheet_customers.xls",
        "sheet_customers.ods",
        "sheet_messy.xlsx",
        "sheet_encrypted.xlsx",
        "sheet_calamine_base.xlsb",
        "sheet_calamine_any_sheets.xlsb",
    ] {
        let bytes = fixture(file);
        for cut in (8..bytes.len()).step_by(97) {
            let _ = ingest(
                &Input::File {
                    name: None,
                    bytes: &bytes[..cut],
                },
                &Limits::default(),
            );
        }
        for at in (64..bytes.len()).step_by(131) {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x5A;
            let _ = ingest(
                &Input::File {
                    name: None,
                    bytes: &flipped,
                },
                &Limits::default(),
            );
        }
    }
    // Not one of them got past the pre-scans to a reader that panicked.
    assert_eq!(prompt_preflight::ingest::reader_crashes(), 0);
}

#[test]
fn an_xls_whose_cells_span_the_whole_sheet_is_refused_before_it_is_opened() {
    // One cell of a real workbook moved to IV65536: opening it would fill
    // 65,536 x 256 cells.
    let doc = read("sheet_xls_cell_bomb.xls");
    assert_eq!(doc.info.kind, InputKind::Xls);
    assert_eq!(codes(&doc), vec![Code::TooManyRows]);
    assert!(
        doc.issues[0].message.contains("16,777,216 cells"),
        "{}",
        doc.issues[0].message
    );
    // Under a limit it fits, it is read.
    let roomy = Limits {
        max_cells: 20_000_000,
        ..Limits::default()
    };
    assert!(read_with("sheet_xls_cell_bomb.xls", &roomy).table.is_some());
}

/// Real workbooks from calamine's own test suite (shipped in the
/// python-calamine sdist on PyPI), including the only .xlsb files.
#[rstest]
#[case::xlsb("sheet_calamine_base.xlsb", InputKind::Xlsb)]
#[case::xlsb_hidden("sheet_calamine_any_sheets.xlsb", InputKind::Xlsb)]
#[case::xls("sheet_calamine_base.xls", InputKind::Xls)]
fn real_world_workbooks_are_read(#[case] file: &str, #[case] kind: InputKind) {
    let doc = read(file);
    assert_eq!(doc.info.kind, kind);
    let table = doc.table.as_ref().expect("a table");
    assert!(!table.rows.is_empty() || !table.headers.is_empty());
    let sheets = doc.info.sheets.as_ref().unwrap();
    assert!(sheets.len() >= 2, "{sheets:?}");
    assert_eq!(
        doc.info.selected_sheet.as_deref(),
        Some(sheets[0].name.as_str())
    );
}

#[test]
fn hidden_sheets_of_a_real_xlsb_are_marked() {
    let doc = read("sheet_calamine_any_sheets.xlsb");
    let visible: Vec<(String, bool)> = doc
        .info
        .sheets
        .unwrap()
        .into_iter()
        .map(|s| (s.name, s.visible))
        .collect();
    assert_eq!(
        visible,
        vec![
            ("Visible".into(), true),
            ("Hidden".into(), false),
            ("VeryHidden".into(), false)
        ]
    );
}

#[rstest]
#[case::ods("sheet_calamine_password.ods", InputKind::Ods)]
#[case::xls("sheet_calamine_password.xls", InputKind::Xls)]
#[case::xlsb("sheet_calamine_password.xlsb", InputKind::Xlsx)]
fn real_password_protected_workbooks_are_encrypted_not_corrupt(
    #[case] file: &str,
    #[case] kind: InputKind,
) {
    let doc = read(file);
    assert_eq!(doc.info.kind, kind);
    assert_eq!(codes(&doc), vec![Code::EncryptedFile], "{:#?}", doc.issues);
    let checked = check(
        &contract(),
        None,
        &Input::File {
            name: Some(file),
            bytes: &fixture(file),
        },
    )
    .unwrap();
    assert!(
        !checked.report.has(Code::EmptyInput),
        "{:#?}",
        checked.report.issues
    );
}

/// One cell, one issue: D11 of the messy workbook is a date cell holding
/// -5, which the reader reports as `date_out_of_range`; the schema check
/// does not report the same cell again as a `type_mismatch`.
#[test]
fn no_cell_is_reported_twice() {
    let bytes = fixture("sheet_messy.xlsx");
    let input = Input::File {
        name: Some("sheet_messy.xlsx"),
        bytes: &bytes,
    };
    let report = check(&contract(), None, &input).unwrap().report;
    let mut seen = std::collections::BTreeMap::new();
    for issue in &report.issues {
        let Some(at) = &issue.at else { continue };
        let (Some(sheet), Some(row), Some(column)) = (&at.sheet, at.row, &at.column) else {
            continue;
        };
        if let Some(first) = seen.insert((sheet.clone(), row, column.clone()), issue.code) {
            panic!(
                "{sheet} row {row} '{column}' is in {first} and {}",
                issue.code
            );
        }
    }
    let d11 = |code: Code| {
        report.issues.iter().any(|i| {
            i.code == code
                && i.at.as_ref().is_some_and(|at| {
                    at.row == Some(11) && at.column.as_deref() == Some("signup_date")
                })
        })
    };
    assert!(d11(Code::DateOutOfRange), "{:#?}", report.issues);
    assert!(!d11(Code::TypeMismatch), "{:#?}", report.issues);
    // The one issue still stops the request: -5 is no signup date.
    let issue = report
        .issues
        .iter()
        .find(|i| i.code == Code::DateOutOfRange)
        .unwrap();
    assert_eq!(issue.severity, prompt_preflight::Severity::Error);
    assert!(issue.message.contains("'signup_date'"), "{}", issue.message);
    assert!(!report.ok);
}

#[test]
fn a_reported_cell_outside_the_declared_columns_stays_a_warning() {
    // Without a contract column for it, the bad date is only worth a warning.
    let bytes = fixture("sheet_messy.xlsx");
    let input = Input::File {
        name: Some("sheet_messy.xlsx"),
        bytes: &bytes,
    };
    let open = prompt_preflight::Contract::parse(
        "id = \"any\"\nversion = \"1.0.0\"\n[model]\nname = \"gpt-4o-mini\"\n[tiers.free]\nmax_input_tokens = 100000\n[input.table]\ncolumns = [{ name = \"name\" }]\nextra_columns = \"allow\"\n",
    )
    .unwrap();
    let report = check(&open, None, &input).unwrap().report;
    let issue = report
        .issues
        .iter()
        .find(|i| i.code == Code::DateOutOfRange)
        .expect("the bad date is still reported");
    assert_eq!(issue.severity, prompt_preflight::Severity::Warning);
}

/// A title merged across the table, a sentence spread over the next row
/// (across merged cells), then the header; below the data a blank row and
/// two notes of one long text cell each ("Source: …"). openpyxl reads the
/// same: dimensions A1:E13, the labels on row 4, six rows of data.
#[test]
fn notes_above_and_below_a_table_are_not_header_or_rows() {
    let doc = read("sheet_notes_around_table.xlsx");
    assert_eq!(doc.info.header_row, Some(4));
    assert_eq!(
        doc.info.headers.as_deref(),
        Some(&["region", "quarter", "revenue", "orders", "closed"].map(String::from)[..])
    );
    assert_eq!(doc.info.rows, Some(6));
    let table = doc.table.as_ref().unwrap();
    assert_eq!(table.row_lines, vec![5, 6, 7, 8, 9, 10]);
    assert_eq!(table.rows[0], ["North", "Q1", "120.5", "14", "2024-03-31"]);
    assert!(
        !doc.text.contains("Source") && !doc.text.contains("Totals"),
        "{}",
        doc.text
    );
    let found = codes(&doc);
    assert!(found.contains(&Code::HeaderNotFirstRow), "{found:?}");
    assert!(
        !found.contains(&Code::BlankRows),
        "the blank row is below the data"
    );
    assert!(!found.contains(&Code::NoHeader), "{found:?}");
}

/// Every sheet is described with its used range (rows × columns of the
/// cells holding values), as openpyxl measures it (`ws.dimensions`; it
/// says A1:A1 for an empty sheet, where we say there is none).
#[rstest]
#[case("sheet_messy.xlsx", &[("Secret", 2, 2, Some("A1:B2")), ("Customers", 11, 5, Some("A1:E11")), ("Empty", 0, 0, None), ("Orders", 2, 2, Some("A1:B2"))])]
#[case("sheet_notes_around_table.xlsx", &[("Sales", 13, 5, Some("A1:E13")), ("Notes", 1, 1, Some("A1:A1"))])]
fn every_sheet_has_its_used_range(
    #[case] file: &str,
    #[case] expected: &[(&str, u64, u64, Option<&str>)],
) {
    let doc = read(file);
    let sheets = doc.info.sheets.as_ref().unwrap();
    let found: Vec<(&str, u64, u64, Option<&str>)> = sheets
        .iter()
        .map(|s| (s.name.as_str(), s.rows, s.columns, s.used_range.as_deref()))
        .collect();
    assert_eq!(found, expected);
}

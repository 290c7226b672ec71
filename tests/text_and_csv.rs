//! Text decoding and CSV dialects, through the public API: encodings and
//! BOMs, binary noise, line endings, language, header position, blank rows,
//! quote problems, limits and extension mismatches.
#![cfg(not(target_arch = "wasm32"))]

use prompt_preflight::{check, Code, Contract, Input, InputKind, Report, Severity};
use rstest::rstest;
use std::collections::BTreeSet;
use std::path::Path;

const CONTRACT: &str = include_str!("../contracts/customer-list/1.0.0.toml");

fn fixture(file: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(file);
    std::fs::read(&path).unwrap()
}

fn report_with(contract: &Contract, file: &str) -> Report {
    let bytes = fixture(file);
    let input = Input::File {
        name: Some(file),
        bytes: &bytes,
    };
    check(contract, Some("paid"), &input).unwrap().report
}

fn report(file: &str) -> Report {
    report_with(&Contract::parse(CONTRACT).unwrap(), file)
}

fn codes(report: &Report) -> BTreeSet<Code> {
    report.issues.iter().map(|i| i.code).collect()
}

fn issue(report: &Report, code: Code) -> &prompt_preflight::Issue {
    report
        .issues
        .iter()
        .find(|i| i.code == code)
        .unwrap_or_else(|| panic!("no {code}: {:#?}", report.issues))
}

#[rstest]
#[case::title_lines("csv_title_lines.csv", InputKind::Csv, "utf-8", &[Code::HeaderNotFirstRow])]
#[case::blank_rows("csv_blank_rows.csv", InputKind::Csv, "utf-8", &[Code::BlankRows])]
#[case::unescaped("csv_unescaped_quote.csv", InputKind::Csv, "utf-8", &[Code::UnescapedQuote])]
#[case::pipe_txt("csv_pipe_named.txt", InputKind::Csv, "utf-8", &[Code::ExtensionMismatch])]
#[case::aligned("csv_space_aligned.txt", InputKind::Csv, "utf-8", &[Code::ExtensionMismatch])]
#[case::french("text_french.txt", InputKind::Text, "utf-8", &[])]
#[case::utf16("text_utf16_nobom.txt", InputKind::Text, "utf-16le", &[])]
#[case::gb18030("text_gb18030_bom.txt", InputKind::Text, "gb18030", &[])]
#[case::nul("text_nul_bytes.txt", InputKind::Text, "utf-8", &[Code::BinaryContent])]
#[case::crcrlf("text_crcrlf.txt", InputKind::Text, "utf-8", &[])]
#[case::random("random.bin", InputKind::Unsupported, "binary", &[Code::UnsupportedFormat])]
fn fixture_kinds_encodings_and_codes(
    #[case] file: &str,
    #[case] kind: InputKind,
    #[case] encoding: &str,
    #[case] expected: &[Code],
) {
    let report = report(file);
    assert_eq!(report.input.kind, kind, "{file}");
    assert_eq!(report.input.encoding, encoding, "{file}");
    assert_eq!(
        codes(&report),
        expected.iter().copied().collect(),
        "{file}: {:#?}",
        report.issues
    );
}

#[test]
fn title_lines_move_the_header_down() {
    let report = report("csv_title_lines.csv");
    assert_eq!(report.input.header_row, Some(4));
    assert_eq!(report.input.rows, Some(2));
    let skipped = issue(&report, Code::HeaderNotFirstRow);
    assert_eq!(skipped.severity, Severity::Info);
    assert!(skipped.message.contains("line 4"), "{}", skipped.message);
    assert!(report.ok);
}

#[test]
fn a_data_first_row_is_kept_as_data() {
    let report = report("csv_no_header.csv");
    assert!(report.has(Code::NoHeader));
    assert_eq!(report.input.rows, Some(3), "the first row counts as data");
    assert_eq!(report.input.headers.as_ref().unwrap()[0], "column 1");
    assert!(issue(&report, Code::NoHeader)
        .message
        .contains("Ada Lovelace"));
}

#[test]
fn blank_rows_are_counted_and_dropped() {
    let report = report("csv_blank_rows.csv");
    let blank = issue(&report, Code::BlankRows);
    assert_eq!(blank.count, Some(2));
    assert_eq!(blank.at.as_ref().unwrap().line, Some(3));
    assert_eq!(report.input.rows, Some(3));
}

#[test]
fn quote_problems_have_lines_and_the_unclosed_one_is_an_error() {
    let stray = report("csv_unescaped_quote.csv");
    let quote = issue(&stray, Code::UnescapedQuote);
    assert_eq!((quote.severity, quote.count), (Severity::Warning, Some(2)));
    assert_eq!(quote.at.as_ref().unwrap().line, Some(2));

    let unclosed = report("csv_unclosed_quote.csv");
    let quote = issue(&unclosed, Code::UnescapedQuote);
    assert_eq!(quote.severity, Severity::Error);
    assert!(quote.message.contains("line 3") && quote.message.contains("never closed"));
    assert!(!unclosed.ok);
}

#[test]
fn guessed_encodings_are_named_for_people() {
    let report = report("text_shift_jis.csv");
    assert_eq!(report.input.encoding, "shift_jis");
    let guessed = issue(&report, Code::EncodingGuessed);
    assert!(
        guessed.message.contains("SHIFT_JIS (Japanese)"),
        "{}",
        guessed.message
    );
    assert_eq!(report.input.headers.as_ref().unwrap()[0], "名前");
}

/// The advice on a guessed encoding fits the file: the script the guess is
/// about, and how that kind of file is saved as UTF-8. French text is not
/// told about CSV, nor Korean text about accented letters.
#[rstest]
#[case::french_text(
    "notes.txt",
    "Le café de la gare ouvre à sept heures. Les élèves arrivent très tôt, et le garçon prépare déjà les crêpes.\n",
    encoding_rs::WINDOWS_1252,
    "accented letters",
    false
)]
#[case::russian_xml(
    "export.xml",
    "<?xml version=\"1.0\"?>\n<заказы><заказ>Москва, улица Тверская, дом семь, квартира двенадцать</заказ><заказ>Санкт-Петербург, Невский проспект</заказ></заказы>\n",
    encoding_rs::WINDOWS_1251,
    "Cyrillic letters",
    false
)]
#[case::korean_text(
    "memo.txt",
    "안녕하세요. 오늘 회의는 오후 세 시에 시작합니다. 자료를 미리 읽어 주시기 바랍니다. 감사합니다.\n",
    encoding_rs::EUC_KR,
    "Korean characters",
    false
)]
#[case::french_csv(
    "clients.csv",
    "name,email,city\nJosé Müller,jose@example.com,Besançon\nFrançois Hélène,fh@example.com,Genève\n",
    encoding_rs::WINDOWS_1252,
    "accented letters",
    true
)]
fn encoding_advice_fits_the_kind_and_the_script(
    #[case] name: &str,
    #[case] text: &str,
    #[case] encoding: &'static encoding_rs::Encoding,
    #[case] letters: &str,
    #[case] table: bool,
) {
    let (bytes, _, lossy) = encoding.encode(text);
    assert!(!lossy);
    let contract = Contract::parse(CONTRACT).unwrap();
    let input = Input::File {
        name: Some(name),
        bytes: &bytes,
    };
    let report = check(&contract, Some("paid"), &input).unwrap().report;
    let guessed = issue(&report, Code::EncodingGuessed);
    assert!(guessed.hint.contains(letters), "{}", guessed.hint);
    assert_eq!(guessed.hint.contains("CSV"), table, "{}", guessed.hint);
    for other in ["accented", "Cyrillic", "Korean"] {
        if !letters.contains(other) {
            assert!(!guessed.hint.contains(other), "{}", guessed.hint);
        }
    }
}

#[test]
fn boms_line_endings_and_noise_are_reported() {
    let gb = report("text_gb18030_bom.txt");
    assert_eq!(gb.input.bom.as_deref(), Some("gb18030"));
    assert_eq!(report("text_utf16_nobom.txt").input.bom, None);
    assert_eq!(
        report("text_crcrlf.txt").input.line_ending.as_deref(),
        Some("crcrlf")
    );
    let nul = report("text_nul_bytes.txt");
    let noise = issue(&nul, Code::BinaryContent);
    assert_eq!(
        (noise.count, noise.at.as_ref().unwrap().line),
        (Some(3), Some(2))
    );
    assert!(nul.ok, "noise is removed with a warning");
}

#[test]
fn languages_are_detected_and_checked_against_the_contract() {
    let input = report("text_french.txt").input;
    assert_eq!(input.language.as_deref(), Some("fra"));
    // People read the name, not the code.
    assert_eq!(input.language_name.as_deref(), Some("French"));
    let english_only = CONTRACT.replace("text = true", "text = true\nlanguages = [\"eng\"]");
    let contract = Contract::parse(&english_only).unwrap();
    let report = report_with(&contract, "text_french.txt");
    let refused = issue(&report, Code::LanguageNotSupported);
    assert!(refused.message.contains("French"), "{}", refused.message);
    assert!(refused.hint.contains("eng"), "{}", refused.hint);
    assert!(!report.ok);

    let french_too = CONTRACT.replace(
        "text = true",
        "text = true\nlanguages = [\"eng\", \"French\"]",
    );
    assert!(report_with(&Contract::parse(&french_too).unwrap(), "text_french.txt").ok);
}

#[test]
fn unknown_languages_and_zero_limits_are_contract_errors() {
    let bad = CONTRACT.replace("text = true", "text = true\nlanguages = [\"klingon\"]");
    let err = Contract::parse(&bad).unwrap_err();
    assert_eq!(err.field(), Some("input.languages[0]"));
    let zero = format!("{CONTRACT}\n[limits]\nmax_rows = 0\n");
    assert_eq!(
        Contract::parse(&zero).unwrap_err().field(),
        Some("limits.max_rows")
    );
}

#[test]
fn contract_limits_cap_rows_columns_and_bytes() {
    let strict = Contract::parse(&format!(
        "{CONTRACT}\n[limits]\nmax_rows = 3\nmax_bytes = 4096\n"
    ))
    .unwrap();
    let report = report_with(&strict, "customers_ok.csv");
    let rows = issue(&report, Code::TooManyRows);
    assert!(
        rows.message.contains("most we accept is 3"),
        "{}",
        rows.message
    );
    assert_eq!(report.input.rows, Some(3), "reading stops at the limit");
    assert!(!report.ok);

    let report = report_with(&strict, "long_prose.txt");
    assert!(report.has(Code::TooLarge), "{:#?}", report.issues);

    let narrow = Contract::parse(&format!("{CONTRACT}\n[limits]\nmax_columns = 2\n")).unwrap();
    assert!(report_with(&narrow, "customers_ok.csv").has(Code::TooManyRows));
}

#[test]
fn a_megabyte_line_and_many_quotes_are_read_without_trouble() {
    let contract = Contract::parse(CONTRACT).unwrap();
    let mut csv = String::from("name,email\n");
    csv.push_str(&"x".repeat(1 << 20));
    csv.push_str(",a@example.com\n");
    csv.push_str(&"\"\"\"\",b@example.com\n".repeat(10_000));
    let checked = check(
        &contract,
        Some("paid"),
        &Input::File {
            name: Some("big.csv"),
            bytes: csv.as_bytes(),
        },
    )
    .unwrap();
    assert_eq!(checked.report.input.rows, Some(10_001));
    assert!(checked.report.has(Code::OverTokenLimit));
}

const ORDERS: &str = r#"
id = "orders"
version = "1.0.0"
[model]
name = "gpt-4o-mini"
encoding = "o200k_base"
[tiers.free]
max_input_tokens = 2000
[[input.table.columns]]
name = "order"
required = true
pattern = "[A-Z]{2}-[0-9]{4}"
example = "AB-1234"
[[input.table.columns]]
name = "placed"
type = "date"
formats = ["DD/MM/YYYY", "YYYY-MM-DD"]
[[input.table.columns]]
name = "quantity"
type = "integer"
min = 1
max = 100
[[input.table.columns]]
name = "note"
max_length = 10
"#;

#[test]
fn column_rules_formats_lengths_patterns_and_ranges() {
    let contract = Contract::parse(ORDERS).unwrap();
    let csv = "order,placed,quantity,note\n\
               AB-1234,15/03/2024,3,ok\n\
               ab-12,2024-03-16,0,this note is far too long\n\
               CD-9999,03/15/2024,500,fine\n";
    let input = Input::File {
        name: Some("orders.csv"),
        bytes: csv.as_bytes(),
    };
    let report = check(&contract, None, &input).unwrap().report;
    let for_column = |column: &str| {
        report
            .issues
            .iter()
            .find(|i| i.at.as_ref().and_then(|a| a.column.as_deref()) == Some(column))
            .unwrap_or_else(|| panic!("no issue for {column}: {:#?}", report.issues))
    };
    let order = for_column("order");
    assert_eq!(
        (order.code, order.at.as_ref().unwrap().row),
        (Code::InvalidValue, Some(2))
    );
    assert!(
        order
            .message
            .contains("not in the required form like 'AB-1234'"),
        "{}",
        order.message
    );
    let placed = for_column("placed");
    assert_eq!(
        placed.code,
        Code::TypeMismatch,
        "03/15/2024 has no month 15"
    );
    assert!(
        placed.message.contains("DD/MM/YYYY or YYYY-MM-DD"),
        "{}",
        placed.message
    );
    let quantity = for_column("quantity");
    assert_eq!(
        (quantity.code, quantity.count),
        (Code::InvalidValue, Some(2))
    );
    assert!(
        quantity
            .message
            .contains("below the smallest allowed value, 1"),
        "{}",
        quantity.message
    );
    let note = for_column("note");
    assert!(
        note.message.contains("25 characters; the most is 10"),
        "{}",
        note.message
    );
    assert!(!report.ok);
}

#[rstest]
#[case::bad_regex("pattern = \"[A-Z{2\"", "input.table.columns[0].pattern")]
#[case::min_on_text("min = 1", "input.table.columns[0].min")]
#[case::zero_length("max_length = 0", "input.table.columns[0].max_length")]
#[case::format_on_text("formats = [\"DD/MM/YYYY\"]", "input.table.columns[0].formats")]
fn column_rules_are_validated_with_the_contract(#[case] rule: &str, #[case] field: &str) {
    let source = ORDERS.replace("pattern = \"[A-Z]{2}-[0-9]{4}\"", rule);
    let err = Contract::parse(&source).unwrap_err();
    assert_eq!(err.field(), Some(field), "{err}");
}

#[test]
fn a_date_format_without_a_day_is_refused() {
    let source = ORDERS.replace("\"DD/MM/YYYY\", ", "\"MM/YYYY\", ");
    let err = Contract::parse(&source).unwrap_err();
    assert_eq!(
        err.field(),
        Some("input.table.columns[1].formats[0]"),
        "{err}"
    );
}

#[test]
fn space_aligned_columns_are_a_table() {
    let report = report("csv_space_aligned.txt");
    assert_eq!(report.input.delimiter.as_deref(), Some(" "));
    assert_eq!(report.input.delimiter_name.as_deref(), Some("spaces"));
    assert_eq!(
        report.input.headers.as_ref().unwrap(),
        &["name", "email", "country", "plan"]
    );
    assert_eq!(report.input.rows, Some(3));
    assert!(report.ok, "{:#?}", report.issues);
}

#[test]
fn padded_headers_match_and_backslash_escapes_are_named() {
    let report = report("csv_padded_and_backslash.csv");
    let padded = issue(&report, Code::PaddedHeader);
    assert_eq!((padded.severity, padded.count), (Severity::Info, Some(2)));
    assert!(
        padded.message.contains("' name '") && padded.message.contains("'email  '"),
        "{}",
        padded.message
    );
    assert!(!report.has(Code::MissingColumn), "padded names still match");
    let quote = issue(&report, Code::UnescapedQuote);
    assert!(quote.hint.contains("backslash"), "{}", quote.hint);
    assert_eq!(quote.at.as_ref().unwrap().line, Some(3));
}

fn table_of(file: &str) -> prompt_preflight::Table {
    let bytes = fixture(file);
    let input = Input::File {
        name: Some(file),
        bytes: &bytes,
    };
    prompt_preflight::ingest(&input, &prompt_preflight::Limits::default())
        .table
        .unwrap()
}

#[test]
fn a_first_line_of_names_stays_the_header_over_ragged_rows() {
    // Python's csv reads 5 records: the names line, then rows of 2, 5, 5
    // and 2 cells; two of them are longer than the header.
    let report = report("csv_header_ragged_rows.csv");
    assert_eq!(report.input.header_row, Some(1));
    assert_eq!(
        report.input.headers.as_deref(),
        Some(&["id", "name", "amount"].map(String::from)[..])
    );
    assert_eq!(report.input.rows, Some(4));
    assert!(!report.has(Code::HeaderNotFirstRow) && !report.has(Code::NoHeader));
    let ragged = issue(&report, Code::RaggedRow);
    assert_eq!(ragged.count, Some(4));
    assert_eq!(ragged.at.as_ref().unwrap().line, Some(2));
}

#[test]
fn a_first_line_shaped_like_the_rows_is_data_even_when_rows_are_ragged() {
    // Python's csv reads 5 records; the first has numbers (12.5) where the
    // rows below have numbers, so all 5 are data.
    let report = report("csv_no_header_ragged.csv");
    assert!(report.has(Code::NoHeader), "{:#?}", report.issues);
    assert_eq!(report.input.rows, Some(5));
    assert_eq!(report.input.headers.as_ref().unwrap()[0], "column 1");
    let ragged = issue(&report, Code::RaggedRow);
    assert_eq!(
        (ragged.count, ragged.at.as_ref().unwrap().line),
        (Some(2), Some(3))
    );
}

#[test]
fn a_pipe_table_whose_last_lines_are_short_is_still_a_table() {
    // Python's csv with delimiter '|' reads 10 records: the header, 6 rows
    // of 4 cells and 3 of 2.
    let report = report("csv_pipe_short_tail.txt");
    assert_eq!(report.input.kind, InputKind::Csv);
    assert_eq!(report.input.delimiter_name.as_deref(), Some("pipe"));
    assert_eq!(report.input.rows, Some(9));
    let ragged = issue(&report, Code::RaggedRow);
    assert_eq!(
        (ragged.count, ragged.at.as_ref().unwrap().line),
        (Some(3), Some(8))
    );
}

#[test]
fn records_match_an_rfc_4180_reader_across_multiline_cells_and_stray_quotes() {
    // Python: len(list(csv.reader(open(f, newline="")))) - 1 == 3000. Row
    // 1200 has a quoted cell of 41 lines; row 2100 has `TV 5" screen`
    // unquoted, which both readers keep as written.
    let report = report("csv_multiline_cell_big.csv");
    assert_eq!(report.input.rows, Some(3000));
    let quote = issue(&report, Code::UnescapedQuote);
    assert_eq!(
        (quote.count, quote.at.as_ref().unwrap().line),
        (Some(1), Some(2141))
    );
    let table = table_of("csv_multiline_cell_big.csv");
    assert_eq!(table.rows[1199][2].matches('\n').count(), 40);
    assert_eq!(table.rows[2099][1], "TV 5\" screen");
    assert_eq!(table.row_lines[1200], 1242, "the row after the long cell");
    assert!(table.rows.iter().all(|r| r.len() == 4));
}

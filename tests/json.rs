//! JSON and JSON Lines through the public API: kinds, tables, issues and
//! their locations, limits, and hostile input.
#![cfg(not(target_arch = "wasm32"))]

use prompt_preflight::{
    check, ingest, Checked, Code, Contract, Document, Input, InputKind, Issue, Limits, Location,
    Severity,
};
use rstest::rstest;
use std::collections::BTreeSet;
use std::path::Path;

fn contract() -> Contract {
    Contract::parse(include_str!("../contracts/customer-list/1.0.0.toml"))
        .expect("the example contract is valid")
}

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn read(name: Option<&str>, bytes: &[u8]) -> Document {
    ingest(&Input::File { name, bytes }, &Limits::default())
}

fn read_with(name: &str, bytes: &[u8], limits: Limits) -> Document {
    ingest(
        &Input::File {
            name: Some(name),
            bytes,
        },
        &limits,
    )
}

fn check_fixture(name: &str) -> Checked {
    let bytes = fixture(name);
    check(
        &contract(),
        Some("paid"),
        &Input::File {
            name: Some(name),
            bytes: &bytes,
        },
    )
    .expect("the tier exists")
}

fn codes(issues: &[Issue]) -> BTreeSet<Code> {
    issues.iter().map(|i| i.code).collect()
}

fn the(issues: &[Issue], code: Code) -> &Issue {
    let mut found = issues.iter().filter(|i| i.code == code);
    let issue = found
        .next()
        .unwrap_or_else(|| panic!("no {code} issue in {issues:#?}"));
    assert!(found.next().is_none(), "more than one {code}: {issues:#?}");
    issue
}

fn line(issue: &Issue) -> Option<u64> {
    issue.at.as_ref().and_then(|at| at.line)
}

const CUSTOMER_HEADERS: [&str; 5] = ["name", "email", "country", "signup_date", "plan"];

#[rstest]
#[case::array_of_records("json_customers.json", InputKind::Json, &[], Some(4), &[2, 10, 18, 26])]
#[case::inconsistent_keys("json_customers_inconsistent_keys.json", InputKind::Json, &[Code::InconsistentKeys], Some(4), &[2, 3, 4, 5])]
#[case::json_lines_named_json("json_really_lines.json", InputKind::Jsonl, &[Code::ExtensionMismatch], Some(3), &[1, 2, 3])]
#[case::json_lines_one_bad_line("json_lines_one_bad.jsonl", InputKind::Jsonl, &[Code::InvalidJsonlLine], Some(3), &[1, 2, 5])]
#[case::missing_comma("json_missing_comma.json", InputKind::Json, &[Code::InvalidJson], None, &[])]
fn fixtures_read_as_expected(
    #[case] name: &str,
    #[case] kind: InputKind,
    #[case] expected: &[Code],
    #[case] rows: Option<u64>,
    #[case] row_lines: &[u64],
) {
    let bytes = fixture(name);
    let doc = read(Some(name), &bytes);
    assert_eq!(doc.info.kind, kind);
    assert_eq!(
        codes(&doc.issues),
        expected.iter().copied().collect(),
        "{:#?}",
        doc.issues
    );
    assert_eq!(doc.info.rows, rows);
    assert_eq!(
        doc.text,
        String::from_utf8(bytes).unwrap(),
        "the model sees the file as written"
    );
    assert_eq!(doc.info.delimiter, None);
    assert_eq!(doc.info.header_row, None);
    assert_eq!(doc.info.language, None, "records are not prose");
    match &doc.table {
        Some(table) => {
            assert_eq!(table.row_lines, row_lines);
            assert_eq!(table.header_line, row_lines[0]);
            assert_eq!(table.sheet, None);
            assert_eq!(doc.info.headers.as_ref(), Some(&table.headers));
            assert_eq!(doc.info.columns, Some(table.headers.len() as u64));
            assert!(table.rows.iter().all(|r| r.len() == table.headers.len()));
        }
        None => assert!(row_lines.is_empty()),
    }
}

#[test]
fn customer_records_become_a_table_with_flattened_addresses() {
    let doc = read(Some("customers.json"), &fixture("json_customers.json"));
    let table = doc.table.expect("records make a table");
    let mut headers = CUSTOMER_HEADERS.to_vec();
    headers.extend(["address.city", "address.postcode"]);
    assert_eq!(table.headers, headers);
    assert_eq!(
        table.rows[0],
        [
            "Ada Lovelace",
            "ada@example.com",
            "United Kingdom",
            "2024-03-15",
            "pro",
            "London",
            "W1A 1AA"
        ]
    );
    assert_eq!(table.rows[3][1], "katherine@example.com");
    assert_eq!(doc.info.lines, Some(34));
    assert_eq!(doc.info.line_ending.as_deref(), Some("lf"));
}

#[test]
fn customer_records_pass_the_contract_with_the_extra_address_columns_warned() {
    let checked = check_fixture("json_customers.json");
    let report = &checked.report;
    assert!(report.ok, "{:#?}", report.issues);
    assert_eq!(codes(&report.issues), [Code::UnexpectedColumn].into());
    let extra: Vec<_> = report
        .issues
        .iter()
        .filter_map(|i| i.at.as_ref()?.column.clone())
        .collect();
    assert_eq!(extra, ["address.city", "address.postcode"]);
    assert_eq!(report.input.kind, InputKind::Json);
}

#[test]
fn keys_missing_from_some_records_are_grouped_per_key() {
    let doc = read(
        Some("c.json"),
        &fixture("json_customers_inconsistent_keys.json"),
    );
    let missing: Vec<_> = doc
        .issues
        .iter()
        .map(|i| (i.count, i.at.clone(), i.severity))
        .collect();
    let at = |row, column: &str, line| Location {
        sheet: None,
        row: Some(row),
        column: Some(column.to_owned()),
        line: Some(line),
    };
    assert_eq!(
        missing,
        [
            (Some(1), Some(at(3, "email", 4)), Severity::Warning),
            (Some(2), Some(at(2, "country", 3)), Severity::Warning),
        ]
    );
    assert!(doc.issues[1]
        .message
        .contains("2 records lack the key 'country', first at record 2 (line 3)"));
    // The contract then sees an empty email in record 3.
    let report = check_fixture("json_customers_inconsistent_keys.json").report;
    assert!(report.ok);
    let empty = the(&report.issues, Code::MissingValue);
    assert_eq!(empty.at.as_ref().unwrap().row, Some(3));
    assert_eq!(line(empty), Some(4));
}

#[test]
fn a_bad_json_line_is_reported_and_the_other_lines_are_kept() {
    let doc = read(Some("c.jsonl"), &fixture("json_lines_one_bad.jsonl"));
    let bad = the(&doc.issues, Code::InvalidJsonlLine);
    assert_eq!(bad.count, Some(1));
    assert_eq!(line(bad), Some(3));
    assert!(bad
        .message
        .contains("the line ends before the record is complete"));
    let table = doc.table.unwrap();
    assert_eq!(table.headers, CUSTOMER_HEADERS);
    assert_eq!(table.rows[2][0], "Katherine Johnson");
    let report = check_fixture("json_lines_one_bad.jsonl").report;
    assert!(report.ok, "bad lines are a warning: {:#?}", report.issues);
}

#[test]
fn several_bad_json_lines_are_one_issue_at_the_first() {
    let text = "{\"a\": 1}\n{\"a\": 2,}\n{\"a\": 3}\n{\"a\" 4}\n{\"a\": 5}\n{\"a\": 6}\n";
    let doc = read(Some("x.ndjson"), text.as_bytes());
    assert_eq!(doc.info.kind, InputKind::Jsonl);
    let bad = the(&doc.issues, Code::InvalidJsonlLine);
    assert_eq!((bad.count, line(bad)), (Some(2), Some(2)));
    assert!(bad.message.contains("extra comma"), "{}", bad.message);
    assert_eq!(doc.info.rows, Some(4));
}

#[test]
fn a_json_lines_file_named_json_gets_extension_mismatch() {
    let doc = read(Some("customers.json"), &fixture("json_really_lines.json"));
    let mismatch = the(&doc.issues, Code::ExtensionMismatch);
    assert!(mismatch.message.contains("JSON Lines"));
    assert_eq!(doc.table.unwrap().headers, CUSTOMER_HEADERS);
}

#[rstest]
#[case::missing_comma_in_file(
    "json_missing_comma.json",
    "a comma or closing bracket is missing",
    5,
    5
)]
fn invalid_json_fixtures_say_where_and_why(
    #[case] name: &str,
    #[case] what: &str,
    #[case] at_line: u64,
    #[case] character: u64,
) {
    let doc = read(Some(name), &fixture(name));
    let invalid = the(&doc.issues, Code::InvalidJson);
    assert_eq!(invalid.severity, Severity::Error);
    assert_eq!(line(invalid), Some(at_line));
    assert!(
        invalid
            .message
            .contains(&format!("{what} at line {at_line}, character {character}")),
        "{}",
        invalid.message
    );
    assert!(!check_fixture(name).report.ok);
}

#[rstest]
#[case::missing_comma(
    "[{\"a\": 1} {\"a\": 2}]",
    "a comma or closing bracket is missing",
    1,
    11
)]
#[case::ends_early(
    "[\n  {\"a\": 1},\n  {\"a\": 2",
    "the file ends before the data is complete",
    3,
    9
)]
#[case::open_quote("[\"Ada]", "a text value is not closed with a quote", 1, 6)]
#[case::quote_open_at_line_end(
    "[\"Ada\n\"]",
    "a text value is not closed with a quote on the same line",
    1,
    6
)]
#[case::no_colon("{\"a\" 1}", "a colon (:) is missing after a name", 1, 6)]
#[case::unquoted_key("{name: \"Ada\"}", "a name is not in double quotes", 1, 2)]
#[case::trailing_comma("[1, 2,]", "there is an extra comma before a closing bracket", 1, 7)]
#[case::extra_text(
    "{\"a\": 1}\n{\"a\": 2} and more",
    "there is extra text after the data",
    2,
    1
)]
#[case::bad_word(
    "[yes]",
    "a value is missing or not valid (text must be in double quotes)",
    1,
    2
)]
#[case::bad_number("[01]", "a number is not written correctly", 1, 3)]
#[case::bad_escape(
    "[\"a\\q\"]",
    "a backslash (\\) in a text value is not followed by a valid letter",
    1,
    5
)]
#[case::columns_count_characters(
    "[\"Zoë\" \"Müller\"]",
    "a comma or closing bracket is missing",
    1,
    8
)]
fn invalid_json_says_where_and_why_in_plain_words(
    #[case] text: &str,
    #[case] what: &str,
    #[case] at_line: u64,
    #[case] character: u64,
) {
    let doc = read(Some("data.json"), text.as_bytes());
    assert_eq!(doc.info.kind, InputKind::Json);
    let invalid = the(&doc.issues, Code::InvalidJson);
    assert_eq!(
        invalid.message,
        format!("The file is not valid JSON: {what} at line {at_line}, character {character}.")
    );
    assert_eq!(line(invalid), Some(at_line));
    assert_eq!(doc.table, None);
}

#[rstest]
#[case::hundred_thousand_open_brackets(&"[".repeat(100_000), 1)]
#[case::hundred_thousand_closed_brackets(&format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)), 1)]
#[case::deep_objects(&"{\"a\":".repeat(100_000), 1)]
#[case::pretty_printed_depth_65(&pretty_nested(65), 65)]
#[case::deep_after_good_lines(&format!("{{\"a\": 1}}\n{{\"a\": 2}}\n{}", "[".repeat(70)), 3)]
fn nesting_beyond_the_limit_is_refused(#[case] text: &str, #[case] at_line: u64) {
    let doc = read(Some("deep.json"), text.as_bytes());
    let deep = the(&doc.issues, Code::TooDeep);
    assert_eq!(deep.severity, Severity::Error);
    assert_eq!(line(deep), Some(at_line));
    assert!(deep.message.contains("more than 64 levels"));
    assert_eq!(doc.table, None);
}

/// `[` on lines 1..=depth, each one level deeper, then the closing ones.
fn pretty_nested(depth: usize) -> String {
    let mut text = String::new();
    for i in 0..depth {
        text.push_str(&" ".repeat(i));
        text.push_str("[\n");
    }
    for i in (0..depth).rev() {
        text.push_str(&" ".repeat(i));
        text.push_str("]\n");
    }
    text
}

#[test]
fn the_depth_limit_is_the_contracts() {
    let text = pretty_nested(64);
    assert!(read(Some("a.json"), text.as_bytes()).issues.is_empty());
    let strict = Limits {
        max_depth: 3,
        ..Limits::default()
    };
    let doc = read_with("a.json", br#"{"a": {"b": {"c": {"d": 1}}}}"#, strict);
    let deep = the(&doc.issues, Code::TooDeep);
    assert!(deep.message.contains("more than 3 levels"));
    let doc = read_with("a.json", br#"{"a": {"b": {"c": 1}}}"#, strict);
    assert!(doc.issues.is_empty());
}

#[test]
fn unclosed_brackets_on_bad_lines_do_not_add_up_in_json_lines() {
    let mut text = String::new();
    for i in 0..100 {
        text.push_str(&format!("{{\"n\": {i}}}\n{{\"open\": [\n"));
    }
    text.push_str("{\"n\": 100}\n");
    let doc = read(Some("x.jsonl"), text.as_bytes());
    assert_eq!(doc.info.kind, InputKind::Jsonl);
    let bad = the(&doc.issues, Code::InvalidJsonlLine);
    assert_eq!((bad.count, line(bad)), (Some(100), Some(2)));
    assert_eq!(doc.info.rows, Some(101));
}

#[rstest]
#[case::number_bool_null_array(
    r#"[{"n": 1.5, "i": -3, "b": true, "z": null, "arr": [1, "a", {"k": null}], "s": "x, \"y\""}]"#,
    &["n", "i", "b", "z", "arr", "s"],
    &["1.5", "-3", "true", "", r#"[1,"a",{"k":null}]"#, "x, \"y\""]
)]
#[case::deeply_nested_keys(
    r#"[{"a": {"b": {"c": 1}, "d": 2}, "e": {}}]"#,
    &["a.b.c", "a.d", "e"],
    &["1", "2", "{}"]
)]
#[case::single_flat_object(r#"{"name": "Ada", "email": "ada@example.com", "vip": false}"#, &["name", "email", "vip"], &["Ada", "ada@example.com", "false"])]
#[case::keys_keep_file_order(r#"[{"zeta": 1, "alpha": 2, "mid": 3}]"#, &["zeta", "alpha", "mid"], &["1", "2", "3"])]
fn values_become_cells(#[case] text: &str, #[case] headers: &[&str], #[case] row: &[&str]) {
    let doc = read(Some("a.json"), text.as_bytes());
    assert_eq!(doc.info.kind, InputKind::Json);
    let table = doc.table.expect("a table");
    assert_eq!(table.headers, headers);
    assert_eq!(table.rows, [row]);
}

#[rstest]
#[case::object_with_nested_values(r#"{"customers": [{"name": "Ada"}]}"#)]
#[case::array_of_numbers("[1, 2, 3]")]
#[case::mixed_array(r#"[{"name": "Ada"}, "Grace"]"#)]
#[case::empty_array("[]")]
#[case::empty_object("{}")]
fn values_that_are_not_records_are_not_a_table(#[case] text: &str) {
    let doc = read(Some("a.json"), text.as_bytes());
    assert_eq!(doc.info.kind, InputKind::Json);
    assert!(doc.issues.is_empty(), "{:#?}", doc.issues);
    assert_eq!(doc.table, None);
    assert_eq!(doc.info.rows, None);
}

#[rstest]
#[case::records(Limits { max_rows: 2, ..Limits::default() }, "4 records")]
#[case::columns(Limits { max_columns: 4, ..Limits::default() }, "7 columns")]
#[case::cells(Limits { max_cells: 20, ..Limits::default() }, "28 cells")]
fn tables_over_the_limits_are_refused(#[case] limits: Limits, #[case] found: &str) {
    let doc = read_with("c.json", &fixture("json_customers.json"), limits);
    let many = the(&doc.issues, Code::TooManyRows);
    assert!(many.message.contains(found), "{}", many.message);
    assert_eq!(doc.table, None);
    assert_eq!(doc.info.kind, InputKind::Json);
}

#[rstest]
#[case::csv_with_bracketed_header("[id],name\n1,Ada\n2,Grace\n", None, InputKind::Csv)]
#[case::log_lines(
    "[2024-03-01] started\n[2024-03-01] done [ok]\n",
    Some("log.txt"),
    InputKind::Text
)]
#[case::unnamed_json_array("[{\"name\": \"Ada\"}]", None, InputKind::Json)]
#[case::unnamed_json_lines("{\"a\": 1}\n{\"a\": 2}\n", Some("export"), InputKind::Jsonl)]
#[case::named_json_that_is_csv("name,email\nAda,ada@example.com\n", Some("a.json"), InputKind::Csv)]
#[case::broken_json_named_json("[{\"name\": \"Ada\"", Some("a.JSON"), InputKind::Json)]
fn json_is_recognised_by_content(
    #[case] text: &str,
    #[case] name: Option<&str>,
    #[case] kind: InputKind,
) {
    assert_eq!(read(name, text.as_bytes()).info.kind, kind);
}

#[rstest]
#[case::lone_open_bracket("[")]
#[case::lone_close_brackets("[]]]]}}}}")]
#[case::lone_quote("[\"")]
#[case::backslash_at_end("[\"\\")]
#[case::huge_number("[1e999999]")]
#[case::bad_surrogate("[\"\\ud800\"]")]
#[case::many_open_objects(&"{\"a\":[".repeat(50_000))]
#[case::crlf_lines("{\"a\": 1}\r\n{\"a\": 2}\r\n{\"a\": 3\r\n")]
fn hostile_json_is_an_error_or_a_warning_never_a_panic(#[case] text: &str) {
    let doc = read(Some("x.json"), text.as_bytes());
    assert!(
        matches!(doc.info.kind, InputKind::Json | InputKind::Jsonl),
        "{:?}",
        doc.info.kind
    );
    assert!(!doc.issues.is_empty());
    let report = check(
        &contract(),
        None,
        &Input::File {
            name: Some("x.json"),
            bytes: text.as_bytes(),
        },
    )
    .unwrap()
    .report;
    assert_eq!(report.ok, report.errors().next().is_none());
}

//! Table-driven checks of every fixture in `tests/fixtures/` against the
//! example contract, through the public API only.
#![cfg(not(target_arch = "wasm32"))]

use prompt_preflight::messages::group_digits;
use prompt_preflight::{
    check, BudgetState, Checked, Code, Contract, Encoding, Input, InputKind, Issue, Report, Role,
    Severity,
};
use rstest::rstest;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn contract() -> Contract {
    Contract::parse(include_str!("../contracts/customer-list/1.0.0.toml"))
        .expect("the example contract is valid")
}

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn check_file(name: &str, tier: Option<&str>) -> Checked {
    let bytes = fixture(name);
    check(
        &contract(),
        tier,
        &Input::File {
            name: Some(name),
            bytes: &bytes,
        },
    )
    .expect("the tier exists")
}

fn codes(report: &Report) -> BTreeSet<Code> {
    report.issues.iter().map(|i| i.code).collect()
}

fn the(report: &Report, code: Code) -> &Issue {
    let mut found = report.issues.iter().filter(|i| i.code == code);
    let issue = found
        .next()
        .unwrap_or_else(|| panic!("no {code} issue in {:#?}", report.issues));
    assert!(
        found.next().is_none(),
        "more than one {code} issue: {:#?}",
        report.issues
    );
    issue
}

/// Properties every report has, whatever the input.
fn assert_consistent(checked: &Checked, tier: &str) {
    let report = &checked.report;
    let contract = contract();
    let limits = &contract.tiers[tier];
    assert_eq!(
        report.ok,
        report.errors().next().is_none(),
        "ok matches the error issues"
    );
    assert_eq!(report.contract.id, "customer-list");
    assert_eq!(report.contract.version, "1.0.0");
    assert_eq!(report.tokens.tier, tier);
    assert_eq!(report.tokens.limit, limits.max_input_tokens);
    assert_eq!(report.tokens.warn_at, limits.warn_tokens());
    assert_eq!(report.tokens.encoding, Encoding::O200kBase);
    let counted = Encoding::O200kBase.count(&checked.document.text);
    assert_eq!(
        report.tokens.input, counted.count,
        "the count is of the decoded text"
    );
    assert!(report.tokens.exact);
    let t = &report.tokens;
    assert_eq!(t.model, "gpt-4o-mini");
    assert_eq!(t.total, t.input + t.overhead + t.output_reserved);
    assert_eq!(Some(t.output_reserved), limits.max_output_tokens);
    assert_eq!(t.context_window, 128_000);
    assert_eq!(t.remaining, t.limit.saturating_sub(t.input));
    // gpt-4o-mini: $0.15 in and $0.60 out per million tokens.
    let input_usd = (t.input + t.overhead) as f64 * 0.15 / 1e6;
    assert!((t.cost.input_usd - input_usd).abs() < 1e-6, "{:?}", t.cost);
    assert!((t.cost.output_usd_max - t.output_reserved as f64 * 0.6 / 1e6).abs() < 1e-6);
    assert_eq!(t.cost.currency, "USD");
    assert_eq!(
        report.tokens.state,
        BudgetState::of(report.tokens.input, limits)
    );
    assert_eq!(
        report.has(Code::OverTokenLimit),
        report.tokens.state == BudgetState::Over
    );
    assert_eq!(
        report.has(Code::NearTokenLimit),
        report.tokens.state == BudgetState::Warn
    );
    let severities: Vec<Severity> = report.issues.iter().map(|i| i.severity).collect();
    assert!(severities.is_sorted(), "most severe first: {severities:?}");
    for issue in &report.issues {
        assert!(
            !issue.message.is_empty() && !issue.hint.is_empty(),
            "{issue:?}"
        );
    }
    // The payload exists exactly when the report has no errors.
    assert_eq!(checked.payload(&contract).is_some(), report.ok);
}

#[rstest]
#[case::ok("customers_ok.csv", "free", InputKind::Csv, true, &[])]
#[case::missing_email("customers_missing_email.csv", "free", InputKind::Csv, false, &[Code::MissingColumn])]
#[case::semicolon("customers_semicolon.csv", "free", InputKind::Csv, true, &[])]
#[case::ragged("customers_ragged.csv", "free", InputKind::Csv, false, &[Code::RaggedRow])]
#[case::near_miss(
    "customers_near_miss.csv",
    "free",
    InputKind::Csv,
    false,
    &[Code::MissingColumn]
)]
#[case::duplicate_header(
    "customers_duplicate_header.csv",
    "free",
    InputKind::Csv,
    false,
    &[Code::DuplicateHeader]
)]
#[case::bad_values(
    "customers_bad_values.csv",
    "free",
    InputKind::Csv,
    false,
    &[Code::TypeMismatch, Code::MissingValue]
)]
#[case::blank_header("customers_blank_header.csv", "free", InputKind::Csv, true, &[Code::BlankHeader])]
#[case::extra_columns("customers_extra_columns.csv", "free", InputKind::Csv, true, &[Code::UnexpectedColumn])]
#[case::cp1252("customers_cp1252.csv", "free", InputKind::Csv, true, &[Code::EncodingGuessed])]
#[case::utf16("customers_utf16.csv", "free", InputKind::Csv, true, &[])]
#[case::excel("customers_excel_bom_crlf.csv", "free", InputKind::Csv, true, &[])]
#[case::prose("prose.txt", "free", InputKind::Text, true, &[])]
#[case::empty("empty.txt", "free", InputKind::Text, false, &[Code::EmptyInput])]
#[case::png("image.png", "free", InputKind::Unsupported, false, &[Code::UnsupportedFormat])]
#[case::long_free("long_prose.txt", "free", InputKind::Text, false, &[Code::OverTokenLimit])]
#[case::long_paid("long_prose.txt", "paid", InputKind::Text, true, &[])]
#[case::near_free("near_limit.txt", "free", InputKind::Text, true, &[Code::NearTokenLimit])]
#[case::near_paid("near_limit.txt", "paid", InputKind::Text, true, &[])]
#[case::ok_paid("customers_ok.csv", "paid", InputKind::Csv, true, &[])]
#[case::missing_email_paid("customers_missing_email.csv", "paid", InputKind::Csv, false, &[Code::MissingColumn])]
fn fixture_reports(
    #[case] file: &str,
    #[case] tier: &str,
    #[case] kind: InputKind,
    #[case] ok: bool,
    #[case] expected: &[Code],
) {
    let checked = check_file(file, Some(tier));
    let report = &checked.report;
    assert_eq!(report.input.kind, kind, "{file}: {:#?}", report.input);
    assert_eq!(report.ok, ok, "{file}: {:#?}", report.issues);
    assert_eq!(
        codes(report),
        expected.iter().copied().collect::<BTreeSet<_>>(),
        "{file}: {:#?}",
        report.issues
    );
    assert_consistent(&checked, tier);
    assert_eq!(report.input.bytes, fixture(file).len() as u64);
}

#[rstest]
#[case::ok("customers_ok.csv", ",", 5, 5, "utf-8")]
#[case::missing_email("customers_missing_email.csv", ",", 5, 4, "utf-8")]
#[case::semicolon("customers_semicolon.csv", ";", 5, 5, "utf-8")]
#[case::ragged("customers_ragged.csv", ",", 5, 5, "utf-8")]
#[case::near_miss("customers_near_miss.csv", ",", 5, 2, "utf-8")]
#[case::extra_columns("customers_extra_columns.csv", ",", 5, 6, "utf-8")]
#[case::cp1252("customers_cp1252.csv", ",", 3, 5, "windows-1252")]
#[case::utf16("customers_utf16.csv", ",", 3, 5, "utf-16le")]
#[case::excel("customers_excel_bom_crlf.csv", ",", 3, 5, "utf-8")]
fn table_shapes(
    #[case] file: &str,
    #[case] delimiter: &str,
    #[case] rows: u64,
    #[case] columns: u64,
    #[case] encoding: &str,
) {
    let checked = check_file(file, None);
    let input = &checked.report.input;
    assert_eq!(input.kind, InputKind::Csv);
    assert_eq!(input.delimiter.as_deref(), Some(delimiter));
    assert_eq!(input.rows, Some(rows));
    assert_eq!(input.columns, Some(columns));
    assert_eq!(input.encoding, encoding);
    assert_eq!(input.header_row, Some(1));
    assert_eq!(input.lines, None, "tables report rows, not lines");
    let headers = input.headers.as_ref().expect("tables list their headers");
    assert_eq!(headers.len() as u64, columns);
    let table = checked.document.table.as_ref().expect("a parsed table");
    assert_eq!(&table.headers, headers);
    assert_eq!(table.rows.len() as u64, rows);
}

/// The report's `delimiter` is the character itself, whatever it is, and
/// `delimiter_name` says it in words.
#[rstest]
#[case::comma(
    "name,email\nAda,ada@example.com\nAlan,alan@example.com\n",
    ",",
    "comma"
)]
#[case::semicolon(
    "name;email\nAda;ada@example.com\nAlan;alan@example.com\n",
    ";",
    "semicolon"
)]
#[case::tab(
    "name\temail\nAda\tada@example.com\nAlan\talan@example.com\n",
    "\t",
    "tab"
)]
#[case::pipe(
    "name|email\nAda|ada@example.com\nAlan|alan@example.com\n",
    "|",
    "pipe"
)]
#[case::colon(
    "name:email:plan\nAda:ada@x.io:pro\nAlan:alan@x.io:free\nGrace:g@x.io:pro\n",
    ":",
    "colon"
)]
fn delimiters_are_reported_as_themselves(
    #[case] text: &str,
    #[case] delimiter: &str,
    #[case] name: &str,
) {
    let input = Input::File {
        name: Some("list.csv"),
        bytes: text.as_bytes(),
    };
    let report = check(&contract(), None, &input).unwrap().report;
    assert_eq!(
        report.input.delimiter.as_deref(),
        Some(delimiter),
        "{text:?}"
    );
    assert_eq!(report.input.delimiter_name.as_deref(), Some(name));
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["input"]["delimiter"], delimiter);
}

#[rstest]
#[case::prose("prose.txt")]
#[case::long("long_prose.txt")]
#[case::near("near_limit.txt")]
fn text_shapes(#[case] file: &str) {
    let checked = check_file(file, None);
    let input = &checked.report.input;
    assert_eq!(input.kind, InputKind::Text);
    assert_eq!(input.encoding, "utf-8");
    assert_eq!(input.delimiter, None);
    assert_eq!(input.rows, None);
    assert_eq!(input.columns, None);
    assert_eq!(input.headers, None);
    let text = String::from_utf8(fixture(file)).unwrap();
    assert_eq!(checked.document.text, text);
    assert!(text.lines().count() > 1);
    assert_eq!(input.lines, Some(text.lines().count() as u64));
}

#[test]
fn default_tier_is_free() {
    let checked = check_file("customers_ok.csv", None);
    assert_eq!(checked.report.tokens.tier, "free");
    assert_eq!(checked.report.tokens.limit, 2000);
    assert_eq!(checked.report.tokens.warn_at, 1600);
    assert_consistent(&checked, "free");
}

#[test]
fn ok_csv_has_headers_and_a_payload() {
    let contract = contract();
    let checked = check_file("customers_ok.csv", None);
    assert_eq!(
        checked.report.input.headers.as_deref(),
        Some(&["name", "email", "country", "signup_date", "plan"].map(String::from)[..])
    );
    assert!(checked.report.issues.is_empty());
    assert_eq!(checked.report.tokens.state, BudgetState::Ok);
    let payload = checked
        .payload(&contract)
        .expect("an ok report has a payload");
    assert_eq!(payload.model, "gpt-4o-mini");
    assert_eq!(payload.encoding, Encoding::O200kBase);
    assert_eq!(payload.messages.len(), 2);
    assert_eq!(payload.messages[0].role, Role::System);
    let user = payload.messages.last().unwrap();
    assert_eq!(user.role, Role::User);
    assert!(user.content.starts_with("Analyse this customer list"));
    assert!(user.content.contains("Ada Lovelace,ada@example.com"));
    assert!(user.content.ends_with(&checked.document.text));
}

#[test]
fn missing_column_is_named() {
    let checked = check_file("customers_missing_email.csv", None);
    let issue = the(&checked.report, Code::MissingColumn);
    assert_eq!(issue.severity, Severity::Error);
    assert!(issue.message.contains("'email'"), "{}", issue.message);
    let at = issue.at.as_ref().expect("a location");
    assert_eq!(at.column.as_deref(), Some("email"));
    assert_eq!(at.line, Some(1));
    // No header looks like `email`, so the hint says what to add.
    assert!(
        issue.hint.contains("Add a column named 'email'"),
        "{}",
        issue.hint
    );
    assert!(!issue.hint.contains("Did you mean"));
    assert_eq!(issue.example.as_deref(), Some("email: ada@example.com"));
    assert!(checked.payload(&contract()).is_none());
}

#[test]
fn near_miss_hint_suggests_the_header() {
    let checked = check_file("customers_near_miss.csv", None);
    let missing = the(&checked.report, Code::MissingColumn);
    assert!(missing.message.contains("'email'"));
    assert!(missing.hint.contains("'E-mail'"), "{}", missing.hint);
    assert!(
        missing.hint.contains("rename it to 'email'"),
        "{}",
        missing.hint
    );
    // `Name` matches `name` case-insensitively: only `email` is missing, and
    // the suggested `E-mail` is not reported again as an unused column.
    assert!(!checked.report.has(Code::UnexpectedColumn));
}

#[test]
fn ragged_rows_are_counted_with_the_first_line() {
    let checked = check_file("customers_ragged.csv", None);
    let issue = the(&checked.report, Code::RaggedRow);
    assert_eq!(issue.severity, Severity::Error);
    assert_eq!(issue.count, Some(2), "rows 2 (3 cells) and 4 (6 cells)");
    let at = issue.at.as_ref().expect("a location");
    assert_eq!(at.row, Some(2));
    assert_eq!(at.line, Some(3));
    assert!(issue.message.contains("2 rows have"), "{}", issue.message);
    assert!(issue.message.contains("header (5)"), "{}", issue.message);
    assert!(issue.message.contains("line 3"), "{}", issue.message);
    assert!(issue.message.contains("3 cells"), "{}", issue.message);
    let table = checked.document.table.as_ref().unwrap();
    assert_eq!(table.rows[1].len(), 3);
    assert_eq!(table.rows[3].len(), 6);
    assert_eq!(table.row_lines, vec![2, 3, 4, 5, 6]);
}

#[test]
fn duplicate_header_names_both_positions() {
    let checked = check_file("customers_duplicate_header.csv", None);
    let issue = the(&checked.report, Code::DuplicateHeader);
    assert_eq!(issue.severity, Severity::Error);
    assert!(issue.message.contains("'Email'"), "{}", issue.message);
    assert!(
        issue.message.contains("column 2 and column 4"),
        "{}",
        issue.message
    );
    assert_eq!(issue.at.as_ref().and_then(|a| a.line), Some(1));
    // The first `email` satisfies the contract, and the second copy is
    // reported once, as a duplicate, not as an unused column.
    assert!(!checked.report.has(Code::MissingColumn));
    assert!(!checked.report.has(Code::UnexpectedColumn));
}

#[test]
fn blank_header_is_a_warning_with_its_position() {
    let checked = check_file("customers_blank_header.csv", None);
    let issue = the(&checked.report, Code::BlankHeader);
    assert_eq!(issue.severity, Severity::Warning);
    assert!(issue.message.contains("Column 3"), "{}", issue.message);
    assert_eq!(issue.at.as_ref().and_then(|a| a.line), Some(1));
    // A blank header is not reported again as an unexpected column.
    assert!(!checked.report.has(Code::UnexpectedColumn));
}

#[test]
fn extra_column_is_a_warning() {
    let checked = check_file("customers_extra_columns.csv", None);
    let issue = the(&checked.report, Code::UnexpectedColumn);
    assert_eq!(issue.severity, Severity::Warning);
    assert!(issue.message.contains("'notes'"), "{}", issue.message);
    assert_eq!(
        issue.at.as_ref().and_then(|a| a.column.as_deref()),
        Some("notes")
    );
    assert!(checked.payload(&contract()).is_some());
}

#[rstest]
#[case::cp1252("customers_cp1252.csv", "windows-1252", true)]
#[case::utf16("customers_utf16.csv", "utf-16le", false)]
fn legacy_encodings_are_decoded(#[case] file: &str, #[case] label: &str, #[case] guessed: bool) {
    let checked = check_file(file, None);
    assert_eq!(checked.report.input.encoding, label);
    let text = &checked.document.text;
    for name in ["José Álvarez", "Zoë Müller", "François Lefèvre", "España"] {
        assert!(text.contains(name), "{name} in {text:?}");
    }
    assert!(
        !text.starts_with('\u{feff}'),
        "the BOM is not part of the text"
    );
    let table = checked.document.table.as_ref().unwrap();
    assert_eq!(table.headers[0], "name");
    assert_eq!(table.rows[0][0], "José Álvarez");
    assert_eq!(checked.report.has(Code::EncodingGuessed), guessed);
    if guessed {
        let issue = the(&checked.report, Code::EncodingGuessed);
        assert_eq!(issue.severity, Severity::Warning);
        assert!(
            issue.message.to_lowercase().contains(label),
            "{}",
            issue.message
        );
    }
}

#[test]
fn excel_export_with_bom_and_crlf_is_clean() {
    let checked = check_file("customers_excel_bom_crlf.csv", None);
    let table = checked.document.table.as_ref().unwrap();
    assert_eq!(
        table.headers[0], "name",
        "the BOM is not part of the first header"
    );
    assert_eq!(table.headers[4], "plan", "no stray carriage return");
    assert_eq!(
        table.rows[1][0], "Hopper, Grace",
        "quoted commas stay in the cell"
    );
    assert_eq!(table.rows[2][4], "free");
    assert!(!checked.document.text.starts_with('\u{feff}'));
}

#[test]
fn png_is_unsupported() {
    let checked = check_file("image.png", None);
    let report = &checked.report;
    assert_eq!(report.input.kind, InputKind::Unsupported);
    assert_eq!(report.input.encoding, "binary");
    assert_eq!(report.input.lines, None);
    assert_eq!(report.tokens.input, 0);
    let issue = the(report, Code::UnsupportedFormat);
    assert!(issue.message.contains("PNG image"), "{}", issue.message);
    assert!(checked.document.text.is_empty());
    // The file name does not matter: the content decides.
    let bytes = fixture("image.png");
    for name in [None, Some("image.csv"), Some("notes.txt")] {
        let c = check(
            &contract(),
            None,
            &Input::File {
                name,
                bytes: &bytes,
            },
        )
        .unwrap();
        assert_eq!(c.report.input.kind, InputKind::Unsupported, "{name:?}");
        assert!(c.report.has(Code::UnsupportedFormat));
    }
}

#[test]
fn empty_file_and_empty_text_say_different_things() {
    let checked = check_file("empty.txt", None);
    let file_issue = the(&checked.report, Code::EmptyInput).clone();
    assert!(
        file_issue.message.contains("file is empty"),
        "{}",
        file_issue.message
    );
    assert_eq!(checked.report.input.bytes, 0);
    assert_eq!(checked.report.input.lines, Some(0));
    assert_eq!(checked.report.tokens.input, 0);

    for text in ["", "   \n\t  \n"] {
        let c = check(&contract(), None, &Input::Text(text)).unwrap();
        assert!(!c.report.ok);
        assert_eq!(codes(&c.report), BTreeSet::from([Code::EmptyInput]));
        let issue = the(&c.report, Code::EmptyInput);
        assert!(issue.message.contains("text is empty"), "{}", issue.message);
        assert_ne!(issue.message, file_issue.message);
    }
    // An empty file named like a table is still just empty.
    let c = check(
        &contract(),
        None,
        &Input::File {
            name: Some("a.csv"),
            bytes: b"",
        },
    )
    .unwrap();
    assert_eq!(codes(&c.report), BTreeSet::from([Code::EmptyInput]));
}

#[test]
fn long_prose_is_over_on_free_with_parts_and_the_paid_plan() {
    let checked = check_file("long_prose.txt", Some("free"));
    let tokens = &checked.report.tokens;
    assert_eq!(tokens.state, BudgetState::Over);
    assert!(
        tokens.input > 2000 && tokens.input <= 8000,
        "{}",
        tokens.input
    );
    let issue = the(&checked.report, Code::OverTokenLimit);
    assert!(
        issue.message.contains(&group_digits(tokens.input)),
        "{}",
        issue.message
    );
    assert!(
        issue.message.contains("free plan allows 2,000"),
        "{}",
        issue.message
    );
    // This contract needs its input in one request: no split is offered.
    assert!(
        issue.hint.contains("keep only the parts that matter") && !issue.hint.contains("split"),
        "{}",
        issue.hint
    );
    let kinds: Vec<String> = issue
        .actions
        .iter()
        .map(|a| {
            serde_json::to_value(a).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    // Clean prose: trimming would remove nothing, so Trim is not offered.
    assert_eq!(kinds, ["keep_relevant", "upgrade"]);
    assert!(
        issue.hint.contains("paid plan allows 8,000"),
        "{}",
        issue.hint
    );
    assert!(checked.payload(&contract()).is_none());

    let paid = check_file("long_prose.txt", Some("paid"));
    assert_eq!(paid.report.tokens.state, BudgetState::Ok);
    assert_eq!(paid.report.tokens.input, tokens.input);
    assert_eq!(paid.report.tokens.limit, 8000);
}

#[test]
fn near_limit_warns_on_free_only() {
    let checked = check_file("near_limit.txt", Some("free"));
    let tokens = &checked.report.tokens;
    assert_eq!(tokens.state, BudgetState::Warn);
    assert!(tokens.input >= tokens.warn_at && tokens.input <= tokens.limit);
    let issue = the(&checked.report, Code::NearTokenLimit);
    assert_eq!(issue.severity, Severity::Warning);
    assert!(
        issue.message.contains(&group_digits(tokens.input)),
        "{}",
        issue.message
    );
    let percent = tokens.input * 100 / 2000;
    assert!(
        issue.message.contains(&format!("{percent}%")),
        "{}",
        issue.message
    );
    assert!(issue.message.contains("free plan"), "{}", issue.message);
    assert!(checked.report.ok);

    let paid = check_file("near_limit.txt", Some("paid"));
    assert_eq!(paid.report.tokens.state, BudgetState::Ok);
    assert!(paid.report.issues.is_empty());
}

#[test]
fn typed_text_over_the_free_limit_fits_on_paid() {
    let contract = contract();
    let text = String::from_utf8(fixture("long_prose.txt")).unwrap();
    let expected = Encoding::O200kBase.count(&text).count;
    assert!(expected > 2000);

    let free = check(&contract, Some("free"), &Input::Text(&text)).unwrap();
    assert_eq!(free.report.input.kind, InputKind::Text);
    assert_eq!(free.report.tokens.input, expected);
    assert_eq!(free.report.tokens.state, BudgetState::Over);
    assert!(!free.report.ok);
    assert!(free.report.has(Code::OverTokenLimit));
    assert!(free.payload(&contract).is_none());

    let paid = check(&contract, Some("paid"), &Input::Text(&text)).unwrap();
    assert!(paid.report.ok);
    assert!(matches!(
        paid.report.tokens.state,
        BudgetState::Ok | BudgetState::Warn
    ));
    assert!(!paid.report.has(Code::OverTokenLimit));
    let payload = paid.payload(&contract).expect("a payload on paid");
    assert!(payload.messages.last().unwrap().content.contains(&text));
}

#[test]
fn text_over_both_limits_does_not_suggest_a_bigger_plan() {
    let contract = contract();
    let base = String::from_utf8(fixture("long_prose.txt")).unwrap();
    let text = base.repeat(4);
    let checked = check(&contract, Some("paid"), &Input::Text(&text)).unwrap();
    assert!(checked.report.tokens.input > 8000);
    let issue = the(&checked.report, Code::OverTokenLimit);
    assert!(
        issue.message.contains("paid plan allows 8,000"),
        "{}",
        issue.message
    );
    assert!(!issue.hint.contains("plan allows"), "{}", issue.hint);
}

#[test]
fn unknown_tier_is_an_error() {
    let contract = contract();
    let err = check(&contract, Some("gold"), &Input::Text("Hello world")).unwrap_err();
    assert_eq!(err.code(), "unknown_tier");
    assert_eq!(err.field(), None);
    let text = err.to_string();
    assert!(text.contains("`gold`"), "{text}");
    assert!(text.contains("free, paid"), "{text}");
    // Also for files, and tier names are case-sensitive.
    let bytes = fixture("customers_ok.csv");
    let err = check(
        &contract,
        Some("Free"),
        &Input::File {
            name: None,
            bytes: &bytes,
        },
    )
    .unwrap_err();
    assert_eq!(err.code(), "unknown_tier");
}

#[test]
fn hello_world_is_two_tokens() {
    let checked = check(&contract(), None, &Input::Text("Hello world")).unwrap();
    let report = &checked.report;
    assert!(report.ok);
    assert!(report.issues.is_empty());
    assert_eq!(report.tokens.input, 2);
    assert!(report.tokens.exact);
    assert_eq!(report.input.kind, InputKind::Text);
    assert_eq!(report.input.bytes, 11);
    assert_eq!(report.input.lines, Some(1));
}

#[test]
fn typed_text_is_never_parsed_as_a_table() {
    let csv = String::from_utf8(fixture("customers_missing_email.csv")).unwrap();
    let checked = check(&contract(), None, &Input::Text(&csv)).unwrap();
    assert_eq!(checked.report.input.kind, InputKind::Text);
    assert!(checked.document.table.is_none());
    assert!(!checked.report.has(Code::MissingColumn));
}

#[rstest]
#[case::no_name(None)]
#[case::txt(Some("customers.txt"))]
#[case::upper_case_ext(Some("CUSTOMERS.CSV"))]
fn tables_are_found_by_content(#[case] name: Option<&str>) {
    let bytes = fixture("customers_semicolon.csv");
    let checked = check(
        &contract(),
        None,
        &Input::File {
            name,
            bytes: &bytes,
        },
    )
    .unwrap();
    assert_eq!(checked.report.input.kind, InputKind::Csv);
    assert_eq!(checked.report.input.delimiter.as_deref(), Some(";"));
    assert!(checked.report.ok);
}

#[rstest]
#[case::csv("customers_ok.csv")]
#[case::png("image.png")]
#[case::prose("prose.txt")]
fn reports_round_trip_through_json(#[case] file: &str) {
    let report = check_file(file, None).report;
    let json = serde_json::to_string(&report).unwrap();
    let back: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["tokens"]["encoding"], "o200k_base");
    assert_eq!(value["tokens"]["tier"], "free");
}

/// Prose whose lines happen to hold the same number of commas is taken for
/// a table, although the contract accepts free text and the file is `.txt`:
/// the user is told their note is "missing the column 'name'".
#[test]

fn prose_with_one_comma_per_line_is_text() {
    let note = "Dear team, thanks for the update.\nIn short, the numbers look good.\nAs always, let me know.\n";
    let checked = check(
        &contract(),
        None,
        &Input::File {
            name: Some("note.txt"),
            bytes: note.as_bytes(),
        },
    )
    .unwrap();
    assert_eq!(checked.report.input.kind, InputKind::Text);
    assert!(checked.report.ok, "{:#?}", checked.report.issues);
}

/// With `extra_columns = "drop"`, the user is told an unexpected column
/// "will be removed before your data is sent", but the payload is built from
/// the whole decoded text, so the column (often private notes) is sent.
#[test]

fn dropped_columns_are_not_sent() {
    let source = include_str!("../contracts/customer-list/1.0.0.toml").replacen(
        r#"extra_columns = "warn""#,
        r#"extra_columns = "drop""#,
        1,
    );
    let contract = Contract::parse(&source).unwrap();
    let bytes = fixture("customers_extra_columns.csv");
    let input = Input::File {
        name: Some("customers_extra_columns.csv"),
        bytes: &bytes,
    };
    let checked = check(&contract, None, &input).unwrap();
    let issue = the(&checked.report, Code::UnexpectedColumn);
    assert_eq!(issue.severity, Severity::Info);
    assert!(issue
        .hint
        .contains("will be removed before your data is sent"));
    let payload = checked.payload(&contract).expect("no errors");
    let sent = &payload.messages.last().unwrap().content;
    assert!(
        !sent.contains("notes"),
        "the dropped header is sent: {sent}"
    );
    assert!(
        !sent.contains("renewal due in June"),
        "a dropped cell is sent: {sent}"
    );
}

fn ragged_line(csv: &[u8]) -> (Option<u64>, Option<u64>) {
    let checked = check(
        &contract(),
        None,
        &Input::File {
            name: Some("c.csv"),
            bytes: csv,
        },
    )
    .unwrap();
    let at = the(&checked.report, Code::RaggedRow).at.clone().unwrap();
    (at.row, at.line)
}

#[test]
fn ragged_line_is_right_for_lf_and_quoted_newlines() {
    assert_eq!(
        ragged_line(b"name,email\nAda,a@x\nBob\n"),
        (Some(2), Some(3))
    );
    assert_eq!(
        ragged_line(b"name,email\n\"Ada\nLovelace\",a@x\nBob\n"),
        (Some(2), Some(4))
    );
}

/// The csv reader's record position is taken before the rest of a CRLF
/// terminator (and any blank lines) is skipped, so line numbers come out
/// too low: by one on every data row of a CRLF file (Excel's default),
/// and by the number of blank lines before a record.
#[test]

fn ragged_line_is_right_for_crlf_and_blank_lines() {
    // `Bob` is on line 3.
    assert_eq!(
        ragged_line(b"name,email\r\nAda,a@x\r\nBob\r\n"),
        (Some(2), Some(3))
    );
    // `Bob` is on line 5.
    assert_eq!(
        ragged_line(b"name,email\nAda,a@x\n\n\nBob\n"),
        (Some(2), Some(5))
    );
    // The header is on line 3.
    let checked = check(
        &contract(),
        None,
        &Input::File {
            name: Some("c.csv"),
            bytes: b"\n\nname,phone\nAda,1\n",
        },
    )
    .unwrap();
    assert_eq!(checked.report.input.header_row, Some(3));
    let missing = the(&checked.report, Code::MissingColumn);
    assert_eq!(missing.at.as_ref().unwrap().line, Some(3));
}

#[test]
fn bad_values_are_grouped_per_column_with_the_first_place() {
    let checked = check_file("customers_bad_values.csv", None);
    let issues = &checked.report.issues;
    let of = |code: Code, column: &str| {
        issues
            .iter()
            .find(|i| {
                i.code == code && i.at.as_ref().and_then(|a| a.column.as_deref()) == Some(column)
            })
            .unwrap_or_else(|| panic!("no {code} for {column}: {issues:#?}"))
    };
    let dates = of(Code::TypeMismatch, "signup_date");
    assert_eq!(dates.severity, Severity::Error);
    assert_eq!(dates.count, Some(2));
    assert_eq!(dates.at.as_ref().unwrap().row, Some(1));
    assert_eq!(dates.at.as_ref().unwrap().line, Some(2));
    assert!(dates.message.contains("'15/03/2024'"), "{}", dates.message);
    assert!(dates.hint.contains("2024-03-15"), "{}", dates.hint);

    let plan = of(Code::TypeMismatch, "plan");
    assert_eq!(
        plan.count,
        Some(1),
        "'Pro' matches 'pro'; only 'gold' is wrong"
    );
    assert_eq!(plan.at.as_ref().unwrap().row, Some(3));
    assert!(plan.hint.contains("free, pro, enterprise"), "{}", plan.hint);

    let email = of(Code::MissingValue, "email");
    assert_eq!(email.severity, Severity::Warning);
    assert_eq!(email.count, Some(2), "an empty cell and 'N/A'");
    assert_eq!(email.at.as_ref().unwrap().row, Some(2));
    assert_eq!(issues.len(), 3, "{issues:#?}");
}

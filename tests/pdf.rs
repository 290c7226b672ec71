//! PDF documents through the public API: text layers, scans, encryption,
//! damage, and hostile files.
#![cfg(not(target_arch = "wasm32"))]

use prompt_preflight::{
    check, ingest, Code, Contract, Document, Input, InputKind, Issue, Limits, Severity,
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

fn read(name: &str, bytes: &[u8]) -> Document {
    ingest(
        &Input::File {
            name: Some(name),
            bytes,
        },
        &Limits::default(),
    )
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

#[rstest]
#[case::text_memo("pdf_text_memo.pdf", &[], Some(1), Some(&[][..]), Some(false), "Ada Lovelace")]
#[case::scanned("pdf_scanned_memo.pdf", &[Code::PdfNoTextLayer], Some(1), Some(&[1][..]), Some(false), "")]
#[case::mixed("pdf_mixed_text_and_scan.pdf", &[Code::PdfNoTextLayer], Some(2), Some(&[2][..]), Some(false), "Grace Hopper")]
#[case::user_password("pdf_user_password.pdf", &[Code::PasswordRequired], None, None, Some(true), "")]
#[case::empty_user_password("pdf_empty_password.pdf", &[], Some(1), Some(&[][..]), Some(true), "encryption")]
#[case::truncated("pdf_truncated.pdf", &[Code::CorruptFile], None, None, Some(false), "")]
#[case::garbled("pdf_garbled_text.pdf", &[Code::PdfGarbledText], Some(1), Some(&[][..]), Some(false), "\u{E041}")]
fn fixtures_read_as_expected(
    #[case] name: &str,
    #[case] expected: &[Code],
    #[case] pages: Option<u64>,
    #[case] without_text: Option<&[u64]>,
    #[case] encrypted: Option<bool>,
    #[case] text_has: &str,
) {
    let doc = read(name, &fixture(name));
    assert_eq!(doc.info.kind, InputKind::Pdf);
    assert_eq!(
        codes(&doc.issues),
        expected.iter().copied().collect(),
        "{:#?}",
        doc.issues
    );
    assert_eq!(doc.info.pages, pages);
    assert_eq!(doc.info.pages_without_text.as_deref(), without_text);
    assert_eq!(doc.info.encrypted, encrypted);
    assert!(doc.text.contains(text_has), "{:?}", doc.text);
    assert_eq!(doc.table, None);
    if text_has.is_empty() {
        assert_eq!(doc.text, "");
    }
}

#[test]
fn a_text_pdf_gives_its_text_lines_and_language() {
    let doc = read("memo.pdf", &fixture("pdf_text_memo.pdf"));
    assert!(
        doc.text
            .starts_with("Customer memo - March 2024\nTo: Account team\nFrom: Customer success\n"),
        "{:?}",
        doc.text
    );
    assert_eq!(doc.info.lines, Some(doc.text.lines().count() as u64));
    assert_eq!(doc.info.language.as_deref(), Some("eng"));
    let report = check(
        &contract(),
        Some("free"),
        &Input::File {
            name: Some("memo.pdf"),
            bytes: &fixture("pdf_text_memo.pdf"),
        },
    )
    .unwrap()
    .report;
    assert!(report.ok, "{:#?}", report.issues);
    assert_eq!(report.input.pages, Some(1));
    assert!(report.tokens.input > 50);
}

#[test]
fn pages_are_joined_with_a_blank_line() {
    let doc = read("m.pdf", &fixture("pdf_mixed_text_and_scan.pdf"));
    // Page 2 has no text, so there is nothing to join it to.
    assert!(!doc.text.contains("\n\n"));
    assert!(
        doc.text.ends_with("before the end of the month."),
        "{:?}",
        doc.text
    );
}

#[rstest]
#[case::all_pages_scanned("pdf_scanned_memo.pdf", Severity::Error, "looks like a scan")]
#[case::some_pages_scanned("pdf_mixed_text_and_scan.pdf", Severity::Warning, "1 of 2 pages")]
fn scans_are_errors_only_when_no_page_has_text(
    #[case] name: &str,
    #[case] severity: Severity,
    #[case] says: &str,
) {
    let doc = read(name, &fixture(name));
    let scan = the(&doc.issues, Code::PdfNoTextLayer);
    assert_eq!(scan.severity, severity);
    assert_eq!(scan.count, Some(1));
    assert!(scan.message.contains(says), "{}", scan.message);
    let report = check(
        &contract(),
        None,
        &Input::File {
            name: Some(name),
            bytes: &fixture(name),
        },
    )
    .unwrap()
    .report;
    assert_eq!(report.ok, severity != Severity::Error);
    assert!(report.has(Code::PdfNoTextLayer));
}

#[test]
fn garbled_text_is_a_warning_with_its_share() {
    let doc = read("g.pdf", &fixture("pdf_garbled_text.pdf"));
    let garbled = the(&doc.issues, Code::PdfGarbledText);
    assert_eq!(garbled.severity, Severity::Warning);
    assert_eq!(garbled.count, Some(1));
    assert!(
        garbled.message.contains("page 1 looks garbled (100%"),
        "{}",
        garbled.message
    );
}

#[test]
fn a_password_is_required_only_when_the_user_password_is_not_empty() {
    let locked = read("l.pdf", &fixture("pdf_user_password.pdf"));
    let issue = the(&locked.issues, Code::PasswordRequired);
    assert_eq!(issue.severity, Severity::Error);
    assert_eq!(locked.info.kind, InputKind::Pdf);
    assert_eq!(locked.info.encrypted, Some(true));
    let open = read("o.pdf", &fixture("pdf_empty_password.pdf"));
    assert!(open.issues.is_empty(), "{:#?}", open.issues);
    assert_eq!(open.info.encrypted, Some(true));
    assert_eq!(open.text, "pdf\nencryption\ntest\npassword:\nasdfzxcv");
}

#[test]
fn a_truncated_pdf_is_damaged_and_says_what_was_recognised() {
    let doc = read("t.pdf", &fixture("pdf_truncated.pdf"));
    let damaged = the(&doc.issues, Code::CorruptFile);
    assert_eq!(damaged.severity, Severity::Error);
    assert_eq!(
        damaged.message,
        "This file looks like a PDF document, but it is damaged or incomplete: it starts like a PDF 1.3 file and lists 1 page, but it ends early: the end of the file is missing."
    );
}

/// A minimal PDF with `objects` numbered from 1, object 1 the catalog.
fn pdf(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend(object);
        out.extend(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        out.extend(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn catalog() -> Vec<u8> {
    b"<< /Type /Catalog /Pages 2 0 R >>".to_vec()
}

fn pages_with_kids(count: usize) -> Vec<Vec<u8>> {
    let kids: Vec<String> = (0..count).map(|i| format!("{} 0 R", i + 3)).collect();
    let mut objects = vec![
        catalog(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {count} >>",
            kids.join(" ")
        )
        .into_bytes(),
    ];
    objects.extend((0..count).map(|_| b"<< /Type /Page /Parent 2 0 R >>".to_vec()));
    objects
}

fn deep_content(depth: usize) -> Vec<u8> {
    let content = format!("BT {} ET", "[".repeat(depth));
    pdf(&[
        catalog(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>".to_vec(),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        )
        .into_bytes(),
    ])
}

#[rstest]
#[case::header_only(b"%PDF-".to_vec(), Code::CorruptFile)]
#[case::header_and_junk(b"%PDF-1.7\n\x00\x01garbage that is not a PDF".to_vec(), Code::CorruptFile)]
#[case::junk_before_header([&b"junk\n"[..], &fixture("pdf_truncated.pdf")].concat(), Code::CorruptFile)]
#[case::deep_array_in_catalog(pdf(&[format!("<< /Type /Catalog /Pages 2 0 R /X {} >>", "[".repeat(100_000)).into_bytes(), b"<< /Type /Pages /Kids [] /Count 0 >>".to_vec()]), Code::CorruptFile)]
#[case::deep_dictionaries(pdf(&["<< /A ".repeat(50_000).into_bytes(), catalog()]), Code::CorruptFile)]
#[case::page_tree_cycle(pdf(&[catalog(), b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>".to_vec()]), Code::CorruptFile)]
#[case::no_pages(pdf(&pages_with_kids(0)), Code::CorruptFile)]
#[case::pages_without_content(pdf(&pages_with_kids(3)), Code::PdfNoTextLayer)]
#[case::too_many_pages(pdf(&pages_with_kids(2_001)), Code::TooManyRows)]
#[case::deep_content_stream(deep_content(100_000), Code::PdfNoTextLayer)]
fn hostile_pdfs_are_an_error_never_a_panic(#[case] bytes: Vec<u8>, #[case] code: Code) {
    let doc = read("x.pdf", &bytes);
    assert_eq!(doc.info.kind, InputKind::Pdf);
    let issue = the(&doc.issues, code);
    assert_eq!(issue.severity, Severity::Error, "{}", issue.message);
    let report = check(
        &contract(),
        None,
        &Input::File {
            name: Some("x.pdf"),
            bytes: &bytes,
        },
    )
    .unwrap()
    .report;
    assert!(!report.ok);
}

#[test]
fn every_prefix_of_a_pdf_is_read_without_panicking() {
    let bytes = fixture("pdf_text_memo.pdf");
    let whole = read("memo.pdf", &bytes).text;
    for end in 5..bytes.len() {
        let doc = read("cut.pdf", &bytes[..end]);
        assert_eq!(doc.info.kind, InputKind::Pdf);
        // Either the damage is reported, or nothing was lost (only the
        // end-of-file marker after the cross-reference table is cut).
        let error = doc.issues.iter().any(|i| i.severity == Severity::Error);
        assert!(
            error || doc.text == whole,
            "cut at {end}: {:#?}",
            doc.issues
        );
    }
}

//! Snapshots of user-facing wording: the catalogue, and the issues of a few
//! fixtures. A wording change shows up as a snapshot diff to review.
#![cfg(not(target_arch = "wasm32"))]

use prompt_preflight::messages::catalogue;
use prompt_preflight::{check, Code, Contract, Input, Issue, Severity};
use std::collections::HashSet;
use std::path::Path;

fn issues_of(file: &str) -> Vec<Issue> {
    let contract = Contract::parse(include_str!("../contracts/customer-list/1.0.0.toml")).unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(file);
    let bytes = std::fs::read(&path).unwrap();
    let input = Input::File {
        name: Some(file),
        bytes: &bytes,
    };
    check(&contract, None, &input).unwrap().report.issues
}

#[test]
fn catalogue_snapshot() {
    insta::assert_json_snapshot!("catalogue", catalogue());
}

/// What users and operators read when a call to a model fails, and the
/// retry policy of each class.
#[test]
fn failure_catalogue_snapshot() {
    insta::assert_json_snapshot!(
        "failure_catalogue",
        prompt_preflight::messages::failure::failure_catalogue()
    );
}

#[test]
fn missing_email_issues() {
    insta::assert_json_snapshot!(
        "missing_email_issues",
        issues_of("customers_missing_email.csv")
    );
}

#[test]
fn ragged_issues() {
    insta::assert_json_snapshot!("ragged_issues", issues_of("customers_ragged.csv"));
}

#[test]
fn near_miss_issues() {
    insta::assert_json_snapshot!("near_miss_issues", issues_of("customers_near_miss.csv"));
}

fn is_snake_case(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('_')
        && !s.contains("__")
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[test]
fn catalogue_entries_are_complete_and_unique() {
    let entries = catalogue();
    // `Code::ALL` comes from the enum's own declaration: each code once, in
    // the order declared (which the derived `Ord` follows).
    assert!(Code::ALL.windows(2).all(|w| w[0] < w[1]));
    let mut seen = HashSet::new();
    for (entry, code) in entries.iter().zip(Code::ALL) {
        assert_eq!(entry.code, *code, "catalogue order is Code::ALL order");
        let name = entry.code.as_str();
        assert!(is_snake_case(name), "{name} is not snake_case");
        assert!(seen.insert(name), "{name} appears twice");
        assert_eq!(entry.code.to_string(), name);
        assert_eq!(serde_json::to_value(entry.code).unwrap(), name);
        assert!(!entry.title.trim().is_empty(), "{name} has no title");
        assert!(!entry.hint.trim().is_empty(), "{name} has no hint");
        assert_ne!(entry.title, entry.hint, "{name}");
        if let Some(example) = entry.example {
            assert!(!example.trim().is_empty(), "{name} has an empty example");
        }
        // Codes parse back from their JSON name.
        let back: Code = serde_json::from_value(name.into()).unwrap();
        assert_eq!(back, entry.code);
    }
}

#[test]
fn catalogue_severities_are_as_documented() {
    let severity = |code: Code| code.entry().severity;
    assert_eq!(severity(Code::MissingColumn), Severity::Error);
    assert_eq!(severity(Code::OverTokenLimit), Severity::Error);
    assert_eq!(severity(Code::NearTokenLimit), Severity::Warning);
    assert_eq!(severity(Code::TokenCountEstimated), Severity::Info);
    assert_eq!(severity(Code::EncodingGuessed), Severity::Warning);
}

#[test]
fn issue_texts_never_leak_internals() {
    for file in [
        "customers_missing_email.csv",
        "customers_ragged.csv",
        "customers_near_miss.csv",
        "customers_duplicate_header.csv",
        "customers_blank_header.csv",
        "customers_cp1252.csv",
        "image.png",
        "empty.txt",
        "long_prose.txt",
        "near_limit.txt",
    ] {
        for issue in issues_of(file) {
            for text in [&issue.message, &issue.hint] {
                assert!(!text.trim().is_empty(), "{file}: {issue:?}");
                assert!(
                    text.ends_with('.') || text.ends_with('?'),
                    "{file}: {text:?} is not a sentence"
                );
                for internal in [
                    "Some(", "None", "{", "}", "\\n", "Error", "panicked", "serde",
                ] {
                    assert!(
                        !text.contains(internal),
                        "{file}: {text:?} contains {internal:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn bad_values_wording() {
    insta::assert_json_snapshot!("bad_values_issues", issues_of("customers_bad_values.csv"));
}

/// Every fixture, every format: the words each issue shows, in one
/// reviewable snapshot (code, severity, message, hint, example, place).
#[test]
fn every_fixture_wording() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "README.md")
        .collect();
    files.sort();
    assert!(files.len() > 50, "{} fixtures", files.len());
    let all: std::collections::BTreeMap<String, Vec<Issue>> = files
        .into_iter()
        .map(|f| (f.clone(), issues_of(&f)))
        .collect();
    insta::assert_json_snapshot!("every_fixture_wording", all);
}

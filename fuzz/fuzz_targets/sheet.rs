//! Spreadsheets: anything behind a ZIP signature goes to the workbook reader.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prompt_preflight::{check, Contract, Input};

const CONTRACT: &str = include_str!("../../contracts/customer-list/1.0.0.toml");

fuzz_target!(|data: &[u8]| {
    let contract = Contract::parse(CONTRACT).expect("the example contract is valid");
    let bytes: Vec<u8> = [b"PK\x03\x04".as_slice(), data].concat();
    let input = Input::File { name: Some("book.xlsx"), bytes: &bytes };
    let report = check(&contract, Some("paid"), &input).expect("the tier exists").report;
    // Invariants that hold for every input.
    assert_eq!(report.ok, !report.issues.iter().any(|i| i.severity == prompt_preflight::Severity::Error));
    serde_json::to_string(&report).expect("reports serialise");
});

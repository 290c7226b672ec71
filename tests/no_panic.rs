//! Whatever the user sends, `check` returns a consistent report and
//! `prepare` a consistent payload, and neither panics.
#![cfg(not(target_arch = "wasm32"))]

use prompt_preflight::{
    check, prepare, BudgetState, Code, Contract, Input, InputKind, Mode, PlanKind, PrepareOptions,
    Report, Severity,
};
use proptest::prelude::*;
use std::sync::OnceLock;

fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| {
        Contract::parse(include_str!("../contracts/customer-list/1.0.0.toml"))
            .expect("valid contract")
    })
}

/// 64 cases per property; `PROPTEST_CASES=5000 cargo test --test no_panic`
/// for a longer hunt.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(64);
    ProptestConfig {
        // Do not write regression files into the source tree.
        failure_persistence: None,
        ..ProptestConfig::with_cases(cases)
    }
}

fn names() -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![
        Just(None),
        Just(Some("a.csv")),
        Just(Some("a.txt")),
        Just(Some("a.tsv")),
    ]
}

/// Bytes that look like text, tables, or neither, often with a BOM or a
/// binary signature in front.
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    let prefix = prop_oneof![
        4 => Just(&b""[..]),
        1 => Just(&b"\xEF\xBB\xBF"[..]),
        1 => Just(&b"\xFF\xFE"[..]),
        1 => Just(&b"\xFE\xFF"[..]),
        1 => Just(&b"\x89PNG\r\n\x1a\n"[..]),
        1 => Just(&b"name,email\n"[..]),
    ];
    let tabular = proptest::collection::vec(
        proptest::sample::select(&b"ab ,;\t|\"\r\n\xE9\xC3\xA9x1-"[..]),
        0..4096,
    );
    let body = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..4096),
        tabular,
        "[a-zA-Z0-9 ,;\n\"é€]{0,2000}".prop_map(String::into_bytes),
    ];
    (prefix, body).prop_map(|(prefix, body)| [prefix, &body[..]].concat())
}

fn tiers() -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![Just(None), Just(Some("free")), Just(Some("paid"))]
}

fn assert_sound(report: &Report) -> Result<(), TestCaseError> {
    // No reader was reached that panicked (the guard would have hidden it).
    prop_assert_eq!(prompt_preflight::ingest::reader_crashes(), 0);
    let has_error = report.issues.iter().any(|i| i.severity == Severity::Error);
    prop_assert_eq!(report.ok, !has_error);
    prop_assert_eq!(
        report.tokens.state == BudgetState::Over,
        report.has(Code::OverTokenLimit)
    );
    let sorted = report
        .issues
        .windows(2)
        .all(|w| w[0].severity <= w[1].severity);
    prop_assert!(sorted, "issues are most severe first");
    for issue in &report.issues {
        prop_assert!(!issue.message.is_empty());
        prop_assert!(!issue.hint.is_empty());
    }
    if report.input.kind == InputKind::Csv {
        prop_assert!(report.input.delimiter.is_some());
        prop_assert!(report.input.columns.is_some() && report.input.rows.is_some());
    }
    let json = serde_json::to_string(report).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let back: Report =
        serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&back, report);
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_file_gives_a_sound_report(bytes in bytes(), name in names(), tier in tiers()) {
        let input = Input::File { name, bytes: &bytes };
        let checked = check(contract(), tier, &input).expect("known tiers");
        prop_assert_eq!(checked.report.input.bytes, bytes.len() as u64);
        assert_sound(&checked.report)?;
        prop_assert_eq!(checked.payload(contract()).is_some(), checked.report.ok);
    }

    #[test]
    fn any_text_gives_a_sound_report(text in any::<String>(), tier in tiers()) {
        let checked = check(contract(), tier, &Input::Text(&text)).expect("known tiers");
        prop_assert_eq!(checked.report.input.kind, InputKind::Text);
        prop_assert_eq!(checked.report.input.bytes, text.len() as u64);
        prop_assert_eq!(&checked.document.text, &text);
        prop_assert_eq!(checked.report.has(Code::EmptyInput), text.trim().is_empty());
        assert_sound(&checked.report)?;
    }

    #[test]
    fn any_prose_like_text_gives_a_sound_report(
        text in "[a-zA-Z ,.;\n\t'\"!?é€😀]{0,3000}",
        tier in tiers(),
    ) {
        let checked = check(contract(), tier, &Input::Text(&text)).expect("known tiers");
        assert_sound(&checked.report)?;
    }

    #[test]
    fn unknown_tiers_are_errors_not_panics(tier in "[a-z]{1,8}", bytes in bytes()) {
        prop_assume!(tier != "free" && tier != "paid");
        let input = Input::File { name: None, bytes: &bytes };
        let err = check(contract(), Some(&tier), &input).unwrap_err();
        prop_assert_eq!(err.code(), "unknown_tier");
    }

    #[test]
    fn any_file_prepares_soundly_in_every_mode(
        bytes in bytes(),
        name in names(),
        tier in tiers(),
        mode in prop_oneof![Just(Mode::Trim), Just(Mode::Relevant), Just(Mode::Split)],
        question in proptest::option::of("[a-z ]{0,20}"),
        map_reduce in any::<bool>(),
        overlap in prop_oneof![Just(0u64), 0u64..2000],
    ) {
        let mut contract = contract().clone();
        if map_reduce {
            contract.prepare.long_input = prompt_preflight::contract::LongInput::MapReduce;
        }
        let input = Input::File { name, bytes: &bytes };
        let options = PrepareOptions { mode, question, overlap };
        let p = prepare(&contract, tier, &input, &options).expect("known tiers");
        prop_assert_eq!(p.ok, p.plan.kind != PlanKind::Refuse);
        prop_assert_eq!(p.plan.refusal.is_some(), !p.ok);
        prop_assert!(!p.plan.message.is_empty() && !p.manifest.summary.is_empty());
        if p.ok {
            prop_assert!(!p.parts.is_empty());
            for part in &p.parts {
                prop_assert!(part.tokens <= p.tokens.limit, "{} > {}", part.tokens, p.tokens.limit);
            }
        }
        let json = serde_json::to_string(&p).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back: prompt_preflight::Prepared =
            serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, p);
    }
}

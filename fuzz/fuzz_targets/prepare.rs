//! Any bytes, prepared in every mode for a contract that runs long input
//! in parts: never a panic, and every part of a runnable plan fits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prompt_preflight::{prepare, Contract, Input, Mode, PlanKind, PrepareOptions};

const CONTRACT: &str = include_str!("../../contracts/summarise-document/1.0.0.toml");

fuzz_target!(|data: &[u8]| {
    let contract = Contract::parse(CONTRACT).expect("the example contract is valid");
    let input = Input::File { name: Some("upload"), bytes: data };
    for mode in [Mode::Trim, Mode::Relevant, Mode::Split] {
        let options = PrepareOptions {
            mode,
            question: Some("what is the main point".into()),
            overlap: u64::from(data.first().copied().unwrap_or(0)),
        };
        let p = prepare(&contract, None, &input, &options).expect("the tier exists");
        assert_eq!(p.ok, p.plan.kind != PlanKind::Refuse);
        if p.ok {
            assert!(p.parts.iter().all(|part| part.tokens <= p.tokens.limit));
        }
        serde_json::to_string(&p).expect("payloads serialise");
    }
});

//! The bindings in `src/wasm.rs`, run under Node by `wasm-bindgen-test-runner`
//! (`make test-wasm`). Each test checks that what JavaScript gets equals
//! what the core returns for the same input, compiled to wasm32.
#![cfg(target_arch = "wasm32")]

use prompt_preflight::{check, js_count_tokens, Contract, Encoding, Input, Preflight, Report};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

const CONTRACT: &str = include_str!("../contracts/customer-list/1.0.0.toml");

fn core_report(tier: &str, input: &Input<'_>) -> Report {
    let contract = Contract::parse(CONTRACT).unwrap();
    check(&contract, Some(tier), input).unwrap().report
}

fn from_js(value: JsValue) -> Report {
    serde_wasm_bindgen::from_value(value).unwrap()
}

#[wasm_bindgen_test]
fn check_text_equals_the_core_report() {
    let pf = Preflight::new(CONTRACT).unwrap();
    let text = "Our best customers are in Lisbon and Porto. ".repeat(50);
    for tier in ["free", "paid"] {
        let js = from_js(pf.check_text(Some(tier.into()), &text).unwrap());
        assert_eq!(js, core_report(tier, &Input::Text(&text)));
        assert!(js.tokens.input > 0);
    }
}

#[wasm_bindgen_test]
fn check_file_finds_the_missing_column() {
    let pf = Preflight::new(CONTRACT).unwrap();
    let bytes = b"name,phone\nAda Lovelace,555-0100\n";
    let input = Input::File {
        name: Some("c.csv"),
        bytes,
    };
    let js = from_js(
        pf.check_file(None, Some("c.csv".into()), bytes, None)
            .unwrap(),
    );
    assert_eq!(js, core_report("free", &input));
    assert!(!js.ok);
    let missing = js
        .issues
        .iter()
        .find(|i| i.code.as_str() == "missing_column")
        .unwrap();
    assert!(missing.message.contains("'email'"));
}

/// A progress callback hears each step of a check, in JavaScript, and the
/// report is the same as without one.
#[wasm_bindgen_test]
fn a_file_check_reports_its_steps_to_a_callback() {
    let pf = Preflight::new(CONTRACT).unwrap();
    let bytes = b"name,email\nAda Lovelace,ada@example.com\n";
    let steps = js_sys::Array::new();
    let push = js_sys::Function::new_with_args("step", "this.push(step.message)").bind(&steps);
    let with = from_js(
        pf.check_file(None, Some("c.csv".into()), bytes, Some(push))
            .unwrap(),
    );
    let without = from_js(
        pf.check_file(None, Some("c.csv".into()), bytes, None)
            .unwrap(),
    );
    assert_eq!(with, without);
    let messages: Vec<String> = steps.iter().filter_map(|m| m.as_string()).collect();
    assert!(messages[0].starts_with("Reading c.csv ("), "{messages:?}");
    assert!(
        messages.contains(&"Counting tokens".to_owned()),
        "{messages:?}"
    );
}

#[wasm_bindgen_test]
fn over_the_limit_is_blocked_in_wasm_too() {
    let pf = Preflight::new(CONTRACT).unwrap();
    let text = "word ".repeat(2_500);
    let js = from_js(pf.check_text(Some("free".into()), &text).unwrap());
    assert_eq!(js.tokens.state, prompt_preflight::BudgetState::Over);
    assert!(!js.ok);
}

#[wasm_bindgen_test]
fn token_counts_match_native_encodings() {
    let text = "Hello, world! Ünïcödé and 日本語 text, with emoji 🎉.";
    for encoding in Encoding::ALL {
        let js = js_count_tokens(text, encoding.name()).unwrap();
        let count = js_sys::Reflect::get(&js, &"count".into())
            .unwrap()
            .as_f64()
            .unwrap();
        assert_eq!(count as u64, encoding.count(text).count);
    }
}

#[wasm_bindgen_test]
fn errors_carry_code_and_field() {
    let err = Preflight::new("id = \"x\"\nversion = \"one\"")
        .err()
        .unwrap();
    let code = js_sys::Reflect::get(&err, &"code".into()).unwrap();
    assert_eq!(code.as_string().as_deref(), Some("invalid_contract"));

    let pf = Preflight::new(CONTRACT).unwrap();
    let err = pf.check_text(Some("gold".into()), "hi").err().unwrap();
    let code = js_sys::Reflect::get(&err, &"code".into()).unwrap();
    assert_eq!(code.as_string().as_deref(), Some("unknown_tier"));
}

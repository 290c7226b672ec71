//! The one verdict a report comes to, a question typed without its data,
//! and the progress a long check or prepare reports.

use prompt_preflight::{
    check, prepare, with_progress, Code, Contract, Input, Mode, PrepareOptions, Progress,
    VerdictState,
};
use std::{cell::RefCell, rc::Rc};

fn customer_list() -> Contract {
    Contract::parse(include_str!("../contracts/customer-list/1.0.0.toml")).unwrap()
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn text_verdict(text: &str) -> (VerdictState, String, bool) {
    let report = check(&customer_list(), Some("free"), &Input::Text(text))
        .unwrap()
        .report;
    (report.verdict.state, report.verdict.message, report.ok)
}

#[test]
fn typed_text_comes_to_one_verdict() {
    let (state, message, ok) = text_verdict("  ");
    assert_eq!(state, VerdictState::Empty);
    assert_eq!(
        message,
        "Nothing to check yet: type some text or choose a file."
    );
    assert!(!ok);

    let (state, message, ok) = text_verdict("Ada renewed early and asked about the pro plan.");
    assert_eq!(
        (state, message.as_str(), ok),
        (VerdictState::Ready, "Ready to send.", true)
    );

    let long = "Ada renewed early and asked about the pro plan. ".repeat(400);
    let (state, message, ok) = text_verdict(&long);
    assert_eq!(state, VerdictState::OverLimit);
    assert!(!ok);
    let report = check(&customer_list(), Some("free"), &Input::Text(&long))
        .unwrap()
        .report;
    let input = prompt_preflight::messages::group_digits(report.tokens.input);
    assert_eq!(
        message,
        format!("Too long for your plan: {input} tokens where 2,000 fit.")
    );
}

#[test]
fn an_upload_over_the_limit_is_not_ready() {
    let mut csv = String::from("name,email\n");
    for i in 0..400 {
        csv.push_str(&format!(
            "Customer {i} of the northern region,c{i}@example.com\n"
        ));
    }
    let input = Input::File {
        name: Some("c.csv"),
        bytes: csv.as_bytes(),
    };
    let report = check(&customer_list(), Some("free"), &input)
        .unwrap()
        .report;
    assert_eq!(report.verdict.state, VerdictState::OverLimit);
    assert!(report
        .verdict
        .message
        .starts_with("Too long for your plan: "));
    // With another problem as well, the verdict says so.
    let csv = csv.replace("name,email", "name,mail");
    let input = Input::File {
        name: Some("c.csv"),
        bytes: csv.as_bytes(),
    };
    let report = check(&customer_list(), Some("free"), &input)
        .unwrap()
        .report;
    assert!(report.has(Code::MissingColumn));
    assert_eq!(report.verdict.state, VerdictState::OverLimit);
    assert!(
        report
            .verdict
            .message
            .ends_with(", and 1 other problem to fix."),
        "{}",
        report.verdict.message
    );
}

#[test]
fn problems_and_warnings_are_counted_in_words() {
    let input = Input::File {
        name: Some("c.csv"),
        bytes: &fixture("customers_missing_email.csv"),
    };
    let report = check(&customer_list(), None, &input).unwrap().report;
    let errors = report.errors().count() as u64;
    assert_eq!(report.verdict.state, VerdictState::Fix);
    let expected = if errors == 1 {
        "1 problem".to_owned()
    } else {
        format!("{errors} problems")
    };
    assert_eq!(
        report.verdict.message,
        format!("{expected} to fix before sending.")
    );
}

#[test]
fn a_provider_count_is_named_in_the_verdict() {
    let contract = customer_list();
    let mut report = check(&contract, None, &Input::Text("Ada renewed early."))
        .unwrap()
        .report;
    let mut tokens = report.tokens.clone();
    tokens.counted_by = Some("gemini".into());
    report.set_tokens(tokens, Vec::new());
    assert_eq!(
        report.verdict.message,
        "Ready to send. Google Gemini counted its tokens exactly."
    );
}

#[test]
fn a_question_without_its_data_is_asked_for_the_data() {
    let contract = customer_list();
    let report = check(
        &contract,
        None,
        &Input::Text("Which customers asked about discounts?"),
    )
    .unwrap()
    .report;
    let issue = report
        .issues
        .iter()
        .find(|i| i.code == Code::QuestionWithoutData)
        .unwrap();
    assert!(issue.hint.contains("name and email"), "{}", issue.hint);
    assert_eq!(
        issue.example.as_deref(),
        Some("name,email,country,signup_date,plan\nAda Lovelace,ada@example.com,United Kingdom,2024-03-15,pro")
    );
    assert_eq!(report.verdict.state, VerdictState::Fix);
    // The same question with data under it, notes, and a file are fine.
    for text in [
        "Which customers asked about discounts?\nAda Lovelace asked twice.",
        "Ada renewed early and asked about the pro plan.",
    ] {
        let report = check(&contract, None, &Input::Text(text)).unwrap().report;
        assert!(!report.has(Code::QuestionWithoutData), "{text}");
    }
    let summarise =
        Contract::parse(include_str!("../contracts/summarise-document/1.0.0.toml")).unwrap();
    let report = check(&summarise, None, &Input::Text("What happened?"))
        .unwrap()
        .report;
    assert!(
        !report.has(Code::QuestionWithoutData),
        "a text task takes any text"
    );
}

fn progress_of(work: impl FnOnce()) -> Vec<Progress> {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let sink = seen.clone();
    with_progress(move |p| sink.borrow_mut().push(p.clone()), work);
    seen.take()
}

fn assert_moves_forward(seen: &[Progress]) {
    assert!(
        seen.windows(2).all(|w| w[0].fraction <= w[1].fraction),
        "{seen:?}"
    );
    assert!(
        seen.iter().all(|p| (0.0..1.0).contains(&p.fraction)),
        "{seen:?}"
    );
}

#[test]
fn a_workbook_check_reports_each_sheet() {
    let bytes = fixture("sheet_customers.xlsx");
    let seen = progress_of(|| {
        let input = Input::File {
            name: Some("customers.xlsx"),
            bytes: &bytes,
        };
        check(&customer_list(), None, &input).unwrap();
    });
    let messages: Vec<&str> = seen.iter().map(|p| p.message.as_str()).collect();
    assert!(
        messages[0].starts_with("Reading customers.xlsx ("),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("Reading sheet 1 of ")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("Checking ") && m.ends_with(" against the columns")),
        "{messages:?}"
    );
    assert!(messages.contains(&"Counting tokens"), "{messages:?}");
    assert_moves_forward(&seen);
    // Without a listener nothing is reported, and the next listener hears
    // only its own work.
    check(&customer_list(), None, &Input::Text("Ada")).unwrap();
    let again = progress_of(|| {
        check(&customer_list(), None, &Input::Text("Ada")).unwrap();
    });
    assert_eq!(again[0].message, "Reading your text");
}

#[test]
fn a_split_reports_its_stages() {
    let summarise =
        Contract::parse(include_str!("../contracts/summarise-document/1.0.0.toml")).unwrap();
    let text = "The harbour was rebuilt in the year the railway came. ".repeat(2_000);
    let options = PrepareOptions {
        mode: Mode::Split,
        question: None,
        overlap: 0,
    };
    let seen = progress_of(|| {
        prepare(&summarise, Some("paid"), &Input::Text(&text), &options).unwrap();
    });
    let messages: Vec<&str> = seen.iter().map(|p| p.message.as_str()).collect();
    for stage in [
        "Reading your text",
        "Removing what this task doesn't need",
        "Splitting into parts that each fit",
    ] {
        assert!(messages.contains(&stage), "{stage} in {messages:?}");
    }
    assert!(
        messages
            .last()
            .unwrap()
            .starts_with("Counting the tokens and cost of "),
        "{messages:?}"
    );
    assert_moves_forward(&seen);
}

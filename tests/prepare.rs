//! `prepare`: trimming tables and text, keeping the relevant sections,
//! splitting, the plan and its cost, and the manifest. Property tests
//! check the invariants on arbitrary input: no part over the limit, the
//! parts give back the upload, the same input gives the same payload, and
//! preparing the upload again gives the same parts (what the server does).

use prompt_preflight::{
    prepare, Code, Contract, Input, Mode, PlanKind, PrepareOptions, Prepared, Refusal, StepKind,
};
use proptest::prelude::*;

fn customer_list() -> Contract {
    Contract::parse(include_str!("../contracts/customer-list/1.0.0.toml")).unwrap()
}

fn summarise() -> Contract {
    Contract::parse(include_str!("../contracts/summarise-document/1.0.0.toml")).unwrap()
}

/// A text contract on `model` with a `limit`-token tier and `extra`
/// TOML appended to its `[prepare]` table.
fn text_contract(model: &str, limit: u64, extra: &str) -> Contract {
    Contract::parse(&format!(
        "id = \"t\"\nversion = \"1.0.0\"\n[model]\nname = \"{model}\"\n[prompt]\ntemplate = \"Read: {{{{input}}}}\"\n[tiers.free]\nmax_input_tokens = {limit}\nmax_output_tokens = 100\n[prepare]\n{extra}\n"
    ))
    .unwrap()
}

/// The parts' contents and tokens.
fn payload(p: &Prepared) -> Vec<(&str, u64)> {
    p.parts
        .iter()
        .map(|x| (x.content.as_str(), x.tokens))
        .collect()
}

fn options(mode: Mode, question: Option<&str>) -> PrepareOptions {
    PrepareOptions {
        mode,
        question: question.map(str::to_owned),
        overlap: 0,
    }
}

fn file<'a>(name: &'a str, bytes: &'a [u8]) -> Input<'a> {
    Input::File {
        name: Some(name),
        bytes,
    }
}

/// Prepares the upload again, as the server does, and checks it gives
/// the same parts and plan.
fn assert_round_trip(contract: &Contract, tier: Option<&str>, p: &Prepared, o: &PrepareOptions) {
    let again = match &p.upload.name {
        Some(name) => prepare(contract, tier, &file(name, p.upload.text.as_bytes()), o),
        None => prepare(contract, tier, &Input::Text(&p.upload.text), o),
    }
    .unwrap();
    // Row locations refer to the input as read, so only the payload is
    // compared.
    assert_eq!(payload(&again), payload(p), "the server's parts differ");
    assert_eq!(again.plan, p.plan);
    assert_eq!(again.ok, p.ok);
}

/// Varied prose: `n` paragraphs of a few sentences.
fn prose(n: usize) -> String {
    let subjects = [
        "The analyst",
        "Our support team",
        "A new customer",
        "The board",
        "Someone",
    ];
    let verbs = ["reviewed", "rewrote", "questioned", "printed", "archived"];
    let objects = [
        "the renewal forecast",
        "an angry email",
        "the quarterly report",
        "the survey",
        "the invoices",
    ];
    (0..n)
        .map(|p| {
            (0..4)
                .map(|s| {
                    let k = p * 7 + s * 3;
                    format!(
                        "{} {} {} on day {}.",
                        subjects[k % 5],
                        verbs[(k / 5) % 5],
                        objects[(k / 2) % 5],
                        p * 4 + s
                    )
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[test]
fn a_table_loses_unused_columns_duplicates_and_blank_space_and_says_so() {
    let mut csv = String::from("name,email,internal notes,plan\n");
    for i in 0..40 {
        csv.push_str(&format!(
            "Customer {i},  c{i}@example.com ,private note number {i},pro\n"
        ));
        csv.push_str(&format!(
            "Customer {i},c{i}@example.com,another private note {i},pro\n"
        ));
    }
    let contract = customer_list();
    let o = PrepareOptions::default();
    let p = prepare(&contract, None, &file("c.csv", csv.as_bytes()), &o).unwrap();
    assert!(p.ok, "{:?}", p.plan);
    assert_eq!(p.plan.kind, PlanKind::Single);
    let content = &p.parts[0].content;
    assert!(content.starts_with("name,email,plan\nCustomer 0,c0@example.com,pro\n"));
    assert!(!content.contains("private"));
    assert_eq!(content.lines().count(), 41);
    let kinds: Vec<StepKind> = p.manifest.steps.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [
            StepKind::ColumnsRemoved,
            StepKind::WhitespaceCollapsed,
            StepKind::DuplicateRowsRemoved
        ]
    );
    assert_eq!(p.manifest.steps[0].items, ["internal notes"]);
    let dups = &p.manifest.steps[2];
    assert_eq!(dups.count, 40);
    assert_eq!(dups.at[0].row, Some(2), "the first duplicate is data row 2");
    assert!(p.manifest.tokens_before > 2 * p.manifest.tokens_after);
    assert!(p
        .manifest
        .summary
        .starts_with("We removed 1 column you don't need"));
    assert!(p.manifest.summary.ends_with(&format!(
        "{} → {} tokens.",
        prompt_preflight::messages::group_digits(p.manifest.tokens_before),
        p.manifest.tokens_after
    )));
    assert_eq!(p.parts[0].tokens, p.tokens.input);
    assert!(
        !p.issues.iter().any(|i| i.code == Code::UnexpectedColumn),
        "the column is gone"
    );
    assert_eq!(p.upload.name.as_deref(), Some("prepared.csv"));
    assert_round_trip(&contract, None, &p, &o);
}

#[test]
fn long_cells_are_cut_with_a_visible_marker() {
    let long = "word ".repeat(400);
    let csv = format!("name,email\nAda,ada@example.com\n\"{long}\",b@example.com\n");
    let mut contract = customer_list();
    contract.prepare.max_cell_chars = 100;
    let p = prepare(
        &contract,
        None,
        &file("c.csv", csv.as_bytes()),
        &PrepareOptions::default(),
    )
    .unwrap();
    let step = p
        .manifest
        .steps
        .iter()
        .find(|s| s.kind == StepKind::CellsShortened)
        .unwrap();
    assert_eq!(step.count, 1);
    assert_eq!(step.at[0].row, Some(2));
    assert_eq!(step.at[0].column.as_deref(), Some("name"));
    let row = p.parts[0].content.lines().nth(2).unwrap();
    assert!(row.contains("[cut "), "{row}");
    assert!(row.len() < 130);
    assert_eq!(
        step.chars as usize + row.split(" [cut").next().unwrap().len(),
        long.trim().len()
    );
}

#[test]
fn tables_are_written_in_the_contracts_format() {
    let csv = "name,email\nAda,ada@example.com\nGrace,grace@example.com\n";
    let mut contract = customer_list();
    contract.prepare.table_format = prompt_preflight::contract::TableFormat::Markdown;
    let o = PrepareOptions::default();
    let p = prepare(&contract, None, &file("c.csv", csv.as_bytes()), &o).unwrap();
    assert_eq!(
        p.parts[0].content,
        "| name | email |\n| --- | --- |\n| Ada | ada@example.com |\n| Grace | grace@example.com |\n"
    );
    assert!(p.manifest.has(StepKind::Reformatted));
    assert_round_trip(&contract, None, &p, &o);

    contract.prepare.table_format = prompt_preflight::contract::TableFormat::Json;
    let p = prepare(&contract, None, &file("c.csv", csv.as_bytes()), &o).unwrap();
    let records: serde_json::Value = serde_json::from_str(&p.parts[0].content).unwrap();
    assert_eq!(records[1]["email"], "grace@example.com");
    assert_round_trip(&contract, None, &p, &o);
}

#[test]
fn page_headers_markup_and_white_space_are_removed_from_text() {
    let pages: Vec<String> = (1..=4)
        .map(|n| format!("Quarterly Review — Confidential\n<p>Page body {} with   extra   spaces.</p>\nPage {n} of 4", ["one", "two", "three", "four"][n - 1]))
        .collect();
    let text = pages.join("\n\n");
    let o = PrepareOptions::default();
    let contract = summarise();
    let p = prepare(&contract, None, &Input::Text(&text), &o).unwrap();
    let content = &p.parts[0].content;
    assert!(
        !content.contains("Confidential") && !content.contains("Page 3 of 4"),
        "{content}"
    );
    assert!(!content.contains("<p>"));
    assert!(
        content.contains("Page body three with extra spaces."),
        "{content}"
    );
    let kinds: Vec<StepKind> = p.manifest.steps.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [
            StepKind::MarkupRemoved,
            StepKind::BoilerplateRemoved,
            StepKind::WhitespaceCollapsed
        ]
    );
    let boiler = &p.manifest.steps[1];
    assert_eq!(boiler.count, 8);
    assert_eq!(
        boiler.items,
        ["Quarterly Review — Confidential", "Page # of #"]
    );
    assert_round_trip(&contract, None, &p, &o);
}

#[test]
fn keep_relevant_keeps_the_matching_sections_in_order_and_lists_the_rest() {
    let mut text = prose(120);
    let needle = "The zeppelin hangar lease ends in March, and the zeppelin must move.";
    let at = text.len() / 2;
    let at = text[at..].find("\n\n").unwrap() + at;
    text.insert_str(at, &format!("\n\n{needle}"));
    let contract = text_contract("gpt-4o-mini", 600, "");
    let o = options(Mode::Relevant, Some("Where does the zeppelin go?"));
    let p = prepare(&contract, None, &Input::Text(&text), &o).unwrap();
    assert!(p.ok, "{}", p.plan.message);
    assert_eq!(p.plan.kind, PlanKind::Single);
    let content = &p.parts[0].content;
    assert!(content.contains(needle));
    assert!(p.parts[0].tokens <= 600);
    assert!(
        p.parts[0].tokens > 400,
        "the budget is used: {}",
        p.parts[0].tokens
    );
    assert!(content.contains("[…]"));
    // Kept sections appear in their original order.
    let mut from = 0;
    for piece in content
        .split("[…]")
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let found = text[from..]
            .find(piece)
            .expect("a kept section is from the text, in order");
        from += found + piece.len();
    }
    let step = p
        .manifest
        .steps
        .iter()
        .find(|s| s.kind == StepKind::SectionsOmitted)
        .unwrap();
    assert!(step.count > 5 && step.tokens > 1000);
    assert_eq!(step.items.len(), 20);
    assert!(
        step.at.windows(2).all(|w| w[0].line < w[1].line),
        "listed in order"
    );
    assert_round_trip(&contract, None, &p, &o);
}

#[test]
fn keep_relevant_on_a_table_keeps_matching_rows() {
    let mut csv = String::from("name,email,country\n");
    for i in 0..400 {
        let country = if i % 50 == 7 { "Iceland" } else { "France" };
        csv.push_str(&format!("Customer {i},c{i}@example.com,{country}\n"));
    }
    let contract = customer_list();
    let o = options(Mode::Relevant, Some("customers in Iceland"));
    let p = prepare(&contract, None, &file("c.csv", csv.as_bytes()), &o).unwrap();
    assert!(p.ok);
    let content = &p.parts[0].content;
    assert_eq!(
        content.matches("Iceland").count(),
        8,
        "every Iceland row is kept"
    );
    assert!(content.starts_with("name,email,country\n"));
    assert!(p.parts[0].tokens <= 2000);
    assert_round_trip(&contract, None, &p, &o);
}

#[test]
fn markup_with_no_text_is_refused_not_sent_empty() {
    let html = "<div><span></span><br/><!-- nothing --></div>\n".repeat(50);
    let p = prepare(
        &summarise(),
        None,
        &Input::Text(&html),
        &PrepareOptions::default(),
    )
    .unwrap();
    assert!(!p.ok);
    assert!(p
        .plan
        .reason
        .as_deref()
        .unwrap()
        .starts_with("nothing is left"));
    assert_eq!(p.plan.refusal, Some(Refusal::NothingLeft));
    assert!(p.manifest.has(StepKind::MarkupRemoved));
}

#[test]
fn keep_relevant_needs_a_question() {
    let contract = text_contract("gpt-4o-mini", 200, "");
    let p = prepare(
        &contract,
        None,
        &Input::Text(&prose(40)),
        &options(Mode::Relevant, Some("  ")),
    )
    .unwrap();
    assert!(!p.ok);
    assert_eq!(p.plan.kind, PlanKind::Refuse);
    assert!(p
        .plan
        .reason
        .as_deref()
        .unwrap()
        .contains("we need your question"));
    assert_eq!(p.plan.refusal, Some(Refusal::QuestionNeeded));
}

#[test]
fn split_runs_as_map_reduce_with_its_cost_when_the_contract_allows() {
    let text = prose(200);
    let contract = summarise();
    let o = options(Mode::Split, None);
    let p = prepare(&contract, None, &Input::Text(&text), &o).unwrap();
    assert!(p.ok, "{}", p.plan.message);
    assert_eq!(p.plan.kind, PlanKind::MapReduce);
    let n = p.parts.len();
    assert!(n >= 3);
    assert_eq!(p.plan.requests, n as u64 + 1);
    assert!(p.parts.iter().all(|part| part.tokens <= 2000));
    let joined: String = p.parts.iter().map(|part| part.content.as_str()).collect();
    assert_eq!(joined, p.upload.text);
    for w in p.parts.windows(2) {
        assert_eq!(w[0].end, w[1].start);
    }
    // The cost is the parts' requests plus the combining one, each with
    // 400 tokens reserved for the answer.
    assert!(p.plan.tokens > p.manifest.tokens_after + (n as u64 + 1) * 400);
    assert!(p.plan.cost_usd_max > p.tokens.cost.total_usd_max);
    assert!(p.manifest.has(StepKind::Split));
    assert!(p
        .plan
        .message
        .starts_with(&format!("This runs as {n} requests")));
    assert_round_trip(&contract, None, &p, &o);
}

#[test]
fn split_text_can_overlap_and_the_own_parts_still_tile_the_upload() {
    let contract = summarise();
    let o = PrepareOptions {
        mode: Mode::Split,
        question: None,
        overlap: 100,
    };
    let p = prepare(&contract, None, &Input::Text(&prose(200)), &o).unwrap();
    assert!(p.ok, "{}", p.plan.message);
    assert!(p.parts.iter().all(|x| x.tokens <= 2000));
    let own: String = p
        .parts
        .iter()
        .map(|x| &p.upload.text[x.own_start.unwrap()..x.end.unwrap()])
        .collect();
    assert_eq!(own, p.upload.text);
    for w in p.parts.windows(2) {
        let repeated = &p.upload.text[w[1].start.unwrap()..w[1].own_start.unwrap()];
        assert!(!repeated.is_empty() && w[0].content.ends_with(repeated));
        assert_eq!(w[0].end, w[1].own_start);
    }
    let step = p
        .manifest
        .steps
        .iter()
        .find(|s| s.kind == StepKind::Split)
        .unwrap();
    assert!(step
        .message
        .ends_with("Each part starts with up to 100 tokens from the end of the one before."));
    assert_round_trip(&contract, None, &p, &o);

    // Too much overlap leaves no room.
    let o = PrepareOptions { overlap: 1000, ..o };
    let p = prepare(&contract, None, &Input::Text(&prose(200)), &o).unwrap();
    assert!(!p.ok);
    assert!(p
        .plan
        .reason
        .as_deref()
        .unwrap()
        .contains("under half a part"));
    assert_eq!(p.plan.refusal, Some(Refusal::OverlapTooLarge));
}

#[test]
fn split_is_refused_when_the_prompt_needs_the_whole_input() {
    let contract = text_contract("gpt-4o-mini", 300, "");
    let p = prepare(
        &contract,
        None,
        &Input::Text(&prose(60)),
        &options(Mode::Split, None),
    )
    .unwrap();
    assert!(!p.ok);
    assert!(p.parts.len() > 1, "the parts are still shown");
    assert!(p
        .plan
        .reason
        .as_deref()
        .unwrap()
        .contains("needs the whole input"));
    assert_eq!(p.plan.refusal, Some(Refusal::NeedsWholeInput));
}

#[test]
fn trim_alone_says_what_to_do_when_still_over() {
    let contract = summarise();
    let p = prepare(
        &contract,
        None,
        &Input::Text(&prose(200)),
        &PrepareOptions::default(),
    )
    .unwrap();
    assert!(!p.ok);
    assert!(p.plan.message.contains("still"));
    assert_eq!(p.plan.refusal, Some(Refusal::StillOverLimit));
    assert!(p.issues.iter().any(|i| i.code == Code::OverTokenLimit));
}

/// The ways on a refused plan offers are ones that can work: splitting only
/// where the contract allows it, a bigger plan only where there is one.
#[test]
fn still_over_offers_only_what_can_work() {
    let text = prose(400);
    let reason = |contract: &Contract, tier| {
        let p = prepare(
            contract,
            Some(tier),
            &Input::Text(&text),
            &PrepareOptions::default(),
        )
        .unwrap();
        assert_eq!(
            p.plan.refusal,
            Some(Refusal::StillOverLimit),
            "{}",
            p.plan.message
        );
        p.plan.reason.unwrap_or_default()
    };
    // customer-list refuses long input: no splitting; paid is its top plan.
    let free = reason(&customer_list(), "free");
    assert!(!free.contains("split"), "{free}");
    assert!(free.contains("a plan with a higher limit"), "{free}");
    let paid = reason(&customer_list(), "paid");
    assert!(
        !paid.contains("split") && !paid.contains("higher limit"),
        "{paid}"
    );
    assert!(
        paid.contains("Keep only the parts most relevant to your question."),
        "{paid}"
    );
    // summarise-document runs map-reduce: splitting is offered.
    let free = reason(&summarise(), "free");
    assert!(free.contains("split it into parts"), "{free}");
}

#[test]
fn a_table_splits_between_rows_with_the_header_in_every_part() {
    let mut csv = String::from("name,email\n");
    for i in 0..600 {
        csv.push_str(&format!("Customer number {i},customer{i}@example.com\n"));
    }
    let mut contract = customer_list();
    contract.prepare.long_input = prompt_preflight::contract::LongInput::MapReduce;
    let o = options(Mode::Split, None);
    let p = prepare(&contract, None, &file("c.csv", csv.as_bytes()), &o).unwrap();
    assert!(p.ok, "{}", p.plan.message);
    assert!(p.parts.len() > 2);
    let mut rows = 0;
    for part in &p.parts {
        assert!(part.content.starts_with("name,email\n"));
        assert!(part.tokens <= 2000);
        rows += part.content.lines().count() - 1;
    }
    assert_eq!(rows, 600);
    assert_eq!(p.parts[0].first_row.as_ref().unwrap().row, Some(1));
    assert_eq!(
        p.parts.last().unwrap().last_row.as_ref().unwrap().row,
        Some(600)
    );
    assert_round_trip(&contract, None, &p, &o);
}

#[test]
fn estimated_models_split_with_their_margin() {
    let contract = text_contract("claude-haiku-4-5", 1000, "long_input = \"map_reduce\"");
    let p = prepare(
        &contract,
        None,
        &Input::Text(&prose(100)),
        &options(Mode::Split, None),
    )
    .unwrap();
    assert!(p.ok, "{}", p.plan.message);
    assert!(p.parts.iter().all(|part| part.tokens <= 1000));
    assert!(
        p.parts.iter().any(|part| part.tokens > 800),
        "parts are not needlessly small"
    );
}

#[test]
fn an_input_with_errors_is_not_prepared() {
    let csv = "name,phone\nAda,555\n";
    let p = prepare(
        &customer_list(),
        None,
        &file("c.csv", csv.as_bytes()),
        &PrepareOptions::default(),
    )
    .unwrap();
    assert!(!p.ok);
    assert!(p.parts.is_empty());
    assert_eq!(p.plan.refusal, Some(Refusal::InputHasErrors));
    assert!(p.issues.iter().any(|i| i.code == Code::MissingColumn));
}

#[test]
fn json_records_become_a_table_and_other_arrays_split_between_elements() {
    let contract = text_contract("gpt-4o-mini", 800, "long_input = \"map_reduce\"");
    let o = options(Mode::Split, None);
    let records: Vec<String> = (0..300)
        .map(|i| format!("{{\"id\": {i}, \"note\": \"item number {i} of the list\"}}"))
        .collect();
    let text = format!("[{}]", records.join(", "));
    let p = prepare(&contract, None, &file("items.json", text.as_bytes()), &o).unwrap();
    assert!(p.ok, "{}", p.plan.message);
    assert!(p
        .parts
        .iter()
        .all(|x| x.content.starts_with("id,note\n") && x.tokens <= 800));
    let rows: usize = p.parts.iter().map(|x| x.content.lines().count() - 1).sum();
    assert_eq!(rows, 300);
    assert_round_trip(&contract, None, &p, &o);

    let mixed: Vec<String> = (0..300)
        .map(|i| format!("[{i}, \"entry {i}\", {{\"nested\": [{i}, {i}]}}]"))
        .collect();
    let text = format!("[{}]", mixed.join(", "));
    let p = prepare(&contract, None, &file("items.json", text.as_bytes()), &o).unwrap();
    assert!(p.ok, "{}", p.plan.message);
    let mut n = 0;
    for part in &p.parts {
        assert!(part.tokens <= 800);
        n += serde_json::from_str::<Vec<serde_json::Value>>(&part.content)
            .unwrap()
            .len();
    }
    assert_eq!(n, 300);
    assert_eq!(p.upload.name.as_deref(), Some("prepared.json"));
    assert_round_trip(&contract, None, &p, &o);
}

#[test]
fn manifest_wording() {
    let mut csv = String::from("name,email,internal notes\n");
    for i in 0..30 {
        csv.push_str(&format!("Customer {i},c{i}@example.com,note {i}\n"));
        csv.push_str(&format!("Customer {i},c{i}@example.com,note {i}\n"));
    }
    csv.push_str(&format!(
        "\"{}\",long@example.com,x\n",
        "very long name ".repeat(100)
    ));
    let table = prepare(
        &customer_list(),
        None,
        &file("c.csv", csv.as_bytes()),
        &PrepareOptions::default(),
    )
    .unwrap();
    let pages = (1..=3)
        .map(|n| format!("ACME Ltd — internal\n<b>Section {n}</b> text   here.\nPage {n}"))
        .collect::<Vec<_>>()
        .join("\n\n");
    let text = prepare(
        &summarise(),
        None,
        &Input::Text(&pages),
        &PrepareOptions::default(),
    )
    .unwrap();
    let split = prepare(
        &summarise(),
        None,
        &Input::Text(&prose(200)),
        &options(Mode::Split, None),
    )
    .unwrap();
    let relevant = prepare(
        &text_contract("gpt-4o-mini", 300, ""),
        None,
        &Input::Text(&prose(40)),
        &options(Mode::Relevant, Some("angry email")),
    )
    .unwrap();
    let wording = |p: &Prepared| {
        serde_json::json!({
            "summary": p.manifest.summary,
            "steps": p.manifest.steps.iter().map(|s| &s.message).collect::<Vec<_>>(),
            "plan": p.plan.message,
        })
    };
    insta::assert_json_snapshot!(
        "prepare_wording",
        [
            wording(&table),
            wording(&text),
            wording(&split),
            wording(&relevant)
        ]
    );
}

proptest! {
    // PREPARE_CASES=2000 for a longer search.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PREPARE_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48),
        ..ProptestConfig::default()
    })]

    /// Split text: every part fits, the parts give back the upload, the
    /// result is deterministic, and preparing the upload again gives the
    /// same parts.
    #[test]
    fn split_text_invariants(
        text in "([a-zé 。\n.#<>]{0,40}|[0-9 ]{0,10}|\u{1F600}|\t){0,120}",
        limit in 16u64..120,
        overlap in prop_oneof![Just(0u64), 0u64..8],
    ) {
        let contract = text_contract("gpt-4o-mini", limit, "long_input = \"map_reduce\"\nstrip_markup = true");
        let o = PrepareOptions { overlap, ..options(Mode::Split, None) };
        let p = prepare(&contract, None, &Input::Text(&text), &o).unwrap();
        if !p.parts.is_empty() && p.plan.kind != PlanKind::Refuse {
            for part in &p.parts {
                prop_assert!(part.tokens <= limit, "{} > {limit}", part.tokens);
            }
        }
        if !p.parts.is_empty() {
            let joined: String = p
                .parts
                .iter()
                .map(|x| &p.upload.text[x.own_start.unwrap()..x.end.unwrap()])
                .collect();
            prop_assert_eq!(&joined, &p.upload.text);
            for x in &p.parts {
                prop_assert_eq!(&p.upload.text[x.start.unwrap()..x.end.unwrap()], x.content.as_str());
            }
        }
        let again = prepare(&contract, None, &Input::Text(&text), &o).unwrap();
        prop_assert_eq!(&again, &p);
        if p.ok {
            let server = prepare(&contract, None, &Input::Text(&p.upload.text), &o).unwrap();
            prop_assert_eq!(payload(&server), payload(&p));
        }
    }

    /// Tables: rows are never split, every kept row is in exactly one
    /// part, duplicates are gone, and the upload prepares to the same
    /// parts.
    #[test]
    fn split_table_invariants(
        rows in prop::collection::vec(("[a-z ]{0,12}", "[a-z]{1,8}@x\\.io", 0u8..4), 1..150),
        limit in 40u64..300,
    ) {
        let mut csv = String::from("name,email,junk\n");
        for (name, email, junk) in &rows {
            csv.push_str(&format!("{name},{email},{junk}\n"));
        }
        let mut contract = customer_list();
        contract.prepare.long_input = prompt_preflight::contract::LongInput::MapReduce;
        contract.tiers.get_mut("free").unwrap().max_input_tokens = limit;
        let o = options(Mode::Split, None);
        let p = prepare(&contract, None, &file("t.csv", csv.as_bytes()), &o).unwrap();
        if p.parts.is_empty() {
            // Blank names are an error for this contract.
            prop_assert!(!p.ok);
            return Ok(());
        }
        let mut seen = std::collections::HashSet::new();
        for part in &p.parts {
            prop_assert!(part.content.starts_with("name,email\n"));
            for line in part.content.lines().skip(1) {
                prop_assert!(seen.insert(line.to_owned()), "row twice: {line}");
            }
        }
        let server = prepare(&contract, None, &file("prepared.csv", p.upload.text.as_bytes()), &o).unwrap();
        prop_assert_eq!(payload(&server), payload(&p));
        prop_assert_eq!(server.ok, p.ok);
    }
}

/// The over-limit issue's actions are the browser's buttons, so each must
/// work: Trim only where trimming removes something, Split only where the
/// parts can run, and then preparing with it does what it said.
#[test]
fn offered_actions_succeed() {
    use prompt_preflight::{check, Action};
    // 1,000 tokens a part, answers of 100: at most 10 answers combine.
    let contract = text_contract("gpt-4o-mini", 1_000, "long_input = \"map_reduce\"");
    let clean = "Renewals rose in the north while costs fell in the south. ".repeat(200);
    // Extra white space to remove, and still over once it is gone.
    let messy: String = (0..200)
        .map(|i| format!("Renewals rose   in region {i} while costs fell.  \n\n\n\n"))
        .collect();
    let huge = "Renewals rose in the north while costs fell in the south. ".repeat(3_000);
    for (name, text, trim, split) in [
        ("clean", &clean, false, true),
        ("messy", &messy, true, true),
        // Over 30 parts, whose answers could not be combined: not offered.
        ("huge", &huge, false, false),
    ] {
        let report = check(&contract, None, &Input::Text(text)).unwrap().report;
        let over = report
            .issues
            .iter()
            .find(|i| i.code == Code::OverTokenLimit)
            .unwrap_or_else(|| panic!("{name}: {:#?}", report.issues));
        let offers_trim = over.actions.contains(&Action::Trim);
        let offered_split = over.actions.iter().find_map(|a| match a {
            Action::Split { parts, .. } => Some(*parts),
            _ => None,
        });
        assert_eq!(offers_trim, trim, "{name}: {:?}", over.actions);
        assert_eq!(offered_split.is_some(), split, "{name}: {:?}", over.actions);
        assert_eq!(over.hint.contains("split"), split, "{name}: {}", over.hint);
        let trimmed = prepare(
            &contract,
            None,
            &Input::Text(text),
            &options(Mode::Trim, None),
        )
        .unwrap();
        assert_eq!(
            trimmed.manifest.steps.is_empty(),
            !trim,
            "{name}: {}",
            trimmed.manifest.summary
        );
        let parts = prepare(
            &contract,
            None,
            &Input::Text(text),
            &options(Mode::Split, None),
        )
        .unwrap();
        match offered_split {
            Some(at_least) => {
                assert_eq!(
                    parts.plan.kind,
                    PlanKind::MapReduce,
                    "{name}: {}",
                    parts.plan.message
                );
                assert!(
                    parts.parts.len() as u64 >= at_least,
                    "{name}: at least {at_least}"
                );
            }
            None => assert_eq!(
                parts.plan.kind,
                PlanKind::Refuse,
                "{name}: {}",
                parts.plan.message
            ),
        }
    }
}

/// Splitting past the most parts a plan runs is never offered.
#[test]
fn no_split_is_offered_past_the_part_limit() {
    use prompt_preflight::{Budget, MAX_PARTS};
    let contract = text_contract("gpt-4o-mini", 100_000, "long_input = \"map_reduce\"");
    let budget = Budget::new(&contract, None).unwrap();
    let mut tokens = budget.measure("");
    tokens.input = tokens.limit * MAX_PARTS as u64;
    assert_eq!(budget.split_offer(&tokens), Some(MAX_PARTS as u64));
    tokens.input += 1;
    assert_eq!(budget.split_offer(&tokens), None);
}

/// The live meter offers what the full check offers, on the same text.
#[test]
fn the_live_check_offers_what_the_full_check_offers() {
    use prompt_preflight::{check, LiveCheck};
    let contract = text_contract("gpt-4o-mini", 300, "long_input = \"map_reduce\"");
    for text in [
        "Renewals rose in the north while costs fell in the south. ".repeat(60),
        "Renewals rose   in the north.  \n\n\n\nCosts fell.\n".repeat(60),
        "Renewals rose.".to_owned(),
        String::new(),
        " \n\t ".to_owned(),
    ] {
        let mut live = LiveCheck::new(&contract, None).unwrap();
        let reading = live.set_text(&text);
        let report = check(&contract, None, &Input::Text(&text)).unwrap().report;
        let size: Vec<_> = report
            .issues
            .iter()
            .filter(|i| Code::LIVE.contains(&i.code))
            .cloned()
            .collect();
        assert_eq!(reading.issues, size);
        assert_eq!(reading.tokens, report.tokens);
        // The full check brought up to date with the reading of the same
        // text is the full check: one verdict, whichever is newer.
        assert_eq!(report.with_reading(&reading), report);
    }
}

/// A long text is not trimmed at every edit: its reading says so until it
/// is settled, and then offers what the full check offers.
#[test]
fn a_long_text_settles_to_the_full_checks_offers() {
    use prompt_preflight::{check, Action, Edit, LiveCheck, SETTLE_BYTES};
    let contract = text_contract("gpt-4o-mini", 300, "long_input = \"map_reduce\"");
    let text = "Renewals rose   in the north.  \n\n\n\nCosts fell in the south.\n"
        .repeat(SETTLE_BYTES / 40);
    assert!(text.len() > SETTLE_BYTES);
    let mut live = LiveCheck::new(&contract, None).unwrap();
    let first = live.set_text(&text);
    assert!(!first.settled);
    let settled = live.settle();
    assert!(settled.settled);
    let full = check(&contract, None, &Input::Text(&text)).unwrap().report;
    let size: Vec<_> = full
        .issues
        .into_iter()
        .filter(|i| Code::LIVE.contains(&i.code))
        .collect();
    assert_eq!(settled.issues, size);
    assert!(size[0].actions.contains(&Action::Trim));
    // Typing on: the count is exact at once; the offers stay those of the
    // last settled text until it settles again.
    let typed = live.edit(&Edit {
        start: 0,
        end: 0,
        text: "Note. ".into(),
    });
    assert!(!typed.settled);
    assert!(typed.tokens.input > settled.tokens.input);
    assert_eq!(typed.issues[0].actions, settled.issues[0].actions);
    assert!(live.settle().settled);
}

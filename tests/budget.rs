//! The request budget: the model catalogue, the chat overhead, the answer's
//! reservation, the context window, estimates for models without a public
//! tokenizer, and cost.

use prompt_preflight::{check, Budget, Catalogue, Code, Contract, Encoding, Input, Provider};

fn contract(model: &str, extra: &str) -> Contract {
    Contract::parse(&format!(
        r#"
        id = "t"
        version = "1.0.0"
        [model]
        name = "{model}"
        {extra}
        [prompt]
        system = "You are a careful analyst."
        template = "Summarise this:\n\n{{{{input}}}}\n\nThanks."
        [tiers.free]
        max_input_tokens = 2000
        max_output_tokens = 500
        "#
    ))
    .unwrap()
}

#[test]
fn the_catalogue_covers_the_three_providers_with_dated_prices() {
    let c = Catalogue::builtin();
    assert!(c.prices_as_of.len() == 10 && c.prices_as_of.as_bytes()[4] == b'-');
    assert_eq!(c.currency, "USD");
    for provider in [Provider::Openai, Provider::Anthropic, Provider::Gemini] {
        assert!(
            c.models.iter().filter(|m| m.provider == provider).count() >= 4,
            "{provider:?}"
        );
    }
    let mut names = std::collections::HashSet::new();
    for m in &c.models {
        for name in std::iter::once(&m.name).chain(&m.aliases) {
            assert!(names.insert(name.clone()), "{name} is listed twice");
        }
        assert!(m.context_window >= m.max_output_tokens, "{}", m.name);
        assert!(
            m.input_usd_per_mtok > 0.0 && m.output_usd_per_mtok >= m.input_usd_per_mtok,
            "{}",
            m.name
        );
        assert_eq!(
            m.estimate.is_some(),
            m.provider != Provider::Openai,
            "{}",
            m.name
        );
    }
}

#[test]
fn overhead_is_the_system_message_template_and_chat_framing() {
    let c = contract("gpt-4o", "");
    let e = Encoding::O200kBase;
    let n = |s: &str| e.count(s).count;
    // No punctuation at the end: "." would merge with the "\n\n" after it.
    let text = "Our customers in Lisbon renewed early";
    let tokens = check(&c, None, &Input::Text(text)).unwrap().report.tokens;
    // OpenAI's chat format: 3 tokens per message plus its role, and 3 that
    // prime the answer.
    let framing = (3 + n("system")) + (3 + n("user")) + 3;
    let template = n("Summarise this:\n\n") + n("\n\nThanks.");
    assert_eq!(
        tokens.overhead,
        framing + n("You are a careful analyst.") + template
    );
    assert_eq!(tokens.input, n(text));
    assert_eq!(tokens.output_reserved, 500);
    assert_eq!(tokens.total, tokens.input + tokens.overhead + 500);
    // gpt-4o: $2.50 in, $10 out per million.
    assert_eq!(
        tokens.cost.input_usd,
        ((tokens.input + tokens.overhead) as f64 * 2.5 / 1e6 * 1e6).round() / 1e6
    );
    assert_eq!(tokens.cost.output_usd_max, 0.005);
}

#[test]
fn input_is_what_the_text_adds_even_where_it_joins_the_template() {
    // "\n\n" + text starting with white space merges across the join: the
    // input is the exact difference the text makes.
    let c = contract("gpt-4o", "");
    let text = "  indented\n";
    let tokens = check(&c, None, &Input::Text(text)).unwrap().report.tokens;
    let n = |s: &str| Encoding::O200kBase.count(s).count;
    let framed = format!("Summarise this:\n\n{text}\n\nThanks.");
    assert_eq!(
        tokens.input,
        n(&framed) - n("Summarise this:\n\n") - n("\n\nThanks.")
    );
}

#[test]
fn a_request_past_the_context_window_is_refused() {
    // gpt-4 reads 8,192 tokens: 2,000 of input and an 8,000-token answer
    // cannot both fit, which the contract itself refuses…
    let err = Contract::parse(
        "id = \"t\"\nversion = \"1.0.0\"\n[model]\nname = \"gpt-4\"\n[tiers.a]\nmax_input_tokens = 2000\nmax_output_tokens = 8000\n",
    )
    .unwrap_err();
    assert_eq!(err.field(), Some("tiers.a.max_input_tokens"));
    // …and a long system prompt can still push a request past it.
    let system = "Follow the house style. ".repeat(250);
    let c = Contract::parse(&format!(
        "id = \"t\"\nversion = \"1.0.0\"\n[model]\nname = \"gpt-4\"\n[prompt]\nsystem = \"{system}\"\n[tiers.a]\nmax_input_tokens = 2000\nmax_output_tokens = 6000\n"
    ))
    .unwrap();
    let report = check(&c, None, &Input::Text(&"word ".repeat(1500)))
        .unwrap()
        .report;
    assert!(report.tokens.total > 8192, "{:?}", report.tokens);
    let issue = report
        .issues
        .iter()
        .find(|i| i.code == Code::ContextWindowExceeded)
        .unwrap();
    assert!(
        issue.message.contains("gpt-4 reads at most 8,192"),
        "{}",
        issue.message
    );
    assert!(!report.ok);
}

#[test]
fn claude_is_estimated_with_a_stated_error_and_margin() {
    let c = contract("claude-sonnet-4-5", "");
    let text = "Which customers are most likely to upgrade, and why?";
    let report = check(&c, None, &Input::Text(text)).unwrap().report;
    let t = &report.tokens;
    assert!(!t.exact);
    let e = t.estimate.as_ref().unwrap();
    assert_eq!(e.basis, Encoding::O200kBase);
    // What the text adds to the user message ("?" merges with the "\n\n"
    // after it, so it is one token less than the text alone).
    let n = |s: &str| Encoding::O200kBase.count(s).count;
    let framed = format!("Summarise this:\n\n{text}\n\nThanks.");
    assert_eq!(
        e.basis_input,
        n(&framed) - n("Summarise this:\n\n") - n("\n\nThanks.")
    );
    assert_eq!(e.basis_input, n(text) - 1);
    // 1 + the error bound, by default.
    assert_eq!(e.safety_factor, 1.0 + e.error_bound);
    assert_eq!(
        t.input,
        (e.basis_input as f64 * e.ratio * e.safety_factor).ceil() as u64
    );
    let note = report
        .issues
        .iter()
        .find(|i| i.code == Code::TokenCountEstimated)
        .unwrap();
    assert!(note
        .message
        .contains("Anthropic does not publish how claude-sonnet-4-5 counts tokens"));
    assert!(report.ok, "an estimate is information, not a problem");

    // A configured factor replaces the default margin.
    let c = contract("claude-sonnet-4-5", "safety_factor = 1.5");
    let t = check(&c, None, &Input::Text(text)).unwrap().report.tokens;
    assert_eq!(t.estimate.as_ref().unwrap().safety_factor, 1.5);
}

#[test]
fn gemini_long_prompts_cost_more_past_the_threshold() {
    let model = Catalogue::builtin().find("gemini-2.5-pro").unwrap();
    let short = prompt_preflight::Cost::of(model, 100_000, 1_000);
    let long = prompt_preflight::Cost::of(model, 300_000, 1_000);
    assert_eq!(short.input_usd, 0.125);
    assert_eq!(long.input_usd, 0.75);
    assert_eq!(long.output_usd_max, 0.015);
}

#[test]
fn the_budget_gives_the_meter_and_the_check_the_same_figures() {
    let c = contract("gpt-4o-mini", "");
    let budget = Budget::new(&c, Some("free")).unwrap();
    let mut meter = budget.meter().unwrap();
    let text = "Customers in Porto renewed. ".repeat(50);
    let count = meter.set_text(&text);
    let from_meter = budget.tokens(prompt_preflight::TokenCount { count, exact: true });
    let from_check = check(&c, Some("free"), &Input::Text(&text))
        .unwrap()
        .report
        .tokens;
    assert_eq!(from_meter, from_check);
    assert_eq!(budget.issues(&from_meter).len(), 0);
}

#[test]
fn size_wording() {
    let c = contract("gpt-4o-mini", "");
    let words = |text: &str, tier: Option<&str>| {
        check(&c, tier, &Input::Text(text))
            .unwrap()
            .report
            .issues
            .into_iter()
            .filter(|i| Code::SIZE.contains(&i.code))
            .collect::<Vec<_>>()
    };
    let over = words(&"Renewals rose in the north. ".repeat(400), None);
    let near = words(&"Renewals rose in the north. ".repeat(240), None);
    let claude = contract("claude-haiku-4-5", "");
    let estimated: Vec<_> = check(&claude, None, &Input::Text("Hello there"))
        .unwrap()
        .report
        .issues;
    insta::assert_json_snapshot!("size_wording", (over, near, estimated));
}

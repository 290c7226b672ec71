//! Contract parsing: the example parses, JSON and TOML agree, and every
//! invalid contract is refused with an error that names the field.
#![cfg(not(target_arch = "wasm32"))]

use prompt_preflight::contract::{ColumnType, ExtraColumns};
use prompt_preflight::{Contract, Encoding, Error, Tier};
use rstest::rstest;

const EXAMPLE: &str = include_str!("../contracts/customer-list/1.0.0.toml");

fn example() -> Contract {
    Contract::parse(EXAMPLE).expect("the example contract is valid")
}

/// The example with `from` replaced by `to` (once), failing loudly if the
/// example no longer contains `from`.
fn edited(from: &str, to: &str) -> String {
    assert!(
        EXAMPLE.contains(from),
        "the example contract has no {from:?}"
    );
    EXAMPLE.replacen(from, to, 1)
}

#[test]
fn example_parses() {
    let c = example();
    assert_eq!(c.id, "customer-list");
    assert_eq!(c.version, "1.0.0");
    assert!(!c.description.is_empty());
    assert_eq!(c.model.name, "gpt-4o-mini");
    assert_eq!(c.model.info().unwrap().encoding, Encoding::O200kBase);
    assert_eq!(c.default_tier.as_deref(), Some("free"));
    assert_eq!(
        c.tiers.keys().map(String::as_str).collect::<Vec<_>>(),
        ["free", "paid"]
    );
    assert_eq!(
        c.tiers["free"],
        Tier {
            max_input_tokens: 2000,
            warn_at: 0.8,
            max_output_tokens: Some(500),
            monthly_tokens: Some(200_000),
            requests_per_minute: Some(20),
            tokens_per_minute: Some(20_000),
            monthly_spend_usd: Some(1.0),
        }
    );
    assert_eq!(c.tiers["paid"].max_input_tokens, 8000);
    assert_eq!(c.tier(None).unwrap().0, "free");
    assert_eq!(c.tier(Some("paid")).unwrap().1.warn_tokens(), 6400);

    assert!(c.input.text);
    let table = c.input.table.as_ref().expect("a table spec");
    assert_eq!(table.extra_columns, ExtraColumns::Warn);
    let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["name", "email", "country", "signup_date", "plan"]);
    let required: Vec<&str> = table
        .columns
        .iter()
        .filter(|c| c.required)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(required, ["name", "email"]);
    assert_eq!(table.columns[3].kind, ColumnType::Date);
    assert_eq!(table.columns[4].kind, ColumnType::Enum);
    assert_eq!(table.columns[4].values, ["free", "pro", "enterprise"]);
    assert_eq!(table.columns[0].aliases, ["full name", "customer"]);

    let prompt = c.prompt.as_ref().expect("a prompt spec");
    assert!(prompt
        .template
        .as_deref()
        .unwrap()
        .contains(prompt_preflight::INPUT_PLACEHOLDER));
    assert!(prompt.system.is_some());
}

#[test]
fn json_form_parses_back_to_the_same_contract() {
    let c = example();
    let json = serde_json::to_string(&c).unwrap();
    assert_eq!(Contract::parse(&json).unwrap(), c);
    assert_eq!(Contract::from_json(&json).unwrap(), c);
    let pretty = serde_json::to_string_pretty(&c).unwrap();
    assert_eq!(Contract::parse(&format!("\n  {pretty}")).unwrap(), c);
    let value = serde_json::to_value(&c).unwrap();
    assert_eq!(Contract::from_value(value).unwrap(), c);
    assert_eq!(Contract::from_toml(EXAMPLE).unwrap(), c);
}

#[test]
fn defaults_apply_to_a_minimal_contract() {
    let c = Contract::parse(
        r#"
        id = "summarise"
        version = "0.1.0-beta.1"
        [model]
        name = "gpt-4-turbo"
        [tiers.big]
        max_input_tokens = 9000
        [tiers.small]
        max_input_tokens = 100
        "#,
    )
    .unwrap();
    assert_eq!(c.description, "");
    assert!(c.input.text);
    assert!(c.input.table.is_none());
    assert!(c.prompt.is_none());
    assert_eq!(c.default_tier, None);
    assert_eq!(c.tiers["big"].warn_at, 0.8);
    // Without `default_tier`, the smallest limit is the default.
    assert_eq!(c.tier(None).unwrap().0, "small");
    assert_eq!(c.model.info().unwrap().encoding, Encoding::Cl100kBase);
    let json = serde_json::to_string(&c).unwrap();
    assert!(!json.contains("default_tier"), "{json}");
    assert_eq!(Contract::parse(&json).unwrap(), c);
}

fn assert_field_error(result: Result<Contract, Error>, field: &str) -> Error {
    let err = result.expect_err("the contract is invalid");
    assert_eq!(err.code(), "invalid_contract", "{err}");
    assert_eq!(err.field(), Some(field), "{err}");
    assert!(err.to_string().contains(&format!("`{field}`")), "{err}");
    err
}

#[rstest]
#[case::version_not_semver(r#"version = "1.0.0""#, r#"version = "1.0""#, "version")]
#[case::version_word(r#"version = "1.0.0""#, r#"version = "latest""#, "version")]
#[case::id_with_space(r#"id = "customer-list""#, r#"id = "customer list""#, "id")]
#[case::zero_tokens(
    "max_input_tokens = 2000",
    "max_input_tokens = 0",
    "tiers.free.max_input_tokens"
)]
#[case::warn_over_one("warn_at = 0.8", "warn_at = 1.5", "tiers.free.warn_at")]
#[case::warn_zero("warn_at = 0.8", "warn_at = 0.0", "tiers.free.warn_at")]
#[case::warn_nan("warn_at = 0.8", "warn_at = nan", "tiers.free.warn_at")]
#[case::enum_without_values(
    r#"values = ["free", "pro", "enterprise"]"#,
    "",
    "input.table.columns[4].values"
)]
#[case::duplicate_column(
    r#"name = "country""#,
    r#"name = "Email""#,
    "input.table.columns[2].name"
)]
#[case::alias_is_another_column(
    r#"aliases = ["full name", "customer"]"#,
    r#"aliases = ["full name", "e mail"]"#,
    "input.table.columns[1].name"
)]
#[case::blank_column_name(r#"name = "country""#, r#"name = "  ""#, "input.table.columns[2].name")]
#[case::template_without_input("{{input}}", "{{text}}", "prompt.template")]
#[case::default_tier_undeclared(
    r#"default_tier = "free""#,
    r#"default_tier = "gold""#,
    "default_tier"
)]
#[case::empty_model_name(r#"name = "gpt-4o-mini""#, r#"name = """#, "model.name")]
#[case::unknown_encoding(
    r#"name = "gpt-4o-mini""#,
    "name = \"gpt-4o-mini\"\nencoding = \"p50k_base\"",
    "model.encoding"
)]
#[case::encoding_disagrees_with_the_catalogue(
    r#"name = "gpt-4o-mini""#,
    "name = \"gpt-4o-mini\"\nencoding = \"cl100k_base\"",
    "model.encoding"
)]
#[case::encoding_for_an_estimated_model(
    r#"name = "gpt-4o-mini""#,
    "name = \"claude-haiku-4-5\"\nencoding = \"o200k_base\"",
    "model.encoding"
)]
#[case::safety_factor_below_one(
    r#"name = "gpt-4o-mini""#,
    "name = \"claude-haiku-4-5\"\nsafety_factor = 0.5",
    "model.safety_factor"
)]
#[case::answer_longer_than_the_model_writes(
    "max_output_tokens = 500",
    "max_output_tokens = 500000",
    "tiers.free.max_output_tokens"
)]
#[case::tier_larger_than_the_context_window(
    "max_input_tokens = 8000",
    "max_input_tokens = 128000",
    "tiers.paid.max_input_tokens"
)]
#[case::unknown_column_type(
    r#"type = "date""#,
    r#"type = "datetime""#,
    "input.table.columns[3].type"
)]
#[case::unknown_extra_policy(
    r#"extra_columns = "warn""#,
    r#"extra_columns = "maybe""#,
    "input.table.extra_columns"
)]
#[case::tokens_as_string(
    "max_input_tokens = 2000",
    r#"max_input_tokens = "2000""#,
    "tiers.free.max_input_tokens"
)]
#[case::negative_tokens(
    "max_input_tokens = 8000",
    "max_input_tokens = -5",
    "tiers.paid.max_input_tokens"
)]
#[case::fractional_tokens(
    "max_input_tokens = 8000",
    "max_input_tokens = 10.5",
    "tiers.paid.max_input_tokens"
)]
#[case::unknown_tier_key(
    "[tiers.paid]\n",
    "[tiers.paid]\nburst_tokens = 5\n",
    "tiers.paid.burst_tokens"
)]
#[case::unknown_column_key(
    r#"example = "pro""#,
    "example = \"pro\"\nformat = \"x\"",
    "input.table.columns[4].format"
)]
#[case::text_and_no_table("text = true", "text = 1", "input.text")]
fn invalid_toml_names_the_field(#[case] from: &str, #[case] to: &str, #[case] field: &str) {
    assert_field_error(Contract::parse(&edited(from, to)), field);
}

#[test]
fn an_unknown_model_is_named_with_the_closest_known_one() {
    let err =
        Contract::parse(&edited(r#"name = "gpt-4o-mini""#, r#"name = "gpt4o-mini""#)).unwrap_err();
    assert_eq!(err.code(), "unknown_model");
    assert_eq!(err.field(), Some("model.name"));
    let text = err.to_string();
    assert!(
        text.contains("`gpt4o-mini`") && text.contains("did you mean `gpt-4o-mini`"),
        "{text}"
    );
    let err =
        Contract::parse(&edited(r#"name = "gpt-4o-mini""#, r#"name = "llama-7""#)).unwrap_err();
    assert_eq!(err.code(), "unknown_model");
    assert!(!err.to_string().contains("did you mean"), "{err}");
}

#[test]
fn models_are_found_by_alias_and_estimated_ones_need_no_encoding() {
    let c = Contract::parse(&edited(
        r#"name = "gpt-4o-mini""#,
        r#"name = "claude-sonnet-4-5-20250929""#,
    ))
    .unwrap();
    let model = c.model.info().unwrap();
    assert_eq!(model.name, "claude-sonnet-4-5");
    let rule = model.estimate.expect("Claude is estimated");
    assert_eq!(c.model.safety_factor(model), 1.0 + rule.error_bound);
}

#[test]
fn wrong_type_error_explains_the_type() {
    let err = assert_field_error(
        Contract::parse(&edited(
            "max_input_tokens = 2000",
            r#"max_input_tokens = "2000""#,
        )),
        "tiers.free.max_input_tokens",
    );
    assert!(err.to_string().contains("string"), "{err}");
}

#[test]
fn unknown_top_level_key_is_named() {
    let err = assert_field_error(
        Contract::parse(&format!("colour = \"blue\"\n{EXAMPLE}")),
        "colour",
    );
    assert!(err.to_string().contains("unknown field"), "{err}");
}

#[test]
fn missing_required_field_is_named() {
    let mut value = serde_json::to_value(example()).unwrap();
    value.as_object_mut().unwrap().remove("model");
    let err = Contract::from_value(value).unwrap_err();
    assert_eq!(err.code(), "invalid_contract");
    assert!(err.to_string().contains("model"), "{err}");
}

#[test]
fn no_tiers_is_refused() {
    let mut value = serde_json::to_value(example()).unwrap();
    value["tiers"] = serde_json::json!({});
    value.as_object_mut().unwrap().remove("default_tier");
    assert_field_error(Contract::from_value(value), "tiers");
}

#[test]
fn neither_text_nor_table_is_refused() {
    let mut value = serde_json::to_value(example()).unwrap();
    value["input"] = serde_json::json!({ "text": false });
    assert_field_error(Contract::from_value(value), "input");
}

#[test]
fn table_without_columns_is_refused() {
    let mut value = serde_json::to_value(example()).unwrap();
    value["input"]["table"]["columns"] = serde_json::json!([]);
    assert_field_error(Contract::from_value(value), "input.table.columns");
}

#[test]
fn invalid_json_contract_names_the_field() {
    let mut value = serde_json::to_value(example()).unwrap();
    value["version"] = "one".into();
    let json = serde_json::to_string(&value).unwrap();
    assert_field_error(Contract::parse(&json), "version");

    value["version"] = "1.0.0".into();
    value["tiers"]["paid"]["max_input_tokens"] = "lots".into();
    let json = serde_json::to_string(&value).unwrap();
    assert_field_error(Contract::parse(&json), "tiers.paid.max_input_tokens");
}

#[rstest]
#[case::unclosed_table("[model]", "[model", "TOML")]
#[case::unclosed_string(r#"id = "customer-list""#, r#"id = "customer-list"#, "TOML")]
#[case::duplicate_key("[tiers.paid]\n", "[tiers.free]\n", "TOML")]
fn toml_syntax_errors(#[case] from: &str, #[case] to: &str, #[case] format: &str) {
    let err = Contract::parse(&edited(from, to)).unwrap_err();
    assert_eq!(err.code(), "invalid_contract", "{err}");
    assert_eq!(err.field(), None);
    assert!(matches!(err, Error::ContractSyntax { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&format!("not valid {format}")), "{text}");
    assert!(!text.contains('\n'), "one line: {text}");
}

#[rstest]
#[case::truncated(r#"{"id": "x", "#)]
#[case::trailing_comma(r#"{"id": "x",}"#)]
fn json_syntax_errors(#[case] source: &str) {
    let err = Contract::parse(source).unwrap_err();
    assert_eq!(err.code(), "invalid_contract");
    assert_eq!(err.field(), None);
    assert!(err.to_string().contains("not valid JSON"), "{err}");
}

#[test]
fn empty_source_is_invalid() {
    for source in ["", "   \n"] {
        let err = Contract::parse(source).unwrap_err();
        assert_eq!(err.code(), "invalid_contract", "{err}");
    }
}

#[test]
fn validate_catches_edits_after_parsing() {
    let mut c = example();
    assert!(c.validate().is_ok());
    c.tiers.get_mut("paid").unwrap().max_input_tokens = 0;
    let err = c.validate().unwrap_err();
    assert_eq!(err.field(), Some("tiers.paid.max_input_tokens"));
}

#[test]
fn unknown_tier_lists_the_tiers() {
    let err = example().tier(Some("enterprise")).unwrap_err();
    assert_eq!(err.code(), "unknown_tier");
    assert_eq!(
        err,
        Error::UnknownTier {
            tier: "enterprise".into(),
            available: "free, paid".into()
        }
    );
}

//! Turns the model catalogue (`data/models.toml`) into Rust at build time,
//! so the built-in catalogue costs no TOML parsing at start and no
//! deserialiser in the browser's meter module. `Catalogue::from_toml`
//! still reads the same format at run time, and a test checks that both
//! give the same catalogue.

use std::fmt::Write;

fn main() {
    println!("cargo::rerun-if-changed=data/models.toml");
    println!("cargo::rerun-if-changed=build.rs");
    let source = std::fs::read_to_string("data/models.toml").expect("data/models.toml");
    let file: toml::Table = toml::from_str(&source).expect("data/models.toml is TOML");
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("catalogue.rs");
    std::fs::write(out, generate(&file)).unwrap();
}

fn str_of<'a>(table: &'a toml::Table, key: &str) -> &'a str {
    table[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is a string"))
}

fn int_of(table: &toml::Table, key: &str) -> u64 {
    u64::try_from(
        table[key]
            .as_integer()
            .unwrap_or_else(|| panic!("{key} is a number")),
    )
    .unwrap()
}

fn float_of(table: &toml::Table, key: &str) -> f64 {
    let value = &table[key];
    value
        .as_float()
        .or_else(|| value.as_integer().map(|i| i as f64))
        .unwrap_or_else(|| panic!("{key} is a number"))
}

/// `Provider::Openai` for "openai" (and the alias "google").
fn provider(name: &str) -> &'static str {
    match name {
        "openai" => "Provider::Openai",
        "anthropic" => "Provider::Anthropic",
        "gemini" | "google" => "Provider::Gemini",
        other => panic!("unknown provider {other}"),
    }
}

fn encoding(name: &str) -> &'static str {
    match name {
        "o200k_base" => "Encoding::O200kBase",
        "cl100k_base" => "Encoding::Cl100kBase",
        other => panic!("unknown encoding {other}"),
    }
}

/// A float as a Rust literal that reads back as the same value.
fn float(x: f64) -> String {
    format!("{x:?}_f64")
}

fn generate(file: &toml::Table) -> String {
    let estimates = file["estimates"].as_table().expect("[estimates]");
    let mut code = String::from("Catalogue {\n");
    writeln!(
        code,
        "    prices_as_of: {:?}.to_owned(),",
        str_of(file, "prices_as_of")
    )
    .unwrap();
    writeln!(
        code,
        "    currency: {:?}.to_owned(),",
        str_of(file, "currency")
    )
    .unwrap();
    code.push_str("    models: vec![\n");
    for entry in file["model"].as_array().expect("[[model]]") {
        let e = entry.as_table().expect("a model is a table");
        let name = str_of(e, "name");
        let provider_name = str_of(e, "provider");
        let (encoding, estimate) = match e.get("encoding") {
            Some(enc) => (
                encoding(enc.as_str().unwrap()).to_owned(),
                "None".to_owned(),
            ),
            None => {
                let key = if provider_name == "google" {
                    "gemini"
                } else {
                    provider_name
                };
                let rule = estimates
                    .get(key)
                    .and_then(|r| r.as_table())
                    .unwrap_or_else(|| {
                        panic!("{name}: no encoding, and no estimate rule for {provider_name}")
                    });
                let basis = encoding(str_of(rule, "basis"));
                (
                    basis.to_owned(),
                    format!(
                        "Some(EstimateRule {{ basis: {basis}, ratio: {}, error_bound: {} }})",
                        float(float_of(rule, "ratio")),
                        float(float_of(rule, "error_bound"))
                    ),
                )
            }
        };
        let aliases: Vec<String> = e
            .get("aliases")
            .and_then(|a| a.as_array())
            .map(|a| {
                a.iter()
                    .map(|x| format!("{:?}.to_owned()", x.as_str().unwrap()))
                    .collect()
            })
            .unwrap_or_default();
        let long_context = match e.get("long_context").and_then(|l| l.as_table()) {
            Some(l) => format!(
                "Some(LongContext {{ above_tokens: {}, input_usd_per_mtok: {}, output_usd_per_mtok: {} }})",
                int_of(l, "above_tokens"),
                float(float_of(l, "input_usd_per_mtok")),
                float(float_of(l, "output_usd_per_mtok"))
            ),
            None => "None".to_owned(),
        };
        writeln!(
            code,
            "        Model {{ name: {name:?}.to_owned(), aliases: vec![{}], provider: {}, encoding: {encoding}, estimate: {estimate}, context_window: {}, max_output_tokens: {}, input_usd_per_mtok: {}, output_usd_per_mtok: {}, long_context: {long_context} }},",
            aliases.join(", "),
            provider(provider_name),
            int_of(e, "context_window"),
            int_of(e, "max_output_tokens"),
            float(float_of(e, "input_usd_per_mtok")),
            float(float_of(e, "output_usd_per_mtok")),
        )
        .unwrap();
    }
    code.push_str("    ],\n}\n");
    code
}

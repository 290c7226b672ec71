//! The documentation pages generated from contracts: every shipped
//! contract's page covers its columns, tiers, codes and versions; the codes
//! listed follow the contract; pages are deterministic and their links land.
#![cfg(not(target_arch = "wasm32"))]

use prompt_preflight::docs::{anchor, reachable_codes, render};
use prompt_preflight::{Code, Contract};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// Every contract under `contracts/*/*.toml`, grouped by id, in path order.
fn shipped() -> BTreeMap<String, Vec<Contract>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts");
    let mut paths = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "toml") {
                paths.push(file);
            }
        }
    }
    paths.sort();
    let mut by_id: BTreeMap<String, Vec<Contract>> = BTreeMap::new();
    for path in paths {
        let source = std::fs::read_to_string(&path).unwrap();
        let contract =
            Contract::parse(&source).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        by_id.entry(contract.id.clone()).or_default().push(contract);
    }
    assert!(!by_id.is_empty(), "no contracts under {}", root.display());
    by_id
}

/// Each shipped contract with its page, rendered with the other versions
/// of its id as history.
fn pages() -> Vec<(Contract, Vec<Contract>, String)> {
    let mut pages = Vec::new();
    for versions in shipped().into_values() {
        for (i, contract) in versions.iter().enumerate() {
            let history: Vec<&Contract> = versions
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, c)| c)
                .collect();
            let page = render(contract, &history);
            pages.push((contract.clone(), versions.clone(), page));
        }
    }
    pages
}

/// The text of the section under `heading` (a `## ` line), up to the next
/// `## ` heading.
fn section<'a>(page: &'a str, heading: &str) -> &'a str {
    let start = page
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("no {heading:?} in the page"));
    let rest = &page[start + 1..];
    let end = rest[heading.len()..]
        .find("\n## ")
        .map_or(rest.len(), |e| e + heading.len() + 1);
    &rest[..end]
}

/// A code's entry in "Errors and warnings": from its anchor to the next.
fn entry(page: &str, code: Code) -> &str {
    let marker = format!("<a id=\"{}\"></a>\n### {}\n", anchor(code), code.as_str());
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no entry for {code}"));
    let rest = &page[start + marker.len()..];
    let end = rest
        .find("<a id=")
        .or_else(|| rest.find("\n## "))
        .unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn every_column_is_in_the_inputs_table_with_its_description_and_example() {
    for (contract, _, page) in pages() {
        let Some(table) = &contract.input.table else {
            continue;
        };
        let inputs = section(&page, "## Inputs");
        for column in &table.columns {
            let row = inputs
                .lines()
                .find(|l| l.starts_with(&format!("| `{}` |", column.name)))
                .unwrap_or_else(|| panic!("{}: no row for {}", contract.version, column.name));
            assert!(row.contains(&column.description), "{row}");
            if let Some(example) = &column.example {
                assert!(row.contains(&format!("`{example}`")), "{row}");
            }
            for alias in &column.aliases {
                assert!(row.contains(&format!("`{alias}`")), "{row}");
            }
            assert!(
                row.contains(if column.required { "| yes |" } else { "| no |" }),
                "{row}"
            );
        }
        // The example table is the columns' examples, as CSV.
        assert!(inputs.contains(&format!("```csv\n{}\n```", table.example_csv())));
    }
}

#[test]
fn every_reachable_code_has_its_anchor_and_catalogue_hint() {
    for (contract, _, page) in pages() {
        let errors = section(&page, "## Errors and warnings");
        let codes = reachable_codes(&contract);
        for &code in &codes {
            let catalogued = code.entry();
            let text = entry(errors, code);
            assert!(text.contains(catalogued.hint), "{code}: {text}");
            assert!(text.contains(catalogued.title), "{code}: {text}");
            if let Some(example) = catalogued.example {
                assert!(text.contains(example), "{code}: {text}");
            }
        }
        // And no entry for a code the contract cannot produce.
        for code in Code::ALL.iter().filter(|c| !codes.contains(c)) {
            assert!(
                !page.contains(&format!("<a id=\"{code}\">")),
                "{} {}: {code} is not reachable",
                contract.id,
                contract.version
            );
        }
        // Every error is in the troubleshooting list, with its fix.
        let troubleshooting = section(&page, "## Troubleshooting");
        for code in codes
            .iter()
            .filter(|c| c.entry().severity == prompt_preflight::Severity::Error)
        {
            assert!(troubleshooting.contains(&format!("(#{code})")), "{code}");
            assert!(troubleshooting.contains(code.entry().hint), "{code}");
        }
    }
}

#[test]
fn every_tier_is_in_the_limits_table() {
    for (contract, _, page) in pages() {
        let tiers = section(&page, "## Limits per tier");
        let (default, _) = contract.tier(None).unwrap();
        for (name, tier) in &contract.tiers {
            let row = tiers
                .lines()
                .find(|l| l.starts_with(&format!("| {name} ")))
                .unwrap_or_else(|| panic!("no row for tier {name}"));
            let limit = prompt_preflight::messages::group_digits(tier.max_input_tokens);
            assert!(row.contains(&format!("| {limit} |")), "{row}");
            assert_eq!(row.contains("(default)"), name == default, "{row}");
        }
    }
}

#[test]
fn the_changelog_lists_every_version_newest_first_with_migration_notes() {
    for (contract, versions, page) in pages() {
        let changelog = section(&page, "## Changelog and migration");
        let mut sorted: Vec<&Contract> = versions.iter().collect();
        sorted.sort_by_key(|c| std::cmp::Reverse(semver::Version::parse(&c.version).unwrap()));
        let mut last = 0;
        for version in sorted {
            let at = changelog
                .find(&format!("\n### {}\n", version.version))
                .unwrap_or_else(|| panic!("{}: no {}", contract.version, version.version));
            assert!(at >= last, "{} is out of order", version.version);
            last = at;
            for change in &version.release.changes {
                assert!(changelog.contains(change.as_str()), "{change}");
            }
            if version.release.breaking {
                let migration = version.release.migration.as_deref().unwrap();
                assert!(changelog.contains(migration), "{}", version.version);
            }
        }
    }
}

#[test]
fn pages_are_deterministic_whatever_the_history_order() {
    for versions in shipped().into_values() {
        let current = &versions[0];
        let mut history: Vec<&Contract> = versions[1..].iter().collect();
        let page = render(current, &history);
        history.reverse();
        assert_eq!(render(current, &history), page);
        // The page's own version in its history, and another id, change nothing.
        let other = Contract::parse(TEXT_ONLY).unwrap();
        history.push(current);
        history.push(&other);
        assert_eq!(render(current, &history), page);
    }
}

#[test]
fn headings_come_in_order_and_links_land_on_anchors() {
    let order = [
        "\n## Inputs\n",
        "\n## Accepted file formats\n",
        "\n### Size limits\n",
        "\n## Limits per tier\n",
        "\n## Output\n",
        "\n## Errors and warnings\n",
        "\n## Troubleshooting\n",
        "\n## Limitations\n",
        "\n## Changelog and migration\n",
    ];
    for (contract, _, page) in pages() {
        assert!(page.starts_with(&format!("# {} {}\n", contract.id, contract.version)));
        let mut last = 0;
        for heading in order {
            let at = page.find(heading).unwrap_or_else(|| panic!("{heading:?}"));
            assert!(at > last, "{heading:?} is out of order");
            last = at;
        }
        let mut anchors = HashSet::new();
        for part in page.split("<a id=\"").skip(1) {
            let id = part.split('"').next().unwrap();
            assert!(anchors.insert(id.to_owned()), "anchor {id} twice");
        }
        for part in page.split("](#").skip(1) {
            let target = part.split(')').next().unwrap();
            assert!(
                anchors.contains(target),
                "link to #{target}, which is not on the page"
            );
        }
    }
}

const TEXT_ONLY: &str = r#"
    id = "summarise"
    version = "1.0.0"
    description = "Summarise a text"
    [model]
    name = "gpt-4o-mini"
    [tiers.free]
    max_input_tokens = 2000
"#;

#[test]
fn a_text_only_contract_has_no_table_codes() {
    let contract = Contract::parse(TEXT_ONLY).unwrap();
    let codes = reachable_codes(&contract);
    for table_code in [
        Code::MissingColumn,
        Code::UnexpectedColumn,
        Code::TypeMismatch,
        Code::InvalidValue,
        Code::MissingValue,
        Code::WrongInputKind,
        Code::QuestionWithoutData,
    ] {
        assert!(!codes.contains(&table_code), "{table_code}");
    }
    // What any contract can meet: size, reading and files of every kind
    // (the readers run before the contract is consulted).
    for always in [
        Code::EmptyInput,
        Code::OverTokenLimit,
        Code::NearTokenLimit,
        Code::ContextWindowExceeded,
        Code::TooLarge,
        Code::UnsupportedFormat,
        Code::RaggedRow,
        Code::PdfNoTextLayer,
        Code::InvalidJson,
    ] {
        assert!(codes.contains(&always), "{always}");
    }
    let page = render(&contract, &[]);
    assert!(!page.contains("### Table\n"));
    assert!(page.contains("This contract declares no table"));
}

/// What the readers report does not depend on the contract: a text-only
/// contract sent a ragged CSV reports `ragged_row`, so its page must have
/// the entry a report links to.
#[cfg(feature = "readers")]
#[test]
fn reader_codes_are_reachable_without_a_table() {
    let contract = Contract::parse(TEXT_ONLY).unwrap();
    let input = prompt_preflight::Input::File {
        name: Some("people.csv"),
        bytes: b"name,email\nAda,ada@example.com,extra\nGrace,grace@example.com\n",
    };
    let report = prompt_preflight::check(&contract, None, &input)
        .unwrap()
        .report;
    assert!(report.has(Code::RaggedRow), "{:?}", report.issues);
    let codes = reachable_codes(&contract);
    for issue in &report.issues {
        assert!(codes.contains(&issue.code), "{}", issue.code);
    }
}

#[test]
fn language_not_supported_only_with_restricted_languages() {
    let any = Contract::parse(TEXT_ONLY).unwrap();
    assert!(!reachable_codes(&any).contains(&Code::LanguageNotSupported));
    assert!(render(&any, &[]).contains("Any language."));

    let restricted = Contract::parse(&TEXT_ONLY.replace(
        "[model]",
        "[input]\n    languages = [\"eng\", \"French\"]\n    [model]",
    ))
    .unwrap();
    assert!(reachable_codes(&restricted).contains(&Code::LanguageNotSupported));
    let page = render(&restricted, &[]);
    assert!(page.contains("<a id=\"language_not_supported\"></a>"));
    assert!(page.contains("Only text in English (`eng`), French (`fra`) is accepted"));
}

#[test]
fn a_table_only_contract_with_rules_and_an_output_schema() {
    let contract = Contract::parse(
        r#"
        id = "orders"
        version = "1.0.0"
        description = "Check orders"
        [model]
        name = "gpt-4o-mini"
        [input]
        text = false
        [input.table]
        extra_columns = "drop"
        [[input.table.columns]]
        name = "sku"
        required = true
        description = "the product code | as printed\non the box"
        example = "AB-12"
        pattern = "[A-Z]{2}-[0-9]+|X"
        max_length = 12
        [[input.table.columns]]
        name = "quantity"
        type = "integer"
        min = 1
        max = 99
        example = "3"
        [tiers.free]
        max_input_tokens = 2000
        [output]
        format = "json"
        schema = { type = "object", properties = { total = { type = "integer" }, note = { type = "string" } } }
        "#,
    )
    .unwrap();
    let codes = reachable_codes(&contract);
    for code in [
        Code::MissingColumn,
        Code::MissingValue,
        Code::TypeMismatch,
        Code::InvalidValue,
        Code::UnexpectedColumn,
        Code::WrongInputKind,
    ] {
        assert!(codes.contains(&code), "{code}");
    }
    assert!(!codes.contains(&Code::QuestionWithoutData));

    let page = render(&contract, &[]);
    let inputs = section(&page, "## Inputs");
    let row = inputs.lines().find(|l| l.starts_with("| `sku` |")).unwrap();
    // The pipe and the line break stay inside the cell: seven cells.
    assert_eq!(row.matches(" | ").count(), 6, "{row}");
    assert!(row.contains("the product code \\| as printed<br>on the box"));
    assert!(row.contains("at most 12 characters"));
    assert!(row.contains("<code>[A-Z]{2}-[0-9]+&#124;X</code>"), "{row}");
    let quantity = inputs
        .lines()
        .find(|l| l.starts_with("| `quantity` |"))
        .unwrap();
    assert!(quantity.contains("whole number") && quantity.contains("from 1 to 99"));
    assert!(inputs.contains("Not accepted: send a table"));

    let output = section(&page, "## Output");
    assert!(output.contains("### Schema"));
    assert!(output.contains("\"total\": 0"), "{output}");
    assert!(output.contains("\"note\": \"string\""), "{output}");
}

#[test]
fn deprecated_versions_show_their_dates_and_their_replacement() {
    let versions = &shipped()["customer-list"];
    let old = versions.iter().find(|c| c.version == "1.0.0").unwrap();
    let history: Vec<&Contract> = versions.iter().filter(|c| c.version != "1.0.0").collect();
    let page = render(old, &history);
    let top = &page[..page.find("\n## ").unwrap()];
    let deprecated = old.release.deprecated.as_deref().unwrap();
    assert!(
        top.contains(&format!("**Deprecated** from {deprecated}")),
        "{top}"
    );
    assert!(top.contains("The newest version is 2.0.0."), "{top}");
}

#[test]
fn customer_list_page_snapshot() {
    let versions = &shipped()["customer-list"];
    let current = versions.iter().find(|c| c.version == "2.0.0").unwrap();
    let history: Vec<&Contract> = versions.iter().filter(|c| c.version != "2.0.0").collect();
    insta::assert_snapshot!("customer_list_2_0_0", render(current, &history));
}

//! The "Inputs" section: free text, the declared table column by column,
//! and the accepted languages.

use super::codes::{extra_columns_words, link};
use super::markdown::{cell, code_cell, fenced, table};
use super::Page;
use crate::contract::{ColumnSpec, ColumnType, ExtraColumns, TableSpec};
use crate::{Code, Contract};

/// The "Inputs" section.
pub(super) fn section(page: &Page<'_>) -> String {
    let input = &page.contract.input;
    let mut out = String::from("## Inputs\n\n### Free text\n\n");
    out.push_str(&match (input.text, input.table.is_some()) {
        (true, true) => format!(
            "Accepted: typed or pasted text, or a text, Markdown or PDF file, as well as a table with the columns below. \
             Typed text that only asks a question, without the data it is about, is refused ({}).\n",
            link(Code::QuestionWithoutData)
        ),
        (true, false) => "Accepted: typed or pasted text, or a text, Markdown or PDF file. \
             This contract declares no table: a table file is sent as its text, and no columns are checked.\n"
            .to_owned(),
        (false, _) => format!(
            "Not accepted: send a table with the columns below ({}).\n",
            link(Code::WrongInputKind)
        ),
    });
    if let Some(spec) = &input.table {
        out.push('\n');
        out.push_str(&table_section(spec));
    }
    out.push_str("\n### Languages\n\n");
    if input.languages.is_empty() {
        out.push_str("Any language.\n");
    } else {
        out.push_str(&format!(
            "Only text in {} is accepted ({}).\n",
            languages(page.contract).join(", "),
            link(Code::LanguageNotSupported)
        ));
    }
    out
}

fn table_section(spec: &TableSpec) -> String {
    let rows: Vec<Vec<String>> = spec
        .columns
        .iter()
        .map(|c| {
            let or_dash = |s: String| if s.is_empty() { "—".to_owned() } else { s };
            vec![
                code_cell(&c.name),
                cell(&type_words(c)),
                if c.required { "yes" } else { "no" }.to_owned(),
                or_dash(cell(&c.description)),
                or_dash(c.example.as_deref().map(code_cell).unwrap_or_default()),
                or_dash(
                    c.aliases
                        .iter()
                        .map(|a| code_cell(a))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                or_dash(cell(&rule_words(c))),
            ]
        })
        .collect();
    let mut out = String::from("### Table\n\n");
    out.push_str(&table(
        &[
            "Column",
            "Type",
            "Required",
            "Description",
            "Example",
            "Also accepted as",
            "Rules",
        ],
        &rows,
    ));
    out.push_str(
        "\nColumn names are matched by name or alias, ignoring case and spaces, in any order. ",
    );
    out.push_str(&crate::words::capitalised(extra_columns_words(spec)));
    if spec.extra_columns == ExtraColumns::Allow {
        out.push_str(".\n");
    } else {
        out.push_str(&format!(" ({}).\n", link(Code::UnexpectedColumn)));
    }
    out.push_str("\n#### Example table\n\n");
    out.push_str(&fenced("csv", &spec.example_csv()));
    out
}

/// A column's type in words, with its allowed values or date formats.
pub(super) fn type_words(c: &ColumnSpec) -> String {
    let values = |v: &[String]| v.iter().map(|s| code_cell(s)).collect::<Vec<_>>();
    match c.kind {
        ColumnType::String => "text".into(),
        ColumnType::Integer => "whole number".into(),
        ColumnType::Number => "number".into(),
        ColumnType::Boolean => "yes/no".into(),
        ColumnType::Date if c.formats.is_empty() => format!("date, as {}", code_cell("YYYY-MM-DD")),
        ColumnType::Date => format!("date, as {}", values(&c.formats).join(" or ")),
        ColumnType::Enum => format!("one of {}", values(&c.values).join(", ")),
    }
}

/// A column's rules besides its type, in words ("" when it has none).
pub(super) fn rule_words(c: &ColumnSpec) -> String {
    let mut rules = Vec::new();
    if let Some(max) = c.max_length {
        rules.push(format!(
            "at most {} characters",
            crate::messages::group_digits(max as u64)
        ));
    }
    if let Some(pattern) = &c.pattern {
        rules.push(format!("the whole value matches {}", code_cell(pattern)));
    }
    match (c.min, c.max) {
        (Some(min), Some(max)) => rules.push(format!("from {min} to {max}")),
        (Some(min), None) => rules.push(format!("at least {min}")),
        (None, Some(max)) => rules.push(format!("at most {max}")),
        (None, None) => {}
    }
    rules.join("; ")
}

/// The accepted languages: "English (`eng`)", in the contract's order.
pub(super) fn languages(contract: &Contract) -> Vec<String> {
    contract
        .input
        .languages
        .iter()
        .map(|l| match crate::language::code(l) {
            Some(iso) => format!("{} ({})", crate::language::name(iso), code_cell(iso)),
            None => code_cell(l),
        })
        .collect()
}

//! The "Limitations" section: what the prompt cannot do, from its contract.

use super::codes::link;
use super::markdown::item;
use super::Page;
use crate::contract::{ExtraColumns, LongInput};
use crate::messages::group_digits;
use crate::{Code, MAX_PARTS};

/// The "Limitations" section.
pub(super) fn section(page: &Page<'_>) -> String {
    let contract = page.contract;
    let input = &contract.input;
    let per_tier = |value: &dyn Fn(&crate::Tier) -> u64, unit: &str| -> String {
        page.tiers
            .iter()
            .map(|&(name, tier)| format!("{} {unit} on the {name} plan", group_digits(value(tier))))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = String::from("<a id=\"limitations\"></a>\n## Limitations\n\n");
    out.push_str(&item(&format!(
        "One request takes at most {}.",
        per_tier(&|t| t.max_input_tokens, "input tokens")
    )));
    out.push_str(&item(&match contract.prepare.long_input {
        LongInput::Refuse => format!(
            "A longer input does not run in parts: this prompt needs the whole input in one request ({}).",
            link(Code::OverTokenLimit)
        ),
        LongInput::MapReduce => format!(
            "A longer input can run in parts, at most {MAX_PARTS}: each part is answered on its own, \
             then the answers are combined in one more request. A part sees only its own share of the input."
        ),
    }));
    out.push_str(&item(&format!(
        "An answer has at most {}{}.",
        per_tier(&|t| page.output_tokens(t), "tokens"),
        contract
            .output
            .as_ref()
            .and_then(|o| o.max_chars)
            .map(|c| format!(", and at most {} characters", group_digits(c as u64)))
            .unwrap_or_default()
    )));
    if let Some(model) = page.model {
        out.push_str(&item(&format!(
            "{} reads at most {} tokens in one request, the instructions and the answer included ({}).",
            model.name,
            group_digits(model.context_window),
            link(Code::ContextWindowExceeded)
        )));
        if model.estimate.is_some() {
            out.push_str(&item(&format!(
                "Token counts are estimates: {} has no public tokenizer ({}).",
                model.name,
                link(Code::TokenCountEstimated)
            )));
        }
    }
    if !input.languages.is_empty() {
        out.push_str(&item(&format!(
            "Only text in {} is accepted; the language is detected from the text ({}).",
            super::inputs::languages(contract).join(", "),
            link(Code::LanguageNotSupported)
        )));
    }
    if input.text {
        out.push_str(&item(&format!(
            "Text is read from a PDF's text layer: scanned pages, which are pictures, are not read ({}).",
            link(Code::PdfNoTextLayer)
        )));
    } else {
        out.push_str(&item(&format!(
            "Free text is not accepted, only a table ({}).",
            link(Code::WrongInputKind)
        )));
    }
    match &input.table {
        None => out.push_str(&item(
            "No table is declared: a table file is sent as its text, and its columns are not checked.",
        )),
        Some(table) => {
            out.push_str(&item(match table.extra_columns {
                ExtraColumns::Drop => {
                    "Only the declared columns are checked; other columns are removed before the data is sent."
                }
                ExtraColumns::Warn => {
                    "Only the declared columns are checked; other columns are sent as they are, \
                     unless the input is prepared for the model, which removes them."
                }
                ExtraColumns::Allow => {
                    "Only the declared columns are checked; other columns are sent as they are."
                }
            }));
            out.push_str(&item(&format!(
                "When the input is prepared for the model, cells longer than {} characters are cut, with a visible marker.",
                group_digits(u64::from(contract.prepare.max_cell_chars))
            )));
        }
    }
    if contract.prepare.strip_markup {
        out.push_str(&item(
            "When the input is prepared for the model, HTML and XML tags and comments are removed from text.",
        ));
    }
    if contract.output.is_none() {
        out.push_str(&item("The answer is not checked against a format."));
    }
    out
}

//! Which codes a contract can produce, and the two sections about them:
//! "Errors and warnings" (one anchored entry per code) and
//! "Troubleshooting" (the errors, as questions with their fixes).

use super::markdown::{code, fenced, item};
use super::Page;
use crate::contract::{ColumnSpec, ColumnType, ExtraColumns, LongInput, TableSpec};
use crate::messages::{group_digits, human_size};
use crate::{Code, Contract, Severity};

/// Every code a check of an input against `contract` can report, in
/// catalogue order ([`Code::ALL`]).
///
/// The file readers do not know the contract: any contract can be sent
/// any file, so the codes of reading (CSV, workbooks, JSON, PDF, encodings)
/// and of size are always included. The codes of the declared table
/// depend on it: `missing_column` and `missing_value` need a required
/// column, `type_mismatch` a column of a type other than text,
/// `invalid_value` a column with a rule (`max_length`, `pattern`, `min`,
/// `max`), `unexpected_column` an `extra_columns` policy other than
/// `allow`; `wrong_input_kind` needs a table and no free text,
/// `question_without_data` a table and free text. `language_not_supported`
/// needs a list of accepted languages.
///
/// ```
/// use prompt_preflight::{docs::reachable_codes, Code, Contract};
///
/// let text_only = Contract::parse(r#"
///     id = "summarise"
///     version = "1.0.0"
///     [model]
///     name = "gpt-4o-mini"
///     [tiers.free]
///     max_input_tokens = 2000
/// "#).unwrap();
/// let codes = reachable_codes(&text_only);
/// assert!(codes.contains(&Code::OverTokenLimit));
/// assert!(!codes.contains(&Code::MissingColumn));
/// assert!(!codes.contains(&Code::LanguageNotSupported));
///
/// let table = Contract::parse(include_str!("../../contracts/customer-list/2.0.0.toml")).unwrap();
/// assert!(reachable_codes(&table).contains(&Code::MissingColumn));
/// ```
pub fn reachable_codes(contract: &Contract) -> Vec<Code> {
    Code::ALL
        .iter()
        .copied()
        .filter(|&c| reachable(c, contract))
        .collect()
}

/// Whether `contract` can produce `code`. An exhaustive match: a new code
/// does not compile until someone decides when it is reachable.
fn reachable(code: Code, contract: &Contract) -> bool {
    let input = &contract.input;
    let table = input.table.as_ref();
    let any_column =
        |test: fn(&ColumnSpec) -> bool| table.is_some_and(|t| t.columns.iter().any(test));
    match code {
        // Size: every request is measured (an estimate while a browser
        // loads its tokenizer, or for models without a public one).
        Code::OverTokenLimit
        | Code::NearTokenLimit
        | Code::TokenCountEstimated
        | Code::ContextWindowExceeded => true,
        // Any input, any file.
        Code::EmptyInput
        | Code::TooLarge
        | Code::UnsupportedFormat
        | Code::EncodingGuessed
        | Code::ExtensionMismatch
        | Code::BinaryContent
        | Code::CorruptFile => true,
        // The readers of delimited text, workbooks, JSON and PDF run before
        // the contract is consulted, whatever the contract takes.
        Code::DuplicateHeader
        | Code::BlankHeader
        | Code::RaggedRow
        | Code::PaddedHeader
        | Code::TooManyRows
        | Code::NoHeader
        | Code::HeaderNotFirstRow
        | Code::BlankRows
        | Code::UnescapedQuote => true,
        Code::EncryptedFile
        | Code::MergedCells
        | Code::FormulaError
        | Code::EmptySheet
        | Code::MultipleSheets
        | Code::MacrosPresent
        | Code::DateOutOfRange => true,
        Code::TooDeep | Code::InvalidJson | Code::InvalidJsonlLine | Code::InconsistentKeys => true,
        Code::PdfNoTextLayer | Code::PdfGarbledText | Code::PasswordRequired => true,
        // Splitting into parts: any table or JSON list can be split.
        Code::RowTooLarge | Code::ItemTooLarge => true,
        // The declared table.
        Code::MissingColumn | Code::MissingValue => any_column(|c| c.required),
        Code::TypeMismatch => any_column(|c| c.kind != ColumnType::String),
        Code::InvalidValue => any_column(has_rule),
        Code::UnexpectedColumn => table.is_some_and(|t| t.extra_columns != ExtraColumns::Allow),
        Code::WrongInputKind => table.is_some() && !input.text,
        Code::QuestionWithoutData => table.is_some() && input.text,
        Code::LanguageNotSupported => !input.languages.is_empty(),
    }
}

/// The anchor of a code's entry on a contract's page: the code's stable
/// snake_case name, so `/docs/{id}/{version}#{code}` reaches it.
///
/// ```
/// use prompt_preflight::{docs::anchor, Code};
/// assert_eq!(anchor(Code::MissingColumn), "missing_column");
/// ```
pub fn anchor(code: Code) -> &'static str {
    code.as_str()
}

/// A link to a code's entry on the same page.
pub(super) fn link(c: Code) -> String {
    format!("[{}](#{})", code(c.as_str()), anchor(c))
}

/// Whether a column has a rule besides its type.
fn has_rule(c: &ColumnSpec) -> bool {
    c.max_length.is_some() || c.pattern.is_some() || c.min.is_some() || c.max.is_some()
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "Error",
        Severity::Warning => "Warning",
        Severity::Info => "Info",
    }
}

/// The "Errors and warnings" section.
pub(super) fn errors(page: &Page<'_>) -> String {
    let mut out = String::from("## Errors and warnings\n\n");
    out.push_str(
        "Every problem a check against this contract can report. \
         **Error**: the input cannot be used as it is, and the request is refused. \
         **Warning**: it can be used, but the result may suffer. \
         **Info**: worth knowing; nothing to fix. \
         The severity shown is the usual one; the report of a check gives the exact one.\n",
    );
    for &c in &page.codes {
        let entry = c.entry();
        out.push_str(&format!(
            "\n<a id=\"{}\"></a>\n### {}\n\n",
            anchor(c),
            c.as_str()
        ));
        out.push_str(&format!(
            "**Severity:** {}  \n**Message:** {}  \n**How to fix:** {}\n",
            severity(entry.severity),
            entry.title,
            entry.hint
        ));
        if let Some(note) = in_this_contract(c, page) {
            out.push_str(&format!("\n**In this contract:** {note}\n"));
        }
        if let Some(example) = entry.example {
            out.push_str(&format!("\nExample:\n\n{}", fenced("text", example)));
        }
    }
    out
}

/// The "Troubleshooting" section: each reachable error, its message and
/// its fix.
pub(super) fn troubleshooting(page: &Page<'_>) -> String {
    let mut out = String::from("## Troubleshooting\n\n");
    out.push_str("Why was my input refused? The problems that stop a request, and what to do:\n\n");
    for &c in &page.codes {
        let entry = c.entry();
        if entry.severity != Severity::Error {
            continue;
        }
        out.push_str(&item(&format!(
            "**“{}”** {} See {}.",
            entry.title,
            entry.hint,
            link(c)
        )));
    }
    out
}

/// What the contract adds to a code's generic entry: its columns, its
/// limits, its languages.
fn in_this_contract(c: Code, page: &Page<'_>) -> Option<String> {
    let contract = page.contract;
    let table = contract.input.table.as_ref();
    let limits = &contract.limits;
    let names = |columns: Vec<&ColumnSpec>| -> Option<String> {
        (!columns.is_empty()).then(|| {
            columns
                .iter()
                .map(|c| code(&c.name))
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    let columns = |test: fn(&ColumnSpec) -> bool| -> Vec<&ColumnSpec> {
        table
            .map(|t| t.columns.iter().filter(|c| test(c)).collect())
            .unwrap_or_default()
    };
    match c {
        Code::MissingColumn => names(columns(|c| c.required))
            .map(|n| format!("the required columns are {n}; their aliases count too.")),
        Code::MissingValue => {
            names(columns(|c| c.required)).map(|n| format!("every row needs a value in {n}."))
        }
        Code::TypeMismatch => described(columns(|c| c.kind != ColumnType::String), |c| {
            super::inputs::type_words(c)
        })
        .map(|d| format!("the typed columns are {d}.")),
        Code::InvalidValue => described(columns(has_rule), super::inputs::rule_words)
            .map(|d| format!("the columns with rules are {d}.")),
        Code::UnexpectedColumn => table.map(|t| format!("{}.", extra_columns_words(t))),
        Code::WrongInputKind => Some("this task takes a table, not free text.".into()),
        Code::QuestionWithoutData => {
            Some("typed text that only asks a question, with none of the table, is refused.".into())
        }
        Code::LanguageNotSupported => Some(format!(
            "the accepted languages are {}.",
            super::inputs::languages(contract).join(", ")
        )),
        Code::OverTokenLimit => {
            let limits: Vec<String> = page
                .tiers
                .iter()
                .map(|(name, tier)| {
                    format!(
                        "{} tokens on the {name} plan",
                        group_digits(tier.max_input_tokens)
                    )
                })
                .collect();
            let parts = match contract.prepare.long_input {
                LongInput::MapReduce => {
                    " A longer input can run in parts (see [Limitations](#limitations))."
                }
                LongInput::Refuse => "",
            };
            Some(format!(
                "one request takes at most {}.{parts}",
                limits.join(", ")
            ))
        }
        Code::NearTokenLimit => {
            let from: Vec<String> = page
                .tiers
                .iter()
                .map(|(name, tier)| {
                    format!(
                        "{} tokens on the {name} plan",
                        group_digits(tier.warn_tokens())
                    )
                })
                .collect();
            Some(format!("the warning starts at {}.", from.join(", ")))
        }
        Code::ContextWindowExceeded => page.model.map(|m| {
            format!(
                "{} reads at most {} tokens in one request: the input, the instructions and the tokens reserved for the answer.",
                m.name,
                group_digits(m.context_window)
            )
        }),
        Code::TokenCountEstimated => page.model.and_then(|m| m.estimate).map(|e| {
            format!(
                "{} has no public tokenizer: its tokens are estimated from {} (within ±{}%).",
                contract.model.name,
                e.basis,
                (e.error_bound * 100.0).round()
            )
        }),
        Code::TooLarge => Some(format!(
            "the largest input is {}; a workbook may unpack to at most {}.",
            human_size(limits.max_bytes),
            human_size(limits.max_decompressed_bytes)
        )),
        Code::TooManyRows => Some(format!(
            "a table may have at most {} rows and {} cells.",
            group_digits(limits.max_rows),
            group_digits(limits.max_cells)
        )),
        Code::TooDeep => Some(format!(
            "data may be nested at most {} levels deep.",
            group_digits(limits.max_depth)
        )),
        Code::FormulaError | Code::DateOutOfRange => table.map(|_| {
            "when such a cell is in a declared column whose type it breaks, this is an error.".into()
        }),
        _ => None,
    }
}

/// "`a` (what), `b` (what)" for the columns, or `None` for none.
fn described(columns: Vec<&ColumnSpec>, what: impl Fn(&ColumnSpec) -> String) -> Option<String> {
    (!columns.is_empty()).then(|| {
        columns
            .iter()
            .map(|c| format!("{} ({})", code(&c.name), what(c)))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// What happens to columns the contract does not declare, as a clause.
pub(super) fn extra_columns_words(table: &TableSpec) -> &'static str {
    match table.extra_columns {
        ExtraColumns::Allow => "columns not listed here are accepted and sent as they are",
        ExtraColumns::Warn => {
            "columns not listed here are accepted and sent as they are, with a warning"
        }
        ExtraColumns::Drop => {
            "columns not listed here are removed before the data is sent, and the report notes them"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract(input: &str) -> Contract {
        Contract::parse(&format!(
            "id = \"t\"\nversion = \"1.0.0\"\n[model]\nname = \"gpt-4o-mini\"\n[tiers.free]\nmax_input_tokens = 2000\n{input}"
        ))
        .unwrap()
    }

    #[test]
    fn column_codes_follow_the_columns() {
        let loose = contract("[input]\ntext = false\n[input.table]\nextra_columns = \"allow\"\n[[input.table.columns]]\nname = \"a\"\n");
        let codes = reachable_codes(&loose);
        for absent in [
            Code::MissingColumn,
            Code::MissingValue,
            Code::TypeMismatch,
            Code::InvalidValue,
            Code::UnexpectedColumn,
            Code::QuestionWithoutData,
        ] {
            assert!(!codes.contains(&absent), "{absent}");
        }
        assert!(codes.contains(&Code::WrongInputKind));

        let strict = contract(
            "[[input.table.columns]]\nname = \"n\"\ntype = \"integer\"\nrequired = true\nmin = 0\n",
        );
        let codes = reachable_codes(&strict);
        for present in [
            Code::MissingColumn,
            Code::MissingValue,
            Code::TypeMismatch,
            Code::InvalidValue,
            Code::UnexpectedColumn,
            Code::QuestionWithoutData,
        ] {
            assert!(codes.contains(&present), "{present}");
        }
        assert!(!codes.contains(&Code::WrongInputKind));
    }

    #[test]
    fn codes_keep_catalogue_order() {
        let codes = reachable_codes(&contract(""));
        let mut sorted = codes.clone();
        sorted.sort_by_key(|c| Code::ALL.iter().position(|a| a == c));
        assert_eq!(codes, sorted);
    }
}

//! The words of preparing: each step of the manifest, the manifest's
//! summary, the plan, and why a plan cannot run. `prepare` decides; these
//! functions only word what it decided.

use crate::contract::TableFormat;
use crate::types::StepKind;
use crate::words::{and_list, capitalised, group_digits, or_list, plural, usd};

/// What a split cuts between, for its step's sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pieces {
    /// Rows of a table, the header in every part.
    Rows,
    /// Elements of a JSON array.
    Elements,
    /// Sections, paragraphs and sentences of a text.
    Text,
}

/// A way on for an input that is still over the limit after preparing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Way {
    /// Keep only the parts relevant to a question.
    KeepRelevant,
    /// Ask a narrower question.
    Narrower,
    /// Split into parts.
    Split,
    /// A plan with a higher limit.
    Upgrade,
}

impl Way {
    fn words(self) -> &'static str {
        match self {
            Way::KeepRelevant => "keep only the parts most relevant to your question",
            Way::Narrower => "ask about something narrower",
            Way::Split => "split it into parts",
            Way::Upgrade => "use a plan with a higher limit",
        }
    }
}

/// " Keep only …, or use a plan with a higher limit." (empty for none).
fn ways_on(ways: &[Way]) -> String {
    if ways.is_empty() {
        return String::new();
    }
    let words: Vec<&str> = ways.iter().map(|w| w.words()).collect();
    format!(" {}.", capitalised(&or_list(&words)))
}

// --- Steps ------------------------------------------------------------------

/// The step of removing the columns the contract does not use.
pub(crate) fn columns_removed(removed: &[String]) -> String {
    let quoted: Vec<String> = removed.iter().map(|r| format!("“{r}”")).collect();
    format!(
        "Removed {} this prompt does not use: {}.",
        plural(removed.len() as u64, "column", "columns"),
        and_list(&quoted)
    )
}

/// The step of tidying white space inside cells.
pub(crate) fn cell_whitespace_removed(chars: u64) -> String {
    format!(
        "Removed {} of extra white space inside cells.",
        plural(chars, "character", "characters")
    )
}

/// The step of removing blank rows.
pub(crate) fn blank_rows_removed(n: u64) -> String {
    format!("Removed {}.", plural(n, "blank row", "blank rows"))
}

/// The step of removing duplicate rows.
pub(crate) fn duplicate_rows_removed(n: u64) -> String {
    format!(
        "Removed {} (each the same as an earlier row in the columns kept).",
        plural(n, "duplicate row", "duplicate rows")
    )
}

/// The step of shortening long cells.
pub(crate) fn cells_shortened(n: u64, max_chars: u64, removed_chars: u64) -> String {
    format!(
        "Shortened {} to at most {} characters, marked “[cut …]”, removing {} characters.",
        plural(n, "long cell", "long cells"),
        group_digits(max_chars),
        group_digits(removed_chars)
    )
}

/// The step of writing a table in another format, and its short name for
/// the summary ("the table as a Markdown table").
pub(crate) fn reformatted(format: TableFormat) -> (String, String) {
    let name = match format {
        TableFormat::Markdown => "a Markdown table",
        TableFormat::Json => "JSON records",
        TableFormat::Csv => "CSV",
    };
    (
        format!("Wrote the table for the model as {name}."),
        format!("the table as {name}"),
    )
}

/// The step of removing markup.
pub(crate) fn markup_removed(tags: u64) -> String {
    format!(
        "Removed {} of markup (HTML or XML tags and comments).",
        plural(tags, "tag", "tags")
    )
}

/// The step of collapsing white space in a text.
pub(crate) fn text_whitespace_removed(chars: u64) -> String {
    format!(
        "Removed {} of extra white space (runs of spaces, trailing spaces, extra blank lines).",
        plural(chars, "character", "characters")
    )
}

/// The step of removing repeated headers and footers.
pub(crate) fn boilerplate_removed(lines: u64, chars: u64) -> String {
    format!(
        "Removed {} repeated at the top or bottom of pages or sections (headers and footers), {} characters in all.",
        plural(lines, "line", "lines"),
        group_digits(chars)
    )
}

/// The step of keeping the sections that match the question. `one` and
/// `many` name a section ("row", "rows"); `how` says how they were
/// matched.
pub(crate) fn sections_omitted(omitted: u64, all: u64, one: &str, many: &str, how: &str) -> String {
    format!(
        "Kept the {} of {} {many} that best match your question{how}; left out {}.",
        group_digits(all - omitted),
        group_digits(all),
        plural(omitted, one, many)
    )
}

/// The step of splitting into parts.
pub(crate) fn split_into(
    parts: u64,
    max_tokens: u64,
    pieces: Pieces,
    overlap: u64,
    asked_overlap: u64,
) -> String {
    let between = match pieces {
        Pieces::Rows => "between rows, with the header row in every part",
        Pieces::Elements => "between the array's elements",
        Pieces::Text => "sections, paragraphs, sentences",
    };
    let overlap = match (overlap, asked_overlap) {
        (0, 0) => String::new(),
        (0, _) => " Rows and elements are never repeated, so there is no overlap.".to_owned(),
        (n, _) => format!(
            " Each part starts with up to {} tokens from the end of the one before.",
            group_digits(n)
        ),
    };
    format!(
        "Split into {} of at most {} tokens each, at the strongest boundaries that fit ({between}).{overlap}",
        plural(parts, "part", "parts"),
        group_digits(max_tokens),
    )
}

// --- The manifest's summary -------------------------------------------------

/// A step as the summary lists it: its verb and its object ("removed",
/// "3 columns you don't need"). `first_item` is the step's first item.
pub(crate) fn step_phrase(
    kind: StepKind,
    n: u64,
    first_item: Option<&str>,
) -> (&'static str, String) {
    match kind {
        StepKind::ColumnsRemoved => (
            "removed",
            plural(n, "column you don't need", "columns you don't need"),
        ),
        StepKind::BlankRowsRemoved => ("removed", plural(n, "blank row", "blank rows")),
        StepKind::DuplicateRowsRemoved => ("removed", plural(n, "duplicate row", "duplicate rows")),
        StepKind::BoilerplateRemoved => (
            "removed",
            plural(
                n,
                "repeated header or footer line",
                "repeated header or footer lines",
            ),
        ),
        StepKind::MarkupRemoved => ("removed", "markup".to_owned()),
        StepKind::CellsShortened => ("shortened", plural(n, "long cell", "long cells")),
        StepKind::WhitespaceCollapsed => ("tidied", "extra white space".to_owned()),
        StepKind::SectionsOmitted => (
            "left out",
            format!(
                "{} least related to your question",
                plural(n, "section", "sections")
            ),
        ),
        StepKind::Reformatted => ("wrote", first_item.unwrap_or_default().to_owned()),
        StepKind::Split => ("split", format!("it into {n} parts")),
    }
}

/// "We removed A, B and C, and shortened D: 9,800 → 1,900 tokens.", from
/// the steps' phrases in order.
pub(crate) fn summary(before: u64, after: u64, phrases: &[(&str, String)]) -> String {
    let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
    for (verb, object) in phrases {
        match groups.last_mut() {
            Some((v, objects)) if v == verb => objects.push(object.clone()),
            _ => groups.push((verb, vec![object.clone()])),
        }
    }
    let unit = if after == 1 { "token" } else { "tokens" };
    let tokens = if before == after {
        format!("{} {unit}", group_digits(after))
    } else {
        format!("{} → {} {unit}", group_digits(before), group_digits(after))
    };
    if groups.is_empty() {
        // Without a step, only the white space around the input can differ.
        return if before == after {
            format!("Nothing needed changing: {tokens}.")
        } else {
            format!("Only white space at its start or end changed: {tokens}.")
        };
    }
    let clauses: Vec<String> = groups
        .into_iter()
        .map(|(verb, objects)| format!("{verb} {}", and_list(&objects)))
        .collect();
    let sentence = match clauses.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{}, and {last}", rest.join(", ")),
        _ => clauses.concat(),
    };
    format!("We {sentence}: {tokens}.")
}

// --- The plan ----------------------------------------------------------------

/// The plan of one request.
pub(crate) fn single_request(total: u64, output_reserved: u64, cost_usd: f64) -> String {
    format!(
        "This runs as one request of {} tokens (with up to {} for the answer), costing at most {}.",
        group_digits(total),
        group_digits(output_reserved),
        usd(cost_usd)
    )
}

/// The plan of one request per part and one that combines their answers.
pub(crate) fn map_reduce(parts: u64, part_limit: u64, tokens: u64, cost_usd: f64) -> String {
    format!(
        "This runs as {} requests, one per part of at most {} tokens, then one more that combines their answers: {} tokens in all, costing at most {}.",
        parts,
        group_digits(part_limit),
        group_digits(tokens),
        usd(cost_usd)
    )
}

/// The plan that cannot run, with its reason.
pub(crate) fn refused(reason: &str) -> String {
    format!("This cannot run as it is: {reason}")
}

// --- Why a plan cannot run ---------------------------------------------------

/// The input has errors the check found.
pub(crate) fn input_has_errors() -> String {
    "the input has problems to fix first; see the issues.".into()
}

/// Trimming left nothing.
pub(crate) fn nothing_left() -> String {
    "nothing is left once the markup, repeated lines and extra white space are removed; check that this is the file you meant."
        .into()
}

/// Keeping what is relevant needs a question.
pub(crate) fn question_needed() -> String {
    "to keep the most relevant parts we need your question; say what you are looking for.".into()
}

/// The limit cannot hold the smallest part.
pub(crate) fn limit_too_small(limit: u64) -> String {
    format!(
        "the plan's limit ({} tokens) is too small to hold any part of the input.",
        group_digits(limit)
    )
}

/// The overlap asked for leaves no room in a part.
pub(crate) fn overlap_too_large(overlap: u64, limit: u64) -> String {
    format!(
        "an overlap of {} tokens leaves no room: it must be under half a part ({} tokens).",
        group_digits(overlap),
        group_digits(limit)
    )
}

/// Still over the limit after preparing, with only the ways on that can
/// work.
pub(crate) fn still_over(input: u64, limit: u64, tier: &str, ways: &[Way]) -> String {
    format!(
        "it is still {} tokens, over the {} allowed per request on the {tier} plan.{}",
        group_digits(input),
        group_digits(limit),
        ways_on(ways)
    )
}

/// The contract needs the whole input in one request.
pub(crate) fn needs_whole_input(parts: u64, ways: &[Way]) -> String {
    format!(
        "this prompt needs the whole input in one request, so it cannot run on {parts} parts.{}",
        ways_on(ways)
    )
}

/// More parts than are run.
pub(crate) fn too_many_parts(parts: u64, max: u64) -> String {
    format!(
        "it would take {} parts, and we run at most {}. Send a shorter input.",
        group_digits(parts),
        group_digits(max)
    )
}

/// The parts' answers are too long to combine.
pub(crate) fn answers_too_long(parts: u64, answer_tokens: u64, upgrade: bool) -> String {
    format!(
        "the answers of its {parts} parts (up to {} tokens) would be too long to combine in one request. Send a shorter input{}.",
        group_digits(answer_tokens),
        if upgrade {
            ", or use a plan with a higher limit"
        } else {
            ""
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ways_that_can_work_are_offered() {
        assert_eq!(
            still_over(5_000, 2_000, "free", &[]),
            "it is still 5,000 tokens, over the 2,000 allowed per request on the free plan."
        );
        assert!(
            still_over(5_000, 2_000, "free", &[Way::Split, Way::Upgrade])
                .ends_with(" Split it into parts, or use a plan with a higher limit.")
        );
        assert!(!needs_whole_input(3, &[Way::KeepRelevant]).contains("higher limit"));
        assert!(!answers_too_long(3, 9_000, false).contains("higher limit"));
    }
}

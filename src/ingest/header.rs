//! The checks on a table's column names that every format shares: blank
//! names and names repeated (compared as the schema matches them), and
//! whether a row reads like column names at all.

use crate::messages::issue;
use crate::words::normalize_header;
use crate::Issue;

/// The issues about blank and repeated names in `names`, the header on
/// line (or row) `line`, each with the index of the name it is about.
pub(super) fn header_issues(names: &[String], line: u64) -> Vec<(usize, Issue)> {
    let mut found = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if name.trim().is_empty() {
            found.push((i, issue::blank_header(i + 1, line)));
            continue;
        }
        let key = normalize_header(name);
        if let Some(first) = names[..i].iter().position(|h| normalize_header(h) == key) {
            found.push((
                i,
                issue::duplicate_header(name.trim(), first + 1, i + 1, line),
            ));
        }
    }
    found
}

/// Longest cell, in characters, that still reads like a column name.
const MAX_NAME_CHARS: usize = 64;
/// Most words in a cell that still reads like a column name.
const MAX_NAME_WORDS: usize = 8;

/// Whether a value is a number or a date written with digits (`12.5`,
/// `2024-03-15`, `1,200`).
pub(super) fn is_numeric(cell: &str) -> bool {
    cell.bytes()
        .all(|b| b.is_ascii_digit() || b".,-+/:".contains(&b))
        && cell.bytes().any(|b| b.is_ascii_digit())
}

/// A four-digit year such as `2024`, which column names can be.
pub(super) fn is_year(cell: &str) -> bool {
    cell.len() == 4 && cell.bytes().all(|b| b.is_ascii_digit()) && ("1900".."2100").contains(&cell)
}

/// Whether one cell reads like a column name: short text, not a number
/// (a year may be), an email address or the end of a sentence.
fn is_name(cell: &str) -> bool {
    let sentence_end = cell.ends_with(['.', '!', '?']) && cell.chars().count() > 4;
    cell.chars().count() <= MAX_NAME_CHARS
        && cell.split_whitespace().count() <= MAX_NAME_WORDS
        && (is_year(cell) || !is_numeric(cell))
        && !cell.contains('@')
        && !sentence_end
}

/// Whether the filled cells of a row read like column names: at least two,
/// each short text that is not a number or a sentence, and mostly distinct.
/// A title, a note or a sentence spread over the cells is not.
pub(super) fn reads_like_names<'a>(cells: impl IntoIterator<Item = &'a str>) -> bool {
    let filled: Vec<&str> = cells
        .into_iter()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    let mut keys: Vec<String> = filled.iter().map(|c| normalize_header(c)).collect();
    keys.sort_unstable();
    keys.dedup();
    filled.len() >= 2 && filled.iter().all(|c| is_name(c)) && keys.len() * 2 > filled.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Code;

    #[test]
    fn blank_and_repeated_names() {
        let names: Vec<String> = ["name", " ", "Email", "email"].map(String::from).to_vec();
        let found = header_issues(&names, 3);
        let codes: Vec<(usize, Code)> = found.iter().map(|(i, issue)| (*i, issue.code)).collect();
        assert_eq!(codes, [(1, Code::BlankHeader), (3, Code::DuplicateHeader)]);
    }

    #[test]
    fn names_titles_and_sentences() {
        assert!(reads_like_names(["id", "name", "amount"]));
        assert!(reads_like_names(["region", "2023", "2024", "No."]));
        assert!(
            !reads_like_names(["Customer export"]),
            "one cell is a title"
        );
        assert!(!reads_like_names(["1", "Ada Lovelace", "120.50"]));
        assert!(!reads_like_names(["Ada", "ada@example.com"]));
        assert!(!reads_like_names([
            "Figures are in thousands",
            "of euros and",
            "do not include VAT."
        ]));
        assert!(!reads_like_names(["x", "x", "x"]), "repeated, not names");
    }
}

//! The checks on a table's column names that every format shares: blank
//! names and names repeated (compared as the schema matches them).

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
}

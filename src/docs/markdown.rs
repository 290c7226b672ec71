//! Writing Markdown safely: table cells, code spans and blocks, list items.
//!
//! Contract prose (descriptions, changelog entries, migration notes) is
//! Markdown written by the contract's author and is kept as written, except
//! where it would break the structure around it: a pipe or a line break in
//! a table cell, a line break in a list item. Literal values (examples,
//! aliases, enum values, patterns) are shown as code.

/// Prose in a table cell: pipes escaped, line breaks as `<br>`.
///
/// GFM lets `\|` stand for a pipe in a cell, inside code spans too.
pub(super) fn cell(text: &str) -> String {
    one_line(text, "<br>").replace('|', "\\|")
}

/// A literal value as code that survives any backticks in it, on one line
/// (code spans turn line breaks into spaces anyway).
pub(super) fn code(text: &str) -> String {
    let text = one_line(text, " ");
    let fence = "`".repeat(longest_run(&text, '`') + 1);
    // A span that starts or ends with a backtick needs a space to tell
    // the content from the fence.
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// A literal value as code in a table cell. A value with a pipe is written
/// as HTML (`<code>` with entities), because a backslash in the value
/// next to an escaped pipe would otherwise end the cell.
pub(super) fn code_cell(text: &str) -> String {
    if !text.contains('|') {
        return code(text);
    }
    let escaped: String = one_line(text, " ")
        .chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '|' => "&#124;".to_owned(),
            c => c.to_string(),
        })
        .collect();
    format!("<code>{escaped}</code>")
}

/// A fenced code block whose fence is longer than any run of backticks in
/// `text`.
pub(super) fn fenced(language: &str, text: &str) -> String {
    let fence = "`".repeat((longest_run(text, '`') + 1).max(3));
    format!(
        "{fence}{language}\n{}\n{fence}\n",
        text.trim_end_matches('\n')
    )
}

/// A Markdown table: the header row, the separator, then each row (cells
/// already escaped).
pub(super) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let line = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    let mut out = line(&header);
    out.push_str(&line(&vec!["---".to_owned(); header.len()]));
    for row in rows {
        out.push_str(&line(row));
    }
    out
}

/// One item of a bulleted list: later lines indented so they stay in the
/// item, blank lines dropped so they do not end the list.
pub(super) fn item(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    format!("- {}\n", lines.join("\n  "))
}

/// A paragraph of prose with its blank lines kept inside: the text as
/// written, ending with one line break.
pub(super) fn paragraph(text: &str) -> String {
    format!("{}\n", text.trim())
}

/// The text with every line break (`\r\n`, `\n`, `\r`) replaced.
fn one_line(text: &str, with: &str) -> String {
    text.trim()
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', with)
}

/// The longest run of `c` in `text`.
fn longest_run(text: &str, c: char) -> usize {
    let (mut longest, mut run) = (0, 0);
    for ch in text.chars() {
        run = if ch == c { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_keep_the_table_whole() {
        assert_eq!(cell("a | b\nc"), "a \\| b<br>c");
        assert_eq!(cell("a\r\nb\rc"), "a<br>b<br>c");
        assert_eq!(code_cell("x|y<z"), "<code>x&#124;y&lt;z</code>");
        assert_eq!(code_cell("plain"), "`plain`");
    }

    #[test]
    fn code_spans_outgrow_backticks() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`a"), "`` `a ``");
        assert_eq!(code("two\nlines"), "`two lines`");
        assert_eq!(fenced("text", "a\n```\nb"), "````text\na\n```\nb\n````\n");
    }

    #[test]
    fn list_items_stay_one_item() {
        assert_eq!(item("first\n\nsecond"), "- first\n  second\n");
    }

    #[test]
    fn tables_have_a_separator_row() {
        let t = table(&["A", "B"], &[vec!["1".into(), "2".into()]]);
        assert_eq!(t, "| A | B |\n| --- | --- |\n| 1 | 2 |\n");
    }
}

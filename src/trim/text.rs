//! Trimming text: markup, repeated headers and footers, white space.
//!
//! Each pass is linear in the text, and each reports what it removed.
//! Trimming trimmed text changes nothing, so the server can run it again
//! on what the browser prepared and get the same result.

use crate::messages::prepare;
use crate::{Location, Step, StepKind};
use std::collections::HashMap;

/// A line repeated at paragraph edges at least this often is boilerplate.
const MIN_REPEATS: usize = 3;
/// Longer lines are content, not headers or footers.
const MAX_BOILERPLATE_CHARS: usize = 80;
/// Layers of headers (a title line, then a date line) peeled.
const MAX_PEELS: usize = 4;

/// The text once trimmed, when [`trim`] removes anything from it.
pub(crate) fn trimmed(text: &str, strip_markup: bool) -> Option<String> {
    let (text, steps) = trim(text, strip_markup);
    (!steps.is_empty()).then_some(text)
}

/// Trims `text`, returning the result and the steps that changed it.
pub(crate) fn trim(text: &str, strip_markup: bool) -> (String, Vec<Step>) {
    let mut steps = Vec::new();
    let mut text = text.replace("\r\n", "\n").replace('\r', "\n");
    if strip_markup {
        let (stripped, removed) = strip_tags(&text);
        if removed > 0 {
            let chars = text.chars().count() - stripped.chars().count();
            steps.push(
                Step::new(
                    StepKind::MarkupRemoved,
                    removed as u64,
                    prepare::markup_removed(removed as u64),
                )
                .with_chars(chars as u64),
            );
            text = stripped;
        }
    }
    if let Some((kept, step)) = remove_boilerplate(&text) {
        text = kept;
        steps.push(step);
    }
    let collapsed = collapse_whitespace(&text);
    // White space at the very end is not worth a line in the manifest.
    let removed = text.trim_end().chars().count() - collapsed.chars().count();
    if removed > 0 {
        steps.push(
            Step::new(
                StepKind::WhitespaceCollapsed,
                removed as u64,
                prepare::text_whitespace_removed(removed as u64),
            )
            .with_chars(removed as u64),
        );
    }
    (collapsed, steps)
}

/// Collapses runs of spaces and tabs inside lines to one space, removes
/// trailing white space and keeps at most one blank line in a row.
/// Indentation at the start of a line is kept (it carries structure in
/// code and lists).
pub(crate) fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0usize;
    for line in text.split('\n') {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        let body = line.trim_start_matches([' ', '\t']);
        out.push_str(&line[..line.len() - body.len()]);
        let mut in_space = false;
        for c in body.chars() {
            if c == ' ' || c == '\t' {
                if !in_space {
                    out.push(' ');
                }
                in_space = true;
            } else {
                out.push(c);
                in_space = false;
            }
        }
    }
    out
}

/// The line with digits replaced, so "Page 3 of 10" and "Page 4 of 10"
/// are the same footer.
fn normalise(line: &str) -> Option<String> {
    let line = line.trim();
    if line.chars().count() > MAX_BOILERPLATE_CHARS
        || line.chars().filter(|c| c.is_alphanumeric()).count() < 3
    {
        return None;
    }
    Some(
        line.chars()
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .collect(),
    )
}

/// Removes short lines repeated at the first or last line of paragraphs
/// (where extracted PDFs put page headers and footers), peeling up to
/// [`MAX_PEELS`] layers.
fn remove_boilerplate(text: &str) -> Option<(String, Step)> {
    let mut lines: Vec<(usize, &str)> = text.split('\n').enumerate().collect();
    let mut removed: Vec<(usize, &str)> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for _ in 0..MAX_PEELS {
        let edges = edge_lines(&lines);
        let mut counts: HashMap<String, usize> = HashMap::new();
        for &(i, _) in &edges {
            if let Some(key) = normalise(lines[i].1) {
                *counts.entry(key).or_default() += 1;
            }
        }
        // The sole line of a paragraph is content, whatever it repeats.
        let drop: Vec<usize> = edges
            .into_iter()
            .filter(|&(i, sole)| {
                !sole && normalise(lines[i].1).is_some_and(|k| counts[&k] >= MIN_REPEATS)
            })
            .map(|(i, _)| i)
            .collect();
        if drop.is_empty() {
            break;
        }
        for &i in &drop {
            let key = normalise(lines[i].1).unwrap_or_default();
            if !names.contains(&key) {
                names.push(key);
            }
        }
        let mut keep = vec![true; lines.len()];
        for &i in &drop {
            keep[i] = false;
            removed.push(lines[i]);
        }
        let mut k = keep.iter();
        lines.retain(|_| k.next().copied().unwrap_or(true));
    }
    if removed.is_empty() {
        return None;
    }
    removed.sort_by_key(|(n, _)| *n);
    let chars: usize = removed.iter().map(|(_, l)| l.chars().count() + 1).sum();
    let n = removed.len() as u64;
    let step = Step::new(
        StepKind::BoilerplateRemoved,
        n,
        prepare::boilerplate_removed(n, chars as u64),
    )
    .with_items(names)
    .with_at(removed.iter().map(|(n, _)| Location::line(*n as u64 + 1)))
    .with_chars(chars as u64);
    let kept: Vec<&str> = lines.into_iter().map(|(_, l)| l).collect();
    Some((kept.join("\n"), step))
}

/// Indices (into `lines`) of the first and last non-blank line of each
/// paragraph, and whether it is the paragraph's only line.
fn edge_lines(lines: &[(usize, &str)]) -> Vec<(usize, bool)> {
    let mut edges = Vec::new();
    let mut start: Option<usize> = None;
    for i in 0..=lines.len() {
        let blank = lines.get(i).is_none_or(|(_, l)| l.trim().is_empty());
        match (blank, start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                let sole = i - 1 == s;
                edges.push((s, sole));
                if !sole {
                    edges.push((i - 1, false));
                }
                start = None;
            }
            _ => {}
        }
    }
    edges
}

/// Removes HTML/XML comments, `script` and `style` elements and tags;
/// block-level tags become line breaks. Returns the text and the number
/// of tags and comments removed.
fn strip_tags(text: &str) -> (String, usize) {
    let mut out = String::with_capacity(text.len());
    let mut removed = 0;
    let mut rest = text;
    let mut next_close: Option<usize> = None;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        if let Some(body) = after.strip_prefix("<!--") {
            removed += 1;
            rest = body.find("-->").map_or("", |end| &body[end + 3..]);
            keep_apart(&mut out);
            continue;
        }
        let is_tag = after[1..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?');
        if !is_tag {
            out.push('<');
            rest = &after[1..];
            continue;
        }
        // The next `>` is found once and remembered until passed, so a
        // run of `<` without one costs a single scan.
        let at = text.len() - after.len();
        if next_close.is_none_or(|c| c < at) {
            // `usize::MAX`: there is none.
            next_close = Some(text[at..].find('>').map_or(usize::MAX, |c| at + c));
        }
        let Some(close) = next_close
            .filter(|&c| c != usize::MAX && c - at <= MAX_TAG_BYTES)
            .map(|c| c - at)
        else {
            out.push('<');
            rest = &after[1..];
            continue;
        };
        let name: String = after[1..]
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        removed += 1;
        let mut next = &after[close + 1..];
        if (name == "script" || name == "style") && !after[1..].starts_with('/') {
            next = match find_end_tag(next, &name) {
                Some(at) => {
                    let tail = &next[at..];
                    tail.find('>').map_or("", |e| &tail[e + 1..])
                }
                None => "",
            };
        }
        if BLOCK_TAGS.contains(&name.as_str()) && !out.ends_with('\n') && !next.starts_with('\n') {
            out.push('\n');
        }
        keep_apart(&mut out);
        rest = next;
    }
    out.push_str(rest);
    (out.replace("&nbsp;", " "), removed)
}

/// The longest tag removed; a `<` whose `>` is further away is text
/// (`if a < b … c > d`).
const MAX_TAG_BYTES: usize = 1024;

/// Where `</name` starts in `text`, ignoring ASCII case.
fn find_end_tag(text: &str, name: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text[from..].find("</") {
        let at = from + i;
        let candidate = text.as_bytes().get(at + 2..at + 2 + name.len());
        if candidate.is_some_and(|c| c.eq_ignore_ascii_case(name.as_bytes())) {
            return Some(at);
        }
        from = at + 2;
    }
    None
}

/// After a removed tag, a literal `<` kept just before it must not join
/// the text after it into a new tag (`<<a>b>` gives `< b>`, not `<b>`),
/// so that stripping stripped text changes nothing.
fn keep_apart(out: &mut String) {
    if out.ends_with('<') {
        out.push(' ');
    }
}

const BLOCK_TAGS: &[&str] = &[
    "p",
    "br",
    "div",
    "li",
    "ul",
    "ol",
    "tr",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
    "pre",
    "hr",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_collapses_but_keeps_indentation() {
        let text = "a   b\t\tc   \n\n\n\n    indented  line\n";
        assert_eq!(collapse_whitespace(text), "a b c\n\n    indented line");
    }

    #[test]
    fn page_headers_and_footers_are_removed_and_listed() {
        let bodies = [
            "Sales grew in spring.\nThe north led.",
            "Costs fell.\nRent was flat.",
            "Outlook is good.\nWe hire.",
        ];
        let page = |(n, body): (usize, &&str)| {
            format!("ACME Corp annual report\n{body}\nPage {} of 3", n + 1)
        };
        let text = bodies
            .iter()
            .enumerate()
            .map(page)
            .collect::<Vec<_>>()
            .join("\n\n");
        let (out, steps) = trim(&text, false);
        assert!(
            !out.contains("ACME") && !out.contains("Page 2 of 3"),
            "{out}"
        );
        assert!(out.contains("Costs fell.\nRent was flat."), "{out}");
        let step = steps
            .iter()
            .find(|s| s.kind == StepKind::BoilerplateRemoved)
            .unwrap();
        assert_eq!(step.count, 6);
        assert_eq!(step.items, ["ACME Corp annual report", "Page # of #"]);
        let (again, steps) = trim(&out, false);
        assert_eq!(again, out);
        assert!(steps.is_empty());
    }

    #[test]
    fn markup_is_stripped() {
        let (out, n) = strip_tags("<p>Hello <b>world</b></p><script>x<y</script><!-- c -->a < b");
        assert_eq!(out, "\nHello world\na < b");
        assert_eq!(n, 6);
        // A `<` whose `>` is far away is text, and runs of `<` stay linear.
        let far = format!("if a <b then {} c > d", "x ".repeat(1000));
        assert_eq!(strip_tags(&far), (far.clone(), 0));
        let many = "<a".repeat(100_000);
        assert_eq!(strip_tags(&many).0, many);
        let scripts = "<script>x</script>y".repeat(10_000);
        assert_eq!(strip_tags(&scripts), ("y".repeat(10_000), 10_000));
    }
}

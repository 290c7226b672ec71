//! JSON and JSON Lines.
//!
//! Reading goes in three steps:
//! 1. a linear scan for nesting depth ([`scan`]), before any parser runs,
//!    so that hostile nesting is refused in bounded time and stack;
//! 2. the whole text as one JSON value (kind `json`), else each line as its
//!    own value (kind `jsonl`, when most lines are), else an `invalid_json`
//!    issue with a plain-language reason;
//! 3. records (objects) as a table, with one column per key path.

mod records;
mod scan;
mod value;

use self::value::Json;
use super::{text, Document, Limits};
use crate::{messages::issue, InputKind, Issue, Location};
use serde::de::IgnoredAny;

/// The deepest nesting the JSON parser itself accepts (it refuses the
/// 128th level). A contract's `max_depth` above this is capped to it.
const PARSER_MAX_DEPTH: u64 = 127;

/// Whether decoded text should be read as JSON or JSON Lines.
///
/// The first non-blank character must be `{` or `[`. A file named `.json`,
/// `.jsonl` or `.ndjson` is then JSON (so that mistakes in it are reported
/// as JSON mistakes); other text only when it really parses as one JSON
/// value or most of its lines are JSON values. So a table whose first cell
/// is `[id]` stays a table.
pub(super) fn looks_like_json(text: &str, name: Option<&str>) -> bool {
    let start = text.trim_start();
    if !(start.starts_with('{') || start.starts_with('[')) {
        return false;
    }
    if named_json(name) {
        return true;
    }
    // Skipping a value is iterative in serde_json: no depth limit, no
    // recursion, so deep nesting costs one linear pass here.
    serde_json::from_str::<IgnoredAny>(text).is_ok() || classify_lines::<IgnoredAny>(text).is_some()
}

fn named_json(name: Option<&str>) -> bool {
    name.and_then(|n| n.rsplit_once('.'))
        .is_some_and(|(_, ext)| {
            ["json", "jsonl", "ndjson"].contains(&ext.to_ascii_lowercase().as_str())
        })
}

fn is_recursion_limit(e: &serde_json::Error) -> bool {
    e.to_string().starts_with("recursion limit exceeded")
}

/// Reads JSON or JSON Lines text.
pub(super) fn read(text: &str, bytes: u64, encoding: &str, limits: &Limits) -> Document {
    let max_depth = limits.max_depth.min(PARSER_MAX_DEPTH);
    let keep_lines = usize::try_from(limits.max_rows.saturating_add(1)).unwrap_or(usize::MAX);
    let scanned = scan::scan(text, max_depth, keep_lines);

    let mut doc = Document::new(InputKind::Json, bytes, encoding);
    // Structured data, like a table: lines and line endings, but no
    // language (keys and values are not prose).
    doc.info.lines = Some(text.lines().count() as u64);
    doc.info.line_ending = text::line_ending(text).map(str::to_owned);
    doc.text = text.to_owned();

    if let Some(line) = scanned.line_too_deep_at {
        doc.issues.push(too_deep(max_depth, line));
        return doc;
    }
    // Parse as one document only when it is shallow enough as one.
    let whole = match scanned.too_deep_at {
        None => Some(serde_json::from_str::<Json>(text)),
        Some(_) => None,
    };
    match whole {
        Some(Ok(value)) => {
            let first = first_value_line(text);
            if let Some(records) = records::of_value(&value, first, &scanned.element_lines) {
                attach_table(&mut doc, &records, limits);
            }
        }
        Some(Err(e)) if is_recursion_limit(&e) => {
            doc.issues.push(too_deep(max_depth, e.line().max(1) as u64));
        }
        whole => {
            if let Some(lines) = classify_lines::<Json>(text) {
                read_lines(&mut doc, lines, limits);
            } else if let Some(line) = scanned.too_deep_at {
                doc.issues.push(too_deep(max_depth, line));
            } else if let Some(Err(e)) = whole {
                let (line, column) = position(text, &e);
                doc.issues
                    .push(issue::invalid_json(reason(&e), line, column));
            }
        }
    }
    doc
}

fn too_deep(max: u64, line: u64) -> Issue {
    issue::too_deep(max, Some(Location::line(line)))
}

/// The 1-based line of the first non-blank character.
fn first_value_line(text: &str) -> u64 {
    let start = text.len() - text.trim_start().len();
    text[..start].matches('\n').count() as u64 + 1
}

fn attach_table(doc: &mut Document, records: &[records::Record<'_>], limits: &Limits) {
    if let Some(table) = records::table(records, limits, &mut doc.issues) {
        doc.info.headers = Some(table.headers.clone());
        doc.info.rows = Some(table.rows.len() as u64);
        doc.info.columns = Some(table.headers.len() as u64);
        doc.table = Some(table);
    }
}

/// The lines of a text read as JSON Lines.
struct Lines<T> {
    /// Lines that are JSON values: (1-based line, value).
    good: Vec<(u64, T)>,
    /// Lines that are not: (1-based line, plain reason), in order.
    bad: Vec<(u64, &'static str)>,
}

/// Reads each non-blank line as a JSON value. It is JSON Lines when at
/// least two lines are values, they are more than half of the non-blank
/// lines, and the first or the last non-blank line is one (an invalid
/// pretty-printed document has its brackets alone on those lines).
fn classify_lines<T: serde::de::DeserializeOwned>(text: &str) -> Option<Lines<T>> {
    let mut lines = Lines {
        good: Vec::new(),
        bad: Vec::new(),
    };
    let mut ends_good = (None, false);
    for (i, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let number = i as u64 + 1;
        let good = match serde_json::from_str::<T>(line) {
            Ok(value) => {
                lines.good.push((number, value));
                true
            }
            Err(e) => {
                lines.bad.push((number, line_reason(&e)));
                false
            }
        };
        ends_good = (ends_good.0.or(Some(good)), good);
        // Give up early on text that is clearly not JSON Lines.
        if lines.bad.len() > 2 * lines.good.len() + 10 {
            return None;
        }
    }
    let (good, total) = (lines.good.len(), lines.good.len() + lines.bad.len());
    let first_or_last = ends_good.0 == Some(true) || ends_good.1;
    (good >= 2 && good * 2 > total && first_or_last).then_some(lines)
}

fn read_lines(doc: &mut Document, lines: Lines<Json>, limits: &Limits) {
    doc.info.kind = InputKind::Jsonl;
    if let Some(&(line, what)) = lines.bad.first() {
        doc.issues.push(issue::invalid_jsonl_lines(
            lines.bad.len() as u64,
            line,
            what,
        ));
    }
    let records: Option<Vec<records::Record<'_>>> = lines
        .good
        .iter()
        .map(|(line, value)| match value {
            Json::Object(fields) => Some(records::Record {
                line: *line,
                fields,
            }),
            _ => None,
        })
        .collect();
    if let Some(records) = records {
        attach_table(doc, &records, limits);
    }
}

/// The 1-based line and character (not byte) column of a parse error. An
/// error found just after a line break (a text value left open at the end
/// of a line) is shown at the end of the line before.
fn position(text: &str, e: &serde_json::Error) -> (u64, u64) {
    let (mut line, bytes) = (e.line().max(1), e.column());
    let lines = || text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let column = if bytes == 0 && line > 1 {
        line -= 1;
        lines().nth(line - 1).map_or(0, |l| l.chars().count()) + 1
    } else {
        lines().nth(line - 1).map_or(bytes, |l| {
            l.char_indices().take_while(|(i, _)| *i < bytes).count()
        })
    };
    (line as u64, column.max(1) as u64)
}

/// A plain-language reason for a parse error in one line of JSON Lines.
fn line_reason(e: &serde_json::Error) -> &'static str {
    match reason(e) {
        "the file ends before the data is complete" => {
            "the line ends before the record is complete"
        }
        other => other,
    }
}

/// A plain-language reason for a parse error, for people who do not know
/// JSON's grammar.
fn reason(e: &serde_json::Error) -> &'static str {
    let message = e.to_string();
    let code = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(code, _)| code);
    match code {
        "EOF while parsing a list"
        | "EOF while parsing an object"
        | "EOF while parsing a value" => "the file ends before the data is complete",
        "EOF while parsing a string" => "a text value is not closed with a quote",
        "expected `:`" => "a colon (:) is missing after a name",
        "expected `,` or `]`" | "expected `,` or `}`" => "a comma or closing bracket is missing",
        "expected `\"`" | "key must be a string" => "a name is not in double quotes",
        "expected ident" | "expected value" => {
            "a value is missing or not valid (text must be in double quotes)"
        }
        "invalid escape" => "a backslash (\\) in a text value is not followed by a valid letter",
        "invalid number" | "number out of range" => "a number is not written correctly",
        "trailing comma" => "there is an extra comma before a closing bracket",
        "trailing characters" => "there is extra text after the data",
        "recursion limit exceeded" => "the data is nested too deeply",
        c if c.starts_with("control character") => {
            "a text value is not closed with a quote on the same line"
        }
        c if c.contains("hex escape") || c.contains("unicode code point") => {
            "a \\u code in a text value is not valid"
        }
        _ => "the data is not written as JSON",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(text: &str) -> Document {
        read(text, text.len() as u64, "utf-8", &Limits::default())
    }

    #[test]
    fn maps_parser_errors_to_plain_reasons() {
        let cases = [
            ("[1 2]", "a comma or closing bracket is missing", 1, 4),
            (
                "{\"a\": 1",
                "the file ends before the data is complete",
                1,
                7,
            ),
            ("[\"open", "a text value is not closed with a quote", 1, 6),
            ("{\"a\" 1}", "a colon (:) is missing after a name", 1, 6),
            ("[1] x", "there is extra text after the data", 1, 5),
            (
                "[1,]",
                "there is an extra comma before a closing bracket",
                1,
                4,
            ),
            ("{a: 1}", "a name is not in double quotes", 1, 2),
            (
                "[\n  \"é\" x]",
                "a comma or closing bracket is missing",
                2,
                7,
            ),
        ];
        for (text, what, line, column) in cases {
            let e = serde_json::from_str::<Json>(text).unwrap_err();
            assert_eq!(reason(&e), what, "{text}");
            assert_eq!(position(text, &e), (line, column), "{text}");
        }
    }

    #[test]
    fn json_lines_need_most_lines_and_an_end_to_be_values() {
        assert!(classify_lines::<IgnoredAny>("{\"a\":1}\n{\"a\":2}\n").is_some());
        assert!(classify_lines::<IgnoredAny>("{\"a\":1}\n{\"a\":2\n{\"a\":3}\n").is_some());
        assert!(classify_lines::<IgnoredAny>("{\"a\":1}\n").is_none());
        assert!(classify_lines::<IgnoredAny>("[\n1\n2\n3\n]\n").is_none());
        assert!(classify_lines::<IgnoredAny>("{\"a\":1}\nnope\n").is_none());
    }

    #[test]
    fn looks_like_json_only_when_it_parses_or_is_named_so() {
        assert!(looks_like_json("  [1, 2]", None));
        assert!(looks_like_json("[1, 2", Some("a.JSON")));
        assert!(!looks_like_json("[id],name\n1,Ada\n", None));
        assert!(!looks_like_json(
            "[2024-03-01] started\n[2024-03-01] done [ok]",
            None
        ));
        assert!(!looks_like_json("name,email\n", Some("a.json")));
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(looks_like_json(&deep, None));
        assert!(looks_like_json(&"[".repeat(100_000), Some("deep.json")));
    }

    #[test]
    fn depth_is_refused_before_parsing() {
        let doc = read_str(&"[".repeat(100_000));
        assert_eq!(doc.issues.len(), 1);
        assert_eq!(doc.issues[0].code, crate::Code::TooDeep);
        let limits = Limits {
            max_depth: 1_000,
            ..Limits::default()
        };
        let text = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let doc = read(&text, text.len() as u64, "utf-8", &limits);
        assert_eq!(doc.issues[0].code, crate::Code::TooDeep);
    }
}

//! One linear, string-aware pass over JSON text before any parser sees it:
//! how deep it nests, and where the elements of a top-level array start.
//!
//! The pass never recurses, so 100,000 nested `[` cost one loop over the
//! bytes and no stack.

/// What the pass found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Scan {
    /// The 1-based line where the text, read as one document, first nests
    /// deeper than the limit.
    pub too_deep_at: Option<u64>,
    /// The 1-based line of the first line that on its own (brackets opened
    /// on that line minus those closed) nests deeper than the limit. Such
    /// text is too deep whether it is one document or JSON Lines.
    pub line_too_deep_at: Option<u64>,
    /// The 1-based lines where the elements of the first top-level array
    /// start, at most `max_elements` of them.
    pub element_lines: Vec<u64>,
    /// How many elements the first top-level array has (all of them, not
    /// only those whose line was kept).
    pub elements: u64,
}

/// Scans `text` for nesting deeper than `max_depth` and for the start lines
/// of the first top-level array's elements (keeping at most `max_elements`).
///
/// Lines end at `\n`, as the JSON parser counts them. A JSON string cannot
/// hold a raw line break, so a quote left open never hides the lines after
/// it.
pub(super) fn scan(text: &str, max_depth: u64, max_elements: usize) -> Scan {
    let mut out = Scan::default();
    let (mut line, mut depth, mut line_depth) = (1u64, 0u64, 0u64);
    let (mut in_string, mut escaped) = (false, false);
    // The first top-level value: Some(true) while inside an array,
    // Some(false) inside an object, None before it; `done` after it.
    let mut top_is_array: Option<bool> = None;
    let mut done = false;
    let mut expecting_element = false;
    for &b in text.as_bytes() {
        if b == b'\n' {
            line += 1;
            line_depth = 0;
            in_string = false;
            escaped = false;
            continue;
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        if b.is_ascii_whitespace() {
            continue;
        }
        let in_top_array = !done && depth == 1 && top_is_array == Some(true);
        if in_top_array {
            if b == b',' {
                expecting_element = true;
            } else if expecting_element && b != b']' {
                expecting_element = false;
                out.elements += 1;
                if out.element_lines.len() < max_elements {
                    out.element_lines.push(line);
                }
            }
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                if depth == 0 && !done && top_is_array.is_none() {
                    top_is_array = Some(b == b'[');
                    expecting_element = b == b'[';
                }
                depth += 1;
                line_depth += 1;
                if depth > max_depth && out.too_deep_at.is_none() {
                    out.too_deep_at = Some(line);
                }
                if line_depth > max_depth && out.line_too_deep_at.is_none() {
                    out.line_too_deep_at = Some(line);
                    // Nothing later can change the verdict.
                    break;
                }
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                line_depth = line_depth.saturating_sub(1);
                if depth == 0 && top_is_array.is_some() {
                    done = true;
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_depth_outside_strings_only() {
        assert_eq!(scan(r#"[[["]]]]]]]]"]]]"#, 3, 10).too_deep_at, None);
        assert_eq!(scan(r#"[[["\"[[[["]]]"#, 3, 10).too_deep_at, None);
        assert_eq!(scan(r#"{"a":{"b":[1]}}"#, 2, 10).too_deep_at, Some(1));
        assert_eq!(scan(r#"{"a":{"b":[1]}}"#, 3, 10).too_deep_at, None);
    }

    #[test]
    fn reports_the_line_where_the_limit_is_passed() {
        let s = scan("[\n [\n  [\n   [1]\n  ]\n ]\n]\n", 3, 10);
        assert_eq!(s.too_deep_at, Some(4));
        // No single line nests deeper than 1.
        assert_eq!(s.line_too_deep_at, None);
    }

    #[test]
    fn a_single_deep_line_is_too_deep_in_any_reading() {
        let s = scan("{\"a\":1}\n[[[[[1]]]]]\n", 3, 10);
        assert_eq!(s.too_deep_at, Some(2));
        assert_eq!(s.line_too_deep_at, Some(2));
    }

    #[test]
    fn unclosed_brackets_on_json_lines_add_up_only_as_a_document() {
        let s = scan("{\"a\":[\n{\"a\":[\n{\"a\":[\n", 2, 10);
        assert_eq!(s.too_deep_at, Some(2));
        assert_eq!(s.line_too_deep_at, None);
    }

    #[test]
    fn a_quote_left_open_ends_with_its_line() {
        let s = scan("{\"a\": \"open\n[[[[\n", 3, 10);
        assert_eq!(s.line_too_deep_at, Some(2));
    }

    #[test]
    fn a_hundred_thousand_brackets_are_rejected_without_recursion() {
        let text = "[".repeat(100_000);
        let s = scan(&text, 64, 10);
        assert_eq!(s.too_deep_at, Some(1));
        assert_eq!(s.line_too_deep_at, Some(1));
    }

    #[test]
    fn finds_element_start_lines_of_the_top_array() {
        let s = scan(
            "[\n  {\"a\": [1, 2]},\n  {\"a\": {\"b\": 3}}\n  ,\"x\", 4\n]\n",
            64,
            10,
        );
        assert_eq!(s.element_lines, vec![2, 3, 4, 4]);
        assert_eq!(s.elements, 4);
        assert_eq!(scan("[]", 64, 10).elements, 0);
        assert_eq!(scan("[1,]", 64, 10).elements, 1);
        assert_eq!(scan("{\"a\": [1, 2]}", 64, 10).elements, 0);
    }

    #[test]
    fn keeps_at_most_max_elements_lines_but_counts_all() {
        let s = scan("[1,2,3,4,5]", 64, 2);
        assert_eq!(s.element_lines, vec![1, 1]);
        assert_eq!(s.elements, 5);
    }
}

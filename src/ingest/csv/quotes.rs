//! One linear pass over delimited text to find quote marks the reader
//! would misread: a quote inside an unquoted value (`ab"c`), text right
//! after a closing quote (`"ab"c`), and a quoted value that is never
//! closed, which swallows the rest of the file.

/// What the scan found. Lines are 1-based.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct QuoteScan {
    /// Lines with at least one unescaped quote.
    pub bad_lines: u64,
    /// The first such line.
    pub first_bad: Option<u64>,
    /// The line where a quoted value opens that is never closed.
    pub unclosed: Option<u64>,
    /// Whether the first unescaped quote follows a backslash (`\"`): the
    /// file escapes quotes the Unix way rather than by doubling them.
    pub backslashed: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    /// Just after a quote inside a quoted value: either `""` (an escaped
    /// quote) or the end of the value.
    QuoteInQuoted,
}

pub(super) fn scan(text: &str, delimiter: u8) -> QuoteScan {
    let bytes = text.as_bytes();
    let mut found = QuoteScan::default();
    let (mut state, mut line, mut opened) = (State::FieldStart, 1u64, 0u64);
    let mut last_bad = 0u64;
    let mut bad = |line: u64, found: &mut QuoteScan, backslash: bool| {
        if found.first_bad.is_none() {
            found.backslashed = backslash;
        }
        if line != last_bad {
            last_bad = line;
            found.bad_lines += 1;
            found.first_bad.get_or_insert(line);
        }
    };
    for (i, &b) in bytes.iter().enumerate() {
        // A line ends at LF, CRLF (counted at the LF) or a lone CR.
        let newline = b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
        let end_of_line_byte = newline || b == b'\r';
        state = match (state, b) {
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, _) => State::Quoted,
            (State::QuoteInQuoted, b'"') => State::Quoted,
            (_, _) if b == delimiter => State::FieldStart,
            (_, _) if end_of_line_byte => State::FieldStart,
            (State::FieldStart, b'"') => {
                opened = line;
                State::Quoted
            }
            (State::FieldStart, _) => State::Unquoted,
            (State::Unquoted, b'"') => {
                bad(line, &mut found, i > 0 && bytes[i - 1] == b'\\');
                State::Unquoted
            }
            (State::Unquoted, _) => State::Unquoted,
            (State::QuoteInQuoted, _) => {
                bad(line, &mut found, i > 1 && bytes[i - 2] == b'\\');
                State::Unquoted
            }
        };
        if newline {
            line += 1;
        }
    }
    if state == State::Quoted {
        found.unclosed = Some(opened);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_quotes_are_fine() {
        let text = "a,b\n\"x, y\",\"say \"\"hi\"\"\"\n\"multi\nline\",z\r\n";
        assert_eq!(scan(text, b','), QuoteScan::default());
    }

    #[test]
    fn backslash_escapes_are_recognised() {
        let found = scan("a,b\n\"say \\\"hi\\\"\",x\n", b',');
        assert!(found.backslashed && found.first_bad == Some(2), "{found:?}");
        assert!(!scan("a,b\nab\"c,d\n", b',').backslashed);
    }

    #[test]
    fn stray_and_unclosed_quotes() {
        let found = scan("a,b\nab\"c,d\n\"ok\"x,e\n", b',');
        assert_eq!(
            (found.bad_lines, found.first_bad, found.unclosed),
            (2, Some(2), None)
        );
        let found = scan("a,b\n1,2\n\"never closed,3\n4,5\n", b',');
        assert_eq!(found.unclosed, Some(3));
    }
}

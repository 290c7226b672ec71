//! Delimited text: finding the delimiter, the header and the rows.

use crate::{messages::issue, Issue};

/// Delimiters we try, in order of preference when they tie.
const DELIMITERS: &[u8] = b",;\t|";
/// Records looked at to decide the delimiter.
const SNIFF_RECORDS: usize = 50;
/// Share of sampled rows that must match the header's width to call
/// extension-less text a table.
const MIN_CONSISTENCY: f64 = 0.8;

/// A parsed table. Cells are kept as written; typing happens in the schema
/// check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The delimiter byte.
    pub delimiter: u8,
    /// The 1-based line of the header row.
    pub header_line: u64,
    /// Header names as written.
    pub headers: Vec<String>,
    /// Data rows.
    pub rows: Vec<Vec<String>>,
    /// The 1-based line where each data row starts.
    pub row_lines: Vec<u64>,
}

impl Table {
    /// The delimiter as shown to people: `,`, `;`, `\t` or `|`.
    pub fn delimiter_label(&self) -> &'static str {
        match self.delimiter {
            b',' => ",",
            b';' => ";",
            b'\t' => "\\t",
            b'|' => "|",
            _ => "?",
        }
    }
}

pub(super) struct Parsed {
    pub table: Table,
    pub issues: Vec<Issue>,
}

fn reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
}

/// Scores a delimiter on a sample: (share of rows as wide as the header,
/// header width).
fn score(text: &str, delimiter: u8) -> Option<(f64, usize)> {
    let mut widths = reader(text, delimiter)
        .into_byte_records()
        .take(SNIFF_RECORDS)
        .map_while(Result::ok)
        .map(|r| r.len());
    let header = widths.next()?;
    if header < 2 {
        return None;
    }
    let (mut same, mut total) = (0usize, 0usize);
    for w in widths {
        total += 1;
        same += usize::from(w == header);
    }
    let consistency = if total == 0 { 0.0 } else { same as f64 / total as f64 };
    Some((consistency, header))
}

fn has_table_extension(name: Option<&str>) -> bool {
    name.and_then(|n| n.rsplit_once('.'))
        .is_some_and(|(_, ext)| ["csv", "tsv", "tab"].contains(&ext.to_ascii_lowercase().as_str()))
}

/// Parses `text` as a table when it looks like one (or is named like one).
pub(super) fn parse(text: &str, name: Option<&str>) -> Option<Parsed> {
    let named_table = has_table_extension(name);
    // Highest consistency wins, then the widest header; on a tie the
    // delimiter listed first wins.
    let mut best: Option<(u8, (f64, usize))> = None;
    for &d in DELIMITERS {
        if let Some(s) = score(text, d) {
            if best.is_none_or(|(_, b)| s.0 > b.0 || (s.0 == b.0 && s.1 > b.1)) {
                best = Some((d, s));
            }
        }
    }
    let delimiter = match best {
        Some((d, (consistency, _))) if named_table || consistency >= MIN_CONSISTENCY => d,
        None if named_table && !text.trim().is_empty() => b',',
        _ => return None,
    };
    Some(read_table(text, delimiter))
}

fn read_table(text: &str, delimiter: u8) -> Parsed {
    let mut records = reader(text, delimiter).into_byte_records();
    let mut issues = Vec::new();
    let mut table = Table {
        delimiter,
        header_line: 1,
        headers: Vec::new(),
        rows: Vec::new(),
        row_lines: Vec::new(),
    };
    let cell = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    if let Some(Ok(header)) = records.next() {
        table.header_line = header.position().map_or(1, |p| p.line());
        table.headers = header.iter().map(cell).collect();
    }
    let width = table.headers.len();
    let mut ragged: Option<(u64, u64, usize)> = None;
    let mut ragged_count = 0u64;
    for record in records.map_while(Result::ok) {
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != width {
            ragged_count += 1;
            if ragged.is_none() {
                ragged = Some((table.rows.len() as u64 + 1, line, record.len()));
            }
        }
        table.rows.push(record.iter().map(cell).collect());
        table.row_lines.push(line);
    }
    check_headers(&table, &mut issues);
    if let Some((row, line, found)) = ragged {
        issues.push(issue::ragged_rows(ragged_count, row, line, found, width));
    }
    Parsed { table, issues }
}

fn check_headers(table: &Table, issues: &mut Vec<Issue>) {
    let line = table.header_line;
    for (i, name) in table.headers.iter().enumerate() {
        if name.trim().is_empty() {
            issues.push(issue::blank_header(i + 1, line));
            continue;
        }
        let key = crate::schema::normalize_header(name);
        if let Some(first) = table.headers[..i]
            .iter()
            .position(|h| crate::schema::normalize_header(h) == key)
        {
            issues.push(issue::duplicate_header(name.trim(), first + 1, i + 1, line));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_semicolons_and_tabs() {
        let p = parse("a;b;c\n1;2;3\n4;5;6\n", None).unwrap();
        assert_eq!(p.table.delimiter, b';');
        let p = parse("a\tb\n1\t2\n", None).unwrap();
        assert_eq!(p.table.delimiter, b'\t');
    }

    #[test]
    fn prose_is_not_a_table() {
        assert!(parse("Hello there, how are you?\nFine, thanks.\nGood.", None).is_none());
    }

    #[test]
    fn quoted_commas_do_not_make_rows_ragged() {
        let p = parse("name,email\n\"Smith, John\",j@x.org\n", Some("a.csv")).unwrap();
        assert!(p.issues.is_empty());
        assert_eq!(p.table.rows[0][0], "Smith, John");
    }

    #[test]
    fn ragged_rows_are_grouped_with_first_line() {
        let p = parse("a,b,c\n1,2,3\n1,2\n1,2,3\n1\n", Some("x.csv")).unwrap();
        assert_eq!(p.issues.len(), 1);
        assert_eq!(p.issues[0].count, Some(2));
        assert_eq!(p.issues[0].at.as_ref().unwrap().line, Some(3));
    }
}

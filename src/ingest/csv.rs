//! Delimited text: finding the delimiter, the header and the rows.

use crate::{messages::issue, Issue};

/// Delimiters we try, in order of preference when they tie.
const DELIMITERS: &[u8] = b",;\t|";
/// Records looked at to decide the delimiter.
const SNIFF_RECORDS: usize = 50;
/// Share of sampled rows that must match the header's width to call
/// extension-less text a table.
const MIN_CONSISTENCY: f64 = 0.8;
/// Above this share of cells starting with a space, extension-less text is
/// prose with commas, not a table.
const MAX_SPACED: f64 = 0.5;

/// A parsed table. Cells are kept as written; typing happens in the schema
/// check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The sheet the table comes from, for workbooks.
    pub sheet: Option<String>,
    /// The delimiter byte (`,` for tables that were not delimited text).
    pub delimiter: u8,
    /// The 1-based line of the header row.
    pub header_line: u64,
    /// Header names as written.
    pub headers: Vec<String>,
    /// Data rows.
    pub rows: Vec<Vec<String>>,
    /// Where each data row starts: the 1-based line of delimited text or
    /// JSON, or the sheet row of a workbook.
    pub row_lines: Vec<u64>,
}

impl Table {
    /// Where data row `index` (0-based) is, as users count: in delimited
    /// text, the data row and the line; in a workbook, the sheet and its
    /// row number.
    pub fn location(&self, index: usize, column: Option<&str>) -> crate::Location {
        let at = self.row_lines.get(index).copied();
        crate::Location {
            sheet: self.sheet.clone(),
            row: Some(if self.sheet.is_some() {
                at.unwrap_or(0)
            } else {
                index as u64 + 1
            }),
            column: column.map(str::to_owned),
            line: if self.sheet.is_some() { None } else { at },
        }
    }

    /// Writes the table back as CSV (comma-separated, quoted where needed),
    /// keeping only the columns where `keep` is true.
    ///
    /// ```
    /// use prompt_preflight::{ingest, Input, Limits};
    /// let doc = ingest(&Input::File { name: Some("t.csv"), bytes: b"a,b,c\n1,\"x,y\",3\n" }, &Limits::default());
    /// assert_eq!(doc.table.unwrap().to_csv(&[true, true, false]), "a,b\n1,\"x,y\"\n");
    /// ```
    pub fn to_csv(&self, keep: &[bool]) -> String {
        let mut out = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(Vec::new());
        for record in std::iter::once(&self.headers).chain(&self.rows) {
            let cells = record
                .iter()
                .enumerate()
                .filter(|(i, _)| keep.get(*i).copied().unwrap_or(true))
                .map(|(_, c)| c);
            // Writing to a Vec cannot fail.
            let _ = out.write_record(cells);
        }
        let bytes = out.into_inner().unwrap_or_default();
        String::from_utf8(bytes).unwrap_or_default()
    }

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

/// How well a delimiter fits a sample of the text.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Score {
    /// Share of rows as wide as the header.
    consistency: f64,
    /// Number of header cells.
    width: usize,
    /// Share of cells after the first that start with a space, as the
    /// clauses of prose do ("Dear team, thanks") and cells rarely do.
    spaced: f64,
}

impl Score {
    fn beats(&self, other: &Score) -> bool {
        self.consistency > other.consistency
            || (self.consistency == other.consistency && self.width > other.width)
    }

    fn looks_like_table(&self) -> bool {
        self.consistency >= MIN_CONSISTENCY && self.spaced < MAX_SPACED
    }
}

fn score(text: &str, delimiter: u8) -> Option<Score> {
    let mut records = reader(text, delimiter)
        .into_byte_records()
        .take(SNIFF_RECORDS)
        .map_while(Result::ok);
    let header = records.next()?;
    let width = header.len();
    if width < 2 {
        return None;
    }
    let (mut same, mut total, mut cells, mut spaced) = (0usize, 0usize, 0usize, 0usize);
    for record in std::iter::once(header).chain(records) {
        for cell in record.iter().skip(1) {
            cells += 1;
            spaced += usize::from(cell.first() == Some(&b' '));
        }
        total += 1;
        same += usize::from(record.len() == width);
    }
    // The header itself is always as wide as the header.
    let (same, total) = (same - 1, total - 1);
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    Some(Score {
        consistency: ratio(same, total),
        width,
        spaced: ratio(spaced, cells),
    })
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
    let mut best: Option<(u8, Score)> = None;
    for &d in DELIMITERS {
        if let Some(s) = score(text, d) {
            if best.is_none_or(|(_, b)| s.beats(&b)) {
                best = Some((d, s));
            }
        }
    }
    let delimiter = match best {
        Some((d, s)) if named_table || s.looks_like_table() => d,
        None if named_table && !text.trim().is_empty() => b',',
        _ => return None,
    };
    Some(read_table(text, delimiter))
}

/// Maps byte offsets to 1-based line numbers. A line ends at LF, CRLF or a
/// lone CR, as in files from any system.
struct LineIndex<'a> {
    bytes: &'a [u8],
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
                starts.push(i + 1);
            }
        }
        LineIndex { bytes, starts }
    }

    /// The line of a record whose reported start is `offset`. The csv reader
    /// reports the offset before the line breaks (and blank lines) it skips,
    /// and a record never starts with a line break, so skip those first.
    fn record_line(&self, offset: u64) -> u64 {
        let mut at = offset as usize;
        while matches!(self.bytes.get(at), Some(b'\r' | b'\n')) {
            at += 1;
        }
        self.starts.partition_point(|&s| s <= at) as u64
    }
}

fn read_table(text: &str, delimiter: u8) -> Parsed {
    let lines = LineIndex::new(text);
    let line_of = |r: &csv::ByteRecord| r.position().map_or(0, |p| lines.record_line(p.byte()));
    let mut records = reader(text, delimiter).into_byte_records();
    let mut issues = Vec::new();
    let mut table = Table {
        sheet: None,
        delimiter,
        header_line: 1,
        headers: Vec::new(),
        rows: Vec::new(),
        row_lines: Vec::new(),
    };
    let cell = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    if let Some(Ok(header)) = records.next() {
        table.header_line = line_of(&header);
        table.headers = header.iter().map(cell).collect();
    }
    let width = table.headers.len();
    let mut ragged: Option<(u64, u64, usize)> = None;
    let mut ragged_count = 0u64;
    for record in records.map_while(Result::ok) {
        let line = line_of(&record);
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
    fn lines_count_crlf_cr_and_blank_lines() {
        let p = parse("\r\nname,email\r\nAda,a@x\r\n\r\nBob\r\n", Some("a.csv")).unwrap();
        assert_eq!(p.table.header_line, 2);
        assert_eq!(p.table.row_lines, vec![3, 5]);
        let p = parse("a,b\r1,2\r\r3,4\r", Some("a.csv")).unwrap();
        assert_eq!(p.table.row_lines, vec![2, 4]);
    }

    #[test]
    fn comma_rich_prose_is_not_a_table() {
        let prose = "Dear team, thanks for the update.\nIn short, the numbers look good.\nAs always, let me know.\n";
        assert!(parse(prose, Some("note.txt")).is_none());
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

//! Delimited text: finding the delimiter, the header and the rows, and the
//! problems a reader of CSV exports runs into.

mod dialect;
mod quotes;

use super::Limits;
use crate::{messages::issue, Issue, Location};

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
    /// Cells the reader has already reported with an issue of their own (a
    /// formula error, a date cell that holds no date), as (data row index,
    /// column index, the issue's code) in order. The schema check leaves
    /// them alone, so one cell gives one issue; when one breaks its declared
    /// column, that issue becomes an error.
    pub reported_cells: Vec<(usize, usize, crate::Code)>,
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
        self.csv_lines(keep).concat()
    }

    /// The header and then each data row as one CSV line (the columns
    /// where `keep` is true; a cell past `keep` is kept).
    pub(crate) fn csv_lines(&self, keep: &[bool]) -> Vec<String> {
        csv_lines(
            std::iter::once(&self.headers)
                .chain(&self.rows)
                .map(|record| {
                    record
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| keep.get(*i).copied().unwrap_or(true))
                        .map(|(_, c)| c)
                }),
        )
    }

    /// The delimiter itself: `,`, `;`, a tab, `|`, `:`, or a space for
    /// columns aligned with runs of spaces.
    ///
    /// ```
    /// use prompt_preflight::{ingest, Input, Limits};
    /// let doc = ingest(&Input::File { name: None, bytes: b"a\tb\n1\t2\n3\t4\n" }, &Limits::default());
    /// let table = doc.table.unwrap();
    /// assert_eq!((table.delimiter_char(), table.delimiter_name()), ('\t', "tab"));
    /// ```
    pub fn delimiter_char(&self) -> char {
        char::from(self.delimiter)
    }

    /// The delimiter's name for people: `comma`, `semicolon`, `tab`,
    /// `pipe`, `colon` or `spaces`.
    pub fn delimiter_name(&self) -> &'static str {
        match self.delimiter {
            b',' => "comma",
            b';' => "semicolon",
            b'\t' => "tab",
            b'|' => "pipe",
            b':' => "colon",
            b' ' => "spaces",
            _ => "other",
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

fn has_table_extension(name: Option<&str>) -> bool {
    name.and_then(|n| n.rsplit_once('.'))
        .is_some_and(|(_, ext)| ["csv", "tsv", "tab"].contains(&ext.to_ascii_lowercase().as_str()))
}

/// Parses `text` as a table when it looks like one (or is named like one):
/// delimited text first, then columns aligned with spaces, then, for a
/// file named like a table, whatever fits best.
pub(super) fn parse(text: &str, name: Option<&str>, limits: &Limits) -> Option<Parsed> {
    if let Some(found) = dialect::sniff(text, false) {
        return Some(read_table(
            text,
            found.delimiter,
            found.header_index,
            limits,
        ));
    }
    if let Some(aligned) = dialect::space_aligned(text) {
        let mut parsed = read_table(&aligned, dialect::ALIGNED, 0, limits);
        parsed.table.delimiter = b' ';
        return Some(parsed);
    }
    let found = dialect::sniff(text, has_table_extension(name))?;
    Some(read_table(
        text,
        found.delimiter,
        found.header_index,
        limits,
    ))
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

/// Whether a header row looks like data rather than column names: an email
/// address (never a column name), mostly numbers and dates (column names
/// can be years, so one number is not enough), or values shaped like the
/// rows `below` it.
fn looks_like_data(header: &[String], below: &[Vec<String>]) -> bool {
    use super::header::is_numeric;
    let filled: Vec<&str> = header
        .iter()
        .map(|h| h.trim())
        .filter(|h| !h.is_empty())
        .collect();
    let email = |cell: &str| cell.contains('@') && cell.contains('.') && !cell.contains(' ');
    !filled.is_empty()
        && (filled.iter().any(|c| email(c))
            || filled.iter().filter(|c| is_numeric(c)).count() * 2 > filled.len()
            || shaped_like(header, below))
}

/// Whether the first row has numbers where the rows below have numbers
/// (or dates) and nowhere a name above such a column: a header has words
/// there. Years alone do not count, as column names can be years.
fn shaped_like(first: &[String], below: &[Vec<String>]) -> bool {
    use super::header::{is_numeric, is_year};
    let (mut matched, mut beyond_years) = (0, false);
    for (c, cell) in first.iter().map(|c| c.trim()).enumerate() {
        let column: Vec<&str> = below
            .iter()
            .filter_map(|r| r.get(c).map(|v| v.trim()))
            .filter(|v| !v.is_empty())
            .collect();
        let numbers = column.iter().filter(|v| is_numeric(v)).count();
        if cell.is_empty() || column.len() < 2 || (numbers as f64) < 0.8 * column.len() as f64 {
            continue;
        }
        if !is_numeric(cell) {
            return false;
        }
        matched += 1;
        beyond_years |= !is_year(cell);
    }
    matched > 0 && beyond_years
}

fn read_table(text: &str, delimiter: u8, header_index: usize, limits: &Limits) -> Parsed {
    let lines = LineIndex::new(text);
    let line_of = |r: &csv::ByteRecord| r.position().map_or(0, |p| lines.record_line(p.byte()));
    let cell = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let mut records = reader(text, delimiter)
        .into_byte_records()
        .map_while(Result::ok);
    let mut issues = Vec::new();
    let mut table = Table {
        sheet: None,
        delimiter,
        header_line: 1,
        headers: Vec::new(),
        rows: Vec::new(),
        row_lines: Vec::new(),
        reported_cells: Vec::new(),
    };
    if let Some(header) = records.nth(header_index) {
        table.header_line = line_of(&header);
        table.headers = header.iter().map(cell).collect();
        if header_index > 0 {
            issues.push(issue::header_not_first_row(
                table.header_line,
                table.header_line - 1,
                "line",
            ));
        }
        let below: Vec<Vec<String>> = reader(text, delimiter)
            .into_byte_records()
            .map_while(Result::ok)
            .skip(header_index + 1)
            .filter(|r| r.iter().any(|c| !c.trim_ascii().is_empty()))
            .take(dialect::SNIFF_RECORDS)
            .map(|r| r.iter().map(cell).collect())
            .collect();
        if looks_like_data(&table.headers, &below) {
            // The first row is data: keep it as a row and name the columns.
            issues.push(issue::no_header(
                &table.headers.join(", "),
                table.header_line,
            ));
            table.rows.push(std::mem::take(&mut table.headers));
            table.row_lines.push(table.header_line);
            table.headers = (1..=table.rows[0].len())
                .map(|i| format!("column {i}"))
                .collect();
        }
    }
    let width = table.headers.len();
    if width as u64 > limits.max_columns {
        issues.push(issue::too_many_rows(
            width as u64,
            limits.max_columns,
            "columns",
        ));
        return Parsed { table, issues };
    }
    let mut ragged: Option<(u64, u64, usize)> = None;
    let mut ragged_count = 0u64;
    let (mut blank, mut first_blank, mut cells) = (0u64, None, 0u64);
    for record in records {
        let line = line_of(&record);
        if record.iter().all(|c| c.trim_ascii().is_empty()) {
            blank += 1;
            first_blank.get_or_insert(line);
            continue;
        }
        if table.rows.len() as u64 >= limits.max_rows
            || cells + record.len() as u64 > limits.max_cells
        {
            let (found, max, unit) = if table.rows.len() as u64 >= limits.max_rows {
                (table.rows.len() as u64 + 1, limits.max_rows, "rows")
            } else {
                (cells + record.len() as u64, limits.max_cells, "cells")
            };
            issues.push(issue::too_many_rows(found, max, &format!("{unit} or more")));
            break;
        }
        cells += record.len() as u64;
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
    if let Some(line) = first_blank {
        issues.push(issue::blank_rows(blank, Location::line(line)));
    }
    let quotes = quotes::scan(text, delimiter);
    if let Some(line) = quotes.unclosed {
        issues.push(issue::unclosed_quote(line));
    }
    if let Some(line) = quotes.first_bad {
        issues.push(if quotes.backslashed {
            issue::backslash_escaped_quotes(quotes.bad_lines, line)
        } else {
            issue::unescaped_quote(quotes.bad_lines, line)
        });
    }
    Parsed { table, issues }
}

fn check_headers(table: &Table, issues: &mut Vec<Issue>) {
    let found = super::header::header_issues(&table.headers, table.header_line);
    issues.extend(found.into_iter().map(|(_, issue)| issue));
}

/// Each record as one CSV line (comma-separated, quoted where needed, with
/// its line break), all written through one writer.
pub(crate) fn csv_lines<'a, R, C>(records: R) -> Vec<String>
where
    R: IntoIterator<Item = C>,
    C: IntoIterator<Item = &'a String>,
{
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let mut ends = Vec::new();
    for record in records {
        // Writing to a Vec cannot fail.
        let _ = w.write_record(record);
        let _ = w.flush();
        ends.push(w.get_ref().len());
    }
    let bytes = w.into_inner().unwrap_or_default();
    let mut start = 0;
    ends.into_iter()
        .map(|end| {
            let line = String::from_utf8_lossy(&bytes[start..end]).into_owned();
            start = end;
            line
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_count_crlf_cr_and_blank_lines() {
        let p = parse(
            "\r\nname,email\r\nAda,a@x\r\n\r\nBob\r\n",
            Some("a.csv"),
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(p.table.header_line, 2);
        assert_eq!(p.table.row_lines, vec![3, 5]);
        let p = parse("a,b\r1,2\r\r3,4\r", Some("a.csv"), &Limits::default()).unwrap();
        assert_eq!(p.table.row_lines, vec![2, 4]);
    }

    #[test]
    fn comma_rich_prose_is_not_a_table() {
        let prose = "Dear team, thanks for the update.\nIn short, the numbers look good.\nAs always, let me know.\n";
        assert!(parse(prose, Some("note.txt"), &Limits::default()).is_none());
    }

    #[test]
    fn prose_is_not_a_table() {
        assert!(parse(
            "Hello there, how are you?\nFine, thanks.\nGood.",
            None,
            &Limits::default()
        )
        .is_none());
    }

    #[test]
    fn quoted_commas_do_not_make_rows_ragged() {
        let p = parse(
            "name,email\n\"Smith, John\",j@x.org\n",
            Some("a.csv"),
            &Limits::default(),
        )
        .unwrap();
        assert!(p.issues.is_empty());
        assert_eq!(p.table.rows[0][0], "Smith, John");
    }

    #[test]
    fn ragged_rows_are_grouped_with_first_line() {
        let p = parse(
            "a,b,c\n1,2,3\n1,2\n1,2,3\n1\n",
            Some("x.csv"),
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(p.issues.len(), 1);
        assert_eq!(p.issues[0].count, Some(2));
        assert_eq!(p.issues[0].at.as_ref().unwrap().line, Some(3));
    }
}

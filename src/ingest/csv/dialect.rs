//! Sniffing the dialect of delimited text: the delimiter and which record
//! is the header.

use super::reader;
use crate::ingest::header::reads_like_names;

/// Delimiters we try, in order of preference when they tie. `:` needs at
/// least three columns, so that "key: value" text and clock times are not
/// taken for tables.
const DELIMITERS: &[u8] = b",;\t|:";
/// Records looked at to decide.
pub(super) const SNIFF_RECORDS: usize = 50;
/// Share of sampled rows that must be as wide as the header to call
/// extension-less text a table.
const MIN_CONSISTENCY: f64 = 0.8;
/// Above this share of cells starting with a space, extension-less text is
/// prose with commas ("Dear team, thanks"), not a table.
const MAX_SPACED: f64 = 0.5;

/// The dialect of a table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Dialect {
    /// The delimiter byte.
    pub delimiter: u8,
    /// How many records come before the header (title or comment lines).
    pub header_index: usize,
    consistency: f64,
    width: usize,
    spaced: f64,
    /// The rows are as wide as the table up to its last full row and only
    /// narrower after it (a table whose last lines are short).
    short_tail: bool,
}

impl Dialect {
    fn beats(&self, other: &Dialect) -> bool {
        self.consistency > other.consistency
            || (self.consistency == other.consistency && self.width > other.width)
    }

    fn looks_like_table(&self) -> bool {
        (self.consistency >= MIN_CONSISTENCY || self.short_tail) && self.spaced < MAX_SPACED
    }
}

/// Whether the sample's first record is the header although it is not as
/// wide as most rows: it reads like column names, and the first row of the
/// usual width does not (that one would be the header below a title).
fn first_is_header(records: &[csv::ByteRecord], width: usize, min_width: usize) -> bool {
    let names = |r: &csv::ByteRecord| {
        let cells: Vec<String> = r
            .iter()
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        r.len() >= min_width && reads_like_names(cells.iter().map(String::as_str))
    };
    let Some(first) = records.first() else {
        return false;
    };
    let wide = records.iter().find(|r| r.len() == width);
    names(first) && !(first.len() < width && wide.is_some_and(names))
}

/// Whether, after the header, the rows are as wide as the table up to the
/// last full one, and only narrower (but still split) after it, with more
/// full rows than short ones.
fn has_short_tail(body: &[csv::ByteRecord], width: usize, min_width: usize) -> bool {
    let rows = body.get(1..).unwrap_or_default();
    let Some(last_full) = rows.iter().rposition(|r| r.len() == width) else {
        return false;
    };
    let (full, tail) = rows.split_at(last_full + 1);
    let same = full.iter().filter(|r| r.len() == width).count();
    full.len() >= 3
        && same as f64 >= MIN_CONSISTENCY * full.len() as f64
        && !tail.is_empty()
        && tail.len() < same
        && tail.iter().all(|r| (min_width..width).contains(&r.len()))
}

/// How well `delimiter` fits a sample: the most common record width is the
/// table's, and its first record is the header, unless the first record
/// reads like column names (rows below a header can be ragged).
fn fit(text: &str, delimiter: u8) -> Option<Dialect> {
    let records: Vec<csv::ByteRecord> = reader(text, delimiter)
        .into_byte_records()
        .take(SNIFF_RECORDS)
        .map_while(Result::ok)
        .collect();
    let mut counts: Vec<(usize, usize)> = Vec::new();
    for r in &records {
        match counts.iter_mut().find(|(w, _)| *w == r.len()) {
            Some((_, n)) => *n += 1,
            None => counts.push((r.len(), 1)),
        }
    }
    let min_width = if delimiter == b':' { 3 } else { 2 };
    let &(width, _) = counts
        .iter()
        .filter(|(w, _)| *w >= min_width)
        .max_by_key(|(w, n)| (*n, *w))?;
    let header_index = if first_is_header(&records, width, min_width) {
        0
    } else {
        records.iter().position(|r| r.len() == width)?
    };
    let body = &records[header_index..];
    let same = body[1..].iter().filter(|r| r.len() == width).count();
    let (mut cells, mut spaced) = (0usize, 0usize);
    for cell in body.iter().flat_map(|r| r.iter().skip(1)) {
        cells += 1;
        spaced += usize::from(cell.first() == Some(&b' '));
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    Some(Dialect {
        delimiter,
        header_index,
        consistency: ratio(same, body.len() - 1),
        width,
        spaced: ratio(spaced, cells),
        short_tail: has_short_tail(body, width, min_width),
    })
}

/// The dialect of `text`, when it is a table. `named_table` (a .csv or .tsv
/// name) relaxes the consistency a table must show.
pub(super) fn sniff(text: &str, named_table: bool) -> Option<Dialect> {
    // Highest consistency wins, then the widest header; on a tie the
    // delimiter listed first wins.
    let mut best: Option<Dialect> = None;
    for &d in DELIMITERS {
        if let Some(found) = fit(text, d) {
            if best.is_none_or(|b| found.beats(&b)) {
                best = Some(found);
            }
        }
    }
    match best {
        Some(d) if named_table || d.looks_like_table() => Some(d),
        None if named_table && !text.trim().is_empty() => Some(Dialect {
            delimiter: b',',
            header_index: 0,
            consistency: 0.0,
            width: 1,
            spaced: 0.0,
            short_tail: false,
        }),
        _ => None,
    }
}

/// The cell separator a space-aligned table is rewritten with (ASCII unit
/// separator, which never occurs in text).
pub(super) const ALIGNED: u8 = 0x1F;

/// The cells of a space-aligned line: separated by runs of two or more
/// spaces.
fn aligned_cells(line: &str) -> impl Iterator<Item = &str> {
    line.trim()
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
}

/// A table whose columns are aligned with spaces (a printed report, `psql`
/// output), rewritten with [`ALIGNED`] between cells; line breaks and so
/// line numbers are kept. `None` unless at least three lines, 80% of them,
/// have the same number (two or more) of cells.
pub(super) fn space_aligned(text: &str) -> Option<String> {
    let sample: Vec<usize> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(SNIFF_RECORDS)
        .map(|l| aligned_cells(l).count())
        .collect();
    if sample.len() < 3 {
        return None;
    }
    let width = sample[0];
    let same = sample.iter().filter(|&&w| w == width).count();
    if width < 2 || (same as f64) < MIN_CONSISTENCY * sample.len() as f64 {
        return None;
    }
    let separator = char::from(ALIGNED).to_string();
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let cells: Vec<&str> = aligned_cells(body).collect();
        out.push_str(&cells.join(&separator));
        out.push_str(&line[body.len()..]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_delimiters() {
        assert_eq!(
            sniff("a;b;c\n1;2;3\n4;5;6\n", false).unwrap().delimiter,
            b';'
        );
        assert_eq!(sniff("a\tb\n1\t2\n", false).unwrap().delimiter, b'\t');
        assert_eq!(sniff("a:b:c\n1:2:3\n", false).unwrap().delimiter, b':');
        assert!(sniff("Name: Ada\nEmail: ada@example.com\n", false).is_none());
    }

    #[test]
    fn space_aligned_reports() {
        let report = "name           email               plan\nAda Lovelace   ada@example.com     pro\nGrace Hopper   grace@example.org   free\n";
        let rewritten = space_aligned(report).unwrap();
        assert_eq!(
            rewritten.lines().nth(1),
            Some("Ada Lovelace\u{1f}ada@example.com\u{1f}pro")
        );
        assert!(space_aligned("One sentence.  Two spaces after it.\nAnother line\n").is_none());
    }

    #[test]
    fn title_lines_come_before_the_header() {
        let text =
            "Customer export\nGenerated 2024-03-01\nname,email,plan\nAda,a@x,pro\nBob,b@x,free\n";
        let d = sniff(text, false).unwrap();
        assert_eq!((d.delimiter, d.header_index), (b',', 2));
        let titled = "Report, March\nname,email,plan\nAda,a@x,pro\nBob,b@x,free\n";
        assert_eq!(sniff(titled, true).unwrap().header_index, 1);
    }

    #[test]
    fn names_on_the_first_line_stay_the_header_over_ragged_rows() {
        let text = "id,name,amount\n1,Ada\n2,Bob,10,late,x\n3,Cy,5,paid,y\n4,Di\n";
        assert_eq!(sniff(text, true).unwrap().header_index, 0);
    }

    #[test]
    fn a_table_whose_last_lines_are_short_is_a_table() {
        let full = "a|b|c\n1|2|3\n4|5|6\n7|8|9\n";
        let d = sniff(&format!("{full}10|11\n12|13\n"), false).unwrap();
        assert_eq!((d.delimiter, d.header_index), (b'|', 0));
        // Short lines in the middle, or more short lines than full ones,
        // are not a short tail.
        assert!(sniff("a|b|c\n1|2\n3|4\n5|6|7\n", false).is_none());
        assert!(sniff("a|b|c\n1|2|3\n4|5|6\n7|8|9\n1|2\n3|4\n5|6\n7|8\n", false).is_none());
    }
}

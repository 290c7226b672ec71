//! Trimming a table (columns the contract does not use, blank and
//! duplicate rows, long cells, white space) and writing it compactly for
//! the model.

use crate::contract::{ExtraColumns, PrepareSpec, TableFormat, TableSpec};
use crate::ingest::csv_lines;
use crate::messages::prepare;
use crate::schema::ColumnMap;
use crate::Step;
use crate::StepKind;

use crate::Table;
use std::collections::HashSet;

/// A trimmed table: the kept columns and rows, and where each row came
/// from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rows {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// For each kept row, its index among the table's data rows.
    pub source: Vec<usize>,
}

/// Trims `table` under the contract's table spec (if any) and prepare
/// settings, returning the kept rows and the steps that changed them.
pub(crate) fn trim(
    table: &Table,
    spec: Option<&TableSpec>,
    prep: &PrepareSpec,
) -> (Rows, Vec<Step>) {
    let mut steps = Vec::new();
    let width = table
        .rows
        .iter()
        .map(Vec::len)
        .chain([table.headers.len()])
        .max()
        .unwrap_or(0);
    let mut headers = table.headers.clone();
    // Cells past the header row get a name rather than being dropped.
    for n in headers.len()..width {
        headers.push(format!("column {}", n + 1));
    }
    let mut keep = vec![true; width];
    if let Some(spec) = spec.filter(|s| s.extra_columns != ExtraColumns::Allow) {
        let map = ColumnMap::new(spec, table);
        for (k, declared) in keep.iter_mut().zip(&map.declared) {
            *k = *declared;
        }
        for k in keep.iter_mut().skip(map.declared.len()) {
            *k = false;
        }
        let removed: Vec<String> = headers
            .iter()
            .zip(&keep)
            .filter(|(_, k)| !**k)
            .map(|(h, _)| {
                if h.trim().is_empty() {
                    "(no name)".to_owned()
                } else {
                    h.clone()
                }
            })
            .collect();
        if !removed.is_empty() {
            let n = removed.len() as u64;
            steps.push(
                Step::new(
                    StepKind::ColumnsRemoved,
                    n,
                    prepare::columns_removed(&removed),
                )
                .with_items(removed),
            );
        }
    }
    let pick = |cells: &[String]| -> Vec<String> {
        (0..width)
            .filter(|&i| keep[i])
            .map(|i| cells.get(i).map(String::as_str).unwrap_or(""))
            .map(str::to_owned)
            .collect()
    };
    let headers = pick(&headers);
    let mut spaces = 0u64;
    let mut blank = Vec::new();
    let mut duplicate = Vec::new();
    let mut seen: HashSet<Vec<String>> = HashSet::new();
    let mut rows = Vec::new();
    let mut source = Vec::new();
    for (index, row) in table.rows.iter().enumerate() {
        let cells: Vec<String> = pick(row)
            .into_iter()
            .map(|c| {
                let tidy = tidy_cell(&c);
                spaces += (c.chars().count() - tidy.chars().count()) as u64;
                tidy
            })
            .collect();
        if cells.iter().all(String::is_empty) {
            blank.push(index);
        } else if !seen.insert(cells.clone()) {
            duplicate.push(index);
        } else {
            rows.push(cells);
            source.push(index);
        }
    }
    if spaces > 0 {
        steps.push(
            Step::new(
                StepKind::WhitespaceCollapsed,
                spaces,
                prepare::cell_whitespace_removed(spaces),
            )
            .with_chars(spaces),
        );
    }
    for (kind, list, words) in [
        (
            StepKind::BlankRowsRemoved,
            &blank,
            prepare::blank_rows_removed as fn(u64) -> String,
        ),
        (
            StepKind::DuplicateRowsRemoved,
            &duplicate,
            prepare::duplicate_rows_removed,
        ),
    ] {
        if !list.is_empty() {
            let n = list.len() as u64;
            steps.push(
                Step::new(kind, n, words(n)).with_at(list.iter().map(|&i| table.location(i, None))),
            );
        }
    }
    let max = prep.max_cell_chars as usize;
    let mut cut = Vec::new();
    let mut cut_chars = 0u64;
    for (r, row) in rows.iter_mut().enumerate() {
        for (c, cell) in row.iter_mut().enumerate() {
            if let Some((short, removed)) = shorten(cell, max) {
                *cell = short;
                cut_chars += removed as u64;
                cut.push(table.location(source[r], Some(&headers[c])));
            }
        }
    }
    if !cut.is_empty() {
        let n = cut.len() as u64;
        let step = Step::new(
            StepKind::CellsShortened,
            n,
            prepare::cells_shortened(n, max as u64, cut_chars),
        )
        .with_at(cut)
        .with_chars(cut_chars);
        steps.push(step);
    }
    (
        Rows {
            headers,
            rows,
            source,
        },
        steps,
    )
}

/// A cell's value with its white space trimmed and runs collapsed.
fn tidy_cell(cell: &str) -> String {
    let mut out = String::with_capacity(cell.len());
    for word in cell.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// `cell` cut to at most `max` characters, marker included, and how many
/// characters were removed; `None` when it already fits.
fn shorten(cell: &str, max: usize) -> Option<(String, usize)> {
    let len = cell.chars().count();
    if len <= max {
        return None;
    }
    let mut keep = max.saturating_sub(16);
    loop {
        let marker = format!(" [cut {} characters]", len - keep);
        let total = keep + marker.chars().count();
        if total <= max || keep == 0 {
            let head: String = cell.chars().take(keep).collect();
            return Some((format!("{head}{marker}"), len - keep));
        }
        keep -= (total - max).min(keep);
    }
}

/// A table written in a format, as pieces that whole rows can be packed
/// from: `head`, then rows joined by `sep`, then `tail`.
pub(crate) struct Written {
    pub head: String,
    pub rows: Vec<String>,
    pub sep: &'static str,
    pub tail: &'static str,
}

impl Written {
    /// Rows `first..end`, with the head and tail.
    pub fn render(&self, first: usize, end: usize) -> String {
        let mut out = self.head.clone();
        out.push_str(&self.rows[first..end].join(self.sep));
        out.push_str(self.tail);
        out
    }

    /// Every row.
    pub fn all(&self) -> String {
        self.render(0, self.rows.len())
    }
}

/// Writes `rows` in `format`.
pub(crate) fn write(rows: &Rows, format: TableFormat) -> Written {
    match format {
        TableFormat::Csv => {
            let mut lines = csv_lines(std::iter::once(&rows.headers).chain(&rows.rows)).into_iter();
            Written {
                head: lines.next().unwrap_or_default(),
                rows: lines.collect(),
                sep: "",
                tail: "",
            }
        }
        TableFormat::Markdown => {
            let line = |cells: &[String]| {
                let mut out = String::from("|");
                for c in cells {
                    out.push(' ');
                    out.push_str(&c.replace('|', "\\|"));
                    out.push_str(" |");
                }
                out.push('\n');
                out
            };
            let mut head = line(&rows.headers);
            head.push('|');
            for _ in &rows.headers {
                head.push_str(" --- |");
            }
            head.push('\n');
            Written {
                head,
                rows: rows.rows.iter().map(|r| line(r)).collect(),
                sep: "",
                tail: "",
            }
        }
        TableFormat::Json => {
            let keys: Vec<String> = rows
                .headers
                .iter()
                .map(|h| serde_json::to_string(h).unwrap_or_default())
                .collect();
            let record = |cells: &[String]| {
                let fields: Vec<String> = keys
                    .iter()
                    .zip(cells)
                    .map(|(k, v)| format!("{k}:{}", serde_json::to_string(v).unwrap_or_default()))
                    .collect();
                format!("{{{}}}", fields.join(","))
            };
            Written {
                head: "[".to_owned(),
                rows: rows.rows.iter().map(|r| record(r)).collect(),
                sep: ",\n",
                tail: "]",
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortened_cells_fit_and_stay_put() {
        let long = "x".repeat(5000);
        let (short, removed) = shorten(&long, 100).unwrap();
        assert_eq!(short.chars().count(), 100);
        assert_eq!(removed, 5000 - short.find(' ').unwrap());
        assert!(short.ends_with(&format!("[cut {removed} characters]")));
        assert_eq!(shorten(&short, 100), None);
    }

    #[test]
    fn formats() {
        let rows = Rows {
            headers: vec!["a".into(), "b|c".into()],
            rows: vec![vec!["1".into(), "x,y".into()]],
            source: vec![0],
        };
        assert_eq!(write(&rows, TableFormat::Csv).all(), "a,b|c\n1,\"x,y\"\n");
        assert_eq!(
            write(&rows, TableFormat::Markdown).all(),
            "| a | b\\|c |\n| --- | --- |\n| 1 | x,y |\n"
        );
        assert_eq!(
            write(&rows, TableFormat::Json).all(),
            "[{\"a\":\"1\",\"b|c\":\"x,y\"}]"
        );
    }
}

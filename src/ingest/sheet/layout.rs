//! Finding a sheet's header and turning its rows into a [`Table`], with the
//! issues a person should know about.

use super::grid::{a1, column_letters, Cell, Grid, Kind, Overflow};
use crate::ingest::header::reads_like_names;
use crate::{messages::issue, Issue, Limits, Location, SheetInfo, Table};

/// Rows looked at, from the top, to find the header.
const HEADER_SEARCH_ROWS: usize = 30;

/// Where a sheet's header is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Header {
    /// The 0-based sheet row of the header (of the first data row when
    /// `missing`).
    pub row: u32,
    /// The first column of the table.
    pub first_col: u32,
    pub names: Vec<String>,
    /// The first row looks like data: the columns are named by letter.
    pub missing: bool,
    /// Non-empty rows above the header were skipped.
    pub skipped: bool,
    /// The sheet row after the last data row: notes below the data (a
    /// source, a total line) are not rows of the table.
    pub end: u32,
}

/// Shortest text of a lone cell below the data that is a note, not a value.
const NOTE_CHARS: usize = 30;

/// Whether a row below the data is a note ("Source: …", a total line): one
/// text cell, no further right than the header starts, that is long, has
/// several words or a colon. A table of one column has no notes.
fn is_note(cells: &[(u32, Cell)], header_start: u32, width: usize) -> bool {
    let [(col, cell)] = cells else {
        return false;
    };
    width >= 2
        && *col <= header_start
        && cell.kind == Kind::Text
        && (cell.text.chars().count() >= NOTE_CHARS
            || cell.text.contains(':')
            || cell.text.split_whitespace().count() >= 4)
}

fn count(cells: &[(u32, Cell)], kinds: &[Kind]) -> usize {
    cells
        .iter()
        .filter(|(_, c)| kinds.contains(&c.kind))
        .count()
}

/// The text cells of a row.
fn texts(cells: &[(u32, Cell)]) -> impl Iterator<Item = &str> {
    cells
        .iter()
        .filter(|(_, c)| c.kind == Kind::Text)
        .map(|(_, c)| c.text.as_str())
}

/// Finds the header: among the rows from the top with text in at least
/// half of the used columns (while the rows above them are narrow: titles,
/// notes), the first that reads like column names and is not just above a
/// wider row of names (a title or a sentence spread over the cells sits
/// above the header). When none reads like names, the first such row.
pub(super) fn find_header(grid: &Grid) -> Option<Header> {
    let (first_row, _, min_col, max_col) = grid.bounds()?;
    let used = (max_col - min_col) as usize + 1;
    let need = used.div_ceil(2).max(1);
    let mut candidates = Vec::new();
    for (&row, cells) in grid.rows.iter().take(HEADER_SEARCH_ROWS) {
        if count(cells, &[Kind::Text]) >= need {
            candidates.push(row);
        } else if cells.len() >= need {
            // A wide row of numbers: data, so the header is above it (or
            // there is none).
            break;
        }
    }
    let names = |row: u32| {
        let cells = grid.rows.get(&row).map_or(&[][..], Vec::as_slice);
        reads_like_names(texts(cells)).then_some(cells.len())
    };
    let below_wider_names = |row: u32| {
        let width = grid.rows.get(&row).map_or(0, Vec::len);
        grid.rows
            .range(row.saturating_add(1)..)
            .next()
            .and_then(|(&next, _)| names(next))
            .is_some_and(|next_width| next_width > width)
    };
    let found = candidates
        .iter()
        .copied()
        .find(|&row| names(row).is_some() && !below_wider_names(row))
        .or_else(|| candidates.first().copied());
    let (row, missing) = match found {
        Some(row) => (row, false),
        None => {
            let cells = grid.rows.get(&first_row)?;
            let data = count(cells, &[Kind::Number, Kind::Date, Kind::Bool]);
            (first_row, data > count(cells, &[Kind::Text]))
        }
    };
    let header_cells = grid.rows.get(&row)?;
    let header_start = header_cells.first().map_or(min_col, |(c, _)| *c);
    let mut end = grid
        .rows
        .last_key_value()
        .map_or(row, |(&r, _)| r)
        .saturating_add(1);
    for (&r, cells) in grid.rows.range(row.saturating_add(1)..).rev() {
        if missing || !is_note(cells, header_start, header_cells.len()) {
            break;
        }
        end = r;
    }
    let below = grid
        .rows
        .range(row.saturating_add(1)..end)
        .filter_map(|(_, cells)| cells.first().map(|(c, _)| *c));
    let first_col = header_cells
        .first()
        .map(|(c, _)| *c)
        .into_iter()
        .chain(below)
        .min()
        .unwrap_or(min_col);
    let names = if missing {
        (first_col..=max_col).map(column_letters).collect()
    } else {
        let last = header_cells.last().map_or(first_col, |(c, _)| *c);
        let mut names = vec![String::new(); (last - first_col) as usize + 1];
        for (c, cell) in header_cells {
            if let Some(slot) = names.get_mut((c - first_col) as usize) {
                slot.clone_from(&cell.text);
            }
        }
        names
    };
    Some(Header {
        row,
        first_col,
        names,
        missing,
        skipped: row > first_row,
        end,
    })
}

/// What is known about a sheet, for the report.
pub(super) fn sheet_info(grid: &Grid, header: Option<&Header>) -> SheetInfo {
    let (rows, columns) = grid.bounds().map_or((0, 0), |(r0, r1, c0, c1)| {
        (u64::from(r1 - r0) + 1, u64::from(c1 - c0) + 1)
    });
    let found = header.filter(|h| !h.missing);
    SheetInfo {
        name: grid.name.clone(),
        visible: grid.visible,
        rows,
        columns,
        used_range: grid
            .bounds()
            .map(|(r0, r1, c0, c1)| super::grid::a1_range((r0, c0), (r1, c1))),
        header_row: found.map(|h| u64::from(h.row) + 1),
        headers: found.map(|h| h.names.clone()).unwrap_or_default(),
        merged: grid.merged.clone(),
        formulas: grid.formulas,
        error_cells: grid.error_cells(),
    }
}

/// A place on the sheet, as users count: 1-based row, column by name.
fn at(sheet: &str, row: u32, column: String) -> Location {
    Location {
        sheet: Some(sheet.to_owned()),
        row: Some(u64::from(row) + 1),
        column: Some(column),
        line: None,
    }
}

/// The column's header name, or its letter when it has none.
fn column_name(header: &Header, col: u32) -> String {
    col.checked_sub(header.first_col)
        .and_then(|i| header.names.get(i as usize))
        .filter(|n| !n.trim().is_empty())
        .cloned()
        .unwrap_or_else(|| column_letters(col))
}

/// The selected sheet as a table, with its issues.
pub(super) fn table(
    grid: &Grid,
    header: &Header,
    limits: &Limits,
) -> Result<(Table, Vec<Issue>), Overflow> {
    let sheet = grid.name.as_str();
    let mut issues = Vec::new();
    let width = header.names.len();
    let first_data = if header.missing {
        header.row
    } else {
        header.row.saturating_add(1)
    };
    let data_rows = grid
        .rows
        .range(first_data..header.end.max(first_data))
        .count() as u64;
    if data_rows > limits.max_rows {
        return Err(Overflow {
            found: data_rows,
            max: limits.max_rows,
            unit: "rows",
        });
    }
    let cells = data_rows.saturating_mul(width as u64);
    if cells > limits.max_cells {
        return Err(Overflow {
            found: cells,
            max: limits.max_cells,
            unit: "cells",
        });
    }
    let mut table = Table {
        sheet: Some(sheet.to_owned()),
        delimiter: b',',
        header_line: u64::from(header.row) + 1,
        headers: header.names.clone(),
        rows: Vec::with_capacity(data_rows as usize),
        row_lines: Vec::with_capacity(data_rows as usize),
        reported_cells: Vec::new(),
    };
    let (mut blank, mut first_blank) = (0u64, None);
    let mut expected = first_data;
    for (&row, cells) in grid.rows.range(first_data..header.end.max(first_data)) {
        if row > expected {
            blank += u64::from(row - expected);
            first_blank.get_or_insert(expected);
        }
        expected = row.saturating_add(1);
        let last = cells
            .last()
            .map_or(0, |(c, _)| (c.saturating_sub(header.first_col)) as usize);
        let mut out = vec![String::new(); width.max(last + 1)];
        for (c, cell) in cells {
            // Cells left of the table's first column cannot occur: the
            // first column is the leftmost used one below the header.
            let Some(i) = c.checked_sub(header.first_col) else {
                continue;
            };
            if let Some(slot) = out.get_mut(i as usize) {
                slot.clone_from(&cell.text);
                if let Some(code) = cell.reported {
                    table
                        .reported_cells
                        .push((table.rows.len(), i as usize, code));
                }
            }
        }
        table.rows.push(out);
        table.row_lines.push(u64::from(row) + 1);
    }

    let header_at = |col: u32| at(sheet, header.row, column_letters(col));
    if header.missing {
        let first: Vec<&str> = grid
            .rows
            .get(&header.row)
            .map(|cells| cells.iter().map(|(_, c)| c.text.as_str()).collect())
            .unwrap_or_default();
        let mut found = issue::no_header(&first.join(", "), u64::from(header.row) + 1);
        found.at = Some(Location {
            column: None,
            ..header_at(header.first_col)
        });
        issues.push(found);
    } else {
        if header.skipped {
            let mut found = issue::header_not_first_row(
                u64::from(header.row) + 1,
                u64::from(header.row),
                "row",
            );
            found.at = Some(Location {
                column: None,
                ..header_at(header.first_col)
            });
            issues.push(found);
        }
        check_headers(header, sheet, &mut issues);
    }
    if let Some(row) = first_blank {
        issues.push(issue::blank_rows(
            blank,
            Location {
                sheet: Some(sheet.to_owned()),
                row: Some(u64::from(row) + 1),
                ..Location::default()
            },
        ));
    }
    if !grid.merged.is_empty() {
        issues.push(issue::merged_cells(sheet, &grid.merged));
    }
    if let Some((row, col, value)) = grid.errors.first() {
        issues.push(issue::formula_error(
            sheet,
            grid.error_count,
            &a1(*row, *col),
            value,
            at(sheet, *row, column_name(header, *col)),
        ));
    }
    if let Some(bad) = grid.bad_dates.first() {
        issues.push(issue::date_out_of_range(
            sheet,
            grid.bad_date_count,
            &a1(bad.row, bad.col),
            &super::grid::format_number(bad.serial),
            at(sheet, bad.row, column_name(header, bad.col)),
        ));
    }
    Ok((table, issues))
}

/// Blank and repeated header names, as for delimited text.
fn check_headers(header: &Header, sheet: &str, issues: &mut Vec<Issue>) {
    let line = u64::from(header.row) + 1;
    for (i, mut found) in crate::ingest::header::header_issues(&header.names, line) {
        let col = header.first_col.saturating_add(i as u32);
        found.at = Some(at(sheet, header.row, column_column(&header.names[i], col)));
        issues.push(found);
    }
}

fn column_column(name: &str, col: u32) -> String {
    if name.trim().is_empty() {
        column_letters(col)
    } else {
        name.trim().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::super::grid::Value;
    use super::*;

    fn grid(rows: &[&[(u32, Value)]], start: u32) -> Grid {
        let mut g = Grid::new("S", true);
        for (i, cells) in rows.iter().enumerate() {
            for (c, v) in cells.iter() {
                g.push(start + i as u32, *c, v.clone(), &Limits::default())
                    .unwrap();
            }
        }
        g
    }

    fn t(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn skips_title_rows_above_the_header() {
        let g = grid(
            &[
                &[(1, t("Customer list"))],
                &[],
                &[(1, t("name")), (2, t("email")), (3, t("plan"))],
                &[(1, t("Ada")), (3, t("pro"))],
                &[],
                &[(1, t("Bob")), (2, t("b@x")), (3, Value::Int(3))],
            ],
            0,
        );
        let h = find_header(&g).unwrap();
        assert_eq!(
            (h.row, h.first_col, h.skipped, h.missing),
            (2, 1, true, false)
        );
        let (table, issues) = table(&g, &h, &Limits::default()).unwrap();
        assert_eq!(table.header_line, 3);
        assert_eq!(
            table.rows,
            vec![vec!["Ada", "", "pro"], vec!["Bob", "b@x", "3"]]
        );
        assert_eq!(table.row_lines, vec![4, 6]);
        let codes: Vec<_> = issues.iter().map(|i| i.code.as_str()).collect();
        assert_eq!(codes, vec!["header_not_first_row", "blank_rows"]);
        assert_eq!(issues[1].at.as_ref().unwrap().row, Some(5));
    }

    #[test]
    fn a_title_spread_over_cells_and_notes_below_are_not_the_table() {
        let g = grid(
            &[
                &[(0, t("Sales report")), (2, t("first quarter"))],
                &[(0, t("region")), (1, t("orders")), (2, t("revenue"))],
                &[(0, t("North")), (1, Value::Int(3)), (2, Value::Number(1.5))],
                &[(0, t("Ada Lovelace"))],
                &[],
                &[(0, t("Source: the monthly close"))],
            ],
            0,
        );
        let h = find_header(&g).unwrap();
        assert_eq!((h.row, h.end, h.missing), (1, 5, false));
        let (table, _) = table(&g, &h, &Limits::default()).unwrap();
        assert_eq!(table.row_lines, vec![3, 4], "a short last row is data");
    }

    #[test]
    fn numbers_first_means_no_header() {
        let g = grid(
            &[
                &[(0, Value::Int(1)), (1, Value::Number(2.5))],
                &[(0, Value::Int(3)), (1, Value::Int(4))],
            ],
            0,
        );
        let h = find_header(&g).unwrap();
        assert!(h.missing);
        assert_eq!(h.names, vec!["A", "B"]);
        let (table, issues) = table(&g, &h, &Limits::default()).unwrap();
        assert_eq!(table.rows.len(), 2);
        assert_eq!(issues[0].code.as_str(), "no_header");
    }

    #[test]
    fn table_limits_count_data_rows_and_cells() {
        let g = grid(
            &[
                &[(0, t("a")), (1, t("b"))],
                &[(0, Value::Int(1))],
                &[(0, Value::Int(2))],
            ],
            0,
        );
        let h = find_header(&g).unwrap();
        let limits = Limits {
            max_rows: 1,
            ..Limits::default()
        };
        assert_eq!(table(&g, &h, &limits).unwrap_err().unit, "rows");
        let limits = Limits {
            max_cells: 3,
            ..Limits::default()
        };
        assert_eq!(table(&g, &h, &limits).unwrap_err().unit, "cells");
    }
}

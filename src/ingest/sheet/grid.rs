//! A sheet's cells as read: sparse, in sheet order, bounded by the limits.
//! Every format's reader turns its cells into [`Value`]s and pushes them
//! here, so limits, dates and error cells are handled once.

use crate::{Code, ErrorCell, Limits};
use std::collections::BTreeMap;

/// Error cells listed per sheet; the issue gives the total count.
pub(super) const MAX_LISTED_ERRORS: usize = 50;
/// Serials beyond this are past 9999-12-31 in either date system.
const MAX_SERIAL: f64 = 2_958_466.0;

/// A cell value as a reader found it, before formatting.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    Empty,
    Text(String),
    Number(f64),
    Int(i64),
    Bool(bool),
    /// A date-formatted serial number (or a duration).
    Serial {
        value: f64,
        is_1904: bool,
        duration: bool,
    },
    /// A date or time already written in ISO 8601 (OpenDocument).
    Iso(String),
    /// An error value such as `#DIV/0!`.
    Error(String),
}

/// What a stored cell holds, for telling headers from data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Text,
    Number,
    Bool,
    Date,
    Error,
}

/// A non-empty cell, formatted as the table will show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Cell {
    pub text: String,
    pub kind: Kind,
    /// The issue that reports the cell itself (a formula error, or a date
    /// cell whose value is not a date), so the schema check leaves it alone.
    pub reported: Option<Code>,
}

/// A limit was crossed while reading: `found` of `unit` against `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Overflow {
    pub found: u64,
    pub max: u64,
    pub unit: &'static str,
}

/// A date-formatted cell whose serial is not a date we can write.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct BadDate {
    pub row: u32,
    pub col: u32,
    pub serial: f64,
}

/// One sheet's cells and what was noticed while reading them.
#[derive(Debug, Clone, Default)]
pub(super) struct Grid {
    pub name: String,
    pub visible: bool,
    /// Non-empty cells by 0-based row, each row in column order.
    pub rows: BTreeMap<u32, Vec<(u32, Cell)>>,
    pub cells: u64,
    pub formulas: u64,
    /// Error cells: (row, col, value); all of them, capped when reported.
    pub errors: Vec<(u32, u32, String)>,
    pub error_count: u64,
    pub bad_dates: Vec<BadDate>,
    pub bad_date_count: u64,
    /// Merged ranges in A1 notation.
    pub merged: Vec<String>,
}

impl Grid {
    pub(super) fn new(name: &str, visible: bool) -> Self {
        Grid {
            name: name.to_owned(),
            visible,
            ..Grid::default()
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Adds the cell at 0-based `(row, col)`, or says which limit it crosses.
    pub(super) fn push(
        &mut self,
        row: u32,
        col: u32,
        value: Value,
        limits: &Limits,
    ) -> Result<(), Overflow> {
        let Some(cell) = self.format(row, col, value) else {
            return Ok(());
        };
        if u64::from(col) + 1 > limits.max_columns {
            return Err(Overflow {
                found: u64::from(col) + 1,
                max: limits.max_columns,
                unit: "columns",
            });
        }
        if !self.rows.contains_key(&row) && self.rows.len() as u64 > limits.max_rows {
            return Err(Overflow {
                found: self.rows.len() as u64 + 1,
                max: limits.max_rows,
                unit: "rows",
            });
        }
        self.cells += 1;
        if self.cells > limits.max_cells {
            return Err(Overflow {
                found: self.cells,
                max: limits.max_cells,
                unit: "cells",
            });
        }
        let cells = self.rows.entry(row).or_default();
        // Readers give cells in order; keep it so if one does not.
        match cells.last() {
            Some((last, _)) if *last >= col => {
                match cells.binary_search_by_key(&col, |(c, _)| *c) {
                    Ok(i) => cells[i].1 = cell,
                    Err(i) => cells.insert(i, (col, cell)),
                }
            }
            _ => cells.push((col, cell)),
        }
        Ok(())
    }

    /// Formats a value; `None` for empty cells. Records errors and bad dates.
    fn format(&mut self, row: u32, col: u32, value: Value) -> Option<Cell> {
        let mut reported = None;
        let (text, kind) = match value {
            Value::Empty => return None,
            Value::Text(t) => {
                if t.trim().is_empty() {
                    return None;
                }
                (t, Kind::Text)
            }
            Value::Number(n) => (format_number(n), Kind::Number),
            Value::Int(i) => (i.to_string(), Kind::Number),
            Value::Bool(b) => ((if b { "TRUE" } else { "FALSE" }).to_owned(), Kind::Bool),
            Value::Serial {
                value,
                is_1904,
                duration,
            } => {
                let text = if duration {
                    format_duration(value)
                } else {
                    serial_to_iso(value, is_1904)
                };
                match text {
                    Some(t) => (t, Kind::Date),
                    None => {
                        self.bad_date_count += 1;
                        if self.bad_dates.len() < MAX_LISTED_ERRORS {
                            self.bad_dates.push(BadDate {
                                row,
                                col,
                                serial: value,
                            });
                        }
                        reported = Some(Code::DateOutOfRange);
                        (format_number(value), Kind::Number)
                    }
                }
            }
            Value::Iso(t) => (t, Kind::Date),
            Value::Error(e) => {
                self.error_count += 1;
                if self.errors.len() < MAX_LISTED_ERRORS {
                    self.errors.push((row, col, e.clone()));
                }
                reported = Some(Code::FormulaError);
                (e, Kind::Error)
            }
        };
        Some(Cell {
            text,
            kind,
            reported,
        })
    }

    /// The used range: (first row, last row, first col, last col), 0-based.
    pub(super) fn bounds(&self) -> Option<(u32, u32, u32, u32)> {
        let (&first, _) = self.rows.first_key_value()?;
        let (&last, _) = self.rows.last_key_value()?;
        let cols = self.rows.values().flat_map(|r| r.iter().map(|(c, _)| *c));
        let (lo, hi) = cols.fold((u32::MAX, 0), |(lo, hi), c| (lo.min(c), hi.max(c)));
        Some((first, last, lo, hi))
    }

    /// Error cells as reported: at most [`MAX_LISTED_ERRORS`].
    pub(super) fn error_cells(&self) -> Vec<ErrorCell> {
        self.errors
            .iter()
            .take(MAX_LISTED_ERRORS)
            .map(|(r, c, v)| ErrorCell {
                cell: a1(*r, *c),
                value: v.clone(),
            })
            .collect()
    }
}

/// A number as a spreadsheet shows it in general format: integers without a
/// trailing `.0`.
pub(super) fn format_number(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// The column letters of a 0-based column: 0 → `A`, 27 → `AB`.
pub(super) fn column_letters(col: u32) -> String {
    let mut n = u64::from(col) + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        out.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// A cell address in A1 notation from 0-based `(row, col)`.
pub(super) fn a1(row: u32, col: u32) -> String {
    format!("{}{}", column_letters(col), u64::from(row) + 1)
}

/// A range in A1 notation, e.g. `B4:E4`.
pub(super) fn a1_range(start: (u32, u32), end: (u32, u32)) -> String {
    format!("{}:{}", a1(start.0, start.1), a1(end.0, end.1))
}

/// An Excel serial date as ISO 8601: `YYYY-MM-DD`, with `THH:MM:SS` when
/// there is a time, or `HH:MM:SS` for a time alone (serial below 1).
/// `None` when the serial is negative or past 9999-12-31.
///
/// In the 1900 system serial 1 is 1900-01-01 and, as in Excel (which took
/// 1900 for a leap year), serial 60 is 1900-02-29 and later serials are one
/// day ahead. In the 1904 system serial 0 is 1904-01-01.
pub(super) fn serial_to_iso(serial: f64, is_1904: bool) -> Option<String> {
    if !serial.is_finite() || !(0.0..MAX_SERIAL).contains(&serial) {
        return None;
    }
    let total = (serial * 86_400.0).round() as i64;
    let (days, secs) = (total.div_euclid(86_400), total.rem_euclid(86_400));
    let time = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if days == 0 && total > 0 {
        return Some(time);
    }
    // Days from 1970-01-01 to each system's day zero.
    let (y, m, d) = if is_1904 {
        crate::contract::civil_date(days - 24_107)
    } else if days == 60 {
        (1900, 2, 29)
    } else if days < 60 {
        crate::contract::civil_date(days - 25_568)
    } else {
        crate::contract::civil_date(days - 25_569)
    };
    if y > 9999 {
        return None;
    }
    let date = format!("{y:04}-{m:02}-{d:02}");
    Some(if secs == 0 {
        date
    } else {
        format!("{date}T{time}")
    })
}

/// A duration serial (days) as `H:MM:SS`.
fn format_duration(serial: f64) -> Option<String> {
    if !serial.is_finite() || serial.abs() > MAX_SERIAL {
        return None;
    }
    let total = (serial * 86_400.0).round() as i64;
    let sign = if total < 0 { "-" } else { "" };
    let t = total.abs();
    Some(format!(
        "{sign}{}:{:02}:{:02}",
        t / 3600,
        t / 60 % 60,
        t % 60
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_in_the_1900_system() {
        assert_eq!(serial_to_iso(1.0, false).as_deref(), Some("1900-01-01"));
        assert_eq!(serial_to_iso(59.0, false).as_deref(), Some("1900-02-28"));
        assert_eq!(serial_to_iso(60.0, false).as_deref(), Some("1900-02-29"));
        assert_eq!(serial_to_iso(61.0, false).as_deref(), Some("1900-03-01"));
        assert_eq!(serial_to_iso(45366.0, false).as_deref(), Some("2024-03-15"));
        assert_eq!(
            serial_to_iso(45943.5, false).as_deref(),
            Some("2025-10-13T12:00:00")
        );
        assert_eq!(serial_to_iso(0.75, false).as_deref(), Some("18:00:00"));
        assert_eq!(
            serial_to_iso(2_958_465.0, false).as_deref(),
            Some("9999-12-31")
        );
    }

    #[test]
    fn serials_in_the_1904_system() {
        assert_eq!(serial_to_iso(0.0, true).as_deref(), Some("1904-01-01"));
        assert_eq!(serial_to_iso(43904.0, true).as_deref(), Some("2024-03-15"));
    }

    #[test]
    fn out_of_range_serials_are_none() {
        assert_eq!(serial_to_iso(-1.0, false), None);
        assert_eq!(serial_to_iso(2_958_466.0, false), None);
        assert_eq!(serial_to_iso(2_957_004.0, true), None);
        assert_eq!(serial_to_iso(f64::NAN, false), None);
        assert_eq!(serial_to_iso(1e300, false), None);
    }

    #[test]
    fn numbers_and_addresses() {
        assert_eq!(format_number(42.0), "42");
        assert_eq!(format_number(-3.5), "-3.5");
        assert_eq!(format_number(0.1), "0.1");
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(16_383), "XFD");
        assert_eq!(a1_range((3, 1), (3, 4)), "B4:E4");
        assert_eq!(format_duration(1.5).as_deref(), Some("36:00:00"));
    }

    #[test]
    fn limits_stop_reading() {
        let limits = Limits {
            max_columns: 3,
            max_rows: 2,
            max_cells: 5,
            ..Limits::default()
        };
        let mut g = Grid::new("S", true);
        assert!(g.push(0, 0, Value::Text("a".into()), &limits).is_ok());
        let over = g.push(0, 3, Value::Int(1), &limits).unwrap_err();
        assert_eq!((over.found, over.unit), (4, "columns"));
        g.push(1, 0, Value::Int(1), &limits).unwrap();
        g.push(2, 0, Value::Int(1), &limits).unwrap();
        let over = g.push(3, 0, Value::Int(1), &limits).unwrap_err();
        assert_eq!(over.unit, "rows");
        g.push(0, 1, Value::Empty, &limits).unwrap();
        g.push(0, 2, Value::Error("#N/A".into()), &limits).unwrap();
        g.push(1, 1, Value::Bool(true), &limits).unwrap();
        assert_eq!(
            g.push(1, 2, Value::Int(3), &limits).unwrap_err().unit,
            "cells"
        );
        assert_eq!(g.error_cells()[0].cell, "C1");
    }
}

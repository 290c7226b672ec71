//! Reading each workbook format with calamine into [`Grid`]s.
//!
//! xlsx and xlsb are streamed cell by cell, so the limits stop reading as
//! soon as they are crossed. ods and xls are parsed whole by calamine; ods
//! is measured first (see `ods_scan`), xlsb checked first (see
//! `xlsb_scan`). Every call into calamine runs under the guard
//! (`ingest::guard`): a panic in it is a damaged file, not a crash.

use super::grid::{a1_range, Grid, Overflow, Value};
use super::ods_scan::TableScan;
use super::xlsb_scan::Scanned;
use crate::ingest::guard::{guarded, Reader as Guarded};
use crate::Limits;
use calamine::{
    Data, DataRef, Dimensions, ExcelDateTime, ExcelDateTimeType, Ods, Range, Reader, Sheet,
    SheetType, SheetVisible, Xls, XlsError, Xlsb, Xlsx,
};
use std::io::Cursor;

/// Why a workbook could not be read.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Failure {
    /// Damaged: what could not be read, in words.
    Corrupt(String),
    /// Protected with a password.
    Encrypted,
    /// A sheet crosses a limit.
    TooBig(Overflow),
}

fn serial(dt: &ExcelDateTime) -> Value {
    let ty = if dt.is_duration() {
        ExcelDateTimeType::TimeDelta
    } else {
        ExcelDateTimeType::DateTime
    };
    // calamine keeps the date system private; equality tells it.
    let is_1904 = *dt == ExcelDateTime::new(dt.as_f64(), ty, true);
    Value::Serial {
        value: dt.as_f64(),
        is_1904,
        duration: dt.is_duration(),
    }
}

fn from_data(d: &Data) -> Value {
    match d {
        Data::Int(i) => Value::Int(*i),
        Data::Float(f) => Value::Number(*f),
        Data::String(s) => Value::Text(s.clone()),
        Data::Bool(b) => Value::Bool(*b),
        Data::DateTime(dt) => serial(dt),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Value::Iso(s.clone()),
        Data::Error(e) => Value::Error(e.to_string()),
        Data::Empty => Value::Empty,
    }
}

fn from_ref(d: DataRef<'_>) -> Value {
    match d {
        DataRef::Int(i) => Value::Int(i),
        DataRef::Float(f) => Value::Number(f),
        DataRef::String(s) => Value::Text(s),
        DataRef::SharedString(s) => Value::Text(s.to_owned()),
        DataRef::Bool(b) => Value::Bool(b),
        DataRef::DateTime(dt) => serial(&dt),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Value::Iso(s),
        DataRef::Error(e) => Value::Error(e.to_string()),
        DataRef::Empty => Value::Empty,
    }
}

/// The sheets that hold cells (not charts or code modules).
fn cell_sheets(sheets: &[Sheet]) -> Vec<Sheet> {
    sheets
        .iter()
        .filter(|s| matches!(s.typ, SheetType::WorkSheet | SheetType::MacroSheet))
        .cloned()
        .collect()
}

fn unreadable_sheet(name: &str) -> Failure {
    Failure::Corrupt(format!("sheet '{name}' cannot be read"))
}

fn opening_failed() -> Failure {
    Failure::Corrupt("its list of sheets or its shared parts cannot be read".into())
}

/// Runs calamine under the guard: a crash inside it is `crashed()`.
fn guard<T>(
    f: impl FnOnce() -> Result<T, Failure>,
    crashed: impl FnOnce() -> Failure,
) -> Result<T, Failure> {
    guarded(Guarded::Calamine, f).unwrap_or_else(|_| Err(crashed()))
}

/// The next cell of a sheet: its 0-based place, its value and whether it
/// holds a formula; `None` after the last, `Err` where calamine fails.
type NextCell = Result<Option<((u32, u32), Value, bool)>, ()>;

/// Streams one sheet's cells into `grid`, under the guard, until the last
/// or a limit: `open` starts calamine's cell reader (`None` when it cannot)
/// and gives the function that reads the next cell.
fn stream<F: FnMut() -> NextCell>(
    grid: &mut Grid,
    limits: &Limits,
    open: impl FnOnce() -> Option<F>,
) -> Result<(), Failure> {
    let name = grid.name.clone();
    let unreadable = || unreadable_sheet(&name);
    guard(
        || {
            let mut next = open().ok_or_else(unreadable)?;
            while let Some(((row, col), value, formula)) = next().map_err(|()| unreadable())? {
                if formula {
                    grid.formulas += 1;
                }
                grid.push(row, col, value, limits)
                    .map_err(Failure::TooBig)?;
            }
            Ok(())
        },
        unreadable,
    )
}

/// Opens a workbook with calamine (its list of sheets and shared parts).
fn open<'a, B: Reader<Cursor<&'a [u8]>>>(bytes: &'a [u8]) -> Result<B, Failure> {
    guard(
        || B::new(Cursor::new(bytes)).map_err(|_| opening_failed()),
        opening_failed,
    )
}

/// A sheet's merged ranges in A1 notation, from calamine's `merge_cells`
/// call (under the guard; none when it fails).
fn merged<E>(merge_cells: impl FnOnce() -> Result<Vec<Dimensions>, E>) -> Vec<String> {
    match guarded(Guarded::Calamine, merge_cells) {
        Ok(Ok(ranges)) => ranges.iter().map(|d| a1_range(d.start, d.end)).collect(),
        _ => Vec::new(),
    }
}

/// Tells a listener which sheet is being read.
fn reading_sheet(index: usize, count: usize, name: &str) {
    crate::progress::at(index, count, || {
        crate::messages::progress::reading_sheet(index + 1, count, name)
    });
}

/// Reads an xlsx or xlsm workbook.
pub(super) fn xlsx(bytes: &[u8], limits: &Limits) -> Result<Vec<Grid>, Failure> {
    let mut book: Xlsx<_> = open(bytes)?;
    let mut grids = Vec::new();
    let sheets = cell_sheets(book.sheets_metadata());
    for (i, sheet) in sheets.iter().enumerate() {
        reading_sheet(i, sheets.len(), &sheet.name);
        let mut grid = Grid::new(&sheet.name, sheet.visible == SheetVisible::Visible);
        stream(&mut grid, limits, || {
            let mut cells = book.worksheet_cells_reader(&sheet.name).ok()?;
            Some(move || {
                let cell = cells.next_cell_with_formula().map_err(drop)?;
                Ok(cell.map(|cell| {
                    let formula = cell.formula.as_deref().is_some_and(|f| !f.is_empty());
                    (cell.pos, from_ref(cell.value), formula)
                }))
            })
        })?;
        grid.merged = merged(|| book.merge_cells_by_sheet_name(&sheet.name));
        grids.push(grid);
    }
    Ok(grids)
}

/// Reads an xlsb workbook that `xlsb_scan` went through first; its formula
/// cells are the ones the scan counted (calamine's formula parser is not
/// run on cells).
pub(super) fn xlsb(bytes: &[u8], scanned: &Scanned, limits: &Limits) -> Result<Vec<Grid>, Failure> {
    let mut book: Xlsb<_> = open(bytes)?;
    let mut grids = Vec::new();
    let sheets = cell_sheets(book.sheets_metadata());
    for (i, sheet) in sheets.iter().enumerate() {
        reading_sheet(i, sheets.len(), &sheet.name);
        let mut grid = Grid::new(&sheet.name, sheet.visible == SheetVisible::Visible);
        stream(&mut grid, limits, || {
            let mut cells = book.worksheet_cells_reader(&sheet.name).ok()?;
            Some(move || {
                let cell = cells.next_cell().map_err(drop)?;
                Ok(cell.map(|cell| {
                    (
                        cell.get_position(),
                        from_ref(cell.get_value().clone()),
                        false,
                    )
                }))
            })
        })?;
        grid.formulas = scanned.formulas.get(&sheet.name).copied().unwrap_or(0);
        grids.push(grid);
    }
    Ok(grids)
}

/// Copies a parsed range into a grid, at its place on the sheet.
fn fill(grid: &mut Grid, range: &Range<Data>, limits: &Limits) -> Result<(), Failure> {
    let Some((top, left)) = range.start() else {
        return Ok(());
    };
    for (r, c, value) in range.used_cells() {
        let (Ok(r), Ok(c)) = (u32::try_from(r), u32::try_from(c)) else {
            continue;
        };
        grid.push(
            top.saturating_add(r),
            left.saturating_add(c),
            from_data(value),
            limits,
        )
        .map_err(Failure::TooBig)?;
    }
    Ok(())
}

fn count_formulas(range: &Range<String>) -> u64 {
    range.used_cells().filter(|(_, _, f)| !f.is_empty()).count() as u64
}

/// Reads an ods workbook; `scans` are its tables as `ods_scan` measured them.
pub(super) fn ods(
    bytes: &[u8],
    scans: &[TableScan],
    limits: &Limits,
) -> Result<Vec<Grid>, Failure> {
    let mut book: Ods<_> = open(bytes)?;
    let mut grids = Vec::new();
    let sheets = cell_sheets(book.sheets_metadata());
    for (i, sheet) in sheets.iter().enumerate() {
        reading_sheet(i, sheets.len(), &sheet.name);
        let mut grid = Grid::new(&sheet.name, sheet.visible == SheetVisible::Visible);
        let unreadable = || unreadable_sheet(&sheet.name);
        let range = guard(
            || book.worksheet_range(&sheet.name).map_err(|_| unreadable()),
            unreadable,
        )?;
        fill(&mut grid, &range, limits)?;
        if let Ok(Ok(formulas)) = guarded(Guarded::Calamine, || {
            book.worksheet_formula(&sheet.name)
                .map(|f| count_formulas(&f))
        }) {
            grid.formulas = formulas;
        }
        let scan = scans
            .iter()
            .find(|s| s.name == sheet.name)
            .or_else(|| scans.get(i));
        grid.merged = scan.map(|s| s.merged.clone()).unwrap_or_default();
        grids.push(grid);
    }
    Ok(grids)
}

/// Reads an xls workbook.
pub(super) fn xls(bytes: &[u8], limits: &Limits) -> Result<Vec<Grid>, Failure> {
    let mut book: Xls<_> = guard(
        || match Xls::new(Cursor::new(bytes)) {
            Ok(book) => Ok(book),
            Err(XlsError::Password) => Err(Failure::Encrypted),
            Err(_) => Err(opening_failed()),
        },
        opening_failed,
    )?;
    let mut grids = Vec::new();
    let sheets = cell_sheets(book.sheets_metadata());
    for (i, sheet) in sheets.iter().enumerate() {
        reading_sheet(i, sheets.len(), &sheet.name);
        let mut grid = Grid::new(&sheet.name, sheet.visible == SheetVisible::Visible);
        let unreadable = || unreadable_sheet(&sheet.name);
        let range = guard(
            || book.worksheet_range(&sheet.name).map_err(|_| unreadable()),
            unreadable,
        )?;
        fill(&mut grid, &range, limits)?;
        if let Ok(Ok(formulas)) = guarded(Guarded::Calamine, || {
            book.worksheet_formula(&sheet.name)
                .map(|f| count_formulas(&f))
        }) {
            grid.formulas = formulas;
        }
        grid.merged = merged(|| book.merge_cells_by_sheet_name(&sheet.name));
        grids.push(grid);
    }
    Ok(grids)
}

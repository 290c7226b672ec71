//! A pre-scan of an .xls workbook stream (BIFF8 records) for the cell
//! area each sheet claims. calamine fills every cell between the first and
//! the last one a sheet names, so two cells at A1 and IV65536 would make it
//! allocate 16 million cells; the scan lets us refuse such a file first.

/// Records that name one cell, with its row and column at offsets 0 and 2.
const CELL_RECORDS: &[u16] = &[
    0x0006, // FORMULA
    0x0201, // BLANK
    0x0203, // NUMBER
    0x0204, // LABEL
    0x0205, // BOOLERR
    0x027E, // RK
    0x00FD, // LABELSST
];
/// Records that name a run of cells in one row: first column at 2, last
/// column in the final two bytes.
const RUN_RECORDS: &[u16] = &[0x00BD /* MULRK */, 0x00BE /* MULBLANK */];
/// The start of a substream (the workbook globals, then each sheet).
const BOF: u16 = 0x0809;
/// The workbook is encrypted: the records after it are ciphertext.
const FILEPASS: u16 = 0x002F;
/// A number format, which calamine parses (see `formats`).
const FORMAT: u16 = 0x041E;

/// What the pre-scan of a workbook stream found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Scan {
    /// The largest number of cells any sheet spans.
    pub area: u64,
    /// A number format calamine would overflow on (`formats`).
    pub bad_format: bool,
}

#[derive(Clone, Copy)]
struct Extent {
    rows: (u16, u16),
    columns: (u16, u16),
}

impl Extent {
    fn add(this: &mut Option<Extent>, row: u16, first: u16, last: u16) {
        let e = this.get_or_insert(Extent {
            rows: (row, row),
            columns: (first, last),
        });
        e.rows = (e.rows.0.min(row), e.rows.1.max(row));
        e.columns = (e.columns.0.min(first), e.columns.1.max(last));
    }

    fn area(self) -> u64 {
        let span = |(lo, hi): (u16, u16)| u64::from(hi.saturating_sub(lo)) + 1;
        span(self.rows) * span(self.columns)
    }
}

/// Scans the stream: the largest number of cells any sheet spans (0 for an
/// encrypted workbook, whose records cannot be read: the reader reports it
/// as encrypted), and whether a number format is one calamine cannot take.
pub(super) fn scan(stream: &[u8]) -> Scan {
    let mut bad_format = false;
    let area = largest_sheet_area(stream, &mut bad_format);
    Scan { area, bad_format }
}

fn largest_sheet_area(stream: &[u8], bad_format: &mut bool) -> u64 {
    let u16_at = |data: &[u8], at: usize| {
        data.get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let (mut largest, mut sheet, mut at) = (0u64, None::<Extent>, 0usize);
    while let (Some(kind), Some(len)) = (u16_at(stream, at), u16_at(stream, at + 2)) {
        let start = at + 4;
        let Some(data) = stream.get(start..start + usize::from(len)) else {
            break;
        };
        if kind == FILEPASS {
            return 0;
        }
        if kind == FORMAT && super::formats::biff_format_refused(data) {
            *bad_format = true;
        }
        if kind == BOF {
            largest = largest.max(sheet.take().map_or(0, Extent::area));
        } else if CELL_RECORDS.contains(&kind) {
            if let (Some(row), Some(column)) = (u16_at(data, 0), u16_at(data, 2)) {
                Extent::add(&mut sheet, row, column, column);
            }
        } else if RUN_RECORDS.contains(&kind) && data.len() >= 6 {
            if let (Some(row), Some(first), Some(last)) = (
                u16_at(data, 0),
                u16_at(data, 2),
                u16_at(data, data.len() - 2),
            ) {
                Extent::add(&mut sheet, row, first, last.max(first));
            }
        }
        at = start + usize::from(len);
    }
    largest.max(sheet.map_or(0, Extent::area))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: u16, data: &[u8]) -> Vec<u8> {
        [
            &kind.to_le_bytes()[..],
            &(data.len() as u16).to_le_bytes(),
            data,
        ]
        .concat()
    }

    #[test]
    fn two_far_cells_span_the_whole_sheet() {
        let number = |row: u16, col: u16| {
            record(
                0x0203,
                &[&row.to_le_bytes()[..], &col.to_le_bytes(), &[0; 10]].concat(),
            )
        };
        let stream = [record(BOF, &[0; 16]), number(0, 0), number(65535, 255)].concat();
        assert_eq!(scan(&stream).area, 65536 * 256);
        let small = [record(BOF, &[0; 16]), number(0, 0), number(9, 4)].concat();
        assert_eq!(scan(&small).area, 50);
        assert_eq!(scan(&[1, 2, 3]), Scan::default());
        let encrypted = [
            record(BOF, &[0; 16]),
            record(FILEPASS, &[1; 6]),
            number(65535, 255),
        ]
        .concat();
        assert_eq!(scan(&encrypted).area, 0);
        let format = [record(BOF, &[0; 16]), record(FORMAT, &[b'['; 300])].concat();
        assert!(scan(&format).bad_format);
    }
}

//! A pre-scan of an xlsb workbook, before calamine opens it.
//!
//! calamine 0.38 reads xlsb records with unchecked indexing: a record
//! shorter than its fields, a length field past its record, a cell that
//! points at shared text that is not there, a formula token cut short all
//! make it panic (a trap that poisons the module in the browser). The
//! scan follows calamine's reading of each part it reads, in its order and
//! with its reused buffer (see `records`), and refuses the file wherever
//! calamine would index past its data, fail, recurse too deep or copy too
//! much. A workbook that passes is one calamine reads without panicking.
//!
//! The parts, as calamine reads them in `Xlsb::new` and its cell reader:
//! `xl/sharedStrings.bin`, `xl/styles.bin`, `xl/_rels/workbook.bin.rels`,
//! `xl/workbook.bin` (sheets, external sheets, defined names and their
//! formulas), then each worksheet. The scan also counts each sheet's
//! formula cells, so calamine's formula parser never runs on cells.

mod formula;
mod records;
mod rels;

use crate::ingest::guard::{guarded, Reader};
use formula::Names;
use records::{tail, u32_at, wide_str, Records};
use std::collections::HashMap;
use std::io::{Cursor, Read};
use zip::ZipArchive;

/// The most bytes calamine may copy while it builds the text of the
/// workbook's formulas (see `formula`); a quarter of a gigabyte takes it
/// about a tenth of a second.
const MAX_WORK: u64 = 1 << 28;

/// Where the scan stopped: what calamine would do with the bytes there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    /// The part ends inside a record (calamine fails).
    Cut,
    /// A record's length runs past the end of its part (calamine
    /// allocates that length, then fails).
    Overrun,
    /// A field read past the data it is in (calamine panics).
    Index,
    /// A value calamine refuses (it fails).
    Rejected,
    /// Sub-formulas nested deeper than `formula::MAX_DEPTH`.
    TooDeep,
    /// Formulas whose text would take more than `MAX_WORK` to build.
    TooMuchWork,
    /// A cell points at shared text that is not there (calamine panics).
    MissingText,
    /// A sheet's relationship id is not in the relationships (calamine
    /// panics).
    MissingLink,
    /// A part calamine needs is not in the archive.
    MissingPart,
    /// A number format whose brackets overflow calamine's count (a panic
    /// in checked builds).
    NumberFormat,
    /// A part cannot be unpacked.
    Unpacking,
    /// A part unpacks to data whose checksum is not the one the archive
    /// records: it was changed or damaged since it was written.
    Checksum,
}

impl Stop {
    fn words(self) -> &'static str {
        match self {
            Stop::Cut => "ends in the middle of a record",
            Stop::Overrun => "has a record longer than the data that holds it",
            Stop::Index => "has a record too short for what it says it holds",
            Stop::Rejected => "holds values that are not valid",
            Stop::TooDeep => "has formulas nested too deeply to read",
            Stop::TooMuchWork => "has formulas too large to read",
            Stop::MissingText => "refers to cell text that is not in the file",
            Stop::MissingLink => "points to a sheet that is not in the file",
            Stop::MissingPart => "is missing",
            Stop::NumberFormat => "holds a number format that is not valid",
            Stop::Unpacking => "cannot be unpacked",
            Stop::Checksum => "does not match its checksum (it was damaged after it was saved)",
        }
    }
}

/// The part of the workbook a scan stopped in.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Strings,
    Styles,
    Sheets,
    Sheet(String),
}

/// Why the workbook is refused: the part, and what is wrong in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Damaged {
    part: Part,
    /// What calamine would have done.
    pub stop: Stop,
}

impl Damaged {
    /// The damage in words, for `corrupt_file`.
    pub(super) fn detail(&self) -> String {
        let part = match &self.part {
            Part::Strings => "the text of its cells".to_owned(),
            Part::Styles => "its formatting".to_owned(),
            Part::Sheets => "its list of sheets".to_owned(),
            Part::Sheet(name) => format!("the data of sheet '{name}'"),
        };
        format!("{part} {}", self.stop.words())
    }
}

fn at(part: Part) -> impl Fn(Stop) -> Damaged {
    move |stop| Damaged {
        part: part.clone(),
        stop,
    }
}

/// What the scan learnt on the way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Scanned {
    /// Formula cells per sheet name.
    pub formulas: HashMap<String, u64>,
}

/// Scans the workbook in `bytes` (a ZIP whose entries declare at most
/// `max` bytes each). The zip and XML readers it uses are guarded; a crash
/// in them counts as damage.
pub(super) fn scan(bytes: &[u8], max: u64) -> Result<Scanned, Damaged> {
    let mut zip = guarded(Reader::Zip, || ZipArchive::new(Cursor::new(bytes)))
        .ok()
        .and_then(Result::ok)
        .ok_or(Damaged {
            part: Part::Sheets,
            stop: Stop::Unpacking,
        })?;
    let cache = guarded(Reader::Zip, || path_cache(&zip))
        .ok()
        .flatten()
        .ok_or(Damaged {
            part: Part::Sheets,
            stop: Stop::Unpacking,
        })?;
    let mut part = |path: &str| {
        let name = cache
            .get(&path.to_ascii_lowercase())
            .map_or(path, String::as_str);
        guarded(Reader::Zip, || read(&mut zip, name, max))
            .unwrap_or(Content::Unreadable(Stop::Unpacking))
    };

    let strings = match part("xl/sharedStrings.bin") {
        Content::Missing => 0,
        Content::Unreadable(stop) => return Err(at(Part::Strings)(stop)),
        Content::Bytes(b) => shared_strings(&b).map_err(at(Part::Strings))?,
    };
    match part("xl/styles.bin") {
        Content::Missing => {}
        Content::Unreadable(stop) => return Err(at(Part::Styles)(stop)),
        Content::Bytes(b) => styles(&b).map_err(at(Part::Styles))?,
    }
    let workbook = match part("xl/workbook.bin") {
        Content::Missing => return Err(at(Part::Sheets)(Stop::MissingPart)),
        Content::Unreadable(stop) => return Err(at(Part::Sheets)(stop)),
        Content::Bytes(b) => b,
    };
    let relationships = guarded(Reader::QuickXml, || rels::read(&mut zip))
        .unwrap_or(Err(Stop::Unpacking))
        .map_err(at(Part::Sheets))?;
    let sheets = sheets(&workbook, &relationships).map_err(at(Part::Sheets))?;

    let mut scanned = Scanned::default();
    for sheet in sheets.iter().filter(|s| s.worksheet) {
        if scanned.formulas.contains_key(&sheet.name) {
            continue;
        }
        // calamine reads the first sheet of a name, whichever it asked for.
        let path = sheets
            .iter()
            .find(|s| s.name == sheet.name)
            .map_or(sheet.path.as_str(), |s| s.path.as_str());
        let name = cache
            .get(&path.to_ascii_lowercase())
            .map_or(path, String::as_str);
        let damaged = at(Part::Sheet(sheet.name.clone()));
        let content = guarded(Reader::Zip, || read(&mut zip, name, max))
            .unwrap_or(Content::Unreadable(Stop::Unpacking));
        let formulas = match content {
            Content::Missing => return Err(damaged(Stop::MissingPart)),
            Content::Unreadable(stop) => return Err(damaged(stop)),
            Content::Bytes(b) => cells(&b, strings).map_err(damaged)?,
        };
        scanned.formulas.insert(sheet.name.clone(), formulas);
    }
    Ok(scanned)
}

/// calamine's `build_zip_path_cache`: lower-cased names to names.
fn path_cache(zip: &ZipArchive<Cursor<&[u8]>>) -> Option<HashMap<String, String>> {
    let mut cache = HashMap::with_capacity(zip.len().min(10_000));
    for name in zip.file_names() {
        let name = name.ok()?;
        cache.insert(
            name.replace('\\', "/").to_ascii_lowercase(),
            name.into_owned(),
        );
    }
    Some(cache)
}

enum Content {
    Missing,
    Unreadable(Stop),
    Bytes(Vec<u8>),
}

/// One part, whole. calamine treats a part the archive will not open as
/// missing, and one that fails while it is unpacked as an error.
fn read(zip: &mut ZipArchive<Cursor<&[u8]>>, name: &str, max: u64) -> Content {
    let Ok(file) = zip.by_name(name) else {
        return Content::Missing;
    };
    let mut out = Vec::new();
    match file.take(max.saturating_add(1)).read_to_end(&mut out) {
        Ok(_) if out.len() as u64 <= max => Content::Bytes(out),
        // The zip reader checks the CRC-32 once the part is read whole;
        // calamine stops at a part's last record and may never see it.
        Err(e) if e.to_string() == "Invalid checksum" => Content::Unreadable(Stop::Checksum),
        _ => Content::Unreadable(Stop::Unpacking),
    }
}

/// calamine's `read_shared_strings`: how many strings cells may point at.
fn shared_strings(part: &[u8]) -> Result<usize, Stop> {
    let mut records = Records::new(part);
    let mut buf = Vec::new();
    records.next_skip_blocks(0x009F, &[], &mut buf)?; // BrtBeginSst
    let count = u32_at(buf.get(4..8).ok_or(Stop::Index)?, 0)?;
    let mut read = 0;
    for _ in 0..count {
        // BrtSSTItem, skipping future-record blocks.
        records.next_skip_blocks(0x0013, &[(0x0023, Some(0x0024))], &mut buf)?;
        wide_str(tail(&buf, 1)?)?;
        read += 1;
    }
    Ok(read)
}

/// calamine's `read_styles`. It reads the type of every record but the
/// body only of those it knows, so past the first unknown record with a
/// body it reads bytes of bodies as record types, as this does.
fn styles(part: &[u8]) -> Result<(), Stop> {
    let mut records = Records::new(part);
    let mut buf = Vec::new();
    loop {
        match records.read_type()? {
            0x0267 => {
                // BrtBeginFmts, then that many BrtFmt.
                records.fill(&mut buf)?;
                for _ in 0..u32_at(&buf, 0)? {
                    records.next_skip_blocks(0x002C, &[], &mut buf)?;
                    records::u16_at(&buf, 0)?;
                    let (format, _) = wide_str(tail(&buf, 2)?)?;
                    if number_format_overflows(&format) {
                        return Err(Stop::NumberFormat);
                    }
                }
            }
            0x0269 => {
                // BrtBeginCellXFs, then that many BrtXF; the last part read.
                records.fill(&mut buf)?;
                for _ in 0..u32_at(&buf, 0)? {
                    records.next_skip_blocks(0x002F, &[], &mut buf)?;
                    records::u16_at(&buf, 2)?;
                }
                return Ok(());
            }
            _ => {}
        }
        buf.clear();
    }
}

/// Whether calamine's `detect_custom_number_format` overflows its `u8`
/// count of open brackets on `format` (a panic in checked builds): the
/// same walk, stopping where it returns.
fn number_format_overflows(format: &str) -> bool {
    let (mut escaped, mut quoted, mut brackets, mut prev) = (false, false, 0u8, ' ');
    let (mut hms, mut ap) = (false, false);
    for s in format.chars() {
        match (s, escaped, quoted, ap, brackets) {
            (_, true, ..) => escaped = false,
            ('_' | '\\' | '*', ..) => escaped = true,
            ('"', _, true, _, _) => quoted = false,
            (_, _, true, _, _) => (),
            ('"', _, _, _, _) => quoted = true,
            (';', ..) => return false,
            ('[', ..) => match brackets.checked_add(1) {
                Some(b) => brackets = b,
                None => return true,
            },
            (']', .., 1) if hms => return false,
            (']', ..) => brackets = brackets.saturating_sub(1),
            ('a' | 'A', _, _, false, 0) => ap = true,
            ('p' | 'm' | '/' | 'P' | 'M', _, _, true, 0) => return false,
            ('d' | 'm' | 'h' | 'y' | 's' | 'D' | 'M' | 'H' | 'Y' | 'S', _, _, false, 0) => {
                return false
            }
            _ => {
                if !(hms && s.eq_ignore_ascii_case(&prev)) {
                    hms = prev == '[' && matches!(s, 'm' | 'h' | 's' | 'M' | 'H' | 'S');
                }
            }
        }
        prev = s;
    }
    false
}

/// A sheet as `xl/workbook.bin` lists it.
struct SheetRef {
    name: String,
    /// The part calamine reads for it.
    path: String,
    /// Whether it holds cells (chart and dialog sheets are not read).
    worksheet: bool,
}

/// calamine's `read_workbook`: the sheets, then the external sheet
/// references and the defined names, whose formulas it parses.
fn sheets(part: &[u8], relationships: &HashMap<String, String>) -> Result<Vec<SheetRef>, Stop> {
    let mut records = Records::new(part);
    // calamine clears the buffer after each record of this first loop.
    let mut buf = Vec::new();
    let mut sheets = Vec::new();
    loop {
        match records.read_type()? {
            0x0099 => {
                // BrtWbProp: the date system in the first byte.
                records.fill(&mut buf)?;
                buf.first().ok_or(Stop::Index)?;
            }
            0x009C => {
                // BrtBundleSh: state, sheet id, relationship id, name.
                let len = records.fill(&mut buf)?;
                let rel_units = u32_at(buf.get(8..len).ok_or(Stop::Index)?, 0)?;
                if rel_units != 0xFFFF_FFFF {
                    let rel_end = 12 + u64::from(rel_units) * 2;
                    if rel_end > len as u64 {
                        return Err(Stop::Index);
                    }
                    let rel_end = rel_end as usize;
                    let id = encoding_rs::UTF_16LE.decode(&buf[12..rel_end]).0;
                    let target = relationships.get(&*id).ok_or(Stop::MissingLink)?;
                    let path = format!("xl/{target}");
                    if u32_at(&buf, 0)? > 2 {
                        return Err(Stop::Rejected);
                    }
                    let worksheet = match path.split('/').nth(1) {
                        Some("worksheets") => true,
                        Some("chartsheets" | "dialogsheets") => false,
                        _ => return Err(Stop::Rejected),
                    };
                    let (name, _) = wide_str(&buf[rel_end..len])?;
                    sheets.push(SheetRef {
                        name,
                        path,
                        worksheet,
                    });
                }
            }
            0x0090 => {
                // BrtEndBundleShs: the buffer is not cleared after it.
                records.fill(&mut buf)?;
                break;
            }
            _ => {
                records.fill(&mut buf)?;
            }
        }
        buf.clear();
    }
    let mut external = Vec::new();
    let mut defined = Vec::new();
    let mut work = 0;
    loop {
        match records.read_type()? {
            0x016A => {
                // BrtExternSheet: a count, then 12-byte references, taken
                // from the whole (possibly stale) buffer.
                records.fill(&mut buf)?;
                let count = u32_at(&buf, 0)? as usize;
                external.clear();
                for xti in buf[4..].chunks(12).take(count) {
                    let sheet = u32_at(xti, 4)? as i32;
                    external.push(match sheet {
                        -2 => "#ThisWorkbook".len(),
                        -1 => "#InvalidWorkSheet".len(),
                        p if p >= 0 && (p as usize) < sheets.len() => sheets[p as usize].name.len(),
                        _ => "#Unknown".len(),
                    });
                }
            }
            0x0027 => {
                // BrtName: calamine checks this record's bounds itself.
                let len = records.fill(&mut buf)?;
                let record = &buf[..len];
                let (name, name_len) = wide_str(record.get(9..).ok_or(Stop::Rejected)?)?;
                let start = 13 + name_len;
                let size = u32_at(record.get(9 + name_len..start).ok_or(Stop::Rejected)?, 0)?;
                let end = start.checked_add(size as usize).ok_or(Stop::Rejected)?;
                let rgce = record.get(start..end).ok_or(Stop::Rejected)?;
                let names = Names {
                    sheets: &external,
                    defined: &defined,
                };
                formula::walk(rgce, &names, 0, &mut work)?;
                defined.push(name.len());
            }
            0x009D | 0x0225 | 0x018D | 0x0180 | 0x009A | 0x0252 | 0x0229 | 0x009B | 0x0084 => {
                // Records that come after the names: calamine stops here.
                return Ok(sheets);
            }
            _ => {
                records.fill(&mut buf)?;
            }
        }
    }
}

/// calamine's `XlsbCellsReader` over one worksheet, until the end of its
/// cells: every field it reads must be in its buffer, every shared string
/// index below `strings`. Returns the number of formula cells.
fn cells(part: &[u8], strings: usize) -> Result<u64, Stop> {
    let mut records = Records::new(part);
    let mut buf = Vec::new();
    // BrtWsDim, whose 16 bytes calamine reads.
    records.next_skip_blocks(0x0094, &[(0x0081, None), (0x0093, None)], &mut buf)?;
    buf.get(..16).ok_or(Stop::Index)?;
    // BrtBeginSheetData, skipping views, AC blocks and column infos.
    records.next_skip_blocks(
        0x0091,
        &[
            (0x0085, Some(0x0086)),
            (0x0025, Some(0x0026)),
            (0x01E5, None),
            (0x0186, Some(0x0187)),
        ],
        &mut buf,
    )?;
    let need = |buf: &[u8], n: usize| buf.get(..n).map(|_| ()).ok_or(Stop::Index);
    let mut formulas = 0;
    loop {
        let typ = records.read_type()?;
        let len = records.fill(&mut buf)?;
        match typ {
            0x0002 => {
                // BrtCellRk: calamine clears two flag bits in place.
                need(&buf, 12)?;
                buf[8] &= 0xFC;
            }
            0x0003 => {
                // BrtCellError: calamine refuses codes it does not know.
                need(&buf, 9)?;
                if ![0x00, 0x07, 0x0F, 0x17, 0x1D, 0x24, 0x2A, 0x2B].contains(&buf[8]) {
                    return Err(Stop::Rejected);
                }
            }
            0x0004 | 0x000A => need(&buf, 9)?, // BrtCellBool, BrtFmlaBool
            0x0005 | 0x0009 => need(&buf, 16)?, // BrtCellReal, BrtFmlaNum
            0x0006 | 0x0008 => {
                // BrtCellSt, BrtFmlaString
                wide_str(tail(&buf, 8)?)?;
            }
            // BrtCellIsst: an index into the shared strings.
            0x0007 if u32_at(&buf, 8)? as usize >= strings => return Err(Stop::MissingText),
            // BrtRowHdr: calamine ends the sheet at an impossible row.
            0x0000 if u32_at(&buf, 0)? > 0x0010_0000 => return Ok(formulas),
            0x0092 => return Ok(formulas), // BrtEndSheetData
            _ => {}
        }
        if is_formula(typ, &buf[..len]) {
            formulas += 1;
        }
    }
}

/// Whether a formula cell record (BrtFmlaString, BrtFmlaNum, BrtFmlaBool,
/// BrtFmlaError) holds a formula: its token count, after the value and
/// flags, is present and not zero.
fn is_formula(typ: u16, record: &[u8]) -> bool {
    let at = match typ {
        0x0008 => match u32_at(record, 8) {
            Ok(units) => 14 + 2 * units as usize,
            Err(_) => return false,
        },
        0x0009 => 18,
        0x000A | 0x000B => 11,
        _ => return false,
    };
    u32_at(record, at).is_ok_and(|size| size > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record: its type and length as 7-bit groups, then its body.
    fn record(typ: u16, body: &[u8]) -> Vec<u8> {
        let mut out = if typ < 0x80 {
            vec![typ as u8]
        } else {
            vec![(typ & 0x7F) as u8 | 0x80, (typ >> 7) as u8]
        };
        let mut len = body.len();
        loop {
            let b = (len & 0x7F) as u8;
            len >>= 7;
            out.push(if len > 0 { b | 0x80 } else { b });
            if len == 0 {
                break;
            }
        }
        out.extend_from_slice(body);
        out
    }

    fn sheet(cells: &[Vec<u8>]) -> Vec<u8> {
        let mut part = record(0x0081, &[]);
        part.extend(record(0x0094, &[0; 16]));
        part.extend(record(0x0091, &[]));
        part.extend(record(0x0000, &[0; 17]));
        for cell in cells {
            part.extend_from_slice(cell);
        }
        part.extend(record(0x0092, &[]));
        part
    }

    fn isst(index: u32) -> Vec<u8> {
        record(0x0007, &[&[0u8; 8][..], &index.to_le_bytes()].concat())
    }

    #[test]
    fn a_cell_pointing_past_the_shared_strings_is_refused() {
        assert_eq!(cells(&sheet(&[isst(0)]), 1), Ok(0));
        assert_eq!(cells(&sheet(&[isst(1)]), 1), Err(Stop::MissingText));
        assert_eq!(cells(&sheet(&[isst(0)]), 0), Err(Stop::MissingText));
    }

    #[test]
    fn short_cells_read_the_stale_buffer_as_calamine_does() {
        // A real number cut to 10 bytes: calamine reads bytes 8..16 of its
        // buffer, which still holds the 16 bytes of the dimensions. No
        // index goes past the buffer, so the scan lets it through.
        let mut part = record(0x0094, &[0; 16]);
        part.extend(record(0x0091, &[]));
        part.extend(record(0x0005, &[0; 10]));
        part.extend(record(0x0092, &[]));
        assert_eq!(cells(&part, 0), Ok(0));
        // A text cell whose length runs past its buffer is refused.
        let mut part = record(0x0094, &[0; 16]);
        part.extend(record(0x0091, &[]));
        part.extend(record(
            0x0006,
            &[&[0u8; 8][..], &[9, 0, 0, 0, b'a', 0]].concat(),
        ));
        assert_eq!(cells(&part, 0), Err(Stop::Rejected));
    }

    #[test]
    fn counts_formula_cells_with_tokens() {
        let num = |tokens: u32| {
            record(
                0x0009,
                &[&[0u8; 18][..], &tokens.to_le_bytes(), &[0x1E, 1, 0]].concat(),
            )
        };
        assert_eq!(cells(&sheet(&[num(3), num(0), num(3)]), 0), Ok(2));
    }

    #[test]
    fn a_sheet_needs_its_dimensions_and_an_end() {
        assert_eq!(cells(&record(0x0094, &[0; 8]), 0), Err(Stop::Index));
        let mut part = record(0x0094, &[0; 16]);
        part.extend(record(0x0091, &[]));
        assert_eq!(cells(&part, 0), Err(Stop::Cut));
    }

    fn bundle(relid: &str, claimed_units: u32, name: &str) -> Vec<u8> {
        let mut body = vec![0u8; 8];
        body.extend(claimed_units.to_le_bytes());
        body.extend(relid.encode_utf16().flat_map(u16::to_le_bytes));
        body.extend((name.len() as u32).to_le_bytes());
        body.extend(name.encode_utf16().flat_map(u16::to_le_bytes));
        record(0x009C, &body)
    }

    fn workbook(bundles: &[Vec<u8>]) -> Vec<u8> {
        let mut part: Vec<u8> = bundles.concat();
        part.extend(record(0x0090, &[]));
        part.extend(record(0x009D, &[]));
        part
    }

    #[test]
    fn sheet_references_must_fit_and_resolve() {
        let rels = HashMap::from([("rId1".to_owned(), "worksheets/sheet1.bin".to_owned())]);
        let listed = sheets(&workbook(&[bundle("rId1", 4, "Data")]), &rels).unwrap();
        assert_eq!(listed[0].name, "Data");
        assert_eq!(listed[0].path, "xl/worksheets/sheet1.bin");
        // A relationship id longer than its record (the fuzzers' overrun).
        let overrun = workbook(&[bundle("rId1", 260, "Data")]);
        assert_eq!(sheets(&overrun, &rels).err(), Some(Stop::Index));
        // An id the relationships do not list.
        let unlisted = workbook(&[bundle("rId9", 4, "Data")]);
        assert_eq!(sheets(&unlisted, &rels).err(), Some(Stop::MissingLink));
    }

    #[test]
    fn number_formats_with_too_many_brackets_are_caught() {
        assert!(!number_format_overflows("yyyy-mm-dd"));
        assert!(!number_format_overflows(&"[".repeat(255)));
        assert!(number_format_overflows(&"[".repeat(256)));
        // A date code before the brackets returns first.
        assert!(!number_format_overflows(&format!("d{}", "[".repeat(300))));
    }

    #[test]
    fn shared_strings_count_what_is_there() {
        let mut part = record(0x009F, &[0, 0, 0, 0, 2, 0, 0, 0]);
        for text in ["a", "bc"] {
            let mut body = vec![0u8];
            body.extend((text.len() as u32).to_le_bytes());
            body.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            part.extend(record(0x0013, &body));
        }
        assert_eq!(shared_strings(&part), Ok(2));
        assert_eq!(shared_strings(&part[..part.len() - 2]), Err(Stop::Overrun));
        assert_eq!(shared_strings(&part[..part.len() - 10]), Err(Stop::Cut));
        assert_eq!(shared_strings(&record(0x009F, &[0; 6])), Err(Stop::Index));
    }
}

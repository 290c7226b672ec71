//! Spreadsheets: xlsx, xlsm, xlsb and ods (ZIP) and xls (OLE).
//!
//! The container is opened first and judged by its content (entry and
//! stream names), its declared sizes are checked against the limits before
//! anything is unpacked, the parts calamine would trip over are checked
//! (`xlsb_scan`, `biff`, `ods_scan`), and only then does calamine read the
//! cells, under the guard. Each
//! sheet is described in the report; the first visible sheet with data
//! becomes the table that is checked and sent.

mod biff;
mod books;
mod cfb;
mod formats;
mod grid;
mod layout;
mod ods_scan;
mod xlsb_scan;
mod zipped;

use super::guard::prescans_enabled;
use super::{Document, Limits};
use crate::messages::issue;
use crate::{InputKind, Issue};
use books::Failure;
use grid::{Grid, Overflow};
use zipped::Zipped;

/// The `encoding` of a workbook: it is not text, so it has none (its cells
/// are text, which the table holds).
const BINARY: &str = "binary";

/// What a password-protected OOXML package (in an OLE container) is taken
/// for: its content is encrypted, and workbooks are what we are sent.
const ENCRYPTED_OOXML: InputKind = InputKind::Xlsx;

/// Reads a ZIP container: a workbook, or another zipped format.
pub(super) fn read_zip(bytes: &[u8], limits: &Limits) -> Document {
    let size = bytes.len() as u64;
    let Some(entries) = zipped::entries(bytes) else {
        return damaged_zip(bytes);
    };
    let names = || entries.iter().map(|e| e.name.as_str());
    let mimetype = names()
        .any(|n| n == "mimetype")
        .then(|| zipped::read(bytes, "mimetype", 200))
        .flatten()
        .map(|m| String::from_utf8_lossy(&m).into_owned());
    let kind = match zipped::classify(names(), mimetype.as_deref()) {
        Zipped::Sheet(kind) => kind,
        Zipped::Other(looks_like) => return unsupported(size, looks_like),
    };

    // Declared sizes first: a zip bomb is refused before it is unpacked.
    // The zip reader also stops at the declared size of each entry, so a
    // header that lies cannot make it unpack more.
    let biggest = entries.iter().map(|e| e.size).max().unwrap_or(0);
    let total = entries.iter().fold(0u64, |t, e| t.saturating_add(e.size));
    if biggest > limits.max_decompressed_bytes || total > limits.max_decompressed_bytes {
        let mut doc = Document::new(kind, size, BINARY);
        doc.issues.push(issue::too_large_unpacked(
            total,
            limits.max_decompressed_bytes,
        ));
        return doc;
    }

    let mut leading = Vec::new();
    let read = match kind {
        InputKind::Ods => {
            // An encrypted ODS keeps its manifest readable and lists how
            // each encrypted part was encrypted.
            let manifest =
                zipped::read(bytes, "META-INF/manifest.xml", 1 << 20).unwrap_or_default();
            if manifest.windows(15).any(|w| w == b"encryption-data") {
                return encrypted(kind, size);
            }
            if names().any(is_ods_macro) {
                leading.push(issue::macros_present());
            }
            let content = zipped::read(bytes, "content.xml", limits.max_decompressed_bytes);
            match content.map(|xml| ods_scan::scan(&xml, limits)) {
                None => Err(Failure::Corrupt(
                    "the sheet data is missing or cannot be unpacked".into(),
                )),
                Some(Err(ods_scan::Refused::TooDeep)) => {
                    let mut doc = Document::new(kind, size, BINARY);
                    doc.issues.push(issue::too_deep(limits.max_depth, None));
                    return doc;
                }
                Some(Err(ods_scan::Refused::TooBig(over))) => Err(Failure::TooBig(over)),
                Some(Ok(scans)) => books::ods(bytes, &scans, limits),
            }
        }
        InputKind::Xlsb => {
            if names().any(|n| n == "xl/vbaProject.bin") {
                leading.push(issue::macros_present());
            }
            match xlsb_scan::scan(bytes, limits.max_decompressed_bytes) {
                Err(damaged) if prescans_enabled() => Err(Failure::Corrupt(damaged.detail())),
                scanned => books::xlsb(bytes, &scanned.unwrap_or_default(), limits),
            }
        }
        _ => {
            if names().any(|n| n == "xl/vbaProject.bin") {
                leading.push(issue::macros_present());
            }
            let styles = zipped::read(bytes, "xl/styles.xml", limits.max_decompressed_bytes);
            if styles.is_some_and(|xml| formats::xlsx_styles_refused(&xml)) && prescans_enabled() {
                Err(Failure::Corrupt(formats::DAMAGE.into()))
            } else {
                books::xlsx(bytes, limits)
            }
        }
    };
    finish(kind, size, read, leading, limits)
}

/// Reads an OLE container: an xls workbook or an encrypted Office file.
pub(super) fn read_ole(bytes: &[u8], limits: &Limits) -> Document {
    let size = bytes.len() as u64;
    let Some(names) = cfb::entry_names(bytes) else {
        let mut doc = Document::unreadable(size);
        doc.issues.push(issue::corrupt_file(
            "an older Office document (such as an Excel .xls file)",
            "its table of contents cannot be read",
        ));
        return doc;
    };
    let has = |name: &str| names.iter().any(|n| n.eq_ignore_ascii_case(name));
    if has("EncryptionInfo") && has("EncryptedPackage") {
        // The container does not say which Office format is inside.
        let mut doc = encrypted(ENCRYPTED_OOXML, size);
        doc.issues[0] = issue::encrypted_file("an Office file (such as an Excel workbook)");
        return doc;
    }
    if has("Workbook") || has("Book") {
        let mut leading = Vec::new();
        if has("_VBA_PROJECT_CUR") {
            leading.push(issue::macros_present());
        }
        // calamine allocates every cell a sheet spans while opening the
        // file, so refuse a workbook that claims too many first.
        let name = if has("Workbook") { "Workbook" } else { "Book" };
        let scan = cfb::stream(bytes, name, limits.max_decompressed_bytes)
            .map_or_else(biff::Scan::default, |stream: Vec<u8>| biff::scan(&stream));
        let area = scan.area;
        if scan.bad_format && prescans_enabled() {
            let failure = Failure::Corrupt(formats::DAMAGE.into());
            return finish(InputKind::Xls, size, Err(failure), leading, limits);
        }
        if area > limits.max_cells {
            let mut doc = Document::new(InputKind::Xls, size, BINARY);
            doc.issues.push(issue::too_many_rows(
                area,
                limits.max_cells,
                "cells in one sheet",
            ));
            return doc;
        }
        let read = books::xls(bytes, limits);
        return finish(InputKind::Xls, size, read, leading, limits);
    }
    let looks_like = if has("WordDocument") {
        "a Word document (.doc)"
    } else if has("PowerPoint Document") {
        "a PowerPoint presentation (.ppt)"
    } else if has("__properties_version1.0") {
        "an Outlook message (.msg)"
    } else {
        "an older Office document that is not a spreadsheet"
    };
    unsupported(size, looks_like)
}

fn unsupported(size: u64, looks_like: &str) -> Document {
    let mut doc = Document::unreadable(size);
    doc.issues.push(issue::unsupported_format(looks_like));
    doc
}

fn encrypted(kind: InputKind, size: u64) -> Document {
    let mut doc = Document::new(kind, size, BINARY);
    doc.info.encrypted = Some(true);
    doc.issues.push(issue::encrypted_file(kind.description()));
    doc
}

/// Macros in an OpenDocument file: Basic modules beside the library lists.
fn is_ods_macro(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("Basic/") else {
        return false;
    };
    rest.ends_with(".xml")
        && !rest.ends_with("script-lc.xml")
        && !rest.ends_with("script-lb.xml")
        && !rest.ends_with("dialog-lc.xml")
        && !rest.ends_with("dialog-lb.xml")
}

/// A ZIP whose central directory cannot be read: say what it looked like.
fn damaged_zip(bytes: &[u8]) -> Document {
    let walk = zipped::walk(bytes);
    let looks = zipped::classify(
        walk.names.iter().map(String::as_str),
        walk.mimetype.as_deref(),
    );
    let what = match looks {
        Zipped::Sheet(kind) => kind.description(),
        Zipped::Other(looks_like) if !walk.names.is_empty() => looks_like,
        Zipped::Other(_) => "a ZIP archive",
    };
    let detail = match &walk.cut_in {
        Some(entry) => format!(
            "it is cut off in the middle of {}",
            zipped::part_name(entry)
        ),
        None => "its end is missing or damaged, so its contents cannot be listed".to_owned(),
    };
    let mut doc = Document::unreadable(bytes.len() as u64);
    doc.issues.push(issue::corrupt_file(what, &detail));
    doc
}

fn overflow_issue(over: Overflow) -> Issue {
    issue::too_many_rows(over.found, over.max, over.unit)
}

/// Turns read sheets (or a failure) into the document.
fn finish(
    kind: InputKind,
    size: u64,
    read: Result<Vec<Grid>, Failure>,
    mut issues: Vec<Issue>,
    limits: &Limits,
) -> Document {
    let grids = match read {
        Ok(grids) => grids,
        Err(Failure::Encrypted) => return encrypted(kind, size),
        Err(Failure::Corrupt(detail)) => {
            let mut doc = Document::unreadable(size);
            doc.issues
                .push(issue::corrupt_file(kind.description(), &detail));
            return doc;
        }
        Err(Failure::TooBig(over)) => {
            let mut doc = Document::new(kind, size, BINARY);
            doc.issues.extend(issues);
            doc.issues.push(overflow_issue(over));
            return doc;
        }
    };
    let mut doc = Document::new(kind, size, BINARY);
    let headers: Vec<Option<layout::Header>> = grids.iter().map(layout::find_header).collect();
    let infos = grids
        .iter()
        .zip(&headers)
        .map(|(g, h)| layout::sheet_info(g, h.as_ref()))
        .collect();
    doc.info.sheets = Some(infos);

    for grid in grids.iter().filter(|g| g.is_empty()) {
        issues.push(issue::empty_sheet(&grid.name));
    }
    let with_data: Vec<usize> = (0..grids.len()).filter(|&i| !grids[i].is_empty()).collect();
    let chosen = with_data
        .iter()
        .copied()
        .find(|&i| grids[i].visible)
        .or_else(|| with_data.first().copied());
    let Some(chosen) = chosen else {
        doc.issues = issues;
        return doc;
    };
    let name = grids[chosen].name.as_str();
    if with_data.len() > 1 {
        let others: Vec<&str> = with_data
            .iter()
            .filter(|&&i| i != chosen)
            .map(|&i| grids[i].name.as_str())
            .collect();
        let reason = if !grids[chosen].visible {
            "every sheet with data is hidden and it comes first"
        } else if with_data.first() == Some(&chosen) {
            "it is the first sheet with data"
        } else {
            "it is the first visible sheet with data (the sheets before it are hidden)"
        };
        issues.push(issue::multiple_sheets(name, reason, &others));
    }
    doc.info.selected_sheet = Some(name.to_owned());
    let Some(header) = &headers[chosen] else {
        doc.issues = issues;
        return doc;
    };
    match layout::table(&grids[chosen], header, limits) {
        Ok((table, found)) => {
            issues.extend(found);
            doc.info.header_row = Some(table.header_line);
            doc.info.headers = Some(table.headers.clone());
            doc.info.rows = Some(table.rows.len() as u64);
            doc.info.columns = Some(table.headers.len() as u64);
            doc.text = table.to_csv(&vec![true; table.headers.len()]);
            doc.table = Some(table);
        }
        Err(over) => issues.push(overflow_issue(over)),
    }
    doc.issues = issues;
    doc
}

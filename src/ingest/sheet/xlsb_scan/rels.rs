//! The workbook's relationships (`xl/_rels/workbook.bin.rels`), read as
//! calamine 0.38 reads them (`read_relationships` in `src/xlsb/mod.rs`
//! and its raw attribute scan in `src/attrs.rs`, MIT licence, Copyright
//! 2016-2026 Johann Tuffe), with the same XML reader and settings.
//!
//! calamine looks each sheet's relationship id up in this map with an
//! index that panics when the id is missing: the scan must know exactly
//! which ids calamine will have found.

use super::Stop;
use quick_xml::events::Event;
use quick_xml::name::QName;
use quick_xml::Reader as XmlReader;
use std::collections::HashMap;
use std::io::{BufReader, Read, Seek};
use zip::result::ZipError;
use zip::ZipArchive;

/// Relationship id → target, as calamine builds it; `Stop::Rejected`
/// where calamine returns an error.
pub(super) fn read<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
) -> Result<HashMap<String, String>, Stop> {
    let mut relationships = HashMap::new();
    let file = match zip.by_name("xl/_rels/workbook.bin.rels") {
        Ok(file) => file,
        Err(ZipError::FileNotFound) => return Ok(relationships),
        Err(_) => return Err(Stop::Rejected),
    };
    let mut xml = XmlReader::from_reader(BufReader::new(file));
    let config = xml.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    let mut buf = Vec::with_capacity(64);
    loop {
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.name() == QName("Relationship") => {
                let (id, target) = id_and_target(e.attributes_raw())?;
                if let (Some(id), Some(target)) = (id, target) {
                    let target = quick_xml::escape::unescape(target)
                        .map_err(|_| Stop::Rejected)?
                        .into_owned();
                    relationships.insert(id.to_owned(), target);
                }
            }
            Ok(Event::Eof) => break,
            Err(_) => return Err(Stop::Rejected),
            _ => (),
        }
        buf.clear();
    }
    Ok(relationships)
}

/// calamine's `get_attrs!(e, "Id" => id, "Target" => target)`: the first
/// two matches win (a repeated `Id` ends the scan before `Target`).
fn id_and_target(raw: &str) -> Result<(Option<&str>, Option<&str>), Stop> {
    let (mut id, mut target, mut found) = (None, None, 0);
    for item in (RawAttrs { raw, pos: 0 }) {
        let (key, value) = item?;
        match key {
            "Id" => {
                id = Some(value);
                found += 1;
            }
            "Target" => {
                target = Some(value);
                found += 1;
            }
            _ => {}
        }
        if found == 2 {
            break;
        }
    }
    Ok((id, target))
}

/// calamine's `RawAttrIter`: `key="value"` pairs of a start tag.
struct RawAttrs<'a> {
    raw: &'a str,
    pos: usize,
}

impl<'a> Iterator for RawAttrs<'a> {
    type Item = Result<(&'a str, &'a str), Stop>;

    fn next(&mut self) -> Option<Self::Item> {
        let (raw, bytes) = (self.raw, self.raw.as_bytes());
        let len = bytes.len();
        let mut pos = self.pos;
        while pos < len && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if pos >= len {
            self.pos = pos;
            return None;
        }
        let key_start = pos;
        while pos < len && bytes[pos] != b'=' {
            pos += 1;
        }
        if pos >= len {
            self.pos = len;
            return Some(Err(Stop::Rejected));
        }
        let key = raw[key_start..pos].trim_ascii_end();
        pos += 1;
        while pos < len && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        let quote = match bytes.get(pos) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => {
                self.pos = len;
                return Some(Err(Stop::Rejected));
            }
        };
        pos += 1;
        let value_start = pos;
        while pos < len && bytes[pos] != quote {
            pos += 1;
        }
        let value = &raw[value_start..pos];
        if pos < len {
            pos += 1;
        }
        self.pos = pos;
        Some(Ok((key, value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ids_and_targets_like_calamine() {
        assert_eq!(
            id_and_target(r#"Id="rId1" Type="x" Target="worksheets/sheet1.bin""#),
            Ok((Some("rId1"), Some("worksheets/sheet1.bin")))
        );
        // A repeated Id ends the scan: no target.
        assert_eq!(
            id_and_target(r#"Id="a" Id='b' Target="t""#),
            Ok((Some("b"), None))
        );
        assert_eq!(id_and_target("Id"), Err(Stop::Rejected));
        assert_eq!(id_and_target("Id=rId1"), Err(Stop::Rejected));
        assert_eq!(id_and_target(r#"Target = "t"  "#), Ok((None, Some("t"))));
    }
}

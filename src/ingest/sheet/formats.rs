//! Number formats calamine cannot take. Its `detect_custom_number_format`
//! (calamine 0.38 `src/formats.rs`), which every workbook format but ods
//! runs on each custom number format, counts open brackets in a `u8`: past
//! 255 it overflows, a panic in checked builds. No real number format comes
//! near that many, so one with more is refused as damaged (xlsb's scan
//! follows the function exactly instead).

/// The most `[` a number format may hold.
const MAX_BRACKETS: usize = 255;

/// What the damage is, in words, for `corrupt_file`.
pub(super) const DAMAGE: &str = "its formatting holds a number format that is not valid";

fn too_many_brackets(count: usize) -> bool {
    count > MAX_BRACKETS
}

/// Whether an xlsx `styles.xml` has a `formatCode` with too many brackets
/// (entities such as `&#91;` counted as what they stand for).
pub(super) fn xlsx_styles_refused(xml: &[u8]) -> bool {
    const NAME: &[u8] = b"formatCode";
    let mut from = 0;
    while let Some(pos) = xml[from..].windows(NAME.len()).position(|w| w == NAME) {
        let mut at = from + pos + NAME.len();
        from = at;
        let skip = |at: &mut usize| {
            while xml.get(*at).is_some_and(u8::is_ascii_whitespace) {
                *at += 1;
            }
        };
        skip(&mut at);
        if xml.get(at) != Some(&b'=') {
            continue;
        }
        at += 1;
        skip(&mut at);
        let Some(&quote @ (b'"' | b'\'')) = xml.get(at) else {
            continue;
        };
        let start = at + 1;
        let Some(len) = xml[start..].iter().position(|&b| b == quote) else {
            return too_many_brackets(xml[start..].iter().filter(|&&b| b == b'[').count());
        };
        let raw = String::from_utf8_lossy(&xml[start..start + len]);
        let value =
            quick_xml::escape::unescape(&raw).map_or(raw.clone(), |v| v.into_owned().into());
        if too_many_brackets(value.matches('[').count()) {
            return true;
        }
        from = start + len;
    }
    false
}

/// Whether the body of a BIFF `FORMAT` record holds too many brackets
/// (as 8-bit or UTF-16 characters, the byte `[` either way).
pub(super) fn biff_format_refused(body: &[u8]) -> bool {
    too_many_brackets(body.iter().filter(|&&b| b == b'[').count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_formats_are_refused_and_real_ones_kept() {
        let real = br#"<numFmts count="2"><numFmt numFmtId="164" formatCode="[$-409]d\-mmm\-yy;@"/><numFmt numFmtId="165" formatCode='[Red][&lt;0]0.00'/></numFmts>"#;
        assert!(!xlsx_styles_refused(real));
        let many = format!(
            r#"<numFmt numFmtId="164" formatCode="{}"/>"#,
            "[".repeat(256)
        );
        assert!(xlsx_styles_refused(many.as_bytes()));
        let escaped = format!(r#"<numFmt formatCode = "{}"/>"#, "&#91;".repeat(256));
        assert!(xlsx_styles_refused(escaped.as_bytes()));
        assert!(!xlsx_styles_refused(&many.as_bytes()[..200]));
        assert!(biff_format_refused(&[b'['; 256]));
        assert!(!biff_format_refused(b"\x05\x00\x00[Red]0"));
    }
}

//! Judging the text extracted from one page: none, garbled, or readable.

/// A page whose tidied text has fewer than this many non-whitespace
/// characters has no text layer: it is a picture (a scan), perhaps with a
/// page number or a stray mark from text recognition.
pub(super) const MIN_TEXT_CHARS: usize = 10;

/// A page is garbled when more than this share (30%) of its non-whitespace
/// characters are unreadable: see [`is_unreadable`]. Fonts without a
/// usable character map come out this way, as do text layers of bad OCR.
pub(super) const GARBLED_SHARE: f64 = 0.3;

/// What a page's text is like.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Page {
    /// Fewer than [`MIN_TEXT_CHARS`] characters.
    NoText,
    /// Readable text.
    Text,
    /// Garbled text; the share of unreadable characters (0 to 1).
    Garbled(f64),
}

/// Characters that are not text a reader could use: the replacement
/// character U+FFFD (bytes that decoded to nothing), private-use code
/// points (glyphs of a font with no Unicode meaning), control characters
/// other than tab and line breaks, Unicode specials and noncharacters
/// (U+FFF0–U+FFFF, U+FDD0–U+FDEF), and lone combining marks (glyph soup
/// from a font whose codes were mapped to the wrong characters).
pub(super) fn is_unreadable(c: char, previous: Option<char>) -> bool {
    let u = u32::from(c);
    c == '\u{FFFD}'
        || (0xE000..=0xF8FF).contains(&u)
        || u >= 0xF0000
        || (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || (0xFFF0..=0xFFFF).contains(&u)
        || (0xFDD0..=0xFDEF).contains(&u)
        || ((0x0300..=0x036F).contains(&u) && previous.is_none_or(|p| !p.is_alphabetic()))
}

/// Judges one page's text.
pub(super) fn assess(text: &str) -> Page {
    let (mut total, mut bad) = (0usize, 0usize);
    let mut previous = None;
    for c in text.chars() {
        if c.is_whitespace() {
            previous = None;
            continue;
        }
        total += 1;
        bad += usize::from(is_unreadable(c, previous));
        previous = Some(c);
    }
    if total < MIN_TEXT_CHARS {
        return Page::NoText;
    }
    let share = bad as f64 / total as f64;
    if share > GARBLED_SHARE {
        Page::Garbled(share)
    } else {
        Page::Text
    }
}

/// Tidies extracted text: trailing spaces and blank lines go. (lopdf
/// ends every text run with a line break, so blank lines in its output say
/// nothing about paragraphs.)
pub(super) fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
    {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_no_text_layer() {
        assert_eq!(assess(""), Page::NoText);
        assert_eq!(assess("  - 3 -  \n"), Page::NoText);
        assert_eq!(assess("Customer memo, March 2024"), Page::Text);
    }

    #[test]
    fn mostly_unreadable_text_is_garbled() {
        let soup = "\u{FFFD}\u{E001}\u{E002}\u{1}\u{2}ab\u{E003}\u{E004}\u{E005}cd";
        match assess(soup) {
            Page::Garbled(share) => assert!(share > 0.6, "{share}"),
            other => panic!("{other:?}"),
        }
        // A few odd characters in real text are fine.
        assert_eq!(
            assess("Ada Lovelace \u{FFFD} signed up in 2024."),
            Page::Text
        );
        // Accents on letters are text; marks on nothing are not.
        assert_eq!(assess("Cafe\u{301} Zoe\u{308} Mu\u{308}ller"), Page::Text);
        assert!(matches!(
            assess("\u{301}\u{302}\u{303}\u{304} \u{301}\u{302}\u{303}\u{304} \u{301}x\u{301}"),
            Page::Garbled(_)
        ));
    }

    #[test]
    fn tidy_drops_trailing_spaces_and_blank_lines() {
        assert_eq!(tidy("\n\n a  \n \n\n\nb\nc \n\n"), " a\nb\nc");
    }
}

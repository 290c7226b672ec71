//! Unicode character classes used by the pre-tokenization patterns.
//!
//! The classes come from `regex-syntax`, the same tables `fancy-regex` (and
//! so `tiktoken`) matches against, so `\p{L}` here is exactly `\p{L}`
//! there. They are stored as ranges of code points with the same flags
//! (`classes/ranges.rs`, written and checked by the test below) and
//! expanded on first use into one byte of flags per code point: a few
//! thousand `fill`s, fast even before the Wasm engine has optimised them.

use std::sync::OnceLock;

/// `\p{L}`: any letter.
pub(crate) const LETTER: u8 = 1;
/// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`: the "upper" side of o200k words.
pub(crate) const UPPER: u8 = 2;
/// `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`: the "lower" side of o200k words.
pub(crate) const LOWER: u8 = 4;
/// `\p{N}`: any number.
pub(crate) const NUMBER: u8 = 8;
/// `\s`: Unicode white space.
pub(crate) const SPACE: u8 = 16;

const PLANES: usize = 0x11_0000;

mod ranges;

fn table() -> &'static [u8] {
    static TABLE: OnceLock<Box<[u8]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = vec![0u8; PLANES].into_boxed_slice();
        for &(start, end, flags) in ranges::RANGES {
            t[start as usize..=end as usize].fill(flags);
        }
        t
    })
}

/// The class flags of every code point, built on first use (about a
/// millisecond; 1.1 MB).
#[derive(Clone, Copy)]
pub(crate) struct Classes {
    table: &'static [u8],
}

impl Classes {
    pub(crate) fn get() -> Classes {
        Classes { table: table() }
    }

    /// The flags of `c`.
    #[inline(always)]
    pub(crate) fn of(self, c: char) -> u8 {
        // `char` is at most 0x10FFFF, the table's last index.
        self.table[c as usize]
    }
}

/// Decodes the character starting at byte `i` of `s` (which must be a char
/// boundary), returning it and its length in bytes.
#[inline(always)]
pub(crate) fn char_at(s: &[u8], i: usize) -> (char, usize) {
    let b0 = s[i];
    if b0 < 0x80 {
        return (b0 as char, 1);
    }
    let (len, init) = if b0 < 0xE0 {
        (2, u32::from(b0 & 0x1F))
    } else if b0 < 0xF0 {
        (3, u32::from(b0 & 0x0F))
    } else {
        (4, u32::from(b0 & 0x07))
    };
    let mut c = init;
    for &b in &s[i + 1..i + len] {
        c = (c << 6) | u32::from(b & 0x3F);
    }
    // The input is a `str`, so this is a valid scalar value.
    (char::from_u32(c).unwrap_or('\u{FFFD}'), len)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The flags of every code point, straight from `regex-syntax`.
    fn derived() -> Vec<u8> {
        let mut t = vec![0u8; PLANES];
        let classes: [(&str, u8); 5] = [
            (r"\p{L}", LETTER),
            (r"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]", UPPER),
            (r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]", LOWER),
            (r"\p{N}", NUMBER),
            (r"\s", SPACE),
        ];
        for (pattern, flag) in classes {
            let hir = regex_syntax::parse(pattern).expect("class pattern parses");
            let regex_syntax::hir::HirKind::Class(regex_syntax::hir::Class::Unicode(class)) =
                hir.kind()
            else {
                unreachable!("{pattern} is a Unicode class")
            };
            for range in class.ranges() {
                for f in &mut t[range.start() as usize..=range.end() as usize] {
                    *f |= flag;
                }
            }
        }
        t
    }

    /// `ranges.rs` is `regex-syntax`'s classes; with
    /// `PREFLIGHT_REGENERATE=1` this test rewrites it (after a `regex-syntax`
    /// upgrade with new Unicode tables).
    #[test]
    fn the_stored_ranges_are_regex_syntax_classes() {
        let want = derived();
        if std::env::var_os("PREFLIGHT_REGENERATE").is_some() {
            let mut out = String::from(
                "//! Code point ranges and their class flags, generated from `regex-syntax`\n\
                 //! by `PREFLIGHT_REGENERATE=1 cargo test --lib classes`. Do not edit.\n\n\
                 #[rustfmt::skip]\npub(super) static RANGES: &[(u32, u32, u8)] = &[\n",
            );
            let mut start = 0;
            for c in 1..=PLANES {
                if c == PLANES || want[c] != want[start] {
                    if want[start] != 0 {
                        out.push_str(&format!(
                            "    (0x{start:X}, 0x{:X}, {}),\n",
                            c - 1,
                            want[start]
                        ));
                    }
                    start = c;
                }
            }
            out.push_str("];\n");
            std::fs::write(
                concat!(env!("CARGO_MANIFEST_DIR"), "/src/tokens/classes/ranges.rs"),
                out,
            )
            .unwrap();
        }
        assert!(
            table() == &want[..],
            "ranges.rs is stale: run with PREFLIGHT_REGENERATE=1"
        );
    }
}

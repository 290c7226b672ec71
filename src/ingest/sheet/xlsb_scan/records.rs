//! calamine's xlsb record reader (`RecordIter` and `wide_str` in calamine
//! 0.38 `src/xlsb/mod.rs`), step for step, over a part already in memory.
//!
//! calamine reads each record into a buffer that it reuses and only ever
//! grows, and several of its reads index that buffer past the record just
//! read. So the mirror keeps the same buffer, filled the same way: what
//! calamine would index, the scan can check first.

use super::Stop;
use encoding_rs::UTF_16LE;

/// A part's records, read as calamine reads them.
pub(super) struct Records<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Records<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Records { bytes, at: 0 }
    }

    fn read_u8(&mut self) -> Result<u8, Stop> {
        let b = *self.bytes.get(self.at).ok_or(Stop::Cut)?;
        self.at += 1;
        Ok(b)
    }

    /// The next record type: one byte, or two when the first has its high
    /// bit set (calamine's `read_type`).
    pub(super) fn read_type(&mut self) -> Result<u16, Stop> {
        let b = self.read_u8()?;
        Ok(if b & 0x80 == 0x80 {
            u16::from(b & 0x7F) + (u16::from(self.read_u8()? & 0x7F) << 7)
        } else {
            u16::from(b)
        })
    }

    /// Reads the record's length (up to four 7-bit groups) and its body
    /// into `buf`, growing `buf` to fit and never shrinking it (calamine's
    /// `fill_buffer`). A body that runs past the part stops the scan
    /// before anything is allocated for it, where calamine would allocate
    /// up to 256 MB and then fail.
    pub(super) fn fill(&mut self, buf: &mut Vec<u8>) -> Result<usize, Stop> {
        let mut b = self.read_u8()?;
        let mut len = usize::from(b & 0x7F);
        for i in 1..4 {
            if b & 0x80 == 0 {
                break;
            }
            b = self.read_u8()?;
            len += usize::from(b & 0x7F) << (7 * i);
        }
        let body = self
            .bytes
            .get(self.at..self.at.saturating_add(len))
            .ok_or(Stop::Overrun)?;
        if buf.len() < len {
            buf.resize(len, 0);
        }
        buf[..len].copy_from_slice(body);
        self.at += len;
        Ok(len)
    }

    /// Reads records until one of `record_type`, skipping the blocks that
    /// `bounds` opens and closes (calamine's `next_skip_blocks`).
    pub(super) fn next_skip_blocks(
        &mut self,
        record_type: u16,
        bounds: &[(u16, Option<u16>)],
        buf: &mut Vec<u8>,
    ) -> Result<usize, Stop> {
        loop {
            let typ = self.read_type()?;
            let len = self.fill(buf)?;
            if typ == record_type {
                return Ok(len);
            }
            if let Some(end) = bounds.iter().find(|b| b.0 == typ).and_then(|b| b.1) {
                while self.read_type()? != end {
                    self.fill(buf)?;
                }
                self.fill(buf)?;
            }
        }
    }
}

/// A little-endian `u32` at `at`; `Stop::Index` where calamine's
/// `read_u32` would panic.
pub(super) fn u32_at(buf: &[u8], at: usize) -> Result<u32, Stop> {
    let b = buf.get(at..at.saturating_add(4)).ok_or(Stop::Index)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// A little-endian `u16` at `at`, as [`u32_at`].
pub(super) fn u16_at(buf: &[u8], at: usize) -> Result<u16, Stop> {
    let b = buf.get(at..at.saturating_add(2)).ok_or(Stop::Index)?;
    Ok(u16::from_le_bytes([b[0], b[1]]))
}

/// `&buf[from..]`, or `Stop::Index` where slicing would panic.
pub(super) fn tail(buf: &[u8], from: usize) -> Result<&[u8], Stop> {
    buf.get(from..).ok_or(Stop::Index)
}

/// calamine's `wide_str`: a `u32` count of UTF-16 units, then the units.
/// Returns the decoded text and the bytes it took; `Stop::Rejected` where
/// calamine returns an error.
pub(super) fn wide_str(buf: &[u8]) -> Result<(String, usize), Stop> {
    if buf.len() < 4 {
        return Err(Stop::Rejected);
    }
    let units = u32_at(buf, 0)? as usize;
    let end = units
        .checked_mul(2)
        .and_then(|n| n.checked_add(4))
        .ok_or(Stop::Rejected)?;
    let text = buf.get(4..end).ok_or(Stop::Rejected)?;
    // As calamine does: `decode` also follows a byte order mark.
    Ok((UTF_16LE.decode(text).0.into_owned(), end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_types_lengths_and_bodies_like_calamine() {
        // Type 0x0116 (two bytes), length 3; then type 0x01, length 0.
        let part = [0x96, 0x02, 0x03, 1, 2, 3, 0x01, 0x00];
        let mut records = Records::new(&part);
        let mut buf = vec![9; 5];
        assert_eq!(records.read_type(), Ok(0x0116));
        assert_eq!(records.fill(&mut buf), Ok(3));
        // The buffer keeps its length and its stale tail.
        assert_eq!(buf, [1, 2, 3, 9, 9]);
        assert_eq!(records.read_type(), Ok(0x01));
        assert_eq!(records.fill(&mut buf), Ok(0));
        assert_eq!(records.read_type(), Err(Stop::Cut));
    }

    #[test]
    fn a_body_past_the_part_is_refused_before_it_is_allocated() {
        // Length 0x0FFFFFFF (four groups) with two bytes of body.
        let part = [0x01, 0xFF, 0xFF, 0xFF, 0x7F, 1, 2];
        let mut records = Records::new(&part);
        let mut buf = Vec::new();
        records.read_type().unwrap();
        assert_eq!(records.fill(&mut buf), Err(Stop::Overrun));
        assert!(buf.is_empty());
    }

    #[test]
    fn wide_strings_fit_or_are_rejected() {
        let ok = [2, 0, 0, 0, b'h', 0, b'i', 0, 0xAA];
        assert_eq!(wide_str(&ok), Ok(("hi".to_owned(), 8)));
        assert_eq!(wide_str(&[3, 0, 0, 0, b'h', 0]), Err(Stop::Rejected));
        assert_eq!(wide_str(&[0xFF, 0xFF, 0xFF, 0xFF]), Err(Stop::Rejected));
        assert_eq!(wide_str(&[1, 0]), Err(Stop::Rejected));
    }
}

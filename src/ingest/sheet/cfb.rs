//! The directory of an OLE compound file (the container of .xls, .doc and
//! password-protected Office files): just enough to list its stream names
//! and read one stream, reading only within the bytes given and following
//! no chain further than the file has sectors.

const FREE: u32 = 0xFFFF_FFFF;
const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
/// Most entries read, whatever the file claims.
const MAX_ENTRIES: usize = 100_000;

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// One directory entry.
struct Entry {
    name: String,
    /// 1 storage, 2 stream, 5 root.
    kind: u8,
    start: u32,
    len: u64,
}

/// An opened compound file: its sectors, allocation table and directory.
struct Compound<'a> {
    bytes: &'a [u8],
    size: usize,
    sectors: usize,
    fat: Vec<u32>,
    entries: Vec<Entry>,
}

impl<'a> Compound<'a> {
    fn open(bytes: &'a [u8]) -> Option<Self> {
        let shift = u16_at(bytes, 0x1E)?;
        if shift != 9 && shift != 12 {
            return None;
        }
        let size = 1usize << shift;
        let mut file = Compound {
            bytes,
            size,
            sectors: bytes.len() / size,
            fat: Vec::new(),
            entries: Vec::new(),
        };
        // The sectors holding the allocation table: 109 in the header, the
        // rest in a chain of DIFAT sectors.
        let mut fat_sectors: Vec<u32> = (0..109)
            .filter_map(|i| u32_at(bytes, 0x4C + i * 4))
            .filter(|&s| s != FREE && s != END_OF_CHAIN)
            .collect();
        let mut difat = u32_at(bytes, 0x44)?;
        let mut hops = 0;
        while difat != END_OF_CHAIN && difat != FREE && hops <= file.sectors {
            let Some(data) = file.sector(difat) else {
                break;
            };
            let per = size / 4 - 1;
            fat_sectors.extend(
                (0..per)
                    .filter_map(|i| u32_at(data, i * 4))
                    .filter(|&s| s != FREE && s != END_OF_CHAIN),
            );
            difat = u32_at(data, per * 4)?;
            hops += 1;
        }
        fat_sectors.truncate(file.sectors + 1);
        for &s in &fat_sectors {
            let Some(data) = file.sector(s) else { continue };
            file.fat
                .extend((0..size / 4).filter_map(|i| u32_at(data, i * 4)));
        }
        // Follow the directory chain, reading 128-byte entries.
        let mut next = u32_at(bytes, 0x30)?;
        let mut hops = 0;
        while next != END_OF_CHAIN && hops <= file.sectors && file.entries.len() < MAX_ENTRIES {
            let data = file.sector(next)?;
            for entry in data.chunks_exact(128) {
                let len = usize::from(u16_at(entry, 64)?).min(64);
                let kind = entry[66];
                if kind == 0 || len < 2 {
                    continue;
                }
                let units: Vec<u16> = entry[..len - 2]
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect();
                file.entries.push(Entry {
                    name: String::from_utf16_lossy(&units),
                    kind,
                    start: u32_at(entry, 116)?,
                    len: u64::from(u32_at(entry, 120)?),
                });
            }
            next = *file.fat.get(next as usize)?;
            hops += 1;
        }
        (!file.entries.is_empty()).then_some(file)
    }

    fn sector(&self, id: u32) -> Option<&'a [u8]> {
        let start = (id as usize).checked_add(1)?.checked_mul(self.size)?;
        self.bytes.get(start..start.checked_add(self.size)?)
    }

    /// The bytes of a sector chain, at most `max` of them.
    fn chain(&self, start: u32, max: u64) -> Vec<u8> {
        let mut out = Vec::new();
        let (mut next, mut hops) = (start, 0);
        while next != END_OF_CHAIN && hops <= self.sectors && (out.len() as u64) < max {
            let Some(data) = self.sector(next) else { break };
            out.extend_from_slice(data);
            let Some(&following) = self.fat.get(next as usize) else {
                break;
            };
            next = following;
            hops += 1;
        }
        out
    }

    /// A stream's bytes, at most `max`: small streams live in the mini
    /// stream (64-byte sectors inside the root entry's stream).
    fn stream(&self, entry: &Entry, max: u64) -> Vec<u8> {
        let want = entry.len.min(max);
        let cutoff = u64::from(u32_at(self.bytes, 0x38).unwrap_or(4096));
        let mut out = if entry.len >= cutoff {
            self.chain(entry.start, want)
        } else {
            let Some(root) = self.entries.iter().find(|e| e.kind == 5) else {
                return Vec::new();
            };
            let mini = self.chain(root.start, root.len);
            let table = self.chain(u32_at(self.bytes, 0x3C).unwrap_or(END_OF_CHAIN), u64::MAX);
            let mini_fat: Vec<u32> = table
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let mut out = Vec::new();
            let (mut next, mut hops) = (entry.start, 0);
            while next != END_OF_CHAIN && hops <= mini_fat.len() && (out.len() as u64) < want {
                let Some(start) = (next as usize).checked_mul(64) else {
                    break;
                };
                let Some(data) = mini.get(start..start.saturating_add(64)) else {
                    break;
                };
                out.extend_from_slice(data);
                let Some(&following) = mini_fat.get(next as usize) else {
                    break;
                };
                next = following;
                hops += 1;
            }
            out
        };
        out.truncate(want as usize);
        out
    }
}

/// The names of the storages and streams of a compound file, or `None`
/// when its header or directory cannot be read.
pub(super) fn entry_names(bytes: &[u8]) -> Option<Vec<String>> {
    Compound::open(bytes).map(|file| file.entries.into_iter().map(|e| e.name).collect())
}

/// The bytes of the stream called `name` (case-insensitive), at most `max`.
pub(super) fn stream(bytes: &[u8], name: &str, max: u64) -> Option<Vec<u8>> {
    let file = Compound::open(bytes)?;
    let entry = file
        .entries
        .iter()
        .find(|e| e.kind == 2 && e.name.eq_ignore_ascii_case(name))?;
    Some(file.stream(entry, max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_none_and_never_panics() {
        assert_eq!(entry_names(b""), None);
        let mut header = vec![0u8; 512];
        header[..8].copy_from_slice(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
        header[0x1E] = 9;
        assert_eq!(entry_names(&header), None);
        header[0x30..0x34].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(entry_names(&header), None);
        // A directory chain that loops on itself stops.
        let mut looped = header.clone();
        looped.extend(vec![0u8; 1024]);
        looped[0x4C..0x50].copy_from_slice(&1u32.to_le_bytes());
        looped[0x30..0x34].copy_from_slice(&0u32.to_le_bytes());
        let _ = entry_names(&looped);
    }
}

//! The directory of an OLE compound file (the container of .xls, .doc and
//! password-protected Office files): just enough to list its stream names,
//! reading only within the bytes given.

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

/// The names of the storages and streams of a compound file, or `None`
/// when its header or directory cannot be read.
pub(super) fn entry_names(bytes: &[u8]) -> Option<Vec<String>> {
    let shift = u16_at(bytes, 0x1E)?;
    if shift != 9 && shift != 12 {
        return None;
    }
    let size = 1usize << shift;
    let sectors = bytes.len() / size;
    let sector = |id: u32| -> Option<&[u8]> {
        let start = (id as usize).checked_add(1)?.checked_mul(size)?;
        bytes.get(start..start.checked_add(size)?)
    };
    // The sectors holding the allocation table: 109 in the header, the
    // rest in a chain of DIFAT sectors.
    let mut fat_sectors: Vec<u32> = (0..109)
        .filter_map(|i| u32_at(bytes, 0x4C + i * 4))
        .filter(|&s| s != FREE && s != END_OF_CHAIN)
        .collect();
    let mut difat = u32_at(bytes, 0x44)?;
    let mut hops = 0;
    while difat != END_OF_CHAIN && difat != FREE && hops <= sectors {
        let Some(data) = sector(difat) else { break };
        let per = size / 4 - 1;
        fat_sectors.extend(
            (0..per)
                .filter_map(|i| u32_at(data, i * 4))
                .filter(|&s| s != FREE && s != END_OF_CHAIN),
        );
        difat = u32_at(data, per * 4)?;
        hops += 1;
    }
    fat_sectors.truncate(sectors + 1);
    let mut fat = Vec::new();
    for &s in &fat_sectors {
        let Some(data) = sector(s) else { continue };
        fat.extend((0..size / 4).filter_map(|i| u32_at(data, i * 4)));
    }
    // Follow the directory chain, reading 128-byte entries.
    let mut names = Vec::new();
    let mut next = u32_at(bytes, 0x30)?;
    let mut hops = 0;
    while next != END_OF_CHAIN && hops <= sectors && names.len() < MAX_ENTRIES {
        let data = sector(next)?;
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
            names.push(String::from_utf16_lossy(&units));
        }
        next = *fat.get(next as usize)?;
        hops += 1;
    }
    if names.is_empty() {
        None
    } else {
        Some(names)
    }
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

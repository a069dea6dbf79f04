//! The parts of the ZIP format needed to locate the `info-*.tar.zst` member
//! of a `.conda` archive: the end-of-central-directory record, its ZIP64
//! variant, central directory headers and local headers.

/// Size of the end-of-central-directory record without its comment.
pub(crate) const EOCD_LEN: usize = 22;
/// Size of the ZIP64 end-of-central-directory locator.
const ZIP64_LOCATOR_LEN: usize = 20;
/// Size of the ZIP64 end-of-central-directory record without extensions.
pub(crate) const ZIP64_EOCD_LEN: usize = 56;
/// Size of a local file header without name and extra field.
pub(crate) const LOCAL_HEADER_LEN: usize = 30;
/// Largest ZIP comment, which bounds the search for the EOCD.
pub(crate) const MAX_COMMENT_LEN: usize = 0xFFFF;

const EOCD_SIGNATURE: u32 = 0x0605_4b50;
const ZIP64_LOCATOR_SIGNATURE: u32 = 0x0706_4b50;
const ZIP64_EOCD_SIGNATURE: u32 = 0x0606_4b50;
const CENTRAL_HEADER_SIGNATURE: u32 = 0x0201_4b50;
const LOCAL_HEADER_SIGNATURE: u32 = 0x0403_4b50;
const ZIP64_EXTRA_ID: u16 = 0x0001;

/// Compression method "stored" (no compression), which `.conda` members use.
pub(crate) const METHOD_STORED: u16 = 0;

/// A malformed or unsupported ZIP structure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct ZipFormatError(pub String);

fn invalid(message: impl Into<String>) -> ZipFormatError {
    ZipFormatError(message.into())
}

/// The location of the central directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CentralDirectory {
    /// Offset of the first central directory header.
    pub offset: u64,
    /// Size of the central directory in bytes.
    pub size: u64,
}

/// The central directory location, as the end of the archive records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndRecord {
    /// The classic EOCD gives the location directly.
    Classic(CentralDirectory),
    /// The archive is ZIP64: the ZIP64 EOCD record at this offset gives the location.
    Zip64 { record_offset: u64 },
}

/// One central directory header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CentralEntry {
    /// The member name.
    pub name: String,
    /// The compression method.
    pub method: u16,
    /// The size of the member data in the archive.
    pub compressed_size: u64,
    /// Offset of the member's local header.
    pub local_header_offset: u64,
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    bytes
        .get(at..at + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    let b = bytes.get(at..at + 8)?;
    Some(u64::from_le_bytes([
        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
    ]))
}

/// Finds the end record in `tail`, the last bytes of an archive, which
/// start `tail_start` bytes into the file.
pub(crate) fn parse_end_record(tail: &[u8], tail_start: u64) -> Result<EndRecord, ZipFormatError> {
    let position = find_eocd(tail).ok_or_else(|| invalid("no end-of-central-directory record"))?;
    let eocd = &tail[position..];
    let entries = u16_at(eocd, 10).unwrap_or_default();
    let size = u32_at(eocd, 12).unwrap_or_default();
    let offset = u32_at(eocd, 16).unwrap_or_default();
    let zip64 = entries == u16::MAX || size == u32::MAX || offset == u32::MAX;
    if !zip64 {
        return Ok(EndRecord::Classic(CentralDirectory {
            offset: u64::from(offset),
            size: u64::from(size),
        }));
    }

    let locator = position
        .checked_sub(ZIP64_LOCATOR_LEN)
        .map(|start| &tail[start..position])
        .filter(|locator| u32_at(locator, 0) == Some(ZIP64_LOCATOR_SIGNATURE))
        .ok_or_else(|| {
            let at = tail_start + position as u64;
            invalid(format!(
                "ZIP64 archive without a ZIP64 locator before offset {at}"
            ))
        })?;
    let record_offset = u64_at(locator, 8).unwrap_or_default();
    Ok(EndRecord::Zip64 { record_offset })
}

/// Scans backwards for the EOCD signature whose comment length fits the tail.
fn find_eocd(tail: &[u8]) -> Option<usize> {
    let last = tail.len().checked_sub(EOCD_LEN)?;
    let first = last.saturating_sub(MAX_COMMENT_LEN);
    (first..=last).rev().find(|&at| {
        u32_at(tail, at) == Some(EOCD_SIGNATURE)
            && u16_at(tail, at + 20)
                .is_some_and(|comment| at + EOCD_LEN + usize::from(comment) == tail.len())
    })
}

/// Reads the central directory location from a ZIP64 EOCD record.
pub(crate) fn parse_zip64_record(record: &[u8]) -> Result<CentralDirectory, ZipFormatError> {
    if u32_at(record, 0) != Some(ZIP64_EOCD_SIGNATURE) {
        return Err(invalid("bad ZIP64 end-of-central-directory signature"));
    }
    let size = u64_at(record, 40).ok_or_else(|| invalid("truncated ZIP64 record"))?;
    let offset = u64_at(record, 48).ok_or_else(|| invalid("truncated ZIP64 record"))?;
    Ok(CentralDirectory { offset, size })
}

/// Parses every header of a central directory.
pub(crate) fn parse_central_directory(bytes: &[u8]) -> Result<Vec<CentralEntry>, ZipFormatError> {
    let mut entries = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if u32_at(bytes, at) != Some(CENTRAL_HEADER_SIGNATURE) {
            return Err(invalid(format!(
                "bad central directory header at byte {at} of the directory"
            )));
        }
        let field = |offset: usize| {
            u16_at(bytes, at + offset).ok_or_else(|| invalid("truncated central directory"))
        };
        let method = field(10)?;
        let name_len = usize::from(field(28)?);
        let extra_len = usize::from(field(30)?);
        let comment_len = usize::from(field(32)?);
        let compressed =
            u32_at(bytes, at + 20).ok_or_else(|| invalid("truncated central directory"))?;
        let uncompressed =
            u32_at(bytes, at + 24).ok_or_else(|| invalid("truncated central directory"))?;
        let local = u32_at(bytes, at + 42).ok_or_else(|| invalid("truncated central directory"))?;

        let name_start = at + 46;
        let extra_start = name_start + name_len;
        let end = extra_start + extra_len + comment_len;
        let name = bytes
            .get(name_start..extra_start)
            .ok_or_else(|| invalid("truncated member name"))?;
        let extra = bytes
            .get(extra_start..extra_start + extra_len)
            .ok_or_else(|| invalid("truncated extra field"))?;

        let (compressed_size, local_header_offset) =
            resolve_zip64(extra, uncompressed, compressed, local)?;
        entries.push(CentralEntry {
            name: String::from_utf8_lossy(name).into_owned(),
            method,
            compressed_size,
            local_header_offset,
        });
        at = end;
    }
    Ok(entries)
}

/// Replaces 32-bit fields set to `0xFFFFFFFF` with their values from the
/// ZIP64 extra field, which lists them in the order uncompressed size,
/// compressed size, local header offset.
fn resolve_zip64(
    extra: &[u8],
    uncompressed: u32,
    compressed: u32,
    local: u32,
) -> Result<(u64, u64), ZipFormatError> {
    let mut compressed_size = u64::from(compressed);
    let mut local_offset = u64::from(local);
    if compressed != u32::MAX && local != u32::MAX {
        return Ok((compressed_size, local_offset));
    }

    let mut at = 0;
    while at + 4 <= extra.len() {
        let id = u16_at(extra, at).unwrap_or_default();
        let len = usize::from(u16_at(extra, at + 2).unwrap_or_default());
        let data = extra
            .get(at + 4..at + 4 + len)
            .ok_or_else(|| invalid("truncated ZIP64 extra field"))?;
        if id == ZIP64_EXTRA_ID {
            let mut values = data
                .chunks_exact(8)
                .map(|c| u64_at(c, 0).unwrap_or_default());
            if uncompressed == u32::MAX {
                values.next();
            }
            if compressed == u32::MAX {
                compressed_size = values
                    .next()
                    .ok_or_else(|| invalid("ZIP64 extra field lacks the compressed size"))?;
            }
            if local == u32::MAX {
                local_offset = values
                    .next()
                    .ok_or_else(|| invalid("ZIP64 extra field lacks the header offset"))?;
            }
            return Ok((compressed_size, local_offset));
        }
        at += 4 + len;
    }
    Err(invalid("ZIP64 sizes without a ZIP64 extra field"))
}

/// Returns the length of a local header (fixed part, name and extra field),
/// so the member data starts that many bytes after the header's offset.
pub(crate) fn local_header_len(header: &[u8]) -> Result<u64, ZipFormatError> {
    if u32_at(header, 0) != Some(LOCAL_HEADER_SIGNATURE) {
        return Err(invalid("bad local file header signature"));
    }
    let name_len = u16_at(header, 26).ok_or_else(|| invalid("truncated local header"))?;
    let extra_len = u16_at(header, 28).ok_or_else(|| invalid("truncated local header"))?;
    Ok(LOCAL_HEADER_LEN as u64 + u64::from(name_len) + u64::from(extra_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a stored ZIP with the given members by hand.
    fn build_zip(members: &[(&str, &[u8])], comment: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data) in members {
            let offset = out.len() as u32;
            out.extend_from_slice(&LOCAL_HEADER_SIGNATURE.to_le_bytes());
            out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&4u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&[0xAA; 4]);
            out.extend_from_slice(data);

            central.extend_from_slice(&CENTRAL_HEADER_SIGNATURE.to_le_bytes());
            central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            central.extend_from_slice(&(data.len() as u32).to_le_bytes());
            central.extend_from_slice(&(data.len() as u32).to_le_bytes());
            central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0; 12]);
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let cd_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&EOCD_SIGNATURE.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(members.len() as u16).to_le_bytes());
        out.extend_from_slice(&(members.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&(comment.len() as u16).to_le_bytes());
        out.extend_from_slice(comment);
        out
    }

    #[test]
    fn finds_members_through_the_central_directory() {
        let zip = build_zip(
            &[("metadata.json", b"{}"), ("info-x.tar.zst", b"INFO")],
            b"a comment",
        );
        let tail_start = 10u64;
        let EndRecord::Classic(directory) = parse_end_record(&zip[10..], tail_start).unwrap()
        else {
            panic!("expected a classic end record");
        };
        let start = directory.offset as usize;
        let entries =
            parse_central_directory(&zip[start..start + directory.size as usize]).unwrap();
        assert_eq!(entries.len(), 2);
        let info = &entries[1];
        assert_eq!(info.name, "info-x.tar.zst");
        assert_eq!(info.method, METHOD_STORED);

        let header_start = info.local_header_offset as usize;
        let data_start = header_start + local_header_len(&zip[header_start..]).unwrap() as usize;
        assert_eq!(
            &zip[data_start..data_start + info.compressed_size as usize],
            b"INFO"
        );
    }

    #[test]
    fn missing_end_record_is_an_error() {
        assert!(parse_end_record(b"not a zip file at all, just text", 0).is_err());
    }

    #[test]
    fn zip64_extra_field_supplies_sizes() {
        let mut extra = Vec::new();
        extra.extend_from_slice(&ZIP64_EXTRA_ID.to_le_bytes());
        extra.extend_from_slice(&16u16.to_le_bytes());
        extra.extend_from_slice(&7_000_000_000u64.to_le_bytes());
        extra.extend_from_slice(&5_000_000_000u64.to_le_bytes());
        let (size, offset) = resolve_zip64(&extra, 10, u32::MAX, u32::MAX).unwrap();
        assert_eq!(size, 7_000_000_000);
        assert_eq!(offset, 5_000_000_000);
    }
}

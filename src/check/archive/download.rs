//! Full downloads into the cache directory, verified against sha256.

use std::io::{Read, Write};
use std::path::Path;

use rattler_digest::Sha256Hash;
use sha2::{Digest, Sha256};
use url::Url;

use super::source::{body_error, Transferred};
use super::ArchiveError;
use crate::channels::redact_url;

/// Returns whether `path` exists and its sha256 is `expected`.
pub(super) fn cached_matches(path: &Path, expected: &Sha256Hash) -> bool {
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let mut hasher = Sha256::new();
    let mut reader = std::io::BufReader::new(file);
    if std::io::copy(&mut reader, &mut hasher).is_err() {
        return false;
    }
    hasher.finalize().as_slice() == expected.as_slice()
}

/// Streams the body of `response` into `path` (through a temporary file in
/// the same directory), counting bytes and checking the sha256 when known.
/// A mismatching download is deleted.
pub(super) async fn to_cache(
    mut response: reqwest::Response,
    url: &Url,
    path: &Path,
    expected: Option<Sha256Hash>,
    transferred: &mut Transferred,
) -> Result<(), ArchiveError> {
    let directory = path.parent().unwrap_or(Path::new("."));
    let io_error = |source| ArchiveError::Io {
        path: directory.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(directory).map_err(io_error)?;
    let mut temporary = tempfile::NamedTempFile::new_in(directory).map_err(io_error)?;

    let mut hasher = Sha256::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| body_error(url, &error))?
    {
        transferred.bytes += chunk.len() as u64;
        hasher.update(&chunk);
        temporary.write_all(&chunk).map_err(io_error)?;
    }
    let actual = hasher.finalize();

    match expected {
        Some(expected) if actual.as_slice() != expected.as_slice() => {
            Err(ArchiveError::HashMismatch {
                url: redact_url(url).to_string(),
                expected: hex::encode(expected),
                actual: hex::encode(actual),
            })
        }
        _ => {
            if expected.is_none() {
                tracing::warn!(url = %redact_url(url), "the record has no sha256; the download is not verified");
            }
            temporary.persist(path).map_err(|e| ArchiveError::Io {
                path: path.to_path_buf(),
                source: e.error,
            })?;
            Ok(())
        }
    }
}

/// A reader that counts the bytes read through it.
pub(super) struct CountingReader<R> {
    inner: R,
    count: u64,
}

impl<R> CountingReader<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Self {
        Self { inner, count: 0 }
    }

    /// Returns the bytes read so far.
    pub fn count(&self) -> u64 {
        self.count
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.count += read as u64;
        Ok(read)
    }
}

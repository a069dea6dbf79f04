//! Byte ranges of one archive, over HTTP `Range` requests or from a local
//! file, with a count of the bytes transferred.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use reqwest::header::{CONTENT_RANGE, RANGE};
use reqwest::StatusCode;
use reqwest_middleware::ClientWithMiddleware;
use url::Url;

use super::ArchiveError;
use crate::channels::redact_url;

/// Bytes and requests (or local reads) spent on one archive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Transferred {
    /// Body bytes received, or bytes read from disk.
    pub bytes: u64,
    /// HTTP requests sent, or local reads.
    pub requests: u32,
}

/// A range-readable archive: a remote archive on a server that supports
/// `Range` requests, or a local file. Fetched segments are kept, so a read
/// inside an earlier one costs nothing.
pub(crate) struct RangeReader {
    backend: Backend,
    total: u64,
    segments: Vec<(u64, Vec<u8>)>,
    transferred: Transferred,
}

enum Backend {
    Http {
        client: ClientWithMiddleware,
        url: Url,
    },
    File {
        path: PathBuf,
        file: File,
    },
}

/// The response to the first request for an archive's tail.
pub(crate) enum TailResponse {
    /// The server responded with 206, so further ranges can be requested.
    Ranges(RangeReader),
    /// The server ignored `Range` and sends the whole archive (200).
    WholeArchive {
        /// The response whose body is the archive.
        response: reqwest::Response,
        /// The transfer count including this request.
        transferred: Transferred,
    },
    /// The server responded with 416 (some servers do for a suffix range
    /// longer than the file).
    Unsatisfiable {
        /// The transfer count including this request.
        transferred: Transferred,
    },
}

impl RangeReader {
    /// Requests the last `tail_len` bytes of `url` with a suffix range.
    pub async fn open_http(
        client: &ClientWithMiddleware,
        url: &Url,
        tail_len: u64,
    ) -> Result<TailResponse, ArchiveError> {
        let mut transferred = Transferred {
            bytes: 0,
            requests: 1,
        };
        let mut response = send(client, url, Some(format!("bytes=-{tail_len}"))).await?;
        match response.status() {
            StatusCode::PARTIAL_CONTENT => {}
            StatusCode::OK => {
                return Ok(TailResponse::WholeArchive {
                    response,
                    transferred,
                })
            }
            StatusCode::RANGE_NOT_SATISFIABLE => {
                return Ok(TailResponse::Unsatisfiable { transferred })
            }
            status => return Err(status_error(url, status)),
        }

        let (start, end, total) = content_range(&response, url)?;
        let body = read_body(&mut response, url, &mut transferred).await?;
        check_length(url, &body, start, end)?;
        Ok(TailResponse::Ranges(Self {
            backend: Backend::Http {
                client: client.clone(),
                url: url.clone(),
            },
            total,
            segments: vec![(start, body)],
            transferred,
        }))
    }

    /// Opens a local archive for range reads.
    pub fn open_file(path: &Path) -> Result<Self, ArchiveError> {
        let io_error = |source| ArchiveError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io_error)?;
        let total = file.metadata().map_err(io_error)?.len();
        let backend = Backend::File {
            path: path.to_path_buf(),
            file,
        };
        Ok(Self {
            backend,
            total,
            segments: Vec::new(),
            transferred: Transferred::default(),
        })
    }

    /// Returns the archive size in bytes.
    pub fn len(&self) -> u64 {
        self.total
    }

    /// Returns the transfer so far.
    pub fn transferred(&self) -> Transferred {
        self.transferred
    }

    /// Returns `len` bytes starting at `start`.
    pub async fn read(&mut self, start: u64, len: u64) -> Result<Vec<u8>, ArchiveError> {
        let end = start
            .checked_add(len)
            .filter(|end| *end <= self.total)
            .ok_or_else(|| ArchiveError::InvalidArchive {
                url: self.location(),
                message: format!(
                    "range {start}+{len} lies beyond the end of the {}-byte archive",
                    self.total
                ),
            })?;
        if let Some(bytes) = self.cached(start, end) {
            return Ok(bytes);
        }
        self.transferred.requests += 1;
        let bytes = match &mut self.backend {
            Backend::Http { client, url } => {
                fetch_range(client, url, start, end, &mut self.transferred).await?
            }
            Backend::File { path, file } => read_file_range(path, file, start, end)?,
        };
        if matches!(self.backend, Backend::File { .. }) {
            self.transferred.bytes += bytes.len() as u64;
        }
        self.segments.push((start, bytes.clone()));
        Ok(bytes)
    }

    fn cached(&self, start: u64, end: u64) -> Option<Vec<u8>> {
        self.segments.iter().find_map(|(segment_start, bytes)| {
            let segment_end = segment_start + bytes.len() as u64;
            if start >= *segment_start && end <= segment_end {
                let from = (start - segment_start) as usize;
                let to = (end - segment_start) as usize;
                Some(bytes[from..to].to_vec())
            } else {
                None
            }
        })
    }

    fn location(&self) -> String {
        match &self.backend {
            Backend::Http { url, .. } => redact_url(url).to_string(),
            Backend::File { path, .. } => path.display().to_string(),
        }
    }
}

/// Requests bytes `start..end` and checks that the server sent exactly that range.
async fn fetch_range(
    client: &ClientWithMiddleware,
    url: &Url,
    start: u64,
    end: u64,
    transferred: &mut Transferred,
) -> Result<Vec<u8>, ArchiveError> {
    let range = format!("bytes={start}-{}", end - 1);
    let mut response = send(client, url, Some(range)).await?;
    if response.status() != StatusCode::PARTIAL_CONTENT {
        return Err(ArchiveError::RangeNotHonoured {
            url: redact_url(url).to_string(),
            status: response.status().as_u16(),
            transferred: *transferred,
        });
    }
    let (got_start, got_end, _) = content_range(&response, url)?;
    if got_start != start || got_end != end {
        return Err(ArchiveError::InvalidResponse {
            url: redact_url(url).to_string(),
            message: format!(
                "asked for bytes {start}-{}, got {got_start}-{}",
                end - 1,
                got_end - 1
            ),
        });
    }
    let body = read_body(&mut response, url, transferred).await?;
    check_length(url, &body, start, end)?;
    Ok(body)
}

fn read_file_range(
    path: &Path,
    file: &mut File,
    start: u64,
    end: u64,
) -> Result<Vec<u8>, ArchiveError> {
    let io_error = |source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut bytes = vec![0; (end - start) as usize];
    file.seek(SeekFrom::Start(start)).map_err(io_error)?;
    file.read_exact(&mut bytes).map_err(io_error)?;
    Ok(bytes)
}

/// Sends a GET, with a `Range` header when given.
pub(crate) async fn send(
    client: &ClientWithMiddleware,
    url: &Url,
    range: Option<String>,
) -> Result<reqwest::Response, ArchiveError> {
    let mut request = client.get(url.clone());
    if let Some(range) = range {
        request = request.header(RANGE, range);
    }
    request.send().await.map_err(|error| ArchiveError::Request {
        url: redact_url(url).to_string(),
        message: crate::channels::redact_text(&crate::solve::repodata::error_chain(&error)),
    })
}

/// Appends the body of `response` to a buffer, counting bytes as they arrive.
pub(crate) async fn read_body(
    response: &mut reqwest::Response,
    url: &Url,
    transferred: &mut Transferred,
) -> Result<Vec<u8>, ArchiveError> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| body_error(url, &error))?
    {
        transferred.bytes += chunk.len() as u64;
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Builds the error for a failure while receiving a response body.
pub(crate) fn body_error(url: &Url, error: &reqwest::Error) -> ArchiveError {
    ArchiveError::Body {
        url: redact_url(url).to_string(),
        message: crate::channels::redact_text(&crate::solve::repodata::error_chain(error)),
    }
}

pub(crate) fn status_error(url: &Url, status: StatusCode) -> ArchiveError {
    ArchiveError::Status {
        url: redact_url(url).to_string(),
        status: status.as_u16(),
    }
}

/// Parses `Content-Range: bytes START-LAST/TOTAL` into `(START, LAST + 1, TOTAL)`.
fn content_range(response: &reqwest::Response, url: &Url) -> Result<(u64, u64, u64), ArchiveError> {
    let invalid = |message: String| ArchiveError::InvalidResponse {
        url: redact_url(url).to_string(),
        message,
    };
    let header = response
        .headers()
        .get(CONTENT_RANGE)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| invalid("a 206 response without a Content-Range header".to_string()))?;
    let parsed = header.strip_prefix("bytes ").and_then(|rest| {
        let (range, total) = rest.split_once('/')?;
        let (first, last) = range.split_once('-')?;
        Some((
            first.trim().parse::<u64>().ok()?,
            last.trim().parse::<u64>().ok()?,
            total.trim().parse::<u64>().ok()?,
        ))
    });
    match parsed {
        Some((first, last, total)) if first <= last && last < total => Ok((first, last + 1, total)),
        _ => Err(invalid(format!("unusable Content-Range '{header}'"))),
    }
}

fn check_length(url: &Url, body: &[u8], start: u64, end: u64) -> Result<(), ArchiveError> {
    if body.len() as u64 == end - start {
        return Ok(());
    }
    Err(ArchiveError::InvalidResponse {
        url: redact_url(url).to_string(),
        message: format!(
            "expected {} body bytes for the range, got {}",
            end - start,
            body.len()
        ),
    })
}

//! Reading the file list (`info/paths.json`) of a package archive with as
//! few bytes as possible.
//!
//! For a remote `.conda` archive the fetcher requests the last
//! [`TAIL_BYTES`] with a suffix `Range` request. When the server responds
//! with 206, the fetcher reads the ZIP end-of-central-directory record and
//! the central directory from that tail, with one more request if they lie
//! before it. It then requests the local header and data of the
//! `info-*.tar.zst` member in one range. When the server ignores `Range` (200), the body already on its way
//! is the whole archive, so it is stored in the cache directory, verified
//! against the record's sha256 and read from there. `.tar.bz2` archives are
//! always downloaded whole. `file://` URLs are read from disk with the same
//! range logic.
//!
//! Only full downloads are checked against the record's sha256, because range
//! reads and `file://` reads see too little of the archive to hash it.

mod download;
mod info;
mod source;
mod zip;

use std::path::{Path, PathBuf};

use rattler_digest::Sha256Hash;
use reqwest_middleware::ClientWithMiddleware;
use serde::Serialize;
use url::Url;

use crate::check::rules::FileList;
use crate::exit_code::{Classify, ExitClass};
use source::{RangeReader, TailResponse};

pub use source::Transferred;

pub use info::file_list_from_tar;

/// Bytes requested from the end of a `.conda` archive in the first request.
/// The end record and central directory of a `.conda` archive (three
/// members) take a few hundred bytes, and the info member of a small package
/// often fits too, so one request is usually followed by at most one more.
pub const TAIL_BYTES: u64 = 64 * 1024;

/// Further attempts at an archive after its response body broke off.
const BODY_RETRIES: u32 = 2;

/// Extra bytes requested after a member's name to cover a local extra field,
/// which may be longer than the central directory's copy.
const LOCAL_EXTRA_SLACK: u64 = 1024;

/// A failure to read a package's file list.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ArchiveError {
    /// The request could not be sent or its body not received.
    #[error("failed to fetch {url}: {message}")]
    #[diagnostic(help("check the channel URL or --mirror, and that the server is reachable"))]
    Request {
        /// The archive URL, credentials redacted.
        url: String,
        /// The client's message.
        message: String,
    },
    /// A response body broke off or could not be decoded.
    #[error("failed to fetch {url}: {message}")]
    #[diagnostic(help("check the channel URL or --mirror, and that the server is reachable"))]
    Body {
        /// The archive URL, credentials redacted.
        url: String,
        /// The client's message.
        message: String,
    },
    /// The server responded with an error status.
    #[error("failed to fetch {url}: the server responded with HTTP {status}")]
    #[diagnostic(help("check that the mirror has the package the lock names"))]
    Status {
        /// The archive URL, credentials redacted.
        url: String,
        /// The status code.
        status: u16,
    },
    /// A server that accepted one range request responded to a later one without 206.
    #[error("{url}: the server responded with HTTP {status} to a range request after accepting an earlier one")]
    RangeNotHonoured {
        /// The archive URL, credentials redacted.
        url: String,
        /// The status code.
        status: u16,
        /// The transfer before the failed request.
        transferred: Transferred,
    },
    /// The server's response does not match the request.
    #[error("invalid response for {url}: {message}")]
    InvalidResponse {
        /// The archive URL, credentials redacted.
        url: String,
        /// The problem, in one sentence.
        message: String,
    },
    /// The archive is not a valid conda package.
    #[error("invalid package archive {url}: {message}")]
    InvalidArchive {
        /// The archive URL or path, credentials redacted.
        url: String,
        /// The problem, in one sentence.
        message: String,
    },
    /// The downloaded archive does not have the sha256 the record names.
    #[error("sha256 mismatch for {url}: the record says {expected}, the download has {actual}")]
    #[diagnostic(help("the mirror serves a different file than the lock names; re-run `envlock solve` or fix the mirror"))]
    HashMismatch {
        /// The archive URL, credentials redacted.
        url: String,
        /// The sha256 of the record.
        expected: String,
        /// The sha256 of the download.
        actual: String,
    },
    /// The URL does not name a `.conda` or `.tar.bz2` file, or has another scheme.
    #[error("unsupported package URL {url}: {message}")]
    Unsupported {
        /// The URL, credentials redacted.
        url: String,
        /// The unsupported part.
        message: String,
    },
    /// A local file could not be read or written.
    #[error("failed to access {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl Classify for ArchiveError {
    fn exit_class(&self) -> ExitClass {
        match self {
            ArchiveError::Unsupported { .. } => ExitClass::Input,
            ArchiveError::Io { .. } => ExitClass::Internal,
            _ => ExitClass::Network,
        }
    }
}

/// The way a file list was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TransferMethod {
    /// HTTP range requests for the info member only.
    RangeRequests,
    /// A full download, because the server ignores `Range` or the archive is `.tar.bz2`.
    FullDownload,
    /// An archive in the cache directory whose sha256 matches the record.
    Cache,
    /// A `file://` archive read from disk.
    LocalFile,
}

impl std::fmt::Display for TransferMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TransferMethod::RangeRequests => "range requests",
            TransferMethod::FullDownload => "full download",
            TransferMethod::Cache => "cache",
            TransferMethod::LocalFile => "local file",
        })
    }
}

/// The cost of reading one file list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Transfer {
    /// The way the list was obtained.
    pub method: TransferMethod,
    /// Bytes received over the network; for [`TransferMethod::LocalFile`],
    /// bytes read from disk. Zero for [`TransferMethod::Cache`].
    pub bytes: u64,
    /// HTTP requests sent, or local reads.
    pub requests: u32,
    /// The archive size in bytes, when known.
    pub archive_size: Option<u64>,
}

/// A package's file list and what reading it cost.
#[derive(Debug, Clone)]
pub struct FetchedFileList {
    /// The files of the package.
    pub files: FileList,
    /// The transfer.
    pub transfer: Transfer,
}

/// The archive formats of conda packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArchiveKind {
    Conda,
    TarBz2,
}

impl ArchiveKind {
    fn of(url: &Url) -> Option<Self> {
        let path = url.path();
        if path.ends_with(".conda") {
            Some(ArchiveKind::Conda)
        } else if path.ends_with(".tar.bz2") {
            Some(ArchiveKind::TarBz2)
        } else {
            None
        }
    }
}

/// Reads package file lists over HTTP(S) or from disk, caching full downloads.
#[derive(Debug, Clone)]
pub struct PackageFetcher {
    client: ClientWithMiddleware,
    cache_dir: PathBuf,
    tail_bytes: u64,
}

impl PackageFetcher {
    /// Creates a fetcher that keeps full downloads in `<cache_dir>/check-archives/`.
    pub fn new(client: ClientWithMiddleware, cache_dir: &Path) -> Self {
        Self {
            client,
            cache_dir: cache_dir.join("check-archives"),
            tail_bytes: TAIL_BYTES,
        }
    }

    /// Sets the byte count of the first range request (default
    /// [`TAIL_BYTES`]). Values below the 22-byte end record are raised to it.
    pub fn with_tail_bytes(mut self, tail_bytes: u64) -> Self {
        self.tail_bytes = tail_bytes.max(zip::EOCD_LEN as u64);
        self
    }

    /// Reads the file list of the archive at `url` (`http`, `https` or
    /// `file`); `sha256` verifies full downloads and cached archives.
    pub async fn fetch_file_list(
        &self,
        url: &Url,
        sha256: Option<Sha256Hash>,
    ) -> Result<FetchedFileList, ArchiveError> {
        let kind = ArchiveKind::of(url)
            .ok_or_else(|| unsupported(url, "not a .conda or .tar.bz2 archive"))?;
        match url.scheme() {
            "file" => {
                let path = url
                    .to_file_path()
                    .map_err(|()| unsupported(url, "not a local file path"))?;
                read_local(&path, kind, TransferMethod::LocalFile, self.tail_bytes).await
            }
            "http" | "https" => self.fetch_remote_with_retry(url, kind, sha256).await,
            other => Err(unsupported(
                url,
                &format!("the scheme '{other}' is not supported"),
            )),
        }
    }

    /// Runs [`Self::fetch_remote`] again (up to [`BODY_RETRIES`] times, one
    /// second apart) when a response body broke off. The HTTP client retries
    /// failures before the headers, but not a body that ends early.
    async fn fetch_remote_with_retry(
        &self,
        url: &Url,
        kind: ArchiveKind,
        sha256: Option<Sha256Hash>,
    ) -> Result<FetchedFileList, ArchiveError> {
        let mut attempt = 1;
        loop {
            match self.fetch_remote(url, kind, sha256).await {
                Err(ArchiveError::Body { message, .. }) if attempt <= BODY_RETRIES => {
                    tracing::warn!(
                        url = %crate::channels::redact_url(url),
                        attempt,
                        max_attempts = BODY_RETRIES + 1,
                        error = %message,
                        "a response body broke off, retrying"
                    );
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn fetch_remote(
        &self,
        url: &Url,
        kind: ArchiveKind,
        sha256: Option<Sha256Hash>,
    ) -> Result<FetchedFileList, ArchiveError> {
        let cache_path = self.cache_path(url)?;
        if let Some(expected) = sha256 {
            if download::cached_matches(&cache_path, &expected) {
                tracing::debug!(path = %cache_path.display(), "using the cached archive");
                return read_local(&cache_path, kind, TransferMethod::Cache, self.tail_bytes).await;
            }
        }

        if kind == ArchiveKind::TarBz2 {
            return self
                .download(url, kind, sha256, &cache_path, None, Transferred::default())
                .await;
        }
        match RangeReader::open_http(&self.client, url, self.tail_bytes).await? {
            TailResponse::Ranges(mut reader) => {
                let location = crate::channels::redact_url(url).to_string();
                match read_conda_info(&mut reader, &location, self.tail_bytes).await {
                    Ok(files) => Ok(fetched(
                        files,
                        TransferMethod::RangeRequests,
                        reader.transferred(),
                        Some(reader.len()),
                    )),
                    Err(ArchiveError::RangeNotHonoured { transferred, .. }) => {
                        tracing::info!(url = %crate::channels::redact_url(url), "range requests stopped working; downloading the whole archive");
                        self.download(url, kind, sha256, &cache_path, None, transferred)
                            .await
                    }
                    Err(error) => Err(error),
                }
            }
            TailResponse::WholeArchive {
                response,
                transferred,
            } => {
                tracing::info!(url = %crate::channels::redact_url(url), "the server ignores Range; downloading the whole archive");
                self.download(url, kind, sha256, &cache_path, Some(response), transferred)
                    .await
            }
            TailResponse::Unsatisfiable { transferred } => {
                self.download(url, kind, sha256, &cache_path, None, transferred)
                    .await
            }
        }
    }

    /// Downloads the whole archive into the cache (reusing `response` when
    /// the server already sends it), verifies it and reads the file list.
    async fn download(
        &self,
        url: &Url,
        kind: ArchiveKind,
        sha256: Option<Sha256Hash>,
        cache_path: &Path,
        response: Option<reqwest::Response>,
        mut transferred: Transferred,
    ) -> Result<FetchedFileList, ArchiveError> {
        let response = match response {
            Some(response) => response,
            None => {
                transferred.requests += 1;
                let response = source::send(&self.client, url, None).await?;
                if !response.status().is_success() {
                    return Err(source::status_error(url, response.status()));
                }
                response
            }
        };
        download::to_cache(response, url, cache_path, sha256, &mut transferred).await?;
        let local = read_local(
            cache_path,
            kind,
            TransferMethod::FullDownload,
            self.tail_bytes,
        )
        .await?;
        Ok(fetched(
            local.files,
            TransferMethod::FullDownload,
            transferred,
            local.transfer.archive_size,
        ))
    }

    fn cache_path(&self, url: &Url) -> Result<PathBuf, ArchiveError> {
        let name = url
            .path_segments()
            .and_then(|mut segments| segments.next_back())
            .filter(|name| !name.is_empty())
            .ok_or_else(|| unsupported(url, "the URL has no file name"))?;
        Ok(self.cache_dir.join(name))
    }
}

fn unsupported(url: &Url, message: &str) -> ArchiveError {
    ArchiveError::Unsupported {
        url: crate::channels::redact_url(url).to_string(),
        message: message.to_string(),
    }
}

fn fetched(
    files: FileList,
    method: TransferMethod,
    transferred: Transferred,
    archive_size: Option<u64>,
) -> FetchedFileList {
    FetchedFileList {
        files,
        transfer: Transfer {
            method,
            bytes: transferred.bytes,
            requests: transferred.requests,
            archive_size,
        },
    }
}

/// Reads the file list of a local archive. The transfer counts disk reads for
/// [`TransferMethod::LocalFile`] and nothing otherwise; callers replace it
/// with the network transfer of a download.
async fn read_local(
    path: &Path,
    kind: ArchiveKind,
    method: TransferMethod,
    tail_bytes: u64,
) -> Result<FetchedFileList, ArchiveError> {
    let location = path.display().to_string();
    let invalid = |message: String| ArchiveError::InvalidArchive {
        url: location.clone(),
        message,
    };
    match kind {
        ArchiveKind::Conda => {
            let mut reader = RangeReader::open_file(path)?;
            let files = read_conda_info(&mut reader, &location, tail_bytes).await?;
            let cost = if method == TransferMethod::LocalFile {
                reader.transferred()
            } else {
                Transferred::default()
            };
            Ok(fetched(files, method, cost, Some(reader.len())))
        }
        ArchiveKind::TarBz2 => {
            let file = std::fs::File::open(path).map_err(|source| ArchiveError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            let size = file.metadata().ok().map(|m| m.len());
            let mut counter = download::CountingReader::new(file);
            let archive = rattler_package_streaming::read::stream_tar_bz2(&mut counter);
            let files = info::file_list_from_archive(archive).map_err(invalid)?;
            let local = Transferred {
                bytes: counter.count(),
                requests: 1,
            };
            let cost = if method == TransferMethod::LocalFile {
                local
            } else {
                Transferred::default()
            };
            Ok(fetched(files, method, cost, size))
        }
    }
}

/// Locates and reads the `info-*.tar.zst` member of a `.conda` archive.
/// `location` names the archive in errors.
async fn read_conda_info(
    reader: &mut RangeReader,
    location: &str,
    tail_bytes: u64,
) -> Result<FileList, ArchiveError> {
    let invalid = |message: String| ArchiveError::InvalidArchive {
        url: location.to_string(),
        message,
    };

    let total = reader.len();
    let tail_len = total.min(tail_bytes);
    let tail = reader.read(total - tail_len, tail_len).await?;
    let directory =
        match zip::parse_end_record(&tail, total - tail_len).map_err(|e| invalid(e.0))? {
            zip::EndRecord::Classic(directory) => directory,
            zip::EndRecord::Zip64 { record_offset } => {
                let record = reader
                    .read(record_offset, zip::ZIP64_EOCD_LEN as u64)
                    .await?;
                zip::parse_zip64_record(&record).map_err(|e| invalid(e.0))?
            }
        };

    let central = reader.read(directory.offset, directory.size).await?;
    let entries = zip::parse_central_directory(&central).map_err(|e| invalid(e.0))?;
    let member = entries
        .iter()
        .find(|entry| entry.name.starts_with("info-") && entry.name.ends_with(".tar.zst"))
        .ok_or_else(|| invalid("no info-*.tar.zst member".to_string()))?;
    if member.method != zip::METHOD_STORED {
        return Err(invalid(format!(
            "{} uses ZIP compression method {}, expected stored (0)",
            member.name, member.method
        )));
    }

    // One request for the local header and the data; the reads below then
    // come from the fetched segment.
    let offset = member.local_header_offset;
    let guess = zip::LOCAL_HEADER_LEN as u64
        + member.name.len() as u64
        + LOCAL_EXTRA_SLACK
        + member.compressed_size;
    reader
        .read(offset, guess.min(total.saturating_sub(offset)))
        .await?;
    let header = reader.read(offset, zip::LOCAL_HEADER_LEN as u64).await?;
    let data_start = offset + zip::local_header_len(&header).map_err(|e| invalid(e.0))?;
    let data = reader.read(data_start, member.compressed_size).await?;
    info::file_list_from_info_zst(&data).map_err(invalid)
}

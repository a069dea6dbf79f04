//! HTTP requests to package indexes and the on-disk cache of index pages,
//! metadata files and wheels.
//!
//! Cache layout below the caller's cache directory:
//! `pypi/simple/<index key>/<name>.json` (project pages, with `<name>.missing`
//! recording a 404), `pypi/metadata/<wheel sha256>.metadata` and
//! `pypi/wheels/<sha256>/<file name>`. Metadata and wheels are keyed by the
//! wheel's sha256, so they never go stale.

use std::io::Write;
use std::path::{Path, PathBuf};

use pep508_rs::PackageName;
use reqwest_middleware::ClientWithMiddleware;
use sha2::{Digest, Sha256};
use url::Url;

use super::redact::{redact_url, Credentials};
use super::section::IndexUrl;

/// An error while downloading or caching a file.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The request failed or the server responded with an error status.
    #[error("failed to download {url}: {message}")]
    Request {
        /// The URL, with credentials redacted.
        url: String,
        /// The failure.
        message: String,
    },
    /// The downloaded or cached file does not have the locked hash.
    #[error("sha256 mismatch for {filename}: expected {expected}, got {actual}")]
    HashMismatch {
        /// The file name.
        filename: String,
        /// The expected sha256.
        expected: String,
        /// The sha256 of the received bytes.
        actual: String,
    },
    /// Offline mode and the file is not in the cache.
    #[error("{what} is not in the cache {} and offline mode forbids downloading it; run once without offline mode", cache.display())]
    NotCached {
        /// The file that is missing.
        what: String,
        /// The cache directory.
        cache: PathBuf,
    },
    /// Reading or writing the cache failed.
    #[error("failed to access the cache file {}: {source}", path.display())]
    Cache {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Paths inside the cache directory.
#[derive(Debug, Clone)]
pub(crate) struct CacheLayout {
    root: PathBuf,
    base: PathBuf,
}

impl CacheLayout {
    pub(crate) fn new(cache_dir: &Path) -> Self {
        Self {
            root: cache_dir.join("pypi"),
            base: cache_dir.to_path_buf(),
        }
    }

    pub(crate) fn cache_dir(&self) -> &Path {
        &self.base
    }

    /// Returns the project page file and the "not on this index" marker file.
    pub(crate) fn project_page(&self, index: &Url, name: &PackageName) -> (PathBuf, PathBuf) {
        let key = hex::encode(&Sha256::digest(index.as_str().as_bytes())[..8]);
        let dir = self.root.join("simple").join(key);
        (
            dir.join(format!("{name}.json")),
            dir.join(format!("{name}.missing")),
        )
    }

    pub(crate) fn metadata(&self, wheel_sha256: &str) -> PathBuf {
        self.root
            .join("metadata")
            .join(format!("{wheel_sha256}.metadata"))
    }

    pub(crate) fn wheel(&self, sha256: &str, filename: &str) -> PathBuf {
        self.root.join("wheels").join(sha256).join(filename)
    }
}

/// Writes a file through a temporary file in the same directory, so readers
/// never see a partial file.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), DownloadError> {
    let cache_error = |source| DownloadError::Cache {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(cache_error)?;
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(cache_error)?;
    file.write_all(bytes).map_err(cache_error)?;
    file.persist(path)
        .map_err(|error| cache_error(error.error))?;
    Ok(())
}

/// Computes the sha256 of a file as lowercase hex, or `None` when it does not exist.
pub(crate) fn file_sha256(path: &Path) -> Result<Option<String>, DownloadError> {
    match std::fs::File::open(path) {
        Ok(mut file) => {
            let mut hasher = Sha256::new();
            std::io::copy(&mut file, &mut hasher).map_err(|source| DownloadError::Cache {
                path: path.to_path_buf(),
                source,
            })?;
            Ok(Some(hex::encode(hasher.finalize())))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(DownloadError::Cache {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The result of a GET request.
pub(crate) enum Fetched {
    /// The body of a 2xx response.
    Body(Vec<u8>, Option<String>),
    /// A 404 or 410 response.
    NotFound,
}

/// An HTTP client that sends an index's credentials to that index's origin
/// (scheme, host and port) and to no other.
#[derive(Clone)]
pub(crate) struct Fetcher {
    http: ClientWithMiddleware,
    credentials: Vec<(url::Origin, Credentials)>,
}

impl Fetcher {
    pub(crate) fn new(http: ClientWithMiddleware, indexes: &[IndexUrl]) -> Self {
        let credentials = indexes
            .iter()
            .filter_map(|index| Some((index.url().origin(), index.credentials()?.clone())))
            .collect();
        Self { http, credentials }
    }

    /// Sends a GET request and reads the whole body.
    pub(crate) async fn get(
        &self,
        url: &Url,
        accept: Option<&str>,
    ) -> Result<Fetched, DownloadError> {
        let request_error = |message: String| DownloadError::Request {
            url: redact_url(url),
            message,
        };

        let mut request = self.http.get(url.clone());
        if let Some(accept) = accept {
            request = request.header(reqwest::header::ACCEPT, accept);
        }
        let origin = url.origin();
        if let Some((_, credentials)) = self.credentials.iter().find(|(known, _)| *known == origin)
        {
            request = request.basic_auth(&credentials.username, credentials.password.as_ref());
        }

        let response = request
            .send()
            .await
            .map_err(|error| request_error(error_chain(&error)))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
            return Ok(Fetched::NotFound);
        }
        if !status.is_success() {
            return Err(request_error(format!("the server responded {status}")));
        }

        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string);
        let body = response
            .bytes()
            .await
            .map_err(|error| request_error(error_chain(&error)))?;
        Ok(Fetched::Body(body.to_vec(), content_type))
    }

    /// Returns the cached wheel after checking its sha256, or downloads it
    /// into the cache. A download with the wrong hash is not kept.
    pub(crate) async fn wheel(
        &self,
        cache: &CacheLayout,
        url: &Url,
        filename: &str,
        sha256: &str,
        offline: bool,
    ) -> Result<PathBuf, DownloadError> {
        let path = cache.wheel(sha256, filename);
        match file_sha256(&path)? {
            Some(actual) if actual == sha256 => return Ok(path),
            Some(actual) => {
                tracing::warn!(file = %path.display(), expected = sha256, actual = %actual, "cached wheel has the wrong sha256, fetching it again");
            }
            None => {}
        }
        if offline {
            return Err(DownloadError::NotCached {
                what: format!("wheel {filename}"),
                cache: cache.cache_dir().to_path_buf(),
            });
        }
        tracing::debug!(url = %redact_url(url), "downloading wheel");
        let bytes = match self.get(url, None).await? {
            Fetched::Body(bytes, _) => bytes,
            Fetched::NotFound => {
                return Err(DownloadError::Request {
                    url: redact_url(url),
                    message: "the server responded 404 Not Found".to_string(),
                })
            }
        };
        let actual = hex::encode(Sha256::digest(&bytes));
        if actual != sha256 {
            return Err(DownloadError::HashMismatch {
                filename: filename.to_string(),
                expected: sha256.to_string(),
                actual,
            });
        }
        write_atomic(&path, &bytes)?;
        Ok(path)
    }
}

/// Formats an error with its sources, which is where reqwest puts the cause.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    super::redact::redact_text(&message)
}

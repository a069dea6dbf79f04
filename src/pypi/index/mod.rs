//! A client for PEP 691 JSON simple indexes with an on-disk cache and an
//! offline mode, and the core metadata of wheels (PEP 658 `.metadata` files,
//! or the wheel itself when the index serves none).

mod metadata;
mod page;

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Mutex};

use pep508_rs::PackageName;
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

pub(crate) use metadata::CoreMetadata;
pub(crate) use page::{ProjectFiles, WheelFile};

use super::download::{write_atomic, CacheLayout, DownloadError, Fetched, Fetcher};
use super::redact::redact_url;
use super::section::IndexUrl;
use page::{RawProjectPage, SIMPLE_JSON};

/// An error while reading an index or a wheel's metadata.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// A download or cache access failed.
    #[error(transparent)]
    Download(#[from] DownloadError),
    /// The index responded with something other than PEP 691 JSON.
    #[error("index {index} did not respond with PEP 691 JSON for `{name}` (content type `{content_type}`); envlock reads only the JSON simple API (`{SIMPLE_JSON}`)")]
    NotJson {
        /// The index, with credentials redacted.
        index: String,
        /// The project.
        name: PackageName,
        /// The content type received.
        content_type: String,
    },
    /// A project page that does not parse.
    #[error("invalid project page for `{name}` from {index}: {message}")]
    InvalidPage {
        /// The index, with credentials redacted.
        index: String,
        /// The project.
        name: PackageName,
        /// The parser's message.
        message: String,
    },
    /// Core metadata that does not parse or does not match the file.
    #[error("invalid metadata of {filename}: {message}")]
    InvalidMetadata {
        /// The wheel file name.
        filename: String,
        /// The problem found.
        message: String,
    },
}

/// A project page: the index it came from and its files.
#[derive(Debug)]
pub(crate) struct Project {
    pub(crate) index: IndexUrl,
    pub(crate) files: ProjectFiles,
}

type ProjectCell = Arc<OnceCell<Result<Option<Arc<Project>>, Arc<IndexError>>>>;

/// Reads project pages from a list of indexes, primary first.
pub(crate) struct IndexClient {
    fetcher: Fetcher,
    indexes: Vec<IndexUrl>,
    cache: CacheLayout,
    offline: bool,
    projects: Mutex<HashMap<PackageName, ProjectCell>>,
}

impl IndexClient {
    pub(crate) fn new(
        fetcher: Fetcher,
        indexes: Vec<IndexUrl>,
        cache: CacheLayout,
        offline: bool,
    ) -> Self {
        Self {
            fetcher,
            indexes,
            cache,
            offline,
            projects: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn indexes(&self) -> &[IndexUrl] {
        &self.indexes
    }

    /// Returns the project page of `name` from the first index that has the
    /// project, or `None` when no index has it. Each page is fetched once.
    pub(crate) async fn project(
        &self,
        name: &PackageName,
    ) -> Result<Option<Arc<Project>>, Arc<IndexError>> {
        let cell = {
            let mut projects = self
                .projects
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            projects.entry(name.clone()).or_default().clone()
        };
        cell.get_or_init(|| async { self.fetch_project(name).await.map_err(Arc::new) })
            .await
            .clone()
    }

    async fn fetch_project(&self, name: &PackageName) -> Result<Option<Arc<Project>>, IndexError> {
        for index in &self.indexes {
            if let Some(files) = self.project_on_index(index, name).await? {
                tracing::debug!(package = %name, index = %index.display(), "found project page");
                return Ok(Some(Arc::new(Project {
                    index: index.clone(),
                    files,
                })));
            }
            tracing::debug!(package = %name, index = %index.display(), "project not on this index");
        }
        Ok(None)
    }

    async fn project_on_index(
        &self,
        index: &IndexUrl,
        name: &PackageName,
    ) -> Result<Option<ProjectFiles>, IndexError> {
        let page_url =
            index
                .url()
                .join(&format!("{name}/"))
                .map_err(|error| IndexError::InvalidPage {
                    index: index.display(),
                    name: name.clone(),
                    message: error.to_string(),
                })?;
        let (page_path, missing_path) = self.cache.project_page(index.url(), name);

        let body = if self.offline {
            if missing_path.exists() {
                return Ok(None);
            }
            std::fs::read(&page_path).map_err(|_| DownloadError::NotCached {
                what: format!("the project page of `{name}` on {}", index.display()),
                cache: self.cache.cache_dir().to_path_buf(),
            })?
        } else {
            match self.fetcher.get(&page_url, Some(SIMPLE_JSON)).await? {
                Fetched::NotFound => {
                    write_atomic(&missing_path, b"")?;
                    let _ = std::fs::remove_file(&page_path);
                    return Ok(None);
                }
                Fetched::Body(body, content_type) => {
                    let content_type = content_type.unwrap_or_default();
                    if !content_type.contains("json") {
                        return Err(IndexError::NotJson {
                            index: index.display(),
                            name: name.clone(),
                            content_type,
                        });
                    }
                    write_atomic(&page_path, &body)?;
                    let _ = std::fs::remove_file(&missing_path);
                    body
                }
            }
        };

        let raw: RawProjectPage =
            serde_json::from_slice(&body).map_err(|error| IndexError::InvalidPage {
                index: index.display(),
                name: name.clone(),
                message: error.to_string(),
            })?;
        Ok(Some(raw.into_files(&page_url)))
    }

    /// Reads the core metadata of a wheel from the cache, from the index's
    /// PEP 658 `.metadata` file, or from the wheel archive.
    pub(crate) async fn metadata(&self, wheel: &WheelFile) -> Result<CoreMetadata, IndexError> {
        let path = self.cache.metadata(&wheel.sha256);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(_) => {
                let bytes = self.fetch_metadata(wheel).await?;
                write_atomic(&path, &bytes)?;
                bytes
            }
        };
        let invalid = |message: String| IndexError::InvalidMetadata {
            filename: wheel.raw_filename.clone(),
            message,
        };
        let metadata = CoreMetadata::parse(&bytes).map_err(invalid)?;
        if metadata.name != wheel.filename.name || metadata.version != wheel.filename.version {
            return Err(invalid(format!(
                "it describes {} {}, not the file's {} {}",
                metadata.name, metadata.version, wheel.filename.name, wheel.filename.version
            )));
        }
        Ok(metadata)
    }

    async fn fetch_metadata(&self, wheel: &WheelFile) -> Result<Vec<u8>, IndexError> {
        let cached_wheel = self.cache.wheel(&wheel.sha256, &wheel.raw_filename);
        if let (Some(expected), false) = (&wheel.metadata, cached_wheel.exists()) {
            if !self.offline {
                return self.fetch_metadata_file(wheel, expected.as_deref()).await;
            }
        }
        let archive = self
            .fetcher
            .wheel(
                &self.cache,
                &wheel.url,
                &wheel.raw_filename,
                &wheel.sha256,
                self.offline,
            )
            .await?;
        read_metadata_from_wheel(&archive, &wheel.filename.name).map_err(|message| {
            IndexError::InvalidMetadata {
                filename: wheel.raw_filename.clone(),
                message,
            }
        })
    }

    async fn fetch_metadata_file(
        &self,
        wheel: &WheelFile,
        expected: Option<&str>,
    ) -> Result<Vec<u8>, IndexError> {
        let mut url = wheel.url.clone();
        url.set_fragment(None);
        let url = url::Url::parse(&format!("{url}.metadata")).map_err(|error| {
            IndexError::InvalidMetadata {
                filename: wheel.raw_filename.clone(),
                message: error.to_string(),
            }
        })?;
        let bytes = match self.fetcher.get(&url, None).await? {
            Fetched::Body(bytes, _) => bytes,
            Fetched::NotFound => {
                return Err(DownloadError::Request {
                    url: redact_url(&url),
                    message: "the index advertises PEP 658 metadata but responded 404 Not Found"
                        .to_string(),
                }
                .into())
            }
        };
        if let Some(expected) = expected {
            let actual = hex::encode(Sha256::digest(&bytes));
            if actual != expected {
                return Err(DownloadError::HashMismatch {
                    filename: format!("{}.metadata", wheel.raw_filename),
                    expected: expected.to_string(),
                    actual,
                }
                .into());
            }
        }
        Ok(bytes)
    }
}

/// Reads `<name>-<version>.dist-info/METADATA` from a wheel archive.
fn read_metadata_from_wheel(path: &Path, name: &PackageName) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|error| error.to_string())?;
    let mut archive = zip::ZipArchive::new(file).map_err(|error| error.to_string())?;
    let entry_name = archive
        .file_names()
        .filter_map(Result::ok)
        .find(|entry| {
            let mut parts = entry.split('/');
            let (Some(dir), Some("METADATA"), None) = (parts.next(), parts.next(), parts.next())
            else {
                return false;
            };
            dir.strip_suffix(".dist-info")
                .and_then(|stem| stem.split('-').next())
                .and_then(|dist| dist.parse::<PackageName>().ok())
                .is_some_and(|dist| dist == *name)
        })
        .map(|entry| entry.into_owned())
        .ok_or_else(|| format!("the wheel has no {name} .dist-info/METADATA"))?;
    let mut entry = archive
        .by_name(&entry_name)
        .map_err(|error| error.to_string())?;
    let mut bytes = Vec::new();
    entry
        .read_to_end(&mut bytes)
        .map_err(|error| error.to_string())?;
    Ok(bytes)
}

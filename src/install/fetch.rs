//! Downloading, verifying and extracting every package into the package
//! cache before the prefix is touched.

use std::path::PathBuf;

use futures::{StreamExt, TryStreamExt};
use rattler_cache::package_cache::{CacheKey, PackageCache};
use rattler_conda_types::package::PackageFile;
use rattler_conda_types::{package::IndexJson, PackageRecord, RepoDataRecord};
use url::Url;

use super::input::ExplicitEntry;
use super::InstallError;
use crate::channels::{redact_url, ChannelSource};

/// How many packages are fetched at the same time.
const CONCURRENT_FETCHES: usize = 8;

/// Whether install may use the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NetworkMode {
    /// Download what the cache lacks.
    #[default]
    Online,
    /// Use only the package cache (`--offline`).
    Offline,
}

/// The package fetcher: cache, client, mirrors and network mode.
#[derive(Clone)]
pub struct Fetcher {
    /// The package cache.
    pub cache: PackageCache,
    /// The HTTP client (with authentication), built when the first
    /// package has to be downloaded.
    pub client: crate::http::LazyClient,
    /// Channel sources, for mapping canonical URLs to mirrors.
    pub channels: Vec<ChannelSource>,
    /// Online or offline.
    pub network: NetworkMode,
}

impl Fetcher {
    /// The URL to download `url` from: its mirror, if one matches.
    fn fetch_url(&self, url: &Url) -> Url {
        self.channels
            .iter()
            .find_map(|channel| channel.to_fetch(url))
            .unwrap_or_else(|| url.clone())
    }

    /// Returns the extracted package of `key` when the cache has a valid copy.
    async fn cached(&self, key: CacheKey, label: &str) -> Option<PathBuf> {
        let label = label.to_string();
        let metadata = self
            .cache
            .get_or_fetch(
                key,
                move |_| {
                    let label = label.clone();
                    async move { Err::<Option<rattler_digest::Sha256Hash>, _>(OfflineMiss(label)) }
                },
                None,
            )
            .await
            .ok()?;
        Some(metadata.path().to_path_buf())
    }

    /// Makes sure `key` is in the cache, fetching from `url` when online.
    /// Returns the extracted package directory.
    async fn ensure(
        &self,
        key: CacheKey,
        hashes: Hashes,
        url: &Url,
        label: String,
    ) -> Result<PathBuf, InstallError> {
        let fetch_url = self.fetch_url(url);
        // The cache first, so a warm cache needs no HTTP client.
        if let Some(directory) = self.cached(key.clone(), &label).await {
            return Ok(directory);
        }
        if self.network == NetworkMode::Offline {
            return Err(InstallError::NotCachedOffline { package: label });
        }
        tracing::debug!(package = %label, url = %redact_url(&fetch_url), "fetching");
        let result = if fetch_url.scheme() == "file" {
            let path = fetch_url.to_file_path().map_err(|()| InstallError::Fetch {
                package: label.clone(),
                url: redact_url(&fetch_url).to_string(),
                message: "not a valid file path".to_string(),
            })?;
            self.cache
                .get_or_fetch(
                    key,
                    move |destination| extract_local(path.clone(), destination, hashes),
                    None,
                )
                .await
        } else {
            self.cache
                .get_or_fetch_from_url_with_retry(
                    key,
                    fetch_url.clone(),
                    self.client.get()?.into(),
                    rattler_networking::retry_policies::default_retry_policy(),
                    None,
                    None,
                )
                .await
        };
        let metadata = result.map_err(|error| {
            let message =
                crate::channels::redact_text(&crate::solve::repodata::error_chain(&error));
            let url = redact_url(&fetch_url).to_string();
            if message.to_lowercase().contains("hash mismatch") {
                InstallError::Integrity {
                    package: label,
                    url,
                    message,
                }
            } else if fetch_url.scheme() == "file" {
                // A local archive that cannot be read or extracted is a broken
                // package, not a network failure.
                InstallError::InvalidPackage {
                    package: label,
                    path: url,
                    reason: format!("cannot be extracted: {message}"),
                }
            } else {
                InstallError::Fetch {
                    package: label,
                    url,
                    message,
                }
            }
        })?;
        Ok(metadata.path().to_path_buf())
    }

    /// Fetches, verifies and extracts every record; returns the extracted
    /// directories in record order.
    pub async fn fetch_records(
        &self,
        records: &[RepoDataRecord],
    ) -> Result<Vec<PathBuf>, InstallError> {
        futures::stream::iter(records.iter())
            .map(|record| {
                let key = CacheKey::from(&record.package_record);
                let hashes = Hashes {
                    sha256: record.package_record.sha256,
                    md5: record.package_record.md5,
                };
                let label = record.identifier.to_string();
                self.ensure(key, hashes, &record.url, label)
            })
            .buffered(CONCURRENT_FETCHES)
            .try_collect()
            .await
    }

    /// Fetches every explicit entry and builds its record from the archive's
    /// `info/index.json`, so `depends` and the rest are complete.
    pub async fn fetch_explicit(
        &self,
        entries: &[ExplicitEntry],
    ) -> Result<Vec<RepoDataRecord>, InstallError> {
        futures::stream::iter(entries.iter())
            .map(|entry| async move {
                let key = CacheKey::from(entry.identifier.clone())
                    .with_opt_sha256(entry.sha256)
                    .with_opt_md5(entry.md5);
                let hashes = Hashes {
                    sha256: entry.sha256,
                    md5: entry.md5,
                };
                let directory = self
                    .ensure(key, hashes, &entry.url, entry.identifier.to_string())
                    .await?;
                record_from_directory(entry, &directory)
            })
            .buffered(CONCURRENT_FETCHES)
            .try_collect()
            .await
    }
}

fn record_from_directory(
    entry: &ExplicitEntry,
    directory: &std::path::Path,
) -> Result<RepoDataRecord, InstallError> {
    let invalid = |message: String| InstallError::Fetch {
        package: entry.identifier.to_string(),
        url: redact_url(&entry.url).to_string(),
        message,
    };
    let index = IndexJson::from_package_directory(directory)
        .map_err(|e| invalid(format!("cannot read info/index.json: {e}")))?;
    let package_record = PackageRecord::from_index_json(index, None, entry.sha256, entry.md5)
        .map_err(|e| invalid(e.to_string()))?;
    let url = crate::channels::strip_credentials(&entry.url);
    let channel = channel_of(&url);
    Ok(RepoDataRecord {
        package_record,
        identifier: entry.identifier.clone().into(),
        url,
        channel,
    })
}

/// The channel URL of a package URL: everything before the subdir segment.
fn channel_of(url: &Url) -> Option<String> {
    let mut segments: Vec<&str> = url.path_segments()?.collect();
    if segments.len() < 2 {
        return None;
    }
    segments.truncate(segments.len() - 2);
    let mut channel = url.clone();
    channel.set_path(&segments.join("/"));
    Some(channel.as_str().trim_end_matches('/').to_string())
}

/// The error of the offline cache lookup when a package is not cached.
#[derive(Debug, thiserror::Error)]
#[error("{0} is not in the package cache")]
struct OfflineMiss(String);

/// The hashes an archive must have.
#[derive(Debug, Clone, Copy)]
struct Hashes {
    sha256: Option<rattler_digest::Sha256Hash>,
    md5: Option<rattler_digest::Md5Hash>,
}

/// A failure to extract a local archive into the cache.
#[derive(Debug, thiserror::Error)]
enum LocalExtractError {
    #[error(transparent)]
    Extract(#[from] rattler_package_streaming::ExtractError),
    #[error("hash mismatch: expected {expected}, got {actual}")]
    HashMismatch { expected: String, actual: String },
}

/// Extracts a local archive into the cache directory and checks its hashes.
async fn extract_local(
    path: PathBuf,
    destination: PathBuf,
    hashes: Hashes,
) -> Result<Option<rattler_digest::Sha256Hash>, LocalExtractError> {
    let result = rattler_package_streaming::tokio::fs::extract(&path, &destination).await?;
    if let Some(expected) = hashes.sha256.filter(|expected| *expected != result.sha256) {
        return Err(LocalExtractError::HashMismatch {
            expected: hex::encode(expected),
            actual: hex::encode(result.sha256),
        });
    }
    if let Some(expected) = hashes.md5.filter(|expected| *expected != result.md5) {
        return Err(LocalExtractError::HashMismatch {
            expected: hex::encode(expected),
            actual: hex::encode(result.md5),
        });
    }
    Ok(Some(result.sha256))
}

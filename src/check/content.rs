//! Applying content rules to the package builds a lock (or the channel) names.

use std::collections::HashMap;

use rattler_conda_types::{RepoDataRecord, Subdir};
use serde::Serialize;
use url::Url;

use super::archive::{ArchiveError, FetchedFileList, PackageFetcher, Transfer};
use super::rules::{ContentRule, RuleResult};
use crate::channels::{redact_url, ChannelSource};

/// The source of the record that content rules inspect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordSource {
    /// The lock written by `envlock solve`.
    Lock,
    /// The newest matching record in the channels, because the lock has none for the platform.
    Channel,
}

/// One package build to inspect on one platform.
#[derive(Debug, Clone)]
pub struct ContentTarget {
    /// The target platform.
    pub platform: Subdir,
    /// The record, with its canonical URL.
    pub record: RepoDataRecord,
    /// The URL to fetch the archive from.
    pub fetch_url: Url,
    /// The source of the record.
    pub source: RecordSource,
}

/// The content rules of one package build on one platform.
#[derive(Debug, Clone, Serialize)]
pub struct PackageContent {
    /// The package name.
    pub package: String,
    /// The target platform.
    pub platform: String,
    /// The archive file name.
    pub archive: String,
    /// The canonical archive URL.
    pub url: String,
    /// The source of the record.
    pub source: RecordSource,
    /// The cost of reading the file list; `None` when the list of the same
    /// archive was already read for another platform.
    pub transfer: Option<Transfer>,
    /// The result of every rule for this package.
    pub rules: Vec<RuleResult>,
}

/// Returns the URL to fetch `url` from: the same path under the fetch
/// location of the channel whose canonical URL contains it, or `url` itself.
pub fn fetch_url_for(channels: &[ChannelSource], url: &Url) -> Url {
    channels
        .iter()
        .find_map(|channel| channel.to_fetch(url))
        .unwrap_or_else(|| url.clone())
}

/// Reads the file list of every target once and applies the rules of its package.
pub async fn check_targets(
    fetcher: &PackageFetcher,
    targets: &[ContentTarget],
    rules: &[ContentRule],
) -> Result<Vec<PackageContent>, ArchiveError> {
    let mut read: HashMap<Url, FetchedFileList> = HashMap::new();
    let mut results = Vec::new();
    for target in targets {
        let package = &target.record.package_record.name;
        let package_rules: Vec<&ContentRule> =
            rules.iter().filter(|r| &r.package == package).collect();
        if package_rules.is_empty() {
            continue;
        }

        let transfer = match read.get(&target.fetch_url) {
            Some(_) => None,
            None => {
                tracing::info!(url = %redact_url(&target.fetch_url), "reading the package file list");
                let fetched = fetcher
                    .fetch_file_list(&target.fetch_url, target.record.package_record.sha256)
                    .await?;
                let transfer = fetched.transfer;
                read.insert(target.fetch_url.clone(), fetched);
                Some(transfer)
            }
        };
        let Some(fetched) = read.get(&target.fetch_url) else {
            continue;
        };

        results.push(PackageContent {
            package: package.as_normalized().to_string(),
            platform: target.platform.to_string(),
            archive: target.record.identifier.to_file_name(),
            url: redact_url(&target.record.url).to_string(),
            source: target.source,
            transfer,
            rules: package_rules
                .iter()
                .map(|rule| rule.evaluate(&fetched.files))
                .collect(),
        });
    }
    Ok(results)
}

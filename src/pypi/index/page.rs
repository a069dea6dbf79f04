//! PEP 691 JSON project pages (`application/vnd.pypi.simple.v1+json`).

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use pep440_rs::VersionSpecifiers;
use serde::Deserialize;
use url::Url;

use crate::pypi::wheel_name::WheelFilename;

/// The media type of PEP 691 JSON responses.
pub(crate) const SIMPLE_JSON: &str = "application/vnd.pypi.simple.v1+json";

#[derive(Debug, Deserialize)]
pub(crate) struct RawProjectPage {
    #[serde(default)]
    files: Vec<RawFile>,
}

#[derive(Debug, Deserialize)]
struct RawFile {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: BTreeMap<String, String>,
    #[serde(default, rename = "requires-python")]
    requires_python: Option<String>,
    #[serde(default, rename = "core-metadata")]
    core_metadata: Option<MetadataFlag>,
    #[serde(default, rename = "data-dist-info-metadata")]
    data_dist_info_metadata: Option<MetadataFlag>,
    #[serde(default)]
    yanked: Option<Yanked>,
    #[serde(default, rename = "upload-time")]
    upload_time: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum MetadataFlag {
    Present(bool),
    Hashes(BTreeMap<String, String>),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Yanked {
    Flag(bool),
    Reason(String),
}

/// A wheel listed on a project page, with an absolute URL and a sha256.
#[derive(Debug, Clone)]
pub(crate) struct WheelFile {
    pub(crate) filename: WheelFilename,
    pub(crate) raw_filename: String,
    pub(crate) url: Url,
    pub(crate) sha256: String,
    pub(crate) requires_python: Option<VersionSpecifiers>,
    /// `Some(hash)` when the index serves PEP 658 metadata, where the hash is
    /// `None` when the index gives none.
    pub(crate) metadata: Option<Option<String>>,
    pub(crate) yanked: bool,
    /// The PEP 700 upload time, when the index gives one.
    pub(crate) upload_time: Option<DateTime<Utc>>,
}

/// The files of a project page: its wheels and the versions of its other
/// files (source distributions).
#[derive(Debug, Clone, Default)]
pub(crate) struct ProjectFiles {
    pub(crate) wheels: Vec<WheelFile>,
    pub(crate) other_files: Vec<(pep440_rs::Version, String)>,
}

impl RawProjectPage {
    /// Keeps the wheels with a sha256 and a parseable name, and records other
    /// files (sdists) with their versions for error messages.
    pub(crate) fn into_files(self, page_url: &Url) -> ProjectFiles {
        let mut files = ProjectFiles::default();
        for raw in self.files {
            let Some(filename) = WheelFilename::parse(&raw.filename) else {
                if let Some(version) = sdist_version(&raw.filename) {
                    files.other_files.push((version, raw.filename));
                }
                continue;
            };
            let Some(sha256) = raw
                .hashes
                .get("sha256")
                .map(|hash| hash.to_ascii_lowercase())
            else {
                tracing::debug!(file = %raw.filename, "index lists no sha256 for this wheel, skipping it");
                continue;
            };
            let Ok(url) = page_url.join(&raw.url) else {
                tracing::debug!(file = %raw.filename, "invalid file URL on the index page, skipping it");
                continue;
            };
            let requires_python = raw
                .requires_python
                .as_deref()
                .filter(|text| !text.trim().is_empty())
                .and_then(|text| VersionSpecifiers::from_str(text).ok());
            let metadata = metadata_flag(raw.core_metadata.or(raw.data_dist_info_metadata));
            let yanked = match raw.yanked {
                Some(Yanked::Flag(flag)) => flag,
                Some(Yanked::Reason(reason)) => {
                    tracing::debug!(file = %raw.filename, reason = %reason, "wheel is yanked");
                    true
                }
                None => false,
            };
            let upload_time = raw
                .upload_time
                .as_deref()
                .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
                .map(|time| time.with_timezone(&Utc));
            files.wheels.push(WheelFile {
                filename,
                raw_filename: raw.filename,
                url,
                sha256,
                requires_python,
                metadata,
                yanked,
                upload_time,
            });
        }
        files
    }
}

fn metadata_flag(flag: Option<MetadataFlag>) -> Option<Option<String>> {
    match flag {
        None | Some(MetadataFlag::Present(false)) => None,
        Some(MetadataFlag::Present(true)) => Some(None),
        Some(MetadataFlag::Hashes(hashes)) => {
            Some(hashes.get("sha256").map(|hash| hash.to_ascii_lowercase()))
        }
    }
}

/// The version of a source distribution file name
/// (`{name}-{version}.tar.gz` or `.zip`), as far as it can be read.
fn sdist_version(filename: &str) -> Option<pep440_rs::Version> {
    let stem = filename
        .strip_suffix(".tar.gz")
        .or_else(|| filename.strip_suffix(".zip"))
        .or_else(|| filename.strip_suffix(".tar.bz2"))?;
    let (_, version) = stem.rsplit_once('-')?;
    pep440_rs::Version::from_str(version).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn into_files_reads_pep691_fields() {
        let page = r#"{
            "meta": {"api-version": "1.1"},
            "name": "demo",
            "files": [
                {"filename": "demo-1.0-py3-none-any.whl", "url": "../../files/demo-1.0-py3-none-any.whl",
                 "hashes": {"sha256": "AB"}, "requires-python": ">=3.8",
                 "core-metadata": {"sha256": "CD"}, "data-dist-info-metadata": {"sha256": "CD"}, "yanked": false,
                 "upload-time": "2024-05-01T10:20:30.123456Z"},
                {"filename": "demo-0.9-py3-none-any.whl", "url": "https://files.example/demo-0.9-py3-none-any.whl",
                 "hashes": {}, "yanked": "broken"},
                {"filename": "demo-0.8.tar.gz", "url": "x", "hashes": {"sha256": "EF"}}
            ]
        }"#;

        let raw: RawProjectPage = serde_json::from_str(page).unwrap();
        let base = Url::parse("https://index.example/simple/demo/").unwrap();
        let files = raw.into_files(&base);

        assert_eq!(files.wheels.len(), 1);
        let wheel = &files.wheels[0];
        assert_eq!(
            wheel.url.as_str(),
            "https://index.example/files/demo-1.0-py3-none-any.whl"
        );
        assert_eq!(wheel.sha256, "ab");
        assert_eq!(wheel.metadata, Some(Some("cd".to_string())));
        assert_eq!(
            wheel.upload_time.unwrap().to_rfc3339(),
            "2024-05-01T10:20:30.123456+00:00"
        );
        assert_eq!(files.other_files.len(), 1);
        assert_eq!(files.other_files[0].0.to_string(), "0.8");
    }
}

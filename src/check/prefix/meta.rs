//! Installed package records (`conda-meta/*.json`), read leniently: only
//! the fields the checks use are required, so records written by conda,
//! rattler or by hand all load.

use std::path::{Path, PathBuf};

use rattler_conda_types::package::FileMode;
use serde::Deserialize;

use super::PrefixError;
use crate::check::rules::{FileList, ListedFile, PrefixInfo};

/// One installed package.
#[derive(Debug, Clone, Deserialize)]
pub struct InstalledPackage {
    /// The package name.
    pub name: String,
    /// The version.
    pub version: String,
    /// The build string.
    pub build: String,
    /// The subdir the package was built for (`linux-64`, `noarch`, ...).
    #[serde(default)]
    pub subdir: Option<String>,
    /// The installed paths, relative to the prefix.
    #[serde(default)]
    pub files: Vec<String>,
    /// Per-path details, when the installer wrote them.
    #[serde(default)]
    pub paths_data: Option<PathsData>,
    /// The record file it was read from.
    #[serde(skip)]
    pub record_path: PathBuf,
}

/// The `paths_data` section of a record.
#[derive(Debug, Clone, Deserialize)]
pub struct PathsData {
    /// One entry per installed path.
    #[serde(default)]
    pub paths: Vec<InstalledPath>,
}

/// One entry of `paths_data`.
#[derive(Debug, Clone, Deserialize)]
pub struct InstalledPath {
    /// The path relative to the prefix.
    #[serde(rename = "_path")]
    pub path: String,
    /// `hardlink`, `softlink`, `directory`, ...
    #[serde(default)]
    pub path_type: Option<String>,
    /// `text` or `binary`, with a placeholder.
    #[serde(default)]
    pub file_mode: Option<FileMode>,
    /// The build prefix the installer replaced.
    #[serde(default)]
    pub prefix_placeholder: Option<String>,
}

impl InstalledPackage {
    /// `name-version-build`.
    pub fn dist_name(&self) -> String {
        format!("{}-{}-{}", self.name, self.version, self.build)
    }

    /// Returns the package's files for content rules, with `present` set
    /// from the disk. Placeholders come from `paths_data`, and a record with
    /// only `files` leaves them unknown.
    pub fn file_list(&self, prefix: &Path) -> FileList {
        let files = match &self.paths_data {
            Some(data) if !data.paths.is_empty() => data
                .paths
                .iter()
                .filter(|p| p.path_type.as_deref() != Some("directory"))
                .map(|p| ListedFile {
                    path: p.path.clone(),
                    prefix: PrefixInfo::from_parts(p.file_mode, p.prefix_placeholder.clone()),
                    present: exists(prefix, &p.path),
                })
                .collect(),
            _ => self
                .files
                .iter()
                .map(|path| ListedFile {
                    path: path.clone(),
                    prefix: PrefixInfo::Unknown,
                    present: exists(prefix, path),
                })
                .collect(),
        };
        FileList { files }
    }

    /// Returns the installed paths, from `files`, else from `paths_data`.
    pub fn paths(&self) -> Vec<&str> {
        if !self.files.is_empty() {
            return self.files.iter().map(String::as_str).collect();
        }
        self.paths_data
            .iter()
            .flat_map(|d| d.paths.iter().map(|p| p.path.as_str()))
            .collect()
    }
}

/// Returns whether `relative` exists under `prefix`, as a file, directory or link.
fn exists(prefix: &Path, relative: &str) -> bool {
    prefix.join(relative).symlink_metadata().is_ok()
}

/// Reads every `conda-meta/*.json` record of `prefix`, sorted by name.
pub fn read_installed(prefix: &Path) -> Result<Vec<InstalledPackage>, PrefixError> {
    let meta = prefix.join("conda-meta");
    if !meta.is_dir() {
        return Err(PrefixError::NotAPrefix {
            path: prefix.to_path_buf(),
        });
    }
    let entries = std::fs::read_dir(&meta).map_err(|source| PrefixError::Read {
        path: meta.clone(),
        source,
    })?;
    let mut packages = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|source| PrefixError::Read {
                path: meta.clone(),
                source,
            })?
            .path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|source| PrefixError::Read {
            path: path.clone(),
            source,
        })?;
        let mut package: InstalledPackage =
            serde_json::from_str(&text).map_err(|e| PrefixError::InvalidRecord {
                path: path.clone(),
                message: e.to_string(),
            })?;
        package.record_path = path;
        packages.push(package);
    }
    packages.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(packages)
}

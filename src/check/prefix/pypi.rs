//! The PyPI distributions installed in a prefix (`*.dist-info` in
//! `lib/python*/site-packages`), with a check that their RECORD files exist.

use std::path::Path;

use serde::Serialize;

/// One installed PyPI distribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstalledDistribution {
    /// The name from METADATA.
    pub name: String,
    /// The version from METADATA.
    pub version: String,
    /// The INSTALLER file's content (`envlock` for envlock's installs).
    pub installer: String,
    /// Files listed in RECORD that are missing from the prefix.
    pub missing_files: Vec<String>,
}

/// Lists the distributions of every `lib/python*/site-packages` in `prefix`,
/// sorted by name.
pub fn installed_distributions(prefix: &Path) -> Vec<InstalledDistribution> {
    let mut found = Vec::new();
    let Ok(lib) = std::fs::read_dir(prefix.join("lib")) else {
        return found;
    };
    for python in lib
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("python"))
    {
        let site = python.path().join("site-packages");
        let Ok(entries) = std::fs::read_dir(&site) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "dist-info") && path.is_dir() {
                found.push(read_distribution(&site, &path));
            }
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

fn read_distribution(site: &Path, dist_info: &Path) -> InstalledDistribution {
    let metadata = std::fs::read_to_string(dist_info.join("METADATA")).unwrap_or_default();
    let field = |key: &str| {
        metadata
            .lines()
            .take_while(|l| !l.is_empty())
            .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_string()))
            .unwrap_or_default()
    };
    let record = std::fs::read_to_string(dist_info.join("RECORD")).unwrap_or_default();
    let missing_files = record
        .lines()
        .filter_map(|line| line.split(',').next())
        .filter(|path| !path.is_empty() && !site.join(path).exists())
        .map(str::to_string)
        .collect();
    InstalledDistribution {
        name: field("Name:"),
        version: field("Version:"),
        installer: std::fs::read_to_string(dist_info.join("INSTALLER"))
            .unwrap_or_default()
            .trim()
            .to_string(),
        missing_files,
    }
}

//! Removing PyPI distributions that an earlier install wrote and the new
//! lock no longer has, so a prefix converges to the lock for wheels as it
//! does for conda packages.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

/// The INSTALLER value envlock writes; other installers' distributions
/// (conda's own Python packages) are never touched.
const INSTALLER: &str = "envlock";

/// Removes every distribution in `site_packages` that envlock installed and
/// whose `(name, version)` is not in `keep` (names normalised). Returns the
/// removed distributions as `name version`.
pub fn remove_stale(
    prefix: &Path,
    site_packages: &Path,
    keep: &BTreeSet<(String, String)>,
) -> std::io::Result<Vec<String>> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(site_packages) else {
        return Ok(removed);
    };
    let mut dist_infos: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "dist-info") && p.is_dir())
        .collect();
    dist_infos.sort();
    for dist_info in dist_infos {
        let installer = std::fs::read_to_string(dist_info.join("INSTALLER")).unwrap_or_default();
        if installer.trim() != INSTALLER {
            continue;
        }
        let Some((name, version)) = name_and_version(&dist_info) else {
            continue;
        };
        if keep.contains(&(name.clone(), version.clone())) {
            continue;
        }
        remove_distribution(prefix, site_packages, &dist_info)?;
        tracing::info!(%name, %version, "removed a PyPI package that the lock no longer has");
        removed.push(format!("{name} {version}"));
    }
    Ok(removed)
}

/// Normalises a distribution name (PEP 503: lowercase, runs of `-_.` as `-`).
pub fn normalize(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

fn name_and_version(dist_info: &Path) -> Option<(String, String)> {
    let stem = dist_info.file_stem()?.to_str()?;
    let (name, version) = stem.rsplit_once('-')?;
    Some((normalize(name), version.to_string()))
}

/// Deletes the files listed in RECORD (only those inside the prefix), the
/// dist-info directory, and directories left empty.
fn remove_distribution(
    prefix: &Path,
    site_packages: &Path,
    dist_info: &Path,
) -> std::io::Result<()> {
    let record = std::fs::read_to_string(dist_info.join("RECORD")).unwrap_or_default();
    let mut parents = BTreeSet::new();
    for line in record.lines() {
        let Some(relative) = line.split(',').next().filter(|p| !p.is_empty()) else {
            continue;
        };
        let Some(path) = resolve_inside(prefix, &site_packages.join(relative)) else {
            tracing::warn!(
                path = relative,
                "not removing a RECORD entry outside the prefix"
            );
            continue;
        };
        if path.is_file() || path.is_symlink() {
            std::fs::remove_file(&path)?;
            if let Some(parent) = path.parent() {
                parents.insert(parent.to_path_buf());
            }
        }
    }
    if dist_info.exists() {
        std::fs::remove_dir_all(dist_info)?;
    }
    for parent in parents.into_iter().rev() {
        let mut directory = parent;
        while directory.starts_with(site_packages) && directory != site_packages {
            if std::fs::remove_dir(&directory).is_err() {
                break;
            }
            let Some(next) = directory.parent() else {
                break;
            };
            directory = next.to_path_buf();
        }
    }
    Ok(())
}

/// Resolves `.` and `..` lexically and returns the path if it stays in `prefix`.
fn resolve_inside(prefix: &Path, path: &Path) -> Option<PathBuf> {
    let mut resolved = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                resolved.pop();
            }
            Component::CurDir => {}
            other => resolved.push(other),
        }
    }
    resolved.starts_with(prefix).then_some(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised() {
        assert_eq!(normalize("Email_Validator"), "email-validator");
        assert_eq!(normalize("zope.interface"), "zope-interface");
    }

    #[test]
    fn paths_outside_the_prefix_are_refused() {
        let prefix = Path::new("/opt/env");
        assert!(resolve_inside(
            prefix,
            Path::new("/opt/env/lib/python3.11/site-packages/../../../bin/tqdm")
        )
        .is_some());
        assert!(resolve_inside(prefix, Path::new("/opt/env/lib/../../../etc/passwd")).is_none());
    }
}

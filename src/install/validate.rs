//! Checks on the extracted packages before anything is linked: every path of
//! `info/paths.json` stays inside the prefix, no file is written through a
//! symbolic link, and the listed files exist with the recorded size.
//!
//! rattler's installer trusts `paths.json`, so a hostile package could name
//! `../../etc/x` or place a link to `/etc` and then a file below it.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use rattler_conda_types::package::{PathType, PathsEntry, PathsJson};

use super::InstallError;

/// Checks the extracted package `directory` of `package` (a label for messages).
pub fn check_package(package: &str, directory: &Path) -> Result<(), InstallError> {
    let paths =
        PathsJson::from_package_directory_with_deprecated_fallback(directory).map_err(|error| {
            InstallError::InvalidPackage {
                package: package.to_string(),
                path: "info/paths.json".to_string(),
                reason: format!("cannot be read: {error}"),
            }
        })?;
    for entry in &paths.paths {
        check_entry(package, directory, entry)?;
    }
    Ok(())
}

/// Checks that no package writes a path below a symbolic link of any package
/// in `directories` (label, extracted directory), because linking would then
/// write wherever the link points.
///
/// NOTE: this also rejects a link that stays inside the prefix (`lib64 ->
/// lib` with a file under `lib64/`). No package of the stand-in channel does
/// that; whether a real conda-forge environment does was not checked.
pub fn check_links_across(directories: &[(String, PathBuf)]) -> Result<(), InstallError> {
    let mut links = BTreeSet::new();
    let mut all = Vec::new();
    for (package, directory) in directories {
        let Ok(paths) = PathsJson::from_package_directory_with_deprecated_fallback(directory)
        else {
            continue;
        };
        for entry in paths.paths {
            if entry.path_type == PathType::SoftLink {
                links.insert(entry.relative_path.clone());
            }
            all.push((package, entry.relative_path));
        }
    }
    for (package, path) in all {
        if let Some(link) = path
            .ancestors()
            .skip(1)
            .find(|ancestor| links.contains(*ancestor))
        {
            return Err(InstallError::UnsafePath {
                package: package.clone(),
                path: path.display().to_string(),
                reason: format!("it is below the symbolic link {}", link.display()),
            });
        }
    }
    Ok(())
}

fn check_entry(package: &str, directory: &Path, entry: &PathsEntry) -> Result<(), InstallError> {
    let path = &entry.relative_path;
    let unsafe_path = |reason: &str| InstallError::UnsafePath {
        package: package.to_string(),
        path: path.display().to_string(),
        reason: reason.to_string(),
    };
    // Package paths never need '..'; with a symbolic link before it, a '..'
    // could leave the prefix even where the lexical check says it stays.
    let plain = path
        .components()
        .all(|component| matches!(component, Component::Normal(_) | Component::CurDir));
    if !plain {
        return Err(unsafe_path("it is absolute or contains '..'"));
    }
    let file = directory.join(path);
    let metadata = std::fs::symlink_metadata(&file).map_err(|_| InstallError::InvalidPackage {
        package: package.to_string(),
        path: path.display().to_string(),
        reason: "it is listed in info/paths.json but missing from the archive".to_string(),
    })?;
    match entry.path_type {
        PathType::SoftLink => {
            let target = std::fs::read_link(&file).map_err(|_| InstallError::InvalidPackage {
                package: package.to_string(),
                path: path.display().to_string(),
                reason: "info/paths.json lists a symbolic link, but the archive has a regular file"
                    .to_string(),
            })?;
            let resolved = path.parent().unwrap_or(Path::new("")).join(&target);
            // NOTE: the target is resolved lexically. A target that passes
            // through another symbolic link of the prefix is not followed.
            if !is_contained(&resolved) {
                return Err(unsafe_path(&format!(
                    "it is a symbolic link to {}, outside the prefix",
                    target.display()
                )));
            }
        }
        PathType::HardLink => {
            if let Some(expected) = entry
                .size_in_bytes
                .filter(|size| metadata.is_file() && *size != metadata.len())
            {
                return Err(InstallError::InvalidPackage {
                    package: package.to_string(),
                    path: path.display().to_string(),
                    reason: format!(
                        "info/paths.json records {expected} bytes, but the archive has {}",
                        metadata.len()
                    ),
                });
            }
        }
        PathType::Directory => {}
    }
    Ok(())
}

/// Whether a relative path stays inside its root when resolved lexically.
fn is_contained(path: &Path) -> bool {
    let mut depth: usize = 0;
    for component in path.components() {
        match component {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => match depth.checked_sub(1) {
                Some(lower) => depth = lower,
                None => return false,
            },
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containment() {
        for (path, expected) in [
            ("bin/x", true),
            ("lib/../bin/x", true),
            ("./x", true),
            ("../x", false),
            ("lib/../../x", false),
            ("/etc/x", false),
        ] {
            assert_eq!(is_contained(Path::new(path)), expected, "{path}");
        }
    }
}

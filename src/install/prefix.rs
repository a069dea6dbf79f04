//! The prefix on disk: staging a new prefix, checking placeholder lengths,
//! and making `conda-meta` independent of the host.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use rattler_conda_types::package::{FileMode, PackageFile, PathsJson};

use super::InstallError;

/// The directories of an install: where packages are linked and where the prefix ends up.
#[derive(Debug, Clone)]
pub struct PrefixLayout {
    /// The prefix the user asked for (`--prefix`).
    pub prefix: PathBuf,
    /// The directory packages are linked into: a staging sibling of a new
    /// prefix, or the prefix itself when it already contains an environment.
    pub work_dir: PathBuf,
    /// The path the environment will run from (`--target-prefix`, else the prefix).
    pub target_prefix: PathBuf,
}

impl PrefixLayout {
    /// Decides the layout. A prefix that does not exist yet (or is an empty
    /// directory) is built in a staging sibling and renamed into place at
    /// the end, so a failed install leaves no prefix behind.
    pub fn new(prefix: &Path, target_prefix: Option<&Path>) -> Result<Self, InstallError> {
        let prefix = std::path::absolute(prefix).map_err(|source| InstallError::PrefixIo {
            path: prefix.to_path_buf(),
            source,
        })?;
        let target_prefix = target_prefix
            .map(Path::to_path_buf)
            .unwrap_or_else(|| prefix.clone());
        if !target_prefix.is_absolute() {
            return Err(InstallError::RelativeTargetPrefix {
                path: target_prefix,
            });
        }
        let work_dir = if holds_environment(&prefix) {
            prefix.clone()
        } else {
            staging_dir(&prefix)
        };
        Ok(Self {
            prefix,
            work_dir,
            target_prefix,
        })
    }

    /// Whether packages go into a staging directory first.
    pub fn is_staged(&self) -> bool {
        self.work_dir != self.prefix
    }

    /// Prepares the work directory: removes a stale staging directory left
    /// by an interrupted install.
    pub fn prepare(&self) -> Result<(), InstallError> {
        if self.is_staged() && self.work_dir.exists() {
            tracing::info!(path = %self.work_dir.display(), "removing a staging directory left by an interrupted install");
            std::fs::remove_dir_all(&self.work_dir).map_err(|source| InstallError::PrefixIo {
                path: self.work_dir.clone(),
                source,
            })?;
        }
        if let Some(parent) = self.work_dir.parent() {
            std::fs::create_dir_all(parent).map_err(|source| InstallError::PrefixIo {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        Ok(())
    }

    /// Moves a staged environment into place. An empty prefix directory is
    /// replaced; the rename is atomic on one file system.
    pub fn commit(&self) -> Result<(), InstallError> {
        if !self.is_staged() {
            return Ok(());
        }
        let io = |source| InstallError::PrefixIo {
            path: self.prefix.clone(),
            source,
        };
        if self.prefix.is_dir() {
            std::fs::remove_dir(&self.prefix).map_err(io)?;
        }
        std::fs::rename(&self.work_dir, &self.prefix).map_err(io)
    }

    /// Removes the staging directory after a failure.
    pub fn abandon(&self) {
        if self.is_staged() && self.work_dir.exists() {
            if let Err(error) = std::fs::remove_dir_all(&self.work_dir) {
                tracing::warn!(path = %self.work_dir.display(), %error, "failed to remove the staging directory");
            }
        }
    }
}

/// Fails when `prefix` is a file or a non-empty directory that is not an
/// environment, before anything is downloaded.
pub fn check_usable(prefix: &Path) -> Result<(), InstallError> {
    let not_a_prefix = |reason: &str| InstallError::NotAPrefix {
        path: prefix.to_path_buf(),
        reason: reason.to_string(),
    };
    if prefix.is_file() {
        return Err(not_a_prefix("is a file"));
    }
    if prefix.is_dir() && !holds_environment(prefix) {
        let mut entries = std::fs::read_dir(prefix).map_err(|source| InstallError::PrefixIo {
            path: prefix.to_path_buf(),
            source,
        })?;
        if entries.next().is_some() {
            return Err(not_a_prefix("is a non-empty directory without conda-meta/"));
        }
    }
    Ok(())
}

fn holds_environment(prefix: &Path) -> bool {
    prefix.join("conda-meta").is_dir()
}

fn staging_dir(prefix: &Path) -> PathBuf {
    let name = prefix
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "env".to_string());
    prefix.with_file_name(format!(".{name}.envlock-staging"))
}

/// Fails when `target_prefix` is longer than a binary prefix placeholder of
/// any package: binary files are patched in place and cannot grow.
pub fn check_placeholder_lengths(
    target_prefix: &Path,
    package_dirs: &[PathBuf],
) -> Result<(), InstallError> {
    let length = target_prefix.as_os_str().len();
    for directory in package_dirs {
        let Ok(paths) = PathsJson::from_package_directory(directory) else {
            continue;
        };
        for entry in &paths.paths {
            let Some(placeholder) = &entry.prefix_placeholder else {
                continue;
            };
            if placeholder.file_mode == FileMode::Binary && length > placeholder.placeholder.len() {
                return Err(InstallError::PrefixTooLong {
                    target_prefix: target_prefix.to_path_buf(),
                    length,
                    maximum: placeholder.placeholder.len(),
                    package: directory
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    file: entry.relative_path.display().to_string(),
                });
            }
        }
    }
    Ok(())
}

/// Removes the `conda-meta` records of the packages named in `names`, so
/// the prefix no longer counts them as installed.
pub fn forget_packages(work_dir: &Path, names: &[String]) -> Result<(), InstallError> {
    let directory = work_dir.join("conda-meta");
    let io = |path: &Path, source| InstallError::PrefixIo {
        path: path.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(&directory).map_err(|e| io(&directory, e))? {
        let path = entry.map_err(|e| io(&directory, e))?.path();
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(record) = rattler_conda_types::PrefixRecord::from_str(&text) else {
            continue;
        };
        let name = record.repodata_record.package_record.name.as_normalized();
        if names.iter().any(|n| n == name) {
            tracing::warn!(package = name, path = %path.display(), "removing the record of a package whose post-link script failed");
            std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
        }
    }
    Ok(())
}

/// Checks whether only the owner may read `path`.
fn is_private(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o044 == 0)
}

/// Removes the empty directories rattler leaves in `__clobbers__` (where it
/// keeps the losing copies of a path that several packages ship). Which
/// ones are left depends on the order packages were linked in, which runs
/// in parallel, so without this two installs of one lock could differ.
pub fn remove_empty_clobber_dirs(work_dir: &Path) -> Result<(), InstallError> {
    let root = work_dir.join("__clobbers__");
    if root.is_dir() {
        remove_empty_below(&root)
            .map_err(|source| InstallError::PrefixIo { path: root, source })?;
    }
    Ok(())
}

/// Removes `directory` and its subdirectories when they contain no files,
/// and returns whether `directory` was removed.
fn remove_empty_below(directory: &Path) -> std::io::Result<bool> {
    let mut empty = true;
    for entry in std::fs::read_dir(directory)? {
        let entry = entry?;
        let is_dir = entry.file_type()?.is_dir();
        if !is_dir || !remove_empty_below(&entry.path())? {
            empty = false;
        }
    }
    if empty {
        std::fs::remove_dir(directory)?;
    }
    Ok(empty)
}

/// Renders a `conda-meta` record in envlock's form: without the paths of
/// the package cache (`extracted_package_dir`, `package_tarball_full_path`,
/// `link`), with files and paths sorted by path, pretty-printed.
pub fn render_record(
    record: &rattler_conda_types::PrefixRecord,
) -> Result<String, serde_json::Error> {
    let mut record = record.clone();
    record.extracted_package_dir = None;
    record.package_tarball_full_path = None;
    record.link = None;
    // rattler moves a clobbered path to the end of its lists, so the order
    // would depend on the history of the prefix.
    record
        .files
        .sort_by(|a, b| a.to_string_lossy().cmp(&b.to_string_lossy()));
    record.paths_data.paths.sort_by(|a, b| {
        a.relative_path
            .to_string_lossy()
            .cmp(&b.relative_path.to_string_lossy())
    });
    serde_json::to_string_pretty(&record)
}

/// Rewrites every `conda-meta/*.json` that is not in [`render_record`]'s
/// form, so two installs of the same lock with different caches give
/// identical files,
/// and removes the `CACHEDIR.TAG` that rattler puts into every prefix (it
/// would make backup tools skip an image's environment).
pub fn scrub_conda_meta(work_dir: &Path) -> Result<(), InstallError> {
    let directory = work_dir.join("conda-meta");
    let io = |path: &Path, source| InstallError::PrefixIo {
        path: path.to_path_buf(),
        source,
    };
    let tag = work_dir.join("CACHEDIR.TAG");
    if tag.is_file() {
        std::fs::remove_file(&tag).map_err(|e| io(&tag, e))?;
    }
    let entries = std::fs::read_dir(&directory).map_err(|e| io(&directory, e))?;
    for entry in entries {
        let path = entry.map_err(|e| io(&directory, e))?.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
        // Parsed as a record, so the keys come out in one order whatever
        // wrote the file (rattler, or an older envlock).
        let Ok(record) = rattler_conda_types::PrefixRecord::from_str(&text) else {
            tracing::warn!(path = %path.display(), "invalid conda-meta record, left unchanged");
            continue;
        };
        let Ok(rendered) = render_record(&record) else {
            continue;
        };
        if rendered != text || is_private(&path) {
            // A new file, so its mode follows the umask like the records
            // envlock writes itself (rattler writes them readable by the
            // owner only, which breaks tools run by another user in an image).
            let temporary = path.with_extension("json.envlock-new");
            std::fs::write(&temporary, rendered).map_err(|e| io(&temporary, e))?;
            std::fs::rename(&temporary, &path).map_err(|e| io(&path, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record as rattler writes it: cache keys present, `files` unsorted.
    const RATTLER_RECORD: &str = r#"{
  "build": "h0_1",
  "build_number": 1,
  "depends": [],
  "name": "demo",
  "version": "1.0",
  "fn": "demo-1.0-h0_1.conda",
  "url": "https://conda.anaconda.org/conda-forge/linux-64/demo-1.0-h0_1.conda",
  "channel": "https://conda.anaconda.org/conda-forge/",
  "extracted_package_dir": "/cache/pkgs/demo-1.0-h0_1",
  "files": ["lib/b.so", "bin/a"],
  "paths_data": {"paths_version": 1, "paths": [
    {"_path": "lib/b.so", "path_type": "hardlink", "size_in_bytes": 1},
    {"_path": "bin/a", "path_type": "hardlink", "size_in_bytes": 1}
  ]},
  "requested_specs": [],
  "link": {"source": "/cache/pkgs/demo-1.0-h0_1", "type": 1}
}"#;

    fn scrubbed(text: &str) -> String {
        let prefix = tempfile::tempdir().unwrap();
        let meta = prefix.path().join("conda-meta");
        std::fs::create_dir(&meta).unwrap();
        let path = meta.join("demo-1.0-h0_1.json");
        std::fs::write(&path, text).unwrap();
        scrub_conda_meta(prefix.path()).unwrap();
        std::fs::read_to_string(&path).unwrap()
    }

    #[test]
    fn scrub_drops_cache_keys_and_sorts_paths() {
        let text = scrubbed(RATTLER_RECORD);

        assert!(!text.contains("/cache/"), "{text}");
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["files"], serde_json::json!(["bin/a", "lib/b.so"]));
        assert_eq!(value["paths_data"]["paths"][0]["_path"], "bin/a");
    }

    #[test]
    fn scrub_output_ignores_key_order_of_input() {
        let value: serde_json::Value = serde_json::from_str(RATTLER_RECORD).unwrap();
        let mut reversed = serde_json::Map::new();
        for (key, item) in value.as_object().unwrap().iter().rev() {
            reversed.insert(key.clone(), item.clone());
        }
        let reordered = serde_json::to_string_pretty(&reversed).unwrap();

        assert_eq!(scrubbed(&reordered), scrubbed(RATTLER_RECORD));
    }
}

//! Unpacking one wheel into a prefix: every path is checked before anything
//! is written, `.data/` schemes are mapped to their directories, and each
//! written file is hashed for RECORD.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use pep508_rs::PackageName;
use sha2::{Digest, Sha256};

use super::record::{render, RecordEntry};
use super::scripts::{console_script, parse_entry_points, rewrite_script};
use super::InstallError;
use crate::pypi::locked::LockedWheel;

/// The destination directories of a wheel's files.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub(crate) prefix: PathBuf,
    /// Relative to the prefix, e.g. `lib/python3.11/site-packages`.
    pub(crate) site_packages: PathBuf,
    /// The interpreter path written into scripts (the final location).
    pub(crate) python: String,
    /// The directory name for headers, e.g. `python3.11`.
    pub(crate) include_dir: String,
}

impl Layout {
    /// Converts a path relative to the prefix into RECORD's form, which is
    /// relative to site-packages.
    fn record_path(&self, relative: &Path) -> String {
        if let Ok(inside) = relative.strip_prefix(&self.site_packages) {
            return inside.to_string_lossy().into_owned();
        }
        let depth = self.site_packages.components().count();
        format!("{}{}", "../".repeat(depth), relative.to_string_lossy())
    }
}

/// The origin of a planned file's content.
#[derive(Debug, Clone)]
enum Source {
    /// Copied from the archive entry with this index.
    Entry { index: usize, script: bool },
    /// Generated text (console scripts, INSTALLER).
    Generated(Vec<u8>),
}

#[derive(Debug, Clone)]
struct PlannedFile {
    /// Relative to the prefix.
    destination: PathBuf,
    source: Source,
    executable: bool,
}

/// A wheel whose paths were all checked.
pub(crate) struct PlannedWheel {
    archive: PathBuf,
    filename: String,
    dist_info: PathBuf,
    files: Vec<PlannedFile>,
}

impl PlannedWheel {
    /// Counts the files this wheel installs, RECORD included.
    pub(crate) fn file_count(&self) -> usize {
        self.files.len() + 1
    }
}

/// Checks every entry of a wheel and maps it to its destination.
pub(crate) fn plan_wheel(
    archive_path: &Path,
    wheel: &LockedWheel,
    layout: &Layout,
) -> Result<PlannedWheel, InstallError> {
    let read_error = |message: String| InstallError::ReadWheel {
        filename: wheel.filename.clone(),
        message,
    };
    let file = File::open(archive_path).map_err(|error| read_error(error.to_string()))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|error| read_error(error.to_string()))?;

    let (dist_info, data_dir) =
        find_special_dirs(&archive, &wheel.name).ok_or_else(|| InstallError::MissingDistInfo {
            filename: wheel.filename.clone(),
        })?;
    let mut files = Vec::new();
    let mut entry_points_text = None;
    for index in 0..archive.len() {
        let entry = archive
            .by_index(index)
            .map_err(|error| read_error(error.to_string()))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry
            .name()
            .map_err(|error| read_error(error.to_string()))?
            .into_owned();
        let unsafe_path = || InstallError::UnsafePath {
            filename: wheel.filename.clone(),
            entry: name.clone(),
        };
        if entry.is_symlink() {
            return Err(unsafe_path());
        }
        let parts = safe_components(&name).ok_or_else(unsafe_path)?;
        let executable = entry.unix_mode().is_some_and(|mode| mode & 0o111 != 0);
        drop(entry);

        if parts[0] == dist_info && parts.len() == 2 {
            match parts[1] {
                "RECORD" | "INSTALLER" => continue,
                "entry_points.txt" => {
                    entry_points_text = Some(read_entry(&mut archive, index, &wheel.filename)?)
                }
                _ => {}
            }
        }
        let (destination, script) = if data_dir.as_deref() == Some(parts[0]) {
            data_destination(&parts, layout, wheel, &name)?
        } else {
            (layout.site_packages.join(parts.join("/")), false)
        };
        files.push(PlannedFile {
            destination,
            source: Source::Entry { index, script },
            executable: executable || script,
        });
    }

    if let Some(text) = entry_points_text {
        let text = String::from_utf8_lossy(&text).into_owned();
        let entry_points =
            parse_entry_points(&text).map_err(|message| InstallError::InvalidEntryPoint {
                filename: wheel.filename.clone(),
                message,
            })?;
        for entry_point in entry_points {
            files.push(PlannedFile {
                destination: PathBuf::from("bin").join(&entry_point.name),
                source: Source::Generated(
                    console_script(&layout.python, &entry_point).into_bytes(),
                ),
                executable: true,
            });
        }
    }
    let dist_info = layout.site_packages.join(dist_info);
    files.push(PlannedFile {
        destination: dist_info.join("INSTALLER"),
        source: Source::Generated(b"envlock\n".to_vec()),
        executable: false,
    });
    files.sort_by(|a, b| a.destination.cmp(&b.destination));
    Ok(PlannedWheel {
        archive: archive_path.to_path_buf(),
        filename: wheel.filename.clone(),
        dist_info,
        files,
    })
}

/// Finds the top-level `.dist-info` directory of the distribution and its
/// `.data` directory, if any.
fn find_special_dirs<R: Read + std::io::Seek>(
    archive: &zip::ZipArchive<R>,
    name: &PackageName,
) -> Option<(String, Option<String>)> {
    let matches = |dir: &str, suffix: &str| {
        dir.strip_suffix(suffix)
            .and_then(|stem| stem.split('-').next())
            .and_then(|dist| PackageName::from_str(dist).ok())
            .is_some_and(|dist| dist == *name)
    };
    let mut dist_info = None;
    let mut data = None;
    for entry in archive.file_names().filter_map(Result::ok) {
        let Some((top, _)) = entry.split_once('/') else {
            continue;
        };
        if matches(top, ".dist-info") && dist_info.is_none() {
            dist_info = Some(top.to_string());
        } else if matches(top, ".data") && data.is_none() {
            data = Some(top.to_string());
        }
    }
    Some((dist_info?, data))
}

/// Splits an archive path into normal components. Returns `None` for absolute
/// paths, `..`, backslashes and empty names.
fn safe_components(name: &str) -> Option<Vec<&str>> {
    if name.starts_with('/') || name.contains('\\') || name.contains('\0') {
        return None;
    }
    let parts: Vec<&str> = name
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect();
    if parts.is_empty() {
        return None;
    }
    let all_normal = parts.iter().all(|part| {
        matches!(
            Path::new(part).components().next(),
            Some(Component::Normal(_))
        ) && *part != ".."
    });
    all_normal.then_some(parts)
}

/// Maps `<name>.data/<scheme>/<path>` to its destination below the prefix.
fn data_destination(
    parts: &[&str],
    layout: &Layout,
    wheel: &LockedWheel,
    entry: &str,
) -> Result<(PathBuf, bool), InstallError> {
    if parts.len() < 3 {
        return Err(InstallError::UnsafePath {
            filename: wheel.filename.clone(),
            entry: entry.to_string(),
        });
    }
    let rest = parts[2..].join("/");
    match parts[1] {
        "purelib" | "platlib" => Ok((layout.site_packages.join(rest), false)),
        "scripts" => Ok((PathBuf::from("bin").join(rest), true)),
        "headers" => Ok((
            PathBuf::from("include")
                .join(&layout.include_dir)
                .join(wheel.name.as_ref())
                .join(rest),
            false,
        )),
        "data" => Ok((PathBuf::from(rest), false)),
        scheme => Err(InstallError::UnknownDataScheme {
            filename: wheel.filename.clone(),
            entry: entry.to_string(),
            scheme: scheme.to_string(),
        }),
    }
}

fn read_entry<R: Read + std::io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    index: usize,
    filename: &str,
) -> Result<Vec<u8>, InstallError> {
    let read_error = |message: String| InstallError::ReadWheel {
        filename: filename.to_string(),
        message,
    };
    let mut entry = archive
        .by_index(index)
        .map_err(|error| read_error(error.to_string()))?;
    let mut bytes = Vec::new();
    entry
        .read_to_end(&mut bytes)
        .map_err(|error| read_error(error.to_string()))?;
    Ok(bytes)
}

/// Writes a planned wheel into the prefix and its RECORD.
pub(crate) fn write_wheel(planned: &PlannedWheel, layout: &Layout) -> Result<(), InstallError> {
    let read_error = |message: String| InstallError::ReadWheel {
        filename: planned.filename.clone(),
        message,
    };
    let file = File::open(&planned.archive).map_err(|error| read_error(error.to_string()))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|error| read_error(error.to_string()))?;
    let mut record = Vec::with_capacity(planned.files.len());
    for planned_file in &planned.files {
        let path = layout.prefix.join(&planned_file.destination);
        let mut output = create_file(&path)?;
        let (hash, size) = match &planned_file.source {
            Source::Generated(content) => write_all(&mut output, &path, content)?,
            Source::Entry {
                index,
                script: true,
            } => {
                let content = read_entry(&mut archive, *index, &planned.filename)?;
                write_all(
                    &mut output,
                    &path,
                    &rewrite_script(&content, &layout.python),
                )?
            }
            Source::Entry {
                index,
                script: false,
            } => {
                let mut entry = archive
                    .by_index(*index)
                    .map_err(|error| read_error(error.to_string()))?;
                let mut writer = HashingWriter::new(&mut output);
                std::io::copy(&mut entry, &mut writer).map_err(|error| io_error(&path, error))?;
                writer.finish()
            }
        };
        let mode = if planned_file.executable {
            0o755
        } else {
            0o644
        };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .map_err(|error| io_error(&path, error))?;
        record.push(RecordEntry {
            path: layout.record_path(&planned_file.destination),
            hash,
            size,
        });
    }

    let record_relative = planned.dist_info.join("RECORD");
    let record_text = render(record, &layout.record_path(&record_relative));
    let record_path = layout.prefix.join(&record_relative);
    let mut output = create_file(&record_path)?;
    write_all(&mut output, &record_path, record_text.as_bytes())?;
    std::fs::set_permissions(&record_path, std::fs::Permissions::from_mode(0o644))
        .map_err(|error| io_error(&record_path, error))?;
    Ok(())
}

/// Creates a file, replacing whatever was at the path (a symlink is
/// replaced, never followed).
fn create_file(path: &Path) -> Result<File, InstallError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|error| io_error(parent, error))?;
    }
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => {
            return Err(io_error(
                path,
                std::io::Error::other("a directory is in the way of a file"),
            ));
        }
        Ok(_) => std::fs::remove_file(path).map_err(|error| io_error(path, error))?,
        Err(_) => {}
    }
    File::create(path).map_err(|error| io_error(path, error))
}

fn write_all(
    output: &mut File,
    path: &Path,
    content: &[u8],
) -> Result<(String, u64), InstallError> {
    output
        .write_all(content)
        .map_err(|error| io_error(path, error))?;
    let entry = RecordEntry::for_content(String::new(), content);
    Ok((entry.hash, entry.size))
}

fn io_error(path: &Path, source: std::io::Error) -> InstallError {
    InstallError::Io {
        path: path.to_path_buf(),
        source,
    }
}

struct HashingWriter<'a> {
    inner: &'a mut File,
    hasher: Sha256,
    size: u64,
}

impl<'a> HashingWriter<'a> {
    fn new(inner: &'a mut File) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            size: 0,
        }
    }

    fn finish(self) -> (String, u64) {
        use base64::Engine;
        let hash = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.hasher.finalize());
        (hash, self.size)
    }
}

impl Write for HashingWriter<'_> {
    fn write(&mut self, buffer: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buffer)?;
        self.hasher.update(&buffer[..written]);
        self.size += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_components_rejects_escapes() {
        assert_eq!(safe_components("pkg/mod.py"), Some(vec!["pkg", "mod.py"]));
        assert_eq!(
            safe_components("./pkg//mod.py"),
            Some(vec!["pkg", "mod.py"])
        );
        for bad in [
            "../evil.py",
            "pkg/../../evil",
            "/etc/passwd",
            "pkg\\..\\x",
            "",
        ] {
            assert_eq!(safe_components(bad), None, "{bad}");
        }
    }

    #[test]
    fn record_path_is_relative_to_site_packages() {
        let layout = Layout {
            prefix: PathBuf::from("/p"),
            site_packages: PathBuf::from("lib/python3.11/site-packages"),
            python: "/opt/env/bin/python".into(),
            include_dir: "python3.11".into(),
        };
        assert_eq!(
            layout.record_path(Path::new("lib/python3.11/site-packages/a/b.py")),
            "a/b.py"
        );
        assert_eq!(
            layout.record_path(Path::new("bin/tqdm")),
            "../../../bin/tqdm"
        );
    }
}

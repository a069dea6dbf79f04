//! Writing `.conda` archives and indexing the channel.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use rattler_conda_types::compression_level::CompressionLevel;
use rattler_digest::{compute_bytes_digest, Sha256};
use rattler_index::{IndexFsConfig, PackageRevisionAssignment};
use rattler_package_streaming::write::write_conda_package;
use url::Url;

use crate::channel::ChannelSpec;
use crate::error::GenerateError;
use crate::metadata;
use crate::spec::{FileSpec, PackageSpec};

/// zstd level of the inner archives. Stand-in payloads are small or
/// incompressible, so a higher level only costs time.
const ZSTD_LEVEL: i32 = 3;

/// One archive written to the channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenArchive {
    /// Package name.
    pub name: String,
    /// Package version.
    pub version: String,
    /// Build string.
    pub build: String,
    /// Channel subdirectory.
    pub subdir: String,
    /// Absolute path of the `.conda` file.
    pub path: PathBuf,
    /// SHA-256 of the archive, lowercase hex.
    pub sha256: String,
    /// Archive size in bytes.
    pub size: u64,
}

/// Record count and archive bytes of one subdirectory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubdirSummary {
    /// Number of archives (one repodata record each).
    pub records: usize,
    /// Sum of the archive sizes in bytes.
    pub total_bytes: u64,
}

/// A channel on disk, as written by [`write_channel`].
#[derive(Debug, Clone)]
pub struct WrittenChannel {
    /// Absolute path of the channel root.
    pub root: PathBuf,
    /// `file://` URL of the channel root, with a trailing slash.
    pub url: Url,
    /// Summary per subdirectory (`linux-64`, `linux-aarch64`, `noarch`).
    pub subdirs: BTreeMap<String, SubdirSummary>,
    /// Every archive, in the order of [`ChannelSpec::packages`].
    pub archives: Vec<WrittenArchive>,
}

impl WrittenChannel {
    /// Returns the archive of package `name` in `subdir`. With several
    /// versions, it returns the first one in spec order.
    pub fn archive(&self, name: &str, subdir: &str) -> Option<&WrittenArchive> {
        self.archives
            .iter()
            .find(|archive| archive.name == name && archive.subdir == subdir)
    }
}

/// Writes an archive for every package of `spec` into `out_dir` and indexes
/// it with `rattler_index` (repodata.json, repodata.json.zst and sharded
/// repodata). `out_dir` must be missing or empty.
pub async fn write_channel(
    spec: &ChannelSpec,
    out_dir: &Path,
) -> Result<WrittenChannel, GenerateError> {
    let root = prepare_root(out_dir)?;

    let packages = spec.packages().to_vec();
    let archive_root = root.clone();
    let archives = tokio::task::spawn_blocking(move || write_archives(&packages, &archive_root))
        .await
        .map_err(GenerateError::Task)??;

    index_channel(&root).await?;
    summarize(root, archives)
}

fn prepare_root(out_dir: &Path) -> Result<PathBuf, GenerateError> {
    fs::create_dir_all(out_dir).map_err(GenerateError::io(out_dir))?;
    let mut entries = fs::read_dir(out_dir).map_err(GenerateError::io(out_dir))?;
    if entries.next().is_some() {
        return Err(GenerateError::OutputNotEmpty {
            path: out_dir.to_path_buf(),
        });
    }
    out_dir.canonicalize().map_err(GenerateError::io(out_dir))
}

async fn index_channel(root: &Path) -> Result<(), GenerateError> {
    let config = IndexFsConfig {
        channel: root.to_path_buf(),
        target_platform: None,
        repodata_patch: None,
        write_zst: true,
        write_shards: true,
        repodata_revisions: Vec::new(),
        package_revision_assignment: PackageRevisionAssignment::default(),
        force: true,
        max_parallel: 4,
        multi_progress: None,
    };
    rattler_index::index_fs(config)
        .await
        .map_err(|error| GenerateError::Index {
            path: root.to_path_buf(),
            source: error.into(),
        })?;

    // The indexer writes through `<root>/.tmp`, and an empty leftover is
    // removed so the channel contains only subdirectories.
    let scratch = root.join(".tmp");
    if scratch.is_dir() {
        fs::remove_dir(&scratch).map_err(GenerateError::io(&scratch))?;
    }
    Ok(())
}

fn summarize(
    root: PathBuf,
    archives: Vec<WrittenArchive>,
) -> Result<WrittenChannel, GenerateError> {
    let mut subdirs: BTreeMap<String, SubdirSummary> = BTreeMap::new();
    for archive in &archives {
        let summary = subdirs.entry(archive.subdir.clone()).or_default();
        summary.records += 1;
        summary.total_bytes += archive.size;
    }
    let url = Url::from_directory_path(&root).map_err(|()| GenerateError::Io {
        path: root.clone(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the channel root cannot be written as a file:// URL",
        ),
    })?;
    Ok(WrittenChannel {
        root,
        url,
        subdirs,
        archives,
    })
}

/// Writes one archive per package into `<root>/<subdir>/`, without indexing.
pub fn write_archives(
    packages: &[PackageSpec],
    root: &Path,
) -> Result<Vec<WrittenArchive>, GenerateError> {
    let mut seen = BTreeSet::new();
    for package in packages {
        if !seen.insert((package.subdir.as_str(), package.filename())) {
            return Err(GenerateError::DuplicatePackage {
                subdir: package.subdir.clone(),
                filename: package.filename(),
            });
        }
    }

    let mut archives = Vec::with_capacity(packages.len());
    for package in packages {
        let subdir_dir = root.join(&package.subdir);
        fs::create_dir_all(&subdir_dir).map_err(GenerateError::io(&subdir_dir))?;
        archives.push(write_package(package, &subdir_dir)?);
    }
    Ok(archives)
}

/// Writes `package` as `<dir>/<name>-<version>-<build>.conda`. The same
/// package always gives the same bytes: entries are sorted, owned by root,
/// and stamped with the package timestamp.
pub fn write_package(package: &PackageSpec, dir: &Path) -> Result<WrittenArchive, GenerateError> {
    metadata::validate(package)?;

    let staging = tempfile::Builder::new()
        .prefix("standin-package-")
        .tempdir()
        .map_err(GenerateError::io(std::env::temp_dir()))?;
    let base = staging.path();
    let mut paths = stage_payload(package, base)?;
    paths.extend(stage_info(package, base)?);

    let archive_path = dir.join(package.filename());
    write_archive(package, base, &paths, &archive_path)?;

    let bytes = fs::read(&archive_path).map_err(GenerateError::io(&archive_path))?;
    let sha256 = compute_bytes_digest::<Sha256>(&bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let path = archive_path
        .canonicalize()
        .map_err(GenerateError::io(&archive_path))?;
    Ok(WrittenArchive {
        name: package.name.clone(),
        version: package.version.clone(),
        build: package.build.clone(),
        subdir: package.subdir.clone(),
        path,
        sha256,
        size: bytes.len() as u64,
    })
}

fn write_archive(
    package: &PackageSpec,
    base: &Path,
    paths: &[PathBuf],
    archive_path: &Path,
) -> Result<(), GenerateError> {
    let archive_error = |source| GenerateError::Archive {
        path: archive_path.to_path_buf(),
        source,
    };
    let timestamp = i64::try_from(package.timestamp)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .ok_or_else(|| GenerateError::InvalidPackage {
            package: format!("{}/{}", package.subdir, package.dist_name()),
            reason: format!("timestamp {} ms is out of range", package.timestamp),
        })?;

    let mut file = fs::File::create(archive_path).map_err(archive_error)?;
    // One zstd thread, because the output of multi-threaded zstd can depend
    // on the number of workers and archives would differ between machines.
    write_conda_package(
        &mut file,
        base,
        paths,
        CompressionLevel::Numeric(ZSTD_LEVEL),
        Some(1),
        &package.dist_name(),
        Some(&timestamp),
        None,
    )
    .map_err(archive_error)?;
    file.flush().map_err(archive_error)
}

/// Writes the payload into `base` and returns the absolute paths.
fn stage_payload(package: &PackageSpec, base: &Path) -> Result<Vec<PathBuf>, GenerateError> {
    package
        .files
        .iter()
        .map(|file| stage_file(file, base))
        .collect()
}

fn stage_file(file: &FileSpec, base: &Path) -> Result<PathBuf, GenerateError> {
    let path = base.join(&file.path);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(GenerateError::io(parent))?;
    }
    match file.symlink_target() {
        Some(target) => {
            std::os::unix::fs::symlink(target, &path).map_err(GenerateError::io(&path))?;
        }
        None => {
            fs::write(&path, &file.contents).map_err(GenerateError::io(&path))?;
            let mode = if file.executable { 0o755 } else { 0o644 };
            fs::set_permissions(&path, fs::Permissions::from_mode(mode))
                .map_err(GenerateError::io(&path))?;
        }
    }
    Ok(path)
}

/// Writes the `info/` files into `base` and returns their absolute paths.
fn stage_info(package: &PackageSpec, base: &Path) -> Result<Vec<PathBuf>, GenerateError> {
    let mut info_files = vec![
        ("info/index.json", metadata::index_json(package)?),
        ("info/paths.json", metadata::paths_json(package)?),
        ("info/about.json", metadata::about_json(package)?),
    ];
    if let Some(link) = metadata::link_json(package)? {
        info_files.push(("info/link.json", link));
    }
    info_files
        .into_iter()
        .map(|(path, contents)| stage_file(&FileSpec::new(path, contents), base))
        .collect()
}

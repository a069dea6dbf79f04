//! Installation of locked wheels into a prefix without pip or Python: wheels
//! are downloaded into the cache and checked against their sha256, every
//! archive path is checked, and only then is the prefix written.
//!
//! Nothing is byte-compiled. The same wheels give the same files with the
//! same contents and modes: 0644, or 0755 for scripts and entries marked
//! executable. Modification times are not kept.
//!
//! NOTE: files of an older version of the same distribution that is already
//! in the prefix are not removed, so install into a fresh prefix.

mod record;
mod scripts;
mod unpack;

use std::path::{Component, Path, PathBuf};

use pep440_rs::Version;
use pep508_rs::PackageName;

use super::download::{CacheLayout, DownloadError, Fetcher};
use super::locked::LockedWheel;
use unpack::{plan_wheel, write_wheel, Layout};

/// An error while installing wheels.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The HTTP client could not be built.
    #[error(transparent)]
    Client(#[from] crate::http::ClientError),
    /// The site-packages path is not a plain relative path.
    #[error("site-packages path `{value}` must be relative to the prefix without `..`, e.g. lib/python3.11/site-packages")]
    InvalidSitePackages {
        /// The rejected value.
        value: String,
    },
    /// Downloading or verifying a wheel failed.
    #[error("failed to fetch wheel {filename}: {source}")]
    Download {
        /// The wheel file name.
        filename: String,
        /// The failure.
        source: DownloadError,
    },
    /// The wheel archive could not be read.
    #[error("failed to read wheel {filename}: {message}")]
    ReadWheel {
        /// The wheel file name.
        filename: String,
        /// The failure.
        message: String,
    },
    /// An archive entry would be written outside its directory, or is a symlink.
    #[error("wheel {filename} contains the unsafe path `{entry}`; nothing was installed")]
    UnsafePath {
        /// The wheel file name.
        filename: String,
        /// The archive entry.
        entry: String,
    },
    /// The wheel has no `.dist-info` directory for its distribution.
    #[error("wheel {filename} has no .dist-info directory for its distribution")]
    MissingDistInfo {
        /// The wheel file name.
        filename: String,
    },
    /// A `.data/` directory uses a scheme the wheel format does not define.
    #[error("wheel {filename} has `{entry}` in the unknown .data scheme `{scheme}`; known: purelib, platlib, scripts, headers, data")]
    UnknownDataScheme {
        /// The wheel file name.
        filename: String,
        /// The archive entry.
        entry: String,
        /// The scheme.
        scheme: String,
    },
    /// `entry_points.txt` is malformed.
    #[error("invalid entry_points.txt in wheel {filename}: {message}")]
    InvalidEntryPoint {
        /// The wheel file name.
        filename: String,
        /// The problem found.
        message: String,
    },
    /// Writing into the prefix failed.
    #[error("failed to write {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The unpacking task panicked or was cancelled.
    #[error("the install task failed: {0}")]
    Task(String),
}

/// One installed distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledWheel {
    /// The distribution name.
    pub name: PackageName,
    /// The version.
    pub version: Version,
    /// The number of files written, RECORD included.
    pub files: usize,
}

/// The outcome of [`install_wheels`].
#[derive(Debug, Clone, Default)]
pub struct InstallReport {
    /// The installed distributions, in the order of the input.
    pub installed: Vec<InstalledWheel>,
}

/// Installs wheels into `prefix` for an environment that will live at
/// `target_prefix` (scripts get `#!<target_prefix>/bin/python`).
///
/// Wheels are taken from `cache_dir` or downloaded into it. With `offline`,
/// a wheel missing from the cache is an error. Every wheel's sha256 is
/// checked and every archive path validated before the first file is
/// written, so a bad wheel leaves the prefix unchanged. Downloads send no
/// index credentials: private hosts get theirs from rattler's
/// authentication storage (`RATTLER_AUTH_FILE`, `~/.netrc`).
pub async fn install_wheels(
    prefix: &Path,
    target_prefix: &Path,
    site_packages_rel: &str,
    wheels: &[LockedWheel],
    cache_dir: &Path,
    offline: bool,
) -> Result<InstallReport, InstallError> {
    let layout = layout(prefix, target_prefix, site_packages_rel)?;
    let cache = CacheLayout::new(cache_dir);
    let fetcher = Fetcher::new(crate::http::client()?, &[]);

    let mut archives = Vec::with_capacity(wheels.len());
    for wheel in wheels {
        let archive = fetcher
            .wheel(&cache, &wheel.url, &wheel.filename, &wheel.sha256, offline)
            .await
            .map_err(|source| InstallError::Download {
                filename: wheel.filename.clone(),
                source,
            })?;
        archives.push(archive);
    }

    let wheels = wheels.to_vec();
    tokio::task::spawn_blocking(move || unpack_all(&layout, &wheels, &archives))
        .await
        .map_err(|error| InstallError::Task(error.to_string()))?
}

fn unpack_all(
    layout: &Layout,
    wheels: &[LockedWheel],
    archives: &[PathBuf],
) -> Result<InstallReport, InstallError> {
    let mut planned = Vec::with_capacity(wheels.len());
    for (wheel, archive) in wheels.iter().zip(archives) {
        planned.push(plan_wheel(archive, wheel, layout)?);
    }
    let mut report = InstallReport::default();
    for (wheel, plan) in wheels.iter().zip(&planned) {
        write_wheel(plan, layout)?;
        tracing::debug!(package = %wheel.name, version = %wheel.version, "installed wheel");
        report.installed.push(InstalledWheel {
            name: wheel.name.clone(),
            version: wheel.version.clone(),
            files: plan.file_count(),
        });
    }
    Ok(report)
}

fn layout(
    prefix: &Path,
    target_prefix: &Path,
    site_packages_rel: &str,
) -> Result<Layout, InstallError> {
    let site_packages = PathBuf::from(site_packages_rel);
    let plain = !site_packages_rel.is_empty()
        && site_packages
            .components()
            .all(|component| matches!(component, Component::Normal(_)));
    if !plain {
        return Err(InstallError::InvalidSitePackages {
            value: site_packages_rel.to_string(),
        });
    }
    let include_dir = site_packages
        .components()
        .filter_map(|component| component.as_os_str().to_str())
        .find(|part| part.starts_with("python"))
        .unwrap_or("python")
        .to_string();
    let python = target_prefix
        .join("bin")
        .join("python")
        .to_string_lossy()
        .into_owned();
    Ok(Layout {
        prefix: prefix.to_path_buf(),
        site_packages,
        python,
        include_dir,
    })
}

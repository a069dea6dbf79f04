//! Writing and reading envlock lock files.
//!
//! A lock file is a rattler_lock document (format version 7) with one
//! environment, `default`, and envlock's header in leading comment lines
//! (see [`header`]). Next to it, `solve` writes one `@EXPLICIT` file per
//! platform (see [`explicit`]).

pub mod explicit;
pub mod freshness;
pub mod header;
pub mod inputs;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rattler_conda_types::{RepoDataRecord, Subdir};
use rattler_lock::{CondaPackageData, LockFile, LockFileBuilder, PlatformData, PlatformName};

use crate::channels::ChannelSource;
use crate::exit_code::{Classify, ExitClass};
use crate::solve::PlatformSolution;
use crate::virtual_packages::VirtualPackageSet;

pub use header::LockHeader;
pub use inputs::{PipMode, PlatformInputs};

/// The name of the one environment envlock writes into a lock.
pub const ENVIRONMENT: &str = "default";

/// An error while writing or reading a lock.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LockError {
    /// rattler_lock rejected the lock while it was being built.
    #[error("failed to build the lock for {platform}: {message}")]
    Build {
        /// The platform being added.
        platform: String,
        /// rattler_lock's message.
        message: String,
    },
    /// The lock could not be written.
    #[error("failed to write {path}: {source}")]
    #[diagnostic(help("check that the directory exists and is writable"))]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The lock could not be read.
    #[error("failed to read the lock file {path}: {source}")]
    #[diagnostic(help("run `envlock solve` to create it"))]
    Read {
        /// The lock file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The lock is not a valid rattler_lock document.
    #[error("invalid lock file {path}: {message}")]
    #[diagnostic(help("regenerate it with `envlock solve`"))]
    Parse {
        /// The lock file.
        path: PathBuf,
        /// rattler_lock's message.
        message: String,
    },
}

impl Classify for LockError {
    fn exit_class(&self) -> ExitClass {
        match self {
            LockError::Build { .. } | LockError::Write { .. } => ExitClass::Internal,
            LockError::Read { .. } | LockError::Parse { .. } => ExitClass::Input,
        }
    }
}

/// Everything that goes into a new lock.
#[derive(Debug)]
pub struct LockContents<'a> {
    /// The channels, in priority order.
    pub channels: &'a [ChannelSource],
    /// One solution per platform.
    pub solutions: &'a [PlatformSolution],
    /// The virtual packages used per platform.
    pub virtual_packages: &'a VirtualPackageSet,
    /// The normalised inputs per platform.
    pub inputs: &'a BTreeMap<Subdir, PlatformInputs>,
    /// The locked pip sections, one per platform that has one.
    pub pip: &'a [crate::solve::pip::PipSolution],
}

/// Renders a lock: header lines, then the rattler_lock document. Platforms
/// are ordered by name so the bytes do not depend on argument order.
pub fn render(contents: &LockContents<'_>) -> Result<String, LockError> {
    let mut solutions: Vec<&PlatformSolution> = contents.solutions.iter().collect();
    solutions.sort_by_key(|s| s.platform.as_str());

    let mut builder = LockFileBuilder::new();
    for solution in &solutions {
        let platform = solution.platform;
        let data = PlatformData {
            name: PlatformName::from(&platform),
            subdir: platform,
            virtual_packages: contents.virtual_packages.lock_strings(platform),
        };
        builder = builder
            .add_platform(data)
            .map_err(|e| build_error(platform, e))?;
    }
    builder.set_channels(
        ENVIRONMENT,
        contents
            .channels
            .iter()
            .map(|c| c.canonical.as_str().to_string()),
    );
    for solution in &solutions {
        builder
            .add_environment_platform(ENVIRONMENT, solution.platform.as_str())
            .map_err(|e| build_error(solution.platform, e))?;
        for record in &solution.records {
            builder
                .add_conda_package(
                    ENVIRONMENT,
                    solution.platform.as_str(),
                    CondaPackageData::from(record.clone()),
                )
                .map_err(|e| build_error(solution.platform, e))?;
        }
    }
    add_pip(&mut builder, contents.pip)?;
    let lock = builder.finish();
    let body = lock.render_to_string().map_err(|e| LockError::Build {
        platform: "all".to_string(),
        message: e.to_string(),
    })?;

    let inputs: BTreeMap<String, PlatformInputs> = contents
        .inputs
        .iter()
        .map(|(platform, inputs)| (platform.to_string(), inputs.clone()))
        .collect();
    Ok(format!("{}{body}", header::render(&inputs)))
}

/// Adds the locked wheels and the index URLs of the pip sections.
fn add_pip(
    builder: &mut LockFileBuilder,
    pip: &[crate::solve::pip::PipSolution],
) -> Result<(), LockError> {
    let mut indexes: Vec<url::Url> = Vec::new();
    for solution in pip {
        for index in &solution.indexes {
            if !indexes.contains(index) {
                indexes.push(index.clone());
            }
        }
        for wheel in &solution.wheels {
            builder
                .add_pypi_package(
                    ENVIRONMENT,
                    solution.platform.as_str(),
                    wheel.to_pypi_package_data(),
                )
                .map_err(|e| build_error(solution.platform, e))?;
        }
    }
    if !indexes.is_empty() {
        builder.set_pypi_indexes(
            ENVIRONMENT,
            rattler_lock::PypiIndexes {
                indexes,
                find_links: Vec::new(),
            },
        );
    }
    Ok(())
}

fn build_error(platform: Subdir, error: impl std::fmt::Display) -> LockError {
    LockError::Build {
        platform: platform.to_string(),
        message: error.to_string(),
    }
}

/// A lock read from disk: the rattler_lock document and envlock's header.
#[derive(Debug)]
pub struct ReadLock {
    /// The path it was read from.
    pub path: PathBuf,
    /// The rattler_lock document.
    pub lock: LockFile,
    /// envlock's header (empty for locks written by other tools).
    pub header: LockHeader,
}

impl ReadLock {
    /// Reads and parses a lock file.
    pub fn from_path(path: &Path) -> Result<Self, LockError> {
        let text = std::fs::read_to_string(path).map_err(|source| LockError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_text(&text, path)
    }

    /// Parses the text of a lock file that was read from `path` (used for
    /// messages and to resolve relative paths in the lock).
    pub fn from_text(text: &str, path: &Path) -> Result<Self, LockError> {
        let lock = LockFile::from_str_with_base_directory(text, path.parent()).map_err(|e| {
            LockError::Parse {
                path: path.to_path_buf(),
                message: e.to_string(),
            }
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            lock,
            header: header::parse(text),
        })
    }

    /// The platforms of the lock's environment, by name.
    pub fn platforms(&self) -> Vec<Subdir> {
        self.lock.platforms().map(|p| p.subdir()).collect()
    }

    /// The PyPI packages locked for `platform`, empty when it has none.
    pub fn pypi_packages(&self, platform: Subdir) -> Vec<rattler_lock::PypiPackageData> {
        let environment = self
            .lock
            .environment(ENVIRONMENT)
            .or_else(|| self.lock.environments().next().map(|(_, env)| env));
        let (Some(environment), Some(lock_platform)) =
            (environment, self.lock.platform(platform.as_str()))
        else {
            return Vec::new();
        };
        environment
            .pypi_packages(lock_platform)
            .map(|packages| packages.cloned().collect())
            .unwrap_or_default()
    }

    /// The conda records locked for `platform`, empty when it is not in the lock.
    pub fn records(&self, platform: Subdir) -> Vec<RepoDataRecord> {
        let Some(environment) = self
            .lock
            .environment(ENVIRONMENT)
            .or_else(|| self.lock.environments().next().map(|(_, env)| env))
        else {
            return Vec::new();
        };
        let Some(lock_platform) = self.lock.platform(platform.as_str()) else {
            return Vec::new();
        };
        environment
            .conda_repodata_records(lock_platform)
            .ok()
            .flatten()
            .unwrap_or_default()
    }
}

/// Writes `contents` to `path` atomically: a temporary file in the same
/// directory is renamed over the target, so readers never see half a file.
pub fn write_atomically(path: &Path, contents: &str) -> Result<(), LockError> {
    let write_error = |source| LockError::Write {
        path: path.to_path_buf(),
        source,
    };
    let directory = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(directory).map_err(write_error)?;
    let mut temporary = tempfile::NamedTempFile::new_in(directory).map_err(write_error)?;
    std::io::Write::write_all(&mut temporary, contents.as_bytes()).map_err(write_error)?;
    // NamedTempFile creates files with mode 0600; a lock is meant to be shared.
    set_mode(temporary.path(), 0o644).map_err(write_error)?;
    temporary.as_file().sync_all().map_err(write_error)?;
    temporary.persist(path).map_err(|e| write_error(e.error))?;
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

//! Reading the input of `install`: an envlock lock or an `@EXPLICIT` file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use rattler_conda_types::package::CondaArchiveIdentifier;
use rattler_conda_types::{RepoDataRecord, Subdir};
use url::Url;

use super::InstallError;
use crate::lock::ReadLock;

/// One package of an explicit file before its archive has been read.
#[derive(Debug, Clone)]
pub struct ExplicitEntry {
    /// The URL without its hash fragment.
    pub url: Url,
    /// The archive's file name, parsed.
    pub identifier: CondaArchiveIdentifier,
    /// The sha256 from the fragment, if it was one.
    pub sha256: Option<rattler_digest::Sha256Hash>,
    /// The md5 from the fragment, if it was one.
    pub md5: Option<rattler_digest::Md5Hash>,
}

/// The packages to install, from a lock or an explicit file.
#[derive(Debug)]
pub enum InstallSource {
    /// Records from a lock, complete with depends.
    Lock {
        /// The records of the chosen platform, in install order.
        records: Vec<RepoDataRecord>,
        /// The lock's channels (canonical URLs), for mirror mapping.
        channels: Vec<String>,
        /// The environment file's `variables:` recorded in the lock.
        variables: BTreeMap<String, String>,
        /// The locked wheels of the pip section.
        pypi: Vec<rattler_lock::PypiPackageData>,
        /// Whether the lock records that its pip section was skipped.
        pip_not_locked: bool,
    },
    /// Entries of an explicit file; their records are read from the archives.
    Explicit {
        /// The entries, in file order.
        entries: Vec<ExplicitEntry>,
    },
}

/// Whether an explicit file may contain lines without a hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HashPolicy {
    /// Every line needs an md5 or sha256 fragment.
    #[default]
    Required,
    /// Lines without a hash are accepted (`--allow-unhashed`).
    AllowUnhashed,
}

/// Reads `path` as an explicit file when it starts with (comments and) `@EXPLICIT`
/// or a `# platform:` header, else as a lock, and picks `platform` from it.
pub fn read_source(
    path: &Path,
    requested: Option<Subdir>,
    hashes: HashPolicy,
) -> Result<(Subdir, InstallSource), InstallError> {
    let text = std::fs::read_to_string(path).map_err(|source| InstallError::ReadInput {
        path: path.to_path_buf(),
        source,
    })?;
    if looks_explicit(&text) {
        let (file_platform, entries) = parse_explicit(path, &text, hashes)?;
        let platform = choose_explicit_platform(path, file_platform, requested)?;
        return Ok((platform, InstallSource::Explicit { entries }));
    }
    let read = ReadLock::from_path(path).map_err(|e| InstallError::InvalidLock {
        message: e.to_string(),
    })?;
    let platforms = read.platforms();
    let platform = match requested {
        Some(platform) => platform,
        None => host_platform()?,
    };
    if !platforms.contains(&platform) {
        return Err(InstallError::PlatformNotInLock {
            path: path.to_path_buf(),
            platform,
            available: platforms
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let channels = read
        .lock
        .environment(crate::lock::ENVIRONMENT)
        .map(|env| env.channels().iter().map(|c| c.url.clone()).collect())
        .unwrap_or_default();
    let records = read.records(platform);
    let pypi = read.pypi_packages(platform);
    let pip_not_locked = read
        .header
        .platforms
        .get(platform.as_str())
        .is_some_and(|p| p.pip == "not-locked");
    Ok((
        platform,
        InstallSource::Lock {
            records,
            channels,
            variables: read.header.variables,
            pypi,
            pip_not_locked,
        },
    ))
}

/// The platform of the running system.
pub fn host_platform() -> Result<Subdir, InstallError> {
    Subdir::current().ok_or(InstallError::UnknownHostPlatform)
}

fn looks_explicit(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && (!l.starts_with('#') || l.starts_with("# platform:")))
        .is_some_and(|l| l == "@EXPLICIT" || l.starts_with("# platform:"))
}

fn choose_explicit_platform(
    path: &Path,
    file_platform: Option<Subdir>,
    requested: Option<Subdir>,
) -> Result<Subdir, InstallError> {
    match (file_platform, requested) {
        (Some(file), Some(requested)) if file != requested => {
            Err(InstallError::PlatformNotInLock {
                path: path.to_path_buf(),
                platform: requested,
                available: file.to_string(),
            })
        }
        (Some(file), Some(_)) => Ok(file),
        (Some(file), None) => {
            let host = host_platform()?;
            if file != host {
                return Err(InstallError::ForeignExplicit {
                    path: path.to_path_buf(),
                    platform: file,
                    host: host.to_string(),
                });
            }
            Ok(file)
        }
        (None, Some(requested)) => Ok(requested),
        (None, None) => {
            tracing::warn!(path = %path.display(), "explicit file has no '# platform:' header; assuming the host platform");
            host_platform()
        }
    }
}

/// Parses an explicit file, with errors that name the line.
pub fn parse_explicit(
    path: &Path,
    text: &str,
    hashes: HashPolicy,
) -> Result<(Option<Subdir>, Vec<ExplicitEntry>), InstallError> {
    let invalid = |line: usize, message: String| InstallError::InvalidExplicit {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut platform = None;
    let mut seen_tag = false;
    let mut entries = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line_number = index + 1;
        let line = raw.trim();
        if let Some(value) = line.strip_prefix("# platform:") {
            let value = value.trim();
            platform = Some(
                Subdir::from_str(value)
                    .map_err(|_| invalid(line_number, format!("unknown platform '{value}'")))?,
            );
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line == "@EXPLICIT" {
            seen_tag = true;
            continue;
        }
        if !seen_tag {
            return Err(invalid(
                line_number,
                "a package URL before the @EXPLICIT line".to_string(),
            ));
        }
        entries.push(parse_entry(line, hashes).map_err(|message| invalid(line_number, message))?);
    }
    if !seen_tag {
        return Err(invalid(1, "the @EXPLICIT line is missing".to_string()));
    }
    Ok((platform, entries))
}

fn parse_entry(line: &str, hashes: HashPolicy) -> Result<ExplicitEntry, String> {
    let mut url = Url::parse(line)
        .map_err(|e| format!("invalid URL '{}': {e}", crate::channels::redact_text(line)))?;
    if !matches!(url.scheme(), "http" | "https" | "file") {
        return Err(format!(
            "unsupported URL scheme '{}': use http, https or file",
            url.scheme()
        ));
    }
    let fragment = url.fragment().map(str::to_string);
    url.set_fragment(None);
    let identifier = CondaArchiveIdentifier::try_from_url(&url).ok_or_else(|| {
        format!(
            "'{}' is not a .conda or .tar.bz2 package URL",
            crate::channels::redact_url(&url)
        )
    })?;
    let (mut sha256, mut md5) = (None, None);
    match fragment.as_deref() {
        Some(hash) => match rattler_conda_types::PackageArchiveHash::from_str(hash) {
            Ok(rattler_conda_types::PackageArchiveHash::Sha256(value)) => sha256 = Some(value),
            Ok(rattler_conda_types::PackageArchiveHash::Md5(value)) => md5 = Some(value),
            Err(e) => return Err(format!("invalid hash '{hash}': {e}")),
        },
        None if hashes == HashPolicy::Required => {
            return Err(format!(
                "'{}' has no #sha256 or #md5 hash; add one, or pass --allow-unhashed to install it unverified",
                identifier
            ));
        }
        None => {
            tracing::warn!(package = %identifier, "installing a package without a hash (--allow-unhashed)")
        }
    }
    Ok(ExplicitEntry {
        url,
        identifier,
        sha256,
        md5,
    })
}

/// The default lock for install: `locks/<stem>.lock` of the default environment file.
pub fn default_lock_path() -> PathBuf {
    let stem = Path::new(crate::cli::solve::DEFAULT_ENVIRONMENT_FILE)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Path::new("locks").join(format!("{stem}.lock"))
}

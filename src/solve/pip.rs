//! Locking the `pip:` section of one platform after its conda solve.
//!
//! The target comes from the conda solution and the declared virtual
//! packages, never from the host: the CPython version from the locked
//! `python` record, the manylinux level from `__glibc`, the architecture
//! from the platform. Python packages that conda already provides satisfy
//! pip requirements and are not locked again.

use std::path::Path;

use miette::{NamedSource, SourceSpan};
use rattler_conda_types::{GenericVirtualPackage, RepoDataRecord, Subdir};

use crate::envfile::{EnvironmentFile, PipRequirement};
use crate::exit_code::{Classify, ExitClass};
use crate::pypi::{
    self, CondaProvided, CondaPythonPackage, LockedWheel, PipSection, PypiTarget, ResolveOptions,
};

/// The locked pip section of one platform.
#[derive(Debug, Clone)]
pub struct PipSolution {
    /// The target platform.
    pub platform: Subdir,
    /// The wheels to install, sorted by name.
    pub wheels: Vec<LockedWheel>,
    /// The index URLs, primary first, without credentials.
    pub indexes: Vec<url::Url>,
    /// Names that conda provides, which pip does not install again.
    pub from_conda: Vec<String>,
}

/// A failure to lock the pip section.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PipLockError {
    /// A line of the pip section is invalid.
    #[error("{message}")]
    #[diagnostic(help("the pip section takes PEP 508 requirements and --index-url, --extra-index-url, --pre and -r FILE"))]
    Section {
        /// The message, naming the line.
        message: String,
        /// The environment file.
        #[source_code]
        source_code: NamedSource<String>,
        /// The offending entry, when it is in the environment file itself.
        #[label("here")]
        span: Option<SourceSpan>,
    },
    /// The conda solution has no python.
    #[error(
        "the pip section needs python, but the conda solution for {platform} has no python package"
    )]
    #[diagnostic(help("add python (e.g. python=3.11) to the conda dependencies"))]
    NoPython {
        /// The platform.
        platform: Subdir,
    },
    /// The platform has no wheel tags (only linux-64 and linux-aarch64 do).
    #[error("cannot lock pip requirements for {platform}: {message}")]
    Target {
        /// The platform.
        platform: Subdir,
        /// Why.
        message: String,
    },
    /// The resolution failed.
    #[error("failed to lock the pip section for {platform}: {message}")]
    #[diagnostic(help(
        "fix the requirement named above, or lock without the pip section with --ignore-pip"
    ))]
    Resolve {
        /// The platform.
        platform: Subdir,
        /// The resolver's message.
        message: String,
        /// Whether the cause was the network.
        network: bool,
    },
}

impl Classify for PipLockError {
    fn exit_class(&self) -> ExitClass {
        match self {
            PipLockError::Section { .. }
            | PipLockError::NoPython { .. }
            | PipLockError::Target { .. } => ExitClass::Input,
            PipLockError::Resolve { network: true, .. } => ExitClass::Network,
            PipLockError::Resolve { .. } => ExitClass::Unsatisfiable,
        }
    }
}

/// The inputs of one platform's pip lock.
#[derive(Debug)]
pub struct PipRequest<'a> {
    /// The environment file (for paths of `-r` files and diagnostics).
    pub env: &'a EnvironmentFile,
    /// The platform.
    pub platform: Subdir,
    /// The conda solution of the platform.
    pub records: &'a [RepoDataRecord],
    /// The declared virtual packages of the platform.
    pub virtual_packages: &'a [GenericVirtualPackage],
    /// The cache directory.
    pub cache_dir: &'a Path,
    /// Versions of the existing lock to keep where the requirements allow.
    pub preferred: Vec<(pep508_rs::PackageName, pep440_rs::Version)>,
}

/// Locks the pip section of one platform; `None` when it has no pip lines.
pub async fn lock_pip(request: &PipRequest<'_>) -> Result<Option<PipSolution>, PipLockError> {
    let platform = request.platform;
    let lines: Vec<&PipRequirement> = request.env.pip_requirements_for(platform);
    if lines.is_empty() {
        return Ok(None);
    }
    let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    let env_dir = request
        .env
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let section = PipSection::parse(&texts, &env_dir)
        .map_err(|error| section_error(request.env, &lines, &error))?;

    let python = request
        .records
        .iter()
        .find(|r| r.package_record.name.as_normalized() == "python")
        .ok_or(PipLockError::NoPython { platform })?;
    let glibc = request
        .virtual_packages
        .iter()
        .find(|v| v.name.as_normalized() == "__glibc")
        .map(|v| v.version.to_string())
        .unwrap_or_else(|| {
            tracing::warn!(%platform, "no __glibc virtual package; assuming glibc 2.17 (manylinux2014) for wheels");
            "2.17".to_string()
        });
    let target = PypiTarget::new(platform, &python.package_record.version.to_string(), &glibc)
        .map_err(|e| PipLockError::Target {
            platform,
            message: e.to_string(),
        })?;
    tracing::info!(%platform, target = %target.describe(), "resolving the pip section");

    let conda_packages: Vec<CondaPythonPackage> = request
        .records
        .iter()
        .map(|r| CondaPythonPackage::from_record(&r.package_record))
        .collect();
    let provided = CondaProvided::from_conda_packages(conda_packages.iter());
    let client = crate::http::client().map_err(|e| PipLockError::Resolve {
        platform,
        message: e.to_string(),
        network: false,
    })?;
    let options = ResolveOptions::new(request.cache_dir)
        .with_client(client)
        .with_preferred(request.preferred.clone());
    let resolution = pypi::resolve(&section, &target, &provided, &options)
        .await
        .map_err(|error| {
            let network = matches!(error, pypi::ResolveError::Index { .. });
            PipLockError::Resolve {
                platform,
                message: crate::channels::redact_text(&error.to_string()),
                network,
            }
        })?;
    Ok(Some(PipSolution {
        platform,
        wheels: resolution.wheels,
        indexes: section
            .indexes()
            .iter()
            .map(|index| index.url().clone())
            .collect(),
        from_conda: resolution
            .from_conda
            .iter()
            .map(|d| d.name.to_string())
            .collect(),
    }))
}

/// Builds a diagnostic that points at the pip entry of the environment file.
fn section_error(
    env: &EnvironmentFile,
    lines: &[&PipRequirement],
    error: &pypi::PipSectionError,
) -> PipLockError {
    let origin = error.origin();
    let span = origin
        .filter(|o| o.file.is_none())
        .and_then(|o| lines.get(o.line.saturating_sub(1)))
        .map(|line| line.span);
    let mut message = error.to_string();
    if let Some(line) = origin
        .filter(|o| o.file.is_none())
        .and_then(|o| lines.get(o.line.saturating_sub(1)))
    {
        message = format!("{}:{}: {message}", env.path.display(), line.line);
    }
    PipLockError::Section {
        message,
        source_code: env.named_source(),
        span,
    }
}

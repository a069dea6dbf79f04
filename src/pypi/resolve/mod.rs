//! Resolution of a pip section for one target platform with PubGrub,
//! wheels only.

mod provider;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use pep440_rs::Version;
use pubgrub::{DefaultStringReporter, PubGrubError, Reporter};
use reqwest_middleware::ClientWithMiddleware;

use super::download::{CacheLayout, Fetcher};
use super::index::{IndexClient, IndexError};
use super::locked::LockedWheel;
use super::provided::{CondaProvided, ProvidedDistribution};
use super::section::{LineOrigin, PipSection};
use super::target::PypiTarget;
use provider::{Node, Problem, Provider, ProviderError, ProviderInput};

/// An error while resolving a pip section.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The HTTP client could not be built.
    #[error(transparent)]
    Client(#[from] crate::http::ClientError),
    /// A direct requirement names a package that conda provides at a
    /// version outside the requirement.
    #[error("pip requirement `{requirement}` ({origin}) conflicts with conda package {conda_name} {conda_version}, which provides it; change the pip requirement or the conda spec")]
    CondaVersionConflict {
        /// The requirement.
        requirement: String,
        /// The line that contains it.
        origin: Box<LineOrigin>,
        /// The conda package.
        conda_name: String,
        /// The conda version.
        conda_version: String,
    },
    /// A conda-provided distribution is needed but its conda version is not
    /// a PEP 440 version.
    #[error("conda package {conda_name} {conda_version} provides `{name}`, but its version is not a PEP 440 version, so pip requirements on it cannot be checked")]
    InvalidCondaVersion {
        /// The PyPI name.
        name: String,
        /// The conda package.
        conda_name: String,
        /// The conda version.
        conda_version: String,
    },
    /// No index has a required package.
    #[error("package `{name}` was not found on any index ({indexes}) for {platform}\n{report}")]
    NotFound {
        /// The package.
        name: String,
        /// The indexes searched, with credentials redacted.
        indexes: String,
        /// The target platform.
        platform: String,
        /// The solver's explanation.
        report: String,
    },
    /// Only source distributions or wheels for other platforms match.
    #[error("no wheel of {name} {version} is compatible with {platform}, and source distributions are not built for foreign platforms; require a version that publishes such a wheel or install the package from conda\n{report}")]
    NoCompatibleWheel {
        /// The package.
        name: String,
        /// The newest version that matched the requirements.
        version: String,
        /// The target platform.
        platform: String,
        /// The solver's explanation.
        report: String,
    },
    /// The requirements contradict each other.
    #[error("the pip requirements cannot be satisfied for {platform}:\n{report}")]
    NoSolution {
        /// The target platform.
        platform: String,
        /// The solver's explanation, with conda-provided versions noted.
        report: String,
    },
    /// An index or metadata request failed.
    #[error("failed to read the package index for {platform}: {source}")]
    Index {
        /// The target platform.
        platform: String,
        /// The failure.
        source: Arc<IndexError>,
    },
    /// The solver thread panicked or was cancelled.
    #[error("the resolver task failed: {0}")]
    Task(String),
}

/// The cache, network mode and HTTP client of a resolution.
#[derive(Clone)]
pub struct ResolveOptions {
    cache_dir: PathBuf,
    offline: bool,
    client: Option<ClientWithMiddleware>,
    exclude_newer: Option<DateTime<Utc>>,
    preferred: std::collections::HashMap<pep508_rs::PackageName, Version>,
}

impl ResolveOptions {
    /// Options that cache index pages and metadata under `cache_dir` and
    /// use the network.
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            cache_dir: cache_dir.into(),
            offline: false,
            client: None,
            exclude_newer: None,
            preferred: std::collections::HashMap::new(),
        }
    }

    /// Prefers these versions (from an existing lock) where the
    /// requirements allow them, so a re-solve does not move them.
    pub fn with_preferred(
        mut self,
        preferred: impl IntoIterator<Item = (pep508_rs::PackageName, Version)>,
    ) -> Self {
        self.preferred = preferred.into_iter().collect();
        self
    }

    /// Reads only the cache when `offline` is true. A missing page or
    /// metadata file is then an error.
    pub fn with_offline(mut self, offline: bool) -> Self {
        self.offline = offline;
        self
    }

    /// Ignores wheels uploaded after `cutoff` (PEP 700 `upload-time`), like
    /// uv's `--exclude-newer`. Wheels whose index gives no upload time are
    /// ignored too while a cutoff is set.
    pub fn with_exclude_newer(mut self, cutoff: DateTime<Utc>) -> Self {
        self.exclude_newer = Some(cutoff);
        self
    }

    /// Uses this HTTP client instead of [`crate::http::client`].
    pub fn with_client(mut self, client: ClientWithMiddleware) -> Self {
        self.client = Some(client);
        self
    }
}

/// The locked result for one platform.
#[derive(Debug, Clone)]
pub struct Resolution {
    /// The wheels to install, sorted by name.
    pub wheels: Vec<LockedWheel>,
    /// The distributions that conda provides and the resolution used, sorted
    /// by name. They are not installed again.
    pub from_conda: Vec<ProvidedDistribution>,
}

/// Resolves a pip section for one target: wheels only, markers evaluated
/// for the target, conda-provided distributions fixed at their conda
/// versions.
pub async fn resolve(
    section: &PipSection,
    target: &PypiTarget,
    provided: &CondaProvided,
    options: &ResolveOptions,
) -> Result<Resolution, ResolveError> {
    let platform = target.describe();
    let environment = target.marker_environment();
    check_direct_conda_requirements(section, provided, &environment)?;

    let http = match &options.client {
        Some(client) => client.clone(),
        None => crate::http::client()?,
    };
    let indexes = section.indexes();
    let fetcher = Fetcher::new(http, &indexes);
    let cache = CacheLayout::new(&options.cache_dir);
    let client = Arc::new(IndexClient::new(fetcher, indexes, cache, options.offline));
    let input = ProviderInput {
        environment,
        tags: target.compatible_tags(),
        python_version: target.python_version().clone(),
        root: section
            .requirements()
            .iter()
            .map(|entry| entry.requirement.clone())
            .collect(),
        provided: provided.clone(),
        allow_all_prereleases: section.allows_prereleases(),
        exclude_newer: options.exclude_newer,
        preferred: options.preferred.clone(),
    };
    let provider = Provider::new(tokio::runtime::Handle::current(), client.clone(), input);

    let started = std::time::Instant::now();
    let outcome = tokio::task::spawn_blocking(move || {
        let result = pubgrub::resolve(&provider, Node::Root, Version::new([0]));
        (provider, result)
    })
    .await
    .map_err(|error| ResolveError::Task(error.to_string()))?;
    let (provider, result) = outcome;
    tracing::info!(platform = %platform, elapsed_ms = started.elapsed().as_millis() as u64, "resolved the pip section");

    match result {
        Ok(selected) => collect(&provider, provided, selected, &platform),
        Err(error) => Err(map_solver_error(
            error, &provider, provided, &client, &platform,
        )),
    }
}

fn check_direct_conda_requirements(
    section: &PipSection,
    provided: &CondaProvided,
    environment: &pep508_rs::MarkerEnvironment,
) -> Result<(), ResolveError> {
    for entry in section.requirements() {
        let requirement = &entry.requirement;
        if !requirement.evaluate_markers(environment, &[]) {
            continue;
        }
        let Some(distribution) = provided.get(&requirement.name) else {
            continue;
        };
        let Some(version) = &distribution.version else {
            return Err(ResolveError::InvalidCondaVersion {
                name: distribution.name.to_string(),
                conda_name: distribution.conda_name.clone(),
                conda_version: distribution.conda_version.clone(),
            });
        };
        let satisfied = match &requirement.version_or_url {
            Some(pep508_rs::VersionOrUrl::VersionSpecifier(specifiers)) => {
                specifiers.contains(version)
            }
            _ => true,
        };
        tracing::info!(
            requirement = %requirement,
            conda = %distribution.conda_name,
            version = %distribution.conda_version,
            satisfied,
            "pip requirement is provided by conda"
        );
        if !satisfied {
            return Err(ResolveError::CondaVersionConflict {
                requirement: requirement.to_string(),
                origin: Box::new(entry.origin.clone()),
                conda_name: distribution.conda_name.clone(),
                conda_version: distribution.conda_version.clone(),
            });
        }
    }
    Ok(())
}

fn collect(
    provider: &Provider,
    provided: &CondaProvided,
    selected: pubgrub::SelectedDependencies<Node, Version>,
    platform: &str,
) -> Result<Resolution, ResolveError> {
    let mut wheels = Vec::new();
    let mut from_conda = Vec::new();
    for (node, version) in selected {
        let Node::Dist(name) = node else { continue };
        if let Some(distribution) = provided.get(&name) {
            from_conda.push(distribution.clone());
            continue;
        }
        let Some(chosen) = provider.chosen_wheel(&name, &version) else {
            return Err(ResolveError::Task(format!(
                "no wheel was recorded for {name} {version}"
            )));
        };
        let metadata =
            provider
                .wheel_metadata(&name, &version)
                .map_err(|ProviderError(source)| ResolveError::Index {
                    platform: platform.to_string(),
                    source,
                })?;
        wheels.push(LockedWheel {
            name,
            version,
            filename: chosen.wheel.raw_filename.clone(),
            url: chosen.wheel.url.clone(),
            sha256: chosen.wheel.sha256.clone(),
            requires_dist: metadata.requires_dist.clone(),
            requires_python: metadata.requires_python.clone(),
            index_url: chosen.index_url.clone(),
        });
    }
    wheels.sort_by(|a, b| a.name.cmp(&b.name));
    from_conda.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Resolution { wheels, from_conda })
}

fn map_solver_error(
    error: PubGrubError<Provider>,
    provider: &Provider,
    provided: &CondaProvided,
    client: &IndexClient,
    platform: &str,
) -> ResolveError {
    let tree = match error {
        PubGrubError::NoSolution(tree) => tree,
        PubGrubError::ErrorChoosingVersion { source, .. }
        | PubGrubError::ErrorRetrievingDependencies { source, .. }
        | PubGrubError::ErrorInShouldCancel(source) => {
            return ResolveError::Index {
                platform: platform.to_string(),
                source: source.0,
            }
        }
    };
    let mut report = DefaultStringReporter::report(&tree);
    let involved = tree.packages();
    let notes: Vec<String> = provided
        .iter()
        .filter(|distribution| involved.contains(&Node::Dist(distribution.name.clone())))
        .map(|distribution| {
            format!(
                "{} {} is provided by conda package {} {}",
                distribution.name,
                distribution.conda_version,
                distribution.conda_name,
                distribution.conda_version
            )
        })
        .collect();
    for note in notes {
        report.push_str("\nnote: ");
        report.push_str(&note);
    }

    let problems = provider.problems.borrow();
    let relevant = problems
        .iter()
        .find(|(name, _)| involved.contains(&Node::Dist((*name).clone())));
    match relevant {
        Some((name, Problem::NotFound)) => ResolveError::NotFound {
            name: name.to_string(),
            indexes: client
                .indexes()
                .iter()
                .map(|index| index.display())
                .collect::<Vec<_>>()
                .join(", "),
            platform: platform.to_string(),
            report,
        },
        Some((name, Problem::NoWheel { version })) => ResolveError::NoCompatibleWheel {
            name: name.to_string(),
            version: version.to_string(),
            platform: platform.to_string(),
            report,
        },
        None => ResolveError::NoSolution {
            platform: platform.to_string(),
            report,
        },
    }
}

//! The PubGrub dependency provider: candidate versions from the index pages,
//! dependencies from core metadata, evaluated for the target platform.
//!
//! PubGrub is synchronous, so the provider runs on a blocking thread and
//! waits for the async index client through the runtime handle. Project
//! pages of newly seen dependencies are fetched in the background so that
//! most pages are ready when the solver requests them.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use pep440_rs::Version;
use pep508_rs::{ExtraName, MarkerEnvironment, PackageName, Requirement, VersionOrUrl};
use pubgrub::{
    Dependencies, DependencyConstraints, DependencyProvider, PackageResolutionStatistics, Ranges,
};
use tokio::runtime::Handle;

use crate::pypi::index::{CoreMetadata, IndexClient, IndexError, Project, WheelFile};
use crate::pypi::provided::CondaProvided;
use crate::pypi::target::CompatibleTags;

/// A node of the resolution graph.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Node {
    /// The pip section itself.
    Root,
    /// A distribution.
    Dist(PackageName),
    /// An extra of a distribution. It depends on the distribution at the
    /// same version and on the extra's requirements.
    Extra(PackageName, ExtraName),
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Root => f.write_str("the pip section"),
            Node::Dist(name) => write!(f, "{name}"),
            Node::Extra(name, extra) => write!(f, "{name}[{extra}]"),
        }
    }
}

/// The reason a package had no acceptable version, kept for the error message.
#[derive(Debug, Clone)]
pub(crate) enum Problem {
    /// No index has the project.
    NotFound,
    /// Versions match, but none has a wheel for the target. `version` is
    /// the newest matching one.
    NoWheel { version: Version },
}

/// A wheel chosen for a distribution version, and the index it is on.
#[derive(Debug, Clone)]
pub(crate) struct ChosenWheel {
    pub(crate) wheel: WheelFile,
    pub(crate) index_url: url::Url,
}

/// An index failure inside the solver.
#[derive(Debug, Clone, thiserror::Error)]
#[error(transparent)]
pub(crate) struct ProviderError(pub(crate) Arc<IndexError>);

/// The target and pip section facts the solver needs.
pub(crate) struct ProviderInput {
    pub(crate) environment: MarkerEnvironment,
    pub(crate) tags: CompatibleTags,
    pub(crate) python_version: Version,
    pub(crate) root: Vec<Requirement>,
    pub(crate) provided: CondaProvided,
    pub(crate) allow_all_prereleases: bool,
    pub(crate) exclude_newer: Option<chrono::DateTime<chrono::Utc>>,
    /// Versions of an existing lock, tried first when the range allows them.
    pub(crate) preferred: HashMap<PackageName, Version>,
}

pub(crate) struct Provider {
    runtime: Handle,
    client: Arc<IndexClient>,
    input: ProviderInput,
    explicit_prereleases: HashSet<PackageName>,
    chosen: RefCell<HashMap<(PackageName, Version), ChosenWheel>>,
    metadata: RefCell<HashMap<(PackageName, Version), Arc<CoreMetadata>>>,
    discovery: RefCell<HashMap<Node, usize>>,
    pub(crate) problems: RefCell<BTreeMap<PackageName, Problem>>,
}

impl Provider {
    pub(crate) fn new(runtime: Handle, client: Arc<IndexClient>, input: ProviderInput) -> Self {
        // Like uv's default: a pre-release specifier in a direct requirement
        // allows pre-releases of that package.
        let explicit_prereleases = input
            .root
            .iter()
            .filter(|requirement| match &requirement.version_or_url {
                Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
                    specifiers.iter().any(|s| s.version().any_prerelease())
                }
                _ => false,
            })
            .map(|requirement| requirement.name.clone())
            .collect();
        Self {
            runtime,
            client,
            input,
            explicit_prereleases,
            chosen: RefCell::default(),
            metadata: RefCell::default(),
            discovery: RefCell::default(),
            problems: RefCell::default(),
        }
    }

    /// The wheel chosen for a distribution version during the resolution.
    pub(crate) fn chosen_wheel(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Option<ChosenWheel> {
        self.chosen
            .borrow()
            .get(&(name.clone(), version.clone()))
            .cloned()
    }

    /// The metadata of the chosen wheel of a distribution version.
    pub(crate) fn wheel_metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<Arc<CoreMetadata>, ProviderError> {
        let key = (name.clone(), version.clone());
        if let Some(metadata) = self.metadata.borrow().get(&key) {
            return Ok(metadata.clone());
        }
        let Some(chosen) = self.chosen_wheel(name, version) else {
            unreachable!("metadata is only read for versions the provider chose");
        };
        let metadata = self
            .runtime
            .block_on(self.client.metadata(&chosen.wheel))
            .map_err(|error| ProviderError(Arc::new(error)))?;
        let metadata = Arc::new(metadata);
        self.metadata.borrow_mut().insert(key, metadata.clone());
        Ok(metadata)
    }

    fn project(&self, name: &PackageName) -> Result<Option<Arc<Project>>, ProviderError> {
        self.runtime
            .block_on(self.client.project(name))
            .map_err(ProviderError)
    }

    fn prefetch(&self, name: &PackageName) {
        if self.input.provided.get(name).is_some() {
            return;
        }
        let client = self.client.clone();
        let name = name.clone();
        self.runtime.spawn(async move {
            // Errors are reported when the solver requests the page.
            let _ = client.project(&name).await;
        });
    }

    /// Picks the newest acceptable version in `range` that has a wheel for
    /// the target and records the wheel. Records a problem when there is none.
    fn choose_from_project(
        &self,
        name: &PackageName,
        project: &Project,
        range: &Ranges<Version>,
    ) -> Option<Version> {
        let mut by_version: BTreeMap<&Version, Vec<&WheelFile>> = BTreeMap::new();
        let uploaded_in_time =
            |wheel: &WheelFile| match (self.input.exclude_newer, wheel.upload_time) {
                (None, _) => true,
                (Some(cutoff), Some(uploaded)) => uploaded <= cutoff,
                (Some(_), None) => false,
            };
        for wheel in project
            .files
            .wheels
            .iter()
            .filter(|wheel| uploaded_in_time(wheel))
        {
            by_version
                .entry(&wheel.filename.version)
                .or_default()
                .push(wheel);
        }
        let all_versions: Vec<&Version> = by_version
            .keys()
            .copied()
            .chain(project.files.other_files.iter().map(|(version, _)| version))
            .collect();
        let allow_prereleases = self.input.allow_all_prereleases
            || self.explicit_prereleases.contains(name)
            || all_versions.iter().all(|version| version.any_prerelease());
        let pinned = range.as_singleton();

        // A locked version is tried before the newest one, so a re-solve
        // keeps it while the requirements allow it.
        let preferred = self.input.preferred.get(name);
        let ordered = by_version
            .iter()
            .filter(|(version, _)| Some(**version) == preferred)
            .chain(
                by_version
                    .iter()
                    .rev()
                    .filter(|(version, _)| Some(**version) != preferred),
            );
        for (version, wheels) in ordered {
            if !range.contains(*version) || (version.any_prerelease() && !allow_prereleases) {
                continue;
            }
            let yanked_allowed = pinned == Some(*version);
            let best = wheels
                .iter()
                .filter(|wheel| !wheel.yanked || yanked_allowed)
                .filter(|wheel| {
                    wheel
                        .requires_python
                        .as_ref()
                        .is_none_or(|specifiers| specifiers.contains(&self.input.python_version))
                })
                .filter_map(|wheel| {
                    let tags = &wheel.filename;
                    let rank = self.input.tags.rank(
                        &tags.python_tag,
                        &tags.abi_tag,
                        &tags.platform_tag,
                    )?;
                    Some((rank, &wheel.raw_filename, *wheel))
                })
                .min_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
            if let Some((_, _, wheel)) = best {
                let chosen = ChosenWheel {
                    wheel: wheel.clone(),
                    index_url: project.index.url().clone(),
                };
                self.chosen
                    .borrow_mut()
                    .insert((name.clone(), (*version).clone()), chosen);
                return Some((*version).clone());
            }
        }

        let newest = all_versions
            .into_iter()
            .filter(|version| {
                range.contains(*version) && (allow_prereleases || !version.any_prerelease())
            })
            .max();
        if let Some(version) = newest {
            tracing::debug!(package = %name, version = %version, "no compatible wheel in the requested range");
            self.problems.borrow_mut().insert(
                name.clone(),
                Problem::NoWheel {
                    version: version.clone(),
                },
            );
        }
        None
    }

    fn requirement_dependencies(
        &self,
        requirements: &[Requirement],
        extras: &[ExtraName],
        this: Option<&PackageName>,
    ) -> Result<BTreeMap<Node, Ranges<Version>>, String> {
        let mut constraints: BTreeMap<Node, Ranges<Version>> = BTreeMap::new();
        for requirement in requirements {
            if !requirement.evaluate_markers(&self.input.environment, extras) {
                continue;
            }
            let range = match &requirement.version_or_url {
                None => Ranges::full(),
                Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
                    Ranges::from(specifiers.clone())
                }
                Some(VersionOrUrl::Url(url)) => {
                    return Err(format!(
                        "it requires {} through the direct URL {}, which is not supported",
                        requirement.name,
                        crate::pypi::redact::redact_text(&url.to_string())
                    ))
                }
            };
            let mut nodes = Vec::new();
            if this != Some(&requirement.name) {
                nodes.push(Node::Dist(requirement.name.clone()));
            }
            for extra in &requirement.extras {
                nodes.push(Node::Extra(requirement.name.clone(), extra.clone()));
            }
            for node in nodes {
                let merged = match constraints.get(&node) {
                    Some(existing) => existing.intersection(&range),
                    None => range.clone(),
                };
                constraints.insert(node, merged);
            }
        }
        for node in constraints.keys() {
            if let Node::Dist(name) = node {
                self.prefetch(name);
            }
        }
        Ok(constraints)
    }

    fn dependencies_of(
        &self,
        name: &PackageName,
        version: &Version,
        extra: Option<&ExtraName>,
    ) -> Result<Dependencies<Node, Ranges<Version>, String>, ProviderError> {
        let mut constraints: BTreeMap<Node, Ranges<Version>> =
            if self.input.provided.get(name).is_some() {
                // Conda resolved the provided package's own dependencies.
                // NOTE: an extra of it (`pkg[extra]`) only pins the package
                // here because conda records carry no PyPI extras, so the
                // extra's requirements are not installed.
                BTreeMap::new()
            } else {
                let metadata = self.wheel_metadata(name, version)?;
                let extras: Vec<ExtraName> = extra.cloned().into_iter().collect();
                match self.requirement_dependencies(&metadata.requires_dist, &extras, Some(name)) {
                    Ok(constraints) => constraints,
                    Err(message) => return Ok(Dependencies::Unavailable(message)),
                }
            };
        if extra.is_some() {
            constraints.insert(Node::Dist(name.clone()), Ranges::singleton(version.clone()));
        }
        Ok(Dependencies::Available(constraints.into_iter().collect()))
    }
}

impl DependencyProvider for Provider {
    type P = Node;
    type V = Version;
    type VS = Ranges<Version>;
    type M = String;
    type Err = ProviderError;
    type Priority = (bool, u32, Reverse<usize>);

    fn prioritize(
        &self,
        package: &Node,
        range: &Ranges<Version>,
        statistics: &PackageResolutionStatistics,
    ) -> Self::Priority {
        let mut discovery = self.discovery.borrow_mut();
        let next = discovery.len();
        let order = *discovery.entry(package.clone()).or_insert(next);
        let fixed = range.as_singleton().is_some()
            || matches!(package, Node::Dist(name) if self.input.provided.get(name).is_some());
        (fixed, statistics.conflict_count(), Reverse(order))
    }

    fn choose_version(
        &self,
        package: &Node,
        range: &Ranges<Version>,
    ) -> Result<Option<Version>, ProviderError> {
        let name = match package {
            Node::Root => return Ok(Some(Version::new([0]))),
            Node::Dist(name) | Node::Extra(name, _) => name,
        };
        if let Some(provided) = self.input.provided.get(name) {
            return Ok(provided
                .version
                .clone()
                .filter(|version| range.contains(version)));
        }
        let Some(project) = self.project(name)? else {
            self.problems
                .borrow_mut()
                .insert(name.clone(), Problem::NotFound);
            return Ok(None);
        };
        if let Node::Extra(_, _) = package {
            // The extra follows the version chosen for the distribution.
            if let Some(version) = range.as_singleton() {
                if self.chosen_wheel(name, version).is_some() {
                    return Ok(Some(version.clone()));
                }
            }
        }
        Ok(self.choose_from_project(name, &project, range))
    }

    fn get_dependencies(
        &self,
        package: &Node,
        version: &Version,
    ) -> Result<Dependencies<Node, Ranges<Version>, String>, ProviderError> {
        match package {
            Node::Root => Ok(
                match self.requirement_dependencies(&self.input.root, &[], None) {
                    Ok(constraints) => Dependencies::Available(
                        constraints
                            .into_iter()
                            .collect::<DependencyConstraints<_, _>>(),
                    ),
                    Err(message) => Dependencies::Unavailable(message),
                },
            ),
            Node::Dist(name) => self.dependencies_of(name, version, None),
            Node::Extra(name, extra) => self.dependencies_of(name, version, Some(extra)),
        }
    }
}

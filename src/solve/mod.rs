//! Solving an environment file for several target platforms.
//!
//! Each platform is solved on its own with resolvo, against repodata fetched
//! through rattler's gateway and rewritten to canonical channel URLs, with
//! the platform's declared virtual packages.

pub mod pip;
pub mod plan;
pub mod repodata;

use std::collections::BTreeSet;

use rattler_conda_types::{MatchSpec, PackageName, RepoDataRecord, Subdir};
use rattler_repodata_gateway::Gateway;
use rattler_solve::{ChannelPriority, SolveError, SolverImpl, SolverTask};

use crate::channels::ChannelSource;
use crate::exit_code::{Classify, ExitClass};
use crate::reporter::Reporter;
use crate::virtual_packages::VirtualPackageSet;

pub use repodata::{build_gateway, ChannelRecords, FetchError};

/// The request for one platform.
#[derive(Debug, Clone)]
pub struct PlatformRequest {
    /// The target platform.
    pub platform: Subdir,
    /// The conda specs that apply on this platform, after selectors.
    pub specs: Vec<MatchSpec>,
    /// Records of an existing lock the solver should keep where the specs allow.
    pub preferred: Vec<RepoDataRecord>,
}

/// The solution for one platform.
#[derive(Debug, Clone)]
pub struct PlatformSolution {
    /// The target platform.
    pub platform: Subdir,
    /// The solved records in install (topological) order, with canonical URLs.
    pub records: Vec<RepoDataRecord>,
}

/// A failure to solve, with the platform it happened on.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SolveEnvError {
    /// Repodata could not be fetched.
    #[error(transparent)]
    #[diagnostic(help("check the channel URL or --mirror, and that the server is reachable"))]
    Fetch(#[from] FetchError),
    /// A requested package has no build at all for this platform.
    #[error("package '{package}' has no build for {platform} in {channels}{elsewhere}")]
    #[diagnostic(help("remove it for this platform with a selector (e.g. '# [not aarch64]'), or drop {platform} from the target platforms"))]
    MissingPackage {
        /// The package name.
        package: String,
        /// The platform without builds.
        platform: Subdir,
        /// The channels searched.
        channels: String,
        /// A note on other platforms that do have builds.
        elsewhere: String,
    },
    /// The specs have no solution on this platform.
    #[error("the environment cannot be solved for {platform}:\n{explanation}")]
    #[diagnostic(help("relax the conflicting specs above, or override a virtual package with --virtual-package {platform}:NAME=VERSION"))]
    Unsatisfiable {
        /// The platform.
        platform: Subdir,
        /// The solver's explanation.
        explanation: String,
    },
    /// A spec names no exact package.
    #[error("the spec '{spec}' does not name an exact package")]
    #[diagnostic(help("environment files need exact package names; globs and regular expressions are not supported"))]
    InexactName {
        /// The spec as written.
        spec: String,
    },
    /// The solver failed in another way.
    #[error("the solver failed for {platform}: {message}")]
    Solver {
        /// The platform.
        platform: Subdir,
        /// The solver's message.
        message: String,
    },
}

impl Classify for SolveEnvError {
    fn exit_class(&self) -> ExitClass {
        match self {
            SolveEnvError::Fetch(_) => ExitClass::Network,
            SolveEnvError::MissingPackage { .. } | SolveEnvError::Unsatisfiable { .. } => {
                ExitClass::Unsatisfiable
            }
            SolveEnvError::InexactName { .. } => ExitClass::Input,
            SolveEnvError::Solver { .. } => ExitClass::Internal,
        }
    }
}

/// Solves every platform request against `channels`, in request order.
pub async fn solve_platforms(
    gateway: &Gateway,
    channels: &[ChannelSource],
    virtual_packages: &VirtualPackageSet,
    requests: &[PlatformRequest],
    reporter: &dyn Reporter,
) -> Result<Vec<PlatformSolution>, SolveEnvError> {
    if requests.len() > 1 {
        let mut names = BTreeSet::new();
        for request in requests {
            names.extend(spec_names(&request.specs)?);
        }
        let platforms: Vec<Subdir> = requests.iter().map(|r| r.platform).collect();
        let names: Vec<PackageName> = names.into_iter().collect();
        reporter.on_step_start("fetching repodata for every platform");
        repodata::prefetch(gateway, channels, &platforms, &names).await;
        reporter.on_step_finish();
    }
    let mut solutions = Vec::new();
    for request in requests {
        let names = spec_names(&request.specs)?;
        reporter.on_step_start(&format!("fetching repodata for {}", request.platform));
        let fetched = repodata::fetch_records(gateway, channels, request.platform, &names).await;
        reporter.on_step_finish();
        let fetched = fetched?;

        reporter.on_step_start(&format!("solving {}", request.platform));
        let solved = solve_one(&fetched, virtual_packages, request);
        reporter.on_step_finish();
        let records = match solved {
            Ok(records) => records,
            Err(error) => {
                return Err(explain_failure(gateway, channels, request, &fetched, error).await);
            }
        };
        tracing::info!(platform = %request.platform, packages = records.len(), "solved");
        solutions.push(PlatformSolution {
            platform: request.platform,
            records,
        });
    }
    Ok(solutions)
}

fn spec_names(specs: &[MatchSpec]) -> Result<Vec<PackageName>, SolveEnvError> {
    let mut names = BTreeSet::new();
    for spec in specs {
        let name = spec
            .name
            .as_exact()
            .ok_or_else(|| SolveEnvError::InexactName {
                spec: spec.to_string(),
            })?;
        names.insert(name.clone());
    }
    Ok(names.into_iter().collect())
}

fn solve_one(
    fetched: &[ChannelRecords],
    virtual_packages: &VirtualPackageSet,
    request: &PlatformRequest,
) -> Result<Vec<RepoDataRecord>, SolveError> {
    let available = fetched.iter().map(|c| c.records.iter());
    let task = SolverTask {
        specs: request.specs.clone(),
        virtual_packages: virtual_packages.get(request.platform),
        locked_packages: request.preferred.iter().collect(),
        channel_priority: ChannelPriority::Strict,
        ..SolverTask::from_iter(available)
    };
    let result = rattler_solve::resolvo::Solver.solve(task)?;
    let mut records = result.records;
    records.sort_by(|a, b| a.package_record.name.cmp(&b.package_record.name));
    Ok(rattler_conda_types::PackageRecord::sort_topologically(
        records,
    ))
}

/// Turns a solver failure into the most useful error: a requested package
/// that has no build on this platform at all is named directly, with the
/// platforms that do have it.
async fn explain_failure(
    gateway: &Gateway,
    channels: &[ChannelSource],
    request: &PlatformRequest,
    fetched: &[ChannelRecords],
    error: SolveError,
) -> SolveEnvError {
    let platform = request.platform;
    for spec in &request.specs {
        let Some(name) = spec.name.as_exact() else {
            continue;
        };
        let present = fetched
            .iter()
            .flat_map(|c| c.records.iter())
            .any(|r| &r.package_record.name == name);
        if !present {
            let elsewhere = platforms_with_package(gateway, channels, platform, name).await;
            return SolveEnvError::MissingPackage {
                package: name.as_normalized().to_string(),
                platform,
                channels: channels
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                elsewhere,
            };
        }
    }
    match error {
        SolveError::Unsolvable(messages) => SolveEnvError::Unsatisfiable {
            platform,
            explanation: messages.join("\n"),
        },
        other => SolveEnvError::Solver {
            platform,
            message: other.to_string(),
        },
    }
}

async fn platforms_with_package(
    gateway: &Gateway,
    channels: &[ChannelSource],
    missing_on: Subdir,
    name: &PackageName,
) -> String {
    let mut found = Vec::new();
    for candidate in [Subdir::Linux64, Subdir::LinuxAarch64] {
        if candidate == missing_on {
            continue;
        }
        let names = [name.clone()];
        let Ok(records) = repodata::fetch_records(gateway, channels, candidate, &names).await
        else {
            continue;
        };
        let has_builds = records
            .iter()
            .flat_map(|c| c.records.iter())
            .any(|r| &r.package_record.name == name && r.package_record.subdir != "noarch");
        if has_builds {
            found.push(candidate.to_string());
        }
    }
    if found.is_empty() {
        "; it has no build for linux-64 or linux-aarch64 either: check the name".to_string()
    } else {
        format!(" (it has builds for {})", found.join(", "))
    }
}

//! `envlock check` against channels: availability, the whole-environment
//! solve, and content rules on the locked (or newest) builds.

use std::path::{Path, PathBuf};

use rattler_conda_types::{MatchSpec, PackageName, Subdir};
use rattler_repodata_gateway::Gateway;
use serde::Serialize;

use super::archive::{ArchiveError, PackageFetcher};
use super::availability::{
    newest_first, newest_matching, query_records, Availability, PlatformRecords,
};
use super::content::{check_targets, fetch_url_for, ContentTarget, PackageContent, RecordSource};
use super::requirements::{requirements_for, RequireArg, Requirement, RequirementSource};
use super::rules::{rule_packages, ContentRule, RuleLevel, RuleStatus};
use crate::channels::{redact_url, Mirror};
use crate::envfile::EnvironmentFile;
use crate::exit_code::{Classify, ExitClass};
use crate::lock::{freshness, LockError, ReadLock};
use crate::reporter::Reporter;
use crate::solve::plan::{PlanError, PlanOptions, SolvePlan};
use crate::solve::repodata::FetchError;
use crate::solve::{self, PlatformRequest, SolveEnvError};
use crate::virtual_packages::VirtualPackageOverride;

/// Options of the channel check besides the environment file and the rules.
#[derive(Debug, Clone)]
pub struct ChannelCheckOptions {
    /// Target platforms from `-p`; empty means the file's, else the defaults.
    pub platforms: Vec<Subdir>,
    /// `--mirror` values.
    pub mirrors: Vec<Mirror>,
    /// `--virtual-package` overrides for the whole-environment solve.
    pub virtual_packages: Vec<VirtualPackageOverride>,
    /// `--require` values.
    pub require: Vec<RequireArg>,
    /// Whether nwchem, xtb, crest and rdkit are required without `--require`.
    pub default_requirements: bool,
    /// The lock whose records content rules inspect.
    pub lockfile: PathBuf,
    /// The cache directory for repodata and downloaded archives.
    pub cache_dir: PathBuf,
}

/// A failure that stops the check before it has a result.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ChannelCheckError {
    /// The channels or mirrors are invalid.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Plan(#[from] PlanError),
    /// The HTTP client could not be built.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Client(#[from] crate::http::ClientError),
    /// Repodata could not be fetched.
    #[error(transparent)]
    #[diagnostic(help("check the channel URL or --mirror, and that the server is reachable"))]
    Fetch(#[from] FetchError),
    /// The lock could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Lock(#[from] LockError),
    /// A package archive could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Archive(#[from] ArchiveError),
}

impl Classify for ChannelCheckError {
    fn exit_class(&self) -> ExitClass {
        match self {
            ChannelCheckError::Plan(_) => ExitClass::Input,
            ChannelCheckError::Client(error) => error.exit_class(),
            ChannelCheckError::Fetch(_) => ExitClass::Network,
            ChannelCheckError::Lock(error) => error.exit_class(),
            ChannelCheckError::Archive(error) => error.exit_class(),
        }
    }
}

/// A channel as the report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelSummary {
    /// The name in the environment file.
    pub name: String,
    /// The canonical URL.
    pub canonical: String,
    /// The fetch URL, credentials masked.
    pub fetch: String,
}

/// Whether the environment as a whole solves on one platform.
#[derive(Debug, Clone, Serialize)]
pub struct EnvironmentSolve {
    /// The platform.
    pub platform: String,
    /// `solvable`, `unsolvable`, or `skipped` (a requirement is already unmet).
    pub status: SolveStatus,
    /// The solver's explanation when it is not solvable.
    pub explanation: Option<String>,
}

/// The outcome of the whole-environment solve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SolveStatus {
    /// The solver found a solution.
    Solvable,
    /// The solver found none.
    Unsolvable,
    /// Not attempted, because a requirement is unmet on the platform.
    Skipped,
}

/// The lock the content rules used.
#[derive(Debug, Clone, Serialize)]
pub struct LockUse {
    /// The lock path.
    pub path: String,
    /// Whether it exists.
    pub found: bool,
    /// Reasons it is out of date with the environment file; empty when current.
    pub out_of_date: Vec<String>,
}

/// The result of `envlock check` against channels.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelReport {
    /// The environment file.
    pub environment_file: String,
    /// The target platforms.
    pub platforms: Vec<String>,
    /// The channels, in priority order.
    pub channels: Vec<ChannelSummary>,
    /// The rules file, if one was read.
    pub rules_file: Option<String>,
    /// One entry per requirement and platform.
    pub availability: Vec<Availability>,
    /// One entry per platform.
    pub solves: Vec<EnvironmentSolve>,
    /// The lock used for content rules.
    pub lock: LockUse,
    /// One entry per package build that rules inspect.
    pub content: Vec<PackageContent>,
    /// Failures: each one makes the check fail.
    pub problems: Vec<String>,
    /// Findings that do not fail the check.
    pub warnings: Vec<String>,
    /// Facts about how the check ran (skipped items, sources).
    pub notes: Vec<String>,
    /// Whether the check passed (no problems).
    pub passed: bool,
}

/// One platform's requirements and the records found for them.
struct PlatformQuery {
    platform: Subdir,
    requirements: Vec<Requirement>,
    records: PlatformRecords,
}

/// Runs the check against the channels of `env`.
pub async fn check_channels(
    env: &EnvironmentFile,
    options: &ChannelCheckOptions,
    rules: &[ContentRule],
    rules_file: Option<&Path>,
    reporter: &dyn Reporter,
) -> Result<ChannelReport, ChannelCheckError> {
    let plan_options = PlanOptions {
        platforms: options.platforms.clone(),
        mirrors: options.mirrors.clone(),
        virtual_packages: options.virtual_packages.clone(),
        // The plan only computes the inputs the lock is compared with; the
        // pip section is not resolved here.
        ignore_pip: false,
    };
    let plan = SolvePlan::new(env, &plan_options)?;
    let gateway = solve::build_gateway(&options.cache_dir)?;
    let mut report = empty_report(env, &plan, rules_file, &options.lockfile);

    let mut queries = Vec::new();
    for &platform in &plan.platforms {
        let (requirements, notes) = requirements_for(
            env,
            platform,
            &options.require,
            options.default_requirements,
        );
        report.notes.extend(notes);
        let mut names: Vec<PackageName> = requirements.iter().map(|r| r.package.clone()).collect();
        names.extend(rule_packages(rules));
        names.sort();
        names.dedup();
        reporter.on_step_start(&format!("querying channels for {platform}"));
        let records = query_records(&gateway, &plan.channels, platform, &names).await;
        reporter.on_step_finish();
        queries.push(PlatformQuery {
            platform,
            requirements,
            records: records?,
        });
    }

    report.availability = availability(&queries);
    report.solves = solve_environments(&gateway, &plan, &queries, reporter).await;

    let lock = read_lock(&options.lockfile, &plan, &mut report)?;
    let targets = content_targets(&plan, &queries, lock.as_ref(), rules, &mut report.notes);
    let client = crate::http::client()?;
    let fetcher = PackageFetcher::new(client, &options.cache_dir);
    reporter.on_step_start("reading package file lists");
    let content = check_targets(&fetcher, &targets, rules).await;
    reporter.on_step_finish();
    report.content = content?;

    summarize(&mut report);
    Ok(report)
}

fn empty_report(
    env: &EnvironmentFile,
    plan: &SolvePlan,
    rules_file: Option<&Path>,
    lockfile: &Path,
) -> ChannelReport {
    ChannelReport {
        environment_file: env.path.display().to_string(),
        platforms: plan.platforms.iter().map(ToString::to_string).collect(),
        channels: plan
            .channels
            .iter()
            .map(|c| ChannelSummary {
                name: c.name.clone(),
                canonical: c.canonical.to_string(),
                fetch: redact_url(&c.fetch).to_string(),
            })
            .collect(),
        rules_file: rules_file.map(|p| p.display().to_string()),
        availability: Vec::new(),
        solves: Vec::new(),
        lock: LockUse {
            path: lockfile.display().to_string(),
            found: false,
            out_of_date: Vec::new(),
        },
        content: Vec::new(),
        problems: Vec::new(),
        warnings: Vec::new(),
        notes: Vec::new(),
        passed: false,
    }
}

/// Evaluates every requirement, and names other platforms' newest versions
/// for a package with no build at all on a platform.
fn availability(queries: &[PlatformQuery]) -> Vec<Availability> {
    let mut results = Vec::new();
    for query in queries {
        for requirement in &query.requirements {
            let records = query
                .records
                .get(&requirement.package)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let mut item = Availability::evaluate(requirement, query.platform, records);
            let elsewhere: Vec<(String, String)> = queries
                .iter()
                .filter(|other| other.platform != query.platform)
                .filter_map(|other| {
                    let mut records: Vec<_> =
                        other.records.get(&requirement.package)?.iter().collect();
                    newest_first(&mut records);
                    let newest = records.first()?;
                    Some((
                        other.platform.to_string(),
                        newest.record.package_record.version.to_string(),
                    ))
                })
                .collect();
            item.note_elsewhere(&elsewhere);
            results.push(item);
        }
    }
    results
}

/// Solves the whole environment, plus the `--require` specs, on every
/// platform where each requirement is satisfiable on its own.
async fn solve_environments(
    gateway: &Gateway,
    plan: &SolvePlan,
    queries: &[PlatformQuery],
    reporter: &dyn Reporter,
) -> Vec<EnvironmentSolve> {
    let mut solves = Vec::new();
    for query in queries {
        let platform = query.platform;
        let all_met = query.requirements.iter().all(|requirement| {
            let records = query
                .records
                .get(&requirement.package)
                .map(Vec::as_slice)
                .unwrap_or_default();
            newest_matching(records, requirement).is_some()
        });
        if !all_met {
            let status = SolveStatus::Skipped;
            solves.push(EnvironmentSolve {
                platform: platform.to_string(),
                status,
                explanation: None,
            });
            continue;
        }

        // NOTE: the solve uses envlock's default virtual packages plus
        // --virtual-package, not the ones recorded in the lock.
        let request = PlatformRequest {
            platform,
            specs: solve_specs(plan, query),
            preferred: Vec::new(),
        };
        reporter.on_step_start(&format!("solving the environment for {platform}"));
        let outcome = solve::solve_platforms(
            gateway,
            &plan.channels,
            &plan.virtual_packages,
            &[request],
            &crate::reporter::QuietReporter,
        )
        .await;
        reporter.on_step_finish();
        let (status, explanation) = match outcome {
            Ok(_) => (SolveStatus::Solvable, None),
            Err(SolveEnvError::Unsatisfiable { explanation, .. }) => {
                (SolveStatus::Unsolvable, Some(explanation))
            }
            Err(error) => (SolveStatus::Unsolvable, Some(error.to_string())),
        };
        solves.push(EnvironmentSolve {
            platform: platform.to_string(),
            status,
            explanation,
        });
    }
    solves
}

/// Returns the environment's specs on a platform, with each `--require`
/// spec replacing the spec of the same package or added.
fn solve_specs(plan: &SolvePlan, query: &PlatformQuery) -> Vec<MatchSpec> {
    let mut specs = plan.specs.get(&query.platform).cloned().unwrap_or_default();
    for requirement in query
        .requirements
        .iter()
        .filter(|r| r.source == RequirementSource::CommandLine)
    {
        specs.retain(|spec| spec.name.as_exact() != Some(&requirement.package));
        specs.push(requirement.spec.clone());
    }
    specs
}

/// Reads the lock if it exists and records whether it is current.
fn read_lock(
    path: &Path,
    plan: &SolvePlan,
    report: &mut ChannelReport,
) -> Result<Option<ReadLock>, LockError> {
    if !path.is_file() {
        report.notes.push(format!(
            "no lock at {}: content rules use the newest matching builds in the channels; run `envlock solve` to check the builds a lock pins",
            path.display()
        ));
        return Ok(None);
    }
    let lock = ReadLock::from_path(path)?;
    report.lock.found = true;
    report.lock.out_of_date = freshness::compare(&lock.header, &plan.inputs)
        .iter()
        .map(ToString::to_string)
        .collect();
    if !report.lock.out_of_date.is_empty() {
        report.warnings.push(format!(
            "{} is out of date with {} ({}); content rules use its records anyway",
            path.display(),
            report.environment_file,
            report.lock.out_of_date.join("; ")
        ));
    }
    Ok(Some(lock))
}

/// Picks the build to inspect for every package with rules on every platform:
/// the locked record when the lock has the platform, else the newest
/// record in the channels that matches the requirement (or any record).
fn content_targets(
    plan: &SolvePlan,
    queries: &[PlatformQuery],
    lock: Option<&ReadLock>,
    rules: &[ContentRule],
    notes: &mut Vec<String>,
) -> Vec<ContentTarget> {
    let mut targets = Vec::new();
    for query in queries {
        let platform = query.platform;
        let locked = lock.map(|lock| lock.records(platform)).unwrap_or_default();
        if lock.is_some() && locked.is_empty() {
            notes.push(format!("the lock has no {platform} records: content rules there use the newest matching builds in the channels"));
        }
        for package in rule_packages(rules) {
            let name = package.as_normalized();
            if !locked.is_empty() {
                match locked.iter().find(|r| r.package_record.name == package) {
                    Some(record) => targets.push(ContentTarget {
                        platform,
                        fetch_url: fetch_url_for(&plan.channels, &record.url),
                        record: record.clone(),
                        source: RecordSource::Lock,
                    }),
                    None => notes.push(format!("{name} is not in the lock for {platform}; its content rules were not applied there")),
                }
                continue;
            }

            let records = query
                .records
                .get(&package)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let chosen = match query.requirements.iter().find(|r| r.package == package) {
                Some(requirement) => newest_matching(records, requirement),
                None => {
                    // Not a requirement: take the environment file's own spec
                    // for the package when it has one, else any build.
                    let file_spec = plan.specs.get(&platform).and_then(|specs| {
                        specs.iter().find(|s| s.name.as_exact() == Some(&package))
                    });
                    let mut all: Vec<_> = records
                        .iter()
                        .filter(|found| {
                            file_spec.is_none_or(|spec| {
                                rattler_conda_types::Matches::matches(
                                    spec,
                                    &found.record.package_record,
                                )
                            })
                        })
                        .collect();
                    newest_first(&mut all);
                    all.first().copied()
                }
            };
            match chosen {
                Some(found) => targets.push(ContentTarget {
                    platform,
                    record: found.record.clone(),
                    fetch_url: found.fetch_url.clone(),
                    source: RecordSource::Channel,
                }),
                None => notes.push(format!(
                    "no {platform} build of {name} to apply content rules to"
                )),
            }
        }
    }
    targets
}

/// Collects problems and warnings from the results and sets `passed`.
fn summarize(report: &mut ChannelReport) {
    for item in &report.availability {
        if let Some(problem) = &item.problem {
            report.problems.push(problem.clone());
        }
    }
    for solve in &report.solves {
        if solve.status == SolveStatus::Unsolvable {
            report.warnings.push(format!(
                "every requirement is available on {} on its own, but the environment as a whole does not solve there:\n{}",
                solve.platform,
                solve.explanation.as_deref().unwrap_or("(no explanation)")
            ));
        }
    }
    for package in &report.content {
        for result in &package.rules {
            let message = format!(
                "{} on {}: rule {} failed: {} (why: {})",
                package.package, package.platform, result.rule, result.detail, result.reason
            );
            match (result.status, result.level) {
                (RuleStatus::Failed, RuleLevel::Error) => report.problems.push(message),
                (RuleStatus::Failed, RuleLevel::Warning) => report.warnings.push(message),
                (RuleStatus::Unknown, _) => report.notes.push(format!(
                    "{} on {}: rule {} not verified: {}",
                    package.package, package.platform, result.rule, result.detail
                )),
                (RuleStatus::Passed, _) => {}
            }
        }
    }
    report.passed = report.problems.is_empty();
}

//! `envlock solve`: lock an environment file for every target platform.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rattler_conda_types::Subdir;
use serde::Serialize;

use crate::channels::Mirror;
use crate::cli::{default_cache_dir, CommandError, CommandResult};
use crate::envfile::EnvironmentFile;
use crate::exit_code::ExitClass;
use crate::lock::freshness::{self, Staleness};
use crate::lock::PipMode;
use crate::lock::{self, LockContents, ReadLock};
use crate::printer::{OutputFormat, Printer};
use crate::solve::pip::{lock_pip, PipRequest, PipSolution};
use crate::solve::plan::{PlanError, PlanOptions, SolvePlan};
use crate::solve::{self, PlatformSolution};
use crate::virtual_packages::VirtualPackageOverride;

/// The environment file `solve` reads when `-f` is not given.
pub const DEFAULT_ENVIRONMENT_FILE: &str = "env-worker-arm64.yaml";

/// Arguments of `envlock solve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The environment file to lock.
    #[arg(short = 'f', long = "file", default_value = DEFAULT_ENVIRONMENT_FILE)]
    pub file: PathBuf,
    /// A target platform (repeatable). Default: the file's `platforms:`, else linux-aarch64 and linux-64.
    #[arg(short = 'p', long = "platform")]
    pub platforms: Vec<Subdir>,
    /// The lock file to write. Default: locks/<file stem>.lock next to the working directory.
    #[arg(long)]
    pub lockfile: Option<PathBuf>,
    /// Fetch a channel from a mirror, as NAME=URL (repeatable); the lock keeps the channel's canonical URLs.
    /// Without --mirror, ENVLOCK_MIRROR (space-separated NAME=URL values) is read, e.g. from a Dockerfile build argument.
    #[arg(long = "mirror", value_name = "NAME=URL")]
    pub mirrors: Vec<Mirror>,
    /// Override a virtual package on one platform, as PLATFORM:NAME=VERSION[=BUILD] (repeatable).
    #[arg(long = "virtual-package", value_name = "PLATFORM:NAME=VERSION")]
    pub virtual_packages: Vec<VirtualPackageOverride>,
    /// Lock only the conda packages and record in the lock that the pip section was not locked.
    #[arg(long)]
    pub ignore_pip: bool,
    /// Exit with code 5 when the lock is missing or out of date, and write nothing.
    #[arg(long, conflicts_with = "update")]
    pub check: bool,
    /// Re-solve and let these packages move to newer versions (all packages when none are named).
    /// Without it, an existing lock's versions are kept wherever the specs allow.
    #[arg(long, value_name = "PACKAGE", num_args = 0..)]
    pub update: Option<Vec<String>>,
    /// The machine output on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// The cache directory for repodata. Default: $XDG_CACHE_HOME/envlock or ~/.cache/envlock.
    #[arg(long, env = "ENVLOCK_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
}

/// Whether `solve` writes the lock or only checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Solve and write the lock and explicit files.
    Write,
    /// Compare the lock's recorded inputs with the current ones; write nothing.
    Check,
}

/// The policy for which locked versions a new solve keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdatePolicy {
    /// Keep every locked version the specs allow (the default).
    KeepLocked,
    /// Let the named packages move; keep the rest.
    Packages(Vec<String>),
    /// Ignore the existing lock (`--update` without names).
    All,
}

impl UpdatePolicy {
    fn from_arg(update: Option<&Vec<String>>) -> Self {
        match update {
            None => UpdatePolicy::KeepLocked,
            Some(names) if names.is_empty() => UpdatePolicy::All,
            Some(names) => UpdatePolicy::Packages(names.clone()),
        }
    }

    /// Whether a package of that name may move.
    fn may_move(&self, name: &str) -> bool {
        match self {
            UpdatePolicy::All => true,
            UpdatePolicy::KeepLocked => false,
            UpdatePolicy::Packages(names) => names
                .iter()
                .any(|n| normalize_name(n) == normalize_name(name)),
        }
    }

    /// The PyPI versions of `lock` the pip resolver should prefer on `platform`.
    pub fn preferred_pypi(
        &self,
        lock: Option<&ReadLock>,
        platform: Subdir,
    ) -> Vec<(pep508_rs::PackageName, pep440_rs::Version)> {
        let Some(lock) = lock else { return Vec::new() };
        lock.pypi_packages(platform)
            .iter()
            .filter(|package| !self.may_move(package.name().as_ref()))
            .filter_map(|package| Some((package.name().clone(), package.version()?.clone())))
            .collect()
    }

    /// The records of `lock` the solver should prefer on `platform`.
    pub fn preferred(
        &self,
        lock: Option<&ReadLock>,
        platform: Subdir,
    ) -> Vec<rattler_conda_types::RepoDataRecord> {
        let Some(lock) = lock else { return Vec::new() };
        match self {
            UpdatePolicy::All => Vec::new(),
            UpdatePolicy::KeepLocked => lock.records(platform),
            UpdatePolicy::Packages(_) => lock
                .records(platform)
                .into_iter()
                .filter(|record| !self.may_move(record.package_record.name.as_normalized()))
                .collect(),
        }
    }
}

/// The paths of the lock and its explicit files.
#[derive(Debug, Clone)]
pub struct LockPaths {
    /// The lock file.
    pub lock: PathBuf,
    stem: String,
}

impl LockPaths {
    /// The lock path for `env_file`: `--lockfile`, else `locks/<stem>.lock`.
    pub fn new(env_file: &Path, lockfile: Option<&Path>) -> Self {
        let env_stem = env_file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "environment".into());
        let lock = lockfile
            .map(Path::to_path_buf)
            .unwrap_or_else(|| Path::new("locks").join(format!("{env_stem}.lock")));
        let stem = lock
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or(env_stem);
        Self { lock, stem }
    }

    /// The explicit file of `platform`: `<lock dir>/<stem>.<platform>.txt`.
    pub fn explicit(&self, platform: Subdir) -> PathBuf {
        let directory = self.lock.parent().unwrap_or(Path::new(""));
        directory.join(format!("{}.{platform}.txt", self.stem))
    }
}

/// Runs `envlock solve`.
pub async fn execute(args: Args, printer: Printer) -> CommandResult {
    let mode = if args.check { Mode::Check } else { Mode::Write };
    let env = EnvironmentFile::from_path(&args.file)
        .map_err(|e| CommandError::new(ExitClass::Input, e))?;
    let options = PlanOptions {
        platforms: args.platforms.clone(),
        mirrors: crate::channels::mirrors_or_env(&args.mirrors)
            .map_err(|e| CommandError::new(ExitClass::Input, e))?,
        virtual_packages: args.virtual_packages.clone(),
        ignore_pip: args.ignore_pip,
    };
    let plan = SolvePlan::new(&env, &options).map_err(plan_error)?;
    if args.ignore_pip && plan.inputs.values().any(|i| !i.pip.is_empty()) {
        printer.warn(format!(
            "--ignore-pip: the {} pip requirement(s) of {} are not locked; the lock records this",
            env.pip.len(),
            args.file.display()
        ));
    }
    let paths = LockPaths::new(&args.file, args.lockfile.as_deref());

    match mode {
        Mode::Check => check(&plan, &paths, &args, printer),
        Mode::Write => write(&env, &plan, &paths, &args, printer).await,
    }
}

fn plan_error(error: PlanError) -> CommandError {
    CommandError::new(ExitClass::Input, error)
}

fn check(plan: &SolvePlan, paths: &LockPaths, args: &Args, printer: Printer) -> CommandResult {
    let mut reasons = if paths.lock.is_file() {
        let read = ReadLock::from_path(&paths.lock).map_err(CommandError::classified)?;
        freshness::compare(&read.header, &plan.inputs)
    } else {
        vec![Staleness::Missing]
    };
    if !reasons.contains(&Staleness::Missing) {
        freshness::check_explicit_files(
            plan.platforms.iter().copied(),
            |p| paths.explicit(p),
            &mut reasons,
        );
    }
    let report = CheckReport {
        lockfile: paths.lock.display().to_string(),
        up_to_date: reasons.is_empty(),
        reasons: reasons.iter().map(ToString::to_string).collect(),
    };
    if args.format == OutputFormat::Json {
        printer.machine(serde_json::to_string_pretty(&report).unwrap_or_default());
    }
    if reasons.is_empty() {
        printer.status(format!("{} is up to date", paths.lock.display()));
        return Ok(ExitClass::Success);
    }
    printer.status(format!("{} is out of date:", paths.lock.display()));
    for reason in &reasons {
        printer.status(format!("  {reason}"));
    }
    printer.status("run the same `envlock solve` command without --check to update it");
    Ok(ExitClass::LockOutdated)
}

/// The locked PyPI versions a new pip resolution should keep.
struct PipPreferences<'a> {
    policy: &'a UpdatePolicy,
    lock: Option<&'a ReadLock>,
}

/// Locks the pip section of every platform whose pip mode is `Locked`.
async fn lock_pip_sections(
    env: &EnvironmentFile,
    plan: &SolvePlan,
    solutions: &[PlatformSolution],
    cache_dir: &Path,
    preferences: &PipPreferences<'_>,
    reporter: &dyn crate::reporter::Reporter,
) -> Result<Vec<PipSolution>, CommandError> {
    let mut locked = Vec::new();
    for solution in solutions {
        if plan.inputs[&solution.platform].pip_mode != PipMode::Locked {
            continue;
        }
        let virtual_packages = plan.virtual_packages.get(solution.platform);
        let request = PipRequest {
            env,
            platform: solution.platform,
            records: &solution.records,
            virtual_packages: &virtual_packages,
            cache_dir,
            preferred: preferences
                .policy
                .preferred_pypi(preferences.lock, solution.platform),
        };
        reporter.on_step_start(&format!(
            "resolving the pip section for {}",
            solution.platform
        ));
        let result = lock_pip(&request).await;
        reporter.on_step_finish();
        if let Some(pip) = result.map_err(CommandError::classified)? {
            locked.push(pip);
        }
    }
    Ok(locked)
}

async fn write(
    env: &EnvironmentFile,
    plan: &SolvePlan,
    paths: &LockPaths,
    args: &Args,
    printer: Printer,
) -> CommandResult {
    let cache_dir = args.cache_dir.clone().unwrap_or_else(default_cache_dir);
    let gateway = solve::build_gateway(&cache_dir).map_err(CommandError::classified)?;
    let reporter = crate::reporter::for_printer(&printer);
    let existing = read_existing_lock(&paths.lock, &args.file)
        .map_err(|e| CommandError::new(ExitClass::Input, e))?;
    let policy = UpdatePolicy::from_arg(args.update.as_ref());
    if let (UpdatePolicy::Packages(names), Some(lock)) = (&policy, &existing) {
        check_update_names(names, lock, &plan.platforms, &paths.lock)?;
    }
    let requests = plan.requests(|platform| policy.preferred(existing.as_ref(), platform));
    let solutions = solve::solve_platforms(
        &gateway,
        &plan.channels,
        &plan.virtual_packages,
        &requests,
        reporter.as_ref(),
    )
    .await
    .map_err(CommandError::classified)?;

    let pip_preferences = PipPreferences {
        policy: &policy,
        lock: existing.as_ref(),
    };
    let pip = lock_pip_sections(
        env,
        plan,
        &solutions,
        &cache_dir,
        &pip_preferences,
        reporter.as_ref(),
    )
    .await?;
    let contents = LockContents {
        channels: &plan.channels,
        solutions: &solutions,
        virtual_packages: &plan.virtual_packages,
        inputs: &plan.inputs,
        pip: &pip,
    };
    let rendered = lock::render(&contents).map_err(CommandError::classified)?;
    let lock_name = paths
        .lock
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut files = vec![(paths.lock.clone(), rendered)];
    for solution in &solutions {
        let text = lock::explicit::render(solution.platform, &solution.records, &lock_name);
        files.push((paths.explicit(solution.platform), text));
    }
    for (path, text) in &files {
        lock::write_atomically(path, text).map_err(CommandError::classified)?;
    }
    remove_stale_explicit_files(paths, &solutions);

    let summary = summarize(plan, &solutions, &pip, paths);
    print_summary(&summary, printer, args.format);
    Ok(ExitClass::Success)
}

/// `--update NAME` for a name the lock does not have.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("--update {name}: {} has no conda or PyPI package named {name}", lock.display())]
#[diagnostic(help(
    "check the spelling; `envlock solve --update` without names updates everything"
))]
pub struct UnknownUpdateName {
    /// The name given.
    pub name: String,
    /// The lock.
    pub lock: PathBuf,
}

/// Normalises a package name for comparison (PEP 503 style: lowercase, `-`).
fn normalize_name(name: &str) -> String {
    name.to_lowercase().replace(['_', '.'], "-")
}

fn check_update_names(
    names: &[String],
    lock: &ReadLock,
    platforms: &[Subdir],
    path: &Path,
) -> Result<(), CommandError> {
    for name in names {
        let wanted = normalize_name(name);
        let known = platforms.iter().any(|p| {
            lock.records(*p)
                .iter()
                .any(|r| normalize_name(r.package_record.name.as_normalized()) == wanted)
                || lock
                    .pypi_packages(*p)
                    .iter()
                    .any(|w| normalize_name(w.name().as_ref()) == wanted)
        });
        if !known {
            let error = UnknownUpdateName {
                name: name.clone(),
                lock: path.to_path_buf(),
            };
            return Err(CommandError::new(ExitClass::Input, error));
        }
    }
    Ok(())
}

/// A `--lockfile` path that holds something other than a lock.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{} exists and is not a lock file ({reason}); envlock will not overwrite it", path.display())]
#[diagnostic(help("remove the file or choose another --lockfile"))]
pub struct NotALock {
    /// The path.
    pub path: PathBuf,
    /// Why it is not taken for a lock.
    pub reason: String,
}

/// Reads the lock a new solve should stay close to. A path that holds
/// something else (the environment file, a lock that does not parse) is an
/// error, so `solve` never overwrites a file it did not write.
fn read_existing_lock(path: &Path, env_file: &Path) -> Result<Option<ReadLock>, NotALock> {
    let same_as_env = match (std::fs::canonicalize(path), std::fs::canonicalize(env_file)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same_as_env {
        return Err(NotALock {
            path: path.to_path_buf(),
            reason: "it is the environment file".to_string(),
        });
    }
    if !path.exists() {
        return Ok(None);
    }
    ReadLock::from_path(path)
        .map(Some)
        .map_err(|error| NotALock {
            path: path.to_path_buf(),
            reason: error.to_string(),
        })
}

/// Removes the explicit files of platforms that the new lock no longer has,
/// so `locks/` never holds an explicit file that disagrees with the lock.
fn remove_stale_explicit_files(paths: &LockPaths, solutions: &[PlatformSolution]) {
    for platform in Subdir::all() {
        if solutions.iter().any(|s| s.platform == platform) {
            continue;
        }
        let stale = paths.explicit(platform);
        if stale.is_file() {
            match std::fs::remove_file(&stale) {
                Ok(()) => {
                    tracing::info!(path = %stale.display(), "removed the explicit file of a platform that is no longer locked")
                }
                Err(error) => {
                    tracing::warn!(path = %stale.display(), %error, "failed to remove a stale explicit file")
                }
            }
        }
    }
}

/// The machine summary of a solve.
#[derive(Debug, Serialize)]
struct SolveSummary {
    lockfile: String,
    platforms: BTreeMap<String, PlatformSummary>,
}

#[derive(Debug, Serialize)]
struct PlatformSummary {
    packages: usize,
    download_bytes: u64,
    explicit_file: String,
    virtual_packages: Vec<String>,
    content_hash: String,
    pip: String,
    pypi_packages: usize,
    pypi_from_conda: Vec<String>,
}

#[derive(Debug, Serialize)]
struct CheckReport {
    lockfile: String,
    up_to_date: bool,
    reasons: Vec<String>,
}

fn summarize(
    plan: &SolvePlan,
    solutions: &[PlatformSolution],
    pip: &[PipSolution],
    paths: &LockPaths,
) -> SolveSummary {
    let mut platforms = BTreeMap::new();
    for solution in solutions {
        let inputs = &plan.inputs[&solution.platform];
        let wheels = pip.iter().find(|p| p.platform == solution.platform);
        platforms.insert(
            solution.platform.to_string(),
            PlatformSummary {
                packages: solution.records.len(),
                download_bytes: solution
                    .records
                    .iter()
                    .filter_map(|r| r.package_record.size)
                    .sum(),
                explicit_file: paths.explicit(solution.platform).display().to_string(),
                virtual_packages: plan.virtual_packages.lock_strings(solution.platform),
                content_hash: inputs.content_hash(),
                pip: inputs.pip_mode.as_str().to_string(),
                pypi_packages: wheels.map(|w| w.wheels.len()).unwrap_or(0),
                pypi_from_conda: wheels.map(|w| w.from_conda.clone()).unwrap_or_default(),
            },
        );
    }
    SolveSummary {
        lockfile: paths.lock.display().to_string(),
        platforms,
    }
}

fn print_summary(summary: &SolveSummary, printer: Printer, format: OutputFormat) {
    printer.status(format!("wrote {}", summary.lockfile));
    for (platform, item) in &summary.platforms {
        printer.status(format!(
            "  {platform}: {} conda packages, {} PyPI packages, {} to download, virtual packages {}",
            item.packages,
            item.pypi_packages,
            human_bytes(item.download_bytes),
            item.virtual_packages.join(" ")
        ));
        if !item.pypi_from_conda.is_empty() {
            printer.status(format!(
                "    provided by conda, not installed from PyPI: {}",
                item.pypi_from_conda.join(", ")
            ));
        }
    }
    if format == OutputFormat::Json {
        printer.machine(serde_json::to_string_pretty(summary).unwrap_or_default());
    }
}

/// Formats a byte count with a binary unit, e.g. `12.3 MiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

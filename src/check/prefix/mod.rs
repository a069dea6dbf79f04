//! `envlock check --prefix`: content rules on an installed environment, and
//! whether it can run without conda activation.

mod activation;
mod executables;
mod meta;
mod nwchemrc;
mod paths;
pub mod pypi;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rattler_conda_types::{PackageName, Subdir};
use serde::Serialize;

use super::rules::{ContentRule, PrefixInfo, RuleLevel, RuleResult, RuleStatus};
use crate::exit_code::{Classify, ExitClass};

pub use activation::{parse_exports, ACTIVATION_SCRIPT};
pub use executables::{classify, expected_machine, FileKind, EM_AARCH64, EM_X86_64};
pub use meta::{read_installed, InstalledPackage};
pub use nwchemrc::NWCHEMRC;
pub use paths::RuntimePaths;

/// The packages whose `bin/` entry points must be runnable.
pub const ENTRY_POINT_PACKAGES: [&str; 4] = ["nwchem", "xtb", "crest", "rdkit"];

/// A failure that stops the prefix check before it has a result.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PrefixError {
    /// The directory has no `conda-meta/`.
    #[error("{path} is not a conda environment: it has no conda-meta directory")]
    #[diagnostic(help("pass the directory that `envlock install` wrote to"))]
    NotAPrefix {
        /// The directory.
        path: PathBuf,
    },
    /// A file could not be read.
    #[error("failed to read {path}: {source}")]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A record is not valid JSON or lacks name, version or build.
    #[error("invalid package record {path}: {message}")]
    InvalidRecord {
        /// The record file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// The records do not say which platform the prefix is for.
    #[error("cannot tell the platform of {path}: {found}")]
    #[diagnostic(help("pass --platform linux-64 or --platform linux-aarch64"))]
    Platform {
        /// The prefix.
        path: PathBuf,
        /// The subdirs the records name, or their absence.
        found: String,
    },
}

impl Classify for PrefixError {
    fn exit_class(&self) -> ExitClass {
        ExitClass::Input
    }
}

/// The outcome of one prefix check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// Met.
    Passed,
    /// Not met; fails the check.
    Failed,
    /// Not met, but does not fail the check.
    Warning,
    /// Not checked, with the reason in the detail.
    Skipped,
}

/// One named check of an installed prefix.
#[derive(Debug, Clone, Serialize)]
pub struct PrefixCheck {
    /// The checked item, such as `etc/default.nwchemrc nwchem_basis_library`.
    pub check: String,
    /// The outcome.
    pub status: CheckStatus,
    /// The finding, in one sentence.
    pub detail: String,
}

impl PrefixCheck {
    /// Creates a check result.
    pub fn new(check: impl Into<String>, status: CheckStatus, detail: impl Into<String>) -> Self {
        Self {
            check: check.into(),
            status,
            detail: detail.into(),
        }
    }
}

/// Content rules applied to one installed package.
#[derive(Debug, Clone, Serialize)]
pub struct InstalledContent {
    /// `name-version-build`.
    pub package: String,
    /// The result of every rule for the package.
    pub rules: Vec<RuleResult>,
}

/// The result of `envlock check --prefix`.
#[derive(Debug, Clone, Serialize)]
pub struct PrefixReport {
    /// The checked directory.
    pub prefix: String,
    /// The path the environment runs at.
    pub runtime_prefix: String,
    /// The platform the prefix is for.
    pub platform: String,
    /// The number of installed packages.
    pub packages: usize,
    /// The PyPI distributions in the prefix's site-packages.
    pub pypi: Vec<pypi::InstalledDistribution>,
    /// The rules file, if one was read.
    pub rules_file: Option<String>,
    /// Content rules per installed package.
    pub content: Vec<InstalledContent>,
    /// Run-time checks.
    pub checks: Vec<PrefixCheck>,
    /// Failures: each one makes the check fail.
    pub problems: Vec<String>,
    /// Findings that do not fail the check.
    pub warnings: Vec<String>,
    /// Skipped items and other facts.
    pub notes: Vec<String>,
    /// Whether the check passed.
    pub passed: bool,
}

/// Options of the prefix check.
#[derive(Debug, Clone)]
pub struct PrefixCheckOptions {
    /// The installed environment.
    pub directory: PathBuf,
    /// The platform; `None` takes it from the records' subdir.
    pub platform: Option<Subdir>,
    /// The path the environment runs at, when it differs from `directory`.
    pub target_prefix: Option<PathBuf>,
}

/// Checks an installed environment.
pub fn check_prefix(
    options: &PrefixCheckOptions,
    rules: &[ContentRule],
    rules_file: Option<&Path>,
) -> Result<PrefixReport, PrefixError> {
    let directory =
        std::path::absolute(&options.directory).unwrap_or_else(|_| options.directory.clone());
    let packages = read_installed(&directory)?;
    let platform = match options.platform {
        Some(platform) => platform,
        None => infer_platform(&directory, &packages)?,
    };

    let script = directory.join(ACTIVATION_SCRIPT);
    let exports = match std::fs::read_to_string(&script) {
        Ok(text) => Some(parse_exports(&text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(PrefixError::Read {
                path: script,
                source,
            })
        }
    };
    let runtime = options
        .target_prefix
        .clone()
        .or_else(|| {
            exports
                .as_ref()
                .and_then(|e| e.get("CONDA_PREFIX"))
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| directory.clone());
    let paths = RuntimePaths {
        directory: directory.clone(),
        runtime,
    };

    let mut report = PrefixReport {
        prefix: directory.display().to_string(),
        runtime_prefix: paths.runtime.display().to_string(),
        platform: platform.to_string(),
        packages: packages.len(),
        pypi: pypi::installed_distributions(&directory),
        rules_file: rules_file.map(|p| p.display().to_string()),
        content: Vec::new(),
        checks: Vec::new(),
        problems: Vec::new(),
        warnings: Vec::new(),
        notes: Vec::new(),
        passed: false,
    };
    apply_rules(&packages, rules, &paths, &mut report);

    let installed = |name: &str| packages.iter().any(|p| p.name == name);
    if installed("nwchem") {
        report.checks.extend(nwchemrc::check(&paths));
    }
    match &exports {
        Some(exports) => {
            let context = activation::ActivationContext {
                paths: &paths,
                has_nwchem: installed("nwchem"),
                has_xtb: installed("xtb"),
            };
            report.checks.extend(activation::check(exports, &context));
        }
        None => report.checks.push(PrefixCheck::new(
            ACTIVATION_SCRIPT,
            CheckStatus::Skipped,
            format!("skipped: no {ACTIVATION_SCRIPT}"),
        )),
    }
    report
        .checks
        .extend(entry_points(&packages, platform, &paths));
    for distribution in &report.pypi {
        if !distribution.missing_files.is_empty() {
            report.problems.push(format!(
                "PyPI package {} {}: {} file(s) in its RECORD are missing, e.g. {}",
                distribution.name,
                distribution.version,
                distribution.missing_files.len(),
                distribution.missing_files[0]
            ));
        }
    }

    summarize(&mut report);
    Ok(report)
}

/// Returns the single non-noarch subdir of the records.
fn infer_platform(directory: &Path, packages: &[InstalledPackage]) -> Result<Subdir, PrefixError> {
    let subdirs: BTreeSet<&str> = packages
        .iter()
        .filter_map(|p| p.subdir.as_deref())
        .filter(|s| *s != "noarch")
        .collect();
    let error = |found: String| PrefixError::Platform {
        path: directory.to_path_buf(),
        found,
    };
    match subdirs.len() {
        0 => Err(error("no record names a platform subdir".to_string())),
        1 => {
            let subdir = subdirs.iter().next().copied().unwrap_or_default();
            subdir
                .parse()
                .map_err(|_| error(format!("unknown subdir '{subdir}'")))
        }
        _ => Err(error(format!(
            "records name several subdirs: {}",
            subdirs.into_iter().collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// Applies the content rules to installed packages, and checks that text
/// prefix files no longer contain their build prefix.
fn apply_rules(
    packages: &[InstalledPackage],
    rules: &[ContentRule],
    paths: &RuntimePaths,
    report: &mut PrefixReport,
) {
    let mut names: Vec<&PackageName> = rules.iter().map(|r| &r.package).collect();
    names.sort();
    names.dedup();
    for name in names {
        let Some(package) = packages.iter().find(|p| p.name == name.as_normalized()) else {
            report.notes.push(format!(
                "{} is not installed; its content rules were not applied",
                name.as_normalized()
            ));
            continue;
        };
        let files = package.file_list(&paths.directory);
        let package_rules: Vec<&ContentRule> =
            rules.iter().filter(|r| &r.package == name).collect();
        let results = package_rules
            .iter()
            .map(|rule| rule.evaluate(&files))
            .collect();
        report.content.push(InstalledContent {
            package: package.dist_name(),
            rules: results,
        });

        for rule in package_rules.iter().filter(|r| r.text_prefix) {
            for file in files
                .files
                .iter()
                .filter(|f| f.present && rule.matches(&f.path))
            {
                if let PrefixInfo::Text { placeholder } = &file.prefix {
                    report
                        .checks
                        .push(replaced_check(&paths.directory, &file.path, placeholder));
                }
            }
        }
    }
}

/// A text prefix file must not contain its placeholder after installation.
fn replaced_check(directory: &Path, relative: &str, placeholder: &str) -> PrefixCheck {
    let name = format!("{relative} prefix replacement");
    match std::fs::read(directory.join(relative)) {
        Ok(bytes)
            if bytes
                .windows(placeholder.len())
                .any(|w| w == placeholder.as_bytes()) =>
        {
            PrefixCheck::new(
                name,
                CheckStatus::Failed,
                format!("{relative} still contains the build prefix {placeholder}"),
            )
        }
        Ok(_) => PrefixCheck::new(
            name,
            CheckStatus::Passed,
            format!("{relative} no longer contains the build prefix"),
        ),
        Err(error) => PrefixCheck::new(
            name,
            CheckStatus::Failed,
            format!("{relative} cannot be read: {error}"),
        ),
    }
}

/// One check per `bin/` entry point of the entry-point packages.
fn entry_points(
    packages: &[InstalledPackage],
    platform: Subdir,
    paths: &RuntimePaths,
) -> Vec<PrefixCheck> {
    let mut checks = Vec::new();
    for package in packages
        .iter()
        .filter(|p| ENTRY_POINT_PACKAGES.contains(&p.name.as_str()))
    {
        for relative in package.paths() {
            let Some(file_name) = relative.strip_prefix("bin/") else {
                continue;
            };
            // Hidden files such as nwchem's `.nwchem-post-link.sh` are not entry points.
            if file_name.contains('/') || file_name.starts_with('.') {
                continue;
            }
            let name = format!("{relative} ({})", package.name);
            let check = match executables::check_entry_point(
                &paths.directory.join(relative),
                platform,
                paths,
            ) {
                Ok(detail) => PrefixCheck::new(name, CheckStatus::Passed, detail),
                Err(reason) => {
                    PrefixCheck::new(name, CheckStatus::Failed, format!("{relative} {reason}"))
                }
            };
            checks.push(check);
        }
    }
    checks
}

fn summarize(report: &mut PrefixReport) {
    for content in &report.content {
        for result in &content.rules {
            let message = format!(
                "{}: rule {} failed: {} (why: {})",
                content.package, result.rule, result.detail, result.reason
            );
            match (result.status, result.level) {
                (RuleStatus::Failed, RuleLevel::Error) => report.problems.push(message),
                (RuleStatus::Failed, RuleLevel::Warning) => report.warnings.push(message),
                (RuleStatus::Unknown, _) => report.notes.push(format!(
                    "{}: rule {} not verified: {}",
                    content.package, result.rule, result.detail
                )),
                (RuleStatus::Passed, _) => {}
            }
        }
    }
    for check in &report.checks {
        let message = format!("{}: {}", check.check, check.detail);
        match check.status {
            CheckStatus::Failed => report.problems.push(message),
            CheckStatus::Warning => report.warnings.push(message),
            CheckStatus::Skipped => report.notes.push(check.detail.clone()),
            CheckStatus::Passed => {}
        }
    }
    report.passed = report.problems.is_empty();
}

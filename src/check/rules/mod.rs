//! Content rules: which files a package must ship, and their evaluation
//! against the file list of one package build.
//!
//! A rule names a package, a path glob relative to the prefix, the minimum
//! number of files that must match, and whether every match must be a text
//! prefix-replacement file. envlock has built-in rules for nwchem and xtb
//! ([`builtin_rules`]); users add or replace rules in `envlock.toml`
//! ([`RuleConfig`]).

mod builtin;
mod config;
mod files;

use std::path::PathBuf;

use rattler_conda_types::PackageName;
use serde::{Deserialize, Serialize};

pub use builtin::builtin_rules;
pub use config::{RuleConfig, RuleConfigError, RULES_FILE_NAME};
pub use files::{FileList, ListedFile, PrefixInfo};

/// Glob options for rule paths: `*` and `?` stop at `/`, `**` spans
/// directories, and names starting with a dot match like any other name.
const MATCH_OPTIONS: glob::MatchOptions = glob::MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

/// The effect of an unmet rule on the outcome of `envlock check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleLevel {
    /// An unmet rule fails the check (exit code 6).
    #[default]
    Error,
    /// An unmet rule is reported as a warning only.
    Warning,
}

/// The place a rule was defined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum RuleOrigin {
    /// envlock's built-in table.
    Builtin,
    /// A `[[rule]]` table of a rules file.
    File {
        /// The rules file.
        path: PathBuf,
        /// The 1-based line of the `[[rule]]` table.
        line: usize,
    },
}

/// One content rule.
#[derive(Debug, Clone)]
pub struct ContentRule {
    /// A unique name, such as `nwchem-basis-library`.
    pub id: String,
    /// The package whose files the rule checks.
    pub package: PackageName,
    /// The path glob as written, relative to the prefix (`share/nwchem/libraries/**`).
    pub path: String,
    pattern: glob::Pattern,
    /// The minimum number of files that must match [`Self::path`].
    pub min_count: usize,
    /// Whether every matching file must be a text prefix-replacement file.
    pub text_prefix: bool,
    /// Whether an unmet rule fails the check or only warns.
    pub level: RuleLevel,
    /// The reason the files are needed; shown with every failure.
    pub reason: String,
    /// The place the rule was defined.
    pub origin: RuleOrigin,
}

impl ContentRule {
    /// Creates an error-level built-in rule that requires at least one file
    /// matching `path`.
    pub fn new(
        id: impl Into<String>,
        package: PackageName,
        path: impl Into<String>,
        reason: impl Into<String>,
    ) -> Result<Self, glob::PatternError> {
        let path = path.into();
        let pattern = glob::Pattern::new(&path)?;
        Ok(Self {
            id: id.into(),
            package,
            path,
            pattern,
            min_count: 1,
            text_prefix: false,
            level: RuleLevel::Error,
            reason: reason.into(),
            origin: RuleOrigin::Builtin,
        })
    }

    /// Sets the minimum number of matching files.
    pub fn with_min_count(mut self, min_count: usize) -> Self {
        self.min_count = min_count;
        self
    }

    /// Sets whether every matching file must be a text prefix-replacement file.
    pub fn with_text_prefix(mut self, text_prefix: bool) -> Self {
        self.text_prefix = text_prefix;
        self
    }

    /// Sets the level.
    pub fn with_level(mut self, level: RuleLevel) -> Self {
        self.level = level;
        self
    }

    /// Sets where the rule was defined.
    pub fn with_origin(mut self, origin: RuleOrigin) -> Self {
        self.origin = origin;
        self
    }

    /// Returns whether `path` (relative to the prefix, `/`-separated) matches the rule's glob.
    pub fn matches(&self, path: &str) -> bool {
        self.pattern.matches_with(path, MATCH_OPTIONS)
    }

    /// Applies the rule to the file list of one package build.
    pub fn evaluate(&self, files: &FileList) -> RuleResult {
        let matched: Vec<&ListedFile> = files
            .files
            .iter()
            .filter(|f| self.matches(&f.path))
            .collect();
        let present: Vec<&ListedFile> = matched.iter().copied().filter(|f| f.present).collect();
        let count = present.len();

        let (status, detail) = if count < self.min_count {
            (
                RuleStatus::Failed,
                self.count_shortfall(matched.len(), count),
            )
        } else if self.text_prefix {
            self.prefix_status(&present)
        } else {
            (
                RuleStatus::Passed,
                format!("{count} file(s) match {}", self.path),
            )
        };
        RuleResult {
            rule: self.id.clone(),
            package: self.package.as_normalized().to_string(),
            path: self.path.clone(),
            level: self.level,
            status,
            matched: count,
            detail,
            reason: self.reason.clone(),
        }
    }

    fn count_shortfall(&self, listed: usize, present: usize) -> String {
        let need = self.min_count;
        if listed > present {
            format!(
                "{present} of {listed} listed file(s) matching {} are present, at least {need} required",
                self.path
            )
        } else {
            format!(
                "{present} file(s) match {}, at least {need} required",
                self.path
            )
        }
    }

    /// Checks that every present match is a text prefix-replacement file.
    fn prefix_status(&self, present: &[&ListedFile]) -> (RuleStatus, String) {
        let mut unknown = Vec::new();
        for file in present {
            match &file.prefix {
                PrefixInfo::Text { .. } => {}
                PrefixInfo::Binary { .. } => {
                    let detail = format!(
                        "{} is a binary prefix file, not a text prefix-replacement file",
                        file.path
                    );
                    return (RuleStatus::Failed, detail);
                }
                PrefixInfo::None => {
                    let detail = format!(
                        "{} has no prefix placeholder, so installation leaves its build-time paths in place",
                        file.path
                    );
                    return (RuleStatus::Failed, detail);
                }
                PrefixInfo::Unknown => unknown.push(file.path.as_str()),
            }
        }
        if unknown.is_empty() {
            let detail = format!(
                "{} file(s) match {}, all text prefix-replacement files",
                present.len(),
                self.path
            );
            (RuleStatus::Passed, detail)
        } else {
            let detail = format!(
                "{} present, but the file list does not record prefix placeholders, so text prefix replacement cannot be verified",
                unknown.join(", ")
            );
            (RuleStatus::Unknown, detail)
        }
    }
}

/// The outcome of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleStatus {
    /// The rule is met.
    Passed,
    /// The rule is not met.
    Failed,
    /// The file list lacks the information the rule needs.
    Unknown,
}

/// The result of applying one rule to one package build.
#[derive(Debug, Clone, Serialize)]
pub struct RuleResult {
    /// The rule id.
    pub rule: String,
    /// The package name.
    pub package: String,
    /// The rule's path glob.
    pub path: String,
    /// The rule's level.
    pub level: RuleLevel,
    /// The outcome.
    pub status: RuleStatus,
    /// The number of present files that match the glob.
    pub matched: usize,
    /// The finding, in one sentence.
    pub detail: String,
    /// The reason for the rule.
    pub reason: String,
}

impl RuleResult {
    /// Returns whether this result fails the check: an error-level rule that is not met.
    pub fn is_failure(&self) -> bool {
        self.status == RuleStatus::Failed && self.level == RuleLevel::Error
    }
}

/// Combines the built-in rules with a rules file: rules the file disables
/// are dropped, and a file rule with the id of a built-in rule replaces it.
pub fn effective_rules(builtin: Vec<ContentRule>, config: Option<&RuleConfig>) -> Vec<ContentRule> {
    let Some(config) = config else { return builtin };
    let mut rules: Vec<ContentRule> = builtin
        .into_iter()
        .filter(|rule| !config.disabled.contains(&rule.id))
        .filter(|rule| !config.rules.iter().any(|own| own.id == rule.id))
        .collect();
    rules.extend(config.rules.iter().cloned());
    rules
}

/// Returns the package names that at least one rule checks, sorted and without duplicates.
pub fn rule_packages(rules: &[ContentRule]) -> Vec<PackageName> {
    let mut names: Vec<PackageName> = rules.iter().map(|r| r.package.clone()).collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(path: &str) -> ContentRule {
        ContentRule::new(
            "test",
            PackageName::new_unchecked("nwchem"),
            path,
            "because",
        )
        .unwrap()
    }

    #[test]
    fn double_star_matches_nested_and_direct_children() {
        let rule = rule("share/nwchem/libraries/**");
        assert!(rule.matches("share/nwchem/libraries/sto-3g"));
        assert!(rule.matches("share/nwchem/libraries/sub/cc-pvdz"));
        assert!(!rule.matches("share/nwchem/libraryps/TM/C"));
    }

    #[test]
    fn single_star_stays_in_one_directory() {
        let rule = rule("share/xtb/*.txt");
        assert!(rule.matches("share/xtb/param_gfn0-xtb.txt"));
        assert!(!rule.matches("share/xtb/sub/param_gfn0-xtb.txt"));
    }

    #[test]
    fn count_below_minimum_fails() {
        let files = FileList::from_paths(["share/nwchem/libraries/sto-3g"]);
        let result = rule("share/nwchem/libraries/**")
            .with_min_count(2)
            .evaluate(&files);
        assert_eq!(result.status, RuleStatus::Failed);
        assert_eq!(result.matched, 1);
    }

    #[test]
    fn absent_files_do_not_count() {
        let mut files = FileList::from_paths(["share/nwchem/libraries/sto-3g"]);
        files.files[0].present = false;
        let result = rule("share/nwchem/libraries/**").evaluate(&files);
        assert_eq!(result.status, RuleStatus::Failed);
        assert!(result.detail.contains("0 of 1 listed"), "{}", result.detail);
    }

    #[test]
    fn text_prefix_outcomes() {
        let path = "etc/default.nwchemrc";
        let cases = [
            (
                PrefixInfo::Text {
                    placeholder: "/build".into(),
                },
                RuleStatus::Passed,
            ),
            (
                PrefixInfo::Binary {
                    placeholder: "/build".into(),
                },
                RuleStatus::Failed,
            ),
            (PrefixInfo::None, RuleStatus::Failed),
            (PrefixInfo::Unknown, RuleStatus::Unknown),
        ];
        for (prefix, expected) in cases {
            let files = FileList {
                files: vec![ListedFile {
                    path: path.into(),
                    prefix: prefix.clone(),
                    present: true,
                }],
            };
            let result = rule(path).with_text_prefix(true).evaluate(&files);
            assert_eq!(result.status, expected, "{prefix:?}: {}", result.detail);
        }
    }

    #[test]
    fn warning_level_failure_is_not_a_check_failure() {
        let files = FileList::from_paths(Vec::<&str>::new());
        let result = rule("share/xtb/param_gfn1-xtb.txt")
            .with_level(RuleLevel::Warning)
            .evaluate(&files);
        assert_eq!(result.status, RuleStatus::Failed);
        assert!(!result.is_failure());
    }
}

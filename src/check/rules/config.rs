//! `envlock.toml`: user content rules next to the environment file.
//!
//! ```toml
//! # Built-in rules to switch off, by id.
//! disable = ["xtb-param-gfn1"]
//!
//! [[rule]]
//! id = "rdkit-contrib"            # optional; default "<package>:<path>"
//! package = "rdkit"
//! path = "share/RDKit/Contrib/**"  # glob relative to the prefix
//! min-count = 1                   # optional, default 1
//! text-prefix = false             # optional: every match must be a text prefix file
//! level = "error"                 # optional: "error" (default) or "warning"
//! reason = "the SA_Score model is loaded from Contrib"
//! ```
//!
//! A `[[rule]]` with the id of a built-in rule replaces it. Unknown keys are
//! errors that name the key and its line.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rattler_conda_types::PackageName;
use serde::Deserialize;
use toml::Spanned;

use super::{builtin_rules, ContentRule, RuleLevel, RuleOrigin};
use crate::exit_code::{Classify, ExitClass};

/// The name of the rules file, looked up next to the environment file.
pub const RULES_FILE_NAME: &str = "envlock.toml";

/// An invalid rules file.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum RuleConfigError {
    /// The file could not be read.
    #[error("failed to read {path}: {source}")]
    Read {
        /// The rules file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The TOML is malformed or has an unknown or missing key.
    #[error("invalid rules file {path}, line {line}: {message}")]
    #[diagnostic(help("keys of [[rule]]: id, package, path, min-count, text-prefix, level, reason; top-level keys: disable, rule"))]
    Parse {
        /// The rules file.
        path: PathBuf,
        /// The 1-based line of the error.
        line: usize,
        /// The parser's message.
        message: String,
    },
    /// A rule value is invalid.
    #[error("invalid rule in {path}, line {line}: {message}")]
    #[diagnostic(help(
        "package is a conda package name, path a glob such as share/nwchem/libraries/**"
    ))]
    InvalidRule {
        /// The rules file.
        path: PathBuf,
        /// The 1-based line of the `[[rule]]` table.
        line: usize,
        /// The problem, in one sentence.
        message: String,
    },
}

impl Classify for RuleConfigError {
    fn exit_class(&self) -> ExitClass {
        ExitClass::Input
    }
}

/// A parsed rules file.
#[derive(Debug, Clone, Default)]
pub struct RuleConfig {
    /// The file it was read from.
    pub path: PathBuf,
    /// Ids of built-in rules to drop.
    pub disabled: BTreeSet<String>,
    /// The file's own rules, in file order.
    pub rules: Vec<ContentRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    disable: Vec<Spanned<String>>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRule {
    id: Option<String>,
    package: String,
    path: String,
    #[serde(default = "default_min_count")]
    min_count: usize,
    #[serde(default)]
    text_prefix: bool,
    #[serde(default)]
    level: RuleLevel,
    reason: String,
}

fn default_min_count() -> usize {
    1
}

impl RuleConfig {
    /// Reads the rules file next to `environment_file`, or returns `None`
    /// when there is none.
    pub fn next_to(environment_file: &Path) -> Result<Option<Self>, RuleConfigError> {
        let directory = environment_file.parent().unwrap_or(Path::new(""));
        let path = directory.join(RULES_FILE_NAME);
        if !path.is_file() {
            return Ok(None);
        }
        Self::from_path(&path).map(Some)
    }

    /// Reads and validates a rules file.
    pub fn from_path(path: &Path) -> Result<Self, RuleConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| RuleConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_source(&text, path)
    }

    /// Parses rules-file text; `path` labels errors and rule origins.
    pub fn from_source(text: &str, path: &Path) -> Result<Self, RuleConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|error| RuleConfigError::Parse {
            path: path.to_path_buf(),
            line: error.span().map_or(1, |span| line_of(text, span.start)),
            message: error.message().trim().to_string(),
        })?;

        let builtin_ids: BTreeSet<String> = builtin_rules().into_iter().map(|r| r.id).collect();
        let mut disabled = BTreeSet::new();
        for id in raw.disable {
            if !builtin_ids.contains(id.get_ref()) {
                return Err(RuleConfigError::InvalidRule {
                    path: path.to_path_buf(),
                    line: line_of(text, id.span().start),
                    message: format!(
                        "disable names '{}', which is not a built-in rule (built-in rules: {})",
                        id.get_ref(),
                        builtin_ids.iter().cloned().collect::<Vec<_>>().join(", ")
                    ),
                });
            }
            disabled.insert(id.into_inner());
        }

        let mut rules: Vec<ContentRule> = Vec::new();
        for raw_rule in raw.rule {
            let line = line_of(text, raw_rule.span().start);
            let rule = build_rule(raw_rule.into_inner(), path, line)?;
            if rules.iter().any(|r| r.id == rule.id) {
                let message = format!("the id '{}' is used by an earlier rule", rule.id);
                return Err(RuleConfigError::InvalidRule {
                    path: path.to_path_buf(),
                    line,
                    message,
                });
            }
            rules.push(rule);
        }
        Ok(Self {
            path: path.to_path_buf(),
            disabled,
            rules,
        })
    }
}

fn build_rule(raw: RawRule, path: &Path, line: usize) -> Result<ContentRule, RuleConfigError> {
    let invalid = |message: String| RuleConfigError::InvalidRule {
        path: path.to_path_buf(),
        line,
        message,
    };
    let package = PackageName::try_from(raw.package.as_str())
        .map_err(|e| invalid(format!("invalid package name '{}': {e}", raw.package)))?;
    if raw.path.starts_with('/') {
        return Err(invalid(format!(
            "path '{}' must be relative to the prefix",
            raw.path
        )));
    }
    if raw.reason.trim().is_empty() {
        return Err(invalid(
            "reason is empty; say why the files are needed".to_string(),
        ));
    }
    let id = raw
        .id
        .unwrap_or_else(|| format!("{}:{}", package.as_normalized(), raw.path));
    let rule = ContentRule::new(id, package, raw.path.clone(), raw.reason.trim())
        .map_err(|e| invalid(format!("invalid path glob '{}': {e}", raw.path)))?;
    Ok(rule
        .with_min_count(raw.min_count)
        .with_text_prefix(raw.text_prefix)
        .with_level(raw.level)
        .with_origin(RuleOrigin::File {
            path: path.to_path_buf(),
            line,
        }))
}

/// Returns the 1-based line of byte offset `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RuleConfig, RuleConfigError> {
        RuleConfig::from_source(text, Path::new("envlock.toml"))
    }

    #[test]
    fn rule_with_defaults() {
        let config =
            parse("[[rule]]\npackage = \"rdkit\"\npath = \"share/RDKit/**\"\nreason = \"data\"\n")
                .unwrap();
        let rule = &config.rules[0];
        assert_eq!(rule.id, "rdkit:share/RDKit/**");
        assert_eq!(rule.min_count, 1);
        assert!(!rule.text_prefix);
        assert_eq!(rule.level, RuleLevel::Error);
        assert_eq!(
            rule.origin,
            RuleOrigin::File {
                path: PathBuf::from("envlock.toml"),
                line: 1
            }
        );
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let text = "[[rule]]\npackage = \"rdkit\"\npath = \"x\"\nreason = \"r\"\nminimum = 3\n";
        let error = parse(text).unwrap_err().to_string();
        assert!(error.contains("minimum"), "{error}");
        assert!(error.contains("line 5"), "{error}");
    }

    #[test]
    fn unknown_top_level_key_is_rejected() {
        let error = parse("rules = []\n").unwrap_err().to_string();
        assert!(error.contains("rules"), "{error}");
        assert!(error.contains("line 1"), "{error}");
    }

    #[test]
    fn missing_reason_is_rejected() {
        let error = parse("[[rule]]\npackage = \"rdkit\"\npath = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("reason"), "{error}");
    }

    #[test]
    fn disable_must_name_a_builtin_rule() {
        assert!(parse("disable = [\"xtb-param-gfn1\"]\n").is_ok());
        let error = parse("\ndisable = [\"no-such-rule\"]\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("no-such-rule"), "{error}");
        assert!(error.contains("line 2"), "{error}");
    }

    #[test]
    fn duplicate_ids_are_rejected() {
        let rule = "[[rule]]\nid = \"a\"\npackage = \"rdkit\"\npath = \"x\"\nreason = \"r\"\n";
        let error = parse(&format!("{rule}{rule}")).unwrap_err().to_string();
        assert!(error.contains("line 6"), "{error}");
    }
}

//! The packages `envlock check` requires on every target platform.

use std::str::FromStr;

use rattler_conda_types::{MatchSpec, PackageName, ParseStrictness, Subdir};
use serde::Serialize;

use crate::envfile::EnvironmentFile;

/// Packages required when neither the environment file nor `--require`
/// changes the list.
pub const DEFAULT_REQUIRED: [&str; 4] = ["nwchem", "xtb", "crest", "rdkit"];

/// An invalid `--require` value.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum RequireError {
    /// The value is not a match spec.
    #[error("invalid --require '{value}': {reason}")]
    #[diagnostic(help("write a conda match spec such as crest=3.0.2 or 'rdkit>=2025.9'"))]
    Invalid {
        /// The value as given.
        value: String,
        /// The parser's message.
        reason: String,
    },
    /// The spec does not name one exact package.
    #[error("invalid --require '{value}': the spec does not name an exact package")]
    #[diagnostic(help("globs and regular expressions are not supported in --require"))]
    InexactName {
        /// The value as given.
        value: String,
    },
}

/// One `--require SPEC` argument.
#[derive(Debug, Clone)]
pub struct RequireArg {
    /// The spec as written.
    pub text: String,
    /// The parsed spec.
    pub spec: MatchSpec,
    /// The package the spec names.
    pub package: PackageName,
}

impl FromStr for RequireArg {
    type Err = RequireError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let text = value.trim().to_string();
        let spec = MatchSpec::from_str(&text, ParseStrictness::Lenient).map_err(|e| {
            RequireError::Invalid {
                value: text.clone(),
                reason: e.to_string(),
            }
        })?;
        let package = spec
            .name
            .as_exact()
            .cloned()
            .ok_or_else(|| RequireError::InexactName {
                value: text.clone(),
            })?;
        Ok(Self {
            text,
            spec,
            package,
        })
    }
}

/// The origin of a requirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum RequirementSource {
    /// One of [`DEFAULT_REQUIRED`], not named in the environment file.
    Default,
    /// A dependency line of the environment file.
    EnvironmentFile {
        /// The 1-based line.
        line: usize,
    },
    /// A `--require` argument.
    CommandLine,
}

/// A package that must be available on one platform.
#[derive(Debug, Clone)]
pub struct Requirement {
    /// The package.
    pub package: PackageName,
    /// The spec a record must match.
    pub spec: MatchSpec,
    /// The spec as written (`crest=3.0.2`), or the bare name.
    pub text: String,
    /// The origin.
    pub source: RequirementSource,
}

impl Requirement {
    /// Formats the requirement for messages: the name, then the constraint
    /// as written (`crest 3.0.2`, `rdkit >=2025.9`), or the name alone.
    pub fn display(&self) -> String {
        let name = self.package.as_normalized();
        let without_channel = self.text.rsplit("::").next().unwrap_or(&self.text);
        let constraint = without_channel
            .trim()
            .strip_prefix(name)
            .map(|rest| rest.trim_start_matches(['=', ' ']).trim())
            .unwrap_or("");
        if constraint.is_empty() {
            name.to_string()
        } else {
            format!("{name} {constraint}")
        }
    }
}

/// Returns the requirements on `platform`, and notes on defaults that do
/// not apply. With `with_defaults` false, only the `--require` arguments
/// are required.
///
/// Each default package takes its spec from the environment file when a
/// dependency line for it applies on `platform`. A default package whose
/// every line in the file is excluded on `platform` by a selector is not
/// required there. `--require` arguments replace the requirement for the same
/// package or add one.
pub fn requirements_for(
    env: &EnvironmentFile,
    platform: Subdir,
    require: &[RequireArg],
    with_defaults: bool,
) -> (Vec<Requirement>, Vec<String>) {
    let applicable = env.conda_specs_for(platform);
    let mut requirements = Vec::new();
    let mut notes = Vec::new();

    let defaults: &[&str] = if with_defaults {
        &DEFAULT_REQUIRED
    } else {
        &[]
    };
    for &name in defaults {
        let package = PackageName::new_unchecked(name);
        let in_file = |spec: &MatchSpec| spec.name.as_exact() == Some(&package);
        if let Some(dependency) = applicable.iter().find(|d| in_file(&d.spec)) {
            requirements.push(Requirement {
                package: package.clone(),
                spec: dependency.spec.clone(),
                text: dependency.text.clone(),
                source: RequirementSource::EnvironmentFile {
                    line: dependency.line,
                },
            });
        } else if let Some(excluded) = env.dependencies.iter().find(|d| in_file(&d.spec)) {
            notes.push(format!(
                "{name} is not required on {platform}: line {} of {} excludes it there with a selector",
                excluded.line,
                env.path.display()
            ));
        } else {
            requirements.push(Requirement {
                package: package.clone(),
                spec: MatchSpec::from(package.clone()),
                text: name.to_string(),
                source: RequirementSource::Default,
            });
        }
    }

    for argument in require {
        let requirement = Requirement {
            package: argument.package.clone(),
            spec: argument.spec.clone(),
            text: argument.text.clone(),
            source: RequirementSource::CommandLine,
        };
        match requirements
            .iter_mut()
            .find(|r| r.package == argument.package)
        {
            Some(existing) => *existing = requirement,
            None => requirements.push(requirement),
        }
    }
    (requirements, notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn env(text: &str) -> EnvironmentFile {
        EnvironmentFile::from_source(text, Path::new("env.yaml")).unwrap()
    }

    #[test]
    fn specs_come_from_the_file() {
        let env = env("channels: [conda-forge]\ndependencies:\n  - nwchem=7.3.1\n  - xtb\n");
        let (requirements, notes) = requirements_for(&env, Subdir::Linux64, &[], true);
        assert!(notes.is_empty());
        let names: Vec<&str> = requirements
            .iter()
            .map(|r| r.package.as_normalized())
            .collect();
        assert_eq!(names, ["nwchem", "xtb", "crest", "rdkit"]);
        assert_eq!(requirements[0].text, "nwchem=7.3.1");
        assert_eq!(
            requirements[0].source,
            RequirementSource::EnvironmentFile { line: 3 }
        );
        assert_eq!(requirements[2].source, RequirementSource::Default);
    }

    #[test]
    fn require_replaces_and_adds() {
        let env = env("dependencies:\n  - crest\n");
        let require = [
            "crest=3.0.2".parse().unwrap(),
            "python=3.9".parse().unwrap(),
        ];
        let (requirements, _) = requirements_for(&env, Subdir::Linux64, &require, true);
        let crest = requirements
            .iter()
            .find(|r| r.package.as_normalized() == "crest")
            .unwrap();
        assert_eq!(crest.source, RequirementSource::CommandLine);
        assert_eq!(crest.display(), "crest 3.0.2");
        assert_eq!(requirements.len(), 5);
    }

    #[test]
    fn selector_excludes_a_default() {
        let env = env("dependencies:\n  - crest  # [not aarch64]\n");
        let (requirements, notes) = requirements_for(&env, Subdir::LinuxAarch64, &[], true);
        assert!(!requirements
            .iter()
            .any(|r| r.package.as_normalized() == "crest"));
        assert!(notes[0].contains("crest"), "{notes:?}");
    }

    #[test]
    fn display_keeps_the_constraint_as_written() {
        let require: RequireArg = "rdkit>=2025.9".parse().unwrap();
        let requirement = Requirement {
            package: require.package,
            spec: require.spec,
            text: require.text,
            source: RequirementSource::CommandLine,
        };
        assert_eq!(requirement.display(), "rdkit >=2025.9");
    }

    #[test]
    fn defaults_can_be_dropped() {
        let env = env("dependencies:\n  - nwchem\n");
        let require = ["python=3.9".parse().unwrap()];
        let (requirements, _) = requirements_for(&env, Subdir::Linux64, &require, false);
        let names: Vec<&str> = requirements
            .iter()
            .map(|r| r.package.as_normalized())
            .collect();
        assert_eq!(names, ["python"]);
    }

    #[test]
    fn glob_names_are_rejected() {
        assert!("nw*".parse::<RequireArg>().is_err());
    }
}

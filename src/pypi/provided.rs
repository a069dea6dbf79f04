//! Python distributions that the conda solution already installs. They
//! satisfy pip requirements and are never installed a second time.

use std::collections::BTreeMap;
use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::PackageName;

use super::conda_pypi_names::table_lookup;

/// A conda package of the solution, as far as the pip resolution needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CondaPythonPackage {
    /// The conda package name.
    pub conda_name: String,
    /// The conda version.
    pub version: String,
    /// The record's `purls`, when the record has the field (an empty list
    /// means "no PyPI distribution").
    pub purls: Option<Vec<String>>,
}

impl CondaPythonPackage {
    /// Describes a conda package without purls.
    pub fn new(conda_name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            conda_name: conda_name.into(),
            version: version.into(),
            purls: None,
        }
    }

    /// Sets the record's purls (e.g. `pkg:pypi/numpy`).
    pub fn with_purls<S: Into<String>>(mut self, purls: impl IntoIterator<Item = S>) -> Self {
        self.purls = Some(purls.into_iter().map(Into::into).collect());
        self
    }

    /// Takes name, version and purls from a conda package record.
    pub fn from_record(record: &rattler_conda_types::PackageRecord) -> Self {
        Self {
            conda_name: record.name.as_normalized().to_string(),
            version: record.version.to_string(),
            purls: record
                .purls
                .as_ref()
                .map(|purls| purls.iter().map(ToString::to_string).collect()),
        }
    }
}

/// The rule that matched a conda package to a PyPI name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MappingSource {
    /// A `pkg:pypi/NAME` purl of the conda record.
    Purl,
    /// The committed table of known conda/PyPI name differences.
    Table,
    /// The conda name equals the PyPI name after PEP 503 normalisation.
    NameEquality,
}

/// A PyPI distribution provided by a conda package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvidedDistribution {
    /// The PyPI name.
    pub name: PackageName,
    /// The version as PEP 440, or `None` when the conda version does not
    /// parse as one.
    pub version: Option<Version>,
    /// The conda package that provides it.
    pub conda_name: String,
    /// The conda package's version as written by conda.
    pub conda_version: String,
    /// The rule that matched the names.
    pub source: MappingSource,
}

/// The PyPI distributions a conda solution provides, by PyPI name.
#[derive(Debug, Clone, Default)]
pub struct CondaProvided {
    by_name: BTreeMap<PackageName, ProvidedDistribution>,
}

impl CondaProvided {
    /// Returns an empty set, for a conda solution without Python distributions.
    pub fn none() -> Self {
        Self::default()
    }

    /// Maps conda packages to PyPI names: the record's `pkg:pypi/` purls
    /// where the record has purls, else the committed name table, else
    /// normalised name equality. Each decision is logged at debug level.
    pub fn from_conda_packages<'a>(
        packages: impl IntoIterator<Item = &'a CondaPythonPackage>,
    ) -> Self {
        let mut provided = Self::default();
        for package in packages {
            for (name, version, source) in pypi_names(package) {
                tracing::debug!(
                    conda = %package.conda_name,
                    pypi = %name,
                    version = %version,
                    source = ?source,
                    "conda package provides a PyPI distribution"
                );
                let parsed = Version::from_str(&version).ok();
                // A package matched only by name (such as openssh) is rarely a
                // Python distribution, so its odd version is not worth a warning.
                if parsed.is_none() && source == MappingSource::NameEquality {
                    tracing::debug!(
                        conda = %package.conda_name,
                        version = %version,
                        "conda version is not a PEP 440 version; pip requirements on it will fail"
                    );
                } else if parsed.is_none() {
                    tracing::warn!(
                        conda = %package.conda_name,
                        version = %version,
                        "conda version is not a PEP 440 version; pip requirements on it will fail"
                    );
                }
                provided.by_name.insert(
                    name.clone(),
                    ProvidedDistribution {
                        name,
                        version: parsed,
                        conda_name: package.conda_name.clone(),
                        conda_version: package.version.clone(),
                        source,
                    },
                );
            }
        }
        provided
    }

    /// Returns the distribution with this PyPI name, if conda provides it.
    pub fn get(&self, name: &PackageName) -> Option<&ProvidedDistribution> {
        self.by_name.get(name)
    }

    /// Iterates over the provided distributions, sorted by PyPI name.
    pub fn iter(&self) -> impl Iterator<Item = &ProvidedDistribution> {
        self.by_name.values()
    }

    /// Returns whether conda provides no Python distribution.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

/// Maps one conda package to PyPI names, versions and mapping sources.
fn pypi_names(package: &CondaPythonPackage) -> Vec<(PackageName, String, MappingSource)> {
    if let Some(purls) = &package.purls {
        let names: Vec<_> = purls
            .iter()
            .filter_map(|purl| parse_pypi_purl(purl))
            .map(|(name, version)| {
                let version = version.unwrap_or_else(|| package.version.clone());
                (name, version, MappingSource::Purl)
            })
            .collect();
        if names.is_empty() {
            tracing::debug!(conda = %package.conda_name, "conda record has no pkg:pypi purl, so it provides no PyPI distribution");
        }
        return names;
    }
    if let Some(names) = table_lookup(&package.conda_name) {
        if names.is_empty() {
            tracing::debug!(conda = %package.conda_name, "conda package is listed as not a PyPI distribution");
        }
        return names
            .iter()
            .filter_map(|name| PackageName::from_str(name).ok())
            .map(|name| (name, package.version.clone(), MappingSource::Table))
            .collect();
    }
    match PackageName::from_str(&package.conda_name) {
        Ok(name) => vec![(name, package.version.clone(), MappingSource::NameEquality)],
        Err(_) => Vec::new(),
    }
}

/// Parses `pkg:pypi/NAME` or `pkg:pypi/NAME@VERSION` (qualifiers and
/// subpaths ignored). Returns `None` for other purl types.
fn parse_pypi_purl(purl: &str) -> Option<(PackageName, Option<String>)> {
    let rest = purl.strip_prefix("pkg:")?.trim_start_matches('/');
    let rest = rest.strip_prefix("pypi/")?;
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let (name, version) = match rest.split_once('@') {
        Some((name, version)) => (name, Some(version.to_string())),
        None => (rest, None),
    };
    let name = percent_encoding::percent_decode_str(name).decode_utf8_lossy();
    Some((PackageName::from_str(&name).ok()?, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> PackageName {
        PackageName::from_str(text).unwrap()
    }

    #[test]
    fn purls_take_precedence() {
        let packages = [
            CondaPythonPackage::new("numpy", "1.26.4").with_purls(["pkg:pypi/numpy"]),
            CondaPythonPackage::new("openssl", "3.3.0").with_purls(Vec::<String>::new()),
            CondaPythonPackage::new("weird-conda-name", "1.0")
                .with_purls(["pkg:pypi/Real_Name@1.0.1"]),
        ];
        let provided = CondaProvided::from_conda_packages(&packages);
        assert_eq!(
            provided.get(&name("numpy")).unwrap().source,
            MappingSource::Purl
        );
        assert!(provided.get(&name("openssl")).is_none());
        let real = provided.get(&name("real-name")).unwrap();
        assert_eq!(real.version.as_ref().unwrap().to_string(), "1.0.1");
        assert_eq!(real.conda_name, "weird-conda-name");
    }

    #[test]
    fn table_and_name_equality() {
        let packages = [
            CondaPythonPackage::new("matplotlib-base", "3.10.8"),
            CondaPythonPackage::new("pytorch", "2.5.1"),
            CondaPythonPackage::new("tzdata", "2025b"),
            CondaPythonPackage::new("python-tzdata", "2025.2"),
            CondaPythonPackage::new("Typing_Extensions", "4.12.2"),
        ];
        let provided = CondaProvided::from_conda_packages(&packages);
        assert_eq!(
            provided.get(&name("matplotlib")).unwrap().source,
            MappingSource::Table
        );
        assert_eq!(provided.get(&name("torch")).unwrap().conda_name, "pytorch");
        assert_eq!(
            provided.get(&name("tzdata")).unwrap().conda_name,
            "python-tzdata"
        );
        assert_eq!(
            provided.get(&name("typing-extensions")).unwrap().source,
            MappingSource::NameEquality
        );
        assert!(provided.get(&name("matplotlib-base")).is_none());
    }

    #[test]
    fn parse_pypi_purl_forms() {
        assert_eq!(
            parse_pypi_purl("pkg:pypi/numpy"),
            Some((name("numpy"), None))
        );
        assert_eq!(
            parse_pypi_purl("pkg:pypi/ruamel.yaml@0.18.6?x=y"),
            Some((name("ruamel-yaml"), Some("0.18.6".to_string())))
        );
        assert_eq!(parse_pypi_purl("pkg:conda/numpy"), None);
    }
}

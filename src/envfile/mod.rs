//! Reader for conda `environment.yml` files.
//!
//! The reader accepts the keys that conda and conda-lock read: `name`, `channels`,
//! `dependencies` with one `pip:` subsection, `platforms`, `variables`, `prefix` and
//! conda-lock's default `category: main`.
//! It parses every conda dependency as a [`MatchSpec`] and evaluates conda-build style
//! `# [selector]` comments on dependency and pip lines per target platform. Every
//! value keeps its byte span in the source text, so later stages can point their own
//! diagnostics at the line that caused them:
//!
//! ```no_run
//! use envlock::envfile::{EnvironmentFile, Platform};
//! use std::path::Path;
//!
//! let env = EnvironmentFile::from_path(Path::new("environment.yml"))?;
//! for dependency in env.conda_specs_for(Platform::LinuxAarch64) {
//!     println!("line {}: {}", dependency.line, dependency.spec);
//! }
//! # Ok::<(), envlock::envfile::EnvFileError>(())
//! ```

mod comments;
mod dependencies;
mod error;
mod parse;
mod selector;
mod source;
mod yaml;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use miette::{NamedSource, SourceSpan};
use rattler_conda_types::MatchSpec;

pub use error::EnvFileError;
pub use selector::{Selector, SelectorError};

/// A conda subdir such as `linux-64` or `linux-aarch64`.
///
/// rattler_conda_types 0.58 names this type `Subdir`. This module re-exports it as
/// `Platform`, the name its API uses.
pub use rattler_conda_types::Subdir as Platform;

/// One parsed environment file.
#[derive(Debug, Clone)]
pub struct EnvironmentFile {
    /// The path the file was read from, as the caller gave it.
    pub path: PathBuf,
    /// The `name` key, if present.
    pub name: Option<String>,
    /// Channel names or URLs as written, in file order, without `nodefaults`.
    pub channels: Vec<Spanned<String>>,
    /// Target platforms from conda-lock's `platforms` key, empty when the key is absent.
    pub platforms: Vec<Spanned<Platform>>,
    /// Environment variables from the `variables` key, set when the environment is activated.
    pub variables: BTreeMap<String, String>,
    /// Conda dependencies in file order, each with its selector if it has one.
    pub dependencies: Vec<CondaDependency>,
    /// Lines of the `pip:` subsection in file order.
    pub pip: Vec<PipRequirement>,
    source: String,
}

/// A value with its location in the environment file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    /// The parsed value.
    pub value: T,
    /// Byte range of the value in the source text.
    pub span: SourceSpan,
    /// 1-based line number where the value starts.
    pub line: usize,
}

/// A conda match spec from the `dependencies` list.
#[derive(Debug, Clone)]
pub struct CondaDependency {
    /// The spec parsed with conda's lenient rules, so `python=3.11` means `3.11.*`.
    pub spec: MatchSpec,
    /// The spec as written, without surrounding whitespace or YAML quotes.
    pub text: String,
    /// The `# [selector]` comment of the line, if any.
    pub selector: Option<Selector>,
    /// Byte range of the spec in the source text.
    pub span: SourceSpan,
    /// 1-based line number of the spec.
    pub line: usize,
}

/// One requirement line of the `pip:` subsection, kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipRequirement {
    /// The requirement as written, without surrounding whitespace or YAML quotes.
    pub text: String,
    /// The `# [selector]` comment of the line, if any.
    pub selector: Option<Selector>,
    /// Byte range of the requirement in the source text.
    pub span: SourceSpan,
    /// 1-based line number of the requirement.
    pub line: usize,
}

impl EnvironmentFile {
    /// Reads and parses the environment file at `path`.
    pub fn from_path(path: &Path) -> Result<Self, EnvFileError> {
        let source = std::fs::read_to_string(path).map_err(|source| EnvFileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_source(&source, path)
    }

    /// Parses environment file text. `path` only labels the diagnostics and is stored
    /// in [`EnvironmentFile::path`].
    pub fn from_source(source: &str, path: &Path) -> Result<Self, EnvFileError> {
        parse::parse(source, path)
    }

    /// Returns the conda dependencies whose selector matches `platform` (or that have
    /// no selector), in file order.
    pub fn conda_specs_for(&self, platform: Platform) -> Vec<&CondaDependency> {
        self.dependencies
            .iter()
            .filter(|dependency| applies_to(dependency.selector.as_ref(), platform))
            .collect()
    }

    /// Returns the pip lines whose selector matches `platform` (or that have no
    /// selector), in file order.
    pub fn pip_requirements_for(&self, platform: Platform) -> Vec<&PipRequirement> {
        self.pip
            .iter()
            .filter(|requirement| applies_to(requirement.selector.as_ref(), platform))
            .collect()
    }

    /// Returns the source text, named after [`EnvironmentFile::path`], for building
    /// further diagnostics that point into the file with the stored spans.
    ///
    /// A leading byte order mark is not part of this text, so spans index it directly.
    pub fn named_source(&self) -> NamedSource<String> {
        NamedSource::new(self.path.display().to_string(), self.source.clone())
    }
}

fn applies_to(selector: Option<&Selector>, platform: Platform) -> bool {
    selector.is_none_or(|selector| selector.matches(platform))
}

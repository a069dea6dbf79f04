//! The `pip:` section of an environment file: requirement lines, index
//! options and `-r` requirement files.
//!
//! Accepted: PEP 508 requirements with version specifiers, `--index-url`
//! (`-i`), `--extra-index-url`, `--pre` and `-r`/`--requirement`. Rejected,
//! with the line in the error: editable installs, VCS and other direct URLs,
//! local paths and every other option.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep508_rs::{Requirement, VersionOrUrl};
use url::Url;

use super::redact::{redact_text, redact_url, split_credentials, Credentials};

/// The default primary index, as in pip.
pub const PYPI_SIMPLE_URL: &str = "https://pypi.org/simple/";

/// The source location of a line of the pip section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineOrigin {
    /// The requirements file, or `None` for the environment file itself.
    pub file: Option<PathBuf>,
    /// The 1-based line number in `file`, or the 1-based entry number in the
    /// environment file's `pip:` list.
    pub line: usize,
    /// The line with any credentials redacted.
    pub text: String,
}

impl fmt::Display for LineOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(file) => write!(
                f,
                "line {} of {}: `{}`",
                self.line,
                file.display(),
                self.text
            ),
            None => write!(f, "pip entry {}: `{}`", self.line, self.text),
        }
    }
}

/// An error in the pip section or in a requirements file it includes.
#[derive(Debug, thiserror::Error)]
pub enum PipSectionError {
    /// An editable install (`-e`).
    #[error("editable installs are not supported in the pip section ({origin}); publish a wheel to an index or add the package to conda")]
    Editable {
        /// The rejected line.
        origin: LineOrigin,
    },
    /// A VCS requirement (`git+https://...`).
    #[error("VCS requirements are not supported in the pip section ({origin}); lock files need a wheel with a hash: publish one to an index")]
    Vcs {
        /// The rejected line.
        origin: LineOrigin,
    },
    /// A local file or directory.
    #[error("local paths are not supported in the pip section ({origin}); publish the package to an index")]
    LocalPath {
        /// The rejected line.
        origin: LineOrigin,
    },
    /// A direct URL to an archive.
    #[error("direct URL requirements are not supported in the pip section ({origin}); name the package and use --index-url or --extra-index-url")]
    DirectUrl {
        /// The rejected line.
        origin: LineOrigin,
    },
    /// An option other than the supported ones.
    #[error("unknown option `{option}` in the pip section ({origin}); supported: --index-url, --extra-index-url, --pre, -r")]
    UnknownOption {
        /// The option as written.
        option: String,
        /// The line.
        origin: LineOrigin,
    },
    /// An option that needs a value has none.
    #[error("option `{option}` needs a value ({origin})")]
    MissingValue {
        /// The option.
        option: String,
        /// The line.
        origin: LineOrigin,
    },
    /// A requirement that is not valid PEP 508.
    #[error("invalid requirement ({origin}): {message}")]
    InvalidRequirement {
        /// The line.
        origin: LineOrigin,
        /// The parser's message, redacted.
        message: String,
    },
    /// An index URL that is not an absolute http(s) URL.
    #[error("invalid index URL ({origin}): {message}")]
    InvalidIndexUrl {
        /// The line.
        origin: LineOrigin,
        /// The reason the URL was rejected.
        message: String,
    },
    /// Two different `--index-url` values.
    #[error("--index-url is given twice with different URLs ({origin}); the first was {first}")]
    ConflictingIndexUrl {
        /// The first URL, redacted.
        first: String,
        /// The line with the second one.
        origin: LineOrigin,
    },
    /// A requirements file could not be read.
    #[error("failed to read requirements file {} ({origin}): {source}", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The `-r` line.
        origin: LineOrigin,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl PipSectionError {
    /// The line the error is about.
    pub fn origin(&self) -> Option<&LineOrigin> {
        match self {
            PipSectionError::Editable { origin, .. }
            | PipSectionError::Vcs { origin, .. }
            | PipSectionError::LocalPath { origin, .. }
            | PipSectionError::DirectUrl { origin, .. }
            | PipSectionError::UnknownOption { origin, .. }
            | PipSectionError::MissingValue { origin, .. }
            | PipSectionError::InvalidRequirement { origin, .. }
            | PipSectionError::InvalidIndexUrl { origin, .. }
            | PipSectionError::ConflictingIndexUrl { origin, .. }
            | PipSectionError::ReadFile { origin, .. } => Some(origin),
        }
    }
}

/// A package index given in the pip section. Credentials in the URL are
/// kept for requests but never shown: [`IndexUrl::url`] has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexUrl {
    url: Url,
    credentials: Option<Credentials>,
}

impl IndexUrl {
    /// Parses an absolute http(s) index URL. A trailing slash is added so
    /// that project pages join below it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut url = Url::parse(text.trim()).map_err(|error| format!("{error}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("scheme `{}` is not http or https", url.scheme()));
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        let (url, credentials) = split_credentials(&url);
        Ok(Self { url, credentials })
    }

    /// Returns the default index, <https://pypi.org/simple/>.
    pub fn pypi() -> Self {
        match Self::parse(PYPI_SIMPLE_URL) {
            Ok(index) => index,
            Err(error) => unreachable!("the PyPI URL is valid: {error}"),
        }
    }

    /// Returns the URL without credentials, as stored in lock files.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Returns whether the URL carried credentials.
    pub fn has_credentials(&self) -> bool {
        self.credentials.is_some()
    }

    pub(crate) fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// Formats the URL for messages, with credentials shown as `********`.
    pub fn display(&self) -> String {
        match &self.credentials {
            None => self.url.to_string(),
            Some(_) => {
                let mut shown = self.url.clone();
                let _ = shown.set_username("user");
                redact_url(&shown)
            }
        }
    }
}

/// One requirement of the pip section and where it was written.
#[derive(Debug, Clone)]
pub struct SectionRequirement {
    /// The parsed requirement, with a version specifier or none but never a URL.
    pub requirement: Requirement,
    /// The line it came from.
    pub origin: LineOrigin,
}

/// The parsed pip section of one platform.
#[derive(Debug, Clone, Default)]
pub struct PipSection {
    requirements: Vec<SectionRequirement>,
    index_url: Option<IndexUrl>,
    extra_index_urls: Vec<IndexUrl>,
    pre: bool,
}

impl PipSection {
    /// Parses the pip lines of an environment file (already filtered by
    /// selectors). `-r FILE` is relative to `environment_dir` (the directory
    /// of the environment file), and nested `-r` lines are relative to the
    /// file that contains them. A file included a second time, including
    /// through a cycle, is skipped.
    pub fn parse<S: AsRef<str>>(
        lines: &[S],
        environment_dir: &Path,
    ) -> Result<Self, PipSectionError> {
        let mut parser = Parser::default();
        for (index, line) in lines.iter().enumerate() {
            let origin = LineOrigin {
                file: None,
                line: index + 1,
                text: redact_text(line.as_ref().trim()),
            };
            parser.parse_line(line.as_ref().trim(), origin, environment_dir)?;
        }
        Ok(parser.section)
    }

    /// Returns the requirements in the order they were written.
    pub fn requirements(&self) -> &[SectionRequirement] {
        &self.requirements
    }

    /// Lists the indexes to search, primary first: `--index-url` (or PyPI) and then
    /// each `--extra-index-url` in the order written. The resolver takes
    /// every version of a package from the first index that has the package
    /// at all, so a name on the primary index is never taken from an extra
    /// index.
    pub fn indexes(&self) -> Vec<IndexUrl> {
        let mut indexes = vec![self.index_url.clone().unwrap_or_else(IndexUrl::pypi)];
        for extra in &self.extra_index_urls {
            if !indexes.contains(extra) {
                indexes.push(extra.clone());
            }
        }
        indexes
    }

    /// Returns whether `--pre` allows pre-releases for every package.
    pub fn allows_prereleases(&self) -> bool {
        self.pre
    }

    /// Returns whether the section has no requirements.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }
}

#[derive(Default)]
struct Parser {
    section: PipSection,
    visited_files: HashSet<PathBuf>,
}

impl Parser {
    fn parse_line(
        &mut self,
        line: &str,
        origin: LineOrigin,
        base_dir: &Path,
    ) -> Result<(), PipSectionError> {
        if line.is_empty() {
            return Ok(());
        }
        if line.starts_with('-') {
            return self.parse_option(line, origin, base_dir);
        }
        let requirement = parse_requirement(line, &origin)?;
        self.section.requirements.push(SectionRequirement {
            requirement,
            origin,
        });
        Ok(())
    }

    fn parse_option(
        &mut self,
        line: &str,
        origin: LineOrigin,
        base_dir: &Path,
    ) -> Result<(), PipSectionError> {
        let (option, value) = split_option(line);
        match option {
            "-e" | "--editable" => Err(PipSectionError::Editable { origin }),
            "--pre" if value.is_none() => {
                self.section.pre = true;
                Ok(())
            }
            "-i" | "--index-url" => {
                let index = parse_index(option, value, &origin)?;
                match &self.section.index_url {
                    Some(first) if *first != index => Err(PipSectionError::ConflictingIndexUrl {
                        first: first.display(),
                        origin,
                    }),
                    _ => {
                        self.section.index_url = Some(index);
                        Ok(())
                    }
                }
            }
            "--extra-index-url" => {
                let index = parse_index(option, value, &origin)?;
                self.section.extra_index_urls.push(index);
                Ok(())
            }
            "-r" | "--requirement" => {
                let value = value.ok_or_else(|| PipSectionError::MissingValue {
                    option: option.to_string(),
                    origin: origin.clone(),
                })?;
                self.include_file(&base_dir.join(value), origin)
            }
            _ => Err(PipSectionError::UnknownOption {
                option: option.to_string(),
                origin,
            }),
        }
    }

    fn include_file(&mut self, path: &Path, origin: LineOrigin) -> Result<(), PipSectionError> {
        let read_error = |source| PipSectionError::ReadFile {
            path: path.to_path_buf(),
            origin: origin.clone(),
            source,
        };
        let canonical = std::fs::canonicalize(path).map_err(read_error)?;
        if !self.visited_files.insert(canonical.clone()) {
            tracing::debug!(file = %path.display(), "requirements file already included, skipping it");
            return Ok(());
        }
        let text = std::fs::read_to_string(&canonical).map_err(read_error)?;
        let base_dir = canonical.parent().unwrap_or(Path::new("/")).to_path_buf();
        for (number, line) in logical_lines(&text) {
            let line_origin = LineOrigin {
                file: Some(path.to_path_buf()),
                line: number,
                text: redact_text(&line),
            };
            self.parse_line(&line, line_origin, &base_dir)?;
        }
        Ok(())
    }
}

/// Splits `--option value`, `--option=value` and `-ovalue` forms.
fn split_option(line: &str) -> (&str, Option<&str>) {
    let (head, rest) = match line.find(char::is_whitespace) {
        Some(position) => (&line[..position], Some(line[position..].trim())),
        None => (line, None),
    };
    if let Some((option, value)) = head.split_once('=') {
        if option.starts_with("--") {
            return (option, Some(value));
        }
    }
    if !head.starts_with("--") && head.len() > 2 && rest.is_none() {
        return (&head[..2], Some(&head[2..]));
    }
    (head, rest.filter(|value| !value.is_empty()))
}

fn parse_index(
    option: &str,
    value: Option<&str>,
    origin: &LineOrigin,
) -> Result<IndexUrl, PipSectionError> {
    let value = value.ok_or_else(|| PipSectionError::MissingValue {
        option: option.to_string(),
        origin: origin.clone(),
    })?;
    IndexUrl::parse(value).map_err(|message| PipSectionError::InvalidIndexUrl {
        origin: origin.clone(),
        message: redact_text(&message),
    })
}

const VCS_PREFIXES: [&str; 4] = ["git+", "hg+", "svn+", "bzr+"];

fn parse_requirement(line: &str, origin: &LineOrigin) -> Result<Requirement, PipSectionError> {
    let lowered = line.to_ascii_lowercase();
    if VCS_PREFIXES
        .iter()
        .any(|prefix| lowered.starts_with(prefix) || lowered.contains(&format!("@ {prefix}")))
    {
        return Err(PipSectionError::Vcs {
            origin: origin.clone(),
        });
    }
    if looks_like_path(line) {
        return Err(PipSectionError::LocalPath {
            origin: origin.clone(),
        });
    }
    if lowered.starts_with("http://")
        || lowered.starts_with("https://")
        || lowered.starts_with("file:")
    {
        return Err(PipSectionError::DirectUrl {
            origin: origin.clone(),
        });
    }
    let requirement: Requirement =
        Requirement::from_str(line).map_err(|error| PipSectionError::InvalidRequirement {
            origin: origin.clone(),
            message: redact_text(&error.to_string()),
        })?;
    match &requirement.version_or_url {
        Some(VersionOrUrl::Url(url)) => {
            let scheme = url.scheme();
            if scheme == "file" {
                Err(PipSectionError::LocalPath {
                    origin: origin.clone(),
                })
            } else if VCS_PREFIXES
                .iter()
                .any(|prefix| scheme.starts_with(prefix.trim_end_matches('+')))
            {
                Err(PipSectionError::Vcs {
                    origin: origin.clone(),
                })
            } else {
                Err(PipSectionError::DirectUrl {
                    origin: origin.clone(),
                })
            }
        }
        _ => Ok(requirement),
    }
}

/// Detects a line that names a file or directory rather than a package,
/// because it starts like a path or its first word has a path separator or
/// an archive suffix.
fn looks_like_path(line: &str) -> bool {
    let first_word = line
        .split(|c: char| c.is_whitespace() || c == ';')
        .next()
        .unwrap_or("");
    let archive = [".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz"]
        .iter()
        .any(|suffix| first_word.to_ascii_lowercase().ends_with(suffix));
    line.starts_with('.')
        || line.starts_with('/')
        || line.starts_with('~')
        || (first_word.contains('/') && !first_word.contains("://"))
        || archive
}

/// Joins `\` continuations and drops comments and blank lines. Returns each
/// logical line with the number of its first physical line.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut lines = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (index, raw) in text.lines().enumerate() {
        let (start, mut current) = pending.take().unwrap_or((index + 1, String::new()));
        if let Some(stripped) = raw.strip_suffix('\\') {
            current.push_str(stripped);
            pending = Some((start, current));
            continue;
        }
        current.push_str(raw);
        let content = strip_comment(&current).trim().to_string();
        if !content.is_empty() {
            lines.push((start, content));
        }
    }
    if let Some((start, current)) = pending {
        let content = strip_comment(&current).trim().to_string();
        if !content.is_empty() {
            lines.push((start, content));
        }
    }
    lines
}

/// Removes a `#` comment that starts the line or follows whitespace, as pip does.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (position, &byte) in bytes.iter().enumerate() {
        if byte == b'#' && (position == 0 || bytes[position - 1].is_ascii_whitespace()) {
            return &line[..position];
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_option_forms() {
        assert_eq!(
            split_option("--index-url https://h/s"),
            ("--index-url", Some("https://h/s"))
        );
        assert_eq!(
            split_option("--index-url=https://h/s"),
            ("--index-url", Some("https://h/s"))
        );
        assert_eq!(split_option("-ihttps://h/s"), ("-i", Some("https://h/s")));
        assert_eq!(split_option("-r  other.txt"), ("-r", Some("other.txt")));
        assert_eq!(split_option("--pre"), ("--pre", None));
    }

    #[test]
    fn logical_lines_join_and_strip() {
        let text = "# comment\nnumpy \\\n  >=1.0 # why\n\nurl#frag\n";
        let lines = logical_lines(text);
        assert_eq!(
            lines,
            vec![
                (2, "numpy   >=1.0".to_string()),
                (5, "url#frag".to_string())
            ]
        );
    }

    #[test]
    fn paths_are_detected() {
        for line in [
            "./pkg",
            "/abs/pkg",
            "~/pkg",
            "dir/pkg",
            "pkg-1.0-py3-none-any.whl",
            "pkg.tar.gz",
        ] {
            assert!(looks_like_path(line), "{line}");
        }
        for line in ["numpy>=1.0", "requests[socks] ; python_version >= '3.8'"] {
            assert!(!looks_like_path(line), "{line}");
        }
    }
}

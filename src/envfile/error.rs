//! Errors from reading an environment file.

use std::path::PathBuf;
use std::sync::Arc;

use miette::{Diagnostic, NamedSource, SourceSpan};

/// The file text shared by every error from one parse.
pub(crate) type Source = Arc<NamedSource<String>>;

/// Error from reading or parsing an environment file.
///
/// Every variant except [`EnvFileError::Io`] carries the file text and a span of the
/// offending value, so miette renders it with the source line.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[non_exhaustive]
pub enum EnvFileError {
    /// The file could not be read.
    #[error("failed to read environment file {}", path.display())]
    #[diagnostic(
        code(envlock::envfile::io),
        help("check that the file exists, is readable and is UTF-8 text")
    )]
    Io {
        /// The path as given.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// The YAML parser rejected the text.
    #[error("invalid YAML at line {line}, column {column}: {message}")]
    #[diagnostic(code(envlock::envfile::yaml))]
    Yaml {
        /// The parser's message.
        message: String,
        /// 1-based line reported by the parser.
        line: usize,
        /// 1-based column reported by the parser, in characters.
        column: usize,
        /// Help text with the fix.
        #[help]
        help: String,
        #[source_code]
        src: Source,
        #[label("here")]
        span: SourceSpan,
    },

    /// The top level of the file is a list or a plain value.
    #[error("the top level of an environment file must be a mapping, but this file has {found}")]
    #[diagnostic(
        code(envlock::envfile::top_level),
        help("start the file with keys such as `name:`, `channels:` and `dependencies:`")
    )]
    TopLevelNotMapping {
        /// Description of the top-level value, for example "a list".
        found: String,
        #[source_code]
        src: Source,
        #[label("the document starts here")]
        span: SourceSpan,
    },

    /// The file has no content besides comments and blank lines.
    #[error("the environment file is empty")]
    #[diagnostic(
        code(envlock::envfile::empty_file),
        help("add a `dependencies:` list, for example `dependencies: [python=3.11]`")
    )]
    EmptyFile {
        #[source_code]
        src: Source,
        #[label("no YAML content")]
        span: SourceSpan,
    },

    /// The file contains more than one YAML document.
    #[error("the environment file contains more than one YAML document")]
    #[diagnostic(
        code(envlock::envfile::multiple_documents),
        help("remove this `---` or `...` marker and what follows it, or merge the second document into the first")
    )]
    MultipleDocuments {
        #[source_code]
        src: Source,
        #[label("a second document starts here")]
        span: SourceSpan,
    },

    /// A mapping has the same key twice.
    #[error("duplicate key `{key}`")]
    #[diagnostic(
        code(envlock::envfile::duplicate_key),
        help("remove one of the two entries or merge them")
    )]
    DuplicateKey {
        /// The repeated key.
        key: String,
        /// Span of the first occurrence.
        #[label("first defined here")]
        first_span: SourceSpan,
        #[source_code]
        src: Source,
        #[label(primary, "defined again here")]
        span: SourceSpan,
    },

    /// A top-level key that environment files do not have.
    #[error("unknown top-level key `{key}`")]
    #[diagnostic(code(envlock::envfile::unknown_key))]
    UnknownKey {
        /// The unknown key.
        key: String,
        /// The allowed keys and, when one is close, a suggestion.
        #[help]
        help: String,
        #[source_code]
        src: Source,
        #[label("not an environment file key")]
        span: SourceSpan,
    },

    /// A conda-lock `category` other than `main`.
    #[error("conda-lock category `{category}` is not supported")]
    #[diagnostic(
        code(envlock::envfile::unsupported_category),
        help("envlock locks one group of dependencies, conda-lock's `main` category. Remove the `category` key to lock these dependencies as the main group, or move them into the main environment file")
    )]
    UnsupportedCategory {
        /// The category name.
        category: String,
        #[source_code]
        src: Source,
        #[label("only `main` is supported")]
        span: SourceSpan,
    },

    /// A value of the wrong YAML type.
    #[error("`{key}` must be {expected}, but it is {found}")]
    #[diagnostic(code(envlock::envfile::wrong_type))]
    WrongType {
        /// Key of the value, for example `channels` or `variables.PATH`.
        key: String,
        /// The expected type, for example "a list of strings".
        expected: String,
        /// The type found, for example "a number".
        found: String,
        /// Help text with the fix.
        #[help]
        help: String,
        #[source_code]
        src: Source,
        #[label("this is {found}")]
        span: SourceSpan,
    },

    /// An empty string where a value is needed.
    #[error("empty entry in `{key}`")]
    #[diagnostic(
        code(envlock::envfile::empty_value),
        help("remove the empty entry or write a value")
    )]
    EmptyValue {
        /// Key of the list, for example `channels`.
        key: String,
        #[source_code]
        src: Source,
        #[label("empty")]
        span: SourceSpan,
    },

    /// The file has no `dependencies` key.
    #[error("the environment file has no `dependencies` key")]
    #[diagnostic(
        code(envlock::envfile::missing_dependencies),
        help("add a `dependencies:` list with at least one conda package, for example `- python=3.11`")
    )]
    MissingDependencies {
        #[source_code]
        src: Source,
        #[label("the file starts here")]
        span: SourceSpan,
    },

    /// The `dependencies` key has no packages.
    #[error("`dependencies` is empty")]
    #[diagnostic(
        code(envlock::envfile::empty_dependencies),
        help("list at least one conda package, for example `- python=3.11`")
    )]
    EmptyDependencies {
        #[source_code]
        src: Source,
        #[label("no packages listed")]
        span: SourceSpan,
    },

    /// A dependency that is not a valid conda match spec.
    #[error("invalid match spec `{spec}`: {reason}")]
    #[diagnostic(
        code(envlock::envfile::invalid_match_spec),
        help("write a conda match spec such as `numpy>=1.26`, `python=3.11`, `pkg 1.2 build_0` or `conda-forge::numpy`")
    )]
    InvalidMatchSpec {
        /// The spec as written.
        spec: String,
        /// The match spec parser's message.
        reason: String,
        #[source_code]
        src: Source,
        #[label("invalid match spec")]
        span: SourceSpan,
    },

    /// The `defaults` channel, in `channels` or as `defaults::package`.
    #[error("the `defaults` channel is not supported")]
    #[diagnostic(
        code(envlock::envfile::defaults_channel),
        help("envlock resolves packages from conda-forge. `defaults` means Anaconda's own channels, which fall under Anaconda's terms of service. List `conda-forge` (and `nodefaults`) under `channels` instead, and write `conda-forge::package` for a package pinned to a channel")
    )]
    DefaultsChannel {
        #[source_code]
        src: Source,
        #[label("`defaults` used here")]
        span: SourceSpan,
    },

    /// A channel entry that cannot be a channel name or URL.
    #[error("invalid channel `{channel}`: {reason}")]
    #[diagnostic(
        code(envlock::envfile::invalid_channel),
        help("write a channel name such as `conda-forge` or a URL such as `https://conda.anaconda.org/conda-forge`")
    )]
    InvalidChannel {
        /// The channel as written.
        channel: String,
        /// Reason the channel is invalid.
        reason: String,
        #[source_code]
        src: Source,
        #[label("invalid channel")]
        span: SourceSpan,
    },

    /// A `variables:` entry that cannot be exported from a POSIX shell or a Dockerfile.
    #[error("invalid variable `{name}`: {reason}")]
    #[diagnostic(
        code(envlock::envfile::invalid_variable),
        help("variable names are letters, digits and `_`, not starting with a digit; values are one line; PATH and CONDA_PREFIX are set by envlock")
    )]
    InvalidVariable {
        /// The variable name as written.
        name: String,
        /// Why it is invalid.
        reason: String,
        #[source_code]
        src: Source,
        #[label("here")]
        span: SourceSpan,
    },

    /// A channel or platform listed twice.
    #[error("`{value}` is listed twice in `{key}`")]
    #[diagnostic(
        code(envlock::envfile::duplicate_entry),
        help("remove one of the two entries")
    )]
    DuplicateEntry {
        /// The list, `channels` or `platforms`.
        key: String,
        /// The repeated entry.
        value: String,
        /// Span of the first occurrence.
        #[label("first listed here")]
        first_span: SourceSpan,
        #[source_code]
        src: Source,
        #[label(primary, "listed again here")]
        span: SourceSpan,
    },

    /// A `platforms` entry that is not a known conda subdir.
    #[error("unknown platform `{platform}`")]
    #[diagnostic(code(envlock::envfile::unknown_platform))]
    UnknownPlatform {
        /// The platform as written.
        platform: String,
        /// Valid platform names and, when one is close, a suggestion.
        #[help]
        help: String,
        #[source_code]
        src: Source,
        #[label("not a conda subdir")]
        span: SourceSpan,
    },

    /// `noarch` listed as a target platform.
    #[error("`noarch` is not a target platform")]
    #[diagnostic(
        code(envlock::envfile::noarch_platform),
        help("list the platforms the environment is installed on, such as `linux-64` and `linux-aarch64`. Packages from the noarch subdir are included on every platform")
    )]
    NoarchPlatform {
        #[source_code]
        src: Source,
        #[label("not an installable platform")]
        span: SourceSpan,
    },

    /// A selector name that envlock does not know.
    #[error("unknown selector `{selector}` in `# [{expression}]`")]
    #[diagnostic(code(envlock::envfile::unknown_selector))]
    UnknownSelector {
        /// The unknown name.
        selector: String,
        /// The whole selector expression.
        expression: String,
        /// The known selector names.
        #[help]
        help: String,
        #[source_code]
        src: Source,
        #[label("unknown selector")]
        span: SourceSpan,
    },

    /// A selector comment that is not a valid expression.
    #[error("invalid selector `# [{selector}]`: {reason}")]
    #[diagnostic(
        code(envlock::envfile::invalid_selector),
        help("write platform names combined with `not`, `and`, `or` and parentheses, for example `# [linux and not aarch64]`")
    )]
    InvalidSelector {
        /// The whole selector expression.
        selector: String,
        /// Reason the expression is invalid.
        reason: String,
        #[source_code]
        src: Source,
        #[label("here")]
        span: SourceSpan,
    },

    /// A selector comment on a line that is not a dependency or pip line.
    #[error("selector `# [{selector}]` is not on a dependency line")]
    #[diagnostic(code(envlock::envfile::selector_outside_dependencies))]
    SelectorOutsideDependencies {
        /// The selector expression.
        selector: String,
        /// Help text with the fix.
        #[help]
        help: String,
        #[source_code]
        src: Source,
        #[label("selector here")]
        span: SourceSpan,
    },

    /// A second `pip:` subsection in `dependencies`.
    #[error("`dependencies` has more than one `pip:` subsection")]
    #[diagnostic(
        code(envlock::envfile::duplicate_pip_section),
        help("merge the pip requirements into the first `pip:` list")
    )]
    DuplicatePipSection {
        /// Span of the first `pip` key.
        #[label("first `pip:` here")]
        first_span: SourceSpan,
        #[source_code]
        src: Source,
        #[label(primary, "second `pip:` here")]
        span: SourceSpan,
    },

    /// A mapping in `dependencies` other than `pip:`.
    #[error("unsupported subsection `{key}` in `dependencies`")]
    #[diagnostic(
        code(envlock::envfile::unsupported_subsection),
        help("`dependencies` contains conda match specs and at most one `pip:` list. Write conda packages as plain list items")
    )]
    UnsupportedSubsection {
        /// The mapping key.
        key: String,
        #[source_code]
        src: Source,
        #[label("only `pip:` is supported here")]
        span: SourceSpan,
    },
}

impl EnvFileError {
    /// Returns the span of the offending value, or `None` for [`EnvFileError::Io`].
    pub fn span(&self) -> Option<SourceSpan> {
        self.location().map(|(_, span)| span)
    }

    /// Returns the 1-based line of the offending value, or `None` for
    /// [`EnvFileError::Io`].
    pub fn line(&self) -> Option<usize> {
        let (source, span) = self.location()?;
        let text = source.inner();
        let offset = span.offset().min(text.len());
        let before = text.get(..offset)?;
        Some(before.matches('\n').count() + 1)
    }

    fn location(&self) -> Option<(&Source, SourceSpan)> {
        use EnvFileError::*;
        match self {
            Io { .. } => None,
            Yaml { src, span, .. }
            | TopLevelNotMapping { src, span, .. }
            | EmptyFile { src, span }
            | MultipleDocuments { src, span }
            | DuplicateKey { src, span, .. }
            | UnknownKey { src, span, .. }
            | UnsupportedCategory { src, span, .. }
            | WrongType { src, span, .. }
            | EmptyValue { src, span, .. }
            | MissingDependencies { src, span }
            | EmptyDependencies { src, span }
            | InvalidMatchSpec { src, span, .. }
            | DefaultsChannel { src, span }
            | InvalidChannel { src, span, .. }
            | InvalidVariable { src, span, .. }
            | DuplicateEntry { src, span, .. }
            | UnknownPlatform { src, span, .. }
            | NoarchPlatform { src, span }
            | UnknownSelector { src, span, .. }
            | InvalidSelector { src, span, .. }
            | SelectorOutsideDependencies { src, span, .. }
            | DuplicatePipSection { src, span, .. }
            | UnsupportedSubsection { src, span, .. } => Some((src, *span)),
        }
    }
}

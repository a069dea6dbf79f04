//! The top level of an environment file: `name`, `channels`, `platforms`,
//! `variables`, `prefix`, and the order in which the parts are checked.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};
use marked_yaml::Node;
use miette::{NamedSource, SourceSpan};

use super::error::{EnvFileError, Source};
use super::source::SourceText;
use super::{comments, dependencies, yaml, EnvironmentFile, Platform, Spanned};

/// Top-level keys an environment file may have. `category` is allowed only with
/// conda-lock's default value `main`.
const ALLOWED_KEYS: [&str; 7] = [
    "name",
    "channels",
    "dependencies",
    "platforms",
    "variables",
    "prefix",
    "category",
];

/// conda-lock's default category, the one a file without `category` belongs to.
const MAIN_CATEGORY: &str = "main";

/// Top-level keys of conda-lock that envlock does not support, with the reason.
const CONDA_LOCK_KEYS: [(&str, &str); 2] = [
    (
        "allow-pypi-requests",
        "`allow-pypi-requests` is a conda-lock extension that envlock does not support. Remove the key",
    ),
    (
        "pip-repositories",
        "`pip-repositories` is a conda-lock extension that envlock does not support. Remove the key",
    ),
];

/// Common platforms named in help texts.
const COMMON_PLATFORMS: &str = "linux-64, linux-aarch64, linux-ppc64le, osx-64, osx-arm64, win-64";

/// Platform spellings from other tools, mapped to the conda subdir name.
const PLATFORM_ALIASES: [(&str, &str); 6] = [
    ("linux-arm64", "linux-aarch64"),
    ("linux-x86_64", "linux-64"),
    ("linux-amd64", "linux-64"),
    ("osx-aarch64", "osx-arm64"),
    ("win-x86_64", "win-64"),
    ("win-amd64", "win-64"),
];

/// The text and file name that every error of one parse points into.
pub(crate) struct Context<'a> {
    pub(crate) text: &'a SourceText,
    pub(crate) src: &'a Source,
}

pub(crate) fn parse(source: &str, path: &Path) -> Result<EnvironmentFile, EnvFileError> {
    // YAML allows a byte order mark at the start of a stream, but yaml-rust2 0.10 reads
    // it as content.
    let source = source
        .strip_prefix('\u{feff}')
        .unwrap_or(source)
        .to_string();
    let src: Source = Arc::new(NamedSource::new(path.display().to_string(), source.clone()));
    let text = SourceText::new(source.clone());
    let context = Context {
        text: &text,
        src: &src,
    };
    if yaml::has_no_content(&text) {
        return Err(EnvFileError::EmptyFile {
            src: src.clone(),
            span: text.span(0..0),
        });
    }
    let root = yaml::load(&text, &src)?;

    let mut file = EnvironmentFile {
        path: path.to_path_buf(),
        name: None,
        channels: Vec::new(),
        platforms: Vec::new(),
        variables: BTreeMap::new(),
        dependencies: Vec::new(),
        pip: Vec::new(),
        source,
    };
    let mut dependencies_entry = None;
    for (key, value) in root.iter() {
        match key.as_str() {
            "name" => file.name = Some(context.name(key, value)?),
            "channels" => file.channels = context.channels(key, value)?,
            "platforms" => file.platforms = context.platforms(key, value)?,
            "variables" => file.variables = context.variables(key, value)?,
            "dependencies" => dependencies_entry = Some((key, value)),
            "prefix" => tracing::warn!(
                path = %path.display(),
                "ignoring `prefix` in the environment file: the install command chooses the prefix"
            ),
            "category" => context.category(key, value)?,
            _ => return Err(context.unknown_key(key)),
        }
    }

    let Some((key, value)) = dependencies_entry else {
        return Err(context.missing_dependencies(&root));
    };
    let mut parsed = dependencies::parse(&context, key, value)?;
    comments::attach_selectors(&context, &root, &mut parsed)?;
    file.dependencies = parsed.conda;
    file.pip = parsed.pip;

    if file.channels.is_empty() {
        tracing::info!(
            path = %path.display(),
            "the environment file lists no channels; the caller's default channels apply"
        );
    }
    Ok(file)
}

impl Context<'_> {
    /// Wraps a value with `span` and the line where the span starts.
    pub(crate) fn spanned<T>(&self, value: T, span: SourceSpan) -> Spanned<T> {
        Spanned {
            value,
            span,
            line: self.text.line_of(span.offset()),
        }
    }

    /// Returns the span of a value, or of its key when the value is empty, because the
    /// parser places an empty scalar at the next token, which may be on a later line.
    pub(crate) fn value_span(&self, key: &MarkedScalarNode, value: &Node) -> SourceSpan {
        match value {
            Node::Scalar(scalar) if scalar.as_str().is_empty() && scalar.may_coerce() => {
                self.text.scalar_span(key)
            }
            _ => self.text.node_span(value),
        }
    }

    /// Returns the spans of the items of a sequence. The span of an empty item (`-` with
    /// nothing after it) is its `-`, because the parser places an empty scalar at the
    /// next token.
    pub(crate) fn item_spans(&self, sequence: &Node, items: &[Node]) -> Vec<SourceSpan> {
        let mut search_from = self.text.node_start(sequence).unwrap_or(0);
        let mut spans = Vec::with_capacity(items.len());
        for item in items {
            let is_empty = matches!(item, Node::Scalar(scalar) if scalar.as_str().is_empty() && scalar.may_coerce());
            let span = match self.text.next_block_entry(search_from) {
                Some(dash) if is_empty => self.text.span(dash..dash + 1),
                _ => self.text.node_span(item),
            };
            let collection_end = match item {
                Node::Scalar(_) => None,
                Node::Mapping(_) | Node::Sequence(_) => {
                    item.span().end().map(|marker| self.text.offset_of(marker))
                }
            };
            search_from = collection_end.unwrap_or(span.offset() + span.len().max(1));
            spans.push(span);
        }
        spans
    }

    pub(crate) fn wrong_type(
        &self,
        key: &str,
        expected: &str,
        found: &str,
        help: String,
        span: SourceSpan,
    ) -> EnvFileError {
        EnvFileError::WrongType {
            key: key.to_string(),
            expected: expected.to_string(),
            found: found.to_string(),
            help,
            src: self.src.clone(),
            span,
        }
    }

    /// Returns the text of a string scalar, trimmed, or an error for other types and
    /// for empty strings. `span` is where errors point.
    pub(crate) fn string_item<'n>(
        &self,
        node: &'n Node,
        key: &str,
        expected: &str,
        span: SourceSpan,
    ) -> Result<(&'n MarkedScalarNode, String), EnvFileError> {
        let scalar = match node {
            Node::Scalar(scalar) => scalar,
            other => {
                let found = yaml::describe(other);
                let help = format!("write each entry of `{key}` as {expected}");
                return Err(self.wrong_type(key, expected, found, help, span));
            }
        };
        let found = yaml::describe_scalar(scalar);
        if found == "null" {
            return Err(EnvFileError::EmptyValue {
                key: key.to_string(),
                src: self.src.clone(),
                span,
            });
        }
        if found != "a string" {
            let help = format!(
                "write {expected} here, or put `{}` in quotes if it is meant literally",
                scalar.as_str()
            );
            return Err(self.wrong_type(key, expected, found, help, span));
        }
        let value = scalar.as_str().trim();
        if value.is_empty() {
            return Err(EnvFileError::EmptyValue {
                key: key.to_string(),
                src: self.src.clone(),
                span,
            });
        }
        Ok((scalar, value.to_string()))
    }

    /// Returns the items of a list value. A missing value (`key:` with nothing after
    /// it) is an empty list.
    fn list_items<'n>(
        &self,
        key: &MarkedScalarNode,
        value: &'n Node,
        expected: &str,
    ) -> Result<Vec<(&'n Node, SourceSpan)>, EnvFileError> {
        match value {
            Node::Sequence(sequence) => {
                let spans = self.item_spans(value, sequence);
                Ok(sequence.iter().zip(spans).collect())
            }
            Node::Scalar(scalar) if yaml::describe_scalar(scalar) == "null" => Ok(Vec::new()),
            other => Err(self.wrong_type(
                key.as_str(),
                expected,
                yaml::describe(other),
                format!(
                    "write `{}` as a YAML list with one `- ` entry per line",
                    key.as_str()
                ),
                self.value_span(key, value),
            )),
        }
    }

    fn name(&self, key: &MarkedScalarNode, value: &Node) -> Result<String, EnvFileError> {
        let span = self.value_span(key, value);
        match value {
            Node::Scalar(scalar) if yaml::describe_scalar(scalar) != "null" => {
                Ok(scalar.as_str().trim().to_string())
            }
            other => Err(self.wrong_type(
                "name",
                "a string",
                yaml::describe(other),
                "write the environment name as a plain string, for example `name: base`, or remove the key".to_string(),
                span,
            )),
        }
    }

    fn channels(
        &self,
        key: &MarkedScalarNode,
        value: &Node,
    ) -> Result<Vec<Spanned<String>>, EnvFileError> {
        let items = self.list_items(key, value, "a list of channel names or URLs")?;
        let mut channels: Vec<Spanned<String>> = Vec::new();
        for (item, span) in items {
            let (_, channel) = self.string_item(item, "channels", "a channel name or URL", span)?;
            match channel.as_str() {
                "nodefaults" => continue,
                "defaults" => {
                    return Err(EnvFileError::DefaultsChannel {
                        src: self.src.clone(),
                        span,
                    })
                }
                _ => {}
            }
            if channel.contains(char::is_whitespace) {
                return Err(EnvFileError::InvalidChannel {
                    channel,
                    reason: "a channel name or URL cannot contain whitespace".to_string(),
                    src: self.src.clone(),
                    span,
                });
            }
            if let Some(first) = channels.iter().find(|seen| seen.value == channel) {
                return Err(self.duplicate_entry("channels", channel, first.span, span));
            }
            channels.push(self.spanned(channel, span));
        }
        Ok(channels)
    }

    fn platforms(
        &self,
        key: &MarkedScalarNode,
        value: &Node,
    ) -> Result<Vec<Spanned<Platform>>, EnvFileError> {
        let items = self.list_items(key, value, "a list of conda subdir names")?;
        let mut platforms: Vec<Spanned<Platform>> = Vec::new();
        for (item, span) in items {
            let (_, name) = self.string_item(item, "platforms", "a conda subdir name", span)?;
            let platform = match Platform::from_str(&name) {
                Ok(Platform::NoArch) => {
                    return Err(EnvFileError::NoarchPlatform {
                        src: self.src.clone(),
                        span,
                    })
                }
                Ok(platform) => platform,
                Err(_) => return Err(self.unknown_platform(name, span)),
            };
            if let Some(first) = platforms.iter().find(|seen| seen.value == platform) {
                return Err(self.duplicate_entry("platforms", name, first.span, span));
            }
            platforms.push(self.spanned(platform, span));
        }
        Ok(platforms)
    }

    fn variables(
        &self,
        key: &MarkedScalarNode,
        value: &Node,
    ) -> Result<BTreeMap<String, String>, EnvFileError> {
        let mapping = match value {
            Node::Mapping(mapping) => mapping,
            Node::Scalar(scalar) if yaml::describe_scalar(scalar) == "null" => {
                return Ok(BTreeMap::new())
            }
            other => {
                return Err(self.wrong_type(
                    "variables",
                    "a mapping of variable names to values",
                    yaml::describe(other),
                    "write one `NAME: value` line per variable, indented under `variables:`"
                        .to_string(),
                    self.value_span(key, value),
                ))
            }
        };
        let mut variables = BTreeMap::new();
        for (name, value) in mapping.iter() {
            let key = format!("variables.{}", name.as_str());
            let span = self.value_span(name, value);
            let text = match value {
                Node::Scalar(scalar) if yaml::describe_scalar(scalar) != "null" => {
                    scalar.as_str().to_string()
                }
                other => {
                    return Err(self.wrong_type(
                        &key,
                        "a string",
                        yaml::describe(other),
                        format!(
                            "write the value on the same line, for example `{}: \"value\"`",
                            name.as_str()
                        ),
                        span,
                    ))
                }
            };
            if let Some(reason) = invalid_variable(name.as_str(), &text) {
                return Err(EnvFileError::InvalidVariable {
                    name: name.as_str().to_string(),
                    reason,
                    src: self.src.clone(),
                    span: self.text.scalar_span(name),
                });
            }
            variables.insert(name.as_str().to_string(), text);
        }
        Ok(variables)
    }

    /// Accepts conda-lock's `category: main`, which means the same as no `category`.
    fn category(&self, key: &MarkedScalarNode, value: &Node) -> Result<(), EnvFileError> {
        let span = self.value_span(key, value);
        let (_, category) = self.string_item(value, "category", "a category name", span)?;
        if category == MAIN_CATEGORY {
            return Ok(());
        }
        Err(EnvFileError::UnsupportedCategory {
            category,
            src: self.src.clone(),
            span,
        })
    }

    fn unknown_key(&self, key: &MarkedScalarNode) -> EnvFileError {
        let name = key.as_str();
        let allowed = format!("allowed keys are {}", ALLOWED_KEYS.join(", "));
        let help = if let Some((_, reason)) = CONDA_LOCK_KEYS.iter().find(|(k, _)| *k == name) {
            format!("{reason}. The {allowed}")
        } else if let Some(close) = closest(name, ALLOWED_KEYS.iter().copied()) {
            format!("did you mean `{close}`? The {allowed}")
        } else {
            format!("remove the key. The {allowed}")
        };
        EnvFileError::UnknownKey {
            key: name.to_string(),
            help,
            src: self.src.clone(),
            span: self.text.scalar_span(key),
        }
    }

    fn unknown_platform(&self, name: String, span: SourceSpan) -> EnvFileError {
        let alias = PLATFORM_ALIASES
            .iter()
            .find(|(alias, _)| *alias == name)
            .map(|(_, subdir)| *subdir);
        let suggestion = alias.or_else(|| closest(&name, Platform::all().map(Platform::as_str)));
        let help = match suggestion {
            Some(subdir) => format!(
                "did you mean `{subdir}`? Platforms are conda subdir names such as {COMMON_PLATFORMS}"
            ),
            None => format!("use a conda subdir name such as {COMMON_PLATFORMS}"),
        };
        EnvFileError::UnknownPlatform {
            platform: name,
            help,
            src: self.src.clone(),
            span,
        }
    }

    fn duplicate_entry(
        &self,
        key: &str,
        value: String,
        first_span: SourceSpan,
        span: SourceSpan,
    ) -> EnvFileError {
        EnvFileError::DuplicateEntry {
            key: key.to_string(),
            value,
            first_span,
            src: self.src.clone(),
            span,
        }
    }

    fn missing_dependencies(&self, root: &MarkedMappingNode) -> EnvFileError {
        let span = root
            .keys()
            .next()
            .map_or_else(|| self.text.span(0..0), |key| self.text.scalar_span(key));
        EnvFileError::MissingDependencies {
            src: self.src.clone(),
            span,
        }
    }
}

/// Returns the candidate within edit distance 2 of `word`, the first one on a tie.
fn closest<'c>(word: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .map(|candidate| (edit_distance(word, candidate), candidate))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over characters.
fn edit_distance(left: &str, right: &str) -> usize {
    let right: Vec<char> = right.chars().collect();
    let mut previous: Vec<usize> = (0..=right.len()).collect();
    for (i, left_char) in left.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, right_char) in right.iter().enumerate() {
            let substitution = previous[j] + usize::from(left_char != *right_char);
            let deletion = previous[j + 1] + 1;
            let insertion = current[j] + 1;
            current.push(substitution.min(deletion).min(insertion));
        }
        previous = current;
    }
    previous[right.len()]
}

/// Why a `variables:` entry cannot be written into `activate.sh` and
/// Dockerfile `ENV` lines, or `None` when it can.
fn invalid_variable(name: &str, value: &str) -> Option<String> {
    let mut chars = name.chars();
    let valid_name = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid_name {
        return Some("a shell variable name has only letters, digits and `_` and does not start with a digit".to_string());
    }
    if name == "PATH" || name == "CONDA_PREFIX" {
        return Some(format!(
            "{name} is set by envlock from the prefix; setting it here would replace it"
        ));
    }
    if value.contains(['\n', '\r', '\0']) {
        return Some("the value spans several lines or contains a NUL byte".to_string());
    }
    None
}

//! Channels, their canonical URLs and the mirrors they are fetched from.
//!
//! A lock always names a channel by its canonical URL
//! (`https://conda.anaconda.org/conda-forge/`), stripped of credentials. A
//! `--mirror NAME=URL` only changes where envlock fetches from; the records it
//! reads there are rewritten back to the canonical URL before they reach the
//! solver or the lock.

use std::path::Path;
use std::str::FromStr;

use rattler_conda_types::{Channel, ChannelConfig};
use url::Url;

/// An error while resolving channels or mirrors.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ChannelError {
    /// A channel name or URL could not be parsed.
    #[error("invalid channel '{channel}': {reason}")]
    #[diagnostic(help("use a channel name such as conda-forge, or an http(s):// or file:// URL"))]
    InvalidChannel {
        /// The channel as written.
        channel: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A `--mirror` value does not have the `NAME=URL` shape.
    #[error("invalid mirror '{value}': expected NAME=URL, e.g. conda-forge=http://127.0.0.1:8000/conda-forge/")]
    #[diagnostic(help("for example: --mirror conda-forge=http://127.0.0.1:8000/conda-forge/"))]
    MirrorShape {
        /// The value as given.
        value: String,
    },
    /// The URL of a mirror could not be parsed.
    #[error("invalid mirror URL '{url}' for channel '{channel}': {reason}")]
    #[diagnostic(help(
        "mirror URLs are file://, http:// or https:// URLs, or an absolute directory path"
    ))]
    MirrorUrl {
        /// The channel the mirror is for.
        channel: String,
        /// The URL as given (credentials redacted).
        url: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A mirror names a channel that the environment does not use.
    #[error("mirror given for channel '{channel}', which is not among the channels of the environment ({known})")]
    #[diagnostic(help("check the spelling, or add the channel to the environment file"))]
    UnusedMirror {
        /// The channel named by the mirror.
        channel: String,
        /// The channels in use.
        known: String,
    },
}

/// One `--mirror NAME=URL` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    /// The channel as named by the user (a name or a URL).
    pub channel: String,
    /// The mirror's base URL, with a trailing slash.
    pub url: Url,
}

impl FromStr for Mirror {
    type Err = ChannelError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let (channel, url) = value
            .split_once('=')
            .filter(|(c, u)| !c.trim().is_empty() && !u.trim().is_empty())
            .ok_or_else(|| ChannelError::MirrorShape {
                value: redact_text(value),
            })?;
        let url = parse_location(url.trim()).map_err(|reason| ChannelError::MirrorUrl {
            channel: channel.to_string(),
            url: redact_text(url),
            reason,
        })?;
        Ok(Self {
            channel: channel.trim().to_string(),
            url,
        })
    }
}

/// The environment variable with default mirrors, as space-separated `NAME=URL` values.
pub const MIRROR_VARIABLE: &str = "ENVLOCK_MIRROR";

/// Returns `given` when it is not empty, else the mirrors in
/// `ENVLOCK_MIRROR`; an empty or unset variable means no mirrors.
pub fn mirrors_or_env(given: &[Mirror]) -> Result<Vec<Mirror>, ChannelError> {
    if !given.is_empty() {
        return Ok(given.to_vec());
    }
    let Ok(value) = std::env::var(MIRROR_VARIABLE) else {
        return Ok(Vec::new());
    };
    let mirrors = value
        .split_whitespace()
        .map(Mirror::from_str)
        .collect::<Result<Vec<_>, _>>()?;
    if !mirrors.is_empty() {
        tracing::info!(
            count = mirrors.len(),
            "using mirrors from {MIRROR_VARIABLE}"
        );
    }
    Ok(mirrors)
}

/// Parses a URL or an absolute directory path into a base URL ending in `/`.
fn parse_location(text: &str) -> Result<Url, String> {
    let url = if text.contains("://") {
        Url::parse(text).map_err(|e| e.to_string())?
    } else {
        let path = Path::new(text);
        if !path.is_absolute() {
            return Err("a directory path must be absolute".to_string());
        }
        Url::from_directory_path(path).map_err(|()| "not a valid directory path".to_string())?
    };
    match url.scheme() {
        "file" | "http" | "https" => Ok(with_trailing_slash(url)),
        other => Err(format!("unsupported scheme '{other}'")),
    }
}

fn with_trailing_slash(mut url: Url) -> Url {
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url
}

/// A channel of the environment: where it is fetched from and how the lock names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelSource {
    /// The channel as written in the environment file.
    pub name: String,
    /// The canonical base URL written into the lock, without credentials.
    pub canonical: Url,
    /// The base URL envlock fetches from: the mirror, or the channel itself.
    pub fetch: Url,
}

impl ChannelSource {
    /// Rewrites a URL under [`Self::fetch`] to the same path under
    /// [`Self::canonical`]; other URLs are returned without credentials.
    pub fn to_canonical(&self, url: &Url) -> Url {
        let stripped = strip_credentials(url);
        let fetch = strip_credentials(&self.fetch);
        match stripped.as_str().strip_prefix(fetch.as_str()) {
            Some(rest) => self.canonical.join(rest).unwrap_or(stripped),
            None => stripped,
        }
    }

    /// Rewrites a canonical URL under [`Self::canonical`] to the same path
    /// under [`Self::fetch`] (the mirror); other URLs are returned unchanged.
    pub fn to_fetch(&self, url: &Url) -> Option<Url> {
        let rest = url.as_str().strip_prefix(self.canonical.as_str())?;
        self.fetch.join(rest).ok()
    }

    /// The rattler channel to fetch from.
    pub fn fetch_channel(&self) -> Channel {
        Channel::from_url(self.fetch.clone())
    }
}

/// Resolves the environment's channel names to sources, applying mirrors.
pub fn resolve_channels(
    names: &[String],
    mirrors: &[Mirror],
    root_dir: &Path,
) -> Result<Vec<ChannelSource>, ChannelError> {
    let config = ChannelConfig::default_with_root_dir(root_dir.to_path_buf());
    let mut sources = Vec::new();
    for name in names {
        let original = canonical_url(name, &config)?;
        let canonical = strip_credentials(&original);
        let fetch = match find_mirror(&canonical, mirrors, &config)? {
            Some(mirror) => {
                tracing::info!(channel = %name, mirror = %redact_url(&mirror.url), "fetching channel from mirror");
                mirror.url.clone()
            }
            None => original,
        };
        sources.push(ChannelSource {
            name: name.clone(),
            canonical,
            fetch,
        });
    }
    for mirror in mirrors {
        let target = strip_credentials(&canonical_url(&mirror.channel, &config)?);
        if !sources.iter().any(|s| s.canonical == target) {
            return Err(ChannelError::UnusedMirror {
                channel: mirror.channel.clone(),
                known: names.join(", "),
            });
        }
    }
    Ok(sources)
}

fn find_mirror<'a>(
    canonical: &Url,
    mirrors: &'a [Mirror],
    config: &ChannelConfig,
) -> Result<Option<&'a Mirror>, ChannelError> {
    for mirror in mirrors {
        let target = strip_credentials(&canonical_url(&mirror.channel, config)?);
        if &target == canonical {
            return Ok(Some(mirror));
        }
    }
    Ok(None)
}

/// The canonical base URL of a channel name or URL, keeping credentials.
fn canonical_url(name: &str, config: &ChannelConfig) -> Result<Url, ChannelError> {
    let channel = Channel::from_str(name, config).map_err(|e| ChannelError::InvalidChannel {
        channel: redact_text(name),
        reason: e.to_string(),
    })?;
    Ok(with_trailing_slash(channel.base_url.url().clone().into()))
}

/// Removes userinfo, a `/t/<token>/` prefix and the query string from a URL,
/// so it can be written into a lock or an explicit file.
pub fn strip_credentials(url: &Url) -> Url {
    rattler_redaction::strip_url_for_serialization(url)
}

/// Masks credentials in a URL for display (`********`), keeping it recognisable.
pub fn redact_url(url: &Url) -> Url {
    let mut url =
        rattler_redaction::redact_url_for_display(url, rattler_redaction::DEFAULT_REDACTION_STR)
            .unwrap_or_else(|| url.clone());
    if !url.username().is_empty() {
        let _ = url.set_username(rattler_redaction::DEFAULT_REDACTION_STR);
    }
    if url.query().is_some() {
        url.set_query(Some(rattler_redaction::DEFAULT_REDACTION_STR));
    }
    url
}

/// Masks every URL with credentials inside a free text, also where the URL
/// is wrapped in brackets or quotes or followed by punctuation, as in
/// reqwest's "error sending request for url (http://...)".
pub fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((start, end)) = next_url_span(rest) {
        out.push_str(&rest[..start]);
        let candidate = &rest[start..end];
        match Url::parse(candidate) {
            Ok(url) if url.has_host() => out.push_str(redact_url(&url).as_str()),
            _ => out.push_str(candidate),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Finds the byte range of the next `scheme://...` run in `text`: the scheme
/// letters before `://`, up to whitespace, a closing bracket or a quote,
/// without trailing sentence punctuation.
fn next_url_span(text: &str) -> Option<(usize, usize)> {
    let separator = text.find("://")?;
    let start = text[..separator]
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
        .map_or(0, |(index, c)| index + c.len_utf8());
    let after = separator + 3;
    let length = text[after..]
        .find(|c: char| c.is_whitespace() || matches!(c, ')' | ']' | '}' | '>' | '"' | '\'' | '`'))
        .unwrap_or(text.len() - after);
    let end = after
        + text[after..after + length]
            .trim_end_matches(['.', ',', ';', ':'])
            .len();
    Some((start, end.max(after)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_rewrites_to_canonical() {
        let mirrors = vec![Mirror::from_str("conda-forge=http://127.0.0.1:9/cf").unwrap()];
        let sources = resolve_channels(&["conda-forge".into()], &mirrors, Path::new("/")).unwrap();
        let source = &sources[0];
        assert_eq!(
            source.canonical.as_str(),
            "https://conda.anaconda.org/conda-forge/"
        );
        assert_eq!(source.fetch.as_str(), "http://127.0.0.1:9/cf/");
        let record = Url::parse("http://127.0.0.1:9/cf/linux-64/a-1-0.conda").unwrap();
        assert_eq!(
            source.to_canonical(&record).as_str(),
            "https://conda.anaconda.org/conda-forge/linux-64/a-1-0.conda"
        );
    }

    #[test]
    fn token_and_userinfo_are_stripped() {
        let sources = resolve_channels(
            &["https://user:secret@example.invalid/t/tok123/private/".into()],
            &[],
            Path::new("/"),
        )
        .unwrap();
        assert_eq!(
            sources[0].canonical.as_str(),
            "https://example.invalid/private/"
        );
        assert!(sources[0].fetch.as_str().contains("tok123"));
    }

    #[test]
    fn redaction_masks_secrets() {
        let text = redact_text("failed https://user:pw@example.invalid/t/abc/x/?token=1 now");
        assert!(!text.contains("pw"), "{text}");
        assert!(!text.contains("abc"), "{text}");
        assert!(!text.contains("token=1"), "{text}");
        assert!(text.contains("********"));
    }

    #[test]
    fn redaction_finds_wrapped_urls() {
        let text = redact_text(
            "error sending request for url (http://127.0.0.1:1/t/tok-9/x.json): refused",
        );
        assert!(!text.contains("tok-9"), "{text}");
        assert!(
            text.contains("(http://127.0.0.1:1/t/********/x.json): refused"),
            "{text}"
        );
        let text =
            redact_text("fetching 'https://u:pw9@h.invalid/c/?k=v9', then \"file:///tmp/x\".");
        assert!(!text.contains("pw9"), "{text}");
        assert!(!text.contains("v9"), "{text}");
        assert!(text.ends_with("\"file:///tmp/x\"."), "{text}");
        assert_eq!(redact_text("no url here: a://"), "no url here: a://");
        assert_eq!(redact_text("aɞ2://x ɞ://"), "aɞ2://x ɞ://");
    }

    #[test]
    fn unused_mirror_is_an_error() {
        let mirrors = vec![Mirror::from_str("bioconda=/tmp/x").unwrap()];
        let error =
            resolve_channels(&["conda-forge".into()], &mirrors, Path::new("/")).unwrap_err();
        assert!(error.to_string().contains("bioconda"));
    }
}

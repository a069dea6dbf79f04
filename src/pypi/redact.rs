//! Removal of index credentials from URLs and from text that may contain URLs.

use url::Url;

/// The text that replaces credentials in URLs shown to people.
pub const REDACTED: &str = "********";

/// Credentials taken from the userinfo part of an index URL.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) username: String,
    pub(crate) password: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Splits a URL into the URL without userinfo and the credentials it held.
pub(crate) fn split_credentials(url: &Url) -> (Url, Option<Credentials>) {
    if url.username().is_empty() && url.password().is_none() {
        return (url.clone(), None);
    }
    let credentials = Credentials {
        username: percent_decode(url.username()),
        password: url.password().map(percent_decode),
    };
    (strip_credentials(url), Some(credentials))
}

/// Returns the URL without username and password.
pub fn strip_credentials(url: &Url) -> Url {
    let mut stripped = url.clone();
    // Both calls only fail for URLs that cannot have a userinfo part at all
    // (`mailto:` and the like), which then have nothing to strip.
    let _ = stripped.set_username("");
    let _ = stripped.set_password(None);
    stripped
}

/// Formats a URL for messages and logs, with any userinfo replaced by
/// [`REDACTED`].
pub fn redact_url(url: &Url) -> String {
    if url.username().is_empty() && url.password().is_none() {
        return url.to_string();
    }
    let mut redacted = strip_credentials(url);
    let _ = redacted.set_username(REDACTED);
    redacted.to_string()
}

/// Replaces the userinfo of every `scheme://user:password@host` in free text
/// by [`REDACTED`], so that requirement lines can appear in error messages.
pub fn redact_text(text: &str) -> String {
    let mut output = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(position) = rest.find("://") {
        let (before, after_scheme) = rest.split_at(position + 3);
        output.push_str(before);
        let authority_end = after_scheme
            .find(|c: char| matches!(c, '/' | '?' | '#' | '"' | '\'') || c.is_whitespace())
            .unwrap_or(after_scheme.len());
        let authority = &after_scheme[..authority_end];
        match authority.rfind('@') {
            Some(at) => {
                output.push_str(REDACTED);
                output.push_str(&authority[at..]);
            }
            None => output.push_str(authority),
        }
        rest = &after_scheme[authority_end..];
    }
    output.push_str(rest);
    output
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_url_hides_userinfo() {
        let url = Url::parse("https://user:s3cret@pypi.example.org/simple/").unwrap();
        let shown = redact_url(&url);
        assert_eq!(shown, "https://********@pypi.example.org/simple/");
        assert!(!shown.contains("s3cret"));
    }

    #[test]
    fn split_credentials_decodes_and_strips() {
        let url = Url::parse("https://us%40er:p%3Ass@host/simple/").unwrap();
        let (stripped, credentials) = split_credentials(&url);
        let credentials = credentials.unwrap();
        assert_eq!(stripped.as_str(), "https://host/simple/");
        assert_eq!(credentials.username, "us@er");
        assert_eq!(credentials.password.as_deref(), Some("p:ss"));
        assert_eq!(format!("{credentials:?}"), REDACTED);
    }

    #[test]
    fn redact_text_in_requirement_lines() {
        assert_eq!(
            redact_text("-e git+https://token:x-oauth@github.com/o/r.git#egg=r"),
            "-e git+https://********@github.com/o/r.git#egg=r"
        );
        assert_eq!(
            redact_text("--index-url https://a:b@h/simple --pre"),
            "--index-url https://********@h/simple --pre"
        );
        assert_eq!(redact_text("numpy>=1.0"), "numpy>=1.0");
        assert_eq!(redact_text("https://h/simple"), "https://h/simple");
    }
}

//! Faults that the test server injects into responses for matching paths.

use std::time::Duration;

/// A misbehaviour of the server for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Closes the connection without sending a response.
    ///
    /// NOTE: the standard library cannot set `SO_LINGER`, so the client sees
    /// an orderly close (FIN) rather than a TCP reset (RST). HTTP clients
    /// report both as a connection error before the response.
    Reset,
    /// Responds with `code` and a short text body. With `retry_after` set,
    /// the response has a `Retry-After` header with that many seconds.
    Status {
        /// HTTP status code, for example 500 or 503.
        code: u16,
        /// Seconds for the `Retry-After` header.
        retry_after: Option<u64>,
    },
    /// Sends the headers of the normal response, then only the first
    /// `after_bytes` bytes of the body, then closes the connection.
    TruncateBody {
        /// Body bytes sent before the close.
        after_bytes: u64,
    },
    /// Sends the normal body under a `Content-Length` of `declared` bytes,
    /// then closes the connection.
    WrongContentLength {
        /// The `Content-Length` value sent.
        declared: u64,
    },
    /// Waits `delay`, then sends the normal response.
    Stall {
        /// Time before the response starts.
        delay: Duration,
    },
    /// Sends the body at no more than `bytes_per_second`.
    Slow {
        /// Upper bound on the body rate. The server treats 0 as 1.
        bytes_per_second: u64,
    },
}

/// A fault bound to the request paths that match a pattern.
#[derive(Debug, Clone)]
pub(crate) struct FaultRule {
    pub pattern: String,
    pub fault: Fault,
    /// Number of further matching requests that get the fault, or `None` for all.
    pub remaining: Option<usize>,
}

impl FaultRule {
    /// Returns the fault for `path` and counts it against `remaining`.
    pub fn take(&mut self, path: &str) -> Option<Fault> {
        if self.remaining == Some(0) || !glob_matches(&self.pattern, path) {
            return None;
        }
        if let Some(remaining) = self.remaining.as_mut() {
            *remaining -= 1;
        }
        Some(self.fault.clone())
    }
}

/// Matches `path` (relative to the server root, without a leading `/`)
/// against `pattern`, where `*` matches any run of characters including `/`
/// and `?` matches one character.
pub(crate) fn glob_matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let path: Vec<char> = path.chars().collect();
    let (mut p, mut s) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;

    while s < path.len() {
        match pattern.get(p) {
            Some('*') => {
                backtrack = Some((p, s));
                p += 1;
            }
            Some(&c) if c == '?' || c == path[s] => {
                p += 1;
                s += 1;
            }
            _ => match backtrack {
                // Let the last `*` absorb one more character and retry.
                Some((star, matched)) => {
                    p = star + 1;
                    s = matched + 1;
                    backtrack = Some((star, matched + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_cases() {
        let cases = [
            ("linux-64/repodata.json", "linux-64/repodata.json", true),
            ("*/repodata.json", "noarch/repodata.json", true),
            ("*.conda", "linux-64/nwchem-7.3.1-x_0.conda", true),
            ("linux-64/*", "linux-aarch64/a.conda", false),
            ("*nwchem*", "linux-aarch64/nwchem-7.3.1-x_0.conda", true),
            ("?oarch/*", "noarch/x", true),
            ("*.json", "linux-64/repodata.json.zst", false),
            ("", "", true),
            ("*", "", true),
        ];
        for (pattern, path, expected) in cases {
            assert_eq!(glob_matches(pattern, path), expected, "{pattern} vs {path}");
        }
    }

    #[test]
    fn rule_counts_down() {
        let mut rule = FaultRule {
            pattern: "*".into(),
            fault: Fault::Reset,
            remaining: Some(2),
        };
        assert_eq!(rule.take("a"), Some(Fault::Reset));
        assert_eq!(rule.take("a"), Some(Fault::Reset));
        assert_eq!(rule.take("a"), None);
    }
}

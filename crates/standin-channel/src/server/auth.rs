//! Credentials the test server can require, in the forms conda clients send:
//! HTTP basic authentication, a bearer token, or a conda token in the path
//! (`/t/<token>/...`).

/// The credentials every request must carry. A request without them gets
/// `401 Unauthorized`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Basic base64(username:password)`.
    Basic {
        /// The expected user name.
        username: String,
        /// The expected password.
        password: String,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// A `/t/<token>/` prefix on the path, which the server strips before
    /// it looks up the file and applies faults.
    PathToken(String),
}

impl Auth {
    /// Checks a request. Returns the path to serve (without a conda token
    /// prefix), or `None` when the credentials are missing or wrong.
    pub(crate) fn authorize(&self, path: &str, authorization: Option<&str>) -> Option<String> {
        match self {
            Auth::Basic { username, password } => {
                let expected = format!(
                    "Basic {}",
                    base64(format!("{username}:{password}").as_bytes())
                );
                (authorization == Some(expected.as_str())).then(|| path.to_string())
            }
            Auth::Bearer(token) => {
                let expected = format!("Bearer {token}");
                (authorization == Some(expected.as_str())).then(|| path.to_string())
            }
            Auth::PathToken(token) => {
                let rest = path.strip_prefix(&format!("/t/{token}/"))?;
                Some(format!("/{rest}"))
            }
        }
    }
}

/// Standard base64 with padding (RFC 4648), enough for a basic-auth header.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let value = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for index in 0..4 {
            if index <= chunk.len() {
                out.push(char::from(
                    ALPHABET[(value >> (18 - 6 * index) & 63) as usize],
                ));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("user:pass", "dXNlcjpwYXNz"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected, "{input}");
        }
    }

    #[test]
    fn path_token_is_stripped() {
        let auth = Auth::PathToken("abc".into());
        assert_eq!(
            auth.authorize("/t/abc/linux-64/x", None).as_deref(),
            Some("/linux-64/x")
        );
        assert_eq!(auth.authorize("/linux-64/x", None), None);
        assert_eq!(auth.authorize("/t/abd/linux-64/x", None), None);
    }

    #[test]
    fn basic_needs_exact_header() {
        let auth = Auth::Basic {
            username: "user".into(),
            password: "pass".into(),
        };
        assert!(auth.authorize("/x", Some("Basic dXNlcjpwYXNz")).is_some());
        assert!(auth.authorize("/x", Some("Basic dXNlcjpwYXNa")).is_none());
        assert!(auth.authorize("/x", None).is_none());
    }
}

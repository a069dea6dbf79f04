//! Core metadata (`METADATA`, PEP 566/643 email-header format): the fields the
//! resolver needs.

use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{PackageName, Requirement};

/// The resolver's view of a distribution's core metadata.
#[derive(Debug, Clone)]
pub(crate) struct CoreMetadata {
    pub(crate) name: PackageName,
    pub(crate) version: Version,
    pub(crate) requires_dist: Vec<Requirement>,
    pub(crate) requires_python: Option<VersionSpecifiers>,
}

impl CoreMetadata {
    /// Parses the header block of a METADATA file. The body (the long
    /// description after the first blank line) is ignored.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, String> {
        let text = String::from_utf8_lossy(bytes);
        let headers = headers(&text);
        let field = |key: &str| {
            headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(key))
                .map(|(_, value)| value.as_str())
        };

        let name = field("Name").ok_or("the Name field is missing")?;
        let name = PackageName::from_str(name)
            .map_err(|error| format!("invalid Name `{name}`: {error}"))?;
        let version = field("Version").ok_or("the Version field is missing")?;
        let version = Version::from_str(version)
            .map_err(|error| format!("invalid Version `{version}`: {error}"))?;
        let requires_python = match field("Requires-Python").filter(|value| !value.is_empty()) {
            Some(value) => Some(
                VersionSpecifiers::from_str(value)
                    .map_err(|error| format!("invalid Requires-Python `{value}`: {error}"))?,
            ),
            None => None,
        };
        let mut requires_dist = Vec::new();
        for (key, value) in &headers {
            if key.eq_ignore_ascii_case("Requires-Dist") {
                let requirement = Requirement::from_str(value)
                    .map_err(|error| format!("invalid Requires-Dist `{value}`: {error}"))?;
                requires_dist.push(requirement);
            }
        }
        Ok(Self {
            name,
            version,
            requires_dist,
            requires_python,
        })
    }
}

/// Splits the header block into (name, value) pairs, joining continuation
/// lines (lines that start with whitespace).
fn headers(text: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        // Only an empty line ends the headers: a whitespace-only line is a
        // continuation (multi-line License fields contain them).
        if line.is_empty() || line == "\r" {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((key, value)) = line.split_once(':') {
            headers.push((key.trim().to_string(), value.trim().to_string()));
        }
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reads_fields_and_stops_at_body() {
        let text = b"Metadata-Version: 2.4\nLicense: first\n        \n        second\nName: Email_Validator\nVersion: 2.3.0\nRequires-Python: >=3.8\nRequires-Dist: dnspython>=2.0.0\nRequires-Dist: idna>=2.0.0\nRequires-Dist: pytest ; extra == 'test'\n\nRequires-Dist: not-a-header\n";
        let metadata = CoreMetadata::parse(text).unwrap();
        assert_eq!(metadata.name.as_ref(), "email-validator");
        assert_eq!(metadata.version.to_string(), "2.3.0");
        assert_eq!(metadata.requires_dist.len(), 3);
        assert_eq!(metadata.requires_python.unwrap().to_string(), ">=3.8");
    }

    #[test]
    fn parse_rejects_missing_name() {
        assert!(CoreMetadata::parse(b"Version: 1.0\n").is_err());
    }
}

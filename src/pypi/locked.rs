//! Locked wheels: the result of a resolution and the input of an install,
//! with a lossless conversion to and from `rattler_lock`'s PyPI records.

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{PackageName, Requirement};
use rattler_lock::{PackageHashes, PypiDistributionData, PypiPackageData, UrlOrPath, Verbatim};
use url::Url;

/// An error while reading a locked PyPI record.
#[derive(Debug, thiserror::Error)]
pub enum LockedWheelError {
    /// The record is a local source directory, not a wheel.
    #[error("locked PyPI package `{name}` is a source directory; only wheels can be installed")]
    NotAWheel {
        /// The package.
        name: String,
    },
    /// The record's location is a path or does not end in a file name.
    #[error("locked PyPI package `{name}` has location `{location}`, not a wheel URL")]
    InvalidLocation {
        /// The package.
        name: String,
        /// The location as written.
        location: String,
    },
    /// The record has no sha256.
    #[error("locked PyPI package `{name}` has no sha256; envlock installs only hashed wheels")]
    MissingHash {
        /// The package.
        name: String,
    },
}

/// A wheel chosen for one platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedWheel {
    /// The normalised distribution name.
    pub name: PackageName,
    /// The version.
    pub version: Version,
    /// The wheel file name, e.g. `orjson-3.11.5-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl`.
    pub filename: String,
    /// The download URL, without credentials.
    pub url: Url,
    /// The sha256 of the wheel as lowercase hex.
    pub sha256: String,
    /// The distribution's `Requires-Dist` entries, unevaluated.
    pub requires_dist: Vec<Requirement>,
    /// The distribution's `Requires-Python`.
    pub requires_python: Option<VersionSpecifiers>,
    /// The index the wheel was found on, without credentials.
    pub index_url: Url,
}

impl LockedWheel {
    /// Converts to the record `rattler_lock` stores for a PyPI wheel.
    pub fn to_pypi_package_data(&self) -> PypiPackageData {
        let hash = rattler_digest::parse_digest_from_hex::<rattler_digest::Sha256>(&self.sha256)
            .map(PackageHashes::Sha256);
        PypiPackageData::Distribution(Box::new(PypiDistributionData {
            name: self.name.clone(),
            version: self.version.clone(),
            location: Verbatim::new(UrlOrPath::Url(self.url.clone())),
            index_url: Some(self.index_url.clone()),
            hash,
            requires_dist: self.requires_dist.clone(),
            requires_python: self.requires_python.clone(),
        }))
    }

    /// Reads a wheel back from a `rattler_lock` PyPI record.
    pub fn from_pypi_package_data(data: &PypiPackageData) -> Result<Self, LockedWheelError> {
        let wheel = data.as_wheel().ok_or_else(|| LockedWheelError::NotAWheel {
            name: data.name().to_string(),
        })?;
        let name = wheel.name.to_string();
        let invalid_location = || LockedWheelError::InvalidLocation {
            name: name.clone(),
            location: wheel.location.to_string(),
        };
        let url = match wheel.location.inner() {
            UrlOrPath::Url(url) => url.clone(),
            UrlOrPath::Path(_) => return Err(invalid_location()),
        };
        let filename = url
            .path_segments()
            .and_then(|mut segments| segments.next_back())
            .filter(|last| last.ends_with(".whl"))
            .map(|last| {
                percent_encoding::percent_decode_str(last)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .ok_or_else(invalid_location)?;
        let sha256 = match &wheel.hash {
            Some(PackageHashes::Sha256(sha256)) | Some(PackageHashes::Md5Sha256(_, sha256)) => {
                hex::encode(sha256)
            }
            _ => return Err(LockedWheelError::MissingHash { name }),
        };
        let index_url = wheel.index_url.clone().unwrap_or_else(|| url.clone());
        Ok(Self {
            name: wheel.name.clone(),
            version: wheel.version.clone(),
            filename,
            url,
            sha256,
            requires_dist: wheel.requires_dist.clone(),
            requires_python: wheel.requires_python.clone(),
            index_url,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn pypi_package_data_round_trip() {
        let wheel = LockedWheel {
            name: PackageName::from_str("tqdm").unwrap(),
            version: Version::from_str("4.67.1").unwrap(),
            filename: "tqdm-4.67.1-py3-none-any.whl".to_string(),
            url: Url::parse("https://files.example/packages/tqdm-4.67.1-py3-none-any.whl").unwrap(),
            sha256: "26445eca388f82e72884e0d580d5464cd801a3ea01e63e5601bdff9ba6a48de2".to_string(),
            requires_dist: vec![
                Requirement::from_str("colorama ; platform_system == 'Windows'").unwrap(),
            ],
            requires_python: Some(VersionSpecifiers::from_str(">=3.7").unwrap()),
            index_url: Url::parse("https://pypi.org/simple/").unwrap(),
        };
        let data = wheel.to_pypi_package_data();
        assert!(matches!(
            data.as_wheel().unwrap().hash,
            Some(PackageHashes::Sha256(_))
        ));
        let back = LockedWheel::from_pypi_package_data(&data).unwrap();
        assert_eq!(back, wheel);
    }
}

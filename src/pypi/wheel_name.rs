//! Wheel file names (`{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`).

use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::PackageName;

/// The parts of a wheel file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelFilename {
    /// The normalised distribution name.
    pub name: PackageName,
    /// The version.
    pub version: Version,
    /// The Python tag set, e.g. `cp311` or `py2.py3`.
    pub python_tag: String,
    /// The ABI tag set, e.g. `cp311`, `abi3` or `none`.
    pub abi_tag: String,
    /// The platform tag set, e.g. `manylinux_2_17_aarch64.manylinux2014_aarch64`.
    pub platform_tag: String,
}

impl WheelFilename {
    /// Parses a file name. Returns `None` for anything that is not a wheel
    /// name (source distributions, eggs, malformed names).
    pub fn parse(filename: &str) -> Option<Self> {
        let stem = filename.strip_suffix(".whl")?;
        let parts: Vec<&str> = stem.split('-').collect();
        let (name, version, tags) = match parts.as_slice() {
            [name, version, _build, python, abi, platform] => {
                (name, version, [python, abi, platform])
            }
            [name, version, python, abi, platform] => (name, version, [python, abi, platform]),
            _ => return None,
        };
        Some(Self {
            name: PackageName::from_str(name).ok()?,
            version: Version::from_str(version).ok()?,
            python_tag: tags[0].to_string(),
            abi_tag: tags[1].to_string(),
            platform_tag: tags[2].to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_platform_wheel() {
        let wheel = WheelFilename::parse(
            "orjson-3.11.5-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
        )
        .unwrap();
        assert_eq!(wheel.name.as_ref(), "orjson");
        assert_eq!(wheel.version.to_string(), "3.11.5");
        assert_eq!(wheel.abi_tag, "cp311");
        assert_eq!(
            wheel.platform_tag,
            "manylinux_2_17_aarch64.manylinux2014_aarch64"
        );
    }

    #[test]
    fn parse_build_tag_and_normalises_name() {
        let wheel = WheelFilename::parse("Foo_Bar-1.0-1-py3-none-any.whl").unwrap();
        assert_eq!(wheel.name.as_ref(), "foo-bar");
        assert_eq!(wheel.python_tag, "py3");
    }

    #[test]
    fn parse_rejects_other_files() {
        assert!(WheelFilename::parse("docopt-0.6.2.tar.gz").is_none());
        assert!(WheelFilename::parse("broken.whl").is_none());
    }
}

//! The platform a pip section is resolved for: wheel tags and PEP 508 marker
//! values of the target interpreter, never of the host.

use std::collections::HashMap;

use pep440_rs::Version;
use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder};
use rattler_conda_types::Subdir;

/// An error while describing a target platform.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// The conda platform has no wheel platform here.
    #[error("conda platform `{subdir}` is not supported for the pip section; supported: linux-64, linux-aarch64")]
    UnsupportedPlatform {
        /// The conda platform.
        subdir: String,
    },
    /// The Python version is not `3.MINOR` or `3.MINOR.PATCH`.
    #[error("invalid Python version `{value}`: expected 3.MINOR or 3.MINOR.PATCH, e.g. 3.11.14")]
    InvalidPythonVersion {
        /// The rejected value.
        value: String,
    },
    /// The glibc version is not `2.MINOR`.
    #[error("invalid glibc version `{value}`: expected 2.MINOR, e.g. 2.28")]
    InvalidGlibcVersion {
        /// The rejected value.
        value: String,
    },
}

/// A CPU architecture that has manylinux wheels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WheelArch {
    /// `x86_64`, conda's `linux-64`.
    X86_64,
    /// `aarch64`, conda's `linux-aarch64`.
    Aarch64,
}

impl WheelArch {
    /// Returns the name used in wheel platform tags and in `platform_machine`.
    pub fn as_str(self) -> &'static str {
        match self {
            WheelArch::X86_64 => "x86_64",
            WheelArch::Aarch64 => "aarch64",
        }
    }

    /// The oldest glibc minor version with a manylinux tag for this
    /// architecture (PEP 600: `manylinux1` is glibc 2.5 on x86_64, aarch64
    /// starts with `manylinux2014`, glibc 2.17).
    fn oldest_glibc_minor(self) -> u32 {
        match self {
            WheelArch::X86_64 => 5,
            WheelArch::Aarch64 => 17,
        }
    }

    /// Returns the ELF `e_machine` value of binaries for this architecture.
    pub fn elf_machine(self) -> u16 {
        match self {
            WheelArch::X86_64 => 62,
            WheelArch::Aarch64 => 183,
        }
    }
}

/// The target of a resolution: conda platform, CPython version and glibc
/// version of the environment the wheels are installed into.
#[derive(Debug, Clone)]
pub struct PypiTarget {
    subdir: Subdir,
    arch: WheelArch,
    python_version: Version,
    python_minor: u64,
    glibc_minor: u32,
}

impl PypiTarget {
    /// Describes a target from the conda platform, the version of the
    /// locked conda `python` record (e.g. `3.11.14`) and the platform's
    /// `__glibc` version (e.g. `2.28`).
    pub fn new(
        subdir: Subdir,
        python_version: &str,
        glibc_version: &str,
    ) -> Result<Self, TargetError> {
        let arch = match subdir {
            Subdir::Linux64 => WheelArch::X86_64,
            Subdir::LinuxAarch64 => WheelArch::Aarch64,
            other => {
                return Err(TargetError::UnsupportedPlatform {
                    subdir: other.to_string(),
                })
            }
        };
        let invalid_python = || TargetError::InvalidPythonVersion {
            value: python_version.to_string(),
        };
        let version: Version = python_version
            .trim()
            .parse()
            .map_err(|_| invalid_python())?;
        let release = version.release();
        if release.len() < 2 || release.len() > 3 || release[0] != 3 || version.any_prerelease() {
            return Err(invalid_python());
        }
        let python_minor = release[1];
        let glibc_minor = parse_glibc(glibc_version)?;
        Ok(Self {
            subdir,
            arch,
            python_version: version,
            python_minor,
            glibc_minor,
        })
    }

    /// Returns the conda platform.
    pub fn subdir(&self) -> Subdir {
        self.subdir
    }

    /// Returns the CPU architecture.
    pub fn arch(&self) -> WheelArch {
        self.arch
    }

    /// Returns the full CPython version.
    pub fn python_version(&self) -> &Version {
        &self.python_version
    }

    /// Returns the glibc version as `2.MINOR`.
    pub fn glibc_version(&self) -> String {
        format!("2.{}", self.glibc_minor)
    }

    /// Returns the CPython tag, e.g. `cp311`.
    pub fn python_tag(&self) -> String {
        format!("cp3{}", self.python_minor)
    }

    /// Formats the target for messages, e.g. `linux-aarch64 (cp311, glibc 2.28)`.
    pub fn describe(&self) -> String {
        format!(
            "{} ({}, glibc {})",
            self.subdir,
            self.python_tag(),
            self.glibc_version()
        )
    }

    /// Builds the PEP 508 marker values of the target interpreter.
    /// Kernel-specific values (`platform_release`, `platform_version`) are
    /// empty because the build machine's kernel is not the target's kernel.
    pub fn marker_environment(&self) -> MarkerEnvironment {
        let full = self.python_full_version();
        let short = format!("3.{}", self.python_minor);
        let builder = MarkerEnvironmentBuilder {
            implementation_name: "cpython",
            implementation_version: &full,
            os_name: "posix",
            platform_machine: self.arch.as_str(),
            platform_python_implementation: "CPython",
            platform_release: "",
            platform_system: "Linux",
            platform_version: "",
            python_full_version: &full,
            python_version: &short,
            sys_platform: "linux",
        };
        match MarkerEnvironment::try_from(builder) {
            Ok(environment) => environment,
            // Both version strings come from an already parsed `Version`.
            Err(error) => unreachable!("marker versions are valid: {error}"),
        }
    }

    fn python_full_version(&self) -> String {
        let release = self.python_version.release();
        let patch = release.get(2).copied().unwrap_or(0);
        format!("3.{}.{}", self.python_minor, patch)
    }

    /// Lists the platform tags of this target, best first (PEP 600 order:
    /// `manylinux_2_N` down to the oldest, legacy aliases next to their
    /// glibc version, `linux_<arch>` last).
    pub fn platform_tags(&self) -> Vec<String> {
        let arch = self.arch.as_str();
        let mut tags = Vec::new();
        let oldest = self.arch.oldest_glibc_minor();
        if self.glibc_minor >= oldest {
            for minor in (oldest..=self.glibc_minor).rev() {
                tags.push(format!("manylinux_2_{minor}_{arch}"));
                let legacy = match (minor, self.arch) {
                    (17, _) => Some("manylinux2014"),
                    (12, WheelArch::X86_64) => Some("manylinux2010"),
                    (5, WheelArch::X86_64) => Some("manylinux1"),
                    _ => None,
                };
                if let Some(legacy) = legacy {
                    tags.push(format!("{legacy}_{arch}"));
                }
            }
        }
        tags.push(format!("linux_{arch}"));
        tags
    }

    /// Ranks the wheel tags this target accepts (0 is best) in the order of
    /// the `packaging` library's `sys_tags()` for CPython.
    pub fn compatible_tags(&self) -> CompatibleTags {
        let platforms = self.platform_tags();
        let cp = self.python_tag();
        let mut ordered: Vec<(String, String, String)> = Vec::new();
        let mut push_all = |python: &str, abi: &str, platforms: &[String]| {
            for platform in platforms {
                ordered.push((python.to_string(), abi.to_string(), platform.clone()));
            }
        };

        push_all(&cp, &cp, &platforms);
        push_all(&cp, "abi3", &platforms);
        push_all(&cp, "none", &platforms);
        for minor in (2..self.python_minor).rev() {
            push_all(&format!("cp3{minor}"), "abi3", &platforms);
        }
        let py_tags = self.py_interpreter_tags();
        for python in &py_tags {
            push_all(python, "none", &platforms);
        }
        let any = ["any".to_string()];
        push_all(&cp, "none", &any);
        for python in &py_tags {
            push_all(python, "none", &any);
        }

        let mut ranks = HashMap::with_capacity(ordered.len());
        for (rank, tag) in ordered.into_iter().enumerate() {
            ranks.entry(tag).or_insert(rank);
        }
        CompatibleTags { ranks }
    }

    /// `py3MINOR`, `py3`, then every older `py3N`.
    fn py_interpreter_tags(&self) -> Vec<String> {
        let mut tags = vec![format!("py3{}", self.python_minor), "py3".to_string()];
        for minor in (0..self.python_minor).rev() {
            tags.push(format!("py3{minor}"));
        }
        tags
    }
}

fn parse_glibc(value: &str) -> Result<u32, TargetError> {
    let invalid = || TargetError::InvalidGlibcVersion {
        value: value.to_string(),
    };
    let mut parts = value.trim().split('.');
    let major = parts.next().ok_or_else(invalid)?;
    let minor = parts.next().ok_or_else(invalid)?;
    if major != "2" {
        return Err(invalid());
    }
    let minor = minor.parse::<u32>().map_err(|_| invalid())?;
    // A patch level (`2.28.1`) does not change the manylinux tags.
    for rest in parts {
        rest.parse::<u32>().map_err(|_| invalid())?;
    }
    Ok(minor)
}

/// The wheel tags a target accepts, each with its rank (lower is better).
#[derive(Debug, Clone)]
pub struct CompatibleTags {
    ranks: HashMap<(String, String, String), usize>,
}

impl CompatibleTags {
    /// Returns the best rank among all tag triples of a wheel file name, or
    /// `None` when the wheel does not fit the target. Compressed tag sets
    /// (`py2.py3`, `manylinux_2_17_x86_64.manylinux2014_x86_64`) are expanded.
    pub fn rank(&self, python: &str, abi: &str, platform: &str) -> Option<usize> {
        let mut best: Option<usize> = None;
        for python in python.split('.') {
            for abi in abi.split('.') {
                for platform in platform.split('.') {
                    let key = (python.to_string(), abi.to_string(), platform.to_string());
                    if let Some(&rank) = self.ranks.get(&key) {
                        best = Some(best.map_or(rank, |current| current.min(rank)));
                    }
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(subdir: Subdir, glibc: &str) -> PypiTarget {
        PypiTarget::new(subdir, "3.11.14", glibc).unwrap()
    }

    #[test]
    fn platform_tags_for_aarch64_stop_at_2014() {
        let tags = target(Subdir::LinuxAarch64, "2.28").platform_tags();
        assert_eq!(tags.first().unwrap(), "manylinux_2_28_aarch64");
        assert!(tags.contains(&"manylinux2014_aarch64".to_string()));
        assert!(tags.contains(&"manylinux_2_17_aarch64".to_string()));
        assert!(!tags.iter().any(|tag| tag.contains("manylinux1")));
        assert!(!tags.contains(&"manylinux_2_29_aarch64".to_string()));
        assert_eq!(tags.last().unwrap(), "linux_aarch64");
    }

    #[test]
    fn platform_tags_for_x86_64_include_legacy() {
        let tags = target(Subdir::Linux64, "2.28").platform_tags();
        for legacy in [
            "manylinux1_x86_64",
            "manylinux2010_x86_64",
            "manylinux2014_x86_64",
        ] {
            assert!(tags.contains(&legacy.to_string()), "{legacy} missing");
        }
        assert!(tags.contains(&"manylinux_2_5_x86_64".to_string()));
    }

    #[test]
    fn compatible_tags_rank_order() {
        let tags = target(Subdir::Linux64, "2.28").compatible_tags();
        let native = tags
            .rank(
                "cp311",
                "cp311",
                "manylinux_2_17_x86_64.manylinux2014_x86_64",
            )
            .unwrap();
        let abi3 = tags.rank("cp38", "abi3", "manylinux_2_17_x86_64").unwrap();
        let pure = tags.rank("py3", "none", "any").unwrap();
        assert!(native < abi3);
        assert!(abi3 < pure);
        assert_eq!(tags.rank("cp312", "cp312", "manylinux_2_17_x86_64"), None);
        assert_eq!(tags.rank("cp311", "cp311", "manylinux_2_34_x86_64"), None);
        assert_eq!(tags.rank("cp311", "cp311", "manylinux_2_17_aarch64"), None);
        assert_eq!(tags.rank("cp311", "cp311", "musllinux_1_2_x86_64"), None);
        assert!(tags.rank("py2.py3", "none", "any").is_some());
    }

    #[test]
    fn marker_environment_is_the_target() {
        let environment = target(Subdir::LinuxAarch64, "2.28").marker_environment();
        assert_eq!(environment.platform_machine(), "aarch64");
        assert_eq!(environment.sys_platform(), "linux");
        assert_eq!(environment.python_version().to_string(), "3.11");
        assert_eq!(environment.python_full_version().to_string(), "3.11.14");
    }

    #[test]
    fn new_rejects_bad_input() {
        assert!(PypiTarget::new(Subdir::Osx64, "3.11", "2.28").is_err());
        assert!(PypiTarget::new(Subdir::Linux64, "2.7", "2.28").is_err());
        assert!(PypiTarget::new(Subdir::Linux64, "3.11", "abc").is_err());
        assert!(PypiTarget::new(Subdir::Linux64, "3.11", "2.28").is_ok());
    }
}

//! Virtual packages declared per target platform.
//!
//! envlock never detects virtual packages from the host: rattler's detection
//! reports the host's own `__glibc` and `__linux` even when solving for a
//! foreign platform, so a lock made that way depends on the build machine.
//! Instead every target platform gets a fixed default set, which the user can
//! override with `--virtual-package PLATFORM:NAME=VERSION[=BUILD]`.

use std::collections::BTreeMap;
use std::str::FromStr;

use rattler_conda_types::{
    package::BuildString, GenericVirtualPackage, PackageName, Subdir, Version,
};

/// Default virtual packages for one target platform: `(name, version, build)`.
///
/// The Linux defaults match what manylinux_2_28 images and conda-forge's
/// current sysroot assume (glibc 2.28, kernel 4.18), the same defaults pixi
/// uses. `__archspec` carries the generic architecture as its build string.
fn defaults_for(platform: Subdir) -> Vec<(&'static str, &'static str, String)> {
    let mut packages = Vec::new();
    if platform.is_unix() {
        packages.push(("__unix", "0", "0".to_string()));
    }
    if platform.is_linux() {
        packages.push(("__linux", "4.18", "0".to_string()));
        packages.push(("__glibc", "2.28", "0".to_string()));
    }
    if platform.is_osx() {
        packages.push(("__osx", "11.0", "0".to_string()));
    }
    if platform.is_windows() {
        packages.push(("__win", "0", "0".to_string()));
    }
    if let Some(arch) = archspec_name(platform) {
        packages.push(("__archspec", "1", arch.to_string()));
    }
    packages
}

/// The generic archspec microarchitecture name of a platform.
fn archspec_name(platform: Subdir) -> Option<&'static str> {
    match platform {
        Subdir::Linux64 | Subdir::Osx64 | Subdir::Win64 => Some("x86_64"),
        Subdir::LinuxAarch64 => Some("aarch64"),
        Subdir::OsxArm64 | Subdir::WinArm64 => Some("arm64"),
        Subdir::LinuxPpc64le => Some("ppc64le"),
        Subdir::LinuxS390X => Some("s390x"),
        _ => None,
    }
}

/// An error in a `--virtual-package` override.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum VirtualPackageError {
    /// The override does not have the `PLATFORM:NAME=VERSION[=BUILD]` shape.
    #[error("invalid virtual package override '{value}': expected PLATFORM:NAME=VERSION[=BUILD], e.g. linux-aarch64:__glibc=2.34")]
    #[diagnostic(help("for example: --virtual-package linux-aarch64:__glibc=2.34"))]
    Shape {
        /// The override as given.
        value: String,
    },
    /// The platform part is not a conda platform.
    #[error("invalid virtual package override '{value}': unknown platform '{platform}' (use a conda platform such as linux-64 or linux-aarch64)")]
    #[diagnostic(help("use a conda platform name such as linux-64 or linux-aarch64"))]
    Platform {
        /// The override as given.
        value: String,
        /// The platform part.
        platform: String,
    },
    /// The name does not start with `__`.
    #[error("invalid virtual package override '{value}': '{name}' is not a virtual package name (names start with two underscores, e.g. __glibc)")]
    #[diagnostic(help("virtual package names start with two underscores, e.g. __glibc"))]
    Name {
        /// The override as given.
        value: String,
        /// The name part.
        name: String,
    },
    /// The version or build part does not parse.
    #[error("invalid virtual package override '{value}': {reason}")]
    #[diagnostic(help("versions look like 2.34; builds like 0 or aarch64"))]
    Version {
        /// The override as given.
        value: String,
        /// Why the version or build is invalid.
        reason: String,
    },
}

/// One user override: set (or add) a virtual package on one platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualPackageOverride {
    /// The platform it applies to.
    pub platform: Subdir,
    /// The virtual package.
    pub package: GenericVirtualPackage,
}

impl FromStr for VirtualPackageOverride {
    type Err = VirtualPackageError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let shape = || VirtualPackageError::Shape {
            value: value.to_string(),
        };
        let (platform, rest) = value.split_once(':').ok_or_else(shape)?;
        let platform =
            Subdir::from_str(platform.trim()).map_err(|_| VirtualPackageError::Platform {
                value: value.to_string(),
                platform: platform.to_string(),
            })?;
        let mut parts = rest.splitn(3, '=');
        let name = parts.next().filter(|n| !n.is_empty()).ok_or_else(shape)?;
        let version = parts.next().filter(|v| !v.is_empty()).ok_or_else(shape)?;
        let build = parts.next().unwrap_or("0");
        let package = make_package(name, version, build).map_err(|error| match error {
            MakeError::Name => VirtualPackageError::Name {
                value: value.to_string(),
                name: name.to_string(),
            },
            MakeError::Other(reason) => VirtualPackageError::Version {
                value: value.to_string(),
                reason,
            },
        })?;
        Ok(Self { platform, package })
    }
}

enum MakeError {
    Name,
    Other(String),
}

fn make_package(
    name: &str,
    version: &str,
    build: &str,
) -> Result<GenericVirtualPackage, MakeError> {
    if !name.starts_with("__") {
        return Err(MakeError::Name);
    }
    let name = PackageName::from_str(name).map_err(|e| MakeError::Other(e.to_string()))?;
    let version = Version::from_str(version)
        .map_err(|e| MakeError::Other(format!("version '{version}': {e}")))?;
    let build_string = BuildString::from_str(build)
        .map_err(|e| MakeError::Other(format!("build '{build}': {e}")))?;
    Ok(GenericVirtualPackage {
        name,
        version,
        build_string,
    })
}

/// The virtual packages of every target platform, after overrides.
#[derive(Debug, Clone, Default)]
pub struct VirtualPackageSet {
    by_platform: BTreeMap<Subdir, BTreeMap<String, GenericVirtualPackage>>,
}

impl VirtualPackageSet {
    /// Builds the defaults for `platforms` and applies `overrides` on top.
    ///
    /// Each default that is not overridden is logged, so a user can see what
    /// the solve assumed about the target machines.
    pub fn for_platforms(platforms: &[Subdir], overrides: &[VirtualPackageOverride]) -> Self {
        let mut by_platform = BTreeMap::new();
        for &platform in platforms {
            let mut packages = BTreeMap::new();
            for (name, version, build) in defaults_for(platform) {
                if let Ok(package) = make_package(name, version, &build) {
                    packages.insert(name.to_string(), package);
                }
            }
            for item in overrides.iter().filter(|o| o.platform == platform) {
                let name = item.package.name.as_normalized().to_string();
                tracing::info!(%platform, package = %format_package(&item.package), "virtual package overridden");
                packages.insert(name, item.package.clone());
            }
            for package in packages.values() {
                let overridden = overrides
                    .iter()
                    .any(|o| o.platform == platform && o.package.name == package.name);
                if !overridden {
                    tracing::info!(%platform, package = %format_package(package), "assuming default virtual package");
                }
            }
            by_platform.insert(platform, packages);
        }
        Self { by_platform }
    }

    /// The virtual packages of `platform`, sorted by name.
    pub fn get(&self, platform: Subdir) -> Vec<GenericVirtualPackage> {
        self.by_platform
            .get(&platform)
            .map(|packages| packages.values().cloned().collect())
            .unwrap_or_default()
    }

    /// The virtual packages of `platform` as `NAME=VERSION=BUILD` strings, the
    /// form stored in the lock.
    pub fn lock_strings(&self, platform: Subdir) -> Vec<String> {
        self.get(platform).iter().map(format_package).collect()
    }
}

/// Formats a virtual package as `NAME=VERSION=BUILD`.
pub fn format_package(package: &GenericVirtualPackage) -> String {
    format!(
        "{}={}={}",
        package.name.as_normalized(),
        package.version,
        package.build_string.as_str()
    )
}

/// Parses the `NAME=VERSION=BUILD` strings stored in a lock.
pub fn parse_lock_strings(strings: &[String]) -> Vec<GenericVirtualPackage> {
    strings
        .iter()
        .filter_map(|s| {
            let mut parts = s.splitn(3, '=');
            let name = parts.next()?;
            let version = parts.next()?;
            let build = parts.next().unwrap_or("0");
            make_package(name, version, build).ok()
        })
        .collect()
}

//! Comparing two locks: the packages added, removed, upgraded, downgraded
//! or rebuilt on each platform, for people (text), pull requests (Markdown)
//! and programs (JSON).

pub mod render;

use std::collections::{BTreeMap, BTreeSet};

use rattler_conda_types::Version;
use rattler_lock::LockedPackage;
use serde::Serialize;

use crate::lock::ReadLock;

/// The ecosystem a package comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    /// A conda package.
    Conda,
    /// A PyPI distribution.
    Pypi,
}

/// The kind of change of a package between two locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// Only in the new lock.
    Added,
    /// Only in the old lock.
    Removed,
    /// A higher version in the new lock.
    Upgraded,
    /// A lower version in the new lock.
    Downgraded,
    /// The same version with another build, file or archive hash.
    Rebuilt,
}

/// A version and build of one package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageVersion {
    /// The version.
    pub version: String,
    /// The conda build string, or the wheel file name for PyPI.
    pub build: String,
    /// The archive's sha256, when the lock records it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// One changed package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageChange {
    /// The package name.
    pub name: String,
    /// Conda or PyPI.
    pub ecosystem: Ecosystem,
    /// The kind of change.
    pub change: ChangeKind,
    /// The old version, when it existed.
    pub old: Option<PackageVersion>,
    /// The new version, when it exists.
    pub new: Option<PackageVersion>,
    /// Whether the environment file requests it (else it is transitive).
    pub requested: bool,
}

/// Whether a platform exists in one or both locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PlatformStatus {
    /// In both locks.
    Both,
    /// Only in the new lock.
    Added,
    /// Only in the old lock.
    Removed,
}

/// The changes on one platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlatformDiff {
    /// Whether the platform is in both locks.
    pub status: PlatformStatus,
    /// The changed packages, ordered by ecosystem, then name.
    pub changes: Vec<PackageChange>,
}

/// The difference between two locks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockDiff {
    /// Per platform name, in name order.
    pub platforms: BTreeMap<String, PlatformDiff>,
}

impl LockDiff {
    /// Whether anything differs.
    pub fn has_changes(&self) -> bool {
        self.platforms
            .values()
            .any(|p| p.status != PlatformStatus::Both || !p.changes.is_empty())
    }
}

type PackageKey = (Ecosystem, String);

/// Compares `old` with `new`.
pub fn compare(old: &ReadLock, new: &ReadLock) -> LockDiff {
    let old_platforms = platform_names(old);
    let new_platforms = platform_names(new);
    let mut platforms = BTreeMap::new();
    for name in old_platforms.union(&new_platforms) {
        let status = match (old_platforms.contains(name), new_platforms.contains(name)) {
            (true, true) => PlatformStatus::Both,
            (false, _) => PlatformStatus::Added,
            (_, false) => PlatformStatus::Removed,
        };
        let before = packages(old, name);
        let after = packages(new, name);
        let requested: BTreeSet<String> = [old, new]
            .iter()
            .filter_map(|lock| lock.header.platforms.get(name))
            .flat_map(|recorded| recorded.requested.iter().cloned())
            .collect();
        let changes = diff_packages(&before, &after, &requested);
        platforms.insert(name.clone(), PlatformDiff { status, changes });
    }
    LockDiff { platforms }
}

fn platform_names(lock: &ReadLock) -> BTreeSet<String> {
    lock.lock
        .platforms()
        .map(|p| p.name().to_string())
        .collect()
}

/// The packages of the lock's environment on one platform, by ecosystem and name.
fn packages(lock: &ReadLock, platform: &str) -> BTreeMap<PackageKey, PackageVersion> {
    let mut out = BTreeMap::new();
    let Some(lock_platform) = lock.lock.platform(platform) else {
        return out;
    };
    let environment = lock
        .lock
        .environment(crate::lock::ENVIRONMENT)
        .or_else(|| lock.lock.environments().next().map(|(_, env)| env));
    let Some(environment) = environment else {
        return out;
    };
    let Some(packages) = environment.packages(lock_platform) else {
        return out;
    };
    for package in packages {
        match package {
            LockedPackage::Conda(conda) => {
                let Some(record) = conda.record() else {
                    continue;
                };
                let version = PackageVersion {
                    version: record.version.to_string(),
                    build: record.build.to_string(),
                    sha256: record.sha256.map(hex::encode),
                };
                out.insert(
                    (Ecosystem::Conda, record.name.as_normalized().to_string()),
                    version,
                );
            }
            LockedPackage::Pypi(pypi) => {
                let file = pypi.location().file_name().unwrap_or_default().to_string();
                let sha256 = match pypi {
                    rattler_lock::PypiPackageData::Distribution(data) => {
                        data.hash.as_ref().and_then(|h| h.sha256()).map(hex::encode)
                    }
                    _ => None,
                };
                let version = PackageVersion {
                    version: pypi.version_string(),
                    build: file,
                    sha256,
                };
                out.insert((Ecosystem::Pypi, pypi.name().to_string()), version);
            }
        }
    }
    out
}

fn diff_packages(
    before: &BTreeMap<PackageKey, PackageVersion>,
    after: &BTreeMap<PackageKey, PackageVersion>,
    requested: &BTreeSet<String>,
) -> Vec<PackageChange> {
    let keys: BTreeSet<&PackageKey> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter_map(|key| {
            let old = before.get(key);
            let new = after.get(key);
            let change = classify(old, new)?;
            Some(PackageChange {
                name: key.1.clone(),
                ecosystem: key.0,
                change,
                old: old.cloned(),
                new: new.cloned(),
                requested: requested.contains(&key.1),
            })
        })
        .collect()
}

fn classify(old: Option<&PackageVersion>, new: Option<&PackageVersion>) -> Option<ChangeKind> {
    match (old, new) {
        (None, Some(_)) => Some(ChangeKind::Added),
        (Some(_), None) => Some(ChangeKind::Removed),
        (Some(old), Some(new)) if old == new => None,
        (Some(old), Some(new)) => {
            let ordering = match (
                old.version.parse::<Version>(),
                new.version.parse::<Version>(),
            ) {
                (Ok(a), Ok(b)) => a.cmp(&b),
                _ => old.version.cmp(&new.version),
            };
            Some(match ordering {
                std::cmp::Ordering::Less => ChangeKind::Upgraded,
                std::cmp::Ordering::Greater => ChangeKind::Downgraded,
                std::cmp::Ordering::Equal => ChangeKind::Rebuilt,
            })
        }
        (None, None) => None,
    }
}

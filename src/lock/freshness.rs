//! Deciding whether a lock is up to date with its inputs (`solve --check`).

use std::collections::BTreeMap;
use std::path::Path;

use rattler_conda_types::Subdir;

use super::header::LockHeader;
use super::inputs::{PlatformInputs, COMPONENTS};

/// Why a lock is out of date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Staleness {
    /// The lock file does not exist.
    Missing,
    /// The lock has no envlock header (written by another tool or by hand).
    NoHeader,
    /// A target platform is not in the lock.
    PlatformMissing(Subdir),
    /// The lock has a platform that is no longer a target.
    PlatformExtra(String),
    /// The inputs of a platform changed; the names of the changed components.
    InputsChanged(Subdir, Vec<&'static str>),
    /// The explicit file of a platform is missing.
    ExplicitMissing(Subdir),
}

impl std::fmt::Display for Staleness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Staleness::Missing => write!(f, "the lock file does not exist"),
            Staleness::NoHeader => write!(f, "the lock file has no envlock header"),
            Staleness::PlatformMissing(p) => write!(f, "{p}: not in the lock"),
            Staleness::PlatformExtra(p) => {
                write!(f, "{p}: in the lock but no longer a target platform")
            }
            Staleness::InputsChanged(p, parts) => {
                write!(f, "{p}: changed inputs: {}", parts.join(", "))
            }
            Staleness::ExplicitMissing(p) => write!(f, "{p}: the explicit file is missing"),
        }
    }
}

/// Compares the recorded header with the current inputs. An empty result
/// means the lock is up to date.
pub fn compare(header: &LockHeader, current: &BTreeMap<Subdir, PlatformInputs>) -> Vec<Staleness> {
    if header.schema.is_none() {
        return vec![Staleness::NoHeader];
    }
    let mut reasons = Vec::new();
    for (platform, inputs) in current {
        let Some(recorded) = header.platforms.get(platform.as_str()) else {
            reasons.push(Staleness::PlatformMissing(*platform));
            continue;
        };
        if recorded.content_hash == inputs.content_hash() {
            continue;
        }
        let hashes = inputs.component_hashes();
        let mut changed: Vec<&'static str> = COMPONENTS
            .into_iter()
            .filter(|name| recorded.components.get(*name) != hashes.get(name))
            .collect();
        if changed.is_empty() {
            changed.push("content hash");
        }
        reasons.push(Staleness::InputsChanged(*platform, changed));
    }
    for name in header.platforms.keys() {
        if !current.keys().any(|p| p.as_str() == name) {
            reasons.push(Staleness::PlatformExtra(name.clone()));
        }
    }
    reasons
}

/// Adds a reason for each platform whose explicit file is missing.
pub fn check_explicit_files(
    platforms: impl IntoIterator<Item = Subdir>,
    explicit_path: impl Fn(Subdir) -> std::path::PathBuf,
    reasons: &mut Vec<Staleness>,
) {
    for platform in platforms {
        if !Path::new(&explicit_path(platform)).is_file() {
            reasons.push(Staleness::ExplicitMissing(platform));
        }
    }
}
